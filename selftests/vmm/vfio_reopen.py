#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""vfio_reopen.py BDF: can a new VFIO user take the device's group?

Opens the container and the group of BDF, checks the group is viable, sets
the container and the type1v2 IOMMU and gets the device fd: all of it fails
while another process (a QEMU that was killed but not cleaned up) still
holds the group. Exit 0 if every step worked; 1 with the failing step.
"""
import fcntl
import os
import struct
import sys

VFIO_TYPE = ord(';')
VFIO_BASE = 100


def io(nr):
    return (VFIO_TYPE << 8) | (VFIO_BASE + nr)


VFIO_GET_API_VERSION = io(0)
VFIO_CHECK_EXTENSION = io(1)
VFIO_SET_IOMMU = io(2)
VFIO_GROUP_GET_STATUS = io(3)
VFIO_GROUP_SET_CONTAINER = io(4)
VFIO_GROUP_GET_DEVICE_FD = io(6)
VFIO_TYPE1v2_IOMMU = 3
VFIO_GROUP_FLAGS_VIABLE = 1


def step(what, fn):
    try:
        return fn()
    except OSError as e:
        print(f"{what}: {e}")
        sys.exit(1)


def main():
    bdf = sys.argv[1]
    group = os.path.basename(os.readlink(f"/sys/bus/pci/devices/{bdf}/iommu_group"))
    c = step("open /dev/vfio/vfio", lambda: os.open("/dev/vfio/vfio", os.O_RDWR))
    ver = step("GET_API_VERSION", lambda: fcntl.ioctl(c, VFIO_GET_API_VERSION))
    if ver != 0:
        print(f"API version {ver}")
        return 1
    if not step("CHECK_EXTENSION", lambda: fcntl.ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)):
        print("no type1v2 IOMMU")
        return 1
    g = step(f"open /dev/vfio/{group}", lambda: os.open(f"/dev/vfio/{group}", os.O_RDWR))
    st = bytearray(struct.pack("II", 8, 0))
    step("GROUP_GET_STATUS", lambda: fcntl.ioctl(g, VFIO_GROUP_GET_STATUS, st))
    if not struct.unpack("II", st)[1] & VFIO_GROUP_FLAGS_VIABLE:
        print(f"group {group} not viable")
        return 1
    step("GROUP_SET_CONTAINER", lambda: fcntl.ioctl(g, VFIO_GROUP_SET_CONTAINER, struct.pack("i", c)))
    step("SET_IOMMU type1v2", lambda: fcntl.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
    d = step("GROUP_GET_DEVICE_FD", lambda: fcntl.ioctl(g, VFIO_GROUP_GET_DEVICE_FD,
                                                              bytearray(bdf.encode() + b"\0"), True))
    print(f"group {group}: container set, device fd {d}")
    for fd in (d, g, c):
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
