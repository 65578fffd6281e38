// SPDX-License-Identifier: GPL-2.0
/*
 * A foreign struct_ops (TCP congestion control) trying to call an ioasid
 * kfunc: the kfunc filter must keep it out.
 */
#include "ioasid_policy.h"

char LICENSE[] SEC("license") = "GPL";

struct sock;

/* Only the members used; libbpf matches the kernel type by member name. */
struct tcp_congestion_ops {
	__u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, __u32 ack, __u32 acked);
	__u32 (*undo_cwnd)(struct sock *sk);
	char name[16];
};

SEC("struct_ops/ssthresh")
__u32 BPF_PROG(foreign_ssthresh, struct sock *sk)
{
	bpf_ioasid_set_snoop((const struct ioasid_policy_req *)sk, 1);
	return 2;
}

SEC("struct_ops/cong_avoid")
void BPF_PROG(foreign_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC("struct_ops/undo_cwnd")
__u32 BPF_PROG(foreign_undo_cwnd, struct sock *sk)
{
	return 2;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops t_foreign = {
	.ssthresh = (void *)foreign_ssthresh,
	.cong_avoid = (void *)foreign_cong_avoid,
	.undo_cwnd = (void *)foreign_undo_cwnd,
	.name = "t_foreign",
};
