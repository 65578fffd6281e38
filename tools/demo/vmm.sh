#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo's last scene, inside the VM (tools/demo/guest.sh runs it where
# the IOMMU has snoop control): an unmodified QEMU with KVM boots a guest
# with an edu assigned through VFIO; ioasid-vfio serves the container and
# the operator's no-snoop rule decides the device. Also runs alone, in a
# test VM with the modules loaded: tools/demo/vmm.sh (TOP, B set).
set -eu
TOP=${TOP:?} B=${B:?}
KMOD=${KMOD:-$TOP/kernel}
CTL=$B/tools/ioasidctl
SUMMARY=${SUMMARY:-/dev/null}
. "$TOP/selftests/vmm/lib.sh"
step() { printf '\n--- %s\n' "$*"; }
summary() { printf '  %-44s %s\n' "$1" "$2" >> "$SUMMARY"; }

# The second edu goes to VFIO (the first stays on ioasid-pci).
edu=$(grep -l 0x11e8 /sys/bus/pci/devices/*/device | xargs -n1 dirname | xargs -n1 basename | tail -n1)
trap 'vmm_lib_cleanup; "$CTL" policy unload nosnoop_rules >/dev/null 2>&1 || true' EXIT

step "QEMU+KVM: ioasid serves VFIO containers (the operator's modprobe.d line: options ioasid_vfio serve_type1=1)"
vmm_single_cpu >/dev/null	# KVM in a TCG guest: see docs/vmm.md
modprobe kvm_amd
vmm_load_ioasid_vfio
vmm_rebind "$edu" vfio-pci
echo "serve_type1=$(cat /sys/module/ioasid_vfio/parameters/serve_type1)"

step "the operator's rule: the edu may skip snooping even where the IOMMU could enforce it"
$CTL policy load nosnoop_rules
$CTL rule add nosnoop 1234:11e8 allow flush-rate 1/s
$CTL policy test --bdf "$edu"

step "an unmodified qemu-system-x86_64 -accel kvm -device vfio-pci,host=$edu boots the stock kernel"
"$INNER" --edu "$edu" --timeout 600 --log "$B/vm/demo-vmm.console.log" \
	--file "$TOP/selftests/vmm/mod/vmm_edu.ko" -- \
	"edu_in_guest=insmod vmm_edu.ko && ls /sys/bus/pci/drivers/vmm_edu | grep :" \
	"dma_roundtrip=echo 42 >/sys/module/vmm_edu/parameters/roundtrip && dmesg | grep 'round trip'" |
	grep -Ev '^# (inner-guest: qemu pid|qemu: .*VFIO_MAP_DMA failed|qemu: .*vfio_dma_map)' | tee /tmp/vmm.out
# (QEMU also maps the edu's own BAR into the container, for peer-to-peer
# DMA; ioasid refuses memory without struct pages: docs/vfio.md.)
decision=$($CTL decisions | grep -E " attach +1234:11e8 $edu " | tail -n1)

step "the decision QEMU's container got, as the operator sees it"
echo "$decision"
summary "QEMU+KVM guest, edu through VFIO:" "${decision#* uid [0-9]* }"
summary "  inner guest's edu DMA round trip:" "$(grep -q '^ok 2 dma_roundtrip' /tmp/vmm.out && echo 'data checked' || echo FAILED)"
