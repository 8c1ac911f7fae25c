#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lab-exercise.sh - the graded exercises of the lab: labs 7 and 8.
#
#   scripts/lab-exercise.sh list
#   scripts/lab-exercise.sh start EXERCISE   set the exercise up in this tree
#   scripts/lab-exercise.sh grade EXERCISE   build this tree's module, run
#                                            the exercise's tests in a VM,
#                                            print the weighted grade
#   scripts/lab-exercise.sh score EXERCISE LOG   grade the output of a
#                                            run of the suites
#   scripts/lab-exercise.sh check [LOG [DEBUGLOG]]  for CI, on scratch
#                                            copies of the tree (see below)
#
# Exercises:
#   07-NAME   lab 7, docs/lab/exercises/07-NAME.txt: "start" replaces the
#             body of one function of the module with a stub (the real body
#             is the solution: "git diff" shows it gone, "git checkout FILE"
#             brings it back); the graded tests are listed in that file,
#             with their weights
#   08-NN     lab 8, docs/lab/bugs/NN-*.patch: "start" applies a patch
#             that breaks the module on purpose; the graded tests are the
#             patch's "Test:" lines.  A patch with a "Kernel: debug" line
#             is graded on the debug kernel (scripts/build-debug-kernel.sh:
#             kmemleak, KASAN, lockdep; built once, about 5 minutes), for
#             a bug only its detectors see
#
# "grade" is exactly what CI runs: the module built from this tree (W=1,
# against the stock 6.1 kernel, or KERNEL=6.12), the suites the tests
# belong to run in a VM, and each graded test's TAP line read from their
# output.  A test that did not report counts as failed.  Exit 0 only if
# every graded test passed.
#
# "check" proves every exercise is solvable and still means something:
# for each one, on a scratch copy of the tree, "start" applies cleanly, the
# module builds without warnings, and "grade" fails; and the tree as it
# is passes every exercise's grade.  Its output is "ok -" / "not ok -"
# lines.  LOG (a 6.1 run of the suites) and DEBUGLOG (a debug kernel
# run) spare it the VM runs of the tree as it is.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
labdir=$top/docs/lab

die() { echo "lab-exercise.sh: $*" >&2; exit 2; }

usage() {
	sed -n '4,/^$/{s/^# \{0,1\}//;p}' "$0"
}

# spec EXERCISE: the file that defines it
spec() {
	local f

	case $1 in
	07-*) f=$labdir/exercises/$1.txt ;;
	08-*) f=$(find "$labdir/bugs" -name "${1#08-}-*.patch" | head -n 1) ;;
	*) f= ;;
	esac
	if [ -z "$f" ] || [ ! -f "$f" ]; then
		die "no exercise '$1' (try: $0 list)"
	fi
	echo "$f"
}

list() {
	local f

	shopt -s nullglob
	for f in "$labdir"/exercises/07-*.txt; do
		f=${f##*/}
		echo "${f%.txt}"
	done
	for f in "$labdir"/bugs/[0-9][0-9]-*.patch; do
		f=${f##*/}
		echo "08-${f%%-*}"
	done
}

# tests EXERCISE: "WEIGHT SUITE TEST" lines
tests() {
	local f

	f=$(spec "$1")
	case $1 in
	07-*) sed -n 's/^test[[:space:]]\+//p' "$f" ;;
	08-*) sed -n 's/^Test:[[:space:]]\+/1 /p' "$f" ;;
	esac
}

# stub_function FILE FUNCTION BODY: the function's body becomes the text
# in the file BODY.  The function is found by its definition line
# "...FUNCTION(" and ends at the next "}" in column 0 (kernel style).
stub_function() {
	local file=$1 fn=$2 body=$3

	grep -q "^[a-z].*[ *]$fn(" "$file" || die "$fn not found in $file"
	awk -v fn="$fn" -v body="$body" '
		state == 0 && $0 ~ "^[a-z].*[ *]" fn "\\(" { state = 1 }
		state == 1 && /^\{/ {
			print
			print "\t/* Lab 7: yours to write (docs/lab/07-implement.md). */"
			while ((getline line < body) > 0)
				print line
			state = 2
			next
		}
		state == 2 && /^\}/ { state = 3 }
		state == 2 { next }
		{ print }' "$file" >"$file.lab" && mv "$file.lab" "$file"
}

# start EXERCISE [TREE]
start() {
	local f tree=${2:-$top} file fn body rc

	f=$(spec "$1")
	case $1 in
	07-*)
		file=$(sed -n 's/^file[[:space:]]\+//p' "$f")
		fn=$(sed -n 's/^function[[:space:]]\+//p' "$f")
		# The stub: one "stub" line, or a "skeleton" file of C (a
		# part of the body kept, the rest left to write).
		body=$(mktemp)
		if grep -q '^skeleton[[:space:]]' "$f"; then
			cat "$labdir/exercises/$(sed -n 's/^skeleton[[:space:]]\+//p' "$f")" >"$body"
		else
			printf '\t%s\n' "$(sed -n 's/^stub[[:space:]]\+//p' "$f")" >"$body"
		fi
		stub_function "$tree/$file" "$fn" "$body"
		rc=$?
		rm -f "$body"
		[ $rc -eq 0 ] || return 1
		echo "lab 7: $fn() in $file is now a stub; write it, then: make grade LAB=${1}"
		;;
	08-*)
		patch -d "$tree" -p1 --forward --quiet <"$f" ||
			{ echo "lab-exercise.sh: ${f##*/} does not apply" >&2; return 1; }
		echo "lab 8: ${f##*/} applied: the module is broken on purpose; find how, then: make grade LAB=${1}"
		;;
	esac
}

# on_debug EXERCISE: is it graded on the debug kernel?
on_debug() {
	case $1 in
	08-*) grep -q '^Kernel:[[:space:]]*debug' "$(spec "$1")" ;;
	*) false ;;
	esac
}

# target stock|debug: the kernel to build for and boot, in $kernel (a
# name for the build folder), $kdir (its build tree) and $vmkernel
# (vm.sh's arguments).  The debug kernel is built if it is not yet.
target() {
	local image

	if [ "$1" = debug ]; then
		kernel=debug
		kdir=$("$top"/scripts/build-debug-kernel.sh --print-dir) &&
			image=$("$top"/scripts/build-debug-kernel.sh --print-image) ||
			die "no debug kernel (scripts/build-debug-kernel.sh failed)"
		# the graded tests say what matters; vm.sh's own kmemleak
		# scans would only add half a minute
		vmkernel=(--kernel-image "$image" --no-kmemleak)
	else
		kernel=$stock
		kdir=/lib/modules/$stock/build
		vmkernel=(--kernel "$stock")
	fi
}

# target_of EXERCISE: target() for the exercise
target_of() {
	if on_debug "$1"; then target debug; else target stock; fi
}

# build TREE LOG: the module of TREE for $kernel, W=1; fails on a warning.
# TREE's own build-module.sh: it builds the sources next to it.
build() {
	"$1"/scripts/build-module.sh "$kdir" \
		"$1/build/lab-$kernel" >"$2" 2>&1 &&
		! grep -v "Skipping BTF" "$2" | grep -q "warning:\|error:"
}

# run_suites TREE OUT SUITE...: the suites in a VM, on TREE's module
run_suites() {
	local tree=$1 out=$2

	shift 2
	(cd "$tree" && "$top"/scripts/vm.sh "${vmkernel[@]}" \
		--module "build/lab-$kernel/af_toy.ko" --timeout 1500 \
		--env "TOY_KO=$tree/build/lab-$kernel/af_toy.ko" \
		--env "TOY_TESTS=$*" \
		-- "cd '$tree' && scripts/guest/run-in-guest.sh") >"$out" 2>&1
}

# score OUT EXERCISE: print each graded test and the grade; 0 if all pass
score() {
	local out=$1 w suite name line got=0 all=0 failed=0

	while read -r w suite name; do
		all=$((all + w))
		# the suite's own section of the output: names repeat across
		# suites (dgram_test and toy_test both have dgram.toy.*)
		line=$(awk -v s="$suite" '
			$0 == "# ==== " s " ====" { on = 1; next }
			on && /^# ==== / { on = 0 }
			on' "$out" | grep -aE "^(not )?ok [0-9]+ (- )?$name([ :]|$)" | head -n 1)
		case $line in
		"ok "*" # SKIP"*) echo "  FAIL  $w  $suite $name (skipped)"; failed=1 ;;
		"ok "*) echo "  pass  $w  $suite $name"; got=$((got + w)) ;;
		"") echo "  FAIL  $w  $suite $name (did not report)"; failed=1 ;;
		*) echo "  FAIL  $w  $suite $name"; failed=1 ;;
		esac
	done < <(tests "$2")
	echo "grade: $got/$all"
	[ $failed -eq 0 ]
}

# grade EXERCISE [TREE]
grade() {
	local tree=${2:-$top} out
	local -a suites

	mkdir -p "$tree/build/logs"
	out=$tree/build/logs/grade-$1.log
	target_of "$1"
	build "$tree" "$out.build" ||
		{ cat "$out.build"; echo "grade: 0 (the module does not build without warnings)"; return 1; }
	(cd "$tree" && make -s -j"$(nproc)" -C tests >/dev/null) || die "the test programs do not build"
	mapfile -t suites < <(tests "$1" | awk '{ print $2 }' | sort -u)
	echo "lab-exercise.sh: $1 on $kernel: running ${suites[*]} (output in $out)"
	run_suites "$tree" "$out" "${suites[@]}"
	score "$out" "$1"
}

# copy_tree DIR: the tree's files (tracked and new, not ignored) in DIR
copy_tree() {
	mkdir -p "$1"
	(cd "$top" && git ls-files -co --exclude-standard -z |
		xargs -0 cp --parents -t "$1")
}

# solutions stock|debug LOG OUT: in OUT, the output of the suites that
# grade the exercises on that kernel, for the tree as it is: LOG if
# given, else a VM run.  OUT stays empty if no exercise is graded there.
solutions() {
	local kind=$1 ex
	local -a suites

	: >"$3"
	mapfile -t suites < <(for ex in $(list); do
		if { [ "$kind" = debug ] && on_debug "$ex"; } ||
		   { [ "$kind" = stock ] && ! on_debug "$ex"; }; then
			tests "$ex"
		fi
	done | awk '{ print $2 }' | sort -u)
	[ ${#suites[@]} -gt 0 ] || return 0
	if [ -n "$2" ]; then
		cp "$2" "$3"
		return 0
	fi
	target "$kind"
	rm -rf "$scratch/tree"
	copy_tree "$scratch/tree"
	if ! build "$scratch/tree" "$scratch/build.log" ||
		! make -s -j"$(nproc)" -C "$scratch/tree/tests" >/dev/null 2>&1; then
		echo "not ok - lab exercises: the tree itself does not build for $kind"
		return 1
	fi
	run_suites "$scratch/tree" "$3" "${suites[@]}"
}

check() {
	local ex rc=0 out
	local -a suites

	# global: the EXIT trap runs after this function has returned
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/lab-exercise.XXXXXX")
	trap 'rm -rf "$scratch"' EXIT
	for ex in $(list); do
		rm -rf "$scratch/tree"
		copy_tree "$scratch/tree"
		if ! start "$ex" "$scratch/tree" >/dev/null; then
			echo "not ok - lab exercise $ex: start does not apply"
			rc=1
			continue
		fi
		target_of "$ex"
		if build "$scratch/tree" "$scratch/build.log"; then
			echo "ok - lab exercise $ex: the exercise's module builds without warnings"
		else
			echo "not ok - lab exercise $ex: the exercise's module does not build W=1 clean"
			sed 's/^/#   /' "$scratch/build.log" | grep -E 'warning|error' | head
			rc=1
			continue
		fi
		make -s -j"$(nproc)" -C "$scratch/tree/tests" >/dev/null 2>&1
		SECONDS=0
		mapfile -t suites < <(tests "$ex" | awk '{ print $2 }' | sort -u)
		run_suites "$scratch/tree" "$scratch/out" "${suites[@]}"
		if score "$scratch/out" "$ex" >"$scratch/score"; then
			echo "not ok - lab exercise $ex: its grader passes before any work is done"
			rc=1
		else
			echo "ok - lab exercise $ex: its grader fails until it is solved ($(tail -n 1 "$scratch/score"))"
		fi
		sed 's/^/#/' "$scratch/score"
		echo "# $ex: its VM run took $SECONDS s"
	done

	# The solutions: the tree as it is passes every grader.  Graded
	# from LOG (the exercises on a stock kernel) and DEBUGLOG (those on
	# the debug kernel), outputs of the suites that check.sh passes;
	# else from a VM run of their own.
	solutions stock "${1:-}" "$scratch/out" || rc=1
	solutions debug "${2:-}" "$scratch/out-debug" || rc=1
	for ex in $(list); do
		out=$scratch/out
		on_debug "$ex" && out=$scratch/out-debug
		if score "$out" "$ex" >"$scratch/score"; then
			echo "ok - lab exercise $ex: the tree as it is passes its grader ($(tail -n 1 "$scratch/score"))"
		else
			echo "not ok - lab exercise $ex: the tree as it is fails its grader"
			sed 's/^/#/' "$scratch/score"
			rc=1
		fi
	done
	return $rc
}

stock=$("$top"/scripts/kernels.sh "${KERNEL:-6.1}") || die "no ${KERNEL:-6.1} kernel installed (scripts/setup.sh)"
kernel=$stock

case "${1:-}" in
list) list ;;
start) [ $# -eq 2 ] || die "usage: $0 start EXERCISE"; start "$2" ;;
grade) [ $# -eq 2 ] || die "usage: $0 grade EXERCISE"; grade "$2" ;;
check) check "${2:-}" "${3:-}" ;;
score) [ $# -eq 3 ] || die "usage: $0 score EXERCISE LOG"; score "$3" "$2" ;;
-h | --help) usage ;;
*) usage >&2; exit 2 ;;
esac
