// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid_test: test-only hooks for the ioasid selftests.
 *
 * /dev/ioasid_test lets a test read, write and translate an IOAS by IOVA
 * from the kernel's side, to check byte for byte what a device would see,
 * and count the references and pins on a page.
 * Never load this module in production.
 */
#define pr_fmt(fmt) "ioasid_test: " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/uaccess.h>
#include <linux/cpu.h>
#include <linux/smp.h>
#include <linux/ioasid_kernel.h>
#include "ioasid_test_uapi.h"

#include "mock_iommu.h"
#include "test_state.h"

/* Bounce through kernel memory in chunks of this size. */
#define IOASID_TEST_CHUNK (64 * 1024)

static int ioasid_test_iova_rw_ioctl(void __user *uarg)
{
	struct ioasid_test_iova_rw cmd;
	phys_addr_t phys = 0;
	u64 done = 0;
	void *buf;
	int rc;

	rc = ioasid_test_copy_cmd(&cmd, sizeof(cmd), uarg);
	if (rc)
		return rc;
	if (hweight32(cmd.flags) != 1 ||
	    cmd.flags & ~(IOASID_TEST_RW_READ | IOASID_TEST_RW_WRITE |
			  IOASID_TEST_RW_PHYS))
		return -EINVAL;

	CLASS(fd, f)(cmd.ioasid_fd);
	if (fd_empty(f))
		return -EBADF;

	if (cmd.flags & IOASID_TEST_RW_PHYS) {
		rc = ioasid_test_iova_rw(fd_file(f), cmd.ioas_id, cmd.iova,
					 NULL, 0, false, &phys);
		if (rc)
			return rc;
		cmd.out_phys = phys;
		return copy_to_user(uarg, &cmd, sizeof(cmd)) ? -EFAULT : 0;
	}

	buf = kvmalloc(min_t(u64, cmd.length, IOASID_TEST_CHUNK), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (done < cmd.length) {
		u64 n = min_t(u64, cmd.length - done, IOASID_TEST_CHUNK);
		void __user *u = u64_to_user_ptr(cmd.uptr + done);

		if (cmd.flags & IOASID_TEST_RW_WRITE) {
			rc = -EFAULT;
			if (copy_from_user(buf, u, n))
				break;
			rc = ioasid_test_iova_rw(fd_file(f), cmd.ioas_id,
						 cmd.iova + done, buf, n, true,
						 NULL);
		} else {
			rc = ioasid_test_iova_rw(fd_file(f), cmd.ioas_id,
						 cmd.iova + done, buf, n, false,
						 NULL);
			if (!rc && copy_to_user(u, buf, n))
				rc = -EFAULT;
		}
		if (rc)
			break;
		done += n;
	}
	kvfree(buf);
	return rc;
}

static int ioasid_test_pin_ioctl(void __user *uarg)
{
	struct ioasid_test_pin cmd;
	unsigned long npages, done = 0;
	struct page **pages;
	int rc;

	rc = ioasid_test_copy_cmd(&cmd, sizeof(cmd), uarg);
	if (rc)
		return rc;
	if (cmd.flags || !cmd.length || !PAGE_ALIGNED(cmd.uaddr) ||
	    !PAGE_ALIGNED(cmd.length))
		return -EINVAL;
	npages = cmd.length >> PAGE_SHIFT;
	pages = kvcalloc(min(npages, 512UL), sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	while (done < npages) {
		unsigned long n = min(npages - done, 512UL);
		long got;

		got = pin_user_pages_fast(cmd.uaddr + done * PAGE_SIZE, n,
					  FOLL_WRITE | FOLL_LONGTERM, pages);
		if (got > 0)
			unpin_user_pages(pages, got);
		if (got != n) {
			rc = got < 0 ? got : -EFAULT;
			break;
		}
		done += n;
	}
	kvfree(pages);
	return rc;
}

static int ioasid_test_flush_count_ioctl(void __user *uarg)
{
	struct ioasid_test_flush_count cmd;
	u64 __user *counts;
	unsigned int cpu;
	int rc;

	rc = ioasid_test_copy_cmd(&cmd, sizeof(cmd), uarg);
	if (rc)
		return rc;
	if (!cmd.nr_cpus)
		return -EINVAL;
	counts = u64_to_user_ptr(cmd.counts_uptr);
	for (cpu = 0; cpu < min(cmd.nr_cpus, nr_cpu_ids); cpu++)
		if (put_user(ioasid_test_flush_count(cpu), counts + cpu))
			return -EFAULT;
	cmd.nr_cpus = nr_cpu_ids;
	return copy_to_user(uarg, &cmd, sizeof(cmd)) ? -EFAULT : 0;
}

#ifdef CONFIG_X86
static void ioasid_test_wbinvd_one(void *unused)
{
	wbinvd();
}

/* The flush alone, on this CPU or all: out_nr_cpus. */
static u32 ioasid_test_wbinvd(bool all_cpus)
{
	u32 n = 1;

	if (!all_cpus) {
		wbinvd();
		return n;
	}
	cpus_read_lock();
	on_each_cpu(ioasid_test_wbinvd_one, NULL, true);
	n = num_online_cpus();
	cpus_read_unlock();
	return n;
}
#endif

static int ioasid_test_wbinvd_ioctl(void __user *uarg)
{
	struct ioasid_test_wbinvd cmd;
	int rc;

	rc = ioasid_test_copy_cmd(&cmd, sizeof(cmd), uarg);
	if (rc)
		return rc;
	if (cmd.flags & ~IOASID_TEST_WBINVD_ALL_CPUS || cmd.__reserved)
		return -EINVAL;
#ifdef CONFIG_X86
	cmd.out_nr_cpus =
		ioasid_test_wbinvd(cmd.flags & IOASID_TEST_WBINVD_ALL_CPUS);
	return copy_to_user(uarg, &cmd, sizeof(cmd)) ? -EFAULT : 0;
#else
	return -EOPNOTSUPP;
#endif
}

/* The page at @cmd->addr with a reference, or an ERR_PTR (NULL: free). */
static struct page *ioasid_test_get_page(struct ioasid_test_page_info *cmd)
{
	struct folio *folio;
	struct page *page;

	if (!(cmd->flags & IOASID_TEST_PAGE_BY_PHYS)) {
		/* Only what is present: nothing is faulted in. */
		if (get_user_pages_fast_only(cmd->addr & PAGE_MASK, 1, 0,
					     &page) != 1)
			return ERR_PTR(-EFAULT);
		return page;
	}
	page = pfn_to_online_page(PHYS_PFN(cmd->addr));
	if (!page)
		return ERR_PTR(-ENOENT);
	/* The folio may be freed or split meanwhile: retry until stable. */
	for (;;) {
		folio = page_folio(page);
		if (!folio_try_get(folio))
			return NULL;
		if (folio == page_folio(page))
			return page;
		folio_put(folio);
	}
}

static int ioasid_test_page_info_ioctl(void __user *uarg)
{
	struct ioasid_test_page_info cmd;
	struct folio *folio;
	struct page *page;
	u64 refs;
	int rc;

	rc = ioasid_test_copy_cmd(&cmd, sizeof(cmd), uarg);
	if (rc)
		return rc;
	if (cmd.flags & ~IOASID_TEST_PAGE_BY_PHYS)
		return -EINVAL;
	page = ioasid_test_get_page(&cmd);
	if (IS_ERR(page))
		return PTR_ERR(page);

	cmd.out_refcount = 0;
	cmd.out_pins = 0;
	cmd.out_order = 0;
	cmd.out_flags = 0;
	cmd.out_phys = cmd.flags & IOASID_TEST_PAGE_BY_PHYS ?
		       cmd.addr & PAGE_MASK : 0;
	if (!page) {
		cmd.out_flags = IOASID_TEST_PAGE_FREE;
		return copy_to_user(uarg, &cmd, sizeof(cmd)) ? -EFAULT : 0;
	}
	folio = page_folio(page);
	refs = folio_ref_count(folio) - 1;
	cmd.out_refcount = refs;
	cmd.out_pins = folio_test_large(folio) ?
		       atomic_read(&folio->_pincount) :
		       refs / GUP_PIN_COUNTING_BIAS;
	cmd.out_phys = page_to_phys(page);
	cmd.out_order = folio_order(folio);
	if (folio_test_anon(folio))
		cmd.out_flags |= IOASID_TEST_PAGE_ANON;
	if (folio_test_hugetlb(folio))
		cmd.out_flags |= IOASID_TEST_PAGE_HUGETLB;
	if (is_zero_page(page))
		cmd.out_flags |= IOASID_TEST_PAGE_ZERO;
	folio_put(folio);
	return copy_to_user(uarg, &cmd, sizeof(cmd)) ? -EFAULT : 0;
}

static long ioasid_test_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	switch (cmd) {
	case IOASID_TEST_IOVA_RW:
		return ioasid_test_iova_rw_ioctl((void __user *)arg);
	case IOASID_TEST_PIN:
		return ioasid_test_pin_ioctl((void __user *)arg);
	case IOASID_TEST_FLUSH_COUNT:
		return ioasid_test_flush_count_ioctl((void __user *)arg);
	case IOASID_TEST_PAGE_INFO:
		return ioasid_test_page_info_ioctl((void __user *)arg);
	case IOASID_TEST_WBINVD:
		return ioasid_test_wbinvd_ioctl((void __user *)arg);
	case IOASID_TEST_MOCK:
		return ioasid_test_mock_ioctl(filp->private_data,
					      (void __user *)arg);
	case IOASID_TEST_ACCESS:
		return ioasid_test_access_ioctl(filp->private_data,
						(void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static int ioasid_test_open(struct inode *inode, struct file *filp)
{
	struct ioasid_test_state *st = kzalloc(sizeof(*st), GFP_KERNEL);

	if (!st)
		return -ENOMEM;
	mutex_init(&st->lock);
	xa_init_flags(&st->mocks, XA_FLAGS_ALLOC);
	xa_init_flags(&st->accesses, XA_FLAGS_ALLOC);
	filp->private_data = st;
	return 0;
}

static int ioasid_test_release(struct inode *inode, struct file *filp)
{
	struct ioasid_test_state *st = filp->private_data;

	/* Accesses first: a mock's teardown never depends on them. */
	ioasid_test_access_release(st);
	ioasid_test_mock_release(st);
	xa_destroy(&st->accesses);
	xa_destroy(&st->mocks);
	mutex_destroy(&st->lock);
	kfree(st);
	return 0;
}

static const struct file_operations ioasid_test_fops = {
	.owner = THIS_MODULE,
	.open = ioasid_test_open,
	.release = ioasid_test_release,
	.unlocked_ioctl = ioasid_test_ioctl,
};

static struct miscdevice ioasid_test_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ioasid_test",
	.fops = &ioasid_test_fops,
	.mode = 0600,
};

static int __init ioasid_test_init(void)
{
	int rc = ioasid_mock_iommu_init();

	if (rc)
		return rc;
	rc = misc_register(&ioasid_test_dev);
	if (rc)
		ioasid_mock_iommu_exit();
	return rc;
}

static void __exit ioasid_test_exit(void)
{
	misc_deregister(&ioasid_test_dev);
	ioasid_mock_iommu_exit();
}

module_init(ioasid_test_init);
module_exit(ioasid_test_exit);

MODULE_IMPORT_NS(IOASID);
MODULE_IMPORT_NS(IOASID_TEST);
MODULE_DESCRIPTION("ioasid test hooks (never for production)");
MODULE_LICENSE("GPL");
