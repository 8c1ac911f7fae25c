#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# man_example_test.sh - the program in the EXAMPLES of toy(7) works.
#
# Usage (in the VM, as root, af_toy.ko loaded; scripts/guest/run-in-guest.sh
# runs it):
#   tests/man_example_test.sh
#
# tests/Makefile takes the program out of man/toy.7 as a reader copies it
# from man(1) (scripts/man-example.sh) and builds it as tests/man_example.
# It connects a stream socket to a listener in the same process over toy0,
# sends a message and reads it back; it exits 0 when the message arrived
# whole.  It runs as root, then as nobody: any user may use AF_TOY.  The
# family it reports must be the one the module registered.
#
# Output is TAP plus a kselftest-style "# Totals:" line.

set -u

NOBODY=65534
TOY_UNPRIV=${TOY_UNPRIV:-"setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups"}
PROG=$(dirname "$(readlink -f "$0")")/man_example

. "$(dirname "$(readlink -f "$0")")/tap.sh"

NAMES=(
	"the toy(7) example exits 0 as root, over the registered family"
	"the toy(7) example exits 0 as nobody"
)

echo "TAP version 13"
echo "1..${#NAMES[@]}"

finish() {
	tap_totals
	[ "$fail" -eq 0 ]
	exit $?
}

if [ ! -r /sys/module/af_toy/parameters/family ]; then
	diag "af_toy.ko is not loaded"
	for n in "${NAMES[@]}"; do
		skip_t "$n" "af_toy.ko is not loaded"
	done
	finish
fi
FAM=$(cat /sys/module/af_toy/parameters/family)

# example NAME [PREFIX...]: run the example (under PREFIX), show its
# output, and pass if it exits 0 having read the message and, if given,
# reported the family $FAM
example() {
	local name=$1 out rc line

	shift
	if [ ! -x "$PROG" ]; then
		diag "$PROG is missing (make -C tests on the host)"
		not_ok "$name"
		return
	fi
	out=$(timeout 60 "$@" "$PROG" 2>&1 </dev/null)
	rc=$?
	while IFS= read -r line; do
		diag "$line"
	done <<<"$out"
	if [ "$rc" -ne 0 ]; then
		diag "exit status $rc"
		not_ok "$name"
	elif ! grep -qx "family $FAM, listening on 7F000001:[0-9A-F]\{4\}" <<<"$out" ||
		! grep -qx "read 10 bytes: hello, toy" <<<"$out"; then
		diag "expected family $FAM and the message in the output"
		not_ok "$name"
	else
		ok "$name"
	fi
}

example "${NAMES[0]}"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	skip_t "${NAMES[1]}" "needs root and setpriv to become nobody"
else
	# shellcheck disable=SC2086 # TOY_UNPRIV is a command prefix
	example "${NAMES[1]}" $TOY_UNPRIV
fi

finish
