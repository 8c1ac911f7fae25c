#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - every AF_TOY test, run by "make check".
#
# Suites:
#   static        on the host: zero-warning W=1 builds for each kernel,
#                 sparse, checkpatch --strict, kernel-doc, the layer map
#                 (layers.py), man/toy.7 (man-check.sh), the user ABI
#                 structs without holes (abi-check.sh, pahole), the
#                 diagrams against the module (diagrams.sh --check), DKMS
#                 and make install on scratch trees (dkms-check.sh)
#   vm-<kernel>   in a QEMU VM per stock kernel: the userspace suite
#                 (scripts/guest/run-in-guest.sh), plus one check that the
#                 VM run finished with a clean guest kernel log
#   kunit-debug   the KUnit suites on the debug kernel (KASAN, lockdep,
#                 kmemleak), parsed by the kernel's kunit.py
#   vm-debug      the userspace suite again, on the debug kernel; the VM
#                 harness triggers a kmemleak scan before checking the log
#   lab-exercises the graded exercises of labs 7 and 8: each one applies,
#                 builds W=1 clean and fails its grader, and the tree as
#                 it is passes them all (scripts/lab-exercise.sh check)
#   fuzz-debug    2 minutes of trinity against AF_TOY as nobody on the
#                 debug kernel (scripts/fuzz.sh; "make fuzz" runs 30)
#
# Every suite adds to the totals; the last line is "N passed, N failed,
# N skipped".  Logs go to build/logs/.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
logs=build/logs
mkdir -p "$logs"

passed=0 failed=0 skipped=0
# Logs whose "not ok" lines the recap at the end repeats.
tap_logs=()
fails=()

result() {	# result pass|fail|skip NAME [detail]
	case $1 in
	pass) passed=$((passed + 1)); echo "ok - $2" ;;
	fail) failed=$((failed + 1)); echo "not ok - $2${3:+: $3}"
	      fails+=("# not ok - $2${3:+: $3}") ;;
	skip) skipped=$((skipped + 1)); echo "ok - $2 # SKIP ${3:-}" ;;
	esac
}

# ---- static checks on the host ------------------------------------------

checkpatch_dir() {	# the scripts checkpatch needs, from linux-source-6.1
	local cache=${AFTOY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/af_toy}
	local dir=$cache/checkpatch-6.1
	if [ ! -x "$dir/scripts/checkpatch.pl" ]; then
		mkdir -p "$dir"
		tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$dir" \
			--strip-components=1 \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch \
			linux-source-6.1/scripts/kernel-doc >&2 || return 1
	fi
	echo "$dir"
}

# module_c_sources: the C files of af_toy.ko, from Kbuild.  The objects
# are those of every "af_toy-y :=" or "+=" line (joined across "\" line
# ends, comments dropped); NAME.o comes from NAME.c unless Kbuild has a
# rule "$(obj)/NAME.o: $(src)/OTHER.c" (toy_family.o from af_toy.c).
# shellcheck disable=SC2016 # $(obj), $(src): make's, not the shell's
module_c_sources() {
	local -A from=()
	local target prereq objs=() obj
	while read -r target prereq _; do
		[[ $target == '$(obj)/'*.o: && $prereq == '$(src)/'*.c ]] || continue
		target=${target#'$(obj)/'}
		from[${target%:}]=${prereq#'$(src)/'}
	done <Kbuild
	read -ra objs <<<"$(sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba' -e '}' Kbuild |
		sed -nE -e 's/#.*//' -e 's/^[[:space:]]*af_toy-y[[:space:]]*[:+]?=//p' |
		tr '\n' ' ')"
	for obj in "${objs[@]}"; do
		[[ $obj == *.o ]] && echo "${from[$obj]:-${obj%.o}.c}"
	done | awk '!seen[$0]++'
}

# What checkpatch and kernel-doc read: those C files and every header.
mapfile -t c_sources < <(module_c_sources)
mapfile -t headers < <(find include -name '*.h' | LC_ALL=C sort)
sources=("${c_sources[@]}" "${headers[@]}")

# suite NAME: a suite's header, with the time make check has run so far,
# so that a slow run shows which suite the time went to.
suite() {
	echo "# suite $1 (at $((SECONDS / 60)) min $((SECONDS % 60)) s)"
}

# tap_checks WHAT SCRIPT LOGNAME [ARGS...]: run a host check that prints
# "ok -" / "not ok -" lines, and count each line; a failing exit without a
# "not ok" line counts as one failure.
tap_checks() {
	local log=$logs/$3.log line rc
	"$2" "${@:4}" >"$log" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*) result pass "${line#ok - }" ;;
		"not ok - "*) result fail "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$log"
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' "$log"; then
		result fail "$1 ($2)" "exit $rc, see $log"
	fi
}

static_checks() {
	local k log cp cp_sources
	suite "static"
	for k in "${kernels[@]}"; do
		log=$logs/build-$k.log
		if scripts/build-module.sh "/lib/modules/$k/build" "build/$k" \
			>"$log" 2>&1 && ! grep -v "Skipping BTF" "$log" |
			grep -q "warning:\|error:"; then
			result pass "W=1 build without warnings against $k"
		else
			result fail "W=1 build without warnings against $k" "see $log"
			cat "$log"
		fi
	done

	log=$logs/sparse.log
	k=${kernels[-1]}
	scripts/build-module.sh "/lib/modules/$k/build" "build/sparse-$k" \
		C=2 >"$log" 2>&1
	if ! grep -v "Skipping BTF" "$log" | grep -q "warning:\|error:"; then
		result pass "sparse (C=2) clean against $k"
	else
		result fail "sparse (C=2) clean against $k" "see $log"
		cat "$log"
	fi

	if cp=$(checkpatch_dir); then
		log=$logs/checkpatch.log
		# The trace header follows the kernel's TRACE_EVENT layout,
		# which checkpatch flags in-tree too (include/trace/events/):
		# it alone is checked without those two rules.
		mapfile -t cp_sources < <(printf '%s\n' "${sources[@]}" |
			grep -vx include/toy_trace.h)
		if "$cp/scripts/checkpatch.pl" --strict --no-tree -q -f \
			"${cp_sources[@]}" >"$log" 2>&1 &&
		   "$cp/scripts/checkpatch.pl" --strict --no-tree -q \
			--ignore PARENTHESIS_ALIGNMENT,OPEN_ENDED_LINE \
			-f include/toy_trace.h >>"$log" 2>&1; then
			result pass "checkpatch --strict clean"
		else
			result fail "checkpatch --strict clean" "see $log"
			cat "$log"
		fi
		log=$logs/kernel-doc.log
		{ "$cp/scripts/kernel-doc" -none "${sources[@]}"
		  scripts/kdoc-coverage.py "${c_sources[@]}"; } >"$log" 2>&1
		if [ ! -s "$log" ]; then
			result pass "kernel-doc on every non-static function, well-formed"
		else
			result fail "kernel-doc on every non-static function, well-formed" "see $log"
			cat "$log"
		fi
	else
		result fail "checkpatch --strict clean" "linux-source-6.1 missing"
	fi

	# The layer map (include/af_toy.h) holds: calls only go down, but
	# for the receive dispatch in toy_proto.c.
	log=$logs/layers.log
	if scripts/layers.py >"$log" 2>&1; then
		result pass "module files call only downward (scripts/layers.py)"
	else
		result fail "module files call only downward (scripts/layers.py)" "see $log"
		cat "$log"
	fi

	# man/toy.7, and the user ABI structs' holes and sizes (pahole)
	tap_checks "man page checks" scripts/man-check.sh man-check
	tap_checks "user ABI structs" scripts/abi-check.sh abi-check
	# docs/diagrams/*.dot, drawn again from the built module (the runtime
	# paths from their traced .txt: tests/path_test.sh traces them again)
	tap_checks "diagrams" scripts/diagrams.sh diagrams --check

	# The README's DKMS and "make install" commands, on scratch trees:
	# its own TAP lines, and its summary line added to the totals.
	log=$logs/dkms-check.log
	scripts/dkms-check.sh "${kernels[@]}" >"$log" 2>&1
	grep -v '^[0-9]* passed, ' "$log"
	add_summary "$log" >/dev/null ||
		result fail "DKMS and make install (scripts/dkms-check.sh)" "no summary line, see $log"
}

# ---- userspace suite in a VM per kernel ---------------------------------

# Add the "N passed, N failed, N skipped" line a guest run printed.
add_summary() {	# add_summary LOG -> returns 1 if no summary line was found
	local line p f s
	line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	[ -n "$line" ] || return 1
	p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	s=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
	echo "# guest suite: $line"
}

# The kernel-log verdict is separate from the tests' own: vm.sh reports
# bug reports even when the command also failed.
log_clean() {	# log_clean NAME RC OUTPUT
	if [ "$2" -ne 3 ] && [ "$2" -ne 124 ] && [ "$2" -ne 125 ] &&
	   ! grep -aq "KERNEL LOG CHECK FAILED" "$3"; then
		result pass "$1: finished, guest kernel log clean"
	else
		result fail "$1: finished, guest kernel log clean" "exit $2, see $3"
	fi
}

vm_suite() {	# vm_suite NAME MODULE VM.SH-KERNEL-ARGS...
	local name=$1 ko=$2 log=$logs/vm-$1.log rc
	shift 2
	suite "vm-$name"
	if [ ! -f "$ko" ]; then
		result fail "userspace suite on $name" "module did not build"
		return
	fi
	tap_logs+=("$log.out")
	scripts/vm.sh "$@" --module "$ko" --timeout 2400 --log "$log" \
		--env "TOY_KO=$top/$ko" \
		-- "cd '$top' && scripts/guest/run-in-guest.sh" 2>&1 | tee "$log.out"
	rc=${PIPESTATUS[0]}
	if ! add_summary "$log.out"; then
		result fail "userspace suite on $name" "no summary line (exit $rc)"
	fi
	log_clean "VM run on $name" "$rc" "$log.out"
}

debug_suites() {
	local log=$logs/kunit.log rc image
	suite "kunit-debug"
	tap_logs+=("$log")
	kunit/run.sh 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if ! add_summary "$log"; then
		result fail "KUnit suites on the debug kernel" "no summary line (exit $rc)"
	fi
	log_clean "KUnit run on the debug kernel" "$rc" "$log"

	if ! image=$(scripts/build-debug-kernel.sh --print-image); then
		result fail "userspace suite on the debug kernel" "no debug kernel"
		return
	fi
	# KASAN makes every byte slow: the full 256 MiB transfer runs on the
	# stock kernels, a 64 MiB one here, the netem transfers move 8 MiB
	# each way instead of 64, and the MTU test across a link 8 MiB
	# instead of 32, the mixed and loss-30% ones across a link half of
	# what the stock kernels move; the netem profiles that only change
	# timing (jitter, a rate limit) run on the stock kernels.
	vm_suite debug build/debug/af_toy.ko --kernel-image "$image" \
		--env TOY_STREAM_MIB=64 --env NETEM_MIB=8 --env LINK_PULL_MIB=8 \
		--env LINK_MIXED_MIB=0.5 --env LINK_LOSS30_MIB=0.125 \
		--env "NETEM_PROFILES=loss10 mixed loss30" \
		--env "LAB_TEST_SKIP=the labs are checked on the stock kernels, which students use" \
		--env "DISSECTOR_TEST_SKIP=the dissector is user space, checked on the stock kernels" \
		--env "AUTOLOAD_TEST_SKIP=install layout and modprobe plumbing, checked on the stock kernels" \
		--env STORM_SECONDS=20 --env LOADCYCLES=25
}

# ---- the lab's graded exercises ---------------------------------------------

# Labs 7 and 8: each exercise applies, builds W=1 clean and fails its
# grader (a VM per exercise, on 6.1, or on the debug kernel for a bug
# only its kmemleak sees); the tree as it is passes every grader, read
# from the 6.1 and debug VM suites' outputs, which ran them all.
lab_exercises() {
	suite "lab-exercises"
	local k61

	k61=$(scripts/kernels.sh 6.1)
	tap_checks "lab exercises (scripts/lab-exercise.sh check)" \
		scripts/lab-exercise.sh lab-exercises check \
		"$logs/vm-$k61.log.out" "$logs/vm-debug.log.out"
}

# ---- fuzzing on the debug kernel ------------------------------------------

# A short trinity run (scripts/fuzz.sh, whose checks are TAP lines and whose
# last line is the usual summary); it reuses build/debug/af_toy.ko as
# kunit/run.sh built it.
fuzz_suite() {
	local log=$logs/fuzz.log rc
	suite "fuzz-debug"
	# fuzz.sh writes its whole output to $log as well; no stale one
	rm -f "$log"
	tap_logs+=("$log")
	FUZZ_MINUTES=2 scripts/fuzz.sh
	rc=$?
	if ! add_summary "$log"; then
		result fail "trinity on the debug kernel" "no summary line (exit $rc)"
	fi
}

# ---- main -----------------------------------------------------------------

scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
mapfile -t kernels < <(scripts/kernels.sh)
make -s -j"$(nproc)" -C tests >"$logs/tests-build.log" 2>&1 ||
	{ cat "$logs/tests-build.log"; result fail "userspace tests build"; }
make -s examples >"$logs/examples-build.log" 2>&1 ||
	{ cat "$logs/examples-build.log"; result fail "examples build"; }

static_checks
for k in "${kernels[@]}"; do
	# The storm and the load/unload cycles, shortened (the issue's
	# 60 s / 1000 cycles runs are STORM_SECONDS=60 LOADCYCLES=1000).
	# The labs' commands (nearly 3 minutes) run on the first kernel
	# only, 6.1, the one "make lab" boots: the budget of make check is
	# 60 minutes.  "make lab-check" runs them on every stock kernel.
	# The other stock kernels move 16 MiB each way per netem transfer,
	# not 64 (the same code paths, a quarter of the time), and storm for
	# 20 s with 150 load cycles (still more than the 128 objects one
	# leaked per cycle must pass to fail the slab check).
	later=()
	[ "$k" = "${kernels[0]}" ] ||
		later=(--env "LAB_TEST_SKIP=make check runs the labs on ${kernels[0]} only, for time (make lab-check runs them on every stock kernel)"
		       --env NETEM_MIB=16 --env STORM_SECONDS=20 --env LOADCYCLES=150)
	vm_suite "$k" "build/$k/af_toy.ko" --kernel "$k" \
		--env STORM_SECONDS=30 --env LOADCYCLES=200 "${later[@]}"
done
debug_suites
lab_exercises
fuzz_suite

# The failures again, last: a reader of only the end of the output (CI
# shows its tail) learns which test failed and in which log.
recap() {
	local f
	[ "$failed" -eq 0 ] && return
	echo
	echo "# the $failed failure(s), from this run's output and logs:"
	printf '%s\n' "${fails[@]}"
	for f in "${tap_logs[@]}"; do
		[ -f "$f" ] || continue
		grep -aE '^[[:space:]#]*not ok|\[FAILED\]' "$f" | sed "s|^|# $f: |"
		# A kernel-log report: the lines vm.sh marked ">>", and the
		# 10 before the first, which say what reported it.
		grep -aq "KERNEL LOG CHECK FAILED" "$f" &&
			grep -a -B 10 -m 1 '^  >> ' "$f" | sed "s|^|# $f: |" &&
			grep -a '^  >> ' "$f" | head -n 8 | sed "s|^|# $f: |"
		recap_serial "${f%.out}"
		recap_timeout "$f"
	done
}

# A guest command that ran out of time: which suite was running, its last
# lines, and the tasks the guest's watchdog found blocked (sysrq-w, in the
# kernel log vm.sh printed); or, if the whole guest stopped answering, the
# serial log's last lines.  Without them a reader of the end of the
# output learns only "no summary line (exit 124)".
recap_timeout() {	# recap_timeout OUTPUT
	local at

	at=$(grep -anE -m 1 'af_toy-vm: command timed out|vm.sh: TIMEOUT: QEMU killed' "$1" |
		cut -d: -f1)
	[ -n "$at" ] || return 0
	head -n "$at" "$1" | tr -d '\r' | grep -a '^# ==== ' | tail -n 1 |
		sed "s|^|# $1: running: |"
	if sed -n "${at}p" "$1" | grep -q 'QEMU killed'; then
		# The guest stopped answering: vm.sh printed the serial
		# log's last lines.
		tail -n "+$at" "$1" | head -n 51 | tail -n 25 | sed "s|^|# $1: |"
		return 0
	fi
	head -n "$at" "$1" | tr -d '\r' | tail -n 13 | sed "s|^|# $1: |"
	tr -d '\r' <"$1" | sed 's/^\[ *[0-9.]*\] //' |
		awk '/Show Blocked State/ { if (n) exit; on = 1 }	# the first with tasks
		     on && /^task:|^ *[a-z_0-9.]+\+0x/ { print; if (++n == 40) exit }' |
		sed "s|^|# $1: blocked: |"
	return 0
}

# A guest that panicked or wedged: what the kernel reported and where,
# from its serial log (vm.sh keeps it when a run fails).  vm.sh printed
# the log's last lines with the suite, far above this recap, and a reader
# who sees only the end of the output (as CI shows it) would otherwise
# learn no more than "Fatal exception in interrupt", or nothing at all
# from a guest whose CPUs stopped answering.
recap_serial() {	# recap_serial SERIAL-LOG
	local reports='BUG:|Oops:|general protection|Kernel panic|soft lockup|hard LOCKUP|rcu: INFO|self-detected stall|blocked for more than|unregister_netdevice: waiting for'

	[ -f "$1" ] && grep -aqE "$reports" "$1" || return 0
	tr -d '\r' <"$1" | grep -aE "$reports" | head -n 8 | sed "s|^|# $1: |"
	echo "# $1: the first of them, and what followed it:"
	tr -d '\r' <"$1" | grep -a -A 24 -m 1 -E "$reports" | sed "s|^|# $1: |"
	return 0
}

recap
echo
echo "# make check took $((SECONDS / 60)) min $((SECONDS % 60)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
