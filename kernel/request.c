// SPDX-License-Identifier: GPL-2.0
/*
 * Policy requests (request.h): describe a device once, then build every
 * request about it in one call. The same code serves real attaches, the
 * access API, PASID kernel contexts, dry runs and cache flushes, so a dry
 * run sees exactly what an attach would.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/cred.h>
#include <linux/cgroup.h>
#include <linux/sched.h>
#include <linux/ioasid_kernel.h>
#include <linux/ioasid_access.h>
#include <uapi/linux/iommufd.h>

#include "io_pagetable.h"
#include "request.h"

/* --- probing: once per bind ---------------------------------------------- */

static int count_group_dev(struct device *dev, void *data)
{
	(*(u32 *)data)++;
	return 0;
}

static u32 group_size(struct device *dev, u32 fallback)
{
	struct iommu_group *group = iommu_group_get(dev);
	u32 n = 0;

	if (!group)
		return fallback;
	iommu_group_for_each_dev(group, &n, count_group_dev);
	iommu_group_put(group);
	return n;
}

/*
 * A stable, human name for the device's IOMMU driver. Built-in drivers
 * have no owner module, so name them by their sysfs device.
 */
static void iommu_driver_name(struct device *dev, char *buf, size_t len)
{
	struct iommu_device *iommu = dev->iommu ? dev->iommu->iommu_dev : NULL;
	const char *name;

	if (!iommu) {
		buf[0] = 0;
		return;
	}
	if (iommu->ops && iommu->ops->owner) {
		strscpy(buf, module_name(iommu->ops->owner), len);
		strreplace(buf, '_', '-');
		return;
	}
	name = iommu->dev ? dev_name(iommu->dev) : "";
	if (str_has_prefix(name, "dmar"))
		name = "intel-iommu";
	else if (str_has_prefix(name, "ivhd"))
		name = "amd-iommu";
	strscpy(buf, name, len);
}

/*
 * Can the IOMMU translate stage-1 over stage-2 for @dev? Drivers that can
 * (VT-d with nested translation, SMMUv3 with stage 2) allocate a nesting
 * parent domain; QEMU 7.2's intel-iommu and virtio-iommu do not. The
 * answer is cached: a lack of memory fails the probe rather than caching
 * a wrong "no".
 */
static int probe_nesting(struct device *dev, struct ioasid_dev_desc *desc)
{
	const struct iommu_ops *ops;
	struct iommu_domain *domain;

	if (!dev->iommu || !dev->iommu->iommu_dev)
		return 0;
	ops = dev->iommu->iommu_dev->ops;
	if (!ops->domain_alloc_user)
		return 0;
	domain = ops->domain_alloc_user(dev, IOMMU_HWPT_ALLOC_NEST_PARENT,
					NULL, NULL);
	if (domain == ERR_PTR(-ENOMEM))
		return -ENOMEM;
	if (IS_ERR_OR_NULL(domain))
		return 0;
	iommu_domain_free(domain);
	desc->iommu_caps |= IOASID_IOMMU_CAP_NESTING;
	return 0;
}

/*
 * Page sizes and aperture as a new paging domain has them; zero when the
 * IOMMU driver only knows at attach (virtio-iommu). -ENOMEM as above.
 */
static int probe_paging_domain(struct device *dev,
			       struct ioasid_dev_desc *desc)
{
	struct iommu_domain *domain = iommu_paging_domain_alloc(dev);

	if (domain == ERR_PTR(-ENOMEM))
		return -ENOMEM;
	if (IS_ERR(domain))
		return 0;
	desc->pgsize_bitmap = domain->pgsize_bitmap;
	desc->aperture_start = domain->geometry.aperture_start;
	desc->aperture_last = domain->geometry.aperture_end;
	iommu_domain_free(domain);
	return 0;
}

static void probe_ids(struct device *dev, const struct ioasid_bind_desc *bind,
		      struct ioasid_dev_desc *desc, u32 *max_pasids)
{
	struct pci_dev *pdev;
	int n;

	if (!dev_is_pci(dev)) {
		/* Platform devices: the firmware's "pasid-num-bits", clamped. */
		if (dev->iommu)
			*max_pasids = dev->iommu->max_pasids;
		if (!bind)
			return;
		/* Not PCI: the binding driver states the ids. */
		desc->vendor = bind->vendor;
		desc->device = bind->device;
		desc->subvendor = bind->subvendor;
		desc->subdevice = bind->subdevice;
		desc->class = bind->class;
		return;
	}
	pdev = to_pci_dev(dev);
	desc->vendor = pdev->vendor;
	desc->device = pdev->device;
	desc->subvendor = pdev->subsystem_vendor;
	desc->subdevice = pdev->subsystem_device;
	desc->class = pdev->class;
	desc->bdf = pci_domain_nr(pdev->bus) << 16 | pdev->bus->number << 8 |
		    pdev->devfn;
	if (pdev->pasid_cap) {
		n = pci_max_pasids(pdev);
		if (n > 0)
			*max_pasids = n;
	}
}

/**
 * ioasid_dev_probe - describe a real device, probing its IOMMU once
 * @dev: the device
 * @bind: how its binding driver presents it, or NULL (not bound)
 * @desc: filled; keeps @dev, which the caller must hold while it uses @desc
 *
 * The only place that allocates IOMMU domains to learn what the IOMMU can
 * do (nesting, page sizes, aperture); the domains are freed at once.
 * Context: process context; may sleep.
 * Return: 0, -ENODEV if the device has no IOMMU group, -ENOMEM.
 */
int ioasid_dev_probe(struct device *dev, const struct ioasid_bind_desc *bind,
		     struct ioasid_dev_desc *desc)
{
	u32 max_pasids = 0;
	int rc;

	might_sleep();
	memset(desc, 0, sizeof(*desc));
	desc->group_size = group_size(dev, 0);
	if (!desc->group_size)
		return -ENODEV;
	desc->dev = dev;
	probe_ids(dev, bind, desc, &max_pasids);
	if (bind) {
		if (bind->flags & IOASID_BIND_KERNEL_OWNED)
			desc->req_flags |= IOASID_REQ_KERNEL_OWNED;
		desc->dev_needs = bind->dev_needs;
	}
	strscpy(desc->driver, dev->driver ? dev->driver->name : "",
		sizeof(desc->driver));
	iommu_driver_name(dev, desc->iommu_driver, sizeof(desc->iommu_driver));

	if (device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY))
		desc->iommu_caps |= IOASID_IOMMU_CAP_ENFORCE_COHERENCY;
	if (device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		desc->iommu_caps |= IOASID_IOMMU_CAP_CACHE_COHERENCY;
	if (dev->iommu && dev->iommu->max_pasids && max_pasids) {
		desc->iommu_caps |= IOASID_IOMMU_CAP_PASID;
		desc->pasid_bits = ilog2(min(max_pasids,
					     dev->iommu->max_pasids));
	}
	rc = probe_nesting(dev, desc);
	if (!rc)
		rc = probe_paging_domain(dev, desc);
	return rc;
}

/**
 * ioasid_dev_probe_bdf - describe the PCI device at @bdf (dry runs)
 * @bdf: PCI segment << 16 | bus << 8 | devfn
 * @desc: filled, without a device reference (@desc->dev is NULL)
 *
 * Return: 0, -ENODEV (no such device, or no IOMMU group), -ENOMEM.
 */
int ioasid_dev_probe_bdf(u32 bdf, struct ioasid_dev_desc *desc)
{
	struct pci_dev *pdev;
	int rc;

	pdev = pci_get_domain_bus_and_slot(bdf >> 16, (bdf >> 8) & 0xff,
					   bdf & 0xff);
	if (!pdev)
		return -ENODEV;
	device_lock(&pdev->dev);
	rc = ioasid_dev_probe(&pdev->dev, NULL, desc);
	device_unlock(&pdev->dev);
	desc->dev = NULL;
	pci_dev_put(pdev);
	return rc;
}

/**
 * ioasid_dev_desc_sw - describe a software device (access API)
 * @desc: filled
 * @sw: how its driver presents it
 * @driver: the driver's name (NUL terminated)
 *
 * The CPU does the "DMA": coherent, one device, no PASID.
 */
void ioasid_dev_desc_sw(struct ioasid_dev_desc *desc,
			const struct ioasid_access_desc *sw, const char *driver)
{
	memset(desc, 0, sizeof(*desc));
	desc->req_flags = IOASID_REQ_SW_DEVICE;
	desc->dev_needs = sw->dev_needs | IOASID_NEED_SW_PGTABLE;
	desc->vendor = sw->vendor;
	desc->device = sw->device;
	desc->subvendor = sw->subvendor;
	desc->subdevice = sw->subdevice;
	desc->class = sw->class;
	strscpy(desc->driver, driver, sizeof(desc->driver));
	strscpy(desc->iommu_driver, "software", sizeof(desc->iommu_driver));
	desc->iommu_caps = IOASID_IOMMU_CAP_ENFORCE_COHERENCY |
			   IOASID_IOMMU_CAP_CACHE_COHERENCY;
	desc->group_size = 1;
}

/* --- building: every request, one call ------------------------------------ */

/**
 * ioasid_dev_group_size - devices in the IOMMU group of a described device
 * @desc: the description
 *
 * Counted now for a real device (groups can grow while it is bound).
 *
 * Return: the count.
 */
u32 ioasid_dev_group_size(const struct ioasid_dev_desc *desc)
{
	return desc->dev ? group_size(desc->dev, desc->group_size) :
			   desc->group_size;
}

/* The device and IOMMU fields: what a dry run by BDF also replaces. */
static void req_set_device(struct ioasid_policy_req *req,
			   const struct ioasid_dev_desc *desc)
{
	req->vendor = desc->vendor;
	req->device = desc->device;
	req->subvendor = desc->subvendor;
	req->subdevice = desc->subdevice;
	req->class = desc->class;
	req->bdf = desc->bdf;
	memcpy(req->driver, desc->driver, sizeof(req->driver));
	memcpy(req->iommu_driver, desc->iommu_driver,
	       sizeof(req->iommu_driver));
	req->iommu_caps = desc->iommu_caps;
	req->pasid_bits = desc->pasid_bits;
	req->group_size = ioasid_dev_group_size(desc);
}

/* The calling task, unless a dry run described another one. */
static void req_set_caller(struct ioasid_policy_req *req,
			   struct ioasid_ctx *ctx)
{
	if (!req->uid && !req->pid && !req->cgroup_id) {
		req->uid = from_kuid(&init_user_ns, current_uid());
		req->gid = from_kgid(&init_user_ns, current_gid());
		req->pid = task_tgid_nr(current);
#ifdef CONFIG_CGROUPS
		/* The task's css_set is RCU-protected (it may migrate). */
		rcu_read_lock();
		req->cgroup_id = cgroup_id(task_dfl_cgroup(current));
		rcu_read_unlock();
#endif
	}
	if (ctx && !req->fd_id)
		req->fd_id = ctx->id;
}

/**
 * ioasid_request_build - build the policy request about a device
 * @req: filled completely
 * @desc: the device, or NULL (cache flushes; dry runs of described devices)
 * @caller: who asks, about what target
 *
 * The one function that assembles a struct ioasid_policy_req. It reads
 * what ioasid_dev_probe() cached and allocates nothing; counting the IOMMU
 * group's members takes the group's mutex (lock order: docs/design.md).
 */
void ioasid_request_build(struct ioasid_policy_req *req,
			  const struct ioasid_dev_desc *desc,
			  const struct ioasid_req_caller *caller)
{
	const struct ioasid_policy_req *described = caller->described;
	struct ioasid_ioas *ioas = caller->ioas;

	if (described) {
		*req = *described;
		req->driver[sizeof(req->driver) - 1] = 0;
		req->iommu_driver[sizeof(req->iommu_driver) - 1] = 0;
	} else {
		memset(req, 0, sizeof(*req));
	}
	if (desc) {
		req_set_device(req, desc);
		if (!described) {
			req->flags |= desc->req_flags;
			req->dev_needs = desc->dev_needs;
		}
	}
	req->op = caller->op;
	req->pasid = caller->pasid;
	req->flags |= caller->flags;
	if (!described)
		req->nr_flush_cpus = caller->nr_flush_cpus;
	if (ioas) {
		req->ioas_id = ioas->obj.id;
		req->ioas_depth = ioas->depth;
		if (ioas->parent)
			req->flags |= IOASID_REQ_IOAS_NESTED;
		if (caller->ctx && atomic_read(&caller->ctx->nr_noncoherent))
			req->flags |= IOASID_REQ_FD_NONCOHERENT;
	}
	if (caller->identity) {
		req->uid = caller->identity->uid;
		req->gid = caller->identity->gid;
		req->pid = caller->identity->pid;
		req->cgroup_id = caller->identity->cgroup_id;
	}
	req_set_caller(req, caller->ctx);
}
