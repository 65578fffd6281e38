// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_emu_deny ERRNO: the test module's emulated-IOMMU device in a type1v2
 * container served by ioasid-vfio, with a policy that denies the device
 * (ERRNO, e.g. 13 for emu_deny's EACCES) or with none (0). Run by
 * selftests/vfio/emulated.sh (docs/vfio.md, "Emulated-IOMMU devices").
 *
 * Either way SET_IOMMU type1v2 succeeds and ioasid-vfio, not
 * vfio_iommu_type1, serves the container (their module refcounts), and
 * MAP_DMA works. Denied, every pin and dma_rw fails with exactly -ERRNO
 * (not type1's EINVAL or EPERM) and nothing stays pinned; allowed, they
 * work. Prints 8 TAP results, vfio_emu_deny.denied.* or .allowed.*.
 */
#include <stdbool.h>

#include "../lib/ioasid_util.h"
#include "vfio_emu.h"

#define IOVA 0x100000UL
#define NPAGES 2

static const char *mode = "allowed";
static int n, failed;

static void result(const char *name, bool ok, const char *fmt, long a, long b)
{
	n++;
	if (ok) {
		printf("ok %d vfio_emu_deny.%s.%s\n", n, mode, name);
		return;
	}
	printf("# ");
	printf(fmt, a, b);
	printf("\nnot ok %d vfio_emu_deny.%s.%s\n", n, mode, name);
	failed++;
}

/* A module's refcount, or -1 (not loaded). */
static long refcnt(const char *mod)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mod);
	return sysfs_long(path);
}

int main(int argc, char **argv)
{
	long t1, ours, want;
	struct ioasid_test_vfio_op op;
	struct vfio_env e;
	char in[64], out[64];
	int rc, err;
	char *buf;

	if (argc != 2) {
		fprintf(stderr, "usage: %s ERRNO (0: no deny)\n", argv[0]);
		return 2;
	}
	err = atoi(argv[1]);
	want = -err;
	if (err)
		mode = "denied";
	printf("TAP version 13\n1..8\n");
	buf = mmap(NULL, NPAGES * PSZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(buf, 0x5a, NPAGES * PSZ);

	rc = emu_open(&e);
	result("open", rc == 0, "container and group: %ld%.0ld", rc, 0);
	t1 = refcnt("vfio_iommu_type1");
	ours = refcnt("ioasid_vfio");
	rc = rc ? rc : emu_serve(&e);
	result("set_iommu", rc == 0, "SET_IOMMU type1v2, device fd: %ld%.0ld", rc, 0);
	result("type1_not_served", refcnt("vfio_iommu_type1") == t1,
	       "vfio_iommu_type1 refcnt %ld -> %ld", t1, refcnt("vfio_iommu_type1"));
	result("ioasid_served", ours >= 0 && refcnt("ioasid_vfio") > ours,
	       "ioasid_vfio refcnt %ld -> %ld", ours, refcnt("ioasid_vfio"));
	rc = rc ? rc : vfio_map(e.container, IOVA, buf, NPAGES * PSZ, VRW);
	result("map_dma", rc == 0, "MAP_DMA: %ld%.0ld", rc, 0);

	/* A pin: the ioctl's errno and vfio_pin_pages()'s own answer. */
	memset(&op, 0, sizeof(op));
	rc = emu_op(e.device, IOASID_TEST_VFIO_PIN, IOVA, 1, NULL,
		    IOASID_TEST_VFIO_WRITE, &op);
	if (err)
		result("pin", rc == want && (long)op.out_pin_rc == want,
		       "pin: %ld, vfio_pin_pages: %ld", rc, (long)op.out_pin_rc);
	else
		result("pin", rc == 0 && op.out_pin_rc == 1,
		       "pin: %ld, vfio_pin_pages: %ld", rc, (long)op.out_pin_rc);

	/* A dma_rw write across the page boundary. */
	memset(in, 0xa5, sizeof(in));
	rc = emu_op(e.device, IOASID_TEST_VFIO_RW, IOVA + PSZ - 32, sizeof(in),
		    in, IOASID_TEST_VFIO_WRITE, NULL);
	memcpy(out, buf + PSZ - 32, sizeof(out));
	if (err)
		result("dma_rw", rc == want && out[0] == 0x5a,
		       "dma_rw: %ld, first byte %#lx", rc, (long)(unsigned char)out[0]);
	else
		result("dma_rw", rc == 0 && !memcmp(in, out, sizeof(in)),
		       "dma_rw: %ld, landed %ld", rc, !memcmp(in, out, sizeof(in)));

	/* Pinned: the one page allowed, none denied. */
	result("pins", emu_status(e.device, 0).out_pins == (err ? 0 : 1),
	       "device holds %ld pins, want %ld",
	       (long)emu_status(e.device, 0).out_pins, err ? 0 : 1);

	vfio_close(&e);
	munmap(buf, NPAGES * PSZ);
	return failed ? 1 : 0;
}
