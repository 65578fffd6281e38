// SPDX-License-Identifier: GPL-2.0
/*
 * An emulated-IOMMU VFIO device (ioasid_test_vfio.ko, registered as mdev
 * drivers register theirs) in a type1v2 container: vfio_pin_pages(),
 * vfio_dma_rw() and the dma_unmap callback, as its driver sees them.
 * Written against VFIO only: selftests/vfio/emulated.sh runs it unchanged
 * against vfio_iommu_type1 and against ioasid-vfio and compares the
 * answers ($VFIO_ANSWERS, vfio_answers.h). With $IOASID_SERVES=1 it also
 * checks ioasid's live counts (the pins are an ioasid access's); without,
 * that those counts do not move.
 */
#include <stdbool.h>

#include "kselftest_harness.h"
#include "vfio_emu.h"
#include "vfio_answers.h"

#define IOVA 0x100000UL		/* the read-write mapping, 4 pages */
#define RO_IOVA 0x200000UL	/* a read-only mapping, 1 page */
#define NOWHERE 0x900000UL	/* never mapped */
#define NPAGES 8

FIXTURE(e) {
	struct vfio_env e;
	char *buf;
};

FIXTURE_SETUP(e)
{
	int i, rc;

	self->e.container = self->e.group = self->e.device = -1;
	self->buf = mmap(NULL, NPAGES * PSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	for (i = 0; i < NPAGES; i++)
		memset(self->buf + i * PSZ, 0x30 + i, PSZ);
	rc = emu_open(&self->e);
	if (rc == -ENOENT)
		SKIP(return, "ioasid_test_vfio.ko not loaded");
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, emu_serve(&self->e));
	ASSERT_EQ(0, vfio_map(self->e.container, IOVA, self->buf, 4 * PSZ, VRW));
	ASSERT_EQ(0, vfio_map(self->e.container, RO_IOVA, self->buf + 4 * PSZ,
			      PSZ, VFIO_DMA_MAP_FLAG_READ));
}

FIXTURE_TEARDOWN(e)
{
	vfio_close(&self->e);
	munmap(self->buf, NPAGES * PSZ);
}

static bool ioasid_serves(void)
{
	const char *s = getenv("IOASID_SERVES");

	return s && !strcmp(s, "1");
}


/* A container with only an emulated group: CPU copies, coherent. */
TEST_F(e, coherent)
{
	CHECK("dma_cc", 1, ioctl(self->e.container, VFIO_CHECK_EXTENSION,
				 VFIO_DMA_CC_IOMMU));
}

/* The pinned pages are the process's pages: same bytes, same page. */
TEST_F(e, pin_content)
{
	struct ioasid_test_vfio_op op;
	int d = self->e.device;
	char got[64];

	CHECK("pin", 0, emu_op(d, IOASID_TEST_VFIO_PIN, IOVA + PSZ, 2, NULL,
			       IOASID_TEST_VFIO_WRITE, &op));
	CHECK("pin_rc", 2, op.out_pin_rc);
	CHECK("read", 0, emu_op(d, IOASID_TEST_VFIO_READ_PIN, IOVA + 2 * PSZ - 32,
				sizeof(got), got, 0, NULL));
	CHECK("same_bytes", 0, memcmp(got, self->buf + 2 * PSZ - 32, sizeof(got)));
	/* Written by the process after the pin: the device sees it. */
	memset(self->buf + 2 * PSZ, 0x77, 32);
	CHECK("reread", 0, emu_op(d, IOASID_TEST_VFIO_READ_PIN, IOVA + 2 * PSZ - 32,
				  sizeof(got), got, 0, NULL));
	CHECK("same_page", 0, memcmp(got, self->buf + 2 * PSZ - 32, sizeof(got)));
	CHECK("pins", 1, emu_status(d, 0).out_pins);
	CHECK("unpin", 0, emu_op(d, IOASID_TEST_VFIO_UNPIN, IOVA + PSZ, 0, NULL,
				 0, NULL));
	CHECK("pins_after", 0, emu_status(d, 0).out_pins);
	/* A read-only mapping pins for reading. */
	CHECK("pin_ro", 0, emu_op(d, IOASID_TEST_VFIO_PIN, RO_IOVA, 1, NULL, 0, &op));
	CHECK("pin_ro_rc", 1, op.out_pin_rc);
}

/* vfio_dma_rw() reads and writes the process's memory by IOVA. */
TEST_F(e, dma_rw)
{
	int d = self->e.device;
	char in[2 * PSZ], out[2 * PSZ];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7 + 1);
	/* Across a page boundary, into user memory. */
	CHECK("write", 0, emu_op(d, IOASID_TEST_VFIO_RW, IOVA + PSZ + 100,
				 sizeof(in), in, IOASID_TEST_VFIO_WRITE, NULL));
	CHECK("landed", 0, memcmp(self->buf + PSZ + 100, in, sizeof(in)));
	memset(self->buf + 100, 0x55, 64);
	CHECK("read", 0, emu_op(d, IOASID_TEST_VFIO_RW, IOVA + 100, sizeof(out),
				out, 0, NULL));
	CHECK("read_same", 0, memcmp(out, self->buf + 100, sizeof(out)));
	CHECK("read_ro", 0, emu_op(d, IOASID_TEST_VFIO_RW, RO_IOVA, 64, out, 0, NULL));
	CHECK("read_ro_same", 0, memcmp(out, self->buf + 4 * PSZ, 64));
	/* Errors: as vfio_iommu_type1 gives them. */
	CHECK("write_ro", -EPERM, emu_op(d, IOASID_TEST_VFIO_RW, RO_IOVA, 64, in,
					 IOASID_TEST_VFIO_WRITE, NULL));
	CHECK("ro_untouched", 0x34, self->buf[4 * PSZ]);
	CHECK("nowhere", -EINVAL, emu_op(d, IOASID_TEST_VFIO_RW, NOWHERE, 64, out,
					 0, NULL));
	CHECK("past_end", -EINVAL, emu_op(d, IOASID_TEST_VFIO_RW,
					  IOVA + 4 * PSZ - 64, 128, out, 0, NULL));
}

/* A pin outside every mapping, or writable in a read-only one, fails. */
TEST_F(e, pin_errors)
{
	struct ioasid_test_vfio_op op;
	int d = self->e.device;

	CHECK("nowhere", -EINVAL, emu_op(d, IOASID_TEST_VFIO_PIN, NOWHERE, 1,
					 NULL, 0, &op));
	CHECK("nowhere_rc", -EINVAL, op.out_pin_rc);
	/* The last page is mapped, the next is not: nothing stays pinned. */
	CHECK("past_end", -EINVAL, emu_op(d, IOASID_TEST_VFIO_PIN, IOVA + 3 * PSZ,
					  2, NULL, 0, NULL));
	CHECK("write_ro", -EPERM, emu_op(d, IOASID_TEST_VFIO_PIN, RO_IOVA, 1,
					 NULL, IOASID_TEST_VFIO_WRITE, NULL));
	CHECK("pins", 0, emu_status(d, 0).out_pins);
	/* After all that, a good pin works. */
	CHECK("good", 0, emu_op(d, IOASID_TEST_VFIO_PIN, IOVA + 3 * PSZ, 1,
				NULL, 0, NULL));
}

/* Unmapping a pinned range calls the device back; the unmap completes. */
TEST_F(e, unmap_pinned)
{
	struct ioasid_test_vfio_op st;
	int c = self->e.container, d = self->e.device;
	uint64_t done = 0;

	ASSERT_EQ(0, emu_op(d, IOASID_TEST_VFIO_PIN, IOVA + PSZ, 2, NULL,
			    IOASID_TEST_VFIO_WRITE, NULL));
	emu_status(d, IOASID_TEST_VFIO_RESET);
	/* Not pinned: no callback needed, none required. */
	CHECK("unmap_ro", 0, vfio_unmap(c, RO_IOVA, PSZ, 0, &done));
	CHECK("unmap_ro_size", PSZ, done);
	CHECK("unmap", 0, vfio_unmap(c, IOVA, 4 * PSZ, 0, &done));
	CHECK("unmap_size", 4 * PSZ, done);
	st = emu_status(d, 0);
	CHECK("called", 1, st.out_unmaps > 0);
	/*
	 * The first pinned page is named (type1 names the whole mapping,
	 * ioasid each pinned page until the device unpinned it: the device
	 * unpins its whole pin at the first callback).
	 */
	CHECK("covers", 1, st.out_unmap_first <= IOVA + PSZ &&
			   st.out_unmap_last >= IOVA + 2 * PSZ - 1);
	CHECK("within", 1, st.out_unmap_first >= IOVA &&
			   st.out_unmap_last <= IOVA + 4 * PSZ - 1);
	CHECK("pins", 0, st.out_pins);
	/* Gone for the device too; the range maps again. */
	CHECK("pin_gone", -EINVAL, emu_op(d, IOASID_TEST_VFIO_PIN, IOVA + PSZ,
					  1, NULL, 0, NULL));
	CHECK("remap", 0, vfio_map(c, IOVA, self->buf, 4 * PSZ, VRW));
	CHECK("pin_again", 0, emu_op(d, IOASID_TEST_VFIO_PIN, IOVA + PSZ, 1,
				     NULL, 0, NULL));
}

/* UNMAP_ALL with pins in two mappings. */
TEST_F(e, unmap_all_pinned)
{
	int c = self->e.container, d = self->e.device;
	struct ioasid_test_vfio_op st;
	uint64_t done = 0;

	ASSERT_EQ(0, emu_op(d, IOASID_TEST_VFIO_PIN, IOVA, 1, NULL, 0, NULL));
	ASSERT_EQ(0, emu_op(d, IOASID_TEST_VFIO_PIN, IOVA + 3 * PSZ, 1, NULL, 0, NULL));
	ASSERT_EQ(0, emu_op(d, IOASID_TEST_VFIO_PIN, RO_IOVA, 1, NULL, 0, NULL));
	emu_status(d, IOASID_TEST_VFIO_RESET);
	CHECK("unmap_all", 0, vfio_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	CHECK("unmap_all_size", 5 * PSZ, done);
	st = emu_status(d, 0);
	CHECK("called", 1, st.out_unmaps > 0);
	CHECK("covers", 1, st.out_unmap_first <= IOVA &&
			   st.out_unmap_last >= RO_IOVA + PSZ - 1);
	CHECK("pins", 0, st.out_pins);
	CHECK("dma_rw_gone", -EINVAL, emu_op(d, IOASID_TEST_VFIO_RW, IOVA, 64,
					     self->buf + 7 * PSZ, 0, NULL));
}

/*
 * Who holds the pins: ioasid's live counts move by exactly the pages the
 * device pinned when ioasid serves the container, not at all otherwise.
 * Not an answer of the comparison: the two drivers differ here on purpose.
 */
TEST_F(e, accounting)
{
	long acc = ioasid_stat("accesses"), pins = ioasid_stat("access_pins");
	long bad = ioasid_stat("unpin_violations");
	long want_acc = ioasid_serves() ? 1 : 0;
	int c = self->e.container, d = self->e.device;

	if (pins < 0)
		SKIP(return, "ioasid.ko not loaded");
	ASSERT_EQ(0, emu_op(d, IOASID_TEST_VFIO_PIN, IOVA, 3, NULL, 0, NULL));
	ASSERT_EQ(0, emu_op(d, IOASID_TEST_VFIO_PIN, IOVA + PSZ, 1, NULL, 0, NULL));
	EXPECT_EQ(ioasid_serves() ? pins + 4 : pins, ioasid_stat("access_pins"));
	/* The container's one access exists while the group is attached. */
	EXPECT_LE(want_acc, acc);
	EXPECT_EQ(0, vfio_unmap(c, IOVA, 4 * PSZ, 0, NULL));
	EXPECT_EQ(pins, ioasid_stat("access_pins"));
	EXPECT_EQ(0, emu_status(d, 0).out_pins);
	/* The device unpinned in its callback: no violation counted. */
	EXPECT_EQ(bad, ioasid_stat("unpin_violations"));
	/* Closing everything drops the access. */
	vfio_close(&self->e);
	EXPECT_EQ(acc - want_acc, ioasid_stat("accesses"));
}

TEST_HARNESS_MAIN
