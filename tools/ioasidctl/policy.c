// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidctl policy: list | show NAME | available | errors
 *                   load NAME|FILE [priority N] [shadow] [map MAP]
 *                   replace RUNNING NAME|FILE [priority N] [map MAP]
 *                   unload NAME | bypass [on|off]
 *                   test (--bdf BDF | --device V:D) [--driver D]
 *                        [--coherent|--noncoherent] [--cgroup PATH]
 *                        [--pasid N [--pasid-bits N]]
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ioasidctl.h"

static const char policy_usage[] =
	"usage: ioasidctl policy COMMAND\n"
	"  list                               registered policies, in the order asked\n"
	"  show NAME                          one registered policy\n"
	"  available                          the default policies shipped\n"
	"  errors                             errored policies and why\n"
	"  load NAME|FILE [priority N] [shadow] [map MAP]\n"
	"                                     register a policy (a default by name, or a .bpf.o)\n"
	"  replace RUNNING NAME|FILE [priority N] [map MAP]\n"
	"                                     swap a registered policy, without a gap\n"
	"  unload NAME                        unregister a policy\n"
	"  bypass [on|off]                    the kill switch: only the built-in decides\n"
	"  test (--bdf BDF | --device VENDOR:DEVICE) [--driver NAME]\n"
	"       [--coherent|--noncoherent] [--cgroup PATH] [--pasid N [--pasid-bits N]]\n"
	"                                     dry-run the stack for a device\n";

/* The stack is unreadable: the module is not loaded (-ENOENT) or worse. */
static int stack_fail(int err)
{
	lib_fail(err);
	return err == -ENOENT ? EXIT_ENV : EXIT_FAILED;
}

static struct json_object *status_json(const struct ioasidbpf_status *s)
{
	struct json_object *o = json_object_new_object(), *v;

	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "priority", json_object_new_int64(s->priority));
	json_object_object_add(o, "shadow", json_object_new_boolean(s->shadow));
	json_object_object_add(o, "state",
			       json_object_new_string(s->errored ? "errored" : "active"));
	json_object_object_add(o, "link_id", json_object_new_int64(s->link_id));
	json_object_object_add(o, "map_id", json_object_new_int64(s->map_id));
	v = json_object_new_object();
	json_object_object_add(v, "allow", json_object_new_int64(s->allow));
	json_object_object_add(v, "deny", json_object_new_int64(s->deny));
	json_object_object_add(v, "defer", json_object_new_int64(s->defer));
	json_object_object_add(v, "error", json_object_new_int64(s->error));
	json_object_object_add(o, "verdicts", v);
	json_object_object_add(o, "last_error", s->last_error[0] ?
			       json_object_new_string(s->last_error) : NULL);
	json_object_object_add(o, "pinned", s->pin_path[0] ?
			       json_object_new_string(s->pin_path) : NULL);
	return o;
}

static void status_print(const struct ioasidbpf_status *s)
{
	printf("%-16s priority %-5u %s%s  allow %llu deny %llu defer %llu error %llu\n",
	       s->name, s->priority, s->errored ? "errored" : "active",
	       s->shadow ? " shadow" : "", (unsigned long long)s->allow,
	       (unsigned long long)s->deny, (unsigned long long)s->defer,
	       (unsigned long long)s->error);
	if (s->last_error[0])
		printf("%-16s last error: %s\n", "", s->last_error);
}

/* Shared with status. */
int print_policy_stack(struct json_object *into)
{
	struct ioasidbpf_status *all;
	int n, i;

	n = ioasidbpf_status(ctl.pin_root, &all);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (into)
			json_object_array_add(into, status_json(&all[i]));
		else
			status_print(&all[i]);
	}
	if (!into)
		printf("%-16s always last: enforce snoop when the IOMMU can, else no-snoop + flush\n",
		       "builtin");
	free(all);
	return n;
}

static int policy_list(bool errored_only)
{
	struct json_object *arr = json_object_new_array();
	struct ioasidbpf_status *all;
	int n, i, shown = 0;

	n = ioasidbpf_status(ctl.pin_root, &all);
	if (n < 0) {
		json_object_put(arr);
		return stack_fail(n);
	}
	for (i = 0; i < n; i++) {
		if (errored_only && !all[i].errored)
			continue;
		shown++;
		if (ctl.json)
			json_object_array_add(arr, status_json(&all[i]));
		else if (errored_only)
			printf("%-16s %s\n", all[i].name, all[i].last_error);
		else
			status_print(&all[i]);
	}
	free(all);
	if (ctl.json) {
		emit_json(arr);
		return EXIT_OK;
	}
	json_object_put(arr);
	if (!errored_only)
		printf("%-16s always last: enforce snoop when the IOMMU can, else no-snoop + flush\n",
		       "builtin");
	else if (!shown)
		printf("no errored policy\n");
	return EXIT_OK;
}

static int policy_show(const char *name)
{
	struct ioasidbpf_status *all;
	int n, i, rc = EXIT_FAILED;

	n = ioasidbpf_status(ctl.pin_root, &all);
	if (n < 0)
		return stack_fail(n);
	for (i = 0; i < n; i++) {
		const struct ioasidbpf_status *s = &all[i];

		if (strcmp(s->name, name))
			continue;
		rc = EXIT_OK;
		if (ctl.json) {
			emit_json(status_json(s));
			break;
		}
		printf("name:       %s\n", s->name);
		printf("priority:   %u (asked %d of %d)\n", s->priority, i + 1, n);
		printf("state:      %s%s\n", s->errored ? "errored" : "active",
		       s->shadow ? ", shadow (recorded, never decides)" : "");
		printf("link id:    %u\n", s->link_id);
		printf("map id:     %u\n", s->map_id);
		printf("pinned:     %s\n", s->pin_path[0] ? s->pin_path : "no");
		printf("verdicts:   allow %llu, deny %llu, defer %llu, error %llu\n",
		       (unsigned long long)s->allow, (unsigned long long)s->deny,
		       (unsigned long long)s->defer, (unsigned long long)s->error);
		if (s->last_error[0])
			printf("last error: %s\n", s->last_error);
		break;
	}
	free(all);
	if (rc)
		return fail("no registered policy named %s", name);
	return rc;
}

static int policy_available(void)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < ioasidbpf_builtin_count(); i++) {
		if (ctl.json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "name",
					       json_object_new_string(ioasidbpf_builtin_name(i)));
			json_object_object_add(o, "summary",
					       json_object_new_string(ioasidbpf_builtin_summary(i)));
			json_object_array_add(arr, o);
		} else {
			printf("%-14s %s\n", ioasidbpf_builtin_name(i),
			       ioasidbpf_builtin_summary(i));
		}
	}
	if (ctl.json)
		emit_json(arr);
	else
		json_object_put(arr);
	return EXIT_OK;
}

/* Keywords after the positional words: priority N, shadow, map MAP. */
int parse_load_args(int argc, char **argv, bool allow_shadow,
			   struct load_args *a)
{
	char *end;
	int i;

	a->priority = -1;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "priority") && i + 1 < argc) {
			errno = 0;
			a->priority = strtoll(argv[++i], &end, 0);
			if (errno || *end || a->priority < 0 || a->priority > 0xffffffffLL)
				return usage_error("priority '%s': want 0..4294967295", argv[i]);
		} else if (!strcmp(argv[i], "map") && i + 1 < argc) {
			a->map = argv[++i];
		} else if (allow_shadow && !strcmp(argv[i], "shadow")) {
			a->shadow = true;
		} else {
			return usage_error("unexpected '%s' (see ioasidctl policy --help)", argv[i]);
		}
	}
	return 0;
}

int open_policy(const struct load_args *a, struct ioasidbpf_policy **p,
		       char *log, size_t log_size)
{
	struct ioasidbpf_open_opts o = {
		.sz = sizeof(o), .pin_root = ctl.pin_root, .map_name = a->map,
		.log_buf = log, .log_size = log_size,
	};
	int err;

	err = ioasidbpf_policy_open(a->what, &o, p);
	if (err)
		return lib_fail(err);
	if (a->priority >= 0)
		ioasidbpf_policy_set_priority(*p, a->priority);
	if (a->shadow && ioasidbpf_policy_set_flags(*p, IOASID_POLICY_F_SHADOW)) {
		ioasidbpf_policy_close(*p);
		return lib_fail(-EINVAL);
	}
	return 0;
}

static void print_log(const char *log)
{
	if (log[0])
		fprintf(stderr, "--- verifier log ---\n%s\n--- end of verifier log ---\n", log);
}

static int result(const char *verb, const char *name, const char *extra)
{
	if (ctl.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "result", json_object_new_string(verb));
		json_object_object_add(o, "policy", json_object_new_string(name));
		if (extra)
			json_object_object_add(o, "replaced", json_object_new_string(extra));
		emit_json(o);
	} else if (extra) {
		printf("%s %s (was %s)\n", verb, name, extra);
	} else {
		printf("%s %s\n", verb, name);
	}
	return EXIT_OK;
}

/*
 * policy load NAME|FILE [args], or with @running set, policy replace
 * RUNNING NAME|FILE [args]: open, then register or take @running's place.
 */
static int policy_register(const char *running, int argc, char **argv)
{
	static char log[65536];
	struct load_args a = { 0 };
	struct ioasidbpf_policy *p;
	char name[IOASID_POLICY_NAME_LEN];
	int rc, err;

	if (argc < 1)
		return usage_error(running ? "policy replace needs RUNNING and NAME or FILE" :
				   "policy load needs NAME or FILE");
	a.what = argv[0];
	rc = parse_load_args(argc - 1, argv + 1, !running, &a);
	if (rc)
		return rc;
	rc = need_bpf();
	if (rc)
		return rc;
	rc = open_policy(&a, &p, log, sizeof(log));
	if (rc)
		return rc;
	err = running ? ioasidbpf_policy_replace(p, running) : ioasidbpf_policy_attach(p);
	if (err) {
		rc = lib_fail(err);
		print_log(log);
	} else {
		snprintf(name, sizeof(name), "%s", ioasidbpf_policy_name(p));
		rc = result(running ? "replaced" : "registered", name, running);
	}
	ioasidbpf_policy_close(p);
	return rc;
}

static int policy_unload(int argc, char **argv)
{
	int rc, err;

	if (argc != 1)
		return usage_error("policy unload needs exactly one NAME");
	rc = need_bpf();
	if (rc)
		return rc;
	err = ioasidbpf_unload(argv[0], ctl.pin_root);
	if (err)
		return lib_fail(err);
	return result("unregistered", argv[0], NULL);
}

static int policy_bypass(int argc, char **argv)
{
	int set = -1, state;

	if (argc > 1)
		return usage_error("policy bypass takes on, off or nothing");
	if (argc == 1) {
		if (!strcmp(argv[0], "on"))
			set = 1;
		else if (!strcmp(argv[0], "off"))
			set = 0;
		else
			return usage_error("policy bypass: '%s' is neither on nor off", argv[0]);
	}
	state = ioasidbpf_bypass(set);
	if (state < 0)
		return lib_fail_priv(state);
	if (ctl.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "bypass", json_object_new_boolean(state));
		emit_json(o);
	} else {
		printf("kill switch %s\n", state ? "on: only the built-in policy decides" :
		       "off: the policy stack decides");
	}
	return EXIT_OK;
}

/* --- policy test: the dry run. The kernel evaluates the registered stack
 * for a described device (or a real one by BDF, described exactly as an
 * attach would) and reports every policy's answer and the decision. */

static const char test_usage[] =
	"usage: ioasidctl policy test (--bdf BDF | --device VENDOR:DEVICE)\n"
	"       [--driver NAME] [--coherent|--noncoherent] [--cgroup PATH]\n"
	"       [--pasid N [--pasid-bits N]]\n"
	"Evaluate the registered policies for a device without attaching it.\n"
	"--bdf describes a real PCI device exactly as an attach would; --device\n"
	"describes one (IOMMU with snoop control unless --noncoherent).\n"
	"--cgroup asks as a requester in that cgroup v2 directory. Needs root.\n";

static void print_result(const struct ioasid_policy_dry_run *dr)
{
	const struct ioasid_policy_req *req = &dr->req;
	char caps[96], vbuf[64];
	__u32 i;

	caps_string(req->iommu_caps, caps, sizeof(caps));
	if (ctl.json) {
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
		json_object_object_add(d, "cgroup_id", json_object_new_int64(req->cgroup_id));
		json_object_object_add(o, "device", d);
		arr = json_object_new_array();
		for (i = 0; i < dr->out_nr_verdicts && i < IOASID_POLICY_MAX_REPORTED; i++) {
			const struct ioasid_policy_verdict *v = &dr->out_verdicts[i];
			struct json_object *vo = json_object_new_object();

			json_object_object_add(vo, "policy", json_object_new_string(v->name));
			json_object_object_add(vo, "policy_id", json_object_new_int64(v->policy_id));
			json_object_object_add(vo, "verdict", json_object_new_string(
				verdict_name(v->verdict, vbuf, sizeof(vbuf))));
			json_object_object_add(vo, "reason", json_object_new_string(v->reason));
			json_object_array_add(arr, vo);
		}
		json_object_object_add(o, "asked", arr);
		json_object_object_add(o, "decision", decision_json(&dr->out_decision));
		emit_json(o);
		return;
	}
	printf("device %04x:%04x class %06x driver %s\n", req->vendor, req->device,
	       req->class, req->driver[0] ? req->driver : "(none)");
	printf("iommu  %s, caps: %s, group of %u\n", req->iommu_driver, caps,
	       req->group_size);
	for (i = 0; i < dr->out_nr_verdicts && i < IOASID_POLICY_MAX_REPORTED; i++) {
		const struct ioasid_policy_verdict *v = &dr->out_verdicts[i];

		printf("asked  %-16s %s%s%s\n", v->name,
		       verdict_name(v->verdict, vbuf, sizeof(vbuf)),
		       v->reason[0] ? ": " : "", v->reason);
	}
	print_decision(&dr->out_decision);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *val)
{
	char *end;

	errno = 0;
	*val = strtoul(s, &end, 0);
	return errno || *end || !*s || *val > max ? -1 : 0;
}

/* policy test: the dry run, argv[0] is "test". */
static int policy_test(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bdf", required_argument, NULL, 'b' },
		{ "device", required_argument, NULL, 'd' },
		{ "driver", required_argument, NULL, 'D' },
		{ "coherent", no_argument, NULL, 'c' },
		{ "noncoherent", no_argument, NULL, 'n' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "pasid", required_argument, NULL, 'P' },
		{ "pasid-bits", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct ioasid_policy_dry_run dr = { 0 };
	struct ioasid_policy_req *req = &dr.req;
	bool have_dev = false, coherent = true;
	unsigned long val;
	int c, err;

	req->op = IOASID_POLICY_OP_ATTACH;
	req->group_size = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (ioasidbpf_parse_bdf(optarg, &req->bdf))
				return usage_error("%s", ioasidbpf_errmsg());
			dr.flags |= IOASID_DRY_RUN_DEVICE_BDF;
			have_dev = true;
			break;
		case 'd':
			if (ioasidbpf_parse_pci_id(optarg, &req->vendor, &req->device))
				return usage_error("%s", ioasidbpf_errmsg());
			have_dev = true;
			break;
		case 'D':
			if (strlen(optarg) >= sizeof(req->driver))
				return usage_error("driver name '%s' is too long", optarg);
			snprintf(req->driver, sizeof(req->driver), "%s", optarg);
			break;
		case 'c':
			coherent = true;
			break;
		case 'n':
			coherent = false;
			break;
		case 'g':
			if (cgroup_path_id(optarg, &req->cgroup_id))
				return EXIT_USAGE;
			break;
		case 'P':
			if (parse_uint(optarg, IOASID_PASID_MAX, &val) || !val)
				return usage_error("PASID '%s' out of range (1..%u)", optarg,
						   IOASID_PASID_MAX);
			req->op = IOASID_POLICY_OP_ATTACH_PASID;
			req->pasid = val;
			break;
		case 'B':
			if (parse_uint(optarg, IOASID_PASID_BITS, &val))
				return usage_error("PASID width '%s' out of range (0..%d)", optarg,
						   IOASID_PASID_BITS);
			req->pasid_bits = val;
			break;
		case 'h':
			fputs(test_usage, stdout);
			return EXIT_OK;
		default:
			return usage_error("policy test: unknown option '%s' (see --help)",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("policy test: unexpected '%s'", argv[optind]);
	if (!have_dev)
		return usage_error("policy test needs --bdf or --device");
	if (!(dr.flags & IOASID_DRY_RUN_DEVICE_BDF)) {
		snprintf(req->iommu_driver, sizeof(req->iommu_driver), "described");
		req->iommu_caps = IOASID_IOMMU_CAP_CACHE_COHERENCY |
				  (coherent ? IOASID_IOMMU_CAP_ENFORCE_COHERENCY : 0) |
				  (req->pasid_bits ? IOASID_IOMMU_CAP_PASID : 0);
	}
	err = ioasidbpf_dry_run(&dr);
	if (err)
		return lib_fail_priv(err);
	print_result(&dr);
	return EXIT_OK;
}

static int policy_list_cmd(int argc, char **argv)
{
	(void)argc;
	return policy_list(!strcmp(argv[0], "errors"));
}

static int policy_available_cmd(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return policy_available();
}

static int policy_show_cmd(int argc, char **argv)
{
	if (argc != 2)
		return usage_error("policy show needs exactly one NAME");
	return policy_show(argv[1]);
}

static int policy_load_cmd(int argc, char **argv)
{
	return policy_register(NULL, argc - 1, argv + 1);
}

static int policy_replace_cmd(int argc, char **argv)
{
	if (argc < 3)
		return usage_error("policy replace needs RUNNING and NAME or FILE");
	return policy_register(argv[1], argc - 2, argv + 2);
}

static int policy_unload_cmd(int argc, char **argv)
{
	return policy_unload(argc - 1, argv + 1);
}

static int policy_bypass_cmd(int argc, char **argv)
{
	return policy_bypass(argc - 1, argv + 1);
}

static const struct cmd policy_cmds[] = {
	{ .name = "list", .fn = policy_list_cmd, .no_args = true },
	{ .name = "errors", .fn = policy_list_cmd, .no_args = true },
	{ .name = "available", .fn = policy_available_cmd, .no_args = true },
	{ .name = "show", .fn = policy_show_cmd },
	{ .name = "load", .fn = policy_load_cmd },
	{ .name = "replace", .fn = policy_replace_cmd },
	{ .name = "unload", .fn = policy_unload_cmd },
	{ .name = "bypass", .fn = policy_bypass_cmd },
	{ .name = "test", .fn = policy_test, .own_help = true },
	{}
};

int cmd_policy(int argc, char **argv)
{
	return cmd_select("policy", policy_cmds, policy_usage, argc, argv);
}
