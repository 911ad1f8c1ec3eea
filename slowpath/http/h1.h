/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.1 request parser (RFC 9112) as a pure function of (buf, len): no
 * allocation, no I/O, no state between calls, so h1glue.c calls it again as
 * bytes arrive and the unit tests and fuzzer call it on anything. Strict
 * where leniency invites request smuggling: CRLF line ends only, no
 * obs-fold, no Transfer-Encoding, one Content-Length, one Host.
 */
#ifndef EP_H1_H
#define EP_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_defs.h"

#define H1_MAX_FIELDS 64 /* header fields per request */
#define H1_MAX_METHOD 32 /* bytes in a method token */

/* Negative results of h1_parse(); h1_error_status() maps them to HTTP. */
enum h1_error {
	H1_ERR_HEAD_TOO_LONG = -1, /* 431: head > HTTP_MAX_HEADER_BYTES */
	H1_ERR_URI_TOO_LONG = -2, /* 414: request line alone too long */
	H1_ERR_REQUEST_LINE = -3, /* 400 */
	H1_ERR_VERSION = -4, /* 505: not HTTP/1.x */
	H1_ERR_FIELD = -5, /* 400: malformed header field */
	H1_ERR_TOO_MANY_FIELDS = -6, /* 431 */
	H1_ERR_TRANSFER_ENCODING = -7, /* 501: no chunked here */
	H1_ERR_CONTENT_LENGTH = -8, /* 400: not 1*DIGIT */
	H1_ERR_DUP_CONTENT_LENGTH = -9, /* 400 */
	H1_ERR_BODY_TOO_LARGE = -10, /* 413: > HTTP_MAX_BODY */
	H1_ERR_HOST = -11, /* 400: HTTP/1.1 needs exactly one Host */
	H1_ERR_TARGET = -12, /* 400: not origin, absolute or '*' form */
};

struct h1_field {
	const char *name;
	size_t name_len;
	const char *value; /* without leading/trailing whitespace */
	size_t value_len;
};

/* Every pointer points into the parsed buffer (path may be a static "/"). */
struct h1_request {
	const char *method;
	size_t method_len;
	const char *target; /* as sent */
	size_t target_len;
	const char *path; /* target without scheme/authority and query */
	size_t path_len;
	const char *query; /* after '?', NULL when none */
	size_t query_len;
	int minor_version; /* HTTP/1.x */
	struct h1_field fields[H1_MAX_FIELDS];
	unsigned int n_fields;
	size_t head_len; /* leading CRLFs + request line + fields + CRLF */
	bool head_complete; /* also set when 0 is returned for the body */
	uint64_t content_length; /* 0 when absent */
	bool keep_alive; /* 1.1 unless "close"; 1.0 only with "keep-alive" */
	bool expect_continue; /* "Expect: 100-continue" on HTTP/1.1 */
	const char *body;
	size_t body_len;
};

/*
 * Parse one request (head and Content-Length body) at the start of buf.
 * Returns the bytes it occupies (> 0), 0 when more bytes are needed (with
 * head_complete and the head fields set once the head is all there), or a
 * negative enum h1_error. Errors are found as early as the bytes allow:
 * a bad request line fails before its CRLF arrives.
 */
int h1_parse(const char *buf, size_t len, struct h1_request *out);

/* The first field named name (case-insensitive), or NULL. */
const struct h1_field *h1_find(const struct h1_request *req, const char *name);

/* HTTP status for an h1_parse() error (400 for unknown ones). */
int h1_error_status(int err);

/* A short description of an h1_parse() error. */
const char *h1_strerror(int err);

#endif /* EP_H1_H */
