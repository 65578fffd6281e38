// SPDX-License-Identifier: GPL-2.0
/*
 * attach_bench: the cost a policy adds to a device attach. One device is
 * attached and detached in a loop with no policy loaded (the built-in
 * decides), then with each default policy registered in turn; each
 * configuration is measured right after a block of the built-in alone, and
 * its ratio is the median over the rounds of its time over that block's
 * (neighbours compared, so drift in the TCG guest cancels); each round
 * starts with the next configuration.
 * The stack rows register 1, 8 and 64 copies of bench_defer (defer.bpf.c),
 * a policy that defers: every attach asks them all, then the built-in
 * decides. Who decided is checked for every configuration: a decision by
 * anyone else than expected ends the run with exit status 1.
 *
 *   attach_bench -d /dev/ioasid-dev/BDF [-D /dev/ioasid-dev/BDF2] [-n PAIRS]
 *                [-r ROUNDS] [-o out.json]
 *
 * With -D, a second device bound to the same fd: the attach-cost rows are
 * measured twice, the domain filled by the attach and the domain reused.
 *
 * nosnoop_rules runs with empty rule maps: every lookup misses, its worst
 * case, and it defers to the built-in.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <bpf/libbpf.h>
#include <linux/ioasid.h>
#include <linux/ioasid_device.h>
#include <linux/ioasid_policy.h>
#include "ioasid_rules.h"

#include "vfio_compat.skel.h"
#include "strict.skel.h"
#include "nosnoop_rules.skel.h"
#include "defer.skel.h"

#define PIN_ROOT "/sys/fs/bpf/ioasid-bench"

enum config {
	BUILTIN, VFIO_COMPAT, STRICT, NOSNOOP_RULES, STACK_1, STACK_8, STACK_64,
	NR_CONFIGS
};

static const char *const config_names[NR_CONFIGS] = {
	"builtin", "vfio_compat", "strict", "nosnoop_rules",
	"stack_1", "stack_8", "stack_64",
};

/* Who must decide: nosnoop_rules with empty maps and the stacks defer. */
static const char *const expected[NR_CONFIGS] = {
	"builtin", "vfio_compat", "strict", "builtin",
	"builtin", "builtin", "builtin",
};

static const unsigned int stack_depth[NR_CONFIGS] = {
	[STACK_1] = 1, [STACK_8] = 8, [STACK_64] = 64,
};

#define MAX_STACK 64
#define MAX_ROUNDS 32

struct measure {
	double seconds;
	double per_round[MAX_ROUNDS * NR_CONFIGS];	/* s per attach+detach */
	unsigned int rounds;
	/* each round's time over the built-in's block measured just before */
	double ratio[MAX_ROUNDS];
	unsigned int nr_ratio;
	double lo, hi;
	unsigned long pairs;
	char decided_by[32];
	char reason[128];
};

static struct measure measures[NR_CONFIGS];

static void die(const char *what)
{
	fprintf(stderr, "attach_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void attach(int dfd, __u32 ioas)
{
	struct ioasid_device_attach a = { .size = sizeof(a), .ioas_id = ioas };

	if (ioctl(dfd, IOASID_DEVICE_ATTACH, &a))
		die("attach");
}

static void detach(int dfd)
{
	struct ioasid_device_detach d = { .size = sizeof(d) };

	if (ioctl(dfd, IOASID_DEVICE_DETACH, &d))
		die("detach");
}

/* Who decided the current attachment, for the report. */
static void record_decision(int dfd, struct measure *m)
{
	struct ioasid_device_info info = { .size = sizeof(info) };

	if (ioctl(dfd, IOASID_DEVICE_GET_INFO, &info))
		die("get_info");
	snprintf(m->decided_by, sizeof(m->decided_by), "%s",
		 info.out_decision.policy);
	snprintf(m->reason, sizeof(m->reason), "%s", info.out_decision.reason);
}

/* Seconds for @pairs attach+detach, after @warm untimed ones. */
static double time_pairs(int dfd, __u32 ioas, unsigned long warm,
			 unsigned long pairs)
{
	unsigned long i;
	double t0 = 0;

	for (i = 0; i < warm + pairs; i++) {
		if (i == warm)
			t0 = now();
		attach(dfd, ioas);
		detach(dfd);
	}
	return now() - t0;
}

static void run_pairs(int dfd, __u32 ioas, unsigned long pairs,
		      struct measure *m, enum config c)
{
	/* Warm the caches and the domain allocator first. */
	double t0 = time_pairs(dfd, ioas, 20, pairs);

	m->seconds += t0;
	m->pairs += pairs;
	m->per_round[m->rounds++] = t0 / pairs;
	attach(dfd, ioas);
	record_decision(dfd, m);
	detach(dfd);
	if (strcmp(m->decided_by, expected[c])) {
		fprintf(stderr, "attach_bench: %s: decided by %s (%s), expected %s\n",
			config_names[c], m->decided_by, m->reason, expected[c]);
		exit(1);
	}
}

/* @n copies of bench_defer, each under its own name. */
static void *load_stack(unsigned int n)
{
	struct bench_defer **stack = calloc(MAX_STACK + 1, sizeof(*stack));
	unsigned int i;

	if (!stack)
		die("calloc");
	for (i = 0; i < n; i++) {
		struct bench_defer *s = bench_defer__open();
		struct ioasid_policy_ops *ops;
		size_t sz;

		if (!s)
			die("bench_defer open");
		/* The map's value before load is the struct as the kernel sees it. */
		ops = bpf_map__initial_value(s->maps.bench_defer, &sz);
		if (!ops || sz != sizeof(*ops))
			die("bench_defer struct_ops value");
		snprintf(ops->name, sizeof(ops->name), "bdefer_%u", i & 0xff);
		ops->priority = 10 + i;
		if (bench_defer__load(s) || bench_defer__attach(s)) {
			fprintf(stderr, "attach_bench: cannot register bdefer_%u\n", i);
			exit(1);
		}
		stack[i] = s;
	}
	return stack;
}

/* Register the policy of @c (its link lives until the skeleton goes). */
static void *load(enum config c)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = PIN_ROOT);
	void *skel = NULL;
	int rc = -1;

	switch (c) {
	case VFIO_COMPAT: {
		struct vfio_compat *s = vfio_compat__open_and_load();

		rc = s ? vfio_compat__attach(s) : -1;
		skel = s;
		break;
	}
	case STRICT: {
		struct strict *s = strict__open_opts(&opts);

		rc = s && !strict__load(s) ? strict__attach(s) : -1;
		skel = s;
		break;
	}
	case NOSNOOP_RULES: {
		struct nosnoop_rules *s = nosnoop_rules__open_opts(&opts);

		rc = s && !nosnoop_rules__load(s) ? nosnoop_rules__attach(s) : -1;
		skel = s;
		break;
	}
	case STACK_1:
	case STACK_8:
	case STACK_64:
		return load_stack(stack_depth[c]);
	default:
		return NULL;
	}
	if (rc) {
		fprintf(stderr, "attach_bench: cannot register %s\n",
			config_names[c]);
		exit(1);
	}
	return skel;
}

static void unload(enum config c, void *skel)
{
	switch (c) {
	case VFIO_COMPAT:
		vfio_compat__destroy(skel);
		break;
	case STRICT:
		strict__destroy(skel);
		break;
	case NOSNOOP_RULES:
		nosnoop_rules__destroy(skel);
		break;
	case STACK_1:
	case STACK_8:
	case STACK_64: {
		struct bench_defer **stack = skel;
		unsigned int i;

		for (i = 0; stack[i]; i++)
			bench_defer__destroy(stack[i]);
		free(stack);
		break;
	}
	default:
		break;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median round of @m (per attach+detach), and its min and max. */
static double median(struct measure *m)
{
	double s[MAX_ROUNDS * NR_CONFIGS];
	unsigned int n = m->rounds;

	memcpy(s, m->per_round, n * sizeof(s[0]));
	qsort(s, n, sizeof(s[0]), cmp_double);
	m->lo = s[0];
	m->hi = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double median_ratio(struct measure *m)
{
	double s[MAX_ROUNDS];
	unsigned int n = m->nr_ratio;

	if (!n)
		return 1.0;
	memcpy(s, m->ratio, n * sizeof(s[0]));
	qsort(s, n, sizeof(s[0]), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/*
 * Attach cost against what the IOAS holds: with one device, every attach
 * makes and fills a domain from the IOAS's mappings, every detach frees
 * it. Sizes are of extra 4 KiB-backed memory mapped as one area.
 * With a second device (-D) attached to the same IOAS for the "reuse"
 * rows, the first device's attach finds the domain already filled and
 * only joins it: the IOAS must then report one domain, or the run fails.
 */
#define NR_FILL 4
static const unsigned long fill_mib[NR_FILL] = { 0, 4, 32, 256 };
static double fill_us[NR_FILL][MAX_ROUNDS];
static double reuse_us[NR_FILL][MAX_ROUNDS];

static __u32 ioas_domains(int fd, __u32 ioas)
{
	struct ioasid_ioas_info info = { .size = sizeof(info), .ioas_id = ioas };

	if (ioctl(fd, IOASID_IOAS_GET_INFO, &info))
		die("IOAS_GET_INFO");
	return info.out_nr_domains;
}

/* Attach+detach of @dfd while @dfd2 holds the IOAS's domain. */
static double time_reuse(int fd, int dfd, int dfd2, __u32 ioas,
			 unsigned long pairs)
{
	double t;

	attach(dfd2, ioas);
	attach(dfd, ioas);
	if (ioas_domains(fd, ioas) != 1) {
		fprintf(stderr, "attach_bench: two devices on one IOAS made %u domains, not 1: no reuse to measure\n",
			ioas_domains(fd, ioas));
		exit(1);
	}
	detach(dfd);
	t = time_pairs(dfd, ioas, 1, pairs);
	detach(dfd2);
	return t;
}

static void run_fill(int fd, int dfd, int dfd2, __u32 ioas,
		     unsigned long rounds)
{
	unsigned long r, k, pairs = 10;
	char *mem = mmap(NULL, fill_mib[NR_FILL - 1] << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		die("mmap");
	madvise(mem, fill_mib[NR_FILL - 1] << 20, MADV_NOHUGEPAGE);
	memset(mem, 1, fill_mib[NR_FILL - 1] << 20);
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < NR_FILL; k++) {
			struct ioasid_ioas_map map = {
				.size = sizeof(map), .ioas_id = ioas,
				.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE |
					 IOASID_MAP_WRITEABLE,
				.addr = (uintptr_t)mem, .length = fill_mib[k] << 20,
				.iova = 1UL << 34,
			};
			struct ioasid_ioas_unmap unmap = {
				.size = sizeof(unmap), .ioas_id = ioas,
				.iova = 1UL << 34, .length = fill_mib[k] << 20,
			};

			if (fill_mib[k] && ioctl(fd, IOASID_IOAS_MAP, &map))
				die("IOAS_MAP (fill)");
			fill_us[k][r] = time_pairs(dfd, ioas, 1, pairs) * 1e6 / pairs;
			if (dfd2 >= 0)
				reuse_us[k][r] = time_reuse(fd, dfd, dfd2, ioas, pairs) *
						 1e6 / pairs;
			if (fill_mib[k] && ioctl(fd, IOASID_IOAS_UNMAP, &unmap))
				die("IOAS_UNMAP (fill)");
		}
	}
	munmap(mem, fill_mib[NR_FILL - 1] << 20);
}

static struct json_object *fill_rows(double us[NR_FILL][MAX_ROUNDS],
				      unsigned long rounds, const char *what)
{
	struct json_object *rows = json_object_new_array();
	unsigned long k;

	printf("\n%-22s %14s (%s)\n", "attach with IOAS of", "us/attach+det", what);
	for (k = 0; k < NR_FILL; k++) {
		struct measure m = { .rounds = rounds };
		struct json_object *o = json_object_new_object();
		double med;

		memcpy(m.per_round, us[k], rounds * sizeof(double));
		med = median(&m);
		printf("%-6lu MiB + 256 KiB   %14.1f\n", fill_mib[k], med);
		json_object_object_add(o, "extra_mib", json_object_new_int64(fill_mib[k]));
		json_object_object_add(o, "us_per_pair", json_object_new_double(med));
		json_object_object_add(o, "us_min", json_object_new_double(m.lo));
		json_object_object_add(o, "us_max", json_object_new_double(m.hi));
		json_object_array_add(rows, o);
	}
	return rows;
}

static void report_fill(struct json_object *root, unsigned long rounds,
			bool reuse)
{
	json_object_object_add(root, "fill", fill_rows(fill_us, rounds,
						       "domain filled"));
	if (reuse)
		json_object_object_add(root, "reuse",
				       fill_rows(reuse_us, rounds,
						 "domain reused: a second device holds it"));
}

static void report(const char *json_path, unsigned long rounds, bool reuse)
{
	struct json_object *root = json_object_new_object();
	struct json_object *rows = json_object_new_array();
	int c;

	printf("\n%-14s %8s %14s %9s  %s\n", "policy", "pairs",
	       "us/attach+det", "ratio", "decided by");
	for (c = 0; c < NR_CONFIGS; c++) {
		struct measure *m = &measures[c];
		double per = median(m), ratio = median_ratio(m);
		struct json_object *o = json_object_new_object();

		printf("%-14s %8lu %14.2f %9.3f  %s (%s)\n", config_names[c],
		       m->pairs, per * 1e6, ratio, m->decided_by,
		       m->reason);
		json_object_object_add(o, "policy", json_object_new_string(config_names[c]));
		json_object_object_add(o, "stack_depth", json_object_new_int(stack_depth[c]));
		json_object_object_add(o, "pairs", json_object_new_int64(m->pairs));
		json_object_object_add(o, "seconds", json_object_new_double(m->seconds));
		json_object_object_add(o, "us_min", json_object_new_double(m->lo * 1e6));
		json_object_object_add(o, "us_max", json_object_new_double(m->hi * 1e6));
		json_object_object_add(o, "us_per_pair", json_object_new_double(per * 1e6));
		json_object_object_add(o, "ratio_to_builtin", json_object_new_double(ratio));
		json_object_object_add(o, "decided_by", json_object_new_string(m->decided_by));
		json_object_object_add(o, "reason", json_object_new_string(m->reason));
		json_object_array_add(rows, o);
	}
	json_object_object_add(root, "attach", rows);
	report_fill(root, rounds, reuse);
	if (json_path && json_object_to_file_ext(json_path, root,
						 JSON_C_TO_STRING_PRETTY))
		fprintf(stderr, "attach_bench: cannot write %s\n", json_path);
	json_object_put(root);
}

int main(int argc, char **argv)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_device_bind bind = { .size = sizeof(bind) };
	struct ioasid_ioas_map map = { .size = sizeof(map) };
	unsigned long pairs = 200, rounds = 9, r;
	const char *dev = NULL, *dev2 = NULL, *json = NULL;
	int fd, dfd, dfd2 = -1, opt, i;
	void *buf;

	while ((opt = getopt(argc, argv, "d:D:n:r:o:")) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			break;
		case 'D':
			dev2 = optarg;
			break;
		case 'n':
			pairs = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			json = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s -d /dev/ioasid-dev/BDF [-D /dev/ioasid-dev/BDF2] [-n PAIRS] [-r ROUNDS] [-o FILE]\n",
				argv[0]);
			return 2;
		}
	}
	if (!dev || !pairs || !rounds || rounds > MAX_ROUNDS) {
		fprintf(stderr, "attach_bench: -d DEVICE is required (and -n, -r > 0)\n");
		return 2;
	}
	mkdir(PIN_ROOT, 0700);

	fd = open("/dev/ioasid", O_RDWR);
	if (fd < 0)
		die("/dev/ioasid");
	dfd = open(dev, O_RDWR);
	if (dfd < 0)
		die(dev);
	if (ioctl(fd, IOASID_IOAS_ALLOC, &alloc))
		die("IOAS_ALLOC");
	/* A few mappings, so every attach fills a domain as a real one does. */
	buf = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	map.ioas_id = alloc.out_ioas_id;
	map.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE;
	map.addr = (uintptr_t)buf;
	map.length = 64 * 4096;
	map.iova = 1UL << 30;
	if (ioctl(fd, IOASID_IOAS_MAP, &map))
		die("IOAS_MAP");
	bind.ioasid_fd = fd;
	if (ioctl(dfd, IOASID_DEVICE_BIND, &bind))
		die("bind");
	if (dev2) {
		dfd2 = open(dev2, O_RDWR);
		if (dfd2 < 0 || ioctl(dfd2, IOASID_DEVICE_BIND, &bind))
			die(dev2);
	}

	for (r = 0; r < rounds; r++) {
		fprintf(stderr, "attach_bench: round %lu/%lu\n", r + 1, rounds);
		/*
		 * Each policy right after a block of the built-in alone, so
		 * its ratio compares neighbours; then a pause, so the work
		 * an unload leaves to RCU and kworkers is not billed to the
		 * next block.
		 */
		for (i = 0; i < NR_CONFIGS - 1; i++) {
			enum config c = 1 + (i + r) % (NR_CONFIGS - 1);
			struct measure *b = &measures[BUILTIN], *m = &measures[c];
			void *skel;

			run_pairs(dfd, alloc.out_ioas_id, pairs, b, BUILTIN);
			skel = load(c);
			run_pairs(dfd, alloc.out_ioas_id, pairs, m, c);
			unload(c, skel);
			m->ratio[m->nr_ratio++] = m->per_round[m->rounds - 1] /
						  b->per_round[b->rounds - 1];
			sleep(1);
		}
	}
	run_fill(fd, dfd, dfd2, alloc.out_ioas_id, rounds);
	report(json, rounds, dfd2 >= 0);
	if (dfd2 >= 0)
		close(dfd2);
	close(dfd);
	close(fd);
	unlink(PIN_ROOT "/" IOASID_RULE_MAP_NAME(IOASID_STRICT_COHERENT_OK));
	unlink(PIN_ROOT "/" IOASID_RULE_MAP_NAME(IOASID_STRICT_PASID_DRIVERS));
	unlink(PIN_ROOT "/" IOASID_RULE_MAP_NAME(IOASID_NSR_BY_ID));
	unlink(PIN_ROOT "/" IOASID_RULE_MAP_NAME(IOASID_NSR_BY_DRIVER));
	unlink(PIN_ROOT "/" IOASID_RULE_MAP_NAME(IOASID_NSR_BY_CGROUP));
	unlink(PIN_ROOT "/" IOASID_RULE_MAP_NAME(IOASID_NSR_DEFAULT));
	rmdir(PIN_ROOT);
	return 0;
}
