// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* What the kernel says about the policy stack, and asking it dry. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/ioasid.h>

#include "internal.h"

static int fill_one(const char *root, const char *name, __u32 prio,
		    struct ioasidbpf_status *s)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX], buf[256];
	int id, fd;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->priority = prio;
	snprintf(path, sizeof(path), POLICY_SYSFS "/%s/flags", name);
	if (!ioasidbpf_read_file(path, buf, sizeof(buf)))
		s->shadow = !strcmp(buf, "shadow");
	snprintf(path, sizeof(path), POLICY_SYSFS "/%s/state", name);
	if (!ioasidbpf_read_file(path, buf, sizeof(buf)))
		s->errored = !strcmp(buf, "errored");
	snprintf(path, sizeof(path), POLICY_SYSFS "/%s/verdicts", name);
	if (!ioasidbpf_read_file(path, buf, sizeof(buf)) &&
	    sscanf(buf, "allow %" SCNu64 " deny %" SCNu64 " defer %" SCNu64
		   " error %" SCNu64, (uint64_t *)&s->allow, (uint64_t *)&s->deny,
		   (uint64_t *)&s->defer, (uint64_t *)&s->error) != 4)
		return ioasidbpf_fail(-EPROTO, "unexpected verdicts of %s: %s", name, buf);
	snprintf(path, sizeof(path), POLICY_SYSFS "/%s/last_error", name);
	ioasidbpf_read_file(path, s->last_error, sizeof(s->last_error));
	id = ioasidbpf_policy_link_id(name);
	if (id < 0)
		return -ENOENT;	/* unregistered meanwhile */
	s->link_id = id;
	fd = bpf_link_get_fd_by_id(id);
	if (fd >= 0) {
		if (!bpf_link_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_LINK_TYPE_STRUCT_OPS)
			s->map_id = info.struct_ops.map_id;
		close(fd);
	}
	if (snprintf(s->pin_path, sizeof(s->pin_path), "%s/links/%s", root,
		     name) >= (int)sizeof(s->pin_path) || access(s->pin_path, F_OK))
		s->pin_path[0] = 0;
	return 0;
}

static int status_once(const char *root, struct ioasidbpf_status **out,
		       bool *raced);

IOASIDBPF_EXPORT int ioasidbpf_status(const char *pin_root,
				      struct ioasidbpf_status **out)
{
	const char *root = ioasidbpf_root(pin_root);
	bool raced = false;
	int n, tries;

	/*
	 * A replace renames a policy's sysfs entry while we read: a name in
	 * the stack without its directory means read again.
	 */
	for (tries = 0; tries < 5; tries++) {
		n = status_once(root, out, &raced);
		if (n < 0 || !raced)
			return n;
		free(*out);
		*out = NULL;
		raced = false;
	}
	return status_once(root, out, &raced);
}

static int status_once(const char *root, struct ioasidbpf_status **out,
		       bool *raced)
{
	struct ioasidbpf_status *all = NULL, *grown;
	char stack[8192], *line, *save = NULL;
	int n = 0, err;

	*out = NULL;
	err = ioasidbpf_read_file(POLICY_SYSFS "/stack", stack, sizeof(stack));
	if (err)
		return ioasidbpf_fail(err == -ENOENT ? -ENOENT : err,
				      "cannot read %s: %s%s", POLICY_SYSFS "/stack",
				      strerror(-err),
				      err == -ENOENT ? " (is the ioasid module loaded?)" : "");
	/* "NAME PRIORITY STATE [shadow]" per line, in the order asked. */
	for (line = strtok_r(stack, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[IOASID_POLICY_NAME_LEN];
		unsigned int prio;

		if (sscanf(line, "%15s %u", name, &prio) != 2)
			continue;	/* the built-in: "builtin - active" */
		grown = realloc(all, (n + 1) * sizeof(*all));
		if (!grown) {
			free(all);
			return ioasidbpf_fail(-ENOMEM, "out of memory");
		}
		all = grown;
		err = fill_one(root, name, prio, &all[n]);
		if (err == -ENOENT) {
			*raced = true;
			continue;
		}
		if (err) {
			free(all);
			return err;
		}
		n++;
	}
	*out = all;
	return n;
}

IOASIDBPF_EXPORT int ioasidbpf_bypass(int set)
{
	char buf[8];
	int fd, err;

	if (set >= 0) {
		fd = open(POLICY_SYSFS "/bypass", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return ioasidbpf_fail(-errno, "kill switch: %s", strerror(errno));
		err = write(fd, set ? "1" : "0", 1) == 1 ? 0 : -errno;
		close(fd);
		if (err)
			return ioasidbpf_fail(err, "kill switch: %s", strerror(-err));
	}
	err = ioasidbpf_read_file(POLICY_SYSFS "/bypass", buf, sizeof(buf));
	if (err)
		return ioasidbpf_fail(err, "kill switch: %s", strerror(-err));
	return buf[0] == '1' || buf[0] == 'Y';
}

/* /dev/ioasid, or a negative errno said with its likely cause. */
static int open_ioasid(void)
{
	int fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return ioasidbpf_fail(-errno, "/dev/ioasid: %s%s", strerror(errno),
				      errno == ENOENT ? " (is the ioasid module loaded?)" : "");
	return fd;
}

IOASIDBPF_EXPORT int ioasidbpf_dry_run(struct ioasid_policy_dry_run *dr)
{
	int fd, err = 0;

	fd = open_ioasid();
	if (fd < 0)
		return fd;
	dr->size = sizeof(*dr);
	if (ioctl(fd, IOASID_POLICY_DRY_RUN, dr)) {
		err = -errno;
		if (err == -EPERM)
			ioasidbpf_fail(err, "a dry run needs CAP_SYS_ADMIN");
		else if (err == -ENODEV)
			ioasidbpf_fail(err, "no such PCI device, or it has no IOMMU");
		else
			ioasidbpf_fail(err, "dry run: %s", strerror(-err));
	}
	close(fd);
	return err;
}

IOASIDBPF_EXPORT int ioasidbpf_revalidate(struct ioasid_policy_revalidate *out)
{
	struct ioasid_policy_revalidate r = { .size = sizeof(r) };
	int fd, err = 0;

	fd = open_ioasid();
	if (fd < 0)
		return fd;
	if (ioctl(fd, IOASID_POLICY_REVALIDATE, &r)) {
		err = -errno;
		if (err == -EPERM)
			ioasidbpf_fail(err, "revalidating attachments needs CAP_SYS_ADMIN");
		else if (err == -ENOTTY)
			ioasidbpf_fail(err, "the ioasid module cannot revalidate (it predates IOASID_POLICY_REVALIDATE)");
		else
			ioasidbpf_fail(err, "revalidate: %s", strerror(-err));
	} else if (out) {
		*out = r;
	}
	close(fd);
	return err;
}
