#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# trace_test.sh - AF_TOY's trace events (include/toy_trace.h) fire where
# toy_trace.h says, with the fields it names, read through tracefs as a
# student would read them:
#
#   echo 1 > /sys/kernel/tracing/events/af_toy/enable
#
# One datagram to a bound socket on toy0 must show, in this order,
# toy_sendmsg -> toy_xmit -> toy_rcv (verdict=OK) -> toy_deliver (err=0).
# A stream connection shows toy_set_state to TCP_ESTABLISHED; one through
# "netem loss 20%" on toy0 shows toy_retransmit; a datagram across a toy
# link shows toy_neigh_state INCOMPLETE then REACHABLE; a corrupted frame
# shows toy_rcv with verdict=BAD_CSUM.  Drops say why, in the kernel's
# own skb:kfree_skb event: a datagram to a port nobody has bound dies with
# "reason: NO_SOCKET", and a clean stream transfer drops nothing (its
# ACKs, once read, are consumed, not dropped).
#
# Usage (in the VM, as root, af_toy.ko loaded): tests/trace_test.sh
# Output is TAP plus a kselftest-style "# Totals:" line.  Skips, with the
# reason, when the kernel has no tracefs events for the module.
set -u
DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
XFER=$DIR/toy_xfer
ECHO=$DIR/../build/examples/toy_dgram
. "$DIR/tap.sh"

NAMES=(
	"one datagram: toy_sendmsg, toy_xmit (dev=toy0), toy_rcv (verdict=OK), toy_deliver (err=0), in that order"
	"a stream: toy_set_state from TCP_SYN_SENT to TCP_ESTABLISHED, and deliveries of type STREAM"
	"a stream through netem loss 20% on toy0: toy_retransmit"
	"a datagram across a toy link: toy_neigh_state INCOMPLETE, then REACHABLE"
	"datagrams through netem corrupt 50%: toy_rcv with verdict=BAD_CSUM"
	"a datagram to a port nobody has bound: skb:kfree_skb with reason NO_SOCKET"
	"a clean 2 MiB stream on toy0: no skb:kfree_skb at all (ACKs are consumed)"
)

echo "TAP version 13"
echo "1..${#NAMES[@]}"

skip_all() {
	local n

	diag "$1"
	for n in "${NAMES[@]}"; do
		skip_t "$n" "$1"
	done
	tap_totals
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
[ -d /sys/module/af_toy ] || skip_all "af_toy.ko is not loaded"
[ -x "$XFER" ] || skip_all "$XFER is not built (make -C tests)"
[ -x "$ECHO" ] || skip_all "$ECHO is not built (make examples)"
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
[ -d $T/events/af_toy ] || skip_all "no $T/events/af_toy (no event tracing in this kernel)"

tap_scratch trace_test
NS1=trace1-$$
NS2=trace2-$$

cleanup() {
	echo 0 >$T/events/af_toy/enable 2>/dev/null
	echo 0 >$T/events/skb/kfree_skb/enable 2>/dev/null
	echo 0 >$T/tracing_on 2>/dev/null
	tc qdisc del dev toy0 root 2>/dev/null
	ip netns del $NS1 2>/dev/null
	ip netns del $NS2 2>/dev/null
	tap_cleanup
}
trap cleanup EXIT

# The events are enabled once, here, and stay enabled until cleanup: each
# test only turns the ring buffer on and off.  Enabling an event patches
# kernel text on every CPU (static keys).  When each test toggled them, a
# 6.1 guest once froze silently between tests 3 and 4, with nothing on
# its console; the cause is not proven, but cross-CPU code patching under
# TCG is the suspect, and the patching is not what this file tests.
echo 0 >$T/tracing_on
echo 1 >$T/events/af_toy/enable
echo 1 >$T/events/skb/kfree_skb/enable

# trace CMD...: run CMD with the ring buffer on, and keep what af_toy's
# events and skb:kfree_skb wrote
trace() {
	echo 0 >$T/tracing_on
	: >$T/trace
	echo 1 >$T/tracing_on
	"$@" >"$TMP/cmd.out" 2>&1
	RC=$?
	echo 0 >$T/tracing_on
	grep -v '^#' $T/trace >"$TMP/trace"
	diag "$(wc -l <"$TMP/trace") events; $(tail -n 1 "$TMP/cmd.out")"
}

# has REGEX: a line of the last trace matches
has() {
	grep -qE "$1" "$TMP/trace" || { diag "no event matches: $1"; return 1; }
}

# first REGEX: the line number of the first match, or 0
first() {
	grep -nE "$1" "$TMP/trace" | head -n 1 | cut -d: -f1 | grep . || echo 0
}

check() {	# check STATUS NAME
	if [ "$1" -eq 0 ]; then ok "$2"; else not_ok "$2"; fi
}

modprobe -q sch_netem 2>/dev/null

# ---- 1: one datagram, layer by layer ----------------------------------------
t1() {
	local s x r d

	trace "$XFER" -t dgram -f toy -n 1 -l 100 -T 60
	[ $RC -eq 0 ] || { diag "toy_xfer: $(cat "$TMP/cmd.out")"; return 1; }
	s=$(first 'toy_sendmsg: .*type=DGRAM len=100')
	x=$(first 'toy_xmit: dev=toy0 .*len=132 .*type=DGRAM')
	r=$(first "toy_rcv: dev=toy0 .*verdict=OK")
	d=$(first 'toy_deliver: .*type=DGRAM len=100 err=0')
	diag "first lines: sendmsg $s, xmit $x, rcv $r, deliver $d"
	[ "$s" -gt 0 ] && [ "$x" -gt "$s" ] && [ "$r" -gt "$x" ] && [ "$d" -gt "$r" ] && return 0
	head -n 20 "$TMP/trace" | while IFS= read -r l; do diag "$l"; done
	return 1
}

# ---- 2: a stream's handshake -------------------------------------------------
t2() {
	trace "$XFER" -t stream -f toy -m 1 -T 60
	[ $RC -eq 0 ] || { diag "toy_xfer: $(cat "$TMP/cmd.out")"; return 1; }
	has 'toy_set_state: .*oldstate=TCP_SYN_SENT newstate=TCP_ESTABLISHED' &&
		has 'toy_set_state: .*oldstate=TCP_CLOSE newstate=TCP_LISTEN' &&
		has 'toy_deliver: .*type=STREAM len=[1-9]'
}

# ---- 3: a lost segment sent again --------------------------------------------
t3() {
	tc qdisc replace dev toy0 root netem loss 20% || return 1
	trace "$XFER" -t stream -f toy -m 4 -T 120
	tc qdisc del dev toy0 root
	[ $RC -eq 0 ] || { diag "toy_xfer: $(cat "$TMP/cmd.out")"; return 1; }
	has 'toy_retransmit: .*seq=[0-9]+ len=[0-9]+'
}

# ---- 4: the toy ARP across a link --------------------------------------------
t4() {
	ip netns add $NS1 && ip netns add $NS2 &&
		ip -n $NS1 link add t12 type toy &&
		ip -n $NS1 link add t21 netns $NS2 link t12 type toy &&
		ip -n $NS1 link set toy0 address 10.0.0.1 &&
		ip -n $NS2 link set toy0 address 10.0.0.2 &&
		ip -n $NS1 link set t12 up && ip -n $NS2 link set t21 up || return 1
	trace "$XFER" -t dgram -A 10.0.0.2 -C /run/netns/$NS1 -D /run/netns/$NS2 \
		-n 10 -l 100 -T 60
	[ $RC -eq 0 ] || { diag "toy_xfer: $(cat "$TMP/cmd.out")"; return 1; }
	has 'toy_neigh_state: addr=10\.0\.0\.2 dev=- oldstate=NONE newstate=INCOMPLETE' &&
		has 'toy_neigh_state: addr=10\.0\.0\.2 dev=t12 oldstate=INCOMPLETE newstate=REACHABLE' &&
		has 'toy_xmit: dev=t12 .*10\.0\.0\.1:0 -> 10\.0\.0\.2:0 type=NEIGH flags=0x40'
}

# ---- 5: a damaged frame refused -----------------------------------------------
t5() {
	tc qdisc replace dev toy0 root netem corrupt 50% || return 1
	trace "$XFER" -t dgram -f toy -n 200 -l 1000 -T 60
	tc qdisc del dev toy0 root
	has 'toy_rcv: dev=toy0 .*verdict=BAD_CSUM'
}

# ---- 6: why a datagram died ---------------------------------------------------
t6() {
	# The client's connected socket hears "port unreachable".
	trace "$ECHO" client 7 hello
	if [ $RC -eq 0 ] || ! grep -q 'Connection refused' "$TMP/cmd.out"; then
		diag "toy_dgram: $(cat "$TMP/cmd.out")"
		return 1
	fi
	has 'toy_rcv: dev=toy0 .*-> 127\.0\.0\.1:7 type=DGRAM verdict=OK' &&
		has 'kfree_skb: .*reason: NO_SOCKET'
}

# ---- 7: nothing dropped in a clean transfer -----------------------------------
t7() {
	trace "$XFER" -t stream -f toy -m 2 -T 120
	[ $RC -eq 0 ] || { diag "toy_xfer: $(cat "$TMP/cmd.out")"; return 1; }
	has 'toy_deliver: .*type=STREAM' || return 1
	if grep -q 'kfree_skb: ' "$TMP/trace"; then
		diag "dropped: $(grep -m 5 'kfree_skb: ' "$TMP/trace")"
		return 1
	fi
}

for i in 1 2 3 4 5 6 7; do
	t$i
	check $? "${NAMES[$((i - 1))]}"
done
tap_totals
[ "$fail" -eq 0 ]
