/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path's HTTP server core: one epoll loop that owns TLS listeners
 * (HTTP/2 via ALPN "h2", else HTTP/1.1), cleartext loopback TCP and Unix
 * socket listeners (prior-knowledge h2c or HTTP/1.1), and hands every
 * complete request of either protocol to one handler callback. The caller
 * drives it with http_server_run_once() so it can interleave its own work.
 *
 * Trust: with a client CA configured (mTLS), a TLS client's role comes from
 * its certificate (see tls.h). Without one, every TLS client and every
 * cleartext client (which can only be local: loopback or a Unix socket
 * whose mode is 0660) is HTTP_ROLE_ADMIN.
 *
 * Errors made by the server itself (bad request, too large, timeouts are
 * silent closes) use the project's JSON shape
 * {"code": N, "message": "...", "details": {}} where N is, for now, the
 * HTTP status itself.
 *
 * Not thread-safe: one thread owns a server. The server sets SIGPIPE to
 * SIG_IGN if it was SIG_DFL (TLS writes can raise it).
 */
#ifndef EP_HTTP_H
#define EP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_defs.h"
#include "trace.h"

/*
 * Limits. Memory per connection is bounded by these and by the request
 * limits of http_defs.h.
 */
#define HTTP_MAX_CONN_BODY (2 * HTTP_MAX_BODY) /* all h2 streams' bodies */
/*
 * Request bodies buffered by all connections together; beyond it a body
 * is refused with 503 before it is read. Eight maximal bodies at once:
 * changes are applied one at a time, so more than that only queues.
 */
#define HTTP_MAX_BODY_TOTAL (8 * HTTP_MAX_BODY)
#define HTTP_MAX_STREAMS 100 /* SETTINGS_MAX_CONCURRENT_STREAMS */
/*
 * Connection budgets (docs/api.md, "Connections"), one per listener as
 * HAProxy's maxconn per frontend: a TLS listener admits HTTP_MAX_CONNS,
 * each local listener (Unix socket, loopback cleartext) its own
 * HTTP_LOCAL_MAX_CONNS, which no TLS client can take. A client address
 * holds at most HTTP_MAX_CONNS_PER_ADDR on a TLS listener. When a budget
 * is full, the oldest embryonic connection (no complete request head yet,
 * TLS handshake included) of that listener, or that address, is closed to
 * admit the new one; with none, the new one is refused.
 */
#define HTTP_MAX_CONNS 256 /* per TLS listener */
#define HTTP_LOCAL_MAX_CONNS 64 /* per Unix socket / loopback listener */
#define HTTP_MAX_CONNS_PER_ADDR 16 /* per client address, TLS listeners */
#define HTTP_IDLE_TIMEOUT_MS 30000 /* a whole request must arrive in it */
/* From accept to the first complete request head, TLS handshake included
 * (HAProxy's timeout http-request, 10 s). */
#define HTTP_HANDSHAKE_TIMEOUT_MS 10000
#define HTTP_LINGER_MS 2000 /* draining input after a final response */
#define HTTP_MAX_LISTENERS 8
#define HTTP_MAX_ROLE_ENTRIES 64 /* per role list */
#define HTTP_MAX_EXTRA_HEADERS                                                 \
	8 /* response headers a handler (and the server) may add */

/*
 * One request as the handler sees it. Strings are NUL-terminated and valid
 * only during the handler call (and the on_complete call). NULL means
 * absent: query when the target has no '?', if_match and content_type when
 * the header is missing. path and query are not percent-decoded. body is
 * not NUL-terminated. If a header appears twice, the first one counts.
 */
struct http_request {
	const char *method;
	const char *path;
	const char *query;
	const char *if_match;
	const char *content_type;
	const uint8_t *body;
	size_t body_len;
	int role; /* enum http_role */
	int proto; /* 1 = HTTP/1.1 (or 1.0), 2 = HTTP/2 */
	int tls; /* 1 when the connection is TLS */
	const char *subject; /* client cert subject (RFC 2253), "" if none */
	const char *peer; /* "127.0.0.1:4242", "[::1]:4242" or "unix" */
	/*
	 * The event-loop pass (one http_server_run_once() call) serving the
	 * request: requests with the same non-zero pass are served between
	 * the same two waits for I/O, so a handler may answer them from one
	 * reading of its state. Unique within the process; 0 = unknown.
	 */
	uint64_t pass;
	const char *traceparent; /* the request's header, NULL if none */
	/*
	 * The request's W3C trace (trace.h): the caller's trace id when its
	 * traceparent is valid, else a new one; a new span id. The server
	 * sends it back as `traceparent`. NULL only for a request refused
	 * before its head could be read.
	 */
	const struct trace_ctx *trace;
};

struct http_header {
	char name[32];
	char value[160];
};

/*
 * What the handler fills. status 0 or out of 200..599 becomes a 500.
 * body is malloc'd by the handler and freed by the server. For HEAD the
 * server sends the headers (with Content-Length) and drops the body.
 */
struct http_response {
	int status;
	char content_type[64]; /* "" = no Content-Type */
	char etag[80]; /* "" = no ETag; give it with its quotes */
	char *body;
	size_t body_len;
	struct http_header headers[HTTP_MAX_EXTRA_HEADERS];
	unsigned int n_headers;
};

typedef void (*http_handler)(const struct http_request *req,
			     struct http_response *resp, void *arg);

/*
 * Called once a request head is complete, before any of its body is read
 * (req->body is NULL, req->body_len the announced length). Return 0 to
 * go on (read the body, then call the handler); or fill resp (as a
 * handler would) and return non-zero: resp is sent at once and the body
 * is never buffered (HTTP/1.1: the connection closes after it; HTTP/2:
 * the stream's DATA is discarded). Also called for a request that
 * arrived whole, so one decision holds either way.
 */
typedef int (*http_head_fn)(const struct http_request *req,
			    struct http_response *resp, void *arg);

/*
 * Called once per answered request (handler or server error), after the
 * response is queued (HTTP/1.1) or its stream closed (HTTP/2). seconds
 * runs from the first byte of the request. For requests too malformed to
 * parse, method and path are "".
 */
typedef void (*http_complete_fn)(const struct http_request *req, int status,
				 double seconds, void *arg);

struct http_server_config {
	const char *cert_file; /* PEM chain; NULL = no TLS listeners */
	const char *key_file;
	const char *client_ca_file; /* NULL = no mTLS: all clients ADMIN */
	/* Role lists (see tls.h): "CN=admin,O=edgepath" or "SAN:name". */
	const char *const *admin_subjects;
	size_t n_admin_subjects;
	const char *const *reader_subjects;
	size_t n_reader_subjects;
	const char *const *registry_subjects; /* HTTP_ROLE_REGISTRY */
	size_t n_registry_subjects;
	http_handler handler; /* NULL: every request gets 404 */
	http_head_fn head_check; /* optional */
	http_complete_fn on_complete; /* optional */
	void *arg; /* passed to handler and on_complete */
	unsigned int max_conns; /* per TLS listener; 0 = HTTP_MAX_CONNS */
	unsigned int local_max_conns; /* 0 = HTTP_LOCAL_MAX_CONNS */
	unsigned int max_conns_per_addr; /* 0 = HTTP_MAX_CONNS_PER_ADDR */
	unsigned int idle_timeout_ms; /* 0 = HTTP_IDLE_TIMEOUT_MS */
	unsigned int handshake_timeout_ms; /* 0 = HTTP_HANDSHAKE_TIMEOUT_MS */
	size_t max_body_total; /* 0 = HTTP_MAX_BODY_TOTAL */
	char *err; /* optional: why create failed */
	size_t err_len;
};

/* Server counters, one X-macro list so names cannot drift. */
#define HTTP_STATS(X)                                                          \
	X(conns_accepted)                                                      \
	X(conns_refused)                                                       \
	X(conns_evicted)                                                       \
	X(conns_closed)                                                        \
	X(tls_handshake_failed)                                                \
	X(timeouts)                                                            \
	X(requests_h1)                                                         \
	X(requests_h2)                                                         \
	X(bad_requests)                                                        \
	X(head_refused)                                                        \
	X(body_budget_refused)                                                 \
	X(h2_session_errors)

struct http_stats {
#define HTTP_STAT_FIELD(name) uint64_t name;
	HTTP_STATS(HTTP_STAT_FIELD)
#undef HTTP_STAT_FIELD
	uint64_t conns_open; /* gauge */
	uint64_t body_bytes; /* gauge: request body memory reserved */
	/* Gauges of HTTP/2 stream states, open and kept for reuse. */
	uint64_t h2_streams_open;
	uint64_t h2_streams_spare;
};

extern const char *const http_stat_names[];

/* One listener's connections (its budget is its own). */
struct http_listener_stats {
	char name
		[120]; /* "tls 0.0.0.0:8443", "tcp 127.0.0.1:8080", "unix PATH" */
	uint64_t open; /* gauge */
	uint64_t max; /* its budget */
	uint64_t accepted;
	uint64_t refused; /* budget full, nothing to evict */
	uint64_t refused_addr; /* the client address's limit */
	uint64_t evicted; /* embryonic connections closed to admit others */
};

struct http_server;

/*
 * Make a server (no listeners yet). Loads the TLS context when cert_file
 * is set. Returns NULL with errno set (and cfg->err filled) on failure.
 */
struct http_server *http_server_create(const struct http_server_config *cfg);

/*
 * Listen on addr:port (IPv4 or IPv6 literal; port 0 = ephemeral). A
 * cleartext listener must be a loopback address (127.0.0.0/8 or ::1).
 * Returns a listener index >= 0, -EPERM for cleartext on a non-loopback
 * address, -EINVAL (bad address, or TLS without a certificate), or
 * another negative errno.
 */
int http_server_add_listener_tcp(struct http_server *srv, const char *addr,
				 uint16_t port, bool tls);

/*
 * Listen on a Unix socket at path with mode 0660. A stale socket at path is
 * removed; anything else there gives -EEXIST. Returns an index or -errno.
 */
int http_server_add_listener_unix(struct http_server *srv, const char *path);

/* The bound port of a TCP listener (for port 0), or -EINVAL. */
int http_server_listener_port(const struct http_server *srv, int listener);

/*
 * The server's epoll descriptor: readable when http_server_run_once()
 * has I/O to serve, so a caller can wait on it with its own descriptors.
 */
int http_server_fd(const struct http_server *srv);

/*
 * Wait up to timeout_ms for I/O, serve it, and expire timed-out
 * connections. Returns the number of events handled (0 on timeout or
 * signal) or a negative errno from epoll.
 */
int http_server_run_once(struct http_server *srv, int timeout_ms);

/*
 * Load new certificate, key and client CA (NULL = no mTLS) into a new TLS
 * context for new connections; open connections keep the old one. On
 * failure nothing changes. Returns 0 or a negative errno; the reason is in
 * http_server_error().
 */
int http_server_reload_tls(struct http_server *srv, const char *cert_file,
			   const char *key_file, const char *client_ca_file);

/* The text of the last failure of a listener or reload call. */
const char *http_server_error(const struct http_server *srv);

void http_server_stats(const struct http_server *srv, struct http_stats *out);

/* Listener i's counters: 0, or -EINVAL when there is no listener i. */
int http_server_listener_stats(const struct http_server *srv, int i,
			       struct http_listener_stats *out);

/* Close every connection and listener (unlinking its Unix socket), free. */
void http_server_destroy(struct http_server *srv);

/* Add a response header; -EINVAL for a bad name/value, -ENOSPC if full. */
int http_response_add_header(struct http_response *resp, const char *name,
			     const char *value);

/*
 * Make resp the project's JSON error with the given status and message
 * (replacing any body). Returns 0 or -ENOMEM (status still set).
 */
int http_response_error(struct http_response *resp, int status,
			const char *message);

/* Reason phrase for a status ("" when unknown). */
const char *http_status_reason(int status);

#endif /* EP_HTTP_H */
