// SPDX-License-Identifier: GPL-2.0
/*
 * Mock devices behind the test module's mock IOMMU, attached through the
 * real bind/attach/policy paths: DMA at the RID and at PASIDs through the
 * page tables ioasid filled, the successful PASID attach path that QEMU's
 * devices cannot reach, and per-PASID kernel contexts (linux/ioasid_pasid.h)
 * with the policy's PASID allowance per driver enforced.
 */
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"
#include "mock_policy.skel.h"

#define NPAGES 32
#define CTX_IOVA 0x100000ULL

FIXTURE(mock) {
	int fd, tfd;
	__u32 ioas, ioas2;
	uint8_t *buf;
	struct ioasid_live base;
};

FIXTURE_SETUP(mock)
{
	self->base = ioasid_live();
	self->fd = open_dev(_metadata, "/dev/ioasid");
	self->tfd = open_dev(_metadata, "/dev/ioasid_test");
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &self->ioas));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &self->ioas2));
	self->buf = new_buf(_metadata, NPAGES * PSZ, 0x3a5c);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), 4 * PSZ, IOVA_A, RW));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas2, U(self->buf) + 4 * PSZ,
			       4 * PSZ, IOVA_A, RW));
}

FIXTURE_TEARDOWN(mock)
{
	close_with_test_fd(_metadata, self->tfd, self->fd, self->buf,
			   NPAGES * PSZ, self->base);
}

/* A mock bound to the fixture's fd. */
static __u32 mock_up(struct __test_metadata *_metadata, FIXTURE_DATA(mock) *self,
		     __u32 pasid_bits, __u32 flags)
{
	__u32 id, dev_id;

	ASSERT_EQ(0, mock_create(self->tfd, pasid_bits, flags, &id));
	ASSERT_EQ(0, mock_bind(self->tfd, id, self->fd, 0x1af4, 0x1000, &dev_id));
	EXPECT_LT(0, dev_id);
	return id;
}

TEST_F(mock, rid_attach_dma_and_unmap)
{
	__u32 id = mock_up(_metadata, self, 0, IOASID_TEST_MOCK_COHERENT);
	struct ioasid_policy_decision d;
	uint8_t got[PSZ], data[PSZ];
	__u64 blocked, serial, faults0, faults, unmapped;

	ASSERT_EQ(0, mock_query(self->tfd, id, 0, &blocked, &faults0));
	/* Bound, not attached: its DMA is blocked. */
	EXPECT_EQ(-EFAULT, mock_dma(self->tfd, id, 0, IOVA_A, got, 64, false));

	ASSERT_EQ(0, mock_attach(self->tfd, id, self->ioas, 0, 0, &d));
	EXPECT_EQ(0, d.verdict);
	EXPECT_EQ(IOASID_SNOOP_ENFORCE, d.snoop);
	ASSERT_EQ(0, mock_query(self->tfd, id, 0, &serial, NULL));
	EXPECT_NE(blocked, serial);

	ASSERT_EQ(0, mock_dma(self->tfd, id, 0, IOVA_A + PSZ, got, PSZ, false));
	EXPECT_EQ(0, memcmp(got, self->buf + PSZ, PSZ));
	fill(data, PSZ, 0xd00d);
	ASSERT_EQ(0, mock_dma(self->tfd, id, 0, IOVA_A + 2 * PSZ, data, PSZ, true));
	EXPECT_EQ(0, memcmp(self->buf + 2 * PSZ, data, PSZ));

	/* After UNMAP the device no longer reaches the page. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA_A + 2 * PSZ, PSZ,
			   IOASID_UNMAP_ALLOW_SPLIT, &unmapped));
	memcpy(data, self->buf + 2 * PSZ, PSZ);
	EXPECT_EQ(-EFAULT, mock_dma(self->tfd, id, 0, IOVA_A + 2 * PSZ, got, PSZ, true));
	EXPECT_EQ(0, memcmp(self->buf + 2 * PSZ, data, PSZ));
	ASSERT_EQ(0, mock_query(self->tfd, id, 0, NULL, &faults));
	EXPECT_EQ(faults0 + 2, faults);

	/* REPLACE moves it to the other IOAS: the same IOVA, other memory. */
	ASSERT_EQ(0, mock_attach(self->tfd, id, self->ioas2, IOASID_ATTACH_REPLACE, 0, &d));
	ASSERT_EQ(0, mock_dma(self->tfd, id, 0, IOVA_A, got, PSZ, false));
	EXPECT_EQ(0, memcmp(got, self->buf + 4 * PSZ, PSZ));

	/* DETACH: back to blocked. */
	ASSERT_EQ(0, mock_detach(self->tfd, id, 0, 0));
	ASSERT_EQ(0, mock_query(self->tfd, id, 0, &serial, NULL));
	EXPECT_EQ(blocked, serial);
	EXPECT_EQ(-EFAULT, mock_dma(self->tfd, id, 0, IOVA_A, got, 64, false));
}

TEST_F(mock, noncoherent_mock_gets_nosnoop)
{
	__u32 id = mock_up(_metadata, self, 0, 0);
	struct ioasid_policy_decision d;

	ASSERT_EQ(0, mock_attach(self->tfd, id, self->ioas, 0, 0, &d));
	EXPECT_EQ(IOASID_SNOOP_ALLOW_NOSNOOP, d.snoop);
	EXPECT_TRUE(d.flags & IOASID_DECISION_FLUSH_GRANT);
}

TEST_F(mock, user_pasid_attach)
{
	__u32 id = mock_up(_metadata, self, 8, IOASID_TEST_MOCK_COHERENT);
	struct ioasid_policy_decision d;
	uint8_t got[PSZ];
	__u64 rid, at5;

	ASSERT_EQ(0, mock_attach(self->tfd, id, self->ioas, 0, 0, &d));
	ASSERT_EQ(0, mock_attach(self->tfd, id, self->ioas2, IOASID_ATTACH_PASID, 5, &d));
	EXPECT_EQ(0, d.verdict);
	EXPECT_TRUE(d.flags & IOASID_DECISION_PASID_RANGE);
	EXPECT_EQ(1, d.pasid_min);
	EXPECT_EQ(255, d.pasid_max);
	EXPECT_EQ(self->base.pasid_attachments + 1, ioasid_stat("pasid_attachments"));
	ASSERT_EQ(0, mock_query(self->tfd, id, 0, &rid, NULL));
	ASSERT_EQ(0, mock_query(self->tfd, id, 5, &at5, NULL));
	EXPECT_NE(0, at5);
	EXPECT_NE(rid, at5);

	/* The RID and PASID 5 translate the same IOVA through their IOASes. */
	ASSERT_EQ(0, mock_dma(self->tfd, id, 0, IOVA_A, got, PSZ, false));
	EXPECT_EQ(0, memcmp(got, self->buf, PSZ));
	ASSERT_EQ(0, mock_dma(self->tfd, id, 5, IOVA_A, got, PSZ, false));
	EXPECT_EQ(0, memcmp(got, self->buf + 4 * PSZ, PSZ));
	/* Another PASID has nothing. */
	EXPECT_EQ(-EFAULT, mock_dma(self->tfd, id, 6, IOVA_A, got, 64, false));

	/* Refusals: in use, 0, beyond the device's width (with the reason). */
	EXPECT_EQ(-EBUSY, mock_attach(self->tfd, id, self->ioas, IOASID_ATTACH_PASID, 5, &d));
	EXPECT_EQ(-EINVAL, mock_attach(self->tfd, id, self->ioas, IOASID_ATTACH_PASID, 0, &d));
	EXPECT_EQ(-EPERM, mock_attach(self->tfd, id, self->ioas, IOASID_ATTACH_PASID, 256, &d));
	EXPECT_STREQ("PASID 256 outside allowed 1-255", d.reason);
	/* The IOAS at a PASID cannot be destroyed while attached. */
	EXPECT_EQ(-EBUSY, destroy(self->fd, self->ioas2));

	ASSERT_EQ(0, mock_detach(self->tfd, id, IOASID_ATTACH_PASID, 5));
	EXPECT_EQ(-ENOENT, mock_detach(self->tfd, id, IOASID_ATTACH_PASID, 5));
	EXPECT_EQ(-EFAULT, mock_dma(self->tfd, id, 5, IOVA_A, got, 64, false));
	ASSERT_EQ(0, mock_query(self->tfd, id, 5, &at5, NULL));
	EXPECT_EQ(0, at5);
	EXPECT_EQ(self->base.pasid_attachments, ioasid_stat("pasid_attachments"));
	/* The RID attachment was not disturbed. */
	ASSERT_EQ(0, mock_dma(self->tfd, id, 0, IOVA_A, got, PSZ, false));
	EXPECT_EQ(0, memcmp(got, self->buf, PSZ));
}

TEST_F(mock, no_pasid_support)
{
	__u32 id = mock_up(_metadata, self, 0, IOASID_TEST_MOCK_COHERENT);
	struct ioasid_policy_decision d;
	__u32 kid;

	EXPECT_EQ(-EOPNOTSUPP, mock_attach(self->tfd, id, self->ioas, IOASID_ATTACH_PASID, 1, &d));
	EXPECT_STREQ("device or IOMMU has no PASID support", d.reason);

	ASSERT_EQ(0, mock_create(self->tfd, 0, IOASID_TEST_MOCK_COHERENT, &kid));
	ASSERT_EQ(0, mock_kdev_open(self->tfd, kid, 0x1af4, 0x2000));
	EXPECT_EQ(-EOPNOTSUPP, mock_ctx_create(self->tfd, kid, 1, &d));
	EXPECT_STREQ("device or IOMMU has no PASID support", d.reason);
}

TEST_F(mock, kernel_contexts_one_per_pasid)
{
	struct ioasid_policy_decision d;
	__u64 rid0, rid, serial, unmapped;
	uint8_t got[PSZ];
	long charged;
	__u32 id, pasid;

	ASSERT_EQ(0, mock_create(self->tfd, 10, IOASID_TEST_MOCK_COHERENT, &id));
	ASSERT_EQ(0, mock_query(self->tfd, id, 0, &rid0, NULL));
	ASSERT_EQ(0, mock_kdev_open(self->tfd, id, 0x1af4, 0x2000));
	EXPECT_EQ(-EBUSY, mock_bind(self->tfd, id, self->fd, 0x1af4, 0x2000, NULL));
	charged = ioasid_stat("charged_pages");

	/* 16 clients, each its own IOAS, the same IOVA, different pages. */
	for (pasid = 1; pasid <= 16; pasid++) {
		ASSERT_EQ(0, mock_ctx_create(self->tfd, id, pasid, &d));
		EXPECT_EQ(0, d.verdict);
		EXPECT_EQ(1023, d.pasid_max);
		ASSERT_EQ(0, mock_ctx_map(self->tfd, id, pasid, CTX_IOVA,
					  self->buf + (pasid + 8) * PSZ, PSZ, RW));
	}
	EXPECT_EQ(charged + 16, ioasid_stat("charged_pages"));
	EXPECT_EQ(self->base.pasid_attachments + 16, ioasid_stat("pasid_attachments"));
	for (pasid = 1; pasid <= 16; pasid++) {
		ASSERT_EQ(0, mock_dma(self->tfd, id, pasid, CTX_IOVA, got, PSZ, false));
		EXPECT_EQ(0, memcmp(got, self->buf + (pasid + 8) * PSZ, PSZ));
	}
	/* The device's own traffic stays on the kernel's domain. */
	ASSERT_EQ(0, mock_query(self->tfd, id, 0, &rid, NULL));
	EXPECT_EQ(rid0, rid);
	EXPECT_EQ(-EBUSY, mock_ctx_create(self->tfd, id, 3, &d));
	EXPECT_EQ(-EEXIST, mock_ctx_map(self->tfd, id, 3, CTX_IOVA, self->buf, PSZ, RW));

	/* Unmap in one context leaves the others alone. */
	ASSERT_EQ(0, mock_ctx_op(self->tfd, IOASID_TEST_MOCK_CTX_UNMAP, id, 3,
				 CTX_IOVA, PSZ));
	(void)unmapped;
	EXPECT_EQ(-EFAULT, mock_dma(self->tfd, id, 3, CTX_IOVA, got, 64, false));
	ASSERT_EQ(0, mock_dma(self->tfd, id, 4, CTX_IOVA, got, PSZ, false));
	EXPECT_EQ(0, memcmp(got, self->buf + 12 * PSZ, PSZ));
	/* Destroying one detaches its PASID. */
	ASSERT_EQ(0, mock_ctx_op(self->tfd, IOASID_TEST_MOCK_CTX_DESTROY, id, 4, 0, 0));
	ASSERT_EQ(0, mock_query(self->tfd, id, 4, &serial, NULL));
	EXPECT_EQ(0, serial);
	EXPECT_EQ(self->base.pasid_attachments + 15, ioasid_stat("pasid_attachments"));
	EXPECT_EQ(charged + 14, ioasid_stat("charged_pages"));

	/* Closing the device destroys the rest and gives everything back. */
	ASSERT_EQ(0, mock_simple(self->tfd, IOASID_TEST_MOCK_KDEV_CLOSE, id));
	EXPECT_EQ(charged, ioasid_stat("charged_pages"));
	EXPECT_EQ(self->base.pasid_attachments, ioasid_stat("pasid_attachments"));
	ASSERT_EQ(0, mock_query(self->tfd, id, 0, &rid, NULL));
	EXPECT_EQ(rid0, rid);
}

TEST_F(mock, kernel_context_pasid_allowance_per_driver)
{
	struct mock_policy *skel = mock_policy__open();
	struct ioasid_policy_decision d;
	struct bpf_link *link;
	__u32 a, b, u;

	ASSERT_NE(NULL, skel);
	bpf_map__set_autocreate(skel->maps.t_sw, false);
	bpf_map__set_autocreate(skel->maps.t_pasid_by_driver, true);
	ASSERT_EQ(0, mock_policy__load(skel));
	link = bpf_map__attach_struct_ops(skel->maps.t_pasid_by_driver);
	if (!link)
		TH_LOG("attaching t_pasid_by_driver: %s", strerror(errno));
	ASSERT_NE(NULL, link);

	ASSERT_EQ(0, mock_create(self->tfd, 10, IOASID_TEST_MOCK_COHERENT, &a));
	ASSERT_EQ(0, mock_create(self->tfd, 10, IOASID_TEST_MOCK_COHERENT |
				 IOASID_TEST_MOCK_ALT_DRIVER, &b));
	ASSERT_EQ(0, mock_kdev_open(self->tfd, a, 0x1af4, 0x2000));
	ASSERT_EQ(0, mock_kdev_open(self->tfd, b, 0x1af4, 0x2000));

	/* "ioasid-mock": 1-15. */
	ASSERT_EQ(0, mock_ctx_create(self->tfd, a, 15, &d));
	EXPECT_STREQ("t_pasid_drv", d.policy);
	EXPECT_EQ(1, d.pasid_min);
	EXPECT_EQ(15, d.pasid_max);
	EXPECT_EQ(-EPERM, mock_ctx_create(self->tfd, a, 16, &d));
	EXPECT_STREQ("PASID 16 outside allowed 1-15", d.reason);
	EXPECT_EQ(-EPERM, mock_ctx_create(self->tfd, a, 150, &d));

	/* "ioasid-mock-alt": 100-199. */
	EXPECT_EQ(-EPERM, mock_ctx_create(self->tfd, b, 5, &d));
	EXPECT_STREQ("PASID 5 outside allowed 100-199", d.reason);
	ASSERT_EQ(0, mock_ctx_create(self->tfd, b, 150, &d));
	EXPECT_EQ(100, d.pasid_min);
	EXPECT_EQ(199, d.pasid_max);
	/* The device's width still bounds any grant: 1023 for 10 bits. */
	EXPECT_EQ(self->base.pasid_attachments + 2, ioasid_stat("pasid_attachments"));

	/* The same allowance holds for user-space PASID attaches. */
	u = mock_up(_metadata, self, 10, IOASID_TEST_MOCK_COHERENT);
	EXPECT_EQ(-EPERM, mock_attach(self->tfd, u, self->ioas,
				      IOASID_ATTACH_PASID, 16, &d));
	EXPECT_EQ(0, mock_attach(self->tfd, u, self->ioas,
				 IOASID_ATTACH_PASID, 7, &d));
	bpf_link__destroy(link);
	mock_policy__destroy(skel);
}

TEST_F(mock, kernel_context_refusals)
{
	struct ioasid_policy_decision d;
	__u32 id;

	ASSERT_EQ(0, mock_create(self->tfd, 4, IOASID_TEST_MOCK_COHERENT, &id));
	ASSERT_EQ(0, mock_kdev_open(self->tfd, id, 0x1af4, 0x2000));
	EXPECT_EQ(-EBUSY, mock_simple(self->tfd, IOASID_TEST_MOCK_KDEV_OPEN, id));
	/* PASID 16 is beyond 4 bits: refused by the device's width. */
	EXPECT_EQ(-EPERM, mock_ctx_create(self->tfd, id, 16, &d));
	EXPECT_EQ(-ENOENT, mock_ctx_op(self->tfd, IOASID_TEST_MOCK_CTX_DESTROY, id, 16, 0, 0));
	/* Closing with a live context and a mapping leaves nothing behind. */
	ASSERT_EQ(0, mock_ctx_create(self->tfd, id, 2, &d));
	ASSERT_EQ(0, mock_ctx_map(self->tfd, id, 2, CTX_IOVA, self->buf, 2 * PSZ, RW));
}

/*
 * Two IOMMU drivers on one IOAS: the edu behind intel-iommu (or
 * virtio-iommu) and a mock. Each gets a domain of its own driver; moving
 * the mock with REPLACE onto the IOAS must not pick the other driver's
 * domain (6.12's iommu_group_replace_domain() does not check the owner).
 */
TEST_F(mock, two_iommu_drivers_one_ioas)
{
	struct ioasid_device_bind b = { .size = sizeof(b) };
	struct ioasid_device_attach a = { .size = sizeof(a) };
	struct ioasid_ioas_info info;
	struct ioasid_policy_decision d;
	char bdfs[1][64], path[128];
	uint8_t got[PSZ];
	__u32 id;
	int dfd;

	if (bound_edus(bdfs, 1) < 1)
		SKIP(return, "no edu bound to ioasid-pci");
	snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", bdfs[0]);
	dfd = open(path, O_RDWR);
	ASSERT_LE(0, dfd);
	b.ioasid_fd = self->fd;
	ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_BIND, &b));
	a.ioas_id = self->ioas;
	ASSERT_EQ(0, ioctl(dfd, IOASID_DEVICE_ATTACH, &a));

	id = mock_up(_metadata, self, 0, IOASID_TEST_MOCK_COHERENT);
	ASSERT_EQ(0, mock_attach(self->tfd, id, self->ioas2, 0, 0, &d));
	ASSERT_EQ(0, mock_attach(self->tfd, id, self->ioas, IOASID_ATTACH_REPLACE, 0, &d));
	ASSERT_EQ(0, get_info(self->fd, self->ioas, &info));
	EXPECT_EQ(2, info.out_nr_domains);
	ASSERT_EQ(0, mock_dma(self->tfd, id, 0, IOVA_A + PSZ, got, PSZ, false));
	EXPECT_EQ(0, memcmp(got, self->buf + PSZ, PSZ));
	/* And back, and a plain attach after a detach. */
	ASSERT_EQ(0, mock_attach(self->tfd, id, self->ioas2, IOASID_ATTACH_REPLACE, 0, &d));
	ASSERT_EQ(0, mock_detach(self->tfd, id, 0, 0));
	ASSERT_EQ(0, mock_attach(self->tfd, id, self->ioas, 0, 0, &d));
	ASSERT_EQ(0, mock_dma(self->tfd, id, 0, IOVA_A, got, PSZ, false));
	EXPECT_EQ(0, memcmp(got, self->buf, PSZ));
	close(dfd);
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, args);
}

static void __attribute__((constructor)) libbpf_to_stderr(void)
{
	libbpf_set_print(print_libbpf);
}

TEST_HARNESS_MAIN
