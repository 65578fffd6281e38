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

struct load_args {
	const char *what;
	const char *map;
	long long priority;	/* -1: as built / kept */
	bool shadow;
};

/* Keywords after the positional words: priority N, shadow, map MAP. */
static int parse_load_args(int argc, char **argv, bool allow_shadow,
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

static int open_policy(const struct load_args *a, struct ioasidbpf_policy **p,
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

int policy_test(int argc, char **argv);

int cmd_policy(int argc, char **argv)
{
	if (argc < 1)
		return usage_error("policy needs a command (see ioasidctl policy --help)");
	if (!strcmp(argv[0], "test"))
		return policy_test(argc, argv);
	if (wants_help(argc, argv)) {
		fputs(policy_usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[0], "list") && argc == 1)
		return policy_list(false);
	if (!strcmp(argv[0], "errors") && argc == 1)
		return policy_list(true);
	if (!strcmp(argv[0], "available") && argc == 1)
		return policy_available();
	if (!strcmp(argv[0], "show") && argc == 2)
		return policy_show(argv[1]);
	if (!strcmp(argv[0], "load"))
		return policy_register(NULL, argc - 1, argv + 1);
	if (!strcmp(argv[0], "replace"))
		return argc < 3 ? usage_error("policy replace needs RUNNING and NAME or FILE") :
				  policy_register(argv[1], argc - 2, argv + 2);
	if (!strcmp(argv[0], "unload"))
		return policy_unload(argc - 1, argv + 1);
	if (!strcmp(argv[0], "bypass"))
		return policy_bypass(argc - 1, argv + 1);
	return usage_error("unknown or incomplete policy command '%s' (see ioasidctl policy --help)",
			   argv[0]);
}
