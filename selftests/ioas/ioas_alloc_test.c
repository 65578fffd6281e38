// SPDX-License-Identifier: GPL-2.0
/*
 * ioas_alloc_test: IOAS_ALLOC, GET_INFO, DESTROY, OPTION, MM-mode charge
 * as root and fd close (fixture ioas), and failures of those calls that
 * must leave the mapped fixture's mappings intact.
 * Shared helpers, fixtures and design notes: lib/ioasid_util.h.
 */
#define IOAS_WANT_FIXTURE_IOAS
#define IOAS_WANT_FIXTURE_MAPPED
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

/* ---- IOAS_ALLOC / GET_INFO / DESTROY ---- */

TEST_F(ioas, alloc_root_info)
{
	struct ioasid_ioas_info info;

	ASSERT_EQ(0, get_info(self->fd, self->ioas, &info));
	EXPECT_EQ(0U, info.out_parent_id);
	EXPECT_EQ(0U, info.out_depth);
	EXPECT_EQ(0U, info.out_nr_mappings);
	EXPECT_EQ(0U, info.out_nr_children);
	EXPECT_EQ(0U, info.out_nr_domains);
	EXPECT_EQ(0U, info.out_nr_devices);
	EXPECT_EQ(0ULL, info.out_mapped_bytes);
	EXPECT_EQ(0ULL, info.out_pinned_pages);
	EXPECT_EQ(0ULL, info.out_unpin_violations);
}

TEST_F(ioas, alloc_ids_unique_not_reused)
{
	__u32 ids[17];
	int i, j;

	ids[0] = self->ioas;
	for (i = 1; i <= 8; i++) {
		ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &ids[i]));
		ASSERT_NE(0U, ids[i]);
	}
	for (i = 2; i <= 8; i += 2)
		ASSERT_EQ(0, destroy(self->fd, ids[i]));
	for (i = 9; i < 17; i++) {
		ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &ids[i]));
		ASSERT_NE(0U, ids[i]);
	}
	for (i = 0; i < 17; i++)
		for (j = i + 1; j < 17; j++) {
			if (ids[i] == ids[j])
				TH_LOG("id %u handed out twice (slots %d and %d)",
				       ids[i], i, j);
			ASSERT_NE(ids[i], ids[j]);
		}
}

TEST_F(ioas, alloc_unknown_flags_eopnotsupp)
{
	struct ioasid_ioas_info info;
	__u32 id;

	EXPECT_EQ(-EOPNOTSUPP, ioas_alloc(self->fd, 1U << 1, 0, &id));
	EXPECT_EQ(-EOPNOTSUPP, ioas_alloc(self->fd, 1U << 31, 0, &id));
	EXPECT_EQ(-EOPNOTSUPP, ioas_alloc(self->fd,
					  IOASID_IOAS_ALLOC_NESTED | 1U << 7,
					  self->ioas, &id));
	ASSERT_EQ(0, get_info(self->fd, self->ioas, &info));
	EXPECT_EQ(0U, info.out_nr_children);
}

TEST_F(ioas, alloc_parent_without_nested_einval)
{
	struct ioasid_ioas_info info;
	__u32 id;

	EXPECT_EQ(-EINVAL, ioas_alloc(self->fd, 0, self->ioas, &id));
	EXPECT_EQ(-EINVAL, ioas_alloc(self->fd, 0, BAD_ID, &id));
	ASSERT_EQ(0, get_info(self->fd, self->ioas, &info));
	EXPECT_EQ(0U, info.out_nr_children);
}

TEST_F(ioas, alloc_nested_unknown_parent_enoent)
{
	__u32 gone, id;

	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &gone));
	ASSERT_EQ(0, destroy(self->fd, gone));
	EXPECT_EQ(-ENOENT, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED,
				      BAD_ID, &id));
	EXPECT_EQ(-ENOENT, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED,
				      gone, &id));
	/* ids are never 0 ("0 for a root IOAS"), so 0 names no parent */
	EXPECT_EQ(-ENOENT, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED,
				      0, &id));
}

TEST_F(ioas, alloc_nested_info)
{
	struct ioasid_ioas_info info;
	__u32 c1, c2, gc;

	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED,
				self->ioas, &c1));
	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED,
				self->ioas, &c2));
	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED, c1, &gc));
	ASSERT_NE(c1, c2);

	ASSERT_EQ(0, get_info(self->fd, self->ioas, &info));
	EXPECT_EQ(0U, info.out_parent_id);
	EXPECT_EQ(0U, info.out_depth);
	EXPECT_EQ(2U, info.out_nr_children);

	ASSERT_EQ(0, get_info(self->fd, c1, &info));
	EXPECT_EQ(self->ioas, info.out_parent_id);
	EXPECT_EQ(1U, info.out_depth);
	EXPECT_EQ(1U, info.out_nr_children);
	EXPECT_EQ(0U, info.out_nr_mappings);

	ASSERT_EQ(0, get_info(self->fd, gc, &info));
	EXPECT_EQ(c1, info.out_parent_id);
	EXPECT_EQ(2U, info.out_depth);
	EXPECT_EQ(0U, info.out_nr_children);

	ASSERT_EQ(0, destroy(self->fd, c2));
	ASSERT_EQ(0, get_info(self->fd, self->ioas, &info));
	EXPECT_EQ(1U, info.out_nr_children);
}

TEST_F(ioas, alloc_nesting_depth_limit_e2big)
{
	__u32 id[IOASID_MAX_NESTING_DEPTH + 1], extra;
	struct ioasid_ioas_info info;
	int d;

	id[0] = self->ioas;
	for (d = 1; d <= IOASID_MAX_NESTING_DEPTH; d++) {
		ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED,
					id[d - 1], &id[d]));
		ASSERT_EQ(0, get_info(self->fd, id[d], &info));
		ASSERT_EQ((__u32)d, info.out_depth);
	}
	/* depth MAX + 1 */
	EXPECT_EQ(-E2BIG, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED,
				     id[IOASID_MAX_NESTING_DEPTH], &extra));
	ASSERT_EQ(0, get_info(self->fd, id[IOASID_MAX_NESTING_DEPTH], &info));
	EXPECT_EQ(0U, info.out_nr_children);
	/* a sibling at depth MAX is still fine */
	EXPECT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED,
				id[IOASID_MAX_NESTING_DEPTH - 1], &extra));
}

TEST_F(ioas, alloc_undersized_einval)
{
	struct ioasid_ioas_alloc a = {};

	a.size = offsetof(struct ioasid_ioas_alloc, out_ioas_id);
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_IOAS_ALLOC, &a));
	a.size = 4;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_IOAS_ALLOC, &a));
	a.size = 0;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_IOAS_ALLOC, &a));
}

TEST_F(ioas, alloc_oversized_tail)
{
	struct {
		struct ioasid_ioas_alloc a;
		__u64 tail[4];
	} big = { .a = { .size = sizeof(big) } };

	ASSERT_EQ(0, xioctl(self->fd, IOASID_IOAS_ALLOC, &big));
	EXPECT_NE(0U, big.a.out_ioas_id);
	EXPECT_NE(self->ioas, big.a.out_ioas_id);
	big.a.out_ioas_id = 0;
	big.tail[3] = 1;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, IOASID_IOAS_ALLOC, &big));
}

TEST_F(ioas, info_oversized_and_undersized)
{
	struct {
		struct ioasid_ioas_info i;
		__u64 tail[3];
	} big = { .i = { .size = sizeof(big), .ioas_id = self->ioas } };
	struct ioasid_ioas_info small = { .ioas_id = self->ioas };

	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	ASSERT_EQ(0, xioctl(self->fd, IOASID_IOAS_GET_INFO, &big));
	EXPECT_EQ(1U, big.i.out_nr_mappings);
	EXPECT_EQ(0x10000ULL, big.i.out_mapped_bytes);
	EXPECT_EQ(0ULL, big.tail[0] | big.tail[1] | big.tail[2]);
	big.tail[1] = 5;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, IOASID_IOAS_GET_INFO, &big));

	small.size = offsetof(struct ioasid_ioas_info, out_unpin_violations);
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_IOAS_GET_INFO, &small));
}

TEST_F(ioas, info_unknown_ioas_enoent)
{
	struct ioasid_ioas_info info;

	EXPECT_EQ(-ENOENT, get_info(self->fd, BAD_ID, &info));
	EXPECT_EQ(-ENOENT, get_info(self->fd, 0, &info));
}

TEST_F(ioas, info_counts_map_copy_unmap)
{
	__u32 b;
	__u64 out;

	CHECK_INFO(self->ioas, 0, 0, 0);
	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	CHECK_INFO(self->ioas, 1, 0x10000, 16);
	ASSERT_EQ(0, MAPF(0x40000, 0x4000, IOVA_B, RO));
	CHECK_INFO(self->ioas, 2, 0x14000, 20);

	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	ASSERT_EQ(0, copy_fixed(self->fd, b, self->ioas, IOVA_A, 0x8000,
				IOVA_A, RW));
	CHECK_INFO(b, 1, 0x8000, 8);
	CHECK_INFO(self->ioas, 2, 0x14000, 20);

	ASSERT_EQ(0, UNMAP(IOVA_A, 0x10000, 0, &out));
	EXPECT_EQ(0x10000ULL, out);
	CHECK_INFO(self->ioas, 1, 0x4000, 4);
	CHECK_INFO(b, 1, 0x8000, 8);
	ASSERT_EQ(0, unmap(self->fd, b, 0, 0, IOASID_UNMAP_ALL, &out));
	EXPECT_EQ(0x8000ULL, out);
	CHECK_INFO(b, 0, 0, 0);
}

/* "shared pages count once per IOAS that references them" */
TEST_F(ioas, info_pinned_shared_pages_count_once)
{
	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	ASSERT_EQ(0, copy_fixed(self->fd, self->ioas, self->ioas, IOVA_A,
				0x8000, IOVA_B, RW));
	CHECK_INFO(self->ioas, 2, 0x18000, 16);
}

TEST_F(ioas, destroy_ioas)
{
	struct ioasid_ioas_info info;
	__u64 iova = IOVA_A;

	ASSERT_EQ(0, destroy(self->fd, self->ioas));
	EXPECT_EQ(-ENOENT, get_info(self->fd, self->ioas, &info));
	EXPECT_EQ(-ENOENT, map_ex(self->fd, self->ioas, U(self->buf), PSZ,
				  &iova, RW | FIXED, 0));
	EXPECT_EQ(-ENOENT, UNMAP(0, 0, IOASID_UNMAP_ALL, NULL));
	EXPECT_EQ(-ENOENT, destroy(self->fd, self->ioas));
}

TEST_F(ioas, destroy_with_mappings_ok)
{
	struct ioasid_ioas_info info;
	__u32 other;

	ASSERT_EQ(0, MAPF(0, 0x10000, IOVA_A, RW));
	ASSERT_EQ(0, copy_fixed(self->fd, self->ioas, self->ioas, IOVA_A,
				0x10000, IOVA_B, RO));
	ASSERT_EQ(0, destroy(self->fd, self->ioas));
	EXPECT_EQ(-ENOENT, get_info(self->fd, self->ioas, &info));
	/* the memory is free to be mapped again elsewhere */
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &other));
	ASSERT_EQ(0, map_fixed(self->fd, other, U(self->buf), 0x10000, IOVA_A,
			       RW));
	CHECK_BYTES(other, IOVA_A, self->buf, 0x10000);
}

TEST_F(ioas, destroy_parent_with_child_ebusy)
{
	struct ioasid_ioas_info info;
	__u32 child;

	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED,
				self->ioas, &child));
	ASSERT_EQ(0, MAPF(0, 0x4000, IOVA_A, RW));
	EXPECT_EQ(-EBUSY, destroy(self->fd, self->ioas));
	/* still fully alive */
	ASSERT_EQ(0, get_info(self->fd, self->ioas, &info));
	EXPECT_EQ(1U, info.out_nr_children);
	CHECK_INFO(self->ioas, 1, 0x4000, 4);
	CHECK_BYTES(self->ioas, IOVA_A, self->buf, 0x4000);
	ASSERT_EQ(0, MAPF(0x4000, 0x4000, IOVA_B, RW));
	ASSERT_EQ(0, get_info(self->fd, child, &info));
	EXPECT_EQ(self->ioas, info.out_parent_id);

	ASSERT_EQ(0, destroy(self->fd, child));
	ASSERT_EQ(0, destroy(self->fd, self->ioas));
}

TEST_F(ioas, destroy_nested_chain_leaf_first)
{
	__u32 id[IOASID_MAX_NESTING_DEPTH + 1];
	int d, e;

	id[0] = self->ioas;
	for (d = 1; d <= IOASID_MAX_NESTING_DEPTH; d++)
		ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED,
					id[d - 1], &id[d]));
	for (d = IOASID_MAX_NESTING_DEPTH; d >= 0; d--) {
		for (e = 0; e < d; e++)
			EXPECT_EQ(-EBUSY, destroy(self->fd, id[e]));
		ASSERT_EQ(0, destroy(self->fd, id[d]));
		EXPECT_EQ(-ENOENT, destroy(self->fd, id[d]));
	}
}

/* ---- OPTION ---- */

TEST_F(ioas, option_default_user)
{
	EXPECT_MODE(self->fd, IOASID_RLIMIT_USER);
}

TEST_F(ioas, option_set_get_per_fd)
{
	int fd2;

	ASSERT_EQ(0, set_mode(self->fd, IOASID_RLIMIT_MM));
	EXPECT_MODE(self->fd, IOASID_RLIMIT_MM);
	/* per fd: a second fd still has the default */
	fd2 = open_dev(_metadata, "/dev/ioasid");
	EXPECT_MODE(fd2, IOASID_RLIMIT_USER);
	close(fd2);
	ASSERT_EQ(0, set_mode(self->fd, IOASID_RLIMIT_USER));
	EXPECT_MODE(self->fd, IOASID_RLIMIT_USER);
}

TEST_F(ioas, option_unknown_eopnotsupp)
{
	__u64 val = 0;

	EXPECT_EQ(-EOPNOTSUPP, option(self->fd, IOASID_OPTION_OP_GET, 1, 0,
				      &val));
	EXPECT_EQ(-EOPNOTSUPP, option(self->fd, IOASID_OPTION_OP_SET,
				      0xffffffffU, 0, &val));
	EXPECT_EQ(-EOPNOTSUPP, option(self->fd, 2,
				      IOASID_OPTION_RLIMIT_MODE, 0, &val));
	EXPECT_EQ(-EOPNOTSUPP, option(self->fd, 0xffff,
				      IOASID_OPTION_RLIMIT_MODE, 0, &val));
}

TEST_F(ioas, option_bad_value_einval)
{
	struct ioasid_option o = {
		.size = sizeof(o), .option_id = IOASID_OPTION_RLIMIT_MODE,
		.op = IOASID_OPTION_OP_GET, .__reserved = 1,
	};
	__u64 val = 0xdead;

	EXPECT_EQ(-EINVAL, set_mode(self->fd, 2));
	EXPECT_EQ(-EINVAL, set_mode(self->fd, U64MAX));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_OPTION, &o));
	/* RLIMIT_MODE is an fd option: object_id must be 0 */
	val = IOASID_RLIMIT_MM;
	EXPECT_EQ(-EINVAL, option(self->fd, IOASID_OPTION_OP_SET,
				  IOASID_OPTION_RLIMIT_MODE, self->ioas, &val));
	o.__reserved = 0;
	o.size = offsetof(struct ioasid_option, val64);
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOASID_OPTION, &o));
	/* nothing changed */
	EXPECT_MODE(self->fd, IOASID_RLIMIT_USER);
}

TEST_F(ioas, option_busy_until_last_pin_gone)
{
	__u32 b;

	ASSERT_EQ(0, MAPF(0, 0x4000, IOVA_A, RW));
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	ASSERT_EQ(0, copy_fixed(self->fd, b, self->ioas, IOVA_A, 0x4000,
				IOVA_A, RW));
	EXPECT_EQ(-EBUSY, set_mode(self->fd, IOASID_RLIMIT_MM));
	ASSERT_EQ(0, UNMAP(0, 0, IOASID_UNMAP_ALL, NULL));
	/* b still holds the pages pinned */
	EXPECT_EQ(-EBUSY, set_mode(self->fd, IOASID_RLIMIT_MM));
	EXPECT_MODE(self->fd, IOASID_RLIMIT_USER);
	ASSERT_EQ(0, destroy(self->fd, b));
	EXPECT_EQ(0, set_mode(self->fd, IOASID_RLIMIT_MM));
}

/* ---- MM-mode charge as root (charged, never refused) and fd close ---- */

TEST_F(ioas, mm_mode_charge_follows_pins)
{
	long base;
	__u32 b;

	ASSERT_EQ(0, set_mode(self->fd, IOASID_RLIMIT_MM));
	base = vmlck_kb();
	ASSERT_LE(0, base);
	ASSERT_EQ(0, MAPF(0, MiB, IOVA_A, RW));
	EXPECT_EQ(base + 1024, vmlck_kb());
	/* COPY does not pin or charge again */
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &b));
	ASSERT_EQ(0, copy_fixed(self->fd, b, self->ioas, IOVA_A, MiB, IOVA_A,
				RW));
	EXPECT_EQ(base + 1024, vmlck_kb());
	/* the copy keeps the pages pinned, so the charge stays */
	ASSERT_EQ(0, UNMAP(IOVA_A, MiB, 0, NULL));
	EXPECT_EQ(base + 1024, vmlck_kb());
	ASSERT_EQ(0, unmap(self->fd, b, IOVA_A, MiB, 0, NULL));
	EXPECT_EQ(base, vmlck_kb());
}

TEST_F(ioas, close_with_live_objects)
{
	struct ioasid_ioas_info info;
	__u32 p, c, gc, r2;
	long base;
	int fd2;

	fd2 = open_dev(_metadata, "/dev/ioasid");
	ASSERT_EQ(0, set_mode(fd2, IOASID_RLIMIT_MM));
	base = vmlck_kb();
	ASSERT_EQ(0, ioas_alloc(fd2, 0, 0, &p));
	ASSERT_EQ(0, ioas_alloc(fd2, IOASID_IOAS_ALLOC_NESTED, p, &c));
	ASSERT_EQ(0, ioas_alloc(fd2, IOASID_IOAS_ALLOC_NESTED, c, &gc));
	ASSERT_EQ(0, ioas_alloc(fd2, 0, 0, &r2));
	ASSERT_EQ(0, map_fixed(fd2, p, U(self->buf), MiB, IOVA_A, RW));
	ASSERT_EQ(0, map_fixed(fd2, r2, U(self->buf + MiB), MiB / 2, 0, RO));
	ASSERT_EQ(0, copy_fixed(fd2, r2, p, IOVA_A, MiB, IOVA_B, RW));
	EXPECT_EQ(base + 1536, vmlck_kb());
	check_bytes(_metadata, self->tfd, fd2, r2, IOVA_B, self->buf, MiB,
		    __LINE__);
	/* no DESTROY, no UNMAP: close tears everything down */
	ASSERT_EQ(0, close(fd2));
	EXPECT_EQ(base, vmlck_kb());
	/* the kernel side no longer resolves that fd */
	EXPECT_EQ(-EBADF, iova_rw(self->tfd, fd2, r2, IOASID_TEST_RW_READ,
				  IOVA_B, self->buf, PSZ, NULL));
	/* a new fd has its own, empty table */
	fd2 = open_dev(_metadata, "/dev/ioasid");
	EXPECT_EQ(-ENOENT, get_info(fd2, gc, &info));
	close(fd2);
	/* the memory maps fine again */
	ASSERT_EQ(0, MAPF(0, BUF_SIZE, IOVA_A, RW));
	CHECK_BYTES(self->ioas, IOVA_A, self->buf, BUF_SIZE);
}

TEST_F(ioas, test_rw_bad_fd_ebadf)
{
	int nfd = open("/dev/null", O_RDWR);
	uint8_t b[16];

	ASSERT_LE(0, nfd);
	ASSERT_EQ(0, MAPF(0, PSZ, IOVA_A, RW));
	EXPECT_EQ(-EBADF, iova_rw(self->tfd, nfd, self->ioas,
				  IOASID_TEST_RW_READ, IOVA_A, b, 16, NULL));
	EXPECT_EQ(-EBADF, iova_rw(self->tfd, self->tfd, self->ioas,
				  IOASID_TEST_RW_READ, IOVA_A, b, 16, NULL));
	EXPECT_EQ(-EBADF, iova_rw(self->tfd, -1, self->ioas,
				  IOASID_TEST_RW_READ, IOVA_A, b, 16, NULL));
	close(nfd);
}

/* ---- other failures that must not disturb the mappings ---- */

TEST_F(mapped, option_set_while_pinned_ebusy)
{
	FAILS(EBUSY, set_mode(self->fd, IOASID_RLIMIT_MM));
	EXPECT_MODE(self->fd, IOASID_RLIMIT_USER);
	/* with nothing pinned any more it is allowed */
	ASSERT_EQ(0, UNMAP(0, 0, IOASID_UNMAP_ALL, NULL));
	ASSERT_EQ(0, set_mode(self->fd, IOASID_RLIMIT_MM));
	EXPECT_MODE(self->fd, IOASID_RLIMIT_MM);
}

TEST_F(mapped, destroy_unknown_enoent)
{
	FAILS(ENOENT, destroy(self->fd, BAD_ID));
	FAILS(ENOENT, destroy(self->fd, 0));
	FAILS(ENOENT, destroy(self->fd, self->ioas + 1000));
}

TEST_F(mapped, wrong_nesting_changes_nothing)
{
	__u32 child, id;

	FAILS(EINVAL, ioas_alloc(self->fd, 0, self->ioas, &id));
	FAILS(EOPNOTSUPP, ioas_alloc(self->fd, 1U << 9, 0, &id));
	ASSERT_EQ(0, ioas_alloc(self->fd, IOASID_IOAS_ALLOC_NESTED, self->ioas,
				&child));
	FAILS(EBUSY, destroy(self->fd, self->ioas));
	ASSERT_EQ(0, destroy(self->fd, child));
	ASSERT_INTACT();
}

TEST_HARNESS_MAIN
