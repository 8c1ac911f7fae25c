#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# userns_test.sh - AF_TOY for an unprivileged user in a user namespace.
#
# Usage (in the VM, as root, af_toy.ko loaded; scripts/guest/run-in-guest.sh
# runs it):
#   tests/userns_test.sh
#
# An unprivileged user (nobody, 65534) runs "unshare -Urn": a new user
# namespace where it is root, owning a new network namespace.  There it
# must have its own toy0, be able to configure it with stock tools (ip
# link set mtu, tc qdisc netem), bind a port below 1024 (the module checks
# CAP_NET_BIND_SERVICE in the socket's namespace), and exchange datagrams
# over AF_TOY (unmodified socat, family number from sysfs), and make toy
# links and set the node address with ip.  Control
# checks show the same user without the namespace is refused, and that
# nothing leaks into the initial namespace's toy0.
#
# The command prefixes come from scripts/guest/run-in-guest.sh (TOY_UNPRIV,
# TOY_USERNS); run alone, this script sets the same defaults.
#
# Output is TAP plus a kselftest-style "# Totals:" line.  No fixed sleeps:
# every wait is a bounded loop of short polls for a condition.

# The tests are functions called through run(): not unreachable.
# shellcheck disable=SC2317
set -u

SOCK_DGRAM=2
WAIT_S=60	# socat start-up from 9p in a starved TCG guest has taken 10+ s
NOBODY=65534
TOY_UNPRIV=${TOY_UNPRIV:-"setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups"}
TOY_USERNS=${TOY_USERNS:-"$TOY_UNPRIV unshare --user --map-root-user --net"}

. "$(dirname "$(readlink -f "$0")")/tap.sh"

NAMES=(
	"nobody creates a user and network namespace (unshare -Urn), root there"
	"the new network namespace has its own toy0"
	"nobody without the namespace may not set toy0's mtu (control)"
	"ip link set toy0 mtu 1000 in the namespace; the initial toy0 unchanged"
	"tc qdisc add dev toy0 root netem loss 1% in the namespace"
	"AF_TOY datagram request and reply in the namespace (socat)"
	"port 7 (< 1024) binds in the namespace; refused to nobody outside"
	"a toy link pair and a node address in the namespace (ip); refused to nobody outside"
)

echo "TAP version 13"
echo "1..${#NAMES[@]}"

finish() {
	tap_totals
	[ "$fail" -eq 0 ]
	exit $?
}

skip_all() {
	local n

	diag "$1"
	for n in "${NAMES[@]}"; do
		skip_t "$n" "$1"
	done
	finish
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root (to become nobody with setpriv)"
for c in setpriv unshare ip tc socat; do
	command -v $c >/dev/null 2>&1 || skip_all "$c is not installed"
done
[ -r /sys/module/af_toy/parameters/family ] || skip_all "af_toy.ko is not loaded"
FAM=$(cat /sys/module/af_toy/parameters/family)
diag "family $FAM; prefix: $TOY_USERNS"

# Debian kernels can forbid unprivileged user namespaces with this sysctl
# (1, allowed, is Debian's default); say so if it is off.
if [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null)" = 0 ]; then
	diag "kernel.unprivileged_userns_clone is 0: unprivileged user namespaces are off"
fi

# sch_netem is a module on the stock kernels (built in on the debug
# kernel); an unprivileged user cannot load it, so load it now.
modprobe -q sch_netem 2>/dev/null

# nobody must be able to write the scratch files
tap_scratch userns_test
chown "$NOBODY:$NOBODY" "$TMP"

# in_userns SCRIPT [ARG...]: run the sh SCRIPT as nobody, root in a new
# user and network namespace; its output goes to $TMP/out, errors to
# $TMP/err.  The script gets $TMP as TMP and the family as FAM.
in_userns() {
	local script=$1

	shift
	# shellcheck disable=SC2086 # TOY_USERNS is a command prefix
	TMP=$TMP FAM=$FAM timeout 300 $TOY_USERNS sh -c "$script" sh "$@" \
		>"$TMP/out" 2>"$TMP/err" </dev/null
}

# the initial namespace's toy0 mtu
init_mtu() {
	ip -o link show toy0 | sed -n 's/.* mtu \([0-9]*\).*/\1/p'
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

# ---- 1: the namespace itself ------------------------------------------------
t1() {
	if ! in_userns 'id -u; cat /proc/self/uid_map'; then
		diag "unshare failed: $(cat "$TMP/err")"
		return 1
	fi
	# root (0) inside, mapped to nobody outside: "0 65534 1"
	if [ "$(head -n 1 "$TMP/out")" != 0 ] ||
		! sed -n 2p "$TMP/out" | grep -qE "^ *0 +$NOBODY +1$"; then
		diag "inside: $(tr '\n' ' ' <"$TMP/out")"
		return 1
	fi
	return 0
}

# ---- 2: its own toy0 --------------------------------------------------------
t2() {
	local mine

	mine=$(readlink /proc/self/ns/net)
	if ! in_userns 'readlink /proc/self/ns/net; ip -o link show toy0'; then
		diag "ip link show toy0 failed: $(cat "$TMP/err")"
		return 1
	fi
	if [ "$(head -n 1 "$TMP/out")" = "$mine" ]; then
		diag "the namespace is the initial one ($mine)"
		return 1
	fi
	grep -q ': toy0: ' "$TMP/out" || { diag "no toy0: $(cat "$TMP/out")"; return 1; }
}

# ---- 3: control: nobody has no say over the initial toy0 -------------------
t3() {
	local before after rc

	before=$(init_mtu)
	# shellcheck disable=SC2086 # TOY_UNPRIV is a command prefix
	timeout 60 $TOY_UNPRIV ip link set toy0 mtu 1000 2>"$TMP/err"
	rc=$?
	after=$(init_mtu)
	if [ "$after" != "$before" ]; then
		ip link set toy0 mtu "$before"
		diag "nobody changed the initial toy0's mtu: $before -> $after"
		return 1
	fi
	if [ "$rc" -eq 0 ] || ! grep -q 'Operation not permitted' "$TMP/err"; then
		diag "expected EPERM, got status $rc: $(cat "$TMP/err")"
		return 1
	fi
	return 0
}

# ---- 4: ip link set mtu in the namespace -----------------------------------
t4() {
	local before after

	before=$(init_mtu)
	if ! in_userns 'ip link set toy0 mtu 1000 && ip -o link show toy0'; then
		diag "ip link set toy0 mtu 1000 failed: $(cat "$TMP/err")"
		return 1
	fi
	grep -q ' mtu 1000 ' "$TMP/out" || { diag "inside: $(cat "$TMP/out")"; return 1; }
	after=$(init_mtu)
	[ "$after" = "$before" ] || { diag "initial toy0 mtu $before -> $after"; return 1; }
}

# ---- 5: tc netem in the namespace ------------------------------------------
t5() {
	if ! in_userns 'tc qdisc add dev toy0 root netem loss 1% &&
			tc qdisc show dev toy0'; then
		diag "tc qdisc add ... netem failed: $(cat "$TMP/err")"
		return 1
	fi
	grep -q 'qdisc netem .*loss 1%' "$TMP/out" || { diag "inside: $(cat "$TMP/out")"; return 1; }
	if tc qdisc show dev toy0 | grep -q netem; then
		diag "netem appeared on the initial toy0"
		return 1
	fi
	return 0
}

# The script run in the namespace for tests 6 and 7 (sh; TMP and FAM in the
# environment; $1 = port): a socat server that answers each request with
# it upper-cased, a client that sends one and keeps the reply in
# $TMP/reply.  The waits are bounded polls of /proc/net/toy, which shows
# this namespace's sockets.
# shellcheck disable=SC2016 # expanded by the inner sh
ROUND_TRIP='
port=$1
addr=$(printf "x%04xx7f000001x0000000000000000" "$port")
bound=" 7F000001:$(printf %04X "$port") "
timeout 300 socat "SOCKET-RECVFROM:$FAM:'$SOCK_DGRAM':0:$addr,fork" \
	"SYSTEM:read -r line; echo \"\$line\" | tr a-z A-Z" 2>"$TMP/srv.err" &
srv=$!
i=0
until grep -q "$bound" /proc/net/toy; do
	i=$((i + 1))
	if [ $i -gt $((WAIT_S * 50)) ] || ! kill -0 $srv 2>/dev/null; then
		echo "the server never bound port $port: $(cat "$TMP/srv.err")" >&2
		kill $srv 2>/dev/null
		exit 1
	fi
	sleep 0.02
done
timeout 120 socat "SOCKET-SENDTO:$FAM:'$SOCK_DGRAM':0:$addr" \
	"SYSTEM:echo hello userns; read -r reply; echo \"\$reply\" >$TMP/reply" \
	2>"$TMP/cli.err"
rc=$?
kill $srv 2>/dev/null
wait $srv 2>/dev/null
[ $rc -eq 0 ] || echo "client failed ($rc): $(cat "$TMP/cli.err")" >&2
exit $rc
'

# ---- 6: a datagram round trip in the namespace -----------------------------
t6() {
	rm -f "$TMP/reply"
	if ! in_userns "WAIT_S=$WAIT_S; $ROUND_TRIP" 20007; then
		diag "$(cat "$TMP/err")"
		return 1
	fi
	if [ "$(cat "$TMP/reply" 2>/dev/null)" != "HELLO USERNS" ]; then
		diag "reply: '$(cat "$TMP/reply" 2>/dev/null)'; $(cat "$TMP/srv.err" "$TMP/cli.err" 2>/dev/null)"
		return 1
	fi
	return 0
}

# ---- 7: privileged port: the namespace's root may, nobody outside may not --
t7() {
	local addr rc

	addr=$(printf 'x%04xx7f000001x0000000000000000' 7)
	# shellcheck disable=SC2086 # TOY_UNPRIV is a command prefix
	timeout 60 $TOY_UNPRIV socat -u "SOCKET-RECV:$FAM:$SOCK_DGRAM:0:$addr" - \
		</dev/null >/dev/null 2>"$TMP/err"
	rc=$?
	if [ "$rc" -eq 0 ] || ! grep -q 'Permission denied' "$TMP/err"; then
		diag "nobody binding port 7: expected EACCES, got status $rc: $(cat "$TMP/err")"
		return 1
	fi
	rm -f "$TMP/reply"
	if ! in_userns "WAIT_S=$WAIT_S; $ROUND_TRIP" 7; then
		diag "$(cat "$TMP/err")"
		return 1
	fi
	[ "$(cat "$TMP/reply" 2>/dev/null)" = "HELLO USERNS" ] ||
		{ diag "reply on port 7: '$(cat "$TMP/reply" 2>/dev/null)'"; return 1; }
}

# ---- 8: links and addresses: rtnetlink's own CAP_NET_ADMIN check ----------
t8() {
	local rc

	# shellcheck disable=SC2086 # TOY_UNPRIV is a command prefix
	timeout 60 $TOY_UNPRIV ip link add tu1 type toy 2>"$TMP/err"
	rc=$?
	if ip link show tu1 >/dev/null 2>&1; then
		ip link del tu1
		diag "nobody made a toy link in the initial namespace"
		return 1
	fi
	if [ "$rc" -eq 0 ] || ! grep -q 'Operation not permitted' "$TMP/err"; then
		diag "nobody: ip link add tu1 type toy: expected EPERM, got status $rc: $(cat "$TMP/err")"
		return 1
	fi
	# shellcheck disable=SC2086
	timeout 60 $TOY_UNPRIV ip link set toy0 address 10.0.0.9 2>"$TMP/err"
	rc=$?
	if [ "$rc" -eq 0 ] || ! grep -q 'Operation not permitted' "$TMP/err"; then
		diag "nobody: ip link set toy0 address: expected EPERM, got status $rc: $(cat "$TMP/err")"
		return 1
	fi
	if ! in_userns 'ip link add tu1 type toy && ip link add tu2 link tu1 type toy &&
			ip link set toy0 address 10.0.0.1 && ip -o link show'; then
		diag "in the namespace: $(cat "$TMP/err")"
		return 1
	fi
	grep -q ': tu2@tu1: ' "$TMP/out" ||
		{ diag "no tu2@tu1: $(cat "$TMP/out")"; return 1; }
	grep -q 'toy0: .*link/[a-z]* 0a:00:00:01' "$TMP/out" ||
		{ diag "toy0's address: $(grep toy0 "$TMP/out")"; return 1; }
}

run t1 "${NAMES[0]}"
run t2 "${NAMES[1]}"
run t3 "${NAMES[2]}"
run t4 "${NAMES[3]}"
run t5 "${NAMES[4]}"
run t6 "${NAMES[5]}"
run t7 "${NAMES[6]}"
run t8 "${NAMES[7]}"

finish
