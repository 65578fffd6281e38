// SPDX-License-Identifier: GPL-2.0
/*
 * IOASID_CACHE_FLUSH: the cache flush a user with non-coherent DMA needs
 * (a VMM emulating a guest's WBINVD), granted by the policies at attach
 * and rate limited with a token bucket of @burst flushes refilled at
 * @rate per second (rate 0: unlimited).
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
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/smp.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/preempt.h>
#include <linux/percpu.h>
#include <linux/module.h>
#include <linux/ioasid_kernel.h>
#include <kunit/visibility.h>

#include "ioasid_private.h"
#include "hw_pagetable.h"
#include "request.h"

/* wbinvd executed per CPU, read by the test module through a hook. */
static DEFINE_PER_CPU(u64, ioasid_flush_count);

#ifdef CONFIG_PREEMPT_NOTIFIERS
/**
 * struct ioasid_cpu_tracker - the CPUs one thread ran on since it flushed
 * @pn: linked on @task's preempt notifier list
 * @task: the tracked thread (referenced)
 * @ran_on: CPUs @task was scheduled in on; only @task changes it
 * @users: one for the fd, one while @pn is linked
 * @rcu: the final free, after the scheduler stopped walking @pn
 */
struct ioasid_cpu_tracker {
	struct preempt_notifier pn;
	struct task_struct *task;
	cpumask_var_t ran_on;
	refcount_t users;
	struct rcu_head rcu;
};

static void tracker_free_rcu(struct rcu_head *head)
{
	struct ioasid_cpu_tracker *t =
		container_of(head, struct ioasid_cpu_tracker, rcu);

	free_cpumask_var(t->ran_on);
	put_task_struct(t->task);
	kfree(t);
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

/**
 * ioasid_flush_release - the fd is going away: stop tracking
 * @ctx: the fd
 */
void ioasid_flush_release(struct ioasid_ctx *ctx)
{
	struct ioasid_cpu_tracker *t = ctx->flush.tracker;

	if (!t)
		return;
	ctx->flush.tracker = NULL;
	if (t->task == current) {
		preempt_disable();
		preempt_notifier_unregister(&t->pn);
		preempt_enable();
		tracker_put(t);
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
 * Let @ctx flush caches at @rate per second (0: unlimited) with @burst at
 * once (at least one). A later grant replaces an earlier one; the bucket
 * starts full.
 */
static void flush_grant(struct ioasid_ctx *ctx, u32 rate, u32 burst)
{
	guard(spinlock)(&ctx->flush.lock);
	ctx->flush.granted = true;
	ctx->flush.rate = rate;
	ctx->flush.burst = max(burst, 1U);
	ctx->flush.tokens = (u64)ctx->flush.burst * NSEC_PER_SEC;
	ctx->flush.last_ns = ktime_get_ns();
}

/* The fd's last non-coherent attachment went. */
static void flush_revoke(struct ioasid_ctx *ctx)
{
	guard(spinlock)(&ctx->flush.lock);
	ctx->flush.granted = false;
}

/*
 * The grant follows the fd's non-coherent attachments: ctx->nr_noncoherent
 * counts the groups attached through a domain without snoop control. An
 * attach of a group to such a domain, decided with a grant, grants (or
 * renews) the flush; when the count drops to zero the grant ends. PASID
 * attachments do not count.
 */

/**
 * ioasid_flush_note_attach - a group was attached (or replaced) to @hwpt
 * @ctx: the fd
 * @hwpt: the domain the group is attached through now
 * @replaced: with a replace, the domain the group left (still valid)
 * @group_new: the group was not attached before (first device of the
 *	group, or a replace)
 * @decision: the policy decision applied (its flush grant)
 *
 * Context: under the group's lock, which orders a group's notes.
 */
void ioasid_flush_note_attach(struct ioasid_ctx *ctx,
			      const struct ioasid_hwpt *hwpt,
			      const struct ioasid_hwpt *replaced,
			      bool group_new,
			      const struct ioasid_policy_decision *decision)
{
	if (replaced && !replaced->enforce_cc)
		atomic_dec(&ctx->nr_noncoherent);
	if (group_new && !hwpt->enforce_cc)
		atomic_inc(&ctx->nr_noncoherent);
	if (!hwpt->enforce_cc && decision->flags & IOASID_DECISION_FLUSH_GRANT)
		flush_grant(ctx, decision->flush_rate, decision->flush_burst);
	if (!atomic_read(&ctx->nr_noncoherent))
		flush_revoke(ctx);
}

/**
 * ioasid_flush_note_detach - the last device of a group left @hwpt
 * @ctx: the fd
 * @hwpt: the domain the group was attached through
 *
 * Context: under the group's lock.
 */
void ioasid_flush_note_detach(struct ioasid_ctx *ctx,
			      const struct ioasid_hwpt *hwpt)
{
	if (!hwpt->enforce_cc && atomic_dec_and_test(&ctx->nr_noncoherent))
		flush_revoke(ctx);
}

/**
 * ioasid_flush_bucket_take - take one flush from a grant's bucket at @now
 * @g: the grant, locked
 * @now: the time in ns (a parameter, so KUnit can drive the clock)
 *
 * Return: 0, -EPERM (no grant) or -EAGAIN (bucket empty).
 */
VISIBLE_IF_KUNIT int ioasid_flush_bucket_take(struct ioasid_flush_grant *g,
					      u64 now)
{
	u64 cap;

	lockdep_assert_held(&g->lock);
	if (!g->granted)
		return -EPERM;
	if (!g->rate)
		return 0;
	cap = (u64)g->burst * NSEC_PER_SEC;
	/* Saturate: a long idle time must not overflow the product. */
	if (now - g->last_ns >= cap / g->rate + 1)
		g->tokens = cap;
	else
		g->tokens = min(cap, g->tokens + (now - g->last_ns) * g->rate);
	g->last_ns = now;
	if (g->tokens < NSEC_PER_SEC)
		return -EAGAIN;
	g->tokens -= NSEC_PER_SEC;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_flush_bucket_take);

/* Take one flush from the bucket: 0, -EPERM or -EAGAIN. */
static int flush_take(struct ioasid_ctx *ctx)
{
	guard(spinlock)(&ctx->flush.lock);
	return ioasid_flush_bucket_take(&ctx->flush, ktime_get_ns());
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
	cpumask_var_t cpus;
	bool first;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (!IS_ENABLED(CONFIG_X86))
		return -EOPNOTSUPP;
	rc = flush_take(ucmd->ctx);
	if (rc)
		return rc;

	if (!alloc_cpumask_var(&cpus, GFP_KERNEL))
		return -ENOMEM;
	eval = kzalloc(sizeof(*eval), GFP_KERNEL);
	if (!eval) {
		rc = -ENOMEM;
		goto out_cpus;
	}
	first = !READ_ONCE(ucmd->ctx->flush.tracker);
	tracker_cpus(ucmd->ctx, cpus);
	caller.nr_flush_cpus = cpumask_weight(cpus);
	ioasid_request_build(&eval->req, NULL, &caller);
	rc = ioasid_policy_evaluate(eval);
	kfree(eval);
	if (rc)
		goto out_cpus;

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
