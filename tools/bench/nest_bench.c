// SPDX-License-Identifier: GPL-2.0
/*
 * nest_bench: what software nesting and the access API cost, as ratios to
 * peers measured in the same run.
 *
 *   nest_bench [-n N] [-r ROUNDS] [-o out.json]
 *
 * Maps (each followed by its unmap; N of 4 KiB and N/4 of 2 MiB per round),
 * with a mock device attached to the IOAS mapped into, so every map also
 * fills a domain:
 *   flat map     IOAS_MAP of user memory (pins the pages)
 *   flat copy    IOAS_COPY of an existing mapping (no pinning)
 *   nested map   IOAS_MAP in a nested IOAS of a parent range (no pinning;
 *                the composed translation is built by the kernel)
 * Reported: nested/flat map and nested/flat copy per size.
 *
 * Access API: a software device reads and writes 64 KiB at a time by IOVA
 * (ioasid_access_rw()), against the same copies through the test module's
 * IOAS reader (IOASID_TEST_IOVA_RW, no access object) and a mock device's
 * DMA through the IOMMU page table it was given.
 *
 * The rounds interleave the variants so drift in the TCG guest hits all of
 * them alike. Compare the ratios, not the absolute numbers.
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
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/ioasid.h>
#include "ioasid_test_uapi.h"
#include <linux/ioasid_device.h>

#define PSZ 4096UL
#define SZ_2M (2UL << 20)
#define CHUNK (64UL << 10)
#define RW_SPAN (4UL << 20)
#define U(p) ((__u64)(uintptr_t)(p))

enum { FLAT_MAP, FLAT_COPY, NESTED_MAP, ACC_READ, ACC_WRITE, TEST_READ,
       DMA_READ, NR_ROWS };

struct row {
	const char *name;
	int peer;		/* row compared with, or -1 */
	unsigned long ops;
	unsigned long bytes;
	double seconds;
};

static struct row rows[2][NR_ROWS];	/* [size 4K/2M] for maps; [0] for rw */
static int fd, tfd;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "nest_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void xioctl(int f, unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(f, cmd, arg))
		die(what);
}

static __u32 ioas_alloc(__u32 parent)
{
	struct ioasid_ioas_alloc a = {
		.size = sizeof(a), .parent_id = parent,
		.flags = parent ? IOASID_IOAS_ALLOC_NESTED : 0,
	};

	xioctl(fd, IOASID_IOAS_ALLOC, &a, "IOAS_ALLOC");
	return a.out_ioas_id;
}

static void map(__u32 ioas, __u64 addr, unsigned long len, __u64 iova)
{
	struct ioasid_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .addr = addr,
		.length = len, .iova = iova,
		.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE |
			 IOASID_MAP_WRITEABLE,
	};

	xioctl(fd, IOASID_IOAS_MAP, &m, "IOAS_MAP");
}

static void copy(__u32 dst, __u32 src, __u64 src_iova, unsigned long len,
		 __u64 iova)
{
	struct ioasid_ioas_copy c = {
		.size = sizeof(c), .dst_ioas_id = dst, .src_ioas_id = src,
		.src_iova = src_iova, .length = len, .dst_iova = iova,
		.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE |
			 IOASID_MAP_WRITEABLE,
	};

	xioctl(fd, IOASID_IOAS_COPY, &c, "IOAS_COPY");
}

static void unmap(__u32 ioas, __u64 iova, unsigned long len)
{
	struct ioasid_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len,
	};

	xioctl(fd, IOASID_IOAS_UNMAP, &u, "IOAS_UNMAP");
}

/* A coherent mock device attached to @ioas. */
static __u32 mock_on(__u32 ioas)
{
	struct ioasid_test_mock m = {
		.size = sizeof(m), .op = IOASID_TEST_MOCK_CREATE,
		.flags = IOASID_TEST_MOCK_COHERENT,
	};

	xioctl(tfd, IOASID_TEST_MOCK, &m, "MOCK_CREATE");
	m.op = IOASID_TEST_MOCK_BIND;
	m.ioasid_fd = fd;
	m.vendor = 0x1af4;
	xioctl(tfd, IOASID_TEST_MOCK, &m, "MOCK_BIND");
	m.op = IOASID_TEST_MOCK_ATTACH;
	m.ioas_id = ioas;
	m.flags = 0;
	xioctl(tfd, IOASID_TEST_MOCK, &m, "MOCK_ATTACH");
	return m.mock_id;
}

/* n maps of @len, each unmapped after, in @ioas: the timed unit. */
static void map_round(struct row *r, int kind, __u32 ioas, __u32 src,
		      char *buf, unsigned long len, unsigned long n)
{
	const __u64 base = 1UL << 32;
	double t0 = now();
	unsigned long i;

	for (i = 0; i < n; i++) {
		__u64 iova = base + i * len;

		if (kind == FLAT_MAP)
			map(ioas, U(buf) + (i % 8) * len, len, iova);
		else if (kind == FLAT_COPY)
			copy(ioas, src, (i % 8) * len, len, iova);
		else
			map(ioas, (i % 8) * len, len, iova);
	}
	for (i = 0; i < n; i++)
		unmap(ioas, base + i * len, len);
	r->seconds += now() - t0;
	r->ops += n;
	r->bytes += n * len;
}

static void rw_round(struct row *r, int kind, __u32 ioas, __u32 acc,
		     __u32 mock, char *tmp)
{
	double t0 = now();
	unsigned long off;

	for (off = 0; off < RW_SPAN; off += CHUNK) {
		if (kind == ACC_READ || kind == ACC_WRITE) {
			struct ioasid_test_access a = {
				.size = sizeof(a), .access_id = acc,
				.op = kind == ACC_READ ? IOASID_TEST_ACCESS_READ :
							 IOASID_TEST_ACCESS_WRITE,
				.iova = off, .length = CHUNK, .uptr = U(tmp),
			};

			xioctl(tfd, IOASID_TEST_ACCESS, &a, "ACCESS rw");
		} else if (kind == TEST_READ) {
			struct ioasid_test_iova_rw t = {
				.size = sizeof(t), .flags = IOASID_TEST_RW_READ,
				.ioasid_fd = fd, .ioas_id = ioas, .iova = off,
				.length = CHUNK, .uptr = U(tmp),
			};

			xioctl(tfd, IOASID_TEST_IOVA_RW, &t, "IOVA_RW");
		} else {
			struct ioasid_test_mock m = {
				.size = sizeof(m), .op = IOASID_TEST_MOCK_DMA,
				.mock_id = mock, .iova = off, .length = CHUNK,
				.uptr = U(tmp),
			};

			xioctl(tfd, IOASID_TEST_MOCK, &m, "MOCK_DMA");
		}
	}
	r->seconds += now() - t0;
	r->ops += RW_SPAN / CHUNK;
	r->bytes += RW_SPAN;
}

static void *alloc_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 0x5a, len);
	return p;
}

static void report(const char *json_path)
{
	static const char *const sizes[] = { "4K", "2M" };
	struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	struct json_object *ratios = json_object_new_object();
	int s, k;

	printf("\n%-22s %8s %12s %10s %8s  %s\n", "operation", "ops", "us/op",
	       "MiB/s", "ratio", "vs");
	for (s = 0; s < 2; s++) {
		for (k = 0; k < NR_ROWS; k++) {
			struct row *r = &rows[s][k];
			struct row *p = r->peer >= 0 ? &rows[s][r->peer] : NULL;
			struct json_object *o;
			char name[48];
			double us;

			if (!r->ops)
				continue;
			us = r->seconds * 1e6 / r->ops;
			if (k <= NESTED_MAP)
				snprintf(name, sizeof(name), "%s %s", r->name, sizes[s]);
			else
				snprintf(name, sizeof(name), "%s", r->name);
			printf("%-22s %8lu %12.2f %10.1f", name, r->ops, us,
			       r->bytes / r->seconds / (1 << 20));
			o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(name));
			json_object_object_add(o, "ops", json_object_new_int64(r->ops));
			json_object_object_add(o, "bytes", json_object_new_int64(r->bytes));
			json_object_object_add(o, "seconds", json_object_new_double(r->seconds));
			if (p && p->ops) {
				double ratio = (r->seconds / r->ops) / (p->seconds / p->ops);
				char key[80];

				printf(" %8.3f  %s %s", ratio, p->name,
				       k <= NESTED_MAP ? sizes[s] : "");
				json_object_object_add(o, "ratio_to_peer",
						       json_object_new_double(ratio));
				snprintf(key, sizeof(key), "%s / %s%s%s", name, p->name,
					 k <= NESTED_MAP ? " " : "",
					 k <= NESTED_MAP ? sizes[s] : "");
				json_object_object_add(ratios, key, json_object_new_double(ratio));
			}
			printf("\n");
			json_object_array_add(arr, o);
		}
	}
	/* Nested maps against the other operation that pins nothing. */
	for (s = 0; s < 2; s++) {
		struct row *nm = &rows[s][NESTED_MAP], *fc = &rows[s][FLAT_COPY];
		double ratio = (nm->seconds / nm->ops) / (fc->seconds / fc->ops);
		char key[64];

		snprintf(key, sizeof(key), "nested map %s / flat copy %s",
			 sizes[s], sizes[s]);
		printf("ratio %s = %.3f\n", key, ratio);
		json_object_object_add(ratios, key, json_object_new_double(ratio));
	}
	json_object_object_add(root, "results", arr);
	json_object_object_add(root, "ratios", ratios);
	if (json_path && json_object_to_file_ext(json_path, root,
						 JSON_C_TO_STRING_PRETTY))
		die(json_path);
	json_object_put(root);
}

int main(int argc, char **argv)
{
	unsigned long n = 256, rounds = 4, i, len;
	const char *json_path = NULL;
	__u32 flat, src, parent, child, rwioas, acc, mock;
	char *buf, *big, *tmp;
	int opt, s, k;

	while ((opt = getopt(argc, argv, "n:r:o:h")) != -1) {
		switch (opt) {
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'r': rounds = strtoul(optarg, NULL, 0); break;
		case 'o': json_path = optarg; break;
		default:
			fprintf(stderr, "usage: nest_bench [-n N] [-r ROUNDS] [-o out.json]\n");
			return 2;
		}
	}
	fd = open("/dev/ioasid", O_RDWR);
	tfd = open("/dev/ioasid_test", O_RDWR);
	if (fd < 0 || tfd < 0)
		die("open /dev/ioasid, /dev/ioasid_test");

	buf = alloc_buf(8 * SZ_2M);
	big = alloc_buf(RW_SPAN);
	tmp = alloc_buf(CHUNK);
	static const char *const names[] = {
		[FLAT_MAP] = "flat map", [FLAT_COPY] = "flat copy",
		[NESTED_MAP] = "nested map", [ACC_READ] = "access read",
		[ACC_WRITE] = "access write", [TEST_READ] = "ioas reader",
		[DMA_READ] = "mock dma read",
	};
	static const int peers[] = {
		[FLAT_MAP] = -1, [FLAT_COPY] = -1, [NESTED_MAP] = FLAT_MAP,
		[ACC_READ] = TEST_READ, [ACC_WRITE] = TEST_READ,
		[TEST_READ] = -1, [DMA_READ] = TEST_READ,
	};
	for (s = 0; s < 2; s++)
		for (k = 0; k < NR_ROWS; k++)
			rows[s][k] = (struct row){ .name = names[k], .peer = peers[k] };

	/*
	 * flat: a root IOAS with a mock attached; src: the copy source;
	 * parent maps buf at 0, child is nested in it with a mock attached.
	 */
	flat = ioas_alloc(0);
	src = ioas_alloc(0);
	parent = ioas_alloc(0);
	map(src, U(buf), 8 * SZ_2M, 0);
	map(parent, U(buf), 8 * SZ_2M, 0);
	child = ioas_alloc(parent);
	mock_on(flat);
	mock_on(child);

	/* Access API: a software device and a mock on one IOAS. */
	rwioas = ioas_alloc(0);
	map(rwioas, U(big), RW_SPAN, 0);
	{
		struct ioasid_test_access a = {
			.size = sizeof(a), .op = IOASID_TEST_ACCESS_CREATE,
			.ioasid_fd = fd, .vendor = 0x1af4,
		};

		xioctl(tfd, IOASID_TEST_ACCESS, &a, "ACCESS_CREATE");
		acc = a.access_id;
		a.op = IOASID_TEST_ACCESS_ATTACH;
		a.ioas_id = rwioas;
		xioctl(tfd, IOASID_TEST_ACCESS, &a, "ACCESS_ATTACH");
	}
	mock = mock_on(rwioas);

	fprintf(stderr, "nest_bench: %lu rounds of %lu maps per size, %lu MiB rw per round\n",
		rounds, n, RW_SPAN >> 20);
	for (i = 0; i < rounds; i++) {
		for (s = 0; s < 2; s++) {
			len = s ? SZ_2M : PSZ;
			map_round(&rows[s][FLAT_MAP], FLAT_MAP, flat, 0, buf, len,
				  s ? n / 4 : n);
			map_round(&rows[s][FLAT_COPY], FLAT_COPY, flat, src, buf,
				  len, s ? n / 4 : n);
			map_round(&rows[s][NESTED_MAP], NESTED_MAP, child, 0,
				  buf, len, s ? n / 4 : n);
		}
		rw_round(&rows[0][TEST_READ], TEST_READ, rwioas, acc, mock, tmp);
		rw_round(&rows[0][ACC_READ], ACC_READ, rwioas, acc, mock, tmp);
		rw_round(&rows[0][ACC_WRITE], ACC_WRITE, rwioas, acc, mock, tmp);
		rw_round(&rows[0][DMA_READ], DMA_READ, rwioas, acc, mock, tmp);
		fprintf(stderr, "nest_bench: round %lu/%lu done\n", i + 1, rounds);
	}
	report(json_path);
	/* Closing the test fd first frees mocks and the access. */
	close(tfd);
	close(fd);
	return 0;
}
