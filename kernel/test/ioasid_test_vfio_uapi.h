/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The test VFIO device of ioasid_test_vfio.ko: an emulated-IOMMU device
 * (registered with vfio_register_emulated_iommu_dev(), as mdev drivers
 * are) that user space drives through its VFIO device fd to pin IOVAs,
 * copy through vfio_dma_rw() and watch its dma_unmap callbacks.
 *
 * Not part of the uAPI: shared by the test module and the selftests only,
 * and written against VFIO alone, so the same test runs whichever VFIO
 * IOMMU driver serves the container (vfio_iommu_type1 or ioasid-vfio).
 */
#ifndef __IOASID_TEST_VFIO_UAPI_H
#define __IOASID_TEST_VFIO_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* The device's name: its VFIO_GROUP_GET_DEVICE_FD argument and sysfs node */
#define IOASID_TEST_VFIO_NAME "ioasid_test_vfio"

/**
 * enum ioasid_test_vfio_ops - what IOASID_TEST_VFIO_OP does
 * @IOASID_TEST_VFIO_PIN: vfio_pin_pages(@iova, @length pages); the pin is
 *	kept until UNPIN, a dma_unmap callback overlapping it, or close
 * @IOASID_TEST_VFIO_UNPIN: vfio_unpin_pages() of the pin made at @iova
 *	(-ENOENT if there is none)
 * @IOASID_TEST_VFIO_READ_PIN: copy @length bytes at @iova out of the
 *	pages of the pin that holds @iova (kmap, no IOVA lookup) to @uptr
 * @IOASID_TEST_VFIO_RW: vfio_dma_rw() of @length bytes (at most 4 pages)
 *	at @iova, to (@flags WRITE) or from the buffer at @uptr
 * @IOASID_TEST_VFIO_STATUS: fill the out_ fields; @flags RESET clears the
 *	dma_unmap record after
 */
enum ioasid_test_vfio_ops {
	IOASID_TEST_VFIO_PIN = 1,
	IOASID_TEST_VFIO_UNPIN,
	IOASID_TEST_VFIO_READ_PIN,
	IOASID_TEST_VFIO_RW,
	IOASID_TEST_VFIO_STATUS,
};

/**
 * enum ioasid_test_vfio_flags - flags of IOASID_TEST_VFIO_OP
 * @IOASID_TEST_VFIO_WRITE: PIN for writing; RW into the IO address space
 * @IOASID_TEST_VFIO_RESET: STATUS clears the dma_unmap record
 */
enum ioasid_test_vfio_flags {
	IOASID_TEST_VFIO_WRITE = 1 << 0,
	IOASID_TEST_VFIO_RESET = 1 << 1,
};

/**
 * struct ioasid_test_vfio_op - ioctl(IOASID_TEST_VFIO_OP) on the device fd
 * @size: sizeof(struct ioasid_test_vfio_op)
 * @op: enum ioasid_test_vfio_ops
 * @iova: IOVA
 * @length: pages (PIN) or bytes (READ_PIN, RW)
 * @uptr: user buffer (READ_PIN, RW)
 * @flags: enum ioasid_test_vfio_flags
 * @__reserved: must be 0
 * @out_unmaps: dma_unmap callbacks since the last reset
 * @out_unmap_first: lowest IOVA a callback named since the last reset
 * @out_unmap_last: highest IOVA a callback named since the last reset
 * @out_pins: pins the device holds
 * @out_pinned_pages: pages the device holds pinned
 * @out_pin_rc: what vfio_pin_pages() returned (PIN)
 */
struct ioasid_test_vfio_op {
	__u32 size;
	__u32 op;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 uptr;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 out_unmaps;
	__aligned_u64 out_unmap_first;
	__aligned_u64 out_unmap_last;
	__aligned_u64 out_pins;
	__aligned_u64 out_pinned_pages;
	__s64 out_pin_rc;
};

/* ';' is VFIO's type; 0xe0 is far above VFIO_BASE's commands. */
#define IOASID_TEST_VFIO_OP _IO(';', 0xe0)

#endif /* __IOASID_TEST_VFIO_UAPI_H */
