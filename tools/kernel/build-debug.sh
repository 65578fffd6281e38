#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the debug kernel of `make check-debug` from linux-source-6.12:
# tinyconfig + tools/kernel/debug.config, out of
# tree, cached under $CACHE/kernel-debug/<key> where the key hashes the
# source version, the fragment and this script. Prints progress while it
# builds (a cold build is long) and the build time at the end.
#
#   build-debug.sh LINUX_SRC CACHE   -> prints the cache directory last
#
# The directory holds bzImage, obj/ (the build tree: KDIR for our modules),
# mods/lib/modules/<version>, build.log and build-seconds.
set -euo pipefail
SRC=$(realpath "${1:?LINUX_SRC}")
CACHE=${2:?CACHE}
here=$(cd "$(dirname "$0")" && pwd)
FRAG=$here/debug.config

ver=$(make -s -C "$SRC" kernelversion)
key=$( (echo "$ver"; cat "$FRAG" "$0") | sha256sum | cut -c1-16)
dir=$CACHE/kernel-debug/$key
if [ -e "$dir/done" ]; then
	echo "debug kernel: cached ($ver, built in $(cat "$dir/build-seconds") s)" >&2
	echo "$dir"
	exit 0
fi
rm -rf "$dir"
mkdir -p "$dir/obj"
O=$dir/obj
log=$dir/build.log
echo "debug kernel: configuring $ver in $dir" >&2
make -s -C "$SRC" O="$O" tinyconfig >"$log" 2>&1
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$O" "$O/.config" "$FRAG" >>"$log" 2>&1
make -s -C "$SRC" O="$O" olddefconfig >>"$log" 2>&1
# The options the checks depend on must have survived olddefconfig.
for opt in KASAN PROVE_LOCKING DEBUG_KMEMLEAK FAILSLAB FAIL_PAGE_ALLOC \
	   FAULT_INJECTION_DEBUG_FS KUNIT DEBUG_INFO_BTF DEBUG_INFO_BTF_MODULES \
	   INTEL_IOMMU VIRTIO_IOMMU 9P_FS NET_9P_VIRTIO IOMMUFD 64BIT SMP \
	   HOTPLUG_PCI_PCIE VIRTIO_CONSOLE ACPI MULTIUSER FUTEX EPOLL UNIX \
	   OVERLAY_FS DEVTMPFS BPF_SYSCALL FUNCTION_TRACER CGROUPS \
	   FAULT_INJECTION_USERCOPY IRQ_REMAP PCI_MMCONFIG PREEMPT_NOTIFIERS \
	   VFIO_CONTAINER KPROBE_EVENTS; do
	grep -q "^CONFIG_$opt=y" "$O/.config" || {
		echo "debug kernel: CONFIG_$opt did not stick (see $O/.config)" >&2
		exit 1
	}
done
for opt in KVM_AMD VFIO VFIO_PCI VFIO_IOMMU_TYPE1; do
	grep -q "^CONFIG_$opt=[ym]" "$O/.config" || {
		echo "debug kernel: CONFIG_$opt did not stick (see $O/.config)" >&2
		exit 1
	}
done

start=$(date +%s)
echo "debug kernel: building with $(nproc) jobs (log: $log)" >&2
make -C "$SRC" O="$O" -j"$(nproc)" bzImage modules >>"$log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	sleep 60
	kill -0 "$pid" 2>/dev/null &&
		echo "debug kernel: $(( ($(date +%s) - start) / 60 )) min, $(grep -c '^  CC' "$log" || true) files compiled" >&2
done
if ! wait "$pid"; then
	tail -30 "$log" >&2
	echo "debug kernel: build failed (see $log)" >&2
	exit 1
fi
make -s -C "$SRC" O="$O" INSTALL_MOD_PATH="$dir/mods" modules_install >>"$log" 2>&1
cp "$O/arch/x86/boot/bzImage" "$dir/bzImage"
echo $(( $(date +%s) - start )) > "$dir/build-seconds"
touch "$dir/done"
echo "debug kernel: built in $(cat "$dir/build-seconds") s" >&2
echo "$dir"
