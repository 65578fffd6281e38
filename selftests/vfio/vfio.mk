# SPDX-License-Identifier: GPL-2.0
# The vfio suite's programs (included by selftests/Makefile).
VFIO_PROGS := $(OUT)/type1_conformance $(OUT)/vfio_ioasid_test
all: $(VFIO_PROGS)

# Written against the VFIO uAPI only (the system's linux/vfio.h).
$(OUT)/type1_conformance: vfio/type1_conformance.c vfio/vfio_util.h | $(OUT)
	$(CC) $(TEST_CFLAGS) $< -o $@

$(OUT)/vfio_ioasid_test: vfio/vfio_ioasid_test.c vfio/vfio_util.h \
		policy/policy_lib.h $(BPF_TEST_SKELS) $(UAPI) | $(OUT)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(LDLIBS_BPF)
