#!/bin/bash
# scripts/kernels.sh - print the installed stock Debian kernel releases that
# AF_TOY is tested against, one per line:
#   - the 6.1 kernel (linux-image-amd64 on bookworm, e.g. 6.1.0-56-amd64);
#   - the newest 6.12.*+deb12-amd64 kernel.
# A release is listed only if both /boot/vmlinuz-RELEASE and the build tree
# /lib/modules/RELEASE/build (the headers package) exist.
#
# Usage: scripts/kernels.sh [6.1 | 6.12]
#   With an argument, print only that series (exit 1 if it is not installed).
#   scripts/setup.sh installs both.

set -euo pipefail

usage() {
	sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"
}

want=all
case "${1:-}" in
-h | --help)
	usage
	exit 0
	;;
"") ;;
6.1 | 6.12) want=$1 ;;
*)
	echo "kernels.sh: unknown argument '$1' (try --help)" >&2
	exit 2
	;;
esac

# newest PATTERN... : newest usable release whose name matches one of the
# extended regexps.
newest() {
	local f rel
	for f in /boot/vmlinuz-*; do
		[[ -e $f ]] || continue
		rel=${f#/boot/vmlinuz-}
		[[ -d /lib/modules/$rel/build ]] || continue
		printf '%s\n' "$rel"
	done | grep -E "$1" | sort -V | tail -n 1
}

# 6.1.0-N-amd64 (Debian 12's ABI names) or a plain 6.1.N[+deb12]-amd64.
k61=$(newest '^6\.1\.[0-9]+(-[0-9]+)?(\+deb12)?-amd64$' || true)
k612=$(newest '^6\.12\.[0-9]+\+deb12-amd64$' || true)

rc=0
if [[ $want == all || $want == 6.1 ]]; then
	if [[ -n $k61 ]]; then echo "$k61"; else
		echo "kernels.sh: no 6.1 kernel with headers installed (run scripts/setup.sh)" >&2
		rc=1
	fi
fi
if [[ $want == all || $want == 6.12 ]]; then
	if [[ -n $k612 ]]; then echo "$k612"; else
		echo "kernels.sh: no 6.12 kernel with headers installed (run scripts/setup.sh)" >&2
		rc=1
	fi
fi
exit $rc
