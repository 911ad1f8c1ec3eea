/* SPDX-License-Identifier: BSD-3-Clause */
/* The flat configuration's one checker (see flat_check.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>

#include "flat_check.h"

struct flat_ctx {
	const void *buf;
	struct ep_cfg_hdr h;
	char *err;
	size_t err_len;
	uint32_t next_backend; /* first backend no service has claimed */
	uint64_t seen_svc[EP_MAX_SERVICES / 64]; /* stats ids used */
	uint64_t seen_be[EP_MAX_BACKENDS / 64];
};

static int fail(struct flat_ctx *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct flat_ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	if (c->err != NULL && c->err_len > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->err_len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

bool ep_is_prime(uint32_t m)
{
	uint64_t d;

	if (m < 2)
		return false;
	if (m % 2 == 0)
		return m == 2;
	/* 64-bit d so d * d cannot wrap for m near UINT32_MAX. */
	for (d = 3; d * d <= m; d += 2)
		if (m % d == 0)
			return false;
	return true;
}

/* Family 4 or 6 (or 0 when `may_be_unset`), pad and unused bytes zero. */
static bool ip_ok(const struct ep_ip *ip, bool may_be_unset)
{
	static const uint8_t zero[16];

	if (ip->pad[0] != 0 || ip->pad[1] != 0 || ip->pad[2] != 0)
		return false;
	if (ip->family == 0)
		return may_be_unset && memcmp(ip->bytes, zero, 16) == 0;
	if (ip->family == EP_AF_INET)
		return memcmp(ip->bytes + 4, zero, 12) == 0;
	return ip->family == EP_AF_INET6;
}

/* Mark `id` used in `set`; false when it already was. */
static bool first_use(uint64_t *set, uint32_t id)
{
	uint64_t bit = 1ull << (id % 64);

	if (set[id / 64] & bit)
		return false;
	set[id / 64] |= bit;
	return true;
}

struct flat_region {
	const char *what;
	uint32_t off;
	uint32_t n;
	size_t size;
};

#define FLAT_ALIGN 8u

static uint64_t region_end(const struct flat_region *r)
{
	return (uint64_t)r->off + (uint64_t)r->n * r->size;
}

static int check_regions(struct flat_ctx *c)
{
	const struct ep_cfg_hdr *h = &c->h;
	const struct flat_region r[4] = {
		{ "node_addrs", h->off_node_addrs, h->n_node_addrs,
		  sizeof(struct ep_cfg_node_addr) },
		{ "services", h->off_services, h->n_services,
		  sizeof(struct ep_cfg_service) },
		{ "backends", h->off_backends, h->n_backends,
		  sizeof(struct ep_cfg_backend) },
		{ "acl_rules", h->off_acl_rules, h->n_acl_rules,
		  sizeof(struct ep_cfg_acl_rule) },
	};

	for (int i = 0; i < 4; i++)
		if ((i == 3 && r[i].n == 0 && r[i].off == 0))
			continue; /* no ACL rules: the offset may be unset */
		else if (r[i].off < sizeof(*h) || r[i].off % FLAT_ALIGN != 0 ||
			 region_end(&r[i]) > h->total_len)
			return fail(c, -EINVAL,
				    "flat.off_%s: %u entries of %zu bytes at "
				    "offset %u do not fit after the header "
				    "within total_len %u (alignment %u)",
				    r[i].what, r[i].n, r[i].size, r[i].off,
				    h->total_len, FLAT_ALIGN);
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++) {
			const struct flat_region *a = &r[i], *b = &r[j];

			if (a->n != 0 && b->n != 0 && a->off < region_end(b) &&
			    b->off < region_end(a))
				return fail(c, -EINVAL,
					    "flat: %s and %s overlap", a->what,
					    b->what);
		}
	return 0;
}

static int check_node_client_limits(struct flat_ctx *c,
				    const struct ep_cfg_node *n);

static int check_header(struct flat_ctx *c, size_t len)
{
	const struct ep_cfg_hdr *h = &c->h;
	int rc;

	if (c->buf == NULL || len < sizeof(*h))
		return fail(c, -EINVAL,
			    "flat: %zu bytes, shorter than the %zu-byte header",
			    c->buf == NULL ? (size_t)0 : len, sizeof(*h));
	ep_flat_header(c->buf, &c->h);
	if (h->magic != EP_CFG_MAGIC)
		return fail(c, -EINVAL, "flat.magic: 0x%08x, expected 0x%08x",
			    h->magic, EP_CFG_MAGIC);
	if (h->abi_version != EP_ABI_VERSION)
		return fail(c, -EPROTO, "flat.abi_version: %u, expected %u",
			    h->abi_version, EP_ABI_VERSION);
	if (h->total_len < sizeof(*h) || h->total_len > len)
		return fail(c, -EINVAL,
			    "flat.total_len: %u, must be %zu..%zu (the buffer)",
			    h->total_len, sizeof(*h), len);
	if (h->n_services > EP_MAX_SERVICES ||
	    h->n_backends > EP_MAX_BACKENDS ||
	    h->n_node_addrs > EP_MAX_NODE_ADDRS ||
	    h->n_acl_rules > EP_MAX_ACL_RULES)
		return fail(c, -E2BIG,
			    "flat: counts %u services, %u backends, %u node "
			    "addresses, %u ACL rules exceed %u, %u, %u, %u",
			    h->n_services, h->n_backends, h->n_node_addrs,
			    h->n_acl_rules, EP_MAX_SERVICES, EP_MAX_BACKENDS,
			    EP_MAX_NODE_ADDRS, EP_MAX_ACL_RULES);
	if ((h->node.flags & ~EP_NODE_F_MAGLEV_FRESH) != 0)
		return fail(c, -EINVAL, "flat.node.flags: unknown bits 0x%x",
			    h->node.flags & ~EP_NODE_F_MAGLEV_FRESH);
	if (!ip_ok(&h->node.encap_src4, true) ||
	    !ip_ok(&h->node.encap_src6, true))
		return fail(c, -EINVAL,
			    "flat.node: malformed encap source address");
	if (h->node.syn_guard_rate > (1ull << 40) ||
	    (h->node.syn_guard_rate == 0) != (h->node.syn_guard_burst == 0) ||
	    h->node.syn_guard_burst > h->node.syn_guard_rate * 600)
		return fail(c, -EINVAL,
			    "flat.node: syn guard rate %llu, burst %llu not "
			    "valid",
			    (unsigned long long)h->node.syn_guard_rate,
			    (unsigned long long)h->node.syn_guard_burst);
	if ((h->node.syn_cookie_flags &
	     ~(EP_SYN_COOKIE_F_KEY | EP_SYN_COOKIE_F_PREV)) != 0 ||
	    h->node.syn_cookie_flags == EP_SYN_COOKIE_F_PREV)
		return fail(c, -EINVAL,
			    "flat.node.syn_cookie_flags: 0x%x not valid",
			    h->node.syn_cookie_flags);
	rc = check_node_client_limits(c, &h->node);
	return rc ? rc : check_regions(c);
}

static bool known_modes(const struct ep_cfg_service *s)
{
	return (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP) &&
	       s->fwd_mode >= EP_FWD_DSR && s->fwd_mode <= EP_FWD_NAT &&
	       s->sched >= EP_SCHED_MAGLEV && s->sched <= EP_SCHED_LC;
}

static const char *const limit_names[EP_LIMIT_N] = {
	[EP_LIMIT_PPS] = "packets_per_second",
	[EP_LIMIT_BPS] = "bytes_per_second",
	[EP_LIMIT_CPS] = "connections_per_second",
	[EP_LIMIT_CLIENT_PPS] = "per_client.packets_per_second",
	[EP_LIMIT_CLIENT_CPS] = "per_client.connections_per_second",
};

/* A limit: off and all zero, or a known mode with a usable rate and
 * burst (the rules of docs/config.md). */
static bool limit_ok(const struct ep_cfg_limit *l)
{
	static const uint8_t zero[7];

	if (memcmp(l->pad, zero, sizeof(zero)) != 0)
		return false;
	if (l->mode == EP_LIMIT_OFF)
		return l->rate == 0 && l->burst == 0;
	if (l->mode != EP_LIMIT_TOKEN_BUCKET &&
	    l->mode != EP_LIMIT_LEAKY_BUCKET)
		return false;
	if (l->rate == 0 || l->rate > (1ull << 40) || l->burst > l->rate * 600)
		return false;
	return l->mode != EP_LIMIT_TOKEN_BUCKET || l->burst >= 1;
}

/* The global per-client limits (policing.per_client). */
static int check_node_client_limits(struct flat_ctx *c,
				    const struct ep_cfg_node *n)
{
	static const char *const names[EP_CLIENT_LIMIT_N] = {
		[EP_CLIENT_LIMIT_PPS] = "packets_per_second",
		[EP_CLIENT_LIMIT_CPS] = "connections_per_second",
	};
	static const uint8_t zero[7];

	if (n->client_v6_prefix > 128 ||
	    memcmp(n->pad2, zero, sizeof(zero)) != 0)
		return fail(c, -EINVAL,
			    "flat.node.client_v6_prefix: %u past 128",
			    n->client_v6_prefix);
	for (uint32_t k = 0; k < EP_CLIENT_LIMIT_N; k++)
		if (!limit_ok(&n->client_limits[k]))
			return fail(
				c, -EINVAL,
				"flat.node.client_limits.%s: mode %u, "
				"rate %llu, burst %llu not valid",
				names[k], n->client_limits[k].mode,
				(unsigned long long)n->client_limits[k].rate,
				(unsigned long long)n->client_limits[k].burst);
	return 0;
}

static int check_limits(struct flat_ctx *c, const struct ep_cfg_service *s,
			uint32_t i)
{
	if (s->client_v6_prefix > 128 || s->pad != 0)
		return fail(c, -EINVAL,
			    "flat.services[%u].client_v6_prefix: %u past 128",
			    i, s->client_v6_prefix);
	for (uint32_t k = 0; k < EP_LIMIT_N; k++)
		if (!limit_ok(&s->limits[k]))
			return fail(c, -EINVAL,
				    "flat.services[%u].limits.%s: mode %u, "
				    "rate %llu, burst %llu not valid",
				    i, limit_names[k], s->limits[k].mode,
				    (unsigned long long)s->limits[k].rate,
				    (unsigned long long)s->limits[k].burst);
	return 0;
}

static int check_acl_rule(struct flat_ctx *c, const struct ep_cfg_acl_rule *r,
			  uint32_t i)
{
	uint32_t max = r->prefix.family == EP_AF_INET ? 32 : 128;

	if (!ip_ok(&r->prefix, false) || r->depth > max || r->pad != 0 ||
	    r->pad2 != 0)
		return fail(c, -EINVAL,
			    "flat.acl_rules[%u]: malformed prefix or length %u",
			    i, r->depth);
	for (uint32_t b = r->depth; b < max; b++)
		if (r->prefix.bytes[b / 8] & (0x80u >> (b % 8)))
			return fail(c, -EINVAL,
				    "flat.acl_rules[%u]: bits set past /%u", i,
				    r->depth);
	if (r->kind != EP_ACL_DENY && r->kind != EP_ACL_ALLOW)
		return fail(c, -EINVAL, "flat.acl_rules[%u].kind: %u unknown",
			    i, r->kind);
	if (r->scope != EP_ACL_SCOPE_GLOBAL && r->scope >= c->h.n_services)
		return fail(c, -EINVAL,
			    "flat.acl_rules[%u].scope: %u is no service", i,
			    r->scope);
	return 0;
}

static int check_service(struct flat_ctx *c, const struct ep_cfg_service *s,
			 uint32_t i)
{
	uint32_t m = s->maglev_size ? s->maglev_size : EP_MAGLEV_DEFAULT_SIZE;

	if (memchr(s->name, '\0', EP_NAME_LEN) == NULL)
		return fail(c, -EINVAL,
			    "flat.services[%u].name: not NUL-terminated", i);
	if (!ip_ok(&s->vip, false))
		return fail(c, -EINVAL,
			    "flat.services[%u].vip: malformed address", i);
	if (!known_modes(s))
		return fail(c, -EINVAL,
			    "flat.services[%u]: proto %u, fwd_mode %u or sched "
			    "%u out of range",
			    i, s->proto, s->fwd_mode, s->sched);
	if ((s->flags & ~(EP_SVC_F_AFFINITY | EP_SVC_F_GUE |
			  EP_SVC_F_SYN_PROXY | EP_SVC_F_RESET_ON_DOWN)) != 0 ||
	    ((s->flags & EP_SVC_F_GUE) && s->fwd_mode != EP_FWD_ENCAP) ||
	    ((s->flags & EP_SVC_F_SYN_PROXY) &&
	     (s->fwd_mode != EP_FWD_NAT || s->proto != IPPROTO_TCP)))
		return fail(c, -EINVAL,
			    "flat.services[%u].flags: 0x%x not valid here", i,
			    s->flags);
	if (s->stats_id >= EP_MAX_SERVICES ||
	    !first_use(c->seen_svc, s->stats_id))
		return fail(c, -EINVAL,
			    "flat.services[%u].stats_id: %u out of range or "
			    "used twice",
			    i, s->stats_id);
	if (s->first_backend != c->next_backend ||
	    s->n_backends > c->h.n_backends - c->next_backend)
		return fail(c, -EINVAL,
			    "flat.services[%u]: backends %u+%u, expected to "
			    "start at %u within %u",
			    i, s->first_backend, s->n_backends, c->next_backend,
			    c->h.n_backends);
	/* The default size is prime (test_maglev checks): skip its trial
	 * division, about 128 divides per service. */
	if (s->n_backends > UINT16_MAX - 1 ||
	    (m != EP_MAGLEV_DEFAULT_SIZE && !ep_is_prime(m)) ||
	    m > EP_MAGLEV_MAX_SIZE || m < s->n_backends)
		return fail(c, -EINVAL,
			    "services[%u].maglev_table_size: %u unusable for "
			    "%u backends",
			    i, m, s->n_backends);
	c->next_backend += s->n_backends;
	return check_limits(c, s, i);
}

static int check_backend(struct flat_ctx *c, const struct ep_cfg_backend *b,
			 uint32_t i)
{
	if (!ip_ok(&b->addr, false))
		return fail(c, -EINVAL,
			    "flat.backends[%u].addr: malformed address", i);
	if (b->state > EP_BE_DRAIN || b->has_mac > 1)
		return fail(c, -EINVAL,
			    "flat.backends[%u]: state %u or has_mac %u out of "
			    "range",
			    i, b->state, b->has_mac);
	if (b->priority > EP_BE_PRIORITY_MAX ||
	    (b->flags & ~EP_BE_F_HEALTH_DOWN) != 0 ||
	    ((b->flags & EP_BE_F_HEALTH_DOWN) && b->state != EP_BE_DOWN))
		return fail(c, -EINVAL,
			    "flat.backends[%u]: priority %u or flags 0x%x not "
			    "valid",
			    i, b->priority, b->flags);
	if (b->stats_id >= EP_MAX_BACKENDS ||
	    !first_use(c->seen_be, b->stats_id))
		return fail(c, -EINVAL,
			    "flat.backends[%u].stats_id: %u out of range or "
			    "used twice",
			    i, b->stats_id);
	return 0;
}

static int check_entries(struct flat_ctx *c)
{
	const struct ep_cfg_hdr *h = &c->h;
	struct ep_cfg_service s;
	struct ep_cfg_backend b;
	struct ep_cfg_node_addr na;
	int rc = 0;

	for (uint32_t i = 0; rc == 0 && i < h->n_services; i++) {
		ep_flat_service(c->buf, h, i, &s);
		rc = check_service(c, &s, i);
	}
	if (rc == 0 && c->next_backend != h->n_backends)
		rc = fail(c, -EINVAL,
			  "flat.n_backends: %u, but services use %u",
			  h->n_backends, c->next_backend);
	for (uint32_t i = 0; rc == 0 && i < h->n_backends; i++) {
		ep_flat_backend(c->buf, h, i, &b);
		rc = check_backend(c, &b, i);
	}
	for (uint32_t i = 0; rc == 0 && i < h->n_acl_rules; i++) {
		struct ep_cfg_acl_rule r;

		memcpy(&r,
		       (const uint8_t *)c->buf + h->off_acl_rules +
			       (size_t)i * sizeof(r),
		       sizeof(r));
		rc = check_acl_rule(c, &r, i);
	}
	for (uint32_t i = 0; rc == 0 && i < h->n_node_addrs; i++) {
		ep_flat_node_addr(c->buf, h, i, &na);
		if (!ip_ok(&na.addr, false))
			rc = fail(c, -EINVAL,
				  "flat.node_addrs[%u].addr: malformed address",
				  i);
	}
	return rc;
}

int ep_flat_check(const void *buf, size_t len, char *err, size_t err_len)
{
	struct flat_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.buf = buf;
	c.err = err;
	c.err_len = err_len;
	rc = check_header(&c, len);
	if (rc == 0)
		rc = check_entries(&c);
	return rc;
}
