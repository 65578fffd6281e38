// SPDX-License-Identifier: GPL-2.0
/*
 * Programs the verifier must refuse. Each lives behind its own optional map
 * so a test enables exactly one and checks the verifier's message.
 */
#include "test_policy.h"

char LICENSE[] SEC("license") = "GPL";

/* The request is read-only. */
SEC("?struct_ops/attach")
int BPF_PROG(write_attach, struct ioasid_policy_req *req)
{
	req->vendor = 0;
	return IOASID_VERDICT_DEFER;
}

TEST_POLICY(t_write, 0, .attach = (void *)write_attach);

/* cache_flush runs in atomic context: no sleepable program. */
SEC("?struct_ops.s/cache_flush")
int BPF_PROG(sleepy_flush, const struct ioasid_policy_req *req)
{
	return IOASID_VERDICT_DEFER;
}

TEST_POLICY(t_sleepy, 0, .cache_flush = (void *)sleepy_flush);

/*
 * attach runs under the device's group lock, which mmap() and BAR faults
 * take under mmap_lock: a sleepable program could fault there. Refused.
 */
SEC("?struct_ops.s/attach")
int BPF_PROG(sleepy_attach, const struct ioasid_policy_req *req)
{
	return IOASID_VERDICT_DEFER;
}

TEST_POLICY(t_sleepattach, 0, .attach = (void *)sleepy_attach);

/* init runs at registration, in process context: it may sleep. */
SEC("?struct_ops.s/init")
int BPF_PROG(sleepy_init)
{
	return 0;
}

TEST_POLICY(t_sleepok, 0, .init = (void *)sleepy_init);
