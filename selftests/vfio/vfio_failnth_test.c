// SPDX-License-Identifier: GPL-2.0
/*
 * fail_nth for ioasid-vfio, the VFIO IOMMU backend: each sequence below
 * runs with the n-th fault-injection point of the task failed (slab and
 * page allocations, user copies), for n = 1, 2, ... until it runs through
 * without reaching the n-th point. Every return code is checked against
 * what the state allows, and after each run (unarmed) the container must
 * be consistent: IOMMU_GET_INFO answers, the DMA-available count matches
 * the mappings, each range is mapped exactly when the calls that mapped
 * and unmapped it say so (a re-map answers EEXIST, or succeeds), the
 * emulated device's pins match, a fresh map/pin/unmap cycle works, and
 * once everything is closed ioasid's live counts are back where they
 * were. selftests/vfio/failnth.sh loads the modules (ioasid serving
 * type1v2 containers, vfio_iommu_type1 unloaded so nothing falls through)
 * and the test device (ioasid_test_vfio.ko).
 *
 * Needs CONFIG_FAULT_INJECTION (the debug kernel): SKIP otherwise.
 */
#include <stdbool.h>
#include <sys/wait.h>

#include "vfio_emu.h"

#define MAX_NTH 3000
#define LIMIT 16	/* dma_entry_limit, as failnth.sh loads ioasid-vfio */
#define A 0x100000UL	/* 4 pages, pinned and written by the device */
#define B 0x200000UL	/* 1 page */
#define C 0x300000UL	/* 2 pages */

static int nth_fd = -1;
static bool consumed;
static char *mem;	/* 8 pages */

/* Arm: the n-th point from now fails (0: disarm). Retried: it is one. */
static void set_nth(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n), i;

	for (i = 0; i < 3; i++)
		if (pwrite(nth_fd, buf, len, 0) == len)
			return;
	_exit(90);
}

/* Disarm; was the n-th point reached (an EFAULT reading: not reached)? */
static void disarm(void)
{
	char buf[16] = "";
	ssize_t n = pread(nth_fd, buf, sizeof(buf) - 1, 0);

	if (n < 0 && errno == EFAULT)
		consumed = false;
	else if (n <= 0)
		_exit(91);
	else
		consumed = atoi(buf) == 0;
	set_nth(0);
}

/* ioasid's live counts that must come back after everything is closed. */
static const char *const counts[] = {
	"fds", "objects", "charged_pages", "accesses", "access_pins",
	"unpin_violations",
};
#define NCOUNTS (sizeof(counts) / sizeof(counts[0]))
static long base[NCOUNTS];

/* 0, or 60 + the first count that did not come back. */
static int counts_back(void)
{
	size_t i;

	for (i = 0; i < NCOUNTS; i++) {
		if (ioasid_stat(counts[i]) != base[i]) {
			printf("# %s: %ld, was %ld\n", counts[i],
			       ioasid_stat(counts[i]), base[i]);
			return 60 + i;
		}
	}
	return 0;
}

/* An errno a failure point explains: memory, or a user copy. */
static bool injected(int rc)
{
	return rc == -ENOMEM || rc == -EFAULT;
}

/* --- the container sequence -------------------------------------------- */

/* Steps; rc[] holds what each returned (1: not run). */
enum {
	S_CONTAINER, S_GROUP, S_SET_CONTAINER, S_SET_IOMMU, S_DEVICE,
	S_MAP_A, S_MAP_B, S_PIN, S_RW, S_UNMAP_B, S_UNMAP_A, S_MAP_C,
	S_UNMAP_ALL, S_INFO, S_N
};
static int rc[S_N];
static struct vfio_env env;
static char pattern[64];

static void seq_container(void)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct vfio_env *e = &env;
	char path[64];
	int nr = emu_group_nr();

	for (int i = 0; i < S_N; i++)
		rc[i] = 1;
	e->container = e->group = e->device = -1;
	e->container = open("/dev/vfio/vfio", O_RDWR);
	rc[S_CONTAINER] = e->container < 0 ? -errno : 0;
	snprintf(path, sizeof(path), "/dev/vfio/%d", nr);
	e->group = open(path, O_RDWR);
	rc[S_GROUP] = e->group < 0 ? -errno : 0;
	if (rc[S_CONTAINER] || rc[S_GROUP])
		return;
	rc[S_SET_CONTAINER] = ioctl(e->group, VFIO_GROUP_SET_CONTAINER,
				    &e->container) ? -errno : 0;
	if (rc[S_SET_CONTAINER])
		return;
	rc[S_SET_IOMMU] = ioctl(e->container, VFIO_SET_IOMMU,
				VFIO_TYPE1v2_IOMMU) ? -errno : 0;
	if (rc[S_SET_IOMMU])
		return;
	e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD,
			  IOASID_TEST_VFIO_NAME);
	rc[S_DEVICE] = e->device < 0 ? -errno : 0;
	rc[S_MAP_A] = vfio_map(e->container, A, mem, 4 * PSZ, VRW);
	rc[S_MAP_B] = vfio_map(e->container, B, mem + 4 * PSZ, PSZ, VRW);
	if (e->device >= 0) {
		rc[S_PIN] = emu_op(e->device, IOASID_TEST_VFIO_PIN, A + PSZ, 2,
				   NULL, IOASID_TEST_VFIO_WRITE, NULL);
		rc[S_RW] = emu_op(e->device, IOASID_TEST_VFIO_RW, A + 100,
				  sizeof(pattern), pattern,
				  IOASID_TEST_VFIO_WRITE, NULL);
	}
	rc[S_UNMAP_B] = vfio_unmap(e->container, B, PSZ, 0, NULL);
	rc[S_UNMAP_A] = vfio_unmap(e->container, A, 4 * PSZ, 0, NULL);
	rc[S_MAP_C] = vfio_map(e->container, C, mem + 5 * PSZ, 2 * PSZ, VRW);
	rc[S_UNMAP_ALL] = vfio_unmap(e->container, 0, 0,
				     VFIO_DMA_UNMAP_FLAG_ALL, NULL);
	rc[S_INFO] = ioctl(e->container, VFIO_IOMMU_GET_INFO, &info) ?
		     -errno : 0;
}

/*
 * Is a range mapped after the sequence? 1 yes, 0 no, -1 either: an unmap
 * that returned EFAULT may have failed copying in (nothing done) or
 * copying the answer out (done), as type1's.
 */
static int expect_mapped(int map, int unmap)
{
	int after_unmap;

	if (map)
		return 0;
	if (unmap == 1)
		after_unmap = 1;
	else if (!unmap)
		after_unmap = 0;
	else
		after_unmap = unmap == -EFAULT ? -1 : 1;
	if (rc[S_UNMAP_ALL] == 1 || !after_unmap)
		return after_unmap;
	if (!rc[S_UNMAP_ALL])
		return 0;
	return rc[S_UNMAP_ALL] == -EFAULT ? -1 : after_unmap;
}

/* Probe a range by mapping it: 1 mapped (EEXIST), 0 free (undone), <0. */
static int probe(int container, uint64_t iova, char *va, uint64_t size)
{
	int r = vfio_map(container, iova, va, size, VRW);

	if (r == -EEXIST)
		return 1;
	if (r)
		return r;
	return vfio_unmap(container, iova, size, 0, NULL) ? -EIO : 0;
}

/* Every return code, against what the state before it allows. */
static int check_rcs(void)
{
	bool a_mapped = !rc[S_MAP_A];
	int i;

	for (i = 0; i < S_N; i++) {
		if (rc[i] == 1 || !rc[i] || injected(rc[i]))
			continue;
		/*
		 * Opening the nodes fails wherever the path walk fails (e.g.
		 * ENOENT from the 9p root): VFS, not VFIO; nothing was made.
		 */
		if (i == S_CONTAINER || i == S_GROUP)
			continue;
		/* Without the mapping, a pin or copy there fails as type1. */
		if ((i == S_PIN || i == S_RW) && !a_mapped && rc[i] == -EINVAL)
			continue;
		printf("# step %d returned %d\n", i, rc[i]);
		return 20 + i;
	}
	return 0;
}

static int check_container(void)
{
	struct vfio_env *e = &env;
	struct ioasid_test_vfio_op st;
	int r, want, nmapped = 0;
	struct {
		uint64_t iova, size;
		char *va;
		int map, unmap;
	} ranges[] = {
		{ A, 4 * PSZ, mem, rc[S_MAP_A], rc[S_UNMAP_A] },
		{ B, PSZ, mem + 4 * PSZ, rc[S_MAP_B], rc[S_UNMAP_B] },
		{ C, 2 * PSZ, mem + 5 * PSZ, rc[S_MAP_C], 1 },
	};

	r = check_rcs();
	if (r)
		return r;
	/* Failed before SET_IOMMU: the container takes the group now. */
	if (rc[S_CONTAINER] || rc[S_GROUP] || rc[S_SET_CONTAINER] ||
	    rc[S_SET_IOMMU]) {
		vfio_close(e);
		if (emu_open(e) || emu_serve(e))
			return 40;
	} else if (rc[S_DEVICE]) {
		e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD,
				  IOASID_TEST_VFIO_NAME);
		if (e->device < 0)
			return 42;
	}
	if (rc[S_SET_IOMMU])
		goto fresh;
	/* The mappings are what the answers said. */
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		want = expect_mapped(ranges[i].map, ranges[i].unmap);
		r = probe(e->container, ranges[i].iova, ranges[i].va,
			  ranges[i].size);
		if (r < 0 || (want >= 0 && r != want)) {
			printf("# range %#lx: mapped %d, expected %d\n",
			       (unsigned long)ranges[i].iova, r, want);
			return 43 + i;
		}
		nmapped += r;
	}
	if (vfio_dma_avail(e->container) != LIMIT - nmapped)
		return 46;
	/* Pins: held unless A went away (the callback unpinned them). */
	st = emu_status(e->device, 0);
	want = !rc[S_PIN] && expect_mapped(rc[S_MAP_A], rc[S_UNMAP_A]) == 1;
	if (st.out_pins != (uint64_t)want &&
	    !(expect_mapped(rc[S_MAP_A], rc[S_UNMAP_A]) < 0 && st.out_pins <= 1)) {
		printf("# pins %llu, expected %d\n",
		       (unsigned long long)st.out_pins, want);
		return 47;
	}
	/*
	 * A copy that failed wrote nothing (all or nothing), but for EFAULT:
	 * the test device copies its answer out after the write (as a read()
	 * whose copy-out fails), so the write may have happened.
	 */
	if (rc[S_RW] && rc[S_RW] != -EFAULT &&
	    !memcmp(mem + 100, pattern, sizeof(pattern)))
		return 48;
fresh:
	/* A fresh cycle: map, pin, copy, unmap with the callback. */
	if (vfio_unmap(e->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL) ||
	    vfio_dma_avail(e->container) != LIMIT ||
	    vfio_map(e->container, A, mem, 4 * PSZ, VRW) ||
	    emu_op(e->device, IOASID_TEST_VFIO_PIN, A, 1, NULL, 0, NULL) ||
	    emu_op(e->device, IOASID_TEST_VFIO_RW, A + 200, sizeof(pattern),
		   pattern, IOASID_TEST_VFIO_WRITE, NULL) ||
	    memcmp(mem + 200, pattern, sizeof(pattern)) ||
	    vfio_unmap(e->container, A, 4 * PSZ, 0, NULL) ||
	    emu_status(e->device, 0).out_pins)
		return 50;
	vfio_close(e);
	return counts_back();
}

/* --- teardown with pins held ------------------------------------------- */

static void teardown_prepare(void)
{
	if (emu_open(&env) || emu_serve(&env) ||
	    vfio_map(env.container, A, mem, 4 * PSZ, VRW) ||
	    vfio_map(env.container, B, mem + 4 * PSZ, PSZ, VRW) ||
	    emu_op(env.device, IOASID_TEST_VFIO_PIN, A, 2, NULL, 0, NULL) ||
	    emu_op(env.device, IOASID_TEST_VFIO_PIN, B, 1, NULL, 0, NULL))
		_exit(94);
}

/* Unmap with pins (callbacks), then close while a pin is held. */
static void seq_teardown(void)
{
	rc[0] = vfio_unmap(env.container, A, 4 * PSZ, 0, NULL);
	vfio_close(&env);
}

static int check_teardown(void)
{
	if (rc[0] && !injected(rc[0]))
		return 20;
	return counts_back();
}

struct sequence {
	const char *name;
	void (*prepare)(void);	/* unarmed */
	void (*run)(void);	/* armed */
	int (*check)(void);	/* unarmed */
};

static const struct sequence sequences[] = {
	{ "vfio_container", NULL, seq_container, check_container },
	{ "vfio_teardown", teardown_prepare, seq_teardown, check_teardown },
};
#define NSEQ (sizeof(sequences) / sizeof(sequences[0]))

/* One run in a child: 0 injected and consistent, 1 not reached, >1 bad. */
static int run_once(const struct sequence *s, unsigned int n)
{
	pid_t pid = fork();
	char path[64];
	int status, r;

	if (pid < 0)
		return 99;
	if (!pid) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth",
			 getpid());
		nth_fd = open(path, O_RDWR);
		if (nth_fd < 0)
			_exit(92);
		memset(mem, 0x5a, 8 * PSZ);
		if (s->prepare)
			s->prepare();
		set_nth(n);
		s->run();
		disarm();
		r = s->check();
		_exit(r ? r : consumed ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 98;
	return WEXITSTATUS(status);
}

int main(void)
{
	char path[64];
	int tap = 0, failed = 0;
	unsigned int n;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%zu\n", NSEQ);
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", getpid());
	if (access(path, F_OK) || emu_group_nr() < 0) {
		for (i = 0; i < NSEQ; i++)
			printf("ok %d failnth.%s # SKIP %s\n", ++tap,
			       sequences[i].name, access(path, F_OK) ?
			       "kernel without CONFIG_FAULT_INJECTION" :
			       "ioasid_test_vfio.ko not loaded");
		return 0;
	}
	mem = mmap(NULL, 8 * PSZ, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memset(pattern, 0xc3, sizeof(pattern));
	for (i = 0; i < NCOUNTS; i++)
		base[i] = ioasid_stat(counts[i]);

	for (i = 0; i < NSEQ; i++) {
		const struct sequence *s = &sequences[i];
		time_t start = time(NULL);
		int r = 0;

		for (n = 1; n < MAX_NTH; n++) {
			r = run_once(s, n);
			if (r)
				break;
		}
		if (r == 1) {
			printf("# %s: %u failure points injected, each left a consistent container (%lds)\n",
			       s->name, n - 1, (long)(time(NULL) - start));
			printf("ok %d failnth.%s\n", ++tap, s->name);
		} else {
			printf("# %s: injection %u: %s (code %d)\n", s->name, n,
			       r == 98 ? "the child died" : n == MAX_NTH ?
			       "never completed" : "inconsistent after the failure", r);
			printf("not ok %d failnth.%s\n", ++tap, s->name);
			failed++;
		}
	}
	return failed ? 1 : 0;
}
