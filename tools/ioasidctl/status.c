// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidctl status: the module, its BTF, the kill switch, live objects,
 * the cache-flush counters and the policy stack.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ioasidctl.h"

#define STATS "/sys/kernel/ioasid/stats"

int print_policy_stack(struct json_object *into);

/* The cache-flush counters since the module loaded (docs/operations.md). */
static const char *const flush_names[] = {
	"flush_refused", "flush_throttled", "flush_trackers",
};

/* The counter @name of STATS, or -1 when it cannot be read. */
static long long stat_read(const char *name)
{
	char buf[32], path[128];

	snprintf(path, sizeof(path), STATS "/%s", name);
	return ioasidbpf_read_file(path, buf, sizeof(buf)) ? -1 : atoll(buf);
}

static const char *const stat_names[] = {
	"fds", "objects", "groups", "domains", "pasid_attachments", "charged_pages",
	"accesses", "access_pins", "unpin_violations",
};

int cmd_status(int argc, char **argv)
{
	struct stat st;
	bool loaded = !stat("/sys/module/ioasid", &st);
	bool btf = !stat("/sys/kernel/btf/ioasid", &st);
	bool dev = !stat("/dev/ioasid", &st);
	char buf[32], path[128];
	int bypass = loaded ? ioasidbpf_bypass(-1) : 0;
	size_t i;

	if (wants_help(argc, argv)) {
		printf("usage: ioasidctl status\n"
		       "The module, its BTF, the kill switch, live objects and the policy stack.\n");
		return EXIT_OK;
	}
	if (argc)
		return usage_error("status takes no arguments");
	if (ctl.json) {
		struct json_object *o = json_object_new_object(), *live, *flush, *arr;

		json_object_object_add(o, "module_loaded", json_object_new_boolean(loaded));
		json_object_object_add(o, "module_btf", json_object_new_boolean(btf));
		json_object_object_add(o, "device_node", json_object_new_boolean(dev));
		json_object_object_add(o, "kill_switch", json_object_new_boolean(bypass == 1));
		live = json_object_new_object();
		for (i = 0; loaded && i < sizeof(stat_names) / sizeof(stat_names[0]); i++) {
			snprintf(path, sizeof(path), STATS "/%s", stat_names[i]);
			if (!ioasidbpf_read_file(path, buf, sizeof(buf)))
				json_object_object_add(live, stat_names[i],
						       json_object_new_int64(atoll(buf)));
		}
		json_object_object_add(o, "live", live);
		flush = json_object_new_object();
		for (i = 0; loaded && i < sizeof(flush_names) / sizeof(flush_names[0]); i++)
			if (stat_read(flush_names[i]) >= 0)
				json_object_object_add(flush, flush_names[i] + 6,
						       json_object_new_int64(stat_read(flush_names[i])));
		if (loaded && stat_read("flush_cpu_tracking") >= 0)
			json_object_object_add(flush, "cpu_tracking",
					       json_object_new_boolean(stat_read("flush_cpu_tracking") == 1));
		json_object_object_add(o, "flush", flush);
		arr = json_object_new_array();
		if (loaded)
			print_policy_stack(arr);
		json_object_object_add(o, "policies", arr);
		emit_json(o);
		return loaded ? EXIT_OK : EXIT_ENV;
	}
	printf("module:      %s%s\n", loaded ? "loaded" : "not loaded (modprobe ioasid)",
	       loaded ? (btf ? ", with BTF" : ", WITHOUT BTF (policies cannot register)") : "");
	if (!loaded)
		return EXIT_ENV;
	printf("/dev/ioasid: %s\n", dev ? "present" : "missing");
	printf("kill switch: %s\n", bypass == 1 ?
	       "ON (only the built-in policy decides)" : "off");
	printf("live:       ");
	for (i = 0; i < sizeof(stat_names) / sizeof(stat_names[0]); i++) {
		snprintf(path, sizeof(path), STATS "/%s", stat_names[i]);
		if (ioasidbpf_read_file(path, buf, sizeof(buf)))
			snprintf(buf, sizeof(buf), "?");
		printf(" %s %s", stat_names[i], buf);
	}
	printf("\nflushes:     refused %lld, throttled %lld, threads tracked %lld, CPU tracking %s\n",
	       stat_read("flush_refused"), stat_read("flush_throttled"), stat_read("flush_trackers"),
	       stat_read("flush_cpu_tracking") == 1 ? "on" : "off (every flush covers all CPUs)");
	printf("policies, in the order they are asked:\n");
	print_policy_stack(NULL);
	return EXIT_OK;
}
