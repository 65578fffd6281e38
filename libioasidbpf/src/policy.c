// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Opening, loading, registering, replacing and unloading policies.
 *
 * Registration pins the struct_ops link at <root>/links/<name>. Replacement
 * updates a registered link in place with the raw BPF_LINK_UPDATE command:
 * libbpf's bpf_link__update_map() needs the struct bpf_link that created
 * the link (it writes libbpf's private struct_ops link state), which another
 * process, or this one after bpf_link__open(), does not have. The raw update
 * needs the new map in the READY state, i.e. its value written, so this file
 * writes it as libbpf's attach would: the common header, then the policy's
 * struct with each callback slot holding its program's fd.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "internal.h"

struct ioasidbpf_policy {
	struct bpf_object *obj;
	struct bpf_map *map;
	struct ioasid_policy_ops *data;	/* libbpf's shadow of the map value */
	char root[PATH_MAX];
	char name[IOASID_POLICY_NAME_LEN];
	char *log_buf;
	size_t log_size;
	bool loaded;
	bool priority_set;
	bool registered;
};

/* Is @map a struct_ops map of our type? */
static bool is_policy_map(struct bpf_object *obj, struct bpf_map *map)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *t;

	if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS || !btf)
		return false;
	t = btf__type_by_id(btf, bpf_map__btf_value_type_id(map));
	return t && !strcmp(btf__name_by_offset(btf, t->name_off),
			    "ioasid_policy_ops");
}

/* Pick the policy map (by @want or the only one); others are not created. */
static int pick_map(struct ioasidbpf_policy *p, const char *want,
		    const char *what)
{
	struct bpf_map *map;
	int n = 0;

	bpf_object__for_each_map(map, p->obj) {
		if (!is_policy_map(p->obj, map))
			continue;
		if (want && strcmp(bpf_map__name(map), want)) {
			bpf_map__set_autocreate(map, false);
			continue;
		}
		if (n++)
			bpf_map__set_autocreate(map, false);
		else
			p->map = map;
	}
	if (!p->map)
		return ioasidbpf_fail(-EINVAL, "%s: no ioasid_policy_ops struct_ops map%s%s",
				      what, want ? " named " : "", want ? want : "");
	if (n > 1)
		return ioasidbpf_fail(-EINVAL,
				      "%s holds %d policies: choose one by map name", what, n);
	bpf_map__set_autocreate(p->map, true);
	return 0;
}

IOASIDBPF_EXPORT int ioasidbpf_policy_open(const char *name_or_path,
					   const struct ioasidbpf_open_opts *opts,
					   struct ioasidbpf_policy **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct ioasidbpf_policy *p;
	const void *bytes;
	size_t size = 0;
	int err;

	*out = NULL;
	if (!name_or_path || !*name_or_path)
		return ioasidbpf_fail(-EINVAL, "no policy name or file given");
	if (!IOASIDBPF_OPTS_VALID(opts, ioasidbpf_open_opts))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return ioasidbpf_fail(-ENOMEM, "out of memory");
	snprintf(p->root, sizeof(p->root), "%s",
		 ioasidbpf_root(IOASIDBPF_OPTS_GET(opts, pin_root, NULL)));
	if (IOASIDBPF_OPTS_GET(opts, log_buf, NULL) &&
	    IOASIDBPF_OPTS_GET(opts, log_size, 0)) {
		p->log_buf = opts->log_buf;
		p->log_size = opts->log_size;
		p->log_buf[0] = 0;
		oo.kernel_log_buf = p->log_buf;
		oo.kernel_log_size = p->log_size;
	}
	oo.pin_root_path = p->root;

	bytes = strchr(name_or_path, '/') ? NULL :
		ioasidbpf_builtin_bytes(name_or_path, &size);
	if (bytes) {
		oo.object_name = name_or_path;
		p->obj = bpf_object__open_mem(bytes, size, &oo);
	} else {
		struct stat st;

		if (stat(name_or_path, &st)) {
			err = ioasidbpf_fail(-ENOENT,
					     "no policy '%s': not an embedded policy (vfio_compat, strict, nosnoop_rules) nor a file",
					     name_or_path);
			goto err_free;
		}
		p->obj = bpf_object__open_file(name_or_path, &oo);
	}
	if (!p->obj) {
		err = -errno;
		ioasidbpf_fail(err, "%s: cannot open the BPF object: %s",
			       name_or_path, strerror(-err));
		goto err_free;
	}
	err = pick_map(p, IOASIDBPF_OPTS_GET(opts, map_name, NULL), name_or_path);
	if (err)
		goto err_close;
	p->data = bpf_map__initial_value(p->map, &size);
	if (!p->data || size < sizeof(*p->data)) {
		err = ioasidbpf_fail(-EINVAL, "%s: struct_ops map %s has an unexpected layout",
				     name_or_path, bpf_map__name(p->map));
		goto err_close;
	}
	snprintf(p->name, sizeof(p->name), "%s", p->data->name);
	if (!p->name[0]) {
		err = ioasidbpf_fail(-EINVAL, "%s: the policy has no name", name_or_path);
		goto err_close;
	}
	*out = p;
	return 0;

err_close:
	bpf_object__close(p->obj);
err_free:
	free(p);
	return err;
}

IOASIDBPF_EXPORT const char *ioasidbpf_policy_name(const struct ioasidbpf_policy *p)
{
	return p->name;
}

IOASIDBPF_EXPORT __u32 ioasidbpf_policy_priority(const struct ioasidbpf_policy *p)
{
	return p->data->priority;
}

IOASIDBPF_EXPORT int ioasidbpf_policy_set_priority(struct ioasidbpf_policy *p,
						   __u32 priority)
{
	if (p->loaded)
		return ioasidbpf_fail(-EBUSY, "%s: set the priority before loading", p->name);
	p->data->priority = priority;
	p->priority_set = true;
	return 0;
}

IOASIDBPF_EXPORT int ioasidbpf_policy_set_flags(struct ioasidbpf_policy *p,
						__u32 flags)
{
	if (p->loaded)
		return ioasidbpf_fail(-EBUSY, "%s: set the flags before loading", p->name);
	if (flags & ~(__u32)IOASID_POLICY_F_SHADOW)
		return ioasidbpf_fail(-EINVAL, "unknown policy flags %#x",
				      flags & ~(__u32)IOASID_POLICY_F_SHADOW);
	p->data->flags = flags;
	return 0;
}

IOASIDBPF_EXPORT int ioasidbpf_policy_load(struct ioasidbpf_policy *p)
{
	int err;

	if (p->loaded)
		return 0;
	err = ioasidbpf_preflight(p->root);
	if (err)
		return err;
	if (mkdir(p->root, 0700) && errno != EEXIST)
		return ioasidbpf_fail(-errno, "mkdir %s: %s", p->root, strerror(errno));
	err = bpf_object__load(p->obj);
	if (err)
		return ioasidbpf_fail(err, "%s: load failed (%s)%s", p->name,
				      strerror(-err),
				      p->log_buf && p->log_buf[0] ?
				      ": see the verifier log" : "");
	p->loaded = true;
	return 0;
}

/* <root>/links/<name>; "" if it does not fit (then nothing matches it). */
static void link_pin_path(const char *root, const char *name, char *path,
			  size_t len)
{
	if (snprintf(path, len, "%s/links/%s", root, name) >= (int)len)
		path[0] = 0;
}

/* A pinned link that no longer runs a registered policy is stale. */
static void drop_stale_pin(const char *root, const char *name)
{
	char path[PATH_MAX];

	link_pin_path(root, name, path, sizeof(path));
	if (ioasidbpf_policy_link_id(name) < 0)
		unlink(path);
}

static int pin_link_fd(int link_fd, const char *root, const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s/links", root) >= (int)sizeof(dir))
		return ioasidbpf_fail(-ENAMETOOLONG, "pin root %s is too long", root);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return ioasidbpf_fail(-errno, "mkdir %s: %s", dir, strerror(errno));
	link_pin_path(root, name, path, sizeof(path));
	if (bpf_obj_pin(link_fd, path))
		return ioasidbpf_fail(-errno, "pin %s: %s", path, strerror(errno));
	return 0;
}

IOASIDBPF_EXPORT int ioasidbpf_policy_attach(struct ioasidbpf_policy *p)
{
	struct bpf_link *link;
	int err;

	err = ioasidbpf_policy_load(p);
	if (err)
		return err;
	if (p->registered)
		return ioasidbpf_fail(-EALREADY, "%s is registered already", p->name);
	if (ioasidbpf_policy_link_id(p->name) > 0)
		return ioasidbpf_fail(-EEXIST, "a policy named %s is registered already (replace it instead)",
				      p->name);
	drop_stale_pin(p->root, p->name);
	link = bpf_map__attach_struct_ops(p->map);
	if (!link) {
		err = -errno;
		return ioasidbpf_fail(err, "%s: the kernel refused to register it: %s (see dmesg)",
				      p->name, strerror(-err));
	}
	err = pin_link_fd(bpf_link__fd(link), p->root, p->name);
	if (err) {
		bpf_link__destroy(link);
		return err;
	}
	/* The pin keeps the link; closing our fd must not detach it. */
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	p->registered = true;
	return 0;
}

/*
 * Where the kernel's value type (bpf_struct_ops_ioasid_policy_ops, in the
 * module's BTF) keeps the policy struct: after a common header, cacheline
 * aligned, so the offset is read from BTF rather than assumed.
 */
static int kern_data_offset(size_t *off)
{
	struct btf *vmlinux, *mod;
	const struct btf_member *m;
	const struct btf_type *t;
	int id, i, err = -EPROTO;

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return ioasidbpf_fail(-errno, "cannot read the kernel's BTF: %s",
				      strerror(errno));
	mod = btf__load_module_btf("ioasid", vmlinux);
	if (!mod) {
		err = ioasidbpf_fail(-errno, "cannot read the ioasid module's BTF: %s",
				     strerror(errno));
		goto out;
	}
	id = btf__find_by_name_kind(mod, "bpf_struct_ops_ioasid_policy_ops",
				    BTF_KIND_STRUCT);
	t = id > 0 ? btf__type_by_id(mod, id) : NULL;
	for (i = 0, m = t ? btf_members(t) : NULL; t && i < btf_vlen(t); i++, m++) {
		if (strcmp(btf__name_by_offset(mod, m->name_off), "data"))
			continue;
		*off = btf_member_bit_offset(t, i) / 8;
		err = 0;
	}
	if (err)
		ioasidbpf_fail(err, "the ioasid module's BTF has no struct_ops value type");
	btf__free(mod);
out:
	btf__free(vmlinux);
	return err;
}

/*
 * Write the map's value as libbpf's attach would, so the map is READY for
 * a raw link update: the policy struct, with program fds in the callback
 * slots, at its place in the kernel's value type.
 */
static int write_map_value(struct ioasidbpf_policy *p)
{
	static const size_t callbacks[] = {
		offsetof(struct ioasid_policy_ops, attach),
		offsetof(struct ioasid_policy_ops, attach_pasid),
		offsetof(struct ioasid_policy_ops, cache_flush),
		offsetof(struct ioasid_policy_ops, detach),
		offsetof(struct ioasid_policy_ops, init),
		offsetof(struct ioasid_policy_ops, exit),
	};
	size_t vsize = bpf_map__value_size(p->map), off = 0, i;
	unsigned char *value;
	__u32 zero = 0;
	int err;

	err = kern_data_offset(&off);
	if (err)
		return err;
	if (off + sizeof(struct ioasid_policy_ops) > vsize)
		return ioasidbpf_fail(-EPROTO, "%s: kernel value of %zu bytes cannot hold the policy at %zu",
				      p->name, vsize, off);
	value = calloc(1, vsize);
	if (!value)
		return ioasidbpf_fail(-ENOMEM, "out of memory");
	memcpy(value + off, p->data, sizeof(*p->data));
	for (i = 0; i < sizeof(callbacks) / sizeof(callbacks[0]); i++) {
		/* libbpf's shadow type holds struct bpf_program pointers here. */
		struct bpf_program *prog;
		__u64 fd = 0;

		memcpy(&prog, (char *)p->data + callbacks[i], sizeof(prog));
		if (prog) {
			if (bpf_program__fd(prog) < 0) {
				free(value);
				return ioasidbpf_fail(-EINVAL, "%s: program %s is not loaded",
						      p->name, bpf_program__name(prog));
			}
			fd = bpf_program__fd(prog);
		}
		memcpy(value + off + callbacks[i], &fd, sizeof(fd));
	}
	err = bpf_map_update_elem(bpf_map__fd(p->map), &zero, value, 0);
	free(value);
	if (err && errno != EBUSY)
		return ioasidbpf_fail(-errno, "%s: cannot set the struct_ops value: %s",
				      p->name, strerror(errno));
	return 0;
}

static int running_priority(const char *name, __u32 *prio)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), POLICY_SYSFS "/%s/priority", name);
	if (ioasidbpf_read_file(path, buf, sizeof(buf)))
		return -ENOENT;
	*prio = strtoul(buf, NULL, 10);
	return 0;
}

IOASIDBPF_EXPORT int ioasidbpf_policy_replace(struct ioasidbpf_policy *p,
					      const char *running)
{
	LIBBPF_OPTS(bpf_link_update_opts, uo, .flags = BPF_F_REPLACE);
	struct bpf_link_info info = { 0 };
	__u32 info_len = sizeof(info), prio;
	char old_path[PATH_MAX];
	int link_id, link_fd = -1, old_map_fd = -1, err;

	if (p->registered)
		return ioasidbpf_fail(-EALREADY, "%s is registered already", p->name);
	link_id = ioasidbpf_policy_link_id(running);
	if (link_id < 0)
		return ioasidbpf_fail(-ENOENT, "no registered policy named %s", running);
	if (strcmp(running, p->name) && ioasidbpf_policy_link_id(p->name) > 0)
		return ioasidbpf_fail(-EEXIST, "another policy named %s is registered",
				      p->name);
	/* Keep the slot: the replaced policy's priority unless told. */
	if (!p->loaded && !p->priority_set) {
		if (running_priority(running, &prio))
			return ioasidbpf_fail(-ENOENT, "%s went away", running);
		p->data->priority = prio;
	}
	err = ioasidbpf_policy_load(p);
	if (err)
		return err;
	err = write_map_value(p);
	if (err)
		return err;

	link_fd = bpf_link_get_fd_by_id(link_id);
	if (link_fd < 0)
		return ioasidbpf_fail(-errno, "link %d of %s: %s", link_id, running,
				      strerror(errno));
	if (bpf_link_get_info_by_fd(link_fd, &info, &info_len) ||
	    info.type != BPF_LINK_TYPE_STRUCT_OPS) {
		err = ioasidbpf_fail(-EINVAL, "link %d of %s is not a struct_ops link",
				     link_id, running);
		goto out;
	}
	old_map_fd = bpf_map_get_fd_by_id(info.struct_ops.map_id);
	if (old_map_fd < 0) {
		err = ioasidbpf_fail(-errno, "map %u of %s: %s", info.struct_ops.map_id,
				     running, strerror(errno));
		goto out;
	}
	uo.old_map_fd = old_map_fd;
	if (bpf_link_update(link_fd, bpf_map__fd(p->map), &uo)) {
		err = -errno;
		if (err == -EPERM)
			ioasidbpf_fail(err, "%s changed while being replaced: try again", running);
		else
			ioasidbpf_fail(err, "replacing %s by %s: %s%s", running, p->name,
				       strerror(-err),
				       err == -EEXIST ? " (name taken)" : " (see dmesg)");
		goto out;
	}
	p->registered = true;
	/*
	 * The pin, if the replaced policy had one here, follows the policy's
	 * (possibly new) name. A link pinned elsewhere or held by another
	 * process (bpftool, a test) stays where its owner keeps it.
	 */
	link_pin_path(p->root, running, old_path, sizeof(old_path));
	if (strcmp(running, p->name) && !access(old_path, F_OK)) {
		drop_stale_pin(p->root, p->name);
		err = pin_link_fd(link_fd, p->root, p->name);
		if (!err)
			unlink(old_path);
	}
out:
	if (old_map_fd >= 0)
		close(old_map_fd);
	close(link_fd);
	return err;
}

IOASIDBPF_EXPORT void ioasidbpf_policy_close(struct ioasidbpf_policy *p)
{
	if (!p)
		return;
	bpf_object__close(p->obj);
	free(p);
}

IOASIDBPF_EXPORT int ioasidbpf_unload(const char *name, const char *pin_root)
{
	char path[PATH_MAX];
	int id, fd, err = 0;

	id = ioasidbpf_policy_link_id(name);
	if (id < 0)
		return ioasidbpf_fail(-ENOENT, "no registered policy named %s", name);
	fd = bpf_link_get_fd_by_id(id);
	if (fd < 0)
		return ioasidbpf_fail(-errno, "link %d of %s: %s", id, name, strerror(errno));
	if (bpf_link_detach(fd))
		err = ioasidbpf_fail(-errno, "detach %s (link %d): %s", name, id,
				     strerror(errno));
	close(fd);
	link_pin_path(ioasidbpf_root(pin_root), name, path, sizeof(path));
	if (!err)
		unlink(path);
	return err;
}
