/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ioasid's ioctls on a VFIO container that ioasid-vfio serves (see
 * docs/vfio.md). Same rules as linux/ioasid.h: extensible structs, size
 * first: EINVAL if @size is smaller than the struct, E2BIG if it is larger
 * and the extra bytes are not zero, EFAULT on a bad pointer. A container
 * served by vfio_iommu_type1 answers ENOTTY.
 */
#ifndef _UAPI_LINUX_IOASID_VFIO_H
#define _UAPI_LINUX_IOASID_VFIO_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/ioasid.h>

enum {
	IOASID_CMD_VFIO_JOIN_IOAS = 0x60,
};

/**
 * struct ioasid_vfio_join_ioas - IOASID_VFIO_JOIN_IOAS
 * @size: sizeof(struct ioasid_vfio_join_ioas)
 * @flags: must be 0
 * @ioasid_fd: an open /dev/ioasid
 * @ioas_id: an IOAS of @ioasid_fd
 *
 * The container leaves its own IO address space for @ioas_id: every group
 * of the container is decided by the policies again, as an attach of that
 * fd (its fd id, its non-coherent state), and attached to @ioas_id. From
 * then on the container's MAP_DMA and UNMAP_DMA act on that IOAS, which
 * the fd's own IOASID_IOAS_MAP, COPY and devices share: a VMM can put VFIO
 * devices and native ones in one address space. The container holds the
 * fd; the IOAS cannot be destroyed while the container's groups are
 * attached to it (EBUSY).
 *
 * Errors, with the container unchanged: EBADF (@ioasid_fd is not an open
 * /dev/ioasid), ENOENT (no such IOAS), EBUSY (the container has mappings
 * of its own, or joined an IOAS already), EOPNOTSUPP (unknown @flags),
 * or what a policy or the attach returned for a group (the groups are
 * then put back on the container's own IOAS; a group that cannot be put
 * back stays blocked and the error is returned).
 */
struct ioasid_vfio_join_ioas {
	__u32 size;
	__u32 flags;
	__s32 ioasid_fd;
	__u32 ioas_id;
};

#define IOASID_VFIO_JOIN_IOAS _IO(IOASID_TYPE, IOASID_CMD_VFIO_JOIN_IOAS)

#endif /* _UAPI_LINUX_IOASID_VFIO_H */
