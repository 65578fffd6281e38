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
 */
#define pr_fmt(fmt) "ioasid-pci: " fmt

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

/**
 * struct ioasid_pci_dev - one device driven by ioasid-pci
 * @pdev: the PCI device
 * @dev: the class device behind /dev/ioasid-dev/<BDF>
 * @cdev: its char device
 * @lock: held for reading by every file operation, for writing by removal
 * @gone: the device was removed; every operation gives ENODEV
 * @idev: the ioasid binding, or NULL
 * @owner: the file that bound it (unbound when that file is released)
 * @inode: the device's private inode; every open file maps BARs through
 *	its address space, which unbind zaps (see the top of the file)
 * @bind_gen: counts binds; a BAR mapping only faults in under the bind it
 *	was made in (its vm_private_data), never under a later one
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

/* Unbind, with the write lock held or the device being released. */
static void ioasid_pci_unbind(struct ioasid_pci_dev *ipd)
{
	if (!ipd->idev)
		return;
	/* No BAR access may outlive the isolation. */
	unmap_mapping_range(ipd->inode->i_mapping, 0, 0, true);
	pci_clear_master(ipd->pdev);
	ioasid_device_unbind(ipd->idev);
	ipd->idev = NULL;
	ipd->owner = NULL;
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
		ioasid_pci_unbind(ipd);
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
 * Lock order: mmap() and BAR faults run under mmap_lock and take ipd->lock,
 * so nothing here touches user memory (a fault takes mmap_lock) while
 * holding ipd->lock: commands are copied in before it and answers copied
 * out after. Unbind zaps BAR mappings under ipd->lock (write), which takes
 * i_mmap_rwsem and page table locks, never mmap_lock.
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
			ioasid_pci_unbind(ipd);
		up_write(&ipd->lock);
	}
	return rc;
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
			cmd.out_flags = IOASID_REGION_MMAP;
		}
	} else {
		return -EINVAL;
	}
	cmd.out_offset = (u64)cmd.index << IOASID_REGION_SHIFT;
	return ioasid_copy_struct_to_user(uarg, usize, &cmd, sizeof(cmd));
}

static int ioasid_pci_attach(struct ioasid_pci_dev *ipd, void __user *uarg)
{
	struct ioasid_device_attach cmd;
	int rc;

	rc = ioasid_copy_struct_from_user(&cmd, sizeof(cmd),
					  IOASID_DEVICE_ATTACH_MINSZ, uarg, NULL);
	if (rc)
		return rc;
	down_read(&ipd->lock);
	if (ipd->gone)
		rc = -ENODEV;
	else if (!ipd->idev)
		rc = -ENXIO;
	else
		rc = ioasid_device_attach(ipd->idev, cmd.ioas_id, cmd.flags,
					  cmd.pasid);
	up_read(&ipd->lock);
	return rc;
}

static int ioasid_pci_detach(struct ioasid_pci_dev *ipd, void __user *uarg)
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
	else if (!ipd->idev)
		rc = -ENXIO;
	else
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
		return ioasid_pci_attach(ipd, uarg);
	case IOASID_DEVICE_DETACH:
		return ioasid_pci_detach(ipd, uarg);
	case IOASID_DEVICE_GET_INFO:
		return ioasid_pci_get_info(ipd, uarg);
	case IOASID_DEVICE_REGION_INFO:
		return ioasid_pci_region_info(ipd, uarg);
	default:
		return -ENOTTY;
	}
}

/*
 * Config space access at the config region's offset, through @kbuf: the
 * caller copies from/to user space outside ipd->lock.
 */
static ssize_t ioasid_pci_config_rw(struct ioasid_pci_dev *ipd, u8 *kbuf,
				    size_t count, loff_t pos, bool write)
{
	struct pci_dev *pdev = ipd->pdev;
	size_t done = 0;
	int rc = 0;

	while (done < count) {
		loff_t off = pos + done;
		size_t n = (off % 4 == 0 && count - done >= 4) ? 4 :
			   (off % 2 == 0 && count - done >= 2) ? 2 : 1;
		u32 val = 0;

		if (write) {
			memcpy(&val, kbuf + done, n);
			rc = n == 4 ? pci_user_write_config_dword(pdev, off, val) :
			     n == 2 ? pci_user_write_config_word(pdev, off, val) :
				      pci_user_write_config_byte(pdev, off, val);
		} else {
			if (n == 4)
				rc = pci_user_read_config_dword(pdev, off, &val);
			else if (n == 2)
				rc = pci_user_read_config_word(pdev, off, (u16 *)&val);
			else
				rc = pci_user_read_config_byte(pdev, off, (u8 *)&val);
			if (!rc)
				memcpy(kbuf + done, &val, n);
		}
		if (rc)
			return done ? done : pcibios_err_to_errno(rc);
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
	u8 *kbuf;
	ssize_t rc;

	if (index != IOASID_PCI_CONFIG_REGION_INDEX)
		return -EINVAL;
	if (pos >= ipd->pdev->cfg_size)
		return 0;
	count = min_t(size_t, count, ipd->pdev->cfg_size - pos);
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
	else if (write && !ipd->idev)
		rc = -ENXIO; /* bus mastering only once isolated */
	else
		rc = ioasid_pci_config_rw(ipd, kbuf, count, pos, write);
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
	resource_size_t start, size;
	int rc = 0;

	if (index > PCI_STD_RESOURCE_END || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (!(pci_resource_flags(pdev, index) & IORESOURCE_MEM))
		return -EINVAL;
	start = pci_resource_start(pdev, index);
	size = pci_resource_len(pdev, index);
	if (!PAGE_ALIGNED(start) || (pgoff << PAGE_SHIFT) + len >
				    round_up(size, PAGE_SIZE))
		return -EINVAL;

	down_read(&ipd->lock);
	if (ipd->gone) {
		rc = -ENODEV;
	} else if (!ipd->idev) {
		rc = -ENXIO;
	} else {
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

static void ioasid_pci_dev_release(struct device *dev)
{
	struct ioasid_pci_dev *ipd = container_of(dev, struct ioasid_pci_dev,
						  dev);

	iput(ipd->inode);
	ida_free(&ioasid_pci_ida, MINOR(dev->devt));
	pci_dev_put(ipd->pdev);
	kfree(ipd);
}

static int ioasid_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ioasid_pci_dev *ipd;
	int minor, rc;

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
	cdev_init(&ipd->cdev, &ioasid_pci_fops);
	ipd->cdev.owner = THIS_MODULE;
	rc = cdev_device_add(&ipd->cdev, &ipd->dev);
	if (rc)
		goto err_disable;
	pci_set_drvdata(pdev, ipd);
	dev_info(&pdev->dev, "ioasid-pci: /dev/ioasid-dev/%s\n", pci_name(pdev));
	return 0;

err_disable:
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
	ioasid_pci_unbind(ipd);
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
