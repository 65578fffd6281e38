/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioasid's in-kernel interface for other modules.
 */
#ifndef __LINUX_IOASID_KERNEL_H
#define __LINUX_IOASID_KERNEL_H

#include <linux/types.h>

struct file;

bool ioasid_file_is_ioasid(struct file *filp);

/* Test-only (namespace IOASID_TEST): see kernel/ioas.c. */
int ioasid_test_iova_rw(struct file *filp, u32 ioas_id, u64 iova, void *buf,
			u64 length, bool write, phys_addr_t *phys);

#endif /* __LINUX_IOASID_KERNEL_H */
