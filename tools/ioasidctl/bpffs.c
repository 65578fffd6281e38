// SPDX-License-Identifier: GPL-2.0
/* ioasidctl bpffs mount: mount bpffs on /sys/fs/bpf if it is not. */
#include <stdlib.h>

#include "ioasidctl.h"

static const char bpffs_usage[] =
	"usage: ioasidctl bpffs mount\n"
	"Mount bpffs on /sys/fs/bpf if it is not.\n";

static int bpffs_mount(int argc, char **argv)
{
	int err;

	if (argc != 1)
		return usage_error("bpffs mount: unexpected '%s'", argv[1]);
	err = ioasidbpf_mount_bpffs();
	if (err)
		return lib_fail(err);
	printf("bpffs mounted on /sys/fs/bpf\n");
	return EXIT_OK;
}

static const struct cmd bpffs_cmds[] = {
	{ .name = "mount", .fn = bpffs_mount },
	{}
};

int cmd_bpffs(int argc, char **argv)
{
	return cmd_select("bpffs", bpffs_cmds, bpffs_usage, argc, argv);
}
