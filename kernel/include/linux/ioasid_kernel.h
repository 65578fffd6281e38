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

bool ioasid_file_is_ioasid(struct file *filp);

/*
 * Binding drivers (ioasid-pci): a driver with driver_managed_dma binds its
 * device to an ioasid fd, then attaches it as user space asks. See
 * kernel/device.c for the contract of each call.
 */
struct ioasid_device *ioasid_device_bind(struct file *ioasid_file,
					 struct device *dev, u32 dev_needs);
void ioasid_device_unbind(struct ioasid_device *idev);
u32 ioasid_device_id(struct ioasid_device *idev);
int ioasid_device_attach(struct ioasid_device *idev, u32 ioas_id, u32 flags,
			 u32 pasid);
int ioasid_device_detach(struct ioasid_device *idev, u32 flags, u32 pasid);
int ioasid_device_get_info(struct ioasid_device *idev, struct device *dev,
			   struct ioasid_device_info *info);

/* Test-only (namespace IOASID_TEST): see kernel/ioas.c. */
int ioasid_test_iova_rw(struct file *filp, u32 ioas_id, u64 iova, void *buf,
			u64 length, bool write, phys_addr_t *phys);
/* Test-only: see kernel/flush.c. */
u64 ioasid_test_flush_count(unsigned int cpu);

#endif /* __LINUX_IOASID_KERNEL_H */
