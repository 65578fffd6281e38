/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The kfuncs an ioasid policy calls to refine its decision: the one list
 * of their prototypes. kernel/policy.c defines them (and documents each);
 * the KUnit suites call them as a C policy would; BPF policies get them
 * through bpf/ioasid_policy.h, which defines __ioasid_kfunc to declare
 * each as an extern __ksym before it includes this file.
 *
 * Every kfunc takes the request its callback was given as the first
 * argument and returns 0 or a negative errno.
 */
#ifndef __LINUX_IOASID_KFUNCS_H
#define __LINUX_IOASID_KFUNCS_H

#include <linux/types.h>

struct ioasid_policy_req;

/* What each prototype starts with: nothing in the kernel. */
#ifndef __ioasid_kfunc
#define __ioasid_kfunc
#endif

__ioasid_kfunc int bpf_ioasid_set_snoop(const struct ioasid_policy_req *req,
					__u32 mode);
__ioasid_kfunc int bpf_ioasid_grant_flush(const struct ioasid_policy_req *req,
					  __u32 rate, __u32 burst);
__ioasid_kfunc int
bpf_ioasid_set_pasid_range(const struct ioasid_policy_req *req, __u32 min,
			   __u32 max);
/* The reason must be a constant string, e.g. a literal. */
__ioasid_kfunc int bpf_ioasid_set_reason(const struct ioasid_policy_req *req,
					 const char *reason__str);

#endif /* __LINUX_IOASID_KFUNCS_H */
