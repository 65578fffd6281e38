// SPDX-License-Identifier: GPL-2.0
/*
 * DESTROY against a driver's own removal (issue 15, bug 4). A device or
 * access object belongs to its driver; user space must not destroy it. One
 * thread binds and unbinds (an edu through ioasid-pci, a mock device
 * through the test module) or creates and destroys an access, while another
 * loops IOASID_DESTROY on the ids that thread is given. DESTROY must give
 * EBUSY (a live device or access) or ENOENT (already gone), never succeed:
 * it used to win the instant between the driver dropping its reference and
 * removing the object, freeing it under the driver (a use-after-free under
 * KASAN, a WARN without). The serial log scan catches the WARN.
 *
 *   destroy_race_test [SECONDS_PER_RACE]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "../lib/ioasid_util.h"

static int fd;			/* the /dev/ioasid every object lives in */
static atomic_uint cur_id;	/* the id the driver side was just given */
static atomic_int stop;

struct destroyer {
	long calls, busy, noent, destroyed;
	int other;		/* first errno that is neither */
};

static void *destroy_loop(void *arg)
{
	struct destroyer *d = arg;

	while (!atomic_load(&stop)) {
		unsigned int id = atomic_load(&cur_id), k;

		/* The current id and the next few (ids grow cyclically). */
		for (k = 0; id && k < 3; k++) {
			int rc = destroy(fd, id + k);

			d->calls++;
			if (!rc)
				d->destroyed++;
			else if (rc == -EBUSY)
				d->busy++;
			else if (rc == -ENOENT)
				d->noent++;
			else if (!d->other)
				d->other = -rc;
		}
	}
	return NULL;
}

enum race { RACE_EDU, RACE_MOCK, RACE_ACCESS };

/* One bind (create) and unbind (destroy) cycle; 0 or -errno. */
static int cycle(enum race r, const char *edu, int tfd, __u32 mock)
{
	struct ioasid_test_mock m = { 0 };
	struct ioasid_test_access a = { 0 };
	struct ioasid_device_bind b = { .size = sizeof(b) };
	int rc, dfd;

	switch (r) {
	case RACE_EDU:
		dfd = open(edu, O_RDWR);
		if (dfd < 0)
			return -errno;
		b.ioasid_fd = fd;
		rc = xioctl(dfd, IOASID_DEVICE_BIND, &b);
		if (!rc)
			atomic_store(&cur_id, b.out_dev_id);
		close(dfd);	/* unbinds */
		return rc;
	case RACE_MOCK:
		m.ioasid_fd = fd;
		m.vendor = 0x1af4;
		rc = mock_op(tfd, IOASID_TEST_MOCK_BIND, mock, &m);
		if (rc)
			return rc;
		atomic_store(&cur_id, m.out_dev_id);
		return mock_op(tfd, IOASID_TEST_MOCK_UNBIND, mock, &m);
	default:
		a.size = sizeof(a);
		a.op = IOASID_TEST_ACCESS_CREATE;
		a.ioasid_fd = fd;
		a.vendor = 0x1af4;
		rc = xioctl(tfd, IOASID_TEST_ACCESS, &a);
		if (rc)
			return rc;
		atomic_store(&cur_id, a.out_obj_id);
		return acc_op(tfd, IOASID_TEST_ACCESS_DESTROY, a.access_id, 0, 0, NULL, 0);
	}
}

static int race(int t, const char *name, enum race r, const char *edu, long seconds)
{
	struct ioasid_test_mock m = { .pasid_bits = 0 };
	struct destroyer d = { 0 };
	struct timespec start, now;
	long cycles = 0;
	int tfd = -1, bad = 0;
	__u32 mock = 0;
	pthread_t th;

	if (r != RACE_EDU) {
		tfd = open("/dev/ioasid_test", O_RDWR);
		if (tfd < 0 || (r == RACE_MOCK && mock_op(tfd, IOASID_TEST_MOCK_CREATE, 0, &m))) {
			printf("not ok %d destroy_race.%s # setup: %s\n", t, name, strerror(errno));
			return 1;
		}
		mock = m.mock_id;
	}
	fd = open("/dev/ioasid", O_RDWR);
	if (fd < 0) {
		printf("not ok %d destroy_race.%s # open: %s\n", t, name, strerror(errno));
		return 1;
	}
	atomic_store(&stop, 0);
	atomic_store(&cur_id, 0);
	pthread_create(&th, NULL, destroy_loop, &d);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		int rc = cycle(r, edu, tfd, mock);

		if (rc && !bad) {
			printf("# %s: bind/unbind cycle %ld: %s\n", name, cycles, strerror(-rc));
			bad = 1;
		}
		cycles++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (!bad && now.tv_sec - start.tv_sec < seconds);
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	printf("# %s: %ld cycles; DESTROY: %ld calls, %ld EBUSY, %ld ENOENT, %ld destroyed\n",
	       name, cycles, d.calls, d.busy, d.noent, d.destroyed);
	if (d.other)
		printf("# %s: DESTROY gave %s\n", name, strerror(d.other));
	if (d.destroyed)
		printf("# %s: DESTROY removed a driver's object\n", name);
	bad |= d.destroyed || d.other || !d.busy || cycles < 10;
	close(fd);
	if (tfd >= 0)
		close(tfd);
	printf("%s %d destroy_race.%s\n", bad ? "not ok" : "ok", t, name);
	return bad;
}

int main(int argc, char **argv)
{
	long seconds = argc > 1 ? atol(argv[1]) : 4;
	const char *edu = edu_dev_path();
	int failed = 0;

	printf("TAP version 13\n1..3\n");
	if (edu)
		failed += race(1, "edu_bind_close", RACE_EDU, edu, seconds);
	else
		printf("ok 1 destroy_race.edu_bind_close # SKIP no edu bound to ioasid-pci\n");
	failed += race(2, "mock_bind_unbind", RACE_MOCK, NULL, seconds);
	failed += race(3, "access_create_destroy", RACE_ACCESS, NULL, seconds);
	return failed ? 1 : 0;
}
