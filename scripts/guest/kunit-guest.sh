#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kunit-guest.sh - run the AF_TOY KUnit suites; runs INSIDE the VM.
#
# Expects af_toy.ko to be loaded already (scripts/vm.sh --module) and
# TOY_KUNIT_KO to name af_toy_kunit.ko.  Loading the test module runs its
# suites (in 6.1 a module's suites run at insmod and print KTAP to the
# kernel log).  This script then cuts that KTAP out of the kernel log,
# puts a top-level header in front (a module's suites print none), writes
# it to stdout between the markers below, and unloads the test module.
#
# Also keeps a process in a second network namespace during the run, for
# the per-namespace tests: a module cannot create a namespace itself.
#
# Exit status: 0 all suites passed or skipped, 1 some failed, 2 no results
# (insmod failed, or no KTAP in the log).  kunit/run.sh drives all this.

set -u

BEGIN='==== af_toy-kunit ktap begin ===='
END='==== af_toy-kunit ktap end ===='
ko=${TOY_KUNIT_KO:-}
if [ -z "$ko" ] || [ ! -f "$ko" ]; then
	echo "kunit-guest.sh: TOY_KUNIT_KO='$ko' is not a file" >&2
	exit 2
fi
if ! grep -q '^af_toy ' /proc/modules; then
	echo "kunit-guest.sh: af_toy is not loaded" >&2
	exit 2
fi

# A second namespace (its own toy0 and port tables) for the isolation tests.
unshare --net sleep 3600 2>/dev/null &
nspid=$!
mine=$(readlink /proc/self/ns/net)
i=0
while [ $i -lt 100 ]; do
	ns=$(readlink "/proc/$nspid/ns/net" 2>/dev/null) || break
	[ "$ns" != "$mine" ] && break
	sleep 0.05
	i=$((i + 1))
done
if ! kill -0 "$nspid" 2>/dev/null ||
   [ "$(readlink "/proc/$nspid/ns/net" 2>/dev/null)" = "$mine" ]; then
	echo "kunit-guest.sh: no second network namespace; its tests will be skipped" >&2
	kill "$nspid" 2>/dev/null
	nspid=
else
	echo "kunit-guest.sh: second network namespace: process $nspid" >&2
fi

# Everything the suites print comes after this line in the kernel log.
mark="af_toy_kunit: run $$ $(date +%s%N)"
echo "$mark" >/dev/kmsg

start=$(date +%s%N)
insmod "$ko"
insmod_rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
[ -n "$nspid" ] && kill "$nspid" 2>/dev/null

ktap=/tmp/af_toy_kunit.ktap
dmesg | sed 's/^\[[ 0-9.]*\] //' |
	awk -v mark="$mark" '
		index($0, mark) { found = 1; started = 0; next }
		found && !started && /KTAP version [0-9]+$/ { started = 1 }
		started' >"$ktap.body"

if [ ! -s "$ktap.body" ]; then
	echo "kunit-guest.sh: no KTAP output in the kernel log (insmod status $insmod_rc)" >&2
	[ $insmod_rc -eq 0 ] && rmmod af_toy_kunit
	exit 2
fi

# One "# Subtest:" at suite level (four spaces) per suite that started.
suites=$(grep -c '^    # Subtest: ' "$ktap.body")
{
	echo "KTAP version 1"
	echo "1..$suites"
	cat "$ktap.body"
} >"$ktap"

echo "$BEGIN"
cat "$ktap"
echo "$END"
echo "kunit-guest.sh: $suites suites ran in ${elapsed} ms (insmod to return)" >&2

rc=0
grep -q '^not ok ' "$ktap" && rc=1
if [ $insmod_rc -ne 0 ]; then
	echo "kunit-guest.sh: insmod $ko failed with status $insmod_rc" >&2
	rc=2
else
	rmmod af_toy_kunit || rc=2
fi
exit $rc
