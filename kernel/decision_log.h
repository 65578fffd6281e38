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

#include "ioasid_private.h"

struct ioasid_ctx;
struct ioasid_ucmd;

/**
 * struct ioasid_flush_info - what a cache flush's record says of its fd
 * @nr_attached: attachments in force (groups at their RID, PASIDs)
 * @nr_noncoherent: of which through a domain without snoop control
 * @granted: the fd holds a flush grant
 * @rate: the grant in force: flushes per second (0: unlimited)
 * @burst: flushes at once
 * @who: the attachment whose grant is in force, else the first one (its
 *	policy fields only when it grants)
 */
struct ioasid_flush_info {
	u32 nr_attached;
	u32 nr_noncoherent;
	bool granted;
	u32 rate;
	u32 burst;
	struct ioasid_flush_who who;
};

int ioasid_decision_log_init(void);
void ioasid_decision_log_exit(void);
void ioasid_decision_log_add(const struct ioasid_policy_req *req,
			     const struct ioasid_policy_decision *policy,
			     const struct ioasid_policy_decision *final,
			     u32 nr_asked, const struct ioasid_flush_info *flush);
void ioasid_decision_log_revalidated(const struct ioasid_policy_req *req,
				     const struct ioasid_policy_decision *d,
				     u32 outcome);
void ioasid_decision_log_core(struct ioasid_ctx *ctx, u32 op, int err,
			      const char *reason,
			      const struct ioasid_flush_info *flush);
int ioasid_decisions_open_ioctl(struct ioasid_ucmd *ucmd);

#endif /* __IOASID_DECISION_LOG_H */
