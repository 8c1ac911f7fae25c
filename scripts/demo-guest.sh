#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The AF_TOY demo, run inside the VM by "make demo" after af_toy.ko is
# loaded: a real datagram exchange over AF_TOY, with the module's own view
# of it (/proc/net/toy, /proc/net/toy_snmp), the device's (ip -s link) and
# the wire's (tcpdump -i toy0).
set -euo pipefail

BIN=${BIN:-build/examples}
PORT=7007
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Wait (bounded) until a condition holds; the VM is slow, so no fixed sleeps.
wait_for() {
	local what=$1; shift
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

section "capture on toy0 (tcpdump, in the background)"
tcpdump -i toy0 -n -l -c 6 -XX >"$tmp/tcpdump.txt" 2>"$tmp/tcpdump.err" &
tcpdump_pid=$!
wait_for "tcpdump to listen" grep -q "listening on" "$tmp/tcpdump.err"
cat "$tmp/tcpdump.err"

section "echo server on port $PORT, client sends three datagrams"
"$BIN/toy_dgram" server "$PORT" 3 &
server_pid=$!
wait_for "the server to bind" bound "$PORT"
echo "--- /proc/net/toy while the server is bound:"
cat /proc/net/toy
"$BIN/toy_dgram" client "$PORT" "hello, toy" "datagrams keep" "their boundaries"
wait "$server_pid"

section "a stream echo: connect, three writes, shutdown, close"
tcpdump -i toy0 -n -l -c 10 >"$tmp/tcpdump-stream.txt" 2>"$tmp/tcpdump2.err" &
tcpdump2_pid=$!
wait_for "tcpdump to listen" grep -q "listening on" "$tmp/tcpdump2.err"
"$BIN/toy_stream" server 7010 1 &
stream_pid=$!
wait_for "the stream server to listen" bound 7010
"$BIN/toy_stream" client 7010 "a byte stream" "over AF_TOY" "with TCP's handshake"
wait "$stream_pid"
wait "$tcpdump2_pid" || true
echo "--- the first frames on toy0, each seen twice (Out as toy0 sends it, In as it loops back)."
echo "    Third header byte = flags: SYN 02, SYN+ACK 06, ACK 04, data+ACK 05, then the echo's ACK 04:"
cat "$tmp/tcpdump-stream.txt"
echo "--- /proc/net/toy after close: the closing side waits in TIME_WAIT (st 06)"
cat /proc/net/toy

section "what the wire saw (tcpdump -i toy0)"
wait "$tcpdump_pid" || true
cat "$tmp/tcpdump.txt"

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

section "protocol counters (/proc/net/toy_snmp)"
cat /proc/net/toy_snmp

section "device counters (ip -s link show toy0)"
ip -s link show toy0
