# SPDX-License-Identifier: GPL-2.0
#
# ioasid: the front door.
#
#   make            build the modules, BPF policies, library, tools and tests
#   make check      build, boot the stock 6.12 kernel in QEMU, run every suite
#   make demo       the operator story, inside a VM
#   make bench      benchmarks (ratios against peers measured in the same VM)
#   make deps       install what is missing (run by the other targets too)
#
# Everything built lands in build/; caches that outlive a clone live in
# /var/cache/ioasid (keyed by content hashes).

SHELL := /bin/bash
TOP := $(CURDIR)
B := $(TOP)/build
CACHE ?= /var/cache/ioasid

# Target kernel: Debian's stock 6.12 (image + headers with a BTF vmlinux).
KVER ?= $(shell ls -d /usr/src/linux-headers-6.12*-amd64 2>/dev/null | sort -V | tail -1 | sed 's|.*/linux-headers-||')
KDIR ?= /lib/modules/$(KVER)/build
KERNEL ?= /boot/vmlinuz-$(KVER)
export KVER KDIR KERNEL

DEPS := $(B)/deps
BPFTOOL := $(DEPS)/bin/bpftool
LINUX_SRC := $(B)/linux-src
CLANG ?= clang
CC ?= gcc

CFLAGS_USER := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-I$(TOP)/kernel/include/uapi -I$(DEPS)/include -I$(TOP)/libioasidbpf/include
LDLIBS_BPF := $(DEPS)/lib/libbpf.a -lelf -lz

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	-I$(DEPS)/include -I$(TOP)/kernel/include/uapi -I$(TOP)/bpf \
	-I/usr/include/$(shell $(CC) -dumpmachine)

export TOP B CACHE DEPS BPFTOOL LINUX_SRC CLANG CC CFLAGS_USER LDLIBS_BPF BPF_CFLAGS

.PHONY: all deps packages bpf-tools linux-src modules bpf lib tools selftests check check-debug \
	demo bench clean distclean checkpatch

all: modules bpf lib tools selftests

# --- dependencies ------------------------------------------------------------

deps: packages bpf-tools linux-src

packages:
	@$(TOP)/tools/deps/install-packages.sh

bpf-tools: packages
	@$(TOP)/tools/deps/build-bpf-tools.sh $(DEPS)

linux-src: packages
	@$(TOP)/tools/deps/linux-src.sh $(LINUX_SRC)

# --- build -----------------------------------------------------------------

modules: packages
	@$(MAKE) -s -C $(TOP)/kernel KDIR=$(KDIR)

bpf: bpf-tools
	@$(MAKE) -s -C $(TOP)/bpf

lib: bpf-tools linux-src bpf
	@$(MAKE) -s -C $(TOP)/libioasidbpf

tools: lib
	@$(MAKE) -s -C $(TOP)/tools/ioasidctl
	@$(MAKE) -s -C $(TOP)/tools/bench
	@$(MAKE) -s -C $(TOP)/tools/demo

selftests: bpf-tools linux-src bpf lib
	@$(MAKE) -s -C $(TOP)/selftests
	@$(MAKE) -s -C $(TOP)/selftests/vmm/mod KDIR=$(KDIR)

# --- run ---------------------------------------------------------------------

# Style and kernel-doc first (seconds), then the suites in VMs.
check: deps all checkpatch
	@$(TOP)/selftests/run

# The whole suite again under a KASAN/lockdep/kmemleak/fault-injection
# kernel built from linux-source (cached), plus KUnit and fail_nth.
check-debug: deps all
	@$(TOP)/tools/kernel/check-debug

demo: deps all
	@$(TOP)/tools/demo/run

bench: deps all
	@$(TOP)/tools/bench/run

checkpatch: linux-src
	@perl $(LINUX_SRC)/scripts/checkpatch.pl --no-tree --strict --terse \
		-f $(filter-out %.mod.c,$(wildcard $(TOP)/kernel/*.c $(TOP)/kernel/test/*.c \
			$(TOP)/kernel/pci/*.c)) \
		$(TOP)/kernel/*.h $(TOP)/kernel/include/uapi/linux/*.h \
		$(TOP)/kernel/include/linux/*.h
	@# kernel-doc on every exported and uAPI item: any warning fails.
	@out=$$(perl $(LINUX_SRC)/scripts/kernel-doc -none -Wall \
		$(filter-out %.mod.c,$(wildcard $(TOP)/kernel/*.c $(TOP)/kernel/test/*.c \
			$(TOP)/kernel/pci/*.c)) \
		$(TOP)/kernel/include/uapi/linux/*.h $(TOP)/kernel/include/linux/*.h 2>&1); \
		if [ -n "$$out" ]; then echo "$$out"; exit 1; fi

clean:
	@$(MAKE) -s -C $(TOP)/kernel clean KDIR=$(KDIR) || true
	rm -rf $(B)/bpf $(B)/selftests $(B)/vm

distclean: clean
	rm -rf $(B)
