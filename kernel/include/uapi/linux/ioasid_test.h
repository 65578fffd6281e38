/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/ioasid_test, created by the ioasid_test module: test-only hooks into
 * ioasid, never loaded in production. It lets selftests look at an IOAS
 * from the kernel's side, byte for byte.
 */
#ifndef _UAPI_LINUX_IOASID_TEST_H
#define _UAPI_LINUX_IOASID_TEST_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/ioasid.h>

enum {
	IOASID_TEST_CMD_IOVA_RW = 0x60,
	IOASID_TEST_CMD_PIN = 0x61,
	IOASID_TEST_CMD_FLUSH_COUNT = 0x62,
};

/**
 * enum ioasid_test_rw_flags - what IOASID_TEST_IOVA_RW does
 * @IOASID_TEST_RW_READ: copy IOAS memory at @iova to the buffer at @uptr
 * @IOASID_TEST_RW_WRITE: copy the buffer at @uptr into IOAS memory at @iova
 * @IOASID_TEST_RW_PHYS: only translate: return the physical address of
 *	@iova in @out_phys (no copy; @length must be 0 or one page)
 */
enum ioasid_test_rw_flags {
	IOASID_TEST_RW_READ = 1 << 0,
	IOASID_TEST_RW_WRITE = 1 << 1,
	IOASID_TEST_RW_PHYS = 1 << 2,
};

/**
 * struct ioasid_test_iova_rw - ioctl(IOASID_TEST_IOVA_RW)
 * @size: sizeof(struct ioasid_test_iova_rw)
 * @flags: exactly one of enum ioasid_test_rw_flags
 * @ioasid_fd: an open /dev/ioasid fd of the caller
 * @ioas_id: IOAS in that fd
 * @iova: start address
 * @length: bytes to copy
 * @uptr: user buffer
 * @out_phys: with IOASID_TEST_RW_PHYS, the physical address of @iova
 *
 * Walks the IOAS's own view (areas -> pinned pages), the same view every
 * attached domain is filled from. Errnos: ENOENT (a byte of the range is not
 * mapped), EACCES (WRITE on a read-only mapping), EBADF (not an ioasid fd).
 */
struct ioasid_test_iova_rw {
	__u32 size;
	__u32 flags;
	__s32 ioasid_fd;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 uptr;
	__aligned_u64 out_phys;
};

#define IOASID_TEST_IOVA_RW _IO(IOASID_TYPE, IOASID_TEST_CMD_IOVA_RW)

/**
 * struct ioasid_test_pin - ioctl(IOASID_TEST_PIN)
 * @size: sizeof(struct ioasid_test_pin)
 * @flags: must be 0
 * @uaddr: page-aligned user address
 * @length: bytes, a multiple of the page size
 *
 * Pin the range for writing with FOLL_LONGTERM, in batches of 512 pages as
 * IOAS_MAP does, then unpin it: the pinning floor a benchmark compares map
 * costs against. Nothing is charged or kept.
 */
struct ioasid_test_pin {
	__u32 size;
	__u32 flags;
	__aligned_u64 uaddr;
	__aligned_u64 length;
};

#define IOASID_TEST_PIN _IO(IOASID_TYPE, IOASID_TEST_CMD_PIN)

/**
 * struct ioasid_test_flush_count - ioctl(IOASID_TEST_FLUSH_COUNT)
 * @size: sizeof(struct ioasid_test_flush_count)
 * @nr_cpus: in: entries at @counts_uptr; out: nr_cpu_ids
 * @counts_uptr: user array of __u64, filled for CPUs 0 .. nr_cpus - 1
 *
 * Read how many times IOASID_CACHE_FLUSH ran wbinvd on each CPU, so a test
 * sees which CPUs a flush reached. EINVAL if @nr_cpus is 0.
 */
struct ioasid_test_flush_count {
	__u32 size;
	__u32 nr_cpus;
	__aligned_u64 counts_uptr;
};

#define IOASID_TEST_FLUSH_COUNT _IO(IOASID_TYPE, IOASID_TEST_CMD_FLUSH_COUNT)

#endif /* _UAPI_LINUX_IOASID_TEST_H */
