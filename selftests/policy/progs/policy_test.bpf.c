// SPDX-License-Identifier: GPL-2.0
/*
 * Test policies. Every map is optional ("?.struct_ops.link"): a test turns
 * on exactly the ones it needs with bpf_map__set_autocreate().
 */
#include "test_policy.h"

char LICENSE[] SEC("license") = "GPL";

/* Deny vendor 0x1234 with a reason, defer on everything else. */
POLICY_OP(attach, deny_attach)
{
	if (req->vendor == 0x1234) {
		ioasid_reason(req, "vendor 1234 is not welcome");
		return -EPERM;
	}
	return IOASID_VERDICT_DEFER;
}

TEST_POLICY(t_deny, 10, .attach = (void *)deny_attach);

/* Allow vendor 0x8086 without snooping, with a rate-limited flush grant. */
POLICY_OP(attach, nosnoop_attach)
{
	if (req->vendor != 0x8086)
		return IOASID_VERDICT_DEFER;
	ioasid_reason(req, "intel allowlisted for no-snoop");
	return allow_nosnoop_flush(req, 5, 2);
}

TEST_POLICY(t_nosnoop, 20, .attach = (void *)nosnoop_attach);

/* Ask for enforce-snoop regardless of what the IOMMU can do. */
POLICY_OP(attach, enforce_attach)
{
	bpf_ioasid_set_snoop(req, IOASID_SNOOP_ENFORCE);
	return IOASID_VERDICT_ALLOW;
}

TEST_POLICY(t_enforce, 30, .attach = (void *)enforce_attach);

/* Returns a value that is neither a verdict nor an errno. */
POLICY_OP(attach, garbage_attach)
{
	return 42;
}

TEST_POLICY(t_garbage, 5, .attach = (void *)garbage_attach);

/* A shadow policy that would deny everything. */
POLICY_OP(attach, shadow_attach)
{
	ioasid_reason(req, "shadow says no");
	return -EACCES;
}

TEST_POLICY(t_shadow, 1,
	    .attach = (void *)shadow_attach,
	    .flags = IOASID_POLICY_F_SHADOW);

/* Two policies with a configurable priority, each allowing with a reason. */
POLICY_OP(attach, prio_a_attach)
{
	ioasid_reason(req, "a");
	return IOASID_VERDICT_ALLOW;
}

TEST_POLICY(t_prio_a, 50, .attach = (void *)prio_a_attach);

POLICY_OP(attach, prio_b_attach)
{
	ioasid_reason(req, "b");
	return IOASID_VERDICT_ALLOW;
}

TEST_POLICY(t_prio_b, 60, .attach = (void *)prio_b_attach);

/* Wrong ABI version: refused at map update (init_member). */
SEC("?.struct_ops.link")
struct ioasid_policy_ops t_badabi = {
	.attach = (void *)prio_b_attach,
	.name = "t_badabi",
	.abi_version = 99,
};

/* No-snoop for everyone, cache flush at 1/s with a burst of 2. */
POLICY_OP(attach, flushrate_attach)
{
	ioasid_reason(req, "flush 1/s burst 2");
	return allow_nosnoop_flush(req, 1, 2);
}

TEST_POLICY(t_flushrate, 15, .attach = (void *)flushrate_attach);

/* Denies every flush at flush time. */
POLICY_OP(cache_flush, flushdeny_flush)
{
	return -EACCES;
}

TEST_POLICY(t_flushdeny, 16, .cache_flush = (void *)flushdeny_flush);

/* Grants PASIDs 1-10 to every device, whatever the hardware says. */
POLICY_OP(attach_pasid, pasid10_attach_pasid)
{
	bpf_ioasid_set_pasid_range(req, 1, 10);
	ioasid_reason(req, "PASIDs 1-10 for everyone");
	return IOASID_VERDICT_ALLOW;
}

TEST_POLICY(t_pasid10, 25, .attach_pasid = (void *)pasid10_attach_pasid);
