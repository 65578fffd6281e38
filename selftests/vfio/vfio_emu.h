/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The emulated-IOMMU test device of ioasid_test_vfio.ko, from user space:
 * its group (/dev/vfio/N, N from sysfs), a type1v2 container with it, the
 * device fd, and its one ioctl. Written against VFIO only, so the same
 * code runs whichever IOMMU driver serves the container. Shared by
 * vfio_emulated_test and vfio_failnth_test.
 */
#ifndef IOASID_VFIO_EMU_H
#define IOASID_VFIO_EMU_H

#include "vfio_util.h"
#include "ioasid_test_vfio_uapi.h"

#define EMU_SYSFS "/sys/bus/platform/devices/" IOASID_TEST_VFIO_NAME

/* The test device's group number; -errno (module not loaded: -ENOENT). */
static inline int emu_group_nr(void)
{
	char link[256];
	ssize_t n = readlink(EMU_SYSFS "/iommu_group", link, sizeof(link) - 1);

	if (n < 0)
		return -errno;
	link[n] = 0;
	return atoi(basename(link));
}

/* Open a container and the test device's group, join them; -errno. */
static inline int emu_open(struct vfio_env *e)
{
	return vfio_open_group(emu_group_nr(), e);
}

/* SET_IOMMU type1v2 and open the device; -errno. */
static inline int emu_serve(struct vfio_env *e)
{
	if (ioctl(e->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD,
			  IOASID_TEST_VFIO_NAME);
	return e->device < 0 ? -errno : 0;
}

/* One IOASID_TEST_VFIO_OP; *op is filled with the answer. 0 or -errno. */
static inline int emu_op(int device, uint32_t what, uint64_t iova,
			 uint64_t length, void *buf, uint32_t flags,
			 struct ioasid_test_vfio_op *op)
{
	struct ioasid_test_vfio_op o = {
		.size = sizeof(o), .op = what, .iova = iova, .length = length,
		.uptr = (uintptr_t)buf, .flags = flags,
	};
	int rc = ioctl(device, IOASID_TEST_VFIO_OP, &o) ? -errno : 0;

	if (op)
		*op = o;
	return rc;
}

/* The test device's status; .out_pins is -1 if it could not be read. */
static inline struct ioasid_test_vfio_op emu_status(int device, uint32_t flags)
{
	struct ioasid_test_vfio_op o;

	if (emu_op(device, IOASID_TEST_VFIO_STATUS, 0, 0, NULL, flags, &o))
		o.out_pins = (uint64_t)-1;
	return o;
}

#endif /* IOASID_VFIO_EMU_H */
