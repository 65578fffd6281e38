// SPDX-License-Identifier: GPL-2.0
/*
 * Test policies that keep books: attachments per IOAS as the attach and
 * detach notices describe them (so a test can check that every notice
 * matches an attachment actually made and removed), and a strict flush
 * grant. Maps are optional; a test creates the ones it uses.
 */
#include "ioasid_policy.h"

char LICENSE[] SEC("license") = "GPL";

/* IOAS id -> attachments the policy allowed minus detach notices. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __s64);
} per_ioas SEC(".maps");

/* Attaches to this IOAS are denied (set by the test; 0: none). */
__u32 deny_ioas;
__u64 nr_allowed, nr_detached;
/* What the last detach notice said. */
__u32 last_detach_ioas, last_detach_pasid;

static void count(__u32 ioas, __s64 delta)
{
	__s64 *v = bpf_map_lookup_elem(&per_ioas, &ioas);
	__s64 init = delta;

	if (v)
		__sync_fetch_and_add(v, delta);
	else
		bpf_map_update_elem(&per_ioas, &ioas, &init, BPF_NOEXIST);
}

static int decide(const struct ioasid_policy_req *req)
{
	if (req->flags & IOASID_REQ_DRY_RUN)
		return IOASID_VERDICT_DEFER;
	if (deny_ioas && req->ioas_id == deny_ioas) {
		ioasid_reason(req, "count: IOAS refused");
		return -EACCES;
	}
	count(req->ioas_id, 1);
	__sync_fetch_and_add(&nr_allowed, 1);
	ioasid_reason(req, "count: allowed");
	return IOASID_VERDICT_ALLOW;
}

SEC("struct_ops/attach")
int BPF_PROG(count_attach, const struct ioasid_policy_req *req)
{
	return decide(req);
}

SEC("struct_ops/attach_pasid")
int BPF_PROG(count_attach_pasid, const struct ioasid_policy_req *req)
{
	return decide(req);
}

SEC("struct_ops/detach")
void BPF_PROG(count_detach, const struct ioasid_policy_req *req)
{
	count(req->ioas_id, -1);
	__sync_fetch_and_add(&nr_detached, 1);
	last_detach_ioas = req->ioas_id;
	last_detach_pasid = req->pasid;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_count = {
	.attach = (void *)count_attach,
	.attach_pasid = (void *)count_attach_pasid,
	.detach = (void *)count_detach,
	.name = "t_count",
	.priority = 12,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* No-snoop for everyone, cache flush at 1/s with a burst of 1. */
SEC("struct_ops/attach")
int BPF_PROG(flush1_attach, const struct ioasid_policy_req *req)
{
	bpf_ioasid_set_snoop(req, IOASID_SNOOP_ALLOW_NOSNOOP);
	bpf_ioasid_grant_flush(req, 1, 1);
	ioasid_reason(req, "flush 1/s burst 1");
	return IOASID_VERDICT_ALLOW;
}

SEC("struct_ops/attach_pasid")
int BPF_PROG(flush1_attach_pasid, const struct ioasid_policy_req *req)
{
	bpf_ioasid_set_snoop(req, IOASID_SNOOP_ALLOW_NOSNOOP);
	bpf_ioasid_grant_flush(req, 1, 1);
	return IOASID_VERDICT_ALLOW;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_flush1 = {
	.attach = (void *)flush1_attach,
	.attach_pasid = (void *)flush1_attach_pasid,
	.name = "t_flush1",
	.priority = 14,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* Denies with errnos the host must not pass to user space as they are. */
__s32 bad_errno;

SEC("struct_ops/attach")
int BPF_PROG(badterr_attach, const struct ioasid_policy_req *req)
{
	if (req->flags & IOASID_REQ_DRY_RUN)
		return IOASID_VERDICT_DEFER;
	return bad_errno;
}

SEC("struct_ops/attach_pasid")
int BPF_PROG(badterr_attach_pasid, const struct ioasid_policy_req *req)
{
	return bad_errno;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_kerr = {
	.attach = (void *)badterr_attach,
	.attach_pasid = (void *)badterr_attach_pasid,
	.name = "t_kerr",
	.priority = 13,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};
