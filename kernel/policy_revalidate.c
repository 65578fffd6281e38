// SPDX-License-Identifier: GPL-2.0
/*
 * Revalidation: attachments already in force re-decided by the policy
 * stack when the rules change (IOASID_POLICY_REVALIDATE, which ioasidctl
 * rule add/del call: the kernel does not see writes to a policy's maps)
 * or the stack does (a policy registered, replaced or unregistered: a work
 * item, so that the new link's id is set when its decisions are recorded).
 *
 * Every bound device that user space (or a VFIO container, or the test
 * module's mocks) owns is on one list; a pass takes a short-term reference
 * on each (unbind waits for it in ioasid_object_destroy_held()), drops the
 * list's lock and re-decides one IOMMU group at a time under the group's
 * lock, exactly where an attach decides: no lock is held across the
 * policy programs that an attach does not hold. Devices bound
 * IOASID_BIND_KERNEL_OWNED (per-PASID kernel contexts) are not on the
 * list: their attachments belong to a kernel driver that could not be
 * told of a revocation.
 *
 * For each attachment (a group at its RID, a PASID attachment) the request
 * is the attach's, with IOASID_REQ_REVALIDATE and the caller identity of
 * the original attach. Then:
 *   - a denial (a policy's, or the core's: a PASID now outside the range,
 *     enforce-snoop the IOMMU cannot do) revokes: the attachment is
 *     detached as by IOASID_DEVICE_DETACH (for a RID, every device of the
 *     group: one member cannot be blocked alone), the policies get the
 *     detach notice, the device is marked IOASID_DEVICE_REVOKED;
 *   - another snoop mode than the domain's keeps everything as it is and
 *     marks the attachment IOASID_DEVICE_NEEDS_REATTACH (changing the
 *     grant of a non-coherent attachment that stays non-coherent could
 *     take the flushes its owner needs);
 *   - otherwise the new flush grant and PASID range apply at once; the
 *     fd's flush bucket keeps its tokens (flush.c).
 * A changed outcome is recorded (IOASID_DECISION_KIND_REVALIDATED) and
 * traced (ioasid_revalidated); the owner's /dev/ioasid fd polls EPOLLPRI
 * while one of its devices carries a state.
 *
 * Locking: ioasid_all_devices_lock protects the list only (nothing is
 * taken under it); a group is re-decided under its igroup->lock, as an
 * attach is (docs/design.md, "Lock order").
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/capability.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>
#include <linux/ioasid_device.h>
#include <kunit/visibility.h>

#include "io_pagetable.h"
#include "hw_pagetable.h"
#include "device.h"
#include "policy.h"
#include "decision_log.h"
#include "trace.h"

static LIST_HEAD(ioasid_all_devices);
/* Protects ioasid_all_devices; nothing is taken under it. */
static DEFINE_MUTEX(ioasid_all_devices_lock);

/**
 * struct ioasid_reval_counts - what one pass did
 * @nr: attachments re-decided
 * @changed: new flush grant or PASID range applied
 * @reattach: attachments needing a re-attach
 * @revoked: attachments revoked
 */
struct ioasid_reval_counts {
	u32 nr;
	u32 changed;
	u32 reattach;
	u32 revoked;
};

/* One RID attachment of a group being re-decided. */
struct ioasid_reval_item {
	struct ioasid_device *idev;
	struct ioasid_attach_result res;
	struct ioasid_policy_req req;
};

/**
 * ioasid_revalidate_track - put a newly bound device on the list
 * @idev: the device, just bound
 */
void ioasid_revalidate_track(struct ioasid_device *idev)
{
	INIT_LIST_HEAD(&idev->all_node);
	if (idev->bind_flags & IOASID_BIND_KERNEL_OWNED)
		return;
	guard(mutex)(&ioasid_all_devices_lock);
	list_add_tail(&idev->all_node, &ioasid_all_devices);
}

/**
 * ioasid_revalidate_untrack - take a device being unbound off the list
 * @idev: the device
 *
 * Context: before its group's lock is taken (the list's lock is a leaf).
 */
void ioasid_revalidate_untrack(struct ioasid_device *idev)
{
	guard(mutex)(&ioasid_all_devices_lock);
	list_del_init(&idev->all_node);
}

/**
 * ioasid_device_policy_state - the device's enum ioasid_device_policy_state
 * @idev: a bound device; its group's lock held
 *
 * Return: the state bits.
 */
u32 ioasid_device_policy_state(struct ioasid_device *idev)
{
	struct ioasid_pasid_attach *pa;
	unsigned long pasid;
	u32 state;

	lockdep_assert_held(&idev->igroup->lock);
	state = idev->rid_state;
	if (idev->pasid_revoked)
		state |= IOASID_DEVICE_REVOKED;
	xa_for_each(&idev->pasids, pasid, pa)
		if (pa->needs_reattach)
			state |= IOASID_DEVICE_NEEDS_REATTACH;
	return state;
}

/**
 * ioasid_device_policy_state_sync - count the device in its fd's events
 * @idev: a bound device whose state may have changed; its group's lock held
 *
 * Wakes the fd's poll() waiters when the device gains a state.
 */
void ioasid_device_policy_state_sync(struct ioasid_device *idev)
{
	struct ioasid_ctx *ctx = idev->ctx;
	bool ev = ioasid_device_policy_state(idev);

	if (ev == idev->has_event)
		return;
	idev->has_event = ev;
	if (ev) {
		atomic_inc(&ctx->nr_policy_events);
		wake_up_interruptible_poll(&ctx->policy_wait, EPOLLPRI);
	} else {
		atomic_dec(&ctx->nr_policy_events);
	}
}

/**
 * ioasid_policy_events_poll - poll() of /dev/ioasid
 * @filp: the fd
 * @wait: the poll table
 *
 * The fd stays what it was before it had events: always readable and
 * writable (the VFS's default for a file without poll), so a caller that
 * polls it with its other fds is not blocked by it.
 *
 * Return: the default mask, with EPOLLPRI while a device of the fd is
 * revoked or needs a re-attach (enum ioasid_device_policy_state).
 */
__poll_t ioasid_policy_events_poll(struct file *filp,
				   struct poll_table_struct *wait)
{
	struct ioasid_ctx *ctx = filp->private_data;

	poll_wait(filp, &ctx->policy_wait, wait);
	return DEFAULT_POLLMASK |
	       (atomic_read(&ctx->nr_policy_events) ? EPOLLPRI : 0);
}

/**
 * ioasid_reval_changed - does a new decision differ in what applies live?
 * @old: the decision in force
 * @new: the revalidation's
 *
 * Return: true if the flush grant, its rate or burst, or the PASID range
 * differ.
 */
VISIBLE_IF_KUNIT bool
ioasid_reval_changed(const struct ioasid_policy_decision *old,
		     const struct ioasid_policy_decision *new)
{
	const u32 live = IOASID_DECISION_FLUSH_GRANT |
			 IOASID_DECISION_PASID_RANGE;

	if ((old->flags ^ new->flags) & live)
		return true;
	if (new->flags & IOASID_DECISION_FLUSH_GRANT &&
	    (old->flush_rate != new->flush_rate ||
	     old->flush_burst != new->flush_burst))
		return true;
	return new->flags & IOASID_DECISION_PASID_RANGE &&
	       (old->pasid_min != new->pasid_min ||
		old->pasid_max != new->pasid_max);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_reval_changed);

/**
 * ioasid_reval_needs_reattach - would a re-attach give another domain?
 * @enforce_cc: the domain in force enforces snooping
 * @any_enforce: a device of the attachment now decides IOASID_SNOOP_ENFORCE
 *
 * An attach makes an enforcing domain when its decision says ENFORCE and
 * shares it with later devices of the group whatever they decide; a
 * non-enforcing one takes no device that must enforce.
 *
 * Return: true when the snoop mode decided does not match the domain.
 */
VISIBLE_IF_KUNIT bool ioasid_reval_needs_reattach(bool enforce_cc,
						  bool any_enforce)
{
	return enforce_cc != any_enforce;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_reval_needs_reattach);

static void reval_note(const struct ioasid_policy_req *req,
		       const struct ioasid_policy_decision *d, u32 outcome)
{
	trace_ioasid_revalidated(req, d, outcome);
	ioasid_decision_log_revalidated(req, d, outcome);
}

/* Ask the stack again about an attachment in force of @idev. */
static int reval_decide(struct ioasid_device *idev, struct ioasid_ioas *ioas,
			u32 op, u32 pasid,
			const struct ioasid_policy_req *orig,
			struct ioasid_attach_result *res,
			struct ioasid_policy_req *req)
{
	struct ioasid_req_caller caller = {
		.op = op,
		.pasid = pasid,
		.flags = IOASID_REQ_REVALIDATE,
		.identity = orig,
	};

	memset(res, 0, sizeof(*res));
	res->decision.op = op;
	return ioasid_device_decide(idev, ioas, &caller, res, req);
}

/* The group's RID attachment is denied: detach every attached device. */
static void reval_revoke_group(struct ioasid_group *igroup,
			       struct ioasid_reval_item *items, unsigned int n,
			       const struct ioasid_policy_decision *denial,
			       struct ioasid_reval_counts *c)
{
	struct ioasid_reval_item *it;

	lockdep_assert_held(&igroup->lock);
	for (it = items; it < items + n; it++) {
		struct ioasid_device *idev = it->idev;

		ioasid_device_detach_rid_locked(idev);
		/* A member its policies allowed goes with the group. */
		if (!it->res.decision.verdict)
			it->res.decision = *denial;
		it->res.decision.flags |= IOASID_DECISION_REVOKED;
		idev->last = it->res;
		idev->rid_state = IOASID_DEVICE_REVOKED;
		reval_note(&it->req, &it->res.decision, IOASID_DECISION_REVOKED);
		dev_info(idev->dev, "ioasid: attachment revoked by policy %s: %s\n",
			 it->res.decision.policy, it->res.decision.reason);
		c->revoked++;
	}
}

/* No denial: apply the group's new grants, or mark it for a re-attach. */
static void reval_apply_group(struct ioasid_group *igroup,
			      struct ioasid_reval_item *items, unsigned int n,
			      struct ioasid_reval_counts *c)
{
	struct ioasid_hwpt *hwpt = igroup->hwpt;
	bool any_enforce = false, merge = false;
	struct ioasid_reval_item *it;
	struct ioasid_device *idev;

	lockdep_assert_held(&igroup->lock);
	for (it = items; it < items + n; it++)
		if (it->res.decision.snoop == IOASID_SNOOP_ENFORCE)
			any_enforce = true;

	if (ioasid_reval_needs_reattach(hwpt->enforce_cc, any_enforce)) {
		for (it = items; it < items + n; it++) {
			idev = it->idev;
			c->reattach++;
			if (idev->rid_state & IOASID_DEVICE_NEEDS_REATTACH)
				continue;
			idev->rid_state |= IOASID_DEVICE_NEEDS_REATTACH;
			reval_note(&it->req, &it->res.decision,
				   IOASID_DECISION_NEEDS_REATTACH);
		}
		return;
	}

	for (it = items; it < items + n; it++) {
		idev = it->idev;
		idev->rid_state &= ~IOASID_DEVICE_NEEDS_REATTACH;
		/* The group's grant: the first sets it, the rest merge. */
		ioasid_flush_note_attach(idev->ctx, &igroup->flush_src, hwpt,
					 merge, &it->req, &it->res.decision);
		merge = true;
		if (ioasid_reval_changed(&idev->last.decision,
					 &it->res.decision)) {
			reval_note(&it->req, &it->res.decision, 0);
			c->changed++;
		}
		idev->last = it->res;
	}
	ioasid_kvm_ctx_sync(items->idev->ctx, items->idev->dev);
}

static int reval_group_rid(struct ioasid_group *igroup,
			   struct ioasid_reval_counts *c)
{
	const struct ioasid_policy_decision *denial = NULL;
	struct ioasid_reval_item *items;
	struct ioasid_device *idev;
	unsigned int n = 0, i = 0;
	int rc;

	lockdep_assert_held(&igroup->lock);
	list_for_each_entry(idev, &igroup->devices, group_node)
		if (idev->ioas)
			n++;
	if (!n)
		return 0;
	items = kcalloc(n, sizeof(*items), GFP_KERNEL);
	if (!items)
		return -ENOMEM;
	list_for_each_entry(idev, &igroup->devices, group_node) {
		struct ioasid_reval_item *it;

		if (!idev->ioas)
			continue;
		it = &items[i++];
		it->idev = idev;
		rc = reval_decide(idev, idev->ioas, IOASID_POLICY_OP_ATTACH, 0,
				  &idev->req, &it->res, &it->req);
		if (!it->res.asked) {
			/* Nobody asked (no memory): the group stays as is. */
			kfree(items);
			return rc;
		}
		c->nr++;
		if (rc && !denial)
			denial = &it->res.decision;
	}
	if (denial) {
		struct ioasid_policy_decision d = *denial;

		reval_revoke_group(igroup, items, n, &d, c);
	} else {
		reval_apply_group(igroup, items, n, c);
	}
	kfree(items);
	return 0;
}

static int reval_pasids(struct ioasid_device *idev,
			struct ioasid_reval_counts *c)
{
	struct ioasid_reval_item *it;
	struct ioasid_pasid_attach *pa;
	const struct ioasid_policy_decision *d;
	unsigned long pasid;
	bool synced = false;
	int rc, err = 0;

	lockdep_assert_held(&idev->igroup->lock);
	if (xa_empty(&idev->pasids))
		return 0;
	it = kzalloc(sizeof(*it), GFP_KERNEL);
	if (!it)
		return -ENOMEM;
	d = &it->res.decision;
	xa_for_each(&idev->pasids, pasid, pa) {
		rc = reval_decide(idev, pa->ioas, IOASID_POLICY_OP_ATTACH_PASID,
				  pasid, &pa->req, &it->res, &it->req);
		if (!it->res.asked) {
			err = rc;
			continue;
		}
		c->nr++;
		if (rc) {
			ioasid_device_detach_pasid_locked(idev, pasid);
			idev->pasid_revoked = true;
			it->res.decision.flags |= IOASID_DECISION_REVOKED;
			reval_note(&it->req, d, IOASID_DECISION_REVOKED);
			dev_info(idev->dev, "ioasid: PASID %lu revoked by policy %s: %s\n",
				 pasid, d->policy, d->reason);
			c->revoked++;
			continue;
		}
		if (ioasid_reval_needs_reattach(pa->hwpt->enforce_cc,
						d->snoop == IOASID_SNOOP_ENFORCE)) {
			if (!pa->needs_reattach)
				reval_note(&it->req, d,
					   IOASID_DECISION_NEEDS_REATTACH);
			pa->needs_reattach = true;
			c->reattach++;
			continue;
		}
		pa->needs_reattach = false;
		ioasid_flush_note_attach(idev->ctx, &pa->flush_src, pa->hwpt,
					 false, &it->req, d);
		synced = true;
		if (ioasid_reval_changed(&pa->decision, d)) {
			reval_note(&it->req, d, 0);
			c->changed++;
		}
		pa->decision = *d;
	}
	if (synced)
		ioasid_kvm_ctx_sync(idev->ctx, idev->dev);
	kfree(it);
	return err;
}

/* Re-decide everything of one group (its RID attachment, its PASIDs). */
static int reval_group(struct ioasid_group *igroup,
		       struct ioasid_reval_counts *c)
{
	struct ioasid_device *idev;
	int rc, err;

	lockdep_assert_held(&igroup->lock);
	err = reval_group_rid(igroup, c);
	list_for_each_entry(idev, &igroup->devices, group_node) {
		/* Kernel-owned devices' PASIDs are their driver's. */
		if (idev->bind_flags & IOASID_BIND_KERNEL_OWNED)
			continue;
		rc = reval_pasids(idev, c);
		err = err ?: rc;
		ioasid_device_policy_state_sync(idev);
	}
	return err;
}

static int cmp_igroup(const void *a, const void *b)
{
	const struct ioasid_device *x = *(const struct ioasid_device **)a;
	const struct ioasid_device *y = *(const struct ioasid_device **)b;

	if (x->igroup == y->igroup)
		return 0;
	return x->igroup < y->igroup ? -1 : 1;
}

/* One pass over every tracked device, one group at a time. */
static int ioasid_revalidate_all(struct ioasid_reval_counts *c)
{
	struct ioasid_device **devs, *idev;
	unsigned int n = 0, i, j;
	int rc = 0, err;

	mutex_lock(&ioasid_all_devices_lock);
	list_for_each_entry(idev, &ioasid_all_devices, all_node)
		n++;
	devs = kvmalloc_array(max(n, 1U), sizeof(*devs), GFP_KERNEL);
	if (!devs) {
		mutex_unlock(&ioasid_all_devices_lock);
		return -ENOMEM;
	}
	n = 0;
	/*
	 * Tracked means not yet unbound: the table still holds the object,
	 * and the device its fd's file. As an ioctl does, hold both: the
	 * file keeps the fd (whose wait queue the put wakes) past an unbind
	 * that was waiting for the object.
	 */
	list_for_each_entry(idev, &ioasid_all_devices, all_node)
		if (refcount_inc_not_zero(&idev->obj.shortterm_users)) {
			get_file(idev->file);
			devs[n++] = idev;
		}
	mutex_unlock(&ioasid_all_devices_lock);

	sort(devs, n, sizeof(*devs), cmp_igroup, NULL);
	for (i = 0; i < n; i = j) {
		struct ioasid_group *igroup = devs[i]->igroup;

		mutex_lock(&igroup->lock);
		err = reval_group(igroup, c);
		mutex_unlock(&igroup->lock);
		rc = rc ?: err;
		/* The group is done: an unbind of its devices may go on. */
		for (j = i; j < n && devs[j]->igroup == igroup; j++) {
			struct file *file = devs[j]->file;

			ioasid_put_object(devs[j]->ctx, &devs[j]->obj);
			fput(file);
		}
	}
	kvfree(devs);
	return rc;
}

static void reval_work_fn(struct work_struct *work)
{
	struct ioasid_reval_counts c = {};
	int rc;

	rc = ioasid_revalidate_all(&c);
	if (rc)
		pr_warn_ratelimited("revalidation after a policy change incomplete (%d): run ioasidctl policy revalidate\n",
				    rc);
}

static DECLARE_WORK(ioasid_reval_work, reval_work_fn);

/**
 * ioasid_policy_revalidate_schedule - re-decide everything, shortly
 *
 * Called when the policy stack changed (register, replace, unregister).
 * Context: any.
 */
void ioasid_policy_revalidate_schedule(void)
{
	schedule_work(&ioasid_reval_work);
}

/**
 * ioasid_policy_revalidate_exit - wait for a scheduled pass (module exit)
 */
void ioasid_policy_revalidate_exit(void)
{
	cancel_work_sync(&ioasid_reval_work);
}

int ioasid_policy_revalidate_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_policy_revalidate *cmd = ucmd->cmd;
	struct ioasid_reval_counts c = {};
	int rc;

	/* It changes what other users' devices may do, as a policy does. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->__reserved2)
		return -EINVAL;
	/*
	 * A pass a policy change queued before this call has finished when
	 * it returns (and dropped the fds it held): what the caller reads
	 * next reflects every change made before it.
	 */
	flush_work(&ioasid_reval_work);
	rc = ioasid_revalidate_all(&c);
	if (rc)
		return rc;
	cmd->out_nr_attachments = c.nr;
	cmd->out_nr_changed = c.changed;
	cmd->out_nr_reattach = c.reattach;
	cmd->out_nr_revoked = c.revoked;
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}
