#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bpftool (7.5, patched for module struct_ops) on an ioasid policy:
# register, show, show -j, dump, the policy deciding, link detach.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
BPFTOOL=${BPFTOOL:?}
OBJ=${B:?}/bpf/vfio_compat.bpf.o
PIN=/sys/fs/bpf/ioasid-selftest-bpftool
SYS=/sys/kernel/ioasid/policy

cleanup() {
	rm -rf "$PIN"
}
trap cleanup EXIT
cleanup
mkdir -p "$PIN"

tap_begin bpftool

register() {
	local out
	out=$("$BPFTOOL" struct_ops register "$OBJ" "$PIN" 2>&1) || {
		echo "$out"; return 1; }
	echo "$out"
	# bpftool prints the registered map's name; unpatched 7.5 crashed here.
	grep -q 'Registered ioasid_policy_ops vfio_compat' <<<"$out" &&
		[ -e "$PIN/vfio_compat" ] &&
		[ "$(cat $SYS/vfio_compat/state)" = active ]
}
tap_check register register

show() {
	local out
	out=$("$BPFTOOL" struct_ops show 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	grep -Eq '^[0-9]+: vfio_compat +ioasid_policy_ops' <<<"$out"
}
tap_check show show

show_json() {
	local out
	out=$("$BPFTOOL" -j struct_ops show 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	python3 -c '
import json, sys
maps = json.loads(sys.argv[1])
m = [x for x in maps if x["name"] == "vfio_compat"]
assert len(m) == 1, maps
assert m[0]["kernel_struct_ops"] == "ioasid_policy_ops", m[0]
assert isinstance(m[0]["id"], int)
' "$out"
}
tap_check show_json show_json

dump() {
	local out
	out=$("$BPFTOOL" struct_ops dump name vfio_compat 2>&1) || {
		echo "$out"; return 1; }
	echo "$out"
	# The dump decodes the value with the module's BTF: data fields show.
	grep -q 'bpf_struct_ops_ioasid_policy_ops' <<<"$out" &&
		grep -q '"vfio_compat"\|vfio_compat' <<<"$out" &&
		grep -Eq '\.priority = 1000|"priority": 1000' <<<"$out"
}
tap_check dump dump

dump_json() {
	local out
	out=$("$BPFTOOL" -j struct_ops dump name vfio_compat 2>&1) || {
		echo "$out"; return 1; }
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
s = json.dumps(d)
assert "ioasid_policy_ops" in s and "1000" in s, s[:2000]
' "$out"
}
tap_check dump_json dump_json

map_dump() {
	local out id
	id=$("$BPFTOOL" -j struct_ops show | python3 -c '
import json, sys
print([m["id"] for m in json.load(sys.stdin) if m["name"] == "vfio_compat"][0])')
	out=$("$BPFTOOL" map dump id "$id" 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	grep -q '"priority": 1000' <<<"$out"
}
tap_check map_dump map_dump

decides() {
	local out
	# The registered policy is first in the stack and takes the next
	# decision (a dry run through ioasidctl, same code as an attach).
	head -1 $SYS/stack | grep -q '^vfio_compat 1000 active' || return 1
	out=$("$B/tools/ioasidctl" -j policy test --device 1234:11e8 --noncoherent) ||
		{ echo "$out"; return 1; }
	echo "$out"
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])["decision"]
assert d["policy"] == "vfio_compat", d
assert d["snoop"] == "no-snoop" and d["flush_grant"], d
' "$out"
}
tap_check decides decides

link_detach() {
	local id out
	id=$(cat $SYS/vfio_compat/link_id)
	out=$("$BPFTOOL" link detach id "$id" 2>&1) || { echo "$out"; return 1; }
	[ ! -e $SYS/vfio_compat ] || { echo "still registered"; return 1; }
	rm -f "$PIN/vfio_compat"
	! "$BPFTOOL" struct_ops show 2>/dev/null | grep -q vfio_compat ||
		{ "$BPFTOOL" struct_ops show; echo "map still listed"; return 1; }
}
tap_check link_detach link_detach

example_policy() {
	local out id
	# The documented example in bpf/examples, registered the way its
	# comment says, changes the next decision for a virtio device.
	"$BPFTOOL" struct_ops register "$B/bpf/example.bpf.o" "$PIN" || return 1
	out=$("$B/tools/ioasidctl" -j policy test --device 1af4:1000) ||
		{ echo "$out"; return 1; }
	echo "$out"
	id=$(cat $SYS/example/link_id)
	"$BPFTOOL" link detach id "$id" || return 1
	rm -f "$PIN/example"
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])["decision"]
assert d["policy"] == "example" and not d["allowed"], d
assert d["reason"] == "example: virtio devices stay in the kernel", d
' "$out"
}
tap_check example_policy example_policy

tap_end
