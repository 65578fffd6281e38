/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the robustness programs: raw ioctl wrappers returning -errno
 * and the edu device bound to ioasid-pci.
 */
#ifndef IOASID_ROBUST_UTIL_H
#define IOASID_ROBUST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/ioasid.h>
#include <linux/ioasid_device.h>
#include <linux/ioasid_policy.h>
#include "ioasid_test_uapi.h"

#define PSZ 4096UL

static inline int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static inline int ioas_alloc(int fd, __u32 parent, __u32 *id)
{
	struct ioasid_ioas_alloc a = {
		.size = sizeof(a), .parent_id = parent,
		.flags = parent ? IOASID_IOAS_ALLOC_NESTED : 0,
	};
	int rc = xioctl(fd, IOASID_IOAS_ALLOC, &a);

	if (!rc)
		*id = a.out_ioas_id;
	return rc;
}

static inline int ioas_map(int fd, __u32 ioas, void *va, __u64 len, __u64 iova)
{
	struct ioasid_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .addr = (uintptr_t)va,
		.length = len, .iova = iova,
		.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE,
	};

	return xioctl(fd, IOASID_IOAS_MAP, &m);
}

static inline int ioas_map_nested(int fd, __u32 ioas, __u64 parent_iova,
				  __u64 len, __u64 iova)
{
	struct ioasid_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .addr = parent_iova,
		.length = len, .iova = iova,
		.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE,
	};

	return xioctl(fd, IOASID_IOAS_MAP, &m);
}

static inline int ioas_unmap(int fd, __u32 ioas, __u64 iova, __u64 len, __u32 flags)
{
	struct ioasid_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len,
		.flags = flags,
	};

	return xioctl(fd, IOASID_IOAS_UNMAP, &u);
}

static inline int ioas_copy(int fd, __u32 dst, __u64 dst_iova, __u32 src,
			    __u64 src_iova, __u64 len)
{
	struct ioasid_ioas_copy c = {
		.size = sizeof(c), .dst_ioas_id = dst, .src_ioas_id = src,
		.dst_iova = dst_iova, .src_iova = src_iova, .length = len,
		.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE,
	};

	return xioctl(fd, IOASID_IOAS_COPY, &c);
}

static inline int obj_destroy(int fd, __u32 id)
{
	struct ioasid_destroy d = { .size = sizeof(d), .id = id };

	return xioctl(fd, IOASID_DESTROY, &d);
}

static inline int ioas_info(int fd, __u32 id, struct ioasid_ioas_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->ioas_id = id;
	return xioctl(fd, IOASID_IOAS_GET_INFO, info);
}

static inline int dev_bind(int dfd, int fd)
{
	struct ioasid_device_bind b = { .size = sizeof(b), .ioasid_fd = fd };

	return xioctl(dfd, IOASID_DEVICE_BIND, &b);
}

static inline int dev_attach(int dfd, __u32 ioas, __u32 flags, __u32 pasid)
{
	struct ioasid_device_attach a = {
		.size = sizeof(a), .ioas_id = ioas, .flags = flags, .pasid = pasid,
	};

	return xioctl(dfd, IOASID_DEVICE_ATTACH, &a);
}

static inline int dev_detach(int dfd)
{
	struct ioasid_device_detach d = { .size = sizeof(d) };

	return xioctl(dfd, IOASID_DEVICE_DETACH, &d);
}

static inline int cache_flush(int fd)
{
	struct ioasid_cache_flush f = { .size = sizeof(f) };

	return xioctl(fd, IOASID_CACHE_FLUSH, &f);
}

/* /dev/ioasid-dev/<BDF> of the first edu bound to ioasid-pci, or NULL. */
static inline const char *edu_dev_path(void)
{
	static char path[300];
	struct dirent *e;
	DIR *d = opendir("/dev/ioasid-dev");

	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		char vpath[512], v[16] = "";
		int f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(vpath, sizeof(vpath), "/sys/bus/pci/devices/%s/device", e->d_name);
		f = open(vpath, O_RDONLY);
		if (f < 0)
			continue;
		if (read(f, v, sizeof(v) - 1) < 0)
			v[0] = 0;
		close(f);
		if (!strncmp(v, "0x11e8", 6)) {
			snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", e->d_name);
			closedir(d);
			return path;
		}
	}
	closedir(d);
	return NULL;
}

/* The test module's mock devices and software devices (ioasid_test_uapi.h). */
static inline int mock_op(int tfd, __u32 op, __u32 id, struct ioasid_test_mock *m)
{
	m->size = sizeof(*m);
	m->op = op;
	m->mock_id = id;
	return xioctl(tfd, IOASID_TEST_MOCK, m);
}

static inline int acc_op(int tfd, __u32 op, __u32 id, __u64 iova, __u64 len,
			 void *buf)
{
	struct ioasid_test_access a = {
		.size = sizeof(a), .op = op, .access_id = id, .iova = iova,
		.length = len, .uptr = (uintptr_t)buf,
	};

	return xioctl(tfd, IOASID_TEST_ACCESS, &a);
}

static inline int acc_create_attach(int tfd, int fd, __u32 ioas, __u32 flags,
				    __u32 *id)
{
	struct ioasid_test_access a = {
		.size = sizeof(a), .op = IOASID_TEST_ACCESS_CREATE,
		.ioasid_fd = fd, .flags = flags, .vendor = 0x1af4,
	};
	int rc = xioctl(tfd, IOASID_TEST_ACCESS, &a);

	if (rc)
		return rc;
	*id = a.access_id;
	a.op = IOASID_TEST_ACCESS_ATTACH;
	a.ioas_id = ioas;
	return xioctl(tfd, IOASID_TEST_ACCESS, &a);
}

#endif /* IOASID_ROBUST_UTIL_H */
