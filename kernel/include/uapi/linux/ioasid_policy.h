/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ioasid policy contract: the one definition of the request a policy sees,
 * the decision it produces and the struct_ops type policies implement.
 * Included by the kernel module, by BPF policies (through
 * bpf/ioasid_policy.h) and by libioasidbpf. The rules the default policies
 * keep in their maps are no concern of the kernel: bpf/ioasid_rules.h.
 *
 * A request carries scalars only: no kernel pointer ever reaches a policy,
 * so the layout is an ABI of its own, versioned by IOASID_POLICY_ABI_VERSION.
 * Fields are only ever appended.
 */
#ifndef _UAPI_LINUX_IOASID_POLICY_H
#define _UAPI_LINUX_IOASID_POLICY_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/ioasid.h>

/*
 * IOASID_POLICY_ABI_VERSION - version a policy declares in abi_version.
 * Version 2 added IOASID_REQ_REVALIDATE: attachments already made are
 * re-decided by their attach/attach_pasid callbacks. The module accepts
 * policies of IOASID_POLICY_ABI_VERSION_MIN .. IOASID_POLICY_ABI_VERSION;
 * a version-1 policy sees a revalidation as a dry run
 * (IOASID_REQ_DRY_RUN set as well), the one request it knew to have no
 * effect on its books.
 */
#define IOASID_POLICY_ABI_VERSION 2
/* IOASID_POLICY_ABI_VERSION_MIN - the oldest abi_version still accepted */
#define IOASID_POLICY_ABI_VERSION_MIN 1

#define IOASID_NAME_LEN 32
#define IOASID_POLICY_NAME_LEN 16
#define IOASID_REASON_LEN 64

/**
 * enum ioasid_policy_op - the decision point a request comes from
 * @IOASID_POLICY_OP_ATTACH: a device attaches to an IOAS (RID)
 * @IOASID_POLICY_OP_ATTACH_PASID: a device attaches an IOAS at a PASID
 * @IOASID_POLICY_OP_CACHE_FLUSH: an fd asks for a cache flush
 * @IOASID_POLICY_OP_DETACH: a device detaches (notification only)
 */
enum ioasid_policy_op {
	IOASID_POLICY_OP_ATTACH = 1,
	IOASID_POLICY_OP_ATTACH_PASID = 2,
	IOASID_POLICY_OP_CACHE_FLUSH = 3,
	IOASID_POLICY_OP_DETACH = 4,
};

/**
 * enum ioasid_req_flags - facts about a request
 * @IOASID_REQ_DRY_RUN: evaluation only, nothing will be applied
 * @IOASID_REQ_SW_DEVICE: a software (access API) device, no IOMMU of its own
 * @IOASID_REQ_IOAS_NESTED: the target IOAS is nested in another
 * @IOASID_REQ_FD_NONCOHERENT: the fd already has a non-coherent device
 * @IOASID_REQ_REPLACE: the attach replaces an existing attachment
 * @IOASID_REQ_KERNEL_OWNED: a kernel driver owns the device and asks for a
 *	per-PASID kernel context (its RID stays on the kernel's domain)
 * @IOASID_REQ_REVALIDATE: an attachment already in force is re-decided
 *	(rules or policies changed, ABI version 2): not a new attachment, and
 *	no detach notice follows unless the answer revokes it. The caller
 *	identity is that of the original attach. A denial revokes the
 *	attachment; a new flush grant and PASID range apply at once; a
 *	different snoop mode only marks the attachment as needing a
 *	re-attach (docs/policy.md)
 */
enum ioasid_req_flags {
	IOASID_REQ_DRY_RUN = 1 << 0,
	/*
	 * 1 << 1 was IOASID_REQ_MOCK_DEVICE, which nothing read: reserved,
	 * never set, not to be reused.
	 */
	IOASID_REQ_SW_DEVICE = 1 << 2,
	IOASID_REQ_IOAS_NESTED = 1 << 3,
	IOASID_REQ_FD_NONCOHERENT = 1 << 4,
	IOASID_REQ_REPLACE = 1 << 5,
	IOASID_REQ_KERNEL_OWNED = 1 << 6,
	IOASID_REQ_REVALIDATE = 1 << 7,
};

/**
 * enum ioasid_iommu_caps - what the device's IOMMU can do
 * @IOASID_IOMMU_CAP_ENFORCE_COHERENCY: can force snooping (snoop control)
 * @IOASID_IOMMU_CAP_CACHE_COHERENCY: DMA is coherent without enforcement
 * @IOASID_IOMMU_CAP_PASID: can attach domains at PASIDs
 * @IOASID_IOMMU_CAP_NESTING: can do stage-1 over stage-2 translation
 */
enum ioasid_iommu_caps {
	IOASID_IOMMU_CAP_ENFORCE_COHERENCY = 1 << 0,
	IOASID_IOMMU_CAP_CACHE_COHERENCY = 1 << 1,
	IOASID_IOMMU_CAP_PASID = 1 << 2,
	IOASID_IOMMU_CAP_NESTING = 1 << 3,
};

/**
 * enum ioasid_dev_needs - what the device's driver declared it needs
 * @IOASID_NEED_PASID: the driver uses PASIDs
 * @IOASID_NEED_SW_PGTABLE: the driver reads the IOAS by software page table
 */
enum ioasid_dev_needs {
	IOASID_NEED_PASID = 1 << 0,
	IOASID_NEED_SW_PGTABLE = 1 << 1,
};

/**
 * struct ioasid_policy_req - what a policy is asked about (read-only)
 * @op: enum ioasid_policy_op
 * @flags: enum ioasid_req_flags
 * @vendor: PCI vendor id (0 for non-PCI devices)
 * @device: PCI device id
 * @subvendor: PCI subsystem vendor id
 * @subdevice: PCI subsystem device id
 * @class: PCI class code (24 bits)
 * @bdf: PCI segment << 16 | bus << 8 | devfn
 * @driver: name of the driver bound to the device (NUL terminated)
 * @iommu_driver: name of the IOMMU driver (NUL terminated)
 * @iommu_caps: enum ioasid_iommu_caps
 * @dev_needs: enum ioasid_dev_needs
 * @pasid_bits: PASID width of the device (0: no PASID)
 * @group_size: devices in the device's IOMMU group
 * @ioas_id: target IOAS
 * @ioas_depth: nesting depth of the target IOAS
 * @pasid: requested PASID (ATTACH_PASID), else 0
 * @uid: requesting task's uid (in the initial user namespace)
 * @gid: requesting task's gid (in the initial user namespace)
 * @pid: requesting task's tgid (in the initial pid namespace)
 * @cgroup_id: requesting task's cgroup v2 id
 * @fd_id: unique id of the /dev/ioasid fd asking
 * @nr_flush_cpus: CPUs a cache flush would hit (CACHE_FLUSH)
 * @__reserved: zero
 */
struct ioasid_policy_req {
	__u32 op;
	__u32 flags;
	__u16 vendor;
	__u16 device;
	__u16 subvendor;
	__u16 subdevice;
	__u32 class;
	__u32 bdf;
	char driver[IOASID_NAME_LEN];
	char iommu_driver[IOASID_NAME_LEN];
	__u32 iommu_caps;
	__u32 dev_needs;
	__u32 pasid_bits;
	__u32 group_size;
	__u32 ioas_id;
	__u32 ioas_depth;
	__u32 pasid;
	__u32 uid;
	__u32 gid;
	__u32 pid;
	__aligned_u64 cgroup_id;
	__aligned_u64 fd_id;
	__u32 nr_flush_cpus;
	__u32 __reserved;
};

/*
 * Verdicts a policy callback returns. A negative errno (at least
 * -IOASID_MAX_ERRNO) denies; it is returned to user space if user space
 * knows it (-1 .. -133, EHWPOISON), else (kernel-internal errnos such as
 * -ERESTARTSYS or -ENOIOCTLCMD, unassigned numbers) the denial is EPERM.
 * Anything else is garbage and marks the policy errored.
 */
#define IOASID_VERDICT_DEFER 0
#define IOASID_VERDICT_ALLOW 1
#define IOASID_MAX_ERRNO 4095

/**
 * enum ioasid_snoop_mode - DMA coherency applied to an attachment
 * @IOASID_SNOOP_DEFAULT: no opinion (the built-in rule decides)
 * @IOASID_SNOOP_ENFORCE: the IOMMU forces snooping; fails if it cannot
 * @IOASID_SNOOP_ALLOW_NOSNOOP: the device may issue no-snoop DMA
 */
enum ioasid_snoop_mode {
	IOASID_SNOOP_DEFAULT = 0,
	IOASID_SNOOP_ENFORCE = 1,
	IOASID_SNOOP_ALLOW_NOSNOOP = 2,
};

/**
 * enum ioasid_decision_flags - what a decision contains
 * @IOASID_DECISION_FLUSH_GRANT: the fd is granted IOASID_CACHE_FLUSH
 * @IOASID_DECISION_PASID_RANGE: @pasid_min..@pasid_max is set
 * @IOASID_DECISION_POLICY_ERROR: a policy misbehaved while deciding
 * @IOASID_DECISION_BUILTIN: the built-in policy decided
 * @IOASID_DECISION_CORE_REFUSED: the policies did not refuse, the core
 *	did: the hardware cannot do what they decided (enforce-snoop without
 *	snoop control, a PASID the device cannot use; also in dry runs), or
 *	the decision could not be applied (the IOMMU cannot enforce snooping
 *	for the domain, a reserved region or the aperture collides with a
 *	mapping, a kernel-owned RID, no hardware nesting: in a device's
 *	recorded decision, IOASID_DEVICE_GET_INFO and the in-kernel attach
 *	APIs). @verdict and @reason are then the core's; the rest is the
 *	policies'. The decision log keeps both reasons apart
 * @IOASID_DECISION_NEEDS_REATTACH: a revalidation chose another snoop mode
 *	than the attachment's domain has: the domain was kept, the
 *	attachment must be re-attached for the new decision to apply
 * @IOASID_DECISION_REVOKED: a revalidation denied an attachment in force:
 *	it was detached (its DMA reaches nothing, as after a detach)
 */
enum ioasid_decision_flags {
	IOASID_DECISION_FLUSH_GRANT = 1 << 0,
	IOASID_DECISION_PASID_RANGE = 1 << 1,
	IOASID_DECISION_POLICY_ERROR = 1 << 2,
	IOASID_DECISION_BUILTIN = 1 << 3,
	IOASID_DECISION_CORE_REFUSED = 1 << 4,
	IOASID_DECISION_NEEDS_REATTACH = 1 << 5,
	IOASID_DECISION_REVOKED = 1 << 6,
};

/**
 * struct ioasid_policy_decision - the outcome of one decision
 * @verdict: 0 allowed, or the negative errno returned to the caller
 * @snoop: enum ioasid_snoop_mode applied
 * @flags: enum ioasid_decision_flags
 * @flush_rate: granted cache flushes per second (0: unlimited; the
 *	built-in policy grants the ioasid module parameter builtin_flush_rate)
 * @flush_burst: granted burst of cache flushes (builtin_flush_burst)
 * @pasid_min: first allowed PASID
 * @pasid_max: last allowed PASID
 * @policy_id: id of the deciding policy (its bpf_link id; 0 built-in)
 * @op: enum ioasid_policy_op
 * @policy: name of the deciding policy
 * @reason: human-readable reason given by the policy or the core
 * @__reserved: zero
 */
struct ioasid_policy_decision {
	__s32 verdict;
	__u32 snoop;
	__u32 flags;
	__u32 flush_rate;
	__u32 flush_burst;
	__u32 pasid_min;
	__u32 pasid_max;
	__u32 policy_id;
	__u32 op;
	char policy[IOASID_POLICY_NAME_LEN];
	char reason[IOASID_REASON_LEN];
	__u32 __reserved;
};

/**
 * enum ioasid_policy_flags - data field @flags of struct ioasid_policy_ops
 * @IOASID_POLICY_F_SHADOW: asked on every decision, verdict recorded, never
 *	decides (canary rollouts)
 */
enum ioasid_policy_flags {
	IOASID_POLICY_F_SHADOW = 1 << 0,
};

/**
 * struct ioasid_policy_ops - a policy (BPF struct_ops type)
 * @attach: may the device attach (RID)? Runs under the device's group
 *	lock: not sleepable. Also asked again about attachments in force
 *	when rules or policies change (IOASID_REQ_REVALIDATE)
 * @attach_pasid: may the device attach at @req->pasid? Not sleepable.
 *	Revalidated as @attach is
 * @cache_flush: may the fd flush caches now? Atomic context: not sleepable.
 * @detach: a device detached. Atomic context: not sleepable.
 * @init: called once when the policy is registered. Sleepable allowed.
 *	A non-zero return refuses the registration.
 * @exit: called once when the policy leaves: unregistered or replaced
 *	(0), or its registration failed after @init (a negative errno).
 *	An errored policy is only skipped; @exit comes at its removal.
 *	Not sleepable.
 * @name: policy name, unique among registered policies
 * @priority: lower asks first; equal priorities in registration order
 * @flags: enum ioasid_policy_flags
 * @abi_version: IOASID_POLICY_ABI_VERSION the policy was built for
 *	(IOASID_POLICY_ABI_VERSION_MIN and later are accepted)
 * @__reserved: zero
 *
 * Callbacks return IOASID_VERDICT_DEFER, IOASID_VERDICT_ALLOW or a negative
 * errno; finer decisions are made through the bpf_ioasid_* kfuncs.
 */
struct ioasid_policy_ops {
	int (*attach)(const struct ioasid_policy_req *req);
	int (*attach_pasid)(const struct ioasid_policy_req *req);
	int (*cache_flush)(const struct ioasid_policy_req *req);
	void (*detach)(const struct ioasid_policy_req *req);
	int (*init)(void);
	void (*exit)(int reason);
	char name[IOASID_POLICY_NAME_LEN];
	__u32 priority;
	__u32 flags;
	__u32 abi_version;
	__u32 __reserved;
};

/* Dry run: evaluate the registered policies for a described device. */
#define IOASID_POLICY_MAX_REPORTED 8

/**
 * struct ioasid_policy_verdict - one policy's answer in a dry run
 * @policy_id: the policy's bpf_link id (0 for the built-in)
 * @verdict: what the callback returned (sanitized)
 * @snoop: snoop mode the policy asked for
 * @flags: enum ioasid_decision_flags the policy asked for
 * @name: policy name
 * @reason: reason the policy gave
 */
struct ioasid_policy_verdict {
	__u32 policy_id;
	__s32 verdict;
	__u32 snoop;
	__u32 flags;
	char name[IOASID_POLICY_NAME_LEN];
	char reason[IOASID_REASON_LEN];
};

/**
 * enum ioasid_dry_run_flags - flags for IOASID_POLICY_DRY_RUN
 * @IOASID_DRY_RUN_DEVICE_BDF: describe the real PCI device at @req.bdf: the
 *	kernel fills every device and IOMMU field of @req exactly as an attach
 *	of that device would (ENODEV if there is no such device or it has no
 *	IOMMU group)
 */
enum ioasid_dry_run_flags {
	IOASID_DRY_RUN_DEVICE_BDF = 1 << 0,
};

/**
 * struct ioasid_policy_dry_run - ioctl(IOASID_POLICY_DRY_RUN)
 * @size: sizeof(struct ioasid_policy_dry_run)
 * @flags: enum ioasid_dry_run_flags
 * @req: the request to evaluate; @req.op must be an attach op, the kernel
 *	fills @req.uid/gid/pid/cgroup_id/fd_id from the caller when zero and
 *	always sets IOASID_REQ_DRY_RUN
 * @out_decision: the final decision, exactly as a real attach would take it
 * @out_nr_verdicts: policies asked (may exceed IOASID_POLICY_MAX_REPORTED)
 * @__reserved: must be 0
 * @out_verdicts: the first IOASID_POLICY_MAX_REPORTED answers, in order
 *
 * Needs CAP_SYS_ADMIN (EPERM). Runs the same evaluation as a real attach,
 * including shadow policies, without applying anything.
 *
 * Errors: EPERM (no CAP_SYS_ADMIN), EOPNOTSUPP (unknown @flags), EINVAL
 * (@__reserved or @req.__reserved set, @req.op not an attach op), ENODEV
 * (IOASID_DRY_RUN_DEVICE_BDF and no device at @req.bdf, or one without an
 * IOMMU group), ENOMEM, EFAULT.
 */
struct ioasid_policy_dry_run {
	__u32 size;
	__u32 flags;
	struct ioasid_policy_req req;
	struct ioasid_policy_decision out_decision;
	__u32 out_nr_verdicts;
	__u32 __reserved;
	struct ioasid_policy_verdict out_verdicts[IOASID_POLICY_MAX_REPORTED];
};

#define IOASID_POLICY_DRY_RUN _IO(IOASID_TYPE, IOASID_CMD_POLICY_DRY_RUN)

#endif /* _UAPI_LINUX_IOASID_POLICY_H */
