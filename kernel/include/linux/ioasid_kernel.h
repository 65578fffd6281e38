/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioasid's in-kernel interface for other modules.
 */
#ifndef __LINUX_IOASID_KERNEL_H
#define __LINUX_IOASID_KERNEL_H

#include <linux/types.h>

struct file;
struct device;
struct ioasid_device;
struct ioasid_device_info;
struct ioasid_policy_decision;

bool ioasid_file_is_ioasid(struct file *filp);
struct file *ioasid_kernel_file(void);

/*
 * Extensible ioctl structs (the rule is in linux/ioasid.h): every ioctl of
 * ioasid, ioasid-pci and the test module copies through these. See
 * kernel/main.c.
 */
int ioasid_copy_struct_from_user(void *dst, size_t ksize, size_t minsz,
				 const void __user *uarg, u32 *usize);
int ioasid_copy_struct_to_user(void __user *uarg, u32 usize, const void *src,
			       size_t ksize);

/*
 * Binding drivers (ioasid-pci): a driver with driver_managed_dma binds its
 * device to an ioasid fd, then attaches it as user space asks. See
 * kernel/device.c for the contract of each call.
 */
/**
 * enum ioasid_bind_flags - how a device is bound
 * @IOASID_BIND_KERNEL_OWNED: a kernel driver keeps using the device: DMA
 *	ownership is not claimed, the RID stays on the kernel's domain and
 *	only PASID attachments are allowed (see linux/ioasid_pasid.h)
 * @IOASID_BIND_MOCK: a test-module mock device; accepted, not reported to
 *	policies (nothing read the request flag it once set)
 * @IOASID_BIND_EXTERNAL_OWNER: the caller already holds DMA ownership of
 *	the device's whole IOMMU group (the VFIO backend: VFIO claimed it for
 *	its group); the bind does not claim or release it, RID attachments
 *	are allowed. The group must be claimed (else -EINVAL).
 */
enum ioasid_bind_flags {
	IOASID_BIND_KERNEL_OWNED = 1 << 0,
	IOASID_BIND_MOCK = 1 << 1,
	IOASID_BIND_EXTERNAL_OWNER = 1 << 2,
};

/**
 * struct ioasid_bind_desc - how a binding driver presents its device
 * @dev_needs: enum ioasid_dev_needs the driver declares
 * @flags: enum ioasid_bind_flags
 * @vendor: vendor id of a device that is not PCI (PCI ids are read from
 *	the device itself)
 * @device: device id, likewise
 * @subvendor: subsystem vendor id, likewise
 * @subdevice: subsystem device id, likewise
 * @class: class code, likewise
 */
struct ioasid_bind_desc {
	u32 dev_needs;
	u32 flags;
	u16 vendor;
	u16 device;
	u16 subvendor;
	u16 subdevice;
	u32 class;
};

struct ioasid_device *ioasid_device_bind(struct file *ioasid_file,
					 struct device *dev, u32 dev_needs);
struct ioasid_device *
ioasid_device_bind_desc(struct file *ioasid_file, struct device *dev,
			const struct ioasid_bind_desc *desc);
void ioasid_device_unbind(struct ioasid_device *idev);
u32 ioasid_device_id(struct ioasid_device *idev);
int ioasid_device_attach(struct ioasid_device *idev, u32 ioas_id, u32 flags,
			 u32 pasid);
int ioasid_device_attach_decision(struct ioasid_device *idev, u32 ioas_id,
				  u32 flags, u32 pasid,
				  struct ioasid_policy_decision *decision);
int ioasid_device_detach(struct ioasid_device *idev, u32 flags, u32 pasid);
int ioasid_device_get_info(struct ioasid_device *idev, struct device *dev,
			   struct ioasid_device_info *info);

/* Test-only (namespace IOASID_TEST): see kernel/ioas.c. */
int ioasid_test_iova_rw(struct file *filp, u32 ioas_id, u64 iova, void *buf,
			u64 length, bool write, phys_addr_t *phys);
/* Test-only: see kernel/flush.c. */
u64 ioasid_test_flush_count(unsigned int cpu);

#endif /* __LINUX_IOASID_KERNEL_H */
