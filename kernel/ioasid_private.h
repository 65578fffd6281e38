/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioasid internals shared between the files of ioasid.ko.
 *
 * Object model: every object lives in the xarray of its context (one per
 * open /dev/ioasid) and carries two counts. @users counts long-term
 * references (the table's own, children, attached devices and accesses): an
 * object can only be destroyed while the table holds the sole one.
 * @shortterm_users counts ioctls working on the object right now: destroy
 * waits for them after unpublishing the id.
 */
#ifndef __IOASID_PRIVATE_H
#define __IOASID_PRIVATE_H

#include <linux/types.h>
#include <linux/refcount.h>
#include <linux/xarray.h>
#include <linux/wait.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/rbtree.h>
#include <linux/kref.h>
#include <linux/spinlock.h>
#include <linux/ioasid.h>
#include <linux/ioasid_policy.h>

struct file;
struct mm_struct;
struct user_struct;
struct page;

enum ioasid_object_type {
	IOASID_OBJ_NONE,
	IOASID_OBJ_ANY = IOASID_OBJ_NONE,
	IOASID_OBJ_IOAS,
	IOASID_OBJ_DEVICE,
	IOASID_OBJ_ACCESS,
	IOASID_OBJ_MAX,
};

/**
 * struct ioasid_object - header of every object in a context's table
 * @shortterm_users: ioctls using the object now, plus one for the table
 * @users: long-term references, plus one for the table
 * @type: what the object is
 * @id: its id in the context's table
 */
struct ioasid_object {
	refcount_t shortterm_users;
	refcount_t users;
	enum ioasid_object_type type;
	u32 id;
};

/**
 * struct ioasid_ctx - one open /dev/ioasid
 * @file: the file, for ownership cookies and fput ordering
 * @objects: id -> struct ioasid_object; XA_ZERO_ENTRY while being created
 * @next_id: next id to try, so ids are not reused
 * @destroy_wait: destroy waits here for short-term users to finish
 * @id: unique id of the fd, reported in policy requests and records
 * @option_lock: serializes option changes against accounting users
 * @rlimit_mode: enum ioasid_rlimit_mode for new pins
 * @pinned_pages: pages currently charged through this fd
 * @groups_lock: protects @groups
 * @groups: iommu group id -> struct ioasid_group of bound devices
 * @nr_noncoherent: groups attached through domains without snoop control
 * @flush: the cache-flush grant (see flush.c)
 * @access_lock: protects @accesses; held while unmap callbacks run, so
 *	an unmap returns only after every callback it caused has returned
 * @accesses: in-kernel accesses (struct ioasid_access) on this fd
 * @kvm_lock: protects @kvm (kvm_link.c: inside igroup->lock)
 * @kvm: the KVM linked with IOASID_KVM_LINK, or NULL
 * @nr_policy_events: bound devices with a non-zero
 *	enum ioasid_device_policy_state (policy_revalidate.c)
 * @policy_wait: poll() waiters for @nr_policy_events
 */
struct ioasid_ctx {
	struct file *file;
	struct xarray objects;
	u32 next_id;
	wait_queue_head_t destroy_wait;
	u64 id;
	struct mutex option_lock; /* see @option_lock above */
	enum ioasid_rlimit_mode rlimit_mode;
	atomic64_t pinned_pages;
	struct mutex groups_lock; /* see @groups_lock above */
	struct xarray groups;
	atomic_t nr_noncoherent;
	struct ioasid_flush_grant {
		spinlock_t lock; /* protects the fields below */
		bool granted;
		bool started;	/* rate, burst, tokens and last_ns are set */
		u32 rate;
		u32 burst;
		u64 tokens;	/* in flushes * NSEC_PER_SEC */
		u64 last_ns;
		/* struct ioasid_flush_src of the attachments in force */
		struct list_head srcs;
		/* the flushing thread's CPUs; set once, freed at release */
		struct ioasid_cpu_tracker *tracker;
	} flush;
	struct mutex access_lock; /* see @access_lock above */
	struct list_head accesses;
	struct mutex kvm_lock; /* see @kvm_lock above */
	struct ioasid_kvm *kvm;
	atomic_t nr_policy_events;
	wait_queue_head_t policy_wait;
};

/**
 * struct ioasid_flush_who - an attachment as the records of its fd's
 *	cache flushes name it
 * @bdf: the attached device's PCI address (0: not PCI)
 * @vendor: its vendor id
 * @device: its device id
 * @driver: its driver
 * @policy_id: the policy whose decision at attach made the grant (0:
 *	built-in)
 * @policy: its name
 * @reason: its reason
 */
struct ioasid_flush_who {
	u32 bdf;
	u16 vendor;
	u16 device;
	char driver[IOASID_NAME_LEN];
	u32 policy_id;
	char policy[IOASID_POLICY_NAME_LEN];
	char reason[IOASID_REASON_LEN];
};

/**
 * struct ioasid_flush_src - one attachment's part in its fd's flush grant
 * @node: in ctx->flush.srcs while @linked
 * @linked: the attachment is in force
 * @noncoherent: through a domain without snoop control (counted in
 *	ctx->nr_noncoherent)
 * @granted: its decision granted the cache flush
 * @rate: flushes per second granted (0: unlimited)
 * @burst: flushes granted at once (at least 1)
 * @who: the device and the decision, for the records of the fd's flushes
 *
 * Embedded in what attaches (a group at its RID, a PASID attachment);
 * zeroed memory is a valid unlinked one. Changed under ctx->flush.lock.
 */
struct ioasid_flush_src {
	struct list_head node;
	bool linked;
	bool noncoherent;
	bool granted;
	u32 rate;
	u32 burst;
	struct ioasid_flush_who who;
};

/* main.c: object table */
/* @size is that of the containing struct, whose first member is the header */
struct ioasid_object *ioasid_object_alloc(struct ioasid_ctx *ctx, size_t size,
					  enum ioasid_object_type type);
void ioasid_object_finalize(struct ioasid_ctx *ctx, struct ioasid_object *obj);
void ioasid_object_abort(struct ioasid_ctx *ctx, struct ioasid_object *obj);
struct ioasid_object *ioasid_get_object(struct ioasid_ctx *ctx, u32 id,
					enum ioasid_object_type type);
void ioasid_put_object(struct ioasid_ctx *ctx, struct ioasid_object *obj);
int ioasid_object_destroy_user(struct ioasid_ctx *ctx, u32 id);
void ioasid_object_destroy_held(struct ioasid_ctx *ctx,
				struct ioasid_object *obj);

/**
 * ioasid_lock_obj - take a long-term reference on a live object
 * @obj: an object the caller holds a short-term reference on
 *
 * Return: false if the object is being destroyed.
 */
static inline bool ioasid_lock_obj(struct ioasid_object *obj)
{
	return refcount_inc_not_zero(&obj->users);
}

static inline void ioasid_unlock_obj(struct ioasid_object *obj)
{
	refcount_dec(&obj->users);
}

/* ioctl plumbing */
struct ioasid_ucmd {
	struct ioasid_ctx *ctx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

int ioasid_ucmd_respond(struct ioasid_ucmd *ucmd, size_t cmd_len);

/* ioas.c: IOAS ioctls and the object's lifecycle */
int ioasid_ioas_alloc_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_ioas_map_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_ioas_unmap_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_ioas_copy_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_ioas_iova_ranges_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_ioas_allow_iovas_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_ioas_get_info_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_option_ioctl(struct ioasid_ucmd *ucmd);
void ioasid_ioas_destroy(struct ioasid_object *obj);

/* policy.c: the policy host */
int ioasid_policy_init(void);
void ioasid_policy_exit(void);
int ioasid_policy_dry_run_ioctl(struct ioasid_ucmd *ucmd);

struct ioasid_flush_info;

/* policy_revalidate.c: attachments in force re-decided */
struct poll_table_struct;
int ioasid_policy_revalidate_ioctl(struct ioasid_ucmd *ucmd);
__poll_t ioasid_policy_events_poll(struct file *filp,
				   struct poll_table_struct *wait);
void ioasid_policy_revalidate_schedule(void);
void ioasid_policy_revalidate_exit(void);

/**
 * struct ioasid_policy_eval - one evaluation of the policy stack
 * @req: the request policies see (the only part they can reach); built by
 *	ioasid_request_build()
 * @decision: the final decision
 * @cur: the answer of the policy being asked now, in the same shape as a
 *	decision (the kfuncs write here; the deciding policy's becomes
 *	@decision, every asked one is reported in @verdicts)
 * @verdicts: per-policy answers, for dry runs (may be NULL)
 * @nr_verdicts: policies asked
 * @max_verdicts: room in @verdicts
 * @flush: a cache flush's fd state, for its decision record (or NULL)
 */
struct ioasid_policy_eval {
	struct ioasid_policy_req req;
	struct ioasid_policy_decision decision;
	struct ioasid_policy_decision cur;
	struct ioasid_policy_verdict *verdicts;
	u32 nr_verdicts;
	u32 max_verdicts;
	const struct ioasid_flush_info *flush;
};

int ioasid_policy_evaluate(struct ioasid_policy_eval *eval);

#if IS_ENABLED(CONFIG_KUNIT)
/* Internals the KUnit suites (kunit/ioasid_kunit.c) reach; static otherwise. */
void ioasid_policy_complete(struct ioasid_policy_eval *eval);
int ioasid_policy_kunit_reg(struct ioasid_policy_ops *ops);
void ioasid_policy_kunit_unreg(struct ioasid_policy_ops *ops);
int ioasid_flush_bucket_take(struct ioasid_flush_grant *g, u64 now);
bool ioasid_reval_changed(const struct ioasid_policy_decision *old,
			  const struct ioasid_policy_decision *new);
bool ioasid_reval_needs_reattach(bool enforce_cc, bool any_enforce);
#endif

/* stats.c: live counts across all fds, in /sys/kernel/ioasid/stats */
struct ioasid_stats {
	atomic_long_t fds;
	atomic_long_t objects;
	atomic_long_t groups;
	atomic_long_t domains;
	atomic_long_t pasid_attachments;
	atomic_long_t charged_pages;
	atomic_long_t accesses;
	atomic_long_t access_pins;
	atomic_long_t unpin_violations;
	atomic_long_t flush_trackers;
	atomic_long_t flush_refused;
	atomic_long_t flush_throttled;
};

extern struct ioasid_stats ioasid_stats;
int ioasid_stats_init(struct kobject *parent);
void ioasid_stats_exit(struct kobject *parent);

/* flush.c */
struct ioasid_hwpt;
extern unsigned int ioasid_builtin_flush_rate;
extern unsigned int ioasid_builtin_flush_burst;
void ioasid_flush_note_attach(struct ioasid_ctx *ctx,
			      struct ioasid_flush_src *src,
			      const struct ioasid_hwpt *hwpt, bool merge,
			      const struct ioasid_policy_req *req,
			      const struct ioasid_policy_decision *decision);
void ioasid_flush_note_detach(struct ioasid_ctx *ctx,
			      struct ioasid_flush_src *src);
void ioasid_flush_release(struct ioasid_ctx *ctx);
void ioasid_flush_init(void);
void ioasid_flush_exit(void);
int ioasid_cache_flush_ioctl(struct ioasid_ucmd *ucmd);

/* kvm_link.c: the KVM contract of an fd (IOASID_KVM_LINK) */
struct device;
void ioasid_kvm_ctx_sync(struct ioasid_ctx *ctx, struct device *dev);
void ioasid_kvm_ctx_release(struct ioasid_ctx *ctx);
int ioasid_kvm_link_ioctl(struct ioasid_ucmd *ucmd);

/* main.c: a context for in-kernel users, on an anonymous file */

#endif /* __IOASID_PRIVATE_H */
