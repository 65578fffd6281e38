// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM contract: KVM honours a guest's WBINVD with a real cache flush
 * only while it has been told that non-coherent DMA exists
 * (kvm_arch_register_noncoherent_dma(), a counter per VM). kvm-vfio in
 * 6.12 tells it from the device's IOMMU capability alone
 * (vfio_group_enforced_coherent()), so where a policy lets a device skip
 * snooping on an IOMMU that could enforce it, KVM would believe the DMA
 * coherent. ioasid tells KVM itself, from the domain actually attached:
 * while a context has an attachment through a domain that does not
 * enforce snooping, and the policies granted it the cache flush (the
 * grant is what decides whether the guest's WBINVD is honoured: a policy
 * that allows no-snoop without it refuses the link).
 *
 * A struct ioasid_kvm is one VM, referenced, and whether ioasid registered
 * with it (at most once per struct). Its users serialize their calls on
 * it: an ioasid fd linked with IOASID_KVM_LINK under ctx->kvm_lock, a VFIO
 * container's link under the container's lock (kernel/vfio/kvm.c).
 *
 * Locking: ctx->kvm_lock is taken inside igroup->lock (device.c syncs
 * after every attach and detach) and is the outermost lock of a link
 * ioctl. Under it: ctx->flush.lock (to read the grant), KVM's
 * registration (which may zap the VM's SPTEs under kvm->mmu_lock) and the
 * decision log. The VM reference is dropped outside every ioasid lock:
 * it may be the last one.
 *
 * KVM is reached through symbol_get(), as VFIO does: ioasid.ko does not
 * depend on kvm.ko, and a link pins kvm.ko while it exists.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/ioasid_kernel.h>
#include <linux/ioasid_kvm.h>

#include "ioasid_private.h"
#include "decision_log.h"
#include "request.h"

#if IS_ENABLED(CONFIG_KVM) && defined(__KVM_HAVE_ARCH_NONCOHERENT_DMA)
#define IOASID_HAVE_KVM
#endif

/**
 * struct ioasid_kvm - one VM ioasid may tell about non-coherent DMA
 * @kvm: the VM (referenced)
 * @put_kvm: kvm_put_kvm(), held with symbol_get()
 * @reg: kvm_arch_register_noncoherent_dma(), likewise
 * @unreg: kvm_arch_unregister_noncoherent_dma(), likewise
 * @state: IOASID_KVM_LINK_NONCOHERENT (registered once) or
 *	IOASID_KVM_LINK_REFUSED (non-coherent, no grant) or 0
 */
struct ioasid_kvm {
	struct kvm *kvm;
	void (*put_kvm)(struct kvm *kvm);
	void (*reg)(struct kvm *kvm);
	void (*unreg)(struct kvm *kvm);
	u32 state;
};

#ifdef IOASID_HAVE_KVM
static bool have_kvm(void)
{
	return true;
}

static void kvm_symbols_put(struct ioasid_kvm *k)
{
	if (k->put_kvm)
		symbol_put(kvm_put_kvm);
	if (k->reg)
		symbol_put(kvm_arch_register_noncoherent_dma);
	if (k->unreg)
		symbol_put(kvm_arch_unregister_noncoherent_dma);
}

/* Take KVM's functions and a reference on @kvm: 0, -EINVAL, -ENOENT. */
static int kvm_symbols_get(struct ioasid_kvm *k, struct kvm *kvm)
{
	bool (*get_safe)(struct kvm *kvm);
	bool got;

	k->put_kvm = symbol_get(kvm_put_kvm);
	k->reg = symbol_get(kvm_arch_register_noncoherent_dma);
	k->unreg = symbol_get(kvm_arch_unregister_noncoherent_dma);
	get_safe = symbol_get(kvm_get_kvm_safe);
	if (!k->put_kvm || !k->reg || !k->unreg || !get_safe) {
		if (get_safe)
			symbol_put(kvm_get_kvm_safe);
		kvm_symbols_put(k);
		return -EINVAL;
	}
	got = get_safe(kvm);
	symbol_put(kvm_get_kvm_safe);
	if (!got) {
		kvm_symbols_put(k);
		return -ENOENT;
	}
	return 0;
}

/* Is @file a KVM VM fd? False when kvm.ko is not loaded. */
static bool kvm_file(struct file *file)
{
	bool (*is_kvm)(struct file *file) = symbol_get(file_is_kvm);
	bool ok;

	if (!is_kvm)
		return false;
	ok = is_kvm(file);
	symbol_put(file_is_kvm);
	return ok;
}
#else
static bool have_kvm(void)
{
	return false;
}

static void kvm_symbols_put(struct ioasid_kvm *k)
{
}

static int kvm_symbols_get(struct ioasid_kvm *k, struct kvm *kvm)
{
	return -EOPNOTSUPP;
}

static bool kvm_file(struct file *file)
{
	return false;
}
#endif

/**
 * ioasid_kvm_get - hold a VM for the KVM contract
 * @kvm: the VM (e.g. a VFIO device's, which VFIO holds while it is open)
 *
 * Return: the link, not registered, or an ERR_PTR: -EINVAL (kvm.ko is
 * not loaded), -ENOENT (the VM is being destroyed), -ENOMEM, -EOPNOTSUPP
 * (a kernel without KVM's non-coherent DMA tracking).
 */
struct ioasid_kvm *ioasid_kvm_get(struct kvm *kvm)
{
	struct ioasid_kvm *k;
	int rc;

	if (!have_kvm())
		return ERR_PTR(-EOPNOTSUPP);
	k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);
	if (!k)
		return ERR_PTR(-ENOMEM);
	rc = kvm_symbols_get(k, kvm);
	if (rc) {
		kfree(k);
		return ERR_PTR(rc);
	}
	k->kvm = kvm;
	return k;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kvm_get, IOASID);

/**
 * ioasid_kvm_get_file - hold the VM of a KVM VM fd's file
 * @file: any file
 *
 * Return: as ioasid_kvm_get(), and -EINVAL when @file is not a KVM VM fd
 * (or no KVM module is loaded, so none can exist).
 */
struct ioasid_kvm *ioasid_kvm_get_file(struct file *file)
{
	if (!have_kvm())
		return ERR_PTR(-EOPNOTSUPP);
	if (!kvm_file(file))
		return ERR_PTR(-EINVAL);
	/* The fd holds the VM: it cannot be dying. */
	return ioasid_kvm_get(file->private_data);
}
EXPORT_SYMBOL_NS_GPL(ioasid_kvm_get_file, IOASID);

/**
 * ioasid_kvm_put - drop a VM
 * @k: the link; registered or not (callers ioasid_kvm_sync() it to not
 *	non-coherent first, so that the unregistration is recorded)
 *
 * Context: process context, no ioasid lock held: the reference may be
 * the VM's last.
 */
void ioasid_kvm_put(struct ioasid_kvm *k)
{
	if (k->state == IOASID_KVM_LINK_NONCOHERENT)
		k->unreg(k->kvm);
	k->put_kvm(k->kvm);
	kvm_symbols_put(k);
	kfree(k);
}
EXPORT_SYMBOL_NS_GPL(ioasid_kvm_put, IOASID);

/* Record a change of @k's registration for @ctx (and @dev, if any). */
static void kvm_log(struct ioasid_ctx *ctx, u32 kind, struct device *dev,
		    const struct ioasid_policy_decision *d)
{
	struct ioasid_req_caller caller = { .ctx = ctx, .op = kind };
	struct ioasid_policy_req *req;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return;
	ioasid_request_build(req, NULL, &caller);
	if (dev && dev_is_pci(dev)) {
		struct pci_dev *pdev = to_pci_dev(dev);

		req->vendor = pdev->vendor;
		req->device = pdev->device;
		req->bdf = pci_domain_nr(pdev->bus) << 16 |
			   pdev->bus->number << 8 | pdev->devfn;
	}
	if (dev)
		strscpy(req->driver, dev_driver_string(dev),
			sizeof(req->driver));
	ioasid_decision_log_add(req, d, d, 0, NULL);
	kfree(req);
}

/**
 * ioasid_kvm_sync - make KVM's registration follow an ioasid context
 * @k: the link (its user serializes calls on it)
 * @ioasid_file: the ioasid context whose cache-flush grant decides
 * @noncoherent: the user has DMA through a domain that does not enforce
 *	snooping
 * @dev: the device that caused the call, for the record, or NULL
 *
 * Registers with KVM when @noncoherent and @ioasid_file holds a cache-flush
 * grant, unregisters otherwise; records every change in the decision log
 * (a refusal once, when it starts).
 * Context: process context; may sleep (KVM may zap its SPTEs).
 *
 * Return: enum ioasid_kvm_link_state: IOASID_KVM_LINK_LINKED and the
 * state now.
 */
u32 ioasid_kvm_sync(struct ioasid_kvm *k, struct file *ioasid_file,
		    bool noncoherent, struct device *dev)
{
	struct ioasid_ctx *ctx = ioasid_file->private_data;
	struct ioasid_policy_decision *d;
	u32 want = 0, rate = 0, burst = 0;
	bool granted;

	might_sleep();
	if (!have_kvm() || WARN_ON(!ioasid_file_is_ioasid(ioasid_file)))
		return 0;
	scoped_guard(spinlock, &ctx->flush.lock) {
		granted = ctx->flush.granted;
		rate = ctx->flush.rate;
		burst = ctx->flush.burst;
	}
	if (noncoherent)
		want = granted ? IOASID_KVM_LINK_NONCOHERENT :
				 IOASID_KVM_LINK_REFUSED;
	if (want == k->state)
		return IOASID_KVM_LINK_LINKED | want;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (k->state == IOASID_KVM_LINK_NONCOHERENT) {
		k->unreg(k->kvm);
		kvm_log(ctx, IOASID_DECISION_KIND_KVM_UNLINK, dev, NULL);
	}
	k->state = want;
	if (want == IOASID_KVM_LINK_NONCOHERENT)
		k->reg(k->kvm);
	if (want && d) {
		d->op = IOASID_DECISION_KIND_KVM_LINK;
		d->snoop = IOASID_SNOOP_ALLOW_NOSNOOP;
		if (granted) {
			d->flags = IOASID_DECISION_FLUSH_GRANT;
			d->flush_rate = rate;
			d->flush_burst = burst;
			snprintf(d->reason, sizeof(d->reason),
				 "flush granted: KVM told of non-coherent DMA");
		} else {
			d->verdict = -EPERM;
			snprintf(d->reason, sizeof(d->reason),
				 "no cache-flush grant: KVM not told, WBINVD ignored");
		}
		kvm_log(ctx, IOASID_DECISION_KIND_KVM_LINK, dev, d);
	}
	kfree(d);
	return IOASID_KVM_LINK_LINKED | want;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kvm_sync, IOASID);

/* --- IOASID_KVM_LINK: an ioasid fd's own link -------------------------- */

/**
 * ioasid_kvm_ctx_sync - the fd's non-coherent state may have changed
 * @ctx: the fd
 * @dev: the device attached or detached, for the record
 *
 * Context: may hold the device's group lock; takes ctx->kvm_lock.
 */
void ioasid_kvm_ctx_sync(struct ioasid_ctx *ctx, struct device *dev)
{
	guard(mutex)(&ctx->kvm_lock);
	if (ctx->kvm)
		ioasid_kvm_sync(ctx->kvm, ctx->file,
				atomic_read(&ctx->nr_noncoherent), dev);
}

/**
 * ioasid_kvm_ctx_release - the fd goes: tell KVM, drop the VM
 * @ctx: the fd, with no attachment left
 */
void ioasid_kvm_ctx_release(struct ioasid_ctx *ctx)
{
	if (ctx->kvm) {
		ioasid_kvm_sync(ctx->kvm, ctx->file, false, NULL);
		ioasid_kvm_put(ctx->kvm);
		ctx->kvm = NULL;
	}
	mutex_destroy(&ctx->kvm_lock);
}

int ioasid_kvm_link_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_kvm_link *cmd = ucmd->cmd;
	struct ioasid_ctx *ctx = ucmd->ctx;
	struct ioasid_kvm *k = NULL, *drop = NULL;
	struct file *file;
	int rc = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (!have_kvm())
		return -EOPNOTSUPP;
	if (cmd->kvm_fd != -1) {
		if (cmd->kvm_fd < 0)
			return -EBADF;
		file = fget(cmd->kvm_fd);
		if (!file)
			return -EBADF;
		k = ioasid_kvm_get_file(file);
		fput(file);
		if (IS_ERR(k))
			return PTR_ERR(k);
	}

	mutex_lock(&ctx->kvm_lock);
	if (!k) {
		/* Unlink. */
		drop = ctx->kvm;
		if (drop)
			ioasid_kvm_sync(drop, ctx->file, false, NULL);
		ctx->kvm = NULL;
		cmd->out_state = 0;
	} else if (ctx->kvm && ctx->kvm->kvm != k->kvm) {
		drop = k;
		rc = -EBUSY;
	} else {
		if (ctx->kvm)
			drop = k;	/* the same VM: nothing changes */
		else
			ctx->kvm = k;
		cmd->out_state = ioasid_kvm_sync(ctx->kvm, ctx->file,
						 atomic_read(&ctx->nr_noncoherent),
						 NULL);
	}
	mutex_unlock(&ctx->kvm_lock);
	if (drop)
		ioasid_kvm_put(drop);
	if (rc)
		return rc;
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}
