// SPDX-License-Identifier: GPL-2.0
/*
 * Devices end to end: QEMU's edu device, given to ioasid-pci, bound to a
 * /dev/ioasid fd, attached to IOASes, doing real DMA through the emulated
 * IOMMU (see lib/ioasid_util.h for edu's limits).
 *
 * The suite needs an edu device bound to ioasid-pci (selftests/guest.sh
 * does that); without one every test SKIPs with the reason.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>

#include <pthread.h>
#include <linux/pci_regs.h>

#define IOASID_WANT_FIXTURE_EDU
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

TEST_F(edu, dma_roundtrip)
{
	bring_up(_metadata, self);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), 2 * PSZ, EDU_IOVA_A, RW));
	/* RAM -> edu buffer -> RAM at another IOVA. */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_IOVA_A, EDU_BUF, XFER, false));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, EDU_IOVA_A + PSZ, XFER, true));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + PSZ, XFER));
}

TEST_F(edu, dma_after_unmap_does_not_reach_page)
{
	bring_up(_metadata, self);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), PSZ, EDU_IOVA_A, RW));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf + PSZ), PSZ,
			       EDU_IOVA_B, RW));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_IOVA_A, EDU_BUF, XFER, false));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, EDU_IOVA_B, PSZ, 0, NULL));
	/* The device writes to an IOVA that is gone: the page stays zero. */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, EDU_IOVA_B, XFER, true));
	for (int i = 0; i < XFER; i++)
		ASSERT_EQ(0, self->buf[PSZ + i]);
}

TEST_F(edu, dma_after_detach_does_not_reach_page)
{
	bring_up(_metadata, self);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), 2 * PSZ, EDU_IOVA_A, RW));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_IOVA_A, EDU_BUF, XFER, false));
	ASSERT_EQ(0, dev_detach(self->dfd, 0, 0));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, EDU_IOVA_A + PSZ, XFER, true));
	for (int i = 0; i < XFER; i++)
		ASSERT_EQ(0, self->buf[PSZ + i]);
}

TEST_F(edu, map_after_attach_reaches_device)
{
	/* Mappings made while attached go to the domain too. */
	bring_up(_metadata, self);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), PSZ, EDU_IOVA_A, RW));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf + PSZ), PSZ,
			       EDU_IOVA_B, RW));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_IOVA_A, EDU_BUF, XFER, false));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, EDU_IOVA_B, XFER, true));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + PSZ, XFER));
}

TEST_F(edu, mapped_before_attach_filled_into_domain)
{
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), 2 * PSZ, EDU_IOVA_A, RW));
	bring_up(_metadata, self);
	ASSERT_EQ(0, edu_dma(self->bar, EDU_IOVA_A, EDU_BUF, XFER, false));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, EDU_IOVA_A + PSZ, XFER, true));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + PSZ, XFER));
}

TEST_F(edu, replace_switches_address_space)
{
	__u32 ioas2 = 0;

	bring_up(_metadata, self);
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &ioas2));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), PSZ, EDU_IOVA_A, RW));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf + PSZ), PSZ,
			       EDU_IOVA_B, RW));
	/* Same IOVA, other page in the second IOAS. */
	ASSERT_EQ(0, map_fixed(self->fd, ioas2, U(self->buf), PSZ, EDU_IOVA_A, RW));
	ASSERT_EQ(0, map_fixed(self->fd, ioas2, U(self->buf + 2 * PSZ), PSZ,
			       EDU_IOVA_B, RW));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_IOVA_A, EDU_BUF, XFER, false));
	ASSERT_EQ(0, dev_attach(self->dfd, ioas2, IOASID_ATTACH_REPLACE, 0));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, EDU_IOVA_B, XFER, true));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + 2 * PSZ, XFER));
	for (int i = 0; i < XFER; i++)
		ASSERT_EQ(0, self->buf[PSZ + i]) TH_LOG("old IOAS was written");
}

struct dma_loop {
	volatile void *bar;
	volatile int stop;
	volatile int count;
	int err;
};

static void *dma_loop_fn(void *arg)
{
	struct dma_loop *l = arg;

	while (!l->stop) {
		l->err = edu_dma(l->bar, EDU_BUF, EDU_IOVA_B, XFER, true);
		if (l->err)
			break;
		__atomic_add_fetch(&l->count, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void wait_count(struct dma_loop *l, int target)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	while (__atomic_load_n(&l->count, __ATOMIC_SEQ_CST) < target && !l->err)
		nanosleep(&ts, NULL);
}

TEST_F(edu, replace_under_dma_loop_no_stale_write)
{
	struct dma_loop loop = {};
	pthread_t thread;
	__u32 ioas2 = 0;
	int c0;

	bring_up(_metadata, self);
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &ioas2));
	/* EDU_IOVA_B is page 1 in the first IOAS, page 2 in the second. */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), PSZ, EDU_IOVA_A, RW));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf + PSZ), PSZ,
			       EDU_IOVA_B, RW));
	ASSERT_EQ(0, map_fixed(self->fd, ioas2, U(self->buf + 2 * PSZ), PSZ,
			       EDU_IOVA_B, RW));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_IOVA_A, EDU_BUF, XFER, false));

	loop.bar = self->bar;
	ASSERT_EQ(0, pthread_create(&thread, NULL, dma_loop_fn, &loop));
	wait_count(&loop, 2);
	ASSERT_EQ(0, dev_attach(self->dfd, ioas2, IOASID_ATTACH_REPLACE, 0));
	/* Let a transfer started wholly after the replace complete... */
	c0 = loop.count;
	wait_count(&loop, c0 + 2);
	/* ...then nothing may reach the old page any more. */
	memset(self->buf + PSZ, 0, PSZ);
	wait_count(&loop, c0 + 5);
	loop.stop = 1;
	pthread_join(thread, NULL);
	ASSERT_EQ(0, loop.err);
	EXPECT_EQ(0, memcmp(self->buf, self->buf + 2 * PSZ, XFER));
	for (int i = 0; i < PSZ; i++)
		ASSERT_EQ(0, self->buf[PSZ + i]); /* no stale write */
	TH_LOG("%d transfers, replace after %d", loop.count, c0);
}

TEST_F(edu, two_devices_one_ioas_both_dma)
{
	char edus[2][64], path[128];
	volatile void *bar2;
	int dfd2;

	if (bound_edus(edus, 2) < 2)
		SKIP(return, "needs a second edu bound to ioasid-pci");

	bring_up(_metadata, self);
	/* edu_bdf() is the first one: the fixture's device. */
	snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", edus[1]);
	dfd2 = open(path, O_RDWR);
	ASSERT_LE(0, dfd2);
	ASSERT_EQ(0, dev_bind(dfd2, self->fd, NULL));
	ASSERT_EQ(0, dev_attach(dfd2, self->ioas, 0, 0));
	ASSERT_EQ(0, enable_bus_master(dfd2));
	bar2 = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, dfd2,
		    region_offset(0));
	ASSERT_NE(MAP_FAILED, bar2);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), 4 * PSZ, EDU_IOVA_A, RW));
	/* Device 1 reads page 0, device 2 writes it to page 2 and 1 to 3. */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_IOVA_A, EDU_BUF, XFER, false));
	ASSERT_EQ(0, edu_dma(bar2, EDU_IOVA_A, EDU_BUF, XFER, false));
	ASSERT_EQ(0, edu_dma(bar2, EDU_BUF, EDU_IOVA_A + 2 * PSZ, XFER, true));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUF, EDU_IOVA_A + 3 * PSZ, XFER, true));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + 2 * PSZ, XFER));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + 3 * PSZ, XFER));
	munmap((void *)bar2, 1 << 20);
	close(dfd2);
}

/*
 * The built-in grants the cache flush exactly while a device is attached
 * without snoop enforcement (the KVM contract).
 */
TEST_F(edu, cache_flush_granted_only_for_noncoherent)
{
	struct ioasid_device_info info;
	__u32 nr = 0;

	EXPECT_EQ(-EPERM, cache_flush(self->fd, NULL));
	bring_up(_metadata, self);
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	if (info.out_decision.snoop == IOASID_SNOOP_ENFORCE) {
		EXPECT_EQ(-EPERM, cache_flush(self->fd, NULL));
	} else {
		EXPECT_TRUE(info.out_decision.flags & IOASID_DECISION_FLUSH_GRANT);
		EXPECT_EQ(0, cache_flush(self->fd, &nr));
		EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), nr);
		EXPECT_EQ(0, cache_flush(self->fd, NULL)); /* unlimited rate */
	}
	ASSERT_EQ(0, dev_detach(self->dfd, 0, 0));
	EXPECT_EQ(-EPERM, cache_flush(self->fd, NULL));
	TH_LOG("snoop %u, flushed %u cpus", info.out_decision.snoop, nr);
}

TEST_F(edu, cache_flush_struct_rules)
{
	struct ioasid_cache_flush f = { .size = sizeof(f), .flags = 1 };

	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOASID_CACHE_FLUSH, &f));
	f.flags = 0;
	f.__reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_CACHE_FLUSH, &f));
}

TEST_F(edu, get_info)
{
	struct ioasid_device_info info;
	__u32 dev_id = 0;

	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_EQ(0, info.out_dev_id);
	EXPECT_EQ(0, info.out_ioas_id);
	EXPECT_LE(1, info.out_group_size);
	EXPECT_NE(0, info.out_iommu_driver[0]);
	/* virtio-iommu knows page sizes and aperture only once attached. */
	if (info.out_aperture_last) {
		EXPECT_TRUE(info.out_pgsize_bitmap & PSZ);
		EXPECT_LT(info.out_aperture_start, info.out_aperture_last);
	}

	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, &dev_id));
	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_TRUE(info.out_pgsize_bitmap & PSZ);
	EXPECT_LT(info.out_aperture_start, info.out_aperture_last);
	EXPECT_EQ(dev_id, info.out_dev_id);
	EXPECT_EQ(self->ioas, info.out_ioas_id);
	EXPECT_EQ(0, info.out_decision.verdict);
	EXPECT_STREQ("builtin", info.out_decision.policy);
	EXPECT_EQ(info.out_iommu_caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY ?
		  IOASID_SNOOP_ENFORCE : IOASID_SNOOP_ALLOW_NOSNOOP,
		  info.out_decision.snoop);
	TH_LOG("iommu %s caps %#x group %u pgsizes %#llx aperture %#llx-%#llx snoop %u",
	       info.out_iommu_driver, info.out_iommu_caps, info.out_group_size,
	       (unsigned long long)info.out_pgsize_bitmap,
	       (unsigned long long)info.out_aperture_start,
	       (unsigned long long)info.out_aperture_last, info.out_decision.snoop);
}

TEST_F(edu, ioas_info_counts_device_and_domain)
{
	struct ioasid_ioas_info info = { .size = sizeof(info), .ioas_id = self->ioas };

	bring_up(_metadata, self);
	ASSERT_EQ(0, ioctl(self->fd, IOASID_IOAS_GET_INFO, &info));
	EXPECT_EQ(1, info.out_nr_devices);
	EXPECT_EQ(1, info.out_nr_domains);
	ASSERT_EQ(0, dev_detach(self->dfd, 0, 0));
	ASSERT_EQ(0, ioctl(self->fd, IOASID_IOAS_GET_INFO, &info));
	EXPECT_EQ(0, info.out_nr_devices);
	EXPECT_EQ(0, info.out_nr_domains);
}

TEST_F(edu, reserved_regions_leave_usable_ranges)
{
	struct ioasid_iova_range ranges[16];
	struct ioasid_ioas_iova_ranges r = {
		.size = sizeof(r), .ioas_id = self->ioas, .num_iovas = 16,
		.allowed_iovas = (uintptr_t)ranges,
	};

	bring_up(_metadata, self);
	ASSERT_EQ(0, ioctl(self->fd, IOASID_IOAS_IOVA_RANGES, &r));
	/* intel-iommu reserves the MSI window 0xfee00000-0xfeefffff. */
	EXPECT_LE(2, r.num_iovas);
	for (__u32 i = 0; i < r.num_iovas; i++)
		EXPECT_FALSE(ranges[i].start <= 0xfee00000 &&
			     ranges[i].last >= 0xfee00000);
	/* And a fixed map there is refused. */
	EXPECT_EQ(-ENOSPC, map_fixed(self->fd, self->ioas, U(self->buf), PSZ,
				     0xfee00000, RW));
}

TEST_F(edu, attach_refused_when_mapping_in_reserved_region)
{
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), PSZ, 0xfee00000, RW));
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	EXPECT_EQ(-EADDRINUSE, dev_attach(self->dfd, self->ioas, 0, 0));
	/* Nothing changed: the mapping is there, the device detached. */
	EXPECT_EQ(-ENOENT, dev_detach(self->dfd, 0, 0));
	EXPECT_EQ(0, unmap(self->fd, self->ioas, 0xfee00000, PSZ, 0, NULL));
	EXPECT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
}

TEST_F(edu, errnos)
{
	struct ioasid_destroy d = { .size = sizeof(d) };
	__u32 dev_id = 0, other = 0;
	int nullfd;

	/* Not bound yet. */
	EXPECT_EQ(-ENXIO, dev_attach(self->dfd, self->ioas, 0, 0));
	EXPECT_EQ(-ENXIO, dev_detach(self->dfd, 0, 0));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PSZ, PROT_READ, MAP_SHARED, self->dfd,
				   region_offset(0)));
	EXPECT_EQ(ENXIO, errno);
	nullfd = open("/dev/null", O_RDWR);
	EXPECT_EQ(-EBADF, dev_bind(self->dfd, nullfd, NULL));
	close(nullfd);
	EXPECT_EQ(-EBADF, dev_bind(self->dfd, 9999, NULL));

	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, &dev_id));
	EXPECT_EQ(-EALREADY, dev_bind(self->dfd, self->fd, NULL));
	EXPECT_EQ(-ENOENT, dev_attach(self->dfd, 4242, 0, 0));
	d.id = dev_id;
	EXPECT_EQ(-EINVAL, dev_attach(self->dfd, dev_id, 0, 0)); /* not an IOAS */
	EXPECT_EQ(-EOPNOTSUPP, dev_attach(self->dfd, self->ioas, 1 << 7, 0));
	EXPECT_EQ(-EINVAL, dev_attach(self->dfd, self->ioas,
				      IOASID_ATTACH_REPLACE, 0));
	EXPECT_EQ(-ENOENT, dev_detach(self->dfd, 0, 0));
	/* The device object belongs to the driver. */
	EXPECT_EQ(-EBUSY, xioctl(self->fd, IOASID_DESTROY, &d));

	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	EXPECT_EQ(-EBUSY, dev_attach(self->dfd, self->ioas, 0, 0));
	/* An attached IOAS cannot be destroyed. */
	d.id = self->ioas;
	EXPECT_EQ(-EBUSY, xioctl(self->fd, IOASID_DESTROY, &d));
	/* edu has no PASID capability. */
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &other));
	EXPECT_EQ(-EOPNOTSUPP, dev_attach(self->dfd, other, IOASID_ATTACH_PASID, 1));
	EXPECT_EQ(-ENOENT, dev_detach(self->dfd, IOASID_ATTACH_PASID, 1));
	EXPECT_EQ(0, dev_detach(self->dfd, 0, 0));
	EXPECT_EQ(0, ioctl(self->fd, IOASID_DESTROY, &d));
}

TEST_F(edu, config_write_needs_bind)
{
	__u16 cmd;
	off_t cfg = region_offset(IOASID_PCI_CONFIG_REGION_INDEX);

	ASSERT_EQ(2, pread(self->dfd, &cmd, 2, cfg + PCI_VENDOR_ID));
	EXPECT_EQ(0x1234, cmd);
	EXPECT_EQ(-1, pwrite(self->dfd, &cmd, 2, cfg + PCI_COMMAND));
	EXPECT_EQ(ENXIO, errno);
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	EXPECT_EQ(0, enable_bus_master(self->dfd));
}

TEST_F(edu, close_device_fd_unbinds)
{
	struct ioasid_destroy d = { .size = sizeof(d) };
	char path[128];

	bring_up(_metadata, self);
	munmap((void *)self->bar, 1 << 20);
	self->bar = NULL;
	close(self->dfd);
	/* Unbound and detached: the IOAS is free to go. */
	d.id = self->ioas;
	EXPECT_EQ(0, ioctl(self->fd, IOASID_DESTROY, &d));
	snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", edu_bdf());
	self->dfd = open(path, O_RDWR);
	ASSERT_LE(0, self->dfd);
	/* Another ioasid fd may bind it now. */
	EXPECT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
}

TEST_F(edu, second_fd_cannot_bind_same_group)
{
	char path[128];
	int fd2, dfd2;

	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	fd2 = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, fd2);
	snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", edu_bdf());
	dfd2 = open(path, O_RDWR);
	ASSERT_LE(0, dfd2);
	/* Bound through the first open file already. */
	EXPECT_EQ(-EALREADY, dev_bind(dfd2, fd2, NULL));
	close(dfd2);
	close(fd2);
}

/*
 * BAR mappings and unbind. Only the open file that bound the device maps
 * its BARs (another gets EBUSY), and a mapping holds that file: the
 * binding lasts until the file is closed and its last mapping gone. The
 * other unbind is removing the device: then every mapping, through
 * whichever node, raises SIGBUS, also after a rebind; a new mmap under the
 * new bind works.
 */
#define EDU_ID		0x00
#define EDU_ID_VALUE	0x010000edU
#define EDU_LIVENESS	0x04	/* reads back the inverse of what was written */
#define BAR0_SIZE	(1UL << 20)

static sigjmp_buf bar_jmp;

static void bar_sigbus(int sig)
{
	siglongjmp(bar_jmp, 1);
}

/* One 32-bit access to a BAR mapping: 0, or -EFAULT if it raised SIGBUS. */
static int bar_access(volatile void *bar, unsigned int off, uint32_t *val,
		      bool write)
{
	volatile uint32_t *reg = (volatile uint32_t *)((volatile char *)bar + off);
	struct sigaction sa = { .sa_handler = bar_sigbus }, old;
	volatile int rc = -EFAULT;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &old))
		return -errno;
	if (!sigsetjmp(bar_jmp, 1)) {
		if (write)
			*reg = *val;
		else
			*val = *reg;
		rc = 0;
	}
	sigaction(SIGBUS, &old, NULL);
	return rc;
}

static int bar_read(volatile void *bar, unsigned int off, uint32_t *val)
{
	return bar_access(bar, off, val, false);
}

static int bar_write(volatile void *bar, unsigned int off, uint32_t val)
{
	return bar_access(bar, off, &val, true);
}

static volatile void *bar_map(int dfd)
{
	void *p = mmap(NULL, BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       dfd, region_offset(0));

	return p == MAP_FAILED ? NULL : p;
}

static int edu_open(void)
{
	return open(edu_dev_path(), O_RDWR);
}

/* BAR0 through @dfd, mapped and answering with edu's ID register. */
static volatile void *live_bar(struct __test_metadata *_metadata, int dfd)
{
	volatile void *bar = bar_map(dfd);
	uint32_t val = 0;

	ASSERT_NE(NULL, bar) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, bar_read(bar, EDU_ID, &val));
	EXPECT_EQ(EDU_ID_VALUE, val);
	return bar;
}

/*
 * The driver unbound through sysfs (the device "removed" from ioasid-pci)
 * and given back: @bdf bound to ioasid-pci again, its node back.
 */
static void remove_and_reprobe(struct __test_metadata *_metadata,
			       const char *bdf, bool reprobe)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	ASSERT_EQ(0, sysfs_write(path, bdf));
	if (!reprobe)
		return;
	/* driver_override still names ioasid-pci. */
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/drivers_probe", bdf));
	ASSERT_NE(NULL, edu_bdf());
}

/*
 * A mapping keeps the binding it was made under: closing the fd that
 * bound the device leaves it bound (another file's bind: EALREADY) until
 * the mapping goes.
 */
TEST_F(edu, bar_mapping_keeps_binding)
{
	volatile void *bar;
	uint32_t val = 0;
	int dfd2;

	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	bar = live_bar(_metadata, self->dfd);
	close(self->dfd);
	self->dfd = -1;
	ASSERT_EQ(0, bar_write(bar, EDU_LIVENESS, 0x12345678));
	ASSERT_EQ(0, bar_read(bar, EDU_LIVENESS, &val));
	EXPECT_EQ(~0x12345678U, val);
	dfd2 = edu_open();
	ASSERT_LE(0, dfd2);
	EXPECT_EQ(-EALREADY, dev_bind(dfd2, self->fd, NULL));
	/* The mapping gone, so is the binding. */
	munmap((void *)bar, BAR0_SIZE);
	ASSERT_EQ(0, dev_bind(dfd2, self->fd, NULL));
	bar = live_bar(_metadata, dfd2);
	munmap((void *)bar, BAR0_SIZE);
	close(dfd2);
}

/*
 * Mapped while bound but not touched before the device is removed:
 * nothing is mapped until the first access, which comes after the removal
 * and must fail.
 */
TEST_F(edu, bar_mapped_untouched_sigbus_after_remove)
{
	volatile void *bar;
	uint32_t val = 0;
	char bdf[64];
	int dfd2;

	snprintf(bdf, sizeof(bdf), "%s", edu_bdf());
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	bar = bar_map(self->dfd);
	ASSERT_NE(NULL, bar) TH_LOG("mmap: %s", strerror(errno));
	remove_and_reprobe(_metadata, bdf, true);
	EXPECT_EQ(-EFAULT, bar_read(bar, EDU_ID, &val));
	EXPECT_EQ(-EFAULT, bar_write(bar, EDU_LIVENESS, 0x12345678));
	munmap((void *)bar, BAR0_SIZE);
	/* The new device binds and maps afresh. */
	dfd2 = edu_open();
	ASSERT_LE(0, dfd2);
	ASSERT_EQ(0, dev_bind(dfd2, self->fd, NULL));
	bar = live_bar(_metadata, dfd2);
	munmap((void *)bar, BAR0_SIZE);
	close(dfd2);
}

/*
 * A second node of the device, as root may make with mknod (or a second
 * devtmpfs): /tmp/ioasid-dev-alt.<pid>, the same char device, its own
 * inode. Fills @path; 0 or -errno.
 */
static int alt_node(char *path, size_t len)
{
	char orig[128];
	struct stat st;

	snprintf(orig, sizeof(orig), "/dev/ioasid-dev/%s", edu_bdf());
	if (stat(orig, &st))
		return -errno;
	snprintf(path, len, "/tmp/ioasid-dev-alt.%d", getpid());
	unlink(path);
	if (mknod(path, S_IFCHR | 0600, st.st_rdev))
		return -errno;
	return 0;
}

/*
 * Mappings made through any node of the device die when it goes. Zapping
 * only the mapping of the node opened last (here the original) left the
 * BAR mapped through the other node past the end of isolation. The node
 * that bound the device is the only one that maps it.
 */
TEST_F(edu, bar_mapping_via_second_node_sigbus_after_remove)
{
	volatile void *bar_alt;
	uint32_t val = 0;
	char alt[64], bdf[64];
	int afd;

	snprintf(bdf, sizeof(bdf), "%s", edu_bdf());
	ASSERT_EQ(0, alt_node(alt, sizeof(alt))) TH_LOG("mknod: %s", strerror(errno));
	afd = open(alt, O_RDWR);
	unlink(alt);
	ASSERT_LE(0, afd) TH_LOG("open %s: %s", alt, strerror(errno));

	ASSERT_EQ(0, dev_bind(afd, self->fd, NULL));
	bar_alt = live_bar(_metadata, afd);
	/* The original node is another file: it may not map. */
	EXPECT_EQ(NULL, bar_map(self->dfd));
	EXPECT_EQ(EBUSY, errno);

	close(afd);
	remove_and_reprobe(_metadata, bdf, true);
	EXPECT_EQ(-EFAULT, bar_read(bar_alt, EDU_ID, &val))
		TH_LOG("BAR mapped through the second node survived removal");
	EXPECT_EQ(-EFAULT, bar_write(bar_alt, EDU_LIVENESS, 0x12345678));
	munmap((void *)bar_alt, BAR0_SIZE);
}

/*
 * The second node used, then unlinked and closed: its inode is freed.
 * Binding, mapping and removing through the original node must still
 * work, the removal zapping the original node's mappings (the device
 * kept no pointer to the freed inode's mapping).
 */
TEST_F(edu, bind_unbind_after_second_node_freed)
{
	volatile void *bar;
	uint32_t val = 0;
	char alt[64], bdf[64];
	int afd, dfd2;

	snprintf(bdf, sizeof(bdf), "%s", edu_bdf());
	ASSERT_EQ(0, alt_node(alt, sizeof(alt))) TH_LOG("mknod: %s", strerror(errno));
	afd = open(alt, O_RDWR);
	ASSERT_LE(0, afd) TH_LOG("open %s: %s", alt, strerror(errno));

	/* Used through the second node, then all of it gone. */
	ASSERT_EQ(0, dev_bind(afd, self->fd, NULL));
	bar = live_bar(_metadata, afd);
	munmap((void *)bar, BAR0_SIZE);
	close(afd);
	ASSERT_EQ(0, unlink(alt));

	/* Through the original node, opened before it. */
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	bar = live_bar(_metadata, self->dfd);
	close(self->dfd);
	self->dfd = -1;
	munmap((void *)bar, BAR0_SIZE); /* unbinds */

	/* And once more, a fresh bind and mapping, then removal. */
	dfd2 = edu_open();
	ASSERT_LE(0, dfd2);
	ASSERT_EQ(0, dev_bind(dfd2, self->fd, NULL));
	bar = live_bar(_metadata, dfd2);
	close(dfd2);
	remove_and_reprobe(_metadata, bdf, true);
	EXPECT_EQ(-EFAULT, bar_read(bar, EDU_ID, &val))
		TH_LOG("BAR mapping survived removal");
	munmap((void *)bar, BAR0_SIZE);
}

struct mmap_race {
	pthread_barrier_t go, done;
	int dfd;
	bool stop;
	volatile void *bar;
	int err;
};

static void *mmap_race_fn(void *arg)
{
	struct mmap_race *r = arg;

	for (;;) {
		pthread_barrier_wait(&r->go);
		if (r->stop)
			return NULL;
		r->bar = bar_map(r->dfd);
		r->err = errno;
		pthread_barrier_wait(&r->done);
	}
}

/*
 * mmap racing the close of the fd that bound the device: the mmap either
 * finds the fd gone (EBADF) or maps, and then holds the file, so the
 * binding lives as long as the mapping: it answers after the close, and
 * once it is unmapped the device is free for the next round's bind. The
 * close comes after a spin that adapts until the two meet: longer while
 * the mmap comes too late, shorter while it wins.
 */
TEST_F_TIMEOUT(edu, bar_mmap_racing_unbind, 60)
{
	struct mmap_race r = {};
	int i, mapped = 0, refused = 0;
	time_t end = time(NULL) + 20;
	unsigned long spin = 0;
	pthread_t thread;
	uint32_t val;

	ASSERT_EQ(0, pthread_barrier_init(&r.go, NULL, 2));
	ASSERT_EQ(0, pthread_barrier_init(&r.done, NULL, 2));
	ASSERT_EQ(0, pthread_create(&thread, NULL, mmap_race_fn, &r));
	/* 400 rounds, or 20 s under a slow (debug, TCG) kernel. */
	for (i = 0; i < 400 && time(NULL) < end; i++) {
		int dfd = edu_open();

		ASSERT_LE(0, dfd);
		ASSERT_EQ(0, dev_bind(dfd, self->fd, NULL))
			TH_LOG("round %d: still bound after the unmap", i);
		r.dfd = dfd;
		pthread_barrier_wait(&r.go);
		for (volatile unsigned long k = 0; k < spin; k++)
			;
		close(dfd); /* unbinds, unless the mmap holds the file */
		pthread_barrier_wait(&r.done);
		if (!r.bar) {
			ASSERT_EQ(EBADF, r.err);
			refused++;
			spin += spin / 4 + 64;
			continue;
		}
		mapped++;
		spin -= spin / 4;
		ASSERT_EQ(0, bar_read(r.bar, EDU_ID, &val))
			TH_LOG("round %d: BAR mapping dead while it held the file", i);
		EXPECT_EQ(EDU_ID_VALUE, val);
		munmap((void *)r.bar, BAR0_SIZE);
	}
	r.stop = true;
	pthread_barrier_wait(&r.go);
	pthread_join(thread, NULL);
	TH_LOG("%d rounds: %d mmaps before the close, %d after (spin %lu)",
	       i, mapped, refused, spin);
}

/*
 * Removal (the driver unbound through sysfs) while a mapping exists: the
 * device is gone, the mapping raises SIGBUS. Given back to ioasid-pci, the
 * device binds and maps again.
 */
TEST_F(edu, bar_mapping_sigbus_after_remove)
{
	char bdf[64];
	volatile void *bar;
	uint32_t val = 0;
	int dfd2;

	snprintf(bdf, sizeof(bdf), "%s", edu_bdf());
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	bar = live_bar(_metadata, self->dfd);

	remove_and_reprobe(_metadata, bdf, false);
	EXPECT_EQ(-EFAULT, bar_read(bar, EDU_ID, &val));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PSZ, PROT_READ, MAP_SHARED, self->dfd,
				   region_offset(0)));
	EXPECT_EQ(ENODEV, errno);
	munmap((void *)bar, BAR0_SIZE);

	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/drivers_probe", bdf));
	ASSERT_NE(NULL, edu_bdf());
	dfd2 = edu_open();
	ASSERT_LE(0, dfd2);
	ASSERT_EQ(0, dev_bind(dfd2, self->fd, NULL));
	bar = live_bar(_metadata, dfd2);
	munmap((void *)bar, BAR0_SIZE);
	close(dfd2);
}

/*
 * Leak check through /sys/kernel/ioasid/stats: every count is back where
 * it was once the fds are closed, failed calls leave the counts alone.
 */
TEST(live_counts_return_after_close)
{
	struct ioasid_live base = ioasid_live(), before;
	__u32 ioas1 = 0, ioas2 = 0;
	char *buf;
	int fd, dfd;

	OPEN_EDU_OR_SKIP(fd, dfd);
	ASSERT_LE(0, base.fds);
	ASSERT_EQ(0, ioas_alloc(fd, 0, 0, &ioas1));
	ASSERT_EQ(0, ioas_alloc(fd, 0, 0, &ioas2));
	buf = mmap(NULL, 2 * PSZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, map_fixed(fd, ioas1, U(buf), 2 * PSZ, 0x100000, RW));
	ASSERT_EQ(0, map_fixed(fd, ioas2, U(buf), PSZ, 0x200000, RW));
	EXPECT_EQ(base.charged_pages + 3, ioasid_stat("charged_pages"));
	ASSERT_EQ(0, dev_bind(dfd, fd, NULL));
	ASSERT_EQ(0, dev_attach(dfd, ioas1, 0, 0));
	EXPECT_EQ(base.groups + 1, ioasid_stat("groups"));
	EXPECT_EQ(base.domains + 1, ioasid_stat("domains"));

	/* Failed calls change nothing. */
	before = ioasid_live();
	EXPECT_EQ(-EBUSY, dev_attach(dfd, ioas2, 0, 0));
	EXPECT_EQ(-ENOENT, dev_attach(dfd, 4242, IOASID_ATTACH_REPLACE, 0));
	EXPECT_EQ(-EOPNOTSUPP, dev_attach(dfd, ioas2, IOASID_ATTACH_PASID, 1));
	EXPECT_NO_LEAK(before);

	/* Replace moves the device: the old domain goes, a new one comes. */
	ASSERT_EQ(0, dev_attach(dfd, ioas2, IOASID_ATTACH_REPLACE, 0));
	EXPECT_EQ(base.domains + 1, ioasid_stat("domains"));
	EXPECT_EQ(0, dev_detach(dfd, 0, 0));
	EXPECT_EQ(base.domains, ioasid_stat("domains"));
	ASSERT_EQ(0, dev_attach(dfd, ioas1, 0, 0));

	/* Close while attached and mapped: the device fd last. */
	close(fd);
	close(dfd);
	EXPECT_NO_LEAK(base);
	munmap(buf, 2 * PSZ);
}

TEST_HARNESS_MAIN
