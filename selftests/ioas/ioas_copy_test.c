// SPDX-License-Identifier: GPL-2.0
/*
 * ioas_copy_test: IOAS_COPY, positive paths (fixture ioas), failures
 * (fixture mapped) and the permission subsets (fixture perm).
 * Shared helpers, fixtures and design notes: lib/ioasid_util.h.
 */
#define IOAS_WANT_FIXTURE_IOAS
#define IOAS_WANT_FIXTURE_MAPPED
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

/* ---- IOAS_COPY, positive paths ---- */

TEST_F(ioas, copy_shares_phys_pages)
{
	__u64 pa[16];
	__u32 b, c;
	int i;

	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &c));
	ASSERT_EQ(0, copy_fixed(self->fd, b, self->ioas, IOVA_A, 0x10000,
				IOVA_B, RW));
	ASSERT_EQ(0, copy_fixed(self->fd, c, b, IOVA_B, 0x10000, 0, RW));
	for (i = 0; i < 16; i++) {
		pa[i] = PHYS(self->ioas, IOVA_A + i * PSZ);
		ASSERT_NE(0ULL, pa[i]);
		if (i)
			EXPECT_NE(pa[i - 1], pa[i]);
		EXPECT_EQ(pa[i], PHYS(b, IOVA_B + i * PSZ));
		EXPECT_EQ(pa[i], PHYS(c, i * PSZ));
	}
	CHECK_BYTES(b, IOVA_B, self->buf, 0x10000);
	CHECK_BYTES(c, 0, self->buf, 0x10000);
	CHECK_INFO(b, 1, 0x10000, 16);
	CHECK_INFO(self->ioas, 1, 0x10000, 16);
}

TEST_F(ioas, copy_survives_src_unmap)
{
	uint8_t pat[PSZ];
	__u64 pa, out;
	__u32 b;

	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	ASSERT_EQ(0, copy_fixed(self->fd, b, self->ioas, IOVA_A, 0x10000,
				IOVA_B, RW));
	pa = PHYS(b, IOVA_B + 5 * PSZ);
	ASSERT_EQ(0, UNMAP(IOVA_A, 0x10000, 0, &out));
	EXPECT_EQ(0x10000ULL, out);
	ASSERT_UNMAPPED(self->ioas, IOVA_A);
	CHECK_BYTES(b, IOVA_B, self->buf, 0x10000);
	EXPECT_EQ(pa, PHYS(b, IOVA_B + 5 * PSZ));
	/* still the user's pages, both ways */
	memset(self->buf + 0x2000, 0x77, 0x1000);
	CHECK_BYTES(b, IOVA_B, self->buf, 0x10000);
	memset(pat, 0x99, sizeof(pat));
	ASSERT_EQ(0, iova_rw(self->tfd, self->fd, b, IOASID_TEST_RW_WRITE,
			     IOVA_B + 0x7000, pat, PSZ, NULL));
	EXPECT_EQ(0, memcmp(self->buf + 0x7000, pat, PSZ));
	CHECK_INFO(b, 1, 0x10000, 16);
}

TEST_F(ioas, copy_survives_src_destroy)
{
	struct ioasid_ioas_info info;
	__u32 b;

	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	ASSERT_EQ(0, copy_fixed(self->fd, b, self->ioas, IOVA_A, 0x10000,
				IOVA_A, RO));
	ASSERT_EQ(0, destroy(self->fd, self->ioas));
	EXPECT_EQ(-ENOENT, get_info(self->fd, self->ioas, &info));
	CHECK_BYTES(b, IOVA_A, self->buf, 0x10000);
	memset(self->buf + 0xf000, 0x11, 0x1000);
	CHECK_BYTES(b, IOVA_A, self->buf, 0x10000);
	CHECK_INFO(b, 1, 0x10000, 16);
}

TEST_F(ioas, copy_into_same_ioas)
{
	int i;

	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	ASSERT_EQ(0, copy_fixed(self->fd, self->ioas, self->ioas, IOVA_A,
				0x10000, IOVA_B, RW));
	for (i = 0; i < 16; i++)
		EXPECT_EQ(PHYS(self->ioas, IOVA_A + i * PSZ),
			  PHYS(self->ioas, IOVA_B + i * PSZ));
	CHECK_BYTES(self->ioas, IOVA_B, self->buf, 0x10000);
	CHECK_INFO(self->ioas, 2, 0x20000, U64MAX);
}

TEST_F(ioas, copy_auto_dst_iova)
{
	__u64 dst = 0;

	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	ASSERT_EQ(0, copy_ex(self->fd, self->ioas, self->ioas, IOVA_A, 0x10000,
			     &dst, RW));
	EXPECT_EQ(0ULL, dst % PSZ);
	/* must not land on the source */
	EXPECT_TRUE(dst + 0x10000 <= IOVA_A || dst >= IOVA_A + 0x10000);
	CHECK_BYTES(self->ioas, dst, self->buf, 0x10000);
	CHECK_INFO(self->ioas, 2, 0x20000, U64MAX);
}

TEST_F(ioas, copy_across_adjacent_src_mappings)
{
	__u32 b;

	/* different user memory, contiguous IOVA: no hole in the source */
	ASSERT_EQ(0, MAPF(0, 0x8000, IOVA_A, RW));
	ASSERT_EQ(0, MAPF(0x20000, 0x8000, IOVA_A + 0x8000, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	ASSERT_EQ(0, copy_fixed(self->fd, b, self->ioas, IOVA_A, 0x10000,
				IOVA_B, RW));
	CHECK_BYTES(b, IOVA_B, self->buf, 0x8000);
	CHECK_BYTES(b, IOVA_B + 0x8000, self->buf + 0x20000, 0x8000);
	EXPECT_EQ(PHYS(self->ioas, IOVA_A + 0x9000), PHYS(b, IOVA_B + 0x9000));
}

TEST_F(ioas, copy_subrange)
{
	__u32 b;
	int i;

	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	ASSERT_EQ(0, copy_fixed(self->fd, b, self->ioas, IOVA_A + 0x3000,
				0x5000, IOVA_B, RO));
	CHECK_BYTES(b, IOVA_B, self->buf + 0x3000, 0x5000);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(PHYS(self->ioas, IOVA_A + 0x3000 + i * PSZ),
			  PHYS(b, IOVA_B + i * PSZ));
	ASSERT_UNMAPPED(b, IOVA_B + 0x5000);
	ASSERT_UNMAPPED(b, IOVA_B - PSZ);
	CHECK_INFO(b, 1, 0x5000, 5);
}

TEST_F(ioas, copy_readonly_of_writable)
{
	uint8_t pat[PSZ];
	__u32 b;

	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	ASSERT_EQ(0, copy_fixed(self->fd, b, self->ioas, IOVA_A, 0x10000,
				IOVA_A, RO));
	memset(pat, 0xe7, sizeof(pat));
	EXPECT_EQ(-EACCES, iova_rw(self->tfd, self->fd, b, IOASID_TEST_RW_WRITE,
				   IOVA_A, pat, PSZ, NULL));
	EXPECT_NE(0, memcmp(self->buf, pat, PSZ));
	/* the source keeps its write permission; the copy sees the write */
	ASSERT_EQ(0, iova_rw(self->tfd, self->fd, self->ioas,
			     IOASID_TEST_RW_WRITE, IOVA_A, pat, PSZ, NULL));
	EXPECT_EQ(0, memcmp(self->buf, pat, PSZ));
	CHECK_BYTES(b, IOVA_A, self->buf, 0x10000);
}

/* ---- COPY failures ---- */

TEST_F(mapped, copy_writable_of_readonly_eacces)
{
	__u32 b;

	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	FAILS(EACCES, copy_fixed(self->fd, b, self->ioas, M1.iova, M1.len,
				 FREE_IOVA, RW));
	FAILS(EACCES, copy_fixed(self->fd, b, self->ioas, M1.iova, PSZ,
				 FREE_IOVA, WO));
	FAILS(EACCES, copy_fixed(self->fd, self->ioas, self->ioas, M1.iova,
				 M1.len, FREE_IOVA, RW));
	CHECK_INFO(b, 0, 0, 0);
	/* asking only for what M1 has is fine */
	ASSERT_EQ(0, copy_fixed(self->fd, b, self->ioas, M1.iova, M1.len,
				FREE_IOVA, RO));
	CHECK_BYTES(b, FREE_IOVA, self->buf + M1.off, M1.len);
	ASSERT_INTACT();
}

TEST_F(mapped, copy_src_hole_enoent)
{
	__u64 dst = 0;
	__u32 b;

	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	/* M0 then hole */
	FAILS(ENOENT, copy_fixed(self->fd, b, self->ioas, M0.iova,
				 M0.len + PSZ, FREE_IOVA, RO));
	/* hole then M0 */
	FAILS(ENOENT, copy_fixed(self->fd, b, self->ioas, M0.iova - PSZ,
				 2 * PSZ, FREE_IOVA, RO));
	/* M0, hole, M1 */
	FAILS(ENOENT, copy_fixed(self->fd, b, self->ioas, M0.iova,
				 M1.iova + M1.len - M0.iova, FREE_IOVA, RO));
	/* all hole, fixed and automatic destination */
	FAILS(ENOENT, copy_fixed(self->fd, b, self->ioas, FREE_IOVA, PSZ,
				 FREE_IOVA, RO));
	FAILS(ENOENT, copy_ex(self->fd, b, self->ioas, FREE_IOVA, PSZ, &dst,
			      RO));
	CHECK_INFO(b, 0, 0, 0);
}

TEST_F(mapped, copy_dst_overlap_eexist)
{
	__u32 b;

	/* onto M1 */
	FAILS(EEXIST, copy_fixed(self->fd, self->ioas, self->ioas, M0.iova,
				 0x4000, M1.iova, RO));
	/* onto its own source */
	FAILS(EEXIST, copy_fixed(self->fd, self->ioas, self->ioas, M0.iova,
				 0x8000, M0.iova + 0x4000, RO));
	/* partially onto the head of M2 */
	FAILS(EEXIST, copy_fixed(self->fd, self->ioas, self->ioas, M0.iova,
				 0x4000, M2.iova - 0x2000, RW));
	/* into another IOAS with an existing mapping there */
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	ASSERT_EQ(0, map_fixed(self->fd, b, U(self->buf + FREE_OFF), PSZ,
			       FREE_IOVA + 0x3000, RW));
	FAILS(EEXIST, copy_fixed(self->fd, b, self->ioas, M0.iova, M0.len,
				 FREE_IOVA, RW));
	CHECK_INFO(b, 1, PSZ, 1);
}

TEST_F(mapped, copy_invalid_einval)
{
	FAILS(EINVAL, copy_fixed(self->fd, self->ioas, self->ioas, M0.iova, 0,
				 FREE_IOVA, RW));
	FAILS(EINVAL, copy_fixed(self->fd, self->ioas, self->ioas, M0.iova,
				 PSZ + 1, FREE_IOVA, RW));
	FAILS(EINVAL, copy_fixed(self->fd, self->ioas, self->ioas,
				 M0.iova + 0x10, PSZ, FREE_IOVA, RW));
	FAILS(EINVAL, copy_fixed(self->fd, self->ioas, self->ioas, M0.iova,
				 PSZ, FREE_IOVA + 0x800, RW));
	/* no permission flag */
	FAILS(EINVAL, copy_fixed(self->fd, self->ioas, self->ioas, M0.iova,
				 PSZ, FREE_IOVA, 0));
}

TEST_F(mapped, copy_unknown_ids_enoent)
{
	FAILS(ENOENT, copy_fixed(self->fd, BAD_ID, self->ioas, M0.iova, PSZ,
				 FREE_IOVA, RW));
	FAILS(ENOENT, copy_fixed(self->fd, self->ioas, BAD_ID, M0.iova, PSZ,
				 FREE_IOVA, RW));
	FAILS(ENOENT, copy_fixed(self->fd, self->ioas, 0, M0.iova, PSZ,
				 FREE_IOVA, RW));
}

TEST_F(mapped, copy_unknown_flags_eopnotsupp)
{
	FAILS(EOPNOTSUPP, copy_fixed(self->fd, self->ioas, self->ioas, M0.iova,
				     PSZ, FREE_IOVA, RW | 1U << 3));
	FAILS(EOPNOTSUPP, copy_fixed(self->fd, self->ioas, self->ioas, M0.iova,
				     PSZ, FREE_IOVA, RW | 1U << 31));
}

TEST_F(mapped, copy_overflow_eoverflow)
{
	__u32 b;

	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	/* source range wraps */
	FAILS(EOVERFLOW, copy_fixed(self->fd, b, self->ioas, TOP(PSZ), 2 * PSZ,
				    FREE_IOVA, RW));
	FAILS(EOVERFLOW, copy_fixed(self->fd, b, self->ioas, M2.iova, 4 * MiB,
				    FREE_IOVA, RW));
	/* destination range wraps */
	FAILS(EOVERFLOW, copy_fixed(self->fd, b, self->ioas, M0.iova, 2 * PSZ,
				    TOP(PSZ), RW));
	CHECK_INFO(b, 0, 0, 0);
}

TEST_F(mapped, copy_struct_size)
{
	struct {
		struct ioasid_ioas_copy c;
		__u64 tail;
	} big = { .c = {
		.size = sizeof(big), .flags = RW | FIXED,
		.dst_ioas_id = self->ioas, .src_ioas_id = self->ioas,
		.length = PSZ, .dst_iova = FREE_IOVA, .src_iova = M0.iova,
	}, .tail = 0x100 };

	FAILS(E2BIG, xioctl(self->fd, IOASID_IOAS_COPY, &big));
	big.c.size = offsetof(struct ioasid_ioas_copy, src_iova);
	FAILS(EINVAL, xioctl(self->fd, IOASID_IOAS_COPY, &big));
	big.c.size = sizeof(big);
	big.tail = 0;
	ASSERT_EQ(0, xioctl(self->fd, IOASID_IOAS_COPY, &big));
	CHECK_BYTES(self->ioas, FREE_IOVA, self->buf + M0.off, PSZ);
	ASSERT_EQ(0, UNMAP(FREE_IOVA, PSZ, 0, NULL));
	ASSERT_INTACT();
}

/* ================================================================== */
/* fixture perm: one variant per permission set                         */
/* ================================================================== */

FIXTURE(perm) {
	int fd, tfd;
	__u32 ioas;
	uint8_t *buf;
};

FIXTURE_VARIANT(perm) {
	__u32 flags;
};

FIXTURE_VARIANT_ADD(perm, ro) { .flags = RO };
FIXTURE_VARIANT_ADD(perm, wo) { .flags = WO };
FIXTURE_VARIANT_ADD(perm, rw) { .flags = RW };

FIXTURE_SETUP(perm)
{
	COMMON_SETUP();
}

FIXTURE_TEARDOWN(perm)
{
	COMMON_TEARDOWN();
}

TEST_F(perm, kernel_access)
{
	uint8_t pat[PSZ], old[PSZ];
	int rc;

	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, variant->flags));
	/* reads work whatever the permission (only WRITE is checked) */
	CHECK_BYTES(self->ioas, IOVA_A, self->buf, 0x10000);
	memset(pat, 0x6d, sizeof(pat));
	memcpy(old, self->buf + PSZ, PSZ);
	rc = iova_rw(self->tfd, self->fd, self->ioas, IOASID_TEST_RW_WRITE,
		     IOVA_A + PSZ, pat, PSZ, NULL);
	if (variant->flags & IOASID_MAP_WRITEABLE) {
		ASSERT_EQ(0, rc);
		EXPECT_EQ(0, memcmp(self->buf + PSZ, pat, PSZ));
	} else {
		ASSERT_EQ(-EACCES, rc);
		EXPECT_EQ(0, memcmp(self->buf + PSZ, old, PSZ));
	}
	CHECK_BYTES(self->ioas, IOVA_A, self->buf, 0x10000);
	/* the pinned pages are the user's, whatever the permission */
	ASSERT_EQ(0, MAPF(0, PSZ, IOVA_B, RW));
	EXPECT_EQ(PHYS(self->ioas, IOVA_B), PHYS(self->ioas, IOVA_A));
}

TEST_F(perm, copy_requires_subset)
{
	static const __u32 req[] = { RO, WO, RW };
	unsigned int i;
	__u32 b;
	int rc;

	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, variant->flags));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	for (i = 0; i < ARRAY_SIZE(req); i++) {
		rc = copy_fixed(self->fd, b, self->ioas, IOVA_A, 0x10000,
				IOVA_B, req[i]);
		if (req[i] & ~variant->flags) {
			if (rc != -EACCES)
				TH_LOG("copy 0x%x of a 0x%x mapping: %d", req[i],
				       variant->flags, rc);
			EXPECT_EQ(-EACCES, rc);
			CHECK_INFO(b, 0, 0, 0);
		} else {
			ASSERT_EQ(0, rc);
			CHECK_BYTES(b, IOVA_B, self->buf, 0x10000);
			ASSERT_EQ(0, unmap(self->fd, b, IOVA_B, 0x10000, 0,
					   NULL));
		}
	}
	CHECK_INFO(self->ioas, 1, 0x10000, 16);
}

TEST_HARNESS_MAIN
