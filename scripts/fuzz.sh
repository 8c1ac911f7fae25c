#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh - "make fuzz": Debian's trinity, unmodified, against AF_TOY's
# socket calls, as an unprivileged user, on the debug kernel (KASAN,
# lockdep, kmemleak, hung-task and soft-lockup detectors) in QEMU.
#
# Usage:
#   scripts/fuzz.sh                    # 30 minutes of fuzzing
#   FUZZ_MINUTES=3 scripts/fuzz.sh     # what "make check" runs
#
# Builds (or reuses) the debug kernel (scripts/build-debug-kernel.sh) and
# af_toy.ko for it in build/debug, the way kunit/run.sh does, copies the
# module to build/fuzz/ (so a rebuild during the run does not matter),
# boots the kernel with scripts/vm.sh and runs scripts/guest/fuzz-guest.sh
# there, which loads the module itself (after measuring the slab baseline) with
# family=30 for trinity's "-P TIPC" (datagram, seqpacket and stream
# sockets), runs trinity as nobody, then checks that its calls reached
# AF_TOY sockets, OOM, hung tasks, soft lockups, rmmod and the slab; see
# that script for the details and for why TIPC.
#
# Pass criteria, each a TAP line: those of fuzz-guest.sh, plus "the guest
# kernel log is clean" (scripts/vm.sh: no BUG, WARNING, KASAN, lockdep,
# kmemleak, hung-task ... report, kmemleak scanned after the run).  The
# last line is "N passed, N failed, N skipped"; the exit status is 0 only
# if nothing failed.
#
# Environment:
#   FUZZ_MINUTES            minutes of fuzzing (default 30)
#   FUZZ_KO                 the module to fuzz (default: build it in build/debug)
#   FUZZ_DOMAIN, FUZZ_CHILDREN, FUZZ_SEED, FUZZ_SLAB_TOLERANCE_KB
#                           passed to scripts/guest/fuzz-guest.sh
# Logs: build/logs/fuzz.log (this output), build/logs/fuzz-serial.log (the
# guest's whole serial console, kernel log included).
#
# Nothing here loads anything into the host kernel.

set -uo pipefail

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$top" || exit 2
logs=build/logs
mkdir -p "$logs" build/fuzz

minutes=${FUZZ_MINUTES:-30}
if ! [[ $minutes =~ ^[1-9][0-9]*$ ]]; then
	echo "fuzz.sh: FUZZ_MINUTES wants whole minutes, got '$minutes'" >&2
	exit 2
fi

passed=0 failed=0

result() {	# result pass|fail NAME [detail]
	case $1 in
	pass) passed=$((passed + 1)); echo "ok - $2" ;;
	fail) failed=$((failed + 1)); echo "not ok - $2${3:+: $3}" ;;
	esac
}

summary() {
	echo
	echo "$passed passed, $failed failed, 0 skipped"
	[ "$failed" -eq 0 ]
}

main() {
	local image kdir ko rc vmlog=$logs/fuzz.vm.out line p f v
	local envs=()

	if ! image=$(scripts/build-debug-kernel.sh --print-image) ||
		! kdir=$(scripts/build-debug-kernel.sh --print-dir); then
		result fail "trinity on the debug kernel" "no debug kernel"
		summary
		return
	fi
	ko=${FUZZ_KO:-}
	if [ -z "$ko" ]; then
		# the same build as kunit/run.sh's, so the two share build/debug
		if ! ko=$(scripts/build-module.sh "$kdir" build/debug TOY_KUNIT=1 | tail -n 1); then
			result fail "trinity on the debug kernel" "af_toy.ko did not build"
			summary
			return
		fi
	fi
	if ! cp "$ko" build/fuzz/af_toy.ko; then
		result fail "trinity on the debug kernel" "no module '$ko'"
		summary
		return
	fi

	envs=(--env "FUZZ_MINUTES=$minutes" --env "FUZZ_KO=$top/build/fuzz/af_toy.ko")
	for v in FUZZ_DOMAIN FUZZ_CHILDREN FUZZ_SEED FUZZ_SLAB_TOLERANCE_KB; do
		[ -n "${!v:-}" ] && envs+=(--env "$v=${!v}")
	done
	echo "fuzz.sh: trinity for $minutes min on $image, module $ko"
	# Boot, trinity's start, slab settling, rmmod and two kmemleak scans
	# take a few minutes on the debug kernel; 15 more is ample.
	scripts/vm.sh --kernel-image "$image" --timeout $((minutes * 60 + 900)) \
		--log "$logs/fuzz-serial.log" "${envs[@]}" \
		-- scripts/guest/fuzz-guest.sh 2>&1 | tee "$vmlog"
	rc=${PIPESTATUS[0]}

	# The guest's checks, from its Totals line.
	line=$(grep -aE '^# Totals: ' "$vmlog" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/.* pass:([0-9]+).*/\1/' <<<"$line")
		f=$(sed -E 's/.* fail:([0-9]+).*/\1/' <<<"$line")
		passed=$((passed + p)) failed=$((failed + f))
		echo "# guest checks: $p passed, $f failed"
	else
		result fail "the fuzz run reported its checks" "no Totals line (vm.sh status $rc)"
	fi
	# vm.sh's own verdict on the kernel log, separate from the guest's:
	# 3 = bug report in the log, 124 = timeout, 125 = no result (panic).
	if [ "$rc" -ne 3 ] && [ "$rc" -ne 124 ] && [ "$rc" -ne 125 ] &&
		! grep -aq "KERNEL LOG CHECK FAILED" "$vmlog"; then
		result pass "guest kernel log clean after fuzzing (KASAN, lockdep, kmemleak, WARN, ...)"
	else
		result fail "guest kernel log clean after fuzzing" "vm.sh status $rc, see $logs/fuzz-serial.log"
	fi
	summary
}

main 2>&1 | tee "$logs/fuzz.log"
exit "${PIPESTATUS[0]}"
