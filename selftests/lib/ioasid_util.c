// SPDX-License-Identifier: GPL-2.0
/*
 * The selftests' helper library: see ioasid_util.h. Every ioctl wrapper
 * returns 0 or -errno.
 */
#include <linux/pci_regs.h>

#include "ioasid_util.h"

/* libioasidbpf's sysfs reader (src/util.c), linked from libioasidbpf.a. */
int ioasidbpf_read_file(const char *path, char *buf, size_t len);

int sysfs_read(const char *path, char *buf, size_t len)
{
	return ioasidbpf_read_file(path, buf, len);
}

int sysfs_write(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

long sysfs_long(const char *path)
{
	char buf[64];

	return sysfs_read(path, buf, sizeof(buf)) ? -1 : strtol(buf, NULL, 0);
}

long ioasid_stat(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), IOASID_STATS_DIR "/%s", name);
	return sysfs_long(path);
}

struct ioasid_live ioasid_live(void)
{
	return (struct ioasid_live){
		.fds = ioasid_stat("fds"),
		.objects = ioasid_stat("objects"),
		.groups = ioasid_stat("groups"),
		.domains = ioasid_stat("domains"),
		.pasid_attachments = ioasid_stat("pasid_attachments"),
		.charged_pages = ioasid_stat("charged_pages"),
		.accesses = ioasid_stat("accesses"),
		.access_pins = ioasid_stat("access_pins"),
	};
}

/* /dev/ioasid ------------------------------------------------------------ */

int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int ioas_alloc(int fd, __u32 flags, __u32 parent, __u32 *id)
{
	struct ioasid_ioas_alloc a = {
		.size = sizeof(a), .flags = flags, .parent_id = parent,
	};
	int rc = xioctl(fd, IOASID_IOAS_ALLOC, &a);

	if (!rc && id)
		*id = a.out_ioas_id;
	return rc;
}

int destroy(int fd, __u32 id)
{
	struct ioasid_destroy d = { .size = sizeof(d), .id = id };

	return xioctl(fd, IOASID_DESTROY, &d);
}

int map_ex(int fd, __u32 ioas, __u64 addr, __u64 len, __u64 *iova,
	   __u32 flags, __u64 align)
{
	struct ioasid_ioas_map m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas,
		.addr = addr, .length = len, .iova = *iova, .align = align,
	};
	int rc = xioctl(fd, IOASID_IOAS_MAP, &m);

	if (!rc)
		*iova = m.iova;
	return rc;
}

int map_fixed(int fd, __u32 ioas, __u64 addr, __u64 len, __u64 iova,
	      __u32 flags)
{
	return map_ex(fd, ioas, addr, len, &iova, flags | FIXED, 0);
}

int unmap(int fd, __u32 ioas, __u64 iova, __u64 len, __u32 flags,
	  __u64 *out_len)
{
	struct ioasid_ioas_unmap u = {
		.size = sizeof(u), .flags = flags, .ioas_id = ioas,
		.iova = iova, .length = len,
	};
	int rc = xioctl(fd, IOASID_IOAS_UNMAP, &u);

	if (!rc && out_len)
		*out_len = u.length;
	return rc;
}

int copy_ex(int fd, __u32 dst, __u32 src, __u64 src_iova, __u64 len,
	    __u64 *dst_iova, __u32 flags)
{
	struct ioasid_ioas_copy c = {
		.size = sizeof(c), .flags = flags, .dst_ioas_id = dst,
		.src_ioas_id = src, .length = len, .dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int rc = xioctl(fd, IOASID_IOAS_COPY, &c);

	if (!rc)
		*dst_iova = c.dst_iova;
	return rc;
}

int copy_fixed(int fd, __u32 dst, __u32 src, __u64 src_iova, __u64 len,
	       __u64 dst_iova, __u32 flags)
{
	return copy_ex(fd, dst, src, src_iova, len, &dst_iova, flags | FIXED);
}

int get_info(int fd, __u32 ioas, struct ioasid_ioas_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	info->size = sizeof(*info);
	info->ioas_id = ioas;
	return xioctl(fd, IOASID_IOAS_GET_INFO, info);
}

int iova_ranges(int fd, __u32 ioas, struct ioasid_iova_range *r, __u32 *num,
		__u64 *align)
{
	struct ioasid_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ioas, .num_iovas = *num,
		.allowed_iovas = U(r),
	};
	int rc = xioctl(fd, IOASID_IOAS_IOVA_RANGES, &q);

	*num = q.num_iovas;
	if (align)
		*align = q.out_iova_alignment;
	return rc;
}

int allow_iovas(int fd, __u32 ioas, const struct ioasid_iova_range *r,
		__u32 num)
{
	struct ioasid_ioas_allow_iovas a = {
		.size = sizeof(a), .ioas_id = ioas, .num_iovas = num,
		.allowed_iovas = U(r),
	};

	return xioctl(fd, IOASID_IOAS_ALLOW_IOVAS, &a);
}

int option(int fd, __u16 op, __u32 option_id, __u32 object_id, __u64 *val)
{
	struct ioasid_option o = {
		.size = sizeof(o), .option_id = option_id, .op = op,
		.object_id = object_id, .val64 = val ? *val : 0,
	};
	int rc = xioctl(fd, IOASID_OPTION, &o);

	if (!rc && val)
		*val = o.val64;
	return rc;
}

int set_mode(int fd, __u64 mode)
{
	return option(fd, IOASID_OPTION_OP_SET, IOASID_OPTION_RLIMIT_MODE, 0,
		      &mode);
}

int get_mode(int fd, __u64 *mode)
{
	*mode = 0xdead;
	return option(fd, IOASID_OPTION_OP_GET, IOASID_OPTION_RLIMIT_MODE, 0,
		      mode);
}

int cache_flush(int fd, __u32 *nr_cpus)
{
	struct ioasid_cache_flush f = { .size = sizeof(f) };
	int rc = xioctl(fd, IOASID_CACHE_FLUSH, &f);

	if (!rc && nr_cpus)
		*nr_cpus = f.out_nr_cpus;
	return rc;
}

void dry_run_init(struct ioasid_policy_dry_run *dr, __u16 vendor,
		  __u16 device, __u32 caps)
{
	*dr = (struct ioasid_policy_dry_run){
		.size = sizeof(*dr),
		.req = {
			.op = IOASID_POLICY_OP_ATTACH, .vendor = vendor,
			.device = device, .iommu_caps = caps, .group_size = 1,
			.driver = "ioasid-pci", .iommu_driver = "intel-iommu",
		},
	};
}

int dry_run(int fd, struct ioasid_policy_dry_run *dr)
{
	return xioctl(fd, IOASID_POLICY_DRY_RUN, dr);
}

/* devices (ioasid-pci) and edu ------------------------------------------- */

int dev_bind(int dfd, int ioasid_fd, __u32 *dev_id)
{
	struct ioasid_device_bind b = { .size = sizeof(b), .ioasid_fd = ioasid_fd };
	int rc = xioctl(dfd, IOASID_DEVICE_BIND, &b);

	if (!rc && dev_id)
		*dev_id = b.out_dev_id;
	return rc;
}

int dev_attach(int dfd, __u32 ioas, __u32 flags, __u32 pasid)
{
	struct ioasid_device_attach a = {
		.size = sizeof(a), .ioas_id = ioas, .flags = flags, .pasid = pasid,
	};

	return xioctl(dfd, IOASID_DEVICE_ATTACH, &a);
}

int dev_detach(int dfd, __u32 flags, __u32 pasid)
{
	struct ioasid_device_detach d = {
		.size = sizeof(d), .flags = flags, .pasid = pasid,
	};

	return xioctl(dfd, IOASID_DEVICE_DETACH, &d);
}

int dev_info(int dfd, struct ioasid_device_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return xioctl(dfd, IOASID_DEVICE_GET_INFO, info);
}

off_t region_offset(int index)
{
	return (off_t)index << IOASID_REGION_SHIFT;
}

int enable_bus_master(int dfd)
{
	off_t cfg = region_offset(IOASID_PCI_CONFIG_REGION_INDEX);
	__u16 cmd;

	if (pread(dfd, &cmd, 2, cfg + PCI_COMMAND) != 2)
		return -errno;
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	if (pwrite(dfd, &cmd, 2, cfg + PCI_COMMAND) != 2)
		return -errno;
	return 0;
}

int bound_edus(char (*bdfs)[64], int max)
{
	char path[300], buf[32];
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/sys/bus/pci/drivers/ioasid-pci");
	if (!d)
		return 0;
	while (n < max && (de = readdir(d))) {
		if (!strchr(de->d_name, ':') || strlen(de->d_name) >= 64)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 de->d_name);
		if (sysfs_read(path, buf, sizeof(buf)) || strcmp(buf, "0x11e8"))
			continue;
		strcpy(bdfs[n++], de->d_name);
	}
	closedir(d);
	return n;
}

int pci_link_name(const char *bdf, const char *attr, char *buf, size_t len)
{
	char path[300], link[300];
	const char *last;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	last = strrchr(link, '/');
	snprintf(buf, len, "%s", last ? last + 1 : link);
	return 0;
}

const char *edu_bdf(void)
{
	static char bdf[1][64];

	return bound_edus(bdf, 1) ? bdf[0] : NULL;
}

const char *edu_dev_path(void)
{
	static char path[128];
	const char *bdf = edu_bdf();

	if (!bdf)
		return NULL;
	snprintf(path, sizeof(path), "/dev/ioasid-dev/%s", bdf);
	return path;
}

long pci_bdf(const char *name)
{
	unsigned int dom, bus, dev, fn;

	if (!name || sscanf(name, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return -1;
	return (long)dom << 16 | bus << 8 | dev << 3 | fn;
}

int edu_dma(volatile void *bar, uint64_t src, uint64_t dst, uint64_t len,
	    bool to_ram)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	reg_write64(bar, EDU_DMA_SRC, src);
	reg_write64(bar, EDU_DMA_DST, dst);
	reg_write64(bar, EDU_DMA_CNT, len);
	reg_write64(bar, EDU_DMA_CMD,
		    EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
	for (i = 0; i < 500; i++) {
		if (!(reg_read64(bar, EDU_DMA_CMD) & EDU_CMD_START))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

/* /dev/ioasid_test ------------------------------------------------------- */

int iova_rw(int tfd, int fd, __u32 ioas, __u32 flags, __u64 iova, void *buf,
	    __u64 len, __u64 *phys)
{
	struct ioasid_test_iova_rw rw = {
		.size = sizeof(rw), .flags = flags, .ioasid_fd = fd,
		.ioas_id = ioas, .iova = iova, .length = len, .uptr = U(buf),
	};
	int rc = xioctl(tfd, IOASID_TEST_IOVA_RW, &rw);

	if (!rc && phys)
		*phys = rw.out_phys;
	return rc;
}

int peek(int tfd, int fd, __u32 ioas, __u64 iova)
{
	uint8_t b[16];

	return iova_rw(tfd, fd, ioas, IOASID_TEST_RW_READ, iova, b, sizeof(b),
		       NULL);
}

void fill(void *p, size_t len, uint32_t seed)
{
	uint32_t *w = p;
	size_t i;

	for (i = 0; i < len / 4; i++)
		w[i] = seed ^ (uint32_t)(i * 2654435761u);
}

long proc_value(const char *path, const char *key)
{
	size_t n = strlen(key);
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (v < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

long vmlck_kb(void)
{
	return proc_value("/proc/self/status", "VmPin");
}

int mock_cmd(int tfd, struct ioasid_test_mock *m)
{
	m->size = sizeof(*m);
	return xioctl(tfd, IOASID_TEST_MOCK, m);
}

int mock_op(int tfd, __u32 op, __u32 id, struct ioasid_test_mock *m)
{
	m->op = op;
	m->mock_id = id;
	return mock_cmd(tfd, m);
}

int mock_create(int tfd, __u32 pasid_bits, __u32 flags, __u32 *id)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_CREATE, .pasid_bits = pasid_bits,
		.flags = flags,
	};
	int rc = mock_cmd(tfd, &m);

	if (!rc)
		*id = m.mock_id;
	return rc;
}

int mock_simple(int tfd, __u32 op, __u32 id)
{
	struct ioasid_test_mock m = { .op = op, .mock_id = id };

	return mock_cmd(tfd, &m);
}

int mock_bind(int tfd, __u32 id, int fd, __u16 vendor, __u16 device,
	      __u32 *dev_id)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_BIND, .mock_id = id, .ioasid_fd = fd,
		.vendor = vendor, .device = device,
	};
	int rc = mock_cmd(tfd, &m);

	if (!rc && dev_id)
		*dev_id = m.out_dev_id;
	return rc;
}

int mock_attach(int tfd, __u32 id, __u32 ioas, __u32 flags, __u32 pasid,
		struct ioasid_policy_decision *d)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_ATTACH, .mock_id = id, .ioas_id = ioas,
		.flags = flags, .pasid = pasid,
	};
	int rc = mock_cmd(tfd, &m);

	if (d)
		*d = m.out_decision;
	return rc;
}

int mock_detach(int tfd, __u32 id, __u32 flags, __u32 pasid)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_DETACH, .mock_id = id, .flags = flags,
		.pasid = pasid,
	};

	return mock_cmd(tfd, &m);
}

int mock_dma(int tfd, __u32 id, __u32 pasid, __u64 iova, void *buf,
	     __u64 len, bool write)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_DMA, .mock_id = id, .pasid = pasid,
		.iova = iova, .length = len, .uptr = U(buf),
		.flags = write ? IOASID_TEST_MOCK_DMA_WRITE : 0,
	};

	return mock_cmd(tfd, &m);
}

int mock_query(int tfd, __u32 id, __u32 pasid, __u64 *serial, __u64 *faults)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_QUERY, .mock_id = id, .pasid = pasid,
	};
	int rc = mock_cmd(tfd, &m);

	if (serial)
		*serial = m.out_domain_serial;
	if (faults)
		*faults = m.out_faults;
	return rc;
}

long long mock_iopte_size(int tfd, __u32 id, __u64 iova)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_QUERY, .mock_id = id, .iova = iova,
	};
	int rc = mock_cmd(tfd, &m);

	return rc ? rc : (long long)m.out_iopte_size;
}

int mock_new_attached(int tfd, int fd, __u32 ioas, __u32 flags, __u32 *id)
{
	int rc = mock_create(tfd, 0, flags, id);

	if (!rc)
		rc = mock_bind(tfd, *id, fd, 0x1af4, 0x10f1, NULL);
	if (!rc)
		rc = mock_attach(tfd, *id, ioas, 0, 0, NULL);
	return rc;
}

int pin_to_this_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return -errno;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/*
 * Pages wait in per-CPU LRU batches, each holding a reference, until
 * drained. Unmapping a present page drains this CPU's batches
 * (free_pages_and_swap_cache() calls lru_add_drain()), which is the only
 * drain user space can ask for on every kernel.
 */
static void lru_drain_this_cpu(void)
{
	volatile char *p = mmap(NULL, PSZ, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	*p = 1;
	munmap((void *)p, PSZ);
}

int page_info(int tfd, const void *addr, struct ioasid_test_page_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->size = sizeof(*pi);
	pi->addr = U(addr);
	lru_drain_this_cpu();
	return xioctl(tfd, IOASID_TEST_PAGE_INFO, pi);
}

int page_info_phys(int tfd, __u64 phys, struct ioasid_test_page_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->size = sizeof(*pi);
	pi->flags = IOASID_TEST_PAGE_BY_PHYS;
	pi->addr = phys;
	lru_drain_this_cpu();
	return xioctl(tfd, IOASID_TEST_PAGE_INFO, pi);
}

int mock_kdev_open(int tfd, __u32 id, __u16 vendor, __u16 device)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_KDEV_OPEN, .mock_id = id,
		.vendor = vendor, .device = device,
	};

	return mock_cmd(tfd, &m);
}

int mock_ctx_create(int tfd, __u32 id, __u32 pasid,
		    struct ioasid_policy_decision *d)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_CTX_CREATE, .mock_id = id, .pasid = pasid,
	};
	int rc = mock_cmd(tfd, &m);

	if (d)
		*d = m.out_decision;
	return rc;
}

int mock_ctx_map(int tfd, __u32 id, __u32 pasid, __u64 iova, void *buf,
		 __u64 len, __u32 flags)
{
	struct ioasid_test_mock m = {
		.op = IOASID_TEST_MOCK_CTX_MAP, .mock_id = id, .pasid = pasid,
		.iova = iova, .uptr = U(buf), .length = len, .flags = flags,
	};

	return mock_cmd(tfd, &m);
}

int mock_ctx_op(int tfd, __u32 op, __u32 id, __u32 pasid, __u64 iova,
		__u64 len)
{
	struct ioasid_test_mock m = {
		.op = op, .mock_id = id, .pasid = pasid, .iova = iova,
		.length = len,
	};

	return mock_cmd(tfd, &m);
}

int acc_cmd(int tfd, struct ioasid_test_access *a)
{
	a->size = sizeof(*a);
	return xioctl(tfd, IOASID_TEST_ACCESS, a);
}

int acc_create(int tfd, int fd, __u32 flags, __u32 *id, __u32 *obj_id)
{
	struct ioasid_test_access a = {
		.op = IOASID_TEST_ACCESS_CREATE, .ioasid_fd = fd,
		.flags = flags, .vendor = 0x1af4, .device = 0x10f0,
	};
	int rc = acc_cmd(tfd, &a);

	if (!rc) {
		*id = a.access_id;
		if (obj_id)
			*obj_id = a.out_obj_id;
	}
	return rc;
}

int acc_attach(int tfd, __u32 id, __u32 ioas, struct ioasid_policy_decision *d)
{
	struct ioasid_test_access a = {
		.op = IOASID_TEST_ACCESS_ATTACH, .access_id = id, .ioas_id = ioas,
	};
	int rc = acc_cmd(tfd, &a);

	if (d)
		*d = a.out_decision;
	return rc;
}

int acc_create_attach(int tfd, int fd, __u32 ioas, __u32 flags, __u32 *id)
{
	int rc = acc_create(tfd, fd, flags, id, NULL);

	return rc ? rc : acc_attach(tfd, *id, ioas, NULL);
}

int acc_op(int tfd, __u32 op, __u32 id, __u64 iova, __u64 len, void *buf,
	   __u32 flags)
{
	struct ioasid_test_access a = {
		.op = op, .access_id = id, .iova = iova, .length = len,
		.uptr = U(buf), .flags = flags,
	};

	return acc_cmd(tfd, &a);
}

int acc_query(int tfd, __u32 id, __u64 *pins, __u64 *callbacks)
{
	struct ioasid_test_access a = {
		.op = IOASID_TEST_ACCESS_QUERY, .access_id = id,
	};
	int rc = acc_cmd(tfd, &a);

	if (pins)
		*pins = a.out_nr_pins;
	if (callbacks)
		*callbacks = a.out_callbacks;
	return rc;
}

__u64 unpin_violations(int fd, __u32 ioas)
{
	struct ioasid_ioas_info info;

	return get_info(fd, ioas, &info) ? ~0ULL : info.out_unpin_violations;
}

void expect_unpin_violation(void)
{
	static const char msg[] = "ioasid-selftest: expect unpin violation\n";
	int fd = open("/dev/kmsg", O_WRONLY);

	if (fd < 0 || write(fd, msg, sizeof(msg) - 1) != (ssize_t)sizeof(msg) - 1)
		fprintf(stderr, "# /dev/kmsg: %s: the log scan will count a warning as unexpected\n",
			strerror(errno));
	if (fd >= 0)
		close(fd);
}
