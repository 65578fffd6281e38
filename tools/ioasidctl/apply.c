// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidctl apply [--dry-run] [--nodes-only] [FILE]
 *
 * Make the running state what the configuration (ioasid.conf(5), default
 * /etc/ioasid/ioasid.conf and its .d directory) says: its policies
 * registered with their priority and shadow flag, its rules in the pinned
 * rule maps, the device nodes' owner, group and mode.
 *
 * The whole configuration is parsed (every policy object opened) before
 * anything changes: a bad line changes nothing and is the one error,
 * "FILE:LINE: reason". Then the difference is computed against what runs
 * and printed ("- " for what goes, "+ " for what comes; a change is both),
 * and unless --dry-run, made. Nothing to do prints "no change".
 *
 * Ownership: apply removes only what it made. It records the policies it
 * registered (name and link id) and the rules it stored (key and body) in
 * a state file under /run/ioasid (one per pin root; /run is empty after a
 * reboot, as bpffs is). A policy or rule in neither the file nor the state
 * (loaded by hand, by bpftool, by another tool) is left alone; one the file
 * names is made as the file says and owned from then on. Whoever changes an
 * owned policy's link or an owned rule's body by hand takes it back.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define STATE_DIR "/run/ioasid"
#define NODE_DIR "/dev/ioasid-dev"

static const char apply_usage[] =
	"usage: ioasidctl apply [--dry-run] [--nodes-only] [FILE]\n"
	"Make the running policies, rules and device nodes what FILE (default\n"
	CONF_DEFAULT ", then FILE.d/*.conf) says; see ioasid.conf(5).\n"
	"The file is checked completely first: a bad line changes nothing.\n"
	"  --dry-run     print the difference (- goes, + comes), change nothing\n"
	"  --nodes-only  only the device nodes' owner, group and mode (udev)\n";

/* What apply made, as recorded in the state file. */
struct owned_policy {
	char name[IOASID_POLICY_NAME_LEN];
	__u32 link_id;
	long long priority;
	int shadow;
	unsigned long long hash;
	char what[PATH_MAX];
	char map[64];
};

struct state {
	struct owned_policy *policies;
	size_t nr_policies;
	struct rule_spec *rules;
	size_t nr_rules;
};

struct running_rules {
	struct rule_spec *rules;
	size_t nr;
};

struct apply {
	const char *file;
	bool dry_run;
	size_t changes;
	struct json_object *arr;	/* -j: the change lines */
};

/* One change line, "+ ..." or "- ...". */
__attribute__((format(printf, 2, 3)))
static void change(struct apply *ap, const char *fmt, ...)
{
	char line[1024];
	va_list ap_;

	va_start(ap_, fmt);
	vsnprintf(line, sizeof(line), fmt, ap_);
	va_end(ap_);
	ap->changes++;
	if (ap->arr)
		json_object_array_add(ap->arr, json_object_new_string(line));
	else
		printf("%s\n", line);
}

static bool rules_changed(const bool *del, size_t nr_del, const bool *add, size_t nr_add)
{
	size_t i;

	for (i = 0; i < nr_del; i++)
		if (del[i])
			return true;
	for (i = 0; i < nr_add; i++)
		if (add[i])
			return true;
	return false;
}

static void rule_text(const struct rule_spec *r, char *buf, size_t len)
{
	char key[128], body[256] = "";

	rule_key_text(&r->key, key, sizeof(key));
	if (!r->strict)
		rule_body_text(&r->rule, body, sizeof(body));
	snprintf(buf, len, "rule %s %s%s%s", r->strict ? "strict" : "nosnoop", key,
		 body[0] ? " " : "", body);
}

static void policy_text(const char *name, const char *what, long long priority,
			bool shadow, char *buf, size_t len)
{
	char prio[32] = "";

	if (priority >= 0)
		snprintf(prio, sizeof(prio), " priority %lld", priority);
	/* A default policy's name is its name: "from" only for a file. */
	if (what && !strcmp(what, name))
		what = NULL;
	snprintf(buf, len, "policy %s%s%s%s%s", name, what ? " from " : "", what ? what : "",
		 prio, shadow ? " shadow" : "");
}

/* --- the state file ------------------------------------------------------ */

static void state_path(char *buf, size_t len)
{
	const char *root = ctl.pin_root ? ctl.pin_root : IOASIDBPF_PIN_ROOT;
	char esc[PATH_MAX];
	size_t i;

	if (!strcmp(root, IOASIDBPF_PIN_ROOT)) {
		snprintf(buf, len, STATE_DIR "/apply.state");
		return;
	}
	for (i = 0; root[i] && i + 1 < sizeof(esc); i++)
		esc[i] = root[i] == '/' ? '_' : root[i];
	esc[i] = 0;
	snprintf(buf, len, STATE_DIR "/apply%s.state", esc);
}

static void hex_put(FILE *f, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

static int hex_get(const char *s, void *p, size_t n)
{
	unsigned char *b = p;
	size_t i;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		b[i] = v;
	}
	return 0;
}

/* A missing or unreadable state means apply owns nothing. */
static void state_read(struct state *st)
{
	char path[PATH_MAX + 32], *line = NULL;
	size_t cap = 0;
	FILE *f;

	memset(st, 0, sizeof(*st));
	state_path(path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		struct owned_policy op = { 0 };
		struct rule_spec rs = { 0 };
		char key[1024], body[1024], what[PATH_MAX], map[64];
		int strict;
		void *grown;

		if (sscanf(line, "policy %15s %u %lld %d %llx %4095s %63s", op.name, &op.link_id,
			   &op.priority, &op.shadow, &op.hash, what, map) == 7) {
			snprintf(op.what, sizeof(op.what), "%s", what);
			snprintf(op.map, sizeof(op.map), "%s", strcmp(map, "-") ? map : "");
			grown = realloc(st->policies, (st->nr_policies + 1) * sizeof(op));
			if (!grown)
				break;
			st->policies = grown;
			st->policies[st->nr_policies++] = op;
		} else if (sscanf(line, "rule %d %1023s %1023s", &strict, key, body) == 3 &&
			   !hex_get(key, &rs.key, sizeof(rs.key)) &&
			   !hex_get(body, &rs.rule, sizeof(rs.rule))) {
			rs.strict = strict;
			grown = realloc(st->rules, (st->nr_rules + 1) * sizeof(rs));
			if (!grown)
				break;
			st->rules = grown;
			st->rules[st->nr_rules++] = rs;
		}
	}
	free(line);
	fclose(f);
}

static int state_write(const struct conf *c, const struct ioasidbpf_status *run, int nr_run,
		       const bool *rule_owned)
{
	char path[PATH_MAX + 32], tmp[PATH_MAX + 48], text[512];
	size_t i;
	int j;
	FILE *f;

	state_path(path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (mkdir(STATE_DIR, 0755) && errno != EEXIST)
		return fail("%s: %s", STATE_DIR, strerror(errno));
	f = fopen(tmp, "w");
	if (!f)
		return fail("%s: %s", tmp, strerror(errno));
	fprintf(f, "# ioasidctl apply: what it registered and stored (pin root %s).\n"
		"# Only these are removed when the configuration drops them.\n",
		ctl.pin_root ? ctl.pin_root : IOASIDBPF_PIN_ROOT);
	for (i = 0; i < c->nr_policies; i++) {
		const struct conf_policy *p = &c->policies[i];

		for (j = 0; j < nr_run; j++)
			if (!strcmp(run[j].name, p->name))
				break;
		if (j == nr_run)
			continue;
		fprintf(f, "policy %s %u %lld %d %llx %s %s\n", p->name, run[j].link_id,
			p->priority, p->shadow, p->hash, p->what, p->map[0] ? p->map : "-");
	}
	for (i = 0; i < c->nr_rules; i++) {
		if (!rule_owned[i])
			continue;
		rule_text(&c->rules[i].spec, text, sizeof(text));
		fprintf(f, "# %s\nrule %d ", text, c->rules[i].spec.strict);
		hex_put(f, &c->rules[i].spec.key, sizeof(c->rules[i].spec.key));
		fputc(' ', f);
		hex_put(f, &c->rules[i].spec.rule, sizeof(c->rules[i].spec.rule));
		fputc('\n', f);
	}
	if (fclose(f) || rename(tmp, path))
		return fail("%s: %s", path, strerror(errno));
	return 0;
}

/* --- what runs ----------------------------------------------------------- */

static int collect_rule(const struct ioasidbpf_rule_key *k, const struct ioasid_rule *r,
			void *ctx)
{
	struct running_rules *rr = ctx;
	struct rule_spec *grown;

	grown = realloc(rr->rules, (rr->nr + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	rr->rules = grown;
	memset(&grown[rr->nr], 0, sizeof(*grown));
	grown[rr->nr].strict = rule_kind_strict(k->kind);
	grown[rr->nr].key = *k;
	if (r)
		grown[rr->nr].rule = *r;
	rr->nr++;
	return 0;
}

static int running_rules(struct running_rules *rr)
{
	int err;

	memset(rr, 0, sizeof(*rr));
	err = ioasidbpf_rule_foreach(ctl.pin_root, collect_rule, rr);
	/* No rule map pinned yet: no rules. */
	if (err == -ENOENT)
		return 0;
	return err ? lib_fail(err) : 0;
}

static const struct rule_spec *find_rule(const struct rule_spec *rules, size_t n,
					 const struct rule_spec *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rule_key_equal(&rules[i], key))
			return &rules[i];
	return NULL;
}

static bool rule_same(const struct rule_spec *a, const struct rule_spec *b)
{
	return rule_key_equal(a, b) && !memcmp(&a->rule, &b->rule, sizeof(a->rule));
}

/* An unset default rule reads back as nothing: "default defer" is that. */
static bool rule_is_nothing(const struct rule_spec *r)
{
	static const struct ioasid_rule none;

	return r->key.kind == IOASIDBPF_RULE_DEFAULT && !memcmp(&r->rule, &none, sizeof(none));
}

/* --- the device nodes ---------------------------------------------------- */

static void owner_text(uid_t uid, gid_t gid, mode_t mode, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);
	struct group *gr = getgrgid(gid);
	char u[32], g[32];

	snprintf(u, sizeof(u), "%u", uid);
	snprintf(g, sizeof(g), "%u", gid);
	snprintf(buf, len, "owner %s group %s mode %04o", pw ? pw->pw_name : u,
		 gr ? gr->gr_name : g, mode & 07777);
}

static int node_apply(struct apply *ap, const struct conf_nodes *n, const char *path)
{
	char was[160], now[160];
	struct stat st;
	uid_t uid;
	gid_t gid;
	mode_t mode;

	if (stat(path, &st))
		return errno == ENOENT ? 0 : fail("%s: %s", path, strerror(errno));
	uid = n->uid >= 0 ? (uid_t)n->uid : st.st_uid;
	gid = n->gid >= 0 ? (gid_t)n->gid : st.st_gid;
	mode = n->mode >= 0 ? (mode_t)n->mode : st.st_mode & 07777;
	if (uid == st.st_uid && gid == st.st_gid && mode == (st.st_mode & 07777))
		return 0;
	owner_text(st.st_uid, st.st_gid, st.st_mode, was, sizeof(was));
	owner_text(uid, gid, mode, now, sizeof(now));
	change(ap, "- nodes %s %s", path, was);
	change(ap, "+ nodes %s %s", path, now);
	if (ap->dry_run)
		return 0;
	if (chown(path, uid, gid) || chmod(path, mode))
		return fail("%s: %s", path, strerror(errno));
	return 0;
}

static int nodes_apply(struct apply *ap, const struct conf_nodes *n)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc;

	if (n->uid < 0 && n->gid < 0 && n->mode < 0)
		return 0;
	rc = node_apply(ap, n, "/dev/ioasid");
	d = opendir(NODE_DIR);
	if (!d)
		return rc;
	while (!rc && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), NODE_DIR "/%s", de->d_name);
		rc = node_apply(ap, n, path);
	}
	closedir(d);
	return rc;
}

/* --- policies ------------------------------------------------------------ */

static const struct ioasidbpf_status *find_running(const struct ioasidbpf_status *run, int n,
						   const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(run[i].name, name))
			return &run[i];
	return NULL;
}

/* Did apply register @r (and nobody replaced its link since)? */
static const struct owned_policy *owned_policy(const struct state *st,
					       const struct ioasidbpf_status *r)
{
	size_t i;

	for (i = 0; i < st->nr_policies; i++)
		if (!strcmp(st->policies[i].name, r->name) && st->policies[i].link_id == r->link_id)
			return &st->policies[i];
	return NULL;
}

enum policy_action { PA_NONE, PA_LOAD, PA_REPLACE, PA_RELOAD };

static enum policy_action policy_plan(const struct conf_policy *p, const struct state *st,
				      const struct ioasidbpf_status *run, int nr_run)
{
	const struct ioasidbpf_status *r = find_running(run, nr_run, p->name);
	const struct owned_policy *o;

	if (!r)
		return PA_LOAD;
	/* The shadow flag is set at registration: only a new one changes it. */
	if (r->shadow != p->shadow)
		return PA_RELOAD;
	o = owned_policy(st, r);
	/* Not ours yet: take it over, with the file's object. */
	if (!o)
		return PA_REPLACE;
	if (strcmp(o->what, p->what) || o->hash != p->hash || strcmp(o->map, p->map) ||
	    o->priority != p->priority)
		return PA_REPLACE;
	return PA_NONE;
}

static int policy_do(const struct conf_policy *p, enum policy_action act)
{
	static char log[65536];
	struct load_args a = {
		.what = p->what, .map = p->map[0] ? p->map : NULL,
		.priority = p->priority, .shadow = p->shadow,
	};
	struct ioasidbpf_policy *bp;
	int rc, err;

	if (act == PA_RELOAD) {
		err = ioasidbpf_unload(p->name, ctl.pin_root);
		if (err)
			return lib_fail(err);
	}
	rc = open_policy(&a, &bp, log, sizeof(log));
	if (rc)
		return rc;
	/* Replace keeps the running priority unless one is set: set it. */
	ioasidbpf_policy_set_priority(bp, ioasidbpf_policy_priority(bp));
	err = act == PA_REPLACE ? ioasidbpf_policy_replace(bp, p->name) :
				  ioasidbpf_policy_attach(bp);
	ioasidbpf_policy_close(bp);
	if (err) {
		rc = report(EXIT_FAILED, "%s: %s", p->where, ioasidbpf_errmsg());
		if (log[0])
			fprintf(stderr, "--- verifier log ---\n%s\n--- end of verifier log ---\n",
				log);
	}
	return rc;
}

/* --- apply --------------------------------------------------------------- */

/* A configuration error: the one line FILE:LINE: reason (-j: as JSON). */
static int conf_error(const char *msg)
{
	if (ctl.json)
		print_error(msg);
	else
		fprintf(stderr, "%s\n", msg);
	return EXIT_FAILED;
}

/* Rules need the policy owning their table, running or in the file. */
static int check_tables(const struct conf *c, const struct ioasidbpf_status *run, int nr_run)
{
	size_t i, j;

	for (i = 0; i < c->nr_rules; i++) {
		const char *owner = c->rules[i].spec.strict ? "strict" : "nosnoop_rules";
		bool found = find_running(run, nr_run, owner);

		for (j = 0; j < c->nr_policies && !found; j++)
			found = !strcmp(c->policies[j].name, owner);
		if (!found)
			return -(int)i - 1;
	}
	return 0;
}

static int apply_all(struct apply *ap, const struct conf *c)
{
	struct ioasidbpf_status *run = NULL;
	struct running_rules rr = { 0 };
	struct state st;
	enum policy_action *pact = NULL;
	bool *rule_owned = NULL, *rule_add = NULL, *run_del = NULL, *pol_del = NULL;
	char text[512], old[512];
	int nr_run, rc = EXIT_OK, bad;
	size_t i;

	nr_run = ioasidbpf_status(ctl.pin_root, &run);
	if (nr_run < 0) {
		lib_fail(nr_run);
		return nr_run == -ENOENT ? EXIT_ENV : EXIT_FAILED;
	}
	bad = check_tables(c, run, nr_run);
	if (bad) {
		const struct conf_rule *r = &c->rules[-bad - 1];
		char msg[CONF_WHERE_LEN + 128];

		free(run);
		snprintf(msg, sizeof(msg),
			 "%s: the %s policy, which holds this rule's table, is neither running nor in the configuration",
			 r->where, r->spec.strict ? "strict" : "nosnoop_rules");
		return conf_error(msg);
	}
	rc = running_rules(&rr);
	if (rc) {
		free(run);
		return rc;
	}
	state_read(&st);
	pact = calloc(c->nr_policies + 1, sizeof(*pact));
	rule_owned = calloc(c->nr_rules + 1, sizeof(*rule_owned));
	rule_add = calloc(c->nr_rules + 1, sizeof(*rule_add));
	run_del = calloc(rr.nr + 1, sizeof(*run_del));
	pol_del = calloc(nr_run + 1, sizeof(*pol_del));
	if (!pact || !rule_owned || !rule_add || !run_del || !pol_del) {
		rc = fail("out of memory");
		goto out;
	}

	/* The difference: rules that go, policies that go, come, change. */
	for (i = 0; i < rr.nr; i++) {
		const struct rule_spec *r = &rr.rules[i];
		size_t k;

		for (k = 0; k < c->nr_rules; k++)
			if (rule_key_equal(&c->rules[k].spec, r))
				break;
		if (k < c->nr_rules || !find_rule(st.rules, st.nr_rules, r) ||
		    !rule_same(find_rule(st.rules, st.nr_rules, r), r))
			continue;
		run_del[i] = true;
		rule_text(r, text, sizeof(text));
		change(ap, "- %s", text);
	}
	for (i = 0; i < (size_t)nr_run; i++) {
		size_t k;

		for (k = 0; k < c->nr_policies; k++)
			if (!strcmp(c->policies[k].name, run[i].name))
				break;
		if (k < c->nr_policies || !owned_policy(&st, &run[i]))
			continue;
		pol_del[i] = true;
		policy_text(run[i].name, NULL, run[i].priority, run[i].shadow, text, sizeof(text));
		change(ap, "- %s", text);
	}
	for (i = 0; i < c->nr_policies; i++) {
		const struct conf_policy *p = &c->policies[i];
		const struct ioasidbpf_status *r = find_running(run, nr_run, p->name);

		pact[i] = policy_plan(p, &st, run, nr_run);
		if (pact[i] == PA_NONE)
			continue;
		if (r) {
			const struct owned_policy *o = owned_policy(&st, r);

			policy_text(r->name, o ? o->what : NULL, r->priority, r->shadow, old,
				    sizeof(old));
			change(ap, "- %s", old);
		}
		policy_text(p->name, p->what, p->priority, p->shadow, text, sizeof(text));
		change(ap, "+ %s", text);
	}
	for (i = 0; i < c->nr_rules; i++) {
		const struct rule_spec *want = &c->rules[i].spec;
		const struct rule_spec *r = find_rule(rr.rules, rr.nr, want);

		rule_owned[i] = !rule_is_nothing(want);
		if (r ? rule_same(r, want) : rule_is_nothing(want))
			continue;
		rule_add[i] = true;
		if (r) {
			rule_text(r, old, sizeof(old));
			change(ap, "- %s", old);
		}
		rule_text(want, text, sizeof(text));
		change(ap, "+ %s", text);
	}
	if (ap->dry_run) {
		rc = nodes_apply(ap, &c->nodes);
		goto out;
	}

	/* Make it so, in that order. */
	for (i = 0; i < rr.nr && !rc; i++) {
		int err = run_del[i] ? ioasidbpf_rule_del(ctl.pin_root, &rr.rules[i].key) : 0;

		if (err && err != -ENOENT)
			rc = lib_fail(err);
	}
	for (i = 0; i < (size_t)nr_run && !rc; i++) {
		int err = pol_del[i] ? ioasidbpf_unload(run[i].name, ctl.pin_root) : 0;

		if (err && err != -ENOENT)
			rc = lib_fail(err);
	}
	for (i = 0; i < c->nr_policies && !rc; i++)
		if (pact[i] != PA_NONE)
			rc = policy_do(&c->policies[i], pact[i]);
	for (i = 0; i < c->nr_rules && !rc; i++) {
		const struct conf_rule *r = &c->rules[i];
		int err;

		if (!rule_add[i])
			continue;
		err = rule_is_nothing(&r->spec) ?
			ioasidbpf_rule_del(ctl.pin_root, &r->spec.key) :
			ioasidbpf_rule_add(ctl.pin_root, &r->spec.key,
					   r->spec.strict ? NULL : &r->spec.rule);
		if (err)
			rc = report(EXIT_FAILED, "%s: %s", r->where, ioasidbpf_errmsg());
	}
	/*
	 * Policies changed above were re-decided by the kernel itself; rule
	 * map writes it does not see, so the attachments in force are asked
	 * again here (issue 18: a rule change reaches running devices).
	 */
	if (!rc && rules_changed(run_del, rr.nr, rule_add, c->nr_rules)) {
		int err = rule_revalidate(NULL);

		if (err)
			rc = lib_fail(err);
	}
	if (!rc)
		rc = nodes_apply(ap, &c->nodes);

	/* Record what is ours now, also after a failure part way. */
	free(run);
	run = NULL;
	nr_run = ioasidbpf_status(ctl.pin_root, &run);
	if (nr_run >= 0) {
		int err = state_write(c, run, nr_run, rule_owned);

		if (!rc)
			rc = err;
	}
out:
	free(pact);
	free(rule_owned);
	free(rule_add);
	free(run_del);
	free(pol_del);
	free(rr.rules);
	free(st.policies);
	free(st.rules);
	free(run);
	return rc;
}

int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "nodes-only", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct apply ap = { .file = CONF_DEFAULT };
	bool nodes_only = false;
	char err[2048];
	struct conf c;
	int opt, rc;

	optind = 1;
	opterr = 0;
	argc++;
	argv--;
	while ((opt = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			ap.dry_run = true;
			break;
		case 'N':
			nodes_only = true;
			break;
		case 'h':
			fputs(apply_usage, stdout);
			return EXIT_OK;
		default:
			return usage_error("apply: unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return usage_error("apply: unexpected '%s'", argv[optind + 1]);
	if (optind < argc)
		ap.file = argv[optind];

	if (conf_load(ap.file, &c, err, sizeof(err))) {
		conf_free(&c);
		return conf_error(err);
	}
	if (ctl.json)
		ap.arr = json_object_new_array();
	if (nodes_only) {
		rc = nodes_apply(&ap, &c.nodes);
	} else {
		rc = ioasidbpf_preflight(ctl.pin_root);
		/* At boot, before anything mounted bpffs. */
		if (rc == -ENODEV && !ap.dry_run && !ioasidbpf_mount_bpffs())
			rc = ioasidbpf_preflight(ctl.pin_root);
		rc = rc ? need_bpf() : apply_all(&ap, &c);
	}
	conf_free(&c);
	if (ap.arr) {
		if (!rc)
			emit_json(ap.arr);
		else
			json_object_put(ap.arr);
	} else if (!rc && !ap.changes) {
		printf("no change\n");
	}
	return rc;
}
