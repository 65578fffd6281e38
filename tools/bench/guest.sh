#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the bench VM: load ioasid, give the edu device to vfio-pci for the
# VFIO type1 peer, run the benchmarks.
set -eu
TOP=${TOP:?} B=${B:?}
insmod "$TOP/kernel/ioasid.ko" allow_unsafe_interrupts=1 # no interrupt remapping in the VM
insmod "$TOP/kernel/ioasid_test.ko"
group=
modprobe vfio-pci 2>/dev/null || true
edu=$(grep -l 0x11e8 /sys/bus/pci/devices/*/device 2>/dev/null | head -1 | xargs -r dirname)
if [ -n "$edu" ] && [ -e /sys/bus/pci/drivers/vfio-pci ]; then
	echo vfio-pci > "$edu/driver_override"
	basename "$edu" > /sys/bus/pci/drivers_probe
	g=$(basename "$(readlink "$edu/iommu_group")")
	[ -e "/dev/vfio/$g" ] && group=/dev/vfio/$g
fi
# A second edu for ioasid, so both sides fill one IOMMU domain.
insmod "$TOP/kernel/ioasid-pci.ko"
dev=
other=$(grep -l 0x11e8 /sys/bus/pci/devices/*/device 2>/dev/null | sed -n 2p | xargs -r dirname)
if [ -n "$other" ]; then
	echo ioasid-pci > "$other/driver_override"
	basename "$other" > /sys/bus/pci/drivers_probe
	dev=/dev/ioasid-dev/$(basename "$other")
fi
"$B/bench/nest_bench" -o "$B/bench/nest.json"
"$B/bench/map_bench" -o "$B/bench/map.json" ${group:+-g $group} ${dev:+-d $dev} "$@"
if [ -n "$dev" ]; then
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	"$B/bench/attach_bench" -o "$B/bench/attach.json" -d "$dev"
else
	echo "attach_bench: skipped, no second edu for ioasid-pci" >&2
fi
