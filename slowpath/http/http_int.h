/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to slowpath/http/: the state the server core's files share and
 * the functions they call in each other. The API sees only http.h.
 *
 * The server core: an epoll loop over non-blocking sockets, a struct conn
 * per connection holding all its protocol state, HTTP/1.1 through h1.c
 * (h1glue.c) and HTTP/2 through nghttp2 (h2.c). A connection goes
 * HANDSHAKE (TLS) or DETECT (cleartext: h2 preface or not) -> OPEN ->
 * LINGER (final response sent, write side shut, input drained briefly so
 * the peer sees the response, not a reset) -> closed. Every phase has a
 * deadline; the loop expires them (conn.c, loop.c).
 */
#ifndef EP_HTTP_INT_H
#define EP_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

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
	char **admin, **reader, **registry;
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

/* buf.c */

static inline size_t buf_used(const struct buf *b)
{
	return b->len - b->off;
}

static inline char *buf_head(const struct buf *b)
{
	return b->data + b->off;
}

uint64_t http_now_ms(void);
double http_now_s(void);
int http_fail(struct http_server *srv, int rc, const char *fmt, ...);
int buf_reserve(struct buf *b, size_t n, size_t limit);
int buf_append(struct buf *b, const void *p, size_t n, size_t limit);
void buf_consume(struct buf *b, size_t n);
void buf_free(struct buf *b);
void buf_trim(struct buf *b);

/* response.c */
const char *http_date(struct http_server *srv);
void http_dispatch(struct http_server *srv, const struct http_request *req,
		   struct http_response *resp);
int http_head_refused(struct http_server *srv, const struct http_request *req,
		      struct http_response *resp);
void http_trace_header(const struct http_request *req,
		       struct http_response *resp);
void http_complete(struct http_server *srv, const struct http_request *req,
		   int status, double t0);
bool status_has_body(int status);

/* conn.c */
bool body_budget_take(struct http_server *srv, size_t n);
void body_budget_give(struct http_server *srv, size_t n);
ssize_t conn_recv(struct conn *c, void *p, size_t n);
void conn_touch(struct conn *c);
void conn_head_done(struct conn *c);
void conn_base_request(const struct conn *c, struct http_request *req);
void conn_event(struct conn *c, uint32_t events);
void conn_close(struct conn *c);
int conn_new(struct http_server *srv, struct listener *l, int fd,
	     const struct sockaddr_storage *ss);
bool conn_admit(struct http_server *srv, struct listener *l,
		const struct sockaddr_storage *ss);
int conn_next_timeout(const struct http_server *srv, int timeout_ms);
void conn_expire(struct http_server *srv);

/* h2.c */
int h2_produce(struct conn *c);
void h2_streams_free(struct conn *c);
int h2_setup(struct http_server *srv);
int h2_feed(struct conn *c, const void *p, size_t n);
int h2_start(struct conn *c);
int h2_read(struct conn *c);

/* h1glue.c */
void h1_release_body(struct conn *c);
int h1_process(struct conn *c);
int h1_read(struct conn *c);

/* listen.c */
void listener_shed(struct http_server *srv, struct listener *l);
void listener_close(struct listener *l);

#endif /* EP_HTTP_INT_H */
