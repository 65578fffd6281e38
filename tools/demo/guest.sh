#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo, inside the VM.
set -eu
TOP=${TOP:?} B=${B:?}
BPFTOOL=$B/deps/bin/bpftool
CTL=$B/tools/ioasidctl
PIN=/sys/fs/bpf/ioasid-demo
step() { printf '\n--- %s\n' "$*"; }

step "load the module (built against the stock headers)"
insmod "$TOP/kernel/ioasid.ko"
$CTL status

edu=$(grep -l 0x11e8 /sys/bus/pci/devices/*/device | head -1 | xargs dirname | xargs basename)
step "the edu device at $edu, decided by the built-in policy (dry run)"
$CTL policy test --bdf "$edu"

step "register the default policy vfio_compat with bpftool"
mkdir -p $PIN
$BPFTOOL struct_ops register "$B/bpf/vfio_compat.bpf.o" $PIN
$BPFTOOL struct_ops show
$CTL policy list

step "the same device, now decided by the BPF policy"
$CTL policy test --bdf "$edu"
step "as JSON"
$CTL -p policy test --bdf "$edu"

step "unregister: detach the link"
$BPFTOOL link detach id "$(cat /sys/kernel/ioasid/policy/vfio_compat/link_id)"
rm -rf $PIN
$CTL policy list
