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
#   make install             af_toy.ko for KVER (default: the running kernel)
#                            into /lib/modules/KVER/updates and depmod;
#                            linux/toy.h, toy(7) if man/toy.7 exists, and an
#                            example /etc/modprobe.d/af_toy.conf (an existing
#                            one is kept)
#   make uninstall           takes them out again (the modprobe.d file only
#                            if it is still the example)
#   make dkms-source         build/dkms/af_toy-VERSION, the folder to give
#                            to "dkms add": dkms.conf, Kbuild, *.c, include/
#   make version             the version, kept in dkms.conf only
#
# DESTDIR=DIR puts everything under DIR (INSTALL_MOD_PATH, the module's
# root, follows DESTDIR unless given); CI installs into scratch roots this
# way (scripts/dkms-check.sh) and never into /.
#
# Nothing here ever loads the module into the host kernel: demo and check
# run it inside QEMU (scripts/vm.sh).

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PWD := $(CURDIR)

# The release KDIR is for, as its modules directory is named (not
# include/config/kernel.release: Debian's 6.1 headers say 6.1.N there);
# read once, when first used.
KRELEASE = $(eval KRELEASE := $(shell sed -n \
	's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null))$(KRELEASE)
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\([^"]*\)".*/\1/p' $(CURDIR)/dkms.conf)

PREFIX ?= /usr
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
MODPROBEDIR ?= /etc/modprobe.d
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= updates
DEPMOD ?= depmod
# depmod's root: INSTALL_MOD_PATH as an absolute path, or /
MODROOT = $(or $(abspath $(INSTALL_MOD_PATH)),/)
SYSTEM_MAP = $(addprefix -F ,$(wildcard /boot/System.map-$(KRELEASE)))
NEED_KRELEASE = @test -n "$(KRELEASE)" || { echo "make: no kernel headers in \
	$(KDIR) (install linux-headers-$(KVER), or give KVER= or KDIR=)" >&2; exit 1; }

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	rm -rf build
	rm -f *.o *.ko *.mod *.mod.c .*.cmd Module.symvers modules.order
	$(MAKE) -C tests clean 2>/dev/null || true

# The module, built for KRELEASE in build/KRELEASE as make check builds it
# (so installing for one kernel and then another rebuilds nothing, and
# leaves no objects at the top), then depmod on its root (Kbuild's own
# depmod skips for lack of a System.map in the headers); then the header,
# the man page if there is one, and the modprobe.d example unless one
# exists.
install:
	$(NEED_KRELEASE)
	scripts/build-module.sh $(KDIR) build/$(KRELEASE) >/dev/null
	$(MAKE) -C $(KDIR) M=$(CURDIR)/build/$(KRELEASE) KERNELRELEASE=$(KRELEASE) \
		INSTALL_MOD_PATH=$(abspath $(INSTALL_MOD_PATH)) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	$(DEPMOD) -b $(MODROOT) $(SYSTEM_MAP) $(KRELEASE)
	install -D -m 644 include/uapi/linux/toy.h $(DESTDIR)$(INCLUDEDIR)/linux/toy.h
	if [ -f man/toy.7 ]; then \
		install -d $(DESTDIR)$(MANDIR)/man7 && \
		gzip -9n <man/toy.7 >$(DESTDIR)$(MANDIR)/man7/toy.7.gz; \
	fi
	if [ ! -e $(DESTDIR)$(MODPROBEDIR)/af_toy.conf ]; then \
		install -D -m 644 etc/modprobe.d/af_toy.conf \
			$(DESTDIR)$(MODPROBEDIR)/af_toy.conf; \
	fi

uninstall:
	$(NEED_KRELEASE)
	rm -f $(abspath $(INSTALL_MOD_PATH))/lib/modules/$(KRELEASE)/$(INSTALL_MOD_DIR)/af_toy.ko*
	$(DEPMOD) -b $(MODROOT) $(SYSTEM_MAP) $(KRELEASE)
	rm -f $(DESTDIR)$(INCLUDEDIR)/linux/toy.h $(DESTDIR)$(MANDIR)/man7/toy.7.gz
	if cmp -s etc/modprobe.d/af_toy.conf $(DESTDIR)$(MODPROBEDIR)/af_toy.conf; then \
		rm -f $(DESTDIR)$(MODPROBEDIR)/af_toy.conf; \
	fi

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

build/examples/%: examples/%.c examples/toy_example.h include/uapi/linux/toy.h
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

# The teaching lab (docs/lab/): a root shell in a VM with the module
# loaded (KERNEL=6.1 or 6.12), and every lab command run and checked.
KERNEL ?= 6.1
lab:
	scripts/lab.sh shell $(KERNEL)

lab-check:
	scripts/lab.sh check $(LAB)

# Labs 7 and 8, the graded exercises (LAB=07-getname, LAB=08-01, ...; the
# list: scripts/lab-exercise.sh list): set one up in this tree, grade it.
lab-start:
	scripts/lab-exercise.sh start $(LAB)

grade:
	scripts/lab-exercise.sh grade $(LAB)

# docs/diagrams/: the structures and the operation tables, drawn from the
# built module, and one datagram's and one segment's runtime path, traced
# with function_graph in a VM (make check fails if any of them drifts).
diagrams:
	scripts/diagrams.sh

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

# Benchmark: AF_TOY against UDP/TCP on lo and AF_UNIX, and across a toy
# link against a veth pair, in one VM run, reported as ratios; table, CSV
# and a plot in build/bench/.
bench:
	scripts/setup.sh
	bench/run.sh

.PHONY: all modules clean examples demo check coverage bench fuzz lab lab-check lab-start grade diagrams \
	install uninstall dkms-source version
