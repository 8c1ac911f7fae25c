#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# diagrams.sh - "make diagrams": draw docs/diagrams/ from the built module,
# so that the pictures cannot drift from the code.
#
#   structs.dot   the structures and how they point at one another, with
#                 sizes and offsets (scripts/struct-graph.py, from pahole)
#   ops.dot       every slot of every operation table and the function in
#                 it (scripts/ops-map.py, from the module's relocations)
#   path-dgram.txt, path-stream.txt
#                 the runtime path of one datagram and of one stream
#                 segment: every call of the module's functions (and of a
#                 few kernel ones) that function_graph records, traced in
#                 a VM on the stock 6.1 kernel (scripts/guest/path-trace.sh)
#   path-dgram.dot, path-stream.dot
#                 those call trees drawn (scripts/path-graph.py)
#
# Each .dot is rendered to .svg with graphviz.  The module is the one built
# against the stock 6.1 kernel (build/RELEASE/af_toy.ko), built first.
#
# Usage: scripts/diagrams.sh [--check]
#   --check   regenerate the .dot files in a scratch folder and fail
#             (listing the difference) if they differ from the committed
#             ones; prints "ok - ..." / "not ok - ..." lines.  The paths'
#             .dot files are drawn from the committed .txt files; that
#             those are still the module's paths needs a VM, and
#             tests/path_test.sh checks it in make check's 6.1 suite.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=docs/diagrams

k=$(scripts/kernels.sh 6.1)
ko=build/$k/af_toy.ko
scripts/build-module.sh "/lib/modules/$k/build" "build/$k" >/dev/null

PATHS="dgram stream"
declare -A TITLE=([dgram]="One datagram to itself on toy0: sendto(), then recv()"
	[stream]="One stream segment on toy0: send() on the client, then poll() and recv() on the accepted socket")

draw() {	# draw DIR: the .dot files into DIR
	local p

	scripts/struct-graph.py "$ko" >"$1/structs.dot"
	scripts/ops-map.py --dot "$ko" >"$1/ops.dot"
	for p in $PATHS; do
		scripts/path-graph.py "$out/path-$p.txt" "${TITLE[$p]}" >"$1/path-$p.dot"
	done
}

# trace_paths: path-*.txt, traced in a VM on the stock 6.1 kernel
trace_paths() {
	local log p

	make -s -C tests toy_path
	log=$(mktemp)
	scripts/vm.sh --kernel "$k" --module "$ko" --timeout 600 -- \
		"for p in $PATHS; do scripts/guest/path-trace.sh \$p >/tmp/\$p || exit 1; sed \"s/^/@\$p@/\" /tmp/\$p; done" \
		>"$log" 2>&1 || { cat "$log"; rm -f "$log"; exit 1; }
	for p in $PATHS; do
		{
			echo "# The runtime path of ${TITLE[$p],}:"
			echo "# function_graph's record of it (scripts/guest/path-trace.sh),"
			echo "# drawn as path-$p.dot by scripts/path-graph.py (make diagrams)."
			echo "# kernel: ${k%%.*}.$(echo "$k" | cut -d. -f2)"
			tr -d '\r' <"$log" | sed -n "s/^@$p@//p"
		} >"$out/path-$p.txt"
	done
	rm -f "$log"
}

if [ "${1:-}" = --check ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	draw "$tmp"
	rc=0
	for f in structs.dot ops.dot path-dgram.dot path-stream.dot; do
		if diff -u "$out/$f" "$tmp/$f" >"$tmp/diff"; then
			echo "ok - $out/$f is what make diagrams draws"
		else
			echo "not ok - $out/$f is not what make diagrams draws (run it):"
			sed 's/^/#   /' "$tmp/diff" | head -n 40
			rc=1
		fi
	done
	exit $rc
fi

mkdir -p "$out"
trace_paths
draw "$out"
for f in "$out"/*.dot; do
	dot -Tsvg "$f" -o "${f%.dot}.svg"
done
ls "$out"
