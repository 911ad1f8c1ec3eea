/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/maglev.c: balance, disruption on backend removal,
 * addition and reweighting (fresh build and minimal-disruption rebuild),
 * weights, input validation, determinism, and the smooth weighted
 * round-robin sequence. Prints measured figures and build times.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "ep_abi.h"
#include "flat_check.h"
#include "maglev.h"

#define M_DEFAULT EP_MAGLEV_DEFAULT_SIZE

/* Backends with hash_ids first, first + 1, ...: the sequential ids a naive
 * hash would place badly. */
static void make_backends(struct maglev_backend *b, uint32_t n,
			  uint32_t first_id, uint16_t weight)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		b[i].hash_id = first_id + i;
		b[i].weight = weight;
	}
}

static void count_slots(const uint16_t *table, uint32_t m, uint32_t *counts,
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
static void owners(const uint16_t *table, uint32_t m,
		   const struct maglev_backend *b, uint32_t *owner)
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

/*
 * The specification, written out the slow and obvious way (the library
 * uses a heap or a sorted pass to be fast). It repeats the permutation
 * hash on purpose: that hash decides where every flow of every service
 * goes, so changing it must be a deliberate change to this test too.
 */
static uint64_t ref_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

struct ref_backend {
	uint32_t index, pos, skip, turns;
};

/* Backend a takes its turn in a round before b: by hash_id, then index. */
static bool ref_before(const struct maglev_backend *b, uint32_t x, uint32_t y)
{
	if (b[x].hash_id != b[y].hash_id)
		return b[x].hash_id < b[y].hash_id;
	return x < y;
}

/* Weighted backends in turn order (insertion sort: tests are small). */
static uint32_t ref_order(const struct maglev_backend *b, uint32_t n,
			  struct ref_backend *r, uint32_t m, uint32_t *max_w)
{
	uint32_t i, j, len = 0;

	*max_w = 0;
	for (i = 0; i < n; i++) {
		if (b[i].weight == 0)
			continue;
		*max_w = b[i].weight > *max_w ? b[i].weight : *max_w;
		for (j = len++; j > 0 && ref_before(b, i, r[j - 1].index); j--)
			r[j] = r[j - 1];
		r[j].index = i;
		r[j].pos = ref_mix64(b[i].hash_id ^ 0x6a09e667f3bcc909ull) % m;
		r[j].skip = ref_mix64(b[i].hash_id ^ 0xbb67ae8584caa73bull) %
				    (m - 1) +
			    1;
		r[j].turns = 0;
	}
	return len;
}

/* Round by round, each backend plays when its credit (weight / max_w per
 * round, one turn up front) reaches its next whole turn. */
static void ref_build(const struct maglev_backend *b, uint32_t n,
		      uint16_t *table, uint32_t m)
{
	struct ref_backend *r = calloc(n, sizeof(*r));
	uint32_t i, len, max_w, filled = 0;
	uint64_t round;

	if (r == NULL)
		return;
	len = ref_order(b, n, r, m, &max_w);
	for (i = 0; i < m; i++)
		table[i] = MAGLEV_EMPTY;
	for (round = 1; filled < m; round++) {
		for (i = 0; i < len && filled < m; i++) {
			uint32_t w = b[r[i].index].weight;

			if (1 + (uint64_t)r[i].turns * max_w / w != round)
				continue;
			while (table[r[i].pos] != MAGLEV_EMPTY)
				r[i].pos = (r[i].pos + r[i].skip) % m;
			table[r[i].pos] = (uint16_t)r[i].index;
			r[i].turns++;
			filled++;
		}
	}
	free(r);
}

/* Small deterministic generator for test inputs. */
static uint32_t test_rand(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

/*
 * maglev_build() equals the reference on inputs that take each of its
 * strategies: alike weights (one pass per round) and skewed weights
 * (max / mean above 16: the heap), duplicate hash_ids, weight-0 gaps,
 * ten backends (a provisional table's), a tiny table and the default one.
 */
static void test_matches_reference(void)
{
	static uint16_t got[M_DEFAULT], want[M_DEFAULT];
	/* 1009: the provisional size snap_build() gives 10 backends. */
	static const uint32_t sizes[3] = { 251, 1009, M_DEFAULT };
	struct maglev_backend b[200];
	uint32_t state = 12345, s, kind, i;

	for (s = 0; s < 3; s++) {
		for (kind = 0; kind < 5; kind++) {
			/* kind 4: ten backends, cursors on the stack and
			 * sorted by insertion (a provisional table's). */
			uint32_t n = kind == 3 ? 200 : kind == 4 ? 10 : 100;
			uint32_t m = sizes[s];

			for (i = 0; i < n; i++) {
				b[i].hash_id = test_rand(&state);
				b[i].weight =
					(uint16_t)(1 + test_rand(&state) % 4);
			}
			if (kind == 1) /* skew 1000 / ~12.5: heap */
				b[7].weight = 1000;
			if (kind == 2) /* every weight from 0 to 65535 */
				for (i = 0; i < n; i++)
					b[i].weight =
						(uint16_t)test_rand(&state);
			if (kind == 3) /* duplicate ids, zero weights */
				for (i = 0; i < n; i += 3) {
					b[i].hash_id = b[i / 2].hash_id;
					b[i].weight = (uint16_t)(i % 2 * 5);
				}
			ref_build(b, n, want, m);
			CHECK(maglev_build(b, n, got, m) == 0);
			CHECK_MSG(memcmp(got, want, m * sizeof(got[0])) == 0,
				  "m %u kind %u differs from the reference", m,
				  kind);
		}
	}
}

static void test_is_prime(void)
{
	CHECK(!ep_is_prime(0));
	CHECK(!ep_is_prime(1));
	CHECK(ep_is_prime(2));
	CHECK(ep_is_prime(3));
	CHECK(!ep_is_prime(4));
	CHECK(!ep_is_prime(9));
	CHECK(!ep_is_prime(65535));
	CHECK(!ep_is_prime(65536));
	CHECK(ep_is_prime(65537));
	/* snapshot.c skips the check for the default size. */
	CHECK(ep_is_prime(EP_MAGLEV_DEFAULT_SIZE));
	CHECK(ep_is_prime(EP_MAGLEV_MAX_SIZE));
	CHECK(!ep_is_prime(65537u * 5u));
	CHECK(!ep_is_prime(641u * 6700417u)); /* 2^32 + 1 */
	CHECK(ep_is_prime(4294967291u)); /* largest 32-bit prime */
	CHECK(!ep_is_prime(UINT32_MAX));
}

/* 100 equal backends in 65537 slots: every count within 1% of the mean. */
static void test_balance(void)
{
	static uint16_t table[M_DEFAULT];
	struct maglev_backend b[100];
	uint32_t counts[100], i, lo = UINT32_MAX, hi = 0;
	double mean = (double)M_DEFAULT / 100;

	make_backends(b, 100, 1, 1);
	CHECK(maglev_build(b, 100, table, M_DEFAULT) == 0);
	count_slots(table, M_DEFAULT, counts, 100);
	for (i = 0; i < 100; i++) {
		lo = counts[i] < lo ? counts[i] : lo;
		hi = counts[i] > hi ? counts[i] : hi;
		CHECK_MSG(counts[i] >= mean * 0.99 && counts[i] <= mean * 1.01,
			  "backend %u has %u slots, mean %.2f", i, counts[i],
			  mean);
	}
	for (i = 0; i < M_DEFAULT; i++)
		CHECK_MSG(table[i] < 100, "slot %u = %u", i, table[i]);
	printf("balance: 100 backends, m=%u: slots per backend %u..%u "
	       "(mean %.2f)\n",
	       M_DEFAULT, lo, hi, mean);
}

struct disruption {
	double moved; /* fraction of slots whose owner changed */
	double between_kept; /* ... from one kept backend to another */
};

/* Compare two owner maps; a backend is "kept" when it is in both. */
static struct disruption compare(const uint32_t *before, const uint32_t *after,
				 uint32_t m, uint32_t gone_id, uint32_t new_id)
{
	struct disruption d = { 0, 0 };
	uint32_t i, moved = 0, between = 0;

	for (i = 0; i < m; i++) {
		if (before[i] == after[i])
			continue;
		moved++;
		if (before[i] != gone_id && after[i] != new_id)
			between++;
	}
	d.moved = (double)moved / m;
	d.between_kept = (double)between / m;
	return d;
}

/* Each backend has exactly the slots a fresh maglev_build() gives it. */
static bool counts_as_fresh(const struct maglev_backend *b, uint32_t n,
			    const uint16_t *table, uint32_t m)
{
	uint16_t *fresh = malloc(m * sizeof(*fresh));
	uint32_t *c1 = calloc(n, sizeof(*c1)), *c2 = calloc(n, sizeof(*c2));
	bool same = false;

	if (fresh != NULL && c1 != NULL && c2 != NULL &&
	    maglev_build(b, n, fresh, m) == 0) {
		count_slots(fresh, m, c1, n);
		count_slots(table, m, c2, n);
		same = memcmp(c1, c2, n * sizeof(*c1)) == 0;
	}
	free(c2);
	free(c1);
	free(fresh);
	return same;
}

/*
 * Rebuild `table` (built for prev[0..prev_n)) for b[0..n), as the snapshot
 * does: the previous backends are named by their hash_ids.
 */
static int rebuild(const struct maglev_backend *prev, uint32_t prev_n,
		   const struct maglev_backend *b, uint32_t n, uint16_t *table,
		   uint32_t m)
{
	uint32_t *ids = malloc((prev_n + 1) * sizeof(*ids));
	uint16_t *old = malloc(m * sizeof(*old));
	uint32_t i;
	int rc = -ENOMEM;

	if (ids == NULL || old == NULL)
		goto out;
	for (i = 0; i < prev_n; i++)
		ids[i] = prev[i].hash_id;
	memcpy(old, table, m * sizeof(*old));
	rc = maglev_rebuild(b, n, ids, prev_n, old, table, m);
out:
	free(old);
	free(ids);
	return rc;
}

/*
 * Remove backend `gone` of n (hash_ids 1..n) from a table of m slots,
 * with a fresh build or a rebuild, and measure what moved, comparing
 * owners by hash_id.
 */
static struct disruption remove_one(uint32_t n, uint32_t gone, uint32_t m,
				    bool use_rebuild, uint32_t *gone_slots)
{
	struct maglev_backend *b = calloc(n, sizeof(*b));
	struct maglev_backend *prev = calloc(n, sizeof(*prev));
	uint16_t *table = malloc(m * sizeof(*table));
	uint32_t *before = malloc(m * sizeof(*before));
	uint32_t *after = malloc(m * sizeof(*after));
	struct disruption d = { 1, 1 }; /* fails the bounds on ENOMEM */
	uint32_t i;

	if (b == NULL || prev == NULL || table == NULL || before == NULL ||
	    after == NULL)
		goto out;
	make_backends(b, n, 1, 1);
	memcpy(prev, b, n * sizeof(*b));
	CHECK(maglev_build(b, n, table, m) == 0);
	owners(table, m, b, before);
	*gone_slots = 0;
	for (i = 0; i < m; i++)
		*gone_slots += before[i] == gone + 1;
	memmove(b + gone, b + gone + 1, (n - gone - 1) * sizeof(*b));
	if (use_rebuild) {
		CHECK(rebuild(prev, n, b, n - 1, table, m) == 0);
		CHECK(counts_as_fresh(b, n - 1, table, m));
	} else {
		CHECK(maglev_build(b, n - 1, table, m) == 0);
	}
	owners(table, m, b, after);
	d = compare(before, after, m, gone + 1, UINT32_MAX);
out:
	free(after);
	free(before);
	free(table);
	free(prev);
	free(b);
	return d;
}

/*
 * Plain maglev_build(), a table set by the backends alone, is not
 * minimally disruptive: removing one of 100 moves its own 1% of slots and
 * some more. A kept backend whose preferred slot is freed may take it
 * earlier in the fill and leave a later slot of its own to somebody else;
 * the paper reports this and that it shrinks as m / n grows. Measured
 * over 50 removals (5 id bases x 10 positions):
 * m = 65537: moved 1.51..1.63% (mean 1.57%), between kept 0.57..0.63%;
 * m = 655373: moved 1.13..1.16%, between kept 0.14..0.16%.
 * The bounds sit a little above the worst measured value, so a change
 * that makes the fresh table less stable fails here; the floor is the
 * removed backend's own share (655 or 656 of 65537 slots must move).
 */
static void test_disruption_build(void)
{
	uint32_t gone_slots;
	struct disruption d =
		remove_one(100, 37, M_DEFAULT, false, &gone_slots);

	printf("disruption (fresh build): remove 1 of 100, m=%u: %.3f%% of "
	       "slots moved, %.3f%% between kept backends\n",
	       M_DEFAULT, d.moved * 100, d.between_kept * 100);
	CHECK_MSG(d.moved >= 0.0099 && d.moved <= 0.018, "moved %.4f", d.moved);
	CHECK_MSG(d.between_kept <= 0.008, "between %.4f", d.between_kept);

	d = remove_one(100, 37, EP_MAGLEV_MAX_SIZE, false, &gone_slots);
	printf("disruption (fresh build): remove 1 of 100, m=%u: %.3f%% of "
	       "slots moved, %.3f%% between kept backends\n",
	       EP_MAGLEV_MAX_SIZE, d.moved * 100, d.between_kept * 100);
	CHECK_MSG(d.moved >= 0.0099 && d.moved <= 0.0125, "moved %.4f",
		  d.moved);
	CHECK_MSG(d.between_kept <= 0.0025, "between %.4f", d.between_kept);
}

/*
 * The rebuild meets the requirement exactly: removing 1 of 100 moves the
 * removed backend's slots (about 1%) and nothing else, whichever it is.
 */
static void test_disruption_remove(void)
{
	static const uint32_t sizes[2] = { M_DEFAULT, EP_MAGLEV_MAX_SIZE };
	static const uint32_t positions[4] = { 0, 37, 64, 99 };
	uint32_t s, p, gone_slots = 0;

	for (s = 0; s < 2; s++) {
		for (p = 0; p < 4; p++) {
			struct disruption d = remove_one(
				100, positions[p], sizes[s], true, &gone_slots);
			double own = (double)gone_slots / sizes[s];

			if (p == 1)
				printf("disruption (rebuild): remove 1 of 100, "
				       "m=%u: %.3f%% of slots moved (its own "
				       "%u), %.3f%% between kept backends\n",
				       sizes[s], d.moved * 100, gone_slots,
				       d.between_kept * 100);
			CHECK_MSG(d.moved == own,
				  "m %u remove %u: moved %.5f, "
				  "own share %.5f",
				  sizes[s], positions[p], d.moved, own);
			CHECK_MSG(d.between_kept == 0, "between %.5f",
				  d.between_kept);
			CHECK(own >= 0.0099 && own <= 0.0101);
		}
	}
}

/* Ids in the move checks below stay under this, so counts index by id. */
#define ID_CAP 1024u

/* Slots per hash_id in an owner map. */
static void id_counts(const uint32_t *owner, uint32_t m, uint32_t *counts)
{
	uint32_t i;

	memset(counts, 0, ID_CAP * sizeof(*counts));
	for (i = 0; i < m; i++)
		if (owner[i] < ID_CAP)
			counts[owner[i]]++;
}

struct moves {
	uint32_t moved; /* slots whose owner changed */
	uint32_t needed; /* sum of the count increases: the least possible */
	uint32_t wrong; /* moved from a backend that did not shrink, or to
			 * one that did not grow */
};

static struct moves count_moves(const uint32_t *before, const uint32_t *after,
				uint32_t m)
{
	static uint32_t cb[ID_CAP], ca[ID_CAP];
	struct moves mv = { 0, 0, 0 };
	uint32_t i;

	id_counts(before, m, cb);
	id_counts(after, m, ca);
	for (i = 0; i < ID_CAP; i++)
		mv.needed += ca[i] > cb[i] ? ca[i] - cb[i] : 0;
	for (i = 0; i < m; i++) {
		if (before[i] == after[i])
			continue;
		mv.moved++;
		if (before[i] < ID_CAP && ca[before[i]] >= cb[before[i]])
			mv.wrong++;
		else if (after[i] >= ID_CAP || ca[after[i]] <= cb[after[i]])
			mv.wrong++;
	}
	return mv;
}

/*
 * Rebuild for `b` from `table` (owned by `prev`), then check the promise:
 * counts as a fresh build, the least number of moved slots, and every
 * move from a backend that shrank to one that grew.
 */
static struct moves rebuild_checked(const struct maglev_backend *prev,
				    uint32_t prev_n,
				    const struct maglev_backend *b, uint32_t n,
				    uint16_t *table, uint32_t m)
{
	uint32_t *before = malloc(m * sizeof(*before));
	uint32_t *after = malloc(m * sizeof(*after));
	struct moves mv = { UINT32_MAX, 0, UINT32_MAX };

	if (before == NULL || after == NULL) {
		CHECK(before != NULL && after != NULL);
		goto out;
	}
	owners(table, m, prev, before);
	CHECK(rebuild(prev, prev_n, b, n, table, m) == 0);
	owners(table, m, b, after);
	mv = count_moves(before, after, m);
	CHECK(counts_as_fresh(b, n, table, m));
	CHECK_MSG(mv.moved == mv.needed, "moved %u, needed %u", mv.moved,
		  mv.needed);
	CHECK_MSG(mv.wrong == 0,
		  "%u slots moved between backends that did "
		  "not shrink and grow",
		  mv.wrong);
out:
	free(after);
	free(before);
	return mv;
}

/* A 101st backend takes its 1/101 and only those slots move, all to it. */
static void test_disruption_add(void)
{
	static uint16_t table[M_DEFAULT];
	static uint32_t before[M_DEFAULT], after[M_DEFAULT];
	struct maglev_backend b[101];
	struct disruption d;
	struct moves mv;
	uint32_t counts[101];

	make_backends(b, 101, 1, 1);
	CHECK(maglev_build(b, 100, table, M_DEFAULT) == 0);
	owners(table, M_DEFAULT, b, before);
	mv = rebuild_checked(b, 100, b, 101, table, M_DEFAULT);
	owners(table, M_DEFAULT, b, after);
	count_slots(table, M_DEFAULT, counts, 101);

	d = compare(before, after, M_DEFAULT, UINT32_MAX, b[100].hash_id);
	printf("disruption (rebuild): add a 101st backend: %.3f%% of slots "
	       "moved (%u to it), %.3f%% between kept backends\n",
	       d.moved * 100, counts[100], d.between_kept * 100);
	CHECK(counts[100] == 648 || counts[100] == 649);
	CHECK(mv.moved == counts[100]);
	CHECK_MSG(d.between_kept == 0, "between %.5f", d.between_kept);
}

/*
 * A weight change moves slots only to the backend whose weight rose (or
 * only away from the one whose weight fell), the fewest that reach the
 * new shares.
 */
static void test_disruption_reweight(void)
{
	static uint16_t table[M_DEFAULT];
	static uint32_t before[M_DEFAULT], after[M_DEFAULT];
	struct maglev_backend b[100], prev[100];
	static const uint16_t steps[3] = { 2, 1, 0 };
	uint32_t i, s, c0 = 0, c1, wrong;
	struct moves mv;

	make_backends(b, 100, 1, 1);
	CHECK(maglev_build(b, 100, table, M_DEFAULT) == 0);
	for (i = 0; i < M_DEFAULT; i++)
		c0 += table[i] == 42;
	for (s = 0; s < 3; s++) {
		memcpy(prev, b, sizeof(b));
		b[42].weight = steps[s];
		owners(table, M_DEFAULT, prev, before);
		mv = rebuild_checked(prev, 100, b, 100, table, M_DEFAULT);
		owners(table, M_DEFAULT, b, after);
		c1 = 0;
		wrong = 0;
		for (i = 0; i < M_DEFAULT; i++) {
			c1 += table[i] == 42;
			wrong += before[i] != after[i] && before[i] != 43 &&
				 after[i] != 43;
		}
		printf("disruption (rebuild): weight %u -> %u of 1 of 100: "
		       "%.3f%% of slots moved (its slots %u -> %u)\n",
		       prev[42].weight, steps[s], 100.0 * mv.moved / M_DEFAULT,
		       c0, c1);
		CHECK(mv.moved == (c1 > c0 ? c1 - c0 : c0 - c1));
		CHECK_MSG(wrong == 0, "%u slots moved between other backends",
			  wrong);
		c0 = c1;
	}
}

/*
 * 300 changes of every kind (remove, add, reweight, skewed weights that
 * take the heap, a weight-0 backend) each keep the promise, and the
 * shares stay those of a fresh build: 100 equal backends stay within 1%
 * of the mean after many remove / add cycles.
 */
static void test_rebuild_history(void)
{
	static uint16_t table[M_DEFAULT], fresh[M_DEFAULT];
	struct maglev_backend b[120], prev[120];
	uint32_t state = 777, n = 100, next_id = 101, step, i, prev_n;
	uint32_t counts[120], total = 0, needed = 0, differ;
	double mean;

	make_backends(b, n, 1, 1);
	CHECK(maglev_build(b, n, table, M_DEFAULT) == 0);
	for (step = 0; step < 300; step++) {
		uint32_t r = test_rand(&state), at = r % n;
		struct moves mv;

		memcpy(prev, b, n * sizeof(*b));
		prev_n = n;
		if (step % 2 == 0) { /* remove one */
			memmove(b + at, b + at + 1, (n - at - 1) * sizeof(*b));
			n--;
		} else if (step % 6 != 5) { /* add one, somewhere */
			memmove(b + at + 1, b + at, (n - at) * sizeof(*b));
			b[at].hash_id = next_id++;
			b[at].weight = 1;
			n++;
		}
		if (step >= 200) /* then weights move too */
			b[r % n].weight = (uint16_t)(r >> 8 & 3);
		if (step == 250)
			b[r % n].weight = 500; /* heap strategy */
		mv = rebuild_checked(prev, prev_n, b, n, table, M_DEFAULT);
		total += mv.moved;
		needed += mv.needed;
		if (step == 199) {
			count_slots(table, M_DEFAULT, counts, n);
			mean = (double)M_DEFAULT / n;
			for (i = 0; i < n; i++)
				CHECK_MSG(counts[i] >= mean * 0.99 &&
						  counts[i] <= mean * 1.01,
					  "after 200 changes backend %u has "
					  "%u slots, mean %.2f",
					  i, counts[i], mean);
		}
	}
	CHECK(next_id < ID_CAP);
	printf("rebuild history: 300 changes moved %u slots, %u needed\n",
	       total, needed);

	/* The price: the table now differs from the fresh build for the same
	 * backends, which is what a restarted node would hold. */
	CHECK(maglev_build(b, n, fresh, M_DEFAULT) == 0);
	for (i = 0, differ = 0; i < M_DEFAULT; i++)
		differ += fresh[i] != table[i];
	printf("rebuild history: after 300 changes %.1f%% of slots differ "
	       "from a fresh build\n",
	       100.0 * differ / M_DEFAULT);
}

/*
 * Same inputs, same table; listing either configuration in another order
 * gives every slot the same owner (the previous table only matters by
 * owner identity). Duplicate hash_ids pair in array order, so there the
 * order does matter (as in maglev_build()), but nothing unchanged moves.
 */
static void test_rebuild_determinism(void)
{
	static uint16_t prev_t[M_DEFAULT], prev_r[M_DEFAULT];
	static uint16_t t1[M_DEFAULT], t2[M_DEFAULT];
	static uint32_t o1[M_DEFAULT], o2[M_DEFAULT];
	struct maglev_backend a[50], ar[50], b[50], br[50];
	uint32_t ids[50], ids_r[50], i;

	make_backends(a, 50, 1000, 1);
	for (i = 0; i < 50; i++)
		a[i].weight = (uint16_t)(1 + i % 7);
	memcpy(b, a, sizeof(a));
	b[3].weight = 0;
	b[20].hash_id = 5000;
	b[30].weight = 9;
	for (i = 0; i < 50; i++) {
		ar[i] = a[49 - i];
		br[i] = b[(i + 17) % 50];
		ids[i] = a[i].hash_id;
		ids_r[i] = ar[i].hash_id;
	}
	CHECK(maglev_build(a, 50, prev_t, M_DEFAULT) == 0);
	CHECK(maglev_build(ar, 50, prev_r, M_DEFAULT) == 0);

	CHECK(maglev_rebuild(b, 50, ids, 50, prev_t, t1, M_DEFAULT) == 0);
	CHECK(maglev_rebuild(b, 50, ids, 50, prev_t, t2, M_DEFAULT) == 0);
	CHECK(memcmp(t1, t2, sizeof(t1)) == 0);
	CHECK(maglev_rebuild(br, 50, ids_r, 50, prev_r, t2, M_DEFAULT) == 0);
	owners(t1, M_DEFAULT, b, o1);
	owners(t2, M_DEFAULT, br, o2);
	CHECK(memcmp(o1, o2, sizeof(o1)) == 0);
	CHECK(counts_as_fresh(b, 50, t1, M_DEFAULT));

	/* Nothing changed: nothing moves, duplicate ids included. */
	a[10].hash_id = a[11].hash_id;
	ids[10] = a[10].hash_id;
	CHECK(maglev_build(a, 50, prev_t, M_DEFAULT) == 0);
	CHECK(maglev_rebuild(a, 50, ids, 50, prev_t, t1, M_DEFAULT) == 0);
	CHECK(memcmp(t1, prev_t, sizeof(t1)) == 0);
	a[11].weight = 1;
	CHECK(maglev_rebuild(a, 50, ids, 50, prev_t, t1, M_DEFAULT) == 0);
	CHECK(counts_as_fresh(a, 50, t1, M_DEFAULT));
}

/*
 * A previous table with nothing usable (all EMPTY, or indices beyond the
 * previous array, or no backend surviving) gives the fresh table.
 */
static void test_rebuild_from_nothing(void)
{
	static uint16_t prev_t[M_DEFAULT], t[M_DEFAULT], fresh[M_DEFAULT];
	struct maglev_backend b[10];
	uint32_t ids[3] = { 500, 501, 502 };

	make_backends(b, 10, 1, 1);
	CHECK(maglev_build(b, 10, fresh, M_DEFAULT) == 0);
	memset(prev_t, 0xff, sizeof(prev_t)); /* MAGLEV_EMPTY */
	CHECK(maglev_rebuild(b, 10, NULL, 0, prev_t, t, M_DEFAULT) == 0);
	CHECK(memcmp(t, fresh, sizeof(t)) == 0);
	memset(prev_t, 0x07, sizeof(prev_t)); /* index 0x0707 >= 3 */
	CHECK(maglev_rebuild(b, 10, ids, 3, prev_t, t, M_DEFAULT) == 0);
	CHECK(memcmp(t, fresh, sizeof(t)) == 0);
	memset(prev_t, 0, sizeof(prev_t)); /* all owned by id 500: gone */
	CHECK(maglev_rebuild(b, 10, ids, 3, prev_t, t, M_DEFAULT) == 0);
	CHECK(memcmp(t, fresh, sizeof(t)) == 0);
}

static void test_rebuild_validation(void)
{
	static uint16_t prev_t[M_DEFAULT], table[M_DEFAULT];
	struct maglev_backend b[10];
	uint32_t ids[10], i;
	bool untouched = true;

	make_backends(b, 10, 1, 1);
	for (i = 0; i < 10; i++)
		ids[i] = b[i].hash_id;
	CHECK(maglev_build(b, 10, prev_t, 11) == 0);
	memset(table, 0xab, sizeof(table));
	CHECK(maglev_rebuild(b, 10, ids, 10, NULL, table, 11) == -EINVAL);
	CHECK(maglev_rebuild(b, 10, NULL, 10, prev_t, table, 11) == -EINVAL);
	CHECK(maglev_rebuild(b, 10, ids, 65535, prev_t, table, 11) == -EINVAL);
	CHECK(maglev_rebuild(b, 10, ids, 10, prev_t, prev_t, 11) == -EINVAL);
	CHECK(maglev_rebuild(b, 10, ids, 10, prev_t, NULL, 11) == -EINVAL);
	CHECK(maglev_rebuild(NULL, 10, ids, 10, prev_t, table, 11) == -EINVAL);
	CHECK(maglev_rebuild(b, 10, ids, 10, prev_t, table, 12) == -EINVAL);
	CHECK(maglev_rebuild(b, 10, ids, 10, prev_t, table, 7) == -EINVAL);
	CHECK(maglev_rebuild(b, 65535, ids, 10, prev_t, table, 11) == -EINVAL);
	CHECK(maglev_rebuild(b, 10, ids, 10, prev_t, table, 4294967291u) ==
	      -EINVAL);
	for (i = 0; i < M_DEFAULT; i++)
		untouched = untouched && table[i] == 0xabab;
	CHECK_MSG(untouched, "a rejected rebuild wrote to the table");

	for (i = 0; i < 10; i++)
		b[i].weight = 0;
	CHECK(maglev_rebuild(b, 10, ids, 10, prev_t, table, 11) == -ENOENT);
	CHECK(table[0] == MAGLEV_EMPTY && table[10] == MAGLEV_EMPTY);
	CHECK(maglev_rebuild(NULL, 0, ids, 10, prev_t, table, 11) == -ENOENT);
}

/* Weights 1,2,3,4 (+ a 0): shares within 1% of the table of w / sum. */
static void test_weights(void)
{
	static uint16_t table[M_DEFAULT];
	struct maglev_backend b[5] = {
		{ 11, 1 }, { 12, 2 }, { 13, 0 }, { 14, 3 }, { 15, 4 },
	};
	uint32_t counts[5], i;

	CHECK(maglev_build(b, 5, table, M_DEFAULT) == 0);
	count_slots(table, M_DEFAULT, counts, 5);
	CHECK(counts[2] == 0);
	for (i = 0; i < 5; i++) {
		double share = (double)counts[i] / M_DEFAULT;
		double want = b[i].weight / 10.0;

		CHECK_MSG(share > want - 0.01 && share < want + 0.01,
			  "backend %u weight %u share %.4f", i, b[i].weight,
			  share);
	}
	printf("weights 1,2,0,3,4: slots %u %u %u %u %u\n", counts[0],
	       counts[1], counts[2], counts[3], counts[4]);
	for (i = 0; i < M_DEFAULT; i++)
		CHECK_MSG(table[i] < 5 && table[i] != 2, "slot %u = %u", i,
			  table[i]);
}

/* One heavy backend among light ones (the heap strategy): shares still
 * follow the weights. */
static void test_weights_skewed(void)
{
	static uint16_t table[M_DEFAULT];
	struct maglev_backend b[100];
	uint32_t counts[100], i;
	double sum = 1000 + 99;

	make_backends(b, 100, 1, 1);
	b[42].weight = 1000;
	CHECK(maglev_build(b, 100, table, M_DEFAULT) == 0);
	count_slots(table, M_DEFAULT, counts, 100);
	for (i = 0; i < 100; i++) {
		double share = (double)counts[i] / M_DEFAULT;
		double want = b[i].weight / sum;

		CHECK_MSG(share > want - 0.01 && share < want + 0.01,
			  "backend %u weight %u share %.4f", i, b[i].weight,
			  share);
	}
	printf("weights 1000 + 99 x 1: heavy %u slots (%.2f expected), "
	       "light %u\n",
	       counts[42], M_DEFAULT * 1000 / sum, counts[0]);
}

/* Extreme weights in the smallest legal table: each weighted backend still
 * gets a slot, because every one plays the first round. */
static void test_weights_tight(void)
{
	struct maglev_backend b[7] = {
		{ 1, 65535 }, { 2, 1 }, { 3, 1 }, { 4, 300 },
		{ 5, 2 },     { 6, 9 }, { 7, 1 },
	};
	uint16_t table[7];
	uint32_t counts[7], i;

	CHECK(maglev_build(b, 7, table, 5) == -EINVAL);
	CHECK(maglev_build(b, 7, table, 7) == 0);
	count_slots(table, 7, counts, 7);
	for (i = 0; i < 7; i++)
		CHECK_MSG(counts[i] == 1, "backend %u: %u slots", i, counts[i]);

	/* One fewer weighted: the spare slot goes to the heaviest. */
	b[3].weight = 0;
	CHECK(maglev_build(b, 7, table, 7) == 0);
	count_slots(table, 7, counts, 7);
	for (i = 0; i < 7; i++)
		CHECK_MSG(counts[i] == (b[i].weight ? (i == 0 ? 2u : 1u) : 0u),
			  "backend %u: %u slots", i, counts[i]);
}

static void test_all_zero(void)
{
	static uint16_t table[M_DEFAULT];
	struct maglev_backend b[3] = { { 1, 0 }, { 2, 0 }, { 3, 0 } };
	uint32_t i, empty = 0;

	memset(table, 0, sizeof(table));
	CHECK(maglev_build(b, 3, table, M_DEFAULT) == -ENOENT);
	for (i = 0; i < M_DEFAULT; i++)
		empty += table[i] == MAGLEV_EMPTY;
	CHECK(empty == M_DEFAULT);

	/* No backend at all is the same case: a service emptied by health
	 * checks gets an all-EMPTY table, not an error that blocks the
	 * snapshot. */
	memset(table, 0, sizeof(table));
	CHECK(maglev_build(NULL, 0, table, M_DEFAULT) == -ENOENT);
	CHECK(table[0] == MAGLEV_EMPTY && table[M_DEFAULT - 1] == MAGLEV_EMPTY);
}

static void test_validation(void)
{
	static uint16_t table[M_DEFAULT];
	struct maglev_backend b[10], *many;
	uint32_t i;
	bool untouched = true;

	make_backends(b, 10, 1, 1);
	memset(table, 0xab, sizeof(table));
	CHECK(maglev_build(b, 10, table, 65536) == -EINVAL); /* not prime */
	CHECK(maglev_build(b, 10, table, 65535) == -EINVAL);
	CHECK(maglev_build(b, 10, table, 0) == -EINVAL);
	CHECK(maglev_build(b, 10, table, 1) == -EINVAL);
	CHECK(maglev_build(b, 10, table, 7) == -EINVAL); /* m < n */
	CHECK(maglev_build(b, 10, table, 4294967291u) == -EINVAL); /* > max */
	CHECK(maglev_build(b, 10, NULL, 11) == -EINVAL);
	CHECK(maglev_build(NULL, 10, table, 11) == -EINVAL);
	for (i = 0; i < M_DEFAULT; i++)
		untouched = untouched && table[i] == 0xabab;
	CHECK_MSG(untouched, "a rejected build wrote to the table");

	CHECK(maglev_build(b, 10, table, 11) == 0); /* m = next prime: fine */
	CHECK(maglev_build(b, 10, table, 2) == -EINVAL);
	b[0].weight = 0;
	b[1].weight = 0;
	b[2].weight = 0;
	CHECK(maglev_build(b, 10, table, 7) == 0); /* 7 weighted in 7 */
	CHECK(maglev_build(b, 1, table, 2) == -ENOENT);

	many = calloc(65535, sizeof(*many));
	CHECK(many != NULL);
	if (many == NULL)
		return;
	make_backends(many, 65535, 1, 1);
	CHECK(maglev_build(many, 65535, table, M_DEFAULT) == -EINVAL);
	CHECK(maglev_build(many, 65534, table, M_DEFAULT) == 0);
	CHECK(table[0] < 65534 && table[M_DEFAULT - 1] < 65534);
	free(many);
}

/* Same input, same table; and the same set of backends listed in another
 * order gives every slot the same owner. */
static void test_determinism(void)
{
	static uint16_t t1[M_DEFAULT], t2[M_DEFAULT];
	static uint32_t o1[M_DEFAULT], o2[M_DEFAULT];
	struct maglev_backend b[50], r[50];
	uint32_t i;

	make_backends(b, 50, 1000, 1);
	for (i = 0; i < 50; i++)
		b[i].weight = (uint16_t)(1 + i % 7);
	CHECK(maglev_build(b, 50, t1, M_DEFAULT) == 0);
	CHECK(maglev_build(b, 50, t2, M_DEFAULT) == 0);
	CHECK(memcmp(t1, t2, sizeof(t1)) == 0);

	for (i = 0; i < 50; i++)
		r[i] = b[49 - i];
	CHECK(maglev_build(r, 50, t2, M_DEFAULT) == 0);
	owners(t1, M_DEFAULT, b, o1);
	owners(t2, M_DEFAULT, r, o2);
	CHECK(memcmp(o1, o2, sizeof(o1)) == 0);
}

static uint32_t max_run(const uint16_t *seq, int len, uint16_t who)
{
	uint32_t run = 0, best = 0;
	int i;

	for (i = 0; i < len; i++) {
		run = seq[i] == who ? run + 1 : 0;
		best = run > best ? run : best;
	}
	return best;
}

/*
 * Counts equal the weights over one cycle, and the order is smooth: a
 * backend with weight w among total W never repeats more than
 * ceil(w / (W - w)) times in a row (the others' picks are spread between).
 */
static void check_wrr_cycle(const struct maglev_backend *b, uint32_t n)
{
	uint16_t seq[256];
	uint32_t counts[16] = { 0 }, total = 0, i;
	int len = maglev_wrr_sequence(b, n, false, seq, 256);

	for (i = 0; i < n; i++)
		total += b[i].weight;
	CHECK_MSG(len == (int)total, "len %d total %u", len, total);
	for (i = 0; i < (uint32_t)len && len > 0; i++)
		counts[seq[i]]++;
	for (i = 0; i < n; i++) {
		uint32_t w = b[i].weight, rest = total - w;

		CHECK(counts[i] == w);
		if (rest > 0 && w > 0)
			CHECK_MSG(max_run(seq, len, (uint16_t)i) <=
					  (w + rest - 1) / rest,
				  "backend %u weight %u runs %u", i, w,
				  max_run(seq, len, (uint16_t)i));
	}
}

static void test_wrr(void)
{
	struct maglev_backend b[4] = { { 1, 5 }, { 2, 1 }, { 3, 1 }, { 4, 0 } };
	struct maglev_backend c[4] = {
		{ 1, 10 }, { 2, 20 }, { 3, 0 }, { 4, 30 }
	};
	struct maglev_backend spread[6] = { { 1, 7 }, { 2, 3 }, { 3, 2 },
					    { 4, 1 }, { 5, 1 }, { 6, 4 } };
	const uint16_t nginx[7] = { 0, 0, 1, 0, 2, 0, 0 };
	const uint16_t scaled[6] = { 3, 1, 0, 3, 1, 3 };
	uint16_t seq[16];

	CHECK(maglev_wrr_sequence(b, 4, false, seq, 16) == 7);
	CHECK(memcmp(seq, nginx, sizeof(nginx)) == 0);
	check_wrr_cycle(b, 4);
	check_wrr_cycle(spread, 6);

	/* gcd 10: one cycle of 10,20,30 is the cycle of 1,2,3. */
	CHECK(maglev_wrr_sequence(c, 4, false, seq, 16) == 6);
	CHECK(memcmp(seq, scaled, sizeof(scaled)) == 0);

	/* Equal mode: plain round-robin over the weighted backends. */
	CHECK(maglev_wrr_sequence(b, 4, true, seq, 16) == 3);
	CHECK(seq[0] == 0 && seq[1] == 1 && seq[2] == 2);

	/* Capped: the prefix of the smooth order. */
	CHECK(maglev_wrr_sequence(b, 4, false, seq, 4) == 4);
	CHECK(memcmp(seq, nginx, 4 * sizeof(seq[0])) == 0);

	b[0].weight = b[1].weight = b[2].weight = 0;
	CHECK(maglev_wrr_sequence(b, 4, false, seq, 16) == 0);
	CHECK(maglev_wrr_sequence(b, 4, true, seq, 16) == 0);
	CHECK(maglev_wrr_sequence(NULL, 0, false, seq, 16) == 0);
	CHECK(maglev_wrr_sequence(b, 4, false, NULL, 16) == -EINVAL);
	CHECK(maglev_wrr_sequence(b, 4, false, seq, 0) == -EINVAL);
	CHECK(maglev_wrr_sequence(NULL, 4, false, seq, 16) == -EINVAL);
	CHECK(maglev_wrr_sequence(b, 65535, false, seq, 16) == -EINVAL);
}

/* Large coprime weights: the cycle is their sum, so cap decides. */
static void test_wrr_large(void)
{
	struct maglev_backend b[2] = { { 1, 65535 }, { 2, 65534 } };
	static uint16_t seq[131069];
	uint32_t i, n0 = 0;

	CHECK(maglev_wrr_sequence(b, 2, false, seq, 1000) == 1000);
	CHECK(maglev_wrr_sequence(b, 2, false, seq, 200000) == 131069);
	for (i = 0; i < 131069; i++)
		n0 += seq[i] == 0;
	CHECK(n0 == 65535);
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
