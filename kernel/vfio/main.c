// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid-vfio: ioasid as a VFIO IOMMU driver. See ioasid_vfio.h and
 * docs/vfio.md.
 *
 * Registration order matters: vfio_ioctl_set_iommu() tries the drivers
 * newest first, so this module must register after vfio_iommu_type1 (the
 * soft dependency makes modprobe load type1 first). A type1 loaded again
 * later would be tried first; that is reported in the kernel log.
 */
#define pr_fmt(fmt) "ioasid-vfio: " fmt

#include <linux/file.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/vfio.h>
#include <linux/ioasid_kernel.h>
#include <linux/ioasid_kioas.h>

#include "ioasid_vfio.h"

static void *ioasid_vfio_open(unsigned long arg)
{
	struct ioasid_vfio_container *c;
	int rc;

	if (arg != VFIO_TYPE1v2_IOMMU || !READ_ONCE(ioasid_vfio_serve_type1))
		return ERR_PTR(-EINVAL);
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	mutex_init(&c->lock);
	INIT_LIST_HEAD(&c->groups);
	INIT_LIST_HEAD(&c->kvms);
	ioasid_vfio_emu_init(c);
	c->dma_entry_limit = READ_ONCE(ioasid_vfio_dma_entry_limit);
	c->ioasid_file = ioasid_kernel_file();
	if (IS_ERR(c->ioasid_file)) {
		rc = PTR_ERR(c->ioasid_file);
		goto err_free;
	}
	rc = ioasid_kioas_alloc(c->ioasid_file, &c->ioas_id);
	if (rc)
		goto err_file;
	return c;

err_file:
	fput(c->ioasid_file);
err_free:
	ioasid_vfio_emu_release(c);
	mutex_destroy(&c->lock);
	kfree(c);
	return ERR_PTR(rc);
}

static void ioasid_vfio_release(void *iommu_data)
{
	struct ioasid_vfio_container *c = iommu_data;

	/* VFIO detached every group before; be safe if it did not. */
	WARN_ON(!list_empty(&c->groups));
	ioasid_vfio_kvm_release(c);
	/* Unmaps, unpins and uncharges what is left; a joined IOAS is its fd's. */
	if (!c->joined)
		WARN_ON(ioasid_kioas_destroy(c->ioasid_file, c->ioas_id));
	fput(c->ioasid_file);
	ioasid_vfio_emu_release(c);
	mutex_destroy(&c->lock);
	kfree(c);
}

static void ioasid_vfio_register_device(void *iommu_data,
					struct vfio_device *vdev)
{
	struct ioasid_vfio_container *c = iommu_data;

	mutex_lock(&c->lock);
	c->nr_devices++;
	mutex_unlock(&c->lock);
	ioasid_vfio_kvm_register(c, vdev);
	ioasid_vfio_emu_register(c, vdev);
}

static void ioasid_vfio_unregister_device(void *iommu_data,
					  struct vfio_device *vdev)
{
	struct ioasid_vfio_container *c = iommu_data;

	ioasid_vfio_kvm_unregister(c, vdev);
	ioasid_vfio_emu_unregister(c, vdev);
	mutex_lock(&c->lock);
	c->nr_devices--;
	mutex_unlock(&c->lock);
}

static const struct vfio_iommu_driver_ops ioasid_vfio_ops = {
	.name = "ioasid-vfio",
	.owner = THIS_MODULE,
	.open = ioasid_vfio_open,
	.release = ioasid_vfio_release,
	.ioctl = ioasid_vfio_ioctl,
	.attach_group = ioasid_vfio_attach_group,
	.detach_group = ioasid_vfio_detach_group,
	.register_device = ioasid_vfio_register_device,
	.unregister_device = ioasid_vfio_unregister_device,
	.pin_pages = ioasid_vfio_pin_pages,
	.unpin_pages = ioasid_vfio_unpin_pages,
	.dma_rw = ioasid_vfio_dma_rw,
};

static int type1_notify(struct notifier_block *nb, unsigned long state,
			void *data)
{
	struct module *mod = data;

	if (state == MODULE_STATE_LIVE && !strcmp(mod->name, "vfio_iommu_type1"))
		pr_warn("vfio_iommu_type1 loaded after ioasid_vfio: it now serves type1v2 containers first; reload ioasid_vfio (docs/vfio.md)\n");
	return NOTIFY_DONE;
}

static struct notifier_block type1_nb = { .notifier_call = type1_notify };

static int __init ioasid_vfio_init(void)
{
	int rc;

	rc = vfio_register_iommu_driver(&ioasid_vfio_ops);
	if (rc)
		return rc;
	register_module_notifier(&type1_nb);
	return 0;
}

static void __exit ioasid_vfio_exit(void)
{
	unregister_module_notifier(&type1_nb);
	vfio_unregister_iommu_driver(&ioasid_vfio_ops);
	ioasid_vfio_quarantine_reap(true);
}

module_init(ioasid_vfio_init);
module_exit(ioasid_vfio_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ioasid as a VFIO IOMMU driver (type1v2 containers)");
MODULE_IMPORT_NS(IOASID);
/* Registered after type1, so tried before it (see the top of this file). */
MODULE_SOFTDEP("pre: vfio_iommu_type1");
