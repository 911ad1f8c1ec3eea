/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access-list compilation (acl.h): rules to distinct prefixes, each
 * prefix's set of lists inherited down the chain of prefixes above it,
 * and the two LPM tables that map an address to its longest prefix's set.
 * Runs on the main lcore, never on a worker.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "acl.h"

/* rte_lpm6 keeps its first 24 bits in one table, then 8 bits per group. */
#define LPM6_TBL24_BITS 24u
#define LPM6_GROUP_BITS 8u

struct pfx {
	uint8_t addr[16]; /* masked to depth */
	uint8_t family;
	uint8_t depth;
	uint8_t kind;
	uint8_t pad;
	uint16_t scope;
	uint16_t pad2;
};

static uint32_t acl_serial; /* unique LPM names (main lcore only) */

static void mask_addr(uint8_t *a, uint8_t depth)
{
	if (depth >= 128)
		return;
	a[depth / 8] &= (uint8_t)(0xff00u >> (depth % 8));
	memset(a + depth / 8 + 1, 0, 15u - depth / 8);
}

static int cmp_pfx(const void *pa, const void *pb)
{
	const struct pfx *a = pa, *b = pb;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	c = memcmp(a->addr, b->addr, 16);
	if (c)
		return c;
	return a->scope < b->scope ? -1 : a->scope > b->scope;
}

static int same_prefix(const struct pfx *a, const struct pfx *b)
{
	return a->family == b->family && a->depth == b->depth &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

static int check_rule(const struct acl_rule *r, uint32_t i, char *err,
		      size_t err_len)
{
	uint8_t max = r->family == EP_AF_INET ? 32 : 128;

	if (r->family != EP_AF_INET && r->family != EP_AF_INET6) {
		snprintf(err, err_len, "rule %u: family %u is not IPv4 or IPv6",
			 i, r->family);
		return -EINVAL;
	}
	if (r->depth > max) {
		snprintf(err, err_len,
			 "rule %u: prefix length %u is past %s's %u", i,
			 r->depth, r->family == EP_AF_INET ? "IPv4" : "IPv6",
			 max);
		return -EINVAL;
	}
	if (r->kind != ACL_DENY && r->kind != ACL_ALLOW) {
		snprintf(err, err_len, "rule %u: kind %u is not deny or allow",
			 i, r->kind);
		return -EINVAL;
	}
	if (r->scope != ACL_SCOPE_GLOBAL && r->scope >= ACL_MAX_SCOPES) {
		snprintf(err, err_len, "rule %u: scope %u is not a service id",
			 i, r->scope);
		return -EINVAL;
	}
	if (r->family == EP_AF_INET &&
	    (r->addr[4] | r->addr[5] | r->addr[6] | r->addr[7] | r->addr[8] |
	     r->addr[9] | r->addr[10] | r->addr[11] | r->addr[12] |
	     r->addr[13] | r->addr[14] | r->addr[15])) {
		snprintf(err, err_len,
			 "rule %u: IPv4 address with bytes past 4", i);
		return -EINVAL;
	}
	return 0;
}

static int cmp_bytes16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/*
 * Second-level groups an LPM needs for the distinct prefixes `p` (sorted,
 * one family): one per distinct first-`level` bits among prefixes longer
 * than `level`, for each level from the first table's width on.
 */
static int64_t count_groups(const struct pfx *p, uint32_t n, uint8_t family)
{
	uint32_t first = family == EP_AF_INET ? 24 : LPM6_TBL24_BITS;
	uint32_t last = family == EP_AF_INET ? 24 : 120;
	uint8_t(*keys)[16] = malloc((size_t)(n ? n : 1) * 16);
	int64_t groups = 0;

	if (keys == NULL)
		return -ENOMEM;
	for (uint32_t level = first; level <= last; level += LPM6_GROUP_BITS) {
		uint32_t k = 0;

		for (uint32_t i = 0; i < n; i++) {
			if (p[i].depth <= level)
				continue;
			memcpy(keys[k], p[i].addr, 16);
			mask_addr(keys[k], (uint8_t)level);
			k++;
		}
		qsort(keys, k, 16, cmp_bytes16);
		for (uint32_t i = 0; i < k; i++)
			if (i == 0 || memcmp(keys[i], keys[i - 1], 16) != 0)
				groups++;
	}
	free(keys);
	return groups;
}

struct builder {
	struct acl *a;
	struct acl_scope_flags *scopes; /* grows */
	uint32_t n_scopes, cap_scopes;
};

static int push_scope(struct builder *b, uint16_t scope, uint8_t flags)
{
	if (b->n_scopes == b->cap_scopes) {
		uint32_t cap = b->cap_scopes ? b->cap_scopes * 2 : 1024;
		void *p = realloc(b->scopes, (size_t)cap * sizeof(*b->scopes));

		if (p == NULL)
			return -ENOMEM;
		b->scopes = p;
		b->cap_scopes = cap;
	}
	b->scopes[b->n_scopes++] =
		(struct acl_scope_flags){ .scope = scope, .flags = flags };
	return 0;
}

/*
 * Set `id`: the parent set's lists merged with the direct rules
 * p[from..to) (sorted by scope), flags OR'ed per scope.
 */
static int make_set(struct builder *b, uint32_t id, uint32_t parent,
		    const struct pfx *p, uint32_t from, uint32_t to)
{
	struct acl_set *s = &b->a->sets[id];
	const struct acl_set *ps = &b->a->sets[parent];
	uint32_t i = 0, j = from, start = b->n_scopes;
	int rc = 0;

	s->global = ps->global;
	for (uint32_t k = from; k < to; k++)
		if (p[k].scope == ACL_SCOPE_GLOBAL)
			s->global |= p[k].kind;
	while (rc == 0 && (i < ps->n_scopes || j < to)) {
		const struct acl_scope_flags *pf =
			i < ps->n_scopes ? &b->scopes[ps->first_scope + i]
					 : NULL;
		uint16_t scope;
		uint8_t flags = 0;

		if (j < to && p[j].scope == ACL_SCOPE_GLOBAL) {
			j++;
			continue;
		}
		scope = pf && (j == to || pf->scope <= p[j].scope) ? pf->scope
								   : p[j].scope;
		if (pf && pf->scope == scope) {
			flags = pf->flags;
			i++;
		}
		while (j < to && p[j].scope == scope)
			flags |= p[j++].kind;
		rc = push_scope(b, scope, flags);
	}
	s->first_scope = start;
	s->n_scopes = b->n_scopes - start;
	return rc;
}

static int lpm_parent(const struct acl *a, const struct pfx *p)
{
	uint32_t id, ip;

	if (p->family == EP_AF_INET) {
		if (a->lpm4 == NULL)
			return (int)a->default4;
		memcpy(&ip, p->addr, 4);
		return rte_lpm_lookup(a->lpm4, rte_be_to_cpu_32(ip), &id) == 0
			       ? (int)id
			       : (int)a->default4;
	}
	if (a->lpm6 && rte_lpm6_lookup(a->lpm6, p->addr, &id) == 0)
		return (int)id;
	return (int)a->default6;
}

static int lpm_add(struct acl *a, const struct pfx *p, uint32_t id)
{
	uint32_t ip;

	if (p->depth == 0) {
		if (p->family == EP_AF_INET)
			a->default4 = id;
		else
			a->default6 = id;
		return 0;
	}
	if (p->family == EP_AF_INET) {
		memcpy(&ip, p->addr, 4);
		return rte_lpm_add(a->lpm4, rte_be_to_cpu_32(ip), p->depth, id);
	}
	return rte_lpm6_add(a->lpm6, p->addr, p->depth, id);
}

/* Create the LPM tables the distinct prefixes p[0..n) need. */
static int create_lpms(struct acl *a, const struct pfx *p, uint32_t n,
		       int socket_id, char *err, size_t err_len)
{
	uint32_t n4 = 0, n6 = 0, first6 = n;
	char name[RTE_LPM_NAMESIZE];
	int64_t g4, g6;

	for (uint32_t i = 0; i < n; i++) {
		if (p[i].family == EP_AF_INET6 && first6 == n)
			first6 = i;
		if (p[i].depth == 0)
			continue;
		if (p[i].family == EP_AF_INET)
			n4++;
		else
			n6++;
	}
	g4 = count_groups(p, first6, EP_AF_INET);
	g6 = count_groups(p + first6, n - first6, EP_AF_INET6);
	if (g4 < 0 || g6 < 0)
		return -ENOMEM;
	acl_serial++;
	if (n4) {
		struct rte_lpm_config c = { .max_rules = n4,
					    .number_tbl8s = (uint32_t)g4 + 1 };

		snprintf(name, sizeof(name), "ep_acl4_%u", acl_serial);
		a->lpm4 = rte_lpm_create(name, socket_id, &c);
		if (a->lpm4 == NULL)
			goto fail;
	}
	if (n6) {
		struct rte_lpm6_config c = { .max_rules = n6,
					     .number_tbl8s = (uint32_t)g6 + 1 };

		snprintf(name, sizeof(name), "ep_acl6_%u", acl_serial);
		a->lpm6 = rte_lpm6_create(name, socket_id, &c);
		if (a->lpm6 == NULL)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, err_len,
		 "no memory for the LPM tables (%u IPv4, %u IPv6 prefixes): %s",
		 n4, n6, rte_strerror(rte_errno));
	return -ENOMEM;
}

/* Sort, merge duplicates, count scopes' lists; p is rewritten in place. */
static int load_rules(struct acl *a, const struct acl_rule *rules, uint32_t n,
		      struct pfx *p, char *err, size_t err_len)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct acl_rule *r = &rules[i];
		int rc = check_rule(r, i, err, err_len);

		if (rc)
			return rc;
		memset(&p[i], 0, sizeof(p[i]));
		memcpy(p[i].addr, r->addr, 16);
		mask_addr(p[i].addr, r->depth);
		p[i].family = r->family;
		p[i].depth = r->depth;
		p[i].kind = r->kind;
		p[i].scope = r->scope;
		if (r->scope == ACL_SCOPE_GLOBAL)
			a->global_has |= r->kind;
		else
			a->scope_has[r->scope] |= r->kind;
	}
	qsort(p, n, sizeof(*p), cmp_pfx);
	return 0;
}

static int build_sets(struct acl *a, struct pfx *p, uint32_t n, int socket_id,
		      char *err, size_t err_len)
{
	struct builder b = { .a = a };
	uint32_t n_distinct = 0, id = 0;
	int rc;

	for (uint32_t i = 0; i < n; i++)
		if (i == 0 || !same_prefix(&p[i], &p[i - 1]))
			n_distinct++;
	a->sets = rte_zmalloc_socket(
		"ep_acl_sets", (size_t)(n_distinct + 1) * sizeof(*a->sets), 64,
		socket_id);
	if (a->sets == NULL)
		return -ENOMEM;
	a->n_sets = n_distinct + 1;
	rc = create_lpms(a, p, n, socket_id, err, err_len);
	/* Parents before children: sorted by family, then depth. */
	for (uint32_t i = 0; rc == 0 && i < n;) {
		uint32_t end = i + 1;

		while (end < n && same_prefix(&p[end], &p[i]))
			end++;
		id++;
		rc = make_set(&b, id,
			      p[i].depth ? (uint32_t)lpm_parent(a, &p[i]) : 0,
			      p, i, end);
		if (rc == 0 && lpm_add(a, &p[i], id) != 0) {
			snprintf(err, err_len, "LPM table full at prefix %u",
				 id);
			rc = -ENOSPC;
		}
		i = end;
	}
	if (rc == 0) {
		a->scopes = rte_malloc_socket(
			"ep_acl_scopes",
			(size_t)(b.n_scopes ? b.n_scopes : 1) *
				sizeof(*a->scopes),
			64, socket_id);
		if (a->scopes == NULL)
			rc = -ENOMEM;
		else if (b.n_scopes)
			memcpy(a->scopes, b.scopes,
			       (size_t)b.n_scopes * sizeof(*a->scopes));
		a->n_scope_entries = b.n_scopes;
	}
	free(b.scopes);
	return rc;
}

int acl_build(const struct acl_rule *rules, uint32_t n, int socket_id,
	      struct acl **out, char *err, size_t err_len)
{
	struct acl *a = NULL;
	struct pfx *p = NULL;
	int rc;

	*out = NULL;
	if (err_len)
		err[0] = '\0';
	if (n == 0)
		return 0;
	if (n > ACL_MAX_RULES) {
		snprintf(err, err_len, "%u rules: at most %u", n,
			 ACL_MAX_RULES);
		return -EINVAL;
	}
	a = rte_zmalloc_socket("ep_acl", sizeof(*a), 64, socket_id);
	p = malloc((size_t)n * sizeof(*p));
	if (a == NULL || p == NULL) {
		snprintf(err, err_len, "no memory for %u ACL rules", n);
		rc = -ENOMEM;
		goto fail;
	}
	a->n_rules = n;
	rc = load_rules(a, rules, n, p, err, err_len);
	if (rc == 0)
		rc = build_sets(a, p, n, socket_id, err, err_len);
	if (rc != 0)
		goto fail;
	free(p);
	*out = a;
	return 0;
fail:
	if (rc == -ENOMEM && err[0] == '\0')
		snprintf(err, err_len, "no memory for %u ACL rules", n);
	free(p);
	acl_free(a);
	return rc;
}

void acl_free(struct acl *a)
{
	if (a == NULL)
		return;
	rte_lpm_free(a->lpm4);
	rte_lpm6_free(a->lpm6);
	rte_free(a->scopes);
	rte_free(a->sets);
	rte_free(a);
}

uint64_t acl_memory_bytes(const struct acl *a)
{
	uint64_t bytes;

	if (a == NULL)
		return 0;
	bytes = sizeof(*a) + (uint64_t)a->n_sets * sizeof(*a->sets) +
		(uint64_t)a->n_scope_entries * sizeof(*a->scopes);
	if (a->lpm4)
		bytes += (uint64_t)RTE_LPM_TBL24_NUM_ENTRIES * 4;
	if (a->lpm6)
		bytes += (uint64_t)(1u << 24) * 4;
	return bytes;
}
