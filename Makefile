# SPDX-License-Identifier: GPL-2.0
#
# AF_TOY.  The module itself is built by Kbuild (see ./Kbuild):
#
#   make                     build af_toy.ko against the running kernel's headers
#   make KDIR=/path/to/tree  build against any configured kernel tree
#   make demo                boot a VM, load the module, show a real exchange
#   make check               every test suite; ends with "N passed, N failed"
#   make fuzz                trinity against AF_TOY on the debug kernel, 30 min
#                            (FUZZ_MINUTES=N for another length)
#
# Installing on a real host (README, "Building and loading on a real host"):
#
#   make dkms-source         build/dkms/af_toy-VERSION, the folder to give
#                            to "dkms add": dkms.conf, Kbuild, *.c, include/
#   make version             the version, kept in dkms.conf only
#
# Nothing here ever loads the module into the host kernel: demo and check
# run it inside QEMU (scripts/vm.sh).

KDIR ?= /lib/modules/$(shell uname -r)/build
PWD := $(CURDIR)

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\([^"]*\)".*/\1/p' $(CURDIR)/dkms.conf)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	rm -rf build
	rm -f *.o *.ko *.mod *.mod.c .*.cmd Module.symvers modules.order
	$(MAKE) -C tests clean 2>/dev/null || true

# What DKMS copies and builds, and nothing else (README: "dkms add" it).
DKMS_SOURCE := build/dkms/af_toy-$(VERSION)
dkms-source:
	rm -rf $(DKMS_SOURCE)
	mkdir -p $(DKMS_SOURCE)
	cp -p dkms.conf Kbuild $(filter-out %.mod.c,$(wildcard *.c)) $(DKMS_SOURCE)/
	cp -pr include $(DKMS_SOURCE)/

version:
	@echo $(VERSION)

# Userspace programs (never the module) are built on the host and run in
# the guest, which sees the host's file system read-only.
examples: build/examples/toy_dgram build/examples/toy_stream

build/examples/%: examples/%.c include/uapi/linux/toy.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -Iinclude/uapi -o $@ $<

# The main job: a VM with the module loaded and a real exchange over AF_TOY.
demo:
	scripts/setup.sh
	scripts/build-module.sh /lib/modules/$$(scripts/kernels.sh 6.1)/build \
		build/$$(scripts/kernels.sh 6.1) >/dev/null
	$(MAKE) -s examples
	scripts/vm.sh --kernel $$(scripts/kernels.sh 6.1) \
		--module build/$$(scripts/kernels.sh 6.1)/af_toy.ko \
		-- scripts/guest/demo-guest.sh

# Every test suite; the last line is "N passed, N failed, N skipped".
check:
	scripts/check.sh

# Line coverage of af_toy.ko under every suite (KUnit + userspace) on the
# debug kernel with gcov: HTML in build/coverage/html/, per-file table in
# build/coverage/summary.txt; the last line is "coverage: NN.N% of lines".
coverage:
	scripts/coverage.sh

# Fuzzing: Debian's trinity, unmodified, against AF_TOY's socket calls as
# nobody on the debug kernel in QEMU, FUZZ_MINUTES (default 30) long; the
# last line is "N passed, N failed, N skipped" (see scripts/fuzz.sh).
fuzz:
	scripts/setup.sh
	scripts/fuzz.sh

# Benchmark: AF_TOY against UDP/TCP on lo and AF_UNIX, in one VM run,
# reported as ratios; table, CSV and a plot in build/bench/.
bench:
	scripts/setup.sh
	bench/run.sh

.PHONY: all modules clean examples demo check coverage bench fuzz \
	dkms-source version
