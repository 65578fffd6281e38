// SPDX-License-Identifier: GPL-2.0
/*
 * Privilege: what an unprivileged user (nobody) cannot do. Each case runs
 * in a child that drops to uid/gid 65534 after root set up what it needs.
 * Prints TAP.
 */
#include <sys/wait.h>
#include <bpf/libbpf.h>

#include <stdarg.h>

#include <grp.h>

#include "../lib/ioasid_util.h"

static int tap, failed;

static void report(const char *name, int code, const char *why)
{
	if (code == 0)
		printf("ok %d priv.%s\n", ++tap, name);
	else if (code == 77)
		printf("ok %d priv.%s # SKIP %s\n", ++tap, name, why);
	else {
		printf("# %s: check %d failed\n", name, code);
		printf("not ok %d priv.%s\n", ++tap, name);
		failed++;
	}
}

static void drop(void)
{
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		_exit(50);
}

/* Run @fn as nobody in a child; its exit code is the result. */
static int as_nobody(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		drop();
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 99;
	return WEXITSTATUS(status);
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* Loading a default policy object as nobody: the kernel refuses. */
static int policy_load_refused(void *obj_path)
{
	struct bpf_object *obj;
	int rc;

	libbpf_set_print(silent);
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj)
		return 1;
	rc = bpf_object__load(obj);
	bpf_object__close(obj);
	if (rc != -EPERM && rc != -EACCES) {
		printf("# load as nobody: %d\n", rc);
		return 2;
	}
	return 0;
}

static int device_needs_cdev_access(void *path)
{
	int dfd = open(path, O_RDWR);

	if (dfd >= 0 || errno != EACCES)
		return 1;
	return 0;
}

static int flush_needs_grant(void *unused)
{
	int fd = open("/dev/ioasid", O_RDWR);

	if (fd < 0)
		return 1;
	if (cache_flush(fd, NULL) != -EPERM)
		return 2;
	close(fd);
	return 0;
}

static int other_fd_objects_unreachable(void *unused)
{
	struct ioasid_ioas_info info;
	char *mem = mmap(NULL, PSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd1 = open("/dev/ioasid", O_RDWR), fd2 = open("/dev/ioasid", O_RDWR);
	__u32 a = 0;

	if (fd1 < 0 || fd2 < 0 || mem == MAP_FAILED)
		return 1;
	if (ioas_alloc(fd1, 0, 0, &a) || map_fixed(fd1, a, U(mem), PSZ, 0x100000, RW))
		return 2;
	/* The same id means nothing in another fd. */
	if (get_info(fd2, a, &info) != -ENOENT)
		return 3;
	if (unmap(fd2, a, 0x100000, PSZ, 0, NULL) != -ENOENT)
		return 4;
	if (destroy(fd2, a) != -ENOENT)
		return 5;
	if (get_info(fd1, a, &info) || info.out_nr_mappings != 1)
		return 6;
	return 0;
}

static int dry_run_and_kill_switch_refused(void *unused)
{
	struct ioasid_policy_dry_run dr = { .size = sizeof(dr) };
	struct ioasid_policy_revalidate rv = { .size = sizeof(rv) };
	int fd = open("/dev/ioasid", O_RDWR), k;

	if (fd < 0)
		return 1;
	dr.req.op = IOASID_POLICY_OP_ATTACH;
	if (xioctl(fd, IOASID_POLICY_DRY_RUN, &dr) != -EPERM)
		return 2;
	/* Re-deciding every user's attachments is an operator's act. */
	if (xioctl(fd, IOASID_POLICY_REVALIDATE, &rv) != -EPERM)
		return 5;
	k = open("/sys/kernel/ioasid/policy/bypass", O_WRONLY);
	if (k >= 0) {
		if (write(k, "1", 1) == 1)
			return 3;
		close(k);
	} else if (errno != EACCES) {
		return 4;
	}
	return 0;
}

int main(void)
{
	const char *edu = edu_dev_path();
	char obj[512];

	snprintf(obj, sizeof(obj), "%s/bpf/vfio_compat.bpf.o", getenv("B") ?: "build");

	printf("TAP version 13\n1..5\n");
	if (geteuid()) {
		printf("# must start as root to drop privileges\n");
		return 1;
	}
	report("policy_load_refused", as_nobody(policy_load_refused, obj), NULL);
	report("device_needs_cdev_access",
	       edu ? as_nobody(device_needs_cdev_access, (void *)edu) : 77,
	       "no edu bound to ioasid-pci");
	report("flush_needs_grant", as_nobody(flush_needs_grant, NULL), NULL);
	report("other_fd_objects_unreachable", as_nobody(other_fd_objects_unreachable, NULL),
	       NULL);
	report("dry_run_and_kill_switch_refused",
	       as_nobody(dry_run_and_kill_switch_refused, NULL), NULL);
	return failed ? 1 : 0;
}
