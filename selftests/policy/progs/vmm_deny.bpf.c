// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_deny: the policy of the vmm-cases deny case (selftests/vmm/cases.sh,
 * docs/vmm.md). The edu (1234:11e8) may not be given to a VMM through
 * vfio-pci; every other device and driver is left to the policies below.
 * Loaded by file: ioasidctl policy load vmm_deny.bpf.o.
 */
#include "test_policy.h"

char LICENSE[] SEC("license") = "GPL";

static const char vfio_pci[] = "vfio-pci";

POLICY_OP(attach, vmm_deny_attach)
{
	char driver[sizeof(vfio_pci)] = {};
	int i;

	if (req->vendor != 0x1234 || req->device != 0x11e8)
		return IOASID_VERDICT_DEFER;
	bpf_probe_read_kernel_str(driver, sizeof(driver), req->driver);
	for (i = 0; i < sizeof(vfio_pci); i++)
		if (driver[i] != vfio_pci[i])
			return IOASID_VERDICT_DEFER;
	ioasid_reason(req, "vmm_deny: no edu for VMMs through vfio-pci");
	return -EACCES;
}

TEST_POLICY(vmm_deny, 10, .attach = (void *)vmm_deny_attach);
