// SPDX-License-Identifier: GPL-2.0
/*
 * The decision log (IOASID_DECISIONS_OPEN): records for a real attach, a
 * refused cache flush and the detach; history kept for late readers;
 * overrun counted, not hidden; poll; privilege; ioctl size and flag checks.
 */
#include <poll.h>
#include <sys/wait.h>

#define IOASID_WANT_FIXTURE_POLICY
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"

#define REC_SIZE sizeof(struct ioasid_decision_record)

static int decisions_open(int fd, __u32 flags, struct ioasid_decisions_open *out)
{
	struct ioasid_decisions_open op = { .size = sizeof(op), .flags = flags };

	if (ioctl(fd, IOASID_DECISIONS_OPEN, &op))
		return -errno;
	if (out)
		*out = op;
	return op.out_fd;
}

/* The next record, waiting up to a second: 1, 0 (none) or -errno. */
static int next_record(int dfd, struct ioasid_decision_record *rec)
{
	struct pollfd p = { .fd = dfd, .events = POLLIN };
	ssize_t n;

	for (;;) {
		n = read(dfd, rec, REC_SIZE);
		if (n == (ssize_t)REC_SIZE)
			return 1;
		if (n >= 0)
			return -EPROTO;
		if (errno != EAGAIN)
			return -errno;
		if (poll(&p, 1, 1000) <= 0)
			return 0;
	}
}

/* The next record of @kind (skipping others), or fail the test. */
#define NEXT_OF_KIND(dfd, rec, want)                                         \
	do {                                                                 \
		int _r;                                                      \
		while ((_r = next_record(dfd, rec)) == 1 &&                  \
		       (rec)->hdr.kind != (want))                            \
			;                                                    \
		ASSERT_EQ(1, _r) TH_LOG("no record of kind %u", want);       \
	} while (0)

/* A dry run of a described device, marked by its ids. */
static int marker(int fd, __u16 vendor, __u16 device)
{
	struct ioasid_policy_dry_run dr = { .size = sizeof(dr) };

	dr.req.op = IOASID_POLICY_OP_ATTACH;
	dr.req.vendor = vendor;
	dr.req.device = device;
	dr.req.group_size = 1;
	dr.req.iommu_caps = IOASID_IOMMU_CAP_ENFORCE_COHERENCY |
			    IOASID_IOMMU_CAP_CACHE_COHERENCY;
	return dry_run(fd, &dr);
}

TEST_F(policy, decisions_attach_refused_flush_detach)
{
	struct ioasid_device_attach att = { .size = sizeof(att) };
	struct ioasid_decision_record rec;
	long bdf = edu_bdf() ? pci_bdf(edu_bdf()) : -1;
	int dfd, devfd, fd2;
	__u32 ioas;

	dfd = decisions_open(self->fd, IOASID_DECISIONS_NO_HISTORY |
				       IOASID_DECISIONS_NONBLOCK, NULL);
	ASSERT_LE(0, dfd);
	devfd = bind_bound_edu(_metadata, self->fd, &ioas);
	if (devfd == -ENODEV)
		SKIP(return, "no edu bound to ioasid-pci in this VM");
	att.ioas_id = ioas;
	ASSERT_EQ(0, ioctl(devfd, IOASID_DEVICE_ATTACH, &att));

	NEXT_OF_KIND(dfd, &rec, IOASID_POLICY_OP_ATTACH);
	EXPECT_EQ(REC_SIZE, rec.hdr.size);
	EXPECT_EQ(IOASID_DECISION_RECORD_VERSION, rec.hdr.version);
	EXPECT_EQ(0, rec.hdr.lost);
	EXPECT_NE(0, rec.hdr.seq);
	EXPECT_EQ(0x1234, rec.vendor);
	EXPECT_EQ(0x11e8, rec.device);
	EXPECT_EQ(bdf, rec.bdf);
	EXPECT_STREQ("ioasid-pci", rec.driver);
	EXPECT_EQ(ioas, rec.ioas_id);
	EXPECT_EQ(getuid(), rec.uid);
	EXPECT_EQ(getpid(), rec.pid);
	EXPECT_NE(0, rec.cgroup_id);
	EXPECT_NE(0, rec.fd_id);
	EXPECT_EQ(0, rec.error);
	EXPECT_EQ(0, rec.core_error);
	EXPECT_FALSE(rec.req_flags & IOASID_REQ_DRY_RUN);
	EXPECT_STREQ("builtin", rec.policy);
	EXPECT_NE(0, rec.policy_reason[0]);
	EXPECT_STREQ("", rec.core_reason);

	/* A fd without a grant: refused by the core before any policy. */
	fd2 = open("/dev/ioasid", O_RDWR);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EPERM, cache_flush(fd2, NULL));
	close(fd2);
	NEXT_OF_KIND(dfd, &rec, IOASID_POLICY_OP_CACHE_FLUSH);
	EXPECT_EQ(-EPERM, rec.error);
	EXPECT_EQ(-EPERM, rec.core_error);
	EXPECT_TRUE(rec.decision_flags & IOASID_DECISION_CORE_REFUSED);
	EXPECT_STREQ("no cache-flush grant", rec.core_reason);
	EXPECT_STREQ("", rec.policy);
	EXPECT_EQ(getpid(), rec.pid);

	close(devfd);
	NEXT_OF_KIND(dfd, &rec, IOASID_POLICY_OP_DETACH);
	EXPECT_EQ(bdf, rec.bdf);
	EXPECT_EQ(ioas, rec.ioas_id);
	close(dfd);
}

TEST_F(policy, decisions_history_kept_for_late_readers)
{
	struct ioasid_decision_record rec, last = { 0 };
	struct ioasid_decisions_open op = { 0 };
	int dfd, n = 0, found = 0;

	ASSERT_EQ(0, marker(self->fd, 0x1234, 0xd1d1));
	/* Opened after the decision: it is in the history. */
	dfd = decisions_open(self->fd, IOASID_DECISIONS_NONBLOCK, &op);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(REC_SIZE, op.out_record_size);
	EXPECT_LE(1, op.out_log_size);
	while (read(dfd, &rec, REC_SIZE) == (ssize_t)REC_SIZE) {
		if (n++) {
			EXPECT_EQ(last.hdr.seq + 1, rec.hdr.seq);
		}
		if (rec.vendor == 0x1234 && rec.device == 0xd1d1) {
			found++;
			EXPECT_TRUE(rec.req_flags & IOASID_REQ_DRY_RUN);
			EXPECT_EQ(IOASID_SNOOP_ENFORCE, rec.snoop);
		}
		last = rec;
	}
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(1, found);
	EXPECT_GE(op.out_log_size, n);
	close(dfd);

	/* Without history: nothing until the next decision. */
	dfd = decisions_open(self->fd, IOASID_DECISIONS_NO_HISTORY |
				       IOASID_DECISIONS_NONBLOCK, NULL);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(-1, read(dfd, &rec, REC_SIZE));
	EXPECT_EQ(EAGAIN, errno);
	close(dfd);
}

TEST_F(policy, decisions_poll_and_read_sizes)
{
	struct ioasid_decision_record recs[4];
	struct pollfd p = { .events = POLLIN };
	int dfd, i;

	dfd = decisions_open(self->fd, IOASID_DECISIONS_NO_HISTORY, NULL);
	ASSERT_LE(0, dfd);
	p.fd = dfd;
	EXPECT_EQ(0, poll(&p, 1, 0));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, marker(self->fd, 0x1234, 0xe000 + i));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & POLLIN);
	/* Whole records only. */
	EXPECT_EQ(-1, read(dfd, recs, REC_SIZE - 1));
	EXPECT_EQ(EINVAL, errno);
	/* As many as there are, in one read; a blocking fd returns them. */
	EXPECT_EQ(3 * REC_SIZE, read(dfd, recs, sizeof(recs)));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0xe000 + i, recs[i].device);
	EXPECT_EQ(recs[0].hdr.seq + 2, recs[2].hdr.seq);
	EXPECT_EQ(0, poll(&p, 1, 0));
	close(dfd);
}

TEST_F(policy, decisions_overrun_counted)
{
	struct ioasid_decision_record rec;
	struct ioasid_decisions_open op = { 0 };
	__u32 i, total, n = 0;
	__u64 lost = 0, prev = 0;
	int dfd;

	dfd = decisions_open(self->fd, IOASID_DECISIONS_NO_HISTORY |
				       IOASID_DECISIONS_NONBLOCK, &op);
	ASSERT_LE(0, dfd);
	total = op.out_log_size + 10;
	for (i = 0; i < total; i++)
		ASSERT_EQ(0, marker(self->fd, 0x1234, i & 0xffff));
	while (read(dfd, &rec, REC_SIZE) == (ssize_t)REC_SIZE) {
		if (!n) {
			EXPECT_EQ(10, rec.hdr.lost);
		} else {
			EXPECT_EQ(0, rec.hdr.lost);
			EXPECT_EQ(prev + 1, rec.hdr.seq);
		}
		lost += rec.hdr.lost;
		prev = rec.hdr.seq;
		n++;
	}
	/* What was read and what was lost add up to what was decided. */
	EXPECT_EQ(op.out_log_size, n);
	EXPECT_EQ(total, n + lost);
	EXPECT_EQ((total - 1) & 0xffff, rec.device);
	close(dfd);
}

TEST_F(policy, decisions_open_checks)
{
	struct {
		struct ioasid_decisions_open op;
		__u64 tail;
	} big = { .op = { .size = sizeof(big) } };
	struct ioasid_decisions_open op = { .size = sizeof(op) };
	int status;
	pid_t pid;

	/* Too small, a non-zero tail, unknown flags, reserved bits. */
	op.size = 4;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_DECISIONS_OPEN, &op));
	EXPECT_EQ(EINVAL, errno);
	big.tail = 1;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_DECISIONS_OPEN, &big));
	EXPECT_EQ(E2BIG, errno);
	big.tail = 0;
	ASSERT_EQ(0, ioctl(self->fd, IOASID_DECISIONS_OPEN, &big));
	EXPECT_LE(0, (int)big.op.out_fd);
	close(big.op.out_fd);
	op.size = sizeof(op);
	op.flags = 1 << 7;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_DECISIONS_OPEN, &op));
	EXPECT_EQ(EOPNOTSUPP, errno);
	op.flags = 0;
	op.__reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_DECISIONS_OPEN, &op));
	EXPECT_EQ(EINVAL, errno);

	/* Other users' decisions: not without CAP_PERFMON/CAP_SYS_ADMIN. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		_exit(decisions_open(self->fd, 0, NULL) == -EPERM ? 0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
