#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the bench kernel of `make bench` (tools/bench/run): tinyconfig +
# tools/kernel/bench.config out of tree, cached under
# $CACHE/kernel-bench/<key>, the key a hash of the source version, the
# fragment and this script. Prints progress while it builds.
#
#   build-bench.sh LINUX_SRC CACHE   -> prints the cache directory last
#
# The directory holds bzImage, obj/ (KDIR for our modules),
# mods/lib/modules/<version>, build.log and build-seconds.
set -euo pipefail
SRC=$(realpath "${1:?LINUX_SRC}")
CACHE=${2:?CACHE}
FRAG=$(cd "$(dirname "$0")" && pwd)/bench.config
say() { echo "bench kernel: $*" >&2; }

ver=$(make -s -C "$SRC" kernelversion)
key=$( (echo "$ver"; cat "$FRAG" "$0") | sha256sum | cut -c1-16)
dir=$CACHE/kernel-bench/$key
if [ -e "$dir/done" ]; then
	say "cached ($ver, built in $(cat "$dir/build-seconds") s)"
	echo "$dir"
	exit 0
fi
O=$dir/obj
log=$dir/build.log
rm -rf "$dir"
mkdir -p "$O"
say "configuring $ver in $dir"
{
	make -s -C "$SRC" O="$O" tinyconfig
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$O" "$O/.config" "$FRAG"
	make -s -C "$SRC" O="$O" olddefconfig
} >"$log" 2>&1

# What the benchmarks measure must have survived olddefconfig, and no
# checker that slows the kernel down may have crept back in.
want() { # want VALUE-REGEX OPTION...
	local re=$1 opt
	shift
	for opt; do
		grep -Eq "^CONFIG_$opt=($re)\$" "$O/.config" ||
			{ say "CONFIG_$opt is not $re (see $O/.config)"; exit 1; }
	done
}
want y IOMMUFD VFIO_GROUP VFIO_CONTAINER VFIO_DEVICE_CDEV TRANSPARENT_HUGEPAGE \
	HUGETLBFS CC_OPTIMIZE_FOR_PERFORMANCE DEBUG_INFO_BTF DEBUG_INFO_BTF_MODULES \
	BPF_SYSCALL INTEL_IOMMU IRQ_REMAP 9P_FS NET_9P_VIRTIO 64BIT SMP ACPI \
	PCI_MMCONFIG HOTPLUG_PCI_PCIE VIRTIO_CONSOLE DEVTMPFS OVERLAY_FS MULTIUSER \
	FUTEX EPOLL UNIX FUNCTION_TRACER FUNCTION_PROFILER MODULE_UNLOAD
want 'y|m' VFIO VFIO_IOMMU_TYPE1 VFIO_PCI KVM KVM_AMD
for opt in KASAN PROVE_LOCKING DEBUG_LOCK_ALLOC DEBUG_KMEMLEAK FAULT_INJECTION \
	   DEBUG_VM DEBUG_LIST DEBUG_ATOMIC_SLEEP SLUB_TINY SLUB_DEBUG_ON KUNIT \
	   KCSAN UBSAN KFENCE DEBUG_PAGEALLOC; do
	if grep -q "^CONFIG_$opt=[ym]" "$O/.config"; then
		say "CONFIG_$opt is on: not a bench kernel (see $O/.config)"
		exit 1
	fi
done

start=$(date +%s)
say "building with $(nproc) jobs (log: $log)"
make -C "$SRC" O="$O" -j"$(nproc)" bzImage modules >>"$log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	sleep 60
	if kill -0 "$pid" 2>/dev/null; then
		say "$(( ($(date +%s) - start) / 60 )) min, $(grep -c '^  CC' "$log" || true) files compiled"
	fi
done
wait "$pid" || { tail -30 "$log" >&2; say "build failed (see $log)"; exit 1; }
make -s -C "$SRC" O="$O" INSTALL_MOD_PATH="$dir/mods" modules_install >>"$log" 2>&1
cp "$O/arch/x86/boot/bzImage" "$dir/bzImage"
echo $(( $(date +%s) - start )) >"$dir/build-seconds"
touch "$dir/done"
say "built in $(cat "$dir/build-seconds") s"
echo "$dir"
