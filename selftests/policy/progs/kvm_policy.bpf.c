// SPDX-License-Identifier: GPL-2.0
/*
 * Policies for the KVM contract tests (selftests/device/kvm_link_test.c):
 * no-snoop with the cache-flush grant (KVM is told), and no-snoop without
 * it (the link is refused).
 */
#include "test_policy.h"

char LICENSE[] SEC("license") = "GPL";

POLICY_OP(attach, kvm_flush_attach)
{
	return allow_nosnoop_flush(req, 1000, 10);
}

TEST_POLICY(t_kvm_flush, 20, .attach = (void *)kvm_flush_attach);

POLICY_OP(attach, kvm_noflush_attach)
{
	bpf_ioasid_set_snoop(req, IOASID_SNOOP_ALLOW_NOSNOOP);
	ioasid_reason(req, "t_kvm_noflush: no-snoop, no flush grant");
	return IOASID_VERDICT_ALLOW;
}

TEST_POLICY(t_kvm_noflush, 20, .attach = (void *)kvm_noflush_attach);
