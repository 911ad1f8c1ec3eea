/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the control API's request handler, api_handle(),
 * driven in-process as tests/unit/test_api.c does, over an in-memory fast
 * path. Every input gets a fresh API with one base configuration in force.
 *
 * Input: five lines, then the body (any bytes):
 *   METHOD \n TARGET (path?query) \n ROLE (0 none, 1 reader, 2 admin;
 *   first byte mod 3) \n IF-MATCH (empty: none) \n CONTENT-TYPE (empty:
 *   none) \n BODY
 * A missing line is an absent field.
 *
 * Invariants: a status in 200..599; every 4xx/5xx body is the JSON error
 * shape with a numeric code; a refused request, or any request of a
 * reader or a client without a role, leaves the version (the ETag) and
 * the canonical configuration (GET /v1/config) byte for byte as before.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ack_fp.h"
#include "api.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ack_fp fp;

static const char base_doc[] =
	"{\"node\":{\"addresses\":[{\"address\":\"10.0.0.1\"}]},"
	"\"services\":[{\"name\":\"web\",\"vip\":\"10.1.0.1\",\"port\":80,"
	"\"protocol\":\"tcp\",\"forwarding\":\"dsr\",\"backends\":["
	"{\"address\":\"10.0.0.11\"},{\"address\":\"10.0.0.12\"}]},"
	"{\"name\":\"dns\",\"vip\":\"fd00:1::1\",\"port\":53,\"protocol\":"
	"\"udp\",\"forwarding\":\"nat\",\"backends\":[{\"address\":"
	"\"fd00::21\",\"port\":5353}]}]}";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fp.stats = calloc(1, sizeof(*fp.stats));
	FUZZ_CHECK(fp.stats != NULL);
	fp.shared.n_ports = 1;
	fp.shared.n_workers = 1;
	fp.flows.count = 1;
	return 0;
}

struct req_text {
	char *line[5];
	uint8_t *body;
	size_t body_len;
};

/* Split the input into the five lines and the body (exact-size copies). */
static void split(const uint8_t *data, size_t size, struct req_text *t)
{
	size_t off = 0;

	memset(t, 0, sizeof(*t));
	for (int i = 0; i < 5 && off < size; i++) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t n = nl ? (size_t)(nl - (data + off)) : size - off;

		t->line[i] = strndup((const char *)data + off, n);
		off += n + (nl ? 1 : 0);
	}
	t->body_len = size - off;
	if (t->body_len) {
		t->body = malloc(t->body_len);
		memcpy(t->body, data + off, t->body_len);
	}
}

static void handle(struct api *a, const char *method, const char *target,
		   int role, const char *if_match, const char *ctype,
		   const uint8_t *body, size_t body_len,
		   struct http_response *rs)
{
	struct http_request rq = { 0 };
	const char *q = strchr(target, '?');
	char *path = strndup(target, q ? (size_t)(q - target) : strlen(target));

	memset(rs, 0, sizeof(*rs));
	rq.method = method;
	rq.path = path;
	rq.query = q ? q + 1 : NULL;
	rq.if_match = if_match;
	rq.content_type = ctype;
	rq.body = body;
	rq.body_len = body_len;
	rq.role = role;
	rq.proto = 2;
	rq.tls = 1;
	rq.subject = "";
	rq.peer = "fuzz";
	rq.pass = 1;
	api_handle(&rq, rs, a);
	api_complete(&rq, rs->status, 0.001, a);
	free(path);
}

static void check_error_body(const struct http_response *rs)
{
	cJSON *j, *code;

	if (rs->status < 400)
		return;
	FUZZ_CHECK(rs->body != NULL);
	j = cJSON_ParseWithLength(rs->body, rs->body_len);
	FUZZ_CHECK(j != NULL);
	code = cJSON_GetObjectItemCaseSensitive(j, "code");
	FUZZ_CHECK(cJSON_IsNumber(code));
	cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_fastpath ops = ack_fp_ops(&fp);
	struct http_response rs;
	struct req_text t;
	struct api *a;
	uint64_t v0;
	char *before, *after;
	int role;

	memset(&fp.shared, 0, sizeof(fp.shared));
	fp.shared.n_ports = 1;
	fp.shared.n_workers = 1;
	a = api_create(&ops, NULL);
	FUZZ_CHECK(a != NULL);
	handle(a, "PUT", "/v1/config", HTTP_ROLE_ADMIN, NULL,
	       "application/json", (const uint8_t *)base_doc,
	       sizeof(base_doc) - 1, &rs);
	FUZZ_CHECK(rs.status == 200);
	free(rs.body);
	v0 = api_version(a);
	before = config_to_json(api_config(a));

	split(data, size, &t);
	role = t.line[2] && t.line[2][0] ? t.line[2][0] % 3 : HTTP_ROLE_ADMIN;
	handle(a, t.line[0] ? t.line[0] : "", t.line[1] ? t.line[1] : "", role,
	       t.line[3] && t.line[3][0] ? t.line[3] : NULL,
	       t.line[4] && t.line[4][0] ? t.line[4] : NULL, t.body, t.body_len,
	       &rs);
	FUZZ_CHECK(rs.status >= 200 && rs.status <= 599);
	FUZZ_CHECK(rs.body_len == 0 || rs.body != NULL);
	check_error_body(&rs);
	after = config_to_json(api_config(a));
	FUZZ_CHECK(before != NULL && after != NULL);
	if (rs.status >= 400 || role != HTTP_ROLE_ADMIN) {
		FUZZ_CHECK(api_version(a) == v0);
		FUZZ_CHECK(strcmp(before, after) == 0);
	}
	if (strcmp(before, after) != 0)
		FUZZ_CHECK(api_version(a) > v0);
	free(before);
	free(after);
	free(rs.body);
	for (int i = 0; i < 5; i++)
		free(t.line[i]);
	free(t.body);
	api_destroy(a);
	return 0;
}
