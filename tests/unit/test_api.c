/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for slowpath/api.c and slowpath/metrics.c: requests go
 * straight to api_handle() (no sockets) with an in-memory fast path behind
 * api.h's seam. Routing, roles, ETag / If-Match, the error shape and codes,
 * each endpoint's validation, persistence and rollback, adoption after a
 * restart, and /metrics through a strict Prometheus text-format parser.
 *
 *   test_api                        run the tests
 *   test_api --check-metrics FILE   only run the strict parser on FILE
 *                                   (used by tests/integration)
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "health_overlay.h"
#include "check.h"
#include "metrics.h"
#include "prom_check.h"

static int check_metrics_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	static char buf[16 << 20];
	char err[256];
	size_t len;
	long n;

	if (f == NULL) {
		perror(path);
		return 2;
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	n = prom_check(buf, len, err, sizeof(err));
	if (n < 0) {
		printf("metrics: invalid: %s\n", err);
		return 1;
	}
	printf("metrics: valid, %ld samples\n", n);
	return 0;
}

/* ------------------------------------------------------------------ */
/* An in-memory fast path                                               */

struct fake_fp {
	struct ep_shared shared;
	struct ep_stats *stats;
	struct ep_flow_sample flows;
	bool alive;
	int apply_rc; /* what the next applies return */
	int sample_rc;
	unsigned int applies;
	void *last_flat;
	size_t last_len;
	uint32_t last_sample_sid, last_sample_limit;
	struct ep_event_msg wait_ev; /* the answer apply_wait gives */
	int wait_rc;
	unsigned int sent, waited, wakes;
};

static struct fake_fp fake;

static int fake_apply(void *ctx, const void *flat, size_t len, uint64_t version,
		      struct ep_event_msg *ev)
{
	struct fake_fp *f = ctx;

	memset(ev, 0, sizeof(*ev));
	f->applies++;
	if (f->apply_rc != 0) {
		snprintf(ev->error, sizeof(ev->error), "fake refusal");
		ev->status = f->apply_rc;
		return f->apply_rc;
	}
	free(f->last_flat);
	f->last_flat = malloc(len);
	memcpy(f->last_flat, flat, len);
	f->last_len = len;
	f->shared.version = version;
	f->shared.generation++;
	ev->generation = f->shared.generation;
	ev->version = version;
	return 0;
}

/* The fake builds at once; the answer waits for apply_wait. */
static int fake_send(void *ctx, const void *flat, size_t len, uint64_t version,
		     struct ep_event_msg *ev)
{
	struct fake_fp *f = ctx;

	f->wait_rc = fake_apply(ctx, flat, len, version, &f->wait_ev);
	*ev = f->wait_ev;
	f->sent++;
	return 0;
}

static int fake_wait(void *ctx, struct ep_event_msg *ev)
{
	struct fake_fp *f = ctx;

	*ev = f->wait_ev;
	f->waited++;
	return f->wait_rc;
}

static void fake_wake(void *ctx)
{
	((struct fake_fp *)ctx)->wakes++;
}

static int fake_sample(void *ctx, uint32_t sid, uint32_t limit,
		       struct ep_event_msg *ev)
{
	struct fake_fp *f = ctx;

	memset(ev, 0, sizeof(*ev));
	f->last_sample_sid = sid;
	f->last_sample_limit = limit;
	if (f->sample_rc != 0) {
		snprintf(ev->error, sizeof(ev->error),
			 "worker 0 did not "
			 "answer");
		return ev->status = f->sample_rc;
	}
	ev->count = f->flows.count < limit ? f->flows.count : limit;
	return 0;
}

static bool fake_alive(void *ctx)
{
	return ((struct fake_fp *)ctx)->alive;
}

static const struct api_fastpath fake_ops = {
	.ctx = &fake,
	.apply_send = fake_send,
	.apply_wait = fake_wait,
	.wake = fake_wake,
	.sample_flows = fake_sample,
	.alive = fake_alive,
	.shared = &fake.shared,
	.flows = &fake.flows,
};

static struct api *new_api(const char *path)
{
	struct api_fastpath ops = fake_ops;

	ops.stats = fake.stats;
	return api_create(&ops, path);
}

/* ------------------------------------------------------------------ */
/* Requests                                                             */

struct reply {
	int status;
	char *body;
	cJSON *json;
	char etag[80];
	char ctype[64];
	char allow[160];
	char location[160];
};

static struct reply R;
static struct api *A;
static uint64_t call_pass; /* http_request.pass of the next calls */

static void reply_reset(void)
{
	free(R.body);
	cJSON_Delete(R.json);
	memset(&R, 0, sizeof(R));
}

/* Single quotes in test JSON become double quotes. */
static char *dq(const char *s)
{
	char *t = strdup(s);

	for (char *c = t; *c; c++)
		if (*c == '\'')
			*c = '"';
	return t;
}

static void call(const char *method, const char *target, int role,
		 const char *body, const char *if_match, const char *ctype)
{
	struct http_request rq = { 0 };
	struct http_response rs = { 0 };
	char path[512], *b = body ? dq(body) : NULL;
	const char *q = strchr(target, '?');

	reply_reset();
	snprintf(path, sizeof(path), "%.*s",
		 (int)(q ? (size_t)(q - target) : strlen(target)), target);
	rq.method = method;
	rq.path = path;
	rq.query = q ? q + 1 : NULL;
	rq.if_match = if_match;
	rq.content_type = ctype;
	rq.body = (const uint8_t *)b;
	rq.body_len = b ? strlen(b) : 0;
	rq.role = role;
	rq.proto = 2;
	rq.tls = 1;
	rq.subject = "";
	rq.peer = "test";
	rq.pass = call_pass;
	api_handle(&rq, &rs, A);
	api_complete(&rq, rs.status, 0.003, A);
	R.status = rs.status;
	R.body = strndup(rs.body ? rs.body : "", rs.body_len);
	R.json = cJSON_Parse(R.body);
	snprintf(R.etag, sizeof(R.etag), "%s", rs.etag);
	snprintf(R.ctype, sizeof(R.ctype), "%s", rs.content_type);
	for (unsigned int i = 0; i < rs.n_headers; i++) {
		if (strcmp(rs.headers[i].name, "Allow") == 0)
			snprintf(R.allow, sizeof(R.allow), "%s",
				 rs.headers[i].value);
		if (strcmp(rs.headers[i].name, "Location") == 0)
			snprintf(R.location, sizeof(R.location), "%s",
				 rs.headers[i].value);
	}
	free(rs.body);
	free(b);
}

#define ADMIN HTTP_ROLE_ADMIN
#define READER HTTP_ROLE_READER
#define JSON "application/json"

static void get(const char *target)
{
	call("GET", target, READER, NULL, NULL, NULL);
}

static void put(const char *target, const char *body)
{
	call("PUT", target, ADMIN, body, NULL, JSON);
}

static void post(const char *target, const char *body)
{
	call("POST", target, ADMIN, body, NULL, JSON);
}

static void patch(const char *target, const char *body)
{
	call("PATCH", target, ADMIN, body, NULL, JSON);
}

static void del(const char *target)
{
	call("DELETE", target, ADMIN, NULL, NULL, NULL);
}

static const cJSON *jget(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* The reply is the project's error: exactly code, message, details. */
static bool is_error(int status, int code)
{
	const cJSON *j = R.json, *c = j ? j->child : NULL;

	return R.status == status && cJSON_IsObject(j) &&
	       strcmp(R.ctype, JSON) == 0 && c &&
	       strcmp(c->string, "code") == 0 && cJSON_IsNumber(c) &&
	       c->valueint == code && c->next &&
	       strcmp(c->next->string, "message") == 0 &&
	       cJSON_IsString(c->next) && c->next->valuestring[0] &&
	       c->next->next && strcmp(c->next->next->string, "details") == 0 &&
	       cJSON_IsObject(c->next->next) && c->next->next->next == NULL;
}

static const char *err_field(void)
{
	return cJSON_GetStringValue(jget(jget(R.json, "details"), "field"));
}

static bool field_is(const char *want)
{
	const char *f = err_field();

	return f != NULL && strcmp(f, want) == 0;
}

static uint64_t jnum(const cJSON *o, const char *k)
{
	return (uint64_t)cJSON_GetNumberValue(jget(o, k));
}

/* The body's text of "key": <digits> (exact, beyond doubles). */
static bool body_has(const char *s)
{
	return R.body && strstr(R.body, s) != NULL;
}

/* ------------------------------------------------------------------ */
/* Documents                                                            */

static const char doc_base[] =
	"{'services': ["
	"{'name': 'web', 'vip': '198.51.100.1', 'port': 80, 'protocol': 'tcp',"
	" 'forwarding': 'nat', 'backends': ["
	"  {'address': '10.0.0.1', 'port': 8080},"
	"  {'address': '10.0.0.2', 'port': 8080}]},"
	"{'name': 'web6', 'vip': '2001:db8::1', 'port': 443, 'protocol': 'tcp',"
	" 'forwarding': 'nat', 'backends': ["
	"  {'address': '2001:db8::10', 'port': 8443}]}]}";

static char *tmpdir;
static char cfg_path[512];

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);

	if (f) {
		size_t n = fread(buf, 1, (1 << 20) - 1, f);

		buf[n] = 0;
		fclose(f);
	}
	return buf;
}

/* The file of versions reserved for a configuration file. */
static void unlink_version(const char *path)
{
	char v[600];

	snprintf(v, sizeof(v), "%s.version", path);
	unlink(v);
}

/* A fresh API over a reset fake, with doc_base in force as version 1. */
static void fresh(void)
{
	api_destroy(A);
	free(fake.last_flat);
	memset(&fake.shared, 0, sizeof(fake.shared));
	fake.shared.n_ports = 2;
	fake.shared.n_workers = 2;
	fake.alive = true;
	fake.apply_rc = fake.sample_rc = 0;
	fake.applies = 0;
	fake.last_flat = NULL;
	unlink(cfg_path);
	unlink_version(cfg_path);
	A = new_api(cfg_path);
	put("/v1/config", doc_base);
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */

static void test_probes(void)
{
	api_destroy(A);
	memset(&fake.shared, 0, sizeof(fake.shared));
	fake.alive = true;
	A = new_api(NULL);
	call("GET", "/healthz", HTTP_ROLE_NONE, NULL, NULL, NULL);
	CHECK(R.status == 200 && body_has("\"status\":\"ok\""));
	call("GET", "/readyz", HTTP_ROLE_NONE, NULL, NULL, NULL);
	CHECK_MSG(is_error(503, API_ERR_FASTPATH), "%d %s", R.status, R.body);
	put("/v1/config", doc_base);
	CHECK_MSG(R.status == 200, "%d %s", R.status, R.body);
	call("GET", "/readyz", HTTP_ROLE_NONE, NULL, NULL, NULL);
	CHECK(R.status == 200 && jnum(R.json, "version") == 1);
	fake.shared.version = 7; /* someone else's configuration */
	get("/readyz");
	CHECK(is_error(503, API_ERR_FASTPATH));
	CHECK(field_is("") || err_field() == NULL);
	fake.shared.version = 1;
	fake.alive = false;
	get("/readyz");
	CHECK(is_error(503, API_ERR_FASTPATH));
	CHECK(!api_ready(A));
	fake.alive = true;
	CHECK(api_ready(A));
}

static void test_routing(void)
{
	static const struct {
		const char *path, *route;
	} routes[] = {
		{ "/healthz", "/healthz" },
		{ "/v1/config", "/v1/config" },
		{ "/v1/services", "/v1/services" },
		{ "/v1/services/web", "/v1/services/{name}" },
		{ "/v1/services/web/backends", "/v1/services/{name}/backends" },
		{ "/v1/services/web/backends/1.2.3.4:80",
		  "/v1/services/{name}/backends/{id}" },
		{ "/v1/services/", "other" },
		{ "/v1/services//backends", "other" },
		{ "/v1/services/web/backend", "other" },
		{ "/v1/services/web/backends/x/y", "other" },
		{ "/v1/configs", "other" },
		{ "/v1/config/", "other" },
		{ "/metrics", "/metrics" },
		{ "", "other" },
		{ "/v1/services/%zz", "other" },
		{ "/v1/services/a%00b", "other" },
	};

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		CHECK_MSG(strcmp(api_route_name(routes[i].path),
				 routes[i].route) == 0,
			  "%s -> %s", routes[i].path,
			  api_route_name(routes[i].path));
	fresh();
	get("/v1/nothing");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	call("POST", "/v1/config", ADMIN, "{}", NULL, JSON);
	CHECK(is_error(405, API_ERR_METHOD));
	CHECK_MSG(strcmp(R.allow, "GET, HEAD, PUT") == 0, "Allow: %s", R.allow);
	CHECK(strcmp(cJSON_GetStringValue(
			     jget(jget(R.json, "details"), "allowed")),
		     "GET, HEAD, PUT") == 0);
	call("BREW", "/v1/stats", ADMIN, NULL, NULL, NULL);
	CHECK(is_error(405, API_ERR_METHOD) &&
	      strcmp(R.allow, "GET, HEAD") == 0);
	call("HEAD", "/v1/config", READER, NULL, NULL, NULL);
	CHECK(R.status == 200 && strcmp(R.etag, "\"1\"") == 0);
	get("/v1/services/w%65b"); /* percent-decoded */
	CHECK(R.status == 200 &&
	      strcmp(cJSON_GetStringValue(jget(R.json, "name")), "web") == 0);
	get("/v1/services/nope");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
}

static void test_roles(void)
{
	fresh();
	get("/v1/config");
	CHECK(R.status == 200);
	call("PUT", "/v1/config", READER, doc_base, NULL, JSON);
	CHECK(is_error(403, API_ERR_FORBIDDEN));
	CHECK(api_version(A) == 1);
	call("DELETE", "/v1/services/web", READER, NULL, NULL, NULL);
	CHECK(is_error(403, API_ERR_FORBIDDEN));
	call("GET", "/v1/config", HTTP_ROLE_NONE, NULL, NULL, NULL);
	CHECK(is_error(403, API_ERR_FORBIDDEN));
	call("GET", "/metrics", HTTP_ROLE_NONE, NULL, NULL, NULL);
	CHECK(is_error(403, API_ERR_FORBIDDEN));
	call("GET", "/healthz", HTTP_ROLE_NONE, NULL, NULL, NULL);
	CHECK(R.status == 200);
	CHECK(fake.applies == 1);
}

static void test_config_put(void)
{
	char *file;

	fresh();
	CHECK(api_version(A) == 1 && fake.shared.version == 1);
	get("/v1/config");
	CHECK(R.status == 200 && strcmp(R.etag, "\"1\"") == 0);
	file = slurp(cfg_path);
	CHECK_MSG(strcmp(file, R.body) == 0, "persisted file differs");
	free(file);
	put("/v1/config", "{'services': []}");
	CHECK(R.status == 200 && strcmp(R.etag, "\"2\"") == 0);
	CHECK(jnum(R.json, "version") == 2 && jnum(R.json, "generation") == 2);
}

static void test_if_match(void)
{
	fresh();
	put("/v1/config", "{'services': []}");
	call("PUT", "/v1/config", ADMIN, doc_base, "\"1\"", JSON);
	CHECK(is_error(412, API_ERR_PRECONDITION));
	CHECK(strcmp(cJSON_GetStringValue(
			     jget(jget(R.json, "details"), "etag")),
		     "\"2\"") == 0);
	call("PUT", "/v1/config", ADMIN, doc_base, "W/\"2\"", JSON);
	CHECK(is_error(412, API_ERR_PRECONDITION));
	call("PUT", "/v1/config", ADMIN, doc_base, "\"9\", \"2\"", JSON);
	CHECK(R.status == 200 && api_version(A) == 3);
	call("PUT", "/v1/config", ADMIN, doc_base, "*", JSON);
	CHECK(R.status == 200 && api_version(A) == 4);
	call("DELETE", "/v1/services/web", ADMIN, NULL, "\"3\"", NULL);
	CHECK(is_error(412, API_ERR_PRECONDITION));
}

/* Invalid documents change nothing: not the config, file or version. */
static void test_invalid_documents(void)
{
	static const struct {
		const char *doc;
		int status, code;
		const char *field; /* NULL: none */
	} bad[] = {
		{ "{'services': [{'name': 'x', 'vip': '198.51.100.9', 'port': "
		  "70000, 'protocol': 'tcp'}]}",
		  400, API_ERR_VALIDATION, "services[0].port" },
		{ "{'services': [", 400, API_ERR_INVALID_JSON, NULL },
		{ "{} x", 400, API_ERR_INVALID_JSON, NULL },
		{ "", 400, API_ERR_INVALID_JSON, NULL },
		{ "{'foo': 1}", 400, API_ERR_VALIDATION, "document" },
		{ "{'services': [{'name': 'a\\u0000b'}]}", 400,
		  API_ERR_INVALID_JSON, "services[0].name" },
		/* RFC 8259 numbers and RFC 3629 UTF-8 only (issue #14) */
		{ "{'services': [{'name': 'x', 'vip': '198.51.100.9', 'port': "
		  "0443, 'protocol': 'tcp'}]}",
		  400, API_ERR_INVALID_JSON, "services[0].port" },
		{ "{'services': [{'name': 'x', 'vip': '198.51.100.9', 'port': "
		  "+80, 'protocol': 'tcp'}]}",
		  400, API_ERR_INVALID_JSON, "services[0].port" },
		{ "{'api': {'listeners': [{'unix': '/run/\xf5"
		  "a'}]}}",
		  400, API_ERR_INVALID_JSON, "api.listeners[0].unix" },
		{ "{'services': [{'name': 'a\xc0\x80'}]}", 400,
		  API_ERR_INVALID_JSON, "services[0].name" },
		{ "{'services': [{'name\xed\xa0\x80': 1}]}", 400,
		  API_ERR_INVALID_JSON, "services[0]" },
	};
	size_t n = CONFIG_MAX_BYTES + 10;
	char *file, *want, *big = malloc(n + 1);

	fresh();
	get("/v1/config");
	want = strdup(R.body);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("/v1/config", bad[i].doc);
		CHECK_MSG(is_error(bad[i].status, bad[i].code) &&
				  (!bad[i].field || field_is(bad[i].field)),
			  "%s -> %s", bad[i].doc, R.body);
	}
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = 0;
	put("/v1/config", big);
	CHECK(is_error(413, API_ERR_TOO_LARGE));
	call("PUT", "/v1/config", ADMIN, "{}", NULL, "text/plain");
	CHECK(is_error(415, API_ERR_MEDIA_TYPE));
	get("/v1/config");
	CHECK(strcmp(R.body, want) == 0 && api_version(A) == 1);
	CHECK(fake.applies == 1);
	file = slurp(cfg_path);
	CHECK(strcmp(file, want) == 0);
	call("PUT", "/v1/config", ADMIN, "{}", NULL,
	     "application/json; charset=utf-8");
	CHECK(R.status == 200 && api_version(A) == 2);
	free(big);
	free(file);
	free(want);
}

/* A POST or PATCH body's refusal names the field in the whole document. */
static void test_strict_json_paths(void)
{
	fresh();
	post("/v1/services", "{'name': 'n', 'vip': '198.51.100.7', 'port': 5., "
			     "'protocol': 'tcp'}");
	CHECK_MSG(is_error(400, API_ERR_INVALID_JSON) &&
			  field_is("services[2].port"),
		  "%s", R.body);
	post("/v1/services/web/backends",
	     "{'address': '10.0.0.9\xe0\x80\xaf'}");
	CHECK_MSG(is_error(400, API_ERR_INVALID_JSON) &&
			  field_is("services[0].backends[2].address"),
		  "%s", R.body);
	patch("/v1/services/web/backends/10.0.0.1:8080", "{'weight': 0x10}");
	CHECK_MSG(is_error(400, API_ERR_INVALID_JSON) &&
			  field_is("services[0].backends[0].weight"),
		  "%s", R.body);
	CHECK(api_version(A) == 1 && fake.applies == 1);
}

/* api_head(): what the head alone refuses, before any body is read. */
static int head(const char *method, const char *path, int role,
		const char *ctype, size_t body_len)
{
	struct http_request rq = { .method = method,
				   .path = path,
				   .role = role,
				   .content_type = ctype,
				   .body_len = body_len,
				   .subject = "",
				   .peer = "test" };
	struct http_response rs = { 0 };
	int refused = api_head(&rq, &rs, A);

	reply_reset();
	R.status = refused ? rs.status : 0;
	R.body = strndup(rs.body ? rs.body : "", rs.body_len);
	R.json = cJSON_Parse(R.body);
	snprintf(R.ctype, sizeof(R.ctype), "%s", rs.content_type);
	free(rs.body);
	return refused;
}

static void test_head_checks(void)
{
	fresh();
	CHECK(head("PUT", "/v1/config", HTTP_ROLE_NONE, JSON, 1000000) &&
	      is_error(403, API_ERR_FORBIDDEN));
	CHECK(head("POST", "/v1/services", READER, JSON, 100) &&
	      is_error(403, API_ERR_FORBIDDEN));
	CHECK(head("PUT", "/v1/config", ADMIN, "text/plain", 100) &&
	      is_error(415, API_ERR_MEDIA_TYPE));
	CHECK(head("PUT", "/v1/config", ADMIN, JSON, CONFIG_MAX_BYTES + 1) &&
	      is_error(413, API_ERR_TOO_LARGE));
	CHECK(head("PUT", "/v1/nothing", ADMIN, JSON, 10) &&
	      is_error(404, API_ERR_NOT_FOUND));
	CHECK(head("POST", "/v1/config", ADMIN, JSON, 10) &&
	      is_error(405, API_ERR_METHOD));
	CHECK(!head("PUT", "/v1/config", ADMIN, JSON, CONFIG_MAX_BYTES));
	CHECK(!head("GET", "/healthz", HTTP_ROLE_NONE, NULL, 0));
	CHECK(!head("GET", "/v1/config", READER, NULL, 0));
	CHECK(api_version(A) == 1 && fake.applies == 1);
}

static void test_fastpath_refusal(void)
{
	char *before, *file;
	unsigned int n;

	fresh();
	get("/v1/config");
	before = strdup(R.body);
	fake.apply_rc = -EINVAL;
	n = fake.applies;
	put("/v1/config", "{}");
	CHECK(is_error(503, API_ERR_FASTPATH));
	CHECK(strstr(R.body, "fake refusal") != NULL);
	CHECK(fake.applies == n + 1 && api_version(A) == 1);
	post("/v1/services/web/backends", "{'address': '10.0.0.3'}");
	CHECK(is_error(503, API_ERR_FASTPATH));
	fake.apply_rc = 0;
	get("/v1/config");
	CHECK(strcmp(R.body, before) == 0);
	file = slurp(cfg_path);
	CHECK(strcmp(file, before) == 0);
	free(file);
	free(before);
	/* no temporary file left behind */
	{
		char tmp[600];

		snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", cfg_path,
			 (long)getpid());
		CHECK(access(tmp, F_OK) != 0);
	}
}

/*
 * The file is written while the fast path builds. A write that fails
 * then (here: a file size limit, as a full disk would) puts the previous
 * configuration back in the fast path; the API still serves the old one.
 */
static void test_persist_write_fails(void)
{
	struct rlimit old, tiny = { .rlim_cur = 16, .rlim_max = 0 };
	char path[600], *text;
	unsigned int sent, wakes;

	api_destroy(A);
	snprintf(path, sizeof(path), "%s/wfail.json", tmpdir);
	A = new_api(path);
	put("/v1/config", doc_base);
	CHECK(R.status == 200 && api_version(A) >= 1);
	sent = fake.sent;
	wakes = fake.wakes;
	getrlimit(RLIMIT_FSIZE, &old);
	tiny.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &tiny);
	put("/v1/config", "{}");
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	CHECK(is_error(500, API_ERR_PERSIST));
	CHECK(strstr(R.body, "cannot persist") != NULL &&
	      strstr(R.body, "back in force") != NULL);
	/* the new one was sent, then the old one again */
	CHECK(fake.sent == sent + 2 && fake.wakes == wakes + 1);
	CHECK(fake.shared.version == api_version(A));
	get("/v1/services");
	CHECK(cJSON_GetArraySize(jget(R.json, "services")) == 2);
	/* the file still holds the old document, and no temporary is left */
	text = slurp(path);
	CHECK(text != NULL && strstr(text, "web6") != NULL);
	free(text);
	snprintf(path, sizeof(path), "%s/wfail.json.tmp.%ld", tmpdir,
		 (long)getpid());
	CHECK(access(path, F_OK) != 0);
}

static void test_persist_failures(void)
{
	char path[600];
	unsigned int n;

	/* a directory that does not exist: nothing is sent */
	api_destroy(A);
	memset(&fake.shared, 0, sizeof(fake.shared));
	fake.applies = 0;
	snprintf(path, sizeof(path), "%s/missing/config.json", tmpdir);
	A = new_api(path);
	put("/v1/config", doc_base);
	CHECK(is_error(500, API_ERR_PERSIST));
	CHECK(fake.applies == 0 && api_version(A) == 0);
	/* a rename that fails after the fast path took it: rolled back */
	api_destroy(A);
	snprintf(path, sizeof(path), "%s/isdir", tmpdir);
	mkdir(path, 0700);
	A = new_api(NULL);
	put("/v1/config", doc_base);
	CHECK(api_version(A) == 1);
	api_destroy(A);
	A = new_api(path);
	/* adopt what the fake runs so the rollback has something to send */
	CHECK(api_adopt(A, fake.last_flat, fake.last_len) == 0);
	n = fake.applies;
	put("/v1/config", "{}");
	CHECK(is_error(500, API_ERR_PERSIST));
	CHECK(strstr(R.body, "back in force") != NULL);
	CHECK(fake.applies == n + 2);
	CHECK(api_version(A) == 3 && fake.shared.version == 3);
	get("/v1/services");
	CHECK(cJSON_GetArraySize(jget(R.json, "services")) == 2);
	rmdir(path);
	test_persist_write_fails();
}

/* Write `text` (single quotes become double ones) to path. */
static void write_text(const char *path, const char *sq)
{
	char *text = dq(sq);
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
	free(text);
}

/* Both processes restart: the fake forgets, a new API reads the file. */
static void restart_both(void)
{
	api_destroy(A);
	memset(&fake.shared, 0, sizeof(fake.shared));
	fake.shared.n_ports = 2;
	fake.shared.n_workers = 2;
	fake.applies = 0;
	A = new_api(cfg_path);
}

/*
 * Issue #14: GET /v1/config is the file's bytes from the start; a SIGHUP
 * without an edit keeps the version; after both processes restart,
 * versions go on above any used before (an ETag never names two
 * documents); temporary files of a killed slow path are removed.
 */
static void test_versions_and_file(void)
{
	static const char doc[] = "{ 'services': [ {'name': 'web', 'vip': "
				  "'198.51.100.1', 'port': 80,\n"
				  "  'protocol': 'tcp'} ] }\n";
	char *text = dq(doc), tmp[600], keep[600];
	uint64_t v;

	fresh();
	write_text(cfg_path, doc);
	CHECK(api_apply_file(A, &(struct api_error){ 0 }) == 0);
	v = api_version(A);
	get("/v1/config");
	CHECK_MSG(strcmp(R.body, text) == 0, "GET /v1/config: %s", R.body);
	CHECK(fake.applies == 2);
	/* SIGHUP, file untouched: nothing applied, same version */
	CHECK(api_apply_file(A, &(struct api_error){ 0 }) == 0);
	CHECK(api_version(A) == v && fake.applies == 2);
	/* SIGHUP after an edit: a new version */
	write_text(cfg_path, "{}");
	CHECK(api_apply_file(A, &(struct api_error){ 0 }) == 0);
	CHECK(api_version(A) == v + 1 && fake.applies == 3);
	get("/v1/config");
	CHECK(strcmp(R.body, "{}") == 0);
	v = api_version(A);
	/* both restart: not version 1 again for another document */
	snprintf(tmp, sizeof(tmp), "%s.tmp.12345", cfg_path);
	write_text(tmp, "{");
	snprintf(keep, sizeof(keep), "%s.tmp.mine", cfg_path);
	write_text(keep, "{");
	restart_both();
	CHECK_MSG(access(tmp, F_OK) != 0, "%s left", tmp);
	CHECK(access(keep, F_OK) == 0);
	unlink(keep);
	write_text(cfg_path, doc);
	CHECK(api_apply_file(A, &(struct api_error){ 0 }) == 0);
	CHECK_MSG(api_version(A) > v, "version %" PRIu64 " after %" PRIu64,
		  api_version(A), v);
	get("/v1/config");
	CHECK(strcmp(R.body, text) == 0 && strcmp(R.etag, "\"1\"") != 0);
	/* an API write: the file and GET the same canonical bytes again */
	put("/v1/config", doc_base);
	free(text);
	text = slurp(cfg_path);
	get("/v1/config");
	CHECK(R.status == 200 && strcmp(R.body, text) == 0);
	free(text);
}

static void test_adopt(void)
{
	struct api *old;
	char *doc;

	fresh();
	post("/v1/services", "{'name': 'dns', 'vip': '198.51.100.3', 'port': "
			     "53, 'protocol': 'udp', 'backends': "
			     "[{'address': '10.0.1.1'}]}");
	CHECK(R.status == 201);
	get("/v1/config");
	doc = strdup(R.body);
	old = A;
	A = new_api(NULL);
	fake.shared.version = 1; /* not what the flat says */
	CHECK(api_adopt(A, fake.last_flat, fake.last_len) == -ESTALE);
	fake.shared.version = 2;
	CHECK(api_adopt(A, fake.last_flat, fake.last_len) == 0);
	CHECK(api_version(A) == 2 && api_ready(A));
	get("/v1/config");
	CHECK(strcmp(R.body, doc) == 0);
	CHECK(api_adopt(A, "junk", 4) == -EINVAL);
	/* stats ids carry on: the same flat comes out of the same config */
	put("/v1/config", doc);
	CHECK(R.status == 200);
	{
		const struct ep_cfg_hdr *h = fake.last_flat;
		const struct ep_cfg_service *s =
			(const void *)((const char *)fake.last_flat +
				       h->off_services);

		CHECK(h->n_services == 3 && s[2].stats_id == 2);
	}
	api_destroy(old);
	free(doc);
}

static void test_services(void)
{
	fresh();
	get("/v1/services");
	CHECK(R.status == 200 &&
	      cJSON_GetArraySize(jget(R.json, "services")) == 2);
	CHECK(strcmp(R.etag, "\"1\"") == 0);
	get("/v1/services/web6");
	CHECK(R.status == 200 &&
	      strcmp(cJSON_GetStringValue(jget(R.json, "vip")),
		     "2001:db8::1") == 0);
	post("/v1/services",
	     "{'name': 'dns', 'vip': '198.51.100.3', 'port': 53, "
	     "'protocol': 'udp'}");
	CHECK_MSG(R.status == 201, "%d %s", R.status, R.body);
	CHECK(strcmp(R.location, "/v1/services/dns") == 0);
	CHECK(strcmp(R.etag, "\"2\"") == 0);
	CHECK(strcmp(cJSON_GetStringValue(jget(R.json, "forwarding")), "dsr") ==
	      0);
	post("/v1/services",
	     "{'name': 'dns', 'vip': '198.51.100.4', 'port': 53, "
	     "'protocol': 'udp'}");
	CHECK(is_error(409, API_ERR_CONFLICT));
	post("/v1/services", "{'name': 'x', 'vip': '198.51.100.3', 'port': 53, "
			     "'protocol': 'udp'}");
	CHECK(is_error(400, API_ERR_VALIDATION));
	CHECK_MSG(err_field() && strncmp(err_field(), "services[3]", 11) == 0,
		  "%s", R.body);
	post("/v1/services", "{'name': 'y', 'vip': '198.51.100.5', 'port': 1, "
			     "'protocol': 'tcp', 'extra': 1}");
	CHECK(is_error(400, API_ERR_VALIDATION) && field_is("services[3]"));
	post("/v1/services", "[1]");
	CHECK(is_error(400, API_ERR_VALIDATION) && field_is("services[3]"));
	post("/v1/services", "{'name': 'z'}, {'name': 'w'}");
	CHECK(is_error(400, API_ERR_INVALID_JSON));
	post("/v1/services", "{'name': 'z', 'vip': '198.51.100.6', 'port': 1, "
			     "'protocol': 'tcp'}]}, 'api': {");
	CHECK(is_error(400, API_ERR_INVALID_JSON));
	CHECK(api_version(A) == 2);
	del("/v1/services/web");
	CHECK(R.status == 200 && jnum(R.json, "version") == 3);
	get("/v1/services");
	CHECK(cJSON_GetArraySize(jget(R.json, "services")) == 2);
	del("/v1/services/web");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	CHECK(api_version(A) == 3);
}

static void test_backend_ids(void)
{
	static const char *const missing[] = {
		"/v1/services/web6/backends/2001:db8::10:8443",
		"/v1/services/web/backends/10.0.0.2:80800",
		"/v1/services/web/backends/10.0.0.2",
		"/v1/services/web/backends/10.0.0.2:+80",
		"/v1/services/web/backends/[10.0.0.2]:8080",
		"/v1/services/nope/backends/10.0.0.2:8080",
	};

	fresh();
	get("/v1/services/web/backends");
	CHECK(R.status == 200 &&
	      cJSON_GetArraySize(jget(R.json, "backends")) == 2);
	get("/v1/services/web/backends/10.0.0.2:8080");
	CHECK(R.status == 200 && jnum(R.json, "port") == 8080);
	get("/v1/services/web6/backends/%5B2001:db8::10%5D:8443");
	CHECK(R.status == 200 && jnum(R.json, "port") == 8443);
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		get(missing[i]);
		CHECK_MSG(is_error(404, API_ERR_NOT_FOUND), "%s", missing[i]);
	}
}

static void test_backend_post_delete(void)
{
	fresh();
	post("/v1/services/web/backends",
	     "{'address': '10.0.0.3', 'port': 8080, 'weight': 5}");
	CHECK_MSG(R.status == 201 && jnum(R.json, "weight") == 5, "%s", R.body);
	post("/v1/services/web/backends",
	     "{'address': '10.0.0.3', 'port': 8080}");
	CHECK(is_error(409, API_ERR_CONFLICT));
	post("/v1/services/web/backends",
	     "{'address': '2001:db8::3', 'port': 8080}");
	CHECK(is_error(400, API_ERR_VALIDATION));
	CHECK_MSG(err_field() && strncmp(err_field(), "services[0].backends[3]",
					 23) == 0,
		  "%s", R.body);
	post("/v1/services/nope/backends", "{'address': '10.0.0.3'}");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	CHECK(api_version(A) == 2);
	del("/v1/services/web/backends/10.0.0.2:8080");
	CHECK(R.status == 200 && api_version(A) == 3);
	get("/v1/services/web/backends");
	CHECK(cJSON_GetArraySize(jget(R.json, "backends")) == 2);
	del("/v1/services/web/backends/10.0.0.2:8080");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
}

static void test_backend_patch(void)
{
	static const struct {
		const char *body, *field; /* field NULL: any */
	} bad[] = {
		{ "{'weight': 70000}", "services[0].backends[0].weight" },
		{ "{'weight': -1}", "services[0].backends[0].weight" },
		{ "{'weight': 1.5}", "services[0].backends[0].weight" },
		{ "{'weight': '1'}", "services[0].backends[0].weight" },
		{ "{'state': 'sleepy'}", "services[0].backends[0].state" },
		{ "{'state': 1}", "services[0].backends[0].state" },
		{ "{'port': 1}", "services[0].backends[0]" },
		{ "{'state': 'up', 'state': 'down'}",
		  "services[0].backends[0]" },
		{ "{}", "services[0].backends[0]" },
		{ "[]", "services[0].backends[0]" },
	};
	const char *b0 = "/v1/services/web/backends/10.0.0.1:8080";

	fresh();
	patch(b0, "{'weight': 7, 'state': 'drain'}");
	CHECK(R.status == 200 && jnum(R.json, "weight") == 7);
	CHECK(strcmp(cJSON_GetStringValue(jget(R.json, "state")), "drain") ==
	      0);
	CHECK(strcmp(R.etag, "\"2\"") == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		patch(b0, bad[i].body);
		CHECK_MSG(is_error(400, API_ERR_VALIDATION) &&
				  field_is(bad[i].field),
			  "%s -> %s", bad[i].body, R.body);
	}
	patch("/v1/services/web/backends/10.0.0.9:8080", "{'weight': 1}");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	CHECK(api_version(A) == 2);
}

static void test_stats(void)
{
	const cJSON *svc, *be;

	fresh();
	memset(fake.stats, 0, sizeof(*fake.stats));
	fake.stats->n_lcores = 2;
	fake.stats->lcore[0].cnt[EP_CNT_RX_PKTS] = 10;
	fake.stats->lcore[1].cnt[EP_CNT_RX_PKTS] = (1ull << 60) + 1;
	fake.stats->lcore[1].drop[EP_DROP_NO_BACKEND] = 3;
	fake.stats->lcore[0].port[1].tx_bytes = 5;
	fake.stats->lcore[2].cnt[EP_CNT_RX_PKTS] = 1000; /* unused lcore */
	/* services web, web6 have stats ids 0, 1; backends 0..2 */
	fake.stats->svc[0][1].pkts = 4;
	fake.stats->svc[1][1].pkts = 5;
	fake.stats->be[1][2].active_flows = 2;
	fake.stats->be[0][2].active_flows = -1;
	get("/v1/stats");
	CHECK(R.status == 200);
	CHECK(body_has("\"rx_packets\":1152921504606846987"));
	CHECK(jnum(jget(R.json, "drops"), "no_backend") == 3);
	CHECK(jnum(R.json, "drops_total") == 3);
	CHECK(jnum(cJSON_GetArrayItem(jget(R.json, "ports"), 1), "tx_bytes") ==
	      5);
	CHECK(cJSON_GetArraySize(jget(R.json, "ports")) == 2);
	svc = cJSON_GetArrayItem(jget(R.json, "services"), 1);
	CHECK(strcmp(cJSON_GetStringValue(jget(svc, "name")), "web6") == 0);
	CHECK(jnum(svc, "packets") == 9);
	be = cJSON_GetArrayItem(jget(svc, "backends"), 0);
	CHECK(strcmp(cJSON_GetStringValue(jget(be, "id")),
		     "[2001:db8::10]:8443") == 0);
	CHECK(jnum(be, "active_flows") == 1);
	CHECK(jnum(R.json, "config_version") == 1 &&
	      jnum(R.json, "generation") == 1);
	CHECK(cJSON_IsTrue(jget(R.json, "fastpath_alive")));
}

/*
 * Requests of one server pass share one reading of the counters (one
 * rendering); a new pass, a change of configuration or an unknown pass
 * (0) reads them again.
 */
static void test_stats_one_pass(void)
{
	char *first;

	fresh();
	memset(fake.stats, 0, sizeof(*fake.stats));
	fake.stats->n_lcores = 1;
	fake.stats->lcore[0].cnt[EP_CNT_RX_PKTS] = 10;
	call_pass = 41;
	get("/v1/stats");
	CHECK(R.status == 200 &&
	      jnum(jget(R.json, "counters"), "rx_packets") == 10);
	first = strdup(R.body);
	fake.stats->lcore[0].cnt[EP_CNT_RX_PKTS] = 20;
	for (int i = 0; i < 3; i++) { /* the same pass: the same body */
		call(i == 1 ? "HEAD" : "GET", "/v1/stats", READER, NULL, NULL,
		     NULL);
		CHECK_MSG(R.status == 200 && strcmp(R.body, first) == 0,
			  "request %d of the pass: %s", i, R.body);
		CHECK(strcmp(R.ctype, "application/json") == 0);
	}
	get("/v1/stats?x=1"); /* the query changes nothing in the body */
	CHECK(strcmp(R.body, first) == 0);
	call_pass = 42; /* the next pass reads the counters again */
	get("/v1/stats");
	CHECK(jnum(jget(R.json, "counters"), "rx_packets") == 20);
	/* a change within the pass: the next request sees it */
	post("/v1/services", "{'name': 'api', 'vip': '198.51.100.2', "
			     "'port': 443, 'protocol': 'tcp', 'backends': []}");
	CHECK_MSG(R.status == 201, "%d %s", R.status, R.body);
	get("/v1/stats");
	CHECK(jnum(R.json, "config_version") == 2);
	CHECK(cJSON_GetArraySize(jget(R.json, "services")) == 3);
	/* a refused change leaves the body as it was */
	fake.apply_rc = -EIO;
	del("/v1/services/api");
	CHECK(R.status == 503);
	fake.apply_rc = 0;
	fake.stats->lcore[0].cnt[EP_CNT_RX_PKTS] = 30;
	get("/v1/stats");
	CHECK(jnum(R.json, "config_version") == 2 &&
	      jnum(jget(R.json, "counters"), "rx_packets") == 20);
	call_pass = 0; /* unknown: every request reads the counters */
	get("/v1/stats");
	CHECK(jnum(jget(R.json, "counters"), "rx_packets") == 30);
	fake.stats->lcore[0].cnt[EP_CNT_RX_PKTS] = 40;
	get("/v1/stats");
	CHECK(jnum(jget(R.json, "counters"), "rx_packets") == 40);
	free(first);
}

/* ---- /v1/stats as the cJSON builders rendered it before issue 4 ---- */

static void ref_u64(cJSON *o, const char *key, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	cJSON_AddItemToObject(o, key, cJSON_CreateRaw(b));
}

static void ref_i64(cJSON *o, const char *key, int64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRId64, v);
	cJSON_AddItemToObject(o, key, cJSON_CreateRaw(b));
}

static cJSON *ref_stats(const struct ep_stats *s, const struct ep_shared *sh,
			uint64_t config_version, bool alive,
			const struct metrics_names *n)
{
	cJSON *root = cJSON_CreateObject(), *cnt, *drops, *arr, *o, *barr, *b;
	uint64_t total = 0, v;
	struct ep_port_counters pc;
	struct ep_svc_counters sc;
	struct ep_be_counters bc;

	ref_u64(root, "generation", sh->generation);
	ref_u64(root, "version", sh->version);
	ref_u64(root, "config_version", config_version);
	cJSON_AddBoolToObject(root, "attached", true);
	cJSON_AddBoolToObject(root, "fastpath_alive", alive);
	ref_u64(root, "workers", sh->n_workers);
	ref_u64(root, "punt_ring_depth", s->ring_depth_punt);
	ref_u64(root, "inject_ring_depth", s->ring_depth_inject);
	ref_u64(root, "maglev_pending", s->maglev_pending);
	ref_u64(root, "maglev_deferred", s->maglev_deferred);
	ref_u64(root, "maglev_abandoned", s->maglev_abandoned);
	cnt = cJSON_AddObjectToObject(root, "counters");
	drops = cJSON_AddObjectToObject(root, "drops");
	for (int i = 0; i < EP_CNT_MAX; i++)
		ref_u64(cnt, stats_counter_names[i], stats_sum_cnt(s, i));
	for (int r = 0; r < EP_DROP_MAX; r++) {
		v = stats_sum_drop(s, r);
		total += v;
		ref_u64(drops, stats_drop_names[r], v);
	}
	ref_u64(root, "drops_total", total);
	arr = cJSON_AddArrayToObject(root, "ports");
	for (uint32_t p = 0; p < sh->n_ports && p < EP_MAX_PORTS; p++) {
		stats_sum_port(s, p, &pc);
		cJSON_AddItemToArray(arr, o = cJSON_CreateObject());
		ref_u64(o, "port", p);
		ref_u64(o, "rx_packets", pc.rx_pkts);
		ref_u64(o, "rx_bytes", pc.rx_bytes);
		ref_u64(o, "tx_packets", pc.tx_pkts);
		ref_u64(o, "tx_bytes", pc.tx_bytes);
		ref_u64(o, "tx_drops", pc.tx_drops);
	}
	arr = cJSON_AddArrayToObject(root, "services");
	for (uint32_t i = 0; i < n->n_services; i++) {
		const struct metrics_service_name *sn = &n->services[i];

		stats_sum_svc(s, sn->sid, &sc);
		cJSON_AddItemToArray(arr, o = cJSON_CreateObject());
		cJSON_AddStringToObject(o, "name", sn->name);
		ref_u64(o, "packets", sc.pkts);
		ref_u64(o, "bytes", sc.bytes);
		ref_u64(o, "new_flows", sc.new_flows);
		ref_u64(o, "drops", sc.drops);
		ref_u64(o, "drops_acl", sc.drop_acl);
		ref_u64(o, "drops_rate_service_pps", sc.drop_rate_pps);
		ref_u64(o, "drops_rate_service_bps", sc.drop_rate_bps);
		ref_u64(o, "drops_rate_service_cps", sc.drop_rate_cps);
		ref_u64(o, "drops_rate_client", sc.drop_rate_client);
		ref_u64(o, "drops_syn_flood", sc.drop_syn_flood);
		ref_u64(o, "syn_cookie_sent", sc.syn_cookie_sent);
		ref_u64(o, "syn_cookie_invalid", sc.syn_cookie_invalid);
		ref_u64(o, "syn_cookie_valid", sc.syn_cookie_valid);
		ref_u64(o, "syn_proxy_established", sc.syn_proxy_established);
		ref_u64(o, "syn_proxy_backend_reset",
			sc.syn_proxy_backend_reset);
		ref_u64(o, "syn_proxy_syn_retries", sc.syn_proxy_syn_retries);
		ref_u64(o, "drops_syn_proxy_waiting", sc.drop_syn_proxy_wait);
		barr = cJSON_AddArrayToObject(o, "backends");
		for (uint32_t j = 0; j < sn->n_backends; j++) {
			const struct metrics_backend_name *bn =
				&n->backends[sn->first_backend + j];

			stats_sum_be(s, bn->sid, &bc);
			cJSON_AddItemToArray(barr, b = cJSON_CreateObject());
			cJSON_AddStringToObject(b, "id", bn->id);
			ref_u64(b, "packets", bc.pkts);
			ref_u64(b, "bytes", bc.bytes);
			ref_u64(b, "new_flows", bc.new_flows);
			ref_i64(b, "active_flows", bc.active_flows);
		}
	}
	return root;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Fill bytes with pseudo-random data (any counter value, any sign). */
static void fill_random(void *p, size_t n, uint64_t *seed)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)xorshift(seed);
}

/* The direct writer gives the same document, byte for byte, as cJSON. */
static void test_stats_same_as_cjson(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	struct metrics_names names = { 0 };
	cJSON *ref, *got;
	char *ref_text;

	fresh();
	for (int round = 0; round < 3; round++) {
		memset(fake.stats, 0, sizeof(*fake.stats));
		fill_random(fake.stats->lcore, sizeof(fake.stats->lcore),
			    &seed);
		for (unsigned int w = 0; w < EP_MAX_WORKERS; w++) {
			fill_random(fake.stats->svc[w],
				    4 * sizeof(fake.stats->svc[w][0]), &seed);
			fill_random(fake.stats->be[w],
				    8 * sizeof(fake.stats->be[w][0]), &seed);
		}
		fake.stats->n_lcores = round == 0 ? 1 : EP_MAX_WORKERS;
		fake.stats->ring_depth_punt = (uint32_t)xorshift(&seed);
		fake.stats->ring_depth_inject = UINT32_MAX;
		fake.stats->maglev_pending = 7;
		fake.stats->maglev_deferred = UINT64_MAX;
		fake.shared.generation = round == 2 ? UINT64_MAX : 7;
		fake.shared.n_ports = round == 2 ? EP_MAX_PORTS + 1 : 2;
		fake.alive = round != 1;
		get("/v1/stats");
		CHECK(R.status == 200 && R.json != NULL);
		CHECK(fake.last_flat != NULL &&
		      metrics_names_build(&names, fake.last_flat,
					  fake.last_len) == 0);
		ref = ref_stats(fake.stats, &fake.shared, 1, fake.alive,
				&names);
		ref_text = cJSON_PrintUnformatted(ref);
		got = cJSON_Parse(ref_text);
		CHECK(got != NULL && cJSON_Compare(got, R.json, true));
		CHECK_MSG(ref_text && strcmp(ref_text, R.body) == 0,
			  "round %d:\n%s\n%s", round, ref_text, R.body);
		cJSON_Delete(got);
		cJSON_Delete(ref);
		free(ref_text);
		metrics_names_free(&names);
	}
	fake.alive = true;
	fake.shared.n_ports = 2;
}

/* Names are escaped the way cJSON_PrintUnformatted escapes them. */
static void test_json_string_escape(void)
{
	static const char *const cases[] = {
		"",	     "web",	      "a\"b\\c",  "\b\f\n\r\t",
		"\x01\x1f ", "\x7f\xc3\xa9/", "x\x10y\"",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct metrics_text t = { 0 };
		cJSON *s = cJSON_CreateString(cases[i]);
		char *want = cJSON_PrintUnformatted(s);

		metrics_text_json_string(&t, cases[i]);
		CHECK_MSG(want && t.buf && strcmp(want, t.buf) == 0, "%s != %s",
			  want, t.buf);
		free(want);
		cJSON_Delete(s);
		metrics_text_free(&t);
	}
}

/* Two flows: one of web's (backend 10.0.0.2:8080), one of a service
 * and backend no longer configured. */
static void flows_fixture(void)
{
	struct ep_flow_entry *f = &fake.flows.flows[0];

	memset(&fake.flows, 0, sizeof(fake.flows));
	fake.flows.count = 2;
	f->client.family = EP_AF_INET;
	memcpy(f->client.bytes, "\xc0\x00\x02\x07", 4);
	f->client_port = 5555;
	f->vip.family = EP_AF_INET;
	memcpy(f->vip.bytes, "\xc6\x33\x64\x01", 4);
	f->vip_port = 80;
	f->backend.family = EP_AF_INET;
	memcpy(f->backend.bytes, "\x0a\x00\x00\x02", 4);
	f->backend_port = 8080;
	f->proto = 6;
	f->state = 2;
	f->service_stats_id = 0;
	f->backend_stats_id = 1;
	f->age_ms = 12;
	fake.flows.flows[1] = *f;
	fake.flows.flows[1].service_stats_id = 999;
	fake.flows.flows[1].backend_stats_id = 999;
}

static void test_flows(void)
{
	const cJSON *e;

	fresh();
	flows_fixture();
	get("/v1/flows?service=web&limit=1");
	CHECK(R.status == 200 && jnum(R.json, "count") == 1);
	CHECK(fake.last_sample_sid == 0 && fake.last_sample_limit == 1);
	e = cJSON_GetArrayItem(jget(R.json, "flows"), 0);
	CHECK(strcmp(cJSON_GetStringValue(jget(e, "service")), "web") == 0);
	CHECK(strcmp(cJSON_GetStringValue(jget(e, "backend")),
		     "10.0.0.2:8080") == 0);
	CHECK(strcmp(cJSON_GetStringValue(jget(e, "client")),
		     "192.0.2.7:5555") == 0);
	CHECK(strcmp(cJSON_GetStringValue(jget(e, "vip")), "198.51.100.1:80") ==
	      0);
	CHECK(strcmp(cJSON_GetStringValue(jget(e, "state")), "established") ==
	      0);
	CHECK(strcmp(cJSON_GetStringValue(jget(e, "protocol")), "tcp") == 0);
	get("/v1/flows");
	CHECK(R.status == 200 && jnum(R.json, "count") == 2);
	CHECK(fake.last_sample_sid == UINT32_MAX &&
	      fake.last_sample_limit == API_FLOWS_LIMIT_DEFAULT);
	e = cJSON_GetArrayItem(jget(R.json, "flows"), 1);
	CHECK(cJSON_IsNull(jget(e, "service")) &&
	      cJSON_IsNull(jget(e, "backend")));
	get("/v1/flows?limit=1024&service=w%65b6");
	CHECK(R.status == 200 && fake.last_sample_sid == 1);
}

static void test_flows_query(void)
{
	fresh();
	flows_fixture();
	get("/v1/flows?limit=0");
	CHECK(is_error(400, API_ERR_VALIDATION) && field_is("query.limit"));
	get("/v1/flows?limit=1025");
	CHECK(is_error(400, API_ERR_VALIDATION) && field_is("query.limit"));
	get("/v1/flows?limit=1x");
	CHECK(is_error(400, API_ERR_VALIDATION));
	get("/v1/flows?limit=1&limit=2");
	CHECK(is_error(400, API_ERR_VALIDATION));
	get("/v1/flows?colour=red");
	CHECK(is_error(400, API_ERR_VALIDATION) && field_is("query.colour"));
	get("/v1/flows?service");
	CHECK(is_error(400, API_ERR_VALIDATION) && field_is("query"));
	get("/v1/flows?service=nope");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	fake.sample_rc = -ETIMEDOUT;
	get("/v1/flows");
	CHECK(is_error(503, API_ERR_FASTPATH));
	fake.sample_rc = 0;
}

static void test_metrics_text(void)
{
	struct metrics_text t = { 0 };
	struct metrics_label l[2] = { { "a", "q\"b\\s\nx" }, { "b", "" } };
	char err[256];

	metrics_family(&t, "x_total", "counter", "help \\ with\nnewline");
	metrics_u64(&t, "x_total", l, 2, 5);
	CHECK_MSG(strcmp(t.buf,
			 "# HELP x_total help \\\\ with\\nnewline\n"
			 "# TYPE x_total counter\n"
			 "x_total{a=\"q\\\"b\\\\s\\nx\",b=\"\"} 5\n") == 0,
		  "%s", t.buf);
	CHECK(prom_check(t.buf, t.len, err, sizeof(err)) == 1);
	metrics_text_free(&t);
	/* the parser refuses what it should */
	static const char *const bad[] = {
		"x 1",
		"x{a=\"1\"} 1\ny 2\nx{a=\"2\"} 3\n",
		"x 1\nx 2\n",
		"# TYPE x counter\n# TYPE x counter\nx 1\n",
		"x 1\n# TYPE x counter\n",
		"# TYPE x counter\nx -1\n",
		"x{a=\"\\q\"} 1\n",
		"x{a=1} 1\n",
		"x{__a=\"1\"} 1\n",
		"x{a=\"1\",a=\"2\"} 1\n",
		"1x 1\n",
		"x  1\n",
		"x 0x10\n",
		"x abc\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} "
		"1\n"
		"h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count "
		"2\n",
		"# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} "
		"1\n"
		"h_bucket{le=\"+Inf\"} 2\n",
		"# TYPE x wibble\nx 1\n",
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count "
		"3\n",
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n",
		"x{a=\"1\",} 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(prom_check(bad[i], strlen(bad[i]), err, sizeof(err)) <
				  0,
			  "accepted: %s", bad[i]);
	static const char good[] =
		"# HELP h x\n# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\n"
		"h_bucket{le=\"+Inf\"} 2\nh_sum 1.5\nh_count 2\n"
		"# a comment\n\nx{a=\"1\"} NaN 1700000000000\n";
	CHECK_MSG(prom_check(good, strlen(good), err, sizeof(err)) == 5, "%s",
		  err);
}

/* /metrics (in R) counts `built` changes built and persisted, of which
 * `acked` the fast path took. */
static void check_apply_phases(int built, int acked)
{
	static const char *const phases[] = { "build", "persist_write",
					      "fastpath", "persist_rename",
					      "to_fastpath_ack" };
	char want[160];

	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		snprintf(want, sizeof(want),
			 "\nedgepath_api_config_apply_seconds_count{phase="
			 "\"%s\"} %d\n",
			 phases[i], i < 2 ? built : acked);
		CHECK_MSG(body_has(want), "no %s", want + 1);
	}
}

static void test_metrics_endpoint(void)
{
	struct metrics_api m = { 0 };
	char err[256];
	long n;

	fresh();
	memset(fake.stats, 0, sizeof(*fake.stats));
	fake.stats->n_lcores = 1;
	fake.stats->lcore[0].drop[EP_DROP_NO_BACKEND] = 42;
	fake.stats->lcore[0].drop[EP_DROP_ACL] = 5;
	fake.stats->be[0][2].pkts = 7;
	get("/v1/config");
	get("/nothing");
	call("GET", "/metrics", READER, NULL, NULL, NULL);
	CHECK(R.status == 200);
	CHECK(strcmp(R.ctype, "text/plain; version=0.0.4; charset=utf-8") == 0);
	n = prom_check(R.body, strlen(R.body), err, sizeof(err));
	CHECK_MSG(n > 100, "metrics refused: %s", err);
	CHECK(body_has("\nedgepath_drops_total{reason=\"no_backend\"} 42\n"));
	CHECK(body_has("\nedgepath_backend_packets_total{service=\"web6\","
		       "backend=\"[2001:db8::10]:8443\"} 7\n"));
	CHECK(body_has("\nedgepath_port_rx_packets_total{port=\"1\"} 0\n"));
	CHECK(body_has(
		"\nedgepath_service_packets_total{service=\"web\"} 0\n"));
	CHECK(body_has("\nedgepath_drops_total{reason=\"acl\"} 5\n"));
	CHECK(body_has("\nedgepath_service_drops_rate_service_pps_total{"
		       "service=\"web\"} 0\n"));
	CHECK(body_has("\nedgepath_api_requests_total{route=\"/v1/config\","
		       "method=\"GET\",code=\"200\"} 1\n"));
	CHECK(body_has("\nedgepath_api_requests_total{route=\"other\","
		       "method=\"GET\",code=\"404\"} 1\n"));
	CHECK(body_has("edgepath_api_request_duration_seconds_bucket{route="
		       "\"/v1/config\",le=\"0.0025\"} 0\n"));
	CHECK(body_has("edgepath_api_request_duration_seconds_bucket{route="
		       "\"/v1/config\",le=\"0.005\"} 2\n"));
	CHECK(body_has("\nedgepath_api_config_version 1\n"));
	CHECK(body_has("\nedgepath_api_ready 1\n"));
	check_apply_phases(1, 1);
	/* refused by validation, then by the fast path: only the phases
	 * that completed count */
	put("/v1/config", "{'services': 3}");
	fake.apply_rc = -EINVAL;
	put("/v1/config", doc_base);
	fake.apply_rc = 0;
	call("GET", "/metrics", READER, NULL, NULL, NULL);
	CHECK(prom_check(R.body, strlen(R.body), err, sizeof(err)) > 100);
	check_apply_phases(2, 1);
	/* every counter family ends in _total */
	for (const char *p = strstr(R.body, "# TYPE "); p;
	     p = strstr(p + 1, "# TYPE ")) {
		const char *sp = strchr(p + 7, ' ');

		if (strncmp(sp, " counter", 8) == 0)
			CHECK_MSG(strncmp(sp - 6, "_total", 6) == 0, "%.60s",
				  p);
	}
	/* bounded series */
	for (int i = 0; i < METRICS_MAX_SERIES + 10; i++)
		metrics_api_observe(&m, "/r", "GET", 200 + i, 0.1);
	CHECK(m.n_series == METRICS_MAX_SERIES && m.dropped == 10);
	metrics_api_observe(&m, "/r", "GET", 200, NAN);
	metrics_api_observe(&m, "/r", "GET", 200, 100.0);
	CHECK(m.routes[0].count == METRICS_MAX_SERIES + 2);
}

/* ------------------------------------------------------------------ */
/* Active health checks: the overlay, republish, what the API shows     */

static uint8_t flat_state(uint32_t i)
{
	const struct ep_cfg_hdr *h = fake.last_flat;
	const struct ep_cfg_backend *b =
		(const void *)((const char *)fake.last_flat + h->off_backends);

	return b[i].state;
}

static const cJSON *health_of(uint32_t i)
{
	return cJSON_GetArrayItem(jget(jget(R.json, "health"), "backends"),
				  (int)i);
}

static bool health_is(uint32_t i, const char *state, const char *reason)
{
	const cJSON *h = health_of(i);

	return h &&
	       strcmp(cJSON_GetStringValue(jget(h, "state")), state) == 0 &&
	       strcmp(cJSON_GetStringValue(jget(h, "reason")), reason) == 0;
}

static void test_health(void)
{
	static const char doc[] =
		"{'services': ["
		"{'name': 'web', 'vip': '198.51.100.1', 'port': 80,"
		" 'protocol': 'tcp', 'forwarding': 'nat',"
		" 'health_check': {'type': 'tcp', 'rise': 1, 'fall': 1},"
		" 'backends': ["
		"  {'address': '10.0.0.1', 'port': 8080},"
		"  {'address': '10.0.0.2', 'port': 8080}]}]}";
	struct health_engine *h = health_engine_create();
	struct health_target *t;
	struct api_error e;
	char *file, *text, etag[80];
	uint32_t n;

	fresh();
	put("/v1/config", doc);
	CHECK(R.status == 200);
	CHECK(health_targets_build(api_config(A), &t, &n) == 0 && n == 2);
	CHECK(health_engine_set(h, t, n, 0) == 0);
	free(t);
	api_set_health(A, h);
	get("/v1/services/web/backends");
	CHECK(strcmp(cJSON_GetStringValue(
			     jget(jget(R.json, "health"), "check")),
		     "tcp") == 0);
	CHECK(health_is(0, "up", "") && health_is(1, "up", ""));
	get("/v1/config");
	text = strdup(R.body);
	snprintf(etag, sizeof(etag), "%s", R.etag);
	file = slurp(cfg_path);

	/* 10.0.0.1 fails: the flat form has it down, the document not */
	CHECK(health_engine_observe(h, 0, HEALTH_R_REFUSED, 111, 1) == 1);
	CHECK(api_republish(A, &e) == 0);
	CHECK(flat_state(0) == EP_BE_DOWN && flat_state(1) == EP_BE_UP);
	get("/v1/config");
	CHECK(strcmp(R.body, text) == 0 && strcmp(R.etag, etag) != 0);
	free(file);
	file = slurp(cfg_path);
	CHECK(strstr(file, "\"down\"") == NULL);
	get("/v1/services/web/backends");
	CHECK(health_is(0, "down", "refused") && health_is(1, "up", ""));
	CHECK(strcmp(cJSON_GetStringValue(
			     jget(jget(R.json, "health"), "state")),
		     "ok") == 0);
	CHECK(strcmp(cJSON_GetStringValue(jget(
			     cJSON_GetArrayItem(jget(R.json, "backends"), 0),
			     "state")),
		     "up") == 0); /* the configured state */
	get("/metrics");
	CHECK(body_has("edgepath_backend_health_up{service=\"web\","
		       "backend=\"10.0.0.1:8080\"} 0"));
	CHECK(body_has("edgepath_health_transitions_down_total 1"));

	/* both fail: panic, both take flows */
	CHECK(health_engine_observe(h, 1, HEALTH_R_TIMEOUT, 0, 2) == 1);
	CHECK(api_republish(A, &e) == 0);
	CHECK(flat_state(0) == EP_BE_UP && flat_state(1) == EP_BE_UP);
	get("/v1/services/web/backends");
	CHECK(strcmp(cJSON_GetStringValue(
			     jget(jget(R.json, "health"), "state")),
		     "panic") == 0);
	get("/metrics");
	CHECK(body_has("edgepath_service_health_panic{service=\"web\"} 1"));

	/* 10.0.0.2 recovers; an API write keeps the overlay and persists
	 * the configured state only */
	CHECK(health_engine_observe(h, 1, HEALTH_R_OK, 0, 3) == 1);
	patch("/v1/services/web/backends/10.0.0.2:8080", "{'weight': 5}");
	CHECK(R.status == 200);
	CHECK(flat_state(0) == EP_BE_DOWN && flat_state(1) == EP_BE_UP);
	free(file);
	file = slurp(cfg_path);
	CHECK(strstr(file, "\"down\"") == NULL && strstr(file, "\"weight\":5"));
	CHECK(strstr(file, "\"health_check\"") != NULL);

	api_set_health(A, NULL);
	health_engine_destroy(h);
	free(file);
	free(text);
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/test_api.XXXXXX";

	if (argc == 3 && strcmp(argv[1], "--check-metrics") == 0)
		return check_metrics_file(argv[2]);
	fake.stats = calloc(1, sizeof(*fake.stats));
	tmpdir = mkdtemp(tmpl);
	if (fake.stats == NULL || tmpdir == NULL)
		return 1;
	snprintf(cfg_path, sizeof(cfg_path), "%s/config.json", tmpdir);
	test_probes();
	test_routing();
	test_roles();
	test_config_put();
	test_if_match();
	test_invalid_documents();
	test_strict_json_paths();
	test_head_checks();
	test_versions_and_file();
	test_fastpath_refusal();
	test_persist_failures();
	test_adopt();
	test_services();
	test_backend_ids();
	test_backend_post_delete();
	test_backend_patch();
	test_stats();
	test_stats_one_pass();
	test_stats_same_as_cjson();
	test_json_string_escape();
	test_flows();
	test_flows_query();
	test_metrics_text();
	test_metrics_endpoint();
	test_health();
	api_destroy(A);
	reply_reset();
	free(fake.last_flat);
	free(fake.stats);
	unlink(cfg_path);
	rmdir(tmpdir);
	return check_summary("api");
}
