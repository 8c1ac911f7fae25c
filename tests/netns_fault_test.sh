#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# netns_fault_test.sh - a new network namespace whose set-up runs out of
# memory, at every allocation AF_TOY's pernet init makes.
#
# Making a namespace runs every pernet init: AF_TOY's state, port table,
# /proc/net/toy* and sysctls (toy_proto.c, toy_port.c, toy_proc.c), and
# toy0 (toy_netdev.c).  Each one's unwinding, and the core's undoing of
# the inits before it, runs only when an allocation fails there - which
# failslab_test.sh does not do (toy_unshare() spares namespace set-up).
# Here tests/toy_failnth fails the last NETNS_FAULT_LAST (default 1500)
# allocations of unshare(CLONE_NEWNET), one per attempt, with the
# kernel's fail-nth: AF_TOY's inits are among the last to run.
#
# failslab must count GFP_KERNEL allocations (ignore-gfp-wait N), and say
# nothing (verbose 0: its stack dumps would read as bugs in the kernel log).
# The kernel's sysctl registration does dump the stack when it fails (by
# design, in __register_sysctl_table()), and namespace set-up registers
# many tables, toy's among them: the run is bracketed by the two kernel
# log lines that tell vm.sh those plain dumps are expected (any WARN,
# BUG, KASAN or lockdep report in between still fails the run).
# What counts:
#   - no attempt kills its process, and some unshare() calls did fail;
#   - afterwards a namespace still gets its toy0 and /proc/net/toy, and
#     no AF_TOY socket is left behind.
# The VM harness then checks the kernel log (no BUG, WARNING, KASAN,
# lockdep, Call Trace) and runs kmemleak: every unwinding must free all.
#
# Usage (in the VM, as root, af_toy.ko loaded): tests/netns_fault_test.sh
# Skips, with the reason, on a kernel without fail-nth and failslab
# (only the debug kernel has them).
set -u
DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
LAST=${NETNS_FAULT_LAST:-1500}
DBG=/sys/kernel/debug
. "$DIR/tap.sh"

echo "TAP version 13"
echo "1..2"

skip_all() {
	diag "$1"
	skip_t "namespace set-up failing at each of its last allocations" "$1"
	skip_t "afterwards namespaces get toy0 and /proc/net/toy, no socket left" "$1"
	tap_totals
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
[ -d /sys/module/af_toy ] || skip_all "af_toy.ko is not loaded"
[ -x "$DIR/toy_failnth" ] || skip_all "$DIR/toy_failnth is not built (make -C tests)"
[ -d $DBG/failslab ] || mount -t debugfs none $DBG 2>/dev/null
[ -e /proc/thread-self/fail-nth ] && [ -w $DBG/failslab/ignore-gfp-wait ] ||
	skip_all "no fail-nth or failslab (CONFIG_FAULT_INJECTION_DEBUG_FS: the debug kernel has it)"

# Set a failslab knob, and put it back on exit.
saved=()
knob() {
	saved+=("$1" "$(cat "$DBG/$1")")
	echo "$2" >"$DBG/$1"
}
restore() {
	local i

	for ((i = 0; i < ${#saved[@]}; i += 2)); do
		echo "${saved[i + 1]}" >"$DBG/${saved[i]}"
	done
}
trap restore EXIT

knob failslab/verbose 0
knob fail_page_alloc/verbose 0
knob failslab/ignore-gfp-wait N

dumps_end() { echo "af_toy-test: stack dumps no longer expected" >/dev/kmsg; }
trap 'dumps_end; restore' EXIT
echo "af_toy-test: stack dumps expected from here (netns_fault_test.sh: sysctl registrations failing)" >/dev/kmsg
start=$SECONDS
out=$("$DIR/toy_failnth" "$LAST" 2>&1)
rc=$?
dumps_end
restore
saved=()
trap - EXIT
while IFS= read -r l; do diag "$l"; done <<<"$out"
diag "took $((SECONDS - start)) s"
failed=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<<"$out")
if [ $rc -eq 0 ] && [ "${failed:-0}" -gt 0 ]; then
	ok "namespace set-up failing at each of its last allocations ($failed failed cleanly)"
else
	not_ok "namespace set-up failing at each of its last allocations (exit $rc)"
fi

# The namespaces that failed are torn down by the kernel's cleanup_net
# work, asynchronously; a new one must still come up whole.
toy_sockets() { tail -n +2 /proc/net/toy | wc -l; }
if unshare -n sh -c 'ip link show toy0 >/dev/null && [ -r /proc/net/toy ]' &&
	[ "$(toy_sockets)" -eq 0 ]; then
	ok "afterwards namespaces get toy0 and /proc/net/toy, no socket left"
else
	not_ok "afterwards namespaces get toy0 and /proc/net/toy, no socket left ($(toy_sockets) sockets)"
fi
tap_totals
[ "$fail" -eq 0 ]
