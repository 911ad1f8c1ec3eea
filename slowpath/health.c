/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Active health checks: the state machine, the panic rule and the probe
 * engine (health.h). A probe is one non-blocking socket: connect, for
 * HTTP write one request and read the head (and, for body_contains, the
 * body up to HEALTH_BODY_SCAN_MAX), then close with a reset (SO_LINGER 0)
 * so neither side keeps TIME_WAIT state for a check. Deadlines (the next
 * probe of an idle target, the timeout of one in flight) sit in one
 * binary heap, so a pass costs O(log n) per event, not O(n).
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

#include "health.h"

#define HEALTH_MAX_EVENTS 256
#define HEALTH_NO_POS UINT32_MAX

const char *const health_stat_names[] = {
#define HEALTH_STAT_NAME(name) #name,
	HEALTH_STATS(HEALTH_STAT_NAME)
#undef HEALTH_STAT_NAME
};

void health_params_default(struct health_params *p)
{
	memset(p, 0, sizeof(*p));
	p->type = HEALTH_NONE;
	p->interval_ms = HEALTH_INTERVAL_MS_DEFAULT;
	p->timeout_ms = HEALTH_TIMEOUT_MS_DEFAULT;
	p->rise = HEALTH_RISE_DEFAULT;
	p->fall = HEALTH_FALL_DEFAULT;
	p->status_min = 200;
	p->status_max = 399;
	strcpy(p->path, "/");
}

const char *health_result_name(enum health_result r)
{
	static const char *const names[HEALTH_R_COUNT] = {
		[HEALTH_R_NONE] = "none",
		[HEALTH_R_OK] = "ok",
		[HEALTH_R_REFUSED] = "refused",
		[HEALTH_R_TIMEOUT] = "timeout",
		[HEALTH_R_ERROR] = "error",
		[HEALTH_R_STATUS] = "status",
		[HEALTH_R_BODY] = "body",
		[HEALTH_R_BAD_RESPONSE] = "bad_response",
	};

	return (unsigned int)r < HEALTH_R_COUNT ? names[r] : "unknown";
}

const char *health_state_name(enum health_state s)
{
	return s == HEALTH_UP ? "up" : "down";
}

/* ------------------------------------------------------------------ */
/* State machine and panic rule                                         */

void health_sm_init(struct health_sm *sm, uint64_t now_ms)
{
	memset(sm, 0, sizeof(*sm));
	sm->state = HEALTH_UP;
	sm->last = HEALTH_R_NONE;
	sm->reason = HEALTH_R_NONE;
	sm->since_ms = now_ms;
}

static void sm_go(struct health_sm *sm, enum health_state to, uint64_t now_ms)
{
	sm->state = to;
	sm->ok_run = 0;
	sm->fail_run = 0;
	sm->since_ms = now_ms;
	if (to == HEALTH_UP) {
		sm->reason = HEALTH_R_NONE;
		sm->reason_detail = 0;
		sm->n_up++;
	} else {
		sm->reason = sm->last;
		sm->reason_detail = sm->last_detail;
		sm->n_down++;
	}
}

bool health_sm_observe(struct health_sm *sm, enum health_result r, int detail,
		       uint32_t latency_us, uint8_t rise, uint8_t fall,
		       uint64_t now_ms)
{
	bool ok = r == HEALTH_R_OK;

	sm->last = r;
	sm->last_detail = detail;
	sm->last_latency_us = latency_us;
	if (sm->state == HEALTH_UP) {
		if (ok) {
			sm->fail_run = 0;
			return false;
		}
		if (++sm->fail_run < (fall ? fall : 1))
			return false;
		sm_go(sm, HEALTH_DOWN, now_ms);
		return true;
	}
	if (!ok) {
		sm->ok_run = 0;
		/* the latest cause, while it stays down */
		sm->reason = r;
		sm->reason_detail = detail;
		return false;
	}
	if (++sm->ok_run < (rise ? rise : 1))
		return false;
	sm_go(sm, HEALTH_UP, now_ms);
	return true;
}

bool health_panic(uint32_t healthy, uint32_t total, uint32_t threshold_percent)
{
	if (total == 0 || threshold_percent == 0)
		return false;
	return (uint64_t)healthy * 100u < (uint64_t)threshold_percent * total;
}

/* ------------------------------------------------------------------ */
/* The engine                                                           */

enum probe_phase {
	PROBE_IDLE = 0,
	PROBE_CONNECTING,
	PROBE_READING, /* HTTP: request written, reading the answer */
};

struct probe {
	struct health_target t;
	struct health_sm sm;
	int fd; /* -1 when idle */
	enum probe_phase phase;
	uint64_t start_ns; /* of the probe in flight */
	uint64_t deadline_ms; /* next start (idle) or timeout (in flight) */
	uint32_t heap_pos;
	/* HTTP: what has been read; the head first, then a body window */
	uint16_t rx_len;
	bool head_done;
	int status; /* HTTP status, once head_done */
	uint32_t body_read;
	char rx[HEALTH_HEAD_MAX];
};

struct health_engine {
	int epfd;
	struct probe *p; /* n of them */
	uint32_t n;
	uint32_t *heap; /* probe indices, min-heap by deadline_ms */
	uint32_t *slot; /* key hash table: probe index + 1, 0 = empty */
	uint32_t slot_mask;
	struct health_stats st;
	health_change_fn on_change;
	void *on_change_arg;
};

uint64_t health_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- the deadline heap --- */

static bool heap_less(const struct health_engine *h, uint32_t a, uint32_t b)
{
	return h->p[h->heap[a]].deadline_ms < h->p[h->heap[b]].deadline_ms;
}

static void heap_swap(struct health_engine *h, uint32_t a, uint32_t b)
{
	uint32_t t = h->heap[a];

	h->heap[a] = h->heap[b];
	h->heap[b] = t;
	h->p[h->heap[a]].heap_pos = a;
	h->p[h->heap[b]].heap_pos = b;
}

static void heap_up(struct health_engine *h, uint32_t i)
{
	while (i > 0 && heap_less(h, i, (i - 1) / 2)) {
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct health_engine *h, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->n && heap_less(h, l, m))
			m = l;
		if (r < h->n && heap_less(h, r, m))
			m = r;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

static void heap_build(struct health_engine *h)
{
	for (uint32_t i = 0; i < h->n; i++) {
		h->heap[i] = i;
		h->p[i].heap_pos = i;
	}
	for (uint32_t i = h->n / 2; i-- > 0;)
		heap_down(h, i);
}

static void set_deadline(struct health_engine *h, struct probe *p,
			 uint64_t deadline_ms)
{
	uint64_t old = p->deadline_ms;

	p->deadline_ms = deadline_ms;
	if (deadline_ms < old)
		heap_up(h, p->heap_pos);
	else
		heap_down(h, p->heap_pos);
}

/* --- the key table --- */

static uint32_t key_hash(const char *service, const struct ep_ip *addr,
			 uint16_t port)
{
	uint32_t x = 2166136261u;

	for (const char *c = service; *c; c++)
		x = (x ^ (uint8_t)*c) * 16777619u;
	x = (x ^ addr->family) * 16777619u;
	for (unsigned int i = 0; i < sizeof(addr->bytes); i++)
		x = (x ^ addr->bytes[i]) * 16777619u;
	x = (x ^ (port & 0xff)) * 16777619u;
	return (x ^ (port >> 8)) * 16777619u;
}

static bool key_equal(const struct health_target *t, const char *service,
		      const struct ep_ip *addr, uint16_t port)
{
	return t->backend_port == port && t->addr.family == addr->family &&
	       memcmp(t->addr.bytes, addr->bytes, sizeof(addr->bytes)) == 0 &&
	       strcmp(t->service, service) == 0;
}

static int slot_find(const struct probe *p, uint32_t mask, const uint32_t *slot,
		     const char *service, const struct ep_ip *addr,
		     uint16_t port)
{
	if (slot == NULL)
		return -1;
	for (uint32_t i = key_hash(service, addr, port) & mask;;
	     i = (i + 1) & mask) {
		if (slot[i] == 0)
			return -1;
		if (key_equal(&p[slot[i] - 1].t, service, addr, port))
			return (int)(slot[i] - 1);
	}
}

/* A table of 2..4 slots per target (a power of two), filled. */
static uint32_t *slots_build(const struct probe *p, uint32_t n, uint32_t *mask)
{
	uint32_t size = 4, *slot;

	while (size < 2 * n)
		size *= 2;
	slot = calloc(size, sizeof(*slot));
	if (slot == NULL)
		return NULL;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = key_hash(p[k].t.service, &p[k].t.addr,
				      p[k].t.backend_port) &
			     (size - 1);

		while (slot[i] != 0)
			i = (i + 1) & (size - 1);
		slot[i] = k + 1;
	}
	*mask = size - 1;
	return slot;
}

/* --- probes --- */

static void probe_close(struct health_engine *h, struct probe *p)
{
	if (p->fd < 0)
		return;
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
	default:
		h->st.probes_error++;
		break;
	}
}

static void count_change(struct health_engine *h, const struct probe *p)
{
	if (p->sm.state == HEALTH_UP)
		h->st.transitions_up++;
	else
		h->st.transitions_down++;
	if (h->on_change != NULL)
		h->on_change(&p->t, &p->sm, h->on_change_arg);
}

/* A probe is over: close, feed the result, schedule the next one. */
static int probe_finish(struct health_engine *h, struct probe *p,
			enum health_result r, int detail, uint64_t now_ms)
{
	uint64_t lat_us = (now_ns() - p->start_ns) / 1000u;
	uint64_t next = p->deadline_ms - p->t.params.timeout_ms +
			p->t.params.interval_ms;
	bool changed;

	probe_close(h, p);
	count_result(h, r);
	changed = health_sm_observe(&p->sm, r, detail,
				    lat_us > UINT32_MAX ? UINT32_MAX
							: (uint32_t)lat_us,
				    p->t.params.rise, p->t.params.fall, now_ms);
	if (changed)
		count_change(h, p);
	set_deadline(h, p, next > now_ms ? next : now_ms);
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

static int probe_start(struct health_engine *h, struct probe *p,
		       uint64_t now_ms)
{
	struct sockaddr_storage ss;
	socklen_t sl = target_sockaddr(&p->t, &ss);
	struct epoll_event ev = { .events = EPOLLOUT,
				  .data.u32 = (uint32_t)(p - h->p) };
	int fd = probe_socket(&p->t);

	p->start_ns = now_ns();
	p->rx_len = 0;
	p->head_done = false;
	p->body_read = 0;
	h->st.probes_started++;
	/* the timeout's deadline; probe_finish() derives the next start */
	p->deadline_ms = now_ms + p->t.params.timeout_ms;
	set_deadline(h, p, p->deadline_ms);
	if (fd < 0) {
		h->st.socket_failures++;
		return probe_finish(h, p, HEALTH_R_ERROR, -fd, now_ms);
	}
	p->fd = fd;
	p->phase = PROBE_CONNECTING;
	h->st.in_flight++;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		return probe_finish(h, p, errno_result(errno), errno, now_ms);
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		h->st.socket_failures++;
		return probe_finish(h, p, HEALTH_R_ERROR, errno, now_ms);
	}
	return 0;
}

static int http_send_request(struct probe *p)
{
	char req[HEALTH_PATH_LEN + 160], host[INET6_ADDRSTRLEN];
	int n;
	ssize_t w;

	inet_ntop(p->t.addr.family == EP_AF_INET6 ? AF_INET6 : AF_INET,
		  p->t.addr.bytes, host, sizeof(host));
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s%s%s:%u\r\n"
		     "User-Agent: edgepath-health\r\nAccept: */*\r\n"
		     "Connection: close\r\n\r\n",
		     p->t.params.path,
		     p->t.addr.family == EP_AF_INET6 ? "[" : "", host,
		     p->t.addr.family == EP_AF_INET6 ? "]" : "", p->t.port);
	/* a fresh socket's send buffer holds a few hundred bytes at once */
	w = send(p->fd, req, (size_t)n, MSG_NOSIGNAL);
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
		return probe_finish(h, p, HEALTH_R_BAD_RESPONSE, 0, now_ms);
	if (status < p->t.params.status_min || status > p->t.params.status_max)
		return probe_finish(h, p, HEALTH_R_STATUS, status, now_ms);
	if (p->t.params.body_contains[0] == 0)
		return probe_finish(h, p, HEALTH_R_OK, status, now_ms);
	p->head_done = true;
	p->body_read = (uint32_t)(p->rx_len - end);
	if (body_scan(p, end))
		return probe_finish(h, p, HEALTH_R_OK, status, now_ms);
	p->status = status; /* for the body's verdict */
	return -1;
}

/* Readable: read what is there and judge as soon as we can. */
static int http_read(struct health_engine *h, struct probe *p, uint64_t now_ms)
{
	for (;;) {
		size_t room = sizeof(p->rx) - p->rx_len;
		ssize_t r;
		char *end;

		if (room == 0) /* a head larger than HEALTH_HEAD_MAX */
			return probe_finish(h, p, HEALTH_R_BAD_RESPONSE, 0,
					    now_ms);
		r = recv(p->fd, p->rx + p->rx_len, room, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (r < 0)
			return probe_finish(h, p, errno_result(errno), errno,
					    now_ms);
		if (r == 0)
			return probe_finish(
				h, p,
				p->head_done ? HEALTH_R_BODY
					     : HEALTH_R_BAD_RESPONSE,
				p->head_done ? p->status : 0, now_ms);
		p->rx_len = (uint16_t)(p->rx_len + r);
		if (p->head_done) {
			p->body_read += (uint32_t)r;
			if (body_scan(p, 0))
				return probe_finish(h, p, HEALTH_R_OK,
						    p->status, now_ms);
			if (p->body_read >= HEALTH_BODY_SCAN_MAX)
				return probe_finish(h, p, HEALTH_R_BODY,
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

/* Connected (or failed): TCP is done; HTTP sends its request. */
static int probe_connected(struct health_engine *h, struct probe *p,
			   uint64_t now_ms)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u32 = (uint32_t)(p - h->p) };
	int err = 0, rc;
	socklen_t len = sizeof(err);

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0)
		return probe_finish(h, p, errno_result(err), err, now_ms);
	if (p->t.params.type == HEALTH_TCP)
		return probe_finish(h, p, HEALTH_R_OK, 0, now_ms);
	rc = http_send_request(p);
	if (rc < 0)
		return probe_finish(h, p, errno_result(-rc), -rc, now_ms);
	p->phase = PROBE_READING;
	if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, p->fd, &ev) < 0)
		return probe_finish(h, p, HEALTH_R_ERROR, errno, now_ms);
	return 0;
}

static int probe_event(struct health_engine *h, struct probe *p,
		       uint32_t events, uint64_t now_ms)
{
	if (p->phase == PROBE_CONNECTING)
		return probe_connected(h, p, now_ms);
	if (p->phase == PROBE_READING) {
		(void)events;
		return http_read(h, p, now_ms);
	}
	return 0;
}

/* Deadlines due at now_ms: timeouts of probes in flight, new probes. */
static int run_deadlines(struct health_engine *h, uint64_t now_ms)
{
	int changes = 0;

	while (h->n > 0 && h->p[h->heap[0]].deadline_ms <= now_ms) {
		struct probe *p = &h->p[h->heap[0]];

		if (p->fd >= 0)
			changes +=
				probe_finish(h, p, HEALTH_R_TIMEOUT, 0, now_ms);
		else
			changes += probe_start(h, p, now_ms);
	}
	return changes;
}

int health_engine_run(struct health_engine *h, uint64_t now_ms)
{
	struct epoll_event ev[HEALTH_MAX_EVENTS];
	int changes = 0, n;

	do {
		n = epoll_wait(h->epfd, ev, HEALTH_MAX_EVENTS, 0);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			uint32_t k = ev[i].data.u32;

			if (k < h->n && h->p[k].fd >= 0)
				changes += probe_event(h, &h->p[k],
						       ev[i].events, now_ms);
		}
	} while (n == HEALTH_MAX_EVENTS);
	return changes + run_deadlines(h, now_ms);
}

int health_engine_next_ms(const struct health_engine *h, uint64_t now_ms)
{
	uint64_t d;

	if (h->n == 0)
		return -1;
	d = h->p[h->heap[0]].deadline_ms;
	if (d <= now_ms)
		return 0;
	return d - now_ms > INT32_MAX ? INT32_MAX : (int)(d - now_ms);
}

struct health_engine *health_engine_create(void)
{
	struct health_engine *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0) {
		int err = errno;

		free(h);
		errno = err;
		return NULL;
	}
	return h;
}

void health_engine_destroy(struct health_engine *h)
{
	if (h == NULL)
		return;
	for (uint32_t i = 0; i < h->n; i++)
		probe_close(h, &h->p[i]);
	close(h->epfd);
	free(h->p);
	free(h->heap);
	free(h->slot);
	free(h);
}

static bool params_equal(const struct health_params *a,
			 const struct health_params *b)
{
	return a->type == b->type && a->interval_ms == b->interval_ms &&
	       a->timeout_ms == b->timeout_ms && a->rise == b->rise &&
	       a->fall == b->fall && a->port == b->port &&
	       a->status_min == b->status_min &&
	       a->status_max == b->status_max &&
	       strcmp(a->path, b->path) == 0 &&
	       strcmp(a->body_contains, b->body_contains) == 0;
}

/* Carry target k's old probe over, or start it afresh. */
static void probe_adopt(struct health_engine *h, struct probe *np,
			struct probe *old, uint32_t k, uint32_t n,
			uint64_t now_ms)
{
	const struct health_target *t = &np->t;
	struct epoll_event ev = { .data.u32 = k };

	np->fd = -1;
	if (old == NULL) {
		health_sm_init(&np->sm, now_ms);
		/* spread first probes over one interval */
		np->deadline_ms = now_ms + (uint64_t)t->params.interval_ms * k /
						   (n ? n : 1);
		return;
	}
	np->sm = old->sm;
	np->deadline_ms = old->deadline_ms;
	if (old->fd >= 0 && params_equal(&old->t.params, &t->params) &&
	    old->t.port == t->port) {
		memcpy(&np->phase, &old->phase,
		       sizeof(*np) - offsetof(struct probe, phase));
		np->fd = old->fd;
		ev.events = old->phase == PROBE_CONNECTING ? EPOLLOUT : EPOLLIN;
		epoll_ctl(h->epfd, EPOLL_CTL_MOD, np->fd, &ev);
		old->fd = -1; /* moved */
		return;
	}
	if (old->fd >= 0) /* parameters changed: probe anew now */
		np->deadline_ms = now_ms;
}

int health_engine_set(struct health_engine *h,
		      const struct health_target *targets, uint32_t n,
		      uint64_t now_ms)
{
	struct probe *np = n ? calloc(n, sizeof(*np)) : NULL;
	uint32_t *heap = n ? calloc(n, sizeof(*heap)) : NULL, *slot, mask = 0;

	if (n && (np == NULL || heap == NULL)) {
		free(np);
		free(heap);
		return -ENOMEM;
	}
	for (uint32_t k = 0; k < n; k++)
		np[k].t = targets[k];
	slot = slots_build(np, n, &mask);
	if (slot == NULL) {
		free(np);
		free(heap);
		return -ENOMEM;
	}
	for (uint32_t k = 0; k < n; k++) {
		int o = slot_find(h->p, h->slot_mask, h->slot,
				  targets[k].service, &targets[k].addr,
				  targets[k].backend_port);

		probe_adopt(h, &np[k], o >= 0 ? &h->p[o] : NULL, k, n, now_ms);
		if (np[k].fd >= 0)
			h->st.in_flight--; /* counted again below */
	}
	for (uint32_t i = 0; i < h->n; i++) /* what was not carried over */
		probe_close(h, &h->p[i]);
	for (uint32_t k = 0; k < n; k++)
		if (np[k].fd >= 0)
			h->st.in_flight++;
	free(h->p);
	free(h->heap);
	free(h->slot);
	h->p = np;
	h->heap = heap;
	h->slot = slot;
	h->slot_mask = mask;
	h->n = n;
	h->st.targets = n;
	heap_build(h);
	return 0;
}

void health_engine_on_change(struct health_engine *h, health_change_fn fn,
			     void *arg)
{
	h->on_change = fn;
	h->on_change_arg = arg;
}

int health_engine_observe(struct health_engine *h, uint32_t i,
			  enum health_result r, int detail, uint64_t now_ms)
{
	struct probe *p;

	if (i >= h->n || (unsigned int)r >= HEALTH_R_COUNT)
		return -EINVAL;
	p = &h->p[i];
	if (!health_sm_observe(&p->sm, r, detail, 0, p->t.params.rise,
			       p->t.params.fall, now_ms))
		return 0;
	count_change(h, p);
	return 1;
}

int health_engine_fd(const struct health_engine *h)
{
	return h->epfd;
}

uint32_t health_engine_count(const struct health_engine *h)
{
	return h->n;
}

const struct health_target *health_engine_target(const struct health_engine *h,
						 uint32_t i)
{
	return i < h->n ? &h->p[i].t : NULL;
}

const struct health_sm *health_engine_sm(const struct health_engine *h,
					 uint32_t i)
{
	return i < h->n ? &h->p[i].sm : NULL;
}

int health_engine_find(const struct health_engine *h, const char *service,
		       const struct ep_ip *addr, uint16_t backend_port)
{
	return slot_find(h->p, h->slot_mask, h->slot, service, addr,
			 backend_port);
}

void health_engine_stats(const struct health_engine *h,
			 struct health_stats *out)
{
	*out = h->st;
}
