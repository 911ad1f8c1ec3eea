/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgepath-slowpath: the DPDK secondary process and the one writer of
 * configuration. Waits for the fast path, attaches, carries on from the
 * configuration the fast path runs, applies the JSON configuration file,
 * serves the control API (api.c over slowpath/http/), reloads the file and the
 * API's certificates on SIGHUP, and re-executes itself to re-attach when
 * the fast path restarts. One thread: the API's event loop also beats the
 * heartbeat and drains the punt ring between its waits.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "api.h"
#include "breaker_engine.h"
#include "config.h"
#include "etcd.h"
#include "fpclient.h"
#include "health_overlay.h"
#include "http.h"
#include "node.h"
#include "stats_sum.h"

#define FASTPATH_EXIT_WAIT_MS 60000u
#define APPLY_TIMEOUT_MS 5000u
#define APPLY_MS_PER_SERVICE 10u /* see apply_timeout_ms() */
#define FLOWS_TIMEOUT_MS 2000u
#define LOOP_WAIT_MS 100 /* longest wait for API I/O between heartbeats */
#define HEALTH_RETRY_MS 1000 /* a republish that failed is tried again */

#include "sp_state.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_requested = 1;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static uint64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* ------------------------------------------------------------------ */
/* The fast path as the API sees it (api.h's seam)                      */

/*
 * The fast path builds one Maglev table per service (about 1.5 ms each at
 * 65537 slots here, twice that on a CPU shared with a worker): wait in
 * proportion, so a large change is not reported as failed while the fast
 * path is still applying it.
 */
/* The timeout of the apply in flight (one at a time: the API's thread). */
static uint32_t inflight_timeout_ms = APPLY_TIMEOUT_MS;

static uint32_t apply_timeout_ms(const void *flat, size_t len)
{
	const struct ep_cfg_hdr *h = flat;

	if (len < sizeof(*h))
		return APPLY_TIMEOUT_MS;
	return APPLY_TIMEOUT_MS + APPLY_MS_PER_SERVICE * h->n_services;
}

static int fp_apply_send(void *ctx, const void *flat, size_t len,
			 uint64_t version, struct ep_event_msg *ev)
{
	struct fpclient *c = ctx;

	inflight_timeout_ms = apply_timeout_ms(flat, len);
	return fpclient_apply_send(c, flat, len, version, ev);
}

static int fp_apply_wait(void *ctx, struct ep_event_msg *ev)
{
	struct fpclient *c = ctx;
	int rc;

	/* a long wait must not look like a dead slow path */
	fpclient_heartbeat(c);
	rc = fpclient_apply_wait(c, inflight_timeout_ms, ev);
	fpclient_heartbeat(c);
	return rc;
}

static void fp_wake(void *ctx)
{
	fpclient_wake(ctx);
}

static int fp_sample(void *ctx, uint32_t sid, uint32_t limit,
		     struct ep_event_msg *ev)
{
	struct fpclient *c = ctx;
	int rc;

	fpclient_heartbeat(c);
	rc = fpclient_sample_flows(c, sid, limit, FLOWS_TIMEOUT_MS, ev);
	fpclient_heartbeat(c);
	return rc;
}

/* Alive and working: a stalled worker (fp_progress.h) counts as down. */
static bool fp_alive(void *ctx)
{
	const struct fpclient *c = ctx;

	return fpclient_fastpath_alive(c) && c->progress.stalled == 0;
}

/* ------------------------------------------------------------------ */
/* Active health checks                                                 */

static void health_logged(const struct health_target *t,
			  const struct health_sm *sm, void *arg)
{
	char addr[INET6_ADDRSTRLEN] = "";
	bool v6 = t->addr.family == EP_AF_INET6;

	(void)arg;
	inet_ntop(v6 ? AF_INET6 : AF_INET, t->addr.bytes, addr, sizeof(addr));
	printf("slowpath: health: %s %s%s%s:%u %s (%s, %d, %.1f ms)\n",
	       t->service, v6 ? "[" : "", addr, v6 ? "]" : "", t->port,
	       health_state_name(sm->state), health_result_name(sm->last),
	       sm->last_detail, sm->last_latency_us / 1000.0);
}

/* Probe what the configuration in force has, keeping known states. */
static void health_sync(struct sp_state *st)
{
	struct health_target *t;
	uint32_t n;

	if (api_version(st->api) == st->health_version)
		return;
	if (health_targets_build(api_config(st->api), &t, &n) == 0 &&
	    health_engine_set(st->health, t, n, health_now_ms()) == 0)
		st->health_version = api_version(st->api);
	free(t);
}

/* Run the probes; a state change goes to the fast path at once. */
static void health_tick(struct sp_state *st)
{
	struct api_error e;
	uint64_t now;

	health_sync(st);
	if (health_engine_run(st->health, health_now_ms()) > 0)
		st->health_dirty = true;
	now = health_now_ms();
	if (!st->health_dirty || now < st->health_retry_ms)
		return;
	if (api_republish(st->api, &e) == 0) {
		st->health_dirty = false;
		health_sync(st);
		return;
	}
	fprintf(stderr, "slowpath: health: republish failed: %s\n", e.message);
	st->health_retry_ms = now + HEALTH_RETRY_MS;
}

/* The registry's TTLs: lapsed instances out, expired ones removed. */
static void registry_tick(struct sp_state *st)
{
	struct api_error e;

	if (api_registry_run(st->api, &e) < 0)
		fprintf(stderr, "slowpath: registry: %s\n", e.message);
}

static void breaker_logged(const struct config_service *s, uint32_t b,
			   const struct breaker *br, void *arg)
{
	char addr[INET6_ADDRSTRLEN] = "";
	const struct config_backend *be = &s->backends[b];
	bool v6 = be->addr.family == EP_AF_INET6;

	(void)arg;
	inet_ntop(v6 ? AF_INET6 : AF_INET, be->addr.bytes, addr, sizeof(addr));
	printf("slowpath: breaker: %s %s%s%s:%u %s (ejections %" PRIu64
	       ", failures %" PRIu64 ", successes %" PRIu64 ")\n",
	       s->name, v6 ? "[" : "", addr, v6 ? "]" : "", be->port,
	       breaker_state_name(br->state), br->n_ejections, br->n_failures,
	       br->n_successes);
	fflush(stdout);
}

/* The fast path's outlier counters of one backend (breaker_engine.h). */
static void breaker_read(void *ctx, uint32_t sid, struct breaker_sample *out)
{
	const struct sp_state *st = ctx;
	struct ep_be_counters c;

	stats_sum_be(st->fp.stats, sid, &c);
	out->successes = c.out_success;
	out->failures = c.out_reset + c.out_retrans + c.out_timeout;
	out->new_flows = c.new_flows;
}

/* Every BREAKER_TICK_MS: sample; a change of admission is republished
 * like a health change (health_tick). */
static void breaker_tick(struct sp_state *st)
{
	uint64_t now = health_now_ms();
	const void *flat;
	size_t len;

	if (now < st->breaker_next_ms || st->fp.stats == NULL)
		return;
	st->breaker_next_ms = now + BREAKER_TICK_MS;
	flat = api_flat(st->api, &len);
	if (breaker_engine_sync(st->breaker, api_config(st->api), flat, len,
				api_version(st->api), now) != 0)
		return;
	if (breaker_engine_step(st->breaker, api_config(st->api), now) > 0)
		st->health_dirty = true;
}

/* Wait for API I/O, a probe or BIRD, at most until the next deadline. */
static void wait_io(struct sp_state *st)
{
	struct bird *b = st->node ? node_bird(st->node) : NULL;
	struct pollfd pfd[4] = {
		{ .fd = health_engine_fd(st->health), .events = POLLIN },
		{ .fd = b ? bird_fd(b) : -1, .events = b ? bird_events(b) : 0 },
		{ .fd = st->etcd ? etcd_fd(st->etcd) : -1, .events = POLLIN },
		{ .fd = st->srv ? http_server_fd(st->srv) : -1,
		  .events = POLLIN },
	};
	int wait = health_engine_next_ms(st->health, health_now_ms());
	int bw = b ? bird_next_ms(b, health_now_ms()) : -1;

	if (wait < 0 || wait > LOOP_WAIT_MS)
		wait = LOOP_WAIT_MS;
	if (bw >= 0 && bw < wait)
		wait = bw;
	if (st->health_dirty && wait > HEALTH_RETRY_MS / 10)
		wait = HEALTH_RETRY_MS / 10;
	poll(pfd, st->srv ? 4 : 3, wait);
	if (st->node != NULL)
		node_run(st->node, health_now_ms());
	if (st->srv != NULL && http_server_run_once(st->srv, 0) < 0)
		sleep_ms(LOOP_WAIT_MS);
}

static int api_start(struct sp_state *st)
{
	const struct api_fastpath ops = {
		.ctx = &st->fp,
		.apply_send = fp_apply_send,
		.apply_wait = fp_apply_wait,
		.wake = fp_wake,
		.sample_flows = fp_sample,
		.alive = fp_alive,
		.shared = st->fp.shared,
		.stats = st->fp.stats,
		.flows = st->fp.flows,
	};

	st->api = api_create(&ops, st->config_path);
	if (st->api == NULL)
		return -ENOMEM;
	api_set_access_log(st->api, st->access_log);
	st->health = health_engine_create();
	if (st->health == NULL)
		return -ENOMEM;
	health_engine_on_change(st->health, health_logged, NULL);
	api_set_health(st->api, st->health);
	st->node = node_create(&st->node_opts, health_now_ms());
	if (st->node == NULL)
		return -ENOMEM;
	api_set_node(st->api, st->node);
	st->breaker = breaker_engine_create(breaker_read, st);
	if (st->breaker == NULL)
		return -ENOMEM;
	breaker_engine_on_change(st->breaker, breaker_logged, NULL);
	api_set_breaker(st->api, st->breaker);
	/* After our own restart: the staging area holds what the fast path
	 * runs if its version is the fast path's; keep its ids and version. */
	if (api_adopt(st->api, st->fp.stage, EP_CFG_STAGE_SIZE) == 0)
		printf("slowpath: carrying on from configuration version "
		       "%" PRIu64 "\n",
		       api_version(st->api));
	return 0;
}

static void apply_file(struct sp_state *st)
{
	struct api_error e;

	if (api_apply_file(st->api, &e) < 0)
		fprintf(stderr, "slowpath: configuration %s refused: %s\n",
			st->config_path, e.message);
}

/* ------------------------------------------------------------------ */
/* Start-up                                                             */

/* Before EAL: is a primary with this prefix running? */
static int wait_for_fastpath(const char *prefix, uint32_t timeout_s)
{
	char path[256], ready[256];
	time_t start = time(NULL);

	snprintf(path, sizeof(path), "/var/run/dpdk/%s/config", prefix);
	snprintf(ready, sizeof(ready), "/var/run/dpdk/%s/%s", prefix,
		 EP_READY_FILE);
	/* Alive is not enough: its set-up must be over (EP_READY_FILE). */
	while (!rte_eal_primary_proc_alive(path) || access(ready, F_OK) != 0) {
		if (stop_requested)
			return -EINTR;
		if (timeout_s && time(NULL) - start >= (time_t)timeout_s) {
			fprintf(stderr,
				"slowpath: no fast path with file prefix '%s' "
				"after %u s\n",
				prefix, timeout_s);
			return -ETIMEDOUT;
		}
		fprintf(stderr,
			"slowpath: fast path (file prefix '%s') is not "
			"running; retrying in 1 s\n",
			prefix);
		sleep_ms(1000);
	}
	return 0;
}

/*
 * After the fast path said it is stopping: wait (bounded) until its
 * process has really let go of the runtime, or the re-executed slow path
 * would attach to the dying primary and hold its memory against the next.
 */
static void wait_for_fastpath_exit(const char *prefix)
{
	char path[256];

	snprintf(path, sizeof(path), "/var/run/dpdk/%s/config", prefix);
	for (unsigned int i = 0; i < FASTPATH_EXIT_WAIT_MS / 100; i++) {
		if (stop_requested || !rte_eal_primary_proc_alive(path))
			return;
		sleep_ms(100);
	}
	fprintf(stderr,
		"slowpath: the old fast path still holds its runtime "
		"after %u ms; restarting anyway\n",
		FASTPATH_EXIT_WAIT_MS);
}

static const char *find_prefix(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--file-prefix=", 14) == 0)
			return argv[i] + 14;
		if (strcmp(argv[i], "--") == 0)
			break;
	}
	return "rte";
}

/*
 * --access-log: one JSON line per API request (api.c); "-" (the default)
 * is standard output, "none" turns it off, a file is appended to.
 */
static int open_access_log(struct sp_state *st)
{
	const char *p = st->access_log_path ? st->access_log_path : "-";

	if (strcmp(p, "none") == 0) {
		st->access_log = NULL;
		return 0;
	}
	if (strcmp(p, "-") == 0) {
		st->access_log = stdout;
		return 0;
	}
	st->access_log = fopen(p, "ae"); /* e: not across our re-exec */
	if (st->access_log == NULL) {
		fprintf(stderr, "--access-log: cannot open %s: %s\n", p,
			strerror(errno));
		return -1;
	}
	setvbuf(st->access_log, NULL, _IOFBF, 1u << 16);
	return 0;
}

/* A strtoul() result `v` of `arg` for option `name`: whole, in 0..max. */
static int parse_ms(const char *name, const char *arg, unsigned long v,
		    bool whole, uint32_t max)
{
	if (errno == 0 && whole && v <= max)
		return 0;
	fprintf(stderr, "%s: '%s' is not a number of milliseconds in 0..%u\n",
		name, arg, max);
	return -1;
}

static int parse_args(int argc, char **argv, struct sp_state *st)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "status-interval", required_argument, NULL, 's' },
		{ "attach-timeout", required_argument, NULL, 'a' },
		{ "access-log", required_argument, NULL, 'l' },
		{ "bird-include", required_argument, NULL, 'b' },
		{ "bird-socket", required_argument, NULL, 'k' },
		{ "withdraw-grace-ms", required_argument, NULL, 'g' },
		{ "stall-ms", required_argument, NULL, 'S' },
		{ "etcd", required_argument, NULL, 'e' },
		{ "etcd-prefix", required_argument, NULL, 'p' },
		{ "node-name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int c;

	optind = 1;
	st->stall_ms = FP_STALL_MS_DEFAULT;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'c') {
			st->config_path = optarg;
			continue;
		}
		if (c == 'l') {
			st->access_log_path = optarg;
			continue;
		}
		if (c == 'b' || c == 'k') {
			*(c == 'b' ? &st->node_opts.bird_include
				   : &st->node_opts.bird_socket) = optarg;
			continue;
		}
		if (c == 'e' || c == 'p' || c == 'n') {
			if (etcd_option(st, c, optarg) < 0)
				return -1;
			continue;
		}
		if (c == '?')
			return -1;
		errno = 0;
		v = strtoul(optarg, &end, 10);
		if (c == 'g' || c == 'S') {
			if (parse_ms(c == 'g' ? "--withdraw-grace-ms"
					      : "--stall-ms",
				     optarg, v, *end == '\0' && end != optarg,
				     c == 'g' ? NODE_GRACE_MS_MAX
					      : FP_STALL_MS_MAX) < 0)
				return -1;
			*(c == 'g' ? &st->node_opts.grace_ms : &st->stall_ms) =
				(uint32_t)v;
			continue;
		}
		if (errno || *end || end == optarg || v > 86400) {
			fprintf(stderr,
				"'%s' is not a number of seconds "
				"in 0..86400\n",
				optarg);
			return -1;
		}
		*(c == 's' ? &st->status_interval_s : &st->attach_timeout_s) =
			(uint32_t)v;
	}
	if (st->node_opts.bird_socket && !st->node_opts.bird_include) {
		fprintf(stderr, "--bird-socket needs --bird-include\n");
		return -1;
	}
	if (st->etcd_opts.prefix == NULL)
		st->etcd_opts.prefix = "/edgepath/";
	if (st->config_path == NULL) {
		fprintf(stderr,
			"usage: %s [EAL options] -- --config FILE "
			"[--status-interval S] [--attach-timeout S] "
			"[--access-log FILE|-|none] [--bird-include FILE "
			"[--bird-socket PATH] [--withdraw-grace-ms MS]] "
			"[--stall-ms MS] "
			"[--etcd URL [--etcd-prefix PREFIX] [--node-name "
			"NAME]]\n",
			argv[0]);
		return -1;
	}
	return open_access_log(st);
}

/*
 * A primary that has just started may not have made its memzones yet:
 * wait for them (--attach-timeout, 0 = for ever) rather than give up.
 */
static int attach(struct sp_state *st, char *err, size_t len)
{
	uint64_t deadline = now_s() + st->attach_timeout_s;
	int rc;

	while ((rc = fpclient_attach(&st->fp, err, len)) == -EAGAIN &&
	       !stop_requested &&
	       (st->attach_timeout_s == 0 || now_s() < deadline))
		sleep_ms(LOOP_WAIT_MS);
	st->fp.stall_ms = st->stall_ms;
	st->stalled = 0;
	return rc;
}

/* EAL, options, attach, API: 0, or the process exit code. */
static int sp_init(struct sp_state *st, int argc, char **argv)
{
	char err[256];
	int n;

	if (wait_for_fastpath(find_prefix(argc, argv), 0) < 0)
		return 1;
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "slowpath: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	st->eal_up = true;
	argv[n] = argv[0];
	if (parse_args(argc - n, argv + n, st) < 0)
		return 2;
	if (attach(st, err, sizeof(err)) < 0) {
		fprintf(stderr, "slowpath: attach failed: %s\n", err);
		return 1;
	}
	printf("slowpath: attached to fast path pid %d (ABI %u)\n",
	       st->fp.shared->fp_pid, EP_ABI_VERSION);
	if (api_start(st) < 0) {
		fprintf(stderr, "slowpath: out of memory\n");
		return 1;
	}
	apply_file(st);
	if (etcd_begin(st) < 0)
		return 1;
	server_start(st);
	return 0;
}

static void sp_fini(struct sp_state *st)
{
	etcd_stop(st->etcd);
	st->etcd = NULL;
	http_server_destroy(st->srv);
	api_destroy(st->api);
	node_destroy(st->node);
	health_engine_destroy(st->health);
	breaker_engine_destroy(st->breaker);
	fpclient_detach(&st->fp);
	if (st->eal_up)
		rte_eal_cleanup();
}

/* ------------------------------------------------------------------ */
/* The loop                                                             */

static void print_status(struct sp_state *st)
{
	printf("slowpath: generation %" PRIu64 ", version %" PRIu64
	       ", punted packets taken %" PRIu64 "\n",
	       __atomic_load_n(&st->fp.shared->generation, __ATOMIC_ACQUIRE),
	       __atomic_load_n(&st->fp.shared->version, __ATOMIC_ACQUIRE),
	       st->fp.punted);
	fflush(stdout);
}

static void reload(struct sp_state *st)
{
	printf("slowpath: SIGHUP: reloading %s\n", st->config_path);
	apply_file(st);
	reload_tls(st);
	fflush(stdout);
}

/*
 * The fast path went away: withdraw every VIP before re-executing, waiting
 * (bounded) for BIRD to confirm.
 */
static void withdraw_now(struct sp_state *st)
{
	struct bird *b = node_bird(st->node);
	uint64_t end = health_now_ms() + 2 * BIRD_REPLY_MS;
	struct bird_status bs;

	api_node_refresh(st->api, health_now_ms());
	while (b != NULL && health_now_ms() < end) {
		struct pollfd p = { bird_fd(b), bird_events(b), 0 };

		bird_get_status(b, &bs);
		if (bs.synced)
			return;
		poll(&p, p.fd >= 0 ? 1 : 0, LOOP_WAIT_MS);
		node_run(st->node, health_now_ms());
	}
}

/*
 * SIGINT/SIGTERM: the node withdraws its VIPs and keeps serving the API
 * until BIRD confirmed and the grace passed (node_stop_done()).
 */
static bool keep_running(struct sp_state *st)
{
	if (!stop_requested)
		return true;
	if (node_bird(st->node) == NULL)
		return false;
	node_set_stopping(st->node, health_now_ms());
	return !node_stop_done(st->node, health_now_ms());
}

/*
 * Sample the workers' progress; say when they stall and when they move
 * again. While stalled the fast path counts as down (fp_alive()), so the
 * node withdraws and /readyz fails, but it is not re-attached: it may
 * come back (SIGCONT, a long stall of the host).
 */
static void watch_stall(struct sp_state *st)
{
	uint32_t n = fpclient_stalled(&st->fp, health_now_ms());

	if ((n != 0) != (st->stalled != 0)) {
		if (n != 0)
			printf("slowpath: %u fast-path worker(s) stalled (no "
			       "poll "
			       "for %u ms): the node stops serving\n",
			       n, st->stall_ms);
		else
			printf("slowpath: fast-path workers poll again\n");
		fflush(stdout);
	}
	st->stalled = n;
}

/* Returns 1 when the fast path went away (the caller re-executes). */
static int run(struct sp_state *st)
{
	uint64_t next_status = now_s() + st->status_interval_s;

	while (keep_running(st)) {
		fpclient_heartbeat(&st->fp);
		fpclient_drain_punt(&st->fp);
		if (!fpclient_fastpath_alive(&st->fp)) {
			withdraw_now(st);
			return 1;
		}
		watch_stall(st);
		if (reload_requested) {
			reload_requested = 0;
			reload(st);
		}
		if (st->status_interval_s && now_s() >= next_status) {
			print_status(st);
			next_status = now_s() + st->status_interval_s;
		}
		breaker_tick(st);
		health_tick(st);
		api_node_refresh(st->api, health_now_ms());
		registry_tick(st);
		etcd_tick(st);
		wait_io(st);
		api_flush_log(st->api);
	}
	return 0;
}

/*
 * EAL keeps descriptors open without FD_CLOEXEC (the memzone fbarray file,
 * whose lock would keep a restarted fast path from initialising): none
 * may cross the re-exec.
 */
/* Set across the re-exec after the fast path went away. */
#define REEXEC_ENV "EDGEPATH_SLOWPATH_REEXEC"

static void cloexec_all(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fd;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		fd = atoi(e->d_name);
		if (fd > 2 && fd != dirfd(d))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	struct sp_state st = { 0 };
	/* EAL reorders argv; a re-exec needs it as we got it */
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	int rc, gone;

	if (args == NULL)
		return 1;
	memcpy(args, argv, (size_t)argc * sizeof(*args));
	if (getenv(REEXEC_ENV) != NULL) {
		unsetenv(REEXEC_ENV);
		fprintf(stderr, "slowpath: restarted to re-attach (the old "
				"fast path's runtime is released)\n");
	}
	st.node_opts.grace_ms = NODE_GRACE_MS_DEFAULT;
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGHUP, on_hup);
	rc = sp_init(&st, argc, argv);
	gone = rc == 0 ? run(&st) : 0;
	sp_fini(&st);
	if (gone) {
		/* EAL cannot initialise twice in one process: start afresh.
		 * Until the exec, we still hold the runtime's files (a new
		 * fast path cannot start): the new image says when it is
		 * done, so nobody takes this message as the go-ahead. */
		fprintf(stderr, "slowpath: fast path went away\n");
		wait_for_fastpath_exit(find_prefix(argc, args));
		cloexec_all();
		setenv(REEXEC_ENV, "1", 1);
		execv("/proc/self/exe", args);
		fprintf(stderr, "slowpath: re-exec failed: %s\n",
			strerror(errno));
		rc = 1;
	}
	free(args);
	return rc;
}
