#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-debug-kernel.sh - build (once) and cache the AF_TOY debug kernel.
#
# Builds a small x86_64 kernel from Debian's linux-source-6.1 with the
# debugging options in scripts/debug-kernel.config (KASAN, lockdep, kmemleak,
# KUnit, gcov, ...) on top of `make tinyconfig`, for running af_toy.ko and its
# KUnit tests under QEMU (see scripts/vm.sh --kernel-image).  The result lives
# in a cache outside the repository, keyed by the kernel source version and a
# hash of the config fragment, so only the first run pays (a few minutes on
# two cores); later runs return at once.
#
# The build directory is a full kernel build with CONFIG_MODULES, so it is a
# KDIR for out-of-tree modules:  make -C "$(scripts/build-debug-kernel.sh
# --print-dir)" M=$PWD modules
#
# Nothing here loads anything into the host kernel.

set -euo pipefail

# Bump when a change to this script (not to the fragment) must invalidate
# cached kernels, e.g. different make flags.  It is hashed with the fragment.
BUILDER_REV=1

SRC_PKG=linux-source-6.1
SRC_TARBALL=/usr/src/linux-source-6.1.tar.xz
SRC_TOPDIR=linux-source-6.1          # top directory inside the tarball
DEPS=("$SRC_PKG" build-essential flex bison bc libelf-dev libssl-dev cpio
      xz-utils dwarves python3)
KARCH=x86_64
STAMP=.aftoy-build-complete          # written last: its presence == finished
CONFIG_OK=.aftoy-config-verified     # written after the fragment check passed

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fragment=$script_dir/debug-kernel.config
cache_root=${AFTOY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/af_toy}
jobs=${AFTOY_KERNEL_JOBS:-2}
mode=all            # all | dir | image | config
rebuild=0
prune=0

usage() {
	cat <<EOF
Usage: ${0##*/} [OPTION]...

Build the AF_TOY debug kernel if it is not in the cache yet, then print where
it is.  Progress goes to stderr; only the requested paths go to stdout.

  --print-dir      print only the build directory (a KDIR for M= builds)
  --print-image    print only the bzImage path
  --config-only    only generate and verify .config, print its path (a quick
                   way to try fragment edits; a finished build is left as is)
  --rebuild        throw away this configuration's cached build and rebuild
  --prune          delete cached kernels and sources other than the current
  -j, --jobs N     parallel make jobs (default 2, or \$AFTOY_KERNEL_JOBS)
  -h, --help       this text

Default output (eval-able):
  KDIR=<build dir>
  BZIMAGE=<build dir>/arch/x86/boot/bzImage
  KERNELRELEASE=<uname -r of the guest>

Cache: \${AFTOY_CACHE:-\${XDG_CACHE_HOME:-\$HOME/.cache}/af_toy}
       now $cache_root
  src-<deb version>/$SRC_TOPDIR        the unpacked source (shared)
  kernel-<deb version>-<fragment hash>/   O= build dir, build.log inside
Config fragment: $fragment
EOF
}

while [[ $# -gt 0 ]]; do
	case $1 in
	--print-dir) mode=dir ;;
	--print-image) mode=image ;;
	--config-only) mode=config ;;
	--rebuild) rebuild=1 ;;
	--prune) prune=1 ;;
	-j|--jobs) [[ $# -ge 2 ]] || { echo "$1 needs a number" >&2; exit 2; }
		jobs=$2; shift ;;
	-j*) jobs=${1#-j} ;;
	--jobs=*) jobs=${1#--jobs=} ;;
	-h|--help) usage; exit 0 ;;
	*) echo "${0##*/}: unknown option '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "bad job count '$jobs'" >&2; exit 2; }

log() { printf '[debug-kernel] %s\n' "$*" >&2; }
die() { printf '[debug-kernel] ERROR: %s\n' "$*" >&2; exit 1; }

# Environment that would change what make builds: this kernel is fully
# described by the tarball and the fragment.
unset ARCH SUBARCH CROSS_COMPILE KBUILD_OUTPUT KCONFIG_CONFIG KCFLAGS KCPPFLAGS \
      KAFLAGS CC LD LLVM MAKEFLAGS MFLAGS MAKELEVEL GNUMAKEFLAGS
export LOCALVERSION=   # set-but-empty: no "+" from scripts/setlocalversion
export LC_ALL=C

# --- build dependencies -----------------------------------------------------

ensure_deps() {
	local missing=() pkg status
	for pkg in "${DEPS[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) || status=
		[[ $status == installed ]] || missing+=("$pkg")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0

	log "installing missing packages: ${missing[*]}"
	local sudo=()
	if [[ $EUID -ne 0 ]]; then
		command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
		sudo=(sudo)
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 ||
		die "apt-get update failed"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
}

ensure_deps
[[ -r $SRC_TARBALL ]] || die "$SRC_TARBALL missing although $SRC_PKG is installed"
[[ -r $fragment ]] || die "config fragment $fragment not found"

src_version=$(dpkg-query -W -f='${Version}' "$SRC_PKG")
# Only the option lines count: editing a comment does not cost a rebuild.
frag_options() { grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set$)' "$fragment"; }
frag_hash=$({ echo "builder-rev $BUILDER_REV arch $KARCH"; frag_options; } |
	sha256sum | cut -c1-12)
key=$src_version-$frag_hash
src_parent=$cache_root/src-$src_version
srcdir=$src_parent/$SRC_TOPDIR
builddir=$cache_root/kernel-$key
image=$builddir/arch/x86/boot/bzImage

print_result() {
	case $mode in
	dir) echo "$builddir" ;;
	image) echo "$image" ;;
	config) echo "$builddir/.config" ;;
	all)
		echo "KDIR=$builddir"
		echo "BZIMAGE=$image"
		echo "KERNELRELEASE=$(cat "$builddir/include/config/kernel.release")"
		;;
	esac
}

prune_cache() {
	local d
	for d in "$cache_root"/kernel-* "$cache_root"/src-*; do
		[[ -e $d ]] || continue
		[[ $d == "$builddir" || $d == "$src_parent" ]] && continue
		log "pruning $d"
		rm -rf -- "$d"
	done
}

lock_cache() {
	mkdir -p "$cache_root"
	exec 9>"$cache_root/.lock"
	if ! flock -n 9; then
		log "another build holds $cache_root/.lock, waiting for it"
		flock 9
	fi
}

# --- fast path: already built -----------------------------------------------

# The source tree must be there too: the build dir's Makefile points into it.
if [[ $rebuild -eq 0 && -f $builddir/$STAMP && -f $image && -f $srcdir/Makefile ]]; then
	if [[ $prune -eq 1 ]]; then
		lock_cache
		prune_cache
	fi
	print_result
	exit 0
fi

# --- slow path, serialised: one builder per cache ---------------------------

lock_cache
[[ $prune -eq 1 ]] && prune_cache

if [[ $rebuild -eq 1 && -d $builddir ]]; then
	log "--rebuild: removing $builddir"
	rm -rf -- "$builddir"
fi
# The other builder may have finished this very kernel while we waited.
if [[ -f $builddir/$STAMP && -f $image && -f $srcdir/Makefile ]]; then
	print_result
	exit 0
fi

# --- source: unpack once, atomically ----------------------------------------

if [[ ! -f $srcdir/Makefile ]]; then
	rm -rf -- "$src_parent"
	tmp=$(mktemp -d "$cache_root/.src-$src_version.XXXXXX")
	log "unpacking $SRC_TARBALL ($src_version) into $src_parent (under a minute)"
	tar -C "$tmp" -xJf "$SRC_TARBALL" || { rm -rf -- "$tmp"; die "unpacking failed"; }
	[[ -f $tmp/$SRC_TOPDIR/Makefile ]] || { rm -rf -- "$tmp"; die "no $SRC_TOPDIR/Makefile in tarball"; }
	chmod 755 "$tmp"   # mktemp made it 0700
	mv -T -- "$tmp" "$src_parent"
fi
# Remove half-unpacked leftovers of interrupted runs.
rm -rf -- "$cache_root"/.src-*.?????? 2>/dev/null || true

kmake() { make -C "$srcdir" O="$builddir" ARCH=$KARCH "$@"; }

# --- configuration ----------------------------------------------------------

# Print "depends on" lines of a Kconfig symbol, to explain why it got dropped.
kconfig_deps() {
	local sym=$1
	grep -rn -A12 --include='Kconfig*' -E "^(menu)?config $sym\$" "$srcdir" 2>/dev/null |
		awk -v root="$srcdir/" '
			{ sub(root, "") }
			/^--$/ || /^[^:]*-[0-9]+-(menu)?config / { exit }   # next symbol
			/depends on|select|(menu)?config / { print "        " $0 }'
}

verify_config() {
	local cfg=$builddir/.config line sym want have bad=0
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			sym=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]}
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			sym=${BASH_REMATCH[1]} want=n
		else
			continue
		fi
		have=$(grep -E "^$sym=" "$cfg" | tail -n1 | cut -d= -f2-) || true
		[[ -z $have ]] && have=n   # "is not set", or invisible (= off)
		if [[ $have != "$want" ]]; then
			if [[ $bad -eq 0 ]]; then
				log "these options of $fragment did not survive olddefconfig"
				log "(an unmet dependency - also check enclosing if/menu blocks -, a choice, or a typo):"
			fi
			bad=1
			printf '    %s: wanted %s, got %s\n' "$sym" "$want" "$have" >&2
			kconfig_deps "${sym#CONFIG_}" >&2
		fi
	done <"$fragment"
	[[ $bad -eq 0 ]] || die "config check failed; fix $fragment ($builddir/.config kept for inspection)"
}

if [[ $mode == config || ! -f $builddir/$CONFIG_OK || ! -f $builddir/.config ]]; then
	mkdir -p "$builddir"
	rm -f -- "$builddir/$CONFIG_OK" "$builddir/$STAMP"
	log "configuring: tinyconfig + $(basename "$fragment") in $builddir"
	{
		kmake tinyconfig &&
		(cd "$srcdir" && ARCH=$KARCH scripts/kconfig/merge_config.sh -m \
			-O "$builddir" "$builddir/.config" "$fragment") &&
		kmake olddefconfig
	} >"$builddir/config.log" 2>&1 || { tail -n 30 "$builddir/config.log" >&2; die "configuration failed (see $builddir/config.log)"; }
	verify_config
	cp -- "$fragment" "$builddir/debug-kernel.config.used"
	touch "$builddir/$CONFIG_OK"
	log "config verified: all $(frag_options | wc -l) fragment options as requested"
fi

if [[ $mode == config ]]; then
	print_result
	exit 0
fi

# --- build --------------------------------------------------------------------

# Reads make's output, keeps all of it in the log, and prints one status line
# every $interval seconds plus every error.
progress() {
	local logfile=$1 interval=10 n=0 warn=0 last="" next line
	next=$((SECONDS + interval))
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$logfile"
		case $line in
		"  CC "*|"  AS "*) n=$((n + 1)); last=${line#  } ;;
		"  LD "*|"  OBJCOPY "*|"  BUILD "*|"  GZIP "*|"  MODPOST"*) last=${line#  } ;;
		*": warning:"*) warn=$((warn + 1)) ;;
		*": error:"*|*"Error "*|*"*** "*) printf '    %s\n' "$line" >&2 ;;
		esac
		if ((SECONDS >= next)); then
			printf '[debug-kernel] %4ds  %5d objects compiled  %s\n' \
				$((SECONDS - start)) "$n" "$last" >&2
			next=$((SECONDS + interval))
		fi
	done
	printf '[debug-kernel] %4ds  %5d objects compiled, %d compiler warnings (see %s)\n' \
		$((SECONDS - start)) "$n" "$warn" "$logfile" >&2
}

start=$SECONDS
buildlog=$builddir/build.log
if [[ -s $buildlog ]]; then
	log "resuming an interrupted build (make -j$jobs); log: $buildlog"
	echo "=== resumed $(date -u +%Y-%m-%dT%H:%M:%SZ) ===" >>"$buildlog"
else
	log "building $src_version with make -j$jobs: about 5 minutes on 2 idle cores; log: $buildlog"
fi
# make runs in the background with its output going through a FIFO to the
# progress filter, so that a TERM/INT/HUP sent to this script alone (a parent's
# timeout, Ctrl-C) stops make too instead of leaving it compiling, unlocked,
# in the cache.  GNU make passes TERM on to its children.
fifo=$builddir/.make-output.fifo
rm -f -- "$fifo"
mkfifo -- "$fifo"
progress "$buildlog" <"$fifo" &
progress_pid=$!
make -C "$srcdir" O="$builddir" ARCH=$KARCH -j"$jobs" all >"$fifo" 2>&1 &
make_pid=$!
trap 'log "interrupted: stopping make (re-run to resume)"
      kill -TERM "$make_pid" 2>/dev/null; wait "$make_pid" "$progress_pid"
      rm -f -- "$fifo"; exit 130' INT TERM HUP
rc=0
wait "$make_pid" || rc=$?
wait "$progress_pid" || true
trap - INT TERM HUP
rm -f -- "$fifo"
if [[ $rc -ne 0 ]]; then
	log "make failed (exit $rc); last lines of $buildlog:"
	tail -n 40 "$buildlog" >&2
	die "kernel build failed; re-run to resume, or --rebuild to start over"
fi

[[ -f $image ]] || die "make succeeded but $image is missing"
for f in Module.symvers scripts/mod/modpost include/generated/autoconf.h \
	 include/config/kernel.release; do
	[[ -e $builddir/$f ]] || die "make succeeded but $builddir/$f is missing (no KDIR)"
done

elapsed=$((SECONDS - start))
release=$(cat "$builddir/include/config/kernel.release")
# The stamp is written last: a build interrupted anywhere before this line is
# resumed (make is incremental) by the next run, never taken as finished.
{
	echo "kernelrelease=$release"
	echo "source=$SRC_PKG $src_version"
	echo "fragment_sha=$frag_hash"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "build_seconds=$elapsed"
	echo "jobs=$jobs"
} >"$builddir/$STAMP.tmp"
mv -f -- "$builddir/$STAMP.tmp" "$builddir/$STAMP"
log "built $release in ${elapsed}s ($(du -sh "$builddir" | cut -f1) in $builddir)"
print_result
