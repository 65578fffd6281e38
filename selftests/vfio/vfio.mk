# SPDX-License-Identifier: GPL-2.0
# The vfio suite's programs (included by selftests/Makefile); the suite
# itself is selftests/vfio/run.sh in the manifest.
VFIO_PROGS := $(OUT)/type1_conformance $(OUT)/vfio_ioasid_test
all: $(VFIO_PROGS)

# Written against the VFIO uAPI only (the system's linux/vfio.h).
$(OUT)/type1_conformance: vfio/type1_conformance.c vfio/vfio_util.h | $(OUT)
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
