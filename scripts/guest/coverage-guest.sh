#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# coverage-guest.sh - run every AF_TOY test on a gcov-instrumented module
# and stream its coverage counters out; runs INSIDE the VM.
#
#   coverage-guest.sh --build-dir DIR [--kunit KO] [--stream PROG]...
#                     [--tests "SUITE..."]
#
# scripts/coverage.sh drives this: it boots the debug kernel (with
# CONFIG_GCOV_KERNEL) with DIR/af_toy.ko, built with TOY_GCOV=1 in DIR,
# already loaded, and runs this script there.  In order:
#
#   1. the KUnit suites: scripts/guest/kunit-guest.sh loads KO
#      (af_toy_kunit.ko), which runs them, and unloads it again;
#   2. each --stream PROG (stream_test, stream_stress_test: kselftest
#      programs; TOY_STREAM_MIB from the environment sizes the bulk
#      transfer);
#   3. scripts/guest/run-in-guest.sh with TOY_TESTS="SUITE..." (default: its
#      own list) and TOY_KO=DIR/af_toy.ko, so that rmmod_test can reload the
#      module.  The kernel keeps an unloaded module's counters and adds the
#      reloaded module's to them (gcov_persist=1, the default, which
#      coverage.sh also puts on the command line), so rmmod_test loses
#      nothing;
#   4. rmmod af_toy, so that module exit is counted too (same reason);
#   5. every .gcda under /sys/kernel/debug/gcov/DIR/ (the kernel names them
#      by the absolute path of the object file) is copied to /tmp, then
#      printed as base64 between markers:
#          ==== af_toy-gcda begin REL ====
#          <base64, 76 columns>
#          ==== af_toy-gcda end REL SHA256 BYTES ====
#      REL is the path below DIR (toy_proto.gcda, kunit/...).  The guest's
#      file system is read-only, so the console is the only way out.  They
#      are copied first because debugfs reports a size of 0 and the
#      counters of a loaded module keep moving.
#
# The last lines are "# coverage-guest: tests: N passed, N failed, N
# skipped" and "# coverage-guest: N gcda files".
# Exit status: 0 every test passed, 1 a test failed (the counters are still
# printed), 2 no counters (no gcov in the kernel, nothing under DIR).

set -euo pipefail

# the checkout: this script lives in scripts/guest/
top=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
build_dir=
kunit_ko=
streams=()
tests=

while [[ $# -gt 0 ]]; do
	case $1 in
	--build-dir) build_dir=$2; shift ;;
	--kunit) kunit_ko=$2; shift ;;
	--stream) streams+=("$2"); shift ;;
	--tests) tests=$2; shift ;;
	-h | --help) sed -n '4,/^$/{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "coverage-guest.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
[[ $build_dir == /* ]] || { echo "coverage-guest.sh: --build-dir wants an absolute path" >&2; exit 2; }

say() { echo "# coverage-guest: $*"; }

gcov_dir=/sys/kernel/debug/gcov$build_dir
if [[ ! -d $gcov_dir ]]; then
	say "no $gcov_dir: is the kernel built with CONFIG_GCOV_KERNEL and the module with TOY_GCOV=1?"
	exit 2
fi
if [[ ! -d /sys/module/af_toy ]]; then
	say "af_toy is not loaded"
	exit 2
fi

tmp=$(mktemp -d /tmp/coverage.XXXXXX)
all=$tmp/all.tap	# every suite's "# Totals:" line, for summarize.sh
: >"$all"

# A pseudo-suite result in kselftest form, for summarize.sh.
totals() {	# totals PASS FAIL SKIP
	echo "# Totals: pass:$1 fail:$2 xfail:0 xpass:0 skip:$3 error:0" >>"$all"
}

# --- 1. KUnit ------------------------------------------------------------------

if [[ -n $kunit_ko ]]; then
	say "==== KUnit: $kunit_ko ===="
	rc=0
	TOY_KUNIT_KO=$kunit_ko "$top/scripts/guest/kunit-guest.sh" >"$tmp/kunit.out" 2>&1 || rc=$?
	cat "$tmp/kunit.out"
	# Test cases are the results one level below the suites (4 spaces);
	# parameterised cases count once.
	p=$(grep -cE '^    ok [0-9]+ ' "$tmp/kunit.out" || true)
	s=$(grep -cE '^    ok [0-9]+ .*# SKIP' "$tmp/kunit.out" || true)
	f=$(grep -cE '^    not ok [0-9]+ ' "$tmp/kunit.out" || true)
	p=$((p - s))
	# kunit-guest.sh: 1 = a case failed (counted above), 2 = no results.
	if [[ $rc -ge 2 || $((p + f + s)) -eq 0 ]]; then
		f=$((f + 1))
		say "KUnit did not run (kunit-guest.sh status $rc)"
	fi
	say "KUnit: $p passed, $f failed, $s skipped"
	totals "$p" "$f" "$s"
fi

# --- 2. stream programs ------------------------------------------------------

for prog in "${streams[@]}"; do
	name=${prog##*/}
	say "==== $name (TOY_STREAM_MIB=${TOY_STREAM_MIB:-default}) ===="
	start=$SECONDS
	rc=0
	"$prog" </dev/null >"$tmp/$name.log" 2>&1 || rc=$?
	cat "$tmp/$name.log"
	say "$name: exit $rc, $((SECONDS - start)) s"
	grep '^# Totals: ' "$tmp/$name.log" >>"$all" || true
	if ! grep -q '^# Totals: ' "$tmp/$name.log"; then
		say "$name died without a Totals line"
		totals 0 1 0
	elif [[ $rc -ne 0 ]] && ! grep -q '^# Totals: .*fail:[1-9]' "$tmp/$name.log"; then
		say "$name exited $rc without reporting a failure"
		totals 0 1 0
	fi
done

# --- 3. the userspace suites ------------------------------------------------

say "==== scripts/guest/run-in-guest.sh (${tests:-its default suites}) ===="
rc=0
if [[ -n $tests ]]; then
	TOY_TESTS=$tests TOY_KO=$build_dir/af_toy.ko "$top/scripts/guest/run-in-guest.sh" \
		</dev/null >"$tmp/suite.out" 2>&1 || rc=$?
else
	TOY_KO=$build_dir/af_toy.ko "$top/scripts/guest/run-in-guest.sh" \
		</dev/null >"$tmp/suite.out" 2>&1 || rc=$?
fi
cat "$tmp/suite.out"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$tmp/suite.out" | tail -n 1 || true)
if [[ -n $line ]]; then
	read -r p _ f _ s _ <<<"$line"
	totals "$p" "$f" "$s"
	[[ $rc -ne 0 && $f -eq 0 ]] && totals 0 1 0
else
	say "run-in-guest.sh printed no summary (exit $rc)"
	totals 0 1 0
fi

# --- 4. unload, so that module exit is counted --------------------------------

if grep -qw 'gcov_persist=0' /proc/cmdline; then
	say "gcov_persist=0: af_toy stays loaded (unloading would drop its counters)"
elif [[ -d /sys/module/af_toy ]]; then
	# Sockets in TIME_WAIT or awaiting their RCU grace period hold the
	# module for up to a second or so after the tests end.
	i=0
	until rmmod af_toy 2>/dev/null; do
		i=$((i + 1))
		if [[ $i -ge 50 ]]; then
			say "rmmod af_toy still refused after 10 s; its exit path is not counted"
			break
		fi
		sleep 0.2
	done
	[[ -d /sys/module/af_toy ]] || say "af_toy unloaded (its counters are kept: gcov_persist)"
fi

# --- 5. the counters ------------------------------------------------------------

n=0
mkdir -p "$tmp/gcda"
# (A list file, not < <(find): the guest's devtmpfs has no /dev/fd.)
find "$gcov_dir" -name '*.gcda' \( -type f -o -type l \) -print0 | sort -z >"$tmp/list"
while IFS= read -r -d '' f; do
	rel=${f#"$gcov_dir"/}
	copy=$tmp/gcda/${rel//\//_}
	cat "$f" >"$copy"	# cat, not cp: debugfs says the size is 0
	echo "==== af_toy-gcda begin $rel ===="
	base64 -w 76 "$copy"
	echo "==== af_toy-gcda end $rel $(sha256sum <"$copy" | cut -c1-64) $(wc -c <"$copy") ===="
	n=$((n + 1))
done <"$tmp/list"

summary=$("$top/tests/summarize.sh" "$all" || true)
say "tests: $summary"
say "$n gcda files"
rm -rf "$tmp"
[[ $n -gt 0 ]] || exit 2
case $summary in
*" 0 failed,"*) exit 0 ;;
*) exit 1 ;;
esac
