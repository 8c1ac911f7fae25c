#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# socat_test.sh - AF_TOY with a client nobody here wrote: unmodified socat,
# through its generic socket addresses
#     SOCKET-SENDTO / SOCKET-RECV / SOCKET-RECVFROM / SOCKET-DATAGRAM
#     <domain>:<type>:<protocol>:<hex address>
# where the hex address is the sockaddr without its family: port (2 bytes),
# node address (4 bytes) and 8 zero bytes, all in network byte order.
#
# Output is TAP plus a kselftest-style "# Totals:" line.
#
# SOCAT_TEST_FAMILY=inet runs the same script over AF_INET/UDP (domain 2),
# which checks the script itself on a host without af_toy.ko.
#
# No fixed sleeps: every wait is a bounded loop of short polls for a
# condition (a socket in /proc/net/..., a file's size, a process's exit).

set -u

MODE=${SOCAT_TEST_FAMILY:-toy}
SOCK_DGRAM=2
WAIT_S=60	# socat start-up from 9p in a starved TCG guest has taken 10+ s

. "$(dirname "$(readlink -f "$0")")/tap.sh"

TESTS=3
echo "TAP version 13"
echo "1..$TESTS"

finish() {
	tap_totals
	[ "$fail" -eq 0 ]
	exit $?
}

skip_all() {
	diag "$1"
	skip_t "socat file transfer (100 KiB in 8 KiB datagrams)" "$1"
	skip_t "socat several datagrams from a bound port (SOCKET-DATAGRAM, bind=)" "$1"
	skip_t "socat request and reply (SOCKET-RECVFROM,fork answers the sender)" "$1"
	finish
}

if ! command -v socat >/dev/null 2>&1; then
	skip_all "socat is not installed"
fi

case $MODE in
toy)
	if [ ! -r /sys/module/af_toy/parameters/family ]; then
		skip_all "af_toy.ko is not loaded"
	fi
	FAM=$(cat /sys/module/af_toy/parameters/family)
	PROC=/proc/net/toy
	LOOPBACK_PROC=7F000001		# /proc/net/toy: host order
	;;
inet)
	FAM=2
	PROC=/proc/net/udp
	LOOPBACK_PROC=0100007F		# /proc/net/udp: raw be32 on x86
	;;
*)
	echo "Bail out! unknown SOCAT_TEST_FAMILY=$MODE"
	exit 1
	;;
esac
diag "socat $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p'), domain $FAM ($MODE)"

tap_scratch socat_test

# hexaddr PORT -> the generic socat address of 127.0.0.1:PORT
hexaddr() {
	printf 'x%04xx7f000001x0000000000000000' "$1"
}

# bounded wait: until "$@" succeeds, at most WAIT_S seconds
wait_for() {
	local end=$((SECONDS + WAIT_S))

	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.02
	done
	return 0
}

# a socket is bound to 127.0.0.1:PORT (as listed in /proc/net/...)
is_bound() {
	grep -q " $LOOPBACK_PROC:$(printf '%04X' "$1") " "$PROC"
}

# size of FILE is at least N bytes
size_at_least() {
	[ -e "$1" ] && [ "$(stat -c %s "$1")" -ge "$2" ]
}

proc_gone() {
	! kill -0 "$1" 2>/dev/null
}

# a port that nothing is bound to
pick_port() {
	local p=$((20000 + (RANDOM % 10000)))

	while is_bound "$p"; do
		p=$((p + 1))
	done
	echo "$p"
}

# start a background command; its pid is in $BG
start_bg() {
	"$@" &
	BG=$!
	PIDS="$PIDS $BG"
}

stop_bg() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# ---- 1: a 100 KiB file in datagrams -----------------------------------------
t1() {
	local port addr n=102400

	port=$(pick_port)
	addr=$(hexaddr "$port")
	head -c $n /dev/urandom >"$TMP/in1"
	start_bg timeout 300 socat -u \
		"SOCKET-RECV:$FAM:$SOCK_DGRAM:0:$addr,rcvbuf=4194304" \
		"OPEN:$TMP/out1,creat,trunc" 2>"$TMP/err1"
	local rx=$BG
	if ! wait_for is_bound "$port"; then
		diag "receiver never bound port $port: $(cat "$TMP/err1")"
		stop_bg $rx
		return 1
	fi
	if ! timeout 300 socat -u -b 8192 "OPEN:$TMP/in1" \
		"SOCKET-SENDTO:$FAM:$SOCK_DGRAM:0:$addr" 2>"$TMP/err1s"; then
		diag "sender failed: $(cat "$TMP/err1s")"
		stop_bg $rx
		return 1
	fi
	wait_for size_at_least "$TMP/out1" $n
	stop_bg $rx
	if ! cmp "$TMP/in1" "$TMP/out1"; then
		diag "received $(stat -c %s "$TMP/out1") of $n bytes: $(cat "$TMP/err1")"
		return 1
	fi
	return 0
}

# ---- 2: several datagrams, each from a new socat bound to one port ----------
t2() {
	local port sport addr saddr i

	port=$(pick_port)
	sport=$(pick_port)
	[ "$sport" = "$port" ] && sport=$((port + 1))
	addr=$(hexaddr "$port")
	saddr=$(hexaddr "$sport")
	: >"$TMP/want2"
	start_bg timeout 300 socat -u "SOCKET-RECV:$FAM:$SOCK_DGRAM:0:$addr" \
		"OPEN:$TMP/out2,creat,trunc" 2>"$TMP/err2"
	local rx=$BG
	if ! wait_for is_bound "$port"; then
		diag "receiver never bound port $port: $(cat "$TMP/err2")"
		stop_bg $rx
		return 1
	fi
	for i in 1 2 3 4 5; do
		echo "message $i from port $sport" >>"$TMP/want2"
		if ! echo "message $i from port $sport" |
			timeout 120 socat -u - \
			"SOCKET-DATAGRAM:$FAM:$SOCK_DGRAM:0:$addr,bind=$saddr" \
			2>"$TMP/err2s"; then
			diag "sender $i failed: $(cat "$TMP/err2s")"
			stop_bg $rx
			return 1
		fi
	done
	wait_for size_at_least "$TMP/out2" "$(stat -c %s "$TMP/want2")"
	stop_bg $rx
	if ! cmp "$TMP/want2" "$TMP/out2"; then
		diag "got: $(cat "$TMP/out2")"
		return 1
	fi
	return 0
}

# ---- 3: request and reply: the server answers to the sender's address ------
t3() {
	local port addr

	port=$(pick_port)
	addr=$(hexaddr "$port")
	start_bg timeout 300 socat \
		"SOCKET-RECVFROM:$FAM:$SOCK_DGRAM:0:$addr,fork" \
		"SYSTEM:read -r line; echo \"\$line\" | tr a-z A-Z" 2>"$TMP/err3"
	local srv=$BG
	if ! wait_for is_bound "$port"; then
		diag "server never bound port $port: $(cat "$TMP/err3")"
		stop_bg $srv
		return 1
	fi
	# the client writes a request, reads one reply line, and exits
	timeout 120 socat "SOCKET-SENDTO:$FAM:$SOCK_DGRAM:0:$addr" \
		"SYSTEM:echo hello toy; read -r reply; echo \"\$reply\" >$TMP/out3" \
		2>"$TMP/err3c"
	stop_bg $srv
	if [ "$(cat "$TMP/out3" 2>/dev/null)" != "HELLO TOY" ]; then
		diag "reply: '$(cat "$TMP/out3" 2>/dev/null)'; server: $(cat "$TMP/err3"); client: $(cat "$TMP/err3c")"
		return 1
	fi
	return 0
}

run() {
	local t=$1 start=$SECONDS

	shift
	if $t; then
		ok "$*"
	else
		not_ok "$*"
	fi
	diag "$t took $((SECONDS - start)) s"
}

run t1 "socat file transfer (100 KiB in 8 KiB datagrams)"
run t2 "socat several datagrams from a bound port (SOCKET-DATAGRAM, bind=)"
run t3 "socat request and reply (SOCKET-RECVFROM,fork answers the sender)"

finish
