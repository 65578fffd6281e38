#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The vfio suite (docs/vfio.md): one edu leaves ioasid-pci for vfio-pci;
# vfio_iommu_type1 and ioasid-vfio are both loaded (type1 first, as the
# soft dependency orders them). type1_conformance runs unchanged against
# type1 (serve_type1=0) and against ioasid (serve_type1=1) and both
# answer sets must be equal; vfio_ioasid_test then proves what only
# ioasid does. The edu goes back to ioasid-pci at the end.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/common.sh"
S=${B:?}/selftests
KMOD=${KMOD:-$TOP/kernel}
P=/sys/module/ioasid_vfio/parameters
tmp=$(mktemp -d)
rc=0


# An edu on ioasid-pci; one sharing its group with another (intel-group)
# if there is one, so that group_not_viable can run.
bdf=""
for d in /sys/bus/pci/drivers/ioasid-pci/*:*; do
	[ -e "$d" ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	[ -n "$bdf" ] || bdf=$(basename "$d")
	for o in "$d"/iommu_group/devices/*; do
		[ "$(basename "$o")" != "$(basename "$d")" ] &&
		[ "$(basename "$(readlink "$o/driver")")" = ioasid-pci ] &&
			{ bdf=$(basename "$d"); break 2; }
	done
done

tap_begin vfio
if [ -z "$bdf" ]; then
	tap_skip setup "no edu bound to ioasid-pci"
	tap_end
	exit 0
fi

# The test VM's IOMMU has no interrupt remapping; a small entry limit
# lets the conformance test reach it.
# (vfio's soft dependency may load type1 first, without parameters.)
setup() {
	modprobe vfio_iommu_type1 &&
	echo 1 > /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts &&
	echo 16 > /sys/module/vfio_iommu_type1/parameters/dma_entry_limit &&
	modprobe vfio-pci &&
	insmod "$KMOD/ioasid-vfio.ko" allow_unsafe_interrupts=1 dma_entry_limit=16 &&
	[ "$(cat $P/serve_type1)" = N ] &&
	echo "$bdf" > /sys/bus/pci/drivers/ioasid-pci/unbind &&
	echo vfio-pci > "/sys/bus/pci/devices/$bdf/driver_override" &&
	echo "$bdf" > /sys/bus/pci/drivers_probe &&
	[ "$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")")" = vfio-pci ] &&
	[ -c "/dev/vfio/$(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu_group")")" ]
}
# ioasidctl shows the decision a VFIO attach made (a native-style record).
ctl_shows_decision() {
	"$B/tools/ioasidctl" decisions 2>&1 | tee "$tmp/decisions" |
		grep -q "1234:11e8" || { cat "$tmp/decisions"; return 1; }
}
restore() {
	echo 0 > $P/serve_type1
	echo "$bdf" > "/sys/bus/pci/devices/$bdf/driver/unbind" 2>/dev/null
	echo ioasid-pci > "/sys/bus/pci/devices/$bdf/driver_override" &&
	echo "$bdf" > /sys/bus/pci/drivers_probe &&
	[ "$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")")" = ioasid-pci ] &&
	rmmod ioasid_vfio
}

setup_or_end
export VFIO_BDF=$bdf
echo "# type1_conformance against vfio_iommu_type1"
VFIO_ANSWERS=$tmp/type1 run_prog type1_conformance.type1 \
	"$S/type1_conformance" || rc=1
echo 1 > $P/serve_type1
echo "# type1_conformance against ioasid-vfio"
VFIO_ANSWERS=$tmp/ioasid run_prog type1_conformance.ioasid \
	"$S/type1_conformance" || rc=1
echo "# $(wc -l < "$tmp/type1") answers from type1, $(wc -l < "$tmp/ioasid") from ioasid"
tap_check same_answers same_answers "$tmp" || rc=1
echo "# vfio_ioasid_test"
run_prog vfio_ioasid_test "$S/vfio_ioasid_test" || rc=1
tap_check ioasidctl_decisions ctl_shows_decision || rc=1
tap_check restore restore || rc=1
rm -rf "$tmp"
tap_end && exit $rc
