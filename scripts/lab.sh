#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lab.sh - the teaching lab (docs/lab/): "make lab" and "make lab-check".
#
#   scripts/lab.sh shell [6.1|6.12]   boot the VM with af_toy.ko loaded and
#                                     give this terminal a root shell in it,
#                                     at the top of the repository; "exit"
#                                     (or Ctrl-D) powers the VM off
#   scripts/lab.sh check [NN...]      run every command of every lab (or of
#                                     labs NN...) with clitest in a VM per
#                                     stock kernel (tests/lab_test.sh); the
#                                     last line is "N passed, N failed,
#                                     N skipped"
#
# Both install what they need (scripts/setup.sh) and build the module, the
# examples and the test programs first.  The tracing labs need a stock
# kernel: the debug kernel has neither the function tracer nor BPF.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

usage() {
	sed -n '4,/^$/{s/^# \{0,1\}//;p}' "$0"
}

prepare() {	# prepare RELEASE: the module for RELEASE, the programs
	scripts/setup.sh >/dev/null
	scripts/build-module.sh "/lib/modules/$1/build" "build/$1" >/dev/null
	make -s examples
	make -s -C tests >/dev/null
}

shell() {
	local k

	k=$(scripts/kernels.sh "${1:-6.1}")
	prepare "$k"
	echo "lab.sh: booting $k with af_toy.ko; the labs are in docs/lab/ (start with 01)."
	echo "lab.sh: type exit (or Ctrl-D) to power the VM off."
	exec scripts/vm.sh --interactive --kernel "$k" \
		--module "build/$k/af_toy.ko" --timeout 86400 \
		-- scripts/guest/lab-shell.sh
}

check() {
	local k log rc p=0 f=0 s=0 line
	local -a kernels

	mapfile -t kernels < <(scripts/kernels.sh)
	mkdir -p build/logs
	for k in "${kernels[@]}"; do
		prepare "$k"
		log=build/logs/lab-$k.log
		echo "# lab documents on $k"
		set +e
		scripts/vm.sh --kernel "$k" --module "build/$k/af_toy.ko" \
			--timeout 1200 -- tests/lab_test.sh "$@" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
		set -e
		# 1 is lab_test.sh's own "a lab failed", counted below; the
		# rest are the VM's: a bug report in the kernel log (3), a
		# timeout, a failed insmod.
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
			echo "not ok - VM run of the lab documents on $k: exit $rc, see $log"
			f=$((f + 1))
		fi
		line=$(grep -aE '^# Totals: ' "$log" | tail -n 1)
		if [ -z "$line" ]; then
			echo "not ok - lab documents on $k: no Totals line, see $log"
			f=$((f + 1))
			continue
		fi
		p=$((p + $(sed -E 's/.* pass:([0-9]+).*/\1/' <<<"$line")))
		f=$((f + $(sed -E 's/.* fail:([0-9]+).*/\1/' <<<"$line")))
		s=$((s + $(sed -E 's/.* skip:([0-9]+).*/\1/' <<<"$line")))
	done
	echo
	echo "$p passed, $f failed, $s skipped"
	[ "$f" -eq 0 ]
}

case "${1:-}" in
shell) shift; shell "$@" ;;
check) shift; check "$@" ;;
-h | --help) usage ;;
*) usage >&2; exit 2 ;;
esac
