// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM contract for VFIO devices: a VMM gives VFIO its KVM (the
 * kvm-vfio device), and VFIO hands it to each device at its first open
 * (vfio_device->kvm, set before register_device() is called, held until
 * after unregister_device()). kvm-vfio registers non-coherent DMA with
 * KVM only from the device's IOMMU capability
 * (vfio_group_enforced_coherent()); where the policies let a group skip
 * snooping on an IOMMU that could enforce it, KVM would believe the DMA
 * coherent and turn the guest's WBINVD into a no-op. So the container
 * tells KVM itself (linux/ioasid_kvm.h, kernel/kvm_link.c): once per
 * container and KVM, while one of the container's groups is attached
 * through a domain that does not enforce snooping and the container's
 * ioasid context holds the cache-flush grant the policies made with that
 * attach. Without the grant the link is refused (and recorded).
 *
 * Where the IOMMU cannot enforce snooping at all, kvm-vfio registers too:
 * KVM counts both, and a refusal here cannot take kvm-vfio's back.
 *
 * Every entry of c->kvms counts the open devices of the container that
 * carry its KVM; the entry (and its registration) goes with the last.
 * Everything runs under c->lock, except dropping the VM reference.
 */
#define pr_fmt(fmt) "ioasid-vfio: " fmt

#include <linux/err.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/ioasid_kvm.h>

#include "ioasid_vfio.h"

/**
 * struct ioasid_vfio_kvm - one KVM of a container's open devices
 * @node: in ioasid_vfio_container.kvms
 * @kvm: the VM, as VFIO gave it (the key; @link holds the reference)
 * @link: the registration with it
 * @nr_devices: open devices of the container with this KVM
 */
struct ioasid_vfio_kvm {
	struct list_head node;
	struct kvm *kvm;
	struct ioasid_kvm *link;
	unsigned int nr_devices;
};

static struct ioasid_vfio_kvm *find_kvm(struct ioasid_vfio_container *c,
					struct kvm *kvm)
{
	struct ioasid_vfio_kvm *vk;

	lockdep_assert_held(&c->lock);
	list_for_each_entry(vk, &c->kvms, node)
		if (vk->kvm == kvm)
			return vk;
	return NULL;
}

/**
 * ioasid_vfio_kvm_register - a device of the container was opened
 * @c: the container
 * @vdev: the device; its @kvm is the VMM's, or NULL
 *
 * The first device with a KVM links the container to it; KVM is told at
 * once if the container already has non-coherent DMA and a grant.
 */
void ioasid_vfio_kvm_register(struct ioasid_vfio_container *c,
			      struct vfio_device *vdev)
{
	struct ioasid_vfio_kvm *vk;
	struct ioasid_kvm *link;

	if (!vdev->kvm)
		return;
	mutex_lock(&c->lock);
	vk = find_kvm(c, vdev->kvm);
	if (!vk) {
		vk = kzalloc(sizeof(*vk), GFP_KERNEL);
		link = vk ? ioasid_kvm_get(vdev->kvm) : ERR_PTR(-ENOMEM);
		if (IS_ERR(link)) {
			/* register_device cannot fail: KVM stays untold. */
			dev_warn(vdev->dev,
				 "ioasid-vfio: KVM not linked (%ld): a guest WBINVD may be ignored\n",
				 PTR_ERR(link));
			kfree(vk);
			mutex_unlock(&c->lock);
			return;
		}
		vk->kvm = vdev->kvm;
		vk->link = link;
		list_add_tail(&vk->node, &c->kvms);
	}
	vk->nr_devices++;
	ioasid_kvm_sync(vk->link, c->ioasid_file, c->nr_noncoherent, vdev->dev);
	mutex_unlock(&c->lock);
}

/**
 * ioasid_vfio_kvm_unregister - a device of the container was closed
 * @c: the container
 * @vdev: the device (its @kvm still set)
 *
 * The last device with a KVM takes the container's registration back and
 * drops the VM.
 */
void ioasid_vfio_kvm_unregister(struct ioasid_vfio_container *c,
				struct vfio_device *vdev)
{
	struct ioasid_vfio_kvm *vk;

	if (!vdev->kvm)
		return;
	mutex_lock(&c->lock);
	vk = find_kvm(c, vdev->kvm);
	if (!vk || --vk->nr_devices) {
		mutex_unlock(&c->lock);
		return;
	}
	list_del(&vk->node);
	ioasid_kvm_sync(vk->link, c->ioasid_file, false, vdev->dev);
	mutex_unlock(&c->lock);
	ioasid_kvm_put(vk->link);
	kfree(vk);
}

/**
 * ioasid_vfio_kvm_sync - the container's non-coherent groups changed
 * @c: the container, locked
 * @ioasid_file: the ioasid context its groups are attached in now (a
 *	join moves them before the container switches to it)
 */
void ioasid_vfio_kvm_sync(struct ioasid_vfio_container *c,
			  struct file *ioasid_file)
{
	struct ioasid_vfio_kvm *vk;

	lockdep_assert_held(&c->lock);
	list_for_each_entry(vk, &c->kvms, node)
		ioasid_kvm_sync(vk->link, ioasid_file, c->nr_noncoherent, NULL);
}

/**
 * ioasid_vfio_kvm_release - the container goes: drop what is left
 * @c: the container, unlocked; VFIO closed its devices before, so this
 *	only acts if it did not
 */
void ioasid_vfio_kvm_release(struct ioasid_vfio_container *c)
{
	struct ioasid_vfio_kvm *vk, *next;
	LIST_HEAD(drop);

	mutex_lock(&c->lock);
	list_for_each_entry_safe(vk, next, &c->kvms, node) {
		ioasid_kvm_sync(vk->link, c->ioasid_file, false, NULL);
		list_move(&vk->node, &drop);
	}
	mutex_unlock(&c->lock);
	list_for_each_entry_safe(vk, next, &drop, node) {
		ioasid_kvm_put(vk->link);
		kfree(vk);
	}
}
