// SPDX-License-Identifier: GPL-2.0
/*
 * nosnoop_rules: operator-tunable coherency policy.
 *
 * Rules (struct ioasid_rule, ioasid_rules.h: the maps, keys and layout
 * shared with libioasidbpf) live in maps pinned by name, so they change
 * without reloading and survive upgrades:
 *
 *   nsr_by_bdf     the device's PCI bdf (segment << 16 | bus << 8 | devfn)
 *   nsr_by_subsys  IOASID_RULE_SUBSYS_KEY(subvendor, subdevice) -> rule
 *   nsr_by_id      IOASID_RULE_ID_KEY(vendor, device) -> rule
 *   nsr_by_driver  driver name (NUL padded, IOASID_DRIVER_KEY_LEN) -> rule
 *   nsr_by_uid     uid of the requesting task -> rule
 *   nsr_by_cgroup  cgroup v2 id of the requesting task -> rule
 *   nsr_default    index 0 -> the rule when none matches (zero: DEFER)
 *
 * The first match in that order decides (the most specific key first).
 * Revalidations (IOASID_REQ_REVALIDATE) are answered as attaches: the
 * policy keeps no books, so the answer is what an attach would get now,
 * with the uid and cgroup of the task that attached.
 *
 * An ALLOW rule sets the snoop mode (the built-in rule when DEFAULT),
 * grants the cache flush with its rate when IOASID_RULE_F_FLUSH, and the
 * PASID range when IOASID_RULE_F_PASID.
 */
#include "ioasid_policy.h"
#include "ioasid_rules.h"

char LICENSE[] SEC("license") = "GPL";

/* A rule map: @key_type -> struct ioasid_rule, pinned by its name. */
#define RULE_MAP(name, key_type, entries)				\
	struct {							\
		__uint(type, BPF_MAP_TYPE_HASH);			\
		__uint(max_entries, entries);				\
		__type(key, key_type);					\
		__type(value, struct ioasid_rule);			\
		__uint(pinning, LIBBPF_PIN_BY_NAME);			\
	} name SEC(".maps")

RULE_MAP(IOASID_NSR_BY_BDF, __u32, 4096);
RULE_MAP(IOASID_NSR_BY_SUBSYS, __u32, 4096);
RULE_MAP(IOASID_NSR_BY_ID, __u32, 4096);
RULE_MAP(IOASID_NSR_BY_DRIVER, char[IOASID_DRIVER_KEY_LEN], 1024);
RULE_MAP(IOASID_NSR_BY_UID, __u32, 4096);
RULE_MAP(IOASID_NSR_BY_CGROUP, __u64, 4096);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ioasid_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} IOASID_NSR_DEFAULT SEC(".maps");

static const struct ioasid_rule *find_rule(const struct ioasid_policy_req *req)
{
	char driver[IOASID_DRIVER_KEY_LEN] = {};
	const struct ioasid_rule *r;
	__u32 id = IOASID_RULE_ID_KEY(req->vendor, req->device), zero = 0;
	__u32 subsys = IOASID_RULE_SUBSYS_KEY(req->subvendor, req->subdevice);
	__u32 bdf = req->bdf, uid = req->uid;
	__u64 cg = req->cgroup_id;

	/* Software devices have no bdf nor subsystem of their own. */
	if (!(req->flags & IOASID_REQ_SW_DEVICE)) {
		r = bpf_map_lookup_elem(&IOASID_NSR_BY_BDF, &bdf);
		if (r)
			return r;
		r = bpf_map_lookup_elem(&IOASID_NSR_BY_SUBSYS, &subsys);
		if (r)
			return r;
	}
	r = bpf_map_lookup_elem(&IOASID_NSR_BY_ID, &id);
	if (r)
		return r;
	bpf_probe_read_kernel_str(driver, sizeof(driver), req->driver);
	r = bpf_map_lookup_elem(&IOASID_NSR_BY_DRIVER, driver);
	if (r)
		return r;
	r = bpf_map_lookup_elem(&IOASID_NSR_BY_UID, &uid);
	if (r)
		return r;
	r = bpf_map_lookup_elem(&IOASID_NSR_BY_CGROUP, &cg);
	if (r)
		return r;
	return bpf_map_lookup_elem(&IOASID_NSR_DEFAULT, &zero);
}

static int apply(const struct ioasid_policy_req *req, int pasid)
{
	const struct ioasid_rule *r = find_rule(req);

	if (!r || r->action == IOASID_RULE_DEFER)
		return IOASID_VERDICT_DEFER;
	if (r->action == IOASID_RULE_DENY) {
		ioasid_reason(req, "nosnoop_rules: denied by rule");
		if (r->deny_errno > 0 && r->deny_errno <= IOASID_MAX_ERRNO)
			return -(int)r->deny_errno;
		return -EPERM;
	}
	if (r->action != IOASID_RULE_ALLOW)
		return IOASID_VERDICT_DEFER;
	if (r->snoop)
		bpf_ioasid_set_snoop(req, r->snoop);
	if (r->flags & IOASID_RULE_F_FLUSH)
		bpf_ioasid_grant_flush(req, r->flush_rate, r->flush_burst);
	if (pasid && r->flags & IOASID_RULE_F_PASID)
		bpf_ioasid_set_pasid_range(req, r->pasid_min, r->pasid_max);
	ioasid_reason(req, "nosnoop_rules: allowed by rule");
	return IOASID_VERDICT_ALLOW;
}

SEC("struct_ops/attach")
int BPF_PROG(nsr_attach, const struct ioasid_policy_req *req)
{
	return apply(req, 0);
}

SEC("struct_ops/attach_pasid")
int BPF_PROG(nsr_attach_pasid, const struct ioasid_policy_req *req)
{
	return apply(req, 1);
}

SEC(".struct_ops.link")
struct ioasid_policy_ops nosnoop_rules = {
	.attach = (void *)nsr_attach,
	.attach_pasid = (void *)nsr_attach_pasid,
	.name = "nosnoop_rules",
	.priority = 200,
	.abi_version = IOASID_POLICY_ABI_VERSION,
};
