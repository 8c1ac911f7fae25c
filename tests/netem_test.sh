#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# netem_test.sh - AF_TOY streams on a link that loses, duplicates,
# reorders, delays, rate-limits and corrupts frames, made with nothing but
# the stock netem qdisc on toy0:
#
#     tc qdisc replace dev toy0 root netem <profile>
#
# For each profile, toy_xfer moves NETEM_MIB MiB each way at once over one
# SOCK_STREAM and then one SOCK_SEQPACKET connection and checks every byte
# (stream: the content at each offset; seqpacket: each record's length,
# sequence number and content), and that each side reads EOF after
# exactly that much.  Each transfer is one TAP test.  One more test per
# profile bounds the retransmissions by what the link really lost:
#
#     RetransSegs <= 4 * lost + 64     (per transfer)
#
# where lost = frames netem dropped (its "dropped" count in tc -s) + frames
# the receiver discarded as damaged by netem's corrupt (InCsumErrors, and
# HdrErrors for a bit flipped in the header), as deltas over the transfer.
# Drops on the receiving side that the sender's own bursts cause (toy0
# rx_dropped: the per-cpu backlog was full; BacklogDrops, WindowDrops) are
# reported but do not excuse retransmissions: a storm would excuse itself.
#
# Then datagrams through "corrupt 5%": none may be delivered damaged, the
# checksum must catch some (InCsumErrors rises), and every datagram sent is
# either received or counted as dropped somewhere.  Finally the same stream
# transfer over TCP on lo with "loss 10%", as an oracle that the tool is
# right (and a figure to compare with), and a self-test that toy_xfer does
# notice a flipped bit.
#
# Environment:
#   NETEM_MIB       MiB each way per transfer (default 64; the debug
#                   kernel's run uses less)
#   NETEM_TCP_MIB   MiB each way for the TCP oracle (default NETEM_MIB)
#   NETEM_DGRAMS    datagrams through corrupt 5% (default 2000)
#   NETEM_TIMEOUT   limit per transfer in seconds (default 180)
#   NETEM_PROFILES  names of the profiles to run (default all:
#                   loss10 mixed loss30 jitter rate)
#
# Output is TAP plus a kselftest-style "# Totals:" line.  Skips (with the
# reason) when tc or sch_netem is missing; the AF_TOY tests skip when
# af_toy.ko is not loaded, so on a host only the self-test and the TCP
# oracle would run - but this changes qdiscs on lo: run it in the VM.
#
# No fixed sleeps: toy_xfer bounds every wait with poll(), and the only
# loop here (waiting for the previous connection's sockets to go away) is
# a bounded loop of short pauses.

set -u

DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
XFER=$DIR/toy_xfer
MIB=${NETEM_MIB:-64}
TCP_MIB=${NETEM_TCP_MIB:-$MIB}
DGRAMS=${NETEM_DGRAMS:-2000}
XFER_TIMEOUT=${NETEM_TIMEOUT:-180}
SNMP=/proc/net/toy_snmp
DEV=toy0

# name|netem arguments
ALL_PROFILES=(
	"loss10|loss 10%"
	"mixed|loss 10% duplicate 5% delay 1ms reorder 25% corrupt 1%"
	"loss30|loss 30%"
	"jitter|delay 20ms 10ms"
	"rate|rate 100mbit limit 24"
)
WANT=${NETEM_PROFILES:-"loss10 mixed loss30 jitter rate"}
PROFILES=()
for p in "${ALL_PROFILES[@]}"; do
	case " $WANT " in
	*" ${p%%|*} "*) PROFILES+=("$p") ;;
	esac
done

. "$(dirname "$(readlink -f "$0")")/tap.sh"
T0=$SECONDS

check()   { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; }

# every test's name, in order, so that a skip can list them
names() {
	local p n
	echo "toy_xfer self-test: a flipped bit is reported (AF_UNIX)"
	for p in "${PROFILES[@]}"; do
		n=${p%%|*}
		echo "$n (${p#*|}): stream $MIB MiB each way, every byte once and in order"
		echo "$n (${p#*|}): seqpacket $MIB MiB each way, every record once and in order"
		echo "$n (${p#*|}): no retransmission storm (RetransSegs <= 4 * lost + 64)"
	done
	echo "corrupt 5%: $DGRAMS datagrams, none delivered damaged, InCsumErrors rises"
	echo "corrupt 5%: every datagram received or counted as dropped"
	echo "TCP on lo, loss 10%: stream $TCP_MIB MiB each way (oracle for toy_xfer)"
}

NTESTS=$(names | wc -l)
echo "TAP version 13"
echo "1..$NTESTS"

finish() {
	diag "netem_test.sh took $((SECONDS - T0)) s"
	tap_totals
	[ "$fail" -eq 0 ]
	exit $?
}

skip_all() {
	local n

	diag "$1"
	# (a here-string: the VM's /dev has no /dev/fd for "< <(...)")
	while IFS= read -r n; do
		skip_t "$n" "$1"
	done <<<"$(names)"
	finish
}

if [ ! -x "$XFER" ]; then
	echo "Bail out! $XFER is not built (make -C tests)"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi
if ! command -v tc >/dev/null 2>&1; then
	skip_all "tc (iproute2) is not installed"
fi
modprobe sch_netem 2>/dev/null
if ! err=$(tc qdisc replace dev lo root netem delay 0ms 2>&1); then
	skip_all "sch_netem is not available: $err"
fi
tc qdisc del dev lo root 2>/dev/null

TOY=1
if [ ! -d /sys/module/af_toy ] || [ ! -d /sys/class/net/$DEV ]; then
	TOY=0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/netem_test.XXXXXX") || {
	echo "Bail out! mktemp failed"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
}
cleanup() {
	tc qdisc del dev "$DEV" root 2>/dev/null
	tc qdisc del dev lo root 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# ---- counters ----------------------------------------------------------------

# The counters are read with as few programs as possible: on the debug
# kernel, under TCG, each program started costs a good part of a second,
# and a transfer once started some thirty.

# snap FILE DEV: every Toy: counter as "name value", then the qdisc's
# drops and DEV's rx_dropped
snap() {
	local drops rxd=0

	drops=$(tc -s qdisc show dev "$2" root 2>/dev/null |
		sed -n 's/.*(dropped \([0-9]*\),.*/\1/p;T;q')
	read -r rxd <"/sys/class/net/$2/statistics/rx_dropped" 2>/dev/null
	{
		[ -r $SNMP ] && awk '/^Toy:/ {
			if (!n) { for (i = 2; i <= NF; i++) name[i] = $i; n = 1 }
			else for (i = 2; i <= NF; i++) print name[i], $i
		}' $SNMP
		echo "QdiscDrops ${drops:-0}"
		echo "RxDropped ${rxd:-0}"
	} >"$1"
}

# deltas BEFORE AFTER: DELTA[name] = after - before, for every counter
# in AFTER (a counter missing from BEFORE counts from 0)
declare -A DELTA
deltas() {
	local k v

	DELTA=()
	# a here-string, not "< <(...)": the guest has no /dev/fd
	while read -r k v; do
		[ -n "$k" ] && DELTA[$k]=$v
	done <<<"$(awk 'NR == FNR { a[$1] = $2; next } { print $1, $2 - a[$1] }' "$1" "$2")"
	# no counters would make every bound below hold by default
	[ -n "${DELTA[RetransSegs]+set}" ] && [ -n "${DELTA[QdiscDrops]+set}" ]
}

# kv KEY LINE: the value of KEY=... in a toy_xfer line
kv() {
	local rest=" $2"

	[[ $rest == *" $1="* ]] || return 0
	rest=${rest##*" $1="}
	echo "${rest%% *}"
}

xfer_error() {
	sed -n 's/.* error="\([^"]*\)".*/\1/p' <<<"$1"
}

# Wait (bounded) until no connection of an earlier transfer is left on
# toy0, so that one transfer's retransmissions are not counted in the next.
toy_idle() {
	local end=$((SECONDS + 60))

	while awk 'NR > 1 && ($9 == "STREAM" || $9 == "SEQPACKET") { f = 1 }
		   END { exit !f }' /proc/net/toy 2>/dev/null; do
		if [ $SECONDS -ge $end ]; then
			diag "stream sockets still open after 60 s:"
			sed 's/^/#   /' /proc/net/toy
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# netem DEV ARGS...: put a fresh netem qdisc on DEV
netem() {
	local dev=$1 err

	shift
	tc qdisc del dev "$dev" root 2>/dev/null
	if ! err=$(tc qdisc replace dev "$dev" root netem "$@" 2>&1); then
		diag "tc qdisc replace dev $dev root netem $*: $err"
		return 1
	fi
	return 0
}

# xfer TYPE FAMILY MIB DEV: one toy_xfer run with counters around it;
# sets LINE, RC, SECS, RETRANS, LOST and DESC
xfer() {
	local type=$1 fam=$2 mib=$3 dev=$4 qd csum hdr rxd bl wd

	snap "$TMP/before" "$dev"
	# A stall may rightly last until the connection gives up itself,
	# 100 s or more (RFC 1122's R2, TOY_MAX_RETRIES): toy_xfer's own
	# stall limit (30 s by default) waits longer than that.
	LINE=$(timeout -k 10 $((XFER_TIMEOUT + 60)) "$XFER" -t "$type" \
		-f "$fam" -m "$mib" -T "$XFER_TIMEOUT" -S 150 2>"$TMP/xfer.err")
	RC=$?
	snap "$TMP/after" "$dev"
	[ -s "$TMP/xfer.err" ] && sed 's/^/# stderr: /' "$TMP/xfer.err"
	[ -n "$LINE" ] || LINE="toy_xfer (no output) result=fail"
	SECS=$(kv seconds "$LINE")
	if ! deltas "$TMP/before" "$TMP/after" && [ "$fam" = toy ]; then
		diag "the counters could not be read ($SNMP, tc -s qdisc)"
		RC=1
	fi
	RETRANS=${DELTA[RetransSegs]:-0}
	qd=${DELTA[QdiscDrops]:-0}
	csum=${DELTA[InCsumErrors]:-0}
	hdr=${DELTA[HdrErrors]:-0}
	rxd=${DELTA[RxDropped]:-0}
	bl=${DELTA[BacklogDrops]:-0}
	wd=${DELTA[WindowDrops]:-0}
	LOST=$((qd + csum + hdr))
	DESC="RetransSegs $RETRANS, lost $LOST (netem dropped $qd, InCsumErrors $csum, HdrErrors $hdr; rx_dropped $rxd, BacklogDrops $bl, WindowDrops $wd)"
	if [ "$RC" -ne 0 ]; then
		diag "toy_xfer exit $RC: $LINE"
	fi
}

# ---- 1: the tool itself --------------------------------------------------------

selftest() {
	local line rc=0 t

	for t in stream seqpacket; do
		line=$("$XFER" -t $t -f unix -m 4 -x 1234567 -T 60 2>&1)
		if [ $? -ne 1 ] || [ "$(kv mismatch "$line")" != 1234567 ] ||
		   [ "$(kv mismatch_dir "$line")" != c2s ]; then
			diag "not caught: $line"
			rc=1
		fi
	done
	if ! line=$("$XFER" -t stream -f unix -m 4 -T 60 2>&1); then
		diag "clean run failed: $line"
		rc=1
	fi
	return $rc
}

selftest
check $? "toy_xfer self-test: a flipped bit is reported (AF_UNIX)"

# ---- 2: the profiles on toy0 ----------------------------------------------------

for p in "${PROFILES[@]}"; do
	name=${p%%|*}
	args=${p#*|}
	tn_s="$name ($args): stream $MIB MiB each way, every byte once and in order"
	tn_q="$name ($args): seqpacket $MIB MiB each way, every record once and in order"
	tn_r="$name ($args): no retransmission storm (RetransSegs <= 4 * lost + 64)"
	if [ $TOY -eq 0 ]; then
		skip_t "$tn_s" "af_toy.ko is not loaded"
		skip_t "$tn_q" "af_toy.ko is not loaded"
		skip_t "$tn_r" "af_toy.ko is not loaded"
		continue
	fi
	# shellcheck disable=SC2086 # the profile is a list of words
	if ! netem $DEV $args; then
		not_ok "$tn_s"
		not_ok "$tn_q"
		not_ok "$tn_r"
		continue
	fi
	storm=0
	for type in stream seqpacket; do
		toy_idle
		xfer $type toy "$MIB" $DEV
		if [ "$RC" -eq 0 ]; then
			diag "profile $name: $type $MIB MiB each way in $SECS s, $DESC"
		else
			diag "profile $name: $type FAILED after ${SECS:-?} s ($(xfer_error "$LINE")), $DESC"
		fi
		if [ "$RETRANS" -gt $((4 * LOST + 64)) ]; then
			diag "profile $name: $type: retransmission storm: $RETRANS > 4 * $LOST + 64"
			storm=1
		fi
		if [ $type = stream ]; then
			check "$RC" "$tn_s"
		else
			check "$RC" "$tn_q"
		fi
	done
	tc -s qdisc show dev $DEV | sed 's/^/#   /'
	tc qdisc del dev "$DEV" root 2>/dev/null
	check $storm "$tn_r"
done

# ---- 3: datagrams through corrupt 5% ----------------------------------------------

tn_c="corrupt 5%: $DGRAMS datagrams, none delivered damaged, InCsumErrors rises"
tn_a="corrupt 5%: every datagram received or counted as dropped"
if [ $TOY -eq 0 ]; then
	skip_t "$tn_c" "af_toy.ko is not loaded"
	skip_t "$tn_a" "af_toy.ko is not loaded"
elif ! netem $DEV corrupt 5%; then
	not_ok "$tn_c"
	not_ok "$tn_a"
else
	toy_idle
	snap "$TMP/before" $DEV
	line=$(timeout -k 10 $((XFER_TIMEOUT + 60)) "$XFER" -t dgram -f toy \
		-n "$DGRAMS" -l 1000 -T "$XFER_TIMEOUT" 2>&1)
	rc=$?
	snap "$TMP/after" $DEV
	tc qdisc del dev "$DEV" root 2>/dev/null
	diag "$line"
	sent=$(kv sent "$line")
	enobufs=$(kv send_enobufs "$line")
	delivered=$(kv delivered "$line")
	corrupt=$(kv corrupt "$line")
	dup=$(kv dup "$line")
	inerr=$(kv in_errors "$line")
	csum=$(kv in_csum_errors "$line")
	rxd=$(kv rx_dropped "$line")
	deltas "$TMP/before" "$TMP/after"
	qd=${DELTA[QdiscDrops]:-0}
	diag "corrupt 5%: sent $sent (+$enobufs refused by the qdisc), delivered $delivered ($corrupt damaged, $dup duplicates), InCsumErrors $csum, InErrors $inerr, rx_dropped $rxd, netem dropped $qd"
	r=0
	[ "$rc" -eq 0 ] && [ "${corrupt:-1}" -eq 0 ] && [ "${csum:-0}" -gt 0 ] || r=1
	check $r "$tn_c"
	r=1
	if [ -n "$sent" ] && [ -n "$delivered" ]; then
		attempts=$((sent + enobufs))
		accounted=$((delivered - dup + inerr + rxd + qd))
		diag "corrupt 5%: $attempts sent, $accounted received or counted"
		[ "$attempts" -eq "$accounted" ] && [ "$sent" -eq "$DGRAMS" ] && r=0
	fi
	check $r "$tn_a"
fi

# ---- 4: the oracle: TCP on lo through loss 10% --------------------------------------

tn_t="TCP on lo, loss 10%: stream $TCP_MIB MiB each way (oracle for toy_xfer)"
if ! netem lo loss 10%; then
	not_ok "$tn_t"
else
	before=$(awk '/^Tcp:/ { if (!n) { for (i = 2; i <= NF; i++) if ($i == "RetransSegs") c = i; n = 1 } else print $c }' /proc/net/snmp)
	xfer stream inet "$TCP_MIB" lo
	after=$(awk '/^Tcp:/ { if (!n) { for (i = 2; i <= NF; i++) if ($i == "RetransSegs") c = i; n = 1 } else print $c }' /proc/net/snmp)
	qd=${DELTA[QdiscDrops]:-0}
	tc qdisc del dev lo root 2>/dev/null
	if [ "$RC" -eq 0 ]; then
		diag "profile loss10 on TCP/lo: stream $TCP_MIB MiB each way in $SECS s, RetransSegs $((after - before)), lost $qd"
	else
		diag "profile loss10 on TCP/lo: FAILED after ${SECS:-?} s: $LINE"
	fi
	check "$RC" "$tn_t"
fi

finish
