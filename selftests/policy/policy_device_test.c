// SPDX-License-Identifier: GPL-2.0
/*
 * Policies deciding real attaches of the edu device: decisions applied
 * and reported, denial, PASID grants the hardware cannot honour, and
 * replacement, registration and unload while another thread attaches.
 */
#define IOASID_WANT_FIXTURE_POLICY
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

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

	/* Replacing never changes what an attached device was granted. */
	a.ioas_id = l.ioas;
	ASSERT_EQ(0, ioctl(l.dfd, IOASID_DEVICE_ATTACH, &a));
	ASSERT_EQ(0, ioctl(l.dfd, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_STREQ("a", info.out_decision.reason);
	ASSERT_EQ(0, bpf_link__update_map(self->links[0], self->skel->maps.t_prio_b));
	ASSERT_EQ(0, ioctl(l.dfd, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_STREQ("a", info.out_decision.reason);
	bpf_link__destroy(self->links[--self->nr_links]);
	ASSERT_EQ(0, ioctl(l.dfd, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_STREQ("a", info.out_decision.reason);
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

	LOAD("t_pasid10");
	ATTACH("t_pasid10");
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

	LOAD("t_deny");
	ATTACH("t_deny");
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

	LOAD("t_enforce");
	ATTACH("t_enforce");
	dfd = BIND_EDU_OR_SKIP(&ioas);
	rc = dev_attach(dfd, ioas, 0, 0);
	ASSERT_EQ(0, dev_info(dfd, &info));
	EXPECT_STREQ("t_enforce", info.out_decision.policy);
	if (info.out_iommu_caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY) {
		EXPECT_EQ(0, rc);
		EXPECT_EQ(IOASID_SNOOP_ENFORCE, info.out_decision.snoop);
		EXPECT_EQ(ioas, info.out_ioas_id);
	} else {
		EXPECT_EQ(-EINVAL, rc);
		EXPECT_EQ(-EINVAL, info.out_decision.verdict);
		EXPECT_NE(NULL, strstr(info.out_decision.reason, "no snoop control"));
		EXPECT_EQ(0, info.out_ioas_id);
	}
	TH_LOG("caps %#x: attach %d, reason \"%s\"", info.out_iommu_caps, rc,
	       info.out_decision.reason);
	close(dfd);
}


TEST_HARNESS_MAIN
