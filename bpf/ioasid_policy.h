/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What an ioasid policy author includes.
 *
 *   #include "ioasid_policy.h"
 *
 *   SEC("struct_ops/attach")
 *   int BPF_PROG(my_attach, const struct ioasid_policy_req *req)
 *   {
 *           if (req->vendor == 0x1234)
 *                   return -EPERM;
 *           return IOASID_VERDICT_DEFER;
 *   }
 *
 *   SEC(".struct_ops.link")
 *   struct ioasid_policy_ops my_policy = {
 *           .attach = (void *)my_attach,
 *           .name = "my_policy",
 *           .priority = 100,
 *           .abi_version = IOASID_POLICY_ABI_VERSION,
 *   };
 *
 * Note that BPF_PROG() names its raw argument "ctx": call the request
 * something else. The request is read-only; decisions are returned (DEFER,
 * ALLOW, or a negative errno) and refined with the kfuncs below.
 *
 * The types come from the one shared definition, linux/ioasid_policy.h.
 */
#ifndef __IOASID_POLICY_BPF_H
#define __IOASID_POLICY_BPF_H

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <linux/ioasid_policy.h>

/*
 * pahole 1.24 emits no kfunc declarations into module BTF, so they are
 * declared here. Keep in sync with kernel/policy.c (the selftests load a
 * policy calling every one of them).
 */
extern int bpf_ioasid_set_snoop(const struct ioasid_policy_req *req,
				__u32 mode) __ksym;
extern int bpf_ioasid_grant_flush(const struct ioasid_policy_req *req,
				  __u32 rate, __u32 burst) __ksym;
extern int bpf_ioasid_set_pasid_range(const struct ioasid_policy_req *req,
				      __u32 min, __u32 max) __ksym;
/* The reason must be a constant string, e.g. a literal. */
extern int bpf_ioasid_set_reason(const struct ioasid_policy_req *req,
				 const char *reason__str) __ksym;

/* Give a reason: ioasid_reason(req, "text"). */
#define ioasid_reason(req, str) bpf_ioasid_set_reason(req, str)

#endif /* __IOASID_POLICY_BPF_H */
