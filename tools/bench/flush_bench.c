// SPDX-License-Identifier: GPL-2.0
/*
 * flush_bench: what IOASID_CACHE_FLUSH costs over the cache flush itself.
 *
 * One device (ioasid-pci) is attached under bench_flush (flush.bpf.c), a
 * policy that allows no-snoop with an unlimited flush grant. Then, in
 * blocks of N calls, interleaved and rotated over R repetitions:
 *   tracked    IOASID_CACHE_FLUSH from the fd's tracked thread (the first
 *              to flush), pinned to one CPU: wbinvd on that CPU only
 *   untracked  IOASID_CACHE_FLUSH from another thread: every online CPU
 *   refused    IOASID_CACHE_FLUSH on a fd that holds no grant (EPERM)
 *   floor-1    IOASID_TEST_WBINVD on the caller's CPU (ioasid_test)
 *   floor-all  IOASID_TEST_WBINVD on every online CPU
 * The ratios tracked / floor-1 and untracked / floor-all are ioasid's cost
 * (grant, bucket, tracker, the policy asked) over the flush it does; each
 * is the median over the repetitions of the two blocks' times in the same
 * repetition. The flushes are checked to be real: each granted call must
 * report the CPUs it covered and the test module's per-CPU wbinvd count
 * must grow by as many. VFIO and iommufd have no such ioctl: there is no
 * peer but the floor (a guest's WBINVD through KVM is the vmm boot's).
 *
 *   flush_bench -d /dev/ioasid-dev/BDF [-n CALLS] [-r REPS] [-o out.json]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <bpf/libbpf.h>
#include <linux/ioasid.h>
#include <linux/ioasid_device.h>
#include <linux/ioasid_policy.h>
#include "ioasid_test_uapi.h"

#include "flush.skel.h"

#define MAX_REPS 32
#define MAX_CPUS 256

enum block { TRACKED, UNTRACKED, REFUSED, FLOOR_1, FLOOR_ALL, NR_BLOCKS };

static const char *const block_names[NR_BLOCKS] = {
	"tracked", "untracked", "refused", "floor-1", "floor-all",
};

static int ioasid_fd, nogrant_fd, test_fd, online_cpus;
static unsigned long calls = 2000;

static void die(const char *what)
{
	fprintf(stderr, "flush_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/* wbinvd executed so far, summed over all CPUs (ioasid's counter). */
static unsigned long long flush_count(void)
{
	unsigned long long counts[MAX_CPUS] = { 0 }, sum = 0;
	struct ioasid_test_flush_count c = {
		.size = sizeof(c), .nr_cpus = MAX_CPUS,
		.counts_uptr = (unsigned long)counts,
	};
	unsigned int i;

	if (ioctl(test_fd, IOASID_TEST_FLUSH_COUNT, &c))
		die("IOASID_TEST_FLUSH_COUNT");
	for (i = 0; i < MAX_CPUS && i < c.nr_cpus; i++)
		sum += counts[i];
	return sum;
}

/* One call of @b; returns the CPUs it flushed (0 for a refusal). */
static unsigned int one(enum block b)
{
	struct ioasid_cache_flush f = { .size = sizeof(f) };
	struct ioasid_test_wbinvd w = { .size = sizeof(w) };

	switch (b) {
	case TRACKED:
	case UNTRACKED:
		if (ioctl(ioasid_fd, IOASID_CACHE_FLUSH, &f))
			die("IOASID_CACHE_FLUSH (granted)");
		return f.out_nr_cpus;
	case REFUSED:
		if (!ioctl(nogrant_fd, IOASID_CACHE_FLUSH, &f) || errno != EPERM) {
			fprintf(stderr, "flush_bench: a flush without a grant was not refused with EPERM\n");
			exit(1);
		}
		return 0;
	case FLOOR_ALL:
		w.flags = IOASID_TEST_WBINVD_ALL_CPUS;
		/* fall through */
	default:
		if (ioctl(test_fd, IOASID_TEST_WBINVD, &w))
			die("IOASID_TEST_WBINVD");
		return w.out_nr_cpus;
	}
}

struct run {
	enum block b;
	double seconds;
};

/* N calls of @r->b; the CPUs covered are checked against what @b means. */
static void *run_block(void *arg)
{
	struct run *r = arg;
	unsigned long long before = flush_count();
	unsigned int want = r->b == TRACKED ? 1 : r->b == REFUSED ? 0 :
			    r->b == FLOOR_1 ? 1 : online_cpus;
	unsigned long i;
	double t;

	/* The tracked thread stays on CPU 0; the others run on the last CPU. */
	pin_to(r->b == TRACKED ? 0 : online_cpus - 1);
	t = now();
	for (i = 0; i < calls; i++) {
		unsigned int got = one(r->b);

		if (got != want) {
			fprintf(stderr, "flush_bench: %s flushed %u CPUs, not %u\n",
				block_names[r->b], got, want);
			exit(1);
		}
	}
	r->seconds = now() - t;
	/* ioasid counts its own wbinvds: granted flushes must show there. */
	if ((r->b == TRACKED || r->b == UNTRACKED) &&
	    flush_count() - before != (unsigned long long)calls * want) {
		fprintf(stderr, "flush_bench: %s: %llu wbinvd counted, %lu expected\n",
			block_names[r->b], flush_count() - before, calls * want);
		exit(1);
	}
	return NULL;
}

static double time_block(enum block b)
{
	struct run r = { .b = b };
	pthread_t th;

	/* The tracked block runs on the main thread: the fd's first flusher. */
	if (b == TRACKED) {
		run_block(&r);
		return r.seconds;
	}
	if (pthread_create(&th, NULL, run_block, &r) || pthread_join(th, NULL))
		die("pthread");
	return r.seconds;
}

static void setup(const char *device, char *decided_by, size_t len)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_device_bind b = { .size = sizeof(b) };
	struct ioasid_device_attach a = { .size = sizeof(a) };
	struct ioasid_device_info info = { .size = sizeof(info) };
	int dfd;

	ioasid_fd = open("/dev/ioasid", O_RDWR);
	nogrant_fd = open("/dev/ioasid", O_RDWR);
	test_fd = open("/dev/ioasid_test", O_RDWR);
	if (ioasid_fd < 0 || nogrant_fd < 0 || test_fd < 0)
		die("open /dev/ioasid, /dev/ioasid_test");
	if (ioctl(ioasid_fd, IOASID_IOAS_ALLOC, &alloc))
		die("IOAS_ALLOC");
	dfd = open(device, O_RDWR);
	b.ioasid_fd = ioasid_fd;
	a.ioas_id = alloc.out_ioas_id;
	if (dfd < 0 || ioctl(dfd, IOASID_DEVICE_BIND, &b) ||
	    ioctl(dfd, IOASID_DEVICE_ATTACH, &a) ||
	    ioctl(dfd, IOASID_DEVICE_GET_INFO, &info))
		die(device);
	snprintf(decided_by, len, "%s", info.out_decision.policy);
	if (strcmp(decided_by, "bench_flush") ||
	    !(info.out_decision.flags & IOASID_DECISION_FLUSH_GRANT)) {
		fprintf(stderr, "flush_bench: the attach was decided by '%s' (flags 0x%x), not bench_flush with a flush grant\n",
			decided_by, info.out_decision.flags);
		exit(1);
	}
	/* The device stays attached (and the grant in force) until exit. */
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct json_object *stats(double *us, unsigned int n)
{
	struct json_object *o = json_object_new_object();
	struct json_object *s = json_object_new_array();
	double v[MAX_REPS];
	unsigned int i;

	for (i = 0; i < n; i++)
		json_object_array_add(s, json_object_new_double(us[i]));
	memcpy(v, us, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	json_object_object_add(o, "min", json_object_new_double(v[0]));
	json_object_object_add(o, "median", json_object_new_double(median(v, n)));
	json_object_object_add(o, "max", json_object_new_double(v[n - 1]));
	json_object_object_add(o, "samples", s);
	return o;
}

/* Median over repetitions of a's time over b's in the same repetition. */
static double paired(double *a, double *b, unsigned int n)
{
	double v[MAX_REPS];
	unsigned int i;

	for (i = 0; i < n; i++)
		v[i] = a[i] / b[i];
	return median(v, n);
}

int main(int argc, char **argv)
{
	double us[NR_BLOCKS][MAX_REPS];
	const char *device = NULL, *json_path = NULL;
	struct json_object *root, *blocks, *ratios;
	unsigned int reps = 5, r, i;
	struct bench_flush *skel;
	char decided_by[IOASID_POLICY_NAME_LEN];
	int c;

	while ((c = getopt(argc, argv, "d:n:r:o:")) != -1) {
		switch (c) {
		case 'd': device = optarg; break;
		case 'n': calls = strtoul(optarg, NULL, 0); break;
		case 'r': reps = strtoul(optarg, NULL, 0); break;
		case 'o': json_path = optarg; break;
		default:
			fprintf(stderr, "usage: flush_bench -d /dev/ioasid-dev/BDF [-n CALLS] [-r REPS] [-o JSON]\n");
			return 2;
		}
	}
	if (!device || !calls || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "usage: flush_bench -d /dev/ioasid-dev/BDF [-n CALLS] [-r REPS] [-o JSON]\n");
		return 2;
	}
	online_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (online_cpus < 1 || online_cpus > MAX_CPUS)
		die("sysconf");

	skel = bench_flush__open_and_load();
	if (!skel || bench_flush__attach(skel)) {
		fprintf(stderr, "flush_bench: cannot register bench_flush\n");
		return 1;
	}
	setup(device, decided_by, sizeof(decided_by));

	/*
	 * The first granted flush makes the main thread the tracked one and
	 * covers every CPU; from the second on it covers CPU 0 only.
	 */
	pin_to(0);
	one(TRACKED);
	one(TRACKED);
	/* Warm-up: each block once. */
	for (i = 0; i < NR_BLOCKS; i++)
		time_block(i);
	for (r = 0; r < reps; r++)
		for (i = 0; i < NR_BLOCKS; i++) {
			enum block b = (i + r) % NR_BLOCKS;

			us[b][r] = time_block(b) / calls * 1e6;
		}

	root = json_object_new_object();
	blocks = json_object_new_object();
	ratios = json_object_new_object();
	json_object_object_add(root, "calls", json_object_new_int64(calls));
	json_object_object_add(root, "reps", json_object_new_int(reps));
	json_object_object_add(root, "online_cpus", json_object_new_int(online_cpus));
	json_object_object_add(root, "decided_by", json_object_new_string(decided_by));
	json_object_object_add(root, "note", json_object_new_string(
		"us per call inside a TCG guest (wbinvd is not a real cache flush there): only ratios count"));
	json_object_object_add(ratios, "tracked / floor-1",
			       json_object_new_double(paired(us[TRACKED], us[FLOOR_1], reps)));
	json_object_object_add(ratios, "untracked / floor-all",
			       json_object_new_double(paired(us[UNTRACKED], us[FLOOR_ALL], reps)));
	json_object_object_add(ratios, "refused / tracked",
			       json_object_new_double(paired(us[REFUSED], us[TRACKED], reps)));
	printf("flush_bench: %lu calls x %u repetitions, %d CPUs, decided by %s\n",
	       calls, reps, online_cpus, decided_by);
	for (i = 0; i < NR_BLOCKS; i++) {
		struct json_object *s = stats(us[i], reps);

		printf("  %-10s %8.2f us/call (median)\n", block_names[i],
		       json_object_get_double(json_object_object_get(s, "median")));
		json_object_object_add(blocks, block_names[i], s);
	}
	json_object_object_foreach(ratios, k, v)
		printf("  %-22s %.2f\n", k, json_object_get_double(v));
	json_object_object_add(root, "us_per_call", blocks);
	json_object_object_add(root, "ratios", ratios);
	if (json_path && json_object_to_file_ext(json_path, root, JSON_C_TO_STRING_PRETTY))
		die(json_path);
	json_object_put(root);
	bench_flush__destroy(skel);
	return 0;
}
