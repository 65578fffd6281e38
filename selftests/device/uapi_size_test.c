// SPDX-License-Identifier: GPL-2.0
/*
 * The one rule for extensible structs (linux/ioasid.h), on a core ioctl of
 * /dev/ioasid and on every ioctl of an ioasid-pci device fd: a @size below
 * the struct's first version gives EINVAL, a larger struct whose tail is
 * zero is accepted (as from a newer binary: the answer is written, the tail
 * left alone), a non-zero tail gives E2BIG. The first versions are today's
 * structs: their sizes are what binaries built now pass, forever.
 */
#include <stddef.h>

#define IOASID_WANT_FIXTURE_EDU
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

#define TAIL 16		/* bytes a newer binary's struct adds */

/*
 * ioctl @req on a copy of the @ksize-byte struct @cmd whose size field says
 * @size; a byte @tail (0: none) at the end of a larger struct. The kernel's
 * answer goes back into @cmd. Returns 0 or -errno; *@tail_zero says whether
 * bytes past @ksize are still zero afterwards.
 */
static int sized_ioctl(int fd, unsigned long req, void *cmd, size_t ksize,
		       __u32 size, unsigned char tail, bool *tail_zero)
{
	unsigned char buf[1024] __attribute__((aligned(8)));
	int rc;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, cmd, ksize < size ? ksize : size);
	memcpy(buf, &size, sizeof(size));
	if (tail && size > ksize)
		buf[size - 1] = tail;
	rc = ioctl(fd, req, buf) ? -errno : 0;
	memcpy(cmd, buf, ksize);
	*tail_zero = true;
	for (size_t i = ksize; i < sizeof(buf); i++)
		if (buf[i] && !(tail && i == size - 1))
			*tail_zero = false;
	return rc;
}

/* The three cases of the rule on one ioctl whose call must succeed. */
#define EXPECT_SIZE_RULE(fd, req, cmd, first, accepted)			\
	do {								\
		__typeof__(cmd) __c = (cmd);				\
		bool __z;						\
									\
		EXPECT_EQ(-EINVAL, sized_ioctl(fd, req, &__c,		\
					       sizeof(__c), (first) - 1, \
					       0, &__z));		\
		__c = (cmd);						\
		EXPECT_EQ(-E2BIG, sized_ioctl(fd, req, &__c,		\
					      sizeof(__c),		\
					      sizeof(__c) + TAIL, 0xa5, \
					      &__z));			\
		__c = (cmd);						\
		EXPECT_EQ(0, sized_ioctl(fd, req, &__c, sizeof(__c),	\
					 sizeof(__c) + TAIL, 0, &__z));	\
		EXPECT_TRUE(__z);					\
		accepted = __c;						\
	} while (0)

TEST(core_ioas_alloc)
{
	struct ioasid_ioas_alloc cmd = { 0 }, out;
	struct ioasid_destroy d = { .size = sizeof(d) };
	int fd = open("/dev/ioasid", O_RDWR);
	struct ioasid_live before = ioasid_live();

	ASSERT_LE(0, fd);
	/* The first version of IOAS_ALLOC ends at out_ioas_id. */
	EXPECT_SIZE_RULE(fd, IOASID_IOAS_ALLOC, cmd,
			 offsetof(struct ioasid_ioas_alloc, out_ioas_id) + 4, out);
	/* The newer caller got its answer: the IOAS exists, and is the only one. */
	EXPECT_EQ(before.objects + 1, ioasid_stat("objects"));
	d.id = out.out_ioas_id;
	EXPECT_EQ(0, ioctl(fd, IOASID_DESTROY, &d));
	EXPECT_NO_LEAK(before);
	close(fd);
}

TEST(core_destroy_and_dry_run)
{
	struct ioasid_destroy d = { .id = 12345 }, dout;
	struct ioasid_policy_dry_run *dr = calloc(1, sizeof(*dr));
	unsigned char big[sizeof(*dr) + TAIL] __attribute__((aligned(8)));
	int fd = open("/dev/ioasid", O_RDWR);
	bool z;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, dr);
	/* DESTROY of an unknown id: the size rule comes first, then ENOENT. */
	EXPECT_EQ(-EINVAL, sized_ioctl(fd, IOASID_DESTROY, &d, sizeof(d), 7, 0, &z));
	EXPECT_EQ(-E2BIG, sized_ioctl(fd, IOASID_DESTROY, &d, sizeof(d),
				      sizeof(d) + TAIL, 1, &z));
	/* Accepted at exactly the first version and with a zero tail. */
	dout = d;
	EXPECT_EQ(-ENOENT, sized_ioctl(fd, IOASID_DESTROY, &dout, sizeof(dout), 8, 0, &z));
	EXPECT_EQ(-ENOENT, sized_ioctl(fd, IOASID_DESTROY, &dout, sizeof(dout),
				       sizeof(dout) + TAIL, 0, &z));
	/* The large (heap-copied) dry run follows the same rule. */
	dry_run_init(dr, 0x1234, 0x11e8, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	dr->size = sizeof(*dr) - 1;
	EXPECT_EQ(-1, ioctl(fd, IOASID_POLICY_DRY_RUN, dr));
	EXPECT_EQ(EINVAL, errno);
	memset(big, 0, sizeof(big));
	memcpy(big, dr, sizeof(*dr));
	((struct ioasid_policy_dry_run *)big)->size = sizeof(big);
	big[sizeof(big) - 1] = 1;
	EXPECT_EQ(-1, ioctl(fd, IOASID_POLICY_DRY_RUN, big));
	EXPECT_EQ(E2BIG, errno);
	big[sizeof(big) - 1] = 0;
	if (geteuid() == 0) {
		EXPECT_EQ(0, ioctl(fd, IOASID_POLICY_DRY_RUN, big));
		EXPECT_EQ(0, ((struct ioasid_policy_dry_run *)big)->out_decision.verdict);
		for (size_t i = sizeof(*dr); i < sizeof(big); i++)
			EXPECT_EQ(0, big[i]);
	}
	free(dr);
	close(fd);
}

TEST_F(edu, pci_ioctls)
{
	struct ioasid_region_info ri = { .index = 0 }, ri_out;
	struct ioasid_device_bind b = { .ioasid_fd = self->fd }, b_out;
	/* ATTACH and DETACH answer nothing: their effect is checked instead. */
	struct ioasid_device_attach a = { .ioas_id = self->ioas }, a_out __attribute__((unused));
	struct ioasid_device_info info = { 0 }, *info_out;
	struct ioasid_device_detach det = { 0 }, det_out __attribute__((unused));
	bool z;

	info_out = calloc(1, sizeof(*info_out));
	ASSERT_NE(NULL, info_out);
	/* Every struct's first version is its whole size today. */
	EXPECT_SIZE_RULE(self->dfd, IOASID_DEVICE_REGION_INFO, ri,
			 sizeof(struct ioasid_region_info), ri_out);
	EXPECT_EQ(1 << 20, ri_out.out_size);
	EXPECT_EQ(IOASID_REGION_MMAP, ri_out.out_flags);
	/* Exactly the first version is accepted (an old binary). */
	ri_out = ri;
	EXPECT_EQ(0, sized_ioctl(self->dfd, IOASID_DEVICE_REGION_INFO, &ri_out,
				 sizeof(ri_out), sizeof(struct ioasid_region_info), 0, &z));

	EXPECT_SIZE_RULE(self->dfd, IOASID_DEVICE_BIND, b,
			 sizeof(struct ioasid_device_bind), b_out);
	EXPECT_NE(0, b_out.out_dev_id);

	EXPECT_SIZE_RULE(self->dfd, IOASID_DEVICE_ATTACH, a,
			 sizeof(struct ioasid_device_attach), a_out);

	EXPECT_SIZE_RULE(self->dfd, IOASID_DEVICE_GET_INFO, info,
			 offsetof(struct ioasid_device_info, out_decision) +
			 sizeof(struct ioasid_policy_decision), *info_out);
	EXPECT_EQ(b_out.out_dev_id, info_out->out_dev_id);
	EXPECT_EQ(0, sized_ioctl(self->dfd, IOASID_DEVICE_GET_INFO, info_out,
				 sizeof(*info_out), offsetof(struct ioasid_device_info,
							     out_decision) +
				 sizeof(struct ioasid_policy_decision), 0, &z));
	EXPECT_EQ(self->ioas, info_out->out_ioas_id);
	EXPECT_EQ(0, info_out->out_decision.verdict);

	EXPECT_SIZE_RULE(self->dfd, IOASID_DEVICE_DETACH, det,
			 sizeof(struct ioasid_device_detach), det_out);
	/* Detached by the accepted call: a second detach finds nothing. */
	EXPECT_NE(0, dev_detach(self->dfd, 0, 0));
	free(info_out);
}

TEST_HARNESS_MAIN
