/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the device test programs: the edu device (1234:11e8) bound to
 * ioasid-pci, its DMA engine, thin ioctl wrappers returning -errno, and the
 * "edu" fixture (an ioasid fd, the device fd, one IOAS, four pages).
 *
 * edu copies between RAM and a 4 KiB internal buffer at 0x40000; QEMU 7.2
 * aborts the VM on a 4096-byte transfer (off by one), so transfers stay at
 * 2048 bytes. edu masks DMA addresses to 28 bits: every IOVA used is below
 * 256 MiB.
 */
#ifndef IOASID_DEVICE_UTIL_H
#define IOASID_DEVICE_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <pthread.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "../lib/util.h"
#include "../lib/edu_regs.h"
#include <linux/ioasid_device.h>

#define PSZ 4096UL
#define XFER 2048

#define IOVA_A 0x100000UL
#define IOVA_B 0x200000UL

/* The first edu bound to ioasid-pci, as a BDF string; NULL if none. */
static inline const char *edu_bdf(void)
{
	static char bdf[1][64];

	return bound_edus(bdf, 1) ? bdf[0] : NULL;
}

static inline int ioas_alloc(int fd, __u32 *id)
{
	struct ioasid_ioas_alloc a = { .size = sizeof(a) };

	if (ioctl(fd, IOASID_IOAS_ALLOC, &a))
		return -errno;
	*id = a.out_ioas_id;
	return 0;
}

static inline int map_fixed(int fd, __u32 ioas, void *va, size_t len, __u64 iova)
{
	struct ioasid_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .addr = (uintptr_t)va,
		.length = len, .iova = iova,
		.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE |
			 IOASID_MAP_WRITEABLE,
	};

	return ioctl(fd, IOASID_IOAS_MAP, &m) ? -errno : 0;
}

static inline int unmap(int fd, __u32 ioas, __u64 iova, size_t len)
{
	struct ioasid_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len,
	};

	return ioctl(fd, IOASID_IOAS_UNMAP, &u) ? -errno : 0;
}

static inline int dev_bind(int dfd, int ioasid_fd, __u32 *dev_id)
{
	struct ioasid_device_bind b = { .size = sizeof(b), .ioasid_fd = ioasid_fd };

	if (ioctl(dfd, IOASID_DEVICE_BIND, &b))
		return -errno;
	if (dev_id)
		*dev_id = b.out_dev_id;
	return 0;
}

static inline int dev_attach(int dfd, __u32 ioas, __u32 flags, __u32 pasid)
{
	struct ioasid_device_attach a = {
		.size = sizeof(a), .ioas_id = ioas, .flags = flags, .pasid = pasid,
	};

	return ioctl(dfd, IOASID_DEVICE_ATTACH, &a) ? -errno : 0;
}

static inline int dev_detach(int dfd, __u32 flags, __u32 pasid)
{
	struct ioasid_device_detach d = {
		.size = sizeof(d), .flags = flags, .pasid = pasid,
	};

	return ioctl(dfd, IOASID_DEVICE_DETACH, &d) ? -errno : 0;
}

static inline int dev_info(int dfd, struct ioasid_device_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(dfd, IOASID_DEVICE_GET_INFO, info) ? -errno : 0;
}

static inline off_t region_offset(int index)
{
	return (off_t)index << IOASID_REGION_SHIFT;
}

static inline int enable_bus_master(int dfd)
{
	off_t cfg = region_offset(IOASID_PCI_CONFIG_REGION_INDEX);
	__u16 cmd;

	if (pread(dfd, &cmd, 2, cfg + PCI_COMMAND) != 2)
		return -errno;
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	if (pwrite(dfd, &cmd, 2, cfg + PCI_COMMAND) != 2)
		return -errno;
	return 0;
}

static inline void reg_write64(volatile void *bar, unsigned int off, uint64_t val)
{
	*(volatile uint64_t *)((volatile char *)bar + off) = val;
}

static inline uint64_t reg_read64(volatile void *bar, unsigned int off)
{
	return *(volatile uint64_t *)((volatile char *)bar + off);
}

/* One edu DMA; waits for it (edu completes on a 100 ms timer). */
static inline int edu_dma(volatile void *bar, uint64_t src, uint64_t dst,
		   uint64_t len, bool to_ram)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	reg_write64(bar, EDU_DMA_SRC, src);
	reg_write64(bar, EDU_DMA_DST, dst);
	reg_write64(bar, EDU_DMA_CNT, len);
	reg_write64(bar, EDU_DMA_CMD, EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
	for (i = 0; i < 500; i++) {
		if (!(reg_read64(bar, EDU_DMA_CMD) & EDU_CMD_START))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

FIXTURE(edu) {
	int fd;		/* /dev/ioasid */
	int dfd;	/* /dev/ioasid-dev/<BDF> */
	__u32 ioas;
	char *buf;	/* 4 pages: [0] source, [1] destination, [2-3] spare */
	volatile void *bar;
};

FIXTURE_SETUP(edu)
{
	const char *bdf = edu_bdf();
	char path[128];

	self->dfd = -1;
	self->bar = NULL;
	self->fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, self->fd);
	if (!bdf)
		SKIP(return, "no edu device bound to ioasid-pci in this VM");
	snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", bdf);
	self->dfd = open(path, O_RDWR);
	ASSERT_LE(0, self->dfd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	self->buf = mmap(NULL, 4 * PSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	for (int i = 0; i < XFER; i++)
		self->buf[i] = (char)(i * 7 + 3);
	memset(self->buf + PSZ, 0, 3 * PSZ);
}

FIXTURE_TEARDOWN(edu)
{
	if (self->bar)
		munmap((void *)self->bar, 1 << 20);
	if (self->dfd >= 0)
		close(self->dfd);
	close(self->fd);
}

/* Bind, attach to the fixture's IOAS and map BAR0. */
static inline int bring_up(struct __test_metadata *_metadata,
		    FIXTURE_DATA(edu) *self)
{
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	ASSERT_EQ(0, enable_bus_master(self->dfd));
	self->bar = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->dfd, region_offset(0));
	ASSERT_NE(MAP_FAILED, self->bar);
	return 0;
}

#endif /* IOASID_DEVICE_UTIL_H */
