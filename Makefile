# SPDX-License-Identifier: GPL-2.0
#
# AF_TOY.  The module itself is built by Kbuild (see ./Kbuild):
#
#   make                     build af_toy.ko against the running kernel's headers
#   make KDIR=/path/to/tree  build against any configured kernel tree
#   make demo                boot a VM, load the module, show a real exchange
#   make check               every test suite; ends with "N passed, N failed"
#
# Nothing here ever loads the module into the host kernel: demo and check
# run it inside QEMU (scripts/vm.sh).

KDIR ?= /lib/modules/$(shell uname -r)/build
PWD := $(CURDIR)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean 2>/dev/null || true
	rm -rf build
	$(MAKE) -C tests clean 2>/dev/null || true

.PHONY: all modules clean
