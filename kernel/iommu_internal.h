/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Core IOMMU calls exported only to iommufd (namespace IOMMUFD_INTERNAL),
 * whose prototypes live in drivers/iommu/iommu-priv.h, which the kernel
 * headers package does not ship. Kept to the exact 6.12 signatures.
 */
#ifndef __IOASID_IOMMU_INTERNAL_H
#define __IOASID_IOMMU_INTERNAL_H

struct iommu_group;
struct iommu_domain;

int iommu_group_replace_domain(struct iommu_group *group,
			       struct iommu_domain *new_domain);

#endif /* __IOASID_IOMMU_INTERNAL_H */
