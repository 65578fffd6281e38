// SPDX-License-Identifier: GPL-2.0
/*
 * Groups joining and leaving a container: every device of the group is
 * bound to the container's ioasid context and attached to its IOAS
 * through the policies, exactly as a native attach.
 *
 * A group ioasid does not serve must not be served by vfio_iommu_type1
 * either: vfio_ioctl_set_iommu() tries the next registered driver when
 * ours fails. Such a group is left attached to an empty paging domain of
 * ours (the quarantine): its DMA reaches nothing, and type1's
 * iommu_attach_group() fails with -EBUSY because the group's domain is
 * neither its default nor its blocking domain. VFIO releases the group's
 * DMA ownership when the group leaves the container (unset or close); the
 * IOMMU core then puts the group back on its default domain, and the
 * quarantine domain, no longer attached, is freed (a worker checks every
 * second while there is one; a new attach of the same group takes it down
 * first).
 */
#define pr_fmt(fmt) "ioasid-vfio: " fmt

#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/module.h>
#include <linux/ioasid_kernel.h>
#include <linux/ioasid_kioas.h>
#include <linux/ioasid_device.h>

#include "ioasid_vfio.h"

bool ioasid_vfio_allow_unsafe_interrupts;
module_param_named(allow_unsafe_interrupts, ioasid_vfio_allow_unsafe_interrupts,
		   bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Serve groups whose MSIs the IOMMU cannot isolate (as vfio_iommu_type1's)");

/* --- quarantine --------------------------------------------------------- */

/**
 * struct vfio_quarantine - a group left on an empty domain after a refusal
 * @node: in quarantine_list
 * @group: the group (referenced)
 * @dev: a device of it (referenced), to read the group's domain
 * @domain: the empty domain
 */
struct vfio_quarantine {
	struct list_head node;
	struct iommu_group *group;
	struct device *dev;
	struct iommu_domain *domain;
};

static LIST_HEAD(quarantine_list);
static DEFINE_MUTEX(quarantine_lock); /* protects quarantine_list */
static void quarantine_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(quarantine_work, quarantine_work_fn);

static void quarantine_free(struct vfio_quarantine *q)
{
	lockdep_assert_held(&quarantine_lock);
	list_del(&q->node);
	iommu_domain_free(q->domain);
	put_device(q->dev);
	iommu_group_put(q->group);
	kfree(q);
}

/**
 * ioasid_vfio_quarantine_reap - free quarantine domains no group uses
 * @all: module exit: also take down the ones still attached (the group
 *	goes to its blocking domain: VFIO still owns it)
 */
void ioasid_vfio_quarantine_reap(bool all)
{
	struct vfio_quarantine *q, *next;
	bool left = false;

	mutex_lock(&quarantine_lock);
	list_for_each_entry_safe(q, next, &quarantine_list, node) {
		if (iommu_get_domain_for_dev(q->dev) == q->domain) {
			if (!all) {
				left = true;
				continue;
			}
			iommu_detach_group(q->domain, q->group);
		}
		quarantine_free(q);
	}
	if (left)
		schedule_delayed_work(&quarantine_work, HZ);
	mutex_unlock(&quarantine_lock);
	if (all)
		cancel_delayed_work_sync(&quarantine_work);
}

static void quarantine_work_fn(struct work_struct *work)
{
	ioasid_vfio_quarantine_reap(false);
}

/* A new attach of a quarantined group: take the quarantine down first. */
static void quarantine_lift(struct iommu_group *group)
{
	struct vfio_quarantine *q, *next;

	mutex_lock(&quarantine_lock);
	list_for_each_entry_safe(q, next, &quarantine_list, node) {
		if (q->group != group)
			continue;
		/* Still on it: back to blocking (VFIO owns the group). */
		if (iommu_get_domain_for_dev(q->dev) == q->domain)
			iommu_detach_group(q->domain, group);
		quarantine_free(q);
	}
	mutex_unlock(&quarantine_lock);
}

/*
 * Leave @group on an empty domain. Returns 0, or an errno with the group
 * untouched (then blocking: VFIO owns it, nothing was attached).
 */
static int quarantine(struct iommu_group *group, struct device *dev)
{
	struct vfio_quarantine *q;
	int rc;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	q->domain = iommu_paging_domain_alloc(dev);
	if (IS_ERR(q->domain)) {
		rc = PTR_ERR(q->domain);
		kfree(q);
		return rc;
	}
	rc = iommu_attach_group(q->domain, group);
	if (rc) {
		iommu_domain_free(q->domain);
		kfree(q);
		return rc;
	}
	iommu_group_ref_get(group);
	q->group = group;
	q->dev = get_device(dev);
	mutex_lock(&quarantine_lock);
	list_add_tail(&q->node, &quarantine_list);
	schedule_delayed_work(&quarantine_work, HZ);
	mutex_unlock(&quarantine_lock);
	return 0;
}

/* --- attach / detach ------------------------------------------------------ */

static struct ioasid_vfio_group *find_group(struct ioasid_vfio_container *c,
					    struct iommu_group *group)
{
	struct ioasid_vfio_group *vg;

	lockdep_assert_held(&c->lock);
	list_for_each_entry(vg, &c->groups, node)
		if (vg->group == group)
			return vg;
	return NULL;
}

static int collect_dev(struct device *dev, void *data)
{
	struct ioasid_vfio_group *vg = data;
	struct ioasid_vfio_dev *vd;

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return -ENOMEM;
	vd->dev = get_device(dev);
	list_add_tail(&vd->node, &vg->devs);
	return 0;
}

/* Detach and unbind every device of @vg that was bound. */
static void group_unbind_devs(struct ioasid_vfio_group *vg)
{
	struct ioasid_vfio_dev *vd;

	list_for_each_entry(vd, &vg->devs, node) {
		if (!vd->idev)
			continue;
		ioasid_device_detach(vd->idev, 0, 0);
		ioasid_device_unbind(vd->idev);
		vd->idev = NULL;
	}
}

/* Unbind and free every device of @vg. */
static void group_release_devs(struct ioasid_vfio_group *vg)
{
	struct ioasid_vfio_dev *vd, *next;

	group_unbind_devs(vg);
	list_for_each_entry_safe(vd, next, &vg->devs, node) {
		list_del(&vd->node);
		put_device(vd->dev);
		kfree(vd);
	}
}

/* Bind and attach every device of @vg; the first failure's errno. */
static int group_attach_devs(struct file *ioasid_file, u32 ioas_id,
			     struct ioasid_vfio_group *vg)
{
	struct ioasid_bind_desc bind = { .flags = IOASID_BIND_EXTERNAL_OWNER };
	struct ioasid_policy_decision *d;
	struct ioasid_device_info *info;
	struct ioasid_vfio_dev *vd;
	int rc = 0;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!d || !info) {
		rc = -ENOMEM;
		goto out;
	}
	vg->enforce_cc = true;
	list_for_each_entry(vd, &vg->devs, node) {
		struct ioasid_device *idev;

		idev = ioasid_device_bind_desc(ioasid_file, vd->dev, &bind);
		if (IS_ERR(idev)) {
			rc = PTR_ERR(idev);
			break;
		}
		vd->idev = idev;
		rc = ioasid_device_attach_decision(idev, ioas_id, 0, 0, d);
		if (rc) {
			dev_info(vd->dev, "ioasid-vfio: not served: %d (%s)\n",
				 rc, d->reason[0] ? d->reason : "no reason");
			break;
		}
		if (d->snoop != IOASID_SNOOP_ENFORCE)
			vg->enforce_cc = false;
		rc = ioasid_device_get_info(idev, vd->dev, info);
		if (rc)
			break;
		/* Devices of a group share one domain: the last one tells. */
		vg->pgsize_bitmap = info->out_pgsize_bitmap;
		vg->aperture_start = info->out_aperture_start;
		vg->aperture_last = info->out_aperture_last;
	}
out:
	kfree(info);
	kfree(d);
	return rc;
}

/**
 * ioasid_vfio_attach_group - VFIO's attach_group: a group joins
 * @iommu_data: the container
 * @group: the IOMMU group; VFIO has claimed its DMA ownership
 * @type: VFIO_IOMMU, or VFIO_EMULATED_IOMMU (emulated.c; no-IOMMU
 *	groups are refused)
 *
 * Every device of the group is decided by the policies (driver, ids,
 * the caller's uid and cgroup) and attached to the container's IOAS with
 * the coherency they decided. On any failure the group is quarantined
 * (see the top of this file) and the error returned.
 *
 * Return: 0, -EINVAL (already attached), -EOPNOTSUPP (not an IOMMU
 * group), -EPERM (MSIs not isolated and allow_unsafe_interrupts off), the
 * errno a policy denied with, or what the core's attach returned.
 */
int ioasid_vfio_attach_group(void *iommu_data, struct iommu_group *group,
			     enum vfio_group_type type)
{
	struct ioasid_vfio_container *c = iommu_data;
	struct ioasid_vfio_group *vg;
	struct device *first;
	int rc;

	if (type == VFIO_EMULATED_IOMMU) {
		mutex_lock(&c->lock);
		rc = ioasid_vfio_emu_attach(c, group);
		mutex_unlock(&c->lock);
		return rc;
	}
	if (type != VFIO_IOMMU)
		return -EOPNOTSUPP;
	mutex_lock(&c->lock);
	if (find_group(c, group)) {
		rc = -EINVAL;
		goto out_unlock;
	}
	vg = kzalloc(sizeof(*vg), GFP_KERNEL);
	if (!vg) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	vg->group = group;
	INIT_LIST_HEAD(&vg->devs);
	rc = iommu_group_for_each_dev(group, vg, collect_dev);
	if (!rc && list_empty(&vg->devs))
		rc = -ENODEV;
	if (rc)
		goto err_free;
	first = list_first_entry(&vg->devs, struct ioasid_vfio_dev, node)->dev;
	get_device(first);

	quarantine_lift(group);
	if (!ioasid_vfio_allow_unsafe_interrupts &&
	    !iommu_group_has_isolated_msi(group)) {
		dev_warn(first,
			 "ioasid-vfio: no interrupt remapping: refused (allow_unsafe_interrupts)\n");
		rc = -EPERM;
	} else {
		rc = group_attach_devs(c->ioasid_file, c->ioas_id, vg);
	}
	if (rc) {
		group_release_devs(vg);
		/* Blocking until then; if even that fails, type1 may serve. */
		if (quarantine(group, first))
			dev_warn(first, "ioasid-vfio: quarantine failed\n");
		put_device(first);
		goto err_free;
	}
	put_device(first);
	list_add_tail(&vg->node, &c->groups);
	if (!vg->enforce_cc)
		c->nr_noncoherent++;
	ioasid_vfio_kvm_sync(c, c->ioasid_file);
	mutex_unlock(&c->lock);
	return 0;

err_free:
	group_release_devs(vg);
	kfree(vg);
out_unlock:
	mutex_unlock(&c->lock);
	return rc;
}

/**
 * ioasid_vfio_detach_group - VFIO's detach_group: a group leaves
 * @iommu_data: the container
 * @group: the group; it goes back to blocking DMA (VFIO still owns it)
 */
void ioasid_vfio_detach_group(void *iommu_data, struct iommu_group *group)
{
	struct ioasid_vfio_container *c = iommu_data;
	struct ioasid_vfio_group *vg;

	mutex_lock(&c->lock);
	vg = ioasid_vfio_emu_detach(c, group) ? NULL : find_group(c, group);
	if (vg) {
		list_del(&vg->node);
		if (!vg->enforce_cc)
			c->nr_noncoherent--;
		group_release_devs(vg);
		kfree(vg);
		ioasid_vfio_kvm_sync(c, c->ioasid_file);
	}
	mutex_unlock(&c->lock);
}

/* Put every group of @c on (@file, @ioas_id); unbound on failure. */
static int move_all(struct ioasid_vfio_container *c, struct file *file,
		    u32 ioas_id)
{
	struct ioasid_vfio_group *vg;
	int rc;

	list_for_each_entry(vg, &c->groups, node) {
		group_unbind_devs(vg);
		rc = group_attach_devs(file, ioas_id, vg);
		if (rc) {
			group_unbind_devs(vg);
			return rc;
		}
	}
	return 0;
}

/**
 * ioasid_vfio_move_groups - attach every group of a container elsewhere
 * @c: the container, locked
 * @file: the ioasid context of the new IOAS
 * @ioas_id: the new IOAS
 *
 * Each group is decided and attached again, in @file's context. On a
 * failure every group goes back to the container's current IOAS (decided
 * again); a group that cannot go back stays unbound, blocking its DMA.
 *
 * Return: 0, or the first failure's errno.
 */
int ioasid_vfio_move_groups(struct ioasid_vfio_container *c,
			    struct file *file, u32 ioas_id)
{
	struct ioasid_vfio_group *vg;
	int rc, undo;

	lockdep_assert_held(&c->lock);
	rc = move_all(c, file, ioas_id);
	if (!rc)
		goto count;
	list_for_each_entry(vg, &c->groups, node) {
		group_unbind_devs(vg);
		undo = group_attach_devs(c->ioasid_file, c->ioas_id, vg);
		if (undo) {
			group_unbind_devs(vg);
			pr_warn("a group could not return to its container's IOAS: %d; its DMA stays blocked\n",
				undo);
		}
	}
count:
	c->nr_noncoherent = 0;
	list_for_each_entry(vg, &c->groups, node)
		if (!vg->enforce_cc)
			c->nr_noncoherent++;
	ioasid_vfio_kvm_sync(c, rc ? c->ioasid_file : file);
	return rc;
}
