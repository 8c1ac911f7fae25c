#!/bin/sh
# scripts/guest-init.sh - /init of the initramfs that scripts/vm.sh boots.
#
# Runs as PID 1 under busybox ash inside the QEMU guest; it is not meant to
# be run on the host.  vm.sh copies it into the initramfs together with a
# static busybox and (for stock kernels) the 9p/virtio modules listed in
# /etc/af_toy/modules.
#
# What it does:
#   1. mounts proc, sysfs, devtmpfs; insmods the 9p stack;
#   2. mounts the host's root file system (QEMU -virtfs, tag "host")
#      read-only on /host and copies the job directory that vm.sh prepared
#      (af_toy.job= on the kernel command line) into the initramfs;
#   3. mounts proc, sys, dev, dev/pts, dev/shm, tmp, run, debugfs, tracefs
#      inside /host, brings up lo, copies the job to /host/run/af_toy;
#   4. inside "chroot /host": runs load.sh (insmod of --module), then
#      run.sh (the user's command) with a watchdog, then unload.sh (--rmmod);
#   5. kills what is left, optionally runs a kmemleak scan, dumps the whole
#      kernel log between markers, prints the result marker and reboots
#      (QEMU runs with -no-reboot, so the VM exits).
#
# Markers (NONCE comes from af_toy.nonce= so that output cannot fake them):
#   ==== af_toy-vm NONCE kernel-log begin ====
#   ==== af_toy-vm NONCE kernel-log end ====
#   ==== af_toy-vm NONCE result STAGE RC ====
# STAGE is setup, insmod, command, timeout or rmmod; RC is the exit status of
# that stage (the command's status for "command").

export PATH=/bin
umask 022

NONCE=none
JOB=
TIMEOUT=0
MODDIR=
KMEMLEAK=
KMEMLEAK_SCAN=1

# Dump the kernel log, print the result marker and leave the VM.
# finish STAGE RC
finish() {
	stage=$1
	rc=$2
	echo "==== af_toy-vm $NONCE kernel-log begin ===="
	dmesg
	if [ -n "$KMEMLEAK" ] && [ -e "$KMEMLEAK" ]; then
		# Reports are also in the kernel log ("kmemleak: N new suspected
		# memory leaks"); print the details next to them.
		cat "$KMEMLEAK"
	fi
	echo "==== af_toy-vm $NONCE kernel-log end ===="
	echo "==== af_toy-vm $NONCE result $stage $rc ===="
	# reboot rather than poweroff: with QEMU's -no-reboot both end the VM,
	# but a reboot works even on kernels built without ACPI.
	reboot -f
	poweroff -f
	# Not reached.  If it were, init exiting panics the kernel (panic=-1
	# reboots at once).
	exit 1
}

fail() {
	echo "af_toy-vm: $*"
	finish setup 1
}

# Kill every process except init, then wait (bounded) until they are gone
# so that their sockets and files are released before rmmod/dmesg.
# Kernel threads and zombies have an empty /proc/PID/cmdline.
kill_all() {
	kill -s KILL -1 2>/dev/null
	n=0
	while [ $n -lt 500 ]; do
		alive=
		for f in /proc/[0-9]*/cmdline; do
			p=${f#/proc/}
			p=${p%/cmdline}
			[ "$p" = 1 ] && continue
			x=
			{ IFS= read -r x <"$f"; } 2>/dev/null
			[ -n "$x" ] && alive="$alive $p"
		done
		[ -z "$alive" ] && return 0
		usleep 10000
		n=$((n + 1))
	done
	echo "af_toy-vm: warning: processes still alive after SIGKILL:$alive"
	return 1
}

# The environment of everything run inside the host root.
GUEST_ENV="HOME=/root USER=root LOGNAME=root SHELL=/bin/sh TERM=dumb"
GUEST_ENV="$GUEST_ENV LANG=C.UTF-8 AF_TOY_VM=1"
GUEST_ENV="$GUEST_ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# in_host CMD... : run a command inside the host root with a clean env.
in_host() {
	# shellcheck disable=SC2086 # GUEST_ENV is a list of words
	env -i $GUEST_ENV chroot /host "$@"
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
# No CR before LF on the serial console: the host log gets plain lines.
stty -onlcr 2>/dev/null

read -r cmdline </proc/cmdline
for w in $cmdline; do
	case $w in
	af_toy.nonce=*) NONCE=${w#*=} ;;
	af_toy.job=*) JOB=${w#*=} ;;
	af_toy.timeout=*) TIMEOUT=${w#*=} ;;
	af_toy.moddir=*) MODDIR=${w#*=} ;;
	af_toy.kmemleak=*) KMEMLEAK_SCAN=${w#*=} ;;
	esac
done

# The 9p/virtio stack (empty list on kernels that have it built in).
if [ -f /etc/af_toy/modules ]; then
	while read -r ko; do
		[ -n "$ko" ] || continue
		insmod "/lib/af_toy/$ko" || echo "af_toy-vm: warning: insmod $ko failed"
	done </etc/af_toy/modules
fi

# cache=loose: the share is read-only and the host does not change it
# during a run; caching makes exec-heavy work ~9x faster than cache=none.
# If the mount hangs (virtio without an interrupt), say so on the console
# with the end of the kernel log, since QEMU's timeout will cut it short.
mkdir -p /host
(
	sleep 60
	echo "af_toy-vm: the 9p mount of the host is still pending after 60 s; kernel log:"
	dmesg | tail -n 30
) &
diag=$!
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose \
	host /host || fail "cannot mount the host file system over 9p"
kill $diag 2>/dev/null
if [ -z "$JOB" ] || [ ! -d "/host$JOB" ]; then
	fail "job directory '$JOB' not found"
fi

# Copy the job now: it usually lives under the host's /tmp, which is about
# to be covered by the guest's own tmpfs.
mkdir -p /job
cp -a "/host$JOB/." /job/ || fail "cannot copy the job directory"

mount -t proc proc /host/proc || fail "mount /host/proc"
mount -t sysfs sysfs /host/sys || fail "mount /host/sys"
mount -t devtmpfs devtmpfs /host/dev || fail "mount /host/dev"
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /host/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /host/dev/shm
mount -t tmpfs -o mode=1777 tmpfs /host/tmp || fail "mount /host/tmp"
mount -t tmpfs -o mode=755 tmpfs /host/run || fail "mount /host/run"
[ -d /host/sys/kernel/debug ] &&
	mount -t debugfs debugfs /host/sys/kernel/debug 2>/dev/null
[ -d /host/sys/kernel/tracing ] &&
	mount -t tracefs tracefs /host/sys/kernel/tracing 2>/dev/null

# --modules-dir of a custom kernel: make it /lib/modules/$(uname -r) so
# that modprobe works inside the chroot.
# (Bind it aside first: it may itself live under /lib/modules.)
if [ -n "$MODDIR" ]; then
	rel=$(uname -r)
	mkdir -p /moddir
	mount -o bind "/host$MODDIR" /moddir &&
		mount -t tmpfs -o mode=755 tmpfs /host/lib/modules &&
		mkdir -p "/host/lib/modules/$rel" &&
		mount --move /moddir "/host/lib/modules/$rel" ||
		echo "af_toy-vm: warning: cannot bind $MODDIR to /lib/modules/$rel"
fi

mkdir -p /host/run/af_toy
cp -a /job/. /host/run/af_toy/ || fail "cannot copy the job into /run"

hostname af-toy-vm
ip link set lo up || fail "ip link set lo up"

# kmemleak (debug kernels) is scanned after the run unless
# af_toy.kmemleak=0.
KMEMLEAK=/host/sys/kernel/debug/kmemleak
[ -e "$KMEMLEAK" ] && [ "$KMEMLEAK_SCAN" != 0 ] || KMEMLEAK=

# Load the modules under test.
if [ -f /job/load.sh ]; then
	in_host /bin/sh /run/af_toy/load.sh </dev/null
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "af_toy-vm: loading the module(s) failed (status $rc)"
		kill_all
		finish insmod $rc
	fi
fi

# The command, in its own session so that a timeout kills all of it.
# Whatever is left of the time budget after boot, minus a margin for the
# kernel-log dump, is the command's (the host's timeout is the backstop).
stage="command"
budget=0
if [ "$TIMEOUT" -gt 0 ] 2>/dev/null; then
	read -r up _ </proc/uptime
	margin=10
	[ -n "$KMEMLEAK" ] && margin=90
	budget=$((TIMEOUT - ${up%.*} - margin))
	[ $budget -ge 1 ] || budget=1
fi

# shellcheck disable=SC2086 # GUEST_ENV is a list of words
setsid env -i $GUEST_ENV chroot /host /bin/sh /run/af_toy/run.sh </dev/null &
cmd=$!
wd=
if [ $budget -gt 0 ]; then
	(
		sleep $budget
		: >/timed-out
		echo
		echo "af_toy-vm: command timed out after ${budget}s in the guest; blocked tasks:"
		echo w >/proc/sysrq-trigger 2>/dev/null
		kill -s KILL -$cmd
	) &
	wd=$!
fi
wait $cmd
rc=$?
[ -n "$wd" ] && kill $wd 2>/dev/null
if [ -e /timed-out ]; then
	stage=timeout
	rc=124
fi

kill_all

# --rmmod: unload in reverse order; only a failure of an otherwise
# successful run changes the result.
if [ -f /job/unload.sh ]; then
	in_host /bin/sh /run/af_toy/unload.sh </dev/null
	urc=$?
	if [ $urc -ne 0 ]; then
		echo "af_toy-vm: unloading the module(s) failed (status $urc)"
		if [ $stage = command ] && [ $rc -eq 0 ]; then
			stage=rmmod
			rc=$urc
		fi
	fi
fi

if [ -n "$KMEMLEAK" ]; then
	# kmemleak reports an object only when it was unreferenced and
	# unchanged (same checksum) across two scans and is at least 5 s old:
	# scan twice, the second time no earlier than 6 s after the run ended.
	# (Each scan takes ~10-20 s on a KASAN kernel under TCG.)
	read -r end _ </proc/uptime
	echo scan >"$KMEMLEAK" 2>/dev/null
	read -r now _ </proc/uptime
	left=$((${end%.*} + 6 - ${now%.*}))
	[ $left -gt 0 ] && sleep $left
	echo scan >"$KMEMLEAK" 2>/dev/null
fi

finish $stage $rc
