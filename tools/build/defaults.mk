# SPDX-License-Identifier: GPL-2.0
#
# Path and flag defaults, shared by the top Makefile and every sub-Makefile
# (bpf/, libioasidbpf/, tools/ioasidctl/, selftests/), so that each also
# works when called directly: make -C libioasidbpf [install DESTDIR=...].
# Values the caller passes or exports (the top Makefile exports them all)
# win; what is not given is derived from where this file lives.

TOP ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../..)
B ?= $(TOP)/build
CACHE ?= /var/cache/ioasid

# Target kernel: Debian's stock 6.12 (image + headers with a BTF vmlinux).
ifndef KVER
KVER := $(shell ls -d /usr/src/linux-headers-6.12*-amd64 2>/dev/null | sort -V | tail -1 | sed 's|.*/linux-headers-||')
endif
KDIR ?= /lib/modules/$(KVER)/build
KERNEL ?= /boot/vmlinuz-$(KVER)

DEPS ?= $(B)/deps
BPFTOOL ?= $(DEPS)/bin/bpftool
LINUX_SRC ?= $(B)/linux-src
CLANG ?= clang
ifeq ($(origin CC),default)
CC := gcc
endif

CFLAGS_USER ?= -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-I$(TOP)/kernel/include/uapi -I$(DEPS)/include -I$(TOP)/libioasidbpf/include \
	-I$(TOP)/bpf
LDLIBS_BPF ?= $(DEPS)/lib/libbpf.a -lelf -lz

ifndef BPF_CFLAGS
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	-I$(DEPS)/include -I$(TOP)/kernel/include/uapi -I$(TOP)/kernel/include -I$(TOP)/bpf \
	-I/usr/include/$(shell $(CC) -dumpmachine)
endif

export TOP B CACHE KVER KDIR KERNEL DEPS BPFTOOL LINUX_SRC CLANG CC CFLAGS_USER \
	LDLIBS_BPF BPF_CFLAGS
