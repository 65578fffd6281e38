/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioasid in-kernel access API: software devices (mediated, mdev-like
 * devices with no IOMMU of their own) reach an IO address space by IOVA.
 *
 * A driver creates an access on an ioasid fd its user handed it, attaches
 * it to an IOAS (the policies decide, as for any device), then pins pages
 * or copies bytes by IOVA. When user space unmaps a range the driver has
 * pinned, the driver's unmap callback runs before the unmap returns, and
 * the driver must unpin that range before the callback returns.
 *
 * Locking rules for drivers:
 *  - The unmap callback runs in process context with no ioasid lock held
 *    except the fd's access-notification mutex: it may call
 *    ioasid_access_unpin_pages() and ioasid_access_rw(), nothing else of
 *    this API.
 *  - Do not call ioasid_access_detach() or ioasid_access_destroy() while
 *    holding a lock your unmap callback takes: they wait for callbacks in
 *    flight.
 *
 * A driver that does not unpin in its callback is a bug: ioasid warns once,
 * counts it (IOASID_IOAS_GET_INFO out_unpin_violations and
 * /sys/kernel/ioasid/stats/unpin_violations) and completes the unmap
 * anyway. The IOVA no longer reaches the pages; the driver's page
 * references stay valid (the pages are not freed under it) until it unpins
 * or destroys the access.
 */
#ifndef __LINUX_IOASID_ACCESS_H
#define __LINUX_IOASID_ACCESS_H

#include <linux/types.h>

struct file;
struct page;
struct ioasid_access;
struct ioasid_policy_decision;

/**
 * struct ioasid_access_ops - callbacks of an access's driver
 * @unmap: [@iova, @iova + @length) that the driver pinned is being unmapped
 *	from the IOAS; unpin it (exactly this range) before returning.
 *	Called once per pinned range, with the range given at pin time.
 */
struct ioasid_access_ops {
	void (*unmap)(void *data, u64 iova, u64 length);
};

/**
 * enum ioasid_access_desc_flags - facts about a software device
 * @IOASID_ACCESS_DESC_MOCK: a test-module mock; accepted, not reported to
 *	policies (nothing read the request flag it once set)
 */
enum ioasid_access_desc_flags {
	IOASID_ACCESS_DESC_MOCK = 1 << 0,
};

/**
 * struct ioasid_access_desc - how a software device presents to policies
 * @vendor: PCI-style vendor id (0 if none)
 * @device: device id
 * @subvendor: subsystem vendor id
 * @subdevice: subsystem device id
 * @class: class code
 * @dev_needs: enum ioasid_dev_needs (IOASID_NEED_SW_PGTABLE is implied)
 * @flags: enum ioasid_access_desc_flags
 * @driver: the driver's name, as policies match it
 */
struct ioasid_access_desc {
	u16 vendor;
	u16 device;
	u16 subvendor;
	u16 subdevice;
	u32 class;
	u32 dev_needs;
	u32 flags;
	const char *driver;
};

/**
 * enum ioasid_access_flags - flags of pin and rw calls
 * @IOASID_ACCESS_WRITE: pin for writing / copy into the IOAS
 */
enum ioasid_access_flags {
	IOASID_ACCESS_WRITE = 1 << 0,
};

struct ioasid_access *
ioasid_access_create(struct file *ioasid_file,
		     const struct ioasid_access_desc *desc,
		     const struct ioasid_access_ops *ops, void *data);
void ioasid_access_destroy(struct ioasid_access *access);
u32 ioasid_access_id(struct ioasid_access *access);
int ioasid_access_attach(struct ioasid_access *access, u32 ioas_id,
			 struct ioasid_policy_decision *decision);
void ioasid_access_detach(struct ioasid_access *access);
int ioasid_access_pin_pages(struct ioasid_access *access, u64 iova,
			    u64 length, struct page **out_pages,
			    unsigned int flags);
void ioasid_access_unpin_pages(struct ioasid_access *access, u64 iova,
			       u64 length);
int ioasid_access_rw(struct ioasid_access *access, u64 iova, void *buf,
		     size_t length, unsigned int flags);

#endif /* __LINUX_IOASID_ACCESS_H */
