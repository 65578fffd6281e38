#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Man pages render without groff warnings and cover every ioasidctl object
# and every exported library function; bash completion completes the grammar;
# troubleshooting.md's quoted messages exist in the code; docs/uapi.md is
# current.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
TOP=${TOP:?} B=${B:?}
MAN=$TOP/docs/man
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tap_begin docs

man_pages_render() {
	local m out
	for m in "$MAN"/ioasidctl.8 "$MAN"/libioasidbpf.3 "$MAN"/ioasid.conf.5; do
		out=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$m" 2>&1)
		[ -z "$out" ] || { echo "$m: $out"; return 1; }
	done
}
tap_check man_pages_render man_pages_render

man_covers_grammar() {
	local obj
	for obj in status policy rule device decisions bpffs apply; do
		"$B/tools/ioasidctl" --help | grep -q "^  $obj" || { echo "help lacks $obj"; return 1; }
		grep -q "^\.SS \"*$obj" "$MAN/ioasidctl.8" || { echo "ioasidctl.8 lacks $obj"; return 1; }
	done
	for obj in load replace unload bypass test errors available show list; do
		grep -q "^\.SS \"*policy.*$obj" "$MAN/ioasidctl.8" || { echo "ioasidctl.8 lacks policy $obj"; return 1; }
	done
}
tap_check man_covers_grammar man_covers_grammar

man_covers_library() {
	local f missing=
	for f in $(sed -n 's/^\t\t\(ioasidbpf_[a-z_]*\);$/\1/p' "$TOP/libioasidbpf/libioasidbpf.map"); do
		grep -q "$f" "$TOP/libioasidbpf/include/ioasidbpf.h" || missing="$missing $f(header)"
	done
	for f in ioasidbpf_policy_open ioasidbpf_policy_replace ioasidbpf_status \
		 ioasidbpf_dry_run ioasidbpf_rule_add ioasidbpf_errmsg ioasidbpf_preflight; do
		grep -q "$f" "$MAN/libioasidbpf.3" || missing="$missing $f(man)"
	done
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}
tap_check man_covers_library man_covers_library

completion() {
	local got
	# shellcheck source=/dev/null
	. "$TOP/tools/ioasidctl/ioasidctl.bash"
	c() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _ioasidctl; echo "${COMPREPLY[*]}"; }
	got=$(c ioasidctl po); [ "$got" = policy ] || { echo "objects: $got"; return 1; }
	got=$(c ioasidctl -j policy lo); [ "$got" = load ] || { echo "policy: $got"; return 1; }
	got=$(c ioasidctl policy load ""); [ "$got" = "vfio_compat strict nosnoop_rules" ] ||
		{ echo "load: $got"; return 1; }
	got=$(c ioasidctl rule add strict ""); [ "$got" = "device pasid-driver" ] ||
		{ echo "strict: $got"; return 1; }
	got=$(c ioasidctl policy bypass ""); [ "$got" = "on off" ] || { echo "bypass: $got"; return 1; }
	got=$(c ioasidctl device info ""); [ -n "$got" ] || { echo "no PCI devices offered"; return 1; }
}
tap_check completion completion

# docs/troubleshooting.md quotes messages as the code prints them; each
# quoted line must still be a string of the sources its block names.
troubleshooting_quotes() {
	"$TOP/tools/docs/check-quotes" "$TOP" "$B/linux-src" "$TOP/docs/troubleshooting.md"
}
tap_check troubleshooting_quotes troubleshooting_quotes

# docs/uapi.md is what make docs generates from the uAPI headers now, and
# their kernel-doc has no warning.
uapi_reference_current() {
	local kdoc=$B/linux-src/scripts/kernel-doc out h
	local -a hdrs
	for h in $(cd "$TOP/kernel/include/uapi/linux" && LC_ALL=C ls -- *.h); do
		hdrs+=("$TOP/kernel/include/uapi/linux/$h")
	done
	out=$(perl "$kdoc" -none -Wall "${hdrs[@]}" 2>&1)
	[ -z "$out" ] || { echo "kernel-doc: $out"; return 1; }
	"$TOP/tools/docs/uapi-md" "$kdoc" "${hdrs[@]}" >"$tmp/uapi.md" || return 1
	diff -u "$TOP/docs/uapi.md" "$tmp/uapi.md" || { echo "docs/uapi.md is stale: make docs"; return 1; }
}
tap_check uapi_reference_current uapi_reference_current

tap_end
