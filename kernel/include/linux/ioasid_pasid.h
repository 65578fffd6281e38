/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioasid per-PASID kernel contexts: a kernel driver runs several client
 * contexts on one physical device, one PASID each, every context with its
 * own IO address space, while the device's own (RID) traffic stays on the
 * domain the kernel gave it.
 *
 * The driver opens its device once (ioasid_kdev_open()), which binds it to
 * a private ioasid context without taking DMA ownership. Each
 * ioasid_pasid_ctx_create() makes an IOAS and attaches it at a PASID
 * through the policies: the PASID allowance a policy grants to the driver
 * is enforced. The driver then maps its clients' memory into each context.
 */
#ifndef __LINUX_IOASID_PASID_H
#define __LINUX_IOASID_PASID_H

#include <linux/types.h>

struct device;
struct ioasid_kdev;
struct ioasid_pasid_ctx;
struct ioasid_policy_decision;

/**
 * struct ioasid_kdev_desc - how a kernel-owned device presents to policies
 * @dev_needs: enum ioasid_dev_needs (IOASID_NEED_PASID is implied)
 * @mock: the device is a test-module mock (accepted, not reported to
 *	policies)
 * @vendor: PCI-style vendor id, for a device that is not PCI
 * @device: device id, for a device that is not PCI
 */
struct ioasid_kdev_desc {
	u32 dev_needs;
	bool mock;
	u16 vendor;
	u16 device;
};

struct ioasid_kdev *ioasid_kdev_open(struct device *dev,
				     const struct ioasid_kdev_desc *desc);
void ioasid_kdev_close(struct ioasid_kdev *kdev);

struct ioasid_pasid_ctx *
ioasid_pasid_ctx_create(struct ioasid_kdev *kdev, u32 pasid,
			struct ioasid_policy_decision *decision);
void ioasid_pasid_ctx_destroy(struct ioasid_pasid_ctx *pctx);
int ioasid_pasid_ctx_map_user(struct ioasid_pasid_ctx *pctx, u64 iova,
			      unsigned long uaddr, u64 length, u32 map_flags);
int ioasid_pasid_ctx_unmap(struct ioasid_pasid_ctx *pctx, u64 iova,
			   u64 length);

#endif /* __LINUX_IOASID_PASID_H */
