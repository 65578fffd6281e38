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
 * The types come from the one shared definition, linux/ioasid_policy.h;
 * the rules of the default policies are in ioasid_rules.h.
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
 * declared here, from the kernel's one list of their prototypes
 * (kernel/include/linux/ioasid_kfuncs.h: build with -I kernel/include).
 * The selftests load a policy calling every one of them.
 */
#define __ioasid_kfunc extern __ksym
#include <linux/ioasid_kfuncs.h>

/* Give a reason: ioasid_reason(req, "text"). */
#define ioasid_reason(req, str) bpf_ioasid_set_reason(req, str)

#endif /* __IOASID_POLICY_BPF_H */
