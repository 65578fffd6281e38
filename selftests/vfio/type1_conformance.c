// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO type1v2 conformance, written against the VFIO uAPI documentation
 * (include/uapi/linux/vfio.h, Documentation/driver-api/vfio.rst) and
 * nothing else: it does not know which IOMMU driver serves the container.
 * selftests/vfio/run.sh runs it unchanged against vfio_iommu_type1 and
 * against ioasid-vfio in the same VM and compares the answers: every
 * value checked is also appended to $VFIO_ANSWERS ("test item=value").
 *
 * The DMA-available test expects a dma_entry_limit of at most 64 (run.sh
 * sets 16 for both drivers); with more it is skipped.
 */
#include <stdarg.h>
#include <stddef.h>

#include "kselftest_harness.h"
#include "vfio_util.h"
#include "vfio_answers.h"

#define IOVA 0x100000UL		/* 1 MiB: below edu's 28-bit mask */
#define NPAGES 16

FIXTURE(c) {
	struct vfio_env e;
	char *buf;
};

FIXTURE_SETUP(c)
{
	const char *bdf = vfio_bdf();

	self->e.container = self->e.group = self->e.device = -1;
	self->buf = mmap(NULL, NPAGES * PSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	if (!bdf)
		SKIP(return, "no device bound to vfio-pci ($VFIO_BDF unset)");
	ASSERT_EQ(0, vfio_open(bdf, &self->e));
	ASSERT_EQ(0, vfio_serve(bdf, &self->e));
}

FIXTURE_TEARDOWN(c)
{
	vfio_close(&self->e);
	munmap(self->buf, NPAGES * PSZ);
}

TEST_F(c, extensions)
{
	int c = self->e.container;

	CHECK("api_version", VFIO_API_VERSION, ioctl(c, VFIO_GET_API_VERSION));
	CHECK("type1v2", 1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	CHECK("unmap_all", 1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	CHECK("bogus", 0, ioctl(c, VFIO_CHECK_EXTENSION, 0xdead));
	/* A served container refuses a second SET_IOMMU. */
	CHECK("set_iommu_again", -EINVAL,
	      ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) ? -errno : 0);
}

TEST_F(c, get_info)
{
	struct vfio_iommu_type1_info small = { .argsz = 8 };
	struct vfio_iommu_type1_info_cap_iova_range *r;
	struct vfio_iommu_type1_info *info;
	struct vfio_iommu_type1_info min;
	int c = self->e.container;
	uint32_t i;

	/* argsz below the pgsizes field */
	CHECK("argsz_small", -EINVAL,
	      ioctl(c, VFIO_IOMMU_GET_INFO, &small) ? -errno : 0);
	/* without room for capabilities: the size needed comes back */
	memset(&min, 0, sizeof(min));
	min.argsz = sizeof(min);
	CHECK("argsz_min", 0, ioctl(c, VFIO_IOMMU_GET_INFO, &min) ? -errno : 0);
	CHECK("min_flags", VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS,
	      min.flags);
	CHECK("min_cap_offset", 0, min.cap_offset);
	EXPECT_LT(sizeof(min), min.argsz);
	CHECK("pgsize_4k", 1, !!(min.iova_pgsizes & PSZ));
	CHECK("pgsize_below_4k", 0, min.iova_pgsizes & (PSZ - 1));

	info = vfio_info(c);
	ASSERT_NE(NULL, info);
	CHECK("cap_offset", sizeof(*info), info->cap_offset);
	CHECK("pgsizes", min.iova_pgsizes, info->iova_pgsizes);
	r = (void *)vfio_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	ASSERT_NE(NULL, r);
	CHECK("iova_cap_version", 1, r->header.version);
	ASSERT_LT(0, r->nr_iovas);
	ans(_metadata->name, "nr_iovas", r->nr_iovas);
	for (i = 0; i < r->nr_iovas; i++) {
		char item[32];

		snprintf(item, sizeof(item), "iova%u_start", i);
		ans(_metadata->name, item, r->iova_ranges[i].start);
		snprintf(item, sizeof(item), "iova%u_end", i);
		ans(_metadata->name, item, r->iova_ranges[i].end);
		EXPECT_LE(r->iova_ranges[i].start, r->iova_ranges[i].end);
		if (i)
			EXPECT_LT(r->iova_ranges[i - 1].end,
				  r->iova_ranges[i].start);
	}
	EXPECT_LE(r->iova_ranges[0].start, IOVA);
	CHECK("dma_avail_cap",
	      1, !!vfio_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL));
	free(info);
}

TEST_F(c, map_unmap)
{
	int c = self->e.container;
	long avail = vfio_dma_avail(c);
	uint64_t done;

	ASSERT_LT(0, avail);
	CHECK("map", 0, vfio_map(c, IOVA, self->buf, 4 * PSZ, VRW));
	CHECK("avail_after_map", avail - 1, vfio_dma_avail(c));
	CHECK("map_same", -EEXIST, vfio_map(c, IOVA, self->buf, 4 * PSZ, VRW));
	CHECK("map_overlap_tail", -EEXIST,
	      vfio_map(c, IOVA + 3 * PSZ, self->buf, 2 * PSZ, VRW));
	CHECK("map_overlap_head", -EEXIST,
	      vfio_map(c, IOVA - PSZ, self->buf, 2 * PSZ, VRW));
	CHECK("map_read_only", 0,
	      vfio_map(c, IOVA + 8 * PSZ, self->buf, PSZ, VFIO_DMA_MAP_FLAG_READ));
	CHECK("map_write_only", 0,
	      vfio_map(c, IOVA + 9 * PSZ, self->buf, PSZ, VFIO_DMA_MAP_FLAG_WRITE));
	CHECK("unmap", 0, vfio_unmap(c, IOVA, 4 * PSZ, 0, &done));
	CHECK("unmap_size", 4 * PSZ, done);
	CHECK("unmap_again", 0, vfio_unmap(c, IOVA, 4 * PSZ, 0, &done));
	CHECK("unmap_again_size", 0, done);
	/* a range over both single pages, and holes: both go */
	CHECK("unmap_cover", 0, vfio_unmap(c, IOVA, 16 * PSZ, 0, &done));
	CHECK("unmap_cover_size", 2 * PSZ, done);
	CHECK("avail_back", avail, vfio_dma_avail(c));
}

TEST_F(c, map_bad)
{
	struct vfio_iommu_type1_dma_map m;
	int c = self->e.container;
	long avail = vfio_dma_avail(c);
	char *b = self->buf;

	CHECK("no_perm", -EINVAL, vfio_map(c, IOVA, b, PSZ, 0));
	CHECK("unknown_flag", -EINVAL, vfio_map(c, IOVA, b, PSZ, VRW | (1 << 7)));
	CHECK("size0", -EINVAL, vfio_map(c, IOVA, b, 0, VRW));
	CHECK("iova_unaligned", -EINVAL, vfio_map(c, IOVA + 1, b, PSZ, VRW));
	CHECK("size_unaligned", -EINVAL, vfio_map(c, IOVA, b, PSZ + 1, VRW));
	CHECK("vaddr_unaligned", -EINVAL, vfio_map(c, IOVA, b + 8, PSZ, VRW));
	CHECK("iova_wrap", -EINVAL, vfio_map(c, -PSZ, b, 2 * PSZ, VRW));
	CHECK("beyond_aperture", -EINVAL, vfio_map(c, 1ULL << 62, b, PSZ, VRW));
	/* not the caller's memory */
	CHECK("bad_vaddr", -EFAULT, vfio_map(c, IOVA, (void *)PSZ, PSZ, VRW));
	memset(&m, 0, sizeof(m));
	m.argsz = offsetof(struct vfio_iommu_type1_dma_map, size);
	m.flags = VRW;
	m.vaddr = (uintptr_t)b;
	m.iova = IOVA;
	m.size = PSZ;
	CHECK("argsz_small", -EINVAL,
	      ioctl(c, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0);
	/* nothing of the above stayed mapped */
	CHECK("nothing_mapped", 0, vfio_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
					     NULL));
	CHECK("avail_untouched", avail, vfio_dma_avail(c));
}

/* type1v2: an unmap must not bisect a mapping; it may cover several. */
TEST_F(c, unmap_rules)
{
	struct vfio_iommu_type1_dma_unmap u;
	int c = self->e.container;
	long avail = vfio_dma_avail(c);
	uint64_t done;

	ASSERT_EQ(0, vfio_map(c, IOVA, self->buf, 4 * PSZ, VRW));
	ASSERT_EQ(0, vfio_map(c, IOVA + 4 * PSZ, self->buf + 4 * PSZ, 4 * PSZ, VRW));
	CHECK("bisect_head", -EINVAL, vfio_unmap(c, IOVA + PSZ, 3 * PSZ, 0, NULL));
	CHECK("bisect_tail", -EINVAL, vfio_unmap(c, IOVA, 2 * PSZ, 0, NULL));
	CHECK("bisect_both", -EINVAL,
	      vfio_unmap(c, IOVA + 2 * PSZ, 4 * PSZ, 0, NULL));
	CHECK("bisect_middle", -EINVAL,
	      vfio_unmap(c, IOVA + PSZ, PSZ, 0, NULL));
	CHECK("unaligned_iova", -EINVAL, vfio_unmap(c, IOVA + 1, PSZ, 0, NULL));
	CHECK("unaligned_size", -EINVAL, vfio_unmap(c, IOVA, PSZ + 1, 0, NULL));
	CHECK("size0", -EINVAL, vfio_unmap(c, IOVA, 0, 0, NULL));
	CHECK("wrap", -EINVAL, vfio_unmap(c, -PSZ, 2 * PSZ, 0, NULL));
	CHECK("unknown_flag", -EINVAL, vfio_unmap(c, IOVA, 4 * PSZ, 1 << 7, NULL));
	memset(&u, 0, sizeof(u));
	u.argsz = offsetof(struct vfio_iommu_type1_dma_unmap, iova);
	u.iova = IOVA;
	u.size = 4 * PSZ;
	CHECK("argsz_small", -EINVAL,
	      ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u) ? -errno : 0);
	CHECK("still_two", avail - 2, vfio_dma_avail(c));
	/* exactly one of the two */
	CHECK("first", 0, vfio_unmap(c, IOVA, 4 * PSZ, 0, &done));
	CHECK("first_size", 4 * PSZ, done);
	/* overlapping the hole before the second and beyond it */
	CHECK("overlap", 0, vfio_unmap(c, IOVA, 12 * PSZ, 0, &done));
	CHECK("overlap_size", 4 * PSZ, done);
	CHECK("empty", 0, vfio_unmap(c, IOVA, 12 * PSZ, 0, &done));
	CHECK("empty_size", 0, done);
}

TEST_F(c, unmap_all)
{
	int c = self->e.container;
	long avail = vfio_dma_avail(c);
	uint64_t done;

	ASSERT_EQ(0, vfio_map(c, IOVA, self->buf, PSZ, VRW));
	ASSERT_EQ(0, vfio_map(c, IOVA + 2 * PSZ, self->buf, 2 * PSZ, VRW));
	ASSERT_EQ(0, vfio_map(c, 0x4000000, self->buf, 8 * PSZ, VRW));
	CHECK("avail_3", avail - 3, vfio_dma_avail(c));
	CHECK("all_with_iova", -EINVAL,
	      vfio_unmap(c, IOVA, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	CHECK("all_with_size", -EINVAL,
	      vfio_unmap(c, 0, PSZ, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	CHECK("all", 0, vfio_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	CHECK("all_size", 11 * PSZ, done);
	CHECK("avail_back", avail, vfio_dma_avail(c));
	CHECK("all_empty", 0, vfio_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	CHECK("all_empty_size", 0, done);
}

/* DMA-available accounting: one entry per MAP_DMA, ENOSPC at the limit. */
TEST_F(c, dma_avail)
{
	int c = self->e.container;
	long avail = vfio_dma_avail(c), i;
	uint64_t done;

	ASSERT_LT(0, avail);
	if (avail > 64)
		SKIP(return, "dma_entry_limit %ld: run.sh sets 16", avail);
	ans(_metadata->name, "avail", avail);
	for (i = 0; i < avail; i++)
		ASSERT_EQ(0, vfio_map(c, IOVA + 2 * i * PSZ, self->buf, PSZ, VRW));
	CHECK("avail_0", 0, vfio_dma_avail(c));
	CHECK("map_full", -ENOSPC,
	      vfio_map(c, IOVA + 2 * avail * PSZ, self->buf, PSZ, VRW));
	/* overlap is reported before the limit */
	CHECK("map_full_overlap", -EEXIST, vfio_map(c, IOVA, self->buf, PSZ, VRW));
	CHECK("unmap_one", 0, vfio_unmap(c, IOVA, PSZ, 0, &done));
	CHECK("avail_1", 1, vfio_dma_avail(c));
	CHECK("map_again", 0, vfio_map(c, IOVA, self->buf, PSZ, VRW));
	CHECK("all", 0, vfio_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	CHECK("all_size", avail * PSZ, done);
}

/* The device's DMA goes through the container's mappings, and only them. */
TEST_F(c, edu_dma)
{
	int c = self->e.container;
	volatile void *bar;
	char *src = self->buf, *dst = self->buf + PSZ;
	int i;

	bar = vfio_bar0(self->e.device);
	ASSERT_NE(NULL, bar);
	ASSERT_EQ(0, vfio_enable_master(self->e.device));
	for (i = 0; i < XFER; i++)
		src[i] = (char)(i * 7 + 3);
	memset(dst, 0, PSZ);
	ASSERT_EQ(0, vfio_map(c, IOVA, self->buf, 2 * PSZ, VRW));
	ASSERT_EQ(0, edu_run_dma(bar, IOVA, EDU_BUF, XFER, 0));
	ASSERT_EQ(0, edu_run_dma(bar, EDU_BUF, IOVA + PSZ, XFER, 1));
	CHECK("round_trip", 0, memcmp(src, dst, XFER));
	/* unmapped: the device reaches nothing */
	ASSERT_EQ(0, vfio_unmap(c, IOVA, 2 * PSZ, 0, NULL));
	memset(dst, 0, PSZ);
	ASSERT_EQ(0, edu_run_dma(bar, EDU_BUF, IOVA + PSZ, XFER, 1));
	for (i = 0; i < XFER && !dst[i]; i++)
		;
	CHECK("after_unmap_untouched", XFER, i);
	/* a read-only mapping: the device cannot write through it */
	ASSERT_EQ(0, vfio_map(c, IOVA + PSZ, dst, PSZ, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, edu_run_dma(bar, EDU_BUF, IOVA + PSZ, XFER, 1));
	for (i = 0; i < XFER && !dst[i]; i++)
		;
	CHECK("read_only_untouched", XFER, i);
	munmap((void *)bar, 1 << 20);
}

TEST_HARNESS_MAIN
