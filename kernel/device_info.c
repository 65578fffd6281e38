// SPDX-License-Identifier: GPL-2.0
/*
 * Describe a real device to the policies: fill a struct ioasid_policy_req
 * from a struct device. The same code serves real attaches and dry runs,
 * so a dry run sees exactly what an attach would.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/iommu.h>
#include <uapi/linux/iommufd.h>
#include <linux/module.h>
#include <linux/string.h>

#include "io_pagetable.h"
#include "device.h"

static int count_group_dev(struct device *dev, void *data)
{
	(*(u32 *)data)++;
	return 0;
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
 * parent domain; QEMU 7.2's intel-iommu and virtio-iommu do not.
 */
static bool iommu_can_nest(struct device *dev)
{
	const struct iommu_ops *ops;
	struct iommu_domain *domain;

	if (!dev->iommu || !dev->iommu->iommu_dev)
		return false;
	ops = dev->iommu->iommu_dev->ops;
	if (!ops->domain_alloc_user)
		return false;
	domain = ops->domain_alloc_user(dev, IOMMU_HWPT_ALLOC_NEST_PARENT,
					NULL, NULL);
	if (IS_ERR_OR_NULL(domain))
		return false;
	iommu_domain_free(domain);
	return true;
}

/**
 * ioasid_policy_fill_dev - describe @dev in @req
 * @req: request to fill (device and IOMMU fields only)
 * @dev: the device
 *
 * Return: 0, or -ENODEV if the device has no IOMMU group.
 */
int ioasid_policy_fill_dev(struct ioasid_policy_req *req, struct device *dev)
{
	struct iommu_group *group;
	u32 max_pasids = 0;

	if (dev_is_pci(dev)) {
		struct pci_dev *pdev = to_pci_dev(dev);

		req->vendor = pdev->vendor;
		req->device = pdev->device;
		req->subvendor = pdev->subsystem_vendor;
		req->subdevice = pdev->subsystem_device;
		req->class = pdev->class;
		req->bdf = pci_domain_nr(pdev->bus) << 16 |
			   pdev->bus->number << 8 | pdev->devfn;
		if (pdev->pasid_cap) {
			int n = pci_max_pasids(pdev);

			if (n > 0)
				max_pasids = n;
		}
	} else if (dev->iommu) {
		/* Platform devices: the firmware's "pasid-num-bits", clamped. */
		max_pasids = dev->iommu->max_pasids;
	}
	strscpy(req->driver, dev->driver ? dev->driver->name : "",
		sizeof(req->driver));
	iommu_driver_name(dev, req->iommu_driver, sizeof(req->iommu_driver));

	req->iommu_caps = 0;
	if (device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY))
		req->iommu_caps |= IOASID_IOMMU_CAP_ENFORCE_COHERENCY;
	if (device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		req->iommu_caps |= IOASID_IOMMU_CAP_CACHE_COHERENCY;
	if (iommu_can_nest(dev))
		req->iommu_caps |= IOASID_IOMMU_CAP_NESTING;
	if (dev->iommu && dev->iommu->max_pasids && max_pasids) {
		req->iommu_caps |= IOASID_IOMMU_CAP_PASID;
		req->pasid_bits = ilog2(min(max_pasids,
					    dev->iommu->max_pasids));
	}

	group = iommu_group_get(dev);
	if (!group)
		return -ENODEV;
	req->group_size = 0;
	iommu_group_for_each_dev(group, &req->group_size, count_group_dev);
	iommu_group_put(group);
	return 0;
}

/**
 * ioasid_policy_fill_target - describe the target and caller of an attach
 * @req: request whose device fields are filled already
 * @ctx: the fd asking
 * @ioas: the IOAS to attach to
 * @op: enum ioasid_policy_op
 * @pasid: the PASID (IOASID_POLICY_OP_ATTACH_PASID), else 0
 *
 * Shared by devices and accesses, so both are described alike.
 */
void ioasid_policy_fill_target(struct ioasid_policy_req *req,
			       struct ioasid_ctx *ctx,
			       struct ioasid_ioas *ioas, u32 op, u32 pasid)
{
	req->op = op;
	req->pasid = pasid;
	req->ioas_id = ioas->obj.id;
	req->ioas_depth = ioas->depth;
	if (ioas->parent)
		req->flags |= IOASID_REQ_IOAS_NESTED;
	if (atomic_read(&ctx->nr_noncoherent))
		req->flags |= IOASID_REQ_FD_NONCOHERENT;
	ioasid_policy_fill_caller(ctx, req);
}
