// SPDX-License-Identifier: GPL-2.0
/*
 * Device objects: bind a device to an ioasid fd (claiming DMA ownership of
 * its whole IOMMU group for that fd), attach it to an IOAS through the
 * policies, detach, replace, attach at PASIDs.
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
#include "device.h"
#include "policy.h"
#include "iommu_internal.h"

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
 * attach at PASIDs.
 *
 * Return: the bound device, or an ERR_PTR: -EBADF (not /dev/ioasid),
 * -EINVAL (no IOMMU, unknown flags), -EBUSY (the group is used for DMA by
 * a kernel driver or owned by another ioasid fd).
 */
struct ioasid_device *
ioasid_device_bind_desc(struct file *ioasid_file, struct device *dev,
			const struct ioasid_bind_desc *desc)
{
	bool claim = !(desc->flags & IOASID_BIND_KERNEL_OWNED);
	struct ioasid_ctx *ctx;
	struct ioasid_device *idev;
	struct ioasid_object *obj;
	struct iommu_group *group;
	int rc;

	if (!ioasid_file_is_ioasid(ioasid_file))
		return ERR_PTR(-EBADF);
	if (desc->flags & ~(IOASID_BIND_KERNEL_OWNED | IOASID_BIND_MOCK))
		return ERR_PTR(-EINVAL);
	ctx = ioasid_file->private_data;
	group = iommu_group_get(dev);
	if (!group)
		return ERR_PTR(-EINVAL);

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
	idev->igroup = igroup_get(ctx, group);
	if (IS_ERR(idev->igroup)) {
		rc = PTR_ERR(idev->igroup);
		ioasid_object_abort(ctx, obj);
		goto err_release;
	}
	idev->ctx = ctx;
	idev->dev = get_device(dev);
	idev->desc = *desc;
	xa_init(&idev->pasids);
	/* The driver holds the device: DESTROY by id is refused (EBUSY). */
	refcount_inc(&obj->users);
	idev->file = get_file(ioasid_file);

	mutex_lock(&idev->igroup->lock);
	list_add_tail(&idev->group_node, &idev->igroup->devices);
	mutex_unlock(&idev->igroup->lock);
	iommu_group_put(group);
	ioasid_object_finalize(ctx, obj);
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

static void detach_pasids(struct ioasid_device *idev);
static void detach_locked(struct ioasid_device *idev);

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

	mutex_lock(&idev->igroup->lock);
	if (idev->ioas)
		detach_locked(idev);
	detach_pasids(idev);
	list_del(&idev->group_node);
	mutex_unlock(&idev->igroup->lock);

	if (!(idev->desc.flags & IOASID_BIND_KERNEL_OWNED))
		iommu_device_release_dma_owner(idev->dev);
	ioasid_unlock_obj(&idev->obj);
	/* Only the table's reference is left: this cannot be busy. */
	WARN_ON(ioasid_object_destroy_user(ctx, idev->obj.id));
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

/* Describe @idev to the policies as its binding driver presented it. */
static int fill_dev(struct ioasid_device *idev, struct ioasid_policy_req *req)
{
	int rc = ioasid_policy_fill_dev(req, idev->dev);

	if (rc)
		return rc;
	if (!dev_is_pci(idev->dev)) {
		req->vendor = idev->desc.vendor;
		req->device = idev->desc.device;
		req->subvendor = idev->desc.subvendor;
		req->subdevice = idev->desc.subdevice;
		req->class = idev->desc.class;
	}
	if (idev->desc.flags & IOASID_BIND_MOCK)
		req->flags |= IOASID_REQ_MOCK_DEVICE;
	if (idev->desc.flags & IOASID_BIND_KERNEL_OWNED)
		req->flags |= IOASID_REQ_KERNEL_OWNED;
	req->dev_needs = idev->desc.dev_needs;
	return 0;
}

/* Ask the policies; fill @idev->req and @idev->decision. */
static int decide(struct ioasid_device *idev, struct ioasid_ioas *ioas,
		  u32 op, u32 pasid, bool replace)
{
	struct ioasid_policy_eval *eval;
	int rc;

	eval = kzalloc(sizeof(*eval), GFP_KERNEL);
	if (!eval)
		return -ENOMEM;
	rc = fill_dev(idev, &eval->req);
	if (rc)
		goto out;
	ioasid_policy_fill_target(&eval->req, idev->ctx, ioas, op, pasid);
	if (replace)
		eval->req.flags |= IOASID_REQ_REPLACE;
	rc = ioasid_policy_evaluate(eval);
	idev->req = eval->req;
	idev->decision = eval->decision;
out:
	kfree(eval);
	return rc;
}

/* The IOMMU driver translating for @dev (dev_iommu_ops() is private). */
static const struct iommu_ops *dev_iommu_driver(struct device *dev)
{
	return dev->iommu && dev->iommu->iommu_dev ?
	       dev->iommu->iommu_dev->ops : NULL;
}

/*
 * Find or make a domain of @ioas for @idev's group and attach the group
 * (or switch it, with @replace) to it. Called with ioas->mutex held.
 */
static struct ioasid_hwpt *attach_domain(struct ioasid_device *idev,
					 struct ioasid_ioas *ioas,
					 bool enforce_cc, bool replace)
{
	struct iommu_group *group = idev->igroup->group;
	struct ioasid_hwpt *hwpt;
	int rc;

	lockdep_assert_held(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		if (hwpt->enforce_cc != enforce_cc)
			continue;
		/*
		 * Another IOMMU's domain: iommu_attach_group() would refuse
		 * it, but 6.12's iommu_group_replace_domain() does not check
		 * and hands it to this IOMMU's driver.
		 */
		if (hwpt->domain->owner != dev_iommu_driver(idev->dev))
			continue;
		rc = replace ? iommu_group_replace_domain(group, hwpt->domain) :
			       iommu_attach_group(hwpt->domain, group);
		/* -EINVAL: this IOMMU cannot use that domain, try the next. */
		if (rc == -EINVAL)
			continue;
		if (rc)
			return ERR_PTR(rc);
		hwpt->users++;
		return hwpt;
	}

	/* An alias domain: same mappings, suited to this device. */
	hwpt = ioasid_hwpt_alloc(ioas, idev->dev, enforce_cc);
	if (IS_ERR(hwpt))
		return hwpt;
	rc = replace ? iommu_group_replace_domain(group, hwpt->domain) :
		       iommu_attach_group(hwpt->domain, group);
	if (rc) {
		ioasid_hwpt_free(hwpt);
		return ERR_PTR(rc);
	}
	rc = ioasid_hwpt_fill_deferred(hwpt);
	if (rc) {
		/* Back to blocking; a replace cannot go back (rare: no memory). */
		iommu_detach_group(hwpt->domain, group);
		ioasid_hwpt_free(hwpt);
		return ERR_PTR(rc);
	}
	hwpt->users = 1;
	list_add_tail(&hwpt->node, &ioas->hwpts);
	return hwpt;
}

static void hwpt_put_locked(struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held(&hwpt->ioas->mutex);
	if (--hwpt->users)
		return;
	list_del(&hwpt->node);
	ioasid_hwpt_free(hwpt);
}

static void set_reason(struct ioasid_device *idev, const char *reason)
{
	strscpy(idev->decision.reason, reason, sizeof(idev->decision.reason));
}

/*
 * IOASID_ATTACH_HW_NESTED: the child's translation in the IOMMU's own
 * stage 1 over the parent's domain. Refused with the reason recorded:
 * EINVAL for an IOAS that is not nested, EOPNOTSUPP where the IOMMU cannot
 * nest, and EOPNOTSUPP where it can, since building a hardware stage-1
 * table from an IOAS is not implemented (docs/design.md). Software nesting
 * (no flag) serves every IOMMU.
 */
static int hw_nested_unavailable(struct ioasid_device *idev,
				 struct ioasid_ioas *ioas)
{
	struct ioasid_policy_req req = {};
	int rc;

	lockdep_assert_held(&idev->igroup->lock);
	if (!ioas->parent) {
		set_reason(idev, "hardware nesting needs a nested IOAS");
		return -EINVAL;
	}
	rc = fill_dev(idev, &req);
	if (rc)
		return rc;
	if (!(req.iommu_caps & IOASID_IOMMU_CAP_NESTING))
		snprintf(idev->decision.reason, sizeof(idev->decision.reason),
			 "%s cannot nest stages: use software nesting",
			 req.iommu_driver);
	else
		snprintf(idev->decision.reason, sizeof(idev->decision.reason),
			 "%s could nest; no hw stage-1 table yet: use sw",
			 req.iommu_driver);
	return -EOPNOTSUPP;
}

static int attach_locked(struct ioasid_device *idev, struct ioasid_ioas *ioas,
			 bool replace)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_ioas *old = idev->ioas;
	struct ioasid_hwpt *hwpt;
	bool enforce_cc;
	int rc;

	lockdep_assert_held(&igroup->lock);
	if (idev->desc.flags & IOASID_BIND_KERNEL_OWNED) {
		set_reason(idev, "kernel-owned device: its RID stays on the kernel's domain");
		return -EPERM;
	}
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

	rc = decide(idev, ioas, IOASID_POLICY_OP_ATTACH, 0, replace);
	if (rc)
		return rc;
	enforce_cc = idev->decision.snoop == IOASID_SNOOP_ENFORCE;
	if (!ioasid_lock_obj(&ioas->obj))
		return -ENOENT;

	ioas_lock(ioas);
	rc = reserve_dev_regions(ioas, idev->dev, idev);
	if (rc) {
		set_reason(idev, "reserved region collides with a mapping");
		goto err_unlock;
	}
	if (igroup->ioas == ioas && !replace) {
		/* Another device of the group attached it already. */
		hwpt = igroup->hwpt;
		if (enforce_cc && !hwpt->enforce_cc) {
			set_reason(idev, "group shares a domain without snoop control");
			rc = -EINVAL;
			goto err_unreserve;
		}
	} else {
		hwpt = attach_domain(idev, ioas, enforce_cc, replace);
		if (IS_ERR(hwpt)) {
			rc = PTR_ERR(hwpt);
			if (rc == -EINVAL && enforce_cc)
				set_reason(idev, "IOMMU cannot enforce snooping for this domain");
			else if (rc == -EADDRINUSE)
				set_reason(idev, "a mapping lies outside the IOMMU aperture");
			goto err_unreserve;
		}
	}
	ioas->nr_devices++;
	ioas_unlock(ioas);

	if (replace) {
		struct ioasid_hwpt *old_hwpt = igroup->hwpt;

		if (!old_hwpt->enforce_cc)
			atomic_dec(&idev->ctx->nr_noncoherent);
		ioas_lock(old);
		iopt_unreserve(old, idev);
		old->nr_devices--;
		hwpt_put_locked(old_hwpt);
		ioas_unlock(old);
		ioasid_unlock_obj(&old->obj);
		igroup->nr_attached--;
	}
	/* The fd has non-coherent DMA while a group uses such a domain. */
	if (!igroup->nr_attached && !hwpt->enforce_cc)
		atomic_inc(&idev->ctx->nr_noncoherent);
	if (!hwpt->enforce_cc &&
	    idev->decision.flags & IOASID_DECISION_FLUSH_GRANT)
		ioasid_flush_grant(idev->ctx, idev->decision.flush_rate,
				   idev->decision.flush_burst);
	if (!atomic_read(&idev->ctx->nr_noncoherent))
		ioasid_flush_revoke(idev->ctx);
	igroup->ioas = ioas;
	igroup->hwpt = hwpt;
	igroup->nr_attached++;
	idev->ioas = ioas;
	return 0;

err_unreserve:
	iopt_unreserve(ioas, idev);
err_unlock:
	ioas_unlock(ioas);
	ioasid_unlock_obj(&ioas->obj);
	if (!idev->decision.verdict)
		idev->decision.verdict = rc;
	return rc;
}

static void detach_locked(struct ioasid_device *idev)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_ioas *ioas = idev->ioas;
	struct ioasid_hwpt *hwpt = igroup->hwpt;

	lockdep_assert_held(&igroup->lock);
	ioas_lock(ioas);
	iopt_unreserve(ioas, idev);
	ioas->nr_devices--;
	if (!--igroup->nr_attached) {
		/* An owned group goes back to blocking all DMA. */
		iommu_detach_group(hwpt->domain, igroup->group);
		if (!hwpt->enforce_cc &&
		    atomic_dec_and_test(&idev->ctx->nr_noncoherent))
			ioasid_flush_revoke(idev->ctx);
		hwpt_put_locked(hwpt);
		igroup->hwpt = NULL;
		igroup->ioas = NULL;
	}
	ioas_unlock(ioas);
	ioasid_unlock_obj(&ioas->obj);
	idev->ioas = NULL;
	ioasid_policy_notify_detach(&idev->req);
}

/* --- PASID ------------------------------------------------------------- */

static int attach_pasid_locked(struct ioasid_device *idev,
			       struct ioasid_ioas *ioas, u32 pasid)
{
	struct ioasid_pasid_attach *pa;
	struct ioasid_hwpt *hwpt;
	int rc;

	lockdep_assert_held(&idev->igroup->lock);
	if (!pasid || pasid >= (1U << 20))
		return -EINVAL;
	if (xa_load(&idev->pasids, pasid))
		return -EBUSY;
	rc = decide(idev, ioas, IOASID_POLICY_OP_ATTACH_PASID, pasid, false);
	if (rc)
		return rc;
	/*
	 * The policies never grant PASIDs to a device without them, and this
	 * must hold whatever they say: 6.12's iommu_attach_device_pasid()
	 * returns 0 without attaching anything for such a device.
	 */
	if (WARN_ON_ONCE(!idev->dev->iommu || !idev->dev->iommu->max_pasids))
		return -EOPNOTSUPP;
	pa = kzalloc(sizeof(*pa), GFP_KERNEL_ACCOUNT);
	if (!pa)
		return -ENOMEM;
	if (!ioasid_lock_obj(&ioas->obj)) {
		kfree(pa);
		return -ENOENT;
	}
	ioas_lock(ioas);
	hwpt = ioasid_hwpt_alloc(ioas, idev->dev,
				 idev->decision.snoop == IOASID_SNOOP_ENFORCE);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto err_unlock;
	}
	rc = iommu_attach_device_pasid(hwpt->domain, idev->dev, pasid, NULL);
	if (!rc) {
		rc = ioasid_hwpt_fill_deferred(hwpt);
		if (rc)
			iommu_detach_device_pasid(hwpt->domain, idev->dev,
						  pasid);
	}
	if (rc) {
		ioasid_hwpt_free(hwpt);
		goto err_unlock;
	}
	hwpt->users = 1;
	list_add_tail(&hwpt->node, &ioas->hwpts);
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
	return 0;

err_detach:
	atomic_long_dec(&ioasid_stats.pasid_attachments);
	iommu_detach_device_pasid(hwpt->domain, idev->dev, pasid);
	ioas->nr_devices--;
	hwpt_put_locked(hwpt);
err_unlock:
	ioas_unlock(ioas);
	ioasid_unlock_obj(&ioas->obj);
	kfree(pa);
	return rc;
}

static void detach_pasid_one(struct ioasid_device *idev, u32 pasid,
			     struct ioasid_pasid_attach *pa)
{
	ioas_lock(pa->ioas);
	iommu_detach_device_pasid(pa->hwpt->domain, idev->dev, pasid);
	pa->ioas->nr_devices--;
	hwpt_put_locked(pa->hwpt);
	ioas_unlock(pa->ioas);
	ioasid_unlock_obj(&pa->ioas->obj);
	kfree(pa);
	atomic_long_dec(&ioasid_stats.pasid_attachments);
}

static void detach_pasids(struct ioasid_device *idev)
{
	struct ioasid_pasid_attach *pa;
	unsigned long pasid;

	xa_for_each(&idev->pasids, pasid, pa) {
		xa_erase(&idev->pasids, pasid);
		detach_pasid_one(idev, pasid, pa);
	}
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
 * ioasid_device_attach - attach a bound device to an IOAS
 * @idev: the bound device
 * @ioas_id: IOAS in the bound fd
 * @flags: enum ioasid_device_attach_flags
 * @pasid: with IOASID_ATTACH_PASID, the PASID
 *
 * Return: 0 or a negative errno (see struct ioasid_device_attach).
 */
int ioasid_device_attach(struct ioasid_device *idev, u32 ioas_id, u32 flags,
			 u32 pasid)
{
	struct ioasid_ioas *ioas;
	int rc;

	if (flags & ~(IOASID_ATTACH_PASID | IOASID_ATTACH_REPLACE |
		      IOASID_ATTACH_HW_NESTED))
		return -EOPNOTSUPP;
	if (flags == (IOASID_ATTACH_PASID | IOASID_ATTACH_REPLACE))
		return -EOPNOTSUPP;
	ioas = get_ioas(idev, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	mutex_lock(&idev->igroup->lock);
	if (flags & IOASID_ATTACH_HW_NESTED)
		rc = hw_nested_unavailable(idev, ioas);
	else if (flags & IOASID_ATTACH_PASID)
		rc = attach_pasid_locked(idev, ioas, pasid);
	else
		rc = attach_locked(idev, ioas, flags & IOASID_ATTACH_REPLACE);
	mutex_unlock(&idev->igroup->lock);
	ioasid_put_object(idev->ctx, &ioas->obj);
	return rc;
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
	struct ioasid_pasid_attach *pa;
	int rc = 0;

	if (flags & ~IOASID_ATTACH_PASID)
		return -EOPNOTSUPP;
	mutex_lock(&idev->igroup->lock);
	if (flags & IOASID_ATTACH_PASID) {
		pa = xa_erase(&idev->pasids, pasid);
		if (pa)
			detach_pasid_one(idev, pasid, pa);
		else
			rc = -ENOENT;
	} else if (idev->ioas) {
		detach_locked(idev);
	} else {
		rc = -ENOENT;
	}
	mutex_unlock(&idev->igroup->lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_detach, IOASID);

static void domain_info(struct iommu_domain *domain,
			struct ioasid_device_info *info)
{
	info->out_pgsize_bitmap = domain->pgsize_bitmap;
	info->out_aperture_start = domain->geometry.aperture_start;
	info->out_aperture_last = domain->geometry.aperture_end;
}

/**
 * ioasid_device_get_info - fill the ioasid part of a device's info
 * @idev: the bound device, or NULL for an unbound one
 * @dev: the device
 * @info: filled
 *
 * Return: 0, or -ENODEV if the device has no IOMMU group.
 */
int ioasid_device_get_info(struct ioasid_device *idev, struct device *dev,
			   struct ioasid_device_info *info)
{
	struct ioasid_policy_req req = {};
	struct iommu_domain *domain;
	struct iommu_group *group;
	int rc;

	rc = ioasid_policy_fill_dev(&req, dev);
	if (rc)
		return rc;
	info->out_iommu_caps = req.iommu_caps;
	info->out_pasid_bits = req.pasid_bits;
	info->out_group_size = req.group_size;
	strscpy(info->out_iommu_driver, req.iommu_driver,
		sizeof(info->out_iommu_driver));
	group = iommu_group_get(dev);
	info->out_group_id = group ? iommu_group_id(group) : 0;
	iommu_group_put(group);

	if (idev) {
		mutex_lock(&idev->igroup->lock);
		info->out_dev_id = idev->obj.id;
		info->out_ioas_id = idev->ioas ? idev->ioas->obj.id : 0;
		info->out_decision = idev->decision;
		if (idev->ioas)
			domain_info(idev->igroup->hwpt->domain, info);
		mutex_unlock(&idev->igroup->lock);
		if (info->out_aperture_last)
			return 0;
	}
	/*
	 * Page sizes and aperture as a new paging domain has them; zero when
	 * the IOMMU driver only knows at attach (virtio-iommu).
	 */
	domain = iommu_paging_domain_alloc(dev);
	if (!IS_ERR(domain)) {
		domain_info(domain, info);
		iommu_domain_free(domain);
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_get_info, IOASID);
