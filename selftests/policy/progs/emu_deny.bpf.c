// SPDX-License-Identifier: GPL-2.0
/*
 * emu_deny: the policy of the vfio-emu deny case (selftests/vfio/emulated.sh,
 * docs/vfio.md "Emulated-IOMMU devices"). The test module's emulated-IOMMU
 * device (a software device of driver ioasid_test_vfio) may not join a
 * container; every other device and driver is left to the policies below.
 * Loaded by file: ioasidctl policy load emu_deny.bpf.o.
 */
#include "test_policy.h"

char LICENSE[] SEC("license") = "GPL";

static const char emu_driver[] = "ioasid_test_vfio";

POLICY_OP(attach, emu_deny_attach)
{
	char driver[sizeof(emu_driver)] = {};
	int i;

	if (!(req->flags & IOASID_REQ_SW_DEVICE))
		return IOASID_VERDICT_DEFER;
	bpf_probe_read_kernel_str(driver, sizeof(driver), req->driver);
	for (i = 0; i < sizeof(emu_driver); i++)
		if (driver[i] != emu_driver[i])
			return IOASID_VERDICT_DEFER;
	ioasid_reason(req, "emu_deny: no ioasid_test_vfio in containers");
	return -EACCES;
}

TEST_POLICY(emu_deny, 10, .attach = (void *)emu_deny_attach);
