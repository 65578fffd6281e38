/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shorthands for the test policies in this folder. Every map is optional
 * ("?.struct_ops.link"): a test turns on exactly the ones it needs with
 * bpf_map__set_autocreate().
 */
#ifndef IOASID_TEST_POLICY_H
#define IOASID_TEST_POLICY_H

#include "ioasid_policy.h"

/*
 * POLICY_OP(op, fn) { ... }: program @fn for the ioasid_policy_ops member
 * @op, taking the request as req (for the int-returning members).
 */
#define POLICY_OP(op, fn)						\
	SEC("struct_ops/" #op)						\
	int BPF_PROG(fn, const struct ioasid_policy_req *req)

/* Allow without snooping, granting cache flushes at @rate/s, @burst at once. */
static __always_inline int
allow_nosnoop_flush(const struct ioasid_policy_req *req, __u32 rate,
		    __u32 burst)
{
	bpf_ioasid_set_snoop(req, IOASID_SNOOP_ALLOW_NOSNOOP);
	bpf_ioasid_grant_flush(req, rate, burst);
	return IOASID_VERDICT_ALLOW;
}

/*
 * TEST_POLICY_NAMED(var, name, prio, members...): an optional struct_ops
 * map @var registering policy @name at priority @prio with the given
 * members (".attach = (void *)fn", ".flags = ...") and the current ABI.
 */
#define TEST_POLICY_NAMED(var, policy_name, prio, ...)			\
	SEC("?.struct_ops.link")					\
	struct ioasid_policy_ops var = {				\
		__VA_ARGS__,						\
		.name = policy_name,					\
		.priority = prio,					\
		.abi_version = IOASID_POLICY_ABI_VERSION,		\
	}

/* TEST_POLICY(var, prio, members...): the policy's name is @var's. */
#define TEST_POLICY(var, prio, ...)					\
	TEST_POLICY_NAMED(var, #var, prio, __VA_ARGS__)

#endif
