// SPDX-License-Identifier: GPL-2.0
/*
 * IOASID_CACHE_FLUSH: the cache flush a user with non-coherent DMA needs
 * (a VMM emulating a guest's WBINVD), granted by the policies at attach
 * and rate limited with a token bucket of @burst flushes refilled at
 * @rate per second (rate 0: unlimited; the built-in policy grants the
 * bounded builtin_flush_rate/builtin_flush_burst module parameters).
 *
 * The bucket belongs to the fd and outlives grants: a new grant (attach,
 * REPLACE, detach + attach) keeps its tokens and clock, clamped to the new
 * burst, so moving a device never refills it. Each attachment in force
 * (a group at its RID, a PASID attachment) keeps its own grant; the fd
 * flushes at the strictest of them, so when one leaves the stricter of
 * the others holds again. A flush that covers every online CPU because
 * it does not come from the tracked thread costs one token per CPU (at
 * most the burst). Refused and throttled flushes are counted in
 * /sys/kernel/ioasid/stats.
 *
 * Which CPUs to flush: the thread that first flushes through an fd is
 * tracked with a preempt notifier, as KVM tracks a vCPU for WBINVD
 * emulation; every CPU it is scheduled in on is recorded. Its later
 * flushes write back only the CPUs it ran on since its previous flush.
 * The first flush, flushes from other threads and kernels without
 * CONFIG_PREEMPT_NOTIFIERS flush every online CPU.
 *
 * Lifetime of a tracker: a preempt notifier may only be unlinked by its
 * own task, outside the notifier. So the fd holds one reference and the
 * registration another. When the fd goes away in the tracked thread (close,
 * or exit_files() at exit), it unlinks the notifier there. When it goes
 * away elsewhere (the fd was shared), the notifier stays linked, idle,
 * until the thread's final context switch (state TASK_DEAD, preemption off
 * since do_exit()), where the registration's reference is dropped and the
 * memory freed after an RCU grace period: the scheduler walks the notifier
 * list with preemption disabled. Registered trackers pin the module.
 * So that a long-lived thread does not collect the trackers of fds other
 * threads closed, the release queues a task_work on the tracked thread,
 * which unlinks the notifier itself on its way back to user space (or in
 * do_exit()); only when the thread is past running task works does the
 * final context switch end the registration.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/smp.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/task_work.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>
#include <linux/percpu.h>
#include <linux/module.h>
#include <linux/ioasid_kernel.h>
#include <kunit/visibility.h>

#include "ioasid_private.h"
#include "hw_pagetable.h"
#include "request.h"
#include "decision_log.h"

/* wbinvd executed per CPU, read by the test module through a hook. */
static DEFINE_PER_CPU(u64, ioasid_flush_count);

#ifdef CONFIG_PREEMPT_NOTIFIERS
/**
 * struct ioasid_cpu_tracker - the CPUs one thread ran on since it flushed
 * @pn: linked on @task's preempt notifier list
 * @task: the tracked thread (referenced)
 * @ran_on: CPUs @task was scheduled in on; only @task changes it
 * @users: one for the fd, one while @pn is linked
 * @unlink: queued on @task when the fd went away in another thread
 * @rcu: the final free, after the scheduler stopped walking @pn
 */
struct ioasid_cpu_tracker {
	struct preempt_notifier pn;
	struct task_struct *task;
	cpumask_var_t ran_on;
	refcount_t users;
	struct callback_head unlink;
	struct rcu_head rcu;
};

static void tracker_free_rcu(struct rcu_head *head)
{
	struct ioasid_cpu_tracker *t =
		container_of(head, struct ioasid_cpu_tracker, rcu);

	free_cpumask_var(t->ran_on);
	put_task_struct(t->task);
	kfree(t);
	atomic_long_dec(&ioasid_stats.flush_trackers);
	/* ioasid_flush_exit() runs rcu_barrier() before the module goes. */
	module_put(THIS_MODULE);
}

static void tracker_put(struct ioasid_cpu_tracker *t)
{
	if (refcount_dec_and_test(&t->users))
		call_rcu(&t->rcu, tracker_free_rcu);
}

static void tracker_sched_in(struct preempt_notifier *pn, int cpu)
{
	struct ioasid_cpu_tracker *t =
		container_of(pn, struct ioasid_cpu_tracker, pn);

	cpumask_set_cpu(cpu, t->ran_on);
}

static void tracker_sched_out(struct preempt_notifier *pn,
			      struct task_struct *next)
{
	struct ioasid_cpu_tracker *t =
		container_of(pn, struct ioasid_cpu_tracker, pn);

	/*
	 * The last switch away from an exiting thread: its notifier list is
	 * never walked again, so the registration ends without unlinking.
	 */
	if (READ_ONCE(current->__state) == TASK_DEAD)
		tracker_put(t);
}

static struct preempt_ops tracker_preempt_ops = {
	.sched_in = tracker_sched_in,
	.sched_out = tracker_sched_out,
};

/* Track current for @ctx, unless some thread already is. */
static void tracker_start(struct ioasid_ctx *ctx)
{
	struct ioasid_cpu_tracker *t;

	if (READ_ONCE(ctx->flush.tracker))
		return;
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return;
	if (!zalloc_cpumask_var(&t->ran_on, GFP_KERNEL_ACCOUNT)) {
		kfree(t);
		return;
	}
	refcount_set(&t->users, 2);
	t->task = get_task_struct(current);
	preempt_notifier_init(&t->pn, &tracker_preempt_ops);
	__module_get(THIS_MODULE);
	atomic_long_inc(&ioasid_stats.flush_trackers);

	spin_lock(&ctx->flush.lock);
	if (ctx->flush.tracker) {
		spin_unlock(&ctx->flush.lock);
		refcount_set(&t->users, 1);
		tracker_put(t);
		return;
	}
	ctx->flush.tracker = t;
	spin_unlock(&ctx->flush.lock);

	preempt_disable();
	cpumask_set_cpu(smp_processor_id(), t->ran_on);
	preempt_notifier_register(&t->pn);
	preempt_enable();
}

/* Is current the thread whose CPUs are tracked (or none is, yet)? */
static bool tracker_is_current(struct ioasid_ctx *ctx)
{
	struct ioasid_cpu_tracker *t = READ_ONCE(ctx->flush.tracker);

	return !t || t->task == current;
}

/*
 * The CPUs to flush for current: those it ran on since its last flush if
 * it is the tracked thread, else every online CPU.
 */
static void tracker_cpus(struct ioasid_ctx *ctx, struct cpumask *cpus)
{
	struct ioasid_cpu_tracker *t = READ_ONCE(ctx->flush.tracker);

	if (!t || t->task != current) {
		cpumask_copy(cpus, cpu_online_mask);
		return;
	}
	/* Only this thread's sched_in writes @ran_on; keep it off meanwhile. */
	preempt_disable();
	cpumask_copy(cpus, t->ran_on);
	preempt_enable();
	cpumask_and(cpus, cpus, cpu_online_mask);
}

/*
 * @cpus are about to be flushed: a new interval starts for the tracked
 * thread. CPUs it reached since tracker_cpus() stay recorded.
 */
static void tracker_restart(struct ioasid_ctx *ctx, const struct cpumask *cpus)
{
	struct ioasid_cpu_tracker *t = READ_ONCE(ctx->flush.tracker);

	if (!t || t->task != current)
		return;
	preempt_disable();
	cpumask_andnot(t->ran_on, t->ran_on, cpus);
	cpumask_set_cpu(smp_processor_id(), t->ran_on);
	preempt_enable();
}

/* In the tracked thread: unlink the notifier, end the registration. */
static void tracker_unlink(struct ioasid_cpu_tracker *t)
{
	preempt_disable();
	preempt_notifier_unregister(&t->pn);
	preempt_enable();
	tracker_put(t);
}

static void tracker_unlink_work(struct callback_head *head)
{
	tracker_unlink(container_of(head, struct ioasid_cpu_tracker, unlink));
}

/**
 * ioasid_flush_release - the fd is going away: stop tracking
 * @ctx: the fd
 *
 * In the tracked thread the notifier is unlinked at once; elsewhere the
 * tracked thread is asked to (task_work), unless it is exiting already.
 */
void ioasid_flush_release(struct ioasid_ctx *ctx)
{
	struct ioasid_cpu_tracker *t = ctx->flush.tracker;

	if (!t)
		return;
	ctx->flush.tracker = NULL;
	if (t->task == current) {
		tracker_unlink(t);
	} else {
		init_task_work(&t->unlink, tracker_unlink_work);
		/* -ESRCH: past exit_task_work(), sched_out ends it. */
		task_work_add(t->task, &t->unlink, TWA_RESUME);
	}
	tracker_put(t);
}

/**
 * ioasid_flush_init - enable the preempt notifiers the trackers use
 */
void ioasid_flush_init(void)
{
	preempt_notifier_inc();
}

/**
 * ioasid_flush_exit - wait for freed trackers, disable the notifiers
 */
void ioasid_flush_exit(void)
{
	rcu_barrier();
	preempt_notifier_dec();
}
#else
static void tracker_start(struct ioasid_ctx *ctx)
{
}

static bool tracker_is_current(struct ioasid_ctx *ctx)
{
	return true;
}

static void tracker_cpus(struct ioasid_ctx *ctx, struct cpumask *cpus)
{
	cpumask_copy(cpus, cpu_online_mask);
}

static void tracker_restart(struct ioasid_ctx *ctx, const struct cpumask *cpus)
{
}

void ioasid_flush_release(struct ioasid_ctx *ctx)
{
}

void ioasid_flush_init(void)
{
}

void ioasid_flush_exit(void)
{
}
#endif

/**
 * ioasid_test_flush_count - test hook: wbinvd executed on @cpu so far
 * @cpu: a possible CPU
 *
 * Return: the count, or 0 for an impossible CPU.
 */
u64 ioasid_test_flush_count(unsigned int cpu)
{
	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return 0;
	return READ_ONCE(per_cpu(ioasid_flush_count, cpu));
}
EXPORT_SYMBOL_NS_GPL(ioasid_test_flush_count, IOASID_TEST);

/*
 * What the built-in policy grants a non-coherent attachment. Bounded: an
 * all-CPU WBINVD stalls the whole host, so no fd gets it without limit
 * unless a policy says so. Writable by root; attachments made later get
 * the new values.
 */
unsigned int ioasid_builtin_flush_rate = 100;
unsigned int ioasid_builtin_flush_burst = 10;

static int flush_param_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 1000000);
}

static const struct kernel_param_ops flush_param_ops = {
	.set = flush_param_set,
	.get = param_get_uint,
};

module_param_cb(builtin_flush_rate, &flush_param_ops,
		&ioasid_builtin_flush_rate, 0644);
MODULE_PARM_DESC(builtin_flush_rate,
		 "cache flushes per second the built-in policy grants a non-coherent attachment (1-1000000, default 100)");
module_param_cb(builtin_flush_burst, &flush_param_ops,
		&ioasid_builtin_flush_burst, 0644);
MODULE_PARM_DESC(builtin_flush_burst,
		 "cache flushes at once the built-in policy grants (1-1000000, default 10)");

/* Bring the bucket up to @now at the rate in force until now. */
static void bucket_refill(struct ioasid_flush_grant *g, u64 now)
{
	u64 cap = (u64)g->burst * NSEC_PER_SEC;

	/* Saturate: a long idle time must not overflow the product. */
	if (!g->rate || now - g->last_ns >= cap / g->rate + 1)
		g->tokens = cap;
	else
		g->tokens = min(cap, g->tokens + (now - g->last_ns) * g->rate);
	g->last_ns = now;
}

/* Is grant (@r1, @b1) stricter than (@r2, @b2)? Rate 0 is unlimited. */
static bool grant_stricter(u32 r1, u32 b1, u32 r2, u32 b2)
{
	u64 k1 = r1 ? r1 : U64_MAX, k2 = r2 ? r2 : U64_MAX;

	return k1 < k2 || (k1 == k2 && b1 < b2);
}

/*
 * The fd flushes at the strictest grant of its attachments in force, or
 * not at all if none grants. A new rate and burst keep the tokens and
 * the clock: brought up to now at the old rate, clamped to the new burst.
 * A fd's first grant starts with a full bucket.
 */
static void flush_regrant(struct ioasid_ctx *ctx, u64 now)
{
	struct ioasid_flush_grant *g = &ctx->flush;
	struct ioasid_flush_src *src;
	bool found = false;
	u32 rate = 0, burst = 0;

	lockdep_assert_held(&g->lock);
	list_for_each_entry(src, &g->srcs, node) {
		if (!src->granted)
			continue;
		if (!found || grant_stricter(src->rate, src->burst, rate, burst)) {
			rate = src->rate;
			burst = src->burst;
		}
		found = true;
	}
	g->granted = found;
	if (!found)
		return;
	if (g->started) {
		bucket_refill(g, now);
	} else {
		g->tokens = (u64)burst * NSEC_PER_SEC;
		g->last_ns = now;
		g->started = true;
	}
	g->rate = rate;
	g->burst = burst;
	g->tokens = min(g->tokens, (u64)burst * NSEC_PER_SEC);
}

/* Who attached and what granted: for the records of the fd's flushes. */
static void flush_src_name(struct ioasid_flush_src *src,
			   const struct ioasid_policy_req *req,
			   const struct ioasid_policy_decision *decision)
{
	struct ioasid_flush_who *who = &src->who;

	who->bdf = req->bdf;
	who->vendor = req->vendor;
	who->device = req->device;
	strscpy(who->driver, req->driver, sizeof(who->driver));
	who->policy_id = decision->policy_id;
	strscpy(who->policy, decision->policy, sizeof(who->policy));
	strscpy(who->reason, decision->reason, sizeof(who->reason));
}

/*
 * What a flush record says of @ctx: its attachments, and the one whose
 * grant is in force (the strictest, as flush_regrant() chose), else the
 * first one.
 */
static void flush_info(struct ioasid_ctx *ctx, struct ioasid_flush_info *fi)
{
	struct ioasid_flush_grant *g = &ctx->flush;
	const struct ioasid_flush_src *src, *named = NULL;
	bool in_force = false;

	memset(fi, 0, sizeof(*fi));
	guard(spinlock)(&g->lock);
	list_for_each_entry(src, &g->srcs, node) {
		fi->nr_attached++;
		if (src->noncoherent)
			fi->nr_noncoherent++;
		if (in_force)
			continue;
		if (g->granted && src->granted && src->rate == g->rate &&
		    src->burst == g->burst) {
			named = src;
			in_force = true;
		} else if (!named) {
			named = src;
		}
	}
	fi->granted = g->granted;
	fi->rate = g->rate;
	fi->burst = g->burst;
	if (named)
		fi->who = named->who;
}

/*
 * ctx->nr_noncoherent counts the attachments in force through a domain
 * without snoop control: groups at their RID and PASID attachments. Each
 * keeps the grant its decision made (struct ioasid_flush_src).
 */

/**
 * ioasid_flush_note_attach - an attachment was made or moved to @hwpt
 * @ctx: the fd
 * @src: the attachment's part in the grant (in force or not yet)
 * @hwpt: the domain it goes through now
 * @merge: another device of an attached group joined the same domain:
 *	its grant can only make the group's stricter
 * @req: the request decided (the device, named in flush records)
 * @decision: the policy decision applied (its flush grant)
 *
 * Context: under the lock of what owns @src (the group's lock).
 */
void ioasid_flush_note_attach(struct ioasid_ctx *ctx,
			      struct ioasid_flush_src *src,
			      const struct ioasid_hwpt *hwpt, bool merge,
			      const struct ioasid_policy_req *req,
			      const struct ioasid_policy_decision *decision)
{
	bool noncoherent = !hwpt->enforce_cc;
	bool grant = noncoherent &&
		     decision->flags & IOASID_DECISION_FLUSH_GRANT;
	u32 burst = max(decision->flush_burst, 1U);

	guard(spinlock)(&ctx->flush.lock);
	if (merge && src->linked) {
		if (grant && (!src->granted ||
			      grant_stricter(decision->flush_rate, burst,
					     src->rate, src->burst))) {
			src->granted = true;
			src->rate = decision->flush_rate;
			src->burst = burst;
			flush_src_name(src, req, decision);
		}
	} else {
		if (src->linked && src->noncoherent)
			atomic_dec(&ctx->nr_noncoherent);
		if (!src->linked)
			list_add_tail(&src->node, &ctx->flush.srcs);
		src->linked = true;
		src->noncoherent = noncoherent;
		if (noncoherent)
			atomic_inc(&ctx->nr_noncoherent);
		src->granted = grant;
		src->rate = decision->flush_rate;
		src->burst = burst;
		flush_src_name(src, req, decision);
	}
	flush_regrant(ctx, ktime_get_ns());
}

/**
 * ioasid_flush_note_detach - an attachment is no longer in force
 * @ctx: the fd
 * @src: its part in the grant
 *
 * Context: under the lock of what owns @src.
 */
void ioasid_flush_note_detach(struct ioasid_ctx *ctx,
			      struct ioasid_flush_src *src)
{
	guard(spinlock)(&ctx->flush.lock);
	if (!src->linked)
		return;
	list_del(&src->node);
	src->linked = false;
	if (src->noncoherent)
		atomic_dec(&ctx->nr_noncoherent);
	flush_regrant(ctx, ktime_get_ns());
}

/* Take @cost flushes (at most the burst) at @now: 0, -EPERM, -EAGAIN. */
static int bucket_take(struct ioasid_flush_grant *g, u64 now, u32 cost)
{
	u64 need;

	lockdep_assert_held(&g->lock);
	if (!g->granted)
		return -EPERM;
	if (!g->rate)
		return 0;
	bucket_refill(g, now);
	need = (u64)clamp(cost, 1U, g->burst) * NSEC_PER_SEC;
	if (g->tokens < need)
		return -EAGAIN;
	g->tokens -= need;
	return 0;
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * ioasid_flush_bucket_take - take one flush from a grant's bucket at @now
 * @g: the grant, locked
 * @now: the time in ns (a parameter, so KUnit can drive the clock)
 *
 * Return: 0, -EPERM (no grant) or -EAGAIN (bucket empty).
 */
int ioasid_flush_bucket_take(struct ioasid_flush_grant *g, u64 now)
{
	return bucket_take(g, now, 1);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_flush_bucket_take);
#endif

/*
 * Take what a flush of @nr_cpus costs: one token from the tracked thread,
 * one per CPU (at most the burst) from any other. Refusals are counted.
 */
static int flush_take(struct ioasid_ctx *ctx, bool tracked, u32 nr_cpus)
{
	int rc;

	spin_lock(&ctx->flush.lock);
	rc = bucket_take(&ctx->flush, ktime_get_ns(), tracked ? 1 : nr_cpus);
	spin_unlock(&ctx->flush.lock);
	if (rc == -EAGAIN)
		atomic_long_inc(&ioasid_stats.flush_throttled);
	else if (rc)
		atomic_long_inc(&ioasid_stats.flush_refused);
	return rc;
}

#ifdef CONFIG_X86
static void ioasid_wbinvd(void *unused)
{
	wbinvd();
	this_cpu_inc(ioasid_flush_count);
}
#endif

int ioasid_cache_flush_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_cache_flush *cmd = ucmd->cmd;
	struct ioasid_req_caller caller = {
		.ctx = ucmd->ctx,
		.op = IOASID_POLICY_OP_CACHE_FLUSH,
	};
	struct ioasid_policy_eval *eval;
	struct ioasid_flush_info fi;
	cpumask_var_t cpus;
	bool first;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (!IS_ENABLED(CONFIG_X86))
		return -EOPNOTSUPP;

	if (!alloc_cpumask_var(&cpus, GFP_KERNEL))
		return -ENOMEM;
	first = !READ_ONCE(ucmd->ctx->flush.tracker);
	tracker_cpus(ucmd->ctx, cpus);
	caller.nr_flush_cpus = cpumask_weight(cpus);
	rc = flush_take(ucmd->ctx, tracker_is_current(ucmd->ctx),
			caller.nr_flush_cpus);
	flush_info(ucmd->ctx, &fi);
	if (rc) {
		ioasid_decision_log_core(ucmd->ctx, IOASID_POLICY_OP_CACHE_FLUSH,
					 rc, rc == -EPERM ? "no cache-flush grant" :
					 "over the granted flush rate", &fi);
		goto out_cpus;
	}
	eval = kzalloc(sizeof(*eval), GFP_KERNEL);
	if (!eval) {
		rc = -ENOMEM;
		goto out_cpus;
	}
	ioasid_request_build(&eval->req, NULL, &caller);
	eval->flush = &fi;
	rc = ioasid_policy_evaluate(eval);
	kfree(eval);
	if (rc) {
		atomic_long_inc(&ioasid_stats.flush_refused);
		goto out_cpus;
	}

	tracker_restart(ucmd->ctx, cpus);
#ifdef CONFIG_X86
	on_each_cpu_cond_mask(NULL, ioasid_wbinvd, NULL, true, cpus);
#endif
	if (first)
		tracker_start(ucmd->ctx);
	cmd->out_nr_cpus = cpumask_weight(cpus);
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
out_cpus:
	free_cpumask_var(cpus);
	return rc;
}
