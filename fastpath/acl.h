/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access lists: allow and deny lists of CIDR prefixes, IPv4 and IPv6,
 * global and per service, compiled off the hot path into one rte_lpm
 * (IPv4) and one rte_lpm6 (IPv6) for every list at once. Every prefix
 * that covers an address lies on one chain of nested prefixes, so the
 * longest match's next hop names a "set": the lists of that prefix and of
 * every shorter prefix that covers it, computed at build. One LPM lookup
 * then answers for every list.
 *
 * Verdict for a client address and a service: denied when a deny prefix
 * of the global list or of the service's list covers it (deny wins over
 * any allow), or when the global allow list is not empty and none of its
 * prefixes covers it, or when the service's allow list is not empty and
 * none of its prefixes covers it. An allow list holds for both families:
 * one with IPv4 prefixes only denies every IPv6 client (add ::/0).
 *
 * Memory: each family that has a prefix longer than /0 costs its LPM's
 * 2^24-entry first table (64 MiB) plus 1 KiB per second-level group
 * (acl_build() counts exactly the groups its prefixes need), plus 8 bytes
 * per distinct prefix and 4 per (prefix, inherited service list) pair.
 */
#ifndef EP_ACL_H
#define EP_ACL_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "ep_abi.h"

/* Rule kinds, also the bits of a set's flags. */
#define ACL_DENY 0x1u
#define ACL_ALLOW 0x2u

#define ACL_SCOPE_GLOBAL 0xffffu /* the global lists */
#define ACL_MAX_SCOPES EP_MAX_SERVICES /* per-service scopes: stats ids */
#define ACL_MAX_RULES (1u << 20) /* rte_lpm6 next hops have 21 bits */

struct acl_rule {
	uint8_t addr[16]; /* network order; bits past depth are ignored */
	uint8_t family; /* EP_AF_INET or EP_AF_INET6 */
	uint8_t depth; /* 0..32 or 0..128 */
	uint8_t kind; /* ACL_DENY or ACL_ALLOW */
	uint8_t pad;
	uint16_t scope; /* a service's stats id, or ACL_SCOPE_GLOBAL */
	uint16_t pad2;
};

/* The lists a matched prefix (and every prefix above it) belongs to. */
struct acl_set {
	uint8_t global; /* ACL_DENY / ACL_ALLOW of the global lists */
	uint8_t pad;
	uint16_t pad2;
	uint32_t n_scopes; /* services with lists here */
	uint32_t first_scope; /* into acl->scopes, sorted by scope */
	uint32_t pad3;
};

struct acl_scope_flags {
	uint16_t scope;
	uint8_t flags; /* ACL_DENY / ACL_ALLOW */
	uint8_t pad;
};

struct acl {
	struct rte_lpm *lpm4; /* NULL when no IPv4 prefix is longer than /0 */
	struct rte_lpm6 *lpm6; /* likewise for IPv6 */
	struct acl_set *sets; /* [0] = the empty set */
	struct acl_scope_flags *scopes;
	uint32_t default4; /* the set when the IPv4 LPM misses (/0's) */
	uint32_t default6;
	uint32_t n_rules;
	uint32_t n_sets; /* distinct prefixes + 1 */
	uint32_t n_scope_entries;
	uint8_t global_has; /* ACL_DENY / ACL_ALLOW: the global lists used */
	uint8_t pad[3];
	uint8_t scope_has[ACL_MAX_SCOPES]; /* per service, likewise */
};

/*
 * Compile `n` rules (<= ACL_MAX_RULES) on `socket_id`. Duplicate prefixes
 * merge; a prefix in both lists of one scope is both allowed and denied,
 * so denied. Returns 0 and *out (NULL when n is 0: everything passes), or
 * a negative errno with a sentence naming the rule in `err`: -EINVAL
 * (family, depth past the family, kind, scope), -ENOMEM, -ENOSPC (LPM).
 */
int acl_build(const struct acl_rule *rules, uint32_t n, int socket_id,
	      struct acl **out, char *err, size_t err_len);

void acl_free(struct acl *a);

/* Bytes an ACL holds (the LPM tables included). */
uint64_t acl_memory_bytes(const struct acl *a);

/* The set of the longest prefix covering `addr`. */
static inline const struct acl_set *
acl_match(const struct acl *a, const uint8_t addr[16], uint8_t family)
{
	uint32_t id, ip;

	if (family == EP_AF_INET) {
		id = a->default4;
		if (a->lpm4) {
			memcpy(&ip, addr, 4);
			if (rte_lpm_lookup(a->lpm4, rte_be_to_cpu_32(ip),
					   &id) != 0)
				id = a->default4;
		}
	} else {
		id = a->default6;
		if (a->lpm6 && rte_lpm6_lookup(a->lpm6, addr, &id) != 0)
			id = a->default6;
	}
	return &a->sets[id];
}

/* A service's flags in a set (binary search; sets are short). */
static inline uint8_t acl_scope_flags(const struct acl *a,
				      const struct acl_set *s, uint16_t scope)
{
	const struct acl_scope_flags *f = &a->scopes[s->first_scope];
	uint32_t lo = 0, hi = s->n_scopes;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (f[mid].scope == scope)
			return f[mid].flags;
		if (f[mid].scope < scope)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * Whether `a` denies the client `addr` for the service whose stats id is
 * `scope` (ACL_SCOPE_GLOBAL: the global lists only). A NULL ACL denies
 * nothing.
 */
static inline int acl_denied(const struct acl *a, const uint8_t addr[16],
			     uint8_t family, uint16_t scope)
{
	const struct acl_set *s;
	uint8_t has, f;

	if (a == NULL)
		return 0;
	s = acl_match(a, addr, family);
	if ((s->global & ACL_DENY) ||
	    ((a->global_has & ACL_ALLOW) && !(s->global & ACL_ALLOW)))
		return 1;
	has = scope < ACL_MAX_SCOPES ? a->scope_has[scope] : 0;
	if (has == 0)
		return 0;
	f = acl_scope_flags(a, s, scope);
	return (f & ACL_DENY) || ((has & ACL_ALLOW) && !(f & ACL_ALLOW));
}

#endif /* EP_ACL_H */
