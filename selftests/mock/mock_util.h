/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the mock suite: the test module's mock devices
 * (IOASID_TEST_MOCK) and software devices (IOASID_TEST_ACCESS), on top of
 * the IOAS helpers. Every wrapper returns 0 or -errno.
 */
#ifndef MOCK_UTIL_H
#define MOCK_UTIL_H

#include <linux/ioasid_device.h>
#include <linux/ioasid_policy.h>

#include "../ioas/ioas_util.h"
#include "../lib/util.h"

static inline int mock_cmd(int tfd, struct ioasid_test_mock *m)
{
	m->size = sizeof(*m);
	return xioctl(tfd, IOASID_TEST_MOCK, m);
}

static inline int mock_create(int tfd, __u32 pasid_bits, __u32 flags, __u32 *id)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_CREATE, .pasid_bits = pasid_bits,
		.flags = flags,
	};
	int rc = mock_cmd(tfd, &m);

	if (!rc)
		*id = m.mock_id;
	return rc;
}

static inline int mock_simple(int tfd, __u32 op, __u32 id)
{
	struct ioasid_test_mock m = { .op = op, .mock_id = id };

	return mock_cmd(tfd, &m);
}

static inline int mock_bind(int tfd, __u32 id, int fd, __u16 vendor,
			    __u16 device, __u32 *dev_id)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_BIND, .mock_id = id, .ioasid_fd = fd,
		.vendor = vendor, .device = device,
	};
	int rc = mock_cmd(tfd, &m);

	if (!rc && dev_id)
		*dev_id = m.out_dev_id;
	return rc;
}

static inline int mock_attach(int tfd, __u32 id, __u32 ioas, __u32 flags,
			      __u32 pasid, struct ioasid_policy_decision *d)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_ATTACH, .mock_id = id, .ioas_id = ioas,
		.flags = flags, .pasid = pasid,
	};
	int rc = mock_cmd(tfd, &m);

	if (d)
		*d = m.out_decision;
	return rc;
}

static inline int mock_detach(int tfd, __u32 id, __u32 flags, __u32 pasid)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_DETACH, .mock_id = id, .flags = flags,
		.pasid = pasid,
	};

	return mock_cmd(tfd, &m);
}

/* The mock device's DMA at @pasid (0: RID). */
static inline int mock_dma(int tfd, __u32 id, __u32 pasid, __u64 iova,
			   void *buf, __u64 len, bool write)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_DMA, .mock_id = id, .pasid = pasid,
		.iova = iova, .length = len, .uptr = U(buf),
		.flags = write ? IOASID_TEST_MOCK_DMA_WRITE : 0,
	};

	return mock_cmd(tfd, &m);
}

static inline int mock_query(int tfd, __u32 id, __u32 pasid, __u64 *serial,
			     __u64 *faults)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_QUERY, .mock_id = id, .pasid = pasid,
	};
	int rc = mock_cmd(tfd, &m);

	if (serial)
		*serial = m.out_domain_serial;
	if (faults)
		*faults = m.out_faults;
	return rc;
}

static inline int mock_kdev_open(int tfd, __u32 id, __u16 vendor, __u16 device)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_KDEV_OPEN, .mock_id = id,
		.vendor = vendor, .device = device,
	};

	return mock_cmd(tfd, &m);
}

static inline int mock_ctx_create(int tfd, __u32 id, __u32 pasid,
				  struct ioasid_policy_decision *d)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_CTX_CREATE, .mock_id = id, .pasid = pasid,
	};
	int rc = mock_cmd(tfd, &m);

	if (d)
		*d = m.out_decision;
	return rc;
}

static inline int mock_ctx_map(int tfd, __u32 id, __u32 pasid, __u64 iova,
			       void *buf, __u64 len, __u32 flags)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_CTX_MAP, .mock_id = id, .pasid = pasid,
		.iova = iova, .uptr = U(buf), .length = len, .flags = flags,
	};

	return mock_cmd(tfd, &m);
}

static inline int mock_ctx_op(int tfd, __u32 op, __u32 id, __u32 pasid,
			      __u64 iova, __u64 len)
{
	struct ioasid_test_mock m = {
		.op = op, .mock_id = id, .pasid = pasid, .iova = iova,
		.length = len,
	};

	return mock_cmd(tfd, &m);
}

/* --- software devices (the access API) ---------------------------------- */

static inline int acc_cmd(int tfd, struct ioasid_test_access *a)
{
	a->size = sizeof(*a);
	return xioctl(tfd, IOASID_TEST_ACCESS, a);
}

static inline int acc_create(int tfd, int fd, __u32 flags, __u32 *id,
			     __u32 *obj_id)
{
	struct ioasid_test_access a = {
		.op = IOASID_TEST_ACCESS_CREATE, .ioasid_fd = fd,
		.flags = flags, .vendor = 0x1af4, .device = 0x10f0,
	};
	int rc = acc_cmd(tfd, &a);

	if (!rc) {
		*id = a.access_id;
		if (obj_id)
			*obj_id = a.out_obj_id;
	}
	return rc;
}

static inline int acc_attach(int tfd, __u32 id, __u32 ioas,
			     struct ioasid_policy_decision *d)
{
	struct ioasid_test_access a = {
		.op = IOASID_TEST_ACCESS_ATTACH, .access_id = id, .ioas_id = ioas,
	};
	int rc = acc_cmd(tfd, &a);

	if (d)
		*d = a.out_decision;
	return rc;
}

static inline int acc_op(int tfd, __u32 op, __u32 id, __u64 iova, __u64 len,
			 void *buf, __u32 flags)
{
	struct ioasid_test_access a = {
		.op = op, .access_id = id, .iova = iova, .length = len,
		.uptr = U(buf), .flags = flags,
	};

	return acc_cmd(tfd, &a);
}

static inline int acc_query(int tfd, __u32 id, __u64 *pins, __u64 *callbacks)
{
	struct ioasid_test_access a = {
		.op = IOASID_TEST_ACCESS_QUERY, .access_id = id,
	};
	int rc = acc_cmd(tfd, &a);

	if (pins)
		*pins = a.out_nr_pins;
	if (callbacks)
		*callbacks = a.out_callbacks;
	return rc;
}

#define acc_pin(t, id, iova, len, buf) \
	acc_op(t, IOASID_TEST_ACCESS_PIN, id, iova, len, buf, 0)
#define acc_pin_w(t, id, iova, len) \
	acc_op(t, IOASID_TEST_ACCESS_PIN, id, iova, len, NULL, \
	       IOASID_TEST_ACCESS_PIN_WRITE)
#define acc_unpin(t, id, iova, len) \
	acc_op(t, IOASID_TEST_ACCESS_UNPIN, id, iova, len, NULL, 0)
#define acc_read(t, id, iova, len, buf) \
	acc_op(t, IOASID_TEST_ACCESS_READ, id, iova, len, buf, 0)
#define acc_write(t, id, iova, len, buf) \
	acc_op(t, IOASID_TEST_ACCESS_WRITE, id, iova, len, buf, 0)
#define acc_peek(t, id, iova, len, buf) \
	acc_op(t, IOASID_TEST_ACCESS_PEEK, id, iova, len, buf, 0)

static inline __u64 unpin_violations(int fd, __u32 ioas)
{
	struct ioasid_ioas_info info = { .size = sizeof(info), .ioas_id = ioas };

	return get_info(fd, ioas, &info) ? ~0ULL : info.out_unpin_violations;
}

#endif /* MOCK_UTIL_H */
