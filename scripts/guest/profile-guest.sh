#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where the instructions go: perf profiles of toybench workloads, AF_TOY
# beside its peers, run inside the VM by bench/run.sh when BENCH_PROFILE
# is set (make bench BENCH_PROFILE="dgram:64 stream:65536").  Under
# -icount (the default there) guest time is instructions, so cpu-clock
# samples are shares of instructions, and 10^9 / rate is instructions
# per message (or per write), both ends together.
#
# For each WORKLOAD:SIZE (dgram or stream, as toybench takes them), for
# AF_TOY and its peers (UDP or TCP on lo, and AF_UNIX): one run for the
# rate, one under "perf record -a -e cpu-clock", and the report's top
# BENCH_PROFILE_TOP (25) symbols, whole system, both ends together.
#
# Knobs: BENCH_PROFILE, BENCH_PROFILE_TOP, BENCH_DUR (seconds per run, 1).
set -uo pipefail

BIN=${BENCH_BIN:-build/bench/toybench}
DUR=${BENCH_DUR:-1}
TOP=${BENCH_PROFILE_TOP:-25}
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT

# kernel symbols, module ones included, for perf report
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid
[[ $(nproc) -eq 1 ]] && export TOYBENCH_CPUS="0 0"

# rate WORKLOAD FAMILY SIZE: messages (datagrams, or writes) per second;
# toybench's other rows (CPU shares, sleeps, drops) go to $TMP/rows
rate() {
	local metric=msgs_per_s

	[[ $1 == stream ]] && metric=MB_per_s
	"$BIN" "$1" "$2" "$3" "$DUR" | tee "$TMP/rows" |
		awk -F, -v m="$metric" -v size="$3" '
		$4 == m { print (m == "MB_per_s") ? $5 * 1e6 / size : $5 }'
}

rc=0
for w in ${BENCH_PROFILE:-dgram:64}; do
	kind=${w%%:*} size=${w#*:}
	case $kind in
	dgram) fams="toy udp unix" ;;
	stream) fams="toy tcp unix" ;;
	*) echo "profile-guest.sh: unknown workload $w" >&2; rc=1; continue ;;
	esac
	for f in $fams; do
		r=$(rate "$kind" "$f" "$size")
		if [[ -z $r ]]; then
			echo "profile-guest.sh: toybench $kind $f $size failed" >&2
			rc=1
			continue
		fi
		echo "==== profile $kind $size $f: $(awk -v r="$r" 'BEGIN { printf "%.0f per s, %.1f k instructions each (under -icount)", r, 1e6 / r }') ===="
		awk -F, '{ printf "%s%s=%.4g", (NR > 1 ? " " : "# "), $4, $5 } END { print "" }' "$TMP/rows"
		perf record -q -a -e cpu-clock -o "$TMP/perf.data" -- \
			"$BIN" "$kind" "$f" "$size" "$DUR" >/dev/null 2>&1
		perf report -q -i "$TMP/perf.data" --no-children --sort symbol \
			--stdio 2>/dev/null | grep -v '^$' | head -n "$TOP"
	done
done
exit $rc
