#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz-guest.sh - fuzz AF_TOY's socket calls with trinity; runs INSIDE the VM.
#
# Usage (scripts/fuzz.sh boots the debug kernel and runs this as root;
# af_toy.ko must NOT be loaded yet, this script loads it):
#   FUZZ_KO=/path/af_toy.ko [FUZZ_MINUTES=30] scripts/guest/fuzz-guest.sh
#
# Steps, each a TAP line:
#   1. settle the slab (drop caches, shrink every cache: that also empties
#      KASAN's quarantine of freed objects) and note the baseline;
#   2. insmod af_toy.ko with family=$FUZZ_FAMILY (a slot trinity has a
#      name for, see below);
#   3. run Debian's trinity, unmodified, as nobody from a small tmpfs owned
#      by nobody, for FUZZ_MINUTES, with only the socket-related syscalls
#      and only trinity's "sockets" fd provider (no memfd, testfile, pipe,
#      perf, ... fds: they would fill the guest and fuzz other code), its
#      sockets all of one domain (-P), i.e. AF_TOY;
#   4. check that AF_TOY sockets existed during the run (the module's
#      reference count: every AF_TOY socket pins the module), and, for a
#      domain whose triplets include SOCK_STREAM, that stream sockets did
#      (the type column of /proc/net/toy, sampled each second);
#   5. stop trinity (SIGINT, then SIGKILL to its process group) and wait
#      until no process of nobody is left;
#   6. the kernel log has no OOM, no hung task, no soft lockup or RCU
#      stall (the debug kernel has the detectors); scripts/vm.sh checks the
#      whole log for every other report (KASAN, lockdep, WARN, ...);
#   7. rmmod af_toy succeeds, waiting (bounded) for the sockets trinity
#      left to be freed (TIME_WAIT, RCU) and retrying a few times;
#   8. the slab, settled again, is within FUZZ_SLAB_TOLERANCE_KB (default
#      4096 kB) of the baseline: what the module and the fuzzed sockets
#      allocated came back.  The tolerance covers the kernel's own caches
#      that legitimately keep a little more after a run (debugobjects'
#      pool, per-cpu partial slabs, kmemleak metadata, ...).
# Then a "# Totals:" line as the kselftest suites print.  Exit status 0 only
# if every check passed.
#
# Which family: trinity only creates sockets of domains it has a name for,
# and its pool of sockets, the fds every other call is given, only of
# domains its valid_proto() accepts for the user it runs as (Debian's
# trinity, 1.9+git20230109, fds/sockets.c).  It refuses ECONET and SNA
# ("removed") and, unless it runs as root, LLC, KEY and PACKET ("needs
# root"): with any of those its pool stays empty ("Can't do protocol",
# "created 0 sockets"), socket() alone reaches AF_TOY, and every other
# call is given fd -1 and fails with EBADF.  (The runs with LLC did just
# that, which nothing checked; check 5 below now does.)  TIPC (30) is
# accepted for nobody and has three triplets, all with protocol 0:
# (SOCK_DGRAM), (SOCK_SEQPACKET) and (SOCK_STREAM), so every AF_TOY
# socket type is fuzzed; the debug kernel, the one fuzzed, has no TIPC
# (CONFIG_TIPC is off), so the slot is free.  That is the default,
# FUZZ_DOMAIN=TIPC with family 30.  IPX (4) has only (SOCK_DGRAM, 0).
# LLC and ECONET are accepted for comparison.
#
# Trinity's main process sometimes crashes (SIGSEGV) while it sets up its
# sockets, a bug of its own (see start_trinity's caller); it is then
# restarted with a new seed for the time left, and the restarts counted.
#
# Environment: FUZZ_KO (required), FUZZ_MINUTES (30), FUZZ_DOMAIN (LLC),
# FUZZ_CHILDREN (trinity -C, 4), FUZZ_SEED (trinity -s, default random; it
# is printed either way), FUZZ_SLAB_TOLERANCE_KB (4096).

set -u

MINUTES=${FUZZ_MINUTES:-30}
DOMAIN=${FUZZ_DOMAIN:-TIPC}
CHILDREN=${FUZZ_CHILDREN:-4}
SEED=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
SLAB_TOL_KB=${FUZZ_SLAB_TOLERANCE_KB:-4096}
KO=${FUZZ_KO:-}
NOBODY=65534
# The socket-related system calls trinity knows (it skips any it does not).
SYSCALLS="socket socketpair bind connect listen accept accept4 sendto
	sendmsg sendmmsg recvfrom recvmsg recvmmsg setsockopt getsockopt
	shutdown getsockname getpeername close poll ppoll select pselect6
	ioctl read write readv writev"

# STREAM: does trinity make stream sockets of this domain?
case $DOMAIN in
TIPC) FAMILY=30 STREAM=1 ;;
LLC) FAMILY=26 STREAM=1 ;;
IPX) FAMILY=4 STREAM= ;;
ECONET) FAMILY=19 STREAM= ;;
*) echo "Bail out! FUZZ_DOMAIN must be TIPC, LLC, IPX or ECONET, not '$DOMAIN'"; exit 2 ;;
esac
# The calls that take one socket fd from trinity's pool
FDCALLS="bind connect listen accept accept4 sendto sendmsg sendmmsg recvfrom
	recvmsg recvmmsg setsockopt getsockopt shutdown getsockname getpeername
	ioctl read write readv writev"
[[ $MINUTES =~ ^[1-9][0-9]*$ ]] || { echo "Bail out! FUZZ_MINUTES wants whole minutes"; exit 2; }

pass=0
fail=0
num=0
ok()     { num=$((num + 1)); pass=$((pass + 1)); echo "ok $num - $1"; }
not_ok() { num=$((num + 1)); fail=$((fail + 1)); echo "not ok $num - $1"; }
check()  { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; }
diag()   { echo "# $*"; }

finish() {
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
	[ "$fail" -eq 0 ]
	exit $?
}

bail() {
	not_ok "$1"
	finish
}

echo "TAP version 13"
echo "1..$((9 + ${STREAM:-0}))"

[ "$(id -u)" -eq 0 ] || { echo "Bail out! run as root (in the VM)"; exit 2; }
for c in trinity setpriv; do
	command -v $c >/dev/null || bail "$c is installed"
done
{ [ -n "$KO" ] && [ -f "$KO" ]; } || bail "FUZZ_KO='$KO' is a module file"
[ -d /sys/module/af_toy ] && bail "af_toy.ko is not loaded yet (the baseline needs it absent)"

# The slab in kB after dropping what can be dropped: reclaimable caches
# (dentries, inodes), and, per cache, empty slabs, per-cpu partial slabs
# and KASAN's quarantine (kmem_cache_shrink does all three).
settled_slab() {
	local d

	sync
	echo 3 >/proc/sys/vm/drop_caches
	for d in /sys/kernel/slab/*/; do
		# merged caches appear once as a directory, then as links
		[ -L "${d%/}" ] || echo 1 >"${d}shrink" 2>/dev/null
	done
	awk '/^Slab:/ { print $2 }' /proc/meminfo
}

meminfo() {
	awk '/^(Slab|SReclaimable|SUnreclaim|MemFree):/ { printf "%s %s kB  ", $1, $2 }' /proc/meminfo
}

# ---- 1: baseline -------------------------------------------------------------
settled_slab >/dev/null	# a first pass frees what the boot left
base=$(settled_slab)
diag "before insmod: $(meminfo)"
[[ $base =~ ^[0-9]+$ ]]
check $? "slab baseline before loading: ${base} kB"

# ---- 2: load -----------------------------------------------------------------
insmod "$KO" family=$FAMILY
rc=$?
got=$(cat /sys/module/af_toy/parameters/family 2>/dev/null)
{ [ $rc -eq 0 ] && [ "$got" = "$FAMILY" ]; } ||
	bail "insmod $KO family=$FAMILY (status $rc, family '$got')"
ok "af_toy.ko loaded with family=$FAMILY (trinity's $DOMAIN)"

# ---- 3: trinity --------------------------------------------------------------
# A tmpfs of its own: trinity needs a writable cwd (its socket cache), and
# whatever it writes there is bounded.
WORK=$(mktemp -d /tmp/fuzz.XXXXXX)
mount -t tmpfs -o size=64m,mode=0755,uid=$NOBODY,gid=$NOBODY tmpfs "$WORK" ||
	bail "mount a tmpfs for trinity"
TRINITY_PID=
cleanup() {
	[ -n "$TRINITY_PID" ] && kill -KILL -- -"$TRINITY_PID" 2>/dev/null
	umount "$WORK" 2>/dev/null && rmdir "$WORK"
}
trap cleanup EXIT

args=(-P "$DOMAIN" -q -q -l off -a 64 -C "$CHILDREN" --enable-fds=sockets --stats)
for c in $SYSCALLS; do args+=(-c "$c"); done
diag "trinity ${args[*]} -s SEED"
diag "for $MINUTES min as nobody in $WORK"

# start_trinity SECONDS SEED OUT: trinity in the background for at most
# SECONDS, pid in TRINITY_PID.  Its own session, so that every child can
# be killed as a group; SIGINT first, which trinity takes as "stop, print
# the statistics".
start_trinity() {
	(
		cd "$WORK" || exit 1
		exec setsid timeout -s INT -k 60 "$1" \
			setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
			trinity "${args[@]}" -s "$2" >"$3" 2>&1 </dev/null
	) &
	TRINITY_PID=$!
}

# ---- 4: did it reach AF_TOY? -------------------------------------------------
# Every AF_TOY socket holds a reference on the module: keep the largest
# count seen while trinity runs.
refcnt() { cat /sys/module/af_toy/refcnt 2>/dev/null || echo 0; }
# the socket types /proc/net/toy lists now (its next-to-last column)
types() { awk 'NR > 1 { print $(NF - 1) }' /proc/net/toy 2>/dev/null | sort -u; }

# Trinity's main process itself sometimes dies of SIGSEGV while it opens
# its sockets: do_random_sso() indexes net_protocols[] with "rnd() %
# PF_MAX", negative when rnd() is, and sso_socket() retries a failing
# setsockopt up to 100 times per socket.  That is trinity's bug, not a
# finding: start it again with a new seed for the time that is left (at
# most 20 times).
start=$SECONDS
deadline=$((start + MINUTES * 60))
max=0
seen=
kinds=
runs=0
crashes=0
seed=$SEED
while :; do
	runs=$((runs + 1))
	out=$WORK/trinity.$runs.out
	diag "run $runs: seed $seed, $((deadline - SECONDS)) s"
	start_trinity $((deadline - SECONDS)) "$seed" "$out"
	while kill -0 "$TRINITY_PID" 2>/dev/null; do
		r=$(refcnt)
		[ "$r" -gt "$max" ] && max=$r
		kinds=$(printf '%s\n' $kinds $(types) | sort -u)
		if [ -z "$seen" ] && [ "$max" -gt 0 ]; then
			seen=$((SECONDS - start))
			diag "first AF_TOY socket after $seen s"
		fi
		# a sampling monitor, not a wait for an event: trinity runs
		# for a set time
		sleep 1
	done
	wait "$TRINITY_PID"
	trc=$?
	TRINITY_PID=
	# 139: SIGSEGV of trinity's main process (see above)
	if [ $trc -eq 139 ] && [ $crashes -lt 20 ] && [ $((deadline - SECONDS)) -gt 10 ]; then
		crashes=$((crashes + 1))
		diag "trinity itself crashed (SIGSEGV) after $((SECONDS - start)) s; restarting"
		seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
		continue
	fi
	break
done
secs=$((SECONDS - start))
diag "trinity exited with status $trc after $secs s; the end of its output:"
grep -v '^$' "$out" | tail -n 60 | sed 's/^/#   /'
# 124: "timeout" stopped it at the end of the time, as intended (137: it
# needed SIGKILL); anything else means trinity gave up early (a tainted
# kernel, an error).
[ "$trc" -eq 124 ] || [ "$trc" -eq 137 ]
check $? "trinity ran its $MINUTES min against AF_TOY as nobody (-P $DOMAIN, $secs s, $crashes restart(s) after trinity's own crash)"
[ "$max" -gt 0 ]
check $? "AF_TOY sockets existed during the run (up to $max module references)"
diag "socket types seen in /proc/net/toy: $(echo $kinds)"
if [ -n "$STREAM" ]; then
	grep -qx STREAM <<<"$kinds"
	check $? "AF_TOY stream sockets existed during the run (trinity's $DOMAIN has a SOCK_STREAM triplet)"
fi

# Did those calls get AF_TOY sockets?  Trinity's statistics (printed when
# it stops) count, per call, the attempts and each errno: an fd that is
# not an open socket shows as EBADF or ENOTSOCK.  Allow a tenth for fds
# a child's own close() or shutdown took from under it.
# shellcheck disable=SC2086 # lists of words
tally=$(cat "$WORK"/trinity.*.out 2>/dev/null | awk -v calls=" $(echo $FDCALLS) " '
	/^[a-z0-9_]+: \(attempted:/ {
		name = $1; sub(/:$/, "", name)
		cur = index(calls, " " name " ") > 0
		if (cur) { n = $2; sub(/.*attempted:/, "", n); sub(/\..*/, "", n); tried += n }
		next
	}
	/^[a-z0-9_]+:/ { cur = 0 }
	cur && /^ +(Bad file descriptor|Socket operation on non-socket): / { bad += $NF }
	END { printf "%d %d\n", tried, bad }')
read -r tried bad <<<"$tally"
[ "${tried:-0}" -gt 0 ] && [ $((bad * 10)) -lt "$tried" ]
check $? "trinity's fd calls reached AF_TOY sockets: ${bad:-?} of ${tried:-?} got EBADF or ENOTSOCK"

# ---- 5: nothing of nobody's is left ------------------------------------------
# setsid made the group; kill what is left of it, then wait (bounded) until
# no process of nobody exists at all.
nobody_procs() {
	local f uid rest

	for f in /proc/[0-9]*/status; do
		uid=$(awk '/^Uid:/ { print $2; exit }' "$f" 2>/dev/null)
		[ "$uid" = $NOBODY ] && { rest=${f#/proc/}; echo "${rest%/status}"; }
	done
}
n=0
left=$(nobody_procs)
while [ -n "$left" ] && [ $n -lt 600 ]; do
	# shellcheck disable=SC2086 # a list of pids
	kill -KILL $left 2>/dev/null
	sleep 0.1
	n=$((n + 1))
	left=$(nobody_procs)
done
[ -z "$left" ]
check $? "no process of nobody left after the run${left:+ (still: $left)}"

# ---- 6: the kernel log -------------------------------------------------------
log=$(dmesg)
oom=$(grep -E 'Out of memory|oom-kill|invoked oom-killer' <<<"$log")
hung=$(grep -E 'INFO: task .* blocked for more than|hung_task' <<<"$log")
lockup=$(grep -E 'soft lockup|hard LOCKUP|rcu.*detected stalls|rcu_.*self-detected stall' <<<"$log")
[ -n "$oom" ] && diag "$oom"
[ -n "$hung" ] && diag "$hung"
[ -n "$lockup" ] && diag "$lockup"
[ -z "$oom$hung$lockup" ]
check $? "kernel log: no OOM, no hung task, no soft lockup or RCU stall"

# ---- 7: unload ---------------------------------------------------------------
# Sockets trinity left are freed after TIME_WAIT (0.5 s) and an RCU grace
# period: wait for the references to go (bounded: 120 s, far beyond
# both), then rmmod, retrying a few times.
n=0
while [ "$(refcnt)" -gt 0 ] && [ $n -lt 1200 ]; do
	sleep 0.1
	n=$((n + 1))
done
tries=0
until rmmod af_toy 2>"$WORK/rmmod.err"; do
	tries=$((tries + 1))
	[ $tries -ge 10 ] && break
	sleep 0.5
done
if [ -d /sys/module/af_toy ]; then
	diag "rmmod: $(cat "$WORK/rmmod.err"); refcnt $(refcnt); /proc/net/toy:"
	sed -n '1,20s/^/#   /p' /proc/net/toy 2>/dev/null
	not_ok "rmmod af_toy after the run"
else
	ok "rmmod af_toy after the run ($((tries + 1)) attempt(s))"
fi

# ---- 8: slab back to the baseline --------------------------------------------
cleanup
trap - EXIT
after=$(settled_slab)
diag "after rmmod:   $(meminfo)"
delta=$((after - base))
[ $delta -le "$SLAB_TOL_KB" ]
check $? "slab back to its baseline: ${base} -> ${after} kB (${delta} kB, tolerance $SLAB_TOL_KB kB)"

finish
