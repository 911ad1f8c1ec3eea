/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.1 request parsing: request line, header fields, the framing
 * fields (Content-Length, Transfer-Encoding, Host, Connection, Expect) and
 * a Content-Length body. Pure: every call starts from scratch on (buf, len).
 */
#include <string.h>
#include <strings.h>

#include "h1.h"

#define VERSION_LEN 10 /* "HTTP/1.1\r\n" */

static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Request-target bytes: visible ASCII; no space, CTL, DEL or obs-text. */
static bool is_target_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/* field-value bytes: VCHAR, obs-text, SP, HTAB. */
static bool is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "HTTP/1.x\r\n": its length, 0 for more bytes, or an error. */
static int parse_version(const char *p, size_t len, struct h1_request *r)
{
	static const char pat[] = "HTTP/1.1\r\n";
	size_t i;

	for (i = 0; i < len && i < VERSION_LEN; i++) {
		if (i == 5 && p[i] != '1')
			return is_digit(p[i]) ? H1_ERR_VERSION
					      : H1_ERR_REQUEST_LINE;
		if (i == 7 && !is_digit(p[i]))
			return H1_ERR_REQUEST_LINE;
		if (i != 5 && i != 7 && p[i] != pat[i])
			return H1_ERR_REQUEST_LINE;
	}
	if (i < VERSION_LEN)
		return 0;
	r->minor_version = p[7] - '0';
	return VERSION_LEN;
}

/* method SP request-target SP HTTP-version CRLF: length, 0 or error. */
static int parse_request_line(const char *buf, size_t len, struct h1_request *r)
{
	size_t i = 0, sp1;
	int rc;

	while (i < len && i <= H1_MAX_METHOD && is_tchar(buf[i]))
		i++;
	if (i > H1_MAX_METHOD)
		return H1_ERR_REQUEST_LINE;
	if (i == len)
		return 0;
	if (i == 0 || buf[i] != ' ')
		return H1_ERR_REQUEST_LINE;
	sp1 = i++;
	while (i < len && is_target_char(buf[i]))
		i++;
	if (i == len)
		return 0;
	if (i == sp1 + 1 || buf[i] != ' ')
		return H1_ERR_REQUEST_LINE;
	rc = parse_version(buf + i + 1, len - i - 1, r);
	if (rc <= 0)
		return rc;
	r->method = buf;
	r->method_len = sp1;
	r->target = buf + sp1 + 1;
	r->target_len = i - sp1 - 1;
	return (int)(i + 1 + (size_t)rc);
}

/*
 * One field line. Returns its length with CRLF (the empty line gives 2 and
 * f->name NULL), 0 for more bytes, or H1_ERR_FIELD.
 */
static int parse_field(const char *buf, size_t len, struct h1_field *f)
{
	const char *lf = memchr(buf, '\n', len);
	size_t n, i = 0, vstart, vend;

	if (lf == NULL)
		return 0;
	n = (size_t)(lf - buf);
	if (n == 0 || buf[n - 1] != '\r')
		return H1_ERR_FIELD; /* bare LF */
	n--;
	f->name = NULL;
	if (n == 0)
		return 2;
	while (i < n && is_tchar(buf[i]))
		i++;
	if (i == 0 || i == n || buf[i] != ':')
		return H1_ERR_FIELD; /* also obs-fold and space before ':' */
	f->name = buf;
	f->name_len = i++;
	while (i < n && is_ows(buf[i]))
		i++;
	vstart = vend = i;
	for (; i < n; i++) {
		if (!is_value_char(buf[i]))
			return H1_ERR_FIELD;
		if (!is_ows(buf[i]))
			vend = i + 1;
	}
	f->value = buf + vstart;
	f->value_len = vend - vstart;
	return (int)(n + 2);
}

/* Fields from off up to the empty line: head length, 0 or error. */
static int parse_fields(const char *buf, size_t len, size_t off,
			struct h1_request *r)
{
	struct h1_field f;
	int rc;

	for (;;) {
		rc = parse_field(buf + off, len - off, &f);
		if (rc <= 0)
			return rc;
		off += (size_t)rc;
		if (f.name == NULL)
			return (int)off;
		if (r->n_fields == H1_MAX_FIELDS)
			return H1_ERR_TOO_MANY_FIELDS;
		r->fields[r->n_fields++] = f;
	}
}

static bool name_is(const struct h1_field *f, const char *name)
{
	return strlen(name) == f->name_len &&
	       strncasecmp(f->name, name, f->name_len) == 0;
}

static bool token_is(const char *p, size_t n, const char *token)
{
	return strlen(token) == n && strncasecmp(p, token, n) == 0;
}

static int parse_content_length(const struct h1_field *f, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (f->value_len == 0)
		return H1_ERR_CONTENT_LENGTH;
	for (i = 0; i < f->value_len; i++) {
		if (!is_digit(f->value[i]))
			return H1_ERR_CONTENT_LENGTH;
		if (v <= HTTP_MAX_BODY)
			v = v * 10 + (uint64_t)(f->value[i] - '0');
	}
	if (v > HTTP_MAX_BODY)
		return H1_ERR_BODY_TOO_LARGE;
	*out = v;
	return 0;
}

/* Connection: a comma-separated list of tokens. */
static void scan_connection(const struct h1_field *f, bool *close, bool *ka)
{
	const char *p = f->value, *end = f->value + f->value_len;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end;
		const char *s = p;

		while (s < e && is_ows(*s))
			s++;
		while (e > s && is_ows(e[-1]))
			e--;
		if (token_is(s, (size_t)(e - s), "close"))
			*close = true;
		else if (token_is(s, (size_t)(e - s), "keep-alive"))
			*ka = true;
		p = comma ? comma + 1 : end;
	}
}

static int check_fields(struct h1_request *r)
{
	unsigned int i, hosts = 0;
	bool has_cl = false, close = false, ka = false;
	int rc;

	for (i = 0; i < r->n_fields; i++) {
		const struct h1_field *f = &r->fields[i];

		if (name_is(f, "content-length")) {
			if (has_cl)
				return H1_ERR_DUP_CONTENT_LENGTH;
			rc = parse_content_length(f, &r->content_length);
			if (rc < 0)
				return rc;
			has_cl = true;
		} else if (name_is(f, "transfer-encoding")) {
			return H1_ERR_TRANSFER_ENCODING;
		} else if (name_is(f, "host")) {
			hosts++;
		} else if (name_is(f, "connection")) {
			scan_connection(f, &close, &ka);
		} else if (name_is(f, "expect")) {
			r->expect_continue = token_is(f->value, f->value_len,
						      "100-continue");
		}
	}
	if (hosts > 1 || (r->minor_version >= 1 && hosts == 0))
		return H1_ERR_HOST;
	r->keep_alive = r->minor_version >= 1 ? !close : ka && !close;
	if (r->minor_version == 0)
		r->expect_continue = false;
	return 0;
}

/* absolute-form: skip "http://authority" (case-insensitive scheme). */
static int skip_authority(const char *t, size_t n, size_t *start)
{
	size_t i;

	if (n > 7 && strncasecmp(t, "http://", 7) == 0)
		i = 7;
	else if (n > 8 && strncasecmp(t, "https://", 8) == 0)
		i = 8;
	else
		return H1_ERR_TARGET;
	while (i < n && t[i] != '/' && t[i] != '?')
		i++;
	*start = i;
	return 0;
}

static int split_target(struct h1_request *r)
{
	const char *t = r->target, *q;
	size_t n = r->target_len, start = 0;
	int rc;

	if (n == 1 && t[0] == '*') {
		if (!token_is(r->method, r->method_len, "OPTIONS"))
			return H1_ERR_TARGET;
		r->path = t;
		r->path_len = 1;
		return 0;
	}
	if (t[0] != '/') {
		rc = skip_authority(t, n, &start);
		if (rc < 0)
			return rc;
	}
	q = memchr(t + start, '?', n - start);
	r->path = t + start;
	r->path_len = q ? (size_t)(q - r->path) : n - start;
	r->query = q ? q + 1 : NULL;
	r->query_len = q ? (size_t)(t + n - q - 1) : 0;
	if (r->path_len == 0) {
		r->path = "/";
		r->path_len = 1;
	}
	return 0;
}

/* Request line and fields within hlen bytes: head length, 0 or error. */
static int parse_head(const char *buf, size_t hlen, struct h1_request *r)
{
	size_t off = 0;
	int rc;

	while (hlen - off >= 2 && buf[off] == '\r' && buf[off + 1] == '\n')
		off += 2; /* RFC 9112 2.2: ignore empty lines before a request */
	if (hlen - off == 1 && buf[off] == '\r')
		return 0;
	rc = parse_request_line(buf + off, hlen - off, r);
	if (rc <= 0)
		return rc;
	return parse_fields(buf, hlen, off + (size_t)rc, r);
}

int h1_parse(const char *buf, size_t len, struct h1_request *r)
{
	size_t hlen = len < HTTP_MAX_HEADER_BYTES ? len : HTTP_MAX_HEADER_BYTES;
	uint64_t total;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = parse_head(buf, hlen, r);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		if (len < HTTP_MAX_HEADER_BYTES)
			return 0;
		return r->method ? H1_ERR_HEAD_TOO_LONG : H1_ERR_URI_TOO_LONG;
	}
	r->head_len = (size_t)rc;
	rc = split_target(r);
	if (rc == 0)
		rc = check_fields(r);
	if (rc < 0)
		return rc;
	r->head_complete = true;
	total = r->head_len + r->content_length;
	if (len < total)
		return 0;
	r->body = buf + r->head_len;
	r->body_len = (size_t)r->content_length;
	return (int)total;
}

const struct h1_field *h1_find(const struct h1_request *req, const char *name)
{
	unsigned int i;

	for (i = 0; i < req->n_fields; i++)
		if (name_is(&req->fields[i], name))
			return &req->fields[i];
	return NULL;
}

static const struct {
	int err;
	int status;
	const char *text;
} h1_errors[] = {
	{ H1_ERR_HEAD_TOO_LONG, 431, "request header section too large" },
	{ H1_ERR_URI_TOO_LONG, 414, "request line too long" },
	{ H1_ERR_REQUEST_LINE, 400, "malformed request line" },
	{ H1_ERR_VERSION, 505, "HTTP version not supported" },
	{ H1_ERR_FIELD, 400, "malformed header field" },
	{ H1_ERR_TOO_MANY_FIELDS, 431, "too many header fields" },
	{ H1_ERR_TRANSFER_ENCODING, 501,
	  "Transfer-Encoding is not supported: send Content-Length" },
	{ H1_ERR_CONTENT_LENGTH, 400, "Content-Length must be digits" },
	{ H1_ERR_DUP_CONTENT_LENGTH, 400, "more than one Content-Length" },
	{ H1_ERR_BODY_TOO_LARGE, 413, "request body too large" },
	{ H1_ERR_HOST, 400, "HTTP/1.1 request needs exactly one Host" },
	{ H1_ERR_TARGET, 400, "request target must be a path" },
};

int h1_error_status(int err)
{
	size_t i;

	for (i = 0; i < sizeof(h1_errors) / sizeof(h1_errors[0]); i++)
		if (h1_errors[i].err == err)
			return h1_errors[i].status;
	return 400;
}

const char *h1_strerror(int err)
{
	size_t i;

	for (i = 0; i < sizeof(h1_errors) / sizeof(h1_errors[0]); i++)
		if (h1_errors[i].err == err)
			return h1_errors[i].text;
	return "bad request";
}
