// SPDX-License-Identifier: GPL-2.0
/*
 * Policies deciding real attaches of the edu device: decisions applied
 * and reported, denial, PASID grants the hardware cannot honour, and
 * replacement, registration and unload while another thread attaches.
 */
#define IOASID_WANT_FIXTURE_POLICY
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"
#include "policy_count.h"

static int revalidate_all(int fd)
{
	struct ioasid_policy_revalidate r = { .size = sizeof(r) };

	return xioctl(fd, IOASID_POLICY_REVALIDATE, &r);
}

/* A thread attaching and detaching one device as fast as it can. */
struct attach_loop {
	int dfd;
	__u32 ioas;
	volatile int stop;
	volatile int n;
	int n_a, n_b, n_builtin, n_other;
	int err;
	char other[32];
};

static void *attach_loop(void *arg)
{
	struct attach_loop *l = arg;

	while (!l->stop) {
		struct ioasid_device_attach a = { .size = sizeof(a), .ioas_id = l->ioas };
		struct ioasid_device_detach d = { .size = sizeof(d) };
		struct ioasid_device_info info = { .size = sizeof(info) };
		const char *who;

		if (ioctl(l->dfd, IOASID_DEVICE_ATTACH, &a) ||
		    ioctl(l->dfd, IOASID_DEVICE_GET_INFO, &info) ||
		    ioctl(l->dfd, IOASID_DEVICE_DETACH, &d)) {
			l->err = errno;
			break;
		}
		who = info.out_decision.policy;
		if (!strcmp(who, "t_prio_a"))
			l->n_a++;
		else if (!strcmp(who, "t_prio_b"))
			l->n_b++;
		else if (!strcmp(who, "builtin"))
			l->n_builtin++;
		else
			snprintf(l->other, sizeof(l->other), "%s", who), l->n_other++;
		l->n++;
	}
	return NULL;
}


static void wait_attaches(struct attach_loop *l, int more)
{
	struct timespec ts = { 0, 1000 * 1000 };
	int target = l->n + more, i;

	for (i = 0; i < 20000 && l->n < target && !l->err; i++)
		nanosleep(&ts, NULL);
}

TEST_F(policy, replace_under_attach_load)
{
	struct attach_loop l = { 0 };
	struct ioasid_device_attach a = { .size = sizeof(a) };
	struct ioasid_device_info info = { .size = sizeof(info) };
	pthread_t thr;
	int i;

	self->skel = load_a_and_b();
	ASSERT_NE(NULL, self->skel);
	ATTACH("t_prio_a");
	l.dfd = BIND_EDU_OR_SKIP(&l.ioas);
	ASSERT_EQ(0, pthread_create(&thr, NULL, attach_loop, &l));
	for (i = 0; i < 40 && !l.err; i++) {
		wait_attaches(&l, 3);
		ASSERT_EQ(0, bpf_link__update_map(self->links[0], i & 1 ?
				self->skel->maps.t_prio_a : self->skel->maps.t_prio_b));
	}
	l.stop = 1;
	ASSERT_EQ(0, pthread_join(thr, NULL));
	TH_LOG("%d attaches during 40 replacements: a %d, b %d, builtin %d",
	       l.n, l.n_a, l.n_b, l.n_builtin);
	EXPECT_EQ(0, l.err);
	/* No gap: every attach was decided by a or b, never the fallback. */
	EXPECT_EQ(0, l.n_builtin);
	EXPECT_EQ(0, l.n_other) TH_LOG("decided by %s", l.other);
	EXPECT_LE(40 * 3, l.n);
	EXPECT_LT(0, l.n_a);
	EXPECT_LT(0, l.n_b);

	/*
	 * A replacement re-decides the attachments in force (revalidation,
	 * run after the replacement and again here to wait for it), and so
	 * does an unregistration.
	 */
	a.ioas_id = l.ioas;
	ASSERT_EQ(0, ioctl(l.dfd, IOASID_DEVICE_ATTACH, &a));
	ASSERT_EQ(0, ioctl(l.dfd, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_STREQ("a", info.out_decision.reason);
	ASSERT_EQ(0, bpf_link__update_map(self->links[0], self->skel->maps.t_prio_b));
	ASSERT_EQ(0, revalidate_all(self->fd));
	ASSERT_EQ(0, ioctl(l.dfd, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_STREQ("b", info.out_decision.reason);
	EXPECT_EQ(l.ioas, info.out_ioas_id);
	bpf_link__destroy(self->links[--self->nr_links]);
	ASSERT_EQ(0, revalidate_all(self->fd));
	ASSERT_EQ(0, ioctl(l.dfd, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_STREQ("builtin", info.out_decision.policy);
	EXPECT_EQ(l.ioas, info.out_ioas_id);
	close(l.dfd);
}

TEST_F(policy, register_and_unload_while_attaching)
{
	struct attach_loop l = { 0 };
	pthread_t thr;
	int round;

	LOAD("t_prio_a");
	l.dfd = BIND_EDU_OR_SKIP(&l.ioas);
	ASSERT_EQ(0, pthread_create(&thr, NULL, attach_loop, &l));
	for (round = 0; round < 10 && !l.err; round++) {
		wait_attaches(&l, 5);
		ATTACH("t_prio_a");
		wait_attaches(&l, 5);
		bpf_link__destroy(self->links[--self->nr_links]);
	}
	wait_attaches(&l, 5);
	l.stop = 1;
	ASSERT_EQ(0, pthread_join(thr, NULL));
	TH_LOG("%d attaches over 10 register/unload rounds: a %d, builtin %d",
	       l.n, l.n_a, l.n_builtin);
	EXPECT_EQ(0, l.err);
	EXPECT_EQ(0, l.n_other) TH_LOG("decided by %s", l.other);
	EXPECT_LT(0, l.n_a);
	EXPECT_LT(0, l.n_builtin);
	EXPECT_EQ(l.n, l.n_a + l.n_builtin);
	close(l.dfd);
}


TEST_F(policy, pasid_grant_refused_on_real_device_without_pasid)
{
	struct ioasid_device_attach a = { .size = sizeof(a) };
	struct ioasid_device_info info = { .size = sizeof(info) };
	int dfd;

	LOAD_ATTACH("t_pasid10");
	dfd = ATTACH_EDU_OR_SKIP();
	ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_GET_INFO, &info));
	a.ioas_id = info.out_ioas_id;
	a.flags = IOASID_ATTACH_PASID;
	a.pasid = 5;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(dfd, IOASID_DEVICE_ATTACH, &a));
	close(dfd);
}

TEST_F(policy, real_attach_denied_by_policy)
{
	struct ioasid_device_info info;
	struct ioasid_live before;
	__u32 ioas;
	int dfd;

	LOAD_ATTACH("t_deny");
	dfd = BIND_EDU_OR_SKIP(&ioas);
	before = ioasid_live();
	EXPECT_EQ(-EPERM, dev_attach(dfd, ioas, 0, 0));
	EXPECT_NO_LEAK(before);
	ASSERT_EQ(0, dev_info(dfd, &info));
	EXPECT_EQ(0, info.out_ioas_id);
	EXPECT_EQ(-EPERM, info.out_decision.verdict);
	EXPECT_STREQ("vendor 1234 is not welcome", info.out_decision.reason);
	/* Unloaded: the next attach is the built-in's. */
	bpf_link__destroy(self->links[--self->nr_links]);
	EXPECT_EQ(0, dev_attach(dfd, ioas, 0, 0));
	close(dfd);
}


/*
 * A real attach under a policy that demands enforce-snoop: it works where
 * the IOMMU has snoop control and fails with the reason recorded where it
 * has not (QEMU intel-iommu snoop-control=off).
 */
TEST_F(policy, real_attach_follows_policy_and_hardware)
{
	struct ioasid_device_info info;
	__u32 ioas;
	int dfd, rc;

	LOAD_ATTACH("t_enforce");
	dfd = BIND_EDU_OR_SKIP(&ioas);
	rc = dev_attach(dfd, ioas, 0, 0);
	ASSERT_EQ(0, dev_info(dfd, &info));
	EXPECT_STREQ("t_enforce", info.out_decision.policy);
	if (info.out_iommu_caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY) {
		EXPECT_EQ(0, rc);
		EXPECT_EQ(IOASID_SNOOP_ENFORCE, info.out_decision.snoop);
		EXPECT_EQ(ioas, info.out_ioas_id);
		EXPECT_FALSE(info.out_decision.flags & IOASID_DECISION_CORE_REFUSED);
	} else {
		EXPECT_EQ(-EINVAL, rc);
		EXPECT_EQ(-EINVAL, info.out_decision.verdict);
		EXPECT_NE(NULL, strstr(info.out_decision.reason, "no snoop control"));
		EXPECT_EQ(0, info.out_ioas_id);
		/* The policy allowed; the hardware refused: the core's reason. */
		EXPECT_TRUE(info.out_decision.flags & IOASID_DECISION_CORE_REFUSED);
	}
	TH_LOG("caps %#x: attach %d, reason \"%s\"", info.out_iommu_caps, rc,
	       info.out_decision.reason);
	close(dfd);
}


/* --- notices describe what is removed (issue 15, bug 5 and item 7) ------- */


/* Attachments of @ioas the counting policy believes in. */
static long long held(struct policy_count *skel, __u32 ioas)
{
	__s64 v = 0;

	if (bpf_map__lookup_elem(skel->maps.per_ioas, &ioas, sizeof(ioas),
				 &v, sizeof(v), 0))
		return 0;
	return v;
}

/* An IOAS with a page mapped where no IOMMU here translates. */
static __u32 ioas_beyond_aperture(struct __test_metadata *_metadata, int fd,
				  void *page)
{
	__u32 id = 0;

	EXPECT_EQ(0, ioas_alloc(fd, 0, 0, &id));
	EXPECT_EQ(0, map_fixed(fd, id, U(page), PSZ, 1ULL << 60, RW));
	return id;
}

TEST_F(policy, detach_notices_match_attachments)
{
	struct policy_count *skel;
	struct bpf_link *link;
	__u32 id, a, b, c;
	void *page;
	int tfd;

	if (access("/dev/ioasid_test", F_OK))
		SKIP(return, "ioasid_test module not loaded");
	skel = count_up("t_count", &link);
	ASSERT_NE(NULL, skel) TH_LOG("load: %s", libbpf_log);
	page = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	tfd = open("/dev/ioasid_test", O_RDWR);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &a));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	c = ioas_beyond_aperture(_metadata, self->fd, page);
	ASSERT_EQ(0, mock_create(tfd, 10, 0, &id));
	ASSERT_EQ(0, mock_bind(tfd, id, self->fd, 0x1af4, 0x1000, NULL));

	ASSERT_EQ(0, mock_attach(tfd, id, a, 0, 0, NULL));
	EXPECT_EQ(1, held(skel, a));
	/* A REPLACE removes the attachment to a: its notice says so. */
	ASSERT_EQ(0, mock_attach(tfd, id, b, IOASID_ATTACH_REPLACE, 0, NULL));
	EXPECT_EQ(0, held(skel, a)) TH_LOG("REPLACE: no notice for the IOAS left");
	EXPECT_EQ(1, held(skel, b));
	/* Allowed, then the core could not apply it: nothing is left of it. */
	EXPECT_EQ(-EADDRINUSE, mock_attach(tfd, id, c, IOASID_ATTACH_REPLACE, 0, NULL));
	EXPECT_EQ(0, held(skel, c)) TH_LOG("failed REPLACE left an attachment in the books");
	EXPECT_EQ(1, held(skel, b));
	/* Refused by the policy: nothing to undo. */
	skel->bss->deny_ioas = a;
	EXPECT_EQ(-EACCES, mock_attach(tfd, id, a, IOASID_ATTACH_REPLACE, 0, NULL));
	skel->bss->deny_ioas = 0;
	EXPECT_EQ(0, held(skel, a));
	EXPECT_EQ(1, held(skel, b));

	/* PASID attachments are noticed as they go, with their PASID. */
	ASSERT_EQ(0, mock_attach(tfd, id, a, IOASID_ATTACH_PASID, 5, NULL));
	EXPECT_EQ(1, held(skel, a));
	ASSERT_EQ(0, mock_detach(tfd, id, IOASID_ATTACH_PASID, 5));
	EXPECT_EQ(0, held(skel, a)) TH_LOG("PASID detach sent no notice");
	EXPECT_EQ(a, skel->bss->last_detach_ioas);
	EXPECT_EQ(5, skel->bss->last_detach_pasid);
	EXPECT_EQ(-EADDRINUSE, mock_attach(tfd, id, c, IOASID_ATTACH_PASID, 6, NULL));
	EXPECT_EQ(0, held(skel, c));
	ASSERT_EQ(0, mock_attach(tfd, id, b, IOASID_ATTACH_PASID, 7, NULL));
	EXPECT_EQ(2, held(skel, b));
	/* Unbind removes the RID and PASID attachments: two notices for b. */
	ASSERT_EQ(0, mock_simple(tfd, IOASID_TEST_MOCK_UNBIND, id));
	EXPECT_EQ(0, held(skel, b));
	EXPECT_EQ(skel->bss->nr_allowed, skel->bss->nr_detached);

	close(tfd);
	munmap(page, PSZ);
	count_down(skel, link);
}

TEST_F(policy, get_info_shows_the_applied_decision)
{
	struct ioasid_device_attach att = { .size = sizeof(att) };
	struct ioasid_device_detach det = { .size = sizeof(det) };
	struct ioasid_device_info info = { .size = sizeof(info) };
	struct policy_count *skel;
	struct bpf_link *link;
	__u32 a, b, c;
	void *page;
	int dfd, i;

	skel = count_up("t_count", &link);
	ASSERT_NE(NULL, skel) TH_LOG("load: %s", libbpf_log);
	dfd = bind_bound_edu(_metadata, self->fd, &a);
	if (dfd == -ENODEV) {
		bpf_link__destroy(link);
		policy_count__destroy(skel);
		SKIP(return, "no edu bound to ioasid-pci in this VM");
	}
	page = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	c = ioas_beyond_aperture(_metadata, self->fd, page);
	att.ioas_id = a;
	ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_ATTACH, &att));

	/*
	 * A REPLACE the policy refuses, or one it allows and the core cannot
	 * apply, changes nothing, GET_INFO included.
	 */
	skel->bss->deny_ioas = b;
	att.flags = IOASID_ATTACH_REPLACE;
	for (i = 0; i < 2; i++) {
		att.ioas_id = i ? c : b;
		EXPECT_EQ(-1, ioctl(dfd, IOASID_DEVICE_ATTACH, &att));
		EXPECT_EQ(i ? EADDRINUSE : EACCES, errno);
		ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_GET_INFO, &info));
		EXPECT_EQ(a, info.out_ioas_id);
		EXPECT_EQ(0, info.out_decision.verdict);
		EXPECT_EQ(0, info.out_decision.flags & IOASID_DECISION_CORE_REFUSED);
		EXPECT_STREQ("count: allowed", info.out_decision.reason);
	}
	EXPECT_EQ(0, held(skel, c));
	EXPECT_EQ(1, held(skel, a));
	/* Not attached: the last attempt is shown, a refusal with its reason. */
	ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_DETACH, &det));
	att.flags = 0;
	att.ioas_id = b;
	EXPECT_EQ(-1, ioctl(dfd, IOASID_DEVICE_ATTACH, &att));
	ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_EQ(0, info.out_ioas_id);
	EXPECT_EQ(-EACCES, info.out_decision.verdict);
	EXPECT_STREQ("count: IOAS refused", info.out_decision.reason);
	EXPECT_EQ(0, held(skel, a));
	close(dfd);
	munmap(page, PSZ);
	count_down(skel, link);
}

TEST_F(policy, policy_errnos_outside_the_user_range_become_eperm)
{
	static const int bad[] = { -512 /* ERESTARTSYS */, -515 /* ENOIOCTLCMD */,
				   -517 /* EPROBE_DEFER */, -4000 };
	struct ioasid_policy_decision d;
	struct policy_count *skel;
	struct bpf_link *link;
	__u32 id, a;
	int tfd, i;

	if (access("/dev/ioasid_test", F_OK))
		SKIP(return, "ioasid_test module not loaded");
	skel = count_up("t_kerr", &link);
	ASSERT_NE(NULL, skel) TH_LOG("load: %s", libbpf_log);
	tfd = open("/dev/ioasid_test", O_RDWR);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &a));
	ASSERT_EQ(0, mock_create(tfd, 10, 0, &id));
	ASSERT_EQ(0, mock_bind(tfd, id, self->fd, 0x1af4, 0x1000, NULL));
	for (i = 0; i < 4; i++) {
		skel->bss->bad_errno = bad[i];
		EXPECT_EQ(-EPERM, mock_attach(tfd, id, a, 0, 0, &d)) TH_LOG("%d", bad[i]);
		EXPECT_EQ(-EPERM, d.verdict);
		EXPECT_EQ(-EPERM, mock_attach(tfd, id, a, IOASID_ATTACH_PASID, 3, NULL));
	}
	/* A documented errno passes as it is; the policy is not errored. */
	skel->bss->bad_errno = -EACCES;
	EXPECT_EQ(-EACCES, mock_attach(tfd, id, a, 0, 0, &d));
	EXPECT_STREQ("t_kerr", d.policy);
	close(tfd);
	count_down(skel, link);
}

/* Drop CAP_SYS_ADMIN, keep CAP_BPF and CAP_PERFMON (enough to load). */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[2];

	if (syscall(SYS_capget, &h, c))
		return -errno;
	c[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	c[CAP_SYS_ADMIN / 32].permitted &= ~(1U << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &h, c) ? -errno : 0;
}

/*
 * Loading finds the module's BTF, which takes CAP_SYS_ADMIN; registering
 * needs it too, also for a process handed the loaded objects (a
 * privileged helper can pass the fds, or a BPF token can delegate
 * CAP_BPF to a container).
 */
TEST_F(policy, registering_a_policy_needs_cap_sys_admin)
{
	struct policy_count *skel;
	struct bpf_link *link;
	int status;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root to drop one capability");
	skel = load_count("t_count");
	ASSERT_NE(NULL, skel) TH_LOG("load: %s", libbpf_log);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (drop_sys_admin())
			_exit(10);
		link = bpf_map__attach_struct_ops(skel->maps.t_count);
		if (link)
			_exit(12);	/* registered without CAP_SYS_ADMIN */
		_exit(errno == EPERM ? 0 : 13);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("10: capset, 12: registered, 13: not EPERM");
	/* With it, the same objects register. */
	link = bpf_map__attach_struct_ops(skel->maps.t_count);
	EXPECT_NE(NULL, link);
	count_down(skel, link);
}

TEST_HARNESS_MAIN
