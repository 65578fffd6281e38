/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration file, ioasid.conf(5): what ioasidctl apply makes the
 * running state. Parsed completely (and every policy object opened) before
 * anything changes; the first bad line is the one error.
 */
#ifndef IOASIDCTL_CONFIG_H
#define IOASIDCTL_CONFIG_H

#include <limits.h>
#include <sys/types.h>

#include "ioasidctl.h"

#define CONF_DEFAULT "/etc/ioasid/ioasid.conf"
/* FILE:LINE of a directive, for messages. */
#define CONF_WHERE_LEN (PATH_MAX + 16)

/**
 * struct conf_policy - a "policy" line
 * @what: a default policy's name, or the object's absolute path
 * @map: the struct_ops map to use ("" when the object holds one)
 * @priority: -1: as built
 * @shadow: asked and recorded, never deciding
 * @name: the policy's name, read from the object
 * @hash: FNV-1a of the object file's bytes (0 for a default policy)
 * @where: FILE:LINE
 */
struct conf_policy {
	char what[PATH_MAX];
	char map[64];
	long long priority;
	bool shadow;
	char name[IOASID_POLICY_NAME_LEN];
	unsigned long long hash;
	char where[CONF_WHERE_LEN];
};

/**
 * struct conf_rule - a "rule" line
 * @spec: the rule, parsed by rule add's own parser
 * @where: FILE:LINE
 */
struct conf_rule {
	struct rule_spec spec;
	char where[CONF_WHERE_LEN];
};

/**
 * struct conf_nodes - the "nodes" lines: owner, group and mode of
 *	/dev/ioasid and /dev/ioasid-dev/<BDF>
 * @uid: owner, or -1 to leave it
 * @gid: group, or -1 to leave it
 * @mode: permission bits, or -1 to leave them
 */
struct conf_nodes {
	long long uid;
	long long gid;
	long mode;
};

/**
 * struct conf - a whole configuration, the main file then its .d files
 * @policies: in the order given
 * @nr_policies: how many
 * @rules: in the order given
 * @nr_rules: how many
 * @nodes: the device nodes
 */
struct conf {
	struct conf_policy *policies;
	size_t nr_policies;
	struct conf_rule *rules;
	size_t nr_rules;
	struct conf_nodes nodes;
};

/*
 * Read @path, then @path.d/ *.conf in lexical order. 0, or -1 with the
 * one error ("FILE:LINE: reason", or "FILE: reason") in @err.
 */
int conf_load(const char *path, struct conf *c, char *err, size_t errlen);
void conf_free(struct conf *c);

/* Are two keys (of the same table) the same rule? */
bool rule_key_equal(const struct rule_spec *a, const struct rule_spec *b);

#endif /* IOASIDCTL_CONFIG_H */
