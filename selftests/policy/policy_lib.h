/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the policy test programs: libbpf log capture, loading chosen
 * maps of the test object, the "policy" fixture, and finding the edu
 * device bound to ioasid-pci.
 */
#ifndef IOASID_POLICY_LIB_H
#define IOASID_POLICY_LIB_H

#include <stdarg.h>
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "../lib/util.h"
#include <linux/ioasid_device.h>
#include "ioasid_test_uapi.h"
#include "policy_test.skel.h"
#include "policy_bad.skel.h"
#include "policy_foreign.skel.h"

static char libbpf_log[65536];
static size_t libbpf_log_len;

static inline int capture_print(enum libbpf_print_level level, const char *fmt,
			 va_list args)
{
	int n;

	if (libbpf_log_len >= sizeof(libbpf_log) - 1)
		return 0;
	n = vsnprintf(libbpf_log + libbpf_log_len,
		      sizeof(libbpf_log) - libbpf_log_len, fmt, args);
	if (n > 0)
		libbpf_log_len += n;
	if (libbpf_log_len >= sizeof(libbpf_log))
		libbpf_log_len = sizeof(libbpf_log) - 1;
	return 0;
}

static inline void log_reset(void)
{
	libbpf_log_len = 0;
	libbpf_log[0] = 0;
}

/* Create exactly the named optional maps of the test object and load it. */
static inline struct policy_test *load_policies(const char *const *names, int n)
{
	struct policy_test *skel;
	struct bpf_map *map;
	int i;

	skel = policy_test__open();
	if (!skel)
		return NULL;
	bpf_object__for_each_map(map, skel->obj) {
		bool want = false;

		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		for (i = 0; i < n; i++)
			if (!strcmp(bpf_map__name(map), names[i]))
				want = true;
		bpf_map__set_autocreate(map, want);
	}
	if (policy_test__load(skel)) {
		policy_test__destroy(skel);
		return NULL;
	}
	return skel;
}

static inline struct bpf_link *attach(struct policy_test *skel, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, name);

	return map ? bpf_map__attach_struct_ops(map) : NULL;
}

FIXTURE(policy) {
	int fd;
	struct policy_test *skel;
	struct bpf_link *links[8];
	int nr_links;
};

FIXTURE_SETUP(policy)
{
	libbpf_set_print(capture_print);
	self->fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, self->fd);
	self->skel = NULL;
	self->nr_links = 0;
	sysfs_write(POLICY_SYSFS "/bypass", "0");
}

FIXTURE_TEARDOWN(policy)
{
	int i;

	for (i = 0; i < self->nr_links; i++)
		bpf_link__destroy(self->links[i]);
	if (self->skel)
		policy_test__destroy(self->skel);
	sysfs_write(POLICY_SYSFS "/bypass", "0");
	close(self->fd);
}

#define LOAD(...)                                                          \
	do {                                                               \
		static const char *const _n[] = { __VA_ARGS__ };           \
		log_reset();                                               \
		self->skel = load_policies(_n, sizeof(_n) / sizeof(_n[0])); \
		ASSERT_NE(NULL, self->skel) TH_LOG("load: %s", libbpf_log); \
	} while (0)

#define ATTACH(name)                                                       \
	do {                                                               \
		struct bpf_link *_l = attach(self->skel, name);            \
		ASSERT_NE(NULL, _l) TH_LOG("attach %s: %s", name, libbpf_log); \
		self->links[self->nr_links++] = _l;                        \
	} while (0)


/* Find the first edu device (1234:11e8); returns its BDF or -1. */
static inline long find_edu(void)
{
	char path[512], buf[64];
	struct dirent *de;
	long bdf = -1;
	DIR *d;

	d = opendir("/sys/bus/pci/devices");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		unsigned int dom, bus, dev, fn;

		if (sscanf(de->d_name, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 de->d_name);
		if (sysfs_read(path, buf, sizeof(buf)) || strcmp(buf, "0x1234"))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 de->d_name);
		if (sysfs_read(path, buf, sizeof(buf)) || strcmp(buf, "0x11e8"))
			continue;
		bdf = dom << 16 | bus << 8 | dev << 3 | fn;
		break;
	}
	closedir(d);
	return bdf;
}


/* The first edu bound to ioasid-pci, or false. */
static inline bool bound_edu(char *path, size_t len)
{
	long bdf = find_edu();
	char drv[512], link[256];
	ssize_t n;

	if (bdf < 0)
		return false;
	snprintf(drv, sizeof(drv), "/sys/bus/pci/devices/%04lx:%02lx:%02lx.%lx/driver",
		 bdf >> 16, (bdf >> 8) & 0xff, (bdf >> 3) & 0x1f, bdf & 7);
	n = readlink(drv, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	if (!strstr(link, "ioasid-pci"))
		return false;
	snprintf(path, len, "/dev/ioasid-dev/%04lx:%02lx:%02lx.%lx",
		 bdf >> 16, (bdf >> 8) & 0xff, (bdf >> 3) & 0x1f, bdf & 7);
	return true;
}


static inline int attach_bound_edu(struct __test_metadata *_metadata, int fd)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_device_bind bind = { .size = sizeof(bind), .ioasid_fd = fd };
	struct ioasid_device_attach att = { .size = sizeof(att) };
	char path[300];
	int dfd;

	if (!bound_edu(path, sizeof(path)))
		return -ENODEV;
	dfd = open(path, O_RDWR);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, ioctl(fd, IOASID_IOAS_ALLOC, &alloc));
	ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_BIND, &bind));
	att.ioas_id = alloc.out_ioas_id;
	ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_ATTACH, &att));
	return dfd;
}

static inline int flush(int fd)
{
	struct ioasid_cache_flush f = { .size = sizeof(f) };

	return ioctl(fd, IOASID_CACHE_FLUSH, &f) ? -errno : 0;
}


/* Bind the first bound edu to @fd, with an empty IOAS to attach to. */
static inline int bind_bound_edu(struct __test_metadata *_metadata, int fd,
			  __u32 *ioas)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_device_bind bind = { .size = sizeof(bind), .ioasid_fd = fd };
	char path[300];
	int dfd;

	if (!bound_edu(path, sizeof(path)))
		return -ENODEV;
	dfd = open(path, O_RDWR);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, ioctl(fd, IOASID_IOAS_ALLOC, &alloc));
	ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_BIND, &bind));
	*ioas = alloc.out_ioas_id;
	return dfd;
}



/* Load a and b, both at priority 50, so b can take a's slot. */
static inline struct policy_test *load_a_and_b(void)
{
	struct policy_test *skel = policy_test__open();
	struct bpf_map *map;

	if (!skel)
		return NULL;
	bpf_object__for_each_map(map, skel->obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map,
				!strcmp(bpf_map__name(map), "t_prio_a") ||
				!strcmp(bpf_map__name(map), "t_prio_b"));
	skel->struct_ops.t_prio_b->priority = 50;
	if (policy_test__load(skel)) {
		policy_test__destroy(skel);
		return NULL;
	}
	return skel;
}

static inline long sysfs_long(const char *path)
{
	char buf[64];

	return sysfs_read(path, buf, sizeof(buf)) ? -1 : strtol(buf, NULL, 0);
}


#endif /* IOASID_POLICY_LIB_H */
