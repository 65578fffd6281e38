// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The decision stream: IOASID_DECISIONS_OPEN's fd of fixed-size records,
 * read in batches and handed out one at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/ioasid.h>

#include "internal.h"

#define BATCH 64

struct ioasidbpf_decisions {
	int fd;
	__u32 record_size;	/* what the kernel writes */
	__u32 log_size;
	size_t pos, len;	/* unread bytes of @buf: [pos, len) */
	unsigned char *buf;	/* BATCH records */
};

IOASIDBPF_EXPORT int ioasidbpf_decisions_open(const struct ioasidbpf_decisions_opts *opts,
					      struct ioasidbpf_decisions **out)
{
	struct ioasid_decisions_open op = {
		.size = sizeof(op),
		.flags = IOASID_DECISIONS_NONBLOCK,
	};
	struct ioasidbpf_decisions *d;
	int dev, err;

	*out = NULL;
	if (!IOASIDBPF_OPTS_VALID(opts, ioasidbpf_decisions_opts))
		return -EINVAL;
	if (IOASIDBPF_OPTS_GET(opts, no_history, false))
		op.flags |= IOASID_DECISIONS_NO_HISTORY;
	dev = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return ioasidbpf_fail(-errno, "/dev/ioasid: %s%s", strerror(errno),
				      errno == ENOENT ? " (is the ioasid module loaded?)" : "");
	err = ioctl(dev, IOASID_DECISIONS_OPEN, &op) ? -errno : 0;
	close(dev);
	if (err == -EPERM)
		return ioasidbpf_fail(err, "reading decisions needs CAP_PERFMON or CAP_SYS_ADMIN");
	if (err)
		return ioasidbpf_fail(err, "IOASID_DECISIONS_OPEN: %s%s", strerror(-err),
				      err == -ENOTTY ? " (the module predates the decision log)" : "");
	if (op.out_record_size < IOASID_DECISION_RECORD_SIZE_V1) {
		close(op.out_fd);
		return ioasidbpf_fail(-EPROTO, "decision records of %u bytes: too small",
				      op.out_record_size);
	}
	d = calloc(1, sizeof(*d));
	if (d)
		d->buf = malloc((size_t)op.out_record_size * BATCH);
	if (!d || !d->buf) {
		free(d);
		close(op.out_fd);
		return ioasidbpf_fail(-ENOMEM, "out of memory");
	}
	d->fd = op.out_fd;
	d->record_size = op.out_record_size;
	d->log_size = op.out_log_size;
	*out = d;
	return 0;
}

IOASIDBPF_EXPORT int ioasidbpf_decisions_fd(const struct ioasidbpf_decisions *d)
{
	return d->fd;
}

IOASIDBPF_EXPORT __u32 ioasidbpf_decisions_log_size(const struct ioasidbpf_decisions *d)
{
	return d->log_size;
}

/* Refill the batch: 1, 0 (nothing within @timeout_ms) or -errno. */
static int refill(struct ioasidbpf_decisions *d, int timeout_ms)
{
	struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
	ssize_t n;

	for (;;) {
		n = read(d->fd, d->buf, (size_t)d->record_size * BATCH);
		if (n > 0)
			break;
		if (n == 0)
			return ioasidbpf_fail(-EPROTO, "decision stream: end of file");
		if (errno != EAGAIN)
			return ioasidbpf_fail(-errno, "decision stream: %s", strerror(errno));
		if (!timeout_ms)
			return 0;
		n = poll(&pfd, 1, timeout_ms);
		if (n < 0)
			return ioasidbpf_fail(-errno, "decision stream: %s", strerror(errno));
		if (!n)
			return 0;
	}
	if (n % d->record_size)
		return ioasidbpf_fail(-EPROTO, "decision stream: %zd bytes, not whole records", n);
	d->pos = 0;
	d->len = n;
	return 1;
}

IOASIDBPF_EXPORT int ioasidbpf_decisions_read(struct ioasidbpf_decisions *d,
					      struct ioasid_decision_record *rec,
					      int timeout_ms)
{
	const struct ioasid_decision_record_hdr *hdr;
	size_t size;
	int err;

	if (d->pos >= d->len) {
		err = refill(d, timeout_ms);
		if (err <= 0)
			return err;
	}
	hdr = (const void *)(d->buf + d->pos);
	size = hdr->size;
	if (size < IOASID_DECISION_RECORD_SIZE_V1 || size > d->record_size)
		return ioasidbpf_fail(-EPROTO, "decision record of %zu bytes", size);
	memset(rec, 0, sizeof(*rec));
	memcpy(rec, hdr, size < sizeof(*rec) ? size : sizeof(*rec));
	d->pos += d->record_size;
	return 1;
}

IOASIDBPF_EXPORT void ioasidbpf_decisions_close(struct ioasidbpf_decisions *d)
{
	if (!d)
		return;
	close(d->fd);
	free(d->buf);
	free(d);
}
