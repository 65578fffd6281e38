// SPDX-License-Identifier: GPL-2.0
/*
 * Device objects: bind a device to an ioasid fd (claiming DMA ownership of
 * its whole IOMMU group for that fd), attach it to an IOAS through the
 * policies, detach, replace (PASIDs: device_pasid.c).
 *
 * Group safety comes from DMA ownership: iommu_device_claim_dma_owner()
 * with the fd as the owner cookie succeeds only while every other device of
 * the group is unbound, bound to a driver_managed_dma driver, or claimed by
 * the same fd. Attachment is per group (the IOMMU translates per group), so
 * every device of a group must attach to the same IOAS.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/ioasid_kernel.h>
#include <linux/ioasid_device.h>

#include "io_pagetable.h"
#include "hw_pagetable.h"
#include "device.h"
#include "policy.h"

/* --- groups ------------------------------------------------------------- */

static struct ioasid_group *igroup_get(struct ioasid_ctx *ctx,
				       struct iommu_group *group)
{
	unsigned long id = iommu_group_id(group);
	struct ioasid_group *igroup;
	int rc;

	guard(mutex)(&ctx->groups_lock);
	igroup = xa_load(&ctx->groups, id);
	if (igroup) {
		kref_get(&igroup->kref);
		return igroup;
	}
	igroup = kzalloc(sizeof(*igroup), GFP_KERNEL_ACCOUNT);
	if (!igroup)
		return ERR_PTR(-ENOMEM);
	kref_init(&igroup->kref);
	mutex_init(&igroup->lock);
	INIT_LIST_HEAD(&igroup->devices);
	igroup->ctx = ctx;
	igroup->group = group;
	iommu_group_ref_get(group);
	rc = xa_err(xa_store(&ctx->groups, id, igroup, GFP_KERNEL_ACCOUNT));
	if (rc) {
		iommu_group_put(group);
		kfree(igroup);
		return ERR_PTR(rc);
	}
	atomic_long_inc(&ioasid_stats.groups);
	return igroup;
}

static void igroup_release(struct kref *kref)
{
	struct ioasid_group *igroup = container_of(kref, struct ioasid_group,
						   kref);

	xa_erase(&igroup->ctx->groups, iommu_group_id(igroup->group));
	WARN_ON(igroup->hwpt || !list_empty(&igroup->devices));
	iommu_group_put(igroup->group);
	mutex_destroy(&igroup->lock);
	kfree(igroup);
	atomic_long_dec(&ioasid_stats.groups);
}

static void igroup_put(struct ioasid_group *igroup)
{
	struct ioasid_ctx *ctx = igroup->ctx;

	mutex_lock(&ctx->groups_lock);
	kref_put(&igroup->kref, igroup_release);
	mutex_unlock(&ctx->groups_lock);
}

/* --- bind / unbind -------------------------------------------------------- */

/*
 * As vfio_iommu_type1's: without interrupt remapping (or another MSI
 * isolation) a device given to user space can write any MSI, to any CPU,
 * with any vector. The operator may accept that, for every device, here.
 */
static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Bind devices to user space even when their MSIs are not isolated (no interrupt remapping): the device can raise interrupts the kernel did not give it. Default: refuse with EPERM.");

/**
 * ioasid_device_bind_desc - bind a device to an ioasid fd
 * @ioasid_file: an open /dev/ioasid (a reference is taken while bound)
 * @dev: the device; unless @desc says IOASID_BIND_KERNEL_OWNED, its driver
 *	must have driver_managed_dma set
 * @desc: how the device presents to policies, and how it is bound
 *
 * Without IOASID_BIND_KERNEL_OWNED the fd claims DMA ownership of the
 * device's whole IOMMU group: the kernel's DMA domain is gone until unbind.
 * With it, the kernel driver keeps the RID on its domain and may only
 * attach at PASIDs. The device's IOMMU is probed here, once
 * (ioasid_dev_probe()); every policy request about it reads that.
 *
 * A device given to user space (neither kernel-owned, externally owned,
 * whose owner checks this itself, nor a mock) must have isolated MSIs
 * (iommu_group_has_isolated_msi()) unless the module parameter
 * allow_unsafe_interrupts is set.
 *
 * Return: the bound device, or an ERR_PTR: -EBADF (not /dev/ioasid),
 * -EINVAL (no IOMMU, unknown flags, IOASID_BIND_EXTERNAL_OWNER on a group
 * nobody claimed), -EPERM (the group's MSIs are not isolated and
 * allow_unsafe_interrupts is off), -EBUSY (the group is used for DMA by
 * a kernel driver or owned by another ioasid fd), -ENOMEM.
 */
struct ioasid_device *
ioasid_device_bind_desc(struct file *ioasid_file, struct device *dev,
			const struct ioasid_bind_desc *desc)
{
	bool claim = !(desc->flags & (IOASID_BIND_KERNEL_OWNED |
				      IOASID_BIND_EXTERNAL_OWNER));
	struct ioasid_ctx *ctx;
	struct ioasid_device *idev;
	struct ioasid_object *obj;
	struct iommu_group *group;
	int rc;

	if (!ioasid_file_is_ioasid(ioasid_file))
		return ERR_PTR(-EBADF);
	if (desc->flags & ~(IOASID_BIND_KERNEL_OWNED | IOASID_BIND_MOCK |
			    IOASID_BIND_EXTERNAL_OWNER))
		return ERR_PTR(-EINVAL);
	ctx = ioasid_file->private_data;
	group = iommu_group_get(dev);
	if (!group)
		return ERR_PTR(-EINVAL);
	/* Whoever says it owns the group's DMA must have claimed it. */
	if ((desc->flags & IOASID_BIND_EXTERNAL_OWNER) &&
	    !iommu_group_dma_owner_claimed(group)) {
		iommu_group_put(group);
		return ERR_PTR(-EINVAL);
	}
	if (claim && !(desc->flags & IOASID_BIND_MOCK) &&
	    !READ_ONCE(allow_unsafe_interrupts) &&
	    !iommu_group_has_isolated_msi(group)) {
		dev_info(dev, "ioasid: MSIs of group %d are not isolated (no interrupt remapping): refused, see ioasid.allow_unsafe_interrupts\n",
			 iommu_group_id(group));
		iommu_group_put(group);
		return ERR_PTR(-EPERM);
	}

	rc = claim ? iommu_device_claim_dma_owner(dev, ctx) : 0;
	if (rc) {
		/* The core says EPERM for both: a DMA-API driver has no owner. */
		dev_info(dev, "ioasid: group %d is in use by a kernel driver or another ioasid fd (%d)\n",
			 iommu_group_id(group), rc);
		rc = -EBUSY;
		goto err_group;
	}

	obj = ioasid_object_alloc(ctx, sizeof(*idev), IOASID_OBJ_DEVICE);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto err_release;
	}
	idev = container_of(obj, struct ioasid_device, obj);
	/* The IOMMU's capabilities, once: requests read them from here. */
	rc = ioasid_dev_probe(dev, desc, &idev->desc);
	if (rc) {
		ioasid_object_abort(ctx, obj);
		goto err_release;
	}
	idev->igroup = igroup_get(ctx, group);
	if (IS_ERR(idev->igroup)) {
		rc = PTR_ERR(idev->igroup);
		ioasid_object_abort(ctx, obj);
		goto err_release;
	}
	idev->ctx = ctx;
	idev->dev = get_device(dev);
	idev->bind_flags = desc->flags;
	xa_init(&idev->pasids);
	/* The driver holds the device: DESTROY by id is refused (EBUSY). */
	refcount_inc(&obj->users);
	idev->file = get_file(ioasid_file);

	mutex_lock(&idev->igroup->lock);
	list_add_tail(&idev->group_node, &idev->igroup->devices);
	mutex_unlock(&idev->igroup->lock);
	iommu_group_put(group);
	ioasid_object_finalize(ctx, obj);
	/* From now on, rule changes re-decide its attachments. */
	ioasid_revalidate_track(idev);
	return idev;

err_release:
	if (claim)
		iommu_device_release_dma_owner(dev);
err_group:
	iommu_group_put(group);
	return ERR_PTR(rc);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_bind_desc, IOASID);

/**
 * ioasid_device_bind - bind a device to an ioasid fd, claiming DMA ownership
 * @ioasid_file: an open /dev/ioasid
 * @dev: the device; its driver must have driver_managed_dma set
 * @dev_needs: enum ioasid_dev_needs the driver declares
 *
 * Return: as ioasid_device_bind_desc().
 */
struct ioasid_device *ioasid_device_bind(struct file *ioasid_file,
					 struct device *dev, u32 dev_needs)
{
	struct ioasid_bind_desc desc = { .dev_needs = dev_needs };

	return ioasid_device_bind_desc(ioasid_file, dev, &desc);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_bind, IOASID);

/**
 * ioasid_device_id - the device's object id in its ioasid fd
 * @idev: a bound device
 *
 * Return: the id.
 */
u32 ioasid_device_id(struct ioasid_device *idev)
{
	return idev->obj.id;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_id, IOASID);

/**
 * ioasid_device_unbind - undo ioasid_device_bind()
 * @idev: the bound device
 *
 * Detaches everything, gives DMA ownership back and drops the fd.
 * Context: process context; the driver must stop using @idev.
 */
void ioasid_device_unbind(struct ioasid_device *idev)
{
	struct ioasid_ctx *ctx = idev->ctx;
	struct file *file = idev->file;

	/* Waits for a revalidation pass that holds it. */
	ioasid_revalidate_untrack(idev);
	mutex_lock(&idev->igroup->lock);
	if (idev->ioas)
		ioasid_device_detach_rid_locked(idev);
	ioasid_device_detach_pasids_locked(idev);
	idev->rid_state = 0;
	idev->pasid_revoked = false;
	ioasid_device_policy_state_sync(idev);
	list_del(&idev->group_node);
	mutex_unlock(&idev->igroup->lock);

	if (!(idev->bind_flags & (IOASID_BIND_KERNEL_OWNED |
				  IOASID_BIND_EXTERNAL_OWNER)))
		iommu_device_release_dma_owner(idev->dev);
	ioasid_object_destroy_held(ctx, &idev->obj);
	fput(file);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_unbind, IOASID);

void ioasid_device_destroy(struct ioasid_object *obj)
{
	struct ioasid_device *idev = container_of(obj, struct ioasid_device,
						  obj);

	xa_destroy(&idev->pasids);
	igroup_put(idev->igroup);
	put_device(idev->dev);
}

/* --- attach ------------------------------------------------------------- */

static int reserve_dev_regions(struct ioasid_ioas *ioas, struct device *dev,
			       void *owner)
{
	struct iommu_resv_region *resv;
	LIST_HEAD(regions);
	int rc = 0;

	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(resv, &regions, list) {
		/* Direct-mapped regions would need an identity map: refuse. */
		if (resv->type == IOMMU_RESV_DIRECT) {
			rc = -EINVAL;
			break;
		}
		if (resv->type == IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		rc = iopt_reserve(ioas, resv->start,
				  resv->start + resv->length - 1, owner);
		if (rc)
			break;
	}
	iommu_put_resv_regions(dev, &regions);
	if (rc)
		iopt_unreserve(ioas, owner);
	return rc;
}

/**
 * ioasid_device_decide - ask the policies about an attach of @idev
 * @idev: the device
 * @ioas: the target IOAS
 * @caller: op, PASID and flags of the attach (ctx and ioas are filled in)
 * @res: the decision lands here (@res->asked is set)
 * @req: if not NULL, the request is copied here
 *
 * The request is built by ioasid_request_build() from what the bind
 * probed: nothing is allocated on the IOMMU side.
 * Context: the group's lock held.
 * Return: the verdict, 0 or a negative errno (-ENOMEM: nobody was asked).
 */
int ioasid_device_decide(struct ioasid_device *idev, struct ioasid_ioas *ioas,
			 const struct ioasid_req_caller *caller,
			 struct ioasid_attach_result *res,
			 struct ioasid_policy_req *req)
{
	struct ioasid_req_caller c = *caller;
	struct ioasid_policy_eval *eval;
	int rc;

	lockdep_assert_held(&idev->igroup->lock);
	eval = kzalloc(sizeof(*eval), GFP_KERNEL);
	if (!eval)
		return -ENOMEM;
	c.ctx = idev->ctx;
	c.ioas = ioas;
	ioasid_request_build(&eval->req, &idev->desc, &c);
	rc = ioasid_policy_evaluate(eval);
	res->asked = true;
	res->decision = eval->decision;
	if (req)
		*req = eval->req;
	kfree(eval);
	return rc;
}

/* The core refuses or fails, with its own reason (policies' kept apart). */
static int core_refuse(struct ioasid_attach_result *res, int err,
		       const char *fmt, ...)
{
	va_list args;

	res->core_err = err;
	va_start(args, fmt);
	vsnprintf(res->core_reason, sizeof(res->core_reason), fmt, args);
	va_end(args);
	return err;
}

/*
 * IOASID_ATTACH_HW_NESTED: the child's translation in the IOMMU's own
 * stage 1 over the parent's domain. Refused with the reason recorded:
 * EINVAL for an IOAS that is not nested, EOPNOTSUPP where the IOMMU cannot
 * nest, and EOPNOTSUPP where it can, since building a hardware stage-1
 * table from an IOAS is not implemented (docs/design.md). Software nesting
 * (no flag) serves every IOMMU. The capability is the one probed at bind.
 */
static int hw_nested_unavailable(struct ioasid_device *idev,
				 struct ioasid_ioas *ioas,
				 struct ioasid_attach_result *res)
{
	const struct ioasid_dev_desc *desc = &idev->desc;

	lockdep_assert_held(&idev->igroup->lock);
	if (!ioas->parent)
		return core_refuse(res, -EINVAL,
				   "hardware nesting needs a nested IOAS");
	if (!(desc->iommu_caps & IOASID_IOMMU_CAP_NESTING))
		return core_refuse(res, -EOPNOTSUPP,
				   "%s cannot nest stages: use software nesting",
				   desc->iommu_driver);
	return core_refuse(res, -EOPNOTSUPP,
			   "%s could nest; no hw stage-1 table yet: use sw",
			   desc->iommu_driver);
}

/* Release what a group's attachment to @ioas held there. */
static void group_leave_ioas(struct ioasid_device *idev,
			     struct ioasid_ioas *ioas)
{
	lockdep_assert_held(&idev->igroup->lock);
	lockdep_assert_held(&ioas->mutex);
	iopt_unreserve(ioas, idev);
	ioas->nr_devices--;
}

static int attach_locked(struct ioasid_device *idev, struct ioasid_ioas *ioas,
			 bool replace, struct ioasid_attach_result *res)
{
	struct ioasid_req_caller caller = {
		.op = IOASID_POLICY_OP_ATTACH,
		.flags = replace ? IOASID_REQ_REPLACE : 0,
	};
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_ioas *old = idev->ioas;
	struct ioasid_hwpt *hwpt, *old_hwpt = NULL;
	struct ioasid_policy_req *req;
	bool enforce_cc;
	int rc;

	lockdep_assert_held(&igroup->lock);
	if (idev->bind_flags & IOASID_BIND_KERNEL_OWNED)
		return core_refuse(res, -EPERM,
				   "kernel-owned device: its RID stays on the kernel's domain");
	if (replace && !old)
		return -EINVAL;
	if (!replace && old)
		return -EBUSY;
	if (replace && igroup->nr_attached > 1)
		return -EBUSY;
	if (!replace && igroup->ioas && igroup->ioas != ioas) {
		dev_info(idev->dev, "ioasid: its group is attached to IOAS %u\n",
			 igroup->ioas->obj.id);
		return -EINVAL;
	}
	if (replace && old == ioas)
		return 0;

	req = kmalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	rc = ioasid_device_decide(idev, ioas, &caller, res, req);
	if (rc)
		goto out_free;
	enforce_cc = res->decision.snoop == IOASID_SNOOP_ENFORCE;
	if (!ioasid_lock_obj(&ioas->obj)) {
		rc = -ENOENT;
		goto err_core;
	}

	ioas_lock(ioas);
	rc = reserve_dev_regions(ioas, idev->dev, idev);
	if (rc) {
		core_refuse(res, rc, "reserved region collides with a mapping");
		goto err_unlock;
	}
	if (igroup->ioas == ioas && !replace) {
		/* Another device of the group attached it already. */
		hwpt = igroup->hwpt;
		if (enforce_cc && !hwpt->enforce_cc) {
			rc = core_refuse(res, -EINVAL,
					 "group shares a domain without snoop control");
			goto err_unreserve;
		}
	} else {
		/* A failed replace leaves the group on igroup->hwpt. */
		hwpt = ioasid_hwpt_attach_group(ioas, idev->dev, igroup->group,
						enforce_cc,
						replace ? igroup->hwpt : NULL);
		if (IS_ERR(hwpt)) {
			rc = PTR_ERR(hwpt);
			if (rc == -EINVAL && enforce_cc)
				core_refuse(res, rc,
					    "IOMMU cannot enforce snooping for this domain");
			else if (rc == -EADDRINUSE)
				core_refuse(res, rc,
					    "a mapping lies outside the IOMMU aperture");
			goto err_unreserve;
		}
	}
	ioas->nr_devices++;
	ioas_unlock(ioas);

	if (replace)
		old_hwpt = igroup->hwpt;
	/*
	 * The fd's non-coherent count and its flush grant (flush.c): a
	 * replace moves the group's part, a further device of an attached
	 * group can only make it stricter.
	 */
	ioasid_flush_note_attach(idev->ctx, &igroup->flush_src, hwpt,
				 !replace && igroup->nr_attached, req,
				 &res->decision);
	ioasid_kvm_ctx_sync(idev->ctx, idev->dev);
	if (replace) {
		ioas_lock(old);
		group_leave_ioas(idev, old);
		/* The group switched away from it: no detach. */
		ioasid_hwpt_put(old_hwpt);
		ioas_unlock(old);
		ioasid_unlock_obj(&old->obj);
		igroup->nr_attached--;
		/* The attachment to @old is gone: its notice. */
		ioasid_policy_notify_detach(&idev->req);
	}
	igroup->ioas = ioas;
	igroup->hwpt = hwpt;
	igroup->nr_attached++;
	idev->ioas = ioas;
	idev->req = *req;
	kfree(req);
	return 0;

err_unreserve:
	iopt_unreserve(ioas, idev);
err_unlock:
	ioas_unlock(ioas);
	ioasid_unlock_obj(&ioas->obj);
err_core:
	/*
	 * The policies allowed; the core could not apply it. They hear of
	 * it as of a detach, so that what they allowed is undone in their
	 * books (the notice describes the request that failed).
	 */
	res->core_err = rc;
	ioasid_policy_notify_detach(req);
out_free:
	kfree(req);
	return rc;
}

/**
 * ioasid_device_detach_rid_locked - detach the RID attachment of @idev
 * @idev: an attached device; its group's lock held
 *
 * When the last device of the group leaves, the group blocks all DMA.
 */
void ioasid_device_detach_rid_locked(struct ioasid_device *idev)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_ioas *ioas = idev->ioas;
	struct ioasid_hwpt *hwpt = igroup->hwpt;

	lockdep_assert_held(&igroup->lock);
	ioas_lock(ioas);
	group_leave_ioas(idev, ioas);
	if (!--igroup->nr_attached) {
		ioasid_flush_note_detach(idev->ctx, &igroup->flush_src);
		/* An owned group goes back to blocking all DMA. */
		ioasid_hwpt_detach_group(hwpt, igroup->group);
		igroup->hwpt = NULL;
		igroup->ioas = NULL;
	}
	ioas_unlock(ioas);
	ioasid_unlock_obj(&ioas->obj);
	idev->ioas = NULL;
	ioasid_policy_notify_detach(&idev->req);
	/* The group's DMA is blocked now: KVM may be told it is gone. */
	ioasid_kvm_ctx_sync(idev->ctx, idev->dev);
}

/* --- the driver-facing API ------------------------------------------------- */

static struct ioasid_ioas *get_ioas(struct ioasid_device *idev, u32 ioas_id)
{
	struct ioasid_object *obj;

	obj = ioasid_get_object(idev->ctx, ioas_id, IOASID_OBJ_IOAS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_ioas, obj);
}

/**
 * ioasid_attach_result_export - the single decision the uAPI shows
 * @res: how an attach ended
 * @out: the policies' decision; where the core refused or failed, with
 *	IOASID_DECISION_CORE_REFUSED, the core's errno as verdict and the
 *	core's reason (when it gave one) in place of the policy's
 */
void ioasid_attach_result_export(const struct ioasid_attach_result *res,
				 struct ioasid_policy_decision *out)
{
	*out = res->decision;
	if (!res->core_err)
		return;
	out->flags |= IOASID_DECISION_CORE_REFUSED;
	if (!out->verdict)
		out->verdict = res->core_err;
	if (res->core_reason[0])
		strscpy(out->reason, res->core_reason, sizeof(out->reason));
}

/**
 * ioasid_device_attach_result - attach, and say how it ended
 * @idev: the bound device
 * @ioas_id: IOAS in the bound fd
 * @flags: enum ioasid_device_attach_flags
 * @pasid: with IOASID_ATTACH_PASID, the PASID
 * @res: filled: the policies' decision (if they were asked) and the core's
 *	errno and reason (if it refused or failed)
 *
 * An attach that reached the policies, or that the core refused with a
 * reason, is also kept for GET_INFO.
 *
 * Return: 0 or a negative errno (see struct ioasid_device_attach).
 */
int ioasid_device_attach_result(struct ioasid_device *idev, u32 ioas_id,
				u32 flags, u32 pasid,
				struct ioasid_attach_result *res)
{
	struct ioasid_ioas *ioas;
	int rc;

	memset(res, 0, sizeof(*res));
	if (flags & ~(IOASID_ATTACH_PASID | IOASID_ATTACH_REPLACE |
		      IOASID_ATTACH_HW_NESTED))
		return -EOPNOTSUPP;
	if (flags == (IOASID_ATTACH_PASID | IOASID_ATTACH_REPLACE))
		return -EOPNOTSUPP;
	ioas = get_ioas(idev, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	res->decision.op = flags & IOASID_ATTACH_PASID ?
			   IOASID_POLICY_OP_ATTACH_PASID :
			   IOASID_POLICY_OP_ATTACH;
	mutex_lock(&idev->igroup->lock);
	if (flags & IOASID_ATTACH_HW_NESTED)
		rc = hw_nested_unavailable(idev, ioas, res);
	else if (flags & IOASID_ATTACH_PASID)
		rc = ioasid_device_attach_pasid_locked(idev, ioas, pasid, res);
	else
		rc = attach_locked(idev, ioas, flags & IOASID_ATTACH_REPLACE,
				   res);
	/* The owner acts on what a revalidation told it: acknowledged. */
	if (flags & IOASID_ATTACH_PASID) {
		if (res->asked)
			idev->pasid_revoked = false;
	} else {
		if (res->asked)
			idev->rid_state &= ~IOASID_DEVICE_REVOKED;
		if (!rc)
			idev->rid_state = 0;
	}
	ioasid_device_policy_state_sync(idev);
	/*
	 * GET_INFO shows the decision of the RID attachment in force; with
	 * none, the last attempt (so a refusal can be read). A failed
	 * REPLACE or a PASID attach leaves the one in force shown.
	 */
	if ((res->asked || res->core_reason[0]) &&
	    (!idev->ioas || (!rc && !(flags & IOASID_ATTACH_PASID))))
		idev->last = *res;
	mutex_unlock(&idev->igroup->lock);
	ioasid_put_object(idev->ctx, &ioas->obj);
	if (rc && !res->asked && !res->core_err)
		res->core_err = rc;
	return rc;
}

/**
 * ioasid_device_attach_decision - attach, and say how this attach ended
 * @idev: the bound device
 * @ioas_id: IOAS in the bound fd
 * @flags: enum ioasid_device_attach_flags
 * @pasid: with IOASID_ATTACH_PASID, the PASID
 * @decision: if not NULL, this attach's decision as the uAPI shows one
 *	(zero if nobody decided), also on failure
 *
 * ioasid_device_get_info() shows the decision of the RID attachment in
 * force instead, which a failed REPLACE or a PASID attach leaves as it is.
 *
 * Return: 0 or a negative errno (see struct ioasid_device_attach).
 */
int ioasid_device_attach_decision(struct ioasid_device *idev, u32 ioas_id,
				  u32 flags, u32 pasid,
				  struct ioasid_policy_decision *decision)
{
	struct ioasid_attach_result *res;
	int rc;

	res = kmalloc(sizeof(*res), GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	rc = ioasid_device_attach_result(idev, ioas_id, flags, pasid, res);
	if (decision)
		ioasid_attach_result_export(res, decision);
	kfree(res);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_attach_decision, IOASID);

/**
 * ioasid_device_attach - attach a bound device to an IOAS
 * @idev: the bound device
 * @ioas_id: IOAS in the bound fd
 * @flags: enum ioasid_device_attach_flags
 * @pasid: with IOASID_ATTACH_PASID, the PASID
 *
 * The decision is kept for ioasid_device_get_info().
 *
 * Return: 0 or a negative errno (see struct ioasid_device_attach).
 */
int ioasid_device_attach(struct ioasid_device *idev, u32 ioas_id, u32 flags,
			 u32 pasid)
{
	return ioasid_device_attach_decision(idev, ioas_id, flags, pasid, NULL);
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_attach, IOASID);

/**
 * ioasid_device_detach - detach a device (RID or one PASID)
 * @idev: the bound device
 * @flags: IOASID_ATTACH_PASID or 0
 * @pasid: with IOASID_ATTACH_PASID, the PASID
 *
 * Return: 0, -ENOENT if not attached there.
 */
int ioasid_device_detach(struct ioasid_device *idev, u32 flags, u32 pasid)
{
	int rc = 0;

	if (flags & ~IOASID_ATTACH_PASID)
		return -EOPNOTSUPP;
	mutex_lock(&idev->igroup->lock);
	if (flags & IOASID_ATTACH_PASID) {
		rc = ioasid_device_detach_pasid_locked(idev, pasid);
		idev->pasid_revoked = false;
	} else {
		if (idev->ioas)
			ioasid_device_detach_rid_locked(idev);
		else
			rc = -ENOENT;
		/* Also what acknowledges a revocation (then ENOENT). */
		idev->rid_state = 0;
	}
	ioasid_device_policy_state_sync(idev);
	mutex_unlock(&idev->igroup->lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_detach, IOASID);

/**
 * ioasid_device_get_info - fill the ioasid part of a device's info
 * @idev: the bound device, or NULL for an unbound one
 * @dev: the device
 * @info: filled
 *
 * A bound device is described by what its bind probed; an unbound one is
 * probed now.
 *
 * Return: 0, -ENODEV if the device has no IOMMU group, -ENOMEM.
 */
int ioasid_device_get_info(struct ioasid_device *idev, struct device *dev,
			   struct ioasid_device_info *info)
{
	struct ioasid_dev_desc *probed = NULL;
	const struct ioasid_dev_desc *desc;
	struct iommu_domain *domain;
	struct iommu_group *group;
	int rc;

	if (idev) {
		desc = &idev->desc;
	} else {
		probed = kmalloc(sizeof(*probed), GFP_KERNEL);
		if (!probed)
			return -ENOMEM;
		rc = ioasid_dev_probe(dev, NULL, probed);
		if (rc) {
			kfree(probed);
			return rc;
		}
		desc = probed;
	}
	info->out_iommu_caps = desc->iommu_caps;
	info->out_pasid_bits = desc->pasid_bits;
	info->out_group_size = ioasid_dev_group_size(desc);
	strscpy(info->out_iommu_driver, desc->iommu_driver,
		sizeof(info->out_iommu_driver));
	/* Page sizes and aperture of a new paging domain, probed. */
	info->out_pgsize_bitmap = desc->pgsize_bitmap;
	info->out_aperture_start = desc->aperture_start;
	info->out_aperture_last = desc->aperture_last;
	group = iommu_group_get(dev);
	info->out_group_id = group ? iommu_group_id(group) : 0;
	iommu_group_put(group);
	kfree(probed);
	if (!idev)
		return 0;

	mutex_lock(&idev->igroup->lock);
	info->out_dev_id = idev->obj.id;
	info->out_ioas_id = idev->ioas ? idev->ioas->obj.id : 0;
	ioasid_attach_result_export(&idev->last, &info->out_decision);
	info->out_policy_state = ioasid_device_policy_state(idev);
	/* Attached: the domain's own, once the driver has set it up. */
	domain = idev->ioas ? idev->igroup->hwpt->domain : NULL;
	if (domain && domain->geometry.aperture_end) {
		info->out_pgsize_bitmap = domain->pgsize_bitmap;
		info->out_aperture_start = domain->geometry.aperture_start;
		info->out_aperture_last = domain->geometry.aperture_end;
	}
	mutex_unlock(&idev->igroup->lock);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_get_info, IOASID);
