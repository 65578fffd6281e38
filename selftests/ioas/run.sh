#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The ioas suite: run every ioas_*_test program (see ioas_util.h) in turn,
# passing its TAP output through. A program that exits non-zero without
# reporting a failing test gets a synthetic "not ok" (as guest.sh does per
# suite), so a crash is not masked by another program's failure. Exits
# non-zero if any program failed.
set -u
S=${B:?}/selftests
rc=0
for t in alloc map copy ranges acct million; do
	prog=$S/ioas_${t}_test
	echo "# ioas: $prog"
	out=$(mktemp)
	"$prog" 2>&1 | tee "$out"
	prc=${PIPESTATUS[0]}
	if [ "$prc" -ne 0 ] && ! grep -q '^not ok' "$out"; then
		echo "not ok 1 ioas_${t}_test.exit_status # exited $prc without a failing test"
	fi
	[ "$prc" -eq 0 ] || rc=1
	rm -f "$out"
done
exit $rc
