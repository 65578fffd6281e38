// SPDX-License-Identifier: GPL-2.0
/*
 * demo_attach: what a VMM does with a device, in the demo's words. Opens
 * /dev/ioasid and the device fd, binds, attaches to a fresh IOAS, prints
 * the decision the policies applied, then asks for N cache flushes and
 * prints each answer. Everything is released at exit.
 *
 *   demo_attach /dev/ioasid-dev/BDF [FLUSHES]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/ioasid.h>
#include <linux/ioasid_device.h>

static const char *snoop(__u32 s)
{
	return s == IOASID_SNOOP_ENFORCE ? "enforced" :
	       s == IOASID_SNOOP_ALLOW_NOSNOOP ? "no-snoop allowed" : "default";
}

int main(int argc, char **argv)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_device_bind bind = { .size = sizeof(bind) };
	struct ioasid_device_attach att = { .size = sizeof(att) };
	struct ioasid_device_info info = { .size = sizeof(info) };
	const struct ioasid_policy_decision *d = &info.out_decision;
	int fd, dfd, i, n = argc > 2 ? atoi(argv[2]) : 0, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: demo_attach /dev/ioasid-dev/BDF [FLUSHES]\n");
		return 2;
	}
	fd = open("/dev/ioasid", O_RDWR);
	dfd = open(argv[1], O_RDWR);
	if (fd < 0 || dfd < 0) {
		perror("open");
		return 1;
	}
	bind.ioasid_fd = fd;
	if (ioctl(fd, IOASID_IOAS_ALLOC, &alloc) || ioctl(dfd, IOASID_DEVICE_BIND, &bind)) {
		perror("alloc/bind");
		return 1;
	}
	att.ioas_id = alloc.out_ioas_id;
	rc = ioctl(dfd, IOASID_DEVICE_ATTACH, &att) ? -errno : 0;
	ioctl(dfd, IOASID_DEVICE_GET_INFO, &info);
	if (rc) {
		printf("attach refused (%s) by %s: %s\n", strerror(-rc), d->policy, d->reason);
		return 0;
	}
	printf("attached; decided by %s: snoop %s, cache flush %s", d->policy, snoop(d->snoop),
	       d->flags & IOASID_DECISION_FLUSH_GRANT ? "granted" : "not granted");
	if (d->flags & IOASID_DECISION_FLUSH_GRANT && d->flush_rate)
		printf(" (%u/s, burst %u)", d->flush_rate, d->flush_burst);
	printf("\n  reason: %s\n", d->reason);
	for (i = 1; i <= n; i++) {
		struct ioasid_cache_flush f = { .size = sizeof(f) };

		if (ioctl(fd, IOASID_CACHE_FLUSH, &f))
			printf("  cache flush %d: %s (%s)\n", i, strerrorname_np(errno),
			       errno == EPERM ? "no grant" : errno == EAGAIN ?
			       "over the granted rate" : strerror(errno));
		else
			printf("  cache flush %d: done on %u CPU%s\n", i, f.out_nr_cpus,
			       f.out_nr_cpus == 1 ? "" : "s");
	}
	close(dfd);
	close(fd);
	return 0;
}
