/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decision log: the last decision_log_size policy decisions, kept in a
 * ring and streamed to readers of IOASID_DECISIONS_OPEN fds as fixed-size
 * binary records (struct ioasid_decision_record, linux/ioasid.h).
 *
 * It is fed where a decision is final: ioasid_policy_evaluate() (attach,
 * PASID attach, cache flush, dry runs), ioasid_policy_notify_detach()
 * (detach), revalidations (what they did to an attachment in force) and
 * the cache-flush path when the core refuses before asking
 * (no grant, over the rate). The ioasid_decision tracepoint stays.
 */
#ifndef __IOASID_DECISION_LOG_H
#define __IOASID_DECISION_LOG_H

#include <linux/types.h>
#include <linux/ioasid_policy.h>

struct ioasid_ctx;
struct ioasid_ucmd;

int ioasid_decision_log_init(void);
void ioasid_decision_log_exit(void);
void ioasid_decision_log_add(const struct ioasid_policy_req *req,
			     const struct ioasid_policy_decision *policy,
			     const struct ioasid_policy_decision *final,
			     u32 nr_asked);
void ioasid_decision_log_revalidated(const struct ioasid_policy_req *req,
				     const struct ioasid_policy_decision *d,
				     u32 outcome);
void ioasid_decision_log_core(struct ioasid_ctx *ctx, u32 op, int err,
			      const char *reason);
int ioasid_decisions_open_ioctl(struct ioasid_ucmd *ucmd);

#endif /* __IOASID_DECISION_LOG_H */
