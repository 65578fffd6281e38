#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM: load the modules, run the named suites, print TAP.
# A suite that exits non-zero without reporting a failing test gets a
# synthetic "not ok" so a crash never passes silently.
set -u
TOP=${TOP:?}
B=${B:?}
# The modules: the stock build, or the debug kernel's (make check-debug).
KMOD=${IOASID_KMOD:-$TOP/kernel}
export TOP B KMOD BPFTOOL=${BPFTOOL:-$B/deps/bin/bpftool}
S=$B/selftests
. "$TOP/selftests/lib/tap.sh"

# One command per line: a suite may run several programs.
suite_cmd() {
	case $1 in
	module) echo "$S/module_test" ;;
	policy) printf '%s\n' "$S/policy_test" "$S/policy_device_test" "$S/policy_flush_test" \
		"$S/decisions_test" ;;
	defaults) echo "$S/defaults_test" ;;
	lib) printf '%s\n' "$B/libioasidbpf/lib_test" "$B/libioasidbpf/lib_shared_test" ;;
	ioas) echo "$TOP/selftests/ioas/run.sh" ;;
	device) printf '%s\n' "$S/device_test" "$S/device_errno_test" "$S/device_nesting_test" ;;
	group) echo "$S/group_test" ;;
	mock) printf '%s\n' "$S/access_test" "$S/pasid_test" ;;
	unplug) echo "$S/unplug_test edu0" ;;
	bpftool) echo "$TOP/selftests/policy/bpftool.sh" ;;
	ctl) echo "$TOP/selftests/ctl/ctl_test.py" ;;
	kunit) echo "$TOP/selftests/kunit/kunit.sh" ;;
	priv) echo "$S/priv_test" ;;
	stress) printf '%s\n' "$S/stress_test ${IOASID_STRESS_SECONDS:-15}" "$S/destroy_race_test" ;;
	fuzz) echo "$S/fuzz_test ${IOASID_FUZZ_COUNT:-20000}" ;;
	failnth) echo "$S/failnth_test" ;;
	docs) echo "$TOP/selftests/docs/docs_test.sh" ;;
	unload) echo "$TOP/selftests/module/unload.sh" ;;
	vfio) echo "$TOP/selftests/vfio/run.sh" ;;
	*) return 1 ;;
	esac
}

echo "# guest: $(uname -r), $(nproc) cpus"
if ! insmod "$KMOD/ioasid.ko"; then
	echo "not ok 1 setup.insmod_ioasid"
	exit 1
fi
echo "ok 1 setup.insmod_ioasid"
# /dev/ioasid is 0660 root:root; the suites model an operator who opened it
# to every user, so that unprivileged callers are tested as hostile.
chmod 0666 /dev/ioasid
if ! insmod "$KMOD/ioasid_test.ko"; then
	echo "not ok 2 setup.insmod_ioasid_test"
	exit 1
fi
echo "ok 2 setup.insmod_ioasid_test"
if ! insmod "$KMOD/ioasid-pci.ko"; then
	echo "not ok 3 setup.insmod_ioasid_pci"
	exit 1
fi
echo "ok 3 setup.insmod_ioasid_pci"

# Give every edu device (1234:11e8) to ioasid-pci.
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	echo ioasid-pci > "$d/driver_override"
	echo "$(basename "$d")" > /sys/bus/pci/drivers_probe
	echo "# edu $(basename "$d") -> $(basename "$(readlink "$d/driver")")"
	# As for VFIO, other members of the group (a PCI bridge bound to
	# shpchp) must leave the kernel's DMA API: unbind their drivers.
	for o in "$d"/iommu_group/devices/*; do
		drv=$(readlink "$o/driver" 2>/dev/null) || continue
		case $(basename "$drv") in ioasid-pci|pcieport) continue ;; esac
		echo "$(basename "$o")" > "$o/driver/unbind"
		echo "# group member $(basename "$o"): unbound from $(basename "$drv")"
	done
done

rc=0
for suite in "$@"; do
	cmds=$(suite_cmd "$suite") || { echo "not ok 1 $suite.unknown_suite"; rc=1; continue; }
	while read -r cmd; do
		echo "# suite $suite: $cmd"
		# shellcheck disable=SC2086
		tap_run_program "$suite" $cmd </dev/null || rc=1
	done <<< "$cmds"
done
exit $rc
