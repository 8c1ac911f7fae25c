#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# coverage.sh - line coverage of af_toy.ko under every test ("make coverage").
#
#   scripts/coverage.sh [--timeout SECONDS] [--tests "SUITE..."]
#                       [--stream-mib N] [--env NAME=VALUE]... [--report-only]
#
# 1. builds the debug kernel if it is not cached (scripts/build-debug-kernel.sh:
#    CONFIG_GCOV_KERNEL=y, KASAN, lockdep), then af_toy.ko and af_toy_kunit.ko
#    against it with TOY_GCOV=1 TOY_KUNIT=1 in build/coverage/ (a private
#    copy of the sources; the compiler leaves a .gcno next to each object);
# 2. boots that kernel once (scripts/vm.sh) with af_toy.ko loaded and runs
#    scripts/guest/coverage-guest.sh there: the KUnit suites, the stream
#    programs (stream_test, stream_stress_test with TOY_STREAM_MIB=N,
#    default 16), and scripts/guest/run-in-guest.sh with the userspace
#    suites, rmmod_test last (the kernel keeps an unloaded module's
#    counters: gcov_persist=1); then it unloads the module and prints
#    every .gcda from
#    /sys/kernel/debug/gcov/<build/coverage>/ as base64 between markers;
# 3. decodes them from the VM's output into build/coverage/ next to the
#    .gcno files (each checked against the size and SHA-256 the guest
#    printed), runs lcov with the gcov of the compiler that built the
#    kernel, keeps only the module's own sources (the .c files at the top
#    of the tree: not kunit/, not kernel headers) and writes:
#      build/coverage/html/index.html   the annotated sources (genhtml)
#      build/coverage/coverage.info     the lcov tracefile
#      build/coverage/summary.txt       lines and functions per file
#      build/coverage/uncovered.txt     functions never entered, and the
#                                       unexecuted lines of the others
#      build/coverage/vm.log            the VM's whole output
#
# --timeout      wall-clock limit of the VM run (default 3600; it takes
#                about 11 minutes on two busy cores)
# --stream-mib   TOY_STREAM_MIB for stream_stress_test (default 16)
# --tests        the suites for scripts/guest/run-in-guest.sh (default:
#                dgram_test dgram_stress_test toy_test socat_test.sh
#                socat_stream_test.sh rmmod_test, those that exist)
# --env          a variable for the suites in the guest (repeatable), e.g.
#                NETEM_MIB=8 as make check gives the debug kernel
# --report-only  skip the build and the VM: decode build/coverage/vm.log of
#                the last run again and redo the report
#
# Prints the per-file table and, last, one line
#   coverage: NN.N% of lines (covered/total)
# Exit status: 0 every test passed; 1 a test failed or the guest's kernel
# log has a bug report (the report is still made); 2 no coverage data, or
# the counters of an object were lost (the report is made, too low).

set -euo pipefail

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$top"
out=$top/build/coverage
vmlog=$out/vm.log
# The module's own: every .c at the top of the tree but what modpost writes.
sources=()
for s in *.c; do [[ $s == *.mod.c ]] || sources+=("$s"); done
stream_progs=(stream_test stream_stress_test)

timeout=3600
tests=
stream_mib=16
report_only=0
envs=()

usage() { sed -n '4,/^$/{s/^# \{0,1\}//;p}' "$0"; }
die() {
	echo "coverage.sh: $*" >&2
	exit 2
}
log() { echo "coverage.sh: $*" >&2; }

while [[ $# -gt 0 ]]; do
	case $1 in
	--timeout) [[ $# -ge 2 ]] || die "$1 needs a value"; timeout=$2; shift ;;
	--tests) [[ $# -ge 2 ]] || die "$1 needs a value"; tests=$2; shift ;;
	--stream-mib) [[ $# -ge 2 ]] || die "$1 needs a value"; stream_mib=$2; shift ;;
	--env) [[ $# -ge 2 && $2 == *=* ]] || die "$1 needs NAME=VALUE"; envs+=(--env "$2"); shift ;;
	--report-only) report_only=1 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
	shift
done
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout wants whole seconds"
[[ $stream_mib =~ ^[0-9]+$ ]] || die "--stream-mib wants a number"

t0=$SECONDS

# --- packages ------------------------------------------------------------------

# The VM harness and the guest's tools (qemu, busybox, socat, ...).
[[ $report_only -eq 1 ]] || scripts/setup.sh >&2 || die "scripts/setup.sh failed"
# lcov (lcov, genhtml, geninfo): ask dpkg first, apt only when missing.
if [[ $(dpkg-query -W -f='${db:Status-Status}' lcov 2>/dev/null || true) != installed ]]; then
	log "installing lcov"
	sudo=()
	if [[ $EUID -ne 0 ]]; then
		command -v sudo >/dev/null || die "need root (or sudo) to install lcov"
		sudo=(sudo)
	fi
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends lcov >&2; then
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 ||
			die "apt-get update failed"
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends lcov >&2 || die "apt-get install lcov failed"
	fi
fi

# --- the debug kernel, and gcov from the compiler that built it ------------------

kdir=$(scripts/build-debug-kernel.sh --print-dir) || die "no debug kernel"
image=$(scripts/build-debug-kernel.sh --print-image) || die "no debug kernel"
grep -qx 'CONFIG_GCOV_KERNEL=y' "$kdir/.config" ||
	die "the debug kernel has no CONFIG_GCOV_KERNEL (scripts/debug-kernel.config)"

# .gcno/.gcda formats change between gcc releases: use the gcov of the gcc
# named in the kernel's config (the module is built with the same one).
cc_text=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$kdir/.config")
cc_major=$(grep -oE '[0-9]+\.[0-9]+\.[0-9]+' <<<"$cc_text" | tail -n 1 | cut -d. -f1)
[[ -n $cc_major ]] || die "cannot tell the kernel's compiler from '$cc_text'"
gcov_tool=
for g in "gcov-$cc_major" gcov; do
	command -v "$g" >/dev/null || continue
	if [[ $("$g" --version | head -n 1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | tail -n 1 | cut -d. -f1) == "$cc_major" ]]; then
		gcov_tool=$(command -v "$g")
		break
	fi
done
[[ -n $gcov_tool ]] || die "no gcov for gcc $cc_major (the kernel was built by: $cc_text)"

# --- build, run -------------------------------------------------------------------

vm_rc=0
if [[ $report_only -eq 0 ]]; then
	log "building af_toy.ko and af_toy_kunit.ko (TOY_GCOV=1 TOY_KUNIT=1) against $kdir"
	scripts/build-module.sh "$kdir" "$out" TOY_GCOV=1 TOY_KUNIT=1 >/dev/null ||
		die "the module build failed"
	for ko in af_toy.ko af_toy_kunit.ko; do
		[[ -f $out/$ko ]] || die "$out/$ko was not built"
	done
	[[ -f $out/toy_proto.gcno ]] || die "no .gcno files in $out: is TOY_GCOV in Kbuild?"

	log "building the userspace tests"
	make -s -C tests >&2 || die "make -C tests failed"
	# The stream programs: from tests/ if its Makefile builds them, else
	# compiled here (same flags) into build/coverage/tests/.
	guest_args=(--build-dir "$out" --kunit "$out/af_toy_kunit.ko")
	for p in "${stream_progs[@]}"; do
		[[ -f tests/$p.c ]] || continue
		if grep -qE "^PROGS[[:space:]]*:?=.*\b$p\b" tests/Makefile; then
			bin=$top/tests/$p
		else
			bin=$out/tests/$p
			if [[ ! -x $bin || -n $(find tests/"$p".c tests/*.h include/uapi/linux/toy.h \
				-newer "$bin" 2>/dev/null) ]]; then
				mkdir -p "$out/tests"
				gcc -O2 -g -D_GNU_SOURCE -Wall -Wextra -Werror -pthread \
					-Iinclude/uapi -Itests -o "$bin" "tests/$p.c" -pthread ||
					die "building tests/$p.c failed"
			fi
		fi
		guest_args+=(--stream "$bin")
	done
	if [[ -z $tests ]]; then
		for s in dgram_test dgram_stress_test toy_test socat_test.sh \
			socat_stream_test.sh rmmod_test; do
			[[ -x tests/$s ]] && tests+="${tests:+ }$s"
		done
	fi
	guest_args+=(--tests "$tests")

	rm -f "$vmlog" "$out/vm.rc"
	find "$out" -name '*.gcda' -delete
	log "running the tests in QEMU on the debug kernel (log: $vmlog)"
	vm_start=$SECONDS
	set +e
	scripts/vm.sh --kernel-image "$image" --timeout "$timeout" \
		--append gcov_persist=1 --module "$out/af_toy.ko" \
		--env "TOY_STREAM_MIB=$stream_mib" "${envs[@]}" \
		-- scripts/guest/coverage-guest.sh "${guest_args[@]}" 2>&1 |
		tee "$vmlog" |
		grep --line-buffered -aE '^(# coverage-guest: |# ==== .*: exit|vm\.sh: |kunit-guest\.sh: )' >&2
	vm_rc=${PIPESTATUS[0]}
	set -e
	echo "$vm_rc" >"$out/vm.rc"
	log "VM run: $((SECONDS - vm_start)) s, vm.sh status $vm_rc"
else
	[[ -f $vmlog ]] || die "--report-only: no $vmlog from an earlier run"
	find "$out" -name '*.gcda' -delete
	vm_rc=$(cat "$out/vm.rc" 2>/dev/null || echo 0)
fi

# --- decode the counters ------------------------------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/af_toy-coverage.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Split the log into one base64 file per .gcda, a manifest "INDEX REL
# SHA256 BYTES" of those that arrived whole, and the names of those that
# did not (a kernel message in the middle, a run cut short).
tr -d '\r' <"$vmlog" | awk -v dir="$work" '
	function broken() { print rel >(dir "/broken"); close(file); on = 0 }
	/^==== af_toy-gcda begin [^ ]+ ====$/ {
		if (on) broken()
		n++; rel = $4; file = dir "/" n ".b64"; on = 1
		printf "" >file
		next
	}
	on && /^==== af_toy-gcda end [^ ]+ [0-9a-f]+ [0-9]+ ====$/ {
		if ($4 != rel) { broken(); next }
		print n, rel, $5, $6 >(dir "/manifest")
		close(file); on = 0
		next
	}
	on && /^[A-Za-z0-9+\/=]+$/ { print >file; next }
	on { broken() }
	END { if (on) broken() }
'
ngcda=0
bad=0
if [[ -f $work/broken ]]; then
	while read -r rel; do
		log "$rel: cut off or interrupted on the console; skipped"
		bad=$((bad + 1))
	done <"$work/broken"
fi
if [[ -f $work/manifest ]]; then
	while read -r idx rel sum size; do
		if [[ ! $rel =~ ^[A-Za-z0-9_][A-Za-z0-9_./-]*\.gcda$ || $rel == *..* ]]; then
			log "ignoring odd .gcda name '$rel'"
			bad=$((bad + 1))
			continue
		fi
		base64 -d "$work/$idx.b64" >"$work/$idx.gcda" 2>/dev/null || true
		if [[ $(sha256sum <"$work/$idx.gcda" | cut -c1-64) != "$sum" ||
		      $(wc -c <"$work/$idx.gcda") -ne $size ]]; then
			log "$rel: damaged on the console (size or SHA-256 differs); skipped"
			bad=$((bad + 1))
			continue
		fi
		[[ -f $out/${rel%.gcda}.gcno ]] || log "warning: $rel has no ${rel%.gcda}.gcno in $out"
		mkdir -p "$(dirname "$out/$rel")"
		cp "$work/$idx.gcda" "$out/$rel"
		ngcda=$((ngcda + 1))
	done <"$work/manifest"
fi
[[ $ngcda -gt 0 ]] || die "no coverage counters in $vmlog (vm.sh status $vm_rc); see the end of that log"
log "decoded $ngcda .gcda files ($bad damaged or odd)"
# Every object of af_toy.ko must have its counters, or the figure is wrong.
incomplete=0
for g in "$out"/*.gcno; do
	if [[ ! -f ${g%.gcno}.gcda ]]; then
		log "ERROR: no counters for ${g##*/}: its lines count as not run"
		incomplete=1
	fi
done

# --- lcov -------------------------------------------------------------------------------

keep=()
for s in "${sources[@]}"; do keep+=("$out/$s"); done
# The baseline (--initial: every line of every .gcno, not run) added to the
# counters, so that code without counters counts as not run, not as absent.
lcov --quiet --capture --initial --directory "$out" --gcov-tool "$gcov_tool" \
	--output-file "$work/base.info" >"$work/lcov.log" 2>&1 ||
	{ cat "$work/lcov.log" >&2; die "lcov --capture --initial failed"; }
lcov --quiet --capture --directory "$out" --gcov-tool "$gcov_tool" \
	--output-file "$work/run.info" >>"$work/lcov.log" 2>&1 ||
	{ cat "$work/lcov.log" >&2; die "lcov --capture failed"; }
lcov --quiet --add-tracefile "$work/base.info" --add-tracefile "$work/run.info" \
	--output-file "$work/all.info" >>"$work/lcov.log" 2>&1 ||
	{ cat "$work/lcov.log" >&2; die "lcov --add-tracefile failed"; }
lcov --quiet --extract "$work/all.info" "${keep[@]}" \
	--output-file "$out/coverage.info" >>"$work/lcov.log" 2>&1 ||
	{ cat "$work/lcov.log" >&2; die "lcov --extract failed"; }
rm -rf "$out/html"
genhtml --quiet --prefix "$top/build" --title "af_toy.ko" --legend \
	--output-directory "$out/html" "$out/coverage.info" >>"$work/lcov.log" 2>&1 ||
	{ cat "$work/lcov.log" >&2; die "genhtml failed"; }

# Per file: lines (DA with a count > 0 / all DA) and functions entered.
# Computed from the DA/FNDA records, so a function that appears twice (an
# inline copy) is not counted twice.
awk -v prefix="$out/" -v order="${sources[*]}" '
	/^SF:/ { f = substr($0, 4); sub("^" prefix, "", f); next }
	/^DA:/ {
		split(substr($0, 4), a, ",")
		k = f SUBSEP a[1]
		if (!(k in da)) { da[k] = 0; lf[f]++ }
		if (a[2] > 0 && !da[k]) { da[k] = 1; lh[f]++ }
		next
	}
	/^FNDA:/ {
		split(substr($0, 6), a, ",")
		k = f SUBSEP a[2]
		if (!(k in fn)) { fn[k] = 0; ff[f]++ }
		if (a[1] > 0 && !fn[k]) { fn[k] = 1; fh[f]++ }
	}
	END {
		printf "%-14s %18s %16s\n", "file", "lines", "functions"
		n = split(order, names, " ")
		for (i = 1; i <= n; i++) {
			x = names[i]
			printf "%-14s %5.1f%% %5d/%-5d %5.1f%% %3d/%-3d\n", x,
				lf[x] ? 100 * lh[x] / lf[x] : 0, lh[x], lf[x],
				ff[x] ? 100 * fh[x] / ff[x] : 0, fh[x], ff[x]
			LH += lh[x]; LF += lf[x]; FH += fh[x]; FF += ff[x]
		}
		printf "%-14s %5.1f%% %5d/%-5d %5.1f%% %3d/%-3d\n", "total",
			LF ? 100 * LH / LF : 0, LH, LF, FF ? 100 * FH / FF : 0, FH, FF
		printf "coverage: %.1f%% of lines (%d/%d)\n", LF ? 100 * LH / LF : 0, LH, LF
	}' "$out/coverage.info" >"$work/table"

# Where the holes are: functions never entered, then, per function that
# was entered, its lines that never ran (as line ranges).
awk -v prefix="$out/" '
	/^SF:/ { f = substr($0, 4); sub("^" prefix, "", f); nfn = 0; delete start; delete name; delete hit; next }
	/^FN:/ { split(substr($0, 4), a, ","); nfn++; start[nfn] = a[1]; name[nfn] = a[2]; next }
	/^FNDA:/ { split(substr($0, 6), a, ","); if (a[1] > 0) hit[a[2]] = 1; next }
	/^DA:/ { split(substr($0, 4), a, ","); if (a[2] == 0) miss[f, a[1]] = 1; lines[f] = lines[f] " " a[1]; next }
	/^end_of_record/ {
		for (i = 1; i <= nfn; i++)
			if (!(name[i] in hit))
				printf "%s:%d: %s: never called\n", f, start[i], name[i]
		# Unexecuted lines inside called functions, grouped in runs.
		nl = split(lines[f], L, " ")
		for (i = 1; i <= nfn; i++) {
			if (!(name[i] in hit)) continue
			lo = start[i]; hi = 1e9
			for (j = 1; j <= nfn; j++) if (start[j] > lo && start[j] < hi) hi = start[j]
			runs = ""; cnt = 0; r0 = -1; prev = -1
			for (k = 1; k <= nl; k++) {
				ln = L[k] + 0
				if (ln < lo || ln >= hi) continue
				if ((f, ln) in miss) {
					cnt++
					if (r0 < 0) r0 = ln
					prev = ln
				} else if (r0 >= 0) {
					runs = runs " " (r0 == prev ? r0 : r0 "-" prev); r0 = -1
				}
			}
			if (r0 >= 0) runs = runs " " (r0 == prev ? r0 : r0 "-" prev)
			if (cnt)
				printf "%s:%d: %s: %d line(s) not run:%s\n", f, lo, name[i], cnt, runs
		}
	}' "$out/coverage.info" >"$out/uncovered.txt"

{
	echo "af_toy.ko line coverage, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "tests: $(sed -n 's/^# coverage-guest: tests: //p' "$vmlog" | tail -n 1)"
	echo
	cat "$work/table"
} >"$out/summary.txt"

tests_line=$(sed -n 's/^# coverage-guest: tests: //p' "$vmlog" | tail -n 1)
log "tests in the coverage run: ${tests_line:-no summary (see $vmlog)}"
log "report: $out/html/index.html; holes: $out/uncovered.txt; total time $((SECONDS - t0)) s"
cat "$work/table"

[[ $incomplete -eq 0 ]] || { log "ERROR: counters missing (see above): the figure is too low"; exit 2; }
# The command's own status: 0 all passed, 1 a test failed; vm.sh's 3 = a
# bug report in the kernel log, 124 timeout, 125 harness failure.
[[ $vm_rc -eq 0 ]] || { log "warning: the run was not clean (vm.sh status $vm_rc; see $vmlog)"; exit 1; }
exit 0
