// SPDX-License-Identifier: GPL-2.0
/*
 * Per-PASID kernel contexts (linux/ioasid_pasid.h): a kernel driver keeps
 * its device and runs client contexts on it, one PASID and one IOAS each.
 *
 * Nothing here is a shortcut: the device is bound to a private ioasid
 * context (an anonymous file, ioasid_kernel_file()) with
 * IOASID_BIND_KERNEL_OWNED, so DMA ownership is not claimed and the RID
 * stays on the kernel's domain; every context is an IOAS attached with
 * the same PASID attach as user space gets, so the policies decide and the
 * PASID range they grant is enforced; maps pin and charge the calling
 * process like IOASID_IOAS_MAP.
 *
 * Locking: kdev->lock serializes context creation and destruction on one
 * device (and keeps @contexts stable); it is taken before the device's
 * group lock and any IOAS lock.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/ioasid_kernel.h>
#include <linux/ioasid_pasid.h>
#include <linux/ioasid_device.h>

#include "io_pagetable.h"
#include "device.h"

/**
 * struct ioasid_kdev - a device its kernel driver runs PASID contexts on
 * @file: the private ioasid context
 * @ctx: its struct ioasid_ctx
 * @idev: the device, bound kernel-owned
 * @lock: protects @contexts; serializes create and destroy
 * @contexts: PASID -> struct ioasid_pasid_ctx
 */
struct ioasid_kdev {
	struct file *file;
	struct ioasid_ctx *ctx;
	struct ioasid_device *idev;
	struct mutex lock; /* see @lock above */
	struct xarray contexts;
};

/**
 * struct ioasid_pasid_ctx - one client context: an IOAS at a PASID
 * @kdev: the device
 * @ioas: the context's IOAS (published in @kdev's private context)
 * @pasid: the PASID it is attached at
 */
struct ioasid_pasid_ctx {
	struct ioasid_kdev *kdev;
	struct ioasid_ioas *ioas;
	u32 pasid;
};

/**
 * ioasid_kdev_open - prepare a device for per-PASID kernel contexts
 * @dev: the device; its kernel driver keeps it and its DMA domain
 * @desc: how the device presents to policies
 *
 * Return: the handle, or an ERR_PTR: -EINVAL (no IOMMU group), -ENOMEM.
 * A device or IOMMU without PASID support is refused at context creation
 * (-EOPNOTSUPP), with the policy's reason.
 */
struct ioasid_kdev *ioasid_kdev_open(struct device *dev,
				     const struct ioasid_kdev_desc *desc)
{
	struct ioasid_bind_desc bind = {
		.dev_needs = desc->dev_needs | IOASID_NEED_PASID,
		.flags = IOASID_BIND_KERNEL_OWNED,
		.vendor = desc->vendor,
		.device = desc->device,
	};
	struct ioasid_kdev *kdev;
	int rc;

	kdev = kzalloc(sizeof(*kdev), GFP_KERNEL);
	if (!kdev)
		return ERR_PTR(-ENOMEM);
	mutex_init(&kdev->lock);
	xa_init(&kdev->contexts);
	kdev->file = ioasid_kernel_file();
	if (IS_ERR(kdev->file)) {
		rc = PTR_ERR(kdev->file);
		goto err_free;
	}
	kdev->ctx = kdev->file->private_data;
	kdev->idev = ioasid_device_bind_desc(kdev->file, dev, &bind);
	if (IS_ERR(kdev->idev)) {
		rc = PTR_ERR(kdev->idev);
		fput(kdev->file);
		goto err_free;
	}
	return kdev;

err_free:
	mutex_destroy(&kdev->lock);
	kfree(kdev);
	return ERR_PTR(rc);
}
EXPORT_SYMBOL_NS_GPL(ioasid_kdev_open, IOASID);

static void pasid_ctx_free(struct ioasid_pasid_ctx *pctx)
{
	struct ioasid_kdev *kdev = pctx->kdev;

	lockdep_assert_held(&kdev->lock);
	WARN_ON(ioasid_device_detach(kdev->idev, IOASID_ATTACH_PASID,
				     pctx->pasid));
	/* Unmaps and unpins everything the context mapped. */
	WARN_ON(ioasid_object_destroy_user(kdev->ctx, pctx->ioas->obj.id));
	kfree(pctx);
}

/**
 * ioasid_kdev_close - destroy every context and release the device
 * @kdev: from ioasid_kdev_open()
 *
 * Context: process context; the driver must have stopped the device's
 * PASID traffic, and must call this before it unbinds from the device
 * (from its remove callback at the latest).
 */
void ioasid_kdev_close(struct ioasid_kdev *kdev)
{
	struct ioasid_pasid_ctx *pctx;
	unsigned long pasid;

	mutex_lock(&kdev->lock);
	xa_for_each(&kdev->contexts, pasid, pctx) {
		xa_erase(&kdev->contexts, pasid);
		pasid_ctx_free(pctx);
	}
	mutex_unlock(&kdev->lock);
	ioasid_device_unbind(kdev->idev);
	fput(kdev->file);
	xa_destroy(&kdev->contexts);
	mutex_destroy(&kdev->lock);
	kfree(kdev);
}
EXPORT_SYMBOL_NS_GPL(ioasid_kdev_close, IOASID);

/**
 * ioasid_pasid_ctx_create - a new client context at @pasid
 * @kdev: the device
 * @pasid: the PASID (1 .. IOASID_PASID_MAX) the driver programs for the
 *	client
 * @decision: if not NULL, the policy decision (verdict, range, reason) is
 *	copied here, also when the context is refused
 *
 * Makes an empty IOAS and attaches it at @pasid through the policies.
 *
 * Return: the context, or an ERR_PTR: -EOPNOTSUPP (the device or IOMMU has
 * no PASID support), -EPERM (outside the range the policy granted, or
 * denied), -EBUSY (@pasid is in use), -EINVAL (PASID out of range), or
 * another errno a policy denied with.
 */
struct ioasid_pasid_ctx *
ioasid_pasid_ctx_create(struct ioasid_kdev *kdev, u32 pasid,
			struct ioasid_policy_decision *decision)
{
	struct ioasid_attach_result *res;
	struct ioasid_pasid_ctx *pctx;
	int rc;

	pctx = kzalloc(sizeof(*pctx), GFP_KERNEL);
	res = kzalloc(sizeof(*res), GFP_KERNEL);
	if (!pctx || !res) {
		kfree(res);
		kfree(pctx);
		return ERR_PTR(-ENOMEM);
	}
	pctx->kdev = kdev;
	pctx->pasid = pasid;

	mutex_lock(&kdev->lock);
	if (xa_load(&kdev->contexts, pasid)) {
		rc = -EBUSY;
		goto err_unlock;
	}
	pctx->ioas = ioasid_ioas_create(kdev->ctx);
	if (IS_ERR(pctx->ioas)) {
		rc = PTR_ERR(pctx->ioas);
		goto err_unlock;
	}
	rc = ioasid_device_attach_result(kdev->idev, pctx->ioas->obj.id,
					 IOASID_ATTACH_PASID, pasid, res);
	if (decision)
		ioasid_attach_result_export(res, decision);
	if (rc)
		goto err_ioas;
	rc = xa_err(xa_store(&kdev->contexts, pasid, pctx, GFP_KERNEL));
	if (rc) {
		ioasid_device_detach(kdev->idev, IOASID_ATTACH_PASID, pasid);
		goto err_ioas;
	}
	mutex_unlock(&kdev->lock);
	kfree(res);
	return pctx;

err_ioas:
	WARN_ON(ioasid_object_destroy_user(kdev->ctx, pctx->ioas->obj.id));
err_unlock:
	mutex_unlock(&kdev->lock);
	kfree(res);
	kfree(pctx);
	return ERR_PTR(rc);
}
EXPORT_SYMBOL_NS_GPL(ioasid_pasid_ctx_create, IOASID);

/**
 * ioasid_pasid_ctx_destroy - detach a context and free its IOAS
 * @pctx: the context; its PASID traffic must have stopped
 */
void ioasid_pasid_ctx_destroy(struct ioasid_pasid_ctx *pctx)
{
	struct ioasid_kdev *kdev = pctx->kdev;

	mutex_lock(&kdev->lock);
	xa_erase(&kdev->contexts, pctx->pasid);
	pasid_ctx_free(pctx);
	mutex_unlock(&kdev->lock);
}
EXPORT_SYMBOL_NS_GPL(ioasid_pasid_ctx_destroy, IOASID);

/**
 * ioasid_pasid_ctx_map_user - map the caller's memory into a context
 * @pctx: the context
 * @iova: where, page aligned
 * @uaddr: the calling process's memory, page aligned
 * @length: bytes, a multiple of the page size
 * @map_flags: IOASID_MAP_READABLE and/or IOASID_MAP_WRITEABLE
 *
 * The pages are pinned and charged to the calling process as
 * IOASID_IOAS_MAP would, and unpinned at unmap or context destruction.
 *
 * Return: 0, or an errno as IOASID_IOAS_MAP with IOASID_MAP_FIXED_IOVA.
 */
int ioasid_pasid_ctx_map_user(struct ioasid_pasid_ctx *pctx, u64 iova,
			      unsigned long uaddr, u64 length, u32 map_flags)
{
	if (map_flags & ~(IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE))
		return -EOPNOTSUPP;
	return iopt_map_user(pctx->ioas, &iova, uaddr, length, 0,
			     map_flags | IOASID_MAP_FIXED_IOVA);
}
EXPORT_SYMBOL_NS_GPL(ioasid_pasid_ctx_map_user, IOASID);

/**
 * ioasid_pasid_ctx_unmap - unmap a range of a context
 * @pctx: the context
 * @iova: first byte, as mapped
 * @length: bytes; may cover several mappings, not cut one
 *
 * Return: 0, -ENOENT (nothing mapped there), -EBUSY (would cut a mapping).
 */
int ioasid_pasid_ctx_unmap(struct ioasid_pasid_ctx *pctx, u64 iova,
			   u64 length)
{
	u64 unmapped;

	return iopt_unmap(pctx->ioas, iova, length, 0, &unmapped);
}
EXPORT_SYMBOL_NS_GPL(ioasid_pasid_ctx_unmap, IOASID);
