#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The KUnit suites live in their own module, ioasid_kunit.ko (built only
# against a kernel with KUnit), and run when it is loaded (after ioasid.ko,
# which guest.sh loaded): load it, turn its debugfs results (KTAP) into one
# TAP line per case, unload it (so ioasid.ko can be unloaded later). SKIP
# on a kernel without KUnit (the stock one).
set -u
KMOD=${KMOD:?}
dir=/sys/kernel/debug/kunit
echo "TAP version 13"
if [ ! -d "$dir" ]; then
	echo "1..1"
	echo "ok 1 kunit.suites # SKIP kernel without CONFIG_KUNIT (make check-debug runs them)"
	exit 0
fi
if ! out=$(insmod "$KMOD/ioasid_kunit.ko" 2>&1); then
	echo "1..1"
	echo "not ok 1 kunit.insmod # $KMOD/ioasid_kunit.ko: ${out//$'\n'/ }"
	exit 1
fi
trap 'rmmod ioasid_kunit' EXIT
n=0 bad=0 suites=0
for s in "$dir"/ioasid_*; do
	[ -e "$s/results" ] || continue
	suites=$((suites + 1))
	suite=$(basename "$s")
	# Case lines are indented KTAP "ok N name"; the suite line is not.
	while read -r line; do
		if [[ $line =~ ^(not\ )?ok\ [0-9]+\ ([A-Za-z0-9_]+)(.*)$ ]]; then
			[ "${BASH_REMATCH[2]}" = "$suite" ] && continue
			n=$((n + 1))
			if [ -n "${BASH_REMATCH[1]}" ]; then
				echo "not ok $n kunit.$suite.${BASH_REMATCH[2]}"
				bad=$((bad + 1))
			elif [[ ${BASH_REMATCH[3]} == *SKIP* ]]; then
				echo "ok $n kunit.$suite.${BASH_REMATCH[2]} # SKIP${BASH_REMATCH[3]#*SKIP}"
			else
				echo "ok $n kunit.$suite.${BASH_REMATCH[2]}"
			fi
		elif [[ $line == *Expected* || $line == *ASSERTION* || $line == *EXPECTATION* ]]; then
			echo "# $suite: $line"
		fi
	done < "$s/results"
done
if [ "$suites" = 0 ]; then
	n=$((n + 1))
	echo "not ok $n kunit.suites # KUnit is on but ioasid_kunit.ko ran no suites"
	bad=1
fi
echo "1..$n"
[ "$bad" = 0 ]
