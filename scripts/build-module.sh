#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh KDIR OUTDIR [make args...]
#
# Build af_toy.ko against the kernel tree KDIR in OUTDIR, a private copy of
# the sources, so that builds for several kernels never share objects.
# Prints the path of the built module on the last line.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1
out=$(mkdir -p "$2" && cd "$2" && pwd)
shift 2


# Copy only what Kbuild needs; keep timestamps so rebuilds are incremental.
cp -p "$top"/Kbuild "$top"/*.c "$out"/
mkdir -p "$out/include"
cp -pr "$top"/include/. "$out/include/"
if [ -d "$top/kunit" ]; then
	mkdir -p "$out/kunit"
	# Kbuild compiles every kunit/*.c it finds here: drop the copy of a
	# file since removed or renamed.
	for f in "$out"/kunit/*.[ch]; do
		if [ -f "$f" ] && [ ! -e "$top/kunit/${f##*/}" ]; then
			rm -f "$f"
		fi
	done
	cp -p "$top"/kunit/*.[ch] "$out/kunit/" 2>/dev/null || true
fi

# One compiler per CPU, unless a parent make already shares out jobs: a
# -j here would then turn its jobserver off, with a warning.
jobs=()
case " ${MAKEFLAGS:-} " in
*jobserver* | *" -j"*) ;;
*) jobs=(-j"$(nproc)") ;;
esac
make -s "${jobs[@]}" -C "$kdir" M="$out" W=1 "$@" modules >&2
echo "$out/af_toy.ko"
