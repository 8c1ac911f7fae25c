#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dissector_test.sh - dissector/toy.lua decodes real AF_TOY frames.
#
# Inside the VM (af_toy loaded): capture a datagram echo and a stream
# echo on toy0 with tcpdump, decode the capture with tshark and the
# project's Lua dissector, and check the fields and that the checksums
# were left to the device (offload); then capture with the offload off
# (ethtool), flip one payload byte and check the dissector flags it.  Then
# two nodes (namespaces joined by a toy link): capture on the link while
# one sends a datagram to the other, and check that the toy ARP's who-has
# and is-at decode.  TAP output with a kselftest-style "# Totals:" line.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; ip netns del dis1 2>/dev/null; ip netns del dis2 2>/dev/null; rm -rf "$tmp"' EXIT
lua=dissector/toy.lua
bin=build/examples
pass=0 fail=0 n=0

ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "# $2"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1" "${3:-}"; fi; }
wait_for() { for _ in $(seq 1 400); do "$@" && return 0; sleep 0.05; done; return 1; }
bound() { grep -q ":$(printf %04X "$1") " /proc/net/toy; }
decode() { tshark -X "lua_script:$lua" -r "$1" "${@:2}" 2>/dev/null; }
# dgram_echo PORT OUT: one datagram, "dissect me", echoed on PORT; the
# client's output (the echo) goes to OUT
dgram_echo() {
	"$bin/toy_dgram" server "$1" 1 >/dev/null &
	local srv=$!
	wait_for bound "$1"
	"$bin/toy_dgram" client "$1" "dissect me" >"$2"
	wait "$srv"
}

echo "TAP version 13"
why=
command -v tshark >/dev/null || why="tshark is not installed"
command -v ethtool >/dev/null || why="ethtool is not installed"
# check.sh sets it on the debug kernel: the dissector is user space, and
# tshark under KASAN takes two minutes of the hour make check has.
[ -n "${DISSECTOR_TEST_SKIP:-}" ] && why=$DISSECTOR_TEST_SKIP
if [ -n "$why" ]; then
	echo "1..0 # SKIP $why"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit 0
fi
# The captures wait for a count of frames that only the examples send:
# without them, fail at once rather than wait for the suite's timeout.
if [ ! -x "$bin/toy_dgram" ] || [ ! -x "$bin/toy_stream" ]; then
	echo "1..1"
	echo "not ok 1 - the example programs are built (make examples on the host)"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi
echo "1..9"

tcpdump -i toy0 -w "$tmp/cap.pcap" -c 16 2>"$tmp/td.err" &
td=$!
wait_for grep -q "listening on" "$tmp/td.err"
dgram_echo 7201 /dev/null
"$bin/toy_stream" server 7202 1 >/dev/null &
s=$!
wait_for bound 7202
"$bin/toy_stream" client 7202 "stream bytes" >/dev/null
wait "$s"
wait "$td"

decode "$tmp/cap.pcap" -T fields -e toy.type -e toy.srcport -e toy.dstport \
	-e toy.len -e toy.payload -e toy.flags >"$tmp/fields.txt"
# each frame is captured twice (out, then back in on the loopback)
check "datagram decoded: type, ports, length, payload" \
	'grep -qP "^1\t[0-9]+\t7201\t10\t64697373656374206d65\t0x01$" "$tmp/fields.txt"'
check "datagram echo decoded in the other direction" \
	'grep -qP "^1\t7201\t[0-9]+\t10\t" "$tmp/fields.txt"'
flags=$(awk -F'\t' '$1 == 2 { print $6 }' "$tmp/fields.txt" | uniq | head -n 4 | tr '\n' ' ')
check "stream handshake decoded: SYN, SYN+ACK, ACK, data+ACK" \
	'[ "$flags" = "0x02 0x06 0x04 0x05 " ]' "flags seen: $flags"
check "checksums are left to the device (0, offloaded), none flagged bad" \
	'[ "$(decode "$tmp/cap.pcap" -Y toy.checksum.bad | wc -l)" -eq 0 ] &&
	 [ "$(decode "$tmp/cap.pcap" -V | grep -c "Checksum: 0x0000 \[not computed: offloaded\]")" -ge 16 ]'

# With the offload off the core sums every frame before toy0 gets it
# (validate_xmit_skb()): real checksums on the wire, verified on receipt.
ethtool -K toy0 tx off >/dev/null
tcpdump -i toy0 -w "$tmp/sum.pcap" -c 4 2>"$tmp/td.err" &
td=$!
wait_for grep -q "listening on" "$tmp/td.err"
dgram_echo 7203 "$tmp/echo.txt"
wait "$td"
# Stream segments carry their bytes in page fragments: the core sums those too.
"$bin/toy_stream" server 7204 1 >/dev/null &
s=$!
wait_for bound 7204
"$bin/toy_stream" client 7204 "stream bytes" >"$tmp/secho.txt"
wait "$s"
ethtool -K toy0 tx on >/dev/null
check "offload off (ethtool -K toy0 tx off): every checksum computed and correct" \
	'grep -q "dissect me" "$tmp/echo.txt" && grep -q "stream bytes" "$tmp/secho.txt" &&
	 [ "$(decode "$tmp/sum.pcap" -Y toy.checksum.bad | wc -l)" -eq 0 ] &&
	 [ "$(decode "$tmp/sum.pcap" -V | grep -c "Checksum: .*\[correct\]")" -eq 4 ]'

# Flip the last byte of the first frame's payload (pcap header 24 bytes,
# record header 16, cooked header 16, toy header 32, 10 payload bytes).
python3 - "$tmp/sum.pcap" "$tmp/bad.pcap" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[24 + 16 + 16 + 32 + 9] ^= 0xff
open(sys.argv[2], 'wb').write(b)
PY
check "a corrupted payload is flagged as a bad checksum" \
	'[ "$(decode "$tmp/bad.pcap" -Y toy.checksum.bad | wc -l)" -eq 1 ]'
# Cut the first record to 4 payload bytes, as a short snap length would.
python3 - "$tmp/cap.pcap" "$tmp/short.pcap" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
incl, = struct.unpack_from('<I', b, 24 + 8)
keep = 16 + 32 + 4
struct.pack_into('<I', b, 24 + 8, keep)
del b[24 + 16 + keep:24 + 16 + incl]
open(sys.argv[2], 'wb').write(b)
PY
check "a frame shorter than its length field is flagged" \
	'[ "$(decode "$tmp/short.pcap" -Y toy.len.short | wc -l)" -eq 1 ]'

# Two nodes: who-has from 10.9.0.1, is-at from 10.9.0.2, then the datagram.
fam=$(cat /sys/module/af_toy/parameters/family)
ip netns add dis1 && ip netns add dis2 &&
ip -n dis1 link add d12 type toy &&
ip -n dis1 link add d21 netns dis2 link d12 type toy &&
ip -n dis1 link set toy0 address 10.9.0.1 &&
ip -n dis2 link set toy0 address 10.9.0.2 &&
ip -n dis1 link set d12 up && ip -n dis2 link set d21 up ||
	echo "# setting up two nodes failed"
ip netns exec dis1 tcpdump --immediate-mode -U -i d12 -w "$tmp/arp.pcap" 2>"$tmp/td2.err" &
td=$!
wait_for grep -q "listening on" "$tmp/td2.err"
echo "over the link" | ip netns exec dis1 timeout 60 socat -u - \
	"SOCKET-SENDTO:$fam:2:0:x1c21x0a090002x0000000000000000" 2>"$tmp/socat.err"
# -U writes each frame as it comes: wait until the datagram is in the file
arp_info() {
	decode "$tmp/arp.pcap" -T fields -e _ws.col.Info >"$tmp/arp.txt"
	grep -q "^DGRAM" "$tmp/arp.txt"
}
wait_for arp_info
kill -INT "$td" 2>/dev/null; wait "$td"
decode "$tmp/arp.pcap" -T fields -e _ws.col.Info >"$tmp/arp.txt"
check "the toy ARP decodes: Who has 10.9.0.2? Tell 10.9.0.1" \
	'grep -qx "Who has 10.9.0.2? Tell 10.9.0.1" "$tmp/arp.txt"' "$(head -5 "$tmp/arp.txt")"
check "the toy ARP decodes: 10.9.0.2 is here, tell 10.9.0.1; then the datagram" \
	'grep -qx "10.9.0.2 is here, tell 10.9.0.1" "$tmp/arp.txt" &&
	 grep -q "^DGRAM [0-9]* -> 7201" "$tmp/arp.txt"' "$(head -5 "$tmp/arp.txt")"

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" -eq 0 ]
