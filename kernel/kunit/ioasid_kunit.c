// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for ioasid's internals: their own module, ioasid_kunit.ko,
 * built only when the target kernel has CONFIG_KUNIT (the debug kernel of
 * make check-debug), so ioasid.ko carries no test code. The internals they
 * call are exported to EXPORTED_FOR_KUNIT_TESTING by EXPORT_SYMBOL_IF_KUNIT
 * (nothing is exported without KUnit). The suites run when the module
 * loads (ioasid.ko first) and report through KTAP and debugfs.
 *
 *   ioasid_flush_bucket  the cache-flush rate limiter, on a synthetic clock
 *   ioasid_decisions     stacking, DEFER, shadows, garbage verdicts and the
 *                        hardware clamps, with C callbacks as policies
 *   ioasid_iopt          areas: split, pinned-page accounting, IOVA
 *                        allocation, allowed and reserved ranges, copy, and
 *                        nesting composition, access-pin revocation, on
 *                        user memory KUnit maps
 */
#include <kunit/test.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/ioasid_access.h>
#include <linux/ioasid_kfuncs.h>

#include "../ioasid_private.h"
#include "../io_pagetable.h"
#include "../policy.h"

/* --- the rate limiter ----------------------------------------------------- */

static void bucket_burst_then_rate(struct kunit *test)
{
	struct ioasid_flush_grant g = { .granted = true, .rate = 2, .burst = 3 };
	u64 t = 1000 * NSEC_PER_SEC;

	spin_lock_init(&g.lock);
	g.tokens = 3ULL * NSEC_PER_SEC;
	g.last_ns = t;
	spin_lock(&g.lock);
	KUNIT_EXPECT_EQ(test, 0, ioasid_flush_bucket_take(&g, t));
	KUNIT_EXPECT_EQ(test, 0, ioasid_flush_bucket_take(&g, t));
	KUNIT_EXPECT_EQ(test, 0, ioasid_flush_bucket_take(&g, t));
	KUNIT_EXPECT_EQ(test, -EAGAIN, ioasid_flush_bucket_take(&g, t));
	/* 2/s: one token after half a second, not before. */
	KUNIT_EXPECT_EQ(test, -EAGAIN, ioasid_flush_bucket_take(&g, t + NSEC_PER_SEC / 2 - 1));
	KUNIT_EXPECT_EQ(test, 0, ioasid_flush_bucket_take(&g, t + NSEC_PER_SEC / 2));
	KUNIT_EXPECT_EQ(test, -EAGAIN, ioasid_flush_bucket_take(&g, t + NSEC_PER_SEC / 2));
	/* A long idle time refills to the burst, no more, no overflow. */
	t += 3600ULL * 24 * 365 * NSEC_PER_SEC;
	KUNIT_EXPECT_EQ(test, 0, ioasid_flush_bucket_take(&g, t));
	KUNIT_EXPECT_EQ(test, 0, ioasid_flush_bucket_take(&g, t));
	KUNIT_EXPECT_EQ(test, 0, ioasid_flush_bucket_take(&g, t));
	KUNIT_EXPECT_EQ(test, -EAGAIN, ioasid_flush_bucket_take(&g, t));
	spin_unlock(&g.lock);
}

static void bucket_unlimited_and_revoked(struct kunit *test)
{
	struct ioasid_flush_grant g = { .granted = true, .rate = 0, .burst = 1 };
	int i;

	spin_lock_init(&g.lock);
	spin_lock(&g.lock);
	/* EXPECT, not ASSERT: a failed ASSERT ends the test with the lock held. */
	for (i = 0; i < 1000; i++)
		KUNIT_EXPECT_EQ(test, 0, ioasid_flush_bucket_take(&g, i));
	g.granted = false;
	KUNIT_EXPECT_EQ(test, -EPERM, ioasid_flush_bucket_take(&g, 0));
	spin_unlock(&g.lock);
}

static struct kunit_case bucket_cases[] = {
	KUNIT_CASE(bucket_burst_then_rate),
	KUNIT_CASE(bucket_unlimited_and_revoked),
	{}
};

static struct kunit_suite bucket_suite = {
	.name = "ioasid_flush_bucket",
	.test_cases = bucket_cases,
};

/* --- decisions ------------------------------------------------------------- */

static int kt_defer(const struct ioasid_policy_req *req)
{
	return IOASID_VERDICT_DEFER;
}

static int kt_allow_nosnoop(const struct ioasid_policy_req *req)
{
	bpf_ioasid_set_snoop(req, IOASID_SNOOP_ALLOW_NOSNOOP);
	bpf_ioasid_grant_flush(req, 7, 3);
	return IOASID_VERDICT_ALLOW;
}

static int kt_enforce(const struct ioasid_policy_req *req)
{
	bpf_ioasid_set_snoop(req, IOASID_SNOOP_ENFORCE);
	return IOASID_VERDICT_ALLOW;
}

static int kt_garbage(const struct ioasid_policy_req *req)
{
	return 4242;
}

static int kt_deny(const struct ioasid_policy_req *req)
{
	return -EACCES;
}

static int kt_pasid_wide(const struct ioasid_policy_req *req)
{
	bpf_ioasid_set_pasid_range(req, 1, 1000);
	return IOASID_VERDICT_ALLOW;
}

#define KT_POLICY(_name, _prio, _fn, _flags) {				\
	.attach = _fn, .name = _name, .priority = _prio,		\
	.flags = _flags, .abi_version = IOASID_POLICY_ABI_VERSION }

static struct ioasid_policy_ops kt_policies[] = {
	KT_POLICY("kt_defer", 10, kt_defer, 0),
	KT_POLICY("kt_shadow", 11, kt_deny, IOASID_POLICY_F_SHADOW),
	KT_POLICY("kt_nosnoop", 20, kt_allow_nosnoop, 0),
	KT_POLICY("kt_enforce", 5, kt_enforce, 0),
	KT_POLICY("kt_garbage", 1, kt_garbage, 0),
	{ .attach_pasid = kt_pasid_wide, .name = "kt_pasid", .priority = 30,
	  .abi_version = IOASID_POLICY_ABI_VERSION },
};

enum { KT_DEFER, KT_SHADOW, KT_NOSNOOP, KT_ENFORCE, KT_GARBAGE, KT_PASID };

static int decide(struct kunit *test, u32 op, u32 caps, u8 pasid_bits,
		  u32 pasid, struct ioasid_policy_eval *eval,
		  struct ioasid_policy_verdict *verdicts)
{
	memset(eval, 0, sizeof(*eval));
	eval->verdicts = verdicts;
	eval->max_verdicts = IOASID_POLICY_MAX_REPORTED;
	eval->req.op = op;
	eval->req.vendor = 0x1234;
	eval->req.device = 0x11e8;
	eval->req.iommu_caps = caps;
	eval->req.pasid_bits = pasid_bits;
	eval->req.pasid = pasid;
	eval->req.group_size = 1;
	return ioasid_policy_evaluate(eval);
}

static void decisions_stack(struct kunit *test)
{
	struct ioasid_policy_verdict verdicts[IOASID_POLICY_MAX_REPORTED];
	struct ioasid_policy_eval eval;
	struct ioasid_policy_decision *d = &eval.decision;
	u32 cc = IOASID_IOMMU_CAP_ENFORCE_COHERENCY;

	/* Nothing registered: the built-in. */
	KUNIT_EXPECT_EQ(test, 0, decide(test, IOASID_POLICY_OP_ATTACH, cc, 0, 0, &eval, verdicts));
	KUNIT_EXPECT_STREQ(test, "builtin", d->policy);
	KUNIT_EXPECT_EQ(test, IOASID_SNOOP_ENFORCE, d->snoop);
	KUNIT_EXPECT_EQ(test, 0, decide(test, IOASID_POLICY_OP_ATTACH, 0, 0, 0, &eval, verdicts));
	KUNIT_EXPECT_EQ(test, IOASID_SNOOP_ALLOW_NOSNOOP, d->snoop);
	KUNIT_EXPECT_TRUE(test, d->flags & IOASID_DECISION_FLUSH_GRANT);

	KUNIT_ASSERT_EQ(test, 0, ioasid_policy_kunit_reg(&kt_policies[KT_DEFER]));
	KUNIT_ASSERT_EQ(test, 0, ioasid_policy_kunit_reg(&kt_policies[KT_SHADOW]));
	KUNIT_ASSERT_EQ(test, 0, ioasid_policy_kunit_reg(&kt_policies[KT_NOSNOOP]));
	KUNIT_EXPECT_EQ(test, -EEXIST, ioasid_policy_kunit_reg(&kt_policies[KT_NOSNOOP]));

	/* After a DEFER the next is asked; the shadow is recorded; nosnoop decides. */
	KUNIT_EXPECT_EQ(test, 0, decide(test, IOASID_POLICY_OP_ATTACH, cc, 0, 0, &eval, verdicts));
	KUNIT_EXPECT_STREQ(test, "kt_nosnoop", d->policy);
	KUNIT_EXPECT_EQ(test, IOASID_SNOOP_ALLOW_NOSNOOP, d->snoop);
	KUNIT_EXPECT_EQ(test, 7, d->flush_rate);
	KUNIT_EXPECT_EQ(test, 3, d->flush_burst);
	KUNIT_ASSERT_EQ(test, 3, eval.nr_verdicts);
	KUNIT_EXPECT_STREQ(test, "kt_defer", verdicts[0].name);
	KUNIT_EXPECT_EQ(test, IOASID_VERDICT_DEFER, verdicts[0].verdict);
	KUNIT_EXPECT_STREQ(test, "kt_shadow", verdicts[1].name);
	KUNIT_EXPECT_EQ(test, -EACCES, verdicts[1].verdict);

	/* Enforce asked of an IOMMU without snoop control: refused. */
	KUNIT_ASSERT_EQ(test, 0, ioasid_policy_kunit_reg(&kt_policies[KT_ENFORCE]));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			decide(test, IOASID_POLICY_OP_ATTACH, 0, 0, 0, &eval, verdicts));
	KUNIT_EXPECT_STREQ(test, "kt_enforce", d->policy);
	KUNIT_EXPECT_EQ(test, 0, decide(test, IOASID_POLICY_OP_ATTACH, cc, 0, 0, &eval, verdicts));

	/* Garbage: errored, skipped from then on; the rest carries on. */
	KUNIT_ASSERT_EQ(test, 0, ioasid_policy_kunit_reg(&kt_policies[KT_GARBAGE]));
	KUNIT_EXPECT_EQ(test, 0, decide(test, IOASID_POLICY_OP_ATTACH, cc, 0, 0, &eval, verdicts));
	KUNIT_EXPECT_STREQ(test, "kt_enforce", d->policy);
	KUNIT_EXPECT_TRUE(test, verdicts[0].flags & IOASID_DECISION_POLICY_ERROR);
	KUNIT_EXPECT_EQ(test, 0, decide(test, IOASID_POLICY_OP_ATTACH, cc, 0, 0, &eval, verdicts));
	KUNIT_EXPECT_STREQ(test, "kt_enforce", verdicts[0].name);

	ioasid_policy_kunit_unreg(&kt_policies[KT_GARBAGE]);
	ioasid_policy_kunit_unreg(&kt_policies[KT_ENFORCE]);
	ioasid_policy_kunit_unreg(&kt_policies[KT_NOSNOOP]);
	ioasid_policy_kunit_unreg(&kt_policies[KT_SHADOW]);
	ioasid_policy_kunit_unreg(&kt_policies[KT_DEFER]);
	KUNIT_EXPECT_EQ(test, 0, decide(test, IOASID_POLICY_OP_ATTACH, cc, 0, 0, &eval, verdicts));
	KUNIT_EXPECT_STREQ(test, "builtin", d->policy);
}

static void decisions_pasid_clamped_to_hardware(struct kunit *test)
{
	struct ioasid_policy_verdict verdicts[IOASID_POLICY_MAX_REPORTED];
	struct ioasid_policy_eval eval;
	struct ioasid_policy_decision *d = &eval.decision;
	u32 caps = IOASID_IOMMU_CAP_ENFORCE_COHERENCY | IOASID_IOMMU_CAP_PASID;

	KUNIT_ASSERT_EQ(test, 0, ioasid_policy_kunit_reg(&kt_policies[KT_PASID]));
	/* 4 bits: PASIDs 1-15 whatever the policy asked. */
	KUNIT_EXPECT_EQ(test, 0, decide(test, IOASID_POLICY_OP_ATTACH_PASID, caps, 4, 15,
					&eval, verdicts));
	KUNIT_EXPECT_EQ(test, 1, d->pasid_min);
	KUNIT_EXPECT_EQ(test, 15, d->pasid_max);
	KUNIT_EXPECT_EQ(test, -EPERM, decide(test, IOASID_POLICY_OP_ATTACH_PASID, caps, 4, 16,
					     &eval, verdicts));
	/* Full width: the policy's 1000 is the limit. */
	KUNIT_EXPECT_EQ(test, -EPERM, decide(test, IOASID_POLICY_OP_ATTACH_PASID, caps,
					     IOASID_PASID_BITS, 1001,
					     &eval, verdicts));
	/* No PASID capability: nobody can grant one. */
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP, decide(test, IOASID_POLICY_OP_ATTACH_PASID,
						  IOASID_IOMMU_CAP_ENFORCE_COHERENCY, 0, 1,
						  &eval, verdicts));
	ioasid_policy_kunit_unreg(&kt_policies[KT_PASID]);
}

static void decisions_complete_fills_from_builtin(struct kunit *test)
{
	struct ioasid_policy_eval eval = {};

	/* ALLOW with no snoop mode on a non-coherent IOMMU: no-snoop + flush. */
	eval.req.op = IOASID_POLICY_OP_ATTACH;
	eval.decision.verdict = 0;
	strscpy(eval.decision.policy, "x", sizeof(eval.decision.policy));
	ioasid_policy_complete(&eval);
	KUNIT_EXPECT_EQ(test, IOASID_SNOOP_ALLOW_NOSNOOP, eval.decision.snoop);
	KUNIT_EXPECT_TRUE(test, eval.decision.flags & IOASID_DECISION_FLUSH_GRANT);
	/* A deny stays a deny, untouched. */
	memset(&eval, 0, sizeof(eval));
	eval.req.op = IOASID_POLICY_OP_ATTACH;
	eval.decision.verdict = -EPERM;
	ioasid_policy_complete(&eval);
	KUNIT_EXPECT_EQ(test, -EPERM, eval.decision.verdict);
	KUNIT_EXPECT_EQ(test, IOASID_SNOOP_DEFAULT, eval.decision.snoop);
}

/* What the flags of the last request a kt_seen_* policy saw were. */
static u32 kt_seen_v1, kt_seen_v2;

static int kt_seen1(const struct ioasid_policy_req *req)
{
	kt_seen_v1 = req->flags;
	return IOASID_VERDICT_DEFER;
}

static int kt_seen2(const struct ioasid_policy_req *req)
{
	kt_seen_v2 = req->flags;
	return IOASID_VERDICT_DEFER;
}

/*
 * A policy of ABI 1 predates IOASID_REQ_REVALIDATE: it sees a revalidation
 * as a dry run; one of the current ABI sees the flag alone; a plain attach
 * is neither to both.
 */
static void decisions_revalidation_by_abi(struct kunit *test)
{
	struct ioasid_policy_ops v1 = {
		.attach = kt_seen1, .name = "kt_seen1", .priority = 1,
		.abi_version = 1,
	};
	struct ioasid_policy_ops v2 = {
		.attach = kt_seen2, .name = "kt_seen2", .priority = 2,
		.abi_version = IOASID_POLICY_ABI_VERSION,
	};
	struct ioasid_policy_eval eval = {};

	KUNIT_ASSERT_EQ(test, 0, ioasid_policy_kunit_reg(&v1));
	KUNIT_ASSERT_EQ(test, 0, ioasid_policy_kunit_reg(&v2));
	eval.req.op = IOASID_POLICY_OP_ATTACH;
	eval.req.flags = IOASID_REQ_REVALIDATE;
	ioasid_policy_evaluate(&eval);
	KUNIT_EXPECT_EQ(test, (u32)(IOASID_REQ_REVALIDATE | IOASID_REQ_DRY_RUN),
			kt_seen_v1);
	KUNIT_EXPECT_EQ(test, (u32)IOASID_REQ_REVALIDATE, kt_seen_v2);
	/* The marking was for the ABI-1 policy alone: the request is back. */
	KUNIT_EXPECT_EQ(test, (u32)IOASID_REQ_REVALIDATE, eval.req.flags);
	memset(&eval, 0, sizeof(eval));
	eval.req.op = IOASID_POLICY_OP_ATTACH;
	ioasid_policy_evaluate(&eval);
	KUNIT_EXPECT_EQ(test, 0U, kt_seen_v1);
	KUNIT_EXPECT_EQ(test, 0U, kt_seen_v2);
	ioasid_policy_kunit_unreg(&v2);
	ioasid_policy_kunit_unreg(&v1);
}

/* What a revalidation applies live, and when a re-attach is needed. */
static void decisions_revalidation_outcome(struct kunit *test)
{
	struct ioasid_policy_decision old = {
		.flags = IOASID_DECISION_FLUSH_GRANT, .flush_rate = 100,
		.flush_burst = 10, .snoop = IOASID_SNOOP_ALLOW_NOSNOOP,
	};
	struct ioasid_policy_decision new = old;

	KUNIT_EXPECT_FALSE(test, ioasid_reval_changed(&old, &new));
	/* A reason or policy of its own is no change to apply. */
	strscpy(new.reason, "other", sizeof(new.reason));
	KUNIT_EXPECT_FALSE(test, ioasid_reval_changed(&old, &new));
	new.flush_rate = 1;
	KUNIT_EXPECT_TRUE(test, ioasid_reval_changed(&old, &new));
	new = old;
	new.flush_burst = 1;
	KUNIT_EXPECT_TRUE(test, ioasid_reval_changed(&old, &new));
	new = old;
	new.flags = 0;
	KUNIT_EXPECT_TRUE(test, ioasid_reval_changed(&old, &new));
	new = old;
	new.flags |= IOASID_DECISION_PASID_RANGE;
	new.pasid_min = 1;
	new.pasid_max = 10;
	old.flags |= IOASID_DECISION_PASID_RANGE;
	old.pasid_min = 1;
	old.pasid_max = 10;
	KUNIT_EXPECT_FALSE(test, ioasid_reval_changed(&old, &new));
	new.pasid_max = 3;
	KUNIT_EXPECT_TRUE(test, ioasid_reval_changed(&old, &new));

	/* The domain keeps its snoop mode: a mismatch needs a re-attach. */
	KUNIT_EXPECT_FALSE(test, ioasid_reval_needs_reattach(true, true));
	KUNIT_EXPECT_FALSE(test, ioasid_reval_needs_reattach(false, false));
	KUNIT_EXPECT_TRUE(test, ioasid_reval_needs_reattach(true, false));
	KUNIT_EXPECT_TRUE(test, ioasid_reval_needs_reattach(false, true));
}

static struct kunit_case decision_cases[] = {
	KUNIT_CASE(decisions_stack),
	KUNIT_CASE(decisions_pasid_clamped_to_hardware),
	KUNIT_CASE(decisions_complete_fills_from_builtin),
	KUNIT_CASE(decisions_revalidation_by_abi),
	KUNIT_CASE(decisions_revalidation_outcome),
	{}
};

static struct kunit_suite decision_suite = {
	.name = "ioasid_decisions",
	.test_cases = decision_cases,
};

/* --- IO page tables -------------------------------------------------------- */

#define KT_PAGES 16

struct iopt_fixture {
	struct file *file;
	struct ioasid_ctx *ctx;
	unsigned long uaddr;	/* KT_PAGES of user memory */
	void __user *ucmd;	/* a page for ioctl arguments */
};

static int iopt_init_fixture(struct kunit *test)
{
	struct iopt_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	unsigned long u;

	if (!f)
		return -ENOMEM;
	f->file = filp_open("/dev/ioasid", O_RDWR, 0);
	if (IS_ERR(f->file)) {
		kunit_skip(test, "no /dev/ioasid to open (%ld)", PTR_ERR(f->file));
		return 0;
	}
	f->ctx = f->file->private_data;
	f->uaddr = kunit_vm_mmap(test, NULL, 0, (KT_PAGES + 1) * PAGE_SIZE,
				 PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (IS_ERR_VALUE(f->uaddr))
		return f->uaddr;
	u = f->uaddr + KT_PAGES * PAGE_SIZE;
	f->ucmd = (void __user *)u;
	test->priv = f;
	return 0;
}

static void iopt_exit_fixture(struct kunit *test)
{
	struct iopt_fixture *f = test->priv;

	if (f && !IS_ERR_OR_NULL(f->file))
		fput(f->file);
}

/* A new IOAS (child of @parent_id if not 0), through the real ioctl. */
static struct ioasid_ioas *kt_ioas(struct kunit *test, u32 parent_id)
{
	struct iopt_fixture *f = test->priv;
	struct ioasid_ioas_alloc cmd = {
		.size = sizeof(cmd), .parent_id = parent_id,
		.flags = parent_id ? IOASID_IOAS_ALLOC_NESTED : 0,
	};
	struct ioasid_object *obj;
	long rc;

	KUNIT_ASSERT_EQ(test, 0, copy_to_user(f->ucmd, &cmd, sizeof(cmd)));
	rc = f->file->f_op->unlocked_ioctl(f->file, IOASID_IOAS_ALLOC,
					   (unsigned long)f->ucmd);
	KUNIT_ASSERT_EQ(test, 0, rc);
	KUNIT_ASSERT_EQ(test, 0, copy_from_user(&cmd, f->ucmd, sizeof(cmd)));
	obj = ioasid_get_object(f->ctx, cmd.out_ioas_id, IOASID_OBJ_IOAS);
	KUNIT_ASSERT_FALSE(test, IS_ERR(obj));
	/* The fd keeps it alive; the test only needs the pointer. */
	ioasid_put_object(f->ctx, obj);
	return container_of(obj, struct ioasid_ioas, obj);
}

static const u32 rw = IOASID_MAP_READABLE | IOASID_MAP_WRITEABLE;

static void fill_user(struct kunit *test, unsigned long uaddr, int npages)
{
	u8 byte;
	int i;

	for (i = 0; i < npages; i++) {
		void __user *page = (void __user *)(uaddr + i * PAGE_SIZE);

		byte = 0xa0 + i;
		KUNIT_ASSERT_EQ(test, 0, clear_user(page, PAGE_SIZE));
		KUNIT_ASSERT_EQ(test, 0, copy_to_user(page, &byte, 1));
	}
}

static u8 first_byte(struct kunit *test, struct ioasid_ioas *ioas, u64 iova)
{
	u8 b = 0;

	KUNIT_EXPECT_EQ(test, 0, iopt_rw(ioas, iova, &b, 1, false));
	return b;
}

static void iopt_split_and_accounting(struct kunit *test)
{
	struct iopt_fixture *f = test->priv;
	struct ioasid_ioas *ioas = kt_ioas(test, 0);
	u64 iova = 0x100000, pinned = 0, unmapped = 0;

	fill_user(test, f->uaddr, 4);
	KUNIT_ASSERT_EQ(test, 0, iopt_map_user(ioas, &iova, f->uaddr, 4 * PAGE_SIZE,
					       0, rw | IOASID_MAP_FIXED_IOVA));
	KUNIT_EXPECT_EQ(test, 1, ioas->nr_areas);
	KUNIT_EXPECT_EQ(test, 0, iopt_count_pinned(ioas, &pinned));
	KUNIT_EXPECT_EQ(test, 4, pinned);
	KUNIT_EXPECT_EQ(test, 4, atomic64_read(&f->ctx->pinned_pages));

	/* Cutting the middle needs ALLOW_SPLIT and leaves two areas. */
	KUNIT_EXPECT_EQ(test, -EBUSY, iopt_unmap(ioas, iova + PAGE_SIZE, PAGE_SIZE, 0,
						 &unmapped));
	KUNIT_EXPECT_EQ(test, 1, ioas->nr_areas);
	KUNIT_ASSERT_EQ(test, 0, iopt_unmap(ioas, iova + PAGE_SIZE, PAGE_SIZE,
					    IOASID_UNMAP_ALLOW_SPLIT, &unmapped));
	KUNIT_EXPECT_EQ(test, PAGE_SIZE, unmapped);
	KUNIT_EXPECT_EQ(test, 2, ioas->nr_areas);
	KUNIT_EXPECT_EQ(test, 0, iopt_count_pinned(ioas, &pinned));
	KUNIT_EXPECT_EQ(test, 3, pinned);
	KUNIT_EXPECT_EQ(test, 3, atomic64_read(&f->ctx->pinned_pages));
	KUNIT_EXPECT_EQ(test, 3 * PAGE_SIZE, ioas->mapped_bytes);

	/* The pieces still reach the right pages; the hole reaches none. */
	KUNIT_EXPECT_EQ(test, 0xa0, first_byte(test, ioas, iova));
	KUNIT_EXPECT_EQ(test, 0xa2, first_byte(test, ioas, iova + 2 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, 0xa3, first_byte(test, ioas, iova + 3 * PAGE_SIZE));
	KUNIT_EXPECT_NE(test, 0, iopt_rw(ioas, iova + PAGE_SIZE, &pinned, 1, false));

	KUNIT_ASSERT_EQ(test, 0, iopt_unmap(ioas, 0, 0, IOASID_UNMAP_ALL, &unmapped));
	KUNIT_EXPECT_EQ(test, 3 * PAGE_SIZE, unmapped);
	KUNIT_EXPECT_EQ(test, 0, ioas->nr_areas);
	KUNIT_EXPECT_EQ(test, 0, atomic64_read(&f->ctx->pinned_pages));
}

/*
 * One unmap over several areas and a hole, cut at both ends (iopt_unmap()
 * walks the areas with iter_next), then pages shared by a copy: the first
 * area to go keeps the shared pages pinned, the last one (pages.c's
 * last-user path) unpins the rest.
 */
static void iopt_unmap_walks_areas(struct kunit *test)
{
	struct iopt_fixture *f = test->priv;
	struct ioasid_ioas *ioas = kt_ioas(test, 0), *dst = kt_ioas(test, 0);
	u64 base = 0x400000, iova, dst_iova = 0x900000, unmapped = 0;
	struct ioasid_area *area;
	struct rb_node *node;
	int i, found = 0;

	fill_user(test, f->uaddr, 8);
	/* Areas of 2 pages at slots 0, 1, 3: pages 0-1, 2-3, 6-7. */
	for (i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		iova = base + i * 2 * PAGE_SIZE;
		KUNIT_ASSERT_EQ(test, 0, iopt_map_user(ioas, &iova,
						       f->uaddr + i * 2 * PAGE_SIZE,
						       2 * PAGE_SIZE, 0,
						       rw | IOASID_MAP_FIXED_IOVA));
	}
	KUNIT_EXPECT_EQ(test, 6, atomic64_read(&f->ctx->pinned_pages));
	/* From the middle of the first to the middle of the last. */
	KUNIT_ASSERT_EQ(test, 0, iopt_unmap(ioas, base + PAGE_SIZE, 6 * PAGE_SIZE,
					    IOASID_UNMAP_ALLOW_SPLIT, &unmapped));
	KUNIT_EXPECT_EQ(test, 4 * PAGE_SIZE, unmapped);
	KUNIT_EXPECT_EQ(test, 2, ioas->nr_areas);
	KUNIT_EXPECT_EQ(test, 2, atomic64_read(&f->ctx->pinned_pages));
	KUNIT_EXPECT_EQ(test, 0xa0, first_byte(test, ioas, base));
	KUNIT_EXPECT_EQ(test, 0xa7, first_byte(test, ioas, base + 7 * PAGE_SIZE));

	/* A one-page area copied: its pages have two users. */
	iova = base + 2 * PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, 0, iopt_map_user(ioas, &iova, f->uaddr + 2 * PAGE_SIZE,
					       PAGE_SIZE, 0, rw | IOASID_MAP_FIXED_IOVA));
	KUNIT_ASSERT_EQ(test, 0, iopt_copy(dst, &dst_iova, ioas, iova, PAGE_SIZE,
					   rw | IOASID_MAP_FIXED_IOVA));
	ioas_lock(ioas);
	for (node = rb_first_cached(&ioas->area_itree); node; node = rb_next(node)) {
		area = rb_entry(node, struct ioasid_area, rb);
		if (area->start != iova)
			continue;
		KUNIT_EXPECT_EQ(test, 2, kref_read(&area->pages->kref));
		found++;
	}
	ioas_unlock(ioas);
	KUNIT_EXPECT_EQ(test, 1, found);
	KUNIT_ASSERT_EQ(test, 0, iopt_unmap(ioas, iova, PAGE_SIZE, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, 3, atomic64_read(&f->ctx->pinned_pages));
	KUNIT_EXPECT_EQ(test, 0xa2, first_byte(test, dst, dst_iova));
	KUNIT_ASSERT_EQ(test, 0, iopt_unmap(dst, dst_iova, PAGE_SIZE, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, 2, atomic64_read(&f->ctx->pinned_pages));
	KUNIT_ASSERT_EQ(test, 0, iopt_unmap(ioas, 0, 0, IOASID_UNMAP_ALL, &unmapped));
	KUNIT_EXPECT_EQ(test, 2 * PAGE_SIZE, unmapped);
	KUNIT_EXPECT_EQ(test, 0, atomic64_read(&f->ctx->pinned_pages));
}

static void iopt_iova_allocation(struct kunit *test)
{
	struct iopt_fixture *f = test->priv;
	struct ioasid_ioas *ioas = kt_ioas(test, 0);
	struct ioasid_iova_range allow = { 0x10000000, 0x1fffffff };
	struct ioasid_iova_range out[4];
	u64 a = 0, b = 0, fixed = 0x30000000;
	u32 nr = 0;
	int rc;

	/* A reservation (a device's MSI window, say) is never handed out. */
	ioas_lock(ioas);
	rc = iopt_reserve(ioas, 0, 0xfffffff, test);
	ioas_unlock(ioas);
	KUNIT_ASSERT_EQ(test, 0, rc);
	KUNIT_ASSERT_EQ(test, 0, iopt_get_ranges(ioas, out, 4, &nr));
	KUNIT_EXPECT_EQ(test, 1, nr);
	KUNIT_EXPECT_EQ(test, 0x10000000, out[0].start);
	/* Kernel-chosen IOVAs: outside it, aligned, not overlapping. */
	KUNIT_ASSERT_EQ(test, 0, iopt_map_user(ioas, &a, f->uaddr, 2 * PAGE_SIZE, SZ_64K, rw));
	KUNIT_ASSERT_EQ(test, 0, iopt_map_user(ioas, &b, f->uaddr, 2 * PAGE_SIZE, SZ_64K, rw));
	KUNIT_EXPECT_GE(test, a, 0x10000000);
	KUNIT_EXPECT_GE(test, b, 0x10000000);
	KUNIT_EXPECT_EQ(test, 0, a % SZ_64K);
	KUNIT_EXPECT_EQ(test, 0, b % SZ_64K);
	KUNIT_EXPECT_TRUE(test, b >= a + 2 * PAGE_SIZE || a >= b + 2 * PAGE_SIZE);
	/* A fixed map on the reservation is refused. */
	fixed = 0x1000000;
	KUNIT_EXPECT_NE(test, 0, iopt_map_user(ioas, &fixed, f->uaddr, PAGE_SIZE, 0,
					       rw | IOASID_MAP_FIXED_IOVA));
	/* The allowed list is the IOAS's to free: hand it a copy. */
	if (a < 0x20000000 && b < 0x20000000) {
		KUNIT_EXPECT_EQ(test, 0, iopt_set_allowed(ioas, kmemdup(&allow, sizeof(allow),
									GFP_KERNEL), 1));
		/* Narrowing it past an existing mapping is refused. */
		allow.start = max(a, b) + SZ_64K;
		KUNIT_EXPECT_EQ(test, -EBUSY, iopt_set_allowed(ioas, &allow, 1));
	}
	ioas_lock(ioas);
	iopt_unreserve(ioas, test);
	ioas_unlock(ioas);
}

static void iopt_copy_shares_pages(struct kunit *test)
{
	struct iopt_fixture *f = test->priv;
	struct ioasid_ioas *src = kt_ioas(test, 0), *dst = kt_ioas(test, 0);
	u64 iova = 0x200000, dst_iova = 0x800000, pinned = 0;
	phys_addr_t p1 = 0, p2 = 0;

	fill_user(test, f->uaddr, 2);
	KUNIT_ASSERT_EQ(test, 0, iopt_map_user(src, &iova, f->uaddr, 2 * PAGE_SIZE, 0,
					       rw | IOASID_MAP_FIXED_IOVA));
	KUNIT_ASSERT_EQ(test, 0, iopt_copy(dst, &dst_iova, src, iova, 2 * PAGE_SIZE,
					   rw | IOASID_MAP_FIXED_IOVA));
	KUNIT_EXPECT_EQ(test, 0, iopt_iova_to_phys(src, iova + PAGE_SIZE, &p1));
	KUNIT_EXPECT_EQ(test, 0, iopt_iova_to_phys(dst, dst_iova + PAGE_SIZE, &p2));
	KUNIT_EXPECT_EQ(test, p1, p2);
	/* Charged once for the fd: the copy pins nothing new. */
	KUNIT_EXPECT_EQ(test, 2, atomic64_read(&f->ctx->pinned_pages));
	KUNIT_EXPECT_EQ(test, 0, iopt_count_pinned(dst, &pinned));
	KUNIT_EXPECT_EQ(test, 2, pinned);
}

static void iopt_nesting_composes_and_tears_down(struct kunit *test)
{
	struct iopt_fixture *f = test->priv;
	struct ioasid_ioas *root = kt_ioas(test, 0), *mid, *leaf;
	u64 riova = 0x1000000, miova = 0x2000000, liova = 0x3000000, unmapped;
	phys_addr_t pr = 0, pm = 0, pl = 0;

	mid = kt_ioas(test, root->obj.id);
	leaf = kt_ioas(test, mid->obj.id);
	KUNIT_EXPECT_EQ(test, 2, leaf->depth);
	fill_user(test, f->uaddr, 4);
	KUNIT_ASSERT_EQ(test, 0, iopt_map_user(root, &riova, f->uaddr, 4 * PAGE_SIZE, 0,
					       rw | IOASID_MAP_FIXED_IOVA));
	/* mid maps root IOVAs 1-2, leaf maps mid's second page. */
	KUNIT_ASSERT_EQ(test, 0, iopt_map_nested(mid, &miova, riova + PAGE_SIZE, 2 * PAGE_SIZE,
						 0, rw | IOASID_MAP_FIXED_IOVA));
	KUNIT_ASSERT_EQ(test, 0, iopt_map_nested(leaf, &liova, miova + PAGE_SIZE, PAGE_SIZE,
						 0, rw | IOASID_MAP_FIXED_IOVA));
	KUNIT_EXPECT_EQ(test, 0, iopt_iova_to_phys(root, riova + 2 * PAGE_SIZE, &pr));
	KUNIT_EXPECT_EQ(test, 0, iopt_iova_to_phys(mid, miova + PAGE_SIZE, &pm));
	KUNIT_EXPECT_EQ(test, 0, iopt_iova_to_phys(leaf, liova, &pl));
	KUNIT_EXPECT_EQ(test, pr, pm);
	KUNIT_EXPECT_EQ(test, pr, pl);
	KUNIT_EXPECT_EQ(test, 0xa2, first_byte(test, leaf, liova));
	/* Nested maps charge nothing more. */
	KUNIT_EXPECT_EQ(test, 4, atomic64_read(&f->ctx->pinned_pages));
	/* A parent range that is not mapped cannot be nested. */
	miova = 0x2800000;
	KUNIT_EXPECT_EQ(test, -ENOENT, iopt_map_nested(mid, &miova, riova + 8 * PAGE_SIZE,
						       PAGE_SIZE, 0,
						       rw | IOASID_MAP_FIXED_IOVA));
	/* Unmapping the root page takes the whole chain down with it. */
	KUNIT_ASSERT_EQ(test, 0, iopt_unmap(root, riova + 2 * PAGE_SIZE, PAGE_SIZE,
					    IOASID_UNMAP_ALLOW_SPLIT, &unmapped));
	KUNIT_EXPECT_NE(test, 0, iopt_iova_to_phys(mid, 0x2000000 + PAGE_SIZE, &pm));
	KUNIT_EXPECT_NE(test, 0, iopt_iova_to_phys(leaf, 0x3000000, &pl));
	/* A dependent mapping goes whole: mid's page over root page 1 too. */
	KUNIT_EXPECT_NE(test, 0, iopt_iova_to_phys(mid, 0x2000000, &pm));
	/* The root's own pages around the hole stay. */
	KUNIT_EXPECT_EQ(test, 0xa1, first_byte(test, root, riova + PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, 0xa3, first_byte(test, root, riova + 3 * PAGE_SIZE));
}

/* An access whose driver records callbacks and unpins as told. */
struct kt_access {
	struct ioasid_access *access;
	u64 iova[4], len[4];
	int calls;
};

static void kt_access_unmap(void *data, u64 iova, u64 length)
{
	struct kt_access *ka = data;

	if (ka->calls < ARRAY_SIZE(ka->iova)) {
		ka->iova[ka->calls] = iova;
		ka->len[ka->calls] = length;
	}
	ka->calls++;
	ioasid_access_unpin_pages(ka->access, iova, length);
}

static const struct ioasid_access_ops kt_access_ops = {
	.unmap = kt_access_unmap,
};

static u8 page_first_byte(struct page *page)
{
	u8 *va = kmap_local_page(page), b = va[0];

	kunmap_local(va);
	return b;
}

static void access_revoke_only_what_is_unmapped(struct kunit *test)
{
	struct iopt_fixture *f = test->priv;
	struct ioasid_access_desc desc = { .vendor = 0x1af4, .driver = "kunit-sw" };
	struct ioasid_ioas *root = kt_ioas(test, 0), *child;
	u64 iova = 0x1000000, ciova = 0x2000000, unmapped;
	struct page *pages[3];
	struct kt_access ka = {};
	u8 b;

	child = kt_ioas(test, root->obj.id);
	fill_user(test, f->uaddr, 4);
	KUNIT_ASSERT_EQ(test, 0, iopt_map_user(root, &iova, f->uaddr, 4 * PAGE_SIZE, 0,
					       rw | IOASID_MAP_FIXED_IOVA));
	KUNIT_ASSERT_EQ(test, 0, iopt_map_nested(child, &ciova, iova, 2 * PAGE_SIZE, 0,
						 rw | IOASID_MAP_FIXED_IOVA));
	ka.access = ioasid_access_create(f->file, &desc, &kt_access_ops, &ka);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ka.access));
	KUNIT_ASSERT_EQ(test, 0, ioasid_access_attach(ka.access, child->obj.id, NULL));

	/* Two pins on the child: page 0 (unaligned, one page), page 1. */
	KUNIT_ASSERT_EQ(test, 0, ioasid_access_pin_pages(ka.access, ciova + 8, 16, pages, 0));
	KUNIT_ASSERT_EQ(test, 0, ioasid_access_pin_pages(ka.access, ciova + PAGE_SIZE,
							 PAGE_SIZE, pages + 1,
							 IOASID_ACCESS_WRITE));
	/* The pinned pages are the user's: root pages 0 and 1. */
	KUNIT_EXPECT_EQ(test, 0xa0, page_first_byte(pages[0]));
	KUNIT_EXPECT_EQ(test, 0xa1, page_first_byte(pages[1]));
	/* Unmapping root page 3 reaches no pin: no callback. */
	KUNIT_ASSERT_EQ(test, 0, iopt_unmap(root, iova + 3 * PAGE_SIZE, PAGE_SIZE,
					    IOASID_UNMAP_ALLOW_SPLIT, &unmapped));
	KUNIT_EXPECT_EQ(test, 0, ka.calls);
	/*
	 * Unmapping root page 1 takes the child's whole dependent mapping
	 * (pages 0-1): both pins are called back, each with its own range.
	 */
	KUNIT_ASSERT_EQ(test, 0, iopt_unmap(root, iova + PAGE_SIZE, PAGE_SIZE,
					    IOASID_UNMAP_ALLOW_SPLIT, &unmapped));
	KUNIT_EXPECT_EQ(test, 2, ka.calls);
	KUNIT_EXPECT_EQ(test, ciova + 8, ka.iova[0]);
	KUNIT_EXPECT_EQ(test, 16, ka.len[0]);
	KUNIT_EXPECT_EQ(test, ciova + PAGE_SIZE, ka.iova[1]);
	KUNIT_EXPECT_EQ(test, 0, atomic64_read(&child->unpin_violations));
	KUNIT_EXPECT_EQ(test, -ENOENT, ioasid_access_rw(ka.access, ciova, &b, 1, 0));
	/* Charged once, on the root: its pages 0 and 2 are left. */
	KUNIT_EXPECT_EQ(test, 2, atomic64_read(&f->ctx->pinned_pages));
	ioasid_access_destroy(ka.access);
}

static struct kunit_case iopt_cases[] = {
	KUNIT_CASE(iopt_split_and_accounting),
	KUNIT_CASE(iopt_unmap_walks_areas),
	KUNIT_CASE(iopt_iova_allocation),
	KUNIT_CASE(iopt_copy_shares_pages),
	KUNIT_CASE(iopt_nesting_composes_and_tears_down),
	KUNIT_CASE(access_revoke_only_what_is_unmapped),
	{}
};

static struct kunit_suite iopt_suite = {
	.name = "ioasid_iopt",
	.init = iopt_init_fixture,
	.exit = iopt_exit_fixture,
	.test_cases = iopt_cases,
};

kunit_test_suites(&bucket_suite, &decision_suite, &iopt_suite);

MODULE_IMPORT_NS(IOASID);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("ioasid KUnit suites (never for production)");
MODULE_LICENSE("GPL");
