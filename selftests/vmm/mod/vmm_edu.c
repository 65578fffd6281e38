// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_edu - a DMA round trip through QEMU's edu device (1234:11e8).
 *
 * Loaded in the vmm suite's inner guest, where the edu is the test VM's
 * device assigned with -device vfio-pci. Probe checks the identification
 * and liveness registers. Writing a seed to
 * /sys/module/vmm_edu/parameters/roundtrip fills a dma_alloc_coherent()
 * buffer with a pattern derived from the seed, has the edu's DMA engine copy
 * it into its internal buffer and back into a second, zeroed buffer, and
 * compares: the write fails with -EIO on a mismatch, -ETIMEDOUT if the
 * engine never finishes, -ENODEV without a bound edu. Reading "roundtrip"
 * gives the number of verified round trips.
 *
 * Writing N to /sys/module/vmm_edu/parameters/mapstorm maps and unmaps one
 * page for the edu N times with the streaming DMA API (dma_map_page() and
 * dma_unmap_page(), no DMA by the device): behind a vIOMMU in caching mode
 * with iommu.strict=1 each cycle is one IOTLB flush on map and one on
 * unmap, which QEMU mirrors into the VFIO container as VFIO_IOMMU_MAP_DMA
 * and VFIO_IOMMU_UNMAP_DMA. Reading "mapstorm" gives "CYCLES NS" of the
 * last storm: the cycles completed and the nanoseconds they took. The
 * write fails with -EINVAL above VMM_EDU_STORM_MAX, -EIO if a mapping
 * fails, -ENODEV without a bound edu.
 *
 * The DMA addresses are whatever the inner kernel's DMA API hands out:
 * guest-physical without a vIOMMU, IOVAs of the inner intel-iommu with one.
 * edu masks addresses to 28 bits and QEMU 7.2's edu aborts on a 4096-byte
 * transfer, so the DMA mask is 28 bits and transfers are 2048 bytes.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/mutex.h>
#include <linux/timekeeping.h>

#include "../../lib/edu_regs.h"

#define EDU_XFER	2048

struct vmm_edu {
	struct pci_dev *pdev;
	void __iomem *bar;
	void *buf;		/* [0, EDU_XFER): source, [EDU_XFER, 2*EDU_XFER): destination */
	dma_addr_t dma;
	struct page *storm_page;	/* mapped and unmapped by mapstorm */
};

#define VMM_EDU_STORM_MAX	1000000

/* The bound edu (the first one probed); serialises round trips. */
static DEFINE_MUTEX(vmm_edu_lock);
static struct vmm_edu *vmm_edu_dev;
static unsigned long vmm_edu_verified;
/* The last map storm: cycles completed, nanoseconds taken. */
static unsigned int vmm_edu_storm_cycles;
static u64 vmm_edu_storm_ns;

static int vmm_edu_dma(struct vmm_edu *e, u64 src, u64 dst, bool to_ram)
{
	int i;

	writeq(src, e->bar + EDU_DMA_SRC);
	writeq(dst, e->bar + EDU_DMA_DST);
	writeq(EDU_XFER, e->bar + EDU_DMA_CNT);
	writeq(EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0), e->bar + EDU_DMA_CMD);
	/* edu runs a transfer from a 100 ms virtual-time timer. */
	for (i = 0; i < 500; i++) {
		if (!(readq(e->bar + EDU_DMA_CMD) & EDU_CMD_START))
			return 0;
		msleep(20);
	}
	return -ETIMEDOUT;
}

static int vmm_edu_roundtrip(struct vmm_edu *e, u32 seed)
{
	u8 *src = e->buf, *dst = (u8 *)e->buf + EDU_XFER;
	u32 x = seed | 1;
	int i, ret;

	for (i = 0; i < EDU_XFER; i++) {
		/* xorshift32: a pattern no stale buffer repeats */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		src[i] = x;
	}
	memset(dst, 0, EDU_XFER);
	/* Our pattern, in coherent memory, before the doorbell writes. */
	wmb();
	ret = vmm_edu_dma(e, e->dma, EDU_BUF, false);
	if (ret)
		return ret;
	ret = vmm_edu_dma(e, EDU_BUF, e->dma + EDU_XFER, true);
	if (ret)
		return ret;
	/* The device's writes, seen after its completion bit, before our reads. */
	rmb();
	for (i = 0; i < EDU_XFER; i++) {
		if (dst[i] != src[i]) {
			pci_err(e->pdev, "round trip mismatch at %d: %#x != %#x (dma %pad)\n",
				i, dst[i], src[i], &e->dma);
			return -EIO;
		}
	}
	pci_info(e->pdev, "round trip of %d bytes verified (dma %pad, seed %u)\n",
		 EDU_XFER, &e->dma, seed);
	return 0;
}

static int vmm_edu_rt_set(const char *val, const struct kernel_param *kp)
{
	u32 seed;
	int ret;

	ret = kstrtou32(val, 0, &seed);
	if (ret)
		return ret;
	mutex_lock(&vmm_edu_lock);
	if (!vmm_edu_dev) {
		ret = -ENODEV;
	} else {
		ret = vmm_edu_roundtrip(vmm_edu_dev, seed);
		if (!ret)
			vmm_edu_verified++;
	}
	mutex_unlock(&vmm_edu_lock);
	return ret;
}

static int vmm_edu_rt_get(char *buf, const struct kernel_param *kp)
{
	unsigned long n;

	mutex_lock(&vmm_edu_lock);
	n = vmm_edu_verified;
	mutex_unlock(&vmm_edu_lock);
	return sysfs_emit(buf, "%lu\n", n);
}

static const struct kernel_param_ops vmm_edu_rt_ops = {
	.set = vmm_edu_rt_set,
	.get = vmm_edu_rt_get,
};

module_param_cb(roundtrip, &vmm_edu_rt_ops, NULL, 0600);
MODULE_PARM_DESC(roundtrip, "write a seed: verified DMA round trip; read: count");

static int vmm_edu_storm(struct vmm_edu *e, unsigned int n)
{
	struct device *dev = &e->pdev->dev;
	unsigned int i;
	dma_addr_t a;
	u64 t0;

	vmm_edu_storm_cycles = 0;
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		a = dma_map_page(dev, e->storm_page, 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
		if (dma_mapping_error(dev, a))
			break;
		dma_unmap_page(dev, a, PAGE_SIZE, DMA_BIDIRECTIONAL);
		cond_resched();
	}
	vmm_edu_storm_ns = ktime_get_ns() - t0;
	vmm_edu_storm_cycles = i;
	pci_info(e->pdev, "map storm: %u of %u map+unmap cycles in %llu ns\n",
		 i, n, vmm_edu_storm_ns);
	return i == n ? 0 : -EIO;
}

static int vmm_edu_storm_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (n > VMM_EDU_STORM_MAX)
		return -EINVAL;
	mutex_lock(&vmm_edu_lock);
	ret = vmm_edu_dev ? vmm_edu_storm(vmm_edu_dev, n) : -ENODEV;
	mutex_unlock(&vmm_edu_lock);
	return ret;
}

static int vmm_edu_storm_get(char *buf, const struct kernel_param *kp)
{
	int ret;

	mutex_lock(&vmm_edu_lock);
	ret = sysfs_emit(buf, "%u %llu\n", vmm_edu_storm_cycles, vmm_edu_storm_ns);
	mutex_unlock(&vmm_edu_lock);
	return ret;
}

static const struct kernel_param_ops vmm_edu_storm_ops = {
	.set = vmm_edu_storm_set,
	.get = vmm_edu_storm_get,
};

module_param_cb(mapstorm, &vmm_edu_storm_ops, NULL, 0600);
MODULE_PARM_DESC(mapstorm, "write N: N dma_map_page+dma_unmap_page cycles; read: \"CYCLES NS\" of the last");

static int vmm_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vmm_edu *e;
	u32 v;
	int ret;

	e = devm_kzalloc(&pdev->dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), "vmm_edu");
	if (ret)
		return ret;
	e->bar = pcim_iomap_table(pdev)[0];
	v = readl(e->bar + EDU_ID);
	if ((v & 0xffff) != 0x00ed) {
		pci_err(pdev, "identification %#x is not edu's\n", v);
		return -ENODEV;
	}
	writel(0x5a5aa5a5, e->bar + EDU_LIVENESS);
	v = readl(e->bar + EDU_LIVENESS);
	if (v != ~0x5a5aa5a5U) {
		pci_err(pdev, "liveness check read %#x\n", v);
		return -EIO;
	}
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(EDU_DMA_BITS));
	if (ret)
		return ret;
	pci_set_master(pdev);
	e->buf = dmam_alloc_coherent(&pdev->dev, 2 * EDU_XFER, &e->dma, GFP_KERNEL);
	if (!e->buf)
		return -ENOMEM;
	e->storm_page = alloc_page(GFP_KERNEL);
	if (!e->storm_page)
		return -ENOMEM;
	pci_set_drvdata(pdev, e);
	mutex_lock(&vmm_edu_lock);
	if (!vmm_edu_dev)
		vmm_edu_dev = e;
	mutex_unlock(&vmm_edu_lock);
	pci_info(pdev, "edu ready, buffer at dma %pad\n", &e->dma);
	return 0;
}

static void vmm_edu_remove(struct pci_dev *pdev)
{
	struct vmm_edu *e = pci_get_drvdata(pdev);

	mutex_lock(&vmm_edu_lock);
	if (vmm_edu_dev == e)
		vmm_edu_dev = NULL;
	mutex_unlock(&vmm_edu_lock);
	__free_page(e->storm_page);
}

static const struct pci_device_id vmm_edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vmm_edu_ids);

static struct pci_driver vmm_edu_driver = {
	.name = "vmm_edu",
	.id_table = vmm_edu_ids,
	.probe = vmm_edu_probe,
	.remove = vmm_edu_remove,
};
module_pci_driver(vmm_edu_driver);

MODULE_DESCRIPTION("vmm selftest: edu DMA round trip");
MODULE_LICENSE("GPL");
