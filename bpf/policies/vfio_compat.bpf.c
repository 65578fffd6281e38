// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_compat: the built-in policy, written as a BPF policy.
 *
 * Enforce snooping when the IOMMU can; otherwise allow no-snoop DMA and
 * grant the fd the cache flush (the KVM contract) at the built-in's
 * bounded rate. PASIDs are allowed when
 * the device and its IOMMU support them, over the device's whole width.
 * The selftests compare its decisions one to one with the built-in's.
 */
#include "ioasid_policy.h"

char LICENSE[] SEC("license") = "GPL";

static int decide_snoop(const struct ioasid_policy_req *req)
{
	if (req->iommu_caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY) {
		bpf_ioasid_set_snoop(req, IOASID_SNOOP_ENFORCE);
		ioasid_reason(req, "IOMMU can enforce snooping");
	} else {
		/*
		 * No snoop mode: the built-in fills in no-snoop and its flush
		 * grant, at the bounded rate of its module parameters
		 * (builtin_flush_rate/_burst), which a program cannot read.
		 */
		ioasid_reason(req, "IOMMU cannot enforce snooping: no-snoop allowed, flush granted");
	}
	return IOASID_VERDICT_ALLOW;
}

SEC("struct_ops/attach")
int BPF_PROG(vfio_compat_attach, const struct ioasid_policy_req *req)
{
	return decide_snoop(req);
}

SEC("struct_ops/attach_pasid")
int BPF_PROG(vfio_compat_attach_pasid, const struct ioasid_policy_req *req)
{
	__u32 bits = req->pasid_bits;

	if (!(req->iommu_caps & IOASID_IOMMU_CAP_PASID) || !bits) {
		ioasid_reason(req, "device or IOMMU has no PASID support");
		return -EOPNOTSUPP;
	}
	if (bits > IOASID_PASID_BITS)
		bits = IOASID_PASID_BITS;
	bpf_ioasid_set_pasid_range(req, 1, (1U << bits) - 1);
	return decide_snoop(req);
}

SEC(".struct_ops.link")
struct ioasid_policy_ops vfio_compat = {
	.attach = (void *)vfio_compat_attach,
	.attach_pasid = (void *)vfio_compat_attach_pasid,
	.name = "vfio_compat",
	.priority = 1000,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};
