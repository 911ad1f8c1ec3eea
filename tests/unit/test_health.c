/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/health.c: every transition of the state machine (fall, rise,
 * flapping, the reason kept while down), the panic rule, and the probe
 * engine against listeners in this process on loopback: one that
 * accepts, one that refuses, one whose accept queue is full (SYNs go
 * unanswered), one that accepts and never answers, and HTTP responders
 * with a good answer, a wrong status, a body without the string and a
 * reply that is not HTTP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "health.h"

/* ------------------------------------------------------------------ */
/* State machine                                                        */

static bool feed(struct health_sm *sm, enum health_result r, uint8_t rise,
		 uint8_t fall)
{
	return health_sm_observe(sm, r, r == HEALTH_R_STATUS ? 503 : 0, 1000,
				 rise, fall, 5);
}

static void test_fall_and_rise(void)
{
	struct health_sm sm;

	health_sm_init(&sm, 0);
	CHECK(sm.state == HEALTH_UP && sm.last == HEALTH_R_NONE);
	/* fall 3: two failures leave it up, the third takes it down */
	CHECK(!feed(&sm, HEALTH_R_REFUSED, 2, 3));
	CHECK(!feed(&sm, HEALTH_R_REFUSED, 2, 3));
	CHECK(sm.state == HEALTH_UP && sm.fail_run == 2);
	CHECK(feed(&sm, HEALTH_R_TIMEOUT, 2, 3));
	CHECK(sm.state == HEALTH_DOWN && sm.n_down == 1);
	CHECK(sm.reason == HEALTH_R_TIMEOUT && sm.since_ms == 5);
	/* while down, the reason follows the latest failure */
	CHECK(!feed(&sm, HEALTH_R_STATUS, 2, 3));
	CHECK(sm.reason == HEALTH_R_STATUS && sm.reason_detail == 503);
	/* rise 2: one success is not enough */
	CHECK(!feed(&sm, HEALTH_R_OK, 2, 3));
	CHECK(sm.state == HEALTH_DOWN && sm.ok_run == 1);
	CHECK(feed(&sm, HEALTH_R_OK, 2, 3));
	CHECK(sm.state == HEALTH_UP && sm.n_up == 1);
	CHECK(sm.reason == HEALTH_R_NONE && sm.last == HEALTH_R_OK);
	CHECK(sm.last_latency_us == 1000);
	/* a success in the middle of failures starts the count again */
	CHECK(!feed(&sm, HEALTH_R_ERROR, 2, 3));
	CHECK(!feed(&sm, HEALTH_R_ERROR, 2, 3));
	CHECK(!feed(&sm, HEALTH_R_OK, 2, 3));
	CHECK(!feed(&sm, HEALTH_R_ERROR, 2, 3));
	CHECK(!feed(&sm, HEALTH_R_ERROR, 2, 3));
	CHECK(sm.state == HEALTH_UP);
	CHECK(feed(&sm, HEALTH_R_ERROR, 2, 3));
	CHECK(sm.state == HEALTH_DOWN && sm.reason == HEALTH_R_ERROR);
}

static void test_flapping(void)
{
	struct health_sm sm;
	bool changed = false;

	/* up, failing every other probe: never fall in a row, stays up */
	health_sm_init(&sm, 0);
	for (int i = 0; i < 20; i++)
		changed |=
			feed(&sm, i % 2 ? HEALTH_R_OK : HEALTH_R_REFUSED, 2, 3);
	CHECK(!changed && sm.state == HEALTH_UP && sm.n_down == 0);
	/* fall 2 with pairs of failures: down; then ok/fail: stays down */
	CHECK(!feed(&sm, HEALTH_R_REFUSED, 2, 2));
	CHECK(feed(&sm, HEALTH_R_REFUSED, 2, 2));
	changed = false;
	for (int i = 0; i < 20; i++)
		changed |=
			feed(&sm, i % 2 ? HEALTH_R_TIMEOUT : HEALTH_R_OK, 2, 2);
	CHECK(!changed && sm.state == HEALTH_DOWN && sm.n_up == 0);
	/* rise 1 / fall 1: every result decides */
	CHECK(feed(&sm, HEALTH_R_OK, 1, 1));
	CHECK(feed(&sm, HEALTH_R_BODY, 1, 1));
	CHECK(sm.state == HEALTH_DOWN && sm.reason == HEALTH_R_BODY);
	CHECK(feed(&sm, HEALTH_R_OK, 1, 1));
	CHECK(sm.n_up == 2 && sm.n_down == 2);
}

static void test_timeout_vs_refused(void)
{
	struct health_sm a, b;

	health_sm_init(&a, 0);
	health_sm_init(&b, 0);
	for (int i = 0; i < 3; i++) {
		feed(&a, HEALTH_R_TIMEOUT, 2, 3);
		feed(&b, HEALTH_R_REFUSED, 2, 3);
	}
	CHECK(a.state == HEALTH_DOWN && a.reason == HEALTH_R_TIMEOUT);
	CHECK(b.state == HEALTH_DOWN && b.reason == HEALTH_R_REFUSED);
	CHECK(strcmp(health_result_name(a.reason), "timeout") == 0);
	CHECK(strcmp(health_result_name(b.reason), "refused") == 0);
	CHECK(strcmp(health_state_name(a.state), "down") == 0);
}

static void test_panic(void)
{
	CHECK(!health_panic(1, 2, 50)); /* exactly half: not below */
	CHECK(health_panic(0, 2, 50));
	CHECK(health_panic(1, 3, 50));
	CHECK(!health_panic(2, 3, 50));
	CHECK(!health_panic(3, 3, 50));
	CHECK(!health_panic(0, 3, 0)); /* threshold 0: never */
	CHECK(!health_panic(0, 0, 50)); /* nothing configured */
	CHECK(health_panic(2, 3, 100));
	CHECK(!health_panic(3, 3, 100));
	CHECK(health_panic(0, 1, 1));
	CHECK(health_panic(0, 1000, 1));
	CHECK(health_panic(9, 1000, 1)); /* 0.9% < 1% */
	CHECK(!health_panic(10, 1000, 1));
}

static void test_defaults(void)
{
	struct health_params p;

	health_params_default(&p);
	CHECK(p.type == HEALTH_NONE && p.interval_ms == 1000);
	CHECK(p.timeout_ms <= p.interval_ms);
	CHECK(p.rise == 2 && p.fall == 3);
	CHECK(p.status_min == 200 && p.status_max == 399);
	CHECK(strcmp(p.path, "/") == 0 && p.body_contains[0] == 0);
}

/* ------------------------------------------------------------------ */
/* Listeners and responders in this process                             */

enum reply { REPLY_NONE, REPLY_OK, REPLY_503, REPLY_NOBODY, REPLY_GARBAGE };

#define MAX_SRV_CONNS 64

struct server {
	int lfd;
	uint16_t port;
	enum reply reply;
	int conns[MAX_SRV_CONNS];
	size_t got[MAX_SRV_CONNS];
};

static int listener(uint16_t *port, int backlog)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static void server_open(struct server *s, enum reply r)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < MAX_SRV_CONNS; i++)
		s->conns[i] = -1;
	s->reply = r;
	s->lfd = listener(&s->port, 64);
	CHECK(s->lfd >= 0);
}

static const char *reply_text(enum reply r)
{
	switch (r) {
	case REPLY_OK:
		return "HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n"
		       "hello ready world";
	case REPLY_503:
		return "HTTP/1.1 503 Service Unavailable\r\n"
		       "Content-Length: 0\r\n\r\n";
	case REPLY_NOBODY:
		return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	case REPLY_GARBAGE:
		return "SSH-2.0-OpenSSH_9.2\r\n\r\n";
	default:
		return NULL;
	}
}

/* Accept, read a request head, answer, close; REPLY_NONE never answers. */
static void server_poll(struct server *s)
{
	char buf[2048];
	int fd;

	while ((fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		int i = 0;

		while (i < MAX_SRV_CONNS && s->conns[i] >= 0)
			i++;
		if (i == MAX_SRV_CONNS) {
			close(fd);
			continue;
		}
		s->conns[i] = fd;
		s->got[i] = 0;
	}
	for (int i = 0; i < MAX_SRV_CONNS; i++) {
		ssize_t r;
		const char *text = reply_text(s->reply);

		if (s->conns[i] < 0)
			continue;
		r = recv(s->conns[i], buf, sizeof(buf), 0);
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			close(s->conns[i]);
			s->conns[i] = -1;
			continue;
		}
		if (r > 0 && text != NULL &&
		    memmem(buf, (size_t)r, "\r\n\r\n", 4) != NULL) {
			CHECK(memmem(buf, (size_t)r, "GET /ready HTTP/1.1",
				     19) != NULL);
			CHECK(send(s->conns[i], text, strlen(text),
				   MSG_NOSIGNAL) == (ssize_t)strlen(text));
			shutdown(s->conns[i], SHUT_WR);
		}
	}
}

static void server_close(struct server *s)
{
	for (int i = 0; i < MAX_SRV_CONNS; i++)
		if (s->conns[i] >= 0)
			close(s->conns[i]);
	close(s->lfd);
}

/* A port with nothing listening: bound once, then closed. */
static uint16_t refusing_port(void)
{
	uint16_t port = 0;
	int fd = listener(&port, 1);

	close(fd);
	return port;
}

static void target(struct health_target *t, const char *svc, uint16_t port,
		   enum health_type type)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->service, sizeof(t->service), "%s", svc);
	t->addr.family = EP_AF_INET;
	t->addr.bytes[0] = 127;
	t->addr.bytes[3] = 1;
	t->port = port;
	t->backend_port = port;
	health_params_default(&t->params);
	t->params.type = type;
	t->params.interval_ms = 100;
	t->params.timeout_ms = 60;
	t->params.rise = 1;
	t->params.fall = 1;
	snprintf(t->params.path, sizeof(t->params.path), "/ready");
}

/* Drive the engine and the servers for ms milliseconds. */
static int drive(struct health_engine *h, struct server *srv, int n_srv,
		 unsigned int ms)
{
	uint64_t end = health_now_ms() + ms;
	int changes = 0;

	while (health_now_ms() < end) {
		struct pollfd pfd = { .fd = health_engine_fd(h),
				      .events = POLLIN };
		int rc;

		poll(&pfd, 1, 2);
		rc = health_engine_run(h, health_now_ms());
		CHECK(rc >= 0);
		changes += rc > 0 ? rc : 0;
		for (int i = 0; i < n_srv; i++)
			server_poll(&srv[i]);
	}
	return changes;
}

enum {
	T_ACCEPT, /* tcp: a listener (nobody accepts; the kernel does) */
	T_REFUSE, /* tcp: no listener */
	T_FULL, /* tcp: accept queue full, SYNs dropped */
	T_SILENT, /* http: accepts, never answers */
	T_HTTP_OK,
	T_HTTP_503,
	T_HTTP_NOBODY, /* 200 without the body string */
	T_HTTP_GARBAGE,
	T_COUNT
};

/* Fill the accept queue of a listen(fd, 0) socket. */
static int fill_queue(uint16_t port, int *c, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int done = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < n; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(c[i], (struct sockaddr *)&a, sizeof(a));
	}
	usleep(50000);
	for (int i = 0; i < n; i++) {
		int err = 1;
		socklen_t l = sizeof(err);

		getsockopt(c[i], SOL_SOCKET, SO_ERROR, &err, &l);
		done += err == 0;
	}
	return done;
}

static void test_engine(void)
{
	struct server srv[5];
	struct health_target t[T_COUNT];
	struct health_engine *h = health_engine_create();
	struct health_stats st;
	uint16_t accept_port = 0, full_port = 0;
	int accept_fd = listener(&accept_port, 128);
	int full_fd = listener(&full_port, 0), fillers[4];
	const struct health_sm *sm;

	CHECK(h != NULL && accept_fd >= 0 && full_fd >= 0);
	if (h == NULL)
		return;
	/* one connection fills a backlog of 0; the rest wait in SYN_SENT */
	CHECK(fill_queue(full_port, fillers, 4) >= 1);
	server_open(&srv[0], REPLY_NONE);
	server_open(&srv[1], REPLY_OK);
	server_open(&srv[2], REPLY_503);
	server_open(&srv[3], REPLY_NOBODY);
	server_open(&srv[4], REPLY_GARBAGE);
	target(&t[T_ACCEPT], "tcp", accept_port, HEALTH_TCP);
	target(&t[T_REFUSE], "tcp", refusing_port(), HEALTH_TCP);
	target(&t[T_FULL], "tcp", full_port, HEALTH_TCP);
	target(&t[T_SILENT], "http", srv[0].port, HEALTH_HTTP);
	target(&t[T_HTTP_OK], "http", srv[1].port, HEALTH_HTTP);
	target(&t[T_HTTP_503], "http", srv[2].port, HEALTH_HTTP);
	target(&t[T_HTTP_NOBODY], "http", srv[3].port, HEALTH_HTTP);
	target(&t[T_HTTP_GARBAGE], "http", srv[4].port, HEALTH_HTTP);
	for (int i = T_SILENT; i < T_COUNT; i++)
		snprintf(t[i].params.body_contains, HEALTH_BODY_LEN, "ready");
	CHECK(health_engine_set(h, t, T_COUNT, health_now_ms()) == 0);
	CHECK(health_engine_count(h) == T_COUNT);
	CHECK(health_engine_next_ms(h, health_now_ms()) >= 0);
	for (int i = 0; i < T_COUNT; i++)
		CHECK(health_engine_sm(h, i)->state == HEALTH_UP);
	drive(h, srv, 5, 450);

	sm = health_engine_sm(h, T_ACCEPT);
	CHECK_MSG(sm->state == HEALTH_UP && sm->last == HEALTH_R_OK, "%s",
		  health_result_name(sm->last));
	sm = health_engine_sm(h, T_REFUSE);
	CHECK_MSG(sm->state == HEALTH_DOWN && sm->reason == HEALTH_R_REFUSED,
		  "%s", health_result_name(sm->reason));
	CHECK(sm->last_detail == ECONNREFUSED);
	sm = health_engine_sm(h, T_FULL);
	CHECK_MSG(sm->state == HEALTH_DOWN && sm->reason == HEALTH_R_TIMEOUT,
		  "%s", health_result_name(sm->reason));
	CHECK_MSG(sm->last_latency_us >= 59000 && sm->last_latency_us < 90000,
		  "%u %s", sm->last_latency_us, health_result_name(sm->last));
	sm = health_engine_sm(h, T_SILENT);
	CHECK_MSG(sm->state == HEALTH_DOWN && sm->reason == HEALTH_R_TIMEOUT,
		  "%s", health_result_name(sm->reason));
	sm = health_engine_sm(h, T_HTTP_OK);
	CHECK_MSG(sm->state == HEALTH_UP && sm->last == HEALTH_R_OK, "%s",
		  health_result_name(sm->last));
	CHECK(sm->last_detail == 200 && sm->last_latency_us < 60000);
	sm = health_engine_sm(h, T_HTTP_503);
	CHECK_MSG(sm->state == HEALTH_DOWN && sm->reason == HEALTH_R_STATUS &&
			  sm->reason_detail == 503,
		  "%s %d", health_result_name(sm->reason), sm->reason_detail);
	sm = health_engine_sm(h, T_HTTP_NOBODY);
	CHECK_MSG(sm->state == HEALTH_DOWN && sm->reason == HEALTH_R_BODY, "%s",
		  health_result_name(sm->reason));
	sm = health_engine_sm(h, T_HTTP_GARBAGE);
	CHECK_MSG(sm->state == HEALTH_DOWN &&
			  sm->reason == HEALTH_R_BAD_RESPONSE,
		  "%s", health_result_name(sm->reason));

	/* 450 ms at 100 ms: 4 or 5 probes each, never two at once */
	health_engine_stats(h, &st);
	CHECK_MSG(st.probes_started >= 4 * T_COUNT &&
			  st.probes_started <= 5 * T_COUNT + T_COUNT,
		  "%llu", (unsigned long long)st.probes_started);
	CHECK(st.in_flight <= T_COUNT);
	CHECK(st.transitions_down == 6 && st.transitions_up == 0);
	CHECK(st.probes_refused > 0 && st.probes_timeout > 0 &&
	      st.probes_status > 0 && st.probes_body > 0 &&
	      st.probes_bad_response > 0 && st.probes_ok > 0);

	/* the same set again keeps every state; a new target starts up */
	struct health_target t2[T_COUNT + 1];

	memcpy(t2, t, sizeof(t));
	target(&t2[T_COUNT], "new", refusing_port(), HEALTH_TCP);
	t2[T_COUNT].params.fall = 3;
	t2[T_COUNT].params.interval_ms = 100;
	CHECK(health_engine_set(h, t2, T_COUNT + 1, health_now_ms()) == 0);
	CHECK(health_engine_sm(h, T_REFUSE)->state == HEALTH_DOWN);
	CHECK(health_engine_sm(h, T_HTTP_OK)->state == HEALTH_UP);
	CHECK(health_engine_sm(h, T_COUNT)->state == HEALTH_UP);
	CHECK(health_engine_find(h, "new", &t2[T_COUNT].addr,
				 t2[T_COUNT].backend_port) == T_COUNT);
	CHECK(health_engine_find(h, "other", &t2[T_COUNT].addr,
				 t2[T_COUNT].backend_port) == -1);

	/* fall 3 at 100 ms, refused: down within fall x interval + slack */
	uint64_t t0 = health_now_ms(), down_at = 0;

	while (health_now_ms() - t0 < 800 && down_at == 0) {
		drive(h, srv, 5, 10);
		if (health_engine_sm(h, T_COUNT)->state == HEALTH_DOWN)
			down_at = health_now_ms();
	}
	CHECK_MSG(down_at != 0 && down_at - t0 <= 3 * 100 + 60 + 20, "%llu",
		  (unsigned long long)(down_at - t0));

	/* the 503 responder recovers: up after rise (1) probe */
	srv[2].reply = REPLY_OK;
	drive(h, srv, 5, 250);
	CHECK(health_engine_sm(h, T_HTTP_503)->state == HEALTH_UP);
	health_engine_stats(h, &st);
	CHECK(st.transitions_up == 1);

	/* an empty set closes everything */
	CHECK(health_engine_set(h, NULL, 0, health_now_ms()) == 0);
	health_engine_stats(h, &st);
	CHECK(st.in_flight == 0 && st.targets == 0);
	CHECK(health_engine_next_ms(h, health_now_ms()) == -1);
	health_engine_destroy(h);
	for (int i = 0; i < 5; i++)
		server_close(&srv[i]);
	for (int i = 0; i < 4; i++)
		close(fillers[i]);
	close(accept_fd);
	close(full_fd);
}

int main(void)
{
	test_fall_and_rise();
	test_flapping();
	test_timeout_vs_refused();
	test_panic();
	test_defaults();
	test_engine();
	return check_summary("health");
}
