/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/http/h2.c's HTTP/2 streams, driven in one thread: the server on a
 * Unix socket (h2c with prior knowledge) and an nghttp2 client session
 * that this file pumps between calls to http_server_run_once(). Checks the
 * per-connection pool of stream states (reuse, bounds, resets, frees on
 * close) and the pass numbers handlers see.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "../../slowpath/http/http.h"
#include "check.h"

#define MAX_TRACKED 4096 /* streams one client can open in a test */
#define PUMP_LIMIT 100000 /* rounds before a test gives up */

/* ---- the server's side ---------------------------------------------- */

static struct http_server *srv;
static uint64_t passes[MAX_TRACKED]; /* req->pass by handler call */
static unsigned int n_handled;

/*
 * /big?N: N bytes of 'x'. Anything else: "<method> <path> <body_len>
 * <if-match>", so a reused stream state cannot hide behind a right answer.
 */
static void handler(const struct http_request *req, struct http_response *resp,
		    void *arg)
{
	long n = 0;

	(void)arg;
	if (n_handled < MAX_TRACKED)
		passes[n_handled] = req->pass;
	n_handled++;
	resp->status = 200;
	if (strcmp(req->path, "/big") == 0 && req->query)
		n = strtol(req->query, NULL, 10);
	if (n > 0) {
		resp->body = malloc((size_t)n);
		if (resp->body == NULL)
			return;
		memset(resp->body, 'x', (size_t)n);
		resp->body_len = (size_t)n;
		return;
	}
	if (asprintf(&resp->body, "%s %s %zu %s", req->method, req->path,
		     req->body_len, req->if_match ? req->if_match : "-") < 0) {
		resp->body = NULL;
		return;
	}
	resp->body_len = strlen(resp->body);
}

static struct http_stats server_stats(void)
{
	struct http_stats st;

	http_server_stats(srv, &st);
	return st;
}

/* ---- the client's side ---------------------------------------------- */

struct stream_rec {
	int status;
	size_t got; /* body bytes */
	char body[128]; /* the first bytes */
	uint64_t fnv; /* FNV-1a of the whole body */
	bool closed;
	uint32_t close_code;
};

struct client {
	int fd;
	nghttp2_session *h2;
	struct stream_rec rec[MAX_TRACKED]; /* by (stream id - 1) / 2 */
	unsigned int closed; /* streams closed so far */
	uint8_t *out; /* bytes nghttp2 produced, not yet written */
	size_t out_len, out_cap;
	bool eof;
};

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ull

static struct stream_rec *rec_of(struct client *cl, int32_t id)
{
	unsigned int i = (unsigned int)(id - 1) / 2;

	return id > 0 && i < MAX_TRACKED ? &cl->rec[i] : NULL;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f,
		     const uint8_t *name, size_t nlen, const uint8_t *value,
		     size_t vlen, uint8_t flags, void *ud)
{
	struct stream_rec *r = rec_of(ud, f->hd.stream_id);

	(void)s;
	(void)flags;
	if (r && nlen == 7 && memcmp(name, ":status", 7) == 0 && vlen == 3)
		r->status = atoi((const char *)value);
	return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id,
		   const uint8_t *data, size_t len, void *ud)
{
	struct stream_rec *r = rec_of(ud, id);
	size_t room;

	(void)s;
	(void)flags;
	if (r == NULL)
		return 0;
	room = r->got < sizeof(r->body) - 1 ? sizeof(r->body) - 1 - r->got : 0;
	memcpy(r->body + r->got, data, len < room ? len : room);
	r->fnv = fnv1a(r->got ? r->fnv : FNV_INIT, data, len);
	r->got += len;
	return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
	struct client *cl = ud;
	struct stream_rec *r = rec_of(cl, id);

	(void)s;
	if (r) {
		r->closed = true;
		r->close_code = code;
	}
	cl->closed++;
	return 0;
}

static int client_open(struct client *cl, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	nghttp2_session_callbacks *cb;

	memset(cl, 0, sizeof(*cl));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	cl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (cl->fd < 0 ||
	    connect(cl->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -1;
	if (nghttp2_session_callbacks_new(&cb) != 0)
		return -1;
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	if (nghttp2_session_client_new(&cl->h2, cb, cl) != 0) {
		nghttp2_session_callbacks_del(cb);
		return -1;
	}
	nghttp2_session_callbacks_del(cb);
	return nghttp2_submit_settings(cl->h2, NGHTTP2_FLAG_NONE, NULL, 0);
}

static void client_close(struct client *cl)
{
	nghttp2_session_del(cl->h2);
	free(cl->out);
	if (cl->fd >= 0)
		close(cl->fd);
	cl->h2 = NULL;
	cl->out = NULL;
	cl->fd = -1;
}

/* Take what nghttp2 has to send into out. */
static int client_produce(struct client *cl)
{
	const uint8_t *data;
	ssize_t n;

	while ((n = nghttp2_session_mem_send(cl->h2, &data)) > 0) {
		if (cl->out_len + (size_t)n > cl->out_cap) {
			size_t cap = (cl->out_len + (size_t)n) * 2;
			uint8_t *p = realloc(cl->out, cap);

			if (p == NULL)
				return -1;
			cl->out = p;
			cl->out_cap = cap;
		}
		memcpy(cl->out + cl->out_len, data, (size_t)n);
		cl->out_len += (size_t)n;
	}
	return n < 0 ? -1 : 0;
}

/* Write out what the socket takes, read and feed what it has. */
static int client_io(struct client *cl)
{
	uint8_t buf[16384];
	ssize_t n;

	if (client_produce(cl) < 0)
		return -1;
	if (cl->out_len > 0) {
		n = send(cl->fd, cl->out, cl->out_len, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN)
			return -1;
		if (n > 0) {
			memmove(cl->out, cl->out + n, cl->out_len - (size_t)n);
			cl->out_len -= (size_t)n;
		}
	}
	while ((n = recv(cl->fd, buf, sizeof(buf), 0)) > 0)
		if (nghttp2_session_mem_recv(cl->h2, buf, (size_t)n) < 0)
			return -1;
	if (n == 0)
		cl->eof = true;
	return n < 0 && errno != EAGAIN ? -1 : 0;
}

/* One round: the client's I/O, then one server pass. */
static int pump(struct client *cl)
{
	if (cl && client_io(cl) < 0)
		return -1;
	return http_server_run_once(srv, 0) < 0 ? -1 : 0;
}

/* Pump until `closed` streams are closed (or the connection ends). */
static bool pump_until_closed(struct client *cl, unsigned int closed)
{
	for (int i = 0; i < PUMP_LIMIT; i++) {
		if (cl->closed >= closed)
			return true;
		if (pump(cl) < 0 || cl->eof)
			return false;
	}
	return false;
}

static int32_t client_get(struct client *cl, const char *path,
			  const char *if_match)
{
	nghttp2_nv nv[5];
	size_t n = 0;

#define NV(k, v)                                                               \
	nv[n++] = (nghttp2_nv){ (uint8_t *)(k), (uint8_t *)(v), strlen(k),     \
				strlen(v), NGHTTP2_NV_FLAG_NONE }
	NV(":method", "GET");
	NV(":scheme", "http");
	NV(":authority", "test");
	NV(":path", path);
	if (if_match)
		NV("if-match", if_match);
#undef NV
	return nghttp2_submit_request(cl->h2, NULL, nv, n, NULL, NULL);
}

/* ---- tests ---------------------------------------------------------- */

static char sock_path[108];

static bool rec_is(const struct stream_rec *r, const char *body)
{
	size_t n = strlen(body);

	return r->closed && r->close_code == 0 && r->status == 200 &&
	       r->got == n &&
	       strncmp(r->body, body, sizeof(r->body) - 1) == 0 &&
	       r->fnv == fnv1a(FNV_INIT, (const uint8_t *)body, n);
}

/*
 * 1000 streams on one connection, at most 10 open at once: each gets its
 * own answer, and the connection keeps no more spare states than it had
 * open streams at once (reuse), all freed when it closes.
 */
static void test_many_streams(void)
{
	static struct client cl;
	unsigned int submitted = 0, bad = 0;
	struct http_stats st;
	char path[64], want[128];

	CHECK(client_open(&cl, sock_path) == 0);
	while (submitted < 1000) {
		while (submitted - cl.closed < 10 && submitted < 1000) {
			snprintf(path, sizeof(path), "/s/%u", submitted);
			CHECK(client_get(&cl, path,
					 submitted % 3 ? NULL : "\"7\"") ==
			      (int32_t)(2 * submitted + 1));
			submitted++;
		}
		if (!pump_until_closed(&cl, cl.closed + 1))
			break;
		st = server_stats();
		if (st.h2_streams_open + st.h2_streams_spare > 10)
			bad++;
	}
	CHECK(pump_until_closed(&cl, 1000));
	for (unsigned int i = 0; i < 1000; i++) {
		snprintf(want, sizeof(want), "GET /s/%u 0 %s", i,
			 i % 3 ? "-" : "\"7\"");
		CHECK_MSG(rec_is(&cl.rec[i], want), "stream %u: %d '%s'", i,
			  cl.rec[i].status, cl.rec[i].body);
	}
	CHECK_MSG(bad == 0, "%u times more than 10 states", bad);
	st = server_stats();
	CHECK(st.h2_streams_open == 0);
	CHECK(st.h2_streams_spare >= 1 && st.h2_streams_spare <= 10);
	client_close(&cl);
	for (int i = 0; i < 10; i++)
		pump(NULL);
	st = server_stats();
	CHECK(st.conns_open == 0 && st.h2_streams_spare == 0);
}

/*
 * Fields of every length around the stream's own room for them (copied
 * there while they fit, allocated beyond), on reused stream states.
 */
static void test_long_fields(void)
{
	static const size_t lens[] = { 1,   60,	 100, 117, 118, 119,
				       126, 127, 128, 129, 200, 4000 };
	static struct client cl;
	static char path[5000], tag[5000], want[10100];
	size_t n = sizeof(lens) / sizeof(lens[0]);
	unsigned int k = 0;
	int32_t id;

	CHECK(client_open(&cl, sock_path) == 0);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j += 3, k++) {
			memset(path, 'p', lens[i]);
			path[0] = '/';
			path[lens[i]] = 0;
			memset(tag, 't', lens[j]);
			tag[lens[j]] = 0;
			id = client_get(&cl, path, tag);
			CHECK(pump_until_closed(&cl, k + 1));
			snprintf(want, sizeof(want), "GET %s 0 %s", path, tag);
			CHECK_MSG(rec_is(rec_of(&cl, id), want),
				  "path %zu if-match %zu: %d", lens[i], lens[j],
				  rec_of(&cl, id)->status);
		}
	}
	CHECK(server_stats().h2_streams_spare == 1);
	client_close(&cl);
	for (int i = 0; i < 10; i++)
		pump(NULL);
}

/*
 * The most the client may open at once (SETTINGS_MAX_CONCURRENT_STREAMS),
 * twice: the pool never holds more than HTTP_MAX_STREAMS states.
 */
static void test_pool_bound(void)
{
	static struct client cl;
	struct http_stats st;
	char path[32];

	CHECK(client_open(&cl, sock_path) == 0);
	for (unsigned int round = 0; round < 3; round++) {
		for (unsigned int i = 0; i < HTTP_MAX_STREAMS; i++) {
			snprintf(path, sizeof(path), "/r%u/%u", round, i);
			client_get(&cl, path, NULL);
		}
		CHECK(pump_until_closed(&cl, (round + 1) * HTTP_MAX_STREAMS));
		st = server_stats();
		CHECK_MSG(st.h2_streams_open == 0 &&
				  st.h2_streams_spare <= HTTP_MAX_STREAMS,
			  "open %llu spare %llu",
			  (unsigned long long)st.h2_streams_open,
			  (unsigned long long)st.h2_streams_spare);
	}
	for (unsigned int i = 0; i < 3 * HTTP_MAX_STREAMS; i++)
		if (cl.rec[i].status != 200 || !cl.rec[i].closed)
			CHECK_MSG(false, "stream %u: %d", i, cl.rec[i].status);
	client_close(&cl);
	for (int i = 0; i < 10; i++)
		pump(NULL);
	CHECK(server_stats().h2_streams_spare == 0);
}

/*
 * A client that cancels a response part way through: the stream's state
 * goes back to the pool and the next streams on the connection, which may
 * get it, answer correctly.
 */
static void test_reset_mid_response(void)
{
	static struct client cl;
	struct http_stats st;
	int32_t big, id;
	char want[64];
	int i;

	CHECK(client_open(&cl, sock_path) == 0);
	for (unsigned int round = 0; round < 20; round++) {
		big = client_get(&cl, "/big?1000000", NULL);
		for (i = 0; i < PUMP_LIMIT && rec_of(&cl, big)->got == 0; i++)
			if (pump(&cl) < 0)
				break;
		CHECK(rec_of(&cl, big)->got > 0 && !rec_of(&cl, big)->closed);
		nghttp2_submit_rst_stream(cl.h2, NGHTTP2_FLAG_NONE, big,
					  NGHTTP2_CANCEL);
		CHECK(pump_until_closed(&cl, cl.closed + 1));
		CHECK(rec_of(&cl, big)->got < 1000000);
		for (i = 0; i < 20; i++) /* the server sees the reset */
			pump(&cl);
		st = server_stats();
		CHECK(st.h2_streams_open == 0 && st.h2_streams_spare >= 1);
		id = client_get(&cl, "/after", round % 2 ? "*" : NULL);
		CHECK(pump_until_closed(&cl, cl.closed + 1));
		snprintf(want, sizeof(want), "GET /after 0 %s",
			 round % 2 ? "*" : "-");
		CHECK_MSG(rec_is(rec_of(&cl, id), want), "'%s'",
			  rec_of(&cl, id)->body);
	}
	st = server_stats();
	CHECK(st.h2_streams_spare <= 2);
	client_close(&cl);
	for (i = 0; i < 10; i++)
		pump(NULL);
	CHECK(server_stats().h2_streams_spare == 0);
}

/*
 * A stream reset before its request is complete (no response yet), and a
 * connection closed with streams still open: nothing leaks (ASan) and the
 * gauges come back to zero.
 */
static void test_reset_and_close_open_streams(void)
{
	static struct client cl;
	nghttp2_nv nv[] = {
		{ (uint8_t *)":method", (uint8_t *)"PUT", 7, 3, 0 },
		{ (uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0 },
		{ (uint8_t *)":authority", (uint8_t *)"t", 10, 1, 0 },
		{ (uint8_t *)":path", (uint8_t *)"/up", 5, 3, 0 },
	};
	int32_t id;
	int i;

	CHECK(client_open(&cl, sock_path) == 0);
	/* HEADERS without END_STREAM: the request stays open */
	id = nghttp2_submit_headers(cl.h2, NGHTTP2_FLAG_NONE, -1, NULL, nv, 4,
				    NULL);
	CHECK(id > 0);
	for (i = 0; i < 20; i++)
		pump(&cl);
	CHECK(server_stats().h2_streams_open == 1);
	nghttp2_submit_rst_stream(cl.h2, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
	for (i = 0; i < 20; i++)
		pump(&cl);
	CHECK(server_stats().h2_streams_open == 0);
	CHECK(server_stats().h2_streams_spare == 1);
	for (unsigned int k = 0; k < 5; k++) /* left open at close */
		CHECK(nghttp2_submit_headers(cl.h2, NGHTTP2_FLAG_NONE, -1, NULL,
					     nv, 4, NULL) > 0);
	client_get(&cl, "/big?8000000", NULL); /* answered in part */
	for (i = 0; i < 20; i++)
		pump(&cl);
	CHECK(server_stats().h2_streams_open == 6);
	client_close(&cl);
	for (i = 0; i < 10; i++)
		pump(NULL);
	CHECK(server_stats().h2_streams_open == 0);
	CHECK(server_stats().h2_streams_spare == 0);
	CHECK(server_stats().conns_open == 0);
}

/*
 * Requests that arrive together are served in one pass and see the same
 * non-zero pass number; a later pass has another one.
 */
static void test_pass_numbers(void)
{
	static struct client cl;
	unsigned int first;
	int i;

	CHECK(client_open(&cl, sock_path) == 0);
	client_get(&cl, "/warm", NULL);
	CHECK(pump_until_closed(&cl, 1));
	for (unsigned int batch = 0; batch < 3; batch++) {
		first = n_handled;
		for (i = 0; i < 20; i++)
			client_get(&cl, "/p", NULL);
		CHECK(client_io(&cl) == 0 && cl.out_len == 0); /* one write */
		CHECK(http_server_run_once(srv, 1000) > 0);
		CHECK_MSG(n_handled == first + 20, "%u handled",
			  n_handled - first);
		for (unsigned int k = first; k < n_handled; k++)
			CHECK(passes[k] != 0 && passes[k] == passes[first]);
		CHECK(first == 0 || passes[first] != passes[first - 1]);
		CHECK(pump_until_closed(&cl, 1 + 20 * (batch + 1)));
	}
	client_close(&cl);
	for (i = 0; i < 10; i++)
		pump(NULL);
}

int main(void)
{
	struct http_server_config cfg = { .handler = handler };
	char dir[] = "/tmp/test_http_h2.XXXXXX";

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/s.sock", dir);
	srv = http_server_create(&cfg);
	if (srv == NULL || http_server_add_listener_unix(srv, sock_path) < 0) {
		fprintf(stderr, "cannot start the server\n");
		return 1;
	}
	test_many_streams();
	test_long_fields();
	test_pool_bound();
	test_reset_mid_response();
	test_reset_and_close_open_streams();
	test_pass_numbers();
	http_server_destroy(srv);
	rmdir(dir);
	return check_summary("http_h2");
}
