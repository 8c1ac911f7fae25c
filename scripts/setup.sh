#!/bin/bash
# scripts/setup.sh - install everything AF_TOY needs to build and test on a
# Debian 12 machine.  Idempotent: it asks dpkg what is missing and only then
# talks to apt, so a second run on a ready machine takes milliseconds.
#
# Installs:
#   - the tool chain for the out-of-tree module (gcc make libc6-dev sparse,
#     linux-headers-amd64 = headers of the stock 6.1 kernel);
#   - the VM harness (qemu-system-x86, busybox-static, cpio, xz-utils, kmod,
#     the stock 6.1 kernel linux-image-amd64);
#   - the newest linux-image-6.12.*+deb12-amd64 with its matching
#     linux-headers package, the second stock kernel the module is tested on
#     (if an image/headers pair of 6.12 is already installed it is kept);
#   - the programs the tests run inside the VM (iproute2 socat tcpdump
#     tshark util-linux python3);
#   - linux-source-6.1, for checkpatch.pl and kernel-doc (and the debug
#     kernel, which scripts/build-debug-kernel.sh builds from it);
#   - dkms, for the DKMS build and install that scripts/dkms-check.sh
#     runs on scratch trees;
#   - the tools scripts/man-check.sh checks man/toy.7 with (mandoc,
#     groff-base, man-db);
#   - dwarves, whose pahole scripts/abi-check.sh reads the user ABI
#     structs' layout with;
#   - the lab's tools (docs/lab/): clitest, which runs every command of
#     every lab document, trace-cmd and bpftrace, and graphviz, which
#     draws docs/diagrams/.
#
# Usage: scripts/setup.sh [--help]
# Needs root (or sudo) only when something is missing.

set -euo pipefail

usage() {
	sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"
}

case "${1:-}" in
-h | --help)
	usage
	exit 0
	;;
"") ;;
*)
	echo "setup.sh: unknown argument '$1' (try --help)" >&2
	exit 2
	;;
esac

# Packages needed by name.
PACKAGES=(
	qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
	kmod iproute2 socat tcpdump sparse cpio xz-utils gcc make libc6-dev
	util-linux linux-source-6.1 tshark python3 trinity dkms ethtool
	mandoc groff-base man-db dwarves clitest trace-cmd bpftrace graphviz
)

# installed PKG... : print the given packages that dpkg reports as installed
# (status "ii"), one per line.  Unknown names are silently skipped.
installed() {
	dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\n' "$@" 2>/dev/null |
		awk -F'\t' '$2 ~ /^ii/ { print $1 }' || true
}

missing=()
have=$(installed "${PACKAGES[@]}")
for p in "${PACKAGES[@]}"; do
	grep -qxF "$p" <<<"$have" || missing+=("$p")
done

# The 6.12 kernel: is any linux-image-6.12.N+deb12-amd64 installed together
# with its linux-headers-6.12.N+deb12-amd64?  (The -unsigned/-dbg/-rt/-cloud
# flavours do not count.)
k612_re='^linux-image-6\.12\.[0-9]+\+deb12-amd64$'
have_612=""
for img in $(installed 'linux-image-6.12.*' | grep -E "$k612_re" | sort -V -r); do
	rel=${img#linux-image-}
	if [[ -n $(installed "linux-headers-$rel") ]]; then
		have_612=$rel
		break
	fi
done

if [[ ${#missing[@]} -eq 0 && -n $have_612 ]]; then
	echo "setup.sh: all packages present (6.12 kernel: $have_612)"
	exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || {
		echo "setup.sh: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	}
	SUDO=(sudo)
fi

echo "setup.sh: running apt-get update"
"${SUDO[@]}" apt-get update -q

if [[ -z $have_612 ]]; then
	# Newest 6.12 image that also has a matching headers package.
	rel=""
	for img in $(apt-cache search --names-only "$k612_re" | awk '{ print $1 }' |
		grep -E "$k612_re" | sort -V -r); do
		cand=${img#linux-image-}
		if apt-cache show "linux-headers-$cand" >/dev/null 2>&1; then
			rel=$cand
			break
		fi
	done
	if [[ -z $rel ]]; then
		echo "setup.sh: no linux-image-6.12.*+deb12-amd64 with headers found" \
			"in the apt sources (is bookworm-updates / security enabled?)" >&2
		exit 1
	fi
	missing+=("linux-image-$rel" "linux-headers-$rel")
fi

echo "setup.sh: installing: ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y --no-install-recommends "${missing[@]}"
echo "setup.sh: done"
