// SPDX-License-Identifier: GPL-2.0
/*
 * Reading an IOAS by IOVA (copies in and out, pinned pages, physical
 * addresses: the access API and the test module) and the count of the
 * pages an IOAS pins. The tree is io_pagetable.c's; this side looks areas
 * up with iopt_area_at() under the IOAS lock.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <kunit/visibility.h>

#include "io_pagetable.h"

/* --- access by IOVA ------------------------------------------------------- */

static struct page *iova_to_page(struct ioasid_ioas *ioas, u64 iova,
				 struct ioasid_area **areap)
{
	struct ioasid_area *area;

	area = iopt_area_at(ioas, iova);
	if (!area)
		return NULL;
	*areap = area;
	return area->pages->pages[area->pgoff +
				  ((iova - area->start) >> PAGE_SHIFT)];
}

/**
 * iopt_rw - copy between a kernel buffer and IOAS memory
 * @ioas: the address space
 * @iova: first byte
 * @buf: kernel buffer
 * @length: bytes
 * @write: copy @buf into the IOAS (else out of it)
 *
 * Return: 0, -ENOENT if a byte is unmapped, -EACCES to write read-only
 * memory. Nothing is written unless the whole range is writable.
 */
int iopt_rw(struct ioasid_ioas *ioas, u64 iova, void *buf, u64 length,
	    bool write)
{
	struct ioasid_area *area;
	u64 last, pos, done;
	int rc = 0;

	if (!length)
		return 0;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;

	ioas_lock(ioas);
	/* Check the whole range first: all or nothing. */
	for (pos = iova; ; pos = area->last + 1) {
		if (!iova_to_page(ioas, pos, &area)) {
			rc = -ENOENT;
			goto out;
		}
		if (write && !(area->prot & IOMMU_WRITE)) {
			rc = -EACCES;
			goto out;
		}
		if (area->last >= last)
			break;
	}
	for (done = 0; done < length;) {
		u64 cur = iova + done;
		size_t off = offset_in_page(cur);
		size_t n = min_t(u64, PAGE_SIZE - off, length - done);
		struct page *page = iova_to_page(ioas, cur, &area);
		void *va = kmap_local_page(page);

		if (write)
			memcpy(va + off, buf + done, n);
		else
			memcpy(buf + done, va + off, n);
		kunmap_local(va);
		done += n;
	}
out:
	ioas_unlock(ioas);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_rw);

/**
 * iopt_get_pages - take a reference on the pages backing an IOVA range
 * @ioas: the address space, locked by the caller
 * @iova: first byte
 * @last: last byte (inclusive)
 * @write: the range must be mapped writable
 * @pages: one entry per page of [@iova, @last], filled with referenced pages
 *
 * The references (get_page()) keep the pages allocated even after the IOAS
 * unmaps them and drops its pins: an access that failed to unpin in time
 * cannot be left with freed memory.
 *
 * Return: 0, -ENOENT if a byte is unmapped, -EACCES if @write and a page is
 * read-only. Nothing is referenced on failure.
 */
int iopt_get_pages(struct ioasid_ioas *ioas, u64 iova, u64 last, bool write,
		   struct page **pages)
{
	unsigned long i, n = (last >> PAGE_SHIFT) - (iova >> PAGE_SHIFT) + 1;
	struct ioasid_area *area;
	u64 pos;

	lockdep_assert_held(&ioas->mutex);
	for (pos = iova; ; pos = area->last + 1) {
		if (!iova_to_page(ioas, pos, &area))
			return -ENOENT;
		if (write && !(area->prot & IOMMU_WRITE))
			return -EACCES;
		if (area->last >= last)
			break;
	}
	for (i = 0; i < n; i++) {
		pos = max((iova & PAGE_MASK) + ((u64)i << PAGE_SHIFT), iova);
		pages[i] = iova_to_page(ioas, pos, &area);
		get_page(pages[i]);
	}
	return 0;
}

int iopt_iova_to_phys(struct ioasid_ioas *ioas, u64 iova, phys_addr_t *phys)
{
	struct ioasid_area *area;
	struct page *page;
	int rc = 0;

	ioas_lock(ioas);
	page = iova_to_page(ioas, iova, &area);
	if (page)
		*phys = page_to_phys(page) + offset_in_page(iova);
	else
		rc = -ENOENT;
	ioas_unlock(ioas);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_iova_to_phys);

/* --- statistics ------------------------------------------------------------- */

struct page_span {
	struct ioasid_pages *pages;
	unsigned long start;
	unsigned long last;
};

static int page_span_cmp(const void *a, const void *b)
{
	const struct page_span *x = a, *y = b;

	if (x->pages != y->pages)
		return x->pages < y->pages ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/**
 * iopt_count_pinned - distinct pinned pages the areas of @ioas use
 * @ioas: the IOAS
 * @out: the count
 *
 * Sorts the areas' page spans by pages object and merges them, so a page
 * shared by several areas counts once. O(n log n), for GET_INFO only.
 *
 * Return: 0 or -ENOMEM.
 */
int iopt_count_pinned(struct ioasid_ioas *ioas, u64 *out)
{
	struct page_span *spans;
	struct rb_node *node;
	u32 n = 0, i;
	u64 total = 0;

	ioas_lock(ioas);
	spans = kvmalloc_array(max(ioas->nr_areas, 1U), sizeof(*spans),
			       GFP_KERNEL);
	if (!spans) {
		ioas_unlock(ioas);
		return -ENOMEM;
	}
	for (node = rb_first_cached(&ioas->area_itree); node;
	     node = rb_next(node)) {
		struct ioasid_area *area = rb_entry(node, struct ioasid_area,
						    rb);

		spans[n].pages = area->pages;
		spans[n].start = area->pages_user.start;
		spans[n].last = area->pages_user.last;
		n++;
	}
	ioas_unlock(ioas);

	sort(spans, n, sizeof(*spans), page_span_cmp, NULL);
	for (i = 0; i < n;) {
		struct page_span cur = spans[i++];

		while (i < n && spans[i].pages == cur.pages &&
		       spans[i].start <= cur.last + 1) {
			cur.last = max(cur.last, spans[i].last);
			i++;
		}
		total += cur.last - cur.start + 1;
	}
	kvfree(spans);
	*out = total;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(iopt_count_pinned);
