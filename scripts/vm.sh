#!/bin/bash
# scripts/vm.sh - run a command inside a throw-away QEMU VM that sees the
# host's root file system read-only, and return the command's exit status.
#
# Usage:
#   scripts/vm.sh [options] -- COMMAND...
#
# Kernel (default: the stock 6.1 kernel from scripts/kernels.sh):
#   --kernel RELEASE      stock kernel /boot/vmlinuz-RELEASE; the 9p/virtio
#                         modules come from /lib/modules/RELEASE.  "6.1" and
#                         "6.12" mean the releases scripts/kernels.sh picks
#   --kernel-image PATH   a custom kernel image (bzImage) with virtio-pci and
#                         9p built in; booted with acpi=noirq (see below)
#   --modules-dir DIR     with --kernel-image: its module tree (the directory
#                         holding modules.dep); 9p/virtio modules are loaded
#                         from it if present, and it appears in the guest as
#                         /lib/modules/$(uname -r) so modprobe works
# Module under test:
#   --module PATH.ko      insmod this module before the command (repeatable,
#                         loaded in order); the run fails with exit 4 if
#                         insmod fails
#   --module-args "a=b"   parameters for the preceding --module
#   --rmmod               rmmod the modules (reverse order) after the command;
#                         a failing rmmod fails an otherwise successful run
# Run:
#   --timeout SECONDS     wall-clock limit for the whole VM (default 1200)
#   --log FILE            keep the full serial log in FILE
#   --mem MB              guest memory (default 2048)
#   --smp N               guest CPUs (default 2)
#   --env NAME=VALUE      export a variable to the command (repeatable)
#   --append "ARGS"       extra kernel command-line arguments
#   --interactive         the command's stdin, stdout and stderr are the
#                         guest's serial line, joined to this terminal, with
#                         job control (Ctrl-C reaches the guest): for a
#                         shell, as "make lab" runs one
#   --no-kmemleak         skip the kmemleak scans after the run (kernels
#                         with kmemleak only; saves ~30 s there)
#   --kvm                 use KVM (-accel kvm -cpu host) instead of TCG
#   --icount              TCG with "-icount shift=0,sleep=off": the guest's
#                         clock advances one nanosecond per instruction
#                         executed (and jumps ahead when every CPU idles),
#                         so guest-measured time counts instructions and
#                         no longer depends on how busy the host is
#                         (make bench's BENCH_ICOUNT=1)
#                         (nested KVM hangs on the project's build machine)
#   -h, --help            this text
#
# COMMAND: a single argument is a shell script, run with sh -c (e.g.
# 'uname -r; exit 7'); several arguments are a command and its arguments,
# quoted exactly.  It runs as root in the directory vm.sh was started from,
# with HOME=/root, a standard PATH, AF_TOY_VM=1, stdin /dev/null, and
# stdout/stderr on the serial console, streamed live to vm.sh's stdout.
# The guest's root is the host's root file system, read-only over 9p,
# entered with switch_root (not chroot, so unshare(CLONE_NEWUSER) works:
# "unshare -Urn" as an unprivileged user).  On it, /proc, /sys, /dev,
# /dev/pts, /dev/shm, /tmp and /run (tmpfs: the host's /tmp and /run are
# NOT visible), debugfs and tracefs are mounted and lo is up.
#
# The directory vm.sh was started from (or, when that is inside the
# checkout vm.sh belongs to, that whole checkout) is shared on its own,
# read-only, at the same path, so a clone under the host's /tmp or /run
# works too.  Not shared (vm.sh warns) when it is /, or one of the guest's
# own mount points (/tmp, /run, /dev, /dev/shm, /proc, /sys), or below
# /proc or /sys; the command then runs in / if the directory is not
# visible.
#
# After the command, leftover processes are killed, --rmmod runs, and on
# kernels with kmemleak two scans run (kmemleak needs two to report a new
# object, and ignores objects younger than 5 s).  Then
# the guest's whole kernel log is printed between
# "==== af_toy-vm ... kernel-log begin/end ====" markers and checked for
# BUG/WARNING/Oops/KASAN/UBSAN/kmemleak/lockdep/refcount/hung-task/list
# corruption reports, and a device whose unregistration waits for a
# reference nobody drops.
#
# Cached (rebuilt when stale) under ${XDG_CACHE_HOME:-~/.cache}/af_toy/vm/:
# the busybox initramfs per kernel and, for compressed kernels with
# CONFIG_PVH, the unpacked vmlinux (booting it skips ~2.5 s of xz
# decompression under TCG); scripts/vm-image.sh builds both.
#
# Exit status:
#   the command's own status, or
#   2    usage error
#   3    the command succeeded but the kernel log has a bug report
#   4    insmod of a --module failed (or --rmmod failed)
#   124  timeout (a little before --timeout the guest sends the command's
#        process group SIGTERM, then 15 s later SIGKILL, and still dumps
#        its kernel log; QEMU itself is killed at --timeout)
#   125  the VM did not report a result (kernel panic, init failure,
#        QEMU error) or another harness error
# On any failure the serial log is kept and its path printed.

# The whole script is one { ... } block: bash parses it completely before
# running, so editing or checking out vm.sh while a (long) run is in
# progress cannot make that run execute a mix of old and new text.
{
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
GUEST_INIT=$SCRIPT_DIR/guest/guest-init.sh
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/af_toy/vm

# Kernel-log lines that make a run fail ...
BAD_LOG_RE='BUG:|WARNING:|Oops|KASAN|UBSAN|kmemleak|unreferenced object|refcount_t:|possible recursive locking|possible circular locking|inconsistent lock state|INFO: task .* blocked|general protection fault|Call Trace|list_add corruption|list_del corruption|unregister_netdevice: waiting for'
# ... unless they are one of these known-benign lines (keep this narrow).
BENIGN_LOG_RE='kmemleak: Kernel memory leak detector initialized|kmemleak: Automatic memory scanning thread started|Command line: |Kernel command line: '
# A suite that makes the kernel print plain stack dumps on purpose writes
# these two lines to /dev/kmsg around them: between them, "Call Trace"
# alone is not a report (dump_stack(): the kernel's sysctl registration
# prints one whenever an injected allocation failure makes it fail, see
# tests/netns_fault_test.sh).  Every other pattern still counts there:
# a WARN, BUG, KASAN or lockdep report prints its own line.
EXPECT_DUMPS_BEGIN='af_toy-test: stack dumps expected from here'
EXPECT_DUMPS_END='af_toy-test: stack dumps no longer expected'

die() {
	echo "vm.sh: $*" >&2
	exit 125
}

usage() {
	sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"
}

usage_error() {
	echo "vm.sh: $*" >&2
	echo "Try 'scripts/vm.sh --help'." >&2
	exit 2
}

# shquote STRING: STRING as one POSIX sh word.
shquote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

# The initramfs and boot image (build_initramfs, pvh_image) and their
# constants.  Sourced here, at the start: bash reads a sourced file whole
# before running it, so this, like the rest, is fixed for the whole run.
# shellcheck source=scripts/vm-image.sh
source "$SCRIPT_DIR/vm-image.sh" || die "cannot read $SCRIPT_DIR/vm-image.sh"

# --- arguments ---------------------------------------------------------------

KERNEL_REL=
KERNEL_IMAGE=
MODULES_DIR=
MODULES=()
MODARGS=()
RMMOD=0
TIMEOUT=1200
LOG=
MEM=2048
SMP=2
ENVS=()
APPEND=
INTERACTIVE=
ACCEL=(-accel tcg -cpu max)

need_arg() {
	[[ $# -ge 2 ]] || usage_error "option $1 needs an argument"
}

while [[ $# -gt 0 ]]; do
	case $1 in
	--kernel) need_arg "$@"; KERNEL_REL=$2; shift 2 ;;
	--kernel-image) need_arg "$@"; KERNEL_IMAGE=$2; shift 2 ;;
	--modules-dir) need_arg "$@"; MODULES_DIR=$2; shift 2 ;;
	--module) need_arg "$@"; MODULES+=("$2"); MODARGS+=(""); shift 2 ;;
	--module-args)
		need_arg "$@"
		[[ ${#MODULES[@]} -gt 0 ]] || usage_error "--module-args must follow --module"
		MODARGS[${#MODARGS[@]} - 1]=$2
		shift 2
		;;
	--rmmod) RMMOD=1; shift ;;
	--timeout) need_arg "$@"; TIMEOUT=$2; shift 2 ;;
	--log) need_arg "$@"; LOG=$2; shift 2 ;;
	--mem) need_arg "$@"; MEM=$2; shift 2 ;;
	--smp) need_arg "$@"; SMP=$2; shift 2 ;;
	--env) need_arg "$@"; ENVS+=("$2"); shift 2 ;;
	--append) need_arg "$@"; APPEND="$APPEND $2"; shift 2 ;;
	--kvm) ACCEL=(-accel kvm -cpu host); shift ;;
	--icount) ACCEL=(-accel tcg -cpu max -icount "${ICOUNT:-shift=0,sleep=off}"); shift ;;
	--no-kmemleak) APPEND="$APPEND af_toy.kmemleak=0"; shift ;;
	--interactive) INTERACTIVE=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	*) usage_error "unknown option '$1' (the command goes after --)" ;;
	esac
done
[[ $# -gt 0 ]] || usage_error "no command given (scripts/vm.sh [options] -- COMMAND...)"

[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || usage_error "--timeout wants whole seconds"
[[ $MEM =~ ^[1-9][0-9]*$ ]] || usage_error "--mem wants megabytes"
[[ $SMP =~ ^[1-9][0-9]*$ ]] || usage_error "--smp wants a number"
[[ -n $KERNEL_REL && -n $KERNEL_IMAGE ]] &&
	usage_error "--kernel and --kernel-image are exclusive"
[[ -n $MODULES_DIR && -z $KERNEL_IMAGE ]] &&
	usage_error "--modules-dir goes with --kernel-image"
for e in "${ENVS[@]}"; do
	[[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || usage_error "--env wants NAME=VALUE, got '$e'"
done

# --- kernel ------------------------------------------------------------------

if [[ -n $KERNEL_IMAGE ]]; then
	[[ -r $KERNEL_IMAGE ]] || die "kernel image '$KERNEL_IMAGE' not readable"
	KERNEL_IMAGE=$(readlink -f "$KERNEL_IMAGE")
	MODDIR=
	if [[ -n $MODULES_DIR ]]; then
		[[ -f $MODULES_DIR/modules.dep ]] ||
			die "--modules-dir '$MODULES_DIR' has no modules.dep (run depmod)"
		MODDIR=$(readlink -f "$MODULES_DIR")
	fi
	# Cache name: "custom-" + a hash of the image's path + its base name.
	KNAME=custom-$(echo "$KERNEL_IMAGE" | sha256sum | cut -c1-8)-$(basename "$KERNEL_IMAGE" | tr -c 'A-Za-z0-9._+\n-' _)
else
	case $KERNEL_REL in
	"" | 6.1 | 6.12)
		series=${KERNEL_REL:-6.1}
		KERNEL_REL=$("$SCRIPT_DIR/kernels.sh" "$series") ||
			die "no $series kernel installed (run scripts/setup.sh)"
		;;
	esac
	KERNEL_IMAGE=/boot/vmlinuz-$KERNEL_REL
	MODDIR=/lib/modules/$KERNEL_REL
	[[ -r $KERNEL_IMAGE ]] || die "no readable $KERNEL_IMAGE (scripts/kernels.sh lists the installed ones)"
	[[ -f $MODDIR/modules.dep ]] || die "no $MODDIR/modules.dep"
	KNAME=$KERNEL_REL
fi

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (run scripts/setup.sh)"
# The initramfs has no libc: busybox must be the static one.
BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] || die "busybox missing (install busybox-static: scripts/setup.sh)"
ldd "$BUSYBOX" >/dev/null 2>&1 &&
	die "$BUSYBOX is dynamically linked; install busybox-static (scripts/setup.sh)"
[[ -r $GUEST_INIT ]] || die "$GUEST_INIT missing"

# --- initramfs and boot image (scripts/vm-image.sh) -------------------------

INITRD=$(build_initramfs)
BOOT_IMAGE=$(pvh_image "$KERNEL_IMAGE")

# --- the job -----------------------------------------------------------------

JOB=$(mktemp -d "${TMPDIR:-/tmp}/af_toy-vm.XXXXXX")
JOB=$(readlink -f "$JOB")
[[ $JOB =~ ^[A-Za-z0-9._/+-]+$ ]] || die "job directory '$JOB' has characters the kernel command line cannot carry; set TMPDIR"

SERIAL_LOG=${LOG:-$(mktemp "${TMPDIR:-/tmp}/af_toy-vm.XXXXXX.log")}
KEEP_LOG=0
[[ -n $LOG ]] && KEEP_LOG=1
QEMU_PID=

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	local rc=$?
	if [[ -n $QEMU_PID ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill -TERM "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
	fi
	rm -rf "$JOB"
	if [[ $rc -eq 0 && $KEEP_LOG -eq 0 ]]; then
		rm -f "$SERIAL_LOG"
	elif [[ -f $SERIAL_LOG ]]; then
		echo "vm.sh: serial log: $SERIAL_LOG" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "vm.sh: interrupted" >&2; exit 130' INT TERM HUP

# The share: the directory we were started from, or the checkout this
# vm.sh belongs to when we were started inside it (so "cd .." from a
# subdirectory such as tests/ still works).  Read-only, like the rest.
SHARE=$PWD
TOP=$(dirname "$SCRIPT_DIR")
case $PWD/ in
"$TOP"/*) SHARE=$TOP ;;
esac
case $SHARE in
/ | /tmp | /run | /dev | /dev/shm | /proc | /sys | /proc/* | /sys/* | *$'\n'*)
	echo "vm.sh: note: $SHARE is not shared with the guest (it has its own /, /tmp, /run, /dev, /proc, /sys)" >&2
	SHARE=
	;;
esac
VIRTFS_SHARE=()
if [[ -n $SHARE ]]; then
	echo "$SHARE" >"$JOB/share"
	# QEMU's option syntax: a comma in a value is written twice.
	VIRTFS_SHARE=(-virtfs "local,path=${SHARE//,/,,},mount_tag=share,security_model=none,readonly=on,multidevs=remap")
fi

# run.sh: cd to the caller's directory, export --env, run the command.
if [[ $# -eq 1 ]]; then
	SCRIPT=$1
else
	SCRIPT=
	for a in "$@"; do SCRIPT+="$(shquote "$a") "; done
fi
{
	echo "# generated by scripts/vm.sh"
	echo "cd $(shquote "$PWD") 2>/dev/null || {"
	echo "	echo $(shquote "vm.sh: warning: $PWD is not visible in the guest; running in /") >&2"
	echo "	cd /"
	echo "}"
	for e in "${ENVS[@]}"; do
		echo "export ${e%%=*}=$(shquote "${e#*=}")"
	done
	echo "exec /bin/sh -c $(shquote "$SCRIPT")"
} >"$JOB/run.sh"

# load.sh / unload.sh: the modules under test, copied into the job (so the
# guest sees them even if they live under /tmp, and a rebuild during the
# run does not matter).
if [[ ${#MODULES[@]} -gt 0 ]]; then
	names=()
	{
		echo "# generated by scripts/vm.sh"
		for i in "${!MODULES[@]}"; do
			m=${MODULES[$i]}
			[[ -f $m ]] || die "module '$m' not found"
			dst=mod$i-$(basename "$m" | tr -c 'A-Za-z0-9._+\n-' _)
			cp "$m" "$JOB/$dst"
			n=$(modinfo -F name "$m" 2>/dev/null || true)
			[[ -n $n ]] || { n=$(basename "$m"); n=${n%%.ko*}; n=${n//-/_}; }
			names+=("$n")
			read -ra words <<<"${MODARGS[$i]}"
			line="/sbin/insmod /run/af_toy/$dst"
			for w in "${words[@]}"; do line+=" $(shquote "$w")"; done
			echo "echo $(shquote "af_toy-vm: insmod $m ${MODARGS[$i]}")"
			echo "$line || exit \$?"
		done
	} >"$JOB/load.sh"
	if [[ $RMMOD -eq 1 ]]; then
		{
			echo "# generated by scripts/vm.sh"
			echo "rc=0"
			for ((i = ${#names[@]} - 1; i >= 0; i--)); do
				echo "echo $(shquote "af_toy-vm: rmmod ${names[$i]}")"
				echo "/sbin/rmmod $(shquote "${names[$i]}") || rc=\$?"
			done
			echo "exit \$rc"
		} >"$JOB/unload.sh"
	fi
fi

# --- QEMU --------------------------------------------------------------------

NONCE=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
# no_timer_check: on a starved TCG host the IO-APIC timer check can time
# out and panic the boot ("IO-APIC + timer doesn't work!"); skip it, as
# VM images commonly do.
CMDLINE="console=ttyS0 quiet panic=-1 log_buf_len=8M no_timer_check"
CMDLINE+=" af_toy.nonce=$NONCE af_toy.job=$JOB af_toy.timeout=$TIMEOUT"
# Custom (debug) kernels: KASAN+lockdep make the ACPI interpreter so slow
# under TCG that evaluating the PCI _PRT hits ACPI's 30 s loop timeout and
# virtio-pci ends up without an interrupt (the 9p mount then hangs).
# acpi=noirq routes PCI interrupts from the BIOS tables instead.
if [[ $KNAME == custom-* ]]; then
	CMDLINE+=" acpi=noirq"
	if [[ -n $MODDIR ]]; then
		[[ $MODDIR =~ ^[A-Za-z0-9._/+-]+$ ]] || die "--modules-dir path has unusual characters"
		CMDLINE+=" af_toy.moddir=$MODDIR"
	fi
fi
CMDLINE+="$APPEND"
if [[ -n $INTERACTIVE ]]; then
	# The terminal's size and type, which a serial line cannot tell.
	read -r rows cols < <(stty size 2>/dev/null || echo "24 80")
	term=${TERM:-vt100}
	[[ $term =~ ^[A-Za-z0-9._+-]+$ ]] || term=vt100
	CMDLINE+=" af_toy.interactive=1 af_toy.rows=$rows af_toy.cols=$cols af_toy.term=$term"
	exec 3<&0	# a background job's stdin is /dev/null otherwise
else
	exec 3</dev/null
fi

: >"$SERIAL_LOG"
START=$(date +%s.%N)
# -serial: the console goes to stdout (live) and, via logfile=, to the log.
timeout --kill-after=10 "$TIMEOUT" \
	qemu-system-x86_64 "${ACCEL[@]}" -smp "$SMP" -m "$MEM" \
	-nodefaults -no-user-config -display none -no-reboot \
	-chardev "stdio,id=con,signal=off,logfile=$SERIAL_LOG" \
	-serial chardev:con -monitor none -nic none \
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	"${VIRTFS_SHARE[@]}" \
	-kernel "$BOOT_IMAGE" -initrd "$INITRD" -append "$CMDLINE" \
	<&3 &
QEMU_PID=$!
set +e
wait "$QEMU_PID"
QRC=$?
set -e
QEMU_PID=
ELAPSED=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

# --- results -----------------------------------------------------------------

if [[ $QRC -eq 124 || $QRC -eq 137 ]]; then
	echo >&2
	echo "vm.sh: TIMEOUT: QEMU killed after ${TIMEOUT}s; last 50 lines of the serial log:" >&2
	tr -d '\r' <"$SERIAL_LOG" | tail -n 50 | sed 's/^/  | /' >&2
	exit 124
fi

CLEAN_LOG=$JOB/serial.clean
tr -d '\r' <"$SERIAL_LOG" >"$CLEAN_LOG"

RESULT=$(grep -ao "==== af_toy-vm $NONCE result [a-z]* [0-9]* ====" "$CLEAN_LOG" | tail -n 1 || true)
if [[ -z $RESULT ]]; then
	echo >&2
	if grep -aq 'Kernel panic' "$CLEAN_LOG"; then
		echo "vm.sh: FAILED: the guest kernel panicked (QEMU status $QRC, ${ELAPSED}s); last 50 lines:" >&2
	else
		echo "vm.sh: FAILED: the VM ended without a result (QEMU status $QRC, ${ELAPSED}s); last 50 lines:" >&2
	fi
	tail -n 50 "$CLEAN_LOG" | sed 's/^/  | /' >&2
	exit 125
fi
read -r _ _ _ _ STAGE RC _ <<<"$RESULT"

# Kernel-log check: the dumped log (everything if the markers are broken).
KLOG=$JOB/kernel.log
awk -v b="==== af_toy-vm $NONCE kernel-log begin ====" \
	-v e="==== af_toy-vm $NONCE kernel-log end ====" '
	index($0, b) { on = 1; next }
	index($0, e) { on = 0; next }
	on' "$CLEAN_LOG" >"$KLOG"
[[ -s $KLOG ]] || cp "$CLEAN_LOG" "$KLOG"

# The numbers of the lines that count (see EXPECT_DUMPS_BEGIN).
BAD=$(awk -v bad="$BAD_LOG_RE" -v benign="$BENIGN_LOG_RE" \
	-v b="$EXPECT_DUMPS_BEGIN" -v e="$EXPECT_DUMPS_END" '
	index($0, b) { dumps = 1 }
	index($0, e) { dumps = 0 }
	{
		line = $0
		if (dumps)
			gsub(/Call Trace/, "", line)
		if (line ~ bad && $0 !~ benign)
			print NR
	}' "$KLOG")
if [[ -n $BAD ]]; then
	echo >&2
	echo "vm.sh: KERNEL LOG CHECK FAILED: $(wc -l <<<"$BAD") suspicious line(s) in the guest kernel log:" >&2
	# Each offending line (marked ">>") with 20 lines of context, at most
	# 400 lines.  awk stops by itself: "| head" would kill it with SIGPIPE
	# on a long report, and pipefail would make that vm.sh's status (141).
	# The line numbers go in a file: as an argument, thousands of them
	# would exceed the kernel's limit on one argument's length.
	echo "$BAD" >"$JOB/bad.lines"
	awk -v max=400 '
		NR == FNR { bad[$1] = 1; next }
		{ text[FNR] = $0; n = FNR }
		function out(s) {
			if (printed++ < max) print s
		}
		END {
			last = 0
			for (i = 1; i <= n; i++) {
				if (!(i in bad)) continue
				from = i - 20 < 1 ? 1 : i - 20
				to = i + 20 > n ? n : i + 20
				if (from <= last) from = last + 1
				else if (last) out("  --")
				for (j = from; j <= to; j++)
					out(sprintf("  %s %s", (j in bad ? ">>" : "| "), text[j]))
				last = to
			}
			if (printed > max)
				printf "  ... %d more lines; the whole log is in the serial log\n", printed - max
		}' "$JOB/bad.lines" "$KLOG" >&2
fi

case $STAGE in
setup)
	echo "vm.sh: FAILED: guest setup failed (see the log above, ${ELAPSED}s)" >&2
	exit 125
	;;
insmod)
	echo "vm.sh: FAILED: insmod failed with status $RC (${ELAPSED}s)" >&2
	exit 4
	;;
rmmod)
	echo "vm.sh: FAILED: rmmod failed with status $RC (${ELAPSED}s)" >&2
	exit 4
	;;
timeout)
	echo "vm.sh: TIMEOUT: the command did not finish within --timeout ${TIMEOUT}s (${ELAPSED}s)" >&2
	exit 124
	;;
command)
	if [[ -n $BAD && $RC -eq 0 ]]; then
		echo "vm.sh: FAILED: the command succeeded but the kernel log has bug reports (${ELAPSED}s)" >&2
		exit 3
	fi
	if [[ $RC -ne 0 ]]; then
		echo "vm.sh: command exited with status $RC (${ELAPSED}s)" >&2
	else
		echo "vm.sh: ok (${ELAPSED}s)" >&2
	fi
	exit "$RC"
	;;
*) die "unknown result stage '$STAGE'" ;;
esac
}
