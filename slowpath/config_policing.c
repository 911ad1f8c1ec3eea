/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policing configuration (config_policing.h): JSON -> struct with a field
 * path in every error, the same rules for configs built by code, copies,
 * comparison, canonical JSON, and the flat form's limits and ACL rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "config_policing.h"

static const char *const limit_keys[CONFIG_N_LIMITS] = {
	[CONFIG_LIMIT_PPS] = "packets_per_second",
	[CONFIG_LIMIT_BPS] = "bytes_per_second",
	[CONFIG_LIMIT_CPS] = "connections_per_second",
	[CONFIG_LIMIT_CLIENT_PPS] = "packets_per_second",
	[CONFIG_LIMIT_CLIENT_CPS] = "connections_per_second",
};

/* Where a limit sits under "limits": the client ones in "per_client". */
static const char *limit_path(uint32_t k)
{
	return k >= CONFIG_LIMIT_CLIENT_PPS ? "per_client." : "";
}

_Static_assert((int)CONFIG_LIMIT_CLIENT_PPS == (int)EP_LIMIT_CLIENT_PPS &&
		       (int)CONFIG_LIMIT_CLIENT_CPS ==
			       (int)EP_LIMIT_CLIENT_CPS &&
		       (int)CONFIG_N_LIMITS == (int)EP_LIMIT_N,
	       "config limits are indexed like the flat form's");

static const char *const mode_names[] = {
	[EP_LIMIT_TOKEN_BUCKET] = "token_bucket",
	[EP_LIMIT_LEAKY_BUCKET] = "leaky_bucket",
};

static int pfail(struct config_error *err, const char *path, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

/* "path: what", returns -EINVAL. */
static int pfail(struct config_error *err, const char *path, const char *fmt,
		 ...)
{
	char what[200];
	va_list ap;

	if (err == NULL)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err->msg, sizeof(err->msg), "%s: %s", path, what);
	return -EINVAL;
}

static void path_fmt(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noinline));

/* A field path; one that does not fit is cut (paths come from the
 * document's structure, never longer than a few dozen bytes). */
static void path_fmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(buf, cap, fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
}

static int pnomem(struct config_error *err)
{
	if (err != NULL)
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	return -ENOMEM;
}

static const char *json_kind(const cJSON *v)
{
	if (cJSON_IsObject(v))
		return "an object";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	return "null";
}

/* Every member of `obj` is one of `known` (NULL-terminated), none twice. */
static int only_keys(const cJSON *obj, const char *path,
		     const char *const known[], struct config_error *err)
{
	if (!cJSON_IsObject(obj))
		return pfail(err, path, "must be an object, not %s",
			     json_kind(obj));
	for (const cJSON *c = obj->child; c != NULL; c = c->next) {
		uint32_t k = 0;

		while (known[k] != NULL && strcmp(known[k], c->string) != 0)
			k++;
		if (known[k] == NULL)
			return pfail(err, path, "unknown field \"%.40s\"",
				     c->string);
		for (const cJSON *p = obj->child; p != c; p = p->next)
			if (strcmp(p->string, c->string) == 0)
				return pfail(err, path,
					     "duplicate field \"%.40s\"",
					     c->string);
	}
	return 0;
}

/* An integer 0..max (a JSON number holds integers exactly to 2^53). */
static int get_u64(const cJSON *obj, const char *path, const char *key,
		   uint64_t max, bool required, uint64_t *out,
		   struct config_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char at[CONFIG_PATH_LEN];
	double d;

	path_fmt(at, sizeof(at), "%s.%s", path, key);
	if (v == NULL)
		return required ? pfail(err, at, "required field missing") : 1;
	d = cJSON_IsNumber(v) ? v->valuedouble : -1;
	if (!cJSON_IsNumber(v) || !(d >= 0 && d <= (double)max) ||
	    d != (double)(uint64_t)d)
		return pfail(err, at, "must be an integer 0..%llu",
			     (unsigned long long)max);
	*out = (uint64_t)d;
	return 0;
}

/* What a limit's burst means and its default, per mode. */
static uint64_t default_burst(uint8_t mode, uint64_t rate)
{
	/* token_bucket: a tenth of a second at the rate; leaky: none. */
	if (mode == EP_LIMIT_LEAKY_BUCKET)
		return 0;
	return rate / 10 ? rate / 10 : 1;
}

static int check_limit(const struct config_limit *l, const char *at,
		       struct config_error *err)
{
	char where[CONFIG_PATH_LEN];

	if (l->mode == EP_LIMIT_OFF)
		return 0;
	path_fmt(where, sizeof(where), "%s.mode", at);
	if (l->mode != EP_LIMIT_TOKEN_BUCKET &&
	    l->mode != EP_LIMIT_LEAKY_BUCKET)
		return pfail(err, where,
			     "must be \"token_bucket\" or \"leaky_bucket\"");
	path_fmt(where, sizeof(where), "%s.rate", at);
	if (l->rate == 0 || l->rate > CONFIG_LIMIT_MAX_RATE)
		return pfail(err, where, "must be 1..%llu",
			     (unsigned long long)CONFIG_LIMIT_MAX_RATE);
	path_fmt(where, sizeof(where), "%s.burst", at);
	if (l->mode == EP_LIMIT_TOKEN_BUCKET && l->burst == 0)
		return pfail(err, where,
			     "must be at least 1 for a token bucket (the "
			     "bucket's depth)");
	if (l->burst > l->rate * CONFIG_LIMIT_MAX_BURST_S)
		return pfail(
			err, where, "must last at most %u s at the rate (%llu)",
			CONFIG_LIMIT_MAX_BURST_S,
			(unsigned long long)l->rate * CONFIG_LIMIT_MAX_BURST_S);
	return 0;
}

static int parse_limit(const cJSON *obj, const char *at, struct config_limit *l,
		       struct config_error *err)
{
	static const char *const keys[] = { "rate", "burst", "mode", NULL };
	const cJSON *m;
	char where[CONFIG_PATH_LEN];
	int rc = only_keys(obj, at, keys, err);

	if (rc)
		return rc;
	l->mode = EP_LIMIT_TOKEN_BUCKET;
	m = cJSON_GetObjectItemCaseSensitive(obj, "mode");
	if (m != NULL) {
		path_fmt(where, sizeof(where), "%s.mode", at);
		if (!cJSON_IsString(m))
			return pfail(err, where, "must be a string, not %s",
				     json_kind(m));
		if (strcmp(m->valuestring, "token_bucket") == 0)
			l->mode = EP_LIMIT_TOKEN_BUCKET;
		else if (strcmp(m->valuestring, "leaky_bucket") == 0)
			l->mode = EP_LIMIT_LEAKY_BUCKET;
		else
			return pfail(err, where,
				     "must be \"token_bucket\" or "
				     "\"leaky_bucket\"");
	}
	rc = get_u64(obj, at, "rate", CONFIG_LIMIT_MAX_RATE, true, &l->rate,
		     err);
	if (rc)
		return rc;
	if (l->rate == 0) {
		path_fmt(where, sizeof(where), "%s.rate", at);
		return pfail(err, where,
			     "must be 1..%llu (leave the limit "
			     "out for none)",
			     (unsigned long long)CONFIG_LIMIT_MAX_RATE);
	}
	rc = get_u64(obj, at, "burst",
		     CONFIG_LIMIT_MAX_RATE * CONFIG_LIMIT_MAX_BURST_S, false,
		     &l->burst, err);
	if (rc < 0)
		return rc;
	if (rc == 1)
		l->burst = default_burst(l->mode, l->rate);
	return check_limit(l, at, err);
}

static int parse_per_client(const cJSON *obj, const char *at,
			    struct config_svc_policing *p,
			    struct config_error *err)
{
	static const char *const keys[] = { "packets_per_second",
					    "connections_per_second",
					    "ipv6_prefix", NULL };
	uint64_t prefix = CONFIG_CLIENT_V6_PREFIX_DEFAULT;
	int rc = only_keys(obj, at, keys, err);

	for (uint32_t k = CONFIG_LIMIT_CLIENT_PPS;
	     rc == 0 && k < CONFIG_N_LIMITS; k++) {
		const cJSON *l =
			cJSON_GetObjectItemCaseSensitive(obj, limit_keys[k]);
		char lat[CONFIG_PATH_LEN];

		if (l == NULL)
			continue;
		path_fmt(lat, sizeof(lat), "%s.%s", at, limit_keys[k]);
		rc = parse_limit(l, lat, &p->limits[k], err);
	}
	if (rc == 0)
		rc = get_u64(obj, at, "ipv6_prefix", 128, false, &prefix, err);
	if (rc < 0)
		return rc;
	if (prefix == 0) {
		char where[CONFIG_PATH_LEN];

		path_fmt(where, sizeof(where), "%s.ipv6_prefix", at);
		return pfail(err, where, "must be 1..128");
	}
	/* Only a client limit makes the prefix mean something. */
	if (p->limits[CONFIG_LIMIT_CLIENT_PPS].mode != EP_LIMIT_OFF ||
	    p->limits[CONFIG_LIMIT_CLIENT_CPS].mode != EP_LIMIT_OFF)
		p->client_v6_prefix = (uint8_t)prefix;
	return 0;
}

static int parse_limits(const cJSON *svc, const char *path,
			struct config_svc_policing *p, struct config_error *err)
{
	static const char *const keys[] = { "packets_per_second",
					    "bytes_per_second",
					    "connections_per_second",
					    "per_client", NULL };
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(svc, "limits"), *pc;
	char at[CONFIG_PATH_LEN];
	int rc;

	if (obj == NULL)
		return 0;
	path_fmt(at, sizeof(at), "%s.limits", path);
	rc = only_keys(obj, at, keys, err);
	for (uint32_t k = 0; rc == 0 && k < CONFIG_LIMIT_CLIENT_PPS; k++) {
		const cJSON *l =
			cJSON_GetObjectItemCaseSensitive(obj, limit_keys[k]);
		char lat[CONFIG_PATH_LEN];

		if (l == NULL)
			continue;
		path_fmt(lat, sizeof(lat), "%s.%s", at, limit_keys[k]);
		rc = parse_limit(l, lat, &p->limits[k], err);
	}
	pc = cJSON_GetObjectItemCaseSensitive(obj, "per_client");
	if (rc == 0 && pc != NULL) {
		char pat[CONFIG_PATH_LEN];

		path_fmt(pat, sizeof(pat), "%s.per_client", at);
		rc = parse_per_client(pc, pat, p, err);
	}
	return rc;
}

bool cpol_prefix_parse(const char *s, struct config_prefix *out, char *why,
		       size_t why_len)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long depth;
	char *end;
	uint8_t max, bytes[16];

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(addr)) {
		snprintf(why, why_len, "not an address/length prefix");
		return false;
	}
	memcpy(addr, s, n);
	addr[n] = '\0';
	memset(bytes, 0, sizeof(bytes));
	if (inet_pton(AF_INET, addr, bytes) == 1) {
		out->addr.family = EP_AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, bytes) == 1) {
		out->addr.family = EP_AF_INET6;
		max = 128;
	} else {
		snprintf(why, why_len, "not an IPv4 or IPv6 prefix");
		return false;
	}
	depth = max;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9') {
			snprintf(why, why_len, "prefix length missing");
			return false;
		}
		depth = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || end - (slash + 1) > 3) {
			snprintf(why, why_len, "prefix length not a number");
			return false;
		}
	}
	if (depth > max) {
		snprintf(why, why_len, "prefix length %lu is past %s's %u",
			 depth, max == 32 ? "IPv4" : "IPv6", max);
		return false;
	}
	for (uint32_t b = (uint32_t)depth; b < max; b++)
		if (bytes[b / 8] & (0x80u >> (b % 8))) {
			snprintf(why, why_len,
				 "bits set past the prefix length %lu", depth);
			return false;
		}
	memcpy(out->addr.bytes, bytes, 16);
	out->depth = (uint8_t)depth;
	return true;
}

static int parse_prefix_list(const cJSON *acl, const char *at, const char *key,
			     uint8_t kind, struct config_acl *a,
			     uint32_t *total, struct config_error *err)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(acl, key), *e;
	char where[CONFIG_PATH_LEN + 16];
	uint32_t i = 0, n;

	if (arr == NULL)
		return 0;
	path_fmt(where, sizeof(where), "%s.%s", at, key);
	if (!cJSON_IsArray(arr))
		return pfail(err, where, "must be an array, not %s",
			     json_kind(arr));
	n = (uint32_t)cJSON_GetArraySize(arr);
	if (n > CONFIG_MAX_ACL_PREFIXES - *total)
		return pfail(err, where,
			     "more than %u prefixes in the document",
			     CONFIG_MAX_ACL_PREFIXES);
	if (n) {
		uint32_t have = a->n_allow + a->n_deny;
		struct config_prefix *p =
			realloc(a->prefixes, (size_t)(have + n) * sizeof(*p));

		if (p == NULL)
			return pnomem(err);
		a->prefixes = p;
	}
	for (e = arr->child; e != NULL; e = e->next, i++) {
		struct config_prefix *p = &a->prefixes[a->n_allow + a->n_deny];
		char why[80];

		path_fmt(where, sizeof(where), "%s.%s[%u]", at, key, i);
		if (!cJSON_IsString(e))
			return pfail(err, where, "must be a string, not %s",
				     json_kind(e));
		if (!cpol_prefix_parse(e->valuestring, p, why, sizeof(why)))
			return pfail(err, where, "%s", why);
		p->kind = kind;
		if (kind == EP_ACL_ALLOW)
			a->n_allow++;
		else
			a->n_deny++;
	}
	*total += n;
	return 0;
}

/* `obj`.acl at `path`: {"allow": [...], "deny": [...]}. */
static int parse_acl(const cJSON *obj, const char *path, struct config_acl *a,
		     uint32_t *total, struct config_error *err)
{
	static const char *const keys[] = { "allow", "deny", NULL };
	const cJSON *acl = cJSON_GetObjectItemCaseSensitive(obj, "acl");
	char at[CONFIG_PATH_LEN];
	int rc;

	if (acl == NULL)
		return 0;
	path_fmt(at, sizeof(at), "%s%sacl", path, *path ? "." : "");
	rc = only_keys(acl, at, keys, err);
	if (rc == 0)
		rc = parse_prefix_list(acl, at, "allow", EP_ACL_ALLOW, a, total,
				       err);
	if (rc == 0)
		rc = parse_prefix_list(acl, at, "deny", EP_ACL_DENY, a, total,
				       err);
	return rc;
}

static int parse_syn_proxy(const cJSON *svc, const char *path,
			   struct config_svc_policing *p,
			   struct config_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(svc, "syn_proxy");
	char at[CONFIG_PATH_LEN];

	if (v == NULL)
		return 0;
	path_fmt(at, sizeof(at), "%s.syn_proxy", path);
	if (!cJSON_IsBool(v))
		return pfail(err, at, "must be true or false, not %s",
			     json_kind(v));
	p->syn_proxy = cJSON_IsTrue(v);
	return 0;
}

int cpol_parse_service(const cJSON *svc, const char *path,
		       struct config_svc_policing *p, uint32_t *n_prefixes,
		       struct config_error *err)
{
	int rc;

	memset(p, 0, sizeof(*p));
	rc = parse_limits(svc, path, p, err);
	if (rc == 0)
		rc = parse_acl(svc, path, &p->acl, n_prefixes, err);
	if (rc == 0)
		rc = parse_syn_proxy(svc, path, p, err);
	if (rc != 0)
		cpol_free_service(p);
	return rc;
}

static int parse_syn_guard(const cJSON *pol, struct config_syn_guard *g,
			   struct config_error *err)
{
	static const char *const keys[] = { "new_flows_per_second", "burst",
					    NULL };
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(pol, "syn_flood");
	const char *at = "policing.syn_flood";
	int rc;

	if (obj == NULL)
		return 0;
	rc = only_keys(obj, at, keys, err);
	if (rc == 0)
		rc = get_u64(obj, at, "new_flows_per_second",
			     CONFIG_LIMIT_MAX_RATE, true, &g->rate, err);
	if (rc == 0 && g->rate == 0)
		return pfail(err, "policing.syn_flood.new_flows_per_second",
			     "must be 1..%llu (leave syn_flood out for none)",
			     (unsigned long long)CONFIG_LIMIT_MAX_RATE);
	if (rc == 0)
		rc = get_u64(obj, at, "burst",
			     CONFIG_LIMIT_MAX_RATE * CONFIG_LIMIT_MAX_BURST_S,
			     false, &g->burst, err);
	if (rc < 0)
		return rc;
	if (rc == 1)
		g->burst = default_burst(EP_LIMIT_TOKEN_BUCKET, g->rate);
	if (g->burst == 0 || g->burst > g->rate * CONFIG_LIMIT_MAX_BURST_S)
		return pfail(err, "policing.syn_flood.burst",
			     "must be 1..%u s of the rate",
			     CONFIG_LIMIT_MAX_BURST_S);
	return 0;
}

/* 32 hex digits into k[0] (the first 16) and k[1]; false otherwise. */
static bool parse_secret(const char *hex, uint64_t k[2])
{
	if (strlen(hex) != 32)
		return false;
	k[0] = k[1] = 0;
	for (int i = 0; i < 32; i++) {
		char c = hex[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;

		if (v < 0)
			return false;
		k[i / 16] = k[i / 16] << 4 | (uint64_t)v;
	}
	return true;
}

static int get_secret(const cJSON *obj, const char *key, bool *has,
		      uint64_t k[2], struct config_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char at[CONFIG_PATH_LEN];

	if (v == NULL)
		return 0;
	path_fmt(at, sizeof(at), "policing.syn_cookie.%s", key);
	if (!cJSON_IsString(v) || !parse_secret(v->valuestring, k))
		return pfail(err, at,
			     "must be a string of 32 hex digits (128 bits)");
	if (k[0] == 0 && k[1] == 0)
		return pfail(err, at, "must not be all zeros");
	*has = true;
	return 0;
}

static int parse_syn_cookie(const cJSON *pol, struct config_syn_cookie *c,
			    struct config_error *err)
{
	static const char *const keys[] = { "secret", "previous_secret", NULL };
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(pol, "syn_cookie");
	int rc;

	if (obj == NULL)
		return 0;
	rc = only_keys(obj, "policing.syn_cookie", keys, err);
	if (rc == 0)
		rc = get_secret(obj, "secret", &c->has_secret, c->secret, err);
	if (rc == 0)
		rc = get_secret(obj, "previous_secret", &c->has_previous,
				c->previous, err);
	if (rc == 0 && !c->has_secret)
		return pfail(err, "policing.syn_cookie.secret",
			     "required field missing");
	return rc;
}

int cpol_parse_global(const cJSON *root, struct config_policing *p,
		      uint32_t *n_prefixes, struct config_error *err)
{
	static const char *const keys[] = { "acl", "syn_flood", "syn_cookie",
					    NULL };
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "policing");
	int rc;

	memset(p, 0, sizeof(*p));
	if (obj == NULL)
		return 0;
	rc = only_keys(obj, "policing", keys, err);
	if (rc == 0)
		rc = parse_acl(obj, "policing", &p->acl, n_prefixes, err);
	if (rc == 0)
		rc = parse_syn_guard(obj, &p->syn_guard, err);
	if (rc == 0)
		rc = parse_syn_cookie(obj, &p->syn_cookie, err);
	if (rc != 0)
		cpol_free_global(p);
	return rc;
}

static int validate_acl(const struct config_acl *a, const char *at,
			struct config_error *err)
{
	for (uint32_t i = 0; i < a->n_allow + a->n_deny; i++) {
		const struct config_prefix *p = &a->prefixes[i];
		bool allow = i < a->n_allow;
		uint32_t max = p->addr.family == EP_AF_INET ? 32 : 128;
		char where[CONFIG_PATH_LEN + 24];

		path_fmt(where, sizeof(where), "%s.%s[%u]", at,
			 allow ? "allow" : "deny", allow ? i : i - a->n_allow);
		if ((p->addr.family != EP_AF_INET &&
		     p->addr.family != EP_AF_INET6) ||
		    p->depth > max ||
		    p->kind != (allow ? EP_ACL_ALLOW : EP_ACL_DENY))
			return pfail(err, where, "not a valid prefix");
		for (uint32_t b = p->depth; b < 128; b++)
			if (p->addr.bytes[b / 8] & (0x80u >> (b % 8)))
				return pfail(err, where,
					     "bits set past the prefix length "
					     "%u",
					     p->depth);
	}
	return 0;
}

int cpol_validate_service(const struct config_svc_policing *p, const char *path,
			  struct config_error *err)
{
	char at[CONFIG_PATH_LEN];
	int rc = 0;

	for (uint32_t k = 0; rc == 0 && k < CONFIG_N_LIMITS; k++) {
		path_fmt(at, sizeof(at), "%s.limits.%s%s", path, limit_path(k),
			 limit_keys[k]);
		rc = check_limit(&p->limits[k], at, err);
	}
	if (rc == 0 && p->client_v6_prefix > 128) {
		path_fmt(at, sizeof(at), "%s.limits.per_client.ipv6_prefix",
			 path);
		rc = pfail(err, at, "must be 1..128");
	}
	path_fmt(at, sizeof(at), "%s.acl", path);
	return rc ? rc : validate_acl(&p->acl, at, err);
}

int cpol_validate_global(const struct config_policing *p,
			 struct config_error *err)
{
	const struct config_syn_guard *g = &p->syn_guard;

	if (g->rate > CONFIG_LIMIT_MAX_RATE ||
	    (g->rate == 0) != (g->burst == 0) ||
	    g->burst > g->rate * CONFIG_LIMIT_MAX_BURST_S)
		return pfail(err, "policing.syn_flood",
			     "rate %llu with burst %llu is not valid",
			     (unsigned long long)g->rate,
			     (unsigned long long)g->burst);
	if (p->syn_cookie.has_previous && !p->syn_cookie.has_secret)
		return pfail(err, "policing.syn_cookie.secret",
			     "required with previous_secret");
	return validate_acl(&p->acl, "policing.acl", err);
}

int cpol_validate_syn_proxy(const struct config_svc_policing *p,
			    const char *path, enum ep_fwd_mode fwd,
			    uint8_t proto, struct config_error *err)
{
	char at[CONFIG_PATH_LEN];

	if (!p->syn_proxy || (fwd == EP_FWD_NAT && proto == IPPROTO_TCP))
		return 0;
	path_fmt(at, sizeof(at), "%s.syn_proxy", path);
	return pfail(err, at,
		     "needs \"forwarding\": \"nat\" and \"protocol\": "
		     "\"tcp\"");
}

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

bool cpol_equal_service(const struct config_svc_policing *a,
			const struct config_svc_policing *b)
{
	for (uint32_t k = 0; k < CONFIG_N_LIMITS; k++)
		if (a->limits[k].mode != b->limits[k].mode ||
		    (a->limits[k].mode != EP_LIMIT_OFF &&
		     (a->limits[k].rate != b->limits[k].rate ||
		      a->limits[k].burst != b->limits[k].burst)))
			return false;
	return a->client_v6_prefix == b->client_v6_prefix &&
	       a->syn_proxy == b->syn_proxy && acl_equal(&a->acl, &b->acl);
}

bool cpol_equal_global(const struct config_policing *a,
		       const struct config_policing *b)
{
	const struct config_syn_cookie *ca = &a->syn_cookie,
				       *cb = &b->syn_cookie;

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
		if (has_client_limits(p)) {
			bool cfirst = true;

			sb_add(&b, "%s\"per_client\":{", first ? "" : ",");
			for (uint32_t k = CONFIG_LIMIT_CLIENT_PPS;
			     k < CONFIG_N_LIMITS; k++)
				json_limit(&b, &p->limits[k], limit_keys[k],
					   &cfirst);
			sb_add(&b, ",\"ipv6_prefix\":%u}", p->client_v6_prefix);
		}
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
	const struct config_syn_cookie *c = &p->syn_cookie;

	if (acl || p->syn_guard.rate || c->has_secret) {
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
