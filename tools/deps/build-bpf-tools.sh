#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-bpf-tools.sh OUTDIR
#
# Build libbpf 1.5 and bpftool 7.5 from tools/ of Debian's linux-source-6.12
# tarball, with the patches in patches/ applied, and make OUTDIR a copy of
# the result:
#
#   OUTDIR/bin/bpftool
#   OUTDIR/include/bpf/*.h          libbpf public headers (bpf_helpers.h,
#                                   bpf_tracing.h, bpf_core_read.h,
#                                   bpf_helper_defs.h, ...)
#   OUTDIR/lib/libbpf.a, libbpf.so*
#   OUTDIR/lib/pkgconfig/libbpf.pc  prefix = the cache entry (absolute)
#   OUTDIR/share/bash-completion/completions/bpftool
#   OUTDIR/logs/                    build logs
#
# Nothing is installed into the system and /usr/src is only read: the needed
# parts of the tarball are extracted into the cache entry, which is
#   ${BPF_TOOLS_CACHE:-/var/cache/ioasid/bpf-tools}/<key>/
# where <key> hashes the tarball (size, mtime, Debian package version), this
# script, every patch and the BTF file used for bpftool's own skeletons. A
# complete entry has a .complete stamp; a later run with the same key only
# refreshes the OUTDIR copy. Sources and objects are removed from the entry
# after a successful build; `rm -rf` of the cache is always safe.
#
# bpftool is built with its BPF skeletons (prog profile, pids in show output):
# they need clang and a vmlinux BTF to generate vmlinux.h. We use the target
# kernel's BTF-only vmlinux from linux-headers-6.12-amd64 (not the build host's
# /sys/kernel/btf/vmlinux, which may be any kernel), falling back to
# /sys/kernel/btf/vmlinux; with neither (or without clang) bpftool's Makefile
# builds it with -DBPFTOOL_WITHOUT_SKELETONS, which only loses those two
# features: `bpftool gen skeleton` works either way. Override the BTF file with
# BPF_TOOLS_VMLINUX_BTF=PATH (empty: build without skeletons).
#
# Environment: LINUX_SOURCE_TARBALL (default /usr/src/linux-source-6.12.tar.xz),
# BPF_TOOLS_CACHE, BPF_TOOLS_VMLINUX_BTF, V=1 (show build output).
set -euo pipefail

prog=bpf-tools
say() { echo "$prog: $*"; }
die() { echo "$prog: error: $*" >&2; exit 1; }
trap 'echo "$prog: error: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
outdir=${1%/}
verbose=${V:-0}
# The kernel tools Makefiles read these from the environment (a parent make
# exports its command-line variables through MAKEFLAGS): build from a clean one.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL V O OUTPUT KBUILD_OUTPUT srctree \
	DESTDIR prefix libdir CFLAGS CPPFLAGS LDFLAGS EXTRA_CFLAGS EXTRA_LDFLAGS \
	EXTRA_WARNINGS ARCH SRCARCH CROSS_COMPILE LLVM VMLINUX_BTF VMLINUX_H

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self=$here/$(basename "${BASH_SOURCE[0]}")
patch_dir=$here/patches
tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
cache_root=${BPF_TOOLS_CACHE:-${CACHE:-/var/cache/ioasid}/bpf-tools}
jobs=$(nproc 2>/dev/null || echo 2)

[ -r "$tarball" ] ||
	die "$tarball not found: install linux-source-6.12 (tools/deps/install-packages.sh)"

shopt -s nullglob
patches=("$patch_dir"/*.patch)
shopt -u nullglob

# BTF for bpftool's own skeletons: the target kernel's, else the host's.
if [ -n "${BPF_TOOLS_VMLINUX_BTF+set}" ]; then
	vmlinux_btf=$BPF_TOOLS_VMLINUX_BTF
else
	vmlinux_btf=$(ls -d /usr/src/linux-headers-6.12*-amd64/vmlinux 2>/dev/null |
		      sort -V | tail -n1 || true)
	if [ -z "$vmlinux_btf" ] && [ -r /sys/kernel/btf/vmlinux ]; then
		vmlinux_btf=/sys/kernel/btf/vmlinux
	fi
fi
[ -z "$vmlinux_btf" ] || [ -r "$vmlinux_btf" ] || die "cannot read $vmlinux_btf"

src_version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown)

key=$({
	echo "tarball $(stat -L -c '%s %Y' "$tarball") $src_version"
	echo "script $(sha256sum < "$self")"
	for p in "${patches[@]}"; do
		echo "patch $(basename "$p") $(sha256sum < "$p")"
	done
	echo "btf $vmlinux_btf $([ -z "$vmlinux_btf" ] || stat -L -c %s "$vmlinux_btf")"
} | sha256sum | cut -c1-16)
entry=$cache_root/$key

# OUTDIR is a copy, not a symlink: the test VMs see the host's root
# read-only but overlay /tmp and friends, so a cache entry there would be
# invisible to them; a copy inside the build tree is always visible.
link_outdir() {
	if [ -f "$outdir/.complete" ] && cmp -s "$outdir/.complete" "$entry/.complete"; then
		return
	fi
	if [ -L "$outdir" ]; then
		rm -f "$outdir"
	elif [ -d "$outdir" ]; then
		[ -f "$outdir/.complete" ] || rmdir "$outdir" 2>/dev/null ||
			die "$outdir exists and is not a copy of a cache entry"
		rm -rf "$outdir"
	elif [ -e "$outdir" ]; then
		die "$outdir exists and is not a directory"
	fi
	mkdir -p "$(dirname "$outdir")"
	cp -a "$entry" "$outdir.tmp.$$"
	mv "$outdir.tmp.$$" "$outdir"
}

if [ -f "$entry/.complete" ]; then
	link_outdir
	say "cached at $entry"
	exit 0
fi

for c in tar xz make cc patch python3 install; do
	command -v "$c" >/dev/null || die "missing '$c' (run tools/deps/install-packages.sh)"
done
for h in gelf.h zlib.h; do
	[ -e "/usr/include/$h" ] || die "missing /usr/include/$h: install libelf-dev zlib1g-dev"
done

mkdir -p "$cache_root"
exec 9>"$cache_root/.$key.lock"
flock 9
if [ -f "$entry/.complete" ]; then	# built by a concurrent run
	link_outdir
	say "cached at $entry"
	exit 0
fi

# Drop entries that a dead run left incomplete (their lock is free).
for d in "$cache_root"/*/; do
	d=${d%/}
	[ "$d" != "$entry" ] && [ ! -f "$d/.complete" ] || continue
	(flock -n 8 && rm -rf "$d") 8>"$cache_root/.${d##*/}.lock" || true
done

rm -rf "$entry"
src=$entry/src
build=$entry/build
logs=$entry/logs
mkdir -p "$src" "$build/libbpf" "$build/bpftool" "$logs"

# step DESCRIPTION LOG CMD...: run CMD, output in LOG; on failure show its tail.
step() {
	local desc=$1 log=$logs/$2 rc=0
	shift 2
	if [ "$verbose" = 1 ]; then
		"$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
	else
		"$@" >"$log" 2>&1 || rc=$?
	fi
	if [ "$rc" -ne 0 ]; then
		echo "$prog: error: $desc failed (exit $rc); last lines of $log:" >&2
		tail -n 40 "$log" >&2
		exit 1
	fi
}

# The minimal part of the tree that libbpf and bpftool build from (amd64 only:
# tools/arch/x86 has the asm/ headers). The include/uapi headers are only
# compared with their tools/include copies (libbpf warns if they differ).
top=linux-source-6.12
members=(
	"$top/tools/lib/bpf/*"
	"$top/tools/bpf/bpftool/*"
	"$top/tools/include/*"
	"$top/tools/build/*"
	"$top/tools/scripts/*"
	"$top/tools/arch/x86/include/*"
	"$top/kernel/bpf/disasm.[ch]"
	"$top/scripts/bpf_doc.py"
	"$top/include/uapi/linux/bpf.h"
	"$top/include/uapi/linux/bpf_common.h"
	"$top/include/uapi/linux/if_xdp.h"
)
say "extracting tools/ of linux-source-6.12 $src_version"
step "extracting $tarball" extract.log \
	tar -xJf "$tarball" -C "$src" --strip-components=1 --wildcards "${members[@]}"

for p in "${patches[@]}"; do
	say "applying $(basename "$p")"
	step "applying $p" "patch-$(basename "$p" .patch).log" \
		patch -p1 -d "$src" --forward --batch --no-backup-if-mismatch -i "$p"
done

say "building libbpf"
step "building libbpf" libbpf.log \
	make -C "$src/tools/lib/bpf" -j"$jobs" OUTPUT="$build/libbpf/" \
		prefix="$entry" libdir="$entry/lib" install

say "building bpftool${vmlinux_btf:+ (skeletons from $vmlinux_btf)}"
step "building bpftool" bpftool.log \
	make -C "$src/tools/bpf/bpftool" -j"$jobs" OUTPUT="$build/bpftool/" \
		VMLINUX_BTF="$vmlinux_btf"
install -D -m 755 "$build/bpftool/bpftool" "$entry/bin/bpftool"
install -D -m 644 "$src/tools/bpf/bpftool/bash-completion/bpftool" \
	"$entry/share/bash-completion/completions/bpftool"

# Check the result before declaring it complete.
version=$("$entry/bin/bpftool" version 2>&1) || die "bpftool version failed: $version"
echo "$version" > "$logs/version.txt"
echo "$version" | grep -q '^.*bpftool v7\.5\.' || die "unexpected bpftool version: $version"
echo "$version" | grep -q 'using libbpf v1\.5$' || die "unexpected libbpf version: $version"
for f in bpf.h libbpf.h btf.h bpf_helpers.h bpf_helper_defs.h bpf_tracing.h \
	 bpf_core_read.h bpf_endian.h libbpf_version.h; do
	[ -f "$entry/include/bpf/$f" ] || die "missing include/bpf/$f"
done
for f in libbpf.a libbpf.so pkgconfig/libbpf.pc; do
	[ -e "$entry/lib/$f" ] || die "missing lib/$f"
done
grep -qx "prefix=$entry" "$entry/lib/pkgconfig/libbpf.pc" || die "bad prefix in libbpf.pc"
if [ -n "$vmlinux_btf" ] && command -v clang >/dev/null &&
   ! echo "$version" | grep -q skeletons; then
	die "bpftool was built without skeletons; see $logs/bpftool.log"
fi

rm -rf "$src" "$build"
{
	echo "key $key"
	echo "tarball $tarball $src_version"
	echo "vmlinux_btf ${vmlinux_btf:-none}"
	for p in "${patches[@]}"; do echo "patch $(basename "$p")"; done
	echo "$version"
} > "$entry/.complete"
link_outdir
say "cached at $entry"
