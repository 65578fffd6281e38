// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency stress: threads doing map/unmap, copy, nested alloc/map/
 * destroy, attach/detach/replace of the edu device, fd open/close, and
 * policy load/replace/unload (libioasidbpf), a software device pinning
 * and reading (its pins revoked by the unmapping threads), and mock devices
 * attaching at RIDs and PASIDs and running kernel PASID contexts, at once
 * on shared objects, bounded by iterations and by time. Errnos a race may legitimately give
 * (EBUSY, ENOENT, EEXIST, ...) are counted; any other is a failure, and
 * the VM's serial log must stay free of reports.
 *
 * The races must not starve the work: IOAS a has a base of BASE_PAGES
 * pages the copy, nested, access and mock workers use, which the map
 * workers only take away one page at a time and map back at once (so pins
 * are still revoked and nested maps still race their parent), while their
 * own churn is elsewhere (CHURN in a, the same IOVAs in b). Every worker
 * must see at least its min_pct of calls succeed: a worker that only
 * collects refusals tests nothing.
 *
 *   stress_test [SECONDS] [ITERATIONS_PER_THREAD]
 */
#include <pthread.h>
#include <time.h>
#include <ioasidbpf.h>

#include "../lib/ioasid_util.h"

#define ROOT "/sys/fs/bpf/ioasid-stress"

static int shared_fd;
static __u32 ioas_a, ioas_b;
static char *mem;
static volatile int stop;
static long deadline_s, max_iter = 3000;
static const char *edu;

#define BASE 0x1000000UL
#define BASE_PAGES 32
#define CHURN 0x2000000UL

struct worker {
	const char *name;
	void (*step)(struct worker *w, unsigned int *seed);
	int min_pct;	/* of its calls that must succeed */
	long ops;
	long calls;
	long expected_errors;
	int bad_errno;
	const char *bad_what;
};

static bool expected(int rc)
{
	return !rc || rc == -EBUSY || rc == -ENOENT || rc == -EEXIST ||
	       rc == -EINVAL || rc == -ENOSPC || rc == -EADDRINUSE ||
	       rc == -EPERM || rc == -EAGAIN || rc == -EALREADY || rc == -ENXIO;
}

static void note(struct worker *w, int rc, const char *what)
{
	w->calls++;
	if (rc)
		w->expected_errors++;
	if (!expected(rc) && !w->bad_errno) {
		w->bad_errno = -rc;
		w->bad_what = what;
	}
}

static void step_map(struct worker *w, unsigned int *seed)
{
	__u32 ioas = rand_r(seed) & 1 ? ioas_a : ioas_b;
	__u64 iova = (ioas == ioas_a ? CHURN : BASE) + (rand_r(seed) % 16) * PSZ;

	/*
	 * One in four: take a base page away under the other workers (a
	 * pin on it is revoked, a nested map of it races) and map it back.
	 */
	if (rand_r(seed) % 4 == 0) {
		__u64 off = (rand_r(seed) % BASE_PAGES) * PSZ;

		note(w, unmap(shared_fd, ioas_a, BASE + off, PSZ, IOASID_UNMAP_ALLOW_SPLIT, NULL),
		     "base unmap");
		note(w, map_fixed(shared_fd, ioas_a, U(mem + off), PSZ, BASE + off, RW),
		     "base map");
	}
	note(w, map_fixed(shared_fd, ioas, U(mem + (rand_r(seed) % 8) * PSZ), PSZ, iova, RW), "map");
	note(w, unmap(shared_fd, ioas, iova, PSZ * (1 + rand_r(seed) % 4),
			   IOASID_UNMAP_ALLOW_SPLIT, NULL), "unmap");
}

static void step_copy(struct worker *w, unsigned int *seed)
{
	__u64 off = (rand_r(seed) % BASE_PAGES) * PSZ;
	/* One in four from the map workers' churn: a race, mostly lost. */
	__u64 src = rand_r(seed) % 4 ? BASE : CHURN;
	int rc;

	rc = copy_fixed(shared_fd, ioas_b, ioas_a, src + off, PSZ, 0x4000000 + off, RW);
	note(w, rc, "copy");
	if (!rc)
		note(w, unmap(shared_fd, ioas_b, 0x4000000 + off, PSZ, 0, NULL), "unmap copy");
}

static void step_nested(struct worker *w, unsigned int *seed)
{
	__u32 child = 0;
	int rc = ioas_alloc(shared_fd, IOASID_IOAS_ALLOC_NESTED, ioas_a, &child);

	note(w, rc, "nested alloc");
	if (rc)
		return;
	note(w, map_fixed(shared_fd, child, BASE + (rand_r(seed) % BASE_PAGES) * PSZ,
				PSZ, 0x8000000, RW), "nested map");
	note(w, destroy(shared_fd, child), "nested destroy");
}

static int dfd = -1;

static void step_device(struct worker *w, unsigned int *seed)
{
	int rc;

	if (dfd < 0) {
		dfd = open(edu, O_RDWR);
		if (dfd < 0 || dev_bind(dfd, shared_fd, NULL))
			return;
	}
	rc = dev_attach(dfd, ioas_a, 0, 0);
	note(w, rc == -EBUSY ? 0 : rc, "attach");
	note(w, dev_attach(dfd, rand_r(seed) & 1 ? ioas_b : ioas_a,
			   IOASID_ATTACH_REPLACE, 0), "replace");
	note(w, dev_detach(dfd, 0, 0), "detach");
	if (rand_r(seed) % 16 == 0) {
		close(dfd);
		dfd = -1;
	}
}

static void step_fds(struct worker *w, unsigned int *seed)
{
	int fd = open("/dev/ioasid", O_RDWR);
	__u32 a = 0, c = 0;

	if (fd < 0) {
		note(w, -errno, "open");
		return;
	}
	note(w, ioas_alloc(fd, 0, 0, &a), "alloc");
	note(w, map_fixed(fd, a, U(mem), 2 * PSZ, 0x100000, RW), "map");
	note(w, ioas_alloc(fd, IOASID_IOAS_ALLOC_NESTED, a, &c), "nested alloc");
	note(w, map_fixed(fd, c, 0x100000, PSZ, 0x200000, RW), "nested map");
	/* Close with a live tree half the time. */
	if (rand_r(seed) & 1)
		note(w, destroy(fd, c), "destroy");
	close(fd);
}

static void step_policy(struct worker *w, unsigned int *seed)
{
	static const char *const names[] = { "vfio_compat", "strict", "nosnoop_rules" };
	struct ioasidbpf_open_opts o = { .sz = sizeof(o), .pin_root = ROOT };
	struct ioasidbpf_status *st = NULL;
	struct ioasidbpf_policy *p;
	int n, rc;

	n = ioasidbpf_status(ROOT, &st);
	if (n < 0) {
		note(w, n, "status");
		return;
	}
	if (!n || rand_r(seed) % 3 == 0) {
		if (n)
			note(w, ioasidbpf_unload(st[0].name, ROOT), "unload");
		rc = ioasidbpf_policy_open(names[rand_r(seed) % 3], &o, &p);
		if (!rc) {
			note(w, ioasidbpf_policy_attach(p), "load");
			ioasidbpf_policy_close(p);
		}
	} else {
		rc = ioasidbpf_policy_open(names[rand_r(seed) % 3], &o, &p);
		if (!rc) {
			note(w, ioasidbpf_policy_replace(p, st[0].name), "replace");
			ioasidbpf_policy_close(p);
		}
	}
	free(st);
}

/*
 * A software device on ioasid_a (the map_unmap workers unmap under it, so
 * its pins are revoked and called back at random): pin, read, unpin,
 * sometimes detach and re-attach.
 */
static int acc_tfd = -1;
static __u32 acc_id;

static void step_access(struct worker *w, unsigned int *seed)
{
	__u64 iova = BASE + (rand_r(seed) % 16) * PSZ + rand_r(seed) % 512;
	__u64 len = 1 + rand_r(seed) % (3 * PSZ);
	char buf[3 * PSZ];
	int rc;

	if (acc_tfd < 0) {
		acc_tfd = open("/dev/ioasid_test", O_RDWR);
		note(w, acc_tfd < 0 ? -errno : acc_create_attach(acc_tfd, shared_fd,
								 ioas_a, 0, &acc_id),
		     "access create");
		return;
	}
	switch (rand_r(seed) % 8) {
	case 0: {
		struct ioasid_test_access a = {
			.size = sizeof(a), .op = IOASID_TEST_ACCESS_ATTACH,
			.access_id = acc_id, .ioas_id = ioas_a,
		};

		note(w, acc_op(acc_tfd, IOASID_TEST_ACCESS_DETACH, acc_id, 0, 0, NULL, 0),
		     "access detach");
		note(w, xioctl(acc_tfd, IOASID_TEST_ACCESS, &a), "access attach");
		break;
	}
	case 1:
	case 2:
		note(w, acc_op(acc_tfd, IOASID_TEST_ACCESS_READ, acc_id, iova, len, buf, 0),
		     "access read");
		break;
	default:
		rc = acc_op(acc_tfd, IOASID_TEST_ACCESS_PIN, acc_id, iova, len, NULL, 0);
		note(w, rc, "access pin");
		if (!rc)
			note(w, acc_op(acc_tfd, IOASID_TEST_ACCESS_UNPIN, acc_id, iova,
				       len, NULL, 0), "access unpin");
	}
}

/*
 * A mock device with PASIDs bound to the shared fd, and a kernel-owned one
 * with PASID contexts: attach, replace, PASID attach/detach, DMA, contexts.
 */
static int mock_tfd = -1;
static __u32 mock_user, mock_kernel;

static void step_mock(struct worker *w, unsigned int *seed)
{
	struct ioasid_test_mock m = { 0 };
	__u32 pasid = 1 + rand_r(seed) % 4;
	char buf[256];

	if (mock_tfd < 0) {
		mock_tfd = open("/dev/ioasid_test", O_RDWR);
		m.pasid_bits = 4;
		m.flags = IOASID_TEST_MOCK_COHERENT;
		note(w, mock_tfd < 0 ? -errno :
		     mock_op(mock_tfd, IOASID_TEST_MOCK_CREATE, 0, &m), "mock create");
		mock_user = m.mock_id;
		note(w, mock_op(mock_tfd, IOASID_TEST_MOCK_CREATE, 0, &m), "mock create");
		mock_kernel = m.mock_id;
		m.ioasid_fd = shared_fd;
		note(w, mock_op(mock_tfd, IOASID_TEST_MOCK_BIND, mock_user, &m), "mock bind");
		note(w, mock_op(mock_tfd, IOASID_TEST_MOCK_KDEV_OPEN, mock_kernel, &m),
		     "kdev open");
		return;
	}
	m.ioas_id = rand_r(seed) & 1 ? ioas_a : ioas_b;
	m.pasid = pasid;
	m.iova = BASE + (rand_r(seed) % 16) * PSZ;
	m.length = sizeof(buf);
	m.uptr = (uintptr_t)buf;
	switch (rand_r(seed) % 8) {
	case 0:
		note(w, mock_op(mock_tfd, IOASID_TEST_MOCK_ATTACH, mock_user, &m), "attach");
		break;
	case 1:
		m.flags = IOASID_ATTACH_REPLACE;
		note(w, mock_op(mock_tfd, IOASID_TEST_MOCK_ATTACH, mock_user, &m), "replace");
		break;
	case 2:
		note(w, mock_op(mock_tfd, IOASID_TEST_MOCK_DETACH, mock_user, &m), "detach");
		break;
	case 3:
		m.flags = IOASID_ATTACH_PASID;
		note(w, mock_op(mock_tfd, IOASID_TEST_MOCK_ATTACH, mock_user, &m), "attach pasid");
		break;
	case 4:
		m.flags = IOASID_ATTACH_PASID;
		note(w, mock_op(mock_tfd, IOASID_TEST_MOCK_DETACH, mock_user, &m), "detach pasid");
		break;
	case 5: {
		/* DMA may fault (nothing attached there now): EFAULT is fine. */
		int rc = mock_op(mock_tfd, IOASID_TEST_MOCK_DMA, mock_user, &m);

		note(w, rc == -EFAULT ? 0 : rc, "mock dma");
		break;
	}
	case 6:
		note(w, mock_op(mock_tfd, IOASID_TEST_MOCK_CTX_CREATE, mock_kernel, &m),
		     "ctx create");
		m.uptr = (uintptr_t)mem;
		m.length = PSZ;
		m.flags = IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE;
		note(w, mock_op(mock_tfd, IOASID_TEST_MOCK_CTX_MAP, mock_kernel, &m),
		     "ctx map");
		break;
	default:
		note(w, mock_op(mock_tfd, IOASID_TEST_MOCK_CTX_DESTROY, mock_kernel, &m),
		     "ctx destroy");
	}
}

static void *run(void *arg)
{
	struct worker *w = arg;
	unsigned int seed = (unsigned int)(uintptr_t)w ^ (unsigned int)time(NULL);
	struct timespec now;

	while (!stop && w->ops < max_iter) {
		w->step(w, &seed);
		w->ops++;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec >= deadline_s)
			break;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker workers[] = {
		{ .name = "map_unmap", .step = step_map, .min_pct = 40 },
		{ .name = "map_unmap2", .step = step_map, .min_pct = 40 },
		{ .name = "copy", .step = step_copy, .min_pct = 50 },
		{ .name = "nested", .step = step_nested, .min_pct = 50 },
		{ .name = "device", .step = step_device, .min_pct = 50 },
		{ .name = "fds", .step = step_fds, .min_pct = 90 },
		{ .name = "policy", .step = step_policy, .min_pct = 50 },
		{ .name = "access", .step = step_access, .min_pct = 50 },
		{ .name = "mock", .step = step_mock, .min_pct = 30 },
	};
	long violations = -1;
	char vbuf[32];
	int vfd;
	size_t n = sizeof(workers) / sizeof(workers[0]), i;
	pthread_t threads[16];
	struct timespec now;
	int failed = 0, t = 0;
	long pct, seconds = argc > 1 ? atol(argv[1]) : 20;

	if (argc > 2)
		max_iter = atol(argv[2]);
	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline_s = now.tv_sec + seconds;
	edu = edu_dev_path();
	mem = mmap(NULL, BASE_PAGES * PSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared_fd = open("/dev/ioasid", O_RDWR);
	if (mem == MAP_FAILED || shared_fd < 0 || ioas_alloc(shared_fd, 0, 0, &ioas_a) ||
	    ioas_alloc(shared_fd, 0, 0, &ioas_b) ||
	    map_fixed(shared_fd, ioas_a, U(mem), BASE_PAGES * PSZ, BASE, RW)) {
		printf("not ok 1 stress.setup\n");
		return 1;
	}
	vfd = open("/sys/kernel/ioasid/stats/unpin_violations", O_RDONLY);
	if (vfd >= 0 && read(vfd, vbuf, sizeof(vbuf) - 1) > 0)
		violations = atol(vbuf);
	printf("TAP version 13\n1..%zu\n", n + 2);
	for (i = 0; i < n; i++) {
		if (workers[i].step == step_device && !edu)
			continue;
		pthread_create(&threads[i], NULL, run, &workers[i]);
	}
	for (i = 0; i < n; i++)
		if (!(workers[i].step == step_device && !edu))
			pthread_join(threads[i], NULL);
	for (i = 0; i < n; i++) {
		struct worker *w = &workers[i];

		if (w->step == step_device && !edu) {
			printf("ok %d stress.%s # SKIP no edu bound to ioasid-pci\n", ++t, w->name);
			continue;
		}
		pct = w->calls ? 100 * (w->calls - w->expected_errors) / w->calls : 0;
		printf("# %s: %ld iterations, %ld calls, %ld succeeded (%ld%%, at least %d%% required), %ld refused as a race allows\n",
		       w->name, w->ops, w->calls, w->calls - w->expected_errors, pct,
		       w->min_pct, w->expected_errors);
		if (w->bad_errno || !w->ops || pct < w->min_pct) {
			if (w->bad_errno || !w->ops)
				printf("# %s: %s gave %s\n", w->name, w->bad_what ?: "nothing",
				       w->bad_errno ? strerror(w->bad_errno) : "no iteration ran");
			else
				printf("# %s: too few calls succeeded: the races starved it\n",
				       w->name);
			printf("not ok %d stress.%s\n", ++t, w->name);
			failed++;
		} else {
			printf("ok %d stress.%s\n", ++t, w->name);
		}
	}
	/* Everything still works afterwards, and closes cleanly. */
	{
		struct ioasidbpf_status *st = NULL;
		int k, m = ioasidbpf_status(ROOT, &st);

		for (k = 0; k < m; k++)
			ioasidbpf_unload(st[k].name, ROOT);
		free(st);
	}
	if (dfd >= 0)
		close(dfd);
	/* Software and mock devices go with their test fds. */
	if (acc_tfd >= 0)
		close(acc_tfd);
	if (mock_tfd >= 0)
		close(mock_tfd);
	/* The software device always unpinned when told. */
	memset(vbuf, 0, sizeof(vbuf));
	if (vfd >= 0 && pread(vfd, vbuf, sizeof(vbuf) - 1, 0) > 0 &&
	    atol(vbuf) == violations) {
		printf("ok %d stress.no_unpin_violations\n", ++t);
	} else {
		printf("not ok %d stress.no_unpin_violations # %ld before, %s now\n", ++t,
		       violations, vbuf);
		failed++;
	}
	i = unmap(shared_fd, ioas_a, 0, 0, IOASID_UNMAP_ALL, NULL);
	if (i && (int)i != -ENOENT)
		failed++;
	if (destroy(shared_fd, ioas_b) || destroy(shared_fd, ioas_a)) {
		printf("not ok %d stress.consistent_after\n", ++t);
		failed++;
	} else {
		printf("ok %d stress.consistent_after\n", ++t);
	}
	close(shared_fd);
	return failed ? 1 : 0;
}
