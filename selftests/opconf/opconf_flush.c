// SPDX-License-Identifier: GPL-2.0
/*
 * opconf_flush: a helper of the opconf suite (not a test): bind the first
 * edu given to ioasid-pci to a new ioasid fd, attach it to an empty IOAS,
 * ask one IOASID_CACHE_FLUSH and print "pid PID flush RC" (RC 0 or the
 * negative errno), for the suite to find the flush's decision record.
 * Exit status 0 when the flush was asked, 2 when the setup failed.
 */
#include "../lib/ioasid_util.h"

int main(void)
{
	const char *path = edu_dev_path();
	int fd, dfd, rc;
	__u32 ioas;

	if (!path) {
		fprintf(stderr, "no edu bound to ioasid-pci\n");
		return 2;
	}
	fd = open("/dev/ioasid", O_RDWR);
	dfd = open(path, O_RDWR);
	if (fd < 0 || dfd < 0) {
		perror("open");
		return 2;
	}
	rc = ioas_alloc(fd, 0, 0, &ioas);
	if (!rc)
		rc = dev_bind(dfd, fd, NULL);
	if (!rc)
		rc = dev_attach(dfd, ioas, 0, 0);
	if (rc) {
		fprintf(stderr, "setup: %s\n", strerror(-rc));
		return 2;
	}
	rc = cache_flush(fd, NULL);
	printf("pid %d flush %d\n", getpid(), rc);
	close(dfd);
	close(fd);
	return 0;
}
