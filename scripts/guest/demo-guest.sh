#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The AF_TOY demo, run inside the VM by "make demo" after af_toy.ko is
# loaded: real datagram and stream exchanges over AF_TOY, with the
# module's own view of them (/proc/net/toy, /proc/net/toy_snmp), the
# device's (ip -s link) and the wire's (tcpdump on toy0, decoded by tshark
# with the project's dissector).  Then two nodes: two network namespaces
# joined by a toy link made with stock ip, a datagram echo and a stream
# across it, the neighbour cache, and a capture on the link.
set -euo pipefail

BIN=${BIN:-build/examples}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; ip netns del demo1 2>/dev/null || true
      ip netns del demo2 2>/dev/null || true; rm -rf "$tmp"' EXIT

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Wait (bounded) until a condition holds; the VM is slow, so no fixed sleeps.
wait_for() {
	local what=$1
	shift
	for _ in $(seq 1 500); do
		"$@" && return 0
		sleep 0.02
	done
	echo "timed out waiting for $what" >&2
	return 1
}

bound() { grep -q ":$(printf %04X "$1") " /proc/net/toy; }

section "the module"
echo "kernel $(uname -r); af_toy family number: $(cat /sys/module/af_toy/parameters/family)"
ip link show toy0

section "capture everything on toy0 (tcpdump, in the background)"
tcpdump -i toy0 -U -w "$tmp/demo.pcap" 2>"$tmp/tcpdump.err" &
tcpdump_pid=$!
wait_for "tcpdump to listen" grep -q "listening on" "$tmp/tcpdump.err"
cat "$tmp/tcpdump.err"

section "datagrams: an echo server on port 7007, a client sends three"
"$BIN/toy_dgram" server 7007 3 &
server_pid=$!
wait_for "the server to bind" bound 7007
echo "--- /proc/net/toy while the server is bound:"
cat /proc/net/toy
"$BIN/toy_dgram" client 7007 "hello, toy" "datagrams keep" "their boundaries"
wait "$server_pid"

section "a stream: connect, three writes, shutdown, close"
"$BIN/toy_stream" server 7010 1 &
server_pid=$!
wait_for "the stream server to listen" bound 7010
"$BIN/toy_stream" client 7010 "a byte stream" "over AF_TOY" "with TCP's handshake"
echo "--- /proc/net/toy right after: the side that closed first waits in"
echo "    TIME_WAIT (st 06) for 0.5 s, so on a slow VM it may be gone already"
cat /proc/net/toy
wait "$server_pid"

section "socat, unmodified, over AF_TOY (generic socket addresses)"
family=$(cat /sys/module/af_toy/parameters/family)
# sockaddr_toy after the family: port 7008 (0x1b60), 127.0.0.1, 8 zero bytes
addr="x1b607f0000010000000000000000"
socat -u "SOCKET-RECVFROM:$family:2:0:$addr" STDOUT >"$tmp/socat.out" &
socat_pid=$!
wait_for "socat to bind" bound 7008
echo "a line carried by socat" | socat -u STDIN "SOCKET-SENDTO:$family:2:0:$addr"
# A RECVFROM socat keeps listening after the first datagram: stop it once
# the bytes are out.
wait_for "socat to receive" grep -q "carried by socat" "$tmp/socat.out"
kill "$socat_pid"
wait "$socat_pid" 2>/dev/null || true
echo "received by socat: $(cat "$tmp/socat.out")"

section "what the wire saw: tshark with dissector/toy.lua"
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
echo "(toy0 loops frames back, so tcpdump sees each one twice; shown once, as sent)"
tshark -X lua_script:dissector/toy.lua -r "$tmp/demo.pcap" \
	-Y "sll.pkttype == 4" -T fields -e frame.number -e _ws.col.Info 2>/dev/null
echo "--- the first stream segment, every field:"
tshark -X lua_script:dissector/toy.lua -r "$tmp/demo.pcap" -V \
	-Y "toy.type == 2 && sll.pkttype == 4" 2>/dev/null |
	awk '/^AF_TOY/ && !done { on = 1 } on && /^$/ { on = 0; done = 1 } on'

section "protocol counters (/proc/net/toy_snmp)"
cat /proc/net/toy_snmp

section "device counters (ip -s link show toy0)"
ip -s link show toy0

section "two nodes: namespaces demo1 and demo2, joined by a toy link"
run() { echo "# $*"; "$@"; }
run ip netns add demo1
run ip netns add demo2
run ip -n demo1 link add t12 type toy
run ip -n demo1 link add t21 netns demo2 link t12 type toy
run ip -n demo1 link set toy0 address 10.0.0.1
run ip -n demo2 link set toy0 address 10.0.0.2
run ip -n demo1 link set t12 up
run ip -n demo2 link set t21 up
run ip -n demo1 link show t12
in1() { ip netns exec demo1 "$@"; }
in2() { ip netns exec demo2 "$@"; }
carrier() { in1 ip link show t12 | grep -q "state UP"; }
wait_for "the link's carrier" carrier

section "a capture on the cable (tcpdump -i t12 in demo1)"
# not through in1: $! must be tcpdump itself, which ip netns exec becomes;
# --immediate-mode: each frame reaches tcpdump at once, not when a
# buffer block fills, so none is still in the kernel when it is stopped
ip netns exec demo1 tcpdump -i t12 --immediate-mode -U -w "$tmp/link.pcap" 2>"$tmp/tcpdump2.err" &
tcpdump_pid=$!
wait_for "tcpdump to listen" grep -q "listening on" "$tmp/tcpdump2.err"

section "a datagram echo across: server in demo2, client in demo1"
bound2() { in2 grep -q ":$(printf %04X "$1") " /proc/net/toy; }
in2 "$BIN/toy_dgram" server 7007 2 &
server_pid=$!
wait_for "the server in demo2 to bind" bound2 7007
in1 "$BIN/toy_dgram" client 10.0.0.2:7007 "hello, node 2" "from node 1"
wait "$server_pid"

section "a stream across"
in2 "$BIN/toy_stream" server 7010 1 &
server_pid=$!
wait_for "the stream server in demo2 to listen" bound2 7010
in1 "$BIN/toy_stream" client 10.0.0.2:7010 "a stream" "between two nodes"
wait "$server_pid"

section "the neighbour caches (/proc/net/toy_neigh)"
echo "--- demo1:"; in1 cat /proc/net/toy_neigh
echo "--- demo2:"; in2 cat /proc/net/toy_neigh

section "what the cable saw: the toy ARP, then the traffic"
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
grep "captured" "$tmp/tcpdump2.err" || true
tshark -X lua_script:dissector/toy.lua -r "$tmp/link.pcap" \
	-T fields -e frame.number -e toy.src -e toy.dst -e _ws.col.Info 2>/dev/null | head -n 30
echo "--- demo1's counters:"
in1 cat /proc/net/toy_snmp
