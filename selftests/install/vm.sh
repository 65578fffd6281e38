#!/bin/bash
# shellcheck disable=SC2046,SC2317 # pkg-config output split on purpose; checks called indirectly
# SPDX-License-Identifier: GPL-2.0
# The install suite's VM side: the ioasid-tools package that `make deb`
# built (make check-install, host.sh) installed with apt into this VM's
# root, then used. The VM's root is the host's, read-only over 9p: this
# script runs in a private mount namespace with a tmpfs-backed overlay on
# /usr, /etc and /var, so dpkg and apt work as on a real host and the rest
# of the VM (and the host) sees nothing. ioasid-dkms is checked on the host
# (a DKMS build in a TCG VM would take most of the run).
set -u
here=$(cd "$(dirname "$0")" && pwd)
TOP=${TOP:?} B=${B:?}

if [ -z "${IOASID_INSTALL_NS:-}" ]; then
	export IOASID_INSTALL_NS=1
	exec unshare --mount --propagation private "$0" "$@"
fi
. "$here/../lib/tap.sh"
tap_begin install

ovl=$(mktemp -d)
triplet=$(gcc -dumpmachine)
VERSION=$(sed -n 's/^VERSION := //p' "$TOP/libioasidbpf/Makefile")
deb=$B/deb/ioasid-tools_${VERSION}_amd64.deb
work=$ovl/work-files

overlay_root() {
	local d n
	[ -e "$deb" ] || { echo "$deb missing: run make check-install (or make deb) first"; return 1; }
	modprobe overlay || return 1
	mount -t tmpfs tmpfs "$ovl" || return 1
	for d in /usr /etc /var; do
		n=${d#/}
		mkdir -p "$ovl/$n.up" "$ovl/$n.work"
		mount -t overlay overlay \
			-o "lowerdir=$d,upperdir=$ovl/$n.up,workdir=$ovl/$n.work" "$d" || return 1
	done
	mkdir -p "$work"
	! dpkg -s ioasid-tools >/dev/null 2>&1 || { echo "already installed"; return 1; }
}

# apt with an empty package list: the VM is offline and the dependencies
# are installed, so the answer is the same, and reading the host's lists
# over 9p under TCG took minutes.
apt_() {
	mkdir -p "$ovl/lists/partial"
	DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dir::State::Lists="$ovl/lists" "$@"
}

apt_install() {
	apt_ install --no-install-recommends "$deb" &&
		[ "$(dpkg-query -W -f='${Status} ${Version}' ioasid-tools)" = \
			"install ok installed $VERSION" ]
}

installed_status() {
	local out
	[ "$(command -v ioasidctl)" = /usr/sbin/ioasidctl ] || { command -v ioasidctl; return 1; }
	out=$(/usr/sbin/ioasidctl status) || { echo "$out"; return 1; }
	echo "$out"
	grep -q '^module: *loaded' <<<"$out" && grep -q '^/dev/ioasid: present' <<<"$out"
	man -w ioasidctl | grep -q '^/usr/share/man/man8/ioasidctl.8' || return 1
	[ -r /usr/share/bash-completion/completions/ioasidctl ]
}

# The example policy as its author would build it on this host: the
# installed headers through the installed pkg-config file (libbpf's
# bpf_helpers.h from the project's libbpf, libbpf-dev's role), registered
# with the installed ioasidctl, seen in the stack, unregistered.
policy_from_package() {
	local cflags
	cflags=$(pkg-config --variable=bpf_cflags ioasidbpf) || return 1
	[ "$cflags" = "-I/usr/include/ioasid/bpf -I/usr/include" ] || { echo "$cflags"; return 1; }
	cp /usr/share/ioasid/examples/example.bpf.c "$work/"
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror $cflags \
		-I"$B/deps/include" -I/usr/include/"$triplet" \
		-c "$work/example.bpf.c" -o "$work/example.bpf.o" || return 1
	ioasidctl policy load "$work/example.bpf.o" || return 1
	ioasidctl policy list | grep -qw example || { ioasidctl policy list; return 1; }
	ioasidctl policy unload example || return 1
	! ioasidctl policy list | grep -qw example
}

# docs/policy-guide.md's marked blocks, as written and in order
# (guide.sh): a custom policy built with the installed headers, registered
# with the project's bpftool, observed, a real attach decided by it,
# unregistered. libbpf's headers stand in for libbpf-dev (offline VM).
# Then: the attach was the guide policy's, and nothing of it is left.
policy_guide() {
	local out
	cp -r "$B/deps/include/bpf" /usr/include/bpf || return 1
	out=$(IOASID_INSTALL_OVERLAY=1 PATH=/usr/local/sbin:$PATH \
		"$here/guide.sh" "$TOP/docs/policy-guide.md" "$work/guide" 2>&1)
	local rc=$? left=
	echo "$out" | tee "$work/guide.out"
	# What a failed run may have left for the next suites.
	if [ -e /sys/kernel/ioasid/policy/vendor_guard ]; then
		left=1
		ioasidctl policy unload vendor_guard
	fi
	rm -rf /usr/include/bpf /usr/local/sbin/bpftool /sys/fs/bpf/mypolicies
	[ $rc -eq 0 ] || return 1
	[ -z "$left" ] || { echo "vendor_guard left registered"; return 1; }
	# attach.c's own lines (the real attach, not policy test's).
	grep -qx 'attached to IOAS [0-9]*, decided by vendor_guard: vendor_guard: no-snoop, flush 100/s' \
		<<<"$out" && grep -qx 'no-snoop DMA allowed' <<<"$out" &&
		grep -qx 'cache flush granted: 100/s, burst 4' <<<"$out" ||
		{ echo "the attach was not decided by vendor_guard"; return 1; }
}

library_from_package() {
	local so
	gcc -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags ioasidbpf) "$here/consumer.c" \
		-o "$work/c" $(pkg-config --libs ioasidbpf) || return 1
	# The package's library (ld.so may name it through the /lib symlink).
	so=$(ldd "$work/c" | awk '$1 == "libioasidbpf.so.0" { print $3 }')
	[ "$(readlink -f "$so")" = "/usr/lib/$triplet/libioasidbpf.so.$VERSION" ] ||
		{ ldd "$work/c"; return 1; }
	[ "$("$work/c" | paste -sd' ')" = "vfio_compat strict nosnoop_rules" ]
}

# The package's configuration path, as after a reboot: the operator's one
# file, then what the enabled unit runs once the module is loaded (the
# module is; the unit's own ExecStart line, as installed).
configured_at_boot() {
	local unit=/lib/systemd/system/ioasid.service cmd out
	local -a run
	[ -L /etc/systemd/system/multi-user.target.wants/ioasid.service ] ||
		{ echo "ioasid.service not enabled"; return 1; }
	cmd=$(sed -n 's/^ExecStart=//p' "$unit")
	[ "$cmd" = "/usr/sbin/ioasidctl apply" ] || { echo "ExecStart=$cmd"; return 1; }
	read -r -a run <<<"$cmd"
	cat >>/etc/ioasid/ioasid.conf <<-EOF
	policy nosnoop_rules priority 10
	rule nosnoop 8086:1234 allow flush-rate 100/s
	EOF
	"${run[@]}" || return 1
	out=$(ioasidctl status; ioasidctl rule list)
	echo "$out"
	grep -q '^nosnoop_rules *priority 10 ' <<<"$out" &&
		grep -q '8086:1234 .*flush-rate 100/s' <<<"$out" || return 1
	[ "$("${run[@]}")" = "no change" ] || return 1
	# The file emptied: what apply loaded goes.
	sed -i '/^policy\|^rule/d' /etc/ioasid/ioasid.conf
	"${run[@]}" >/dev/null && ! ioasidctl policy list | grep -qw nosnoop_rules
}

apt_remove() {
	local f left=
	dpkg -L ioasid-tools >"$work/files" || return 1
	apt_ remove --purge ioasid-tools || return 1
	! dpkg -s ioasid-tools >/dev/null 2>&1 || { echo "still installed"; return 1; }
	while read -r f; do
		[ -d "$f" ] || [ ! -e "$f" ] || left="$left $f"
	done <"$work/files"
	[ -z "$left" ] || { echo "left behind:$left"; return 1; }
}

# Without the overlay or the package the other steps are skipped (the
# failure is already reported).
blocked=
for t in overlay_root apt_install installed_status policy_from_package policy_guide \
	library_from_package configured_at_boot apt_remove; do
	if [ -n "$blocked" ]; then
		tap_skip "$t" "$blocked failed"
	elif ! tap_check "$t" "$t"; then
		case $t in overlay_root | apt_install) blocked=$t ;; esac
	fi
done
# What the guide's commands printed, for the log (TAP diagnostics).
[ ! -s "$work/guide.out" ] || sed 's/^/# policy-guide: /' "$work/guide.out"
tap_end
