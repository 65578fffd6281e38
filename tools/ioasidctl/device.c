// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidctl device: list | bind BDF | unbind BDF | info BDF
 *
 * bind hands a PCI device to ioasid-pci the way VFIO users do with
 * vfio-pci: driver_override, unbind from its current driver, reprobe.
 * unbind gives it back to the kernel. info asks the device's ioasid fd
 * (/dev/ioasid-dev/BDF) for GET_INFO, which needs no bind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/ioasid_device.h>

#include "ioasidctl.h"

#define PCI_DEVICES "/sys/bus/pci/devices"
#define DRIVER "ioasid-pci"

static const char device_usage[] =
	"usage: ioasidctl device COMMAND\n"
	"  list [--all]     devices given to ioasid-pci (--all: every PCI device with an IOMMU group)\n"
	"  bind BDF         give a device to ioasid-pci (root)\n"
	"  unbind BDF       give it back to the kernel (root)\n"
	"  info BDF         IOMMU capabilities, group, attachment and last decision\n";

/* Canonical "DDDD:BB:DD.F" of a BDF argument, or a usage error. */
static int canon_bdf(const char *s, char *out, size_t len)
{
	__u32 bdf;

	if (ioasidbpf_parse_bdf(s, &bdf))
		return usage_error("%s", ioasidbpf_errmsg());
	snprintf(out, len, "%04x:%02x:%02x.%x", bdf >> 16, (bdf >> 8) & 0xff,
		 (bdf >> 3) & 0x1f, bdf & 7);
	return 0;
}

static void driver_of(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		snprintf(buf, len, "%s", "");
		return;
	}
	link[n] = 0;
	snprintf(buf, len, "%s", strrchr(link, '/') + 1);
}

static int group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	return atoi(strrchr(link, '/') + 1);
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * What the attachment state of an ioasid-pci device is: "unbound",
 * "bound", "attached", or what a revalidation left ("needs-reattach",
 * "revoked"); "?" when its GET_INFO cannot be read.
 */
static void state_text(const struct ioasid_device_info *info, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s",
		 !info->out_dev_id ? "unbound" : info->out_ioas_id ? "attached" : "bound",
		 info->out_policy_state & IOASID_DEVICE_NEEDS_REATTACH ? ",needs-reattach" : "",
		 info->out_policy_state & IOASID_DEVICE_REVOKED ? ",revoked" : "");
}

static void state_of(const char *bdf, char *buf, size_t len)
{
	struct ioasid_device_info info = { .size = sizeof(info) };
	char path[PATH_MAX];
	int fd;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	if (!ioctl(fd, IOASID_DEVICE_GET_INFO, &info))
		state_text(&info, buf, len);
	close(fd);
}

static int device_list(bool all)
{
	struct json_object *arr = json_object_new_array();
	struct dirent *e;
	DIR *d = opendir(PCI_DEVICES);

	if (!d) {
		json_object_put(arr);
		return fail("cannot list %s: %s", PCI_DEVICES, strerror(errno));
	}
	if (!ctl.json)
		printf("%-13s %-9s %-6s %-14s %-30s %s\n", "BDF", "ID", "GROUP", "DRIVER",
		       "DEVICE FILE", "STATE");
	while ((e = readdir(d))) {
		char drv[64], path[PATH_MAX], ven[16], dev[16], id[16], file[PATH_MAX], state[64];
		int group;

		if (e->d_name[0] == '.')
			continue;
		driver_of(e->d_name, drv, sizeof(drv));
		group = group_of(e->d_name);
		if (!all && strcmp(drv, DRIVER))
			continue;
		if (all && group < 0)
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor", e->d_name);
		ioasidbpf_read_file(path, ven, sizeof(ven));
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/device", e->d_name);
		ioasidbpf_read_file(path, dev, sizeof(dev));
		snprintf(id, sizeof(id), "%.4s:%.4s", ven + 2, dev + 2);
		snprintf(file, sizeof(file), "%s%s", strcmp(drv, DRIVER) ? "" : "/dev/ioasid-dev/",
			 strcmp(drv, DRIVER) ? "" : e->d_name);
		if (strcmp(drv, DRIVER))
			snprintf(state, sizeof(state), "-");
		else
			state_of(e->d_name, state, sizeof(state));
		if (ctl.json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "bdf", json_object_new_string(e->d_name));
			json_object_object_add(o, "id", json_object_new_string(id));
			json_object_object_add(o, "iommu_group", group < 0 ? NULL :
					       json_object_new_int(group));
			json_object_object_add(o, "driver", drv[0] ? json_object_new_string(drv) : NULL);
			json_object_object_add(o, "device_file", file[0] ?
					       json_object_new_string(file) : NULL);
			json_object_object_add(o, "state", file[0] ?
					       json_object_new_string(state) : NULL);
			json_object_array_add(arr, o);
		} else {
			printf("%-13s %-9s %-6d %-14s %-30s %s\n", e->d_name, id, group,
			       drv[0] ? drv : "-", file[0] ? file : "-", state);
		}
	}
	closedir(d);
	if (ctl.json)
		emit_json(arr);
	else
		json_object_put(arr);
	return EXIT_OK;
}

static int need_device(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	if (access(path, F_OK))
		return fail("no PCI device %s", bdf);
	return 0;
}

static int device_bind(const char *bdf)
{
	char path[PATH_MAX], drv[64];
	int err;

	if (need_device(bdf))
		return EXIT_FAILED;
	if (access("/sys/bus/pci/drivers/" DRIVER, F_OK))
		return fail("the ioasid-pci module is not loaded (modprobe ioasid-pci)"), EXIT_ENV;
	if (geteuid())
		return fail("binding a device needs root"), EXIT_ENV;
	if (group_of(bdf) < 0)
		return fail("%s has no IOMMU group: enable an IOMMU (intel_iommu=on, virtio-iommu)",
			    bdf);
	driver_of(bdf, drv, sizeof(drv));
	if (!strcmp(drv, DRIVER)) {
		printf("%s is bound to ioasid-pci already\n", bdf);
		return EXIT_OK;
	}
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	err = write_text(path, DRIVER);
	if (err)
		return fail("%s: %s", path, strerror(-err));
	if (drv[0]) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
		err = write_text(path, bdf);
		if (err)
			return fail("unbind %s from %s: %s", bdf, drv, strerror(-err));
	}
	write_text("/sys/bus/pci/drivers_probe", bdf);
	driver_of(bdf, drv, sizeof(drv));
	if (strcmp(drv, DRIVER))
		return fail("ioasid-pci did not take %s (see dmesg)", bdf);
	if (ctl.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "bdf", json_object_new_string(bdf));
		json_object_object_add(o, "driver", json_object_new_string(DRIVER));
		emit_json(o);
	} else {
		printf("%s bound to ioasid-pci: /dev/ioasid-dev/%s\n", bdf, bdf);
	}
	return EXIT_OK;
}

static int device_unbind(const char *bdf)
{
	char path[PATH_MAX], drv[64];
	int err;

	if (need_device(bdf))
		return EXIT_FAILED;
	if (geteuid())
		return fail("unbinding a device needs root"), EXIT_ENV;
	driver_of(bdf, drv, sizeof(drv));
	if (strcmp(drv, DRIVER))
		return fail("%s is not bound to ioasid-pci (driver: %s)", bdf,
			    drv[0] ? drv : "none");
	err = write_text("/sys/bus/pci/drivers/" DRIVER "/unbind", bdf);
	if (err)
		return fail("unbind %s: %s", bdf, strerror(-err));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	write_text(path, "\n");
	write_text("/sys/bus/pci/drivers_probe", bdf);
	driver_of(bdf, drv, sizeof(drv));
	if (ctl.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "bdf", json_object_new_string(bdf));
		json_object_object_add(o, "driver", drv[0] ? json_object_new_string(drv) : NULL);
		emit_json(o);
	} else {
		printf("%s unbound from ioasid-pci, now %s\n", bdf,
		       drv[0] ? drv : "without a driver");
	}
	return EXIT_OK;
}

static int device_info(const char *bdf)
{
	struct ioasid_device_info info = { .size = sizeof(info) };
	char path[PATH_MAX], caps[96], drv[64];
	int fd, err;

	if (need_device(bdf))
		return EXIT_FAILED;
	driver_of(bdf, drv, sizeof(drv));
	if (strcmp(drv, DRIVER))
		return fail("%s is not bound to ioasid-pci (ioasidctl device bind %s)", bdf, bdf);
	snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("%s: %s", path, strerror(errno)),
		       errno == EACCES ? EXIT_ENV : EXIT_FAILED;
	err = ioctl(fd, IOASID_DEVICE_GET_INFO, &info) ? errno : 0;
	close(fd);
	if (err)
		return fail("GET_INFO on %s: %s", path, strerror(err));
	caps_string(info.out_iommu_caps, caps, sizeof(caps));
	if (ctl.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "bdf", json_object_new_string(bdf));
		json_object_object_add(o, "iommu_driver", json_object_new_string(info.out_iommu_driver));
		json_object_object_add(o, "iommu_caps", json_object_new_string(caps));
		json_object_object_add(o, "pasid_bits", json_object_new_int64(info.out_pasid_bits));
		json_object_object_add(o, "group_id", json_object_new_int64(info.out_group_id));
		json_object_object_add(o, "group_size", json_object_new_int64(info.out_group_size));
		json_object_object_add(o, "bound", json_object_new_boolean(info.out_dev_id));
		json_object_object_add(o, "ioas_id", json_object_new_int64(info.out_ioas_id));
		json_object_object_add(o, "pgsize_bitmap", json_object_new_int64(info.out_pgsize_bitmap));
		json_object_object_add(o, "aperture_last",
				       json_object_new_uint64(info.out_aperture_last));
		json_object_object_add(o, "decision", info.out_decision.policy[0] ?
				       decision_json(&info.out_decision) : NULL);
		json_object_object_add(o, "needs_reattach", json_object_new_boolean(
					       info.out_policy_state & IOASID_DEVICE_NEEDS_REATTACH));
		json_object_object_add(o, "revoked", json_object_new_boolean(
					       info.out_policy_state & IOASID_DEVICE_REVOKED));
		emit_json(o);
		return EXIT_OK;
	}
	printf("device:   %s (%s)\n", bdf, path);
	printf("iommu:    %s, caps: %s, PASID bits %u\n", info.out_iommu_driver, caps,
	       info.out_pasid_bits);
	printf("group:    %u, %u device%s\n", info.out_group_id, info.out_group_size,
	       info.out_group_size == 1 ? "" : "s");
	printf("aperture: %#llx-%#llx, page sizes %#llx\n",
	       (unsigned long long)info.out_aperture_start,
	       (unsigned long long)info.out_aperture_last,
	       (unsigned long long)info.out_pgsize_bitmap);
	printf("state:    %s", info.out_dev_id ? "bound" : "not bound");
	if (info.out_ioas_id)
		printf(", attached to IOAS %u", info.out_ioas_id);
	if (info.out_policy_state & IOASID_DEVICE_NEEDS_REATTACH)
		printf(", needs a re-attach (the policies now decide another snoop mode)");
	if (info.out_policy_state & IOASID_DEVICE_REVOKED)
		printf(", revoked (a policy denied it after it attached)");
	printf("\n");
	if (info.out_decision.policy[0])
		print_decision(&info.out_decision);
	else
		printf("decision: none yet (never attached)\n");
	return EXIT_OK;
}

static int device_list_cmd(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--all")))
		return usage_error("device list: unexpected '%s'", argv[1]);
	return device_list(argc == 2);
}

/* bind, unbind and info: run @fn on the one BDF argument. */
static int with_bdf(int argc, char **argv, int (*fn)(const char *bdf))
{
	char bdf[32];
	int rc;

	if (argc != 2)
		return usage_error("device %s needs one BDF", argv[0]);
	rc = canon_bdf(argv[1], bdf, sizeof(bdf));
	return rc ? rc : fn(bdf);
}

static int device_bind_cmd(int argc, char **argv)
{
	return with_bdf(argc, argv, device_bind);
}

static int device_unbind_cmd(int argc, char **argv)
{
	return with_bdf(argc, argv, device_unbind);
}

static int device_info_cmd(int argc, char **argv)
{
	return with_bdf(argc, argv, device_info);
}

static const struct cmd device_cmds[] = {
	{ .name = "list", .fn = device_list_cmd },
	{ .name = "bind", .fn = device_bind_cmd },
	{ .name = "unbind", .fn = device_unbind_cmd },
	{ .name = "info", .fn = device_info_cmd },
	{}
};

int cmd_device(int argc, char **argv)
{
	return cmd_select("device", device_cmds, device_usage, argc, argv);
}
