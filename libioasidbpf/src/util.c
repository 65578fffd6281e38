// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Error messages, sysfs reads and parsing helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "internal.h"

static _Thread_local char errmsg[512];

int ioasidbpf_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return err;
}

IOASIDBPF_EXPORT const char *ioasidbpf_errmsg(void)
{
	return errmsg;
}

int ioasidbpf_opts_check(const void *opts, size_t user_sz, size_t known_sz,
			 const char *type)
{
	const unsigned char *p = opts;
	size_t i;

	if (user_sz < sizeof(size_t))
		return ioasidbpf_fail(-EINVAL, "%s: sz %zu is too small", type, user_sz);
	for (i = known_sz; i < user_sz; i++)
		if (p[i])
			return ioasidbpf_fail(-EINVAL,
					      "%s: sz %zu has non-zero bytes past the %zu this library knows",
					      type, user_sz, known_sz);
	return 0;
}

const char *ioasidbpf_root(const char *pin_root)
{
	return pin_root && *pin_root ? pin_root : IOASIDBPF_PIN_ROOT;
}

int ioasidbpf_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
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

int ioasidbpf_policy_link_id(const char *name)
{
	char path[PATH_MAX], buf[32];
	unsigned long id;
	char *end;

	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -ENOENT;
	snprintf(path, sizeof(path), POLICY_SYSFS "/%s/link_id", name);
	if (ioasidbpf_read_file(path, buf, sizeof(buf)))
		return -ENOENT;
	id = strtoul(buf, &end, 10);
	if (*end || !id || id > INT_MAX)
		return -ENOENT;
	return (int)id;
}

IOASIDBPF_EXPORT int ioasidbpf_parse_pci_id(const char *s, __u16 *vendor,
					    __u16 *device)
{
	unsigned int v, d;
	int n = -1;

	if (!s || sscanf(s, "%4x:%4x%n", &v, &d, &n) != 2 || n < 0 ||
	    s[n] || strlen(s) != 9)
		return ioasidbpf_fail(-EINVAL,
				      "'%s' is not VENDOR:DEVICE (4 hex digits each, e.g. 8086:0b25)",
				      s ? s : "");
	*vendor = v;
	*device = d;
	return 0;
}

IOASIDBPF_EXPORT int ioasidbpf_parse_bdf(const char *s, __u32 *bdf)
{
	unsigned int dom = 0, bus, dev, fn;
	int n = -1;

	if (!s)
		return ioasidbpf_fail(-EINVAL, "no BDF given");
	if (sscanf(s, "%4x:%2x:%2x.%1u%n", &dom, &bus, &dev, &fn, &n) != 4 ||
	    s[n]) {
		dom = 0;
		n = -1;
		if (sscanf(s, "%2x:%2x.%1u%n", &bus, &dev, &fn, &n) != 3 || s[n])
			n = -1;
	}
	if (n < 0 || dev > 0x1f || fn > 7)
		return ioasidbpf_fail(-EINVAL,
				      "'%s' is not a PCI address ([DOMAIN:]BUS:DEVICE.FUNCTION)",
				      s);
	*bdf = dom << 16 | bus << 8 | dev << 3 | fn;
	return 0;
}

IOASIDBPF_EXPORT int ioasidbpf_cgroup_id(const char *path, __u64 *id)
{
	struct statfs sfs;
	struct stat st;

	if (statfs(path, &sfs) || stat(path, &st))
		return ioasidbpf_fail(-errno, "cgroup %s: %s", path,
				      strerror(errno));
	if (sfs.f_type != CGROUP2_SUPER_MAGIC || !S_ISDIR(st.st_mode))
		return ioasidbpf_fail(-EINVAL, "%s is not a cgroup v2 directory",
				      path);
	/* On cgroup2 the directory's inode number is the cgroup id. */
	*id = st.st_ino;
	return 0;
}
