#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM: load the modules, give the edu devices to ioasid-pci,
# run the named suites' programs (from selftests/manifest) and pass their
# TAP through. Around each program it prints the markers selftests/run
# counts results by:
#   # ioasid-setup ok|FAIL NAME[: why]   a setup step (not a test)
#   # ioasid-program SUITE PROGRAM       a program starts
#   # ioasid-exit SUITE PROGRAM RC SECS  it exited with RC after SECS
# A failing setup step fails the configuration: nothing else runs.
# IOASID_EDU_EXPECTED: how many edu devices must bind to ioasid-pci.
set -u
TOP=${TOP:?}
B=${B:?}
# The modules: the stock build, or the debug kernel's (make check-debug).
KMOD=${IOASID_KMOD:-$TOP/kernel}
export TOP B KMOD BPFTOOL=${BPFTOOL:-$B/deps/bin/bpftool}
S=$B/selftests
MANIFEST=$TOP/selftests/manifest

setup_ok() { echo "# ioasid-setup ok $1"; }
# Marks in the kernel log: tools/vm/scan-log attributes what it finds to
# the program that ran (the DMA faults a program may provoke: manifest).
kmsg() { echo "ioasid-guest: $*" > /dev/kmsg 2>/dev/null || true; }
setup_fail() {
	echo "# ioasid-setup FAIL $1: $2"
	exit 1
}

echo "# guest: $(uname -r), $(nproc) cpus"
# The VMs' IOMMUs have no interrupt remapping: without this every bind of
# an edu is refused (EPERM; pci_access_test checks that).
insmod "$KMOD/ioasid.ko" allow_unsafe_interrupts=1 ||
	setup_fail insmod_ioasid "insmod ioasid.ko failed"
setup_ok insmod_ioasid
# /dev/ioasid is 0660 root:root; the suites model an operator who opened it
# to every user, so that unprivileged callers are tested as hostile.
chmod 0666 /dev/ioasid
insmod "$KMOD/ioasid_test.ko" || setup_fail insmod_ioasid_test "insmod ioasid_test.ko failed"
setup_ok insmod_ioasid_test
insmod "$KMOD/ioasid-pci.ko" || setup_fail insmod_ioasid_pci "insmod ioasid-pci.ko failed"
setup_ok insmod_ioasid_pci

# Give every edu device (1234:11e8) to ioasid-pci.
edus=0 bound=0
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	edus=$((edus + 1))
	echo ioasid-pci > "$d/driver_override"
	echo "$(basename "$d")" > /sys/bus/pci/drivers_probe
	drv=$(basename "$(readlink "$d/driver")")
	echo "# edu $(basename "$d") -> $drv"
	[ "$drv" = ioasid-pci ] && [ -e "/dev/ioasid-dev/$(basename "$d")" ] &&
		bound=$((bound + 1))
	# As for VFIO, other members of the group (a PCI bridge bound to
	# shpchp) must leave the kernel's DMA API: unbind their drivers.
	for o in "$d"/iommu_group/devices/*; do
		drv=$(readlink "$o/driver" 2>/dev/null) || continue
		case $(basename "$drv") in ioasid-pci|pcieport) continue ;; esac
		echo "$(basename "$o")" > "$o/driver/unbind"
		echo "# group member $(basename "$o"): unbound from $(basename "$drv")"
	done
done
want=${IOASID_EDU_EXPECTED:-$edus}
[ "$bound" = "$want" ] ||
	setup_fail edu_bind "$bound of $want edu devices bound to ioasid-pci ($edus present)"
setup_ok "edu_bind $bound"

rc=0
for suite in "$@"; do
	n=0
	while read -r kind tsuite _plan cmd; do
		[ "$kind" = test ] && [ "$tsuite" = "$suite" ] || continue
		n=$((n + 1))
		# The manifest's $S, $B, $TOP and ${VAR:-default}.
		eval "set -- $cmd"
		prog=$(basename "$1")
		echo "# ioasid-program $suite $prog"
		kmsg "program $suite $prog"
		t0=$SECONDS
		"$@" </dev/null 2>&1
		prc=$?
		kmsg "exit $suite $prog $prc"
		echo "# ioasid-exit $suite $prog $prc $((SECONDS - t0))"
		[ $prc -eq 0 ] || rc=1
	done < "$MANIFEST"
	[ $n -gt 0 ] || { echo "# ioasid-setup FAIL suite_$suite: not in the manifest"; rc=1; }
done
kmsg "suites done"

# The VM's last step where the kernel has kmemleak (make check-debug;
# IOASID_KMEMLEAK=1): unload our modules, whose exit runs rcu_barrier()
# (every RCU callback queued until then has run: objects freed through RCU
# are gone), let the objects age past kmemleak's minimum (5 s), scan twice
# and report every unreferenced object. selftests/run turns the line into
# the configuration's kmemleak_clean result.
#   # ioasid-kmemleak ok|FAIL|skip SCANS LEAKS [why]
kmemleak_end() {
	local f=/sys/kernel/debug/kmemleak m i leaks busy=
	[ -e $f ] || { echo "# ioasid-kmemleak skip 0 0 kernel without kmemleak"; return 0; }
	for m in ioasid_kunit ioasid_vfio ioasid_test ioasid_pci ioasid; do
		[ -e /sys/module/$m ] || continue
		# struct_ops maps and links go asynchronously: retry.
		for i in $(seq 1 50); do
			rmmod $m 2>/dev/null && break
			sleep 0.1
		done
		[ -e /sys/module/$m ] && busy+=" $m($(cat /sys/module/$m/refcnt 2>/dev/null))"
	done
	if [ -n "$busy" ]; then
		echo "# ioasid-kmemleak FAIL 0 0 modules still in use at the end (no RCU barrier):$busy; bpffs: $(ls /sys/fs/bpf 2>/dev/null | tr '\n' ' ')"
		lsmod
		return 1
	fi
	kmsg "rcu barrier done (modules unloaded), scanning for leaks"
	sleep 6
	echo scan > $f && echo scan > $f || {
		echo "# ioasid-kmemleak FAIL 0 0 scan refused (kmemleak disabled itself?)"
		return 1
	}
	leaks=$(grep -c '^unreferenced object' $f)
	if [ "$leaks" -gt 0 ]; then
		head -n 120 $f | sed 's/^/# kmemleak: /'
		echo "# ioasid-kmemleak FAIL 2 $leaks unreferenced objects"
		return 1
	fi
	echo "# ioasid-kmemleak ok 2 0"
}
if [ -n "${IOASID_KMEMLEAK:-}" ]; then
	kmemleak_end || rc=1
fi
exit $rc
