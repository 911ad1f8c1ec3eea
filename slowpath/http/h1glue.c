/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.1 on a connection: h1.c parses, this file gates re-parsing,
 * reserves body memory, answers 100-continue, builds the handler's
 * request and queues the response. Also the cleartext detection of
 * prior-knowledge h2c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

struct strbuf {
	char *p;
	size_t left;
};

static const char *sb_dup(struct strbuf *sb, const char *s, size_t n)
{
	char *d = sb->p;

	if (s == NULL)
		return NULL;
	if (n + 1 > sb->left)
		return ""; /* cannot happen: sized for a whole head */
	memcpy(d, s, n);
	d[n] = 0;
	sb->p += n + 1;
	sb->left -= n + 1;
	return d;
}

static const char *sb_field(struct strbuf *sb, const struct h1_request *hr,
			    const char *name)
{
	const struct h1_field *f = h1_find(hr, name);

	return f ? sb_dup(sb, f->value, f->value_len) : NULL;
}

static void h1_build_request(struct conn *c, const struct h1_request *hr,
			     struct http_request *req)
{
	struct strbuf sb = { c->srv->scratch, HTTP_SCRATCH };

	conn_base_request(c, req);
	req->method = sb_dup(&sb, hr->method, hr->method_len);
	req->path = sb_dup(&sb, hr->path, hr->path_len);
	req->query = sb_dup(&sb, hr->query, hr->query_len);
	req->if_match = sb_field(&sb, hr, "if-match");
	req->content_type = sb_field(&sb, hr, "content-type");
	req->traceparent = sb_field(&sb, hr, "traceparent");
	/* Built more than once per request (head check, then whole): one trace. */
	if (!c->h1_traced) {
		if (trace_begin(req->traceparent, &c->h1_trace) == 0)
			c->h1_traced = true;
	}
	req->trace = c->h1_traced ? &c->h1_trace : NULL;
	req->body = (const uint8_t *)hr->body;
	req->body_len = hr->body_len;
}

static void h1_head(struct conn *c, const struct http_response *resp,
		    bool keep_alive, char *out, size_t size)
{
	size_t o;
	unsigned int i;

	o = (size_t)snprintf(out, size, "HTTP/1.1 %d %s\r\nDate: %s\r\n",
			     resp->status, http_status_reason(resp->status),
			     http_date(c->srv));
	if (status_has_body(resp->status))
		o += (size_t)snprintf(out + o, size - o,
				      "Content-Length: %zu\r\n",
				      resp->body_len);
	if (resp->content_type[0])
		o += (size_t)snprintf(out + o, size - o, "Content-Type: %s\r\n",
				      resp->content_type);
	if (resp->etag[0])
		o += (size_t)snprintf(out + o, size - o, "ETag: %s\r\n",
				      resp->etag);
	for (i = 0; i < resp->n_headers; i++)
		o += (size_t)snprintf(out + o, size - o, "%s: %s\r\n",
				      resp->headers[i].name,
				      resp->headers[i].value);
	if (!keep_alive)
		o += (size_t)snprintf(out + o, size - o,
				      "Connection: close\r\n");
	else if (c->h1_minor == 0)
		o += (size_t)snprintf(out + o, size - o,
				      "Connection: keep-alive\r\n");
	snprintf(out + o, size - o, "\r\n");
}

/* Queue head and body; the connection owns resp->body from here. */
static int h1_queue(struct conn *c, const struct http_request *req,
		    struct http_response *resp, bool keep_alive)
{
	char head[sizeof(struct http_response) + 512]; /* all fields, full */
	bool body = status_has_body(resp->status) &&
		    strcmp(req->method, "HEAD") != 0 && resp->body_len > 0;
	int rc;

	http_trace_header(req, resp);
	h1_head(c, resp, keep_alive, head, sizeof(head));
	rc = buf_append(&c->out, head, strlen(head), HTTP_OUT_MAX);
	if (rc == 0 && body && resp->body_len <= HTTP_OUT_COPY_MAX)
		rc = buf_append(&c->out, resp->body, resp->body_len,
				HTTP_OUT_MAX);
	if (rc == 0 && body && resp->body_len > HTTP_OUT_COPY_MAX) {
		c->body_out = resp->body;
		c->body_out_len = resp->body_len;
		c->body_out_off = 0;
		resp->body = NULL;
	}
	free(resp->body);
	resp->body = NULL;
	if (!keep_alive)
		c->closing = true;
	return rc;
}

void h1_release_body(struct conn *c)
{
	body_budget_give(c->srv, c->h1_reserved);
	c->h1_reserved = 0;
}

static void h1_next_request(struct conn *c, size_t consumed)
{
	buf_consume(&c->in, consumed);
	h1_release_body(c);
	c->h1_scan = c->h1_need = 0;
	c->h1_seen = c->h1_continue_sent = c->h1_head_done = false;
	c->h1_traced = false;
	c->h1_t0 = buf_used(&c->in) ? http_now_s() : 0;
	conn_touch(c);
	c->progress++;
}

/* The head check once per request: 1 when resp is its answer. */
static int h1_head_refused(struct conn *c, const struct h1_request *hr,
			   struct http_response *resp)
{
	struct http_request req;

	if (c->h1_head_done)
		return 0;
	c->h1_head_done = true;
	h1_build_request(c, hr, &req);
	req.body = NULL;
	req.body_len = (size_t)hr->content_length;
	return http_head_refused(c->srv, &req, resp);
}

static int h1_serve(struct conn *c, const struct h1_request *hr, int consumed)
{
	struct http_request req;
	struct http_response resp;
	int rc, refused;

	c->h1_minor = hr->minor_version;
	conn_head_done(c);
	refused = h1_head_refused(c, hr, &resp);
	h1_build_request(c, hr, &req);
	if (!refused)
		http_dispatch(c->srv, &req, &resp);
	c->srv->stats.requests_h1++;
	rc = h1_queue(c, &req, &resp, hr->keep_alive);
	http_complete(c->srv, &req, resp.status, c->h1_t0);
	h1_next_request(c, (size_t)consumed);
	return rc;
}

/* A request the parser refused: JSON error, then close. */
static int h1_reject(struct conn *c, int err)
{
	struct http_request req;
	struct http_response resp = { 0 };
	int rc;

	conn_base_request(c, &req);
	c->h1_minor = 1;
	http_response_error(&resp, h1_error_status(err), h1_strerror(err));
	c->srv->stats.bad_requests++;
	rc = h1_queue(c, &req, &resp, false);
	http_complete(c->srv, &req, resp.status,
		      c->h1_t0 ? c->h1_t0 : http_now_s());
	c->progress++;
	return rc;
}

/*
 * Whether parsing could get further than last time: the first bytes of a
 * request (to refuse garbage at once), a new end of head, or the whole
 * body. Keeps a slow sender from making us re-parse on every byte.
 */
static bool h1_ready(struct conn *c)
{
	size_t used = buf_used(&c->in), from;
	bool found;

	if (used == 0)
		return false;
	if (c->h1_need)
		return used >= c->h1_need;
	if (!c->h1_seen) {
		c->h1_seen = true;
		c->h1_scan = used;
		return true;
	}
	from = c->h1_scan > 3 ? c->h1_scan - 3 : 0;
	if (from >= used)
		return false;
	found = memmem(buf_head(&c->in) + from, used - from, "\r\n\r\n", 4) !=
		NULL;
	c->h1_scan = used;
	return found || used >= HTTP_MAX_HEADER_BYTES;
}

/*
 * A head whose body is still to come, refused on the head alone (role,
 * media type...) or for want of body memory: answer it now and close,
 * having read none of the body.
 */
static int h1_refuse_head(struct conn *c, const struct h1_request *hr,
			  struct http_response *resp)
{
	struct http_request req;
	int rc;

	c->h1_minor = hr->minor_version;
	h1_build_request(c, hr, &req);
	req.body = NULL;
	req.body_len = 0;
	c->srv->stats.requests_h1++;
	rc = h1_queue(c, &req, resp, false);
	http_complete(c->srv, &req, resp->status, c->h1_t0);
	c->progress++;
	return rc;
}

static int h1_wait_body(struct conn *c, const struct h1_request *hr)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct http_response resp;
	size_t body = (size_t)hr->content_length;

	if (!hr->head_complete)
		return 0;
	conn_head_done(c);
	if (c->h1_need == 0 && h1_head_refused(c, hr, &resp))
		return h1_refuse_head(c, hr, &resp);
	if (c->h1_need == 0 && body > 0) {
		if (!body_budget_take(c->srv, body)) {
			memset(&resp, 0, sizeof(resp));
			http_response_error(&resp, 503,
					    "too many request bodies "
					    "buffered; retry");
			return h1_refuse_head(c, hr, &resp);
		}
		c->h1_reserved = body;
	}
	c->h1_need = hr->head_len + body;
	if (!hr->expect_continue || c->h1_continue_sent)
		return 0;
	c->h1_continue_sent = true;
	return buf_append(&c->out, cont, sizeof(cont) - 1, HTTP_OUT_MAX);
}

static bool h1_room(const struct conn *c)
{
	return buf_used(&c->out) < HTTP_OUT_HIGH && c->body_out == NULL;
}

/* Serve every complete request in the input while output has room. */
int h1_process(struct conn *c)
{
	struct h1_request hr;
	int n, rc = 0;

	while (rc == 0 && !c->closing && h1_room(c) && h1_ready(c)) {
		n = h1_parse(buf_head(&c->in), buf_used(&c->in), &hr);
		if (n < 0)
			rc = h1_reject(c, n);
		else if (n == 0)
			rc = h1_wait_body(c, &hr);
		else
			rc = h1_serve(c, &hr, n);
		if (n == 0)
			break;
	}
	c->h1_pending = !c->closing && buf_used(&c->in) > 0 && !h1_room(c);
	if (c->peer_eof && !c->h1_pending)
		c->closing = true; /* a partial request can never finish */
	if (buf_used(&c->in) == 0)
		buf_trim(&c->in);
	return rc;
}

/* Cleartext: "PRI * HTTP/2.0..." means prior-knowledge h2c. */
static int conn_detect(struct conn *c)
{
	static const char magic[] = NGHTTP2_CLIENT_MAGIC;
	size_t used = buf_used(&c->in), n = sizeof(magic) - 1;
	int rc;

	if (memcmp(buf_head(&c->in), magic, used < n ? used : n) != 0) {
		c->proto = 1;
		c->phase = PHASE_OPEN;
		conn_touch(c);
		return 0;
	}
	if (used < n)
		return 0;
	rc = h2_start(c);
	if (rc == 0)
		rc = h2_feed(c, buf_head(&c->in), used);
	buf_free(&c->in);
	return rc;
}

int h1_read(struct conn *c)
{
	size_t used = buf_used(&c->in);
	size_t room = HTTP_IN_MAX - used < HTTP_READ_CHUNK ? HTTP_IN_MAX - used
							   : HTTP_READ_CHUNK;
	ssize_t n;

	if (buf_reserve(&c->in, room, HTTP_IN_MAX) < 0)
		return -ENOMEM;
	n = conn_recv(c, c->in.data + c->in.len, room);
	if (n == -EAGAIN) {
		c->rd_blocked = true;
		return 0;
	}
	if (n <= 0) {
		c->peer_eof = true;
		return n < 0 ? (int)n : 0;
	}
	if (used == 0)
		c->h1_t0 = http_now_s();
	c->in.len += (size_t)n;
	c->progress++;
	return c->phase == PHASE_DETECT ? conn_detect(c) : 0;
}
