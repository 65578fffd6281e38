// SPDX-License-Identifier: GPL-2.0
/*
 * map_bench: the same map/unmap workloads on every peer measured in one
 * boot, interleaved, repeated, with min/median/max per peer.
 *
 * Peers (each one a program doing exactly the same maps):
 *   ioasid       /dev/ioasid IOAS, a device (ioasid-pci) attached       -d
 *   type1        a VFIO type1v2 container served by vfio_iommu_type1    -g
 *   ioasid-vfio  the same container code, served by ioasid-vfio         -g -V
 *                (serve_type1 switched between the two for each setup)
 *   iommufd      /dev/iommu IOAS, the vfio cdev bound and attached      -c
 *   floor        pin+unpin of the same pages (ioasid_test), nothing mapped
 *
 * Every peer that is asked for must work: one that cannot be set up, or a
 * container served by the wrong driver, ends the run with exit status 1.
 * Each repetition sets every peer up afresh and runs them in a rotated
 * order (rep r starts with peer r), so drift in a TCG guest hits all alike.
 *
 *   map_bench -o out.json [-r REPS] [-n N4K] [-m N2M] [-l LARGE_MIB]
 *             [-G M1,M2,...] [-R GROWTH_REPS] [-k OPS] [-d /dev/ioasid-dev/BDF]
 *             [-g /dev/vfio/N [-V]] [-c /dev/vfio/devices/vfioN] [-H]
 *             [-w WORKLOAD,...]
 *
 * Defaults: 5 repetitions, 16384 x 4 KiB, 32 x 2 MiB, one 256 MiB mapping;
 * growth to 1k, 10k, 100k and 1M mappings, 3 repetitions of 1000 probes.
 *
 * Numbers are wall-clock inside a TCG guest: absolute times mean nothing,
 * only ratios between peers measured in the same run do.
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
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/vfio.h>
#include <linux/iommufd.h>
#include <linux/ioasid.h>
#include <linux/ioasid_device.h>
#include "ioasid_test_uapi.h"

#define PSZ 4096UL
#define SZ_2M (2UL << 20)
#define MAX_REPS 32
#define IOVA_CHUNKS (1UL << 32)	/* the N x chunk workloads */
#define IOVA_LARGE (1UL << 36)	/* the one large mapping */
#define IOVA_GROW (1UL << 38)	/* the growth prefill, then its probes */
#define SERVE_TYPE1 "/sys/module/ioasid_vfio/parameters/serve_type1"

static void die(const char *what)
{
	fprintf(stderr, "map_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long meminfo_kb(const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':') {
			kb = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

static long module_refcnt(const char *mod)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mod);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strtol(buf, NULL, 10);
}

static int write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -errno;
	rc = fputs(val, f) < 0 ? -EIO : 0;
	if (fclose(f))
		rc = -errno;
	return rc;
}

/* --- peers ------------------------------------------------------------------- */

struct peer {
	const char *name;
	const char *path;	/* device, group or cdev */
	int (*setup)(struct peer *p);
	int (*map)(struct peer *p, void *va, unsigned long len, __u64 iova);
	int (*unmap)(struct peer *p, __u64 iova, unsigned long len);
	int fd, dfd, gfd;
	__u32 ioas;
	bool serve;		/* container: ioasid-vfio serves it */
	bool limited;		/* growth stops at the entry limit */
};

static int test_fd = -1;

static void peer_close(struct peer *p)
{
	if (p->dfd >= 0)
		close(p->dfd);
	if (p->gfd >= 0)
		close(p->gfd);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = p->dfd = p->gfd = -1;
}

static int ioasid_setup(struct peer *p)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_device_bind b = { .size = sizeof(b) };
	struct ioasid_device_attach a = { .size = sizeof(a) };

	p->fd = open("/dev/ioasid", O_RDWR);
	if (p->fd < 0 || ioctl(p->fd, IOASID_IOAS_ALLOC, &alloc))
		return -errno;
	p->ioas = alloc.out_ioas_id;
	p->dfd = open(p->path, O_RDWR);
	b.ioasid_fd = p->fd;
	a.ioas_id = p->ioas;
	if (p->dfd < 0 || ioctl(p->dfd, IOASID_DEVICE_BIND, &b) ||
	    ioctl(p->dfd, IOASID_DEVICE_ATTACH, &a))
		return -errno;
	return 0;
}

static int ioasid_map(struct peer *p, void *va, unsigned long len, __u64 iova)
{
	struct ioasid_ioas_map m = {
		.size = sizeof(m), .ioas_id = p->ioas,
		.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE,
		.addr = (unsigned long)va, .length = len, .iova = iova,
	};

	return ioctl(p->fd, IOASID_IOAS_MAP, &m) ? -errno : 0;
}

static int ioasid_unmap(struct peer *p, __u64 iova, unsigned long len)
{
	struct ioasid_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = p->ioas, .iova = iova, .length = len,
	};

	return ioctl(p->fd, IOASID_IOAS_UNMAP, &u) ? -errno : 0;
}

/* type1 and ioasid-vfio: one program, the driver chosen by serve_type1. */
static int container_setup(struct peer *p)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	const char *mod = p->serve ? "ioasid_vfio" : "vfio_iommu_type1";
	long ref0;
	int rc;

	if (access(SERVE_TYPE1, F_OK) == 0) {
		rc = write_file(SERVE_TYPE1, p->serve ? "Y" : "N");
		if (rc)
			return rc;
	} else if (p->serve) {
		return -ENOENT;
	}
	ref0 = module_refcnt(mod);
	p->fd = open("/dev/vfio/vfio", O_RDWR);
	if (p->fd < 0)
		return -errno;
	p->gfd = open(p->path, O_RDWR);
	if (p->gfd < 0)
		return -errno;
	if (ioctl(p->gfd, VFIO_GROUP_GET_STATUS, &st))
		return -errno;
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	if (ioctl(p->gfd, VFIO_GROUP_SET_CONTAINER, &p->fd) ||
	    ioctl(p->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	/* The container holds a reference on the module serving it. */
	if (module_refcnt(mod) <= ref0) {
		fprintf(stderr, "map_bench: %s: the container is not served by %s\n",
			p->name, mod);
		return -ESRCH;
	}
	return 0;
}

static int container_map(struct peer *p, void *va, unsigned long len, __u64 iova)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (unsigned long)va, .iova = iova, .size = len,
	};

	return ioctl(p->fd, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

static int container_unmap(struct peer *p, __u64 iova, unsigned long len)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = len,
	};

	return ioctl(p->fd, VFIO_IOMMU_UNMAP_DMA, &u) ? -errno : 0;
}

static int iommufd_setup(struct peer *p)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };

	p->fd = open("/dev/iommu", O_RDWR);
	if (p->fd < 0 || ioctl(p->fd, IOMMU_IOAS_ALLOC, &alloc))
		return -errno;
	p->ioas = alloc.out_ioas_id;
	p->dfd = open(p->path, O_RDWR);
	b.iommufd = p->fd;
	a.pt_id = p->ioas;
	if (p->dfd < 0 || ioctl(p->dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) ||
	    ioctl(p->dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a))
		return -errno;
	return 0;
}

static int iommufd_map(struct peer *p, void *va, unsigned long len, __u64 iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = p->ioas,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (unsigned long)va, .length = len, .iova = iova,
	};

	return ioctl(p->fd, IOMMU_IOAS_MAP, &m) ? -errno : 0;
}

static int iommufd_unmap(struct peer *p, __u64 iova, unsigned long len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = p->ioas, .iova = iova, .length = len,
	};

	return ioctl(p->fd, IOMMU_IOAS_UNMAP, &u) ? -errno : 0;
}

/* The floor: "map" pins and unpins the same pages; "unmap" has nothing left. */
static int floor_setup(struct peer *p)
{
	(void)p;
	return test_fd < 0 ? -ENOENT : 0;
}

static int floor_map(struct peer *p, void *va, unsigned long len, __u64 iova)
{
	struct ioasid_test_pin pin = {
		.size = sizeof(pin), .uaddr = (unsigned long)va, .length = len,
	};

	(void)p;
	(void)iova;
	return ioctl(test_fd, IOASID_TEST_PIN, &pin) ? -errno : 0;
}

static int floor_unmap(struct peer *p, __u64 iova, unsigned long len)
{
	(void)p;
	(void)iova;
	(void)len;
	return 0;
}

#define MAX_PEERS 5
static struct peer peers[MAX_PEERS];
static int nr_peers;

static void add_peer(const char *name, const char *path,
		     int (*setup)(struct peer *),
		     int (*map)(struct peer *, void *, unsigned long, __u64),
		     int (*unmap)(struct peer *, __u64, unsigned long),
		     bool serve, bool limited)
{
	peers[nr_peers++] = (struct peer){
		.name = name, .path = path, .setup = setup, .map = map,
		.unmap = unmap, .fd = -1, .dfd = -1, .gfd = -1,
		.serve = serve, .limited = limited,
	};
}

static void peer_open(struct peer *p)
{
	int rc = p->setup(p);

	if (rc) {
		fprintf(stderr, "map_bench: peer %s (%s) cannot be measured: %s\n",
			p->name, p->path ? p->path : "-", strerror(-rc));
		exit(1);
	}
}

/* --- workloads ------------------------------------------------------------------ */

struct sample {
	double map, unmap;	/* seconds */
};

struct workload {
	const char *name;
	const char *backing;
	char *buf;
	unsigned long chunk, n;
	__u64 iova;
	bool skip;
	char why[96];
	struct sample s[MAX_PEERS][MAX_REPS];
};

#define MAX_WORKLOADS 6
static struct workload workloads[MAX_WORKLOADS];
static int nr_workloads;
static unsigned int reps = 5;

static void run_workload(struct peer *p, struct workload *w, unsigned long n,
			 struct sample *out)
{
	unsigned long i;
	double t;
	int rc;

	t = now();
	for (i = 0; i < n; i++) {
		rc = p->map(p, w->buf + i * w->chunk, w->chunk, w->iova + i * w->chunk);
		if (rc) {
			errno = -rc;
			fprintf(stderr, "map_bench: %s %s map %lu: ", p->name, w->name, i);
			die("map");
		}
	}
	out->map = now() - t;
	t = now();
	for (i = 0; i < n; i++) {
		rc = p->unmap(p, w->iova + i * w->chunk, w->chunk);
		if (rc) {
			errno = -rc;
			fprintf(stderr, "map_bench: %s %s unmap %lu: ", p->name, w->name, i);
			die("unmap");
		}
	}
	out->unmap = now() - t;
}

static char *alloc_buf(size_t len, int backing)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	size_t extra = backing == 2 ? 0 : SZ_2M;
	char *p;

	if (backing == 2)
		flags |= MAP_HUGETLB | (21 << MAP_HUGE_SHIFT);
	p = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	p = (char *)(((unsigned long)p + SZ_2M - 1) & ~(SZ_2M - 1));
	if (backing == 0)
		madvise(p, len, MADV_NOHUGEPAGE);
	else if (backing == 1)
		madvise(p, len, MADV_HUGEPAGE);
	memset(p, 0x5a, len);
	return p;
}

static long anon_huge_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static const char *only;	/* -w: the workloads to run, comma-separated */

static bool wanted(const char *name)
{
	size_t len = strlen(name);
	const char *p;

	if (!only)
		return true;
	for (p = only; (p = strstr(p, name)); p += len)
		if ((p == only || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
	return false;
}

static void add_workload(const char *name, const char *backing, char *buf,
			 unsigned long chunk, unsigned long n, __u64 iova)
{
	struct workload *w;

	if (!wanted(name))
		return;
	w = &workloads[nr_workloads++];

	w->name = name;
	w->backing = backing;
	w->buf = buf;
	w->chunk = chunk;
	w->n = n;
	w->iova = iova;
	if (!buf) {
		w->skip = true;
		snprintf(w->why, sizeof(w->why), "no %s memory: %s", backing,
			 strerror(errno));
	}
}

/* --- 2 MiB IOPTEs, seen through the test module's mock IOMMU ---------------------- */

static long long iopte_size(char *buf, unsigned long len)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_test_mock m = { .size = sizeof(m), .op = IOASID_TEST_MOCK_CREATE };
	struct peer p = { .fd = -1 };
	long long size = -1;
	__u32 id;

	p.fd = open("/dev/ioasid", O_RDWR);
	if (p.fd < 0 || ioctl(p.fd, IOASID_IOAS_ALLOC, &alloc) ||
	    ioctl(test_fd, IOASID_TEST_MOCK, &m))
		die("mock IOMMU setup");
	p.ioas = alloc.out_ioas_id;
	id = m.mock_id;
	m = (struct ioasid_test_mock){ .size = sizeof(m), .op = IOASID_TEST_MOCK_BIND,
		.mock_id = id, .ioasid_fd = p.fd, .vendor = 0x1234, .device = 0x11e8 };
	if (ioctl(test_fd, IOASID_TEST_MOCK, &m))
		die("mock bind");
	m = (struct ioasid_test_mock){ .size = sizeof(m), .op = IOASID_TEST_MOCK_ATTACH,
		.mock_id = id, .ioas_id = p.ioas };
	if (ioctl(test_fd, IOASID_TEST_MOCK, &m))
		die("mock attach");
	if (!ioasid_map(&p, buf, len, IOVA_CHUNKS)) {
		m = (struct ioasid_test_mock){ .size = sizeof(m),
			.op = IOASID_TEST_MOCK_QUERY, .mock_id = id,
			.iova = IOVA_CHUNKS + SZ_2M / 2 };
		if (!ioctl(test_fd, IOASID_TEST_MOCK, &m))
			size = m.out_iopte_size;
		ioasid_unmap(&p, IOVA_CHUNKS, len);
	}
	m = (struct ioasid_test_mock){ .size = sizeof(m), .op = IOASID_TEST_MOCK_DESTROY,
		.mock_id = id };
	ioctl(test_fd, IOASID_TEST_MOCK, &m);
	close(p.fd);
	return size;
}

/* --- growth: per-op cost with M mappings already in place ------------------------------ */

struct grow_point {
	unsigned long m;
	double map[MAX_PEERS][MAX_REPS], unmap[MAX_PEERS][MAX_REPS];
	double slab_b[MAX_PEERS][MAX_REPS], total_b[MAX_PEERS][MAX_REPS];
	unsigned int nr[MAX_PEERS];
	long limit[MAX_PEERS];	/* mappings at which the peer refused, or -1 */
	int limit_err[MAX_PEERS];
};

#define MAX_GROW 8
static struct grow_point grow[MAX_GROW];
static int nr_grow;
static unsigned long grow_ops = 1000;
static unsigned int grow_reps = 3;

/* A pool of 4 KiB pages the prefill maps again and again at new IOVAs. */
#define POOL_PAGES 4096UL

static void grow_one(struct peer *p, int pi, struct grow_point *g, char *pool,
		     unsigned int r)
{
	unsigned long i;
	long slab0, free0;
	double t;
	int rc;

	peer_open(p);
	slab0 = meminfo_kb("Slab");
	free0 = meminfo_kb("MemFree");
	for (i = 0; i < g->m; i++) {
		rc = p->map(p, pool + (i % POOL_PAGES) * PSZ, PSZ, IOVA_GROW + i * PSZ);
		if (rc) {
			g->limit[pi] = i;
			g->limit_err[pi] = -rc;
			peer_close(p);
			return;
		}
	}
	g->slab_b[pi][r] = (meminfo_kb("Slab") - slab0) * 1024.0 / g->m;
	g->total_b[pi][r] = (free0 - meminfo_kb("MemFree")) * 1024.0 / g->m;
	t = now();
	for (i = 0; i < grow_ops; i++)
		if (p->map(p, pool + (i % POOL_PAGES) * PSZ, PSZ,
			   IOVA_GROW + (g->m + i) * PSZ))
			die("growth probe map");
	g->map[pi][r] = (now() - t) / grow_ops;
	t = now();
	for (i = 0; i < grow_ops; i++)
		if (p->unmap(p, IOVA_GROW + (g->m + i) * PSZ, PSZ))
			die("growth probe unmap");
	g->unmap[pi][r] = (now() - t) / grow_ops;
	g->nr[pi] = r + 1;
	peer_close(p);
}

/* --- statistics and report ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* {min, median, max} of n values, as a JSON object; *med gets the median. */
static struct json_object *stats(const double *v, unsigned int n, double scale,
				 double *med)
{
	struct json_object *o = json_object_new_object();
	struct json_object *all = json_object_new_array();
	double s[MAX_REPS];
	unsigned int i;

	for (i = 0; i < n; i++) {
		s[i] = v[i] * scale;
		json_object_array_add(all, json_object_new_double(s[i]));
	}
	qsort(s, n, sizeof(s[0]), cmp_double);
	*med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	json_object_object_add(o, "min", json_object_new_double(s[0]));
	json_object_object_add(o, "median", json_object_new_double(*med));
	json_object_object_add(o, "max", json_object_new_double(s[n - 1]));
	json_object_object_add(o, "samples", all);
	return o;
}

static struct json_object *environment(void)
{
	struct json_object *o = json_object_new_object();
	struct utsname u;
	double load[3] = { -1, -1, -1 };
	FILE *f = fopen("/proc/loadavg", "r");
	char thp[128] = "";

	uname(&u);
	json_object_object_add(o, "kernel", json_object_new_string(u.release));
	if (f) {
		if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
			load[0] = -1;
		fclose(f);
	}
	json_object_object_add(o, "guest_loadavg_1m", json_object_new_double(load[0]));
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		if (!fgets(thp, sizeof(thp), f))
			thp[0] = 0;
		thp[strcspn(thp, "\n")] = 0;
		fclose(f);
	}
	json_object_object_add(o, "thp", json_object_new_string(thp));
	json_object_object_add(o, "note", json_object_new_string(
		"TCG guest: absolute times are meaningless, only ratios between peers of the same run count"));
	return o;
}

static void report(const char *json_path, struct json_object *extra)
{
	struct json_object *root = json_object_new_object();
	struct json_object *jw = json_object_new_array(), *jg = json_object_new_array();
	struct json_object *jp = json_object_new_array();
	double med;
	int wi, pi, gi;

	json_object_object_add(root, "environment", environment());
	for (pi = 0; pi < nr_peers; pi++)
		json_object_array_add(jp, json_object_new_string(peers[pi].name));
	json_object_object_add(root, "peers", jp);
	json_object_object_add(root, "reps", json_object_new_int(reps));

	printf("\nmap_bench: median of %u interleaved repetitions, us per operation\n"
	       "(TCG: absolute times are meaningless; compare peers of this run only)\n",
	       reps);
	printf("%-12s %-9s", "workload", "op");
	for (pi = 0; pi < nr_peers; pi++)
		printf(" %12s", peers[pi].name);
	printf("\n");
	for (wi = 0; wi < nr_workloads; wi++) {
		struct workload *w = &workloads[wi];
		struct json_object *o = json_object_new_object(), *res;
		static const char *const ops[] = { "map", "unmap", "map+unmap" };
		unsigned int k;

		json_object_object_add(o, "name", json_object_new_string(w->name));
		json_object_object_add(o, "backing", json_object_new_string(w->backing));
		json_object_object_add(o, "chunk", json_object_new_int64(w->chunk));
		json_object_object_add(o, "n", json_object_new_int64(w->n));
		if (w->skip) {
			json_object_object_add(o, "skipped", json_object_new_string(w->why));
			printf("%-12s skipped: %s\n", w->name, w->why);
			json_object_array_add(jw, o);
			continue;
		}
		res = json_object_new_object();
		for (pi = 0; pi < nr_peers; pi++)
			json_object_object_add(res, peers[pi].name, json_object_new_object());
		for (k = 0; k < 3; k++) {
			printf("%-12s %-9s", w->name, ops[k]);
			for (pi = 0; pi < nr_peers; pi++) {
				double v[MAX_REPS];
				unsigned int r;
				struct json_object *po;

				if (k < 2 && !strcmp(peers[pi].name, "floor")) {
					printf(" %12s", "-");
					continue;
				}
				for (r = 0; r < reps; r++)
					v[r] = k == 0 ? w->s[pi][r].map :
					       k == 1 ? w->s[pi][r].unmap :
					       w->s[pi][r].map + w->s[pi][r].unmap;
				json_object_object_get_ex(res, peers[pi].name, &po);
				json_object_object_add(po, ops[k],
					stats(v, reps, 1e6 / w->n, &med));
				printf(" %12.2f", med);
			}
			printf("\n");
		}
		json_object_object_add(o, "us_per_op", res);
		json_object_array_add(jw, o);
	}
	json_object_object_add(root, "workloads", jw);

	if (nr_grow)
		printf("\ngrowth: us per 4 KiB map / unmap with M mappings in place; "
		       "bytes per mapping (slab / all memory)\n");
	for (gi = 0; gi < nr_grow; gi++) {
		struct grow_point *g = &grow[gi];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "mappings", json_object_new_int64(g->m));
		for (pi = 0; pi < nr_peers; pi++) {
			struct json_object *po = json_object_new_object();

			if (!strcmp(peers[pi].name, "floor"))
				continue;
			printf("M=%-8lu %-12s", g->m, peers[pi].name);
			if (g->limit[pi] >= 0) {
				json_object_object_add(po, "stopped_at",
					json_object_new_int64(g->limit[pi]));
				json_object_object_add(po, "error",
					json_object_new_string(strerror(g->limit_err[pi])));
				printf(" stopped at %ld mappings (%s)\n", g->limit[pi],
				       strerror(g->limit_err[pi]));
			} else {
				json_object_object_add(po, "map_us",
					stats(g->map[pi], g->nr[pi], 1e6, &med));
				printf(" map %8.2f", med);
				json_object_object_add(po, "unmap_us",
					stats(g->unmap[pi], g->nr[pi], 1e6, &med));
				printf(" unmap %8.2f", med);
				json_object_object_add(po, "slab_bytes_per_mapping",
					stats(g->slab_b[pi], g->nr[pi], 1, &med));
				printf(" slab %6.0f B", med);
				json_object_object_add(po, "bytes_per_mapping",
					stats(g->total_b[pi], g->nr[pi], 1, &med));
				printf(" all %6.0f B\n", med);
			}
			json_object_object_add(o, peers[pi].name, po);
		}
		json_object_array_add(jg, o);
	}
	json_object_object_add(root, "growth", jg);
	json_object_object_add(root, "iopte", extra);

	if (json_object_to_file_ext(json_path, root, JSON_C_TO_STRING_PRETTY)) {
		fprintf(stderr, "map_bench: cannot write %s\n", json_path);
		exit(1);
	}
	printf("\nJSON: %s\n", json_path);
	json_object_put(root);
}

static void parse_growth(char *list)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok && nr_grow < MAX_GROW;
	     tok = strtok_r(NULL, ",", &save)) {
		grow[nr_grow].m = strtoul(tok, NULL, 0);
		if (!grow[nr_grow].m)
			continue;
		memset(grow[nr_grow].limit, 0xff, sizeof(grow[nr_grow].limit));
		nr_grow++;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: map_bench -o JSON [-r REPS] [-n N4K] [-m N2M] [-l LARGE_MIB]\n"
		"                 [-G M1,M2,...] [-R GROWTH_REPS] [-k OPS]\n"
		"                 [-d /dev/ioasid-dev/BDF] [-g /dev/vfio/N [-V]]\n"
		"                 [-c /dev/vfio/devices/vfioN] [-H] [-w WORKLOAD,...]\n"
		"  -G 0: no growth; -w: only these of 4K, 2M-thp, 2M-hugetlb,\n"
		"  large-4K, large-thp, large-hugetlb\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long n4k = 16384, n2m = 32, large_mib = 256, span;
	const char *json_path = NULL, *group = NULL, *device = NULL, *cdev = NULL;
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct json_object *iopte = json_object_new_object();
	bool vfio_served = false, need_hugetlb = false, grow_given = false;
	char *buf4k, *bufthp, *bufhuge;
	unsigned int r;
	long long sz;
	int c, i, wi;

	while ((c = getopt(argc, argv, "o:r:n:m:l:G:R:k:d:g:Vc:Hw:")) != -1) {
		switch (c) {
		case 'o': json_path = optarg; break;
		case 'r': reps = strtoul(optarg, NULL, 0); break;
		case 'n': n4k = strtoul(optarg, NULL, 0); break;
		case 'm': n2m = strtoul(optarg, NULL, 0); break;
		case 'l': large_mib = strtoul(optarg, NULL, 0); break;
		case 'G': parse_growth(optarg); grow_given = true; break;
		case 'w': only = optarg; break;
		case 'R': grow_reps = strtoul(optarg, NULL, 0); break;
		case 'k': grow_ops = strtoul(optarg, NULL, 0); break;
		case 'd': device = optarg; break;
		case 'g': group = optarg; break;
		case 'V': vfio_served = true; break;
		case 'c': cdev = optarg; break;
		case 'H': need_hugetlb = true; break;
		default: usage();
		}
	}
	if (!grow_given) {
		char def[] = "1000,10000,100000,1000000";

		parse_growth(def);
	}
	if (!json_path || !device || reps < 1 || reps > MAX_REPS ||
	    grow_reps < 1 || grow_reps > MAX_REPS || (vfio_served && !group) ||
	    !n4k || !n2m || !large_mib || !grow_ops)
		usage();
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	test_fd = open("/dev/ioasid_test", O_RDWR);
	if (test_fd < 0)
		die("open /dev/ioasid_test (load ioasid_test.ko)");

	/* ioasid first in the list; the run order rotates anyway. */
	add_peer("ioasid", device, ioasid_setup, ioasid_map, ioasid_unmap, false, false);
	if (group)
		add_peer("type1", group, container_setup, container_map,
			 container_unmap, false, true);
	if (vfio_served)
		add_peer("ioasid-vfio", group, container_setup, container_map,
			 container_unmap, true, true);
	if (cdev)
		add_peer("iommufd", cdev, iommufd_setup, iommufd_map, iommufd_unmap,
			 false, false);
	add_peer("floor", NULL, floor_setup, floor_map, floor_unmap, false, false);

	span = large_mib << 20;
	if (span < n4k * PSZ)
		span = n4k * PSZ;
	buf4k = alloc_buf(span, 0);
	span = large_mib << 20;
	if (span < n2m * SZ_2M)
		span = n2m * SZ_2M;
	bufthp = alloc_buf(span, 1);
	if (!buf4k || !bufthp)
		die("mmap");
	/* hugetlb: the 2 MiB chunks and the one large mapping share it. */
	span = large_mib << 20;
	if (span < n2m * SZ_2M)
		span = n2m * SZ_2M;
	bufhuge = alloc_buf(span, 2);
	if (!bufhuge && need_hugetlb)
		die("hugetlb mmap (reserve pages: /proc/sys/vm/nr_hugepages)");
	printf("map_bench: THP backs %ld of %lu KiB of the THP buffer\n",
	       anon_huge_kb(), span >> 10);

	add_workload("4K", "4K pages", buf4k, PSZ, n4k, IOVA_CHUNKS);
	add_workload("2M-thp", "THP", bufthp, SZ_2M, n2m, IOVA_CHUNKS);
	add_workload("2M-hugetlb", "hugetlb", bufhuge, SZ_2M, n2m, IOVA_CHUNKS);
	add_workload("large-4K", "4K pages", buf4k, large_mib << 20, 1, IOVA_LARGE);
	add_workload("large-thp", "THP", bufthp, large_mib << 20, 1, IOVA_LARGE);
	add_workload("large-hugetlb", "hugetlb", bufhuge, large_mib << 20, 1, IOVA_LARGE);

	/* Which IOPTE size the mock IOMMU got for 2 MiB of each backing. */
	json_object_object_add(iopte, "note", json_object_new_string(
		"IOPTE translating the middle of a 2 MiB ioasid mapping, mock IOMMU of ioasid_test"));
	for (wi = 0; wi < nr_workloads; wi++) {
		struct workload *w = &workloads[wi];

		if (w->skip || w->chunk != SZ_2M)
			continue;
		sz = iopte_size(w->buf, SZ_2M);
		json_object_object_add(iopte, w->backing, json_object_new_int64(sz));
		printf("map_bench: 2 MiB of %s memory is mapped with a %lld-byte IOPTE\n",
		       w->backing, sz);
	}

	/* Warm-up: every peer once through a short version of each workload. */
	for (i = 0; i < nr_peers; i++) {
		struct sample junk;

		peer_open(&peers[i]);
		for (wi = 0; wi < nr_workloads; wi++)
			if (!workloads[wi].skip)
				run_workload(&peers[i], &workloads[wi],
					     workloads[wi].n < 256 ? workloads[wi].n : 256,
					     &junk);
		peer_close(&peers[i]);
	}

	for (r = 0; r < reps; r++) {
		fprintf(stderr, "map_bench: repetition %u/%u\n", r + 1, reps);
		for (i = 0; i < nr_peers; i++) {
			int pi = (i + r) % nr_peers;

			peer_open(&peers[pi]);
			for (wi = 0; wi < nr_workloads; wi++)
				if (!workloads[wi].skip)
					run_workload(&peers[pi], &workloads[wi],
						     workloads[wi].n, &workloads[wi].s[pi][r]);
			peer_close(&peers[pi]);
		}
	}

	for (c = 0; c < nr_grow; c++) {
		for (r = 0; r < grow_reps; r++) {
			fprintf(stderr, "map_bench: growth M=%lu, repetition %u/%u\n",
				grow[c].m, r + 1, grow_reps);
			for (i = 0; i < nr_peers; i++) {
				int pi = (i + r) % nr_peers;

				if (!strcmp(peers[pi].name, "floor") ||
				    grow[c].limit[pi] >= 0)
					continue;
				grow_one(&peers[pi], pi, &grow[c], buf4k, r);
			}
		}
	}
	report(json_path, iopte);
	return 0;
}
