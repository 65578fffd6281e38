// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid-vfio, seen from outside: run.sh loads vfio_iommu_type1 and
 * ioasid-vfio with serve_type1=1 and gives the edu in $VFIO_BDF to
 * vfio-pci. Proves that ioasid, not type1, served the container (module
 * references, ioasid's live counts, the decision in the trace), that a
 * policy deny is not served by type1 and leaves the device's DMA blocked,
 * that bad input changes nothing, and that closing with mappings releases
 * every pin and charge.
 */
#include <sys/klog.h>
#include <linux/ioasid_vfio.h>

#define IOASID_WANT_FIXTURE_POLICY
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"
#include "vfio_util.h"

#define TRACE "/sys/kernel/tracing"
#define IOVA 0x100000UL
/* Where the denied device's DMA goes: nowhere, the fault names it. */
#define DENY_IOVA 0x5a5000UL
#define SERVE "/sys/module/ioasid_vfio/parameters/serve_type1"

static long refcnt(const char *mod)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mod);
	return sysfs_long(path);
}

/* Decisions from now on are traced; the buffer starts empty. */
static int trace_start(void)
{
	int rc = sysfs_write(TRACE "/events/ioasid/ioasid_decision/enable", "1");

	return rc ?: sysfs_write(TRACE "/trace", "");
}

/* Is a traced decision line containing every needle there? */
static bool traced(const char *n1, const char *n2)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(TRACE "/trace", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "ioasid_decision") && strstr(line, n1) &&
			(!n2 || strstr(line, n2));
	fclose(f);
	return found;
}

/*
 * DMAR faults the kernel logged at @iova. (Not by requester: behind a
 * PCIe-to-PCI bridge the fault names the bridge's alias, not the edu.)
 */
static int dmar_faults(uint64_t iova)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char want[48], *buf, *p;
	int n = 0;

	if (len <= 0)
		return -1;
	buf = calloc(1, len + 1);
	if (!buf)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	snprintf(want, sizeof(want), "fault addr %#llx ", (unsigned long long)iova);
	for (p = buf; len > 0 && (p = strstr(p, want)); p++)
		n++;
	free(buf);
	return n;
}

/* Drive the edu's DMA from outside VFIO (sysfs), as root may. */
static int edu_dma_sysfs(const char *bdf, uint64_t iova)
{
	char path[128];
	volatile void *bar;
	uint16_t cmd;
	int fd, rc;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	if (pread(fd, &cmd, 2, PCI_COMMAND) != 2)
		return -EIO;
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	if (pwrite(fd, &cmd, 2, PCI_COMMAND) != 2)
		return -EIO;
	close(fd);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return -errno;
	bar = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (bar == MAP_FAILED)
		return -errno;
	rc = edu_run_dma(bar, iova, EDU_BUF, XFER, 0);
	munmap((void *)bar, 1 << 20);
	return rc;
}

TEST_F(policy, served_by_ioasid)
{
	const char *bdf = vfio_bdf();
	long type1_ref = refcnt("vfio_iommu_type1");
	long ours_ref = refcnt("ioasid_vfio");
	struct ioasid_live before = ioasid_live(), now;
	struct vfio_env e;
	char *buf;

	if (!bdf)
		SKIP(return, "no device bound to vfio-pci");
	ASSERT_EQ(0, trace_start());
	ASSERT_EQ(0, vfio_open(bdf, &e));
	ASSERT_EQ(0, vfio_serve(bdf, &e));
	/* The container holds its driver's module: ours, not type1. */
	EXPECT_EQ(ours_ref + 1, refcnt("ioasid_vfio"));
	EXPECT_EQ(type1_ref, refcnt("vfio_iommu_type1"));
	/* type1 offers these on a served container; ioasid does not. */
	EXPECT_EQ(0, ioctl(e.container, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1_NESTING_IOMMU));
	EXPECT_EQ(0, ioctl(e.container, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	/* The decision was made and traced like a native attach. */
	EXPECT_TRUE(traced("dev=1234:11e8", "verdict=0"));

	buf = mmap(NULL, 16 * PSZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, vfio_map(e.container, IOVA, buf, 16 * PSZ, VRW));
	now = ioasid_live();
	EXPECT_EQ(before.charged_pages + 16, now.charged_pages);
	EXPECT_EQ(before.groups + 1, now.groups);
	EXPECT_LT(before.domains, now.domains);
	EXPECT_EQ(before.fds + 1, now.fds);
	/* Closed with the mapping in place: every pin and charge goes. */
	vfio_close(&e);
	EXPECT_NO_LEAK(before);
	EXPECT_EQ(ours_ref, refcnt("ioasid_vfio"));
	munmap(buf, 16 * PSZ);
}

/* serve_type1=0 (the default): ioasid stays out, type1 serves. */
TEST_F(policy, off_type1_serves)
{
	const char *bdf = vfio_bdf();
	long type1_ref = refcnt("vfio_iommu_type1");
	long ours_ref = refcnt("ioasid_vfio");
	struct ioasid_live before = ioasid_live();
	struct vfio_env e;

	if (!bdf)
		SKIP(return, "no device bound to vfio-pci");
	ASSERT_EQ(0, sysfs_write(SERVE, "0"));
	ASSERT_EQ(0, vfio_open(bdf, &e));
	EXPECT_EQ(0, vfio_serve(bdf, &e));
	EXPECT_EQ(type1_ref + 1, refcnt("vfio_iommu_type1"));
	EXPECT_EQ(ours_ref, refcnt("ioasid_vfio"));
	EXPECT_EQ(1, ioctl(e.container, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1_NESTING_IOMMU));
	EXPECT_NO_LEAK(before);
	vfio_close(&e);
	ASSERT_EQ(0, sysfs_write(SERVE, "1"));
	EXPECT_EQ(type1_ref, refcnt("vfio_iommu_type1"));
}

TEST_F(policy, deny_not_served_by_type1)
{
	const char *bdf = vfio_bdf();
	long type1_ref = refcnt("vfio_iommu_type1");
	long ours_ref = refcnt("ioasid_vfio");
	struct ioasid_live before = ioasid_live();
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct vfio_env e;
	char buf[PSZ] __attribute__((aligned(4096)));
	int faults, i;

	if (!bdf)
		SKIP(return, "no device bound to vfio-pci");
	LOAD("t_deny");
	ATTACH("t_deny");
	ASSERT_EQ(0, trace_start());
	ASSERT_EQ(0, vfio_open(bdf, &e));
	/*
	 * ioasid refuses with the policy's EPERM; vfio_ioctl_set_iommu()
	 * then tries vfio_iommu_type1, whose attach finds the group on
	 * ioasid's quarantine domain: EBUSY is the last answer.
	 */
	EXPECT_EQ(-1, ioctl(e.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_TRUE(traced("dev=1234:11e8", "vendor 1234 is not welcome"));
	EXPECT_TRUE(traced("verdict=-1", "policy=t_deny"));
	/* Nobody serves the container: no info, no map, no device. */
	EXPECT_EQ(-1, ioctl(e.container, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, vfio_map(e.container, IOVA, buf, PSZ, VRW));
	EXPECT_GT(0, ioctl(e.group, VFIO_GROUP_GET_DEVICE_FD, bdf));
	EXPECT_EQ(type1_ref, refcnt("vfio_iommu_type1"));
	EXPECT_EQ(ours_ref, refcnt("ioasid_vfio"));
	EXPECT_NO_LEAK(before);
	/* Trying again changes nothing. */
	EXPECT_EQ(-1, ioctl(e.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(EBUSY, errno);
	/* The device's DMA reaches nothing: the IOMMU faults it. */
	/* (The kernel rate-limits fault messages: try for up to 12 s.) */
	faults = dmar_faults(DENY_IOVA);
	ASSERT_LE(0, faults);
	for (i = 0; i < 6 && dmar_faults(DENY_IOVA) <= faults; i++) {
		ASSERT_EQ(0, edu_dma_sysfs(bdf, DENY_IOVA));
		if (dmar_faults(DENY_IOVA) <= faults)
			sleep(2);
	}
	EXPECT_LT(faults, dmar_faults(DENY_IOVA));

	/* The policy gone, the same container is served by ioasid. */
	bpf_link__destroy(self->links[--self->nr_links]);
	EXPECT_EQ(0, ioctl(e.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(ours_ref + 1, refcnt("ioasid_vfio"));
	EXPECT_EQ(type1_ref, refcnt("vfio_iommu_type1"));
	EXPECT_EQ(0, vfio_map(e.container, IOVA, buf, PSZ, VRW));
	vfio_close(&e);
	EXPECT_NO_LEAK(before);
}

TEST_F(policy, bad_input)
{
	const char *bdf = vfio_bdf();
	struct ioasid_live before = ioasid_live();
	struct vfio_env e, e2;
	int null_fd, c2;

	if (!bdf)
		SKIP(return, "no device bound to vfio-pci");
	ASSERT_EQ(0, vfio_open(bdf, &e));
	/* A second container for a group already in one: EINVAL. */
	c2 = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, c2);
	EXPECT_EQ(-1, ioctl(e.group, VFIO_GROUP_SET_CONTAINER, &c2));
	EXPECT_EQ(EINVAL, errno);
	/* c2 has no group: it cannot be given an IOMMU driver. */
	EXPECT_EQ(-1, ioctl(c2, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(EINVAL, errno);
	close(c2);
	/* The group is still in its first container, which still works. */
	ASSERT_EQ(0, vfio_serve(bdf, &e));
	vfio_close(&e);
	EXPECT_NO_LEAK(before);

	/* Not a container (/dev/null, an ioasid fd): EBADFD, no change. */
	ASSERT_EQ(0, vfio_open(bdf, &e2));
	ASSERT_EQ(0, ioctl(e2.group, VFIO_GROUP_UNSET_CONTAINER));
	null_fd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, null_fd);
	EXPECT_EQ(-1, ioctl(e2.group, VFIO_GROUP_SET_CONTAINER, &null_fd));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, ioctl(e2.group, VFIO_GROUP_SET_CONTAINER, &self->fd));
	EXPECT_EQ(EBADFD, errno);
	close(null_fd);
	EXPECT_NO_LEAK(before);
	/* A type this driver set does not know: ENODEV from VFIO. */
	ASSERT_EQ(0, ioctl(e2.group, VFIO_GROUP_SET_CONTAINER, &e2.container));
	EXPECT_EQ(-1, ioctl(e2.container, VFIO_SET_IOMMU, 0x7777));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(0, vfio_serve(bdf, &e2));
	vfio_close(&e2);
	EXPECT_NO_LEAK(before);
}

static int join(int container, __u32 size, __u32 flags, int fd, __u32 ioas)
{
	struct {
		struct ioasid_vfio_join_ioas j;
		__u64 tail;
	} a = {
		.j = { .size = size, .flags = flags, .ioasid_fd = fd, .ioas_id = ioas },
		.tail = 1,
	};

	return ioctl(container, IOASID_VFIO_JOIN_IOAS, &a) ? -errno : 0;
}

/* A container joins an IOAS of a /dev/ioasid fd: VFIO and native maps mix. */
TEST_F(policy, join_ioas)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	const size_t jsz = sizeof(struct ioasid_vfio_join_ioas);
	const char *bdf = vfio_bdf();
	struct ioasid_live before = ioasid_live();
	struct ioasid_ioas_map m = { .size = sizeof(m) };
	char *buf, *src, *dst;
	volatile void *bar;
	struct vfio_env e;
	int null_fd, i;

	if (!bdf)
		SKIP(return, "no device bound to vfio-pci");
	buf = mmap(NULL, 4 * PSZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	src = buf;
	dst = buf + 2 * PSZ;
	ASSERT_EQ(0, ioctl(self->fd, IOASID_IOAS_ALLOC, &alloc));
	ASSERT_EQ(0, vfio_open(bdf, &e));
	ASSERT_EQ(0, vfio_serve(bdf, &e));

	/* Bad input: the container stays on its own IOAS. */
	null_fd = open("/dev/null", O_RDWR);
	EXPECT_EQ(-EINVAL, join(e.container, jsz - 4, 0, self->fd, alloc.out_ioas_id));
	EXPECT_EQ(-E2BIG, join(e.container, jsz + 8, 0, self->fd, alloc.out_ioas_id));
	EXPECT_EQ(-EOPNOTSUPP, join(e.container, jsz, 1, self->fd, alloc.out_ioas_id));
	EXPECT_EQ(-EBADF, join(e.container, jsz, 0, null_fd, alloc.out_ioas_id));
	EXPECT_EQ(-EBADF, join(e.container, jsz, 0, -1, alloc.out_ioas_id));
	EXPECT_EQ(-ENOENT, join(e.container, jsz, 0, self->fd, 9999));
	close(null_fd);
	ASSERT_EQ(0, vfio_map(e.container, IOVA, buf, PSZ, VRW));
	EXPECT_EQ(-EBUSY, join(e.container, jsz, 0, self->fd, alloc.out_ioas_id));
	ASSERT_EQ(0, vfio_unmap(e.container, IOVA, PSZ, 0, NULL));

	ASSERT_EQ(0, join(e.container, jsz, 0, self->fd, alloc.out_ioas_id));
	EXPECT_EQ(-EBUSY, join(e.container, jsz, 0, self->fd, alloc.out_ioas_id));
	/* The source through the native API, the destination through VFIO. */
	m.ioas_id = alloc.out_ioas_id;
	m.addr = (uintptr_t)src;
	m.length = PSZ;
	m.iova = 0x300000;
	m.flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READABLE;
	ASSERT_EQ(0, ioctl(self->fd, IOASID_IOAS_MAP, &m));
	ASSERT_EQ(0, vfio_map(e.container, IOVA, dst, PSZ, VRW));
	/* VFIO sees the native mapping: it overlaps. */
	EXPECT_EQ(-EEXIST, vfio_map(e.container, 0x300000, dst, PSZ, VRW));
	for (i = 0; i < XFER; i++)
		src[i] = (char)(i * 5 + 1);
	memset(dst, 0, PSZ);
	bar = vfio_bar0(e.device);
	ASSERT_NE(NULL, bar);
	ASSERT_EQ(0, vfio_enable_master(e.device));
	ASSERT_EQ(0, edu_run_dma(bar, 0x300000, EDU_BUF, XFER, 0));
	ASSERT_EQ(0, edu_run_dma(bar, EDU_BUF, IOVA, XFER, 1));
	EXPECT_EQ(0, memcmp(src, dst, XFER));
	munmap((void *)bar, 1 << 20);
	/* The fd cannot pull the IOAS from under the container. */
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_DESTROY, &(struct ioasid_destroy){
		.size = sizeof(struct ioasid_destroy), .id = alloc.out_ioas_id }));
	EXPECT_EQ(EBUSY, errno);
	vfio_close(&e);
	/* Closing the container leaves the fd's IOAS and its mappings. */
	EXPECT_EQ(0, ioctl(self->fd, IOASID_DESTROY, &(struct ioasid_destroy){
		.size = sizeof(struct ioasid_destroy), .id = alloc.out_ioas_id }));
	EXPECT_NO_LEAK(before);
	munmap(buf, 4 * PSZ);
}

/*
 * A join the policies refuse: the policy's errno, the container keeps its
 * own IOAS (the groups are decided again to go back: with the deny still
 * there they stay blocked, as the uAPI says).
 */
TEST_F(policy, join_ioas_denied)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	const size_t jsz = sizeof(struct ioasid_vfio_join_ioas);
	const char *bdf = vfio_bdf();
	struct ioasid_live before = ioasid_live();
	struct vfio_env e;
	void *pg;

	if (!bdf)
		SKIP(return, "no device bound to vfio-pci");
	ASSERT_EQ(0, ioctl(self->fd, IOASID_IOAS_ALLOC, &alloc));
	ASSERT_EQ(0, vfio_open(bdf, &e));
	ASSERT_EQ(0, vfio_serve(bdf, &e));
	LOAD("t_deny");
	ATTACH("t_deny");
	ASSERT_EQ(0, trace_start());
	EXPECT_EQ(-EPERM, join(e.container, jsz, 0, self->fd, alloc.out_ioas_id));
	EXPECT_TRUE(traced("dev=1234:11e8", "vendor 1234 is not welcome"));
	/* Still the container's own IOAS: maps work, the fd's IOAS is free. */
	pg = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, pg);
	EXPECT_EQ(0, vfio_map(e.container, IOVA, pg, PSZ, VRW));
	EXPECT_EQ(0, ioctl(self->fd, IOASID_DESTROY, &(struct ioasid_destroy){
		.size = sizeof(struct ioasid_destroy), .id = alloc.out_ioas_id }));
	vfio_close(&e);
	munmap(pg, PSZ);
	EXPECT_NO_LEAK(before);
}

/* Another device of @bdf's group bound to ioasid-pci, into @sib. */
static bool group_sibling(const char *bdf, char *sib, size_t len)
{
	char path[300], drv[64];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group/devices",
		 bdf);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, bdf) ||
		    pci_link_name(de->d_name, "driver", drv, sizeof(drv)) ||
		    strcmp(drv, "ioasid-pci"))
			continue;
		snprintf(sib, len, "%s", de->d_name);
		found = true;
	}
	closedir(d);
	return found;
}

/* A group whose DMA another owner (an ioasid fd) holds is not viable. */
TEST_F(policy, group_not_viable)
{
	struct ioasid_device_bind bind = { .size = sizeof(bind), .ioasid_fd = self->fd };
	struct vfio_group_status st = { .argsz = sizeof(st) };
	const char *bdf = vfio_bdf();
	struct ioasid_live before;
	char sib[256], path[384];
	struct vfio_env e;
	int dfd, c2, nr;

	if (!bdf || !group_sibling(bdf, sib, sizeof(sib)))
		SKIP(return, "no other device of the group on ioasid-pci (config intel-group has one)");
	snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", sib);
	dfd = open(path, O_RDWR);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_BIND, &bind));
	before = ioasid_live();

	nr = vfio_group_nr(bdf);
	ASSERT_LE(0, nr);
	snprintf(path, sizeof(path), "/dev/vfio/%d", nr);
	e.group = open(path, O_RDWR);
	ASSERT_LE(0, e.group);
	e.container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, e.container);
	e.device = -1;
	ASSERT_EQ(0, ioctl(e.group, VFIO_GROUP_GET_STATUS, &st));
	EXPECT_EQ(0, st.flags & VFIO_GROUP_FLAGS_VIABLE);
	EXPECT_EQ(-1, ioctl(e.group, VFIO_GROUP_SET_CONTAINER, &e.container));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(e.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_NO_LEAK(before);
	/* The other owner gone, the same group joins and is served. */
	close(dfd);
	ASSERT_EQ(0, ioctl(e.group, VFIO_GROUP_GET_STATUS, &st));
	EXPECT_NE(0, st.flags & VFIO_GROUP_FLAGS_VIABLE);
	c2 = e.container;
	EXPECT_EQ(0, ioctl(e.group, VFIO_GROUP_SET_CONTAINER, &c2));
	EXPECT_EQ(0, vfio_serve(bdf, &e));
	vfio_close(&e);
}

TEST_HARNESS_MAIN
