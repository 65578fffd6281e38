// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidctl decisions [--follow] [--count N]
 *
 * The kernel's decision log (IOASID_DECISIONS_OPEN, read through
 * libioasidbpf): without --follow, the decisions the kernel keeps (the N
 * latest with --count N), whether or not anyone was watching when they
 * were made; with --follow, each new decision as it is made (--count N:
 * stop after N).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ioasidctl.h"

static const char decisions_usage[] =
	"usage: ioasidctl decisions [--follow] [--count N]\n"
	"Policy decisions from the kernel's decision log (ioasid.ko keeps the last\n"
	"decision_log_size): without --follow, the kept ones, oldest first (--count N:\n"
	"the N latest); with --follow, each new one as it is made (--count N: stop\n"
	"after N). Needs CAP_PERFMON or root.\n";

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

static void bdf_string(__u32 bdf, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", bdf >> 16, (bdf >> 8) & 0xff,
		 (bdf >> 3) & 0x1f, bdf & 7);
}

static struct json_object *record_json(const struct ioasid_decision_record *r)
{
	struct json_object *o = json_object_new_object();
	char bdf[32], vbuf[64];

	json_object_object_add(o, "seq", json_object_new_int64(r->hdr.seq));
	json_object_object_add(o, "time_ns", json_object_new_int64(r->hdr.time_ns));
	json_object_object_add(o, "lost", json_object_new_int64(r->hdr.lost));
	json_object_object_add(o, "op", json_object_new_string(op_name(r->hdr.kind)));
	json_object_object_add(o, "dry_run",
			       json_object_new_boolean(r->req_flags & IOASID_REQ_DRY_RUN));
	json_object_object_add(o, "vendor", json_object_new_int(r->vendor));
	json_object_object_add(o, "device", json_object_new_int(r->device));
	bdf_string(r->bdf, bdf, sizeof(bdf));
	json_object_object_add(o, "bdf", r->bdf ? json_object_new_string(bdf) : NULL);
	json_object_object_add(o, "sw_device",
			       json_object_new_boolean(r->req_flags & IOASID_REQ_SW_DEVICE));
	json_object_object_add(o, "driver", json_object_new_string(r->driver));
	json_object_object_add(o, "uid", json_object_new_int64(r->uid));
	json_object_object_add(o, "pid", json_object_new_int64(r->pid));
	json_object_object_add(o, "cgroup_id", json_object_new_int64(r->cgroup_id));
	json_object_object_add(o, "fd_id", json_object_new_int64(r->fd_id));
	json_object_object_add(o, "ioas_id", json_object_new_int64(r->ioas_id));
	json_object_object_add(o, "pasid", json_object_new_int64(r->pasid));
	json_object_object_add(o, "verdict", json_object_new_int(r->error));
	json_object_object_add(o, "allowed", json_object_new_boolean(!r->error));
	json_object_object_add(o, "error", r->error ? json_object_new_string(
		verdict_name(r->error, vbuf, sizeof(vbuf))) : NULL);
	json_object_object_add(o, "snoop", json_object_new_string(snoop_name(r->snoop)));
	json_object_object_add(o, "flush_grant",
			       json_object_new_boolean(r->decision_flags & IOASID_DECISION_FLUSH_GRANT));
	json_object_object_add(o, "flush_rate", json_object_new_int64(r->flush_rate));
	json_object_object_add(o, "flush_burst", json_object_new_int64(r->flush_burst));
	json_object_object_add(o, "flags", json_object_new_int64(r->decision_flags));
	json_object_object_add(o, "policy", json_object_new_string(r->policy));
	json_object_object_add(o, "policy_id", json_object_new_int64(r->policy_id));
	json_object_object_add(o, "asked", json_object_new_int64(r->nr_asked));
	json_object_object_add(o, "policy_verdict", json_object_new_int(r->policy_verdict));
	json_object_object_add(o, "reason", json_object_new_string(r->policy_reason));
	json_object_object_add(o, "core_error", json_object_new_int(r->core_error));
	json_object_object_add(o, "core_reason", json_object_new_string(r->core_reason));
	return o;
}

/* One line: time, op, device, outcome by whom, and why. */
static void print_record(const struct ioasid_decision_record *r)
{
	time_t secs = r->hdr.time_ns / 1000000000ULL;
	char when[32], dev[64], vbuf[64];
	struct tm tm;

	if (r->hdr.lost)
		printf("-- %llu decisions lost (read too slowly) --\n",
		       (unsigned long long)r->hdr.lost);
	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%F %T", &tm);
	if (r->req_flags & IOASID_REQ_SW_DEVICE)
		snprintf(dev, sizeof(dev), "%04x:%04x sw:%s", r->vendor, r->device, r->driver);
	else if (r->bdf)
		snprintf(dev, sizeof(dev), "%04x:%04x %04x:%02x:%02x.%x", r->vendor, r->device,
			 r->bdf >> 16, (r->bdf >> 8) & 0xff, (r->bdf >> 3) & 0x1f, r->bdf & 7);
	else if (r->vendor || r->device)
		snprintf(dev, sizeof(dev), "%04x:%04x", r->vendor, r->device);
	else
		snprintf(dev, sizeof(dev), "fd %llu", (unsigned long long)r->fd_id);
	printf("%s.%06llu #%llu %-12s %s uid %u%s ", when,
	       (unsigned long long)(r->hdr.time_ns % 1000000000ULL) / 1000,
	       (unsigned long long)r->hdr.seq, op_name(r->hdr.kind), dev, r->uid,
	       r->req_flags & IOASID_REQ_DRY_RUN ? " (dry run)" : "");
	if (r->hdr.kind == IOASID_POLICY_OP_DETACH) {
		printf("detached\n");
		return;
	}
	if (r->core_error) {
		printf("%s by the core: %s", verdict_name(r->core_error, vbuf, sizeof(vbuf)),
		       r->core_reason);
		if (r->policy[0])
			printf(" (%s allowed: %s)", r->policy, r->policy_reason);
		printf("\n");
		return;
	}
	printf("%s by %s", r->error ? verdict_name(r->error, vbuf, sizeof(vbuf)) : "allow",
	       r->policy);
	if (!r->error && r->hdr.kind != IOASID_POLICY_OP_CACHE_FLUSH)
		printf(", snoop %s%s", snoop_name(r->snoop),
		       r->decision_flags & IOASID_DECISION_FLUSH_GRANT ? ", flush granted" : "");
	printf(": %s\n", r->policy_reason);
}

static void show(const struct ioasid_decision_record *r, struct json_object *arr)
{
	if (arr) {
		json_object_array_add(arr, record_json(r));
	} else if (ctl.json) {
		emit_json(record_json(r));
	} else {
		print_record(r);
	}
	fflush(stdout);
}

static int open_stream(bool no_history, struct ioasidbpf_decisions **d)
{
	struct ioasidbpf_decisions_opts o = { .sz = sizeof(o), .no_history = no_history };
	int err = ioasidbpf_decisions_open(&o, d);

	if (!err)
		return 0;
	lib_fail(err);
	return err == -EPERM || err == -EACCES || err == -ENOENT ? EXIT_ENV : EXIT_FAILED;
}

/* The kept decisions, or their @count latest (count < 0: all). */
static int history(long count)
{
	struct ioasid_decision_record *keep;
	struct ioasidbpf_decisions *d;
	struct json_object *arr = NULL;
	size_t cap, n = 0, i;
	int rc;

	rc = open_stream(false, &d);
	if (rc)
		return rc;
	cap = count > 0 ? (size_t)count : ioasidbpf_decisions_log_size(d);
	if (cap < 1)
		cap = 1;
	keep = calloc(cap, sizeof(*keep));
	if (!keep) {
		ioasidbpf_decisions_close(d);
		return fail("out of memory");
	}
	/* Decisions made while we read go in too; keep the latest @cap. */
	while ((rc = ioasidbpf_decisions_read(d, &keep[n % cap], 0)) == 1)
		n++;
	ioasidbpf_decisions_close(d);
	if (rc < 0) {
		free(keep);
		return lib_fail(rc);
	}
	if (ctl.json)
		arr = json_object_new_array();
	for (i = n > cap ? n - cap : 0; i < n; i++)
		show(&keep[i % cap], arr);
	free(keep);
	if (arr)
		emit_json(arr);
	else if (!n)
		printf("no decision recorded\n");
	return EXIT_OK;
}

static int follow(long count)
{
	struct ioasid_decision_record r;
	struct ioasidbpf_decisions *d;
	long seen = 0;
	int rc;

	rc = open_stream(true, &d);
	if (rc)
		return rc;
	while (count < 0 || seen < count) {
		rc = ioasidbpf_decisions_read(d, &r, -1);
		if (rc < 0)
			break;
		show(&r, NULL);
		seen++;
	}
	ioasidbpf_decisions_close(d);
	return rc < 0 ? lib_fail(rc) : EXIT_OK;
}

int cmd_decisions(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool do_follow = false;
	long count = -1;
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	/* getopt_long wants argv[0] to be the program: shift by one. */
	argc++;
	argv--;
	while ((c = getopt_long(argc, argv, "fc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			do_follow = true;
			break;
		case 'c':
			errno = 0;
			count = strtol(optarg, &end, 0);
			if (errno || *end || count < 1)
				return usage_error("--count '%s': want N > 0", optarg);
			break;
		case 'h':
			fputs(decisions_usage, stdout);
			return EXIT_OK;
		default:
			return usage_error("decisions: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("decisions: unexpected '%s'", argv[optind]);
	return do_follow ? follow(count) : history(count);
}
