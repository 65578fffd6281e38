// SPDX-License-Identifier: GPL-2.0
/*
 * The default policies shipped in bpf/policies: vfio_compat must decide
 * exactly as the built-in does (compared decision by decision over a matrix
 * of devices), strict must enforce its rules, with its allowlists editable
 * in pinned maps without reloading.
 */
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"
#include "ioasid_rules.h"
#include "vfio_compat.skel.h"
#include "strict.skel.h"
#include "nosnoop_rules.skel.h"

#define PIN_ROOT "/sys/fs/bpf/ioasid-defaults-test"
#define PINNED(map) PIN_ROOT "/" IOASID_RULE_MAP_NAME(map)

/*
 * Fixture @f: /dev/ioasid in self->fd and the policy @obj (its skeleton's
 * name) in self->skel, loaded with its maps pinned below PIN_ROOT and
 * registered.
 */
#define PINNED_POLICY_FIXTURE(f, obj)					\
	FIXTURE(f) {							\
		int fd;							\
		struct obj *skel;					\
	};								\
	FIXTURE_SETUP(f)						\
	{								\
		LIBBPF_OPTS(bpf_object_open_opts, opts,			\
			    .pin_root_path = PIN_ROOT);			\
		mkdir(PIN_ROOT, 0700);					\
		self->fd = open("/dev/ioasid", O_RDWR);			\
		ASSERT_LE(0, self->fd);					\
		self->skel = obj##__open_opts(&opts);			\
		ASSERT_NE(NULL, self->skel);				\
		ASSERT_EQ(0, obj##__load(self->skel));			\
		ASSERT_EQ(0, obj##__attach(self->skel));		\
	}

struct dev_case {
	__u32 op;
	__u32 caps;
	__u32 pasid_bits;
	__u32 pasid;
};

static const struct dev_case matrix[] = {
	{ IOASID_POLICY_OP_ATTACH, 0, 0, 0 },
	{ IOASID_POLICY_OP_ATTACH, IOASID_IOMMU_CAP_CACHE_COHERENCY, 0, 0 },
	{ IOASID_POLICY_OP_ATTACH, IOASID_IOMMU_CAP_ENFORCE_COHERENCY, 0, 0 },
	{ IOASID_POLICY_OP_ATTACH, IOASID_IOMMU_CAP_ENFORCE_COHERENCY |
	  IOASID_IOMMU_CAP_CACHE_COHERENCY | IOASID_IOMMU_CAP_PASID, IOASID_PASID_BITS, 0 },
	{ IOASID_POLICY_OP_ATTACH_PASID, 0, 0, 1 },
	{ IOASID_POLICY_OP_ATTACH_PASID, IOASID_IOMMU_CAP_PASID, 8, 5 },
	{ IOASID_POLICY_OP_ATTACH_PASID, IOASID_IOMMU_CAP_PASID, 8, 300 },
	{ IOASID_POLICY_OP_ATTACH_PASID, IOASID_IOMMU_CAP_PASID |
	  IOASID_IOMMU_CAP_ENFORCE_COHERENCY, 20, 4096 },
	{ IOASID_POLICY_OP_ATTACH_PASID, IOASID_IOMMU_CAP_PASID, 0, 1 },
};

static void set_case(struct ioasid_policy_dry_run *dr, const struct dev_case *c)
{
	dry_run_init(dr, 0x1234, 0x11e8, c->caps);
	dr->req.op = c->op;
	dr->req.pasid_bits = c->pasid_bits;
	dr->req.pasid = c->pasid;
}

TEST(vfio_compat_matches_builtin)
{
	struct ioasid_policy_dry_run dr, ref;
	struct vfio_compat *skel;
	unsigned int i;
	int fd;

	fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, fd);
	skel = vfio_compat__open_and_load();
	ASSERT_NE(NULL, skel);
	for (i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
		/* Reference: the built-in alone (kill switch on). */
		ASSERT_EQ(0, sysfs_write(POLICY_SYSFS "/bypass", "1"));
		set_case(&ref, &matrix[i]);
		ASSERT_EQ(0, dry_run(fd, &ref));
		ASSERT_EQ(0, sysfs_write(POLICY_SYSFS "/bypass", "0"));
		if (!skel->links.vfio_compat) {
			skel->links.vfio_compat =
				bpf_map__attach_struct_ops(skel->maps.vfio_compat);
			ASSERT_NE(NULL, skel->links.vfio_compat);
		}
		set_case(&dr, &matrix[i]);
		ASSERT_EQ(0, dry_run(fd, &dr));
		TH_LOG("case %u: builtin %d/%u/%#x vfio_compat %d/%u/%#x", i,
		       ref.out_decision.verdict, ref.out_decision.snoop,
		       ref.out_decision.flags, dr.out_decision.verdict,
		       dr.out_decision.snoop, dr.out_decision.flags);
		EXPECT_EQ(ref.out_decision.verdict, dr.out_decision.verdict);
		EXPECT_EQ(ref.out_decision.snoop, dr.out_decision.snoop);
		/* Same grants; only who decided differs. */
		EXPECT_EQ(ref.out_decision.flags & ~IOASID_DECISION_BUILTIN,
			  dr.out_decision.flags & ~IOASID_DECISION_BUILTIN);
		EXPECT_EQ(ref.out_decision.flush_rate, dr.out_decision.flush_rate);
		EXPECT_EQ(ref.out_decision.pasid_min, dr.out_decision.pasid_min);
		EXPECT_EQ(ref.out_decision.pasid_max, dr.out_decision.pasid_max);
		EXPECT_STREQ(ref.out_decision.reason, dr.out_decision.reason);
		EXPECT_STREQ("vfio_compat", dr.out_decision.policy);
	}
	vfio_compat__destroy(skel);
	close(fd);
}

PINNED_POLICY_FIXTURE(strict, strict)

FIXTURE_TEARDOWN(strict)
{
	strict__destroy(self->skel);
	unlink(PINNED(IOASID_STRICT_COHERENT_OK));
	unlink(PINNED(IOASID_STRICT_PASID_DRIVERS));
	rmdir(PIN_ROOT);
	close(self->fd);
}

TEST_F(strict, enforces_or_refuses)
{
	struct ioasid_policy_dry_run dr;

	DRY_RUN(&dr, self->fd, 0x8086, 0x1, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_EQ(IOASID_SNOOP_ENFORCE, dr.out_decision.snoop);
	EXPECT_FALSE(dr.out_decision.flags & IOASID_DECISION_FLUSH_GRANT);

	/* The built-in would allow no-snoop and grant the flush: not strict. */
	DRY_RUN(&dr, self->fd, 0x8086, 0x1, 0);
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);
	EXPECT_STREQ("strict: IOMMU cannot enforce snooping", dr.out_decision.reason);
}

TEST_F(strict, allowlist_edited_without_reload)
{
	struct ioasid_policy_dry_run dr;
	__u32 key = IOASID_RULE_ID_KEY(0x8086, 0x1);
	__u8 one = 1;
	int map;

	/* Operators reach the rule map by its pin, as ioasidctl will. */
	map = bpf_obj_get(PINNED(IOASID_STRICT_COHERENT_OK));
	ASSERT_LE(0, map);
	ASSERT_EQ(0, bpf_map_update_elem(map, &key, &one, BPF_ANY));
	DRY_RUN(&dr, self->fd, 0x8086, 0x1, 0);
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_EQ(IOASID_SNOOP_ALLOW_NOSNOOP, dr.out_decision.snoop);
	/* Allowlisted, yet never a cache-flush grant. */
	EXPECT_FALSE(dr.out_decision.flags & IOASID_DECISION_FLUSH_GRANT);
	ASSERT_EQ(0, bpf_map_delete_elem(map, &key));
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);
	close(map);
}

TEST_F(strict, multi_device_group_refused)
{
	struct ioasid_policy_dry_run dr;

	dry_run_init(&dr, 0x8086, 0x1, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	dr.req.group_size = 3;
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);
}

TEST_F(strict, pasid_only_for_listed_drivers)
{
	struct ioasid_policy_dry_run dr;
	char key[IOASID_NAME_LEN] = "idxd";
	__u8 one = 1;
	int map;

	dry_run_init(&dr, 0x8086, 0x1, IOASID_IOMMU_CAP_ENFORCE_COHERENCY |
		     IOASID_IOMMU_CAP_PASID);
	dr.req.op = IOASID_POLICY_OP_ATTACH_PASID;
	dr.req.pasid_bits = 8;
	dr.req.pasid = 3;
	strcpy(dr.req.driver, "idxd");
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);

	map = bpf_obj_get(PINNED(IOASID_STRICT_PASID_DRIVERS));
	ASSERT_LE(0, map);
	ASSERT_EQ(0, bpf_map_update_elem(map, key, &one, BPF_ANY));
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_EQ(IOASID_SNOOP_ENFORCE, dr.out_decision.snoop);
	/* The range is the built-in's: the device's PASID width. */
	EXPECT_EQ(1, dr.out_decision.pasid_min);
	EXPECT_EQ(255, dr.out_decision.pasid_max);
	close(map);
}

PINNED_POLICY_FIXTURE(nsr, nosnoop_rules)

FIXTURE_TEARDOWN(nsr)
{
	static const char *const maps[] = {
		IOASID_RULE_MAP_NAME(IOASID_NSR_BY_ID),
		IOASID_RULE_MAP_NAME(IOASID_NSR_BY_DRIVER),
		IOASID_RULE_MAP_NAME(IOASID_NSR_BY_CGROUP),
		IOASID_RULE_MAP_NAME(IOASID_NSR_DEFAULT),
	};
	char path[128];

	nosnoop_rules__destroy(self->skel);
	for (unsigned int i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		snprintf(path, sizeof(path), PIN_ROOT "/%s", maps[i]);
		unlink(path);
	}
	rmdir(PIN_ROOT);
	close(self->fd);
}

static int rule_set(const char *map, const void *key,
		    const struct ioasid_rule *rule)
{
	char path[128];
	int fd, rc;

	snprintf(path, sizeof(path), PIN_ROOT "/%s", map);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	rc = bpf_map_update_elem(fd, key, rule, BPF_ANY) ? -errno : 0;
	close(fd);
	return rc;
}

TEST_F(nsr, no_rule_defers_to_builtin)
{
	struct ioasid_policy_dry_run dr;

	DRY_RUN(&dr, self->fd, 0x8086, 0x1, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_STREQ("builtin", dr.out_decision.policy);
	EXPECT_EQ(IOASID_SNOOP_ENFORCE, dr.out_decision.snoop);
}

TEST_F(nsr, vendor_device_rule_allows_nosnoop_with_rate)
{
	struct ioasid_rule r = {
		.action = IOASID_RULE_ALLOW, .snoop = IOASID_SNOOP_ALLOW_NOSNOOP,
		.flags = IOASID_RULE_F_FLUSH, .flush_rate = 100, .flush_burst = 4,
	};
	struct ioasid_policy_dry_run dr;
	__u32 key = IOASID_RULE_ID_KEY(0x8086, 0x1);

	ASSERT_EQ(0, rule_set(IOASID_RULE_MAP_NAME(IOASID_NSR_BY_ID), &key, &r));
	/* Coherency-capable, yet the rule allows no-snoop: rules change live. */
	DRY_RUN(&dr, self->fd, 0x8086, 0x1, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_STREQ("nosnoop_rules", dr.out_decision.policy);
	EXPECT_EQ(IOASID_SNOOP_ALLOW_NOSNOOP, dr.out_decision.snoop);
	EXPECT_TRUE(dr.out_decision.flags & IOASID_DECISION_FLUSH_GRANT);
	EXPECT_EQ(100, dr.out_decision.flush_rate);
	EXPECT_EQ(4, dr.out_decision.flush_burst);
	/* Another device has no rule. */
	DRY_RUN(&dr, self->fd, 0x8086, 0x2, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_STREQ("builtin", dr.out_decision.policy);
}

TEST_F(nsr, driver_rule_and_precedence)
{
	struct ioasid_rule deny = { .action = IOASID_RULE_DENY, .deny_errno = EACCES };
	struct ioasid_rule allow = { .action = IOASID_RULE_ALLOW };
	struct ioasid_policy_dry_run dr;
	char drv[IOASID_NAME_LEN] = "ioasid-pci";
	__u32 key = IOASID_RULE_ID_KEY(0x1234, 0x11e8);

	ASSERT_EQ(0, rule_set(IOASID_RULE_MAP_NAME(IOASID_NSR_BY_DRIVER), drv, &deny));
	DRY_RUN(&dr, self->fd, 0x1234, 0x11e8, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_EQ(-EACCES, dr.out_decision.verdict);
	/* A vendor:device rule comes before a driver rule. */
	ASSERT_EQ(0, rule_set(IOASID_RULE_MAP_NAME(IOASID_NSR_BY_ID), &key, &allow));
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(0, dr.out_decision.verdict);
	/* ALLOW without a snoop mode: the built-in's (enforce here). */
	EXPECT_EQ(IOASID_SNOOP_ENFORCE, dr.out_decision.snoop);
}

TEST_F(nsr, cgroup_rule_and_default_action)
{
	struct ioasid_rule deny = { .action = IOASID_RULE_DENY };
	struct ioasid_rule allow = { .action = IOASID_RULE_ALLOW,
				     .snoop = IOASID_SNOOP_ENFORCE };
	struct ioasid_policy_dry_run dr;
	__u32 zero = 0;
	__u64 cg;

	/* Default: deny everything without a rule. */
	ASSERT_EQ(0, rule_set(IOASID_RULE_MAP_NAME(IOASID_NSR_DEFAULT), &zero, &deny));
	DRY_RUN(&dr, self->fd, 0x10de, 0x1, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);
	/* The caller's cgroup (filled by the kernel) gets an allow rule. */
	cg = dr.req.cgroup_id;
	ASSERT_EQ(0, rule_set(IOASID_RULE_MAP_NAME(IOASID_NSR_BY_CGROUP), &cg, &allow));
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_EQ(IOASID_SNOOP_ENFORCE, dr.out_decision.snoop);
}

TEST_F(nsr, pasid_range_from_rule)
{
	struct ioasid_rule r = {
		.action = IOASID_RULE_ALLOW, .flags = IOASID_RULE_F_PASID,
		.pasid_min = 10, .pasid_max = 20,
	};
	struct ioasid_policy_dry_run dr;
	__u32 key = IOASID_RULE_ID_KEY(0x8086, 0xb25);

	ASSERT_EQ(0, rule_set(IOASID_RULE_MAP_NAME(IOASID_NSR_BY_ID), &key, &r));
	dry_run_init(&dr, 0x8086, 0xb25, IOASID_IOMMU_CAP_ENFORCE_COHERENCY |
		     IOASID_IOMMU_CAP_PASID);
	dr.req.op = IOASID_POLICY_OP_ATTACH_PASID;
	dr.req.pasid_bits = IOASID_PASID_BITS;
	dr.req.pasid = 15;
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(0, dr.out_decision.verdict);
	EXPECT_EQ(10, dr.out_decision.pasid_min);
	EXPECT_EQ(20, dr.out_decision.pasid_max);
	dr.req.pasid = 21;
	ASSERT_EQ(0, dry_run(self->fd, &dr));
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);
}

TEST_HARNESS_MAIN
