#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmm cases: an unmodified QEMU with KVM (tools/vm/inner-guest) and the
# VFIO container served by ioasid-vfio (serve_type1=1, vfio_iommu_type1
# loaded too), in the cases an operator meets besides the happy path. See
# docs/vmm.md ("Cases: deny, hot-unplug, bad input").
#
# Arguments: the cases to run, in order:
#   deny    a loaded BPF policy (vmm_deny.bpf.o) denies 1234:11e8 on
#           vfio-pci: QEMU exits with the VFIO error before the inner guest
#           boots, type1 did not serve, the decision carries the reason;
#           again with type1 unloaded: QEMU prints the policy's errno
#   unplug  one inner boot (held); QMP device_del of the assigned edu, then
#           SIGKILL: every pin, charge and object of ioasid released, the
#           group can be taken again, no kmemleak report (debug kernel)
#   paused  QEMU started paused (-S: no inner boot) with the edu: its RAM
#           is mapped and charged at device realize; SIGKILL releases it,
#           no kmemleak report (the debug kernel's case: an inner boot
#           there takes longer than its timeout)
#   bad     vfio_bad_input: bad fds, groups and JOIN_IOAS arguments
#           (config intel-group: its two-edu group for the viability cases)
set -u
here=$(cd "$(dirname "$0")" && pwd)
TOP=${TOP:-$(cd "$here/../.." && pwd)}
KMOD=${KMOD:-$TOP/kernel}
B=${B:-$TOP/build}
S=$B/selftests
LOGS=$B/selftests/logs
mkdir -p "$LOGS"
. "$here/../lib/tap.sh"
. "$here/lib.sh"
tap_begin vmm-cases

INNER_MEM_MB=256
work=$(mktemp -d /tmp/vmm-cases.XXXXXX)
edu=""
cleanup() {
	[ -s "$work/qemu.pid" ] && kill -9 "$(cat "$work/qemu.pid")" 2>/dev/null
	"$CTL" policy unload vmm_deny >/dev/null 2>&1
	[ -d /sys/module/vmm_edu ] && rmmod vmm_edu
	vmm_lib_cleanup
	rm -rf "$work"
}
trap cleanup EXIT

cases=${*:-deny unplug}

# --- setup ---------------------------------------------------------------
setup() {
	if [[ " $cases " =~ \ (deny|unplug|paused)\  ]]; then
		vmm_single_cpu || return 1
		modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
		[ -c /dev/kvm ] || { echo "no /dev/kvm"; return 1; }
	fi
	if [[ " $cases " =~ \ bad\  ]]; then
		edu=$(vmm_find_edu grouped) || edu=$(vmm_find_edu) || edu=""
	else
		edu=$(vmm_find_edu) || edu=""
	fi
	[ -n "$edu" ] || { echo "no edu (1234:11e8) in the test VM"; return 1; }
	vmm_load_ioasid_vfio || return 1
	vmm_rebind "$edu" vfio-pci
}
tap_here setup setup || { tap_end; exit 1; }

# --- deny ----------------------------------------------------------------
# QEMU 7.2 adds the group to a new container (SET_CONTAINER) and asks for
# type1v2 (SET_IOMMU); ioasid-vfio asks the policies, vmm_deny refuses
# with EACCES, the group is quarantined, vfio tries vfio_iommu_type1 next,
# whose attach fails with EBUSY on the quarantine domain: QEMU prints the
# last driver's errno (docs/vfio.md, "What a deny looks like").
# QEMU with the edu, refused: inner-guest's output in $work/TAG.out, its
# exit status in $deny_rc, the seconds it took in $deny_secs.
denied_qemu() { # TAG
	local start=$SECONDS
	rm -f "$LOGS/vmm-cases-$1.console.log"
	"$INNER" --edu "$edu" --mem ${INNER_MEM_MB}M --timeout 300 \
		--log "$LOGS/vmm-cases-$1.console.log" -- "never_reached=true" >"$work/$1.out" 2>&1
	deny_rc=$? deny_secs=$((SECONDS - start))
	grep -v '^# inner-guest: qemu pid' "$work/$1.out" | tail -n 8 | sed 's/^/# /'
	echo "# $1: inner-guest exit $deny_rc after ${deny_secs}s"
}
# QEMU's words for a failed VFIO_SET_IOMMU, with the errno text.
qemu_error() { # ERRNO-TEXT
	echo "# qemu: .*vfio $edu: failed to setup container for group [0-9]*: Failed to set iommu for container: $1"
}

deny_case() {
	local t1 ours live0 qsecs reason="vmm_deny: no edu for VMMs through vfio-pci"
	tap_check deny.policy_loaded "$CTL" policy load "$S/vmm_deny.bpf.o" || return
	t1=$(refcnt vfio_iommu_type1) ours=$(refcnt ioasid_vfio) live0=$(live_counts)
	denied_qemu deny
	check deny.qemu_refused "inner-guest exit $deny_rc (2: QEMU refused to start)" \
		"[ $deny_rc -eq 2 ] && ! grep -q '^ok ' '$work/deny.out'"
	check deny.qemu_names_failure "no VFIO container error from QEMU" \
		"grep -q '$(qemu_error "Device or resource busy")' '$work/deny.out'"
	# QEMU's own run time (inner-guest's setup aside): an inner boot takes
	# a minute to reach the inner kernel, its console log stays empty.
	qsecs=$(sed -n 's/^# inner-guest: qemu exited [0-9]* after \([0-9]*\)s$/\1/p' "$work/deny.out")
	check deny.before_inner_boot "QEMU ran ${qsecs:-?}s, or the inner guest printed" \
		"[ ${qsecs:-999} -lt 30 ] && [ ! -s '$LOGS/vmm-cases-deny.console.log' ]"
	check deny.not_served_by_type1 "vfio_iommu_type1 refcnt $t1 -> $(refcnt vfio_iommu_type1)" \
		"[ $(refcnt vfio_iommu_type1) -eq $t1 ]"
	check deny.not_served_by_ioasid "ioasid_vfio refcnt $ours -> $(refcnt ioasid_vfio)" \
		"[ $(refcnt ioasid_vfio) -eq $ours ]"
	check deny.nothing_charged "live counts before: $live0; after: $(live_counts)" \
		"[ '$(live_counts)' = '$live0' ]"
	"$CTL" decisions >"$work/decisions" 2>&1
	grep 1234:11e8 "$work/decisions" | tail -n 2 | sed 's/^/# /'
	check deny.decision_has_reason "no deny (EACCES) by vmm_deny with its reason in ioasidctl decisions" \
		"grep ' 1234:11e8 $edu ' '$work/decisions' | grep -q 'deny (EACCES) by vmm_deny: $reason'"
	check deny.kernel_log_has_reason "no 'not served' line in the kernel log" \
		"dmesg | grep '$edu' | grep -q 'ioasid-vfio: not served: -13 ($reason)'"
	# With ioasid-vfio the only VFIO IOMMU driver, QEMU gets the policy's
	# errno itself; type1 comes back first and ioasid-vfio after it
	# (the load order VFIO needs: docs/vfio.md).
	tap_check deny.type1_unloaded rmmod vfio_iommu_type1
	denied_qemu deny-only-ioasid
	check deny.only_ioasid.qemu_gets_policy_errno "QEMU did not print EACCES's text" \
		"grep -q '$(qemu_error "Permission denied")' '$work/deny-only-ioasid.out'"
	tap_check deny.load_order_restored bash -c "modprobe vfio_iommu_type1 allow_unsafe_interrupts=1 &&
		rmmod ioasid_vfio && insmod '$KMOD/ioasid-vfio.ko' serve_type1=1 allow_unsafe_interrupts=1"
	tap_check deny.policy_unloaded "$CTL" policy unload vmm_deny
	# Nothing left behind: the group is taken (and served by ioasid) at once.
	tap_check deny.group_usable_after python3 "$here/vfio_reopen.py" "$edu"
}

# --- paused: SIGKILL of a QEMU that never ran its guest ----------------------
# SIGKILL, then: QEMU gone, every count back, the group free, no leak.
sigkill_released() { # TAG QPID LIVE0
	local n
	kill -9 "$2"
	for ((n = 0; n < 80; n++)); do [ -d "/proc/$2" ] || break; sleep 0.25; done
	check "$1.sigkill.qemu_gone" "qemu $2 still exists" "[ ! -d /proc/$2 ]"
	for ((n = 0; n < 40; n++)); do [ "$(stat_val charged_pages)" -eq 0 ] && break; sleep 0.25; done
	check "$1.sigkill.live_counts_back" "$(live_counts), was $3" \
		"[ '$(live_counts)' = '$3' ] && [ $(stat_val charged_pages) -eq 0 ] && [ $(stat_val groups) -eq 0 ]"
	tap_check "$1.sigkill.vfio_group_usable_again" python3 "$here/vfio_reopen.py" "$edu"
	if kmemleak_ours >"$work/leaks"; then
		check "$1.no_kmemleak_report" "kmemleak reports ioasid or vfio objects:" \
			"[ ! -s '$work/leaks' ] || { head -n 40 '$work/leaks'; false; }"
	else
		tap_skip "$1.no_kmemleak_report" "no kmemleak in this kernel"
	fi
}

paused_case() {
	local ours live0 qpid n charged want=$((INNER_MEM_MB * 256))
	ours=$(refcnt ioasid_vfio) live0=$(live_counts)
	[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
	rm -f "$work/qemu.pid"
	qemu-system-x86_64 -S -nodefaults -no-user-config -display none -name paused \
		-machine q35,accel=kvm -cpu host -m ${INNER_MEM_MB}M \
		-device "vfio-pci,host=$edu,id=hostdev0" -pidfile "$work/qemu.pid" \
		>"$work/paused.out" 2>&1 </dev/null &
	for ((n = 0; n < 240; n++)); do
		[ "$(stat_val charged_pages)" -ge $want ] && [ -s "$work/qemu.pid" ] && break
		kill -0 $! 2>/dev/null || break
		sleep 0.5
	done
	charged=$(stat_val charged_pages)
	sed 's/^/# qemu: /' "$work/paused.out" | head -n 5
	check paused.served_and_charged \
		"ioasid_vfio refcnt $ours -> $(refcnt ioasid_vfio), charged_pages $charged (want >= $want)" \
		"[ $(refcnt ioasid_vfio) -gt $ours ] && [ $charged -ge $want ]"
	qpid=$(cat "$work/qemu.pid" 2>/dev/null) || qpid=$!
	sigkill_released paused "$qpid" "$live0"
	wait 2>/dev/null
}

# --- unplug --------------------------------------------------------------
unplug_case() {
	local ours live0 pid qpid start charged n mon=$work/qmp.sock out=$work/unplug.out
	local log=$LOGS/vmm-cases-unplug.console.log
	ours=$(refcnt ioasid_vfio) live0=$(live_counts)
	[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
	start=$SECONDS
	"$INNER" --edu "$edu" --mem ${INNER_MEM_MB}M --timeout 600 --pidfile "$work/qemu.pid" \
		--log "$log" --hold --monitor "$mon" --file "$here/mod/vmm_edu.ko" -- \
		"edu_probe=insmod vmm_edu.ko && ls /sys/bus/pci/drivers/vmm_edu | grep :" \
		"edu_dma_roundtrip=echo 7 >/sys/module/vmm_edu/parameters/roundtrip && dmesg | grep 'round trip'" \
		>"$out" 2>&1 &
	pid=$!
	for ((n = 0; n < 1100; n++)); do
		grep -q '^1\.\.[0-9]' "$out" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.5
	done
	echo "# unplug: inner results after $((SECONDS - start))s"
	grep -E '^(ok|not ok) ' "$out" | sed 's/^/# inner: /'
	if ! check unplug.inner_dma_roundtrip "inner results: $(grep -cE '^ok ' "$out") ok" \
		"grep -q '^ok 2 edu_dma_roundtrip' '$out'"; then
		tail -n 20 "$out" | sed 's/^/# /'
		[ -s "$work/qemu.pid" ] && kill -9 "$(cat "$work/qemu.pid")"
		wait $pid
		return
	fi
	qpid=$(cat "$work/qemu.pid")
	charged=$(stat_val charged_pages)
	check unplug.served_and_charged "ioasid_vfio refcnt $ours -> $(refcnt ioasid_vfio), charged_pages $charged" \
		"[ $(refcnt ioasid_vfio) -gt $ours ] && [ $charged -ge $((INNER_MEM_MB * 256)) ]"
	# ACPI hotplug of q35's root port: the inner kernel ejects the device,
	# then QEMU drops its VFIO device, group and container.
	tap_check unplug.device_deleted python3 "$here/qmp.py" "$mon" device_del '{"id": "hostdev0"}' \
		--event DEVICE_DELETED --timeout 240
	for ((n = 0; n < 40; n++)); do
		[ "$(refcnt ioasid_vfio)" -eq "$ours" ] && [ "$(stat_val charged_pages)" -eq 0 ] && break
		sleep 0.5
	done
	echo "# unplug: after device_del ($((SECONDS - start))s): $(live_counts)"
	check unplug.released_while_qemu_runs \
		"ioasid_vfio refcnt $(refcnt ioasid_vfio) (was $ours), $(live_counts) (was $live0)" \
		"[ $(refcnt ioasid_vfio) -eq $ours ] && [ '$(live_counts)' = '$live0' ] && kill -0 $qpid"
	sigkill_released unplug "$qpid" "$live0"
	wait $pid
	echo "# unplug: inner-guest exit $? after $((SECONDS - start))s"
}

# --- bad input -------------------------------------------------------------
bad_case() {
	local sib="" o rc
	# Another edu of the group (intel-group): the non-viable cases.
	for o in "/sys/bus/pci/devices/$edu"/iommu_group/devices/*; do
		[ "$(basename "$o")" != "$edu" ] && [ "$(cat "$o/device")" = 0x11e8 ] &&
			{ sib=$(basename "$o"); break; }
	done
	VFIO_BDF=$edu VFIO_SIBLING=$sib VMM_EDU_KO=$here/mod/vmm_edu.ko \
		"$S/vfio_bad_input" 2>&1 | tee "$work/bad.out"
	rc=${PIPESTATUS[0]}
	# A crash must not pass: a non-zero exit without a failing result is one.
	grep -q '^not ok' "$work/bad.out" && _tap_fail=$((_tap_fail + 1))
	[ "$rc" -eq 0 ] || grep -q '^not ok' "$work/bad.out" ||
		check bad.exit_status "vfio_bad_input exited $rc" false
}

for c in $cases; do
	case $c in
	deny) deny_case ;;
	unplug) unplug_case ;;
	paused) paused_case ;;
	bad) bad_case ;;
	*) tap_check "case_$c" bash -c "echo 'cases: deny, unplug, paused, bad'; false" ;;
	esac
done
tap_end
