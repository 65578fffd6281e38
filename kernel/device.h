/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Devices bound to an ioasid fd, their IOMMU groups and the domains they
 * attach through.
 *
 * Lock order (the whole of it: docs/design.md, "Lock order"):
 * igroup->lock -> ioas->mutex (-> a parent IOAS is never
 * needed here). ctx->groups_lock only guards the groups xarray.
 */
#ifndef __IOASID_DEVICE_H
#define __IOASID_DEVICE_H

#include <linux/list.h>
#include <linux/kref.h>
#include <linux/xarray.h>

#include <linux/ioasid_kernel.h>

#include "ioasid_private.h"
#include "request.h"

struct iommu_group;
struct ioasid_ioas;
struct ioasid_hwpt;

/**
 * struct ioasid_group - an IOMMU group as seen by one ioasid fd
 * @kref: bound devices of the group
 * @ctx: the fd
 * @group: the IOMMU group (referenced)
 * @lock: protects everything below and the attach state of its devices
 * @devices: bound devices of the group
 * @ioas: IOAS the group is attached to (RID), or NULL
 * @hwpt: domain the group is attached through, or NULL
 * @nr_attached: devices of the group attached to @ioas
 * @flush_src: the group's part in the fd's cache-flush grant (flush.c)
 */
struct ioasid_group {
	struct kref kref;
	struct ioasid_ctx *ctx;
	struct iommu_group *group;
	struct mutex lock; /* see above */
	struct list_head devices;
	struct ioasid_ioas *ioas;
	struct ioasid_hwpt *hwpt;
	unsigned int nr_attached;
	struct ioasid_flush_src flush_src;
};

/**
 * struct ioasid_pasid_attach - one PASID attachment of a device
 * @ioas: the IOAS
 * @hwpt: the domain attached at the PASID
 * @req: the request that attached it (for its detach notice)
 * @decision: the decision in force (the attach's, or a revalidation's)
 * @flush_src: its part in the fd's cache-flush grant (flush.c)
 * @needs_reattach: a revalidation chose another snoop mode than @hwpt has
 */
struct ioasid_pasid_attach {
	struct ioasid_ioas *ioas;
	struct ioasid_hwpt *hwpt;
	struct ioasid_policy_req req;
	struct ioasid_policy_decision decision;
	struct ioasid_flush_src flush_src;
	bool needs_reattach;
};

/**
 * struct ioasid_attach_result - how one attach ended
 * @asked: the policies were asked (@decision is theirs)
 * @decision: the policies' decision, exactly as they made it
 * @core_err: 0, or the errno of the core: it refused before asking, or
 *	could not apply what the policies allowed
 * @core_reason: the core's reason for @core_err ("" when it has none)
 *
 * The policies' reason and the core's are kept apart;
 * ioasid_attach_result_export() gives the uAPI's single decision.
 */
struct ioasid_attach_result {
	bool asked;
	struct ioasid_policy_decision decision;
	int core_err;
	char core_reason[IOASID_REASON_LEN];
};

/**
 * struct ioasid_device - a device bound to an ioasid fd
 * @obj: object header (IOASID_OBJ_DEVICE)
 * @ctx: the fd
 * @file: the fd's file, held while bound
 * @dev: the device (referenced)
 * @igroup: its group in @ctx
 * @group_node: in @igroup->devices
 * @ioas: IOAS attached at the RID (under @igroup->lock)
 * @pasids: PASID -> struct ioasid_pasid_attach (under @igroup->lock)
 * @req: the request of the current RID attachment (for detach notices)
 * @last: how the last attach that reached the policies or was refused
 *	with a reason ended (under @igroup->lock; GET_INFO shows it)
 * @bind_flags: enum ioasid_bind_flags
 * @desc: the device as policies see it, probed once at bind
 * @all_node: in the list of every bound device (policy_revalidate.c)
 * @rid_state: enum ioasid_device_policy_state of the RID attachment
 *	(under @igroup->lock)
 * @pasid_revoked: a revalidation detached one of its PASIDs (under
 *	@igroup->lock; cleared by the next PASID attach)
 * @has_event: counted in @ctx->nr_policy_events (under @igroup->lock)
 */
struct ioasid_device {
	struct ioasid_object obj;
	struct ioasid_ctx *ctx;
	struct file *file;
	struct device *dev;
	struct ioasid_group *igroup;
	struct list_head group_node;
	struct ioasid_ioas *ioas;
	struct xarray pasids;
	struct ioasid_policy_req req;
	struct ioasid_attach_result last;
	u32 bind_flags;
	struct ioasid_dev_desc desc;
	struct list_head all_node;
	u32 rid_state;
	bool pasid_revoked;
	bool has_event;
};

/* device.c */
void ioasid_device_destroy(struct ioasid_object *obj);
int ioasid_device_attach_result(struct ioasid_device *idev, u32 ioas_id,
				u32 flags, u32 pasid,
				struct ioasid_attach_result *res);
void ioasid_attach_result_export(const struct ioasid_attach_result *res,
				 struct ioasid_policy_decision *out);
int ioasid_device_decide(struct ioasid_device *idev, struct ioasid_ioas *ioas,
			 const struct ioasid_req_caller *caller,
			 struct ioasid_attach_result *res,
			 struct ioasid_policy_req *req);
void ioasid_device_detach_rid_locked(struct ioasid_device *idev);

/* device_pasid.c */
int ioasid_device_attach_pasid_locked(struct ioasid_device *idev,
				      struct ioasid_ioas *ioas, u32 pasid,
				      struct ioasid_attach_result *res);
int ioasid_device_detach_pasid_locked(struct ioasid_device *idev, u32 pasid);
void ioasid_device_detach_pasids_locked(struct ioasid_device *idev);

/* policy_revalidate.c */
void ioasid_revalidate_track(struct ioasid_device *idev);
void ioasid_revalidate_untrack(struct ioasid_device *idev);
u32 ioasid_device_policy_state(struct ioasid_device *idev);
void ioasid_device_policy_state_sync(struct ioasid_device *idev);

#endif /* __IOASID_DEVICE_H */
