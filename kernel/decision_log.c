// SPDX-License-Identifier: GPL-2.0
/*
 * The decision log: a ring of the last decision_log_size decisions, read
 * through IOASID_DECISIONS_OPEN fds (linux/ioasid.h).
 *
 * Every decision gets the next sequence number; the ring keeps sequence
 * numbers [next_seq - size, next_seq). A reader remembers the next sequence
 * number it wants; if the ring has moved past it, the records in between
 * are gone and the reader is told how many in the @lost field of the next
 * record it reads. Writers never wait for readers.
 *
 * Locking: ioasid_decision_log.lock (a spinlock, interrupts off) protects
 * the ring and next_seq. It is the innermost lock of the module: it is
 * taken under any of the others (group and IOAS mutexes, the policy SRCU
 * read side, preemption disabled in detach callbacks) and nothing is taken
 * under it; readers copy one record out under it and copy to user space
 * after dropping it. The wait queue is woken after the lock is released.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/ioasid.h>

#include "ioasid_private.h"
#include "decision_log.h"
#include "request.h"

#define DECISION_LOG_MAX 65536

static unsigned int decision_log_size = 256;
module_param(decision_log_size, uint, 0444);
MODULE_PARM_DESC(decision_log_size,
		 "policy decisions kept for IOASID_DECISIONS_OPEN readers (1-65536, default 256)");

/**
 * struct ioasid_decision_log - the ring of recent decisions
 * @lock: protects @ring and @next_seq; innermost (see the file comment)
 * @ring: @size records; sequence number s lives at (s - 1) % @size
 * @size: records kept
 * @next_seq: sequence number of the next decision (the first is 1)
 * @wait: readers waiting for a decision
 */
struct ioasid_decision_log {
	spinlock_t lock;	/* innermost: see the file comment */
	struct ioasid_decision_record *ring;
	u32 size;
	u64 next_seq;
	wait_queue_head_t wait;
};

static struct ioasid_decision_log dlog = {
	.lock = __SPIN_LOCK_UNLOCKED(dlog.lock),
	.next_seq = 1,
	.wait = __WAIT_QUEUE_HEAD_INITIALIZER(dlog.wait),
};

/**
 * struct ioasid_decision_reader - one IOASID_DECISIONS_OPEN fd
 * @mutex: serializes read() on the fd (the position is per fd)
 * @next_seq: the next sequence number to return
 */
struct ioasid_decision_reader {
	struct mutex mutex;	/* serializes read() on this fd */
	u64 next_seq;
};

static struct ioasid_decision_record *log_slot(u64 seq)
{
	u32 idx;

	lockdep_assert_held(&dlog.lock);
	div_u64_rem(seq - 1, dlog.size, &idx);
	return &dlog.ring[idx];
}

static u64 log_oldest_locked(void)
{
	lockdep_assert_held(&dlog.lock);
	return dlog.next_seq > dlog.size ? dlog.next_seq - dlog.size : 1;
}

/*
 * The slot of the next decision, its header filled; NULL before the ring
 * exists (KUnit suites may decide early). log_commit() publishes it.
 */
static struct ioasid_decision_record *log_begin(u32 op)
{
	struct ioasid_decision_record *rec;

	lockdep_assert_held(&dlog.lock);
	if (!dlog.ring)
		return NULL;
	rec = log_slot(dlog.next_seq);
	memset(rec, 0, sizeof(*rec));
	rec->hdr.size = sizeof(*rec);
	rec->hdr.version = IOASID_DECISION_RECORD_VERSION;
	rec->hdr.kind = op;
	rec->hdr.seq = dlog.next_seq;
	rec->hdr.time_ns = ktime_get_real_ns();
	return rec;
}

/* Publish the record log_begin() gave and wake the readers. */
static void log_commit(unsigned long irqflags)
	__releases(&dlog.lock)
{
	dlog.next_seq++;
	spin_unlock_irqrestore(&dlog.lock, irqflags);
	wake_up_interruptible_poll(&dlog.wait, EPOLLIN | EPOLLRDNORM);
}

static void log_set_req(struct ioasid_decision_record *rec,
			const struct ioasid_policy_req *req)
{
	rec->cgroup_id = req->cgroup_id;
	rec->fd_id = req->fd_id;
	rec->uid = req->uid;
	rec->pid = req->pid;
	rec->req_flags = req->flags;
	rec->bdf = req->bdf;
	rec->vendor = req->vendor;
	rec->device = req->device;
	rec->ioas_id = req->ioas_id;
	rec->pasid = req->pasid;
	strscpy(rec->driver, req->driver, sizeof(rec->driver));
}

/* A cache flush: the fd's attachments and the grant in force. */
static void log_set_flush(struct ioasid_decision_record *rec,
			  const struct ioasid_flush_info *fi)
{
	if (!fi)
		return;
	rec->nr_attached = fi->nr_attached;
	rec->nr_noncoherent = fi->nr_noncoherent;
	rec->bdf = fi->who.bdf;
	rec->vendor = fi->who.vendor;
	rec->device = fi->who.device;
	strscpy(rec->driver, fi->who.driver, sizeof(rec->driver));
	if (!fi->granted)
		return;
	rec->decision_flags |= IOASID_DECISION_FLUSH_GRANT;
	rec->flush_rate = fi->rate;
	rec->flush_burst = fi->burst;
	rec->grant_policy_id = fi->who.policy_id;
	strscpy(rec->grant_policy, fi->who.policy, sizeof(rec->grant_policy));
	strscpy(rec->grant_reason, fi->who.reason, sizeof(rec->grant_reason));
}

/**
 * ioasid_decision_log_add - record a decision
 * @req: the request decided
 * @policy: the decision as the policies (or the built-in) made it, before
 *	the core checked it against the hardware; NULL for a detach
 * @final: the decision the caller gets; NULL for a detach
 * @nr_asked: policies asked
 * @flush: for a cache flush, the fd's attachments and grant; else NULL
 *
 * Where @policy allowed and @final refuses, the core refused: the record
 * keeps the policy's reason and the core's errno and reason apart.
 *
 * Context: any; takes only the log's spinlock.
 */
void ioasid_decision_log_add(const struct ioasid_policy_req *req,
			     const struct ioasid_policy_decision *policy,
			     const struct ioasid_policy_decision *final,
			     u32 nr_asked, const struct ioasid_flush_info *flush)
{
	struct ioasid_decision_record *rec;
	unsigned long irqflags;

	spin_lock_irqsave(&dlog.lock, irqflags);
	rec = log_begin(req->op);
	if (!rec) {
		spin_unlock_irqrestore(&dlog.lock, irqflags);
		return;
	}
	log_set_req(rec, req);
	rec->nr_asked = nr_asked;
	if (policy && final) {
		rec->error = final->verdict;
		rec->policy_verdict = policy->verdict;
		rec->decision_flags = final->flags;
		rec->snoop = final->snoop;
		rec->flush_rate = final->flush_rate;
		rec->flush_burst = final->flush_burst;
		rec->policy_id = final->policy_id;
		strscpy(rec->policy, final->policy, sizeof(rec->policy));
		strscpy(rec->policy_reason, policy->reason,
			sizeof(rec->policy_reason));
		if (!policy->verdict && final->verdict) {
			rec->core_error = final->verdict;
			rec->decision_flags |= IOASID_DECISION_CORE_REFUSED;
			strscpy(rec->core_reason, final->reason,
				sizeof(rec->core_reason));
		}
	}
	log_set_flush(rec, flush);
	log_commit(irqflags);
}

/**
 * ioasid_decision_log_revalidated - record what a revalidation did
 * @req: the revalidation's request (IOASID_REQ_REVALIDATE)
 * @d: the decision it made
 * @outcome: IOASID_DECISION_REVOKED, IOASID_DECISION_NEEDS_REATTACH, or 0
 *	(a new flush grant or PASID range applied)
 *
 * A record of kind IOASID_DECISION_KIND_REVALIDATED.
 * Context: any; takes only the log's spinlock.
 */
void ioasid_decision_log_revalidated(const struct ioasid_policy_req *req,
				     const struct ioasid_policy_decision *d,
				     u32 outcome)
{
	struct ioasid_decision_record *rec;
	unsigned long irqflags;

	spin_lock_irqsave(&dlog.lock, irqflags);
	rec = log_begin(IOASID_DECISION_KIND_REVALIDATED);
	if (!rec) {
		spin_unlock_irqrestore(&dlog.lock, irqflags);
		return;
	}
	log_set_req(rec, req);
	rec->error = d->verdict;
	rec->policy_verdict = d->verdict;
	rec->decision_flags = d->flags | outcome;
	rec->snoop = d->snoop;
	rec->flush_rate = d->flush_rate;
	rec->flush_burst = d->flush_burst;
	rec->policy_id = d->policy_id;
	strscpy(rec->policy, d->policy, sizeof(rec->policy));
	strscpy(rec->policy_reason, d->reason, sizeof(rec->policy_reason));
	log_commit(irqflags);
}

/**
 * ioasid_decision_log_core - record a refusal of the core made before any
 *	policy was asked
 * @ctx: the fd asking
 * @op: enum ioasid_policy_op
 * @err: the negative errno the caller gets
 * @reason: why
 * @flush: for a cache flush, the fd's attachments and grant; else NULL
 *
 * Context: process context.
 */
void ioasid_decision_log_core(struct ioasid_ctx *ctx, u32 op, int err,
			      const char *reason,
			      const struct ioasid_flush_info *flush)
{
	struct ioasid_req_caller caller = { .ctx = ctx, .op = op };
	struct ioasid_decision_record *rec;
	struct ioasid_policy_req req;
	unsigned long irqflags;

	ioasid_request_build(&req, NULL, &caller);
	spin_lock_irqsave(&dlog.lock, irqflags);
	rec = log_begin(op);
	if (!rec) {
		spin_unlock_irqrestore(&dlog.lock, irqflags);
		return;
	}
	log_set_req(rec, &req);
	rec->error = err;
	rec->core_error = err;
	rec->decision_flags = IOASID_DECISION_CORE_REFUSED;
	strscpy(rec->core_reason, reason, sizeof(rec->core_reason));
	log_set_flush(rec, flush);
	log_commit(irqflags);
}

/*
 * Copy the reader's next record to @rec: false if there is none yet. Moves
 * a reader the ring overtook to the oldest record and says how many it lost.
 */
static bool reader_take(struct ioasid_decision_reader *r,
			struct ioasid_decision_record *rec)
{
	u64 oldest, lost = 0;

	guard(spinlock_irqsave)(&dlog.lock);
	if (r->next_seq >= dlog.next_seq)
		return false;
	oldest = log_oldest_locked();
	if (r->next_seq < oldest) {
		lost = oldest - r->next_seq;
		r->next_seq = oldest;
	}
	*rec = *log_slot(r->next_seq);
	rec->hdr.lost = lost;
	r->next_seq++;
	return true;
}

static bool reader_ready(struct ioasid_decision_reader *r)
{
	guard(spinlock_irqsave)(&dlog.lock);
	return r->next_seq < dlog.next_seq;
}

static ssize_t decisions_read(struct file *file, char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct ioasid_decision_reader *r = file->private_data;
	struct ioasid_decision_record *rec;
	size_t done = 0;
	ssize_t rc = 0;

	if (count < sizeof(*rec))
		return -EINVAL;
	rec = kmalloc(sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	if (mutex_lock_interruptible(&r->mutex)) {
		kfree(rec);
		return -ERESTARTSYS;
	}
	while (count - done >= sizeof(*rec)) {
		if (!reader_take(r, rec)) {
			if (done)
				break;
			if (file->f_flags & O_NONBLOCK) {
				rc = -EAGAIN;
				break;
			}
			mutex_unlock(&r->mutex);
			rc = wait_event_interruptible(dlog.wait,
						      reader_ready(r));
			if (rc) {
				kfree(rec);
				return rc;
			}
			mutex_lock(&r->mutex);
			continue;
		}
		if (copy_to_user(buf + done, rec, sizeof(*rec))) {
			rc = -EFAULT;
			break;
		}
		done += sizeof(*rec);
	}
	mutex_unlock(&r->mutex);
	kfree(rec);
	return done ? done : rc;
}

static __poll_t decisions_poll(struct file *file, poll_table *wait)
{
	struct ioasid_decision_reader *r = file->private_data;

	poll_wait(file, &dlog.wait, wait);
	return reader_ready(r) ? EPOLLIN | EPOLLRDNORM : 0;
}

static int decisions_release(struct inode *inode, struct file *file)
{
	struct ioasid_decision_reader *r = file->private_data;

	mutex_destroy(&r->mutex);
	kfree(r);
	return 0;
}

static const struct file_operations ioasid_decisions_fops = {
	.owner = THIS_MODULE,
	.read = decisions_read,
	.poll = decisions_poll,
	.release = decisions_release,
	.llseek = noop_llseek,
};

int ioasid_decisions_open_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_decisions_open *cmd = ucmd->cmd;
	struct ioasid_decision_reader *r;
	struct file *file;
	int fd, rc;

	/* Every caller's identity is in the records. */
	if (!perfmon_capable())
		return -EPERM;
	if (cmd->flags & ~(IOASID_DECISIONS_NO_HISTORY |
			   IOASID_DECISIONS_NONBLOCK))
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	mutex_init(&r->mutex);
	scoped_guard(spinlock_irqsave, &dlog.lock)
		r->next_seq = cmd->flags & IOASID_DECISIONS_NO_HISTORY ?
				      dlog.next_seq : log_oldest_locked();

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		mutex_destroy(&r->mutex);
		kfree(r);
		return fd;
	}
	file = anon_inode_getfile("[ioasid-decisions]", &ioasid_decisions_fops,
				  r, O_RDONLY |
				  (cmd->flags & IOASID_DECISIONS_NONBLOCK ?
				   O_NONBLOCK : 0));
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		mutex_destroy(&r->mutex);
		kfree(r);
		return PTR_ERR(file);
	}
	cmd->out_fd = fd;
	cmd->out_record_size = sizeof(struct ioasid_decision_record);
	cmd->out_log_size = dlog.size;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		put_unused_fd(fd);
		fput(file);	/* releases @r */
		return rc;
	}
	fd_install(fd, file);
	return 0;
}

int ioasid_decision_log_init(void)
{
	BUILD_BUG_ON(sizeof(struct ioasid_decision_record) !=
		     IOASID_DECISION_RECORD_SIZE_V2);
	BUILD_BUG_ON(offsetof(struct ioasid_decision_record, nr_attached) !=
		     IOASID_DECISION_RECORD_SIZE_V1);
	BUILD_BUG_ON(sizeof_field(struct ioasid_decision_record,
				  grant_policy) != IOASID_POLICY_NAME_LEN);
	BUILD_BUG_ON(sizeof_field(struct ioasid_decision_record,
				  grant_reason) != IOASID_REASON_LEN);
	BUILD_BUG_ON(sizeof_field(struct ioasid_decision_record, driver) !=
		     IOASID_NAME_LEN);
	BUILD_BUG_ON(sizeof_field(struct ioasid_decision_record, policy) !=
		     IOASID_POLICY_NAME_LEN);
	BUILD_BUG_ON(sizeof_field(struct ioasid_decision_record,
				  policy_reason) != IOASID_REASON_LEN);
	BUILD_BUG_ON(sizeof_field(struct ioasid_decision_record,
				  core_reason) != IOASID_REASON_LEN);

	if (!decision_log_size || decision_log_size > DECISION_LOG_MAX) {
		pr_err("decision_log_size=%u: want 1-%u\n", decision_log_size,
		       DECISION_LOG_MAX);
		return -EINVAL;
	}
	dlog.ring = kvcalloc(decision_log_size, sizeof(*dlog.ring),
			     GFP_KERNEL);
	if (!dlog.ring)
		return -ENOMEM;
	dlog.size = decision_log_size;
	return 0;
}

void ioasid_decision_log_exit(void)
{
	/* Reader fds hold a module reference: none is left. */
	kvfree(dlog.ring);
	dlog.ring = NULL;
}
