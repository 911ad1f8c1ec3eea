/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connections: socket and TLS I/O, deadlines, the phases from accept to
 * close (HANDSHAKE or DETECT -> OPEN -> LINGER), the request body budget,
 * and admission: per-listener and per-address budgets, evicting the
 * oldest embryonic connection when one is full.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "http_int.h"

static int conn_start_linger(struct conn *c);

/* Take n body bytes from the server's budget; false when it is spent. */
bool body_budget_take(struct http_server *srv, size_t n)
{
	if (n > srv->max_body_total - srv->stats.body_bytes) {
		srv->stats.body_budget_refused++;
		return false;
	}
	srv->stats.body_bytes += n;
	return true;
}

void body_budget_give(struct http_server *srv, size_t n)
{
	srv->stats.body_bytes -= n;
}

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
ssize_t conn_recv(struct conn *c, void *p, size_t n)
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
void conn_touch(struct conn *c)
{
	uint64_t d = http_now_ms() + c->srv->idle_ms;
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
void conn_head_done(struct conn *c)
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

void conn_base_request(const struct conn *c, struct http_request *req)
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
	uint64_t until = http_now_ms() + HTTP_LINGER_MS;

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

void conn_event(struct conn *c, uint32_t events)
{
	if (events & EPOLLERR) {
		conn_close(c);
		return;
	}
	conn_drive(c);
}

void conn_close(struct conn *c)
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

int conn_new(struct http_server *srv, struct listener *l, int fd,
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
	c->accepted_ms = http_now_ms();
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
bool conn_admit(struct http_server *srv, struct listener *l,
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

/* Epoll timeout: the caller's, shortened to the next deadline. */
int conn_next_timeout(const struct http_server *srv, int timeout_ms)
{
	uint64_t now = http_now_ms(), next = UINT64_MAX;
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

void conn_expire(struct http_server *srv)
{
	uint64_t now = http_now_ms();
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
