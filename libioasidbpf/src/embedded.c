// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The default policies, embedded: each skeleton (bpftool gen skeleton, a
 * full one: light skeletons cannot carry struct_ops) holds its object's
 * bytes, which ioasidbpf_policy_open() opens from memory.
 */
#include <string.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "vfio_compat.skel.h"
#include "strict.skel.h"
#include "nosnoop_rules.skel.h"

static const struct builtin {
	const char *name;
	const char *summary;
	const void *(*bytes)(size_t *size);
} builtins[] = {
	{ "vfio_compat",
	  "today's VFIO behaviour in BPF: enforce snoop when the IOMMU can, else no-snoop with a flush grant",
	  vfio_compat__elf_bytes },
	{ "strict",
	  "enforce snoop or refuse (allowlist aside), no flush grants, PASIDs for allowlisted drivers, no multi-device groups",
	  strict__elf_bytes },
	{ "nosnoop_rules",
	  "operator rules by vendor:device, driver and cgroup: snoop mode, flush grant and rate, PASID range",
	  nosnoop_rules__elf_bytes },
};

#define NR_BUILTINS (sizeof(builtins) / sizeof(builtins[0]))

IOASIDBPF_EXPORT size_t ioasidbpf_builtin_count(void)
{
	return NR_BUILTINS;
}

IOASIDBPF_EXPORT const char *ioasidbpf_builtin_name(size_t i)
{
	return i < NR_BUILTINS ? builtins[i].name : NULL;
}

IOASIDBPF_EXPORT const char *ioasidbpf_builtin_summary(size_t i)
{
	return i < NR_BUILTINS ? builtins[i].summary : NULL;
}

const void *ioasidbpf_builtin_bytes(const char *name, size_t *size)
{
	size_t i;

	for (i = 0; i < NR_BUILTINS; i++)
		if (!strcmp(builtins[i].name, name))
			return builtins[i].bytes(size);
	return NULL;
}
