/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-fd state of /dev/ioasid_test: the mock devices and accesses a test
 * created, torn down when its fd closes (so a crashed test leaks nothing).
 */
#ifndef __IOASID_TEST_STATE_H
#define __IOASID_TEST_STATE_H

#include <linux/mutex.h>
#include <linux/xarray.h>
#include <linux/ioasid_kernel.h>

/**
 * struct ioasid_test_state - one open /dev/ioasid_test
 * @lock: serializes the fd's mock and access operations (ioctls on one fd
 *	run one at a time; tests that race use several fds)
 * @mocks: id -> struct test_mock
 * @accesses: id -> struct test_access
 */
struct ioasid_test_state {
	struct mutex lock; /* see @lock above */
	struct xarray mocks;
	struct xarray accesses;
};

/*
 * Copy in a test command: extensible as linux/ioasid.h says, the whole
 * struct its first version (the test interface may change with the tests).
 */
static inline int ioasid_test_copy_cmd(void *cmd, size_t size,
				       void __user *uarg)
{
	return ioasid_copy_struct_from_user(cmd, size, size, uarg, NULL);
}

long ioasid_test_mock_ioctl(struct ioasid_test_state *st, void __user *uarg);
void ioasid_test_mock_release(struct ioasid_test_state *st);
long ioasid_test_access_ioctl(struct ioasid_test_state *st,
			      void __user *uarg);
void ioasid_test_access_release(struct ioasid_test_state *st);

#endif /* __IOASID_TEST_STATE_H */
