/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/node/: the announce/withdraw decision for every state of the
 * node (fast path alive, configuration acknowledged, drained, stopping)
 * and of the services (healthy backends or none, shared VIPs, both
 * families); the BIRD include file it renders; the BIRD driver against a
 * fake BIRD control socket (greeting, configure, success, refusal, retry
 * time, silence, no BIRD at all); and the node's stop with its grace.
 * Time is passed in, so nothing here sleeps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "announce.h"
#include "bird.h"
#include "check.h"
#include "node.h"

static struct ep_ip ip4(const char *s)
{
	struct ep_ip ip = { .family = EP_AF_INET };

	inet_pton(AF_INET, s, ip.bytes);
	return ip;
}

static struct ep_ip ip6(const char *s)
{
	struct ep_ip ip = { .family = EP_AF_INET6 };

	inet_pton(AF_INET6, s, ip.bytes);
	return ip;
}

/* Every one of the 2^4 node states times healthy / not healthy. */
static void test_every_state(void)
{
	for (unsigned int m = 0; m < 32; m++) {
		struct ann_node_in in = {
			.fastpath_alive = m & 1,
			.config_acked = m & 2,
			.drained = m & 4,
			.stopping = m & 8,
		};
		struct ann_service_in s = { ip4("10.0.0.1"), (m & 16) ? 3 : 0 };
		struct ann_vip v;
		uint32_t want = 0;

		want |= (m & 1) ? 0 : ANN_R_FASTPATH;
		want |= (m & 2) ? 0 : ANN_R_CONFIG;
		want |= (m & 4) ? ANN_R_DRAINED : 0;
		want |= (m & 8) ? ANN_R_STOPPING : 0;
		CHECK(ann_node_reasons(&in) == want);
		want |= (m & 16) ? 0 : ANN_R_NO_HEALTHY;
		CHECK(ann_decide(&in, &s, 1, &v, 1) == 1);
		CHECK_MSG(v.reasons == want, "state %u: %#x", m, v.reasons);
		/* announced in exactly one of the 32 states */
		CHECK((v.reasons == 0) == (m == (1 | 2 | 16)));
	}
}

static const struct ann_node_in ok_node = { true, true, false, false };

static void test_shared_vips(void)
{
	struct ann_service_in s[] = {
		{ ip4("10.0.0.1"), 0 }, /* port 80, all backends down */
		{ ip6("fd00::1"), 2 },
		{ ip4("10.0.0.1"), 1 }, /* port 443 of the same VIP */
		{ ip4("10.0.0.2"), 0 },
		{ ip6("fd00::1"), 0 },
	};
	struct ann_vip v[4];

	CHECK(ann_decide(&ok_node, s, 5, v, 4) == 3);
	CHECK(memcmp(&v[0].vip, &s[0].vip, sizeof(v[0].vip)) == 0);
	CHECK(v[0].reasons == 0 && v[0].n_services == 2 && v[0].healthy == 1);
	CHECK(v[1].vip.family == EP_AF_INET6 && v[1].reasons == 0 &&
	      v[1].n_services == 2 && v[1].healthy == 2);
	CHECK(v[2].reasons == ANN_R_NO_HEALTHY && v[2].n_services == 1);
	/* too small an array: says so */
	CHECK(ann_decide(&ok_node, s, 5, v, 2) == -1);
	CHECK(ann_decide(&ok_node, s, 0, v, 4) == 0);
	CHECK(strcmp(ann_reason_name(ANN_R_DRAINED), "drained") == 0);
	CHECK(strcmp(ann_reason_name(ANN_R_NO_HEALTHY),
		     "no_healthy_backends") == 0);
	CHECK(ann_reason_name(1u << ANN_R_COUNT) == NULL);
	for (uint32_t i = 0; i < ANN_R_COUNT; i++)
		CHECK(ann_reason_name(1u << i) != NULL);
}

static const char render_want[] =
	"# written by edgepath-slowpath: the VIPs this node announces\n"
	"protocol static edgepath_v4 {\n"
	"\tipv4;\n"
	"\troute 10.0.0.1/32 blackhole;\n"
	"}\n"
	"protocol static edgepath_v6 {\n"
	"\tipv6;\n"
	"\troute fd00::1/128 blackhole;\n"
	"}\n";

static const char render_empty[] =
	"# written by edgepath-slowpath: the VIPs this node announces\n"
	"protocol static edgepath_v4 {\n"
	"\tipv4;\n"
	"}\n"
	"protocol static edgepath_v6 {\n"
	"\tipv6;\n"
	"}\n";

static void test_render(void)
{
	struct ann_vip v[3] = {
		{ .vip = ip4("10.0.0.1") },
		{ .vip = ip6("fd00::1") },
		{ .vip = ip4("10.0.0.2"), .reasons = ANN_R_NO_HEALTHY },
	};
	char buf[1024];

	CHECK(ann_render_bird(v, 3, buf, sizeof(buf)) ==
	      (int)strlen(render_want));
	CHECK(strcmp(buf, render_want) == 0);
	v[0].reasons = v[1].reasons = ANN_R_DRAINED;
	CHECK(ann_render_bird(v, 3, buf, sizeof(buf)) > 0);
	CHECK(strcmp(buf, render_empty) == 0);
	CHECK(ann_render_bird(v, 3, buf, strlen(render_empty)) == -1);
	CHECK(ann_render_bird(v, 3, buf, 10) == -1);
}

/* ---- a fake BIRD -------------------------------------------------- */

static char dir[64], sock_path[96], inc_path[96];

static int fake_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	unlink(sock_path);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(fd, 4) == 0);
	return fd;
}

static int fake_accept(int lfd)
{
	return accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
}

static void fake_say(int fd, const char *s)
{
	CHECK(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
}

static bool fake_heard(int fd, const char *want)
{
	char buf[64] = "";
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t r;

	poll(&p, 1, 1000);
	r = read(fd, buf, sizeof(buf) - 1);
	return r == (ssize_t)strlen(want) && strcmp(buf, want) == 0;
}

static bool file_is(const char *path, const char *want)
{
	char buf[2048] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strcmp(buf, want) == 0;
}

/* Drive b until BIRD's side has our bytes or the reply is read. */
static void pump(struct bird *b, uint64_t now)
{
	struct pollfd p = { bird_fd(b), bird_events(b), 0 };

	if (p.fd >= 0)
		poll(&p, 1, 200);
	bird_run(b, now);
}

static void test_bird_exchange(void)
{
	int lfd = fake_listen(), c;
	struct bird *b = bird_create(inc_path, sock_path);
	struct bird_status st;
	uint64_t t = 1000;

	CHECK(b != NULL);
	CHECK(bird_create(NULL, sock_path) == NULL && errno == EINVAL);
	bird_get_status(b, &st);
	CHECK(!st.synced && st.writes == 0);
	CHECK(bird_next_ms(b, t) == -1);

	/* a new file: written at once, then configure over the socket */
	CHECK(bird_set(b, "one\n", 4, t) == 0);
	CHECK(file_is(inc_path, "one\n"));
	CHECK(bird_next_ms(b, t) == 0);
	bird_run(b, t);
	CHECK(bird_fd(b) >= 0 && bird_events(b) == POLLIN);
	c = fake_accept(lfd);
	CHECK(c >= 0);
	fake_say(c, "0001 BIRD 2.0.12 ready.\n");
	pump(b, t);
	CHECK(fake_heard(c, "configure\n"));
	bird_get_status(b, &st);
	CHECK(!st.synced);
	/* the reply in two pieces, with a continuation line */
	fake_say(c, "0002-Reading configuration from /etc/bird.conf\n 0003");
	pump(b, t + 5);
	bird_get_status(b, &st);
	CHECK(!st.synced && bird_fd(b) >= 0);
	fake_say(c, " ok\n0003 Reconfigured\n");
	pump(b, t + 10);
	bird_get_status(b, &st);
	CHECK(st.synced && st.configures_ok == 1 && st.last_ok_ms == t + 10);
	CHECK(st.last_error[0] == 0 && bird_fd(b) == -1);
	CHECK(bird_next_ms(b, t + 10) == -1);
	close(c);

	/* the same text again: nothing written, nothing asked */
	CHECK(bird_set(b, "one\n", 4, t + 20) == 0);
	bird_get_status(b, &st);
	CHECK(st.writes == 1 && st.synced);

	/* BIRD refuses: failed, retried only after BIRD_RETRY_MS */
	t = 5000;
	CHECK(bird_set(b, "two\n", 4, t) == 0);
	bird_run(b, t);
	c = fake_accept(lfd);
	CHECK(c >= 0);
	fake_say(c, "0001 BIRD 2.0.12 ready.\n");
	pump(b, t);
	CHECK(fake_heard(c, "configure\n"));
	fake_say(c, "0002-Reading configuration\n8002 x.conf:1:5 syntax "
		    "error\n");
	pump(b, t + 1);
	bird_get_status(b, &st);
	CHECK(!st.synced && st.configures_failed == 1);
	CHECK(strstr(st.last_error, "syntax error") != NULL);
	CHECK(bird_next_ms(b, t + 1) == (int)BIRD_RETRY_MS);
	close(c);
	bird_run(b, t + BIRD_RETRY_MS / 2);
	CHECK(bird_fd(b) == -1 && fake_accept(lfd) < 0);
	bird_run(b, t + 1 + BIRD_RETRY_MS);
	c = fake_accept(lfd);
	CHECK(c >= 0);
	fake_say(c, "0001 BIRD 2.0.12 ready.\n");
	pump(b, t + 1 + BIRD_RETRY_MS);
	CHECK(fake_heard(c, "configure\n"));
	fake_say(c, "0004 Reconfiguration in progress\n");
	pump(b, t + 2 + BIRD_RETRY_MS);
	bird_get_status(b, &st);
	CHECK(st.synced && st.configures_ok == 2 && st.last_error[0] == 0);
	close(c);

	/* BIRD silent: given up at BIRD_REPLY_MS */
	t = 20000;
	CHECK(bird_set(b, "three\n", 6, t) == 0);
	bird_run(b, t);
	c = fake_accept(lfd);
	CHECK(c >= 0);
	CHECK(bird_next_ms(b, t) == (int)BIRD_REPLY_MS);
	bird_run(b, t + BIRD_REPLY_MS - 1);
	CHECK(bird_fd(b) >= 0);
	bird_run(b, t + BIRD_REPLY_MS);
	bird_get_status(b, &st);
	CHECK(!st.synced && bird_fd(b) == -1 && st.configures_failed == 2);
	CHECK(strstr(st.last_error, "no answer") != NULL);
	close(c);

	/* BIRD gone: connect fails, retried */
	close(lfd);
	unlink(sock_path);
	bird_run(b, t + BIRD_REPLY_MS + BIRD_RETRY_MS);
	bird_get_status(b, &st);
	CHECK(!st.synced && st.configures_failed == 3);
	CHECK(strstr(st.last_error, "cannot connect") != NULL);
	bird_destroy(b);

	/* a file we cannot write: an error, nothing else changes */
	b = bird_create("/nonexistent-dir/x.conf", NULL);
	CHECK(bird_set(b, "x\n", 2, 0) == -ENOENT);
	bird_get_status(b, &st);
	CHECK(!st.synced && strstr(st.last_error, "cannot write") != NULL);
	bird_destroy(b);
	/* file only: synced once written */
	b = bird_create(inc_path, NULL);
	CHECK(bird_set(b, "four\n", 5, 0) == 0);
	bird_get_status(b, &st);
	CHECK(st.synced && file_is(inc_path, "four\n"));
	CHECK(bird_next_ms(b, 0) == -1 && bird_fd(b) == -1);
	bird_destroy(b);
}

/* ---- the node ------------------------------------------------------ */

static bool view_has(struct node *n, const char *key, const char *want)
{
	cJSON *v = node_view(n, 0), *it = cJSON_GetObjectItem(v, key);
	char *s = it ? cJSON_PrintUnformatted(it) : NULL;
	bool ok = s && strcmp(s, want) == 0;

	if (!ok)
		fprintf(stderr, "view %s: %s, want %s\n", key, s ? s : "-",
			want);
	free(s);
	cJSON_Delete(v);
	return ok;
}

static void test_node(void)
{
	struct node_opts o = { inc_path, NULL, 500 };
	struct ann_service_in s[] = { { ip4("10.0.0.1"), 2 },
				      { ip6("fd00::1"), 1 } };
	struct node *n = node_create(&o, 0);

	CHECK(n != NULL);
	/* nothing announced before the first decision */
	CHECK(file_is(inc_path, render_empty));
	CHECK(view_has(n, "state", "\"not_ready\""));
	node_update(n, true, true, s, 2, 10);
	CHECK(file_is(inc_path, render_want));
	CHECK(view_has(n, "state", "\"serving\""));
	CHECK(view_has(n, "announced", "[\"10.0.0.1\",\"fd00::1\"]"));
	CHECK(view_has(n, "announcements", "2"));
	/* the fast path goes: everything withdrawn */
	node_update(n, false, true, s, 2, 20);
	CHECK(file_is(inc_path, render_empty));
	CHECK(view_has(n, "reasons", "[\"fastpath_down\"]"));
	CHECK(view_has(n, "withdrawals", "2"));
	node_update(n, true, true, s, 2, 30);
	CHECK(file_is(inc_path, render_want));
	/* drained */
	node_set_drained(n, true);
	CHECK(node_drained(n));
	node_update(n, true, true, s, 2, 40);
	CHECK(file_is(inc_path, render_empty));
	CHECK(view_has(n, "state", "\"drained\""));
	CHECK(view_has(n, "announced", "[]"));
	node_set_drained(n, false);
	node_update(n, true, true, s, 2, 50);
	CHECK(view_has(n, "announced", "[\"10.0.0.1\",\"fd00::1\"]"));
	/* one service loses its backends, one removed */
	s[1].healthy = 0;
	node_update(n, true, true, s, 2, 60);
	CHECK(view_has(n, "announced", "[\"10.0.0.1\"]"));
	node_update(n, true, true, s, 1, 70);
	CHECK(view_has(n, "withdrawals", "5"));
	/* stopping: withdrawn, done only after the grace */
	CHECK(!node_stop_done(n, 80));
	node_set_stopping(n, 100);
	node_set_stopping(n, 150); /* idempotent: the first time counts */
	node_update(n, true, true, s, 1, 100);
	node_run(n, 100);
	CHECK(file_is(inc_path, render_empty));
	CHECK(view_has(n, "state", "\"stopping\""));
	CHECK(!node_stop_done(n, 100 + 499));
	CHECK(node_stop_done(n, 100 + 500));
	node_destroy(n);

	/* without BIRD: a decision only, stop at once */
	o.bird_include = NULL;
	n = node_create(&o, 0);
	node_update(n, true, true, s, 1, 0);
	CHECK(view_has(n, "announced", "[\"10.0.0.1\"]"));
	CHECK(view_has(n, "bird", "null"));
	node_set_stopping(n, 5);
	CHECK(node_stop_done(n, 5));
	node_destroy(n);
}

/* A BIRD that never answers: the stop gives up after grace + 2 replies. */
static void test_node_stop_unanswered(void)
{
	struct node_opts o = { inc_path, sock_path, 300 };
	struct ann_service_in s = { ip4("10.0.0.1"), 1 };
	struct node *n;

	unlink(sock_path);
	n = node_create(&o, 0);
	node_update(n, true, true, &s, 1, 0);
	node_set_stopping(n, 1000);
	node_update(n, true, true, &s, 1, 1000);
	CHECK(file_is(inc_path, render_empty));
	CHECK(!node_stop_done(n, 1000 + 300 + 2 * BIRD_REPLY_MS - 1));
	CHECK(node_stop_done(n, 1000 + 300 + 2 * BIRD_REPLY_MS));
	node_destroy(n);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_announce.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/bird.ctl", dir);
	snprintf(inc_path, sizeof(inc_path), "%s/vips.conf", dir);
	test_every_state();
	test_shared_vips();
	test_render();
	test_bird_exchange();
	test_node();
	test_node_stop_unanswered();
	unlink(sock_path);
	unlink(inc_path);
	rmdir(dir);
	return check_summary("announce");
}
