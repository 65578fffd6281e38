// SPDX-License-Identifier: GPL-2.0
/*
 * The module is loaded with BTF, /dev/ioasid opens, and the ioctl entry
 * enforces the extensible-struct rules on every command.
 */
#include <sys/stat.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

TEST(module_has_btf)
{
	struct stat st;

	ASSERT_EQ(0, stat("/sys/module/ioasid", &st));
	/* Without module BTF the struct_ops type silently fails to register. */
	ASSERT_EQ(0, stat("/sys/kernel/btf/ioasid", &st));
	EXPECT_LT(0, st.st_size);
}

TEST(policy_sysfs_present)
{
	char buf[256];

	ASSERT_EQ(0, sysfs_read(POLICY_SYSFS "/bypass", buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
	ASSERT_EQ(0, sysfs_read(POLICY_SYSFS "/stack", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "builtin - active"));
}

TEST(dev_opens_and_closes)
{
	struct stat st;
	int fd, fd2;

	ASSERT_EQ(0, stat("/dev/ioasid", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, fd);
	fd2 = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, close(fd2));
	EXPECT_EQ(0, close(fd));
}

FIXTURE(ioctl) {
	int fd;
};

FIXTURE_SETUP(ioctl)
{
	self->fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(ioctl)
{
	close(self->fd);
}

TEST_F(ioctl, unknown_ioctl_enotty)
{
	uint32_t buf[16] = { sizeof(buf) };

	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(IOASID_TYPE, 0x3f), buf));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(0x42, IOASID_CMD_DESTROY), buf));
	/* Right number, wrong direction bits: not our ioctl. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOW(IOASID_TYPE, IOASID_CMD_DESTROY,
					   uint32_t), buf));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(ioctl, undersized_struct_einval)
{
	struct ioasid_destroy d = { .size = 4, .id = 1 };

	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_DESTROY, &d));
	d.size = 0;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_DESTROY, &d));
}

TEST_F(ioctl, oversized_struct_zero_tail_ok_nonzero_e2big)
{
	struct {
		struct ioasid_destroy d;
		uint64_t tail;
	} big = { .d = { .size = sizeof(big), .id = 12345 } };

	/* Zero tail: accepted, the command itself fails with ENOENT. */
	EXPECT_EQ(-ENOENT, xioctl(self->fd, IOASID_DESTROY, &big));
	big.tail = 1;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, IOASID_DESTROY, &big));
}

TEST_F(ioctl, bad_user_pointer_efault)
{
	EXPECT_EQ(-EFAULT, xioctl(self->fd, IOASID_DESTROY, (void *)8));
}

TEST_HARNESS_MAIN
