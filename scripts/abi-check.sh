#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# abi-check.sh - the user ABI structs of include/uapi/linux/toy.h have no
# holes and no padding, and the sizes the README and toy(7) promise:
# struct sockaddr_toy 16 bytes (as sockaddr_in), struct toyhdr
# TOY_HDR_LEN (32) bytes.  Run by scripts/check.sh with the static checks.
#
# A tiny userspace C file includes <linux/toy.h> as a program sees it
# (-I the uapi folder, the system's <linux/types.h>) and is compiled with
# -g; pahole (dwarves) reads the structs from its DWARF, and any "hole"
# or "padding" line in its layout fails the check, as does a size other
# than the expected one or a struct pahole cannot find.
#
# Prints one line per check, "ok - NAME" or "not ok - NAME: detail" (the
# lines check.sh's result() prints, which check.sh counts), with pahole's
# layout as "# " lines after a failure; exits 1 if any failed.
#
# Usage: scripts/abi-check.sh [UAPI_DIR]
#   UAPI_DIR  the folder holding linux/toy.h (default include/uapi of this
#             checkout); another one checks a scratch copy
# Needs gcc and pahole (scripts/setup.sh installs dwarves).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
uapi=$(cd "${1:-$top/include/uapi}" && pwd) || exit 1
failed=0

pass() {	# pass NAME
	echo "ok - $1"
}

fail() {	# fail NAME DETAIL [OUTPUT]
	local line

	failed=$((failed + 1))
	echo "not ok - $1: $2"
	if [ -n "${3:-}" ]; then
		while IFS= read -r line; do
			echo "# $line"
		done <<<"$3"
	fi
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/abi-check.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT

names=("struct sockaddr_toy" "struct toyhdr")
if ! command -v pahole >/dev/null; then
	for n in "${names[@]}"; do
		fail "$n: no holes or padding (pahole)" "pahole is not installed (scripts/setup.sh: dwarves)"
	done
	exit 1
fi

# The header as userspace compiles it; non-static objects of both types
# so that their DWARF is emitted.
cat >"$scratch/abi.c" <<'EOF'
#include <linux/toy.h>

struct sockaddr_toy abi_check_addr;
struct toyhdr abi_check_hdr;
EOF
if ! out=$(${CC:-cc} -g -O0 -c -I"$uapi" -o "$scratch/abi.o" \
	"$scratch/abi.c" 2>&1); then
	for n in "${names[@]}"; do
		fail "$n: no holes or padding (pahole)" "$uapi/linux/toy.h does not compile" "$out"
	done
	exit 1
fi

# TOY_HDR_LEN as the header defines it
hdr_len=$(printf '#include <linux/toy.h>\nTOY_HDR_LEN\n' |
	${CC:-cc} -E -P -I"$uapi" - 2>/dev/null | tail -n 1 | tr -d ' ()')
case $hdr_len in
'' | *[!0-9]*)
	fail "TOY_HDR_LEN is a number" "got '$hdr_len'"
	hdr_len=32
	;;
esac

# check STRUCT SIZE: pahole's layout of STRUCT has no hole or padding
# line and its size is SIZE.
check() {
	local s=$1 want=$2 layout size bad name

	name="struct $s: no holes or padding, $want bytes (pahole)"
	layout=$(pahole -C "$s" "$scratch/abi.o" 2>&1)
	if ! grep -q "^struct $s {" <<<"$layout"; then
		fail "$name" "pahole did not find it" "$layout"
		return
	fi
	size=$(sed -n 's|.*/\* size: \([0-9]*\),.*|\1|p' <<<"$layout")
	bad=$(grep -iE 'hole|padding' <<<"$layout")
	if [ -n "$bad" ]; then
		# "/* XXX 2 bytes hole, try to pack */" -> "XXX 2 bytes hole, try to pack"
		fail "$name" "$(sed -E 's|^[[:space:]]*/\* *||; s| *\*/$||' <<<"$bad" |
			paste -sd ';' | sed 's/;/; /g')" "$layout"
	elif [ "$size" != "$want" ]; then
		fail "$name" "size ${size:-unknown}" "$layout"
	else
		pass "$name"
	fi
}

check sockaddr_toy 16
check toyhdr "$hdr_len"

[ "$failed" -eq 0 ]
