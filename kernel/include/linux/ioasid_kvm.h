/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KVM contract (kernel/kvm_link.c): telling a VM's KVM about the
 * non-coherent DMA of an ioasid context, as the policies allow.
 *
 * KVM emulates a guest's WBINVD with a real cache flush only while it has
 * been told that non-coherent DMA exists (kvm_arch_register_noncoherent_dma()).
 * A struct ioasid_kvm holds a reference on one VM and registers with it at
 * most once; ioasid_kvm_sync() makes the registration follow an ioasid
 * context's state: registered while @noncoherent and the context holds a
 * cache-flush grant, not registered otherwise, every change recorded in
 * the decision log. Two users: an ioasid fd linked with IOASID_KVM_LINK,
 * and ioasid-vfio's containers (the KVM VFIO gives a device at open).
 *
 * KVM is reached through symbol_get(): ioasid.ko does not depend on
 * kvm.ko, and a link pins kvm.ko while it exists.
 */
#ifndef __LINUX_IOASID_KVM_H
#define __LINUX_IOASID_KVM_H

#include <linux/types.h>

struct device;
struct file;
struct kvm;
struct ioasid_kvm;

struct ioasid_kvm *ioasid_kvm_get(struct kvm *kvm);
struct ioasid_kvm *ioasid_kvm_get_file(struct file *file);
u32 ioasid_kvm_sync(struct ioasid_kvm *k, struct file *ioasid_file,
		    bool noncoherent, struct device *dev);
void ioasid_kvm_put(struct ioasid_kvm *k);

#endif /* __LINUX_IOASID_KVM_H */
