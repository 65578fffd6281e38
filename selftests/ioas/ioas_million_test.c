// SPDX-License-Identifier: GPL-2.0
/*
 * ioas_million_test: no mapping-count cap: a million 4 KiB mappings
 * in one IOAS (fixture ioas), alone and with mock devices attached (their
 * domains hold the million too).
 * Shared helpers, fixtures and design notes: lib/ioasid_util.h.
 */
#define IOAS_WANT_FIXTURE_IOAS
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- no mapping-count cap ---- */

#define MILLION		1000000UL
#define BIG_PAGES	16384UL				/* 64 MiB */
#define MIL_IOVA(i)	(0x10000000ULL + (__u64)(i) * 2 * PSZ)	/* gaps */

static const unsigned long spot[] = { 0, 1, 16383, 16384, 123457, 500000,
				      999998, 999999 };

/* A million 4 KiB mappings of @big (64 MiB, reused) into the fixture IOAS. */
static uint8_t *map_million(struct __test_metadata *_metadata,
			    FIXTURE_DATA(ioas) *self)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	uint64_t t0 = now_ns();
	unsigned long i;
	uint8_t *big;
	int rc;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		TH_LOG("setrlimit(RLIMIT_MEMLOCK, infinity): %s; relying on CAP_IPC_LOCK (never refused)",
		       strerror(errno));
	big = new_buf(_metadata, BIG_PAGES * PSZ, 0x600df00du);
	for (i = 0; i < MILLION; i++) {
		rc = map_fixed(self->fd, self->ioas,
			       U(big + (i % BIG_PAGES) * PSZ), PSZ,
			       MIL_IOVA(i), RW);
		if (rc) {
			TH_LOG("mapping #%lu (iova 0x%llx) failed: %s after %.1f s",
			       i, MIL_IOVA(i), strerror(-rc),
			       (now_ns() - t0) / 1e9);
			ASSERT_EQ(0, rc);
		}
		if ((i + 1) % 250000 == 0)
			TH_LOG("%lu mappings, %.1f s", i + 1,
			       (now_ns() - t0) / 1e9);
	}
	return big;
}

/* UNMAP_ALL of the million, timed; the IOAS is empty after. */
static void unmap_million(struct __test_metadata *_metadata,
			  FIXTURE_DATA(ioas) *self, uint8_t *big)
{
	uint64_t t0 = now_ns();
	__u64 out;

	ASSERT_EQ(0, UNMAP(0, 0, IOASID_UNMAP_ALL, &out));
	TH_LOG("UNMAP_ALL took %.1f s", (now_ns() - t0) / 1e9);
	EXPECT_EQ(MILLION * PSZ, out);
	CHECK_INFO(self->ioas, 0, 0, 0);
	ASSERT_UNMAPPED(self->ioas, MIL_IOVA(0));
	ASSERT_UNMAPPED(self->ioas, MIL_IOVA(MILLION - 1));
	munmap(big, BIG_PAGES * PSZ);
}

TEST_F_TIMEOUT(ioas, million_4k_mappings, 1800)
{
	struct ioasid_ioas_info info;
	unsigned long i;
	uint8_t *big;

	/* A million mappings under KASAN and TCG take hours (check-debug). */
	if (getenv("IOASID_SKIP_SLOW"))
		SKIP(return, "%s", getenv("IOASID_SKIP_SLOW"));

	big = map_million(_metadata, self);
	ASSERT_EQ(0, get_info(self->fd, self->ioas, &info));
	TH_LOG("nr_mappings %u mapped_bytes 0x%llx pinned_pages %llu",
	       info.out_nr_mappings, info.out_mapped_bytes,
	       info.out_pinned_pages);
	EXPECT_EQ((__u32)MILLION, info.out_nr_mappings);
	EXPECT_EQ(MILLION * PSZ, info.out_mapped_bytes);
	for (i = 0; i < ARRAY_SIZE(spot); i++) {
		CHECK_BYTES(self->ioas, MIL_IOVA(spot[i]),
			    big + (spot[i] % BIG_PAGES) * PSZ, PSZ);
		ASSERT_UNMAPPED(self->ioas, MIL_IOVA(spot[i]) + PSZ);
	}
	/* an overlap is still detected among a million areas */
	EXPECT_EQ(-EEXIST, map_fixed(self->fd, self->ioas, U(big), 2 * PSZ,
				     MIL_IOVA(777777) - PSZ, RW));
	unmap_million(_metadata, self, big);
}

/* The mock device @id reaches each spot mapping, and nothing in the gaps. */
static void dma_spots(struct __test_metadata *_metadata, int tfd, __u32 id,
		      const uint8_t *big, bool mapped)
{
	uint8_t got[PSZ];
	unsigned long i;

	for (i = 0; i < ARRAY_SIZE(spot); i++) {
		__u64 iova = MIL_IOVA(spot[i]);

		if (!mapped) {
			EXPECT_EQ(-EFAULT, mock_dma(tfd, id, 0, iova, got, 1,
						    false));
			continue;
		}
		ASSERT_EQ(0, mock_dma(tfd, id, 0, iova, got, PSZ, false));
		EXPECT_EQ(0, memcmp(got, big + (spot[i] % BIG_PAGES) * PSZ, PSZ))
			TH_LOG("mapping #%lu", spot[i]);
		EXPECT_EQ((long long)PSZ, mock_iopte_size(tfd, id, iova));
		EXPECT_EQ(-EFAULT, mock_dma(tfd, id, 0, iova + PSZ, got, 1,
					    false));
	}
}

/*
 * The same million with devices attached: one before the maps (every map
 * and the UNMAP_ALL update its domain), one after (its domain is filled
 * with the million at attach).
 */
TEST_F_TIMEOUT(ioas, million_4k_mappings_devices_attached, 1800)
{
	__u64 serial_before, serial_after;
	__u32 before, after;
	uint64_t t0;
	uint8_t *big;

	if (getenv("IOASID_SKIP_SLOW"))
		SKIP(return, "%s", getenv("IOASID_SKIP_SLOW"));

	ASSERT_EQ(0, mock_new_attached(self->tfd, self->fd, self->ioas,
				       IOASID_TEST_MOCK_COHERENT, &before));
	big = map_million(_metadata, self);
	dma_spots(_metadata, self->tfd, before, big, true);
	t0 = now_ns();
	/* Not coherent: it cannot share the first one's snooping domain. */
	ASSERT_EQ(0, mock_new_attached(self->tfd, self->fd, self->ioas,
				       0, &after));
	TH_LOG("attach filling a domain with a million mappings took %.1f s",
	       (now_ns() - t0) / 1e9);
	ASSERT_EQ(0, mock_query(self->tfd, before, 0, &serial_before, NULL));
	ASSERT_EQ(0, mock_query(self->tfd, after, 0, &serial_after, NULL));
	EXPECT_NE(serial_before, serial_after);
	dma_spots(_metadata, self->tfd, after, big, true);
	/* an overlap still fails, and changes no domain */
	EXPECT_EQ(-EEXIST, map_fixed(self->fd, self->ioas, U(big), 2 * PSZ,
				     MIL_IOVA(777777) - PSZ, RW));
	dma_spots(_metadata, self->tfd, before, big, true);
	unmap_million(_metadata, self, big);
	dma_spots(_metadata, self->tfd, before, NULL, false);
	dma_spots(_metadata, self->tfd, after, NULL, false);
	t0 = now_ns();
	ASSERT_EQ(0, mock_simple(self->tfd, IOASID_TEST_MOCK_DESTROY, after));
	ASSERT_EQ(0, mock_simple(self->tfd, IOASID_TEST_MOCK_DESTROY, before));
	TH_LOG("detach and destroy took %.1f s", (now_ns() - t0) / 1e9);
}

TEST_HARNESS_MAIN
