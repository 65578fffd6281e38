/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* libioasidbpf internals shared between its source files. */
#ifndef IOASIDBPF_INTERNAL_H
#define IOASIDBPF_INTERNAL_H

#include <limits.h>
#include "ioasidbpf.h"

#define IOASID_SYSFS "/sys/kernel/ioasid"
#define POLICY_SYSFS IOASID_SYSFS "/policy"

#define IOASIDBPF_EXPORT __attribute__((visibility("default")))

/* Record a failure for ioasidbpf_errmsg() and return @err (negative). */
int ioasidbpf_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* @pin_root or the default. */
const char *ioasidbpf_root(const char *pin_root);

/* Read a sysfs file into @buf (trailing newline removed): 0 or -errno. */
int ioasidbpf_read_file(const char *path, char *buf, size_t len);

/* The link id of a registered policy from sysfs: > 0, or -ENOENT. */
int ioasidbpf_policy_link_id(const char *name);

/*
 * Options structs follow libbpf's OPTS_VALID: @sz (the caller's sizeof)
 * may be smaller than the library's struct (an older caller: the missing
 * fields take their defaults) or larger (a newer caller: accepted when the
 * unknown tail is zero). Returns 0, or -EINVAL with the message set.
 */
int ioasidbpf_opts_check(const void *opts, size_t user_sz, size_t known_sz,
			 const char *type);
/*
 * The library's own sizeof is what it knows (its tail padding included: a
 * newer struct's first new field starts past it).
 */
#define IOASIDBPF_OPTS_VALID(opts, type)				\
	(!(opts) || !ioasidbpf_opts_check((opts), (opts)->sz,		\
					  sizeof(struct type), #type))
/* Is @field within what the caller passed? */
#define IOASIDBPF_OPTS_HAS(opts, field)					\
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +	\
		sizeof((opts)->field))
/* @field, or @fallback when the caller's struct does not have it. */
#define IOASIDBPF_OPTS_GET(opts, field, fallback)			\
	(IOASIDBPF_OPTS_HAS(opts, field) ? (opts)->field : (fallback))

/* An embedded object: its bytes, or NULL. */
const void *ioasidbpf_builtin_bytes(const char *name, size_t *size);

#endif /* IOASIDBPF_INTERNAL_H */
