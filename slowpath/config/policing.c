/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policing configuration (config_policing.h): JSON -> struct with a field
 * path in every error, and the same rules for configs built by code.
 * policing_form.c has copies, comparison, canonical JSON and the flat
 * form's limits and ACL rules.
 */
#include "config_int.h"

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
/* parse_per_client() fills a service's client limits as the global ones. */
_Static_assert((int)CONFIG_LIMIT_CLIENT_CPS - (int)CONFIG_LIMIT_CLIENT_PPS ==
			       (int)EP_CLIENT_LIMIT_CPS &&
		       (int)CONFIG_N_LIMITS - (int)CONFIG_LIMIT_CLIENT_PPS ==
			       (int)EP_CLIENT_LIMIT_N,
	       "a service's client limits are laid out as the global ones");

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
		return required ? cfg_fail_at(err, at, NULL,
					      "required field missing")
				: 1;
	d = cJSON_IsNumber(v) ? v->valuedouble : -1;
	if (!cJSON_IsNumber(v) || !(d >= 0 && d <= (double)max) ||
	    d != (double)(uint64_t)d)
		return cfg_fail_at(err, at, NULL, "must be an integer 0..%llu",
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
		return cfg_fail_at(
			err, where, NULL,
			"must be \"token_bucket\" or \"leaky_bucket\"");
	path_fmt(where, sizeof(where), "%s.rate", at);
	if (l->rate == 0 || l->rate > CONFIG_LIMIT_MAX_RATE)
		return cfg_fail_at(err, where, NULL, "must be 1..%llu",
				   (unsigned long long)CONFIG_LIMIT_MAX_RATE);
	path_fmt(where, sizeof(where), "%s.burst", at);
	if (l->mode == EP_LIMIT_TOKEN_BUCKET && l->burst == 0)
		return cfg_fail_at(err, where, NULL,
				   "must be at least 1 for a token bucket (the "
				   "bucket's depth)");
	if (l->burst > l->rate * CONFIG_LIMIT_MAX_BURST_S)
		return cfg_fail_at(err, where, NULL,
				   "must last at most %u s at the rate (%llu)",
				   CONFIG_LIMIT_MAX_BURST_S,
				   (unsigned long long)l->rate *
					   CONFIG_LIMIT_MAX_BURST_S);
	return 0;
}

static int parse_limit(const cJSON *obj, const char *at, struct config_limit *l,
		       struct config_error *err)
{
	static const char *const keys[] = { "rate", "burst", "mode", NULL };
	const cJSON *m;
	char where[CONFIG_PATH_LEN];
	int rc = cfg_check_object(obj, at, keys, err);

	if (rc)
		return rc;
	l->mode = EP_LIMIT_TOKEN_BUCKET;
	m = cJSON_GetObjectItemCaseSensitive(obj, "mode");
	if (m != NULL) {
		path_fmt(where, sizeof(where), "%s.mode", at);
		if (!cJSON_IsString(m))
			return cfg_fail_at(err, where, NULL,
					   "must be a string, not %s",
					   cfg_json_type(m));
		if (strcmp(m->valuestring, "token_bucket") == 0)
			l->mode = EP_LIMIT_TOKEN_BUCKET;
		else if (strcmp(m->valuestring, "leaky_bucket") == 0)
			l->mode = EP_LIMIT_LEAKY_BUCKET;
		else
			return cfg_fail_at(err, where, NULL,
					   "must be \"token_bucket\" or "
					   "\"leaky_bucket\"");
	}
	rc = get_u64(obj, at, "rate", CONFIG_LIMIT_MAX_RATE, true, &l->rate,
		     err);
	if (rc)
		return rc;
	if (l->rate == 0) {
		path_fmt(where, sizeof(where), "%s.rate", at);
		return cfg_fail_at(err, where, NULL,
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

/* The limits from..to-1 of `obj` (at `at`) that it has. */
static int parse_limit_range(const cJSON *obj, const char *at, uint32_t from,
			     uint32_t to, struct config_svc_policing *p,
			     struct config_error *err)
{
	int rc = 0;

	for (uint32_t k = from; rc == 0 && k < to; k++) {
		const cJSON *l =
			cJSON_GetObjectItemCaseSensitive(obj, limit_keys[k]);
		char lat[CONFIG_PATH_LEN];

		if (l == NULL)
			continue;
		path_fmt(lat, sizeof(lat), "%s.%s", at, limit_keys[k]);
		rc = parse_limit(l, lat, &p->limits[k], err);
	}
	return rc;
}

/* A "per_client" object at `at` into its two limits (packets/s, new
 * connections/s) and IPv6 prefix (0 unless a limit is on). */
static int parse_per_client(const cJSON *obj, const char *at,
			    struct config_limit lim[EP_CLIENT_LIMIT_N],
			    uint8_t *v6_prefix, struct config_error *err)
{
	static const char *const keys[] = { "packets_per_second",
					    "connections_per_second",
					    "ipv6_prefix", NULL };
	uint64_t prefix = CONFIG_CLIENT_V6_PREFIX_DEFAULT;
	int rc = cfg_check_object(obj, at, keys, err);

	for (uint32_t k = 0; rc == 0 && k < EP_CLIENT_LIMIT_N; k++) {
		const char *key = keys[k];
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(obj, key);
		char lat[CONFIG_PATH_LEN];

		if (l == NULL)
			continue;
		path_fmt(lat, sizeof(lat), "%s.%s", at, key);
		rc = parse_limit(l, lat, &lim[k], err);
	}
	if (rc == 0)
		rc = get_u64(obj, at, "ipv6_prefix", 128, false, &prefix, err);
	if (rc < 0)
		return rc;
	if (prefix == 0) {
		char where[CONFIG_PATH_LEN];

		path_fmt(where, sizeof(where), "%s.ipv6_prefix", at);
		return cfg_fail_at(err, where, NULL, "must be 1..128");
	}
	/* Only a client limit makes the prefix mean something. */
	*v6_prefix = 0;
	if (lim[EP_CLIENT_LIMIT_PPS].mode != EP_LIMIT_OFF ||
	    lim[EP_CLIENT_LIMIT_CPS].mode != EP_LIMIT_OFF)
		*v6_prefix = (uint8_t)prefix;
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
	rc = cfg_check_object(obj, at, keys, err);
	if (rc == 0)
		rc = parse_limit_range(obj, at, 0, CONFIG_LIMIT_CLIENT_PPS, p,
				       err);
	pc = cJSON_GetObjectItemCaseSensitive(obj, "per_client");
	if (rc == 0 && pc != NULL) {
		char pat[CONFIG_PATH_LEN];

		path_fmt(pat, sizeof(pat), "%s.per_client", at);
		rc = parse_per_client(pc, pat,
				      &p->limits[CONFIG_LIMIT_CLIENT_PPS],
				      &p->client_v6_prefix, err);
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
		return cfg_fail_at(err, where, NULL, "must be an array, not %s",
				   cfg_json_type(arr));
	n = (uint32_t)cJSON_GetArraySize(arr);
	if (n > CONFIG_MAX_ACL_PREFIXES - *total)
		return cfg_fail_at(err, where, NULL,
				   "more than %u prefixes in the document",
				   CONFIG_MAX_ACL_PREFIXES);
	if (n) {
		uint32_t have = a->n_allow + a->n_deny;
		struct config_prefix *p =
			realloc(a->prefixes, (size_t)(have + n) * sizeof(*p));

		if (p == NULL)
			return cfg_fail_nomem(err);
		a->prefixes = p;
	}
	for (e = arr->child; e != NULL; e = e->next, i++) {
		struct config_prefix *p = &a->prefixes[a->n_allow + a->n_deny];
		char why[80];

		path_fmt(where, sizeof(where), "%s.%s[%u]", at, key, i);
		if (!cJSON_IsString(e))
			return cfg_fail_at(err, where, NULL,
					   "must be a string, not %s",
					   cfg_json_type(e));
		if (!cpol_prefix_parse(e->valuestring, p, why, sizeof(why)))
			return cfg_fail_at(err, where, NULL, "%s", why);
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
	rc = cfg_check_object(acl, at, keys, err);
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
		return cfg_fail_at(err, at, NULL,
				   "must be true or false, not %s",
				   cfg_json_type(v));
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
	rc = cfg_check_object(obj, at, keys, err);
	if (rc == 0)
		rc = get_u64(obj, at, "new_flows_per_second",
			     CONFIG_LIMIT_MAX_RATE, true, &g->rate, err);
	if (rc == 0 && g->rate == 0)
		return cfg_fail_at(
			err, "policing.syn_flood.new_flows_per_second", NULL,
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
		return cfg_fail_at(err, "policing.syn_flood.burst", NULL,
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
		return cfg_fail_at(
			err, at, NULL,
			"must be a string of 32 hex digits (128 bits)");
	if (k[0] == 0 && k[1] == 0)
		return cfg_fail_at(err, at, NULL, "must not be all zeros");
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
	rc = cfg_check_object(obj, "policing.syn_cookie", keys, err);
	if (rc == 0)
		rc = get_secret(obj, "secret", &c->has_secret, c->secret, err);
	if (rc == 0)
		rc = get_secret(obj, "previous_secret", &c->has_previous,
				c->previous, err);
	if (rc == 0 && !c->has_secret)
		return cfg_fail_at(err, "policing.syn_cookie.secret", NULL,
				   "required field missing");
	return rc;
}

int cpol_parse_global(const cJSON *root, struct config_policing *p,
		      uint32_t *n_prefixes, struct config_error *err)
{
	static const char *const keys[] = { "acl", "syn_flood", "syn_cookie",
					    "per_client", NULL };
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "policing");
	const cJSON *pc;
	int rc;

	memset(p, 0, sizeof(*p));
	if (obj == NULL)
		return 0;
	rc = cfg_check_object(obj, "policing", keys, err);
	if (rc == 0)
		rc = parse_acl(obj, "policing", &p->acl, n_prefixes, err);
	if (rc == 0)
		rc = parse_syn_guard(obj, &p->syn_guard, err);
	if (rc == 0)
		rc = parse_syn_cookie(obj, &p->syn_cookie, err);
	pc = cJSON_GetObjectItemCaseSensitive(obj, "per_client");
	if (rc == 0 && pc != NULL)
		rc = parse_per_client(pc, "policing.per_client",
				      p->per_client.limits,
				      &p->per_client.v6_prefix, err);
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
		uint32_t b = p->depth;

		if ((p->addr.family != EP_AF_INET &&
		     p->addr.family != EP_AF_INET6) ||
		    p->depth > max ||
		    p->kind != (allow ? EP_ACL_ALLOW : EP_ACL_DENY))
			b = UINT32_MAX; /* not a prefix at all */
		else
			while (b < 128 &&
			       !(p->addr.bytes[b / 8] & (0x80u >> (b % 8))))
				b++;
		if (b == 128)
			continue;
		path_fmt(where, sizeof(where), "%s.%s[%u]", at,
			 allow ? "allow" : "deny", allow ? i : i - a->n_allow);
		if (b == UINT32_MAX)
			return cfg_fail_at(err, where, NULL,
					   "not a valid prefix");
		return cfg_fail_at(err, where, NULL,
				   "bits set past the prefix length %u",
				   p->depth);
	}
	return 0;
}

int cpol_validate_service(const struct config_svc_policing *p, const char *path,
			  struct config_error *err)
{
	char at[CONFIG_PATH_LEN];
	int rc = 0;

	/* Paths are written only for what is there to check: most of a
	 * large configuration's services have no policing at all. */
	for (uint32_t k = 0; rc == 0 && k < CONFIG_N_LIMITS; k++) {
		if (p->limits[k].mode == EP_LIMIT_OFF)
			continue;
		path_fmt(at, sizeof(at), "%s.limits.%s%s", path, limit_path(k),
			 limit_keys[k]);
		rc = check_limit(&p->limits[k], at, err);
	}
	if (rc == 0 && p->client_v6_prefix > 128) {
		path_fmt(at, sizeof(at), "%s.limits.per_client.ipv6_prefix",
			 path);
		rc = cfg_fail_at(err, at, NULL, "must be 1..128");
	}
	if (rc != 0 || p->acl.n_allow + p->acl.n_deny == 0)
		return rc;
	path_fmt(at, sizeof(at), "%s.acl", path);
	return validate_acl(&p->acl, at, err);
}

int cpol_validate_global(const struct config_policing *p,
			 struct config_error *err)
{
	const struct config_syn_guard *g = &p->syn_guard;
	const struct config_client_limits *pc = &p->per_client;
	char at[CONFIG_PATH_LEN];
	int rc = 0;

	if (g->rate > CONFIG_LIMIT_MAX_RATE ||
	    (g->rate == 0) != (g->burst == 0) ||
	    g->burst > g->rate * CONFIG_LIMIT_MAX_BURST_S)
		return cfg_fail_at(err, "policing.syn_flood", NULL,
				   "rate %llu with burst %llu is not valid",
				   (unsigned long long)g->rate,
				   (unsigned long long)g->burst);
	if (p->syn_cookie.has_previous && !p->syn_cookie.has_secret)
		return cfg_fail_at(err, "policing.syn_cookie.secret", NULL,
				   "required with previous_secret");
	for (uint32_t k = 0; rc == 0 && k < EP_CLIENT_LIMIT_N; k++) {
		path_fmt(at, sizeof(at), "policing.per_client.%s",
			 limit_keys[CONFIG_LIMIT_CLIENT_PPS + k]);
		rc = check_limit(&pc->limits[k], at, err);
	}
	if (rc == 0 && pc->v6_prefix > 128)
		rc = cfg_fail_at(err, "policing.per_client.ipv6_prefix", NULL,
				 "must be 1..128");
	return rc ? rc : validate_acl(&p->acl, "policing.acl", err);
}

int cpol_validate_syn_proxy(const struct config_svc_policing *p,
			    const char *path, enum ep_fwd_mode fwd,
			    uint8_t proto, struct config_error *err)
{
	char at[CONFIG_PATH_LEN];

	if (!p->syn_proxy || (fwd == EP_FWD_NAT && proto == IPPROTO_TCP))
		return 0;
	path_fmt(at, sizeof(at), "%s.syn_proxy", path);
	return cfg_fail_at(err, at, NULL,
			   "needs \"forwarding\": \"nat\" and "
			   "\"protocol\": \"tcp\"");
}
