// SPDX-License-Identifier: GPL-2.0
/*
 * A software device for the selftests: a driver of the ioasid access API
 * (linux/ioasid_access.h) that user space steers through IOASID_TEST_ACCESS.
 * It behaves as a careful mdev driver would: its own lock around pins, held
 * across ioasid_access_pin_pages() and taken in the unmap callback, so a
 * callback racing a pin waits for the pin to be recorded. Created with
 * IOASID_TEST_ACCESS_MISBEHAVE it ignores the callback, to test how ioasid
 * copes with a driver that does not unpin.
 */
#define pr_fmt(fmt) "ioasid_test: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/ioasid_access.h>
#include "ioasid_test_uapi.h"

#include "test_state.h"

/* Largest PIN/READ/WRITE/PEEK a test may ask for. */
#define TEST_ACCESS_MAX (4UL << 20)

struct test_pin {
	struct list_head node;
	u64 iova;
	u64 length;
	unsigned long npages;
	struct page *pages[] __counted_by(npages);
};

/**
 * struct test_access - one software device
 * @access: its ioasid access
 * @misbehave: the unmap callback does not unpin
 * @lock: protects @pins; held across pin calls, taken by the callback
 * @pins: struct test_pin the device holds
 * @callbacks: unmap callbacks received
 */
struct test_access {
	struct ioasid_access *access;
	bool misbehave;
	struct mutex lock; /* see @lock above */
	struct list_head pins;
	atomic64_t callbacks;
};

static struct test_pin *find_pin(struct test_access *ta, u64 iova,
				 u64 length)
{
	struct test_pin *tp;

	lockdep_assert_held(&ta->lock);
	list_for_each_entry(tp, &ta->pins, node)
		if (tp->iova == iova && tp->length == length)
			return tp;
	return NULL;
}

/* Copy the bytes of @tp to @uptr through its page references. */
static int pin_to_user(struct test_pin *tp, u64 uptr)
{
	u64 done = 0;

	while (done < tp->length) {
		u64 pos = offset_in_page(tp->iova) + done;
		size_t off = offset_in_page(pos);
		size_t n = min_t(u64, PAGE_SIZE - off, tp->length - done);
		void *va = kmap_local_page(tp->pages[pos >> PAGE_SHIFT]);
		unsigned long left;

		left = copy_to_user(u64_to_user_ptr(uptr + done), va + off, n);
		kunmap_local(va);
		if (left)
			return -EFAULT;
		done += n;
	}
	return 0;
}

static void drop_pin(struct test_access *ta, struct test_pin *tp)
{
	lockdep_assert_held(&ta->lock);
	list_del(&tp->node);
	ioasid_access_unpin_pages(ta->access, tp->iova, tp->length);
	kvfree(tp);
}

static void test_access_unmap(void *data, u64 iova, u64 length)
{
	struct test_access *ta = data;
	struct test_pin *tp;

	atomic64_inc(&ta->callbacks);
	if (ta->misbehave)
		return;
	/*
	 * No record: the test unpinned this range itself between the unmap
	 * and this callback, a race every driver must expect.
	 */
	mutex_lock(&ta->lock);
	tp = find_pin(ta, iova, length);
	if (tp)
		drop_pin(ta, tp);
	mutex_unlock(&ta->lock);
}

static const struct ioasid_access_ops test_access_ops = {
	.unmap = test_access_unmap,
};

static void test_access_free(struct test_access *ta)
{
	struct test_pin *tp, *next;

	mutex_lock(&ta->lock);
	list_for_each_entry_safe(tp, next, &ta->pins, node)
		drop_pin(ta, tp);
	mutex_unlock(&ta->lock);
	ioasid_access_destroy(ta->access);
	mutex_destroy(&ta->lock);
	kfree(ta);
}

static int access_create(struct ioasid_test_state *st,
			 struct ioasid_test_access *cmd)
{
	struct ioasid_access_desc desc = {
		.vendor = cmd->vendor,
		.device = cmd->device,
		.flags = IOASID_ACCESS_DESC_MOCK,
		.driver = "ioasid-test-sw",
	};
	struct test_access *ta;
	u32 id;
	int rc;

	if (cmd->flags & ~IOASID_TEST_ACCESS_MISBEHAVE)
		return -EINVAL;
	CLASS(fd, f)(cmd->ioasid_fd);
	if (fd_empty(f))
		return -EBADF;
	ta = kzalloc(sizeof(*ta), GFP_KERNEL);
	if (!ta)
		return -ENOMEM;
	mutex_init(&ta->lock);
	INIT_LIST_HEAD(&ta->pins);
	ta->misbehave = cmd->flags & IOASID_TEST_ACCESS_MISBEHAVE;
	ta->access = ioasid_access_create(fd_file(f), &desc, &test_access_ops,
					  ta);
	if (IS_ERR(ta->access)) {
		rc = PTR_ERR(ta->access);
		kfree(ta);
		return rc;
	}
	rc = xa_alloc(&st->accesses, &id, ta, xa_limit_31b, GFP_KERNEL);
	if (rc) {
		test_access_free(ta);
		return rc;
	}
	cmd->access_id = id;
	cmd->out_obj_id = ioasid_access_id(ta->access);
	return 0;
}

static int access_pin(struct test_access *ta, struct ioasid_test_access *cmd)
{
	unsigned int flags = 0;
	struct test_pin *tp;
	unsigned long npages;
	int rc;

	if (cmd->flags & ~IOASID_TEST_ACCESS_PIN_WRITE)
		return -EINVAL;
	if (cmd->flags & IOASID_TEST_ACCESS_PIN_WRITE)
		flags |= IOASID_ACCESS_WRITE;
	npages = (offset_in_page(cmd->iova) + cmd->length + PAGE_SIZE - 1) >>
		 PAGE_SHIFT;
	tp = kvzalloc(struct_size(tp, pages, npages), GFP_KERNEL);
	if (!tp)
		return -ENOMEM;
	tp->npages = npages;
	tp->iova = cmd->iova;
	tp->length = cmd->length;

	mutex_lock(&ta->lock);
	rc = ioasid_access_pin_pages(ta->access, cmd->iova, cmd->length,
				     tp->pages, flags);
	if (rc) {
		mutex_unlock(&ta->lock);
		kvfree(tp);
		return rc;
	}
	list_add_tail(&tp->node, &ta->pins);
	/* Show what the pinned pages hold, read through them. */
	if (cmd->uptr)
		rc = pin_to_user(tp, cmd->uptr);
	mutex_unlock(&ta->lock);
	return rc;
}

static int access_peek(struct test_access *ta, struct ioasid_test_access *cmd)
{
	struct test_pin *tp;
	int rc;

	mutex_lock(&ta->lock);
	tp = find_pin(ta, cmd->iova, cmd->length);
	rc = tp ? pin_to_user(tp, cmd->uptr) : -ENOENT;
	mutex_unlock(&ta->lock);
	return rc;
}

static int access_rw(struct test_access *ta, struct ioasid_test_access *cmd,
		     bool write)
{
	void __user *ubuf = u64_to_user_ptr(cmd->uptr);
	void *buf;
	int rc;

	buf = kvzalloc(cmd->length ?: 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	rc = write && copy_from_user(buf, ubuf, cmd->length) ? -EFAULT : 0;
	if (!rc)
		rc = ioasid_access_rw(ta->access, cmd->iova, buf, cmd->length,
				      write ? IOASID_ACCESS_WRITE : 0);
	if (!rc && !write && copy_to_user(ubuf, buf, cmd->length))
		rc = -EFAULT;
	kvfree(buf);
	return rc;
}

static int access_op(struct ioasid_test_state *st,
		     struct ioasid_test_access *cmd)
{
	struct test_access *ta;
	struct test_pin *tp;

	if (cmd->op == IOASID_TEST_ACCESS_CREATE)
		return access_create(st, cmd);
	ta = xa_load(&st->accesses, cmd->access_id);
	if (!ta)
		return -ENOENT;
	if (cmd->length > TEST_ACCESS_MAX)
		return -E2BIG;

	switch (cmd->op) {
	case IOASID_TEST_ACCESS_DESTROY:
		xa_erase(&st->accesses, cmd->access_id);
		test_access_free(ta);
		return 0;
	case IOASID_TEST_ACCESS_ATTACH:
		return ioasid_access_attach(ta->access, cmd->ioas_id,
					    &cmd->out_decision);
	case IOASID_TEST_ACCESS_DETACH:
		ioasid_access_detach(ta->access);
		return 0;
	case IOASID_TEST_ACCESS_PIN:
		return access_pin(ta, cmd);
	case IOASID_TEST_ACCESS_UNPIN:
		mutex_lock(&ta->lock);
		tp = find_pin(ta, cmd->iova, cmd->length);
		if (tp)
			drop_pin(ta, tp);
		mutex_unlock(&ta->lock);
		return tp ? 0 : -ENOENT;
	case IOASID_TEST_ACCESS_READ:
		return access_rw(ta, cmd, false);
	case IOASID_TEST_ACCESS_WRITE:
		return access_rw(ta, cmd, true);
	case IOASID_TEST_ACCESS_PEEK:
		return access_peek(ta, cmd);
	case IOASID_TEST_ACCESS_QUERY:
		mutex_lock(&ta->lock);
		cmd->out_nr_pins = list_count_nodes(&ta->pins);
		mutex_unlock(&ta->lock);
		cmd->out_callbacks = atomic64_read(&ta->callbacks);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

long ioasid_test_access_ioctl(struct ioasid_test_state *st,
			      void __user *uarg)
{
	struct ioasid_test_access cmd;
	int rc, rc2;

	rc = ioasid_test_copy_cmd(&cmd, sizeof(cmd), uarg);
	if (rc)
		return rc;
	mutex_lock(&st->lock);
	rc = access_op(st, &cmd);
	mutex_unlock(&st->lock);
	/* Answers (decisions) are returned on failure too. */
	rc2 = copy_to_user(uarg, &cmd, sizeof(cmd)) ? -EFAULT : 0;
	return rc ?: rc2;
}

void ioasid_test_access_release(struct ioasid_test_state *st)
{
	struct test_access *ta;
	unsigned long id;

	xa_for_each(&st->accesses, id, ta) {
		xa_erase(&st->accesses, id);
		test_access_free(ta);
	}
}
