// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidctl: the operators' tool for ioasid, in bpftool's style.
 *
 *   ioasidctl [-j|--json] [-p|--pretty] [--pin-root DIR] OBJECT COMMAND ...
 *
 * OBJECT is status, policy, rule, device, decisions or bpffs; every one
 * takes --help. See ioasidctl(8) for the grammar and the exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "ioasidctl.h"

struct ctl ctl;

/*
 * Every error goes through here: "ioasidctl: MESSAGE" on stderr, or with
 * -j, as bpftool does, {"error": "MESSAGE"} on stdout.
 */
void print_error(const char *msg)
{
	struct json_object *o;

	if (ctl.errbuf) {
		if (!ctl.errbuf[0])
			snprintf(ctl.errbuf, ctl.errlen, "%s", msg);
		return;
	}
	if (!ctl.json) {
		fprintf(stderr, "ioasidctl: %s\n", msg);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(msg));
	emit_json(o);
}

int report(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error(msg);
	return code;
}

int lib_fail(int err)
{
	(void)err;
	print_error(ioasidbpf_errmsg());
	return EXIT_FAILED;
}

int lib_fail_priv(int err)
{
	lib_fail(err);
	return err == -EPERM || err == -EACCES ? EXIT_ENV : EXIT_FAILED;
}

/* libbpf speaks only with --debug: failures come back as one clear line. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!ctl.debug || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int need_bpf(void)
{
	int err = ioasidbpf_preflight(ctl.pin_root);

	if (!err)
		return 0;
	if (err == -ENODEV && ctl.json) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s; 'ioasidctl bpffs mount' mounts one",
			 ioasidbpf_errmsg());
		print_error(msg);
	} else {
		print_error(ioasidbpf_errmsg());
		if (err == -ENODEV)
			print_error("'ioasidctl bpffs mount' mounts one");
	}
	return EXIT_ENV;
}

void emit_json(struct json_object *obj)
{
	int flags = ctl.pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN;

	puts(json_object_to_json_string_ext(obj, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

int cmd_select(const char *object, const struct cmd *cmds, const char *help,
	       int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 1)
		return usage_error("%s needs a command (see ioasidctl %s --help)", object, object);
	for (c = cmds; c->name; c++) {
		if (strcmp(argv[0], c->name))
			continue;
		if (!c->own_help && wants_help(argc, argv))
			break;
		if (c->no_args && argc != 1)
			return usage_error("%s %s takes no arguments", object, argv[0]);
		return c->fn(argc, argv);
	}
	if (wants_help(argc, argv) || !strcmp(argv[0], "help")) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	return usage_error("unknown %s command '%s' (see ioasidctl %s --help)", object, argv[0],
			   object);
}

bool wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ioasidctl [-j|--json] [-p|--pretty] [--pin-root DIR] [--debug] OBJECT COMMAND ...\n"
		"  status                              module, kill switch, live objects, policies\n"
		"  policy list|show|available|load|replace|unload|errors|test|bypass\n"
		"  rule add|del|list                   operator rules of nosnoop_rules and strict\n"
		"  device list|bind|unbind|info        PCI devices given to ioasid-pci\n"
		"  decisions [--follow] [--count N]    recent decisions, or each as it is made\n"
		"  bpffs mount                         mount bpffs on /sys/fs/bpf\n"
		"  apply [--dry-run] [FILE]            make the running state what FILE says\n"
		"Every object takes --help. Exit codes: 0 ok, 1 failed, 2 bad usage,\n"
		"3 not ready (module not loaded, no privilege, no bpffs).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "debug", no_argument, NULL, 'd' },
		{}
	};
	/* Each object's own table (cmd_select()) takes it from there. */
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} objects[] = {
		{ "status", cmd_status },
		{ "policy", cmd_policy },
		{ "rule", cmd_rule },
		{ "device", cmd_device },
		{ "decisions", cmd_decisions },
		{ "bpffs", cmd_bpffs },
		{ "apply", cmd_apply },
	};
	size_t i;
	int c;

	/* Global options stop at the object word. */
	while ((c = getopt_long(argc, argv, "+jphr:Vd", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctl.json = true;
			break;
		case 'p':
			ctl.json = true;
			ctl.pretty = true;
			break;
		case 'r':
			ctl.pin_root = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'd':
			ctl.debug = true;
			break;
		case 'V':
			printf("ioasidctl, policy ABI %u\n", IOASID_POLICY_ABI_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	libbpf_set_print(libbpf_print);
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (!strcmp(argv[0], objects[i].name))
			return objects[i].fn(argc - 1, argv + 1);
	return usage_error("unknown object '%s' (see ioasidctl --help)", argv[0]);
}
