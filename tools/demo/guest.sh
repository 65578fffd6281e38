#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo, inside the VM: what an operator does, step by step.
set -eu
TOP=${TOP:?} B=${B:?} SC=${SC:?}
BPFTOOL=$B/deps/bin/bpftool
CTL=$B/tools/ioasidctl
ATTACH=$B/tools/demo_attach
PIN=/sys/fs/bpf/ioasid
SUMMARY=$B/vm/demo-summary-$SC.txt
step() { printf '\n--- %s\n' "$*"; }
summary() { printf '  %-44s %s\n' "$1" "$2" >> "$SUMMARY"; }
decided() { "$ATTACH" "/dev/ioasid-dev/$edu" "$@" | tee /tmp/attach.out; }

echo "snoop-control=$SC:" > "$SUMMARY"

step "load the modules (built against the stock kernel's headers)"
insmod "$TOP/kernel/ioasid.ko"
insmod "$TOP/kernel/ioasid-pci.ko"
$CTL status
$CTL decisions >/dev/null	# start recording decisions (tracepoint)

step "give both edu devices to ioasid-pci"
for d in $(grep -l 0x11e8 /sys/bus/pci/devices/*/device | xargs -n1 dirname | xargs -n1 basename); do
	$CTL device bind "$d"
done
$CTL device list
edu=$($CTL -j device list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["bdf"])')
$CTL device info "$edu"

step "attach with only the built-in policy (today's VFIO + KVM behaviour), flush twice"
decided 2
summary "built-in policy:" "$(head -1 /tmp/attach.out | cut -d';' -f2-)"
summary "  flushes:" "$(grep -c 'done on' /tmp/attach.out) done, $(grep -c EPERM /tmp/attach.out) EPERM (no grant)"

step "load the default policy nosnoop_rules (no rules yet: it defers)"
$CTL policy load nosnoop_rules
$CTL policy list

step "an operator rule: this device may skip snooping, 1 cache flush per second"
$CTL rule add nosnoop 1234:11e8 allow flush-rate 1/s
$CTL rule list
$CTL policy test --bdf "$edu"

step "re-attach: the rule decides now; three flushes in a row hit the rate"
decided 3
summary "with a nosnoop_rules rule:" "$(head -1 /tmp/attach.out | cut -d';' -f2-)"
summary "  flushes (burst 1 at 1/s):" "$(grep -c 'done on' /tmp/attach.out) done, $(grep -c EAGAIN /tmp/attach.out) EAGAIN"

step "register a custom policy with bpftool, stacked above nosnoop_rules"
$BPFTOOL struct_ops register "$B/bpf/example.bpf.o" "$PIN"
$BPFTOOL struct_ops show
$CTL policy list
$CTL policy test --bdf "$edu"
decided 1
summary "with the custom policy stacked:" "$(head -1 /tmp/attach.out | cut -d';' -f2-)"

step "a policy replaced live (same slot, same link): nosnoop_rules -> strict"
$CTL policy replace nosnoop_rules strict
$CTL policy list

step "the decisions, as the tracepoint recorded them"
$CTL decisions | tail -8

step "unregister everything"
$BPFTOOL link detach id "$(cat /sys/kernel/ioasid/policy/example/link_id)"
rm -f "$PIN/example"
$CTL policy unload strict
$CTL policy list
summary "policies left registered:" "$($CTL -j policy list)"
# QEMU with KVM and the edu through VFIO, decided by the operator's rule:
# one inner boot (minutes under TCG), where the rule changes the decision.
[ "$SC" = on ] && SUMMARY=$SUMMARY "$TOP/tools/demo/vmm.sh"
echo
echo "Summary"
cat "$SUMMARY"
