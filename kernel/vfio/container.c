// SPDX-License-Identifier: GPL-2.0
/*
 * The type1v2 uAPI of a container (include/uapi/linux/vfio.h), on the
 * container's IOAS. Argument checks follow vfio_iommu_type1.c in order and
 * errno, so a program gets the same answers from either driver; what
 * differs on purpose is listed in docs/vfio.md.
 */
#define pr_fmt(fmt) "ioasid-vfio: " fmt

#include <linux/file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/module.h>
#include <linux/ioasid_kernel.h>
#include <linux/ioasid.h>
#include <linux/ioasid_kioas.h>
#include <linux/ioasid_vfio.h>

#include "ioasid_vfio.h"

bool ioasid_vfio_serve_type1;
module_param_named(serve_type1, ioasid_vfio_serve_type1, bool, 0644);
MODULE_PARM_DESC(serve_type1,
		 "Serve VFIO_TYPE1v2_IOMMU containers (else vfio_iommu_type1 does)");

unsigned int ioasid_vfio_dma_entry_limit = U16_MAX;
module_param_named(dma_entry_limit, ioasid_vfio_dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit,
		 "Mappings per container, read at SET_IOMMU (as vfio_iommu_type1's)");

/* Most IOVA ranges GET_INFO reports (reserved regions split the space). */
#define VFIO_MAX_RANGES 64

static long check_extension(struct ioasid_vfio_container *c, unsigned long arg)
{
	struct ioasid_vfio_group *vg;
	long ret;

	switch (arg) {
	case VFIO_TYPE1v2_IOMMU:
		return READ_ONCE(ioasid_vfio_serve_type1);
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		if (!c)
			return 0;
		mutex_lock(&c->lock);
		/* Emulated groups' copies are the CPU's: coherent. */
		ret = !list_empty(&c->groups) || !list_empty(&c->emu.groups);
		list_for_each_entry(vg, &c->groups, node)
			if (!vg->enforce_cc)
				ret = 0;
		mutex_unlock(&c->lock);
		return ret;
	default:
		/* TYPE1 (v1), NESTING, UPDATE_VADDR: not served (docs/vfio.md) */
		return 0;
	}
}

/* Page sizes of the container: as vfio_update_pgsize_bitmap(). */
static u64 container_pgsizes(struct ioasid_vfio_container *c)
{
	struct ioasid_vfio_group *vg;
	u64 bitmap = ULONG_MAX;

	lockdep_assert_held(&c->lock);
	list_for_each_entry(vg, &c->groups, node)
		bitmap &= vg->pgsize_bitmap;
	if (bitmap & ~PAGE_MASK) {
		bitmap &= PAGE_MASK;
		bitmap |= PAGE_SIZE;
	}
	return bitmap;
}

static u64 container_pgsize(struct ioasid_vfio_container *c)
{
	u64 bitmap = container_pgsizes(c);

	return bitmap ? 1ULL << __ffs64(bitmap) : PAGE_SIZE;
}

/*
 * The valid IOVA ranges: what the IOAS allows less the attached devices'
 * reserved regions (the core reserves them at attach), within every
 * group's aperture. Returns the number of ranges, which may exceed @max.
 */
static int container_ranges(struct ioasid_vfio_container *c,
			    struct ioasid_iova_range *r, u32 max)
{
	struct ioasid_vfio_group *vg;
	u64 start = 0, last = U64_MAX;
	u32 nr, i, n = 0;
	int rc;

	lockdep_assert_held(&c->lock);
	list_for_each_entry(vg, &c->groups, node) {
		if (!vg->aperture_last && !vg->aperture_start)
			continue;
		start = max(start, vg->aperture_start);
		last = min(last, vg->aperture_last);
	}
	rc = ioasid_kioas_iova_ranges(c->ioasid_file, c->ioas_id, r, max, &nr);
	if (rc)
		return rc;
	if (nr > max)
		return -E2BIG;
	for (i = 0; i < nr; i++) {
		u64 s = max(r[i].start, start), l = min(r[i].last, last);

		if (s > l)
			continue;
		r[n].start = s;
		r[n].last = l;
		n++;
	}
	return n;
}

/*
 * 0 when [start, last] lies in one usable range, -EINVAL when it does not
 * (type1's answer), or -ENOMEM: a failed allocation is not a bad IOVA.
 */
static int iova_check(struct ioasid_vfio_container *c, u64 start, u64 last)
{
	struct ioasid_iova_range *r;
	int i, n, rc;

	r = kcalloc(VFIO_MAX_RANGES, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	n = container_ranges(c, r, VFIO_MAX_RANGES);
	rc = n < 0 ? n : -EINVAL;
	for (i = 0; i < n; i++)
		if (start >= r[i].start && last <= r[i].last)
			rc = 0;
	kfree(r);
	return rc;
}

static u32 dma_avail(struct ioasid_vfio_container *c)
{
	struct ioasid_kioas_info info;

	if (ioasid_kioas_get_info(c->ioasid_file, c->ioas_id, &info))
		return 0;
	return info.nr_mappings >= c->dma_entry_limit ?
	       0 : c->dma_entry_limit - info.nr_mappings;
}

static int map_dma(struct ioasid_vfio_container *c, unsigned long arg)
{
	u32 mask = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	struct vfio_iommu_type1_dma_map map;
	unsigned long minsz;
	u32 flags = 0;
	u64 pgsize;
	int rc;

	minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	if (copy_from_user(&map, (void __user *)arg, minsz))
		return -EFAULT;
	/* VFIO_DMA_MAP_FLAG_VADDR: VFIO_UPDATE_VADDR is not offered. */
	if (map.argsz < minsz || map.flags & ~mask)
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		flags |= IOASID_MAP_READABLE;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		flags |= IOASID_MAP_WRITEABLE;
	if (!flags)
		return -EINVAL;

	mutex_lock(&c->lock);
	pgsize = container_pgsize(c);
	rc = -EINVAL;
	if (!map.size || (map.size | map.iova | map.vaddr) & (pgsize - 1))
		goto out;
	if (map.iova + map.size - 1 < map.iova ||
	    map.vaddr + map.size - 1 < map.vaddr)
		goto out;
	rc = ioasid_kioas_mapped(c->ioasid_file, c->ioas_id, map.iova,
				 map.iova + map.size - 1);
	if (rc) {
		rc = rc > 0 ? -EEXIST : rc;
		goto out;
	}
	rc = -ENOSPC;
	if (!dma_avail(c))
		goto out;
	rc = iova_check(c, map.iova, map.iova + map.size - 1);
	if (rc)
		goto out;
	rc = ioasid_kioas_map_user(c->ioasid_file, c->ioas_id, map.iova,
				   map.vaddr, map.size, flags);
	/* A reserved or disallowed IOVA: type1 says EINVAL. */
	if (rc == -ENOSPC || rc == -EOVERFLOW)
		rc = -EINVAL;
out:
	mutex_unlock(&c->lock);
	return rc;
}

static int unmap_dma(struct ioasid_vfio_container *c, unsigned long arg)
{
	u32 mask = VFIO_DMA_UNMAP_FLAG_ALL;
	struct vfio_iommu_type1_dma_unmap unmap;
	unsigned long minsz;
	u64 pgsize, unmapped = 0;
	int rc;

	minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	if (copy_from_user(&unmap, (void __user *)arg, minsz))
		return -EFAULT;
	/* GET_DIRTY_BITMAP, VADDR: no dirty tracking, no UPDATE_VADDR. */
	if (unmap.argsz < minsz || unmap.flags & ~mask)
		return -EINVAL;

	mutex_lock(&c->lock);
	pgsize = container_pgsize(c);
	rc = -EINVAL;
	if (unmap.iova & (pgsize - 1))
		goto out;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova || unmap.size)
			goto out;
		rc = ioasid_kioas_unmap(c->ioasid_file, c->ioas_id, 0, 0,
					IOASID_UNMAP_ALL, &unmapped);
	} else {
		if (!unmap.size || unmap.size & (pgsize - 1) ||
		    unmap.iova + unmap.size - 1 < unmap.iova)
			goto out;
		/* type1v2: a range may not bisect a mapping (core: EBUSY). */
		rc = ioasid_kioas_unmap(c->ioasid_file, c->ioas_id, unmap.iova,
					unmap.size, 0, &unmapped);
		if (rc == -EBUSY)
			rc = -EINVAL;
	}
	/* Nothing mapped there: success, size 0 (type1v2). */
	if (rc == -ENOENT)
		rc = 0;
out:
	mutex_unlock(&c->lock);
	if (rc)
		return rc;
	unmap.size = unmapped;
	return copy_to_user((void __user *)arg, &unmap, minsz) ? -EFAULT : 0;
}

static int add_caps(struct ioasid_vfio_container *c, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap_iovas;
	struct vfio_iommu_type1_info_dma_avail cap_avail = {
		.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
		.header.version = 1,
	};
	struct ioasid_iova_range *r;
	size_t size;
	int i, n, rc;

	lockdep_assert_held(&c->lock);
	cap_avail.avail = dma_avail(c);
	rc = vfio_info_add_capability(caps, &cap_avail.header,
				      sizeof(cap_avail));
	if (rc)
		return rc;

	r = kcalloc(VFIO_MAX_RANGES, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	n = container_ranges(c, r, VFIO_MAX_RANGES);
	if (n <= 0) {
		kfree(r);
		return n;
	}
	size = struct_size(cap_iovas, iova_ranges, n);
	cap_iovas = kzalloc(size, GFP_KERNEL);
	if (!cap_iovas) {
		kfree(r);
		return -ENOMEM;
	}
	cap_iovas->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	cap_iovas->header.version = 1;
	cap_iovas->nr_iovas = n;
	for (i = 0; i < n; i++) {
		cap_iovas->iova_ranges[i].start = r[i].start;
		cap_iovas->iova_ranges[i].end = r[i].last;
	}
	rc = vfio_info_add_capability(caps, &cap_iovas->header, size);
	kfree(cap_iovas);
	kfree(r);
	return rc;
}

static int get_info(struct ioasid_vfio_container *c, unsigned long arg)
{
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_iommu_type1_info info = {};
	unsigned long minsz;
	int rc;

	minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	minsz = min_t(size_t, info.argsz, sizeof(info));

	mutex_lock(&c->lock);
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = container_pgsizes(c);
	rc = add_caps(c, &caps);
	mutex_unlock(&c->lock);
	if (rc) {
		kfree(caps.buf);
		return rc;
	}
	if (caps.size) {
		info.flags |= VFIO_IOMMU_INFO_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user((void __user *)arg + sizeof(info),
					 caps.buf, caps.size)) {
				kfree(caps.buf);
				return -EFAULT;
			}
			info.cap_offset = sizeof(info);
		}
		kfree(caps.buf);
	}
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static int join_ioas(struct ioasid_vfio_container *c, unsigned long arg)
{
	struct ioasid_vfio_join_ioas __user *ucmd = (void __user *)arg;
	struct ioasid_vfio_join_ioas cmd;
	struct ioasid_kioas_info info;
	struct file *file;
	u32 size;
	int rc;

	if (get_user(size, &ucmd->size))
		return -EFAULT;
	if (size < sizeof(cmd))
		return -EINVAL;
	rc = copy_struct_from_user(&cmd, sizeof(cmd), ucmd, size);
	if (rc)
		return rc;
	if (cmd.flags)
		return -EOPNOTSUPP;
	file = fget(cmd.ioasid_fd);
	if (!file)
		return -EBADF;
	if (!ioasid_file_is_ioasid(file)) {
		rc = -EBADF;
		goto out_put;
	}
	mutex_lock(&c->lock);
	rc = ioasid_kioas_get_info(c->ioasid_file, c->ioas_id, &info);
	if (!rc && (c->joined || info.nr_mappings || ioasid_vfio_emu_busy(c)))
		rc = -EBUSY;
	if (!rc)
		rc = ioasid_kioas_get_info(file, cmd.ioas_id, &info);
	if (!rc)
		rc = ioasid_vfio_move_groups(c, file, cmd.ioas_id);
	if (!rc) {
		/* The container's own IOAS is empty and unused now. */
		WARN_ON(ioasid_kioas_destroy(c->ioasid_file, c->ioas_id));
		swap(c->ioasid_file, file);
		c->ioas_id = cmd.ioas_id;
		c->joined = true;
	}
	mutex_unlock(&c->lock);
out_put:
	fput(file);
	return rc;
}

/**
 * ioasid_vfio_ioctl - VFIO's ioctl callback for a container
 * @iommu_data: the container, or NULL (CHECK_EXTENSION before SET_IOMMU)
 * @cmd: the VFIO ioctl
 * @arg: its user pointer or value
 *
 * Return: as vfio_iommu_type1 for the same ioctl; -ENOTTY for ioctls
 * not served.
 */
long ioasid_vfio_ioctl(void *iommu_data, unsigned int cmd, unsigned long arg)
{
	struct ioasid_vfio_container *c = iommu_data;

	if (cmd == VFIO_CHECK_EXTENSION)
		return check_extension(c, arg);
	if (!c)
		return -ENOTTY;
	switch (cmd) {
	case VFIO_IOMMU_GET_INFO:
		return get_info(c, arg);
	case VFIO_IOMMU_MAP_DMA:
		return map_dma(c, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return unmap_dma(c, arg);
	case IOASID_VFIO_JOIN_IOAS:
		return join_ioas(c, arg);
	default:
		/* VFIO_IOMMU_DIRTY_PAGES: no dirty tracking (docs/vfio.md). */
		return -ENOTTY;
	}
}
