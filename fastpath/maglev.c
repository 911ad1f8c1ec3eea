/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weighted Maglev table build from scratch; maglev_rebuild.c rebuilds
 * from the previous table with minimal disruption and makes the smooth
 * weighted round-robin sequence. Both run on the control side when a
 * snapshot is built; the fast path only reads the finished arrays. No
 * DPDK here, so the unit tests link it bare.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ep_abi.h"
#include "flat_check.h"
#include "maglev.h"
#include "maglev_int.h"

/* Seeds for the two permutation hashes; any two distinct constants. */
#define MAGLEV_SEED_OFFSET 0x6a09e667f3bcc909ull
#define MAGLEV_SEED_SKIP 0xbb67ae8584caa73bull

/*
 * Largest max_weight / mean_weight for which the build visits every
 * backend every round instead of using a heap; see maglev_build().
 */
#ifndef MAGLEV_ROUNDS_MAX_SKEW
#define MAGLEV_ROUNDS_MAX_SKEW 16u
#endif

/* Up to this many weighted backends, a build's cursors live on the stack
 * and are sorted by insertion (a provisional table has about ten). */
#define MAGLEV_FEW_CURSORS 32u

/*
 * Up to this many distinct weights, a build schedules whole weight
 * classes instead of single backends (see fill_by_classes()).
 */
#define MAGLEV_MAX_CLASSES 8u

/*
 * One weighted backend's place in the build: where its permutation is now,
 * and when (which round) its next turn comes.
 */
struct maglev_cursor {
	uint64_t key; /* next turn's round << 32 | hash_id: turn order */
	uint32_t pos; /* slot the permutation points at now */
	uint32_t skip; /* permutation step, 1..m-1 */
	uint32_t turns; /* slots claimed so far */
	uint16_t index; /* into the caller's backends array */
	uint16_t weight;
	/* turns * max_w = quot * weight + rem, kept up to date by adding
	 * max_w = step_quot * weight + step_rem per turn: next_round()
	 * without a division per slot. */
	uint32_t quot;
	uint16_t rem;
	uint16_t step_rem;
	uint32_t step_quot;
};

/*
 * A backend's permutation during fill_by_classes(): 16 bytes, so the walks
 * of 1,000 backends stay in the first-level cache next to the table.
 */
struct maglev_walk {
	uint32_t pos; /* next slot to try */
	uint32_t skip;
	uint32_t inv; /* skip * inv = 1 (mod m), for the end game */
	uint16_t index; /* into the caller's backends array */
};

/*
 * Largest end game (see claim_end_game()): sqrt(EP_MAGLEV_MAX_SIZE) is
 * about 810.
 */
#define MAGLEV_END_GAME_MAX 1024u

/* What fill_by_classes() claims slots with. */
struct fill_state {
	uint64_t *taken; /* bitmap of the slots taken, until the end game */
	uint16_t *table;
	uint32_t m;
	uint32_t left; /* slots still empty */
	uint32_t end_game; /* from this many left, claim from free[] */
	uint32_t n_free;
	uint64_t magic; /* ceil(2^64 / m): x % m without a division */
	uint32_t free[MAGLEV_END_GAME_MAX];
};

/*
 * The backends of one weight. They all take their turns in the same
 * rounds (a turn's round depends only on the weight, max_w and how many
 * turns came before), so the schedule is kept once per class.
 */
struct maglev_class {
	uint32_t first; /* into the member list (ranks, ascending) */
	uint32_t count;
	uint32_t round; /* the round of the members' next turn */
	uint32_t quot; /* turns * max_w = quot * weight + rem, as cursors */
	uint32_t step_quot;
	uint16_t rem;
	uint16_t step_rem;
	uint16_t weight;
};

/*
 * 64-bit finaliser (xor-shift / multiply rounds, as in splitmix64): every
 * input bit reaches every output bit, so consecutive hash_ids (1, 2, 3...)
 * still get unrelated offsets and skips.
 */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static bool cursor_before(const struct maglev_cursor *a,
			  const struct maglev_cursor *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	return a->index < b->index; /* equal hash_ids: array order decides */
}

/* Restore the heap order below slot i after heap[i] became later. */
static void heap_sift_down(struct maglev_cursor *heap, uint32_t len, uint32_t i)
{
	struct maglev_cursor item = heap[i];

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= len)
			break;
		if (child + 1 < len &&
		    cursor_before(&heap[child + 1], &heap[child]))
			child++;
		if (!cursor_before(&heap[child], &item))
			break;
		heap[i] = heap[child];
		i = child;
	}
	heap[i] = item;
}

/*
 * Round in which a backend takes its turn number turns + 1 (rounds start at
 * 1): 1 + turns * max_w / weight. Backend i takes a turn in every round
 * where its credit, weight_i / max_w per round, crosses a whole number; it
 * starts with one turn of credit so that every weighted backend claims a
 * slot in round 1 (that is why m >= number of weighted backends is enough
 * for each to get one). The quotient is carried from turn to turn (see
 * struct maglev_cursor), so this is an add and a compare, not a division.
 */
static uint64_t next_round(struct maglev_cursor *c)
{
	c->quot += c->step_quot;
	c->rem += c->step_rem; /* both < weight <= 65535: no wrap */
	if (c->rem >= c->weight) {
		c->rem -= c->weight;
		c->quot++;
	}
	/* A backend's next round is at most the current one + max_w, and a
	 * build ends by round m (the heaviest backend claims every round), so
	 * this stays below 2^21 and fits the key's upper half. */
	return 1 + (uint64_t)c->quot;
}

static void cursor_init(struct maglev_cursor *c, const struct maglev_backend *b,
			uint16_t index, uint32_t m, uint16_t max_w)
{
	uint64_t h1 = mix64(b->hash_id ^ MAGLEV_SEED_OFFSET);
	uint64_t h2 = mix64(b->hash_id ^ MAGLEV_SEED_SKIP);

	/* The paper's permutation: offset = h1 % m, skip = h2 % (m - 1) + 1.
	 * m prime makes every skip coprime with m, so it visits every slot. */
	c->pos = (uint32_t)(h1 % m);
	c->skip = (uint32_t)(h2 % (m - 1)) + 1;
	c->turns = 0;
	c->index = index;
	c->weight = b->weight;
	c->quot = 0;
	c->rem = 0;
	c->step_quot = max_w / b->weight;
	c->step_rem = (uint16_t)(max_w % b->weight);
	c->key = (uint64_t)1 << 32 | b->hash_id; /* everyone plays round 1 */
}

/*
 * Walk c's permutation to its next free slot and claim it. pos and skip
 * live in registers for the walk (through c, the compiler would store pos
 * on every probe: table and cursor may alias as far as it knows).
 */
static void cursor_claim(struct maglev_cursor *c, uint16_t *table, uint32_t m)
{
	uint32_t pos = c->pos;
	const uint32_t skip = c->skip;

	while (table[pos] != MAGLEV_EMPTY) {
		pos += skip; /* pos, skip < m <= 655373: no wrap */
		if (pos >= m)
			pos -= m;
	}
	table[pos] = c->index;
	c->pos = pos;
	c->turns++;
}

static void table_clear(uint16_t *table, uint32_t m)
{
	uint32_t i;

	for (i = 0; i < m; i++)
		table[i] = MAGLEV_EMPTY;
}

int maglev_args_valid(const struct maglev_backend *backends, uint32_t n,
		      const uint16_t *table, uint32_t m)
{
	if (table == NULL || (backends == NULL && n > 0))
		return -EINVAL;
	if (n > MAGLEV_MAX_BACKENDS)
		return -EINVAL;
	/* The size cap bounds the build's time and the snapshot's memory. */
	if (m > EP_MAGLEV_MAX_SIZE || !ep_is_prime(m))
		return -EINVAL;
	return 0;
}

/*
 * One cursor per weighted backend, in array order; returns how many and
 * the largest and total weight, which pick the fill strategy.
 */
static uint32_t cursors_init(const struct maglev_backend *backends, uint32_t n,
			     struct maglev_cursor *cur, uint32_t m,
			     uint16_t *max_w, uint64_t *sum_w)
{
	uint32_t i, len = 0;

	*max_w = 0;
	*sum_w = 0;
	for (i = 0; i < n; i++) {
		*sum_w += backends[i].weight;
		if (backends[i].weight > *max_w)
			*max_w = backends[i].weight;
	}
	for (i = 0; i < n; i++)
		if (backends[i].weight > 0)
			cursor_init(&cur[len++], &backends[i], (uint16_t)i, m,
				    *max_w);
	return len;
}

/* Give c its next turn: claim a slot, then schedule the turn after. */
static void cursor_turn(struct maglev_cursor *c, uint16_t *table, uint32_t m)
{
	cursor_claim(c, table, m);
	c->key = next_round(c) << 32 | (c->key & UINT32_MAX);
}

/*
 * Turn order for both fill strategies below, which therefore produce the
 * same table: round by round and, within a round, by hash_id (array order
 * only between equal hash_ids). Ordering by hash_id rather than by
 * position makes the table depend only on the set of backends, not on how
 * the caller happened to list them.
 */
static int cursor_cmp(const void *a, const void *b)
{
	return cursor_before(a, b) ? -1 : cursor_before(b, a) ? 1 : 0;
}

/*
 * Sort cursors into turn order. A provisional table has about ten: an
 * insertion sort takes a few hundred cycles where qsort's merge sort,
 * with a call per compare, took about 1 % of a 1000-service snap_build.
 */
static void cursors_sort(struct maglev_cursor *cur, uint32_t len)
{
	uint32_t i, j;

	if (len > MAGLEV_FEW_CURSORS) {
		qsort(cur, len, sizeof(*cur), cursor_cmp);
		return;
	}
	for (i = 1; i < len; i++) {
		struct maglev_cursor c = cur[i];

		for (j = i; j > 0 && cursor_before(&c, &cur[j - 1]); j--)
			cur[j] = cur[j - 1];
		cur[j] = c;
	}
}

/*
 * Visit every cursor each round. Cheap and branch-predictable when the
 * weights are alike (every cursor plays every round), but a round costs
 * len whoever plays, so skewed weights make it O(m * max_w / mean_w).
 */
static void fill_by_rounds(struct maglev_cursor *cur, uint32_t len,
			   uint16_t *table, uint32_t m)
{
	uint32_t i, filled = 0;
	uint64_t round;

	for (round = 1;; round++) { /* cur is in turn order (cursors_sort) */
		for (i = 0; i < len; i++) {
			if (cur[i].key >> 32 != round)
				continue;
			cursor_turn(&cur[i], table, m);
			if (++filled == m)
				return;
		}
	}
}

/*
 * Always take the earliest turn from a min-heap: O(m log len) whatever
 * the weights, but its compares are unpredictable, so it is the slower
 * choice when the weights are alike.
 */
static void fill_by_heap(struct maglev_cursor *heap, uint32_t len,
			 uint16_t *table, uint32_t m)
{
	uint32_t i, filled;

	for (i = len / 2; i-- > 0;)
		heap_sift_down(heap, len, i);
	for (filled = 0; filled < m; filled++) {
		cursor_turn(&heap[0], table, m);
		heap_sift_down(heap, len, 0);
	}
}

/*
 * Claim the next free slot of w's permutation. The walk then moves one
 * step on: the slot just claimed is taken, so the next turn need not try
 * it again. pos and skip stay in registers (see cursor_claim()).
 */
static inline void walk_claim(struct maglev_walk *w, struct fill_state *fs)
{
	const uint64_t *taken = fs->taken;
	const uint32_t skip = w->skip, back = fs->m - skip;
	uint32_t pos = w->pos;

	while (taken[pos >> 6] >> (pos & 63) & 1)
		pos = pos >= back ? pos - back : pos + skip;
	fs->taken[pos >> 6] |= 1ull << (pos & 63);
	fs->table[pos] = w->index;
	w->pos = pos >= back ? pos - back : pos + skip;
}

/* x % m for x < 2^40, m < 2^20: with magic = ceil(2^64 / m) the high
 * half of x * magic is exactly x / m (its error stays below 1 / m). */
static inline uint32_t mod_m(uint64_t x, uint64_t magic, uint32_t m)
{
	uint64_t q = (uint64_t)(((unsigned __int128)x * magic) >> 64);

	return (uint32_t)(x - q * m);
}

/* The slots still free, from the bitmap, when the end game starts. */
static void end_game_start(struct fill_state *fs)
{
	uint32_t word, words = (fs->m + 63) / 64;

	fs->n_free = 0;
	for (word = 0; word < words; word++) {
		uint64_t free_bits = ~fs->taken[word];

		while (free_bits != 0) {
			uint32_t i = word * 64 +
				     (uint32_t)__builtin_ctzll(free_bits);

			if (i >= fs->m)
				break; /* the last word's bits past m */
			fs->free[fs->n_free++] = i;
			free_bits &= free_bits - 1;
		}
	}
}

/* skip^-1 (mod m), m prime and 0 < skip < m (extended Euclid). */
static uint32_t inverse_mod(uint32_t skip, uint32_t m)
{
	int64_t t = 0, new_t = 1, r = m, new_r = skip;

	while (new_r != 0) {
		int64_t q = r / new_r, tmp;

		tmp = t - q * new_t;
		t = new_t;
		new_t = tmp;
		tmp = r - q * new_r;
		r = new_r;
		new_r = tmp;
	}
	return (uint32_t)(t < 0 ? t + m : t);
}

/*
 * With k slots left, a walk probes about m / k slots to find one. Below
 * about sqrt(m) left it is cheaper to ask each free slot f how many steps
 * away it is, (f - pos) / skip (mod m), and take the nearest: the same
 * slot the walk would reach first, so the same table.
 */
static __attribute__((noinline)) void claim_end_game(struct maglev_walk *w,
						     struct fill_state *fs)
{
	const uint32_t m = fs->m, pos = w->pos;
	uint32_t i, best = 0, best_d = UINT32_MAX, f, inv;

	if (fs->left == fs->end_game)
		end_game_start(fs);
	if (w->inv == 0) /* first claim in the end game (inv is never 0) */
		w->inv = inverse_mod(w->skip, m);
	inv = w->inv;

	for (i = 0; i < fs->n_free; i++) {
		uint32_t diff = fs->free[i] >= pos ? fs->free[i] - pos
						   : fs->free[i] + m - pos;
		uint32_t d = mod_m((uint64_t)diff * inv, fs->magic, m);

		if (d < best_d) {
			best_d = d;
			best = i;
		}
	}
	f = fs->free[best];
	fs->free[best] = fs->free[--fs->n_free];
	fs->table[f] = w->index;
	w->pos = f + w->skip >= m ? f + w->skip - m : f + w->skip;
}

/* Claim w's next slot; 1 when that was the last empty one. */
static inline int claim(struct maglev_walk *w, struct fill_state *fs)
{
	if (fs->left > fs->end_game)
		walk_claim(w, fs);
	else
		claim_end_game(w, fs);
	return --fs->left == 0;
}

/*
 * Where the end game starts: a walk then probes m / k slots where asking
 * costs k evaluations, each dearer than a probe but free of its
 * mispredicted exit. At sqrt(m) / 2 left it keeps most of the saving
 * (the probes of the last slots) at a quarter of the evaluations.
 */
static uint32_t end_game_size(uint32_t m)
{
	uint32_t k = 1;

	while (4 * (k + 1) * (k + 1) <= m && k + 1 <= MAGLEV_END_GAME_MAX)
		k++;
	return k;
}

/* Schedule a class's next round, as next_round() does for a cursor. */
static void class_advance(struct maglev_class *c)
{
	c->quot += c->step_quot;
	c->rem += c->step_rem;
	if (c->rem >= c->weight) {
		c->rem -= c->weight;
		c->quot++;
	}
	c->round = 1 + c->quot;
}

/*
 * Group the sorted cursors by weight: classes in cls, each class's member
 * ranks ascending in members, walks in rank order. Returns the number of
 * classes, or 0 when there are more than MAGLEV_MAX_CLASSES.
 */
static uint32_t classes_init(const struct maglev_cursor *cur, uint32_t len,
			     uint16_t max_w, struct maglev_class *cls,
			     uint16_t *members, struct maglev_walk *walk)
{
	uint32_t i, c, k = 0, first = 0;

	for (i = 0; i < len; i++) {
		for (c = 0; c < k && cls[c].weight != cur[i].weight; c++)
			;
		if (c == k) {
			if (k == MAGLEV_MAX_CLASSES)
				return 0;
			memset(&cls[k], 0, sizeof(cls[k]));
			cls[k].weight = cur[i].weight;
			cls[k].round = 1; /* everyone plays round 1 */
			cls[k].step_quot = max_w / cur[i].weight;
			cls[k].step_rem = (uint16_t)(max_w % cur[i].weight);
			k++;
		}
		cls[c].count++;
		walk[i].pos = cur[i].pos;
		walk[i].skip = cur[i].skip;
		walk[i].inv = 0; /* claim_end_game() sets it when needed */
		walk[i].index = cur[i].index;
	}
	for (c = 0; c < k; c++) {
		cls[c].first = first;
		first += cls[c].count;
		cls[c].count = 0;
	}
	for (i = 0; i < len; i++) {
		for (c = 0; cls[c].weight != cur[i].weight; c++)
			;
		members[cls[c].first + cls[c].count++] = (uint16_t)i;
	}
	return k;
}

/*
 * One round of the classes in play[0..np): their members in rank order,
 * merged when several classes play. Stops when the table is full.
 */
static void classes_play(const struct maglev_class *cls, uint32_t k,
			 const uint32_t *play, uint32_t np,
			 const uint16_t *members, struct maglev_walk *walk,
			 uint32_t len, struct fill_state *fs)
{
	uint32_t at[MAGLEV_MAX_CLASSES], end[MAGLEV_MAX_CLASSES], i, j;

	if (np == k) { /* everyone: the walks are in rank order */
		for (j = 0; j < len; j++)
			if (claim(&walk[j], fs))
				return;
		return;
	}
	if (np == 1) {
		for (j = cls[play[0]].first;
		     j < cls[play[0]].first + cls[play[0]].count; j++)
			if (claim(&walk[members[j]], fs))
				return;
		return;
	}
	for (i = 0; i < np; i++) {
		at[i] = cls[play[i]].first;
		end[i] = at[i] + cls[play[i]].count;
	}
	for (;;) {
		uint32_t best = UINT32_MAX;

		for (i = 0; i < np; i++)
			if (at[i] < end[i] &&
			    (best == UINT32_MAX ||
			     members[at[i]] < members[at[best]]))
				best = i;
		if (best == UINT32_MAX || claim(&walk[members[at[best]++]], fs))
			return;
	}
}

/*
 * Few distinct weights (equal weights, or one heavy backend among equal
 * ones): each round, only the classes whose round it is play, in rank
 * order, so a round costs the turns it holds and no per-backend
 * scheduling. Same turn order, hence the same table, as the other two.
 */
static void fill_by_classes(struct maglev_class *cls, uint32_t k,
			    const uint16_t *members, struct maglev_walk *walk,
			    uint32_t len, uint64_t *taken, uint16_t *table,
			    uint32_t m)
{
	uint32_t play[MAGLEV_MAX_CLASSES];
	struct fill_state state, *fs = &state; /* free[]: 4 KiB of stack */

	memset(taken, 0, (m + 63) / 64 * sizeof(*taken));
	fs->taken = taken;
	fs->table = table;
	fs->m = m;
	fs->left = m;
	fs->end_game = end_game_size(m);
	fs->magic = UINT64_MAX / m + 1;

	while (fs->left > 0) {
		uint32_t c, np = 0, round = UINT32_MAX;

		for (c = 0; c < k; c++)
			if (cls[c].round < round)
				round = cls[c].round;
		for (c = 0; c < k; c++)
			if (cls[c].round == round)
				play[np++] = c;
		classes_play(cls, k, play, np, members, walk, len, fs);
		for (c = 0; c < np; c++)
			class_advance(&cls[play[c]]);
	}
}

/*
 * A build's scratch: cursors, and for fill_by_classes() the walks, the
 * member lists and a bitmap of the slots taken (8 KiB for 65537 slots,
 * where the table is 128 KiB: the probes hit the first-level cache).
 */
struct build_scratch {
	struct maglev_cursor *cur;
	struct maglev_walk *walk;
	uint16_t *members;
	uint64_t *taken;
};

/* Room on the stack for a provisional table's build (1009 slots, ten
 * backends); anything larger takes one allocation. */
#define MAGLEV_FEW_TAKEN_WORDS 64u

struct build_few {
	struct maglev_cursor cur[MAGLEV_FEW_CURSORS];
	struct maglev_walk walk[MAGLEV_FEW_CURSORS];
	uint16_t members[MAGLEV_FEW_CURSORS];
	uint64_t taken[MAGLEV_FEW_TAKEN_WORDS];
};

/* Point sc into `few`, or into one allocation (returned, to free). */
static void *build_scratch_init(struct build_scratch *sc, struct build_few *few,
				uint32_t len, uint32_t m)
{
	size_t words = (m + 63) / 64;
	uint8_t *mem;

	if (len <= MAGLEV_FEW_CURSORS && words <= MAGLEV_FEW_TAKEN_WORDS) {
		sc->cur = few->cur;
		sc->walk = few->walk;
		sc->members = few->members;
		sc->taken = few->taken;
		return few;
	}
	/* Taken words and cursors first: both want 8-byte alignment. */
	mem = malloc(words * sizeof(uint64_t) +
		     len * (sizeof(*sc->cur) + sizeof(*sc->walk) +
			    sizeof(*sc->members)));
	if (mem == NULL)
		return NULL;
	sc->taken = (uint64_t *)mem;
	sc->cur = (struct maglev_cursor *)(sc->taken + words);
	sc->walk = (struct maglev_walk *)(sc->cur + len);
	sc->members = (uint16_t *)(sc->walk + len);
	return mem;
}

/*
 * Fill with the cheapest strategy for the weights; all give the same
 * table. sc->cur holds len cursors.
 */
static void fill_table(struct build_scratch *sc, uint32_t len, uint16_t max_w,
		       uint64_t sum_w, uint16_t *table, uint32_t m)
{
	struct maglev_class cls[MAGLEV_MAX_CLASSES];
	struct maglev_cursor *cur = sc->cur;
	uint32_t k;

	cursors_sort(cur, len);
	k = classes_init(cur, len, max_w, cls, sc->members, sc->walk);
	if (k > 0)
		fill_by_classes(cls, k, sc->members, sc->walk, len, sc->taken,
				table, m);
	/* Rounds visit len cursors per round, about len * max_w / sum_w
	 * visits per slot: use them while that stays a small constant. */
	else if ((uint64_t)max_w * len <= MAGLEV_ROUNDS_MAX_SKEW * sum_w)
		fill_by_rounds(cur, len, table, m);
	else
		fill_by_heap(cur, len, table, m);
}

int maglev_build(const struct maglev_backend *backends, uint32_t n,
		 uint16_t *table, uint32_t m)
{
	struct build_few few;
	struct build_scratch sc;
	uint32_t i, weighted = 0;
	uint64_t sum_w;
	uint16_t max_w;
	void *mem;
	int rc;

	rc = maglev_args_valid(backends, n, table, m);
	if (rc != 0)
		return rc;
	for (i = 0; i < n; i++)
		weighted += backends[i].weight > 0;
	if (weighted > m)
		return -EINVAL;
	if (weighted == 0) {
		/* n == 0 lands here too: a service with no backend left. */
		table_clear(table, m);
		return -ENOENT;
	}

	mem = build_scratch_init(&sc, &few, weighted, m);
	if (mem == NULL)
		return -ENOMEM;
	table_clear(table, m);
	weighted = cursors_init(backends, n, sc.cur, m, &max_w, &sum_w);
	fill_table(&sc, weighted, max_w, sum_w, table, m);
	if (mem != &few)
		free(mem);
	return 0;
}
