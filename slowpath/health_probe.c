/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Active health checks: one probe's socket I/O. A probe is one
 * non-blocking socket: connect, for HTTP write one request and read the
 * head (and, for body_contains, the body up to HEALTH_BODY_SCAN_MAX), then
 * close with a reset (SO_LINGER 0) so neither side keeps TIME_WAIT state
 * for a check. health.c schedules the probes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "health_int.h"

/* --- probes --- */

void health_probe_close(struct health_engine *h, struct probe *p)
{
	if (p->fd < 0)
		return;
	health_tls_free(p);
	/* the reset is on purpose: no TIME_WAIT on either side for a check;
	 * close() takes the descriptor out of the epoll set (never dup'd) */
	close(p->fd);
	p->fd = -1;
	p->phase = PROBE_IDLE;
	h->st.in_flight--;
}

static void count_result(struct health_engine *h, enum health_result r)
{
	switch (r) {
	case HEALTH_R_OK:
		h->st.probes_ok++;
		break;
	case HEALTH_R_REFUSED:
		h->st.probes_refused++;
		break;
	case HEALTH_R_TIMEOUT:
		h->st.probes_timeout++;
		break;
	case HEALTH_R_STATUS:
		h->st.probes_status++;
		break;
	case HEALTH_R_BODY:
		h->st.probes_body++;
		break;
	case HEALTH_R_BAD_RESPONSE:
		h->st.probes_bad_response++;
		break;
	case HEALTH_R_TLS:
		h->st.probes_tls++;
		break;
	default:
		h->st.probes_error++;
		break;
	}
}

void health_count_change(struct health_engine *h, const struct probe *p)
{
	if (p->sm.state == HEALTH_UP)
		h->st.transitions_up++;
	else
		h->st.transitions_down++;
	if (h->on_change != NULL)
		h->on_change(&p->t, &p->sm, h->on_change_arg);
}

/* A probe is over: close, feed the result, schedule the next one. */
int health_probe_finish(struct health_engine *h, struct probe *p,
			enum health_result r, int detail, uint64_t now_ms)
{
	uint64_t lat_us = (health_now_ns() - p->start_ns) / 1000u;
	uint64_t next = p->deadline_ms - p->t.params.timeout_ms +
			p->t.params.interval_ms;
	bool changed;

	health_probe_close(h, p);
	count_result(h, r);
	changed = health_sm_observe(&p->sm, r, detail,
				    lat_us > UINT32_MAX ? UINT32_MAX
							: (uint32_t)lat_us,
				    p->t.params.rise, p->t.params.fall, now_ms);
	if (changed)
		health_count_change(h, p);
	health_set_deadline(h, p, next > now_ms ? next : now_ms);
	return changed ? 1 : 0;
}

static socklen_t target_sockaddr(const struct health_target *t,
				 struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (t->addr.family == EP_AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(t->port);
		memcpy(&s6->sin6_addr, t->addr.bytes, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(t->port);
	memcpy(&s4->sin_addr, t->addr.bytes, 4);
	return sizeof(*s4);
}

static int probe_socket(const struct health_target *t)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(t->addr.family == EP_AF_INET6 ? AF_INET6 : AF_INET,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	return fd;
}

static enum health_result errno_result(int err)
{
	return err == ECONNREFUSED ? HEALTH_R_REFUSED
	       : err == ETIMEDOUT  ? HEALTH_R_TIMEOUT
				   : HEALTH_R_ERROR;
}

int health_probe_start(struct health_engine *h, struct probe *p,
		       uint64_t now_ms)
{
	struct sockaddr_storage ss;
	socklen_t sl = target_sockaddr(&p->t, &ss);
	struct epoll_event ev = { .events = EPOLLOUT,
				  .data.u32 = (uint32_t)(p - h->p) };
	int fd = probe_socket(&p->t);

	p->start_ns = health_now_ns();
	p->ssl = NULL;
	p->rx_len = 0;
	p->head_done = false;
	p->body_read = 0;
	h->st.probes_started++;
	/* the timeout's deadline; probe_finish() derives the next start */
	p->deadline_ms = now_ms + p->t.params.timeout_ms;
	health_set_deadline(h, p, p->deadline_ms);
	if (fd < 0) {
		h->st.socket_failures++;
		return health_probe_finish(h, p, HEALTH_R_ERROR, -fd, now_ms);
	}
	p->fd = fd;
	p->phase = PROBE_CONNECTING;
	h->st.in_flight++;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		return health_probe_finish(h, p, errno_result(errno), errno,
					   now_ms);
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		h->st.socket_failures++;
		return health_probe_finish(h, p, HEALTH_R_ERROR, errno, now_ms);
	}
	return 0;
}

/* send() or, for https, over TLS */
static long probe_send(struct probe *p, const void *buf, size_t n)
{
	if (p->ssl != NULL)
		return health_tls_send(p, buf, n);
	return send(p->fd, buf, n, MSG_NOSIGNAL);
}

static long probe_recv(struct probe *p, void *buf, size_t n)
{
	if (p->ssl != NULL)
		return health_tls_recv(p, buf, n);
	return recv(p->fd, buf, n, 0);
}

static int http_send_request(struct probe *p)
{
	char req[HEALTH_PATH_LEN + HEALTH_SNI_LEN + 160],
		host[INET6_ADDRSTRLEN];
	int n;
	long w;

	inet_ntop(p->t.addr.family == EP_AF_INET6 ? AF_INET6 : AF_INET,
		  p->t.addr.bytes, host, sizeof(host));
	if (p->t.params.server_name[0] != 0) /* the name the server knows */
		n = snprintf(req, sizeof(req),
			     "GET %s HTTP/1.1\r\nHost: %s\r\n"
			     "User-Agent: edgepath-health\r\nAccept: */*\r\n"
			     "Connection: close\r\n\r\n",
			     p->t.params.path, p->t.params.server_name);
	else
		n = snprintf(req, sizeof(req),
			     "GET %s HTTP/1.1\r\nHost: %s%s%s:%u\r\n"
			     "User-Agent: edgepath-health\r\nAccept: */*\r\n"
			     "Connection: close\r\n\r\n",
			     p->t.params.path,
			     p->t.addr.family == EP_AF_INET6 ? "[" : "", host,
			     p->t.addr.family == EP_AF_INET6 ? "]" : "",
			     p->t.port);
	/* a fresh socket's send buffer holds a few hundred bytes at once */
	w = probe_send(p, req, (size_t)n);
	if (w == n)
		return 0;
	return w < 0 ? -errno : -EAGAIN;
}

/* "HTTP/1.x NNN": the status, or -1. */
static int http_status_of(const char *s, size_t n)
{
	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' ||
	    s[7] > '9' || s[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (n > 12 && s[12] != ' ' && s[12] != '\r')
		return -1;
	return (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
}

/*
 * After the head: find body_contains in what follows. The window keeps
 * the last strlen-1 bytes so a match across two reads is found. Returns
 * 1 found, 0 go on.
 */
static int body_scan(struct probe *p, size_t from)
{
	const char *want = p->t.params.body_contains;
	size_t wl = strlen(want), keep;

	if (memmem(p->rx + from, p->rx_len - from, want, wl) != NULL)
		return 1;
	keep = wl - 1 < p->rx_len - from ? wl - 1 : p->rx_len - from;
	memmove(p->rx, p->rx + p->rx_len - keep, keep);
	p->rx_len = (uint16_t)keep;
	return 0;
}

/* The head is complete in rx[0..end): judge the status. */
static int http_head(struct health_engine *h, struct probe *p, size_t end,
		     uint64_t now_ms)
{
	int status = http_status_of(p->rx, p->rx_len);

	if (status < 0)
		return health_probe_finish(h, p, HEALTH_R_BAD_RESPONSE, 0,
					   now_ms);
	if (status < p->t.params.status_min || status > p->t.params.status_max)
		return health_probe_finish(h, p, HEALTH_R_STATUS, status,
					   now_ms);
	if (p->t.params.body_contains[0] == 0)
		return health_probe_finish(h, p, HEALTH_R_OK, status, now_ms);
	p->head_done = true;
	p->body_read = (uint32_t)(p->rx_len - end);
	if (body_scan(p, end))
		return health_probe_finish(h, p, HEALTH_R_OK, status, now_ms);
	p->status = status; /* for the body's verdict */
	return -1;
}

/* Readable: read what is there and judge as soon as we can. */
static int http_read(struct health_engine *h, struct probe *p, uint64_t now_ms)
{
	for (;;) {
		size_t room = sizeof(p->rx) - p->rx_len;
		long r;
		char *end;

		if (room == 0) /* a head larger than HEALTH_HEAD_MAX */
			return health_probe_finish(h, p, HEALTH_R_BAD_RESPONSE,
						   0, now_ms);
		r = probe_recv(p, p->rx + p->rx_len, room);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (r < 0)
			return health_probe_finish(h, p, errno_result(errno),
						   errno, now_ms);
		if (r == 0)
			return health_probe_finish(
				h, p,
				p->head_done ? HEALTH_R_BODY
					     : HEALTH_R_BAD_RESPONSE,
				p->head_done ? p->status : 0, now_ms);
		p->rx_len = (uint16_t)(p->rx_len + r);
		if (p->head_done) {
			p->body_read += (uint32_t)r;
			if (body_scan(p, 0))
				return health_probe_finish(h, p, HEALTH_R_OK,
							   p->status, now_ms);
			if (p->body_read >= HEALTH_BODY_SCAN_MAX)
				return health_probe_finish(h, p, HEALTH_R_BODY,
							   p->status, now_ms);
			continue;
		}
		end = memmem(p->rx, p->rx_len, "\r\n\r\n", 4);
		if (end != NULL) {
			int rc = http_head(h, p, (size_t)(end + 4 - p->rx),
					   now_ms);

			if (rc >= 0)
				return rc;
		}
	}
}

/* HTTP(S): send the request, then wait for the answer. */
static int http_start(struct health_engine *h, struct probe *p, uint64_t now_ms)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u32 = (uint32_t)(p - h->p) };
	int rc = http_send_request(p);

	if (rc < 0)
		return health_probe_finish(h, p, errno_result(-rc), -rc,
					   now_ms);
	p->phase = PROBE_READING;
	if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, p->fd, &ev) < 0)
		return health_probe_finish(h, p, HEALTH_R_ERROR, errno, now_ms);
	return 0;
}

/* HTTPS: one step of the handshake; done, the request goes. */
static int tls_step(struct health_engine *h, struct probe *p, uint64_t now_ms)
{
	struct epoll_event ev = { .data.u32 = (uint32_t)(p - h->p) };
	int detail, rc = health_tls_handshake(p, &detail);

	if (rc < 0)
		return health_probe_finish(h, p, HEALTH_R_TLS, detail, now_ms);
	if (rc > 0)
		return http_start(h, p, now_ms);
	ev.events = p->tls_events;
	if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, p->fd, &ev) < 0)
		return health_probe_finish(h, p, HEALTH_R_ERROR, errno, now_ms);
	return 0;
}

/* Connected (or failed): TCP is done; HTTP sends its request, HTTPS
 * starts its handshake. */
static int probe_connected(struct health_engine *h, struct probe *p,
			   uint64_t now_ms)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0)
		return health_probe_finish(h, p, errno_result(err), err,
					   now_ms);
	if (p->t.params.type == HEALTH_TCP)
		return health_probe_finish(h, p, HEALTH_R_OK, 0, now_ms);
	if (p->t.params.type != HEALTH_HTTPS)
		return http_start(h, p, now_ms);
	if (health_tls_start(h, p) < 0)
		return health_probe_finish(h, p, HEALTH_R_TLS, 0, now_ms);
	p->phase = PROBE_HANDSHAKE;
	return tls_step(h, p, now_ms);
}

int health_probe_event(struct health_engine *h, struct probe *p,
		       uint32_t events, uint64_t now_ms)
{
	if (p->phase == PROBE_CONNECTING)
		return probe_connected(h, p, now_ms);
	if (p->phase == PROBE_HANDSHAKE)
		return tls_step(h, p, now_ms);
	if (p->phase == PROBE_READING) {
		(void)events;
		return http_read(h, p, now_ms);
	}
	return 0;
}

/* Deadlines due at now_ms: timeouts of probes in flight, new probes. */
