// SPDX-License-Identifier: GPL-2.0
/*
 * bench_flush: flush_bench's policy. Every attach is allowed no-snoop DMA
 * with an unlimited cache-flush grant (rate 0), so IOASID_CACHE_FLUSH is
 * measured without the bucket ever refusing; the cost of a policy being
 * asked at each flush is part of what is measured.
 */
#include "ioasid_policy.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/attach")
int BPF_PROG(bench_flush_attach, const struct ioasid_policy_req *req)
{
	bpf_ioasid_set_snoop(req, IOASID_SNOOP_ALLOW_NOSNOOP);
	bpf_ioasid_grant_flush(req, 0, 1);
	return IOASID_VERDICT_ALLOW;
}

SEC(".struct_ops.link")
struct ioasid_policy_ops bench_flush = {
	.attach = (void *)bench_flush_attach,
	.name = "bench_flush",
	.priority = 10,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};
