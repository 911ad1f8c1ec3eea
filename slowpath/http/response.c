/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Responses: reason phrases, the checks on what a handler fills, the
 * project's JSON error body, and the calls into the handler, the head
 * check and on_complete that both protocols share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http_int.h"
#include "jw.h"

const char *http_date(struct http_server *srv)
{
	time_t t = time(NULL);
	struct tm tm;

	if (t != srv->date_t && gmtime_r(&t, &tm) != NULL) {
		strftime(srv->date, sizeof(srv->date),
			 "%a, %d %b %Y %H:%M:%S GMT", &tm);
		srv->date_t = t;
	}
	return srv->date;
}

static const struct {
	int status;
	const char *reason;
} http_reasons[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 411, "Length Required" },
	{ 412, "Precondition Failed" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" },
	{ 428, "Precondition Required" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *http_status_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(http_reasons) / sizeof(http_reasons[0]); i++)
		if (http_reasons[i].status == status)
			return http_reasons[i].reason;
	return "";
}

static bool is_token(const char *s)
{
	if (*s == 0)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') ||
		      strchr("!#$%&'*+-.^_`|~", *s) != NULL))
			return false;
	return true;
}

/* A header value the server may emit: no CTL but HTAB, NUL-terminated. */
static bool value_ok(const char *v, size_t size)
{
	size_t i;

	for (i = 0; i < size && v[i]; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') ||
		    v[i] == 0x7f)
			return false;
	return i < size;
}

/* Headers the server owns; a handler may not set them. */
static bool reserved_name(const char *name)
{
	static const char *const names[] = {
		"content-length",    "content-type", "etag",	   "connection",
		"transfer-encoding", "date",	     "keep-alive", "upgrade",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}

static bool header_ok(const struct http_header *h)
{
	return value_ok(h->name, sizeof(h->name)) && is_token(h->name) &&
	       !reserved_name(h->name) && value_ok(h->value, sizeof(h->value));
}

int http_response_add_header(struct http_response *resp, const char *name,
			     const char *value)
{
	struct http_header *h;

	if (resp->n_headers >= HTTP_MAX_EXTRA_HEADERS)
		return -ENOSPC;
	if (strlen(name) >= sizeof(h->name) ||
	    strlen(value) >= sizeof(h->value))
		return -EINVAL;
	h = &resp->headers[resp->n_headers];
	strcpy(h->name, name);
	strcpy(h->value, value);
	if (!header_ok(h))
		return -EINVAL;
	resp->n_headers++;
	return 0;
}

static bool response_ok(const struct http_response *resp)
{
	unsigned int i;

	if (resp->status < 200 || resp->status > 599 ||
	    resp->n_headers > HTTP_MAX_EXTRA_HEADERS ||
	    (resp->body == NULL && resp->body_len != 0) ||
	    !value_ok(resp->content_type, sizeof(resp->content_type)) ||
	    !value_ok(resp->etag, sizeof(resp->etag)))
		return false;
	for (i = 0; i < resp->n_headers; i++)
		if (!header_ok(&resp->headers[i]))
			return false;
	return true;
}

int http_response_error(struct http_response *resp, int status,
			const char *message)
{
	static const char fmt[] =
		"{\"code\": %d, \"message\": \"%s\", \"details\": {}}";
	char esc[512];
	int n;

	jw_escape_into(message, esc, sizeof(esc));
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	resp->status = status;
	resp->etag[0] = 0;
	resp->n_headers = 0;
	snprintf(resp->content_type, sizeof(resp->content_type),
		 "application/json");
	n = snprintf(NULL, 0, fmt, status, esc);
	resp->body = malloc((size_t)n + 1);
	if (resp->body == NULL)
		return -ENOMEM;
	snprintf(resp->body, (size_t)n + 1, fmt, status, esc);
	resp->body_len = (size_t)n;
	return 0;
}

/* Run the handler; anything it gets wrong becomes a JSON 500. */
void http_dispatch(struct http_server *srv, const struct http_request *req,
		   struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	if (srv->handler == NULL) {
		http_response_error(resp, 404, "no handler for this path");
		return;
	}
	srv->handler(req, resp, srv->arg);
	if (!response_ok(resp)) {
		free(resp->body);
		memset(resp, 0, sizeof(*resp));
		http_response_error(resp, 500,
				    "handler produced an invalid response");
	}
}

/*
 * The server's head check (req has no body yet): 1 with resp filled when
 * the request is refused on its head, 0 to go on.
 */
int http_head_refused(struct http_server *srv, const struct http_request *req,
		      struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	if (srv->head_check == NULL ||
	    srv->head_check(req, resp, srv->arg) == 0) {
		free(resp->body);
		memset(resp, 0, sizeof(*resp));
		return 0;
	}
	if (!response_ok(resp)) {
		free(resp->body);
		memset(resp, 0, sizeof(*resp));
		http_response_error(resp, 500,
				    "handler produced an invalid response");
	}
	srv->stats.head_refused++;
	return 1;
}

/* The request's trace goes back as `traceparent` (trace.h). */
void http_trace_header(const struct http_request *req,
		       struct http_response *resp)
{
	char tp[TRACEPARENT_LEN + 1];

	if (req->trace == NULL)
		return;
	trace_format(req->trace, tp, sizeof(tp));
	(void)http_response_add_header(resp, "traceparent", tp);
}

void http_complete(struct http_server *srv, const struct http_request *req,
		   int status, double t0)
{
	if (srv->on_complete != NULL)
		srv->on_complete(req, status, http_now_s() - t0, srv->arg);
}

bool status_has_body(int status)
{
	return status != 204 && status != 304;
}
