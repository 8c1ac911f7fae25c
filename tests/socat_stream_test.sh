#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# socat_stream_test.sh - AF_TOY stream sockets with a client nobody here
# wrote: unmodified socat, through its generic socket addresses
#     SOCKET-LISTEN:<domain>:<protocol>:<hex address>
#     SOCKET-CONNECT:<domain>:<protocol>:<hex address>
# (the socket type is implied: SOCK_STREAM).  The hex address is the
# sockaddr without its family: port (2 bytes), node address (4 bytes) and
# 8 zero bytes, all in network byte order; 127.0.0.1:7001 is
#     x1b597f0000010000000000000000
#
# Output is TAP plus a kselftest-style "# Totals:" line.
#
# SOCAT_TEST_FAMILY=inet runs the same script over AF_INET/TCP (domain 2),
# which checks the script itself on a host without af_toy.ko.
#
# No fixed sleeps: every wait is a bounded loop of short polls for a
# condition (a listener in /proc/net/..., a process's exit).

set -u

MODE=${SOCAT_TEST_FAMILY:-toy}
WAIT_S=10
SIZE=1048576

. "$(dirname "$(readlink -f "$0")")/tap.sh"

T1="socat stream: 1 MiB file from the connect side to the listen side"
T2="socat stream: 1 MiB file from the listen side to the connect side"
T3="socat stream: a forking server answers three clients in turn (half-close)"

echo "TAP version 13"
echo "1..3"

finish() {
	tap_totals
	[ "$fail" -eq 0 ]
	exit $?
}

skip_all() {
	diag "$1"
	skip_t "$T1" "$1"
	skip_t "$T2" "$1"
	skip_t "$T3" "$1"
	finish
}

if ! command -v socat >/dev/null 2>&1; then
	skip_all "socat is not installed"
fi

# Can a stream socket of family $FAM be created?  (Without python3 we cannot
# tell; then the tests run and say what fails.)
stream_supported() {
	command -v python3 >/dev/null 2>&1 || return 0
	python3 -c "import socket; socket.socket($FAM, socket.SOCK_STREAM, 0)" 2>/dev/null
}

case $MODE in
toy)
	if [ ! -r /sys/module/af_toy/parameters/family ]; then
		skip_all "af_toy.ko is not loaded"
	fi
	FAM=$(cat /sys/module/af_toy/parameters/family)
	PROC=/proc/net/toy
	LOOPBACK_PROC=7F000001		# /proc/net/toy: host order
	if ! stream_supported; then
		skip_all "af_toy.ko has no stream sockets (socket($FAM, SOCK_STREAM, 0) fails)"
	fi
	;;
inet)
	FAM=2
	PROC=/proc/net/tcp
	LOOPBACK_PROC=0100007F		# /proc/net/tcp: raw be32 on x86
	;;
*)
	echo "Bail out! unknown SOCAT_TEST_FAMILY=$MODE"
	exit 1
	;;
esac
diag "socat $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p'), domain $FAM ($MODE)"

tap_scratch socat_stream_test

# hexaddr PORT -> the generic socat address of 127.0.0.1:PORT
hexaddr() {
	printf 'x%04x7f0000010000000000000000' "$1"
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

# a socket listens on 127.0.0.1:PORT (state 0A in /proc/net/{toy,tcp})
is_listening() {
	grep -qE "^ *[0-9]+: $LOOPBACK_PROC:$(printf '%04X' "$1") 00000000:0000 0A " "$PROC"
}

# any socket uses local port PORT
port_used() {
	grep -qE "^ *[0-9]+: [0-9A-F]{8}:$(printf '%04X' "$1") " "$PROC"
}

proc_gone() {
	! kill -0 "$1" 2>/dev/null
}

# a port that nothing uses
pick_port() {
	local p=$((20000 + (RANDOM % 10000)))

	while port_used "$p"; do
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

# wait for background pid $1 to exit by itself (bounded); its status in $RC
wait_exit() {
	RC=-1
	if ! wait_for proc_gone "$1"; then
		stop_bg "$1"
		return 1
	fi
	wait "$1"
	RC=$?
	return 0
}

# ---- 1: connect side -> listen side ----------------------------------------
t1() {
	local port addr rx

	port=$(pick_port)
	addr=$(hexaddr "$port")
	head -c $SIZE /dev/urandom >"$TMP/in1"
	start_bg timeout 60 socat -u "SOCKET-LISTEN:$FAM:0:$addr" \
		"OPEN:$TMP/out1,creat,trunc" 2>"$TMP/err1"
	rx=$BG
	if ! wait_for is_listening "$port"; then
		diag "listener never appeared on port $port: $(cat "$TMP/err1")"
		stop_bg $rx
		return 1
	fi
	if ! timeout 60 socat -u "OPEN:$TMP/in1" \
		"SOCKET-CONNECT:$FAM:0:$addr" 2>"$TMP/err1c"; then
		diag "connect side failed: $(cat "$TMP/err1c")"
		stop_bg $rx
		return 1
	fi
	if ! wait_exit $rx; then
		diag "listen side did not exit after EOF: $(cat "$TMP/err1")"
		return 1
	fi
	if [ "$RC" -ne 0 ]; then
		diag "listen side exited $RC: $(cat "$TMP/err1")"
		return 1
	fi
	if ! cmp "$TMP/in1" "$TMP/out1"; then
		diag "received $(stat -c %s "$TMP/out1") of $SIZE bytes"
		return 1
	fi
	return 0
}

# ---- 2: listen side -> connect side ----------------------------------------
t2() {
	local port addr tx

	port=$(pick_port)
	addr=$(hexaddr "$port")
	head -c $SIZE /dev/urandom >"$TMP/in2"
	start_bg timeout 60 socat -u "OPEN:$TMP/in2" \
		"SOCKET-LISTEN:$FAM:0:$addr" 2>"$TMP/err2"
	tx=$BG
	if ! wait_for is_listening "$port"; then
		diag "listener never appeared on port $port: $(cat "$TMP/err2")"
		stop_bg $tx
		return 1
	fi
	if ! timeout 60 socat -u "SOCKET-CONNECT:$FAM:0:$addr" \
		"OPEN:$TMP/out2,creat,trunc" 2>"$TMP/err2c"; then
		diag "connect side failed: $(cat "$TMP/err2c")"
		stop_bg $tx
		return 1
	fi
	if ! wait_exit $tx; then
		diag "listen side did not exit: $(cat "$TMP/err2")"
		return 1
	fi
	if [ "$RC" -ne 0 ]; then
		diag "listen side exited $RC: $(cat "$TMP/err2")"
		return 1
	fi
	if ! cmp "$TMP/in2" "$TMP/out2"; then
		diag "received $(stat -c %s "$TMP/out2") of $SIZE bytes"
		return 1
	fi
	return 0
}

# ---- 3: a forking server, request / reply over a half-closed connection ----
t3() {
	local port addr srv i reply

	port=$(pick_port)
	addr=$(hexaddr "$port")
	# -t: after the request's EOF, wait for tr's answer (default 0.5 s)
	start_bg timeout 120 socat -t $WAIT_S "SOCKET-LISTEN:$FAM:0:$addr,fork" \
		"SYSTEM:tr a-z A-Z" 2>"$TMP/err3"
	srv=$BG
	if ! wait_for is_listening "$port"; then
		diag "server never listened on port $port: $(cat "$TMP/err3")"
		stop_bg $srv
		return 1
	fi
	for i in 1 2 3; do
		# stdin's EOF is a shutdown(SHUT_WR); -t waits for the reply
		reply=$(echo "hello toy $i" | timeout 30 socat -t $WAIT_S - \
			"SOCKET-CONNECT:$FAM:0:$addr" 2>"$TMP/err3c")
		if [ "$reply" != "HELLO TOY $i" ]; then
			diag "client $i: reply '$reply'; client: $(cat "$TMP/err3c"); server: $(cat "$TMP/err3")"
			stop_bg $srv
			return 1
		fi
	done
	stop_bg $srv
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

run t1 "$T1"
run t2 "$T2"
run t3 "$T3"

finish
