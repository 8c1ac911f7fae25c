#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lab_test.sh - run every command of every lab document (docs/lab/NN-*.md)
# with Debian's clitest, as a student would type them in "make lab", and
# check what each prints.  One TAP test per lab.
#
# clitest compares output but ignores exit statuses.  So each "$ " line
# without its own "#=> --exit N" is run as "CMD || __lab_rc $? LINE": a
# command that fails fails its lab, naming the document's line, even when
# its output matched.  Commands run in one bash session per document
# (with pipefail), from the top of the repository.
#
# A lab that needs something this kernel lacks says so in a comment,
#   <!-- lab-needs: tracing -->   trace events of af_toy (tracefs)
#   <!-- lab-needs: netem -->     the sch_netem qdisc
#   <!-- lab-needs: veth -->      veth pairs (UDP/TCP side by side)
# and is skipped with that reason.  LAB_TEST_SKIP=REASON skips them all
# (check.sh sets it on the debug kernel: the labs are for the stock ones).
#
# Usage (in the VM, as root, af_toy.ko loaded): tests/lab_test.sh [NN...]
set -u
DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
TOP=$(dirname "$DIR")
LABS=$TOP/docs/lab
. "$DIR/tap.sh"

echo "TAP version 13"
# (globs, not process substitution: the VM has no /dev/fd)
shopt -s nullglob
all=("$LABS"/[0-9][0-9]-*.md)
docs=()
for d in "${all[@]}"; do
	[ $# -eq 0 ] && { docs+=("$d"); continue; }
	for n in "$@"; do
		case ${d##*/} in "$n"-*) docs+=("$d") ;; esac
	done
done
echo "1..${#docs[@]}"

# lacks NEED: why this VM cannot run a lab that needs NEED (empty: it can)
lacks() {
	case $1 in
	tracing)
		[ -d /sys/kernel/tracing/events/af_toy ] ||
			echo "no af_toy trace events in this kernel"
		command -v trace-cmd >/dev/null || echo "trace-cmd is not installed"
		;;
	netem) modprobe -q sch_netem 2>/dev/null ||
		[ -d /sys/module/sch_netem ] || echo "no sch_netem in this kernel" ;;
	veth) modprobe -q veth 2>/dev/null ||
		[ -d /sys/module/veth ] || echo "no veth in this kernel" ;;
	*) echo "unknown lab-needs: $1" ;;
	esac
}

# exit_checked DOC OUT: DOC with every command's exit status checked
exit_checked() {
	awk '
	/^\$ ./ && !/#=> --exit/ && !/&[[:space:]]*$/ {
		cmd = $0; inline = ""
		i = index(cmd, "#=> ")
		if (i) { inline = " " substr(cmd, i); cmd = substr(cmd, 1, i - 1) }
		sub(/[[:space:]]+$/, "", cmd)
		print cmd " || __lab_rc $? " NR inline
		next
	}
	{ print }' "$1" >"$2"
}

tap_scratch lab_test

for doc in "${docs[@]}"; do
	name="lab ${doc#"$TOP"/}: every command runs and prints what the lab says"
	why=
	for need in $(sed -n 's/^<!-- lab-needs: \(.*\) -->$/\1/p' "$doc"); do
		why=$why$(lacks "$need")
	done
	grep -q '^\$ ' "$doc" ||
		why="no commands for the lab VM (graded by scripts/lab-exercise.sh check)"
	command -v clitest >/dev/null || why="clitest is not installed"
	[ -n "${LAB_TEST_SKIP:-}" ] && why=$LAB_TEST_SKIP
	[ "$(id -u)" -eq 0 ] || why="needs root"
	if [ -n "$why" ]; then
		skip_t "$name" "$why"
		continue
	fi
	fails=$TMP/fails
	: >"$fails"
	exit_checked "$doc" "$TMP/doc.md"
	start=$(date +%s)
	(cd "$TOP" && LAB_FAILS=$fails bash "$(command -v clitest)" \
		--progress none --color never \
		--pre-flight 'set -o pipefail; __lab_rc() { echo "line $2: exit status $1" >>"$LAB_FAILS"; return "$1"; }' \
		"$TMP/doc.md") >"$TMP/out" 2>&1
	rc=$?
	diag "$(tail -n 1 "$TMP/out") ($(($(date +%s) - start)) s)"
	if [ $rc -eq 0 ] && [ ! -s "$fails" ]; then
		ok "$name"
	else
		while IFS= read -r l; do diag "$l"; done <"$TMP/out"
		while IFS= read -r l; do diag "${doc##*/} $l"; done <"$fails"
		not_ok "$name"
	fi
done
tap_totals
[ "$fail" -eq 0 ]
