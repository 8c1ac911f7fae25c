#!/bin/sh
# scripts/guest/guest-init.sh - /init of the initramfs scripts/vm.sh boots.
#
# Usage: not run by hand.  The kernel runs it as PID 1 under busybox ash
# inside the QEMU guest (stage 1, no arguments); it then re-executes itself
# as "guest-init.sh --in-root" in the host's root (stage 2).  vm.sh copies
# it into the initramfs together with a static busybox and (for stock
# kernels) the 9p/virtio modules listed in /etc/af_toy/modules.
#
# Stage 1, in the initramfs:
#   1. mounts proc, sysfs, devtmpfs; insmods the 9p stack;
#   2. mounts the host's root file system (QEMU -virtfs, tag "host")
#      read-only on /host and copies the job directory that vm.sh prepared
#      (af_toy.job= on the kernel command line) into the initramfs;
#   3. mounts proc, sys, dev, dev/pts, dev/shm, tmp, run, debugfs, tracefs
#      inside /host; mounts the share of the directory vm.sh was started
#      from (tag "share", path in the job's "share" file) at the same path
#      inside /host; brings up lo; copies the job, this script and busybox
#      to /host/run/af_toy;
#   4. switch_root /host: the host root becomes "/" of the guest's mount
#      namespace (not a chroot: the kernel refuses unshare(CLONE_NEWUSER)
#      to a chrooted process, so user namespaces could not be tested), and
#      PID 1 continues as stage 2 from /run/af_toy.
# Stage 2, in the host root (PID 1, busybox from /run/af_toy/bin):
#   5. runs load.sh (insmod of --module), then run.sh (the user's command)
#      with a watchdog, then unload.sh (--rmmod);
#   6. kills what is left, optionally runs a kmemleak scan, dumps the whole
#      kernel log between markers, prints the result marker and reboots
#      (QEMU runs with -no-reboot, so the VM exits).
#
# On a timeout the command's process group gets SIGTERM first and
# $GRACE seconds to report (scripts/guest/run-in-guest.sh prints its summary),
# then SIGKILL; then the tasks still blocked are dumped (sysrq-w) to the
# kernel log.
#
# Markers (NONCE comes from af_toy.nonce= so that output cannot fake them):
#   ==== af_toy-vm NONCE kernel-log begin ====
#   ==== af_toy-vm NONCE kernel-log end ====
#   ==== af_toy-vm NONCE result STAGE RC ====
# STAGE is setup, insmod, command, timeout or rmmod; RC is the exit status of
# that stage (the command's status for "command").

umask 022

NONCE=none
JOB=
TIMEOUT=0
MODDIR=
KMEMLEAK=
KMEMLEAK_SCAN=1
INTERACTIVE=
ROWS=
COLS=
TERM_NAME=
# Seconds a timed-out command gets between SIGTERM and SIGKILL.
GRACE=15
# Where stage 1 leaves the job and the harness for stage 2 (a tmpfs).
RUNDIR=/run/af_toy

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

parse_cmdline() {
	read -r cmdline </proc/cmdline
	for w in $cmdline; do
		case $w in
		af_toy.nonce=*) NONCE=${w#*=} ;;
		af_toy.job=*) JOB=${w#*=} ;;
		af_toy.timeout=*) TIMEOUT=${w#*=} ;;
		af_toy.moddir=*) MODDIR=${w#*=} ;;
		af_toy.kmemleak=*) KMEMLEAK_SCAN=${w#*=} ;;
		af_toy.interactive=*) INTERACTIVE=${w#*=} ;;
		af_toy.rows=*) ROWS=${w#*=} ;;
		af_toy.cols=*) COLS=${w#*=} ;;
		af_toy.term=*) TERM_NAME=${w#*=} ;;
		esac
	done
}

# ---- stage 1: the initramfs ----------------------------------------------

stage1() {
	export PATH=/bin
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	exec </dev/console >/dev/console 2>&1
	# No CR before LF on the serial console: the host log gets plain lines.
	stty -onlcr 2>/dev/null

	parse_cmdline

	# The 9p/virtio stack (empty list on kernels that have it built in).
	if [ -f /etc/af_toy/modules ]; then
		while read -r ko; do
			[ -n "$ko" ] || continue
			insmod "/lib/af_toy/$ko" || echo "af_toy-vm: warning: insmod $ko failed"
		done </etc/af_toy/modules
	fi

	# cache=loose: the share is read-only and the host does not change it
	# during a run; caching makes exec-heavy work ~9x faster than
	# cache=none.  If the mount hangs (virtio without an interrupt), say so
	# on the console with the end of the kernel log, since QEMU's timeout
	# will cut it short.
	opts=trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose
	mkdir -p /host
	(
		sleep 60
		echo "af_toy-vm: the 9p mount of the host is still pending after 60 s; kernel log:"
		dmesg | tail -n 30
	) &
	diag=$!
	mount -t 9p -o $opts host /host || fail "cannot mount the host file system over 9p"
	kill $diag 2>/dev/null
	if [ -z "$JOB" ] || [ ! -d "/host$JOB" ]; then
		fail "job directory '$JOB' not found"
	fi

	# Copy the job now: it usually lives under the host's /tmp, which is
	# about to be covered by the guest's own tmpfs.
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

	# The directory vm.sh was started from, shared on its own: under the
	# host's /tmp or /run it is hidden by the tmpfs mounts above.  Mounted
	# after them so that its mount point can be made there.
	if [ -s /job/share ]; then
		IFS= read -r share </job/share
		if ! { mkdir -p "/host$share" 2>/dev/null &&
			mount -t 9p -o $opts share "/host$share"; }; then
			echo "af_toy-vm: warning: cannot mount the shared $share"
		fi
	fi

	# --modules-dir of a custom kernel: make it /lib/modules/$(uname -r)
	# so that modprobe works in the guest.
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

	# The job, and the harness itself for stage 2: this script and busybox
	# with its applet links (cp -a keeps them links).
	mkdir -p "/host$RUNDIR"
	cp -a /job/. "/host$RUNDIR/" || fail "cannot copy the job into $RUNDIR"
	{ cp -a /bin "/host$RUNDIR/bin" && cp /init "/host$RUNDIR/init"; } ||
		fail "cannot copy the harness into $RUNDIR"

	hostname af-toy-vm
	ip link set lo up || fail "ip link set lo up"

	# The initramfs' own proc, sys and dev would stay mounted, unreachable,
	# under the new root.  (/dev lazily: the console is open on it.)
	umount /sys
	umount /proc
	umount -l /dev
	# switch_root empties the initramfs, moves /host onto / and chroots
	# into it; being the root of the mount namespace, that root is not
	# "chrooted" for unshare(CLONE_NEWUSER).  It must be exec'd by PID 1.
	exec switch_root /host "$RUNDIR/bin/sh" "$RUNDIR/init" --in-root
}

# ---- stage 2: in the host root -------------------------------------------

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

# group_alive PGID: some process of process group PGID is not a zombie.
# (Exited members reparented to init stay zombies until init reaps them.)
group_alive() {
	pg=$1
	for f in /proc/[0-9]*/stat; do
		s=
		{ IFS= read -r s <"$f"; } 2>/dev/null || continue
		# after "pid (comm) ": state ppid pgrp ...
		# shellcheck disable=SC2086 # split into fields on purpose
		set -- ${s##*") "}
		[ "${3:-}" = "$pg" ] && [ "$1" != Z ] && return 0
	done
	return 1
}

# The environment of everything run in the host root.
GUEST_ENV="HOME=/root USER=root LOGNAME=root SHELL=/bin/sh TERM=dumb"
GUEST_ENV="$GUEST_ENV LANG=C.UTF-8 AF_TOY_VM=1"
GUEST_ENV="$GUEST_ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# in_host CMD... : run a command of the host's with a clean env.
in_host() {
	# shellcheck disable=SC2086 # GUEST_ENV is a list of words
	env -i $GUEST_ENV "$@"
}

stage2() {
	# The harness' own tools: busybox, copied by stage 1 (the host's
	# programs are for the command).
	export PATH=$RUNDIR/bin
	parse_cmdline

	# kmemleak (debug kernels) is scanned after the run unless
	# af_toy.kmemleak=0.
	KMEMLEAK=/sys/kernel/debug/kmemleak
	[ -e "$KMEMLEAK" ] && [ "$KMEMLEAK_SCAN" != 0 ] || KMEMLEAK=

	# Load the modules under test.
	if [ -f "$RUNDIR/load.sh" ]; then
		in_host /bin/sh "$RUNDIR/load.sh" </dev/null
		rc=$?
		if [ $rc -ne 0 ]; then
			echo "af_toy-vm: loading the module(s) failed (status $rc)"
			kill_all
			finish insmod $rc
		fi
	fi

	# The command, in its own session so that a timeout kills all of it.
	# Whatever is left of the time budget after boot, minus a margin for
	# the grace period and the kernel-log dump, is the command's (the
	# host's timeout is the backstop).
	stage="command"
	budget=0
	if [ "$TIMEOUT" -gt 0 ] 2>/dev/null; then
		read -r up _ </proc/uptime
		margin=$((10 + GRACE))
		[ -n "$KMEMLEAK" ] && margin=$((90 + GRACE))
		budget=$((TIMEOUT - ${up%.*} - margin))
		[ $budget -ge 1 ] || budget=1
	fi

	timed_out=$RUNDIR/.timed-out
	if [ "$INTERACTIVE" = 1 ]; then
		# vm.sh --interactive: the serial line is the command's
		# terminal, its controlling tty (job control, Ctrl-C).
		stty onlcr rows "${ROWS:-24}" cols "${COLS:-80}" </dev/ttyS0
		# shellcheck disable=SC2086 # GUEST_ENV is a list of words
		setsid -c env -i $GUEST_ENV TERM="${TERM_NAME:-vt100}" \
			/bin/sh "$RUNDIR/run.sh" </dev/ttyS0 >/dev/ttyS0 2>&1 &
	else
		# shellcheck disable=SC2086 # GUEST_ENV is a list of words
		setsid env -i $GUEST_ENV /bin/sh "$RUNDIR/run.sh" </dev/null &
	fi
	cmd=$!
	wd=
	if [ $budget -gt 0 ]; then
		(
			sleep $budget
			: >"$timed_out"
			echo
			echo "af_toy-vm: command timed out after ${budget}s in the guest"
			# TERM first: the command may still report what it has
			# (scripts/guest/run-in-guest.sh prints its summary
			# line).
			kill -s TERM -$cmd 2>/dev/null
			n=0
			while [ $n -lt $((GRACE * 10)) ] && group_alive $cmd; do
				usleep 100000
				n=$((n + 1))
			done
			kill -s KILL -$cmd 2>/dev/null
			# Then what is stuck in the kernel (uninterruptible
			# tasks outlive SIGKILL): after the command's last
			# words, so that the dump does not cut through them on
			# the console.
			echo "af_toy-vm: blocked tasks (sysrq-w):"
			echo w >/proc/sysrq-trigger 2>/dev/null
		) &
		wd=$!
	fi
	wait $cmd
	rc=$?
	if [ -n "$wd" ]; then
		# Timed out: let the watchdog finish the grace period.
		if [ -e "$timed_out" ]; then
			wait $wd
		else
			kill $wd 2>/dev/null
		fi
	fi
	if [ -e "$timed_out" ]; then
		stage=timeout
		rc=124
	fi

	kill_all

	# --rmmod: unload in reverse order; only a failure of an otherwise
	# successful run changes the result.
	if [ -f "$RUNDIR/unload.sh" ]; then
		in_host /bin/sh "$RUNDIR/unload.sh" </dev/null
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
		# unchanged (same checksum) across two scans and is at least 5 s
		# old: scan twice, the second time no earlier than 6 s after the
		# run ended.  (Each scan takes ~10-20 s on a KASAN kernel under
		# TCG.)
		read -r end _ </proc/uptime
		echo scan >"$KMEMLEAK" 2>/dev/null
		read -r now _ </proc/uptime
		left=$((${end%.*} + 6 - ${now%.*}))
		[ $left -gt 0 ] && sleep $left
		echo scan >"$KMEMLEAK" 2>/dev/null
	fi

	finish $stage $rc
}

if [ "${1:-}" = --in-root ]; then
	stage2
else
	stage1
fi
