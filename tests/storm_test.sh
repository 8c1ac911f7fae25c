#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# storm_test.sh - AF_TOY under a storm of random socket calls while the
# environment churns, then load/unload cycles.  Run it in the VM only (it
# unloads and reloads af_toy.ko, changes toy0 and the net.toy sysctls).
#
# Part 1, the storm (toy_storm storm + toy_storm churn, side by side for
# STORM_SECONDS):
#   - threads on every CPU make random calls on AF_TOY sockets of every
#     type: socket, bind (ephemeral, fixed, privileged and bad addresses),
#     connect (live listeners, dead ports, bad addresses, AF_UNSPEC),
#     listen, accept, send/sendto/sendmsg/sendmmsg/write/writev/sendfile
#     (0 bytes to more than the largest datagram, MSG_DONTWAIT, MSG_MORE,
#     ...), recv/recvfrom/recvmsg/recvmmsg/read/readv (MSG_PEEK,
#     MSG_DONTWAIT, MSG_WAITALL, MSG_TRUNC, ...), shutdown, close,
#     set/getsockopt (buffers, timeouts, SO_LINGER, SO_REUSEADDR, BPF
#     filters, unknown levels), ioctl (SIOCINQ/SIOCOUTQ...), poll, epoll;
#     every blocking call is bounded by SO_RCVTIMEO/SO_SNDTIMEO of at most
#     50 ms or is non-blocking, and a watchdog ends a storm process that
#     overruns (a failure, with every thread's kernel stack shown);
#   - meanwhile the churn: network namespaces created and destroyed (a
#     child unshares, opens sockets of every type, passes traffic and
#     leaves in one of several ways: closing, exiting, toy0 down, handing
#     sockets to the parent, MTU 96 under load), `ip link set toy0 mtu N`
#     (96..65535), toy0 down/up, `tc qdisc replace dev toy0 root netem
#     loss 5% delay 1ms reorder 10%` on and off (skipped without
#     sch_netem), the net.toy sysctls moved and restored, and rmmod tried:
#     it must always fail as "in use" (the churn holds a socket).
# Then, with every socket closed: /proc/net/toy shows only its header and
# the TOY-STREAM line of /proc/net/protocols shows no sockets and a memory
# pool near zero (at most 256 pages per CPU of per-cpu caching), within
# STORM_DRAIN_S seconds (TIME_WAIT is 0.5 s; orphans retry for a few
# seconds more); and af_toy unloads (retried while "in use", bounded) and
# loads again.
#
# Part 2, load/unload cycles (toy_storm cycles): LOADCYCLES times insmod
# (init_module from memory), a datagram round trip and a stream and a
# seqpacket exchange over loopback, close, rmmod.  Every
# LOADCYCLE_FIN_EVERY-th cycle closes the connections with FIN (0.5 s of
# TIME_WAIT before rmmod can succeed); the others close with unread data,
# which resets.  Before (after LOADCYCLE_WARMUP cycles) and after, with
# the module unloaded and caches dropped:
#   - SUnreclaim (/proc/meminfo) may grow by at most LOADCYCLE_SLAB_TOL_KB
#     (default 1024 KiB; measured on 6.1: -60..-12 KiB), and no cache in
#     /proc/slabinfo may gain more than max(128, cycles / 2) objects,
#     read again until deferred (RCU, workqueue) frees have run.  So one
#     object leaked per cycle fails from 128 cycles on; kernel noise seen
#     in 30 cycles: up to 106 objects in one cache without the re-reads,
#     59 with them.  Not checked on a KASAN kernel, whose quarantine holds
#     freed objects: kmemleak checks there;
#   - module memory (the /proc/vmallocinfo areas allocated by
#     load_module/module_alloc/execmem) must be back to its size exactly,
#     and Percpu (/proc/meminfo) within LOADCYCLE_PERCPU_TOL_KB (default
#     64).
#
# Last, the pool under pressure (toy_storm starve): with the stream pool
# limit at "16 32 64" pages and one connection nobody reads holding more
# than that, a new connection must still move 10 bytes, as TCP's does
# (tcp_mem "16 32 64" is run first, as the oracle).  STORM_STARVE=0 skips
# it.
#
# Environment:
#   STORM_SECONDS   length of the storm and the churn (default 60)
#   STORM_GRACE     how far a storm process may overrun before the
#                   watchdog ends it (default 120 s)
#   STORM_DRAIN_S   bound on waiting for sockets to go away (default 90)
#   STORM_PROCS, STORM_THREADS, STORM_SEED   see toy_storm.c
#   LOADCYCLES      load/unload cycles (default 500: about 3 minutes under
#                   TCG on 6.1 at ~320 ms a cycle; 1000 for the long run)
#   TOY_KO          the .ko to reload, or a ':'-list (as rmmod_test)
#
# Output is TAP plus a kselftest-style "# Totals:" line.

set -u

DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
PROG=$DIR/toy_storm
SECS=${STORM_SECONDS:-60}
GRACE=${STORM_GRACE:-120}
DRAIN_S=${STORM_DRAIN_S:-90}
CYCLES=${LOADCYCLES:-500}
STARVE=${STORM_STARVE:-1}
SLAB_TOL=${LOADCYCLE_SLAB_TOL_KB:-1024}
PERCPU_TOL=${LOADCYCLE_PERCPU_TOL_KB:-64}
NCPU=$(nproc)
POOL_MAX=$((256 * NCPU))
export STORM_GRACE=$GRACE

. "$(dirname "$(readlink -f "$0")")/tap.sh"
T0=$SECONDS

check()   { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; }

NAMES=(
	"storm: every storm process ran ${SECS} s and exited normally (no hang, no watchdog)"
	"storm: no anomalous result (byte counts, address lengths, timeouts honoured)"
	"churn: namespaces, MTU flips, down/up, netem and sysctls all worked, and it ended on its own"
	"churn: rmmod af_toy refused as \"in use\" every time while sockets existed"
	"after the storm: /proc/net/toy has only its header and TOY-STREAM counts no sockets"
	"after the storm: the TOY-STREAM memory pool is back near zero (<= $POOL_MAX pages)"
	"after the storm: af_toy unloads and loads again, and works"
	"load cycles: $CYCLES x (insmod, datagram/stream/seqpacket traffic, close, rmmod)"
	"load cycles: unreclaimable slab back within $SLAB_TOL KiB of the baseline, no cache growing with the cycles"
	"load cycles: module area (vmalloc) back to the baseline, per-cpu within $PERCPU_TOL KiB"
	"pool over its hard limit: a new connection still moves 10 bytes, as TCP's does"
)

echo "TAP version 13"
echo "1..${#NAMES[@]}"

finish() {
	diag "storm_test.sh took $((SECONDS - T0)) s"
	tap_totals
	[ "$fail" -eq 0 ]
	exit $?
}

# skip_rest FROM WHY: skip tests FROM.. (1-based)
skip_rest() {
	local i

	for ((i = $1; i <= ${#NAMES[@]}; i++)); do
		skip_t "${NAMES[$((i - 1))]}" "$2"
	done
}

if [ ! -x "$PROG" ]; then
	echo "Bail out! $PROG is not built (make -C tests)"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi
if [ ! -d /sys/module/af_toy ]; then
	skip_rest 1 "af_toy.ko is not loaded"
	finish
fi
FAM=$(cat /sys/module/af_toy/parameters/family)

tap_scratch storm_test

# get FILE KEY [DEFAULT]: a value from a results file
get() {
	local v

	v=$(sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n 1)
	echo "${v:-${3:-}}"
}

# the TOY-STREAM line of /proc/net/protocols: "sockets memory"
stream_proto() {
	awk '$1 == "TOY-STREAM" { print $3, $4 }' /proc/net/protocols
}

# lines of /proc/net/toy after the header
toy_socks() {
	echo $(($(wc -l </proc/net/toy) - 1))
}

# The .ko to reload: decided now, while the loaded module's build-id can
# be read.
KO=$("$PROG" find-ko 2>&1 | tail -n 1)
if [ ! -f "$KO" ]; then
	diag "$KO"
	KO=
else
	diag "reload candidate: $KO"
fi

NETEM=1
modprobe sch_netem 2>/dev/null
if ! err=$(tc qdisc replace dev toy0 root netem delay 0ms 2>&1); then
	diag "netem part of the churn skipped: sch_netem is not available: $err"
	NETEM=0
else
	tc qdisc del dev toy0 root 2>/dev/null
fi

# ---- part 1: storm and churn ------------------------------------------------
diag "part 1: storm and churn for $SECS s"
start=$SECONDS
LIMIT=$((SECS + GRACE + 90))
: >"$TMP/storm.res"
: >"$TMP/churn.res"
timeout -k 10 "$LIMIT" "$PROG" storm "$SECS" "$TMP/storm.res" >"$TMP/storm.out" 2>&1 &
SPID=$!
CHURN_NETEM=$NETEM timeout -k 10 "$LIMIT" "$PROG" churn "$SECS" "$TMP/churn.res" \
	>"$TMP/churn.out" 2>&1 &
CPID=$!
PIDS="$SPID $CPID"
wait "$SPID"
src=$?
wait "$CPID"
crc=$?
PIDS=
part1=$((SECONDS - start))
cat "$TMP/storm.out" "$TMP/churn.out"
diag "storm exit $src, churn exit $crc, both done after $part1 s"

procs=$(get "$TMP/storm.res" storm_procs 0)
procs_ok=$(get "$TMP/storm.res" storm_procs_ok 0)
calls=$(get "$TMP/storm.res" storm_calls 0)
if [ "$src" -le 1 ] && [ "$procs" -gt 0 ] && [ "$procs_ok" = "$procs" ] &&
	[ "$calls" -gt 0 ]; then
	ok "${NAMES[0]}"
else
	diag "storm: exit $src, $procs_ok of $procs processes exited normally, $calls calls"
	not_ok "${NAMES[0]}"
fi
anom=$(get "$TMP/storm.res" storm_anomalies -1)
check "$([ "$anom" = 0 ] && echo 0 || echo 1)" "${NAMES[1]}"

cfail=$(get "$TMP/churn.res" churn_failures -1)
unexp=$(get "$TMP/churn.res" churn_rmmod_unexpected -1)
if [ "$crc" -le 1 ] && [ "$cfail" != -1 ] && [ $((cfail - unexp)) -eq 0 ] &&
	[ "$(get "$TMP/churn.res" churn_ns 0)" -gt 0 ]; then
	ok "${NAMES[2]}"
else
	diag "churn: exit $crc, $cfail failures ($unexp of them rmmod)"
	not_ok "${NAMES[2]}"
fi
rm_tries=$(get "$TMP/churn.res" churn_rmmod 0)
rm_refused=$(get "$TMP/churn.res" churn_rmmod_refused 0)
diag "rmmod attempts $rm_tries, refused as in use $rm_refused"
check "$([ "$unexp" = 0 ] && [ "$rm_tries" = "$rm_refused" ] && echo 0 || echo 1)" "${NAMES[3]}"

# ---- after the storm ---------------------------------------------------------
start=$SECONDS
end=$((SECONDS + DRAIN_S))
while :; do
	read -r socks mem <<<"$(stream_proto)"
	n=$(toy_socks)
	if [ "$n" -eq 0 ] && [ "${socks:-1}" -le 0 ] && [ "${mem:-0}" -le "$POOL_MAX" ]; then
		break
	fi
	[ "$SECONDS" -ge "$end" ] && break
	sleep 0.1
done
diag "after $((SECONDS - start)) s: /proc/net/toy lists $n sockets; TOY-STREAM sockets ${socks:-?}, memory ${mem:-?} pages"
grep -E '^(protocol|TOY)' /proc/net/protocols | cut -c1-60 | sed 's/^/#   /'
if [ "$n" -eq 0 ] && [ "${socks:-1}" -le 0 ]; then
	ok "${NAMES[4]}"
else
	head -n 21 /proc/net/toy | sed 's/^/#   /'
	not_ok "${NAMES[4]}"
fi
check "$([ "${mem:-999999}" -le "$POOL_MAX" ] && echo 0 || echo 1)" "${NAMES[5]}"

# ---- unload, reload, and part 2: load/unload cycles --------------------------
part2() {
	if [ -z "$KO" ]; then
		skip_t "${NAMES[6]}" "no TOY_KO candidate is the loaded module"
		skip_t "${NAMES[7]}" "no TOY_KO candidate is the loaded module"
		skip_t "${NAMES[8]}" "no TOY_KO candidate is the loaded module"
		skip_t "${NAMES[9]}" "no TOY_KO candidate is the loaded module"
		return
	fi
	: >"$TMP/unload.res"
	if ! "$PROG" unload $((DRAIN_S * 1000)) "$TMP/unload.res"; then
		not_ok "${NAMES[6]}"
		diag "af_toy cannot be unloaded: refcnt $(cat /sys/module/af_toy/refcnt 2>/dev/null)"
		skip_t "${NAMES[7]}" "af_toy could not be unloaded after the storm"
		skip_t "${NAMES[8]}" "af_toy could not be unloaded after the storm"
		skip_t "${NAMES[9]}" "af_toy could not be unloaded after the storm"
		return
	fi
	if "$PROG" load "$KO" "$FAM" && "$PROG" probe; then
		ok "${NAMES[6]}"
	else
		not_ok "${NAMES[6]}"
	fi
	if [ ! -d /sys/module/af_toy ]; then
		skip_t "${NAMES[7]}" "af_toy is not loaded"
		skip_t "${NAMES[8]}" "af_toy is not loaded"
		skip_t "${NAMES[9]}" "af_toy is not loaded"
		return
	fi

	diag "part 2: $CYCLES load/unload cycles"
	local start=$SECONDS rc done_ su0 su1 vm0 vm1 pc0 pc1 grow growmax
	: >"$TMP/cycles.res"
	timeout -k 10 $((CYCLES * 3 + 300)) "$PROG" cycles "$CYCLES" "$KO" "$TMP/cycles.res"
	rc=$?
	diag "cycles exit $rc after $((SECONDS - start)) s"
	if [ ! -d /sys/module/af_toy ]; then
		diag "af_toy was left unloaded: loading it again"
		"$PROG" load "$KO" "$FAM"
	fi
	done_=$(get "$TMP/cycles.res" cycles_done 0)
	check "$([ "$rc" = 0 ] && [ "$done_" = "$CYCLES" ] && echo 0 || echo 1)" "${NAMES[7]}"
	if [ "$done_" -eq 0 ]; then
		skip_t "${NAMES[8]}" "no cycle completed"
		skip_t "${NAMES[9]}" "no cycle completed"
		return
	fi
	su0=$(get "$TMP/cycles.res" cycles_sunreclaim_before 0)
	su1=$(get "$TMP/cycles.res" cycles_sunreclaim_after 0)
	diag "SUnreclaim $su0 -> $su1 KiB ($((su1 - su0)) KiB, tolerance $SLAB_TOL); Slab $(get "$TMP/cycles.res" cycles_slab_before) -> $(get "$TMP/cycles.res" cycles_slab_after) KiB"
	grow=$(get "$TMP/cycles.res" cycles_slab_cache_growth 0)
	growmax=$((CYCLES / 2 > 128 ? CYCLES / 2 : 128))
	if grep -qw kasan_quarantine_reduce /proc/kallsyms; then
		# freed objects wait in KASAN's quarantine, still counted as
		# in use: kmemleak (vm.sh's scans) is the leak check there
		diag "KASAN kernel: per-cache growth ($grow objects) is not checked"
		grow=0
	fi
	diag "most objects one slab cache gained: $grow (limit $growmax)"
	check "$([ $((su1 - su0)) -le "$SLAB_TOL" ] && [ "$grow" -le "$growmax" ] && echo 0 || echo 1)" "${NAMES[8]}"
	vm0=$(get "$TMP/cycles.res" cycles_vmod_before 0)
	vm1=$(get "$TMP/cycles.res" cycles_vmod_after 0)
	pc0=$(get "$TMP/cycles.res" cycles_percpu_before 0)
	pc1=$(get "$TMP/cycles.res" cycles_percpu_after 0)
	diag "module memory $vm0 -> $vm1 KiB; Percpu $pc0 -> $pc1 KiB"
	check "$([ "$vm1" -le "$vm0" ] && [ $((pc1 - pc0)) -le "$PERCPU_TOL" ] && echo 0 || echo 1)" "${NAMES[9]}"
}
part2

# ---- the pool over its hard limit ----------------------------------------------
if [ "$STARVE" = 0 ]; then
	skip_t "${NAMES[10]}" "STORM_STARVE=0"
elif [ ! -d /sys/module/af_toy ]; then
	skip_t "${NAMES[10]}" "af_toy is not loaded"
elif ! timeout 120 "$PROG" starve tcp; then
	skip_t "${NAMES[10]}" "the TCP oracle did not pass"
else
	timeout 120 "$PROG" starve
	check $? "${NAMES[10]}"
fi

finish
