/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IO address spaces of a kernel-held ioasid context, for in-kernel
 * front ends that speak another uAPI (the VFIO IOMMU backend,
 * ioasid-vfio.ko).
 *
 * The front end holds a context from ioasid_kernel_file() (or, later, a
 * user's /dev/ioasid fd) and names its IOAS by id. Every call goes
 * through the same io_pagetable code as the IOASID_IOAS_* ioctls: maps
 * pin and charge the calling process, unmaps revoke access-API pins and
 * keep every attached domain in step. Nothing here decides policy; the
 * devices that reach an IOAS are attached with ioasid_device_attach*().
 */
#ifndef __LINUX_IOASID_KIOAS_H
#define __LINUX_IOASID_KIOAS_H

#include <linux/types.h>

struct file;
struct ioasid_iova_range;

/**
 * struct ioasid_kioas_info - what a front end needs to know of an IOAS
 * @nr_mappings: mappings (areas) in the IOAS
 * @mapped_bytes: bytes they cover
 */
struct ioasid_kioas_info {
	u32 nr_mappings;
	u64 mapped_bytes;
};

int ioasid_kioas_alloc(struct file *ioasid_file, u32 *ioas_id);
int ioasid_kioas_destroy(struct file *ioasid_file, u32 ioas_id);
int ioasid_kioas_map_user(struct file *ioasid_file, u32 ioas_id, u64 iova,
			  unsigned long uaddr, u64 length, u32 map_flags);
int ioasid_kioas_unmap(struct file *ioasid_file, u32 ioas_id, u64 iova,
		       u64 length, u32 unmap_flags, u64 *unmapped);
int ioasid_kioas_iova_ranges(struct file *ioasid_file, u32 ioas_id,
			     struct ioasid_iova_range *ranges, u32 max,
			     u32 *nr);
int ioasid_kioas_mapped(struct file *ioasid_file, u32 ioas_id, u64 start,
			u64 last);
int ioasid_kioas_get_info(struct file *ioasid_file, u32 ioas_id,
			  struct ioasid_kioas_info *info);

#endif /* __LINUX_IOASID_KIOAS_H */
