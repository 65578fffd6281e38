// SPDX-License-Identifier: GPL-2.0
/*
 * IO address spaces for in-kernel front ends (linux/ioasid_kioas.h): thin
 * wrappers that look an IOAS up by id in a context and call the same
 * io_pagetable functions the IOASID_IOAS_* ioctls call.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/ioasid_kernel.h>
#include <linux/ioasid_kioas.h>

#include "io_pagetable.h"

static struct ioasid_ioas *kioas_get(struct file *ioasid_file, u32 ioas_id)
{
	struct ioasid_object *obj;

	if (!ioasid_file_is_ioasid(ioasid_file))
		return ERR_PTR(-EBADF);
	obj = ioasid_get_object(ioasid_file->private_data, ioas_id,
				IOASID_OBJ_IOAS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_ioas, obj);
}

static void kioas_put(struct ioasid_ioas *ioas)
{
	ioasid_put_object(ioas->ctx, &ioas->obj);
}

/**
 * ioasid_kioas_alloc - a new, empty root IOAS in a context
 * @ioasid_file: the context (ioasid_kernel_file(), or an open /dev/ioasid)
 * @ioas_id: its id, out
 *
 * Return: 0, -EBADF (not an ioasid file), -ENOMEM.
 */
int ioasid_kioas_alloc(struct file *ioasid_file, u32 *ioas_id)
{
	struct ioasid_ioas *ioas;

	if (!ioasid_file_is_ioasid(ioasid_file))
		return -EBADF;
	ioas = ioasid_ioas_create(ioasid_file->private_data);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	*ioas_id = ioas->obj.id;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kioas_alloc, IOASID);

/**
 * ioasid_kioas_destroy - destroy an IOAS, unmapping and uncharging it all
 * @ioasid_file: its context
 * @ioas_id: the IOAS; no device may be attached to it
 *
 * Return: 0, -ENOENT (no such IOAS), -EBUSY (still in use).
 */
int ioasid_kioas_destroy(struct file *ioasid_file, u32 ioas_id)
{
	if (!ioasid_file_is_ioasid(ioasid_file))
		return -EBADF;
	return ioasid_object_destroy_user(ioasid_file->private_data, ioas_id);
}
EXPORT_SYMBOL_NS_GPL(ioasid_kioas_destroy, IOASID);

/**
 * ioasid_kioas_map_user - map the calling process's memory at a fixed IOVA
 * @ioasid_file: the IOAS's context
 * @ioas_id: the IOAS
 * @iova: where, page aligned
 * @uaddr: the memory, page aligned
 * @length: bytes, a multiple of the page size
 * @map_flags: IOASID_MAP_READABLE and/or IOASID_MAP_WRITEABLE
 *
 * The pages are pinned and charged to the calling process as
 * IOASID_IOAS_MAP does, mapped into every domain of the IOAS.
 *
 * Return: 0, or as IOASID_IOAS_MAP with IOASID_MAP_FIXED_IOVA: -EINVAL
 * (alignment, no permission), -EOVERFLOW, -EEXIST (overlaps a mapping),
 * -ENOSPC (not an allowed IOVA, or reserved by a device), -EFAULT (bad
 * memory), -ENOMEM (also: over the locked-memory limit), -EOPNOTSUPP
 * (unknown flags).
 */
int ioasid_kioas_map_user(struct file *ioasid_file, u32 ioas_id, u64 iova,
			  unsigned long uaddr, u64 length, u32 map_flags)
{
	struct ioasid_ioas *ioas;
	int rc;

	if (map_flags & ~(IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE))
		return -EOPNOTSUPP;
	ioas = kioas_get(ioasid_file, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_map_user(ioas, &iova, uaddr, length, 0,
			   map_flags | IOASID_MAP_FIXED_IOVA);
	kioas_put(ioas);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kioas_map_user, IOASID);

/**
 * ioasid_kioas_unmap - unmap a range, or everything
 * @ioasid_file: the IOAS's context
 * @ioas_id: the IOAS
 * @iova: first byte (0 with IOASID_UNMAP_ALL)
 * @length: bytes (0 with IOASID_UNMAP_ALL)
 * @unmap_flags: IOASID_UNMAP_ALL and/or IOASID_UNMAP_ALLOW_SPLIT
 * @unmapped: bytes unmapped, out (also on a partial failure)
 *
 * Access-API users are told about the pins the range revokes before this
 * returns (docs/in-kernel.md).
 *
 * Return: 0, -ENOENT (nothing mapped in the range), -EBUSY (would cut a
 * mapping without IOASID_UNMAP_ALLOW_SPLIT), -EINVAL, -EOVERFLOW,
 * -EOPNOTSUPP (unknown flags).
 */
int ioasid_kioas_unmap(struct file *ioasid_file, u32 ioas_id, u64 iova,
		       u64 length, u32 unmap_flags, u64 *unmapped)
{
	struct ioasid_ioas *ioas;
	int rc;

	*unmapped = 0;
	if (unmap_flags & ~(IOASID_UNMAP_ALL | IOASID_UNMAP_ALLOW_SPLIT))
		return -EOPNOTSUPP;
	ioas = kioas_get(ioasid_file, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_unmap(ioas, iova, length, unmap_flags, unmapped);
	kioas_put(ioas);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kioas_unmap, IOASID);

/**
 * ioasid_kioas_iova_ranges - the IOVA ranges a map may use
 * @ioasid_file: the IOAS's context
 * @ioas_id: the IOAS
 * @ranges: filled with up to @max ranges, in order
 * @max: room in @ranges
 * @nr: number of ranges (may exceed @max), out
 *
 * The allowed ranges less what attached devices reserved, as
 * IOASID_IOAS_IOVA_RANGES reports them. The apertures of the attached
 * domains are not applied: the caller knows its devices.
 *
 * Return: 0, -ENOENT, -EBADF.
 */
int ioasid_kioas_iova_ranges(struct file *ioasid_file, u32 ioas_id,
			     struct ioasid_iova_range *ranges, u32 max,
			     u32 *nr)
{
	struct ioasid_ioas *ioas;
	int rc;

	ioas = kioas_get(ioasid_file, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_get_ranges(ioas, ranges, max, nr);
	kioas_put(ioas);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kioas_iova_ranges, IOASID);

/**
 * ioasid_kioas_mapped - is anything mapped in a range?
 * @ioasid_file: the IOAS's context
 * @ioas_id: the IOAS
 * @start: first IOVA
 * @last: last IOVA (inclusive)
 *
 * Return: 1 if a mapping overlaps [@start, @last], 0 if none does,
 * -ENOENT, -EBADF.
 */
int ioasid_kioas_mapped(struct file *ioasid_file, u32 ioas_id, u64 start,
			u64 last)
{
	struct ioasid_ioas *ioas;
	int rc;

	ioas = kioas_get(ioasid_file, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_mapped(ioas, start, last);
	kioas_put(ioas);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kioas_mapped, IOASID);

/**
 * ioasid_kioas_get_info - the IOAS's mapping count and size
 * @ioasid_file: the IOAS's context
 * @ioas_id: the IOAS
 * @info: filled
 *
 * Return: 0, -ENOENT, -EBADF.
 */
int ioasid_kioas_get_info(struct file *ioasid_file, u32 ioas_id,
			  struct ioasid_kioas_info *info)
{
	struct ioasid_ioas *ioas;

	ioas = kioas_get(ioasid_file, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	ioas_lock(ioas);
	info->nr_mappings = ioas->nr_areas;
	info->mapped_bytes = ioas->mapped_bytes;
	ioas_unlock(ioas);
	kioas_put(ioas);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kioas_get_info, IOASID);
