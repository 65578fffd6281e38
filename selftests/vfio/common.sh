# SPDX-License-Identifier: GPL-2.0
# Shared by the VFIO suites' scripts (sourced).

# Run a TAP program, passing its results through; a program that exits
# non-zero without a failing result gets one, so a crash never passes.
# RUN_PROG_SAVE=FILE keeps a copy of its output.
run_prog() {
	local name=$1 out prc
	shift
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	prc=${PIPESTATUS[0]}
	if [ "$prc" -ne 0 ] && ! grep -q '^not ok' "$out"; then
		echo "not ok 1 $name.exit_status # exited $prc without a failing test"
	fi
	[ -z "${RUN_PROG_SAVE:-}" ] || cp "$out" "$RUN_PROG_SAVE"
	rm -f "$out"
	return "$prc"
}

# The results of a saved run ($1), each again as a SKIP with reason $2: a
# peer's run that cannot happen here is counted, never silently dropped.
skip_like() {
	local n
	n=$(grep -c '^ok [0-9]* ' "$1")
	[ "$n" -gt 0 ] || return 1
	sed -n 's/^ok \([0-9]*\) \([^ ]*\).*/ok \1 \2 # SKIP '"$2"'/p' "$1"
	echo "1..$n"
}

# Same answers from both IOMMU drivers, line by line ($1: the folder with
# the files type1 and ioasid).
same_answers() {
	[ -s "$1/type1" ] && [ -s "$1/ioasid" ] &&
	diff -u "$1/type1" "$1/ioasid"
}

# The suite's setup as its first result; when it fails, the suite's
# restore() undoes what it did and the suite ends there (its plan then
# fails it: a setup that did not happen is never a pass).
setup_or_end() {
	tap_check setup setup && return 0
	restore >/dev/null 2>&1
	tap_end
	exit 1
}
