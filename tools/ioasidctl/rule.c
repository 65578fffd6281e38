// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidctl rule: the operator rules of the default policies, edited in
 * their pinned maps (no reload):
 *
 *   rule add nosnoop KEY ACTION [snoop enforce|nosnoop|default] [flush]
 *            [flush-rate N/s] [flush-burst N] [pasid MIN-MAX] [errno E]
 *   rule del nosnoop KEY
 *   rule add|del strict device VENDOR:DEVICE
 *   rule add|del strict pasid-driver NAME
 *   rule list
 *
 * KEY is bdf ADDR, subsys VENDOR:DEVICE, VENDOR:DEVICE, driver NAME, uid
 * N, cgroup PATH or default (asked in that order); ACTION is allow, deny
 * or defer. "allow" in the nosnoop table means no-snoop unless a snoop
 * mode is given. After a change the kernel re-decides the attachments in
 * force (IOASID_POLICY_REVALIDATE).
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "ioasidctl.h"

static const char rule_usage[] =
	"usage: ioasidctl rule COMMAND\n"
	"  add nosnoop KEY allow|deny|defer [snoop enforce|nosnoop|default] [flush]\n"
	"      [flush-rate N/s] [flush-burst N] [pasid MIN-MAX] [errno NAME|N]\n"
	"  del nosnoop KEY\n"
	"  add|del strict device VENDOR:DEVICE     allowed although not coherent\n"
	"  add|del strict pasid-driver NAME        driver allowed PASIDs\n"
	"  list                                    every rule of the loaded policies\n"
	"KEY: bdf [SSSS:]BB:DD.F | subsys VENDOR:DEVICE | VENDOR:DEVICE | driver NAME\n"
	"     | uid N | cgroup PATH | default   (the first that matches decides)\n"
	"Attachments in force are re-decided after every add and del.\n"
	"Example: ioasidctl rule add nosnoop 8086:1234 allow flush-rate 100/s\n";

/* The driver name of a key: 0, or -1 after a usage message. */
static int set_driver(struct ioasidbpf_rule_key *k, const char *name)
{
	if (strlen(name) >= sizeof(k->driver)) {
		usage_error("driver name '%s' is too long", name);
		return -1;
	}
	snprintf(k->driver, sizeof(k->driver), "%s", name);
	return 0;
}

/* A uid, by number or user name: 0, or -1 after a usage message. */
static int parse_uid(const char *s, __u32 *uid)
{
	struct passwd *pw;
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s && !*end && !errno && v < 0xffffffffUL) {
		*uid = v;
		return 0;
	}
	pw = getpwnam(s);
	if (!pw) {
		usage_error("uid '%s': not a number nor a user name", s);
		return -1;
	}
	*uid = pw->pw_uid;
	return 0;
}

/* Parse the key words; returns words used, or -1 after a usage message. */
static int parse_key(int argc, char **argv, bool strict,
		     struct ioasidbpf_rule_key *k)
{
	memset(k, 0, sizeof(*k));
	if (argc < 1) {
		usage_error("a rule needs a key (see ioasidctl rule --help)");
		return -1;
	}
	if (strict) {
		if (argc < 2) {
			usage_error("strict rules: device VENDOR:DEVICE or pasid-driver NAME");
			return -1;
		}
		if (!strcmp(argv[0], "device")) {
			k->kind = IOASIDBPF_RULE_STRICT_DEVICE;
			if (ioasidbpf_parse_pci_id(argv[1], &k->vendor, &k->device)) {
				usage_error("%s", ioasidbpf_errmsg());
				return -1;
			}
		} else if (!strcmp(argv[0], "pasid-driver")) {
			k->kind = IOASIDBPF_RULE_STRICT_PASID_DRIVER;
			if (set_driver(k, argv[1]))
				return -1;
		} else {
			usage_error("strict rules: device VENDOR:DEVICE or pasid-driver NAME, not '%s'",
				    argv[0]);
			return -1;
		}
		return 2;
	}
	if (!strcmp(argv[0], "default")) {
		k->kind = IOASIDBPF_RULE_DEFAULT;
		return 1;
	}
	if (!strcmp(argv[0], "driver") || !strcmp(argv[0], "cgroup") ||
	    !strcmp(argv[0], "bdf") || !strcmp(argv[0], "subsys") ||
	    !strcmp(argv[0], "uid")) {
		if (argc < 2) {
			usage_error("'%s' needs a value", argv[0]);
			return -1;
		}
		if (!strcmp(argv[0], "bdf") || !strcmp(argv[0], "subsys")) {
			bool bdf = argv[0][0] == 'b';

			k->kind = bdf ? IOASIDBPF_RULE_BDF : IOASIDBPF_RULE_SUBSYS;
			if (bdf ? ioasidbpf_parse_bdf(argv[1], &k->bdf) :
			    ioasidbpf_parse_pci_id(argv[1], &k->vendor, &k->device)) {
				usage_error("%s", ioasidbpf_errmsg());
				return -1;
			}
		} else if (!strcmp(argv[0], "uid")) {
			k->kind = IOASIDBPF_RULE_UID;
			if (parse_uid(argv[1], &k->uid))
				return -1;
		} else if (argv[0][0] == 'd') {
			k->kind = IOASIDBPF_RULE_DRIVER;
			if (set_driver(k, argv[1]))
				return -1;
		} else {
			k->kind = IOASIDBPF_RULE_CGROUP;
			if (cgroup_path_id(argv[1], &k->cgroup_id))
				return -1;
		}
		return 2;
	}
	k->kind = IOASIDBPF_RULE_ID;
	if (ioasidbpf_parse_pci_id(argv[0], &k->vendor, &k->device)) {
		usage_error("%s", ioasidbpf_errmsg());
		return -1;
	}
	return 1;
}

static int parse_u32(const char *s, const char *suffix, __u32 *val)
{
	size_t n = strlen(s), sl = suffix ? strlen(suffix) : 0;
	char buf[32], *end;
	unsigned long v;

	if (sl && n > sl && !strcmp(s + n - sl, suffix))
		n -= sl;
	if (!n || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	errno = 0;
	v = strtoul(buf, &end, 0);
	if (errno || *end || v > 0xffffffffUL)
		return -1;
	*val = v;
	return 0;
}

static int parse_errno(const char *s, __u32 *val)
{
	int e;

	if (!parse_u32(s, NULL, val))
		return *val && *val < 4096 ? 0 : -1;
	for (e = 1; e < 4096; e++) {
		const char *name = strerrorname_np(e);

		if (name && !strcasecmp(name, s)) {
			*val = e;
			return 0;
		}
	}
	return -1;
}

static int parse_rule(int argc, char **argv, struct ioasid_rule *r)
{
	bool snoop_given = false;
	int i;

	memset(r, 0, sizeof(*r));
	if (argc < 1)
		return usage_error("a nosnoop rule needs allow, deny or defer");
	if (!strcmp(argv[0], "allow"))
		r->action = IOASID_RULE_ALLOW;
	else if (!strcmp(argv[0], "deny"))
		r->action = IOASID_RULE_DENY;
	else if (!strcmp(argv[0], "defer"))
		r->action = IOASID_RULE_DEFER;
	else
		return usage_error("'%s': want allow, deny or defer", argv[0]);
	for (i = 1; i < argc; i++) {
		const char *w = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(w, "flush")) {
			r->flags |= IOASID_RULE_F_FLUSH;
			continue;
		}
		if (!v)
			return usage_error("'%s' needs a value", w);
		i++;
		if (!strcmp(w, "snoop")) {
			snoop_given = true;
			if (!strcmp(v, "enforce"))
				r->snoop = IOASID_SNOOP_ENFORCE;
			else if (!strcmp(v, "nosnoop") || !strcmp(v, "no-snoop"))
				r->snoop = IOASID_SNOOP_ALLOW_NOSNOOP;
			else if (!strcmp(v, "default"))
				r->snoop = IOASID_SNOOP_DEFAULT;
			else
				return usage_error("snoop '%s': want enforce, nosnoop or default", v);
		} else if (!strcmp(w, "flush-rate")) {
			if (parse_u32(v, "/s", &r->flush_rate))
				return usage_error("flush-rate '%s': want N/s", v);
			r->flags |= IOASID_RULE_F_FLUSH;
		} else if (!strcmp(w, "flush-burst")) {
			if (parse_u32(v, NULL, &r->flush_burst) || !r->flush_burst)
				return usage_error("flush-burst '%s': want N > 0", v);
			r->flags |= IOASID_RULE_F_FLUSH;
		} else if (!strcmp(w, "pasid")) {
			char lo[16];
			const char *dash = strchr(v, '-');

			if (!dash || dash - v >= (long)sizeof(lo))
				return usage_error("pasid '%s': want MIN-MAX", v);
			memcpy(lo, v, dash - v);
			lo[dash - v] = 0;
			if (parse_u32(lo, NULL, &r->pasid_min) ||
			    parse_u32(dash + 1, NULL, &r->pasid_max))
				return usage_error("pasid '%s': want MIN-MAX", v);
			r->flags |= IOASID_RULE_F_PASID;
		} else if (!strcmp(w, "errno")) {
			if (parse_errno(v, &r->deny_errno))
				return usage_error("errno '%s': want a name (EACCES) or 1..4095", v);
		} else {
			return usage_error("unexpected '%s' (see ioasidctl rule --help)", w);
		}
	}
	if (r->action == IOASID_RULE_ALLOW && !snoop_given)
		r->snoop = IOASID_SNOOP_ALLOW_NOSNOOP;
	if ((r->flags & IOASID_RULE_F_FLUSH) && !r->flush_burst && r->flush_rate)
		r->flush_burst = 1;
	if (ioasidbpf_rule_validate(r))
		return usage_error("%s", ioasidbpf_errmsg());
	return 0;
}

static void key_text(const struct ioasidbpf_rule_key *k, char *buf, size_t len)
{
	switch (k->kind) {
	case IOASIDBPF_RULE_ID:
	case IOASIDBPF_RULE_STRICT_DEVICE:
		snprintf(buf, len, "%s%04x:%04x",
			 k->kind == IOASIDBPF_RULE_ID ? "" : "device ", k->vendor, k->device);
		break;
	case IOASIDBPF_RULE_DRIVER:
		snprintf(buf, len, "driver %s", k->driver);
		break;
	case IOASIDBPF_RULE_STRICT_PASID_DRIVER:
		snprintf(buf, len, "pasid-driver %s", k->driver);
		break;
	case IOASIDBPF_RULE_CGROUP:
		snprintf(buf, len, "cgroup %llu", (unsigned long long)k->cgroup_id);
		break;
	case IOASIDBPF_RULE_DEFAULT:
		snprintf(buf, len, "default");
		break;
	case IOASIDBPF_RULE_BDF:
		snprintf(buf, len, "bdf %04x:%02x:%02x.%x", k->bdf >> 16, (k->bdf >> 8) & 0xff,
			 (k->bdf >> 3) & 0x1f, k->bdf & 7);
		break;
	case IOASIDBPF_RULE_SUBSYS:
		snprintf(buf, len, "subsys %04x:%04x", k->vendor, k->device);
		break;
	case IOASIDBPF_RULE_UID:
		snprintf(buf, len, "uid %u", k->uid);
		break;
	}
}

bool rule_kind_strict(enum ioasidbpf_rule_kind kind)
{
	return kind == IOASIDBPF_RULE_STRICT_DEVICE || kind == IOASIDBPF_RULE_STRICT_PASID_DRIVER;
}

static const char *action_text(__u32 a)
{
	return a == IOASID_RULE_ALLOW ? "allow" : a == IOASID_RULE_DENY ? "deny" : "defer";
}

/* The words of a nosnoop rule body, as rule add takes them. */
void rule_body_text(const struct ioasid_rule *r, char *buf, size_t len)
{
	size_t n;

	n = snprintf(buf, len, "%s", action_text(r->action));
	if (r->action == IOASID_RULE_ALLOW && n < len)
		n += snprintf(buf + n, len - n, " snoop %s", snoop_name(r->snoop));
	if ((r->flags & IOASID_RULE_F_FLUSH) && n < len) {
		if (r->flush_rate)
			n += snprintf(buf + n, len - n, " flush-rate %u/s flush-burst %u",
				      r->flush_rate, r->flush_burst);
		else
			n += snprintf(buf + n, len - n, " flush");
	}
	if ((r->flags & IOASID_RULE_F_PASID) && n < len)
		n += snprintf(buf + n, len - n, " pasid %u-%u", r->pasid_min, r->pasid_max);
	if (r->deny_errno && n < len)
		snprintf(buf + n, len - n, " errno %s", strerrorname_np(r->deny_errno) ?: "?");
}

static int rule_one(const struct ioasidbpf_rule_key *k, const struct ioasid_rule *r,
		    void *arr)
{
	bool strict = rule_kind_strict(k->kind);
	char key[64], body[160];

	key_text(k, key, sizeof(key));
	if (ctl.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "table", json_object_new_string(strict ? "strict" : "nosnoop"));
		json_object_object_add(o, "key", json_object_new_string(key));
		if (r) {
			json_object_object_add(o, "action", json_object_new_string(action_text(r->action)));
			json_object_object_add(o, "snoop", json_object_new_string(snoop_name(r->snoop)));
			json_object_object_add(o, "flush", json_object_new_boolean(r->flags & IOASID_RULE_F_FLUSH));
			json_object_object_add(o, "flush_rate", json_object_new_int64(r->flush_rate));
			json_object_object_add(o, "flush_burst", json_object_new_int64(r->flush_burst));
			if (r->flags & IOASID_RULE_F_PASID) {
				json_object_object_add(o, "pasid_min", json_object_new_int64(r->pasid_min));
				json_object_object_add(o, "pasid_max", json_object_new_int64(r->pasid_max));
			}
			if (r->deny_errno)
				json_object_object_add(o, "errno", json_object_new_int64(r->deny_errno));
		}
		json_object_array_add(arr, o);
		return 0;
	}
	if (r)
		rule_body_text(r, body, sizeof(body));
	printf("%-8s %-24s %s\n", strict ? "strict" : "nosnoop", key, r ? body : "allowed");
	return 0;
}

static int rule_list(void)
{
	struct json_object *arr = json_object_new_array();
	int err;

	err = ioasidbpf_rule_foreach(ctl.pin_root, rule_one, arr);
	if (err) {
		json_object_put(arr);
		return lib_fail(err);
	}
	if (ctl.json)
		emit_json(arr);
	else
		json_object_put(arr);
	return EXIT_OK;
}

/*
 * The kernel does not see map writes: have it re-decide the attachments
 * in force. Says what changed (nothing when nothing did), in @o for -j.
 */
int rule_revalidate(struct json_object *o)
{
	struct ioasid_policy_revalidate rv;
	int err = ioasidbpf_revalidate(&rv);

	if (err)
		return err;
	if (o) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "attachments", json_object_new_int64(rv.out_nr_attachments));
		json_object_object_add(r, "changed", json_object_new_int64(rv.out_nr_changed));
		json_object_object_add(r, "needs_reattach", json_object_new_int64(rv.out_nr_reattach));
		json_object_object_add(r, "revoked", json_object_new_int64(rv.out_nr_revoked));
		json_object_object_add(o, "revalidated", r);
	} else if (rv.out_nr_changed || rv.out_nr_reattach || rv.out_nr_revoked) {
		printf("revalidated %u attachments: %u changed, %u need a re-attach, %u revoked\n",
		       rv.out_nr_attachments, rv.out_nr_changed, rv.out_nr_reattach,
		       rv.out_nr_revoked);
	}
	return 0;
}

int rule_parse(bool add, int argc, char **argv, struct rule_spec *spec)
{
	int used, err;

	memset(spec, 0, sizeof(*spec));
	if (argc < 1 || (strcmp(argv[0], "nosnoop") && strcmp(argv[0], "strict")))
		return usage_error("rule %s: the table is nosnoop or strict", add ? "add" : "del");
	spec->strict = !strcmp(argv[0], "strict");
	used = parse_key(argc - 1, argv + 1, spec->strict, &spec->key);
	if (used < 0)
		return EXIT_USAGE;
	argc -= 1 + used;
	argv += 1 + used;
	if (add && !spec->strict) {
		err = parse_rule(argc, argv, &spec->rule);
		if (err)
			return err;
	} else if (argc) {
		return usage_error("unexpected '%s'", argv[0]);
	}
	return 0;
}

void rule_key_text(const struct ioasidbpf_rule_key *k, char *buf, size_t len)
{
	key_text(k, buf, len);
}

static int rule_change(bool add, int argc, char **argv)
{
	struct rule_spec spec;
	struct ioasidbpf_rule_key k;
	struct ioasid_rule r;
	bool strict;
	char key[64];
	int err;

	err = rule_parse(add, argc, argv, &spec);
	if (err)
		return err;
	k = spec.key;
	r = spec.rule;
	strict = spec.strict;
	err = add ? ioasidbpf_rule_add(ctl.pin_root, &k, strict ? NULL : &r) :
		    ioasidbpf_rule_del(ctl.pin_root, &k);
	if (err)
		return lib_fail(err);
	key_text(&k, key, sizeof(key));
	if (ctl.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "result", json_object_new_string(add ? "added" : "deleted"));
		json_object_object_add(o, "table", json_object_new_string(strict ? "strict" : "nosnoop"));
		json_object_object_add(o, "key", json_object_new_string(key));
		err = rule_revalidate(o);
		emit_json(o);
	} else {
		printf("%s %s rule %s\n", add ? "added" : "deleted",
		       strict ? "strict" : "nosnoop", key);
		err = rule_revalidate(NULL);
	}
	return err ? lib_fail(err) : EXIT_OK;
}

static int rule_list_cmd(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return rule_list();
}

static int rule_change_cmd(int argc, char **argv)
{
	return rule_change(!strcmp(argv[0], "add"), argc - 1, argv + 1);
}

static const struct cmd rule_cmds[] = {
	{ .name = "list", .fn = rule_list_cmd, .no_args = true },
	{ .name = "add", .fn = rule_change_cmd },
	{ .name = "del", .fn = rule_change_cmd },
	{}
};

int cmd_rule(int argc, char **argv)
{
	return cmd_select("rule", rule_cmds, rule_usage, argc, argv);
}
