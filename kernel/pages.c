// SPDX-License-Identifier: GPL-2.0
/*
 * Pinned user memory and its locked-memory accounting.
 *
 * A struct ioasid_pages is one pinned run of user pages, created by
 * IOAS_MAP and shared (refcounted) by every area that maps it: areas split
 * by a partial unmap, copies made by IOAS_COPY and child mappings of nested
 * IOASes all point into the same pages, so memory is pinned and charged
 * exactly once. Pages are pinned eagerly at map time: the map either fully
 * succeeds or leaves nothing pinned or charged.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/user.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/capability.h>

#include "io_pagetable.h"

/* Pin in batches so a huge map does not hold mmap_lock for long. */
#define IOASID_PIN_BATCH 512

static int pages_charge(struct ioasid_pages *pages)
{
	unsigned long limit, cur;

	if (pages->acct_mode == IOASID_RLIMIT_MM)
		return account_locked_vm(pages->mm, pages->npages, true);

	/* Per user, as iommufd does: a cmpxchg loop on user->locked_vm. */
	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	do {
		cur = atomic_long_read(&pages->user->locked_vm);
		if (cur + pages->npages > limit && !capable(CAP_IPC_LOCK))
			return -ENOMEM;
	} while (atomic_long_cmpxchg(&pages->user->locked_vm, cur,
				     cur + pages->npages) != cur);
	return 0;
}

static void pages_uncharge(struct ioasid_pages *pages)
{
	if (pages->acct_mode == IOASID_RLIMIT_MM)
		account_locked_vm(pages->mm, pages->npages, false);
	else
		atomic_long_sub(pages->npages, &pages->user->locked_vm);
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

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	pages->npages = npages;
	pages->writable = writable;
	pages->ctx_pinned = &ctx->pinned_pages;
	if (npages == 1) {
		pages->pages = &pages->inline_page;
	} else {
		pages->pages = kvcalloc(npages, sizeof(*pages->pages),
					GFP_KERNEL_ACCOUNT);
		if (!pages->pages) {
			rc = -ENOMEM;
			goto err_free;
		}
	}

	mutex_lock(&ctx->option_lock);
	pages->acct_mode = ctx->rlimit_mode;
	pages->user = get_current_user();
	mmgrab(current->mm);
	pages->mm = current->mm;
	rc = pages_charge(pages);
	if (rc)
		goto err_unlock;
	atomic64_add(npages, &ctx->pinned_pages);
	mutex_unlock(&ctx->option_lock);

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
	atomic64_sub(npages, &ctx->pinned_pages);
	pages_uncharge(pages);
	goto err_put;
err_unlock:
	mutex_unlock(&ctx->option_lock);
err_put:
	free_uid(pages->user);
	mmdrop(pages->mm);
	if (pages->pages != &pages->inline_page)
		kvfree(pages->pages);
err_free:
	kfree(pages);
	return ERR_PTR(rc);
}

static void ioasid_pages_release(struct kref *kref)
{
	struct ioasid_pages *pages = container_of(kref, struct ioasid_pages,
						  kref);

	/* Devices may have written to writable pages: mark them dirty. */
	unpin_user_pages_dirty_lock(pages->pages, pages->npages,
				    pages->writable);
	pages_uncharge(pages);
	atomic64_sub(pages->npages, pages->ctx_pinned);
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
