#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The AF_TOY demo, run inside the VM by "make demo" after af_toy.ko is
# loaded: real datagram and stream exchanges over AF_TOY, with the
# module's own view of them (/proc/net/toy, /proc/net/toy_snmp), the
# device's (ip -s link) and the wire's (tcpdump on toy0, decoded by tshark
# with the project's dissector).
set -euo pipefail

BIN=${BIN:-build/examples}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

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
