// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroup paths as operators write them: a cgroup v2 directory
 * (/sys/fs/cgroup/ops), or the path /proc/PID/cgroup shows ("0::/ops" or
 * "/ops"), relative to where cgroup2 is mounted.
 */
#include <errno.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "ioasidctl.h"

/* The first cgroup2 mount point: 0, or -1 if there is none. */
static int cgroup2_mount(char *buf, size_t len)
{
	struct mntent *m;
	FILE *f = setmntent("/proc/self/mounts", "r");
	int rc = -1;

	if (!f)
		return -1;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, len, "%s", m->mnt_dir);
			rc = 0;
			break;
		}
	}
	endmntent(f);
	return rc;
}

int cgroup_path_id(const char *path, __u64 *id)
{
	char mnt[PATH_MAX], full[2 * PATH_MAX];
	const char *rel = path;
	struct statfs sfs;
	int err;

	if (!strncmp(path, "0::", 3))
		rel = path + 3;
	else if (!statfs(path, &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return ioasidbpf_cgroup_id(path, id) ? usage_error("%s", ioasidbpf_errmsg()) : 0;
	if (rel[0] != '/')
		return usage_error("cgroup '%s': want a cgroup v2 directory or its path as /proc/self/cgroup shows it (/ops, 0::/ops)",
				   path);
	if (cgroup2_mount(mnt, sizeof(mnt)))
		return usage_error("cgroup '%s': no cgroup2 file system is mounted", path);
	snprintf(full, sizeof(full), "%s%s", mnt, strcmp(rel, "/") ? rel : "");
	err = ioasidbpf_cgroup_id(full, id);
	if (err)
		return usage_error("cgroup '%s' (%s): %s", path, full,
				   err == -ENOENT ? "no such cgroup" : ioasidbpf_errmsg());
	return 0;
}
