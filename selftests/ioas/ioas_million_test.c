// SPDX-License-Identifier: GPL-2.0
/*
 * ioas_million_test: no mapping-count cap: a million 4 KiB mappings
 * in one IOAS (fixture ioas).
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

TEST_F_TIMEOUT(ioas, million_4k_mappings, 1800)
{
	static const unsigned long spot[] = { 0, 1, 16383, 16384, 123457,
					      500000, 999998, 999999 };
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct ioasid_ioas_info info;
	uint64_t t0 = now_ns();
	unsigned long i;
	uint8_t *big;
	__u64 out;
	int rc;

	/* A million mappings under KASAN and TCG take hours (check-debug). */
	if (getenv("IOASID_SKIP_SLOW"))
		SKIP(return, "%s", getenv("IOASID_SKIP_SLOW"));

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
	t0 = now_ns();
	ASSERT_EQ(0, UNMAP(0, 0, IOASID_UNMAP_ALL, &out));
	TH_LOG("UNMAP_ALL took %.1f s", (now_ns() - t0) / 1e9);
	EXPECT_EQ(MILLION * PSZ, out);
	CHECK_INFO(self->ioas, 0, 0, 0);
	ASSERT_UNMAPPED(self->ioas, MIL_IOVA(0));
	ASSERT_UNMAPPED(self->ioas, MIL_IOVA(MILLION - 1));
	munmap(big, BIG_PAGES * PSZ);
}

TEST_HARNESS_MAIN
