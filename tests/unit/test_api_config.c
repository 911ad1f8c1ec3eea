/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of slowpath/api/ (see test_api.c): probes, routing, roles, the whole configuration (PUT,
 * If-Match, invalid and strict documents, HEAD), the fast path's refusal,
 * persistence and its failures, versions and the file, adoption.
 */
#include "test_api.h"

/* ------------------------------------------------------------------ */
/* Tests                                                                */

void test_probes(void)
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

void test_routing(void)
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

void test_roles(void)
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

void test_config_put(void)
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

void test_if_match(void)
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
void test_invalid_documents(void)
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
void test_strict_json_paths(void)
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

void test_head_checks(void)
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

void test_fastpath_refusal(void)
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

void test_persist_failures(void)
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
void test_versions_and_file(void)
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

void test_adopt(void)
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

/* This file's CHECKs, for main()'s total. */
void test_api_config_checks(unsigned int *passed, unsigned int *failed)
{
	*passed += check_passed;
	*failed += check_failed;
}
