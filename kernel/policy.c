// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid policy host: the stack of registered policies, its evaluation and
 * the built-in policy (the struct_ops type, its registration and its
 * kfuncs: policy_ops.c).
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

DEFINE_SRCU(ioasid_policy_srcu);
/* Serializes reg/unreg/update and protects ioasid_policies for writers. */
DEFINE_MUTEX(ioasid_policy_mutex);
LIST_HEAD(ioasid_policies);
/* Kill switch: while set, only the built-in policy decides. */
bool ioasid_policy_bypass;

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

void ioasid_policy_set_error(struct ioasid_policy *p, const char *fmt, ...)
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
	ioasid_policy_set_error(p, "invalid verdict %d from op %u", v, eval->req.op);
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
	rc = ioasid_policy_ops_register();
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
