# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # the variables below come from vm.sh
#
# scripts/vm-image.sh - what scripts/vm.sh boots: the busybox initramfs and
# the kernel image handed to QEMU, both cached.  Sourced by vm.sh (not run
# on its own); it only defines the constants and functions below.
#
# Provides:
#   INITRAMFS_FORMAT      the initramfs layout's version (part of its
#                         cache key)
#   NINEP_MODULES         the modules stock kernels need for the 9p root
#   build_initramfs       print the path of the (cached) initramfs for the
#                         kernel: guest-init.sh as /init, a static busybox,
#                         and the 9p/virtio modules with their dependencies
#   pvh_image IMAGE       print an uncompressed vmlinux with a PVH entry
#                         for the compressed kernel IMAGE (cached), or
#                         IMAGE itself
#   resolve_modules MODDIR NAME...  the .ko files for NAME..., with their
#                         dependencies first (from modules.dep)
#   is_available MODDIR NAME        NAME is built in or a module
#
# Expects, set by vm.sh before build_initramfs or pvh_image is called:
#   MODDIR      the kernel's module tree (holding modules.dep), or empty
#               for a custom kernel without one
#   KNAME       the kernel's name in cache file names
#   CACHE_DIR   where images are cached (created if missing)
#   BUSYBOX     the static busybox binary
#   GUEST_INIT  scripts/guest/guest-init.sh, the initramfs's /init
# and the function die MESSAGE (print it, exit 125).  Runs under vm.sh's
# "set -euo pipefail".

# Bump when the initramfs layout changes so cached images are rebuilt.
INITRAMFS_FORMAT=1

# Modules the stock kernels need for the 9p root (missing or built-in ones
# are skipped; their dependencies are resolved with modules.dep).
NINEP_MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
	virtio_pci netfs fscache 9pnet 9pnet_virtio 9p)

# resolve_modules MODDIR NAME...: print the .ko paths (relative to MODDIR)
# needed for NAME..., dependencies first.  Built-in or absent ones are
# skipped.
resolve_modules() {
	local moddir=$1
	shift
	local -A path=() deps=() done_=()
	local line mod rest key
	while IFS= read -r line; do
		mod=${line%%:*}
		rest=${line#*:}
		key=${mod##*/}
		key=${key%%.ko*}
		key=${key//-/_}
		path[$key]=$mod
		deps[$key]=$rest
	done <"$moddir/modules.dep"

	local out=()
	for key in "$@"; do
		key=${key//-/_}
		[[ -n ${path[$key]:-} ]] && resolve_modules_visit "$key"
	done
	[[ ${#out[@]} -eq 0 ]] || printf '%s\n' "${out[@]}"
}

# resolve_modules_visit KEY: append KEY's dependencies, then KEY itself, to
# out, each once.  Only for resolve_modules: it works on that function's
# locals path, deps, done_ and out (bash's dynamic scope).
resolve_modules_visit() {
	local k=$1 d dk
	[[ -n ${done_[$k]:-} ]] && return 0
	done_[$k]=1
	for d in ${deps[$k]}; do
		dk=${d##*/}
		dk=${dk%%.ko*}
		resolve_modules_visit "${dk//-/_}"
	done
	out+=("${path[$k]}")
}

# is_available MODDIR NAME: the module is built in or exists as a module.
is_available() {
	local moddir=$1 name=$2
	grep -qE "(^|/)${name}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" ||
		grep -qE "(^|/)${name}\.ko$" "$moddir/modules.builtin" 2>/dev/null
}

# build_initramfs: prints the path of the (cached) initramfs for this kernel.
build_initramfs() {
	local mods=() m
	if [[ -n $MODDIR ]]; then
		mapfile -t mods < <(resolve_modules "$MODDIR" "${NINEP_MODULES[@]}")
		if [[ -f $MODDIR/modules.builtin ]]; then
			for m in 9p 9pnet_virtio virtio_pci; do
				is_available "$MODDIR" "$m" ||
					die "kernel $KNAME has no $m (needed for the 9p root)"
			done
		fi
	fi

	# The cache key covers everything that goes into the image.
	local key
	key=$({
		echo "format $INITRAMFS_FORMAT"
		sha256sum "$GUEST_INIT" | cut -d' ' -f1
		stat -L -c '%s %Y' "$BUSYBOX"
		for m in "${mods[@]}"; do
			echo "$m $(stat -L -c '%s %Y' "$MODDIR/$m")"
		done
	} | sha256sum | cut -c1-16)
	local img=$CACHE_DIR/initramfs-$KNAME-$key.cpio
	if [[ -s $img ]]; then
		touch "$img" # in use: keep it from being pruned
		echo "$img"
		return 0
	fi

	mkdir -p "$CACHE_DIR"
	local tmp
	tmp=$(mktemp -d "$CACHE_DIR/build.XXXXXX")
	local root=$tmp/root
	mkdir -p "$root"/{bin,dev,proc,sys,host,tmp,etc/af_toy,lib/af_toy}
	cp "$BUSYBOX" "$root/bin/busybox"
	local a
	for a in $("$BUSYBOX" --list); do
		[[ $a == busybox ]] || ln -s busybox "$root/bin/$a"
	done
	install -m 755 "$GUEST_INIT" "$root/init"
	local i=0 name src
	: >"$root/etc/af_toy/modules"
	for m in "${mods[@]}"; do
		i=$((i + 1))
		src=$MODDIR/$m
		name=$(printf '%02d-%s' "$i" "$(basename "${m%%.ko*}").ko")
		case $m in
		*.ko) cp "$src" "$root/lib/af_toy/$name" ;;
		*.ko.xz) xz -dc "$src" >"$root/lib/af_toy/$name" ;;
		*.ko.zst) zstd -qdc "$src" >"$root/lib/af_toy/$name" ;;
		*.ko.gz) gzip -dc "$src" >"$root/lib/af_toy/$name" ;;
		*) die "unknown module compression: $m" ;;
		esac
		echo "$name" >>"$root/etc/af_toy/modules"
	done
	# Uncompressed newc cpio: every kernel with BLK_DEV_INITRD can read it.
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$tmp/img"
	mv -f "$tmp/img" "$img" # atomic: concurrent runs may build the same image
	rm -rf "$tmp"
	# Prune images of this kernel that no run has used for a week (older
	# versions of guest-init.sh).
	find "$CACHE_DIR" -maxdepth 1 -name "initramfs-$KNAME-*.cpio" -mtime +7 -delete
	echo "vm.sh: built $img (${#mods[@]} modules)" >&2
	echo "$img"
}

# pvh_image IMAGE: print an uncompressed ELF vmlinux for the compressed
# kernel IMAGE if one can be made, else IMAGE itself.  Unpacking the xz
# bzImage of the stock 6.1 kernel takes ~2.5 s of every TCG boot; QEMU can
# instead load the ELF vmlinux through its PVH entry point (CONFIG_PVH, on
# in Debian's kernels), so it is unpacked once into the cache.
pvh_image() {
	local img=$1 key out tmp magic tool off
	# Already an ELF vmlinux, or no readelf to check the result: as is.
	if [[ $(head -c 4 "$img" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]] ||
		! command -v readelf >/dev/null; then
		echo "$img"
		return 0
	fi
	key=$(stat -L -c '%s %Y' "$img" | sha256sum | cut -c1-12)
	out=$CACHE_DIR/vmlinux-$KNAME-$key
	if [[ -s $out ]]; then
		echo "$out"
		return 0
	elif [[ -e $out.none ]]; then # tried before: no PVH-capable payload
		echo "$img"
		return 0
	fi
	mkdir -p "$CACHE_DIR"
	tmp=$(mktemp "$CACHE_DIR/vmlinux.XXXXXX")
	for magic in '\xfd7zXZ\x00:xz -dcq --single-stream' '\x28\xb5\x2f\xfd:zstd -dcq' \
		'\x1f\x8b\x08:gzip -dcq'; do
		tool=${magic#*:}
		magic=${magic%%:*}
		command -v "${tool%% *}" >/dev/null || continue
		# (awk, not head: it reads to the end, so grep never gets SIGPIPE)
		off=$(LC_ALL=C grep -m1 -obUaP "$magic" "$img" | awk -F: 'NR == 1 { print $1 }' || true)
		[[ -n $off ]] || continue
		tail -c "+$((off + 1))" "$img" | $tool >"$tmp" 2>/dev/null || true
		# QEMU boots an ELF kernel only through the Xen PVH entry note (18).
		if readelf -n "$tmp" 2>/dev/null | grep -qE 'Xen.*(\(0x00000012\)|PHYS32_ENTRY)'; then
			mv -f "$tmp" "$out"
			# Drop the unpacked copies of older builds of this kernel.
			find "$CACHE_DIR" -maxdepth 1 -name "vmlinux-$KNAME-*" ! -name "${out##*/}" -delete
			echo "$out"
			return 0
		fi
	done
	rm -f "$tmp"
	find "$CACHE_DIR" -maxdepth 1 -name "vmlinux-$KNAME-*" -delete
	: >"$out.none"
	echo "$img"
}
