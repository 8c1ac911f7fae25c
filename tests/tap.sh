# SPDX-License-Identifier: GPL-2.0
#
# tap.sh - sourced by the shell suites: a scratch folder and the processes
# a suite starts, both cleaned up however the suite ends.
#
#   . "$(dirname "$(readlink -f "$0")")/tap.sh"
#   tap_scratch socat_test      # $TMP exists; add background pids to $PIDS

# tap_cleanup: kill and reap every pid in $PIDS, remove $TMP
tap_cleanup() {
	local p

	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}

# tap_scratch NAME: a fresh $TMP, an empty $PIDS, and tap_cleanup on exit.
# If no folder can be made, the suite bails out with a failing Totals line.
tap_scratch() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || {
		echo "Bail out! mktemp failed"
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
		exit 1
	}
	PIDS=""
	trap tap_cleanup EXIT
}
