// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input for containers served by ioasid-vfio (selftests/vmm/cases.sh
 * bad, config intel-group): every refusal has a clear errno, and nothing
 * changed — no module reference, no ioasid object, pin or charge, and the
 * container that was already there still moves data through the edu.
 *
 * Environment (cases.sh): VFIO_BDF, the edu on vfio-pci (ioasid-vfio
 * loaded with serve_type1=1, vfio_iommu_type1 loaded too); VFIO_SIBLING,
 * another edu of its IOMMU group on ioasid-pci (intel-group has one);
 * VMM_EDU_KO, a kernel driver for the edu that uses the DMA API
 * (selftests/vmm/mod/vmm_edu.ko).
 */
#include <sys/syscall.h>
#include <linux/ioasid_vfio.h>

#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"
#include "vfio_util.h"

#define SERVE "/sys/module/ioasid_vfio/parameters/serve_type1"
#define IOVA_SRC 0x100000UL
#define IOVA_DST 0x200000UL

static long refcnt(const char *mod)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mod);
	return sysfs_long(path);
}

/* What "nothing changed" compares: ioasid's live counts and module refs. */
struct snap {
	struct ioasid_live live;
	long type1, ours;
};

static struct snap snap(void)
{
	return (struct snap){ ioasid_live(), refcnt("vfio_iommu_type1"),
			      refcnt("ioasid_vfio") };
}

#define EXPECT_UNCHANGED(s) do {					\
	EXPECT_NO_LEAK((s).live);					\
	EXPECT_EQ((s).type1, refcnt("vfio_iommu_type1"));		\
	EXPECT_EQ((s).ours, refcnt("ioasid_vfio"));			\
} while (0)

/*
 * The container is usable: map two fresh pages, one edu DMA round trip
 * (RAM -> edu -> RAM) with a pattern from @seed, data compared, unmapped.
 * 0 or a negative errno / -EIO for wrong data.
 */
static int dma_roundtrip(struct vfio_env *e, unsigned int seed)
{
	char *src, *dst;
	volatile void *bar;
	int rc, i;

	src = mmap(NULL, 2 * PSZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (src == MAP_FAILED)
		return -errno;
	dst = src + PSZ;
	for (i = 0; i < XFER; i++)
		src[i] = (char)(i * 7 + seed);
	memset(dst, 0, PSZ);
	bar = vfio_bar0(e->device);
	rc = bar ? vfio_enable_master(e->device) : -EIO;
	if (!rc)
		rc = vfio_map(e->container, IOVA_SRC, src, PSZ, VRW);
	if (!rc) {
		rc = vfio_map(e->container, IOVA_DST, dst, PSZ, VRW);
		if (!rc) {
			rc = edu_run_dma(bar, IOVA_SRC, EDU_BUF, XFER, 0) ?:
			     edu_run_dma(bar, EDU_BUF, IOVA_DST, XFER, 1);
			if (!rc && memcmp(src, dst, XFER))
				rc = -EIO;
			vfio_unmap(e->container, IOVA_DST, PSZ, 0, NULL);
		}
		vfio_unmap(e->container, IOVA_SRC, PSZ, 0, NULL);
	}
	if (bar)
		munmap((void *)bar, 1 << 20);
	munmap(src, 2 * PSZ);
	return rc;
}

static int group_flags(int group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };

	return ioctl(group, VFIO_GROUP_GET_STATUS, &st) ? -errno : (int)st.flags;
}

static int set_container(int group, int fd)
{
	return ioctl(group, VFIO_GROUP_SET_CONTAINER, &fd) ? -errno : 0;
}

/* The driver @bdf is bound to, or "" (none). */
static const char *driver_of(const char *bdf)
{
	static char drv[64];

	if (pci_link_name(bdf, "driver", drv, sizeof(drv)))
		drv[0] = 0;
	return drv;
}

/* Give @bdf to @drv with driver_override; 0 when it is bound to it. */
static int rebind(const char *bdf, const char *drv)
{
	char path[256];

	if (*driver_of(bdf)) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		sysfs_write(path, bdf);
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (sysfs_write(path, drv))
		return -EIO;
	sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	return strcmp(driver_of(bdf), drv) ? -ENODEV : 0;
}

static int load_vmm_edu(void)
{
	const char *ko = getenv("VMM_EDU_KO");
	int fd, rc;

	if (!access("/sys/module/vmm_edu", F_OK))
		return 0;
	if (!ko || (fd = open(ko, O_RDONLY | O_CLOEXEC)) < 0)
		return -ENOENT;
	rc = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return rc;
}

static int open_served(const char *bdf, struct vfio_env *e)
{
	return vfio_open(bdf, e) ?: vfio_serve(bdf, e);
}

/* A container fd that is not a container: EBADFD (EBADF: no fd at all). */
TEST(set_container_not_a_container)
{
	const char *bdf = vfio_bdf();
	char tmpl[] = "/tmp/vfio_bad.XXXXXX";
	int ioasid_fd, file_fd, container, group;
	struct vfio_env e;
	struct snap s0, s;

	if (!bdf)
		SKIP(return, "no edu on vfio-pci (VFIO_BDF)");
	s0 = snap();
	ASSERT_EQ(0, vfio_open(bdf, &e));
	ASSERT_EQ(0, ioctl(e.group, VFIO_GROUP_UNSET_CONTAINER));
	ioasid_fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, ioasid_fd);
	file_fd = mkstemp(tmpl);
	ASSERT_LE(0, file_fd);
	unlink(tmpl);
	s = snap();

	EXPECT_EQ(-EBADFD, set_container(e.group, ioasid_fd));
	EXPECT_EQ(-EBADFD, set_container(e.group, file_fd));
	EXPECT_EQ(-EBADFD, set_container(e.group, e.group));
	EXPECT_EQ(-EBADF, set_container(e.group, -1));
	EXPECT_EQ(-EBADF, set_container(e.group, 1000));
	EXPECT_EQ(-1, ioctl(e.group, VFIO_GROUP_SET_CONTAINER, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	/* A container ioctl on them: not VFIO's. */
	EXPECT_EQ(-1, ioctl(file_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(ENOTTY, errno);
	/* Nothing changed: no container set, nothing of ioasid's made. */
	EXPECT_EQ(0, group_flags(e.group) & VFIO_GROUP_FLAGS_CONTAINER_SET);
	EXPECT_UNCHANGED(s);

	/* The real container still takes the group and moves data. */
	container = e.container;
	group = e.group;
	ASSERT_EQ(0, set_container(group, container));
	ASSERT_EQ(0, vfio_serve(bdf, &e));
	EXPECT_EQ(s.ours + 1, refcnt("ioasid_vfio"));
	EXPECT_EQ(0, dma_roundtrip(&e, 1));
	vfio_close(&e);
	close(ioasid_fd);
	close(file_fd);
	EXPECT_UNCHANGED(s0);
}

/*
 * A group already in another container: a second open of the group is
 * EBUSY (VFIO allows one), its fd cannot be set into a second container
 * (EINVAL), the second container stays without a driver, and the first
 * keeps working.
 */
TEST(group_in_another_container)
{
	const char *bdf = vfio_bdf();
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	char path[64];
	struct vfio_env e;
	struct snap s;
	int c2, status;
	pid_t pid;

	if (!bdf)
		SKIP(return, "no edu on vfio-pci (VFIO_BDF)");
	s = snap();
	ASSERT_EQ(0, open_served(bdf, &e));
	ASSERT_EQ(0, dma_roundtrip(&e, 2));
	s.live = ioasid_live();
	s.ours = refcnt("ioasid_vfio");

	snprintf(path, sizeof(path), "/dev/vfio/%d", vfio_group_nr(bdf));
	EXPECT_EQ(-1, open(path, O_RDWR));
	EXPECT_EQ(EBUSY, errno);
	/* Another process (a second VMM) gets the same answer. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(open(path, O_RDWR) < 0 && errno == EBUSY ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);

	c2 = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, c2);
	EXPECT_EQ(-EINVAL, set_container(e.group, c2));
	EXPECT_EQ(-1, ioctl(c2, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(c2, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	/* The served container cannot be given a driver twice. */
	EXPECT_EQ(-1, ioctl(e.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(EINVAL, errno);
	/* While the device is open the group cannot leave its container. */
	EXPECT_EQ(-1, ioctl(e.group, VFIO_GROUP_UNSET_CONTAINER));
	EXPECT_EQ(EBUSY, errno);
	close(c2);
	EXPECT_UNCHANGED(s);
	EXPECT_NE(0, group_flags(e.group) & VFIO_GROUP_FLAGS_CONTAINER_SET);
	EXPECT_EQ(0, dma_roundtrip(&e, 3));
	vfio_close(&e);
}

/*
 * A group with a member bound to a kernel driver that uses the DMA API
 * (vmm_edu on the other edu of the group) is not viable: SET_CONTAINER is
 * EPERM, nothing serves the container, nothing of ioasid's is made. And the
 * other way round: while the group is served, that driver cannot bind a
 * member. The group works again once the member is back on ioasid-pci.
 */
TEST(group_not_viable)
{
	const char *bdf = vfio_bdf(), *sib = getenv("VFIO_SIBLING");
	char path[64];
	struct vfio_env e;
	struct snap s;
	int group, container;

	if (!bdf || !sib || !*sib)
		SKIP(return, "no second device in the edu's group (config intel-group has one)");
	ASSERT_EQ(0, load_vmm_edu());
	s = snap();
	ASSERT_EQ(0, rebind(sib, "vmm_edu"));

	snprintf(path, sizeof(path), "/dev/vfio/%d", vfio_group_nr(bdf));
	group = open(path, O_RDWR);
	ASSERT_LE(0, group);
	container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, container);
	EXPECT_EQ(0, group_flags(group) & VFIO_GROUP_FLAGS_VIABLE);
	EXPECT_EQ(-EPERM, set_container(group, container));
	EXPECT_EQ(-1, ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_GT(0, ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf));
	EXPECT_EQ(0, group_flags(group) & VFIO_GROUP_FLAGS_CONTAINER_SET);
	EXPECT_UNCHANGED(s);
	/* The member leaves the DMA API: the same fds work. */
	ASSERT_EQ(0, rebind(sib, "ioasid-pci"));
	EXPECT_NE(0, group_flags(group) & VFIO_GROUP_FLAGS_VIABLE);
	e = (struct vfio_env){ .container = container, .group = group, .device = -1 };
	ASSERT_EQ(0, set_container(group, container));
	ASSERT_EQ(0, vfio_serve(bdf, &e));
	EXPECT_EQ(0, dma_roundtrip(&e, 4));

	/* Served: a DMA-API driver cannot take a member of the group. */
	EXPECT_EQ(-ENODEV, rebind(sib, "vmm_edu"));
	EXPECT_STREQ("", driver_of(sib));
	EXPECT_EQ(0, dma_roundtrip(&e, 5));
	EXPECT_EQ(0, rebind(sib, "ioasid-pci"));
	vfio_close(&e);
	EXPECT_UNCHANGED(s);
}

static int join(int container, __u32 size, __u32 flags, int fd, __u32 ioas)
{
	struct ioasid_vfio_join_ioas j = {
		.size = size, .flags = flags, .ioasid_fd = fd, .ioas_id = ioas,
	};

	return ioctl(container, IOASID_VFIO_JOIN_IOAS, &j) ? -errno : 0;
}

/*
 * IOASID_VFIO_JOIN_IOAS with fds that are not /dev/ioasid and IOAS ids that
 * do not exist there: EBADF, ENOENT, EFAULT, EINVAL; the container stays on
 * its own IOAS and moves data, the fds' IOASes stay free.
 */
TEST(join_ioas_bad_fds_and_ids)
{
	const size_t jsz = sizeof(struct ioasid_vfio_join_ioas);
	const char *bdf = vfio_bdf();
	int fd, fd2, c2, null_fd;
	__u32 ioas, ioas2, gone;
	struct vfio_env e;
	struct snap s;

	if (!bdf)
		SKIP(return, "no edu on vfio-pci (VFIO_BDF)");
	fd = open("/dev/ioasid", O_RDWR);
	fd2 = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ioas_alloc(fd, 0, 0, &ioas));
	ASSERT_EQ(0, ioas_alloc(fd2, 0, 0, &ioas2));
	ASSERT_EQ(0, ioas_alloc(fd, 0, 0, &gone));
	ASSERT_EQ(0, destroy(fd, gone));
	ASSERT_EQ(0, open_served(bdf, &e));
	null_fd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, null_fd);
	s = snap();

	/* Not /dev/ioasid: the container itself, its group, the device, others. */
	EXPECT_EQ(-EBADF, join(e.container, jsz, 0, e.container, ioas));
	EXPECT_EQ(-EBADF, join(e.container, jsz, 0, e.group, ioas));
	EXPECT_EQ(-EBADF, join(e.container, jsz, 0, e.device, ioas));
	EXPECT_EQ(-EBADF, join(e.container, jsz, 0, null_fd, ioas));
	EXPECT_EQ(-EBADF, join(e.container, jsz, 0, 1000, ioas));
	EXPECT_EQ(-EBADF, join(e.container, jsz, 0, -5, ioas));
	/* No such IOAS in that fd: 0, destroyed, another fd's, huge. */
	EXPECT_EQ(-ENOENT, join(e.container, jsz, 0, fd, 0));
	EXPECT_EQ(-ENOENT, join(e.container, jsz, 0, fd, gone));
	if (ioas2 != ioas)
		EXPECT_EQ(-ENOENT, join(e.container, jsz, 0, fd, ioas2));
	EXPECT_EQ(-ENOENT, join(e.container, jsz, 0, fd, 0xffffffff));
	/* The argument itself. */
	EXPECT_EQ(-1, ioctl(e.container, IOASID_VFIO_JOIN_IOAS, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-EINVAL, join(e.container, 0, 0, fd, ioas));
	EXPECT_EQ(-EOPNOTSUPP, join(e.container, jsz, 0x80000000, fd, ioas));
	/* A container without a driver has nobody to answer: EINVAL. */
	c2 = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, c2);
	EXPECT_EQ(-EINVAL, join(c2, jsz, 0, fd, ioas));
	close(c2);

	EXPECT_UNCHANGED(s);
	/* Still its own IOAS: the fds' IOASes can go, the container works. */
	EXPECT_EQ(0, dma_roundtrip(&e, 6));
	EXPECT_EQ(0, destroy(fd, ioas));
	EXPECT_EQ(0, destroy(fd2, ioas2));
	vfio_close(&e);
	close(null_fd);
	close(fd);
	close(fd2);
}

/* A container vfio_iommu_type1 serves does not know the call: ENOTTY. */
TEST(join_ioas_type1_container)
{
	const size_t jsz = sizeof(struct ioasid_vfio_join_ioas);
	const char *bdf = vfio_bdf();
	struct vfio_env e;
	struct snap s;
	__u32 ioas;
	int fd;

	if (!bdf)
		SKIP(return, "no edu on vfio-pci (VFIO_BDF)");
	fd = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, 0, 0, &ioas));
	s = snap();
	ASSERT_EQ(0, sysfs_write(SERVE, "0"));
	ASSERT_EQ(0, open_served(bdf, &e));
	EXPECT_EQ(s.type1 + 1, refcnt("vfio_iommu_type1"));
	EXPECT_EQ(-ENOTTY, join(e.container, jsz, 0, fd, ioas));
	EXPECT_EQ(0, dma_roundtrip(&e, 7));
	vfio_close(&e);
	ASSERT_EQ(0, sysfs_write(SERVE, "1"));
	EXPECT_UNCHANGED(s);
	EXPECT_EQ(0, destroy(fd, ioas));
	close(fd);
}

TEST_HARNESS_MAIN
