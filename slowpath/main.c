/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgepath-slowpath: the DPDK secondary process and the one writer of
 * configuration. Waits for the fast path, attaches, applies the JSON
 * configuration file (parse, validate, flatten, send, wait for the new
 * generation), reloads it on SIGHUP, and re-executes itself to re-attach
 * when the fast path restarts. The control API is added on top of this.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "config.h"
#include "fpclient.h"

#define APPLY_TIMEOUT_MS 5000u
#define LOOP_SLEEP_MS 100u

struct sp_state {
	const char *config_path;
	uint32_t status_interval_s;
	uint32_t attach_timeout_s; /* 0 = wait for ever */
	struct fpclient fp;
	struct config_ids *ids;
	uint64_t version;
};

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

/* Read a whole file of at most CONFIG_MAX_BYTES (+1 to detect more). */
static char *read_file(const char *path, size_t *len, char *err, size_t n)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (f == NULL) {
		snprintf(err, n, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(CONFIG_MAX_BYTES + 1);
	if (buf == NULL) {
		fclose(f);
		snprintf(err, n, "out of memory");
		return NULL;
	}
	*len = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
	if (ferror(f)) {
		snprintf(err, n, "%s: read error", path);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/*
 * The one path for every change: parse and validate the whole document,
 * flatten it, send it, wait for the fast path's generation, then commit
 * the stats ids. Any failure leaves the configuration in force unchanged.
 */
static int apply_document(struct sp_state *st, const char *text, size_t len)
{
	struct ep_config cfg = { 0 };
	struct config_error cerr = { { 0 } };
	struct ep_event_msg ev;
	size_t flat_len = 0;
	void *flat = NULL;
	int rc;

	rc = config_parse(text, len, &cfg, &cerr);
	if (rc == 0) {
		flat = malloc(config_flat_size(&cfg));
		rc = flat ? config_to_flat(&cfg, st->version + 1, st->ids, flat,
					   config_flat_size(&cfg), &flat_len,
					   &cerr)
			  : -ENOMEM;
	}
	if (rc) {
		fprintf(stderr, "slowpath: configuration refused: %s\n",
			cerr.msg[0] ? cerr.msg : strerror(-rc));
		goto out;
	}
	rc = fpclient_apply(&st->fp, flat, flat_len, st->version + 1,
			    APPLY_TIMEOUT_MS, &ev);
	if (rc) {
		fprintf(stderr, "slowpath: fast path refused: %s\n", ev.error);
		goto out;
	}
	config_ids_commit(st->ids, flat, flat_len, &cerr);
	st->version++;
	printf("slowpath: configuration version %" PRIu64
	       " in force (generation %" PRIu64 ", %u services)\n",
	       ev.version, ev.generation, cfg.n_services);
	fflush(stdout);
out:
	free(flat);
	config_free(&cfg);
	return rc;
}

static int apply_file(struct sp_state *st)
{
	char err[256];
	size_t len = 0;
	char *text = read_file(st->config_path, &len, err, sizeof(err));
	int rc;

	if (text == NULL) {
		fprintf(stderr, "slowpath: %s\n", err);
		return -EIO;
	}
	rc = apply_document(st, text, len);
	free(text);
	return rc;
}

/* Before EAL: is a primary with this prefix running? */
static int wait_for_fastpath(const char *prefix, uint32_t timeout_s)
{
	char path[256];
	time_t start = time(NULL);

	snprintf(path, sizeof(path), "/var/run/dpdk/%s/config", prefix);
	while (!rte_eal_primary_proc_alive(path)) {
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

static int parse_args(int argc, char **argv, struct sp_state *st)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "status-interval", required_argument, NULL, 's' },
		{ "attach-timeout", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'c') {
			st->config_path = optarg;
			continue;
		}
		if (c == '?')
			return -1;
		errno = 0;
		v = strtoul(optarg, &end, 10);
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
	if (st->config_path == NULL) {
		fprintf(stderr,
			"usage: %s [EAL options] -- --config FILE "
			"[--status-interval S] [--attach-timeout S]\n",
			argv[0]);
		return -1;
	}
	return 0;
}

static void print_status(struct sp_state *st)
{
	printf("slowpath: generation %" PRIu64 ", version %" PRIu64
	       ", punted packets taken %" PRIu64 "\n",
	       __atomic_load_n(&st->fp.shared->generation, __ATOMIC_ACQUIRE),
	       __atomic_load_n(&st->fp.shared->version, __ATOMIC_ACQUIRE),
	       st->fp.punted);
	fflush(stdout);
}

/* Returns 1 when the fast path went away (the caller re-executes). */
static int run(struct sp_state *st)
{
	uint64_t ticks = 0;
	uint32_t status_ticks = st->status_interval_s * 1000 / LOOP_SLEEP_MS;

	while (!stop_requested) {
		fpclient_heartbeat(&st->fp);
		fpclient_drain_punt(&st->fp);
		if (!fpclient_fastpath_alive(&st->fp))
			return 1;
		if (reload_requested) {
			reload_requested = 0;
			printf("slowpath: SIGHUP: reloading %s\n",
			       st->config_path);
			apply_file(st);
		}
		if (status_ticks && ++ticks % status_ticks == 0)
			print_status(st);
		sleep_ms(LOOP_SLEEP_MS);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sp_state st = { 0 };
	char err[256];
	int n, rc, gone;

	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGHUP, on_hup);
	rc = wait_for_fastpath(find_prefix(argc, argv), 0);
	if (rc)
		return 1;
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "slowpath: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argv[n] = argv[0];
	if (parse_args(argc - n, argv + n, &st)) {
		rte_eal_cleanup();
		return 2;
	}
	st.ids = config_ids_create();
	rc = st.ids ? fpclient_attach(&st.fp, err, sizeof(err)) : -ENOMEM;
	if (rc) {
		fprintf(stderr, "slowpath: attach failed: %s\n",
			st.ids ? err : "out of memory");
		config_ids_destroy(st.ids);
		rte_eal_cleanup();
		return 1;
	}
	printf("slowpath: attached to fast path pid %d (ABI %u)\n",
	       st.fp.shared->fp_pid, EP_ABI_VERSION);
	apply_file(&st);
	gone = run(&st);
	fpclient_detach(&st.fp);
	config_ids_destroy(st.ids);
	rte_eal_cleanup();
	if (gone) {
		/* EAL cannot initialise twice in one process: start afresh. */
		fprintf(stderr, "slowpath: fast path went away; restarting "
				"to re-attach\n");
		execv("/proc/self/exe", argv);
		fprintf(stderr, "slowpath: re-exec failed: %s\n",
			strerror(errno));
		return 1;
	}
	return 0;
}
