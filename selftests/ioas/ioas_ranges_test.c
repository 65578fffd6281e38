// SPDX-License-Identifier: GPL-2.0
/*
 * ioas_ranges_test: IOAS_IOVA_RANGES and IOAS_ALLOW_IOVAS, without
 * (fixture ioas) and with (fixture mapped) mappings present.
 * Shared helpers, fixtures and design notes: lib/ioasid_util.h.
 */
#define IOAS_WANT_FIXTURE_IOAS
#define IOAS_WANT_FIXTURE_MAPPED
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

/* ---- IOVA_RANGES / ALLOW_IOVAS ---- */

TEST_F(ioas, iova_ranges_default_whole_space)
{
	struct ioasid_iova_range r[2];
	__u32 num = 2;
	__u64 align = 0;

	memset(r, 0xa5, sizeof(r));
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, r, &num, &align));
	ASSERT_EQ(1U, num);
	EXPECT_EQ(0ULL, r[0].start);
	EXPECT_EQ(U64MAX, r[0].last);
	EXPECT_EQ(PSZ, align);
}

TEST_F(ioas, iova_ranges_emsgsize_reports_count)
{
	static const struct ioasid_iova_range allow[3] = {
		{ 0x100000, 0x1fffff },
		{ 0x400000, 0x7fffff },
		{ TOP(MiB), U64MAX },
	};
	struct ioasid_iova_range r[3];
	__u32 num = 0;

	EXPECT_EQ(-EMSGSIZE, iova_ranges(self->fd, self->ioas, NULL, &num,
					 NULL));
	EXPECT_EQ(1U, num);

	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas, allow, 3));
	memset(r, 0xa5, sizeof(r));
	num = 1;
	EXPECT_EQ(-EMSGSIZE, iova_ranges(self->fd, self->ioas, r, &num, NULL));
	EXPECT_EQ(3U, num);
	EXPECT_EQ(allow[0].start, r[0].start);
	EXPECT_EQ(allow[0].last, r[0].last);
	/* nothing written past the entries we offered */
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, r[1].start);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, r[1].last);
}

TEST_F(ioas, iova_ranges_bad_input)
{
	struct ioasid_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = self->ioas, .num_iovas = 1,
		.allowed_iovas = 8,	/* faults */
	};
	struct ioasid_iova_range r[1];
	__u32 num = 1;

	EXPECT_EQ(-EFAULT, xioctl(self->fd, IOASID_IOAS_IOVA_RANGES, &q));
	q.allowed_iovas = U(r);
	q.__reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_IOAS_IOVA_RANGES, &q));
	EXPECT_EQ(-ENOENT, iova_ranges(self->fd, BAD_ID, r, &num, NULL));
}

TEST_F(ioas, allow_iovas_reflected_in_ranges)
{
	static const struct ioasid_iova_range allow[3] = {
		{ 0x100000, 0x1fffff },
		{ 0x400000, 0x7fffff },
		{ TOP(MiB), U64MAX },
	};
	struct ioasid_iova_range r[4];
	__u32 num = 4;
	int i;

	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas, allow, 3));
	memset(r, 0, sizeof(r));
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, r, &num, NULL));
	ASSERT_EQ(3U, num);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(allow[i].start, r[i].start);
		EXPECT_EQ(allow[i].last, r[i].last);
	}
	/* replaced atomically, not merged */
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas, &allow[1], 1));
	num = 4;
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, r, &num, NULL));
	ASSERT_EQ(1U, num);
	EXPECT_EQ(allow[1].start, r[0].start);
	EXPECT_EQ(allow[1].last, r[0].last);
}

TEST_F(ioas, allow_iovas_reset_with_zero)
{
	static const struct ioasid_iova_range allow = { IOVA_A, IOVA_B - 1 };

	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas, &allow, 1));
	EXPECT_EQ(-ENOSPC, MAPF(0, PSZ, IOVA_B, RW));
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas, NULL, 0));
	CHECK_WHOLE_SPACE(self->ioas);
	ASSERT_EQ(0, MAPF(0, PSZ, IOVA_B, RW));
	ASSERT_EQ(0, MAPF(0, PSZ, TOP(PSZ), RW));
}

TEST_F(ioas, allow_iovas_full_space_ok)
{
	static const struct ioasid_iova_range all = { 0, U64MAX };

	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas, &all, 1));
	CHECK_WHOLE_SPACE(self->ioas);
	ASSERT_EQ(0, MAPF(0, PSZ, 0, RW));
	ASSERT_EQ(0, MAPF(PSZ, PSZ, TOP(PSZ), RW));
}

TEST_F(ioas, allow_iovas_auto_iova_inside)
{
	static const struct ioasid_iova_range allow[2] = {
		{ IOVA_A, IOVA_B - 1 },		/* 16 MiB */
		{ 1ULL << 40, (1ULL << 40) + 2 * MiB - 1 },
	};
	__u64 iova;
	int i;

	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas, allow, 2));
	for (i = 0; i < 4; i++) {
		iova = 0;
		ASSERT_EQ(0, map_ex(self->fd, self->ioas,
				    U(self->buf + i * MiB / 2), MiB / 2, &iova,
				    RW, (i & 1) ? 2 * MiB : 0));
		if (!((iova >= allow[0].start && iova + MiB / 2 - 1 <= allow[0].last) ||
		      (iova >= allow[1].start && iova + MiB / 2 - 1 <= allow[1].last)))
			TH_LOG("auto IOVA 0x%llx outside the allowed ranges", iova);
		EXPECT_TRUE((iova >= allow[0].start &&
			     iova + MiB / 2 - 1 <= allow[0].last) ||
			    (iova >= allow[1].start &&
			     iova + MiB / 2 - 1 <= allow[1].last));
		if (i & 1)
			EXPECT_EQ(0ULL, iova % (2 * MiB));
		CHECK_BYTES(self->ioas, iova, self->buf + i * MiB / 2, MiB / 2);
	}
}

TEST_F(ioas, allow_iovas_auto_iova_exhausted_enospc)
{
	static const struct ioasid_iova_range allow = {
		IOVA_A, IOVA_A + 64 * PSZ - 1,
	};
	bool used[64] = {};
	__u64 iova;
	int i;

	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas, &allow, 1));
	iova = 0;
	EXPECT_EQ(-ENOSPC, map_ex(self->fd, self->ioas, U(self->buf),
				  65 * PSZ, &iova, RW, 0));
	for (i = 0; i < 64; i++) {
		iova = 0;
		ASSERT_EQ(0, map_ex(self->fd, self->ioas,
				    U(self->buf + i * PSZ), PSZ, &iova, RW, PSZ));
		ASSERT_LE(allow.start, iova);
		ASSERT_GE(allow.last, iova + PSZ - 1);
		ASSERT_FALSE(used[(iova - allow.start) / PSZ]);
		used[(iova - allow.start) / PSZ] = true;
	}
	iova = 0;
	EXPECT_EQ(-ENOSPC, map_ex(self->fd, self->ioas, U(self->buf + 0x100000),
				  PSZ, &iova, RW, 0));
	CHECK_INFO(self->ioas, 64, 64 * PSZ, 64);
}

TEST_F(ioas, allow_iovas_fixed_outside_enospc)
{
	static const struct ioasid_iova_range allow = { IOVA_A, IOVA_B - 1 };
	__u32 b;

	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas, &allow, 1));
	EXPECT_EQ(-ENOSPC, MAPF(0, PSZ, IOVA_A / 2, RW));
	EXPECT_EQ(-ENOSPC, MAPF(0, 2 * PSZ, IOVA_A - PSZ, RW));
	EXPECT_EQ(-ENOSPC, MAPF(0, 2 * PSZ, IOVA_B - PSZ, RW));
	EXPECT_EQ(-ENOSPC, MAPF(0, PSZ, TOP(PSZ), RW));
	CHECK_INFO(self->ioas, 0, 0, 0);
	ASSERT_EQ(0, MAPF(0, MiB, IOVA_A, RW));
	ASSERT_EQ(0, MAPF(MiB, PSZ, IOVA_B - PSZ, RW));
	CHECK_INFO(self->ioas, 2, MiB + PSZ, U64MAX);
	/* COPY into the restricted IOAS obeys the same rule */
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	ASSERT_EQ(0, map_fixed(self->fd, b, U(self->buf), PSZ, 0, RW));
	EXPECT_EQ(-ENOSPC, copy_fixed(self->fd, self->ioas, b, 0, PSZ,
				      IOVA_B, RW));
	EXPECT_EQ(0, copy_fixed(self->fd, self->ioas, b, 0, PSZ,
				IOVA_A + MiB, RW));
}

/* ---- ALLOW_IOVAS with mappings present ---- */

TEST_F(mapped, allow_iovas_invalid_einval)
{
	/* every list covers M0..M2, so only its shape is wrong */
	static const struct ioasid_iova_range unsorted[2] = {
		{ TOP(2 * MiB), U64MAX }, { 0, 4 * MiB - 1 },
	};
	static const struct ioasid_iova_range overlapping[2] = {
		{ 0, 4 * MiB - 1 }, { 2 * MiB, U64MAX },
	};
	static const struct ioasid_iova_range bad_start[1] = {
		{ 0x800, U64MAX },
	};
	static const struct ioasid_iova_range bad_last[2] = {
		{ 0, 4 * MiB - 2 }, { TOP(2 * MiB), U64MAX },
	};
	static const struct ioasid_iova_range bad_last2[2] = {
		{ 0, 4 * MiB - 1 - 0x800 }, { TOP(2 * MiB), U64MAX },
	};
	static const struct ioasid_iova_range reversed[3] = {
		{ 0, 4 * MiB - 1 }, { 6 * MiB, 5 * MiB - 1 },
		{ TOP(2 * MiB), U64MAX },
	};

	FAILS(EINVAL, allow_iovas(self->fd, self->ioas, unsorted, 2));
	CHECK_WHOLE_SPACE(self->ioas);
	FAILS(EINVAL, allow_iovas(self->fd, self->ioas, overlapping, 2));
	CHECK_WHOLE_SPACE(self->ioas);
	FAILS(EINVAL, allow_iovas(self->fd, self->ioas, bad_start, 1));
	CHECK_WHOLE_SPACE(self->ioas);
	FAILS(EINVAL, allow_iovas(self->fd, self->ioas, bad_last, 2));
	CHECK_WHOLE_SPACE(self->ioas);
	FAILS(EINVAL, allow_iovas(self->fd, self->ioas, bad_last2, 2));
	CHECK_WHOLE_SPACE(self->ioas);
	FAILS(EINVAL, allow_iovas(self->fd, self->ioas, reversed, 3));
	CHECK_WHOLE_SPACE(self->ioas);
}

TEST_F(mapped, allow_iovas_mapping_outside_ebusy)
{
	static const struct ioasid_iova_range low[1] = { { 0, 2 * MiB - 1 } };
	static const struct ioasid_iova_range no_m2[1] = {
		{ 0, 4 * MiB - 1 },
	};
	static const struct ioasid_iova_range cuts_m0[2] = {
		{ 0x108000, 4 * MiB - 1 }, { TOP(2 * MiB), U64MAX },
	};
	static const struct ioasid_iova_range cuts_m2[2] = {
		{ 0, 4 * MiB - 1 }, { TOP(2 * MiB), TOP(MiB + PSZ) - 1 },
	};

	FAILS(EBUSY, allow_iovas(self->fd, self->ioas, low, 1));
	CHECK_WHOLE_SPACE(self->ioas);
	FAILS(EBUSY, allow_iovas(self->fd, self->ioas, no_m2, 1));
	CHECK_WHOLE_SPACE(self->ioas);
	FAILS(EBUSY, allow_iovas(self->fd, self->ioas, cuts_m0, 2));
	CHECK_WHOLE_SPACE(self->ioas);
	FAILS(EBUSY, allow_iovas(self->fd, self->ioas, cuts_m2, 2));
	CHECK_WHOLE_SPACE(self->ioas);
	/* a later fixed map still may go anywhere */
	ASSERT_EQ(0, MAPF(FREE_OFF, PSZ, 64ULL << 40, RW));
}

TEST_F(mapped, allow_iovas_covering_mappings_ok)
{
	struct ioasid_iova_range exact[NR_KMAPS], r[4];
	__u32 num = 4;
	unsigned int i;

	for (i = 0; i < NR_KMAPS; i++) {
		exact[i].start = kmaps[i].iova;
		exact[i].last = kmaps[i].iova + kmaps[i].len - 1;
	}
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas, exact, NR_KMAPS));
	ASSERT_INTACT();
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas, r, &num, NULL));
	ASSERT_EQ(NR_KMAPS, num);
	for (i = 0; i < NR_KMAPS; i++) {
		EXPECT_EQ(exact[i].start, r[i].start);
		EXPECT_EQ(exact[i].last, r[i].last);
	}
	/* full: no free IOVA anywhere */
	FAILS(ENOSPC, MAPF(FREE_OFF, PSZ, FREE_IOVA, RW));
	FAILS(ENOSPC, MAPF(FREE_OFF, PSZ, 0, RW));
	FAILS(ENOSPC, MAPF(FREE_OFF, PSZ, TOP(PSZ), RW));
	/* unmap M0: its range is free for a fixed map again */
	ASSERT_EQ(0, UNMAP(M0.iova, M0.len, 0, NULL));
	ASSERT_EQ(0, MAPF(M0.off, M0.len, M0.iova, M0.flags));
	ASSERT_INTACT();
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas, NULL, 0));
	CHECK_WHOLE_SPACE(self->ioas);
}

TEST_F(mapped, allow_iovas_bad_input)
{
	static const struct ioasid_iova_range all = { 0, U64MAX };
	struct ioasid_ioas_allow_iovas a = {
		.size = sizeof(a), .ioas_id = self->ioas, .num_iovas = 1,
		.__reserved = 1, .allowed_iovas = U(&all),
	};

	FAILS(EINVAL, xioctl(self->fd, IOASID_IOAS_ALLOW_IOVAS, &a));
	FAILS(EFAULT, allow_iovas(self->fd, self->ioas, (void *)8, 1));
	FAILS(ENOENT, allow_iovas(self->fd, BAD_ID, &all, 1));
	CHECK_WHOLE_SPACE(self->ioas);
}

/* ---- apertures of attached domains (issue 15, bug 6) ---- */

#include <dirent.h>
#include <linux/ioasid_device.h>

/* The highest IOVA IOVA_RANGES reports as usable. */
static __u64 ranges_top(struct __test_metadata *_metadata, int fd, __u32 ioas)
{
	struct ioasid_iova_range r[16];
	__u32 num = 16;

	ASSERT_EQ(0, iova_ranges(fd, ioas, r, &num, NULL));
	ASSERT_GE(16U, num);
	ASSERT_LT(0U, num);
	return r[num - 1].last;
}

/*
 * @ioas has a domain whose aperture ends at @top: what lies above is
 * reserved: IOVA_RANGES stops there, a fixed map just above fails with
 * ENOSPC, the last page below maps, an allowed range above is refused.
 */
static void check_aperture_held(struct __test_metadata *_metadata, int fd,
				__u32 ioas, uint8_t *buf, __u64 top)
{
	static const struct ioasid_iova_range all = { 0, U64MAX };

	EXPECT_EQ(top, ranges_top(_metadata, fd, ioas));
	EXPECT_EQ(-ENOSPC, map_fixed(fd, ioas, U(buf), PSZ, top + 1, RW));
	EXPECT_EQ(-ENOSPC, map_fixed(fd, ioas, U(buf), 2 * PSZ, top + 1 - PSZ, RW));
	EXPECT_EQ(-ENOSPC, map_fixed(fd, ioas, U(buf), PSZ, TOP(PSZ), RW));
	EXPECT_EQ(0, map_fixed(fd, ioas, U(buf), PSZ, top + 1 - PSZ, RW));
	EXPECT_EQ(0, unmap(fd, ioas, top + 1 - PSZ, PSZ, 0, NULL));
	/* ALLOW_IOVAS may not hand the reserved part back (uAPI: EBUSY). */
	EXPECT_EQ(-EBUSY, allow_iovas(fd, ioas, &all, 1));
}

/* After the domain went: the whole space again, and above @top maps. */
static void check_aperture_released(struct __test_metadata *_metadata, int fd,
				    __u32 ioas, uint8_t *buf, __u64 top)
{
	EXPECT_EQ(U64MAX, ranges_top(_metadata, fd, ioas));
	EXPECT_EQ(0, map_fixed(fd, ioas, U(buf), PSZ, top + 1, RW));
	EXPECT_EQ(0, unmap(fd, ioas, top + 1, PSZ, 0, NULL));
}

static int mock_call(int tfd, __u32 op, struct ioasid_test_mock *m)
{
	m->size = sizeof(*m);
	m->op = op;
	return xioctl(tfd, IOASID_TEST_MOCK, m);
}

TEST_F(ioas, aperture_reserved_while_mock_attached)
{
	struct ioasid_test_mock m = { .flags = IOASID_TEST_MOCK_COHERENT };
	__u64 top;

	ASSERT_EQ(0, mock_call(self->tfd, IOASID_TEST_MOCK_CREATE, &m));
	m.flags = 0;
	m.ioasid_fd = self->fd;
	m.vendor = 0x1af4;
	ASSERT_EQ(0, mock_call(self->tfd, IOASID_TEST_MOCK_BIND, &m));
	m.ioas_id = self->ioas;
	ASSERT_EQ(0, mock_call(self->tfd, IOASID_TEST_MOCK_ATTACH, &m));
	top = ranges_top(_metadata, self->fd, self->ioas);
	/* The mock IOMMU translates 48 bits (kernel/test/mock_iommu.c). */
	ASSERT_EQ((1ULL << 48) - 1, top);
	check_aperture_held(_metadata, self->fd, self->ioas, self->buf, top);
	ASSERT_EQ(0, mock_call(self->tfd, IOASID_TEST_MOCK_DETACH, &m));
	check_aperture_released(_metadata, self->fd, self->ioas, self->buf, top);
}

/* /dev/ioasid-dev/<BDF> of an edu bound to ioasid-pci, or "". */
static void edu_path(char *path, size_t size)
{
	DIR *d = opendir("/dev/ioasid-dev");
	struct dirent *e;

	path[0] = 0;
	while (d && (e = readdir(d))) {
		char vp[512], v[16] = "";
		int f;

		snprintf(vp, sizeof(vp), "/sys/bus/pci/devices/%s/device", e->d_name);
		f = open(vp, O_RDONLY);
		if (f < 0)
			continue;
		if (read(f, v, sizeof(v) - 1) > 0 && !strncmp(v, "0x11e8", 6))
			snprintf(path, size, "/dev/ioasid-dev/%s", e->d_name);
		close(f);
		if (path[0])
			break;
	}
	if (d)
		closedir(d);
}

TEST_F(ioas, aperture_reserved_while_intel_domain_attached)
{
	struct ioasid_device_info info = { .size = sizeof(info) };
	struct ioasid_device_bind b = { .size = sizeof(b) };
	struct ioasid_device_attach a = { .size = sizeof(a) };
	struct ioasid_device_detach d = { .size = sizeof(d) };
	char path[300];
	int dfd;

	edu_path(path, sizeof(path));
	if (!path[0])
		SKIP(return, "no edu bound to ioasid-pci");
	dfd = open(path, O_RDWR);
	ASSERT_LE(0, dfd);
	b.ioasid_fd = self->fd;
	ASSERT_EQ(0, xioctl(dfd, IOASID_DEVICE_BIND, &b));
	ASSERT_EQ(0, xioctl(dfd, IOASID_DEVICE_GET_INFO, &info));
	if (strcmp(info.out_iommu_driver, "intel-iommu")) {
		close(dfd);
		SKIP(return, "IOMMU is %s, not intel-iommu", info.out_iommu_driver);
	}
	/* Before the first attach: the driver's 57-bit (or 48-bit) default. */
	ASSERT_TRUE(info.out_aperture_last == (1ULL << 48) - 1 ||
		    info.out_aperture_last == (1ULL << 57) - 1);
	/* A mapping above the aperture keeps the domain out (EADDRINUSE). */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), PSZ,
			       info.out_aperture_last + 1, RW));
	a.ioas_id = self->ioas;
	EXPECT_EQ(-EADDRINUSE, xioctl(dfd, IOASID_DEVICE_ATTACH, &a));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, info.out_aperture_last + 1, PSZ, 0, NULL));
	ASSERT_EQ(0, xioctl(dfd, IOASID_DEVICE_ATTACH, &a));
	/*
	 * Attached, GET_INFO gives the domain's aperture: intel-iommu cuts
	 * its 57-bit default to the IOMMU's address width at the first
	 * attach (39 bits in QEMU 7.2's default, 48 or 57 on hardware).
	 */
	ASSERT_EQ(0, xioctl(dfd, IOASID_DEVICE_GET_INFO, &info));
	TH_LOG("aperture after attach: %#llx", (unsigned long long)info.out_aperture_last);
	ASSERT_LE((1ULL << 39) - 1, info.out_aperture_last);
	ASSERT_GE((1ULL << 57) - 1, info.out_aperture_last);
	check_aperture_held(_metadata, self->fd, self->ioas, self->buf,
			    info.out_aperture_last);
	ASSERT_EQ(0, xioctl(dfd, IOASID_DEVICE_DETACH, &d));
	check_aperture_released(_metadata, self->fd, self->ioas, self->buf,
				info.out_aperture_last);
	close(dfd);
}

TEST_HARNESS_MAIN
