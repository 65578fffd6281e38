# SPDX-License-Identifier: GPL-2.0
# The vfio suite's programs (included by selftests/Makefile); the suite
# itself is selftests/vfio/run.sh in the manifest.
VFIO_PROGS := $(OUT)/type1_conformance $(OUT)/vfio_ioasid_test
all: $(VFIO_PROGS)

# Written against the VFIO uAPI only (the system's linux/vfio.h).
$(OUT)/type1_conformance: vfio/type1_conformance.c vfio/vfio_util.h vfio/vfio_answers.h | $(OUT)
	$(CC) $(TEST_CFLAGS) $< -o $@

$(OUT)/vfio_ioasid_test: vfio/vfio_ioasid_test.c vfio/vfio_util.h \
		$(OUT)/ioasid_util.o $(LIBIOASIDBPF) $(BPF_TEST_SKELS) $(UAPI) | $(OUT)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(OUT)/ioasid_util.o $(LIBIOASIDBPF) \
		$(LDLIBS_BPF)

# Run by selftests/vmm/cases.sh (bad), after its setup.
VFIO_PROGS += $(OUT)/vfio_bad_input
all: $(OUT)/vfio_bad_input
$(OUT)/vfio_bad_input: vfio/vfio_bad_input.c vfio/vfio_util.h $(OUT)/ioasid_util.o $(UAPI) | $(OUT)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(OUT)/ioasid_util.o $(LIBIOASIDBPF) $(LDLIBS_BPF)
# The emulated-IOMMU device of ioasid_test_vfio.ko (emulated.sh), and the
# backend's fail_nth sequences (failnth.sh): VFIO and the test module's
# header only.
VFIO_EMU_DEPS := vfio/vfio_emu.h vfio/vfio_util.h $(TOP)/kernel/test/ioasid_test_vfio_uapi.h
all: $(OUT)/vfio_emulated_test $(OUT)/vfio_failnth_test
$(OUT)/vfio_emulated_test: vfio/vfio_emulated_test.c vfio/vfio_answers.h $(VFIO_EMU_DEPS) | $(OUT)
	$(CC) $(TEST_CFLAGS) $< -o $@
$(OUT)/vfio_failnth_test: vfio/vfio_failnth_test.c $(VFIO_EMU_DEPS) | $(OUT)
	$(CC) $(TEST_CFLAGS) $< -o $@
# The deny case of emulated.sh (with policy emu_deny.bpf.o).
all: $(OUT)/vfio_emu_deny
$(OUT)/vfio_emu_deny: vfio/vfio_emu_deny.c $(VFIO_EMU_DEPS) $(OUT)/ioasid_util.o $(UAPI) | $(OUT)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(OUT)/ioasid_util.o $(LIBIOASIDBPF) $(LDLIBS_BPF)
