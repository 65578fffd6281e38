#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fail_nth for the VFIO backend (part of the failnth suite, debug kernel):
# ioasid-vfio serves type1v2 containers with vfio_iommu_type1 unloaded, so
# a failed attach fails SET_IOMMU instead of falling through to type1, and
# the test module's emulated device drives pins, copies and dma_unmap
# callbacks. vfio_failnth_test runs the sequences; kmemleak is asked
# afterwards for leaks with an ioasid or vfio frame.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/common.sh"
S=${B:?}/selftests
KMOD=${KMOD:-$TOP/kernel}
KL=/sys/kernel/debug/kmemleak
rc=0

# Every allocation may fail (not only atomic ones), quietly: the splats
# are what the log scan looks for. As failnth_test sets them.
knobs() {
	local d=/sys/kernel/debug
	[ -d $d/failslab ] || return 0
	echo N > $d/failslab/ignore-gfp-wait &&
	echo N > $d/fail_page_alloc/ignore-gfp-wait &&
	echo N > $d/fail_page_alloc/ignore-gfp-highmem &&
	echo 0 > $d/failslab/verbose &&
	echo 0 > $d/fail_page_alloc/verbose &&
	echo 0 > $d/fail_usercopy/verbose
}
setup() {
	knobs &&
	modprobe vfio &&
	{ ! [ -d /sys/module/vfio_iommu_type1 ] || rmmod vfio_iommu_type1; } &&
	insmod "$KMOD/ioasid-vfio.ko" serve_type1=1 dma_entry_limit=16 &&
	insmod "$KMOD/ioasid_test_vfio.ko" &&
	[ -L /sys/bus/platform/devices/ioasid_test_vfio/iommu_group ]
}
# Unreferenced objects allocated under ioasid or vfio code.
no_leaks() {
	[ -e $KL ] || return 0
	sleep 6
	echo scan > $KL
	echo scan > $KL
	awk '/^unreferenced object/ { if (bad) n++; bad = 0; blk = "" }
	     { blk = blk "\n" $0 } /ioasid|vfio/ { bad = 1 }
	     END { if (bad) n++; if (n) { print blk; exit 1 } }' $KL
}
restore() {
	rmmod ioasid_test_vfio &&
	rmmod ioasid_vfio
}

tap_begin vfio-failnth
setup_or_end
"$S/vfio_failnth_test" || rc=1
tap_check kmemleak no_leaks || rc=1
tap_check restore restore || rc=1
tap_end && exit $rc
