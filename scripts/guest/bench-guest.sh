#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The AF_TOY benchmark matrix, run inside the VM by bench/run.sh after
# af_toy.ko is loaded.  Prints CSV rows "round,workload,param,family,
# metric,value" between "==== toybench csv begin/end ====" markers; the
# host extracts them from the console.
#
# Every round runs every workload, and within a workload the families
# back to back (AF_TOY and its peers, in an order that rotates from round
# to round), so slow drift of the machine hits them alike and cancels in
# the per-round ratios.
#
# Knobs (environment, passed through by bench/run.sh):
#   BENCH_REPS=5          rounds of the timed workloads
#   BENCH_DUR=1           seconds per timed run
#   BENCH_SCALE_REPS=3    rounds of the scaling workload
#   BENCH_SCALE_SIZES="1000 10000 100000"
#   BENCH_SCALE_MSGS=20000  datagrams sent per scaling run
#   BENCH_FLOOD_REPS=3    rounds of the memory flood
#   BENCH_FLOOD_RCVBUF=2097152  SO_RCVBUFFORCE value (the kernel doubles it)
#   BENCH_PP_CPUS="0 0"   client and server CPUs of the ping-pong
#   BENCH_CONN_CPUS="0 0" client and server CPUs of the connection rate
#   BENCH_ONLY="dgram stream loss pp connrate scale flood"  a subset
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
REPS=${BENCH_REPS:-5}
DUR=${BENCH_DUR:-1}
SCALE_REPS=${BENCH_SCALE_REPS:-3}
SCALE_SIZES=${BENCH_SCALE_SIZES:-"1000 10000 100000"}
SCALE_MSGS=${BENCH_SCALE_MSGS:-20000}
FLOOD_REPS=${BENCH_FLOOD_REPS:-3}
FLOOD_RCVBUF=${BENCH_FLOOD_RCVBUF:-2097152}
PP_CPUS=${BENCH_PP_CPUS:-0 0}
CONN_CPUS=${BENCH_CONN_CPUS:-0 0}
ONLY=" ${BENCH_ONLY:-dgram stream loss pp connrate scale flood} "

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
		echo "$r,$wl,$param,$fam,failed,1"
	fi
	[[ -n $rows ]] && printf '%s\n' "$rows" | sed "s/^/$r,/"
	return 0
}

progress() { echo "[bench $(date +%T)] $*" >&2; }

accel=${BENCH_ACCEL:-unknown}
hv=$(dmesg | grep -m1 -o 'Hypervisor detected: .*' || true)

# netem for the "loss" rows (a module on the stock kernels)
modprobe sch_netem 2>/dev/null || true

echo "==== toybench csv begin ===="
echo "round,workload,param,family,metric,value"
"$BIN" info | sed 's/^/0,/'
echo "0,meta,-,-,accelerator,$accel${hv:+ ($hv)}"
echo "0,meta,-,-,duration_s,$DUR"
echo "0,meta,-,-,rounds,$REPS"
echo "0,meta,-,-,cpus_throughput,sender 0 / receiver 1"
echo "0,meta,-,-,cpus_pingpong,client ${PP_CPUS% *} / server ${PP_CPUS#* }"
echo "0,meta,-,-,cpus_connrate,client ${CONN_CPUS% *} / server ${CONN_CPUS#* }"
echo "0,meta,-,-,rmem_default,$(cat /proc/sys/net/core/rmem_default)"
echo "0,meta,-,-,wmem_default,$(cat /proc/sys/net/core/wmem_default)"
echo "0,meta,-,-,unix_max_dgram_qlen,$(cat /proc/sys/net/unix/max_dgram_qlen)"

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
		for wsize in 65536 1024; do
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
done

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
[[ $failures -eq 0 ]]
