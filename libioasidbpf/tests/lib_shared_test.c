// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Links against the shared libioasidbpf.so the way a consumer does (only
 * -lioasidbpf and the public header) and calls the parts that need no
 * kernel: proof that the soname, the symbol map and the header agree.
 * Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <ioasidbpf.h>

static int n, failed;

static void check(int ok, const char *what)
{
	printf("%s %d %s\n", ok ? "ok" : "not ok", ++n, what);
	failed |= !ok;
}

int main(void)
{
	__u16 vendor = 0, device = 0;
	__u32 bdf = 0;

	printf("TAP version 13\n1..8\n");
	check(ioasidbpf_builtin_count() == 3, "shared.three_builtin_policies");
	check(ioasidbpf_builtin_name(0) && !strcmp(ioasidbpf_builtin_name(0), "vfio_compat"),
	      "shared.builtin_names");
	check(!ioasidbpf_parse_pci_id("8086:0b25", &vendor, &device) &&
	      vendor == 0x8086 && device == 0x0b25, "shared.parse_pci_id");
	check(ioasidbpf_parse_pci_id("8086-0b25", &vendor, &device) == -EINVAL &&
	      strstr(ioasidbpf_errmsg(), "VENDOR:DEVICE"), "shared.errmsg");
	check(!ioasidbpf_parse_bdf("0000:00:03.0", &bdf) && bdf == (3 << 3),
	      "shared.parse_bdf");
	{
		/* LIBIOASIDBPF_0.2: a newer caller's opts with a non-zero tail. */
		struct {
			struct ioasidbpf_decisions_opts o;
			long future;
		} big = { .o = { .sz = sizeof(big) }, .future = 1 };
		struct ioasidbpf_decisions *d = NULL;

		ioasidbpf_decisions_close(NULL);
		check(ioasidbpf_decisions_open(&big.o, &d) == -EINVAL && !d,
		      "shared.v0_2_opts_tail_refused");
	}
	{
		/* Options as libbpf's OPTS_VALID: older and newer callers. */
		struct {
			struct ioasidbpf_open_opts o;
			long future;
		} big = { .o = { .sz = sizeof(big) }, .future = 1 };
		struct ioasidbpf_open_opts old = {
			.sz = offsetof(struct ioasidbpf_open_opts, map_name),
			.map_name = "not read: past sz",
		};
		struct ioasidbpf_policy *p = NULL;
		int err;

		check(ioasidbpf_policy_open("strict", &big.o, &p) == -EINVAL && !p &&
		      strstr(ioasidbpf_errmsg(), "non-zero bytes"), "shared.opts_nonzero_tail_refused");
		err = ioasidbpf_policy_open("strict", &old, &p);
		check(!err && p, "shared.opts_older_caller_accepted");
		ioasidbpf_policy_close(p);
	}
	return failed;
}
