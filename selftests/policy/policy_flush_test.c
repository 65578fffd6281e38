// SPDX-License-Identifier: GPL-2.0
/*
 * IOASID_CACHE_FLUSH under policies: grants and rates, refusal at flush
 * time, and which CPUs a flush reaches (counted per CPU by the test
 * module) as the tracked thread moves, exits, or outlives its fd.
 */
#define IOASID_WANT_FIXTURE_POLICY
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

/*
 * An edu attached to self->fd under the built-in, which grants the flush
 * (no snoop enforcement), with the test module loaded; or SKIP.
 */
#define ATTACH_FLUSHABLE_OR_SKIP() ({					\
	int _dfd;							\
	if (access("/dev/ioasid_test", F_OK))				\
		SKIP(return, "ioasid_test module not loaded");		\
	_dfd = ATTACH_EDU_OR_SKIP();					\
	if (cache_flush(self->fd, NULL) == -EPERM) {			\
		close(_dfd);						\
		SKIP(return, "device attached coherent: the built-in grants no flush here"); \
	}								\
	_dfd;								\
})

TEST_F(policy, cache_flush_rate_from_policy)
{
	struct timespec ts = { 1, 200 * 1000 * 1000 };
	int dfd;

	LOAD("t_flushrate");
	ATTACH("t_flushrate");
	dfd = ATTACH_EDU_OR_SKIP();
	/* Burst of two, then over the rate, then refilled after a second. */
	EXPECT_EQ(0, cache_flush(self->fd, NULL));
	EXPECT_EQ(0, cache_flush(self->fd, NULL));
	EXPECT_EQ(-EAGAIN, cache_flush(self->fd, NULL));
	nanosleep(&ts, NULL);
	EXPECT_EQ(0, cache_flush(self->fd, NULL));
	close(dfd);
	/* The device went: so did the grant. */
	EXPECT_EQ(-EPERM, cache_flush(self->fd, NULL));
}

TEST_F(policy, cache_flush_denied_by_policy_at_flush_time)
{
	int dfd;

	LOAD("t_flushrate", "t_flushdeny");
	ATTACH("t_flushrate");
	dfd = ATTACH_EDU_OR_SKIP();
	EXPECT_EQ(0, cache_flush(self->fd, NULL));
	ATTACH("t_flushdeny");
	EXPECT_EQ(-EACCES, cache_flush(self->fd, NULL));
	close(dfd);
}

#define MAX_CPUS 64

/* wbinvd count per CPU, from the test module. */
static int flush_counts(__u64 *counts)
{
	struct ioasid_test_flush_count c = {
		.size = sizeof(c), .nr_cpus = MAX_CPUS,
		.counts_uptr = (uintptr_t)counts,
	};
	int tfd = open("/dev/ioasid_test", O_RDWR);
	int rc;

	if (tfd < 0)
		return -errno;
	memset(counts, 0, MAX_CPUS * sizeof(*counts));
	rc = ioctl(tfd, IOASID_TEST_FLUSH_COUNT, &c) ? -errno : 0;
	close(tfd);
	return rc;
}

/*
 * Flush and return the set of CPUs that ran wbinvd for it (bit n = CPU n),
 * or a negative errno. *@nr gets the count the ioctl reported.
 */
static long long flush_set(int fd, __u32 *nr)
{
	struct ioasid_cache_flush f = { .size = sizeof(f) };
	__u64 before[MAX_CPUS], after[MAX_CPUS];
	long long set = 0;
	int cpu, rc;

	rc = flush_counts(before);
	if (rc)
		return rc;
	if (ioctl(fd, IOASID_CACHE_FLUSH, &f))
		return -errno;
	rc = flush_counts(after);
	if (rc)
		return rc;
	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		if (after[cpu] != before[cpu])
			set |= 1LL << cpu;
	*nr = f.out_nr_cpus;
	return set;
}

static int run_on(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

struct flush_thread {
	int fd;
	long long set;
	__u32 nr;
};

static void *flush_from_thread(void *arg)
{
	struct flush_thread *t = arg;

	t->set = flush_set(t->fd, &t->nr);
	return NULL;
}

TEST_F(policy, cache_flush_covers_cpus_task_ran_on)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	long long all, set;
	struct flush_thread other;
	cpu_set_t saved;
	pthread_t thr;
	__u32 nr;
	int dfd;

	if (access("/dev/ioasid_test", F_OK))
		SKIP(return, "ioasid_test module not loaded");
	if (ioasid_stat("flush_cpu_tracking") != 1)
		SKIP(return, "kernel without CONFIG_PREEMPT_NOTIFIERS: every flush covers all CPUs");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
	    sysconf(_SC_NPROCESSORS_ONLN) > MAX_CPUS)
		SKIP(return, "needs 2 to %d online CPUs", MAX_CPUS);
	all = (1LL << sysconf(_SC_NPROCESSORS_ONLN)) - 1;
	dfd = ATTACH_EDU_OR_SKIP();
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(saved), &saved));

	/* The first flush knows no history: every CPU. */
	set = flush_set(self->fd, &nr);
	if (set == -EPERM) {
		close(dfd);
		SKIP(return, "device attached coherent: the built-in grants no flush here");
	}
	ASSERT_EQ(all, set);
	EXPECT_EQ(__builtin_popcountll(all), nr);

	/* From now on this thread is tracked. */
	ASSERT_EQ(0, run_on(0));
	flush_set(self->fd, &nr);
	nanosleep(&ts, NULL);
	EXPECT_EQ(1, flush_set(self->fd, &nr)) TH_LOG("stayed on CPU 0");
	EXPECT_EQ(1, nr);

	ASSERT_EQ(0, run_on(1));
	EXPECT_EQ(3, flush_set(self->fd, &nr)) TH_LOG("CPU 0, then moved to 1");
	EXPECT_EQ(2, nr);
	nanosleep(&ts, NULL);
	EXPECT_EQ(2, flush_set(self->fd, &nr)) TH_LOG("stayed on CPU 1");
	EXPECT_EQ(1, nr);

	/* Another thread of the process is not tracked: every CPU. */
	other.fd = self->fd;
	ASSERT_EQ(0, pthread_create(&thr, NULL, flush_from_thread, &other));
	ASSERT_EQ(0, pthread_join(thr, NULL));
	EXPECT_EQ(all, other.set);
	EXPECT_EQ(__builtin_popcountll(all), other.nr);

	/* A refused flush flushes nothing and keeps the history. */
	ASSERT_EQ(0, run_on(0));
	LOAD("t_flushdeny");
	ATTACH("t_flushdeny");
	EXPECT_EQ(-EACCES, flush_set(self->fd, &nr));
	bpf_link__destroy(self->links[--self->nr_links]);
	EXPECT_EQ(3, flush_set(self->fd, &nr)) TH_LOG("1 before the refusal, then 0");

	sched_setaffinity(0, sizeof(saved), &saved);
	close(dfd);
}

/* The tracked thread may exit while the fd lives on in another thread. */
static void *flush_and_exit(void *arg)
{
	struct flush_thread *t = arg;

	flush_set(t->fd, &t->nr);
	t->set = flush_set(t->fd, &t->nr);
	return NULL;
}

TEST_F(policy, cache_flush_tracked_thread_exits_first)
{
	struct flush_thread t = { .fd = self->fd };
	pthread_t thr;
	__u32 nr;
	int dfd, i;

	dfd = ATTACH_FLUSHABLE_OR_SKIP();
	close(self->fd);
	/* A fresh fd, first flushed by a thread that then exits. */
	self->fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, self->fd);
	close(dfd);
	dfd = attach_bound_edu(_metadata, self->fd);
	ASSERT_LE(0, dfd);
	t.fd = self->fd;
	ASSERT_EQ(0, pthread_create(&thr, NULL, flush_and_exit, &t));
	ASSERT_EQ(0, pthread_join(thr, NULL));
	EXPECT_LT(0, t.set);
	/* Flushes from the surviving thread still work (and cover all). */
	for (i = 0; i < 3; i++)
		EXPECT_LT(0, flush_set(self->fd, &nr));
	EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), nr);
	close(dfd);
}

struct flush_then_wait {
	int fd;
	int go[2];	/* main -> thread: the fd is gone */
	int done[2];	/* thread -> main: flushed */
	long long set;
};

static void *flush_then_wait(void *arg)
{
	struct flush_then_wait *t = arg;
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	__u32 nr;
	char c;
	int i;

	flush_set(t->fd, &nr);
	t->set = flush_set(t->fd, &nr);
	if (write(t->done[1], "x", 1) != 1)
		return NULL;
	if (read(t->go[0], &c, 1) != 1)
		return NULL;
	/* Scheduled in and out with the fd gone: the notifier is idle. */
	for (i = 0; i < 20; i++)
		nanosleep(&ts, NULL);
	return NULL;
}

TEST_F(policy, cache_flush_fd_closed_by_other_thread)
{
	struct flush_then_wait t = { 0 };
	pthread_t thr;
	int dfd;
	char c;

	dfd = ATTACH_FLUSHABLE_OR_SKIP();
	/* A fresh fd whose first flush is another thread's. */
	close(dfd);
	close(self->fd);
	self->fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, self->fd);
	dfd = attach_bound_edu(_metadata, self->fd);
	ASSERT_LE(0, dfd);
	t.fd = self->fd;
	ASSERT_EQ(0, pipe(t.go));
	ASSERT_EQ(0, pipe(t.done));
	ASSERT_EQ(0, pthread_create(&thr, NULL, flush_then_wait, &t));
	ASSERT_EQ(1, read(t.done[0], &c, 1));
	EXPECT_LT(0, t.set);
	/* Released here, while the tracked thread lives on. */
	close(dfd);
	close(self->fd);
	self->fd = open("/dev/ioasid", O_RDWR);
	ASSERT_EQ(1, write(t.go[1], "x", 1));
	ASSERT_EQ(0, pthread_join(thr, NULL));
}


TEST_HARNESS_MAIN
