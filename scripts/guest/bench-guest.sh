#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The AF_TOY benchmark matrix, run inside the VM by bench/run.sh after
# af_toy.ko is loaded.  Prints CSV rows "round,workload,param,family,
# metric,value" between "==== toybench csv begin/end ====" markers; the
# host extracts them from the console.
#
# Across a link ("link"): two network namespaces, joined once for the
# whole run by a toy link (t12-t21, node addresses 10.0.0.1 and 10.0.0.2)
# and by a veth pair (vb1-vb2, 192.168.77.1/24 and .2), as
# tests/link_test.sh joins them; the client (sender) in the first, the
# server (receiver) in the second, which binds the wildcard address
# (toybench's TOYBENCH_* variables).  AF_TOY over the toy link against UDP
# and TCP over the veth pair: 1400-byte datagrams (they fit both links'
# 1500-byte MTU), 64 KiB stream writes, and the two ping-pongs; rows
# link_dgram, link_stream, link_pp_dgram and link_pp_stream.  The
# namespaces are deleted after the last round.
#
# Rounds: under -icount (make bench's default) they agree to the last
# digit but for netem's random losses, so three are plenty; on wall-clock
# time (BENCH_ICOUNT=0) run more.
#
# Every round runs every workload, and within a workload the families
# back to back (AF_TOY and its peers, in an order that rotates from round
# to round), so slow drift of the machine hits them alike and cancels in
# the per-round ratios.
#
# Knobs (environment, passed through by bench/run.sh):
#   BENCH_REPS=3          rounds of the timed workloads
#   BENCH_DUR=1           seconds per timed run
#   BENCH_SCALE_REPS=2    rounds of the scaling workload
#   BENCH_SCALE_SIZES="1000 10000 100000"
#   BENCH_SCALE_MSGS=20000  datagrams sent per scaling run
#   BENCH_FLOOD_REPS=2    rounds of the memory flood
#   BENCH_FLOOD_RCVBUF=2097152  SO_RCVBUFFORCE value (the kernel doubles it)
#   BENCH_PP_CPUS="0 0"   client and server CPUs of the ping-pong
#   BENCH_CONN_CPUS="0 0" client and server CPUs of the connection rate
#   BENCH_ONLY="dgram stream loss pp connrate link scale flood"  a subset
#
# Throughput runs put the sender on CPU 0 and the receiver on CPU 1.
# Ping-pong and connection rate default to one CPU for both ends: every
# round trip there is a wake-up of the other side, and under TCG on a
# busy host a wake-up across vCPUs costs 0.1 to 10 ms at random (the other
# vCPU's thread must be scheduled by the host), which would swamp what
# the protocols cost.  "0 1" puts them on separate CPUs.
#   BENCH_ACCEL           tcg or kvm, as the host started the VM
set -uo pipefail

BIN=${BENCH_BIN:-build/bench/toybench}
REPS=${BENCH_REPS:-3}
DUR=${BENCH_DUR:-1}
SCALE_REPS=${BENCH_SCALE_REPS:-2}
SCALE_SIZES=${BENCH_SCALE_SIZES:-"1000 10000 100000"}
SCALE_MSGS=${BENCH_SCALE_MSGS:-20000}
FLOOD_REPS=${BENCH_FLOOD_REPS:-2}
FLOOD_RCVBUF=${BENCH_FLOOD_RCVBUF:-2097152}
PP_CPUS=${BENCH_PP_CPUS:-0 0}
CONN_CPUS=${BENCH_CONN_CPUS:-0 0}
ONLY=" ${BENCH_ONLY:-dgram stream loss pp connrate link scale flood} "

# One CPU (BENCH_ICOUNT=1): both ends of every run share CPU 0.
[[ $(nproc) -eq 1 ]] && export TOYBENCH_CPUS="0 0"

want() { [[ $ONLY == *" $1 "* ]]; }

# rotate ROUND WORD... : the words, starting at index ROUND mod count
rotate() {
	local r=$1; shift
	local a=("$@") n=$# i
	for ((i = 0; i < n; i++)); do
		printf '%s ' "${a[(r + i) % n]}"
	done
}

failures=0
# run ROUND ARGS... : one toybench run, its rows prefixed with the round
# (and their workload with ROW_PREFIX, when set: "link_")
run() {
	local r=$1; shift
	local rows
	if ! rows=$("$BIN" "$@"); then
		echo "toybench $* failed" >&2
		failures=$((failures + 1))
		# keep what it printed, and mark the cell as failed
		local wl=$1 fam=${2:-} param=${3:--}
		case $1 in
		pp-dgram | pp-stream) wl=${1/-/_} param=64 ;;
		connrate) param=- ;;
		flood) wl=flood_$2 fam=${3:-} param=1024 ;;
		esac
		echo "$r,${ROW_PREFIX:-}$wl,$param,$fam,failed,1"
	fi
	[[ -n $rows ]] && printf '%s\n' "$rows" | sed "s/^/$r,${ROW_PREFIX:-}/"
	return 0
}

progress() { echo "[bench $(date +%T)] $*" >&2; }

accel=${BENCH_ACCEL:-unknown}
hv=$(dmesg | grep -m1 -o 'Hypervisor detected: .*' || true)

# netem for the "loss" rows (a module on the stock kernels)
modprobe sch_netem 2>/dev/null || true

# ---- the "link" rows' two namespaces --------------------------------------
LN1=toybench_n1		# the client's (sender's) node
LN2=toybench_n2		# the server's (receiver's) node
TOY1=10.0.0.1 TOY2=10.0.0.2
VETH1=192.168.77.1 VETH2=192.168.77.2

# link_up NS DEV: DEV in NS is up with carrier (LOWER_UP)
link_up() {
	ip -n "$1" -o link show dev "$2" 2>/dev/null | grep -q 'LOWER_UP'
}

# link_setup: the namespaces, the toy link and the veth pair, as
# tests/link_test.sh makes them with stock iproute2; 1 on any error
link_setup() {
	local i

	modprobe veth 2>/dev/null
	ip netns add $LN1 && ip netns add $LN2 &&
	ip -n $LN1 link set lo up && ip -n $LN2 link set lo up &&
	ip -n $LN1 link add t12 type toy &&
	ip -n $LN1 link add t21 netns $LN2 link t12 type toy &&
	ip -n $LN1 link set toy0 address $TOY1 &&
	ip -n $LN2 link set toy0 address $TOY2 &&
	ip -n $LN1 link set t12 up && ip -n $LN2 link set t21 up &&
	ip link add vb1 netns $LN1 type veth peer name vb2 netns $LN2 &&
	ip -n $LN1 addr add $VETH1/24 dev vb1 &&
	ip -n $LN2 addr add $VETH2/24 dev vb2 &&
	ip -n $LN1 link set vb1 up && ip -n $LN2 link set vb2 up || return 1
	# carrier on all four ends (a bounded wait: 10 s)
	for ((i = 0; i < 100; i++)); do
		link_up $LN1 t12 && link_up $LN2 t21 &&
			link_up $LN1 vb1 && link_up $LN2 vb2 && return 0
		sleep 0.1
	done
	echo "bench-guest.sh: no carrier on the toy link or the veth pair" >&2
	ip -n $LN1 -o link show >&2
	ip -n $LN2 -o link show >&2
	return 1
}

# link_stats: the two nodes' counters, for the console after the rows
link_stats() {
	local ns

	for ns in $LN1 $LN2; do
		echo "--- $ns: /proc/net/toy_snmp, /proc/net/toy_neigh, links"
		ip netns exec "$ns" cat /proc/net/toy_snmp /proc/net/toy_neigh 2>&1
		ip -n "$ns" -s link show 2>&1
	done
}

link_teardown() {
	ip netns del $LN1 2>/dev/null
	ip netns del $LN2 2>/dev/null
}

# link_run ROUND FAM ARGS... : run ROUND ARGS with FAM between the two
# namespaces: AF_TOY over the toy link, UDP and TCP over the veth pair
link_run() {
	local r=$1 fam=$2 srv=$TOY2 cli=$TOY1

	shift 2
	[[ $fam != toy ]] && srv=$VETH2 cli=$VETH1
	ROW_PREFIX=link_ TOYBENCH_SERVER_NS=/run/netns/$LN2 \
		TOYBENCH_CLIENT_NS=/run/netns/$LN1 TOYBENCH_SERVER_ADDR=$srv \
		TOYBENCH_CLIENT_ADDR=$cli run "$r" "$@"
}

echo "==== toybench csv begin ===="
echo "round,workload,param,family,metric,value"
"$BIN" info | sed 's/^/0,/'
echo "0,meta,-,-,accelerator,$accel${hv:+ ($hv)}"
echo "0,meta,-,-,duration_s,$DUR"
echo "0,meta,-,-,rounds,$REPS"
tp=${TOYBENCH_CPUS:-0 1}
echo "0,meta,-,-,cpus_throughput,sender ${tp% *} / receiver ${tp#* }"
echo "0,meta,-,-,cpus_pingpong,client ${PP_CPUS% *} / server ${PP_CPUS#* }"
echo "0,meta,-,-,cpus_connrate,client ${CONN_CPUS% *} / server ${CONN_CPUS#* }"
echo "0,meta,-,-,rmem_default,$(cat /proc/sys/net/core/rmem_default)"
echo "0,meta,-,-,wmem_default,$(cat /proc/sys/net/core/wmem_default)"
echo "0,meta,-,-,unix_max_dgram_qlen,$(cat /proc/sys/net/unix/max_dgram_qlen)"

link_ok=0
if want link; then
	progress "link: namespaces $LN1 and $LN2, toy link t12-t21, veth pair vb1-vb2"
	if link_setup; then
		link_ok=1
		echo "0,meta,-,-,link,toy link t12-t21 ($TOY1 to $TOY2) against a veth pair ($VETH1 to $VETH2)"
		echo "0,meta,-,-,link_mtu,toy $(ip -n $LN1 -o link show dev t12 |
			sed -n 's/.* mtu \([0-9]*\) .*/\1/p') veth $(ip -n $LN1 -o link show dev vb1 |
			sed -n 's/.* mtu \([0-9]*\) .*/\1/p')"
	else
		echo "bench-guest.sh: link setup failed: no link rows" >&2
		failures=$((failures + 1))
		echo "0,link,-,-,failed,1"
	fi
fi

for ((r = 1; r <= REPS; r++)); do
	progress "round $r/$REPS"
	if want dgram; then
		for size in 64 1024 max; do
			for fam in $(rotate "$r" toy udp unix); do
				run "$r" dgram "$fam" "$size" "$DUR"
			done
		done
	fi
	if want stream; then
		for wsize in 65536 1024 64; do
			for fam in $(rotate "$r" toy tcp unix); do
				run "$r" stream "$fam" "$wsize" "$DUR"
			done
		done
	fi
	if want loss; then
		# The same stream through an equally bad link: stock netem
		# "loss 1%" on toy0 for AF_TOY and on lo for TCP.
		for fam in $(rotate "$r" toy tcp); do
			dev=toy0
			[[ $fam == tcp ]] && dev=lo
			if tc qdisc replace dev $dev root netem loss 1% 2>/dev/null; then
				run "$r" stream "$fam" 65536 "$DUR" |
					sed 's/^\([0-9]*\),stream,/\1,stream_loss1,/'
				tc qdisc del dev $dev root 2>/dev/null
			fi
		done
	fi
	if want pp; then
		for fam in $(rotate "$r" toy udp unix); do
			TOYBENCH_CPUS=$PP_CPUS run "$r" pp-dgram "$fam" "$DUR"
		done
		for fam in $(rotate "$r" toy tcp unix); do
			TOYBENCH_CPUS=$PP_CPUS run "$r" pp-stream "$fam" "$DUR"
		done
	fi
	if want connrate; then
		for fam in $(rotate "$r" toy tcp unix); do
			TOYBENCH_CPUS=$CONN_CPUS run "$r" connrate "$fam" "$DUR"
		done
	fi
	if want link && [[ $link_ok == 1 ]]; then
		for fam in $(rotate "$r" toy udp); do
			link_run "$r" "$fam" dgram "$fam" 1400 "$DUR"
		done
		for fam in $(rotate "$r" toy tcp); do
			link_run "$r" "$fam" stream "$fam" 65536 "$DUR"
		done
		for fam in $(rotate "$r" toy udp); do
			TOYBENCH_CPUS=$PP_CPUS link_run "$r" "$fam" pp-dgram "$fam" "$DUR"
		done
		for fam in $(rotate "$r" toy tcp); do
			TOYBENCH_CPUS=$PP_CPUS link_run "$r" "$fam" pp-stream "$fam" "$DUR"
		done
	fi
done
link_log=
if [[ $link_ok == 1 ]]; then
	link_log=$(link_stats)
	link_teardown
fi

if want scale; then
	for ((r = 1; r <= SCALE_REPS; r++)); do
		progress "scaling round $r/$SCALE_REPS"
		for n in $SCALE_SIZES; do
			for fam in $(rotate "$r" toy udp); do
				run "$r" scale "$fam" "$n" "$SCALE_MSGS"
				# the namespaces die asynchronously (cleanup_net):
				# let that finish before the next run is timed
				sleep 1
			done
		done
	done
fi

if want flood; then
	for ((r = 1; r <= FLOOD_REPS; r++)); do
		progress "flood round $r/$FLOOD_REPS"
		for fam in $(rotate "$r" toy udp unix); do
			run "$r" flood dgram "$fam" "$FLOOD_RCVBUF"
		done
		for fam in $(rotate "$r" toy tcp unix); do
			run "$r" flood stream "$fam" "$FLOOD_RCVBUF"
		done
	done
fi

echo "==== toybench csv end ===="
progress "done, $failures failed run(s)"
echo "--- /proc/net/toy_snmp after the benchmark"
cat /proc/net/toy_snmp 2>/dev/null || true
[[ -n $link_log ]] && printf '%s\n' "$link_log"
[[ $failures -eq 0 ]]
