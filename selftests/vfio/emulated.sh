#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The vfio-emu suite (docs/vfio.md, "Emulated-IOMMU devices"): the test
# module's emulated-IOMMU VFIO device (ioasid_test_vfio.ko) in a type1v2
# container. vfio_emulated_test runs unchanged against vfio_iommu_type1
# (serve_type1=0) and against ioasid-vfio (serve_type1=1, its pins then
# an ioasid access's, checked in ioasid's live counts); both answer sets
# must be equal. Then the deny case: with emu_deny.bpf.o loaded (it
# denies driver ioasid_test_vfio, EACCES), SET_IOMMU still succeeds and
# ioasid-vfio serves (type1 not), but every pin and dma_rw fails with
# EACCES exactly (vfio_emu_deny 13) and ioasidctl decisions shows the deny
# with its reason; unloaded, a new container pins again (vfio_emu_deny 0).
# Needs no IOMMU and no edu.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/common.sh"
S=${B:?}/selftests
KMOD=${KMOD:-$TOP/kernel}
P=/sys/module/ioasid_vfio/parameters
CTL=$B/tools/ioasidctl
REASON="emu_deny: no ioasid_test_vfio in containers"
tmp=$(mktemp -d)
rc=0

setup() {
	modprobe vfio_iommu_type1 &&
	{ [ -d /sys/module/ioasid_vfio ] || insmod "$KMOD/ioasid-vfio.ko"; } &&
	echo 0 > $P/serve_type1 &&
	insmod "$KMOD/ioasid_test_vfio.ko" &&
	[ -L /sys/bus/platform/devices/ioasid_test_vfio/iommu_group ] &&
	[ -c "/dev/vfio/$(basename "$(readlink /sys/bus/platform/devices/ioasid_test_vfio/iommu_group)")" ]
}
restore() {
	"$CTL" policy unload emu_deny >/dev/null 2>&1
	echo 0 > $P/serve_type1 &&
	rmmod ioasid_test_vfio &&
	rmmod ioasid_vfio
}

tap_begin vfio-emu
setup_or_end
# Under the debug kernel (IOASID_KMOD set by make check-debug) the type1
# half is not run: vfio_iommu_type1 (6.12) itself gives a lockdep report
# when a driver unpins in dma_unmap, as the emulated-device contract
# requires (docs/vfio.md). Its results are counted as SKIPs.
NOTYPE1=
[ -z "${IOASID_KMOD:-}" ] ||
	NOTYPE1="vfio_iommu_type1 (6.12) trips lockdep here: type1 half under make check only"
if [ -z "$NOTYPE1" ]; then
	echo "# vfio_emulated_test against vfio_iommu_type1"
	VFIO_ANSWERS=$tmp/type1 run_prog vfio_emulated_test.type1 \
		"$S/vfio_emulated_test" || rc=1
fi
echo 1 > $P/serve_type1
echo "# vfio_emulated_test against ioasid-vfio"
VFIO_ANSWERS=$tmp/ioasid IOASID_SERVES=1 RUN_PROG_SAVE=$tmp/ioasid.tap \
	run_prog vfio_emulated_test.ioasid "$S/vfio_emulated_test" || rc=1
if [ -z "$NOTYPE1" ]; then
	echo "# $(wc -l < "$tmp/type1") answers from type1, $(wc -l < "$tmp/ioasid") from ioasid"
	tap_check same_answers same_answers "$tmp" || rc=1
else
	echo "# vfio_emulated_test against vfio_iommu_type1: not run"
	skip_like "$tmp/ioasid.tap" "$NOTYPE1" || rc=1
	tap_skip same_answers "$NOTYPE1"
fi
# The deny case, ioasid serving (serve_type1=1 still).
decided_deny() {
	"$CTL" decisions > "$tmp/decisions" 2>&1 || return 1
	grep 'sw:ioasid_test_vfio' "$tmp/decisions" | tail -n 2
	grep 'sw:ioasid_test_vfio ' "$tmp/decisions" | tail -n 1 |
		grep -q "deny (EACCES) by emu_deny: $REASON"
}
if tap_check deny.policy_loaded "$CTL" policy load "$S/emu_deny.bpf.o"; then
	echo "# vfio_emu_deny: emu_deny denies ioasid_test_vfio"
	run_prog vfio_emu_deny.denied "$S/vfio_emu_deny" 13 || rc=1
	tap_check deny.decision_has_reason decided_deny || rc=1
	tap_check deny.policy_unloaded "$CTL" policy unload emu_deny || rc=1
else
	rc=1
	tap_skip deny.decision_has_reason "no policy"
	tap_skip deny.policy_unloaded "no policy"
fi
echo "# vfio_emu_deny: no policy denies, a new container pins"
run_prog vfio_emu_deny.allowed "$S/vfio_emu_deny" 0 || rc=1
tap_check restore restore || rc=1
rm -rf "$tmp"
tap_end && exit $rc
