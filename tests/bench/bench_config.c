/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path's own share of PUT /v1/config, without the fast path or
 * the network: each document is PUT through api_handle() against a fast
 * path that acknowledges at once, alternating with a small document so
 * every service of the big one is new each time (as bench-api.sh's "big"
 * case), and the pieces (config_parse, config_to_flat, config_to_json,
 * config_ids_commit) are timed alone. Prints the median and minimum.
 *
 *   bench_config [--rounds N] [--persist DIR] SMALL.json BIG.json
 *
 * --persist writes the configuration file in DIR on each PUT (temporary
 * file, fsync, rename), so the figure includes the disk.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ack_fp.h"
#include "api.h"
#include "config.h"

#define MAX_ROUNDS 1000

/* Takes every change at once; no flow samples. */
static struct ack_fp fp = { .sample_rc = -ENOTSUP };

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "bench_config: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static int request(struct api *a, const char *method, const char *path,
		   const char *body, size_t len)
{
	struct http_request rq = { 0 };
	struct http_response rs = { 0 };

	rq.method = method;
	rq.path = path;
	rq.content_type = "application/json";
	rq.body = (const uint8_t *)body;
	rq.body_len = len;
	rq.role = HTTP_ROLE_ADMIN;
	rq.proto = 2;
	rq.subject = "";
	rq.peer = "bench";
	api_handle(&rq, &rs, a);
	if (rs.status != 200)
		fprintf(stderr, "bench_config: %s %s answered %d: %.*s\n",
			method, path, rs.status, (int)rs.body_len, rs.body);
	free(rs.body);
	return rs.status == 200 ? 0 : -1;
}

static int put(struct api *a, const char *body, size_t len)
{
	return request(a, "PUT", "/v1/config", body, len);
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return a < b ? -1 : a > b;
}

static void report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%-28s median %8.2f ms  min %8.2f ms  (%d runs)\n", what,
	       v[n / 2], v[0], n);
}

/*
 * PATCH one backend's weight in the big document in force (the middle
 * service's first backend, its address and port from the document),
 * alternating between two weights so that every PATCH is a change.
 */
__attribute__((noinline)) static void time_patch(struct api *a, int rounds)
{
	static double t_patch[MAX_ROUNDS];
	const struct config_service *svc;
	char path[160], addr[64], body[32];
	const struct ep_config *cfg = api_config(a);

	svc = &cfg->services[cfg->n_services / 2];
	inet_ntop(svc->backends[0].addr.family == EP_AF_INET6 ? AF_INET6
							      : AF_INET,
		  svc->backends[0].addr.bytes, addr, sizeof(addr));
	snprintf(path, sizeof(path), "/v1/services/%s/backends/%s%s%s:%u",
		 svc->name, strchr(addr, ':') ? "[" : "", addr,
		 strchr(addr, ':') ? "]" : "", svc->backends[0].port);
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ms();
		int n = snprintf(body, sizeof(body), "{\"weight\": %d}",
				 2 + r % 2);

		if (request(a, "PATCH", path, body, (size_t)n) != 0)
			exit(1);
		t_patch[r] = now_ms() - t0;
	}
	report("PATCH one backend's weight", t_patch, rounds);
}

/* Each piece of the change path alone, on the big document. */
static void time_pieces(const char *text, size_t len, int rounds)
{
	static double t_parse[MAX_ROUNDS], t_flat[MAX_ROUNDS],
		t_json[MAX_ROUNDS], t_commit[MAX_ROUNDS], t_cjson[MAX_ROUNDS];
	struct config_ids *ids = config_ids_create();
	struct config_error ce;
	struct ep_config cfg;
	size_t cap, flat_len;
	double t0;
	void *flat;
	char *json;

	for (int r = 0; r < rounds; r++) {
		t0 = now_ms();
		cJSON_Delete(cJSON_ParseWithLength(text, len));
		t_cjson[r] = now_ms() - t0;
		t0 = now_ms();
		if (config_parse(text, len, &cfg, &ce) != 0) {
			fprintf(stderr, "bench_config: %s\n", ce.msg);
			exit(1);
		}
		t_parse[r] = now_ms() - t0;
		cap = config_flat_size(&cfg);
		flat = malloc(cap);
		t0 = now_ms();
		config_to_flat(&cfg, 1, ids, flat, cap, &flat_len, &ce);
		t_flat[r] = now_ms() - t0;
		t0 = now_ms();
		json = config_to_json(&cfg);
		t_json[r] = now_ms() - t0;
		t0 = now_ms();
		config_ids_commit(ids, flat, flat_len, &ce);
		t_commit[r] = now_ms() - t0;
		free(json);
		free(flat);
		config_free(&cfg);
	}
	report("cJSON parse alone", t_cjson, rounds);
	report("config_parse", t_parse, rounds);
	report("config_to_flat", t_flat, rounds);
	report("config_to_json", t_json, rounds);
	report("config_ids_commit", t_commit, rounds);
	config_ids_destroy(ids);
}

int main(int argc, char **argv)
{
	static double t_put[MAX_ROUNDS];
	struct api_fastpath ops;
	const char *persist = NULL;
	char path[512];
	int rounds = 21, i = 1;
	size_t small_len, big_len;
	char *small, *big;
	struct api *a;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--rounds") == 0)
			rounds = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--persist") == 0)
			persist = argv[i + 1];
	}
	if (argc - i != 2 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr,
			"usage: bench_config [--rounds 1..%d] "
			"[--persist DIR] SMALL.json BIG.json\n",
			MAX_ROUNDS);
		return 2;
	}
	small = slurp(argv[i], &small_len);
	big = slurp(argv[i + 1], &big_len);
	fp.stats = calloc(1, sizeof(*fp.stats));
	ops = ack_fp_ops(&fp);
	if (persist != NULL)
		snprintf(path, sizeof(path), "%s/bench_config.json", persist);
	a = api_create(&ops, persist != NULL ? path : NULL);
	if (a == NULL || fp.stats == NULL)
		return 1;
	for (int r = 0; r < rounds; r++) {
		double t0;

		if (put(a, small, small_len) != 0)
			return 1;
		t0 = now_ms();
		if (put(a, big, big_len) != 0)
			return 1;
		t_put[r] = now_ms() - t0;
	}
	report(persist ? "PUT big (persisted)" : "PUT big (not persisted)",
	       t_put, rounds);
	time_patch(a, rounds);
	time_pieces(big, big_len, rounds);
	api_destroy(a);
	free(fp.stats);
	free(small);
	free(big);
	return 0;
}
