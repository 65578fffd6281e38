// SPDX-License-Identifier: GPL-2.0
/* Rendering decisions and capabilities, as text and as JSON. */
#include <errno.h>
#include <string.h>

#include "ioasidctl.h"

const char *snoop_name(__u32 snoop)
{
	switch (snoop) {
	case IOASID_SNOOP_ENFORCE:
		return "enforce";
	case IOASID_SNOOP_ALLOW_NOSNOOP:
		return "no-snoop";
	default:
		return "default";
	}
}

const char *verdict_name(int v, char *buf, size_t len)
{
	if (v == IOASID_VERDICT_DEFER)
		return "defer";
	if (v == IOASID_VERDICT_ALLOW)
		return "allow";
	if (v < 0 && v >= -IOASID_MAX_ERRNO)
		snprintf(buf, len, "deny (%s)", strerrorname_np(-v) ?: "?");
	else
		snprintf(buf, len, "invalid (%d)", v);
	return buf;
}

void caps_string(__u32 caps, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s",
		 caps & IOASID_IOMMU_CAP_ENFORCE_COHERENCY ? "enforce-coherency " : "",
		 caps & IOASID_IOMMU_CAP_CACHE_COHERENCY ? "cache-coherency " : "",
		 caps & IOASID_IOMMU_CAP_PASID ? "pasid " : "",
		 caps & IOASID_IOMMU_CAP_NESTING ? "nesting " : "");
	if (buf[0])
		buf[strlen(buf) - 1] = 0;
	else
		snprintf(buf, len, "none");
}

struct json_object *decision_json(const struct ioasid_policy_decision *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "verdict", json_object_new_int(d->verdict));
	json_object_object_add(o, "allowed", json_object_new_boolean(!d->verdict));
	json_object_object_add(o, "snoop", json_object_new_string(snoop_name(d->snoop)));
	json_object_object_add(o, "flush_grant",
			       json_object_new_boolean(d->flags & IOASID_DECISION_FLUSH_GRANT));
	json_object_object_add(o, "flush_rate", json_object_new_int64(d->flush_rate));
	json_object_object_add(o, "flush_burst", json_object_new_int64(d->flush_burst));
	if (d->flags & IOASID_DECISION_PASID_RANGE) {
		json_object_object_add(o, "pasid_min", json_object_new_int64(d->pasid_min));
		json_object_object_add(o, "pasid_max", json_object_new_int64(d->pasid_max));
	}
	json_object_object_add(o, "policy", json_object_new_string(d->policy));
	json_object_object_add(o, "policy_id", json_object_new_int64(d->policy_id));
	json_object_object_add(o, "reason", json_object_new_string(d->reason));
	return o;
}

void print_decision(const struct ioasid_policy_decision *d)
{
	char vbuf[64];

	printf("decision: %s by %s", d->verdict ?
	       verdict_name(d->verdict, vbuf, sizeof(vbuf)) : "allow", d->policy);
	if (!d->verdict) {
		printf(", snoop %s", snoop_name(d->snoop));
		if (d->flags & IOASID_DECISION_FLUSH_GRANT) {
			if (d->flush_rate)
				printf(", cache flush granted (%u/s, burst %u)",
				       d->flush_rate, d->flush_burst);
			else
				printf(", cache flush granted (unlimited)");
		}
		if (d->flags & IOASID_DECISION_PASID_RANGE)
			printf(", PASID %u-%u", d->pasid_min, d->pasid_max);
	}
	printf("\n");
	if (d->reason[0])
		printf("reason: %s\n", d->reason);
}
