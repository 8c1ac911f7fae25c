#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# link_test.sh - toy links: cables between network namespaces, made with
# Debian's stock iproute2, and AF_TOY traffic between the nodes at their
# ends:
#
#     ip netns add n1; ip netns add n2
#     ip -n n1 link add t12 type toy                    # a lone end
#     ip -n n1 link add t21 netns n2 link t12 type toy  # its peer, in n2
#     ip -n n1 link set toy0 address 10.0.0.1           # node addresses
#     ip -n n2 link set toy0 address 10.0.0.2
#     ip -n n1 link set t12 up; ip -n n2 link set t21 up
#
# What is checked, each one TAP test, in this order:
#   - the links: a lone end is NO-CARRIER; its peer, made in another
#     namespace with "link t12", is paired (t21@..., MTU 1500); carrier
#     only while both ends are up; the errors of a bad pairing (a paired
#     end: EBUSY; not a toy link: EINVAL), of "address" on a link (EINVAL
#     when it is made, EOPNOTSUPP later)
#     and of a reserved toy0 address (EADDRNOTAVAIL: loopback, broadcast),
#     each as an errno (the same RTM_NEWLINK sent from python3: ip hides
#     the errno when the kernel words the error itself) and as ip prints
#     it, and that nothing was made or changed; 0.0.0.0 removes a node's
#     address (README, toy.7), and a node without one is ENETUNREACH;
#   - traffic across: a datagram echo through unmodified socat, the
#     neighbour entries REACHABLE in /proc/net/toy_neigh, the frames seen
#     by tcpdump -i t12, datagrams both ways, stream and seqpacket
#     transfers with every byte checked (toy_xfer -A/-C/-D), with TCP over
#     a veth pair between the same namespaces as the oracle of the tool;
#   - the errors: EMSGSIZE above the link's MTU - 32, EHOSTUNREACH for a
#     node nobody answers (a datagram's next sendto once the entry is
#     FAILED, and a stream connect), ENETUNREACH without a node address,
#     and the Neigh* counters of /proc/net/toy_snmp; a broadcast reaches
#     the bound socket on each side exactly once;
#   - a bad cable: pulled (ip link set down) for 2 s in the middle of a
#     stream transfer, netem loss 10% on both ends (TCP over the veth
#     pair under the same loss as the oracle), and netem_test.sh's mixed
#     profile (loss, duplication, delay, reordering, corruption) on both
#     ends for a stream and a seqpacket transfer, loss 30% on both ends,
#     jitter and a rate limit: every byte must arrive;
#   - the cable's life: deleting one end leaves the other NO-CARRIER, a
#     lone end pairs again, an end moved to a third namespace stays paired
#     and carries a stream, and deleting that namespace while a stream
#     crosses ends the surviving side's transfer with an error (not a
#     hang) and leaves t12 NO-CARRIER;
#   - rmmod af_toy while links exist: the module unloads (links hold no
#     reference on it), rtnl_link_unregister() deletes every link, and
#     the module loads again ($TOY_KO, with the family it had);
#   - no BUG, WARNING or Oops in the kernel log (vm.sh checks it again).
# The TCP oracle skips on a kernel without veth (the debug kernel).
#
# A namespace whose sockets are still open is not destroyed by "ip netns
# del" (a socket holds its namespace; "del" only removes the name), so the
# namespace test also kills the process whose socket is in it (SIGKILL),
# which is how a namespace really goes away under a live connection.
#
# Environment:
#   LINK_MIB        MiB each way per transfer (default 4)
#   LINK_PULL_MIB   MiB each way for the cable-pulled transfer (default 32:
#                   it must still be running when the cable is pulled)
#   LINK_TIMEOUT    limit per transfer in seconds (default 300: ten times
#                   what a starved TCG guest has needed)
#   LINK_MIXED_MIB  MiB each way through the mixed profile (default 1)
#   LINK_LOSS30_MIB MiB each way through loss 30% (default 0.25; see t_loss30)
#   LINK_BAD_TIMEOUT  limit of those two transfers in seconds (default 600)
#   LINK_SKIP_PULL  1: skip the cable-pulled transfer
#
# Output is TAP plus a kselftest-style "# Totals:" line.  Runs as root in
# the VM (it makes namespaces and links); skips, with the reason, when
# af_toy.ko is not loaded, "ip link add ... type toy" is not supported,
# or a tool is missing.  Namespaces are named after the suite's pid and
# deleted on exit however it ends.
#
# No fixed sleeps: every wait is a bounded loop of short pauses until a
# condition holds (a socket bound, a state in /proc, a byte count, a
# process gone); the cable stays out for 2 s by a bounded loop of short
# pauses, the one wait that is a duration by design.

set -u

DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
XFER=$DIR/toy_xfer
MIB=${LINK_MIB:-4}
PULL_MIB=${LINK_PULL_MIB:-32}
MIXED_MIB=${LINK_MIXED_MIB:-1}
LOSS30_MIB=${LINK_LOSS30_MIB:-0.25}
BAD_T=${LINK_BAD_TIMEOUT:-600}
SHRINK_MTU=600
XT=${LINK_TIMEOUT:-300}
WAIT_S=60	# bound of a wait for an event (socat start-up from 9p takes 10+ s)

N1=toylink1_$$
N2=toylink2_$$
N3=toylink3_$$
P1=/run/netns/$N1
P2=/run/netns/$N2
P3=/run/netns/$N3
A1=10.0.0.1
A2=10.0.0.2
A3=10.0.0.3
NOBODY_DG=10.0.0.99	# addresses no node has
NOBODY_ST=10.0.0.98
V1=192.168.251.1	# the veth pair of the TCP oracle
V2=192.168.251.2
MTU=1500
MAXDG=$((MTU - 32))

# What ip prints for each refusal.  When the kernel words an error itself
# (an extended ack), ip prints "Error: <its words>." and not the errno, so
# each errno is also checked on its own (toy_nl below).
IP_EBUSY="Error: that toy link is already plugged in."
IP_NOTTOY="Error: a toy link can only be plugged into another toy link."
IP_NODEV="Error: no such device to plug into."
IP_ADDR_ADD="Error: toy links are unnumbered: set the node address on toy0."
IP_ADDR_SET="RTNETLINK answers: Operation not supported"
IP_RESERVED="RTNETLINK answers: Cannot assign requested address"

. "$DIR/tap.sh"
T0=$SECONDS

# ---- the tests' names, in order (for a skip) -----------------------------------

TN_CREATE="link: a lone toy link (t12 in n1) is created and shows NO-CARRIER when up"
TN_PAIR="link: the other end made in n2 with 'link t12' is paired (t21@..., MTU $MTU)"
TN_CARRIER="link: carrier only while both ends are up (NO-CARRIER, then LOWER_UP on both)"
TN_EBUSY="pairing error: 'link' naming a paired end (t12, t21) is EBUSY, and nothing is made"
TN_EBUSY_IP="pairing error, as ip prints it: $IP_EBUSY"
TN_EINVAL="pairing error: 'link lo', not a toy link, is EINVAL, and nothing is made"
TN_EINVAL_IP="pairing error, as ip prints it: $IP_NOTTOY"
TN_ENODEV_IP="pairing error: 'link if99999' (ip's spelling of an ifindex) names no device: $IP_NODEV"
TN_ADDR_ADD="link address: 'address 10.9.9.9' when making a toy link is EINVAL, and nothing is made"
TN_ADDR_ADD_IP="link address, as 'ip link add t19 address 10.9.9.9 type toy' prints it: $IP_ADDR_ADD"
TN_ADDR_SET="link address: setting t12's address later is EOPNOTSUPP (links have none to set)"
TN_ADDR_SET_IP="link address, as 'ip link set t12 address 10.9.9.9' prints it: $IP_ADDR_SET"
TN_TOY0="toy0 address: $A1 in n1 and $A2 in n2, as ip link show toy0 shows them"
TN_RESERVED="toy0 address: 127.0.0.1, 127.9.9.9, 255.255.255.255 are EADDRNOTAVAIL, the address is kept"
TN_RESERVED_IP="toy0 address, as ip prints it: $IP_RESERVED"
TN_ZERO="toy0 address: 0.0.0.0 removes it (a send to $A2 is then ENETUNREACH), and it can be set again"
TN_KEEP="toy0 address: a socket bound to $A1 keeps that address when the node's changes (as IPv4's do)"
TN_ECHO="datagram echo across the link: socat in n1 asks $A2, socat in n2 answers"
TN_NEIGH="neighbour: $A2 REACHABLE on t12 in n1's /proc/net/toy_neigh, $A1 on t21 in n2's"
TN_TCPDUMP="tcpdump -i t12 in n1 captures the frames of datagrams across the link"
TN_DG12="datagrams n1 -> n2: 300 x 1000 bytes, each delivered once (toy_xfer -t dgram)"
TN_DG21="datagrams n2 -> n1: 300 x 1000 bytes, each delivered once (toy_xfer -t dgram)"
TN_STREAM="stream across the link: $MIB MiB each way, every byte once and in order (toy_xfer)"
TN_SEQ="seqpacket across the link: $MIB MiB each way, records of at most $MAXDG bytes (MTU - 32), one more is EMSGSIZE"
TN_TCP="TCP over a veth pair between n1 and n2: $MIB MiB each way (the oracle of toy_xfer -A/-C/-D)"
TN_EMSGSIZE="EMSGSIZE: a $((MAXDG + 1))-byte datagram to $A2 is refused (Message too long), a $MAXDG-byte one arrives intact"
TN_BCAST="broadcast from n1 to 255.255.255.255: the bound socket in n1 and the one in n2 each get it exactly once"
TN_UNREACH_DG="EHOSTUNREACH: a datagram to $NOBODY_DG is accepted, the entry turns FAILED, the next sendto fails (No route to host)"
TN_UNREACH_ST="EHOSTUNREACH: a stream connect to $NOBODY_ST fails with No route to host within 100 s"
TN_SNMP="toy_snmp: the Neigh* counters count requests, replies and the failed resolution"
TN_NETUNREACH="ENETUNREACH: sendto $A2 from n3, which has no node address: Network is unreachable"
TN_PULL="cable pulled: t12 down for 2 s in the middle of a $PULL_MIB MiB stream transfer, then up: every byte arrives"
TN_FLUSH="neighbour: the entries on t12 are flushed when it goes down"
TN_SHRINK="MTU shrunk: both ends to $SHRINK_MTU in the middle of a $PULL_MIB MiB stream transfer: queued and resent segments are cut to fit, every byte arrives"
MIXED_NAME="loss 10% duplicate 5% delay 1ms reorder 25% corrupt 1%"
TN_NETEM="netem loss 10% on both link ends: stream $MIB MiB each way, every byte once and in order"
TN_MIXED_ST="netem $MIXED_NAME on both link ends: stream $MIXED_MIB MiB each way, every byte once and in order"
TN_MIXED_SEQ="netem $MIXED_NAME on both link ends: seqpacket $MIXED_MIB MiB each way, every record once and in order"
TN_LOSS30="netem loss 30% on both link ends: stream $LOSS30_MIB MiB each way, every byte once and in order"
TN_JITTER="netem delay 20ms 10ms on both link ends (jitter reorders): stream $MIB MiB each way, every byte once and in order"
TN_RATE="netem rate 100mbit on both link ends: stream $MIB MiB each way, every byte once and in order"
TN_TCPLOSS="TCP over the veth pair with netem loss 10% on both ends: $MIB MiB each way (oracle)"
TN_DELEND="delete one end (t21 in n2): t12 shows NO-CARRIER"
TN_REPAIR="a lone end pairs again: t21 made in n2 with 'link t12', both up: LOWER_UP"
TN_MOVE="move an end: t21 moved to n3 stays paired; a stream n1 <-> n3 ($A3) carries every byte"
TN_DELNS="delete n3 while a stream crosses the link: n1's side ends with an error, not a hang"
TN_DELNS_CARRIER="n3 gone: its link end went with it, t12 shows NO-CARRIER"
TN_RMMOD="rmmod af_toy with links in two namespaces: it unloads, every toy link is gone, and it loads again"
TN_DMESG="kernel log: no BUG, WARNING or Oops during the suite"

ALL_TN=(TN_CREATE TN_PAIR TN_CARRIER TN_EBUSY TN_EBUSY_IP TN_EINVAL
	TN_EINVAL_IP TN_ENODEV_IP TN_ADDR_ADD TN_ADDR_ADD_IP TN_ADDR_SET TN_ADDR_SET_IP
	TN_TOY0 TN_RESERVED TN_RESERVED_IP TN_ZERO TN_KEEP TN_ECHO TN_NEIGH TN_TCPDUMP TN_DG12 TN_DG21
	TN_STREAM TN_SEQ TN_TCP TN_EMSGSIZE TN_BCAST TN_UNREACH_DG
	TN_UNREACH_ST TN_SNMP TN_NETUNREACH TN_PULL TN_FLUSH TN_SHRINK TN_NETEM
	TN_MIXED_ST TN_MIXED_SEQ TN_LOSS30 TN_JITTER TN_RATE TN_TCPLOSS TN_DELEND TN_REPAIR TN_MOVE TN_DELNS TN_DELNS_CARRIER
	TN_RMMOD TN_DMESG)

echo "TAP version 13"
echo "1..${#ALL_TN[@]}"

finish() {
	diag "link_test.sh took $((SECONDS - T0)) s"
	tap_totals
	[ "$fail" -eq 0 ]
	exit $?
}

skip_all() {
	local v

	diag "$1"
	for v in "${ALL_TN[@]}"; do
		skip_t "${!v}" "$1"
	done
	finish
}

if [ ! -x "$XFER" ]; then
	echo "Bail out! $XFER is not built (make -C tests)"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi
[ "$(id -u)" = 0 ] || skip_all "not root (the suite makes namespaces and links)"
for c in ip tc nsenter socat tcpdump timeout python3; do
	command -v $c >/dev/null 2>&1 || skip_all "$c is not installed"
done
[ -d /sys/module/af_toy ] || skip_all "af_toy.ko is not loaded"
FAM=$(cat /sys/module/af_toy/parameters/family)
SOCK_DGRAM=2

# ---- cleanup ----------------------------------------------------------------------

tap_scratch link_test
cleanup() {
	local n

	tap_cleanup
	for n in "$N1" "$N2" "$N3"; do
		ip netns del "$n" 2>/dev/null
	done
}
trap cleanup EXIT

# ---- helpers ------------------------------------------------------------------------

check() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; }

# run FUNC NAME: one test, its time as a diagnostic.  FUNC returns 0
# (pass), 77 (skip: $SKIP_WHY says why) or anything else (fail).
run() {
	local t=$1 start=$SECONDS rc

	shift
	SKIP_WHY=
	$t
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$*"
	elif [ $rc -eq 77 ]; then
		skip_t "$*" "$SKIP_WHY"
	else
		not_ok "$*"
	fi
	diag "$t took $((SECONDS - start)) s"
}

# inns NS CMD...: CMD in namespace NS (its network namespace only)
inns() {
	local ns=$1

	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# wait_for SECONDS CMD...: until CMD succeeds, at most SECONDS
wait_for() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.05
	done
	return 0
}

# flags NS DEV: the <...> flags of DEV, e.g. "NO-CARRIER,BROADCAST,NOARP,UP"
flags() {
	ip -n "$1" -o link show dev "$2" 2>/dev/null | sed -n 's/^[^<]*<\([^>]*\)>.*/\1/p'
}

has_flag() {	# has_flag NS DEV FLAG
	case ",$(flags "$1" "$2")," in
	*",$3,"*) return 0 ;;
	esac
	return 1
}

no_carrier() { has_flag "$1" "$2" UP && has_flag "$1" "$2" NO-CARRIER; }
carrier() { has_flag "$1" "$2" LOWER_UP && ! has_flag "$1" "$2" NO-CARRIER; }
dev_exists() { ip -n "$1" link show dev "$2" >/dev/null 2>&1; }
link_mtu() { ip -n "$1" -o link show dev "$2" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'; }

show_link() {	# show_link NS DEV: the ip link line as a diagnostic
	diag "$1: $(ip -n "$1" -o link show dev "$2" 2>&1)"
}

# expect_err WANT CMD...: CMD must fail, its output being exactly WANT
expect_err() {
	local want=$1 out rc

	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] || [ "$out" != "$want" ]; then
		diag "$*: exit $rc, said '$out', expected '$want'"
		return 1
	fi
	return 0
}

# toy_nl NS add NAME [link DEV] [address A.B.C.D]
# toy_nl NS set DEV address A.B.C.D
# The RTM_NEWLINK that "ip link add NAME [link DEV] [address A] type toy"
# or "ip link set DEV address A" sends, from python3 over rtnetlink, and
# the answer: OK or the errno's name (EBUSY, ...).  ip prints the errno
# only when the kernel gives no message of its own (extended ack), so
# the errno is checked here and ip's words separately.
read -r -d '' NL_PY <<'EOF'
import errno, socket, struct, sys

def attr(t, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, t) + data + b"\0" * ((4 - n % 4) % 4)

op, name, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
opts = dict(zip(rest[::2], rest[1::2]))
flags = 0x1 | 0x4                                       # REQUEST | ACK
attrs = b""
index = 0
if op == "add":
    flags |= 0x400 | 0x200                              # CREATE | EXCL
    attrs += attr(3, name.encode() + b"\0")             # IFLA_IFNAME
    attrs += attr(18, attr(1, b"toy\0"))                # IFLA_LINKINFO: KIND
    if "link" in opts:                                  # IFLA_LINK
        attrs += attr(5, struct.pack("=I", socket.if_nametoindex(opts["link"])))
else:
    index = socket.if_nametoindex(name)
if "address" in opts:                                   # IFLA_ADDRESS
    attrs += attr(1, socket.inet_aton(opts["address"]))
body = struct.pack("=BxHiII", 0, 0, index, 0, 0) + attrs
msg = struct.pack("=LHHLL", 16 + len(body), 16, flags, 1, 0) + body  # RTM_NEWLINK
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.sendto(msg, (0, 0))
while True:
    r = s.recv(65536)
    if struct.unpack_from("=H", r, 4)[0] == 2:          # NLMSG_ERROR
        e = -struct.unpack_from("=i", r, 16)[0]
        names = dict(errno.errorcode)
        names[errno.EOPNOTSUPP] = "EOPNOTSUPP"          # not ENOTSUP
        print("OK" if e == 0 else names.get(e, str(e)))
        break
EOF

toy_nl() {
	local ns=$1

	shift
	inns "$ns" python3 -c "$NL_PY" "$@" 2>&1
}

# expect_errno WANT NS TOY_NL-ARGS...: the request fails with errno WANT
expect_errno() {
	local want=$1 got

	shift
	got=$(toy_nl "$@")
	if [ "$got" != "$want" ]; then
		diag "rtnetlink request '${*:2}' in ${1}: $got, expected $want"
		return 1
	fi
	return 0
}

# hexaddr A.B.C.D PORT: the socat generic address (port, address, zeros)
hexaddr() {
	local a b c d

	IFS=. read -r a b c d <<<"$1"
	printf 'x%04xx%02x%02x%02x%02xx0000000000000000' "$2" "$a" "$b" "$c" "$d"
}

# bound NS PORT TYPE: a socket of TYPE (DGRAM, STREAM) has local port PORT
bound() {
	inns "$1" cat /proc/net/toy 2>/dev/null |
		awk -v p="$(printf ':%04X' "$2")" -v t="$3" '
			NR > 1 && substr($2, length($2) - 4) == p && $9 == t { f = 1 }
			END { exit !f }'
}

# established NS: an ESTABLISHED stream socket in NS
established() {
	inns "$1" cat /proc/net/toy 2>/dev/null |
		awk 'NR > 1 && $9 == "STREAM" && $10 == "ESTABLISHED" { f = 1 }
		     END { exit !f }'
}

# neigh NS ADDR: "DEVICE STATE" of ADDR in NS's neighbour cache, or ""
neigh() {
	inns "$1" cat /proc/net/toy_neigh 2>/dev/null |
		awk -v a="$2" 'NR > 1 && $1 == a { print $2, $3; exit }'
}

neigh_is() {	# neigh_is NS ADDR "DEVICE STATE"
	[ "$(neigh "$1" "$2")" = "$3" ]
}

neigh_state_in() {	# neigh_state_in NS ADDR "STATE..."
	case " $3 " in
	*" $(neigh "$1" "$2" | awk '{ print $2 }') "*) return 0 ;;
	esac
	return 1
}

# no entry of NS's neighbour cache is on DEV
neigh_none_on() {
	! inns "$1" cat /proc/net/toy_neigh 2>/dev/null |
		awk -v d="$2" 'NR > 1 && $2 == d { f = 1 } END { exit !f }'
}

# snmp NS NAME: a counter of NS's /proc/net/toy_snmp, or ""
snmp() {
	inns "$1" cat /proc/net/toy_snmp 2>/dev/null | awk -v k="$2" '
		/^Toy:/ {
			if (!n) { for (i = 2; i <= NF; i++) name[i] = $i; n = 1 }
			else for (i = 2; i <= NF; i++) if (name[i] == k) print $i
		}'
}

# dev_stat NS DEV FIELD: a column of DEV's line in NS's /proc/net/dev
# (1: bytes received, 9: bytes sent), 0 if there is no such device
dev_stat() {
	inns "$1" cat /proc/net/dev 2>/dev/null | awk -v d="$2" -v c="$3" '
		{ sub(":", " "); $0 = $0 }
		$1 == d { print $(c + 1); f = 1 }
		END { if (!f) print 0 }'
}

tx_bytes() { dev_stat "$1" "$2" 9; }	# tx_bytes NS DEV
rx_bytes() { dev_stat "$1" "$2" 1; }	# rx_bytes NS DEV

tx_at_least() {	# tx_at_least NS DEV BYTES
	[ "$(tx_bytes "$1" "$2")" -ge "$3" ]
}

size_at_least() { [ -e "$1" ] && [ "$(stat -c %s "$1")" -ge "$2" ]; }
file_has() { grep -qx -- "$2" "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# kv KEY LINE: the value of KEY=... in a toy_xfer line
kv() {
	sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<" $2"
}

# start_bg CMD...: CMD in the background, its pid in $BG and $PIDS
start_bg() {
	"$@" &
	BG=$!
	PIDS="$PIDS $BG"
}

stop_bg() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# xfer ARGS...: toy_xfer with a time limit; sets LINE and RC
xfer() {
	LINE=$(timeout -k 10 $((XT + 30)) "$XFER" -T "$XT" -S 120 "$@" 2>"$TMP/xfer.err")
	RC=$?
	[ -s "$TMP/xfer.err" ] && sed 's/^/# stderr: /' "$TMP/xfer.err"
	[ -n "$LINE" ] || LINE="toy_xfer (no output, exit $RC) result=fail"
	diag "$LINE"
}

xfer_ok() {	# the last xfer passed
	[ "$RC" -eq 0 ] && [ "$(kv result "$LINE")" = pass ]
}

# the dgram xfer delivered every datagram exactly once
xfer_dg_ok() {
	xfer_ok && [ "$(kv ok "$LINE")" = "$(kv count "$LINE")" ] &&
		[ "$(kv missing "$LINE")" = 0 ] && [ "$(kv dup "$LINE")" = 0 ]
}

# (a bounded pause loop, for durations that are the point of a test)
pause_s() {
	local end

	end=$(awk -v t="$EPOCHREALTIME" -v d="$1" 'BEGIN { printf "%.3f", t + d }')
	while awk -v t="$EPOCHREALTIME" -v e="$end" 'BEGIN { exit !(t < e) }'; do
		sleep 0.1
	done
}

DMESG0=$(dmesg 2>/dev/null | wc -l)

# ---- setup: namespaces, and whether toy links exist at all -----------------------

for n in "$N1" "$N2" "$N3"; do
	if ! err=$(ip netns add "$n" 2>&1); then
		echo "Bail out! ip netns add $n: $err"
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
		exit 1
	fi
done
if ! err=$(ip -n "$N1" link add t12 type toy 2>&1); then
	case $err in
	*"Unknown device type"* | *"not supported"* | *"Not supported"*)
		skip_all "ip link add ... type toy is not supported by this af_toy.ko: $err" ;;
	esac
	diag "ip -n $N1 link add t12 type toy: $err"
fi
diag "namespaces $N1 (n1), $N2 (n2), $N3 (n3); socat domain $FAM"

# ---- the links ----------------------------------------------------------------------------

t_create() {
	dev_exists "$N1" t12 || return 1
	ip -n "$N1" link set t12 up || return 1
	if ! wait_for "$WAIT_S" no_carrier "$N1" t12; then
		show_link "$N1" t12
		return 1
	fi
	show_link "$N1" t12
	return 0
}

t_pair() {
	local err line mtu

	if ! err=$(ip -n "$N1" link add t21 netns "$N2" link t12 type toy 2>&1); then
		diag "ip -n n1 link add t21 netns n2 link t12 type toy: $err"
		return 1
	fi
	line=$(ip -n "$N2" -o link show dev t21 2>&1)
	diag "n2: $line"
	show_link "$N1" t12
	if dev_exists "$N1" t21; then
		diag "t21 was made in n1, not in n2"
		return 1
	fi
	case $line in
	*" t21@"*) ;;
	*) diag "t21 is not shown as t21@PEER"; return 1 ;;
	esac
	case $(ip -n "$N1" -o link show dev t12) in
	*" t12@"*) ;;
	*) diag "t12 is not shown as t12@PEER once paired"; return 1 ;;
	esac
	for mtu in "$(link_mtu "$N1" t12)" "$(link_mtu "$N2" t21)"; do
		if [ "$mtu" != "$MTU" ]; then
			diag "link MTU $mtu, expected $MTU"
			return 1
		fi
	done
	return 0
}

t_carrier() {
	local r=0

	# t12 is up, t21 down: no carrier on t12
	if has_flag "$N2" t21 UP; then
		diag "t21 is up before anyone set it up"
		r=1
	fi
	if ! no_carrier "$N1" t12; then
		diag "t12 has a carrier while t21 is down"
		r=1
	fi
	ip -n "$N2" link set t21 up || return 1
	if ! wait_for "$WAIT_S" carrier "$N1" t12 || ! wait_for "$WAIT_S" carrier "$N2" t21; then
		diag "no carrier on both ends within $WAIT_S s of both being up"
		r=1
	fi
	show_link "$N1" t12
	show_link "$N2" t21
	return $r
}

# not_made NS DEV: DEV does not exist (one that does is deleted)
not_made() {
	if dev_exists "$1" "$2"; then
		diag "$2 was made in spite of the error"
		ip -n "$1" link del "$2" 2>/dev/null
		return 1
	fi
	return 0
}

t_ebusy() {
	local r=0

	expect_errno EBUSY "$N1" add t13 link t12 || r=1
	not_made "$N1" t13 || r=1
	# nor from the other side
	expect_errno EBUSY "$N2" add t23 link t21 || r=1
	not_made "$N2" t23 || r=1
	return $r
}

t_ebusy_ip() {
	local r=0

	expect_err "$IP_EBUSY" \
		ip -n "$N1" link add t13 link t12 type toy || r=1
	not_made "$N1" t13 || r=1
	return $r
}

t_einval() {
	local r=0

	expect_errno EINVAL "$N1" add t14 link lo || r=1
	not_made "$N1" t14 || r=1
	return $r
}

t_einval_ip() {
	local r=0

	expect_err "$IP_NOTTOY" \
		ip -n "$N1" link add t14 link lo type toy || r=1
	not_made "$N1" t14 || r=1
	return $r
}

t_enodev_ip() {
	local r=0

	expect_err "$IP_NODEV" \
		ip -n "$N1" link add t15 link if99999 type toy || r=1
	not_made "$N1" t15 || r=1
	return $r
}

t_addr_add() {
	local r=0

	expect_errno EINVAL "$N1" add t19 address 10.9.9.9 || r=1
	not_made "$N1" t19 || r=1
	return $r
}

t_addr_add_ip() {
	local r=0

	expect_err "$IP_ADDR_ADD" \
		ip -n "$N1" link add t19 address 10.9.9.9 type toy || r=1
	not_made "$N1" t19 || r=1
	return $r
}

t_addr_set() {
	expect_errno EOPNOTSUPP "$N1" set t12 address 10.9.9.9
}

t_addr_set_ip() {
	expect_err "$IP_ADDR_SET" \
		ip -n "$N1" link set t12 address 10.9.9.9
}

# toy0_addr NS: toy0's address as ip shows it ("link/... ADDR brd ...")
toy0_addr() {
	ip -n "$1" -o link show dev toy0 | sed -n 's/.* link\/[a-z0-9]* \([^ ]*\).*/\1/p'
}

# addr_is NS A.B.C.D: toy0 shows that address (dotted or as hex bytes)
addr_is() {
	local a b c d hex

	IFS=. read -r a b c d <<<"$2"
	hex=$(printf '%02x:%02x:%02x:%02x' "$a" "$b" "$c" "$d")
	case $(toy0_addr "$1") in
	"$2" | "$hex") return 0 ;;
	esac
	return 1
}

t_toy0() {
	local err r=0

	if ! err=$(ip -n "$N1" link set toy0 address $A1 2>&1) ||
	   ! err=$(ip -n "$N2" link set toy0 address $A2 2>&1); then
		diag "ip link set toy0 address: $err"
		return 1
	fi
	diag "n1: toy0 $(toy0_addr "$N1"), n2: toy0 $(toy0_addr "$N2")"
	addr_is "$N1" $A1 || r=1
	addr_is "$N2" $A2 || r=1
	return $r
}

RESERVED="127.0.0.1 127.9.9.9 255.255.255.255"

# kept: n1's toy0 still has its address (else it is given back, so that
# one wrong answer does not fail every test after it)
kept() {
	addr_is "$N1" $A1 && return 0
	diag "toy0 of n1 is now $(toy0_addr "$N1"), not $A1: setting it again"
	ip -n "$N1" link set toy0 address $A1
	return 1
}

t_reserved() {
	local a r=0

	for a in $RESERVED; do
		expect_errno EADDRNOTAVAIL "$N1" set toy0 address $a || r=1
		kept || r=1
	done
	return $r
}

t_reserved_ip() {
	local a r=0

	for a in $RESERVED; do
		expect_err "$IP_RESERVED" \
			ip -n "$N1" link set toy0 address $a || r=1
		kept || r=1
	done
	return $r
}

# send_err NS A.B.C.D: what a datagram to A.B.C.D:7009 from NS gets (the
# error socat reports, or "sent")
send_err() {
	if echo x | timeout 120 nsenter --net="/run/netns/$1" socat -u - \
		"SOCKET-SENDTO:$FAM:$SOCK_DGRAM:0:$(hexaddr "$2" 7009)" 2>"$TMP/se.err"; then
		echo sent
	else
		sed -n 's/.*): //p' "$TMP/se.err" | tail -n 1
	fi
}

t_zero() {
	local err got r=0

	if ! err=$(ip -n "$N1" link set toy0 address 0.0.0.0 2>&1); then
		diag "ip link set toy0 address 0.0.0.0: $err"
		kept
		return 1
	fi
	addr_is "$N1" 0.0.0.0 || { diag "toy0 shows $(toy0_addr "$N1")"; r=1; }
	got=$(send_err "$N1" $A2)
	if [ "$got" != "Network is unreachable" ]; then
		diag "a send to $A2 without a node address: '$got'"
		r=1
	fi
	if ! err=$(ip -n "$N1" link set toy0 address $A1 2>&1); then
		diag "ip link set toy0 address $A1 again: $err"
		r=1
	fi
	addr_is "$N1" $A1 || r=1
	return $r
}

t_keep() {
	local port=7003 srv r=0 want

	start_bg timeout 600 nsenter --net="$P1" socat -u \
		"SOCKET-RECV:$FAM:$SOCK_DGRAM:0:$(hexaddr $A1 $port)" /dev/null \
		2>"$TMP/keep.err"
	srv=$BG
	if ! wait_for "$WAIT_S" bound "$N1" $port DGRAM; then
		diag "socat in n1 never bound $A1:$port: $(cat "$TMP/keep.err")"
		stop_bg $srv
		return 1
	fi
	ip -n "$N1" link set toy0 address 10.0.0.7 || r=1
	want=$(printf ' 0A000001:%04X ' $port)
	if ! inns "$N1" cat /proc/net/toy | grep -q "$want"; then
		diag "after the change: $(inns "$N1" cat /proc/net/toy | tr '\n' '|')"
		r=1
	fi
	ip -n "$N1" link set toy0 address $A1 || r=1
	addr_is "$N1" $A1 || r=1
	stop_bg $srv
	return $r
}

run t_create "$TN_CREATE"
run t_pair "$TN_PAIR"
run t_carrier "$TN_CARRIER"
run t_ebusy "$TN_EBUSY"
run t_ebusy_ip "$TN_EBUSY_IP"
run t_einval "$TN_EINVAL"
run t_einval_ip "$TN_EINVAL_IP"
run t_enodev_ip "$TN_ENODEV_IP"
run t_addr_add "$TN_ADDR_ADD"
run t_addr_add_ip "$TN_ADDR_ADD_IP"
run t_addr_set "$TN_ADDR_SET"
run t_addr_set_ip "$TN_ADDR_SET_IP"
run t_toy0 "$TN_TOY0"
run t_reserved "$TN_RESERVED"
run t_reserved_ip "$TN_RESERVED_IP"
run t_zero "$TN_ZERO"
run t_keep "$TN_KEEP"

# ---- traffic across ---------------------------------------------------------------------------

t_echo() {
	local port=7001 srv

	start_bg timeout 600 nsenter --net="$P2" socat \
		"SOCKET-RECVFROM:$FAM:$SOCK_DGRAM:0:$(hexaddr 0.0.0.0 $port),fork" \
		"SYSTEM:read -r line; echo \"\$line\" | tr a-z A-Z" 2>"$TMP/echo.err"
	srv=$BG
	if ! wait_for "$WAIT_S" bound "$N2" $port DGRAM; then
		diag "the server in n2 never bound port $port: $(cat "$TMP/echo.err")"
		stop_bg $srv
		return 1
	fi
	# the client writes a request, reads one reply line, and exits
	timeout 120 nsenter --net="$P1" socat \
		"SOCKET-SENDTO:$FAM:$SOCK_DGRAM:0:$(hexaddr $A2 $port)" \
		"SYSTEM:echo hello across; read -r reply; echo \"\$reply\" >$TMP/echo.out" \
		2>"$TMP/echo.cerr"
	stop_bg $srv
	if [ "$(cat "$TMP/echo.out" 2>/dev/null)" != "HELLO ACROSS" ]; then
		diag "reply: '$(cat "$TMP/echo.out" 2>/dev/null)'; server: $(cat "$TMP/echo.err"); client: $(cat "$TMP/echo.cerr")"
		return 1
	fi
	return 0
}

t_neigh() {
	local r=0

	diag "n1: $(inns "$N1" cat /proc/net/toy_neigh 2>&1 | tr '\n' '|')"
	diag "n2: $(inns "$N2" cat /proc/net/toy_neigh 2>&1 | tr '\n' '|')"
	neigh_is "$N1" $A2 "t12 REACHABLE" || r=1
	neigh_is "$N2" $A1 "t21 REACHABLE" || r=1
	return $r
}

t_tcpdump() {
	local port=7002 cap=$TMP/t12.pcap td n

	start_bg timeout 600 nsenter --net="$P1" tcpdump -Z root -n -i t12 \
		-c 2 -w "$cap" 2>"$TMP/tcpdump.err"
	td=$BG
	if ! wait_for "$WAIT_S" grep -q "listening on t12" "$TMP/tcpdump.err"; then
		diag "tcpdump did not start: $(cat "$TMP/tcpdump.err")"
		stop_bg $td
		return 1
	fi
	# two datagrams to a port nobody has (each answered by an RST frame)
	for n in 1 2; do
		echo "frame $n" | timeout 120 nsenter --net="$P1" socat -u - \
			"SOCKET-SENDTO:$FAM:$SOCK_DGRAM:0:$(hexaddr $A2 $port)" \
			2>>"$TMP/tcpdump.cerr"
	done
	if ! wait_for "$WAIT_S" gone $td; then
		diag "tcpdump did not see 2 frames: $(cat "$TMP/tcpdump.err")"
		stop_bg $td
		return 1
	fi
	wait $td
	n=$(tcpdump -n -r "$cap" 2>/dev/null | wc -l)
	tcpdump -n -r "$cap" 2>&1 | sed 's/^/#   /'
	[ "$n" -ge 2 ]
}

t_dg12() {
	xfer -t dgram -A $A2 -C "$P1" -D "$P2" -n 300 -l 1000
	xfer_dg_ok
}

t_dg21() {
	xfer -t dgram -A $A1 -C "$P2" -D "$P1" -n 300 -l 1000
	xfer_dg_ok
}

t_stream() {
	xfer -t stream -A $A2 -C "$P1" -D "$P2" -m "$MIB"
	xfer_ok
}

t_seq() {
	local m

	xfer -t seqpacket -A $A2 -C "$P1" -D "$P2" -m "$MIB"
	xfer_ok || return 1
	m=$(kv max_record "$LINE")
	if [ "$m" != "$MAXDG" ]; then
		diag "largest record $m, expected $MAXDG (MTU $MTU - 32)"
		return 1
	fi
	return 0
}

VETH=0	# 1: the veth pair is there, 2: this kernel has no veth
t_tcp() {
	local err

	modprobe veth 2>/dev/null
	if ! err=$(ip link add vt1 netns "$N1" type veth peer name vt2 netns "$N2" 2>&1); then
		case $err in
		*"Unknown device type"* | *"not supported"*)
			VETH=2
			SKIP_WHY="this kernel has no veth: $err"
			return 77 ;;
		esac
		diag "veth pair: $err"
		return 1
	fi
	if ! err=$(ip -n "$N1" addr add $V1/24 dev vt1 2>&1) ||
	   ! err=$(ip -n "$N2" addr add $V2/24 dev vt2 2>&1) ||
	   ! err=$(ip -n "$N1" link set vt1 up 2>&1) ||
	   ! err=$(ip -n "$N2" link set vt2 up 2>&1) ||
	   ! err=$(ip -n "$N1" link set lo up 2>&1) ||
	   ! err=$(ip -n "$N2" link set lo up 2>&1); then
		diag "veth pair: $err"
		return 1
	fi
	VETH=1
	xfer -t stream -f inet -A $V2 -C "$P1" -D "$P2" -m "$MIB"
	xfer_ok
}

t_emsgsize() {
	local port=7003 rx out=$TMP/big.out err

	head -c $((MAXDG + 1)) /dev/urandom >"$TMP/big"
	head -c $MAXDG /dev/urandom >"$TMP/fits"
	start_bg timeout 600 nsenter --net="$P2" socat -u -b 65536 \
		"SOCKET-RECV:$FAM:$SOCK_DGRAM:0:$(hexaddr 0.0.0.0 $port),rcvbuf=1048576" \
		"OPEN:$out,creat,trunc" 2>"$TMP/big.rerr"
	rx=$BG
	if ! wait_for "$WAIT_S" bound "$N2" $port DGRAM; then
		diag "receiver never bound port $port: $(cat "$TMP/big.rerr")"
		stop_bg $rx
		return 1
	fi
	if timeout 120 nsenter --net="$P1" socat -u -b 65536 "OPEN:$TMP/big" \
		"SOCKET-SENDTO:$FAM:$SOCK_DGRAM:0:$(hexaddr $A2 $port)" 2>"$TMP/big.err"; then
		diag "a $((MAXDG + 1))-byte datagram to $A2 was sent"
		stop_bg $rx
		return 1
	fi
	err=$(cat "$TMP/big.err")
	diag "$((MAXDG + 1)) bytes: $err"
	case $err in
	*"Message too long"*) ;;
	*) stop_bg $rx; return 1 ;;
	esac
	if ! timeout 120 nsenter --net="$P1" socat -u -b 65536 "OPEN:$TMP/fits" \
		"SOCKET-SENDTO:$FAM:$SOCK_DGRAM:0:$(hexaddr $A2 $port)" 2>"$TMP/fits.err"; then
		diag "$MAXDG bytes: $(cat "$TMP/fits.err")"
		stop_bg $rx
		return 1
	fi
	wait_for "$WAIT_S" size_at_least "$out" $MAXDG
	stop_bg $rx
	if ! cmp "$TMP/fits" "$out"; then
		diag "received $(stat -c %s "$out") bytes, not the $MAXDG sent"
		return 1
	fi
	return 0
}

t_bcast() {
	local port=7004 r1 r2 n1 n2 f1=$TMP/b1 f2=$TMP/b2

	: >"$f1"
	: >"$f2"
	start_bg timeout 600 nsenter --net="$P1" socat -u \
		"SOCKET-RECV:$FAM:$SOCK_DGRAM:0:$(hexaddr 0.0.0.0 $port)" \
		"OPEN:$f1,append" 2>"$TMP/b1.err"
	r1=$BG
	start_bg timeout 600 nsenter --net="$P2" socat -u \
		"SOCKET-RECV:$FAM:$SOCK_DGRAM:0:$(hexaddr 0.0.0.0 $port)" \
		"OPEN:$f2,append" 2>"$TMP/b2.err"
	r2=$BG
	if ! wait_for "$WAIT_S" bound "$N1" $port DGRAM ||
	   ! wait_for "$WAIT_S" bound "$N2" $port DGRAM; then
		diag "receivers never bound port $port: $(cat "$TMP/b1.err" "$TMP/b2.err")"
		stop_bg $r1
		stop_bg $r2
		return 1
	fi
	if ! echo BCAST | timeout 120 nsenter --net="$P1" socat -u - \
		"SOCKET-SENDTO:$FAM:$SOCK_DGRAM:0:$(hexaddr 255.255.255.255 $port),broadcast" \
		2>"$TMP/bs.err"; then
		diag "broadcast send failed: $(cat "$TMP/bs.err")"
		stop_bg $r1
		stop_bg $r2
		return 1
	fi
	# A unicast after it on each path: once it has arrived, so would
	# have any copy of the broadcast sent before it.
	echo MARK | timeout 120 nsenter --net="$P1" socat -u - \
		"SOCKET-SENDTO:$FAM:$SOCK_DGRAM:0:$(hexaddr 127.0.0.1 $port)" 2>>"$TMP/bs.err"
	echo MARK | timeout 120 nsenter --net="$P1" socat -u - \
		"SOCKET-SENDTO:$FAM:$SOCK_DGRAM:0:$(hexaddr $A2 $port)" 2>>"$TMP/bs.err"
	wait_for "$WAIT_S" file_has "$f1" MARK
	wait_for "$WAIT_S" file_has "$f2" MARK
	stop_bg $r1
	stop_bg $r2
	n1=$(grep -cx BCAST "$f1")
	n2=$(grep -cx BCAST "$f2")
	diag "n1's socket got the broadcast $n1 time(s), n2's $n2 ($(tr '\n' ' ' <"$f1")/ $(tr '\n' ' ' <"$f2"))"
	[ -s "$TMP/bs.err" ] && diag "senders: $(cat "$TMP/bs.err")"
	[ "$n1" = 1 ] && [ "$n2" = 1 ] && file_has "$f1" MARK && file_has "$f2" MARK
}

t_unreach_dg() {
	local port=7005 snd fifo=$TMP/fifo r=0

	mkfifo "$fifo" || return 1
	# one socket, two sendto calls: the first when nothing is known of
	# the address, the second once its entry is FAILED (the FIFO is
	# opened by the background job, not by this shell)
	timeout 600 nsenter --net="$P1" socat -u - \
		"SOCKET-SENDTO:$FAM:$SOCK_DGRAM:0:$(hexaddr $NOBODY_DG $port)" \
		<"$fifo" 2>"$TMP/un.err" &
	snd=$!
	PIDS="$PIDS $snd"
	exec 7>"$fifo"
	echo first >&7
	if ! wait_for "$WAIT_S" neigh_state_in "$N1" $NOBODY_DG "INCOMPLETE FAILED"; then
		diag "no entry for $NOBODY_DG after the first sendto: '$(neigh "$N1" $NOBODY_DG)'"
		r=1
	fi
	diag "after the first sendto: '$(neigh "$N1" $NOBODY_DG)'"
	if ! wait_for "$WAIT_S" neigh_state_in "$N1" $NOBODY_DG FAILED; then
		diag "the entry for $NOBODY_DG is '$(neigh "$N1" $NOBODY_DG)', not FAILED, after $WAIT_S s"
		r=1
	fi
	diag "then: '$(neigh "$N1" $NOBODY_DG)'"
	neigh_is "$N1" $NOBODY_DG "- FAILED" || r=1
	if gone $snd; then
		diag "the first sendto failed: $(cat "$TMP/un.err")"
		exec 7>&-
		wait $snd
		return 1
	fi
	(trap '' PIPE; echo second >&7) 2>/dev/null
	exec 7>&-
	wait_for "$WAIT_S" gone $snd
	wait $snd
	diag "socat exit $?: $(cat "$TMP/un.err")"
	grep -q "No route to host" "$TMP/un.err" || r=1
	return $r
}

t_unreach_st() {
	local start=$SECONDS secs

	xfer -t stream -A $NOBODY_ST -C "$P1" -D "$P1" -m 1
	secs=$((SECONDS - start))
	diag "connect failed after $secs s"
	[ "$RC" -eq 1 ] || return 1
	case $LINE in
	*"error=\"connect to $NOBODY_ST port "*": No route to host\""*) ;;
	*) return 1 ;;
	esac
	[ $secs -le 100 ]
}

t_snmp() {
	local k v r=0

	for k in InAddrErrors NeighOutRequests NeighOutReplies NeighInRequests \
		 NeighInReplies NeighResolveFailed NeighUnresolvedDrops; do
		v=$(snmp "$N1" $k)
		diag "n1 $k $v, n2 $k $(snmp "$N2" $k)"
		[ -n "$v" ] || { diag "no $k in toy_snmp"; r=1; }
	done
	[ "$(snmp "$N1" NeighOutRequests)" -gt 0 ] 2>/dev/null || r=1
	[ "$(snmp "$N1" NeighInReplies)" -gt 0 ] 2>/dev/null || r=1
	[ "$(snmp "$N1" NeighResolveFailed)" -gt 0 ] 2>/dev/null || r=1
	[ "$(snmp "$N2" NeighInRequests)" -gt 0 ] 2>/dev/null || r=1
	[ "$(snmp "$N2" NeighOutReplies)" -gt 0 ] 2>/dev/null || r=1
	return $r
}

t_netunreach() {
	local err

	if echo x | timeout 120 nsenter --net="$P3" socat -u - \
		"SOCKET-SENDTO:$FAM:$SOCK_DGRAM:0:$(hexaddr $A2 7006)" 2>"$TMP/nu.err"; then
		diag "sent without a node address"
		return 1
	fi
	err=$(cat "$TMP/nu.err")
	diag "$err"
	case $err in
	*"Network is unreachable"*) return 0 ;;
	esac
	return 1
}

run t_echo "$TN_ECHO"
run t_neigh "$TN_NEIGH"
run t_tcpdump "$TN_TCPDUMP"
run t_dg12 "$TN_DG12"
run t_dg21 "$TN_DG21"
run t_stream "$TN_STREAM"
run t_seq "$TN_SEQ"
run t_tcp "$TN_TCP"
run t_emsgsize "$TN_EMSGSIZE"
run t_bcast "$TN_BCAST"
run t_unreach_dg "$TN_UNREACH_DG"
run t_unreach_st "$TN_UNREACH_ST"
run t_snmp "$TN_SNMP"
run t_netunreach "$TN_NETUNREACH"

# ---- a bad cable -----------------------------------------------------------------------------------

# midway OUT WHAT: start a $PULL_MIB MiB stream n1 <-> n2 in the
# background (its pid in X, t12's tx bytes before it in TX0, its result
# line in OUT) and return once it is connected and 256 KiB have gone out
# on t12, still running: WHAT, the event the caller then makes, comes in
# the middle of it
midway() {
	local out=$1 what=$2

	TX0=$(tx_bytes "$N1" t12)
	: >"$out"
	start_bg timeout -k 10 $((XT + 30)) "$XFER" -t stream -A $A2 -C "$P1" \
		-D "$P2" -m "$PULL_MIB" -T "$XT" -S 120 >"$out" 2>&1
	X=$BG
	if ! wait_for "$WAIT_S" established "$N2" ||
	   ! wait_for "$WAIT_S" tx_at_least "$N1" t12 $((TX0 + 262144)); then
		diag "the transfer did not get going: $(cat "$out")"
		stop_bg $X
		return 1
	fi
	if gone $X; then
		diag "the transfer was over before $what: $(cat "$out")"
		return 1
	fi
}

FLUSHED=	# set by t_pull: 1 flushed, 0 not, empty: not seen
# On the debug kernel this once failed in 2 of 5 runs: n2 -> n1 completed,
# then n1 -> n2 ended in a reset.  That was n2's side, half closed in
# FIN_WAIT2, ended by an out-of-date timer expiry (fixed; KUnit
# toy_stream_half_close_late_timer); it passed 4 of 4 runs since, and
# runs in make check on every kernel.  LINK_SKIP_PULL=1 still skips it.
PULL_SKIP_WHY="LINK_SKIP_PULL=1 skips it"
t_pull() {
	local x tx0 rx0 rx1 had r=0

	FLUSHED=
	if [ "${LINK_SKIP_PULL:-0}" = 1 ]; then
		SKIP_WHY=$PULL_SKIP_WHY
		return 77
	fi
	midway "$TMP/pull.out" "the cable was pulled" || return 1
	x=$X tx0=$TX0
	neigh_none_on "$N1" t12 && had=0 || had=1
	ip -n "$N1" link set t12 down || r=1
	diag "t12 down after $(($(tx_bytes "$N1" t12) - tx0)) bytes out on it"
	if [ $had = 0 ]; then
		diag "no neighbour entry was on t12 before the cable was pulled"
	elif wait_for 10 neigh_none_on "$N1" t12; then
		FLUSHED=1
	else
		diag "entries still on t12: $(inns "$N1" cat /proc/net/toy_neigh | tr '\n' '|')"
		FLUSHED=0
	fi
	if ! wait_for "$WAIT_S" no_carrier "$N2" t21; then
		diag "t21 kept its carrier while t12 was down"
		r=1
	fi
	# the cable is out: nothing may arrive at t21 for those 2 s
	rx0=$(rx_bytes "$N2" t21)
	pause_s 2
	rx1=$(rx_bytes "$N2" t21)
	if [ "$rx1" != "$rx0" ]; then
		diag "t21 received $((rx1 - rx0)) bytes while t12 was down"
		r=1
	fi
	if gone $x; then
		diag "the transfer ended while the cable was out: $(cat "$TMP/pull.out")"
		r=1
	fi
	ip -n "$N1" link set t12 up || r=1
	diag "t12 up again; waiting for the transfer"
	wait_for $((XT + 60)) gone $x
	wait $x
	LINE=$(cat "$TMP/pull.out")
	diag "$LINE"
	[ "$(kv result "$LINE")" = pass ] || r=1
	wait_for "$WAIT_S" carrier "$N1" t12 || r=1
	return $r
}

t_flush() {
	if [ "${LINK_SKIP_PULL:-0}" = 1 ]; then
		SKIP_WHY="seen in the cable test, which LINK_SKIP_PULL=1 skips"
		return 77
	fi
	[ -n "$FLUSHED" ] || diag "not seen (see the cable test)"
	[ "$FLUSHED" = 1 ]
}

# The link drops a frame longer than the far end's MTU, as veth does, so
# a stream whose segments were cut for 1500 stalls unless the sender cuts
# what it has queued, and what it resends, to the new size.
t_shrink() {
	local x tx0 r=0 d

	midway "$TMP/shrink.out" "the MTU changed" || return 1
	x=$X tx0=$TX0
	for d in "$N1 t12" "$N2 t21"; do
		# shellcheck disable=SC2086
		set -- $d
		ip -n "$1" link set "$2" mtu "$SHRINK_MTU" || r=1
	done
	diag "MTU $SHRINK_MTU after $(($(tx_bytes "$N1" t12) - tx0)) bytes out on t12"
	wait_for $((XT + 60)) gone $x
	wait $x
	LINE=$(cat "$TMP/shrink.out")
	diag "$LINE"
	[ "$(kv result "$LINE")" = pass ] || r=1
	ip -n "$N1" link set t12 mtu "$MTU" || r=1
	ip -n "$N2" link set t21 mtu "$MTU" || r=1
	return $r
}

# qdisc_drops NS DEV: the netem qdisc's "dropped" count
qdisc_drops() {
	tc -n "$1" -s qdisc show dev "$2" root 2>/dev/null |
		sed -n 's/.*(dropped \([0-9]*\),.*/\1/p' | head -n 1 | grep . || echo 0
}

# lossy_xfer NS1 DEV1 NS2 DEV2 XFER-ARGS...: toy_xfer with loss 10% on
# both devices, and netem really dropping on both
# lossy_xfer NS1 DEV1 NS2 DEV2 XFER-ARGS...: the transfer with netem
# $NETEM_ARGS (default "loss 10%") on both ends of the cable
lossy_xfer() {
	local ns1=$1 d1=$2 ns2=$3 d2=$4 q1 q2 r=0 err
	local -a args

	read -r -a args <<<"${NETEM_ARGS:-loss 10%}"
	shift 4
	if ! err=$(tc -n "$ns1" qdisc replace dev "$d1" root netem "${args[@]}" 2>&1) ||
	   ! err=$(tc -n "$ns2" qdisc replace dev "$d2" root netem "${args[@]}" 2>&1); then
		diag "tc qdisc replace ... netem ${args[*]}: $err"
		tc -n "$ns1" qdisc del dev "$d1" root 2>/dev/null
		return 1
	fi
	xfer "$@"
	xfer_ok || r=1
	q1=$(qdisc_drops "$ns1" "$d1")
	q2=$(qdisc_drops "$ns2" "$d2")
	diag "netem dropped $q1 frames on $d1, $q2 on $d2"
	tc -n "$ns1" qdisc del dev "$d1" root 2>/dev/null
	tc -n "$ns2" qdisc del dev "$d2" root 2>/dev/null
	# a profile that loses must really have lost on both ends
	case " ${args[*]} " in
	*" loss "*) [ "$q1" -gt 0 ] && [ "$q2" -gt 0 ] || r=1 ;;
	esac
	return $r
}

t_netem() {
	modprobe sch_netem 2>/dev/null
	lossy_xfer "$N1" t12 "$N2" t21 -t stream -A $A2 -C "$P1" -D "$P2" -m "$MIB"
}

# netem_test.sh's "mixed" profile, on both ends of the cable
MIXED=$MIXED_NAME

# The mixed profile costs seqpacket far more than stream across a link
# (measured on 6.12 with 4 MiB each way: 3 to 4 s for a stream, 50 to
# 58 s for seqpacket; on 6.1, 3 to 39 s): records are never cut or
# merged, so every loss, duplicate and reordering is one of many small
# segments.  So these move MIXED_MIB (default 1) with BAD_T allowed.
t_mixed_stream() {
	local XT=$BAD_T

	NETEM_ARGS=$MIXED lossy_xfer "$N1" t12 "$N2" t21 -t stream -A $A2 \
		-C "$P1" -D "$P2" -m "$MIXED_MIB"
}

t_mixed_seq() {
	local XT=$BAD_T

	NETEM_ARGS=$MIXED lossy_xfer "$N1" t12 "$N2" t21 -t seqpacket -A $A2 \
		-C "$P1" -D "$P2" -m "$MIXED_MIB"
}

# The rest of netem_test.sh's profiles across the cable.  Loss 30% on
# both ends loses half of all round trips (a segment or its ACK), and
# with 1468-byte segments a window holds dozens of holes that NewReno
# without SACK repairs one per round trip, mostly by timeouts: measured
# on 6.1, 4 MiB each way took 228 s to over 300 s (0.2 Mbit/s), so this
# transfer moves LOSS30_MIB (default 0.25 MiB: some 180 segments each
# way, 50 of them lost) with BAD_T seconds allowed; measured on 6.12,
# 1.5 s and 57 s.  TCP over the veth pair under the same loss did
# worse: 0.5 MB each way, then no progress for 120 s (its RTO backs off
# to 120 s), in both runs.
t_loss30() {
	local XT=$BAD_T

	NETEM_ARGS="loss 30%" lossy_xfer "$N1" t12 "$N2" t21 -t stream -A $A2 \
		-C "$P1" -D "$P2" -m "$LOSS30_MIB"
}

t_jitter() {
	NETEM_ARGS="delay 20ms 10ms" lossy_xfer "$N1" t12 "$N2" t21 -t stream \
		-A $A2 -C "$P1" -D "$P2" -m "$MIB"
}

t_rate() {
	NETEM_ARGS="rate 100mbit limit 24" lossy_xfer "$N1" t12 "$N2" t21 \
		-t stream -A $A2 -C "$P1" -D "$P2" -m "$MIB"
}

t_tcploss() {
	if [ $VETH = 2 ]; then
		SKIP_WHY="this kernel has no veth"
		return 77
	fi
	if [ $VETH = 0 ]; then
		diag "no veth pair (see the TCP test)"
		return 1
	fi
	lossy_xfer "$N1" vt1 "$N2" vt2 -t stream -f inet -A $V2 -C "$P1" -D "$P2" -m "$MIB"
}

run t_pull "$TN_PULL"
run t_flush "$TN_FLUSH"
run t_shrink "$TN_SHRINK"
run t_netem "$TN_NETEM"
run t_mixed_stream "$TN_MIXED_ST"
run t_mixed_seq "$TN_MIXED_SEQ"
run t_loss30 "$TN_LOSS30"
run t_jitter "$TN_JITTER"
run t_rate "$TN_RATE"
run t_tcploss "$TN_TCPLOSS"

# ---- the cable's life ----------------------------------------------------------------------------------

t_delend() {
	local err

	if ! err=$(ip -n "$N2" link del t21 2>&1); then
		diag "ip link del t21: $err"
		return 1
	fi
	! dev_exists "$N2" t21 || return 1
	if ! wait_for "$WAIT_S" no_carrier "$N1" t12; then
		show_link "$N1" t12
		return 1
	fi
	show_link "$N1" t12
	return 0
}

t_repair() {
	local err

	if ! err=$(ip -n "$N1" link add t21 netns "$N2" link t12 type toy 2>&1); then
		diag "ip -n n1 link add t21 netns n2 link t12 type toy: $err"
		return 1
	fi
	ip -n "$N2" link set t21 up || return 1
	if ! wait_for "$WAIT_S" carrier "$N1" t12 || ! wait_for "$WAIT_S" carrier "$N2" t21; then
		show_link "$N1" t12
		show_link "$N2" t21
		return 1
	fi
	return 0
}

t_move() {
	local err

	if ! err=$(ip -n "$N3" link set toy0 address $A3 2>&1) ||
	   ! err=$(ip -n "$N2" link set t21 netns "$N3" 2>&1); then
		diag "$err"
		return 1
	fi
	if dev_exists "$N2" t21 || ! dev_exists "$N3" t21; then
		diag "t21 did not move to n3"
		return 1
	fi
	ip -n "$N3" link set t21 up || return 1
	if ! wait_for "$WAIT_S" carrier "$N1" t12 || ! wait_for "$WAIT_S" carrier "$N3" t21; then
		show_link "$N1" t12
		show_link "$N3" t21
		return 1
	fi
	show_link "$N3" t21
	xfer -t stream -A $A3 -C "$P1" -D "$P3" -m "$MIB"
	xfer_ok
}

DELNS_OK=0
t_delns() {
	local port=7007 srv cli tx0 rc start err

	DELNS_OK=0
	# the server's socket is the only thing of n3's that a process holds
	nsenter --net="$P3" socat -u \
		"SOCKET-LISTEN:$FAM:0:$(hexaddr 0.0.0.0 $port)" /dev/null \
		2>"$TMP/dn.serr" &
	srv=$!
	PIDS="$PIDS $srv"
	if ! wait_for "$WAIT_S" bound "$N3" $port STREAM; then
		diag "the server in n3 never listened: $(cat "$TMP/dn.serr")"
		return 1
	fi
	tx0=$(tx_bytes "$N1" t12)
	start_bg timeout -k 10 600 nsenter --net="$P1" socat -u /dev/zero \
		"SOCKET-CONNECT:$FAM:0:$(hexaddr $A3 $port)" 2>"$TMP/dn.cerr"
	cli=$BG
	if ! wait_for "$WAIT_S" established "$N3" ||
	   ! wait_for "$WAIT_S" tx_at_least "$N1" t12 $((tx0 + 262144)); then
		diag "the stream did not get going: $(cat "$TMP/dn.cerr")"
		return 1
	fi
	# the name goes (the namespace lives on while the socket does) ...
	if ! err=$(ip netns del "$N3" 2>&1); then
		diag "ip netns del n3: $err"
		return 1
	fi
	# ... and with its last process the namespace itself
	kill -KILL $srv
	wait $srv 2>/dev/null
	start=$SECONDS
	DELNS_OK=1
	diag "n3 deleted after $(($(tx_bytes "$N1" t12) - tx0)) bytes out on t12"
	if ! wait_for 300 gone $cli; then
		diag "n1's socat still runs 300 s after n3 went: a hang"
		return 1
	fi
	wait $cli
	rc=$?
	diag "n1's socat ended after $((SECONDS - start)) s, exit $rc: $(cat "$TMP/dn.cerr")"
	# an error: socat's own (exit 1, an "E" line), or SIGPIPE (141)
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $rc -ne 137 ] &&
		{ [ $rc -eq 141 ] || grep -q ' E ' "$TMP/dn.cerr"; }
}

t_delns_carrier() {
	[ "$DELNS_OK" = 1 ] || { diag "n3 was not deleted"; return 1; }
	if ! wait_for 120 no_carrier "$N1" t12; then
		show_link "$N1" t12
		return 1
	fi
	show_link "$N1" t12
	return 0
}

run t_delend "$TN_DELEND"
run t_repair "$TN_REPAIR"
run t_move "$TN_MOVE"
run t_delns "$TN_DELNS"
run t_delns_carrier "$TN_DELNS_CARRIER"

# ---- rmmod with links present -----------------------------------------------------

# toy links in NS, by name
toy_links() {
	inns "$1" ip -o link show type toy 2>/dev/null | awk -F': ' '{ print $2 }'
}

t_rmmod() {
	local fam r=0 end

	if [ -z "${TOY_KO:-}" ] || [ ! -f "$TOY_KO" ]; then
		SKIP_WHY="TOY_KO does not name the module file, so it could not be loaded again"
		return 77
	fi
	fam=$(cat /sys/module/af_toy/parameters/family)
	ip -n "$N1" link add t12 type toy 2>/dev/null
	ip -n "$N1" link add t21 netns "$N2" link t12 type toy || r=1
	ip -n "$N1" link set t12 up && ip -n "$N2" link set t21 up || r=1
	[ -n "$(toy_links "$N1")" ] && [ -n "$(toy_links "$N2")" ] || r=1
	# Sockets of the tests before (a closing stream's last moments) hold
	# the module for a little while: retry "in use" for up to 60 s.
	end=$((SECONDS + 60))
	until rmmod af_toy 2>"$TMP/rmmod.err"; do
		if [ "$SECONDS" -ge "$end" ]; then
			diag "rmmod: $(cat "$TMP/rmmod.err")"
			r=1
			break
		fi
		sleep 0.05
	done
	if [ -d /sys/module/af_toy ]; then
		diag "af_toy is still loaded"
		r=1
	fi
	if [ -n "$(toy_links "$N1")$(toy_links "$N2")" ]; then
		diag "toy links left after rmmod: $(toy_links "$N1") $(toy_links "$N2")"
		r=1
	fi
	insmod "$TOY_KO" family="$fam" || { diag "insmod $TOY_KO failed"; return 1; }
	[ "$(cat /sys/module/af_toy/parameters/family)" = "$fam" ] || r=1
	return $r
}

run t_rmmod "$TN_RMMOD"

# ---- the kernel log ---------------------------------------------------------------------------------------

t_dmesg() {
	local bad

	bad=$(dmesg 2>/dev/null | tail -n +$((DMESG0 + 1)) |
		grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount_t:|KASAN|UBSAN|list_(add|del) corruption|INFO: task .* blocked')
	if [ -n "$bad" ]; then
		sed 's/^/#   /' <<<"$bad"
		return 1
	fi
	return 0
}

run t_dmesg "$TN_DMESG"

finish
