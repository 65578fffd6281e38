// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Typed access to the rule maps the default policies pin by name under the
 * pin root: nosnoop_rules' (struct ioasid_rule values) and strict's (sets),
 * as ioasid_rules.h defines them. Rules change without reloading the policy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "internal.h"

static const struct rule_map {
	const char *map;
	const char *policy;
	size_t key_size;
	bool has_rule;		/* value is struct ioasid_rule, else a u8 */
} rule_maps[] = {
	[IOASIDBPF_RULE_ID] = { IOASID_RULE_MAP_NAME(IOASID_NSR_BY_ID), "nosnoop_rules",
				sizeof(__u32), true },
	[IOASIDBPF_RULE_DRIVER] = { IOASID_RULE_MAP_NAME(IOASID_NSR_BY_DRIVER), "nosnoop_rules",
				    IOASID_DRIVER_KEY_LEN, true },
	[IOASIDBPF_RULE_CGROUP] = { IOASID_RULE_MAP_NAME(IOASID_NSR_BY_CGROUP), "nosnoop_rules",
				    sizeof(__u64), true },
	[IOASIDBPF_RULE_DEFAULT] = { IOASID_RULE_MAP_NAME(IOASID_NSR_DEFAULT), "nosnoop_rules",
				     sizeof(__u32), true },
	[IOASIDBPF_RULE_STRICT_DEVICE] = { IOASID_RULE_MAP_NAME(IOASID_STRICT_COHERENT_OK),
					   "strict", sizeof(__u32), false },
	[IOASIDBPF_RULE_STRICT_PASID_DRIVER] = {
		IOASID_RULE_MAP_NAME(IOASID_STRICT_PASID_DRIVERS), "strict",
		IOASID_DRIVER_KEY_LEN, false },
	[IOASIDBPF_RULE_BDF] = { IOASID_RULE_MAP_NAME(IOASID_NSR_BY_BDF), "nosnoop_rules",
				 sizeof(__u32), true },
	[IOASIDBPF_RULE_SUBSYS] = { IOASID_RULE_MAP_NAME(IOASID_NSR_BY_SUBSYS), "nosnoop_rules",
				    sizeof(__u32), true },
	[IOASIDBPF_RULE_UID] = { IOASID_RULE_MAP_NAME(IOASID_NSR_BY_UID), "nosnoop_rules",
				 sizeof(__u32), true },
};

#define NR_KINDS (sizeof(rule_maps) / sizeof(rule_maps[0]))

IOASIDBPF_EXPORT int ioasidbpf_rule_validate(const struct ioasid_rule *r)
{
	if (r->action > IOASID_RULE_DENY)
		return ioasidbpf_fail(-EINVAL, "unknown rule action %u", r->action);
	if (r->snoop > IOASID_SNOOP_ALLOW_NOSNOOP)
		return ioasidbpf_fail(-EINVAL, "unknown snoop mode %u", r->snoop);
	if (r->flags & ~(__u32)(IOASID_RULE_F_FLUSH | IOASID_RULE_F_PASID))
		return ioasidbpf_fail(-EINVAL, "unknown rule flags %#x", r->flags);
	if (r->action != IOASID_RULE_ALLOW &&
	    (r->flags || r->snoop || r->flush_rate || r->flush_burst ||
	     r->pasid_min || r->pasid_max))
		return ioasidbpf_fail(-EINVAL, "only an allow rule grants anything");
	if (!(r->flags & IOASID_RULE_F_FLUSH) && (r->flush_rate || r->flush_burst))
		return ioasidbpf_fail(-EINVAL, "a flush rate needs the flush grant");
	if (r->flags & IOASID_RULE_F_PASID) {
		if (!r->pasid_min || r->pasid_min > r->pasid_max ||
		    r->pasid_max > IOASID_PASID_MAX)
			return ioasidbpf_fail(-EINVAL,
					      "PASID range %u-%u: must be within 1-%u and not empty",
					      r->pasid_min, r->pasid_max, IOASID_PASID_MAX);
	} else if (r->pasid_min || r->pasid_max) {
		return ioasidbpf_fail(-EINVAL, "a PASID range needs the PASID grant");
	}
	if (r->action == IOASID_RULE_DENY ? r->deny_errno > IOASID_MAX_ERRNO : r->deny_errno)
		return ioasidbpf_fail(-EINVAL, "deny errno %u out of range", r->deny_errno);
	return 0;
}

static int encode_key(const struct ioasidbpf_rule_key *k, unsigned char *key)
{
	__u32 id;
	size_t n;

	if ((unsigned int)k->kind >= NR_KINDS)
		return ioasidbpf_fail(-EINVAL, "unknown rule kind %d", k->kind);
	memset(key, 0, IOASID_DRIVER_KEY_LEN);
	switch (k->kind) {
	case IOASIDBPF_RULE_ID:
	case IOASIDBPF_RULE_STRICT_DEVICE:
		id = IOASID_RULE_ID_KEY(k->vendor, k->device);
		memcpy(key, &id, sizeof(id));
		break;
	case IOASIDBPF_RULE_DRIVER:
	case IOASIDBPF_RULE_STRICT_PASID_DRIVER:
		n = strnlen(k->driver, sizeof(k->driver));
		if (!n || n == sizeof(k->driver))
			return ioasidbpf_fail(-EINVAL, "driver name must be 1-%d characters",
					      IOASID_NAME_LEN - 1);
		memcpy(key, k->driver, n);
		break;
	case IOASIDBPF_RULE_CGROUP:
		if (!k->cgroup_id)
			return ioasidbpf_fail(-EINVAL, "cgroup id 0");
		memcpy(key, &k->cgroup_id, sizeof(k->cgroup_id));
		break;
	case IOASIDBPF_RULE_SUBSYS:
		id = IOASID_RULE_SUBSYS_KEY(k->vendor, k->device);
		memcpy(key, &id, sizeof(id));
		break;
	case IOASIDBPF_RULE_BDF:
		memcpy(key, &k->bdf, sizeof(k->bdf));
		break;
	case IOASIDBPF_RULE_UID:
		memcpy(key, &k->uid, sizeof(k->uid));
		break;
	case IOASIDBPF_RULE_DEFAULT:
		break;
	}
	return 0;
}

static void decode_key(enum ioasidbpf_rule_kind kind, const unsigned char *key,
		       struct ioasidbpf_rule_key *k)
{
	__u32 id;

	memset(k, 0, sizeof(*k));
	k->kind = kind;
	switch (kind) {
	case IOASIDBPF_RULE_ID:
	case IOASIDBPF_RULE_STRICT_DEVICE:
		memcpy(&id, key, sizeof(id));
		k->vendor = id >> 16;
		k->device = id & 0xffff;
		break;
	case IOASIDBPF_RULE_DRIVER:
	case IOASIDBPF_RULE_STRICT_PASID_DRIVER:
		memcpy(k->driver, key, IOASID_NAME_LEN - 1);
		break;
	case IOASIDBPF_RULE_CGROUP:
		memcpy(&k->cgroup_id, key, sizeof(k->cgroup_id));
		break;
	case IOASIDBPF_RULE_SUBSYS:
		memcpy(&id, key, sizeof(id));
		k->vendor = id >> 16;
		k->device = id & 0xffff;
		break;
	case IOASIDBPF_RULE_BDF:
		memcpy(&k->bdf, key, sizeof(k->bdf));
		break;
	case IOASIDBPF_RULE_UID:
		memcpy(&k->uid, key, sizeof(k->uid));
		break;
	case IOASIDBPF_RULE_DEFAULT:
		break;
	}
}

static int open_map(const char *pin_root, enum ioasidbpf_rule_kind kind)
{
	const struct rule_map *m = &rule_maps[kind];
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", ioasidbpf_root(pin_root), m->map);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		int err = -errno;

		return ioasidbpf_fail(err, "%s: %s (is the %s policy loaded with this pin root?)",
				      path, strerror(-err), m->policy);
	}
	return fd;
}

IOASIDBPF_EXPORT int ioasidbpf_rule_add(const char *pin_root,
					const struct ioasidbpf_rule_key *k,
					const struct ioasid_rule *rule)
{
	unsigned char key[IOASID_DRIVER_KEY_LEN];
	__u8 one = 1;
	int fd, err;

	err = encode_key(k, key);
	if (err)
		return err;
	if (rule_maps[k->kind].has_rule) {
		if (!rule)
			return ioasidbpf_fail(-EINVAL, "a %s rule needs a body",
					      rule_maps[k->kind].map);
		err = ioasidbpf_rule_validate(rule);
		if (err)
			return err;
	}
	fd = open_map(pin_root, k->kind);
	if (fd < 0)
		return fd;
	err = bpf_map_update_elem(fd, key, rule_maps[k->kind].has_rule ?
				  (const void *)rule : &one, BPF_ANY) ? -errno : 0;
	close(fd);
	if (err)
		return ioasidbpf_fail(err, "%s: %s", rule_maps[k->kind].map,
				      err == -E2BIG ? "the map is full" : strerror(-err));
	return 0;
}

IOASIDBPF_EXPORT int ioasidbpf_rule_del(const char *pin_root,
					const struct ioasidbpf_rule_key *k)
{
	unsigned char key[IOASID_DRIVER_KEY_LEN];
	struct ioasid_rule none = { 0 };
	int fd, err;

	err = encode_key(k, key);
	if (err)
		return err;
	fd = open_map(pin_root, k->kind);
	if (fd < 0)
		return fd;
	/* The default rule is an array slot: deleting it means DEFER. */
	if (k->kind == IOASIDBPF_RULE_DEFAULT)
		err = bpf_map_update_elem(fd, key, &none, BPF_ANY) ? -errno : 0;
	else
		err = bpf_map_delete_elem(fd, key) ? -errno : 0;
	close(fd);
	if (err)
		return ioasidbpf_fail(err, "%s: %s", rule_maps[k->kind].map,
				      err == -ENOENT ? "no such rule" : strerror(-err));
	return 0;
}

/* Numbers (ids, cgroups) in numeric order, names in byte order. */
static int cmp_keys(const void *a, const void *b, void *size)
{
	__u64 x = 0, y = 0;

	switch (*(size_t *)size) {
	case 4:
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		x = (__u32)x;
		y = (__u32)y;
		return x < y ? -1 : x > y;
	case 8:
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x < y ? -1 : x > y;
	default:
		return memcmp(a, b, *(size_t *)size);
	}
}

/* Visit one map's entries in key order. */
static int foreach_in_map(int fd, enum ioasidbpf_rule_kind kind,
			  ioasidbpf_rule_fn fn, void *ctx)
{
	size_t ks = rule_maps[kind].key_size, n = 0, cap = 0, i;
	unsigned char key[IOASID_DRIVER_KEY_LEN], next[IOASID_DRIVER_KEY_LEN], *keys = NULL, *grown;
	struct ioasidbpf_rule_key k;
	struct ioasid_rule rule;
	__u8 flag;
	void *cur = NULL;
	int rc = 0;

	memset(key, 0, sizeof(key));
	memset(next, 0, sizeof(next));
	while (!bpf_map_get_next_key(fd, cur, next)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(keys, cap * ks);
			if (!grown) {
				free(keys);
				return ioasidbpf_fail(-ENOMEM, "out of memory");
			}
			keys = grown;
		}
		memcpy(keys + n++ * ks, next, ks);
		memcpy(key, next, ks);
		cur = key;
	}
	if (n)
		qsort_r(keys, n, ks, cmp_keys, &ks);
	for (i = 0; i < n && !rc; i++) {
		void *val = rule_maps[kind].has_rule ? (void *)&rule : (void *)&flag;

		memset(next, 0, sizeof(next));
		memcpy(next, keys + i * ks, ks);
		if (bpf_map_lookup_elem(fd, next, val))
			continue;	/* deleted meanwhile */
		if (kind == IOASIDBPF_RULE_DEFAULT &&
		    !memcmp(&rule, &(struct ioasid_rule){ 0 }, sizeof(rule)))
			continue;	/* no default set: DEFER */
		decode_key(kind, next, &k);
		rc = fn(&k, rule_maps[kind].has_rule ? &rule : NULL, ctx);
	}
	free(keys);
	return rc;
}

IOASIDBPF_EXPORT int ioasidbpf_rule_foreach(const char *pin_root,
					    ioasidbpf_rule_fn fn, void *ctx)
{
	unsigned int kind;
	int fd, rc = 0, found = 0;

	/* Each policy's maps in the order it asks them. */
	static const enum ioasidbpf_rule_kind order[] = {
		IOASIDBPF_RULE_BDF, IOASIDBPF_RULE_SUBSYS, IOASIDBPF_RULE_ID,
		IOASIDBPF_RULE_DRIVER, IOASIDBPF_RULE_UID, IOASIDBPF_RULE_CGROUP,
		IOASIDBPF_RULE_DEFAULT, IOASIDBPF_RULE_STRICT_DEVICE,
		IOASIDBPF_RULE_STRICT_PASID_DRIVER,
	};
	unsigned int i;

	_Static_assert(sizeof(order) / sizeof(order[0]) == NR_KINDS,
		       "every rule kind is listed");
	for (i = 0; i < NR_KINDS && !rc; i++) {
		kind = order[i];
		fd = open_map(pin_root, kind);
		if (fd < 0)
			continue;
		found++;
		rc = foreach_in_map(fd, kind, fn, ctx);
		close(fd);
	}
	if (!found && !rc)
		return ioasidbpf_fail(-ENOENT,
				      "no rule maps under %s: load nosnoop_rules or strict first",
				      ioasidbpf_root(pin_root));
	return rc;
}
