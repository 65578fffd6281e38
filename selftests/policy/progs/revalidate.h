/* SPDX-License-Identifier: GPL-2.0 */
/* What revalidate.bpf.c's policies saw, as revalidate_test reads it. */
#ifndef IOASID_TEST_REVALIDATE_H
#define IOASID_TEST_REVALIDATE_H

struct seen {
	__u32 attach;		/* plain attaches */
	__u32 reval;		/* IOASID_REQ_REVALIDATE without DRY_RUN */
	__u32 reval_dry;	/* IOASID_REQ_REVALIDATE with DRY_RUN */
	__u32 attach_uid, reval_uid;
	__u32 attach_pid, reval_pid;
	__u64 attach_cgroup, reval_cgroup;
};

#endif
