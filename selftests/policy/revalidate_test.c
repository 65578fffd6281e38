// SPDX-License-Identifier: GPL-2.0
/*
 * Rule changes that reach attachments already made: nosnoop_rules' rules
 * edited in its pinned maps, then IOASID_POLICY_REVALIDATE (what ioasidctl
 * rule add/del call) re-decides every attachment in force. A new flush
 * grant applies live, a different snoop mode marks the attachment as
 * needing a re-attach (intel-sc; without snoop control enforce-snoop is
 * refused, so the attachment is revoked: intel-nosc), a deny revokes it
 * (edu's DMA reaches nothing, the owner's fd polls EPOLLPRI, GET_INFO and
 * the decision log say so), a PASID outside a new range is detached.
 * Also: the precedence of rule keys, the policy ABI 1 view of a
 * revalidation (a dry run), the automatic revalidation after a policy
 * registers (with the attacher's identity), and the ioctl's errnos.
 */
#include <poll.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#define IOASID_WANT_FIXTURE_EDU
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"
#include "ioasid_rules.h"
#include "ioasidbpf.h"
#include "nosnoop_rules.skel.h"
#include "progs/revalidate.h"
#include "revalidate.skel.h"

#define PIN_ROOT "/sys/fs/bpf/ioasid-revalidate-test"

static const char *const rule_maps[] = {
	IOASID_RULE_MAP_NAME(IOASID_NSR_BY_BDF), IOASID_RULE_MAP_NAME(IOASID_NSR_BY_SUBSYS),
	IOASID_RULE_MAP_NAME(IOASID_NSR_BY_ID), IOASID_RULE_MAP_NAME(IOASID_NSR_BY_DRIVER),
	IOASID_RULE_MAP_NAME(IOASID_NSR_BY_UID), IOASID_RULE_MAP_NAME(IOASID_NSR_BY_CGROUP),
	IOASID_RULE_MAP_NAME(IOASID_NSR_DEFAULT),
};

/* Fresh rule maps: unpin what an earlier run left. */
static void unpin_rules(void)
{
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(rule_maps) / sizeof(rule_maps[0]); i++) {
		snprintf(path, sizeof(path), PIN_ROOT "/%s", rule_maps[i]);
		unlink(path);
	}
}

static struct nosnoop_rules *load_nosnoop(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = PIN_ROOT);
	struct nosnoop_rules *skel;

	mkdir(PIN_ROOT, 0700);
	unpin_rules();
	skel = nosnoop_rules__open_opts(&opts);
	if (!skel)
		return NULL;
	if (nosnoop_rules__load(skel) || nosnoop_rules__attach(skel)) {
		nosnoop_rules__destroy(skel);
		return NULL;
	}
	return skel;
}

static int revalidate(int fd, struct ioasid_policy_revalidate *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	return ioctl(fd, IOASID_POLICY_REVALIDATE, r) ? -errno : 0;
}

/* An ALLOW rule: the built-in's snoop mode unless @snoop, a flush grant. */
static struct ioasid_rule allow(__u32 snoop, __u32 rate, __u32 burst)
{
	struct ioasid_rule r = {
		.action = IOASID_RULE_ALLOW, .snoop = snoop,
		.flags = rate ? IOASID_RULE_F_FLUSH : 0,
		.flush_rate = rate, .flush_burst = burst,
	};

	return r;
}

static struct ioasidbpf_rule_key bdf_key(__u32 bdf)
{
	struct ioasidbpf_rule_key k = { .kind = IOASIDBPF_RULE_BDF, .bdf = bdf };

	return k;
}

static short poll_mask(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static short poll_events(int fd)
{
	return poll_mask(fd, POLLPRI);
}

/* The newest REVALIDATED record for @bdf in the decision log, or -1. */
static int last_revalidated(__u32 bdf, struct ioasid_decision_record *out)
{
	struct ioasid_decisions_open o = {
		.size = sizeof(o), .flags = IOASID_DECISIONS_NONBLOCK,
	};
	struct ioasid_decision_record rec;
	int fd = open("/dev/ioasid", O_RDWR), dfd, found = -1;

	if (fd < 0)
		return -1;
	if (ioctl(fd, IOASID_DECISIONS_OPEN, &o)) {
		close(fd);
		return -1;
	}
	dfd = o.out_fd;
	while (read(dfd, &rec, sizeof(rec)) == sizeof(rec))
		if (rec.hdr.kind == IOASID_DECISION_KIND_REVALIDATED && rec.bdf == bdf) {
			*out = rec;
			found = 0;
		}
	close(dfd);
	close(fd);
	return found;
}

/* What a test knows beyond the edu fixture. */
struct reval {
	__u32 bdf;
	struct ioasid_device_info info;	/* the edu's, once attached */
};

/*
 * nosnoop_rules registered with fresh rule maps (its link goes with the
 * test's process), the fixture's first two pages mapped at EDU_IOVA_A, the
 * edu bound, attached (by the built-in) and its BAR mapped.
 */
static struct reval reval_up(struct __test_metadata *_metadata, FIXTURE_DATA(edu) *self)
{
	struct reval st = { .info.size = sizeof(st.info) };

	ASSERT_NE(NULL, load_nosnoop());
	st.bdf = pci_bdf(edu_bdf());
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), 2 * PSZ, EDU_IOVA_A, RW));
	bring_up(_metadata, self);
	ASSERT_EQ(0, dev_info(self->dfd, &st.info));
	ASSERT_EQ(0, st.info.out_policy_state);
	ASSERT_EQ(0, poll_events(self->fd));
	/* As before revalidation: readable and writable, never blocking. */
	ASSERT_EQ(POLLIN | POLLOUT, poll_mask(self->fd, POLLIN | POLLOUT));
	return st;
}

/* In a TEST_F(edu, ...): struct reval st = REVAL_UP(); first. */
#define REVAL_UP() reval_up(_metadata, self)

/* The edu copies RAM -> its buffer -> RAM; true when the copy arrived. */
static bool dma_reaches(FIXTURE_DATA(edu) *self)
{
	memset(self->buf + PSZ, 0, XFER);
	if (edu_dma(self->bar, EDU_IOVA_A, EDU_BUF, XFER, false) ||
	    edu_dma(self->bar, EDU_BUF, EDU_IOVA_A + PSZ, XFER, true))
		return false;
	return !memcmp(self->buf, self->buf + PSZ, XFER);
}

TEST_F(edu, flush_grant_applies_live)
{
	struct reval st = REVAL_UP();
	struct ioasidbpf_rule_key k = bdf_key(st.bdf);
	struct ioasid_rule r = allow(IOASID_SNOOP_DEFAULT, 1, 1);
	struct ioasid_policy_revalidate rv;
	struct ioasid_device_info info = { .size = sizeof(info) };
	bool coherent = st.info.out_iommu_caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY;
	__u32 cpus;

	EXPECT_STREQ("builtin", st.info.out_decision.policy);
	/* Nothing changed yet: re-deciding changes nothing. */
	ASSERT_EQ(0, revalidate(self->fd, &rv));
	EXPECT_LE(1, rv.out_nr_attachments);
	EXPECT_EQ(0, rv.out_nr_changed);
	EXPECT_EQ(0, rv.out_nr_revoked);
	if (!coherent) {
		/* The built-in's burst (10): two flushes at once pass. */
		ASSERT_EQ(0, cache_flush(self->fd, &cpus));
		ASSERT_EQ(0, cache_flush(self->fd, &cpus));
	}
	ASSERT_EQ(0, ioasidbpf_rule_add(PIN_ROOT, &k, &r)) TH_LOG("%s", ioasidbpf_errmsg());
	ASSERT_EQ(0, revalidate(self->fd, &rv));
	EXPECT_EQ(1, rv.out_nr_changed);
	EXPECT_EQ(0, rv.out_nr_reattach);
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_STREQ("nosnoop_rules", info.out_decision.policy);
	EXPECT_TRUE(info.out_decision.flags & IOASID_DECISION_FLUSH_GRANT);
	EXPECT_EQ(1, info.out_decision.flush_rate);
	EXPECT_EQ(1, info.out_decision.flush_burst);
	EXPECT_EQ(self->ioas, info.out_ioas_id);
	EXPECT_EQ(0, info.out_policy_state);
	if (!coherent) {
		/* Burst 1 now: the kept tokens are clamped to it. */
		EXPECT_EQ(0, cache_flush(self->fd, &cpus));
		EXPECT_EQ(-EAGAIN, cache_flush(self->fd, &cpus));
	} else {
		/* A coherent attachment never flushes, whatever the grant. */
		EXPECT_EQ(-EPERM, cache_flush(self->fd, &cpus));
	}
	EXPECT_TRUE(dma_reaches(self));
	/* The same rule again: nothing to apply. */
	ASSERT_EQ(0, revalidate(self->fd, &rv));
	EXPECT_EQ(0, rv.out_nr_changed);
}

TEST_F(edu, snoop_change_marks_reattach)
{
	struct reval st = REVAL_UP();
	struct ioasidbpf_rule_key k = bdf_key(st.bdf);
	bool coherent = st.info.out_iommu_caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY;
	/* The other snoop mode than the built-in's. */
	struct ioasid_rule r = allow(coherent ? IOASID_SNOOP_ALLOW_NOSNOOP :
				     IOASID_SNOOP_ENFORCE, 0, 0);
	struct ioasid_policy_revalidate rv;
	struct ioasid_device_info info = { .size = sizeof(info) };
	struct ioasid_decision_record rec;

	ASSERT_EQ(0, ioasidbpf_rule_add(PIN_ROOT, &k, &r));
	ASSERT_EQ(0, revalidate(self->fd, &rv));
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	ASSERT_EQ(0, last_revalidated(st.bdf, &rec));
	EXPECT_TRUE(poll_events(self->fd) & POLLPRI);
	if (!coherent) {
		/* No snoop control: enforce-snoop cannot be had, revoked. */
		EXPECT_EQ(1, rv.out_nr_revoked);
		EXPECT_EQ(0, info.out_ioas_id);
		EXPECT_EQ(IOASID_DEVICE_REVOKED, info.out_policy_state);
		EXPECT_EQ(-EINVAL, info.out_decision.verdict);
		EXPECT_TRUE(rec.decision_flags & IOASID_DECISION_REVOKED);
		return;
	}
	EXPECT_EQ(1, rv.out_nr_reattach);
	EXPECT_EQ(0, rv.out_nr_revoked);
	/* The domain is kept: still attached, DMA still works. */
	EXPECT_EQ(self->ioas, info.out_ioas_id);
	EXPECT_EQ(IOASID_DEVICE_NEEDS_REATTACH, info.out_policy_state);
	EXPECT_EQ(IOASID_SNOOP_ENFORCE, info.out_decision.snoop);
	EXPECT_TRUE(dma_reaches(self));
	EXPECT_TRUE(rec.decision_flags & IOASID_DECISION_NEEDS_REATTACH);
	EXPECT_EQ(IOASID_SNOOP_ALLOW_NOSNOOP, rec.snoop);
	EXPECT_STREQ("nosnoop_rules", rec.policy);
	/* Asked again, still the same: marked, not recorded twice. */
	ASSERT_EQ(0, revalidate(self->fd, &rv));
	EXPECT_EQ(1, rv.out_nr_reattach);
	/* The owner re-attaches: the new mode applies, the mark goes. */
	ASSERT_EQ(0, dev_detach(self->dfd, 0, 0));
	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_EQ(0, info.out_policy_state);
	EXPECT_EQ(IOASID_SNOOP_ALLOW_NOSNOOP, info.out_decision.snoop);
	EXPECT_EQ(0, poll_events(self->fd));
	EXPECT_TRUE(dma_reaches(self));
}

TEST_F(edu, deny_revokes_attached_device)
{
	struct reval st = REVAL_UP();
	struct ioasidbpf_rule_key k = bdf_key(st.bdf);
	struct ioasid_rule deny = { .action = IOASID_RULE_DENY, .deny_errno = EACCES };
	struct ioasid_policy_revalidate rv;
	struct ioasid_device_info info = { .size = sizeof(info) };
	struct ioasid_decision_record rec;

	ASSERT_TRUE(dma_reaches(self));
	ASSERT_EQ(0, ioasidbpf_rule_add(PIN_ROOT, &k, &deny));
	/* The map write alone changes nothing in force. */
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_EQ(self->ioas, info.out_ioas_id);
	ASSERT_EQ(0, ioasidbpf_revalidate(&rv)) TH_LOG("%s", ioasidbpf_errmsg());
	EXPECT_EQ(1, rv.out_nr_revoked);
	/* The owner is told: its fd polls, GET_INFO says why. */
	EXPECT_TRUE(poll_events(self->fd) & POLLPRI);
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_EQ(0, info.out_ioas_id);
	EXPECT_EQ(IOASID_DEVICE_REVOKED, info.out_policy_state);
	EXPECT_EQ(-EACCES, info.out_decision.verdict);
	EXPECT_TRUE(info.out_decision.flags & IOASID_DECISION_REVOKED);
	EXPECT_STREQ("nosnoop_rules", info.out_decision.policy);
	/* Its DMA reaches nothing, as after a detach. */
	EXPECT_FALSE(dma_reaches(self));
	for (int i = 0; i < XFER; i++)
		ASSERT_EQ(0, self->buf[PSZ + i]);
	/* Recorded, with the rule's reason. */
	ASSERT_EQ(0, last_revalidated(st.bdf, &rec));
	EXPECT_TRUE(rec.decision_flags & IOASID_DECISION_REVOKED);
	EXPECT_EQ(-EACCES, rec.error);
	EXPECT_STREQ("nosnoop_rules: denied by rule", rec.policy_reason);
	/* Attaching again is refused while the rule holds. */
	EXPECT_EQ(-EACCES, dev_attach(self->dfd, self->ioas, 0, 0));
	/* The rule goes: the owner attaches again, all is clear. */
	ASSERT_EQ(0, ioasidbpf_rule_del(PIN_ROOT, &k));
	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_EQ(0, info.out_policy_state);
	EXPECT_EQ(0, poll_events(self->fd));
	EXPECT_TRUE(dma_reaches(self));
}

/*
 * Each key in precedence order wins over the next: the rules differ only
 * in their flush rate, the decider is read off the dry run's decision.
 */
TEST_F(edu, precedence_of_keys)
{
	struct reval st = REVAL_UP();
	struct ioasid_policy_dry_run dr;
	char path[256], val[16];
	struct ioasidbpf_rule_key keys[7] = {
		{ .kind = IOASIDBPF_RULE_BDF, .bdf = st.bdf },
		{ .kind = IOASIDBPF_RULE_SUBSYS },
		{ .kind = IOASIDBPF_RULE_ID, .vendor = 0x1234, .device = 0x11e8 },
		{ .kind = IOASIDBPF_RULE_DRIVER, .driver = "ioasid-pci" },
		{ .kind = IOASIDBPF_RULE_UID, .uid = 4242 },
		{ .kind = IOASIDBPF_RULE_CGROUP, .cgroup_id = 98765 },
		{ .kind = IOASIDBPF_RULE_DEFAULT },
	};
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/subsystem_vendor", edu_bdf());
	ASSERT_EQ(0, sysfs_read(path, val, sizeof(val)));
	keys[1].vendor = strtoul(val, NULL, 16);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/subsystem_device", edu_bdf());
	ASSERT_EQ(0, sysfs_read(path, val, sizeof(val)));
	keys[1].device = strtoul(val, NULL, 16);
	/* Rule i grants i + 1 flushes per second. */
	for (i = 6; i >= 0; i--) {
		struct ioasid_rule r = allow(IOASID_SNOOP_DEFAULT, i + 1, 1);

		ASSERT_EQ(0, ioasidbpf_rule_add(PIN_ROOT, &keys[i], &r))
			TH_LOG("rule %d: %s", i, ioasidbpf_errmsg());
	}
	for (i = 0; i < 7; i++) {
		memset(&dr, 0, sizeof(dr));
		dr.size = sizeof(dr);
		dr.flags = IOASID_DRY_RUN_DEVICE_BDF;
		dr.req.op = IOASID_POLICY_OP_ATTACH;
		dr.req.bdf = st.bdf;
		dr.req.uid = 4242;
		dr.req.pid = getpid();
		dr.req.cgroup_id = 98765;
		ASSERT_EQ(0, dry_run(self->fd, &dr));
		EXPECT_STREQ("nosnoop_rules", dr.out_decision.policy);
		EXPECT_EQ(i + 1, dr.out_decision.flush_rate)
			TH_LOG("key %d should decide over every later one", i);
		/* A request the next keys do not match falls through them. */
		if (i == 4) {
			dr.req.uid = 4243;
			ASSERT_EQ(0, dry_run(self->fd, &dr));
			EXPECT_EQ(6, dr.out_decision.flush_rate);
		}
		ASSERT_EQ(0, ioasidbpf_rule_del(PIN_ROOT, &keys[i]));
	}
}

TEST_F(edu, abi1_policy_sees_a_dry_run_and_auto_revalidation)
{
	struct revalidate *rs = revalidate__open();
	struct bpf_link *l1, *l2;
	int i;

	REVAL_UP();
	ASSERT_NE(NULL, rs);
	bpf_map__set_autocreate(rs->maps.t_rv1, true);
	bpf_map__set_autocreate(rs->maps.t_rv2, true);
	ASSERT_EQ(0, revalidate__load(rs));
	l1 = bpf_map__attach_struct_ops(rs->maps.t_rv1);
	ASSERT_NE(NULL, l1);
	/* Registering revalidates on its own, as a kernel worker. */
	for (i = 0; i < 500 && !rs->bss->v1.reval_dry; i++)
		usleep(10000);
	/* (A pass still due from the fixture's registration may add one.) */
	EXPECT_LE(1, rs->bss->v1.reval_dry);
	EXPECT_EQ(0, rs->bss->v1.reval);
	/* With the identity of the attach (this process), not the worker's. */
	EXPECT_EQ(getpid(), rs->bss->v1.reval_pid);
	EXPECT_EQ(getuid(), rs->bss->v1.reval_uid);
	l2 = bpf_map__attach_struct_ops(rs->maps.t_rv2);
	ASSERT_NE(NULL, l2);
	for (i = 0; i < 500 && !rs->bss->v2.reval; i++)
		usleep(10000);
	EXPECT_LE(1, rs->bss->v2.reval);
	EXPECT_EQ(0, rs->bss->v2.reval_dry);
	EXPECT_EQ(getpid(), rs->bss->v2.reval_pid);
	/* A plain attach is no revalidation to either. */
	ASSERT_EQ(0, dev_detach(self->dfd, 0, 0));
	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	EXPECT_EQ(1, rs->bss->v2.attach);
	EXPECT_EQ(1, rs->bss->v1.attach);
	EXPECT_EQ(getpid(), rs->bss->v2.attach_pid);
	bpf_link__destroy(l2);
	bpf_link__destroy(l1);
	revalidate__destroy(rs);
}

TEST_F(edu, revalidate_errnos)
{
	struct ioasid_policy_revalidate r = { .size = sizeof(r), .flags = 1 };

	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOASID_POLICY_REVALIDATE, &r));
	r.flags = 0;
	r.__reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_POLICY_REVALIDATE, &r));
	r.__reserved = 0;
	r.__reserved2 = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_POLICY_REVALIDATE, &r));
	r.__reserved2 = 0;
	r.size = 4;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_POLICY_REVALIDATE, &r));
	r.size = sizeof(r);
	EXPECT_EQ(0, xioctl(self->fd, IOASID_POLICY_REVALIDATE, &r));
}

/* Mock devices with PASIDs: the PASID range applies live. */
TEST_F(edu, pasid_range_applies_live)
{
	struct ioasidbpf_rule_key k = {
		.kind = IOASIDBPF_RULE_ID, .vendor = 0x1af4, .device = 0x10f1,
	};
	struct ioasid_rule r = allow(IOASID_SNOOP_DEFAULT, 0, 0);
	struct ioasid_policy_revalidate rv;
	char page[64];
	__u32 mock;
	int tfd = open("/dev/ioasid_test", O_RDWR);

	if (tfd < 0)
		SKIP(return, "no ioasid_test module");
	REVAL_UP();
	ASSERT_EQ(0, mock_create(tfd, 8, 0, &mock));
	ASSERT_EQ(0, mock_bind(tfd, mock, self->fd, 0x1af4, 0x10f1, NULL));
	ASSERT_EQ(0, mock_attach(tfd, mock, self->ioas, 0, 0, NULL));
	ASSERT_EQ(0, mock_attach(tfd, mock, self->ioas, IOASID_ATTACH_PASID, 5, NULL));
	ASSERT_EQ(0, mock_dma(tfd, mock, 5, 0x100000, page, sizeof(page), false));
	/* PASIDs 1-10: PASID 5 stays. */
	r.flags |= IOASID_RULE_F_PASID;
	r.pasid_min = 1;
	r.pasid_max = 10;
	ASSERT_EQ(0, ioasidbpf_rule_add(PIN_ROOT, &k, &r));
	ASSERT_EQ(0, revalidate(self->fd, &rv));
	EXPECT_EQ(0, rv.out_nr_revoked);
	EXPECT_LE(1, rv.out_nr_changed);
	EXPECT_EQ(0, mock_dma(tfd, mock, 5, 0x100000, page, sizeof(page), false));
	/* PASIDs 1-3: PASID 5 is detached, the RID stays. */
	r.pasid_max = 3;
	ASSERT_EQ(0, ioasidbpf_rule_add(PIN_ROOT, &k, &r));
	ASSERT_EQ(0, revalidate(self->fd, &rv));
	EXPECT_EQ(1, rv.out_nr_revoked);
	EXPECT_NE(0, mock_dma(tfd, mock, 5, 0x100000, page, sizeof(page), false));
	EXPECT_EQ(0, mock_dma(tfd, mock, 0, 0x100000, page, sizeof(page), false));
	EXPECT_TRUE(poll_events(self->fd) & POLLPRI);
	/* The owner acknowledges with a detach: nothing is left to report. */
	EXPECT_EQ(-ENOENT, mock_detach(tfd, mock, IOASID_ATTACH_PASID, 5));
	EXPECT_EQ(0, poll_events(self->fd));
	close(tfd);
}

TEST_HARNESS_MAIN
