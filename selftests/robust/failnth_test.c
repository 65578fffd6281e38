// SPDX-License-Identifier: GPL-2.0
/*
 * fail_nth: for each ioctl sequence below, fail the n-th fault-injection
 * point (slab and page allocations, user copies) of the sequence for
 * n = 1, 2, ... until the sequence runs through without reaching the n-th
 * point. After each run the objects left behind must be consistent: every
 * IOAS still answers GET_INFO and takes a new mapping, a device can be
 * bound and attached again, the fd closes. The VM's serial log is scanned
 * for KASAN/lockdep/WARN reports afterwards, and kmemleak is asked for
 * leaks with an ioasid frame at the end. Prints TAP with the number of
 * failure points covered per sequence.
 *
 * Needs CONFIG_FAULT_INJECTION (the debug kernel): SKIP otherwise.
 */
#include <sys/wait.h>

#include "../lib/ioasid_util.h"

#define MAX_NTH 3000

static int nth_fd = -1;

/*
 * Writing and reading fail-nth copy from and to user space, which are
 * injection points themselves while armed: an EFAULT there is the armed
 * point firing on that copy.
 */
static void set_nth(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n), i;

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

static char *mem;	/* 16 pages, touched */

/* --- the sequences: run with failures armed; errors are expected --------- */

static void seq_core(void)
{
	struct ioasid_iova_range allow = { 0, (1ULL << 40) - 1 }, ranges[8];
	struct ioasid_ioas_allow_iovas al = {
		.size = sizeof(al), .num_iovas = 1, .allowed_iovas = (uintptr_t)&allow,
	};
	struct ioasid_ioas_iova_ranges r = {
		.size = sizeof(r), .num_iovas = 8, .allowed_iovas = (uintptr_t)ranges,
	};
	struct ioasid_ioas_info info;
	__u32 a = 0, b = 0, c = 0;
	int fd = open("/dev/ioasid", O_RDWR);

	if (fd < 0)
		return;
	ioas_alloc(fd, 0, 0, &a);
	ioas_alloc(fd, 0, 0, &b);
	map_fixed(fd, a, U(mem), 4 * PSZ, 0x100000, RW);
	copy_fixed(fd, b, a, 0x100000, 4 * PSZ, 0x400000, RW);
	al.ioas_id = b;
	xioctl(fd, IOASID_IOAS_ALLOW_IOVAS, &al);
	r.ioas_id = b;
	xioctl(fd, IOASID_IOAS_IOVA_RANGES, &r);
	unmap(fd, a, 0x101000, PSZ, IOASID_UNMAP_ALLOW_SPLIT, NULL);
	get_info(fd, a, &info);
	ioas_alloc(fd, IOASID_IOAS_ALLOC_NESTED, a, &c);
	map_fixed(fd, c, 0x100000, PSZ, 0x900000, RW);
	destroy(fd, c);
	destroy(fd, b);
	cache_flush(fd, NULL);
	close(fd);
}

static int dev_fd_for(const char *path)
{
	return path ? open(path, O_RDWR) : -1;
}

static void seq_device(void)
{
	const char *path = edu_dev_path();
	int fd = open("/dev/ioasid", O_RDWR), dfd = dev_fd_for(path);
	struct ioasid_device_info dinfo = { .size = sizeof(dinfo) };
	__u32 a = 0, b = 0;

	if (fd < 0 || dfd < 0)
		goto out;
	ioas_alloc(fd, 0, 0, &a);
	ioas_alloc(fd, 0, 0, &b);
	map_fixed(fd, a, U(mem), 2 * PSZ, 0x100000, RW);
	map_fixed(fd, b, U(mem + 2 * PSZ), 2 * PSZ, 0x200000, RW);
	dev_bind(dfd, fd, NULL);
	dev_attach(dfd, a, 0, 0);
	map_fixed(fd, a, U(mem + 4 * PSZ), PSZ, 0x300000, RW);
	unmap(fd, a, 0x300000, PSZ, 0, NULL);
	dev_attach(dfd, b, IOASID_ATTACH_REPLACE, 0);
	xioctl(dfd, IOASID_DEVICE_GET_INFO, &dinfo);
	dev_attach(dfd, a, IOASID_ATTACH_PASID, 1);
	cache_flush(fd, NULL);
	dev_detach(dfd, 0, 0);
out:
	/*
	 * Releasing the device returns its group to the kernel's default
	 * domain, which the IOMMU core requires to succeed (it WARNs if an
	 * allocation there fails): that step runs unarmed.
	 */
	disarm();
	if (dfd >= 0)
		close(dfd);
	if (fd >= 0)
		close(fd);
}

static void seq_policy(void)
{
	struct ioasid_policy_dry_run dr = { .size = sizeof(dr) };
	int fd = open("/dev/ioasid", O_RDWR);

	if (fd < 0)
		return;
	dr.req.op = IOASID_POLICY_OP_ATTACH;
	dr.req.vendor = 0x1234;
	dr.req.device = 0x11e8;
	dr.req.group_size = 1;
	xioctl(fd, IOASID_POLICY_DRY_RUN, &dr);
	dr.req.op = IOASID_POLICY_OP_ATTACH_PASID;
	dr.req.iommu_caps = IOASID_IOMMU_CAP_PASID;
	dr.req.pasid_bits = 8;
	dr.req.pasid = 3;
	xioctl(fd, IOASID_POLICY_DRY_RUN, &dr);
	close(fd);
}

/*
 * Mock devices and software devices: the test fd and the mocks are made
 * unarmed (mock_prepare(): they are test infrastructure), everything
 * ioasid does with them runs armed, and the teardown runs unarmed again
 * (the IOMMU core's return of a group to its default domain must not fail).
 */
static int tfd = -1;
static __u32 mock_user, mock_kernel;

static void mock_prepare(void)
{
	struct ioasid_test_mock m = { .pasid_bits = 8, .flags = IOASID_TEST_MOCK_COHERENT };

	tfd = open("/dev/ioasid_test", O_RDWR);
	if (tfd < 0 || mock_op(tfd, IOASID_TEST_MOCK_CREATE, 0, &m))
		_exit(93);
	mock_user = m.mock_id;
	if (mock_op(tfd, IOASID_TEST_MOCK_CREATE, 0, &m))
		_exit(93);
	mock_kernel = m.mock_id;
}

static void seq_mock(void)
{
	int fd = open("/dev/ioasid", O_RDWR);
	struct ioasid_test_mock m = { 0 };
	__u32 a = 0, b = 0, acc = 0, bad = 0;
	char rw[64];

	if (fd < 0)
		goto out;
	ioas_alloc(fd, 0, 0, &a);
	ioas_alloc(fd, 0, 0, &b);
	map_fixed(fd, a, U(mem), 4 * PSZ, 0x100000, RW);
	map_fixed(fd, b, U(mem + 4 * PSZ), 2 * PSZ, 0x100000, RW);
	m.ioasid_fd = fd;
	m.vendor = 0x1af4;
	mock_op(tfd, IOASID_TEST_MOCK_BIND, mock_user, &m);
	m.ioas_id = a;
	mock_op(tfd, IOASID_TEST_MOCK_ATTACH, mock_user, &m);
	m.ioas_id = b;
	m.flags = IOASID_ATTACH_PASID;
	m.pasid = 3;
	mock_op(tfd, IOASID_TEST_MOCK_ATTACH, mock_user, &m);
	m.flags = 0;
	m.iova = 0x100000;
	m.length = sizeof(rw);
	m.uptr = (uintptr_t)rw;
	mock_op(tfd, IOASID_TEST_MOCK_DMA, mock_user, &m);
	m.flags = IOASID_ATTACH_PASID;
	mock_op(tfd, IOASID_TEST_MOCK_DETACH, mock_user, &m);

	/* A well-behaved and a misbehaving software device, and an unmap. */
	acc_create_attach(tfd, fd, a, 0, &acc);
	acc_op(tfd, IOASID_TEST_ACCESS_PIN, acc, 0x100000, 2 * PSZ, NULL, 0);
	acc_op(tfd, IOASID_TEST_ACCESS_WRITE, acc, 0x100800, sizeof(rw), rw, 0);
	acc_create_attach(tfd, fd, a, IOASID_TEST_ACCESS_MISBEHAVE, &bad);
	acc_op(tfd, IOASID_TEST_ACCESS_PIN, bad, 0x102000, PSZ, NULL, 0);
	unmap(fd, a, 0x100000, 4 * PSZ, 0, NULL);
	acc_op(tfd, IOASID_TEST_ACCESS_DESTROY, bad, 0, 0, NULL, 0);

	/* A kernel-owned device with two PASID contexts. */
	memset(&m, 0, sizeof(m));
	m.vendor = 0x1af4;
	mock_op(tfd, IOASID_TEST_MOCK_KDEV_OPEN, mock_kernel, &m);
	m.pasid = 1;
	mock_op(tfd, IOASID_TEST_MOCK_CTX_CREATE, mock_kernel, &m);
	m.pasid = 2;
	mock_op(tfd, IOASID_TEST_MOCK_CTX_CREATE, mock_kernel, &m);
	m.iova = 0x200000;
	m.uptr = (uintptr_t)mem;
	m.length = 2 * PSZ;
	m.flags = IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE;
	mock_op(tfd, IOASID_TEST_MOCK_CTX_MAP, mock_kernel, &m);
	mock_op(tfd, IOASID_TEST_MOCK_CTX_UNMAP, mock_kernel, &m);
	m.pasid = 1;
	mock_op(tfd, IOASID_TEST_MOCK_CTX_DESTROY, mock_kernel, &m);
out:
	disarm();
	if (tfd >= 0)
		close(tfd);
	if (fd >= 0)
		close(fd);
}

/*
 * A split unmap under two domains (a mock IOMMU's, and intel-iommu's when
 * an edu is there): the remainders are mapped again in each domain, the one
 * step of an unmap that can fail. A failed call must change nothing
 * (issue 15, bug 8: the remainder used to be dropped). The IOAS, the
 * devices and the attachments are made unarmed; only the unmap is armed.
 */
#define SPLIT_IOVA 0x100000UL
static int sp_fd = -1, sp_tfd = -1, sp_dfd = -1, sp_rc;
static __u32 sp_ioas, sp_mock;
static char *sp_mem;	/* 4 pages, each its own byte */

static void split_prepare(void)
{
	struct ioasid_test_mock m = { .flags = IOASID_TEST_MOCK_COHERENT };
	const char *path = edu_dev_path();
	int i;

	sp_mem = mem + 8 * PSZ;
	for (i = 0; i < 4; i++)
		memset(sp_mem + i * PSZ, 0x10 + i, PSZ);
	sp_fd = open("/dev/ioasid", O_RDWR);
	sp_tfd = open("/dev/ioasid_test", O_RDWR);
	if (sp_fd < 0 || sp_tfd < 0 || ioas_alloc(sp_fd, 0, 0, &sp_ioas) ||
	    map_fixed(sp_fd, sp_ioas, U(sp_mem), 4 * PSZ, SPLIT_IOVA, RW) ||
	    mock_op(sp_tfd, IOASID_TEST_MOCK_CREATE, 0, &m))
		_exit(94);
	sp_mock = m.mock_id;
	m.flags = 0;
	m.ioasid_fd = sp_fd;
	m.vendor = 0x1af4;
	m.ioas_id = sp_ioas;
	if (mock_op(sp_tfd, IOASID_TEST_MOCK_BIND, sp_mock, &m) ||
	    mock_op(sp_tfd, IOASID_TEST_MOCK_ATTACH, sp_mock, &m))
		_exit(94);
	if (path) {
		sp_dfd = open(path, O_RDWR);
		if (sp_dfd < 0 || dev_bind(sp_dfd, sp_fd, NULL) || dev_attach(sp_dfd, sp_ioas, 0, 0))
			_exit(94);
	}
}

static void seq_split(void)
{
	sp_rc = unmap(sp_fd, sp_ioas, SPLIT_IOVA + PSZ, PSZ, IOASID_UNMAP_ALLOW_SPLIT, NULL);
	disarm();
}

/* Page @i read through the IOAS (IOVA_RW) and by the mock's DMA: 0 or -errno. */
static int split_page_check(int i)
{
	struct ioasid_test_iova_rw rw = {
		.size = sizeof(rw), .flags = IOASID_TEST_RW_READ, .ioasid_fd = sp_fd,
		.ioas_id = sp_ioas, .length = 64,
	};
	struct ioasid_test_mock m = { .length = 64 };
	char a[64], b[64], want[64];
	int rc;

	memset(want, 0x10 + i, sizeof(want));
	rw.iova = SPLIT_IOVA + i * PSZ + PSZ - 64;
	rw.uptr = (uintptr_t)a;
	rc = xioctl(sp_tfd, IOASID_TEST_IOVA_RW, &rw);
	if (rc)
		return rc;
	m.iova = rw.iova;
	m.uptr = (uintptr_t)b;
	rc = mock_op(sp_tfd, IOASID_TEST_MOCK_DMA, sp_mock, &m);
	if (rc)
		return rc;
	return memcmp(a, want, 64) || memcmp(b, want, 64) ? -EILSEQ : 0;
}

static int check_split(void)
{
	struct ioasid_ioas_info info;
	bool split = !sp_rc;
	int i, rc;

	/* Un-injected, it succeeds; injected, it fails only for memory. */
	if (!consumed && sp_rc)
		return 40;
	if (sp_rc && sp_rc != -ENOMEM && sp_rc != -EFAULT)
		return 41;
	if (get_info(sp_fd, sp_ioas, &info))
		return 42;
	/*
	 * EFAULT may come from copying the answer out (fail_usercopy) after
	 * the unmap was done whole, as iommufd's and type1's do: the state is
	 * then the split one, never a half-done cut.
	 */
	if (sp_rc == -EFAULT && info.out_nr_mappings == 2)
		split = true;
	if (info.out_nr_mappings != (split ? 2U : 1U) ||
	    info.out_mapped_bytes != (split ? 3 : 4) * PSZ) {
		printf("# split_unmap: rc %d left %u mappings, %llu bytes\n", sp_rc,
		       info.out_nr_mappings, (unsigned long long)info.out_mapped_bytes);
		return 42;
	}
	for (i = 0; i < 4; i++) {
		rc = split_page_check(i);
		if ((i == 1 && split) ? (rc != -ENOENT && rc != -EFAULT) : rc)
			return 43 + i;
	}
	/* The remainders come apart cleanly, and the IOAS is empty. */
	if (unmap(sp_fd, sp_ioas, 0, 0, IOASID_UNMAP_ALL, NULL))
		return 47;
	if (sp_dfd >= 0)
		close(sp_dfd);
	close(sp_tfd);
	close(sp_fd);
	return 0;
}

/* --- consistency after the injected run ------------------------------------- */

static int check_core(void)
{
	struct ioasid_ioas_info info;
	__u32 id, a = 0;
	int fd = open("/dev/ioasid", O_RDWR), rc = 0;

	if (fd < 0)
		return 10;
	/* A fresh fd works end to end. */
	if (ioas_alloc(fd, 0, 0, &a) || map_fixed(fd, a, U(mem), PSZ, 0x100000, RW) ||
	    unmap(fd, a, 0x100000, PSZ, 0, NULL) || destroy(fd, a))
		rc = 11;
	for (id = 1; id < 8 && !rc; id++) {
		int e = get_info(fd, id, &info);

		if (e && e != -ENOENT)
			rc = 12;
	}
	close(fd);
	return rc;
}

static int check_device(void)
{
	const char *path = edu_dev_path();
	int fd, dfd, rc = 0;
	__u32 a = 0;

	if (!path)
		return 0;
	fd = open("/dev/ioasid", O_RDWR);
	dfd = open(path, O_RDWR);
	if (fd < 0 || dfd < 0)
		return 20;
	/* The device is free again: bound, attached, mapped, detached. */
	if (ioas_alloc(fd, 0, 0, &a) || map_fixed(fd, a, U(mem), PSZ, 0x100000, RW))
		rc = 21;
	else if (dev_bind(dfd, fd, NULL))
		rc = 22;
	else if (dev_attach(dfd, a, 0, 0) || dev_detach(dfd, 0, 0))
		rc = 23;
	close(dfd);
	close(fd);
	return rc;
}

/* A fresh test fd: a mock attaches and DMAs, a kernel context works. */
static int check_mock(void)
{
	struct ioasid_test_mock m = { .pasid_bits = 8, .flags = IOASID_TEST_MOCK_COHERENT };
	int rc = check_core(), fd, t;
	char rw[64];
	__u32 a = 0;

	if (rc)
		return rc;
	fd = open("/dev/ioasid", O_RDWR);
	t = open("/dev/ioasid_test", O_RDWR);
	if (fd < 0 || t < 0)
		return 30;
	if (ioas_alloc(fd, 0, 0, &a) || map_fixed(fd, a, U(mem), PSZ, 0x100000, RW) ||
	    mock_op(t, IOASID_TEST_MOCK_CREATE, 0, &m))
		rc = 31;
	m.flags = 0;	/* COHERENT above; as attach flags it would mean PASID */
	m.ioasid_fd = fd;
	m.ioas_id = a;
	m.iova = 0x100000;
	m.length = sizeof(rw);
	m.uptr = (uintptr_t)rw;
	if (!rc && (mock_op(t, IOASID_TEST_MOCK_BIND, m.mock_id, &m) ||
		    mock_op(t, IOASID_TEST_MOCK_ATTACH, m.mock_id, &m) ||
		    mock_op(t, IOASID_TEST_MOCK_DMA, m.mock_id, &m) ||
		    memcmp(rw, mem, sizeof(rw))))
		rc = 32;
	close(t);
	close(fd);
	return rc;
}

struct sequence {
	const char *name;
	void (*run)(void);
	int (*check)(void);
	bool needs_device;
	void (*prepare)(void);	/* unarmed, before the sequence */
};

static const struct sequence sequences[] = {
	{ "core", seq_core, check_core, false, NULL },
	{ "device", seq_device, check_device, true, NULL },
	{ "policy", seq_policy, check_core, false, NULL },
	{ "mock", seq_mock, check_mock, false, mock_prepare },
	{ "split_unmap", seq_split, check_split, false, split_prepare },
};

/* One run in a child: 0 injected and consistent, 1 not reached, >1 bad. */
static int run_once(const struct sequence *s, unsigned int n)
{
	char path[64];
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 99;
	if (!pid) {
		int rc;

		snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", getpid());
		nth_fd = open(path, O_RDWR);
		if (nth_fd < 0)
			_exit(92);
		if (s->prepare)
			s->prepare();
		set_nth(n);
		s->run();
		disarm();
		rc = s->check();
		_exit(rc ? rc : consumed ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 98;
	return WEXITSTATUS(status);
}

static void write_knob(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, val, strlen(val)) < 0)
			perror(path);
		close(fd);
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

int main(void)
{
	unsigned int total = 0;
	size_t i;
	int tap = 0, failed = 0, leaks;
	char path[64];

	/* Line by line: a VM timeout must still show which sequence was running. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", getpid());
	printf("TAP version 13\n1..%zu\n", sizeof(sequences) / sizeof(sequences[0]) + 1);
	if (access(path, F_OK)) {
		for (i = 0; i <= sizeof(sequences) / sizeof(sequences[0]); i++)
			printf("ok %d failnth.skip # SKIP kernel without CONFIG_FAULT_INJECTION\n", ++tap);
		return 0;
	}
	/* Every allocation may fail, quietly (the splats are what we look for). */
	write_knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	write_knob("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	write_knob("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N");
	write_knob("/sys/kernel/debug/failslab/verbose", "0");
	write_knob("/sys/kernel/debug/fail_page_alloc/verbose", "0");
	write_knob("/sys/kernel/debug/fail_usercopy/verbose", "0");
	write_knob("/sys/kernel/debug/kmemleak", "clear");

	mem = mmap(NULL, 16 * PSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memset(mem, 0x5a, 16 * PSZ);

	for (i = 0; i < sizeof(sequences) / sizeof(sequences[0]); i++) {
		const struct sequence *s = &sequences[i];
		time_t start = time(NULL);
		unsigned int n;
		int rc = 0;

		if (s->needs_device && !edu_dev_path()) {
			printf("ok %d failnth.%s # SKIP no edu bound to ioasid-pci\n", ++tap, s->name);
			continue;
		}
		for (n = 1; n < MAX_NTH; n++) {
			rc = run_once(s, n);
			if (rc)
				break;
		}
		if (rc == 1) {
			printf("# %s: %u failure points injected, each left a consistent state (%lds)\n",
			       s->name, n - 1, (long)(time(NULL) - start));
			printf("ok %d failnth.%s\n", ++tap, s->name);
			total += n - 1;
		} else {
			printf("# %s: injection %u: %s (code %d)\n", s->name, n,
			       rc == 98 ? "the child died" : n == MAX_NTH ?
			       "never completed" : "inconsistent state after the failure", rc);
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
