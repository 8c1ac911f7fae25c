#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# summarize.sh [LOG...] - sum the kselftest "# Totals:" lines of one or more
# logs (or stdin) and print "N passed, N failed, N skipped".
# xfail counts as passed; error and xpass count as failed.
# Exits 1 if anything failed or no Totals line was found.

awk '
/^# Totals: / {
	for (i = 3; i <= NF; i++) {
		split($i, kv, ":")
		v[kv[1]] += kv[2]
	}
	suites++
}
END {
	pass = v["pass"] + v["xfail"]
	fail = v["fail"] + v["error"] + v["xpass"]
	printf "%d passed, %d failed, %d skipped\n", pass, fail, v["skip"]
	exit (fail > 0 || suites == 0) ? 1 : 0
}' "$@"
