// SPDX-License-Identifier: GPL-2.0
/*
 * What a user may do to a device given to ioasid-pci (docs/security.md,
 * "ioasid-pci"): config writes filtered (decode enables, BARs, power state
 * and FLR out of reach), bridges refused, MSIs isolated or explicitly
 * allowed, one open file driving a binding, no sub-page BAR mapped, and
 * the device reset between users.
 *
 * Most tests use the edu device selftests/guest.sh gives to ioasid-pci.
 * The others give themselves the device they need and give it back: a
 * virtio-rng behind a PCIe root port (PM and PCIe capabilities with FLR),
 * QEMU's i6300esb (a 16-byte memory BAR) and a bridge without a driver;
 * the intel-nosc configuration of selftests/manifest has them. Where a
 * device is absent the test SKIPs with the reason.
 */
#include <sys/stat.h>
#include <linux/pci_regs.h>

#define IOASID_WANT_FIXTURE_EDU
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

#define EDU_ID		0x00
#define EDU_ID_VALUE	0x010000edU
#define UNSAFE_IRQS	"/sys/module/ioasid/parameters/allow_unsafe_interrupts"

static off_t cfg_off(unsigned int off)
{
	return region_offset(IOASID_PCI_CONFIG_REGION_INDEX) + off;
}

/* A config register of @len bytes (1, 2, 4) through @dfd, or -1. */
static long cfg_read(int dfd, unsigned int off, size_t len)
{
	uint32_t v = 0;

	return pread(dfd, &v, len, cfg_off(off)) == (ssize_t)len ? (long)v : -1;
}

/* 0, or -errno. */
static int cfg_write(int dfd, unsigned int off, size_t len, uint32_t v)
{
	return pwrite(dfd, &v, len, cfg_off(off)) == (ssize_t)len ? 0 : -errno;
}

/* The offset of standard capability @id, or 0. */
static unsigned int cfg_find_cap(int dfd, int id)
{
	long pos = cfg_read(dfd, PCI_CAPABILITY_LIST, 1);
	int ttl;

	for (ttl = 48; ttl && pos >= PCI_STD_HEADER_SIZEOF; ttl--) {
		pos &= ~3;
		if (cfg_read(dfd, pos + PCI_CAP_LIST_ID, 1) == id)
			return pos;
		pos = cfg_read(dfd, pos + PCI_CAP_LIST_NEXT, 1);
	}
	return 0;
}

static int region_info(int dfd, unsigned int index,
		       struct ioasid_region_info *ri)
{
	*ri = (struct ioasid_region_info){ .size = sizeof(*ri), .index = index };
	return xioctl(dfd, IOASID_DEVICE_REGION_INFO, ri);
}

/* The first PCI device with @vendor:@device into @bdf: 0, or -ENOENT. */
static int find_pci(unsigned int vendor, unsigned int device, char *bdf,
		    size_t len)
{
	char path[300], buf[32];
	struct dirent *de;
	int rc = -ENOENT;
	DIR *d;

	d = opendir("/sys/bus/pci/devices");
	if (!d)
		return -errno;
	while (rc && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 de->d_name);
		if (sysfs_read(path, buf, sizeof(buf)) ||
		    strtoul(buf, NULL, 0) != vendor)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 de->d_name);
		if (sysfs_read(path, buf, sizeof(buf)) ||
		    strtoul(buf, NULL, 0) != device)
			continue;
		if (strlen(de->d_name) >= len)
			continue;
		strcpy(bdf, de->d_name);
		rc = 0;
	}
	closedir(d);
	return rc;
}

/* The driver bound to @bdf into @drv ("" if none). */
static void driver_of(const char *bdf, char *drv, size_t len)
{
	if (pci_link_name(bdf, "driver", drv, len))
		drv[0] = 0;
}

static int bdf_write(const char *bdf, const char *attr, const char *val)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	return sysfs_write(path, val);
}

/*
 * Give @bdf to ioasid-pci, its driver (if any) into @old. Return: 0 if
 * ioasid-pci took it, -ENODEV if it refused, or -errno of a step.
 */
static int give_to_ioasid_pci(const char *bdf, char *old, size_t len)
{
	char drv[64];
	int rc;

	driver_of(bdf, old, len);
	if (!strcmp(old, "ioasid-pci"))
		return 0;
	if (old[0]) {
		rc = bdf_write(bdf, "driver/unbind", bdf);
		if (rc)
			return rc;
	}
	rc = bdf_write(bdf, "driver_override", "ioasid-pci");
	if (rc)
		return rc;
	/* A refusing probe fails the write on some kernels, not on others. */
	sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	driver_of(bdf, drv, sizeof(drv));
	return strcmp(drv, "ioasid-pci") ? -ENODEV : 0;
}

/* Undo give_to_ioasid_pci(): back to @old (or to no driver). */
static void give_back(const char *bdf, const char *old)
{
	char drv[64];

	if (!strcmp(old, "ioasid-pci"))
		return;
	driver_of(bdf, drv, sizeof(drv));
	if (!strcmp(drv, "ioasid-pci"))
		bdf_write(bdf, "driver/unbind", bdf);
	bdf_write(bdf, "driver_override", "\n");
	if (old[0])
		sysfs_write("/sys/bus/pci/drivers_probe", bdf);
}

static int open_node(const char *bdf)
{
	char path[300];

	snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", bdf);
	return open(path, O_RDWR);
}

/* --- config space ------------------------------------------------------- */

/*
 * Memory decode stays on whatever the user writes: turned off under a BAR
 * mapping, an access would fault in the host. The other bits (bus master)
 * are the user's.
 */
TEST_F(edu, config_decode_enables_kept)
{
	uint32_t val = 0;
	long cmd;

	bring_up(_metadata, self);
	cmd = cfg_read(self->dfd, PCI_COMMAND, 2);
	ASSERT_LE(0, cmd);
	ASSERT_TRUE(cmd & PCI_COMMAND_MEMORY);
	/* Dropped bits do not fail the write, as with vfio-pci. */
	ASSERT_EQ(0, cfg_write(self->dfd, PCI_COMMAND, 2,
			       cmd & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)));
	cmd = cfg_read(self->dfd, PCI_COMMAND, 2);
	EXPECT_TRUE(cmd & PCI_COMMAND_MEMORY)
		TH_LOG("the user turned memory decode off: 0x%lx", cmd);
	EXPECT_FALSE(cmd & PCI_COMMAND_MASTER);
	val = *(volatile uint32_t *)((volatile char *)self->bar + EDU_ID);
	EXPECT_EQ(EDU_ID_VALUE, val);
	/* As a dword with the status register. */
	ASSERT_EQ(0, cfg_write(self->dfd, PCI_COMMAND, 4, PCI_COMMAND_MASTER));
	cmd = cfg_read(self->dfd, PCI_COMMAND, 2);
	EXPECT_TRUE(cmd & PCI_COMMAND_MEMORY);
	EXPECT_TRUE(cmd & PCI_COMMAND_MASTER);
}

/*
 * BARs, the ROM BAR and the identity are read-only: a BAR moved under a
 * mapping would leave the mapping on whatever the address now decodes to.
 * Reads give the device's registers.
 */
TEST_F(edu, config_bar_writes_dropped)
{
	long bar0, id, rom;
	uint32_t val;

	bring_up(_metadata, self);
	bar0 = cfg_read(self->dfd, PCI_BASE_ADDRESS_0, 4);
	id = cfg_read(self->dfd, PCI_VENDOR_ID, 4);
	rom = cfg_read(self->dfd, PCI_ROM_ADDRESS, 4);
	ASSERT_LE(0, bar0);
	/* A sizing write and a relocation. */
	EXPECT_EQ(0, cfg_write(self->dfd, PCI_BASE_ADDRESS_0, 4, ~0U));
	EXPECT_EQ(bar0, cfg_read(self->dfd, PCI_BASE_ADDRESS_0, 4));
	EXPECT_EQ(0, cfg_write(self->dfd, PCI_BASE_ADDRESS_0, 4,
			       (uint32_t)bar0 + 0x100000));
	EXPECT_EQ(bar0, cfg_read(self->dfd, PCI_BASE_ADDRESS_0, 4));
	EXPECT_EQ(0, cfg_write(self->dfd, PCI_ROM_ADDRESS, 4, ~0U));
	EXPECT_EQ(rom, cfg_read(self->dfd, PCI_ROM_ADDRESS, 4));
	EXPECT_EQ(0, cfg_write(self->dfd, PCI_VENDOR_ID, 4, 0x12345678));
	EXPECT_EQ(id, cfg_read(self->dfd, PCI_VENDOR_ID, 4));
	val = *(volatile uint32_t *)((volatile char *)self->bar + EDU_ID);
	EXPECT_EQ(EDU_ID_VALUE, val);
	/* Whatever happened, the device's own address goes back. */
	cfg_write(self->dfd, PCI_BASE_ADDRESS_0, 4, bar0);
}

/*
 * A device of another kind, given to ioasid-pci for one test and given
 * back after it: its BDF, the driver it had, its node and an ioasid fd it
 * is bound to.
 */
struct borrowed {
	char bdf[64];
	char old[64];
	int fd, dfd;
};

static void give_back_borrowed(struct borrowed *b)
{
	if (b->dfd >= 0)
		close(b->dfd);
	if (b->fd >= 0)
		close(b->fd);
	if (b->bdf[0])
		give_back(b->bdf, b->old);
}

/*
 * Borrow the first @vendor:@device: SKIP if there is none, FAIL if
 * ioasid-pci does not take it or it does not bind (given back first).
 */
static void borrow(struct __test_metadata *_metadata, struct borrowed *b,
		   unsigned int vendor, unsigned int device, const char *what)
{
	int rc;

	b->fd = b->dfd = -1;
	b->old[0] = 0;
	b->bdf[0] = 0;
	if (find_pci(vendor, device, b->bdf, sizeof(b->bdf)))
		SKIP(return, "no %s (%04x:%04x) in this VM", what, vendor,
		     device);
	rc = give_to_ioasid_pci(b->bdf, b->old, sizeof(b->old));
	if (!rc) {
		b->fd = open("/dev/ioasid", O_RDWR);
		b->dfd = open_node(b->bdf);
		rc = b->fd < 0 || b->dfd < 0 ? -errno :
		     dev_bind(b->dfd, b->fd, NULL);
	}
	if (rc) {
		give_back_borrowed(b);
		ASSERT_EQ(0, rc) TH_LOG("%s %s to ioasid-pci, bound: %s",
					what, b->bdf, strerror(-rc));
	}
}

/* A fixture @name whose self->b is the borrowed @vendor:@device. */
#define BORROWED_FIXTURE(name, vendor, device, what)			\
FIXTURE(name) {								\
	struct borrowed b;						\
};									\
FIXTURE_SETUP(name)							\
{									\
	borrow(_metadata, &self->b, vendor, device, what);		\
}									\
FIXTURE_TEARDOWN(name)							\
{									\
	give_back_borrowed(&self->b);					\
}

/* modern virtio-rng: behind a root port it has PM and PCIe (FLR) caps */
#define RNG_VENDOR	0x1af4
#define RNG_DEVICE	0x1044

BORROWED_FIXTURE(rng, RNG_VENDOR, RNG_DEVICE, "virtio-rng")

/*
 * The power state is the kernel's: in D3 the device's BARs stop decoding
 * under user mappings (and a D3->D0 transition may reset it).
 */
TEST_F(rng, pm_power_state_kept)
{
	struct borrowed b = self->b;
	unsigned int pm;
	long pmcsr;

	pm = cfg_find_cap(b.dfd, PCI_CAP_ID_PM);
	ASSERT_NE(0, pm) TH_LOG("no PM capability");
	pmcsr = cfg_read(b.dfd, pm + PCI_PM_CTRL, 2);
	ASSERT_EQ(0, pmcsr & PCI_PM_CTRL_STATE_MASK);
	EXPECT_EQ(0, cfg_write(b.dfd, pm + PCI_PM_CTRL, 2,
			       (pmcsr & ~PCI_PM_CTRL_STATE_MASK) | 3));
	pmcsr = cfg_read(b.dfd, pm + PCI_PM_CTRL, 2);
	EXPECT_EQ(0, pmcsr & PCI_PM_CTRL_STATE_MASK)
		TH_LOG("the user put the device in D%ld", pmcsr & 3);
	/* Capability headers are read-only too. */
	EXPECT_EQ(0, cfg_write(b.dfd, pm, 1, 0x42));
	EXPECT_EQ(PCI_CAP_ID_PM, cfg_read(b.dfd, pm, 1));
}

/*
 * Initiate FLR is the kernel's: an FLR clears the command register (and
 * the BARs) under user mappings. Memory decode still on afterwards shows
 * no reset happened.
 */
TEST_F(rng, pcie_flr_refused)
{
	struct borrowed b = self->b;
	unsigned int exp;
	long ctl, cmd;

	exp = cfg_find_cap(b.dfd, PCI_CAP_ID_EXP);
	ASSERT_NE(0, exp) TH_LOG("no PCIe capability");
	ASSERT_TRUE(cfg_read(b.dfd, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
	ctl = cfg_read(b.dfd, exp + PCI_EXP_DEVCTL, 2);
	ASSERT_LE(0, ctl);
	EXPECT_EQ(0, cfg_write(b.dfd, exp + PCI_EXP_DEVCTL, 2,
			       ctl | PCI_EXP_DEVCTL_BCR_FLR));
	usleep(100 * 1000);
	cmd = cfg_read(b.dfd, PCI_COMMAND, 2);
	EXPECT_TRUE(cmd & PCI_COMMAND_MEMORY)
		TH_LOG("the user reset the device (command 0x%lx)", cmd);
	/* The rest of DevCtl stays the user's. */
	EXPECT_EQ(ctl & ~PCI_EXP_DEVCTL_BCR_FLR,
		  cfg_read(b.dfd, exp + PCI_EXP_DEVCTL, 2));
}

/*
 * A bridge is never ioasid-pci's: its windows and bus numbers decide
 * where other devices decode. The test takes a bridge no driver has
 * (intel-group's pcie-pci-bridge, intel-nosc's spare pci-bridge).
 */
TEST(bridge_refused)
{
	char path[300], buf[32], bdf[64] = "", drv[64];
	struct dirent *de;
	DIR *d;
	int rc;

	d = opendir("/sys/bus/pci/devices");
	ASSERT_NE(NULL, d);
	while (!bdf[0] && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class",
			 de->d_name);
		if (sysfs_read(path, buf, sizeof(buf)) ||
		    strtoul(buf, NULL, 0) >> 8 != 0x0604) /* PCI-to-PCI bridge */
			continue;
		driver_of(de->d_name, drv, sizeof(drv));
		if (!drv[0] && strlen(de->d_name) < sizeof(bdf))
			strcpy(bdf, de->d_name);
	}
	closedir(d);
	if (!bdf[0])
		SKIP(return, "no PCI bridge without a driver in this VM");
	rc = give_to_ioasid_pci(bdf, drv, sizeof(drv));
	give_back(bdf, "");
	EXPECT_EQ(-ENODEV, rc) TH_LOG("ioasid-pci took bridge %s", bdf);
}

/* --- isolated MSI ------------------------------------------------------- */

/*
 * Without interrupt remapping (the test VMs' IOMMUs have none) a device's
 * MSIs are not isolated: the bind is refused unless the operator set
 * ioasid.allow_unsafe_interrupts (selftests/guest.sh does).
 */
TEST_F(edu, msi_not_isolated_refused)
{
	char was[8] = "";

	ASSERT_EQ(0, sysfs_read(UNSAFE_IRQS, was, sizeof(was)))
		TH_LOG("%s: %s", UNSAFE_IRQS, strerror(errno));
	ASSERT_EQ(0, sysfs_write(UNSAFE_IRQS, "N"));
	EXPECT_EQ(-EPERM, dev_bind(self->dfd, self->fd, NULL));
	ASSERT_EQ(0, sysfs_write(UNSAFE_IRQS, "Y"));
	EXPECT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	sysfs_write(UNSAFE_IRQS, was);
}

/* --- one file drives a binding ------------------------------------------ */

/*
 * Only the open file that bound the device drives it: another opener of
 * the node (another process, a mknod copy) may read config space and ask
 * for information, not attach, detach, write config space or map BARs.
 */
TEST_F(edu, second_opener_cannot_drive)
{
	struct ioasid_device_info info;
	struct ioasid_region_info ri;
	void *p;
	int dfd2;

	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	dfd2 = open(edu_dev_path(), O_RDWR);
	ASSERT_LE(0, dfd2);
	EXPECT_EQ(-EBUSY, dev_attach(dfd2, self->ioas, 0, 0));
	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	EXPECT_EQ(-EBUSY, dev_detach(dfd2, 0, 0));
	EXPECT_EQ(-EBUSY, cfg_write(dfd2, PCI_COMMAND, 2,
				    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	p = mmap(NULL, PSZ, PROT_READ | PROT_WRITE, MAP_SHARED, dfd2,
		 region_offset(0));
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EBUSY, errno);
	if (p != MAP_FAILED)
		munmap(p, PSZ);
	/* Looking is allowed. */
	EXPECT_EQ(0x1234, cfg_read(dfd2, PCI_VENDOR_ID, 2));
	EXPECT_EQ(0, dev_info(dfd2, &info));
	EXPECT_EQ(0, region_info(dfd2, 0, &ri));
	/* Closing it leaves the binding alone. */
	close(dfd2);
	EXPECT_EQ(0, dev_detach(self->dfd, 0, 0));
	EXPECT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
}

/* --- sub-page BARs ------------------------------------------------------ */

/* QEMU's i6300esb watchdog: BAR0 is 16 bytes of memory */
#define ESB_VENDOR	0x8086
#define ESB_DEVICE	0x25ab

BORROWED_FIXTURE(esb, ESB_VENDOR, ESB_DEVICE, "i6300esb")

/*
 * A BAR smaller than a page is never mapped: the rest of its page may be
 * another device's registers. It is read and written with pread/pwrite,
 * by the binding file only.
 */
TEST_F(esb, subpage_bar_not_mapped)
{
	struct ioasid_region_info ri;
	struct borrowed b = self->b;
	void *p;

	ASSERT_EQ(0, region_info(b.dfd, 0, &ri));
	ASSERT_NE(0, ri.out_size);
	ASSERT_GT(PSZ, ri.out_size) TH_LOG("BAR0 is %llu bytes",
					   (unsigned long long)ri.out_size);
	EXPECT_FALSE(ri.out_flags & IOASID_REGION_MMAP);
	p = mmap(NULL, PSZ, PROT_READ | PROT_WRITE, MAP_SHARED, b.dfd,
		 region_offset(0));
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("a %llu-byte BAR mapped as a page",
					(unsigned long long)ri.out_size);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, PSZ);
	EXPECT_EQ(IOASID_REGION_READ | IOASID_REGION_WRITE,
		  ri.out_flags & (IOASID_REGION_READ | IOASID_REGION_WRITE));
	/* The whole BAR, and nothing past it. */
	{
		uint8_t regs[32];
		int dfd2;

		EXPECT_EQ((ssize_t)ri.out_size,
			  pread(b.dfd, regs, sizeof(regs), ri.out_offset));
		dfd2 = open_node(b.bdf);
		ASSERT_LE(0, dfd2);
		EXPECT_EQ(-1, pread(dfd2, regs, 4, ri.out_offset));
		EXPECT_EQ(EBUSY, errno);
		close(dfd2);
	}
}

/* --- reset between users ------------------------------------------------ */

/*
 * What a user leaves in the device is gone for the next one: the edu's MSI
 * message data (cleared only by a reset: the kernel does not restore MSI
 * state of a device it gave no MSIs) and its cache line size (restored to
 * the value at probe, with or without a reset). Without a reset method
 * (edus sharing a bridge) only the restore is checked.
 */
TEST_F(edu, reset_between_users)
{
	char path[300];
	unsigned int msi, data;
	long cls, flags;
	bool can_reset;
	int dfd2;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset_method",
		 edu_bdf());
	can_reset = !access(path, F_OK);
	cls = cfg_read(self->dfd, PCI_CACHE_LINE_SIZE, 1);
	ASSERT_LE(0, cls);
	msi = cfg_find_cap(self->dfd, PCI_CAP_ID_MSI);
	ASSERT_NE(0, msi);
	flags = cfg_read(self->dfd, msi + PCI_MSI_FLAGS, 2);
	data = msi + (flags & PCI_MSI_FLAGS_64BIT ? PCI_MSI_DATA_64 :
						    PCI_MSI_DATA_32);

	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	ASSERT_EQ(0, cfg_write(self->dfd, data, 2, 0x5a5a));
	ASSERT_EQ(0, cfg_write(self->dfd, PCI_CACHE_LINE_SIZE, 1, cls ^ 0x10));
	ASSERT_EQ(0x5a5a, cfg_read(self->dfd, data, 2));
	ASSERT_EQ(cls ^ 0x10, cfg_read(self->dfd, PCI_CACHE_LINE_SIZE, 1));
	close(self->dfd);
	self->dfd = -1;

	/* The next user, before and after its bind. */
	dfd2 = open(edu_dev_path(), O_RDWR);
	ASSERT_LE(0, dfd2);
	EXPECT_EQ(cls, cfg_read(dfd2, PCI_CACHE_LINE_SIZE, 1));
	if (can_reset) {
		EXPECT_EQ(0, cfg_read(dfd2, data, 2))
			TH_LOG("the previous user's MSI data survived");
	}
	ASSERT_EQ(0, dev_bind(dfd2, self->fd, NULL));
	EXPECT_EQ(cls, cfg_read(dfd2, PCI_CACHE_LINE_SIZE, 1));
	if (can_reset) {
		EXPECT_EQ(0, cfg_read(dfd2, data, 2));
	} else {
		TH_LOG("%s has no reset method: config restore only", edu_bdf());
	}
	close(dfd2);
}

TEST_HARNESS_MAIN
