/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Devices bound to an ioasid fd, their IOMMU groups and the domains they
 * attach through.
 *
 * Lock order: igroup->lock -> ioas->mutex (-> a parent IOAS is never
 * needed here). ctx->groups_lock only guards the groups xarray.
 */
#ifndef __IOASID_DEVICE_H
#define __IOASID_DEVICE_H

#include <linux/list.h>
#include <linux/kref.h>
#include <linux/xarray.h>

#include <linux/ioasid_kernel.h>

#include "ioasid_private.h"

struct iommu_domain;
struct iommu_group;
struct ioasid_ioas;

/**
 * struct ioasid_hwpt - one iommu_domain of an IOAS
 * @node: in ioas->hwpts
 * @domain: the domain, mirroring every area of @ioas
 * @ioas: the IOAS it mirrors
 * @users: groups and PASIDs attached (under ioas->mutex)
 * @enforce_cc: the domain enforces cache coherency (snoop)
 * @fill_after_attach: the IOMMU driver sets the domain up at its first
 *	attach; it is filled then (virtio-iommu)
 */
struct ioasid_hwpt {
	struct list_head node;
	struct iommu_domain *domain;
	struct ioasid_ioas *ioas;
	unsigned int users;
	bool enforce_cc;
	bool fill_after_attach;
};

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
};

/**
 * struct ioasid_pasid_attach - one PASID attachment of a device
 * @ioas: the IOAS
 * @hwpt: the domain attached at the PASID
 */
struct ioasid_pasid_attach {
	struct ioasid_ioas *ioas;
	struct ioasid_hwpt *hwpt;
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
 * @req: the request of the current attachment (for detach notices)
 * @decision: the decision applied at the last attach
 * @desc: how the binding driver presented the device
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
	struct ioasid_policy_decision decision;
	struct ioasid_bind_desc desc;
};

/* hw_pagetable.c */
struct ioasid_area;
struct ioasid_hwpt *ioasid_hwpt_alloc(struct ioasid_ioas *ioas,
				      struct device *dev, bool enforce_cc);
void ioasid_hwpt_free(struct ioasid_hwpt *hwpt);
int ioasid_hwpt_fill_deferred(struct ioasid_hwpt *hwpt);
int iopt_fill_area(struct ioasid_ioas *ioas, struct ioasid_area *area);
void iopt_unfill_area(struct ioasid_ioas *ioas, struct ioasid_area *area);

/* device.c */
void ioasid_device_destroy(struct ioasid_object *obj);

/* device_info.c */
void ioasid_policy_fill_target(struct ioasid_policy_req *req,
			       struct ioasid_ctx *ctx,
			       struct ioasid_ioas *ioas, u32 op, u32 pasid);

#endif /* __IOASID_DEVICE_H */
