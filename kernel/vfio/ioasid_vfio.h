/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioasid-vfio: ioasid as a VFIO IOMMU driver (VFIO_TYPE1v2_IOMMU
 * containers). See docs/vfio.md.
 *
 * Every container is an IOAS in a context of its own (ioasid_kernel_file()),
 * so the ioasid core does the pinning, accounting, domains and decisions;
 * this module translates the type1 uAPI and binds the devices of each
 * group to that context with IOASID_BIND_EXTERNAL_OWNER (VFIO owns the
 * group's DMA).
 *
 * Locking: container->lock serializes everything a container does (maps,
 * unmaps, attaches, GET_INFO) and protects its lists; VFIO calls
 * attach_group/detach_group with its own group and container locks held,
 * and the ioasid core's group and IOAS locks nest inside container->lock.
 * The quarantine list has its own lock, taken inside container->lock.
 */
#ifndef __IOASID_VFIO_H
#define __IOASID_VFIO_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

/* drivers/vfio/vfio.h of the same kernel version (see kernel/Kbuild) */
#include "vfio.h"

struct device;
struct file;
struct iommu_group;
struct kvm;
struct ioasid_device;
struct ioasid_access;
struct page;
struct vfio_device;

/**
 * struct ioasid_vfio_dev - one device of an attached group
 * @node: in ioasid_vfio_group.devs
 * @dev: the device (referenced)
 * @idev: its binding in the container's ioasid context
 */
struct ioasid_vfio_dev {
	struct list_head node;
	struct device *dev;
	struct ioasid_device *idev;
};

/**
 * struct ioasid_vfio_group - an IOMMU group attached to a container
 * @node: in ioasid_vfio_container.groups
 * @group: the IOMMU group (VFIO holds it while attached)
 * @devs: struct ioasid_vfio_dev, every device of the group
 * @enforce_cc: the policies' decision made the group's domain enforce
 *	snooping
 * @pgsize_bitmap: page sizes of the group's domain
 * @aperture_start: first IOVA the domain translates
 * @aperture_last: last IOVA the domain translates
 */
struct ioasid_vfio_group {
	struct list_head node;
	struct iommu_group *group;
	struct list_head devs;
	bool enforce_cc;
	u64 pgsize_bitmap;
	u64 aperture_start;
	u64 aperture_last;
};

/**
 * struct ioasid_vfio_emu - a container's emulated-IOMMU devices (emulated.c)
 * @devs_lock: protects @devs; held while dma_unmap callbacks run
 * @devs: registered devices with a dma_unmap callback
 * @groups: emulated groups attached (under the container's lock)
 * @access: the container's access on its IOAS, or NULL (changed under the
 *	container's lock; read without it by pins and copies)
 * @deny: the errno a policy denied an attached emulated group with, or 0
 */
struct ioasid_vfio_emu {
	struct mutex devs_lock; /* see above */
	struct list_head devs;
	struct list_head groups;
	struct ioasid_access *access;
	int deny;
};

/**
 * struct ioasid_vfio_container - what VFIO calls iommu_data
 * @lock: see the top of this file
 * @ioasid_file: the ioasid context the IOAS lives in (private, made at open)
 * @ioas_id: the container's IOAS in @ioasid_file
 * @joined: @ioas_id belongs to a user's /dev/ioasid fd
 *	(IOASID_VFIO_JOIN_IOAS): release leaves it alone
 * @dma_entry_limit: mappings allowed (the module parameter at open, as
 *	vfio_iommu_type1 does)
 * @groups: struct ioasid_vfio_group
 * @nr_noncoherent: groups attached through a domain that does not enforce
 *	snooping (the KVM contract: KVM is told while this is non-zero)
 * @kvms: struct ioasid_vfio_kvm, the KVMs of the container's open
 *	devices (kvm.c)
 * @nr_devices: VFIO devices registered (register_device)
 * @emu: emulated-IOMMU devices (emulated.c)
 */
struct ioasid_vfio_container {
	struct mutex lock; /* see above */
	struct file *ioasid_file;
	u32 ioas_id;
	bool joined;
	u32 dma_entry_limit;
	struct list_head groups;
	unsigned int nr_noncoherent;
	struct list_head kvms;
	unsigned int nr_devices;
	struct ioasid_vfio_emu emu;
};

/* group.c */
int ioasid_vfio_attach_group(void *iommu_data, struct iommu_group *group,
			     enum vfio_group_type type);
void ioasid_vfio_detach_group(void *iommu_data, struct iommu_group *group);
void ioasid_vfio_quarantine_reap(bool all);
int ioasid_vfio_move_groups(struct ioasid_vfio_container *c,
			    struct file *file, u32 ioas_id);
extern bool ioasid_vfio_allow_unsafe_interrupts;

/* kvm.c: the KVM contract */
void ioasid_vfio_kvm_register(struct ioasid_vfio_container *c,
			      struct vfio_device *vdev);
void ioasid_vfio_kvm_unregister(struct ioasid_vfio_container *c,
				struct vfio_device *vdev);
void ioasid_vfio_kvm_sync(struct ioasid_vfio_container *c,
			  struct file *ioasid_file);
void ioasid_vfio_kvm_release(struct ioasid_vfio_container *c);

/* container.c */
long ioasid_vfio_ioctl(void *iommu_data, unsigned int cmd, unsigned long arg);
extern bool ioasid_vfio_serve_type1;
extern unsigned int ioasid_vfio_dma_entry_limit;

/* emulated.c */
void ioasid_vfio_emu_init(struct ioasid_vfio_container *c);
void ioasid_vfio_emu_release(struct ioasid_vfio_container *c);
int ioasid_vfio_emu_attach(struct ioasid_vfio_container *c,
			   struct iommu_group *group);
bool ioasid_vfio_emu_detach(struct ioasid_vfio_container *c,
			    struct iommu_group *group);
bool ioasid_vfio_emu_busy(struct ioasid_vfio_container *c);
void ioasid_vfio_emu_register(struct ioasid_vfio_container *c,
			      struct vfio_device *vdev);
void ioasid_vfio_emu_unregister(struct ioasid_vfio_container *c,
				struct vfio_device *vdev);
int ioasid_vfio_pin_pages(void *iommu_data, struct iommu_group *group,
			  dma_addr_t user_iova, int npage, int prot,
			  struct page **pages);
void ioasid_vfio_unpin_pages(void *iommu_data, dma_addr_t user_iova,
			     int npage);
int ioasid_vfio_dma_rw(void *iommu_data, dma_addr_t user_iova, void *data,
		       size_t count, bool write);

#endif /* __IOASID_VFIO_H */
