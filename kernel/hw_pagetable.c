// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU domains ("hardware page tables") of an IOAS.
 *
 * An IOAS keeps one iommu_domain per compatible set of attached devices:
 * devices whose IOMMU cannot share a domain, or that were given a different
 * coherency mode by the policy, get an alias domain that replays the same
 * mappings. Every domain is filled from the IOAS's areas when it is created
 * and kept in sync by every map and unmap, all under ioas->mutex.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/iommu.h>
#include <linux/slab.h>

#include "io_pagetable.h"
#include "device.h"

/* Map @area into @domain with the largest runs the pages allow. */
static int domain_map_area(struct iommu_domain *domain,
			   struct ioasid_area *area)
{
	struct ioasid_pages *pages = area->pages;
	unsigned long idx = area->pgoff, end = area->pgoff + area_npages(area);
	u64 iova = area->start;
	int rc;

	while (idx < end) {
		unsigned long n = ioasid_pages_contig(pages, idx, end - idx);

		rc = iommu_map(domain, iova, page_to_phys(pages->pages[idx]),
			       n << PAGE_SHIFT, area->prot | IOMMU_CACHE,
			       GFP_KERNEL_ACCOUNT);
		if (rc) {
			if (iova > area->start)
				iommu_unmap(domain, area->start,
					    iova - area->start);
			return rc;
		}
		idx += n;
		iova += n << PAGE_SHIFT;
	}
	return 0;
}

/**
 * iopt_fill_area - map a new area into every domain of its IOAS
 * @ioas: the IOAS, locked
 * @area: not yet inserted
 *
 * Return: 0, or the first error with nothing left mapped.
 */
int iopt_fill_area(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	struct ioasid_hwpt *hwpt, *undo;
	int rc;

	lockdep_assert_held(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		rc = domain_map_area(hwpt->domain, area);
		if (rc)
			goto unwind;
	}
	return 0;
unwind:
	list_for_each_entry(undo, &ioas->hwpts, node) {
		if (undo == hwpt)
			break;
		iommu_unmap(undo->domain, area->start, area_length(area));
	}
	return rc;
}

/**
 * iopt_unfill_area - unmap an area from every domain of its IOAS
 * @ioas: the IOAS, locked
 * @area: the area, being removed
 *
 * The domains are UNMANAGED, so iommu_unmap() flushes the IOTLB before it
 * returns: after this no device reaches the area's pages.
 */
void iopt_unfill_area(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	struct ioasid_hwpt *hwpt;
	size_t done;

	lockdep_assert_held(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		done = iommu_unmap(hwpt->domain, area->start, area_length(area));
		WARN_ON_ONCE(done != area_length(area));
	}
}

/* Fill a new domain with every area of the IOAS. */
static int hwpt_fill(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	struct rb_node *node, *undo;
	int rc;

	lockdep_assert_held(&ioas->mutex);
	for (node = rb_first_cached(&ioas->area_itree); node;
	     node = rb_next(node)) {
		rc = domain_map_area(hwpt->domain,
				     rb_entry(node, struct ioasid_area, rb));
		if (rc)
			goto unwind;
		cond_resched();
	}
	return 0;
unwind:
	for (undo = rb_first_cached(&ioas->area_itree); undo != node;
	     undo = rb_next(undo)) {
		struct ioasid_area *area = rb_entry(undo, struct ioasid_area,
						    rb);

		iommu_unmap(hwpt->domain, area->start, area_length(area));
	}
	return rc;
}

/* Mappings outside what the domain translates cannot be kept. */
static int hwpt_check_aperture(struct ioasid_ioas *ioas,
			       struct ioasid_hwpt *hwpt)
{
	struct iommu_domain_geometry *geo = &hwpt->domain->geometry;
	struct rb_node *node;

	if (!geo->force_aperture)
		return 0;
	for (node = rb_first_cached(&ioas->area_itree); node;
	     node = rb_next(node)) {
		struct ioasid_area *area = rb_entry(node, struct ioasid_area,
						    rb);

		if (area->start < geo->aperture_start ||
		    area->last > geo->aperture_end)
			return -EADDRINUSE;
	}
	return 0;
}

/**
 * ioasid_hwpt_fill_deferred - fill a domain that needed its first attach
 * @hwpt: just attached; ioas->mutex held
 *
 * Return: 0, or an errno with the domain left empty (the caller detaches).
 */
int ioasid_hwpt_fill_deferred(struct ioasid_hwpt *hwpt)
{
	int rc;

	if (!hwpt->fill_after_attach)
		return 0;
	rc = hwpt_check_aperture(hwpt->ioas, hwpt);
	if (!rc)
		rc = hwpt_fill(hwpt->ioas, hwpt);
	if (!rc)
		hwpt->fill_after_attach = false;
	return rc;
}

/**
 * ioasid_hwpt_alloc - a new domain for @dev on @ioas, filled
 * @ioas: the IOAS, locked
 * @dev: a device the domain must suit
 * @enforce_cc: make the domain enforce cache coherency (snoop)
 *
 * Return: the hwpt (not yet on @ioas->hwpts) or an ERR_PTR: -EINVAL when
 * coherency cannot be enforced, -EADDRINUSE when a mapping lies outside
 * the domain's aperture.
 */
struct ioasid_hwpt *ioasid_hwpt_alloc(struct ioasid_ioas *ioas,
				      struct device *dev, bool enforce_cc)
{
	struct iommu_domain_geometry *geo;
	struct ioasid_hwpt *hwpt;
	int rc;

	lockdep_assert_held(&ioas->mutex);
	hwpt = kzalloc(sizeof(*hwpt), GFP_KERNEL_ACCOUNT);
	if (!hwpt)
		return ERR_PTR(-ENOMEM);
	hwpt->domain = iommu_paging_domain_alloc(dev);
	if (IS_ERR(hwpt->domain)) {
		rc = PTR_ERR(hwpt->domain);
		goto err_free;
	}

	/*
	 * virtio-iommu (6.12) sets a domain up only at its first attach: its
	 * geometry is still empty here, and mapping into it fails and then
	 * crashes in the unwinding unmap. Such a domain is filled right after
	 * the attach instead (ioasid_hwpt_fill_deferred()).
	 */
	geo = &hwpt->domain->geometry;
	if (!geo->aperture_end) {
		hwpt->fill_after_attach = true;
	} else {
		rc = hwpt_check_aperture(ioas, hwpt);
		if (rc)
			goto err_domain;
	}

	/* Intel refuses once a domain has mappings: enforce before filling. */
	if (enforce_cc) {
		if (!hwpt->domain->ops->enforce_cache_coherency ||
		    !hwpt->domain->ops->enforce_cache_coherency(hwpt->domain)) {
			rc = -EINVAL;
			goto err_domain;
		}
		hwpt->enforce_cc = true;
	}
	if (!hwpt->fill_after_attach) {
		rc = hwpt_fill(ioas, hwpt);
		if (rc)
			goto err_domain;
	}
	hwpt->ioas = ioas;
	atomic_long_inc(&ioasid_stats.domains);
	return hwpt;

err_domain:
	iommu_domain_free(hwpt->domain);
err_free:
	kfree(hwpt);
	return ERR_PTR(rc);
}

/**
 * ioasid_hwpt_free - free a domain no group is attached to any more
 * @hwpt: removed from its IOAS's list by the caller
 */
void ioasid_hwpt_free(struct ioasid_hwpt *hwpt)
{
	WARN_ON(hwpt->users);
	iommu_domain_free(hwpt->domain);
	kfree(hwpt);
	atomic_long_dec(&ioasid_stats.domains);
}
