/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/maglev.c: balance, disruption on backend removal,
 * addition and reweighting (fresh build and minimal-disruption rebuild),
 * weights, input validation, determinism, and the smooth weighted
 * round-robin sequence. Prints measured figures and build times.
 */
#include "maglev_test.h"

/* Backends with hash_ids first, first + 1, ...: the sequential ids a naive
 * hash would place badly. */
void make_backends(struct maglev_backend *b, uint32_t n, uint32_t first_id,
		   uint16_t weight)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		b[i].hash_id = first_id + i;
		b[i].weight = weight;
	}
}

void count_slots(const uint16_t *table, uint32_t m, uint32_t *counts,
		 uint32_t n)
{
	uint32_t i;

	memset(counts, 0, n * sizeof(*counts));
	for (i = 0; i < m; i++)
		if (table[i] < n)
			counts[table[i]]++;
}

/* The owner of every slot as a hash_id, so tables built from arrays in
 * different orders or with a backend removed compare by identity. */
void owners(const uint16_t *table, uint32_t m, const struct maglev_backend *b,
	    uint32_t *owner)
{
	uint32_t i;

	for (i = 0; i < m; i++)
		owner[i] = table[i] == MAGLEV_EMPTY ? UINT32_MAX
						    : b[table[i]].hash_id;
}

static double now_ms(void)
{
	struct timespec ts;

	/* C11's timespec_get: no POSIX feature macro needed for a print. */
	timespec_get(&ts, TIME_UTC);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void time_build(uint32_t n, uint32_t m, int reps)
{
	uint16_t *table = malloc(m * sizeof(*table));
	struct maglev_backend *b = calloc(n, sizeof(*b));
	double best = 1e9;
	int i;

	if (table == NULL || b == NULL) {
		CHECK(table != NULL && b != NULL);
		goto out;
	}
	make_backends(b, n, 1, 1);
	for (i = 0; i < reps; i++) {
		double t0 = now_ms();

		CHECK(maglev_build(b, n, table, m) == 0);
		t0 = now_ms() - t0;
		best = t0 < best ? t0 : best;
	}
	printf("timing: m=%u, %u backends: best of %d builds %.3f ms\n", m, n,
	       reps, best);
out:
	free(b);
	free(table);
}

/* Rebuild after removing one backend: the fresh build plus O(m) passes. */
static void time_rebuild(uint32_t n, uint32_t m, int reps)
{
	uint16_t *prev_t = malloc(m * sizeof(*prev_t));
	uint16_t *table = malloc(m * sizeof(*table));
	struct maglev_backend *b = calloc(n, sizeof(*b));
	uint32_t *ids = calloc(n, sizeof(*ids));
	double best = 1e9;
	uint32_t i;
	int r;

	if (prev_t == NULL || table == NULL || b == NULL || ids == NULL) {
		CHECK(prev_t != NULL && table != NULL && b != NULL &&
		      ids != NULL);
		goto out;
	}
	make_backends(b, n, 1, 1);
	for (i = 0; i < n; i++)
		ids[i] = b[i].hash_id;
	CHECK(maglev_build(b, n, prev_t, m) == 0);
	for (r = 0; r < reps; r++) {
		double t0 = now_ms();

		CHECK(maglev_rebuild(b + 1, n - 1, ids, n, prev_t, table, m) ==
		      0);
		t0 = now_ms() - t0;
		best = t0 < best ? t0 : best;
	}
	printf("timing: m=%u, %u backends, one removed: best of %d rebuilds "
	       "%.3f ms\n",
	       m, n, reps, best);
out:
	free(ids);
	free(b);
	free(table);
	free(prev_t);
}

int main(void)
{
	test_is_prime();
	test_balance();
	test_disruption_build();
	test_disruption_remove();
	test_disruption_add();
	test_disruption_reweight();
	test_rebuild_history();
	test_rebuild_determinism();
	test_rebuild_from_nothing();
	test_rebuild_validation();
	test_matches_reference();
	test_weights();
	test_weights_skewed();
	test_weights_tight();
	test_all_zero();
	test_validation();
	test_determinism();
	test_wrr();
	test_wrr_large();
	time_build(10, M_DEFAULT, 5);
	time_build(100, M_DEFAULT, 5);
	time_rebuild(100, M_DEFAULT, 5);
	time_rebuild(1000, EP_MAGLEV_MAX_SIZE, 3);
	return check_summary("maglev");
}
