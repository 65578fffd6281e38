// SPDX-License-Identifier: GPL-2.0
/*
 * IOASID_TEST_MOCK: mock devices (mock_iommu.c) driven from the selftests.
 *
 * A mock is bound and attached with the same exported calls ioasid-pci
 * uses for PCI devices (ioasid_device_bind_desc(), ioasid_device_attach()),
 * and its kernel driver's per-PASID contexts use linux/ioasid_pasid.h: the
 * policies and domains are the real ones. Only the device is fake, and its
 * DMA goes through the page tables ioasid filled in the mock IOMMU.
 */
#define pr_fmt(fmt) "ioasid_test: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/ioasid_kernel.h>
#include <linux/ioasid_pasid.h>
#include <linux/ioasid_device.h>
#include "ioasid_test_uapi.h"

#include "mock_iommu.h"
#include "test_state.h"

/* Largest DMA a test may ask for. */
#define TEST_DMA_MAX (4UL << 20)

/**
 * struct test_mock - one mock device and what the test did with it
 * @mdev: the device
 * @idev: bound to a user's ioasid fd (BIND), or NULL
 * @kdev: opened by its kernel driver for PASID contexts, or NULL
 * @ctxs: PASID -> struct ioasid_pasid_ctx of @kdev
 */
struct test_mock {
	struct ioasid_mock_dev *mdev;
	struct ioasid_device *idev;
	struct ioasid_kdev *kdev;
	struct xarray ctxs;
};

static void mock_kdev_close(struct test_mock *tm)
{
	struct ioasid_pasid_ctx *pctx;
	unsigned long pasid;

	if (!tm->kdev)
		return;
	/* ioasid_kdev_close() destroys the contexts too; these go first. */
	xa_for_each(&tm->ctxs, pasid, pctx) {
		xa_erase(&tm->ctxs, pasid);
		ioasid_pasid_ctx_destroy(pctx);
	}
	ioasid_kdev_close(tm->kdev);
	tm->kdev = NULL;
}

static void mock_free(struct test_mock *tm)
{
	mock_kdev_close(tm);
	if (tm->idev)
		ioasid_device_unbind(tm->idev);
	ioasid_mock_dev_destroy(tm->mdev);
	xa_destroy(&tm->ctxs);
	kfree(tm);
}

static int mock_create(struct ioasid_test_state *st,
		       struct ioasid_test_mock *cmd)
{
	struct ioasid_mock_config cfg = {
		.pasid_bits = cmd->pasid_bits,
		.coherent = cmd->flags & IOASID_TEST_MOCK_COHERENT,
		.alt_driver = cmd->flags & IOASID_TEST_MOCK_ALT_DRIVER,
	};
	struct test_mock *tm;
	int rc;

	if (cmd->flags & ~(IOASID_TEST_MOCK_COHERENT |
			   IOASID_TEST_MOCK_ALT_DRIVER) ||
	    cmd->pasid_bits > IOASID_PASID_BITS)
		return -EINVAL;
	tm = kzalloc(sizeof(*tm), GFP_KERNEL);
	if (!tm)
		return -ENOMEM;
	xa_init(&tm->ctxs);
	tm->mdev = ioasid_mock_dev_create(&cfg);
	if (IS_ERR(tm->mdev)) {
		rc = PTR_ERR(tm->mdev);
		kfree(tm);
		return rc;
	}
	rc = xa_alloc(&st->mocks, &cmd->mock_id, tm, xa_limit_31b,
		      GFP_KERNEL);
	if (rc)
		mock_free(tm);
	return rc;
}

static int mock_bind(struct test_mock *tm, struct ioasid_test_mock *cmd)
{
	struct ioasid_bind_desc desc = {
		.dev_needs = cmd->dev_needs,
		.flags = IOASID_BIND_MOCK,
		.vendor = cmd->vendor,
		.device = cmd->device,
	};
	struct ioasid_device *idev;

	if (tm->idev || tm->kdev)
		return -EBUSY;
	CLASS(fd, f)(cmd->ioasid_fd);
	if (fd_empty(f))
		return -EBADF;
	idev = ioasid_device_bind_desc(fd_file(f),
				       ioasid_mock_dev_device(tm->mdev), &desc);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	tm->idev = idev;
	cmd->out_dev_id = ioasid_device_id(idev);
	return 0;
}

static int mock_attach(struct test_mock *tm, struct ioasid_test_mock *cmd)
{
	if (!tm->idev)
		return -ENXIO;
	/* This attach's decision (GET_INFO shows the one in force). */
	return ioasid_device_attach_decision(tm->idev, cmd->ioas_id,
					     cmd->flags, cmd->pasid,
					     &cmd->out_decision);
}

static int mock_dma(struct test_mock *tm, struct ioasid_test_mock *cmd)
{
	bool write = cmd->flags & IOASID_TEST_MOCK_DMA_WRITE;
	void __user *ubuf = u64_to_user_ptr(cmd->uptr);
	void *buf;
	int rc;

	if (cmd->flags & ~IOASID_TEST_MOCK_DMA_WRITE)
		return -EINVAL;
	if (!cmd->length || cmd->length > TEST_DMA_MAX)
		return -EINVAL;
	buf = kvzalloc(cmd->length, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	rc = write && copy_from_user(buf, ubuf, cmd->length) ? -EFAULT : 0;
	if (!rc)
		rc = ioasid_mock_dma(tm->mdev, cmd->pasid, cmd->iova, buf,
				     cmd->length, write);
	if (!rc && !write && copy_to_user(ubuf, buf, cmd->length))
		rc = -EFAULT;
	kvfree(buf);
	return rc;
}

static int mock_kdev_open(struct test_mock *tm, struct ioasid_test_mock *cmd)
{
	struct ioasid_kdev_desc desc = {
		.dev_needs = cmd->dev_needs,
		.mock = true,
		.vendor = cmd->vendor,
		.device = cmd->device,
	};
	struct ioasid_kdev *kdev;

	if (tm->idev || tm->kdev)
		return -EBUSY;
	kdev = ioasid_kdev_open(ioasid_mock_dev_device(tm->mdev), &desc);
	if (IS_ERR(kdev))
		return PTR_ERR(kdev);
	tm->kdev = kdev;
	return 0;
}

static int mock_ctx_create(struct test_mock *tm, struct ioasid_test_mock *cmd)
{
	struct ioasid_pasid_ctx *pctx;
	int rc;

	if (!tm->kdev)
		return -ENXIO;
	pctx = ioasid_pasid_ctx_create(tm->kdev, cmd->pasid,
				       &cmd->out_decision);
	if (IS_ERR(pctx))
		return PTR_ERR(pctx);
	rc = xa_insert(&tm->ctxs, cmd->pasid, pctx, GFP_KERNEL);
	if (rc)
		ioasid_pasid_ctx_destroy(pctx);
	return rc;
}

static int mock_ctx_op(struct test_mock *tm, struct ioasid_test_mock *cmd)
{
	struct ioasid_pasid_ctx *pctx = xa_load(&tm->ctxs, cmd->pasid);

	if (!pctx)
		return -ENOENT;
	switch (cmd->op) {
	case IOASID_TEST_MOCK_CTX_DESTROY:
		xa_erase(&tm->ctxs, cmd->pasid);
		ioasid_pasid_ctx_destroy(pctx);
		return 0;
	case IOASID_TEST_MOCK_CTX_MAP:
		return ioasid_pasid_ctx_map_user(pctx, cmd->iova, cmd->uptr,
						 cmd->length, cmd->flags);
	default:
		return ioasid_pasid_ctx_unmap(pctx, cmd->iova, cmd->length);
	}
}

static int mock_op(struct ioasid_test_state *st, struct ioasid_test_mock *cmd)
{
	struct test_mock *tm;

	if (cmd->__reserved)
		return -EINVAL;
	if (cmd->op == IOASID_TEST_MOCK_CREATE)
		return mock_create(st, cmd);
	tm = xa_load(&st->mocks, cmd->mock_id);
	if (!tm)
		return -ENOENT;

	switch (cmd->op) {
	case IOASID_TEST_MOCK_DESTROY:
		xa_erase(&st->mocks, cmd->mock_id);
		mock_free(tm);
		return 0;
	case IOASID_TEST_MOCK_BIND:
		return mock_bind(tm, cmd);
	case IOASID_TEST_MOCK_UNBIND:
		if (!tm->idev)
			return -ENXIO;
		ioasid_device_unbind(tm->idev);
		tm->idev = NULL;
		return 0;
	case IOASID_TEST_MOCK_ATTACH:
		return mock_attach(tm, cmd);
	case IOASID_TEST_MOCK_DETACH:
		if (!tm->idev)
			return -ENXIO;
		return ioasid_device_detach(tm->idev, cmd->flags, cmd->pasid);
	case IOASID_TEST_MOCK_DMA:
		return mock_dma(tm, cmd);
	case IOASID_TEST_MOCK_QUERY:
		cmd->out_domain_serial = ioasid_mock_domain_serial(tm->mdev,
								   cmd->pasid);
		cmd->out_faults = ioasid_mock_faults(tm->mdev);
		cmd->out_iopte_size = ioasid_mock_iopte_size(tm->mdev,
							     cmd->pasid,
							     cmd->iova);
		return 0;
	case IOASID_TEST_MOCK_KDEV_OPEN:
		return mock_kdev_open(tm, cmd);
	case IOASID_TEST_MOCK_KDEV_CLOSE:
		if (!tm->kdev)
			return -ENXIO;
		mock_kdev_close(tm);
		return 0;
	case IOASID_TEST_MOCK_CTX_CREATE:
		return mock_ctx_create(tm, cmd);
	case IOASID_TEST_MOCK_CTX_DESTROY:
	case IOASID_TEST_MOCK_CTX_MAP:
	case IOASID_TEST_MOCK_CTX_UNMAP:
		return mock_ctx_op(tm, cmd);
	default:
		return -EOPNOTSUPP;
	}
}

long ioasid_test_mock_ioctl(struct ioasid_test_state *st, void __user *uarg)
{
	struct ioasid_test_mock cmd;
	int rc, rc2;

	rc = ioasid_test_copy_cmd(&cmd, sizeof(cmd), uarg);
	if (rc)
		return rc;
	mutex_lock(&st->lock);
	rc = mock_op(st, &cmd);
	mutex_unlock(&st->lock);
	/* Answers (decisions, ids) are returned on failure too. */
	rc2 = copy_to_user(uarg, &cmd, sizeof(cmd)) ? -EFAULT : 0;
	return rc ?: rc2;
}

void ioasid_test_mock_release(struct ioasid_test_state *st)
{
	struct test_mock *tm;
	unsigned long id;

	xa_for_each(&st->mocks, id, tm) {
		xa_erase(&st->mocks, id);
		mock_free(tm);
	}
}
