// SPDX-License-Identifier: GPL-2.0
/*
 * Every errno of the device fd's ioctls that an edu device can provoke:
 * struct size and reserved-field validation, bad pointers, unknown flags
 * and commands, bad ids and PASIDs, reserved-region and aperture
 * collisions, and failed REPLACEs that must leave the device where it was.
 * Each failing call is also checked to leave the module's live counts
 * (/sys/kernel/ioasid/stats) unchanged.
 */
#define IOASID_WANT_FIXTURE_EDU
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

/* A struct of @size bytes in a buffer of 64, @size first, tail @tail. */
static void *sized(void *buf, __u32 size, unsigned char tail)
{
	memset(buf, 0, 64);
	memcpy(buf, &size, sizeof(size));
	if (tail && size > 4)
		((unsigned char *)buf)[size - 1] = tail;
	return buf;
}

TEST_F(edu, struct_size_rules_on_every_ioctl)
{
	static const struct {
		unsigned long req;
		__u32 size;
	} cmds[] = {
		{ IOASID_DEVICE_BIND, sizeof(struct ioasid_device_bind) },
		{ IOASID_DEVICE_ATTACH, sizeof(struct ioasid_device_attach) },
		{ IOASID_DEVICE_DETACH, sizeof(struct ioasid_device_detach) },
		{ IOASID_DEVICE_REGION_INFO, sizeof(struct ioasid_region_info) },
	};
	unsigned char buf[512] __attribute__((aligned(8)));
	struct ioasid_live before = ioasid_live();
	struct ioasid_device_info *info = (void *)buf;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		/* Too small. */
		EXPECT_EQ(-EINVAL, xioctl(self->dfd, cmds[i].req, sized(buf, 4, 0)))
			TH_LOG("cmd %zu", i);
		/* Larger with a non-zero tail: the kernel cannot honour it. */
		EXPECT_EQ(-E2BIG, xioctl(self->dfd, cmds[i].req,
					 sized(buf, cmds[i].size + 8, 0xff)))
			TH_LOG("cmd %zu", i);
		/* A bad pointer. */
		EXPECT_EQ(-EFAULT, xioctl(self->dfd, cmds[i].req, (void *)8))
			TH_LOG("cmd %zu", i);
	}
	EXPECT_EQ(-EINVAL, xioctl(self->dfd, IOASID_DEVICE_GET_INFO, sized(buf, 4, 0)));
	EXPECT_EQ(-EFAULT, xioctl(self->dfd, IOASID_DEVICE_GET_INFO, (void *)8));
	memset(buf, 0, sizeof(buf));
	info->size = sizeof(*info) + 8;
	buf[sizeof(*info) + 3] = 1;
	EXPECT_EQ(-E2BIG, xioctl(self->dfd, IOASID_DEVICE_GET_INFO, buf));
	/* Larger with a zero tail: a newer user on an older kernel. */
	buf[sizeof(*info) + 3] = 0;
	EXPECT_EQ(0, xioctl(self->dfd, IOASID_DEVICE_GET_INFO, buf));
	EXPECT_EQ(0, info->out_dev_id);
	/* An unknown command. */
	EXPECT_EQ(-ENOTTY, xioctl(self->dfd, _IO(IOASID_TYPE, 0x4f), buf));
	EXPECT_NO_LEAK(before);
}

TEST_F(edu, flags_and_reserved_fields)
{
	struct ioasid_device_bind b = { .size = sizeof(b), .ioasid_fd = self->fd };
	struct ioasid_device_detach d = { .size = sizeof(d) };
	struct ioasid_device_info info = { .size = sizeof(info) };
	struct ioasid_region_info r = { .size = sizeof(r) };

	b.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->dfd, IOASID_DEVICE_BIND, &b));
	b.flags = 0;
	ASSERT_EQ(0, xioctl(self->dfd, IOASID_DEVICE_BIND, &b));
	info.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->dfd, IOASID_DEVICE_GET_INFO, &info));

	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	d.__reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->dfd, IOASID_DEVICE_DETACH, &d));
	d.__reserved = 0;
	d.flags = IOASID_ATTACH_REPLACE;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->dfd, IOASID_DEVICE_DETACH, &d));
	d.flags = 0;
	/* Still attached after the refused detaches. */
	EXPECT_EQ(0, xioctl(self->dfd, IOASID_DEVICE_DETACH, &d));

	r.__reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->dfd, IOASID_DEVICE_REGION_INFO, &r));
	r.__reserved = 0;
	r.index = 6;
	EXPECT_EQ(-EINVAL, xioctl(self->dfd, IOASID_DEVICE_REGION_INFO, &r));
	r.index = 8;
	EXPECT_EQ(-EINVAL, xioctl(self->dfd, IOASID_DEVICE_REGION_INFO, &r));
	/* The valid ones: BAR0 (edu: 1 MiB MMIO) and config space. */
	r.index = 0;
	ASSERT_EQ(0, xioctl(self->dfd, IOASID_DEVICE_REGION_INFO, &r));
	EXPECT_EQ(1 << 20, r.out_size);
	EXPECT_EQ(IOASID_REGION_MMAP, r.out_flags);
	EXPECT_EQ(region_offset(0), r.out_offset);
	r.index = IOASID_PCI_CONFIG_REGION_INDEX;
	ASSERT_EQ(0, xioctl(self->dfd, IOASID_DEVICE_REGION_INFO, &r));
	EXPECT_LE(256, r.out_size);
	EXPECT_EQ(IOASID_REGION_READ | IOASID_REGION_WRITE, r.out_flags);
	EXPECT_EQ(region_offset(IOASID_PCI_CONFIG_REGION_INDEX), r.out_offset);
	/* A BAR edu does not have. */
	r.index = 1;
	ASSERT_EQ(0, xioctl(self->dfd, IOASID_DEVICE_REGION_INFO, &r));
	EXPECT_EQ(0, r.out_flags);
	EXPECT_EQ(0, r.out_size);
}

TEST_F(edu, bind_answer_unwritable_leaves_unbound)
{
	struct ioasid_live before = ioasid_live();
	struct ioasid_device_bind *b;
	struct ioasid_device_info info = { .size = sizeof(info) };

	b = mmap(NULL, PSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, b);
	b->size = sizeof(*b);
	b->ioasid_fd = self->fd;
	ASSERT_EQ(0, mprotect(b, PSZ, PROT_READ));
	EXPECT_EQ(-EFAULT, xioctl(self->dfd, IOASID_DEVICE_BIND, b));
	/* Unwound: not bound, nothing held, and binding works after. */
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_EQ(0, info.out_dev_id);
	EXPECT_NO_LEAK(before);
	EXPECT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	munmap(b, PSZ);
}

TEST_F(edu, attach_ids_and_pasids)
{
	struct ioasid_destroy d = { .size = sizeof(d) };
	struct ioasid_live before;
	__u32 gone = 0, foreign = 0;
	int fd2;

	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	before = ioasid_live();
	/* An id that was destroyed. */
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &gone));
	d.id = gone;
	ASSERT_EQ(0, ioctl(self->fd, IOASID_DESTROY, &d));
	EXPECT_EQ(-ENOENT, dev_attach(self->dfd, gone, 0, 0));
	/* An id of another ioasid fd means nothing here. */
	fd2 = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, fd2);
	/* Ids count per fd: go past every id this test's fd has used. */
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(0, ioas_alloc(fd2, 0, 0, &foreign));
	EXPECT_EQ(-ENOENT, dev_attach(self->dfd, foreign, 0, 0));
	close(fd2);
	/* PASID with REPLACE; PASIDs out of range. */
	EXPECT_EQ(-EOPNOTSUPP, dev_attach(self->dfd, self->ioas,
					  IOASID_ATTACH_PASID | IOASID_ATTACH_REPLACE, 1));
	EXPECT_EQ(-EINVAL, dev_attach(self->dfd, self->ioas, IOASID_ATTACH_PASID, 0));
	EXPECT_EQ(-EINVAL, dev_attach(self->dfd, self->ioas, IOASID_ATTACH_PASID,
				      1 << 20));
	EXPECT_NO_LEAK(before);
}

TEST_F(edu, attach_refused_by_allowed_range_covering_reserved)
{
	struct ioasid_iova_range allow = { 0, (1ULL << 32) - 1 };
	struct ioasid_ioas_allow_iovas a = {
		.size = sizeof(a), .ioas_id = self->ioas, .num_iovas = 1,
		.allowed_iovas = (uintptr_t)&allow,
	};
	struct ioasid_live before;

	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	/* The MSI window 0xfee00000 is inside the allowed range. */
	ASSERT_EQ(0, ioctl(self->fd, IOASID_IOAS_ALLOW_IOVAS, &a));
	before = ioasid_live();
	EXPECT_EQ(-EADDRINUSE, dev_attach(self->dfd, self->ioas, 0, 0));
	EXPECT_NO_LEAK(before);
	EXPECT_EQ(-ENOENT, dev_detach(self->dfd, 0, 0));
	/* Narrowed below it, the attach works. */
	allow.last = 0xfedfffff;
	ASSERT_EQ(0, ioctl(self->fd, IOASID_IOAS_ALLOW_IOVAS, &a));
	EXPECT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
}

TEST_F(edu, attach_refused_for_mapping_beyond_aperture)
{
	struct ioasid_device_info info = { .size = sizeof(info) };
	struct ioasid_live before;
	__u64 beyond;

	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	if (!info.out_aperture_last)
		SKIP(return, "aperture known only once attached (virtio-iommu)");
	if (info.out_aperture_last >= ~0ULL - PSZ)
		SKIP(return, "the IOMMU translates the whole 64-bit space");
	beyond = (info.out_aperture_last + 1) & ~(PSZ - 1);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), PSZ, beyond, RW));
	before = ioasid_live();
	EXPECT_EQ(-EADDRINUSE, dev_attach(self->dfd, self->ioas, 0, 0));
	EXPECT_NO_LEAK(before);
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_EQ(0, info.out_ioas_id);
	EXPECT_EQ(0, unmap(self->fd, self->ioas, beyond, PSZ, 0, NULL));
	EXPECT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
}

/* A failed REPLACE leaves the device attached and working where it was. */
TEST_F(edu, failed_replace_keeps_old_attachment)
{
	struct ioasid_device_info info = { .size = sizeof(info) };
	struct ioasid_live before;
	__u32 bad = 0;

	bring_up(_metadata, self);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), 2 * PSZ, EDU_IOVA_A, RW));
	/* The target maps the MSI window: the device cannot go there. */
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &bad));
	ASSERT_EQ(0, map_fixed(self->fd, bad, U(self->buf + 2 * PSZ), PSZ, 0xfee00000, RW));
	before = ioasid_live();
	EXPECT_EQ(-EADDRINUSE, dev_attach(self->dfd, bad, IOASID_ATTACH_REPLACE, 0));
	EXPECT_EQ(-ENOENT, dev_attach(self->dfd, 4242, IOASID_ATTACH_REPLACE, 0));
	EXPECT_NO_LEAK(before);
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_EQ(self->ioas, info.out_ioas_id);
	/* DMA still goes through the old IOAS. */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_IOVA_A, EDU_BUF, XFER, false));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, EDU_IOVA_A + PSZ, XFER, true));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + PSZ, XFER));
}

TEST_HARNESS_MAIN
