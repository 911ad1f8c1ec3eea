/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP server core for the control API: an epoll loop over non-blocking
 * sockets, a struct conn per connection holding all its protocol state,
 * HTTP/1.1 through h1.c and HTTP/2 through nghttp2 (memory I/O: bytes in
 * via nghttp2_session_mem_recv, out via nghttp2_session_mem_send into the
 * connection's output buffer, then write()/SSL_write()).
 *
 * A connection goes HANDSHAKE (TLS) or DETECT (cleartext: h2 preface or
 * not) -> OPEN -> LINGER (final response sent, write side shut, input
 * drained briefly so the peer sees the response, not a reset) -> closed.
 * Every phase has a deadline; the loop expires them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>

#include "h1.h"
#include "http.h"
#include "tls.h"

#define HTTP_READ_CHUNK 16384
#define HTTP_OUT_HIGH (64 * 1024) /* stop reading/producing above this */
#define HTTP_OUT_MAX (HTTP_OUT_HIGH + 256 * 1024) /* hard cap */
#define HTTP_OUT_COPY_MAX (16 * 1024) /* bigger h1 bodies are sent in place */
#define HTTP_IN_MAX (HTTP_MAX_HEADER_BYTES + HTTP_MAX_BODY)
#define HTTP_BUF_KEEP (64 * 1024) /* idle buffers above this are freed */
#define HTTP_SCRATCH (HTTP_MAX_HEADER_BYTES + 64)
#define HTTP_MAX_EVENTS 64
#define HTTP_ACCEPT_BURST 64
#define HTTP_READS_PER_EVENT 16
#define HTTP_DRIVE_ROUNDS 16
#define HTTP_LISTEN_BACKLOG 128
#define HTTP_H2_MAX_SETTINGS 32 /* entries per SETTINGS frame */
#define HTTP_H2_MAX_OUTBOUND_ACK 1000 /* queued SETTINGS/PING ACKs */
#define HTTP_H2_MAX_CONTINUATIONS 8 /* CONTINUATIONs per header block */
#define HTTP_H2_RST_BURST 1000 /* incoming RST_STREAM token bucket */
#define HTTP_H2_RST_RATE 33 /* tokens per second */
#define HTTP_H2_SPARE_MAX HTTP_MAX_STREAMS /* stream states kept for reuse */
#define HTTP_H2_INLINE_STRS 128 /* a stream's own room for its fields */

enum ev_kind { EV_LISTENER = 1, EV_CONN = 2 };

enum conn_phase { PHASE_HANDSHAKE, PHASE_DETECT, PHASE_OPEN, PHASE_LINGER };

struct listener {
	int kind; /* EV_LISTENER: first, epoll data points here */
	int fd;
	bool tls;
	bool is_unix;
	uint16_t port;
	dev_t dev; /* our Unix socket's inode, so destroy unlinks only it */
	ino_t ino;
	struct http_listener_stats st; /* st.max is its connection budget */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct buf {
	char *data;
	size_t off; /* bytes before off are consumed */
	size_t len;
	size_t cap;
};

struct h2_stream {
	struct h2_stream *prev, *next;
	int32_t id;
	uint64_t t0_ms; /* the whole request must be in by t0_ms + idle */
	char *method, *target, *if_match, *content_type, *traceparent;
	struct trace_ctx trace; /* made once, at the first build */
	bool traced;
	size_t header_bytes;
	uint8_t *body;
	size_t body_len, body_cap;
	int error_status; /* answer with this instead of the handler */
	size_t content_length; /* announced, 0 if none */
	bool responded, remote_closed, reset_sent;
	size_t discarded; /* body bytes after an early response */
	double t0;
	struct http_request req; /* kept for on_complete */
	struct http_response resp;
	size_t resp_off;
	/* method, target...: here while they fit, else malloc'd */
	char strs[HTTP_H2_INLINE_STRS];
	size_t strs_used;
};

struct conn {
	int kind; /* EV_CONN: first, epoll data points here */
	int fd;
	struct http_server *srv;
	struct listener *l;
	struct conn *prev, *next;
	SSL *ssl;
	nghttp2_session *h2;
	enum conn_phase phase;
	int proto; /* 0 until known, 1 or 2 */
	int role;
	bool closing; /* no more requests: drain output, then linger */
	bool peer_eof, rd_blocked, wr_blocked;
	bool ssl_want_read, ssl_want_write, ssl_failed;
	uint32_t events;
	uint64_t deadline_ms;
	uint64_t accepted_ms;
	/* No complete request head yet (TLS handshake included): closed at
	 * accepted_ms + handshake_ms, and first when slots run out. */
	bool embryonic;
	sa_family_t family; /* the client's address, for its limit */
	uint8_t ip[16];
	unsigned long progress; /* bumped by every read, request and write */
	char peer[64];
	char subject[TLS_MAX_SUBJECT];
	struct buf in, out;
	/* HTTP/1.1: parse gate, current request, a body sent in place */
	size_t h1_scan, h1_need;
	size_t h1_reserved; /* body bytes taken from the server's budget */
	bool h1_seen, h1_continue_sent, h1_pending, h1_head_done;
	int h1_minor;
	double h1_t0;
	struct trace_ctx h1_trace; /* the current HTTP/1 request's trace */
	bool h1_traced;
	char *body_out;
	size_t body_out_len, body_out_off;
	/* HTTP/2 */
	struct h2_stream *streams;
	unsigned int n_streams;
	/*
	 * Closed streams' states, kept for the next streams (linked by next):
	 * a stream costs no allocation of its own while the client keeps
	 * under its peak concurrency. At most HTTP_H2_SPARE_MAX.
	 */
	struct h2_stream *spare;
	unsigned int n_spare;
	size_t body_bytes; /* capacity of all streams' request bodies */
};

struct http_server {
	int epfd;
	int spare_fd; /* given up to shed a connection on EMFILE */
	SSL_CTX *ssl_ctx;
	char **admin, **reader;
	struct tls_roles roles;
	http_handler handler;
	http_head_fn head_check;
	http_complete_fn on_complete;
	void *arg;
	unsigned int max_conns, local_max_conns, max_per_addr;
	unsigned int idle_ms, handshake_ms;
	size_t max_body_total; /* HTTP_MAX_BODY_TOTAL or the config's */
	struct listener listeners[HTTP_MAX_LISTENERS];
	int n_listeners;
	struct conn *conns;
	struct http_stats stats;
	nghttp2_session_callbacks *h2_cbs;
	nghttp2_option *h2_opt;
	char *scratch; /* NUL-terminated copies of an h1 request's strings */
	uint64_t pass; /* http_request.pass of the current loop pass */
	time_t date_t;
	char date[40];
	char err[256];
};

const char *const http_stat_names[] = {
#define HTTP_STAT_NAME(name) #name,
	HTTP_STATS(HTTP_STAT_NAME)
#undef HTTP_STAT_NAME
		NULL,
};

static void conn_close(struct conn *c);
static int conn_start_linger(struct conn *c);

/* Pass numbers are unique across every server of the process. */
static uint64_t http_last_pass;

/* ---- small helpers ---------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(struct http_server *srv, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(srv->err, sizeof(srv->err), fmt, ap);
	va_end(ap);
	return rc;
}

static size_t buf_used(const struct buf *b)
{
	return b->len - b->off;
}

static char *buf_head(const struct buf *b)
{
	return b->data + b->off;
}

/* Room for n more bytes at the end, the whole buffer within limit. */
static int buf_reserve(struct buf *b, size_t n, size_t limit)
{
	size_t cap;
	char *p;

	if (b->cap - b->len >= n)
		return 0;
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->cap - b->len >= n)
			return 0;
	}
	if (b->len + n > limit)
		return -ENOBUFS;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	cap = cap < limit ? cap : limit;
	p = realloc(b->data, cap);
	if (p == NULL)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

static int buf_append(struct buf *b, const void *p, size_t n, size_t limit)
{
	int rc = buf_reserve(b, n, limit);

	if (rc == 0) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
	}
	return rc;
}

static void buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

static void buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Give back a big buffer once it is empty (many idle connections). */
static void buf_trim(struct buf *b)
{
	if (b->len == 0 && b->cap > HTTP_BUF_KEEP)
		buf_free(b);
}

static const char *http_date(struct http_server *srv)
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

/* ---- responses ---------------------------------------------------------- */

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

/* JSON string body of s into out (always NUL-terminated, never split). */
static void json_escape(const char *s, char *out, size_t size)
{
	size_t o = 0;

	for (; *s && o + 7 < size; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20) {
			o += (size_t)snprintf(out + o, size - o, "\\u%04x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = 0;
}

int http_response_error(struct http_response *resp, int status,
			const char *message)
{
	static const char fmt[] =
		"{\"code\": %d, \"message\": \"%s\", \"details\": {}}";
	char esc[512];
	int n;

	json_escape(message, esc, sizeof(esc));
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
static void http_dispatch(struct http_server *srv,
			  const struct http_request *req,
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
static int http_head_refused(struct http_server *srv,
			     const struct http_request *req,
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

/* Take n body bytes from the server's budget; false when it is spent. */
static bool body_budget_take(struct http_server *srv, size_t n)
{
	if (n > srv->max_body_total - srv->stats.body_bytes) {
		srv->stats.body_budget_refused++;
		return false;
	}
	srv->stats.body_bytes += n;
	return true;
}

static void body_budget_give(struct http_server *srv, size_t n)
{
	srv->stats.body_bytes -= n;
}

/* The request's trace goes back as `traceparent` (trace.h). */
static void http_trace_header(const struct http_request *req,
			      struct http_response *resp)
{
	char tp[TRACEPARENT_LEN + 1];

	if (req->trace == NULL)
		return;
	trace_format(req->trace, tp, sizeof(tp));
	(void)http_response_add_header(resp, "traceparent", tp);
}

static void http_complete(struct http_server *srv,
			  const struct http_request *req, int status, double t0)
{
	if (srv->on_complete != NULL)
		srv->on_complete(req, status, now_s() - t0, srv->arg);
}

static bool status_has_body(int status)
{
	return status != 204 && status != 304;
}

/* ---- connection I/O ----------------------------------------------------- */

static ssize_t ssl_result(struct conn *c, int r)
{
	if (r > 0)
		return r;
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		c->ssl_want_read = true;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->ssl_want_write = true;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		ERR_clear_error();
		c->ssl_failed = true;
		return -EIO;
	}
}

static ssize_t sock_result(ssize_t r)
{
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return -EAGAIN;
	return -errno;
}

/* Bytes read, 0 at end of stream, -EAGAIN, or another -errno. */
static ssize_t conn_recv(struct conn *c, void *p, size_t n)
{
	if (c->ssl == NULL)
		return sock_result(recv(c->fd, p, n, 0));
	ERR_clear_error();
	return ssl_result(
		c, SSL_read(c->ssl, p, (int)(n < INT_MAX ? n : INT_MAX)));
}

static ssize_t conn_send(struct conn *c, const void *p, size_t n)
{
	if (c->ssl == NULL)
		return sock_result(send(c->fd, p, n, MSG_NOSIGNAL));
	ERR_clear_error();
	return ssl_result(
		c, SSL_write(c->ssl, p, (int)(n < INT_MAX ? n : INT_MAX)));
}

static bool conn_drained(const struct conn *c)
{
	return buf_used(&c->out) == 0 && c->body_out == NULL;
}

/*
 * A new idle deadline: idle_ms from now, but never past the deadline of
 * an embryonic connection nor past idle_ms from the start of an HTTP/2
 * request still arriving (a trickled body gets no more time than over
 * HTTP/1.1, where reading never moves the deadline).
 */
static void conn_touch(struct conn *c)
{
	uint64_t d = now_ms() + c->srv->idle_ms;
	const struct h2_stream *st;

	if (c->embryonic && d > c->accepted_ms + c->srv->handshake_ms)
		d = c->accepted_ms + c->srv->handshake_ms;
	for (st = c->streams; st != NULL; st = st->next)
		if (!st->remote_closed && st->t0_ms + c->srv->idle_ms < d)
			d = st->t0_ms + c->srv->idle_ms;
	c->deadline_ms = d;
}

/* The first complete request head: the connection is no longer embryonic;
 * that request has idle_ms from the accept, as every later one from the
 * answer before it. */
static void conn_head_done(struct conn *c)
{
	if (!c->embryonic)
		return;
	c->embryonic = false;
	if (c->proto == 1)
		c->deadline_ms = c->accepted_ms + c->srv->idle_ms;
	else
		conn_touch(c);
}

static bool conn_can_read(const struct conn *c)
{
	if (c->closing || c->peer_eof || c->phase == PHASE_HANDSHAKE ||
	    c->phase == PHASE_LINGER)
		return false;
	if (buf_used(&c->out) >= HTTP_OUT_HIGH || c->body_out != NULL)
		return false;
	/* HTTP/1.1: a head, plus the body the budget gave room for */
	return c->proto == 2 ||
	       buf_used(&c->in) < HTTP_MAX_HEADER_BYTES + c->h1_reserved;
}

/* Write out, then an in-place h1 body, until done or the socket is full. */
static int conn_flush(struct conn *c)
{
	while (!conn_drained(c)) {
		bool from_out = buf_used(&c->out) > 0;
		const char *p = from_out ? buf_head(&c->out)
					 : c->body_out + c->body_out_off;
		size_t n = from_out ? buf_used(&c->out)
				    : c->body_out_len - c->body_out_off;
		ssize_t w = conn_send(c, p, n);

		if (w == -EAGAIN) {
			c->wr_blocked = true;
			return 0;
		}
		if (w <= 0)
			return w < 0 ? (int)w : -EIO;
		c->progress++;
		if (c->proto == 1)
			conn_touch(c); /* a slow reader of a big body */
		if (from_out) {
			buf_consume(&c->out, (size_t)w);
		} else if ((c->body_out_off += (size_t)w) == c->body_out_len) {
			free(c->body_out);
			c->body_out = NULL;
		}
	}
	return 0;
}

/* ---- HTTP/2 ------------------------------------------------------------- */

/* Move nghttp2's pending frames into out, up to the high-water mark. */
static int h2_produce(struct conn *c)
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
static void h2_streams_free(struct conn *c)
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

static void conn_base_request(const struct conn *c, struct http_request *req)
{
	memset(req, 0, sizeof(*req));
	req->method = "";
	req->path = "";
	req->role = c->role;
	req->proto = c->proto ? c->proto : 1;
	req->tls = c->ssl != NULL;
	req->subject = c->subject;
	req->peer = c->peer;
	req->pass = c->srv->pass;
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
	st->t0 = now_s();
	st->t0_ms = now_ms();
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

static int h2_setup(struct http_server *srv)
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

static int h2_feed(struct conn *c, const void *p, size_t n)
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

static int h2_start(struct conn *c)
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

static int h2_read(struct conn *c)
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

/* ---- HTTP/1.1 ----------------------------------------------------------- */

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

static void h1_release_body(struct conn *c)
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
	c->h1_t0 = buf_used(&c->in) ? now_s() : 0;
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
	http_complete(c->srv, &req, resp.status, c->h1_t0 ? c->h1_t0 : now_s());
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
static int h1_process(struct conn *c)
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

static int h1_read(struct conn *c)
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
		c->h1_t0 = now_s();
	c->in.len += (size_t)n;
	c->progress++;
	return c->phase == PHASE_DETECT ? conn_detect(c) : 0;
}

/* ---- connection life ---------------------------------------------------- */

static int conn_input(struct conn *c)
{
	int i, rc = 0;

	for (i = 0; i < HTTP_READS_PER_EVENT && rc == 0; i++) {
		if (!conn_can_read(c) || c->rd_blocked)
			break;
		rc = c->proto == 2 ? h2_read(c) : h1_read(c);
	}
	return rc;
}

static int conn_output(struct conn *c)
{
	unsigned long before;
	int rc;

	do {
		before = c->progress;
		if (c->h2 && (rc = h2_produce(c)) < 0)
			return rc;
		if ((rc = conn_flush(c)) < 0)
			return rc;
	} while (c->h2 && !c->wr_blocked && c->progress != before &&
		 nghttp2_session_want_write(c->h2));
	return 0;
}

static int conn_established(struct conn *c)
{
	struct tls_peer peer;
	bool mtls = tls_ctx_mtls(SSL_get_SSL_CTX(c->ssl));

	tls_peer_get(c->ssl, &peer);
	c->role = tls_role(&peer, &c->srv->roles, mtls);
	snprintf(c->subject, sizeof(c->subject), "%s", peer.subject);
	c->phase = PHASE_OPEN;
	conn_touch(c);
	if (tls_alpn_h2(c->ssl))
		return h2_start(c);
	c->proto = 1;
	return 0;
}

static int conn_handshake(struct conn *c)
{
	int r;

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1)
		return conn_established(c);
	if (ssl_result(c, r) == -EAGAIN)
		return 0;
	c->srv->stats.tls_handshake_failed++;
	/*
	 * OpenSSL has sent its alert (certificate_required...). Closing now,
	 * with the client's first request unread (TLS 1.3 clients send it
	 * before they hear of the refusal), would reset the connection and
	 * the alert with it: shut the write side and linger instead.
	 */
	return conn_start_linger(c) == 0 ? 0 : -EPROTO;
}

static int conn_start_linger(struct conn *c)
{
	uint64_t until = now_ms() + HTTP_LINGER_MS;

	if (c->peer_eof)
		return -1;
	if (c->ssl && !c->ssl_failed) {
		ERR_clear_error();
		SSL_shutdown(c->ssl); /* close_notify, best effort */
		ERR_clear_error();
	}
	if (shutdown(c->fd, SHUT_WR) < 0)
		return -1;
	c->phase = PHASE_LINGER;
	if (until < c->deadline_ms)
		c->deadline_ms = until;
	return 0;
}

/* Discard what the peer still sends until it closes (or the deadline). */
static int conn_linger(struct conn *c)
{
	char tmp[4096];
	int i;

	for (i = 0; i < HTTP_READS_PER_EVENT; i++) {
		ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return -1;
	}
	return 0;
}

/* After I/O: 0 to keep going, < 0 to close now. */
static int conn_finish(struct conn *c)
{
	if (c->phase == PHASE_HANDSHAKE || c->phase == PHASE_LINGER)
		return 0;
	if (c->proto == 2) {
		bool done = c->closing || (!nghttp2_session_want_read(c->h2) &&
					   !nghttp2_session_want_write(c->h2));

		if (c->peer_eof)
			return -1;
		return done && conn_drained(c) ? conn_start_linger(c) : 0;
	}
	if (c->phase == PHASE_DETECT)
		return c->peer_eof ? -1 : 0;
	if (!c->closing || !conn_drained(c))
		return 0;
	return conn_start_linger(c);
}

static uint32_t conn_interest(const struct conn *c)
{
	uint32_t ev = 0;

	if (c->ssl_want_write || !conn_drained(c) || c->h1_pending)
		ev |= EPOLLOUT;
	if (c->ssl_want_read || c->phase == PHASE_LINGER ||
	    (c->phase == PHASE_HANDSHAKE && !c->ssl_want_write) ||
	    conn_can_read(c))
		ev |= EPOLLIN;
	return ev;
}

static void conn_set_events(struct conn *c)
{
	struct epoll_event e = { .events = conn_interest(c), .data.ptr = c };

	if (e.events != c->events &&
	    epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &e) == 0)
		c->events = e.events;
}

static void conn_drive(struct conn *c)
{
	unsigned long before;
	int rc = 0, round;

	c->rd_blocked = c->wr_blocked = false;
	c->ssl_want_read = c->ssl_want_write = false;
	if (c->phase == PHASE_HANDSHAKE)
		rc = conn_handshake(c);
	for (round = 0; rc == 0 && round < HTTP_DRIVE_ROUNDS; round++) {
		if (c->phase == PHASE_HANDSHAKE || c->phase == PHASE_LINGER)
			break;
		before = c->progress;
		rc = conn_input(c);
		if (rc == 0 && c->proto == 1)
			rc = h1_process(c);
		if (rc == 0)
			rc = conn_output(c);
		if (c->progress == before || c->wr_blocked)
			break;
	}
	if (rc == 0)
		rc = conn_finish(c);
	if (rc == 0 && c->phase == PHASE_LINGER)
		rc = conn_linger(c);
	if (rc < 0) {
		conn_close(c);
		return;
	}
	/* here, not per flush: the rounds above refill what they drain */
	buf_trim(&c->out);
	conn_set_events(c);
}

static void conn_event(struct conn *c, uint32_t events)
{
	if (events & EPOLLERR) {
		conn_close(c);
		return;
	}
	conn_drive(c);
}

static void conn_close(struct conn *c)
{
	struct http_server *srv = c->srv;

	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->h2)
		nghttp2_session_del(c->h2); /* calls no stream callbacks */
	h2_streams_free(c);
	if (c->ssl) {
		if (c->phase == PHASE_OPEN && !c->ssl_failed)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		ERR_clear_error();
	}
	close(c->fd);
	h1_release_body(c);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c->body_out);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->stats.conns_open--;
	srv->stats.conns_closed++;
	c->l->st.open--;
	free(c);
}

static void conn_peer_name(const struct sockaddr_storage *ss, char *out,
			   size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(out, size, "%s:%u", ip, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(out, size, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(out, size, "unix");
	}
}

/* The client's address as bytes (family AF_UNSPEC for a Unix socket). */
static void conn_addr(const struct sockaddr_storage *ss, sa_family_t *family,
		      uint8_t ip[16])
{
	memset(ip, 0, 16);
	*family = ss->ss_family;
	if (ss->ss_family == AF_INET)
		memcpy(ip, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(ip, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else
		*family = AF_UNSPEC;
}

static int conn_new(struct http_server *srv, struct listener *l, int fd,
		    const struct sockaddr_storage *ss)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct epoll_event e = { .events = EPOLLIN };
	int one = 1;

	if (c == NULL)
		return -ENOMEM;
	c->kind = EV_CONN;
	c->fd = fd;
	c->srv = srv;
	c->role = HTTP_ROLE_ADMIN; /* local trust until TLS says otherwise */
	c->l = l;
	c->phase = l->tls ? PHASE_HANDSHAKE : PHASE_DETECT;
	c->accepted_ms = now_ms();
	c->deadline_ms = c->accepted_ms + srv->handshake_ms;
	c->embryonic = true;
	conn_addr(ss, &c->family, c->ip);
	conn_peer_name(ss, c->peer, sizeof(c->peer));
	if (!l->is_unix)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (l->tls && ((c->ssl = SSL_new(srv->ssl_ctx)) == NULL ||
		       SSL_set_fd(c->ssl, fd) != 1))
		goto fail;
	if (c->ssl)
		SSL_set_accept_state(c->ssl);
	e.data.ptr = c;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
		goto fail;
	c->events = EPOLLIN;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->stats.conns_open++;
	srv->stats.conns_accepted++;
	l->st.open++;
	l->st.accepted++;
	return 0;
fail:
	SSL_free(c->ssl);
	ERR_clear_error();
	free(c);
	return -ENOMEM;
}

/* Out of descriptors: accept one with the spare and drop it. */
static void listener_shed(struct http_server *srv, struct listener *l)
{
	int fd;

	if (srv->spare_fd < 0)
		return;
	close(srv->spare_fd);
	fd = accept(l->fd, NULL, NULL);
	if (fd >= 0)
		close(fd);
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->stats.conns_refused++;
}

struct admit_scan {
	unsigned int addr_conns;
	struct conn *oldest_l, *oldest_addr; /* embryonic, of l / the address */
};

static bool conn_same_addr(const struct conn *c, sa_family_t family,
			   const uint8_t ip[16])
{
	return c->family == family && memcmp(c->ip, ip, 16) == 0;
}

static void admit_scan(struct http_server *srv, const struct listener *l,
		       sa_family_t family, const uint8_t ip[16],
		       struct admit_scan *a)
{
	struct conn *c;

	memset(a, 0, sizeof(*a));
	for (c = srv->conns; c != NULL; c = c->next) {
		bool same = c->l == l && conn_same_addr(c, family, ip);

		if (same)
			a->addr_conns++;
		if (!c->embryonic || c->l != l)
			continue;
		if (!a->oldest_l || c->accepted_ms <= a->oldest_l->accepted_ms)
			a->oldest_l = c;
		if (same && (!a->oldest_addr ||
			     c->accepted_ms <= a->oldest_addr->accepted_ms))
			a->oldest_addr = c;
	}
}

static void conn_evict(struct http_server *srv, struct listener *l,
		       struct conn *victim)
{
	srv->stats.conns_evicted++;
	l->st.evicted++;
	conn_close(victim);
}

/*
 * Room for one more connection from ss on l: within the client address's
 * limit (TLS listeners) and the listener's budget, closing the oldest
 * embryonic connection where one is full. False: refuse it.
 */
static bool conn_admit(struct http_server *srv, struct listener *l,
		       const struct sockaddr_storage *ss)
{
	struct admit_scan a;
	sa_family_t family;
	uint8_t ip[16];

	conn_addr(ss, &family, ip);
	admit_scan(srv, l, family, ip, &a);
	if (l->tls && a.addr_conns >= srv->max_per_addr) {
		if (a.oldest_addr == NULL) {
			l->st.refused_addr++;
			return false;
		}
		if (a.oldest_l == a.oldest_addr)
			a.oldest_l = NULL; /* gone: scan again if needed */
		conn_evict(srv, l, a.oldest_addr);
	}
	if (l->st.open < l->st.max)
		return true;
	if (a.oldest_l == NULL)
		admit_scan(srv, l, family, ip, &a);
	if (a.oldest_l == NULL) {
		l->st.refused++;
		return false;
	}
	conn_evict(srv, l, a.oldest_l);
	return true;
}

static void listener_accept(struct http_server *srv, struct listener *l)
{
	int i;

	for (i = 0; i < HTTP_ACCEPT_BURST; i++) {
		struct sockaddr_storage ss = { 0 };
		socklen_t sl = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && (errno == EMFILE || errno == ENFILE))
			listener_shed(srv, l);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0)
			return;
		if (!conn_admit(srv, l, &ss)) {
			srv->stats.conns_refused++;
			close(fd);
		} else if (conn_new(srv, l, fd, &ss) < 0) {
			close(fd);
		}
	}
}

/* Epoll timeout: the caller's, shortened to the next deadline. */
static int conn_next_timeout(const struct http_server *srv, int timeout_ms)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	const struct conn *c;

	for (c = srv->conns; c; c = c->next)
		if (c->deadline_ms < next)
			next = c->deadline_ms;
	if (next == UINT64_MAX)
		return timeout_ms;
	if (next <= now)
		return 0;
	if (timeout_ms < 0 || next - now < (uint64_t)timeout_ms)
		return (int)(next - now);
	return timeout_ms;
}

static void conn_expire(struct http_server *srv)
{
	uint64_t now = now_ms();
	struct conn *c, *next;

	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->deadline_ms > now)
			continue;
		if (c->phase != PHASE_LINGER)
			srv->stats.timeouts++;
		if (c->h2 && c->phase == PHASE_OPEN) {
			nghttp2_session_terminate_session(c->h2,
							  NGHTTP2_NO_ERROR);
			if (h2_produce(c) == 0)
				conn_flush(c); /* GOAWAY, best effort */
		}
		conn_close(c);
	}
}

int http_server_run_once(struct http_server *srv, int timeout_ms)
{
	struct epoll_event ev[HTTP_MAX_EVENTS];
	int kinds[HTTP_MAX_EVENTS], i, n;

	n = epoll_wait(srv->epfd, ev, HTTP_MAX_EVENTS,
		       conn_next_timeout(srv, timeout_ms));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	srv->pass = __atomic_add_fetch(&http_last_pass, 1, __ATOMIC_RELAXED);
	/*
	 * Connections first: an accept may evict one, whose event must not
	 * come after it in this array. Kinds are read before any event is
	 * served, since serving may free a connection.
	 */
	for (i = 0; i < n; i++)
		kinds[i] = *(const int *)ev[i].data.ptr;
	for (i = 0; i < n; i++)
		if (kinds[i] == EV_CONN)
			conn_event(ev[i].data.ptr, ev[i].events);
	for (i = 0; i < n; i++)
		if (kinds[i] == EV_LISTENER)
			listener_accept(srv, ev[i].data.ptr);
	conn_expire(srv);
	return n;
}

/* ---- listeners ---------------------------------------------------------- */

static int parse_addr(const char *addr, uint16_t port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(addr);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return 0;
	}
	if (n >= 2 && n < sizeof(tmp) && addr[0] == '[' && addr[n - 1] == ']') {
		memcpy(tmp, addr + 1, n - 2);
		tmp[n - 2] = 0;
		addr = tmp;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1)
		return -EINVAL;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	*len = sizeof(*in6);
	return 0;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in = (const void *)ss;
	const struct sockaddr_in6 *in6 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
	       (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
		in6->sin6_addr.s6_addr[12] == 127);
}

static int listener_add(struct http_server *srv, int fd, bool tls, bool is_unix,
			const char *name)
{
	struct listener *l = &srv->listeners[srv->n_listeners];
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = l };

	memset(l, 0, sizeof(*l));
	l->kind = EV_LISTENER;
	l->fd = fd;
	l->tls = tls;
	l->is_unix = is_unix;
	l->st.max = tls ? srv->max_conns : srv->local_max_conns;
	snprintf(l->st.name, sizeof(l->st.name), "%s %s",
		 tls	   ? "tls"
		 : is_unix ? "unix"
			   : "tcp",
		 name);
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		close(fd);
		return fail(srv, -errno, "epoll_ctl: %s", strerror(errno));
	}
	return srv->n_listeners++;
}

static int tcp_socket(struct http_server *srv,
		      const struct sockaddr_storage *ss, socklen_t len,
		      const char *addr)
{
	int one = 1, fd, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return fail(srv, -errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0 ||
	    listen(fd, HTTP_LISTEN_BACKLOG) < 0) {
		err = errno;
		close(fd);
		return fail(srv, -err, "listen on %s: %s", addr, strerror(err));
	}
	return fd;
}

int http_server_add_listener_tcp(struct http_server *srv, const char *addr,
				 uint16_t port, bool tls)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, idx;

	if (srv->n_listeners == HTTP_MAX_LISTENERS)
		return fail(srv, -ENOSPC, "more than %d listeners",
			    HTTP_MAX_LISTENERS);
	if (parse_addr(addr, port, &ss, &len) < 0)
		return fail(srv, -EINVAL, "%s: not an IPv4/IPv6 address", addr);
	if (tls && srv->ssl_ctx == NULL)
		return fail(srv, -EINVAL,
			    "TLS listener %s needs cert_file and key_file",
			    addr);
	if (!tls && !is_loopback(&ss))
		return fail(srv, -EPERM,
			    "cleartext listener %s: must be loopback "
			    "(127.0.0.0/8 or ::1); use TLS",
			    addr);
	fd = tcp_socket(srv, &ss, len, addr);
	if (fd < 0)
		return fd;
	idx = listener_add(srv, fd, tls, false, addr);
	if (idx >= 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		struct listener *l = &srv->listeners[idx];

		l->port = ntohs(
			ss.ss_family == AF_INET
				? ((struct sockaddr_in *)&ss)->sin_port
				: ((struct sockaddr_in6 *)&ss)->sin6_port);
		snprintf(l->st.name, sizeof(l->st.name),
			 ss.ss_family == AF_INET6 ? "%s [%s]:%u" : "%s %s:%u",
			 tls ? "tls" : "tcp", addr, l->port);
	}
	return idx;
}

/* A socket file nobody listens on may go; anything else stays. */
static int unix_clear_stale(struct http_server *srv,
			    const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return fail(srv, -EEXIST, "%s exists and is not a socket",
			    sun->sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	rc = rc == 0 || errno == EAGAIN ? -EADDRINUSE : 0;
	close(fd);
	if (rc < 0)
		return fail(srv, rc, "%s: a server is listening there",
			    sun->sun_path);
	return unlink(sun->sun_path) < 0 ? -errno : 0;
}

static int unix_socket(struct http_server *srv, const struct sockaddr_un *sun)
{
	int fd, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(srv, -errno, "socket: %s", strerror(errno));
	/* nobody can connect before listen(), so chmod after bind is safe */
	if (bind(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0 ||
	    chmod(sun->sun_path, 0660) < 0 ||
	    listen(fd, HTTP_LISTEN_BACKLOG) < 0) {
		err = errno;
		close(fd);
		return fail(srv, -err, "listen on %s: %s", sun->sun_path,
			    strerror(err));
	}
	return fd;
}

int http_server_add_listener_unix(struct http_server *srv, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, idx, rc;

	if (srv->n_listeners == HTTP_MAX_LISTENERS)
		return fail(srv, -ENOSPC, "more than %d listeners",
			    HTTP_MAX_LISTENERS);
	if (strlen(path) >= sizeof(sun.sun_path))
		return fail(srv, -ENAMETOOLONG, "%s: path too long", path);
	strcpy(sun.sun_path, path);
	rc = unix_clear_stale(srv, &sun);
	if (rc < 0)
		return rc;
	fd = unix_socket(srv, &sun);
	if (fd < 0)
		return fd;
	idx = listener_add(srv, fd, false, true, path);
	if (idx >= 0 && stat(path, &st) == 0) {
		strcpy(srv->listeners[idx].path, path);
		srv->listeners[idx].dev = st.st_dev;
		srv->listeners[idx].ino = st.st_ino;
	}
	return idx;
}

int http_server_listener_port(const struct http_server *srv, int listener)
{
	if (listener < 0 || listener >= srv->n_listeners ||
	    srv->listeners[listener].is_unix)
		return -EINVAL;
	return srv->listeners[listener].port;
}

int http_server_fd(const struct http_server *srv)
{
	return srv->epfd;
}

/* ---- server ------------------------------------------------------------- */

static char **copy_list(const char *const *list, size_t n)
{
	char **out = calloc(n + 1, sizeof(*out));
	size_t i;

	for (i = 0; out != NULL && i < n; i++) {
		out[i] = strdup(list[i] ? list[i] : "");
		if (out[i] == NULL) {
			while (i--)
				free(out[i]);
			free(out);
			return NULL;
		}
	}
	return out;
}

static void free_list(char **list)
{
	size_t i;

	for (i = 0; list != NULL && list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

static int server_config(struct http_server *srv,
			 const struct http_server_config *cfg)
{
	if (cfg->n_admin_subjects > HTTP_MAX_ROLE_ENTRIES ||
	    cfg->n_reader_subjects > HTTP_MAX_ROLE_ENTRIES)
		return fail(srv, -E2BIG, "more than %d role entries",
			    HTTP_MAX_ROLE_ENTRIES);
	srv->admin = copy_list(cfg->admin_subjects, cfg->n_admin_subjects);
	srv->reader = copy_list(cfg->reader_subjects, cfg->n_reader_subjects);
	srv->scratch = malloc(HTTP_SCRATCH);
	if (!srv->admin || !srv->reader || !srv->scratch)
		return fail(srv, -ENOMEM, "out of memory");
	srv->roles.admin = (const char *const *)srv->admin;
	srv->roles.n_admin = cfg->n_admin_subjects;
	srv->roles.reader = (const char *const *)srv->reader;
	srv->roles.n_reader = cfg->n_reader_subjects;
	srv->handler = cfg->handler;
	srv->head_check = cfg->head_check;
	srv->max_body_total =
		cfg->max_body_total ? cfg->max_body_total : HTTP_MAX_BODY_TOTAL;
	srv->on_complete = cfg->on_complete;
	srv->arg = cfg->arg;
	srv->max_conns = cfg->max_conns ? cfg->max_conns : HTTP_MAX_CONNS;
	srv->local_max_conns = cfg->local_max_conns ? cfg->local_max_conns
						    : HTTP_LOCAL_MAX_CONNS;
	srv->max_per_addr = cfg->max_conns_per_addr ? cfg->max_conns_per_addr
						    : HTTP_MAX_CONNS_PER_ADDR;
	srv->idle_ms = cfg->idle_timeout_ms ? cfg->idle_timeout_ms
					    : HTTP_IDLE_TIMEOUT_MS;
	srv->handshake_ms = cfg->handshake_timeout_ms
				    ? cfg->handshake_timeout_ms
				    : HTTP_HANDSHAKE_TIMEOUT_MS;
	return 0;
}

static int server_io(struct http_server *srv)
{
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0)
		return fail(srv, -errno, "epoll_create1: %s", strerror(errno));
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return 0;
}

static void ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
}

static int server_tls(struct http_server *srv,
		      const struct http_server_config *cfg)
{
	if (cfg->cert_file == NULL && cfg->client_ca_file == NULL)
		return 0;
	srv->ssl_ctx =
		tls_ctx_new(cfg->cert_file, cfg->key_file, cfg->client_ca_file,
			    srv->err, sizeof(srv->err));
	return srv->ssl_ctx ? 0 : -EINVAL;
}

struct http_server *http_server_create(const struct http_server_config *cfg)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	int rc;

	if (srv == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	srv->epfd = srv->spare_fd = -1;
	rc = server_config(srv, cfg);
	if (rc == 0)
		rc = server_io(srv);
	if (rc == 0 && h2_setup(srv) < 0)
		rc = fail(srv, -ENOMEM, "nghttp2: out of memory");
	if (rc == 0)
		rc = server_tls(srv, cfg);
	if (rc < 0) {
		if (cfg->err != NULL && cfg->err_len > 0)
			snprintf(cfg->err, cfg->err_len, "%s", srv->err);
		http_server_destroy(srv);
		errno = -rc;
		return NULL;
	}
	ignore_sigpipe();
	return srv;
}

int http_server_reload_tls(struct http_server *srv, const char *cert_file,
			   const char *key_file, const char *client_ca_file)
{
	return tls_ctx_reload(&srv->ssl_ctx, cert_file, key_file,
			      client_ca_file, srv->err, sizeof(srv->err));
}

const char *http_server_error(const struct http_server *srv)
{
	return srv->err;
}

void http_server_stats(const struct http_server *srv, struct http_stats *out)
{
	*out = srv->stats;
}

int http_server_listener_stats(const struct http_server *srv, int i,
			       struct http_listener_stats *out)
{
	if (i < 0 || i >= srv->n_listeners)
		return -EINVAL;
	*out = srv->listeners[i].st;
	return 0;
}

static void listener_close(struct listener *l)
{
	struct stat st;

	close(l->fd);
	if (l->is_unix && l->path[0] && stat(l->path, &st) == 0 &&
	    st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
}

void http_server_destroy(struct http_server *srv)
{
	struct conn *c, *next;
	int i;

	if (srv == NULL)
		return;
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		conn_close(c);
	}
	for (i = 0; i < srv->n_listeners; i++)
		listener_close(&srv->listeners[i]);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	SSL_CTX_free(srv->ssl_ctx);
	nghttp2_session_callbacks_del(srv->h2_cbs);
	nghttp2_option_del(srv->h2_opt);
	free_list(srv->admin);
	free_list(srv->reader);
	free(srv->scratch);
	free(srv);
}
