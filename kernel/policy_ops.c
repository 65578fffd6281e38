// SPDX-License-Identifier: GPL-2.0
/*
 * The ioasid_policy_ops BPF struct_ops type: member checks, registration,
 * replacement and unregistration of policies into the stack that policy.c
 * evaluates, and the kfuncs by which a policy states its decision.
 *
 * Writers of the stack hold ioasid_policy_mutex and publish with RCU list
 * operations; evaluations read it under ioasid_policy_srcu (policy.c).
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/bpf_verifier.h>
#include <linux/filter.h>
#include <linux/srcu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/capability.h>

#include <kunit/visibility.h>
#include <linux/ioasid_kfuncs.h>

#include "ioasid_private.h"
#include "policy.h"
#include "request.h"
#include "decision_log.h"

/* The module BTF, saved at registration for the kfunc filter. */
static const struct btf *ioasid_policy_btf;

/* --- kfuncs: how a policy states its decision ---------------------------- */

static struct ioasid_policy_eval *req_to_eval(const struct ioasid_policy_req *req)
{
	return container_of((struct ioasid_policy_req *)req,
			    struct ioasid_policy_eval, req);
}

__bpf_kfunc_start_defs();

/**
 * bpf_ioasid_set_snoop - choose the coherency mode of this attachment
 * @req: the request passed to the callback
 * @mode: enum ioasid_snoop_mode
 *
 * Return: 0, or -EINVAL for an unknown mode or a non-attach request.
 */
__bpf_kfunc int bpf_ioasid_set_snoop(const struct ioasid_policy_req *req,
				     u32 mode)
{
	struct ioasid_policy_eval *eval = req_to_eval(req);

	if (mode > IOASID_SNOOP_ALLOW_NOSNOOP)
		return -EINVAL;
	if (!req_is_attach(req))
		return -EINVAL;
	eval->cur.snoop = mode;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(bpf_ioasid_set_snoop);

/**
 * bpf_ioasid_grant_flush - grant the fd IOASID_CACHE_FLUSH
 * @req: the request passed to the callback
 * @rate: flushes per second allowed (0: unlimited)
 * @burst: flushes allowed at once above the rate (0: one)
 *
 * Return: 0, or -EINVAL on a non-attach request.
 */
__bpf_kfunc int bpf_ioasid_grant_flush(const struct ioasid_policy_req *req,
				       u32 rate, u32 burst)
{
	struct ioasid_policy_eval *eval = req_to_eval(req);

	if (!req_is_attach(req))
		return -EINVAL;
	eval->cur.flags |= IOASID_DECISION_FLUSH_GRANT;
	eval->cur.flush_rate = rate;
	eval->cur.flush_burst = burst;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(bpf_ioasid_grant_flush);

/**
 * bpf_ioasid_set_pasid_range - PASIDs the device may use
 * @req: the request passed to the callback
 * @min: first allowed PASID (at least 1)
 * @max: last allowed PASID (at most IOASID_PASID_MAX)
 *
 * Return: 0, or -EINVAL for an empty or out-of-range interval.
 */
__bpf_kfunc int bpf_ioasid_set_pasid_range(const struct ioasid_policy_req *req,
					   u32 min, u32 max)
{
	struct ioasid_policy_eval *eval = req_to_eval(req);

	if (!min || min > max || max > IOASID_PASID_MAX)
		return -EINVAL;
	eval->cur.flags |= IOASID_DECISION_PASID_RANGE;
	eval->cur.pasid_min = min;
	eval->cur.pasid_max = max;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(bpf_ioasid_set_pasid_range);

/**
 * bpf_ioasid_set_reason - explain the decision, for records and operators
 * @req: the request passed to the callback
 * @reason__str: a constant string (a literal in the program's .rodata)
 *
 * Return: 0. Longer reasons are truncated to IOASID_REASON_LEN - 1 bytes.
 */
__bpf_kfunc int bpf_ioasid_set_reason(const struct ioasid_policy_req *req,
				      const char *reason__str)
{
	struct ioasid_policy_eval *eval = req_to_eval(req);

	strscpy(eval->cur.reason, reason__str, sizeof(eval->cur.reason));
	return 0;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(ioasid_policy_kfunc_ids)
BTF_ID_FLAGS(func, bpf_ioasid_set_snoop, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_ioasid_grant_flush, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_ioasid_set_pasid_range, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_ioasid_set_reason, KF_TRUSTED_ARGS)
BTF_KFUNCS_END(ioasid_policy_kfunc_ids)

/*
 * The STRUCT_OPS kfunc hook is shared by every struct_ops type in the
 * system: only our own policies may call these.
 */
static int ioasid_policy_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&ioasid_policy_kfunc_ids, kfunc_id))
		return 0;
	if (prog->type == BPF_PROG_TYPE_STRUCT_OPS && ioasid_policy_btf &&
	    prog->aux->attach_btf == ioasid_policy_btf)
		return 0;
	return -EACCES;
}

static const struct btf_kfunc_id_set ioasid_policy_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &ioasid_policy_kfunc_ids,
	.filter = ioasid_policy_kfunc_filter,
};

/* --- the struct_ops type -------------------------------------------------- */

static bool ioasid_policy_is_valid_access(int off, int size,
					  enum bpf_access_type type,
					  const struct bpf_prog *prog,
					  struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_func_proto *
ioasid_policy_get_func_proto(enum bpf_func_id func_id,
			     const struct bpf_prog *prog)
{
	return bpf_base_func_proto(func_id, prog);
}

/*
 * No btf_struct_access: the verifier then refuses every write through a
 * BTF pointer, which keeps the request read-only for policies.
 */
static const struct bpf_verifier_ops ioasid_policy_verifier_ops = {
	.get_func_proto = ioasid_policy_get_func_proto,
	.is_valid_access = ioasid_policy_is_valid_access,
};

static int ioasid_policy_st_init(struct btf *btf)
{
	ioasid_policy_btf = btf;
	return 0;
}

#define OPS_MEMBER(m) (offsetof(struct ioasid_policy_ops, m) * 8)

static int ioasid_policy_check_member(const struct btf_type *t,
				      const struct btf_member *member,
				      const struct bpf_prog *prog)
{
	u32 moff = __btf_member_bit_offset(t, member);

	/*
	 * Only init may sleep. cache_flush and detach run with preemption
	 * disabled; exit runs from release paths. attach and attach_pasid run
	 * under the device's group lock (and ioasid-pci's device lock), which
	 * mmap() and BAR faults take under mmap_lock: a sleepable program
	 * could fault user memory there (bpf_copy_from_user_str() is open to
	 * every sleepable program) and close a cycle with mmap_lock. See the
	 * lock order in docs/design.md.
	 */
	if (prog->sleepable && moff != OPS_MEMBER(init))
		return -EINVAL;
	return 0;
}

static bool policy_name_valid(const char *name, size_t len)
{
	size_t i;

	if (!name[0] || strnlen(name, len) == len)
		return false;
	for (i = 0; name[i]; i++)
		if (!isalnum(name[i]) && name[i] != '_' && name[i] != '-')
			return false;
	return true;
}

static int ioasid_policy_init_member(const struct btf_type *t,
				     const struct btf_member *member,
				     void *kdata, const void *udata)
{
	const struct ioasid_policy_ops *uops = udata;
	struct ioasid_policy_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member);

	switch (moff) {
	case OPS_MEMBER(name):
		if (!policy_name_valid(uops->name, sizeof(uops->name))) {
			pr_warn("policy name must be 1-%zu chars of [A-Za-z0-9_-]\n",
				sizeof(uops->name) - 1);
			return -EINVAL;
		}
		memcpy(ops->name, uops->name, sizeof(ops->name));
		return 1;
	case OPS_MEMBER(priority):
		ops->priority = uops->priority;
		return 1;
	case OPS_MEMBER(flags):
		if (uops->flags & ~IOASID_POLICY_F_SHADOW) {
			pr_warn("policy %s: unknown flags %#x\n", uops->name,
				uops->flags);
			return -EINVAL;
		}
		ops->flags = uops->flags;
		return 1;
	case OPS_MEMBER(abi_version):
		if (uops->abi_version < IOASID_POLICY_ABI_VERSION_MIN ||
		    uops->abi_version > IOASID_POLICY_ABI_VERSION) {
			pr_warn("policy %s: abi_version %u, module speaks %u-%u\n",
				uops->name, uops->abi_version,
				IOASID_POLICY_ABI_VERSION_MIN,
				IOASID_POLICY_ABI_VERSION);
			return -EINVAL;
		}
		ops->abi_version = uops->abi_version;
		return 1;
	case OPS_MEMBER(__reserved):
		return uops->__reserved ? -EINVAL : 1;
	}
	return 0;
}

static int ioasid_policy_validate(void *kdata)
{
	const struct ioasid_policy_ops *ops = kdata;

	if (!ops->attach && !ops->attach_pasid && !ops->cache_flush) {
		pr_warn("policy %s implements no decision callback\n",
			ops->name);
		return -EINVAL;
	}
	return 0;
}

static struct ioasid_policy *policy_find_locked(const void *kdata)
{
	struct ioasid_policy *p;

	lockdep_assert_held(&ioasid_policy_mutex);
	list_for_each_entry(p, &ioasid_policies, node)
		if (p->ops == kdata)
			return p;
	return NULL;
}

static bool policy_name_taken_locked(const char *name,
				     const struct ioasid_policy *except)
{
	struct ioasid_policy *p;

	lockdep_assert_held(&ioasid_policy_mutex);
	list_for_each_entry(p, &ioasid_policies, node)
		if (p != except && !strcmp(p->name, name))
			return true;
	return false;
}

/* Insert sorted by priority; equal priorities keep registration order. */
static void policy_insert_locked(struct ioasid_policy *new)
{
	struct ioasid_policy *p;

	lockdep_assert_held(&ioasid_policy_mutex);
	list_for_each_entry(p, &ioasid_policies, node) {
		if (p->priority > new->priority) {
			list_add_tail_rcu(&new->node, &p->node);
			return;
		}
	}
	list_add_tail_rcu(&new->node, &ioasid_policies);
}

static struct ioasid_policy *policy_alloc(struct ioasid_policy_ops *ops,
					  struct bpf_link *link)
{
	struct ioasid_policy *p;

	p = ioasid_policy_sysfs_alloc();
	if (!p)
		return NULL;
	p->ops = ops;
	strscpy(p->name, ops->name, sizeof(p->name));
	p->priority = ops->priority;
	p->flags = ops->flags;
	p->abi_version = ops->abi_version;
	p->link = link;
	atomic_set(&p->state, IOASID_POLICY_ACTIVE);
	return p;
}

/*
 * A registered policy decides for every fd and device of the host, so
 * registering or replacing one needs CAP_SYS_ADMIN in the initial user
 * namespace, on top of what the bpf() syscall asks to load it (CAP_BPF and
 * CAP_PERFMON, which a BPF token can delegate to a container).
 */
static bool policy_may_register(void)
{
	return capable(CAP_SYS_ADMIN);
}

static int ioasid_policy_reg(void *kdata, struct bpf_link *link)
{
	struct ioasid_policy_ops *ops = kdata;
	struct ioasid_policy *p;
	int rc;

	/* Links detach when their owner dies; bare maps would linger. */
	if (!link)
		return -EOPNOTSUPP;
	if (!policy_may_register())
		return -EPERM;

	guard(mutex)(&ioasid_policy_mutex);
	if (policy_name_taken_locked(ops->name, NULL)) {
		pr_warn("policy %s already registered\n", ops->name);
		return -EEXIST;
	}
	if (ops->init) {
		rc = ops->init();
		if (rc) {
			pr_warn("policy %s: init returned %d\n", ops->name, rc);
			return rc < 0 && rc >= -IOASID_POLICY_MAX_USER_ERRNO ?
			       rc : -EINVAL;
		}
	}
	p = policy_alloc(ops, link);
	if (!p) {
		rc = -ENOMEM;
		goto out_exit;
	}
	rc = ioasid_policy_sysfs_add(p);
	if (rc) {
		ioasid_policy_put(p);
		goto out_exit;
	}
	policy_insert_locked(p);
	pr_info("policy %s registered (priority %u%s)\n", p->name,
		p->priority, p->flags & IOASID_POLICY_F_SHADOW ? ", shadow" : "");
	/* Attachments in force hear the new stack, once the link is set. */
	ioasid_policy_revalidate_schedule();
	return 0;

out_exit:
	/* init succeeded: the policy hears that it will not run. */
	if (ops->exit)
		ops->exit(rc);
	return rc;
}

/* Called once @p is unreachable by readers, before unreg/update returns. */
static void policy_retire(struct ioasid_policy *p, int reason)
{
	/* The program stays callable until unreg/update returns. */
	if (p->ops->exit)
		p->ops->exit(reason);
	p->ops = NULL;
	p->link = NULL;
	ioasid_policy_put(p);
}

static void ioasid_policy_unreg(void *kdata, struct bpf_link *link)
{
	struct ioasid_policy *p;

	mutex_lock(&ioasid_policy_mutex);
	/* Only ever act on our own instance: a stale link must not win. */
	p = policy_find_locked(kdata);
	if (!p) {
		mutex_unlock(&ioasid_policy_mutex);
		return;
	}
	list_del_rcu(&p->node);
	ioasid_policy_sysfs_del(p);
	mutex_unlock(&ioasid_policy_mutex);

	/* The BPF core only waits for RCU: our readers use SRCU. */
	synchronize_srcu(&ioasid_policy_srcu);
	pr_info("policy %s unregistered\n", p->name);
	policy_retire(p, 0);
	ioasid_policy_revalidate_schedule();
}

static int ioasid_policy_update(void *kdata, void *old_kdata,
				struct bpf_link *link)
{
	struct ioasid_policy_ops *ops = kdata;
	struct ioasid_policy *old, *p;
	int rc;

	if (!policy_may_register())
		return -EPERM;
	mutex_lock(&ioasid_policy_mutex);
	old = policy_find_locked(old_kdata);
	if (!old) {
		rc = -ENOENT;
		goto out_unlock;
	}
	if (policy_name_taken_locked(ops->name, old)) {
		rc = -EEXIST;
		goto out_unlock;
	}
	if (ops->init) {
		rc = ops->init();
		if (rc) {
			rc = rc < 0 && rc >= -IOASID_POLICY_MAX_USER_ERRNO ?
			     rc : -EINVAL;
			goto out_unlock;
		}
	}
	p = policy_alloc(ops, link);
	if (!p) {
		if (ops->exit)
			ops->exit(-ENOMEM);
		rc = -ENOMEM;
		goto out_unlock;
	}
	/* The new instance keeps the old one's slot in the stack. */
	if (p->priority == old->priority) {
		list_replace_rcu(&old->node, &p->node);
	} else {
		list_del_rcu(&old->node);
		policy_insert_locked(p);
	}
	/* sysfs names the entry by policy name: swap under the mutex. */
	ioasid_policy_sysfs_del(old);
	rc = ioasid_policy_sysfs_add(p);
	if (rc)
		pr_warn("policy %s: no sysfs entry (%d)\n", p->name, rc);
	mutex_unlock(&ioasid_policy_mutex);

	synchronize_srcu(&ioasid_policy_srcu);
	pr_info("policy %s replaced by %s (link %u)\n", old->name, p->name,
		ioasid_policy_link_id(p));
	policy_retire(old, 0);
	ioasid_policy_revalidate_schedule();
	return 0;

out_unlock:
	mutex_unlock(&ioasid_policy_mutex);
	return rc;
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * ioasid_policy_kunit_reg - register C callbacks as a policy (KUnit only)
 * @ops: the callbacks and data fields, as a BPF policy would give them
 *
 * The same path as reg() minus the link: tests drive stacking, DEFER,
 * shadows and garbage verdicts without BPF.
 *
 * Return: 0, -EEXIST, -ENOMEM or a sysfs errno.
 */
int ioasid_policy_kunit_reg(struct ioasid_policy_ops *ops)
{
	struct ioasid_policy *p;
	int rc;

	guard(mutex)(&ioasid_policy_mutex);
	if (policy_name_taken_locked(ops->name, NULL))
		return -EEXIST;
	p = policy_alloc(ops, NULL);
	if (!p)
		return -ENOMEM;
	rc = ioasid_policy_sysfs_add(p);
	if (rc) {
		ioasid_policy_put(p);
		return rc;
	}
	policy_insert_locked(p);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_policy_kunit_reg);

/**
 * ioasid_policy_kunit_unreg - unregister what ioasid_policy_kunit_reg() did
 * @ops: the same callbacks
 */
void ioasid_policy_kunit_unreg(struct ioasid_policy_ops *ops)
{
	ioasid_policy_unreg(ops, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_policy_kunit_unreg);
#endif

/* CFI stubs: prototypes of every member, never called. */
static int ioasid_policy_stub_attach(const struct ioasid_policy_req *req)
{
	return 0;
}

static int ioasid_policy_stub_attach_pasid(const struct ioasid_policy_req *req)
{
	return 0;
}

static int ioasid_policy_stub_cache_flush(const struct ioasid_policy_req *req)
{
	return 0;
}

static void ioasid_policy_stub_detach(const struct ioasid_policy_req *req)
{
}

static int ioasid_policy_stub_init(void)
{
	return 0;
}

static void ioasid_policy_stub_exit(int reason)
{
}

static struct ioasid_policy_ops ioasid_policy_cfi_stubs = {
	.attach = ioasid_policy_stub_attach,
	.attach_pasid = ioasid_policy_stub_attach_pasid,
	.cache_flush = ioasid_policy_stub_cache_flush,
	.detach = ioasid_policy_stub_detach,
	.init = ioasid_policy_stub_init,
	.exit = ioasid_policy_stub_exit,
};

static struct bpf_struct_ops ioasid_policy_struct_ops = {
	.verifier_ops = &ioasid_policy_verifier_ops,
	.init = ioasid_policy_st_init,
	.check_member = ioasid_policy_check_member,
	.init_member = ioasid_policy_init_member,
	.validate = ioasid_policy_validate,
	.reg = ioasid_policy_reg,
	.unreg = ioasid_policy_unreg,
	.update = ioasid_policy_update,
	.cfi_stubs = &ioasid_policy_cfi_stubs,
	.owner = THIS_MODULE,
	.name = "ioasid_policy_ops",
};

/**
 * ioasid_policy_ops_register - offer the struct_ops type and its kfuncs
 *
 * Return: 0 or the errno of the BPF core's registration.
 */
int ioasid_policy_ops_register(void)
{
	int rc;

	rc = register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
				       &ioasid_policy_kfunc_set);
	if (rc)
		return rc;
	return register_bpf_struct_ops(&ioasid_policy_struct_ops,
				       ioasid_policy_ops);
}
