#!/bin/bash
# shellcheck disable=SC2046,SC2317 # pkg-config output split on purpose; checks called indirectly
# SPDX-License-Identifier: GPL-2.0
# make check-install: the install suite's host side (no VM), in the manner
# of tools/build/check-submake: one PASS/FAIL line per check, the failing
# output, exit non-zero if any fails. The VM side (vm.sh) installs the
# packages this builds and loads a policy built against them.
#
#  - make install DESTDIR=D: exactly the files in expected-files; the
#    installed library self-contained; make uninstall leaves no file;
#  - a policy and a library consumer built with only the installed headers,
#    through the installed pkg-config file;
#  - dkms build against the stock headers in a scratch dkms tree (the
#    host's dkms state untouched), its conditional ioasid-vfio, and its
#    refusal of a kernel without module BTF or older than 6.12;
#  - make deb (debhelper, lintian clean) and the packages' contents.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
here=$TOP/selftests/install
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
B=$TOP/build
DEPS=$B/deps
VERSION=$(sed -n 's/^VERSION := //p' "$TOP/libioasidbpf/Makefile")
KVER=$(ls -d /usr/src/linux-headers-6.12*-amd64 2>/dev/null | sort -V | tail -1 |
	sed 's|.*/linux-headers-||')
triplet=$(gcc -dumpmachine)

check() {
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		echo "PASS install $name"
	else
		echo "FAIL install $name"
		sed 's/^/    /' "$tmp/out" | tail -30
		failed=1
	fi
}

# As a user would call it: a clean environment, none of make's exports.
submake() {
	env -i PATH="$PATH" HOME="${HOME:-/root}" make --no-print-directory -s "$@"
}

# Files and symlinks under $1, relative, sorted.
tree_of() {
	(cd "$1" && find . \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort)
}

D=$tmp/root
P=$D/usr/local
tree_is_expected() {
	submake -C "$TOP" install DESTDIR="$D" || return 1
	grep -v '^#' "$here/expected-files" | LC_ALL=C sort >"$tmp/want"
	tree_of "$D" >"$tmp/got"
	diff -u "$tmp/want" "$tmp/got"
}
check "make install DESTDIR=... (every expected file, nothing else)" tree_is_expected

library_self_contained() {
	local so=$P/lib/libioasidbpf.so.$VERSION bad
	[ "$(readlink "$P/lib/libioasidbpf.so.0")" = "libioasidbpf.so.$VERSION" ] || return 1
	[ "$(readlink "$P/lib/libioasidbpf.so")" = libioasidbpf.so.0 ] || return 1
	readelf -d "$so" >"$tmp/dyn"
	grep -q 'SONAME.*\[libioasidbpf\.so\.0\]' "$tmp/dyn" || { echo "soname"; return 1; }
	# libbpf 1.5 is inside (the host's may be 1.1), nothing points at the tree.
	! grep -E 'NEEDED.*libbpf|RPATH|RUNPATH' "$tmp/dyn" || return 1
	bad=$(nm -D --defined-only "$so" | awk '$2 == "T" && $3 !~ /^ioasidbpf_/')
	[ -z "$bad" ] || { echo "exports: $bad"; return 1; }
	grep -q "^prefix=/usr/local$" "$P/lib/pkgconfig/ioasidbpf.pc"
}
check "installed libioasidbpf.so: soname, libbpf linked in, no build-tree path" library_self_contained

# pkg-config as a packager's build sees a DESTDIR: the sysroot prefix.
pc() {
	PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_PATH=$P/lib/pkgconfig pkg-config "$@" ioasidbpf
}

# The example and a default policy, copied out of the tree so that their
# quoted includes find nothing next to them: only the installed headers,
# libbpf's (bpf_helpers.h: libbpf-dev's role) and the system's.
policy_from_installed_headers() {
	local f
	mkdir -p "$tmp/p"
	cp "$P/share/ioasid/examples/example.bpf.c" "$TOP/bpf/policies/nosnoop_rules.bpf.c" "$tmp/p/"
	for f in example nosnoop_rules; do
		clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
			$(pc --variable=bpf_cflags) -I"$DEPS/include" -I/usr/include/"$triplet" \
			-c "$tmp/p/$f.bpf.c" -o "$tmp/p/$f.bpf.o" || return 1
		"$DEPS/bin/bpftool" btf dump file "$tmp/p/$f.bpf.o" | grep -q "STRUCT 'ioasid_policy_ops'" ||
			{ echo "$f: no struct ioasid_policy_ops"; return 1; }
	done
}
check "policy built with the installed headers (clang -target bpf, pkg-config bpf_cflags)" \
	policy_from_installed_headers

consumer_of_installed_library() {
	gcc -std=c11 -Wall -Wextra -Werror $(pc --cflags) "$here/consumer.c" -o "$tmp/c" $(pc --libs) || return 1
	LD_LIBRARY_PATH=$P/lib ldd "$tmp/c" | grep -q "$P/lib/libioasidbpf.so.0" || return 1
	[ "$(LD_LIBRARY_PATH=$P/lib "$tmp/c" | paste -sd' ')" = "vfio_compat strict nosnoop_rules" ]
}
check "consumer built and run with pkg-config --cflags --libs (installed .so)" \
	consumer_of_installed_library

# The boot-time pieces name the installed ioasidctl; the shipped
# configuration (all comments) is a valid one.
unit_and_rule_installed() {
	local u=$P/lib/systemd/system/ioasid.service r=$P/lib/udev/rules.d/60-ioasid.rules
	grep -qx 'ExecStartPre=/sbin/modprobe ioasid' "$u" &&
		grep -qx 'ExecStart=/usr/local/sbin/ioasidctl apply' "$u" &&
		grep -qx 'Type=oneshot' "$u" && grep -qx 'WantedBy=multi-user.target' "$u" ||
		{ cat "$u"; return 1; }
	[ "$(grep -c 'RUN+="/usr/local/sbin/ioasidctl apply --nodes-only"' "$r")" = 2 ] ||
		{ cat "$r"; return 1; }
	! grep -q @SBINDIR@ "$u" "$r" || return 1
	[ "$("$P/sbin/ioasidctl" apply --nodes-only "$D/etc/ioasid/ioasid.conf")" = "no change" ]
}
check "ioasid.service and 60-ioasid.rules run the installed ioasidctl; ioasid.conf parses" \
	unit_and_rule_installed

# An operator's edited configuration survives make install and uninstall.
edited_conf_kept() {
	local d=$tmp/conf
	submake -C "$TOP" install DESTDIR="$d" || return 1
	echo "policy strict" >>"$d/etc/ioasid/ioasid.conf"
	submake -C "$TOP" install DESTDIR="$d" || return 1
	grep -qx "policy strict" "$d/etc/ioasid/ioasid.conf" || { echo "overwritten"; return 1; }
	submake -C "$TOP" uninstall DESTDIR="$d" || return 1
	grep -qx "policy strict" "$d/etc/ioasid/ioasid.conf" || { echo "removed"; return 1; }
}
check "make install/uninstall keep an edited /etc/ioasid/ioasid.conf" edited_conf_kept

uninstall_leaves_nothing() {
	submake -C "$TOP" uninstall DESTDIR="$D" || return 1
	tree_of "$D" >"$tmp/left"
	[ ! -s "$tmp/left" ] || { echo "left behind:"; cat "$tmp/left"; return 1; }
	[ ! -e "$P/include/ioasid" ] && [ ! -e "$P/lib/ioasid" ] && [ ! -e "$P/share/ioasid" ]
}
check "make uninstall removes every installed file" uninstall_leaves_nothing

# --- DKMS --------------------------------------------------------------------
# A scratch dkms: its own module, source and install trees, and no signing
# (sign_file read from the environment: no MOK key made in /var/lib/dkms).
K=$tmp/dkms
dkms_() {
	sign_file=/nonexistent dkms --dkmstree "$K/tree" --sourcetree "$K/src" \
		--installtree "$K/inst" "$@"
}
dkms_source() {
	mkdir -p "$K/tree" "$K/inst" "$K/stage"
	submake -C "$TOP" install-dkms DESTDIR="$K/stage" || return 1
	mv "$K/stage/usr/src" "$K/src"
	dkms_ add -m ioasid -v "$VERSION"
}

# dkms.conf decides per kernel: without linux-source of that exact version,
# ioasid.ko and ioasid-pci.ko only, IOASID_VFIO=n given to Kbuild.
dkms_conf_without_source() {
	local out
	out=$(kernelver=$KVER kernel_source_dir=/usr/src/linux-headers-$KVER \
		IOASID_LINUX_SRC=$tmp/none bash -c '. "$1" >/dev/null
		echo "${BUILT_MODULE_NAME[*]}|$MAKE"' _ "$K/src/ioasid-$VERSION/dkms.conf")
	[ "${out%%|*}" = "ioasid ioasid-pci" ] || { echo "$out"; return 1; }
	[[ $out == *IOASID_VFIO=n* ]] || { echo "$out"; return 1; }
}

dkms_build_stock() {
	local m
	# The source of exactly this kernel: ioasid-vfio.ko too.
	IOASID_LINUX_SRC=$(readlink -f "$B/linux-src") dkms_ build -m ioasid -v "$VERSION" -k "$KVER" ||
		return 1
	for m in ioasid ioasid-pci ioasid-vfio; do
		f=$(ls "$K/tree/ioasid/$VERSION/$KVER"/*/module/"$m".ko* 2>/dev/null) ||
			{ echo "$m not built"; return 1; }
		case $f in *.xz) xz -dc "$f" >"$tmp/m.ko" ;; *) cp "$f" "$tmp/m.ko" ;; esac
		modinfo -F vermagic "$tmp/m.ko" | grep -q "^$KVER " || { echo "$m: vermagic"; return 1; }
		readelf -S "$tmp/m.ko" | grep -q '\.BTF' || { echo "$m: no .BTF"; return 1; }
	done
	! grep -q 'bad exit status' "$K/tree/ioasid/$VERSION/$KVER"/*/log/make.log 2>/dev/null
}

# Headers whose .config lacks CONFIG_DEBUG_INFO_BTF_MODULES, and a 6.1.
dkms_refuses() {
	local h=$tmp/nobtf out rc
	mkdir -p "$h"
	grep -v '^CONFIG_DEBUG_INFO_BTF_MODULES=' "/usr/src/linux-headers-$KVER/.config" >"$h/.config"
	out=$(dkms_ build -m ioasid -v "$VERSION" -k "${KVER/-/+nobtf-}" --kernelsourcedir "$h" 2>&1)
	rc=$?
	[ $rc -eq 77 ] || { echo "no BTF: exit $rc: $out"; return 1; }
	grep -q 'no module BTF (CONFIG_DEBUG_INFO_BTF_MODULES' <<<"$out" || { echo "$out"; return 1; }
	out=$(dkms_ build -m ioasid -v "$VERSION" -k 6.1.0-99-amd64 \
		--kernelsourcedir "/usr/src/linux-headers-$KVER" 2>&1)
	rc=$?
	[ $rc -eq 77 ] || { echo "6.1: exit $rc: $out"; return 1; }
	grep -q 'older than 6.12' <<<"$out" || { echo "$out"; return 1; }
}

if check "dkms add (make install-dkms, scratch dkms tree)" dkms_source; then
	check "dkms.conf without linux-source: ioasid, ioasid-pci, IOASID_VFIO=n" dkms_conf_without_source
	check "dkms build against the stock $KVER headers (BTF, vermagic, ioasid-vfio)" dkms_build_stock
	check "dkms refuses a kernel without module BTF and one older than 6.12" dkms_refuses
fi

# --- Debian packages ---------------------------------------------------------
deb_builds() {
	submake -C "$TOP" deb
}

deb_contents() {
	local t=$B/deb/ioasid-tools_${VERSION}_amd64.deb d=$B/deb/ioasid-dkms_${VERSION}_all.deb f
	for f in ./usr/sbin/ioasidctl ./usr/lib/$triplet/libioasidbpf.so.0 \
		 ./usr/lib/$triplet/pkgconfig/ioasidbpf.pc ./usr/include/ioasid/bpf/ioasid_policy.h \
		 ./usr/include/linux/ioasid.h ./usr/share/man/man8/ioasidctl.8.gz \
		 ./usr/share/bash-completion/completions/ioasidctl \
		 ./usr/lib/ioasid/policies/nosnoop_rules.bpf.o ./lib/systemd/system/ioasid.service \
		 ./lib/udev/rules.d/60-ioasid.rules ./etc/ioasid/ioasid.conf \
		 ./usr/share/man/man5/ioasid.conf.5.gz; do
		dpkg-deb -c "$t" | grep -q " $f" || { echo "ioasid-tools lacks $f"; return 1; }
	done
	# The configuration is a conffile; the unit enabled at install, not started.
	dpkg-deb -e "$t" "$tmp/toolsctl" || return 1
	grep -qx /etc/ioasid/ioasid.conf "$tmp/toolsctl/conffiles" || { echo "no conffile"; return 1; }
	grep -q 'deb-systemd-helper.* enable .*ioasid.service' "$tmp/toolsctl/postinst" ||
		{ echo "unit not enabled"; return 1; }
	! grep -q 'deb-systemd-invoke.* start .*ioasid.service' "$tmp/toolsctl/postinst" ||
		{ echo "unit started at install"; return 1; }
	dpkg-deb --fsys-tarfile "$t" | tar -xO ./lib/systemd/system/ioasid.service |
		grep -qx 'ExecStart=/usr/sbin/ioasidctl apply' || { echo "unit's ExecStart"; return 1; }
	# dh_dkms's part: the dkms dependency (>= 3.0.3 for
	# BUILD_EXCLUSIVE_CONFIG) and the scripts that add and remove the module.
	dpkg-deb -f "$d" Depends | grep -q 'dkms (>= 3' || { echo "no dkms dependency"; return 1; }
	dpkg-deb -e "$d" "$tmp/dkmsctl" || return 1
	grep -qx "DKMS_NAME=ioasid" "$tmp/dkmsctl/postinst" &&
		grep -qx "DKMS_VERSION=$VERSION" "$tmp/dkmsctl/postinst" &&
		grep -q 'dkms remove -m $DKMS_NAME' "$tmp/dkmsctl/prerm" ||
		{ echo "no dkms maintainer scripts"; return 1; }
	# The DKMS package's source is make install-dkms's, with dkms.conf.
	dpkg-deb -x "$d" "$tmp/dkmsdeb" || return 1
	diff -r "$K/src/ioasid-$VERSION" "$tmp/dkmsdeb/usr/src/ioasid-$VERSION"
}

if check "make deb (debhelper; lintian clean but for the commented overrides)" deb_builds; then
	check "packages' contents (tools, library, headers; DKMS source)" deb_contents
fi
exit $failed
