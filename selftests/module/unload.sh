#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The module cannot go while a policy holds it, and goes cleanly once the
# policy is detached (struct_ops maps are freed asynchronously: retry).
set -u
KMOD=${KMOD:-$TOP/kernel}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
BPFTOOL=${BPFTOOL:?}
OBJ=${B:?}/bpf/vfio_compat.bpf.o
PIN=/sys/fs/bpf/ioasid-selftest-unload

tap_begin unload
rm -rf "$PIN"; mkdir -p "$PIN"

busy_while_registered() {
	"$BPFTOOL" struct_ops register "$OBJ" "$PIN" >/dev/null || return 1
	if rmmod ioasid 2>/dev/null; then
		echo "rmmod succeeded with a policy registered"
		return 1
	fi
	[ -e /sys/module/ioasid ]
}
tap_check busy_while_registered busy_while_registered

unload_after_detach() {
	local i
	rm -f "$PIN/vfio_compat"
	# Modules depending on ioasid go first.
	for m in ioasid_test ioasid_pci; do
		if [ -e /sys/module/$m ]; then
			rmmod $m || return 1
		fi
	done
	for i in $(seq 1 50); do
		rmmod ioasid 2>/dev/null && break
		sleep 0.1
	done
	[ ! -e /sys/module/ioasid ] || { lsmod | grep ioasid; return 1; }
	echo "unloaded after $i tries"
}
tap_check unload_after_detach unload_after_detach

# With the module gone, ioasidctl says so, exit code 3 (not ready).
ctl_without_module() {
	local out rc
	out=$("$B/tools/ioasidctl" status 2>&1); rc=$?
	[ "$rc" = 3 ] || { echo "status: exit $rc"; return 1; }
	[ "$out" = "module:      not loaded (modprobe ioasid)" ] || { echo "status: $out"; return 1; }
	out=$("$B/tools/ioasidctl" policy list 2>&1); rc=$?
	[ "$rc" = 3 ] || { echo "policy list: exit $rc"; return 1; }
	[ "$out" = "ioasidctl: cannot read /sys/kernel/ioasid/policy/stack: No such file or directory (is the ioasid module loaded?)" ] ||
		{ echo "policy list: $out"; return 1; }
	out=$("$B/tools/ioasidctl" policy load vfio_compat 2>&1); rc=$?
	[ "$rc" = 3 ] || { echo "policy load: exit $rc"; return 1; }
	[ "$out" = "ioasidctl: the ioasid module is not loaded (modprobe ioasid)" ] ||
		{ echo "policy load: $out"; return 1; }
}
tap_check ctl_without_module ctl_without_module

reload() {
	insmod "$KMOD/ioasid.ko" && [ -e /sys/kernel/btf/ioasid ] &&
		[ -c /dev/ioasid ] && insmod "$KMOD/ioasid_test.ko" &&
		[ -c /dev/ioasid_test ] && insmod "$KMOD/ioasid-pci.ko"
}
tap_check reload reload

rm -rf "$PIN"
tap_end
