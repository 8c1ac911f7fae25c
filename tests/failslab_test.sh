#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# failslab_test.sh - the suites again, with allocations failing under them.
#
# The kernel's fault injection (failslab for kmalloc/kmem_cache_alloc,
# fail_page_alloc for pages; CONFIG_FAULT_INJECTION_DEBUG_FS, so only on
# the debug kernel) is aimed at the test task alone: task-filter is on and
# each suite, once loaded, sets its own /proc/self/make-it-fail (the
# constructor in toy_util.h, when TOY_MAKE_IT_FAIL is set).  Then every allocation that task makes - sk_alloc, skb
# allocations, the port table's xarray nodes, timers' work - fails at
# random (FAILSLAB_PROB percent, default 5), so the module's error paths
# run, again and again.  Only the kernel's own set-up of a new namespace
# is spared (toy_unshare() in toy_util.h): a failed sysctl registration
# there dumps the stack by design, which the kernel-log check would count.
#
# The suites' own verdicts do not count here: with memory failing they
# are expected to fail.  What counts, one TAP test each:
#   - each suite finishes (no hang: a per-suite timeout) and is not
#     killed by a signal (a crash of the test program is not expected
#     either: the kernel must return errors, not break the process);
#   - afterwards, with injection off, every AF_TOY socket is gone and the
#     stream memory pool is back near zero (per-CPU caches allowed);
#   - failures really were injected (the debugfs counters moved).
# The VM harness then checks the kernel log (no BUG, WARNING, KASAN,
# lockdep) and runs kmemleak: every error path must unwind with no leak.
#
# Environment: FAILSLAB_PROB (percent, default 5), FAILSLAB_SUITES
# (default "dgram_test stream_test stream_hostile_test"),
# FAILSLAB_TIMEOUT (seconds per suite, default 600).

set -u

DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
PROB=${FAILSLAB_PROB:-5}
SUITES=${FAILSLAB_SUITES:-dgram_test stream_test stream_hostile_test}
TMO=${FAILSLAB_TIMEOUT:-600}
DBG=/sys/kernel/debug

n=0 pass=0 fail=0 skip=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }
skip_all() {
	echo "1..0 # SKIP $*"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit 0
}
totals() {
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
}

echo "TAP version 13"
[ -d /sys/module/af_toy ] || skip_all "af_toy.ko is not loaded"
[ -w $DBG/failslab/probability ] ||
	skip_all "no failslab (a kernel without CONFIG_FAULT_INJECTION_DEBUG_FS: the debug kernel has it)"

# knob DIR NAME VALUE
knob() { echo "$3" >"$DBG/$1/$2"; }

inject() {	# inject on|off
	local d p=0 times=0

	[ "$1" = on ] && { p=$PROB; times=-1; }
	for d in failslab fail_page_alloc; do
		[ -d "$DBG/$d" ] || continue
		knob $d task-filter Y
		knob $d interval 1
		knob $d verbose 0
		knob $d space 0
		knob $d times $times
		knob $d probability "$p"
		[ -e "$DBG/$d/ignore-gfp-wait" ] && knob $d ignore-gfp-wait N
	done
	# Atomic allocations too: the receive path's are GFP_ATOMIC.
	[ -e $DBG/fail_page_alloc/min-order ] && knob fail_page_alloc min-order 0
	return 0
}

# The number of failures injected so far (failslab's own count is not
# exported; "times" counts down only when positive, so use a fresh
# countdown: times = a big number, read what is left).
big=1000000000
left() { cat $DBG/failslab/times 2>/dev/null || echo $big; }

stream_pages() {
	awk '$1 == "TOY-STREAM" { print $4 }' /proc/net/protocols
}

toy_sockets() {
	tail -n +2 /proc/net/toy | wc -l
}

# bounded wait for "$@" to succeed, up to $1 seconds
wait_for() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

nsuites=$(wc -w <<<"$SUITES")
echo "1..$((nsuites + 2))"
echo "# injecting at ${PROB}% into failslab and fail_page_alloc, task-filtered"

inject on
knob failslab times $big
for s in $SUITES; do
	if [ ! -x "$DIR/$s" ]; then
		not_ok "$s under fault injection: $DIR/$s is not built"
		continue
	fi
	start=$SECONDS
	# The suite marks itself once it is loaded (toy_util.h): only it,
	# and the children it forks, fail.
	TOY_MAKE_IT_FAIL=1 timeout -k 10 "$TMO" "$DIR/$s" \
		>/tmp/failslab-$s.log 2>&1 </dev/null
	rc=$?
	summary=$(grep -a '^# Totals' /tmp/failslab-$s.log | tail -n 1)
	echo "# $s: exit $rc in $((SECONDS - start)) s; its own count: ${summary:-none}"
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		not_ok "$s under fault injection finished (timed out after $TMO s)"
	elif [ $rc -gt 128 ]; then
		not_ok "$s under fault injection finished (killed by signal $((rc - 128)))"
		tail -n 20 /tmp/failslab-$s.log | sed 's/^/#   /'
	else
		ok "$s under fault injection finished"
	fi
done
injected=$((big - $(left)))
inject off

echo "# allocation failures injected into failslab: $injected"
if [ "$injected" -gt 0 ]; then
	ok "failures were injected ($injected)"
else
	not_ok "failures were injected (none: is make-it-fail honoured?)"
fi

# Everything comes back: no socket is left, the pool is empty again.
# wait_for runs its command again each time, so the counts are read in
# these functions, not expanded once in its arguments.
slack=$(( $(nproc) * 256 ))
no_sockets() { [ "$(toy_sockets)" -eq 0 ]; }
pool_empty() { [ "$(stream_pages)" -le "$slack" ]; }
if wait_for 60 no_sockets && wait_for 60 pool_empty; then
	ok "afterwards no AF_TOY socket is left and the stream pool is empty ($(stream_pages) pages)"
else
	not_ok "afterwards no AF_TOY socket is left and the stream pool is empty ($(toy_sockets) sockets, $(stream_pages) pages)"
	tail -n +1 /proc/net/toy | head -n 20 | sed 's/^/#   /'
fi
totals
[ $fail -eq 0 ]
