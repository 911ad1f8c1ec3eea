/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pins the exact Maglev tables that maglev_build() and maglev_rebuild()
 * produce for fixed inputs, as FNV-1a digests. Every node of a cluster
 * must map a flow to the same backend, so a faster build must still give
 * these tables byte for byte; a deliberate change of the table is a
 * change of these digests too (and of every deployed node at once).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ep_abi.h"
#include "maglev.h"

/* Inputs of every fill strategy: equal weights (rounds), one heavy
 * weight (heap), mixed weights with gaps, and the largest table. */
enum pin_mix { PIN_EQUAL, PIN_HEAVY, PIN_MIXED };

struct pin_case {
	uint32_t m, n;
	enum pin_mix mix;
	uint64_t digest; /* of maglev_build()'s table */
};

static uint64_t fnv1a(const uint16_t *table, uint32_t m)
{
	const uint8_t *p = (const uint8_t *)table;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < (size_t)m * sizeof(*table); i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void make_backends(struct maglev_backend *b, uint32_t n,
			  enum pin_mix mix)
{
	uint32_t i, state = 2463534242u;

	for (i = 0; i < n; i++) {
		state ^= state << 13;
		state ^= state >> 17;
		state ^= state << 5;
		b[i].hash_id = mix == PIN_MIXED ? state : i + 1;
		b[i].weight = 1;
		if (mix == PIN_MIXED)
			b[i].weight = (uint16_t)(i % 7 == 3 ? 0 : 1 + i % 5);
	}
	if (mix == PIN_HEAVY)
		b[0].weight = 1000;
}

static uint16_t *build_case(const struct pin_case *c, struct maglev_backend *b)
{
	uint16_t *table = malloc(c->m * sizeof(*table));

	if (table == NULL)
		return NULL;
	make_backends(b, c->n, c->mix);
	if (maglev_build(b, c->n, table, c->m) != 0) {
		free(table);
		return NULL;
	}
	return table;
}

static void test_build_digests(void)
{
	static const struct pin_case cases[] = {
		{ 1009, 10, PIN_EQUAL, 0x58fc5ada817c5d5dull },
		{ EP_MAGLEV_DEFAULT_SIZE, 1000, PIN_EQUAL,
		  0x7ee8b0fb614eb46full },
		{ EP_MAGLEV_DEFAULT_SIZE, 1000, PIN_HEAVY,
		  0x121cc2658ad1c1d1ull },
		{ EP_MAGLEV_DEFAULT_SIZE, 100, PIN_MIXED,
		  0x195739f996045e4full },
		{ EP_MAGLEV_MAX_SIZE, 1000, PIN_EQUAL, 0xa091c5c6d183faeeull },
		{ EP_MAGLEV_MAX_SIZE, 1000, PIN_HEAVY, 0x463004838fc436a5ull },
	};
	static struct maglev_backend b[1000];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t *table = build_case(&cases[i], b);
		uint64_t got;

		CHECK_MSG(table != NULL, "case %zu did not build", i);
		if (table == NULL)
			continue;
		got = fnv1a(table, cases[i].m);
		CHECK_MSG(got == cases[i].digest,
			  "case %zu (m %u n %u mix %d): digest 0x%016llxull", i,
			  cases[i].m, cases[i].n, (int)cases[i].mix,
			  (unsigned long long)got);
		free(table);
	}
}

/*
 * maglev_rebuild() from the equal-weight table of 1000 to the same set
 * with backend 500 removed and backend 0 reweighted to 3: the table the
 * fast path serves after such a change.
 */
static void test_rebuild_digest(void)
{
	static const struct pin_case prev_case = { EP_MAGLEV_DEFAULT_SIZE, 1000,
						   PIN_EQUAL, 0 };
	static struct maglev_backend prev[1000], next[999];
	static uint32_t prev_ids[1000];
	static uint16_t table[EP_MAGLEV_DEFAULT_SIZE];
	const uint64_t want = 0xd7d5c32edc33e94full;
	uint16_t *prev_table = build_case(&prev_case, prev);
	uint32_t i, n = 0;
	uint64_t got;

	CHECK(prev_table != NULL);
	if (prev_table == NULL)
		return;
	for (i = 0; i < 1000; i++) {
		prev_ids[i] = prev[i].hash_id;
		if (i != 500)
			next[n++] = prev[i];
	}
	next[0].weight = 3;
	CHECK(maglev_rebuild(next, n, prev_ids, 1000, prev_table, table,
			     EP_MAGLEV_DEFAULT_SIZE) == 0);
	got = fnv1a(table, EP_MAGLEV_DEFAULT_SIZE);
	CHECK_MSG(got == want, "rebuild: digest 0x%016llxull",
		  (unsigned long long)got);
	free(prev_table);
}

/*
 * A chain of rebuilds on a ten-backend service, the size of the 1000 x 10
 * configurations: one weight raised (the change a backend's PATCH makes),
 * then a backend removed and one added under an id already present, then
 * a weight set to 0. Each step starts from the table the step before
 * left, so each digest pins the history's table too.
 */
static void test_rebuild_chain_digests(void)
{
	static const uint64_t want[3] = { 0xf78979c9e39716e5ull,
					  0xa55cfaba46f167f1ull,
					  0x8799ba2af4c49eefull };
	enum { M = EP_MAGLEV_DEFAULT_SIZE, N = 10 };
	static uint16_t tables[2][M];
	struct maglev_backend cur[N + 1], prev[N + 1];
	uint32_t ids[N + 1], i, prev_n = N, n = N, step;

	make_backends(prev, N, PIN_MIXED);
	for (i = 0; i < N; i++)
		prev[i].weight = 1;
	CHECK(maglev_build(prev, N, tables[0], M) == 0);
	memcpy(cur, prev, sizeof(prev));
	for (step = 0; step < 3; step++) {
		uint16_t *from = tables[step % 2], *to = tables[(step + 1) % 2];
		uint64_t got;

		for (i = 0; i < prev_n; i++)
			ids[i] = prev[i].hash_id;
		if (step == 0) {
			cur[3].weight = 4;
		} else if (step == 1) {
			cur[7] = cur[n - 1]; /* backend 7 removed */
			cur[n - 1].hash_id = cur[2].hash_id; /* a second id 2 */
			cur[n - 1].weight = 2;
			cur[n++] = prev[7];
			cur[n - 1].hash_id ^= 0x5bd1e995u; /* a new backend */
		} else {
			cur[0].weight = 0;
		}
		CHECK(maglev_rebuild(cur, n, ids, prev_n, from, to, M) == 0);
		got = fnv1a(to, M);
		CHECK_MSG(got == want[step],
			  "rebuild step %u: digest 0x%016llxull", step,
			  (unsigned long long)got);
		memcpy(prev, cur, sizeof(cur));
		prev_n = n;
	}
}

int main(void)
{
	test_build_digests();
	test_rebuild_digest();
	test_rebuild_chain_digests();
	return check_summary("maglev_pin");
}
