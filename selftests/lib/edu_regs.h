/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's edu device (1234:11e8, QEMU docs/specs/edu.rst): the BAR0 registers
 * the tests use. Shared by the user-space device tests (selftests/device)
 * and the vmm suite's inner-guest module (selftests/vmm/mod/vmm_edu.c).
 *
 * The DMA engine copies between RAM and a 4 KiB buffer inside the device at
 * EDU_BUF; addresses are masked to 28 bits, and QEMU 7.2 aborts the VM on a
 * 4096-byte transfer (off by one), so transfers stay at 2048 bytes.
 */
#ifndef IOASID_EDU_REGS_H
#define IOASID_EDU_REGS_H

#define EDU_ID		0x00	/* identification: 0xRRrr00ed */
#define EDU_LIVENESS	0x04	/* reads back the bitwise inverse */
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1	/* set to start; the device clears it when done */
#define EDU_CMD_TO_RAM	0x2	/* direction: device buffer -> RAM */
#define EDU_BUF		0x40000
#define EDU_DMA_BITS	28

#endif /* IOASID_EDU_REGS_H */
