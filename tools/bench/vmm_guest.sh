#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the vmm bench VM (tools/bench/run, the stock kernel with an
# intel-iommu WITHOUT snoop control): an unmodified QEMU with KVM boots an
# inner guest (tools/vm/inner-guest) with the edu assigned through
# -device vfio-pci, the same command on two backends of the VFIO container:
#   type1        vfio_iommu_type1 (ioasid-vfio loaded, serve_type1=N)
#   ioasid-vfio  ioasid's backend (serve_type1=Y)
# One warm-up boot, then BENCH_VMM_REPS repetitions (default 3), the
# backends interleaved (type1, ioasid-vfio, type1, ...), each a novi boot
# (no vIOMMU) and a viommu boot (intel-iommu with caching-mode=on, inner
# iommu.strict=1). Measured, see docs/performance.md:
#   boot-to-device  QEMU start to the first verified edu DMA round trip
#                   (and the inner uptime then), novi and viommu
#   map storm       viommu: BENCH_VMM_STORM (2000) dma_map_page+unmap
#                   cycles (vmm_edu mapstorm=N); the container's map and
#                   unmap calls counted by kprobes in the same window
#   WBINVD          BENCH_VMM_WBINVDS (1000) ring-0 WBINVD in the inner
#                   guest (vmm_wbinvd), KVM told of non-coherent DMA
# Every boot is checked from outside (kprobes on KVM and on each backend's
# map/unmap): the container served by the backend meant, KVM told of
# non-coherent DMA and flushing for every WBINVD, the storm reaching the
# container. Any failure fails the run.
#
#   vmm_guest.sh OUTDIR      -> OUTDIR/vmm.json, OUTDIR/boots.jsonl
set -euo pipefail
TOP=${TOP:?} B=${B:?}
KMOD=${KMOD:-$TOP/kernel}
out=${1:?OUTDIR}
mkdir -p "$out"
REPS=${BENCH_VMM_REPS:-3}
STORM=${BENCH_VMM_STORM:-2000}
WBINVDS=${BENCH_VMM_WBINVDS:-1000}
INNER_MEM=256M
MODS=$TOP/selftests/vmm/mod
T=/sys/kernel/tracing
P=vmmbench	# kprobe group
PROBES="kvm_wbinvd wbinvd_ipi kvm_reg kvm_unreg t1_map t1_unmap io_map io_unmap"
fail() { echo "vmm bench guest: $*" >&2; exit 1; }
# shellcheck source-path=SCRIPTDIR source=../../selftests/vmm/lib.sh
. "$TOP/selftests/vmm/lib.sh"
work=$(mktemp -d /tmp/vmmbench.XXXXXX)
cleanup() {
	set +e	# everything here may find its object gone already
	[ -s "$work/qemu.pid" ] && kill -9 "$(cat "$work/qemu.pid")" 2>/dev/null
	if [ -d "$T/events/$P" ]; then
		echo 0 >"$T/events/$P/enable"
		for p in $PROBES; do echo "-:$P/$p" >>"$T/kprobe_events" 2>/dev/null; done
	fi
	vmm_lib_cleanup
	rm -rf "$work"
}
trap cleanup EXIT

for m in vmm_edu vmm_wbinvd; do
	[ -f "$MODS/$m.ko" ] || fail "$MODS/$m.ko not built (make selftests)"
done
insmod "$KMOD/ioasid.ko" allow_unsafe_interrupts=1 # no interrupt remapping in the VM
vmm_load_ioasid_vfio || fail "cannot load vfio-pci, vfio_iommu_type1, ioasid-vfio"
# KVM's static-key patching under multi-threaded TCG (docs/vmm.md).
vmm_single_cpu || fail "cannot take the other CPUs offline"
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null || true
[ -c /dev/kvm ] || fail "no /dev/kvm (kvm_amd)"
edu=$(vmm_find_edu "") || fail "no edu (1234:11e8) alone in its IOMMU group"
vmm_rebind "$edu" vfio-pci || fail "cannot bind $edu to vfio-pci"
ecap=$(cat "/sys/bus/pci/devices/$edu/iommu/intel-iommu/ecap" 2>/dev/null) || fail "no intel-iommu ecap for $edu"
(((0x$ecap >> 7) & 1)) && fail "the IOMMU has snoop control (ecap $ecap): boot with --iommu intel,snoop-control=off"

# kprobes: KVM's WBINVD exit and flush, its non-coherent DMA registrations
# (selftests/vmm/run.sh), and each backend's per-mapping work: type1 pins
# (vfio_pin_pages_remote) once per MAP_DMA of one page and removes
# (vfio_remove_dma) once per mapping unmapped; ioasid-vfio's MAP_DMA and
# UNMAP_DMA call ioasid_kioas_map_user and ioasid_kioas_unmap once each.
mountpoint -q $T || mount -t tracefs nodev $T
{
	echo "p:$P/kvm_wbinvd kvm:kvm_emulate_wbinvd"
	echo "p:$P/wbinvd_ipi kvm:wbinvd_ipi"
	echo "p:$P/kvm_reg kvm:kvm_arch_register_noncoherent_dma"
	echo "p:$P/kvm_unreg kvm:kvm_arch_unregister_noncoherent_dma"
	echo "p:$P/t1_map vfio_iommu_type1:vfio_pin_pages_remote"
	echo "p:$P/t1_unmap vfio_iommu_type1:vfio_remove_dma"
	echo "p:$P/io_map ioasid:ioasid_kioas_map_user"
	echo "p:$P/io_unmap ioasid:ioasid_kioas_unmap"
} >>"$T/kprobe_events" || fail "cannot place the kprobes"
echo 1 >"$T/events/$P/enable"
counts() { # "name=hits ..." of every probe
	awk -v ps=" $PROBES " 'index(ps, " " $1 " ") { printf "%s=%s ", $1, $2 }' "$T/kprobe_profile"
}
delta() { # NAME BEFORE AFTER: hits of NAME between two counts
	local a b
	a=$(grep -o "\b$1=[0-9]*" <<<"$2" | cut -d= -f2)
	b=$(grep -o "\b$1=[0-9]*" <<<"$3" | cut -d= -f2)
	echo $((b - a))
}

backend() { # type1 | ioasid-vfio: who serves the next container
	case $1 in
	type1) echo N >/sys/module/ioasid_vfio/parameters/serve_type1 ;;
	ioasid-vfio) echo Y >/sys/module/ioasid_vfio/parameters/serve_type1 ;;
	esac
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

echo "vmm bench guest: $(uname -r), edu $edu, iommu ecap $ecap (no snoop control)," \
	"$REPS reps, storm $STORM, $WBINVDS WBINVD, load $(cut -d' ' -f1-3 /proc/loadavg)"

# one BACKEND BOOT TAG: one inner boot; appends its record to boots.jsonl.
one() {
	local be=$1 boot=$2 tag=$3 log=$work/$3.out opts=() tests c0 c1="" c2="" c3 t0 tdev=""
	local map_p unmap_p other_p rc st_cyc=0 st_ns=0 st_maps=0 st_unmaps=0 wb_n wb_ns up
	backend "$be"
	if [ "$be" = type1 ]; then map_p=t1_map unmap_p=t1_unmap other_p=io_map; else map_p=io_map unmap_p=io_unmap other_p=t1_map; fi
	tests=("boot=insmod vmm_edu.ko && echo 1 >/sys/module/vmm_edu/parameters/roundtrip && echo uptime \$(cut -d' ' -f1 /proc/uptime)")
	if [ "$boot" = viommu ]; then
		opts=(--viommu --append iommu.strict=1)
		# The sleeps: the outer side takes its counts between the tests,
		# seeing each result late (the nested guest and the polling share
		# the bench VM's one CPU); nothing maps during the sleeps, so the
		# window holds the storm only, or the count check below fails.
		tests+=("storm=sleep 8; echo $STORM >/sys/module/vmm_edu/parameters/mapstorm && echo storm \$(cat /sys/module/vmm_edu/parameters/mapstorm)")
	fi
	# novi too: the boot's result is seen before QEMU's exit.
	local settle="sleep 8; "
	tests+=("wbinvd=${settle}insmod vmm_wbinvd.ko && echo $WBINVDS >/sys/module/vmm_wbinvd/parameters/flush && echo wbinvd \$(cat /sys/module/vmm_wbinvd/parameters/flush) \$(cat /sys/module/vmm_wbinvd/parameters/elapsed_ns)")
	c0=$(counts)
	rm -f "$work/qemu.pid"
	t0=$(now)
	"$INNER" --edu "$edu" --mem $INNER_MEM --timeout 900 --pidfile "$work/qemu.pid" \
		--log "$out/$tag.console.log" "${opts[@]}" \
		--file "$MODS/vmm_edu.ko" --file "$MODS/vmm_wbinvd.ko" -- "${tests[@]}" >"$log" 2>&1 &
	local ipid=$! res="" qpid
	# The inner guest's results as QEMU writes them (its second serial
	# port, a file in inner-guest's directory): inner-guest relays them
	# only every 0.5 s, seconds late when the VM's one CPU is busy.
	while kill -0 $ipid 2>/dev/null; do
		if [ -z "$res" ] && [ -s "$work/qemu.pid" ]; then
			qpid=$(cat "$work/qemu.pid")
			res=$(tr '\0' '\n' <"/proc/$qpid/cmdline" 2>/dev/null | sed -n 's|^file:\(.*/results\)$|\1|p')
		fi
		if [ -z "$tdev" ] && [ -n "$res" ] && grep -q '^\(not \)\?ok 1 boot' "$res" 2>/dev/null; then
			tdev=$(elapsed "$t0" "$(now)")
			c1=$(counts)
		fi
		if [ -z "$c2" ] && [ -n "$res" ] && grep -q '^\(not \)\?ok 2 storm' "$res" 2>/dev/null; then
			c2=$(counts)
		fi
		sleep 0.1
	done
	rc=0
	wait $ipid || rc=$?
	c3=$(counts)
	sed "s/^/# $tag: /" "$log" | grep -v '^# [^:]*: # \(inner-guest: qemu pid\|inner:\)' || true
	[ "$rc" = 0 ] || fail "$tag: inner-guest exited $rc ($out/$tag.console.log)"
	[ -n "$tdev" ] || fail "$tag: no boot result seen"
	up=$(sed -n 's/^# uptime \([0-9.]*\)$/\1/p' "$log" | head -n1)
	read -r wb_n wb_ns < <(sed -n 's/^# wbinvd \([0-9]*\) \([0-9]*\)$/\1 \2/p' "$log") || true
	[ "${wb_n:-0}" -ge "$WBINVDS" ] || fail "$tag: vmm_wbinvd executed ${wb_n:-?} WBINVD"
	# The checks from outside: who served, KVM told and flushing.
	local maps unmaps other reg unreg ipi exits
	maps=$(delta $map_p "$c0" "$c3") unmaps=$(delta $unmap_p "$c0" "$c3") other=$(delta $other_p "$c0" "$c3")
	reg=$(delta kvm_reg "$c0" "$c3") unreg=$(delta kvm_unreg "$c0" "$c3")
	ipi=$(delta wbinvd_ipi "$c0" "$c3") exits=$(delta kvm_wbinvd "$c0" "$c3")
	echo "# $tag: device after ${tdev}s (inner uptime ${up}s); $be maps $maps unmaps $unmaps, other backend's maps $other;" \
		"KVM non-coherent register $reg unregister $unreg; WBINVD exits $exits, flushes $ipi"
	[ "$maps" -gt 0 ] || fail "$tag: $be's map probe saw nothing: the container was not served by $be"
	[ "$other" -eq 0 ] || fail "$tag: the other backend mapped $other times"
	[ "$reg" -ge 1 ] || fail "$tag: KVM was not told of non-coherent DMA"
	[ "$reg" -eq "$unreg" ] || fail "$tag: KVM registrations unbalanced after QEMU's exit ($reg, $unreg)"
	[ "$exits" -ge "$WBINVDS" ] || fail "$tag: only $exits WBINVD exits reached KVM"
	[ "$ipi" -ge "$WBINVDS" ] || fail "$tag: KVM flushed $ipi times for $WBINVDS WBINVD"
	if [ "$boot" = viommu ]; then
		if [ -z "$c1" ] || [ -z "$c2" ]; then fail "$tag: storm window not seen"; fi
		read -r st_cyc st_ns < <(sed -n 's/^# storm \([0-9]*\) \([0-9]*\)$/\1 \2/p' "$log") || true
		[ "${st_cyc:-0}" -eq "$STORM" ] || fail "$tag: the storm ran ${st_cyc:-?} of $STORM cycles"
		st_maps=$(delta $map_p "$c1" "$c2") st_unmaps=$(delta $unmap_p "$c1" "$c2")
		echo "# $tag: storm $st_cyc cycles in $st_ns ns; the container saw $st_maps maps, $st_unmaps unmaps"
		if [ "$st_maps" -lt "$STORM" ] || [ "$st_unmaps" -lt "$STORM" ]; then
			fail "$tag: $STORM cycles, the container saw $st_maps maps, $st_unmaps unmaps: not a map storm"
		fi
	fi
	printf '{"tag": "%s", "backend": "%s", "boot": "%s", "device_s": %s, "inner_uptime_s": %s, "storm_cycles": %d, "storm_ns": %d, "storm_maps": %d, "storm_unmaps": %d, "wbinvds": %d, "wbinvd_ns": %d, "boot_maps": %d, "boot_unmaps": %d, "kvm_register": %d, "wbinvd_exits": %d, "wbinvd_flushes": %d}\n' \
		"$tag" "$be" "$boot" "$tdev" "${up:-null}" "$st_cyc" "$st_ns" "$st_maps" "$st_unmaps" \
		"$wb_n" "$wb_ns" "$maps" "$unmaps" "$reg" "$exits" "$ipi" >>"$out/boots.jsonl"
}

: >"$out/boots.jsonl"
start=$SECONDS
one type1 viommu warmup
for ((r = 1; r <= REPS; r++)); do
	for be in type1 ioasid-vfio; do
		for boot in novi viommu; do
			one "$be" "$boot" "$boot.$be.$r"
			echo "vmm bench guest: $boot.$be.$r done after $((SECONDS - start))s"
		done
	done
done
python3 - "$out" "$REPS" "$STORM" "$WBINVDS" "$ecap" "$INNER_MEM" <<'EOF'
import json, os, platform, sys
out, reps, storm, wbinvds, ecap, mem = sys.argv[1:]
boots = [json.loads(l) for l in open(os.path.join(out, "boots.jsonl"))]
runs = [b for b in boots if b["tag"] != "warmup"]


def stat(v):
    v = sorted(v)
    n = len(v)
    m = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return {"min": v[0], "median": m, "max": v[-1], "samples": v}


res = {}
for be in ("type1", "ioasid-vfio"):
    r = res[be] = {}
    for boot in ("novi", "viommu"):
        s = [b for b in runs if b["backend"] == be and b["boot"] == boot]
        r[f"device_s_{boot}"] = stat([b["device_s"] for b in s])
        up = [b["inner_uptime_s"] for b in s if b["inner_uptime_s"] is not None]
        if up:
            r[f"inner_uptime_s_{boot}"] = stat(up)
        r[f"wbinvd_us_{boot}"] = stat([b["wbinvd_ns"] / b["wbinvds"] / 1e3 for b in s])
        r[f"flushes_per_wbinvd_{boot}"] = stat([b["wbinvd_flushes"] / b["wbinvds"] for b in s])
    s = [b for b in runs if b["backend"] == be and b["boot"] == "viommu"]
    r["storm_us_per_cycle"] = stat([b["storm_ns"] / b["storm_cycles"] / 1e3 for b in s])
    r["storm_maps_per_cycle"] = stat([b["storm_maps"] / b["storm_cycles"] for b in s])
    r["storm_unmaps_per_cycle"] = stat([b["storm_unmaps"] / b["storm_cycles"] for b in s])
json.dump({"environment": {"kernel": platform.release(), "iommu_ecap": ecap,
                           "snoop_control": False, "inner_mem": mem,
                           "guest_loadavg_1m": float(open("/proc/loadavg").read().split()[0])},
           "reps": int(reps), "storm_cycles": int(storm), "wbinvds": int(wbinvds),
           "backends": ["type1", "ioasid-vfio"], "results": res, "boots": boots},
          open(os.path.join(out, "vmm.json"), "w"), indent=1)
EOF
echo "vmm bench guest: done after $((SECONDS - start))s, load $(cut -d' ' -f1-3 /proc/loadavg)"
