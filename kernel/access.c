// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel accesses: software devices (mdev-like drivers with no IOMMU of
 * their own) reach an IOAS by IOVA. The API and its rules for drivers are
 * in linux/ioasid_access.h.
 *
 * An access is an object of the fd (IOASID_OBJ_ACCESS) held by its driver,
 * so user space sees its id in policy records and cannot destroy it. It
 * attaches through the policies like a device, described as a software
 * device (IOASID_REQ_SW_DEVICE) whose "IOMMU" is the CPU: coherent.
 *
 * Unmap protocol. A pin takes its own page references, so the pages never
 * depend on the IOAS for their lifetime. When an unmap removes a range
 * (directly, or in a nested IOAS because its parent unmapped), the pins
 * overlapping it are marked revoked under the IOAS lock; once every IOAS
 * lock is dropped, the unmap calls the driver's unmap callback for each
 * revoked pin, then checks that the driver unpinned. A pin still there is
 * orphaned: counted, warned about once, and kept referenced until the
 * driver unpins it or destroys the access, so a late use by the driver
 * touches memory that is still allocated but no IOVA reaches any more.
 *
 * Lock order (the whole of it: docs/design.md, "Lock order"):
 * ctx->access_lock -> access->lock -> ioas->mutex -> access->pins_lock.
 * ctx->access_lock is held while callbacks run: an unmap waits for
 * callbacks in flight, and detach/destroy wait for them too.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/ioasid_kernel.h>
#include <linux/ioasid_access.h>

#include "io_pagetable.h"
#include "policy.h"
#include "request.h"

/**
 * struct ioasid_access_pin - one range an access pinned
 * @node: in access->pins, oldest first
 * @iova: first byte, as the driver gave it
 * @length: bytes, as the driver gave it
 * @npages: entries in @pages
 * @write: pinned for writing (pages are dirtied at unpin)
 * @revoked: an unmap removed part of the range; its callback is due
 * @notified: the callback for this pin was called
 * @orphaned: the driver did not unpin when told (or detached with it)
 * @pages: the referenced pages
 */
struct ioasid_access_pin {
	struct list_head node;
	u64 iova;
	u64 length;
	unsigned long npages;
	bool write;
	bool revoked;
	bool notified;
	bool orphaned;
	struct page *pages[] __counted_by(npages);
};

/**
 * struct ioasid_access - a software device's access to an IOAS
 * @obj: object header (IOASID_OBJ_ACCESS)
 * @ctx: the fd
 * @file: the fd's file, held while the access exists
 * @ops: the driver's callbacks
 * @data: the driver's cookie for @ops
 * @driver: the driver's name
 * @dev_desc: the software device as policies see it (from the driver's
 *	struct ioasid_access_desc)
 * @ctx_node: in ctx->accesses (under ctx->access_lock)
 * @lock: protects @ioas, @ioas_node's membership, @req and @decision
 * @ioas: the attached IOAS, or NULL
 * @ioas_node: in @ioas->accesses (under the IOAS's mutex)
 * @req: the request of the current attachment (for detach notices)
 * @decision: the decision applied at the last attach
 * @pins_lock: protects @pins, @nr_revoked and @warned
 * @pins: struct ioasid_access_pin, oldest first
 * @nr_revoked: pins revoked but neither unpinned nor orphaned yet
 * @warned: this access's first unpin violation was reported (WARN); its
 *	later ones are only counted
 */
struct ioasid_access {
	struct ioasid_object obj;
	struct ioasid_ctx *ctx;
	struct file *file;
	const struct ioasid_access_ops *ops;
	void *data;
	char driver[IOASID_NAME_LEN];
	struct ioasid_dev_desc dev_desc;
	struct list_head ctx_node;
	struct mutex lock; /* see @lock above */
	struct ioasid_ioas *ioas;
	struct list_head ioas_node;
	struct ioasid_policy_req req;
	struct ioasid_policy_decision decision;
	struct mutex pins_lock; /* see @pins_lock above */
	struct list_head pins;
	unsigned int nr_revoked;
	bool warned;
};

static struct lock_class_key ioasid_access_lock_key;
static struct lock_class_key ioasid_access_pins_key;

/**
 * ioasid_access_create - create an access on an ioasid fd
 * @ioasid_file: an open /dev/ioasid, handed to the driver by its user (a
 *	reference is held until ioasid_access_destroy())
 * @desc: how the software device presents to policies (copied)
 * @ops: the driver's callbacks; @ops->unmap is required
 * @data: passed to @ops
 *
 * Return: the access, or an ERR_PTR: -EBADF (not /dev/ioasid), -EINVAL
 * (no unmap callback, unknown flags), -ENOMEM.
 */
struct ioasid_access *
ioasid_access_create(struct file *ioasid_file,
		     const struct ioasid_access_desc *desc,
		     const struct ioasid_access_ops *ops, void *data)
{
	struct ioasid_access *access;
	struct ioasid_object *obj;
	struct ioasid_ctx *ctx;

	if (!ioasid_file_is_ioasid(ioasid_file))
		return ERR_PTR(-EBADF);
	if (!ops || !ops->unmap || !desc ||
	    desc->flags & ~IOASID_ACCESS_DESC_MOCK)
		return ERR_PTR(-EINVAL);
	ctx = ioasid_file->private_data;

	obj = ioasid_object_alloc(ctx, sizeof(*access), IOASID_OBJ_ACCESS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	access = container_of(obj, struct ioasid_access, obj);
	access->ctx = ctx;
	access->ops = ops;
	access->data = data;
	strscpy(access->driver, desc->driver ?: "", sizeof(access->driver));
	ioasid_dev_desc_sw(&access->dev_desc, desc, access->driver);
	__mutex_init(&access->lock, "ioasid_access::lock",
		     &ioasid_access_lock_key);
	__mutex_init(&access->pins_lock, "ioasid_access::pins_lock",
		     &ioasid_access_pins_key);
	INIT_LIST_HEAD(&access->pins);
	INIT_LIST_HEAD(&access->ioas_node);
	/* The driver holds the access: DESTROY by id is refused (EBUSY). */
	refcount_inc(&obj->users);
	access->file = get_file(ioasid_file);

	mutex_lock(&ctx->access_lock);
	list_add_tail(&access->ctx_node, &ctx->accesses);
	mutex_unlock(&ctx->access_lock);
	atomic_long_inc(&ioasid_stats.accesses);
	ioasid_object_finalize(ctx, obj);
	return access;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_create, IOASID);

/**
 * ioasid_access_id - the access's object id in its fd
 * @access: the access
 *
 * Return: the id, as policy requests and records show it.
 */
u32 ioasid_access_id(struct ioasid_access *access)
{
	return access->obj.id;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_id, IOASID);

static void pin_free(struct ioasid_access_pin *pin)
{
	unsigned long i;

	for (i = 0; i < pin->npages; i++) {
		if (pin->write)
			set_page_dirty_lock(pin->pages[i]);
		put_page(pin->pages[i]);
	}
	atomic_long_sub(pin->npages, &ioasid_stats.access_pins);
	kvfree(pin);
}

/*
 * The driver kept @pin past the point it had to let go: count, keep, and
 * WARN once per access (a module-wide WARN_ONCE would let one misbehaving
 * driver hide every later one in the same boot).
 */
static void pin_orphan(struct ioasid_access *access,
		       struct ioasid_access_pin *pin, const char *when)
{
	lockdep_assert_held(&access->pins_lock);
	if (pin->revoked)
		access->nr_revoked--;
	pin->orphaned = true;
	atomic_long_inc(&ioasid_stats.unpin_violations);
	if (access->ioas)
		atomic64_inc(&access->ioas->unpin_violations);
	if (access->warned)
		return;
	access->warned = true;
	WARN(1, "ioasid: access %u (%s) kept IOVA %#llx+%#llx pinned %s\n",
	     access->obj.id, access->driver, pin->iova, pin->length, when);
}

/* --- attach / detach ------------------------------------------------------ */

static int decide(struct ioasid_access *access, struct ioasid_ioas *ioas)
{
	struct ioasid_req_caller caller = {
		.ctx = access->ctx,
		.ioas = ioas,
		.op = IOASID_POLICY_OP_ATTACH,
	};
	struct ioasid_policy_eval *eval;
	int rc;

	lockdep_assert_held(&access->lock);
	eval = kzalloc(sizeof(*eval), GFP_KERNEL);
	if (!eval)
		return -ENOMEM;
	ioasid_request_build(&eval->req, &access->dev_desc, &caller);
	rc = ioasid_policy_evaluate(eval);
	access->req = eval->req;
	access->decision = eval->decision;
	kfree(eval);
	return rc;
}

/**
 * ioasid_access_attach - attach an access to an IOAS, if the policies allow
 * @access: the access
 * @ioas_id: an IOAS of the access's fd
 * @decision: if not NULL, the decision (verdict and reason) is copied here,
 *	also when the attach is refused
 *
 * A software device never gets a cache-flush grant: its accesses are CPU
 * copies, coherent whatever a policy says about snooping.
 *
 * Return: 0; -ENOENT (no such IOAS), -EINVAL (not an IOAS), -EBUSY
 * (attached already), or the errno a policy denied with.
 */
int ioasid_access_attach(struct ioasid_access *access, u32 ioas_id,
			 struct ioasid_policy_decision *decision)
{
	struct ioasid_object *obj;
	struct ioasid_ioas *ioas;
	int rc;

	obj = ioasid_get_object(access->ctx, ioas_id, IOASID_OBJ_IOAS);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	ioas = container_of(obj, struct ioasid_ioas, obj);

	mutex_lock(&access->lock);
	if (access->ioas) {
		rc = -EBUSY;
		goto out;
	}
	rc = decide(access, ioas);
	if (decision)
		*decision = access->decision;
	if (rc)
		goto out;
	if (!ioasid_lock_obj(&ioas->obj)) {
		rc = -ENOENT;
		goto out;
	}
	ioas_lock(ioas);
	list_add_tail(&access->ioas_node, &ioas->accesses);
	ioas->nr_devices++;
	ioas_unlock(ioas);
	access->ioas = ioas;
out:
	mutex_unlock(&access->lock);
	ioasid_put_object(access->ctx, obj);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_attach, IOASID);

/**
 * ioasid_access_detach - detach an access from its IOAS
 * @access: the access; detaching one that is not attached does nothing
 *
 * The driver must have unpinned everything: a pin left is a violation,
 * counted and kept referenced until ioasid_access_destroy().
 * Context: process context; waits for unmap callbacks in flight.
 */
void ioasid_access_detach(struct ioasid_access *access)
{
	struct ioasid_ctx *ctx = access->ctx;
	struct ioasid_access_pin *pin;
	struct ioasid_ioas *ioas;

	mutex_lock(&ctx->access_lock);
	mutex_lock(&access->lock);
	ioas = access->ioas;
	if (!ioas)
		goto out;
	ioas_lock(ioas);
	mutex_lock(&access->pins_lock);
	list_for_each_entry(pin, &access->pins, node)
		if (!pin->orphaned)
			pin_orphan(access, pin, "at detach");
	mutex_unlock(&access->pins_lock);
	list_del_init(&access->ioas_node);
	ioas->nr_devices--;
	ioas_unlock(ioas);
	access->ioas = NULL;
	ioasid_unlock_obj(&ioas->obj);
	ioasid_policy_notify_detach(&access->req);
out:
	mutex_unlock(&access->lock);
	mutex_unlock(&ctx->access_lock);
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_detach, IOASID);

/**
 * ioasid_access_destroy - detach and free an access
 * @access: the access; the driver must not use it afterwards
 *
 * Pages of orphaned pins are released here: the driver says it is done.
 * Context: process context; waits for unmap callbacks in flight.
 */
void ioasid_access_destroy(struct ioasid_access *access)
{
	struct ioasid_ctx *ctx = access->ctx;
	struct file *file = access->file;
	struct ioasid_access_pin *pin, *next;

	ioasid_access_detach(access);
	mutex_lock(&ctx->access_lock);
	list_del(&access->ctx_node);
	mutex_unlock(&ctx->access_lock);
	list_for_each_entry_safe(pin, next, &access->pins, node) {
		list_del(&pin->node);
		pin_free(pin);
	}
	ioasid_object_destroy_held(ctx, &access->obj);
	atomic_long_dec(&ioasid_stats.accesses);
	fput(file);
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_destroy, IOASID);

void ioasid_access_obj_destroy(struct ioasid_object *obj)
{
	struct ioasid_access *access = container_of(obj, struct ioasid_access,
						    obj);

	mutex_destroy(&access->pins_lock);
	mutex_destroy(&access->lock);
}

/* --- pin / unpin / rw ----------------------------------------------------- */

/**
 * ioasid_access_pin_pages - pin the pages behind an IOVA range
 * @access: an attached access
 * @iova: first byte (any alignment)
 * @length: bytes
 * @out_pages: one entry per page the range touches, filled
 * @flags: IOASID_ACCESS_WRITE to pin for writing
 *
 * The range must later be unpinned with exactly @iova and @length, at the
 * latest in the unmap callback for it. The callback may run before this
 * call returns, if an unmap races it.
 *
 * Return: 0; -EINVAL (zero length, unknown flags), -EOVERFLOW, -ENXIO (not
 * attached), -ENOENT (a byte of the range is not mapped), -EACCES (write
 * to a read-only mapping), -ENOMEM. Nothing is pinned on failure.
 */
int ioasid_access_pin_pages(struct ioasid_access *access, u64 iova,
			    u64 length, struct page **out_pages,
			    unsigned int flags)
{
	struct ioasid_access_pin *pin;
	unsigned long npages;
	u64 last;
	int rc;

	if (!length || flags & ~IOASID_ACCESS_WRITE)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	npages = (last >> PAGE_SHIFT) - (iova >> PAGE_SHIFT) + 1;
	pin = kvzalloc(struct_size(pin, pages, npages), GFP_KERNEL_ACCOUNT);
	if (!pin)
		return -ENOMEM;
	pin->npages = npages;
	pin->iova = iova;
	pin->length = length;
	pin->write = flags & IOASID_ACCESS_WRITE;

	mutex_lock(&access->lock);
	if (!access->ioas) {
		rc = -ENXIO;
		goto out_unlock;
	}
	ioas_lock(access->ioas);
	rc = iopt_get_pages(access->ioas, iova, last, pin->write, pin->pages);
	if (!rc) {
		mutex_lock(&access->pins_lock);
		list_add_tail(&pin->node, &access->pins);
		mutex_unlock(&access->pins_lock);
		atomic_long_add(npages, &ioasid_stats.access_pins);
		memcpy(out_pages, pin->pages, npages * sizeof(*out_pages));
	}
	ioas_unlock(access->ioas);
out_unlock:
	mutex_unlock(&access->lock);
	if (rc)
		kvfree(pin);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_pin_pages, IOASID);

/**
 * ioasid_access_unpin_pages - undo ioasid_access_pin_pages()
 * @access: the access
 * @iova: as given to the pin
 * @length: as given to the pin
 *
 * Unpinning a range that was never pinned is a driver bug (WARN once).
 * Context: process context; may be called from the unmap callback.
 */
void ioasid_access_unpin_pages(struct ioasid_access *access, u64 iova,
			       u64 length)
{
	struct ioasid_access_pin *pin, *found = NULL;

	mutex_lock(&access->pins_lock);
	list_for_each_entry(pin, &access->pins, node) {
		if (pin->iova == iova && pin->length == length) {
			found = pin;
			break;
		}
	}
	if (found) {
		list_del(&found->node);
		if (found->revoked && !found->orphaned)
			access->nr_revoked--;
	}
	mutex_unlock(&access->pins_lock);
	if (WARN_ONCE(!found, "ioasid: access %u (%s) unpins %#llx+%#llx, never pinned\n",
		      access->obj.id, access->driver, iova, length))
		return;
	pin_free(found);
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_unpin_pages, IOASID);

/**
 * ioasid_access_rw - copy between a kernel buffer and the IOAS, by IOVA
 * @access: an attached access
 * @iova: first byte
 * @buf: kernel buffer
 * @length: bytes
 * @flags: IOASID_ACCESS_WRITE copies @buf into the IOAS, else out of it
 *
 * Needs no pin. All or nothing: nothing is copied unless the whole range
 * is mapped (and writable, to write).
 *
 * Return: 0; -EINVAL (unknown flags), -EOVERFLOW, -ENXIO (not attached),
 * -ENOENT (a byte is not mapped), -EACCES (write to a read-only mapping).
 */
int ioasid_access_rw(struct ioasid_access *access, u64 iova, void *buf,
		     size_t length, unsigned int flags)
{
	int rc;

	if (flags & ~IOASID_ACCESS_WRITE)
		return -EINVAL;
	mutex_lock(&access->lock);
	if (access->ioas)
		rc = iopt_rw(access->ioas, iova, buf, length,
			     flags & IOASID_ACCESS_WRITE);
	else
		rc = -ENXIO;
	mutex_unlock(&access->lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_rw, IOASID);

/* --- unmap notification --------------------------------------------------- */

/**
 * ioasid_access_revoke - an unmap removed [@start, @last] from @ioas
 * @ioas: the IOAS, locked
 * @start: first IOVA removed
 * @last: last IOVA removed
 *
 * Marks the pins of @ioas's accesses that overlap the range; the unmap
 * calls ioasid_access_notify() once its IOAS locks are dropped.
 */
void ioasid_access_revoke(struct ioasid_ioas *ioas, u64 start, u64 last)
{
	struct ioasid_access *access;
	struct ioasid_access_pin *pin;

	lockdep_assert_held(&ioas->mutex);
	list_for_each_entry(access, &ioas->accesses, ioas_node) {
		mutex_lock(&access->pins_lock);
		list_for_each_entry(pin, &access->pins, node) {
			if (pin->revoked || pin->orphaned)
				continue;
			if (pin->iova > last || pin->iova + pin->length - 1 < start)
				continue;
			pin->revoked = true;
			access->nr_revoked++;
		}
		mutex_unlock(&access->pins_lock);
	}
}

/* Call @access's driver for each revoked pin; orphan what it keeps. */
static void notify_one(struct ioasid_access *access)
{
	struct ioasid_access_pin *pin;
	u64 iova, length;
	bool found;

	lockdep_assert_held(&access->ctx->access_lock);
	for (;;) {
		mutex_lock(&access->pins_lock);
		found = false;
		list_for_each_entry(pin, &access->pins, node) {
			if (pin->revoked && !pin->notified && !pin->orphaned) {
				found = true;
				break;
			}
		}
		if (!found)
			break;
		pin->notified = true;
		iova = pin->iova;
		length = pin->length;
		mutex_unlock(&access->pins_lock);
		/* The pin may be freed by the callback: use the copies. */
		access->ops->unmap(access->data, iova, length);
	}
	/* Still held from the loop's last pass. */
	list_for_each_entry(pin, &access->pins, node)
		if (pin->revoked && pin->notified && !pin->orphaned)
			pin_orphan(access, pin, "after its unmap callback");
	mutex_unlock(&access->pins_lock);
}

/**
 * ioasid_access_notify - run the unmap callbacks an unmap made due
 * @ctx: the fd whose IOAS was unmapped
 *
 * Called with no IOAS lock held, before the unmap returns to its caller.
 */
void ioasid_access_notify(struct ioasid_ctx *ctx)
{
	struct ioasid_access *access;

	/*
	 * An fd without accesses (the common case) takes no lock. One that
	 * has revoked pins is on the list: it was added before it attached,
	 * and the revocation was ordered after that by the IOAS lock.
	 */
	if (list_empty(&ctx->accesses))
		return;
	mutex_lock(&ctx->access_lock);
	list_for_each_entry(access, &ctx->accesses, ctx_node)
		if (READ_ONCE(access->nr_revoked))
			notify_one(access);
	mutex_unlock(&ctx->access_lock);
}
