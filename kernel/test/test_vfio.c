// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid_test_vfio.ko: one emulated-IOMMU VFIO device for the selftests,
 * registered as mdev drivers register theirs
 * (vfio_register_emulated_iommu_dev()), so its group appears as
 * /dev/vfio/N and its container's IOMMU driver serves its vfio_pin_pages()
 * and vfio_dma_rw(). User space drives it through its device fd
 * (ioasid_test_vfio_uapi.h). It uses VFIO only, never ioasid, so the same
 * test runs against vfio_iommu_type1 and ioasid-vfio. Test only.
 *
 * Locking: tv->lock protects the pins and the dma_unmap record; it is
 * taken in the dma_unmap callback, where the device unpins every pin the
 * range overlaps (the rule for emulated devices: unpin before the callback
 * returns), and never held across vfio_pin_pages() or
 * vfio_unpin_pages(): type1 takes its device list lock under the lock those
 * take and calls dma_unmap with it held, so pins leave the list under
 * tv->lock and are unpinned after it is dropped (ioasid's order would
 * allow either).
 */
#define pr_fmt(fmt) "ioasid_test_vfio: " fmt

#include <linux/device.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "ioasid_test_vfio_uapi.h"

#define TV_RW_MAX (4 * PAGE_SIZE)

/**
 * struct tv_pin - one vfio_pin_pages() the device holds
 * @node: in tv_dev.pins
 * @iova: first IOVA, page aligned
 * @npage: pages
 * @pages: what vfio_pin_pages() returned
 */
struct tv_pin {
	struct list_head node;
	u64 iova;
	int npage;
	struct page *pages[] __counted_by(npage);
};

/**
 * struct tv_dev - the test device
 * @vdev: its VFIO device
 * @lock: see the top of this file
 * @pins: struct tv_pin
 * @unmaps: dma_unmap callbacks since the last reset
 * @first: lowest IOVA a callback named
 * @last: highest IOVA a callback named
 */
struct tv_dev {
	struct vfio_device vdev;
	struct mutex lock; /* see above */
	struct list_head pins;
	u64 unmaps;
	u64 first;
	u64 last;
};

static struct platform_device *tv_pdev;

/* Unpin what was taken off t->pins; t->lock is not held (see the top). */
static void tv_unpin_list(struct tv_dev *t, struct list_head *gone)
{
	struct tv_pin *pin, *next;

	list_for_each_entry_safe(pin, next, gone, node) {
		list_del(&pin->node);
		vfio_unpin_pages(&t->vdev, pin->iova, pin->npage);
		kfree(pin);
	}
}

static void tv_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	struct tv_dev *t = container_of(vdev, struct tv_dev, vdev);
	u64 last = iova + length - 1;
	struct tv_pin *pin, *next;
	LIST_HEAD(gone);

	mutex_lock(&t->lock);
	t->unmaps++;
	t->first = min(t->first, iova);
	t->last = max(t->last, last);
	list_for_each_entry_safe(pin, next, &t->pins, node)
		if (pin->iova <= last &&
		    pin->iova + (u64)pin->npage * PAGE_SIZE - 1 >= iova)
			list_move_tail(&pin->node, &gone);
	mutex_unlock(&t->lock);
	tv_unpin_list(t, &gone);
}

static void tv_reset(struct tv_dev *t)
{
	t->unmaps = 0;
	t->first = U64_MAX;
	t->last = 0;
}

static void tv_close(struct vfio_device *vdev)
{
	struct tv_dev *t = container_of(vdev, struct tv_dev, vdev);
	LIST_HEAD(gone);

	mutex_lock(&t->lock);
	list_splice_init(&t->pins, &gone);
	tv_reset(t);
	mutex_unlock(&t->lock);
	tv_unpin_list(t, &gone);
}

static struct tv_pin *tv_find(struct tv_dev *t, u64 iova)
{
	struct tv_pin *pin;

	lockdep_assert_held(&t->lock);
	list_for_each_entry(pin, &t->pins, node)
		if (iova >= pin->iova &&
		    iova - pin->iova < (u64)pin->npage * PAGE_SIZE)
			return pin;
	return NULL;
}

static int tv_pin(struct tv_dev *t, struct ioasid_test_vfio_op *op)
{
	int prot = IOMMU_READ, rc;
	struct tv_pin *pin;

	if (!op->length || op->length > VFIO_PIN_PAGES_MAX_ENTRIES)
		return -EINVAL;
	if (op->flags & IOASID_TEST_VFIO_WRITE)
		prot |= IOMMU_WRITE;
	pin = kzalloc(struct_size(pin, pages, op->length), GFP_KERNEL);
	if (!pin)
		return -ENOMEM;
	pin->npage = op->length;
	pin->iova = ALIGN_DOWN(op->iova, PAGE_SIZE);
	/*
	 * Not under t->lock: vfio_iommu_type1 calls dma_unmap with its
	 * device list locked, which it takes under the lock its pin takes
	 * (lockdep: t->lock -> iommu->lock -> device_list_lock -> t->lock).
	 * The selftests pin from one thread, never racing an unmap.
	 */
	rc = vfio_pin_pages(&t->vdev, pin->iova, pin->npage, prot, pin->pages);
	op->out_pin_rc = rc;
	if (rc == pin->npage) {
		mutex_lock(&t->lock);
		list_add_tail(&pin->node, &t->pins);
		mutex_unlock(&t->lock);
		rc = 0;
	} else if (rc >= 0) {
		/* Fewer than asked: give them back, report it. */
		if (rc)
			vfio_unpin_pages(&t->vdev, pin->iova, rc);
		rc = -EIO;
	}
	if (rc)
		kfree(pin);
	return rc;
}

static int tv_read_pin(struct tv_dev *t, struct ioasid_test_vfio_op *op)
{
	u64 off, done = 0;
	struct tv_pin *pin;
	void *buf;
	int rc = 0;

	if (!op->length || op->length > TV_RW_MAX)
		return -EINVAL;
	buf = kzalloc(op->length, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mutex_lock(&t->lock);
	pin = tv_find(t, op->iova);
	if (!pin || op->iova + op->length - pin->iova >
		    (u64)pin->npage * PAGE_SIZE) {
		rc = -ENOENT;
		goto out;
	}
	off = op->iova - pin->iova;
	while (done < op->length) {
		struct page *page = pin->pages[(off + done) >> PAGE_SHIFT];
		u64 in = (off + done) & ~PAGE_MASK;
		u64 n = min_t(u64, PAGE_SIZE - in, op->length - done);

		memcpy_from_page(buf + done, page, in, n);
		done += n;
	}
out:
	mutex_unlock(&t->lock);
	if (!rc && copy_to_user(u64_to_user_ptr(op->uptr), buf, op->length))
		rc = -EFAULT;
	kfree(buf);
	return rc;
}

static int tv_rw(struct tv_dev *t, struct ioasid_test_vfio_op *op)
{
	bool write = op->flags & IOASID_TEST_VFIO_WRITE;
	void *buf;
	int rc;

	if (!op->length || op->length > TV_RW_MAX)
		return -EINVAL;
	buf = kzalloc(op->length, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (write && copy_from_user(buf, u64_to_user_ptr(op->uptr),
				    op->length)) {
		rc = -EFAULT;
		goto out;
	}
	rc = vfio_dma_rw(&t->vdev, op->iova, buf, op->length, write);
	if (!rc && !write &&
	    copy_to_user(u64_to_user_ptr(op->uptr), buf, op->length))
		rc = -EFAULT;
out:
	kfree(buf);
	return rc;
}

static long tv_ioctl(struct vfio_device *vdev, unsigned int cmd,
		     unsigned long arg)
{
	struct tv_dev *t = container_of(vdev, struct tv_dev, vdev);
	struct ioasid_test_vfio_op __user *uop = (void __user *)arg;
	struct ioasid_test_vfio_op op;
	struct tv_pin *pin;
	LIST_HEAD(gone);
	u32 size;
	int rc;

	if (cmd != IOASID_TEST_VFIO_OP)
		return -ENOTTY;
	if (get_user(size, &uop->size))
		return -EFAULT;
	if (size < sizeof(op))
		return -EINVAL;
	rc = copy_struct_from_user(&op, sizeof(op), uop, size);
	if (rc)
		return rc;
	if (op.__reserved ||
	    op.flags & ~(IOASID_TEST_VFIO_WRITE | IOASID_TEST_VFIO_RESET))
		return -EINVAL;

	switch (op.op) {
	case IOASID_TEST_VFIO_PIN:
		rc = tv_pin(t, &op);
		break;
	case IOASID_TEST_VFIO_UNPIN:
		mutex_lock(&t->lock);
		pin = tv_find(t, op.iova);
		if (pin && pin->iova == op.iova)
			list_move(&pin->node, &gone);
		else
			rc = -ENOENT;
		mutex_unlock(&t->lock);
		tv_unpin_list(t, &gone);
		break;
	case IOASID_TEST_VFIO_READ_PIN:
		rc = tv_read_pin(t, &op);
		break;
	case IOASID_TEST_VFIO_RW:
		rc = tv_rw(t, &op);
		break;
	case IOASID_TEST_VFIO_STATUS:
		mutex_lock(&t->lock);
		op.out_unmaps = t->unmaps;
		op.out_unmap_first = t->first;
		op.out_unmap_last = t->last;
		op.out_pins = 0;
		op.out_pinned_pages = 0;
		list_for_each_entry(pin, &t->pins, node) {
			op.out_pins++;
			op.out_pinned_pages += pin->npage;
		}
		if (op.flags & IOASID_TEST_VFIO_RESET)
			tv_reset(t);
		mutex_unlock(&t->lock);
		break;
	default:
		return -EINVAL;
	}
	/* The out fields also after a failed pin: what VFIO answered. */
	if (copy_to_user(uop, &op, sizeof(op)))
		return -EFAULT;
	return rc;
}

static int tv_init_dev(struct vfio_device *vdev)
{
	struct tv_dev *t = container_of(vdev, struct tv_dev, vdev);

	mutex_init(&t->lock);
	INIT_LIST_HEAD(&t->pins);
	tv_reset(t);
	return 0;
}

static void tv_release_dev(struct vfio_device *vdev)
{
	struct tv_dev *t = container_of(vdev, struct tv_dev, vdev);

	mutex_destroy(&t->lock);
}

static const struct vfio_device_ops tv_ops = {
	.name = IOASID_TEST_VFIO_NAME,
	.init = tv_init_dev,
	.release = tv_release_dev,
	.close_device = tv_close,
	.ioctl = tv_ioctl,
	.dma_unmap = tv_dma_unmap,
#if IS_ENABLED(CONFIG_IOMMUFD)
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
#endif
};

/* VFIO needs the device bound to a driver (it holds the driver's module). */
static int tv_probe(struct platform_device *pdev)
{
	struct tv_dev *t;
	int rc;

	t = vfio_alloc_device(tv_dev, vdev, &pdev->dev, &tv_ops);
	if (IS_ERR(t))
		return PTR_ERR(t);
	rc = vfio_register_emulated_iommu_dev(&t->vdev);
	if (rc) {
		vfio_put_device(&t->vdev);
		return rc;
	}
	platform_set_drvdata(pdev, t);
	return 0;
}

static void tv_remove(struct platform_device *pdev)
{
	struct tv_dev *t = platform_get_drvdata(pdev);

	vfio_unregister_group_dev(&t->vdev);
	vfio_put_device(&t->vdev);
}

static struct platform_driver tv_driver = {
	.probe = tv_probe,
	.remove = tv_remove,
	.driver = { .name = IOASID_TEST_VFIO_NAME },
};

static int __init tv_init(void)
{
	int rc;

	rc = platform_driver_register(&tv_driver);
	if (rc)
		return rc;
	tv_pdev = platform_device_register_simple(IOASID_TEST_VFIO_NAME, -1,
						  NULL, 0);
	if (IS_ERR(tv_pdev)) {
		platform_driver_unregister(&tv_driver);
		return PTR_ERR(tv_pdev);
	}
	/* Bound and registered, or the tests find no group. */
	if (!platform_get_drvdata(tv_pdev)) {
		platform_device_unregister(tv_pdev);
		platform_driver_unregister(&tv_driver);
		return -ENODEV;
	}
	return 0;
}

static void __exit tv_exit(void)
{
	platform_device_unregister(tv_pdev);
	platform_driver_unregister(&tv_driver);
}

module_init(tv_init);
module_exit(tv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ioasid selftests: an emulated-IOMMU VFIO device (test only)");
