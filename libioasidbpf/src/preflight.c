// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* What must hold before a policy can be loaded, each with a clear error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>

#include "internal.h"

/* CAP_BPF (or CAP_SYS_ADMIN) in the effective set. */
static bool may_load_bpf(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	return data[CAP_BPF / 32].effective & (1U << (CAP_BPF % 32)) ||
	       data[CAP_SYS_ADMIN / 32].effective & (1U << (CAP_SYS_ADMIN % 32));
}

static bool on_bpffs(const char *path)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && sfs.f_type == BPF_FS_MAGIC;
}

IOASIDBPF_EXPORT int ioasidbpf_preflight(const char *pin_root)
{
	const char *root = ioasidbpf_root(pin_root);
	char buf[32], parent[PATH_MAX], *slash;
	struct stat st;
	unsigned long abi;

	if (stat("/sys/module/ioasid", &st))
		return ioasidbpf_fail(-ENOENT,
				      "the ioasid module is not loaded (modprobe ioasid)");
	if (stat("/sys/kernel/btf/ioasid", &st))
		return ioasidbpf_fail(-ENOENT,
				      "the ioasid module has no BTF (/sys/kernel/btf/ioasid): rebuild it with BTF");
	if (ioasidbpf_read_file(POLICY_SYSFS "/abi_version", buf, sizeof(buf)))
		return ioasidbpf_fail(-EPROTO,
				      "the ioasid module reports no policy ABI version: it predates this library");
	abi = strtoul(buf, NULL, 10);
	if (abi != IOASID_POLICY_ABI_VERSION)
		return ioasidbpf_fail(-EPROTO,
				      "policy ABI mismatch: the module speaks %lu, this library %u",
				      abi, IOASID_POLICY_ABI_VERSION);
	if (libbpf_major_version() < 1 ||
	    (libbpf_major_version() == 1 && libbpf_minor_version() < 5))
		return ioasidbpf_fail(-ENOTSUP, "libbpf %s is too old: 1.5 or later needed",
				      libbpf_version_string());
	if (!may_load_bpf())
		return ioasidbpf_fail(-EPERM,
				      "loading policies needs CAP_BPF or CAP_SYS_ADMIN (run as root)");
	snprintf(parent, sizeof(parent), "%s", root);
	while (stat(parent, &st)) {
		slash = strrchr(parent, '/');
		if (!slash || slash == parent)
			break;
		*slash = 0;
	}
	if (!on_bpffs(parent))
		return ioasidbpf_fail(-ENODEV,
				      "%s is not on a bpffs: mount one (mount -t bpf bpf /sys/fs/bpf)",
				      parent);
	return 0;
}

IOASIDBPF_EXPORT int ioasidbpf_mount_bpffs(void)
{
	if (on_bpffs("/sys/fs/bpf"))
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return ioasidbpf_fail(-errno, "mount bpffs on /sys/fs/bpf: %s",
				      strerror(errno));
	return 0;
}
