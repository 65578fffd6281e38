/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the VFIO selftests: a container with one group (the edu given
 * to vfio-pci by run.sh, whose BDF is in $VFIO_BDF), written against the
 * VFIO uAPI only, and the edu's DMA engine through the VFIO device fd.
 *
 * edu (1234:11e8) copies between RAM and a 4 KiB internal buffer at
 * 0x40000; it masks DMA addresses to 28 bits, so every IOVA used is below
 * 256 MiB, and transfers stay at 2048 bytes (QEMU 7.2 aborts on 4096).
 */
#ifndef IOASID_VFIO_UTIL_H
#define IOASID_VFIO_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

/* The ioasid selftest library defines the same when included first. */
#ifndef IOASID_UTIL_H
#define PSZ 4096UL
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_CMD_START 0x1
#define EDU_CMD_TO_RAM 0x2
#define EDU_BUF 0x40000
#define XFER 2048
#endif

/* The edu run.sh bound to vfio-pci, or NULL. */
static inline const char *vfio_bdf(void)
{
	const char *bdf = getenv("VFIO_BDF");

	return bdf && *bdf ? bdf : NULL;
}

/* The IOMMU group number of a PCI device; -errno. */
static inline int vfio_group_nr(const char *bdf)
{
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	return atoi(basename(link));
}

/**
 * struct vfio_env - a container, its group and (once served) the device
 * @container: /dev/vfio/vfio
 * @group: /dev/vfio/N
 * @device: the device fd, or -1
 */
struct vfio_env {
	int container;
	int group;
	int device;
};

/* Open a container and group @nr (or -errno), join them; -errno. */
static inline int vfio_open_group(int nr, struct vfio_env *e)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];

	e->container = e->group = e->device = -1;
	if (nr < 0)
		return nr;
	e->container = open("/dev/vfio/vfio", O_RDWR);
	if (e->container < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/vfio/%d", nr);
	e->group = open(path, O_RDWR);
	if (e->group < 0)
		return -errno;
	if (ioctl(e->group, VFIO_GROUP_GET_STATUS, &st))
		return -errno;
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EPERM;
	if (ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->container))
		return -errno;
	return 0;
}

/* Open a container and the device's group, join them; -errno. */
static inline int vfio_open(const char *bdf, struct vfio_env *e)
{
	return vfio_open_group(vfio_group_nr(bdf), e);
}

/* SET_IOMMU type1v2 and open the device; -errno. */
static inline int vfio_serve(const char *bdf, struct vfio_env *e)
{
	if (ioctl(e->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	return e->device < 0 ? -errno : 0;
}

static inline void vfio_close(struct vfio_env *e)
{
	if (e->device >= 0)
		close(e->device);
	if (e->group >= 0)
		close(e->group);
	if (e->container >= 0)
		close(e->container);
	e->container = e->group = e->device = -1;
}

static inline int vfio_map(int container, uint64_t iova, void *va, uint64_t size,
			   uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags, .vaddr = (uintptr_t)va,
		.iova = iova, .size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

#define VRW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/* Unmap; the bytes unmapped in *done; -errno. */
static inline int vfio_unmap(int container, uint64_t iova, uint64_t size,
			     uint32_t flags, uint64_t *done)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .iova = iova, .size = size,
	};
	int rc = ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) ? -errno : 0;

	if (done)
		*done = rc ? (uint64_t)-1 : u.size;
	return rc;
}

/* GET_INFO with room for capabilities into a malloc'ed buffer. */
static inline struct vfio_iommu_type1_info *vfio_info(int container)
{
	struct vfio_iommu_type1_info *info;
	size_t sz = sizeof(*info);

	for (int i = 0; i < 2; i++) {
		info = calloc(1, sz);
		if (!info)
			return NULL;
		info->argsz = sz;
		if (ioctl(container, VFIO_IOMMU_GET_INFO, info)) {
			free(info);
			return NULL;
		}
		if (info->argsz <= sz)
			return info;
		sz = info->argsz;
		free(info);
	}
	return NULL;
}

static inline struct vfio_info_cap_header *
vfio_cap(struct vfio_iommu_type1_info *info, uint16_t id)
{
	uint32_t off;

	if (!(info->flags & VFIO_IOMMU_INFO_CAPS))
		return NULL;
	for (off = info->cap_offset; off;) {
		struct vfio_info_cap_header *h = (void *)((char *)info + off);

		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
}

/* Programs that link ioasid_util.o have it from there. */
#ifndef IOASID_UTIL_H
/* A live count of /sys/kernel/ioasid/stats (kernel/stats.c), or -1. */
static inline long ioasid_stat(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/ioasid/stats/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}
#endif

/* The DMA-available count, or -1 without the capability. */
static inline long vfio_dma_avail(int container)
{
	struct vfio_iommu_type1_info *info = vfio_info(container);
	struct vfio_iommu_type1_info_dma_avail *a;
	long n = -1;

	if (!info)
		return -1;
	a = (void *)vfio_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	if (a)
		n = a->avail;
	free(info);
	return n;
}

/* BAR0 of the device, mapped; NULL on error. */
static inline volatile void *vfio_bar0(int device)
{
	struct vfio_region_info ri = {
		.argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	void *p;

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return NULL;
	p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, device,
		 ri.offset);
	return p == MAP_FAILED ? NULL : p;
}

/* Bus mastering and memory decode on, through the config region. */
static inline int vfio_enable_master(int device)
{
	struct vfio_region_info ri = {
		.argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	uint16_t cmd;

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return -errno;
	if (pread(device, &cmd, 2, ri.offset + PCI_COMMAND) != 2)
		return -errno;
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	if (pwrite(device, &cmd, 2, ri.offset + PCI_COMMAND) != 2)
		return -errno;
	return 0;
}

/* One edu DMA; waits for it (edu completes on a 100 ms timer). */
static inline int edu_run_dma(volatile void *bar, uint64_t src, uint64_t dst,
			      uint64_t len, int to_ram)
{
	volatile uint64_t *r = (volatile uint64_t *)bar;
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	r[EDU_DMA_SRC / 8] = src;
	r[EDU_DMA_DST / 8] = dst;
	r[EDU_DMA_CNT / 8] = len;
	r[EDU_DMA_CMD / 8] = EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0);
	for (int i = 0; i < 500; i++) {
		if (!(r[EDU_DMA_CMD / 8] & EDU_CMD_START))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

#endif /* IOASID_VFIO_UTIL_H */
