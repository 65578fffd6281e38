// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU domains ("hardware page tables") of an IOAS (hw_pagetable.h).
 *
 * An IOAS keeps one iommu_domain per compatible set of attached devices:
 * devices whose IOMMU cannot share a domain, or that were given a different
 * coherency mode by the policy, get an alias domain that replays the same
 * mappings. Every domain is filled from the IOAS's areas when it is created
 * and kept in sync by every map and unmap, all under ioas->mutex. Groups
 * share domains (find-or-make); each PASID attachment gets its own.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/iommu.h>
#include <linux/slab.h>

#include "io_pagetable.h"
#include "hw_pagetable.h"
#include "iommu_internal.h"

/* Map @area into @domain with the largest runs the pages allow. */
static int domain_map_area_gfp(struct iommu_domain *domain,
			       struct ioasid_area *area, gfp_t gfp)
{
	struct ioasid_pages *pages = area->pages;
	unsigned long idx = area->pgoff, end = area->pgoff + area_npages(area);
	u64 iova = area->start;
	int rc;

	while (idx < end) {
		unsigned long n = ioasid_pages_contig(pages, idx, end - idx);

		rc = iommu_map(domain, iova, page_to_phys(pages->pages[idx]),
			       n << PAGE_SHIFT, area->prot | IOMMU_CACHE, gfp);
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

static int domain_map_area(struct iommu_domain *domain,
			   struct ioasid_area *area)
{
	return domain_map_area_gfp(domain, area, GFP_KERNEL_ACCOUNT);
}

/*
 * An area change applied domain by domain: @areas[0] is the area, [1] and
 * [2] its remainders for a split. @step returns 0 or an errno with its
 * domain unchanged; @undo reverts a successful @step.
 */
struct hwpt_change {
	int (*step)(struct iommu_domain *domain, struct ioasid_area **areas);
	void (*undo)(struct iommu_domain *domain, struct ioasid_area **areas);
};

/* Apply @change to every domain of @ioas, or to none. */
static int hwpt_change_all(struct ioasid_ioas *ioas,
			   const struct hwpt_change *change,
			   struct ioasid_area **areas)
{
	struct ioasid_hwpt *hwpt, *undo;
	int rc;

	lockdep_assert_held(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		rc = change->step(hwpt->domain, areas);
		if (rc)
			goto unwind;
	}
	return 0;
unwind:
	list_for_each_entry(undo, &ioas->hwpts, node) {
		if (undo == hwpt)
			break;
		change->undo(undo->domain, areas);
	}
	return rc;
}

static int map_step(struct iommu_domain *domain, struct ioasid_area **areas)
{
	return domain_map_area(domain, areas[0]);
}

static void map_undo(struct iommu_domain *domain, struct ioasid_area **areas)
{
	iommu_unmap(domain, areas[0]->start, area_length(areas[0]));
}

static const struct hwpt_change hwpt_map_change = {
	.step = map_step,
	.undo = map_undo,
};

/**
 * ioasid_hwpt_map_area - map a new area into every domain of its IOAS
 * @ioas: the IOAS, locked
 * @area: not yet inserted
 *
 * Return: 0, or the first error with nothing left mapped.
 */
int ioasid_hwpt_map_area(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	return hwpt_change_all(ioas, &hwpt_map_change, &area);
}

/**
 * ioasid_hwpt_unmap_area - unmap an area from every domain of its IOAS
 * @ioas: the IOAS, locked
 * @area: the area, being removed
 *
 * The domains are UNMANAGED, so iommu_unmap() flushes the IOTLB before it
 * returns: after this no device reaches the area's pages.
 */
void ioasid_hwpt_unmap_area(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	struct ioasid_hwpt *hwpt;
	size_t done;

	lockdep_assert_held(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		done = iommu_unmap(hwpt->domain, area->start, area_length(area));
		WARN_ON_ONCE(done != area_length(area));
	}
}

/*
 * Put @area back into @domain whole, where it was mapped a moment ago: the
 * page tables it needs are at most those the unmap just freed, so the
 * allocation may wait (__GFP_NOFAIL) rather than fail and lose the area.
 */
static void domain_restore_area(struct iommu_domain *domain,
				struct ioasid_area *area)
{
	int rc = domain_map_area_gfp(domain, area,
				     GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);

	if (rc)
		pr_err_ratelimited("IOVA %#llx-%#llx not restored in a domain: %d\n",
				   area->start, area->last, rc);
}

/* Undo domain_split_area() in @domain. */
static void domain_unsplit_area(struct iommu_domain *domain,
				struct ioasid_area *area,
				struct ioasid_area *left,
				struct ioasid_area *right)
{
	if (left)
		iommu_unmap(domain, left->start, area_length(left));
	if (right)
		iommu_unmap(domain, right->start, area_length(right));
	domain_restore_area(domain, area);
}

/*
 * In @domain, replace @area by @left and @right (its remainders, either
 * may be NULL). A huge IOPTE may span a cut, so the area is unmapped whole
 * and the remainders mapped again. Returns 0, or an errno with @area
 * mapped as before.
 */
static int domain_split_area(struct iommu_domain *domain,
			     struct ioasid_area *area, struct ioasid_area *left,
			     struct ioasid_area *right)
{
	size_t done;
	int rc = 0;

	done = iommu_unmap(domain, area->start, area_length(area));
	WARN_ON_ONCE(done != area_length(area));
	if (left)
		rc = domain_map_area(domain, left);
	if (!rc && right) {
		rc = domain_map_area(domain, right);
		if (rc)
			right = NULL;
	} else if (rc) {
		left = NULL;
	}
	if (rc)
		domain_unsplit_area(domain, area, left, right);
	return rc;
}

static int split_step(struct iommu_domain *domain, struct ioasid_area **areas)
{
	return domain_split_area(domain, areas[0], areas[1], areas[2]);
}

static void split_undo(struct iommu_domain *domain, struct ioasid_area **areas)
{
	domain_unsplit_area(domain, areas[0], areas[1], areas[2]);
}

static const struct hwpt_change hwpt_split_change = {
	.step = split_step,
	.undo = split_undo,
};

/**
 * ioasid_hwpt_split_area - cut an area down to its remainders in every domain
 * @ioas: the IOAS, locked
 * @area: an area of @ioas (its tree is not changed here)
 * @left: the remainder below the cut, not inserted, or NULL
 * @right: the remainder above the cut, not inserted, or NULL
 *
 * After this, the domains map @left and @right and nothing else of @area.
 * Return: 0, or an errno (no memory for page tables) with every domain
 * mapping @area as before: a failed split unmap changes nothing.
 */
int ioasid_hwpt_split_area(struct ioasid_ioas *ioas, struct ioasid_area *area,
			   struct ioasid_area *left, struct ioasid_area *right)
{
	struct ioasid_area *areas[] = { area, left, right };

	return hwpt_change_all(ioas, &hwpt_split_change, areas);
}

/**
 * ioasid_hwpt_unsplit_area - undo ioasid_hwpt_split_area()
 * @ioas: the IOAS, locked
 * @area: as given to the split
 * @left: as given to the split
 * @right: as given to the split
 */
void ioasid_hwpt_unsplit_area(struct ioasid_ioas *ioas,
			      struct ioasid_area *area,
			      struct ioasid_area *left,
			      struct ioasid_area *right)
{
	struct ioasid_hwpt *hwpt;

	lockdep_assert_held(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpts, node)
		domain_unsplit_area(hwpt->domain, area, left, right);
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

/*
 * What the domain cannot translate stays unmapped in the IOAS while the
 * domain is there, as iommufd reserves outside the aperture: later fixed
 * maps there fail (ENOSPC), automatic IOVAs avoid it and IOVA_RANGES leaves
 * it out. The reservations are the hwpt's (hwpt_unreserve_aperture()).
 * Return: 0, or -EADDRINUSE (a mapping, or a range IOAS_ALLOW_IOVAS asked
 * to keep, lies outside), -ENOMEM, with nothing reserved.
 */
static int hwpt_reserve_aperture(struct ioasid_ioas *ioas,
				 struct ioasid_hwpt *hwpt)
{
	struct iommu_domain_geometry *geo = &hwpt->domain->geometry;
	int rc = 0;

	lockdep_assert_held(&ioas->mutex);
	if (!geo->force_aperture)
		return 0;
	if (geo->aperture_start)
		rc = iopt_reserve(ioas, 0, geo->aperture_start - 1, hwpt);
	if (!rc && geo->aperture_end != U64_MAX)
		rc = iopt_reserve(ioas, geo->aperture_end + 1, U64_MAX, hwpt);
	if (rc)
		iopt_unreserve(ioas, hwpt);
	return rc;
}

/*
 * A driver may narrow the aperture at the first attach: intel-iommu
 * allocates with a 57-bit address width and cuts it to the IOMMU's (48
 * bits in QEMU) when it attaches, where an IOVA above fails with EFAULT.
 * Reserve again from the geometry now in force (what was reserved before
 * stays: the aperture only shrinks). Its IOAS is locked.
 */
static int hwpt_reserve_attached(struct ioasid_hwpt *hwpt)
{
	return hwpt_reserve_aperture(hwpt->ioas, hwpt);
}

/*
 * Fill a domain that needed its first attach (just attached). Returns 0,
 * or an errno with the domain left empty (the caller detaches).
 */
static int hwpt_fill_deferred(struct ioasid_hwpt *hwpt)
{
	int rc;

	lockdep_assert_held(&hwpt->ioas->mutex);
	if (!hwpt->fill_after_attach)
		return 0;
	rc = hwpt_reserve_aperture(hwpt->ioas, hwpt);
	if (rc)
		return rc;
	rc = hwpt_fill(hwpt->ioas, hwpt);
	if (rc) {
		iopt_unreserve(hwpt->ioas, hwpt);
		return rc;
	}
	hwpt->fill_after_attach = false;
	return 0;
}

/*
 * A new domain for @dev on @ioas, filled unless the driver sets it up at
 * its first attach. Returns the hwpt (not yet on @ioas->hwpts, no users;
 * what lies outside its aperture reserved in @ioas) or an ERR_PTR: -EINVAL
 * when coherency cannot be enforced, -EADDRINUSE when a mapping or an
 * allowed range lies outside the domain's aperture.
 */
static struct ioasid_hwpt *hwpt_alloc(struct ioasid_ioas *ioas,
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
		rc = hwpt_reserve_aperture(ioas, hwpt);
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
	iopt_unreserve(ioas, hwpt);
	iommu_domain_free(hwpt->domain);
err_free:
	kfree(hwpt);
	return ERR_PTR(rc);
}

/*
 * Free a domain nothing is attached to and no list holds, with what it
 * reserved outside its aperture. Its IOAS is locked.
 */
static void hwpt_free(struct ioasid_hwpt *hwpt)
{
	WARN_ON(hwpt->users);
	iopt_unreserve(hwpt->ioas, hwpt);
	iommu_domain_free(hwpt->domain);
	kfree(hwpt);
	atomic_long_dec(&ioasid_stats.domains);
}

/* A new domain with its first user, attached: it joins the IOAS's list. */
static void hwpt_publish(struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held(&hwpt->ioas->mutex);
	hwpt->users = 1;
	list_add_tail(&hwpt->node, &hwpt->ioas->hwpts);
}

/**
 * ioasid_hwpt_put - drop one user of a domain (a group or a PASID)
 * @hwpt: the domain; its IOAS is locked
 *
 * The last user frees the domain: nothing may be attached to it any more
 * (detached, or replaced by another domain).
 */
void ioasid_hwpt_put(struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held(&hwpt->ioas->mutex);
	if (--hwpt->users)
		return;
	list_del(&hwpt->node);
	hwpt_free(hwpt);
}

/* The IOMMU driver translating for @dev (dev_iommu_ops() is private). */
static const struct iommu_ops *dev_iommu_driver(struct device *dev)
{
	return dev->iommu && dev->iommu->iommu_dev ?
	       dev->iommu->iommu_dev->ops : NULL;
}

static int group_attach(struct ioasid_hwpt *hwpt, struct iommu_group *group,
			struct ioasid_hwpt *from)
{
	return from ? iommu_group_replace_domain(group, hwpt->domain) :
		      iommu_attach_group(hwpt->domain, group);
}

/*
 * Undo a group_attach() to a new domain whose set-up then failed: the group
 * goes back to @from's domain (a replace), or to blocking (an attach). The
 * IOMMU core reverts a failed replace to the group's domain of the moment,
 * which would be the new one: should putting @from back fail (it was
 * attached a moment ago, so only a second allocation failure can), the
 * group blocks all DMA instead, never translates through a domain about to
 * be freed.
 */
static void group_attach_undo(struct ioasid_hwpt *hwpt,
			      struct iommu_group *group,
			      struct ioasid_hwpt *from)
{
	int rc;

	if (from) {
		rc = iommu_group_replace_domain(group, from->domain);
		if (!rc)
			return;
		pr_warn_ratelimited("a failed replace could not restore the group's domain (%d): it blocks DMA\n",
				    rc);
	}
	iommu_detach_group(hwpt->domain, group);
}

/**
 * ioasid_hwpt_attach_group - attach a group to a domain of @ioas
 * @ioas: the IOAS, locked
 * @dev: the device of the group that attaches (its IOMMU decides)
 * @group: the group
 * @enforce_cc: the decided coherency mode: the domain enforces snooping
 * @from: for a replace, the domain the group is attached to (of another
 *	IOAS); NULL for an attach of a group attached to nothing
 *
 * Reuses the first domain of @ioas with the same coherency mode, of the
 * same IOMMU driver, that the IOMMU accepts (-EINVAL from the IOMMU core
 * means "incompatible, try the next", as in iommufd); otherwise makes an
 * alias domain with the same mappings. The group becomes a user of the
 * domain; with @from the switch is atomic and the caller puts @from.
 *
 * A failure changes nothing: the group stays on @from (or blocked, for an
 * attach), also when a new domain's set-up fails after the switch (the
 * aperture a driver narrows at its first attach).
 *
 * Return: the domain, or an ERR_PTR: -EINVAL (coherency cannot be
 * enforced, the IOMMU refuses), -EADDRINUSE (a mapping lies outside the
 * aperture), -ENOMEM, or what the IOMMU driver returned.
 */
struct ioasid_hwpt *ioasid_hwpt_attach_group(struct ioasid_ioas *ioas,
					     struct device *dev,
					     struct iommu_group *group,
					     bool enforce_cc,
					     struct ioasid_hwpt *from)
{
	struct ioasid_hwpt *hwpt;
	int rc;

	lockdep_assert_held(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		if (hwpt->enforce_cc != enforce_cc)
			continue;
		/*
		 * Another IOMMU's domain: iommu_attach_group() would refuse
		 * it, but 6.12's iommu_group_replace_domain() does not check
		 * and hands it to this IOMMU's driver.
		 */
		if (hwpt->domain->owner != dev_iommu_driver(dev))
			continue;
		rc = group_attach(hwpt, group, from);
		/* -EINVAL: this IOMMU cannot use that domain, try the next. */
		if (rc == -EINVAL)
			continue;
		if (rc)
			return ERR_PTR(rc);
		hwpt->users++;
		return hwpt;
	}

	/* An alias domain: same mappings, suited to this device. */
	hwpt = hwpt_alloc(ioas, dev, enforce_cc);
	if (IS_ERR(hwpt))
		return hwpt;
	rc = group_attach(hwpt, group, from);
	if (rc) {
		hwpt_free(hwpt);
		return ERR_PTR(rc);
	}
	rc = hwpt_fill_deferred(hwpt);
	if (!rc)
		rc = hwpt_reserve_attached(hwpt);
	if (rc) {
		group_attach_undo(hwpt, group, from);
		hwpt_free(hwpt);
		return ERR_PTR(rc);
	}
	hwpt_publish(hwpt);
	return hwpt;
}

/**
 * ioasid_hwpt_detach_group - the last device of a group leaves the domain
 * @hwpt: the domain the group is attached to; its IOAS is locked
 * @group: the group, which goes back to blocking all DMA (owned groups)
 */
void ioasid_hwpt_detach_group(struct ioasid_hwpt *hwpt,
			      struct iommu_group *group)
{
	lockdep_assert_held(&hwpt->ioas->mutex);
	iommu_detach_group(hwpt->domain, group);
	ioasid_hwpt_put(hwpt);
}

/**
 * ioasid_hwpt_attach_pasid - attach @dev at @pasid to a new domain of @ioas
 * @ioas: the IOAS, locked
 * @dev: the device
 * @pasid: the PASID
 * @enforce_cc: the decided coherency mode: the domain enforces snooping
 *
 * Every PASID attachment has a domain of its own.
 *
 * Return: the domain (one user), or an ERR_PTR as
 * ioasid_hwpt_attach_group().
 */
struct ioasid_hwpt *ioasid_hwpt_attach_pasid(struct ioasid_ioas *ioas,
					     struct device *dev, u32 pasid,
					     bool enforce_cc)
{
	struct ioasid_hwpt *hwpt;
	int rc;

	lockdep_assert_held(&ioas->mutex);
	hwpt = hwpt_alloc(ioas, dev, enforce_cc);
	if (IS_ERR(hwpt))
		return hwpt;
	rc = iommu_attach_device_pasid(hwpt->domain, dev, pasid, NULL);
	if (!rc) {
		rc = hwpt_fill_deferred(hwpt);
		if (!rc)
			rc = hwpt_reserve_attached(hwpt);
		if (rc)
			iommu_detach_device_pasid(hwpt->domain, dev, pasid);
	}
	if (rc) {
		hwpt_free(hwpt);
		return ERR_PTR(rc);
	}
	hwpt_publish(hwpt);
	return hwpt;
}

/**
 * ioasid_hwpt_detach_pasid - undo ioasid_hwpt_attach_pasid()
 * @hwpt: the PASID's domain; its IOAS is locked
 * @dev: the device
 * @pasid: the PASID
 */
void ioasid_hwpt_detach_pasid(struct ioasid_hwpt *hwpt, struct device *dev,
			      u32 pasid)
{
	lockdep_assert_held(&hwpt->ioas->mutex);
	iommu_detach_device_pasid(hwpt->domain, dev, pasid);
	ioasid_hwpt_put(hwpt);
}
