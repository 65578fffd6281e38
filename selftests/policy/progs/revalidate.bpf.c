// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow policies that only watch what revalidations look like: one built
 * for policy ABI 1 (before IOASID_REQ_REVALIDATE existed: it must see a
 * dry run) and one for the current ABI (it sees the flag alone). Both
 * note the caller identity of attaches and of revalidations.
 */
#include "test_policy.h"
#include "revalidate.h"

char LICENSE[] SEC("license") = "GPL";

struct seen v1, v2;

static __always_inline void note(struct seen *s, const struct ioasid_policy_req *req)
{
	if (req->flags & IOASID_REQ_REVALIDATE) {
		if (req->flags & IOASID_REQ_DRY_RUN)
			s->reval_dry++;
		else
			s->reval++;
		s->reval_uid = req->uid;
		s->reval_pid = req->pid;
		s->reval_cgroup = req->cgroup_id;
	} else if (!(req->flags & IOASID_REQ_DRY_RUN)) {
		s->attach++;
		s->attach_uid = req->uid;
		s->attach_pid = req->pid;
		s->attach_cgroup = req->cgroup_id;
	}
}

POLICY_OP(attach, rv1_attach)
{
	note(&v1, req);
	return IOASID_VERDICT_DEFER;
}

POLICY_OP(attach, rv2_attach)
{
	note(&v2, req);
	return IOASID_VERDICT_DEFER;
}

/* Declared by hand: TEST_POLICY() gives the current ABI. */
SEC("?.struct_ops.link")
struct ioasid_policy_ops t_rv1 = {
	.attach = (void *)rv1_attach,
	.name = "t_rv1",
	.priority = 1,
	.flags = IOASID_POLICY_F_SHADOW,
	.abi_version = 1,
};

TEST_POLICY(t_rv2, 2,
	    .attach = (void *)rv2_attach,
	    .flags = IOASID_POLICY_F_SHADOW);
