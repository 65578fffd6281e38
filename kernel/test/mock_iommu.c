// SPDX-License-Identifier: GPL-2.0
/*
 * A mock IOMMU and mock devices for the ioasid selftests.
 *
 * The mock IOMMU's fwnode is a software node of its own; mock devices are
 * platform devices whose fwspec names it, so only they get mock_ops (PCI
 * devices have no fwspec). Each is alone in its group, and its default
 * domain is the static blocked domain, as for drivers without DMA API
 * support: no DMA until ioasid attaches a paging domain.
 *
 * A paging domain's page table is an xarray from IOVA pfn to a PTE, whose
 * lock ioasid_mock_dma() holds across walk and copy: once an unmap returns,
 * no mock DMA touches its pages. The device mutex held around that keeps
 * the domain from being detached (then freed) under the DMA.
 *
 * Page sizes are 4 KiB and 2 MiB. A 2 MiB IOPTE is one entry, stored at the
 * pfn of its first page and marked huge. Unmapping any part of it removes
 * all of it and reports its whole size, as VT-d and AMD-Vi do: a core that
 * cut a huge IOPTE without mapping the rest again would leave the other 511
 * pages unreachable, and the tests would see their DMA fault.
 */
#include <linux/atomic.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include <linux/ioasid.h>

#include "mock_iommu.h"

#define MOCK_NAME		"ioasid-mock"
#define MOCK_ALT_NAME		"ioasid-mock-alt"
#define MOCK_MAX_PASID_BITS	IOASID_PASID_BITS
#define MOCK_APERTURE_END	((1ULL << 48) - 1)
#define MOCK_BLOCKED_SERIAL	1
#define MOCK_FIRST_SERIAL	1000

/* A PTE is xa_mk_value(pfn << MOCK_PROT_BITS | huge | prot). */
#define MOCK_PROT_BITS		8
#define MOCK_PTE_HUGE		BIT(MOCK_PROT_BITS - 1)
#define MOCK_PROT_MASK		(MOCK_PTE_HUGE - 1)
#define MOCK_PTE_PFN(pte)	(xa_to_value(pte) >> MOCK_PROT_BITS)
#define MOCK_PTE_PROT(pte)	(xa_to_value(pte) & MOCK_PROT_MASK)
#define MOCK_PTE_IS_HUGE(pte)	(xa_to_value(pte) & MOCK_PTE_HUGE)

/* The page sizes of the mock IOMMU. */
#define MOCK_HUGE_SIZE		SZ_2M
#define MOCK_HUGE_PAGES		(MOCK_HUGE_SIZE >> PAGE_SHIFT)
#define MOCK_PGSIZES		(PAGE_SIZE | MOCK_HUGE_SIZE)

/**
 * struct ioasid_mock_dev - a mock device and what the mock IOMMU knows of it
 * @node: entry in mock_devs, under mock_devs_lock
 * @pdev: the platform device
 * @cfg: what it was created as
 * @lock: protects @rid_domain and @pasids; held across a mock DMA
 * @rid_domain: domain attached at the RID (blocked, paging or NULL)
 * @pasids: PASID -> paging domain attached there
 * @faults: mock DMAs that faulted
 */
struct ioasid_mock_dev {
	struct list_head node;
	struct platform_device *pdev;
	struct ioasid_mock_config cfg;
	struct mutex lock;	/* see @lock above */
	struct iommu_domain *rid_domain;
	struct xarray pasids;
	atomic64_t faults;
};

/**
 * struct mock_domain - a paging domain of the mock IOMMU
 * @domain: the core's view
 * @pt: IOVA pfn -> PTE; its lock serialises map, unmap and mock DMA
 * @serial: unique, for tests to tell domains apart
 * @coherent: allocated for a device that can enforce cache coherency
 * @enforce_cc: enforce_cache_coherency() succeeded on it
 */
struct mock_domain {
	struct iommu_domain domain;
	struct xarray pt;
	u64 serial;
	bool coherent;
	bool enforce_cc;
};

static struct iommu_device mock_iommu;
static struct fwnode_handle *mock_fwnode;
static atomic64_t mock_next_serial = ATOMIC64_INIT(MOCK_FIRST_SERIAL);

/* Mock devices, for probe_device to recognise them and for exit. */
static LIST_HEAD(mock_devs);
static DEFINE_MUTEX(mock_devs_lock);

static struct mock_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

/* Set by mock_probe_device(): valid in every op on a probed device. */
static struct ioasid_mock_dev *to_mock_dev(struct device *dev)
{
	return dev_iommu_priv_get(dev);
}

static void *mock_pte(phys_addr_t paddr, int prot, bool huge)
{
	return xa_mk_value(PHYS_PFN(paddr) << MOCK_PROT_BITS |
			   (huge ? MOCK_PTE_HUGE : 0) | (prot & MOCK_PROT_MASK));
}

/*
 * The PTE translating IOVA pfn @pfn, or NULL: its own entry, or the huge
 * one stored at the first pfn of its 2 MiB. *@phys_pfn is where it leads.
 */
static void *mock_pt_lookup(struct xarray *pt, unsigned long pfn,
			    unsigned long *phys_pfn)
{
	unsigned long head = ALIGN_DOWN(pfn, MOCK_HUGE_PAGES);
	void *pte = xa_load(pt, pfn);

	if (!pte && head != pfn) {
		pte = xa_load(pt, head);
		if (pte && !MOCK_PTE_IS_HUGE(pte))
			pte = NULL;
	}
	if (pte && phys_pfn)
		*phys_pfn = MOCK_PTE_PFN(pte) + (pfn - (MOCK_PTE_IS_HUGE(pte) ?
							head : pfn));
	return pte;
}

static void mock_set_rid_domain(struct device *dev,
				struct iommu_domain *domain)
{
	struct ioasid_mock_dev *mdev = to_mock_dev(dev);

	mutex_lock(&mdev->lock);
	mdev->rid_domain = domain;
	mutex_unlock(&mdev->lock);
}

/* --- the blocked domain: default, blocking and DMA-owner domain --------- */

static int mock_blocked_attach_dev(struct iommu_domain *domain,
				   struct device *dev)
{
	mock_set_rid_domain(dev, domain);
	return 0;
}

static const struct iommu_domain_ops mock_blocked_ops = {
	.attach_dev = mock_blocked_attach_dev,
};

/* No .free: the core "frees" default and blocking domains at release. */
static struct iommu_domain mock_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &mock_blocked_ops,
};

/* --- paging domains ----------------------------------------------------- */

/* As Intel without snoop control: no snooping domain on such a device. */
static bool mock_compatible(struct iommu_domain *domain, struct device *dev)
{
	return !to_mock_domain(domain)->enforce_cc ||
	       to_mock_dev(dev)->cfg.coherent;
}

static int mock_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	if (!mock_compatible(domain, dev))
		return -EINVAL;
	mock_set_rid_domain(dev, domain);
	return 0;
}

/* Storing over @old replaces it: DMA sees one domain or the other. */
static int mock_set_dev_pasid(struct iommu_domain *domain, struct device *dev,
			      ioasid_t pasid, struct iommu_domain *old)
{
	struct ioasid_mock_dev *mdev = to_mock_dev(dev);
	int rc;

	if (!mock_compatible(domain, dev))
		return -EINVAL;
	if (pasid == IOMMU_NO_PASID || pasid >= (1U << mdev->cfg.pasid_bits))
		return -EINVAL;

	mutex_lock(&mdev->lock);
	rc = xa_err(xa_store(&mdev->pasids, pasid, domain, GFP_KERNEL));
	mutex_unlock(&mdev->lock);
	return rc;
}

/* Is any page of the IOPTE of @pgsize at IOVA pfn @pfn translated already? */
static bool mock_pt_busy(struct xarray *pt, unsigned long pfn, size_t pgsize)
{
	unsigned long idx = pfn;

	if (mock_pt_lookup(pt, pfn, NULL))
		return true;
	return pgsize > PAGE_SIZE &&
	       xa_find(pt, &idx, pfn + (pgsize >> PAGE_SHIFT) - 1, XA_PRESENT);
}

static int mock_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct mock_domain *md = to_mock_domain(domain);
	bool huge = pgsize == MOCK_HUGE_SIZE;
	size_t i;
	int rc = 0;

	if ((pgsize != PAGE_SIZE && !huge) || !IS_ALIGNED(iova | paddr, pgsize) ||
	    !pgcount)
		return -EINVAL;
	if (iova > domain->geometry.aperture_end ||
	    pgcount * (pgsize >> PAGE_SHIFT) - 1 >
	    (domain->geometry.aperture_end - iova) >> PAGE_SHIFT)
		return -EINVAL;

	/*
	 * __xa_insert() drops the lock to allocate if @gfp may block; the
	 * core's maps and unmaps of a domain are serialized by its IOAS lock.
	 */
	xa_lock(&md->pt);
	for (i = 0; i < pgcount; i++) {
		unsigned long pfn = (iova + i * pgsize) >> PAGE_SHIFT;

		/* Overlap: the core unmaps what *mapped reports. */
		rc = -EEXIST;
		if (mock_pt_busy(&md->pt, pfn, pgsize))
			break;
		rc = __xa_insert(&md->pt, pfn,
				 mock_pte(paddr + i * pgsize, prot, huge), gfp);
		if (rc) {
			if (rc == -EBUSY)
				rc = -EEXIST;
			break;
		}
		*mapped += pgsize;
	}
	xa_unlock(&md->pt);
	return rc;
}

/*
 * A huge IOPTE goes whole, even when the request covers only part of it,
 * and counts from @iova to its end: like VT-d, the mock unmaps (and
 * reports) more than asked rather than split it.
 */
static size_t mock_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	struct mock_domain *md = to_mock_domain(domain);
	unsigned long pfn = iova >> PAGE_SHIFT;
	unsigned long end = pfn + pgcount * (pgsize >> PAGE_SHIFT);
	size_t unmapped = 0;

	if (!(pgsize & MOCK_PGSIZES) || !IS_ALIGNED(iova, PAGE_SIZE))
		return 0;

	/* Stop at the first hole, as page-table walkers do. */
	xa_lock(&md->pt);
	while (pfn < end) {
		void *pte = mock_pt_lookup(&md->pt, pfn, NULL);
		unsigned long next = pfn + 1;

		if (!pte)
			break;
		if (MOCK_PTE_IS_HUGE(pte)) {
			next = ALIGN_DOWN(pfn, MOCK_HUGE_PAGES) +
			       MOCK_HUGE_PAGES;
			__xa_erase(&md->pt, ALIGN_DOWN(pfn, MOCK_HUGE_PAGES));
		} else {
			__xa_erase(&md->pt, pfn);
		}
		unmapped += (next - pfn) << PAGE_SHIFT;
		pfn = next;
	}
	xa_unlock(&md->pt);

	/* No IOTLB: the lock fenced DMA off. Gathered for callers to see. */
	if (unmapped && gather)
		iommu_iotlb_gather_add_range(gather, iova, unmapped);
	return unmapped;
}

static phys_addr_t mock_iova_to_phys(struct iommu_domain *domain,
				     dma_addr_t iova)
{
	unsigned long pfn;

	if (!mock_pt_lookup(&to_mock_domain(domain)->pt, iova >> PAGE_SHIFT,
			    &pfn))
		return 0;
	return PFN_PHYS(pfn) | offset_in_page(iova);
}

/* 6.12: returns true on success. */
static bool mock_enforce_cache_coherency(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);

	if (!md->coherent)
		return false;
	md->enforce_cc = true;
	return true;
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);

	xa_destroy(&md->pt);
	kfree(md);
}

static const struct iommu_domain_ops mock_paging_ops = {
	.attach_dev = mock_attach_dev,
	.set_dev_pasid = mock_set_dev_pasid,
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.enforce_cache_coherency = mock_enforce_cache_coherency,
	.free = mock_domain_free,
};

/* @dev is NULL when allocated through the bus (iommu_domain_alloc()). */
static struct iommu_domain *mock_domain_alloc_paging(struct device *dev)
{
	struct ioasid_mock_dev *mdev = dev ? to_mock_dev(dev) : NULL;
	struct mock_domain *md;

	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md)
		return ERR_PTR(-ENOMEM);
	xa_init(&md->pt);
	md->serial = atomic64_fetch_inc(&mock_next_serial);
	md->coherent = mdev && mdev->cfg.coherent;
	md->domain.ops = &mock_paging_ops;
	md->domain.pgsize_bitmap = MOCK_PGSIZES;
	md->domain.geometry.aperture_start = 0;
	md->domain.geometry.aperture_end = MOCK_APERTURE_END;
	md->domain.geometry.force_aperture = true;
	return &md->domain;
}

/* --- iommu_ops ---------------------------------------------------------- */

/* Called under iommu_probe_device_lock, which dev_iommu_priv_set() wants. */
static struct iommu_device *mock_probe_device(struct device *dev)
{
	struct ioasid_mock_dev *mdev, *found = NULL;

	mutex_lock(&mock_devs_lock);
	list_for_each_entry(mdev, &mock_devs, node) {
		if (&mdev->pdev->dev == dev) {
			found = mdev;
			break;
		}
	}
	mutex_unlock(&mock_devs_lock);
	if (!found)
		return ERR_PTR(-ENODEV);
	dev_iommu_priv_set(dev, found);
	return &mock_iommu;
}

/* The core frees the domains after this: forget every one of them. */
static void mock_release_device(struct device *dev)
{
	struct ioasid_mock_dev *mdev = to_mock_dev(dev);

	mutex_lock(&mdev->lock);
	mdev->rid_domain = NULL;
	xa_destroy(&mdev->pasids);
	mutex_unlock(&mdev->lock);
}

static void mock_remove_dev_pasid(struct device *dev, ioasid_t pasid,
				  struct iommu_domain *domain)
{
	struct ioasid_mock_dev *mdev = to_mock_dev(dev);

	mutex_lock(&mdev->lock);
	xa_erase(&mdev->pasids, pasid);
	mutex_unlock(&mdev->lock);
}

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_ENFORCE_CACHE_COHERENCY:
		return to_mock_dev(dev)->cfg.coherent;
	default:
		return false;
	}
}

static const struct iommu_ops mock_ops = {
	.owner = THIS_MODULE,
	.capable = mock_capable,
	.domain_alloc_paging = mock_domain_alloc_paging,
	.probe_device = mock_probe_device,
	.release_device = mock_release_device,
	.device_group = generic_device_group,
	.remove_dev_pasid = mock_remove_dev_pasid,
	.pgsize_bitmap = MOCK_PGSIZES,
	.blocked_domain = &mock_blocked_domain,
	.default_domain = &mock_blocked_domain,
};

/* --- mock devices ------------------------------------------------------- */

/* Binding is all they need: dev->driver->name is what policies see. */
static int mock_drv_probe(struct platform_device *pdev)
{
	return 0;
}

#define MOCK_DRIVER(_name) {						\
	.probe = mock_drv_probe,					\
	.driver = {							\
		.name = _name,						\
		.probe_type = PROBE_FORCE_SYNCHRONOUS,			\
	},								\
	.driver_managed_dma = true,					\
}

static struct platform_driver mock_driver = MOCK_DRIVER(MOCK_NAME);
static struct platform_driver mock_alt_driver = MOCK_DRIVER(MOCK_ALT_NAME);
static struct platform_driver * const mock_drivers[] = {
	&mock_driver, &mock_alt_driver,
};

/*
 * What iommu_fwspec_init() does, without its dev_iommu_get(): that asserts
 * iommu_probe_device_lock, which is not exported, so a lockdep kernel would
 * WARN. Nothing can race: the device is not added yet. Once it is, the core
 * frees both with dev_iommu_free() when the device goes.
 */
static int mock_fwspec_init(struct device *dev)
{
	struct iommu_fwspec *fwspec;
	struct dev_iommu *param;

	param = kzalloc(sizeof(*param), GFP_KERNEL);
	fwspec = kzalloc(sizeof(*fwspec), GFP_KERNEL);
	if (!param || !fwspec) {
		kfree(param);
		kfree(fwspec);
		return -ENOMEM;
	}
	mutex_init(&param->lock);
	fwspec->iommu_fwnode = fwnode_handle_get(mock_fwnode);
	param->fwspec = fwspec;
	dev->iommu = param;
	return 0;
}

/* Undo mock_fwspec_init() for a device the core never saw. */
static void mock_fwspec_free(struct device *dev)
{
	struct dev_iommu *param = dev->iommu;

	if (!param)
		return;
	dev->iommu = NULL;
	fwnode_handle_put(param->fwspec->iommu_fwnode);
	kfree(param->fwspec);
	kfree(param);
}

/**
 * ioasid_mock_dev_create() - create a mock device behind the mock IOMMU
 * @cfg: what the device looks like
 *
 * The device is a platform device bound to the driver "ioasid-mock" (or
 * "ioasid-mock-alt"), probed by the IOMMU core into a group of its own,
 * with the blocked domain attached. Holds a reference on this module until
 * destroyed (the core's, for ops->owner).
 *
 * Return: the mock device, or an ERR_PTR(): -EINVAL for a bad @cfg,
 * -ENODEV if the mock IOMMU is not up or the core did not take the device.
 */
struct ioasid_mock_dev *
ioasid_mock_dev_create(const struct ioasid_mock_config *cfg)
{
	struct property_entry props[2] = { };
	struct platform_device *pdev;
	struct ioasid_mock_dev *mdev;
	int rc;

	if (!cfg || cfg->pasid_bits > MOCK_MAX_PASID_BITS)
		return ERR_PTR(-EINVAL);
	if (!mock_fwnode)
		return ERR_PTR(-ENODEV);

	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	mdev->cfg = *cfg;
	mutex_init(&mdev->lock);
	xa_init(&mdev->pasids);
	pdev = platform_device_alloc(cfg->alt_driver ? MOCK_ALT_NAME : MOCK_NAME,
				     PLATFORM_DEVID_AUTO);
	if (!pdev) {
		rc = -ENOMEM;
		goto err_free;
	}
	mdev->pdev = pdev;
	mutex_lock(&mock_devs_lock);
	list_add_tail(&mdev->node, &mock_devs);
	mutex_unlock(&mock_devs_lock);

	/* Read by the core at probe (dev_iommu_get_max_pasids()). */
	if (cfg->pasid_bits) {
		props[0] = PROPERTY_ENTRY_U32("pasid-num-bits", cfg->pasid_bits);
		rc = device_create_managed_software_node(&pdev->dev, props,
							 NULL);
		if (rc)
			goto err_put;
	}
	rc = mock_fwspec_init(&pdev->dev);
	if (rc)
		goto err_put;

	/* The bus notifier probes the IOMMU side, then the driver binds. */
	rc = platform_device_add(pdev);
	if (rc)
		goto err_put;
	if (!pdev->dev.iommu_group || !pdev->dev.driver) {
		dev_warn(&pdev->dev, "not taken by the mock IOMMU or driver\n");
		/* Removal frees dev->iommu and the software node. */
		platform_device_unregister(pdev);
		rc = -ENODEV;
		goto err_unlist;
	}
	return mdev;

err_put:
	mock_fwspec_free(&pdev->dev);
	device_remove_software_node(&pdev->dev);
	platform_device_put(pdev);
err_unlist:
	mutex_lock(&mock_devs_lock);
	list_del(&mdev->node);
	mutex_unlock(&mock_devs_lock);
err_free:
	xa_destroy(&mdev->pasids);
	mutex_destroy(&mdev->lock);
	kfree(mdev);
	return ERR_PTR(rc);
}

/**
 * ioasid_mock_dev_destroy() - remove a mock device
 * @mdev: from ioasid_mock_dev_create(); NULL or an ERR_PTR() is ignored
 *
 * The caller must have unbound it from ioasid first: DMA ownership
 * released and nothing attached at the RID or any PASID (the IOMMU core
 * WARNs otherwise), and no ioasid_mock_dma() running or to come.
 */
void ioasid_mock_dev_destroy(struct ioasid_mock_dev *mdev)
{
	if (IS_ERR_OR_NULL(mdev))
		return;

	mutex_lock(&mock_devs_lock);
	list_del(&mdev->node);
	mutex_unlock(&mock_devs_lock);

	/* Unbinds, then BUS_NOTIFY_REMOVED_DEVICE releases it from the core. */
	platform_device_unregister(mdev->pdev);
	xa_destroy(&mdev->pasids);
	mutex_destroy(&mdev->lock);
	kfree(mdev);
}

/**
 * ioasid_mock_dev_device() - the struct device of a mock device
 * @mdev: the mock device
 *
 * Return: the device to hand to ioasid.
 */
struct device *ioasid_mock_dev_device(struct ioasid_mock_dev *mdev)
{
	return &mdev->pdev->dev;
}

/* The domain a DMA tagged @pasid goes through (0 is the RID). */
static struct iommu_domain *mock_dev_domain(struct ioasid_mock_dev *mdev,
					    u32 pasid)
{
	lockdep_assert_held(&mdev->lock);

	if (pasid == IOMMU_NO_PASID)
		return mdev->rid_domain;
	return xa_load(&mdev->pasids, pasid);
}

/* Would every page of [@iova, @last] translate with @need? */
static int mock_pt_check(struct mock_domain *md, u64 iova, u64 last, int need)
{
	unsigned long pfn, phys_pfn;
	void *pte;

	lockdep_assert_held(&md->pt.xa_lock);

	if (last > md->domain.geometry.aperture_end)
		return -EFAULT;
	for (pfn = iova >> PAGE_SHIFT; pfn <= last >> PAGE_SHIFT; pfn++) {
		pte = mock_pt_lookup(&md->pt, pfn, &phys_pfn);
		if (!pte || !pfn_valid(phys_pfn))
			return -EFAULT;
		if ((MOCK_PTE_PROT(pte) & need) != need)
			return -EPERM;
	}
	return 0;
}

/* Only after mock_pt_check() passed, without dropping the lock since. */
static void mock_pt_copy(struct mock_domain *md, u64 iova, void *buf,
			 size_t len, bool write)
{
	lockdep_assert_held(&md->pt.xa_lock);

	while (len) {
		size_t off = offset_in_page(iova);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		unsigned long pfn;
		void *va;

		mock_pt_lookup(&md->pt, iova >> PAGE_SHIFT, &pfn);
		va = kmap_local_page(pfn_to_page(pfn));

		if (write)
			memcpy(va + off, buf, n);
		else
			memcpy(buf, va + off, n);
		kunmap_local(va);
		buf += n;
		iova += n;
		len -= n;
	}
}

/**
 * ioasid_mock_dma() - do what the device's DMA would
 * @mdev: the mock device
 * @pasid: PASID the DMA is tagged with; 0 for none (through the RID)
 * @iova: I/O virtual address
 * @buf: kernel buffer: the source of a write, the destination of a read
 * @len: bytes
 * @write: the device writes memory (needs IOMMU_WRITE); else it reads
 *	memory (needs IOMMU_READ)
 *
 * All or nothing: the whole range is translated before a byte is copied,
 * and no unmap or detach comes in between. May sleep; the copy itself runs
 * under a spinlock, so keep @len to what a test needs.
 *
 * Return: 0; -EFAULT if no paging domain is attached at @pasid or a page is
 * not mapped; -EPERM if a page lacks the permission; -EINVAL if the range
 * wraps. -EFAULT and -EPERM count as faults.
 */
int ioasid_mock_dma(struct ioasid_mock_dev *mdev, u32 pasid, u64 iova,
		    void *buf, size_t len, bool write)
{
	int need = write ? IOMMU_WRITE : IOMMU_READ;
	struct iommu_domain *domain;
	struct mock_domain *md;
	u64 last;
	int rc;

	if (!len)
		return 0;
	if (check_add_overflow(iova, (u64)len - 1, &last))
		return -EINVAL;

	mutex_lock(&mdev->lock);
	domain = mock_dev_domain(mdev, pasid);
	if (!domain || domain == &mock_blocked_domain) {
		rc = -EFAULT;
	} else {
		md = to_mock_domain(domain);
		xa_lock(&md->pt);
		rc = mock_pt_check(md, iova, last, need);
		if (!rc)
			mock_pt_copy(md, iova, buf, len, write);
		xa_unlock(&md->pt);
	}
	if (rc)
		atomic64_inc(&mdev->faults);
	mutex_unlock(&mdev->lock);
	return rc;
}

/**
 * ioasid_mock_domain_serial() - which domain a mock device goes through
 * @mdev: the mock device
 * @pasid: 0 for the RID, else a PASID
 *
 * Return: the serial of the domain attached there: 1 for the blocked
 * domain, 1000 and up for paging domains, 0 if none is attached.
 */
u64 ioasid_mock_domain_serial(struct ioasid_mock_dev *mdev, u32 pasid)
{
	struct iommu_domain *domain;
	u64 serial = 0;

	mutex_lock(&mdev->lock);
	domain = mock_dev_domain(mdev, pasid);
	if (domain == &mock_blocked_domain)
		serial = MOCK_BLOCKED_SERIAL;
	else if (domain)
		serial = to_mock_domain(domain)->serial;
	mutex_unlock(&mdev->lock);
	return serial;
}

/**
 * ioasid_mock_iopte_size() - the IOPTE that translates an IOVA
 * @mdev: the mock device
 * @pasid: 0 for the RID, else a PASID
 * @iova: the I/O virtual address
 *
 * Return: the size of the IOPTE translating @iova in the paging domain
 * attached at @pasid (PAGE_SIZE or 2 MiB), 0 if none does.
 */
u64 ioasid_mock_iopte_size(struct ioasid_mock_dev *mdev, u32 pasid, u64 iova)
{
	struct iommu_domain *domain;
	struct mock_domain *md;
	u64 size = 0;
	void *pte;

	mutex_lock(&mdev->lock);
	domain = mock_dev_domain(mdev, pasid);
	if (domain && domain != &mock_blocked_domain) {
		md = to_mock_domain(domain);
		xa_lock(&md->pt);
		pte = mock_pt_lookup(&md->pt, iova >> PAGE_SHIFT, NULL);
		if (pte)
			size = MOCK_PTE_IS_HUGE(pte) ? MOCK_HUGE_SIZE : PAGE_SIZE;
		xa_unlock(&md->pt);
	}
	mutex_unlock(&mdev->lock);
	return size;
}

/**
 * ioasid_mock_faults() - how many mock DMAs of a device faulted
 * @mdev: the mock device
 *
 * Return: the count since the device was created.
 */
u64 ioasid_mock_faults(struct ioasid_mock_dev *mdev)
{
	return atomic64_read(&mdev->faults);
}

/* --- the mock IOMMU ----------------------------------------------------- */

/**
 * ioasid_mock_iommu_init() - register the mock IOMMU and the mock drivers
 *
 * Return: 0 or a negative errno.
 */
int ioasid_mock_iommu_init(void)
{
	struct fwnode_handle *fwnode;
	int rc;

	fwnode = fwnode_create_software_node(NULL, NULL);
	if (IS_ERR(fwnode))
		return PTR_ERR(fwnode);
	rc = platform_register_drivers(mock_drivers, ARRAY_SIZE(mock_drivers));
	if (rc)
		goto err_node;

	/* iommu_device_link() makes links under iommu->dev: it must exist. */
	rc = iommu_device_sysfs_add(&mock_iommu, NULL, NULL, "%s", MOCK_NAME);
	if (rc)
		goto err_drivers;
	mock_iommu.fwnode = fwnode;
	mock_iommu.max_pasids = 1U << MOCK_MAX_PASID_BITS;
	rc = iommu_device_register(&mock_iommu, &mock_ops, NULL);
	if (rc)
		goto err_sysfs;

	/* Last: ioasid_mock_dev_create() refuses until it is set. */
	mock_fwnode = fwnode;
	return 0;

err_sysfs:
	iommu_device_sysfs_remove(&mock_iommu);
err_drivers:
	platform_unregister_drivers(mock_drivers, ARRAY_SIZE(mock_drivers));
err_node:
	fwnode_remove_software_node(fwnode);
	return rc;
}

/**
 * ioasid_mock_iommu_exit() - undo ioasid_mock_iommu_init()
 *
 * Mock devices still present are destroyed first, under the rules of
 * ioasid_mock_dev_destroy(), then the IOMMU is unregistered. As each mock
 * device pins this module, module exit only gets here once they are gone;
 * the loop is for callers that tear down in some other order.
 */
void ioasid_mock_iommu_exit(void)
{
	struct ioasid_mock_dev *mdev;

	if (!mock_fwnode)
		return;

	for (;;) {
		/* Not held across the destroy, which takes it. */
		mutex_lock(&mock_devs_lock);
		mdev = list_first_entry_or_null(&mock_devs,
						struct ioasid_mock_dev, node);
		mutex_unlock(&mock_devs_lock);
		if (!mdev)
			break;
		ioasid_mock_dev_destroy(mdev);
	}

	iommu_device_unregister(&mock_iommu);
	iommu_device_sysfs_remove(&mock_iommu);
	platform_unregister_drivers(mock_drivers, ARRAY_SIZE(mock_drivers));
	fwnode_remove_software_node(mock_fwnode);
	mock_fwnode = NULL;
}
