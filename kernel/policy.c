// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid policy host: the ioasid_policy_ops BPF struct_ops type, its
 * kfuncs, the stack of registered policies and the built-in policy.
 *
 * Registered policies form a list sorted by priority, read under SRCU (the
 * attach callbacks may sleep) and written under ioasid_policy_mutex. Every
 * decision walks the list; the first policy that does not DEFER decides;
 * the built-in policy (VFIO + KVM behaviour) decides when none does. A
 * policy that returns garbage is marked errored and skipped from then on,
 * like sched_ext disables a misbehaving scheduler; user space still owns its
 * link and detaches it when it wants.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/bpf_verifier.h>
#include <linux/filter.h>
#include <linux/srcu.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/capability.h>

#include <kunit/visibility.h>
#include <linux/ioasid_kfuncs.h>

#include "ioasid_private.h"
#include "policy.h"
#include "request.h"
#include "decision_log.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

DEFINE_STATIC_SRCU(ioasid_policy_srcu);
/* Serializes reg/unreg/update and protects ioasid_policies for writers. */
static DEFINE_MUTEX(ioasid_policy_mutex);
static LIST_HEAD(ioasid_policies);
/* The module BTF, saved at registration for the kfunc filter. */
static const struct btf *ioasid_policy_btf;
/* Kill switch: while set, only the built-in policy decides. */
bool ioasid_policy_bypass;

#define policy_for_each(p)                                                \
	list_for_each_entry_srcu(p, &ioasid_policies, node,               \
				 srcu_read_lock_held(&ioasid_policy_srcu))

/* --- the built-in policy: what VFIO and KVM do today ------------------- */

static void builtin_attach(struct ioasid_policy_eval *eval)
{
	struct ioasid_policy_decision *d = &eval->decision;

	d->verdict = 0;
	if (eval->req.iommu_caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY) {
		d->snoop = IOASID_SNOOP_ENFORCE;
		strscpy(d->reason, "IOMMU can enforce snooping",
			sizeof(d->reason));
	} else {
		/* The KVM contract: non-coherent DMA, so the fd may flush. */
		d->snoop = IOASID_SNOOP_ALLOW_NOSNOOP;
		d->flags |= IOASID_DECISION_FLUSH_GRANT;
		/* Bounded: module parameters builtin_flush_rate/_burst. */
		d->flush_rate = READ_ONCE(ioasid_builtin_flush_rate);
		d->flush_burst = READ_ONCE(ioasid_builtin_flush_burst);
		strscpy(d->reason, "IOMMU cannot enforce snooping: no-snoop allowed, flush granted",
			sizeof(d->reason));
	}
}

static void builtin_attach_pasid(struct ioasid_policy_eval *eval)
{
	struct ioasid_policy_decision *d = &eval->decision;
	const struct ioasid_policy_req *req = &eval->req;

	if (!(req->iommu_caps & IOASID_IOMMU_CAP_PASID) || !req->pasid_bits) {
		d->verdict = -EOPNOTSUPP;
		strscpy(d->reason, "device or IOMMU has no PASID support",
			sizeof(d->reason));
		return;
	}
	builtin_attach(eval);
	d->flags |= IOASID_DECISION_PASID_RANGE;
	d->pasid_min = 1;
	d->pasid_max = req->pasid_bits >= IOASID_PASID_BITS ?
			       IOASID_PASID_MAX : (1U << req->pasid_bits) - 1;
}

static void ioasid_policy_builtin(struct ioasid_policy_eval *eval)
{
	struct ioasid_policy_decision *d = &eval->decision;

	d->flags |= IOASID_DECISION_BUILTIN;
	d->policy_id = 0;
	strscpy(d->policy, "builtin", sizeof(d->policy));
	switch (eval->req.op) {
	case IOASID_POLICY_OP_ATTACH:
		builtin_attach(eval);
		break;
	case IOASID_POLICY_OP_ATTACH_PASID:
		builtin_attach_pasid(eval);
		break;
	default:
		/* Cache flush is gated by the grant taken at attach. */
		d->verdict = 0;
		break;
	}
}

/* --- evaluation ---------------------------------------------------------- */

/* An attach of the whole device or of one PASID: what a decision covers. */
static bool req_is_attach(const struct ioasid_policy_req *req)
{
	return req->op == IOASID_POLICY_OP_ATTACH ||
	       req->op == IOASID_POLICY_OP_ATTACH_PASID;
}

static void policy_set_error(struct ioasid_policy *p, const char *fmt, ...)
{
	va_list args;

	if (atomic_cmpxchg(&p->state, IOASID_POLICY_ACTIVE,
			   IOASID_POLICY_ERRORED) != IOASID_POLICY_ACTIVE)
		return;
	va_start(args, fmt);
	vsnprintf(p->last_error, sizeof(p->last_error), fmt, args);
	va_end(args);
	pr_warn_ratelimited("policy %s errored, skipped from now on: %s\n",
			    p->name, p->last_error);
}

/*
 * The errnos a policy may hand to user space: those user space has
 * (1 .. IOASID_POLICY_MAX_USER_ERRNO, i.e. EHWPOISON). Kernel-internal
 * ones (ERESTARTSYS, ENOIOCTLCMD, EPROBE_DEFER, ... from 512 on) and
 * unassigned numbers up to IOASID_MAX_ERRNO still deny, as EPERM.
 */
#define IOASID_POLICY_MAX_USER_ERRNO 133

static int policy_errno(int v)
{
	return v < -IOASID_POLICY_MAX_USER_ERRNO ? -EPERM : v;
}

/*
 * Run one callback of one policy. Returns the verdict; *@bad is set when
 * the policy misbehaved (it is then errored and its answer ignored).
 */
static int policy_call(struct ioasid_policy *p, struct ioasid_policy_eval *eval,
		       bool *called, bool *bad)
{
	const struct ioasid_policy_ops *ops = p->ops;
	int (*fn)(const struct ioasid_policy_req *req) = NULL;
	int v;

	switch (eval->req.op) {
	case IOASID_POLICY_OP_ATTACH:
		fn = ops->attach;
		break;
	case IOASID_POLICY_OP_ATTACH_PASID:
		fn = ops->attach_pasid;
		break;
	case IOASID_POLICY_OP_CACHE_FLUSH:
		fn = ops->cache_flush;
		break;
	}
	*called = fn;
	*bad = false;
	if (!fn)
		return IOASID_VERDICT_DEFER;

	memset(&eval->cur, 0, sizeof(eval->cur));
	eval->cur.op = eval->req.op;
	eval->cur.policy_id = ioasid_policy_link_id(p);
	strscpy(eval->cur.policy, p->name, sizeof(eval->cur.policy));

	if (eval->req.op == IOASID_POLICY_OP_CACHE_FLUSH) {
		/* Declared atomic: check_member refused sleepable programs. */
		preempt_disable();
		v = fn(&eval->req);
		preempt_enable();
	} else if (eval->req.flags & IOASID_REQ_REVALIDATE &&
		   p->abi_version < 2) {
		/*
		 * Built before revalidations existed: it may keep books of
		 * attaches (balanced by detach notices), and no notice
		 * balances a revalidation. A dry run is the one request such
		 * a policy knows changes nothing in its books.
		 */
		eval->req.flags |= IOASID_REQ_DRY_RUN;
		v = fn(&eval->req);
		eval->req.flags &= ~IOASID_REQ_DRY_RUN;
	} else {
		v = fn(&eval->req);
	}

	if (v == IOASID_VERDICT_DEFER || v == IOASID_VERDICT_ALLOW ||
	    (v < 0 && v >= -IOASID_MAX_ERRNO)) {
		v = policy_errno(v);
		eval->cur.verdict = v;
		return v;
	}
	policy_set_error(p, "invalid verdict %d from op %u", v, eval->req.op);
	atomic64_inc(&p->counters[IOASID_POLICY_CNT_ERROR]);
	eval->cur.verdict = v;
	eval->cur.flags |= IOASID_DECISION_POLICY_ERROR;
	*bad = true;
	return v;
}

/* A dry run's report of the current answer: the uAPI's subset of it. */
static void eval_record_verdict(struct ioasid_policy_eval *eval)
{
	const struct ioasid_policy_decision *cur = &eval->cur;
	struct ioasid_policy_verdict *v;

	if (eval->verdicts && eval->nr_verdicts < eval->max_verdicts) {
		v = &eval->verdicts[eval->nr_verdicts];
		memset(v, 0, sizeof(*v));
		v->policy_id = cur->policy_id;
		v->verdict = cur->verdict;
		v->snoop = cur->snoop;
		v->flags = cur->flags;
		strscpy(v->name, cur->policy, sizeof(v->name));
		strscpy(v->reason, cur->reason, sizeof(v->reason));
	}
	eval->nr_verdicts++;
}

/* The current answer decides: ALLOW is verdict 0 in a decision. */
static void eval_adopt(struct ioasid_policy_eval *eval)
{
	eval->decision = eval->cur;
	if (eval->decision.verdict == IOASID_VERDICT_ALLOW)
		eval->decision.verdict = 0;
}

/*
 * Fill what the policy left open with the built-in rule and check the
 * result against what the hardware can do: a policy can never grant more.
 */
/*
 * What a deciding policy left open is the built-in's; then the hardware has
 * the last word (no enforce-snoop without snoop control, no PASIDs beyond
 * the device's width).
 */
VISIBLE_IF_KUNIT void ioasid_policy_complete(struct ioasid_policy_eval *eval)
{
	struct ioasid_policy_decision *d = &eval->decision;
	const struct ioasid_policy_req *req = &eval->req;
	struct ioasid_policy_eval builtin = { .req = eval->req };

	if (d->verdict)
		return;
	if (!req_is_attach(req))
		return;

	ioasid_policy_builtin(&builtin);
	if (d->snoop == IOASID_SNOOP_DEFAULT) {
		d->snoop = builtin.decision.snoop;
		if (builtin.decision.flags & IOASID_DECISION_FLUSH_GRANT &&
		    !(d->flags & IOASID_DECISION_FLUSH_GRANT)) {
			d->flags |= IOASID_DECISION_FLUSH_GRANT;
			d->flush_rate = builtin.decision.flush_rate;
			d->flush_burst = builtin.decision.flush_burst;
		}
	}
	if (req->op == IOASID_POLICY_OP_ATTACH_PASID) {
		/* No policy grants PASIDs the device or IOMMU cannot use. */
		if (builtin.decision.verdict) {
			d->verdict = builtin.decision.verdict;
			strscpy(d->reason, builtin.decision.reason,
				sizeof(d->reason));
			return;
		}
		if (!(d->flags & IOASID_DECISION_PASID_RANGE)) {
			d->flags |= IOASID_DECISION_PASID_RANGE;
			d->pasid_min = builtin.decision.pasid_min;
			d->pasid_max = builtin.decision.pasid_max;
		}
		d->pasid_min = max(d->pasid_min, builtin.decision.pasid_min);
		d->pasid_max = min(d->pasid_max, builtin.decision.pasid_max);
	}

	if (d->snoop == IOASID_SNOOP_ENFORCE &&
	    !(req->iommu_caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY)) {
		d->verdict = -EINVAL;
		snprintf(d->reason, sizeof(d->reason),
			 "%s asked enforce-snoop, IOMMU has no snoop control",
			 d->policy);
		return;
	}
	if (req->op == IOASID_POLICY_OP_ATTACH_PASID &&
	    (req->pasid < d->pasid_min || req->pasid > d->pasid_max)) {
		d->verdict = -EPERM;
		snprintf(d->reason, sizeof(d->reason),
			 "PASID %u outside allowed %u-%u", req->pasid,
			 d->pasid_min, d->pasid_max);
	}
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_policy_complete);

/**
 * ioasid_policy_evaluate - ask the policy stack about a request
 * @eval: the request in @eval->req; the decision comes back in
 *	@eval->decision
 *
 * Context: process context; may sleep (attach callbacks may be sleepable).
 * Return: the verdict, 0 or a negative errno.
 */
int ioasid_policy_evaluate(struct ioasid_policy_eval *eval)
{
	struct ioasid_policy_decision *d = &eval->decision;
	struct ioasid_policy *p;
	bool decided = false;
	int idx, v;

	might_sleep();
	memset(d, 0, sizeof(*d));
	d->op = eval->req.op;
	eval->nr_verdicts = 0;

	idx = srcu_read_lock(&ioasid_policy_srcu);
	if (READ_ONCE(ioasid_policy_bypass))
		goto unlock;
	policy_for_each(p) {
		bool called, bad;

		if (atomic_read(&p->state) != IOASID_POLICY_ACTIVE)
			continue;
		v = policy_call(p, eval, &called, &bad);
		if (!called)
			continue;
		eval_record_verdict(eval);
		if (bad)
			continue;
		atomic64_inc(&p->counters[v == IOASID_VERDICT_DEFER ?
						  IOASID_POLICY_CNT_DEFER :
					  v == IOASID_VERDICT_ALLOW ?
						  IOASID_POLICY_CNT_ALLOW :
						  IOASID_POLICY_CNT_DENY]);
		if (p->flags & IOASID_POLICY_F_SHADOW ||
		    v == IOASID_VERDICT_DEFER)
			continue;
		eval_adopt(eval);
		decided = true;
		break;
	}
unlock:
	srcu_read_unlock(&ioasid_policy_srcu, idx);

	if (!decided)
		ioasid_policy_builtin(eval);
	/* Kept for the log: the hardware check below may refuse it. */
	eval->cur = *d;
	ioasid_policy_complete(eval);
	/* Allowed by the policies, refused by what the hardware can do. */
	if (!eval->cur.verdict && d->verdict)
		d->flags |= IOASID_DECISION_CORE_REFUSED;
	trace_ioasid_decision(&eval->req, d, eval->nr_verdicts);
	ioasid_decision_log_add(&eval->req, &eval->cur, d, eval->nr_verdicts,
				eval->flush);
	return d->verdict;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_policy_evaluate);

int ioasid_policy_dry_run_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_policy_dry_run *cmd = ucmd->cmd;
	struct ioasid_req_caller caller = {
		.ctx = ucmd->ctx,
		.op = cmd->req.op,
		.pasid = cmd->req.pasid,
		.flags = IOASID_REQ_DRY_RUN,
		.described = &cmd->req,
	};
	struct ioasid_policy_eval *eval;
	struct ioasid_dev_desc *desc = NULL;
	int rc = 0;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (cmd->flags & ~IOASID_DRY_RUN_DEVICE_BDF)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->req.__reserved)
		return -EINVAL;
	if (!req_is_attach(&cmd->req))
		return -EINVAL;

	eval = kzalloc(sizeof(*eval), GFP_KERNEL);
	if (!eval)
		return -ENOMEM;
	if (cmd->flags & IOASID_DRY_RUN_DEVICE_BDF) {
		desc = kzalloc(sizeof(*desc), GFP_KERNEL);
		rc = desc ? ioasid_dev_probe_bdf(cmd->req.bdf, desc) : -ENOMEM;
		if (rc)
			goto out;
	}
	ioasid_request_build(&eval->req, desc, &caller);
	eval->verdicts = cmd->out_verdicts;
	eval->max_verdicts = ARRAY_SIZE(cmd->out_verdicts);
	memset(cmd->out_verdicts, 0, sizeof(cmd->out_verdicts));

	ioasid_policy_evaluate(eval);
	cmd->req = eval->req;
	cmd->out_decision = eval->decision;
	cmd->out_nr_verdicts = eval->nr_verdicts;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
out:
	kfree(desc);
	kfree(eval);
	return rc;
}

/* --- kfuncs: how a policy states its decision ---------------------------- */

static struct ioasid_policy_eval *req_to_eval(const struct ioasid_policy_req *req)
{
	return container_of((struct ioasid_policy_req *)req,
			    struct ioasid_policy_eval, req);
}

__bpf_kfunc_start_defs();

/**
 * bpf_ioasid_set_snoop - choose the coherency mode of this attachment
 * @req: the request passed to the callback
 * @mode: enum ioasid_snoop_mode
 *
 * Return: 0, or -EINVAL for an unknown mode or a non-attach request.
 */
__bpf_kfunc int bpf_ioasid_set_snoop(const struct ioasid_policy_req *req,
				     u32 mode)
{
	struct ioasid_policy_eval *eval = req_to_eval(req);

	if (mode > IOASID_SNOOP_ALLOW_NOSNOOP)
		return -EINVAL;
	if (!req_is_attach(req))
		return -EINVAL;
	eval->cur.snoop = mode;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(bpf_ioasid_set_snoop);

/**
 * bpf_ioasid_grant_flush - grant the fd IOASID_CACHE_FLUSH
 * @req: the request passed to the callback
 * @rate: flushes per second allowed (0: unlimited)
 * @burst: flushes allowed at once above the rate (0: one)
 *
 * Return: 0, or -EINVAL on a non-attach request.
 */
__bpf_kfunc int bpf_ioasid_grant_flush(const struct ioasid_policy_req *req,
				       u32 rate, u32 burst)
{
	struct ioasid_policy_eval *eval = req_to_eval(req);

	if (!req_is_attach(req))
		return -EINVAL;
	eval->cur.flags |= IOASID_DECISION_FLUSH_GRANT;
	eval->cur.flush_rate = rate;
	eval->cur.flush_burst = burst;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(bpf_ioasid_grant_flush);

/**
 * bpf_ioasid_set_pasid_range - PASIDs the device may use
 * @req: the request passed to the callback
 * @min: first allowed PASID (at least 1)
 * @max: last allowed PASID (at most IOASID_PASID_MAX)
 *
 * Return: 0, or -EINVAL for an empty or out-of-range interval.
 */
__bpf_kfunc int bpf_ioasid_set_pasid_range(const struct ioasid_policy_req *req,
					   u32 min, u32 max)
{
	struct ioasid_policy_eval *eval = req_to_eval(req);

	if (!min || min > max || max > IOASID_PASID_MAX)
		return -EINVAL;
	eval->cur.flags |= IOASID_DECISION_PASID_RANGE;
	eval->cur.pasid_min = min;
	eval->cur.pasid_max = max;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(bpf_ioasid_set_pasid_range);

/**
 * bpf_ioasid_set_reason - explain the decision, for records and operators
 * @req: the request passed to the callback
 * @reason__str: a constant string (a literal in the program's .rodata)
 *
 * Return: 0. Longer reasons are truncated to IOASID_REASON_LEN - 1 bytes.
 */
__bpf_kfunc int bpf_ioasid_set_reason(const struct ioasid_policy_req *req,
				      const char *reason__str)
{
	struct ioasid_policy_eval *eval = req_to_eval(req);

	strscpy(eval->cur.reason, reason__str, sizeof(eval->cur.reason));
	return 0;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(ioasid_policy_kfunc_ids)
BTF_ID_FLAGS(func, bpf_ioasid_set_snoop, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_ioasid_grant_flush, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_ioasid_set_pasid_range, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_ioasid_set_reason, KF_TRUSTED_ARGS)
BTF_KFUNCS_END(ioasid_policy_kfunc_ids)

/*
 * The STRUCT_OPS kfunc hook is shared by every struct_ops type in the
 * system: only our own policies may call these.
 */
static int ioasid_policy_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&ioasid_policy_kfunc_ids, kfunc_id))
		return 0;
	if (prog->type == BPF_PROG_TYPE_STRUCT_OPS && ioasid_policy_btf &&
	    prog->aux->attach_btf == ioasid_policy_btf)
		return 0;
	return -EACCES;
}

static const struct btf_kfunc_id_set ioasid_policy_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &ioasid_policy_kfunc_ids,
	.filter = ioasid_policy_kfunc_filter,
};

/* --- the struct_ops type -------------------------------------------------- */

static bool ioasid_policy_is_valid_access(int off, int size,
					  enum bpf_access_type type,
					  const struct bpf_prog *prog,
					  struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_func_proto *
ioasid_policy_get_func_proto(enum bpf_func_id func_id,
			     const struct bpf_prog *prog)
{
	return bpf_base_func_proto(func_id, prog);
}

/*
 * No btf_struct_access: the verifier then refuses every write through a
 * BTF pointer, which keeps the request read-only for policies.
 */
static const struct bpf_verifier_ops ioasid_policy_verifier_ops = {
	.get_func_proto = ioasid_policy_get_func_proto,
	.is_valid_access = ioasid_policy_is_valid_access,
};

static int ioasid_policy_st_init(struct btf *btf)
{
	ioasid_policy_btf = btf;
	return 0;
}

#define OPS_MEMBER(m) (offsetof(struct ioasid_policy_ops, m) * 8)

static int ioasid_policy_check_member(const struct btf_type *t,
				      const struct btf_member *member,
				      const struct bpf_prog *prog)
{
	u32 moff = __btf_member_bit_offset(t, member);

	/*
	 * Only init may sleep. cache_flush and detach run with preemption
	 * disabled; exit runs from release paths. attach and attach_pasid run
	 * under the device's group lock (and ioasid-pci's device lock), which
	 * mmap() and BAR faults take under mmap_lock: a sleepable program
	 * could fault user memory there (bpf_copy_from_user_str() is open to
	 * every sleepable program) and close a cycle with mmap_lock. See the
	 * lock order in docs/design.md.
	 */
	if (prog->sleepable && moff != OPS_MEMBER(init))
		return -EINVAL;
	return 0;
}

static bool policy_name_valid(const char *name, size_t len)
{
	size_t i;

	if (!name[0] || strnlen(name, len) == len)
		return false;
	for (i = 0; name[i]; i++)
		if (!isalnum(name[i]) && name[i] != '_' && name[i] != '-')
			return false;
	return true;
}

static int ioasid_policy_init_member(const struct btf_type *t,
				     const struct btf_member *member,
				     void *kdata, const void *udata)
{
	const struct ioasid_policy_ops *uops = udata;
	struct ioasid_policy_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member);

	switch (moff) {
	case OPS_MEMBER(name):
		if (!policy_name_valid(uops->name, sizeof(uops->name))) {
			pr_warn("policy name must be 1-%zu chars of [A-Za-z0-9_-]\n",
				sizeof(uops->name) - 1);
			return -EINVAL;
		}
		memcpy(ops->name, uops->name, sizeof(ops->name));
		return 1;
	case OPS_MEMBER(priority):
		ops->priority = uops->priority;
		return 1;
	case OPS_MEMBER(flags):
		if (uops->flags & ~IOASID_POLICY_F_SHADOW) {
			pr_warn("policy %s: unknown flags %#x\n", uops->name,
				uops->flags);
			return -EINVAL;
		}
		ops->flags = uops->flags;
		return 1;
	case OPS_MEMBER(abi_version):
		if (uops->abi_version < IOASID_POLICY_ABI_VERSION_MIN ||
		    uops->abi_version > IOASID_POLICY_ABI_VERSION) {
			pr_warn("policy %s: abi_version %u, module speaks %u-%u\n",
				uops->name, uops->abi_version,
				IOASID_POLICY_ABI_VERSION_MIN,
				IOASID_POLICY_ABI_VERSION);
			return -EINVAL;
		}
		ops->abi_version = uops->abi_version;
		return 1;
	case OPS_MEMBER(__reserved):
		return uops->__reserved ? -EINVAL : 1;
	}
	return 0;
}

static int ioasid_policy_validate(void *kdata)
{
	const struct ioasid_policy_ops *ops = kdata;

	if (!ops->attach && !ops->attach_pasid && !ops->cache_flush) {
		pr_warn("policy %s implements no decision callback\n",
			ops->name);
		return -EINVAL;
	}
	return 0;
}

static struct ioasid_policy *policy_find_locked(const void *kdata)
{
	struct ioasid_policy *p;

	lockdep_assert_held(&ioasid_policy_mutex);
	list_for_each_entry(p, &ioasid_policies, node)
		if (p->ops == kdata)
			return p;
	return NULL;
}

static bool policy_name_taken_locked(const char *name,
				     const struct ioasid_policy *except)
{
	struct ioasid_policy *p;

	lockdep_assert_held(&ioasid_policy_mutex);
	list_for_each_entry(p, &ioasid_policies, node)
		if (p != except && !strcmp(p->name, name))
			return true;
	return false;
}

/* Insert sorted by priority; equal priorities keep registration order. */
static void policy_insert_locked(struct ioasid_policy *new)
{
	struct ioasid_policy *p;

	lockdep_assert_held(&ioasid_policy_mutex);
	list_for_each_entry(p, &ioasid_policies, node) {
		if (p->priority > new->priority) {
			list_add_tail_rcu(&new->node, &p->node);
			return;
		}
	}
	list_add_tail_rcu(&new->node, &ioasid_policies);
}

static struct ioasid_policy *policy_alloc(struct ioasid_policy_ops *ops,
					  struct bpf_link *link)
{
	struct ioasid_policy *p;

	p = ioasid_policy_sysfs_alloc();
	if (!p)
		return NULL;
	p->ops = ops;
	strscpy(p->name, ops->name, sizeof(p->name));
	p->priority = ops->priority;
	p->flags = ops->flags;
	p->abi_version = ops->abi_version;
	p->link = link;
	atomic_set(&p->state, IOASID_POLICY_ACTIVE);
	return p;
}

/*
 * A registered policy decides for every fd and device of the host, so
 * registering or replacing one needs CAP_SYS_ADMIN in the initial user
 * namespace, on top of what the bpf() syscall asks to load it (CAP_BPF and
 * CAP_PERFMON, which a BPF token can delegate to a container).
 */
static bool policy_may_register(void)
{
	return capable(CAP_SYS_ADMIN);
}

static int ioasid_policy_reg(void *kdata, struct bpf_link *link)
{
	struct ioasid_policy_ops *ops = kdata;
	struct ioasid_policy *p;
	int rc;

	/* Links detach when their owner dies; bare maps would linger. */
	if (!link)
		return -EOPNOTSUPP;
	if (!policy_may_register())
		return -EPERM;

	guard(mutex)(&ioasid_policy_mutex);
	if (policy_name_taken_locked(ops->name, NULL)) {
		pr_warn("policy %s already registered\n", ops->name);
		return -EEXIST;
	}
	if (ops->init) {
		rc = ops->init();
		if (rc) {
			pr_warn("policy %s: init returned %d\n", ops->name, rc);
			return rc < 0 && rc >= -IOASID_POLICY_MAX_USER_ERRNO ?
			       rc : -EINVAL;
		}
	}
	p = policy_alloc(ops, link);
	if (!p) {
		rc = -ENOMEM;
		goto out_exit;
	}
	rc = ioasid_policy_sysfs_add(p);
	if (rc) {
		ioasid_policy_put(p);
		goto out_exit;
	}
	policy_insert_locked(p);
	pr_info("policy %s registered (priority %u%s)\n", p->name,
		p->priority, p->flags & IOASID_POLICY_F_SHADOW ? ", shadow" : "");
	/* Attachments in force hear the new stack, once the link is set. */
	ioasid_policy_revalidate_schedule();
	return 0;

out_exit:
	/* init succeeded: the policy hears that it will not run. */
	if (ops->exit)
		ops->exit(rc);
	return rc;
}

/* Called once @p is unreachable by readers, before unreg/update returns. */
static void policy_retire(struct ioasid_policy *p, int reason)
{
	/* The program stays callable until unreg/update returns. */
	if (p->ops->exit)
		p->ops->exit(reason);
	p->ops = NULL;
	p->link = NULL;
	ioasid_policy_put(p);
}

static void ioasid_policy_unreg(void *kdata, struct bpf_link *link)
{
	struct ioasid_policy *p;

	mutex_lock(&ioasid_policy_mutex);
	/* Only ever act on our own instance: a stale link must not win. */
	p = policy_find_locked(kdata);
	if (!p) {
		mutex_unlock(&ioasid_policy_mutex);
		return;
	}
	list_del_rcu(&p->node);
	ioasid_policy_sysfs_del(p);
	mutex_unlock(&ioasid_policy_mutex);

	/* The BPF core only waits for RCU: our readers use SRCU. */
	synchronize_srcu(&ioasid_policy_srcu);
	pr_info("policy %s unregistered\n", p->name);
	policy_retire(p, 0);
	ioasid_policy_revalidate_schedule();
}

static int ioasid_policy_update(void *kdata, void *old_kdata,
				struct bpf_link *link)
{
	struct ioasid_policy_ops *ops = kdata;
	struct ioasid_policy *old, *p;
	int rc;

	if (!policy_may_register())
		return -EPERM;
	mutex_lock(&ioasid_policy_mutex);
	old = policy_find_locked(old_kdata);
	if (!old) {
		rc = -ENOENT;
		goto out_unlock;
	}
	if (policy_name_taken_locked(ops->name, old)) {
		rc = -EEXIST;
		goto out_unlock;
	}
	if (ops->init) {
		rc = ops->init();
		if (rc) {
			rc = rc < 0 && rc >= -IOASID_POLICY_MAX_USER_ERRNO ?
			     rc : -EINVAL;
			goto out_unlock;
		}
	}
	p = policy_alloc(ops, link);
	if (!p) {
		if (ops->exit)
			ops->exit(-ENOMEM);
		rc = -ENOMEM;
		goto out_unlock;
	}
	/* The new instance keeps the old one's slot in the stack. */
	if (p->priority == old->priority) {
		list_replace_rcu(&old->node, &p->node);
	} else {
		list_del_rcu(&old->node);
		policy_insert_locked(p);
	}
	/* sysfs names the entry by policy name: swap under the mutex. */
	ioasid_policy_sysfs_del(old);
	rc = ioasid_policy_sysfs_add(p);
	if (rc)
		pr_warn("policy %s: no sysfs entry (%d)\n", p->name, rc);
	mutex_unlock(&ioasid_policy_mutex);

	synchronize_srcu(&ioasid_policy_srcu);
	pr_info("policy %s replaced by %s (link %u)\n", old->name, p->name,
		ioasid_policy_link_id(p));
	policy_retire(old, 0);
	ioasid_policy_revalidate_schedule();
	return 0;

out_unlock:
	mutex_unlock(&ioasid_policy_mutex);
	return rc;
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * ioasid_policy_kunit_reg - register C callbacks as a policy (KUnit only)
 * @ops: the callbacks and data fields, as a BPF policy would give them
 *
 * The same path as reg() minus the link: tests drive stacking, DEFER,
 * shadows and garbage verdicts without BPF.
 *
 * Return: 0, -EEXIST, -ENOMEM or a sysfs errno.
 */
int ioasid_policy_kunit_reg(struct ioasid_policy_ops *ops)
{
	struct ioasid_policy *p;
	int rc;

	guard(mutex)(&ioasid_policy_mutex);
	if (policy_name_taken_locked(ops->name, NULL))
		return -EEXIST;
	p = policy_alloc(ops, NULL);
	if (!p)
		return -ENOMEM;
	rc = ioasid_policy_sysfs_add(p);
	if (rc) {
		ioasid_policy_put(p);
		return rc;
	}
	policy_insert_locked(p);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_policy_kunit_reg);

/**
 * ioasid_policy_kunit_unreg - unregister what ioasid_policy_kunit_reg() did
 * @ops: the same callbacks
 */
void ioasid_policy_kunit_unreg(struct ioasid_policy_ops *ops)
{
	ioasid_policy_unreg(ops, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_policy_kunit_unreg);
#endif

/* CFI stubs: prototypes of every member, never called. */
static int ioasid_policy_stub_attach(const struct ioasid_policy_req *req)
{
	return 0;
}

static int ioasid_policy_stub_attach_pasid(const struct ioasid_policy_req *req)
{
	return 0;
}

static int ioasid_policy_stub_cache_flush(const struct ioasid_policy_req *req)
{
	return 0;
}

static void ioasid_policy_stub_detach(const struct ioasid_policy_req *req)
{
}

static int ioasid_policy_stub_init(void)
{
	return 0;
}

static void ioasid_policy_stub_exit(int reason)
{
}

static struct ioasid_policy_ops ioasid_policy_cfi_stubs = {
	.attach = ioasid_policy_stub_attach,
	.attach_pasid = ioasid_policy_stub_attach_pasid,
	.cache_flush = ioasid_policy_stub_cache_flush,
	.detach = ioasid_policy_stub_detach,
	.init = ioasid_policy_stub_init,
	.exit = ioasid_policy_stub_exit,
};

static struct bpf_struct_ops ioasid_policy_struct_ops = {
	.verifier_ops = &ioasid_policy_verifier_ops,
	.init = ioasid_policy_st_init,
	.check_member = ioasid_policy_check_member,
	.init_member = ioasid_policy_init_member,
	.validate = ioasid_policy_validate,
	.reg = ioasid_policy_reg,
	.unreg = ioasid_policy_unreg,
	.update = ioasid_policy_update,
	.cfi_stubs = &ioasid_policy_cfi_stubs,
	.owner = THIS_MODULE,
	.name = "ioasid_policy_ops",
};

/**
 * ioasid_policy_notify_detach - tell the policies a device detached
 * @req: the request that attached it, with op DETACH
 *
 * Context: any; detach callbacks run with preemption disabled.
 */
void ioasid_policy_notify_detach(const struct ioasid_policy_req *req)
{
	struct ioasid_policy_eval eval = { .req = *req };
	struct ioasid_policy *p;
	int idx;

	eval.req.op = IOASID_POLICY_OP_DETACH;
	idx = srcu_read_lock(&ioasid_policy_srcu);
	policy_for_each(p) {
		if (atomic_read(&p->state) != IOASID_POLICY_ACTIVE ||
		    !p->ops->detach)
			continue;
		preempt_disable();
		p->ops->detach(&eval.req);
		preempt_enable();
	}
	srcu_read_unlock(&ioasid_policy_srcu, idx);
	ioasid_decision_log_add(&eval.req, NULL, NULL, 0, NULL);
}

/**
 * ioasid_policy_for_each - visit every registered policy (sysfs, status)
 * @fn: called under SRCU for each policy in stack order
 * @arg: passed to @fn
 */
void ioasid_policy_for_each(void (*fn)(struct ioasid_policy *p, void *arg),
			    void *arg)
{
	struct ioasid_policy *p;
	int idx;

	idx = srcu_read_lock(&ioasid_policy_srcu);
	policy_for_each(p)
		fn(p, arg);
	srcu_read_unlock(&ioasid_policy_srcu, idx);
}

int ioasid_policy_init(void)
{
	int rc;

	rc = ioasid_policy_sysfs_init();
	if (rc)
		return rc;
	rc = register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
				       &ioasid_policy_kfunc_set);
	if (rc)
		goto err_sysfs;
	rc = register_bpf_struct_ops(&ioasid_policy_struct_ops,
				     ioasid_policy_ops);
	if (rc)
		goto err_sysfs;
	return 0;

err_sysfs:
	ioasid_policy_sysfs_exit();
	return rc;
}

void ioasid_policy_exit(void)
{
	/*
	 * Every struct_ops map of our type holds a module reference, so no
	 * policy can be registered once we get here.
	 */
	WARN_ON(!list_empty(&ioasid_policies));
	ioasid_policy_revalidate_exit();
	ioasid_policy_sysfs_exit();
}
