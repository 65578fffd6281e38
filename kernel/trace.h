/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioasid tracepoints: one event per policy decision.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ioasid

#if !defined(__IOASID_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define __IOASID_TRACE_H

#include <linux/tracepoint.h>
#include <linux/ioasid_policy.h>

TRACE_EVENT(ioasid_decision,
	    TP_PROTO(const struct ioasid_policy_req *req,
		     const struct ioasid_policy_decision *d, u32 nr_asked),
	    TP_ARGS(req, d, nr_asked),
	    TP_STRUCT__entry(__field(u32, op)
			     __field(u32, flags)
			     __field(u16, vendor)
			     __field(u16, device)
			     __field(u32, bdf)
			     __field(u32, ioas_id)
			     __field(u32, pasid)
			     __field(u32, uid)
			     __field(u64, fd_id)
			     __field(s32, verdict)
			     __field(u32, snoop)
			     __field(u32, dflags)
			     __field(u32, nr_asked)
			     __array(char, policy, IOASID_POLICY_NAME_LEN)
			     __array(char, reason, IOASID_REASON_LEN)),
	    TP_fast_assign(__entry->op = req->op;
			   __entry->flags = req->flags;
			   __entry->vendor = req->vendor;
			   __entry->device = req->device;
			   __entry->bdf = req->bdf;
			   __entry->ioas_id = req->ioas_id;
			   __entry->pasid = req->pasid;
			   __entry->uid = req->uid;
			   __entry->fd_id = req->fd_id;
			   __entry->verdict = d->verdict;
			   __entry->snoop = d->snoop;
			   __entry->dflags = d->flags;
			   __entry->nr_asked = nr_asked;
			   memcpy(__entry->policy, d->policy, IOASID_POLICY_NAME_LEN);
			   memcpy(__entry->reason, d->reason, IOASID_REASON_LEN);
			   __entry->policy[IOASID_POLICY_NAME_LEN - 1] = 0;
			   __entry->reason[IOASID_REASON_LEN - 1] = 0;),
	    TP_printk("op=%u dev=%04x:%04x bdf=%x ioas=%u pasid=%u uid=%u fd=%llu req_flags=%#x verdict=%d snoop=%u flags=%#x policy=%s asked=%u reason=\"%s\"",
		      __entry->op, __entry->vendor, __entry->device,
		      __entry->bdf, __entry->ioas_id, __entry->pasid,
		      __entry->uid, __entry->fd_id, __entry->flags,
		      __entry->verdict, __entry->snoop, __entry->dflags,
		      __entry->policy, __entry->nr_asked, __entry->reason)
);

/*
 * What a revalidation did to an attachment in force whose decision changed:
 * outcome is IOASID_DECISION_REVOKED, IOASID_DECISION_NEEDS_REATTACH or 0
 * (a new flush grant or PASID range applied).
 */
TRACE_EVENT(ioasid_revalidated,
	    TP_PROTO(const struct ioasid_policy_req *req,
		     const struct ioasid_policy_decision *d, u32 outcome),
	    TP_ARGS(req, d, outcome),
	    TP_STRUCT__entry(__field(u32, op)
			     __field(u32, bdf)
			     __field(u32, ioas_id)
			     __field(u32, pasid)
			     __field(u64, fd_id)
			     __field(s32, verdict)
			     __field(u32, snoop)
			     __field(u32, outcome)
			     __field(u32, flush_rate)
			     __field(u32, flush_burst)
			     __array(char, policy, IOASID_POLICY_NAME_LEN)),
	    TP_fast_assign(__entry->op = req->op;
			   __entry->bdf = req->bdf;
			   __entry->ioas_id = req->ioas_id;
			   __entry->pasid = req->pasid;
			   __entry->fd_id = req->fd_id;
			   __entry->verdict = d->verdict;
			   __entry->snoop = d->snoop;
			   __entry->outcome = outcome;
			   __entry->flush_rate = d->flush_rate;
			   __entry->flush_burst = d->flush_burst;
			   memcpy(__entry->policy, d->policy, IOASID_POLICY_NAME_LEN);
			   __entry->policy[IOASID_POLICY_NAME_LEN - 1] = 0;),
	    TP_printk("op=%u bdf=%x ioas=%u pasid=%u fd=%llu verdict=%d snoop=%u outcome=%#x flush=%u/%u policy=%s",
		      __entry->op, __entry->bdf, __entry->ioas_id,
		      __entry->pasid, __entry->fd_id, __entry->verdict,
		      __entry->snoop, __entry->outcome, __entry->flush_rate,
		      __entry->flush_burst, __entry->policy)
);

#endif /* __IOASID_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
