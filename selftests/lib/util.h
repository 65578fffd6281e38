/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the ioasid selftests. */
#ifndef __IOASID_SELFTEST_UTIL_H
#define __IOASID_SELFTEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/ioasid.h>
#include <linux/ioasid_policy.h>

#define POLICY_SYSFS "/sys/kernel/ioasid/policy"

/* Read a sysfs file into buf without the trailing newline; -errno on error. */
static inline int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	return 0;
}

static inline int sysfs_write(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * The BDFs of QEMU edu devices (1234:11e8) bound to ioasid-pci, in
 * directory order: up to @max names of @len bytes into @bdfs. Returns how
 * many were found.
 */
static inline int bound_edus(char (*bdfs)[64], int max)
{
	char path[300], buf[32];
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/sys/bus/pci/drivers/ioasid-pci");
	if (!d)
		return 0;
	while (n < max && (de = readdir(d))) {
		if (!strchr(de->d_name, ':') || strlen(de->d_name) >= 64)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 de->d_name);
		if (sysfs_read(path, buf, sizeof(buf)) || strcmp(buf, "0x11e8"))
			continue;
		strcpy(bdfs[n++], de->d_name);
	}
	closedir(d);
	return n;
}

/* Fill a dry-run request for a PCI device with the given IOMMU caps. */
static inline void dry_run_init(struct ioasid_policy_dry_run *dr,
				__u16 vendor, __u16 device, __u32 caps)
{
	memset(dr, 0, sizeof(*dr));
	dr->size = sizeof(*dr);
	dr->req.op = IOASID_POLICY_OP_ATTACH;
	dr->req.vendor = vendor;
	dr->req.device = device;
	dr->req.iommu_caps = caps;
	dr->req.group_size = 1;
	strcpy(dr->req.driver, "ioasid-pci");
	strcpy(dr->req.iommu_driver, "intel-iommu");
}

/* Run a dry run; returns the ioctl's result (0 or -errno). */
static inline int dry_run(int fd, struct ioasid_policy_dry_run *dr)
{
	return ioctl(fd, IOASID_POLICY_DRY_RUN, dr) ? -errno : 0;
}

#define IOASID_STATS_DIR "/sys/kernel/ioasid/stats"

/* The live counts of /sys/kernel/ioasid/stats (see kernel/stats.c). */
struct ioasid_live {
	long fds, objects, groups, domains, pasid_attachments, charged_pages;
	long accesses, access_pins;
};

static inline long ioasid_stat(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), IOASID_STATS_DIR "/%s", name);
	return sysfs_read(path, buf, sizeof(buf)) ? -1 : strtol(buf, NULL, 10);
}

static inline struct ioasid_live ioasid_live(void)
{
	return (struct ioasid_live){
		.fds = ioasid_stat("fds"),
		.objects = ioasid_stat("objects"),
		.groups = ioasid_stat("groups"),
		.domains = ioasid_stat("domains"),
		.pasid_attachments = ioasid_stat("pasid_attachments"),
		.charged_pages = ioasid_stat("charged_pages"),
		.accesses = ioasid_stat("accesses"),
		.access_pins = ioasid_stat("access_pins"),
	};
}

/* Assert (kselftest harness) that nothing is left above @base. */
#define EXPECT_NO_LEAK(base) do {					\
	struct ioasid_live _now = ioasid_live();			\
	EXPECT_EQ((base).fds, _now.fds);				\
	EXPECT_EQ((base).objects, _now.objects);			\
	EXPECT_EQ((base).groups, _now.groups);				\
	EXPECT_EQ((base).domains, _now.domains);			\
	EXPECT_EQ((base).pasid_attachments, _now.pasid_attachments);	\
	EXPECT_EQ((base).charged_pages, _now.charged_pages);		\
	EXPECT_EQ((base).accesses, _now.accesses);			\
	EXPECT_EQ((base).access_pins, _now.access_pins);		\
} while (0)

#endif /* __IOASID_SELFTEST_UTIL_H */
