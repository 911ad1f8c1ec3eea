/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_maglev, changes: how few slots move when a backend is removed,
 * added or reweighted, and incremental rebuilds (history, determinism,
 * from nothing, validation).
 */
#include "maglev_test.h"

struct disruption {
	double moved; /* fraction of slots whose owner changed */
	double between_kept; /* ... from one kept backend to another */
};

/* Compare two owner maps; a backend is "kept" when it is in both. */
struct disruption compare(const uint32_t *before, const uint32_t *after,
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
void test_disruption_build(void)
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
void test_disruption_remove(void)
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
void test_disruption_add(void)
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
void test_disruption_reweight(void)
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
void test_rebuild_history(void)
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
void test_rebuild_determinism(void)
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
void test_rebuild_from_nothing(void)
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

void test_rebuild_validation(void)
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
