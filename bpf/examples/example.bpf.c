// SPDX-License-Identifier: GPL-2.0
/*
 * example: a custom ioasid policy, commented for policy authors.
 *
 * Build (as `make` does):
 *   clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I<libbpf include> \
 *         -Ikernel/include/uapi -Ibpf -c example.bpf.c -o example.bpf.o
 * Register (the link is pinned, so the policy stays after bpftool exits):
 *   bpftool struct_ops register example.bpf.o /sys/fs/bpf/ioasid
 * See it and unregister it:
 *   bpftool struct_ops show; cat /sys/kernel/ioasid/policy/stack
 *   bpftool link detach id $(cat /sys/kernel/ioasid/policy/example/link_id)
 *
 * What it decides: virtio devices (vendor 0x1af4) may not be given to user
 * space through ioasid; devices without snoop control get no-snoop and a
 * cache flush limited to 10 per second; everything else is left to the
 * policies below it and the built-in.
 */
#include "ioasid_policy.h"

/* struct_ops programs must be GPL compatible. */
char LICENSE[] SEC("license") = "GPL";

/*
 * One program per callback. BPF_PROG() calls its raw argument "ctx", so
 * the request gets another name. The request is read-only: the verifier
 * refuses writes to it.
 */
SEC("struct_ops/attach")
int BPF_PROG(example_attach, const struct ioasid_policy_req *req)
{
	if (req->vendor == 0x1af4) {
		/* The reason shows in GET_INFO, dry runs and the tracepoint. */
		ioasid_reason(req, "example: virtio devices stay in the kernel");
		return -EPERM;		/* deny: this errno reaches user space */
	}
	if (!(req->iommu_caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY)) {
		/* Decisions beyond the verdict go through kfuncs. */
		bpf_ioasid_set_snoop(req, IOASID_SNOOP_ALLOW_NOSNOOP);
		bpf_ioasid_grant_flush(req, 10, 1);
		ioasid_reason(req, "example: no-snoop, flush at 10/s");
		return IOASID_VERDICT_ALLOW;
	}
	return IOASID_VERDICT_DEFER;	/* no opinion: ask the next policy */
}

/*
 * The policy itself. Data fields are checked by the kernel at registration:
 * a unique name, a priority (lower is asked first), flags (e.g.
 * IOASID_POLICY_F_SHADOW to only observe) and the ABI version built for.
 */
SEC(".struct_ops.link")
struct ioasid_policy_ops example = {
	.attach = (void *)example_attach,
	.name = "example",
	.priority = 50,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};
