/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bookkeeping test policies (progs/policy_count.bpf.c) and the mock
 * devices of the test module, for the policy tests of issue 15.
 */
#ifndef IOASID_POLICY_COUNT_H
#define IOASID_POLICY_COUNT_H

/* After ../lib/ioasid_util.h with IOASID_WANT_FIXTURE_POLICY defined. */
#include "policy_count.skel.h"

/* Load policy_count with only the struct_ops map @name. */
static inline struct policy_count *load_count(const char *name)
{
	struct policy_count *skel = policy_count__open();

	if (!skel)
		return NULL;
	want_struct_ops(skel->obj, struct_ops_named, name);
	if (policy_count__load(skel)) {
		policy_count__destroy(skel);
		return NULL;
	}
	return skel;
}

/* Load and register @name; its link in *@link. */
static inline struct policy_count *count_up(const char *name,
					    struct bpf_link **link)
{
	struct policy_count *skel = load_count(name);

	if (!skel)
		return NULL;
	*link = bpf_map__attach_struct_ops(
			bpf_object__find_map_by_name(skel->obj, name));
	if (!*link) {
		policy_count__destroy(skel);
		return NULL;
	}
	return skel;
}

static inline void count_down(struct policy_count *skel, struct bpf_link *link)
{
	bpf_link__destroy(link);
	policy_count__destroy(skel);
}

#endif /* IOASID_POLICY_COUNT_H */
