#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh - "make bench": AF_TOY against UDP/TCP on lo and AF_UNIX,
# and across a link between two namespaces (a toy link against UDP/TCP
# over a veth pair).
#
# Builds bench/toybench.c and af_toy.ko for the stock 6.1 kernel, boots
# that kernel in QEMU with the module loaded (scripts/vm.sh; never the
# host's kernel), runs scripts/guest/bench-guest.sh there, and leaves in
# build/bench/:
#   console.log   the whole guest console
#   results.csv   every measurement: round,workload,param,family,metric,value
#   summary.csv   median, min, max, spread per cell; AF_TOY/peer ratios
#   targets.csv   the issue's targets, met or not
#   report.txt    the table printed on the terminal
#   bench.png     the plot (gnuplot, bench/bench.gp)
#
# Knobs (environment): BENCH_REPS, BENCH_DUR, BENCH_SCALE_REPS,
# BENCH_SCALE_SIZES, BENCH_SCALE_MSGS, BENCH_FLOOD_REPS, BENCH_FLOOD_RCVBUF,
# BENCH_PP_CPUS, BENCH_CONN_CPUS, BENCH_ONLY (see
# scripts/guest/bench-guest.sh); BENCH_ICOUNT=1 (the default) boots one CPU
# with --icount, so every rate is per guest instruction and independent of
# the host's load (see the README), BENCH_ICOUNT=0 plain TCG on two CPUs
# (rates per wall-clock second, noisy), BENCH_KVM=1 with --kvm; BENCH_TIMEOUT
# (seconds, default 1800); BENCH_REPORT_ONLY=1 redoes the table and plot
# from build/bench/results.csv.
#
# BENCH_PROFILE="dgram:64 stream:65536" profiles instead: in the same
# kind of VM, perf's top symbols for AF_TOY and its peers on each workload
# (scripts/guest/profile-guest.sh), in build/bench/profile.txt.
# The defaults take about 9 minutes (-icount, one guest CPU, 6.1; the link
# rows included).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/bench
mkdir -p "$out"

# gnuplot draws the plot; Debian's gnuplot-nox has the pngcairo terminal.
ensure_gnuplot() {
	command -v gnuplot >/dev/null && return 0
	if [[ $(id -u) -ne 0 ]]; then
		echo "run.sh: gnuplot missing (apt-get install gnuplot-nox); no plot" >&2
		return 1
	fi
	if ! dpkg-query -W -f='${Status}' gnuplot-nox 2>/dev/null | grep -q 'ok installed'; then
		echo "run.sh: installing gnuplot-nox" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >&2 ||
			{ apt-get update -q >&2 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >&2; }
	fi
	command -v gnuplot >/dev/null
}

if [[ ${BENCH_REPORT_ONLY:-0} != 1 ]]; then
	rel=$(scripts/kernels.sh 6.1)
	${CC:-gcc} -O2 -Wall -Wextra -Werror -Iinclude/uapi -o "$out/toybench" bench/toybench.c
	ko=$(scripts/build-module.sh "/lib/modules/$rel/build" "build/$rel" | tail -n 1)

	accel=tcg
	vmargs=()
	if [[ ${BENCH_KVM:-0} == 1 ]]; then
		accel=kvm
		vmargs+=(--kvm)
	elif [[ ${BENCH_ICOUNT:-1} == 1 ]]; then
		# One CPU: with two, -icount hangs Debian's QEMU 7.2 before the
		# guest's first console line.
		accel=icount
		vmargs+=(--icount --smp 1)
	fi
	envs=(--env "BENCH_ACCEL=$accel" --env "BENCH_BIN=$out/toybench")
	while IFS='=' read -r name value; do
		case $name in
		BENCH_KVM | BENCH_ICOUNT | BENCH_TIMEOUT | BENCH_REPORT_ONLY | BENCH_ACCEL | BENCH_BIN) ;;
		BENCH_*) envs+=(--env "$name=$value") ;;
		esac
	done < <(env)

	if [[ -n ${BENCH_PROFILE:-} ]]; then
		scripts/vm.sh --kernel "$rel" --module "$ko" --timeout "${BENCH_TIMEOUT:-1800}" \
			"${vmargs[@]}" "${envs[@]}" -- scripts/guest/profile-guest.sh |
			tee "$out/profile.txt"
		exit "${PIPESTATUS[0]}"
	fi
	echo "run.sh: booting $rel ($accel) with $ko; the guest's console follows" >&2
	set +e
	scripts/vm.sh --kernel "$rel" --module "$ko" --timeout "${BENCH_TIMEOUT:-1800}" \
		"${vmargs[@]}" "${envs[@]}" -- scripts/guest/bench-guest.sh |
		tee "$out/console.log" | grep --line-buffered -E '^\[bench |^vm.sh|toybench .* failed'
	rc=${PIPESTATUS[0]}
	set -e

	# The rows between the markers; anything else the console interleaves
	# (kernel messages) does not look like a row and is dropped.
	sed -n '/^==== toybench csv begin ====/,/^==== toybench csv end ====/p' \
		"$out/console.log" | tr -d '\r' |
		grep -E '^(round,workload,|[0-9]+,[a-z_0-9]+,[^,]*,[^,]*,[A-Za-z0-9_]+,.)' \
		>"$out/results.csv" || true
	if [[ $(wc -l <"$out/results.csv") -le 1 ]]; then
		echo "run.sh: no results (vm.sh exit $rc); see $out/console.log" >&2
		exit 1
	fi
	if [[ $rc -ne 0 ]]; then
		echo "run.sh: vm.sh exited $rc (a failed run or a kernel log report);" \
			"reporting what was measured" >&2
	fi
fi

python3 bench/report.py "$out/results.csv" "$out" | tee "$out/report.txt"
if ensure_gnuplot; then
	if gnuplot -e "dir='$out/plot'; outfile='$out/bench.png'" bench/bench.gp; then
		echo "plot: $out/bench.png"
	else
		echo "run.sh: gnuplot failed (a BENCH_ONLY subset leaves panels empty)" >&2
	fi
fi
echo "data: $out/results.csv $out/summary.csv $out/targets.csv"
exit "${rc:-0}"
