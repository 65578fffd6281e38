// SPDX-License-Identifier: GPL-2.0
/*
 * Policies for the mock suite (mock devices and software devices). Every
 * map is optional: a test turns on the ones it needs.
 */
#include "ioasid_policy.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline int driver_is(const struct ioasid_policy_req *req,
				      const char *name, int len)
{
	char driver[IOASID_NAME_LEN] = {};
	int i;

	bpf_probe_read_kernel_str(driver, sizeof(driver), req->driver);
	for (i = 0; i < len; i++)
		if (driver[i] != name[i])
			return 0;
	return 1;
}

/*
 * PASIDs per driver: "ioasid-mock" gets 1-15, "ioasid-mock-alt" 100-199,
 * other drivers none.
 */
SEC("struct_ops/attach_pasid")
int BPF_PROG(by_driver_attach_pasid, const struct ioasid_policy_req *req)
{
	if (driver_is(req, "ioasid-mock-alt", sizeof("ioasid-mock-alt"))) {
		bpf_ioasid_set_pasid_range(req, 100, 199);
		ioasid_reason(req, "mock-alt: PASIDs 100-199");
		return IOASID_VERDICT_ALLOW;
	}
	if (driver_is(req, "ioasid-mock", sizeof("ioasid-mock"))) {
		bpf_ioasid_set_pasid_range(req, 1, 15);
		ioasid_reason(req, "mock: PASIDs 1-15");
		return IOASID_VERDICT_ALLOW;
	}
	ioasid_reason(req, "driver has no PASID allowance");
	return -EPERM;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_pasid_by_driver = {
	.attach_pasid = (void *)by_driver_attach_pasid,
	.name = "t_pasid_drv",
	.priority = 10,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* Software devices: only the test module's, and only vendor 0x1af4. */
SEC("struct_ops/attach")
int BPF_PROG(sw_attach, const struct ioasid_policy_req *req)
{
	if (!(req->flags & IOASID_REQ_SW_DEVICE))
		return IOASID_VERDICT_DEFER;
	if (req->vendor != 0x1af4) {
		ioasid_reason(req, "software device vendor refused");
		return -EACCES;
	}
	if (!(req->dev_needs & IOASID_NEED_SW_PGTABLE)) {
		ioasid_reason(req, "software device without sw page table?");
		return -EINVAL;
	}
	ioasid_reason(req, "software device welcome");
	return IOASID_VERDICT_ALLOW;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_sw = {
	.attach = (void *)sw_attach,
	.name = "t_sw",
	.priority = 10,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};
