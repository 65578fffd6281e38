// SPDX-License-Identifier: GPL-2.0
/*
 * ioas_memory_test: user memory of every kind, mapped with a mock device
 * attached (its DMA goes through the mock IOMMU's page table): read-only
 * memory, memfd/shmem and a regular file, MAP_SHARED, a source VMA unmapped
 * after the map, fork and copy-on-write, the mapping process exiting with
 * its pins held, byte-granular IOVA_RW and DMA across page and mapping
 * boundaries, and page references back to their baseline after every unmap
 * (IOASID_TEST_PAGE_INFO). Huge pages: selftests/mock/huge_iopte_test.c.
 * Shared helpers: lib/ioasid_util.h.
 */
#include <sys/statfs.h>

#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

#define NP		4			/* pages per test buffer */
#define LEN		(NP * PSZ)

FIXTURE(mem) {
	int fd, tfd;
	__u32 ioas, mock;
	struct ioasid_live base;
};

FIXTURE_SETUP(mem)
{
	MOCK_IOAS_SETUP();
}

FIXTURE_TEARDOWN(mem)
{
	close(self->tfd);
	close(self->fd);
	EXPECT_NO_LEAK(self->base);
}

static void *map_mem(struct __test_metadata *_metadata, int prot, int flags,
		     int fd)
{
	void *p = mmap(NULL, LEN, prot, flags, fd, 0);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	return p;
}

/* The mock device reads @len bytes at @iova and finds @exp. */
static void check_dma(struct __test_metadata *_metadata,
		      FIXTURE_DATA(mem) *self, __u64 iova, const void *exp,
		      size_t len, int line)
{
	uint8_t got[LEN];
	int rc;

	ASSERT_GE(sizeof(got), len);
	rc = mock_dma(self->tfd, self->mock, 0, iova, got, len, false);
	if (rc || memcmp(got, exp, len))
		TH_LOG("line %d: DMA read of 0x%zx bytes at iova 0x%llx: %s",
		       line, len, iova, rc ? strerror(-rc) : "wrong bytes");
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, memcmp(got, exp, len));
}

#define CHECK_DMA(iova, exp, len) check_dma(_metadata, self, iova, exp, len, __LINE__)
#define DMA_WRITE(iova, src, len) \
	mock_dma(self->tfd, self->mock, 0, iova, src, len, true)

/* References and pins of the page at user address @p. */
static struct ioasid_test_page_info pstate(struct __test_metadata *_metadata,
					   int tfd, const void *p)
{
	struct ioasid_test_page_info pi;

	memset(&pi, 0, sizeof(pi));
	ASSERT_EQ(0, page_info(tfd, p, &pi)) TH_LOG("page at %p", p);
	return pi;
}

#define PSTATE(p) pstate(_metadata, self->tfd, p)
/* The page at @p holds @pins pins (and 1024 references each) over @base. */
#define EXPECT_PINNED(p, base, pins) do {				\
	struct ioasid_test_page_info _pi = PSTATE(p);			\
	EXPECT_EQ((base).out_pins + (pins), _pi.out_pins);		\
	EXPECT_EQ((base).out_refcount + (pins) * 1024ULL, _pi.out_refcount); \
} while (0)

/* Read-only memory maps read-only; devices and IOVA_RW cannot write it. */
TEST_F(mem, read_only_memory)
{
	uint8_t *p = map_mem(_metadata, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1);
	uint8_t *q = map_mem(_metadata, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct ioasid_test_page_info pi0, pi;
	uint8_t data[64], orig[LEN];
	__u64 faults0, faults, out, iova;

	fill(p, LEN, 0x0d0d);
	memcpy(orig, p, LEN);
	ASSERT_EQ(0, mprotect(p, LEN, PROT_READ));
	pi0 = PSTATE(p);

	/* Not writable by the process: no writable mapping, nothing pinned. */
	EXPECT_EQ(-EFAULT, map_fixed(self->fd, self->ioas, U(p), LEN, IOVA_A, RW));
	EXPECT_EQ(-EFAULT, map_fixed(self->fd, self->ioas, U(p), LEN, IOVA_A, WO));
	CHECK_INFO(self->ioas, 0, 0, 0);
	EXPECT_PINNED(p, pi0, 0);

	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p), LEN, IOVA_A, RO));
	EXPECT_PINNED(p, pi0, 1);
	CHECK_DMA(IOVA_A, orig, LEN);
	/* DMA writes fault and change nothing, wherever they land. */
	fill(data, sizeof(data), 0xbad);
	ASSERT_EQ(0, mock_query(self->tfd, self->mock, 0, NULL, &faults0));
	EXPECT_EQ(-EPERM, DMA_WRITE(IOVA_A, data, sizeof(data)));
	EXPECT_EQ(-EPERM, DMA_WRITE(IOVA_A + LEN - 16, data, 16));
	ASSERT_EQ(0, mock_query(self->tfd, self->mock, 0, NULL, &faults));
	EXPECT_EQ(faults0 + 2, faults);
	EXPECT_EQ(-EACCES, iova_rw(self->tfd, self->fd, self->ioas,
				   IOASID_TEST_RW_WRITE, IOVA_A, data, 1, NULL));
	EXPECT_EQ(0, memcmp(p, orig, LEN));
	CHECK_DMA(IOVA_A, orig, LEN);
	/* A copy cannot add the write permission. */
	EXPECT_EQ(-EACCES, copy_ex(self->fd, self->ioas, self->ioas, IOVA_A,
				   LEN, &iova, RW));
	ASSERT_EQ(0, copy_ex(self->fd, self->ioas, self->ioas, IOVA_A, LEN,
			     &iova, RO));
	CHECK_DMA(iova, orig, LEN);
	EXPECT_EQ(-EPERM, DMA_WRITE(iova, data, 1));
	/* One pin for the map and its copy. */
	EXPECT_PINNED(p, pi0, 1);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, 0, IOASID_UNMAP_ALL, &out));
	EXPECT_PINNED(p, pi0, 0);

	/*
	 * A read-only pin of memory not yet written must not pin a page the
	 * process then leaves by copy-on-write: its later writes reach the
	 * device.
	 */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(q), LEN, IOVA_B, RO));
	pi = PSTATE(q);
	EXPECT_EQ(1, pi.out_pins);
	EXPECT_FALSE(pi.out_flags & IOASID_TEST_PAGE_ZERO);
	fill(q, LEN, 0x1a7e);
	CHECK_DMA(IOVA_B, q, LEN);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA_B, LEN, 0, &out));
	pi = PSTATE(q);
	EXPECT_EQ(0, pi.out_pins);
	munmap(p, LEN);
	munmap(q, LEN);
}

/* memfd (shmem) memory: one page cache page for the file and the device. */
TEST_F(mem, memfd_shared)
{
	int mfd = memfd_create("ioas_memory", MFD_ALLOW_SEALING);
	uint8_t file[LEN], data[256], got[256];
	struct ioasid_test_page_info pi0;
	char rpath[64];
	uint8_t *p, *p2;
	int i, rfd;
	__u64 out;

	ASSERT_LE(0, mfd);
	fill(file, LEN, 0x3e3f);
	ASSERT_EQ((ssize_t)LEN, pwrite(mfd, file, LEN, 0));
	p = map_mem(_metadata, PROT_READ | PROT_WRITE, MAP_SHARED, mfd);
	/* Through a read-only fd: a mapping that may never write (sealing). */
	snprintf(rpath, sizeof(rpath), "/proc/self/fd/%d", mfd);
	rfd = open(rpath, O_RDONLY);
	ASSERT_LE(0, rfd);
	p2 = map_mem(_metadata, PROT_READ, MAP_SHARED, rfd);
	/* Fault both mappings in: each mapped page holds a reference. */
	for (i = 0; i < NP; i++)
		EXPECT_EQ(p[i * PSZ], ((volatile uint8_t *)p2)[i * PSZ]);
	pi0 = PSTATE(p);
	EXPECT_FALSE(pi0.out_flags & IOASID_TEST_PAGE_ANON);

	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p), LEN, IOVA_A, RW));
	EXPECT_PINNED(p, pi0, 1);
	CHECK_DMA(IOVA_A, file, LEN);
	/* The device writes the file... */
	fill(data, sizeof(data), 0x5a5a);
	ASSERT_EQ(0, DMA_WRITE(IOVA_A + PSZ - 100, data, sizeof(data)));
	ASSERT_EQ((ssize_t)sizeof(got), pread(mfd, got, sizeof(got), PSZ - 100));
	EXPECT_EQ(0, memcmp(got, data, sizeof(data)));
	EXPECT_EQ(0, memcmp(p2 + PSZ - 100, data, sizeof(data)));
	/* ...and sees what the file gets, through any mapping or write(). */
	fill(data, sizeof(data), 0x6b6b);
	ASSERT_EQ((ssize_t)sizeof(data), pwrite(mfd, data, sizeof(data), 3 * PSZ));
	CHECK_DMA(IOVA_A + 3 * PSZ, data, sizeof(data));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA_A, LEN, 0, &out));
	EXPECT_PINNED(p, pi0, 0);

	/* Sealed against writes: readable by devices, not writable. */
	munmap(p, LEN);
	pi0 = PSTATE(p2);
	ASSERT_EQ(0, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(-EFAULT, map_fixed(self->fd, self->ioas, U(p2), LEN, IOVA_A, RW));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p2), LEN, IOVA_A, RO));
	ASSERT_EQ((ssize_t)LEN, pread(mfd, file, LEN, 0));
	CHECK_DMA(IOVA_A, file, LEN);
	EXPECT_EQ(-EPERM, DMA_WRITE(IOVA_A, data, 1));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA_A, LEN, 0, &out));
	EXPECT_PINNED(p2, pi0, 0);
	munmap(p2, LEN);
	close(rfd);
	close(mfd);
}

/*
 * A regular file on a file system other than shmem (the repository's 9p
 * mount in the test VM): shared read-only mappings pin its page cache,
 * private writable ones pin the process's own copies, and a long-term
 * writable pin of a shared file mapping that needs writeback is refused.
 */
TEST_F(mem, regular_file)
{
	char path[] = TOP_DIR "/build/ioas_memory_XXXXXX", name[sizeof(path)];
	uint8_t file[LEN], data[64], got[64];
	struct statfs sfs;
	uint8_t *ro, *priv, *shw;
	__u64 out;
	int wfd, rfd;

	wfd = mkstemp(path);
	ASSERT_LE(0, wfd) TH_LOG("mkstemp %s: %s", path, strerror(errno));
	memcpy(name, path, sizeof(path));
	ASSERT_EQ(0, fstatfs(wfd, &sfs)) TH_LOG("%s", strerror(errno));
	/* 9p passes the host file system's magic through. */
	TH_LOG("file system magic 0x%lx", (unsigned long)sfs.f_type);
	fill(file, LEN, 0xf11e);
	ASSERT_EQ((ssize_t)LEN, pwrite(wfd, file, LEN, 0));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", wfd);
	rfd = open(path, O_RDONLY);
	ASSERT_LE(0, rfd);

	/* Shared, read-only: the device reads the file. */
	ro = map_mem(_metadata, PROT_READ, MAP_SHARED, rfd);
	EXPECT_EQ(-EFAULT, map_fixed(self->fd, self->ioas, U(ro), LEN, IOVA_A, RW));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(ro), LEN, IOVA_A, RO));
	CHECK_DMA(IOVA_A, file, LEN);
	EXPECT_EQ(-EPERM, DMA_WRITE(IOVA_A, data, 1));

	/* Private, writable: device writes stay in the process's copy. */
	priv = map_mem(_metadata, PROT_READ | PROT_WRITE, MAP_PRIVATE, rfd);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(priv), LEN, IOVA_B, RW));
	CHECK_DMA(IOVA_B, file, LEN);
	fill(data, sizeof(data), 0xc0c0);
	ASSERT_EQ(0, DMA_WRITE(IOVA_B + 2 * PSZ - 8, data, sizeof(data)));
	EXPECT_EQ(0, memcmp(priv + 2 * PSZ - 8, data, sizeof(data)));
	ASSERT_EQ((ssize_t)sizeof(got), pread(rfd, got, sizeof(got), 2 * PSZ - 8));
	EXPECT_EQ(0, memcmp(got, file + 2 * PSZ - 8, sizeof(got)));
	CHECK_DMA(IOVA_A + 2 * PSZ - 8, file + 2 * PSZ - 8, sizeof(data));

	/* Shared, writable: GUP refuses long-term writable file pins. */
	shw = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0);
	if (shw == MAP_FAILED) {
		TH_LOG("no shared writable mapping on this file system: %s",
		       strerror(errno));
	} else {
		EXPECT_EQ(-EFAULT, map_fixed(self->fd, self->ioas, U(shw),
					     LEN, IOVA_B + LEN, RW));
		munmap(shw, LEN);
	}
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, 0, IOASID_UNMAP_ALL, &out));
	EXPECT_EQ(2 * LEN, out);
	munmap(ro, LEN);
	munmap(priv, LEN);
	close(rfd);
	close(wfd);
	unlink(name);
}

/* Child: check @p holds @seed's pattern (1: no), then write @nseed's. */
static int child_check_write(uint8_t *p, uint32_t seed, uint32_t nseed)
{
	uint8_t exp[LEN];

	fill(exp, LEN, seed);
	if (memcmp(p, exp, LEN))
		return 1;
	fill(p, LEN, nseed);
	return 0;
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* MAP_SHARED anonymous memory: a child's writes reach the device, too. */
TEST_F(mem, shared_anonymous_across_fork)
{
	uint8_t *p = map_mem(_metadata, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1);
	uint8_t exp[LEN];
	__u64 out;
	pid_t pid;

	fill(p, LEN, 0x5140);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p), LEN, IOVA_A, RW));
	fill(exp, LEN, 0xdada);
	ASSERT_EQ(0, DMA_WRITE(IOVA_A, exp, LEN));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(child_check_write(p, 0xdada, 0xc41d));
	ASSERT_EQ(0, wait_child(pid));
	fill(exp, LEN, 0xc41d);
	CHECK_DMA(IOVA_A, exp, LEN);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA_A, LEN, 0, &out));
	munmap(p, LEN);
}

/*
 * Private memory pinned before fork stays the parent's: the child gets
 * copies, the parent's later writes (also to read-only mapped memory)
 * reach the device, and the device's writes reach only the parent.
 */
TEST_F(mem, fork_and_copy_on_write)
{
	uint8_t *p = map_mem(_metadata, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct ioasid_test_page_info pi;
	uint8_t exp[LEN];
	int go[2], res[2];
	char c = 0;
	pid_t pid;
	__u64 out;

	fill(p, LEN, 0xf0f0);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p), 2 * PSZ, IOVA_A, RW));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p) + 2 * PSZ, 2 * PSZ,
			       IOVA_A + 2 * PSZ, RO));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(res));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Wait for the device's write; see the fork-time bytes. */
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		c = child_check_write(p, 0xf0f0, 0xc1c1);
		_exit(write(res[1], &c, 1) == 1 ? 0 : 2);
	}
	/* The device writes the parent's pages, not the child's copies. */
	fill(exp, 2 * PSZ, 0xd1d1);
	ASSERT_EQ(0, DMA_WRITE(IOVA_A, exp, 2 * PSZ));
	EXPECT_EQ(0, memcmp(p, exp, 2 * PSZ));
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(1, read(res[0], &c, 1));
	EXPECT_EQ(0, c);
	ASSERT_EQ(0, wait_child(pid));
	/* The child's writes did not reach the device. */
	memcpy(exp + 2 * PSZ, p + 2 * PSZ, 2 * PSZ);
	CHECK_DMA(IOVA_A, exp, LEN);
	/* The parent's writes do, to the writable and read-only mapped parts. */
	fill(p, LEN, 0x9a9a);
	CHECK_DMA(IOVA_A, p, LEN);
	pi = PSTATE(p + 3 * PSZ);
	EXPECT_EQ(1, pi.out_pins);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, 0, IOASID_UNMAP_ALL, &out));
	pi = PSTATE(p + 3 * PSZ);
	EXPECT_EQ(0, pi.out_pins);
	close(go[0]);
	close(go[1]);
	close(res[0]);
	close(res[1]);
	munmap(p, LEN);
}

/* munmap() after IOAS_MAP: the pages stay pinned and reachable. */
TEST_F(mem, source_unmapped_after_map)
{
	uint8_t *p = map_mem(_metadata, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct ioasid_test_page_info pi;
	uint8_t exp[LEN], data[32];
	__u64 phys, out;
	long charged;

	fill(p, LEN, 0x6060);
	memcpy(exp, p, LEN);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p), LEN, IOVA_A, RW));
	phys = PHYS(self->ioas, IOVA_A + PSZ);
	charged = ioasid_stat("charged_pages");
	ASSERT_EQ(0, munmap(p, LEN));

	/* Only the pin holds the page now. */
	ASSERT_EQ(0, page_info_phys(self->tfd, phys, &pi));
	EXPECT_EQ(1, pi.out_pins);
	EXPECT_EQ(1024, pi.out_refcount);
	CHECK_BYTES(self->ioas, IOVA_A, exp, LEN);
	CHECK_DMA(IOVA_A, exp, LEN);
	fill(data, sizeof(data), 0x7171);
	ASSERT_EQ(0, DMA_WRITE(IOVA_A + PSZ - 16, data, sizeof(data)));
	memcpy(exp + PSZ - 16, data, sizeof(data));
	CHECK_BYTES(self->ioas, IOVA_A, exp, LEN);
	EXPECT_EQ(charged, ioasid_stat("charged_pages"));

	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA_A, LEN, 0, &out));
	EXPECT_EQ(charged - (long)NP, ioasid_stat("charged_pages"));
	/* Freed, or already someone else's page: not pinned by us. */
	ASSERT_EQ(0, page_info_phys(self->tfd, phys, &pi));
	EXPECT_EQ(0, pi.out_pins);
}

/*
 * The mapping process exits with its pins held by an fd it shared: the
 * pages outlive its mm and its charge is given back at unmap, in both
 * accounting modes.
 */
TEST_F(mem, mm_exit_with_pins_held)
{
	static const __u64 modes[] = { IOASID_RLIMIT_USER, IOASID_RLIMIT_MM };
	struct ioasid_test_page_info pi;
	uint8_t exp[LEN];
	unsigned int m;

	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		long charged = ioasid_stat("charged_pages");
		int fd = open_dev(_metadata, "/dev/ioasid");
		__u64 phys, out;
		__u32 ioas;
		pid_t pid;

		ASSERT_EQ(0, set_mode(fd, modes[m]));
		ASSERT_EQ(0, ioas_alloc(fd, 0, 0, &ioas));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			uint8_t *c = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (c == MAP_FAILED)
				_exit(2);
			fill(c, LEN, 0xe1e1 + m);
			_exit(map_fixed(fd, ioas, U(c), LEN, IOVA_A, RW) ? 1 : 0);
		}
		ASSERT_EQ(0, wait_child(pid));
		EXPECT_EQ(charged + (long)NP, ioasid_stat("charged_pages"));
		fill(exp, LEN, 0xe1e1 + m);
		check_bytes(_metadata, self->tfd, fd, ioas, IOVA_A, exp, LEN,
			    __LINE__);
		ASSERT_EQ(0, iova_rw(self->tfd, fd, ioas, IOASID_TEST_RW_PHYS,
				     IOVA_A, NULL, 0, &phys));
		ASSERT_EQ(0, page_info_phys(self->tfd, phys, &pi));
		EXPECT_EQ(1, pi.out_pins);
		EXPECT_EQ(1024, pi.out_refcount);
		/* Writable still, through the IOAS. */
		exp[5] ^= 0xff;
		ASSERT_EQ(0, iova_rw(self->tfd, fd, ioas, IOASID_TEST_RW_WRITE,
				     IOVA_A, exp, LEN, NULL));
		check_bytes(_metadata, self->tfd, fd, ioas, IOVA_A, exp, LEN,
			    __LINE__);
		ASSERT_EQ(0, unmap(fd, ioas, IOVA_A, LEN, 0, &out));
		EXPECT_EQ(charged, ioasid_stat("charged_pages"));
		close(fd);
	}
}

/*
 * IOVA_RW and DMA, byte by byte, across a page boundary inside a mapping
 * and across the boundary of two mappings of unrelated memory.
 */
TEST_F(mem, byte_granular_rw_sweep)
{
	uint8_t *p = map_mem(_metadata, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1);
	uint8_t *q = map_mem(_metadata, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1);
	static const __u64 edges[] = { PSZ, 2 * PSZ };
	uint8_t shadow[3 * PSZ], data[24], got[24];
	unsigned int e, n, step = 0;
	__u64 out;
	int s;

	fill(p, LEN, 0x1111);
	fill(q, LEN, 0x2222);
	/* IOVA_A: one page of p, then (another mapping) two pages of q. */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p), PSZ, IOVA_A, RW));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(q) + PSZ, 2 * PSZ,
			       IOVA_A + PSZ, RW));
	memcpy(shadow, p, PSZ);
	memcpy(shadow + PSZ, q + PSZ, 2 * PSZ);

	for (e = 0; e < ARRAY_SIZE(edges); e++) {
		for (s = -9; s <= 8; s++) {
			for (n = 1; n <= sizeof(data); n++, step++) {
				__u64 off = edges[e] + s, iova = IOVA_A + off;
				bool dma = step & 1;

				int wrc, rrc;

				fill(data, n, step);
				/* Alternate the writer: IOVA_RW or the device. */
				if (dma)
					wrc = DMA_WRITE(iova, data, n);
				else
					wrc = iova_rw(self->tfd, self->fd,
						      self->ioas,
						      IOASID_TEST_RW_WRITE,
						      iova, data, n, NULL);
				ASSERT_EQ(0, wrc);
				memcpy(shadow + off, data, n);
				/* ...and the reader. */
				memset(got, 0, sizeof(got));
				if (dma)
					rrc = iova_rw(self->tfd, self->fd,
						      self->ioas,
						      IOASID_TEST_RW_READ,
						      iova, got, n, NULL);
				else
					rrc = mock_dma(self->tfd, self->mock, 0,
						       iova, got, n, false);
				ASSERT_EQ(0, rrc);
				ASSERT_EQ(0, memcmp(got, data, n))
					TH_LOG("edge 0x%llx%+d len %u", edges[e], s, n);
			}
			/* Nothing else moved: the user's memory is the shadow. */
			ASSERT_EQ(0, memcmp(p, shadow, PSZ));
			ASSERT_EQ(0, memcmp(q + PSZ, shadow + PSZ, 2 * PSZ));
		}
	}
	CHECK_DMA(IOVA_A, shadow, 3 * PSZ);
	/* One byte past the end is unmapped: all or nothing. */
	EXPECT_EQ(-ENOENT, iova_rw(self->tfd, self->fd, self->ioas,
				   IOASID_TEST_RW_READ, IOVA_A + 3 * PSZ - 1,
				   got, 2, NULL));
	EXPECT_EQ(-EFAULT, mock_dma(self->tfd, self->mock, 0,
				    IOVA_A + 3 * PSZ - 1, got, 2, false));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, 0, IOASID_UNMAP_ALL, &out));
	munmap(p, LEN);
	munmap(q, LEN);
}

/*
 * Every way a page gets used — map, copy, split unmap, a software
 * device's pins — gives all its references back at the end.
 */
TEST_F(mem, refcounts_back_after_unmap)
{
	uint8_t *p = map_mem(_metadata, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct ioasid_test_page_info pi0[NP], pi;
	__u32 ioas2, acc;
	__u64 out, copy;
	int i;

	fill(p, LEN, 0x4242);
	for (i = 0; i < NP; i++)
		pi0[i] = PSTATE(p + i * PSZ);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(p), LEN, IOVA_A, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &ioas2));
	ASSERT_EQ(0, copy_ex(self->fd, ioas2, self->ioas, IOVA_A, LEN, &copy, RW));
	/* Pinned once, however many areas use the page. */
	for (i = 0; i < NP; i++)
		EXPECT_PINNED(p + i * PSZ, pi0[i], 1);

	/* A software device's pin takes a page reference, not a pin. */
	ASSERT_EQ(0, acc_create_attach(self->tfd, self->fd, ioas2, 0, &acc));
	ASSERT_EQ(0, acc_pin(self->tfd, acc, copy + PSZ, PSZ, NULL));
	pi = PSTATE(p + PSZ);
	EXPECT_EQ(pi0[1].out_pins + 1, pi.out_pins);
	EXPECT_EQ(pi0[1].out_refcount + 1024 + 1, pi.out_refcount);
	ASSERT_EQ(0, acc_unpin(self->tfd, acc, copy + PSZ, PSZ));
	EXPECT_PINNED(p + PSZ, pi0[1], 1);

	/* A split unmap in one IOAS: the copy keeps the page pinned. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA_A + PSZ, PSZ,
			   IOASID_UNMAP_ALLOW_SPLIT, &out));
	EXPECT_PINNED(p + PSZ, pi0[1], 1);
	/* Unmapped in both: unpinned, every reference given back. */
	ASSERT_EQ(0, unmap(self->fd, ioas2, copy, 2 * PSZ,
			   IOASID_UNMAP_ALLOW_SPLIT, &out));
	EXPECT_PINNED(p, pi0[0], 1);
	EXPECT_PINNED(p + PSZ, pi0[1], 0);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, 0, IOASID_UNMAP_ALL, &out));
	ASSERT_EQ(0, unmap(self->fd, ioas2, 0, 0, IOASID_UNMAP_ALL, &out));
	for (i = 0; i < NP; i++)
		EXPECT_PINNED(p + i * PSZ, pi0[i], 0);
	ASSERT_EQ(0, acc_op(self->tfd, IOASID_TEST_ACCESS_DESTROY, acc, 0, 0,
			    NULL, 0));
	munmap(p, LEN);
}

TEST_HARNESS_MAIN
