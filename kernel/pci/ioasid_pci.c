// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid-pci: give a PCI device to user space through ioasid.
 *
 * Devices come to this driver by driver_override (or "ioasidctl device
 * bind BDF"). Each gets /dev/ioasid-dev/<BDF>, root-only by default: the
 * node's permissions are the access control. Through it a user binds the
 * device to a /dev/ioasid fd, attaches it to IOASes, and drives it: BARs by
 * mmap, config space by pread/pwrite. BAR mappings and config writes need
 * the device bound, i.e. its group's DMA owned by the ioasid fd, so a
 * device can never be made to DMA before it is isolated.
 *
 * BARs are mapped at fault time, never at mmap time: ->mmap only checks
 * the request and sets the vma up, and the fault handler inserts each page
 * under ipd->lock (read) if the bind the mapping was made under still
 * holds. Unbind zaps every mapping of the device under ipd->lock (write).
 * A page inserted at mmap time could outlive that zap: the kernel links a
 * new vma into the file's mapping only after ->mmap returns, so an unbind
 * in between would not see it. A fault runs on a linked vma: it either
 * comes before the unbind, whose zap then removes its page, or after it,
 * and gets SIGBUS.
 *
 * Every open file of the device maps through one address space, that of
 * a private inode the device gets at probe (ipd->inode, on a pseudo
 * filesystem of this driver), never that of the node it was opened by: a
 * device can have several nodes (a mknod copy, another devtmpfs), each
 * with its own inode, and a zap of one inode's mapping would leave BAR
 * pages mapped through the others. VFIO does the same.
 *
 * What a user may do to the device is vfio-pci's rule, in this driver's
 * own terms (docs/security.md, "ioasid-pci"):
 *  - only normal (type 0) functions are accepted: no bridges;
 *  - one open file drives the device: the one that bound it. Another open
 *    file of the node may read config space and ask for information; it
 *    may not attach, detach, write config space or reach BARs (EBUSY);
 *  - config writes are filtered byte by byte through a write mask built
 *    at probe (ioasid_pci_cfg_wmask()): the header's identity, BARs, ROM
 *    BAR, capability pointers and every capability's header are read-only,
 *    the command register's memory and I/O decode bits keep the kernel's
 *    value, the PM control register cannot change the power state, PCIe
 *    DevCtl cannot initiate an FLR, SR-IOV and resizable-BAR capabilities
 *    are read-only. Writes to read-only bits are dropped silently and the
 *    write reports success, as vfio-pci does; reads give the device's
 *    registers;
 *  - only BARs of at least a page, page aligned, can be mapped: a smaller
 *    one would map the rest of its page, which may hold another device's
 *    registers. Smaller memory BARs are read and written with pread and
 *    pwrite instead, by the binding file;
 *  - the device is reset (when it has a reset method) and its config
 *    space restored to what it was at probe before its first bind after
 *    a use and when a binding is released, so no user inherits another's
 *    device state;
 *  - ioasid's core refuses the bind (EPERM) when the device's MSIs are
 *    not isolated, unless ioasid.allow_unsafe_interrupts is set.
 */
#define pr_fmt(fmt) "ioasid-pci: " fmt

#include <linux/bitfield.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/ioasid_kernel.h>
#include <linux/ioasid_device.h>

#define IOASID_PCI_MAX_DEVS 256
#define IOASID_PCI_FS_MAGIC 0x494f4450 /* "IODP" */
/* Not in the 6.12 headers: the VF Resizable BAR extended capability. */
#define IOASID_PCI_EXT_CAP_ID_VF_REBAR 0x24

/**
 * struct ioasid_pci_dev - one device driven by ioasid-pci
 * @pdev: the PCI device
 * @dev: the class device behind /dev/ioasid-dev/<BDF>
 * @cdev: its char device
 * @lock: held for reading by file operations and BAR faults, for writing
 *	by bind, unbind, release of the binding file and removal (open takes
 *	none)
 * @gone: the device was removed; every operation gives ENODEV
 * @idev: the ioasid binding, or NULL
 * @owner: the file that bound it (unbound when that file is released)
 * @inode: the device's private inode; every open file maps BARs through
 *	its address space, which unbind zaps (see the top of the file)
 * @bind_gen: counts binds; a BAR mapping only faults in under the bind it
 *	was made in (its vm_private_data), never under a later one
 * @cfg_wmask: per config space byte, the bits a user write may change
 *	(ioasid_pci_cfg_wmask()); written at probe, read-only after
 * @saved: the device's config state at probe, restored at every reset
 * @needs_reset: a user had the device since its last successful reset
 *	(under @lock)
 * @bar_io: the memory BARs too small to map (ioasid_pci_bar_mmappable()),
 *	mapped in the kernel at probe for pread/pwrite; unmapped at removal
 */
struct ioasid_pci_dev {
	struct pci_dev *pdev;
	struct device dev;
	struct cdev cdev;
	struct rw_semaphore lock; /* see above */
	bool gone;
	struct ioasid_device *idev;
	struct file *owner;
	struct inode *inode;
	unsigned long bind_gen;
	u8 *cfg_wmask;
	struct pci_saved_state *saved;
	bool needs_reset;
	void __iomem *bar_io[PCI_STD_NUM_BARS];
};

static dev_t ioasid_pci_devt;
static DEFINE_IDA(ioasid_pci_ida);
static struct vfsmount *ioasid_pci_mnt;

static int ioasid_pci_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, IOASID_PCI_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * Home of the devices' private inodes, mounted from module init to module
 * exit. No .owner: a mount pins its filesystem's owner, so the module
 * could never be unloaded. Every inode is gone before the unmount: a
 * device is freed before the module (an open file pins both).
 */
static struct file_system_type ioasid_pci_fs_type = {
	.name = "ioasid-pci",
	.init_fs_context = ioasid_pci_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

static char *ioasid_pci_devnode(const struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "ioasid-dev/%s", dev_name(dev));
}

static const struct class ioasid_pci_class = {
	.name = "ioasid-dev",
	.devnode = ioasid_pci_devnode,
};

/*
 * Reset the device and bring its config space back to what it was at
 * probe, as vfio-pci does when a user lets go: interrupts and bus
 * mastering off, the probe-time state loaded, a function reset if the
 * device has a method and its locks can be had without waiting (the
 * caller holds ipd->lock; a remove holding the device lock waits for it),
 * then the state written back. Without a reset only the config state is
 * restored. Called with the device's DMA still owned by ioasid, so nothing
 * the device does meanwhile reaches the kernel's memory.
 *
 * Return: 0 if the device was reset, else a negative errno.
 */
static int ioasid_pci_reset(struct ioasid_pci_dev *ipd)
{
	struct pci_dev *pdev = ipd->pdev;
	struct pci_dev *bridge = pci_upstream_bridge(pdev);
	int rc = -EAGAIN;

	lockdep_assert_held_write(&ipd->lock);
	pci_clear_master(pdev);
	pci_write_config_word(pdev, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
	if (pci_load_saved_state(pdev, ipd->saved))
		pci_save_state(pdev);
	if (!bridge || pci_dev_trylock(bridge)) {
		if (pci_dev_trylock(pdev)) {
			rc = __pci_reset_function_locked(pdev);
			pci_dev_unlock(pdev);
		}
		if (bridge)
			pci_dev_unlock(bridge);
	}
	pci_restore_state(pdev);
	return rc;
}

/*
 * Unbind: every caller holds the write lock. @reset: reset the device
 * first (not from remove: the device is going, and the remove holds the
 * device lock a reset needs).
 */
static void ioasid_pci_unbind(struct ioasid_pci_dev *ipd, bool reset)
{
	lockdep_assert_held_write(&ipd->lock);
	if (!ipd->idev)
		return;
	/* No BAR access may outlive the isolation. */
	unmap_mapping_range(ipd->inode->i_mapping, 0, 0, true);
	pci_clear_master(ipd->pdev);
	if (reset && !ioasid_pci_reset(ipd))
		ipd->needs_reset = false;
	ioasid_device_unbind(ipd->idev);
	ipd->idev = NULL;
	ipd->owner = NULL;
}

/*
 * Whether @filp may drive the device: bound, and through @filp. Return:
 * 0, -ENODEV (removed), -ENXIO (not bound) or -EBUSY (bound through
 * another open file).
 */
static int ioasid_pci_check_owner(struct ioasid_pci_dev *ipd,
				  struct file *filp)
{
	lockdep_assert_held(&ipd->lock);
	if (ipd->gone)
		return -ENODEV;
	if (!ipd->idev)
		return -ENXIO;
	if (ipd->owner != filp)
		return -EBUSY;
	return 0;
}

static int ioasid_pci_open(struct inode *inode, struct file *filp)
{
	struct ioasid_pci_dev *ipd = container_of(inode->i_cdev,
						  struct ioasid_pci_dev, cdev);

	get_device(&ipd->dev);
	filp->private_data = ipd;
	/* Whatever node @inode is, map through the device's own inode. */
	filp->f_mapping = ipd->inode->i_mapping;
	return 0;
}

static int ioasid_pci_release(struct inode *inode, struct file *filp)
{
	struct ioasid_pci_dev *ipd = filp->private_data;

	down_write(&ipd->lock);
	if (ipd->owner == filp)
		ioasid_pci_unbind(ipd, true);
	up_write(&ipd->lock);
	put_device(&ipd->dev);
	return 0;
}

/*
 * The smallest @size each ioctl accepts: the end of its struct's first
 * version, so that the structs can grow (linux/ioasid.h has the rule; the
 * copies go through ioasid_copy_struct_from_user()/_to_user()). Never
 * raise one: binaries built against the first version must keep working.
 */
#define IOASID_DEVICE_BIND_MINSZ \
	offsetofend(struct ioasid_device_bind, out_dev_id)
#define IOASID_DEVICE_ATTACH_MINSZ \
	offsetofend(struct ioasid_device_attach, pasid)
#define IOASID_DEVICE_DETACH_MINSZ \
	offsetofend(struct ioasid_device_detach, __reserved)
#define IOASID_DEVICE_INFO_MINSZ \
	offsetofend(struct ioasid_device_info, out_decision)
#define IOASID_REGION_INFO_MINSZ \
	offsetofend(struct ioasid_region_info, out_offset)

/*
 * Lock order (the whole of it: docs/design.md, "Lock order"): mmap() and
 * BAR faults run under mmap_lock and take ipd->lock, so nothing here
 * touches user memory (a fault takes mmap_lock) while holding ipd->lock:
 * commands are copied in before it and answers copied out after, and the
 * policy programs an attach runs under it cannot sleep. Unbind zaps BAR
 * mappings under ipd->lock (write), which takes i_mmap_rwsem and page
 * table locks, never mmap_lock.
 */
static int ioasid_pci_bind(struct ioasid_pci_dev *ipd, struct file *filp,
			   void __user *uarg)
{
	struct ioasid_device_bind cmd;
	struct ioasid_device *idev;
	unsigned long gen = 0;
	u32 usize;
	int rc;

	rc = ioasid_copy_struct_from_user(&cmd, sizeof(cmd),
					  IOASID_DEVICE_BIND_MINSZ, uarg, &usize);
	if (rc)
		return rc;
	if (cmd.flags)
		return -EOPNOTSUPP;

	CLASS(fd, f)(cmd.ioasid_fd);
	down_write(&ipd->lock);
	if (ipd->gone) {
		rc = -ENODEV;
	} else if (ipd->idev) {
		rc = -EALREADY;
	} else if (fd_empty(f)) {
		rc = -EBADF;
	} else {
		idev = ioasid_device_bind(fd_file(f), &ipd->pdev->dev, 0);
		if (IS_ERR(idev)) {
			rc = PTR_ERR(idev);
		} else {
			/* Isolated now: clean up after the last user. */
			if (ipd->needs_reset)
				ioasid_pci_reset(ipd);
			ipd->needs_reset = true;
			ipd->idev = idev;
			ipd->owner = filp;
			gen = ++ipd->bind_gen;
			cmd.out_dev_id = ioasid_device_id(idev);
		}
	}
	up_write(&ipd->lock);
	if (rc)
		return rc;

	rc = ioasid_copy_struct_to_user(uarg, usize, &cmd, sizeof(cmd));
	if (rc) {
		/*
		 * Nobody learnt the bind happened: undo it, if still ours. The
		 * bind counter says so; the pointer does not (another file
		 * may have unbound and bound again at the same address).
		 */
		down_write(&ipd->lock);
		if (ipd->idev && ipd->bind_gen == gen)
			ioasid_pci_unbind(ipd, true);
		up_write(&ipd->lock);
	}
	return rc;
}

/*
 * A memory BAR user space may map: at least a page and page aligned, so a
 * mapping never reaches past it (vfio-pci's rule; unlike vfio-pci, a
 * smaller BAR is never mapped, even alone in its page).
 */
static bool ioasid_pci_bar_mmappable(struct pci_dev *pdev, int bar)
{
	return pci_resource_flags(pdev, bar) & IORESOURCE_MEM &&
	       pci_resource_len(pdev, bar) >= PAGE_SIZE &&
	       PAGE_ALIGNED(pci_resource_start(pdev, bar));
}

static int ioasid_pci_region_info(struct ioasid_pci_dev *ipd, void __user *uarg)
{
	struct ioasid_region_info cmd;
	struct pci_dev *pdev = ipd->pdev;
	bool gone;
	u32 usize;
	int rc;

	rc = ioasid_copy_struct_from_user(&cmd, sizeof(cmd),
					  IOASID_REGION_INFO_MINSZ, uarg, &usize);
	if (rc)
		return rc;
	down_read(&ipd->lock);
	gone = ipd->gone;
	up_read(&ipd->lock);
	if (gone)
		return -ENODEV;
	if (cmd.__reserved)
		return -EINVAL;
	cmd.out_flags = 0;
	cmd.out_size = 0;
	if (cmd.index == IOASID_PCI_CONFIG_REGION_INDEX) {
		cmd.out_flags = IOASID_REGION_READ | IOASID_REGION_WRITE;
		cmd.out_size = pdev->cfg_size;
	} else if (cmd.index <= PCI_STD_RESOURCE_END) {
		if (pci_resource_len(pdev, cmd.index) &&
		    pci_resource_flags(pdev, cmd.index) & IORESOURCE_MEM) {
			cmd.out_size = pci_resource_len(pdev, cmd.index);
			if (ioasid_pci_bar_mmappable(pdev, cmd.index))
				cmd.out_flags = IOASID_REGION_MMAP;
			else if (ipd->bar_io[cmd.index])
				cmd.out_flags = IOASID_REGION_READ |
						IOASID_REGION_WRITE;
		}
	} else {
		return -EINVAL;
	}
	cmd.out_offset = (u64)cmd.index << IOASID_REGION_SHIFT;
	return ioasid_copy_struct_to_user(uarg, usize, &cmd, sizeof(cmd));
}

static int ioasid_pci_attach(struct ioasid_pci_dev *ipd, struct file *filp,
			     void __user *uarg)
{
	struct ioasid_device_attach cmd;
	int rc;

	rc = ioasid_copy_struct_from_user(&cmd, sizeof(cmd),
					  IOASID_DEVICE_ATTACH_MINSZ, uarg, NULL);
	if (rc)
		return rc;
	down_read(&ipd->lock);
	rc = ioasid_pci_check_owner(ipd, filp);
	if (!rc)
		rc = ioasid_device_attach(ipd->idev, cmd.ioas_id, cmd.flags,
					  cmd.pasid);
	up_read(&ipd->lock);
	return rc;
}

static int ioasid_pci_detach(struct ioasid_pci_dev *ipd, struct file *filp,
			     void __user *uarg)
{
	struct ioasid_device_detach cmd;
	int rc;

	rc = ioasid_copy_struct_from_user(&cmd, sizeof(cmd),
					  IOASID_DEVICE_DETACH_MINSZ, uarg, NULL);
	if (rc)
		return rc;
	down_read(&ipd->lock);
	if (ipd->gone)
		rc = -ENODEV;
	else if (cmd.__reserved)
		rc = -EINVAL;
	else
		rc = ioasid_pci_check_owner(ipd, filp);
	if (!rc)
		rc = ioasid_device_detach(ipd->idev, cmd.flags, cmd.pasid);
	up_read(&ipd->lock);
	return rc;
}

static int ioasid_pci_get_info(struct ioasid_pci_dev *ipd, void __user *uarg)
{
	struct ioasid_device_info *info;
	u32 usize;
	int rc;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	rc = ioasid_copy_struct_from_user(info, sizeof(*info),
					  IOASID_DEVICE_INFO_MINSZ, uarg, &usize);
	if (!rc && info->flags)
		rc = -EOPNOTSUPP;
	if (!rc) {
		down_read(&ipd->lock);
		rc = ipd->gone ? -ENODEV :
		     ioasid_device_get_info(ipd->idev, &ipd->pdev->dev, info);
		up_read(&ipd->lock);
	}
	if (!rc)
		rc = ioasid_copy_struct_to_user(uarg, usize, info,
						sizeof(*info));
	kfree(info);
	return rc;
}

static long ioasid_pci_ioctl(struct file *filp, unsigned int ucmd,
			     unsigned long arg)
{
	struct ioasid_pci_dev *ipd = filp->private_data;
	void __user *uarg = (void __user *)arg;

	switch (ucmd) {
	case IOASID_DEVICE_BIND:
		return ioasid_pci_bind(ipd, filp, uarg);
	case IOASID_DEVICE_ATTACH:
		return ioasid_pci_attach(ipd, filp, uarg);
	case IOASID_DEVICE_DETACH:
		return ioasid_pci_detach(ipd, filp, uarg);
	case IOASID_DEVICE_GET_INFO:
		return ioasid_pci_get_info(ipd, uarg);
	case IOASID_DEVICE_REGION_INFO:
		return ioasid_pci_region_info(ipd, uarg);
	default:
		return -ENOTTY;
	}
}

/* The widest naturally aligned access (4, 2, 1) at @off within @left. */
static size_t ioasid_pci_access_size(loff_t off, size_t left)
{
	if (off % 4 == 0 && left >= 4)
		return 4;
	if (off % 2 == 0 && left >= 2)
		return 2;
	return 1;
}

static int ioasid_pci_cfg_read(struct pci_dev *pdev, loff_t off, size_t n,
			       u32 *val)
{
	*val = 0;
	if (n == 4)
		return pci_user_read_config_dword(pdev, off, val);
	if (n == 2)
		return pci_user_read_config_word(pdev, off, (u16 *)val);
	return pci_user_read_config_byte(pdev, off, (u8 *)val);
}

static int ioasid_pci_cfg_write(struct pci_dev *pdev, loff_t off, size_t n,
				u32 val)
{
	if (n == 4)
		return pci_user_write_config_dword(pdev, off, val);
	if (n == 2)
		return pci_user_write_config_word(pdev, off, val);
	return pci_user_write_config_byte(pdev, off, val);
}

/*
 * One user write of @n bytes at @off through the write mask: bits the
 * mask protects keep the device's value (read first), a write no bit of
 * which may change is dropped. Return: a PCIBIOS_ code.
 */
static int ioasid_pci_cfg_write_masked(struct ioasid_pci_dev *ipd, loff_t off,
				       size_t n, u32 val)
{
	u32 mask = 0, full = n == 4 ? ~0U : (1U << (8 * n)) - 1, cur;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		mask |= (u32)ipd->cfg_wmask[off + i] << (8 * i);
	if (!mask)
		return PCIBIOS_SUCCESSFUL;
	if (mask != full) {
		rc = ioasid_pci_cfg_read(ipd->pdev, off, n, &cur);
		if (rc)
			return rc;
		val = (cur & ~mask) | (val & mask);
	}
	return ioasid_pci_cfg_write(ipd->pdev, off, n, val);
}

/*
 * Config space access at the config region's offset, through @kbuf: the
 * caller copies from/to user space outside ipd->lock. Writes go through
 * the write mask.
 */
static ssize_t ioasid_pci_config_rw(struct ioasid_pci_dev *ipd, u8 *kbuf,
				    size_t count, loff_t pos, bool write)
{
	struct pci_dev *pdev = ipd->pdev;
	size_t done = 0;
	int rc = 0;

	while (done < count) {
		loff_t off = pos + done;
		size_t n = ioasid_pci_access_size(off, count - done);
		u32 val = 0;

		if (write) {
			memcpy(&val, kbuf + done, n);
			rc = ioasid_pci_cfg_write_masked(ipd, off, n, val);
		} else {
			rc = ioasid_pci_cfg_read(pdev, off, n, &val);
			if (!rc)
				memcpy(kbuf + done, &val, n);
		}
		if (rc)
			return done ? done : pcibios_err_to_errno(rc);
		done += n;
	}
	return done;
}

/* Mark @len bytes of the write mask at @pos read-only. */
static void ioasid_pci_cfg_ro(u8 *wmask, int cfg_size, int pos, int len)
{
	if (pos < 0 || pos >= cfg_size)
		return;
	memset(wmask + pos, 0, min(len, cfg_size - pos));
}

/* Clear @bits of the little-endian register of @len bytes at @pos. */
static void ioasid_pci_cfg_ro_bits(u8 *wmask, int pos, int len, u32 bits)
{
	int i;

	for (i = 0; i < len; i++)
		wmask[pos + i] &= ~(u8)(bits >> (8 * i));
}

/*
 * The write mask of a type 0 function, built at probe: which bits of each
 * config byte a user write may change (docs/security.md, "ioasid-pci").
 * Everything is writable but the header's identity, BARs, ROM BAR,
 * pointers and BIST, the command register's decode enables, every
 * capability's header, the PM power state, PCIe DevCtl's Initiate FLR and
 * the SR-IOV and resizable-BAR capabilities, whose writes would create
 * devices or move BARs under user mappings.
 */
static u8 *ioasid_pci_cfg_wmask(struct pci_dev *pdev)
{
	int size = pdev->cfg_size, pos, ttl;
	u8 *wmask, id, next;
	u32 hdr, ctrl;

	wmask = kmalloc(size, GFP_KERNEL);
	if (!wmask)
		return NULL;
	memset(wmask, 0xff, size);
	/* The header: only command, status, cache line, latency, int line. */
	ioasid_pci_cfg_ro(wmask, size, 0, PCI_STD_HEADER_SIZEOF);
	memset(wmask + PCI_COMMAND, 0xff, 4);
	ioasid_pci_cfg_ro_bits(wmask, PCI_COMMAND, 2,
			       PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	wmask[PCI_LATENCY_TIMER] = 0xff;
	wmask[PCI_INTERRUPT_LINE] = 0xff;

	/* Standard capabilities: ID and next pointer read-only. */
	pos = PCI_CAPABILITY_LIST;
	for (ttl = 48; ttl; ttl--) {
		pci_read_config_byte(pdev, pos, &next);
		pos = next & ~3;
		if (pos < PCI_STD_HEADER_SIZEOF)
			break;
		ioasid_pci_cfg_ro(wmask, size, pos, 2);
		pci_read_config_byte(pdev, pos + PCI_CAP_LIST_ID, &id);
		if (id == PCI_CAP_ID_PM && pos + PCI_PM_CTRL + 2 <= size)
			ioasid_pci_cfg_ro_bits(wmask, pos + PCI_PM_CTRL, 2,
					       PCI_PM_CTRL_STATE_MASK);
		if (id == PCI_CAP_ID_EXP && pos + PCI_EXP_DEVCTL + 2 <= size)
			ioasid_pci_cfg_ro_bits(wmask, pos + PCI_EXP_DEVCTL, 2,
					       PCI_EXP_DEVCTL_BCR_FLR);
		pos += PCI_CAP_LIST_NEXT;
	}

	/* Extended capabilities: headers read-only, some whole. */
	pos = PCI_CFG_SPACE_SIZE;
	for (ttl = (size - PCI_CFG_SPACE_SIZE) / 8; size > pos && ttl; ttl--) {
		if (pci_read_config_dword(pdev, pos, &hdr) || !hdr ||
		    PCI_POSSIBLE_ERROR(hdr))
			break;
		ioasid_pci_cfg_ro(wmask, size, pos, 4);
		switch (PCI_EXT_CAP_ID(hdr)) {
		case PCI_EXT_CAP_ID_SRIOV:
			ioasid_pci_cfg_ro(wmask, size, pos,
					  PCI_EXT_CAP_SRIOV_SIZEOF);
			break;
		case PCI_EXT_CAP_ID_REBAR:
		case IOASID_PCI_EXT_CAP_ID_VF_REBAR:
			pci_read_config_dword(pdev, pos + PCI_REBAR_CTRL, &ctrl);
			ioasid_pci_cfg_ro(wmask, size, pos, PCI_REBAR_CTRL + 8 *
					  FIELD_GET(PCI_REBAR_CTRL_NBAR_MASK, ctrl));
			break;
		}
		pos = PCI_EXT_CAP_NEXT(hdr);
		if (pos < PCI_CFG_SPACE_SIZE)
			break;
	}
	return wmask;
}

/*
 * Read or write a sub-page BAR (mapped at probe, ipd->bar_io), in aligned
 * 4, 2 and 1 byte accesses, through @kbuf.
 */
static ssize_t ioasid_pci_bar_rw(void __iomem *io, u8 *kbuf, size_t count,
				 loff_t pos, bool write)
{
	size_t done = 0;

	while (done < count) {
		loff_t off = pos + done;
		size_t n = ioasid_pci_access_size(off, count - done);
		u32 val = 0;

		if (write) {
			memcpy(&val, kbuf + done, n);
			if (n == 4)
				iowrite32(val, io + off);
			else if (n == 2)
				iowrite16(val, io + off);
			else
				iowrite8(val, io + off);
		} else {
			val = n == 4 ? ioread32(io + off) :
			      n == 2 ? ioread16(io + off) : ioread8(io + off);
			memcpy(kbuf + done, &val, n);
		}
		done += n;
	}
	return done;
}

static ssize_t ioasid_pci_rw(struct file *filp, char __user *buf, size_t count,
			     loff_t *ppos, bool write)
{
	struct ioasid_pci_dev *ipd = filp->private_data;
	u64 index = *ppos >> IOASID_REGION_SHIFT;
	loff_t pos = *ppos & ((1ULL << IOASID_REGION_SHIFT) - 1);
	bool cfg = index == IOASID_PCI_CONFIG_REGION_INDEX;
	loff_t size;
	u8 *kbuf;
	ssize_t rc;

	if (cfg)
		size = ipd->pdev->cfg_size;
	else if (index < PCI_STD_NUM_BARS && ipd->bar_io[index])
		size = pci_resource_len(ipd->pdev, index);
	else
		return -EINVAL;
	if (pos >= size)
		return 0;
	count = min_t(size_t, count, size - pos);
	kbuf = kzalloc(count, GFP_KERNEL);
	if (!kbuf)
		return -ENOMEM;
	if (write && copy_from_user(kbuf, buf, count)) {
		rc = -EFAULT;
		goto out;
	}
	down_read(&ipd->lock);
	if (ipd->gone)
		rc = -ENODEV;
	else if (write || !cfg)
		/*
		 * Bus mastering only once isolated, by whoever isolated it;
		 * BAR registers, even to read, the same.
		 */
		rc = ioasid_pci_check_owner(ipd, filp);
	else
		rc = 0;
	if (!rc && cfg)
		rc = ioasid_pci_config_rw(ipd, kbuf, count, pos, write);
	else if (!rc)
		rc = ioasid_pci_bar_rw(ipd->bar_io[index], kbuf, count, pos,
				       write);
	up_read(&ipd->lock);
	if (rc > 0 && !write && copy_to_user(buf, kbuf, rc))
		rc = -EFAULT;
	if (rc > 0)
		*ppos += rc;
out:
	kfree(kbuf);
	return rc;
}

static ssize_t ioasid_pci_read(struct file *filp, char __user *buf,
			       size_t count, loff_t *ppos)
{
	return ioasid_pci_rw(filp, buf, count, ppos, false);
}

static ssize_t ioasid_pci_write(struct file *filp, const char __user *buf,
				size_t count, loff_t *ppos)
{
	return ioasid_pci_rw(filp, (char __user *)buf, count, ppos, true);
}

/* The first pfn of the BAR page at @pgoff (a file offset in pages). */
static unsigned long ioasid_pci_bar_pfn(struct pci_dev *pdev, u64 pgoff)
{
	u64 index = pgoff >> (IOASID_REGION_SHIFT - PAGE_SHIFT);
	u64 off = pgoff & ((1ULL << (IOASID_REGION_SHIFT - PAGE_SHIFT)) - 1);

	return (pci_resource_start(pdev, index) >> PAGE_SHIFT) + off;
}

/*
 * One page of a BAR mapping, under mmap_lock. The vma is linked into the
 * device's mapping by now, so an unbind after this fault zaps what it
 * inserts; an unbind before it leaves the device unbound, or bound again
 * in a later bind (another bind_gen): SIGBUS either way.
 */
static vm_fault_t ioasid_pci_bar_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct ioasid_pci_dev *ipd = vma->vm_file->private_data;
	unsigned long gen = (unsigned long)vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	down_read(&ipd->lock);
	if (!ipd->gone && ipd->idev && ipd->bind_gen == gen)
		ret = vmf_insert_pfn(vma, vmf->address,
				     ioasid_pci_bar_pfn(ipd->pdev, vmf->pgoff));
	up_read(&ipd->lock);
	return ret;
}

static const struct vm_operations_struct ioasid_pci_vm_ops = {
	.fault = ioasid_pci_bar_fault,
};

/*
 * Check the request and set the vma up; pages come at fault time (see the
 * top of the file for why nothing may be mapped here).
 */
static int ioasid_pci_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct ioasid_pci_dev *ipd = filp->private_data;
	u64 index = vma->vm_pgoff >> (IOASID_REGION_SHIFT - PAGE_SHIFT);
	u64 pgoff = vma->vm_pgoff & ((1ULL << (IOASID_REGION_SHIFT - PAGE_SHIFT)) - 1);
	struct pci_dev *pdev = ipd->pdev;
	u64 len = vma->vm_end - vma->vm_start;
	resource_size_t size;
	int rc;

	if (index > PCI_STD_RESOURCE_END || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (!ioasid_pci_bar_mmappable(pdev, index))
		return -EINVAL;
	size = pci_resource_len(pdev, index);
	if (pgoff >= size >> PAGE_SHIFT ||
	    len > size - (pgoff << PAGE_SHIFT))
		return -EINVAL;

	down_read(&ipd->lock);
	rc = ioasid_pci_check_owner(ipd, filp);
	if (!rc) {
		/* The protection and flags io_remap_pfn_range() would set. */
		vma->vm_page_prot = pgprot_decrypted(pgprot_noncached(vma->vm_page_prot));
		vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
		vma->vm_private_data = (void *)ipd->bind_gen;
		vma->vm_ops = &ioasid_pci_vm_ops;
	}
	up_read(&ipd->lock);
	return rc;
}

static const struct file_operations ioasid_pci_fops = {
	.owner = THIS_MODULE,
	.open = ioasid_pci_open,
	.release = ioasid_pci_release,
	.unlocked_ioctl = ioasid_pci_ioctl,
	.read = ioasid_pci_read,
	.write = ioasid_pci_write,
	.mmap = ioasid_pci_mmap,
	.llseek = default_llseek,
};

/*
 * Sub-page memory BARs are never mapped to user space; pread/pwrite reach
 * them through a kernel mapping, as vfio-pci's read/write do.
 */
static int ioasid_pci_map_small_bars(struct ioasid_pci_dev *ipd)
{
	struct pci_dev *pdev = ipd->pdev;
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
		    !pci_resource_len(pdev, bar) ||
		    ioasid_pci_bar_mmappable(pdev, bar))
			continue;
		ipd->bar_io[bar] = pci_iomap(pdev, bar, 0);
		if (!ipd->bar_io[bar])
			return -ENOMEM;
	}
	return 0;
}

static void ioasid_pci_unmap_small_bars(struct ioasid_pci_dev *ipd)
{
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (ipd->bar_io[bar])
			pci_iounmap(ipd->pdev, ipd->bar_io[bar]);
		ipd->bar_io[bar] = NULL;
	}
}

static void ioasid_pci_dev_release(struct device *dev)
{
	struct ioasid_pci_dev *ipd = container_of(dev, struct ioasid_pci_dev,
						  dev);

	iput(ipd->inode);
	kfree(ipd->saved);
	kfree(ipd->cfg_wmask);
	ida_free(&ioasid_pci_ida, MINOR(dev->devt));
	pci_dev_put(ipd->pdev);
	kfree(ipd);
}

static int ioasid_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ioasid_pci_dev *ipd;
	int minor, rc;

	/* As vfio-pci: a bridge's windows and bus numbers are the kernel's. */
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL) {
		pci_info(pdev, "ioasid-pci: not a normal function (header type %u): refused\n",
			 pdev->hdr_type);
		return -EINVAL;
	}
	ipd = kzalloc(sizeof(*ipd), GFP_KERNEL);
	if (!ipd)
		return -ENOMEM;
	minor = ida_alloc_max(&ioasid_pci_ida, IOASID_PCI_MAX_DEVS - 1,
			      GFP_KERNEL);
	if (minor < 0) {
		kfree(ipd);
		return minor;
	}
	ipd->pdev = pci_dev_get(pdev);
	init_rwsem(&ipd->lock);
	device_initialize(&ipd->dev);
	ipd->dev.class = &ioasid_pci_class;
	ipd->dev.parent = &pdev->dev;
	ipd->dev.devt = MKDEV(MAJOR(ioasid_pci_devt), minor);
	ipd->dev.release = ioasid_pci_dev_release;
	rc = dev_set_name(&ipd->dev, "%s", pci_name(pdev));
	if (rc)
		goto err_put;
	ipd->inode = alloc_anon_inode(ioasid_pci_mnt->mnt_sb);
	if (IS_ERR(ipd->inode)) {
		rc = PTR_ERR(ipd->inode);
		ipd->inode = NULL;
		goto err_put;
	}

	rc = pci_enable_device(pdev);
	if (rc)
		goto err_put;
	ipd->cfg_wmask = ioasid_pci_cfg_wmask(pdev);
	/* The state every reset comes back to; reset before the first user. */
	pci_save_state(pdev);
	ipd->saved = pci_store_saved_state(pdev);
	ipd->needs_reset = true;
	if (!ipd->cfg_wmask || !ipd->saved) {
		rc = -ENOMEM;
		goto err_disable;
	}
	rc = ioasid_pci_map_small_bars(ipd);
	if (rc)
		goto err_disable;
	cdev_init(&ipd->cdev, &ioasid_pci_fops);
	ipd->cdev.owner = THIS_MODULE;
	rc = cdev_device_add(&ipd->cdev, &ipd->dev);
	if (rc)
		goto err_disable;
	pci_set_drvdata(pdev, ipd);
	dev_info(&pdev->dev, "ioasid-pci: /dev/ioasid-dev/%s\n", pci_name(pdev));
	return 0;

err_disable:
	ioasid_pci_unmap_small_bars(ipd);
	pci_disable_device(pdev);
err_put:
	put_device(&ipd->dev);
	return rc;
}

static void ioasid_pci_remove(struct pci_dev *pdev)
{
	struct ioasid_pci_dev *ipd = pci_get_drvdata(pdev);

	/* Wait for operations in flight, then refuse all new ones. */
	down_write(&ipd->lock);
	ipd->gone = true;
	ioasid_pci_unbind(ipd, false);
	ioasid_pci_unmap_small_bars(ipd);
	up_write(&ipd->lock);
	cdev_device_del(&ipd->cdev, &ipd->dev);
	pci_disable_device(pdev);
	put_device(&ipd->dev);
}

static const struct pci_device_id ioasid_pci_ids[] = {
	/*
	 * Any device, but only when given to us with driver_override: an
	 * override_only entry never matches on ids alone.
	 */
	{ PCI_DEVICE_DRIVER_OVERRIDE(PCI_ANY_ID, PCI_ANY_ID, 1) },
	{}
};
MODULE_DEVICE_TABLE(pci, ioasid_pci_ids);

static struct pci_driver ioasid_pci_driver = {
	.name = "ioasid-pci",
	.id_table = ioasid_pci_ids,
	.probe = ioasid_pci_probe,
	.remove = ioasid_pci_remove,
	/* DMA ownership is claimed by ioasid at bind, not by the DMA API. */
	.driver_managed_dma = true,
};

static int __init ioasid_pci_init(void)
{
	int rc;

	rc = alloc_chrdev_region(&ioasid_pci_devt, 0, IOASID_PCI_MAX_DEVS,
				 "ioasid-dev");
	if (rc)
		return rc;
	rc = class_register(&ioasid_pci_class);
	if (rc)
		goto err_chrdev;
	ioasid_pci_mnt = kern_mount(&ioasid_pci_fs_type);
	if (IS_ERR(ioasid_pci_mnt)) {
		rc = PTR_ERR(ioasid_pci_mnt);
		goto err_class;
	}
	rc = pci_register_driver(&ioasid_pci_driver);
	if (rc)
		goto err_mnt;
	return 0;

err_mnt:
	kern_unmount(ioasid_pci_mnt);
err_class:
	class_unregister(&ioasid_pci_class);
err_chrdev:
	unregister_chrdev_region(ioasid_pci_devt, IOASID_PCI_MAX_DEVS);
	return rc;
}

static void __exit ioasid_pci_exit(void)
{
	pci_unregister_driver(&ioasid_pci_driver);
	kern_unmount(ioasid_pci_mnt);
	class_unregister(&ioasid_pci_class);
	unregister_chrdev_region(ioasid_pci_devt, IOASID_PCI_MAX_DEVS);
}

module_init(ioasid_pci_init);
module_exit(ioasid_pci_exit);

MODULE_IMPORT_NS(IOASID);
MODULE_DESCRIPTION("ioasid PCI binding driver: devices for user space");
MODULE_LICENSE("GPL");
