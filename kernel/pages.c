// SPDX-License-Identifier: GPL-2.0
/*
 * Pinned user memory and its locked-memory accounting.
 *
 * A struct ioasid_pages is one pinned run of user pages, created by
 * IOAS_MAP and shared by every area that maps it: areas split by a partial
 * unmap, copies made by IOAS_COPY and child mappings of nested IOASes all
 * point into the same pages, so memory is pinned and charged exactly once.
 * Each area registers the page-index range it uses; when no area uses a
 * page any more it is unpinned and uncharged at once, so an unmap of part
 * of a mapping gives back exactly what it cut out, as VFIO type1 does.
 * Pages are pinned eagerly at map time: the map either fully succeeds or
 * leaves nothing pinned or charged.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/user.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/capability.h>

#include <linux/interval_tree_generic.h>

#include "io_pagetable.h"

#define U_START(n) ((n)->start)
#define U_LAST(n) ((n)->last)
INTERVAL_TREE_DEFINE(struct ioasid_pages_user, rb, unsigned long,
		     __subtree_last, U_START, U_LAST, static, users_it);

/* Pin in batches so a huge map does not hold mmap_lock for long. */
#define IOASID_PIN_BATCH 512

/*
 * Both modes count with atomics, never under mmap_lock: uncharging runs
 * under the IOAS and pages locks, and mmap() of a device fd takes the
 * device lock under mmap_lock (lockdep found the cycle account_locked_vm()
 * closed). The MM mode therefore charges mm->pinned_vm, as iommufd does.
 */
static int pages_charge(struct ioasid_pages *pages)
{
	unsigned long limit, cur;
	s64 mcur;

	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	if (pages->acct_mode == IOASID_RLIMIT_MM) {
		do {
			mcur = atomic64_read(&pages->mm->pinned_vm);
			if (mcur + pages->npages > limit && !capable(CAP_IPC_LOCK))
				return -ENOMEM;
		} while (atomic64_cmpxchg(&pages->mm->pinned_vm, mcur,
					  mcur + pages->npages) != mcur);
		return 0;
	}

	/* Per user, as iommufd does: a cmpxchg loop on user->locked_vm. */
	do {
		cur = atomic_long_read(&pages->user->locked_vm);
		if (cur + pages->npages > limit && !capable(CAP_IPC_LOCK))
			return -ENOMEM;
	} while (atomic_long_cmpxchg(&pages->user->locked_vm, cur,
				     cur + pages->npages) != cur);
	return 0;
}

static void pages_uncharge(struct ioasid_pages *pages, unsigned long n)
{
	if (pages->acct_mode == IOASID_RLIMIT_MM)
		atomic64_sub(n, &pages->mm->pinned_vm);
	else
		atomic_long_sub(n, &pages->user->locked_vm);
	atomic64_sub(n, pages->ctx_pinned);
	atomic_long_sub(n, &ioasid_stats.charged_pages);
}

/*
 * Unpin and uncharge pages [start, last] that are still pinned. @forget:
 * mark them unpinned (NULL), for pages that live on; the release, which
 * frees the array next, skips that write over the whole array.
 */
static void pages_unpin_range(struct ioasid_pages *pages, unsigned long start,
			      unsigned long last, bool forget)
{
	unsigned long i, n;

	for (i = start; i <= last; i += n) {
		if (!pages->pages[i]) {
			n = 1;
			continue;
		}
		for (n = 1; i + n <= last && pages->pages[i + n]; n++)
			;
		/* Devices may have written to writable pages: dirty them. */
		unpin_user_pages_dirty_lock(pages->pages + i, n,
					    pages->writable);
		if (forget)
			memset(pages->pages + i, 0, n * sizeof(*pages->pages));
		pages_uncharge(pages, n);
		cond_resched();
	}
}

static void ioasid_pages_release(struct kref *kref);

/**
 * ioasid_pages_add_user - an area starts using pages [start, last]
 * @pages: the pinned pages
 * @user: the area's range, filled in by the caller; takes a reference
 */
void ioasid_pages_add_user(struct ioasid_pages *pages,
			   struct ioasid_pages_user *user)
{
	kref_get(&pages->kref);
	mutex_lock(&pages->lock);
	users_it_insert(user, &pages->users);
	mutex_unlock(&pages->lock);
}

/**
 * ioasid_pages_del_user - an area stopped using its range
 * @pages: the pinned pages
 * @user: the range given to ioasid_pages_add_user(); drops its reference
 *
 * Pages of the range that no other area uses are unpinned and uncharged
 * before this returns. The caller must have made the area unreachable
 * (unlinked it, or never inserted it): the last user's call frees @pages
 * without taking @pages->lock.
 */
void ioasid_pages_del_user(struct ioasid_pages *pages,
			   struct ioasid_pages_user *user)
{
	struct ioasid_pages_user *other;
	unsigned long cur = user->start;

	/*
	 * The last reference (the usual unmap of a whole mapping nobody
	 * copied): every reference is an area's or a running map's, so no
	 * other area and no map can reach @pages any more, and nothing can
	 * take a new reference. @user is then the only node of @users and
	 * every page outside its range is unpinned already: skip the tree
	 * and let the release unpin the range.
	 */
	if (kref_read(&pages->kref) == 1) {
		/* Pairs with the release of the other users' kref_put(). */
		smp_acquire__after_ctrl_dep();
		pages->users = RB_ROOT_CACHED;
		ioasid_pages_release(&pages->kref);
		return;
	}

	mutex_lock(&pages->lock);
	users_it_remove(user, &pages->users);
	/* Intersecting users come in order of start: unpin the gaps. */
	for (other = users_it_iter_first(&pages->users, user->start,
					 user->last);
	     other; other = users_it_iter_next(other, user->start, user->last)) {
		if (other->start > cur)
			pages_unpin_range(pages, cur, other->start - 1, true);
		if (other->last >= user->last) {
			cur = user->last + 1;
			break;
		}
		cur = max(cur, other->last + 1);
	}
	if (cur <= user->last)
		pages_unpin_range(pages, cur, user->last, true);
	mutex_unlock(&pages->lock);
	ioasid_pages_put(pages);
}

/**
 * ioasid_pages_pin - pin and charge a range of the caller's memory
 * @ctx: the fd: its accounting mode and pinned-page count
 * @uaddr: page-aligned user address
 * @npages: number of pages
 * @writable: pin for device writes
 *
 * Return: the pages with one reference, or an ERR_PTR: -ENOMEM (over
 * RLIMIT_MEMLOCK or out of memory), -EFAULT (part of the range is not
 * mapped or not writable when @writable).
 */
struct ioasid_pages *ioasid_pages_pin(struct ioasid_ctx *ctx,
				      unsigned long uaddr, unsigned long npages,
				      bool writable)
{
	unsigned int gup_flags = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	struct ioasid_pages *pages;
	unsigned long done = 0;
	int rc;

	/*
	 * The page array is sized by the caller: charge the locked-memory
	 * limit before allocating it, so an unprivileged caller cannot make
	 * the kernel allocate (or kvmalloc WARN about) an array for memory it
	 * may not pin. Even a caller exempt from the limit cannot ask for an
	 * array past what kvmalloc takes without warning.
	 */
	if (npages > IOASID_PAGES_MAX)
		return ERR_PTR(-ENOMEM);
	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	mutex_init(&pages->lock);
	pages->users = RB_ROOT_CACHED;
	pages->npages = npages;
	pages->writable = writable;
	pages->ctx_pinned = &ctx->pinned_pages;

	mutex_lock(&ctx->option_lock);
	pages->acct_mode = ctx->rlimit_mode;
	pages->user = get_current_user();
	mmgrab(current->mm);
	pages->mm = current->mm;
	rc = pages_charge(pages);
	if (rc)
		goto err_unlock;
	atomic64_add(npages, &ctx->pinned_pages);
	atomic_long_add(npages, &ioasid_stats.charged_pages);
	mutex_unlock(&ctx->option_lock);

	if (npages == 1) {
		pages->pages = &pages->inline_page;
	} else {
		/*
		 * Not zeroed: the pin loop below writes every entry before
		 * anything reads it, and a failed pin unpins only the first
		 * @done. Zeroing 8 bytes per 4 KiB page (512 KiB for 256
		 * MiB) cost a large THP-backed map about as much as the pin
		 * (docs/performance.md).
		 */
		pages->pages = kvmalloc_array(npages, sizeof(*pages->pages),
					      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!pages->pages) {
			rc = -ENOMEM;
			goto err_uncharge;
		}
	}

	while (done < npages) {
		unsigned long n = min_t(unsigned long, npages - done,
					IOASID_PIN_BATCH);
		long got;

		got = pin_user_pages_fast(uaddr + done * PAGE_SIZE, n,
					  gup_flags, pages->pages + done);
		if (got > 0)
			done += got;
		if (got != n) {
			rc = got < 0 ? got : -EFAULT;
			/* gup's "no memory at that address" is our EFAULT. */
			if (rc != -ENOMEM)
				rc = -EFAULT;
			goto err_unpin;
		}
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			goto err_unpin;
		}
		cond_resched();
	}
	return pages;

err_unpin:
	unpin_user_pages(pages->pages, done);
	if (pages->pages != &pages->inline_page)
		kvfree(pages->pages);
err_uncharge:
	pages_uncharge(pages, npages);
	goto err_put;
err_unlock:
	mutex_unlock(&ctx->option_lock);
err_put:
	free_uid(pages->user);
	mmdrop(pages->mm);
	mutex_destroy(&pages->lock);
	kfree(pages);
	return ERR_PTR(rc);
}

static void ioasid_pages_release(struct kref *kref)
{
	struct ioasid_pages *pages = container_of(kref, struct ioasid_pages,
						  kref);

	/* Whatever no area ever used (a failed map) is still pinned. */
	WARN_ON(!RB_EMPTY_ROOT(&pages->users.rb_root));
	pages_unpin_range(pages, 0, pages->npages - 1, false);
	mutex_destroy(&pages->lock);
	free_uid(pages->user);
	mmdrop(pages->mm);
	if (pages->pages != &pages->inline_page)
		kvfree(pages->pages);
	kfree(pages);
}

void ioasid_pages_put(struct ioasid_pages *pages)
{
	kref_put(&pages->kref, ioasid_pages_release);
}

/**
 * ioasid_pages_contig - length of the physically contiguous run at @index
 * @pages: pinned pages
 * @index: first page
 * @max: pages available from @index
 *
 * Return: number of pages (at least 1) whose PFNs follow each other, so
 * that a domain can map the run with its largest fitting page size.
 */
unsigned long ioasid_pages_contig(struct ioasid_pages *pages,
				  unsigned long index, unsigned long max)
{
	unsigned long pfn = page_to_pfn(pages->pages[index]);
	unsigned long n = 1;

	while (n < max && page_to_pfn(pages->pages[index + n]) == pfn + n)
		n++;
	return n;
}
