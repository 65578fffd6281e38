// SPDX-License-Identifier: GPL-2.0
/*
 * A consumer of the installed libioasidbpf, built with nothing but
 * pkg-config's flags (host.sh against a DESTDIR, vm.sh against the
 * package): the uAPI headers ioasidbpf.h includes must come with it.
 */
#include <stdio.h>
#include <ioasidbpf.h>
#include <linux/ioasid_device.h>

int main(void)
{
	size_t i;

	for (i = 0; i < ioasidbpf_builtin_count(); i++)
		printf("%s\n", ioasidbpf_builtin_name(i));
	return 0;
}
