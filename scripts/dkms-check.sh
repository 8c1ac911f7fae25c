#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-check.sh - the README's "Building and loading on a real host", run
# against scratch trees instead of the host; "make check" runs it with its
# static checks.
#
#   - DKMS: "make dkms-source", then "dkms add", and for every kernel
#     "dkms build", "dkms install" and "dkms status", then "dkms remove
#     --all", with the source, DKMS and install trees in a scratch folder
#     (--sourcetree, --dkmstree, --installtree) and --no-depmod (dkms's
#     own depmod would index the host's /lib/modules); then "depmod -b"
#     on the scratch root, where "modprobe -d ROOT -S KVER --show-depends
#     net-pf-22" must name the module dkms installed, built for KVER;
#   - "make install" and "make uninstall" with DESTDIR (and so
#     INSTALL_MOD_PATH) a scratch root, for every kernel: the module and
#     its net-pf-22 alias, linux/toy.h (the examples compile against it),
#     toy(7) when man/toy.7 exists, the modprobe.d example; uninstall
#     leaves only depmod's index files;
#   - the host untouched: listings of /lib/modules, /usr/src,
#     /var/lib/dkms, /etc/dkms, /etc/modprobe.d and of the files "make
#     install" would write there are the same before and after, and so are
#     /proc/modules and /sys/module, with no af_toy in either.
#
# Prints one TAP-style line per check, as check.sh does, and last
# "N passed, N failed, N skipped".  The commands' output goes to
# build/logs/dkms-check/, the scratch trees to build/dkms-check/.
#
# Usage: scripts/dkms-check.sh [KERNEL...]    (default: scripts/kernels.sh)
#   DKMS=PATH    the dkms to run (default: dkms from PATH, which
#                scripts/setup.sh installs)
#   DKMS_JOBS=N  parallel jobs of dkms's builds (default 1)
# Needs root for the DKMS part: dkms add and install refuse to run
# otherwise, even on scratch trees.  Nothing is ever loaded.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
logs=$top/build/logs/dkms-check
scratch=$top/build/dkms-check
rm -rf "$logs" "$scratch"
mkdir -p "$logs" "$scratch"

passed=0 failed=0 skipped=0

result() {	# result pass|fail|skip NAME [detail]
	case $1 in
	pass) passed=$((passed + 1)); echo "ok - $2" ;;
	fail) failed=$((failed + 1)); echo "not ok - $2${3:+: $3}" ;;
	skip) skipped=$((skipped + 1)); echo "ok - $2 # SKIP ${3:-}" ;;
	esac
}

# run LOG CMD...: run CMD with its output appended to $logs/LOG.
run() {
	local log=$logs/$1
	shift
	echo "\$ $*" >>"$log"
	"$@" >>"$log" 2>&1
}

# show LOG: the end of a log, as TAP comments, after a failure.
show() {
	tail -n 15 "$logs/$1" | sed 's/^/#   /'
}

# ok_if NAME LOG CMD...: one check, passed if CMD succeeds.
ok_if() {
	local name=$1 log=$2
	shift 2
	if "$@"; then
		result pass "$name"
	else
		result fail "$name" "see build/logs/dkms-check/$log"
		show "$log"
	fi
}

if [ $# -gt 0 ]; then
	kernels=("$@")
else
	mapfile -t kernels < <(scripts/kernels.sh)
fi
if [ ${#kernels[@]} -eq 0 ]; then
	result fail "a kernel to check" "scripts/kernels.sh found none"
fi
version=$(make -s version)
dkms=${DKMS:-dkms}
pkg=af_toy-$version

# ---- the host before -------------------------------------------------------

watched=(/lib/modules /usr/src /var/lib/dkms /etc/dkms /etc/modprobe.d
	/usr/include/linux/toy.h /usr/share/man/man7/toy.7
	/usr/share/man/man7/toy.7.gz)
host_state() {	# every watched path with its type, size and mtime
	find "${watched[@]}" -printf '%p %y %s %T@\n' 2>/dev/null | LC_ALL=C sort
}
# The loaded modules: /proc/modules, and /sys/module, which also lists
# the built-in ones and is there on a kernel without module support.
loaded() {
	if [ -r /proc/modules ]; then
		awk '{ print "proc:" $1 }' /proc/modules | LC_ALL=C sort
	fi
	find /sys/module -mindepth 1 -maxdepth 1 -printf 'sys:%f\n' 2>/dev/null |
		LC_ALL=C sort
}
host_state >"$scratch/host-before.txt"
loaded >"$scratch/modules-before.txt"

# ---- helpers ----------------------------------------------------------------

# new_root ROOT KVER...: a scratch root with the kernels' module
# directories and the index files their packages ship (so depmod sees
# what it sees on a real host), copied from the host, which is only read.
new_root() {
	local root=$1 k f
	shift
	for k in "$@"; do
		mkdir -p "$root/lib/modules/$k"
		for f in modules.order modules.builtin modules.builtin.modinfo; do
			if [ -f "/lib/modules/$k/$f" ]; then
				cp "/lib/modules/$k/$f" "$root/lib/modules/$k/"
			fi
		done
	done
}

system_map() {	# system_map KVER: depmod's -F option, if there is a System.map
	[ -f "/boot/System.map-$1" ] && echo "-F /boot/System.map-$1"
}

# built_for KO KVER: KO exists and its vermagic names KVER.
built_for() {
	local magic
	[ -f "$1" ] || return 1
	magic=$(modinfo -F vermagic "$1") || return 1
	echo "# $1: vermagic $magic" >>"$logs/modinfo.log"
	[ "${magic%% *}" = "$2" ]
}

# resolves LOG ROOT KVER KO: modprobe, looking in ROOT for KVER, would load
# exactly KO for net-pf-22 (--show-depends prints, it loads nothing).
resolves() {
	local out cmd path rest
	echo "\$ modprobe -d $2 -S $3 --show-depends net-pf-22" >>"$logs/$1"
	out=$(modprobe -d "$2" -S "$3" --show-depends net-pf-22 2>&1)
	echo "$out" >>"$logs/$1"
	[ "$(wc -l <<<"$out")" -eq 1 ] || return 1
	read -r cmd path rest <<<"$out"
	[ "$cmd" = insmod ] && [ "$path" = "$4" ]
}

# the_module DIR: the one af_toy.ko* in DIR (compressed as the kernel's
# modules are: 6.12's are .ko.xz).
the_module() {
	local m=("$1"/af_toy.ko*)
	[ ${#m[@]} -eq 1 ] && [ -f "${m[0]}" ] && echo "${m[0]}"
}

# ---- DKMS on scratch trees ------------------------------------------------

d=$scratch/dkms
dkms_root=$d/root
trees=(--sourcetree "$d/src" --dkmstree "$d/tree"
	--installtree "$dkms_root/lib/modules")
# Signing keys in the scratch folder: dkms would make them in
# /var/lib/dkms.  A modprobe_on_install left in the environment would
# make dkms install load modules.
dk=(env -u modprobe_on_install -u sign_file
	mok_signing_key="$d/mok.key" mok_certificate="$d/mok.pub" "$dkms")

files() {	# files DIR: the files under DIR, relative, on one line
	(cd "$1" && find . -type f | LC_ALL=C sort | tr '\n' ' ')
}

# dkms_add: make dkms-source and dkms add it; the copy in the source tree
# is dkms.conf, Kbuild, *.c and include/*.h, and nothing else.
dkms_add() {
	local copy
	run dkms.log make -s dkms-source &&
		run dkms.log "${dk[@]}" add "build/dkms/$pkg" "${trees[@]}" &&
		copy=$(files "$d/src/$pkg") &&
		[ "$copy" = "$(files "build/dkms/$pkg")" ] &&
		[[ " $copy" == *" ./dkms.conf "* && " $copy" == *" ./Kbuild "* ]] &&
		! tr ' ' '\n' <<<"$copy" |
			grep -v '^\./\(dkms\.conf\|Kbuild\|[^/.]*\.c\|include/.*\.h\)$' |
			grep -q .
}

# dkms_depmod KVER KO: depmod -b on the scratch root indexes KO for
# net-pf-22.
dkms_depmod() {
	# shellcheck disable=SC2046 # system_map: no word or two
	run "dkms-$1.log" depmod -b "$dkms_root" $(system_map "$1") "$1" &&
		resolves "dkms-$1.log" "$dkms_root" "$1" "$2"
}

dkms_status() {	# dkms_status KVER: dkms status says installed for KVER
	local out
	out=$("${dk[@]}" status "af_toy/$version" -k "$1" "${trees[@]}" 2>&1)
	echo "$out" >>"$logs/dkms-$1.log"
	grep -q "^af_toy/$version, $1, [^:]*: installed" <<<"$out"
}

dkms_remove() {	# dkms remove --all leaves no module and no DKMS tree entry
	run dkms.log "${dk[@]}" remove "af_toy/$version" --all --no-depmod \
		"${trees[@]}" &&
		[ -z "$(find "$dkms_root" -name 'af_toy.ko*')" ] &&
		[ ! -e "$d/tree/af_toy" ]
}

dkms_skip() {	# dkms_skip REASON: every DKMS check skipped
	local k
	result skip "dkms add build/dkms/$pkg" "$1"
	for k in "${kernels[@]}"; do
		result skip "dkms build and install for $k" "$1"
	done
	result skip "dkms remove af_toy/$version --all" "$1"
}

dkms_checks() {
	local k ko conf

	if ! command -v "$dkms" >/dev/null; then
		dkms_skip "no dkms (scripts/setup.sh installs it)"
		return
	fi
	if [ "$(id -u)" -ne 0 ]; then
		dkms_skip "needs root: dkms add and install refuse to run otherwise"
		return
	fi
	# dkms install with modprobe_on_install set loads modules, whatever
	# its trees: do not run it on such a host.
	if conf=$(grep -lsE '^[[:space:]]*modprobe_on_install=["'\'']?[^"'\''[:space:]]' \
		/etc/dkms/framework.conf /etc/dkms/framework.conf.d/*.conf); then
		result fail "dkms checks" "modprobe_on_install is set in ${conf//$'\n'/ }; not run"
		return
	fi
	mkdir -p "$d/src" "$d/tree"
	new_root "$dkms_root" "${kernels[@]}"

	ok_if "dkms add build/dkms/$pkg: dkms.conf, Kbuild, *.c and include/ only" \
		dkms.log dkms_add || return

	for k in "${kernels[@]}"; do
		if ! run "dkms-$k.log" "${dk[@]}" build "af_toy/$version" -k "$k" \
			-j "${DKMS_JOBS:-1}" "${trees[@]}" ||
		   ! run "dkms-$k.log" "${dk[@]}" install "af_toy/$version" -k "$k" \
			--no-depmod "${trees[@]}"; then
			result fail "dkms build and install for $k" \
				"see build/logs/dkms-check/dkms-$k.log"
			show "dkms-$k.log"
			continue
		fi
		ko=$(the_module "$dkms_root/lib/modules/$k/updates/dkms")
		ok_if "dkms build and install for $k: updates/dkms/${ko##*/}, vermagic $k" \
			"dkms-$k.log" built_for "$ko" "$k"
		ok_if "depmod -b: net-pf-22 resolves to the DKMS module for $k" \
			"dkms-$k.log" dkms_depmod "$k" "$ko"
		ok_if "dkms status: af_toy/$version installed for $k" \
			"dkms-$k.log" dkms_status "$k"
	done

	ok_if "dkms remove af_toy/$version --all: no module left in the scratch root" \
		dkms.log dkms_remove
}

# ---- make install / uninstall into scratch roots ---------------------------

# installed_header ROOT LOG: linux/toy.h is there and the examples compile
# against it (and not against include/uapi).
installed_header() {
	cmp include/uapi/linux/toy.h "$1/usr/include/linux/toy.h" &&
		run "$2" "${CC:-cc}" -fsyntax-only -Wall -Werror -I"$1/usr/include" \
			examples/toy_dgram.c &&
		run "$2" "${CC:-cc}" -fsyntax-only -Wall -Werror -I"$1/usr/include" \
			examples/toy_stream.c
}

installed_man() {	# installed_man ROOT: toy.7.gz is man/toy.7
	gzip -dc "$1/usr/share/man/man7/toy.7.gz" | cmp - man/toy.7
}

# installed_conf ROOT: the modprobe.d example, every line a comment.
installed_conf() {
	cmp etc/modprobe.d/af_toy.conf "$1/etc/modprobe.d/af_toy.conf" &&
		! grep -qv '^#\|^[[:space:]]*$' "$1/etc/modprobe.d/af_toy.conf"
}

# uninstalled ROOT KVER KO LOG: make uninstall leaves depmod's index files
# only, and net-pf-22 no longer resolves.
uninstalled() {
	run "$4" make -s uninstall KVER="$2" DESTDIR="$1" &&
		[ -z "$(find "$1" -type f ! -path "$1/lib/modules/$2/modules.*")" ] &&
		! resolves "$4" "$1" "$2" "$3"
}

install_checks() {
	local k r ko log
	for k in "${kernels[@]}"; do
		r=$scratch/install-$k log=install-$k.log
		new_root "$r" "$k"
		if ! run "$log" make -s install KVER="$k" DESTDIR="$r"; then
			result fail "make install KVER=$k DESTDIR=scratch" \
				"see build/logs/dkms-check/$log"
			show "$log"
			continue
		fi
		ko=$(the_module "$r/lib/modules/$k/updates")
		ok_if "make install KVER=$k: updates/${ko##*/}, vermagic $k" \
			"$log" built_for "$ko" "$k"
		ok_if "make install KVER=$k: net-pf-22 resolves to it after depmod" \
			"$log" resolves "$log" "$r" "$k" "$ko"
		ok_if "make install KVER=$k: usr/include/linux/toy.h, the examples compile against it" \
			"$log" installed_header "$r" "$log"
		if [ -f man/toy.7 ]; then
			ok_if "make install KVER=$k: usr/share/man/man7/toy.7.gz" \
				"$log" installed_man "$r"
		else
			result skip "make install KVER=$k: usr/share/man/man7/toy.7.gz" \
				"no man/toy.7 in this tree"
		fi
		ok_if "make install KVER=$k: etc/modprobe.d/af_toy.conf, all comments" \
			"$log" installed_conf "$r"
		ok_if "make uninstall KVER=$k: only depmod's index files left, net-pf-22 gone" \
			"$log" uninstalled "$r" "$k" "$ko" "$log"
	done
}

dkms_checks
install_checks

# ---- the host after ---------------------------------------------------------------

host_state >"$scratch/host-after.txt"
loaded >"$scratch/modules-after.txt"
if diff "$scratch/host-before.txt" "$scratch/host-after.txt" >"$logs/host.diff"; then
	result pass "nothing written to the host's ${watched[*]}"
else
	result fail "nothing written to the host's ${watched[*]}" \
		"see build/logs/dkms-check/host.diff"
	head -n 20 "$logs/host.diff" | sed 's/^/#   /'
fi
if [ ! -s "$scratch/modules-after.txt" ]; then
	result skip "no module loaded on the host" "neither /proc/modules nor /sys/module"
elif diff "$scratch/modules-before.txt" "$scratch/modules-after.txt" \
	>"$logs/modules.diff" &&
	! grep -qx 'proc:af_toy\|sys:af_toy' "$scratch/modules-after.txt"; then
	result pass "no module loaded on the host (/proc/modules and /sys/module unchanged, no af_toy)"
else
	result fail "no module loaded on the host" "see build/logs/dkms-check/modules.diff"
	sed 's/^/#   /' "$logs/modules.diff"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
