// SPDX-License-Identifier: GPL-2.0
/*
 * Programs the verifier must refuse. Each lives behind its own optional map
 * so a test enables exactly one and checks the verifier's message.
 */
#include "ioasid_policy.h"

char LICENSE[] SEC("license") = "GPL";

/* The request is read-only. */
SEC("?struct_ops/attach")
int BPF_PROG(write_attach, struct ioasid_policy_req *req)
{
	req->vendor = 0;
	return IOASID_VERDICT_DEFER;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_write = {
	.attach = (void *)write_attach,
	.name = "t_write",
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* cache_flush runs in atomic context: no sleepable program. */
SEC("?struct_ops.s/cache_flush")
int BPF_PROG(sleepy_flush, const struct ioasid_policy_req *req)
{
	return IOASID_VERDICT_DEFER;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_sleepy = {
	.cache_flush = (void *)sleepy_flush,
	.name = "t_sleepy",
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/*
 * attach runs under the device's group lock, which mmap() and BAR faults
 * take under mmap_lock: a sleepable program could fault there. Refused.
 */
SEC("?struct_ops.s/attach")
int BPF_PROG(sleepy_attach, const struct ioasid_policy_req *req)
{
	return IOASID_VERDICT_DEFER;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_sleepattach = {
	.attach = (void *)sleepy_attach,
	.name = "t_sleepattach",
	.abi_version = IOASID_POLICY_ABI_VERSION,
};

/* init runs at registration, in process context: it may sleep. */
SEC("?struct_ops.s/init")
int BPF_PROG(sleepy_init)
{
	return 0;
}

SEC("?.struct_ops.link")
struct ioasid_policy_ops t_sleepok = {
	.init = (void *)sleepy_init,
	.name = "t_sleepok",
	.abi_version = IOASID_POLICY_ABI_VERSION,
};
