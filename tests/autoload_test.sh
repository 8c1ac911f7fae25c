#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# autoload_test.sh - an unprivileged socket(AF_TOY, ...) loads af_toy.ko
# from an installed module tree through its net-pf-22 alias, and a
# family= set in modprobe.d is honoured end to end.
#
# Usage (in the VM, as root, af_toy.ko loaded; scripts/guest/run-in-guest.sh
# runs it; TOY_KO names the loaded .ko, or ':'-separated candidates):
#   tests/autoload_test.sh
#
# How the installed tree is arranged, and why.  socket() of a family
# nobody registered makes the kernel call request_module("net-pf-N"),
# which runs the program in /proc/sys/kernel/modprobe (/sbin/modprobe)
# through call_usermodehelper: as root, from kthreadd, in the guest's
# initial mount namespace.  So an install made writable in a private
# mount namespace (unshare -m) would be invisible to the modprobe the
# kernel runs; an overlay on the real /lib/modules would have to live in
# the initial namespace, where every later suite sees it (and the debug
# kernel has no overlayfs).  Instead nothing under / is touched:
#
#   - the module is installed into a scratch root $TMP/root the way
#     "make install DESTDIR=ROOT" lays it out (scripts/dkms-check.sh runs
#     that very command on the host for both kernels; here the checkout
#     is read-only, and make install would rebuild the module):
#     ROOT/lib/modules/KVER/updates/af_toy.ko (the loaded build, TOY_KO),
#     "depmod -b ROOT KVER", and ROOT/etc/modprobe.d/af_toy.conf, the
#     example make install installs;
#   - kernel.modprobe points at a wrapper script that logs its arguments
#     and runs "modprobe -d ROOT -C ROOT/etc/modprobe.d ARGS": the
#     kernel's own request_module, with the stock kmod modprobe, resolves
#     the alias and the options in the scratch root only;
#   - an EXIT trap (the suite's SIGTERM and SIGINT end in exit, so it
#     runs then too) restores kernel.modprobe and leaves af_toy loaded
#     from TOY_KO with the parameters it had at the start, whatever
#     happened; /tmp is the guest's own tmpfs.
#
# The checks, each socket() run as nobody (TOY_UNPRIV) by tests/toy_socket,
# which also sends itself a datagram to show the family works:
#   the scratch install resolves net-pf-22 to the module
#   (modprobe --show-depends); with af_toy unloaded and the stock
#   modprobe, socket(22) and socket(27) fail with EAFNOSUPPORT (nothing
#   in the guest's own /lib/modules or kernel provides either); through
#   the wrapper the README's "python3 -c 'import socket;
#   socket.socket(22, socket.SOCK_DGRAM)'" loads af_toy (family 22),
#   whose socket then works;
#   "options af_toy family=27" in ROOT/etc/modprobe.d: socket(22) loads
#   af_toy, which registers 27 (so that socket() itself still fails),
#   and socket(27) works; the example af_toy.conf with its two lines for
#   27 uncommented ("options af_toy family=27", "alias net-pf-27
#   af_toy"): socket(27) alone loads af_toy and works; finally the
#   module is back as the harness loaded it.  27 is the number the
#   example file uses (AF_IB, which no kernel registers).
#
# Output is TAP plus a kselftest-style "# Totals:" line.  No fixed sleeps:
# the only wait, for rmmod while the last sockets' RCU-freed module
# references drain, is a bounded poll.
#
# AUTOLOAD_TEST_SKIP=REASON skips every check, with the reason: check.sh
# sets it on the debug kernel, where each insmod of the KASAN-built module
# takes seconds.  What this suite checks is the install layout and the
# modprobe plumbing, the same on every kernel; the debug kernel still
# loads and unloads the module many times (storm_test.sh, rmmod_test).

# The tests are functions called through run(): not unreachable.
# shellcheck disable=SC2317
set -u

NOBODY=65534
TOY_UNPRIV=${TOY_UNPRIV:-"setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups"}
HERE=$(dirname "$(readlink -f "$0")")
TOP=$(dirname "$HERE")
SOCK=$HERE/toy_socket
SYSCTL=/proc/sys/kernel/modprobe
KVER=$(uname -r)
# the family the example modprobe.d file sets (the README's, too)
ALT=27

. "$HERE/tap.sh"

NAMES=(
	"make install's layout in a scratch root: updates/af_toy.ko, depmod -b; net-pf-22 resolves to it"
	"control: af_toy unloaded, stock modprobe: socket(22) as nobody is EAFNOSUPPORT"
	"control: af_toy unloaded, stock modprobe: socket($ALT) as nobody is EAFNOSUPPORT (family $ALT is free)"
	"socket(22) as nobody autoloads af_toy through net-pf-22 from the installed tree"
	"the autoloaded af_toy has family 22 and carries a datagram for nobody"
	"options af_toy family=$ALT in modprobe.d: socket(22) as nobody loads af_toy with family=$ALT"
	"then socket($ALT) as nobody works; socket(22) is EAFNOSUPPORT"
	"the example af_toy.conf's family=$ALT and alias net-pf-$ALT lines: socket($ALT) as nobody autoloads af_toy and works"
	"kernel.modprobe restored; af_toy loaded from TOY_KO again with the harness's parameters"
)

echo "TAP version 13"
echo "1..${#NAMES[@]}"

finish() {
	tap_totals
	[ "$fail" -eq 0 ]
	exit $?
}

skip_all() {
	local n

	diag "$1"
	for n in "${NAMES[@]}"; do
		skip_t "$n" "$1"
	done
	finish
}

[ -n "${AUTOLOAD_TEST_SKIP:-}" ] && skip_all "$AUTOLOAD_TEST_SKIP"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (kernel.modprobe, rmmod, insmod)"
for c in setpriv modprobe depmod rmmod insmod readelf od; do
	command -v $c >/dev/null 2>&1 || skip_all "$c is not installed"
done
[ -x "$SOCK" ] || skip_all "$SOCK is not built (make -C tests on the host)"
[ -w "$SYSCTL" ] || skip_all "$SYSCTL is not writable (a kernel without modules?)"
[ -r /sys/module/af_toy/parameters/family ] || skip_all "af_toy.ko is not loaded"
FAM0=$(cat /sys/module/af_toy/parameters/family)
PARAMS0=
[ "$FAM0" = 22 ] || PARAMS0="family=$FAM0"
MODPROBE0=$(cat "$SYSCTL")

# build_id: the loaded af_toy's GNU build-id, in hex (the sysfs note is
# namesz, descsz, type, "GNU\0", then the id: 16 bytes before it)
build_id() {
	od -An -v -tx1 /sys/module/af_toy/notes/.note.gnu.build-id 2>/dev/null |
		tr -d ' \n' | cut -c33-
}

# The TOY_KO candidate that is the loaded module (by build-id, as
# tests/toy_module.h picks it for rmmod_test)
KO=
BID0=$(build_id)
IFS=: read -ra cands <<<"${TOY_KO:-}"
for c in "${cands[@]}"; do
	[ -f "$c" ] || continue
	id=$(readelf -n "$c" 2>/dev/null | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p')
	if [ -n "$BID0" ] && [ "$id" = "$BID0" ]; then
		KO=$c
		break
	fi
done
[ -n "$KO" ] || skip_all "no TOY_KO candidate is the loaded module (TOY_KO='${TOY_KO:-}', build-id '$BID0')"
diag "$KVER; loaded: $KO, family $FAM0; kernel.modprobe $MODPROBE0"

tap_scratch autoload_test
ROOT=$TMP/root
WRAP=$TMP/modprobe-wrapper
CALLS=$TMP/modprobe-calls

# ---- undo, however the suite ends -------------------------------------------

# unload: rmmod af_toy, retried while the last sockets' module references
# (dropped after an RCU grace period) keep it busy; at most 30 s.
unload() {
	local i=0

	TOUCHED=1
	RELOADED=0
	while [ -d /sys/module/af_toy ]; do
		rmmod af_toy 2>"$TMP/rmmod.err" && return 0
		i=$((i + 1))
		if [ "$i" -ge 300 ]; then
			diag "rmmod af_toy: $(cat "$TMP/rmmod.err")"
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# restore: kernel.modprobe as it was, and af_toy loaded from $KO with the
# starting parameters (unloading whatever af_toy the tests left).
restore() {
	local p

	[ "$(cat "$SYSCTL")" = "$MODPROBE0" ] || echo "$MODPROBE0" >"$SYSCTL"
	# nothing to do if the harness's module was never unloaded, or has
	# been reloaded from $KO already
	if [ -d /sys/module/af_toy ] &&
		[ "$(cat /sys/module/af_toy/parameters/family)" = "$FAM0" ] &&
		[ "$(build_id)" = "$BID0" ] &&
		{ [ "$TOUCHED" = 0 ] || [ "$RELOADED" = 1 ]; }; then
		return 0
	fi
	unload || return 1
	# shellcheck disable=SC2086 # PARAMS0: no word or one
	insmod "$KO" $PARAMS0 2>"$TMP/insmod.err" ||
		{ diag "insmod $KO $PARAMS0: $(cat "$TMP/insmod.err")"; return 1; }
	RELOADED=1
	p=$(cat /sys/module/af_toy/parameters/family)
	[ "$p" = "$FAM0" ] || { diag "reloaded with family $p, not $FAM0"; return 1; }
}

TOUCHED=0	# af_toy was unloaded at least once
RELOADED=0	# and has been loaded from $KO again since
trap 'restore; tap_cleanup' EXIT
trap 'exit 143' TERM INT HUP

# ---- helpers ------------------------------------------------------------------

# as_nobody FAMILY: tests/toy_socket FAMILY as nobody; its status (0 it
# worked, 2 EAFNOSUPPORT), its one line as a diagnostic
as_nobody() {
	local rc

	# shellcheck disable=SC2086 # TOY_UNPRIV is a command prefix
	timeout 60 $TOY_UNPRIV "$SOCK" "$1" >"$TMP/sock.out" 2>&1 </dev/null
	rc=$?
	diag "nobody: toy_socket $1: exit $rc: $(cat "$TMP/sock.out")"
	return $rc
}

loaded_family() {	# the loaded af_toy's family, or "none"
	cat /sys/module/af_toy/parameters/family 2>/dev/null || echo none
}

use_wrapper() {	# kernel.modprobe: the wrapper; the call log emptied
	: >"$CALLS"
	echo "$WRAP" >"$SYSCTL" && [ "$(cat "$SYSCTL")" = "$WRAP" ]
}

use_stock() {
	echo "$MODPROBE0" >"$SYSCTL"
}

# called ALIAS: the kernel ran the wrapper for ALIAS since use_wrapper
called() {
	diag "kernel.modprobe calls: $(tr '\n' ';' <"$CALLS")"
	grep -q -- "-- $1\$" "$CALLS"
}

# conf TEXT: ROOT/etc/modprobe.d/af_toy.conf is TEXT (a file's content)
conf() {
	printf '%s\n' "$1" >"$ROOT/etc/modprobe.d/af_toy.conf"
	diag "af_toy.conf: $(grep -v '^#' "$ROOT/etc/modprobe.d/af_toy.conf" | tr '\n' ';')"
}

run() {	# run FUNCTION NAME: one check
	if "$1"; then
		ok "$2"
	else
		not_ok "$2"
	fi
}

# ---- 1: the installed tree and the wrapper -----------------------------------

t_install() {
	local f out cmd path

	mkdir -p "$ROOT/lib/modules/$KVER/updates" "$ROOT/etc/modprobe.d" || return 1
	# what depmod sees on a real host: the kernel's own index of built-ins
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -f "/lib/modules/$KVER/$f" ] && cp "/lib/modules/$KVER/$f" "$ROOT/lib/modules/$KVER/"
	done
	install -m 644 "$KO" "$ROOT/lib/modules/$KVER/updates/af_toy.ko" || return 1
	# shellcheck disable=SC2046 # -F FILE, or nothing (the debug kernel)
	depmod -b "$ROOT" $([ -f "/boot/System.map-$KVER" ] && echo "-F /boot/System.map-$KVER") \
		"$KVER" 2>"$TMP/depmod.err" || { diag "depmod: $(cat "$TMP/depmod.err")"; return 1; }
	install -m 644 "$TOP/etc/modprobe.d/af_toy.conf" "$ROOT/etc/modprobe.d/af_toy.conf" || return 1
	cat >"$WRAP" <<-EOF
	#!/bin/sh
	# kernel.modprobe for autoload_test.sh: modprobe on its scratch root
	echo "\$*" >>"$CALLS"
	exec "$MODPROBE0" -d "$ROOT" -C "$ROOT/etc/modprobe.d" "\$@"
	EOF
	chmod 755 "$WRAP" || return 1
	# "insmod PATH [OPTIONS]": modprobe adds, as options, the kernel
	# command line's af_toy.* words (vm.sh's af_toy.nonce= and the like;
	# the module ignores them with a log line)
	out=$(modprobe -d "$ROOT" -C "$ROOT/etc/modprobe.d" -S "$KVER" --show-depends net-pf-22 2>&1)
	diag "modprobe -d ROOT --show-depends net-pf-22: $out"
	[ "$(wc -l <<<"$out")" -eq 1 ] || return 1
	read -r cmd path _ <<<"$out"
	[ "$cmd" = insmod ] && [ "$path" = "$ROOT/lib/modules/$KVER/updates/af_toy.ko" ]
}

# ---- 2, 3: controls -------------------------------------------------------------

t_control22() {
	use_stock
	unload || return 1
	as_nobody 22
	[ $? -eq 2 ] && [ ! -d /sys/module/af_toy ]
}

# (not a failure if something else has ALT: the tests for it skip)
ALT_FREE=0
t_control_alt() {
	as_nobody "$ALT"
	[ $? -eq 2 ] && [ ! -d /sys/module/af_toy ] && ALT_FREE=1
}

# ---- 4, 5: autoload through net-pf-22 -------------------------------------------

# the README's own command, as nobody (toy_socket if there is no python3)
README_PY='import socket; socket.socket(22, socket.SOCK_DGRAM)'
t_autoload() {
	local rc

	unload && use_wrapper || return 1
	if command -v python3 >/dev/null; then
		# shellcheck disable=SC2086 # TOY_UNPRIV is a command prefix
		timeout 60 $TOY_UNPRIV python3 -c "$README_PY" >"$TMP/py.out" 2>&1 </dev/null
		rc=$?
		diag "nobody: python3 -c '$README_PY': exit $rc $(cat "$TMP/py.out")"
	else
		as_nobody 22
		rc=$?
	fi
	called net-pf-22 && [ "$rc" -eq 0 ] && [ -d /sys/module/af_toy ]
}

t_works22() {
	diag "family $(loaded_family), build-id $(build_id)"
	as_nobody 22 && [ "$(loaded_family)" = 22 ] && [ "$(build_id)" = "$BID0" ]
}

# ---- 6, 7: options af_toy family=ALT --------------------------------------------

t_options() {
	unload || return 1
	conf "options af_toy family=$ALT"
	use_wrapper || return 1
	as_nobody 22
	[ $? -eq 2 ] && called net-pf-22 && [ "$(loaded_family)" = "$ALT" ]
}

t_options_works() {
	as_nobody "$ALT" || return 1
	as_nobody 22
	[ $? -eq 2 ] && [ "$(loaded_family)" = "$ALT" ]
}

# ---- 8: the example file, its two lines for ALT uncommented ------------------------

t_example() {
	local text

	unload || return 1
	text=$(sed -e "s/^# \(options af_toy family=$ALT\)\$/\1/" \
		-e "s/^# \(alias net-pf-$ALT af_toy\)\$/\1/" "$TOP/etc/modprobe.d/af_toy.conf")
	conf "$text"
	[ "$(grep -c '^[^#]' "$ROOT/etc/modprobe.d/af_toy.conf")" -eq 2 ] ||
		{ diag "the example has no such two lines"; return 1; }
	use_wrapper || return 1
	as_nobody "$ALT" && called "net-pf-$ALT" && [ "$(loaded_family)" = "$ALT" ]
}

# ---- 9: back as the harness loaded it --------------------------------------------

t_restore() {
	restore && [ "$(cat "$SYSCTL")" = "$MODPROBE0" ] &&
		[ "$(loaded_family)" = "$FAM0" ] && [ "$(build_id)" = "$BID0" ] &&
		as_nobody "$FAM0"
}

if run t_install "${NAMES[0]}"; then
	run t_control22 "${NAMES[1]}"
	t_control_alt
	if [ "$ALT_FREE" = 1 ]; then
		ok "${NAMES[2]}"
	else
		skip_t "${NAMES[2]}" "family $ALT is taken in this kernel"
	fi
	run t_autoload "${NAMES[3]}"
	run t_works22 "${NAMES[4]}"
	if [ "$ALT_FREE" = 1 ]; then
		run t_options "${NAMES[5]}"
		run t_options_works "${NAMES[6]}"
		run t_example "${NAMES[7]}"
	else
		for i in 5 6 7; do
			skip_t "${NAMES[$i]}" "family $ALT is taken in this kernel"
		done
	fi
else
	for i in 1 2 3 4 5 6 7; do
		skip_t "${NAMES[$i]}" "no installed tree"
	done
fi
run t_restore "${NAMES[8]}"

finish
