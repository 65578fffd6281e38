// SPDX-License-Identifier: GPL-2.0
/*
 * Test policies that keep books: attachments per IOAS as the attach and
 * detach notices describe them (so a test can check that every notice
 * matches an attachment actually made and removed), and a strict flush
 * grant. Maps are optional; a test creates the ones it uses.
 */
#include "test_policy.h"

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
	/* A revalidation is no new attachment: no detach notice balances it. */
	if (!(req->flags & IOASID_REQ_REVALIDATE)) {
		count(req->ioas_id, 1);
		__sync_fetch_and_add(&nr_allowed, 1);
	}
	ioasid_reason(req, "count: allowed");
	return IOASID_VERDICT_ALLOW;
}

POLICY_OP(attach, count_attach)
{
	return decide(req);
}

POLICY_OP(attach_pasid, count_attach_pasid)
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

TEST_POLICY(t_count, 12,
	    .attach = (void *)count_attach,
	    .attach_pasid = (void *)count_attach_pasid,
	    .detach = (void *)count_detach);

/* Attaches of this device id are left to the next policy (0: none). */
__u16 flush1_skip_device;

/* No-snoop for everyone, cache flush at 1/s with a burst of 1. */
POLICY_OP(attach, flush1_attach)
{
	if (flush1_skip_device && req->device == flush1_skip_device)
		return IOASID_VERDICT_DEFER;
	ioasid_reason(req, "flush 1/s burst 1");
	return allow_nosnoop_flush(req, 1, 1);
}

POLICY_OP(attach_pasid, flush1_attach_pasid)
{
	return allow_nosnoop_flush(req, 1, 1);
}

TEST_POLICY(t_flush1, 14,
	    .attach = (void *)flush1_attach,
	    .attach_pasid = (void *)flush1_attach_pasid);

/* Denies with errnos the host must not pass to user space as they are. */
__s32 bad_errno;

POLICY_OP(attach, badterr_attach)
{
	if (req->flags & IOASID_REQ_DRY_RUN)
		return IOASID_VERDICT_DEFER;
	return bad_errno;
}

POLICY_OP(attach_pasid, badterr_attach_pasid)
{
	return bad_errno;
}

TEST_POLICY(t_kerr, 13,
	    .attach = (void *)badterr_attach,
	    .attach_pasid = (void *)badterr_attach_pasid);
