// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM contract of a native ioasid fd (IOASID_KVM_LINK), observed from
 * outside ioasid: kprobes on KVM's kvm_arch_register_noncoherent_dma,
 * kvm_arch_unregister_noncoherent_dma and kvm_arch_destroy_vm (not
 * kvm_destroy_vm: the debug kernel inlines it) count what KVM was told
 * (/sys/kernel/tracing/kprobe_profile), for a VM made here with
 * KVM_CREATE_VM (no vCPU, no kvm-vfio device: nobody else registers).
 *
 * A non-coherent attachment is the built-in's decision where the IOMMU
 * cannot enforce snooping (intel-nosc) and t_kvm_flush's (no-snoop with
 * the flush grant) where it can (intel-sc); t_kvm_noflush allows no-snoop
 * without the grant, which refuses the link.
 *
 * main() takes the other CPUs offline and loads kvm_amd (kvm_intel does
 * not load under TCG) as the vmm suite does (docs/vmm.md: text patching
 * by one vCPU of the outer TCG is not always seen by another), places the
 * probes, runs the tests and undoes all of it.
 */
#include <linux/kvm.h>
#include <bpf/libbpf.h>
#include "kselftest_harness.h"
#include "../lib/ioasid_util.h"
#include "kvm_policy.skel.h"

#define T		"/sys/kernel/tracing"
#define P_REG		"kvmlink_reg"
#define P_UNREG		"kvmlink_unreg"
#define P_DESTROY	"kvmlink_destroy"

/* Hits of a kprobe of group kvmlink, from kprobe_profile; -1 if absent. */
static long hits(const char *event)
{
	char name[128];
	long n, miss, found = -1;
	FILE *f = fopen(T "/kprobe_profile", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%127s %ld %ld", name, &n, &miss) == 3)
		if (!strcmp(name, event))
			found = n;
	fclose(f);
	return found;
}

struct counts {
	long reg, unreg, destroy;
};

static struct counts counts(void)
{
	return (struct counts){ hits(P_REG), hits(P_UNREG), hits(P_DESTROY) };
}

/* What KVM was told since @c0: registrations, unregistrations, VMs gone. */
#define EXPECT_KVM_TOLD(c0, nreg, nunreg, ndestroyed) do {		\
	struct counts _c = counts();					\
	ASSERT_LE(0, (c0).reg) TH_LOG("kprobes on KVM missing");	\
	ASSERT_LE(0, (c0).unreg);					\
	ASSERT_LE(0, (c0).destroy);					\
	EXPECT_EQ(nreg, _c.reg - (c0).reg);				\
	EXPECT_EQ(nunreg, _c.unreg - (c0).unreg);			\
	EXPECT_EQ(ndestroyed, _c.destroy - (c0).destroy);		\
} while (0)

/* IOASID_KVM_LINK: 0 or -errno; the state after it in *state. */
static int kvm_link(int fd, int kvm_fd, __u32 *state)
{
	struct ioasid_kvm_link l = {
		.size = sizeof(l), .kvm_fd = kvm_fd, .out_state = 0xdead,
	};
	int rc = xioctl(fd, IOASID_KVM_LINK, &l);

	if (!rc && state)
		*state = l.out_state;
	return rc;
}

/* The state the fd reports for the VM it is linked to. */
static __u32 link_state(int fd, int vm)
{
	__u32 state = 0xdead;

	if (kvm_link(fd, vm, &state))
		return 0xdead;
	return state;
}

/* A new VM (KVM_CREATE_VM on /dev/kvm), or -errno. */
static int new_vm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (kvm < 0)
		return -errno;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		vm = -errno;
	close(kvm);
	return vm;
}

#define NEW_VM() ({							\
	int _vm = new_vm();						\
	ASSERT_LE(0, _vm) TH_LOG("KVM_CREATE_VM: %s (kvm_amd loaded?)",	\
				 strerror(-_vm));			\
	_vm;								\
})

/*
 * Is there a decision record of @kind with @error from this process?
 * (kvm-link records carry the caller's pid, the test's child.)
 */
static bool logged(int fd, __u16 kind, int error)
{
	struct ioasid_decisions_open o = {
		.size = sizeof(o), .flags = IOASID_DECISIONS_NONBLOCK,
	};
	struct ioasid_decision_record r;
	bool found = false;

	if (xioctl(fd, IOASID_DECISIONS_OPEN, &o))
		return false;
	while (read(o.out_fd, &r, sizeof(r)) == sizeof(r))
		if (r.hdr.kind == kind && r.pid == (__u32)getpid() &&
		    r.error == error)
			found = true;
	close(o.out_fd);
	return found;
}

/* --- bad input ---------------------------------------------------------- */

TEST(not_a_kvm_fd)
{
	char path[] = "/tmp/kvm_link_test.XXXXXX";
	int fd = open("/dev/ioasid", O_RDWR), file, kvm;
	struct counts c0 = counts();
	__u32 state;

	ASSERT_LE(0, fd);
	file = mkstemp(path);
	ASSERT_LE(0, file);
	unlink(path);
	EXPECT_EQ(-EINVAL, kvm_link(fd, file, NULL));
	/* The ioasid fd itself. */
	EXPECT_EQ(-EINVAL, kvm_link(fd, fd, NULL));
	/* /dev/kvm is KVM's system fd, not a VM. */
	kvm = open("/dev/kvm", O_RDWR);
	ASSERT_LE(0, kvm);
	EXPECT_EQ(-EINVAL, kvm_link(fd, kvm, NULL));
	/* Nothing changed: not linked, nothing told. */
	EXPECT_EQ(0, kvm_link(fd, -1, &state));
	EXPECT_EQ(0U, state);
	EXPECT_KVM_TOLD(c0, 0, 0, 0);
	close(kvm);
	close(file);
	close(fd);
}

TEST(bad_fd_and_args)
{
	int fd = open("/dev/ioasid", O_RDWR), closed = dup(0), vm;
	struct ioasid_kvm_link l = { .size = sizeof(l), .flags = 1, .kvm_fd = -1 };
	struct {
		struct ioasid_kvm_link l;
		__u32 tail;
	} big = { { .size = sizeof(big), .kvm_fd = -1 }, 1 };
	struct counts c0;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, closed);
	close(closed);
	vm = NEW_VM();
	c0 = counts();
	EXPECT_EQ(-EBADF, kvm_link(fd, closed, NULL));
	EXPECT_EQ(-EBADF, kvm_link(fd, -2, NULL));
	EXPECT_EQ(-EBADF, kvm_link(fd, INT32_MIN, NULL));
	l.kvm_fd = vm;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(fd, IOASID_KVM_LINK, &l));
	l.flags = 0;
	l.size = offsetof(struct ioasid_kvm_link, out_state);
	EXPECT_EQ(-EINVAL, xioctl(fd, IOASID_KVM_LINK, &l));
	big.l.kvm_fd = vm;
	EXPECT_EQ(-E2BIG, xioctl(fd, IOASID_KVM_LINK, &big));
	/* None of them linked it. */
	EXPECT_EQ(0, kvm_link(fd, -1, NULL));
	close(vm);
	close(fd);
	/* Nothing held the VM: it went with its fd. */
	EXPECT_KVM_TOLD(c0, 0, 0, 1);
}

/* --- link and unlink ------------------------------------------------------ */

TEST(link_unlink)
{
	int fd = open("/dev/ioasid", O_RDWR), a, b;
	struct counts c0;
	__u32 state;

	ASSERT_LE(0, fd);
	a = NEW_VM();
	b = NEW_VM();
	c0 = counts();
	/* Unlinking an fd never linked is a no-op. */
	EXPECT_EQ(0, kvm_link(fd, -1, &state));
	EXPECT_EQ(0U, state);
	EXPECT_EQ(0, kvm_link(fd, a, &state));
	/* No device: linked, KVM told nothing. */
	EXPECT_EQ(IOASID_KVM_LINK_LINKED, state);
	EXPECT_EQ(0, kvm_link(fd, a, &state));
	EXPECT_EQ(IOASID_KVM_LINK_LINKED, state);
	EXPECT_EQ(-EBUSY, kvm_link(fd, b, NULL));
	EXPECT_EQ(0, kvm_link(fd, -1, &state));
	EXPECT_EQ(0U, state);
	EXPECT_EQ(0, kvm_link(fd, b, &state));
	EXPECT_EQ(IOASID_KVM_LINK_LINKED, state);
	/* a was let go: it goes with its fd; b is held by the link. */
	close(a);
	close(b);
	EXPECT_KVM_TOLD(c0, 0, 0, 1);
	close(fd);
	EXPECT_KVM_TOLD(c0, 0, 0, 2);
}

/* --- with the edu --------------------------------------------------------- */

FIXTURE(kvm) {
	int fd, dfd, vm;
	__u32 ioas;
	bool sc;		/* the edu's IOMMU enforces snooping */
	struct kvm_policy *skel;
	struct bpf_link *link;
	struct counts c0;
};

FIXTURE_SETUP(kvm)
{
	struct ioasid_device_info info = { .size = sizeof(info) };

	self->skel = NULL;
	self->link = NULL;
	self->vm = -1;
	OPEN_EDU_OR_SKIP(self->fd, self->dfd);
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	self->sc = info.out_iommu_caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY;
	ASSERT_EQ(0, ioas_alloc(self->fd, 0, 0, &self->ioas));
	self->vm = NEW_VM();
	self->c0 = counts();
	ASSERT_LE(0, self->c0.reg) TH_LOG("kprobes on KVM missing");
}

FIXTURE_TEARDOWN(kvm)
{
	if (self->dfd >= 0)
		close(self->dfd);
	close(self->fd);
	if (self->vm >= 0)
		close(self->vm);
	if (self->link)
		bpf_link__destroy(self->link);
	if (self->skel)
		kvm_policy__destroy(self->skel);
}

/* Register the test policy @name of kvm_policy.bpf.c. */
static void load_policy(struct __test_metadata *_metadata,
			FIXTURE_DATA(kvm) *self, const char *name)
{
	struct bpf_map *map;

	self->skel = kvm_policy__open();
	ASSERT_NE(NULL, self->skel);
	bpf_object__for_each_map(map, self->skel->obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map, !strcmp(bpf_map__name(map), name));
	ASSERT_EQ(0, kvm_policy__load(self->skel));
	map = bpf_object__find_map_by_name(self->skel->obj, name);
	ASSERT_NE(NULL, map);
	self->link = bpf_map__attach_struct_ops(map);
	ASSERT_NE(NULL, self->link);
}

/* An attach of the edu that is non-coherent with the flush grant. */
static void noncoherent_with_grant(struct __test_metadata *_metadata,
				   FIXTURE_DATA(kvm) *self)
{
	if (self->sc)
		load_policy(_metadata, self, "t_kvm_flush");
}

static void bind_attach(struct __test_metadata *_metadata,
			FIXTURE_DATA(kvm) *self)
{
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	/* The decision applied really was non-coherent. */
	ASSERT_EQ(0, cache_flush(self->fd, NULL));
}

TEST_F(kvm, noncoherent_attach_registers)
{
	__u32 state;

	noncoherent_with_grant(_metadata, self);
	ASSERT_EQ(0, kvm_link(self->fd, self->vm, &state));
	EXPECT_EQ(IOASID_KVM_LINK_LINKED, state);
	EXPECT_KVM_TOLD(self->c0, 0, 0, 0);
	bind_attach(_metadata, self);
	EXPECT_KVM_TOLD(self->c0, 1, 0, 0);
	EXPECT_EQ(IOASID_KVM_LINK_LINKED | IOASID_KVM_LINK_NONCOHERENT,
		  link_state(self->fd, self->vm));
	EXPECT_TRUE(logged(self->fd, IOASID_DECISION_KIND_KVM_LINK, 0));
	/* The last detach takes it back, the next attach tells again. */
	ASSERT_EQ(0, dev_detach(self->dfd, 0, 0));
	EXPECT_KVM_TOLD(self->c0, 1, 1, 0);
	EXPECT_EQ(IOASID_KVM_LINK_LINKED, link_state(self->fd, self->vm));
	EXPECT_TRUE(logged(self->fd, IOASID_DECISION_KIND_KVM_UNLINK, 0));
	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	EXPECT_KVM_TOLD(self->c0, 2, 1, 0);
	/* Closing the device (unbind) takes it back too. */
	close(self->dfd);
	self->dfd = -1;
	EXPECT_KVM_TOLD(self->c0, 2, 2, 0);
	EXPECT_EQ(IOASID_KVM_LINK_LINKED, link_state(self->fd, self->vm));
}

TEST_F(kvm, link_while_attached)
{
	__u32 state;

	noncoherent_with_grant(_metadata, self);
	bind_attach(_metadata, self);
	EXPECT_KVM_TOLD(self->c0, 0, 0, 0);
	ASSERT_EQ(0, kvm_link(self->fd, self->vm, &state));
	EXPECT_EQ(IOASID_KVM_LINK_LINKED | IOASID_KVM_LINK_NONCOHERENT, state);
	EXPECT_KVM_TOLD(self->c0, 1, 0, 0);
	/* Linking the same VM again changes nothing. */
	ASSERT_EQ(0, kvm_link(self->fd, self->vm, &state));
	EXPECT_KVM_TOLD(self->c0, 1, 0, 0);
	ASSERT_EQ(0, kvm_link(self->fd, -1, &state));
	EXPECT_EQ(0U, state);
	EXPECT_KVM_TOLD(self->c0, 1, 1, 0);
	/* Linked again, then the ioasid fd closes before the device. */
	ASSERT_EQ(0, kvm_link(self->fd, self->vm, NULL));
	EXPECT_KVM_TOLD(self->c0, 2, 1, 0);
	close(self->vm);
	self->vm = -1;
	close(self->fd);
	/* The device holds the ioasid fd: still attached, KVM still told. */
	EXPECT_KVM_TOLD(self->c0, 2, 1, 0);
	close(self->dfd);
	self->dfd = -1;
	/* Unbind released the fd: unregistered, and the VM it held is gone. */
	EXPECT_KVM_TOLD(self->c0, 2, 2, 1);
	self->fd = open("/dev/null", O_RDONLY);
}

TEST_F(kvm, coherent_attach_does_not_register)
{
	__u32 state;

	if (!self->sc)
		SKIP(return, "the IOMMU cannot enforce snooping: every attach is non-coherent");
	ASSERT_EQ(0, kvm_link(self->fd, self->vm, NULL));
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	/* The built-in enforced snooping: no flush, nothing to tell KVM. */
	EXPECT_EQ(-EPERM, cache_flush(self->fd, NULL));
	ASSERT_EQ(0, kvm_link(self->fd, self->vm, &state));
	EXPECT_EQ(IOASID_KVM_LINK_LINKED, state);
	ASSERT_EQ(0, dev_detach(self->dfd, 0, 0));
	EXPECT_KVM_TOLD(self->c0, 0, 0, 0);
}

TEST_F(kvm, policy_without_grant_refuses_link)
{
	__u32 state;

	load_policy(_metadata, self, "t_kvm_noflush");
	ASSERT_EQ(0, kvm_link(self->fd, self->vm, NULL));
	ASSERT_EQ(0, dev_bind(self->dfd, self->fd, NULL));
	ASSERT_EQ(0, dev_attach(self->dfd, self->ioas, 0, 0));
	/* Non-coherent (no-snoop allowed), yet no flush granted... */
	EXPECT_EQ(-EPERM, cache_flush(self->fd, NULL));
	/* ...so KVM is not told, and the refusal is recorded. */
	ASSERT_EQ(0, kvm_link(self->fd, self->vm, &state));
	EXPECT_EQ(IOASID_KVM_LINK_LINKED | IOASID_KVM_LINK_REFUSED, state);
	EXPECT_TRUE(logged(self->fd, IOASID_DECISION_KIND_KVM_LINK, -EPERM));
	ASSERT_EQ(0, dev_detach(self->dfd, 0, 0));
	EXPECT_EQ(IOASID_KVM_LINK_LINKED, link_state(self->fd, self->vm));
	EXPECT_KVM_TOLD(self->c0, 0, 0, 0);
}

/* --- setup around the harness ------------------------------------------- */

static char offline[64][80];
static int nr_offline;

static void cpus_restore(void)
{
	while (nr_offline)
		sysfs_write(offline[--nr_offline], "1");
}

/* kprobe_events takes a line per write (only O_TRUNC clears it). */
static void probes_remove(void)
{
	sysfs_write(T "/events/kvmlink/enable", "0");
	sysfs_write(T "/kprobe_events", "-:kvmlink/" P_REG);
	sysfs_write(T "/kprobe_events", "-:kvmlink/" P_UNREG);
	sysfs_write(T "/kprobe_events", "-:kvmlink/" P_DESTROY);
}

int main(int argc, char **argv)
{
	char path[80], val[8];
	int cpu, rc;

	/* One CPU while KVM patches text (see the top of this file). */
	for (cpu = 1; cpu < 64; cpu++) {
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
		if (sysfs_read(path, val, sizeof(val)) || strcmp(val, "1"))
			continue;
		if (!sysfs_write(path, "0"))
			strcpy(offline[nr_offline++], path);
	}
	if (access("/dev/kvm", F_OK) &&
	    system("modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null"))
		fprintf(stderr, "# no KVM module loads\n");
	probes_remove();
	if (sysfs_write(T "/kprobe_events", "p:kvmlink/" P_REG " kvm:kvm_arch_register_noncoherent_dma") ||
	    sysfs_write(T "/kprobe_events", "p:kvmlink/" P_UNREG " kvm:kvm_arch_unregister_noncoherent_dma") ||
	    sysfs_write(T "/kprobe_events", "p:kvmlink/" P_DESTROY " kvm:kvm_arch_destroy_vm") ||
	    sysfs_write(T "/events/kvmlink/enable", "1"))
		fprintf(stderr, "# kprobes on KVM could not be placed\n");
	rc = test_harness_run(argc, argv);
	probes_remove();
	cpus_restore();
	return rc;
}
