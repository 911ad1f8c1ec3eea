/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON writer (slowpath/json/jw.h), which every producer of JSON
 * uses (canonical configuration, /v1/stats, /metrics strings, the access
 * log, error bodies), byte for byte against cJSON's unformatted printing,
 * http_response_error()'s body, and the IPv4 text of ipfmt.h against
 * inet_ntop for a spread of addresses.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "http.h"
#include "ipfmt.h"
#include "jw.h"

/* Every byte 1..255 in one string, and each alone. */
static void test_escapes(void)
{
	char s[256], one[2] = { 0, 0 };
	struct jw_buf b = { 0 };
	unsigned int bad = 0;
	char *ref;

	for (int i = 1; i < 256; i++)
		s[i - 1] = (char)i;
	s[255] = 0;
	jw_buf_string(&b, s);
	{
		cJSON *js = cJSON_CreateString(s);

		ref = cJSON_PrintUnformatted(js);
		cJSON_Delete(js);
	}
	CHECK_MSG(ref && b.buf && strcmp(b.buf, ref) == 0, "got %s want %s",
		  b.buf, ref);
	free(ref);
	for (int i = 1; i < 256; i++) {
		cJSON *js;

		one[0] = (char)i;
		b.len = 0;
		jw_buf_string(&b, one);
		js = cJSON_CreateString(one);
		ref = cJSON_PrintUnformatted(js);
		if (strcmp(b.buf, ref) != 0) {
			if (bad++ == 0)
				fprintf(stderr, "byte 0x%02x: %s, cJSON %s\n",
					i, b.buf, ref);
		}
		free(ref);
		cJSON_Delete(js);
	}
	CHECK_MSG(bad == 0, "%u bytes escaped unlike cJSON", bad);
	jw_buf_free(&b);
}

static void test_numbers(void)
{
	static const uint64_t u[] = { 0, 1, 9, 10, 4294967295u, UINT64_MAX };
	static const int64_t i[] = { 0, -1, 1, INT64_MIN, INT64_MAX };
	struct jw_buf b = { 0 };
	char want[32];

	for (size_t k = 0; k < sizeof(u) / sizeof(u[0]); k++) {
		b.len = 0;
		jw_buf_u64(&b, u[k]);
		snprintf(want, sizeof(want), "%" PRIu64, u[k]);
		CHECK_MSG(strcmp(b.buf, want) == 0, "%s, want %s", b.buf, want);
	}
	for (size_t k = 0; k < sizeof(i) / sizeof(i[0]); k++) {
		b.len = 0;
		jw_buf_i64(&b, i[k]);
		snprintf(want, sizeof(want), "%" PRId64, i[k]);
		CHECK_MSG(strcmp(b.buf, want) == 0, "%s, want %s", b.buf, want);
	}
	jw_buf_free(&b);
}

/* Nesting and commas as cJSON prints the same tree. */
static void test_nesting(void)
{
	struct jw w = { .first = true };
	cJSON *o = cJSON_CreateObject(), *a, *in;
	char *ref;

	jw_open(&w, NULL, '{');
	jw_u64(&w, "a", 1);
	jw_open(&w, "b", '[');
	jw_u64(&w, NULL, 1);
	jw_i64(&w, NULL, -2);
	jw_open(&w, NULL, '{');
	jw_str(&w, "c", "x\"y");
	jw_close(&w, '}');
	jw_open(&w, NULL, '[');
	jw_close(&w, ']');
	jw_close(&w, ']');
	jw_str(&w, "d", NULL);
	jw_bool(&w, "e", true);
	jw_bool(&w, "f", false);
	jw_open(&w, "g", '{');
	jw_close(&w, '}');
	jw_close(&w, '}');

	cJSON_AddNumberToObject(o, "a", 1);
	a = cJSON_AddArrayToObject(o, "b");
	cJSON_AddItemToArray(a, cJSON_CreateNumber(1));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(-2));
	in = cJSON_CreateObject();
	cJSON_AddStringToObject(in, "c", "x\"y");
	cJSON_AddItemToArray(a, in);
	cJSON_AddItemToArray(a, cJSON_CreateArray());
	cJSON_AddNullToObject(o, "d");
	cJSON_AddTrueToObject(o, "e");
	cJSON_AddFalseToObject(o, "f");
	cJSON_AddObjectToObject(o, "g");
	ref = cJSON_PrintUnformatted(o);
	CHECK_MSG(w.b.buf && ref && strcmp(w.b.buf, ref) == 0, "got %s want %s",
		  w.b.buf, ref);
	free(ref);
	cJSON_Delete(o);
	jw_buf_free(&w.b);
}

/* Escaping into a fixed buffer: never cut inside an escape. */
static void test_escape_into(void)
{
	char out[8];

	CHECK(jw_escape_into("ab\"c", out, sizeof(out)) == 5 &&
	      strcmp(out, "ab\\\"c") == 0);
	CHECK(jw_escape_into("abcdef\"", out, sizeof(out)) == 6 &&
	      strcmp(out, "abcdef") == 0);
	CHECK(jw_escape_into("\x01", out, sizeof(out)) == 6 &&
	      strcmp(out, "\\u0001") == 0);
	CHECK(jw_escape_into("x\x01", out, 7) == 1 && strcmp(out, "x") == 0);
	CHECK(jw_escape_into("x", out, 0) == 0);
}

/* http_response_error()'s body for a message without control characters
 * (byte for byte as the server writes it). */
static void test_error_body(void)
{
	static const char want[] =
		"{\"code\": 409, \"message\": \"If-Match \\\"3\\\" is not "
		"\\\\current\\\\ (caf\xc3\xa9)\", \"details\": {}}";
	struct http_response r;

	memset(&r, 0, sizeof(r));
	CHECK(http_response_error(&r, 409,
				  "If-Match \"3\" is not \\current\\ "
				  "(caf\xc3\xa9)") == 0);
	CHECK_MSG(r.body && r.body_len == strlen(want) &&
			  memcmp(r.body, want, r.body_len) == 0,
		  "body %.*s", (int)r.body_len, r.body ? r.body : "");
	free(r.body);
}

/* Every value of each octet in turn, the edges, and the digits alone. */
static void test_ipfmt(void)
{
	unsigned int bad = 0;
	char got[16], want[INET_ADDRSTRLEN], num[11];

	for (uint32_t i = 0; i < 4 * 256 + 2; i++) {
		uint8_t b[4] = { 10, 0, 0, 1 };

		if (i < 4 * 256)
			b[i / 256] = (uint8_t)i;
		else
			memset(b, i == 4 * 256 ? 0 : 255, 4);
		inet_ntop(AF_INET, b, want, sizeof(want));
		bad += ipfmt_ip4(b, got) != strlen(want) ||
		       strcmp(got, want) != 0;
	}
	CHECK_MSG(bad == 0, "%u addresses differ from inet_ntop", bad);
	num[ipfmt_u32(0, num)] = 0;
	CHECK(strcmp(num, "0") == 0);
	num[ipfmt_u32(65535, num)] = 0;
	CHECK(strcmp(num, "65535") == 0);
	num[ipfmt_u32(UINT32_MAX, num)] = 0;
	CHECK(strcmp(num, "4294967295") == 0);
}

int main(void)
{
	test_ipfmt();
	test_escapes();
	test_numbers();
	test_nesting();
	test_escape_into();
	test_error_body();
	return check_summary("json");
}
