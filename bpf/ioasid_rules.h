/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The operator rules of the default policies nosnoop_rules and strict:
 * the layout of a rule, the keys and the names of the maps that hold them.
 *
 * This is a contract between the BPF policies (bpf/policies/) and
 * the tools that edit their maps (libioasidbpf, hence ioasidctl; the
 * selftests): the kernel never reads it, so it is not kernel uAPI. It is
 * the one definition; the library installs it next to ioasidbpf.h.
 *
 * The maps are pinned by name (LIBBPF_PIN_BY_NAME) under the pin root the
 * loader chooses, so the name of a map is also its bpffs file name:
 *
 *   nosnoop_rules  IOASID_NSR_BY_BDF     PCI bdf           -> struct ioasid_rule
 *                  IOASID_NSR_BY_SUBSYS  subsystem key     -> struct ioasid_rule
 *                  IOASID_NSR_BY_ID      vendor:device key -> struct ioasid_rule
 *                  IOASID_NSR_BY_DRIVER  driver name key   -> struct ioasid_rule
 *                  IOASID_NSR_BY_UID     uid               -> struct ioasid_rule
 *                  IOASID_NSR_BY_CGROUP  cgroup v2 id      -> struct ioasid_rule
 *                  IOASID_NSR_DEFAULT    index 0           -> struct ioasid_rule
 *   strict         IOASID_STRICT_COHERENT_OK    vendor:device key -> __u8
 *                  IOASID_STRICT_PASID_DRIVERS  driver name key   -> __u8
 *
 * A map name macro expands to the map's C identifier, as the BPF object
 * defines it; IOASID_RULE_MAP_NAME() makes the string user space opens.
 */
#ifndef __IOASID_RULES_H
#define __IOASID_RULES_H

#include <linux/types.h>
#include <linux/ioasid_policy.h>

/*
 * nosnoop_rules: the first match in this order decides, the most specific
 * key first: one device (bdf), one board (subsystem ids), one chip
 * (vendor:device), one driver, then who asks (uid, cgroup), then the
 * default. docs/policy.md, "Precedence of keys".
 */
#define IOASID_NSR_BY_BDF		nsr_by_bdf
#define IOASID_NSR_BY_SUBSYS		nsr_by_subsys
#define IOASID_NSR_BY_ID		nsr_by_id
#define IOASID_NSR_BY_DRIVER		nsr_by_driver
#define IOASID_NSR_BY_UID		nsr_by_uid
#define IOASID_NSR_BY_CGROUP		nsr_by_cgroup
#define IOASID_NSR_DEFAULT		nsr_default
/* strict: allowlists (presence allows, the value is ignored). */
#define IOASID_STRICT_COHERENT_OK	strict_coherent_ok
#define IOASID_STRICT_PASID_DRIVERS	strict_pasid_drivers

#define __IOASID_RULE_STR(x)		#x
/** IOASID_RULE_MAP_NAME - the pin name (a string) of a rule map macro */
#define IOASID_RULE_MAP_NAME(map)	__IOASID_RULE_STR(map)

/*
 * Keys. By bdf: the __u32 of struct ioasid_policy_req's @bdf (segment << 16
 * | bus << 8 | devfn). By subsystem: IOASID_RULE_SUBSYS_KEY(subvendor,
 * subdevice), a __u32. By device: IOASID_RULE_ID_KEY(vendor, device), a
 * __u32. By driver: the driver name, NUL padded to IOASID_DRIVER_KEY_LEN
 * bytes. By uid: the requester's __u32 uid (initial user namespace). By
 * cgroup: a __u64 cgroup v2 id. The default rule: __u32 index 0.
 */
#define IOASID_RULE_ID_KEY(vendor, device) \
	((__u32)(vendor) << 16 | (__u32)(device))
#define IOASID_RULE_SUBSYS_KEY(subvendor, subdevice) \
	IOASID_RULE_ID_KEY(subvendor, subdevice)
#define IOASID_DRIVER_KEY_LEN		IOASID_NAME_LEN

/**
 * enum ioasid_rule_action - what an operator rule does
 * @IOASID_RULE_DEFER: no opinion: the next policy decides
 * @IOASID_RULE_ALLOW: allow, with the rule's snoop mode and grants
 * @IOASID_RULE_DENY: refuse with @deny_errno (EPERM when 0)
 */
enum ioasid_rule_action {
	IOASID_RULE_DEFER = 0,
	IOASID_RULE_ALLOW = 1,
	IOASID_RULE_DENY = 2,
};

/**
 * enum ioasid_rule_flags - grants of an ALLOW rule
 * @IOASID_RULE_F_FLUSH: grant the cache flush at @flush_rate/@flush_burst
 * @IOASID_RULE_F_PASID: allow PASIDs @pasid_min..@pasid_max
 */
enum ioasid_rule_flags {
	IOASID_RULE_F_FLUSH = 1 << 0,
	IOASID_RULE_F_PASID = 1 << 1,
};

/**
 * struct ioasid_rule - one operator rule (value of the nosnoop_rules maps;
 *	one default rule applies when no other matches)
 * @action: enum ioasid_rule_action
 * @snoop: enum ioasid_snoop_mode (DEFAULT: the built-in rule)
 * @flags: enum ioasid_rule_flags
 * @flush_rate: cache flushes per second (0: unlimited)
 * @flush_burst: cache flushes at once
 * @pasid_min: first allowed PASID (1 .. IOASID_PASID_MAX)
 * @pasid_max: last allowed PASID (at most IOASID_PASID_MAX)
 * @deny_errno: positive errno for DENY (0: EPERM, at most IOASID_MAX_ERRNO)
 */
struct ioasid_rule {
	__u32 action;
	__u32 snoop;
	__u32 flags;
	__u32 flush_rate;
	__u32 flush_burst;
	__u32 pasid_min;
	__u32 pasid_max;
	__u32 deny_errno;
};

#endif /* __IOASID_RULES_H */
