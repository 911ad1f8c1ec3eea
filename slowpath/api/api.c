/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API (see api.h and docs/api.md): errors, JSON output,
 * routes, methods, roles and preconditions, request bodies, the dispatch
 * table and the access log. Every answer is JSON except /metrics; every
 * error has the shape {"code": N, "message": "...", "details": {...}}.
 *
 * The other files: change.c (the one change path: validate, send, wait,
 * persist), state.c (life cycle, the configuration in force), and the
 * endpoints by resource: ep_config.c, ep_services.c, ep_stats.c.
 */
#include "api_int.h"

/* Fill `e` (details empty) and return -1. */
int api_fail(struct api_error *e, int status, int code, const char *fmt, ...)
{
	va_list ap;

	memset(e, 0, sizeof(*e));
	e->status = status;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

int api_fail_nomem(struct api_error *e)
{
	return api_fail(e, 500, API_ERR_INTERNAL, "out of memory");
}

/* A 400 about one field: details.field is `field`. */
int api_fail_field(struct api_error *e, const char *field, const char *msg)
{
	api_fail(e, 400, API_ERR_VALIDATION, "%s: %s", field, msg);
	snprintf(e->field, sizeof(e->field), "%s", field);
	return -1;
}

/* config.c's refusal: "services[2].port: must be ..." names the field. */
int api_fail_config(struct api_error *e, int rc, const struct config_error *ce)
{
	const char *sep = strstr(ce->msg, ": ");
	size_t n;

	if (rc == -ENOMEM)
		return api_fail_nomem(e);
	if (rc == -EMSGSIZE)
		return api_fail(e, 413, API_ERR_TOO_LARGE, "%s", ce->msg);
	api_fail(e, 400, API_ERR_VALIDATION, "%s",
		 ce->msg[0] ? ce->msg : "document: invalid");
	n = sep ? (size_t)(sep - ce->msg) : strlen("document");
	snprintf(e->field, sizeof(e->field), "%.*s", (int)n,
		 sep ? ce->msg : "document");
	return -1;
}

/* ------------------------------------------------------------------ */
/* JSON output                                                          */

/* Builders mark a failed allocation here; replies check it (one thread). */
static bool json_failed;

cJSON *api_jadd(cJSON *o, const char *key, cJSON *item)
{
	if (item == NULL || o == NULL ||
	    !(key ? cJSON_AddItemToObject(o, key, item)
		  : cJSON_AddItemToArray(o, item))) {
		cJSON_Delete(item);
		json_failed = true;
		return NULL;
	}
	return item;
}

void api_jstr(cJSON *o, const char *key, const char *v)
{
	api_jadd(o, key, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

/* 64-bit counters as exact integers (a double would round them). */
void api_ju64(cJSON *o, const char *key, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	api_jadd(o, key, cJSON_CreateRaw(b));
}

static cJSON *jobj(cJSON *parent, const char *key)
{
	return api_jadd(parent, key, cJSON_CreateObject());
}

cJSON *api_jarr(cJSON *parent, const char *key)
{
	return api_jadd(parent, key, cJSON_CreateArray());
}

void api_set_etag(struct http_response *resp, uint64_t version)
{
	snprintf(resp->etag, sizeof(resp->etag), "\"%" PRIu64 "\"", version);
}

/* Hand `text` (malloc'd, may be NULL) to the response. */
int api_reply_text(struct http_response *resp, int status, char *text,
		   const char *type, struct api_error *e)
{
	if (text == NULL)
		return api_fail_nomem(e);
	resp->status = status;
	resp->body = text;
	resp->body_len = strlen(text);
	snprintf(resp->content_type, sizeof(resp->content_type), "%s", type);
	return 0;
}

/* Print and free `root`; a failed build or print is a 500. */
int api_reply_json(struct http_response *resp, int status, cJSON *root,
		   struct api_error *e)
{
	char *text = NULL;

	if (root != NULL && !json_failed)
		text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return api_reply_text(resp, status, text, "application/json", e);
}

static void reply_error(struct http_response *resp, const struct api_error *e)
{
	cJSON *root = cJSON_CreateObject(), *details;
	char *text = NULL;

	api_jadd(root, "code", cJSON_CreateNumber(e->code));
	api_jstr(root, "message", e->message);
	details = jobj(root, "details");
	if (e->field[0])
		api_jstr(details, "field", e->field);
	if (e->detail_key != NULL)
		api_jstr(details, e->detail_key, e->detail);
	if (root != NULL && !json_failed)
		text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	resp->etag[0] = 0;
	if (text == NULL) {
		http_response_error(resp, e->status, e->message);
		return;
	}
	resp->status = e->status;
	resp->body = text;
	resp->body_len = strlen(text);
	snprintf(resp->content_type, sizeof(resp->content_type),
		 "application/json");
}

/* ------------------------------------------------------------------ */
/* Requests: routes, methods, roles, preconditions                      */

static const char *const route_names[] = {
	[R_HEALTHZ] = "/healthz",
	[R_READYZ] = "/readyz",
	[R_CONFIG] = "/v1/config",
	[R_SERVICES] = "/v1/services",
	[R_SERVICE] = "/v1/services/{name}",
	[R_BACKENDS] = "/v1/services/{name}/backends",
	[R_BACKEND] = "/v1/services/{name}/backends/{id}",
	[R_STATS] = "/v1/stats",
	[R_FLOWS] = "/v1/flows",
	[R_METRICS] = "/metrics",
	[R_NODE] = "/v1/node",
	[R_NODE_DRAIN] = "/v1/node/drain",
	[R_NODE_UNDRAIN] = "/v1/node/undrain",
	[R_INSTANCES] = "/v1/registry/services/{name}/instances",
	[R_INSTANCE] = "/v1/registry/services/{name}/instances/{id}",
	[R_HEARTBEAT] = "/v1/registry/services/{name}/instances/{id}/heartbeat",
	[R_POLICING] = "/v1/policing",
	[R_NONE] = "other",
};

enum { M_GET = 1, M_PUT = 2, M_POST = 4, M_PATCH = 8, M_DELETE = 16 };
#define M_WRITE (M_PUT | M_POST | M_PATCH | M_DELETE)
#define M_BODY (M_PUT | M_POST | M_PATCH)

static const struct {
	const char *name;
	unsigned int bit;
} methods[] = {
	{ "GET", M_GET },   { "HEAD", M_GET },	  { "PUT", M_PUT },
	{ "POST", M_POST }, { "PATCH", M_PATCH }, { "DELETE", M_DELETE },
};

static unsigned int method_bit(const char *m)
{
	for (size_t i = 0; i < ARRAY_LEN(methods); i++)
		if (strcmp(m, methods[i].name) == 0)
			return methods[i].bit;
	return 0;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode n bytes of s; -1 for a bad escape, %00 or no room. */
int api_pct_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++, o++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 2 < n ? hex_val(s[i + 1]) : -1;
			int lo = hi >= 0 ? hex_val(s[i + 2]) : -1;

			if (lo < 0 || (hi | lo) == 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (o + 1 >= size)
			return -1;
		out[o] = (char)c;
	}
	out[o] = 0;
	return 0;
}

/* Copy the next "/segment" of *p (decoded) into out; -1 if none. */
static int next_segment(const char **p, char *out, size_t size)
{
	const char *s = *p, *end;

	if (*s != '/' || s[1] == '/' || s[1] == 0)
		return -1;
	s++;
	end = strchr(s, '/');
	end = end ? end : s + strlen(s);
	*p = end;
	return api_pct_decode(s, (size_t)(end - s), out, size);
}

/* /v1/services/{name}[/backends[/{id}]] */
static enum api_route route_service(const char *p, struct api_call *c)
{
	char seg[PATH_SEGMENT_MAX];

	if (next_segment(&p, c->name, sizeof(c->name)) < 0)
		return R_NONE;
	if (*p == 0)
		return R_SERVICE;
	if (next_segment(&p, seg, sizeof(seg)) < 0 ||
	    strcmp(seg, "backends") != 0)
		return R_NONE;
	if (*p == 0)
		return R_BACKENDS;
	if (next_segment(&p, c->id, sizeof(c->id)) < 0 || *p != 0)
		return R_NONE;
	return R_BACKEND;
}

/* /v1/registry/services/{name}/instances[/{id}[/heartbeat]] */
static enum api_route route_registry(const char *p, struct api_call *c)
{
	char seg[PATH_SEGMENT_MAX];

	if (next_segment(&p, c->name, sizeof(c->name)) < 0 ||
	    next_segment(&p, seg, sizeof(seg)) < 0 ||
	    strcmp(seg, "instances") != 0)
		return R_NONE;
	if (*p == 0)
		return R_INSTANCES;
	if (next_segment(&p, c->id, sizeof(c->id)) < 0)
		return R_NONE;
	if (*p == 0)
		return R_INSTANCE;
	if (next_segment(&p, seg, sizeof(seg)) < 0 ||
	    strcmp(seg, "heartbeat") != 0 || *p != 0)
		return R_NONE;
	return R_HEARTBEAT;
}

static enum api_route route_parse(const char *path, struct api_call *c)
{
	static const char prefix[] = "/v1/services";
	static const char reg_prefix[] = "/v1/registry/services";

	for (int r = R_HEALTHZ; r < R_NONE; r++)
		if (strchr(route_names[r], '{') == NULL &&
		    strcmp(path, route_names[r]) == 0)
			return (enum api_route)r;
	if (strncmp(path, reg_prefix, sizeof(reg_prefix) - 1) == 0)
		return route_registry(path + sizeof(reg_prefix) - 1, c);
	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return R_NONE;
	return route_service(path + sizeof(prefix) - 1, c);
}

const char *api_route_name(const char *path)
{
	struct api_call c;

	return route_names[route_parse(path ? path : "", &c)];
}

static const char *role_name(int role)
{
	return role == HTTP_ROLE_ADMIN	    ? "admin"
	       : role == HTTP_ROLE_READER   ? "reader"
	       : role == HTTP_ROLE_REGISTRY ? "registry"
					    : "none";
}

static bool route_is_registry(enum api_route r)
{
	return r == R_INSTANCES || r == R_INSTANCE || r == R_HEARTBEAT;
}

/*
 * Admin may do everything; reader every read; registry the registry's
 * endpoints, reads and writes; none the two probes. Returns the role
 * named in a refusal, or -1 when `role` may.
 */
static int role_needed(const struct api_call *c, int role)
{
	bool probe = c->route == R_HEALTHZ || c->route == R_READYZ;
	bool reg = route_is_registry(c->route);
	bool write = (c->method & M_WRITE) != 0;

	if (role == HTTP_ROLE_ADMIN || probe)
		return -1;
	if (reg && role == HTTP_ROLE_REGISTRY)
		return -1;
	if (!write && role == HTTP_ROLE_READER)
		return -1;
	if (reg && write)
		return HTTP_ROLE_REGISTRY;
	return write ? HTTP_ROLE_ADMIN : HTTP_ROLE_READER;
}

static int check_role(const struct api_call *c, struct api_error *e)
{
	int need = role_needed(c, c->req->role);

	if (need < 0)
		return 0;
	api_fail(e, 403, API_ERR_FORBIDDEN,
		 "%s %s needs the %s role%s; this client's role is %s",
		 c->req->method, c->req->path, role_name(need),
		 need == HTTP_ROLE_REGISTRY ? " (or admin)" : "",
		 role_name(c->req->role));
	e->detail_key = "role";
	snprintf(e->detail, sizeof(e->detail), "%s", role_name(c->req->role));
	return -1;
}

/* Absent, or application/json with optional parameters. */
static int check_media_type(const struct api_call *c, struct api_error *e)
{
	static const char json[] = "application/json";
	const char *ct = c->req->content_type;

	if (!(c->method & M_BODY) || ct == NULL)
		return 0;
	if (strncasecmp(ct, json, sizeof(json) - 1) == 0) {
		ct += sizeof(json) - 1;
		while (*ct == ' ' || *ct == '\t')
			ct++;
		if (*ct == 0 || *ct == ';')
			return 0;
	}
	return api_fail(e, 415, API_ERR_MEDIA_TYPE,
			"Content-Type must be application/json, not \"%.64s\"",
			c->req->content_type);
}

/* If-Match: "*" or a list of entity tags, one of them ours (strong). */
static bool etag_matches(const char *h, uint64_t version)
{
	char want[ETAG_LEN];
	size_t n = (size_t)snprintf(want, sizeof(want), "\"%" PRIu64 "\"",
				    version);
	const char *s, *t;

	while (*h) {
		while (*h == ' ' || *h == '\t' || *h == ',')
			h++;
		for (s = h; *h && *h != ','; h++)
			;
		for (t = h; t > s && (t[-1] == ' ' || t[-1] == '\t'); t--)
			;
		if ((t - s == 1 && *s == '*') ||
		    ((size_t)(t - s) == n && memcmp(s, want, n) == 0))
			return true;
	}
	return false;
}

static int check_if_match(const struct api_call *c, struct api_error *e)
{
	const char *h = c->req->if_match;

	if (!(c->method & M_WRITE) || h == NULL ||
	    etag_matches(h, c->a->version))
		return 0;
	api_fail(e, 412, API_ERR_PRECONDITION,
		 "If-Match %.64s is not the version in force", h);
	e->detail_key = "etag";
	snprintf(e->detail, sizeof(e->detail), "\"%" PRIu64 "\"",
		 c->a->version);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Request bodies                                                       */

/*
 * The body as one JSON value: config_json_check() first (strict RFC 8259,
 * UTF-8, nesting; `path` is where the body goes in the document, "" for
 * a whole one), so cJSON only ever sees text that is JSON. A refusal is a
 * 400 whose details.field is the path of the value at fault.
 */
int api_body_parse(const struct http_request *req, const char *path,
		   cJSON **out, struct api_error *e)
{
	const char *text = (const char *)req->body;
	struct config_error ce = { { 0 } };
	size_t n = req->body_len;
	const char *sep;

	*out = NULL;
	if (n == 0)
		return api_fail(e, 400, API_ERR_INVALID_JSON,
				"body: empty; a JSON document is required");
	if (n > CONFIG_MAX_BYTES)
		return api_fail(e, 413, API_ERR_TOO_LARGE,
				"body: %zu bytes, larger than the limit of %u",
				n, CONFIG_MAX_BYTES);
	if (config_json_check(text, n, path, &ce) != 0) {
		api_fail(e, 400, API_ERR_INVALID_JSON, "%s", ce.msg);
		sep = strstr(ce.msg, ": ");
		snprintf(e->field, sizeof(e->field), "%.*s",
			 sep ? (int)(sep - ce.msg) : 0, ce.msg);
		return -1;
	}
	*out = cJSON_ParseWithLengthOpts(text, n, NULL, 0);
	return *out != NULL ? 0 : api_fail_nomem(e);
}

/* The body as a NUL-terminated copy (after body_parse accepted it). */
char *api_body_text(const struct http_request *req)
{
	char *t = malloc(req->body_len + 1);

	if (t != NULL) {
		memcpy(t, req->body, req->body_len);
		t[req->body_len] = 0;
	}
	return t;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                             */

typedef int (*endpoint_fn)(struct api_call *c, struct api_error *e);

static const struct {
	enum api_route route;
	unsigned int method;
	endpoint_fn fn;
} endpoints[] = {
	{ R_HEALTHZ, M_GET, h_healthz },
	{ R_READYZ, M_GET, h_readyz },
	{ R_CONFIG, M_GET, h_config_get },
	{ R_CONFIG, M_PUT, h_config_put },
	{ R_SERVICES, M_GET, h_services_get },
	{ R_SERVICES, M_POST, h_services_post },
	{ R_SERVICE, M_GET, h_service_get },
	{ R_SERVICE, M_PATCH, h_service_patch },
	{ R_SERVICE, M_DELETE, h_service_delete },
	{ R_BACKENDS, M_GET, h_backends_get },
	{ R_BACKENDS, M_POST, h_backends_post },
	{ R_BACKEND, M_GET, h_backend_get },
	{ R_BACKEND, M_PATCH, h_backend_patch },
	{ R_BACKEND, M_DELETE, h_backend_delete },
	{ R_STATS, M_GET, h_stats },
	{ R_FLOWS, M_GET, h_flows },
	{ R_METRICS, M_GET, h_metrics },
	{ R_NODE, M_GET, h_node_get },
	{ R_NODE_DRAIN, M_POST, h_node_drain },
	{ R_NODE_UNDRAIN, M_POST, h_node_undrain },
	{ R_INSTANCES, M_GET, h_instances_get },
	{ R_INSTANCES, M_POST, h_instances_post },
	{ R_INSTANCE, M_GET, h_instance_get },
	{ R_INSTANCE, M_DELETE, h_instance_delete },
	{ R_HEARTBEAT, M_PUT, h_heartbeat_put },
	{ R_POLICING, M_GET, h_policing_get },
	{ R_POLICING, M_PATCH, h_policing_patch },
};

/* The endpoint, or a 405 listing the methods the route has. */
static endpoint_fn endpoint_find(const struct api_call *c,
				 struct http_response *resp,
				 struct api_error *e)
{
	char allow[64] = "";
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_LEN(endpoints); i++)
		if (endpoints[i].route == c->route &&
		    endpoints[i].method == c->method)
			return endpoints[i].fn;
	for (size_t m = 0; m < ARRAY_LEN(methods); m++)
		for (size_t i = 0; i < ARRAY_LEN(endpoints); i++)
			if (endpoints[i].route == c->route &&
			    endpoints[i].method == methods[m].bit) {
				n += (size_t)snprintf(
					allow + n, sizeof(allow) - n, "%s%s",
					n ? ", " : "", methods[m].name);
				break;
			}
	api_fail(e, 405, API_ERR_METHOD, "%s is not allowed on %s",
		 c->req->method, route_names[c->route]);
	e->detail_key = "allowed";
	snprintf(e->detail, sizeof(e->detail), "%s", allow);
	http_response_add_header(resp, "Allow", allow);
	return NULL;
}

/* What the request head alone decides: endpoint, role, media type. */
static endpoint_fn check_head(struct api_call *c, struct api_error *e)
{
	endpoint_fn fn;

	c->route = route_parse(c->req->path, c);
	c->method = method_bit(c->req->method);
	if (c->route == R_NONE) {
		api_fail(e, 404, API_ERR_NOT_FOUND, "no endpoint %.100s",
			 c->req->path);
		return NULL;
	}
	fn = endpoint_find(c, c->resp, e);
	if (fn == NULL || check_role(c, e) < 0 || check_media_type(c, e) < 0)
		return NULL;
	return fn;
}

static int dispatch(struct api_call *c, struct api_error *e)
{
	endpoint_fn fn = check_head(c, e);

	if (fn == NULL || check_if_match(c, e) < 0)
		return -1;
	/* A change is coming: the fast path polls often while we parse.
	 * (A heartbeat changes nothing the fast path holds.) */
	if ((c->method & M_WRITE) && c->route != R_HEARTBEAT &&
	    c->a->fp.wake != NULL)
		c->a->fp.wake(c->a->fp.ctx);
	return fn(c, e);
}

/* The error answer; a 405 keeps its Allow header. */
static void reply_head_error(struct http_response *resp,
			     const struct api_error *e)
{
	if (e->status != 405) /* a 405 keeps its Allow header */
		resp->n_headers = 0;
	json_failed = false;
	reply_error(resp, e);
}

void api_handle(const struct http_request *req, struct http_response *resp,
		void *arg)
{
	struct api_call c = { .a = arg, .req = req, .resp = resp };
	struct api_error e = { 0 };

	json_failed = false;
	c.a->handle_start = api_now_s();
	c.a->req = req;
	if (dispatch(&c, &e) == 0) {
		c.a->handle_start = 0;
		c.a->req = NULL;
		return;
	}
	c.a->handle_start = 0;
	c.a->req = NULL;
	reply_head_error(resp, &e);
}

int api_head(const struct http_request *req, struct http_response *resp,
	     void *arg)
{
	struct api_call c = { .a = arg, .req = req, .resp = resp };
	struct api_error e = { 0 };

	json_failed = false;
	if (check_head(&c, &e) == NULL) {
		reply_head_error(resp, &e);
		return 1;
	}
	if ((c.method & M_BODY) && req->body_len > CONFIG_MAX_BYTES) {
		api_fail(&e, 413, API_ERR_TOO_LARGE,
			 "body: %zu bytes, larger than the limit of %u",
			 req->body_len, CONFIG_MAX_BYTES);
		reply_head_error(resp, &e);
		return 1;
	}
	return 0;
}

/* "2026-12-01T23:59:59.123Z" */
static void utc_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/*
 * One JSON line per request: time, trace (id, this request's span, the
 * caller's span), client (peer, certificate subject, role), method, path,
 * status, duration and the configuration version in force after it.
 */
static void access_log_line(struct api *a, const struct http_request *req,
			    int status, double seconds)
{
	struct trace_ctx own;
	const struct trace_ctx *t = req->trace;
	struct jw w = { .b = a->log_line, .first = true };
	char when[40], ms[32];

	if (t == NULL) { /* refused before its head: a trace of its own */
		if (trace_begin(NULL, &own) != 0)
			memset(&own, 0, sizeof(own));
		t = &own;
	}
	utc_now(when, sizeof(when));
	snprintf(ms, sizeof(ms), "%.3f", seconds * 1000.0);
	jw_open(&w, NULL, '{');
	jw_str(&w, "time", when);
	jw_str(&w, "trace_id", t->trace_id);
	jw_str(&w, "span_id", t->span_id);
	jw_str(&w, "parent_id", t->parent_id[0] ? t->parent_id : NULL);
	jw_open(&w, "client", '{');
	jw_str(&w, "peer", req->peer ? req->peer : "");
	jw_str(&w, "subject",
	       req->subject && req->subject[0] ? req->subject : NULL);
	jw_str(&w, "role", role_name(req->role));
	jw_close(&w, '}');
	jw_str(&w, "method", req->method ? req->method : "");
	jw_str(&w, "path", req->path ? req->path : "");
	jw_i64(&w, "status", status);
	jw_key(&w, "duration_ms");
	jw_buf_puts(&w.b, ms);
	jw_u64(&w, "config_version", a->version);
	jw_close(&w, '}');
	jw_buf_add(&w.b, "\n", 1);
	if (w.b.buf != NULL && !w.b.failed)
		fwrite(w.b.buf, 1, w.b.len, a->access_log);
	/* Keep the buffer for the next line; api_flush_log() writes. */
	a->log_line = w.b;
	a->log_line.len = 0;
	a->log_line.failed = 0;
}

void api_flush_log(struct api *a)
{
	if (a->access_log != NULL)
		fflush(a->access_log);
}

void api_complete(const struct http_request *req, int status, double seconds,
		  void *arg)
{
	struct api *a = arg;
	const char *m = req->method;

	if (method_bit(m) == 0)
		m = m[0] ? "other" : "";
	metrics_api_observe(&a->metrics, api_route_name(req->path), m, status,
			    seconds);
	if (a->access_log != NULL)
		access_log_line(a, req, status, seconds);
}
