// SPDX-License-Identifier: GPL-2.0
/*
 * strict: coherent DMA only.
 *
 * - Every attachment enforces snooping; a device whose IOMMU cannot is
 *   refused (EPERM) unless its vendor:device is in strict_coherent_ok,
 *   where it is attached without enforcement but still never granted the
 *   cache flush.
 * - No cache-flush grants, ever.
 * - PASIDs only for drivers listed in strict_pasid_drivers.
 * - Devices in multi-device IOMMU groups are refused (EPERM).
 *
 * The allowlists are maps pinned by name (under the bpffs pin root the
 * loader chooses), so operators edit them without reloading and they
 * survive a policy upgrade.
 */
#include "ioasid_policy.h"
#include "ioasid_rules.h"

char LICENSE[] SEC("license") = "GPL";

/* Key: IOASID_RULE_ID_KEY(). Value: ignored (presence allows). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} IOASID_STRICT_COHERENT_OK SEC(".maps");

/* Key: driver name (NUL padded). Value: ignored. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, char[IOASID_DRIVER_KEY_LEN]);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} IOASID_STRICT_PASID_DRIVERS SEC(".maps");

static int strict_common(const struct ioasid_policy_req *req)
{
	__u32 id = IOASID_RULE_ID_KEY(req->vendor, req->device);

	if (req->group_size > 1) {
		ioasid_reason(req, "strict: multi-device IOMMU group refused");
		return -EPERM;
	}
	if (req->iommu_caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY) {
		bpf_ioasid_set_snoop(req, IOASID_SNOOP_ENFORCE);
		ioasid_reason(req, "strict: snooping enforced");
		return IOASID_VERDICT_ALLOW;
	}
	if (bpf_map_lookup_elem(&IOASID_STRICT_COHERENT_OK, &id)) {
		/* Allowlisted: non-coherent DMA, but still no flush grant. */
		bpf_ioasid_set_snoop(req, IOASID_SNOOP_ALLOW_NOSNOOP);
		ioasid_reason(req, "strict: allowlisted without snoop control");
		return IOASID_VERDICT_ALLOW;
	}
	ioasid_reason(req, "strict: IOMMU cannot enforce snooping");
	return -EPERM;
}

SEC("struct_ops/attach")
int BPF_PROG(strict_attach, const struct ioasid_policy_req *req)
{
	return strict_common(req);
}

SEC("struct_ops/attach_pasid")
int BPF_PROG(strict_attach_pasid, const struct ioasid_policy_req *req)
{
	char driver[IOASID_DRIVER_KEY_LEN] = {};

	bpf_probe_read_kernel_str(driver, sizeof(driver), req->driver);
	if (!bpf_map_lookup_elem(&IOASID_STRICT_PASID_DRIVERS, driver)) {
		ioasid_reason(req, "strict: driver not allowed PASIDs");
		return -EPERM;
	}
	return strict_common(req);
}

SEC("struct_ops/cache_flush")
int BPF_PROG(strict_cache_flush, const struct ioasid_policy_req *req)
{
	return -EPERM;
}

SEC(".struct_ops.link")
struct ioasid_policy_ops strict = {
	.attach = (void *)strict_attach,
	.attach_pasid = (void *)strict_attach_pasid,
	.cache_flush = (void *)strict_cache_flush,
	.name = "strict",
	.priority = 100,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};
