// SPDX-License-Identifier: GPL-2.0
/*
 * IOASID_CACHE_FLUSH: the cache flush a user with non-coherent DMA needs
 * (a VMM emulating a guest's WBINVD), granted by the policies at attach
 * and rate limited with a token bucket of @burst flushes refilled at
 * @rate per second (rate 0: unlimited).
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/smp.h>
#include <linux/ktime.h>
#include <linux/slab.h>

#include "ioasid_private.h"

/**
 * ioasid_flush_grant - let @ctx flush caches
 * @ctx: the fd
 * @rate: flushes per second (0: unlimited)
 * @burst: flushes allowed at once (at least one)
 *
 * A later grant replaces an earlier one; the bucket starts full.
 */
void ioasid_flush_grant(struct ioasid_ctx *ctx, u32 rate, u32 burst)
{
	guard(spinlock)(&ctx->flush.lock);
	ctx->flush.granted = true;
	ctx->flush.rate = rate;
	ctx->flush.burst = max(burst, 1U);
	ctx->flush.tokens = (u64)ctx->flush.burst * NSEC_PER_SEC;
	ctx->flush.last_ns = ktime_get_ns();
}

/**
 * ioasid_flush_revoke - the fd's last non-coherent attachment went
 * @ctx: the fd
 */
void ioasid_flush_revoke(struct ioasid_ctx *ctx)
{
	guard(spinlock)(&ctx->flush.lock);
	ctx->flush.granted = false;
}

/* Take one flush from the bucket: 0, -EPERM or -EAGAIN. */
static int flush_take(struct ioasid_ctx *ctx)
{
	struct ioasid_flush_grant *g = &ctx->flush;
	u64 now = ktime_get_ns(), cap;

	guard(spinlock)(&g->lock);
	if (!g->granted)
		return -EPERM;
	if (!g->rate)
		return 0;
	cap = (u64)g->burst * NSEC_PER_SEC;
	g->tokens = min(cap, g->tokens + (now - g->last_ns) * g->rate);
	g->last_ns = now;
	if (g->tokens < NSEC_PER_SEC)
		return -EAGAIN;
	g->tokens -= NSEC_PER_SEC;
	return 0;
}

#ifdef CONFIG_X86
static void ioasid_wbinvd(void *unused)
{
	wbinvd();
}
#endif

int ioasid_cache_flush_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_cache_flush *cmd = ucmd->cmd;
	struct ioasid_policy_eval *eval;
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

	eval = kzalloc(sizeof(*eval), GFP_KERNEL);
	if (!eval)
		return -ENOMEM;
	eval->req.op = IOASID_POLICY_OP_CACHE_FLUSH;
	eval->req.nr_flush_cpus = num_online_cpus();
	ioasid_policy_fill_caller(ucmd->ctx, &eval->req);
	rc = ioasid_policy_evaluate(eval);
	kfree(eval);
	if (rc)
		return rc;

#ifdef CONFIG_X86
	on_each_cpu_cond_mask(NULL, ioasid_wbinvd, NULL, true, cpu_online_mask);
#endif
	cmd->out_nr_cpus = num_online_cpus();
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}
