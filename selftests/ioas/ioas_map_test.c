// SPDX-License-Identifier: GPL-2.0
/*
 * ioas_map_test: IOAS_MAP and IOAS_UNMAP, positive paths (fixture ioas)
 * and every failure plus the UNMAP variants (fixture mapped).
 * Shared helpers, fixtures and design notes: lib/ioasid_util.h.
 */
#define IOAS_WANT_FIXTURE_IOAS
#define IOAS_WANT_FIXTURE_MAPPED
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

/* ---- IOAS_MAP, positive paths ---- */

TEST_F(ioas, map_fixed_readback)
{
	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	CHECK_BYTES(self->ioas, IOVA_A, self->buf, 0x10000);
	CHECK_INFO(self->ioas, 1, 0x10000, 16);
	ASSERT_UNMAPPED(self->ioas, IOVA_A - PSZ);
	ASSERT_UNMAPPED(self->ioas, IOVA_A + 0x10000);
}

TEST_F(ioas, map_whole_buffer_2m)
{
	ASSERT_EQ(0, MAPF(0, BUF_SIZE, IOVA_A, RW));
	CHECK_BYTES(self->ioas, IOVA_A, self->buf, BUF_SIZE);
	CHECK_INFO(self->ioas, 1, BUF_SIZE, BUF_SIZE / PSZ);
}

TEST_F(ioas, map_first_page_iova0)
{
	__u64 out;

	ASSERT_EQ(0, MAPF(0x3000, PSZ, 0, RW));
	CHECK_BYTES(self->ioas, 0, self->buf + 0x3000, PSZ);
	ASSERT_UNMAPPED(self->ioas, PSZ);
	ASSERT_EQ(0, UNMAP(0, PSZ, 0, &out));
	EXPECT_EQ(PSZ, out);
	ASSERT_UNMAPPED(self->ioas, 0);
}

TEST_F(ioas, map_last_page_of_space)
{
	ASSERT_EQ(0, MAPF(0x5000, PSZ, TOP(PSZ), RW));
	CHECK_BYTES(self->ioas, TOP(PSZ), self->buf + 0x5000, PSZ);
	CHECK_INFO(self->ioas, 1, PSZ, 1);
	ASSERT_UNMAPPED(self->ioas, TOP(2 * PSZ));
	ASSERT_UNMAPPED(self->ioas, 0);
}

TEST_F(ioas, map_ends_exactly_at_2_64)
{
	__u64 out;

	/* [2^64 - 64K, 2^64): last byte U64_MAX, no wrap */
	ASSERT_EQ(0, MAPF(0, 0x10000, TOP(0x10000), RW));
	ASSERT_EQ(0, MAPF(0x10000, 0x10000, 0, RW));
	CHECK_BYTES(self->ioas, TOP(0x10000), self->buf, 0x10000);
	CHECK_BYTES(self->ioas, 0, self->buf + 0x10000, 0x10000);
	CHECK_INFO(self->ioas, 2, 0x20000, 32);
	ASSERT_EQ(0, UNMAP(0, 0, IOASID_UNMAP_ALL, &out));
	EXPECT_EQ(0x20000ULL, out);
}

TEST_F(ioas, map_auto_iova)
{
	__u64 iova = 0;

	ASSERT_EQ(0, map_ex(self->fd, self->ioas, U(self->buf), 0x10000,
			    &iova, RW, 0));
	EXPECT_EQ(0ULL, iova % PSZ);
	EXPECT_LE(iova, TOP(0x10000));	/* no wrap */
	CHECK_BYTES(self->ioas, iova, self->buf, 0x10000);
	CHECK_INFO(self->ioas, 1, 0x10000, 16);
}

TEST_F(ioas, map_auto_iova_align)
{
	static const __u64 aligns[] = { PSZ, 0x10000, 2 * MiB, 1ULL << 30,
					1ULL << 40 };
	unsigned int i;
	__u64 iova;

	for (i = 0; i < ARRAY_SIZE(aligns); i++) {
		iova = 0;
		ASSERT_EQ(0, map_ex(self->fd, self->ioas,
				    U(self->buf + i * 0x10000), 0x10000,
				    &iova, RW, aligns[i]));
		if (iova % aligns[i])
			TH_LOG("align 0x%llx gave iova 0x%llx", aligns[i], iova);
		EXPECT_EQ(0ULL, iova % aligns[i]);
		CHECK_BYTES(self->ioas, iova, self->buf + i * 0x10000, 0x10000);
	}
	CHECK_INFO(self->ioas, ARRAY_SIZE(aligns),
		   ARRAY_SIZE(aligns) * 0x10000ULL, U64MAX);
}

TEST_F(ioas, map_write_via_iova_visible_to_user)
{
	uint8_t pat[0x2000];

	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	/* kernel side writes, user sees it: the pinned pages are ours */
	memset(pat, 0x3c, sizeof(pat));
	ASSERT_EQ(0, iova_rw(self->tfd, self->fd, self->ioas,
			     IOASID_TEST_RW_WRITE, IOVA_A + 0x3000, pat,
			     sizeof(pat), NULL));
	EXPECT_EQ(0, memcmp(self->buf + 0x3000, pat, sizeof(pat)));
	/* user writes, kernel side sees it */
	memset(self->buf + 0x8000, 0x5a, 0x1000);
	CHECK_BYTES(self->ioas, IOVA_A, self->buf, 0x10000);
}

TEST_F(ioas, map_same_memory_twice_same_phys)
{
	int i;

	ASSERT_EQ(0, MAPF(0, 0x4000, IOVA_A, RW));
	ASSERT_EQ(0, MAPF(0, 0x4000, IOVA_B, RO));
	for (i = 0; i < 4; i++) {
		__u64 pa = PHYS(self->ioas, IOVA_A + i * PSZ);

		EXPECT_NE(0ULL, pa);
		EXPECT_EQ(pa, PHYS(self->ioas, IOVA_B + i * PSZ));
	}
	EXPECT_NE(PHYS(self->ioas, IOVA_A), PHYS(self->ioas, IOVA_A + PSZ));
	CHECK_INFO(self->ioas, 2, 0x8000, U64MAX);
}

/* ---- UNMAP at the edges of the space ---- */

TEST_F(ioas, unmap_last_page_of_space)
{
	__u64 out;

	ASSERT_EQ(0, MAPF(0, PSZ, TOP(PSZ), RW));
	ASSERT_EQ(0, MAPF(PSZ, 2 * PSZ, TOP(4 * PSZ), RW));
	ASSERT_EQ(0, UNMAP(TOP(PSZ), PSZ, 0, &out));
	EXPECT_EQ(PSZ, out);
	ASSERT_UNMAPPED(self->ioas, TOP(PSZ));
	CHECK_BYTES(self->ioas, TOP(4 * PSZ), self->buf + PSZ, 2 * PSZ);
	/* a range ending exactly at 2^64, with holes */
	ASSERT_EQ(0, MAPF(0, PSZ, TOP(PSZ), RW));
	ASSERT_EQ(0, UNMAP(TOP(8 * PSZ), 8 * PSZ, 0, &out));
	EXPECT_EQ(3 * PSZ, out);
	CHECK_INFO(self->ioas, 0, 0, 0);
	EXPECT_EQ(-ENOENT, UNMAP(TOP(8 * PSZ), 8 * PSZ, 0, &out));
}

TEST_F(ioas, unmap_all_space_edges)
{
	__u64 out;

	ASSERT_EQ(0, MAPF(0, PSZ, 0, RW));
	ASSERT_EQ(0, MAPF(PSZ, PSZ, TOP(PSZ), RW));
	ASSERT_EQ(0, UNMAP(0, 0, IOASID_UNMAP_ALL, &out));
	EXPECT_EQ(2 * PSZ, out);
	ASSERT_UNMAPPED(self->ioas, 0);
	ASSERT_UNMAPPED(self->ioas, TOP(PSZ));
	CHECK_INFO(self->ioas, 0, 0, 0);
}

/* ---- MAP failures ---- */

TEST_F(mapped, map_zero_length_einval)
{
	__u64 iova = 0;

	FAILS(EINVAL, MAPF(FREE_OFF, 0, FREE_IOVA, RW));
	FAILS(EINVAL, map_ex(self->fd, self->ioas, U(self->buf + FREE_OFF), 0,
			     &iova, RW, 0));
}

TEST_F(mapped, map_misaligned_einval)
{
	__u64 iova = 0;

	FAILS(EINVAL, MAPF(FREE_OFF + 1, PSZ, FREE_IOVA, RW));
	FAILS(EINVAL, MAPF(FREE_OFF + 0x800, PSZ, FREE_IOVA, RW));
	FAILS(EINVAL, MAPF(FREE_OFF, PSZ + 1, FREE_IOVA, RW));
	FAILS(EINVAL, MAPF(FREE_OFF, 0x800, FREE_IOVA, RW));
	FAILS(EINVAL, MAPF(FREE_OFF, PSZ, FREE_IOVA + 0x10, RW));
	FAILS(EINVAL, MAPF(FREE_OFF, PSZ, FREE_IOVA + 0x800, RW));
	FAILS(EINVAL, map_ex(self->fd, self->ioas, U(self->buf + 8), PSZ,
			     &iova, RW, 0));
}

TEST_F(mapped, map_no_permission_einval)
{
	__u64 iova = 0;

	FAILS(EINVAL, MAPF(FREE_OFF, PSZ, FREE_IOVA, 0));
	FAILS(EINVAL, map_ex(self->fd, self->ioas, U(self->buf + FREE_OFF),
			     PSZ, &iova, 0, 0));
}

TEST_F(mapped, map_bad_align_einval)
{
	static const __u64 bad[] = { 3 * PSZ, 0x3000 + 0x10000, PSZ / 2, 1,
				     512, (1ULL << 63) + PSZ };
	unsigned int i;
	__u64 iova;

	int rc;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		iova = 0;
		rc = map_ex(self->fd, self->ioas, U(self->buf + FREE_OFF), PSZ,
			    &iova, RW, bad[i]);
		if (rc != -EINVAL)
			TH_LOG("align 0x%llx: got %d, want -EINVAL", bad[i], rc);
		ASSERT_EQ(-EINVAL, rc);
		ASSERT_INTACT();
	}
	/* align with FIXED_IOVA */
	iova = FREE_IOVA;
	FAILS(EINVAL, map_ex(self->fd, self->ioas, U(self->buf + FREE_OFF), PSZ,
			     &iova, RW | FIXED, PSZ));
	FAILS(EINVAL, map_ex(self->fd, self->ioas, U(self->buf + FREE_OFF), PSZ,
			     &iova, RW | FIXED, 2 * MiB));
}

TEST_F(mapped, map_addr_overflow_eoverflow)
{
	__u64 iova = 0;

	FAILS(EOVERFLOW, map_fixed(self->fd, self->ioas, TOP(PSZ), 2 * PSZ,
				   FREE_IOVA, RW));
	FAILS(EOVERFLOW, map_ex(self->fd, self->ioas, TOP(PSZ), 2 * PSZ,
				&iova, RW, 0));
	FAILS(EOVERFLOW, map_fixed(self->fd, self->ioas, TOP(0x10000),
				   0x20000, FREE_IOVA, RW));
}

TEST_F(mapped, map_iova_overflow_eoverflow)
{
	/* [2^64 - 4K, 2^64 + 4K): free at both ends, but wraps */
	FAILS(EOVERFLOW, MAPF(FREE_OFF, 2 * PSZ, TOP(PSZ), RW));
	FAILS(EOVERFLOW, MAPF(FREE_OFF, 0x20000, TOP(0x10000), RW));
}

TEST_F(mapped, map_overlap_full_eexist)
{
	unsigned int i;

	for (i = 0; i < NR_KMAPS; i++) {
		/* exact */
		FAILS(EEXIST, MAPF(FREE_OFF, kmaps[i].len, kmaps[i].iova, RW));
		/* strictly inside */
		FAILS(EEXIST, MAPF(FREE_OFF, 0x4000, kmaps[i].iova + 0x4000, RO));
		/* containing */
		FAILS(EEXIST, MAPF(FREE_OFF, kmaps[i].len + 0x8000,
				   kmaps[i].iova - 0x4000, RW));
	}
}

TEST_F(mapped, map_overlap_partial_eexist)
{
	/* head of M0 */
	FAILS(EEXIST, MAPF(FREE_OFF, 0x8000, M0.iova - 0x4000, RW));
	/* tail of M0 */
	FAILS(EEXIST, MAPF(FREE_OFF, 0x8000, M0.iova + 0xc000, RW));
	/* a single page: first and last of M0 */
	FAILS(EEXIST, MAPF(FREE_OFF, PSZ, M0.iova, RW));
	FAILS(EEXIST, MAPF(FREE_OFF, PSZ, M0.iova + M0.len - PSZ, RW));
	/* from M0 across the hole into M1 */
	FAILS(EEXIST, MAPF(FREE_OFF, M1.iova + PSZ - M0.iova, M0.iova, RW));
	/* from the hole into the head of M2 and out of the tail of M2 */
	FAILS(EEXIST, MAPF(FREE_OFF, 2 * PSZ, M2.iova - PSZ, RW));
	FAILS(EEXIST, MAPF(FREE_OFF, 2 * PSZ, M2.iova + M2.len - PSZ, RW));
}

TEST_F(mapped, map_adjacent_ok)
{
	__u64 out;

	ASSERT_EQ(0, MAPF(FREE_OFF, 0x4000, M0.iova - 0x4000, RW));
	ASSERT_EQ(0, MAPF(FREE_OFF + 0x4000, 0x4000, M0.iova + M0.len, RO));
	ASSERT_EQ(0, MAPF(FREE_OFF + 0x8000, 0x4000, M2.iova - 0x4000, RW));
	ASSERT_EQ(0, MAPF(FREE_OFF + 0xc000, 0x4000, M2.iova + M2.len, RW));
	CHECK_BYTES(self->ioas, M0.iova - 0x4000, self->buf + FREE_OFF, 0x4000);
	CHECK_BYTES(self->ioas, M0.iova + M0.len, self->buf + FREE_OFF + 0x4000,
		    0x4000);
	CHECK_BYTES(self->ioas, M2.iova - 0x4000, self->buf + FREE_OFF + 0x8000,
		    0x4000);
	CHECK_BYTES(self->ioas, M2.iova + M2.len,
		    self->buf + FREE_OFF + 0xc000, 0x4000);
	CHECK_INFO(self->ioas, NR_KMAPS + 4, KMAP_BYTES + 0x10000, U64MAX);
	/* separate mappings: each unmaps exactly, without splitting */
	ASSERT_EQ(0, UNMAP(M0.iova - 0x4000, 0x4000, 0, &out));
	EXPECT_EQ(0x4000ULL, out);
	ASSERT_EQ(0, UNMAP(M0.iova + M0.len, 0x4000, 0, &out));
	EXPECT_EQ(0x4000ULL, out);
	ASSERT_EQ(0, UNMAP(M2.iova - 0x4000, 0x4000, 0, &out));
	EXPECT_EQ(0x4000ULL, out);
	ASSERT_EQ(0, UNMAP(M2.iova + M2.len, 0x4000, 0, &out));
	EXPECT_EQ(0x4000ULL, out);
	ASSERT_INTACT();
}

TEST_F(mapped, map_auto_iova_avoids_existing)
{
	__u64 iova[8];
	unsigned int i, j;

	for (i = 0; i < 8; i++) {
		iova[i] = 0;
		ASSERT_EQ(0, map_ex(self->fd, self->ioas,
				    U(self->buf + FREE_OFF + i * 0x10000),
				    0x10000, &iova[i], RW, 0));
		for (j = 0; j < NR_KMAPS; j++)
			EXPECT_TRUE(iova[i] + 0x10000 <= kmaps[j].iova ||
				    iova[i] >= kmaps[j].iova + kmaps[j].len);
		for (j = 0; j < i; j++)
			EXPECT_TRUE(iova[i] + 0x10000 <= iova[j] ||
				    iova[i] >= iova[j] + 0x10000);
	}
	for (i = 0; i < 8; i++)
		CHECK_BYTES(self->ioas, iova[i],
			    self->buf + FREE_OFF + i * 0x10000, 0x10000);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, UNMAP(iova[i], 0x10000, 0, NULL));
	ASSERT_INTACT();
}

TEST_F(mapped, map_fault_unmapped_efault)
{
	void *p = mmap(NULL, 4 * PSZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u64 iova = 0;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, 4 * PSZ));
	FAILS(EFAULT, map_fixed(self->fd, self->ioas, U(p), 4 * PSZ, FREE_IOVA,
				RW));
	FAILS(EFAULT, map_ex(self->fd, self->ioas, U(p), 4 * PSZ, &iova, RO, 0));
	/* the NULL page and a kernel address */
	FAILS(EFAULT, map_fixed(self->fd, self->ioas, 0, PSZ, FREE_IOVA, RW));
	FAILS(EFAULT, map_fixed(self->fd, self->ioas, 0xffff888000000000ULL,
				PSZ, FREE_IOVA, RW));
}

TEST_F(mapped, map_fault_prot_none_efault)
{
	void *p = mmap(NULL, 4 * PSZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	FAILS(EFAULT, map_fixed(self->fd, self->ioas, U(p), 4 * PSZ, FREE_IOVA,
				RW));
	FAILS(EFAULT, map_fixed(self->fd, self->ioas, U(p), PSZ, FREE_IOVA,
				RO));
	munmap(p, 4 * PSZ);
}

TEST_F(mapped, map_fault_partial_efault)
{
	uint8_t *p = new_buf(_metadata, 8 * PSZ, 0xfa17u);
	__u64 out;

	/* last two pages inaccessible: nothing of the first six may stick */
	ASSERT_EQ(0, mprotect(p + 6 * PSZ, 2 * PSZ, PROT_NONE));
	FAILS(EFAULT, map_fixed(self->fd, self->ioas, U(p), 8 * PSZ, FREE_IOVA,
				RW));
	ASSERT_UNMAPPED(self->ioas, FREE_IOVA);
	/* a hole in the middle */
	ASSERT_EQ(0, munmap(p + 3 * PSZ, PSZ));
	FAILS(EFAULT, map_fixed(self->fd, self->ioas, U(p), 6 * PSZ, FREE_IOVA,
				RW));
	/* the valid part alone maps fine */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p), 3 * PSZ, FREE_IOVA,
			       RW));
	CHECK_BYTES(self->ioas, FREE_IOVA, p, 3 * PSZ);
	ASSERT_EQ(0, UNMAP(FREE_IOVA, 3 * PSZ, 0, &out));
	EXPECT_EQ(3 * PSZ, out);
	ASSERT_INTACT();
}

TEST_F(mapped, map_unknown_flags_eopnotsupp)
{
	__u64 iova = 0;

	FAILS(EOPNOTSUPP, MAPF(FREE_OFF, PSZ, FREE_IOVA, RW | 1U << 3));
	FAILS(EOPNOTSUPP, MAPF(FREE_OFF, PSZ, FREE_IOVA, RW | 1U << 31));
	FAILS(EOPNOTSUPP, map_ex(self->fd, self->ioas, U(self->buf + FREE_OFF),
				 PSZ, &iova, RO | 1U << 16, 0));
}

TEST_F(mapped, map_reserved_einval)
{
	struct ioasid_ioas_map m = {
		.size = sizeof(m), .flags = RW | FIXED, .ioas_id = self->ioas,
		.__reserved = 1, .addr = U(self->buf + FREE_OFF),
		.length = PSZ, .iova = FREE_IOVA,
	};

	FAILS(EINVAL, xioctl(self->fd, IOASID_IOAS_MAP, &m));
	m.__reserved = 0x80000000U;
	FAILS(EINVAL, xioctl(self->fd, IOASID_IOAS_MAP, &m));
}

TEST_F(mapped, map_unknown_ioas_enoent)
{
	__u32 gone;

	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &gone));
	ASSERT_EQ(0, destroy(self->fd, gone));
	FAILS(ENOENT, map_fixed(self->fd, BAD_ID, U(self->buf + FREE_OFF), PSZ,
				FREE_IOVA, RW));
	FAILS(ENOENT, map_fixed(self->fd, 0, U(self->buf + FREE_OFF), PSZ,
				FREE_IOVA, RW));
	FAILS(ENOENT, map_fixed(self->fd, gone, U(self->buf + FREE_OFF), PSZ,
				FREE_IOVA, RW));
}

TEST_F(mapped, map_undersized_einval)
{
	struct ioasid_ioas_map m = {
		.flags = RW | FIXED, .ioas_id = self->ioas,
		.addr = U(self->buf + FREE_OFF), .length = PSZ,
		.iova = FREE_IOVA,
	};

	m.size = offsetof(struct ioasid_ioas_map, align);
	FAILS(EINVAL, xioctl(self->fd, IOASID_IOAS_MAP, &m));
	m.size = 0;
	FAILS(EINVAL, xioctl(self->fd, IOASID_IOAS_MAP, &m));
}

TEST_F(mapped, map_oversized_tail)
{
	struct {
		struct ioasid_ioas_map m;
		__u64 tail[2];
	} big = { .m = {
		.size = sizeof(big), .flags = RW | FIXED, .ioas_id = self->ioas,
		.addr = U(self->buf + FREE_OFF), .length = 0x4000,
		.iova = FREE_IOVA,
	} };
	__u64 out;

	big.tail[1] = 1;
	FAILS(E2BIG, xioctl(self->fd, IOASID_IOAS_MAP, &big));
	big.tail[1] = 0;
	ASSERT_EQ(0, xioctl(self->fd, IOASID_IOAS_MAP, &big));
	CHECK_BYTES(self->ioas, FREE_IOVA, self->buf + FREE_OFF, 0x4000);
	ASSERT_EQ(0, UNMAP(FREE_IOVA, 0x4000, 0, &out));
	EXPECT_EQ(0x4000ULL, out);
	ASSERT_INTACT();
}

TEST_F(mapped, map_bad_arg_pointer_efault)
{
	void *none = mmap(NULL, PSZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	ASSERT_NE(MAP_FAILED, none);
	FAILS(EFAULT, xioctl(self->fd, IOASID_IOAS_MAP, (void *)8));
	FAILS(EFAULT, xioctl(self->fd, IOASID_IOAS_MAP, none));
	munmap(none, PSZ);
}

/* ---- UNMAP ---- */

TEST_F(mapped, unmap_exact)
{
	__u64 out = 0;

	ASSERT_EQ(0, UNMAP(M0.iova, M0.len, 0, &out));
	EXPECT_EQ(M0.len, out);
	ASSERT_UNMAPPED(self->ioas, M0.iova);
	ASSERT_UNMAPPED(self->ioas, M0.iova + M0.len - PSZ);
	CHECK_BYTES(self->ioas, M1.iova, self->buf + M1.off, M1.len);
	CHECK_BYTES(self->ioas, M2.iova, self->buf + M2.off, M2.len);
	CHECK_INFO(self->ioas, 2, KMAP_BYTES - M0.len,
		   (KMAP_BYTES - M0.len) / PSZ);
	/* and again: nothing there any more */
	ASSERT_EQ(-ENOENT, UNMAP(M0.iova, M0.len, 0, NULL));
	CHECK_INFO(self->ioas, 2, KMAP_BYTES - M0.len, U64MAX);
}

TEST_F(mapped, unmap_range_with_holes)
{
	__u64 out = 0;

	/* [0, 4 MiB): hole, M0, hole, M1, hole */
	ASSERT_EQ(0, UNMAP(0, 4 * MiB, 0, &out));
	EXPECT_EQ(M0.len + M1.len, out);
	ASSERT_UNMAPPED(self->ioas, M0.iova);
	ASSERT_UNMAPPED(self->ioas, M1.iova);
	CHECK_BYTES(self->ioas, M2.iova, self->buf + M2.off, M2.len);
	CHECK_INFO(self->ioas, 1, M2.len, M2.len / PSZ);
}

TEST_F(mapped, unmap_nearly_whole_space)
{
	__u64 out = 0;

	/* [0, 2^64 - 4K) covers all three */
	ASSERT_EQ(0, UNMAP(0, TOP(PSZ), 0, &out));
	EXPECT_EQ(KMAP_BYTES, out);
	CHECK_INFO(self->ioas, 0, 0, 0);
}

TEST_F(mapped, unmap_range_ending_at_2_64)
{
	__u64 out = 0;

	ASSERT_EQ(0, UNMAP(TOP(4 * MiB), 4 * MiB, 0, &out));
	EXPECT_EQ(M2.len, out);
	ASSERT_UNMAPPED(self->ioas, M2.iova);
	CHECK_INFO(self->ioas, 2, M0.len + M1.len, U64MAX);
}

TEST_F(mapped, unmap_hole_enoent)
{
	FAILS(ENOENT, UNMAP(FREE_IOVA, 0x10000, 0, NULL));
	FAILS(ENOENT, UNMAP(M0.iova + M0.len, M1.iova - M0.iova - M0.len, 0,
			    NULL));
	FAILS(ENOENT, UNMAP(0, PSZ, 0, NULL));
	FAILS(ENOENT, UNMAP(TOP(PSZ), PSZ, 0, NULL));
	FAILS(ENOENT, UNMAP(TOP(MiB), MiB, 0, NULL));
}

TEST_F(mapped, unmap_split_ebusy)
{
	/* the middle of M0 */
	FAILS(EBUSY, UNMAP(M0.iova + 0x4000, 0x4000, 0, NULL));
	/* hole + head of M0 */
	FAILS(EBUSY, UNMAP(M0.iova - 0x10000, 0x14000, 0, NULL));
	/* tail of M0 + hole */
	FAILS(EBUSY, UNMAP(M0.iova + 0xc000, 0x10000, 0, NULL));
	/* half of M0 + all of M1: M1 must not go either */
	FAILS(EBUSY, UNMAP(M0.iova + 0x8000, M1.iova + M1.len - M0.iova - 0x8000,
			   0, NULL));
	/* all of M0 + head of M1 */
	FAILS(EBUSY, UNMAP(M0.iova, M1.iova + PSZ - M0.iova, 0, NULL));
	/* the first and the last page of M2 */
	FAILS(EBUSY, UNMAP(M2.iova, PSZ, 0, NULL));
	FAILS(EBUSY, UNMAP(M2.iova + M2.len - PSZ, PSZ, 0, NULL));
}

TEST_F(mapped, unmap_allow_split_middle)
{
	__u64 out = 0;

	ASSERT_EQ(0, UNMAP(M0.iova + 0x5000, 0x3000, IOASID_UNMAP_ALLOW_SPLIT,
			   &out));
	EXPECT_EQ(0x3000ULL, out);
	CHECK_BYTES(self->ioas, M0.iova, self->buf + M0.off, 0x5000);
	CHECK_BYTES(self->ioas, M0.iova + 0x8000, self->buf + M0.off + 0x8000,
		    0x8000);
	ASSERT_UNMAPPED(self->ioas, M0.iova + 0x5000);
	ASSERT_UNMAPPED(self->ioas, M0.iova + 0x7000);
	CHECK_INFO(self->ioas, NR_KMAPS + 1, KMAP_BYTES - 0x3000,
		   KMAP_BYTES / PSZ - 3);
	/* the pieces are mappings of their own now */
	ASSERT_EQ(0, UNMAP(M0.iova, 0x5000, 0, &out));
	EXPECT_EQ(0x5000ULL, out);
	CHECK_BYTES(self->ioas, M0.iova + 0x8000, self->buf + M0.off + 0x8000,
		    0x8000);
	ASSERT_EQ(0, UNMAP(M0.iova + 0x8000, 0x8000, 0, &out));
	EXPECT_EQ(0x8000ULL, out);
	CHECK_INFO(self->ioas, NR_KMAPS - 1, KMAP_BYTES - M0.len, U64MAX);
	CHECK_BYTES(self->ioas, M1.iova, self->buf + M1.off, M1.len);
	CHECK_BYTES(self->ioas, M2.iova, self->buf + M2.off, M2.len);
}

TEST_F(mapped, unmap_allow_split_edges)
{
	__u64 out = 0;

	/* first page, last page of M0 */
	ASSERT_EQ(0, UNMAP(M0.iova, PSZ, IOASID_UNMAP_ALLOW_SPLIT, &out));
	EXPECT_EQ(PSZ, out);
	ASSERT_EQ(0, UNMAP(M0.iova + M0.len - PSZ, PSZ,
			   IOASID_UNMAP_ALLOW_SPLIT, &out));
	EXPECT_EQ(PSZ, out);
	CHECK_BYTES(self->ioas, M0.iova + PSZ, self->buf + M0.off + PSZ,
		    M0.len - 2 * PSZ);
	ASSERT_UNMAPPED(self->ioas, M0.iova);
	ASSERT_UNMAPPED(self->ioas, M0.iova + M0.len - PSZ);
	CHECK_INFO(self->ioas, NR_KMAPS, KMAP_BYTES - 2 * PSZ,
		   KMAP_BYTES / PSZ - 2);
	/* tail of what is left of M0, the hole, and all of M1 */
	ASSERT_EQ(0, UNMAP(M0.iova + 0x8000, M1.iova + M1.len - M0.iova - 0x8000,
			   IOASID_UNMAP_ALLOW_SPLIT, &out));
	EXPECT_EQ(0x8000ULL - PSZ + M1.len, out);
	CHECK_BYTES(self->ioas, M0.iova + PSZ, self->buf + M0.off + PSZ,
		    0x8000 - PSZ);
	ASSERT_UNMAPPED(self->ioas, M1.iova);
	/* M2 split at the last page of the space it uses */
	ASSERT_EQ(0, UNMAP(M2.iova + M2.len - PSZ, PSZ,
			   IOASID_UNMAP_ALLOW_SPLIT, &out));
	EXPECT_EQ(PSZ, out);
	CHECK_BYTES(self->ioas, M2.iova, self->buf + M2.off, M2.len - PSZ);
}

TEST_F(mapped, unmap_all)
{
	__u64 out = 0;
	unsigned int i;

	ASSERT_EQ(0, UNMAP(0, 0, IOASID_UNMAP_ALL, &out));
	EXPECT_EQ(KMAP_BYTES, out);
	for (i = 0; i < NR_KMAPS; i++) {
		ASSERT_UNMAPPED(self->ioas, kmaps[i].iova);
		ASSERT_UNMAPPED(self->ioas, kmaps[i].iova + kmaps[i].len - PSZ);
	}
	CHECK_INFO(self->ioas, 0, 0, 0);
	/* everything can be mapped again at the same places */
	for (i = 0; i < NR_KMAPS; i++)
		ASSERT_EQ(0, MAPF(kmaps[i].off, kmaps[i].len, kmaps[i].iova,
				  kmaps[i].flags));
	ASSERT_INTACT();
}

TEST_F(mapped, unmap_all_nonzero_einval)
{
	FAILS(EINVAL, UNMAP(M0.iova, 0, IOASID_UNMAP_ALL, NULL));
	FAILS(EINVAL, UNMAP(0, PSZ, IOASID_UNMAP_ALL, NULL));
	FAILS(EINVAL, UNMAP(M0.iova, M0.len, IOASID_UNMAP_ALL, NULL));
}

TEST_F(mapped, unmap_zero_length_einval)
{
	FAILS(EINVAL, UNMAP(M0.iova, 0, 0, NULL));
	FAILS(EINVAL, UNMAP(M0.iova, 0, IOASID_UNMAP_ALLOW_SPLIT, NULL));
}

TEST_F(mapped, unmap_misaligned_einval)
{
	FAILS(EINVAL, UNMAP(M0.iova + 1, M0.len, 0, NULL));
	FAILS(EINVAL, UNMAP(M0.iova, M0.len + 0x800, 0, NULL));
	FAILS(EINVAL, UNMAP(M0.iova, M0.len - 1, IOASID_UNMAP_ALLOW_SPLIT, NULL));
	FAILS(EINVAL, UNMAP(M0.iova + 0x800, PSZ, IOASID_UNMAP_ALLOW_SPLIT,
			    NULL));
}

TEST_F(mapped, unmap_overflow_eoverflow)
{
	FAILS(EOVERFLOW, UNMAP(TOP(PSZ), 2 * PSZ, 0, NULL));
	/* covers M2, then wraps around onto M0 */
	FAILS(EOVERFLOW, UNMAP(M2.iova, 4 * MiB, 0, NULL));
	FAILS(EOVERFLOW, UNMAP(M2.iova, U64MAX - PSZ + 1, 0, NULL));
	FAILS(EOVERFLOW, UNMAP(TOP(PSZ), 2 * PSZ, IOASID_UNMAP_ALLOW_SPLIT,
			       NULL));
}

TEST_F(mapped, unmap_unknown_flags_eopnotsupp)
{
	FAILS(EOPNOTSUPP, UNMAP(M0.iova, M0.len, 1U << 2, NULL));
	FAILS(EOPNOTSUPP, UNMAP(M0.iova, M0.len, 1U << 31, NULL));
	FAILS(EOPNOTSUPP, UNMAP(0, 0, IOASID_UNMAP_ALL | 1U << 5, NULL));
}

TEST_F(mapped, unmap_reserved_and_size_einval)
{
	struct ioasid_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = self->ioas, .__reserved = 1,
		.iova = M0.iova, .length = M0.len,
	};
	struct {
		struct ioasid_ioas_unmap u;
		__u64 tail;
	} big = { .u = {
		.size = sizeof(big), .ioas_id = self->ioas,
		.iova = M0.iova, .length = M0.len,
	}, .tail = 1 };

	FAILS(EINVAL, xioctl(self->fd, IOASID_IOAS_UNMAP, &u));
	u.__reserved = 0;
	u.size = offsetof(struct ioasid_ioas_unmap, length);
	FAILS(EINVAL, xioctl(self->fd, IOASID_IOAS_UNMAP, &u));
	FAILS(E2BIG, xioctl(self->fd, IOASID_IOAS_UNMAP, &big));
	FAILS(EFAULT, xioctl(self->fd, IOASID_IOAS_UNMAP, (void *)8));
}

TEST_F(mapped, unmap_unknown_ioas_enoent)
{
	FAILS(ENOENT, unmap(self->fd, BAD_ID, M0.iova, M0.len, 0, NULL));
	FAILS(ENOENT, unmap(self->fd, 0, 0, 0, IOASID_UNMAP_ALL, NULL));
}

TEST_HARNESS_MAIN
