#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# path-trace.sh - the runtime path of one datagram or one stream segment,
# as the kernel's function_graph tracer records it, printed as a call
# tree: the text source of docs/diagrams/path-dgram.txt and
# path-stream.txt (scripts/diagrams.sh draws them; tests/path_test.sh
# checks them against the module).
#
#   scripts/guest/path-trace.sh dgram|stream      (in the VM, as root,
#                                                  af_toy.ko loaded)
#
# What is traced: every function of af_toy.ko, plus the few kernel
# functions where a frame crosses a layer (KERNEL below), in this
# script's own task and its children only (set_ftrace_pid with
# function-fork), while tests/toy_path has tracing on: from just before
# its send to just after its receive.  Durations, CPUs and interrupts are
# left out, so the tree is the same from run to run.
#
# Exit status: 0 and the tree on stdout; 1 with a message on stderr
# (no function_graph tracer in this kernel, toy_path failed, ...).
set -u

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
T=/sys/kernel/tracing
# Syscall entries, the device queue, the softirq and the socket wake-up:
# the places the trace would otherwise jump across without a word.
KERNEL="__sys_sendto __sys_recvfrom __dev_queue_xmit netif_rx net_rx_action
__netif_receive_skb_one_core sock_def_readable skb_copy_datagram_iter
__release_sock"

die() { echo "path-trace.sh: $*" >&2; exit 1; }

case ${1:-} in
dgram | stream) ;;
*) die "usage: $0 dgram|stream" ;;
esac
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
grep -qw function_graph $T/available_tracers 2>/dev/null ||
	die "no function_graph tracer in this kernel"
[ -x "$ROOT/tests/toy_path" ] || die "tests/toy_path is not built (make -C tests)"

reset() {
	echo 0 >$T/tracing_on
	echo nop >$T/current_tracer
	: >$T/set_ftrace_filter
	: >$T/set_ftrace_pid
	echo 0 >$T/options/function-fork
}
trap reset EXIT

reset
: >$T/trace
echo ':mod:af_toy' >$T/set_ftrace_filter || die "cannot trace af_toy's functions"
for f in $KERNEL; do
	echo "$f" >>$T/set_ftrace_filter || die "cannot trace $f"
done
echo 1 >$T/options/function-fork
echo $$ >$T/set_ftrace_pid
echo function_graph >$T/current_tracer
for o in nofuncgraph-irqs nofuncgraph-duration nofuncgraph-cpu nofuncgraph-overhead; do
	echo $o >$T/trace_options
done
"$ROOT/tests/toy_path" "$1" $T/tracing_on || die "toy_path $1 failed"
# Keep calls and closing braces; drop the header and any marker lines
# (a CPU switch, a lost-events note).
sed -E 's/ \[af_toy\]//' $T/trace |
	grep -E '^ *([A-Za-z_][A-Za-z0-9_.]*\(\)( \{|;)|\})$'
