// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl fuzzer: seeded random sequences of ioasid and device-fd ioctls with
 * random sizes, flags, ids, ranges and pointers (a bounded count). The
 * process must survive and the VM's serial log stay clean; the seed is
 * printed first so a failure replays with `fuzz_test COUNT SEED`.
 *
 * Device fds are fuzzed with the ioctls only: no config-space writes, no
 * BAR accesses, so the device never starts DMA.
 *
 * Every refusal of a uAPI ioctl must give an errno its documentation lists:
 * the kernel-doc of its struct in the uAPI headers ("ioctl(IOASID_X)",
 * with "as IOASID_Y" taking Y's list too), plus the common errnos of the
 * headers' plain comments (linux/ioasid.h's for every ioctl, the ioctl's
 * own header's). The headers are read at run time ($TOP/kernel/include/
 * uapi/linux), so the test follows the documentation; an errno outside the
 * set fails, with the replay command.
 */
#include <ctype.h>
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

/* --- the documented errnos ------------------------------------------------ */

#define MAX_DOC 32

struct doc {
	char ioctl[48];		/* "IOASID_IOAS_MAP" */
	char as[48];		/* "as IOASID_X": X's errnos too */
	int header;		/* index into headers[] */
	bool errnos[256];
};

static const char *const headers[] = { "ioasid.h", "ioasid_device.h", "ioasid_policy.h" };
static bool common[3][256];
static struct doc docs[MAX_DOC];
static int ndocs;

static int errno_named(const char *p, size_t len)
{
	int e;

	for (e = 1; e < 256; e++) {
		const char *n = strerrorname_np(e);

		if (n && strlen(n) == len && !strncmp(n, p, len))
			return e;
	}
	return 0;
}

/* Every errno name in [p, end) into @set. */
static void scan_errnos(const char *p, const char *end, bool *set)
{
	while (p < end) {
		size_t len = 0;
		int e;

		if (*p == 'E' && !isalnum((unsigned char)p[-1]) && p[-1] != '_') {
			while (p + len < end && (isupper((unsigned char)p[len]) ||
						 isdigit((unsigned char)p[len])))
				len++;
			e = len > 2 ? errno_named(p, len) : 0;
			if (e)
				set[e] = true;
			p += len ? len : 1;
		} else {
			p++;
		}
	}
}

static int load_docs(void)
{
	const char *top = getenv("TOP") ?: TOP_DIR;
	char path[512], *text, *p, *end;
	size_t h;

	for (h = 0; h < 3; h++) {
		FILE *f;
		long n;

		snprintf(path, sizeof(path), "%s/kernel/include/uapi/linux/%s", top, headers[h]);
		f = fopen(path, "r");
		if (!f)
			return -errno;
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		text = calloc(1, n + 1);
		if (!text || fread(text, 1, n, f) != (size_t)n) {
			fclose(f);
			return -EIO;
		}
		fclose(f);
		for (p = strstr(text, "/*"); p; p = strstr(end, "/*")) {
			char *io;

			end = strstr(p, "*/");
			if (!end)
				break;
			if (p[2] != '*') {
				scan_errnos(p, end, common[h]);
				continue;
			}
			io = strstr(p, "ioctl(IOASID_");
			if (!io || io > end || ndocs == MAX_DOC)
				continue;
			docs[ndocs].header = h;
			sscanf(io + 6, "%47[A-Z0-9_]", docs[ndocs].ioctl);
			io = strstr(p, "Errnos: as IOASID_");
			if (io && io < end)
				sscanf(io + 11, "%47[A-Z0-9_]", docs[ndocs].as);
			scan_errnos(p, end, docs[ndocs].errnos);
			ndocs++;
		}
		free(text);
	}
	return ndocs ? 0 : -ENOENT;
}

static struct doc *doc_of(const char *name)
{
	int i;

	for (i = 0; i < ndocs; i++)
		if (!strcmp(docs[i].ioctl, name))
			return &docs[i];
	return NULL;
}

/* Is @e documented for the ioctl @name? */
static bool documented(const char *name, int e)
{
	struct doc *d = doc_of(name);

	if (e <= 0 || e >= 256)
		return false;
	if (common[0][e])
		return true;
	if (!d)
		return false;
	if (d->errnos[e] || common[d->header][e])
		return true;
	return d->as[0] && doc_of(d->as) && doc_of(d->as)->errnos[e];
}

#define NAMED(cmd) { cmd, #cmd }
static const struct {
	unsigned long cmd;
	const char *name;
} cmd_names[] = {
	NAMED(IOASID_DESTROY), NAMED(IOASID_IOAS_ALLOC), NAMED(IOASID_IOAS_MAP),
	NAMED(IOASID_IOAS_UNMAP), NAMED(IOASID_IOAS_COPY), NAMED(IOASID_IOAS_IOVA_RANGES),
	NAMED(IOASID_IOAS_ALLOW_IOVAS), NAMED(IOASID_OPTION), NAMED(IOASID_IOAS_GET_INFO),
	NAMED(IOASID_CACHE_FLUSH), NAMED(IOASID_POLICY_DRY_RUN), NAMED(IOASID_DEVICE_BIND),
	NAMED(IOASID_DEVICE_ATTACH), NAMED(IOASID_DEVICE_DETACH), NAMED(IOASID_DEVICE_GET_INFO),
	NAMED(IOASID_DEVICE_REGION_INFO),
};

static const char *cmd_name(unsigned long cmd)
{
	size_t i;

	for (i = 0; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (cmd_names[i].cmd == cmd)
			return cmd_names[i].name;
	return NULL;
}

/* Distinct undocumented (ioctl, errno) pairs, the first call of each. */
static struct {
	const char *name;
	int e;
	unsigned long call;
} bad[16];
static int nbad;

static void check_errno(unsigned long cmd, int e, unsigned long call)
{
	const char *name = cmd_name(cmd);
	int i;

	if (!name || documented(name, e))
		return;
	for (i = 0; i < nbad; i++)
		if (bad[i].name == name && bad[i].e == e)
			return;
	if (nbad < 16) {
		bad[nbad].name = name;
		bad[nbad].e = e;
		bad[nbad].call = call;
		nbad++;
	}
}

static const unsigned long ioasid_cmds[] = {
	IOASID_DESTROY, IOASID_IOAS_ALLOC, IOASID_IOAS_MAP, IOASID_IOAS_UNMAP,
	IOASID_IOAS_COPY, IOASID_IOAS_IOVA_RANGES, IOASID_IOAS_ALLOW_IOVAS,
	IOASID_OPTION, IOASID_IOAS_GET_INFO, IOASID_CACHE_FLUSH, IOASID_POLICY_DRY_RUN,
	IOASID_POLICY_REVALIDATE,
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
	sizeof(struct ioasid_policy_dry_run), sizeof(struct ioasid_policy_revalidate),
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

	k = load_docs();
	if (k) {
		printf("TAP version 13\n1..1\nnot ok 1 fuzz.ioctls # the uAPI headers' errno documentation: %s\n",
		       strerror(-k));
		return 1;
	}
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
			check_errno(cmd, errno, i);
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
	for (k = 0; k < nbad; k++)
		printf("# %s refused with %s, not in its documented errnos (first at call %lu)\n",
		       bad[k].name, strerrorname_np(bad[k].e), bad[k].call);
	if (nbad) {
		printf("not ok 1 fuzz.ioctls # %d undocumented errnos; replay: fuzz_test %lu %#llx\n",
		       nbad, count, seed);
		return 1;
	}
	printf("# every refusal gave an errno its ioctl documents (%d ioctls documented)\n", ndocs);
	printf("ok 1 fuzz.ioctls\n");
	return 0;
}
