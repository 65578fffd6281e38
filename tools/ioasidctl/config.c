// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid.conf(5): a small strict line parser. One directive per line,
 * words separated by blanks, '#' starts a comment:
 *
 *   policy NAME|FILE [priority N] [shadow] [map MAP]
 *   rule TABLE KEY [RULE...]          (exactly what "rule add" takes)
 *   nodes [owner USER] [group GROUP] [mode MODE]
 *
 * The words of "policy" and "rule" go to the same parsers as the commands
 * "policy load" and "rule add", so what one accepts the other does.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define MAX_WORDS 64

struct parse {
	struct conf *c;
	const char *file;
	unsigned int line;
	char *err;
	size_t errlen;
};

/* Record the line's error: always -1. */
__attribute__((format(printf, 2, 3)))
static int line_error(struct parse *ps, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s:%u: %s", ps->file, ps->line, msg);
	return -1;
}

static void where(struct parse *ps, char *buf)
{
	snprintf(buf, CONF_WHERE_LEN, "%s:%u", ps->file, ps->line);
}

bool rule_key_equal(const struct rule_spec *a, const struct rule_spec *b)
{
	/* Parsed keys are zeroed first, as the library's decoded ones are. */
	return a->strict == b->strict && !memcmp(&a->key, &b->key, sizeof(a->key));
}

static unsigned long long file_hash(const char *path)
{
	unsigned long long h = 0xcbf29ce484222325ULL;
	FILE *f = fopen(path, "rb");
	int ch;

	if (!f)
		return 0;
	while ((ch = getc(f)) != EOF)
		h = (h ^ (unsigned char)ch) * 0x100000001b3ULL;
	fclose(f);
	return h;
}

static int grow(void **arr, size_t n, size_t size)
{
	void *p;

	if (n && (n < 4 || (n & (n - 1))))
		return 0;
	p = realloc(*arr, (n ? 2 * n : 4) * size);
	if (!p)
		return -1;
	*arr = p;
	return 0;
}

/*
 * A policy's object: a default policy's name, or a path (relative to the
 * configuration file's directory). Opened now, so a missing file, a bad
 * object or a duplicate name is this line's error.
 */
static int parse_policy(struct parse *ps, int argc, char **argv)
{
	struct conf *c = ps->c;
	struct load_args a = { 0 };
	struct ioasidbpf_open_opts o = { .sz = sizeof(o), .pin_root = ctl.pin_root };
	struct ioasidbpf_policy *p;
	struct conf_policy *cp;
	char dir[PATH_MAX];
	size_t i;

	if (argc < 1)
		return line_error(ps, "policy needs a default policy's NAME or a FILE");
	if (parse_load_args(argc - 1, argv + 1, true, &a))
		return line_error(ps, "%s", ctl.errbuf);
	if (grow((void **)&c->policies, c->nr_policies, sizeof(*cp)))
		return line_error(ps, "out of memory");
	cp = &c->policies[c->nr_policies];
	memset(cp, 0, sizeof(*cp));
	if (strchr(argv[0], '/') && argv[0][0] != '/') {
		snprintf(dir, sizeof(dir), "%s", ps->file);
		if (!strcmp(dirname(dir), "."))
			snprintf(cp->what, sizeof(cp->what), "%s", argv[0]);
		else if (snprintf(cp->what, sizeof(cp->what), "%s/%s", dir, argv[0]) >=
			 (int)sizeof(cp->what))
			return line_error(ps, "path too long");
	} else {
		snprintf(cp->what, sizeof(cp->what), "%s", argv[0]);
	}
	if (strchr(cp->what, '/')) {
		if (access(cp->what, R_OK))
			return line_error(ps, "policy file %s: %s", cp->what, strerror(errno));
		cp->hash = file_hash(cp->what);
	} else {
		for (i = 0; i < ioasidbpf_builtin_count(); i++)
			if (!strcmp(ioasidbpf_builtin_name(i), cp->what))
				break;
		if (i == ioasidbpf_builtin_count())
			return line_error(ps, "no default policy '%s' (a file needs a '/' in its path)",
					  cp->what);
	}
	snprintf(cp->map, sizeof(cp->map), "%s", a.map ? a.map : "");
	cp->priority = a.priority;
	cp->shadow = a.shadow;
	o.map_name = a.map;
	if (ioasidbpf_policy_open(cp->what, &o, &p))
		return line_error(ps, "%s", ioasidbpf_errmsg());
	snprintf(cp->name, sizeof(cp->name), "%s", ioasidbpf_policy_name(p));
	ioasidbpf_policy_close(p);
	for (i = 0; i < c->nr_policies; i++)
		if (!strcmp(c->policies[i].name, cp->name))
			return line_error(ps, "policy %s is already given at %s", cp->name,
					  c->policies[i].where);
	where(ps, cp->where);
	c->nr_policies++;
	return 0;
}

static int parse_rule_line(struct parse *ps, int argc, char **argv)
{
	struct conf *c = ps->c;
	struct conf_rule *r;
	size_t i;

	if (grow((void **)&c->rules, c->nr_rules, sizeof(*r)))
		return line_error(ps, "out of memory");
	r = &c->rules[c->nr_rules];
	if (rule_parse(true, argc, argv, &r->spec))
		return line_error(ps, "%s", ctl.errbuf);
	for (i = 0; i < c->nr_rules; i++)
		if (rule_key_equal(&c->rules[i].spec, &r->spec))
			return line_error(ps, "a rule for that key is already given at %s",
					  c->rules[i].where);
	where(ps, r->where);
	c->nr_rules++;
	return 0;
}

/* A user or group: @named (its id by name, or -1), else a number. */
static int parse_id(const char *v, long long named, long long *id)
{
	char *end;

	if (named >= 0) {
		*id = named;
		return 0;
	}
	errno = 0;
	*id = strtoll(v, &end, 10);
	return errno || *end || !*v || *id < 0 || *id >= 0xffffffffLL ? -1 : 0;
}

static int parse_nodes(struct parse *ps, int argc, char **argv)
{
	struct conf_nodes *n = &ps->c->nodes;
	char *end;
	int i;

	if (!argc)
		return line_error(ps, "nodes needs owner USER, group GROUP or mode MODE");
	for (i = 0; i < argc; i += 2) {
		const char *w = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(w, "owner") && strcmp(w, "group") && strcmp(w, "mode"))
			return line_error(ps, "nodes: unexpected '%s' (want owner, group or mode)", w);
		if (!v)
			return line_error(ps, "nodes: '%s' needs a value", w);
		if (!strcmp(w, "owner")) {
			struct passwd *pw = getpwnam(v);

			if (parse_id(v, pw ? (long long)pw->pw_uid : -1, &n->uid))
				return line_error(ps, "nodes: no user '%s'", v);
		} else if (!strcmp(w, "group")) {
			struct group *gr = getgrnam(v);

			if (parse_id(v, gr ? (long long)gr->gr_gid : -1, &n->gid))
				return line_error(ps, "nodes: no group '%s'", v);
		} else {
			errno = 0;
			n->mode = strtol(v, &end, 8);
			if (errno || *end || !*v || n->mode < 0 || n->mode > 07777)
				return line_error(ps, "nodes: mode '%s': want octal 0000..7777", v);
		}
	}
	return 0;
}

static int parse_line(struct parse *ps, char *text)
{
	char *argv[MAX_WORDS], *s = text;
	int argc = 0;

	for (;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			break;
		if (argc == MAX_WORDS)
			return line_error(ps, "more than %d words", MAX_WORDS);
		argv[argc++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = 0;
	}
	if (!argc)
		return 0;
	ctl.errbuf[0] = 0;
	if (!strcmp(argv[0], "policy"))
		return parse_policy(ps, argc - 1, argv + 1);
	if (!strcmp(argv[0], "rule"))
		return parse_rule_line(ps, argc - 1, argv + 1);
	if (!strcmp(argv[0], "nodes"))
		return parse_nodes(ps, argc - 1, argv + 1);
	return line_error(ps, "unknown directive '%s' (want policy, rule or nodes)", argv[0]);
}

static int parse_file(struct parse *ps, const char *path)
{
	char *text = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	ps->file = path;
	ps->line = 0;
	f = fopen(path, "r");
	if (!f) {
		snprintf(ps->err, ps->errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&text, &cap, f)) >= 0) {
		ps->line++;
		if (strlen(text) != (size_t)len) {
			rc = line_error(ps, "a NUL byte");
			break;
		}
		rc = parse_line(ps, text);
		if (rc)
			break;
	}
	free(text);
	fclose(f);
	return rc;
}

int conf_load(const char *path, struct conf *c, char *err, size_t errlen)
{
	struct parse ps = { .c = c, .err = err, .errlen = errlen };
	char pattern[PATH_MAX + 16], msg[1024];
	glob_t g = { 0 };
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	c->nodes.uid = -1;
	c->nodes.gid = -1;
	c->nodes.mode = -1;
	msg[0] = 0;
	/* rule add's and policy load's parsers report here, not on stderr. */
	ctl.errbuf = msg;
	ctl.errlen = sizeof(msg);
	rc = parse_file(&ps, path);
	snprintf(pattern, sizeof(pattern), "%s.d/*.conf", path);
	/* glob() sorts its matches: lexical order. */
	if (!rc && glob(pattern, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc && !rc; i++)
			rc = parse_file(&ps, g.gl_pathv[i]);
	}
	globfree(&g);
	ctl.errbuf = NULL;
	return rc;
}

void conf_free(struct conf *c)
{
	free(c->policies);
	free(c->rules);
	memset(c, 0, sizeof(*c));
}
