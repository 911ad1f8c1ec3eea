/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policing configuration (config_policing.h): ownership, comparison, the
 * canonical JSON members and the flat form's limits and ACL rules.
 */
#include "config_int.h"

static void free_acl(struct config_acl *a)
{
	free(a->prefixes);
	memset(a, 0, sizeof(*a));
}

void cpol_free_service(struct config_svc_policing *p)
{
	free_acl(&p->acl);
	memset(p, 0, sizeof(*p));
}

void cpol_free_global(struct config_policing *p)
{
	free_acl(&p->acl);
}

static int copy_acl(struct config_acl *dst, const struct config_acl *src)
{
	uint32_t n = src->n_allow + src->n_deny;

	*dst = *src;
	dst->prefixes = NULL;
	if (n == 0)
		return 0;
	dst->prefixes = malloc((size_t)n * sizeof(*dst->prefixes));
	if (dst->prefixes == NULL) {
		memset(dst, 0, sizeof(*dst));
		return -ENOMEM;
	}
	memcpy(dst->prefixes, src->prefixes,
	       (size_t)n * sizeof(*dst->prefixes));
	return 0;
}

int cpol_patch_service(const cJSON *body, const char *path,
		       struct config_svc_policing *p, struct config_error *err)
{
	static const char *const keys[] = { "limits", "acl", "syn_proxy",
					    NULL };
	struct config_svc_policing n;
	uint32_t prefixes = 0;
	int rc = cfg_check_object(body, path, keys, err);

	if (rc == 0 && body->child == NULL)
		rc = cfg_fail_at(err, path, NULL,
				 "needs \"limits\", \"acl\" or \"syn_proxy\"");
	if (rc == 0)
		rc = cpol_parse_service(body, path, &n, &prefixes, err);
	if (rc != 0)
		return rc;
	if (cJSON_GetObjectItemCaseSensitive(body, "limits") != NULL) {
		memcpy(p->limits, n.limits, sizeof(p->limits));
		p->client_v6_prefix = n.client_v6_prefix;
	}
	if (cJSON_GetObjectItemCaseSensitive(body, "acl") != NULL) {
		free_acl(&p->acl);
		p->acl = n.acl;
		memset(&n.acl, 0, sizeof(n.acl));
	}
	if (cJSON_GetObjectItemCaseSensitive(body, "syn_proxy") != NULL)
		p->syn_proxy = n.syn_proxy;
	cpol_free_service(&n);
	return 0;
}

/* One part of the global policing, cleared (PATCH with null). */
static void clear_global_part(struct config_policing *p, const char *key)
{
	if (strcmp(key, "acl") == 0)
		free_acl(&p->acl);
	else if (strcmp(key, "per_client") == 0)
		memset(&p->per_client, 0, sizeof(p->per_client));
	else if (strcmp(key, "syn_flood") == 0)
		memset(&p->syn_guard, 0, sizeof(p->syn_guard));
	else
		memset(&p->syn_cookie, 0, sizeof(p->syn_cookie));
}

/* One part of the global policing, taken from `n` (which keeps nothing
 * to free of it). */
static void take_global_part(struct config_policing *p,
			     struct config_policing *n, const char *key)
{
	if (strcmp(key, "acl") == 0) {
		free_acl(&p->acl);
		p->acl = n->acl;
		memset(&n->acl, 0, sizeof(n->acl));
	} else if (strcmp(key, "per_client") == 0) {
		p->per_client = n->per_client;
	} else if (strcmp(key, "syn_flood") == 0) {
		p->syn_guard = n->syn_guard;
	} else {
		p->syn_cookie = n->syn_cookie;
	}
}

int cpol_patch_global(const cJSON *body, struct config_policing *p,
		      struct config_error *err)
{
	static const char *const keys[] = { "acl", "per_client", "syn_flood",
					    "syn_cookie", NULL };
	struct config_policing n;
	uint32_t prefixes = 0;
	cJSON *root, *parts;
	int rc = cfg_check_object(body, "policing", keys, err);

	if (rc == 0 && body->child == NULL)
		rc = cfg_fail_at(err, "policing", NULL,
				 "needs \"acl\", \"per_client\", "
				 "\"syn_flood\" or \"syn_cookie\"");
	if (rc != 0)
		return rc;
	/* The whole document's "policing" parser on the parts that are not
	 * null (null removes a part): the same rules, the same paths. */
	root = cJSON_CreateObject();
	parts = cJSON_Duplicate(body, true);
	if (root == NULL || parts == NULL ||
	    !cJSON_AddItemToObject(root, "policing", parts)) {
		cJSON_Delete(root);
		cJSON_Delete(parts);
		return -ENOMEM;
	}
	for (size_t k = 0; keys[k] != NULL; k++)
		if (cJSON_IsNull(
			    cJSON_GetObjectItemCaseSensitive(parts, keys[k])))
			cJSON_DeleteItemFromObjectCaseSensitive(parts, keys[k]);
	rc = cpol_parse_global(root, &n, &prefixes, err);
	cJSON_Delete(root);
	if (rc != 0)
		return rc;
	for (size_t k = 0; keys[k] != NULL; k++) {
		const cJSON *v =
			cJSON_GetObjectItemCaseSensitive(body, keys[k]);

		if (cJSON_IsNull(v))
			clear_global_part(p, keys[k]);
		else if (v != NULL)
			take_global_part(p, &n, keys[k]);
	}
	cpol_free_global(&n);
	return 0;
}

int cpol_copy_service(struct config_svc_policing *dst,
		      const struct config_svc_policing *src)
{
	memcpy(dst->limits, src->limits, sizeof(dst->limits));
	dst->client_v6_prefix = src->client_v6_prefix;
	dst->syn_proxy = src->syn_proxy;
	return copy_acl(&dst->acl, &src->acl);
}

int cpol_copy_global(struct config_policing *dst,
		     const struct config_policing *src)
{
	dst->syn_guard = src->syn_guard;
	dst->syn_cookie = src->syn_cookie;
	dst->per_client = src->per_client;
	return copy_acl(&dst->acl, &src->acl);
}

static bool prefix_equal(const struct config_prefix *a,
			 const struct config_prefix *b)
{
	return a->addr.family == b->addr.family && a->depth == b->depth &&
	       a->kind == b->kind &&
	       memcmp(a->addr.bytes, b->addr.bytes, 16) == 0;
}

static bool acl_equal(const struct config_acl *a, const struct config_acl *b)
{
	if (a->n_allow != b->n_allow || a->n_deny != b->n_deny)
		return false;
	for (uint32_t i = 0; i < a->n_allow + a->n_deny; i++)
		if (!prefix_equal(&a->prefixes[i], &b->prefixes[i]))
			return false;
	return true;
}

static bool limits_equal(const struct config_limit *a,
			 const struct config_limit *b, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		if (a[k].mode != b[k].mode ||
		    (a[k].mode != EP_LIMIT_OFF &&
		     (a[k].rate != b[k].rate || a[k].burst != b[k].burst)))
			return false;
	return true;
}

bool cpol_equal_service(const struct config_svc_policing *a,
			const struct config_svc_policing *b)
{
	if (!limits_equal(a->limits, b->limits, CONFIG_N_LIMITS))
		return false;
	return a->client_v6_prefix == b->client_v6_prefix &&
	       a->syn_proxy == b->syn_proxy && acl_equal(&a->acl, &b->acl);
}

bool cpol_equal_global(const struct config_policing *a,
		       const struct config_policing *b)
{
	const struct config_syn_cookie *ca = &a->syn_cookie,
				       *cb = &b->syn_cookie;

	if (!limits_equal(a->per_client.limits, b->per_client.limits,
			  EP_CLIENT_LIMIT_N) ||
	    a->per_client.v6_prefix != b->per_client.v6_prefix)
		return false;
	return a->syn_guard.rate == b->syn_guard.rate &&
	       a->syn_guard.burst == b->syn_guard.burst &&
	       ca->has_secret == cb->has_secret &&
	       ca->has_previous == cb->has_previous &&
	       (!ca->has_secret ||
		memcmp(ca->secret, cb->secret, sizeof(ca->secret)) == 0) &&
	       (!ca->has_previous || memcmp(ca->previous, cb->previous,
					    sizeof(ca->previous)) == 0) &&
	       acl_equal(&a->acl, &b->acl);
}

/* A growing string; `failed` once out of memory. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void sb_add(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (int tries = 0; !b->failed && tries < 2; tries++) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL,
			      b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if (b->s && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = (b->cap + (size_t)n + 1) * 2;
			char *p = realloc(b->s, cap);

			if (p == NULL) {
				b->failed = true;
				return;
			}
			b->s = p;
			b->cap = cap;
		}
	}
}

static char *sb_done(struct sbuf *b)
{
	if (b->s == NULL && !b->failed)
		sb_add(b, "%s", "");
	if (b->failed) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

static void json_prefix_list(struct sbuf *b, const struct config_prefix *p,
			     uint32_t n)
{
	char ip[INET6_ADDRSTRLEN];

	sb_add(b, "[");
	for (uint32_t i = 0; i < n; i++) {
		inet_ntop(p[i].addr.family == EP_AF_INET ? AF_INET : AF_INET6,
			  p[i].addr.bytes, ip, sizeof(ip));
		sb_add(b, "%s\"%s/%u\"", i ? "," : "", ip, p[i].depth);
	}
	sb_add(b, "]");
}

/* `lead` goes before the member: "," inside an object with members. */
static void json_acl(struct sbuf *b, const struct config_acl *a,
		     const char *lead)
{
	sb_add(b, "%s\"acl\":{\"allow\":", lead);
	json_prefix_list(b, a->prefixes, a->n_allow);
	sb_add(b, ",\"deny\":");
	json_prefix_list(b, a->prefixes + a->n_allow, a->n_deny);
	sb_add(b, "}");
}

static void json_limit(struct sbuf *b, const struct config_limit *l,
		       const char *key, bool *first)
{
	if (l->mode == EP_LIMIT_OFF)
		return;
	sb_add(b, "%s\"%s\":{\"rate\":%llu,\"burst\":%llu,\"mode\":\"%s\"}",
	       *first ? "" : ",", key, (unsigned long long)l->rate,
	       (unsigned long long)l->burst, mode_names[l->mode]);
	*first = false;
}

/* "per_client":{...} with its limits (enum ep_client_limit) and prefix. */
static void json_per_client(struct sbuf *b, const struct config_limit *lim,
			    uint8_t v6_prefix, const char *lead)
{
	bool first = true;

	sb_add(b, "%s\"per_client\":{", lead);
	for (uint32_t k = 0; k < EP_CLIENT_LIMIT_N; k++)
		json_limit(b, &lim[k], limit_keys[CONFIG_LIMIT_CLIENT_PPS + k],
			   &first);
	sb_add(b, ",\"ipv6_prefix\":%u}", v6_prefix);
}

static bool global_client_limits(const struct config_policing *p)
{
	return p->per_client.limits[EP_CLIENT_LIMIT_PPS].mode != EP_LIMIT_OFF ||
	       p->per_client.limits[EP_CLIENT_LIMIT_CPS].mode != EP_LIMIT_OFF;
}

static bool has_client_limits(const struct config_svc_policing *p)
{
	return p->limits[CONFIG_LIMIT_CLIENT_PPS].mode != EP_LIMIT_OFF ||
	       p->limits[CONFIG_LIMIT_CLIENT_CPS].mode != EP_LIMIT_OFF;
}

char *cpol_json_service(const struct config_svc_policing *p)
{
	struct sbuf b = { 0 };
	bool any = false, first = true;

	for (uint32_t k = 0; k < CONFIG_N_LIMITS; k++)
		any |= p->limits[k].mode != EP_LIMIT_OFF;
	if (any) {
		sb_add(&b, ",\"limits\":{");
		for (uint32_t k = 0; k < CONFIG_LIMIT_CLIENT_PPS; k++)
			json_limit(&b, &p->limits[k], limit_keys[k], &first);
		if (has_client_limits(p))
			json_per_client(&b, &p->limits[CONFIG_LIMIT_CLIENT_PPS],
					p->client_v6_prefix, first ? "" : ",");
		sb_add(&b, "}");
	}
	if (p->acl.n_allow + p->acl.n_deny)
		json_acl(&b, &p->acl, ",");
	if (p->syn_proxy)
		sb_add(&b, ",\"syn_proxy\":true");
	return sb_done(&b);
}

char *cpol_json_global(const struct config_policing *p)
{
	struct sbuf b = { 0 };

	bool acl = p->acl.n_allow + p->acl.n_deny > 0;
	bool pc = global_client_limits(p);
	const struct config_syn_cookie *c = &p->syn_cookie;

	if (acl || p->syn_guard.rate || c->has_secret || pc) {
		sb_add(&b, ",\"policing\":{");
		if (acl)
			json_acl(&b, &p->acl, "");
		if (p->syn_guard.rate)
			sb_add(&b,
			       "%s\"syn_flood\":{\"new_flows_per_second\":%llu,"
			       "\"burst\":%llu}",
			       acl ? "," : "",
			       (unsigned long long)p->syn_guard.rate,
			       (unsigned long long)p->syn_guard.burst);
		if (c->has_secret) {
			sb_add(&b,
			       "%s\"syn_cookie\":{\"secret\":\"%016llx%"
			       "016llx\"",
			       acl || p->syn_guard.rate ? "," : "",
			       (unsigned long long)c->secret[0],
			       (unsigned long long)c->secret[1]);
			if (c->has_previous)
				sb_add(&b,
				       ",\"previous_secret\":\"%016llx%"
				       "016llx\"",
				       (unsigned long long)c->previous[0],
				       (unsigned long long)c->previous[1]);
			sb_add(&b, "}");
		}
		if (pc)
			json_per_client(
				&b, p->per_client.limits,
				p->per_client.v6_prefix,
				acl || p->syn_guard.rate || c->has_secret ? ","
									  : "");
		sb_add(&b, "}");
	}
	return sb_done(&b);
}

void cpol_flat_service(const struct config_svc_policing *p,
		       struct ep_cfg_service *out)
{
	out->client_v6_prefix = has_client_limits(p) ? p->client_v6_prefix : 0;
	if (p->syn_proxy)
		out->flags |= EP_SVC_F_SYN_PROXY;
	for (uint32_t k = 0; k < CONFIG_N_LIMITS; k++) {
		memset(&out->limits[k], 0, sizeof(out->limits[k]));
		if (p->limits[k].mode == EP_LIMIT_OFF)
			continue;
		out->limits[k].mode = p->limits[k].mode;
		out->limits[k].rate = p->limits[k].rate;
		out->limits[k].burst = p->limits[k].burst;
	}
}

void cpol_flat_acl(const struct config_acl *a, uint32_t scope, void *dst)
{
	for (uint32_t i = 0; i < cpol_acl_count(a); i++) {
		struct ep_cfg_acl_rule r;

		memset(&r, 0, sizeof(r));
		r.prefix = a->prefixes[i].addr;
		memset(r.prefix.pad, 0, sizeof(r.prefix.pad));
		r.depth = a->prefixes[i].depth;
		r.kind = a->prefixes[i].kind;
		r.scope = scope;
		memcpy((uint8_t *)dst + (size_t)i * sizeof(r), &r, sizeof(r));
	}
}

void cpol_from_flat_service(const struct ep_cfg_service *in,
			    struct config_svc_policing *p)
{
	memset(p->limits, 0, sizeof(p->limits));
	for (uint32_t k = 0; k < CONFIG_N_LIMITS; k++) {
		if (in->limits[k].mode == EP_LIMIT_OFF)
			continue;
		p->limits[k].mode = in->limits[k].mode;
		p->limits[k].rate = in->limits[k].rate;
		p->limits[k].burst = in->limits[k].burst;
	}
	p->client_v6_prefix = 0;
	p->syn_proxy = (in->flags & EP_SVC_F_SYN_PROXY) != 0;
	if (has_client_limits(p))
		p->client_v6_prefix = in->client_v6_prefix
					      ? in->client_v6_prefix
					      : CONFIG_CLIENT_V6_PREFIX_DEFAULT;
}

int cpol_from_flat_rule(const struct ep_cfg_acl_rule *r, struct config_acl *a)
{
	uint32_t n = cpol_acl_count(a);
	struct config_prefix *p;

	if ((r->kind != EP_ACL_ALLOW && r->kind != EP_ACL_DENY) ||
	    (r->kind == EP_ACL_ALLOW && a->n_deny))
		return -EINVAL;
	/* Grow by doubling: a list of 100,000 prefixes is read back once. */
	if ((n & (n - 1)) == 0) {
		p = realloc(a->prefixes, (size_t)(n ? 2 * n : 1) * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		a->prefixes = p;
	}
	p = &a->prefixes[n];
	memset(p, 0, sizeof(*p));
	p->addr = r->prefix;
	p->depth = r->depth;
	p->kind = r->kind;
	if (r->kind == EP_ACL_ALLOW)
		a->n_allow++;
	else
		a->n_deny++;
	return 0;
}

void cpol_flat_node(const struct config_policing *p, struct ep_cfg_node *out)
{
	memset(out->client_limits, 0, sizeof(out->client_limits));
	memset(out->pad2, 0, sizeof(out->pad2));
	out->client_v6_prefix = 0;
	for (uint32_t k = 0; k < EP_CLIENT_LIMIT_N; k++) {
		const struct config_limit *l = &p->per_client.limits[k];

		if (l->mode == EP_LIMIT_OFF)
			continue;
		out->client_limits[k].mode = l->mode;
		out->client_limits[k].rate = l->rate;
		out->client_limits[k].burst = l->burst;
		out->client_v6_prefix = p->per_client.v6_prefix;
	}
	out->syn_guard_rate = p->syn_guard.rate;
	out->syn_guard_burst = p->syn_guard.burst;
	out->syn_cookie_flags = 0;
	if (p->syn_cookie.has_secret) {
		out->syn_cookie_flags |= EP_SYN_COOKIE_F_KEY;
		memcpy(out->syn_cookie_key, p->syn_cookie.secret,
		       sizeof(out->syn_cookie_key));
	}
	if (p->syn_cookie.has_previous) {
		out->syn_cookie_flags |= EP_SYN_COOKIE_F_PREV;
		memcpy(out->syn_cookie_prev, p->syn_cookie.previous,
		       sizeof(out->syn_cookie_prev));
	}
}

void cpol_from_flat_node(const struct ep_cfg_node *in,
			 struct config_policing *p)
{
	memset(&p->per_client, 0, sizeof(p->per_client));
	for (uint32_t k = 0; k < EP_CLIENT_LIMIT_N; k++) {
		const struct ep_cfg_limit *l = &in->client_limits[k];

		if (l->mode == EP_LIMIT_OFF)
			continue;
		p->per_client.limits[k].mode = l->mode;
		p->per_client.limits[k].rate = l->rate;
		p->per_client.limits[k].burst = l->burst;
		p->per_client.v6_prefix =
			in->client_v6_prefix ? in->client_v6_prefix
					     : CONFIG_CLIENT_V6_PREFIX_DEFAULT;
	}
	p->syn_guard.rate = in->syn_guard_rate;
	p->syn_guard.burst = in->syn_guard_burst;
	memset(&p->syn_cookie, 0, sizeof(p->syn_cookie));
	if (in->syn_cookie_flags & EP_SYN_COOKIE_F_KEY) {
		p->syn_cookie.has_secret = true;
		memcpy(p->syn_cookie.secret, in->syn_cookie_key,
		       sizeof(p->syn_cookie.secret));
	}
	if (in->syn_cookie_flags & EP_SYN_COOKIE_F_PREV) {
		p->syn_cookie.has_previous = true;
		memcpy(p->syn_cookie.previous, in->syn_cookie_prev,
		       sizeof(p->syn_cookie.previous));
	}
}
