/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policy requests: the one place a struct ioasid_policy_req is built.
 *
 * A consumer describes its device once (struct ioasid_dev_desc: probed at
 * bind for a real device, stated by the driver for a software device) and
 * asks for a request with ioasid_request_build(), giving the caller and
 * target (struct ioasid_req_caller). ioasid-pci devices, mock devices,
 * software devices (access API), per-PASID kernel contexts, dry runs and
 * cache flushes all build their requests there, so a policy sees every
 * consumer described alike. A new consumer (a VFIO group) fills a
 * descriptor with ioasid_dev_probe() and calls the same builder.
 *
 * Nothing here allocates an IOMMU domain except ioasid_dev_probe(), which
 * runs once per bind (and for devices no fd has bound: GET_INFO of an
 * unbound device, dry runs by BDF).
 */
#ifndef __IOASID_REQUEST_H
#define __IOASID_REQUEST_H

#include <linux/types.h>
#include <linux/ioasid_policy.h>

struct device;
struct ioasid_ctx;
struct ioasid_ioas;
struct ioasid_bind_desc;
struct ioasid_access_desc;

/**
 * struct ioasid_dev_desc - a device as policies see it, probed once
 * @dev: the device, whose IOMMU group is counted at every request (NULL
 *	for a software device or a described one)
 * @req_flags: IOASID_REQ_SW_DEVICE, IOASID_REQ_KERNEL_OWNED
 * @dev_needs: enum ioasid_dev_needs its driver declared
 * @vendor: vendor id (PCI: read from the device)
 * @device: device id
 * @subvendor: subsystem vendor id
 * @subdevice: subsystem device id
 * @class: class code
 * @bdf: PCI segment << 16 | bus << 8 | devfn (0: not PCI)
 * @driver: the device's driver
 * @iommu_driver: its IOMMU's driver
 * @iommu_caps: enum ioasid_iommu_caps
 * @pasid_bits: usable PASID width (0: none)
 * @group_size: devices in its IOMMU group (when @dev is NULL)
 * @pgsize_bitmap: page sizes a new paging domain maps
 * @aperture_start: first IOVA a new paging domain translates
 * @aperture_last: last IOVA a new paging domain translates (0 with
 *	@aperture_start 0: only known at the first attach, virtio-iommu)
 */
struct ioasid_dev_desc {
	struct device *dev;
	u32 req_flags;
	u32 dev_needs;
	u16 vendor;
	u16 device;
	u16 subvendor;
	u16 subdevice;
	u32 class;
	u32 bdf;
	char driver[IOASID_NAME_LEN];
	char iommu_driver[IOASID_NAME_LEN];
	u32 iommu_caps;
	u32 pasid_bits;
	u32 group_size;
	u64 pgsize_bitmap;
	u64 aperture_start;
	u64 aperture_last;
};

/**
 * struct ioasid_req_caller - who asks, about what
 * @ctx: the fd asking (its id, its non-coherent state), or NULL
 * @ioas: the target IOAS, or NULL (dry runs, cache flushes)
 * @op: enum ioasid_policy_op
 * @pasid: the PASID for IOASID_POLICY_OP_ATTACH_PASID, else 0
 * @flags: IOASID_REQ_REPLACE, IOASID_REQ_DRY_RUN
 * @nr_flush_cpus: CPUs a cache flush would hit (IOASID_POLICY_OP_CACHE_FLUSH)
 * @described: dry runs: the request user space described; its target and
 *	caller fields are kept (caller identity and fd id only when non-zero),
 *	and so are its device fields unless a device descriptor is given
 * @identity: revalidations: the request of the original attach, whose
 *	caller identity (uid, gid, pid, cgroup) the new request keeps
 */
struct ioasid_req_caller {
	struct ioasid_ctx *ctx;
	struct ioasid_ioas *ioas;
	u32 op;
	u32 pasid;
	u32 flags;
	u32 nr_flush_cpus;
	const struct ioasid_policy_req *described;
	const struct ioasid_policy_req *identity;
};

void ioasid_request_build(struct ioasid_policy_req *req,
			  const struct ioasid_dev_desc *desc,
			  const struct ioasid_req_caller *caller);
int ioasid_dev_probe(struct device *dev, const struct ioasid_bind_desc *bind,
		     struct ioasid_dev_desc *desc);
int ioasid_dev_probe_bdf(u32 bdf, struct ioasid_dev_desc *desc);
u32 ioasid_dev_group_size(const struct ioasid_dev_desc *desc);
void ioasid_dev_desc_sw(struct ioasid_dev_desc *desc,
			const struct ioasid_access_desc *sw, const char *driver);

#endif /* __IOASID_REQUEST_H */
