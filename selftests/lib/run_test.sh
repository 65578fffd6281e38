#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The runner and the manifest: selftests/run, given canned guest outputs
# through a stand-in for tools/vm/run, fails short and long plans, a failed
# setup or edu binding, a crash without a failing test, and counts setup
# steps as nothing; the debug kernel's kmemleak result; the log scan's
# expected warnings and IOMMU faults; every harness program lists exactly as many tests as
# its manifest plan; every test source is in the manifest.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"
TOP=${TOP:?} B=${B:?}
MANIFEST=$TOP/selftests/manifest
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The stand-in VM: an empty serial log, $FAKE_OUT as the guest's output.
cat > "$tmp/vm" <<'EOF'
#!/bin/bash
while [ $# -gt 0 ]; do
	case $1 in --log) : > "$2"; shift 2 ;; --) break ;; *) shift ;; esac
done
cat "$FAKE_OUT"
exit "${FAKE_RC:-0}"
EOF
chmod +x "$tmp/vm"

# A guest output for suite unload (4 results planned) with N results.
guest_out() {
	local n=$1 i
	echo "# ioasid-setup ok insmod_ioasid"
	echo "# ioasid-setup ok edu_bind 1"
	echo "# ioasid-program unload unload.sh"
	echo "TAP version 13"
	for ((i = 1; i <= n; i++)); do echo "ok $i unload.case$i"; done
	echo "1..$n"
	echo "# ioasid-exit unload unload.sh ${2:-0} 7"
}

# Run the runner on $FAKE_OUT for suite unload in intel-sc; sets out, rc.
runner() {
	# Not the debug run's expectations (kmemleak_clean), even when this
	# runs in a debug VM: debug_runner() below asks for those itself.
	out=$(env -u IOASID_DEBUG_KERNEL -u IOASID_KMOD IOASID_VM_RUN=$tmp/vm FAKE_OUT=$tmp/out IOASID_CONFIGS=intel-sc \
	      IOASID_SUITES=unload B=$tmp/build "$TOP/selftests/run" 2>&1)
	rc=$?
}

expect() {
	grep -qxF -- "$1" <<<"$out" || { echo "missing line: $1"; echo "$out"; return 1; }
}

tap_begin runner

all_planned_results_pass() {
	guest_out 4 > "$tmp/out"
	runner
	[ $rc = 0 ] || { echo "rc $rc"; echo "$out"; return 1; }
	# 4 results and kernel_log_clean; the setup lines count as nothing.
	# The program's time from its exit line, in the VM's timing line.
	expect "5 passed, 0 failed, 0 skipped" &&
		! grep -q setup <<<"$out" &&
		grep -Eq '^== intel-sc: [0-9]+s; slowest: unload\.unload\.sh 7s$' <<<"$out"
}
tap_check all_planned_results_pass all_planned_results_pass

missing_results_fail() {
	guest_out 2 > "$tmp/out"
	runner
	[ $rc != 0 ] || { echo "rc 0"; return 1; }
	expect "FAIL intel-sc unload.unload.sh: 2 of 4 planned results missing, it declares 1..2" &&
		expect "3 passed, 2 failed, 0 skipped"
}
tap_check missing_results_fail missing_results_fail

extra_results_fail() {
	guest_out 5 > "$tmp/out"
	runner
	[ $rc != 0 ] || { echo "rc 0"; return 1; }
	expect "FAIL intel-sc unload.unload.sh: 5 results, 4 planned (selftests/manifest), it declares 1..5"
}
tap_check extra_results_fail extra_results_fail

crash_without_failing_test_fails() {
	guest_out 4 139 > "$tmp/out"
	runner
	[ $rc != 0 ] || { echo "rc 0"; return 1; }
	expect "FAIL intel-sc unload.unload.sh.exit_status: exited 139 without a failing test"
}
tap_check crash_without_failing_test_fails crash_without_failing_test_fails

unbound_edu_fails_configuration() {
	printf '%s\n' "# ioasid-setup ok insmod_ioasid" \
		"# ioasid-setup FAIL edu_bind: 0 of 1 edu devices bound to ioasid-pci (1 present)" > "$tmp/out"
	runner
	[ $rc != 0 ] || { echo "rc 0"; return 1; }
	expect "FAIL intel-sc setup.edu_bind: 0 of 1 edu devices bound to ioasid-pci (1 present)" &&
		expect "FAIL intel-sc unload.unload.sh: 4 of 4 planned results missing" &&
		expect "1 passed, 5 failed, 0 skipped"
}
tap_check unbound_edu_fails_configuration unbound_edu_fails_configuration

# Under the debug kernel every VM ends with a kmemleak scan: its line in the
# guest's output becomes kmemleak_clean; leaks, or no line, fail.
debug_runner() {
	mkdir -p "$tmp/dk"
	out=$(IOASID_VM_RUN=$tmp/vm FAKE_OUT=$tmp/out IOASID_CONFIGS=intel-sc \
	      IOASID_SUITES=unload B=$tmp/build IOASID_DEBUG_KERNEL=$tmp/dk \
	      IOASID_KMOD=$tmp/dk "$TOP/selftests/run" 2>&1)
	rc=$?
}
kmemleak_result_counts() {
	{ guest_out 4; echo "# ioasid-kmemleak ok 2 0"; } > "$tmp/out"
	debug_runner
	[ $rc = 0 ] || { echo "clean: rc $rc"; echo "$out"; return 1; }
	expect "PASS intel-sc kmemleak_clean (2 scans after an RCU barrier)" &&
		expect "6 passed, 0 failed, 0 skipped" || return 1
	{ guest_out 4; echo "# ioasid-kmemleak FAIL 2 3 unreferenced objects"; } > "$tmp/out"
	debug_runner
	[ $rc != 0 ] || { echo "leaks: rc 0"; return 1; }
	expect "FAIL intel-sc kmemleak_clean: unreferenced objects" || return 1
	guest_out 4 > "$tmp/out"
	debug_runner
	[ $rc != 0 ] || { echo "no scan: rc 0"; return 1; }
	expect "FAIL intel-sc kmemleak_clean: no kmemleak report: the VM did not reach its end"
}
tap_check kmemleak_result_counts kmemleak_result_counts

# tools/vm/scan-log on canned serial logs: exit 0 clean, 3 on a problem.
scan() {
	"$TOP/tools/vm/scan-log" --dma-faults "device_test" "$tmp/serial" >"$tmp/scan" 2>&1
	echo $?
}
# pin_orphan()'s WARN for access $1 of driver $2, as the kernel prints it,
# with line $3 (if any) inside its trace.
orphan_warn() {
	printf '%s\n' "[   42.000000] ------------[ cut here ]------------" \
		"[   42.000001] ioasid: access $1 ($2) kept IOVA 0x1004000+0x1000 pinned after its unmap callback" \
		"[   42.000002] WARNING: CPU: 1 PID: 550 at kernel/access.c:198 pin_orphan+0x10d/0x117 [ioasid]" \
		"[   42.000003] Modules linked in: ioasid_pci(O) ioasid_test(O) ioasid(O)" \
		"[   42.000004] RIP: 0010:pin_orphan+0x10d/0x117 [ioasid]" \
		"[   42.000005] Call Trace:" \
		"[   42.000006]  <TASK>" \
		"[   42.000007]  ioasid_access_notify+0x1ef/0x235 [ioasid]" \
		"[   42.000008]  ? lockdep_hardirqs_on_prepare+0x1f0/0x1f0" \
		${3:+"$3"} \
		"[   42.000009]  do_syscall_64+0x6e/0xc5" \
		"[   42.000010]  </TASK>" \
		"[   42.000011] ---[ end trace 0000000000000000 ]---"
}
mark='[   41.000000] ioasid-selftest: expect unpin violation'

# Exactly the announced unpin violations of the test module's device; not
# another driver's, not one more, and nothing else inside their traces.
scan_expects_exactly_the_deliberate_warnings() {
	{ echo "$mark"; orphan_warn 2 ioasid-test-sw; } > "$tmp/serial"
	[ "$(scan)" = 0 ] || { echo "announced:"; cat "$tmp/scan"; return 1; }
	orphan_warn 2 ioasid-test-sw > "$tmp/serial"
	[ "$(scan)" = 3 ] || { echo "not announced: clean"; return 1; }
	{ echo "$mark"; orphan_warn 2 ioasid-test-sw; orphan_warn 3 ioasid-test-sw; } > "$tmp/serial"
	[ "$(scan)" = 3 ] || { echo "one more than announced: clean"; return 1; }
	{ echo "$mark"; orphan_warn 2 vfio-mdev-driver; } > "$tmp/serial"
	[ "$(scan)" = 3 ] || { echo "another driver: clean"; return 1; }
	{ echo "$mark"; orphan_warn 2 ioasid-test-sw \
		"[   42.000100] BUG: KASAN: slab-use-after-free in iopt_unmap+0x1/0x2"; } > "$tmp/serial"
	[ "$(scan)" = 3 ] || { echo "a KASAN report inside the trace: clean"; return 1; }
}
tap_check scan_expects_exactly_the_deliberate_warnings scan_expects_exactly_the_deliberate_warnings

# IOMMU faults only while a program of the dmafaults line runs.
scan_flags_unexpected_dma_faults() {
	local fault='[   50.000000] DMAR: [DMA Write NO_PASID] Request device [01:00.0] fault addr 0x200000 [fault reason 0x05] PTE Write access is not set'
	local vfault='[   50.000001] virtio_iommu virtio0: page fault from EP 256 at 0x200000 []'
	printf '%s\n' "[ 1.0] ioasid-guest: program device device_test" "$fault" "$vfault" \
		"[ 2.0] ioasid-guest: exit device device_test 0" > "$tmp/serial"
	[ "$(scan)" = 0 ] || { echo "expected:"; cat "$tmp/scan"; return 1; }
	printf '%s\n' "[ 1.0] ioasid-guest: program mock access_test" "$vfault" \
		"[ 2.0] ioasid-guest: exit mock access_test 0" > "$tmp/serial"
	[ "$(scan)" = 3 ] || { echo "in another program: clean"; return 1; }
	printf '%s\n' "[ 1.0] ioasid-guest: program device device_test" \
		"[ 2.0] ioasid-guest: exit device device_test 0" "$fault" > "$tmp/serial"
	[ "$(scan)" = 3 ] || { echo "after the program: clean"; return 1; }
}
tap_check scan_flags_unexpected_dma_faults scan_flags_unexpected_dma_faults

# The harness programs list their tests (-l): fixtures x variants.
harness_plans_match() {
	local kind suite plan cmd prog n bad=0
	while read -r kind suite plan cmd; do
		[ "$kind" = test ] && [[ $cmd == '$S/'* ]] || continue
		prog=$B/selftests/${cmd#\$S/}
		prog=${prog%% *}
		# Only kselftest-harness programs list without running.
		grep -qs TEST_HARNESS_MAIN "$TOP"/selftests/*/"${prog##*/}.c" || continue
		n=$("$prog" -l 2>&1 | awk 'NR > 1 {
			if (/^-----/) { total += t * (v ? v : 1); t = v = 0; next }
			if (substr($0, 22, 25) ~ /[^ ]/) v++	# variant column
			if (substr($0, 48) ~ /[^ ]/) t++	# test column
		} END { print total + t * (v ? v : 1) }')
		if [ "$n" != "$plan" ]; then
			echo "$suite ${prog##*/}: $n tests, manifest plans $plan"
			bad=1
		fi
	done < "$MANIFEST"
	return $bad
}
tap_check harness_plans_match harness_plans_match

# A program a listed script of its own folder runs (selftests/vfio/run.sh
# runs vfio_ioasid_test after its setup) counts as listed. $scripts: the
# manifest's programs, read once.
listed_script_runs() {
	local dir=${1%/*} name=${1##*/} script
	name=${name%.c}
	for script in $scripts; do
		[ "${script%/*}" = "$dir" ] && grep -qw "$name" "$script" && return 0
	done
	return 1
}

every_test_source_listed() {
	local f name bad=0 listed scripts
	scripts=$(awk '$1 == "test" { print $4 }' "$MANIFEST" | sed "s|\\\$TOP|$TOP|" | sort -u)
	listed=$(grep -E '^test ' "$MANIFEST")
	for f in "$TOP"/selftests/*/*_test.c "$TOP"/selftests/*/*_test.sh \
		 "$TOP"/selftests/*/*_test.py; do
		[ -e "$f" ] || continue
		name=${f##*/}
		name=${name%.c}
		grep -Eq "^test +[a-z-]+ +[0-9]+ +\\\$(S/$name|TOP/selftests/.*/${f##*/})( |\$)" <<<"$listed" ||
			listed_script_runs "$f" ||
			{ echo "not in selftests/manifest: $f"; bad=1; }
	done
	return $bad
}
tap_check every_test_source_listed every_test_source_listed

tap_end
