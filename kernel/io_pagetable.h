/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IO address space: an interval tree of areas (one per mapping piece)
 * pointing into refcounted pinned pages.
 *
 * Locking: ioas->mutex protects everything in struct ioasid_ioas below it,
 * including a parent's list of children. Nested IOASes are always locked
 * ancestor first; the lockdep subclass of an IOAS's mutex is its depth.
 * Operations that involve two unrelated IOASes (COPY) never hold both:
 * they take references on the source pages under the source's lock, drop
 * it, then insert under the destination's.
 */
#ifndef __IOASID_IO_PAGETABLE_H
#define __IOASID_IO_PAGETABLE_H

#include <linux/rbtree.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/kref.h>

#include "ioasid_private.h"

/**
 * struct ioasid_pages - a pinned, charged run of user pages
 * @kref: areas using the pages, plus one while the creating map runs
 * @npages: pages in the run
 * @writable: pinned for writing (dirtied at unpin)
 * @acct_mode: enum ioasid_rlimit_mode the charge went to
 * @ctx_pinned: the fd's pinned-page counter
 * @user: charged user (IOASID_RLIMIT_USER)
 * @mm: charged mm (IOASID_RLIMIT_MM)
 * @lock: protects @users and the entries of @pages
 * @users: page-index ranges used by areas; a page no range covers any more
 *	is unpinned and uncharged at once (a split unmap frees what it cut)
 * @pages: the pinned pages; NULL once unpinned
 * @inline_page: storage for single-page runs (most 4 KiB mappings)
 */
struct ioasid_pages {
	struct kref kref;
	unsigned long npages;
	bool writable;
	enum ioasid_rlimit_mode acct_mode;
	atomic64_t *ctx_pinned;
	struct user_struct *user;
	struct mm_struct *mm;
	struct mutex lock; /* protects @users and @pages entries */
	struct rb_root_cached users;
	struct page **pages;
	struct page *inline_page;
};

/*
 * Most pages one IOAS_MAP may pin: the page array must stay within what
 * kvmalloc() allocates (INT_MAX bytes), 1 TiB of 4 KiB pages.
 */
#define IOASID_PAGES_MAX (INT_MAX / sizeof(struct page *))

/**
 * struct ioasid_pages_user - the page-index range an area uses
 * @rb: node in ioasid_pages::users
 * @start: first page index
 * @last: last page index (inclusive)
 * @__subtree_last: interval tree bookkeeping
 */
struct ioasid_pages_user {
	struct rb_node rb;
	unsigned long start;
	unsigned long last;
	unsigned long __subtree_last;
};

struct ioasid_pages *ioasid_pages_pin(struct ioasid_ctx *ctx,
				      unsigned long uaddr, unsigned long npages,
				      bool writable);
void ioasid_pages_put(struct ioasid_pages *pages);
void ioasid_pages_add_user(struct ioasid_pages *pages,
			   struct ioasid_pages_user *user);
void ioasid_pages_del_user(struct ioasid_pages *pages,
			   struct ioasid_pages_user *user);
unsigned long ioasid_pages_contig(struct ioasid_pages *pages,
				  unsigned long index, unsigned long max);

/**
 * struct ioasid_area_src - where a nested area comes from in the parent
 * @rb: node in the child's src_itree, keyed by parent IOVA
 * @start: first parent IOVA
 * @last: last parent IOVA (inclusive)
 * @__subtree_last: interval tree bookkeeping
 * @area: the child area
 */
struct ioasid_area_src {
	struct rb_node rb;
	u64 start;
	u64 last;
	u64 __subtree_last;
	struct ioasid_area *area;
};

/**
 * struct ioasid_area - one mapping (or piece of one) in an IOAS
 * @rb: node in the IOAS's area_itree
 * @start: first IOVA
 * @last: last IOVA (inclusive)
 * @__subtree_last: interval tree bookkeeping
 * @pages: pinned pages backing the area
 * @pgoff: index in @pages of the page at @start
 * @pages_user: the pages this area keeps pinned, in @pages->users
 * @prot: IOMMU_READ | IOMMU_WRITE
 * @src: for an area of a nested IOAS, its source range in the parent
 */
struct ioasid_area {
	struct rb_node rb;
	u64 start;
	u64 last;
	u64 __subtree_last;
	struct ioasid_pages *pages;
	unsigned long pgoff;
	struct ioasid_pages_user pages_user;
	u32 prot;
	struct ioasid_area_src *src;
};

static inline u64 area_length(const struct ioasid_area *area)
{
	return area->last - area->start + 1;
}

static inline unsigned long area_npages(const struct ioasid_area *area)
{
	return area_length(area) >> PAGE_SHIFT;
}

/**
 * struct ioasid_ioas - an IO address space
 * @obj: object header
 * @ctx: owning fd
 * @parent: the IOAS this one is nested in, or NULL
 * @depth: 0 for a root IOAS
 * @mutex: protects everything below
 * @area_itree: areas by IOVA
 * @src_itree: for a nested IOAS, areas by parent IOVA
 * @children: IOASes nested in this one
 * @child_node: entry in the parent's @children
 * @hwpts: IOMMU domains mirroring the areas (struct ioasid_hwpt)
 * @reserved_itree: IOVA ranges attached devices reserve (MSI windows,
 *	reserved regions): no mapping may use them
 * @accesses: in-kernel accesses attached (struct ioasid_access)
 * @nr_devices: devices, PASIDs and accesses attached
 * @allowed: sorted allowed ranges, or NULL for the whole space
 * @nr_allowed: entries in @allowed
 * @nr_areas: areas in @area_itree
 * @nr_children: entries in @children
 * @mapped_bytes: bytes covered by areas
 * @alloc_hint: where the next IOVA allocation starts looking
 * @unpin_violations: times an access attached here did not unpin when told
 */
struct ioasid_ioas {
	struct ioasid_object obj;
	struct ioasid_ctx *ctx;
	struct ioasid_ioas *parent;
	u32 depth;
	struct mutex mutex; /* protects all below; parent before child */
	struct rb_root_cached area_itree;
	struct rb_root_cached src_itree;
	struct list_head children;
	struct list_head child_node;
	struct list_head hwpts;
	struct rb_root_cached reserved_itree;
	struct list_head accesses;
	u32 nr_devices;
	struct ioasid_iova_range *allowed;
	u32 nr_allowed;
	u32 nr_areas;
	u32 nr_children;
	u64 mapped_bytes;
	u64 alloc_hint;
	atomic64_t unpin_violations;
};

static inline void ioas_lock(struct ioasid_ioas *ioas)
{
	mutex_lock_nested(&ioas->mutex, ioas->depth);
}

static inline void ioas_unlock(struct ioasid_ioas *ioas)
{
	mutex_unlock(&ioas->mutex);
}

/**
 * struct ioasid_reserved - an IOVA range a device needs left unmapped
 * @rb: node in ioas->reserved_itree
 * @start: first IOVA
 * @last: last IOVA (inclusive)
 * @__subtree_last: interval tree bookkeeping
 * @owner: who reserved it (removed together)
 */
struct ioasid_reserved {
	struct rb_node rb;
	u64 start;
	u64 last;
	u64 __subtree_last;
	void *owner;
};

/* ioas.c */
struct ioasid_ioas *ioasid_ioas_create(struct ioasid_ctx *ctx);

/* io_pagetable.c */
int iopt_reserve(struct ioasid_ioas *ioas, u64 start, u64 last, void *owner);
void iopt_unreserve(struct ioasid_ioas *ioas, void *owner);
void iopt_init(struct ioasid_ioas *ioas);
void iopt_destroy(struct ioasid_ioas *ioas);
int iopt_map_user(struct ioasid_ioas *ioas, u64 *iova, unsigned long uaddr,
		  u64 length, u64 align, u32 flags);
int iopt_map_nested(struct ioasid_ioas *ioas, u64 *iova, u64 parent_iova,
		    u64 length, u64 align, u32 flags);
int iopt_unmap(struct ioasid_ioas *ioas, u64 iova, u64 length, u32 flags,
	       u64 *unmapped);
int iopt_copy(struct ioasid_ioas *dst, u64 *dst_iova, struct ioasid_ioas *src,
	      u64 src_iova, u64 length, u32 flags);
int iopt_set_allowed(struct ioasid_ioas *ioas,
		     struct ioasid_iova_range *ranges, u32 nr);
int iopt_get_ranges(struct ioasid_ioas *ioas, struct ioasid_iova_range *out,
		    u32 max, u32 *nr);
struct ioasid_area *iopt_area_at(struct ioasid_ioas *ioas, u64 iova);
int iopt_rw(struct ioasid_ioas *ioas, u64 iova, void *buf, u64 length,
	    bool write);
int iopt_iova_to_phys(struct ioasid_ioas *ioas, u64 iova, phys_addr_t *phys);
bool iopt_mapped(struct ioasid_ioas *ioas, u64 start, u64 last);
int iopt_count_pinned(struct ioasid_ioas *ioas, u64 *out);
int iopt_get_pages(struct ioasid_ioas *ioas, u64 iova, u64 last, bool write,
		   struct page **pages);

/* access.c: in-kernel accesses, told about unmaps */
void ioasid_access_revoke(struct ioasid_ioas *ioas, u64 start, u64 last);
void ioasid_access_notify(struct ioasid_ctx *ctx);
void ioasid_access_obj_destroy(struct ioasid_object *obj);

#endif /* __IOASID_IO_PAGETABLE_H */
