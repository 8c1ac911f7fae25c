#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# path_test.sh - the runtime paths drawn in docs/diagrams/ are the paths
# the loaded module takes: one datagram (path-dgram.txt) and one stream
# segment (path-stream.txt), traced again with function_graph by
# scripts/guest/path-trace.sh and compared line by line.  A change to the
# module that changes a path fails here until "make diagrams" draws it
# again, so the pictures the labs show cannot drift from the code.
#
# Usage (in the VM, as root, af_toy.ko loaded): tests/path_test.sh
# Output is TAP plus a kselftest-style "# Totals:" line.
#
# Skips, with the reason, on a kernel without the function_graph tracer
# (the debug kernel) and on a kernel series other than the one the files
# were traced on (their "# kernel:" line): the kernel's own functions
# differ between series (6.12's release_sock() runs the release callback
# twice where 6.1's runs it once).
#
# A path is traced up to 3 times and passes if one trace matches: the
# receive softirq runs in the sender's task unless the kernel has left
# softirqs to ksoftirqd (lab 1), and then the receive half is missing
# from the trace.  Every mismatching trace's difference is printed.
set -u
DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
ROOT=$DIR/..
TRACE=$ROOT/scripts/guest/path-trace.sh
. "$DIR/tap.sh"

PATHS="dgram stream"

echo "TAP version 13"
echo "1..2"

skip_all() {
	local p

	diag "$1"
	for p in $PATHS; do
		skip_t "path.$p: docs/diagrams/path-$p.txt is the path the module takes" "$1"
	done
	tap_totals
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
[ -d /sys/module/af_toy ] || skip_all "af_toy.ko is not loaded"
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
grep -qw function_graph $T/available_tracers 2>/dev/null ||
	skip_all "no function_graph tracer in this kernel"
series=$(sed -n 's/^# kernel: //p' "$ROOT/docs/diagrams/path-dgram.txt")
case $(uname -r) in
"$series".*) ;;
*) skip_all "the paths were traced on $series; this is $(uname -r)" ;;
esac

tap_scratch path_test

for p in $PATHS; do
	want=$ROOT/docs/diagrams/path-$p.txt
	name="path.$p: docs/diagrams/path-$p.txt is the path the module takes"
	matched=
	for try in 1 2 3; do
		if ! "$TRACE" "$p" >"$TMP/$p.txt" 2>"$TMP/err"; then
			diag "try $try: $(cat "$TMP/err")"
			continue
		fi
		if grep -v '^#' "$want" | diff -u - "$TMP/$p.txt" >"$TMP/diff"; then
			matched=$try
			break
		fi
		diag "try $try: the traced path differs from $want (- drawn, + traced):"
		sed 's/^/#   /' "$TMP/diff" | head -n 40
	done
	if [ -n "$matched" ]; then
		ok "$name"
	else
		diag "if the module's path changed on purpose: make diagrams"
		not_ok "$name"
	fi
done
tap_totals
