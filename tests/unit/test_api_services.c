/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of slowpath/api/ (see test_api.c): services and backends (ids, POST, DELETE, PATCH), and active
 * health checks (the overlay, republish, what the API shows).
 */
#include "test_api.h"

void test_services(void)
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
	CHECK(is_error(409, API_ERR_CONFLICT) && field_is("services[3].name"));
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

void test_backend_ids(void)
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

void test_backend_post_delete(void)
{
	fresh();
	post("/v1/services/web/backends",
	     "{'address': '10.0.0.3', 'port': 8080, 'weight': 5}");
	CHECK_MSG(R.status == 201 && jnum(R.json, "weight") == 5, "%s", R.body);
	post("/v1/services/web/backends",
	     "{'address': '10.0.0.3', 'port': 8080}");
	CHECK(is_error(409, API_ERR_CONFLICT) &&
	      field_is("services[0].backends[3]"));
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

void test_backend_patch(void)
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

void test_health(void)
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

/* The flat form last sent, its version zeroed (NULL when none). */
static void *sent_flat(size_t *len)
{
	void *f = malloc(fake.last_len);

	memcpy(f, fake.last_flat, fake.last_len);
	((struct ep_cfg_hdr *)f)->version = 0;
	*len = fake.last_len;
	return f;
}

/* What a PATCH sent equals the whole document's flat form, versions
 * aside: GET /v1/config put back goes through config_to_flat() and the
 * overlay of every service. */
static bool patch_sent_whole(const char *target, const char *body)
{
	size_t la, lb;
	void *fa, *fb;
	char *text;
	bool same;

	patch(target, body);
	if (R.status != 200)
		return false;
	fa = sent_flat(&la);
	get("/v1/config");
	text = strdup(R.body);
	call("PUT", "/v1/config", ADMIN, text, NULL, JSON);
	fb = sent_flat(&lb);
	same = R.status == 200 && la == lb && memcmp(fa, fb, la) == 0;
	free(fa);
	free(fb);
	free(text);
	return same;
}

/*
 * A backend's PATCH is laid over the flat form in force for its service
 * alone (api_apply_backend_edit()): the bytes must be the whole path's,
 * with health checks, tiers (an rr service made wrr) and drain; a
 * refusal by the fast path leaves everything as it was.
 */
void test_backend_patch_flat(void)
{
	static const char doc[] =
		"{'services': ["
		"{'name': 'web', 'vip': '198.51.100.1', 'port': 80,"
		" 'protocol': 'tcp', 'forwarding': 'nat',"
		" 'health_check': {'type': 'tcp', 'rise': 1, 'fall': 1},"
		" 'backends': ["
		"  {'address': '10.0.0.1', 'port': 8080},"
		"  {'address': '10.0.0.2', 'port': 8080},"
		"  {'address': '10.0.0.3', 'port': 8080}]},"
		"{'name': 'api', 'vip': '198.51.100.2', 'port': 443,"
		" 'protocol': 'tcp', 'scheduler': 'rr', 'backends': ["
		"  {'address': '10.0.1.1'}, {'address': '10.0.1.2'},"
		"  {'address': '10.0.1.3', 'weight': 4}]},"
		"{'name': 'db', 'vip': '198.51.100.3', 'port': 5432,"
		" 'protocol': 'tcp', 'backends': ["
		"  {'address': '10.0.2.1', 'weight': 2}]}]}";
	struct health_engine *h = health_engine_create();
	struct health_target *t;
	struct api_error e;
	uint64_t v;
	uint32_t n;

	fresh();
	put("/v1/config", doc);
	CHECK(R.status == 200);
	CHECK(health_targets_build(api_config(A), &t, &n) == 0 && n == 3);
	CHECK(health_engine_set(h, t, n, 0) == 0);
	free(t);
	api_set_health(A, h);
	CHECK(health_engine_observe(h, 1, HEALTH_R_REFUSED, 111, 1) == 1);
	CHECK(api_republish(A, &e) == 0);

	CHECK(patch_sent_whole("/v1/services/api/backends/10.0.1.2:0",
			       "{'weight': 3, 'priority': 1}"));
	CHECK(patch_sent_whole("/v1/services/web/backends/10.0.0.1:8080",
			       "{'weight': 0}"));
	CHECK(patch_sent_whole("/v1/services/web/backends/10.0.0.2:8080",
			       "{'state': 'drain', 'weight': 9}"));
	CHECK(patch_sent_whole("/v1/services/db/backends/10.0.2.1:0",
			       "{'state': 'down'}"));
	CHECK(patch_sent_whole("/v1/services/api/backends/10.0.1.2:0",
			       "{'priority': 0}"));

	/* refused by the fast path: the weight, version and file stay */
	v = api_version(A);
	fake.apply_rc = -EBUSY;
	patch("/v1/services/db/backends/10.0.2.1:0", "{'weight': 7}");
	CHECK(is_error(503, API_ERR_FASTPATH));
	fake.apply_rc = 0;
	CHECK(api_version(A) == v);
	get("/v1/services/db/backends/10.0.2.1:0");
	CHECK(R.status == 200 && jnum(R.json, "weight") == 2);

	api_set_health(A, NULL);
	health_engine_destroy(h);
}

/* This file's CHECKs, for main()'s total. */
void test_api_services_checks(unsigned int *passed, unsigned int *failed)
{
	*passed += check_passed;
	*failed += check_failed;
}

/* PATCH /v1/services/NAME: one service's limits, ACL or syn_proxy, the
 * rest of the document as it was. */
void test_service_patch(void)
{
	static const struct {
		const char *body, *field;
	} bad[] = {
		{ "{'limits': {'packets_per_second': {'rate': 0}}}",
		  "services[0].limits.packets_per_second.rate" },
		{ "{'acl': {'deny': ['10.0.0.0/33']}}",
		  "services[0].acl.deny[0]" },
		{ "{'backends': []}", "services[0]" },
		{ "{}", "services[0]" },
		{ "{'syn_proxy': 'yes'}", "services[0].syn_proxy" },
	};
	const cJSON *lim;

	fresh();
	patch("/v1/services/web",
	      "{'limits': {'connections_per_second': {'rate': 100}}, "
	      "'acl': {'deny': ['192.0.2.0/24']}, 'syn_proxy': true}");
	CHECK_MSG(R.status == 200, "%s", R.body);
	lim = jget(jget(R.json, "limits"), "connections_per_second");
	CHECK(jnum(lim, "rate") == 100 && jnum(lim, "burst") == 10);
	CHECK(cJSON_IsTrue(jget(R.json, "syn_proxy")));
	CHECK(cJSON_GetArraySize(jget(jget(R.json, "acl"), "deny")) == 1);
	CHECK(cJSON_GetArraySize(jget(R.json, "backends")) == 2);
	CHECK(strcmp(R.etag, "\"2\"") == 0 && fake.applies == 2);
	/* Only the ACL: the limits and syn_proxy stay. */
	patch("/v1/services/web", "{'acl': {}}");
	CHECK_MSG(R.status == 200 && jget(R.json, "acl") == NULL &&
			  jget(R.json, "limits") != NULL &&
			  cJSON_IsTrue(jget(R.json, "syn_proxy")),
		  "%s", R.body);
	/* The other service is untouched. */
	get("/v1/services/web6");
	CHECK(R.status == 200 && jget(R.json, "limits") == NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		patch("/v1/services/web", bad[i].body);
		CHECK_MSG(is_error(400, API_ERR_VALIDATION) &&
				  field_is(bad[i].field),
			  "%s -> %s", bad[i].body, R.body);
	}
	patch("/v1/services/nope", "{'acl': {}}");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	CHECK(api_version(A) == 3);
}

/* PATCH /v1/policing: the global policing part by part, the services as
 * they were; GET /v1/policing shows it. */
void test_policing_patch(void)
{
	static const struct {
		const char *body, *field;
	} bad[] = {
		{ "{'acl': {'deny': ['10.0.0.0/33']}}",
		  "policing.acl.deny[0]" },
		{ "{'syn_flood': {'new_flows_per_second': 0}}",
		  "policing.syn_flood.new_flows_per_second" },
		{ "{'syn_cookie': {}}", "policing.syn_cookie.secret" },
		{ "{'services': []}", "policing" },
		{ "{}", "policing" },
	};
	const cJSON *pc;

	fresh();
	get("/v1/policing");
	CHECK_MSG(R.status == 200 && R.json != NULL && R.json->child == NULL,
		  "%s", R.body);
	patch("/v1/policing", "{'acl': {'deny': ['198.51.100.0/24']}, "
			      "'syn_flood': {'new_flows_per_second': 5000}}");
	CHECK_MSG(R.status == 200, "%s", R.body);
	CHECK(cJSON_GetArraySize(jget(jget(R.json, "acl"), "deny")) == 1);
	CHECK(jnum(jget(R.json, "syn_flood"), "new_flows_per_second") == 5000);
	CHECK(strcmp(R.etag, "\"2\"") == 0 && fake.applies == 2);
	/* One part added, one removed by null, the access list stays. */
	patch("/v1/policing", "{'per_client': {'packets_per_second': "
			      "{'rate': 300}}, 'syn_flood': null}");
	CHECK_MSG(R.status == 200 && jget(R.json, "syn_flood") == NULL &&
			  jget(R.json, "acl") != NULL,
		  "%s", R.body);
	pc = jget(jget(R.json, "per_client"), "packets_per_second");
	CHECK(jnum(pc, "rate") == 300);
	get("/v1/services/web");
	CHECK(R.status == 200 && jget(R.json, "limits") == NULL);
	get("/v1/policing");
	CHECK(R.status == 200 && jget(R.json, "per_client") != NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		patch("/v1/policing", bad[i].body);
		CHECK_MSG(is_error(400, API_ERR_VALIDATION) &&
				  field_is(bad[i].field),
			  "%s -> %s", bad[i].body, R.body);
	}
	call("PATCH", "/v1/policing", READER, "{'acl': {}}", NULL, JSON);
	CHECK(R.status == 403);
	CHECK(api_version(A) == 3);
}
