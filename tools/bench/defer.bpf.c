// SPDX-License-Identifier: GPL-2.0
/*
 * bench_defer: a policy with no opinion, for attach_bench's stack-depth
 * rows. attach_bench loads it N times, each copy renamed (bdefer_<i>)
 * before load; every attach asks all N, each defers, the built-in decides.
 */
#include "ioasid_policy.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/attach")
int BPF_PROG(bench_defer_attach, const struct ioasid_policy_req *req)
{
	return IOASID_VERDICT_DEFER;
}

SEC(".struct_ops.link")
struct ioasid_policy_ops bench_defer = {
	.attach = (void *)bench_defer_attach,
	.name = "bench_defer",
	.priority = 10,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};
