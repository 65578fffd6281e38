// SPDX-License-Identifier: GPL-2.0
/*
 * The access API for software devices (linux/ioasid_access.h), driven
 * through the test module's software device: pin, read and write by IOVA,
 * the unmap callback (direct, split and through nesting), a driver that
 * does not unpin, the policy deciding, errnos, and races between unmap and
 * pin. Every test checks that the live counts come back.
 */
#include <pthread.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"
#include "mock_policy.skel.h"

#define NPAGES 16

FIXTURE(acc) {
	int fd, tfd;
	__u32 ioas;
	uint8_t *buf;
	struct ioasid_live base;
	long violations;
};

FIXTURE_SETUP(acc)
{
	self->base = ioasid_live();
	self->violations = ioasid_stat("unpin_violations");
	self->fd = open_dev(_metadata, "/dev/ioasid");
	self->tfd = open_dev(_metadata, "/dev/ioasid_test");
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &self->ioas));
	self->buf = new_buf(_metadata, NPAGES * PSZ, 0xacce55);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), 8 * PSZ, IOVA_A, RW));
}

FIXTURE_TEARDOWN(acc)
{
	close_with_test_fd(_metadata, self->tfd, self->fd, self->buf,
			   NPAGES * PSZ, self->base);
}

/* Create a software device and attach it to @ioas. */
static __u32 sw_up(struct __test_metadata *_metadata, FIXTURE_DATA(acc) *self,
		   __u32 flags, __u32 ioas)
{
	struct ioasid_policy_decision d;
	__u32 id;

	ASSERT_EQ(0, acc_create(self->tfd, self->fd, flags, &id, NULL));
	ASSERT_EQ(0, acc_attach(self->tfd, id, ioas, &d));
	EXPECT_EQ(0, d.verdict);
	return id;
}

TEST_F(acc, pin_read_write_roundtrip)
{
	struct ioasid_policy_decision d;
	uint8_t got[3 * PSZ], data[0x1800];
	__u32 id, obj;
	__u64 pins;

	ASSERT_EQ(0, acc_create(self->tfd, self->fd, 0, &id, &obj));
	ASSERT_EQ(0, acc_attach(self->tfd, id, self->ioas, &d));
	/* Described as a coherent software device; the built-in decides. */
	EXPECT_EQ(0, d.verdict);
	EXPECT_STREQ("builtin", d.policy);
	EXPECT_EQ(IOASID_SNOOP_ENFORCE, d.snoop);
	EXPECT_FALSE(d.flags & IOASID_DECISION_FLUSH_GRANT);
	/* The access is an object of the fd that user space cannot destroy. */
	EXPECT_EQ(-EBUSY, destroy(self->fd, obj));
	EXPECT_EQ(-EBUSY, destroy(self->fd, self->ioas));
	EXPECT_EQ(self->base.accesses + 1, ioasid_stat("accesses"));

	/* An unaligned pin touching two pages reads the user's bytes. */
	ASSERT_EQ(0, acc_pin(self->tfd, id, IOVA_A + 0x800, 0x1800, got));
	EXPECT_EQ(0, memcmp(got, self->buf + 0x800, 0x1800));
	EXPECT_EQ(self->base.access_pins + 2, ioasid_stat("access_pins"));
	ASSERT_EQ(0, acc_query(self->tfd, id, &pins, NULL));
	EXPECT_EQ(1, pins);

	/* Writes by IOVA land in the user's memory, reads come back. */
	fill(data, sizeof(data), 0x5eed);
	ASSERT_EQ(0, acc_write(self->tfd, id, IOVA_A + 3 * PSZ - 0x100, sizeof(data), data));
	EXPECT_EQ(0, memcmp(self->buf + 3 * PSZ - 0x100, data, sizeof(data)));
	ASSERT_EQ(0, acc_read(self->tfd, id, IOVA_A + 3 * PSZ - 0x100, sizeof(data), got));
	EXPECT_EQ(0, memcmp(got, data, sizeof(data)));

	ASSERT_EQ(0, acc_unpin(self->tfd, id, IOVA_A + 0x800, 0x1800));
	EXPECT_EQ(self->base.access_pins, ioasid_stat("access_pins"));
	ASSERT_EQ(0, acc_op(self->tfd, IOASID_TEST_ACCESS_DESTROY, id, 0, 0, NULL, 0));
	EXPECT_EQ(self->base.accesses, ioasid_stat("accesses"));
	/* With the access gone the IOAS can be destroyed again. */
	EXPECT_EQ(0, destroy(self->fd, self->ioas));
}

TEST_F(acc, errnos)
{
	struct ioasid_policy_decision d;
	uint8_t b[64];
	__u32 id, ro;

	ASSERT_EQ(0, acc_create(self->tfd, self->fd, 0, &id, NULL));
	/* Not attached. */
	EXPECT_EQ(-ENXIO, acc_pin(self->tfd, id, IOVA_A, PSZ, NULL));
	EXPECT_EQ(-ENXIO, acc_read(self->tfd, id, IOVA_A, sizeof(b), b));
	EXPECT_EQ(-ENOENT, acc_attach(self->tfd, id, BAD_ID, &d));
	ASSERT_EQ(0, acc_attach(self->tfd, id, self->ioas, &d));
	EXPECT_EQ(-EBUSY, acc_attach(self->tfd, id, self->ioas, &d));

	EXPECT_EQ(-EINVAL, acc_pin(self->tfd, id, IOVA_A, 0, NULL));
	EXPECT_EQ(-EOVERFLOW, acc_pin(self->tfd, id, TOP(PSZ), 2 * PSZ, NULL));
	/* A hole anywhere in the range: nothing pinned. */
	EXPECT_EQ(-ENOENT, acc_pin(self->tfd, id, IOVA_A + 7 * PSZ, 2 * PSZ, NULL));
	EXPECT_EQ(-ENOENT, acc_read(self->tfd, id, IOVA_B, sizeof(b), b));
	EXPECT_EQ(self->base.access_pins, ioasid_stat("access_pins"));

	/* Read-only memory: pin for reading only, no writes. */
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &ro));
	ASSERT_EQ(0, map_fixed(self->fd, ro, U(self->buf) + 8 * PSZ, PSZ,
			       IOVA_A, RO));
	ASSERT_EQ(0, acc_op(self->tfd, IOASID_TEST_ACCESS_DETACH, id, 0, 0, NULL, 0));
	ASSERT_EQ(0, acc_attach(self->tfd, id, ro, &d));
	EXPECT_EQ(0, acc_pin(self->tfd, id, IOVA_A, PSZ, NULL));
	EXPECT_EQ(0, acc_unpin(self->tfd, id, IOVA_A, PSZ));
	EXPECT_EQ(-EACCES, acc_pin_w(self->tfd, id, IOVA_A, PSZ));
	EXPECT_EQ(-EACCES, acc_write(self->tfd, id, IOVA_A, sizeof(b), b));
	EXPECT_EQ(0, acc_read(self->tfd, id, IOVA_A, sizeof(b), b));
	EXPECT_EQ(0, memcmp(b, self->buf + 8 * PSZ, sizeof(b)));
	/* Detach twice is harmless; a detached IOAS can go. */
	ASSERT_EQ(0, acc_op(self->tfd, IOASID_TEST_ACCESS_DETACH, id, 0, 0, NULL, 0));
	ASSERT_EQ(0, acc_op(self->tfd, IOASID_TEST_ACCESS_DETACH, id, 0, 0, NULL, 0));
	EXPECT_EQ(0, destroy(self->fd, ro));
	EXPECT_EQ(self->violations, ioasid_stat("unpin_violations"));
}

TEST_F(acc, unmap_calls_back_before_returning)
{
	__u64 pins, cbs, unmapped;
	__u32 id = sw_up(_metadata, self, 0, self->ioas);
	uint8_t b[16];

	ASSERT_EQ(0, acc_pin(self->tfd, id, IOVA_A, PSZ, NULL));
	ASSERT_EQ(0, acc_pin(self->tfd, id, IOVA_A + PSZ, 2 * PSZ, NULL));
	ASSERT_EQ(0, acc_pin(self->tfd, id, IOVA_A + 5 * PSZ, 0x10, NULL));

	/* A split unmap of one page of the middle pin revokes all of it. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA_A + 2 * PSZ, PSZ,
			   IOASID_UNMAP_ALLOW_SPLIT, &unmapped));
	ASSERT_EQ(0, acc_query(self->tfd, id, &pins, &cbs));
	EXPECT_EQ(1, cbs);
	EXPECT_EQ(2, pins);
	/* The rest of the mapping still reads; the hole does not. */
	EXPECT_EQ(0, acc_read(self->tfd, id, IOVA_A + PSZ, sizeof(b), b));
	EXPECT_EQ(-ENOENT, acc_read(self->tfd, id, IOVA_A + 2 * PSZ, sizeof(b), b));

	/* Unmapping everything calls back for the two others. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, 0, IOASID_UNMAP_ALL, &unmapped));
	ASSERT_EQ(0, acc_query(self->tfd, id, &pins, &cbs));
	EXPECT_EQ(3, cbs);
	EXPECT_EQ(0, pins);
	EXPECT_EQ(0, unpin_violations(self->fd, self->ioas));
	EXPECT_EQ(self->violations, ioasid_stat("unpin_violations"));
	EXPECT_EQ(self->base.access_pins, ioasid_stat("access_pins"));
	/* An unmap that touches no pin calls nothing. */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), PSZ, IOVA_B, RW));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA_B, PSZ, 0, &unmapped));
	ASSERT_EQ(0, acc_query(self->tfd, id, NULL, &cbs));
	EXPECT_EQ(3, cbs);
}

TEST_F(acc, driver_that_does_not_unpin)
{
	struct ioasid_ioas_info before, after;
	uint8_t orig[PSZ], got[PSZ], b[16];
	__u32 id = sw_up(_metadata, self, IOASID_TEST_ACCESS_MISBEHAVE, self->ioas);
	__u64 pins, cbs, unmapped;

	memcpy(orig, self->buf + 4 * PSZ, PSZ);
	ASSERT_EQ(0, acc_pin(self->tfd, id, IOVA_A + 4 * PSZ, PSZ, NULL));
	ASSERT_EQ(0, get_info(self->fd, self->ioas, &before));

	/* The unmap completes although the driver keeps its pin. */
	expect_unpin_violation();
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA_A, 8 * PSZ, 0, &unmapped));
	EXPECT_EQ(8 * PSZ, unmapped);
	ASSERT_EQ(0, acc_query(self->tfd, id, &pins, &cbs));
	EXPECT_EQ(1, cbs);
	EXPECT_EQ(1, pins);
	/* Reported: in the IOAS's info and globally. */
	ASSERT_EQ(0, get_info(self->fd, self->ioas, &after));
	EXPECT_EQ(before.out_unpin_violations + 1, after.out_unpin_violations);
	EXPECT_EQ(self->violations + 1, ioasid_stat("unpin_violations"));
	EXPECT_EQ(0, after.out_pinned_pages);
	EXPECT_EQ(0, after.out_mapped_bytes);

	/* No IOVA reaches the page: not the access API, not the IOAS view. */
	EXPECT_EQ(-ENOENT, acc_read(self->tfd, id, IOVA_A + 4 * PSZ, sizeof(b), b));
	EXPECT_EQ(-ENOENT, peek(self->tfd, self->fd, self->ioas, IOVA_A + 4 * PSZ));
	/* The driver's page is still the user's page, not freed memory. */
	ASSERT_EQ(0, acc_peek(self->tfd, id, IOVA_A + 4 * PSZ, PSZ, got));
	EXPECT_EQ(0, memcmp(got, orig, PSZ));
	self->buf[4 * PSZ] ^= 0xff;
	ASSERT_EQ(0, acc_peek(self->tfd, id, IOVA_A + 4 * PSZ, PSZ, got));
	EXPECT_EQ(self->buf[4 * PSZ], got[0]);

	/* New memory at that IOVA is what the IOVA reaches now. */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf) + 8 * PSZ, PSZ,
			       IOVA_A + 4 * PSZ, RW));
	ASSERT_EQ(0, acc_read(self->tfd, id, IOVA_A + 4 * PSZ, sizeof(b), b));
	EXPECT_EQ(0, memcmp(b, self->buf + 8 * PSZ, sizeof(b)));
	/* A late unpin releases the orphaned pages. */
	ASSERT_EQ(0, acc_unpin(self->tfd, id, IOVA_A + 4 * PSZ, PSZ));
	EXPECT_EQ(self->base.access_pins, ioasid_stat("access_pins"));
}

TEST_F(acc, detach_with_pins_is_a_violation)
{
	__u32 id = sw_up(_metadata, self, 0, self->ioas);
	__u64 pins;

	ASSERT_EQ(0, acc_pin(self->tfd, id, IOVA_A, 2 * PSZ, NULL));
	expect_unpin_violation();
	ASSERT_EQ(0, acc_op(self->tfd, IOASID_TEST_ACCESS_DETACH, id, 0, 0, NULL, 0));
	EXPECT_EQ(self->violations + 1, ioasid_stat("unpin_violations"));
	EXPECT_EQ(1, unpin_violations(self->fd, self->ioas));
	/* The IOAS is free to go; the pages stay with the driver until destroy. */
	EXPECT_EQ(0, destroy(self->fd, self->ioas));
	ASSERT_EQ(0, acc_query(self->tfd, id, &pins, NULL));
	EXPECT_EQ(1, pins);
	EXPECT_EQ(self->base.access_pins + 2, ioasid_stat("access_pins"));
	ASSERT_EQ(0, acc_op(self->tfd, IOASID_TEST_ACCESS_DESTROY, id, 0, 0, NULL, 0));
	EXPECT_EQ(self->base.access_pins, ioasid_stat("access_pins"));
}

/* parent <- child <- grandchild; the access sees composed translations. */
TEST_F(acc, nested_two_levels)
{
	__u32 child, grand, sib, id;
	uint8_t got[2 * PSZ], data[PSZ];
	__u64 cbs, unmapped;

	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED, self->ioas, &child));
	ASSERT_EQ(0, map_fixed(self->fd, child, IOVA_A + 2 * PSZ, 4 * PSZ, IOVA_B, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED, child, &grand));
	ASSERT_EQ(0, map_fixed(self->fd, grand, IOVA_B + PSZ, 2 * PSZ, 0x10000, RW));
	id = sw_up(_metadata, self, 0, grand);

	/* grandchild 0x10000 -> child IOVA_B + PSZ -> parent IOVA_A + 3 pages. */
	ASSERT_EQ(0, acc_read(self->tfd, id, 0x10000, 2 * PSZ, got));
	EXPECT_EQ(0, memcmp(got, self->buf + 3 * PSZ, 2 * PSZ));
	fill(data, sizeof(data), 0xbeef);
	ASSERT_EQ(0, acc_write(self->tfd, id, 0x10000 + PSZ, PSZ, data));
	EXPECT_EQ(0, memcmp(self->buf + 4 * PSZ, data, PSZ));
	ASSERT_EQ(0, acc_pin(self->tfd, id, 0x10000, 2 * PSZ, got));
	EXPECT_EQ(0, memcmp(got + PSZ, data, PSZ));
	/* Nested maps and the pin charge nothing more. */
	EXPECT_EQ(self->base.charged_pages + 8, ioasid_stat("charged_pages"));

	/* A copy between nested siblings sees the same pages. */
	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED, child, &sib));
	ASSERT_EQ(0, copy_fixed(self->fd, sib, grand, 0x10000, 2 * PSZ, 0x40000, RW));
	CHECK_BYTES(sib, 0x40000 + PSZ, data, PSZ);
	ASSERT_EQ(0, destroy(self->fd, sib));

	/* A parent unmap reaches the grandchild's access before it returns. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA_A + 4 * PSZ, PSZ,
			   IOASID_UNMAP_ALLOW_SPLIT, &unmapped));
	ASSERT_EQ(0, acc_query(self->tfd, id, NULL, &cbs));
	EXPECT_EQ(1, cbs);
	EXPECT_EQ(-ENOENT, acc_read(self->tfd, id, 0x10000 + PSZ, 16, got));
	EXPECT_EQ(self->violations, ioasid_stat("unpin_violations"));
	/* Destroy order: the grandchild's access holds it, it holds child. */
	EXPECT_EQ(-EBUSY, destroy(self->fd, child));
	EXPECT_EQ(-EBUSY, destroy(self->fd, grand));
	ASSERT_EQ(0, acc_op(self->tfd, IOASID_TEST_ACCESS_DETACH, id, 0, 0, NULL, 0));
	EXPECT_EQ(0, destroy(self->fd, grand));
	EXPECT_EQ(0, destroy(self->fd, child));
}

TEST_F(acc, policy_decides)
{
	struct mock_policy *skel = mock_policy__open();
	struct ioasid_test_access other = { 0 };
	struct ioasid_policy_decision d;
	struct bpf_link *link;
	__u32 id;

	ASSERT_NE(NULL, skel);
	bpf_map__set_autocreate(skel->maps.t_pasid_by_driver, false);
	bpf_map__set_autocreate(skel->maps.t_sw, true);
	ASSERT_EQ(0, mock_policy__load(skel));
	link = bpf_map__attach_struct_ops(skel->maps.t_sw);
	if (!link)
		TH_LOG("attaching t_sw: %s", strerror(errno));
	ASSERT_NE(NULL, link);

	ASSERT_EQ(0, acc_create(self->tfd, self->fd, 0, &id, NULL));
	ASSERT_EQ(0, acc_attach(self->tfd, id, self->ioas, &d));
	EXPECT_STREQ("t_sw", d.policy);
	EXPECT_STREQ("software device welcome", d.reason);
	ASSERT_EQ(0, acc_op(self->tfd, IOASID_TEST_ACCESS_DETACH, id, 0, 0, NULL, 0));

	/* Another vendor is refused with the policy's errno and reason. */
	other.op = IOASID_TEST_ACCESS_CREATE;
	other.ioasid_fd = self->fd;
	other.vendor = 0x1234;
	ASSERT_EQ(0, acc_cmd(self->tfd, &other));
	EXPECT_EQ(-EACCES, acc_attach(self->tfd, other.access_id, self->ioas, &d));
	EXPECT_EQ(-EACCES, d.verdict);
	EXPECT_STREQ("software device vendor refused", d.reason);
	EXPECT_EQ(-ENXIO, acc_pin(self->tfd, other.access_id, IOVA_A, PSZ, NULL));
	bpf_link__destroy(link);
	mock_policy__destroy(skel);
}

/* A pinning thread against an unmapping one: callbacks keep up. */
struct race {
	int tfd;
	__u32 id;
	volatile int stop;
	long pinned, raced;
};

static void *pin_loop(void *arg)
{
	struct race *r = arg;

	while (!r->stop) {
		__u64 off = (r->pinned % 8) * PSZ;
		int rc = acc_pin(r->tfd, r->id, IOVA_A + off, PSZ, NULL);

		if (!rc) {
			r->pinned++;
			/* Gone already if an unmap's callback came first. */
			rc = acc_unpin(r->tfd, r->id, IOVA_A + off, PSZ);
			if (rc && rc != -ENOENT)
				break;
		} else if (rc == -ENOENT) {
			r->raced++;
		} else {
			break;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(acc, unmap_races_pin, 120)
{
	__u32 id = sw_up(_metadata, self, 0, self->ioas);
	struct race r = { .tfd = self->tfd, .id = id };
	time_t end = time(NULL) + 5;
	long rounds = 0;
	__u64 unmapped, pins;
	pthread_t thr;

	ASSERT_EQ(0, pthread_create(&thr, NULL, pin_loop, &r));
	while (time(NULL) < end) {
		ASSERT_EQ(0, unmap(self->fd, self->ioas, IOVA_A, 8 * PSZ, 0, &unmapped));
		ASSERT_EQ(0, map_fixed(self->fd, self->ioas, U(self->buf), 8 * PSZ, IOVA_A, RW));
		rounds++;
	}
	r.stop = 1;
	pthread_join(thr, NULL);
	TH_LOG("%ld unmap/map rounds, %ld pins, %ld pins found nothing mapped",
	       rounds, r.pinned, r.raced);
	EXPECT_LT(0, r.pinned);
	EXPECT_LT(0, rounds);
	ASSERT_EQ(0, acc_query(self->tfd, id, &pins, NULL));
	EXPECT_EQ(0, pins);
	EXPECT_EQ(self->violations, ioasid_stat("unpin_violations"));
	EXPECT_EQ(self->base.access_pins, ioasid_stat("access_pins"));
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
