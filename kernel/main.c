// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid: /dev/ioasid, its per-fd object table and ioctl dispatch.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/sched/signal.h>
#include <linux/anon_inodes.h>

#include <linux/ioasid_kernel.h>
#include <kunit/visibility.h>

#include "ioasid_private.h"
#include "device.h"
#include "io_pagetable.h"
#include "decision_log.h"

static atomic64_t ioasid_next_ctx_id = ATOMIC64_INIT(0);

struct ioasid_object *ioasid_object_alloc(struct ioasid_ctx *ctx, size_t size,
					  enum ioasid_object_type type)
{
	struct ioasid_object *obj;
	int rc;

	obj = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->type = type;
	refcount_set(&obj->shortterm_users, 1);
	refcount_set(&obj->users, 1);

	/*
	 * Reserve the id with a zero entry: lookups treat it as absent until
	 * ioasid_object_finalize() publishes the object, so a half-built
	 * object is never reachable from another ioctl. Ids grow cyclically
	 * so that a destroyed id is not handed out again (until 2^31 objects
	 * have been created on this fd).
	 */
	rc = xa_alloc_cyclic(&ctx->objects, &obj->id, XA_ZERO_ENTRY,
			     xa_limit_31b, &ctx->next_id, GFP_KERNEL_ACCOUNT);
	if (rc < 0) {
		kfree(obj);
		return ERR_PTR(rc);
	}
	atomic_long_inc(&ioasid_stats.objects);
	return obj;
}

void ioasid_object_finalize(struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	void *old;

	/*
	 * The id was reserved with XA_ZERO_ENTRY, so this cannot allocate;
	 * a reserved entry reads back as NULL.
	 */
	old = xa_cmpxchg(&ctx->objects, obj->id, XA_ZERO_ENTRY, obj,
			 GFP_KERNEL);
	WARN_ON(old);
}

void ioasid_object_abort(struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	xa_erase(&ctx->objects, obj->id);
	kfree(obj);
	atomic_long_dec(&ioasid_stats.objects);
}

struct ioasid_object *ioasid_get_object(struct ioasid_ctx *ctx, u32 id,
					enum ioasid_object_type type)
{
	struct ioasid_object *obj;

	xa_lock(&ctx->objects);
	obj = xa_load(&ctx->objects, id);
	if (!obj || (type != IOASID_OBJ_ANY && obj->type != type))
		obj = ERR_PTR(obj ? -EINVAL : -ENOENT);
	else if (!refcount_inc_not_zero(&obj->shortterm_users))
		obj = ERR_PTR(-ENOENT);
	xa_unlock(&ctx->objects);
	return obj;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_get_object);

void ioasid_put_object(struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	if (refcount_dec_and_test(&obj->shortterm_users))
		wake_up_all(&ctx->destroy_wait);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_put_object);

static void ioasid_object_free(struct ioasid_object *obj)
{
	switch (obj->type) {
	case IOASID_OBJ_IOAS:
		ioasid_ioas_destroy(obj);
		break;
	case IOASID_OBJ_DEVICE:
		ioasid_device_destroy(obj);
		break;
	case IOASID_OBJ_ACCESS:
		ioasid_access_obj_destroy(obj);
		break;
	default:
		WARN_ON_ONCE(1);
	}
	kfree(obj);
	atomic_long_dec(&ioasid_stats.objects);
}

/*
 * Unpublish @obj if the table holds its only long-term reference, then wait
 * for ioctls still using it. Called with xa_lock held; drops it.
 */
static int ioasid_object_remove_locked(struct ioasid_ctx *ctx,
				       struct ioasid_object *obj)
	__releases(&ctx->objects.xa_lock)
{
	lockdep_assert_held(&ctx->objects.xa_lock);
	if (!refcount_dec_if_one(&obj->users)) {
		xa_unlock(&ctx->objects);
		return -EBUSY;
	}
	__xa_erase(&ctx->objects, obj->id);
	xa_unlock(&ctx->objects);

	/*
	 * No new short-term user can appear now that the id is gone; drop
	 * the table's own and wait for the ioctls in flight to finish.
	 */
	if (!refcount_dec_and_test(&obj->shortterm_users))
		wait_event(ctx->destroy_wait,
			   refcount_read(&obj->shortterm_users) == 0);
	ioasid_object_free(obj);
	return 0;
}

/* Objects a kernel driver holds: only that driver removes them. */
static bool ioasid_object_driver_held(const struct ioasid_object *obj)
{
	return obj->type == IOASID_OBJ_DEVICE || obj->type == IOASID_OBJ_ACCESS;
}

int ioasid_object_destroy_user(struct ioasid_ctx *ctx, u32 id)
{
	struct ioasid_object *obj;

	xa_lock(&ctx->objects);
	obj = xa_load(&ctx->objects, id);
	if (!obj) {
		xa_unlock(&ctx->objects);
		return -ENOENT;
	}
	/*
	 * A device or access goes when its driver unbinds or destroys it
	 * (ioasid_object_destroy_held()). Letting DESTROY take it in the
	 * instant between the driver dropping its reference and removing
	 * the object freed it under the driver (issue 15, bug 4).
	 */
	if (ioasid_object_driver_held(obj)) {
		xa_unlock(&ctx->objects);
		return -EBUSY;
	}
	return ioasid_object_remove_locked(ctx, obj);
}

/**
 * ioasid_object_destroy_held - the holding driver removes its object
 * @ctx: the fd
 * @obj: a device or access object whose long-term reference the caller
 *	holds since the object was finalized
 *
 * Drops the driver's reference and removes the object in one step under
 * the table's lock, so no DESTROY can come between the two.
 * Context: process context; waits for ioctls still using @obj.
 */
void ioasid_object_destroy_held(struct ioasid_ctx *ctx,
				struct ioasid_object *obj)
{
	xa_lock(&ctx->objects);
	refcount_dec(&obj->users);
	/* Drops xa_lock. Only the table's reference is left: not busy. */
	WARN_ON(ioasid_object_remove_locked(ctx, obj));
}

/**
 * ioasid_copy_struct_from_user - copy in an extensible ioctl struct
 * @dst: the kernel's copy, @ksize bytes
 * @ksize: the size of the struct the kernel knows
 * @minsz: the smallest size accepted: the end of the struct's first version
 * @uarg: the user's struct, whose first member is its size in bytes (__u32)
 * @usize: if not NULL, gets the user's size (for
 *	ioasid_copy_struct_to_user())
 *
 * The one rule for every extensible struct of ioasid's uAPI (linux/ioasid.h,
 * linux/ioasid_device.h, the test module's): a size below @minsz is refused,
 * fields a smaller (older) struct lacks read as zero, and a larger (newer)
 * struct is accepted only if the bytes the kernel does not know are zero.
 * Copy in before taking locks a page fault could need.
 *
 * Return: 0, -EFAULT, -EINVAL (size below @minsz), or -E2BIG (a non-zero
 * byte beyond @ksize).
 */
int ioasid_copy_struct_from_user(void *dst, size_t ksize, size_t minsz,
				 const void __user *uarg, u32 *usize)
{
	u32 size;
	int rc;

	if (get_user(size, (const u32 __user *)uarg))
		return -EFAULT;
	if (size < minsz)
		return -EINVAL;
	rc = copy_struct_from_user(dst, ksize, uarg, size);
	if (!rc && usize)
		*usize = size;
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_copy_struct_from_user, IOASID);

/**
 * ioasid_copy_struct_to_user - copy an extensible ioctl struct back out
 * @uarg: the user's struct
 * @usize: its size, as ioasid_copy_struct_from_user() returned it
 * @src: the kernel's copy
 * @ksize: the size of the struct the kernel knows
 *
 * Writes min(@usize, @ksize) bytes: an older caller gets the fields it
 * knows, a newer one keeps its tail (which was zero) untouched.
 *
 * Return: 0 or -EFAULT.
 */
int ioasid_copy_struct_to_user(void __user *uarg, u32 usize, const void *src,
			       size_t ksize)
{
	return copy_to_user(uarg, src, min_t(size_t, usize, ksize)) ?
		       -EFAULT : 0;
}
EXPORT_SYMBOL_NS_GPL(ioasid_copy_struct_to_user, IOASID);

int ioasid_ucmd_respond(struct ioasid_ucmd *ucmd, size_t cmd_len)
{
	return ioasid_copy_struct_to_user(ucmd->ubuffer, ucmd->user_size,
					  ucmd->cmd, cmd_len);
}

static int ioasid_destroy_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_destroy *cmd = ucmd->cmd;

	return ioasid_object_destroy_user(ucmd->ctx, cmd->id);
}

static struct ioasid_ctx *ioasid_ctx_alloc(void)
{
	struct ioasid_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return NULL;
	xa_init_flags(&ctx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	init_waitqueue_head(&ctx->destroy_wait);
	mutex_init(&ctx->option_lock);
	mutex_init(&ctx->groups_lock);
	spin_lock_init(&ctx->flush.lock);
	INIT_LIST_HEAD(&ctx->flush.srcs);
	xa_init(&ctx->groups);
	ctx->id = atomic64_inc_return(&ioasid_next_ctx_id);
	ctx->rlimit_mode = IOASID_RLIMIT_USER;
	mutex_init(&ctx->access_lock);
	INIT_LIST_HEAD(&ctx->accesses);
	mutex_init(&ctx->kvm_lock);
	init_waitqueue_head(&ctx->policy_wait);
	atomic_long_inc(&ioasid_stats.fds);
	return ctx;
}

static int ioasid_fops_open(struct inode *inode, struct file *filp)
{
	struct ioasid_ctx *ctx = ioasid_ctx_alloc();

	if (!ctx)
		return -ENOMEM;
	ctx->file = filp;
	filp->private_data = ctx;
	return 0;
}

static int ioasid_fops_release(struct inode *inode, struct file *filp)
{
	struct ioasid_ctx *ctx = filp->private_data;
	struct ioasid_object *obj;
	unsigned long index;
	bool progress;

	/*
	 * No ioctl can run any more. Objects reference each other (a child
	 * IOAS holds its parent), so destroy the ones nothing else holds and
	 * repeat until the table is empty.
	 */
	do {
		progress = false;
		xa_lock(&ctx->objects);
		xa_for_each(&ctx->objects, index, obj) {
			if (refcount_read(&obj->users) != 1)
				continue;
			/* Drops xa_lock. */
			if (!ioasid_object_remove_locked(ctx, obj))
				progress = true;
			xa_lock(&ctx->objects);
		}
		xa_unlock(&ctx->objects);
	} while (progress);

	ioasid_flush_release(ctx);
	ioasid_kvm_ctx_release(ctx);
	if (WARN_ON(!xa_empty(&ctx->objects)))
		pr_err("fd %llu closed with objects still referenced\n",
		       ctx->id);
	WARN_ON(atomic64_read(&ctx->pinned_pages));
	xa_destroy(&ctx->objects);
	WARN_ON(!xa_empty(&ctx->groups));
	xa_destroy(&ctx->groups);
	WARN_ON(!list_empty(&ctx->accesses));
	mutex_destroy(&ctx->access_lock);
	mutex_destroy(&ctx->groups_lock);
	mutex_destroy(&ctx->option_lock);
	kfree(ctx);
	atomic_long_dec(&ioasid_stats.fds);
	return 0;
}

union ioasid_ucmd_buffer {
	struct ioasid_destroy destroy;
	struct ioasid_ioas_alloc alloc;
	struct ioasid_ioas_map map;
	struct ioasid_ioas_unmap unmap;
	struct ioasid_ioas_copy copy;
	struct ioasid_ioas_iova_ranges iova_ranges;
	struct ioasid_ioas_allow_iovas allow_iovas;
	struct ioasid_option option;
	struct ioasid_ioas_info info;
	struct ioasid_policy_dry_run dry_run;
	struct ioasid_cache_flush flush;
	struct ioasid_decisions_open decisions_open;
	struct ioasid_kvm_link kvm_link;
	struct ioasid_policy_revalidate revalidate;
};

struct ioasid_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct ioasid_ucmd *ucmd);
};

/*
 * @_last is the last member of @_struct's first version: its end is the
 * smallest size accepted (ioasid_copy_struct_from_user()). Never move it
 * when the struct grows: binaries built against the first version must
 * keep working.
 */
#define IOCTL_OP(_cmd, _ioctl, _fn, _struct, _last)                          \
	[(_cmd) - IOASID_CMD_BASE] = {                                       \
		.size = sizeof(_struct) +                                    \
			BUILD_BUG_ON_ZERO(sizeof(union ioasid_ucmd_buffer) < \
					  sizeof(_struct)),                  \
		.min_size = offsetofend(_struct, _last),                     \
		.ioctl_num = _ioctl,                                         \
		.execute = _fn,                                              \
	}

static const struct ioasid_ioctl_op ioasid_ioctl_ops[] = {
	IOCTL_OP(IOASID_CMD_DESTROY, IOASID_DESTROY, ioasid_destroy_ioctl,
		 struct ioasid_destroy, id),
	IOCTL_OP(IOASID_CMD_IOAS_ALLOC, IOASID_IOAS_ALLOC,
		 ioasid_ioas_alloc_ioctl, struct ioasid_ioas_alloc, out_ioas_id),
	IOCTL_OP(IOASID_CMD_IOAS_MAP, IOASID_IOAS_MAP, ioasid_ioas_map_ioctl,
		 struct ioasid_ioas_map, align),
	IOCTL_OP(IOASID_CMD_IOAS_UNMAP, IOASID_IOAS_UNMAP,
		 ioasid_ioas_unmap_ioctl, struct ioasid_ioas_unmap, length),
	IOCTL_OP(IOASID_CMD_IOAS_COPY, IOASID_IOAS_COPY, ioasid_ioas_copy_ioctl,
		 struct ioasid_ioas_copy, src_iova),
	IOCTL_OP(IOASID_CMD_IOAS_IOVA_RANGES, IOASID_IOAS_IOVA_RANGES,
		 ioasid_ioas_iova_ranges_ioctl, struct ioasid_ioas_iova_ranges,
		 out_iova_alignment),
	IOCTL_OP(IOASID_CMD_IOAS_ALLOW_IOVAS, IOASID_IOAS_ALLOW_IOVAS,
		 ioasid_ioas_allow_iovas_ioctl, struct ioasid_ioas_allow_iovas,
		 allowed_iovas),
	IOCTL_OP(IOASID_CMD_OPTION, IOASID_OPTION, ioasid_option_ioctl,
		 struct ioasid_option, val64),
	IOCTL_OP(IOASID_CMD_IOAS_GET_INFO, IOASID_IOAS_GET_INFO,
		 ioasid_ioas_get_info_ioctl, struct ioasid_ioas_info,
		 out_unpin_violations),
	IOCTL_OP(IOASID_CMD_CACHE_FLUSH, IOASID_CACHE_FLUSH,
		 ioasid_cache_flush_ioctl, struct ioasid_cache_flush,
		 __reserved),
	IOCTL_OP(IOASID_CMD_POLICY_DRY_RUN, IOASID_POLICY_DRY_RUN,
		 ioasid_policy_dry_run_ioctl, struct ioasid_policy_dry_run,
		 out_verdicts),
	IOCTL_OP(IOASID_CMD_DECISIONS_OPEN, IOASID_DECISIONS_OPEN,
		 ioasid_decisions_open_ioctl, struct ioasid_decisions_open,
		 __reserved),
	IOCTL_OP(IOASID_CMD_KVM_LINK, IOASID_KVM_LINK, ioasid_kvm_link_ioctl,
		 struct ioasid_kvm_link, out_state),
	IOCTL_OP(IOASID_CMD_POLICY_REVALIDATE, IOASID_POLICY_REVALIDATE,
		 ioasid_policy_revalidate_ioctl, struct ioasid_policy_revalidate,
		 __reserved2),
};

static long ioasid_fops_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	struct ioasid_ctx *ctx = filp->private_data;
	const struct ioasid_ioctl_op *op;
	struct ioasid_ucmd ucmd = {};
	/* Most commands fit here; the large (dry run) one is allocated. */
	u64 stack_buf[32];
	void *heap_buf = NULL;
	unsigned int nr;
	int rc;

	nr = _IOC_NR(cmd);
	if (_IOC_TYPE(cmd) != IOASID_TYPE || nr < IOASID_CMD_BASE ||
	    nr - IOASID_CMD_BASE >= ARRAY_SIZE(ioasid_ioctl_ops))
		return -ENOTTY;
	op = &ioasid_ioctl_ops[nr - IOASID_CMD_BASE];
	if (op->ioctl_num != cmd)
		return -ENOTTY;

	ucmd.ctx = ctx;
	ucmd.ubuffer = (void __user *)arg;
	ucmd.cmd = stack_buf;
	if (op->size > sizeof(stack_buf)) {
		heap_buf = kmalloc(op->size, GFP_KERNEL);
		if (!heap_buf)
			return -ENOMEM;
		ucmd.cmd = heap_buf;
	}
	rc = ioasid_copy_struct_from_user(ucmd.cmd, op->size, op->min_size,
					  ucmd.ubuffer, &ucmd.user_size);
	if (!rc)
		rc = op->execute(&ucmd);
	kfree(heap_buf);
	return rc;
}

static const struct file_operations ioasid_fops = {
	.owner = THIS_MODULE,
	.open = ioasid_fops_open,
	.release = ioasid_fops_release,
	.unlocked_ioctl = ioasid_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = ioasid_policy_events_poll,
};

/**
 * ioasid_file_is_ioasid - is @filp an open /dev/ioasid?
 * @filp: any file
 *
 * Return: true if @filp's private data is a struct ioasid_ctx.
 */
bool ioasid_file_is_ioasid(struct file *filp)
{
	return filp && filp->f_op == &ioasid_fops;
}
EXPORT_SYMBOL_NS_GPL(ioasid_file_is_ioasid, IOASID);

/**
 * ioasid_kernel_file - an ioasid context for the kernel's own use
 *
 * A context on an anonymous file that no user space fd refers to, for
 * per-PASID kernel contexts (pasid.c) and VFIO containers (ioasid-vfio).
 * It behaves as an open /dev/ioasid; fput() releases it.
 *
 * Return: the file, or an ERR_PTR.
 */
struct file *ioasid_kernel_file(void)
{
	struct ioasid_ctx *ctx = ioasid_ctx_alloc();
	struct file *file;

	if (!ctx)
		return ERR_PTR(-ENOMEM);
	file = anon_inode_getfile("[ioasid-kernel]", &ioasid_fops, ctx,
				  O_RDWR);
	if (IS_ERR(file)) {
		/* Nothing was created in it: undo the allocation only. */
		xa_destroy(&ctx->objects);
		kfree(ctx);
		atomic_long_dec(&ioasid_stats.fds);
		return file;
	}
	ctx->file = file;
	return file;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kernel_file, IOASID);

/*
 * 0660 root:root, as iommufd's /dev/iommu: an fd pins memory and, with a
 * device, may drive DMA and cache flushes, so who may open it is the
 * operator's choice (a udev rule giving a VMM group access), not everyone's
 * by default. docs/security.md explains the choice.
 */
static struct miscdevice ioasid_misc_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ioasid",
	.nodename = "ioasid",
	.fops = &ioasid_fops,
	.mode = 0660,
};

static int __init ioasid_init(void)
{
	int rc;

	rc = ioasid_decision_log_init();
	if (rc)
		return rc;
	/* Policies must be registrable before the first fd can ask them. */
	rc = ioasid_policy_init();
	if (rc)
		goto err_log;
	ioasid_flush_init();
	rc = misc_register(&ioasid_misc_dev);
	if (rc) {
		ioasid_flush_exit();
		ioasid_policy_exit();
		goto err_log;
	}
	return 0;

err_log:
	ioasid_decision_log_exit();
	return rc;
}

static void __exit ioasid_exit(void)
{
	misc_deregister(&ioasid_misc_dev);
	ioasid_flush_exit();
	ioasid_policy_exit();
	ioasid_decision_log_exit();
}

module_init(ioasid_init);
module_exit(ioasid_exit);

MODULE_DESCRIPTION("IO address spaces with BPF-programmable policy");
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);
MODULE_LICENSE("GPL");
