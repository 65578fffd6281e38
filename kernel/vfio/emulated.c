// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated-IOMMU devices (mdev-like drivers registered with
 * vfio_register_emulated_iommu_dev()) in an ioasid-vfio container.
 *
 * Such a device has no IOMMU of its own: its driver reaches the
 * container's IO address space by IOVA with vfio_pin_pages() and
 * vfio_dma_rw(). Here both go through ioasid's in-kernel access API
 * (linux/ioasid_access.h): the container has one access on its IOAS,
 * attached when the first emulated group joins, so the policies decide
 * it as a software device (driver name, the caller's uid and cgroup) and
 * the pins are counted in /sys/kernel/ioasid/stats (accesses,
 * access_pins).
 *
 * Pins are kept one page each, as vfio_iommu_type1 keeps them: a driver
 * unpins by IOVA and page count, not by the ranges it pinned. When an
 * unmap removes a pinned page, the access API calls us back for that page
 * before the unmap returns; we call every registered device's
 * ops->dma_unmap (as type1's vfio_notify_dma_unmap()), and the driver
 * unpins from there. A driver that does not is reported by the access API
 * (a counted unpin violation) and the unmap completes anyway.
 *
 * A group the policies deny is still accepted by attach_group (failing
 * would make vfio_ioctl_set_iommu() try vfio_iommu_type1, which serves
 * emulated groups without asking anyone): the container then refuses
 * every pin and copy with the policy's errno, for as long as that group
 * is attached.
 *
 * Locking: @c->lock (attach, detach, the access pointer's changes) ->
 * ioasid core locks -> the access API's notification lock -> @devs_lock
 * (held while dma_unmap callbacks run, as type1's device_list_lock) ->
 * the driver's own locks -> the access's locks. pin_pages, unpin_pages
 * and dma_rw are called under the driver's locks and take none of ours:
 * the access cannot go away under them, since VFIO keeps a device's group
 * in its container while the device is open.
 */
#define pr_fmt(fmt) "ioasid-vfio: " fmt

#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/ioasid_kernel.h>
#include <linux/ioasid_access.h>

#include "ioasid_vfio.h"

/**
 * struct emu_group - an emulated group attached to a container
 * @node: in ioasid_vfio_emu.groups
 * @group: the group
 * @deny: 0, or the errno the policies refused it with
 */
struct emu_group {
	struct list_head node;
	struct iommu_group *group;
	int deny;
};

/**
 * struct emu_dev - a registered device with a dma_unmap callback
 * @node: in ioasid_vfio_emu.devs
 * @vdev: the device
 */
struct emu_dev {
	struct list_head node;
	struct vfio_device *vdev;
};

/**
 * ioasid_vfio_emu_init - set up a container's emulated-device state
 * @c: the container being opened
 */
void ioasid_vfio_emu_init(struct ioasid_vfio_container *c)
{
	mutex_init(&c->emu.devs_lock);
	INIT_LIST_HEAD(&c->emu.devs);
	INIT_LIST_HEAD(&c->emu.groups);
}

/**
 * ioasid_vfio_emu_release - tear down a container's emulated-device state
 * @c: the container being released; VFIO detached every group before
 */
void ioasid_vfio_emu_release(struct ioasid_vfio_container *c)
{
	WARN_ON(!list_empty(&c->emu.groups) || !list_empty(&c->emu.devs) ||
		c->emu.access);
	mutex_destroy(&c->emu.devs_lock);
}

/* Unmapped while pinned: every device unpins what it has there. */
static void emu_unmap(void *data, u64 iova, u64 length)
{
	struct ioasid_vfio_container *c = data;
	struct emu_dev *ed;

	mutex_lock(&c->emu.devs_lock);
	list_for_each_entry(ed, &c->emu.devs, node)
		ed->vdev->ops->dma_unmap(ed->vdev, iova, length);
	mutex_unlock(&c->emu.devs_lock);
}

static const struct ioasid_access_ops emu_access_ops = {
	.unmap = emu_unmap,
};

static int first_dev(struct device *dev, void *data)
{
	struct device **out = data;

	*out = dev;
	return 1;
}

/*
 * An access for @group, described by its first device, attached to the
 * container's IOAS: the policies decide. Returns the access (kept by the
 * caller or destroyed), or an ERR_PTR with the policy's or core's errno.
 */
static struct ioasid_access *emu_access(struct ioasid_vfio_container *c,
					struct iommu_group *group)
{
	struct ioasid_access_desc desc = { .driver = "vfio-emulated" };
	struct ioasid_access *access;
	struct device *dev = NULL;
	int rc;

	iommu_group_for_each_dev(group, &dev, first_dev);
	if (dev && dev->driver)
		desc.driver = dev->driver->name;
	if (dev && dev_is_pci(dev)) {
		struct pci_dev *pdev = to_pci_dev(dev);

		desc.vendor = pdev->vendor;
		desc.device = pdev->device;
		desc.subvendor = pdev->subsystem_vendor;
		desc.subdevice = pdev->subsystem_device;
		desc.class = pdev->class;
	}
	access = ioasid_access_create(c->ioasid_file, &desc, &emu_access_ops,
				      c);
	if (IS_ERR(access))
		return access;
	rc = ioasid_access_attach(access, c->ioas_id, NULL);
	if (rc) {
		ioasid_access_destroy(access);
		return ERR_PTR(rc);
	}
	return access;
}

/* The errno of a denied group still attached, or 0. */
static int emu_deny(struct ioasid_vfio_container *c)
{
	struct emu_group *eg;

	lockdep_assert_held(&c->lock);
	list_for_each_entry(eg, &c->emu.groups, node)
		if (eg->deny)
			return eg->deny;
	return 0;
}

/**
 * ioasid_vfio_emu_attach - an emulated group joins a container
 * @c: the container, locked
 * @group: the group
 *
 * The policies decide the group as a software device (see the top of this
 * file); a denial is kept, not returned.
 *
 * Return: 0, -EINVAL (attached already), -ENOMEM, or the core's errno
 * when the access cannot be made at all.
 */
int ioasid_vfio_emu_attach(struct ioasid_vfio_container *c,
			   struct iommu_group *group)
{
	struct ioasid_access *access;
	struct emu_group *eg;

	lockdep_assert_held(&c->lock);
	list_for_each_entry(eg, &c->emu.groups, node)
		if (eg->group == group)
			return -EINVAL;
	eg = kzalloc(sizeof(*eg), GFP_KERNEL);
	if (!eg)
		return -ENOMEM;
	eg->group = group;
	access = emu_access(c, group);
	if (IS_ERR(access)) {
		eg->deny = PTR_ERR(access);
		/* Out of memory is no decision: the attach fails. */
		if (eg->deny == -ENOMEM) {
			kfree(eg);
			return -ENOMEM;
		}
		pr_info_ratelimited("emulated group %d denied: %d\n",
				    iommu_group_id(group), eg->deny);
	} else if (c->emu.access) {
		/* Decided; the container's access serves every group. */
		ioasid_access_destroy(access);
	} else {
		WRITE_ONCE(c->emu.access, access);
	}
	list_add_tail(&eg->node, &c->emu.groups);
	WRITE_ONCE(c->emu.deny, emu_deny(c));
	return 0;
}

/**
 * ioasid_vfio_emu_detach - an emulated group leaves a container
 * @c: the container, locked
 * @group: the group
 *
 * Return: true if @group was an emulated group of @c (and is gone now).
 */
bool ioasid_vfio_emu_detach(struct ioasid_vfio_container *c,
			    struct iommu_group *group)
{
	struct ioasid_access *access;
	struct emu_group *eg;

	lockdep_assert_held(&c->lock);
	list_for_each_entry(eg, &c->emu.groups, node) {
		if (eg->group != group)
			continue;
		list_del(&eg->node);
		kfree(eg);
		WRITE_ONCE(c->emu.deny, emu_deny(c));
		if (list_empty(&c->emu.groups) && c->emu.access) {
			access = c->emu.access;
			WRITE_ONCE(c->emu.access, NULL);
			/* Pins left by a driver are released (and counted). */
			ioasid_access_destroy(access);
		}
		return true;
	}
	return false;
}

/**
 * ioasid_vfio_emu_busy - may the container's IOAS not change?
 * @c: the container, locked
 *
 * Return: true while an emulated group is attached: its access lives in
 * the container's ioasid context (IOASID_VFIO_JOIN_IOAS is refused).
 */
bool ioasid_vfio_emu_busy(struct ioasid_vfio_container *c)
{
	lockdep_assert_held(&c->lock);
	return !list_empty(&c->emu.groups);
}

/**
 * ioasid_vfio_emu_register - VFIO's register_device: a device was opened
 * @c: the container
 * @vdev: the device; one with a dma_unmap callback is called on unmaps
 */
void ioasid_vfio_emu_register(struct ioasid_vfio_container *c,
			      struct vfio_device *vdev)
{
	struct emu_dev *ed;

	if (!vdev->ops->dma_unmap)
		return;
	/* VFIO's callback cannot fail: a device we cannot list cannot pin. */
	ed = kzalloc(sizeof(*ed), GFP_KERNEL | __GFP_NOFAIL);
	ed->vdev = vdev;
	mutex_lock(&c->emu.devs_lock);
	list_add_tail(&ed->node, &c->emu.devs);
	mutex_unlock(&c->emu.devs_lock);
}

/**
 * ioasid_vfio_emu_unregister - VFIO's unregister_device: a device closed
 * @c: the container
 * @vdev: the device
 */
void ioasid_vfio_emu_unregister(struct ioasid_vfio_container *c,
				struct vfio_device *vdev)
{
	struct emu_dev *ed, *found = NULL;

	mutex_lock(&c->emu.devs_lock);
	list_for_each_entry(ed, &c->emu.devs, node) {
		if (ed->vdev == vdev) {
			found = ed;
			list_del(&ed->node);
			break;
		}
	}
	mutex_unlock(&c->emu.devs_lock);
	kfree(found);
}

/* The access for a pin or copy, or an ERR_PTR as type1 would answer. */
static struct ioasid_access *emu_get(struct ioasid_vfio_container *c,
				     bool pin)
{
	struct ioasid_access *access = READ_ONCE(c->emu.access);
	int deny = READ_ONCE(c->emu.deny);

	if (deny)
		return ERR_PTR(deny);
	/* type1: no emulated group, or a pin with no device to notify. */
	if (!access || (pin && list_empty_careful(&c->emu.devs)))
		return ERR_PTR(-EINVAL);
	return access;
}

/* The access API's errnos as vfio_iommu_type1 answers the same case. */
static int type1_errno(int rc)
{
	switch (rc) {
	case -ENOENT:	/* not mapped */
	case -ENXIO:	/* not attached */
	case -EOVERFLOW:
		return -EINVAL;
	case -EACCES:	/* write to a read-only mapping */
		return -EPERM;
	default:
		return rc;
	}
}

/**
 * ioasid_vfio_pin_pages - VFIO's pin_pages, for vfio_pin_pages()
 * @iommu_data: the container
 * @group: the caller's group
 * @user_iova: first IOVA (its page is pinned; the offset is ignored)
 * @npage: pages
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @pages: filled, one per page
 *
 * Return: @npage, or as vfio_iommu_type1: -EINVAL (not mapped, no device
 * registered), -EPERM (write to a read-only mapping), -ENOMEM, or the
 * policy's errno if an emulated group of the container was denied.
 * Nothing stays pinned on failure.
 */
int ioasid_vfio_pin_pages(void *iommu_data, struct iommu_group *group,
			  dma_addr_t user_iova, int npage, int prot,
			  struct page **pages)
{
	struct ioasid_vfio_container *c = iommu_data;
	unsigned int flags = prot & IOMMU_WRITE ? IOASID_ACCESS_WRITE : 0;
	u64 iova = ALIGN_DOWN(user_iova, PAGE_SIZE);
	struct ioasid_access *access;
	int i, rc = 0;

	if (!pages || npage <= 0)
		return -EINVAL;
	access = emu_get(c, true);
	if (IS_ERR(access))
		return PTR_ERR(access);
	for (i = 0; i < npage; i++) {
		rc = ioasid_access_pin_pages(access, iova + (u64)i * PAGE_SIZE,
					     PAGE_SIZE, &pages[i], flags);
		if (rc)
			break;
	}
	if (!rc)
		return npage;
	while (i--) {
		ioasid_access_unpin_pages(access, iova + (u64)i * PAGE_SIZE,
					  PAGE_SIZE);
		pages[i] = NULL;
	}
	return type1_errno(rc);
}

/**
 * ioasid_vfio_unpin_pages - VFIO's unpin_pages, for vfio_unpin_pages()
 * @iommu_data: the container
 * @user_iova: first IOVA, as pinned
 * @npage: pages
 *
 * Each page drops one pin; unpinning a page that holds none is the
 * driver's bug, reported by the access API.
 */
void ioasid_vfio_unpin_pages(void *iommu_data, dma_addr_t user_iova,
			     int npage)
{
	struct ioasid_vfio_container *c = iommu_data;
	struct ioasid_access *access = READ_ONCE(c->emu.access);
	u64 iova = ALIGN_DOWN(user_iova, PAGE_SIZE);
	int i;

	if (WARN_ON_ONCE(!access))
		return;
	for (i = 0; i < npage; i++)
		ioasid_access_unpin_pages(access, iova + (u64)i * PAGE_SIZE,
					  PAGE_SIZE);
}

/**
 * ioasid_vfio_dma_rw - VFIO's dma_rw, for vfio_dma_rw()
 * @iommu_data: the container
 * @user_iova: first IOVA
 * @data: kernel buffer
 * @count: bytes
 * @write: copy @data into the IO address space, else out of it
 *
 * All or nothing (type1 copies mapping by mapping and may stop midway).
 *
 * Return: 0, or as vfio_iommu_type1: -EINVAL (a byte not mapped), -EPERM
 * (write to a read-only mapping), or the policy's errno if an emulated
 * group of the container was denied.
 */
int ioasid_vfio_dma_rw(void *iommu_data, dma_addr_t user_iova, void *data,
		       size_t count, bool write)
{
	struct ioasid_vfio_container *c = iommu_data;
	struct ioasid_access *access = emu_get(c, true);

	if (IS_ERR(access))
		return PTR_ERR(access);
	return type1_errno(ioasid_access_rw(access, user_iova, data, count,
					    write ? IOASID_ACCESS_WRITE : 0));
}
