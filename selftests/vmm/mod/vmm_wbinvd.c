// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_wbinvd - execute WBINVD in ring 0 on demand.
 *
 * Loaded in the vmm suite's inner guest: writing N to
 * /sys/module/vmm_wbinvd/parameters/flush executes N WBINVD instructions.
 * Under KVM each one is an exit that the host's KVM either honours (it
 * flushes its own caches when non-coherent DMA is registered) or ignores;
 * the suite observes which from the host side. Reading "flushed" gives
 * the number executed since load, reading "elapsed_ns" the nanoseconds the
 * last write's WBINVDs took (the loop, guest clock).
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <asm/special_insns.h>

#define VMM_WBINVD_MAX 1000000

static atomic_long_t vmm_wbinvd_done = ATOMIC_LONG_INIT(0);
static unsigned long long vmm_wbinvd_ns;
module_param_named(elapsed_ns, vmm_wbinvd_ns, ullong, 0400);
MODULE_PARM_DESC(elapsed_ns, "nanoseconds the last flush write's WBINVDs took");

static int vmm_wbinvd_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n, i;
	u64 t0;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (n > VMM_WBINVD_MAX)
		return -EINVAL;
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		/* The instruction itself, not a paravirt hook. */
		native_wbinvd();
		atomic_long_inc(&vmm_wbinvd_done);
		cond_resched();
	}
	WRITE_ONCE(vmm_wbinvd_ns, ktime_get_ns() - t0);
	return 0;
}

static int vmm_wbinvd_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&vmm_wbinvd_done));
}

static const struct kernel_param_ops vmm_wbinvd_flush_ops = {
	.set = vmm_wbinvd_set,
	.get = vmm_wbinvd_get,
};

module_param_cb(flush, &vmm_wbinvd_flush_ops, NULL, 0600);
MODULE_PARM_DESC(flush, "write N: execute WBINVD N times; read: total executed");

MODULE_DESCRIPTION("vmm selftest: ring-0 WBINVD on demand");
MODULE_LICENSE("GPL");
