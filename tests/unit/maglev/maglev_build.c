/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_maglev, building tables: against a reference implementation of
 * the paper's algorithm, balance, weights (skewed, tight, all zero),
 * validation, determinism, and the WRR cycle.
 */
#include "maglev_test.h"

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
uint32_t test_rand(uint32_t *state)
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
void test_matches_reference(void)
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

void test_is_prime(void)
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
void test_balance(void)
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

/* Weights 1,2,3,4 (+ a 0): shares within 1% of the table of w / sum. */
void test_weights(void)
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
void test_weights_skewed(void)
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
void test_weights_tight(void)
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

void test_all_zero(void)
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

void test_validation(void)
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
void test_determinism(void)
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

void test_wrr(void)
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
void test_wrr_large(void)
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
