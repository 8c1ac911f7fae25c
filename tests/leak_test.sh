#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# leak_test.sh - the receive side frees what it drops: after frames that
# its datagram drop paths refuse, kmemleak (the debug kernel) finds no
# unreferenced object.
#
# Such a leak shows nowhere else.  A dropped frame has been orphaned by
# the device (it holds no socket and no module reference), so rmmod
# works, no socket count moves, the counters and trace events still say
# "dropped"; only the memory is gone.  The workload is toy_test, whose
# raw_* cases send frames from a packet socket with a bad checksum, a
# bad version or reserved field, a short header and a length beyond the
# frame (toy_rcv()'s drops), and dgram_test, whose datagrams to a port
# nobody has bound are dropped (NO_SOCKET) and answered with a refusal
# (toy_dgram_rcv()'s drops), plus every other error their cases provoke.
# Stream drop paths are not in it: the debug suite's end-of-run kmemleak
# scan covers them, without a test name.
#
#   1. scan, then "clear": what earlier suites left is not ours;
#   2. run toy_test and dgram_test (their verdicts are their suites'
#      business);
#   3. wait 6 s: kmemleak never reports an object younger than 5 s
#      (mm/kmemleak.c, jiffies_min_age), so there is no event to wait
#      for, only that age;
#   4. scan twice: an object whose contents changed since the previous
#      scan is given one more, so a new leak shows on the second;
#   5. every object reported is a failure, printed with its backtrace.
#
# Usage (in the VM, as root, af_toy.ko loaded): tests/leak_test.sh
# Output is TAP plus a kselftest-style "# Totals:" line.  Skips, with the
# reason, on a kernel without kmemleak (the stock ones; make check runs it
# on the debug kernel).  Lab 8's bug 04 is what it catches.
set -u
DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
. "$DIR/tap.sh"

NAME="leak.drop_paths: after refused datagrams and frames, kmemleak finds nothing unreferenced"
KL=/sys/kernel/debug/kmemleak

echo "TAP version 13"
echo "1..1"

skip_all() {
	diag "$1"
	skip_t "$NAME" "$1"
	tap_totals
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
[ -d /sys/module/af_toy ] || skip_all "af_toy.ko is not loaded"
[ -e $KL ] || mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
[ -w $KL ] || skip_all "no kmemleak in this kernel (the debug kernel has it)"
for t in toy_test dgram_test; do
	[ -x "$DIR/$t" ] || skip_all "$DIR/$t is not built (make -C tests)"
done

tap_scratch leak_test

echo scan >$KL && echo clear >$KL || skip_all "kmemleak is disabled (it found an error earlier: see the kernel log)"
for t in toy_test dgram_test; do
	"$DIR/$t" >"$TMP/$t.out" 2>&1
	diag "workload: $t, $(grep -a '^# Totals' "$TMP/$t.out" || echo 'no Totals line')"
done
sleep 6
echo scan >$KL
echo scan >$KL
cat $KL >"$TMP/leaks"
n=$(grep -c '^unreferenced object' "$TMP/leaks")
if [ "$n" -eq 0 ]; then
	ok "$NAME"
else
	diag "kmemleak: $n unreferenced objects; the first ones:"
	head -n 60 "$TMP/leaks" | sed 's/^/#   /'
	not_ok "$NAME"
fi
tap_totals
