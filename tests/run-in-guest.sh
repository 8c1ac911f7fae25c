#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-in-guest.sh - run every AF_TOY userspace test inside the VM:
#
#   scripts/vm.sh --kernel 6.1.0-56-amd64 --module /work/main/af_toy.ko \
#       -- 'cd /work/main && tests/run-in-guest.sh'
#
# Build first on the host (make -C tests): the guest sees the host's file
# system read-only.  Suites run one after the other, their TAP output
# streamed as it comes; at the end one line sums their "# Totals:" lines:
#
#   N passed, N failed, N skipped
#
# and the exit status is non-zero if anything failed.  A suite that dies
# without a Totals line, or exits non-zero while reporting no failure,
# counts as one failure.
#
# rmmod_test unloads and reloads the module: it needs TOY_KO, the .ko that
# was loaded, or a ':'-separated list of candidates (default: af_toy.ko and
# build/$(uname -r)/af_toy.ko in the project root); it uses the one whose
# build-id matches the loaded module and skips if none does.  TOY_TESTS="dgram_test toy_test" runs a subset.

set -u

DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
ROOT=$(dirname "$DIR")
SUITES=${TOY_TESTS:-"dgram_test dgram_stress_test toy_test socat_test.sh stream_test stream_stress_test socat_stream_test.sh dissector_test.sh rmmod_test"}

# candidates for rmmod_test; it picks the one that is the loaded module
TOY_KO=${TOY_KO:-$ROOT/af_toy.ko:$ROOT/build/$(uname -r)/af_toy.ko}
export TOY_KO

OUT=$(mktemp -d "${TMPDIR:-/tmp}/toy-tests.XXXXXX") || exit 1
trap 'rm -rf "$OUT"' EXIT
ALL=$OUT/all.log
: >"$ALL"

# A pseudo-suite in the same format, for the runner's own checks.
preflight() {
	local p=0 f=0 missing="" s

	echo "TAP version 13"
	echo "1..2"
	if [ -d /sys/module/af_toy ]; then
		p=$((p + 1))
		echo "ok 1 - af_toy.ko is loaded (family $(cat /sys/module/af_toy/parameters/family 2>/dev/null))"
	else
		f=$((f + 1))
		echo "not ok 1 - af_toy.ko is loaded: the toy tests will all skip"
	fi
	for s in $SUITES; do
		[ -x "$DIR/$s" ] || missing="$missing $s"
	done
	if [ -z "$missing" ]; then
		p=$((p + 1))
		echo "ok 2 - test programs are built"
	else
		f=$((f + 1))
		echo "not ok 2 - test programs are built: missing$missing (run make -C tests on the host)"
	fi
	echo "# Totals: pass:$p fail:$f xfail:0 xpass:0 skip:0 error:0"
}

echo "# ==== preflight ===="
preflight | tee -a "$ALL"

for s in $SUITES; do
	log=$OUT/$s.log
	echo "# ==== $s ===="
	if [ ! -x "$DIR/$s" ]; then
		continue
	fi
	start=$SECONDS
	"$DIR/$s" 2>&1 </dev/null | tee "$log"
	rc=${PIPESTATUS[0]}
	echo "# ==== $s: exit $rc, $((SECONDS - start)) s ===="
	cat "$log" >>"$ALL"
	totals=$(grep -c '^# Totals: ' "$log")
	if [ "$totals" -eq 0 ]; then
		echo "# $s died without a Totals line (exit $rc)"
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0" >>"$ALL"
	elif [ "$rc" -ne 0 ] && ! grep -q '^# Totals: .*fail:[1-9]' "$log"; then
		echo "# $s exited $rc without reporting a failure"
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0" >>"$ALL"
	fi
done

echo "# ==== summary ===="
"$DIR/summarize.sh" "$ALL"
