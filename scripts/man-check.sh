#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# man-check.sh - check the man page man/toy.7 on the host; run by
# scripts/check.sh with the static checks.
#
# Prints one line per check, "ok - NAME" or "not ok - NAME: detail" (the
# lines check.sh's result() prints, which check.sh counts), with the
# tools' own output after a failure as "# " lines; exits 1 if any failed.
#
#   - mandoc -Tlint -W warning prints nothing (-W warning: mandoc's STYLE
#     notes, such as the lower-case title man-pages uses, are not faults);
#   - groff -man -ww -z prints nothing (groff exits 0 on warnings);
#   - lexgrog finds the NAME line, as mandb(8) and whatis(1) need it;
#   - ERRORS lists exactly the errnos the module can return
#     (scripts/man-errnos.py);
#   - every /proc/net/toy_snmp counter and every sysctl that toy_proc.c
#     registers is an entry of the page;
#   - the EXAMPLES program compiles with -Wall -Wextra -Werror
#     (scripts/man-example.sh extracts it; tests/Makefile builds it and
#     tests/man_example_test.sh runs it in the VM).
#
# Needs mandoc, groff-base and man-db (scripts/setup.sh installs them).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
page=man/toy.7
failed=0

pass() {	# pass NAME
	echo "ok - $1"
}

# comment: standard input as TAP comment lines
comment() {
	sed 's/^/# /'
}

fail() {	# fail NAME DETAIL [OUTPUT]
	failed=$((failed + 1))
	echo "not ok - $1: $2"
	if [ -n "${3:-}" ]; then
		comment <<<"$3"
	fi
}

# quiet NAME CMD...: pass if CMD exits 0 and prints nothing at all
quiet() {
	local name=$1 out rc
	shift
	if ! command -v "$1" >/dev/null; then
		fail "$name" "$1 is not installed (scripts/setup.sh)"
		return
	fi
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, $(wc -l <<<"$out") lines of output" "$out"
	fi
}

if [ ! -f "$page" ]; then
	fail "man page $page exists" "missing"
	exit 1
fi

quiet "toy.7: mandoc -Tlint -W warning is clean" \
	mandoc -Tlint -W warning "$page"
quiet "toy.7: groff -man -ww -z prints nothing" \
	groff -man -ww -z "$page"

name="toy.7: lexgrog parses NAME"
if out=$(lexgrog "$page" 2>&1) && grep -q ': "toy - ' <<<"$out"; then
	pass "$name"
else
	fail "$name" "lexgrog says: ${out:-nothing}"
fi

name="toy.7: ERRORS lists exactly the errnos the module returns"
if out=$(scripts/man-errnos.py "$page" 2>&1); then
	pass "$name"
else
	fail "$name" "$(wc -l <<<"$out") differences (scripts/man-errnos.py)" "$out"
fi

# Each counter name in toy_mib_names[], each .procname: a tag of the page
# (".I InDatagrams", ".IR toy_mem \" (...)\"").
name="toy.7: every toy_snmp counter and sysctl of toy_proc.c is described"
missing=""
while read -r item; do
	grep -qE "^\.IR? $item( |\$)" "$page" || missing="$missing $item"
done < <(sed -nE \
	-e 's/^[[:space:]]*\[TOY_MIB_[A-Z]+\][[:space:]]*= "([A-Za-z]+)",$/\1/p' \
	-e 's/^[[:space:]]*\.procname[[:space:]]*= "([a-z_]+)",$/\1/p' toy_proc.c)
if [ -n "$missing" ]; then
	fail "$name" "no entry for$missing"
else
	pass "$name"
fi

name="toy.7: the EXAMPLES program compiles with -Wall -Wextra -Werror"
if ! src=$(scripts/man-example.sh "$page" toy_pair.c 2>&1); then
	fail "$name" "cannot extract it" "$src"
elif out=$(gcc -Wall -Wextra -Werror -Iinclude/uapi -fsyntax-only \
	-x c - 2>&1 <<<"$src"); then
	pass "$name"
else
	fail "$name" "gcc failed" "$out"
fi

[ "$failed" -eq 0 ]
