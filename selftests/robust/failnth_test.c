// SPDX-License-Identifier: GPL-2.0
/*
 * fail_nth: for each ioctl sequence below, fail the n-th fault-injection
 * point (slab and page allocations, user copies) of the sequence for
 * n = 1, 2, ... until the sequence runs through without reaching the n-th
 * point.
 *
 * Every call of a sequence is a step whose return code is checked: the
 * steps before the injection fired succeed, the one it hit fails with the
 * errno of an injected failure (ENOMEM, or EFAULT for a user copy) or
 * succeeds (the failure was absorbed), and the sequence stops at the first
 * failing step. The run past the last point, un-injected, must succeed in
 * every step. After each run the state is checked on the same fd, against
 * a model of what the steps that succeeded did: GET_INFO of every live
 * IOAS (mapped bytes), every page the model says is mapped read back by
 * IOVA_RW, and DMA by the devices attached (the mock's, the edu's) from
 * the IOAS the model says they are attached to. A failed call must change
 * nothing.
 *
 * The VM's serial log is scanned for KASAN/lockdep/WARN reports afterwards,
 * and kmemleak is asked for leaks with an ioasid frame at the end. Prints
 * TAP with the number of failure points covered per sequence.
 *
 * Without CONFIG_FAULT_INJECTION (the stock kernel) every sequence runs
 * once, un-injected, with the same checks: a failure there is a "not ok",
 * success a SKIP (nothing was injected).
 */
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include <linux/pci_regs.h>

#include "../lib/ioasid_util.h"
#include "../lib/edu_regs.h"
#include "policy_test.skel.h"

#define MAX_NTH 3000

static int nth_fd = -1;
static bool have_nth;

/*
 * Writing and reading fail-nth copy from and to user space, which are
 * injection points themselves while armed: an EFAULT there is the armed
 * point firing on that copy.
 */
static void set_nth(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n), i;

	if (!have_nth)
		return;
	for (i = 0; i < 3; i++)
		if (pwrite(nth_fd, buf, len, 0) == len)
			return;
	_exit(90);
}

static bool disarmed;
static bool consumed;

/*
 * Disarm, once: did the n-th point fire within the sequence (the counter
 * reached 0)? A read that itself fails with EFAULT means the sequence ran
 * through and the read was the n-th point.
 */
static void disarm(void)
{
	char buf[16] = "";
	ssize_t n;

	if (disarmed)
		return;
	disarmed = true;
	if (!have_nth)
		return;
	n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	if (n < 0 && errno == EFAULT) {
		consumed = false;
	} else if (n <= 0) {
		_exit(91);
	} else {
		consumed = atoi(buf) == 0;
	}
	set_nth(0);
}

static char *mem;	/* 64 pages, page i filled with byte 0x40 + i */
#define NPAGES 64

/* --- steps ----------------------------------------------------------------- */

/* The step that failed (1-based; 0: none), its rc and its text. */
static int steps, fail_step, fail_rc;
static const char *fail_what;

/*
 * Run one call of a sequence (0 or -errno) and stop the sequence at its
 * first failure: an injection fires once, so every step after the one it
 * hit would only repeat its consequences.
 */
/* Count a step; record it and return true unless it returned @want. */
static bool step_failed(int rc, int want, const char *what)
{
	steps++;
	if (rc == want)
		return false;
	fail_step = steps;
	fail_rc = rc ? rc : -EILSEQ;
	fail_what = what;
	return true;
}

#define STEP(call)							\
	do {								\
		if (step_failed((call), 0, #call))			\
			goto out;					\
	} while (0)

/* A step that must fail, with @err (a documented refusal), injected or not. */
#define STEP_REFUSED(call, err)						\
	do {								\
		if (step_failed((call), (err), #call " (must fail with " #err ")")) \
			goto out;					\
	} while (0)

/* Steps that allocate an IOAS, map @n pages from page @pg at @iova. */
#define STEP_ALLOC(id)							\
	do {								\
		STEP(ioas_alloc(fd, 0, 0, &(id)));			\
		m_alloc(id);						\
	} while (0)
#define STEP_MAP(ioas, pg, n, iova)					\
	do {								\
		STEP(map_fixed(fd, ioas, U(PG(pg)), (n) * PSZ, iova, RW)); \
		m_map(ioas, iova, PG(pg), (n) * PSZ);			\
	} while (0)

/*
 * A step whose answer is copied out after it took effect (UNMAP's length,
 * an attach's decision): an EFAULT there may follow the whole operation.
 * On EFAULT both states are kept, the one with @update (the model) and the
 * one before (alt); the check accepts either, never a mix.
 */
#define STEPM(call, update)						\
	do {								\
		int rc_ = (call);					\
		if (rc_ == -EFAULT) {					\
			alt = st;					\
			have_alt = true;				\
		}							\
		if (!rc_ || rc_ == -EFAULT)				\
			update;						\
		if (step_failed(rc_, 0, #call))				\
			goto out;					\
	} while (0)

/* A system call's -1/errno as 0/-errno. */
static int sys(long rc)
{
	return rc < 0 ? -errno : 0;
}

/* --- the model: which page each IOVA of each IOAS reaches ----------------- */

struct mpage {
	__u32 ioas;
	__u64 iova;
	int page;	/* index into mem */
};

/*
 * What the steps that succeeded did: the pages each IOVA of each IOAS
 * reaches, the live IOASes, where each device is attached, the rlimit mode.
 */
struct mstate {
	struct mpage model[256];
	int nmodel;
	__u32 live[16];
	int nlive;
	__u32 mock_at, edu_at;	/* the IOAS each device is attached to */
	__u32 grp_at[2];	/* seq_group: each group member's IOAS */
	__u64 mode;		/* seq_option */
};

/* The model, and the state before a step whose EFAULT may follow its effect. */
static struct mstate st, alt;
static bool have_alt;

static void m_alloc(__u32 ioas)
{
	st.live[st.nlive++] = ioas;
}

static void m_unmap(__u32 ioas, __u64 iova, __u64 len)
{
	int i, j = 0;

	for (i = 0; i < st.nmodel; i++)
		if (st.model[i].ioas != ioas || st.model[i].iova < iova ||
		    st.model[i].iova >= iova + len)
			st.model[j++] = st.model[i];
	st.nmodel = j;
}

static void m_destroy(__u32 ioas)
{
	int i, j = 0;

	m_unmap(ioas, 0, ~0ULL);
	for (i = 0; i < st.nlive; i++)
		if (st.live[i] != ioas)
			st.live[j++] = st.live[i];
	st.nlive = j;
}

static void m_map(__u32 ioas, __u64 iova, const char *p, __u64 len)
{
	__u64 off;

	for (off = 0; off < len; off += PSZ) {
		st.model[st.nmodel].ioas = ioas;
		st.model[st.nmodel].iova = iova + off;
		st.model[st.nmodel].page = (p - mem + off) / PSZ;
		st.nmodel++;
	}
}

/* The page @ioas's @iova reaches in the model, or -1. */
static int m_page(__u32 ioas, __u64 iova)
{
	int i;

	for (i = 0; i < st.nmodel; i++)
		if (st.model[i].ioas == ioas && st.model[i].iova == iova)
			return st.model[i].page;
	return -1;
}

static void m_copy(__u32 dst, __u32 src, __u64 src_iova, __u64 len, __u64 dst_iova)
{
	__u64 off;

	for (off = 0; off < len; off += PSZ) {
		int pg = m_page(src, src_iova + off);

		st.model[st.nmodel].ioas = dst;
		st.model[st.nmodel].iova = dst_iova + off;
		st.model[st.nmodel].page = pg;
		st.nmodel++;
	}
}

/* A nested IOAS maps its parent's IOVAs. */
static void m_map_nested(__u32 child, __u32 parent, __u64 piova, __u64 len, __u64 iova)
{
	m_copy(child, parent, piova, len, iova);
}

/*
 * Check messages: quiet while the first of two possible states is tried
 * (an EFAULT step), so only the verdict on the last state tried shows.
 */
static bool quiet;
#define say(...) do { if (!quiet) printf(__VA_ARGS__); } while (0)

static int tfd = -1;	/* /dev/ioasid_test, opened unarmed */

static bool page_is(const char *buf, int pg)
{
	int i;

	for (i = 0; i < 64; i++)
		if (buf[i] != (char)(0x40 + pg))
			return false;
	return true;
}

/*
 * The fd's IOASes agree with the model: GET_INFO answers for every live
 * IOAS with the model's mapped bytes, and every page of the model reads
 * back (its first and last 64 bytes) by IOVA_RW.
 */
static int check_model(int fd)
{
	struct ioasid_ioas_info info;
	char buf[64];
	int i, j, n, rc;

	for (i = 0; i < st.nlive; i++) {
		rc = get_info(fd, st.live[i], &info);
		if (rc) {
			say("# IOAS %u: GET_INFO %d\n", st.live[i], rc);
			return 60;
		}
		for (n = 0, j = 0; j < st.nmodel; j++)
			n += st.model[j].ioas == st.live[i];
		if (info.out_mapped_bytes != (__u64)n * PSZ) {
			say("# IOAS %u: %llu bytes mapped, the model says %d pages\n",
			       st.live[i], (unsigned long long)info.out_mapped_bytes, n);
			return 61;
		}
	}
	for (j = 0; j < st.nmodel; j++) {
		for (i = 0; i < 2; i++) {
			rc = iova_rw(tfd, fd, st.model[j].ioas, IOASID_TEST_RW_READ,
				     st.model[j].iova + i * (PSZ - 64), buf, 64, NULL);
			if (rc || !page_is(buf, st.model[j].page)) {
				say("# IOAS %u IOVA %#llx: rc %d, not page %d\n", st.model[j].ioas,
				       (unsigned long long)st.model[j].iova, rc, st.model[j].page);
				return 62;
			}
		}
	}
	return 0;
}

/* The mock's DMA at @iova reads what the model says @ioas maps there. */
static int check_mock_dma(__u32 mock, __u32 ioas, __u64 iova)
{
	char buf[64];
	int pg = m_page(ioas, iova), rc;

	rc = mock_dma(tfd, mock, 0, iova, buf, sizeof(buf), false);
	if (pg < 0 ? rc != -ENOENT && rc != -EFAULT && rc != -ENXIO : rc || !page_is(buf, pg)) {
		say("# mock DMA at %#llx of IOAS %u: rc %d, page %d\n",
		       (unsigned long long)iova, ioas, rc, pg);
		return 63;
	}
	return 0;
}

/*
 * The edu's DMA of page @pg at @iova to page @sp at @scratch. When the
 * model is the wrong one of the two states an EFAULT step may have left
 * (the device is in the other IOAS), the DMA writes where @scratch lies in
 * the other IOAS: every page's start is put back afterwards, so that the
 * check of the other state sees no write of this one.
 */
static int check_edu_dma_to(volatile void *bar, int pg, __u64 iova, int sp, __u64 scratch)
{
	char buf[64];
	int p, rc = 0;

	if (pg < 0 || sp < 0)
		return 0;
	memset(mem + sp * PSZ, 0, 64);
	if (edu_dma(bar, iova, EDU_BUF, 64, false) ||
	    edu_dma(bar, EDU_BUF, scratch, 64, true)) {
		say("# edu DMA timed out\n");
		rc = 64;
	} else {
		memcpy(buf, mem + sp * PSZ, sizeof(buf));
		if (!page_is(buf, pg)) {
			say("# edu DMA from %#llx: not page %d\n", (unsigned long long)iova, pg);
			rc = 65;
		}
	}
	for (p = 0; p < NPAGES; p++)
		memset(mem + p * PSZ, 0x40 + p, 64);
	return rc;
}

/*
 * The edu's DMA: RAM at @iova -> the device's buffer -> RAM at @scratch
 * (a writable page the model maps in @ioas); the scratch page must then
 * start with @iova's page. Unarmed, after the sequence.
 */
static int check_edu_dma(volatile void *bar, __u32 ioas, __u64 iova, __u64 scratch)
{
	return check_edu_dma_to(bar, m_page(ioas, iova), iova, m_page(ioas, scratch), scratch);
}

/* --- the sequences ---------------------------------------------------------- */

/*
 * State a sequence's prepare step makes unarmed and its check uses after
 * the run: the fd, the test fd, the mock, the edu (fd and BAR).
 */
static int fd = -1, dfd = -1;

/*
 * Under virtio-iommu the edu takes no part in the armed steps that reach
 * the IOMMU driver (attach, map and unmap under its domain): virtio-iommu's
 * own error paths in 6.12 are not failure-safe where the IOMMU API says
 * they cannot fail (docs/design.md, Known gaps). The mock IOMMU's domains,
 * config space and BAR mmap still run there.
 */
static bool virtio_iommu;
static __u32 mock;
static volatile void *bar;
static __u32 ioas_a, ioas_b;
#define PG(i) (mem + (i) * PSZ)


static void open_fds(void)
{
	fd = open("/dev/ioasid", O_RDWR);
	tfd = open("/dev/ioasid_test", O_RDWR);
	if (fd < 0 || tfd < 0)
		_exit(93);
}

/* A coherent mock bound to the fd (unarmed: test infrastructure). */
static __u32 new_mock(void)
{
	__u32 id;

	if (mock_create(tfd, 8, IOASID_TEST_MOCK_COHERENT, &id) ||
	    mock_bind(tfd, id, fd, 0x1af4, 0x1041, NULL))
		_exit(93);
	return id;
}

/* The edu's fd, bound to the fd, bus master, BAR0 mapped; or -1. */
static void edu_up(void)
{
	const char *path = edu_dev_path();

	if (!path)
		return;
	dfd = open(path, O_RDWR);
	if (dfd < 0 || dev_bind(dfd, fd, NULL) || enable_bus_master(dfd))
		_exit(94);
	bar = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, region_offset(0));
	if (bar == MAP_FAILED)
		_exit(94);
}

static void prep_fd(void)
{
	open_fds();
}

/* ALLOC, MAP, COPY, ALLOW_IOVAS, IOVA_RANGES, split UNMAP, nested, DESTROY. */
static void seq_core(void)
{
	struct ioasid_iova_range allow = { 0, (1ULL << 40) - 1 }, ranges[8];
	struct ioasid_ioas_info info;
	__u32 num = 8, c = 0;

	STEP_ALLOC(ioas_a);
	STEP_ALLOC(ioas_b);
	STEP_MAP(ioas_a, 0, 4, 0x100000);
	STEP(copy_fixed(fd, ioas_b, ioas_a, 0x100000, 4 * PSZ, 0x400000, RW));
	m_copy(ioas_b, ioas_a, 0x100000, 4 * PSZ, 0x400000);
	STEP(allow_iovas(fd, ioas_b, &allow, 1));
	STEP(iova_ranges(fd, ioas_b, ranges, &num, NULL));
	STEPM(unmap(fd, ioas_a, 0x101000, PSZ, IOASID_UNMAP_ALLOW_SPLIT, NULL), m_unmap(ioas_a, 0x101000, PSZ));
	STEP(get_info(fd, ioas_a, &info));
	STEP(ioas_alloc(fd, IOASID_IOAS_ALLOC_NESTED, ioas_a, &c));
	m_alloc(c);
	STEP(map_fixed(fd, c, 0x100000, PSZ, 0x900000, RW));
	m_map_nested(c, ioas_a, 0x100000, PSZ, 0x900000);
	STEP(destroy(fd, c));
	m_destroy(c);
	STEP(destroy(fd, ioas_b));
	m_destroy(ioas_b);
	/* No device, no grant. */
	STEP_REFUSED(cache_flush(fd, NULL), -EPERM);
out:
	return;
}

/* IOASID_OPTION: the rlimit mode, set and read back, and EBUSY while pinned. */

static void seq_option(void)
{
	__u64 mode;

	STEP(get_mode(fd, &mode));
	STEPM(set_mode(fd, IOASID_RLIMIT_MM), st.mode = IOASID_RLIMIT_MM);
	STEP_ALLOC(ioas_a);
	STEP_MAP(ioas_a, 0, 2, 0x100000);
	/* Pinned pages: the mode may not change (documented EBUSY). */
	STEP_REFUSED(set_mode(fd, IOASID_RLIMIT_USER), -EBUSY);
	STEP(get_mode(fd, &mode));
	STEP(mode == IOASID_RLIMIT_MM ? 0 : -EILSEQ);
	STEPM(unmap(fd, ioas_a, 0, 0, IOASID_UNMAP_ALL, NULL), m_unmap(ioas_a, 0, ~0ULL));
	STEPM(set_mode(fd, IOASID_RLIMIT_USER), st.mode = IOASID_RLIMIT_USER);
out:
	return;
}

static int check_option(void)
{
	__u64 mode;

	if (get_mode(fd, &mode) || mode != st.mode) {
		say("# rlimit mode %#llx, the model says %llu\n", (unsigned long long)mode,
		       (unsigned long long)st.mode);
		return 66;
	}
	return 0;
}

/* Auto-IOVA MAP and COPY, then UNMAP_ALL, with a mock's domain attached. */
static void prep_auto(void)
{
	open_fds();
	mock = new_mock();
}

static void seq_auto(void)
{
	__u64 iova1, iova2, iova3;

	STEP_ALLOC(ioas_a);
	STEP_ALLOC(ioas_b);
	STEPM(mock_attach(tfd, mock, ioas_a, 0, 0, NULL), st.mock_at = ioas_a);
	STEP(map_ex(fd, ioas_a, U(PG(0)), 4 * PSZ, &iova1, RW, 0));
	m_map(ioas_a, iova1, PG(0), 4 * PSZ);
	STEP(map_ex(fd, ioas_a, U(PG(8)), 2 * PSZ, &iova2, RW, 16 * PSZ));
	m_map(ioas_a, iova2, PG(8), 2 * PSZ);
	STEP(iova2 % (16 * PSZ) ? -EILSEQ : 0);
	STEP(copy_ex(fd, ioas_b, ioas_a, iova1, 4 * PSZ, &iova3, RW));
	m_copy(ioas_b, ioas_a, iova1, 4 * PSZ, iova3);
	STEPM(unmap(fd, ioas_a, 0, 0, IOASID_UNMAP_ALL, NULL), m_unmap(ioas_a, 0, ~0ULL));
	STEP(map_ex(fd, ioas_a, U(PG(12)), PSZ, &iova1, RW, 0));
	m_map(ioas_a, iova1, PG(12), PSZ);
out:
	return;
}

/* Every page the model maps in the mock's IOAS reaches the mock by DMA. */
static int check_mock_pages(void)
{
	int j, rc;

	for (j = 0; j < st.nmodel; j++)
		if (mock && st.mock_at && st.model[j].ioas == st.mock_at) {
			rc = check_mock_dma(mock, st.mock_at, st.model[j].iova);
			if (rc)
				return rc;
		}
	return 0;
}

/*
 * Two domains on one IOAS (the mock IOMMU's and the platform's, the edu's)
 * and REPLACE of each device between two IOASes.
 */
/* IOASes a and b, @n pages from page @pa and page @pb at 0x100000 (unarmed). */
static void two_ioas(int pa, int pb, int n)
{
	if (ioas_alloc(fd, 0, 0, &ioas_a) || ioas_alloc(fd, 0, 0, &ioas_b) ||
	    map_fixed(fd, ioas_a, U(PG(pa)), n * PSZ, 0x100000, RW) ||
	    map_fixed(fd, ioas_b, U(PG(pb)), n * PSZ, 0x100000, RW))
		_exit(94);
	m_alloc(ioas_a);
	m_alloc(ioas_b);
	m_map(ioas_a, 0x100000, PG(pa), n * PSZ);
	m_map(ioas_b, 0x100000, PG(pb), n * PSZ);
}

static void prep_devices(void)
{
	open_fds();
	mock = new_mock();
	if (!virtio_iommu)
		edu_up();
	two_ioas(0, 16, 4);
}

static void seq_two_domains(void)
{
	STEPM(mock_attach(tfd, mock, ioas_a, 0, 0, NULL), st.mock_at = ioas_a);
	if (dfd >= 0) {
		STEPM(dev_attach(dfd, ioas_a, 0, 0), st.edu_at = ioas_a);
	}
	STEP_MAP(ioas_a, 4, 4, 0x200000);
	STEPM(unmap(fd, ioas_a, 0x100000, 2 * PSZ, IOASID_UNMAP_ALLOW_SPLIT, NULL), m_unmap(ioas_a, 0x100000, 2 * PSZ));
	STEPM(unmap(fd, ioas_a, 0x201000, PSZ, IOASID_UNMAP_ALLOW_SPLIT, NULL), m_unmap(ioas_a, 0x201000, PSZ));
	STEP(copy_fixed(fd, ioas_a, ioas_b, 0x100000, 2 * PSZ, 0x300000, RW));
	m_copy(ioas_a, ioas_b, 0x100000, 2 * PSZ, 0x300000);
out:
	return;
}

/* Ask the kernel to re-decide every attachment (CAP_SYS_ADMIN). */
static int revalidate(int f)
{
	struct ioasid_policy_revalidate r = { .size = sizeof(r) };

	return ioctl(f, IOASID_POLICY_REVALIDATE, &r) ? -errno : 0;
}

/*
 * Attachments in force re-decided (by the built-in: nothing changes), a
 * failure anywhere in the pass leaving every attachment working.
 */
static void seq_revalidate(void)
{
	STEPM(mock_attach(tfd, mock, ioas_a, 0, 0, NULL), st.mock_at = ioas_a);
	if (dfd >= 0) {
		STEPM(dev_attach(dfd, ioas_a, 0, 0), st.edu_at = ioas_a);
	}
	STEP_MAP(ioas_a, 4, 4, 0x200000);
	STEP(revalidate(fd));
	STEP(revalidate(fd));
out:
	return;
}

static void seq_replace(void)
{
	STEPM(mock_attach(tfd, mock, ioas_a, 0, 0, NULL), st.mock_at = ioas_a);
	if (dfd >= 0) {
		STEPM(dev_attach(dfd, ioas_a, 0, 0), st.edu_at = ioas_a);
		STEPM(dev_attach(dfd, ioas_b, IOASID_ATTACH_REPLACE, 0), st.edu_at = ioas_b);
	}
	STEPM(mock_attach(tfd, mock, ioas_b, IOASID_ATTACH_REPLACE, 0, NULL), st.mock_at = ioas_b);
	STEPM(mock_attach(tfd, mock, ioas_a, IOASID_ATTACH_REPLACE, 0, NULL), st.mock_at = ioas_a);
	STEPM(mock_detach(tfd, mock, 0, 0), st.mock_at = 0);
	STEPM(mock_attach(tfd, mock, ioas_b, 0, 0, NULL), st.mock_at = ioas_b);
out:
	return;
}

/* The devices reach exactly what their IOAS maps (model), by DMA. */
static int check_devices(void)
{
	int rc = check_mock_pages(), k;

	if (rc)
		return rc;
	/* Detached (or never attached): its DMA reaches nothing. */
	if (mock && !st.mock_at && !mock_dma(tfd, mock, 0, 0x100000, (char[64]){0}, 64, false)) {
		say("# a detached mock's DMA succeeded\n");
		return 67;
	}
	if (dfd >= 0 && st.edu_at) {
		/* Scratch: a mapped page other than the source. */
		for (k = 0; k < st.nmodel; k++)
			if (st.model[k].ioas == st.edu_at && st.model[k].iova != 0x100000 &&
			    st.model[k].iova < (1ULL << EDU_DMA_BITS))
				return check_edu_dma(bar, st.edu_at,
						     m_page(st.edu_at, 0x100000) >= 0 ? 0x100000 :
						     0x300000, st.model[k].iova);
	}
	return 0;
}

/* A nested IOAS: allocated, mapped from its parent, a device attached. */
static void prep_nested(void)
{
	open_fds();
	mock = new_mock();
	if (ioas_alloc(fd, 0, 0, &ioas_a) ||
	    map_fixed(fd, ioas_a, U(PG(0)), 8 * PSZ, 0x100000, RW))
		_exit(94);
	m_alloc(ioas_a);
	m_map(ioas_a, 0x100000, PG(0), 8 * PSZ);
}

static void seq_nested(void)
{
	STEP(ioas_alloc(fd, IOASID_IOAS_ALLOC_NESTED, ioas_a, &ioas_b));
	m_alloc(ioas_b);
	STEP(map_fixed(fd, ioas_b, 0x102000, 2 * PSZ, 0x500000, RW));
	m_map_nested(ioas_b, ioas_a, 0x102000, 2 * PSZ, 0x500000);
	STEPM(mock_attach(tfd, mock, ioas_b, 0, 0, NULL), st.mock_at = ioas_b);
	STEP(map_fixed(fd, ioas_b, 0x100000, PSZ, 0x600000, RW));
	m_map_nested(ioas_b, ioas_a, 0x100000, PSZ, 0x600000);
	STEPM(unmap(fd, ioas_b, 0x500000, PSZ, IOASID_UNMAP_ALLOW_SPLIT, NULL), m_unmap(ioas_b, 0x500000, PSZ));
	STEPM(mock_attach(tfd, mock, ioas_a, IOASID_ATTACH_REPLACE, 0, NULL), st.mock_at = ioas_a);
out:
	return;
}

/* The device fd: config space read and written, BAR0 mapped and read. */
static __u16 cmd_now;
static __u32 edu_id;

static void prep_edu(void)
{
	open_fds();
	edu_up();
	if (bar)
		munmap((void *)bar, 1 << 20);
	bar = NULL;
	if (dfd >= 0 && pread(dfd, &cmd_now, 2, region_offset(IOASID_PCI_CONFIG_REGION_INDEX) +
			      PCI_COMMAND) != 2)
		_exit(94);
}

static void seq_config(void)
{
	off_t cfg = region_offset(IOASID_PCI_CONFIG_REGION_INDEX);
	__u16 vendor = 0, cmd;
	__u32 bar0;

	STEP(pread(dfd, &vendor, 2, cfg + PCI_VENDOR_ID) == 2 ? 0 : sys(-1) ?: -EIO);
	STEP(vendor == 0x1234 ? 0 : -EILSEQ);
	STEP(pread(dfd, &bar0, 4, cfg + PCI_BASE_ADDRESS_0) == 4 ? 0 : sys(-1) ?: -EIO);
	cmd = cmd_now ^ PCI_COMMAND_SERR;
	STEP(pwrite(dfd, &cmd, 2, cfg + PCI_COMMAND) == 2 ? 0 : sys(-1) ?: -EIO);
	cmd_now = cmd;
	cmd = cmd_now ^ PCI_COMMAND_SERR;
	STEP(pwrite(dfd, &cmd, 2, cfg + PCI_COMMAND) == 2 ? 0 : sys(-1) ?: -EIO);
	cmd_now = cmd;
out:
	return;
}

static int check_config(void)
{
	__u16 cmd = 0;

	if (pread(dfd, &cmd, 2, region_offset(IOASID_PCI_CONFIG_REGION_INDEX) + PCI_COMMAND) != 2 ||
	    (cmd & PCI_COMMAND_SERR) != (cmd_now & PCI_COMMAND_SERR)) {
		say("# command register %#x, the model says %#x\n", cmd, cmd_now);
		return 68;
	}
	return 0;
}

static void seq_bar(void)
{
	volatile __u32 *b;

	b = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, region_offset(0));
	STEP(b == MAP_FAILED ? -errno : 0);
	bar = (volatile void *)b;
	edu_id = b[EDU_ID / 4];
	STEP((edu_id & 0xff) == 0xed ? 0 : -EILSEQ);
	b[EDU_LIVENESS / 4] = 0x12345678;
	STEP(b[EDU_LIVENESS / 4] == ~0x12345678U ? 0 : -EILSEQ);
	STEP(sys(munmap((void *)b, 1 << 20)));
	bar = NULL;
out:
	return;
}

static int check_bar(void)
{
	volatile __u32 *b = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, dfd,
				 region_offset(0));

	if (b == MAP_FAILED || (b[EDU_ID / 4] & 0xff) != 0xed) {
		say("# BAR0 not mappable after the run\n");
		return 69;
	}
	munmap((void *)b, 1 << 20);
	return 0;
}

/* The policy dry run (the chain's allocations). */
static void seq_policy(void)
{
	struct ioasid_policy_dry_run dr;

	dry_run_init(&dr, 0x1234, 0x11e8, 0);
	STEP(dry_run(fd, &dr));
	dry_run_init(&dr, 0x1234, 0x11e8, IOASID_IOMMU_CAP_PASID);
	dr.req.op = IOASID_POLICY_OP_ATTACH_PASID;
	dr.req.pasid_bits = 8;
	dr.req.pasid = 3;
	STEP(dry_run(fd, &dr));
out:
	return;
}

/*
 * A policy registered (struct_ops link), replaced in its slot, and
 * unregistered. The BPF object is loaded once, in the parent, unarmed (the
 * verifier's allocations are not ioasid's, and a load per run costs
 * seconds under KASAN): each child links the maps it inherited.
 */
static struct policy_test *skel;
static struct bpf_link *plink;
static const char *policy_now;	/* the model: which test policy is registered */

static int load_policy(void)
{
	struct bpf_map *map;

	skel = policy_test__open();
	if (!skel)
		return -ENOMEM;
	bpf_object__for_each_map(map, skel->obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map, !strcmp(bpf_map__name(map), "t_prio_a") ||
						!strcmp(bpf_map__name(map), "t_prio_b"));
	skel->struct_ops.t_prio_b->priority = 50;
	return policy_test__load(skel);
}

static void prep_policy(void)
{
	open_fds();
	if (!skel)
		_exit(95);
}

static void seq_policy_reg(void)
{
	struct ioasid_policy_dry_run dr;

	plink = bpf_map__attach_struct_ops(skel->maps.t_prio_a);
	STEP(plink ? 0 : -errno);
	policy_now = "t_prio_a";
	dry_run_init(&dr, 0x1234, 0x11e8, 0);
	STEP(dry_run(fd, &dr));
	STEP(bpf_link__update_map(plink, skel->maps.t_prio_b));
	policy_now = "t_prio_b";
	STEP(dry_run(fd, &dr));
	STEP(bpf_link__detach(plink));
	policy_now = NULL;
out:
	return;
}

static int check_policy_reg(void)
{
	char stack[4096] = "";
	bool a, b;
	int rc = 0;

	if (sysfs_read("/sys/kernel/ioasid/policy/stack", stack, sizeof(stack)) < 0)
		return 70;
	a = strstr(stack, "t_prio_a ");
	b = strstr(stack, "t_prio_b ");
	if (a != (policy_now && !strcmp(policy_now, "t_prio_a")) ||
	    b != (policy_now && !strcmp(policy_now, "t_prio_b"))) {
		say("# policy stack:\n%s# the model says %s\n", stack,
		       policy_now ? policy_now : "none");
		rc = 71;
	}
	if (plink)
		bpf_link__destroy(plink);
	return rc;
}

/*
 * Software devices and kernel contexts: the mocks are made unarmed, the
 * accesses (a well-behaved one and one that keeps its pins) and contexts
 * armed.
 */
static __u32 mock_kernel;
static long violations_before;

static void prep_mock(void)
{
	open_fds();
	mock = new_mock();
	if (mock_create(tfd, 8, IOASID_TEST_MOCK_COHERENT, &mock_kernel))
		_exit(93);
	violations_before = ioasid_stat("unpin_violations");
}

static void seq_mock(void)
{
	__u32 acc = 0, bad = 0;
	char rw[64];

	STEP_ALLOC(ioas_a);
	STEP_ALLOC(ioas_b);
	STEP_MAP(ioas_a, 0, 4, 0x100000);
	STEP_MAP(ioas_b, 4, 2, 0x100000);
	STEPM(mock_attach(tfd, mock, ioas_a, 0, 0, NULL), st.mock_at = ioas_a);
	STEP(mock_attach(tfd, mock, ioas_b, IOASID_ATTACH_PASID, 3, NULL));
	STEP(mock_dma(tfd, mock, 3, 0x100000, rw, sizeof(rw), false));
	STEP(page_is(rw, 4) ? 0 : -EILSEQ);
	STEP(mock_detach(tfd, mock, IOASID_ATTACH_PASID, 3));

	/* A well-behaved and a misbehaving software device, and an unmap. */
	STEP(acc_create_attach(tfd, fd, ioas_a, 0, &acc));
	STEP(acc_op(tfd, IOASID_TEST_ACCESS_PIN, acc, 0x100000, 2 * PSZ, NULL, 0));
	STEP(acc_op(tfd, IOASID_TEST_ACCESS_WRITE, acc, 0x100800, sizeof(rw), PG(0) + 0x800, 0));
	STEP(acc_create_attach(tfd, fd, ioas_a, IOASID_TEST_ACCESS_MISBEHAVE, &bad));
	STEP(acc_op(tfd, IOASID_TEST_ACCESS_PIN, bad, 0x102000, PSZ, NULL, 0));
	STEPM(unmap(fd, ioas_a, 0x100000, 4 * PSZ, 0, NULL), m_unmap(ioas_a, 0x100000, 4 * PSZ));
	STEP(acc_op(tfd, IOASID_TEST_ACCESS_DESTROY, bad, 0, 0, NULL, 0));

	/* A kernel-owned device with two PASID contexts. */
	STEP(mock_kdev_open(tfd, mock_kernel, 0x1af4, 0x1041));
	STEP(mock_ctx_create(tfd, mock_kernel, 1, NULL));
	STEP(mock_ctx_create(tfd, mock_kernel, 2, NULL));
	STEP(mock_ctx_map(tfd, mock_kernel, 2, 0x200000, PG(8), 2 * PSZ,
			  IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE));
	STEP(mock_ctx_op(tfd, IOASID_TEST_MOCK_CTX_UNMAP, mock_kernel, 2, 0x200000, 2 * PSZ));
	STEP(mock_ctx_op(tfd, IOASID_TEST_MOCK_CTX_DESTROY, mock_kernel, 1, 0, 0));
out:
	/*
	 * The misbehaving device's pin, revoked by the unmap, is an unpin
	 * violation (a WARN once per access): announce it, for the log scan
	 * (read unarmed: the sequence is over).
	 */
	disarm();
	if (ioasid_stat("unpin_violations") > violations_before)
		expect_unpin_violation();
}

/*
 * The edu through its whole life on an fd: bind, attach, a map and an
 * unmap under its domain, REPLACE, GET_INFO, a cache flush, detach.
 */
static bool edu_bound;

static void prep_device(void)
{
	open_fds();
	dfd = open(edu_dev_path(), O_RDWR);
	if (dfd < 0)
		_exit(94);
	two_ioas(0, 2, 2);
}

/* A flush: granted where the device is not coherent (intel-nosc), else EPERM. */
static int flush_or_no_grant(int ifd)
{
	int rc = cache_flush(ifd, NULL);

	return rc == -EPERM ? 0 : rc;
}

static void seq_device(void)
{
	struct ioasid_device_info info;

	STEP(dev_bind(dfd, fd, NULL));
	edu_bound = true;
	STEPM(dev_attach(dfd, ioas_a, 0, 0), st.edu_at = ioas_a);
	STEP_MAP(ioas_a, 4, 1, 0x300000);
	STEP_REFUSED(unmap(fd, ioas_a, 0x101000, PSZ, 0, NULL), -EBUSY);
	STEPM(unmap(fd, ioas_a, 0x101000, PSZ, IOASID_UNMAP_ALLOW_SPLIT, NULL), m_unmap(ioas_a, 0x101000, PSZ));
	STEPM(dev_attach(dfd, ioas_b, IOASID_ATTACH_REPLACE, 0), st.edu_at = ioas_b);
	STEP(dev_info(dfd, &info));
	/* Granted where the device is not coherent (intel-nosc), else EPERM. */
	STEP(flush_or_no_grant(fd));
	STEPM(dev_detach(dfd, 0, 0), st.edu_at = 0);
	STEPM(dev_attach(dfd, ioas_a, 0, 0), st.edu_at = ioas_a);
out:
	return;
}

static int check_device(void)
{
	int rc, sp;

	if (!edu_bound) {
		/* The failed bind left the device free: it binds now. */
		if (dev_bind(dfd, fd, NULL)) {
			say("# the edu does not bind after the failed bind\n");
			return 72;
		}
		return 0;
	}
	if (enable_bus_master(dfd))
		return 73;
	bar = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, region_offset(0));
	if (bar == MAP_FAILED)
		return 74;
	/*
	 * 0x100000 is mapped in both IOASes (page 0 in a, 2 in b); the
	 * scratch is 0x101000: page 3 in b, in a page 1 or, where the
	 * sequence unmapped it, page 6 mapped now.
	 */
	rc = map_fixed(fd, ioas_a, U(PG(6)), PSZ, 0x101000, RW);
	if (rc && rc != -EEXIST)
		return 75;
	sp = rc ? 1 : 6;
	rc = st.edu_at == ioas_a ? check_edu_dma_to(bar, 0, 0x100000, sp, 0x101000) :
	     st.edu_at == ioas_b ? check_edu_dma_to(bar, 2, 0x100000, 3, 0x101000) : 0;
	if (rc && have_alt && alt.edu_at != st.edu_at)
		rc = alt.edu_at == ioas_a ? check_edu_dma_to(bar, 0, 0x100000, sp, 0x101000) :
		     alt.edu_at == ioas_b ? check_edu_dma_to(bar, 2, 0x100000, 3, 0x101000) : 0;
	return rc;
}

/*
 * A split unmap under two domains (a mock IOMMU's, and intel-iommu's when
 * an edu is there): the remainders are mapped again in each domain, the one
 * step of an unmap that can fail. A failed call must change nothing
 * (issue 15, bug 8: the remainder used to be dropped). The IOAS, the
 * devices and the attachments are made unarmed; only the unmap is armed.
 */
static void prep_split(void)
{
	open_fds();
	mock = new_mock();
	if (!virtio_iommu)
		edu_up();
	if (ioas_alloc(fd, 0, 0, &ioas_a) ||
	    map_fixed(fd, ioas_a, U(PG(8)), 4 * PSZ, 0x100000, RW) ||
	    mock_attach(tfd, mock, ioas_a, 0, 0, NULL) ||
	    (dfd >= 0 && dev_attach(dfd, ioas_a, 0, 0)))
		_exit(94);
	m_alloc(ioas_a);
	m_map(ioas_a, 0x100000, PG(8), 4 * PSZ);
	st.mock_at = ioas_a;
	st.edu_at = dfd >= 0 ? ioas_a : 0;
}

static void seq_split(void)
{
	STEPM(unmap(fd, ioas_a, 0x101000, PSZ, IOASID_UNMAP_ALLOW_SPLIT, NULL), m_unmap(ioas_a, 0x101000, PSZ));
out:
	return;
}

/* The remainders come apart cleanly afterwards, and the IOAS is empty. */
static int check_split(void)
{
	int rc = check_devices();

	if (rc)
		return rc;
	if (unmap(fd, ioas_a, 0, 0, IOASID_UNMAP_ALL, NULL))
		return 76;
	m_unmap(ioas_a, 0, ~0ULL);
	return 0;
}

/* Does a virtio-iommu translate for the devices (a virtio device bound to it)? */
static bool virtio_iommu_in_use(void)
{
	DIR *d = opendir("/sys/bus/virtio/drivers/virtio_iommu");
	struct dirent *e;
	bool found = false;

	while (d && (e = readdir(d)))
		found |= !strncmp(e->d_name, "virtio", 6);
	if (d)
		closedir(d);
	return found;
}

static int check_none(void)
{
	return 0;
}

/*
 * A two-device IOMMU group (intel-group: two edus behind a PCI bridge):
 * its members attach, join, detach and REPLACE one at a time. The group
 * has one domain: while a member is attached, both members' DMA reaches
 * that IOAS (a detached member translates until the group detaches,
 * docs/uapi); a failed call leaves the group where it was.
 */
static char grp_bdf[2][64];
static int grp_fd[2] = { -1, -1 };
static volatile void *grp_bar[2];

/* Two bound edus in one IOMMU group, into grp_bdf; 0 if there are. */
static int find_group_pair(void)
{
	char bdfs[8][64], grp[8][32];
	int n = bound_edus(bdfs, 8), i, j;

	for (i = 0; i < n; i++)
		if (pci_link_name(bdfs[i], "iommu_group", grp[i], sizeof(grp[i])))
			grp[i][0] = 0;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (grp[i][0] && !strcmp(grp[i], grp[j])) {
				strcpy(grp_bdf[0], bdfs[i]);
				strcpy(grp_bdf[1], bdfs[j]);
				return 0;
			}
	return -1;
}

static void prep_group(void)
{
	char path[192];
	int i;

	open_fds();
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", grp_bdf[i]);
		grp_fd[i] = open(path, O_RDWR);
		if (grp_fd[i] < 0 || dev_bind(grp_fd[i], fd, NULL) ||
		    enable_bus_master(grp_fd[i]))
			_exit(94);
		grp_bar[i] = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED,
				  grp_fd[i], region_offset(0));
		if (grp_bar[i] == MAP_FAILED)
			_exit(94);
	}
	two_ioas(0, 16, 4);
}

static void seq_group(void)
{
	STEPM(dev_attach(grp_fd[0], ioas_a, 0, 0), st.grp_at[0] = ioas_a);
	STEPM(dev_attach(grp_fd[1], ioas_a, 0, 0), st.grp_at[1] = ioas_a);
	STEP_MAP(ioas_a, 8, 1, 0x200000);
	STEP_REFUSED(dev_attach(grp_fd[0], ioas_b, IOASID_ATTACH_REPLACE, 0), -EBUSY);
	STEPM(dev_detach(grp_fd[0], 0, 0), st.grp_at[0] = 0);
	STEPM(dev_attach(grp_fd[1], ioas_b, IOASID_ATTACH_REPLACE, 0), st.grp_at[1] = ioas_b);
	STEPM(dev_detach(grp_fd[1], 0, 0), st.grp_at[1] = 0);
	STEPM(dev_attach(grp_fd[1], ioas_a, 0, 0), st.grp_at[1] = ioas_a);
	STEPM(dev_attach(grp_fd[0], ioas_a, 0, 0), st.grp_at[0] = ioas_a);
out:
	return;
}

/* Both members reach the group's IOAS (the model's), each to its scratch. */
static int check_group(void)
{
	__u32 at = st.grp_at[0] ? st.grp_at[0] : st.grp_at[1];
	int i, rc;

	if (st.grp_at[0] && st.grp_at[1] && st.grp_at[0] != st.grp_at[1]) {
		say("# the group's members in two IOASes (model)\n");
		return 66;
	}
	if (!at)
		return 0;
	for (i = 0; i < 2; i++) {
		rc = check_edu_dma(grp_bar[i], at, 0x100000, 0x101000 + i * PSZ);
		if (rc) {
			say("# group member %s\n", grp_bdf[i]);
			return rc;
		}
	}
	return 0;
}

enum { NEEDS_EDU = 1, NOT_VIRTIO = 2, NEEDS_GROUP = 4 };

struct sequence {
	const char *name;
	int (*setup)(void);	/* in the parent, once, before the runs */
	void (*prepare)(void);	/* unarmed, before the sequence */
	void (*run)(void);
	int (*check)(void);	/* unarmed, after check_model() */
	bool impure;		/* check changes state: runs once, on the chosen model */
	int needs;
	int steps;		/* the un-injected run's steps */
};

static struct sequence sequences[] = {
	{ .name = "core", .prepare = prep_fd, .run = seq_core, .check = check_none },
	{ .name = "option", .prepare = prep_fd, .run = seq_option, .check = check_option },
	{ .name = "auto_iova_unmap_all", .prepare = prep_auto, .run = seq_auto, .check = check_mock_pages },
	{ .name = "policy_dry_run", .prepare = prep_fd, .run = seq_policy, .check = check_none },
	{ .name = "policy_register_replace_unregister", .setup = load_policy, .prepare = prep_policy, .run = seq_policy_reg, .check = check_policy_reg, .impure = true },
	{ .name = "mock_access_pasid", .prepare = prep_mock, .run = seq_mock, .check = check_mock_pages },
	{ .name = "split_unmap", .prepare = prep_split, .run = seq_split, .check = check_split, .impure = true },
	{ .name = "two_domains", .prepare = prep_devices, .run = seq_two_domains, .check = check_devices },
	{ .name = "replace", .prepare = prep_devices, .run = seq_replace, .check = check_devices },
	{ .name = "revalidate", .prepare = prep_devices, .run = seq_revalidate, .check = check_devices },
	{ .name = "nested", .prepare = prep_nested, .run = seq_nested, .check = check_devices },
	{ .name = "device", .prepare = prep_device, .run = seq_device, .check = check_device, .impure = true, .needs = NEEDS_EDU | NOT_VIRTIO },
	{ .name = "config_space", .prepare = prep_edu, .run = seq_config, .check = check_config, .needs = NEEDS_EDU },
	{ .name = "bar_mmap", .prepare = prep_edu, .run = seq_bar, .check = check_bar, .needs = NEEDS_EDU },
	{ .name = "group", .prepare = prep_group, .run = seq_group, .check = check_group, .needs = NEEDS_GROUP | NOT_VIRTIO },
};

/*
 * One run in a child: 0 injected and consistent, 1 un-injected (not
 * reached) and every step succeeded and consistent, >1 bad. The child
 * prints the step count of an un-injected run ("# steps N").
 */
static int run_once(struct sequence *s, unsigned int n)
{
	char path[64];
	int status, pipefd[2];
	pid_t pid;

	if (pipe(pipefd))
		return 99;
	pid = fork();
	if (pid < 0)
		return 99;
	if (!pid) {
		int rc;

		close(pipefd[0]);
		if (have_nth) {
			snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", getpid());
			nth_fd = open(path, O_RDWR);
			if (nth_fd < 0)
				_exit(92);
		}
		s->prepare();
		set_nth(n);
		s->run();
		disarm();
		if (write(pipefd[1], &steps, sizeof(steps)) != sizeof(steps))
			_exit(97);
		if (fail_step && (!consumed || (fail_rc != -ENOMEM && fail_rc != -EFAULT))) {
			printf("# %s, injection %u%s: step %d, %s: %d (%s)\n", s->name, n,
			       consumed ? "" : " (not reached)", fail_step, fail_what,
			       fail_rc, strerror(-fail_rc));
			_exit(consumed ? 51 : 50);
		}
		/*
		 * The model, or after an EFAULT that may have followed the
		 * whole operation, the state before that step.
		 */
		quiet = have_alt;
		rc = check_model(fd);
		if (!rc && !s->impure)
			rc = s->check();
		quiet = false;
		if (rc && have_alt) {
			st = alt;
			rc = check_model(fd);
			if (!rc && !s->impure)
				rc = s->check();
		}
		if (!rc && s->impure)
			rc = s->check();
		if (rc)
			printf("# %s, injection %u: %s at step %d (%s): %d\n", s->name, n,
			       fail_step ? "failed" : "ran through", fail_step,
			       fail_what ? fail_what : "-", fail_rc);
		_exit(rc ? rc : consumed ? 0 : 1);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &s->steps, sizeof(s->steps)) != sizeof(s->steps))
		s->steps = -1;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 98;
	return WEXITSTATUS(status);
}

/*
 * "failnth_test replace,device" or FAILNTH_SEQ="replace,device" runs only
 * the sequences named (a comma-separated list; the argument wins), the
 * others SKIP; with neither, all of them run.
 */
static const char *only;

static bool selected(const char *name)
{
	const char *sel = only ? only : getenv("FAILNTH_SEQ"), *p;
	size_t len = strlen(name);

	if (!sel || !*sel)
		return true;
	for (p = sel; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

static void write_knob(const char *path, const char *val)
{
	int kfd = open(path, O_WRONLY);

	if (kfd >= 0) {
		if (write(kfd, val, strlen(val)) < 0)
			perror(path);
		close(kfd);
	}
}

/* Leaks with an ioasid frame, after two scans (objects must be 5 s old). */
static int kmemleak_ioasid_leaks(void)
{
	char line[512];
	int leaks = 0, in_ioasid = 0;
	FILE *f;

	if (access("/sys/kernel/debug/kmemleak", F_OK))
		return -1;
	sleep(6);
	write_knob("/sys/kernel/debug/kmemleak", "scan");
	write_knob("/sys/kernel/debug/kmemleak", "scan");
	f = fopen("/sys/kernel/debug/kmemleak", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "unreferenced object", 19)) {
			leaks += in_ioasid;
			in_ioasid = 0;
		}
		if (strstr(line, "ioasid") || strstr(line, "iopt_") || strstr(line, "iommu"))
			in_ioasid = 1;
		if (in_ioasid)
			printf("# %s", line);
	}
	leaks += in_ioasid;
	fclose(f);
	return leaks;
}

int main(int argc, char **argv)
{
	size_t i, nseq = sizeof(sequences) / sizeof(sequences[0]);
	int tap = 0, failed = 0, leaks, p;
	unsigned int total = 0;
	char path[64];

	/* Line by line: a VM timeout must still show which sequence was running. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1)
		only = argv[1];
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", getpid());
	have_nth = !access(path, F_OK);
	virtio_iommu = virtio_iommu_in_use();
	printf("TAP version 13\n1..%zu\n", nseq + 1);
	if (have_nth) {
		/* Every allocation may fail, quietly (the splats are what we look for). */
		write_knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
		write_knob("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
		write_knob("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N");
		write_knob("/sys/kernel/debug/failslab/verbose", "0");
		write_knob("/sys/kernel/debug/fail_page_alloc/verbose", "0");
		write_knob("/sys/kernel/debug/fail_usercopy/verbose", "0");
		write_knob("/sys/kernel/debug/kmemleak", "clear");
	}

	mem = mmap(NULL, NPAGES * PSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	for (p = 0; p < NPAGES; p++)
		memset(PG(p), 0x40 + p, PSZ);

	for (i = 0; i < nseq; i++) {
		struct sequence *s = &sequences[i];
		time_t start = time(NULL);
		unsigned int n;
		int rc = 0;

		if (!selected(s->name)) {
			printf("ok %d failnth.%s # SKIP not in FAILNTH_SEQ\n", ++tap, s->name);
			continue;
		}
		if ((s->needs & NEEDS_GROUP) && find_group_pair()) {
			printf("ok %d failnth.%s # SKIP no two edus in one IOMMU group\n", ++tap, s->name);
			continue;
		}
		if ((s->needs & NEEDS_EDU) && !edu_dev_path()) {
			printf("ok %d failnth.%s # SKIP no edu bound to ioasid-pci\n", ++tap, s->name);
			continue;
		}
		if ((s->needs & NOT_VIRTIO) && virtio_iommu && have_nth) {
			printf("ok %d failnth.%s # SKIP virtio-iommu: its unmap and attach error paths are not failure-safe (docs/design.md)\n",
			       ++tap, s->name);
			continue;
		}
		if (s->setup && s->setup()) {
			printf("not ok %d failnth.%s # setup failed\n", ++tap, s->name);
			failed++;
			continue;
		}
		if (!have_nth) {
			rc = run_once(s, 0);
			if (rc == 1)
				printf("ok %d failnth.%s # SKIP kernel without CONFIG_FAULT_INJECTION (un-injected: %d steps, consistent)\n",
				       ++tap, s->name, s->steps);
			else
				printf("not ok %d failnth.%s # un-injected run: code %d\n", ++tap,
				       s->name, rc), failed++;
			continue;
		}
		for (n = 1; n < MAX_NTH; n++) {
			rc = run_once(s, n);
			if (rc)
				break;
		}
		if (rc == 1) {
			printf("# %s: %u failure points injected over %d steps, each left a consistent state (%lds)\n",
			       s->name, n - 1, s->steps, (long)(time(NULL) - start));
			printf("ok %d failnth.%s\n", ++tap, s->name);
			total += n - 1;
		} else {
			printf("# %s: injection %u: %s (code %d)\n", s->name, n,
			       rc == 98 ? "the child died" : n == MAX_NTH ? "never completed" :
			       rc == 50 ? "the un-injected run failed a step" :
			       rc == 51 ? "a step failed with an errno no injection gives" :
			       "inconsistent state after the failure", rc);
			printf("not ok %d failnth.%s\n", ++tap, s->name);
			failed++;
		}
	}
	printf("# %u failure points injected in all\n", total);
	leaks = kmemleak_ioasid_leaks();
	if (leaks < 0)
		printf("ok %d failnth.kmemleak # SKIP kernel without kmemleak\n", ++tap);
	else if (leaks)
		printf("not ok %d failnth.kmemleak # %d leaked objects with an ioasid/iommu frame\n",
		       ++tap, leaks), failed++;
	else
		printf("ok %d failnth.kmemleak\n", ++tap);
	return failed ? 1 : 0;
}
