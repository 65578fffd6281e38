// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidctl: the operators' view of ioasid.
 *
 *   ioasidctl [-j|--json] [-p|--pretty] status
 *   ioasidctl [-j] policy list
 *   ioasidctl [-j] policy test (--bdf BDF | --device VENDOR:DEVICE)
 *                  [--driver NAME] [--coherent|--noncoherent]
 *                  [--pasid N [--pasid-bits N]]
 *
 * Exit codes: 0 success, 1 the operation failed (message on stderr), 2 bad
 * usage.
 */
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>
#include <linux/ioasid.h>
#include <linux/ioasid_policy.h>

#define POLICY_SYSFS "/sys/kernel/ioasid/policy"

static bool json_out;
static bool pretty;

static void emit_json(struct json_object *obj)
{
	int flags = pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN;

	puts(json_object_to_json_string_ext(obj, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

static __attribute__((format(printf, 1, 2))) int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ioasidctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* A usage error: one line on stderr, exit code 2. */
#define bad_usage(...) (fail(__VA_ARGS__), 2)

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	return 0;
}

static int open_ioasid(void)
{
	struct stat st;
	int fd;

	if (stat("/sys/module/ioasid", &st)) {
		fail("the ioasid module is not loaded (modprobe ioasid)");
		return -1;
	}
	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fail("cannot open /dev/ioasid: %s", strerror(errno));
	return fd;
}

static const char *snoop_name(__u32 snoop)
{
	switch (snoop) {
	case IOASID_SNOOP_ENFORCE:
		return "enforce";
	case IOASID_SNOOP_ALLOW_NOSNOOP:
		return "no-snoop";
	default:
		return "default";
	}
}

static const char *verdict_name(int v, char *buf, size_t len)
{
	if (v == IOASID_VERDICT_DEFER)
		return "defer";
	if (v == IOASID_VERDICT_ALLOW)
		return "allow";
	if (v < 0 && v >= -IOASID_MAX_ERRNO)
		snprintf(buf, len, "deny (%s)", strerrorname_np(-v) ?: "?");
	else
		snprintf(buf, len, "invalid (%d)", v);
	return buf;
}

/* --- policy list ----------------------------------------------------------- */

struct policy_row {
	char name[IOASID_POLICY_NAME_LEN];
	char priority[16], flags[16], link_id[16], state[16];
	char verdicts[96], last_error[IOASID_REASON_LEN + 1];
};

static int read_policy(const char *name, struct policy_row *r)
{
	static const struct {
		const char *file;
		size_t off, len;
	} fields[] = {
#define F(f) { #f, offsetof(struct policy_row, f), sizeof(((struct policy_row *)0)->f) }
		F(priority), F(flags), F(link_id), F(state), F(verdicts),
		F(last_error),
#undef F
	};
	char path[256];
	size_t i;

	snprintf(r->name, sizeof(r->name), "%s", name);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		snprintf(path, sizeof(path), POLICY_SYSFS "/%s/%s", name,
			 fields[i].file);
		if (read_file(path, (char *)r + fields[i].off, fields[i].len))
			return -1;
	}
	return 0;
}

/* The stack file lists policies in the order they are asked. */
static int for_each_policy(int (*fn)(struct policy_row *r, void *arg), void *arg)
{
	char stack[4096], *line, *save = NULL;
	int n = 0;

	if (read_file(POLICY_SYSFS "/stack", stack, sizeof(stack)))
		return -fail("cannot read %s/stack: is the ioasid module loaded?",
			     POLICY_SYSFS);
	for (line = strtok_r(stack, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct policy_row r = {};
		char name[IOASID_POLICY_NAME_LEN];

		if (sscanf(line, "%15s", name) != 1 || !strcmp(name, "builtin"))
			continue;
		if (read_policy(name, &r))
			continue; /* unregistered meanwhile */
		fn(&r, arg);
		n++;
	}
	return n;
}

static int policy_row_json(struct policy_row *r, void *arg)
{
	struct json_object *o = json_object_new_object();
	unsigned long long allow, deny, defer, error;

	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "priority", json_object_new_int64(atoll(r->priority)));
	json_object_object_add(o, "link_id", json_object_new_int64(atoll(r->link_id)));
	json_object_object_add(o, "state", json_object_new_string(r->state));
	json_object_object_add(o, "shadow", json_object_new_boolean(!strcmp(r->flags, "shadow")));
	if (sscanf(r->verdicts, "allow %llu deny %llu defer %llu error %llu",
		   &allow, &deny, &defer, &error) == 4) {
		struct json_object *v = json_object_new_object();

		json_object_object_add(v, "allow", json_object_new_int64(allow));
		json_object_object_add(v, "deny", json_object_new_int64(deny));
		json_object_object_add(v, "defer", json_object_new_int64(defer));
		json_object_object_add(v, "error", json_object_new_int64(error));
		json_object_object_add(o, "verdicts", v);
	}
	json_object_object_add(o, "last_error",
			       r->last_error[0] ? json_object_new_string(r->last_error) : NULL);
	json_object_array_add(arg, o);
	return 0;
}

static int policy_row_print(struct policy_row *r, void *arg)
{
	(void)arg;
	printf("%-16s priority %-6s link %-4s %s%s  %s\n", r->name, r->priority,
	       r->link_id, r->state, strcmp(r->flags, "shadow") ? "" : " (shadow)",
	       r->verdicts);
	if (r->last_error[0])
		printf("%-16s last error: %s\n", "", r->last_error);
	return 0;
}

static int cmd_policy_list(void)
{
	struct json_object *arr;
	int n;

	if (json_out) {
		arr = json_object_new_array();
		n = for_each_policy(policy_row_json, arr);
		if (n < 0) {
			json_object_put(arr);
			return 1;
		}
		emit_json(arr);
		return 0;
	}
	n = for_each_policy(policy_row_print, NULL);
	if (n < 0)
		return 1;
	printf("%-16s always last: enforce snoop when the IOMMU can, else no-snoop + flush\n",
	       "builtin");
	return 0;
}

/* --- status ------------------------------------------------------------------ */

static int cmd_status(void)
{
	struct stat st;
	bool loaded = !stat("/sys/module/ioasid", &st);
	bool btf = !stat("/sys/kernel/btf/ioasid", &st);
	bool dev = !stat("/dev/ioasid", &st);
	char bypass[8] = "?";
	struct json_object *o, *arr;

	read_file(POLICY_SYSFS "/bypass", bypass, sizeof(bypass));
	if (json_out) {
		o = json_object_new_object();
		json_object_object_add(o, "module_loaded", json_object_new_boolean(loaded));
		json_object_object_add(o, "module_btf", json_object_new_boolean(btf));
		json_object_object_add(o, "device_node", json_object_new_boolean(dev));
		json_object_object_add(o, "kill_switch", json_object_new_boolean(!strcmp(bypass, "1")));
		arr = json_object_new_array();
		if (loaded)
			for_each_policy(policy_row_json, arr);
		json_object_object_add(o, "policies", arr);
		emit_json(o);
		return loaded ? 0 : 1;
	}
	printf("module:      %s%s\n", loaded ? "loaded" : "not loaded",
	       loaded ? (btf ? ", with BTF" : ", WITHOUT BTF (policies cannot register)") : "");
	if (!loaded)
		return 1;
	printf("/dev/ioasid: %s\n", dev ? "present" : "missing");
	printf("kill switch: %s\n", !strcmp(bypass, "1") ?
	       "ON (only the built-in policy decides)" : "off");
	printf("policies, in the order they are asked:\n");
	for_each_policy(policy_row_print, NULL);
	printf("%-16s always last\n", "builtin");
	return 0;
}

/* --- policy test (dry run) ------------------------------------------------------ */

static void caps_string(__u32 caps, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s",
		 caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY ? "enforce-coherency " : "",
		 caps & IOASID_IOMMU_CAP_CACHE_COHERENCY ? "cache-coherency " : "",
		 caps & IOASID_IOMMU_CAP_PASID ? "pasid " : "",
		 caps & IOASID_IOMMU_CAP_NESTING ? "nesting " : "");
	if (buf[0])
		buf[strlen(buf) - 1] = 0;
	else
		snprintf(buf, len, "none");
}

static struct json_object *decision_json(const struct ioasid_policy_decision *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "verdict", json_object_new_int(d->verdict));
	json_object_object_add(o, "allowed", json_object_new_boolean(!d->verdict));
	json_object_object_add(o, "snoop", json_object_new_string(snoop_name(d->snoop)));
	json_object_object_add(o, "flush_grant",
			       json_object_new_boolean(d->flags & IOASID_DECISION_FLUSH_GRANT));
	json_object_object_add(o, "flush_rate", json_object_new_int64(d->flush_rate));
	json_object_object_add(o, "flush_burst", json_object_new_int64(d->flush_burst));
	if (d->flags & IOASID_DECISION_PASID_RANGE) {
		json_object_object_add(o, "pasid_min", json_object_new_int64(d->pasid_min));
		json_object_object_add(o, "pasid_max", json_object_new_int64(d->pasid_max));
	}
	json_object_object_add(o, "policy", json_object_new_string(d->policy));
	json_object_object_add(o, "policy_id", json_object_new_int64(d->policy_id));
	json_object_object_add(o, "reason", json_object_new_string(d->reason));
	return o;
}

static int parse_bdf(const char *s, __u32 *bdf)
{
	unsigned int dom = 0, bus, dev, fn;
	char extra;

	if (sscanf(s, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &extra) != 4) {
		dom = 0;
		if (sscanf(s, "%x:%x.%x%c", &bus, &dev, &fn, &extra) != 3)
			return -1;
	}
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return -1;
	*bdf = dom << 16 | bus << 8 | dev << 3 | fn;
	return 0;
}

static int parse_vendor_device(const char *s, __u16 *vendor, __u16 *device)
{
	unsigned int v, d;
	char extra;

	if (sscanf(s, "%4x:%4x%c", &v, &d, &extra) != 2 || strlen(s) != 9)
		return -1;
	*vendor = v;
	*device = d;
	return 0;
}

static int cmd_policy_test(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bdf", required_argument, NULL, 'b' },
		{ "device", required_argument, NULL, 'd' },
		{ "driver", required_argument, NULL, 'D' },
		{ "coherent", no_argument, NULL, 'c' },
		{ "noncoherent", no_argument, NULL, 'n' },
		{ "pasid", required_argument, NULL, 'P' },
		{ "pasid-bits", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct ioasid_policy_dry_run dr = { .size = sizeof(dr) };
	struct ioasid_policy_req *req = &dr.req;
	bool have_dev = false, coherent = true;
	char caps[96], vbuf[64];
	unsigned long val;
	char *end;
	__u32 i;
	int c, fd;

	req->op = IOASID_POLICY_OP_ATTACH;
	req->group_size = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (parse_bdf(optarg, &req->bdf))
				return bad_usage("malformed PCI address '%s' (want [DDDD:]BB:DD.F)", optarg);
			dr.flags |= IOASID_DRY_RUN_DEVICE_BDF;
			have_dev = true;
			break;
		case 'd':
			if (parse_vendor_device(optarg, &req->vendor, &req->device))
				return bad_usage("malformed vendor:device '%s' (want e.g. 8086:1234)", optarg);
			have_dev = true;
			break;
		case 'D':
			snprintf(req->driver, sizeof(req->driver), "%s", optarg);
			break;
		case 'c':
			coherent = true;
			break;
		case 'n':
			coherent = false;
			break;
		case 'P':
			errno = 0;
			val = strtoul(optarg, &end, 0);
			if (errno || *end || !val || val >= (1UL << 20))
				return bad_usage("PASID '%s' out of range (1..1048575)", optarg);
			req->op = IOASID_POLICY_OP_ATTACH_PASID;
			req->pasid = val;
			break;
		case 'B':
			errno = 0;
			val = strtoul(optarg, &end, 0);
			if (errno || *end || val > 20)
				return bad_usage("PASID width '%s' out of range (0..20)", optarg);
			req->pasid_bits = val;
			break;
		case 'h':
			printf("usage: ioasidctl policy test (--bdf BDF | --device VENDOR:DEVICE)\n"
			       "       [--driver NAME] [--coherent|--noncoherent] [--pasid N [--pasid-bits N]]\n"
			       "Evaluate the registered policies for a device without attaching it.\n"
			       "--bdf describes a real PCI device exactly as an attach would.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!have_dev)
		return bad_usage("policy test needs --bdf or --device");
	if (!(dr.flags & IOASID_DRY_RUN_DEVICE_BDF)) {
		snprintf(req->iommu_driver, sizeof(req->iommu_driver), "described");
		req->iommu_caps = IOASID_IOMMU_CAP_CACHE_COHERENCY |
				  (coherent ? IOASID_IOMMU_CAP_ENFORCE_COHERENCY : 0) |
				  (req->pasid_bits ? IOASID_IOMMU_CAP_PASID : 0);
	}

	fd = open_ioasid();
	if (fd < 0)
		return 1;
	if (ioctl(fd, IOASID_POLICY_DRY_RUN, &dr)) {
		c = errno;
		close(fd);
		if (c == EPERM)
			return fail("policy test needs CAP_SYS_ADMIN");
		if (c == ENODEV)
			return fail("no PCI device with an IOMMU group at that address");
		return fail("dry run failed: %s", strerror(c));
	}
	close(fd);

	caps_string(req->iommu_caps, caps, sizeof(caps));
	if (json_out) {
		struct json_object *o = json_object_new_object(), *d, *arr;

		d = json_object_new_object();
		json_object_object_add(d, "vendor", json_object_new_int(req->vendor));
		json_object_object_add(d, "device", json_object_new_int(req->device));
		json_object_object_add(d, "class", json_object_new_int(req->class));
		json_object_object_add(d, "driver", json_object_new_string(req->driver));
		json_object_object_add(d, "iommu_driver", json_object_new_string(req->iommu_driver));
		json_object_object_add(d, "iommu_caps", json_object_new_string(caps));
		json_object_object_add(d, "group_size", json_object_new_int64(req->group_size));
		json_object_object_add(d, "pasid_bits", json_object_new_int64(req->pasid_bits));
		json_object_object_add(o, "device", d);
		arr = json_object_new_array();
		for (i = 0; i < dr.out_nr_verdicts && i < IOASID_POLICY_MAX_REPORTED; i++) {
			struct ioasid_policy_verdict *v = &dr.out_verdicts[i];
			struct json_object *vo = json_object_new_object();

			json_object_object_add(vo, "policy", json_object_new_string(v->name));
			json_object_object_add(vo, "policy_id", json_object_new_int64(v->policy_id));
			json_object_object_add(vo, "verdict", json_object_new_string(
				verdict_name(v->verdict, vbuf, sizeof(vbuf))));
			json_object_object_add(vo, "reason", json_object_new_string(v->reason));
			json_object_array_add(arr, vo);
		}
		json_object_object_add(o, "asked", arr);
		json_object_object_add(o, "decision", decision_json(&dr.out_decision));
		emit_json(o);
		return 0;
	}

	printf("device %04x:%04x class %06x driver %s\n", req->vendor, req->device,
	       req->class, req->driver[0] ? req->driver : "(none)");
	printf("iommu  %s, caps: %s, group of %u\n", req->iommu_driver, caps,
	       req->group_size);
	for (i = 0; i < dr.out_nr_verdicts && i < IOASID_POLICY_MAX_REPORTED; i++) {
		struct ioasid_policy_verdict *v = &dr.out_verdicts[i];

		printf("asked  %-16s %s%s%s\n", v->name,
		       verdict_name(v->verdict, vbuf, sizeof(vbuf)),
		       v->reason[0] ? ": " : "", v->reason);
	}
	printf("decision: %s by %s", dr.out_decision.verdict ?
	       verdict_name(dr.out_decision.verdict, vbuf, sizeof(vbuf)) : "allow",
	       dr.out_decision.policy);
	if (!dr.out_decision.verdict) {
		printf(", snoop %s", snoop_name(dr.out_decision.snoop));
		if (dr.out_decision.flags & IOASID_DECISION_FLUSH_GRANT) {
			if (dr.out_decision.flush_rate)
				printf(", cache flush granted (%u/s, burst %u)",
				       dr.out_decision.flush_rate, dr.out_decision.flush_burst);
			else
				printf(", cache flush granted (unlimited)");
		}
		if (dr.out_decision.flags & IOASID_DECISION_PASID_RANGE)
			printf(", PASID %u-%u", dr.out_decision.pasid_min,
			       dr.out_decision.pasid_max);
	}
	printf("\n%s%s%s", dr.out_decision.reason[0] ? "reason: " : "",
	       dr.out_decision.reason, dr.out_decision.reason[0] ? "\n" : "");
	return 0;
}

/* --- main ----------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ioasidctl [-j|--json] [-p|--pretty] COMMAND\n"
		"  status                     module, kill switch and policy stack\n"
		"  policy list                registered policies with counters\n"
		"  policy test ...            dry-run the policies for a device (policy test --help)\n"
		"exit codes: 0 ok, 1 failed, 2 bad usage\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	/* Global options stop at the command word. */
	while ((c = getopt_long(argc, argv, "+jph", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json_out = true;
			break;
		case 'p':
			json_out = true;
			pretty = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[0], "status") && argc == 1)
		return cmd_status();
	if (!strcmp(argv[0], "policy") && argc >= 2) {
		if (!strcmp(argv[1], "list") && argc == 2)
			return cmd_policy_list();
		if (!strcmp(argv[1], "test"))
			return cmd_policy_test(argc - 1, argv + 1);
	}
	fail("unknown command '%s' (see ioasidctl --help)", argv[0]);
	return 2;
}
