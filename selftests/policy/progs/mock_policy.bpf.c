// SPDX-License-Identifier: GPL-2.0
/*
 * Policies for the mock suite (mock devices and software devices). Every
 * map is optional: a test turns on the ones it needs.
 */
#include "test_policy.h"

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
POLICY_OP(attach_pasid, by_driver_attach_pasid)
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

TEST_POLICY_NAMED(t_pasid_by_driver, "t_pasid_drv", 10,
	          .attach_pasid = (void *)by_driver_attach_pasid);

/* Software devices: only the test module's, and only vendor 0x1af4. */
POLICY_OP(attach, sw_attach)
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

TEST_POLICY(t_sw, 10, .attach = (void *)sw_attach);
