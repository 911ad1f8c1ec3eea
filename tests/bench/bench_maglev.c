/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Build-time benchmark for fastpath/maglev.c: prints the median and best
 * of several builds per (table size, backend count, weight mix). Not a
 * test: these machines are noisy, so read medians, not single runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ep_abi.h"
#include "maglev.h"

#define BENCH_REPS_MAX 21

/* Builds per case: 21 by default, fewer under callgrind (--reps 1). */
static int bench_reps = BENCH_REPS_MAX;

static double now_ms(void)
{
	struct timespec ts;

	timespec_get(&ts, TIME_UTC);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* heavy > 1: backend 0 has that weight and the others 1 (skewed mix). */
static int bench(uint32_t m, uint32_t n, uint16_t heavy)
{
	struct maglev_backend *b = calloc(n, sizeof(*b));
	uint16_t *table = malloc(m * sizeof(*table));
	double ms[BENCH_REPS_MAX];
	uint32_t i;
	int rc = -1;

	if (b == NULL || table == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		b[i].hash_id = i + 1;
		b[i].weight = i == 0 ? heavy : 1;
	}
	for (i = 0; i < (uint32_t)bench_reps; i++) {
		double t0 = now_ms();

		if (maglev_build(b, n, table, m) != 0)
			goto out;
		ms[i] = now_ms() - t0;
	}
	qsort(ms, (size_t)bench_reps, sizeof(ms[0]), cmp_double);
	printf("m=%-7u n=%-6u weights=%-10s median %8.3f ms  best %8.3f ms\n",
	       m, n, heavy > 1 ? "1 heavy" : "equal", ms[bench_reps / 2],
	       ms[0]);
	rc = 0;
out:
	free(table);
	free(b);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_maglev [--reps N] [M N_BACKENDS HEAVY]\n"
			"  no case: every size x count, equal and 1 heavy\n"
			"  HEAVY 1: equal weights; > 1: backend 0 weighs it\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 251, 1009, EP_MAGLEV_DEFAULT_SIZE,
					  EP_MAGLEV_MAX_SIZE };
	static const uint32_t counts[] = { 10, 100, 1000, 10000 };
	size_t s, c;
	int rc = 0, a = 1;

	if (argc > 2 && strcmp(argv[1], "--reps") == 0) {
		bench_reps = atoi(argv[2]);
		if (bench_reps < 1 || bench_reps > BENCH_REPS_MAX)
			return usage();
		a = 3;
	}
	if (argc - a == 3) {
		long m = atol(argv[a]), n = atol(argv[a + 1]);
		long heavy = atol(argv[a + 2]);

		if (m < 2 || n < 1 || n > m || heavy < 1 || heavy > 65535)
			return usage();
		return bench((uint32_t)m, (uint32_t)n, (uint16_t)heavy) == 0
			       ? 0
			       : 1;
	}
	if (argc != a)
		return usage();

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
			if (counts[c] > sizes[s])
				continue;
			rc |= bench(sizes[s], counts[c], 1);
			rc |= bench(sizes[s], counts[c], 1000);
		}
	return rc == 0 ? 0 : 1;
}
