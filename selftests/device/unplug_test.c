// SPDX-License-Identifier: GPL-2.0
/*
 * Hot-unplug of a bound, attached device (QEMU device_del through the
 * monitor, tools/vm/guest-monitor): the device fd turns to ENODEV, the
 * device is detached and unbound (its IOAS can be destroyed), and the
 * ioasid fd keeps working. Destructive: run it last in its VM.
 *
 *   unplug_test QEMU_DEVICE_ID
 */
#include <dirent.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"
#include <linux/ioasid_device.h>

static const char *qemu_id = "edu0";

FIXTURE(unplug) {
	int unused;
};

FIXTURE_SETUP(unplug)
{
}

FIXTURE_TEARDOWN(unplug)
{
}

/* pciehp alone waits 5 s; under KASAN and TCG the whole takes far longer. */
TEST_F_TIMEOUT(unplug, bound_attached_device, 180)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_device_bind b = { .size = sizeof(b) };
	struct ioasid_device_attach a = { .size = sizeof(a) };
	struct ioasid_device_info info = { .size = sizeof(info) };
	struct ioasid_destroy d = { .size = sizeof(d) };
	struct ioasid_ioas_map m = { .size = sizeof(m) };
	struct ioasid_device_detach dt = { .size = sizeof(dt) };
	struct ioasid_region_info r = { .size = sizeof(r) };
	char bdf[1][64], path[512], cmd[768];
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	struct stat st;
	void *buf;
	int fd, dfd, i;

	struct ioasid_live base = ioasid_live();

	if (!bound_edus(bdf, 1))
		SKIP(return, "no edu bound to ioasid-pci");
	ASSERT_LE(0, base.fds);
	snprintf(cmd, sizeof(cmd), "%s/tools/vm/guest-monitor 'info status' >/dev/null 2>&1",
		 TOP_DIR);
	if (system(cmd))
		SKIP(return, "no QEMU monitor reachable from the guest");

	fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", bdf[0]);
	dfd = open(path, O_RDWR);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, ioctl(fd, IOASID_IOAS_ALLOC, &alloc));
	buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	m.ioas_id = alloc.out_ioas_id;
	m.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE;
	m.addr = (uintptr_t)buf;
	m.length = 4096;
	m.iova = 0x100000;
	ASSERT_EQ(0, ioctl(fd, IOASID_IOAS_MAP, &m));
	b.ioasid_fd = fd;
	ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_BIND, &b));
	a.ioas_id = alloc.out_ioas_id;
	ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_ATTACH, &a));
	/* The counts see what this test holds. */
	EXPECT_EQ(base.fds + 1, ioasid_stat("fds"));
	EXPECT_EQ(base.objects + 2, ioasid_stat("objects"));
	EXPECT_EQ(base.groups + 1, ioasid_stat("groups"));
	EXPECT_EQ(base.domains + 1, ioasid_stat("domains"));
	EXPECT_EQ(base.charged_pages + 1, ioasid_stat("charged_pages"));

	snprintf(cmd, sizeof(cmd), "%s/tools/vm/guest-monitor 'device_del %s'",
		 TOP_DIR, qemu_id);
	ASSERT_EQ(0, system(cmd));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf[0]);
	/* pciehp waits 5 s for the attention button to be cancelled; allow
	 * far more under a debug kernel (2.5 min, within the 180 s timeout).
	 */
	for (i = 0; i < 1500 && !stat(path, &st); i++)
		nanosleep(&ts, NULL);
	ASSERT_NE(0, stat(path, &st)) TH_LOG("%s still present", bdf[0]);
	TH_LOG("%s gone after %.1f s", bdf[0], i / 10.0);

	/* The open device fd now only says the device is gone. */
	EXPECT_EQ(-ENODEV, xioctl(dfd, IOASID_DEVICE_ATTACH, &a));
	EXPECT_EQ(-ENODEV, xioctl(dfd, IOASID_DEVICE_GET_INFO, &info));
	EXPECT_EQ(-ENODEV, xioctl(dfd, IOASID_DEVICE_DETACH, &dt));
	EXPECT_EQ(-ENODEV, xioctl(dfd, IOASID_DEVICE_REGION_INFO, &r));
	EXPECT_EQ(-ENODEV, xioctl(dfd, IOASID_DEVICE_BIND, &b));

	/* Detached and unbound at removal: the IOAS is free, the fd works. */
	m.iova = 0x200000;
	EXPECT_EQ(0, ioctl(fd, IOASID_IOAS_MAP, &m));
	d.id = alloc.out_ioas_id;
	EXPECT_EQ(0, ioctl(fd, IOASID_DESTROY, &d));
	EXPECT_EQ(0, ioctl(fd, IOASID_IOAS_ALLOC, &alloc));
	close(dfd);
	close(fd);
	/* Nothing of the unplugged device is left in the module. */
	EXPECT_NO_LEAK(base);
}

int main(int argc, char **argv)
{
	if (argc > 1 && argv[1][0] != '-') {
		qemu_id = argv[1];
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	return test_harness_run(argc, argv);
}
