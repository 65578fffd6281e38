// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/ioasid/policy: what operators see of the policy stack.
 *
 *   bypass            rw  1 = only the built-in policy decides (kill switch)
 *   stack             r   registered policies in the order they are asked
 *   abi_version       r   IOASID_POLICY_ABI_VERSION this module accepts
 *   <name>/priority   r
 *   <name>/flags      r   shadow or none
 *   <name>/link_id    r   bpf_link id (also the policy id in decisions)
 *   <name>/state      r   active | errored
 *   <name>/verdicts   r   "allow N deny N defer N error N"
 *   <name>/last_error r   why the policy errored, empty otherwise
 *
 * /sys/kernel/ioasid/stats (stats.c) sits next to it.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/slab.h>
#include <linux/capability.h>

#include "ioasid_private.h"
#include "policy.h"

static struct kobject *ioasid_kobj;
static struct kset *ioasid_policy_kset;

#define to_policy(k) container_of(k, struct ioasid_policy, kobj)

static ssize_t priority_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", to_policy(kobj)->priority);
}

static ssize_t flags_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", to_policy(kobj)->flags &
			  IOASID_POLICY_F_SHADOW ? "shadow" : "none");
}

static ssize_t link_id_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", ioasid_policy_link_id(to_policy(kobj)));
}

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  atomic_read(&to_policy(kobj)->state) ==
					  IOASID_POLICY_ACTIVE ? "active" :
								 "errored");
}

static ssize_t verdicts_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct ioasid_policy *p = to_policy(kobj);

	return sysfs_emit(buf, "allow %lld deny %lld defer %lld error %lld\n",
			  atomic64_read(&p->counters[IOASID_POLICY_CNT_ALLOW]),
			  atomic64_read(&p->counters[IOASID_POLICY_CNT_DENY]),
			  atomic64_read(&p->counters[IOASID_POLICY_CNT_DEFER]),
			  atomic64_read(&p->counters[IOASID_POLICY_CNT_ERROR]));
}

static ssize_t last_error_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_policy(kobj)->last_error);
}

static struct kobj_attribute policy_attr_priority = __ATTR_RO(priority);
static struct kobj_attribute policy_attr_flags = __ATTR_RO(flags);
static struct kobj_attribute policy_attr_link_id = __ATTR_RO(link_id);
static struct kobj_attribute policy_attr_state = __ATTR_RO(state);
static struct kobj_attribute policy_attr_verdicts = __ATTR_RO(verdicts);
static struct kobj_attribute policy_attr_last_error = __ATTR_RO(last_error);

static struct attribute *ioasid_policy_attrs[] = {
	&policy_attr_priority.attr,
	&policy_attr_flags.attr,
	&policy_attr_link_id.attr,
	&policy_attr_state.attr,
	&policy_attr_verdicts.attr,
	&policy_attr_last_error.attr,
	NULL,
};
ATTRIBUTE_GROUPS(ioasid_policy);

static void ioasid_policy_release(struct kobject *kobj)
{
	kfree(to_policy(kobj));
}

static const struct kobj_type ioasid_policy_ktype = {
	.release = ioasid_policy_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = ioasid_policy_groups,
};

struct ioasid_policy *ioasid_policy_sysfs_alloc(void)
{
	struct ioasid_policy *p;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (p)
		kobject_init(&p->kobj, &ioasid_policy_ktype);
	return p;
}

int ioasid_policy_sysfs_add(struct ioasid_policy *p)
{
	int rc;

	p->kobj.kset = ioasid_policy_kset;
	rc = kobject_add(&p->kobj, NULL, "%s", p->name);
	if (!rc)
		p->in_sysfs = true;
	return rc;
}

void ioasid_policy_sysfs_del(struct ioasid_policy *p)
{
	if (p->in_sysfs) {
		kobject_del(&p->kobj);
		p->in_sysfs = false;
	}
}

void ioasid_policy_put(struct ioasid_policy *p)
{
	kobject_put(&p->kobj);
}

static ssize_t bypass_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(ioasid_policy_bypass));
}

static ssize_t bypass_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	bool val;
	int rc;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	rc = kstrtobool(buf, &val);
	if (rc)
		return rc;
	if (val != READ_ONCE(ioasid_policy_bypass))
		pr_info("policy kill switch %s: %s decides\n",
			val ? "on" : "off",
			val ? "the built-in policy alone" : "the policy stack");
	WRITE_ONCE(ioasid_policy_bypass, val);
	return count;
}

struct stack_show_arg {
	char *buf;
	ssize_t len;
};

static void stack_show_one(struct ioasid_policy *p, void *arg)
{
	struct stack_show_arg *a = arg;

	a->len += sysfs_emit_at(a->buf, a->len, "%s %u %s%s\n", p->name,
				p->priority,
				atomic_read(&p->state) == IOASID_POLICY_ACTIVE ?
					"active" : "errored",
				p->flags & IOASID_POLICY_F_SHADOW ?
					" shadow" : "");
}

static ssize_t stack_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct stack_show_arg a = { .buf = buf };

	ioasid_policy_for_each(stack_show_one, &a);
	a.len += sysfs_emit_at(buf, a.len, "builtin - active\n");
	return a.len;
}

/* What loaders check before they register a policy built for a version. */
static ssize_t abi_version_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", IOASID_POLICY_ABI_VERSION);
}

static struct kobj_attribute policy_attr_bypass = __ATTR_RW_MODE(bypass, 0644);
static struct kobj_attribute policy_attr_stack = __ATTR_RO(stack);
static struct kobj_attribute policy_attr_abi_version = __ATTR_RO(abi_version);

static struct attribute *ioasid_policy_root_attrs[] = {
	&policy_attr_bypass.attr,
	&policy_attr_stack.attr,
	&policy_attr_abi_version.attr,
	NULL,
};

static const struct attribute_group ioasid_policy_root_group = {
	.attrs = ioasid_policy_root_attrs,
};

int ioasid_policy_sysfs_init(void)
{
	int rc;

	ioasid_kobj = kobject_create_and_add("ioasid", kernel_kobj);
	if (!ioasid_kobj)
		return -ENOMEM;
	ioasid_policy_kset = kset_create_and_add("policy", NULL, ioasid_kobj);
	if (!ioasid_policy_kset) {
		rc = -ENOMEM;
		goto err_put;
	}
	rc = sysfs_create_group(&ioasid_policy_kset->kobj,
				&ioasid_policy_root_group);
	if (rc)
		goto err_kset;
	rc = ioasid_stats_init(ioasid_kobj);
	if (rc)
		goto err_group;
	return 0;

err_group:
	sysfs_remove_group(&ioasid_policy_kset->kobj, &ioasid_policy_root_group);
err_kset:
	kset_unregister(ioasid_policy_kset);
err_put:
	kobject_put(ioasid_kobj);
	return rc;
}

void ioasid_policy_sysfs_exit(void)
{
	ioasid_stats_exit(ioasid_kobj);
	sysfs_remove_group(&ioasid_policy_kset->kobj, &ioasid_policy_root_group);
	kset_unregister(ioasid_policy_kset);
	kobject_put(ioasid_kobj);
}
