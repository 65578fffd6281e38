# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the shell suites of selftests/vmm (cases.sh): sourced after
# selftests/lib/tap.sh, with TOP, B and KMOD set. Kept to what an inner
# QEMU+KVM boot with the edu on vfio-pci needs; see docs/vmm.md.

# shellcheck disable=SC2034 # used by the suites that source this
INNER=$TOP/tools/vm/inner-guest
# shellcheck disable=SC2034
CTL=$B/tools/ioasidctl
LIVE_COUNTS="fds objects groups domains pasid_attachments charged_pages accesses access_pins"

refcnt() { cat "/sys/module/$1/refcnt" 2>/dev/null || echo -1; }
stat_val() { cat "/sys/kernel/ioasid/stats/$1" 2>/dev/null || echo -1; }
# "name=value ..." of ioasid's live counts, for before/after comparisons.
live_counts() {
	local c out=""
	for c in $LIVE_COUNTS; do out+="$c=$(stat_val "$c") "; done
	echo "${out% }"
}
# tap_check runs its command in a subshell: for a step whose variables the
# suite needs afterwards, run it in this shell (its output kept as
# diagnostics on failure).
tap_here() { # NAME FUNCTION [ARGS...]
	local name=$1 out rc
	shift
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	tap_check "$name" bash -c "cat '$out'; exit $rc"
	rm -f "$out"
	return $rc
}
check() { # NAME CONDITION-DESCRIPTION TEST...: a TAP result from a test expression
	local name=$1
	CHECK_WHAT=$2
	export CHECK_WHAT
	shift 2
	tap_check "$name" bash -c "$* || { echo \"\$CHECK_WHAT\"; exit 1; }"
}

# KVM flips static keys; the outer QEMU's multi-threaded TCG does not always
# see another vCPU's text patching (docs/vmm.md, "One CPU during the suite"):
# the other CPUs go offline, vmm_lib_cleanup brings them back.
vmm_offline=()
vmm_single_cpu() {
	local c
	for c in /sys/devices/system/cpu/cpu[1-9]*/online; do
		[ -f "$c" ] && [ "$(cat "$c")" = 1 ] || continue
		echo 0 >"$c" || return 1
		vmm_offline+=("$c")
	done
	echo "online: $(cat /sys/devices/system/cpu/online)"
}

# The first edu (1234:11e8) whose group has no other device, or with
# "grouped" the first one sharing its group with another edu (intel-group).
vmm_find_edu() { # [grouped]
	local d o n
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
		n=0
		for o in "$d"/iommu_group/devices/*; do
			[ "$(cat "$o/device" 2>/dev/null)" = 0x11e8 ] && n=$((n + 1))
		done
		if [ "${1:-}" = grouped ]; then [ $n -gt 1 ] || continue; else [ $n -eq 1 ] || continue; fi
		basename "$d"
		return 0
	done
	return 1
}

# Rebind BDF to DRIVER (driver_override); remembers the first driver it had
# in vmm_old_drv[BDF] for vmm_lib_cleanup.
declare -A vmm_old_drv=()
vmm_rebind() { # BDF DRIVER
	local d=/sys/bus/pci/devices/$1 cur
	cur=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	[ -n "${vmm_old_drv[$1]+x}" ] || vmm_old_drv[$1]=$cur
	[ -n "$cur" ] && echo "$1" >"$d/driver/unbind"
	echo "$2" >"$d/driver_override"
	echo "$1" >/sys/bus/pci/drivers_probe
	cur=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	[ "$cur" = "$2" ] || { echo "$1 did not bind to $2 (${cur:-no driver})"; return 1; }
	echo "$1 -> $2, group $(basename "$(readlink "$d/iommu_group")")"
}

# vfio-pci, vfio_iommu_type1 (loaded: a deny must not fall through to it)
# and ioasid-vfio serving type1v2 containers. The test VM's IOMMU has no
# interrupt remapping: both allow unsafe interrupts.
vmm_load_ioasid_vfio() {
	modprobe vfio-pci || return 1
	modprobe vfio_iommu_type1 allow_unsafe_interrupts=1 || return 1
	echo Y >/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts || return 1
	if [ -d /sys/module/ioasid_vfio ]; then
		echo Y >/sys/module/ioasid_vfio/parameters/allow_unsafe_interrupts &&
			echo Y >/sys/module/ioasid_vfio/parameters/serve_type1
		return
	fi
	insmod "$KMOD/ioasid-vfio.ko" serve_type1=1 allow_unsafe_interrupts=1
}

# Undo: serve_type1 back to N (later suites expect type1 to serve), the
# devices back to their drivers, the CPUs online.
vmm_lib_cleanup() {
	local bdf d c
	[ -w /sys/module/ioasid_vfio/parameters/serve_type1 ] &&
		echo N >/sys/module/ioasid_vfio/parameters/serve_type1
	for bdf in "${!vmm_old_drv[@]}"; do
		d=/sys/bus/pci/devices/$bdf
		[ -e "$d/driver" ] && echo "$bdf" >"$d/driver/unbind" 2>/dev/null
		echo "${vmm_old_drv[$bdf]}" >"$d/driver_override"
		[ -n "${vmm_old_drv[$bdf]}" ] && echo "$bdf" >/sys/bus/pci/drivers_probe 2>/dev/null
	done
	for c in ${vmm_offline[@]+"${vmm_offline[@]}"}; do echo 1 >"$c"; done
}

# kmemleak, when the kernel has it (the debug kernel): scan, then print
# the unreferenced objects whose backtrace names ioasid or vfio.
kmemleak_ours() {
	local k=/sys/kernel/debug/kmemleak
	[ -e $k ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	[ -w $k ] || return 2
	echo scan >$k && echo scan >$k
	awk '/^unreferenced object/ { if (o ~ /ioasid|vfio/) printf "%s", o; o = "" } { o = o $0 "\n" }
	     END { if (o ~ /ioasid|vfio/) printf "%s", o }' $k
}
