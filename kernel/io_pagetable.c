// SPDX-License-Identifier: GPL-2.0
/*
 * The IOVA side of an IOAS: areas in an interval tree, IOVA allocation,
 * map/unmap/copy, software nesting, allowed and reserved ranges (reading
 * IOAS memory by IOVA: iopt_access.c).
 *
 * Every operation validates and allocates everything it needs before it
 * changes the tree, so a failed call leaves the IOAS exactly as it was.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/interval_tree_generic.h>
#include <linux/iommu.h>
#include <linux/highmem.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/sort.h>
#include <kunit/visibility.h>

#include "io_pagetable.h"
#include "hw_pagetable.h"

#define IT_START(n) ((n)->start)
#define IT_LAST(n) ((n)->last)
INTERVAL_TREE_DEFINE(struct ioasid_area, rb, u64, __subtree_last, IT_START,
		     IT_LAST, static, area_it);
INTERVAL_TREE_DEFINE(struct ioasid_area_src, rb, u64, __subtree_last, IT_START,
		     IT_LAST, static __maybe_unused, src_it);
INTERVAL_TREE_DEFINE(struct ioasid_reserved, rb, u64, __subtree_last, IT_START,
		     IT_LAST, static, resv_it);

void iopt_init(struct ioasid_ioas *ioas)
{
	ioas->area_itree = RB_ROOT_CACHED;
	ioas->src_itree = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&ioas->children);
	INIT_LIST_HEAD(&ioas->child_node);
	INIT_LIST_HEAD(&ioas->hwpts);
	INIT_LIST_HEAD(&ioas->accesses);
	ioas->reserved_itree = RB_ROOT_CACHED;
}

/**
 * iopt_area_at - the area mapping @iova
 * @ioas: the address space, locked
 * @iova: an IOVA
 *
 * Return: the area, or NULL if @iova is not mapped.
 */
struct ioasid_area *iopt_area_at(struct ioasid_ioas *ioas, u64 iova)
{
	lockdep_assert_held(&ioas->mutex);
	return area_it_iter_first(&ioas->area_itree, iova, iova);
}

/* --- areas ---------------------------------------------------------------- */

static struct ioasid_area *area_alloc(bool nested)
{
	struct ioasid_area *area;

	area = kzalloc(sizeof(*area), GFP_KERNEL_ACCOUNT);
	if (!area || !nested)
		return area;
	area->src = kzalloc(sizeof(*area->src), GFP_KERNEL_ACCOUNT);
	if (!area->src) {
		kfree(area);
		return NULL;
	}
	area->src->area = area;
	return area;
}

/* Make @area use @pages from index @pgoff; start/last must be set. */
static void area_set_pages(struct ioasid_area *area, struct ioasid_pages *pages,
			   unsigned long pgoff)
{
	area->pages = pages;
	area->pgoff = pgoff;
	area->pages_user.start = pgoff;
	area->pages_user.last = pgoff + area_npages(area) - 1;
	ioasid_pages_add_user(pages, &area->pages_user);
}

static void area_free(struct ioasid_area *area)
{
	if (area->pages)
		ioasid_pages_del_user(area->pages, &area->pages_user);
	kfree(area->src);
	kfree(area);
}

static void area_insert(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	lockdep_assert_held(&ioas->mutex);
	area_it_insert(area, &ioas->area_itree);
	if (area->src)
		src_it_insert(area->src, &ioas->src_itree);
	ioas->nr_areas++;
	ioas->mapped_bytes += area_length(area);
}

/* Take @area out of the IOAS's trees (the domains are left alone). */
static void area_unlink(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	lockdep_assert_held(&ioas->mutex);
	area_it_remove(area, &ioas->area_itree);
	if (area->src)
		src_it_remove(area->src, &ioas->src_itree);
	ioas->nr_areas--;
	ioas->mapped_bytes -= area_length(area);
}

/* Remove @area from the IOAS and from every domain (IOTLB flushed). */
static void area_remove(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	ioasid_hwpt_unmap_area(ioas, area);
	area_unlink(ioas, area);
}

/* --- ranges ----------------------------------------------------------------- */

/* Validate [iova, iova + length) and return its inclusive last byte. */
static int check_range(u64 iova, u64 length, u64 *last)
{
	if (!length || !PAGE_ALIGNED(iova) || !PAGE_ALIGNED(length))
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, last))
		return -EOVERFLOW;
	return 0;
}

static bool iova_allowed(struct ioasid_ioas *ioas, u64 start, u64 last)
{
	u32 i;

	if (!ioas->allowed)
		return true;
	for (i = 0; i < ioas->nr_allowed; i++)
		if (start >= ioas->allowed[i].start &&
		    last <= ioas->allowed[i].last)
			return true;
	return false;
}

/* Align up without wrapping; false if the result does not fit in u64. */
static bool align_up(u64 val, u64 align, u64 *out)
{
	if (val > U64_MAX - (align - 1))
		return false;
	*out = ALIGN(val, align);
	return true;
}

/* First fit of @length at @align in [from, range_last], or false. */
/* Last byte of whatever blocks [start, last] (area or reserved), or false. */
static bool iova_blocked(struct ioasid_ioas *ioas, u64 start, u64 last,
			 u64 *blocker_last)
{
	struct ioasid_area *area;
	struct ioasid_reserved *resv;
	bool blocked = false;

	area = area_it_iter_first(&ioas->area_itree, start, last);
	if (area) {
		*blocker_last = area->last;
		blocked = true;
	}
	resv = resv_it_iter_first(&ioas->reserved_itree, start, last);
	if (resv && (!blocked || resv->last > *blocker_last)) {
		*blocker_last = resv->last;
		blocked = true;
	}
	return blocked;
}

static bool find_hole(struct ioasid_ioas *ioas, u64 from, u64 range_last,
		      u64 length, u64 align, u64 *out)
{
	u64 cand, last, blocker;

	if (!align_up(from, align, &cand))
		return false;
	for (;;) {
		if (check_add_overflow(cand, length - 1, &last) ||
		    last > range_last)
			return false;
		if (!iova_blocked(ioas, cand, last, &blocker)) {
			*out = cand;
			return true;
		}
		if (blocker == U64_MAX || !align_up(blocker + 1, align, &cand))
			return false;
		cond_resched();
	}
}

static int alloc_iova(struct ioasid_ioas *ioas, u64 length, u64 align,
		      u64 *iova)
{
	struct ioasid_iova_range all = { .start = 0, .last = U64_MAX };
	struct ioasid_iova_range *ranges = ioas->allowed ?: &all;
	u32 nr = ioas->allowed ? ioas->nr_allowed : 1;
	u32 i;

	lockdep_assert_held(&ioas->mutex);
	/* Next fit from the hint keeps sequential allocation O(log n)... */
	for (i = 0; i < nr; i++) {
		if (ioas->alloc_hint < ranges[i].start ||
		    ioas->alloc_hint > ranges[i].last)
			continue;
		if (find_hole(ioas, ioas->alloc_hint, ranges[i].last, length,
			      align, iova))
			goto found;
	}
	/* ...then first fit over every allowed range. */
	for (i = 0; i < nr; i++)
		if (find_hole(ioas, ranges[i].start, ranges[i].last, length,
			      align, iova))
			goto found;
	return -ENOSPC;
found:
	ioas->alloc_hint = *iova + length;
	return 0;
}

/*
 * Choose or check the IOVA of a new mapping of @length bytes. @addr is the
 * source address, whose alignment decides the default IOVA alignment so
 * that huge source pages can be mapped with huge IOPTEs.
 */
static int place_mapping(struct ioasid_ioas *ioas, u64 *iova, u64 addr,
			 u64 length, u64 align, u32 flags)
{
	u64 last;
	int rc;

	lockdep_assert_held(&ioas->mutex);
	if (flags & IOASID_MAP_FIXED_IOVA) {
		rc = check_range(*iova, length, &last);
		if (rc)
			return rc;
		if (!iova_allowed(ioas, *iova, last) ||
		    resv_it_iter_first(&ioas->reserved_itree, *iova, last))
			return -ENOSPC;
		if (area_it_iter_first(&ioas->area_itree, *iova, last))
			return -EEXIST;
		return 0;
	}
	if (!align) {
		align = PAGE_SIZE;
		if (length >= SZ_2M && IS_ALIGNED(addr, SZ_2M))
			align = SZ_2M;
	}
	return alloc_iova(ioas, length, align, iova);
}

/* Common argument checks of MAP and COPY. */
static int check_map_args(u64 addr, u64 length, u64 align, u32 flags)
{
	u64 last;
	int rc;

	if (!(flags & (IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE)))
		return -EINVAL;
	rc = check_range(addr, length, &last);
	if (rc)
		return rc;
	if (align && ((flags & IOASID_MAP_FIXED_IOVA) ||
		      !is_power_of_2(align) || align < PAGE_SIZE))
		return -EINVAL;
	return 0;
}

static u32 map_flags_to_prot(u32 flags)
{
	return (flags & IOASID_MAP_READABLE ? IOMMU_READ : 0) |
	       (flags & IOASID_MAP_WRITEABLE ? IOMMU_WRITE : 0);
}

/* --- map -------------------------------------------------------------------- */

int iopt_map_user(struct ioasid_ioas *ioas, u64 *iova, unsigned long uaddr,
		  u64 length, u64 align, u32 flags)
{
	struct ioasid_pages *pages;
	struct ioasid_area *area;
	int rc;

	rc = check_map_args(uaddr, length, align, flags);
	if (rc)
		return rc;
	if (uaddr + length - 1 > TASK_SIZE_MAX)
		return -EFAULT;

	area = area_alloc(false);
	if (!area)
		return -ENOMEM;
	/* Pin outside the IOAS lock: faulting in memory can take long. */
	pages = ioasid_pages_pin(ioas->ctx, uaddr, length >> PAGE_SHIFT,
				 flags & IOASID_MAP_WRITEABLE);
	if (IS_ERR(pages)) {
		area_free(area);
		return PTR_ERR(pages);
	}
	area->prot = map_flags_to_prot(flags);

	ioas_lock(ioas);
	rc = place_mapping(ioas, iova, uaddr, length, align, flags);
	if (!rc) {
		area->start = *iova;
		area->last = *iova + length - 1;
		area_set_pages(area, pages, 0);
		rc = ioasid_hwpt_map_area(ioas, area);
		if (!rc)
			area_insert(ioas, area);
	}
	ioas_unlock(ioas);
	if (rc)
		area_free(area);
	/* The area holds the pages now; on failure this unpins them. */
	ioasid_pages_put(pages);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_map_user);

/*
 * A run of areas covering [start, last] in @ioas with no hole: the pieces a
 * nested map or a copy will share. Returns the number of pieces, -ENOENT on
 * a hole, -EACCES if a piece lacks a permission in @prot.
 */
static long count_cover(struct ioasid_ioas *ioas, u64 start, u64 last,
			u32 prot)
{
	struct ioasid_area *area;
	u64 next = start;
	long n = 0;

	lockdep_assert_held(&ioas->mutex);
	for (area = area_it_iter_first(&ioas->area_itree, start, last); area;
	     area = area_it_iter_next(area, start, last)) {
		if (area->start > next)
			return -ENOENT;
		if ((area->prot & prot) != prot)
			return -EACCES;
		n++;
		if (area->last >= last)
			return n;
		next = area->last + 1;
	}
	return -ENOENT;
}

/*
 * Fill @out[] (n entries, allocated by the caller) with new areas that map
 * [start, last] of @src at @dst_iova onwards, sharing its pages. With
 * @src_is_parent the new areas remember their parent range (nesting);
 * otherwise they inherit @src's own parent links (a copy between siblings).
 */
static void clone_cover(struct ioasid_ioas *src, u64 start, u64 last,
			u64 dst_iova, u32 prot, bool src_is_parent,
			struct ioasid_area **out)
{
	struct ioasid_area *area;
	long i = 0;

	for (area = area_it_iter_first(&src->area_itree, start, last); area;
	     area = area_it_iter_next(area, start, last)) {
		u64 s = max(area->start, start), l = min(area->last, last);
		struct ioasid_area *new = out[i++];

		new->start = dst_iova + (s - start);
		new->last = dst_iova + (l - start);
		area_set_pages(new, area->pages,
			       area->pgoff + ((s - area->start) >> PAGE_SHIFT));
		new->prot = prot;
		if (src_is_parent) {
			new->src->start = s;
			new->src->last = l;
		} else if (new->src) {
			new->src->start = area->src->start + (s - area->start);
			new->src->last = new->src->start + (l - s);
		}
	}
}

static struct ioasid_area **alloc_areas(long n, bool nested)
{
	struct ioasid_area **arr;
	long i;

	arr = kvcalloc(n, sizeof(*arr), GFP_KERNEL_ACCOUNT);
	if (!arr)
		return NULL;
	for (i = 0; i < n; i++) {
		arr[i] = area_alloc(nested);
		if (!arr[i])
			goto err;
	}
	return arr;
err:
	while (i--)
		area_free(arr[i]);
	kvfree(arr);
	return NULL;
}

static void free_areas(struct ioasid_area **arr, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (arr[i])
			area_free(arr[i]);
	kvfree(arr);
}

/* Map the new areas into the IOAS's domains and insert them, or none. */
static int insert_areas(struct ioasid_ioas *ioas, struct ioasid_area **arr,
			long n)
{
	long i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = ioasid_hwpt_map_area(ioas, arr[i]);
		if (rc)
			goto unwind;
	}
	for (i = 0; i < n; i++) {
		area_insert(ioas, arr[i]);
		arr[i] = NULL;
	}
	return 0;
unwind:
	while (i--)
		ioasid_hwpt_unmap_area(ioas, arr[i]);
	return rc;
}

int iopt_map_nested(struct ioasid_ioas *ioas, u64 *iova, u64 parent_iova,
		    u64 length, u64 align, u32 flags)
{
	struct ioasid_ioas *parent = ioas->parent;
	u32 prot = map_flags_to_prot(flags);
	struct ioasid_area **pieces = NULL;
	long n;
	int rc;

	rc = check_map_args(parent_iova, length, align, flags);
	if (rc)
		return rc;

	/* Parent first: its unmaps tear down our areas under its lock. */
	ioas_lock(parent);
	n = count_cover(parent, parent_iova, parent_iova + length - 1, prot);
	if (n < 0) {
		rc = n;
		goto out_parent;
	}
	pieces = alloc_areas(n, true);
	if (!pieces) {
		rc = -ENOMEM;
		goto out_parent;
	}
	ioas_lock(ioas);
	rc = place_mapping(ioas, iova, parent_iova, length, align, flags);
	if (!rc) {
		clone_cover(parent, parent_iova, parent_iova + length - 1,
			    *iova, prot, true, pieces);
		rc = insert_areas(ioas, pieces, n);
	}
	ioas_unlock(ioas);
out_parent:
	ioas_unlock(parent);
	if (pieces)
		free_areas(pieces, n);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_map_nested);

/* --- unmap ------------------------------------------------------------------ */

static void unmap_dependents(struct ioasid_ioas *ioas, u64 start, u64 last);

/*
 * [start, last] of @ioas is gone: revoke the pins of accesses on it and
 * remove child areas built on it. Both lists are protected by the IOAS
 * lock held here, and an IOAS with neither (the common case) pays for two
 * list checks only.
 */
static void area_dropped(struct ioasid_ioas *ioas, u64 start, u64 last)
{
	lockdep_assert_held(&ioas->mutex);
	if (!list_empty(&ioas->accesses))
		ioasid_access_revoke(ioas, start, last);
	if (!list_empty(&ioas->children))
		unmap_dependents(ioas, start, last);
}

/* Remove @area entirely, with what children built on it. */
static void remove_area(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	u64 start = area->start, last = area->last;

	area_remove(ioas, area);
	area_dropped(ioas, start, last);
	area_free(area);
}

/*
 * The parent range [start, last] is gone: remove every child area that
 * maps any of it, before the parent's unmap returns. Called with the
 * parent locked; children are locked below it.
 */
static void unmap_dependents(struct ioasid_ioas *ioas, u64 start, u64 last)
{
	struct ioasid_ioas *child;
	struct ioasid_area_src *src;

	lockdep_assert_held(&ioas->mutex);
	list_for_each_entry(child, &ioas->children, child_node) {
		ioas_lock(child);
		while ((src = src_it_iter_first(&child->src_itree, start,
						last)))
			remove_area(child, src->area);
		ioas_unlock(child);
	}
}

/* A new area for the part [s, l] of @area, sharing its pages. */
static void split_piece(struct ioasid_area *area, struct ioasid_area *piece,
			u64 s, u64 l)
{
	piece->start = s;
	piece->last = l;
	area_set_pages(piece, area->pages,
		       area->pgoff + ((s - area->start) >> PAGE_SHIFT));
	piece->prot = area->prot;
	if (piece->src) {
		piece->src->start = area->src->start + (s - area->start);
		piece->src->last = piece->src->start + (l - s);
	}
}

/*
 * Cut the domains' mappings of the (at most two) areas an unmap splits
 * down to their remainders: the one step of an unmap that can fail (no
 * memory for IOMMU page tables), so it runs before anything else changes
 * and a failure leaves every domain as it was.
 */
static int split_domains(struct ioasid_ioas *ioas, struct ioasid_area *first,
			 struct ioasid_area *last_cut, struct ioasid_area *left,
			 struct ioasid_area *right)
{
	int rc = 0;

	if (first)
		rc = ioasid_hwpt_split_area(ioas, first, left,
					    first == last_cut ? right : NULL);
	if (rc || !last_cut || last_cut == first)
		return rc;
	rc = ioasid_hwpt_split_area(ioas, last_cut, NULL, right);
	if (rc && first)
		ioasid_hwpt_unsplit_area(ioas, first, left, NULL);
	return rc;
}

int iopt_unmap(struct ioasid_ioas *ioas, u64 iova, u64 length, u32 flags,
	       u64 *unmapped)
{
	struct ioasid_area *area, *first, *next, *left = NULL, *right = NULL;
	struct ioasid_area *first_cut = NULL, *last_cut = NULL;
	bool nested = ioas->parent;
	u64 start, last;
	int rc;

	*unmapped = 0;
	if (flags & IOASID_UNMAP_ALL) {
		if (iova || length)
			return -EINVAL;
		start = 0;
		last = U64_MAX;
	} else {
		rc = check_range(iova, length, &last);
		if (rc)
			return rc;
		start = iova;
	}

	/*
	 * A range can cut at most two areas: the one holding @start and the
	 * one holding @last. Allocate their remainders before changing
	 * anything.
	 */
	ioas_lock(ioas);
	first = area_it_iter_first(&ioas->area_itree, start, last);
	if (!first) {
		rc = -ENOENT;
		goto out_unlock;
	}
	rc = -ENOMEM;
	if (first->start < start) {
		if (!(flags & IOASID_UNMAP_ALLOW_SPLIT)) {
			rc = -EBUSY;
			goto out_unlock;
		}
		left = area_alloc(nested);
		if (!left)
			goto out_unlock;
		first_cut = first;
	}
	/* Areas do not overlap: if the first reaches @last it is the only. */
	if (first->last >= last)
		area = first;
	else
		area = area_it_iter_first(&ioas->area_itree, last, last);
	if (area && area->last > last) {
		if (!(flags & IOASID_UNMAP_ALLOW_SPLIT)) {
			rc = -EBUSY;
			goto out_unlock;
		}
		right = area_alloc(nested);
		if (!right)
			goto out_unlock;
		last_cut = area;
	}
	if (first_cut)
		split_piece(first_cut, left, first_cut->start, start - 1);
	if (last_cut)
		split_piece(last_cut, right, last + 1, last_cut->last);
	rc = split_domains(ioas, first_cut, last_cut, left, right);
	if (rc)
		goto out_unlock;

	/*
	 * Nothing fails from here on. The next area is found before @area
	 * leaves the tree; what the loop inserts (the remainders) and removes
	 * (@area, child areas in other trees) leaves it in place.
	 */
	for (area = first; area; area = next) {
		u64 s = max(area->start, start), l = min(area->last, last);

		next = area->last >= last ? NULL :
		       area_it_iter_next(area, start, last);

		if (area == first_cut || area == last_cut) {
			/* The domains map its remainders already. */
			area_unlink(ioas, area);
			if (area == first_cut) {
				area_insert(ioas, left);
				left = NULL;
			}
			if (area == last_cut) {
				area_insert(ioas, right);
				right = NULL;
			}
		} else {
			area_remove(ioas, area);
		}
		area_dropped(ioas, s, l);
		area_free(area);
		*unmapped += l - s + 1;
		cond_resched();
	}
out_unlock:
	ioas_unlock(ioas);
	if (left)
		area_free(left);
	if (right)
		area_free(right);
	/* Accesses that pinned what is gone unpin before the unmap returns. */
	if (*unmapped)
		ioasid_access_notify(ioas->ctx);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_unmap);

/* --- copy ------------------------------------------------------------------- */

int iopt_copy(struct ioasid_ioas *dst, u64 *dst_iova, struct ioasid_ioas *src,
	      u64 src_iova, u64 length, u32 flags)
{
	u32 prot = map_flags_to_prot(flags);
	struct ioasid_area **pieces;
	u64 src_last;
	long n;
	int rc;

	rc = check_map_args(src_iova, length, 0, flags);
	if (rc)
		return rc;
	src_last = src_iova + length - 1;
	/*
	 * A nested IOAS may only hold pages its parent maps: copy into it
	 * only from itself or a sibling, whose areas carry parent links.
	 */
	if (dst->parent && dst->parent != src->parent)
		return -EINVAL;

	/* Holding the parent keeps the source's parent links valid. */
	if (dst->parent)
		ioas_lock(dst->parent);

	ioas_lock(src);
	n = count_cover(src, src_iova, src_last, prot);
	if (n < 0) {
		ioas_unlock(src);
		rc = n;
		goto out_parent;
	}
	ioas_unlock(src);

	pieces = alloc_areas(n, dst->parent);
	if (!pieces) {
		rc = -ENOMEM;
		goto out_parent;
	}
	/*
	 * Take the source pieces again: the source may have changed while
	 * unlocked (allocation can sleep).
	 */
	ioas_lock(src);
	if (count_cover(src, src_iova, src_last, prot) != n) {
		ioas_unlock(src);
		rc = -EAGAIN;
		goto out_free;
	}
	clone_cover(src, src_iova, src_last, 0, prot, false, pieces);
	ioas_unlock(src);

	ioas_lock(dst);
	rc = place_mapping(dst, dst_iova, src_iova, length, 0, flags);
	if (!rc) {
		long i;

		for (i = 0; i < n; i++) {
			pieces[i]->start += *dst_iova;
			pieces[i]->last += *dst_iova;
		}
		rc = insert_areas(dst, pieces, n);
	}
	ioas_unlock(dst);
out_free:
	free_areas(pieces, n);
out_parent:
	if (dst->parent)
		ioas_unlock(dst->parent);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_copy);

/* --- allowed ranges ------------------------------------------------------- */

int iopt_set_allowed(struct ioasid_ioas *ioas,
		     struct ioasid_iova_range *ranges, u32 nr)
{
	struct ioasid_iova_range *old;
	struct ioasid_area *area;
	struct rb_node *node;
	u32 i, old_nr;

	for (i = 0; i < nr; i++) {
		if (!PAGE_ALIGNED(ranges[i].start) ||
		    !PAGE_ALIGNED(ranges[i].last + 1) ||
		    ranges[i].start > ranges[i].last)
			return -EINVAL;
		if (i && ranges[i].start <= ranges[i - 1].last)
			return -EINVAL;
	}

	ioas_lock(ioas);
	/*
	 * What attached devices reserve (their reserved regions, what lies
	 * outside their domains' apertures) cannot be allowed, as iommufd
	 * refuses: iopt_reserve() refuses the other way round.
	 */
	for (i = 0; i < nr; i++) {
		if (resv_it_iter_first(&ioas->reserved_itree, ranges[i].start,
				       ranges[i].last)) {
			ioas_unlock(ioas);
			return -EBUSY;
		}
	}
	old = ioas->allowed;
	old_nr = ioas->nr_allowed;
	ioas->allowed = nr ? ranges : NULL;
	ioas->nr_allowed = nr;
	for (node = rb_first_cached(&ioas->area_itree); node;
	     node = rb_next(node)) {
		area = rb_entry(node, struct ioasid_area, rb);
		if (!iova_allowed(ioas, area->start, area->last)) {
			ioas->allowed = old;
			ioas->nr_allowed = old_nr;
			ioas_unlock(ioas);
			return -EBUSY;
		}
		/* A million mappings: let others run (the lock may sleep). */
		cond_resched();
	}
	ioas_unlock(ioas);
	kfree(old);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_set_allowed);

static void emit_range(struct ioasid_iova_range *out, u32 max, u32 *nr,
		       u64 start, u64 last)
{
	if (*nr < max) {
		out[*nr].start = start;
		out[*nr].last = last;
	}
	(*nr)++;
}

/* The usable ranges: allowed ranges minus what devices reserve. */
int iopt_get_ranges(struct ioasid_ioas *ioas, struct ioasid_iova_range *out,
		    u32 max, u32 *nr)
{
	struct ioasid_iova_range all = { .start = 0, .last = U64_MAX };
	struct ioasid_iova_range *ranges;
	struct ioasid_reserved *resv;
	u32 i, n;

	*nr = 0;
	ioas_lock(ioas);
	ranges = ioas->allowed ?: &all;
	n = ioas->allowed ? ioas->nr_allowed : 1;
	for (i = 0; i < n; i++) {
		u64 cur = ranges[i].start, last = ranges[i].last;
		bool done = false;

		/* Reserved ranges come in order of start. */
		for (resv = resv_it_iter_first(&ioas->reserved_itree, cur, last);
		     resv; resv = resv_it_iter_next(resv, ranges[i].start, last)) {
			if (resv->start > cur)
				emit_range(out, max, nr, cur, resv->start - 1);
			if (resv->last >= last) {
				done = true;
				break;
			}
			cur = max(cur, resv->last + 1);
		}
		if (!done)
			emit_range(out, max, nr, cur, last);
	}
	ioas_unlock(ioas);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_get_ranges);

/* Is any byte of [start, last] mapped? */
bool iopt_mapped(struct ioasid_ioas *ioas, u64 start, u64 last)
{
	bool mapped;

	ioas_lock(ioas);
	mapped = area_it_iter_first(&ioas->area_itree, start, last);
	ioas_unlock(ioas);
	return mapped;
}

/* --- reserved ranges ------------------------------------------------------- */

/**
 * iopt_reserve - keep [start, last] free of mappings for @owner
 * @ioas: the IOAS, locked
 * @start: first IOVA
 * @last: last IOVA
 * @owner: tag for iopt_unreserve()
 *
 * Return: 0, -EADDRINUSE if a mapping or an allowed range is in the way.
 */
int iopt_reserve(struct ioasid_ioas *ioas, u64 start, u64 last, void *owner)
{
	struct ioasid_reserved *resv;
	u32 i;

	lockdep_assert_held(&ioas->mutex);
	if (area_it_iter_first(&ioas->area_itree, start, last))
		return -EADDRINUSE;
	/* Ranges user space asked to keep usable stay usable. */
	for (i = 0; ioas->allowed && i < ioas->nr_allowed; i++)
		if (start <= ioas->allowed[i].last &&
		    last >= ioas->allowed[i].start)
			return -EADDRINUSE;
	resv = kzalloc(sizeof(*resv), GFP_KERNEL_ACCOUNT);
	if (!resv)
		return -ENOMEM;
	resv->start = start;
	resv->last = last;
	resv->owner = owner;
	resv_it_insert(resv, &ioas->reserved_itree);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_reserve);

/**
 * iopt_unreserve - drop every range @owner reserved
 * @ioas: the IOAS, locked
 * @owner: the tag given to iopt_reserve()
 */
void iopt_unreserve(struct ioasid_ioas *ioas, void *owner)
{
	struct ioasid_reserved *resv, *next;

	lockdep_assert_held(&ioas->mutex);
	for (resv = resv_it_iter_first(&ioas->reserved_itree, 0, U64_MAX);
	     resv; resv = next) {
		next = resv_it_iter_next(resv, 0, U64_MAX);
		if (resv->owner == owner) {
			resv_it_remove(resv, &ioas->reserved_itree);
			kfree(resv);
		}
	}
}
EXPORT_SYMBOL_IF_KUNIT(iopt_unreserve);

/* --- teardown --------------------------------------------------------------- */

void iopt_destroy(struct ioasid_ioas *ioas)
{
	struct rb_node *node;

	/* Children are gone (they hold a reference on us): no dependents. */
	WARN_ON(!list_empty(&ioas->children));
	ioas_lock(ioas);
	while ((node = rb_first_cached(&ioas->area_itree))) {
		struct ioasid_area *area = rb_entry(node, struct ioasid_area,
						    rb);

		area_remove(ioas, area);
		area_free(area);
		cond_resched();
	}
	ioas_unlock(ioas);
	kfree(ioas->allowed);
}
