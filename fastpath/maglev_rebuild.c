/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * maglev_rebuild(): a table rebuilt from the previous one, moving only the
 * slots a change of backends or weights must move; and the smooth
 * weighted round-robin sequence. Control side only, like maglev.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "maglev_int.h"

/*
 * Scratch for maglev_rebuild(), one allocation: backends of both arrays
 * keyed hash_id << 32 | index and sorted, so equal ids pair in order.
 */
struct rebuild_scratch {
	uint64_t *cur_keys; /* [n] weighted backends of the new array */
	uint64_t *prev_keys; /* [prev_n] previous backends that own slots */
	uint32_t *keep; /* [n] slots a backend may still keep (pass 2) */
	uint32_t *quota; /* [n] slots it still lacks after keeping */
	uint16_t *match; /* [prev_n] previous index -> new index or EMPTY */
};

static int key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void *rebuild_scratch_alloc(struct rebuild_scratch *sc, uint32_t n,
				   uint32_t prev_n)
{
	size_t keys = ((size_t)n + prev_n) * sizeof(uint64_t);
	size_t counts = 2 * (size_t)n * sizeof(uint32_t);
	/* One spare word: malloc(0) may return NULL when both are empty. */
	uint8_t *mem = malloc(keys + counts + prev_n * sizeof(uint16_t) + 8);

	if (mem == NULL)
		return NULL;
	sc->cur_keys = (uint64_t *)mem;
	sc->prev_keys = sc->cur_keys + n;
	sc->keep = (uint32_t *)(sc->prev_keys + prev_n);
	sc->quota = sc->keep + n;
	sc->match = (uint16_t *)(sc->quota + n);
	return mem;
}

/*
 * match[k] = the new backend that previous backend k became, or EMPTY.
 * Only previous backends that own a slot take part, and only weighted new
 * ones, so an unused duplicate id cannot take a match from a used one.
 */
static void rebuild_match(struct rebuild_scratch *sc,
			  const struct maglev_backend *backends, uint32_t n,
			  const uint32_t *prev_ids, uint32_t prev_n,
			  const uint16_t *prev_table, uint32_t m)
{
	uint32_t i, j, k, n_cur = 0, n_prev = 0;

	for (k = 0; k < prev_n; k++)
		sc->match[k] = MAGLEV_EMPTY;
	for (i = 0; i < m; i++)
		if (prev_table[i] < prev_n)
			sc->match[prev_table[i]] = 0; /* owns a slot */
	for (k = 0; k < prev_n; k++)
		if (sc->match[k] == 0)
			sc->prev_keys[n_prev++] =
				(uint64_t)prev_ids[k] << 32 | k;
	for (j = 0; j < n; j++)
		if (backends[j].weight > 0)
			sc->cur_keys[n_cur++] =
				(uint64_t)backends[j].hash_id << 32 | j;
	qsort(sc->prev_keys, n_prev, sizeof(uint64_t), key_cmp);
	qsort(sc->cur_keys, n_cur, sizeof(uint64_t), key_cmp);

	for (k = 0; k < prev_n; k++)
		sc->match[k] = MAGLEV_EMPTY;
	for (i = 0, j = 0; i < n_prev && j < n_cur;) {
		uint32_t a = (uint32_t)(sc->prev_keys[i] >> 32);
		uint32_t b = (uint32_t)(sc->cur_keys[j] >> 32);

		if (a < b) {
			i++;
		} else if (a > b) {
			j++;
		} else {
			sc->match[sc->prev_keys[i++] & UINT32_MAX] =
				(uint16_t)(sc->cur_keys[j++] & UINT32_MAX);
		}
	}
}

/* The new owner previous slot i keeps, or EMPTY when it is freed. */
static uint16_t slot_kept(const struct rebuild_scratch *sc, uint32_t *left,
			  const uint16_t *prev_table, uint32_t prev_n,
			  uint32_t i)
{
	uint16_t o = prev_table[i] < prev_n ? sc->match[prev_table[i]]
					    : MAGLEV_EMPTY;

	if (o == MAGLEV_EMPTY || left[o] == 0)
		return MAGLEV_EMPTY;
	left[o]--;
	return o;
}

/*
 * The fresh table (already in `table`) sets each backend's count. Pass 1
 * counts which previous slots stay with their owner: the owner still
 * exists and has not reached its count (earlier slots first). Pass 2
 * repeats that choice and gives each freed slot to its fresh owner when
 * that one still lacks slots; pass 3 hands the slots left to the backends
 * still short, in hash_id order. Kept slots never exceed a count and the
 * counts sum to m, so every slot ends owned and every count is met.
 */
static void rebuild_fill(struct rebuild_scratch *sc, uint32_t n,
			 const uint16_t *prev_table, uint32_t prev_n,
			 uint16_t *table, uint32_t m)
{
	uint32_t i, j, next = 0;

	memset(sc->quota, 0, n * sizeof(*sc->quota));
	for (i = 0; i < m; i++)
		sc->quota[table[i]]++;
	memcpy(sc->keep, sc->quota, n * sizeof(*sc->keep));
	for (i = 0; i < m; i++)
		(void)slot_kept(sc, sc->quota, prev_table, prev_n, i);

	for (i = 0; i < m; i++) {
		uint16_t o = slot_kept(sc, sc->keep, prev_table, prev_n, i);

		if (o == MAGLEV_EMPTY && sc->quota[table[i]] > 0) {
			o = table[i];
			sc->quota[o]--;
		}
		table[i] = o;
	}

	for (i = 0; i < m; i++) {
		if (table[i] != MAGLEV_EMPTY)
			continue;
		for (;; next++) {
			j = (uint32_t)(sc->cur_keys[next] & UINT32_MAX);
			if (sc->quota[j] > 0)
				break;
		}
		table[i] = (uint16_t)j;
		sc->quota[j]--;
	}
}

int maglev_rebuild(const struct maglev_backend *backends, uint32_t n,
		   const uint32_t *prev_ids, uint32_t prev_n,
		   const uint16_t *prev_table, uint16_t *table, uint32_t m)
{
	struct rebuild_scratch sc;
	void *mem;
	int rc;

	if (prev_table == NULL || prev_table == table ||
	    (prev_ids == NULL && prev_n > 0) || prev_n > MAGLEV_MAX_BACKENDS)
		return -EINVAL;
	rc = maglev_args_valid(backends, n, table, m);
	if (rc != 0)
		return rc;
	mem = rebuild_scratch_alloc(&sc, n, prev_n);
	if (mem == NULL)
		return -ENOMEM;
	rc = maglev_build(backends, n, table, m);
	if (rc == 0) {
		rebuild_match(&sc, backends, n, prev_ids, prev_n, prev_table,
			      m);
		rebuild_fill(&sc, n, prev_table, prev_n, table, m);
	}
	free(mem);
	return rc;
}

static uint32_t gcd32(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* One backend in the smooth round-robin; weight already divided by gcd. */
struct wrr_state {
	int64_t current;
	int64_t weight;
};

/* Weight that backend b counts with: 0, or 1 in equal (plain rr) mode. */
static uint32_t wrr_weight(const struct maglev_backend *b, bool equal)
{
	if (b->weight == 0)
		return 0;
	return equal ? 1 : b->weight;
}

/*
 * One step of nginx's smooth weighted round-robin: every backend gains its
 * weight, the one with the most current (lowest index on ties) is picked
 * and pays back the total. This spreads picks (5,1,1 gives a a b a c a a)
 * instead of bursting a backend's whole weight at once.
 */
static uint16_t wrr_step(struct wrr_state *st, uint32_t n, int64_t total)
{
	uint32_t i, best = UINT32_MAX;

	for (i = 0; i < n; i++) {
		if (st[i].weight == 0)
			continue;
		st[i].current += st[i].weight;
		if (best == UINT32_MAX || st[i].current > st[best].current)
			best = i;
	}
	st[best].current -= total;
	return (uint16_t)best;
}

int maglev_wrr_sequence(const struct maglev_backend *backends, uint32_t n,
			bool equal, uint16_t *seq, uint32_t cap)
{
	uint64_t total = 0, len;
	struct wrr_state *st;
	uint32_t i, g = 0;

	if (seq == NULL || cap == 0 || (backends == NULL && n > 0) ||
	    n > MAGLEV_MAX_BACKENDS)
		return -EINVAL;
	for (i = 0; i < n; i++)
		g = gcd32(g, wrr_weight(&backends[i], equal));
	if (g == 0)
		return 0;
	st = calloc(n, sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		st[i].weight = wrr_weight(&backends[i], equal) / g;
		total += (uint64_t)st[i].weight;
	}

	/*
	 * One full cycle is sum(weights) / gcd picks (total, as the weights
	 * are divided already). When cap cuts it short the result is the
	 * cycle's prefix: still smooth, but the proportions are then only
	 * approximately the weights. The int return caps it too. Each pick
	 * scans all n backends: keep cap to what the scheduler needs.
	 */
	len = total;
	if (len > cap)
		len = cap;
	if (len > INT_MAX)
		len = INT_MAX;

	for (i = 0; i < len; i++)
		seq[i] = wrr_step(st, n, (int64_t)total);
	free(st);
	return (int)len;
}
