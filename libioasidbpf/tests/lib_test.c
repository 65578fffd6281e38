// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libioasidbpf against the real module, under ASan and UBSan: every API
 * call, every error path, and concurrent replacement from two processes.
 * Runs as root in the test VM; one case drops to an unprivileged uid.
 * Links and maps are pinned under a private root removed after each test.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "ioasidbpf.h"

#define ROOT "/sys/fs/bpf/ioasid-libtest"
#define TEST_OBJ_DIR BUILD_DIR "/selftests"

/* Remove every pin under ROOT (bpffs: unlink works on pins). */
static void clean_root(void)
{
	static const char *const dirs[] = { ROOT "/links", ROOT };
	char path[512];
	struct dirent *e;
	size_t i;
	DIR *d;

	for (i = 0; i < 2; i++) {
		d = opendir(dirs[i]);
		if (!d)
			continue;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", dirs[i], e->d_name);
				unlink(path);
			}
		closedir(d);
		rmdir(dirs[i]);
	}
}

/* Unregister whatever policies a failed test left behind. */
static void unload_all(void)
{
	struct ioasidbpf_status *st;
	int n, i;

	n = ioasidbpf_status(ROOT, &st);
	for (i = 0; i < n; i++)
		ioasidbpf_unload(st[i].name, ROOT);
	if (n >= 0)
		free(st);
}

/* Open @what with the test's pin root. */
static int open_policy(const char *what, struct ioasidbpf_policy **p)
{
	struct ioasidbpf_open_opts o = { .sz = sizeof(o), .pin_root = ROOT };

	return ioasidbpf_policy_open(what, &o, p);
}

static int load(const char *what, __s64 prio, __u32 flags)
{
	struct ioasidbpf_policy *p;
	int err;

	err = open_policy(what, &p);
	if (err)
		return err;
	if (prio >= 0)
		ioasidbpf_policy_set_priority(p, prio);
	err = ioasidbpf_policy_set_flags(p, flags);
	if (!err)
		err = ioasidbpf_policy_attach(p);
	ioasidbpf_policy_close(p);
	return err;
}

static int replace(const char *running, const char *what)
{
	struct ioasidbpf_policy *p;
	int err;

	err = open_policy(what, &p);
	if (err)
		return err;
	err = ioasidbpf_policy_replace(p, running);
	ioasidbpf_policy_close(p);
	return err;
}

/* The status entry of @name, or NULL (freed by the caller via *all). */
static struct ioasidbpf_status *find(const char *name,
				     struct ioasidbpf_status **all)
{
	int n = ioasidbpf_status(ROOT, all), i;

	for (i = 0; i < n; i++)
		if (!strcmp((*all)[i].name, name))
			return &(*all)[i];
	return NULL;
}

static void dry_init(struct ioasid_policy_dry_run *dr, __u16 vendor,
		     __u16 device, __u32 caps)
{
	memset(dr, 0, sizeof(*dr));
	dr->req.op = IOASID_POLICY_OP_ATTACH;
	dr->req.vendor = vendor;
	dr->req.device = device;
	dr->req.iommu_caps = caps;
	dr->req.group_size = 1;
	strcpy(dr->req.driver, "ioasid-pci");
	strcpy(dr->req.iommu_driver, "intel-iommu");
}

FIXTURE(lib) {
	int unused;
};

FIXTURE_SETUP(lib)
{
	unload_all();
	clean_root();
	ASSERT_EQ(0, ioasidbpf_bypass(0));
}

FIXTURE_TEARDOWN(lib)
{
	unload_all();
	clean_root();
}

TEST_F(lib, builtins_and_parsers)
{
	__u16 v, d;
	__u32 bdf;
	__u64 cg;

	ASSERT_EQ(3, ioasidbpf_builtin_count());
	EXPECT_STREQ("vfio_compat", ioasidbpf_builtin_name(0));
	EXPECT_STREQ("strict", ioasidbpf_builtin_name(1));
	EXPECT_STREQ("nosnoop_rules", ioasidbpf_builtin_name(2));
	EXPECT_EQ(NULL, ioasidbpf_builtin_name(3));
	EXPECT_NE(NULL, ioasidbpf_builtin_summary(2));
	EXPECT_EQ(0, ioasidbpf_parse_pci_id("1234:11e8", &v, &d));
	EXPECT_EQ(0x1234, v);
	EXPECT_EQ(0x11e8, d);
	EXPECT_EQ(-EINVAL, ioasidbpf_parse_pci_id("1234:11e8x", &v, &d));
	EXPECT_EQ(-EINVAL, ioasidbpf_parse_pci_id("12345:1", &v, &d));
	EXPECT_EQ(-EINVAL, ioasidbpf_parse_pci_id("", &v, &d));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "VENDOR:DEVICE"));
	EXPECT_EQ(0, ioasidbpf_parse_bdf("0000:00:04.0", &bdf));
	EXPECT_EQ(4 << 3, bdf);
	EXPECT_EQ(0, ioasidbpf_parse_bdf("01:1f.7", &bdf));
	EXPECT_EQ(1 << 8 | 0x1f << 3 | 7, bdf);
	EXPECT_EQ(-EINVAL, ioasidbpf_parse_bdf("00:20.0", &bdf));
	EXPECT_EQ(-EINVAL, ioasidbpf_parse_bdf("00:03.8", &bdf));
	EXPECT_EQ(-EINVAL, ioasidbpf_parse_bdf("nonsense", &bdf));
	if (!access("/sys/fs/cgroup/cgroup.controllers", F_OK)) {
		EXPECT_EQ(0, ioasidbpf_cgroup_id("/sys/fs/cgroup", &cg));
		EXPECT_NE(0, cg);
	}
	EXPECT_EQ(-EINVAL, ioasidbpf_cgroup_id("/proc", &cg));
	EXPECT_EQ(-ENOENT, ioasidbpf_cgroup_id("/nonexistent", &cg));
}

TEST_F(lib, preflight)
{
	EXPECT_EQ(0, ioasidbpf_preflight(ROOT));
	EXPECT_EQ(0, ioasidbpf_preflight(NULL));
	/* /tmp is a tmpfs in the VM: not a bpffs. */
	EXPECT_EQ(-ENODEV, ioasidbpf_preflight("/tmp/ioasid-pins"));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "not on a bpffs"));
	EXPECT_EQ(0, ioasidbpf_mount_bpffs());
}

TEST_F(lib, open_errors)
{
	struct ioasidbpf_open_opts o = { .sz = sizeof(o), .pin_root = ROOT };
	struct ioasidbpf_policy *p = (void *)1;

	EXPECT_EQ(-ENOENT, ioasidbpf_policy_open("no_such_policy", &o, &p));
	EXPECT_EQ(NULL, p);
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "no policy 'no_such_policy'"));
	EXPECT_EQ(-EINVAL, ioasidbpf_policy_open("", &o, &p));
	EXPECT_GT(0, ioasidbpf_policy_open("/etc/hostname", &o, &p));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "cannot open the BPF object"));
	/* An object with several policies needs a map name. */
	EXPECT_EQ(-EINVAL, ioasidbpf_policy_open(TEST_OBJ_DIR "/policy_test.bpf.o", &o, &p));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "choose one by map name"));
	o.map_name = "t_nope";
	EXPECT_EQ(-EINVAL, ioasidbpf_policy_open(TEST_OBJ_DIR "/policy_test.bpf.o", &o, &p));
	o.map_name = "t_prio_a";
	ASSERT_EQ(0, ioasidbpf_policy_open(TEST_OBJ_DIR "/policy_test.bpf.o", &o, &p));
	EXPECT_STREQ("t_prio_a", ioasidbpf_policy_name(p));
	EXPECT_EQ(50, ioasidbpf_policy_priority(p));
	EXPECT_EQ(-EINVAL, ioasidbpf_policy_set_flags(p, 1 << 5));
	ioasidbpf_policy_close(p);
	ioasidbpf_policy_close(NULL);
	o.sz = 4;
	EXPECT_EQ(-EINVAL, ioasidbpf_policy_open("strict", &o, &p));
}

TEST_F(lib, load_attach_status_unload)
{
	struct ioasidbpf_open_opts o = { .sz = sizeof(o), .pin_root = ROOT };
	struct ioasidbpf_status *all = NULL, *s;
	struct ioasid_policy_dry_run dr;
	struct ioasidbpf_policy *p;

	ASSERT_EQ(0, ioasidbpf_policy_open("vfio_compat", &o, &p));
	EXPECT_STREQ("vfio_compat", ioasidbpf_policy_name(p));
	ASSERT_EQ(0, ioasidbpf_policy_set_priority(p, 77));
	ASSERT_EQ(0, ioasidbpf_policy_set_flags(p, IOASID_POLICY_F_SHADOW));
	ASSERT_EQ(0, ioasidbpf_policy_load(p));
	EXPECT_EQ(-EBUSY, ioasidbpf_policy_set_priority(p, 1));
	EXPECT_EQ(-EBUSY, ioasidbpf_policy_set_flags(p, 0));
	ASSERT_EQ(0, ioasidbpf_policy_attach(p));
	EXPECT_EQ(-EALREADY, ioasidbpf_policy_attach(p));
	ioasidbpf_policy_close(p);

	/* Registered after the handle is gone, and seen from the kernel. */
	s = find("vfio_compat", &all);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(77, s->priority);
	EXPECT_TRUE(s->shadow);
	EXPECT_FALSE(s->errored);
	EXPECT_LT(0, s->link_id);
	EXPECT_LT(0, s->map_id);
	EXPECT_STREQ(ROOT "/links/vfio_compat", s->pin_path);
	free(all);

	/* A shadow is asked and recorded. */
	dry_init(&dr, 0x1234, 0x11e8, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	ASSERT_EQ(0, ioasidbpf_dry_run(&dr));
	EXPECT_STREQ("builtin", dr.out_decision.policy);
	ASSERT_EQ(1, dr.out_nr_verdicts);
	EXPECT_STREQ("vfio_compat", dr.out_verdicts[0].name);
	s = find("vfio_compat", &all);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(1, s->allow);
	free(all);

	/* Same name again: refused, the first one untouched. */
	EXPECT_EQ(-EEXIST, load("vfio_compat", -1, 0));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "registered already"));

	EXPECT_EQ(0, ioasidbpf_unload("vfio_compat", ROOT));
	EXPECT_EQ(NULL, find("vfio_compat", &all));
	free(all);
	EXPECT_NE(0, access(ROOT "/links/vfio_compat", F_OK));
	EXPECT_EQ(-ENOENT, ioasidbpf_unload("vfio_compat", ROOT));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "no registered policy named vfio_compat"));
	EXPECT_EQ(-ENOENT, ioasidbpf_unload("../etc", ROOT));
}

TEST_F(lib, verifier_log_on_failure)
{
	char log[16384];
	struct ioasidbpf_open_opts o = {
		.sz = sizeof(o), .pin_root = ROOT, .map_name = "t_write",
		.log_buf = log, .log_size = sizeof(log),
	};
	struct ioasidbpf_policy *p;

	ASSERT_EQ(0, ioasidbpf_policy_open(TEST_OBJ_DIR "/policy_bad.bpf.o", &o, &p));
	EXPECT_GT(0, ioasidbpf_policy_load(p));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "see the verifier log"));
	EXPECT_LT(0, strlen(log));
	TH_LOG("verifier said: %.200s", log);
	ioasidbpf_policy_close(p);
}

TEST_F(lib, replace_keeps_link_slot_and_rules)
{
	struct ioasidbpf_status *all = NULL, *s;
	struct ioasid_policy_dry_run dr;
	__u32 link_id;

	ASSERT_EQ(0, load("vfio_compat", 70, 0));
	s = find("vfio_compat", &all);
	ASSERT_NE(NULL, s);
	link_id = s->link_id;
	free(all);

	ASSERT_EQ(0, replace("vfio_compat", "strict"));
	EXPECT_EQ(NULL, find("vfio_compat", &all));
	free(all);
	s = find("strict", &all);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(link_id, s->link_id);
	EXPECT_EQ(70, s->priority);
	EXPECT_STREQ(ROOT "/links/strict", s->pin_path);
	free(all);
	EXPECT_NE(0, access(ROOT "/links/vfio_compat", F_OK));
	/* strict decides now: a device that cannot be coherent is refused. */
	dry_init(&dr, 0x1234, 0x11e8, 0);
	ASSERT_EQ(0, ioasidbpf_dry_run(&dr));
	EXPECT_STREQ("strict", dr.out_decision.policy);
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);

	/* Errors: nothing to replace, a name in use. */
	EXPECT_EQ(-ENOENT, replace("vfio_compat", "strict"));
	ASSERT_EQ(0, load("nosnoop_rules", 90, 0));
	EXPECT_EQ(-EEXIST, replace("strict", "nosnoop_rules"));
	s = find("strict", &all);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(link_id, s->link_id);
	free(all);
	/* The same policy replaced by itself: a new map, the same link. */
	ASSERT_EQ(0, replace("strict", "strict"));
	s = find("strict", &all);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(link_id, s->link_id);
	free(all);
}

struct rule_seen {
	int n;
	struct ioasidbpf_rule_key keys[16];
	struct ioasid_rule rules[16];
};

static int collect(const struct ioasidbpf_rule_key *k, const struct ioasid_rule *r,
		   void *ctx)
{
	struct rule_seen *s = ctx;

	if (s->n < 16) {
		s->keys[s->n] = *k;
		if (r)
			s->rules[s->n] = *r;
		s->n++;
	}
	return 0;
}

static int stop_at_first(const struct ioasidbpf_rule_key *k,
			 const struct ioasid_rule *r, void *ctx)
{
	return 42;
}

TEST_F(lib, rules_typed_api)
{
	struct ioasidbpf_rule_key id = { .kind = IOASIDBPF_RULE_ID,
					 .vendor = 0x1234, .device = 0x11e8 };
	struct ioasidbpf_rule_key def = { .kind = IOASIDBPF_RULE_DEFAULT };
	struct ioasidbpf_rule_key drv = { .kind = IOASIDBPF_RULE_DRIVER };
	struct ioasid_rule allow = {
		.action = IOASID_RULE_ALLOW, .snoop = IOASID_SNOOP_ALLOW_NOSNOOP,
		.flags = IOASID_RULE_F_FLUSH, .flush_rate = 100, .flush_burst = 4,
	};
	struct ioasid_rule deny = { .action = IOASID_RULE_DENY, .deny_errno = EACCES };
	struct ioasid_rule bad;
	struct ioasid_policy_dry_run dr;
	struct rule_seen seen = { 0 };

	/* No policy, no maps. */
	EXPECT_EQ(-ENOENT, ioasidbpf_rule_add(ROOT, &id, &allow));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "nosnoop_rules policy loaded"));
	EXPECT_EQ(-ENOENT, ioasidbpf_rule_foreach(ROOT, collect, &seen));

	ASSERT_EQ(0, load("nosnoop_rules", -1, 0));
	ASSERT_EQ(0, ioasidbpf_rule_add(ROOT, &id, &allow));
	ASSERT_EQ(0, ioasidbpf_rule_add(ROOT, &def, &deny));
	ASSERT_EQ(0, ioasidbpf_rule_foreach(ROOT, collect, &seen));
	ASSERT_EQ(2, seen.n);
	EXPECT_EQ(IOASIDBPF_RULE_ID, seen.keys[0].kind);
	EXPECT_EQ(0x11e8, seen.keys[0].device);
	EXPECT_EQ(100, seen.rules[0].flush_rate);
	EXPECT_EQ(IOASIDBPF_RULE_DEFAULT, seen.keys[1].kind);
	EXPECT_EQ(42, ioasidbpf_rule_foreach(ROOT, stop_at_first, NULL));

	/* The rule decides at once, no reload. */
	dry_init(&dr, 0x1234, 0x11e8, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	ASSERT_EQ(0, ioasidbpf_dry_run(&dr));
	EXPECT_STREQ("nosnoop_rules", dr.out_decision.policy);
	EXPECT_EQ(IOASID_SNOOP_ALLOW_NOSNOOP, dr.out_decision.snoop);
	EXPECT_EQ(100, dr.out_decision.flush_rate);
	dry_init(&dr, 0x8086, 1, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	ASSERT_EQ(0, ioasidbpf_dry_run(&dr));
	EXPECT_EQ(-EACCES, dr.out_decision.verdict);

	/* Rules survive an upgrade of the policy. */
	ASSERT_EQ(0, replace("nosnoop_rules", "nosnoop_rules"));
	dry_init(&dr, 0x1234, 0x11e8, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	ASSERT_EQ(0, ioasidbpf_dry_run(&dr));
	EXPECT_EQ(IOASID_SNOOP_ALLOW_NOSNOOP, dr.out_decision.snoop);

	/* Deleting: the default goes back to DEFER, then not listed. */
	EXPECT_EQ(0, ioasidbpf_rule_del(ROOT, &def));
	EXPECT_EQ(0, ioasidbpf_rule_del(ROOT, &id));
	EXPECT_EQ(-ENOENT, ioasidbpf_rule_del(ROOT, &id));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "no such rule"));
	seen.n = 0;
	EXPECT_EQ(0, ioasidbpf_rule_foreach(ROOT, collect, &seen));
	EXPECT_EQ(0, seen.n);

	/* Validation. */
	bad = allow;
	bad.flags = IOASID_RULE_F_PASID;
	bad.flush_rate = bad.flush_burst = 0;
	bad.pasid_min = 0;
	bad.pasid_max = 5;
	EXPECT_EQ(-EINVAL, ioasidbpf_rule_add(ROOT, &id, &bad));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "PASID range 0-5"));
	bad.pasid_min = 1;
	bad.pasid_max = 1 << 20;
	EXPECT_EQ(-EINVAL, ioasidbpf_rule_validate(&bad));
	bad = allow;
	bad.flags = 0;
	EXPECT_EQ(-EINVAL, ioasidbpf_rule_validate(&bad));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "flush grant"));
	bad = deny;
	bad.snoop = IOASID_SNOOP_ENFORCE;
	EXPECT_EQ(-EINVAL, ioasidbpf_rule_validate(&bad));
	bad = allow;
	bad.action = 7;
	EXPECT_EQ(-EINVAL, ioasidbpf_rule_validate(&bad));
	bad = allow;
	bad.snoop = 9;
	EXPECT_EQ(-EINVAL, ioasidbpf_rule_validate(&bad));
	EXPECT_EQ(-EINVAL, ioasidbpf_rule_add(ROOT, &drv, &allow));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "driver name"));
	EXPECT_EQ(-EINVAL, ioasidbpf_rule_add(ROOT, &id, NULL));
	drv.kind = 99;
	EXPECT_EQ(-EINVAL, ioasidbpf_rule_add(ROOT, &drv, &allow));
}

TEST_F(lib, strict_allowlists)
{
	struct ioasidbpf_rule_key dev = { .kind = IOASIDBPF_RULE_STRICT_DEVICE,
					  .vendor = 0x1234, .device = 0x11e8 };
	struct ioasidbpf_rule_key drv = { .kind = IOASIDBPF_RULE_STRICT_PASID_DRIVER,
					  .driver = "idxd" };
	struct ioasid_policy_dry_run dr;
	struct rule_seen seen = { 0 };

	ASSERT_EQ(0, load("strict", -1, 0));
	dry_init(&dr, 0x1234, 0x11e8, 0);
	ASSERT_EQ(0, ioasidbpf_dry_run(&dr));
	EXPECT_EQ(-EPERM, dr.out_decision.verdict);
	ASSERT_EQ(0, ioasidbpf_rule_add(ROOT, &dev, NULL));
	ASSERT_EQ(0, ioasidbpf_rule_add(ROOT, &drv, NULL));
	ASSERT_EQ(0, ioasidbpf_dry_run(&dr));
	EXPECT_EQ(0, dr.out_decision.verdict) TH_LOG("%s", dr.out_decision.reason);
	ASSERT_EQ(0, ioasidbpf_rule_foreach(ROOT, collect, &seen));
	ASSERT_EQ(2, seen.n);
	EXPECT_EQ(IOASIDBPF_RULE_STRICT_DEVICE, seen.keys[0].kind);
	EXPECT_STREQ("idxd", seen.keys[1].driver);
	EXPECT_EQ(0, ioasidbpf_rule_del(ROOT, &dev));
	EXPECT_EQ(0, ioasidbpf_rule_del(ROOT, &drv));
}

TEST_F(lib, bypass_and_unload_foreign_link)
{
	struct bpf_object *obj;
	struct bpf_link *link;
	struct bpf_map *map;

	EXPECT_EQ(0, ioasidbpf_bypass(-1));
	EXPECT_EQ(1, ioasidbpf_bypass(1));
	EXPECT_EQ(1, ioasidbpf_bypass(-1));
	EXPECT_EQ(0, ioasidbpf_bypass(0));

	/* Registered by someone else (plain libbpf, not pinned). */
	obj = bpf_object__open_file(TEST_OBJ_DIR "/policy_test.bpf.o", NULL);
	ASSERT_NE(NULL, obj);
	bpf_object__for_each_map(map, obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map, !strcmp(bpf_map__name(map), "t_deny"));
	ASSERT_EQ(0, bpf_object__load(obj));
	link = bpf_map__attach_struct_ops(bpf_object__find_map_by_name(obj, "t_deny"));
	ASSERT_NE(NULL, link);
	EXPECT_EQ(0, ioasidbpf_unload("t_deny", ROOT));
	EXPECT_EQ(-ENOENT, ioasidbpf_unload("t_deny", ROOT));
	bpf_link__destroy(link);
	bpf_object__close(obj);
}

/* Two processes replacing the same policy back and forth at once. */
static int replace_loop(int rounds)
{
	int i, ok = 0;

	for (i = 0; i < rounds; i++) {
		struct ioasidbpf_status *all = NULL;
		int n = ioasidbpf_status(ROOT, &all), rc;
		const char *running, *next;

		if (n != 1) {
			free(all);
			return 100 + n;
		}
		running = all[0].name;
		next = !strcmp(running, "strict") ? "vfio_compat" : "strict";
		rc = replace(running, next);
		free(all);
		if (!rc)
			ok++;
		else if (rc != -EPERM && rc != -ENOENT && rc != -EEXIST)
			return 200 - rc;	/* any other error is a bug */
	}
	return ok ? 0 : 99;
}

/* 30 loads and replacements: minutes under KASAN and TCG. */
TEST_F_TIMEOUT(lib, concurrent_replace_two_processes, 240)
{
	struct ioasidbpf_status *all = NULL;
	pid_t pids[2];
	__u32 link_id;
	int i, status, n;

	ASSERT_EQ(0, load("vfio_compat", 60, 0));
	n = ioasidbpf_status(ROOT, &all);
	ASSERT_EQ(1, n);
	link_id = all[0].link_id;
	free(all);
	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(replace_loop(15));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child %d", i);
	}
	/* One policy, on the same link, pinned under its current name. */
	n = ioasidbpf_status(ROOT, &all);
	ASSERT_EQ(1, n);
	EXPECT_EQ(link_id, all[0].link_id);
	EXPECT_EQ(60, all[0].priority);
	EXPECT_NE(0, all[0].pin_path[0]);
	free(all);
}

/* Options structs as libbpf's OPTS_VALID: older (smaller) and newer ones. */
TEST_F(lib, opts_sizes_like_libbpf)
{
	struct {
		struct ioasidbpf_open_opts o;
		__u64 future;
	} big = { .o = { .sz = sizeof(big), .pin_root = ROOT } };
	struct ioasidbpf_open_opts old = {
		/* An older caller knew pin_root only: map_name is not read. */
		.sz = offsetof(struct ioasidbpf_open_opts, map_name),
		.pin_root = ROOT, .map_name = "t_nope",
	};
	struct ioasidbpf_policy *p;

	ASSERT_EQ(0, ioasidbpf_policy_open("strict", &old, &p));
	ioasidbpf_policy_close(p);
	ASSERT_EQ(0, ioasidbpf_policy_open("strict", &big.o, &p));
	ioasidbpf_policy_close(p);
	big.future = 1;
	EXPECT_EQ(-EINVAL, ioasidbpf_policy_open("strict", &big.o, &p));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "non-zero bytes"));
	EXPECT_EQ(NULL, p);
	old.sz = sizeof(size_t) - 1;
	EXPECT_EQ(-EINVAL, ioasidbpf_policy_open("strict", &old, &p));
	EXPECT_NE(NULL, strstr(ioasidbpf_errmsg(), "too small"));
}

static int read_until(struct ioasidbpf_decisions *d, struct ioasid_decision_record *rec,
		      __u16 vendor, __u16 device)
{
	int rc;

	while ((rc = ioasidbpf_decisions_read(d, rec, 5000)) == 1)
		if (rec->vendor == vendor && rec->device == device)
			return 1;
	return rc;
}

TEST_F(lib, decision_stream)
{
	struct ioasidbpf_decisions_opts o = { .sz = sizeof(o) };
	struct {
		struct ioasidbpf_decisions_opts o;
		__u64 future;
	} big = { .o = { .sz = sizeof(big) } };
	struct ioasidbpf_decisions_opts old = { .sz = sizeof(size_t), .no_history = true };
	struct ioasid_decision_record rec;
	struct ioasid_policy_dry_run dr;
	struct ioasidbpf_decisions *d;
	__u64 last = 0;
	int rc;

	ASSERT_EQ(0, ioasidbpf_decisions_open(&o, &d));
	EXPECT_LE(1, ioasidbpf_decisions_log_size(d));
	EXPECT_LE(0, ioasidbpf_decisions_fd(d));
	/* The history, in order, then nothing. */
	while ((rc = ioasidbpf_decisions_read(d, &rec, 0)) == 1) {
		EXPECT_LT(last, rec.hdr.seq);
		last = rec.hdr.seq;
	}
	ASSERT_EQ(0, rc);

	dry_init(&dr, 0x1234, 0x5a5a, IOASID_IOMMU_CAP_ENFORCE_COHERENCY);
	ASSERT_EQ(0, ioasidbpf_dry_run(&dr));
	ASSERT_EQ(1, read_until(d, &rec, 0x1234, 0x5a5a));
	EXPECT_LT(last, rec.hdr.seq);
	EXPECT_EQ(sizeof(rec), rec.hdr.size);
	EXPECT_EQ(IOASID_DECISION_RECORD_VERSION, rec.hdr.version);
	EXPECT_EQ(IOASID_POLICY_OP_ATTACH, rec.hdr.kind);
	EXPECT_EQ(0, rec.hdr.lost);
	EXPECT_NE(0, rec.hdr.time_ns);
	EXPECT_TRUE(rec.req_flags & IOASID_REQ_DRY_RUN);
	EXPECT_EQ(0, rec.error);
	EXPECT_EQ(IOASID_SNOOP_ENFORCE, rec.snoop);
	EXPECT_STREQ("builtin", rec.policy);
	EXPECT_STREQ("IOMMU can enforce snooping", rec.policy_reason);
	EXPECT_STREQ("", rec.core_reason);
	EXPECT_EQ(0, ioasidbpf_decisions_read(d, &rec, 0));
	ioasidbpf_decisions_close(d);
	ioasidbpf_decisions_close(NULL);

	/* No history: nothing to read until a new decision. */
	o.no_history = true;
	ASSERT_EQ(0, ioasidbpf_decisions_open(&o, &d));
	EXPECT_EQ(0, ioasidbpf_decisions_read(d, &rec, 0));
	ioasidbpf_decisions_close(d);

	/* An older caller's struct: no_history lies past its sz, not read. */
	ASSERT_EQ(0, ioasidbpf_decisions_open(&old, &d));
	EXPECT_EQ(1, read_until(d, &rec, 0x1234, 0x5a5a));
	ioasidbpf_decisions_close(d);
	/* A newer caller's: a zero tail is fine, a non-zero one is not. */
	ASSERT_EQ(0, ioasidbpf_decisions_open(&big.o, &d));
	ioasidbpf_decisions_close(d);
	big.future = 7;
	d = (void *)1;
	EXPECT_EQ(-EINVAL, ioasidbpf_decisions_open(&big.o, &d));
	EXPECT_EQ(NULL, d);
}

TEST_F(lib, unprivileged_caller)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		struct ioasid_policy_dry_run dr;
		struct ioasidbpf_status *all = NULL;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (ioasidbpf_preflight(ROOT) != -EPERM ||
		    !strstr(ioasidbpf_errmsg(), "CAP_BPF"))
			_exit(11);
		if (load("vfio_compat", -1, 0) != -EPERM)
			_exit(12);
		dry_init(&dr, 1, 1, 0);
		if (ioasidbpf_dry_run(&dr) != -EPERM ||
		    !strstr(ioasidbpf_errmsg(), "CAP_SYS_ADMIN"))
			_exit(13);
		if (ioasidbpf_bypass(1) != -EACCES && ioasidbpf_bypass(1) != -EPERM)
			_exit(14);
		/* Reading the status needs no privilege. */
		if (ioasidbpf_status(ROOT, &all) < 0)
			_exit(15);
		free(all);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
