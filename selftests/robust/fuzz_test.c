// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl fuzzer: seeded random sequences of ioasid and device-fd ioctls with
 * random sizes, flags, ids, ranges and pointers (a bounded count). The
 * process must survive and the VM's serial log stay clean; the seed is
 * printed first so a failure replays with `fuzz_test COUNT SEED`.
 *
 * Device fds are fuzzed with the ioctls only: no config-space writes, no
 * BAR accesses, so the device never starts DMA.
 */
#include <time.h>

#include "../lib/ioasid_util.h"

static unsigned long long state;

static unsigned long long rnd(void)
{
	/* xorshift64*: reproducible from the seed alone. */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 2685821657736338717ULL;
}

static unsigned long long pick(const unsigned long long *v, size_t n)
{
	return v[rnd() % n];
}

#define PICK(...) ({ static const unsigned long long _v[] = { __VA_ARGS__ }; \
		     pick(_v, sizeof(_v) / sizeof(_v[0])); })

static char *mem;		/* 64 pages of user memory */
static char *buf;		/* the ioctl argument, 4 pages */

static __u64 rnd_iova(void)
{
	switch (rnd() % 5) {
	case 0:
		return (rnd() % 64) * PSZ + 0x100000;
	case 1:
		return rnd();
	case 2:
		return PICK(0, 0xfee00000, ~0ULL - PSZ + 1, 1ULL << 48, PSZ - 1);
	default:
		return (rnd() % 16) * PSZ;
	}
}

static __u64 rnd_len(void)
{
	return PICK(0, 1, PSZ, 2 * PSZ, 16 * PSZ, 64 * PSZ, 65 * PSZ, ~0ULL, PSZ + 1,
		    1ULL << 32);
}

static __u32 rnd_id(void)
{
	return rnd() % 4 ? rnd() % 10 : (__u32)rnd();
}

static __u64 rnd_ptr(void)
{
	switch (rnd() % 6) {
	case 0:
		return 0;
	case 1:
		return rnd();
	case 2:
		return (uintptr_t)(mem + 63 * PSZ + 100);	/* runs off the end */
	default:
		return (uintptr_t)(mem + (rnd() % 32) * PSZ);
	}
}

/* Fill @buf as a plausible-but-random command of @size bytes. */
static void fuzz_fill(size_t size)
{
	__u64 *w = (__u64 *)buf;
	size_t i;

	for (i = 0; i < size / 8 + 1 && i < 512; i++) {
		switch (rnd() % 5) {
		case 0:
			w[i] = rnd_iova();
			break;
		case 1:
			w[i] = rnd_len();
			break;
		case 2:
			w[i] = rnd_ptr();
			break;
		case 3:
			w[i] = rnd_id() | (__u64)rnd_id() << 32;
			break;
		default:
			w[i] = rnd() % 3 ? 0 : rnd();
		}
	}
}

static const unsigned long ioasid_cmds[] = {
	IOASID_DESTROY, IOASID_IOAS_ALLOC, IOASID_IOAS_MAP, IOASID_IOAS_UNMAP,
	IOASID_IOAS_COPY, IOASID_IOAS_IOVA_RANGES, IOASID_IOAS_ALLOW_IOVAS,
	IOASID_OPTION, IOASID_IOAS_GET_INFO, IOASID_CACHE_FLUSH, IOASID_POLICY_DRY_RUN,
};

static const unsigned long device_cmds[] = {
	IOASID_DEVICE_BIND, IOASID_DEVICE_ATTACH, IOASID_DEVICE_DETACH,
	IOASID_DEVICE_GET_INFO, IOASID_DEVICE_REGION_INFO,
};

static const size_t sizes[] = {
	sizeof(struct ioasid_destroy), sizeof(struct ioasid_ioas_alloc),
	sizeof(struct ioasid_ioas_map), sizeof(struct ioasid_ioas_unmap),
	sizeof(struct ioasid_ioas_copy), sizeof(struct ioasid_ioas_iova_ranges),
	sizeof(struct ioasid_ioas_allow_iovas), sizeof(struct ioasid_option),
	sizeof(struct ioasid_ioas_info), sizeof(struct ioasid_cache_flush),
	sizeof(struct ioasid_policy_dry_run),
};

static const size_t dev_sizes[] = {
	sizeof(struct ioasid_device_bind), sizeof(struct ioasid_device_attach),
	sizeof(struct ioasid_device_detach), sizeof(struct ioasid_device_info),
	sizeof(struct ioasid_region_info),
};

/*
 * The in-kernel APIs of #9 have no ioctl of their own: reach them through
 * the test module's software device (access API) and mock devices (device
 * attach, PASIDs, kernel PASID contexts), with random but mostly
 * well-formed commands.
 */
static int fuzz_test_module(int tfd, const int *fds)
{
	if (rnd() % 2) {
		struct ioasid_test_access *a = (void *)buf;

		fuzz_fill(sizeof(*a));
		a->size = sizeof(*a);
		a->op = 1 + rnd() % 11;
		a->access_id = rnd() % 4;
		a->ioasid_fd = fds[rnd() % 3];
		a->ioas_id = rnd_id();
		a->iova = rnd_iova();
		a->length = rnd() % 3 ? rnd() % (3 * PSZ) : rnd_len();
		a->uptr = rnd_ptr();
		a->flags = rnd() % 4 ? 0 : rnd() % 3;
		a->vendor = 0x1af4;
		return ioctl(tfd, IOASID_TEST_ACCESS, a);
	} else {
		struct ioasid_test_mock *m = (void *)buf;

		fuzz_fill(sizeof(*m));
		m->size = sizeof(*m);
		m->op = 1 + rnd() % 15;
		m->mock_id = rnd() % 3;
		m->ioasid_fd = fds[rnd() % 3];
		m->ioas_id = rnd_id();
		m->pasid = rnd() % 4 ? rnd() % 8 : (__u32)rnd();
		m->pasid_bits = rnd() % 24;
		m->iova = rnd_iova();
		m->length = rnd() % 3 ? 1 + rnd() % (2 * PSZ) : rnd_len();
		m->uptr = rnd_ptr();
		m->flags = rnd() % 3 ? rnd() % 4 : (__u32)rnd();
		m->__reserved = rnd() % 20 ? 0 : 1;
		return ioctl(tfd, IOASID_TEST_MOCK, m);
	}
}

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000, i;
	unsigned long long seed = argc > 2 ? strtoull(argv[2], NULL, 0) :
				  (unsigned long long)time(NULL) * 2654435761ULL | 1;
	unsigned long ok = 0, refused = 0, reopen = 0;
	const char *edu = edu_dev_path();
	int fds[3], dfd = -1, tfd, k;
	unsigned long test_calls = 0;

	printf("TAP version 13\n1..1\n# seed %#llx, %lu calls (replay: fuzz_test %lu %#llx)\n",
	       seed, count, count, seed);
	fflush(stdout);
	state = seed;
	mem = mmap(NULL, 64 * PSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = mmap(NULL, 4 * PSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || buf == MAP_FAILED)
		return 1;
	memset(mem, 0xa5, 64 * PSZ);
	for (k = 0; k < 3; k++)
		fds[k] = open("/dev/ioasid", O_RDWR);
	if (edu)
		dfd = open(edu, O_RDWR);
	tfd = open("/dev/ioasid_test", O_RDWR);

	for (i = 0; i < count; i++) {
		int fd = fds[rnd() % 3];
		size_t size;
		unsigned long cmd;
		int rc;

		if (tfd >= 0 && rnd() % 5 == 0) {
			/* Sometimes drop every mock and software device at once. */
			if (rnd() % 400 == 0) {
				close(tfd);
				tfd = open("/dev/ioasid_test", O_RDWR);
				continue;
			}
			test_calls++;
			if (fuzz_test_module(tfd, fds))
				refused++;
			else
				ok++;
			continue;
		}
		if (rnd() % 500 == 0) {
			/* Close with whatever is live, and start over. */
			k = rnd() % 3;
			close(fds[k]);
			fds[k] = open("/dev/ioasid", O_RDWR);
			reopen++;
			continue;
		}
		if (dfd >= 0 && rnd() % 4 == 0) {
			k = rnd() % 5;
			cmd = device_cmds[k];
			size = dev_sizes[k];
			fd = dfd;
			if (rnd() % 300 == 0) {
				close(dfd);
				dfd = open(edu, O_RDWR);
				continue;
			}
		} else {
			k = rnd() % (sizeof(ioasid_cmds) / sizeof(ioasid_cmds[0]));
			cmd = ioasid_cmds[k];
			size = sizes[k];
		}
		size = PICK(0, 1, 4, 8) == 8 ? size :
		       rnd() % 8 == 0 ? rnd() % 512 :
		       rnd() % 8 == 1 ? size + 8 : size;
		fuzz_fill(size + 16);
		*(__u32 *)buf = size;
		/* Device BIND takes an fd: give it one of ours most of the time. */
		if (fd == dfd && cmd == IOASID_DEVICE_BIND && rnd() % 4)
			((struct ioasid_device_bind *)buf)->ioasid_fd = fds[rnd() % 3];
		rc = ioctl(fd, cmd, rnd() % 50 ? (void *)buf : (void *)(uintptr_t)rnd_ptr());
		if (rc)
			refused++;
		else
			ok++;
	}
	if (tfd >= 0)
		close(tfd);
	for (k = 0; k < 3; k++)
		close(fds[k]);
	if (dfd >= 0)
		close(dfd);
	printf("# %lu succeeded, %lu refused, %lu fds reopened, %lu through the test module\n",
	       ok, refused, reopen, test_calls);
	/* Still sane: a fresh fd works. */
	{
		int fd = open("/dev/ioasid", O_RDWR);
		__u32 a = 0;

		if (fd < 0 || ioas_alloc(fd, 0, 0, &a) || map_fixed(fd, a, U(mem), PSZ, 0x100000, RW)) {
			printf("not ok 1 fuzz.ioctls # the module no longer works\n");
			return 1;
		}
		close(fd);
	}
	printf("ok 1 fuzz.ioctls\n");
	return 0;
}
