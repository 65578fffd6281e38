// SPDX-License-Identifier: GPL-2.0
/*
 * ioas_acct_test: RLIMIT_MEMLOCK accounting in both IOASID_RLIMIT_*
 * modes (fixture acct). Root has CAP_IPC_LOCK, which is charged but never
 * refused, so every test forks a child (acct_fork(), ACCT_TEST()) that lowers
 * RLIMIT_MEMLOCK to 64 pages, drops CAP_IPC_LOCK with capset() and switches
 * to a fresh uid (a different one per test, so the per-user charge of one
 * test cannot leak into the next) before using /dev/ioasid. _metadata is
 * MAP_SHARED by the harness, so ASSERT/EXPECT inside that child report to
 * the test as usual.
 * Shared helpers, fixtures and design notes: lib/ioasid_util.h.
 */
#include <grp.h>

#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

/* ================================================================== */
/* fixture acct: RLIMIT_MEMLOCK accounting, both modes                  */
/* ================================================================== */

#define LIMIT_PAGES	64ULL
#define ABUF_PAGES	192ULL
#define ACCT_UID	12345

FIXTURE(acct) {
	int unused;
};

FIXTURE_VARIANT(acct) {
	__u64 mode;
};

FIXTURE_VARIANT_ADD(acct, user) { .mode = IOASID_RLIMIT_USER };
FIXTURE_VARIANT_ADD(acct, mm) { .mode = IOASID_RLIMIT_MM };

FIXTURE_SETUP(acct)
{
	if (sysconf(_SC_PAGESIZE) != (long)PSZ)
		SKIP(return, "these tests assume 4 KiB pages");
	if (geteuid() != 0)
		SKIP(return, "needs root to drop CAP_IPC_LOCK and switch uid");
}

FIXTURE_TEARDOWN(acct)
{
}

struct actx {
	int fd, fd2, tfd;
	__u32 ioas;
	uint8_t *buf;
};

static bool has_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return true;
	return d[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &
	       CAP_TO_MASK(CAP_IPC_LOCK);
}

/* Prefer an fd opened as the new uid; fall back to the one opened as root. */
static int reopen_as_user(struct __test_metadata *_metadata, int pre)
{
	int fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		TH_LOG("open /dev/ioasid as uid %d: %s; using the fd opened as root",
		       getuid(), strerror(errno));
		return pre;
	}
	close(pre);
	return fd;
}

/*
 * Fork a child limited to LIMIT_PAGES of locked memory, without
 * CAP_IPC_LOCK, running as uid ACCT_UID + @uid_off, with two /dev/ioasid
 * fds in the variant's mode, an IOAS in c->fd and a pattern buffer. Returns
 * 0 in the child (which must _exit()), the pid in the parent.
 */
static pid_t acct_fork(struct __test_metadata *_metadata,
		       const FIXTURE_VARIANT(acct) *variant, int uid_off,
		       struct actx *c)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};
	struct rlimit rl = { LIMIT_PAGES * PSZ, LIMIT_PAGES * PSZ };
	uid_t uid = ACCT_UID + uid_off;
	int pre1, pre2;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid)
		return pid;

	c->tfd = open_dev(_metadata, "/dev/ioasid_test");
	pre1 = open_dev(_metadata, "/dev/ioasid");
	pre2 = open_dev(_metadata, "/dev/ioasid");
	/* The MM mode needs CAP_SYS_RESOURCE: root chooses it, the user maps. */
	if (variant->mode == IOASID_RLIMIT_MM) {
		ASSERT_EQ(0, set_mode(pre1, variant->mode));
		ASSERT_EQ(0, set_mode(pre2, variant->mode));
	}
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	ASSERT_EQ(0, syscall(SYS_capget, &h, d));
	d[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	d[CAP_TO_INDEX(CAP_IPC_LOCK)].permitted &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	d[CAP_TO_INDEX(CAP_IPC_LOCK)].inheritable &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	ASSERT_EQ(0, syscall(SYS_capset, &h, d));
	/* a fresh user: its locked_vm is ours alone */
	ASSERT_EQ(0, setresuid(uid, uid, uid));
	ASSERT_FALSE(has_ipc_lock());
	if (variant->mode == IOASID_RLIMIT_MM) {
		c->fd = pre1;
		c->fd2 = pre2;
	} else {
		c->fd = reopen_as_user(_metadata, pre1);
		c->fd2 = reopen_as_user(_metadata, pre2);
		ASSERT_EQ(0, set_mode(c->fd, variant->mode));
		ASSERT_EQ(0, set_mode(c->fd2, variant->mode));
	}
	c->buf = new_buf(_metadata, ABUF_PAGES * PSZ, 0xacc7u + uid_off);
	ASSERT_EQ(0, ioas_alloc(c->fd, 0, 0, &c->ioas));
	ASSERT_EQ(0, vmlck_kb());
	return 0;
}

static void acct_wait(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		TH_LOG("limited child: status 0x%x", status);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

typedef void (*acct_child_fn)(struct __test_metadata *_metadata,
			      const FIXTURE_VARIANT(acct) *variant,
			      struct actx c);

/* Run @fn in an acct_fork() child and wait for it. */
static void acct_run(struct __test_metadata *_metadata,
		     const FIXTURE_VARIANT(acct) *variant, int uid_off,
		     acct_child_fn fn)
{
	struct actx c;
	pid_t pid = acct_fork(_metadata, variant, uid_off, &c);

	if (!pid) {
		fn(_metadata, variant, c);
		_exit(0);
	}
	acct_wait(_metadata, pid);
}

/*
 * ACCT_TEST(name, uid_off) { body }: a test of fixture acct whose body runs
 * in an acct_fork() child (uid ACCT_UID + @uid_off) with its struct actx c.
 */
#define ACCT_TEST(name, uid_off)					\
	static void name##_child(struct __test_metadata *_metadata,	\
				 const FIXTURE_VARIANT(acct) *variant,	\
				 struct actx c);			\
	TEST_F(acct, name)						\
	{								\
		acct_run(_metadata, variant, uid_off, name##_child);	\
	}								\
	static void name##_child(struct __test_metadata *_metadata,	\
				 const FIXTURE_VARIANT(acct) *variant,	\
				 struct actx c)

/* map @pages pages of c->buf from page @pg at a fixed IOVA */
#define AMAP(fd, ioas, pg, pages, iova) \
	map_fixed(fd, ioas, U(c.buf + (pg) * PSZ), (pages) * PSZ, iova, RW)
#define A_CHECK_BYTES(ioas, iova, pg, pages) \
	check_bytes(_metadata, c.tfd, c.fd, ioas, iova, c.buf + (pg) * PSZ, \
		    (pages) * PSZ, __LINE__)
#define A_CHECK_INFO(ioas, nr, pages) \
	check_info(_metadata, c.fd, ioas, nr, (pages) * PSZ, pages, __LINE__)
/* VmPin in kB after @pages are charged (the MM mode's count) */
#define LCK(pages) \
	(variant->mode == IOASID_RLIMIT_MM ? (long)((pages) * PSZ / 1024) : 0L)

ACCT_TEST(over_limit_enomem_changes_nothing, 1)
{
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 0, 32, IOVA_A));
	EXPECT_EQ(LCK(32), vmlck_kb());
	/* 32 + 64 > 64 */
	ASSERT_EQ(-ENOMEM, AMAP(c.fd, c.ioas, 32, 64, IOVA_B));
	A_CHECK_INFO(c.ioas, 1, 32);
	A_CHECK_BYTES(c.ioas, IOVA_A, 0, 32);
	ASSERT_EQ(-ENOENT, peek(c.tfd, c.fd, c.ioas, IOVA_B));
	EXPECT_EQ(LCK(32), vmlck_kb());
	/* one page too many */
	ASSERT_EQ(-ENOMEM, AMAP(c.fd, c.ioas, 32, 33, IOVA_B));
	A_CHECK_INFO(c.ioas, 1, 32);
	/* exactly the limit */
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 32, 32, IOVA_B));
	ASSERT_EQ(-ENOMEM, AMAP(c.fd, c.ioas, 64, 1, 3 * IOVA_A));
	A_CHECK_INFO(c.ioas, 2, 64);
	A_CHECK_BYTES(c.ioas, IOVA_A, 0, 32);
	A_CHECK_BYTES(c.ioas, IOVA_B, 32, 32);
	EXPECT_EQ(LCK(64), vmlck_kb());
}

ACCT_TEST(unmap_releases_charge, 2)
{
	__u64 out;

	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 0, 64, IOVA_A));
	ASSERT_EQ(-ENOMEM, AMAP(c.fd, c.ioas, 64, 1, IOVA_B));
	ASSERT_EQ(0, unmap(c.fd, c.ioas, IOVA_A, 64 * PSZ, 0, &out));
	EXPECT_EQ(64 * PSZ, out);
	EXPECT_EQ(0L, vmlck_kb());
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 64, 64, IOVA_B));
	/* a split unmap releases just the pages cut out */
	ASSERT_EQ(0, unmap(c.fd, c.ioas, IOVA_B + 16 * PSZ, 16 * PSZ,
			   IOASID_UNMAP_ALLOW_SPLIT, &out));
	EXPECT_EQ(16 * PSZ, out);
	EXPECT_EQ(LCK(48), vmlck_kb());
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 128, 16, IOVA_A));
	ASSERT_EQ(-ENOMEM, AMAP(c.fd, c.ioas, 144, 1, 3 * IOVA_A));
	A_CHECK_INFO(c.ioas, 3, 64);
}

ACCT_TEST(copy_is_not_charged, 3)
{
	__u32 b;

	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 0, 48, IOVA_A));
	ASSERT_EQ(0, ioas_alloc(c.fd, 0, 0, &b));
	/* 48 + 48 would be over the limit if it were charged */
	ASSERT_EQ(0, copy_fixed(c.fd, b, c.ioas, IOVA_A, 48 * PSZ,
				IOVA_A, RW));
	ASSERT_EQ(0, copy_fixed(c.fd, c.ioas, c.ioas, IOVA_A, 48 * PSZ,
				IOVA_B, RO));
	EXPECT_EQ(LCK(48), vmlck_kb());
	A_CHECK_BYTES(b, IOVA_A, 0, 48);
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 48, 16, 3 * IOVA_A));
	ASSERT_EQ(-ENOMEM, AMAP(c.fd, c.ioas, 64, 1, 4 * IOVA_A));
	/* b still pins the first 48 pages: they stay charged */
	ASSERT_EQ(0, unmap(c.fd, c.ioas, 0, 0, IOASID_UNMAP_ALL, NULL));
	EXPECT_EQ(LCK(48), vmlck_kb());
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 64, 16, IOVA_A));
	ASSERT_EQ(-ENOMEM, AMAP(c.fd, c.ioas, 80, 1, IOVA_B));
	A_CHECK_BYTES(b, IOVA_A, 0, 48);
}

/* Nested maps and in-kernel pins charge nothing: the parent's pin counts. */
ACCT_TEST(nested_maps_charged_once, 9)
{
	__u32 child, grand, sib;

	/* The whole limit in the parent. */
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 0, 64, IOVA_A));
	ASSERT_EQ(-ENOMEM, AMAP(c.fd, c.ioas, 64, 1, IOVA_B));
	ASSERT_EQ(0, ioas_alloc(c.fd, IOASID_IOAS_ALLOC_NESTED, c.ioas, &child));
	ASSERT_EQ(0, ioas_alloc(c.fd, IOASID_IOAS_ALLOC_NESTED, child, &grand));
	ASSERT_EQ(0, ioas_alloc(c.fd, IOASID_IOAS_ALLOC_NESTED, c.ioas, &sib));
	/* Two levels, a sibling and a second view: 4 x 64 more pages. */
	ASSERT_EQ(0, map_fixed(c.fd, child, IOVA_A, 64 * PSZ, IOVA_B, RW));
	ASSERT_EQ(0, map_fixed(c.fd, child, IOVA_A, 64 * PSZ, 2 * IOVA_B, RW));
	ASSERT_EQ(0, map_fixed(c.fd, grand, IOVA_B, 64 * PSZ, IOVA_A, RW));
	ASSERT_EQ(0, map_fixed(c.fd, sib, IOVA_A, 64 * PSZ, IOVA_A, RW));
	EXPECT_EQ(LCK(64), vmlck_kb());
	A_CHECK_BYTES(grand, IOVA_A, 0, 64);
	/* Still no room for one more page of user memory anywhere. */
	ASSERT_EQ(-ENOMEM, AMAP(c.fd, c.ioas, 64, 1, IOVA_B));
	/* A parent unmap takes the dependents down; the charge goes. */
	ASSERT_EQ(0, unmap(c.fd, c.ioas, 0, 0, IOASID_UNMAP_ALL, NULL));
	EXPECT_EQ(0L, vmlck_kb());
	ASSERT_EQ(-ENOENT, peek(c.tfd, c.fd, grand, IOVA_A));
	ASSERT_EQ(-ENOENT, peek(c.tfd, c.fd, sib, IOVA_A));
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 64, 64, IOVA_B));
}

ACCT_TEST(failed_map_not_charged, 4)
{
	uint8_t *p;

	ASSERT_EQ(-ENOMEM, AMAP(c.fd, c.ioas, 0, 65, IOVA_A));
	EXPECT_EQ(0L, vmlck_kb());
	/* faults after pinning most of it */
	p = new_buf(_metadata, 64 * PSZ, 0xbad);
	ASSERT_EQ(0, mprotect(p + 63 * PSZ, PSZ, PROT_NONE));
	ASSERT_EQ(-EFAULT, map_fixed(c.fd, c.ioas, U(p), 64 * PSZ,
				     IOVA_A, RW));
	EXPECT_EQ(0L, vmlck_kb());
	/* overlaps after the pages could have been pinned */
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 0, 8, IOVA_A + 32 * PSZ));
	ASSERT_EQ(-EEXIST, AMAP(c.fd, c.ioas, 8, 56, IOVA_A));
	/* the whole limit is still available */
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 8, 56, IOVA_B));
	A_CHECK_INFO(c.ioas, 2, 64);
	EXPECT_EQ(LCK(64), vmlck_kb());
}

ACCT_TEST(destroy_releases_charge, 5)
{
	__u32 b;

	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 0, 64, IOVA_A));
	ASSERT_EQ(0, destroy(c.fd, c.ioas));
	EXPECT_EQ(0L, vmlck_kb());
	ASSERT_EQ(0, ioas_alloc(c.fd, 0, 0, &b));
	ASSERT_EQ(0, AMAP(c.fd, b, 64, 64, IOVA_A));
	EXPECT_EQ(LCK(64), vmlck_kb());
}

ACCT_TEST(close_releases_charge, 6)
{
	__u32 child, r2, b;

	/* live objects of every kind we have, then close */
	ASSERT_EQ(0, ioas_alloc(c.fd, IOASID_IOAS_ALLOC_NESTED, c.ioas,
				&child));
	ASSERT_EQ(0, ioas_alloc(c.fd, 0, 0, &r2));
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 0, 64, IOVA_A));
	ASSERT_EQ(0, copy_fixed(c.fd, r2, c.ioas, IOVA_A, 64 * PSZ,
				IOVA_B, RW));
	/* the other fd of the same task/user is at the limit too */
	ASSERT_EQ(0, ioas_alloc(c.fd2, 0, 0, &b));
	ASSERT_EQ(-ENOMEM, AMAP(c.fd2, b, 64, 1, IOVA_A));
	EXPECT_EQ(LCK(64), vmlck_kb());
	ASSERT_EQ(0, close(c.fd));
	EXPECT_EQ(0L, vmlck_kb());
	ASSERT_EQ(0, AMAP(c.fd2, b, 64, 64, IOVA_A));
	check_bytes(_metadata, c.tfd, c.fd2, b, IOVA_A,
		    c.buf + 64 * PSZ, 64 * PSZ, __LINE__);
	EXPECT_EQ(LCK(64), vmlck_kb());
}

ACCT_TEST(two_fds_share_the_limit, 7)
{
	__u32 b;

	/* same task: both modes see both fds' charges */
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 0, 40, IOVA_A));
	ASSERT_EQ(0, ioas_alloc(c.fd2, 0, 0, &b));
	ASSERT_EQ(-ENOMEM, AMAP(c.fd2, b, 64, 40, IOVA_A));
	ASSERT_EQ(0, AMAP(c.fd2, b, 64, 24, IOVA_A));
	EXPECT_EQ(LCK(64), vmlck_kb());
}

/*
 * The last area to let go of a pinned run unpins and uncharges what is
 * left of it at once (pages.c skips the users tree for it); an area whose
 * pages are still shared gives back only what it alone used. Each step
 * pairs a shared drop (copy, split pieces, nested child) with the last one.
 */
ACCT_TEST(last_user_releases_the_rest, 10)
{
	__u32 b, child;
	__u64 out;

	/* One page, copied: the original's unmap leaves it to the copy. */
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 0, 1, IOVA_A));
	ASSERT_EQ(0, ioas_alloc(c.fd, 0, 0, &b));
	ASSERT_EQ(0, copy_fixed(c.fd, b, c.ioas, IOVA_A, PSZ, IOVA_B, RW));
	ASSERT_EQ(0, unmap(c.fd, c.ioas, IOVA_A, PSZ, 0, &out));
	EXPECT_EQ(PSZ, out);
	EXPECT_EQ(LCK(1), vmlck_kb());
	A_CHECK_BYTES(b, IOVA_B, 0, 1);
	ASSERT_EQ(0, unmap(c.fd, b, IOVA_B, PSZ, 0, &out));
	EXPECT_EQ(0L, vmlck_kb());

	/* 16 pages cut in three; each remaining piece gives back its own. */
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 0, 16, IOVA_A));
	ASSERT_EQ(0, unmap(c.fd, c.ioas, IOVA_A + 4 * PSZ, 8 * PSZ,
			   IOASID_UNMAP_ALLOW_SPLIT, &out));
	EXPECT_EQ(LCK(8), vmlck_kb());
	ASSERT_EQ(-EBUSY, unmap(c.fd, c.ioas, IOVA_A, 2 * PSZ, 0, &out));
	ASSERT_EQ(0, unmap(c.fd, c.ioas, IOVA_A, 4 * PSZ, 0, &out));
	EXPECT_EQ(4 * PSZ, out);
	EXPECT_EQ(LCK(4), vmlck_kb());
	A_CHECK_BYTES(c.ioas, IOVA_A + 12 * PSZ, 12, 4);
	ASSERT_EQ(0, unmap(c.fd, c.ioas, IOVA_A + 12 * PSZ, 4 * PSZ, 0,
			   &out));
	EXPECT_EQ(0L, vmlck_kb());

	/* One page under a nested child: the child's unmap keeps it... */
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 0, 1, IOVA_A));
	ASSERT_EQ(0, ioas_alloc(c.fd, IOASID_IOAS_ALLOC_NESTED, c.ioas,
				&child));
	ASSERT_EQ(0, map_fixed(c.fd, child, IOVA_A, PSZ, IOVA_B, RW));
	A_CHECK_BYTES(child, IOVA_B, 0, 1);
	ASSERT_EQ(0, unmap(c.fd, child, IOVA_B, PSZ, 0, &out));
	EXPECT_EQ(LCK(1), vmlck_kb());
	A_CHECK_BYTES(c.ioas, IOVA_A, 0, 1);
	/* ...and the parent's takes the child's area and the page down. */
	ASSERT_EQ(0, map_fixed(c.fd, child, IOVA_A, PSZ, IOVA_B, RW));
	ASSERT_EQ(0, unmap(c.fd, c.ioas, IOVA_A, PSZ, 0, &out));
	EXPECT_EQ(0L, vmlck_kb());
	ASSERT_EQ(-ENOENT, peek(c.tfd, c.fd, child, IOVA_B));

	/* Nothing is left charged: the whole limit maps, not a page more. */
	ASSERT_EQ(0, AMAP(c.fd, c.ioas, 64, 64, IOVA_A));
	ASSERT_EQ(-ENOMEM, AMAP(c.fd, c.ioas, 128, 1, IOVA_B));
	A_CHECK_INFO(c.ioas, 1, 64);
}

/* USER mode: the charge is the user's, shared by all its processes. */
TEST_F(acct, limit_shared_by_user_processes)
{
	int p1[2], p2[2];
	struct actx c;
	pid_t a, b;
	char x = 0;
	int rc;

	ASSERT_EQ(0, pipe(p1));
	ASSERT_EQ(0, pipe(p2));
	a = acct_fork(_metadata, variant, 8, &c);
	if (!a) {
		close(p1[0]);
		close(p2[1]);
		ASSERT_EQ(0, AMAP(c.fd, c.ioas, 0, 40, IOVA_A));
		ASSERT_EQ(1, write(p1[1], "m", 1));
		ASSERT_EQ(1, read(p2[0], &x, 1));
		_exit(0);
	}
	b = acct_fork(_metadata, variant, 8, &c);
	if (!b) {
		close(p1[1]);
		close(p2[0]);
		ASSERT_EQ(1, read(p1[0], &x, 1));
		rc = AMAP(c.fd, c.ioas, 0, 40, IOVA_A);
		if (variant->mode == IOASID_RLIMIT_USER) {
			EXPECT_EQ(-ENOMEM, rc);
		} else {
			EXPECT_EQ(0, rc);
		}
		EXPECT_EQ(LCK(rc ? 0 : 40), vmlck_kb());
		ASSERT_EQ(1, write(p2[1], "d", 1));
		_exit(0);
	}
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	acct_wait(_metadata, a);
	acct_wait(_metadata, b);
}

/*
 * Drop to a fresh uid limited to LIMIT_PAGES of locked memory, without
 * CAP_IPC_LOCK or CAP_SYS_RESOURCE (setresuid clears every capability).
 */
static void become_limited_user(struct __test_metadata *_metadata, uid_t uid)
{
	struct rlimit rl = { LIMIT_PAGES * PSZ, LIMIT_PAGES * PSZ };

	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setresgid(uid, uid, uid));
	ASSERT_EQ(0, setresuid(uid, uid, uid));
	ASSERT_FALSE(has_ipc_lock());
}

/*
 * Fork a child that becomes the limited user ACCT_UID + @uid_off and opens
 * /dev/ioasid as that user into *@fd. Returns 0 in the child (which must
 * _exit()), the pid in the parent (for acct_wait()).
 */
static pid_t limited_fork(struct __test_metadata *_metadata, int uid_off,
			  int *fd)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid)
		return pid;
	become_limited_user(_metadata, ACCT_UID + uid_off);
	*fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, *fd);
	return 0;
}

/*
 * Issue 15, bug 1: the MM mode charged the mapping process's mm while the
 * pin lived with the fd, and needed no privilege: a parent that kept the
 * fd and forked mappers pinned a limit per child. Now choosing it needs
 * CAP_SYS_RESOURCE, and N forked mappers share the user's one limit.
 */
TEST(mm_mode_needs_cap_and_forks_share_one_limit)
{
	const int nchild = 4;
	int fd, ok = 0, i, status;
	__u64 val = 0;
	uint8_t *buf;
	__u32 ioas;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to a limited uid");
	pid = limited_fork(_metadata, 40, &fd);
	if (!pid) {
		ASSERT_EQ(-EPERM, set_mode(fd, IOASID_RLIMIT_MM));
		ASSERT_EQ(0, get_mode(fd, &val));
		ASSERT_EQ((__u64)IOASID_RLIMIT_USER, val);
		/* choosing the default back needs nothing */
		ASSERT_EQ(0, set_mode(fd, IOASID_RLIMIT_USER));
		ASSERT_EQ(0, ioas_alloc(fd, 0, 0, &ioas));
		buf = new_buf(_metadata, LIMIT_PAGES * PSZ, 0xf02c);
		for (i = 0; i < nchild; i++) {
			pid_t c = fork();

			ASSERT_LE(0, c);
			if (!c)
				_exit(map_fixed(fd, ioas, U(buf),
						LIMIT_PAGES * PSZ,
						IOVA_A + i * LIMIT_PAGES * PSZ,
						RW) ? 1 : 0);
			ASSERT_EQ(c, waitpid(c, &status, 0));
			ASSERT_TRUE(WIFEXITED(status));
			ok += WEXITSTATUS(status) == 0;
		}
		/* the pins outlive the children; one limit's worth got in */
		EXPECT_EQ(1, ok);
		check_info(_metadata, fd, ioas, 1, LIMIT_PAGES * PSZ,
			   LIMIT_PAGES, __LINE__);
		_exit(_metadata->exit_code);
	}
	acct_wait(_metadata, pid);
}

/*
 * Issue 15, bug 2: IOAS_MAP allocated its page array (8 bytes a page)
 * before charging: 2 TiB as an unprivileged user hit kvmalloc's WARN (a
 * crash with panic_on_warn) and 1 TiB allocated 2 GiB per call. Now the
 * limit is charged first and the array is bounded: ENOMEM, and the VM's
 * kernel log scan (kernel_log_clean) fails on any WARN.
 */
TEST(huge_map_refused_before_allocating)
{
	static const __u64 lengths[] = {
		1ULL << 41,			/* 2 TiB: past kvmalloc's limit */
		(1ULL << 40) - PSZ,		/* just under 1 TiB */
		1ULL << 40,			/* 1 TiB */
	};
	int fd;
	unsigned int i;
	uint8_t *buf;
	__u32 ioas;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to a limited uid");
	pid = limited_fork(_metadata, 41, &fd);
	if (!pid) {
		ASSERT_EQ(0, ioas_alloc(fd, 0, 0, &ioas));
		/* reserve the address space without backing it */
		buf = mmap(NULL, 1ULL << 41, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		ASSERT_NE(MAP_FAILED, buf);
		for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
			__u64 iova = 0;
			int rc = map_ex(fd, ioas, U(buf), lengths[i], &iova,
					RW, 0);

			TH_LOG("map of %llu GiB: %d",
			       (unsigned long long)(lengths[i] >> 30), rc);
			EXPECT_EQ(-ENOMEM, rc);
		}
		check_info(_metadata, fd, ioas, 0, 0, 0, __LINE__);
		_exit(_metadata->exit_code);
	}
	acct_wait(_metadata, pid);
}

TEST_HARNESS_MAIN
