// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidctl status, decisions and bpffs.
 *
 * decisions reads the ioasid:ioasid_decision tracepoint (enabling it on
 * first use): the decisions in the trace buffer, or with --follow each one
 * as it is made (--count N stops after N).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ioasidctl.h"

#define STATS "/sys/kernel/ioasid/stats"
#define TRACEFS "/sys/kernel/tracing"
#define EVENT TRACEFS "/events/ioasid/ioasid_decision/enable"

int print_policy_stack(struct json_object *into);

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
		struct json_object *o = json_object_new_object(), *live, *arr;

		json_object_object_add(o, "module_loaded", json_object_new_boolean(loaded));
		json_object_object_add(o, "module_btf", json_object_new_boolean(btf));
		json_object_object_add(o, "device_node", json_object_new_boolean(dev));
		json_object_object_add(o, "kill_switch", json_object_new_boolean(bypass == 1));
		live = json_object_new_object();
		for (i = 0; loaded && i < sizeof(stat_names) / sizeof(stat_names[0]); i++) {
			snprintf(path, sizeof(path), STATS "/%s", stat_names[i]);
			if (!read_text(path, buf, sizeof(buf)))
				json_object_object_add(live, stat_names[i],
						       json_object_new_int64(atoll(buf)));
		}
		json_object_object_add(o, "live", live);
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
		if (read_text(path, buf, sizeof(buf)))
			snprintf(buf, sizeof(buf), "?");
		printf(" %s %s", stat_names[i], buf);
	}
	printf("\npolicies, in the order they are asked:\n");
	print_policy_stack(NULL);
	return EXIT_OK;
}

static const char *op_name(unsigned int op)
{
	switch (op) {
	case IOASID_POLICY_OP_ATTACH:
		return "attach";
	case IOASID_POLICY_OP_ATTACH_PASID:
		return "attach-pasid";
	case IOASID_POLICY_OP_CACHE_FLUSH:
		return "cache-flush";
	case IOASID_POLICY_OP_DETACH:
		return "detach";
	default:
		return "?";
	}
}

/* One trace line of the event, parsed; false if it is not one. */
static bool parse_decision(const char *line, struct json_object **out)
{
	const char *ev = strstr(line, "ioasid_decision: "), *r;
	unsigned int op, vendor, device, bdf, ioas, pasid, uid, flags, snoop, dflags, asked;
	unsigned long long fd;
	char policy[IOASID_POLICY_NAME_LEN], reason[IOASID_REASON_LEN + 1];
	double ts = 0;
	int verdict;
	struct json_object *o;

	if (!ev)
		return false;
	if (sscanf(ev, "ioasid_decision: op=%u dev=%x:%x bdf=%x ioas=%u pasid=%u uid=%u fd=%llu req_flags=%x verdict=%d snoop=%u flags=%x policy=%15s asked=%u",
		   &op, &vendor, &device, &bdf, &ioas, &pasid, &uid, &fd, &flags,
		   &verdict, &snoop, &dflags, policy, &asked) != 14)
		return false;
	reason[0] = 0;
	r = strstr(ev, "reason=\"");
	if (r) {
		snprintf(reason, sizeof(reason), "%s", r + 8);
		if (strlen(reason) && reason[strlen(reason) - 1] == '"')
			reason[strlen(reason) - 1] = 0;
	}
	/* "... [CPU] FLAGS SECONDS.USECS: ioasid_decision" */
	for (r = ev - 2; r > line && *r != ' '; r--)
		;
	ts = strtod(r, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_double(ts));
	json_object_object_add(o, "op", json_object_new_string(op_name(op)));
	json_object_object_add(o, "vendor", json_object_new_int(vendor));
	json_object_object_add(o, "device", json_object_new_int(device));
	json_object_object_add(o, "bdf", json_object_new_int64(bdf));
	json_object_object_add(o, "ioas_id", json_object_new_int64(ioas));
	json_object_object_add(o, "pasid", json_object_new_int64(pasid));
	json_object_object_add(o, "uid", json_object_new_int64(uid));
	json_object_object_add(o, "fd_id", json_object_new_int64(fd));
	json_object_object_add(o, "verdict", json_object_new_int(verdict));
	json_object_object_add(o, "snoop", json_object_new_string(snoop_name(snoop)));
	json_object_object_add(o, "flush_grant",
			       json_object_new_boolean(dflags & IOASID_DECISION_FLUSH_GRANT));
	json_object_object_add(o, "policy", json_object_new_string(policy));
	json_object_object_add(o, "asked", json_object_new_int64(asked));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	*out = o;
	return true;
}

static void show_decision(struct json_object *o)
{
	char vbuf[64];
	int verdict = json_object_get_int(json_object_object_get(o, "verdict"));
	unsigned int bdf = json_object_get_int64(json_object_object_get(o, "bdf"));

	if (ctl.json) {
		emit_json(json_object_get(o));
		fflush(stdout);
		return;
	}
	printf("%12.6f %-12s %04x:%04x %04x:%02x:%02x.%x %s by %s",
	       json_object_get_double(json_object_object_get(o, "time")),
	       json_object_get_string(json_object_object_get(o, "op")),
	       json_object_get_int(json_object_object_get(o, "vendor")),
	       json_object_get_int(json_object_object_get(o, "device")),
	       bdf >> 16, (bdf >> 8) & 0xff, (bdf >> 3) & 0x1f, bdf & 7,
	       verdict ? verdict_name(verdict, vbuf, sizeof(vbuf)) : "allow",
	       json_object_get_string(json_object_object_get(o, "policy")));
	if (!verdict)
		printf(", snoop %s%s", json_object_get_string(json_object_object_get(o, "snoop")),
		       json_object_get_boolean(json_object_object_get(o, "flush_grant")) ?
		       ", flush granted" : "");
	printf(": %s\n", json_object_get_string(json_object_object_get(o, "reason")));
	fflush(stdout);
}

int cmd_decisions(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct json_object *arr = NULL, *o;
	bool follow = false;
	long count = -1, seen = 0;
	char enabled[8], line[1024], *end;
	FILE *f;
	int c;

	optind = 1;
	opterr = 0;
	/* getopt_long wants argv[0] to be the program: shift by one. */
	argc++;
	argv--;
	while ((c = getopt_long(argc, argv, "fc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			follow = true;
			break;
		case 'c':
			errno = 0;
			count = strtol(optarg, &end, 0);
			if (errno || *end || count < 1)
				return usage_error("--count '%s': want N > 0", optarg);
			break;
		case 'h':
			printf("usage: ioasidctl decisions [--follow] [--count N]\n"
			       "Policy decisions from the ioasid:ioasid_decision tracepoint, which\n"
			       "this enables on first use: those in the trace buffer, or with\n"
			       "--follow each one as it is made (--count N: stop after N).\n");
			return EXIT_OK;
		default:
			return usage_error("decisions: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("decisions: unexpected '%s'", argv[optind]);
	if (access(TRACEFS "/events/ioasid", F_OK))
		return fail("no ioasid events in %s: is the module loaded and tracefs mounted?",
			    TRACEFS), EXIT_ENV;
	if (read_text(EVENT, enabled, sizeof(enabled)) || enabled[0] != '1') {
		FILE *e = fopen(EVENT, "w");

		if (!e || fputs("1", e) < 0 || fclose(e))
			return fail("cannot enable the ioasid_decision tracepoint: %s (root needed)",
				    strerror(errno)), EXIT_ENV;
		if (!follow)
			fprintf(stderr, "ioasidctl: decision tracing enabled now; decisions from now on are recorded\n");
	}
	f = fopen(follow ? TRACEFS "/trace_pipe" : TRACEFS "/trace", "r");
	if (!f)
		return fail("cannot read the trace: %s", strerror(errno)), EXIT_ENV;
	if (ctl.json && !follow)
		arr = json_object_new_array();
	while ((count < 0 || seen < count) && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!parse_decision(line, &o))
			continue;
		seen++;
		if (arr)
			json_object_array_add(arr, o);
		else {
			show_decision(o);
			json_object_put(o);
		}
	}
	fclose(f);
	if (arr)
		emit_json(arr);
	else if (!seen && !follow && !ctl.json)
		printf("no decision recorded\n");
	return EXIT_OK;
}

int cmd_bpffs(int argc, char **argv)
{
	int err;

	if (wants_help(argc, argv) || argc != 1 || strcmp(argv[0], "mount")) {
		if (wants_help(argc, argv)) {
			printf("usage: ioasidctl bpffs mount\nMount bpffs on /sys/fs/bpf if it is not.\n");
			return EXIT_OK;
		}
		return usage_error("bpffs takes one command: mount");
	}
	err = ioasidbpf_mount_bpffs();
	if (err)
		return lib_fail(err);
	printf("bpffs mounted on /sys/fs/bpf\n");
	return EXIT_OK;
}
