/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for slowpath/http/h1.c: well-formed requests, every split point of
 * a pipelined stream, limits, malformed request lines and fields, and the
 * Content-Length / Transfer-Encoding / Host / Connection rules.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../slowpath/http/h1.h"

static int parse_str(const char *s, struct h1_request *r)
{
	return h1_parse(s, strlen(s), r);
}

static bool span_is(const char *p, size_t n, const char *want)
{
	return p != NULL && strlen(want) == n && memcmp(p, want, n) == 0;
}

static void test_simple_get(void)
{
	const char *s = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
			"User-Agent: t  \r\n\r\n";
	struct h1_request r;

	CHECK(parse_str(s, &r) == (int)strlen(s));
	CHECK(span_is(r.method, r.method_len, "GET"));
	CHECK(span_is(r.path, r.path_len, "/healthz"));
	CHECK(r.query == NULL);
	CHECK(r.minor_version == 1);
	CHECK(r.keep_alive);
	CHECK(r.n_fields == 2);
	CHECK(r.content_length == 0 && r.body_len == 0);
	CHECK(r.head_len == strlen(s));
	CHECK(h1_find(&r, "user-agent") != NULL);
	CHECK(span_is(h1_find(&r, "USER-AGENT")->value,
		      h1_find(&r, "USER-AGENT")->value_len, "t"));
	CHECK(h1_find(&r, "if-match") == NULL);
}

static void test_post_body(void)
{
	const char *s = "POST /config HTTP/1.1\r\nHost: x\r\n"
			"Content-Length: 5\r\nContent-Type: application/json"
			"\r\n\r\nhelloEXTRA";
	struct h1_request r;
	int n = parse_str(s, &r);

	CHECK(n == (int)(strlen(s) - 5));
	CHECK(span_is(r.body, r.body_len, "hello"));
	CHECK(r.content_length == 5);
	CHECK(span_is(h1_find(&r, "content-type")->value,
		      h1_find(&r, "content-type")->value_len,
		      "application/json"));
}

static void test_targets(void)
{
	struct h1_request r;

	CHECK(parse_str("GET /a/b?x=1&y HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0);
	CHECK(span_is(r.path, r.path_len, "/a/b"));
	CHECK(span_is(r.query, r.query_len, "x=1&y"));
	CHECK(parse_str("GET /a? HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0);
	CHECK(r.query != NULL && r.query_len == 0);
	CHECK(parse_str("GET http://h:80/p?q HTTP/1.1\r\nHost: h\r\n\r\n", &r) >
	      0);
	CHECK(span_is(r.path, r.path_len, "/p"));
	CHECK(span_is(r.query, r.query_len, "q"));
	CHECK(parse_str("GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0);
	CHECK(span_is(r.path, r.path_len, "/"));
	CHECK(parse_str("GET http://h?z HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0);
	CHECK(span_is(r.path, r.path_len, "/") &&
	      span_is(r.query, r.query_len, "z"));
	CHECK(parse_str("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0);
	CHECK(span_is(r.path, r.path_len, "*"));
	CHECK(parse_str("GET * HTTP/1.1\r\nHost: h\r\n\r\n", &r) ==
	      H1_ERR_TARGET);
	CHECK(parse_str("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", &r) ==
	      H1_ERR_TARGET);
	CHECK(parse_str("GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", &r) ==
	      H1_ERR_TARGET);
}

/* Three pipelined requests; the second has a body. */
static const char pipeline[] =
	"GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
	"PUT /two?v=2 HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n"
	"If-Match: \"e1\"\r\n\r\nhello world"
	"\r\nDELETE /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

struct seen {
	int n;
	char paths[3][16];
	size_t body_len[3];
	bool ka[3];
};

/* Consume every complete request in buf[0..*len), as h1glue.c does. */
static int drain(char *buf, size_t *len, struct seen *s)
{
	struct h1_request r;
	int n;

	while ((n = h1_parse(buf, *len, &r)) > 0) {
		if (s->n == 3 || r.path_len >= sizeof(s->paths[0]))
			return -100;
		memcpy(s->paths[s->n], r.path, r.path_len);
		s->paths[s->n][r.path_len] = 0;
		s->body_len[s->n] = r.body_len;
		s->ka[s->n] = r.keep_alive;
		s->n++;
		memmove(buf, buf + n, *len - (size_t)n);
		*len -= (size_t)n;
	}
	return n;
}

static bool seen_ok(const struct seen *s)
{
	return s->n == 3 && strcmp(s->paths[0], "/one") == 0 &&
	       strcmp(s->paths[1], "/two") == 0 &&
	       strcmp(s->paths[2], "/three") == 0 && s->body_len[1] == 11 &&
	       s->ka[0] && s->ka[1] && !s->ka[2];
}

static void test_every_split_point(void)
{
	size_t total = sizeof(pipeline) - 1, i, bad = 0;
	char buf[sizeof(pipeline)];

	for (i = 0; i <= total; i++) {
		struct seen s = { 0 };
		size_t len = i;
		int rc1, rc2;

		memcpy(buf, pipeline, i);
		rc1 = drain(buf, &len, &s);
		memcpy(buf + len, pipeline + i, total - i);
		len += total - i;
		rc2 = drain(buf, &len, &s);
		if (rc1 != 0 || rc2 != 0 || len != 0 || !seen_ok(&s))
			bad++;
	}
	CHECK_MSG(bad == 0, "%zu split points failed", bad);
}

static void test_byte_by_byte(void)
{
	size_t total = sizeof(pipeline) - 1, i, len = 0;
	char buf[sizeof(pipeline)];
	struct seen s = { 0 };
	int rc = 0;

	for (i = 0; i < total && rc == 0; i++) {
		buf[len++] = pipeline[i];
		rc = drain(buf, &len, &s);
	}
	CHECK(rc == 0);
	CHECK(seen_ok(&s));
}

static void test_pipelined(void)
{
	const char *p = pipeline;
	size_t len = sizeof(pipeline) - 1;
	struct h1_request r;
	int n1, n2, n3;

	n1 = h1_parse(p, len, &r);
	CHECK(n1 > 0 && span_is(r.method, r.method_len, "GET"));
	n2 = h1_parse(p + n1, len - (size_t)n1, &r);
	CHECK(n2 > 0 && span_is(r.method, r.method_len, "PUT"));
	CHECK(span_is(r.body, r.body_len, "hello world"));
	CHECK(span_is(h1_find(&r, "if-match")->value,
		      h1_find(&r, "if-match")->value_len, "\"e1\""));
	/* a stray CRLF after a body is skipped (RFC 9112 2.2) */
	n3 = h1_parse(p + n1 + n2, len - (size_t)(n1 + n2), &r);
	CHECK(n3 > 0 && span_is(r.method, r.method_len, "DELETE"));
	CHECK((size_t)(n1 + n2 + n3) == len);
	CHECK(!r.keep_alive);
}

static void test_body_wait_and_expect(void)
{
	const char *s = "POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue"
			"\r\nContent-Length: 10\r\n\r\n12345";
	struct h1_request r;

	CHECK(parse_str(s, &r) == 0);
	CHECK(r.head_complete && r.expect_continue);
	CHECK(r.content_length == 10);
	CHECK(parse_str("POST /x HTTP/1.1\r\nHost: h\r\nContent-Le", &r) == 0);
	CHECK(!r.head_complete);
	CHECK(parse_str("POST /x HTTP/1.0\r\nExpect: 100-continue\r\n"
			"Content-Length: 1\r\n\r\n",
			&r) == 0);
	CHECK(r.head_complete && !r.expect_continue);
}

static char *make_head(size_t head_len)
{
	const char *pre = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: ";
	size_t plen = strlen(pre), fill = head_len - plen - 4;
	char *s = malloc(head_len + 1);

	memcpy(s, pre, plen);
	memset(s + plen, 'a', fill);
	memcpy(s + plen + fill, "\r\n\r\n", 5);
	return s;
}

static void test_limits(void)
{
	struct h1_request r;
	char *s;
	size_t i;

	s = make_head(HTTP_MAX_HEADER_BYTES);
	CHECK(parse_str(s, &r) == HTTP_MAX_HEADER_BYTES);
	free(s);
	s = make_head(HTTP_MAX_HEADER_BYTES + 1);
	CHECK(parse_str(s, &r) == H1_ERR_HEAD_TOO_LONG);
	/* still incomplete at the limit: refused without waiting for more */
	CHECK(h1_parse(s, HTTP_MAX_HEADER_BYTES, &r) == H1_ERR_HEAD_TOO_LONG);
	CHECK(h1_parse(s, HTTP_MAX_HEADER_BYTES - 1, &r) == 0);
	memcpy(s, "GET /", 5);
	memset(s + 5, 'u', HTTP_MAX_HEADER_BYTES - 5);
	CHECK(h1_parse(s, HTTP_MAX_HEADER_BYTES, &r) == H1_ERR_URI_TOO_LONG);
	free(s);

	s = malloc(64 * (H1_MAX_FIELDS + 1) + 64);
	strcpy(s, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (i = 1; i < H1_MAX_FIELDS; i++)
		sprintf(s + strlen(s), "X-%zu: v\r\n", i);
	strcat(s, "\r\n");
	CHECK(parse_str(s, &r) > 0 && r.n_fields == H1_MAX_FIELDS);
	strcpy(s + strlen(s) - 2, "X-last: v\r\n\r\n");
	CHECK(parse_str(s, &r) == H1_ERR_TOO_MANY_FIELDS);
	free(s);
}

static void test_bad_request_lines(void)
{
	static const struct {
		const char *in;
		int want;
	} cases[] = {
		{ "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", H1_ERR_REQUEST_LINE },
		{ "GET / HTTP/1.1\nHost: h\r\n\r\n", H1_ERR_REQUEST_LINE },
		{ "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", H1_ERR_REQUEST_LINE },
		{ "GET /a b HTTP/1.1\r\n\r\n", H1_ERR_REQUEST_LINE },
		{ "GET / HTTX/1.1\r\n\r\n", H1_ERR_REQUEST_LINE },
		{ "GET / HTTP/1.x\r\n\r\n", H1_ERR_REQUEST_LINE },
		{ "GET / HTTP/2.0\r\n\r\n", H1_ERR_VERSION },
		{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", H1_ERR_VERSION },
		{ "GET / HTTP/0.9\r\n\r\n", H1_ERR_VERSION },
		{ "G@T / HTTP/1.1\r\n\r\n", H1_ERR_REQUEST_LINE },
		{ " GET / HTTP/1.1\r\n\r\n", H1_ERR_REQUEST_LINE },
		{ "GET\t/ HTTP/1.1\r\n\r\n", H1_ERR_REQUEST_LINE },
		{ "GET /\x7f HTTP/1.1\r\n\r\n", H1_ERR_REQUEST_LINE },
		{ "GET /\xc3\xa9 HTTP/1.1\r\n\r\n", H1_ERR_REQUEST_LINE },
		{ "\x16\x03\x01\x02", H1_ERR_REQUEST_LINE }, /* TLS hello */
		{ "GET / HTTP/1.1\r\r\n\r\n", H1_ERR_REQUEST_LINE },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", H1_ERR_REQUEST_LINE },
	};
	struct h1_request r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse_str(cases[i].in, &r);

		CHECK_MSG(rc == cases[i].want, "case %zu: got %d want %d", i,
			  rc, cases[i].want);
	}
}

static void test_bad_fields(void)
{
	static const char *cases[] = {
		"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n\tfolded\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nB@d: v\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\rz\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fz\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\nX: v\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n\n",
	};
	struct h1_request r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_MSG(parse_str(cases[i], &r) == H1_ERR_FIELD, "case %zu",
			  i);
	CHECK(h1_parse("GET / HTTP/1.1\r\nHost: h\r\nX: a\0z\r\n\r\n", 37,
		       &r) == H1_ERR_FIELD);
	CHECK(parse_str("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\r\n\r\n",
			&r) > 0); /* obs-text is allowed in values */
	CHECK(parse_str("GET / HTTP/1.1\r\nHost: h\r\nX:\r\n\r\n", &r) > 0);
	CHECK(h1_find(&r, "x")->value_len == 0);
}

static void test_content_length(void)
{
	static const struct {
		const char *cl;
		int want;
	} cases[] = {
		{ "Content-Length: abc\r\n", H1_ERR_CONTENT_LENGTH },
		{ "Content-Length:\r\n", H1_ERR_CONTENT_LENGTH },
		{ "Content-Length: +5\r\n", H1_ERR_CONTENT_LENGTH },
		{ "Content-Length: -1\r\n", H1_ERR_CONTENT_LENGTH },
		{ "Content-Length: 5, 5\r\n", H1_ERR_CONTENT_LENGTH },
		{ "Content-Length: 0x10\r\n", H1_ERR_CONTENT_LENGTH },
		{ "Content-Length: 1\r\nContent-Length: 1\r\n",
		  H1_ERR_DUP_CONTENT_LENGTH },
		{ "Content-Length: 1\r\ncontent-length: 2\r\n",
		  H1_ERR_DUP_CONTENT_LENGTH },
		{ "Content-Length: 99999999999999999999999999\r\n",
		  H1_ERR_BODY_TOO_LARGE },
		{ "Transfer-Encoding: chunked\r\n", H1_ERR_TRANSFER_ENCODING },
		{ "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
		  H1_ERR_TRANSFER_ENCODING },
		{ "Content-Length: 0003 \r\n", 0 },
	};
	char s[256];
	struct h1_request r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		snprintf(s, sizeof(s), "POST / HTTP/1.1\r\nHost: h\r\n%s\r\n",
			 cases[i].cl);
		rc = parse_str(s, &r);
		CHECK_MSG(rc == cases[i].want, "case %zu: got %d", i, rc);
	}
	CHECK(r.content_length == 3 && r.head_complete);
	snprintf(s, sizeof(s),
		 "POST / HTTP/1.1\r\nHost: h\r\n"
		 "Content-Length: %d\r\n\r\n",
		 HTTP_MAX_BODY);
	CHECK(parse_str(s, &r) == 0 && r.content_length == HTTP_MAX_BODY);
	snprintf(s, sizeof(s),
		 "POST / HTTP/1.1\r\nHost: h\r\n"
		 "Content-Length: %d\r\n\r\n",
		 HTTP_MAX_BODY + 1);
	CHECK(parse_str(s, &r) == H1_ERR_BODY_TOO_LARGE);
}

static void test_host_and_connection(void)
{
	struct h1_request r;

	CHECK(parse_str("GET / HTTP/1.1\r\n\r\n", &r) == H1_ERR_HOST);
	CHECK(parse_str("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", &r) ==
	      H1_ERR_HOST);
	CHECK(parse_str("GET / HTTP/1.0\r\n\r\n", &r) > 0);
	CHECK(r.minor_version == 0 && !r.keep_alive);
	CHECK(parse_str("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
			&r) > 0);
	CHECK(r.keep_alive);
	CHECK(parse_str("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, "
			"Close\r\n\r\n",
			&r) > 0);
	CHECK(!r.keep_alive);
	CHECK(parse_str("GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n"
			"\r\n",
			&r) > 0);
	CHECK(r.keep_alive);
	CHECK(parse_str("GET / HTTP/1.2\r\nHost: h\r\n\r\n", &r) > 0);
	CHECK(r.minor_version == 2 && r.keep_alive);
}

static void test_leading_crlf_and_prefixes(void)
{
	struct h1_request r;

	CHECK(parse_str("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", &r) == 31);
	CHECK(span_is(r.method, r.method_len, "GET"));
	CHECK(parse_str("", &r) == 0);
	CHECK(parse_str("\r", &r) == 0);
	CHECK(parse_str("\r\n", &r) == 0);
	CHECK(parse_str("G", &r) == 0);
	CHECK(parse_str("GET / HTTP/1.1\r", &r) == 0);
}

static void test_error_table(void)
{
	int e;

	for (e = H1_ERR_TARGET; e <= H1_ERR_HEAD_TOO_LONG; e++) {
		int st = h1_error_status(e);

		CHECK(st >= 400 && st <= 505);
		CHECK(h1_strerror(e)[0] != 0);
	}
	CHECK(h1_error_status(H1_ERR_BODY_TOO_LARGE) == 413);
	CHECK(h1_error_status(H1_ERR_HEAD_TOO_LONG) == 431);
	CHECK(h1_error_status(H1_ERR_TRANSFER_ENCODING) == 501);
	CHECK(h1_error_status(H1_ERR_VERSION) == 505);
	CHECK(h1_error_status(-999) == 400);
}

int main(void)
{
	test_simple_get();
	test_post_body();
	test_targets();
	test_every_split_point();
	test_byte_by_byte();
	test_pipelined();
	test_body_wait_and_expect();
	test_limits();
	test_bad_request_lines();
	test_bad_fields();
	test_content_length();
	test_host_and_connection();
	test_leading_crlf_and_prefixes();
	test_error_table();
	return check_summary("h1");
}
