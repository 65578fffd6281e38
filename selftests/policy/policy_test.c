// SPDX-License-Identifier: GPL-2.0
/*
 * Policy host tests through libbpf: register, stack, decide (via the
 * dry-run entry point, which runs the same evaluation as a real attach),
 * replacement, error handling, kill switch, and what the verifier must
 * refuse.
 */
#define IOASID_WANT_FIXTURE_POLICY
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

TEST_F(policy, builtin_without_policies)
{
	struct ioasid_policy_dry_run dr;

	DRY_RUN(&dr, self->fd, 0x1234, 0x11e8, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_EQ(IOASID_SNOOP_ENFORCE, dr.out_decision.snoop);
	EXPECT_STREQ("builtin", dr.out_decision.policy);
	EXPECT_TRUE(dr.out_decision.flags & IOASID_DECISION_BUILTIN);
	EXPECT_FALSE(dr.out_decision.flags & IOASID_DECISION_FLUSH_GRANT);

	DRY_RUN(&dr, self->fd, 0x1234, 0x11e8, 0);
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_EQ(IOASID_SNOOP_ALLOW_NOSNOOP, dr.out_decision.snoop);
	EXPECT_TRUE(dr.out_decision.flags & IOASID_DECISION_FLUSH_GRANT);
}

TEST_F(policy, register_shows_in_sysfs)
{
	char buf[256];

	LOAD_ATTACH("t_deny");
	ASSERT_EQ(0, sysfs_read(POLICY_SYSFS "/t_deny/state", buf, sizeof(buf)));
	EXPECT_STREQ("active", buf);
	ASSERT_EQ(0, sysfs_read(POLICY_SYSFS "/t_deny/priority", buf, sizeof(buf)));
	EXPECT_STREQ("10", buf);
	ASSERT_EQ(0, sysfs_read(POLICY_SYSFS "/stack", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "t_deny 10 active"));

	bpf_link__destroy(self->links[--self->nr_links]);
	EXPECT_EQ(-ENOENT, sysfs_read(POLICY_SYSFS "/t_deny/state", buf,
				      sizeof(buf)));
}

TEST_F(policy, deny_and_defer)
{
	struct ioasid_policy_dry_run dr;
	char buf[128];

	LOAD_ATTACH("t_deny");

	DRY_RUN(&dr, self->fd, 0x1234, 0x11e8, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);
	EXPECT_STREQ("t_deny", dr.out_decision.policy);
	EXPECT_STREQ("vendor 1234 is not welcome", dr.out_decision.reason);
	EXPECT_EQ(1, dr.out_nr_verdicts);

	/* Another vendor: t_deny defers and the built-in decides. */
	DRY_RUN(&dr, self->fd, 0x1af4, 0x1000, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_STREQ("builtin", dr.out_decision.policy);
	EXPECT_EQ(IOASID_VERDICT_DEFER, dr.out_verdicts[0].verdict);

	ASSERT_EQ(0, sysfs_read(POLICY_SYSFS "/t_deny/verdicts", buf, sizeof(buf)));
	EXPECT_STREQ("allow 0 deny 1 defer 1 error 0", buf);
}

TEST_F(policy, kfuncs_shape_decision)
{
	struct ioasid_policy_dry_run dr;

	LOAD_ATTACH("t_nosnoop");
	/* Coherency-capable IOMMU, yet the policy allows no-snoop. */
	DRY_RUN(&dr, self->fd, 0x8086, 0x1234, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_EQ(IOASID_SNOOP_ALLOW_NOSNOOP, dr.out_decision.snoop);
	EXPECT_TRUE(dr.out_decision.flags & IOASID_DECISION_FLUSH_GRANT);
	EXPECT_EQ(5, dr.out_decision.flush_rate);
	EXPECT_EQ(2, dr.out_decision.flush_burst);
	EXPECT_STREQ("intel allowlisted for no-snoop", dr.out_decision.reason);
}

TEST_F(policy, enforce_without_hardware_fails)
{
	struct ioasid_policy_dry_run dr;

	LOAD_ATTACH("t_enforce");
	DRY_RUN(&dr, self->fd, 0x1234, 0x11e8, 0);
	EXPECT_EQ(-EINVAL, dr.out_decision.verdict);
	EXPECT_NE(NULL, strstr(dr.out_decision.reason, "no snoop control"));

	DRY_RUN(&dr, self->fd, 0x1234, 0x11e8, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_EQ(IOASID_SNOOP_ENFORCE, dr.out_decision.snoop);
}

TEST_F(policy, priority_order)
{
	struct ioasid_policy_dry_run dr;

	LOAD("t_prio_a", "t_prio_b");
	/* Register b (60) before a (50): a is still asked first. */
	ATTACH("t_prio_b");
	ATTACH("t_prio_a");
	DRY_RUN(&dr, self->fd, 1, 1, 0);
	EXPECT_STREQ("t_prio_a", dr.out_decision.policy);
	EXPECT_STREQ("a", dr.out_decision.reason);
	EXPECT_EQ(1, dr.out_nr_verdicts);
}

TEST_F(policy, priority_set_before_load)
{
	struct ioasid_policy_dry_run dr;
	static const char *const names[] = { "t_prio_a", "t_prio_b" };
	struct bpf_map *map;

	self->skel = policy_test__open();
	ASSERT_NE(NULL, self->skel);
	bpf_object__for_each_map(map, self->skel->obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map,
				!strcmp(bpf_map__name(map), names[0]) ||
				!strcmp(bpf_map__name(map), names[1]));
	/* The data field is set through the skeleton's shadow struct. */
	self->skel->struct_ops.t_prio_b->priority = 40;
	ASSERT_EQ(0, policy_test__load(self->skel));
	ATTACH("t_prio_a");
	ATTACH("t_prio_b");
	DRY_RUN(&dr, self->fd, 1, 1, 0);
	EXPECT_STREQ("t_prio_b", dr.out_decision.policy);
}


TEST_F(policy, replace_keeps_slot_and_link)
{
	struct ioasid_policy_dry_run dr;
	struct bpf_map *a, *b;
	long link_id;

	self->skel = load_a_and_b();
	ASSERT_NE(NULL, self->skel);
	a = self->skel->maps.t_prio_a;
	b = self->skel->maps.t_prio_b;
	ATTACH("t_prio_a");
	link_id = sysfs_long(POLICY_SYSFS "/t_prio_a/link_id");
	ASSERT_LT(0, link_id);
	DRY_RUN(&dr, self->fd, 1, 1, 0);
	EXPECT_STREQ("a", dr.out_decision.reason);

	ASSERT_EQ(0, bpf_link__update_map(self->links[0], b));
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_STREQ("t_prio_b", dr.out_decision.policy);
	EXPECT_STREQ("b", dr.out_decision.reason);
	EXPECT_EQ(1, dr.out_nr_verdicts);
	/* Same link, same slot; the old entry is gone. */
	EXPECT_EQ(link_id, sysfs_long(POLICY_SYSFS "/t_prio_b/link_id"));
	EXPECT_EQ(50, sysfs_long(POLICY_SYSFS "/t_prio_b/priority"));
	EXPECT_NE(0, access(POLICY_SYSFS "/t_prio_a", F_OK));

	/* And back. */
	ASSERT_EQ(0, bpf_link__update_map(self->links[0], a));
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_STREQ("a", dr.out_decision.reason);
	EXPECT_EQ(link_id, sysfs_long(POLICY_SYSFS "/t_prio_a/link_id"));
}

TEST_F(policy, replace_refuses_a_name_in_use)
{
	struct ioasid_policy_dry_run dr;

	LOAD("t_prio_a", "t_prio_b", "t_deny");
	ATTACH("t_prio_a");
	ATTACH("t_prio_b");
	/* b's name is registered already: a's link keeps a. */
	EXPECT_EQ(-EEXIST, bpf_link__update_map(self->links[0],
						self->skel->maps.t_prio_b));
	DRY_RUN(&dr, self->fd, 1, 1, 0);
	EXPECT_STREQ("a", dr.out_decision.reason);
	/* A different priority moves the policy in the stack. */
	ASSERT_EQ(0, bpf_link__update_map(self->links[0],
					  self->skel->maps.t_deny));
	DRY_RUN(&dr, self->fd, 0x1234, 1, 0);
	EXPECT_STREQ("t_deny", dr.out_decision.policy);
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);
	DRY_RUN(&dr, self->fd, 1, 1, 0);
	EXPECT_STREQ("b", dr.out_decision.reason);
}


static void pasid_dry_run_init(struct ioasid_policy_dry_run *dr, __u32 caps,
			       __u8 pasid_bits, __u32 pasid)
{
	dry_run_init(dr, 0x8086, 0x0b25, caps);
	dr->req.op = IOASID_POLICY_OP_ATTACH_PASID;
	dr->req.pasid_bits = pasid_bits;
	dr->req.pasid = pasid;
}

TEST_F(policy, pasid_range_never_beyond_hardware)
{
	struct ioasid_policy_dry_run dr;
	const __u32 caps = IOASID_IOMMU_CAP_ENFORCE_COHERENCY | IOASID_IOMMU_CAP_PASID;

	LOAD_ATTACH("t_pasid10");
	/* Within the policy's range and the device's 5 bits. */
	pasid_dry_run_init(&dr, caps, 5, 7);
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_STREQ("t_pasid10", dr.out_decision.policy);
	EXPECT_EQ(1, dr.out_decision.pasid_min);
	EXPECT_EQ(10, dr.out_decision.pasid_max);
	/* Outside the policy's range. */
	pasid_dry_run_init(&dr, caps, 5, 20);
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);
	EXPECT_NE(NULL, strstr(dr.out_decision.reason, "outside allowed 1-10"));
	/* The device has 3 bits: the grant is clamped to 1-7. */
	pasid_dry_run_init(&dr, caps, 3, 9);
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);
	EXPECT_EQ(7, dr.out_decision.pasid_max);
	/* No PASID at all: no policy can grant one. */
	pasid_dry_run_init(&dr, IOASID_IOMMU_CAP_ENFORCE_COHERENCY, 0, 1);
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(-EOPNOTSUPP, dr.out_decision.verdict);
	EXPECT_STREQ("device or IOMMU has no PASID support", dr.out_decision.reason);
}


TEST_F(policy, errored_policy_falls_back)
{
	struct ioasid_policy_dry_run dr;
	char buf[128];

	LOAD("t_garbage", "t_deny");
	ATTACH("t_garbage");
	ATTACH("t_deny");
	DRY_RUN(&dr, self->fd, 0x1234, 1, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	/* t_garbage (priority 5) is skipped, t_deny decides. */
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);
	EXPECT_STREQ("t_deny", dr.out_decision.policy);
	EXPECT_EQ(2, dr.out_nr_verdicts);
	EXPECT_TRUE(dr.out_verdicts[0].flags & IOASID_DECISION_POLICY_ERROR);

	ASSERT_EQ(0, sysfs_read(POLICY_SYSFS "/t_garbage/state", buf, sizeof(buf)));
	EXPECT_STREQ("errored", buf);
	ASSERT_EQ(0, sysfs_read(POLICY_SYSFS "/t_garbage/last_error", buf,
				sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "invalid verdict 42"));

	/* From now on it is not even asked. */
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(1, dr.out_nr_verdicts);
}

TEST_F(policy, shadow_never_decides)
{
	struct ioasid_policy_dry_run dr;

	LOAD_ATTACH("t_shadow");
	DRY_RUN(&dr, self->fd, 1, 1, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_STREQ("builtin", dr.out_decision.policy);
	ASSERT_EQ(1, dr.out_nr_verdicts);
	EXPECT_EQ(-EACCES, dr.out_verdicts[0].verdict);
	EXPECT_STREQ("shadow says no", dr.out_verdicts[0].reason);
}

TEST_F(policy, kill_switch)
{
	struct ioasid_policy_dry_run dr;

	LOAD_ATTACH("t_deny");
	ASSERT_EQ(0, sysfs_write(POLICY_SYSFS "/bypass", "1"));
	DRY_RUN(&dr, self->fd, 0x1234, 1, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_STREQ("builtin", dr.out_decision.policy);
	EXPECT_EQ(0, dr.out_nr_verdicts);

	ASSERT_EQ(0, sysfs_write(POLICY_SYSFS "/bypass", "0"));
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);
}

TEST_F(policy, duplicate_name_refused)
{
	struct policy_test *second;
	struct bpf_link *link;
	static const char *const n[] = { "t_deny" };

	LOAD_ATTACH("t_deny");
	second = load_policies(n, 1);
	ASSERT_NE(NULL, second);
	link = bpf_map__attach_struct_ops(second->maps.t_deny);
	EXPECT_EQ(NULL, link);
	EXPECT_EQ(-EEXIST, -errno);
	bpf_link__destroy(link);
	policy_test__destroy(second);
}

TEST_F(policy, bad_abi_version_refused)
{
	static const char *const n[] = { "t_badabi" };
	struct policy_test *skel;
	struct bpf_link *link;

	log_reset();
	skel = load_policies(n, 1);
	/* init_member refuses at map update, i.e. at attach time. */
	if (skel) {
		link = bpf_map__attach_struct_ops(skel->maps.t_badabi);
		EXPECT_EQ(NULL, link);
		bpf_link__destroy(link);
		policy_test__destroy(skel);
	}
}

TEST_F(policy, dry_run_needs_privilege_fields)
{
	struct ioasid_policy_dry_run dr;

	dry_run_init(&dr, 1, 1, 0);
	dr.flags = 1 << 7;
	EXPECT_EQ(-EOPNOTSUPP, dry_run(self->fd, &dr));
	dry_run_init(&dr, 1, 1, 0);
	dr.req.__reserved = 1;
	EXPECT_EQ(-EINVAL, dry_run(self->fd, &dr));
	dry_run_init(&dr, 1, 1, 0);
	dr.flags = IOASID_DRY_RUN_DEVICE_BDF;
	dr.req.bdf = 0xffff0000; /* no such PCI domain */
	EXPECT_EQ(-ENODEV, dry_run(self->fd, &dr));
	dry_run_init(&dr, 1, 1, 0);
	dr.req.op = IOASID_POLICY_OP_CACHE_FLUSH;
	EXPECT_EQ(-EINVAL, dry_run(self->fd, &dr));
	DRY_RUN(&dr, self->fd, 1, 1, 0);
	EXPECT_EQ((__u32)getpid(), dr.req.pid);
	EXPECT_NE(0, dr.req.fd_id);
	EXPECT_TRUE(dr.req.flags & IOASID_REQ_DRY_RUN);
}

/* Every decision is traced: enable the event, decide, find the line. */
TEST_F(policy, decision_tracepoint)
{
	static const char *const ev = "/sys/kernel/tracing/events/ioasid/ioasid_decision/enable";
	struct ioasid_policy_dry_run dr;
	char line[1024];
	bool found = false;
	FILE *f;

	if (access(ev, W_OK))
		SKIP(return, "tracefs not mounted");
	LOAD_ATTACH("t_deny");
	ASSERT_EQ(0, sysfs_write("/sys/kernel/tracing/trace", ""));
	ASSERT_EQ(0, sysfs_write(ev, "1"));
	DRY_RUN(&dr, self->fd, 0x1234, 0x4321, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	ASSERT_EQ(0, sysfs_write(ev, "0"));
	f = fopen("/sys/kernel/tracing/trace", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "ioasid_decision:") &&
		    strstr(line, "dev=1234:4321") && strstr(line, "verdict=-1 ") &&
		    strstr(line, "policy=t_deny") &&
		    strstr(line, "reason=\"vendor 1234 is not welcome\""))
			found = true;
	fclose(f);
	EXPECT_TRUE(found);
}


TEST_F(policy, dry_run_real_device)
{
	struct ioasid_policy_dry_run dr;
	long bdf = pci_bdf(edu_bdf());
	char path[128], buf[32];
	bool enforce;

	if (bdf < 0)
		SKIP(return, "no edu bound to ioasid-pci in this VM");
	memset(&dr, 0, sizeof(dr));
	dr.size = sizeof(dr);
	dr.flags = IOASID_DRY_RUN_DEVICE_BDF;
	dr.req.op = IOASID_POLICY_OP_ATTACH;
	dr.req.bdf = bdf;
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(0x1234, dr.req.vendor);
	EXPECT_EQ(0x11e8, dr.req.device);
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%04lx:%02lx:%02lx.%lx/class",
		 bdf >> 16, (bdf >> 8) & 0xff, (bdf >> 3) & 0x1f, bdf & 7);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_EQ(strtoul(buf, NULL, 16), dr.req.class);
	EXPECT_LE(1, dr.req.group_size);
	EXPECT_NE(0, dr.req.iommu_driver[0]);
	enforce = dr.req.iommu_caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY;
	/* The built-in decides from what the real IOMMU can do. */
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_EQ(enforce ? IOASID_SNOOP_ENFORCE : IOASID_SNOOP_ALLOW_NOSNOOP,
		  dr.out_decision.snoop);
	TH_LOG("edu %04lx:%02lx:%02lx.%lx iommu %s caps %#x group %u -> %s",
	       bdf >> 16, (bdf >> 8) & 0xff, (bdf >> 3) & 0x1f, bdf & 7,
	       dr.req.iommu_driver, dr.req.iommu_caps, dr.req.group_size,
	       enforce ? "enforce" : "no-snoop");
}


/* Load one optional map of policy_bad and expect the verifier to refuse. */
static int load_bad(const char *name, const char *expect_msg)
{
	struct policy_bad *skel;
	struct bpf_program *prog;
	struct bpf_map *map;
	int rc;

	skel = policy_bad__open();
	if (!skel)
		return -ENOMEM;
	bpf_object__for_each_map(map, skel->obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map, !strcmp(bpf_map__name(map),
							     name));
	/* Programs are optional too: enable the one the map uses. */
	bpf_object__for_each_program(prog, skel->obj) {
		const char *p = bpf_program__name(prog);

		bpf_program__set_autoload(prog,
			(!strcmp(name, "t_write") && !strcmp(p, "write_attach")) ||
			(!strcmp(name, "t_sleepy") && !strcmp(p, "sleepy_flush")) ||
			(!strcmp(name, "t_sleepattach") && !strcmp(p, "sleepy_attach")) ||
			(!strcmp(name, "t_sleepok") && !strcmp(p, "sleepy_init")));
	}
	log_reset();
	rc = policy_bad__load(skel);
	policy_bad__destroy(skel);
	if (!rc)
		return 0;
	if (expect_msg && !strstr(libbpf_log, expect_msg))
		return -EBADMSG;
	return rc;
}

TEST(verifier_refuses_request_write)
{
	libbpf_set_print(capture_print);
	EXPECT_GT(0, load_bad("t_write", "only read is supported"))
		TH_LOG("%s", libbpf_log);
}

TEST(verifier_refuses_sleepable_atomic_callback)
{
	libbpf_set_print(capture_print);
	EXPECT_GT(0, load_bad("t_sleepy", "attach to unsupported member cache_flush"))
		TH_LOG("%s", libbpf_log);
}

TEST(verifier_refuses_sleepable_attach)
{
	libbpf_set_print(capture_print);
	EXPECT_GT(0, load_bad("t_sleepattach", "attach to unsupported member attach"))
		TH_LOG("%s", libbpf_log);
}

TEST(verifier_accepts_sleepable_init)
{
	libbpf_set_print(capture_print);
	EXPECT_EQ(0, load_bad("t_sleepok", NULL)) TH_LOG("%s", libbpf_log);
}

TEST(foreign_struct_ops_cannot_call_kfuncs)
{
	struct policy_foreign *skel;
	int rc;

	libbpf_set_print(capture_print);
	log_reset();
	skel = policy_foreign__open();
	ASSERT_NE(NULL, skel);
	rc = policy_foreign__load(skel);
	policy_foreign__destroy(skel);
	/* The foreign type is TCP's; a kernel without INET has none. */
	if (strstr(libbpf_log, "tcp_congestion_ops is not found in kernel BTF"))
		SKIP(return, "kernel without tcp_congestion_ops (no CONFIG_INET)");
	EXPECT_GT(0, rc);
	EXPECT_NE(NULL, strstr(libbpf_log,
			       "calling kernel function bpf_ioasid_set_snoop is not allowed"))
		TH_LOG("%s", libbpf_log);
}

TEST_HARNESS_MAIN
