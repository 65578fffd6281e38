// SPDX-License-Identifier: GPL-2.0
/*
 * PASID attachments of bound devices: one IOAS per PASID, each through a
 * domain of its own (hw_pagetable.c), decided by the policies' attach_pasid.
 * Called by device.c with the device's group lock held; the lock order is
 * device.h's (igroup->lock -> ioas->mutex).
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/iommu.h>
#include <linux/slab.h>

#include "io_pagetable.h"
#include "hw_pagetable.h"
#include "device.h"
#include "policy.h"

/**
 * ioasid_device_attach_pasid_locked - attach @ioas at @pasid of @idev
 * @idev: the bound device; its group's lock held
 * @ioas: the IOAS (the caller holds a short-term reference)
 * @pasid: 1 .. IOASID_PASID_MAX
 * @res: the policies' decision and the core's errno land here
 *
 * Return: 0; -EINVAL (PASID out of range), -EBUSY (in use), the errno a
 * policy denied with, or the core's.
 */
int ioasid_device_attach_pasid_locked(struct ioasid_device *idev,
				      struct ioasid_ioas *ioas, u32 pasid,
				      struct ioasid_attach_result *res)
{
	struct ioasid_req_caller caller = {
		.op = IOASID_POLICY_OP_ATTACH_PASID,
		.pasid = pasid,
	};
	struct ioasid_pasid_attach *pa;
	struct ioasid_hwpt *hwpt;
	int rc;

	lockdep_assert_held(&idev->igroup->lock);
	if (!pasid || pasid > IOASID_PASID_MAX)
		return -EINVAL;
	if (xa_load(&idev->pasids, pasid))
		return -EBUSY;
	pa = kzalloc(sizeof(*pa), GFP_KERNEL_ACCOUNT);
	if (!pa)
		return -ENOMEM;
	rc = ioasid_device_decide(idev, ioas, &caller, res, &pa->req);
	if (rc) {
		kfree(pa);
		return rc;
	}
	/*
	 * The policies never grant PASIDs to a device without them, and this
	 * must hold whatever they say: 6.12's iommu_attach_device_pasid()
	 * returns 0 without attaching anything for such a device.
	 */
	if (WARN_ON_ONCE(!idev->dev->iommu || !idev->dev->iommu->max_pasids)) {
		rc = -EOPNOTSUPP;
		goto err_free;
	}
	if (!ioasid_lock_obj(&ioas->obj)) {
		rc = -ENOENT;
		goto err_free;
	}
	ioas_lock(ioas);
	hwpt = ioasid_hwpt_attach_pasid(ioas, idev->dev, pasid,
					res->decision.snoop ==
						IOASID_SNOOP_ENFORCE);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto err_unlock;
	}
	ioas->nr_devices++;
	ioas_unlock(ioas);
	pa->ioas = ioas;
	pa->hwpt = hwpt;
	atomic_long_inc(&ioasid_stats.pasid_attachments);
	rc = xa_err(xa_store(&idev->pasids, pasid, pa, GFP_KERNEL_ACCOUNT));
	if (rc) {
		ioas_lock(ioas);
		goto err_detach;
	}
	pa->decision = res->decision;
	/* Non-coherent PASID domains count, and carry their grant. */
	ioasid_flush_note_attach(idev->ctx, &pa->flush_src, hwpt, false,
				 &pa->req, &res->decision);
	ioasid_kvm_ctx_sync(idev->ctx, idev->dev);
	return 0;

err_detach:
	atomic_long_dec(&ioasid_stats.pasid_attachments);
	ioas->nr_devices--;
	ioasid_hwpt_detach_pasid(hwpt, idev->dev, pasid);
err_unlock:
	ioas_unlock(ioas);
	ioasid_unlock_obj(&ioas->obj);
err_free:
	/* The policies allowed; the core could not apply it: undo (device.c). */
	res->core_err = rc;
	ioasid_policy_notify_detach(&pa->req);
	kfree(pa);
	return rc;
}

static void detach_pasid_one(struct ioasid_device *idev, u32 pasid,
			     struct ioasid_pasid_attach *pa)
{
	lockdep_assert_held(&idev->igroup->lock);
	ioasid_flush_note_detach(idev->ctx, &pa->flush_src);
	ioas_lock(pa->ioas);
	pa->ioas->nr_devices--;
	ioasid_hwpt_detach_pasid(pa->hwpt, idev->dev, pasid);
	ioas_unlock(pa->ioas);
	ioasid_unlock_obj(&pa->ioas->obj);
	ioasid_policy_notify_detach(&pa->req);
	kfree(pa);
	atomic_long_dec(&ioasid_stats.pasid_attachments);
	ioasid_kvm_ctx_sync(idev->ctx, idev->dev);
}

/**
 * ioasid_device_detach_pasid_locked - detach what is attached at @pasid
 * @idev: the bound device; its group's lock held
 * @pasid: the PASID
 *
 * Return: 0, or -ENOENT if nothing is attached there.
 */
int ioasid_device_detach_pasid_locked(struct ioasid_device *idev, u32 pasid)
{
	struct ioasid_pasid_attach *pa;

	lockdep_assert_held(&idev->igroup->lock);
	pa = xa_erase(&idev->pasids, pasid);
	if (!pa)
		return -ENOENT;
	detach_pasid_one(idev, pasid, pa);
	return 0;
}

/**
 * ioasid_device_detach_pasids_locked - detach every PASID of @idev (unbind)
 * @idev: the bound device; its group's lock held
 */
void ioasid_device_detach_pasids_locked(struct ioasid_device *idev)
{
	struct ioasid_pasid_attach *pa;
	unsigned long pasid;

	lockdep_assert_held(&idev->igroup->lock);
	xa_for_each(&idev->pasids, pasid, pa) {
		xa_erase(&idev->pasids, pasid);
		detach_pasid_one(idev, pasid, pa);
	}
}
