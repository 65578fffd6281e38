#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The vmm suite: an unmodified QEMU with KVM, run inside the test VM, boots
# an inner guest from the stock kernel with the edu assigned through
# -device vfio-pci (tools/vm/inner-guest), and the KVM contract is observed
# from outside ioasid. See docs/vmm.md.
#
# Arguments: BOOTS (novi, viommu), BACKEND and POLICIES, as the manifest
# gives them.
# IOASID_VFIO_BACKEND (or the second argument) selects the module that
# serves the VFIO container:
#   vfio_iommu_type1 (default)  the kernel's type1 backend
#   ioasid-vfio                 ioasid's backend ($KMOD/ioasid-vfio.ko or
#                               $KMOD/vfio/ioasid-vfio.ko, loaded with
#                               $IOASID_VFIO_BACKEND_ARGS, by default
#                               serve_type1=1 allow_unsafe_interrupts=1;
#                               serve_type1 is set back to N at the end)
# IOASID_VMM_EXPECT_FLUSH=0|1 overrides the expectation that a guest WBINVD
# is flushed (default: flushed exactly when the test VM's IOMMU lacks snoop
# control, which is what the built-in policy and type1 give).
# POLICIES (or IOASID_VMM_POLICIES), with ioasid-vfio: the policy states to
# boot each of BOOTS in, one after the other, comma or space separated (the
# KVM contract):
#   builtin   no policy registered: the built-in decides
#   nosnoop   nosnoop_rules loaded with the operator's rule
#             "1234:11e8 allow flush" (no-snoop, flush granted): the next
#             QEMU's attach is decided non-coherent and KVM is told, so
#             the guest's WBINVD is flushed whatever the IOMMU's snoop
#             control
# Each state adds its checks of `ioasidctl decisions` and of KVM's
# non-coherent DMA registrations (kprobes), balanced at SIGKILL.
set -u
here=$(cd "$(dirname "$0")" && pwd)
TOP=${TOP:-$(cd "$here/../.." && pwd)}
KMOD=${KMOD:-$TOP/kernel}
B=${B:-$TOP/build}
mkdir -p "$B/selftests/logs"
. "$here/../lib/tap.sh"
. "$here/lib.sh"
tap_begin vmm

MODS=$here/mod
BACKEND=${IOASID_VFIO_BACKEND:-${2:-vfio_iommu_type1}}
WBINVDS=1000	# WBINVDs the inner guest executes per boot
STORM=50	# viommu boots: vmm_edu mapstorm cycles (dma_map_page+unmap)
INNER_MEM_MB=256
T=/sys/kernel/tracing
work=$(mktemp -d /tmp/vmm.XXXXXX)
edu="" old_drv="" policies_loaded="" inserted=""

cleanup() {
	[ -s "$work/qemu.pid" ] && kill -9 "$(cat "$work/qemu.pid")" 2>/dev/null
	if [ -d "$T/events/vmm" ]; then
		echo 0 >"$T/events/vmm/enable" 2>/dev/null
		for p in kvm_wbinvd wbinvd_ipi kvm_reg kvm_unreg be_map be_unmap; do
			echo "-:vmm/$p" >>"$T/kprobe_events" 2>/dev/null
		done
	fi
	[ -n "$policies_loaded" ] && policy_state builtin >/dev/null 2>&1
	# Give the edu back to the driver it had (the suites' ioasid-pci).
	if [ -n "$edu" ] && [ -n "$old_drv" ]; then
		d=/sys/bus/pci/devices/$edu
		[ -e "$d/driver" ] && echo "$edu" >"$d/driver/unbind" 2>/dev/null
		echo "$old_drv" >"$d/driver_override"
		echo "$edu" >/sys/bus/pci/drivers_probe 2>/dev/null
	fi
	for c in ${vmm_offline[@]+"${vmm_offline[@]}"}; do echo 1 >"$c"; done
	if [ -n "$inserted" ]; then
		# Its containers went with QEMU; module references may lag a moment.
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			rmmod "$inserted" 2>/dev/null && break
			sleep 0.5
		done
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# --- helpers ----------------------------------------------------------------
# kprobe hit counts: "event hits misses" lines of kprobe_profile (the
# event's name without its group).
hits() { awk -v e="${1#*/}" '$1 == e { print $2; f = 1 } END { if (!f) print -1 }' "$T/kprobe_profile"; }
meminfo() { # KEY, in MiB, after dropping the page cache (QEMU's binary, read over 9p)
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk -v k="$1:" '$1 == k { print int($2 / 1024) }' /proc/meminfo; }
# Pass the inner guest's TAP lines on as this suite's results, prefixed.
# The TAP a program of ioasid_tap_tests prints in the inner guest (its
# output, "# " lines there) is relayed too, as PREFIX.PROGRAM.TEST.
relay() { # PREFIX FILE
	local line sub=""
	while IFS= read -r line; do
		if [[ $line =~ ^#\ ([A-Za-z0-9_.-]+):\ started\ at\ inner\ uptime ]]; then
			sub=""
			[[ " ${ioasid_tap_tests[*]} " == *" ${BASH_REMATCH[1]} "* ]] && sub=${BASH_REMATCH[1]}
			echo "$line"
		elif [ -n "$sub" ] && [[ $line =~ ^#\ (not\ )?ok\ [0-9]+\ (.*)$ ]]; then
			_tap_n=$((_tap_n + 1))
			if [ -n "${BASH_REMATCH[1]}" ]; then
				_tap_fail=$((_tap_fail + 1))
				echo "not ok $_tap_n vmm.$1.$sub.${BASH_REMATCH[2]}"
			else
				echo "ok $_tap_n vmm.$1.$sub.${BASH_REMATCH[2]}"
			fi
		elif [[ $line =~ ^ok\ [0-9]+\ (.*)$ ]]; then
			_tap_n=$((_tap_n + 1))
			echo "ok $_tap_n vmm.$1.${BASH_REMATCH[1]}"
		elif [[ $line =~ ^not\ ok\ [0-9]+\ (.*)$ ]]; then
			_tap_n=$((_tap_n + 1))
			_tap_fail=$((_tap_fail + 1))
			echo "not ok $_tap_n vmm.$1.${BASH_REMATCH[1]}"
		else
			echo "# $line"
		fi
	done <"$2"
}

# --- setup: one CPU, KVM, the edu on vfio-pci, the backend, the probes -------
# KVM flips static keys (kvm_amd's static calls at load, the scheduler's
# preempt-notifier key on every VM creation and destruction). The outer
# QEMU's multi-threaded TCG does not always see another vCPU's text patching:
# observed once, an int3 oops in __schedule right after the inner QEMU
# started. With the other CPUs offline the patching is local.
vmm_single_cpu >/dev/null 2>&1 || tap_check single_cpu vmm_single_cpu
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
# Measured to work in these configurations (TCG emulates SVM): absent is a failure.
if ! tap_check kvm_available test -c /dev/kvm; then
	tap_end
	exit 1
fi

for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	edu=$(basename "$d")
	break
done
bind_vfio() {
	local d=/sys/bus/pci/devices/$edu
	[ -n "$edu" ] || { echo "no edu (1234:11e8) in the test VM"; return 1; }
	modprobe vfio-pci || return 1
	old_drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	[ -n "$old_drv" ] && echo "$edu" >"$d/driver/unbind"
	echo vfio-pci >"$d/driver_override"
	echo "$edu" >/sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink "$d/driver")")" = vfio-pci ] || { echo "$edu did not bind to vfio-pci"; return 1; }
	echo "edu $edu: ${old_drv:-no driver} -> vfio-pci, group $(basename "$(readlink "$d/iommu_group")")"
}
tap_check edu_to_vfio_pci bind_vfio || { tap_end; exit 1; }

load_backend() {
	# The test VM's IOMMU has no interrupt remapping (intremap=off): type1
	# refuses MSI-capable devices unless told otherwise.
	modprobe vfio_iommu_type1 allow_unsafe_interrupts=1 || return 1
	echo Y >/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts || return 1
	case $BACKEND in
	vfio_iommu_type1) ;;
	ioasid-vfio)
		if [ -d /sys/module/ioasid_vfio ]; then
			# Loaded by an earlier suite: the operator's switch, at run time.
			echo Y >/sys/module/ioasid_vfio/parameters/allow_unsafe_interrupts &&
				echo Y >/sys/module/ioasid_vfio/parameters/serve_type1
			return
		fi
		local ko
		for ko in "$KMOD/ioasid-vfio.ko" "$KMOD/vfio/ioasid-vfio.ko"; do
			[ -f "$ko" ] || continue
			# shellcheck disable=SC2086 # the arguments are words
			insmod "$ko" ${IOASID_VFIO_BACKEND_ARGS:-serve_type1=1 allow_unsafe_interrupts=1}
			return
		done
		echo "ioasid-vfio.ko not found under $KMOD"
		return 1 ;;
	*) echo "IOASID_VFIO_BACKEND=$BACKEND: vfio_iommu_type1 or ioasid-vfio"; return 1 ;;
	esac
}
# A backend module this suite inserted goes again at the end (the unload
# suite expects ioasid's modules to be its own).
[ "$BACKEND" = ioasid-vfio ] && [ ! -d /sys/module/ioasid_vfio ] && inserted=ioasid_vfio
tap_check "backend_${BACKEND//-/_}_loaded" load_backend || { tap_end; exit 1; }
backend_mod=${BACKEND//-/_}

probes() {
	# wbinvd_ipi is KVM's flush itself (kvm_emulate_wbinvd_noskip and the
	# vcpu_load path call it on every CPU that needs a flush; without
	# registered non-coherent DMA neither does). kvm_emulate_wbinvd is the
	# exit handler: it shows the WBINVD reached KVM at all.
	echo 'p:vmm/kvm_wbinvd kvm:kvm_emulate_wbinvd' >>"$T/kprobe_events" || return 1
	echo 'p:vmm/wbinvd_ipi kvm:wbinvd_ipi' >>"$T/kprobe_events" || return 1
	# Who tells KVM of non-coherent DMA: kvm-vfio (from the IOMMU's
	# capability) and ioasid (from the domain attached, as allowed).
	echo 'p:vmm/kvm_reg kvm:kvm_arch_register_noncoherent_dma' >>"$T/kprobe_events" || return 1
	echo 'p:vmm/kvm_unreg kvm:kvm_arch_unregister_noncoherent_dma' >>"$T/kprobe_events" || return 1
	echo 1 >"$T/events/vmm/enable"
}
tap_check kprobes_on_kvm_wbinvd probes || { tap_end; exit 1; }
# The backend's work per VFIO_IOMMU_MAP_DMA / UNMAP_DMA: type1 pins
# (vfio_pin_pages_remote) once per map of one page and removes
# (vfio_remove_dma) each mapping it unmaps; ioasid-vfio calls
# ioasid_kioas_map_user and ioasid_kioas_unmap once per ioctl. Placed here,
# checked by the map storm (viommu): a missing symbol fails that check.
case $BACKEND in
vfio_iommu_type1) be_probes=(vfio_iommu_type1:vfio_pin_pages_remote vfio_iommu_type1:vfio_remove_dma) ;;
*) be_probes=(ioasid:ioasid_kioas_map_user ioasid:ioasid_kioas_unmap) ;;
esac
echo "p:vmm/be_map ${be_probes[0]}" >>"$T/kprobe_events" 2>/dev/null &&
	echo "p:vmm/be_unmap ${be_probes[1]}" >>"$T/kprobe_events" 2>/dev/null &&
	echo 1 >"$T/events/vmm/enable"

# Snoop control of the IOMMU unit that translates the edu: ECAP bit 7.
ecap=$(cat "/sys/bus/pci/devices/$edu/iommu/intel-iommu/ecap" 2>/dev/null)
if [ -n "$ecap" ] && (((0x$ecap >> 7) & 1)); then hw_expect=0; else hw_expect=1; fi
set_expect() { # POLICY-STATE: a guest WBINVD is flushed, or not
	expect=${IOASID_VMM_EXPECT_FLUSH:-}
	if [ -z "$expect" ]; then
		case $1 in
		nosnoop) expect=1 ;;
		*) expect=$hw_expect ;;
		esac
	fi
	expname=$( ((expect)) && echo flushed || echo not_flushed)
	echo "# backend $BACKEND, policy ${1/-/as loaded}; iommu ecap ${ecap:-?}: a guest WBINVD is expected $( ((expect)) && echo flushed || echo ignored)"
}
set_expect -

# --- policy states (ioasid-vfio) ----------------------------------------------
CTL=$B/tools/ioasidctl
PIN=/sys/fs/bpf/ioasid-vmm
ctl() { "$CTL" --pin-root "$PIN" "$@"; }
policy_state() { # builtin | nosnoop
	[ -n "$policies_loaded" ] && ctl policy unload nosnoop_rules >/dev/null 2>&1
	rm -rf "$PIN"
	case $1 in
	builtin) ;;
	nosnoop)
		mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || return 1
		ctl policy load nosnoop_rules || return 1
		ctl rule add nosnoop 1234:11e8 allow flush || return 1
		ctl rule list ;;
	*) echo "IOASID_VMM_POLICIES: builtin and/or nosnoop"; return 1 ;;
	esac
	ctl policy list
}
last_seq() { ctl -j decisions --count 1 | python3 -c 'import json, sys; a = json.load(sys.stdin); print(a[-1]["seq"] if a else 0)'; }
# The decisions about the edu since SEQ0, as an operator reads them, and
# whether they say what STATE must: the attach's snoop mode and deciding
# policy, and the KVM link (made, or none).
decided() { # STATE SEQ0
	ctl decisions | tail -n 12 | sed 's/^/# /'
	ctl -j decisions | python3 -c '
import json, sys
state, seq0 = sys.argv[1], int(sys.argv[2])
recs = [r for r in json.load(sys.stdin)
        if r["seq"] > seq0 and r["vendor"] == 0x1234 and r["device"] == 0x11e8]
att = [r for r in recs if r["op"] == "attach" and r["allowed"]]
link = [r for r in recs if r["op"] == "kvm-link"]
want = {"builtin": ("builtin", "enforce", 0), "nosnoop": ("nosnoop_rules", "no-snoop", 1)}[state]
if not att:
    sys.exit("no allowed attach of 1234:11e8 recorded")
got = (att[-1]["policy"], att[-1]["snoop"], sum(1 for r in link if r["allowed"]))
print("attach by %s, snoop %s; KVM links made: %d" % got)
if got != want:
    sys.exit("want attach by %s, snoop %s, %d KVM link(s)" % want)
' "$1" "$2"
}

# --- one inner boot -----------------------------------------------------------
# The inner guest's tests; "@iommu" becomes the check that fits the boot.
inner_tests=(
	"edu_seen=grep -l 0x11e8 /sys/bus/pci/devices/*/device"
	"edu_probe=insmod vmm_edu.ko && ls /sys/bus/pci/drivers/vmm_edu | grep :"
	"@iommu"
	"edu_dma_roundtrip=for s in 1 22 333; do echo \$s >/sys/module/vmm_edu/parameters/roundtrip || exit 1; done; dmesg | grep 'round trip'"
	"@storm"
	"wbinvd=insmod vmm_wbinvd.ko && echo $WBINVDS >/sys/module/vmm_wbinvd/parameters/flush && test \$(cat /sys/module/vmm_wbinvd/parameters/flush) = $WBINVDS && echo elapsed_ns \$(cat /sys/module/vmm_wbinvd/parameters/elapsed_ns) && test \$(cat /sys/module/vmm_wbinvd/parameters/elapsed_ns) -gt 0"
)
# viommu boots: STORM map+unmap cycles of one page through the inner
# intel-iommu (caching mode: QEMU mirrors each into the container). The
# sleep lets this script take the backend's map count before the storm
# (wait_results sees the "started" line seconds late: 4-5 s were measured
# under make bench); the wbinvd test after it maps nothing.
storm_test="edu_mapstorm=sleep 10; echo $STORM >/sys/module/vmm_edu/parameters/mapstorm && cat /sys/module/vmm_edu/parameters/mapstorm && test \"\$(cut -d' ' -f1 /sys/module/vmm_edu/parameters/mapstorm)\" = $STORM"
# ioasid's own edu DMA tests in the inner guest, after those above (viommu
# boots; by default when ioasid-vfio serves the container,
# IOASID_VMM_INNER_IOASID=0|1 overrides): ioasid.ko and ioasid-pci.ko, built
# for the stock kernel that the inner guest runs too, loaded WITHOUT
# allow_unsafe_interrupts (the inner intel-iommu remaps interrupts: its MSIs
# are isolated), the inner edu given to ioasid-pci, device_test and
# device_errno_test run with their libraries (inner-guest --bin) and their
# TAP relayed. Their DMA goes through the inner intel-iommu, whose every
# IOTLB flush QEMU mirrors into the container the outer backend serves.
inner_ioasid=${IOASID_VMM_INNER_IOASID:-$([ "$BACKEND" = ioasid-vfio ] && echo 1 || echo 0)}
ioasid_tap_tests=(device_test device_errno_test)
ioasid_tests=(
	"ioasid_loaded=insmod ioasid.ko && insmod ioasid-pci.ko && grep -qx N /sys/module/ioasid/parameters/allow_unsafe_interrupts"
	"irq_remapping=dmesg | grep 'Enabled IRQ remapping'"
	"edu_to_ioasid_pci=for d in /sys/bus/pci/devices/*; do grep -q 0x11e8 \$d/device || continue; b=\${d##*/}; [ -e \$d/driver ] && echo \$b >\$d/driver/unbind; echo ioasid-pci >\$d/driver_override; echo \$b >/sys/bus/pci/drivers_probe; ls -l \$d/driver; test -c /dev/ioasid-dev/\$b; exit; done; exit 1"
	# Passed, not skipped: the edu's DMA round trip ran.
	"device_test=./device_test >/tmp/t; rc=\$?; cat /tmp/t; [ \$rc = 0 ] && grep -q '^ok [0-9]* edu.dma_roundtrip\$' /tmp/t"
	"device_errno_test=./device_errno_test"
)
inner_timeout=$((inner_ioasid ? 900 : 400))
run_inner() { # BOOT TAG HOLD INNER-GUEST-OPTIONS...: start it in the background
	local boot=$1 tag=$2 hold=$3
	shift 3
	local tests=() t
	for t in "${inner_tests[@]}"; do
		if [ "$t" = @storm ]; then
			[ "$boot" = viommu ] && tests+=("$storm_test")
		elif [ "$t" != @iommu ]; then
			tests+=("$t")
		elif [ "$boot" = viommu ]; then
			# The edu's DMA goes through the inner intel-iommu.
			tests+=("edu_behind_viommu=ls /sys/bus/pci/drivers/vmm_edu/*:*/iommu_group/devices")
		else
			tests+=("edu_without_iommu=! ls -d /sys/bus/pci/drivers/vmm_edu/*:*/iommu_group")
		fi
	done
	local files=(--file "$MODS/vmm_edu.ko" --file "$MODS/vmm_wbinvd.ko")
	if [ "$boot" = viommu ] && ((inner_ioasid)); then
		tests+=("${ioasid_tests[@]}")
		# Without their debug info: every initramfs byte is copied by
		# the nested guest under TCG.
		for t in ioasid ioasid-pci; do
			strip --strip-debug -o "$work/$t.ko" "$KMOD/$t.ko" 2>/dev/null ||
				cp "$KMOD/$t.ko" "$work/$t.ko"
		done
		files+=(--file "$work/ioasid.ko" --file "$work/ioasid-pci.ko"
			--bin "$B/selftests/device_test" --bin "$B/selftests/device_errno_test")
	fi
	rm -f "$work/qemu.pid"
	# shellcheck disable=SC2046
	"$INNER" --edu "$edu" --mem ${INNER_MEM_MB}M --timeout "$inner_timeout" --pidfile "$work/qemu.pid" \
		--log "$B/selftests/logs/vmm-$tag.console.log" $( ((hold)) && echo --hold) "$@" "${files[@]}" \
		-- "${tests[@]}" >"$work/$tag.out" 2>&1 &
	inner_pid=$!
}
storm_c0="" storm_c1=""
wait_results() { # TAG: until the plan line or the inner-guest exit
	local i
	storm_c0="" storm_c1=""
	for ((i = 0; i < 2 * inner_timeout; i++)); do
		# The backend's map/unmap counts around the storm (viommu).
		[ -z "$storm_c0" ] && grep -q '^# edu_mapstorm: started' "$work/$1.out" &&
			storm_c0="$(hits vmm/be_map) $(hits vmm/be_unmap)"
		[ -z "$storm_c1" ] && grep -q '^\(not \)\?ok [0-9]* edu_mapstorm' "$work/$1.out" &&
			storm_c1="$(hits vmm/be_map) $(hits vmm/be_unmap)"
		if grep -q '^1\.\.[0-9]' "$work/$1.out"; then
			# The storm's result may reach the file in one piece with
			# the plan, after this round's check: the tests after the
			# storm map nothing, so the count taken now is its end.
			[ -n "$storm_c0" ] && [ -z "$storm_c1" ] &&
				storm_c1="$(hits vmm/be_map) $(hits vmm/be_unmap)"
			return 0
		fi
		kill -0 "$inner_pid" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}
finish_inner() { # TAG: wait for inner-guest, relay its results
	local tag=$1 rc t
	wait "$inner_pid"
	rc=$?
	relay "$tag" "$work/$tag.out"
	t=$(grep -o 'exited .* after [0-9]*s' "$work/$tag.out" | tail -n1)
	echo "# inner-guest ($tag) exit $rc, qemu $t"
	_inner_rc=$rc
}
flush_checks() { # TAG K0 I0: counts before the boot
	local tag=$1 k=$(($(hits vmm/kvm_wbinvd) - $2)) w=$(($(hits vmm/wbinvd_ipi) - $3))
	echo "# $tag: kvm_emulate_wbinvd +$k, wbinvd_ipi +$w (inner guest executed $WBINVDS WBINVD)"
	check "$tag.kprobes_counting" "kprobe_profile lacks the vmm probes" \
		"[ $(hits vmm/kvm_wbinvd) -ge 0 ] && [ $(hits vmm/wbinvd_ipi) -ge 0 ]"
	check "$tag.wbinvd_exits_reach_kvm" "only $k WBINVD exits reached KVM" "[ $k -ge $WBINVDS ]"
	if ((expect)); then
		check "$tag.wbinvd_$expname" "KVM flushed $w times for $WBINVDS guest WBINVD" "[ $w -ge $WBINVDS ]"
	else
		check "$tag.wbinvd_$expname" "KVM flushed $w times" "[ $w -eq 0 ]"
	fi
}

# --- the boots ---------------------------------------------------------------
# Each boot is held after its results: while QEMU runs, who serves the
# container and what is pinned is checked, then QEMU gets SIGKILL and
# everything must come back. novi: no vIOMMU, all guest RAM mapped at boot;
# viommu: an intel-iommu in the inner guest, QEMU maps on every IOTLB flush.
# One boot per configuration keeps the suite's time down: the one the
# snoop-control setting does not already imply for the rest of the suites.
# The manifest names the boot as the argument; IOASID_VMM_BOOTS overrides.
boots=${IOASID_VMM_BOOTS:-${1:-}}
[ -n "$boots" ] || boots=$( ((expect)) && echo novi || echo viommu)
one_boot() { # BOOT [POLICY-STATE]
	local boot=$1 state=${2:-} tag=$1 t1ref0 k0 i0 ref0 avail0 charged0 qpid vmlck ref1 avail1 charged1 ref2 avail2 charged2 n start
	local opts=() r0 u0 seq0 told
	[ "$boot" = viommu ] && opts=(--viommu)
	if [ -n "$state" ]; then
		tag=$boot.$state
		policies_loaded=1	# for cleanup (tap_check runs a subshell)
		tap_check "$tag.policy_set" policy_state "$state" || return
		seq0=$(last_seq)
	fi
	set_expect "${state:--}"
	k0=$(hits vmm/kvm_wbinvd) i0=$(hits vmm/wbinvd_ipi) r0=$(hits vmm/kvm_reg) u0=$(hits vmm/kvm_unreg)
	ref0=$(refcnt "$backend_mod") avail0=$(meminfo MemAvailable) charged0=$(stat_val charged_pages)
	t1ref0=$(refcnt vfio_iommu_type1)
	start=$SECONDS
	run_inner "$boot" "$tag" 1 "${opts[@]}"
	if ! wait_results "$tag"; then
		finish_inner "$tag"
		tap_check "$tag.inner_results_complete" false
		return
	fi
	echo "# $tag: results after $((SECONDS - start))s"
	qpid=$(cat "$work/qemu.pid")
	vmlck=$(awk '/^VmLck:/ { print int($2 / 1024) }' "/proc/$qpid/status")
	ref1=$(refcnt "$backend_mod") avail1=$(meminfo MemAvailable) charged1=$(stat_val charged_pages)
	echo "# $tag: qemu $qpid VmLck ${vmlck}M, $backend_mod refcnt $ref0 -> $ref1, MemAvailable ${avail0}M -> ${avail1}M, charged_pages $charged0 -> $charged1"
	check "$tag.container_served_by_$backend_mod" "$backend_mod refcnt $ref0 -> $ref1" "[ $ref1 -gt $ref0 ]"
	if [ "$backend_mod" != vfio_iommu_type1 ]; then
		# vfio falls back to the next driver when one refuses: type1,
		# loaded, must not be what took the container.
		check "$tag.container_not_served_by_type1" "vfio_iommu_type1 refcnt $t1ref0 -> $(refcnt vfio_iommu_type1)" \
			"[ $(refcnt vfio_iommu_type1) -eq $t1ref0 ]"
	fi
	if [ "$boot" = novi ]; then
		# Without a vIOMMU QEMU maps all guest RAM: pinned and charged.
		if [ "$BACKEND" = vfio_iommu_type1 ]; then
			check "$tag.guest_ram_pinned" "VmLck ${vmlck}M < ${INNER_MEM_MB}M" "[ ${vmlck:-0} -ge $INNER_MEM_MB ]"
		else
			check "$tag.guest_ram_charged" "charged_pages $charged0 -> $charged1" \
				"[ $charged1 -ge $((charged0 + INNER_MEM_MB * 256)) ]"
		fi
	fi
	flush_checks "$tag" "$k0" "$i0"
	if [ "$boot" = viommu ]; then
		local sm=-1 su=-1 a0 b0 a1 b1
		if [ -n "$storm_c0" ] && [ -n "$storm_c1" ]; then
			read -r a0 b0 <<<"$storm_c0"
			read -r a1 b1 <<<"$storm_c1"
			((a0 >= 0 && a1 >= 0)) && sm=$((a1 - a0)) su=$((b1 - b0))
		fi
		echo "# $tag: $STORM map storm cycles; ${be_probes[0]} +$sm, ${be_probes[1]} +$su"
		check "$tag.mapstorm_reached_container" \
			"$STORM cycles in the inner guest, $sm maps by $BACKEND (window ${storm_c0:-unseen} -> ${storm_c1:-unseen})" \
			"[ $sm -ge $STORM ]"
	fi
	if [ -n "$state" ]; then
		# Registrations in force now. With snoop control kvm-vfio never
		# registers (the IOMMU could enforce): each one is ioasid's.
		told=$(($(hits vmm/kvm_reg) - r0 - $(hits vmm/kvm_unreg) + u0))
		echo "# $tag: KVM told of non-coherent DMA $told time(s) (kvm_arch_register_noncoherent_dma +$(($(hits vmm/kvm_reg) - r0)))"
		if ((expect)); then
			check "$tag.kvm_told_noncoherent" "registrations in force: $told" "[ $told -ge 1 ]"
		else
			check "$tag.kvm_not_told" "registrations in force: $told" "[ $told -eq 0 ]"
		fi
		tap_check "$tag.decisions_recorded" decided "$state" "$seq0"
		ctl decisions --count 3 | sed 's/^/# /'
	fi
	kill -9 "$qpid"
	finish_inner "$tag"
	echo "# $tag: $((SECONDS - start))s"
	# Released: the process is gone, its pins with it.
	for ((n = 0; n < 40; n++)); do [ -d "/proc/$qpid" ] || break; sleep 0.25; done
	avail2=$(meminfo MemAvailable) ref2=$(refcnt "$backend_mod") charged2=$(stat_val charged_pages)
	echo "# $tag after SIGKILL: MemAvailable ${avail2}M, $backend_mod refcnt $ref2, charged_pages $charged2"
	check "$tag.sigkill.qemu_gone" "qemu $qpid still exists" "[ ! -d /proc/$qpid ]"
	check "$tag.sigkill.container_released" "$backend_mod refcnt $ref2, was $ref0" "[ $ref2 -eq $ref0 ]"
	check "$tag.sigkill.memory_returned" \
		"MemAvailable ${avail0}M before, ${avail1}M with QEMU, ${avail2}M after" \
		"[ $avail2 -ge $((avail0 - 48)) ]"
	tap_check "$tag.sigkill.vfio_group_usable_again" python3 "$here/vfio_reopen.py" "$edu"
	if [ "$BACKEND" = ioasid-vfio ]; then
		check "$tag.sigkill.charged_pages_zero" "charged_pages $charged2" "[ $charged2 -eq 0 ]"
	fi
	if [ -n "$state" ]; then
		told=$(($(hits vmm/kvm_reg) - r0 - $(hits vmm/kvm_unreg) + u0))
		check "$tag.sigkill.kvm_registrations_balanced" \
			"register +$(($(hits vmm/kvm_reg) - r0)), unregister +$(($(hits vmm/kvm_unreg) - u0))" "[ $told -eq 0 ]"
	fi
}
policies=${IOASID_VMM_POLICIES:-${3:-}}
policies=${policies//,/ }
for p in ${policies:--}; do
	for b in $boots; do
		case $b in
		novi | viommu) one_boot "$b" "${p#-}" ;;
		*) tap_check "boot_$b" bash -c "echo 'IOASID_VMM_BOOTS: novi and/or viommu'; false" ;;
		esac
	done
done
if [ -n "$policies" ]; then
	tap_check policy_cleared policy_state builtin
fi
# Later suites expect vfio_iommu_type1 to serve again.
[ "$BACKEND" = ioasid-vfio ] && echo N >/sys/module/ioasid_vfio/parameters/serve_type1

tap_end
