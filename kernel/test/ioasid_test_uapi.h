/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/ioasid_test, created by the ioasid_test module: test-only hooks into
 * ioasid, never loaded in production. It lets selftests look at an IOAS
 * from the kernel's side, byte for byte.
 *
 * Not part of the uAPI: shared by the test module and the selftests only
 * (which include it from kernel/test/). Its structs follow the same rules
 * as linux/ioasid.h, and may change with the tests.
 */
#ifndef __IOASID_TEST_UAPI_H
#define __IOASID_TEST_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/ioasid.h>
#include <linux/ioasid_policy.h>

enum {
	IOASID_TEST_CMD_IOVA_RW = 0x60,
	IOASID_TEST_CMD_PIN = 0x61,
	IOASID_TEST_CMD_FLUSH_COUNT = 0x62,
	IOASID_TEST_CMD_MOCK = 0x63,
	IOASID_TEST_CMD_ACCESS = 0x64,
	IOASID_TEST_CMD_PAGE_INFO = 0x65,
	IOASID_TEST_CMD_WBINVD = 0x66,
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

/**
 * enum ioasid_test_mock_op - what IOASID_TEST_MOCK does
 * @IOASID_TEST_MOCK_CREATE: a mock device behind the mock IOMMU, with
 *	@pasid_bits and @flags (enum ioasid_test_mock_flags); out: @mock_id
 * @IOASID_TEST_MOCK_DESTROY: unbind it (as below) and remove it
 * @IOASID_TEST_MOCK_BIND: bind it to @ioasid_fd (as ioasid-pci binds a PCI
 *	device) presenting @vendor:@device and @dev_needs; out: @out_dev_id
 * @IOASID_TEST_MOCK_UNBIND: undo BIND
 * @IOASID_TEST_MOCK_ATTACH: ioasid_device_attach(@ioas_id, @flags as
 *	enum ioasid_device_attach_flags, @pasid); out: @out_decision
 * @IOASID_TEST_MOCK_DETACH: ioasid_device_detach(@flags, @pasid)
 * @IOASID_TEST_MOCK_DMA: the device does DMA at @pasid (0: RID) of @length
 *	bytes at @iova, from (@flags & IOASID_TEST_MOCK_DMA_WRITE: into)
 *	memory, to (from) the buffer at @uptr. EFAULT: no translation,
 *	EPERM: no permission; both are counted as faults
 * @IOASID_TEST_MOCK_QUERY: out: @out_domain_serial of the domain at
 *	@pasid (0: RID; 0 if none), @out_faults, and @out_iopte_size of the
 *	IOPTE translating @iova there
 * @IOASID_TEST_MOCK_KDEV_OPEN: its kernel driver opens it for per-PASID
 *	kernel contexts (linux/ioasid_pasid.h), as @vendor:@device
 * @IOASID_TEST_MOCK_KDEV_CLOSE: undo KDEV_OPEN (destroys its contexts)
 * @IOASID_TEST_MOCK_CTX_CREATE: a kernel context at @pasid; out:
 *	@out_decision, also on refusal
 * @IOASID_TEST_MOCK_CTX_DESTROY: destroy the context at @pasid
 * @IOASID_TEST_MOCK_CTX_MAP: map the caller's @uptr, @length bytes, at
 *	@iova of the context at @pasid; @flags: IOASID_MAP_READABLE/WRITEABLE
 * @IOASID_TEST_MOCK_CTX_UNMAP: unmap @iova, @length of that context
 */
enum ioasid_test_mock_op {
	IOASID_TEST_MOCK_CREATE = 1,
	IOASID_TEST_MOCK_DESTROY = 2,
	IOASID_TEST_MOCK_BIND = 3,
	IOASID_TEST_MOCK_UNBIND = 4,
	IOASID_TEST_MOCK_ATTACH = 5,
	IOASID_TEST_MOCK_DETACH = 6,
	IOASID_TEST_MOCK_DMA = 7,
	IOASID_TEST_MOCK_QUERY = 8,
	IOASID_TEST_MOCK_KDEV_OPEN = 9,
	IOASID_TEST_MOCK_KDEV_CLOSE = 10,
	IOASID_TEST_MOCK_CTX_CREATE = 11,
	IOASID_TEST_MOCK_CTX_DESTROY = 12,
	IOASID_TEST_MOCK_CTX_MAP = 13,
	IOASID_TEST_MOCK_CTX_UNMAP = 14,
};

/**
 * enum ioasid_test_mock_flags - flags of IOASID_TEST_MOCK
 * @IOASID_TEST_MOCK_COHERENT: CREATE: the IOMMU has snoop control for it
 * @IOASID_TEST_MOCK_ALT_DRIVER: CREATE: bound to driver "ioasid-mock-alt"
 *	instead of "ioasid-mock"
 * @IOASID_TEST_MOCK_DMA_WRITE: DMA: write memory (from @uptr)
 */
enum ioasid_test_mock_flags {
	IOASID_TEST_MOCK_COHERENT = 1 << 0,
	IOASID_TEST_MOCK_ALT_DRIVER = 1 << 1,
	IOASID_TEST_MOCK_DMA_WRITE = 1 << 0,
};

/**
 * struct ioasid_test_mock - ioctl(IOASID_TEST_MOCK)
 * @size: sizeof(struct ioasid_test_mock)
 * @op: enum ioasid_test_mock_op
 * @mock_id: the mock (out for CREATE)
 * @flags: per @op, see enum ioasid_test_mock_op
 * @ioasid_fd: BIND: the /dev/ioasid fd
 * @ioas_id: ATTACH: the IOAS
 * @pasid: ATTACH/DETACH/DMA/QUERY/CTX_*: the PASID
 * @pasid_bits: CREATE: PASID width (0: none, at most IOASID_PASID_BITS)
 * @vendor: BIND/KDEV_OPEN: vendor id presented to policies
 * @device: BIND/KDEV_OPEN: device id presented to policies
 * @dev_needs: BIND/KDEV_OPEN: enum ioasid_dev_needs
 * @out_dev_id: BIND: the device's id in the ioasid fd
 * @__reserved: must be 0
 * @iova: DMA/CTX_MAP/CTX_UNMAP: address
 * @length: DMA/CTX_MAP/CTX_UNMAP: bytes
 * @uptr: DMA/CTX_MAP: user buffer
 * @out_domain_serial: QUERY: serial of the domain attached (blocked: 1)
 * @out_faults: QUERY: DMA faults so far
 * @out_decision: ATTACH/CTX_CREATE: the policy decision
 * @out_iopte_size: QUERY: size of the IOPTE that translates @iova at
 *	@pasid: 4096, 2 MiB (the mock IOMMU's page sizes), 0 if none does
 *
 * Mock devices live as long as the /dev/ioasid_test fd that created them.
 */
struct ioasid_test_mock {
	__u32 size;
	__u32 op;
	__u32 mock_id;
	__u32 flags;
	__s32 ioasid_fd;
	__u32 ioas_id;
	__u32 pasid;
	__u32 pasid_bits;
	__u16 vendor;
	__u16 device;
	__u32 dev_needs;
	__u32 out_dev_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 uptr;
	__aligned_u64 out_domain_serial;
	__aligned_u64 out_faults;
	struct ioasid_policy_decision out_decision;
	__aligned_u64 out_iopte_size;
};

#define IOASID_TEST_MOCK _IO(IOASID_TYPE, IOASID_TEST_CMD_MOCK)

/**
 * enum ioasid_test_access_op - what IOASID_TEST_ACCESS does
 * @IOASID_TEST_ACCESS_CREATE: a software device on @ioasid_fd with the ids
 *	in @vendor and @device, driver "ioasid-test-sw"; with
 *	IOASID_TEST_ACCESS_MISBEHAVE its unmap callback does not unpin;
 *	out: @access_id, @out_obj_id
 * @IOASID_TEST_ACCESS_DESTROY: unpin what it holds and destroy it
 * @IOASID_TEST_ACCESS_ATTACH: attach to @ioas_id; out: @out_decision
 * @IOASID_TEST_ACCESS_DETACH: detach
 * @IOASID_TEST_ACCESS_PIN: pin @iova, @length (IOASID_TEST_ACCESS_WRITE:
 *	for writing); with @uptr, copy the pinned bytes there from the pages
 * @IOASID_TEST_ACCESS_UNPIN: unpin @iova, @length
 * @IOASID_TEST_ACCESS_READ: ioasid_access_rw() @length bytes at @iova to
 *	@uptr
 * @IOASID_TEST_ACCESS_WRITE: ioasid_access_rw() from @uptr into @iova
 * @IOASID_TEST_ACCESS_PEEK: copy the bytes of a pin the test module still
 *	holds (exactly @iova, @length) to @uptr, through its page references,
 *	whatever the IOAS maps now; ENOENT if it holds no such pin
 * @IOASID_TEST_ACCESS_QUERY: out: @out_nr_pins (pins the module holds),
 *	@out_callbacks (unmap callbacks received)
 */
enum ioasid_test_access_op {
	IOASID_TEST_ACCESS_CREATE = 1,
	IOASID_TEST_ACCESS_DESTROY = 2,
	IOASID_TEST_ACCESS_ATTACH = 3,
	IOASID_TEST_ACCESS_DETACH = 4,
	IOASID_TEST_ACCESS_PIN = 5,
	IOASID_TEST_ACCESS_UNPIN = 6,
	IOASID_TEST_ACCESS_READ = 7,
	IOASID_TEST_ACCESS_WRITE = 8,
	IOASID_TEST_ACCESS_PEEK = 9,
	IOASID_TEST_ACCESS_QUERY = 10,
};

/**
 * enum ioasid_test_access_flags - flags of IOASID_TEST_ACCESS
 * @IOASID_TEST_ACCESS_MISBEHAVE: CREATE: the callback does not unpin
 * @IOASID_TEST_ACCESS_PIN_WRITE: PIN: pin for writing
 */
enum ioasid_test_access_flags {
	IOASID_TEST_ACCESS_MISBEHAVE = 1 << 0,
	IOASID_TEST_ACCESS_PIN_WRITE = 1 << 0,
};

/**
 * struct ioasid_test_access - ioctl(IOASID_TEST_ACCESS)
 * @size: sizeof(struct ioasid_test_access)
 * @op: enum ioasid_test_access_op
 * @access_id: the access (out for CREATE)
 * @flags: per @op, see enum ioasid_test_access_flags
 * @ioasid_fd: CREATE: the /dev/ioasid fd
 * @ioas_id: ATTACH: the IOAS
 * @vendor: CREATE: vendor id presented to policies
 * @device: CREATE: device id presented to policies
 * @out_obj_id: CREATE: the access's object id in the ioasid fd
 * @iova: PIN/UNPIN/READ/WRITE/PEEK: address
 * @length: PIN/UNPIN/READ/WRITE/PEEK: bytes
 * @uptr: PIN/READ/WRITE/PEEK: user buffer
 * @out_nr_pins: QUERY: pins held
 * @out_callbacks: QUERY: unmap callbacks received
 * @out_decision: ATTACH: the policy decision, also on refusal
 *
 * Accesses live as long as the /dev/ioasid_test fd that created them.
 */
struct ioasid_test_access {
	__u32 size;
	__u32 op;
	__u32 access_id;
	__u32 flags;
	__s32 ioasid_fd;
	__u32 ioas_id;
	__u16 vendor;
	__u16 device;
	__u32 out_obj_id;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 uptr;
	__aligned_u64 out_nr_pins;
	__aligned_u64 out_callbacks;
	struct ioasid_policy_decision out_decision;
};

#define IOASID_TEST_ACCESS _IO(IOASID_TYPE, IOASID_TEST_CMD_ACCESS)

/**
 * enum ioasid_test_page_flags - flags of IOASID_TEST_PAGE_INFO
 * @IOASID_TEST_PAGE_BY_PHYS: in: @addr is a physical address (from
 *	IOASID_TEST_RW_PHYS), not a user address of the caller
 * @IOASID_TEST_PAGE_ANON: out: an anonymous page
 * @IOASID_TEST_PAGE_HUGETLB: out: a hugetlb page
 * @IOASID_TEST_PAGE_ZERO: out: the shared zero page
 * @IOASID_TEST_PAGE_FREE: out: (BY_PHYS) the page is free: no reference
 */
enum ioasid_test_page_flags {
	IOASID_TEST_PAGE_BY_PHYS = 1 << 0,
	IOASID_TEST_PAGE_ANON = 1 << 0,
	IOASID_TEST_PAGE_HUGETLB = 1 << 1,
	IOASID_TEST_PAGE_ZERO = 1 << 2,
	IOASID_TEST_PAGE_FREE = 1 << 3,
};

/**
 * struct ioasid_test_page_info - ioctl(IOASID_TEST_PAGE_INFO)
 * @size: sizeof(struct ioasid_test_page_info)
 * @flags: in: 0 or IOASID_TEST_PAGE_BY_PHYS
 * @addr: a user address of the caller (a present page is looked up, none
 *	is faulted in), or with IOASID_TEST_PAGE_BY_PHYS a physical address
 * @out_refcount: references on the page's folio, without the one this
 *	call takes (each FOLL_PIN pin of a small folio counts 1024)
 * @out_pins: FOLL_PIN pins on the folio: its pin count for a large folio,
 *	the references / 1024 for a small one
 * @out_phys: physical address of the page
 * @out_order: the folio's order (9: 2 MiB)
 * @out_flags: enum ioasid_test_page_flags (out)
 *
 * Lets a test see that a map pins what it should and that an unmap gives
 * every reference back. Errnos: EFAULT (no page at @addr), ENOENT (no
 * memory at that physical address), EINVAL (unknown flags).
 */
struct ioasid_test_page_info {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
	__aligned_u64 out_refcount;
	__aligned_u64 out_pins;
	__aligned_u64 out_phys;
	__u32 out_order;
	__u32 out_flags;
};

#define IOASID_TEST_PAGE_INFO _IO(IOASID_TYPE, IOASID_TEST_CMD_PAGE_INFO)

/**
 * enum ioasid_test_wbinvd_flags - flags of IOASID_TEST_WBINVD
 * @IOASID_TEST_WBINVD_ALL_CPUS: every online CPU, not only the caller's
 */
enum ioasid_test_wbinvd_flags {
	IOASID_TEST_WBINVD_ALL_CPUS = 1 << 0,
};

/**
 * struct ioasid_test_wbinvd - ioctl(IOASID_TEST_WBINVD)
 * @size: sizeof(struct ioasid_test_wbinvd)
 * @flags: 0 or IOASID_TEST_WBINVD_ALL_CPUS
 * @out_nr_cpus: CPUs that executed wbinvd
 * @__reserved: must be 0
 *
 * The cache flush itself, without a grant, a policy or a tracker: the
 * floor tools/bench/flush_bench compares IOASID_CACHE_FLUSH against.
 * Errnos: EINVAL (unknown flags, reserved not 0), EOPNOTSUPP (not x86).
 */
struct ioasid_test_wbinvd {
	__u32 size;
	__u32 flags;
	__u32 out_nr_cpus;
	__u32 __reserved;
};

#define IOASID_TEST_WBINVD _IO(IOASID_TYPE, IOASID_TEST_CMD_WBINVD)

#endif /* __IOASID_TEST_UAPI_H */
