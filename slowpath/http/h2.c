/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/2 through nghttp2 with memory I/O: bytes in via
 * nghttp2_session_mem_recv, out via nghttp2_session_mem_send into the
 * connection's output buffer. Per-stream state (fields, body, response)
 * lives in struct h2_stream, kept for reuse while the client stays under
 * its peak concurrency.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

/* Move nghttp2's pending frames into out, up to the high-water mark. */
int h2_produce(struct conn *c)
{
	while (buf_used(&c->out) < HTTP_OUT_HIGH) {
		const uint8_t *data;
		ssize_t n = nghttp2_session_mem_send(c->h2, &data);

		if (n < 0)
			return -EPROTO;
		if (n == 0)
			return 0;
		if (buf_append(&c->out, data, (size_t)n, HTTP_OUT_MAX) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void h2_body_free(struct conn *c, struct h2_stream *st)
{
	c->body_bytes -= st->body_cap;
	body_budget_give(c->srv, st->body_cap);
	free(st->body);
	st->body = NULL;
	st->body_cap = 0;
}

/* A zeroed stream state: a spare one if the connection has one. */
static struct h2_stream *h2_stream_alloc(struct conn *c)
{
	struct h2_stream *st = c->spare;

	if (st == NULL)
		return calloc(1, sizeof(*st));
	c->spare = st->next;
	c->n_spare--;
	c->srv->stats.h2_streams_spare--;
	memset(st, 0, sizeof(*st));
	return st;
}

/* A NUL-terminated copy of a field, in the stream's room if it fits. */
static char *h2_strdup(struct h2_stream *st, const uint8_t *v, size_t n)
{
	char *p;

	n = strnlen((const char *)v, n);
	if (n >= sizeof(st->strs) - st->strs_used)
		return strndup((const char *)v, n);
	p = st->strs + st->strs_used;
	memcpy(p, v, n);
	p[n] = 0;
	st->strs_used += n + 1;
	return p;
}

static void h2_strfree(struct h2_stream *st, char *p)
{
	uintptr_t a = (uintptr_t)p, room = (uintptr_t)st->strs;

	if (a < room || a >= room + sizeof(st->strs))
		free(p);
}

/* Free what st holds; keep st itself as a spare while there is room. */
static void h2_stream_release(struct conn *c, struct h2_stream *st)
{
	h2_body_free(c, st);
	h2_strfree(st, st->method);
	h2_strfree(st, st->target);
	h2_strfree(st, st->if_match);
	h2_strfree(st, st->content_type);
	h2_strfree(st, st->traceparent);
	free(st->resp.body);
	c->srv->stats.h2_streams_open--;
	if (c->n_spare >= HTTP_H2_SPARE_MAX) {
		free(st);
		return;
	}
	st->next = c->spare;
	c->spare = st;
	c->n_spare++;
	c->srv->stats.h2_streams_spare++;
}

static void h2_stream_free(struct conn *c, struct h2_stream *st)
{
	if (st->prev)
		st->prev->next = st->next;
	else
		c->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	c->n_streams--;
	h2_stream_release(c, st);
}

/* Every stream state of the connection, open or spare (at close). */
void h2_streams_free(struct conn *c)
{
	struct h2_stream *st, *next;

	for (st = c->streams; st != NULL; st = next) {
		next = st->next;
		h2_stream_release(c, st);
	}
	c->streams = NULL;
	c->n_streams = 0;
	for (st = c->spare; st != NULL; st = next) {
		next = st->next;
		free(st);
	}
	c->srv->stats.h2_streams_spare -= c->n_spare;
	c->spare = NULL;
	c->n_spare = 0;
}

static struct h2_stream *h2_stream_get(nghttp2_session *s, int32_t id)
{
	return nghttp2_session_get_stream_user_data(s, id);
}

static void h2_build_request(struct conn *c, struct h2_stream *st)
{
	struct http_request *req = &st->req;
	const char *query = req->query; /* cut off by an earlier call */
	char *q = st->target ? strchr(st->target, '?') : NULL;

	conn_base_request(c, req);
	if (q != NULL) {
		*q = 0;
		query = q + 1;
	}
	req->query = query;
	if (st->method)
		req->method = st->method;
	if (st->target)
		req->path = st->target;
	req->if_match = st->if_match;
	req->content_type = st->content_type;
	req->traceparent = st->traceparent;
	if (!st->traced) {
		if (trace_begin(st->traceparent, &st->trace) == 0)
			st->traced = true;
	}
	req->trace = st->traced ? &st->trace : NULL;
	req->body = st->body;
	req->body_len = st->body_len;
}

static ssize_t h2_read_body(nghttp2_session *s, int32_t id, uint8_t *buf,
			    size_t len, uint32_t *flags,
			    nghttp2_data_source *src, void *ud)
{
	struct h2_stream *st = src->ptr;
	size_t left = st->resp.body_len - st->resp_off;
	size_t n = left < len ? left : len;

	(void)s;
	(void)id;
	(void)ud;
	if (n > 0)
		memcpy(buf, st->resp.body + st->resp_off, n);
	st->resp_off += n;
	if (st->resp_off == st->resp.body_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static nghttp2_nv h2_nv(const char *name, const char *value)
{
	nghttp2_nv nv = { (uint8_t *)(uintptr_t)name,
			  (uint8_t *)(uintptr_t)value, strlen(name),
			  strlen(value), NGHTTP2_NV_FLAG_NONE };
	return nv;
}

/* v in decimal, NUL-terminated, ending at end; returns the first digit. */
static char *u64_text(char *end, uint64_t v)
{
	*--end = 0;
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

/* Queue st->resp (complete, checked) on st, which owns its body. */
static int h2_submit(struct conn *c, struct h2_stream *st)
{
	const struct http_response *resp = &st->resp;
	nghttp2_nv nv[5 + HTTP_MAX_EXTRA_HEADERS];
	char status[8], clen[24], names[HTTP_MAX_EXTRA_HEADERS][32];
	nghttp2_data_provider prd = { .source.ptr = st,
				      .read_callback = h2_read_body };
	bool body = status_has_body(resp->status) &&
		    strcmp(st->req.method, "HEAD") != 0;
	size_t n = 0, i, j;

	http_trace_header(&st->req, &st->resp);
	st->responded = true;
	nv[n++] = h2_nv(":status", u64_text(status + sizeof(status),
					    (uint64_t)resp->status));
	nv[n++] = h2_nv("date", http_date(c->srv));
	if (status_has_body(resp->status))
		nv[n++] = h2_nv("content-length",
				u64_text(clen + sizeof(clen), resp->body_len));
	if (resp->content_type[0])
		nv[n++] = h2_nv("content-type", resp->content_type);
	if (resp->etag[0])
		nv[n++] = h2_nv("etag", resp->etag);
	for (i = 0; i < resp->n_headers; i++) {
		for (j = 0; resp->headers[i].name[j]; j++)
			names[i][j] = (char)tolower(resp->headers[i].name[j]);
		names[i][j] = 0;
		nv[n++] = h2_nv(names[i], resp->headers[i].value);
	}
	if (nghttp2_submit_response(c->h2, st->id, nv, n, body ? &prd : NULL) !=
	    0)
		nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, st->id,
					  NGHTTP2_INTERNAL_ERROR);
	return 0;
}

/* The handler and the server fill st->resp in place (it is all zero). */
static int h2_reject(struct conn *c, struct h2_stream *st, int status,
		     const char *message)
{
	h2_build_request(c, st);
	h2_body_free(c, st);
	st->req.body = NULL;
	http_response_error(&st->resp, status, message);
	c->srv->stats.bad_requests++;
	return h2_submit(c, st);
}

static int h2_dispatch(struct conn *c, struct h2_stream *st)
{
	if (st->method == NULL || st->target == NULL)
		return h2_reject(c, st, 400, "request without :method/:path");
	h2_build_request(c, st);
	http_dispatch(c->srv, &st->req, &st->resp);
	c->srv->stats.requests_h2++;
	h2_body_free(c, st);
	st->req.body = NULL;
	return h2_submit(c, st);
}

static int h2_on_begin_headers(nghttp2_session *s, const nghttp2_frame *f,
			       void *ud)
{
	struct conn *c = ud;
	struct h2_stream *st;

	if (f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	/* nghttp2 enforces our SETTINGS; this bounds memory regardless */
	if (c->n_streams >= HTTP_MAX_STREAMS)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	st = h2_stream_alloc(c);
	if (st == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	c->srv->stats.h2_streams_open++;
	st->id = f->hd.stream_id;
	st->t0 = http_now_s();
	st->t0_ms = http_now_ms();
	st->next = c->streams;
	if (c->streams)
		c->streams->prev = st;
	c->streams = st;
	c->n_streams++;
	nghttp2_session_set_stream_user_data(s, st->id, st);
	conn_head_done(c);
	return 0;
}

static bool h2_name_is(const uint8_t *name, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(name, want, len) == 0;
}

static int h2_content_length(struct h2_stream *st, const uint8_t *v, size_t n)
{
	uint64_t cl = 0;
	size_t i;

	for (i = 0; i < n && cl <= HTTP_MAX_BODY; i++)
		cl = cl * 10 + (uint64_t)(v[i] - '0'); /* nghttp2 checked */
	if (cl > HTTP_MAX_BODY)
		st->error_status = 413;
	st->content_length = (size_t)cl;
	return 0;
}

/* Keep the fields the handler sees; the first of a repeated one wins. */
static int h2_store_header(struct h2_stream *st, const uint8_t *name,
			   size_t nlen, const uint8_t *value, size_t vlen)
{
	char **slot = NULL;

	if (h2_name_is(name, nlen, ":method"))
		slot = &st->method;
	else if (h2_name_is(name, nlen, ":path"))
		slot = &st->target;
	else if (h2_name_is(name, nlen, "if-match"))
		slot = &st->if_match;
	else if (h2_name_is(name, nlen, "content-type"))
		slot = &st->content_type;
	else if (h2_name_is(name, nlen, "traceparent"))
		slot = &st->traceparent;
	else if (h2_name_is(name, nlen, "content-length"))
		return h2_content_length(st, value, vlen);
	if (slot == NULL || *slot != NULL)
		return 0;
	*slot = h2_strdup(st, value, vlen);
	return *slot ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

static int h2_on_header(nghttp2_session *s, const nghttp2_frame *f,
			const uint8_t *name, size_t nlen, const uint8_t *value,
			size_t vlen, uint8_t flags, void *ud)
{
	struct h2_stream *st = h2_stream_get(s, f->hd.stream_id);

	(void)flags;
	(void)ud;
	if (st == NULL || f->hd.type != NGHTTP2_HEADERS)
		return 0;
	/* SETTINGS_MAX_HEADER_LIST_SIZE is advisory: enforce it here */
	st->header_bytes += nlen + vlen + 32;
	if (st->header_bytes > HTTP_MAX_HEADER_BYTES)
		st->error_status = 431;
	if (st->error_status || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	return h2_store_header(st, name, nlen, value, vlen);
}

static int h2_body_grow(struct conn *c, struct h2_stream *st, size_t len)
{
	size_t need = st->body_len + len,
	       cap = st->body_cap ? st->body_cap : 4096;
	uint8_t *p;

	if (need <= st->body_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	cap = cap < HTTP_MAX_BODY ? cap : HTTP_MAX_BODY;
	if (c->body_bytes - st->body_cap + cap > HTTP_MAX_CONN_BODY)
		return -ENOBUFS;
	if (!body_budget_take(c->srv, cap - st->body_cap))
		return -ENOBUFS;
	p = realloc(st->body, cap);
	if (p == NULL) {
		body_budget_give(c->srv, cap - st->body_cap);
		return -ENOMEM;
	}
	c->body_bytes += cap - st->body_cap;
	st->body = p;
	st->body_cap = cap;
	return 0;
}

/*
 * The rest of a body we answered early (413...). RFC 9113 8.1 allows
 * RST_STREAM(NO_ERROR) at once, but curl 7.88 then reports an error
 * instead of the response; so swallow up to HTTP_MAX_BODY more bytes and
 * only then reset.
 */
static int h2_discard(nghttp2_session *s, struct h2_stream *st, size_t len)
{
	st->discarded += len;
	if (st->discarded > HTTP_MAX_BODY && !st->reset_sent) {
		st->reset_sent = true;
		nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, st->id,
					  NGHTTP2_NO_ERROR);
	}
	return 0;
}

static int h2_on_data(nghttp2_session *s, uint8_t flags, int32_t id,
		      const uint8_t *data, size_t len, void *ud)
{
	struct conn *c = ud;
	struct h2_stream *st = h2_stream_get(s, id);

	(void)flags;
	if (st != NULL && st->responded)
		return h2_discard(s, st, len);
	if (st == NULL || st->error_status)
		return 0;
	if (st->body_len + len > HTTP_MAX_BODY)
		return h2_reject(c, st, 413, "request body too large");
	if (h2_body_grow(c, st, len) < 0)
		return h2_reject(c, st, 503,
				 "too many request bodies buffered; retry");
	memcpy(st->body + st->body_len, data, len);
	st->body_len += len;
	return 0;
}

static const char *h2_error_text(int status)
{
	return status == 431 ? "request header section too large"
			     : "request body too large";
}

/* The head check on a stream's HEADERS: 1 when st->resp is the answer. */
static bool h2_head_refused(struct conn *c, struct h2_stream *st)
{
	if (st->method == NULL || st->target == NULL)
		return false; /* h2_dispatch answers 400 */
	h2_build_request(c, st);
	st->req.body = NULL;
	st->req.body_len = st->content_length;
	if (!http_head_refused(c->srv, &st->req, &st->resp))
		return false;
	h2_body_free(c, st);
	return true;
}

static int h2_on_frame_recv(nghttp2_session *s, const nghttp2_frame *f,
			    void *ud)
{
	struct conn *c = ud;
	struct h2_stream *st;

	if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA)
		return 0;
	st = h2_stream_get(s, f->hd.stream_id);
	if (st == NULL)
		return 0;
	if (f->hd.flags & NGHTTP2_FLAG_END_STREAM)
		st->remote_closed = true;
	conn_touch(c);
	if (st->responded)
		return 0;
	if (st->error_status)
		return h2_reject(c, st, st->error_status,
				 h2_error_text(st->error_status));
	if (f->hd.type == NGHTTP2_HEADERS &&
	    f->headers.cat == NGHTTP2_HCAT_REQUEST && h2_head_refused(c, st))
		return h2_submit(c, st);
	return st->remote_closed ? h2_dispatch(c, st) : 0;
}

static int h2_on_stream_close(nghttp2_session *s, int32_t id, uint32_t code,
			      void *ud)
{
	struct conn *c = ud;
	struct h2_stream *st = h2_stream_get(s, id);

	(void)code;
	if (st == NULL)
		return 0;
	if (st->responded)
		http_complete(c->srv, &st->req, st->resp.status, st->t0);
	nghttp2_session_set_stream_user_data(s, id, NULL);
	h2_stream_free(c, st);
	return 0;
}

int h2_setup(struct http_server *srv)
{
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;

	if (nghttp2_session_callbacks_new(&srv->h2_cbs) != 0 ||
	    nghttp2_option_new(&srv->h2_opt) != 0)
		return -ENOMEM;
	cb = srv->h2_cbs;
	nghttp2_session_callbacks_set_on_begin_headers_callback(
		cb, h2_on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, h2_on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb,
								  h2_on_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb,
							     h2_on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(
		cb, h2_on_stream_close);
	opt = srv->h2_opt;
	nghttp2_option_set_max_settings(opt, HTTP_H2_MAX_SETTINGS);
	nghttp2_option_set_max_outbound_ack(opt, HTTP_H2_MAX_OUTBOUND_ACK);
	nghttp2_option_set_no_closed_streams(opt, 1);
#ifndef HTTP_NO_NGHTTP2_RST_RATE_LIMIT
	nghttp2_option_set_stream_reset_rate_limit(opt, HTTP_H2_RST_BURST,
						   HTTP_H2_RST_RATE);
#endif
#ifndef HTTP_NO_NGHTTP2_MAX_CONTINUATIONS
	nghttp2_option_set_max_continuations(opt, HTTP_H2_MAX_CONTINUATIONS);
#endif
	return 0;
}

int h2_feed(struct conn *c, const void *p, size_t n)
{
	ssize_t r = nghttp2_session_mem_recv(c->h2, p, n);

	if (r < 0) {
		/*
		 * A fatal session error (bad preface, CONTINUATION flood...):
		 * read no more, send GOAWAY (nghttp2 may have queued its own
		 * already, then this one is a no-op), then the usual end:
		 * close_notify, shut the write side, linger (conn_finish).
		 */
		c->srv->stats.h2_session_errors++;
		nghttp2_session_terminate_session(c->h2,
						  NGHTTP2_PROTOCOL_ERROR);
		c->closing = true;
	}
	return h2_produce(c); /* answer PINGs/SETTINGS before reading more */
}

int h2_start(struct conn *c)
{
	static const nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, HTTP_MAX_STREAMS },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
		  HTTP_MAX_HEADER_BYTES },
		{ NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1 },
	};

	c->proto = 2;
	c->phase = PHASE_OPEN;
	conn_touch(c);
	if (nghttp2_session_server_new2(&c->h2, c->srv->h2_cbs, c,
					c->srv->h2_opt) != 0)
		return -ENOMEM;
	if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv,
				    sizeof(iv) / sizeof(iv[0])) != 0)
		return -ENOMEM;
	return h2_produce(c);
}

int h2_read(struct conn *c)
{
	uint8_t tmp[HTTP_READ_CHUNK];
	ssize_t n = conn_recv(c, tmp, sizeof(tmp));

	if (n == -EAGAIN) {
		c->rd_blocked = true;
		return 0;
	}
	if (n <= 0) {
		c->peer_eof = true;
		return n < 0 ? (int)n : 0;
	}
	c->progress++;
	return h2_feed(c, tmp, (size_t)n);
}
