// SPDX-License-Identifier: GPL-2.0
/*
 * Test policies. Every map is optional ("?.struct_ops.link"): a test turns
 * on exactly the ones it needs with bpf_map__set_autocreate().
 */
#include "ioasid_policy.h"

char LICENSE[] SEC("license") = "GPL";

/* Deny vendor 0x1234 with a reason, defer on everything else. */
SEC("struct_ops/attach")
int BPF_PROG(deny_attach, const struct ioasid_policy_req *req)
{
	if (req->vendor == 0x1234) {
		ioasid_reason(req, "vendor 1234 is not welcome");
		return -EPERM;
	}
	return IOASID_VERDICT_DEFER;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_deny = {
	.attach = (void *)deny_attach,
	.name = "t_deny",
	.priority = 10,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* Allow vendor 0x8086 without snooping, with a rate-limited flush grant. */
SEC("struct_ops/attach")
int BPF_PROG(nosnoop_attach, const struct ioasid_policy_req *req)
{
	if (req->vendor != 0x8086)
		return IOASID_VERDICT_DEFER;
	bpf_ioasid_set_snoop(req, IOASID_SNOOP_ALLOW_NOSNOOP);
	bpf_ioasid_grant_flush(req, 5, 2);
	ioasid_reason(req, "intel allowlisted for no-snoop");
	return IOASID_VERDICT_ALLOW;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_nosnoop = {
	.attach = (void *)nosnoop_attach,
	.name = "t_nosnoop",
	.priority = 20,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* Ask for enforce-snoop regardless of what the IOMMU can do. */
SEC("struct_ops/attach")
int BPF_PROG(enforce_attach, const struct ioasid_policy_req *req)
{
	bpf_ioasid_set_snoop(req, IOASID_SNOOP_ENFORCE);
	return IOASID_VERDICT_ALLOW;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_enforce = {
	.attach = (void *)enforce_attach,
	.name = "t_enforce",
	.priority = 30,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* Returns a value that is neither a verdict nor an errno. */
SEC("struct_ops/attach")
int BPF_PROG(garbage_attach, const struct ioasid_policy_req *req)
{
	return 42;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_garbage = {
	.attach = (void *)garbage_attach,
	.name = "t_garbage",
	.priority = 5,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* A shadow policy that would deny everything. */
SEC("struct_ops/attach")
int BPF_PROG(shadow_attach, const struct ioasid_policy_req *req)
{
	ioasid_reason(req, "shadow says no");
	return -EACCES;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_shadow = {
	.attach = (void *)shadow_attach,
	.name = "t_shadow",
	.priority = 1,
	.flags = IOASID_POLICY_F_SHADOW,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* Two policies with a configurable priority, each allowing with a reason. */
SEC("struct_ops/attach")
int BPF_PROG(prio_a_attach, const struct ioasid_policy_req *req)
{
	ioasid_reason(req, "a");
	return IOASID_VERDICT_ALLOW;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_prio_a = {
	.attach = (void *)prio_a_attach,
	.name = "t_prio_a",
	.priority = 50,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

SEC("struct_ops/attach")
int BPF_PROG(prio_b_attach, const struct ioasid_policy_req *req)
{
	ioasid_reason(req, "b");
	return IOASID_VERDICT_ALLOW;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_prio_b = {
	.attach = (void *)prio_b_attach,
	.name = "t_prio_b",
	.priority = 60,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* Wrong ABI version: refused at map update (init_member). */
SEC("?.struct_ops.link")
struct ioasid_policy_ops t_badabi = {
	.attach = (void *)prio_b_attach,
	.name = "t_badabi",
	.abi_version = 99,
};

/* No-snoop for everyone, cache flush at 1/s with a burst of 2. */
SEC("struct_ops/attach")
int BPF_PROG(flushrate_attach, const struct ioasid_policy_req *req)
{
	bpf_ioasid_set_snoop(req, IOASID_SNOOP_ALLOW_NOSNOOP);
	bpf_ioasid_grant_flush(req, 1, 2);
	ioasid_reason(req, "flush 1/s burst 2");
	return IOASID_VERDICT_ALLOW;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_flushrate = {
	.attach = (void *)flushrate_attach,
	.name = "t_flushrate",
	.priority = 15,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* Denies every flush at flush time. */
SEC("struct_ops/cache_flush")
int BPF_PROG(flushdeny_flush, const struct ioasid_policy_req *req)
{
	return -EACCES;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_flushdeny = {
	.cache_flush = (void *)flushdeny_flush,
	.name = "t_flushdeny",
	.priority = 16,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* Grants PASIDs 1-10 to every device, whatever the hardware says. */
SEC("struct_ops/attach_pasid")
int BPF_PROG(pasid10_attach_pasid, const struct ioasid_policy_req *req)
{
	bpf_ioasid_set_pasid_range(req, 1, 10);
	ioasid_reason(req, "PASIDs 1-10 for everyone");
	return IOASID_VERDICT_ALLOW;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_pasid10 = {
	.attach_pasid = (void *)pasid10_attach_pasid,
	.name = "t_pasid10",
	.priority = 25,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};
