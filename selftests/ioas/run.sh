#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The ioas suite: run every ioas_*_test program (see ioas_util.h) in turn,
# passing its TAP output through. A program that exits non-zero without
# reporting a failing test gets a synthetic "not ok" (as guest.sh does per
# suite), so a crash is not masked by another program's failure. Exits
# non-zero if any program failed.
set -u
. "$(dirname "$0")/../lib/tap.sh"
S=${B:?}/selftests
rc=0
for t in alloc map copy ranges acct million; do
	if [ "$t" = million ] && [ -n "${IOASID_SKIP_SLOW:-}" ]; then
		# One million mappings under KASAN and TCG take hours; the stock
		# run (make check) covers them.
		echo "ok 1 ioas_million_test # SKIP $IOASID_SKIP_SLOW"
		continue
	fi
	echo "# ioas: $S/ioas_${t}_test"
	tap_run_program "ioas_${t}_test" "$S/ioas_${t}_test" || rc=1
done
exit $rc
