#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit/run.sh - build and run the AF_TOY KUnit suites on the debug kernel.
#
#   kunit/run.sh [--timeout SECONDS] [--keep-log] [-- VM.SH-OPTIONS...]
#
# From the repository root (or anywhere): builds the debug kernel if it is
# not cached yet (scripts/build-debug-kernel.sh), builds af_toy.ko and
# af_toy_kunit.ko against it with TOY_KUNIT=1 in build/debug, boots it in
# QEMU (scripts/vm.sh) with af_toy.ko loaded, runs scripts/guest/kunit-guest.sh
# there, and parses the KTAP it returns with the kernel's own
# tools/testing/kunit/kunit.py parse from the same kernel source tree.
#
# Prints kunit.py's report and, last, one line "N passed, N failed, N
# skipped".  Exits non-zero if a test failed or crashed, if kunit.py found
# the output malformed or incomplete, or if the VM run failed (including a
# bug report in the guest's kernel log, which vm.sh checks).
#
# VM.SH-OPTIONS are passed to scripts/vm.sh (e.g. -- --append acpi=off).
#
# Files left in build/debug: kunit.ktap (the raw KTAP), kunit-vm.log (the
# VM's output, with the guest's whole kernel log).

set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2

timeout=1200
keep_log=()
vm_args=()
while [[ $# -gt 0 ]]; do
	case $1 in
	--timeout) timeout=$2; shift ;;
	--keep-log) keep_log=(--log "$top/build/debug/kunit-serial.log") ;;
	--) shift; vm_args=("$@"); break ;;
	-h|--help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "kunit/run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

die() {
	echo "kunit/run.sh: $*" >&2
	echo "0 passed, 0 failed, 0 skipped"
	exit 2
}

kdir=$(scripts/build-debug-kernel.sh --print-dir) || die "no debug kernel"
image=$(scripts/build-debug-kernel.sh --print-image) || die "no debug kernel"
ksrc=$(readlink -f "$kdir/source")
kunit_py=$ksrc/tools/testing/kunit/kunit.py
[[ -f $kunit_py ]] || die "$kunit_py not found"

out=$top/build/debug
echo "kunit/run.sh: building against $kdir" >&2
scripts/build-module.sh "$kdir" "$out" TOY_KUNIT=1 >/dev/null ||
	die "the build failed"
[[ -f $out/af_toy_kunit.ko ]] || die "$out/af_toy_kunit.ko was not built"

ktap=$out/kunit.ktap
vmlog=$out/kunit-vm.log
rm -f "$ktap" "$vmlog"
echo "kunit/run.sh: running the suites in QEMU (log: $vmlog)" >&2
start=$(date +%s)
scripts/vm.sh --kernel-image "$image" --timeout "$timeout" \
	"${keep_log[@]}" "${vm_args[@]}" --module "$out/af_toy.ko" --rmmod \
	--env TOY_KUNIT_KO="$out/af_toy_kunit.ko" \
	-- scripts/guest/kunit-guest.sh >"$vmlog" 2>&1
vm_rc=$?
secs=$(($(date +%s) - start))
tr -d '\r' <"$vmlog" | awk '
	/^==== af_toy-kunit ktap begin ====$/ { on = 1; next }
	/^==== af_toy-kunit ktap end ====$/ { on = 0 }
	on' >"$ktap"
grep -hE '^(vm\.sh|kunit-guest\.sh):' "$vmlog" | grep -v 'serial log' >&2

if [[ ! -s $ktap ]]; then
	echo "kunit/run.sh: no KTAP from the guest (vm.sh status $vm_rc); last lines:" >&2
	tail -n 40 "$vmlog" | sed 's/^/  | /' >&2
	die "no results"
fi

# kunit.py colours its output only on a terminal, so this is plain text.
report=$(python3 "$kunit_py" parse "$ktap" 2>&1)
parse_rc=$?
echo "$report"

# "Ran N tests: passed: P, failed: F, crashed: C, skipped: S, errors: E"
summary=$(grep -o 'Ran [0-9]* tests:.*' <<<"$report" | tail -n 1)
count() {
	local n

	n=$(grep -o "$1: [0-9]*" <<<"$summary" | grep -o '[0-9]*$')
	echo "${n:-0}"
}
passed=$(count passed)
failed=$(($(count failed) + $(count crashed)))
skipped=$(count skipped)
errors=$(count errors)

rc=0
expected=$(grep -ho '^kunit_test_suites\?(' kunit/*.c | wc -l)
suites=$(grep -m1 -o '^1\.\.[0-9]*' "$ktap" | cut -c4-)
if [[ $suites != "$expected" ]]; then
	echo "kunit/run.sh: $suites suites reported, $expected expected" >&2
	rc=1
fi
if [[ -z $summary ]]; then
	echo "kunit/run.sh: kunit.py printed no summary (status $parse_rc)" >&2
	rc=1
fi
if [[ $errors -gt 0 ]]; then
	echo "kunit/run.sh: kunit.py found $errors error(s) in the KTAP" >&2
	rc=1
fi
[[ $failed -gt 0 || $parse_rc -ne 0 ]] && rc=1
# vm.sh: 1 is the guest script saying "a test failed"; anything else
# non-zero (e.g. 3: a bug report in the kernel log) fails the run too.
if [[ $vm_rc -ne 0 && $vm_rc -ne 1 ]]; then
	echo "kunit/run.sh: the VM run failed (vm.sh status $vm_rc); see $vmlog" >&2
	rc=1
fi
echo "kunit/run.sh: VM run took ${secs}s" >&2
echo "$passed passed, $failed failed, $skipped skipped"
exit $rc
