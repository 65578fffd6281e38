# SPDX-License-Identifier: GPL-2.0
# Shared by the VFIO suites' scripts (sourced).

# Run a TAP program, passing its results through; a program that exits
# non-zero without a failing result gets one, so a crash never passes.
run_prog() {
	local name=$1 out prc
	shift
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	prc=${PIPESTATUS[0]}
	if [ "$prc" -ne 0 ] && ! grep -q '^not ok' "$out"; then
		echo "not ok 1 $name.exit_status # exited $prc without a failing test"
	fi
	rm -f "$out"
	return "$prc"
}

# Same answers from both IOMMU drivers, line by line ($1: the folder with
# the files type1 and ioasid).
same_answers() {
	[ -s "$1/type1" ] && [ -s "$1/ioasid" ] &&
	diff -u "$1/type1" "$1/ioasid"
}
