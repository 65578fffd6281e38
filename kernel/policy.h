/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy host's view of one registered policy, shared by policy.c (the
 * stack and its evaluation), policy_ops.c (the struct_ops machinery) and
 * policy_sysfs.c (/sys/kernel/ioasid/policy).
 */
#ifndef __IOASID_POLICY_H
#define __IOASID_POLICY_H

#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/srcu.h>
#include <linux/list.h>
#include <linux/atomic.h>
#include <linux/bpf.h>
#include <linux/ioasid_policy.h>

enum ioasid_policy_state {
	IOASID_POLICY_ACTIVE,
	IOASID_POLICY_ERRORED,
};

enum ioasid_policy_counter {
	IOASID_POLICY_CNT_ALLOW,
	IOASID_POLICY_CNT_DENY,
	IOASID_POLICY_CNT_DEFER,
	IOASID_POLICY_CNT_ERROR,
	IOASID_POLICY_NR_COUNTERS,
};

/**
 * struct ioasid_policy - one registered struct_ops instance
 * @node: in the SRCU-protected stack, sorted by @priority
 * @kobj: /sys/kernel/ioasid/policy/<name>; holds the memory
 * @ops: the BPF struct_ops kdata; valid until unreg/update returns
 * @name: copied from @ops so sysfs can outlive the BPF map
 * @priority: lower is asked first
 * @flags: enum ioasid_policy_flags
 * @abi_version: the IOASID_POLICY_ABI_VERSION it was built for (a
 *	version-1 policy sees revalidations as dry runs)
 * @link: the bpf_link registering us; its id is assigned only after reg
 *	returns, so read it through ioasid_policy_link_id()
 * @state: enum ioasid_policy_state
 * @in_sysfs: @kobj is added
 * @counters: verdicts given, by enum ioasid_policy_counter
 * @last_error: why the policy errored
 */
struct ioasid_policy {
	struct list_head node;
	struct kobject kobj;
	struct ioasid_policy_ops *ops;
	char name[IOASID_POLICY_NAME_LEN];
	u32 priority;
	u32 flags;
	u32 abi_version;
	struct bpf_link *link;
	atomic_t state;
	bool in_sysfs;
	atomic64_t counters[IOASID_POLICY_NR_COUNTERS];
	char last_error[IOASID_REASON_LEN];
};

extern bool ioasid_policy_bypass;

/*
 * The stack, shared by policy.c (evaluation) and policy_ops.c
 * (registration): sorted by priority, written under ioasid_policy_mutex
 * with RCU list operations, read under ioasid_policy_srcu.
 */
extern struct srcu_struct ioasid_policy_srcu;
extern struct mutex ioasid_policy_mutex;
extern struct list_head ioasid_policies;

#define policy_for_each(p)                                                \
	list_for_each_entry_srcu(p, &ioasid_policies, node,               \
				 srcu_read_lock_held(&ioasid_policy_srcu))

/*
 * The errnos a policy may hand to user space: those user space has
 * (1 .. IOASID_POLICY_MAX_USER_ERRNO, i.e. EHWPOISON). Kernel-internal
 * ones (ERESTARTSYS, ENOIOCTLCMD, EPROBE_DEFER, ... from 512 on) and
 * unassigned numbers up to IOASID_MAX_ERRNO still deny, as EPERM.
 */
#define IOASID_POLICY_MAX_USER_ERRNO 133

/* An attach of the whole device or of one PASID: what a decision covers. */
static inline bool req_is_attach(const struct ioasid_policy_req *req)
{
	return req->op == IOASID_POLICY_OP_ATTACH ||
	       req->op == IOASID_POLICY_OP_ATTACH_PASID;
}

__printf(2, 3)
void ioasid_policy_set_error(struct ioasid_policy *p, const char *fmt, ...);
int ioasid_policy_ops_register(void);

/*
 * The link id, the policy's id in decisions. Valid while @p is registered:
 * the link outlives its registration (unreg runs before it is freed).
 */
static inline u32 ioasid_policy_link_id(const struct ioasid_policy *p)
{
	return p->link ? READ_ONCE(p->link->id) : 0;
}

struct ioasid_policy *ioasid_policy_sysfs_alloc(void);
int ioasid_policy_sysfs_add(struct ioasid_policy *p);
void ioasid_policy_sysfs_del(struct ioasid_policy *p);
void ioasid_policy_put(struct ioasid_policy *p);
int ioasid_policy_sysfs_init(void);
void ioasid_policy_sysfs_exit(void);
void ioasid_policy_for_each(void (*fn)(struct ioasid_policy *p, void *arg),
			    void *arg);
void ioasid_policy_notify_detach(const struct ioasid_policy_req *req);

#endif /* __IOASID_POLICY_H */
