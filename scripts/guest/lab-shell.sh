#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lab-shell.sh - the student's shell in the lab VM ("make lab"): run by
# scripts/vm.sh --interactive at the top of the repository, as root, with
# af_toy.ko loaded.  Says where things are, then hands over to bash.
cat <<BANNER

AF_TOY lab on $(uname -r): af_toy.ko is loaded (address family $(cat /sys/module/af_toy/parameters/family)).
  labs:      docs/lab/ (start with docs/lab/01-datagram-journey.md)
  examples:  build/examples/toy_dgram, build/examples/toy_stream
  tools:     trace-cmd, tshark, bpftrace, pahole, ip, tc
  writable:  /tmp only (the rest is the host's files, read-only)
Type exit (or Ctrl-D) to power the VM off.

BANNER
export PS1='lab:\w# '
exec bash --norc -i
