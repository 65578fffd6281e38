/* SPDX-License-Identifier: GPL-2.0 */
/* ioasidctl: shared state and helpers of the command files. */
#ifndef IOASIDCTL_H
#define IOASIDCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>
#include <linux/ioasid.h>
#include <linux/ioasid_policy.h>
#include <ioasidbpf.h>

/* Exit codes (documented in ioasidctl(8)). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* the operation failed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_ENV = 3,		/* not ready: module, privilege, bpffs */
};

struct ctl {
	bool json;
	bool pretty;
	bool debug;		/* libbpf's messages on stderr */
	const char *pin_root;
	/* While set, errors are kept here (the first one) and not printed. */
	char *errbuf;
	size_t errlen;
};

extern struct ctl ctl;

/* One line "ioasidctl: ..." on stderr; returns @code. */
int report(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, returning EXIT_FAILED; for a bad command line, EXIT_USAGE. */
#define fail(...) report(EXIT_FAILED, __VA_ARGS__)
#define usage_error(...) report(EXIT_USAGE, __VA_ARGS__)
/* A library error: its message; EXIT_FAILED. */
int lib_fail(int err);
/* Same, but EPERM/EACCES mean missing privilege: EXIT_ENV. */
int lib_fail_priv(int err);
/* Preflight for commands that load BPF: 0 or an exit code. */
int need_bpf(void);

void emit_json(struct json_object *obj);
/*
 * libioasidbpf's sysfs reader (src/util.c, internal to the library; ioasidctl
 * links libioasidbpf.a): 0 or -errno, the trailing newline removed.
 */
int ioasidbpf_read_file(const char *path, char *buf, size_t len);

const char *snoop_name(__u32 snoop);
const char *verdict_name(int verdict, char *buf, size_t len);
void caps_string(__u32 caps, char *buf, size_t len);
struct json_object *decision_json(const struct ioasid_policy_decision *d);
void print_decision(const struct ioasid_policy_decision *d);

/* Is argv[i] "--help" or "-h"? Commands take it anywhere. */
bool wants_help(int argc, char **argv);
/* An error: "ioasidctl: MSG" on stderr, or {"error": MSG} on stdout (-j). */
void print_error(const char *msg);

/**
 * struct cmd - one command of an object (bpftool's struct cmd)
 * @name: the command word
 * @fn: runs it, given argc/argv from the command word on (argv[0] is it,
 *	as getopt expects)
 * @own_help: @fn prints its own --help (else the object's usage is shown)
 * @no_args: the command takes no arguments (cmd_select() refuses any)
 */
struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool own_help;
	bool no_args;
};

/*
 * Run the command argv[0] of @object from @cmds (ended by a NULL name);
 * "--help" anywhere (unless the command has its own) or "help" prints
 * @help; an unknown or missing command is a usage error.
 */
int cmd_select(const char *object, const struct cmd *cmds, const char *help,
	       int argc, char **argv);

/**
 * struct load_args - how policy load/replace (and the configuration) load
 * @what: a default policy's name or a .bpf.o path
 * @map: the struct_ops map of an object holding several, or NULL
 * @priority: -1: as built (load) or kept (replace)
 * @shadow: asked and recorded, never deciding
 */
struct load_args {
	const char *what;
	const char *map;
	long long priority;
	bool shadow;
};

/*
 * The words after NAME|FILE: priority N, shadow (if @allow_shadow), map
 * MAP. 0, or an exit code after one error message.
 */
int parse_load_args(int argc, char **argv, bool allow_shadow, struct load_args *a);
/* Open @a->what with its priority and flags set: 0 or an exit code. */
int open_policy(const struct load_args *a, struct ioasidbpf_policy **p,
		char *log, size_t log_size);

/**
 * struct rule_spec - one operator rule, as rule add/del words give it
 * @strict: the strict table (else nosnoop)
 * @key: what it matches
 * @rule: what it does (nosnoop add only; zero otherwise)
 */
struct rule_spec {
	bool strict;
	struct ioasidbpf_rule_key key;
	struct ioasid_rule rule;
};

/*
 * Parse the words after "rule add" (@add) or "rule del": TABLE KEY [RULE].
 * The one parser of rules, shared by rule add/del and the configuration
 * file. 0, or an exit code after one error message (see ctl.errbuf).
 */
int rule_parse(bool add, int argc, char **argv, struct rule_spec *spec);
/* A key as rule list shows it; a nosnoop rule body as rule add takes it. */
void rule_key_text(const struct ioasidbpf_rule_key *k, char *buf, size_t len);
void rule_body_text(const struct ioasid_rule *r, char *buf, size_t len);
bool rule_kind_strict(enum ioasidbpf_rule_kind kind);
int rule_revalidate(struct json_object *o);

/*
 * The cgroup v2 id of PATH: a directory on a cgroup2 file system, or a
 * path relative to the cgroup2 mount as /proc/PID/cgroup writes it
 * ("/ops" or "0::/ops"). 0, or EXIT_USAGE after an error message.
 */
int cgroup_path_id(const char *path, __u64 *id);

int cmd_status(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_rule(int argc, char **argv);
int cmd_device(int argc, char **argv);
int cmd_decisions(int argc, char **argv);
int cmd_bpffs(int argc, char **argv);
int cmd_apply(int argc, char **argv);

#endif /* IOASIDCTL_H */
