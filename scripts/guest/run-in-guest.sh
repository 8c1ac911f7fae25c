#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-in-guest.sh - run every AF_TOY userspace test inside the VM:
#
#   scripts/vm.sh --kernel 6.1.0-56-amd64 --module /work/main/af_toy.ko \
#       -- 'cd /work/main && scripts/guest/run-in-guest.sh'
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
# No suite can hang the run: each runs under "timeout -k", TOY_SUITE_TIMEOUT
# seconds (default 900), or TOY_SUITE_TIMEOUT_<suite> for one suite, with
# every character other than letters, digits and _ written as _ (e.g.
# TOY_SUITE_TIMEOUT_socat_test_sh=300).  A suite that times out counts as
# one failure ("not ok - SUITE: timed out ...", plus a Totals line) and the
# run goes on.  If the run itself is stopped with SIGTERM (vm.sh's guest
# does that when the VM's --timeout is near), the suite running then and
# every suite not yet run count as failures, and the summary line is
# still printed.
#
# rmmod_test unloads and reloads the module: it needs TOY_KO, the .ko that
# was loaded, or a ':'-separated list of candidates (default: af_toy.ko and
# build/$(uname -r)/af_toy.ko in the project root); it uses the one whose
# build-id matches the loaded module and skips if none does.
# TOY_TESTS="dgram_test toy_test" runs a subset.
#
# For suites that need an unprivileged user, two command prefixes are
# exported (word-split them: unquoted $TOY_UNPRIV, not "$TOY_UNPRIV"):
#   TOY_UNPRIV  run as nobody (uid/gid 65534, no supplementary groups):
#                 $TOY_UNPRIV id -u                      # prints 65534
#   TOY_USERNS  run as nobody in a new user and network namespace, mapped
#               to root there (unshare -Urn), so with CAP_NET_ADMIN over a
#               namespace of its own, which has its own toy0:
#                 $TOY_USERNS sh -c 'ip link set toy0 mtu 1000'
# Either may be preset in the environment to override it.

set -u

# ROOT is the checkout (this script lives in scripts/guest/), DIR the test
# programs' directory.
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
DIR=$ROOT/tests
SUITES=${TOY_TESTS:-"dgram_test dgram_stress_test toy_test leak_test.sh man_example_test.sh socat_test.sh stream_test stream_stress_test stream_hostile_test wakeup_test netem_test.sh link_test.sh dgram_link_test stream_link_test socat_stream_test.sh dissector_test.sh trace_test.sh path_test.sh lab_test.sh userns_test.sh failslab_test.sh netns_fault_test.sh storm_test.sh autoload_test.sh rmmod_test"}
SUITE_TIMEOUT=${TOY_SUITE_TIMEOUT:-900}
# After the timeout's SIGTERM, SIGKILL this much later.
KILL_AFTER=30

# candidates for rmmod_test; it picks the one that is the loaded module
TOY_KO=${TOY_KO:-$ROOT/af_toy.ko:$ROOT/build/$(uname -r)/af_toy.ko}
export TOY_KO

TOY_UNPRIV=${TOY_UNPRIV:-"setpriv --reuid=65534 --regid=65534 --clear-groups"}
TOY_USERNS=${TOY_USERNS:-"$TOY_UNPRIV unshare --user --map-root-user --net"}
export TOY_UNPRIV TOY_USERNS

OUT=$(mktemp -d "${TMPDIR:-/tmp}/toy-tests.XXXXXX") || exit 1
trap 'rm -rf "$OUT"' EXIT
ALL=$OUT/all.log
: >"$ALL"

# For the SIGTERM handler: the suite running now, its position in SUITES,
# whether it has been counted yet, and its processes.
CURRENT=
POS=0
COUNTED=0
SUITE_PID=
TAIL_PID=

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

# suite_timeout SUITE: its time limit in seconds
suite_timeout() {
	local v="TOY_SUITE_TIMEOUT_${1//[^A-Za-z0-9_]/_}"

	echo "${!v:-$SUITE_TIMEOUT}"
}

# fail_suite SUITE WHY: one failing TAP line and a Totals line, shown and
# counted
fail_suite() {
	printf 'not ok - %s: %s\n# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0\n' \
		"$1" "$2" | tee -a "$ALL"
}

summary() {
	echo "# ==== summary ===="
	"$DIR/summarize.sh" "$ALL"
}

# SIGTERM: the VM's time budget is spent.  Stop the suite, count it and
# every suite not run yet as failed, and still print the summary.
on_term() {
	local s n=0 i=0

	trap '' TERM
	echo
	echo "# run-in-guest.sh: SIGTERM during ${CURRENT:-the run}: stopping"
	[ -n "$TAIL_PID" ] && kill "$TAIL_PID" 2>/dev/null
	if [ -n "$SUITE_PID" ]; then
		# timeout passes the TERM on to the suite; wait for it (bounded:
		# the guest sends SIGKILL soon)
		kill -TERM "$SUITE_PID" 2>/dev/null
		while kill -0 "$SUITE_PID" 2>/dev/null && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		cat "$OUT/$CURRENT.log" >>"$ALL" 2>/dev/null
	fi
	for s in $SUITES; do
		i=$((i + 1))
		if [ $i -eq "$POS" ] && [ "$COUNTED" = 0 ]; then
			fail_suite "$s" "stopped by SIGTERM (the VM's time budget ran out)"
		elif [ $i -gt "$POS" ]; then
			fail_suite "$s" "not run (the VM's time budget ran out)"
		fi
	done
	summary
	exit 1
}
trap on_term TERM

echo "# ==== preflight ===="
preflight | tee -a "$ALL"

for s in $SUITES; do
	log=$OUT/$s.log
	echo "# ==== $s ===="
	CURRENT=$s
	POS=$((POS + 1))
	COUNTED=0
	if [ ! -x "$DIR/$s" ]; then
		COUNTED=1	# as missing, by preflight
		continue
	fi
	t=$(suite_timeout "$s")
	start=$SECONDS
	# The suite writes to its log, and tail streams it: a pipe to tee
	# would stay open as long as anything the suite left behind holds it.
	# Both run in the background so that "wait" (unlike a foreground
	# job) lets the SIGTERM trap run at once.
	: >"$log"
	timeout -k "$KILL_AFTER" "$t" "$DIR/$s" </dev/null >"$log" 2>&1 &
	SUITE_PID=$!
	tail -n +1 -f --pid="$SUITE_PID" "$log" &
	TAIL_PID=$!
	wait "$SUITE_PID"
	rc=$?
	wait "$TAIL_PID"
	SUITE_PID=
	TAIL_PID=
	secs=$((SECONDS - start))
	echo "# ==== $s: exit $rc, $secs s ===="
	cat "$log" >>"$ALL"
	# 124: timeout's TERM ended it; 137: it needed the KILL
	totals=$(grep -c '^# Totals: ' "$log")
	if { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; } && [ "$secs" -ge "$t" ]; then
		fail_suite "$s" "timed out after $t s (TOY_SUITE_TIMEOUT)"
	elif [ "$totals" -eq 0 ]; then
		echo "# $s died without a Totals line (exit $rc)"
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0" >>"$ALL"
	elif [ "$rc" -ne 0 ] && ! grep -q '^# Totals: .*fail:[1-9]' "$log"; then
		echo "# $s exited $rc without reporting a failure"
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0" >>"$ALL"
	fi
	COUNTED=1
done
CURRENT=

summary
