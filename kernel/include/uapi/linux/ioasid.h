/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ioasid: IO address spaces with BPF-programmable policy.
 *
 * The /dev/ioasid uAPI.
 *
 * Extensible structs: the one rule for every ioctl argument of ioasid
 * (here, linux/ioasid_device.h and linux/ioasid_policy.h). The struct's
 * first member is its size in bytes (a __u32), filled in by the caller
 * with sizeof() of the struct it was built with. Structs only ever grow at
 * the end; the first version of each is the smallest @size accepted.
 *
 * - a @size smaller than the struct's first version gives EINVAL;
 * - a @size between the first version and the struct the kernel knows (an
 *   older binary): the fields the caller lacks read as zero, and output is
 *   written back only up to @size;
 * - a @size larger than the kernel knows (a newer binary) is accepted only
 *   if the unknown tail is all zero, otherwise E2BIG; output is written up
 *   to the end of the struct the kernel knows, the tail is left untouched;
 * - every reserved field must be zero (EINVAL), every unknown flag bit gives
 *   EOPNOTSUPP;
 * - there is no implicit padding: all structs are laid out explicitly and
 *   have the same layout on 32 and 64 bit.
 *
 * Objects (IO address spaces and, later, bound devices and accesses) live in
 * a per-fd table and are named by a u32 id. Ids are never reused while the fd
 * is open.
 *
 * Common errnos: ENOENT (no object with that id), EINVAL (bad field or an
 * object of the wrong type), EOPNOTSUPP (unknown flag or option), EFAULT (a
 * user pointer faulted), ENOTTY (unknown ioctl).
 */
#ifndef _UAPI_LINUX_IOASID_H
#define _UAPI_LINUX_IOASID_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define IOASID_TYPE 0xB9

/*
 * PASIDs are IOASID_PASID_BITS wide (PCIe): 1 .. IOASID_PASID_MAX are valid
 * (PASID 0 is the RID's). Device, policy and library code use these names.
 */
#define IOASID_PASID_BITS 20
#define IOASID_PASID_MAX ((1U << IOASID_PASID_BITS) - 1)

/* ioctl numbers: 0x00-0x3f /dev/ioasid, 0x40-0x5f device fd, 0x60-0x6f test */
enum {
	IOASID_CMD_BASE = 0x00,
	IOASID_CMD_DESTROY = IOASID_CMD_BASE,
	IOASID_CMD_IOAS_ALLOC = 0x01,
	IOASID_CMD_IOAS_MAP = 0x02,
	IOASID_CMD_IOAS_UNMAP = 0x03,
	IOASID_CMD_IOAS_COPY = 0x04,
	IOASID_CMD_IOAS_IOVA_RANGES = 0x05,
	IOASID_CMD_IOAS_ALLOW_IOVAS = 0x06,
	IOASID_CMD_OPTION = 0x07,
	IOASID_CMD_IOAS_GET_INFO = 0x08,
	IOASID_CMD_CACHE_FLUSH = 0x09,
	IOASID_CMD_POLICY_DRY_RUN = 0x0a,
	IOASID_CMD_DECISIONS_OPEN = 0x0b,
	IOASID_CMD_KVM_LINK = 0x0c,
	IOASID_CMD_POLICY_REVALIDATE = 0x0d,
	/* 0x40-0x5f: device fds, linux/ioasid_device.h */
};

/**
 * struct ioasid_destroy - ioctl(IOASID_DESTROY)
 * @size: sizeof(struct ioasid_destroy)
 * @id: object to destroy
 *
 * Destroy any object. Fails with EBUSY while the object is in use (an IOAS
 * with attached devices, accesses or child IOASes) and ENOENT for an unknown
 * id. Device and access objects always give EBUSY: they belong to their
 * driver and go when the device is unbound or the access destroyed.
 */
struct ioasid_destroy {
	__u32 size;
	__u32 id;
};

#define IOASID_DESTROY _IO(IOASID_TYPE, IOASID_CMD_DESTROY)

/**
 * enum ioasid_ioas_alloc_flags - flags for IOASID_IOAS_ALLOC
 * @IOASID_IOAS_ALLOC_NESTED: the new IOAS is a child of @parent_id: its
 *	mappings take IOVAs of the parent as their source (software nesting).
 */
enum ioasid_ioas_alloc_flags {
	IOASID_IOAS_ALLOC_NESTED = 1 << 0,
};

/**
 * struct ioasid_ioas_alloc - ioctl(IOASID_IOAS_ALLOC)
 * @size: sizeof(struct ioasid_ioas_alloc)
 * @flags: enum ioasid_ioas_alloc_flags
 * @parent_id: parent IOAS when IOASID_IOAS_ALLOC_NESTED is set, else 0
 * @out_ioas_id: the id of the new IOAS
 *
 * Allocate an empty IO address space. Its whole IOVA space is usable until
 * devices with narrower apertures or reserved regions attach.
 * Errnos: ENOMEM, EOPNOTSUPP (unknown flag), EINVAL (@parent_id without the
 * NESTED flag), ENOENT (no such parent), E2BIG (nesting deeper than
 * IOASID_MAX_NESTING_DEPTH).
 */
struct ioasid_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 parent_id;
	__u32 out_ioas_id;
};

#define IOASID_IOAS_ALLOC _IO(IOASID_TYPE, IOASID_CMD_IOAS_ALLOC)

/** IOASID_MAX_NESTING_DEPTH - depth of the deepest allowed child (root is 0) */
#define IOASID_MAX_NESTING_DEPTH 3

/**
 * enum ioasid_map_flags - flags for IOASID_IOAS_MAP and IOASID_IOAS_COPY
 * @IOASID_MAP_FIXED_IOVA: map at @iova; without it the kernel picks an IOVA
 *	aligned to @align (or a natural alignment) and returns it in @iova
 * @IOASID_MAP_WRITEABLE: devices may write the memory
 * @IOASID_MAP_READABLE: devices may read the memory
 */
enum ioasid_map_flags {
	IOASID_MAP_FIXED_IOVA = 1 << 0,
	IOASID_MAP_WRITEABLE = 1 << 1,
	IOASID_MAP_READABLE = 1 << 2,
};

/**
 * struct ioasid_ioas_map - ioctl(IOASID_IOAS_MAP)
 * @size: sizeof(struct ioasid_ioas_map)
 * @flags: enum ioasid_map_flags; at least one of READABLE and WRITEABLE
 * @ioas_id: IOAS to map into
 * @__reserved: must be 0
 * @addr: page-aligned user virtual address of the memory; for a nested IOAS,
 *	the IOVA in the parent IOAS that holds the memory
 * @length: length in bytes, a non-zero multiple of the page size
 * @iova: in with IOASID_MAP_FIXED_IOVA, else out: the IOVA of the mapping
 * @align: with no FIXED_IOVA, the wanted IOVA alignment (a power of two, at
 *	least the page size), or 0 for the kernel's choice; must be 0 otherwise
 *
 * Pin the user pages (once, whatever number of IOASes and devices end up
 * using them), charge them to the locked-memory limit, and map them in every
 * domain attached to the IOAS.
 * Errnos: EINVAL (misaligned or zero length, no permission flag, bad @align),
 * EOVERFLOW (@addr/@iova + @length wraps), EEXIST (overlaps a mapping),
 * ENOSPC (no free IOVA range, or the fixed range is not usable: outside the
 * allowed ranges, in a reserved region of an attached device or outside the
 * aperture of an attached domain; see IOASID_IOAS_IOVA_RANGES), ENOMEM
 * (locked memory over RLIMIT_MEMLOCK, or no memory), EFAULT (the user range
 * is not mapped), ENOENT (for a nested IOAS: part of the parent range is not
 * mapped), EACCES (for a nested IOAS: the parent mapping lacks a permission
 * asked for). On failure nothing is mapped, pinned or charged.
 */
struct ioasid_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 addr;
	__aligned_u64 length;
	__aligned_u64 iova;
	__aligned_u64 align;
};

#define IOASID_IOAS_MAP _IO(IOASID_TYPE, IOASID_CMD_IOAS_MAP)

/**
 * enum ioasid_unmap_flags - flags for IOASID_IOAS_UNMAP
 * @IOASID_UNMAP_ALL: unmap everything; @iova and @length must be 0
 * @IOASID_UNMAP_ALLOW_SPLIT: the range may cut mappings in two; without it a
 *	range that splits a mapping is refused
 */
enum ioasid_unmap_flags {
	IOASID_UNMAP_ALL = 1 << 0,
	IOASID_UNMAP_ALLOW_SPLIT = 1 << 1,
};

/**
 * struct ioasid_ioas_unmap - ioctl(IOASID_IOAS_UNMAP)
 * @size: sizeof(struct ioasid_ioas_unmap)
 * @flags: enum ioasid_unmap_flags
 * @ioas_id: IOAS to unmap from
 * @__reserved: must be 0
 * @iova: start of the range
 * @length: in: length of the range; out: bytes actually unmapped
 *
 * Unmap every mapping inside [@iova, @iova + @length). When the call returns,
 * no device attached to this IOAS or to any IOAS nested in it can reach the
 * memory any more. Holes in the range are fine; a range with no mapping
 * at all gives ENOENT.
 * Errnos: EINVAL (misaligned, zero length), EOVERFLOW, ENOENT (nothing
 * mapped there), EBUSY (the range would split a mapping and
 * IOASID_UNMAP_ALLOW_SPLIT is not set; nothing is unmapped).
 */
struct ioasid_ioas_unmap {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define IOASID_IOAS_UNMAP _IO(IOASID_TYPE, IOASID_CMD_IOAS_UNMAP)

/**
 * struct ioasid_ioas_copy - ioctl(IOASID_IOAS_COPY)
 * @size: sizeof(struct ioasid_ioas_copy)
 * @flags: enum ioasid_map_flags (FIXED_IOVA refers to @dst_iova)
 * @dst_ioas_id: IOAS to map into
 * @src_ioas_id: IOAS to copy from (may equal @dst_ioas_id)
 * @length: bytes to copy, a non-zero multiple of the page size
 * @dst_iova: in with IOASID_MAP_FIXED_IOVA, else out
 * @src_iova: start of the source range, which must be fully mapped
 *
 * Map in the destination the same pinned pages the source range uses,
 * without pinning or charging them again. The copy is independent
 * afterwards: unmapping the source leaves it in place. The permissions asked
 * for must be a subset of the source mapping's.
 * Errnos: as IOASID_IOAS_MAP, plus ENOENT (a hole in the source range) and
 * EACCES (permission not held by the source).
 */
struct ioasid_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};

#define IOASID_IOAS_COPY _IO(IOASID_TYPE, IOASID_CMD_IOAS_COPY)

/**
 * struct ioasid_iova_range - an inclusive IOVA range
 * @start: first byte
 * @last: last byte (inclusive, so the full 64-bit space is expressible)
 */
struct ioasid_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct ioasid_ioas_iova_ranges - ioctl(IOASID_IOAS_IOVA_RANGES)
 * @size: sizeof(struct ioasid_ioas_iova_ranges)
 * @ioas_id: IOAS to query
 * @num_iovas: in: entries available at @allowed_iovas; out: entries needed
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct ioasid_iova_range
 * @out_iova_alignment: minimum IOVA alignment of every mapping
 *
 * Report the IOVA ranges a mapping may use: the allowed ranges (all of the
 * 64-bit space unless narrowed by IOASID_IOAS_ALLOW_IOVAS) minus the reserved
 * regions and outside the apertures of every attached device.
 * Errnos: EMSGSIZE when @num_iovas is too small (@num_iovas then holds the
 * number needed and the first entries are filled).
 */
struct ioasid_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};

#define IOASID_IOAS_IOVA_RANGES _IO(IOASID_TYPE, IOASID_CMD_IOAS_IOVA_RANGES)

/**
 * struct ioasid_ioas_allow_iovas - ioctl(IOASID_IOAS_ALLOW_IOVAS)
 * @size: sizeof(struct ioasid_ioas_allow_iovas)
 * @ioas_id: IOAS to change
 * @num_iovas: entries at @allowed_iovas; 0 allows the whole space again
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to sorted, non-overlapping, page-aligned
 *	struct ioasid_iova_range entries (@last + 1 page aligned)
 *
 * Restrict the IOVAs that kernel-chosen and fixed mappings may use to the
 * given ranges; later attaches whose reserved regions intersect them fail.
 * Replaces the previous list atomically.
 * Errnos: EINVAL (unsorted, overlapping or misaligned ranges), EBUSY (an
 * existing mapping lies outside the new ranges, or an attached device's
 * reserved region lies inside them; nothing changes).
 */
struct ioasid_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};

#define IOASID_IOAS_ALLOW_IOVAS _IO(IOASID_TYPE, IOASID_CMD_IOAS_ALLOW_IOVAS)

/**
 * enum ioasid_option_id - options for IOASID_OPTION
 * @IOASID_OPTION_RLIMIT_MODE: how this fd charges locked memory; object_id
 *	must be 0. Values: enum ioasid_rlimit_mode. May only change while the
 *	fd has no pinned pages (EBUSY). Setting IOASID_RLIMIT_MM needs
 *	CAP_SYS_RESOURCE (EPERM): the charge goes to the mapping process while
 *	the pin lives with the fd, so forked mappers could each use a limit.
 */
enum ioasid_option_id {
	IOASID_OPTION_RLIMIT_MODE = 0,
};

/**
 * enum ioasid_rlimit_mode - locked-memory accounting of an fd
 * @IOASID_RLIMIT_USER: charge the user's locked_vm (shared by all processes
 *	of the user, as iommufd does); the default
 * @IOASID_RLIMIT_MM: charge the process's mm->pinned_vm (VmPin in
 *	/proc/PID/status), as iommufd's per-process mode does
 *
 * Either way the limit is RLIMIT_MEMLOCK of the mapping task; tasks with
 * CAP_IPC_LOCK are charged but never refused.
 */
enum ioasid_rlimit_mode {
	IOASID_RLIMIT_USER = 0,
	IOASID_RLIMIT_MM = 1,
};

/**
 * enum ioasid_option_op - IOASID_OPTION operations
 * @IOASID_OPTION_OP_SET: set @val64
 * @IOASID_OPTION_OP_GET: return the current value in @val64
 */
enum ioasid_option_op {
	IOASID_OPTION_OP_SET = 0,
	IOASID_OPTION_OP_GET = 1,
};

/**
 * struct ioasid_option - ioctl(IOASID_OPTION)
 * @size: sizeof(struct ioasid_option)
 * @option_id: enum ioasid_option_id
 * @op: enum ioasid_option_op
 * @__reserved: must be 0
 * @object_id: object the option applies to, or 0 for the fd
 * @val64: value in (SET) or out (GET)
 *
 * Errnos: EOPNOTSUPP (unknown option or op), EINVAL (bad value), EBUSY.
 */
struct ioasid_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};

#define IOASID_OPTION _IO(IOASID_TYPE, IOASID_CMD_OPTION)

/**
 * struct ioasid_ioas_info - ioctl(IOASID_IOAS_GET_INFO)
 * @size: sizeof(struct ioasid_ioas_info)
 * @ioas_id: IOAS to query
 * @out_parent_id: parent IOAS id, 0 for a root IOAS
 * @out_depth: nesting depth, 0 for a root IOAS
 * @out_nr_mappings: number of mappings (areas)
 * @out_nr_children: number of IOASes nested directly in this one
 * @out_nr_domains: number of IOMMU domains kept in sync with the IOAS
 * @out_nr_devices: devices and accesses attached
 * @out_mapped_bytes: bytes mapped
 * @out_pinned_pages: pinned pages the mappings of this IOAS use; a page
 *	that several of its mappings share (IOAS_COPY within the IOAS, split
 *	pieces) counts once; pages shared with other IOASes count in each
 * @out_unpin_violations: times an in-kernel access failed to unpin when told
 */
struct ioasid_ioas_info {
	__u32 size;
	__u32 ioas_id;
	__u32 out_parent_id;
	__u32 out_depth;
	__u32 out_nr_mappings;
	__u32 out_nr_children;
	__u32 out_nr_domains;
	__u32 out_nr_devices;
	__aligned_u64 out_mapped_bytes;
	__aligned_u64 out_pinned_pages;
	__aligned_u64 out_unpin_violations;
};

#define IOASID_IOAS_GET_INFO _IO(IOASID_TYPE, IOASID_CMD_IOAS_GET_INFO)

/**
 * struct ioasid_cache_flush - ioctl(IOASID_CACHE_FLUSH)
 * @size: sizeof(struct ioasid_cache_flush)
 * @flags: must be 0
 * @out_nr_cpus: CPUs whose caches were written back and invalidated
 * @__reserved: must be 0
 *
 * Write back and invalidate CPU caches (wbinvd on x86), for a user whose
 * devices do non-coherent (no-snoop) DMA. Allowed only while the fd holds a
 * cache-flush grant: a policy grants it at the attach of a device left
 * non-coherent (at its RID or a PASID), with a rate, and it ends when the
 * fd's last non-coherent attachment goes. With several attachments the
 * strictest grant in force holds; a new grant keeps the fd's bucket (it is
 * not refilled). Policies are also asked at every flush.
 * The first thread to flush through the fd is tracked (preempt notifiers,
 * as KVM tracks a vCPU): its later flushes cover only the CPUs it ran on
 * since its previous flush and cost one flush of the rate. Any other flush
 * covers every online CPU and costs one per CPU (at most the burst).
 * Errnos: EPERM (no grant), EAGAIN (over the granted rate; retry later),
 * EOPNOTSUPP (not x86), or the errno a policy's cache_flush returned.
 */
struct ioasid_cache_flush {
	__u32 size;
	__u32 flags;
	__u32 out_nr_cpus;
	__u32 __reserved;
};

#define IOASID_CACHE_FLUSH _IO(IOASID_TYPE, IOASID_CMD_CACHE_FLUSH)

/* --- the KVM contract ---------------------------------------------------- */

/**
 * enum ioasid_kvm_link_state - the fd's KVM link after IOASID_KVM_LINK
 * @IOASID_KVM_LINK_LINKED: the fd holds a KVM (a reference on the VM)
 * @IOASID_KVM_LINK_NONCOHERENT: KVM has been told that the fd's devices do
 *	non-coherent DMA (kvm_arch_register_noncoherent_dma()): it honours
 *	the guest's WBINVD with a real cache flush
 * @IOASID_KVM_LINK_REFUSED: the fd has non-coherent attachments, but the
 *	policies granted it no cache flush: KVM is not told, and treats the
 *	guest's WBINVD as a no-op
 */
enum ioasid_kvm_link_state {
	IOASID_KVM_LINK_LINKED = 1 << 0,
	IOASID_KVM_LINK_NONCOHERENT = 1 << 1,
	IOASID_KVM_LINK_REFUSED = 1 << 2,
};

/**
 * struct ioasid_kvm_link - ioctl(IOASID_KVM_LINK)
 * @size: sizeof(struct ioasid_kvm_link)
 * @flags: must be 0
 * @kvm_fd: a KVM VM fd (from KVM_CREATE_VM) to link, or -1 to unlink
 * @out_state: enum ioasid_kvm_link_state after the call
 *
 * Link the fd to the KVM of the VM its devices serve, or unlink it. While
 * linked, KVM is told of non-coherent DMA (its count of non-coherent DMA
 * users raised by one) exactly while the fd has at least one attachment
 * (a device at its RID or at a PASID) through a domain that does not
 * enforce snooping, *and* the fd holds a cache-flush grant (see
 * IOASID_CACHE_FLUSH): a policy that allows no-snoop without granting the
 * flush refuses the link, and KVM keeps ignoring the guest's WBINVD. The
 * first such attachment tells KVM, the last detach (or unbind, or close)
 * takes it back; linking while such attachments exist tells KVM at once,
 * unlinking takes it back. Every change is recorded in the decision log
 * (IOASID_DECISION_KIND_KVM_LINK, _KVM_UNLINK).
 *
 * The fd holds a reference on the VM while linked (until unlink or the
 * fd's release), so the VM outlives its own fd as long as that. Linking
 * the KVM already linked is a no-op that reports the state.
 * Errnos: EBADF (@kvm_fd is not an open fd, or negative other than -1),
 * EINVAL (@kvm_fd is not a KVM VM fd: a regular file, /dev/kvm itself,
 * an ioasid fd; also when no KVM module is loaded), EBUSY (the fd is
 * linked to another KVM: unlink first), EOPNOTSUPP (@flags not 0, or a
 * kernel without KVM's non-coherent DMA tracking, i.e. not x86), ENOMEM.
 */
struct ioasid_kvm_link {
	__u32 size;
	__u32 flags;
	__s32 kvm_fd;
	__u32 out_state;
};

#define IOASID_KVM_LINK _IO(IOASID_TYPE, IOASID_CMD_KVM_LINK)

/* --- revalidation -------------------------------------------------------- */

/**
 * struct ioasid_policy_revalidate - ioctl(IOASID_POLICY_REVALIDATE)
 * @size: sizeof(struct ioasid_policy_revalidate)
 * @flags: must be 0
 * @out_nr_attachments: attachments re-decided (RIDs and PASIDs of every
 *	bound device of every fd)
 * @out_nr_changed: of those, the ones whose flush grant or PASID range
 *	changed and was applied
 * @out_nr_reattach: the ones now needing a re-attach (another snoop mode)
 * @out_nr_revoked: the ones a policy denied, now detached
 * @__reserved: must be 0
 * @__reserved2: must be 0
 *
 * Re-decide every attachment in force on the host with the policy stack,
 * the request marked IOASID_REQ_REVALIDATE, after the operator changed
 * the rules of a policy (the kernel does not see writes to a policy's
 * maps: ioasidctl rule add/del call this). Registering, replacing or
 * unregistering a policy revalidates on its own, shortly after. What can
 * change live is applied (the cache-flush grant and rate, keeping the
 * fd's tokens; the PASID range: a PASID outside it is detached); a
 * different snoop mode marks the attachment IOASID_DEVICE_NEEDS_REATTACH
 * and keeps its domain; a denial detaches it (IOASID_DEVICE_REVOKED; the
 * whole IOMMU group's RID attachment, since one member cannot be blocked
 * alone). The owner's /dev/ioasid fd then polls EPOLLPRI. Every
 * decision and outcome is in the decision log. A pass queued by a policy
 * change before the call has finished when it returns.
 *
 * Needs CAP_SYS_ADMIN (as registering a policy does).
 * Errnos: EPERM (no CAP_SYS_ADMIN), EOPNOTSUPP (@flags not 0), EINVAL
 * (@__reserved or @__reserved2 not 0, or @size smaller than the first
 * version), E2BIG (a larger @size with a non-zero tail), ENOMEM (some
 * attachments could not be re-decided: the others were; run it again),
 * EFAULT.
 */
struct ioasid_policy_revalidate {
	__u32 size;
	__u32 flags;
	__u32 out_nr_attachments;
	__u32 out_nr_changed;
	__u32 out_nr_reattach;
	__u32 out_nr_revoked;
	__u32 __reserved;
	__u32 __reserved2;
};

#define IOASID_POLICY_REVALIDATE _IO(IOASID_TYPE, IOASID_CMD_POLICY_REVALIDATE)

/* --- the decision log ---------------------------------------------------- */

/**
 * enum ioasid_decisions_open_flags - flags for IOASID_DECISIONS_OPEN
 * @IOASID_DECISIONS_NO_HISTORY: start at the next decision instead of the
 *	oldest one the kernel still keeps
 * @IOASID_DECISIONS_NONBLOCK: open the new fd O_NONBLOCK
 */
enum ioasid_decisions_open_flags {
	IOASID_DECISIONS_NO_HISTORY = 1 << 0,
	IOASID_DECISIONS_NONBLOCK = 1 << 1,
};

/**
 * struct ioasid_decisions_open - ioctl(IOASID_DECISIONS_OPEN)
 * @size: sizeof(struct ioasid_decisions_open)
 * @flags: enum ioasid_decisions_open_flags
 * @out_fd: the new file descriptor (O_CLOEXEC), readable and pollable
 * @out_record_size: bytes of each record read() returns (the kernel's
 *	sizeof(struct ioasid_decision_record), at least
 *	IOASID_DECISION_RECORD_SIZE_V1)
 * @out_log_size: decisions the kernel keeps (module parameter
 *	decision_log_size of ioasid.ko)
 * @__reserved: zero
 *
 * Open a stream of the policy decisions of every fd on the system: a new
 * reader first gets the retained history (the last @out_log_size decisions,
 * unless IOASID_DECISIONS_NO_HISTORY), then each new decision as it is
 * made. read() returns whole records only, as many as fit in the buffer;
 * it blocks while there is none (EAGAIN with O_NONBLOCK) and fails with
 * EINVAL for a buffer smaller than one record. poll() reports EPOLLIN while
 * a record is waiting. Records a reader was too slow for (overwritten in
 * the kernel's ring before it read them) are counted in the @lost field of
 * the header of the next record it reads.
 *
 * Decisions carry every caller's identity, so the stream needs
 * CAP_PERFMON or CAP_SYS_ADMIN (perfmon_capable(), as perf events of other
 * users' tasks do).
 * Errnos: EPERM (not perfmon_capable), EOPNOTSUPP (unknown flag), EINVAL
 * (@__reserved not zero), EMFILE/ENFILE, ENOMEM.
 */
struct ioasid_decisions_open {
	__u32 size;
	__u32 flags;
	__u32 out_fd;
	__u32 out_record_size;
	__u32 out_log_size;
	__u32 __reserved;
};

#define IOASID_DECISIONS_OPEN _IO(IOASID_TYPE, IOASID_CMD_DECISIONS_OPEN)

/**
 * enum ioasid_decision_kind - record kinds beyond enum ioasid_policy_op
 * @IOASID_DECISION_KIND_KVM_LINK: KVM was told of an fd's non-coherent DMA
 *	(@error 0), or not, because the fd holds no cache-flush grant
 *	(@error -EPERM, @policy_verdict the same). @fd_id is the ioasid fd
 *	(a VFIO container's own for a container), the device fields are the
 *	VFIO device whose opening made the link, or 0; @decision_flags has
 *	IOASID_DECISION_FLUSH_GRANT and @flush_rate/@flush_burst the grant
 *	in force. No policy is asked: their grants at attach decide.
 * @IOASID_DECISION_KIND_KVM_UNLINK: KVM was told the non-coherent DMA is
 *	gone (a notice, like IOASID_POLICY_OP_DETACH)
 * @IOASID_DECISION_KIND_REVALIDATED: what a revalidation did to one
 *	attachment in force whose decision changed (the decision itself is
 *	recorded just before, as an attach with IOASID_REQ_REVALIDATE in
 *	@req_flags). @decision_flags has IOASID_DECISION_REVOKED (detached:
 *	@error is the denial), IOASID_DECISION_NEEDS_REATTACH (@snoop is the
 *	mode asked for, the domain kept its own) or neither (a new flush
 *	grant or PASID range applied: @flush_rate/@flush_burst in force)
 */
enum ioasid_decision_kind {
	IOASID_DECISION_KIND_KVM_LINK = 16,
	IOASID_DECISION_KIND_KVM_UNLINK = 17,
	IOASID_DECISION_KIND_REVALIDATED = 18,
};

/* Version of struct ioasid_decision_record this header describes. */
#define IOASID_DECISION_RECORD_VERSION 2

/**
 * struct ioasid_decision_record_hdr - the start of every decision record
 * @size: bytes of this record, header included; a newer kernel's records
 *	may be larger (new fields at the end), never smaller than
 *	IOASID_DECISION_RECORD_SIZE_V1
 * @version: IOASID_DECISION_RECORD_VERSION of the kernel that wrote it
 * @kind: enum ioasid_policy_op: the operation decided, or enum
 *	ioasid_decision_kind for what no policy is asked about
 * @seq: sequence number of the decision, counting from 1 at module load;
 *	consecutive within a reader's stream except where @lost says
 * @lost: decisions this reader missed just before this one (the ring
 *	overwrote them before they were read); 0 normally
 * @time_ns: when it was decided, CLOCK_REALTIME in nanoseconds
 */
struct ioasid_decision_record_hdr {
	__u32 size;
	__u16 version;
	__u16 kind;
	__aligned_u64 seq;
	__aligned_u64 lost;
	__aligned_u64 time_ns;
};

/**
 * struct ioasid_decision_record - one decision, as read() returns it
 * @hdr: size, version, kind, sequence number, lost count, time
 * @cgroup_id: the caller's cgroup v2 id
 * @fd_id: unique id of the /dev/ioasid fd the decision was for
 * @uid: the caller's uid (initial user namespace)
 * @pid: the caller's tgid (initial pid namespace)
 * @req_flags: enum ioasid_req_flags of the request (IOASID_REQ_DRY_RUN,
 *	IOASID_REQ_SW_DEVICE, ...)
 * @bdf: PCI segment << 16 | bus << 8 | devfn (0: not PCI)
 * @vendor: device vendor id
 * @device: device id
 * @ioas_id: target IOAS (0: none, e.g. a cache flush)
 * @pasid: PASID of an IOASID_POLICY_OP_ATTACH_PASID
 * @error: the final verdict: 0 allowed, or the negative errno the caller got
 * @policy_verdict: what the deciding policy said (0 allowed, or its
 *	negative errno), before the core had its say
 * @core_error: 0, or the errno of the core where it refused what the
 *	policies allowed (@core_reason says why)
 * @decision_flags: enum ioasid_decision_flags of the final decision
 * @snoop: enum ioasid_snoop_mode applied
 * @flush_rate: granted cache flushes per second (with
 *	IOASID_DECISION_FLUSH_GRANT; 0: unlimited)
 * @flush_burst: granted flush burst
 * @policy_id: id of the deciding policy (its bpf_link id; 0: built-in)
 * @nr_asked: policies asked
 * @driver: the device's driver, or the software device's name
 * @policy: name of the deciding policy ("builtin" for the built-in one, ""
 *	for a decision nobody was asked about)
 * @policy_reason: the deciding policy's reason
 * @core_reason: the core's reason for @core_error ("" when none)
 * @nr_attached: IOASID_POLICY_OP_CACHE_FLUSH (version 2): the fd's
 *	attachments in force (IOMMU groups at their RID, PASID attachments);
 *	the device fields (@bdf, @vendor, @device, @driver) then name the one
 *	whose grant is in force, or the first one when none grants
 * @nr_noncoherent: cache flush (version 2): of those, the ones through a
 *	domain without snoop control
 * @grant_policy_id: cache flush (version 2): the id of the policy whose
 *	decision at attach granted the flush in force (0: built-in); with
 *	IOASID_DECISION_FLUSH_GRANT in @decision_flags, and @flush_rate and
 *	@flush_burst that grant (the fd's, as IOASID_CACHE_FLUSH applies it)
 * @__reserved2: zero
 * @grant_policy: cache flush (version 2): that policy's name ("" when
 *	nothing grants)
 * @grant_reason: cache flush (version 2): its reason at attach
 *
 * All strings are NUL-terminated. There is no implicit padding; the layout
 * is the same on 32- and 64-bit.
 */
struct ioasid_decision_record {
	struct ioasid_decision_record_hdr hdr;
	__aligned_u64 cgroup_id;
	__aligned_u64 fd_id;
	__u32 uid;
	__u32 pid;
	__u32 req_flags;
	__u32 bdf;
	__u16 vendor;
	__u16 device;
	__u32 ioas_id;
	__u32 pasid;
	__s32 error;
	__s32 policy_verdict;
	__s32 core_error;
	__u32 decision_flags;
	__u32 snoop;
	__u32 flush_rate;
	__u32 flush_burst;
	__u32 policy_id;
	__u32 nr_asked;
	char driver[32];
	char policy[16];
	char policy_reason[64];
	char core_reason[64];
	__u32 nr_attached;
	__u32 nr_noncoherent;
	__u32 grant_policy_id;
	__u32 __reserved2;
	char grant_policy[16];
	char grant_reason[64];
};

/* Size of the first version of struct ioasid_decision_record. */
#define IOASID_DECISION_RECORD_SIZE_V1 288
/* Version 2: who a cache flush was for and what granted it. */
#define IOASID_DECISION_RECORD_SIZE_V2 384

#endif /* _UAPI_LINUX_IOASID_H */
