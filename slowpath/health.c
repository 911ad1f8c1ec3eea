/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Active health checks: the state machine, the panic rule and the probe
 * engine (health.h); health_probe.c holds one probe's socket I/O. A probe is one non-blocking socket: connect, for
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

#include "health_int.h"

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
		[HEALTH_R_TLS] = "tls",
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

uint64_t health_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t health_now_ns(void)
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

void health_set_deadline(struct health_engine *h, struct probe *p,
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

static int run_deadlines(struct health_engine *h, uint64_t now_ms)
{
	int changes = 0;

	while (h->n > 0 && h->p[h->heap[0]].deadline_ms <= now_ms) {
		struct probe *p = &h->p[h->heap[0]];

		if (p->fd >= 0)
			changes += health_probe_finish(h, p, HEALTH_R_TIMEOUT,
						       0, now_ms);
		else
			changes += health_probe_start(h, p, now_ms);
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
				changes += health_probe_event(
					h, &h->p[k], ev[i].events, now_ms);
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
		health_probe_close(h, &h->p[i]);
	health_tls_destroy(h);
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
	       strcmp(a->body_contains, b->body_contains) == 0 &&
	       strcmp(a->server_name, b->server_name) == 0 &&
	       a->verify == b->verify && strcmp(a->ca_file, b->ca_file) == 0;
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
		ev.events = old->phase == PROBE_CONNECTING  ? EPOLLOUT
			    : old->phase == PROBE_HANDSHAKE ? old->tls_events
							    : EPOLLIN;
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
		health_probe_close(h, &h->p[i]);
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
	health_count_change(h, p);
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
