# SPDX-License-Identifier: GPL-2.0
#
# tap.sh - sourced by the shell suites: TAP output with kselftest's
# "# Totals:" line, and a scratch folder and the processes a suite starts,
# both cleaned up however the suite ends.
#
#   . "$(dirname "$(readlink -f "$0")")/tap.sh"
#   ok "name"; not_ok "name"; skip_t "name" "why"; diag "text"
#   tap_scratch socat_test      # $TMP exists; add background pids to $PIDS
#   tap_totals                  # last: the line run-in-guest.sh sums

pass=0
fail=0
skip=0
num=0

ok()      { num=$((num + 1)); pass=$((pass + 1)); echo "ok $num - $1"; }
not_ok()  { num=$((num + 1)); fail=$((fail + 1)); echo "not ok $num - $1"; }
skip_t()  { num=$((num + 1)); skip=$((skip + 1)); echo "ok $num - $1 # SKIP $2"; }
diag()    { echo "# $*"; }

# tap_totals: the kselftest-style summary of what was reported so far
tap_totals() {
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
}

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
