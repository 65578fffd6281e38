/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IOMMU domains ("hardware page tables") of an IOAS.
 *
 * Layering, one way only:
 *
 *	device.c, device_pasid.c --> hw_pagetable.c <-- io_pagetable.c
 *	  (groups, PASIDs:            (domains of an       (areas: map,
 *	   find-or-make, attach,       IOAS, refcounts,     unmap, copy)
 *	   put)                        mirroring areas)
 *
 * The hw-pagetable layer owns the list of domains of each IOAS and their
 * reference counts; it calls neither the device layer nor io_pagetable.c
 * (it reads the IOAS's area tree under ioas->mutex). Every function here
 * is called with ioas->mutex held.
 */
#ifndef __IOASID_HW_PAGETABLE_H
#define __IOASID_HW_PAGETABLE_H

#include <linux/list.h>
#include <linux/types.h>

struct device;
struct iommu_domain;
struct iommu_group;
struct ioasid_ioas;
struct ioasid_area;

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

/* For the device layer: a domain per attachment, shared where possible. */
struct ioasid_hwpt *ioasid_hwpt_attach_group(struct ioasid_ioas *ioas,
					     struct device *dev,
					     struct iommu_group *group,
					     bool enforce_cc,
					     struct ioasid_hwpt *from);
void ioasid_hwpt_detach_group(struct ioasid_hwpt *hwpt,
			      struct iommu_group *group);
struct ioasid_hwpt *ioasid_hwpt_attach_pasid(struct ioasid_ioas *ioas,
					     struct device *dev, u32 pasid,
					     bool enforce_cc);
void ioasid_hwpt_detach_pasid(struct ioasid_hwpt *hwpt, struct device *dev,
			      u32 pasid);
void ioasid_hwpt_put(struct ioasid_hwpt *hwpt);

/* For the page-table layer: keep every domain in step with the areas. */
int ioasid_hwpt_map_area(struct ioasid_ioas *ioas, struct ioasid_area *area);
int ioasid_hwpt_split_area(struct ioasid_ioas *ioas, struct ioasid_area *area,
			   struct ioasid_area *left, struct ioasid_area *right);
void ioasid_hwpt_unsplit_area(struct ioasid_ioas *ioas,
			      struct ioasid_area *area,
			      struct ioasid_area *left,
			      struct ioasid_area *right);
void ioasid_hwpt_unmap_area(struct ioasid_ioas *ioas,
			    struct ioasid_area *area);

#endif /* __IOASID_HW_PAGETABLE_H */
