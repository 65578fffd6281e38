// SPDX-License-Identifier: GPL-2.0
/*
 * map_bench: IOAS map/unmap throughput, against peers measured in the same
 * run: the pin-only floor (the same pages pinned and unpinned with no map,
 * through the test module) and, when a device can be given to vfio-pci,
 * VFIO type1 doing the same maps. Prints a table and, with -o FILE, JSON.
 *
 *   map_bench [-n N4K] [-m N2M] [-l LARGE_MIB] [-o out.json] [-g VFIO_GROUP]
 *             [-d /dev/ioasid-dev/BDF]
 *
 * With -d, a device is bound and attached to the IOAS first, so every map
 * also fills an IOMMU domain, like type1's.
 *
 * Numbers are wall-clock per operation inside a TCG guest: compare the
 * ratios, not the absolute values.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/vfio.h>
#include <linux/ioasid.h>
#include "ioasid_test_uapi.h"
#include <linux/ioasid_device.h>

#define PSZ 4096UL
#define SZ_2M (2UL << 20)

struct result {
	const char *name;
	const char *peer;	/* what this row is compared with, or NULL */
	unsigned long ops;
	unsigned long bytes;
	double seconds;
};

static struct result results[32];
static int nr_results;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void record(const char *name, const char *peer, unsigned long ops,
		   unsigned long bytes, double seconds)
{
	results[nr_results++] = (struct result){ name, peer, ops, bytes, seconds };
}

static struct result *find(const char *name)
{
	int i;

	for (i = 0; i < nr_results; i++)
		if (!strcmp(results[i].name, name))
			return &results[i];
	return NULL;
}

static void die(const char *what)
{
	fprintf(stderr, "map_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *alloc_buf(size_t len)
{
	void *p = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	/* 2 MiB aligned so THP (where enabled) gives contiguous runs. */
	p = (void *)(((unsigned long)p + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(p, len, MADV_HUGEPAGE);
	memset(p, 0x5a, len);
	return p;
}

static long slab_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* --- ioasid ------------------------------------------------------------------ */

static int ioasid_fd, test_fd;
static __u32 ioas_id;

static void ioasid_setup(void)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };

	ioasid_fd = open("/dev/ioasid", O_RDWR);
	if (ioasid_fd < 0)
		die("open /dev/ioasid");
	test_fd = open("/dev/ioasid_test", O_RDWR);
	if (test_fd < 0)
		die("open /dev/ioasid_test (load ioasid_test.ko)");
	if (ioctl(ioasid_fd, IOASID_IOAS_ALLOC, &alloc))
		die("IOAS_ALLOC");
	ioas_id = alloc.out_ioas_id;
}

static int attach_device(const char *path)
{
	struct ioasid_device_bind b = { .size = sizeof(b), .ioasid_fd = ioasid_fd };
	struct ioasid_device_attach a = { .size = sizeof(a), .ioas_id = ioas_id };
	int dfd = open(path, O_RDWR);

	if (dfd < 0 || ioctl(dfd, IOASID_DEVICE_BIND, &b) ||
	    ioctl(dfd, IOASID_DEVICE_ATTACH, &a))
		return -errno;
	return dfd;
}

static void ioasid_map(void *va, unsigned long len, __u64 iova)
{
	struct ioasid_ioas_map map = {
		.size = sizeof(map), .ioas_id = ioas_id,
		.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE,
		.addr = (unsigned long)va, .length = len, .iova = iova,
	};

	if (ioctl(ioasid_fd, IOASID_IOAS_MAP, &map))
		die("IOAS_MAP");
}

static void ioasid_unmap(__u64 iova, unsigned long len, __u32 flags)
{
	struct ioasid_ioas_unmap unmap = {
		.size = sizeof(unmap), .ioas_id = ioas_id, .flags = flags,
		.iova = iova, .length = len,
	};

	if (ioctl(ioasid_fd, IOASID_IOAS_UNMAP, &unmap))
		die("IOAS_UNMAP");
}

static void pin_floor(void *va, unsigned long len)
{
	struct ioasid_test_pin pin = {
		.size = sizeof(pin), .uaddr = (unsigned long)va, .length = len,
	};

	if (ioctl(test_fd, IOASID_TEST_PIN, &pin))
		die("IOASID_TEST_PIN");
}

/* N separate maps of CHUNK bytes over BUF, then N unmaps, then the floor. */
static void run_chunks(const char *tag, char *buf, unsigned long span,
		       unsigned long chunk, unsigned long n)
{
	char name[64], peer[64];
	unsigned long i;
	long slab0, slab1;
	double t;

	slab0 = slab_kb();
	t = now();
	for (i = 0; i < n; i++)
		ioasid_map(buf + (i * chunk) % span, chunk, (1UL << 32) + i * chunk);
	t = now() - t;
	slab1 = slab_kb();
	snprintf(name, sizeof(name), "ioasid map %s", tag);
	snprintf(peer, sizeof(peer), "pin floor %s", tag);
	record(strdup(name), strdup(peer), n, n * chunk, t);
	if (chunk == PSZ && slab0 > 0 && slab1 > 0)
		printf("memory per 4 KiB mapping: %.0f bytes of slab (%lu mappings)\n",
		       (slab1 - slab0) * 1024.0 / n, n);

	t = now();
	for (i = 0; i < n; i++)
		ioasid_unmap((1UL << 32) + i * chunk, chunk, 0);
	t = now() - t;
	snprintf(name, sizeof(name), "ioasid unmap %s", tag);
	record(strdup(name), NULL, n, n * chunk, t);

	t = now();
	for (i = 0; i < n; i++)
		pin_floor(buf + (i * chunk) % span, chunk);
	t = now() - t;
	record(strdup(peer), NULL, n, n * chunk, t);
}

/* --- VFIO type1 peer ----------------------------------------------------------- */

static int vfio_container = -1;

static int vfio_setup(const char *group_path)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int group;

	vfio_container = open("/dev/vfio/vfio", O_RDWR);
	if (vfio_container < 0)
		return -errno;
	group = open(group_path, O_RDWR);
	if (group < 0)
		return -errno;
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &vfio_container) ||
	    ioctl(vfio_container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	return 0;
}

static void type1_chunks(const char *tag, char *buf, unsigned long span,
			 unsigned long chunk, unsigned long n)
{
	char name[64];
	unsigned long i;
	double t;

	t = now();
	for (i = 0; i < n; i++) {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (unsigned long)buf + (i * chunk) % span,
			.iova = (1UL << 32) + i * chunk, .size = chunk,
		};

		if (ioctl(vfio_container, VFIO_IOMMU_MAP_DMA, &m))
			die("VFIO_IOMMU_MAP_DMA");
	}
	t = now() - t;
	snprintf(name, sizeof(name), "type1 map %s", tag);
	record(strdup(name), NULL, n, n * chunk, t);

	t = now();
	for (i = 0; i < n; i++) {
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u), .iova = (1UL << 32) + i * chunk,
			.size = chunk,
		};

		if (ioctl(vfio_container, VFIO_IOMMU_UNMAP_DMA, &u))
			die("VFIO_IOMMU_UNMAP_DMA");
	}
	t = now() - t;
	snprintf(name, sizeof(name), "type1 unmap %s", tag);
	record(strdup(name), NULL, n, n * chunk, t);
}

/* --- report -------------------------------------------------------------------- */

static void report(const char *json_path)
{
	struct json_object *root = json_object_new_object();
	struct json_object *rows = json_object_new_array();
	int i;

	printf("\n%-26s %9s %12s %10s %10s  %s\n", "operation", "ops", "us/op",
	       "MiB/s", "ratio", "vs");
	for (i = 0; i < nr_results; i++) {
		struct result *r = &results[i], *p = r->peer ? find(r->peer) : NULL;
		double us = r->seconds * 1e6 / r->ops;
		double mibs = r->bytes / r->seconds / (1 << 20);
		struct json_object *o = json_object_new_object();

		printf("%-26s %9lu %12.2f %10.1f", r->name, r->ops, us, mibs);
		json_object_object_add(o, "name", json_object_new_string(r->name));
		json_object_object_add(o, "ops", json_object_new_int64(r->ops));
		json_object_object_add(o, "bytes", json_object_new_int64(r->bytes));
		json_object_object_add(o, "seconds", json_object_new_double(r->seconds));
		json_object_object_add(o, "us_per_op", json_object_new_double(us));
		if (p) {
			double ratio = r->seconds / p->seconds;

			printf(" %10.2f  %s", ratio, p->name);
			json_object_object_add(o, "peer", json_object_new_string(p->name));
			json_object_object_add(o, "ratio_to_peer", json_object_new_double(ratio));
		}
		printf("\n");
		json_object_array_add(rows, o);
	}
	json_object_object_add(root, "results", rows);

	/* ioasid against VFIO type1, when that peer ran. */
	{
		static const char *const pairs[][2] = {
			{ "ioasid map 4K", "type1 map 4K" },
			{ "ioasid unmap 4K", "type1 unmap 4K" },
			{ "ioasid map 2M", "type1 map 2M" },
			{ "ioasid unmap 2M", "type1 unmap 2M" },
		};
		struct json_object *cmp = json_object_new_array();
		size_t k;

		for (k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
			struct result *a = find(pairs[k][0]), *b = find(pairs[k][1]);
			struct json_object *o;

			if (!a || !b)
				continue;
			printf("ratio %-20s / %-20s = %.2f\n", a->name, b->name,
			       a->seconds / b->seconds);
			o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(a->name));
			json_object_object_add(o, "peer", json_object_new_string(b->name));
			json_object_object_add(o, "ratio", json_object_new_double(a->seconds / b->seconds));
			json_object_array_add(cmp, o);
		}
		json_object_object_add(root, "vs_type1", cmp);

	}
	if (json_path) {
		if (json_object_to_file_ext(json_path, root, JSON_C_TO_STRING_PRETTY))
			fprintf(stderr, "map_bench: cannot write %s\n", json_path);
		else
			printf("\nJSON: %s\n", json_path);
	}
	json_object_put(root);
}

int main(int argc, char **argv)
{
	unsigned long n4k = 32768, n2m = 64, large_mib = 256;
	const char *json_path = NULL, *group = NULL, *device = NULL;
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	unsigned long span;
	char *buf;
	double t;
	int c, rc;

	while ((c = getopt(argc, argv, "n:m:l:o:g:d:")) != -1) {
		switch (c) {
		case 'n': n4k = strtoul(optarg, NULL, 0); break;
		case 'm': n2m = strtoul(optarg, NULL, 0); break;
		case 'l': large_mib = strtoul(optarg, NULL, 0); break;
		case 'o': json_path = optarg; break;
		case 'g': group = optarg; break;
		case 'd': device = optarg; break;
		default:
			fprintf(stderr, "usage: map_bench [-n N4K] [-m N2M] [-l MIB] [-o JSON] [-g /dev/vfio/N]\n");
			return 2;
		}
	}
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	span = large_mib << 20;
	if (span < n2m * SZ_2M)
		span = n2m * SZ_2M;
	buf = alloc_buf(span);
	ioasid_setup();
	if (device) {
		rc = attach_device(device);
		if (rc < 0) {
			fprintf(stderr, "map_bench: attach %s: %s\n", device, strerror(-rc));
			return 1;
		}
		printf("ioasid: %s attached, maps fill its IOMMU domain\n", device);
	} else {
		printf("ioasid: no device attached, maps fill no IOMMU domain\n");
	}

	printf("map_bench: %lu x 4 KiB, %lu x 2 MiB, one %lu MiB mapping\n",
	       n4k, n2m, large_mib);
	run_chunks("4K", buf, span, PSZ, n4k);
	run_chunks("2M", buf, span, SZ_2M, n2m);

	t = now();
	ioasid_map(buf, large_mib << 20, 1UL << 36);
	record("ioasid map large", "pin floor large", 1, large_mib << 20, now() - t);
	t = now();
	ioasid_unmap(1UL << 36, large_mib << 20, 0);
	record("ioasid unmap large", NULL, 1, large_mib << 20, now() - t);
	t = now();
	pin_floor(buf, large_mib << 20);
	record("pin floor large", NULL, 1, large_mib << 20, now() - t);

	if (group) {
		rc = vfio_setup(group);
		if (rc) {
			printf("type1 peer: unavailable (%s)\n", strerror(-rc));
		} else {
			type1_chunks("4K", buf, span, PSZ, n4k);
			type1_chunks("2M", buf, span, SZ_2M, n2m);
		}
	} else {
		printf("type1 peer: not requested (-g /dev/vfio/N)\n");
	}
	report(json_path);
	return 0;
}
