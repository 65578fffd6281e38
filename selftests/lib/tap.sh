# SPDX-License-Identifier: GPL-2.0
# TAP output for shell suites, in the kselftest harness's format so that
# selftests/run parses every suite the same way:
#   tap_begin SUITE; tap_check NAME CMD...; tap_skip NAME REASON; tap_end
_tap_suite=
_tap_n=0
_tap_fail=0

tap_begin() {
	_tap_suite=$1
	echo "TAP version 13"
}

# Run CMD... silently; on failure print its output as diagnostics.
tap_check() {
	local name=$1 out rc
	shift
	_tap_n=$((_tap_n + 1))
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok $_tap_n $_tap_suite.$name"
	else
		printf '%s\n' "$out" | sed 's/^/# /' | tail -n 40
		echo "not ok $_tap_n $_tap_suite.$name # exit $rc"
		_tap_fail=$((_tap_fail + 1))
	fi
	return $rc
}

tap_skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n $_tap_suite.$1 # SKIP $2"
}

tap_end() {
	echo "1..$_tap_n"
	[ $_tap_fail -eq 0 ]
}

