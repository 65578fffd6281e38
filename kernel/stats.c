// SPDX-License-Identifier: GPL-2.0
/*
 * Live object counts, in /sys/kernel/ioasid/stats/: what the module holds
 * right now across every fd. Operators read them (ioasidctl status); tests
 * read them to prove that an unplug, a failed call or a close leaves
 * nothing behind (every count back to where it was).
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "ioasid_private.h"

struct ioasid_stats ioasid_stats;

struct ioasid_stat_attr {
	struct kobj_attribute attr;
	atomic_long_t *count;
};

static ssize_t stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct ioasid_stat_attr *sa =
		container_of(attr, struct ioasid_stat_attr, attr);

	return sysfs_emit(buf, "%ld\n", atomic_long_read(sa->count));
}

#define STAT(_count) { __ATTR(_count, 0444, stat_show, NULL), NULL }

static struct ioasid_stat_attr stat_attrs[] = {
	STAT(fds), STAT(objects), STAT(groups), STAT(domains),
	STAT(pasid_attachments), STAT(charged_pages), STAT(accesses),
	STAT(access_pins), STAT(unpin_violations), STAT(flush_trackers),
	STAT(flush_refused), STAT(flush_throttled),
};

/* Not a count: whether cache flushes can follow the flushing thread. */
static ssize_t flush_cpu_tracking_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", IS_ENABLED(CONFIG_PREEMPT_NOTIFIERS));
}

static struct kobj_attribute flush_cpu_tracking_attr = __ATTR_RO(flush_cpu_tracking);

static struct attribute *ioasid_stats_attrs[ARRAY_SIZE(stat_attrs) + 2];

static const struct attribute_group ioasid_stats_group = {
	.name = "stats",
	.attrs = ioasid_stats_attrs,
};

/**
 * ioasid_stats_init - add /sys/kernel/ioasid/stats
 * @parent: /sys/kernel/ioasid
 *
 * Return: 0 or a negative errno from sysfs.
 */
int ioasid_stats_init(struct kobject *parent)
{
	atomic_long_t *counts[] = {
		&ioasid_stats.fds, &ioasid_stats.objects, &ioasid_stats.groups,
		&ioasid_stats.domains, &ioasid_stats.pasid_attachments,
		&ioasid_stats.charged_pages, &ioasid_stats.accesses,
		&ioasid_stats.access_pins, &ioasid_stats.unpin_violations,
		&ioasid_stats.flush_trackers, &ioasid_stats.flush_refused,
		&ioasid_stats.flush_throttled,
	};
	int i;

	BUILD_BUG_ON(ARRAY_SIZE(counts) != ARRAY_SIZE(stat_attrs));
	for (i = 0; i < ARRAY_SIZE(stat_attrs); i++) {
		stat_attrs[i].count = counts[i];
		ioasid_stats_attrs[i] = &stat_attrs[i].attr.attr;
	}
	ioasid_stats_attrs[i] = &flush_cpu_tracking_attr.attr;
	return sysfs_create_group(parent, &ioasid_stats_group);
}

/**
 * ioasid_stats_exit - remove /sys/kernel/ioasid/stats
 * @parent: /sys/kernel/ioasid
 */
void ioasid_stats_exit(struct kobject *parent)
{
	sysfs_remove_group(parent, &ioasid_stats_group);
}
