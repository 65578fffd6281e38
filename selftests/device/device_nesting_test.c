// SPDX-License-Identifier: GPL-2.0
/*
 * Software nesting, proven by DMA: QEMU's edu device attached to a nested
 * IOAS (child IOVAs are addresses in the parent's IOVA space, two levels
 * deep) copies bytes through the composed translation the kernel built.
 * Parent unmaps take the child translations down (DMA afterwards does not
 * reach the page), nested maps charge nothing, a child cannot map what its
 * parent has not, copies between nested IOASes work, a parent with
 * children cannot be destroyed, and closing the fd with a live tree and an
 * attached device leaves nothing behind.
 */
#define IOASID_WANT_FIXTURE_EDU
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

#define P_IOVA 0x100000UL	/* parent: buf pages 0-3 */
#define C_IOVA 0x400000UL	/* child: parent IOVAs of pages 0-3 */
#define G_IOVA 0x800000UL	/* grandchild: child IOVAs of pages 0-3 */

/* parent (fixture IOAS) <- child <- grandchild, all four pages mapped. */
static void build_tree(struct __test_metadata *_metadata, FIXTURE_DATA(edu) *self,
		       __u32 *child, __u32 *grand)
{
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), 4 * PSZ, P_IOVA, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED, self->ioas, child));
	ASSERT_EQ(0, map_fixed(self->fd, *child, P_IOVA, 4 * PSZ, C_IOVA, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED, *child, grand));
	ASSERT_EQ(0, map_fixed(self->fd, *grand, C_IOVA, 4 * PSZ, G_IOVA, RW));
}

/* Bind, attach to @ioas, map BAR0. */
static void up_on(struct __test_metadata *_metadata, FIXTURE_DATA(edu) *self,
		  __u32 ioas)
{
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	ASSERT_EQ(0, dev_attach(self->dfd, ioas, 0, 0));
	ASSERT_EQ(0, enable_bus_master(self->dfd));
	self->bar = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->dfd, region_offset(0));
	ASSERT_NE(MAP_FAILED, self->bar);
}

TEST_F(edu, nested_two_levels_dma_roundtrip)
{
	struct ioasid_ioas_info info = { .size = sizeof(info) };
	__u32 child = 0, grand = 0;

	build_tree(_metadata, self, &child, &grand);
	info.ioas_id = grand;
	ASSERT_EQ(0, ioctl(self->fd, IOASID_IOAS_GET_INFO, &info));
	EXPECT_EQ(child, info.out_parent_id);
	EXPECT_EQ(2, info.out_depth);
	up_on(_metadata, self, grand);
	/* RAM (page 0) -> edu -> RAM (page 1), all by grandchild IOVAs. */
	ASSERT_EQ(0, edu_dma(self->bar, G_IOVA, EDU_BUF, XFER, false));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, G_IOVA + PSZ, XFER, true));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + PSZ, XFER));
	/* And a map made after the attach reaches the device too. */
	memset(self->buf + PSZ, 0, XFER);
	ASSERT_EQ(0, map_fixed(self->fd, grand, C_IOVA + PSZ, PSZ, G_IOVA + 8 * PSZ, RW));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, G_IOVA + 8 * PSZ, XFER, true));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + PSZ, XFER));
}

/*
 * A parent unmap removes every child mapping built on the range, whole (a
 * mapping is the unit its owner created), down the tree; mappings built
 * on other ranges stay.
 */
TEST_F(edu, parent_unmap_kills_child_translation)
{
	__u32 child = 0, grand = 0;

	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), 2 * PSZ, P_IOVA, RW));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf + 2 * PSZ), 2 * PSZ,
			       P_IOVA + 2 * PSZ, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED, self->ioas, &child));
	ASSERT_EQ(0, map_fixed(self->fd, child, P_IOVA, 2 * PSZ, C_IOVA, RW));
	ASSERT_EQ(0, map_fixed(self->fd, child, P_IOVA + 2 * PSZ, 2 * PSZ, C_IOVA + 2 * PSZ, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED, child, &grand));
	ASSERT_EQ(0, map_fixed(self->fd, grand, C_IOVA, 2 * PSZ, G_IOVA, RW));
	ASSERT_EQ(0, map_fixed(self->fd, grand, C_IOVA + 2 * PSZ, 2 * PSZ, G_IOVA + 2 * PSZ, RW));
	up_on(_metadata, self, grand);
	ASSERT_EQ(0, edu_dma(self->bar, G_IOVA, EDU_BUF, XFER, false));
	/* The root mapping behind grandchild pages 2-3 goes. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, P_IOVA + 2 * PSZ, 2 * PSZ, 0, NULL));
	/* DMA to grandchild pages 2-3 reaches nothing: the pages stay zero. */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, G_IOVA + 3 * PSZ, XFER, true));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, G_IOVA + 2 * PSZ, XFER, true));
	for (int i = 0; i < XFER; i++) {
		ASSERT_EQ(0, self->buf[3 * PSZ + i]);
		ASSERT_EQ(0, self->buf[2 * PSZ + i]);
	}
	/* Pages 0-1 are still reachable through the whole chain. */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, G_IOVA + PSZ, XFER, true));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + PSZ, XFER));
}

TEST_F(edu, nested_maps_charge_nothing_and_need_a_parent_mapping)
{
	long before = ioasid_stat("charged_pages");
	__u32 child = 0, grand = 0;

	build_tree(_metadata, self, &child, &grand);
	/* Four pages pinned and charged once, on the parent. */
	EXPECT_EQ(before + 4, ioasid_stat("charged_pages"));
	/* A parent range that is not mapped: refused, nothing changes. */
	EXPECT_EQ(-ENOENT, map_fixed(self->fd, child, P_IOVA + 16 * PSZ, PSZ,
				      C_IOVA + 16 * PSZ, RW));
	EXPECT_EQ(-ENOENT, map_fixed(self->fd, grand, C_IOVA + 2 * PSZ, 4 * PSZ,
				      G_IOVA + 32 * PSZ, RW));
	EXPECT_EQ(before + 4, ioasid_stat("charged_pages"));
}

TEST_F(edu, copy_between_nested_ioases)
{
	struct ioasid_ioas_copy c = { .size = sizeof(c) };
	__u32 child = 0, grand = 0, sibling = 0;

	build_tree(_metadata, self, &child, &grand);
	/* A second child of the same parent gets the child's mappings. */
	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED, self->ioas, &sibling));
	c.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE;
	c.dst_ioas_id = sibling;
	c.src_ioas_id = child;
	c.src_iova = C_IOVA;
	c.dst_iova = 0x2000000;
	c.length = 2 * PSZ;
	ASSERT_EQ(0, ioctl(self->fd, IOASID_IOAS_COPY, &c));
	up_on(_metadata, self, sibling);
	ASSERT_EQ(0, edu_dma(self->bar, 0x2000000, EDU_BUF, XFER, false));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, 0x2000000 + PSZ, XFER, true));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + PSZ, XFER));
}

TEST_F(edu, destroy_order)
{
	__u32 child = 0, grand = 0;

	build_tree(_metadata, self, &child, &grand);
	up_on(_metadata, self, grand);
	EXPECT_EQ(-EBUSY, destroy(self->fd, self->ioas));
	EXPECT_EQ(-EBUSY, destroy(self->fd, child));
	EXPECT_EQ(-EBUSY, destroy(self->fd, grand));	/* a device is attached */
	EXPECT_EQ(0, dev_detach(self->dfd, 0, 0));
	EXPECT_EQ(0, destroy(self->fd, grand));
	EXPECT_EQ(0, destroy(self->fd, child));
	EXPECT_EQ(0, destroy(self->fd, self->ioas));
}

TEST_F(edu, hardware_nesting_refused_with_reason)
{
	struct ioasid_device_info info = { .size = sizeof(info) };
	__u32 child = 0, grand = 0;

	build_tree(_metadata, self, &child, &grand);
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	TH_LOG("%s: nesting %s", info.out_iommu_driver,
	       info.out_iommu_caps & IOASID_IOMMU_CAP_NESTING ? "yes" : "no");
	EXPECT_EQ(-EINVAL, dev_attach(self->dfd, self->ioas, IOASID_ATTACH_HW_NESTED, 0));
	EXPECT_EQ(-EOPNOTSUPP, dev_attach(self->dfd, child, IOASID_ATTACH_HW_NESTED, 0));
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_EQ(0, info.out_ioas_id);
	if (!(info.out_iommu_caps & IOASID_IOMMU_CAP_NESTING))
		EXPECT_NE(NULL, strstr(info.out_decision.reason,
				       "cannot nest stages: use software nesting"))
			TH_LOG("reason: %s", info.out_decision.reason);
	EXPECT_NE(NULL, strstr(info.out_decision.reason, info.out_iommu_driver));
	/* Software nesting serves the same IOAS. */
	EXPECT_EQ(0, dev_attach(self->dfd, child, 0, 0));
}

TEST(close_with_live_tree_and_attached_device)
{
	struct ioasid_live base = ioasid_live();
	__u32 root = 0, child = 0;
	char *buf;
	int fd, dfd;

	OPEN_EDU_OR_SKIP(fd, dfd);
	buf = mmap(NULL, 2 * PSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, ioas_alloc(fd, 0, 0, &root));
	ASSERT_EQ(0, map_fixed(fd, root, U(buf), 2 * PSZ, P_IOVA, RW));
	ASSERT_EQ(0, ioas_alloc(fd, IOASID_IOAS_ALLOC_NESTED, root, &child));
	ASSERT_EQ(0, map_fixed(fd, child, P_IOVA, 2 * PSZ, C_IOVA, RW));
	ASSERT_EQ(0, dev_bind(dfd, fd, NULL));
	ASSERT_EQ(0, dev_attach(dfd, child, 0, 0));
	close(fd);
	close(dfd);
	EXPECT_NO_LEAK(base);
	munmap(buf, 2 * PSZ);
}

TEST_HARNESS_MAIN
