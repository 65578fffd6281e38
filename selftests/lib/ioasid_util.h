/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioasid_util.h: the one helper library of the ioasid selftests
 * (implementation in ioasid_util.c, compiled once and linked into every
 * test program).
 *
 * Conventions: every ioctl wrapper returns 0 or -errno, so failures print
 * as "Expected -EEXIST (-17) == map_fixed(...) (-22)"; out parameters may
 * be NULL where the caller does not want them. Names by object:
 *   ioas_alloc, destroy, map_ex/map_fixed, unmap, copy_ex/copy_fixed,
 *   get_info, iova_ranges, allow_iovas, option/[gs]et_mode /dev/ioasid IOAS
 *   cache_flush, dry_run_init/dry_run                      /dev/ioasid
 *   dev_bind, dev_attach, dev_detach, dev_info, region_offset,
 *   enable_bus_master, edu_dma                             a device fd
 *   bound_edus, edu_bdf, edu_dev_path, pci_bdf, pci_link_name  PCI, edu
 *   iova_rw, peek, mock_*, acc_*                           /dev/ioasid_test
 *   sysfs_read, sysfs_write, sysfs_long, ioasid_stat, ioasid_live
 *
 * Harness helpers: included after kselftest_harness.h, this header also
 * defines the assertion helpers that need _metadata (CHECK_BYTES,
 * CHECK_INFO, EXPECT_NO_LEAK, ...), and, on request, the fixtures several
 * programs share (define before the #include):
 *   IOAS_WANT_FIXTURE_IOAS     fixture ioas: /dev/ioasid + /dev/ioasid_test,
 *                              one empty IOAS, a 2 MiB patterned buffer
 *   IOAS_WANT_FIXTURE_MAPPED   fixture mapped: the same plus three known
 *                              mappings, ASSERT_INTACT()/FAILS() after
 *                              every failing call
 *   IOASID_WANT_FIXTURE_EDU    fixture edu: the first edu bound to
 *                              ioasid-pci, its fd, one IOAS, four pages
 *   IOASID_WANT_FIXTURE_POLICY fixture policy: the policy_test.bpf.o
 *                              skeleton, libbpf log capture, LOAD/ATTACH
 * (a program registers no fixture it has no tests for, and the harness
 * needs fixtures in the test's translation unit).
 *
 * The IOAS fixtures: "ioas" serves the positive paths, where the test
 * builds what it needs. "mapped" serves every negative case: kmaps[] are
 * 64 KiB RW at 1 MiB, 64 KiB read-only at 2 MiB and 1 MiB RW ending 1 MiB
 * below 2^64; each failing call is followed by ASSERT_INTACT(), which checks
 * GET_INFO (mappings, bytes, pinned pages) against the baseline and reads
 * every known mapping back byte for byte, so "a failed call changes
 * nothing" is checked at low and high IOVAs. Sizes assume 4 KiB pages
 * (every fixture skips otherwise).
 *
 * edu copies between RAM and a 4 KiB internal buffer at 0x40000; QEMU 7.2
 * aborts the VM on a 4096-byte transfer (off by one), so transfers stay at
 * 2048 bytes (XFER). edu masks DMA addresses to 28 bits: every IOVA the
 * device tests use is below 256 MiB.
 */
#ifndef IOASID_UTIL_H
#define IOASID_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
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
#include <linux/ioasid_device.h>
#include <linux/ioasid_policy.h>
#include "ioasid_test_uapi.h"

#define PSZ		4096UL
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

#define POLICY_SYSFS	"/sys/kernel/ioasid/policy"
#define IOASID_STATS_DIR "/sys/kernel/ioasid/stats"

/* sysfs ---------------------------------------------------------------- */

/* A sysfs file into buf without the trailing newline; 0 or -errno. */
int sysfs_read(const char *path, char *buf, size_t len);
int sysfs_write(const char *path, const char *val);
/* The number in a sysfs file (any base), or -1. */
long sysfs_long(const char *path);

/* The live counts of /sys/kernel/ioasid/stats (see kernel/stats.c). */
struct ioasid_live {
	long fds, objects, groups, domains, pasid_attachments, charged_pages;
	long accesses, access_pins;
};

long ioasid_stat(const char *name);
struct ioasid_live ioasid_live(void);

/* /dev/ioasid ------------------------------------------------------------ */

int xioctl(int fd, unsigned long cmd, void *arg);
/* flags IOASID_IOAS_ALLOC_NESTED with a parent IOAS. */
int ioas_alloc(int fd, __u32 flags, __u32 parent, __u32 *id);
int destroy(int fd, __u32 id);
/* *iova is in with FIXED and out without it. */
int map_ex(int fd, __u32 ioas, __u64 addr, __u64 len, __u64 *iova,
	   __u32 flags, __u64 align);
/* addr: a user address (U(p)), or a parent IOVA in a nested IOAS. */
int map_fixed(int fd, __u32 ioas, __u64 addr, __u64 len, __u64 iova,
	      __u32 flags);
int unmap(int fd, __u32 ioas, __u64 iova, __u64 len, __u32 flags,
	  __u64 *out_len);
/* *dst_iova is in with FIXED and out without it. */
int copy_ex(int fd, __u32 dst, __u32 src, __u64 src_iova, __u64 len,
	    __u64 *dst_iova, __u32 flags);
int copy_fixed(int fd, __u32 dst, __u32 src, __u64 src_iova, __u64 len,
	       __u64 dst_iova, __u32 flags);
/* Out fields are poisoned first so that the kernel must write them. */
int get_info(int fd, __u32 ioas, struct ioasid_ioas_info *info);
int iova_ranges(int fd, __u32 ioas, struct ioasid_iova_range *r, __u32 *num,
		__u64 *align);
int allow_iovas(int fd, __u32 ioas, const struct ioasid_iova_range *r,
		__u32 num);
int option(int fd, __u16 op, __u32 option_id, __u32 object_id, __u64 *val);
int set_mode(int fd, __u64 mode);
/* @fd's IOASID_OPTION_RLIMIT_MODE (0xdead in *mode if the GET fails). */
int get_mode(int fd, __u64 *mode);
int cache_flush(int fd, __u32 *nr_cpus);
/* A dry-run request for a PCI device with the given IOMMU caps. */
void dry_run_init(struct ioasid_policy_dry_run *dr, __u16 vendor,
		  __u16 device, __u32 caps);
int dry_run(int fd, struct ioasid_policy_dry_run *dr);

/* devices (ioasid-pci) and edu ------------------------------------------- */

int dev_bind(int dfd, int ioasid_fd, __u32 *dev_id);
int dev_attach(int dfd, __u32 ioas, __u32 flags, __u32 pasid);
int dev_detach(int dfd, __u32 flags, __u32 pasid);
int dev_info(int dfd, struct ioasid_device_info *info);
off_t region_offset(int index);
int enable_bus_master(int dfd);

/* BDFs of the edu devices (1234:11e8) bound to ioasid-pci: up to @max. */
int bound_edus(char (*bdfs)[64], int max);
/* The first bound edu's BDF, its /dev/ioasid-dev path; NULL if none. */
const char *edu_bdf(void);
const char *edu_dev_path(void);
/* "dddd:bb:dd.f" as the kernel's 32-bit BDF, or -1. */
long pci_bdf(const char *name);
/*
 * The last part of the sysfs link /sys/bus/pci/devices/@bdf/@attr into @buf
 * (the driver's name for "driver", the group number for "iommu_group"):
 * 0 or -errno (-ENOENT: no such link, e.g. no driver bound).
 */
int pci_link_name(const char *bdf, const char *attr, char *buf, size_t len);

#include "edu_regs.h"
#define XFER		2048

static inline void reg_write64(volatile void *bar, unsigned int off,
			       uint64_t val)
{
	*(volatile uint64_t *)((volatile char *)bar + off) = val;
}

static inline uint64_t reg_read64(volatile void *bar, unsigned int off)
{
	return *(volatile uint64_t *)((volatile char *)bar + off);
}

/* One edu DMA; waits for it (edu completes on a 100 ms timer). */
int edu_dma(volatile void *bar, uint64_t src, uint64_t dst, uint64_t len,
	    bool to_ram);

/* /dev/ioasid_test: IOVA access, mock devices, software devices ---------- */

int iova_rw(int tfd, int fd, __u32 ioas, __u32 flags, __u64 iova, void *buf,
	    __u64 len, __u64 *phys);
/* Read 16 bytes at @iova: 0 if mapped, -ENOENT if not. */
int peek(int tfd, int fd, __u32 ioas, __u64 iova);
/* A position-dependent pattern: every 32-bit word differs. */
void fill(void *p, size_t len, uint32_t seed);
/* The number after "@key:" in a /proc file (/proc/self/status), or -1. */
long proc_value(const char *path, const char *key);
/* VmPin of this process in KiB, or -1. */
long vmlck_kb(void);

int mock_cmd(int tfd, struct ioasid_test_mock *m);
/* mock_cmd with op and mock_id set; the rest of *m is the caller's. */
int mock_op(int tfd, __u32 op, __u32 id, struct ioasid_test_mock *m);
int mock_create(int tfd, __u32 pasid_bits, __u32 flags, __u32 *id);
int mock_simple(int tfd, __u32 op, __u32 id);
int mock_bind(int tfd, __u32 id, int fd, __u16 vendor, __u16 device,
	      __u32 *dev_id);
int mock_attach(int tfd, __u32 id, __u32 ioas, __u32 flags, __u32 pasid,
		struct ioasid_policy_decision *d);
int mock_detach(int tfd, __u32 id, __u32 flags, __u32 pasid);
/* The mock device's DMA at @pasid (0: RID). */
int mock_dma(int tfd, __u32 id, __u32 pasid, __u64 iova, void *buf,
	     __u64 len, bool write);
int mock_query(int tfd, __u32 id, __u32 pasid, __u64 *serial,
	       __u64 *faults);
/* Size of the mock IOMMU's IOPTE translating @iova at the RID (0: none). */
long long mock_iopte_size(int tfd, __u32 id, __u64 iova);
/* A mock device (1af4:10f1; CREATE @flags) bound to @fd, attached to @ioas. */
int mock_new_attached(int tfd, int fd, __u32 ioas, __u32 flags, __u32 *id);
/*
 * Page references and pins (IOASID_TEST_PAGE_INFO) of the page at user
 * address @addr, or at a physical address, after draining this CPU's LRU
 * batches: exact when the caller stays on one CPU (pin_to_this_cpu()).
 */
int pin_to_this_cpu(void);
int page_info(int tfd, const void *addr, struct ioasid_test_page_info *pi);
int page_info_phys(int tfd, __u64 phys, struct ioasid_test_page_info *pi);
int mock_kdev_open(int tfd, __u32 id, __u16 vendor, __u16 device);
int mock_ctx_create(int tfd, __u32 id, __u32 pasid,
		    struct ioasid_policy_decision *d);
int mock_ctx_map(int tfd, __u32 id, __u32 pasid, __u64 iova, void *buf,
		 __u64 len, __u32 flags);
int mock_ctx_op(int tfd, __u32 op, __u32 id, __u32 pasid, __u64 iova,
		__u64 len);

int acc_cmd(int tfd, struct ioasid_test_access *a);
/* A software device (1af4:10f0) on @fd. */
int acc_create(int tfd, int fd, __u32 flags, __u32 *id, __u32 *obj_id);
int acc_attach(int tfd, __u32 id, __u32 ioas,
	       struct ioasid_policy_decision *d);
int acc_create_attach(int tfd, int fd, __u32 ioas, __u32 flags, __u32 *id);
int acc_op(int tfd, __u32 op, __u32 id, __u64 iova, __u64 len, void *buf,
	   __u32 flags);
int acc_query(int tfd, __u32 id, __u64 *pins, __u64 *callbacks);
__u64 unpin_violations(int fd, __u32 ioas);
/*
 * Announce, in the kernel log, the unpin violation (a WARN once per
 * access) a test is about to provoke, or just provoked, with the test
 * module's software device: tools/vm/scan-log expects exactly as many of
 * these warnings as announcements.
 */
void expect_unpin_violation(void);

#define acc_pin(t, id, iova, len, buf) \
	acc_op(t, IOASID_TEST_ACCESS_PIN, id, iova, len, buf, 0)
#define acc_pin_w(t, id, iova, len) \
	acc_op(t, IOASID_TEST_ACCESS_PIN, id, iova, len, NULL, \
	       IOASID_TEST_ACCESS_PIN_WRITE)
#define acc_unpin(t, id, iova, len) \
	acc_op(t, IOASID_TEST_ACCESS_UNPIN, id, iova, len, NULL, 0)
#define acc_read(t, id, iova, len, buf) \
	acc_op(t, IOASID_TEST_ACCESS_READ, id, iova, len, buf, 0)
#define acc_write(t, id, iova, len, buf) \
	acc_op(t, IOASID_TEST_ACCESS_WRITE, id, iova, len, buf, 0)
#define acc_peek(t, id, iova, len, buf) \
	acc_op(t, IOASID_TEST_ACCESS_PEEK, id, iova, len, buf, 0)

#endif /* IOASID_UTIL_H */

/*
 * ---------------------------------------------------------------------------
 * With the kselftest harness: assertion helpers and the shared fixtures.
 */
#if defined(__KSELFTEST_HARNESS_H) && !defined(IOASID_UTIL_HARNESS_H)
#define IOASID_UTIL_HARNESS_H

/*
 * Open /dev/ioasid into @fd and the first bound edu's device into @dfd, or
 * skip the test when no edu is bound to ioasid-pci.
 */
#define OPEN_EDU_OR_SKIP(fd, dfd) do {					\
	const char *_path = edu_dev_path();				\
	if (!_path)							\
		SKIP(return, "no edu device bound to ioasid-pci in this VM"); \
	(fd) = open_dev(_metadata, "/dev/ioasid");			\
	(dfd) = open_dev(_metadata, _path);				\
} while (0)

/* Check that @fd's IOASID_OPTION_RLIMIT_MODE reads back as @mode. */
#define EXPECT_MODE(fd, mode) do {					\
	__u64 _mode;							\
	ASSERT_EQ(0, get_mode(fd, &_mode));				\
	EXPECT_EQ((__u64)(mode), _mode);				\
} while (0)

/* Assert that nothing is left above @base. */
#define EXPECT_NO_LEAK(base) do {					\
	struct ioasid_live _now = ioasid_live();			\
	EXPECT_EQ((base).fds, _now.fds);				\
	EXPECT_EQ((base).objects, _now.objects);			\
	EXPECT_EQ((base).groups, _now.groups);				\
	EXPECT_EQ((base).domains, _now.domains);			\
	EXPECT_EQ((base).pasid_attachments, _now.pasid_attachments);	\
	EXPECT_EQ((base).charged_pages, _now.charged_pages);		\
	EXPECT_EQ((base).accesses, _now.accesses);			\
	EXPECT_EQ((base).access_pins, _now.access_pins);		\
} while (0)

/* A dry run (dry_run_init's request) that must succeed, its answer in *dr. */
#define DRY_RUN(dr, fd, vendor, device, caps) do {			\
	dry_run_init(dr, vendor, device, caps);				\
	ASSERT_EQ(0, dry_run(fd, dr));					\
} while (0)

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

/*
 * A fixture teardown with the test module: close @tfd first (its accesses
 * and mocks hold the ioasid fd), then @fd; unmap @len bytes at @buf; check
 * that nothing is left above @base.
 */
static inline void close_with_test_fd(struct __test_metadata *_metadata,
				      int tfd, int fd, void *buf, size_t len,
				      struct ioasid_live base)
{
	close(tfd);
	close(fd);
	munmap(buf, len);
	EXPECT_NO_LEAK(base);
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

#define COMMON_SETUP() do { \
	if (sysconf(_SC_PAGESIZE) != (long)PSZ) \
		SKIP(return, "these tests assume 4 KiB pages"); \
	self->fd = open_dev(_metadata, "/dev/ioasid"); \
	self->tfd = open_dev(_metadata, "/dev/ioasid_test"); \
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &self->ioas)); \
	ASSERT_NE(0U, self->ioas); \
	self->buf = new_buf(_metadata, BUF_SIZE, 0x10a5c3e1u); \
} while (0)

/*
 * Setup of a fixture with fd, tfd, ioas, mock and base: on this CPU only
 * (page_info() is exact there), the live counts in base, one IOAS with a
 * coherent mock device attached.
 */
#define MOCK_IOAS_SETUP() do { \
	if (sysconf(_SC_PAGESIZE) != (long)PSZ) \
		SKIP(return, "these tests assume 4 KiB pages"); \
	ASSERT_EQ(0, pin_to_this_cpu()); \
	self->base = ioasid_live(); \
	self->fd = open_dev(_metadata, "/dev/ioasid"); \
	self->tfd = open_dev(_metadata, "/dev/ioasid_test"); \
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &self->ioas)); \
	ASSERT_EQ(0, mock_new_attached(self->tfd, self->fd, self->ioas, \
				       IOASID_TEST_MOCK_COHERENT, &self->mock)); \
} while (0)

#define COMMON_TEARDOWN() do { \
	munmap(self->buf, BUF_SIZE); \
	close(self->tfd); \
	close(self->fd); \
} while (0)

#endif /* IOASID_UTIL_HARNESS_H */

#if defined(IOAS_WANT_FIXTURE_IOAS) && defined(IOASID_UTIL_HARNESS_H) && \
	!defined(IOASID_FIXTURE_IOAS_DONE)
#define IOASID_FIXTURE_IOAS_DONE
/* fixture ioas: an empty IOAS */
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

#if defined(IOAS_WANT_FIXTURE_MAPPED) && defined(IOASID_UTIL_HARNESS_H) && \
	!defined(IOASID_FIXTURE_MAPPED_DONE)
#define IOASID_FIXTURE_MAPPED_DONE
/* fixture mapped: three known mappings, ASSERT_INTACT after failures */
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

#if defined(IOASID_WANT_FIXTURE_EDU) && defined(IOASID_UTIL_HARNESS_H) && \
	!defined(IOASID_FIXTURE_EDU_DONE)
#define IOASID_FIXTURE_EDU_DONE

/* The device tests' IOVAs (below edu's 28-bit DMA mask). */
#define EDU_IOVA_A	0x100000UL
#define EDU_IOVA_B	0x200000UL

/* fixture edu: an ioasid fd, the device fd, one IOAS, four pages */
FIXTURE(edu) {
	int fd;		/* /dev/ioasid */
	int dfd;	/* /dev/ioasid-dev/<BDF> */
	__u32 ioas;
	char *buf;	/* 4 pages: [0] source, [1] destination, [2-3] spare */
	volatile void *bar;
};

FIXTURE_SETUP(edu)
{
	const char *path = edu_dev_path();

	self->dfd = -1;
	self->bar = NULL;
	self->fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, self->fd);
	if (!path)
		SKIP(return, "no edu device bound to ioasid-pci in this VM");
	self->dfd = open(path, O_RDWR);
	ASSERT_LE(0, self->dfd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &self->ioas));
	self->buf = mmap(NULL, 4 * PSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	for (int i = 0; i < XFER; i++)
		self->buf[i] = (char)(i * 7 + 3);
	memset(self->buf + PSZ, 0, 3 * PSZ);
}

FIXTURE_TEARDOWN(edu)
{
	if (self->bar)
		munmap((void *)self->bar, 1 << 20);
	if (self->dfd >= 0)
		close(self->dfd);
	close(self->fd);
}

/* Bind, attach to the fixture's IOAS and map BAR0. */
static inline int bring_up(struct __test_metadata *_metadata,
			   FIXTURE_DATA(edu) *self)
{
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	ASSERT_EQ(0, enable_bus_master(self->dfd));
	self->bar = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->dfd, region_offset(0));
	ASSERT_NE(MAP_FAILED, self->bar);
	return 0;
}
#endif /* IOASID_WANT_FIXTURE_EDU */

#if defined(IOASID_WANT_FIXTURE_POLICY) && defined(IOASID_UTIL_HARNESS_H) && \
	!defined(IOASID_FIXTURE_POLICY_DONE)
#define IOASID_FIXTURE_POLICY_DONE
#include <stdarg.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "policy_test.skel.h"
#include "policy_bad.skel.h"
#include "policy_foreign.skel.h"

static char libbpf_log[65536];
static size_t libbpf_log_len;

static inline int capture_print(enum libbpf_print_level level, const char *fmt,
				va_list args)
{
	int n;

	if (libbpf_log_len >= sizeof(libbpf_log) - 1)
		return 0;
	n = vsnprintf(libbpf_log + libbpf_log_len,
		      sizeof(libbpf_log) - libbpf_log_len, fmt, args);
	if (n > 0)
		libbpf_log_len += n;
	if (libbpf_log_len >= sizeof(libbpf_log))
		libbpf_log_len = sizeof(libbpf_log) - 1;
	return 0;
}

static inline void log_reset(void)
{
	libbpf_log_len = 0;
	libbpf_log[0] = 0;
}

/* Create exactly the struct_ops maps of @obj that @want says. */
static inline void
want_struct_ops(struct bpf_object *obj,
		bool (*want)(const char *name, const void *arg), const void *arg)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map,
						want(bpf_map__name(map), arg));
}

/* A want_struct_ops() filter: the map named @arg. */
static inline bool struct_ops_named(const char *name, const void *arg)
{
	return !strcmp(name, arg);
}

/* Open the test object with exactly the struct_ops maps @want says. */
static inline struct policy_test *
open_policies(bool (*want)(const char *name, const void *arg), const void *arg)
{
	struct policy_test *skel = policy_test__open();

	if (skel)
		want_struct_ops(skel->obj, want, arg);
	return skel;
}

static inline struct policy_test *load_or_destroy(struct policy_test *skel)
{
	if (skel && policy_test__load(skel)) {
		policy_test__destroy(skel);
		return NULL;
	}
	return skel;
}

struct policy_names {
	const char *const *names;
	int n;
};

static inline bool in_names(const char *name, const void *arg)
{
	const struct policy_names *pn = arg;
	int i;

	for (i = 0; i < pn->n; i++)
		if (!strcmp(name, pn->names[i]))
			return true;
	return false;
}

/* Create exactly the named optional maps of the test object and load it. */
static inline struct policy_test *load_policies(const char *const *names, int n)
{
	struct policy_names pn = { names, n };

	return load_or_destroy(open_policies(in_names, &pn));
}

static inline bool is_a_or_b(const char *name, const void *arg)
{
	return !strcmp(name, "t_prio_a") || !strcmp(name, "t_prio_b");
}

/* Load a and b, both at priority 50, so b can take a's slot. */
static inline struct policy_test *load_a_and_b(void)
{
	struct policy_test *skel = open_policies(is_a_or_b, NULL);

	if (skel)
		skel->struct_ops.t_prio_b->priority = 50;
	return load_or_destroy(skel);
}

static inline struct bpf_link *attach(struct policy_test *skel, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, name);

	return map ? bpf_map__attach_struct_ops(map) : NULL;
}

FIXTURE(policy) {
	int fd;
	struct policy_test *skel;
	struct bpf_link *links[8];
	int nr_links;
};

FIXTURE_SETUP(policy)
{
	libbpf_set_print(capture_print);
	self->fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, self->fd);
	self->skel = NULL;
	self->nr_links = 0;
	sysfs_write(POLICY_SYSFS "/bypass", "0");
}

FIXTURE_TEARDOWN(policy)
{
	int i;

	for (i = 0; i < self->nr_links; i++)
		bpf_link__destroy(self->links[i]);
	if (self->skel)
		policy_test__destroy(self->skel);
	sysfs_write(POLICY_SYSFS "/bypass", "0");
	close(self->fd);
}

#define LOAD(...)                                                          \
	do {                                                               \
		static const char *const _n[] = { __VA_ARGS__ };           \
		log_reset();                                               \
		self->skel = load_policies(_n, sizeof(_n) / sizeof(_n[0])); \
		ASSERT_NE(NULL, self->skel) TH_LOG("load: %s", libbpf_log); \
	} while (0)

#define ATTACH(name)                                                       \
	do {                                                               \
		struct bpf_link *_l = attach(self->skel, name);            \
		ASSERT_NE(NULL, _l) TH_LOG("attach %s: %s", name, libbpf_log); \
		self->links[self->nr_links++] = _l;                        \
	} while (0)

/* Load just the policy @name and register it. */
#define LOAD_ATTACH(name)                                                  \
	do {                                                               \
		LOAD(name);                                                \
		ATTACH(name);                                              \
	} while (0)

/*
 * Bind the first bound edu to @fd, with an empty IOAS in *ioas; the device
 * fd, or -ENODEV.
 */
static inline int bind_bound_edu(struct __test_metadata *_metadata, int fd,
				 __u32 *ioas)
{
	const char *path = edu_dev_path();
	int dfd;

	if (!path)
		return -ENODEV;
	dfd = open(path, O_RDWR);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, ioas_alloc(fd, 0, 0, ioas));
	ASSERT_EQ(0, dev_bind(dfd, fd, NULL));
	return dfd;
}

/* The same, attached to that IOAS. */
static inline int attach_bound_edu(struct __test_metadata *_metadata, int fd)
{
	__u32 ioas;
	int dfd = bind_bound_edu(_metadata, fd, &ioas);

	if (dfd >= 0)
		ASSERT_EQ(0, dev_attach(dfd, ioas, 0, 0));
	return dfd;
}

/* The same in a TEST_F(policy, ...), or SKIP it without an edu. */
#define BIND_EDU_OR_SKIP(ioas) ({					\
	int _dfd = bind_bound_edu(_metadata, self->fd, ioas);		\
	if (_dfd == -ENODEV)						\
		SKIP(return, "no edu bound to ioasid-pci in this VM");	\
	_dfd;								\
})
#define ATTACH_EDU_OR_SKIP() ({						\
	int _dfd = attach_bound_edu(_metadata, self->fd);		\
	if (_dfd == -ENODEV)						\
		SKIP(return, "no edu bound to ioasid-pci in this VM");	\
	_dfd;								\
})
#endif /* IOASID_WANT_FIXTURE_POLICY */
