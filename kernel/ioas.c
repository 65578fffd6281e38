// SPDX-License-Identifier: GPL-2.0
/*
 * IOAS objects: their lifecycle and the ioctls that operate on them. The
 * handlers only decode and validate; io_pagetable.c does the work.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/capability.h>

#include <linux/ioasid_kernel.h>

#include "io_pagetable.h"

/* Most iova_ranges entries the kernel builds at once. */
#define IOASID_MAX_IOVA_RANGES 4096

static struct ioasid_ioas *ioas_get(struct ioasid_ucmd *ucmd, u32 id)
{
	struct ioasid_object *obj;

	obj = ioasid_get_object(ucmd->ctx, id, IOASID_OBJ_IOAS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_ioas, obj);
}

static void ioas_put(struct ioasid_ucmd *ucmd, struct ioasid_ioas *ioas)
{
	ioasid_put_object(ucmd->ctx, &ioas->obj);
}

static struct lock_class_key ioasid_ioas_mutex_key;

static void ioas_init(struct ioasid_ioas *ioas, struct ioasid_ctx *ctx)
{
	ioas->ctx = ctx;
	iopt_init(ioas);
	__mutex_init(&ioas->mutex, "ioasid_ioas::mutex", &ioasid_ioas_mutex_key);
}

/**
 * ioasid_ioas_create - make a root IOAS for an in-kernel user
 * @ctx: the context (a kernel one, see pasid.c)
 *
 * Return: the published IOAS (its id is @ioas->obj.id), or an ERR_PTR.
 */
struct ioasid_ioas *ioasid_ioas_create(struct ioasid_ctx *ctx)
{
	struct ioasid_object *obj;
	struct ioasid_ioas *ioas;

	obj = ioasid_object_alloc(ctx, sizeof(*ioas), IOASID_OBJ_IOAS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	ioas = container_of(obj, struct ioasid_ioas, obj);
	ioas_init(ioas, ctx);
	ioasid_object_finalize(ctx, obj);
	return ioas;
}

int ioasid_ioas_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_alloc *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas, *parent = NULL;
	struct ioasid_object *obj;
	int rc;

	/* The object header must come first: the table frees it as such. */
	BUILD_BUG_ON(offsetof(struct ioasid_ioas, obj));
	if (cmd->flags & ~IOASID_IOAS_ALLOC_NESTED)
		return -EOPNOTSUPP;
	if (!(cmd->flags & IOASID_IOAS_ALLOC_NESTED) && cmd->parent_id)
		return -EINVAL;
	if (cmd->flags & IOASID_IOAS_ALLOC_NESTED) {
		parent = ioas_get(ucmd, cmd->parent_id);
		if (IS_ERR(parent))
			return PTR_ERR(parent);
		if (parent->depth >= IOASID_MAX_NESTING_DEPTH) {
			rc = -E2BIG;
			goto out_put_parent;
		}
	}

	obj = ioasid_object_alloc(ucmd->ctx, sizeof(*ioas), IOASID_OBJ_IOAS);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out_put_parent;
	}
	ioas = container_of(obj, struct ioasid_ioas, obj);
	ioas_init(ioas, ucmd->ctx);
	if (parent) {
		/* The child holds its parent for life: destroy is EBUSY. */
		if (!ioasid_lock_obj(&parent->obj)) {
			rc = -ENOENT;
			goto out_abort;
		}
		ioas->parent = parent;
		ioas->depth = parent->depth + 1;
	}

	cmd->out_ioas_id = ioas->obj.id;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_unlock_parent;
	if (parent) {
		ioas_lock(parent);
		list_add_tail(&ioas->child_node, &parent->children);
		parent->nr_children++;
		ioas_unlock(parent);
	}
	ioasid_object_finalize(ucmd->ctx, &ioas->obj);
	if (parent)
		ioas_put(ucmd, parent);
	return 0;

out_unlock_parent:
	if (parent)
		ioasid_unlock_obj(&parent->obj);
out_abort:
	mutex_destroy(&ioas->mutex);
	ioasid_object_abort(ucmd->ctx, &ioas->obj);
out_put_parent:
	if (parent)
		ioas_put(ucmd, parent);
	return rc;
}

void ioasid_ioas_destroy(struct ioasid_object *obj)
{
	struct ioasid_ioas *ioas = container_of(obj, struct ioasid_ioas, obj);
	struct ioasid_ioas *parent = ioas->parent;

	iopt_destroy(ioas);
	if (parent) {
		ioas_lock(parent);
		list_del(&ioas->child_node);
		parent->nr_children--;
		ioas_unlock(parent);
		ioasid_unlock_obj(&parent->obj);
	}
	mutex_destroy(&ioas->mutex);
}

/*
 * Answer a map or copy that made @length bytes at @iova in @ioas; if telling
 * the caller fails, do not leave a mapping behind that it does not know of.
 */
static int ioas_respond_mapped(struct ioasid_ucmd *ucmd, size_t cmd_len,
			       struct ioasid_ioas *ioas, u64 iova, u64 length)
{
	int rc = ioasid_ucmd_respond(ucmd, cmd_len);
	u64 unused;

	if (rc)
		iopt_unmap(ioas, iova, length, 0, &unused);
	return rc;
}

int ioasid_ioas_map_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_map *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	u64 iova = cmd->iova;
	int rc;

	if (cmd->flags & ~(IOASID_MAP_FIXED_IOVA | IOASID_MAP_WRITEABLE |
			   IOASID_MAP_READABLE))
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	ioas = ioas_get(ucmd, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (ioas->parent)
		rc = iopt_map_nested(ioas, &iova, cmd->addr, cmd->length,
				     cmd->align, cmd->flags);
	else
		rc = iopt_map_user(ioas, &iova, cmd->addr, cmd->length,
				   cmd->align, cmd->flags);
	if (!rc) {
		cmd->iova = iova;
		rc = ioas_respond_mapped(ucmd, sizeof(*cmd), ioas, iova,
					 cmd->length);
	}
	ioas_put(ucmd, ioas);
	return rc;
}

int ioasid_ioas_unmap_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_unmap *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	u64 unmapped;
	int rc;

	if (cmd->flags & ~(IOASID_UNMAP_ALL | IOASID_UNMAP_ALLOW_SPLIT))
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	ioas = ioas_get(ucmd, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_unmap(ioas, cmd->iova, cmd->length, cmd->flags, &unmapped);
	ioas_put(ucmd, ioas);
	if (rc)
		return rc;
	cmd->length = unmapped;
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

int ioasid_ioas_copy_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_copy *cmd = ucmd->cmd;
	struct ioasid_ioas *src, *dst;
	u64 iova = cmd->dst_iova;
	int rc;

	if (cmd->flags & ~(IOASID_MAP_FIXED_IOVA | IOASID_MAP_WRITEABLE |
			   IOASID_MAP_READABLE))
		return -EOPNOTSUPP;

	src = ioas_get(ucmd, cmd->src_ioas_id);
	if (IS_ERR(src))
		return PTR_ERR(src);
	dst = ioas_get(ucmd, cmd->dst_ioas_id);
	if (IS_ERR(dst)) {
		ioas_put(ucmd, src);
		return PTR_ERR(dst);
	}
	rc = iopt_copy(dst, &iova, src, cmd->src_iova, cmd->length,
		       cmd->flags);
	if (!rc) {
		cmd->dst_iova = iova;
		rc = ioas_respond_mapped(ucmd, sizeof(*cmd), dst, iova,
					 cmd->length);
	}
	ioas_put(ucmd, dst);
	ioas_put(ucmd, src);
	return rc;
}

int ioasid_ioas_iova_ranges_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_iova_ranges *cmd = ucmd->cmd;
	struct ioasid_iova_range *ranges = NULL;
	struct ioasid_ioas *ioas;
	u32 max, nr;
	int rc;

	if (cmd->__reserved)
		return -EINVAL;
	max = min_t(u32, cmd->num_iovas, IOASID_MAX_IOVA_RANGES);
	if (max) {
		ranges = kcalloc(max, sizeof(*ranges), GFP_KERNEL);
		if (!ranges)
			return -ENOMEM;
	}
	ioas = ioas_get(ucmd, cmd->ioas_id);
	if (IS_ERR(ioas)) {
		kfree(ranges);
		return PTR_ERR(ioas);
	}
	rc = iopt_get_ranges(ioas, ranges, max, &nr);
	ioas_put(ucmd, ioas);
	if (rc)
		goto out;
	if (copy_to_user(u64_to_user_ptr(cmd->allowed_iovas), ranges,
			 sizeof(*ranges) * min(max, nr))) {
		rc = -EFAULT;
		goto out;
	}
	cmd->num_iovas = nr;
	cmd->out_iova_alignment = PAGE_SIZE;
	rc = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc && nr > max)
		rc = -EMSGSIZE;
out:
	kfree(ranges);
	return rc;
}

int ioasid_ioas_allow_iovas_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_allow_iovas *cmd = ucmd->cmd;
	struct ioasid_iova_range *ranges = NULL;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EINVAL;
	if (cmd->num_iovas > IOASID_MAX_IOVA_RANGES)
		return -E2BIG;
	if (cmd->num_iovas) {
		ranges = memdup_array_user(u64_to_user_ptr(cmd->allowed_iovas),
					   cmd->num_iovas, sizeof(*ranges));
		if (IS_ERR(ranges))
			return PTR_ERR(ranges);
	}
	ioas = ioas_get(ucmd, cmd->ioas_id);
	if (IS_ERR(ioas)) {
		kfree(ranges);
		return PTR_ERR(ioas);
	}
	rc = iopt_set_allowed(ioas, ranges, cmd->num_iovas);
	ioas_put(ucmd, ioas);
	if (rc)
		kfree(ranges);
	return rc;
}

int ioasid_ioas_get_info_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_info *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	int rc;

	ioas = ioas_get(ucmd, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	ioas_lock(ioas);
	cmd->out_parent_id = ioas->parent ? ioas->parent->obj.id : 0;
	cmd->out_depth = ioas->depth;
	cmd->out_nr_mappings = ioas->nr_areas;
	cmd->out_nr_children = ioas->nr_children;
	cmd->out_nr_domains = list_count_nodes(&ioas->hwpts);
	cmd->out_nr_devices = ioas->nr_devices;
	cmd->out_mapped_bytes = ioas->mapped_bytes;
	cmd->out_unpin_violations = atomic64_read(&ioas->unpin_violations);
	ioas_unlock(ioas);
	rc = iopt_count_pinned(ioas, &cmd->out_pinned_pages);
	ioas_put(ucmd, ioas);
	if (rc)
		return rc;
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

int ioasid_option_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_option *cmd = ucmd->cmd;
	struct ioasid_ctx *ctx = ucmd->ctx;
	int rc = 0;

	if (cmd->__reserved)
		return -EINVAL;
	if (cmd->option_id != IOASID_OPTION_RLIMIT_MODE)
		return -EOPNOTSUPP;
	if (cmd->object_id)
		return -EINVAL;

	switch (cmd->op) {
	case IOASID_OPTION_OP_GET:
		cmd->val64 = READ_ONCE(ctx->rlimit_mode);
		return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	case IOASID_OPTION_OP_SET:
		if (cmd->val64 != IOASID_RLIMIT_USER &&
		    cmd->val64 != IOASID_RLIMIT_MM)
			return -EINVAL;
		/*
		 * The MM mode charges the mapping process's mm while the pin
		 * lives as long as the fd: a parent that keeps the fd and
		 * forks mappers would pin past any one limit. As in iommufd,
		 * only a caller trusted with resource limits may choose it;
		 * the per-user default can always be chosen back.
		 */
		if (cmd->val64 == IOASID_RLIMIT_MM &&
		    !capable(CAP_SYS_RESOURCE))
			return -EPERM;
		mutex_lock(&ctx->option_lock);
		/* Charges already taken must be returned where they went. */
		if (atomic64_read(&ctx->pinned_pages))
			rc = -EBUSY;
		else
			WRITE_ONCE(ctx->rlimit_mode, cmd->val64);
		mutex_unlock(&ctx->option_lock);
		return rc;
	default:
		return -EOPNOTSUPP;
	}
}

/**
 * ioasid_test_iova_rw - test hook: read/write/translate IOAS memory
 * @filp: a /dev/ioasid file
 * @ioas_id: IOAS in it
 * @iova: first byte
 * @buf: kernel buffer (NULL with @phys)
 * @length: bytes
 * @write: write @buf into the IOAS
 * @phys: if non-NULL, only translate @iova into *@phys
 *
 * Only for the ioasid_test module: walks the IOAS's own view, the one every
 * domain is filled from.
 *
 * Return: 0 or a negative errno (-EBADF if @filp is not /dev/ioasid).
 */
int ioasid_test_iova_rw(struct file *filp, u32 ioas_id, u64 iova, void *buf,
			u64 length, bool write, phys_addr_t *phys)
{
	struct ioasid_ucmd ucmd = {};
	struct ioasid_ioas *ioas;
	int rc;

	if (!ioasid_file_is_ioasid(filp))
		return -EBADF;
	ucmd.ctx = filp->private_data;
	ioas = ioas_get(&ucmd, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (phys)
		rc = iopt_iova_to_phys(ioas, iova, phys);
	else
		rc = iopt_rw(ioas, iova, buf, length, write);
	ioas_put(&ucmd, ioas);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_test_iova_rw, IOASID_TEST);
