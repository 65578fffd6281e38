#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the bench VM (tools/bench/run): load ioasid, give the first edu to
# vfio-pci (the type1 container, ioasid-vfio's container and, if the kernel
# has it, the iommufd cdev all use it) and the second and third to
# ioasid-pci (native ioasid; the third only joins attach_bench's domain),
# then run the benchmarks. Every peer the kernel can offer must be
# measured: anything missing fails the run.
#
#   guest.sh OUTDIR [map_bench options...]
# KMOD: where our modules are (default $TOP/kernel); BENCH_IOMMUFD=1: the
# iommufd peer is required (the bench kernel), else measured if present.
set -euo pipefail
TOP=${TOP:?} B=${B:?}
KMOD=${KMOD:-$TOP/kernel}
out=${1:?OUTDIR}
shift
mkdir -p "$out"
fail() { echo "bench guest: $*" >&2; exit 1; }

insmod "$KMOD/ioasid.ko" allow_unsafe_interrupts=1 # no interrupt remapping in the VM
insmod "$KMOD/ioasid_test.ko"
insmod "$KMOD/ioasid-pci.ko"
modprobe vfio_iommu_type1 || fail "no vfio_iommu_type1"
echo 1 >/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts
modprobe vfio-pci || fail "no vfio-pci"
insmod "$KMOD/ioasid-vfio.ko" allow_unsafe_interrupts=1

mapfile -t edus < <(grep -l 0x11e8 /sys/bus/pci/devices/*/device | xargs -n1 dirname)
[ "${#edus[@]}" -ge 3 ] || fail "need three edu devices, found ${#edus[@]}"
bind() { # bind DEVICE DRIVER
	local d=$1 drv=$2
	[ -e "$d/driver" ] && basename "$d" >"$d/driver/unbind"
	echo "$drv" >"$d/driver_override"
	basename "$d" >/sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink "$d/driver")")" = "$drv" ] ||
		fail "$(basename "$d") did not bind to $drv"
}
bind "${edus[0]}" vfio-pci
bind "${edus[1]}" ioasid-pci
bind "${edus[2]}" ioasid-pci # attach_bench's second device: domain reuse
group=/dev/vfio/$(basename "$(readlink "${edus[0]}/iommu_group")")
[ -c "$group" ] || fail "no VFIO group node $group"
dev=/dev/ioasid-dev/$(basename "${edus[1]}")
[ -c "$dev" ] || fail "no $dev"
dev2=/dev/ioasid-dev/$(basename "${edus[2]}")
[ -c "$dev2" ] || fail "no $dev2"
cdev=
# (sysfs has vfio-dev/vfioN either way; the node only with VFIO_DEVICE_CDEV.)
vfiodev=$(ls "${edus[0]}/vfio-dev" 2>/dev/null || true)
if [ -n "$vfiodev" ] && [ -c "/dev/vfio/devices/$vfiodev" ]; then
	cdev=/dev/vfio/devices/$vfiodev
	[ -c /dev/iommu ] || fail "vfio cdev without /dev/iommu"
elif [ "${BENCH_IOMMUFD:-0}" = 1 ]; then
	fail "this kernel has no vfio cdev (CONFIG_VFIO_DEVICE_CDEV)"
fi
# 2 MiB workloads: THP on madvise, and hugetlb pages reserved.
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled
echo 160 >/proc/sys/vm/nr_hugepages # 2 MiB chunks and the 256 MiB mapping
echo "bench guest: $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"hugetlb pages $(cat /proc/sys/vm/nr_hugepages)," \
	"peers: ioasid type1 ioasid-vfio${cdev:+ iommufd} floor"

if [ -n "${BENCH_PROFILE:-}" ]; then
	# tools/bench/profile: ftrace's function profiler (inclusive times,
	# CONFIG_FUNCTION_PROFILER: the bench kernel) over one workload.
	T=/sys/kernel/tracing
	mountpoint -q $T || mount -t tracefs nodev $T
	[ -e $T/function_profile_enabled ] || fail "no function profiler in this kernel"
	: >$T/set_ftrace_filter
	for f in ${BENCH_FUNCS:?}; do echo "$f" >>$T/set_ftrace_filter 2>/dev/null || true; done
	echo "bench guest: profiling $(wc -l <$T/set_ftrace_filter) functions over $BENCH_PROFILE"
	echo 1 >$T/function_profile_enabled
	"$B/bench/map_bench" -o "$out/profile-map.json" -d "$dev" -g "$group" -V \
		${cdev:+-c "$cdev"} -w "$BENCH_PROFILE" -G 0 "$@"
	echo 0 >$T/function_profile_enabled
	# hits, total us, average us per function, all CPUs summed
	cat $T/trace_stat/function* | awk '$1 !~ /^(Function|-)/ && NF >= 4 {
		h[$1] += $2; t[$1] += $3 } END { for (f in h)
		printf "%-40s %10d %14.1f %10.2f\n", f, h[f], t[f], t[f] / h[f] }' |
		sort -k3 -nr | tee "$out/profile.txt"
	exit 0
fi
"$B/bench/map_bench" -o "$out/map.json" -d "$dev" -g "$group" -V \
	${cdev:+-c "$cdev"} -H "$@"
"$B/bench/nest_bench" -o "$out/nest.json"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
"$B/bench/attach_bench" -o "$out/attach.json" -d "$dev" -D "$dev2"
"$B/bench/flush_bench" -o "$out/flush.json" -d "$dev"
echo "bench guest: done, load $(cut -d' ' -f1-3 /proc/loadavg)"
