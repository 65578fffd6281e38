# SPDX-License-Identifier: GPL-2.0
#
# ioasid: the front door.
#
#   make            build the modules, BPF policies, library, tools and tests
#   make check      build, boot the stock 6.12 kernel in QEMU, run every suite
#   make demo       the operator story, inside a VM
#   make bench      benchmarks (ratios against peers measured in the same VM)
#   make deps       install what is missing (run by the other targets too)
#   make install    [DESTDIR= PREFIX=] library, headers, ioasidctl... (uninstall)
#   make deb        build/deb/: ioasid-dkms and ioasid-tools (docs/install.md)
#   make docs       docs/uapi.md from the uAPI headers' kernel-doc
#
# Everything built lands in build/; caches that outlive a clone live in
# /var/cache/ioasid (keyed by content hashes).

SHELL := /bin/bash
TOP := $(CURDIR)
B := $(TOP)/build
# Paths, the target kernel and the flags, shared with the sub-Makefiles.
include $(TOP)/tools/build/defaults.mk

.PHONY: all deps packages bpf-tools linux-src modules bpf lib tools selftests check check-debug \
	demo bench bench-deps clean distclean checkpatch check-submake \
	install uninstall install-dkms uninstall-dkms deb check-install docs

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

modules: packages linux-src
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

# Style and kernel-doc first (seconds), the sub-Makefiles called on their
# own (host only), then the suites in VMs.
check: deps all checkpatch check-submake check-install
	@$(TOP)/selftests/run

# Each sub-Makefile, called directly with none of our exports, finds the
# tree this build made; make -C libioasidbpf install works (no VM).
check-submake: all
	@$(TOP)/tools/build/check-submake

# The whole suite again under a KASAN/lockdep/kmemleak/fault-injection
# kernel built from linux-source (cached), plus KUnit and fail_nth.
check-debug: deps all
	@$(TOP)/tools/kernel/check-debug

demo: deps all
	@$(TOP)/tools/demo/run

# Two boots (stock 6.12; the bench kernel with IOMMUFD, built and cached on
# first use), then docs/performance.md and build/bench/*/*.png: docs/performance.md.
bench: deps all bench-deps
	@$(TOP)/tools/bench/run

# gnuplot draws make bench's plots; nothing else needs it.
bench-deps: packages
	@dpkg-query -W -f='$${db:Status-Status}' gnuplot-nox 2>/dev/null | grep -qx installed || { \
		echo "deps: installing gnuplot-nox (make bench's plots)"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 \
			--no-install-recommends gnuplot-nox >/dev/null; }

# Every kernel source and header: kernel/ and each of its subdirectories
# (test/, pci/, kunit/, and any added later), and the headers under include/.
KERNEL_C := $(filter-out %.mod.c,$(wildcard $(TOP)/kernel/*.c $(TOP)/kernel/*/*.c))
KERNEL_H := $(wildcard $(TOP)/kernel/*.h $(TOP)/kernel/*/*.h \
	$(TOP)/kernel/include/uapi/linux/*.h $(TOP)/kernel/include/linux/*.h)

checkpatch: linux-src
	@perl $(LINUX_SRC)/scripts/checkpatch.pl --no-tree --strict --terse \
		-f $(KERNEL_C) $(KERNEL_H)
	@# kernel-doc on every exported and uAPI item: any warning fails.
	@out=$$(perl $(LINUX_SRC)/scripts/kernel-doc -none -Wall \
		$(KERNEL_C) $(KERNEL_H) 2>&1); \
		if [ -n "$$out" ]; then echo "$$out"; exit 1; fi

# --- install (docs/install.md) -------------------------------------------------
# make install [DESTDIR=...] [PREFIX=/usr/local]: the library, the headers a
# consumer or a policy author needs, the pkg-config file, ioasidctl with its
# man page and completion, and the default policy objects (the library and
# ioasidctl carry them embedded; the files are for bpftool and reference).
# uninstall removes exactly that. The modules go through DKMS:
# install-dkms puts their source in /usr/src/ioasid-VERSION for `dkms install`.
PREFIX ?= /usr/local
POLICYDIR ?= $(PREFIX)/lib/ioasid/policies
EXAMPLEDIR ?= $(PREFIX)/share/ioasid/examples
VERSION := $(shell sed -n 's/^VERSION := //p' $(TOP)/libioasidbpf/Makefile)
DEFAULT_POLICIES := $(notdir $(wildcard $(TOP)/bpf/policies/*.bpf.c))
INSTALL_VARS = DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
DKMS_SRC = $(DESTDIR)/usr/src/ioasid-$(VERSION)

install: bpf linux-src
	@$(MAKE) -s -C $(TOP)/libioasidbpf install $(INSTALL_VARS)
	@$(MAKE) -s -C $(TOP)/tools/ioasidctl install $(INSTALL_VARS)
	install -d $(DESTDIR)$(POLICYDIR) $(DESTDIR)$(EXAMPLEDIR)
	install -m 644 $(patsubst %.c,$(B)/bpf/%.o,$(DEFAULT_POLICIES)) $(DESTDIR)$(POLICYDIR)/
	install -m 644 $(TOP)/bpf/examples/example.bpf.c $(DESTDIR)$(EXAMPLEDIR)/

uninstall:
	@$(MAKE) -s -C $(TOP)/libioasidbpf uninstall $(INSTALL_VARS)
	@$(MAKE) -s -C $(TOP)/tools/ioasidctl uninstall $(INSTALL_VARS)
	rm -f $(patsubst %.c,$(DESTDIR)$(POLICYDIR)/%.o,$(DEFAULT_POLICIES)) \
		$(DESTDIR)$(EXAMPLEDIR)/example.bpf.c
	-rmdir $(DESTDIR)$(POLICYDIR) $(DESTDIR)$(EXAMPLEDIR) $(dir $(DESTDIR)$(POLICYDIR)) \
		$(dir $(DESTDIR)$(EXAMPLEDIR)) 2>/dev/null

# The kernel sources (no build output) and packaging/dkms.conf.
install-dkms:
	install -d $(DKMS_SRC)
	cd $(TOP) && find kernel \( -name '*.[ch]' ! -name '*.mod.c' -o -name Kbuild \
		-o -name Makefile \) -type f -exec install -D -m 644 {} $(DKMS_SRC)/{} \;
	sed 's|@VERSION@|$(VERSION)|' $(TOP)/packaging/dkms.conf > $(DKMS_SRC)/dkms.conf

uninstall-dkms:
	rm -rf $(DKMS_SRC)

# build/deb/: ioasid-dkms and ioasid-tools .deb packages (packaging/debian/),
# built with debhelper from a copy of the tree, checked by lintian.
deb: packages
	@$(TOP)/packaging/build-deb $(B)/deb $(VERSION)

# Host side of the install suite: make install/uninstall into a DESTDIR,
# a policy built with only the installed headers, dkms build against the
# stock headers in a scratch dkms tree, make deb and lintian.
check-install: lib
	@$(TOP)/selftests/install/host.sh

# The uAPI reference, generated from kernel-doc (tools/docs/uapi-md); the
# docs suite fails when docs/uapi.md differs from what this writes.
UAPI_H := $(sort $(wildcard $(TOP)/kernel/include/uapi/linux/*.h))
docs: linux-src
	@$(TOP)/tools/docs/uapi-md $(LINUX_SRC)/scripts/kernel-doc $(UAPI_H) > $(TOP)/docs/uapi.md.tmp
	@mv $(TOP)/docs/uapi.md.tmp $(TOP)/docs/uapi.md

clean:
	@$(MAKE) -s -C $(TOP)/kernel clean KDIR=$(KDIR) || true
	rm -rf $(B)/bpf $(B)/selftests $(B)/vm

distclean: clean
	rm -rf $(B)
