/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Answers of the VFIO programs that run unchanged against
 * vfio_iommu_type1 and ioasid-vfio (run.sh, emulated.sh compare them):
 * every value checked with CHECK() is also appended to $VFIO_ANSWERS as
 * "test item=value". Include after kselftest_harness.h.
 */
#ifndef IOASID_VFIO_ANSWERS_H
#define IOASID_VFIO_ANSWERS_H

#include <stdio.h>
#include <stdlib.h>

static inline void ans(const char *test, const char *item, long long v)
{
	const char *path = getenv("VFIO_ANSWERS");
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	fprintf(f, "%s %s=%lld\n", test, item, v);
	fclose(f);
}

/* Record and check one answer. */
#define CHECK(item, expect, expr) do {					\
	long long _v = (expr);						\
	ans(_metadata->name, item, _v);					\
	EXPECT_EQ((long long)(expect), _v) TH_LOG("%s", item);		\
} while (0)

#endif /* IOASID_VFIO_ANSWERS_H */
