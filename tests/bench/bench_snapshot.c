/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast path's share of a configuration change: snap_build() (flat
 * check, arrays, address tables, Maglev tables, policing) for 1000
 * services x 10 backends, as ctrl_apply() runs it before the swap.
 * Cases, each timed over --rounds builds (median and minimum):
 *   new      every service new (the previous snapshot has other stats ids):
 *            provisional tables, a few full ones within the sync budget
 *   weight   one backend's weight changed against a snapshot whose full
 *            tables are all built: 999 tables shared, one rebuilt
 *   same     the same document again (every table shared)
 * Not a test: a program that measures and prints. Under callgrind,
 * --toggle-collect=bench_measured_build counts the builds alone:
 *
 *   bench_snapshot [--rounds N] [--case new|weight|same]
 */
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "ep_abi.h"
#include "snapshot.h"

#define N_SVC 1000u
#define N_BE 10u
#define MAX_ROUNDS 201

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint32_t align8(uint32_t x)
{
	return (x + 7u) & ~7u;
}

static struct ep_ip ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct ep_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = EP_AF_INET;
	ip.bytes[0] = a;
	ip.bytes[1] = b;
	ip.bytes[2] = c;
	ip.bytes[3] = d;
	return ip;
}

/*
 * The flat form of 1000 Maglev services of 10 backends (weight 1, one
 * backend weighs `w`); stats ids start at `sid0`, so two documents with
 * different sid0 share no service.
 */
static void *big_flat(uint16_t w, uint32_t sid0, uint32_t *len)
{
	uint32_t off_s = align8(sizeof(struct ep_cfg_hdr));
	uint32_t off_b = align8(off_s + N_SVC * sizeof(struct ep_cfg_service));
	uint32_t total =
		align8(off_b + N_SVC * N_BE * sizeof(struct ep_cfg_backend));
	uint8_t *buf = calloc(1, total);
	struct ep_cfg_hdr *h = (void *)buf;
	struct ep_cfg_service *sv = (void *)(buf + off_s);
	struct ep_cfg_backend *be = (void *)(buf + off_b);

	if (buf == NULL)
		abort();
	h->magic = EP_CFG_MAGIC;
	h->abi_version = EP_ABI_VERSION;
	h->version = 1;
	h->total_len = total;
	h->node.gue_port = 6080;
	h->n_services = N_SVC;
	h->off_services = off_s;
	h->n_backends = N_SVC * N_BE;
	h->off_backends = off_b;
	h->off_node_addrs = off_s;
	for (uint32_t i = 0; i < N_SVC; i++) {
		snprintf(sv[i].name, sizeof(sv[i].name), "s%u", i);
		sv[i].vip = ip4(198, 51, (uint8_t)(i / 250),
				(uint8_t)(1 + i % 250));
		sv[i].port = 80;
		sv[i].proto = IPPROTO_TCP;
		sv[i].fwd_mode = EP_FWD_DSR;
		sv[i].sched = EP_SCHED_MAGLEV;
		sv[i].stats_id = sid0 + i;
		sv[i].first_backend = i * N_BE;
		sv[i].n_backends = N_BE;
	}
	for (uint32_t i = 0; i < N_SVC * N_BE; i++) {
		be[i].addr =
			ip4(10, (uint8_t)(i / 62500), (uint8_t)(i / 250 % 250),
			    (uint8_t)(1 + i % 250));
		be[i].weight = 1;
		be[i].state = EP_BE_UP;
		be[i].stats_id = i;
	}
	be[N_SVC * N_BE / 2].weight = w;
	*len = total;
	return buf;
}

/* The measured step; not inlined, so callgrind can count it alone. */
__attribute__((noinline)) int
bench_measured_build(const void *flat, uint32_t len,
		     const struct fp_snapshot *prev, struct fp_snapshot **out);
__attribute__((noinline)) int
bench_measured_build(const void *flat, uint32_t len,
		     const struct fp_snapshot *prev, struct fp_snapshot **out)
{
	char err[EP_EVENT_ERR_LEN] = "";
	int rc = snap_build(flat, len, 2, prev, out, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "snap_build: %d %s\n", rc, err);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

enum bench_case { CASE_NEW, CASE_WEIGHT, CASE_SAME };

/*
 * Build `next` against `prev` rounds times, freeing each result (and,
 * for new services, dropping the deferred builds it queued).
 */
static int run_case(enum bench_case c, int rounds)
{
	static const char *names[] = { "new", "weight", "same" };
	uint32_t len_prev, len_next;
	void *prev_flat = big_flat(1, c == CASE_NEW ? N_SVC : 0, &len_prev);
	void *next_flat = big_flat(c == CASE_WEIGHT ? 2 : 1, 0, &len_next);
	struct fp_snapshot *prev = NULL, *next = NULL;
	char err[EP_EVENT_ERR_LEN] = "";
	double ms[MAX_ROUNDS];
	int rc = -1;

	/* The previous snapshot: built outside the measured function. */
	if (snap_build(prev_flat, len_prev, 1, NULL, &prev, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "snap_build (previous): %s\n", err);
		goto out;
	}
	snap_maglev_build_pending(UINT64_MAX); /* prev's full tables */
	for (int i = 0; i < rounds; i++) {
		double t0 = now_ms();

		if (bench_measured_build(next_flat, len_next, prev, &next))
			goto out;
		ms[i] = now_ms() - t0;
		snap_free(next);
		snap_maglev_drop_pending();
	}
	qsort(ms, (size_t)rounds, sizeof(ms[0]), cmp_double);
	printf("snap_build %u services x %u backends, %-6s median %7.2f ms  "
	       "min %7.2f ms  (%d rounds)\n",
	       N_SVC, N_BE, names[c], ms[rounds / 2], ms[0], rounds);
	rc = 0;
out:
	snap_free(prev);
	snap_maglev_drop_pending();
	free(prev_flat);
	free(next_flat);
	return rc;
}

static int usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--rounds N (1..%d)] [--case new|weight|same]\n",
		argv0, MAX_ROUNDS);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "case", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	char *eal[] = { argv[0],
			"--no-huge",
			"--no-shconf",
			"--no-telemetry",
			"--no-pci",
			"--file-prefix=bench_snapshot",
			"-l",
			"0",
			"--log-level=error",
			"-m",
			"512",
			NULL };
	int rounds = 21, only = -1, opt, rc = 0;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == 'r') {
			rounds = atoi(optarg);
			if (rounds < 1 || rounds > MAX_ROUNDS)
				return usage(argv[0]);
		} else if (opt == 'c' && strcmp(optarg, "new") == 0) {
			only = CASE_NEW;
		} else if (opt == 'c' && strcmp(optarg, "weight") == 0) {
			only = CASE_WEIGHT;
		} else if (opt == 'c' && strcmp(optarg, "same") == 0) {
			only = CASE_SAME;
		} else {
			return usage(argv[0]);
		}
	}
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	for (int c = CASE_NEW; c <= CASE_SAME; c++)
		if (only < 0 || only == c)
			rc |= run_case((enum bench_case)c, rounds);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
