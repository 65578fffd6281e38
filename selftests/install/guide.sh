#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# guide.sh DOC WORKDIR: run a guide's marked blocks as written, in order.
#
# A marker is an HTML comment alone on the line before a fenced block:
#   <!-- guide-test: file NAME -->     the block is saved as WORKDIR/NAME
#   <!-- guide-test: run -->           the block runs in WORKDIR
#   <!-- guide-test: run-in-tree -->   the block runs in the source tree ($TOP)
# Every block goes, in the guide's order, into one bash script (a run
# block's variables are seen by the next ones) under set -e -o pipefail:
# the first failing command stops it, and the guide's line of its block
# is named. A marker not followed by a fence, or a fence never closed, is
# an error; so is a guide with no run block. The script is kept as
# WORKDIR/guide-script.sh.
#
# The blocks install files and register policies as root: only inside the
# install suite's overlay (vm.sh sets IOASID_INSTALL_OVERLAY), never on a
# host.
set -u
DOC=${1:?usage: guide.sh DOC WORKDIR} WORK=${2:?usage: guide.sh DOC WORKDIR}
TOP=${TOP:?}
script=$WORK/guide-script.sh
[ "${IOASID_INSTALL_OVERLAY:-}" = 1 ] ||
	{ echo "guide.sh: runs only in the install suite's overlay (vm.sh)" >&2; exit 1; }

mkdir -p "$WORK" || exit 1
awk -v doc="$DOC" '
function fail(msg) { printf "%s:%d: %s\n", doc, NR, msg > "/dev/stderr"; bad = 1; exit 1 }
BEGIN {
	print "set -e -o pipefail"
	print "trap '\''echo \"guide: the block at " doc ":$_guide_line failed: $BASH_COMMAND\" >&2'\'' ERR"
}
inblock {
	if ($0 ~ /^```[ \t]*$/) {
		inblock = 0
		if (kind == "file")
			print "GUIDE_TEST_EOF"
		else if (kind == "run-in-tree")
			print ")"
		next
	}
	print
	next
}
pending != "" {
	if ($0 !~ /^```[a-z]*[ \t]*$/)
		fail("guide-test marker not followed by a fenced block")
	kind = pending; pending = ""; inblock = 1; start = NR
	printf "_guide_line=%d\n", NR
	printf "printf \"\\n--- %s:%d (%s)\\n\" >&2\n", doc, NR, kind == "file" ? "file " arg : kind
	if (kind == "file") {
		printf "cat >%s <<'\''GUIDE_TEST_EOF'\''\n", arg
		files++
	} else if (kind == "run-in-tree") {
		print "(cd \"$TOP\""
		runs++
	} else {
		runs++
	}
	next
}
/^<!-- guide-test: / {
	if (!match($0, /^<!-- guide-test: (file [A-Za-z0-9_.-]+|run|run-in-tree) -->[ \t]*$/))
		fail("unknown guide-test marker: " $0)
	pending = $3
	arg = $3 == "file" ? $4 : ""
	next
}
END {
	if (bad)
		exit 1
	if (inblock) { NR = start; fail("fenced block not closed") }
	if (pending != "") fail("guide-test marker at the end")
	if (!runs) fail("no guide-test run block")
	print "echo \"guide: " runs " run blocks, " files + 0 " files: all passed\" >&2"
}' "$DOC" >"$script" || exit 1
cd "$WORK" && TOP=$TOP bash "$script"
