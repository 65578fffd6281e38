/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A mock IOMMU and mock devices for the ioasid selftests (ioasid_test.ko).
 *
 * The mock IOMMU registers a real struct iommu_device with the IOMMU core,
 * found through a software fwnode; mock devices are platform devices whose
 * fwspec points at it. The core probes them, gives each its own IOMMU group
 * and lets ioasid claim, attach and PASID-attach them through the same
 * exported calls as real hardware: nothing in ioasid.ko knows they are
 * mocks except the policy request flag their binder sets.
 */
#ifndef __IOASID_TEST_MOCK_IOMMU_H
#define __IOASID_TEST_MOCK_IOMMU_H

#include <linux/types.h>

struct device;
struct ioasid_mock_dev;

/**
 * struct ioasid_mock_config - what a mock device looks like
 * @pasid_bits: PASID width (0: no PASID support, at most IOASID_PASID_BITS)
 * @coherent: the IOMMU can enforce cache coherency for it (snoop control)
 * @alt_driver: bind the platform driver "ioasid-mock-alt" instead of
 *	"ioasid-mock", so policies can tell two drivers apart
 */
struct ioasid_mock_config {
	u32 pasid_bits;
	bool coherent;
	bool alt_driver;
};

int ioasid_mock_iommu_init(void);
void ioasid_mock_iommu_exit(void);

struct ioasid_mock_dev *
ioasid_mock_dev_create(const struct ioasid_mock_config *cfg);
void ioasid_mock_dev_destroy(struct ioasid_mock_dev *mdev);
struct device *ioasid_mock_dev_device(struct ioasid_mock_dev *mdev);

int ioasid_mock_dma(struct ioasid_mock_dev *mdev, u32 pasid, u64 iova,
		    void *buf, size_t len, bool write);
u64 ioasid_mock_domain_serial(struct ioasid_mock_dev *mdev, u32 pasid);
u64 ioasid_mock_iopte_size(struct ioasid_mock_dev *mdev, u32 pasid, u64 iova);
u64 ioasid_mock_faults(struct ioasid_mock_dev *mdev);

#endif /* __IOASID_TEST_MOCK_IOMMU_H */
