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
#
# Each .dot is rendered to .svg with graphviz.  The module is the one built
# against the stock 6.1 kernel (build/RELEASE/af_toy.ko), built first.
#
# Usage: scripts/diagrams.sh [--check]
#   --check   regenerate the .dot files in a scratch folder and fail
#             (listing the difference) if they differ from the committed
#             ones; prints "ok - ..." / "not ok - ..." lines
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=docs/diagrams

k=$(scripts/kernels.sh 6.1)
ko=build/$k/af_toy.ko
scripts/build-module.sh "/lib/modules/$k/build" "build/$k" >/dev/null

draw() {	# draw DIR: the .dot files into DIR
	scripts/struct-graph.py "$ko" >"$1/structs.dot"
	scripts/ops-map.py --dot "$ko" >"$1/ops.dot"
}

if [ "${1:-}" = --check ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	draw "$tmp"
	rc=0
	for f in structs.dot ops.dot; do
		if diff -u "$out/$f" "$tmp/$f" >"$tmp/diff"; then
			echo "ok - $out/$f is what make diagrams draws from the module"
		else
			echo "not ok - $out/$f differs from the module (run make diagrams):"
			sed 's/^/#   /' "$tmp/diff" | head -n 40
			rc=1
		fi
	done
	exit $rc
fi

mkdir -p "$out"
draw "$out"
for f in "$out"/*.dot; do
	dot -Tsvg "$f" -o "${f%.dot}.svg"
done
ls "$out"
