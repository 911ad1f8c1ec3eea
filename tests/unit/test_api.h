/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of the api unit test share: the in-memory fast path
 * behind api.h's seam, requests straight into api_handle() and their
 * replies, the base document and a fresh API over it, and the test
 * functions main() runs.
 *
 * check.h's counters are per file: each file hands its own to main()
 * through its *_checks() function, and main() prints the sum.
 */
#ifndef EP_TEST_API_H
#define EP_TEST_API_H

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

extern struct fake_fp fake;
extern struct reply R;
extern struct api *A;
extern uint64_t call_pass; /* http_request.pass of the next calls */
extern char *tmpdir;
extern char cfg_path[512];

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

static inline int fake_apply(void *ctx, const void *flat, size_t len,
			     uint64_t version, struct ep_event_msg *ev)
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
	{
		struct timespec ts; /* the answer's clock, as the fast path's */

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ev->answered_ns = (uint64_t)ts.tv_sec * 1000000000ull +
				  (uint64_t)ts.tv_nsec;
	}
	return 0;
}

/* The fake builds at once; the answer waits for apply_wait. */
static inline int fake_send(void *ctx, const void *flat, size_t len,
			    uint64_t version, struct ep_event_msg *ev)
{
	struct fake_fp *f = ctx;

	f->wait_rc = fake_apply(ctx, flat, len, version, &f->wait_ev);
	*ev = f->wait_ev;
	f->sent++;
	return 0;
}

static inline int fake_wait(void *ctx, struct ep_event_msg *ev)
{
	struct fake_fp *f = ctx;

	*ev = f->wait_ev;
	f->waited++;
	return f->wait_rc;
}

static inline void fake_wake(void *ctx)
{
	((struct fake_fp *)ctx)->wakes++;
}

static inline int fake_sample(void *ctx, uint32_t sid, uint32_t limit,
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

static inline bool fake_alive(void *ctx)
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

static inline struct api *new_api(const char *path)
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

static inline void reply_reset(void)
{
	free(R.body);
	cJSON_Delete(R.json);
	memset(&R, 0, sizeof(R));
}

/* Single quotes in test JSON become double quotes. */
static inline char *dq(const char *s)
{
	char *t = strdup(s);

	for (char *c = t; *c; c++)
		if (*c == '\'')
			*c = '"';
	return t;
}

static inline void call(const char *method, const char *target, int role,
			const char *body, const char *if_match,
			const char *ctype)
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

static inline void get(const char *target)
{
	call("GET", target, READER, NULL, NULL, NULL);
}

static inline void put(const char *target, const char *body)
{
	call("PUT", target, ADMIN, body, NULL, JSON);
}

static inline void post(const char *target, const char *body)
{
	call("POST", target, ADMIN, body, NULL, JSON);
}

static inline void patch(const char *target, const char *body)
{
	call("PATCH", target, ADMIN, body, NULL, JSON);
}

static inline void del(const char *target)
{
	call("DELETE", target, ADMIN, NULL, NULL, NULL);
}

static inline const cJSON *jget(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* The reply is the project's error: exactly code, message, details. */
static inline bool is_error(int status, int code)
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

static inline const char *err_field(void)
{
	return cJSON_GetStringValue(jget(jget(R.json, "details"), "field"));
}

static inline bool field_is(const char *want)
{
	const char *f = err_field();

	return f != NULL && strcmp(f, want) == 0;
}

static inline uint64_t jnum(const cJSON *o, const char *k)
{
	return (uint64_t)cJSON_GetNumberValue(jget(o, k));
}

/* The body's text of "key": <digits> (exact, beyond doubles). */
static inline bool body_has(const char *s)
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

static inline char *slurp(const char *path)
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
static inline void unlink_version(const char *path)
{
	char v[600];

	snprintf(v, sizeof(v), "%s.version", path);
	unlink(v);
}

/* A fresh API over a reset fake, with doc_base in force as version 1. */
static inline void fresh(void)
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

void test_probes(void);
void test_routing(void);
void test_roles(void);
void test_config_put(void);
void test_if_match(void);
void test_invalid_documents(void);
void test_strict_json_paths(void);
void test_head_checks(void);
void test_fastpath_refusal(void);
void test_persist_failures(void);
void test_versions_and_file(void);
void test_adopt(void);
void test_services(void);
void test_backend_ids(void);
void test_backend_post_delete(void);
void test_backend_patch(void);
void test_backend_patch_flat(void);
void test_service_patch(void);
void test_policing_patch(void);
void test_health(void);
void test_stats(void);
void test_stats_one_pass(void);
void test_stats_same_as_cjson(void);
void test_json_string_escape(void);
void test_flows(void);
void test_flows_query(void);
void test_metrics_text(void);
void test_metrics_endpoint(void);

void test_api_config_checks(unsigned int *passed, unsigned int *failed);
void test_api_services_checks(unsigned int *passed, unsigned int *failed);
void test_api_stats_checks(unsigned int *passed, unsigned int *failed);

#endif /* EP_TEST_API_H */
