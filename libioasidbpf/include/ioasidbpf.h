/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libioasidbpf: load, replace, tune and observe ioasid policies.
 *
 * A policy is a BPF struct_ops map of type ioasid_policy_ops (see
 * <linux/ioasid_policy.h>, the one definition shared with the kernel and
 * the BPF side). The library registers it through a bpf_link pinned under
 * a bpffs root (IOASIDBPF_PIN_ROOT unless told otherwise) so that it
 * outlives the loading process, and reads every status from the kernel
 * (/sys/kernel/ioasid/policy and the BPF object ids), never from its own
 * memory: any process sees the same state.
 *
 * Errors: every function returning int returns 0 (or a count) on success
 * and a negative errno on failure; ioasidbpf_errmsg() then holds a one-line
 * message for this thread, fit to print as is.
 *
 * Thread safety: handles are not shared between threads; the rest is.
 */
#ifndef IOASIDBPF_H
#define IOASIDBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/ioasid.h>
#include <linux/ioasid_policy.h>
#include "ioasid_rules.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The default bpffs directory for links and rule maps. */
#define IOASIDBPF_PIN_ROOT "/sys/fs/bpf/ioasid"

/**
 * ioasidbpf_errmsg() - the message of this thread's last failure
 *
 * Return: a string owned by the library, valid until the next call that
 * fails in this thread; "" if nothing failed yet.
 */
const char *ioasidbpf_errmsg(void);

/**
 * ioasidbpf_preflight() - check that policies can be loaded here
 * @pin_root: bpffs directory to use (NULL: IOASIDBPF_PIN_ROOT)
 *
 * Checks, in order: the ioasid module is loaded (-ENOENT), its BTF is
 * present (-ENOENT), its policy ABI version matches the one this library
 * was built for (-EPROTO), libbpf is at least 1.5 (-ENOTSUP), the caller
 * may load BPF programs (-EPERM), and @pin_root's parent is on a bpffs
 * (-ENODEV; see ioasidbpf_mount_bpffs()).
 *
 * Return: 0 or the first failing check's errno.
 */
int ioasidbpf_preflight(const char *pin_root);

/**
 * ioasidbpf_mount_bpffs() - mount bpffs on /sys/fs/bpf if it is not
 *
 * Return: 0 (mounted now or already), or a negative errno.
 */
int ioasidbpf_mount_bpffs(void);

/**
 * ioasidbpf_builtin_count() - number of default policies embedded
 *
 * Return: how many; names are ioasidbpf_builtin_name(0 .. count - 1).
 */
size_t ioasidbpf_builtin_count(void);

/**
 * ioasidbpf_builtin_name() - name of an embedded default policy
 * @i: index below ioasidbpf_builtin_count()
 *
 * Return: the name ("vfio_compat", "strict", "nosnoop_rules"), or NULL.
 */
const char *ioasidbpf_builtin_name(size_t i);

/**
 * ioasidbpf_builtin_summary() - one line describing an embedded policy
 * @i: index below ioasidbpf_builtin_count()
 *
 * Return: the description, or NULL.
 */
const char *ioasidbpf_builtin_summary(size_t i);

/**
 * struct ioasidbpf_open_opts - how to open a policy
 * @sz: sizeof(struct ioasidbpf_open_opts), for compatibility
 * @pin_root: bpffs directory for the link and the rule maps (NULL:
 *	IOASIDBPF_PIN_ROOT)
 * @map_name: the struct_ops map to use when the object holds several
 *	(NULL: the object must hold exactly one)
 * @log_buf: receives the verifier log if loading fails (may be NULL)
 * @log_size: size of @log_buf
 */
struct ioasidbpf_open_opts {
	size_t sz;
	const char *pin_root;
	const char *map_name;
	char *log_buf;
	size_t log_size;
};

struct ioasidbpf_policy;

/**
 * ioasidbpf_policy_open() - open a policy, embedded or from a file
 * @name_or_path: an embedded policy's name, or the path of a .bpf.o
 * @opts: options (may be NULL)
 * @out: the handle, to free with ioasidbpf_policy_close()
 *
 * Return: 0, -ENOENT (no such embedded policy or file), -EINVAL (no or
 * several struct_ops maps of type ioasid_policy_ops), or another errno.
 */
int ioasidbpf_policy_open(const char *name_or_path,
			  const struct ioasidbpf_open_opts *opts,
			  struct ioasidbpf_policy **out);

/**
 * ioasidbpf_policy_name() - the policy's name (its "name" data field)
 * @p: an open policy
 *
 * Return: the name, owned by @p.
 */
const char *ioasidbpf_policy_name(const struct ioasidbpf_policy *p);

/**
 * ioasidbpf_policy_priority() - the priority it will register with
 * @p: an open policy
 *
 * Return: the priority (lower is asked first).
 */
__u32 ioasidbpf_policy_priority(const struct ioasidbpf_policy *p);

/**
 * ioasidbpf_policy_set_priority() - set the priority before loading
 * @p: an open, not yet loaded policy
 * @priority: lower is asked first
 *
 * Return: 0, or -EBUSY once loaded.
 */
int ioasidbpf_policy_set_priority(struct ioasidbpf_policy *p, __u32 priority);

/**
 * ioasidbpf_policy_set_flags() - set the flags before loading
 * @p: an open, not yet loaded policy
 * @flags: IOASID_POLICY_F_* (IOASID_POLICY_F_SHADOW: asked and recorded,
 *	never deciding)
 *
 * Return: 0, -EINVAL (unknown flag), or -EBUSY once loaded.
 */
int ioasidbpf_policy_set_flags(struct ioasidbpf_policy *p, __u32 flags);

/**
 * ioasidbpf_policy_load() - load the programs and create the maps
 * @p: an open policy
 *
 * Rule maps pinned by name under the pin root are reused, so rules survive
 * a policy upgrade.
 *
 * Return: 0, or a negative errno; the verifier log, if any, is in the
 * open options' @log_buf.
 */
int ioasidbpf_policy_load(struct ioasidbpf_policy *p);

/**
 * ioasidbpf_policy_attach() - register a loaded policy and pin its link
 * @p: a loaded policy
 *
 * The link is pinned at <pin root>/links/<name>: the policy stays
 * registered after @p is closed and the process exits.
 *
 * Return: 0, -EEXIST (a policy of that name is registered), or the
 * kernel's errno (e.g. -EINVAL for a bad data field, see dmesg).
 */
int ioasidbpf_policy_attach(struct ioasidbpf_policy *p);

/**
 * ioasidbpf_policy_replace() - swap a registered policy for @p, no gap
 * @p: a loaded, not attached policy
 * @running: the name of the registered policy to replace
 *
 * The registered policy's link is updated in place (bpf_link_update with
 * BPF_F_REPLACE against the map it runs now, so a concurrent replace makes
 * one of the two fail with -EPERM rather than both win): every decision is
 * made by the old or the new policy, never by nothing. @p takes the old
 * one's priority unless one was set with ioasidbpf_policy_set_priority().
 * The pin moves to the new name.
 *
 * Return: 0, -ENOENT (@running is not registered), -EPERM (it changed
 * meanwhile), -EEXIST (@p's name belongs to another registered policy).
 */
int ioasidbpf_policy_replace(struct ioasidbpf_policy *p, const char *running);

/**
 * ioasidbpf_policy_close() - free the handle
 * @p: the handle (NULL is fine)
 *
 * A policy attached or replaced through @p stays registered.
 */
void ioasidbpf_policy_close(struct ioasidbpf_policy *p);

/**
 * ioasidbpf_unload() - unregister a policy by name
 * @name: the registered policy
 * @pin_root: where its link may be pinned (NULL: IOASIDBPF_PIN_ROOT)
 *
 * Works for any registered policy, pinned by this library or not (e.g.
 * registered with bpftool): the link is found by its id and detached.
 *
 * Return: 0, -ENOENT (no such policy), or another errno.
 */
int ioasidbpf_unload(const char *name, const char *pin_root);

/**
 * struct ioasidbpf_status - one registered policy, as the kernel sees it
 * @name: policy name
 * @priority: its place in the stack (lower first)
 * @shadow: asked and recorded, never deciding
 * @errored: returned garbage once, skipped since
 * @link_id: bpf_link id (also the policy id in decisions)
 * @map_id: id of the struct_ops map the link runs
 * @allow: ALLOW verdicts so far
 * @deny: deny verdicts so far
 * @defer: DEFER verdicts so far
 * @error: invalid verdicts so far
 * @last_error: why it errored ("" otherwise)
 * @pin_path: where its link is pinned under the pin root ("" if not)
 */
struct ioasidbpf_status {
	char name[IOASID_POLICY_NAME_LEN];
	__u32 priority;
	bool shadow;
	bool errored;
	__u32 link_id;
	__u32 map_id;
	__u64 allow;
	__u64 deny;
	__u64 defer;
	__u64 error;
	char last_error[128];
	char pin_path[256];
};

/**
 * ioasidbpf_status() - the registered policies, in the order asked
 * @pin_root: where links may be pinned (NULL: IOASIDBPF_PIN_ROOT)
 * @out: array to free with free()
 *
 * Return: the number of entries (0: only the built-in decides), or a
 * negative errno (-ENOENT: the module is not loaded).
 */
int ioasidbpf_status(const char *pin_root, struct ioasidbpf_status **out);

/**
 * ioasidbpf_bypass() - read or set the kill switch
 * @set: -1 to only read, 0 or 1 to set (1: only the built-in decides)
 *
 * Return: the state (0 or 1), or a negative errno (-EACCES to set
 * without privilege).
 */
int ioasidbpf_bypass(int set);

/**
 * ioasidbpf_dry_run() - ask the registered policies without attaching
 * @dr: @dr->req describes the device (or set IOASID_DRY_RUN_DEVICE_BDF and
 *	@dr->req.bdf for a real PCI device); @dr->size is filled in
 *
 * The kernel runs the same evaluation as a real attach and returns every
 * asked policy's verdict and the final decision, with reasons.
 *
 * Return: 0, -EPERM (needs CAP_SYS_ADMIN), -ENODEV (no such device), or
 * another errno.
 */
int ioasidbpf_dry_run(struct ioasid_policy_dry_run *dr);

/**
 * ioasidbpf_revalidate() - re-decide every attachment in force (since 0.3)
 * @out: if not NULL, what the kernel did (counts of re-decided, changed,
 *	needing a re-attach and revoked attachments)
 *
 * The kernel does not see writes to a policy's rule maps:
 * ioasidbpf_rule_add() and ioasidbpf_rule_del() change what later attaches
 * get, this makes the attachments already made follow (IOASID_POLICY_REVALIDATE).
 *
 * Return: 0, -EPERM (needs CAP_SYS_ADMIN), -ENOTTY (a module without it),
 * or another errno.
 */
int ioasidbpf_revalidate(struct ioasid_policy_revalidate *out);

/**
 * ioasidbpf_parse_pci_id() - parse "VVVV:DDDD" (hex)
 * @s: the text
 * @vendor: out
 * @device: out
 *
 * Return: 0 or -EINVAL.
 */
int ioasidbpf_parse_pci_id(const char *s, __u16 *vendor, __u16 *device);

/**
 * ioasidbpf_parse_bdf() - parse "[DDDD:]BB:DD.F" into the kernel's encoding
 * @s: the text
 * @bdf: out: domain << 16 | bus << 8 | device << 3 | function
 *
 * Return: 0 or -EINVAL.
 */
int ioasidbpf_parse_bdf(const char *s, __u32 *bdf);

/**
 * ioasidbpf_cgroup_id() - the cgroup v2 id of a cgroup directory
 * @path: e.g. /sys/fs/cgroup/machine.slice
 * @id: out
 *
 * Return: 0, -ENOENT, or -EINVAL (not on cgroup v2).
 */
int ioasidbpf_cgroup_id(const char *path, __u64 *id);

/**
 * enum ioasidbpf_rule_kind - which rule map a key belongs to
 * @IOASIDBPF_RULE_ID: nosnoop_rules, by PCI vendor:device
 * @IOASIDBPF_RULE_DRIVER: nosnoop_rules, by bound driver name
 * @IOASIDBPF_RULE_CGROUP: nosnoop_rules, by the requester's cgroup id
 * @IOASIDBPF_RULE_DEFAULT: nosnoop_rules, when nothing else matches
 * @IOASIDBPF_RULE_STRICT_DEVICE: strict, vendor:device allowed although
 *	the IOMMU cannot make it coherent (no rule body)
 * @IOASIDBPF_RULE_STRICT_PASID_DRIVER: strict, driver allowed PASIDs (no
 *	rule body)
 * @IOASIDBPF_RULE_BDF: nosnoop_rules, by PCI address (@bdf)
 * @IOASIDBPF_RULE_SUBSYS: nosnoop_rules, by PCI subsystem vendor:device
 *	(in @vendor and @device)
 * @IOASIDBPF_RULE_UID: nosnoop_rules, by the requester's uid (@uid)
 *
 * nosnoop_rules asks its maps in the order BDF, SUBSYS, ID, DRIVER, UID,
 * CGROUP, DEFAULT: the first match decides (ioasid_rules.h).
 */
enum ioasidbpf_rule_kind {
	IOASIDBPF_RULE_ID,
	IOASIDBPF_RULE_DRIVER,
	IOASIDBPF_RULE_CGROUP,
	IOASIDBPF_RULE_DEFAULT,
	IOASIDBPF_RULE_STRICT_DEVICE,
	IOASIDBPF_RULE_STRICT_PASID_DRIVER,
	IOASIDBPF_RULE_BDF,
	IOASIDBPF_RULE_SUBSYS,
	IOASIDBPF_RULE_UID,
};

/**
 * struct ioasidbpf_rule_key - what a rule matches
 * @kind: enum ioasidbpf_rule_kind
 * @vendor: for ID and STRICT_DEVICE; the subsystem vendor for SUBSYS
 * @device: for ID and STRICT_DEVICE; the subsystem device for SUBSYS
 * @driver: for DRIVER and STRICT_PASID_DRIVER
 * @cgroup_id: for CGROUP
 * @bdf: for BDF, as ioasidbpf_parse_bdf() encodes it (since 0.3)
 * @uid: for UID (since 0.3)
 *
 * Fields are only appended: the library reads @bdf and @uid only for the
 * kinds added with them, which an older caller cannot pass.
 */
struct ioasidbpf_rule_key {
	enum ioasidbpf_rule_kind kind;
	__u16 vendor;
	__u16 device;
	char driver[IOASID_NAME_LEN];
	__u64 cgroup_id;
	__u32 bdf;
	__u32 uid;
};

/**
 * ioasidbpf_rule_validate() - check a rule body before storing it
 * @rule: the rule
 *
 * Return: 0, or -EINVAL with the reason in ioasidbpf_errmsg() (unknown
 * action, snoop mode or flag; PASID range empty, 0 or beyond 2^20 - 1;
 * flush fields without IOASID_RULE_F_FLUSH; deny errno out of range).
 */
int ioasidbpf_rule_validate(const struct ioasid_rule *rule);

/**
 * ioasidbpf_rule_add() - add or change a rule in the pinned rule maps
 * @pin_root: where the policy's rule maps are pinned (NULL: default)
 * @key: what it matches
 * @rule: what it does (NULL for the STRICT_ kinds)
 *
 * Takes effect at the next decision; no reload.
 *
 * Return: 0, -EINVAL (bad key or rule), -ENOENT (the policy owning that
 * map is not loaded under @pin_root), -E2BIG (map full), or another errno.
 */
int ioasidbpf_rule_add(const char *pin_root,
		       const struct ioasidbpf_rule_key *key,
		       const struct ioasid_rule *rule);

/**
 * ioasidbpf_rule_del() - remove a rule
 * @pin_root: as for ioasidbpf_rule_add()
 * @key: the rule's key
 *
 * Return: 0, -ENOENT (no such rule or map), or another errno.
 */
int ioasidbpf_rule_del(const char *pin_root,
		       const struct ioasidbpf_rule_key *key);

/**
 * typedef ioasidbpf_rule_fn - called for each rule by ioasidbpf_rule_foreach()
 * @key: the rule's key
 * @rule: the rule (NULL for the STRICT_ kinds)
 * @ctx: the caller's pointer
 *
 * Return: 0 to go on, anything else to stop and return it.
 */
typedef int (*ioasidbpf_rule_fn)(const struct ioasidbpf_rule_key *key,
				 const struct ioasid_rule *rule, void *ctx);

/**
 * ioasidbpf_rule_foreach() - visit every rule of every loaded rule map
 * @pin_root: as for ioasidbpf_rule_add()
 * @fn: called per rule: nosnoop_rules' kinds in the order it asks them,
 *	then strict's; by key within a kind
 * @ctx: passed to @fn
 *
 * Maps of policies that are not loaded are skipped.
 *
 * Return: 0, what @fn returned to stop, or a negative errno.
 */
int ioasidbpf_rule_foreach(const char *pin_root, ioasidbpf_rule_fn fn,
			   void *ctx);

/**
 * struct ioasidbpf_decisions_opts - how to open the decision stream
 * @sz: sizeof(struct ioasidbpf_decisions_opts), for compatibility
 * @no_history: start at the next decision; by default the decisions the
 *	kernel keeps (ioasid.ko's decision_log_size) come first
 */
struct ioasidbpf_decisions_opts {
	size_t sz;
	bool no_history;
};

struct ioasidbpf_decisions;

/**
 * ioasidbpf_decisions_open() - open the kernel's stream of policy decisions
 * @opts: options (may be NULL)
 * @out: the stream, to close with ioasidbpf_decisions_close()
 *
 * Every decision of the system (attach, PASID attach, cache flush, detach,
 * dry runs), as versioned binary records (struct ioasid_decision_record in
 * linux/ioasid.h) from IOASID_DECISIONS_OPEN.
 *
 * Return: 0, -EPERM (needs CAP_PERFMON or CAP_SYS_ADMIN), -ENOENT (module
 * not loaded), -ENOTTY (module without a decision log), or another errno.
 */
int ioasidbpf_decisions_open(const struct ioasidbpf_decisions_opts *opts,
			     struct ioasidbpf_decisions **out);

/**
 * ioasidbpf_decisions_fd() - the stream's file descriptor, for poll()
 * @d: the stream
 *
 * It polls readable while ioasidbpf_decisions_read() has a record.
 *
 * Return: the fd (owned by @d).
 */
int ioasidbpf_decisions_fd(const struct ioasidbpf_decisions *d);

/**
 * ioasidbpf_decisions_read() - the next decision
 * @d: the stream
 * @rec: filled with the record; fields a newer kernel added beyond this
 *	header's struct are dropped, fields an older kernel did not have are
 *	zero (@rec->hdr.size says what the kernel wrote)
 * @timeout_ms: how long to wait for one: 0 not at all, -1 for ever
 *
 * Records come oldest first. @rec->hdr.lost counts the decisions the kernel
 * overwrote before this stream read them.
 *
 * Return: 1 with a record in @rec, 0 when none came in time, or a
 * negative errno (-EINTR when a signal interrupted the wait).
 */
int ioasidbpf_decisions_read(struct ioasidbpf_decisions *d,
			     struct ioasid_decision_record *rec, int timeout_ms);

/**
 * ioasidbpf_decisions_log_size() - how many decisions the kernel keeps
 * @d: the stream
 *
 * Return: the module's decision_log_size.
 */
__u32 ioasidbpf_decisions_log_size(const struct ioasidbpf_decisions *d);

/**
 * ioasidbpf_decisions_close() - close a stream
 * @d: the stream (NULL is fine)
 */
void ioasidbpf_decisions_close(struct ioasidbpf_decisions *d);

#ifdef __cplusplus
}
#endif

#endif /* IOASIDBPF_H */
