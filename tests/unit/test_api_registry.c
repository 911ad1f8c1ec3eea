/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the service registry (slowpath/registry.c and
 * slowpath/api/ep_registry.c): register, heartbeat, TTL lapse and
 * removal on an injected clock, 404s, roles and registry_clients, the
 * validation of every field, persistence (a heartbeat writes nothing)
 * and a restart over the persisted file. Requests go straight into
 * api_handle() with test_api.h's in-memory fast path.
 */
#include <arpa/inet.h>

#include "registry.h"
#include "test_api.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct fake_fp fake;
struct reply R;
struct api *A;
uint64_t call_pass;
char *tmpdir;
char cfg_path[512];

#define REGISTRY HTTP_ROLE_REGISTRY
#define INST "/v1/registry/services/web/instances"

static uint64_t clock_ms = 1000000;

static uint64_t fake_now(void)
{
	return clock_ms;
}

/* call() with a client certificate subject. */
static void call_as(const char *method, const char *target, int role,
		    const char *subject, const char *body)
{
	struct http_request rq = { 0 };
	struct http_response rs = { 0 };
	char *b = body ? dq(body) : NULL;

	reply_reset();
	rq.method = method;
	rq.path = target;
	rq.content_type = b ? JSON : NULL;
	rq.body = (const uint8_t *)b;
	rq.body_len = b ? strlen(b) : 0;
	rq.role = role;
	rq.proto = 2;
	rq.tls = 1;
	rq.subject = subject;
	rq.peer = "test";
	api_handle(&rq, &rs, A);
	R.status = rs.status;
	R.body = strndup(rs.body ? rs.body : "", rs.body_len);
	R.json = cJSON_Parse(R.body);
	snprintf(R.ctype, sizeof(R.ctype), "%s", rs.content_type);
	for (unsigned int i = 0; i < rs.n_headers; i++)
		if (strcmp(rs.headers[i].name, "Location") == 0)
			snprintf(R.location, sizeof(R.location), "%s",
				 rs.headers[i].value);
	free(rs.body);
	free(b);
}

static void reg_post(const char *body)
{
	call_as("POST", INST, REGISTRY, "CN=agent", body);
}

static void beat(const char *id)
{
	char t[256];

	snprintf(t, sizeof(t), INST "/%s/heartbeat", id);
	call_as("PUT", t, REGISTRY, "CN=agent", NULL);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(jget(o, k));

	return s ? s : "";
}

/* The flat form the fake fast path holds of the backend with this IPv4
 * address; NULL when it has none. */
static const struct ep_cfg_backend *flat_be(const char *addr)
{
	const struct ep_cfg_hdr *h = fake.last_flat;
	const struct ep_cfg_backend *b;
	uint8_t ip[4];

	if (h == NULL || inet_pton(AF_INET, addr, ip) != 1)
		return NULL;
	b = (const struct ep_cfg_backend *)((const char *)h + h->off_backends);
	for (uint32_t i = 0; i < h->n_backends; i++)
		if (b[i].addr.family == EP_AF_INET &&
		    memcmp(b[i].addr.bytes, ip, 4) == 0)
			return &b[i];
	return NULL;
}

/* Its state there; -1 when it has none. */
static int flat_state(const char *addr)
{
	const struct ep_cfg_backend *b = flat_be(addr);

	return b != NULL ? b->state : -1;
}

/* Its effective weight there; -1 when it has none. */
static int flat_weight(const char *addr)
{
	const struct ep_cfg_backend *b = flat_be(addr);

	return b != NULL ? b->weight : -1;
}

static bool file_has(const char *s)
{
	char *t = slurp(cfg_path);
	bool r = strstr(t, s) != NULL;

	free(t);
	return r;
}

static void fresh_registry(void)
{
	fresh();
	api_set_clock(A, fake_now);
}

static void test_register_and_beat(char id[32])
{
	uint64_t v;
	unsigned int applies, wakes;
	char *before, *after;

	fresh_registry();
	reg_post("{'address': '10.0.0.9', 'port': 8080, 'weight': 3, "
		 "'priority': 1, 'metadata': {'zone': 'a', 'ver': '1.2'}, "
		 "'ttl': 3}");
	CHECK_MSG(R.status == 201, "%d %s", R.status, R.body);
	snprintf(id, 32, "%s", jstr(R.json, "id"));
	CHECK(config_instance_id_valid(id));
	CHECK(strncmp(R.location, INST "/", strlen(INST) + 1) == 0 &&
	      strcmp(R.location + strlen(INST) + 1, id) == 0);
	CHECK(strcmp(jstr(R.json, "state"), "healthy") == 0);
	CHECK(jnum(R.json, "ttl_remaining_ms") == 3000);
	CHECK(jnum(R.json, "weight") == 3 && jnum(R.json, "priority") == 1);
	CHECK(strcmp(jstr(jget(R.json, "metadata"), "ver"), "1.2") == 0);
	CHECK(strcmp(jstr(R.json, "backend"), "10.0.0.9:8080") == 0);
	CHECK(api_version(A) == 2);
	CHECK(file_has(id) && file_has("\"registration\""));
	CHECK(flat_state("10.0.0.9") == EP_BE_UP);
	/* it is a backend of the service like any other */
	get("/v1/services/web/backends/10.0.0.9:8080");
	CHECK(R.status == 200 && jget(R.json, "registration") != NULL);

	/* a heartbeat renews in memory: no apply, no file write */
	v = api_version(A);
	applies = fake.applies;
	wakes = fake.wakes;
	before = slurp(cfg_path);
	clock_ms += 2000;
	beat(id);
	CHECK_MSG(R.status == 200, "%d %s", R.status, R.body);
	CHECK(jnum(R.json, "ttl_remaining_ms") == 3000);
	CHECK(strcmp(jstr(R.json, "state"), "healthy") == 0);
	after = slurp(cfg_path);
	CHECK(strcmp(before, after) == 0);
	CHECK(api_version(A) == v && fake.applies == applies);
	CHECK(fake.wakes == wakes);
	free(before);
	free(after);
	/* a heartbeat body may be {} and nothing else */
	call_as("PUT", INST "/0000000000000000/heartbeat", REGISTRY, "",
		"{'x': 1}");
	CHECK(is_error(400, API_ERR_VALIDATION) && field_is("body"));
}

static void test_lapse_and_removal(const char *id)
{
	char *doc;
	uint64_t v = api_version(A);
	struct api_error e;

	/* scans are API_REGISTRY_SCAN_MS apart */
	clock_ms += 3000 - API_REGISTRY_SCAN_MS;
	CHECK(api_registry_run(A, &e) == 0);
	CHECK(flat_state("10.0.0.9") == EP_BE_UP);
	clock_ms += API_REGISTRY_SCAN_MS - 1;
	CHECK(api_registry_run(A, &e) == 0); /* too soon to scan */
	clock_ms += 1;
	doc = slurp(cfg_path);
	CHECK(api_registry_run(A, &e) == 1);
	CHECK(api_version(A) == v + 1);
	CHECK(flat_state("10.0.0.9") == EP_BE_DOWN);
	CHECK(flat_state("10.0.0.1") == EP_BE_UP);
	{ /* the document stays: lapsing is not a change of it */
		char *now = slurp(cfg_path);

		CHECK(strcmp(doc, now) == 0);
		free(now);
	}
	free(doc);
	get(INST);
	CHECK(R.status == 200 &&
	      cJSON_GetArraySize(jget(R.json, "instances")) == 1);
	CHECK(strcmp(jstr(cJSON_GetArrayItem(jget(R.json, "instances"), 0),
			  "state"),
		     "unhealthy") == 0);
	/* nothing new: a second scan sends nothing */
	clock_ms += API_REGISTRY_SCAN_MS;
	CHECK(api_registry_run(A, &e) == 0);

	/* a heartbeat while unhealthy puts it back at once */
	beat(id);
	CHECK(R.status == 200);
	CHECK(flat_state("10.0.0.9") == EP_BE_UP);

	/* no heartbeat for 2 x TTL: removed, persisted */
	clock_ms += 3000;
	CHECK(api_registry_run(A, &e) == 1);
	CHECK(flat_state("10.0.0.9") == EP_BE_DOWN);
	clock_ms += 3000 - API_REGISTRY_SCAN_MS;
	CHECK(api_registry_run(A, &e) == 0);
	CHECK(file_has(id));
	clock_ms += API_REGISTRY_SCAN_MS;
	CHECK(api_registry_run(A, &e) == 1);
	CHECK(flat_state("10.0.0.9") == -1);
	CHECK(!file_has(id));
	beat(id);
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	get(INST);
	CHECK(cJSON_GetArraySize(jget(R.json, "instances")) == 0);
}

/* An instance past 2 x TTL that the scan has not removed yet is gone
 * for heartbeats too: the answer never depends on the scan's timing. */
static void test_gone_before_scan(void)
{
	char id[32];

	fresh_registry();
	reg_post("{'address': '10.0.0.7', 'port': 8080, 'ttl': 1}");
	snprintf(id, sizeof(id), "%s", jstr(R.json, "id"));
	clock_ms += 2000;
	beat(id);
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	/* registering again brings it back under the same id */
	reg_post("{'address': '10.0.0.7', 'port': 8080, 'ttl': 1}");
	CHECK_MSG(R.status == 200 && strcmp(jstr(R.json, "id"), id) == 0,
		  "%d %s", R.status, R.body);
	CHECK(strcmp(jstr(R.json, "state"), "healthy") == 0);
}

static void test_not_found(void)
{
	fresh_registry();
	beat("0123456789abcdef");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	call_as("PUT",
		"/v1/registry/services/nope/instances/0123456789abcdef"
		"/heartbeat",
		REGISTRY, "", NULL);
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	call_as("DELETE", INST "/0123456789abcdef", REGISTRY, "", NULL);
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	get(INST "/0123456789abcdef");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	call_as("POST", "/v1/registry/services/nope/instances", REGISTRY, "",
		"{'address': '10.0.0.9', 'port': 1}");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	get("/v1/registry/services/web/instances/x/heartbeat/more");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	get("/v1/registry/services/web");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	call_as("GET", INST "/0123456789abcdef/heartbeat", READER, "", NULL);
	CHECK(is_error(405, API_ERR_METHOD));
	/* deregistration */
	reg_post("{'address': '10.0.0.9', 'port': 8080}");
	CHECK(R.status == 201 && jnum(R.json, "ttl") == 15);
	{
		char t[256];

		snprintf(t, sizeof(t), INST "/%s", jstr(R.json, "id"));
		call_as("DELETE", t, REGISTRY, "", NULL);
		CHECK(R.status == 200);
		CHECK(!file_has("registration"));
		call_as("DELETE", t, REGISTRY, "", NULL);
		CHECK(is_error(404, API_ERR_NOT_FOUND));
	}
	/* an operator's backend is not an instance */
	reg_post("{'address': '10.0.0.1', 'port': 8080}");
	CHECK(is_error(409, API_ERR_CONFLICT));
}

static void test_roles_and_clients(void)
{
	uint64_t v;

	fresh_registry();
	v = api_version(A);
	call_as("POST", INST, READER, "CN=r", "{'address': '10.0.0.9'}");
	CHECK(is_error(403, API_ERR_FORBIDDEN));
	call_as("POST", INST, HTTP_ROLE_NONE, "CN=n",
		"{'address': '10.0.0.9'}");
	CHECK(is_error(403, API_ERR_FORBIDDEN));
	{ /* refused on the head, before any body is read */
		struct http_request rq = { .method = "POST",
					   .path = INST,
					   .role = READER,
					   .body_len = 10 };
		struct http_response rs = { 0 };

		CHECK(api_head(&rq, &rs, A) != 0 && rs.status == 403);
		free(rs.body);
	}
	call_as("PUT", INST "/0123456789abcdef/heartbeat", READER, "", NULL);
	CHECK(is_error(403, API_ERR_FORBIDDEN));
	/* the registry role reaches the registry only */
	call_as("GET", "/v1/config", REGISTRY, "CN=agent", NULL);
	CHECK(is_error(403, API_ERR_FORBIDDEN));
	call_as("PUT", "/v1/config", REGISTRY, "CN=agent", "{}");
	CHECK(is_error(403, API_ERR_FORBIDDEN));
	call_as("DELETE", "/v1/services/web", REGISTRY, "CN=agent", NULL);
	CHECK(is_error(403, API_ERR_FORBIDDEN));
	call_as("GET", "/healthz", REGISTRY, "CN=agent", NULL);
	CHECK(R.status == 200);
	call_as("GET", INST, REGISTRY, "CN=agent", NULL);
	CHECK(R.status == 200);
	call_as("GET", INST, READER, "CN=r", NULL);
	CHECK(R.status == 200);
	CHECK(api_version(A) == v);

	/* a service that names its clients */
	put("/v1/config",
	    "{'services': [{'name': 'web', 'vip': '198.51.100.1', 'port': 80,"
	    " 'protocol': 'tcp', 'forwarding': 'nat',"
	    " 'registry_clients': ['CN=good,O=edgepath']}]}");
	CHECK_MSG(R.status == 200, "%s", R.body);
	v = api_version(A);
	call_as("POST", INST, REGISTRY, "CN=bad,O=edgepath",
		"{'address': '10.0.0.9', 'port': 80}");
	CHECK(is_error(403, API_ERR_FORBIDDEN));
	call_as("POST", INST, REGISTRY, "", "{'address': '10.0.0.9'}");
	CHECK(is_error(403, API_ERR_FORBIDDEN));
	CHECK(api_version(A) == v);
	call_as("POST", INST, REGISTRY, "CN=good,O=edgepath",
		"{'address': '10.0.0.9', 'port': 80}");
	CHECK_MSG(R.status == 201, "%d %s", R.status, R.body);
	{
		char t[256];

		snprintf(t, sizeof(t), INST "/%s/heartbeat",
			 jstr(R.json, "id"));
		call_as("PUT", t, REGISTRY, "CN=bad,O=edgepath", NULL);
		CHECK(is_error(403, API_ERR_FORBIDDEN));
		call_as("PUT", t, REGISTRY, "CN=good,O=edgepath", NULL);
		CHECK(R.status == 200);
	}
	call_as("POST", INST, ADMIN, "CN=ops",
		"{'address': '10.0.0.10', 'port': 80}");
	CHECK(R.status == 201);
	get("/v1/config");
	CHECK(body_has("\"registry_clients\":[\"CN=good,O=edgepath\"]"));
}

static void test_validation(void)
{
	static const struct {
		const char *body, *field;
	} bad[] = {
		{ "{'port': 8080}", "body.address" },
		{ "{'address': 'x', 'port': 8080}", "body.address" },
		{ "{'address': '10.0.0.9'}", "body.port" },
		{ "{'address': '10.0.0.9', 'port': 0}", "body.port" },
		{ "{'address': '10.0.0.9', 'port': 65536}", "body.port" },
		{ "{'address': '10.0.0.9', 'port': 1, 'ttl': 0}", "body.ttl" },
		{ "{'address': '10.0.0.9', 'port': 1, 'ttl': 3601}",
		  "body.ttl" },
		{ "{'address': '10.0.0.9', 'port': 1, 'ttl': '3'}",
		  "body.ttl" },
		{ "{'address': '10.0.0.9', 'port': 1, 'ttl': 1.5}",
		  "body.ttl" },
		{ "{'address': '10.0.0.9', 'port': 1, 'weight': -1}",
		  "body.weight" },
		{ "{'address': '10.0.0.9', 'port': 1, 'priority': 16}",
		  "body.priority" },
		{ "{'address': '10.0.0.9', 'port': 1, 'metadata': []}",
		  "body.metadata" },
		{ "{'address': '10.0.0.9', 'port': 1, 'metadata': {'a': 1}}",
		  "body.metadata" },
		{ "{'address': '10.0.0.9', 'port': 1, 'metadata': {'a b': "
		  "''}}",
		  "body.metadata" },
		{ "{'address': '10.0.0.9', 'port': 1, 'metadata': {'': ''}}",
		  "body.metadata" },
		{ "{'address': '10.0.0.9', 'port': 1, 'metadata': {'a': '1', "
		  "'a': '2'}}",
		  "body.metadata" },
		{ "{'address': '10.0.0.9', 'port': 1, 'metadata': {'1': '', "
		  "'2': '', '3': '', '4': '', '5': '', '6': '', '7': '', "
		  "'8': '', '9': ''}}",
		  "body.metadata" },
		{ "{'address': '10.0.0.9', 'port': 1, 'metadata': {'k': "
		  "'01234567890123456789012345678901234567890123456789012345"
		  "67890123456789012345678901234567890123456789012345678901234"
		  "5678901234567'}}",
		  "body.metadata" },
		{ "{'address': '10.0.0.9', 'port': 1, 'id': "
		  "'0123456789abcdef'}",
		  "body" },
		{ "{'address': '10.0.0.9', 'port': 1, 'state': 'up'}", "body" },
		{ "[1]", "body" },
		{ "{'address': '2001:db8::9', 'port': 8080}",
		  "services[0].backends[2]" },
		{ "{'address': '198.51.100.1', 'port': 8080}",
		  "services[0].backends[2].address" },
	};
	uint64_t v;

	fresh_registry();
	v = api_version(A);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		reg_post(bad[i].body);
		CHECK_MSG(is_error(400, API_ERR_VALIDATION) &&
				  err_field() != NULL &&
				  strncmp(err_field(), bad[i].field,
					  strlen(bad[i].field)) == 0,
			  "%s -> %d %s", bad[i].body, R.status, R.body);
	}
	reg_post("{'address': '10.0.0.9', 'port': 1, ");
	CHECK(is_error(400, API_ERR_INVALID_JSON));
	CHECK(api_version(A) == v && !file_has("registration"));
	/* the limits themselves are accepted */
	reg_post("{'address': '10.0.0.9', 'port': 65535, 'ttl': 3600, "
		 "'priority': 15, 'weight': 0, 'metadata': {'a/b.c-d_e': ''}}");
	CHECK_MSG(R.status == 201, "%s", R.body);
	reg_post("{'address': '10.0.0.8', 'port': 1, 'ttl': 1}");
	CHECK(R.status == 201);
}

/* The document form: what a file may say about registrations. */
static void test_document(void)
{
	static const char *const bad[] = {
		"'registration': {'id': '0123456789ABCDEF'}",
		"'registration': {'id': '0123456789abcde'}",
		"'registration': {'id': '0123456789abcdef', 'ttl': 0}",
		"'registration': {'id': '0123456789abcdef', 'x': 0}",
		"'registration': {'ttl': 5}",
		"'registration': 5",
	};
	char doc[512];

	fresh_registry();
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		snprintf(doc, sizeof(doc),
			 "{'services': [{'name': 'web', 'vip': '198.51.100.1',"
			 " 'port': 80, 'protocol': 'tcp', 'forwarding': 'nat',"
			 " 'backends': [{'address': '10.0.0.1', %s}]}]}",
			 bad[i]);
		put("/v1/config", doc);
		CHECK_MSG(
			is_error(400, API_ERR_VALIDATION) &&
				strncmp(err_field(),
					"services[0].backends[0].registration",
					36) == 0,
			"%s -> %s", bad[i], R.body);
	}
	put("/v1/config",
	    "{'services': [{'name': 'web', 'vip': '198.51.100.1', 'port': 80,"
	    " 'protocol': 'tcp', 'forwarding': 'nat', 'backends': ["
	    " {'address': '10.0.0.1', 'registration': {'id': "
	    "'0123456789abcdef'}},"
	    " {'address': '10.0.0.2', 'registration': {'id': "
	    "'0123456789abcdef'}}]}]}");
	CHECK(is_error(400, API_ERR_VALIDATION));
	put("/v1/config", "{'services': [{'name': 'web', 'vip': "
			  "'198.51.100.1', 'port': 80, 'protocol': 'tcp', "
			  "'registry_clients': 'CN=a'}]}");
	CHECK(is_error(400, API_ERR_VALIDATION) &&
	      field_is("services[0].registry_clients"));
	put("/v1/config", "{'services': [{'name': 'web', 'vip': "
			  "'198.51.100.1', 'port': 80, 'protocol': 'tcp', "
			  "'registry_clients': ['']}]}");
	CHECK(is_error(400, API_ERR_VALIDATION) &&
	      field_is("services[0].registry_clients[0]"));
	put("/v1/config", "{'api': {'listeners': [{'unix': '/tmp/x'}], 'tls': "
			  "{'certificate': 'c', 'private_key': 'k', "
			  "'registry_subjects': ['CN=agent']}}}");
	CHECK(is_error(400, API_ERR_VALIDATION) &&
	      strncmp(err_field(), "api.tls.registry_subjects", 25) == 0);
}

/* A slow-path restart: the file has the instances; TTLs start afresh. */
static void test_restart(void)
{
	struct api_error e;
	char id[32];

	fresh_registry();
	reg_post("{'address': '10.0.0.9', 'port': 8080, 'ttl': 3, "
		 "'metadata': {'zone': 'b'}}");
	snprintf(id, sizeof(id), "%s", jstr(R.json, "id"));
	clock_ms += 5000; /* lapsed, not yet removed, when we "crash" */
	api_destroy(A);
	memset(&fake.shared, 0, sizeof(fake.shared));
	A = new_api(cfg_path);
	api_set_clock(A, fake_now);
	CHECK(api_apply_file(A, &e) == 0);
	get(INST);
	{
		const cJSON *i =
			cJSON_GetArrayItem(jget(R.json, "instances"), 0);

		CHECK(strcmp(jstr(i, "id"), id) == 0);
		CHECK(strcmp(jstr(i, "state"), "healthy") == 0);
		CHECK(jnum(i, "ttl_remaining_ms") == 3000);
		CHECK(strcmp(jstr(jget(i, "metadata"), "zone"), "b") == 0);
	}
	CHECK(flat_state("10.0.0.9") == EP_BE_UP);
	beat(id);
	CHECK(R.status == 200);
	/* and it still lapses on the new clock */
	clock_ms += 3000;
	CHECK(api_registry_run(A, &e) == 1);
	CHECK(flat_state("10.0.0.9") == EP_BE_DOWN);
}

/* The TTL table alone. */
static void test_table(void)
{
	struct registry *r = registry_create();
	struct ep_config cfg;
	struct config_error ce;
	struct registry_tick t;
	const char *doc =
		"{\"services\": [{\"name\": \"a\", \"vip\": \"198.51.100.1\","
		" \"port\": 80, \"protocol\": \"tcp\", \"backends\": ["
		" {\"address\": \"10.0.0.1\", \"registration\": {\"id\":"
		" \"00000000000000a1\", \"ttl\": 2}},"
		" {\"address\": \"10.0.0.2\"}]},"
		" {\"name\": \"b\", \"vip\": \"198.51.100.2\","
		" \"port\": 80, \"protocol\": \"tcp\", \"backends\": ["
		" {\"address\": \"10.0.0.1\", \"registration\": {\"id\":"
		" \"00000000000000a1\", \"ttl\": 4}}]}]}";

	CHECK(config_parse(doc, strlen(doc), &cfg, &ce) == 0);
	CHECK(registry_sync(r, &cfg, 0) == 0 && registry_count(r) == 2);
	CHECK(registry_state(r, "a", "00000000000000a1", 1999) ==
	      REGISTRY_HEALTHY);
	CHECK(registry_state(r, "a", "00000000000000a1", 2000) ==
	      REGISTRY_UNHEALTHY);
	CHECK(registry_state(r, "a", "00000000000000a1", 4000) ==
	      REGISTRY_GONE);
	CHECK(registry_state(r, "b", "00000000000000a1", 4000) ==
	      REGISTRY_UNHEALTHY);
	CHECK(registry_state(r, "c", "00000000000000a1", 0) == REGISTRY_GONE);
	registry_run(r, 2500, &t);
	CHECK(t.lapsed == 1 && t.due == 0);
	CHECK(registry_out(r, "a", "00000000000000a1"));
	CHECK(!registry_out(r, "b", "00000000000000a1"));
	/* a sync keeps the last heartbeat and the verdict */
	CHECK(registry_sync(r, &cfg, 2500) == 0);
	CHECK(registry_out(r, "a", "00000000000000a1"));
	CHECK(registry_remaining_ms(r, "b", "00000000000000a1", 2500) == 1500);
	CHECK(registry_heartbeat(r, "a", "00000000000000a1", 3000) == 1);
	CHECK(registry_heartbeat(r, "a", "00000000000000a1", 3001) == 0);
	CHECK(!registry_out(r, "a", "00000000000000a1"));
	CHECK(registry_heartbeat(r, "b", "00000000000000a1", 8000) == -ENOENT);
	CHECK(registry_heartbeat(r, "a", "00000000000000a2", 3000) == -ENOENT);
	registry_run(r, 8000, &t);
	CHECK(t.lapsed == 2 && t.due == 2);
	config_free(&cfg);
	CHECK(registry_sync(r, &cfg, 9000) == 0 && registry_count(r) == 0);
	CHECK(registry_heartbeat(r, "a", "00000000000000a1", 9000) == -ENOENT);
	registry_destroy(r);
}

/* GET .../backends "health": tier k's load_percent. */
static double view_load(uint32_t k)
{
	const cJSON *t;

	get("/v1/services/web/backends");
	t = cJSON_GetArrayItem(jget(jget(R.json, "health"), "tiers"), (int)k);
	return cJSON_GetNumberValue(jget(t, "load_percent"));
}

/* ... and whether backend `id` is held out; false when not there. */
static bool view_held_out(const char *id)
{
	const cJSON *arr, *b;

	get("/v1/services/web/backends");
	arr = jget(jget(R.json, "health"), "backends");
	for (int i = 0; i < cJSON_GetArraySize(arr); i++) {
		b = cJSON_GetArrayItem(arr, i);
		if (strcmp(jstr(b, "id"), id) == 0)
			return cJSON_IsTrue(jget(b, "held_out"));
	}
	return false;
}

/* Lapsed instances of tier 0 are not healthy for the tier plan: the
 * load spills to tier 1 in proportion, in the flat form and the view,
 * and comes back with the heartbeat. */
static void test_lapse_spills(void)
{
	struct api_error e;
	char id7[32];

	fresh_registry();
	put("/v1/config",
	    "{'services': [{'name': 'web', 'vip': '198.51.100.1', 'port': 80,"
	    " 'protocol': 'tcp', 'forwarding': 'nat', 'scheduler': 'wrr',"
	    " 'backends': ["
	    "  {'address': '10.0.0.1', 'port': 8080, 'priority': 1},"
	    "  {'address': '10.0.0.2', 'port': 8080, 'priority': 1}]}]}");
	CHECK_MSG(R.status == 200, "%d %s", R.status, R.body);
	reg_post("{'address': '10.0.0.7', 'port': 8080, 'ttl': 3}");
	CHECK(R.status == 201);
	snprintf(id7, sizeof(id7), "%s", jstr(R.json, "id"));
	reg_post("{'address': '10.0.0.8', 'port': 8080, 'ttl': 6}");
	CHECK(R.status == 201);
	CHECK(flat_weight("10.0.0.7") == 1 && flat_weight("10.0.0.1") == 0);
	CHECK(view_load(0) == 100 && view_load(1) == 0);

	/* one of tier 0 lapsed: 70 % / 30 % */
	clock_ms += 3000;
	CHECK(api_registry_run(A, &e) == 1);
	CHECK(flat_state("10.0.0.7") == EP_BE_DOWN);
	CHECK(flat_weight("10.0.0.8") == 42000);
	CHECK(flat_weight("10.0.0.1") == 9000 &&
	      flat_weight("10.0.0.2") == 9000);
	CHECK(view_load(0) == 70 && view_load(1) == 30);
	CHECK(view_held_out("10.0.0.7:8080") &&
	      !view_held_out("10.0.0.8:8080"));
	CHECK(jnum(jget(R.json, "health"), "healthy") == 3);

	/* both lapsed: tier 1 alone, at its configured weights */
	/* (10.0.0.7 beats once, so that it lapses again rather than being
	 * removed at 2 x TTL) */
	beat(id7);
	clock_ms += 3000;
	CHECK(api_registry_run(A, &e) == 1);
	CHECK(flat_state("10.0.0.7") == EP_BE_DOWN &&
	      flat_state("10.0.0.8") == EP_BE_DOWN);
	CHECK(flat_weight("10.0.0.1") == 1 && flat_weight("10.0.0.2") == 1);
	CHECK(view_load(0) == 0 && view_load(1) == 100);

	/* a heartbeat brings its share back at once */
	beat(id7);
	CHECK(R.status == 200);
	CHECK(flat_state("10.0.0.7") == EP_BE_UP &&
	      flat_weight("10.0.0.7") == 42000);
	CHECK(view_load(0) == 70);
}

/* ------------------------------------------------------------------ */
/* With a remote source that holds the registry (etcd's leases)          */

static struct {
	int puts, beats;
	bool json; /* the last put carried a document */
	bool op, remove; /* ... a registry op, a deregistration */
	char id[32];
	uint32_t ttl_s;
	int beat_rc, verdict;
	uint64_t gen;
} rem;

static int rem_put(void *ctx, const char *json, const struct api_reg_op *op,
		   struct api_error *e)
{
	(void)ctx, (void)e;
	rem.puts++;
	rem.json = json != NULL;
	rem.op = op != NULL;
	rem.remove = op != NULL && op->remove;
	snprintf(rem.id, sizeof(rem.id), "%s", op ? op->id : "");
	rem.ttl_s = op ? op->ttl_s : 0;
	return 0;
}

static void rem_render(void *ctx, struct jw *w)
{
	(void)ctx, (void)w;
}

static int rem_beat(void *ctx, const struct api_reg_op *op, struct api_error *e)
{
	(void)ctx;
	rem.beats++;
	snprintf(rem.id, sizeof(rem.id), "%s", op->id);
	rem.ttl_s = op->ttl_s;
	if (rem.beat_rc == -1) {
		e->status = 503;
		e->code = API_ERR_FASTPATH;
		snprintf(e->message, sizeof(e->message), "etcd unreachable");
	}
	return rem.beat_rc;
}

static int rem_verdict(void *ctx, const char *svc, const char *id)
{
	(void)ctx, (void)svc, (void)id;
	return rem.verdict;
}

static uint64_t rem_gen(void *ctx)
{
	(void)ctx;
	return rem.gen;
}

static const struct api_remote remote = {
	.put = rem_put,
	.render = rem_render,
	.beat = rem_beat,
	.verdict = rem_verdict,
	.gen = rem_gen,
};

/* The remote says `verdict` from now on; then one scan. */
static int remote_says(int verdict)
{
	struct api_error e;

	rem.verdict = verdict;
	rem.gen++;
	clock_ms += API_REGISTRY_SCAN_MS;
	return api_registry_run(A, &e);
}

static void instance_state_is(const char *id, const char *state)
{
	char t[256];

	snprintf(t, sizeof(t), INST "/%s", id);
	call_as("GET", t, REGISTRY, "CN=agent", NULL);
	CHECK_MSG(strcmp(jstr(R.json, "state"), state) == 0, "%s: %s", state,
		  R.body);
}

static void test_remote(void)
{
	const char *body = "{'address': '10.0.0.9', 'port': 8080, 'ttl': 3}";
	char id[32], t[256];
	uint64_t v;

	fresh_registry();
	memset(&rem, 0, sizeof(rem));
	rem.verdict = -1;
	api_set_remote(A, &remote);
	/* a registration: the document and the op in one put */
	reg_post(body);
	CHECK_MSG(R.status == 201, "%d %s", R.status, R.body);
	snprintf(id, sizeof(id), "%s", jstr(R.json, "id"));
	CHECK(rem.puts == 1 && rem.json && rem.op && !rem.remove);
	CHECK(strcmp(rem.id, id) == 0 && rem.ttl_s == 3);
	/* the same again: the op alone (new leases), no document */
	reg_post(body);
	CHECK(R.status == 200 && rem.puts == 2 && !rem.json && rem.op);
	/* the remote's word beats the local TTL: healthy past 2 x ttl */
	clock_ms += 7000;
	CHECK(remote_says(0) == 0);
	instance_state_is(id, "healthy");
	CHECK(flat_state("10.0.0.9") == EP_BE_UP);
	/* a heartbeat goes to the remote and writes nothing */
	v = api_version(A);
	beat(id);
	CHECK_MSG(R.status == 200, "%d %s", R.status, R.body);
	CHECK(rem.beats == 1 && rem.puts == 2 && api_version(A) == v);
	CHECK(strcmp(rem.id, id) == 0 && rem.ttl_s == 3);
	rem.beat_rc = -ENOENT;
	beat(id);
	CHECK(R.status == 404);
	rem.beat_rc = -1;
	beat(id);
	CHECK(R.status == 503 && jnum(R.json, "code") == API_ERR_FASTPATH);
	rem.beat_rc = 0;
	/* the alive lease lapsed: out of selection, the document stays */
	CHECK(remote_says(1) == 1);
	instance_state_is(id, "unhealthy");
	CHECK(flat_state("10.0.0.9") == EP_BE_DOWN);
	CHECK(file_has(id) && rem.puts == 2);
	/* a heartbeat through another node: back in on this one */
	CHECK(remote_says(0) == 1);
	CHECK(flat_state("10.0.0.9") == EP_BE_UP);
	/* through this node while unhealthy: back in at once */
	CHECK(remote_says(1) == 1);
	rem.beat_rc = 1;
	beat(id);
	CHECK(R.status == 200 && flat_state("10.0.0.9") == EP_BE_UP);
	rem.beat_rc = 0;
	/* the instance lease lapsed: removed, a plain document put */
	CHECK(remote_says(2) >= 1);
	CHECK(rem.puts == 3 && rem.json && !rem.op);
	CHECK(!file_has(id) && flat_state("10.0.0.9") == -1);
	/* unknown to the remote: the local TTL decides again */
	rem.verdict = -1;
	reg_post(body);
	CHECK(R.status == 201);
	snprintf(id, sizeof(id), "%s", jstr(R.json, "id"));
	CHECK(remote_says(-1) == 0);
	clock_ms += 3000;
	CHECK(remote_says(-1) == 1);
	CHECK(flat_state("10.0.0.9") == EP_BE_DOWN);
	/* a deregistration carries the op that deletes its keys */
	snprintf(t, sizeof(t), INST "/%s", id);
	call_as("DELETE", t, REGISTRY, "CN=agent", NULL);
	CHECK(R.status == 200 && rem.json && rem.op && rem.remove);
	CHECK(strcmp(rem.id, id) == 0);
	api_set_remote(A, NULL);
}

int main(void)
{
	char tmpl[] = "/tmp/test_api_registry.XXXXXX";
	char id[32];

	fake.stats = calloc(1, sizeof(*fake.stats));
	tmpdir = mkdtemp(tmpl);
	if (fake.stats == NULL || tmpdir == NULL)
		return 1;
	snprintf(cfg_path, sizeof(cfg_path), "%s/config.json", tmpdir);
	test_table();
	test_register_and_beat(id);
	test_lapse_and_removal(id);
	test_gone_before_scan();
	test_not_found();
	test_roles_and_clients();
	test_validation();
	test_document();
	test_restart();
	test_lapse_spills();
	test_remote();
	api_destroy(A);
	reply_reset();
	free(fake.last_flat);
	free(fake.stats);
	unlink(cfg_path);
	unlink_version(cfg_path);
	rmdir(tmpdir);
	return check_summary("api_registry");
}
