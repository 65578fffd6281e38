/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ioasid device fds: the uAPI of /dev/ioasid-dev/<BDF> (ioasid-pci).
 * Every struct is extensible by the rule stated once in linux/ioasid.h.
 */
#ifndef _UAPI_LINUX_IOASID_DEVICE_H
#define _UAPI_LINUX_IOASID_DEVICE_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/ioasid.h>
#include <linux/ioasid_policy.h>

enum {
	IOASID_CMD_DEVICE_BIND = 0x40,
	IOASID_CMD_DEVICE_ATTACH = 0x41,
	IOASID_CMD_DEVICE_DETACH = 0x42,
	IOASID_CMD_DEVICE_GET_INFO = 0x43,
	IOASID_CMD_DEVICE_REGION_INFO = 0x44,
};

/*
 * Devices. A device given to the ioasid-pci driver (driver_override, or
 * "ioasidctl device bind BDF") gets a char device /dev/ioasid-dev/<BDF>;
 * its file permissions are the access control. The device fd binds the
 * device to one /dev/ioasid fd, attaches it to IOASes, and lets a user-space
 * driver reach its BARs (mmap at the region's offset) and config space
 * (pread/pwrite at the config region's offset).
 *
 * Group safety: while bound, the device's whole IOMMU group is owned by the
 * ioasid fd; binding fails with EBUSY while another device of the group is
 * used by a kernel driver for DMA or bound to another ioasid fd, and every
 * device of a group must attach to the same IOAS (EINVAL otherwise).
 *
 * One open file drives a bound device: the one whose BIND bound it (and
 * its dups). Until that file is released (closed, and its last BAR
 * mapping gone) or the device removed, ATTACH, DETACH, config writes,
 * BAR mmap and BAR pread/pwrite through any other open file of the device
 * fail with EBUSY;
 * GET_INFO, REGION_INFO and config reads work through any. Releasing the
 * binding resets the device (where it has a reset method) and restores
 * its config space to what it was when ioasid-pci took it.
 *
 * Config writes are filtered as vfio-pci filters them: the header's
 * identity, BARs, ROM BAR and pointers, every capability header, the
 * command register's memory and I/O enables, the PM power state, PCIe
 * Initiate FLR and the SR-IOV and resizable-BAR capabilities keep the
 * device's value; such writes are dropped silently and the write still
 * returns its length. Reads return the device's registers.
 *
 * Every ioctl of a device fd takes an extensible struct (size first; the
 * rule, with its EINVAL and E2BIG, is in linux/ioasid.h). Besides: EFAULT
 * on a bad pointer (also when the answer cannot be written back: a BIND
 * then leaves the device unbound), ENODEV once the device is gone
 * (hot-unplug), ENOTTY for an unknown ioctl.
 */

/**
 * struct ioasid_device_bind - ioctl(IOASID_DEVICE_BIND) on a device fd
 * @size: sizeof(struct ioasid_device_bind)
 * @flags: must be 0
 * @ioasid_fd: an open /dev/ioasid
 * @out_dev_id: the device's object id in that fd
 *
 * Errnos: EOPNOTSUPP (@flags not 0), EBADF (@ioasid_fd is not
 * /dev/ioasid), EALREADY (already bound), EBUSY (the group is used by a
 * kernel driver or another ioasid fd), EINVAL (the device has no IOMMU
 * group), EPERM (the device's MSIs are not isolated, i.e. no interrupt
 * remapping, and the ioasid module parameter allow_unsafe_interrupts is
 * off), ENODEV (the device is gone).
 */
struct ioasid_device_bind {
	__u32 size;
	__u32 flags;
	__s32 ioasid_fd;
	__u32 out_dev_id;
};

#define IOASID_DEVICE_BIND _IO(IOASID_TYPE, IOASID_CMD_DEVICE_BIND)

/**
 * enum ioasid_device_attach_flags - flags for IOASID_DEVICE_ATTACH/DETACH
 * @IOASID_ATTACH_PASID: attach (detach) at @pasid instead of the RID
 * @IOASID_ATTACH_HW_NESTED: @ioas_id is nested: translate it in the IOMMU
 *	(stage 1 over the parent's stage 2) instead of in software. EINVAL
 *	if the IOAS has no parent; EOPNOTSUPP, with the reason in GET_INFO's
 *	decision, where the IOMMU cannot nest (GET_INFO lacks
 *	IOASID_IOMMU_CAP_NESTING) and, in this version, everywhere else too.
 * @IOASID_ATTACH_REPLACE: the device is attached: move it to @ioas_id with
 *	no window in which DMA is blocked or reaches stale mappings
 */
enum ioasid_device_attach_flags {
	IOASID_ATTACH_PASID = 1 << 0,
	IOASID_ATTACH_REPLACE = 1 << 1,
	IOASID_ATTACH_HW_NESTED = 1 << 2,
};

/**
 * struct ioasid_device_attach - ioctl(IOASID_DEVICE_ATTACH) on a device fd
 * @size: sizeof(struct ioasid_device_attach)
 * @flags: enum ioasid_device_attach_flags
 * @ioas_id: IOAS to attach to, in the bound ioasid fd
 * @pasid: with IOASID_ATTACH_PASID, the PASID
 *
 * The policies decide first (the decision is kept and shown by GET_INFO).
 * A failed ATTACH or REPLACE changes nothing: a device being replaced
 * stays attached where it was.
 * Errnos: ENXIO (not bound), EOPNOTSUPP (unknown flag; PASID with REPLACE;
 * no PASID support), ENOENT (no such IOAS in the bound fd, or it is being
 * destroyed), EBUSY (bound through another open file; already attached
 * without REPLACE; REPLACE while other devices of the group are attached
 * too), EINVAL (@ioas_id is not an IOAS;
 * REPLACE while not attached; another device of the group is attached to a
 * different IOAS; the device cannot be made coherent as decided; @pasid 0
 * or above IOASID_PASID_MAX), EADDRINUSE (a reserved region of the device,
 * or the domain's aperture, collides with an existing mapping or an
 * allowed range), EPERM or another errno a policy returned (EPERM also for
 * a PASID outside the range the policy granted).
 */
struct ioasid_device_attach {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 pasid;
};

#define IOASID_DEVICE_ATTACH _IO(IOASID_TYPE, IOASID_CMD_DEVICE_ATTACH)

/**
 * struct ioasid_device_detach - ioctl(IOASID_DEVICE_DETACH) on a device fd
 * @size: sizeof(struct ioasid_device_detach)
 * @flags: IOASID_ATTACH_PASID or 0
 * @pasid: with IOASID_ATTACH_PASID, the PASID
 * @__reserved: must be 0
 *
 * After it returns the device's DMA reaches nothing (blocked), with one
 * exception the IOMMU imposes: it translates an IOMMU group as one, so a
 * device whose group has other devices still attached keeps reaching their
 * IOAS until the last of them detaches; then the whole group is blocked.
 * (Blocking one member alone is impossible; refusing the detach would
 * leave no member able to detach.) Every device of the group is owned by
 * the same fd, so no other user's memory is reachable either way.
 * Errnos: EINVAL (@__reserved not 0), EOPNOTSUPP (a flag other than
 * IOASID_ATTACH_PASID), ENXIO (not bound), EBUSY (bound through another
 * open file), ENOENT (not attached).
 */
struct ioasid_device_detach {
	__u32 size;
	__u32 flags;
	__u32 pasid;
	__u32 __reserved;
};

#define IOASID_DEVICE_DETACH _IO(IOASID_TYPE, IOASID_CMD_DEVICE_DETACH)

/**
 * enum ioasid_device_policy_state - what a revalidation left for the owner
 * @IOASID_DEVICE_NEEDS_REATTACH: the policies now decide another snoop mode
 *	for an attachment of the device (its RID or a PASID) than its domain
 *	has; the domain was kept. Detach and attach again (or REPLACE with
 *	another IOAS) to apply it
 * @IOASID_DEVICE_REVOKED: a policy denied an attachment of the device
 *	that was in force: it was detached (a RID revocation detaches the
 *	whole IOMMU group's RID attachment). @out_decision has the denial
 *
 * Both clear at the device's next successful attach or its detach; while
 * any device of an fd has one, the fd's poll() reports EPOLLPRI.
 */
enum ioasid_device_policy_state {
	IOASID_DEVICE_NEEDS_REATTACH = 1 << 0,
	IOASID_DEVICE_REVOKED = 1 << 1,
};

/**
 * struct ioasid_device_info - ioctl(IOASID_DEVICE_GET_INFO) on a device fd
 * @size: sizeof(struct ioasid_device_info)
 * @flags: must be 0
 * @out_iommu_caps: enum ioasid_iommu_caps
 * @out_pasid_bits: PASID width usable (0: none)
 * @out_group_id: IOMMU group number
 * @out_group_size: devices in the group
 * @out_dev_id: object id in the bound ioasid fd (0: not bound)
 * @out_ioas_id: attached IOAS (0: not attached)
 * @out_pgsize_bitmap: page sizes the IOMMU maps
 * @out_aperture_start: first IOVA the IOMMU translates
 * @out_aperture_last: last IOVA the IOMMU translates (0 with
 *	@out_aperture_start 0: not known before the first attach, as with
 *	virtio-iommu)
 * @out_iommu_driver: IOMMU driver name
 * @out_decision: the policy decision of the RID attachment in force;
 *	while the RID is not attached, that of the last attach attempt (a
 *	refusal with its reason; zero before any). A failed REPLACE or a
 *	PASID attach does not change it while the RID is attached; after a
 *	revalidation (IOASID_POLICY_REVALIDATE), the decision it made
 * @out_policy_state: enum ioasid_device_policy_state (since the second
 *	version of this struct; absent from a first-version caller's)
 * @__reserved: zero
 *
 * Errnos: EOPNOTSUPP (@flags not 0), ENODEV (no IOMMU group).
 */
struct ioasid_device_info {
	__u32 size;
	__u32 flags;
	__u32 out_iommu_caps;
	__u32 out_pasid_bits;
	__u32 out_group_id;
	__u32 out_group_size;
	__u32 out_dev_id;
	__u32 out_ioas_id;
	__aligned_u64 out_pgsize_bitmap;
	__aligned_u64 out_aperture_start;
	__aligned_u64 out_aperture_last;
	char out_iommu_driver[32];
	struct ioasid_policy_decision out_decision;
	__u32 out_policy_state;
	__u32 __reserved;
};

#define IOASID_DEVICE_GET_INFO _IO(IOASID_TYPE, IOASID_CMD_DEVICE_GET_INFO)

/* Region indexes: PCI BARs 0-5, then config space. */
#define IOASID_PCI_CONFIG_REGION_INDEX 7
/* A region's offset in the device fd: index << IOASID_REGION_SHIFT. */
#define IOASID_REGION_SHIFT 40

/**
 * enum ioasid_region_flags - what a device region allows
 * @IOASID_REGION_READ: pread
 * @IOASID_REGION_WRITE: pwrite
 * @IOASID_REGION_MMAP: mmap (memory BARs of at least a page, page aligned;
 *	a smaller memory BAR has IOASID_REGION_READ and IOASID_REGION_WRITE
 *	instead: pread/pwrite at its offset, through the binding file only)
 */
enum ioasid_region_flags {
	IOASID_REGION_READ = 1 << 0,
	IOASID_REGION_WRITE = 1 << 1,
	IOASID_REGION_MMAP = 1 << 2,
};

/**
 * struct ioasid_region_info - ioctl(IOASID_DEVICE_REGION_INFO)
 * @size: sizeof(struct ioasid_region_info)
 * @index: BAR number (0-5) or IOASID_PCI_CONFIG_REGION_INDEX
 * @out_flags: enum ioasid_region_flags (0: the region does not exist)
 * @__reserved: must be 0
 * @out_size: region size in bytes
 * @out_offset: offset of the region in the device fd
 *
 * Errnos: EINVAL (@index not 0-5 or 7; @__reserved not 0).
 */
struct ioasid_region_info {
	__u32 size;
	__u32 index;
	__u32 out_flags;
	__u32 __reserved;
	__aligned_u64 out_size;
	__aligned_u64 out_offset;
};

#define IOASID_DEVICE_REGION_INFO _IO(IOASID_TYPE, IOASID_CMD_DEVICE_REGION_INFO)

#endif /* _UAPI_LINUX_IOASID_DEVICE_H */
