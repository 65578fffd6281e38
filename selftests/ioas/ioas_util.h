// SPDX-License-Identifier: GPL-2.0
/*
 * ioas_util.h: shared by the ioas_*_test programs, which together check the
 * IO address space uAPI of /dev/ioasid (ALLOC, DESTROY, MAP, UNMAP, COPY,
 * IOVA_RANGES, ALLOW_IOVAS, OPTION, GET_INFO) against the errnos documented
 * in include/uapi/linux/ioasid.h, with the IOAS contents verified from the
 * kernel's side through /dev/ioasid_test (IOASID_TEST_IOVA_RW: read/write by
 * IOVA, IOVA -> physical address).
 *
 * The harness keeps its test list in static globals, so the tests are split
 * into several programs (one translation unit each), by topic:
 *   ioas_alloc_test    ALLOC, GET_INFO, DESTROY, OPTION, fd close
 *   ioas_map_test      MAP and UNMAP
 *   ioas_copy_test     COPY and the perm fixture
 *   ioas_ranges_test   IOVA_RANGES and ALLOW_IOVAS
 *   ioas_acct_test     the acct fixture (RLIMIT_MEMLOCK accounting)
 *   ioas_million_test  a million mappings (no mapping-count cap)
 * selftests/ioas/run.sh runs them all. This header is included exactly once
 * per program; its helpers are static inline since no program uses all of
 * them (an unused static function would be a -Werror warning). The
 * fixtures shared by several programs are defined here only when the
 * program asks for them (IOAS_WANT_FIXTURE_IOAS, IOAS_WANT_FIXTURE_MAPPED
 * defined before the #include), so that a program registers no fixture it
 * has no tests for.
 *
 * Fixture design
 * --------------
 * - ioas:   /dev/ioasid + /dev/ioasid_test open, one empty IOAS and a 2 MiB
 *           private anonymous buffer filled with a position-dependent
 *           pattern (every 32-bit word differs, so a page mapped at the
 *           wrong offset is caught). Used for the positive paths, where the
 *           test itself builds what it needs.
 * - mapped: the same plus three known mappings (kmaps[]): 64 KiB RW at
 *           1 MiB, 64 KiB read-only at 2 MiB, and 1 MiB RW ending 1 MiB
 *           below 2^64. Used for every negative case: each failing call is
 *           followed by ASSERT_INTACT(), which checks GET_INFO (number of
 *           mappings, mapped bytes, pinned pages) against the baseline and
 *           reads every known mapping back byte for byte. "A failed call
 *           changes nothing" is thus checked after each failure, at both low
 *           and high IOVAs.
 * - perm:   (ioas_copy_test.c) like ioas, with one variant per permission
 *           set (ro, wo, rw); checks what the kernel-side access may do and
 *           which COPY permission subsets are allowed.
 * - acct:   (ioas_acct_test.c) locked-memory accounting, one variant per
 *           IOASID_RLIMIT_* mode.
 *           Root has CAP_IPC_LOCK, which is charged but never refused, so
 *           every test forks a child (acct_fork()) that lowers
 *           RLIMIT_MEMLOCK to 64 pages, drops CAP_IPC_LOCK with capset() and
 *           switches to a fresh uid (a different one per test, so the
 *           per-user charge of one test cannot leak into the next) before
 *           using /dev/ioasid. _metadata is MAP_SHARED by the harness, so
 *           ASSERT/EXPECT inside that child report to the test as usual.
 *
 * All ioctl wrappers return 0 or -errno, so failures print as
 * "Expected -EEXIST (-17) == map_fixed(...) (-22)". Sizes assume 4 KiB
 * pages (every fixture skips otherwise).
 */
#ifndef IOAS_UTIL_H
#define IOAS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/ioasid.h>
#include "ioasid_test_uapi.h"

/*
 * The harness's TEST_F wrapper reads a local (child) after setjmp(); once a
 * test body is inlined into it GCC -O2 -Wextra flags that as -Wclobbered.
 * It is the harness's variable, not ours (selftests/Makefile turns the
 * warning off for all test code; this keeps stand-alone builds clean).
 */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#define PSZ		4096ULL
#define BUF_SIZE	(2ULL << 20)
#define RO		IOASID_MAP_READABLE
#define WO		IOASID_MAP_WRITEABLE
#define RW		(IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE)
#define FIXED		IOASID_MAP_FIXED_IOVA
#define U64MAX		UINT64_MAX
#define TOP(n)		(0ULL - (__u64)(n))	/* 2^64 - n */
#define U(p)		((__u64)(uintptr_t)(p))
#define BAD_ID		0xdeadbeefU
#define IOVA_A		0x1000000ULL		/* 16 MiB */
#define IOVA_B		0x2000000ULL		/* 32 MiB */
#define MiB		(1ULL << 20)

/* ------------------------------------------------------------------ */
/* ioctl wrappers: 0 or -errno                                          */
/* ------------------------------------------------------------------ */

static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int ioas_alloc(int fd, __u32 flags, __u32 parent, __u32 *id)
{
	struct ioasid_ioas_alloc a = {
		.size = sizeof(a), .flags = flags, .parent_id = parent,
	};
	int rc = xioctl(fd, IOASID_IOAS_ALLOC, &a);

	if (!rc && id)
		*id = a.out_ioas_id;
	return rc;
}

static inline int destroy(int fd, __u32 id)
{
	struct ioasid_destroy d = { .size = sizeof(d), .id = id };

	return xioctl(fd, IOASID_DESTROY, &d);
}

/* *iova is in with FIXED and out without it. */
static inline int map_ex(int fd, __u32 ioas, __u64 addr, __u64 len, __u64 *iova,
			 __u32 flags, __u64 align)
{
	struct ioasid_ioas_map m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas,
		.addr = addr, .length = len, .iova = *iova, .align = align,
	};
	int rc = xioctl(fd, IOASID_IOAS_MAP, &m);

	if (!rc)
		*iova = m.iova;
	return rc;
}

static inline int map_fixed(int fd, __u32 ioas, __u64 addr, __u64 len,
			    __u64 iova, __u32 flags)
{
	return map_ex(fd, ioas, addr, len, &iova, flags | FIXED, 0);
}

static inline int unmap(int fd, __u32 ioas, __u64 iova, __u64 len, __u32 flags,
			__u64 *out_len)
{
	struct ioasid_ioas_unmap u = {
		.size = sizeof(u), .flags = flags, .ioas_id = ioas,
		.iova = iova, .length = len,
	};
	int rc = xioctl(fd, IOASID_IOAS_UNMAP, &u);

	if (!rc && out_len)
		*out_len = u.length;
	return rc;
}

/* *dst_iova is in with FIXED and out without it. */
static inline int copy_ex(int fd, __u32 dst, __u32 src, __u64 src_iova,
			  __u64 len, __u64 *dst_iova, __u32 flags)
{
	struct ioasid_ioas_copy c = {
		.size = sizeof(c), .flags = flags, .dst_ioas_id = dst,
		.src_ioas_id = src, .length = len, .dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int rc = xioctl(fd, IOASID_IOAS_COPY, &c);

	if (!rc)
		*dst_iova = c.dst_iova;
	return rc;
}

static inline int copy_fixed(int fd, __u32 dst, __u32 src, __u64 src_iova,
			     __u64 len, __u64 dst_iova, __u32 flags)
{
	return copy_ex(fd, dst, src, src_iova, len, &dst_iova, flags | FIXED);
}

/* Out fields are poisoned first so that the kernel must write them. */
static inline int get_info(int fd, __u32 ioas, struct ioasid_ioas_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	info->size = sizeof(*info);
	info->ioas_id = ioas;
	return xioctl(fd, IOASID_IOAS_GET_INFO, info);
}

static inline int iova_ranges(int fd, __u32 ioas, struct ioasid_iova_range *r,
			      __u32 *num, __u64 *align)
{
	struct ioasid_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ioas, .num_iovas = *num,
		.allowed_iovas = U(r),
	};
	int rc = xioctl(fd, IOASID_IOAS_IOVA_RANGES, &q);

	*num = q.num_iovas;
	if (align)
		*align = q.out_iova_alignment;
	return rc;
}

static inline int allow_iovas(int fd, __u32 ioas,
			      const struct ioasid_iova_range *r, __u32 num)
{
	struct ioasid_ioas_allow_iovas a = {
		.size = sizeof(a), .ioas_id = ioas, .num_iovas = num,
		.allowed_iovas = U(r),
	};

	return xioctl(fd, IOASID_IOAS_ALLOW_IOVAS, &a);
}

static inline int option(int fd, __u16 op, __u32 option_id, __u32 object_id,
			 __u64 *val)
{
	struct ioasid_option o = {
		.size = sizeof(o), .option_id = option_id, .op = op,
		.object_id = object_id, .val64 = val ? *val : 0,
	};
	int rc = xioctl(fd, IOASID_OPTION, &o);

	if (!rc && val)
		*val = o.val64;
	return rc;
}

static inline int set_mode(int fd, __u64 mode)
{
	return option(fd, IOASID_OPTION_OP_SET, IOASID_OPTION_RLIMIT_MODE, 0,
		      &mode);
}

static inline int iova_rw(int tfd, int fd, __u32 ioas, __u32 flags, __u64 iova,
			  void *buf, __u64 len, __u64 *phys)
{
	struct ioasid_test_iova_rw rw = {
		.size = sizeof(rw), .flags = flags, .ioasid_fd = fd,
		.ioas_id = ioas, .iova = iova, .length = len, .uptr = U(buf),
	};
	int rc = xioctl(tfd, IOASID_TEST_IOVA_RW, &rw);

	if (!rc && phys)
		*phys = rw.out_phys;
	return rc;
}

/* Read 16 bytes at @iova: 0 if mapped, -ENOENT if not. */
static inline int peek(int tfd, int fd, __u32 ioas, __u64 iova)
{
	uint8_t b[16];

	return iova_rw(tfd, fd, ioas, IOASID_TEST_RW_READ, iova, b, sizeof(b),
		       NULL);
}

/* ------------------------------------------------------------------ */
/* assertion helpers (need _metadata)                                   */
/* ------------------------------------------------------------------ */

static inline void fill(void *p, size_t len, uint32_t seed)
{
	uint32_t *w = p;
	size_t i;

	for (i = 0; i < len / 4; i++)
		w[i] = seed ^ (uint32_t)(i * 2654435761u);
}

static inline void check_bytes(struct __test_metadata *_metadata, int tfd,
			       int fd, __u32 ioas, __u64 iova, const void *exp,
			       size_t len, int line)
{
	const uint8_t *e = exp;
	uint8_t *got = malloc(len);
	size_t i;
	int rc;

	ASSERT_NE(NULL, got);
	rc = iova_rw(tfd, fd, ioas, IOASID_TEST_RW_READ, iova, got, len, NULL);
	if (rc) {
		TH_LOG("line %d: IOVA_RW read of ioas %u iova 0x%llx len 0x%zx: %s",
		       line, ioas, iova, len, strerror(-rc));
		free(got);
		ASSERT_EQ(0, rc);
	}
	for (i = 0; i < len && got[i] == e[i]; i++)
		;
	if (i < len) {
		TH_LOG("line %d: ioas %u iova 0x%llx + 0x%zx: read 0x%02x, expected 0x%02x",
		       line, ioas, iova, i, got[i], e[i]);
		free(got);
		ASSERT_EQ(len, i);
	}
	free(got);
}

static inline __u64 phys_of(struct __test_metadata *_metadata, int tfd, int fd,
			    __u32 ioas, __u64 iova, int line)
{
	__u64 phys = 0;
	int rc = iova_rw(tfd, fd, ioas, IOASID_TEST_RW_PHYS, iova, NULL, 0,
			 &phys);

	if (rc)
		TH_LOG("line %d: IOVA_RW PHYS of ioas %u iova 0x%llx: %s",
		       line, ioas, iova, strerror(-rc));
	ASSERT_EQ(0, rc);
	return phys;
}

static inline void check_info(struct __test_metadata *_metadata, int fd,
			      __u32 ioas, __u32 nr, __u64 bytes, __u64 pinned,
			      int line)
{
	struct ioasid_ioas_info info;
	int rc = get_info(fd, ioas, &info);

	if (rc || info.out_nr_mappings != nr ||
	    info.out_mapped_bytes != bytes ||
	    (pinned != U64MAX && info.out_pinned_pages != pinned))
		TH_LOG("line %d: ioas %u info: rc %d nr_mappings %u (want %u) mapped_bytes 0x%llx (want 0x%llx) pinned_pages %llu (want %lld)",
		       line, ioas, rc, info.out_nr_mappings, nr,
		       info.out_mapped_bytes, bytes, info.out_pinned_pages,
		       (long long)pinned);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(nr, info.out_nr_mappings);
	ASSERT_EQ(bytes, info.out_mapped_bytes);
	if (pinned != U64MAX)
		ASSERT_EQ(pinned, info.out_pinned_pages);
}

/* The IOAS allows exactly [0, U64_MAX]. */
static inline void check_whole_space(struct __test_metadata *_metadata, int fd,
				     __u32 ioas, int line)
{
	struct ioasid_iova_range r[4];
	__u32 num = 4;
	int rc;

	memset(r, 0xa5, sizeof(r));
	rc = iova_ranges(fd, ioas, r, &num, NULL);
	if (rc || num != 1 || r[0].start || r[0].last != U64MAX)
		TH_LOG("line %d: IOVA_RANGES rc %d num %u [0x%llx, 0x%llx], want one range [0, U64_MAX]",
		       line, rc, num, r[0].start, r[0].last);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(1U, num);
	ASSERT_EQ(0ULL, r[0].start);
	ASSERT_EQ(U64MAX, r[0].last);
}

#define CHECK_BYTES(ioas, iova, exp, len) \
	check_bytes(_metadata, self->tfd, self->fd, ioas, iova, exp, len, __LINE__)
#define PHYS(ioas, iova) \
	phys_of(_metadata, self->tfd, self->fd, ioas, iova, __LINE__)
#define CHECK_INFO(ioas, nr, bytes, pinned) \
	check_info(_metadata, self->fd, ioas, nr, bytes, pinned, __LINE__)
#define CHECK_WHOLE_SPACE(ioas) \
	check_whole_space(_metadata, self->fd, ioas, __LINE__)
#define ASSERT_UNMAPPED(ioas, iova) \
	ASSERT_EQ(-ENOENT, peek(self->tfd, self->fd, ioas, iova))
#define ASSERT_MAPPED(ioas, iova) \
	ASSERT_EQ(0, peek(self->tfd, self->fd, ioas, iova))
/* map/copy from self->buf into self->ioas at a fixed IOVA */
#define MAPF(off, len, iova, flags) \
	map_fixed(self->fd, self->ioas, U(self->buf + (off)), len, iova, flags)
#define UNMAP(iova, len, flags, out) \
	unmap(self->fd, self->ioas, iova, len, flags, out)

static inline int open_dev(struct __test_metadata *_metadata, const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		TH_LOG("open %s: %s (modules ioasid and ioasid_test loaded?)",
		       path, strerror(errno));
	ASSERT_LE(0, fd);
	return fd;
}

static inline uint8_t *new_buf(struct __test_metadata *_metadata, size_t len,
			       uint32_t seed)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	fill(p, len, seed);
	return p;
}

static inline long vmlck_kb(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

#define COMMON_SETUP() do { \
	if (sysconf(_SC_PAGESIZE) != (long)PSZ) \
		SKIP(return, "these tests assume 4 KiB pages"); \
	self->fd = open_dev(_metadata, "/dev/ioasid"); \
	self->tfd = open_dev(_metadata, "/dev/ioasid_test"); \
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &self->ioas)); \
	ASSERT_NE(0U, self->ioas); \
	self->buf = new_buf(_metadata, BUF_SIZE, 0x10a5c3e1u); \
} while (0)

#define COMMON_TEARDOWN() do { \
	munmap(self->buf, BUF_SIZE); \
	close(self->tfd); \
	close(self->fd); \
} while (0)

#ifdef IOAS_WANT_FIXTURE_IOAS
/* ================================================================== */
/* fixture ioas: empty IOAS                                             */
/* ================================================================== */

FIXTURE(ioas) {
	int fd, tfd;
	__u32 ioas;
	uint8_t *buf;
};

FIXTURE_SETUP(ioas)
{
	COMMON_SETUP();
}

FIXTURE_TEARDOWN(ioas)
{
	COMMON_TEARDOWN();
}
#endif /* IOAS_WANT_FIXTURE_IOAS */

#ifdef IOAS_WANT_FIXTURE_MAPPED
/* ================================================================== */
/* fixture mapped: three known mappings, ASSERT_INTACT after failures   */
/* ================================================================== */

static const struct kmap {
	__u64 off, len, iova;
	__u32 flags;
} kmaps[] = {
	{ 0x000000, 0x010000, 0x100000, RW },		/* M0 */
	{ 0x010000, 0x010000, 0x200000, RO },		/* M1 */
	{ 0x100000, 0x100000, TOP(2 * MiB), RW },	/* M2: ends 1 MiB below 2^64 */
};
#define NR_KMAPS	3U
#define KMAP_BYTES	(0x10000ULL + 0x10000 + 0x100000)
#define M0		kmaps[0]
#define M1		kmaps[1]
#define M2		kmaps[2]
#define FREE_IOVA	0x1000000ULL	/* nothing mapped around here */
#define FREE_OFF	0x40000ULL	/* buffer part not in any kmap */

FIXTURE(mapped) {
	int fd, tfd;
	__u32 ioas;
	uint8_t *buf;
};

static void assert_intact(struct __test_metadata *_metadata,
			  FIXTURE_DATA(mapped) *self, int line)
{
	unsigned int i;

	check_info(_metadata, self->fd, self->ioas, NR_KMAPS, KMAP_BYTES,
		   KMAP_BYTES / PSZ, line);
	for (i = 0; i < NR_KMAPS; i++)
		check_bytes(_metadata, self->tfd, self->fd, self->ioas,
			    kmaps[i].iova, self->buf + kmaps[i].off,
			    kmaps[i].len, line);
}

#define ASSERT_INTACT() assert_intact(_metadata, self, __LINE__)
/* The call fails with exactly @err and the IOAS is unchanged. */
#define FAILS(err, call) do { \
	ASSERT_EQ(-(err), (call)); \
	ASSERT_INTACT(); \
} while (0)

FIXTURE_SETUP(mapped)
{
	unsigned int i;

	COMMON_SETUP();
	for (i = 0; i < NR_KMAPS; i++)
		ASSERT_EQ(0, MAPF(kmaps[i].off, kmaps[i].len, kmaps[i].iova,
				  kmaps[i].flags));
	ASSERT_INTACT();
}

FIXTURE_TEARDOWN(mapped)
{
	COMMON_TEARDOWN();
}
#endif /* IOAS_WANT_FIXTURE_MAPPED */

#endif /* IOAS_UTIL_H */
