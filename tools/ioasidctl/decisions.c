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
#include <stdint.h>
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
	case IOASID_DECISION_KIND_KVM_LINK:
		return "kvm-link";
	case IOASID_DECISION_KIND_KVM_UNLINK:
		return "kvm-unlink";
	case IOASID_DECISION_KIND_REVALIDATED:
		return "revalidated";
	default:
		return "?";
	}
}

static void bdf_string(__u32 bdf, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", bdf >> 16, (bdf >> 8) & 0xff,
		 (bdf >> 3) & 0x1f, bdf & 7);
}

/* A record field, by JSON type. */
static void put_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void put_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static void put_bool(struct json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

static struct json_object *record_json(const struct ioasid_decision_record *r)
{
	struct json_object *o = json_object_new_object();
	char bdf[32], vbuf[64];

	put_int(o, "seq", r->hdr.seq);
	put_int(o, "time_ns", r->hdr.time_ns);
	put_int(o, "lost", r->hdr.lost);
	put_str(o, "op", op_name(r->hdr.kind));
	put_bool(o, "dry_run", r->req_flags & IOASID_REQ_DRY_RUN);
	put_int(o, "vendor", r->vendor);
	put_int(o, "device", r->device);
	bdf_string(r->bdf, bdf, sizeof(bdf));
	put_str(o, "bdf", r->bdf ? bdf : NULL);
	put_bool(o, "sw_device", r->req_flags & IOASID_REQ_SW_DEVICE);
	put_str(o, "driver", r->driver);
	put_int(o, "uid", r->uid);
	put_int(o, "pid", r->pid);
	put_int(o, "cgroup_id", r->cgroup_id);
	put_int(o, "fd_id", r->fd_id);
	put_int(o, "ioas_id", r->ioas_id);
	put_int(o, "pasid", r->pasid);
	put_int(o, "verdict", r->error);
	put_bool(o, "allowed", !r->error);
	put_str(o, "error", r->error ? verdict_name(r->error, vbuf, sizeof(vbuf)) : NULL);
	put_str(o, "snoop", snoop_name(r->snoop));
	put_bool(o, "flush_grant", r->decision_flags & IOASID_DECISION_FLUSH_GRANT);
	put_int(o, "flush_rate", r->flush_rate);
	put_int(o, "flush_burst", r->flush_burst);
	put_int(o, "flags", r->decision_flags);
	put_str(o, "policy", r->policy);
	put_int(o, "policy_id", r->policy_id);
	put_int(o, "asked", r->nr_asked);
	put_int(o, "policy_verdict", r->policy_verdict);
	put_str(o, "reason", r->policy_reason);
	put_int(o, "core_error", r->core_error);
	put_str(o, "core_reason", r->core_reason);
	if (r->hdr.kind == IOASID_POLICY_OP_CACHE_FLUSH &&
	    r->hdr.size >= IOASID_DECISION_RECORD_SIZE_V2) {
		put_int(o, "nr_attached", r->nr_attached);
		put_int(o, "nr_noncoherent", r->nr_noncoherent);
		put_str(o, "grant_policy", r->grant_policy);
		put_int(o, "grant_policy_id", r->grant_policy_id);
		put_str(o, "grant_reason", r->grant_reason);
	}
	return o;
}

/*
 * A cache flush: the fd, who flushed, what it has attached (the device
 * whose grant is in force), the outcome, and the grant or the refusal.
 */
static void print_flush(const struct ioasid_decision_record *r, const char *dev)
{
	char vbuf[64];

	printf("fd %llu pid %u uid %u", (unsigned long long)r->fd_id, r->pid, r->uid);
	if (r->req_flags & IOASID_REQ_DRY_RUN)
		printf(" (dry run)");
	if (!r->nr_attached)
		printf(", nothing attached: ");
	else
		printf(", %u attached (%s%s, %u non-coherent): ", r->nr_attached, dev,
		       r->nr_attached > 1 ? " and more" : "", r->nr_noncoherent);
	if (r->core_error)
		printf("%s by the core: %s", verdict_name(r->core_error, vbuf, sizeof(vbuf)),
		       r->core_reason);
	else
		printf("%s by %s%s%s", r->error ? verdict_name(r->error, vbuf, sizeof(vbuf)) :
		       "allow", r->policy, r->policy_reason[0] ? ": " : "", r->policy_reason);
	if (r->decision_flags & IOASID_DECISION_FLUSH_GRANT) {
		if (r->flush_rate)
			printf("; grant %u/s burst %u", r->flush_rate, r->flush_burst);
		else
			printf("; grant unlimited");
		printf(" by %s at attach%s%s", r->grant_policy,
		       r->grant_reason[0] ? ": " : "", r->grant_reason);
	}
	printf("\n");
}

/* One line: time, op, device, outcome by whom, and why. */
static void print_record(const struct ioasid_decision_record *r)
{
	time_t secs = r->hdr.time_ns / 1000000000ULL;
	char when[32], dev[64], bdf[32], vbuf[64];
	struct tm tm;

	if (r->hdr.lost)
		printf("-- %llu decisions lost (read too slowly) --\n",
		       (unsigned long long)r->hdr.lost);
	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%F %T", &tm);
	if (r->req_flags & IOASID_REQ_SW_DEVICE) {
		snprintf(dev, sizeof(dev), "%04x:%04x sw:%s", r->vendor, r->device, r->driver);
	} else if (r->bdf) {
		bdf_string(r->bdf, bdf, sizeof(bdf));
		snprintf(dev, sizeof(dev), "%04x:%04x %s", r->vendor, r->device, bdf);
	} else if (r->vendor || r->device) {
		snprintf(dev, sizeof(dev), "%04x:%04x", r->vendor, r->device);
	} else {
		snprintf(dev, sizeof(dev), "fd %llu", (unsigned long long)r->fd_id);
	}
	printf("%s.%06llu #%llu %-12s ", when,
	       (unsigned long long)(r->hdr.time_ns % 1000000000ULL) / 1000,
	       (unsigned long long)r->hdr.seq, op_name(r->hdr.kind));
	if (r->hdr.kind == IOASID_POLICY_OP_CACHE_FLUSH &&
	    r->hdr.size >= IOASID_DECISION_RECORD_SIZE_V2) {
		print_flush(r, dev);
		return;
	}
	printf("%s uid %u%s ", dev, r->uid,
	       r->req_flags & IOASID_REQ_REVALIDATE ? " (revalidation)" :
	       r->req_flags & IOASID_REQ_DRY_RUN ? " (dry run)" : "");
	if (r->hdr.kind == IOASID_DECISION_KIND_REVALIDATED) {
		printf("%s by %s: %s\n",
		       r->decision_flags & IOASID_DECISION_REVOKED ? "revoked (detached)" :
		       r->decision_flags & IOASID_DECISION_NEEDS_REATTACH ? "needs a re-attach" :
		       "grant applied", r->policy, r->policy_reason);
		return;
	}
	if (r->hdr.kind == IOASID_POLICY_OP_DETACH) {
		printf("detached\n");
		return;
	}
	if (r->hdr.kind == IOASID_DECISION_KIND_KVM_UNLINK) {
		printf("KVM told the non-coherent DMA is gone\n");
		return;
	}
	if (r->hdr.kind == IOASID_DECISION_KIND_KVM_LINK) {
		printf("fd %llu %s: %s\n", (unsigned long long)r->fd_id,
		       r->error ? verdict_name(r->error, vbuf, sizeof(vbuf)) : "linked",
		       r->policy_reason);
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
