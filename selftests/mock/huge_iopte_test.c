// SPDX-License-Identifier: GPL-2.0
/*
 * huge_iopte_test: huge pages end to end, through the mock IOMMU's 2 MiB
 * IOPTEs (kernel/test/mock_iommu.c). THP- and hugetlb-backed memory mapped
 * at 2 MiB IOVA alignment with a mock device attached is translated by
 * huge IOPTEs; unmapping one 4 KiB page out of one leaves the other 511
 * reachable by DMA (the mock, like VT-d, drops a huge IOPTE whole when
 * asked to unmap part of it, so the core must map the rest again); the
 * automatic IOVA keeps the source's 2 MiB alignment for maps, copies and
 * nested maps; page pins return to their baseline after every unmap. An
 * edu device checks the same through the VM's real IOMMU.
 * Shared helpers: lib/ioasid_util.h.
 */
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

#define HUGE		(2 * MiB)
#define THP_DIR		"/sys/kernel/mm/transparent_hugepage"
#define HUGETLB_NR	"/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define HUGETLB_FREE	"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB	(21 << MAP_HUGE_SHIFT)
#endif

FIXTURE(huge) {
	int fd, tfd;
	__u32 ioas, mock;
	struct ioasid_live base;
	char thp_enabled[32];	/* to restore, or "" */
	long hugetlb_nr;	/* to restore, or -1 */
	void *raw;
	size_t raw_len;
};

FIXTURE_SETUP(huge)
{
	self->thp_enabled[0] = 0;
	self->hugetlb_nr = -1;
	self->raw = NULL;
	MOCK_IOAS_SETUP();
}

FIXTURE_TEARDOWN(huge)
{
	char path[] = THP_DIR "/enabled", nr[32];

	close(self->tfd);
	close(self->fd);
	if (self->raw)
		munmap(self->raw, self->raw_len);
	if (self->thp_enabled[0])
		sysfs_write(path, self->thp_enabled);
	if (self->hugetlb_nr >= 0) {
		snprintf(nr, sizeof(nr), "%ld", self->hugetlb_nr);
		sysfs_write(HUGETLB_NR, nr);
	}
	EXPECT_NO_LEAK(self->base);
}

/* 0 if the folio at @p is a 2 MiB one, else its order (or -errno). */
static int not_huge(int tfd, const void *p)
{
	struct ioasid_test_page_info pi;
	int rc = page_info(tfd, p, &pi);

	return rc ? rc : (pi.out_order == 9 ? 0 : (int)pi.out_order + 1);
}

/*
 * @len bytes (a multiple of 2 MiB) of 2 MiB-aligned anonymous memory backed
 * by transparent huge pages, filled with a pattern; skips without THP.
 */
static uint8_t *thp_alloc(struct __test_metadata *_metadata,
			  FIXTURE_DATA(huge) *self, size_t len, uint32_t seed)
{
	char path[] = THP_DIR "/enabled", mode[128];
	uint8_t *p;
	size_t off;

	if (sysfs_read(path, mode, sizeof(mode)))
		SKIP(return NULL, "kernel without transparent huge pages");
	if (strstr(mode, "[never]")) {
		snprintf(self->thp_enabled, sizeof(self->thp_enabled), "never");
		ASSERT_EQ(0, sysfs_write(path, "madvise"));
	}
	self->raw_len = len + HUGE;
	self->raw = mmap(NULL, self->raw_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->raw);
	p = (uint8_t *)(((uintptr_t)self->raw + HUGE - 1) & ~(HUGE - 1));
	ASSERT_EQ(0, madvise(p, len, MADV_HUGEPAGE));
	fill(p, len, seed);
	for (off = 0; off < len; off += HUGE) {
		if (not_huge(self->tfd, p + off) > 0)
			madvise(p + off, HUGE, MADV_COLLAPSE);
		ASSERT_EQ(0, not_huge(self->tfd, p + off))
			TH_LOG("no THP at +0x%zx (THP mode: %s)", off, mode);
	}
	return p;
}

/* @len bytes of 2 MiB hugetlb pages, reserved here; skips without hugetlb. */
static uint8_t *hugetlb_alloc(struct __test_metadata *_metadata,
			      FIXTURE_DATA(huge) *self, size_t len,
			      uint32_t seed)
{
	long nr = sysfs_long(HUGETLB_NR);
	char want[32];
	uint8_t *p;

	if (nr < 0)
		SKIP(return NULL, "kernel without hugetlbfs (no %s)", HUGETLB_NR);
	self->hugetlb_nr = nr;
	snprintf(want, sizeof(want), "%ld", nr + (long)(len / HUGE));
	ASSERT_EQ(0, sysfs_write(HUGETLB_NR, want));
	ASSERT_LE((long)(len / HUGE), sysfs_long(HUGETLB_FREE))
		TH_LOG("2 MiB huge pages: asked for %s, %ld free", want,
		       sysfs_long(HUGETLB_FREE));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap MAP_HUGETLB: %s", strerror(errno));
	self->raw = p;
	self->raw_len = len;
	fill(p, len, seed);
	return p;
}

#define IOPTE(iova)	mock_iopte_size(self->tfd, self->mock, iova)

/* The mock device reads @len bytes at @iova and finds @exp. */
static void check_dma(struct __test_metadata *_metadata, int tfd, __u32 mock,
		      __u64 iova, const void *exp, size_t len, int line)
{
	uint8_t *got = malloc(len);
	int rc;

	ASSERT_NE(NULL, got);
	rc = mock_dma(tfd, mock, 0, iova, got, len, false);
	if (rc || memcmp(got, exp, len))
		TH_LOG("line %d: DMA read of 0x%zx bytes at iova 0x%llx: %s", line,
		       len, iova, rc ? strerror(-rc) : "wrong bytes");
	free(got);
	ASSERT_EQ(0, rc);
}

#define CHECK_DMA(iova, exp, len) \
	check_dma(_metadata, self->tfd, self->mock, iova, exp, len, __LINE__)

/* DMA at @iova faults, and is counted. */
#define DMA_FAULTS(iova) do {						\
	__u64 _f0, _f1;							\
	uint8_t _b;							\
	ASSERT_EQ(0, mock_query(self->tfd, self->mock, 0, NULL, &_f0));	\
	EXPECT_EQ(-EFAULT, mock_dma(self->tfd, self->mock, 0, iova, &_b, 1, false)); \
	ASSERT_EQ(0, mock_query(self->tfd, self->mock, 0, NULL, &_f1));	\
	EXPECT_EQ(_f0 + 1, _f1);					\
} while (0)

/* Pins and references of the folio at @p, now. */
static struct ioasid_test_page_info folio_state(struct __test_metadata *_metadata,
						int tfd, const void *p)
{
	struct ioasid_test_page_info pi;

	memset(&pi, 0, sizeof(pi));
	ASSERT_EQ(0, page_info(tfd, p, &pi));
	return pi;
}

#define EXPECT_FOLIO(p, base, pins) do {				\
	struct ioasid_test_page_info _pi = folio_state(_metadata, self->tfd, p); \
	EXPECT_EQ((base).out_pins + (pins), _pi.out_pins);		\
	EXPECT_EQ((base).out_refcount + (pins), _pi.out_refcount);	\
} while (0)

/*
 * Map 4 MiB of huge-page memory @p at an automatic IOVA, cut one 4 KiB
 * page out of the first 2 MiB, and check IOPTEs, DMA and pins at each step.
 */
static void map_and_split(struct __test_metadata *_metadata,
			  FIXTURE_DATA(huge) *self, uint8_t *p)
{
	struct ioasid_test_page_info pi0, pi1;
	uint8_t data[64];
	__u64 iova, out, off;

	pi0 = folio_state(_metadata, self->tfd, p);
	pi1 = folio_state(_metadata, self->tfd, p + HUGE);
	EXPECT_EQ(9U, pi0.out_order);

	ASSERT_EQ(0, map_ex(self->fd, self->ioas, U(p), 2 * HUGE, &iova, RW, 0));
	EXPECT_EQ(0ULL, iova % HUGE) TH_LOG("auto IOVA 0x%llx", iova);
	for (off = 0; off < 2 * HUGE; off += HUGE / 4)
		EXPECT_EQ((long long)HUGE, IOPTE(iova + off));
	/* Every 4 KiB page of each folio is pinned once. */
	EXPECT_FOLIO(p, pi0, 512);
	EXPECT_FOLIO(p + HUGE, pi1, 512);
	CHECK_DMA(iova, p, 2 * HUGE);

	/* One page out of the first 2 MiB: the huge IOPTE is split. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, iova + 5 * PSZ, PSZ,
			   IOASID_UNMAP_ALLOW_SPLIT, &out));
	EXPECT_EQ(PSZ, out);
	EXPECT_EQ(0, IOPTE(iova + 5 * PSZ));
	DMA_FAULTS(iova + 5 * PSZ);
	/* The other 511 pages are mapped by 4 KiB IOPTEs and reachable. */
	for (off = 0; off < HUGE; off += PSZ)
		if (off != 5 * PSZ)
			ASSERT_EQ((long long)PSZ, IOPTE(iova + off))
				TH_LOG("iova + 0x%llx", off);
	CHECK_DMA(iova, p, 5 * PSZ);
	CHECK_DMA(iova + 6 * PSZ, p + 6 * PSZ, HUGE - 6 * PSZ);
	/* The second 2 MiB keeps its huge IOPTE. */
	EXPECT_EQ((long long)HUGE, IOPTE(iova + HUGE));
	CHECK_DMA(iova + HUGE, p + HUGE, HUGE);
	EXPECT_FOLIO(p, pi0, 511);
	EXPECT_FOLIO(p + HUGE, pi1, 512);

	/* Device writes on either side of the hole land in user memory. */
	fill(data, sizeof(data), 0xd0d0);
	ASSERT_EQ(0, mock_dma(self->tfd, self->mock, 0, iova + 5 * PSZ - 32,
			      data, 32, true));
	ASSERT_EQ(0, mock_dma(self->tfd, self->mock, 0, iova + 6 * PSZ,
			      data + 32, 32, true));
	EXPECT_EQ(0, memcmp(p + 5 * PSZ - 32, data, 32));
	EXPECT_EQ(0, memcmp(p + 6 * PSZ, data + 32, 32));

	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, 0, IOASID_UNMAP_ALL, &out));
	EXPECT_EQ(2 * HUGE - PSZ, out);
	DMA_FAULTS(iova);
	DMA_FAULTS(iova + HUGE);
	EXPECT_FOLIO(p, pi0, 0);
	EXPECT_FOLIO(p + HUGE, pi1, 0);
}

TEST_F(huge, thp_huge_iopte_split)
{
	uint8_t *p = thp_alloc(_metadata, self, 2 * HUGE, 0x7417);

	if (p)
		map_and_split(_metadata, self, p);
}

TEST_F(huge, hugetlb_huge_iopte_split)
{
	uint8_t *p = hugetlb_alloc(_metadata, self, 2 * HUGE, 0x4e7b);
	struct ioasid_test_page_info pi;

	if (!p)
		return;
	ASSERT_EQ(0, page_info(self->tfd, p, &pi));
	EXPECT_TRUE(pi.out_flags & IOASID_TEST_PAGE_HUGETLB);
	map_and_split(_metadata, self, p);
}

/* A cut across the boundary of two huge IOPTEs splits both. */
TEST_F(huge, split_across_two_huge_ioptes)
{
	uint8_t *p = thp_alloc(_metadata, self, 2 * HUGE, 0xb0b0);
	__u64 iova = IOVA_A, out;

	if (!p)
		return;

	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p), 2 * HUGE, iova, RW));
	EXPECT_EQ((long long)HUGE, IOPTE(iova));
	EXPECT_EQ((long long)HUGE, IOPTE(iova + HUGE));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, iova + HUGE - PSZ, 2 * PSZ,
			   IOASID_UNMAP_ALLOW_SPLIT, &out));
	EXPECT_EQ(2 * PSZ, out);
	DMA_FAULTS(iova + HUGE - PSZ);
	DMA_FAULTS(iova + HUGE);
	EXPECT_EQ((long long)PSZ, IOPTE(iova));
	EXPECT_EQ((long long)PSZ, IOPTE(iova + HUGE + PSZ));
	CHECK_DMA(iova, p, HUGE - PSZ);
	CHECK_DMA(iova + HUGE + PSZ, p + HUGE + PSZ, HUGE - PSZ);
	/* The left piece goes whole; the right one stays. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, iova, HUGE - PSZ, 0, &out));
	DMA_FAULTS(iova);
	CHECK_DMA(iova + HUGE + PSZ, p + HUGE + PSZ, HUGE - PSZ);
	CHECK_INFO(self->ioas, 1, HUGE - PSZ, (HUGE - PSZ) / PSZ);

	/* Off 2 MiB alignment nothing can be huge, and all still translates. */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p), HUGE, IOVA_B + PSZ, RW));
	EXPECT_EQ((long long)PSZ, IOPTE(IOVA_B + PSZ));
	EXPECT_EQ((long long)PSZ, IOPTE(IOVA_B + HUGE));
	CHECK_DMA(IOVA_B + PSZ, p, HUGE);
}

/* Automatic IOVAs keep the 2 MiB alignment of the source. */
TEST_F(huge, auto_iova_keeps_huge_alignment)
{
	uint8_t *p = thp_alloc(_metadata, self, 2 * HUGE, 0xa11a);
	__u64 small, iova, copy, child_iova, child_small, big;
	__u32 child, mock2;

	if (!p)
		return;

	/* An unaligned allocation first, so the next fit starts unaligned. */
	ASSERT_EQ(0, map_ex(self->fd, self->ioas, U(p), PSZ, &small, RW, 0));
	ASSERT_EQ(0, map_ex(self->fd, self->ioas, U(p), HUGE, &iova, RW, 0));
	EXPECT_EQ(0ULL, iova % HUGE) TH_LOG("map: IOVA 0x%llx", iova);
	EXPECT_EQ((long long)HUGE, IOPTE(iova));
	CHECK_DMA(iova, p, HUGE);

	/* A copy takes the alignment of its source IOVA. */
	ASSERT_EQ(0, map_ex(self->fd, self->ioas, U(p), PSZ, &small, RW, 0));
	ASSERT_EQ(0, copy_ex(self->fd, self->ioas, self->ioas, iova, HUGE,
			     &copy, RW));
	EXPECT_EQ(0ULL, copy % HUGE) TH_LOG("copy: IOVA 0x%llx", copy);
	EXPECT_EQ((long long)HUGE, IOPTE(copy));
	CHECK_DMA(copy, p, HUGE);

	/* Longer than 2 MiB from an aligned address: aligned, huge first. */
	ASSERT_EQ(0, map_ex(self->fd, self->ioas, U(p), PSZ, &small, RW, 0));
	ASSERT_EQ(0, map_ex(self->fd, self->ioas, U(p + HUGE), HUGE + PSZ,
			    &big, RW, 0));
	EXPECT_EQ(0ULL, big % HUGE) TH_LOG("map: IOVA 0x%llx", big);
	EXPECT_EQ((long long)HUGE, IOPTE(big));
	EXPECT_EQ((long long)PSZ, IOPTE(big + HUGE));

	/* A nested map of an aligned parent IOVA, seen by a device there. */
	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED, self->ioas,
				&child));
	ASSERT_EQ(0, mock_new_attached(self->tfd, self->fd, child,
				       IOASID_TEST_MOCK_COHERENT, &mock2));
	ASSERT_EQ(0, map_ex(self->fd, child, small, PSZ, &child_small, RW, 0));
	ASSERT_EQ(0, map_ex(self->fd, child, iova, HUGE, &child_iova, RW, 0));
	EXPECT_EQ(0ULL, child_iova % HUGE) TH_LOG("nested: IOVA 0x%llx",
						  child_iova);
	EXPECT_EQ((long long)HUGE, mock_iopte_size(self->tfd, mock2, child_iova));
	check_dma(_metadata, self->tfd, mock2, child_iova, p, HUGE, __LINE__);
	ASSERT_EQ(0, mock_simple(self->tfd, IOASID_TEST_MOCK_DESTROY, mock2));
}

/* A domain made after the map (attach) is filled with huge IOPTEs too. */
TEST_F(huge, attach_after_map_fills_huge)
{
	uint8_t *p = thp_alloc(_metadata, self, HUGE, 0xf111);
	__u32 ioas2, mock2;
	__u64 out;

	if (!p)
		return;

	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &ioas2));
	ASSERT_EQ(0, map_fixed(self->fd, ioas2, U(p), HUGE, IOVA_A, RW));
	ASSERT_EQ(0, mock_new_attached(self->tfd, self->fd, ioas2,
				       IOASID_TEST_MOCK_COHERENT, &mock2));
	EXPECT_EQ((long long)HUGE, mock_iopte_size(self->tfd, mock2, IOVA_A));
	check_dma(_metadata, self->tfd, mock2, IOVA_A, p, HUGE, __LINE__);
	ASSERT_EQ(0, unmap(self->fd, ioas2, IOVA_A + HUGE - PSZ, PSZ,
			   IOASID_UNMAP_ALLOW_SPLIT, &out));
	check_dma(_metadata, self->tfd, mock2, IOVA_A, p, HUGE - PSZ, __LINE__);
	EXPECT_EQ(0, mock_iopte_size(self->tfd, mock2, IOVA_A + HUGE - PSZ));
	ASSERT_EQ(0, mock_simple(self->tfd, IOASID_TEST_MOCK_DESTROY, mock2));
}

/* edu: copy XFER bytes from IOVA @src to IOVA @dst through its buffer. */
static int edu_copy(volatile void *bar, __u64 src, __u64 dst)
{
	return edu_dma(bar, src, EDU_BUF, XFER, false) ?:
	       edu_dma(bar, EDU_BUF, dst, XFER, true);
}

/*
 * The same through the VM's real IOMMU (intel-iommu or virtio-iommu, which
 * map 2 MiB runs with their own large pages): an edu device copies across
 * the two huge pages, then on both sides of a page cut out of one.
 */
TEST_F(huge, edu_dma_across_split_huge_mapping)
{
	uint8_t *p = thp_alloc(_metadata, self, 2 * HUGE, 0xed0e);
	const char *path = edu_dev_path();
	static const __u64 copies[][2] = {
		{ 3 * PSZ, HUGE + 7 * PSZ },		/* before the cut */
		{ 4 * PSZ, 6 * PSZ },			/* after: around it */
		{ HUGE - PSZ, HUGE + PSZ },
	};
	volatile void *bar;
	unsigned int i;
	__u64 out;
	int dfd;

	if (!p)
		return;
	if (!path)
		SKIP(return, "no edu device bound to ioasid-pci in this VM");
	dfd = open(path, O_RDWR);
	ASSERT_LE(0, dfd);
	/* Below edu's 28-bit DMA mask, 2 MiB aligned. */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p), 2 * HUGE, IOVA_A, RW));
	ASSERT_EQ(0, dev_bind(dfd, self->fd, NULL));
	ASSERT_EQ(0, dev_attach(dfd, self->ioas, 0, 0));
	ASSERT_EQ(0, enable_bus_master(dfd));
	bar = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, dfd,
		   region_offset(0));
	ASSERT_NE(MAP_FAILED, bar);
	for (i = 0; i < ARRAY_SIZE(copies); i++) {
		if (i == 1)
			ASSERT_EQ(0, unmap(self->fd, self->ioas,
					   IOVA_A + 5 * PSZ, PSZ,
					   IOASID_UNMAP_ALLOW_SPLIT, &out));
		ASSERT_EQ(0, edu_copy(bar, IOVA_A + copies[i][0],
				      IOVA_A + copies[i][1]));
		EXPECT_EQ(0, memcmp(p + copies[i][1], p + copies[i][0], XFER))
			TH_LOG("edu copy 0x%llx -> 0x%llx", copies[i][0],
			       copies[i][1]);
	}
	munmap((void *)bar, 1 << 20);
	close(dfd);
}

TEST_HARNESS_MAIN
