// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidctl policy test: the dry run. The kernel evaluates the registered
 * stack for a described device (or a real one by BDF, described exactly as
 * an attach would) and reports every policy's answer and the decision.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ioasidctl.h"

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

int policy_test(int argc, char **argv)
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
			if (ioasidbpf_cgroup_id(optarg, &req->cgroup_id))
				return usage_error("%s", ioasidbpf_errmsg());
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
