/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/2 abuse against the control API's HTTP server core (slowpath/
 * http/), run by tests/integration/test_http.c's server on a cleartext
 * loopback listener, h2 with prior knowledge), with frames written by
 * hand: a bad preface, rapid reset, a CONTINUATION flood, an HPACK bomb,
 * an oversized header list, SETTINGS and PING floods, WINDOW_UPDATE of
 * zero and past 2^31-1 (connection and stream), more streams than
 * SETTINGS_MAX_CONCURRENT_STREAMS. For each: the server answers with
 * GOAWAY, RST_STREAM or a 4xx (or closes the connection), a probe
 * process beside the attacks (a fresh connection and GET every 20 ms)
 * sees no failure, and the server's RSS after all attacks is within
 * RSS_SLACK_KB of before.
 *
 *   test_h2_abuse PORT SERVER_PID [PATH]
 *
 * PATH (default "/") is what every request asks for; the probe needs a
 * 2xx for it (the slow path's /healthz: test_h2_abuse_slowpath.sh).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "check.h"

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define F_DATA 0
#define F_HEADERS 1
#define F_RST 3
#define F_SETTINGS 4
#define F_PING 6
#define F_GOAWAY 7
#define F_WINDOW 8
#define F_CONT 9
#define FL_END_STREAM 0x1
#define FL_END_HEADERS 0x4
#define READ_MS 3000
#define RSS_SLACK_KB (16 * 1024)

#define REQ_PATH_MAX 32

static uint16_t port;
static const char *req_path = "/";

/* What came back on a connection. */
struct seen {
	unsigned int goaway, rst, headers;
	uint32_t goaway_code, rst_code;
	int status; /* the last response :status, 0 none */
	int closed; /* the server closed the connection */
};

/* ------------------------------------------------------------------ */
/* Frames.                                                              */

static const struct timeval snd_timeout = { .tv_sec = 3 };

/* rcvbuf > 0: a small receive buffer (an attacker that never reads). */
static int conn_open_rcvbuf(int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* a server that stops reading must not hang the attacker */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd_timeout,
		   sizeof(snd_timeout));
	return fd;
}

static int conn_open(void)
{
	return conn_open_rcvbuf(0);
}

/* Write all of buf; 0, or -1 once the server has closed. */
static int put(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int frame(int fd, uint8_t type, uint8_t flags, uint32_t sid,
		 const void *payload, uint32_t len)
{
	uint8_t h[9] = { (uint8_t)(len >> 16),
			 (uint8_t)(len >> 8),
			 (uint8_t)len,
			 type,
			 flags,
			 (uint8_t)(sid >> 24),
			 (uint8_t)(sid >> 16),
			 (uint8_t)(sid >> 8),
			 (uint8_t)sid };

	if (put(fd, h, 9) != 0)
		return -1;
	return len ? put(fd, payload, len) : 0;
}

/* `count` copies of one frame, sent 64 kB at a time; the copies sent. */
static int flood(int fd, uint8_t type, uint32_t sid, const void *payload,
		 uint32_t len, int count)
{
	static uint8_t buf[65536];
	uint32_t one = 9 + len, per = (uint32_t)sizeof(buf) / one;
	int sent = 0;

	for (uint32_t i = 0; i < per; i++) {
		uint8_t *h = buf + i * one;

		h[0] = (uint8_t)(len >> 16);
		h[1] = (uint8_t)(len >> 8);
		h[2] = (uint8_t)len;
		h[3] = type;
		h[4] = 0;
		h[5] = (uint8_t)(sid >> 24);
		h[6] = (uint8_t)(sid >> 16);
		h[7] = (uint8_t)(sid >> 8);
		h[8] = (uint8_t)sid;
		if (len)
			memcpy(h + 9, payload, len);
	}
	while (sent < count) {
		uint32_t n = (uint32_t)(count - sent) < per
				     ? (uint32_t)(count - sent)
				     : per;

		if (put(fd, buf, (size_t)n * one) != 0)
			break;
		sent += (int)n;
	}
	return sent;
}

static int hello(int fd)
{
	return put(fd, PREFACE, sizeof(PREFACE) - 1) ||
	       frame(fd, F_SETTINGS, 0, 0, NULL, 0);
}

/* An HPACK integer with an n-bit prefix under `first`'s high bits. */
static size_t hp_int(uint8_t *o, uint8_t first, unsigned int nbits, size_t v)
{
	size_t max = (1u << nbits) - 1, k = 0;

	if (v < max) {
		o[k++] = (uint8_t)(first | v);
		return k;
	}
	o[k++] = (uint8_t)(first | max);
	for (v -= max; v >= 128; v >>= 7)
		o[k++] = (uint8_t)(v % 128 + 128);
	o[k++] = (uint8_t)v;
	return k;
}

/* A literal field (new name, `first` 0x40 indexed or 0x00 not). */
static size_t hp_lit(uint8_t *o, uint8_t first, const char *name,
		     const char *value, size_t vlen)
{
	size_t k = 1, nl = strlen(name);

	o[0] = first;
	k += hp_int(o + k, 0, 7, nl);
	memcpy(o + k, name, nl);
	k += nl;
	k += hp_int(o + k, 0, 7, vlen);
	memcpy(o + k, value, vlen);
	return k + vlen;
}

/* GET req_path with :authority: the pseudo-headers of every request.
 * "/" is the static table's; another path a literal without indexing
 * (name :path, index 4), at most REQ_PATH_MAX bytes. */
static size_t hp_get(uint8_t *o)
{
	static const uint8_t authority[] = { 0x01, 1, 'x' };
	size_t k = 2, n = strlen(req_path);

	o[0] = 0x82; /* :method GET */
	o[1] = 0x86; /* :scheme http */
	if (strcmp(req_path, "/") == 0) {
		o[k++] = 0x84;
	} else {
		o[k++] = 0x04;
		k += hp_int(o + k, 0, 7, n);
		memcpy(o + k, req_path, n);
		k += n;
	}
	memcpy(o + k, authority, sizeof(authority));
	return k + sizeof(authority);
}

static int get(int fd, uint32_t sid, int end_stream)
{
	uint8_t b[64];
	size_t n = hp_get(b);

	return frame(fd, F_HEADERS,
		     FL_END_HEADERS | (end_stream ? FL_END_STREAM : 0), sid, b,
		     (uint32_t)n);
}

/* ------------------------------------------------------------------ */
/* Reading what comes back.                                             */

static int status_of(nghttp2_hd_inflater *inf, const uint8_t *blk, size_t n)
{
	int status = 0;

	while (n > 0) {
		nghttp2_nv nv;
		int fl = 0;
		ssize_t r = nghttp2_hd_inflate_hd2(inf, &nv, &fl, blk, n, 1);

		if (r < 0)
			return -1;
		blk += r;
		n -= (size_t)r;
		if ((fl & NGHTTP2_HD_INFLATE_EMIT) && nv.namelen == 7 &&
		    memcmp(nv.name, ":status", 7) == 0)
			status = atoi((const char *)nv.value);
		if (fl & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(inf);
			break;
		}
		if (r == 0 && !(fl & NGHTTP2_HD_INFLATE_EMIT))
			break;
	}
	return status;
}

/* Read frames for up to ms (or until closed / a GOAWAY). */
static int collect_until_status; /* the probe: stop at the first answer */

static void collect(int fd, struct seen *s, int ms)
{
	static uint8_t buf[1 << 20];
	nghttp2_hd_inflater *inf;
	size_t have = 0;
	struct timespec t0, t;

	memset(s, 0, sizeof(*s));
	nghttp2_hd_inflate_new(&inf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long el;
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &t);
		el = (t.tv_sec - t0.tv_sec) * 1000 +
		     (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= ms || s->goaway ||
		    (collect_until_status && s->status))
			break;
		if (poll(&p, 1, (int)(ms - el)) <= 0)
			break;
		r = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (r <= 0) {
			s->closed = 1;
			break;
		}
		have += (size_t)r;
		while (have >= 9) {
			uint32_t len = (uint32_t)buf[0] << 16 |
				       (uint32_t)buf[1] << 8 | buf[2];
			uint8_t *pl = buf + 9;

			if (have < 9 + len)
				break;
			if (buf[3] == F_GOAWAY && len >= 8) {
				s->goaway++;
				s->goaway_code = (uint32_t)pl[4] << 24 |
						 (uint32_t)pl[5] << 16 |
						 (uint32_t)pl[6] << 8 | pl[7];
			} else if (buf[3] == F_RST && len == 4) {
				s->rst++;
				s->rst_code = (uint32_t)pl[0] << 24 |
					      (uint32_t)pl[1] << 16 |
					      (uint32_t)pl[2] << 8 | pl[3];
			} else if (buf[3] == F_HEADERS) {
				s->headers++;
				s->status = status_of(inf, pl, len);
			}
			memmove(buf, buf + 9 + len, have - 9 - len);
			have -= 9 + len;
		}
		if (have == sizeof(buf))
			have = 0; /* a huge frame: skip what we hold */
	}
	nghttp2_hd_inflate_del(inf);
}

/* The server refused: GOAWAY, RST_STREAM, a 4xx, or it hung up. */
static int refused(const struct seen *s)
{
	return s->goaway || s->rst || (s->status >= 400 && s->status < 500) ||
	       s->closed;
}

static void report(const char *what, const struct seen *s)
{
	printf("# %s: goaway %u (code %u), rst %u (code %u), status %d, "
	       "closed %d\n",
	       what, s->goaway, s->goaway_code, s->rst, s->rst_code, s->status,
	       s->closed);
}

/* ------------------------------------------------------------------ */
/* Attacks: each on its own connection; returns what came back.         */

static int attack_done(int fd, const char *what, int want_goaway)
{
	fflush(stdout);
	struct seen s;

	collect(fd, &s, READ_MS);
	close(fd);
	report(what, &s);
	if (want_goaway)
		CHECK_MSG(s.goaway || s.closed, "%s: no GOAWAY, not closed",
			  what);
	else
		CHECK_MSG(refused(&s), "%s: nothing refused", what);
	return 0;
}

static void bad_preface(void)
{
	int fd = conn_open();

	CHECK(fd >= 0);
	put(fd, "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", 24);
	attack_done(fd, "bad preface", 1);
}

static void rapid_reset(void)
{
	static const uint8_t cancel[4] = { 0, 0, 0, 8 };
	int fd = conn_open();

	CHECK(fd >= 0 && hello(fd) == 0);
	for (uint32_t i = 0, sid = 1; i < 5000; i++, sid += 2)
		if (get(fd, sid, 1) || frame(fd, F_RST, 0, sid, cancel, 4))
			break;
	attack_done(fd, "rapid reset (5000 HEADERS+RST_STREAM)", 1);
}

static void continuation_flood(void)
{
	uint8_t b[64], pad[256];
	int fd = conn_open();
	size_t n;

	CHECK(fd >= 0 && hello(fd) == 0);
	n = hp_get(b);
	frame(fd, F_HEADERS, FL_END_STREAM, 1, b, (uint32_t)n);
	n = hp_lit(pad, 0x00, "x-a", "b", 1); /* a small field each time */
	flood(fd, F_CONT, 1, pad, (uint32_t)n, 10000);
	attack_done(fd, "CONTINUATION flood (10000 frames)", 0);
}

static void hpack_bomb(void)
{
	static uint8_t b[16384];
	static char big[4000];
	int fd = conn_open();
	size_t n;

	CHECK(fd >= 0 && hello(fd) == 0);
	memset(big, 'a', sizeof(big));
	n = hp_get(b);
	/* one 4 kB field into the dynamic table (index 62), then 4000
	 * one-byte references to it: 16 MB of header list from 8 kB */
	n += hp_lit(b + n, 0x40, "x-bomb", big, sizeof(big));
	for (int i = 0; i < 4000 && n < sizeof(b); i++)
		b[n++] = 0x80 | 62;
	frame(fd, F_HEADERS, FL_END_HEADERS | FL_END_STREAM, 1, b, (uint32_t)n);
	attack_done(fd, "HPACK bomb (4 kB entry referenced 4000 times)", 0);
}

static void big_header_list(void)
{
	static uint8_t b[40000];
	static char big[30000];
	int fd = conn_open();
	size_t n;

	CHECK(fd >= 0 && hello(fd) == 0);
	memset(big, 'v', sizeof(big));
	n = hp_get(b);
	n += hp_lit(b + n, 0x00, "x-big", big, sizeof(big));
	/* in frames of 16384 bytes (the default SETTINGS_MAX_FRAME_SIZE) */
	for (size_t off = 0; off < n; off += 16384) {
		size_t k = n - off < 16384 ? n - off : 16384;
		uint8_t fl = off + k == n ? FL_END_HEADERS : 0;

		if (off == 0)
			fl |= FL_END_STREAM;
		if (frame(fd, off == 0 ? F_HEADERS : F_CONT, fl, 1, b + off,
			  (uint32_t)k))
			break;
	}
	attack_done(fd, "header list of 30 kB", 0);
}

static void settings_flood(void)
{
	int fd = conn_open_rcvbuf(4096);

	CHECK(fd >= 0 && hello(fd) == 0);
	flood(fd, F_SETTINGS, 0, NULL, 0, 400000);
	attack_done(fd, "SETTINGS flood (400000, ACKs never read)", 1);
}

/*
 * PING ACKs are written as the PINGs come; once the attacker's receive
 * window is full the server stops reading it (its output is pending), so
 * the flood stalls with at most one socket buffer queued: GOAWAY (more
 * than HTTP_H2_MAX_OUTBOUND_ACK ACKs queued), a close, or the sender
 * blocked are all the defence working.
 */
#define PING_FLOOD 2000000 /* 34 MB: more than both socket buffers */

static void ping_flood(void)
{
	static const uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	int fd = conn_open_rcvbuf(4096), i;
	struct seen s;

	CHECK(fd >= 0 && hello(fd) == 0);
	i = flood(fd, F_PING, 0, data, 8, PING_FLOOD);
	collect(fd, &s, READ_MS);
	close(fd);
	printf("# PING flood: %d of %d PINGs written\n", i, PING_FLOOD);
	report("PING flood (ACKs never read)", &s);
	CHECK_MSG(s.goaway || s.closed || i < PING_FLOOD,
		  "PING flood: all %d taken, no GOAWAY, not closed",
		  PING_FLOOD);
}

static void window_update(uint32_t sid, uint32_t incr, int times,
			  const char *what, int want_goaway)
{
	uint8_t w[4] = { (uint8_t)(incr >> 24), (uint8_t)(incr >> 16),
			 (uint8_t)(incr >> 8), (uint8_t)incr };
	int fd = conn_open();

	CHECK(fd >= 0 && hello(fd) == 0);
	if (sid)
		get(fd, sid, 0); /* an open stream (its body never comes) */
	for (int i = 0; i < times; i++)
		frame(fd, F_WINDOW, 0, sid, w, 4);
	attack_done(fd, what, want_goaway);
}

static void too_many_streams(void)
{
	struct seen s;
	int fd = conn_open();

	CHECK(fd >= 0 && hello(fd) == 0);
	/* 150 streams left open (no END_STREAM): past 100 is refused */
	for (uint32_t i = 0, sid = 1; i < 150; i++, sid += 2)
		get(fd, sid, 0);
	collect(fd, &s, READ_MS);
	close(fd);
	report("150 open streams (limit 100)", &s);
	CHECK_MSG(s.rst >= 50 || s.goaway,
		  "150 streams: %u RST_STREAM, no GOAWAY", s.rst);
}

/* ------------------------------------------------------------------ */
/* The probe beside the attacks, and the server's memory.               */

static volatile sig_atomic_t probe_stop;

static void on_term(int sig)
{
	(void)sig;
	probe_stop = 1;
}

/* One GET on a fresh connection: 0 when it got a 2xx. */
static int probe_once(void)
{
	struct seen s;
	int fd = conn_open();

	if (fd < 0 || hello(fd) || get(fd, 1, 1)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	collect(fd, &s, 2000);
	close(fd);
	return s.status >= 200 && s.status < 300 ? 0 : -1;
}

static pid_t probe_start(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		unsigned int ok = 0, bad = 0;

		signal(SIGTERM, on_term);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		collect_until_status = 1;
		while (!probe_stop) {
			if (probe_once() == 0) {
				ok++;
			} else if (!probe_stop) { /* not our own SIGTERM */
				bad++;
				printf("# probe failed (errno %d)\n", errno);
			}
			usleep(20000);
		}
		printf("# probe: %u answered, %u failed\n", ok, bad);
		fflush(stdout);
		_exit(bad == 0 && ok > 10 ? 0 : 1);
	}
	return pid;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	pid_t server, probe;
	long rss0, rss1;
	int st = 0;

	if (argc != 3 && argc != 4) {
		fprintf(stderr,
			"usage: test_h2_abuse PORT SERVER_PID [PATH]\n");
		return 2;
	}
	if (argc == 4) {
		req_path = argv[3];
		if (req_path[0] != '/' || strlen(req_path) > REQ_PATH_MAX) {
			fprintf(stderr, "PATH: /..., at most %d bytes\n",
				REQ_PATH_MAX);
			return 2;
		}
	}
	port = (uint16_t)atoi(argv[1]);
	server = (pid_t)atoi(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	CHECK_MSG(probe_once() == 0, "the server does not answer a GET");
	rss0 = rss_kb(server);
	probe = probe_start();

	bad_preface();
	rapid_reset();
	continuation_flood();
	hpack_bomb();
	big_header_list();
	settings_flood();
	ping_flood();
	window_update(0, 0, 1, "WINDOW_UPDATE 0 on the connection", 1);
	window_update(1, 0, 1, "WINDOW_UPDATE 0 on a stream", 0);
	window_update(0, 0x7fffffff, 2,
		      "connection window past 2^31-1 (FLOW_CONTROL_ERROR)", 1);
	window_update(1, 0x7fffffff, 2,
		      "stream window past 2^31-1 (FLOW_CONTROL_ERROR)", 0);
	too_many_streams();

	kill(probe, SIGTERM);
	waitpid(probe, &st, 0);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "the probe beside the attacks saw failures");
	CHECK_MSG(probe_once() == 0, "the server does not answer afterwards");
	usleep(200000);
	rss1 = rss_kb(server);
	printf("# server RSS: %ld kB before, %ld kB after\n", rss0, rss1);
	CHECK_MSG(rss0 > 0 && rss1 > 0 && rss1 - rss0 < RSS_SLACK_KB,
		  "server RSS grew from %ld to %ld kB", rss0, rss1);
	return check_summary("h2_abuse");
}
