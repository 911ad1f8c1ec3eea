/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/tiers.c: Envoy's priority load. Tier shares for various
 * healthy counts (overprovisioning 1.4), spill to the next tier in
 * proportion and back, per-tier and total panic, normalisation when the
 * total health is short, weights within a tier, and the effective
 * weights the overlay writes.
 */
#include <string.h>

#include "check.h"
#include "tiers.h"

#define N_MAX 16

struct svc {
	struct tiers_in in[N_MAX];
	struct tiers_out out[N_MAX];
	struct tiers_plan plan;
	uint32_t n;
};

/* n0 backends in tier 0 (h0 healthy), n1 in tier 1 (h1 healthy). */
static void two_tiers(struct svc *s, uint32_t n0, uint32_t h0, uint32_t n1,
		      uint32_t h1, uint32_t panic)
{
	memset(s, 0, sizeof(*s));
	for (uint32_t i = 0; i < n0 + n1; i++) {
		s->in[i].priority = i < n0 ? 0 : 1;
		s->in[i].weight = 1;
		s->in[i].eligible = true;
		s->in[i].healthy = i < n0 ? i < h0 : i - n0 < h1;
	}
	s->n = n0 + n1;
	tiers_plan(s->in, s->n, panic, s->out, &s->plan);
}

static uint32_t load(const struct svc *s, uint32_t t)
{
	return s->plan.tier[t].load_ppm;
}

/* Share of all new flows on backends i..j-1 together. */
static uint32_t share(const struct svc *s, uint32_t i, uint32_t j)
{
	uint32_t sum = 0;

	for (; i < j; i++)
		sum += s->out[i].share_ppm;
	return sum;
}

static void test_shares(void)
{
	struct svc s;

	/* all healthy: tier 0 takes everything, configured weights */
	two_tiers(&s, 4, 4, 4, 4, 50);
	CHECK(s.plan.n_tiers == 2 && !s.plan.panic);
	CHECK(load(&s, 0) == 1000000 && load(&s, 1) == 0);
	CHECK(s.out[0].weight == 1 && s.out[3].weight == 1);
	CHECK(s.out[4].weight == 0 && s.out[7].weight == 0);
	CHECK(!s.out[4].down && s.out[0].share_ppm == 250000);
	CHECK(s.plan.tier[0].health_ppm == 1000000);

	/* 3 of 4: 1.4 x 75 % = 105 %, still all on tier 0 */
	two_tiers(&s, 4, 3, 4, 4, 50);
	CHECK(load(&s, 0) == 1000000 && load(&s, 1) == 0);
	CHECK(s.out[3].down && s.out[3].weight == 0);
	CHECK(s.out[0].weight == 1 && s.out[4].weight == 0);
	CHECK(s.out[0].share_ppm == 333333);

	/* 2 of 4: 70 % stays, 30 % spills to tier 1 in proportion */
	two_tiers(&s, 4, 2, 4, 4, 50);
	CHECK(s.plan.tier[0].health_ppm == 700000);
	CHECK(load(&s, 0) == 700000 && load(&s, 1) == 300000);
	CHECK(!s.plan.tier[0].panic && !s.plan.panic);
	CHECK(share(&s, 0, 4) == 700000 && share(&s, 4, 8) == 300000);
	CHECK(s.out[0].weight == 21000 && s.out[4].weight == 4500);
	CHECK(s.out[2].down && s.out[3].down && !s.out[4].down);

	/* 1 of 4: 35 % / 65 %; with 100 % total health no tier panics */
	two_tiers(&s, 4, 1, 4, 4, 50);
	CHECK(load(&s, 0) == 350000 && load(&s, 1) == 650000);
	CHECK(!s.plan.tier[0].panic);
	CHECK(s.out[0].share_ppm == 350000 && s.out[1].down);
	CHECK(s.out[0].weight == 21000 && s.out[4].weight == 9750);

	/* none of tier 0: all on tier 1, at its configured weights */
	two_tiers(&s, 4, 0, 4, 4, 50);
	CHECK(load(&s, 0) == 0 && load(&s, 1) == 1000000);
	CHECK(s.out[0].down && s.out[0].weight == 0);
	CHECK(s.out[4].weight == 1 && s.out[4].share_ppm == 250000);

	/* and back when tier 0 recovers */
	two_tiers(&s, 4, 4, 4, 4, 50);
	CHECK(load(&s, 0) == 1000000 && s.out[4].weight == 0);
	CHECK(!s.out[0].down && s.out[0].weight == 1);
}

static void test_panic(void)
{
	struct svc s;

	/* 0/4 and 1/4: 35 % total, both tiers under 50 %: total panic,
	 * every eligible backend by its configured weight */
	two_tiers(&s, 4, 0, 4, 1, 50);
	CHECK(s.plan.panic && s.plan.total_health_ppm == 350000);
	for (uint32_t i = 0; i < 8; i++)
		CHECK(s.out[i].weight == 1 && !s.out[i].down &&
		      s.out[i].share_ppm == 125000);
	/* threshold 0: no panic; the healthy one takes all (normalised) */
	two_tiers(&s, 4, 0, 4, 1, 0);
	CHECK(!s.plan.panic && load(&s, 1) == 1000000);
	CHECK(s.out[4].weight == 1 && s.out[4].share_ppm == 1000000);
	CHECK(s.out[5].down && s.out[0].down);
	/* nothing healthy, threshold 0: no backend takes flows */
	two_tiers(&s, 2, 0, 2, 0, 0);
	CHECK(!s.plan.panic && share(&s, 0, 4) == 0);
	CHECK(s.out[0].down && s.out[3].down && s.out[3].weight == 0);
	/* nothing healthy, threshold 50: total panic */
	two_tiers(&s, 2, 0, 2, 0, 50);
	CHECK(s.plan.panic && s.out[0].weight == 1 && !s.out[0].down);

	/* partial: 1/5 (28 %, panics) and 1/2 (70 %, at 50 %: not) make
	 * 98 %: tier 0's load goes over all five of its backends */
	memset(&s, 0, sizeof(s));
	for (uint32_t i = 0; i < 7; i++) {
		s.in[i].priority = i < 5 ? 0 : 1;
		s.in[i].weight = 1;
		s.in[i].eligible = true;
		s.in[i].healthy = i == 0 || i == 5;
	}
	tiers_plan(s.in, 7, 50, s.out, &s.plan);
	CHECK(s.plan.tier[0].panic && !s.plan.tier[1].panic && !s.plan.panic);
	CHECK(load(&s, 0) == 285715 && load(&s, 1) == 714285);
	CHECK(s.out[4].share_ppm == 57143 && !s.out[4].down);
	CHECK(s.out[5].share_ppm == 714285 && s.out[6].down);
	CHECK(load(&s, 0) + load(&s, 1) == 1000000);

	/* one tier, Envoy's rule: 75 % healthy is 105 %: no panic even at
	 * a threshold of 80 (the overprovisioning covers it) */
	two_tiers(&s, 4, 3, 0, 0, 80);
	CHECK(!s.plan.panic && s.out[3].down);
	/* 2/4 at 80: panic */
	two_tiers(&s, 4, 2, 0, 0, 80);
	CHECK(s.plan.panic && !s.out[3].down);
}

static void test_weights_and_gaps(void)
{
	struct svc s;

	memset(&s, 0, sizeof(s));
	/* tier 0: weights 1 and 3, one of two down -> 70 %; tier 2 (tier 1
	 * empty): weights 2 and 2; a drained tier-0 backend counts nowhere */
	s.in[0] = (struct tiers_in){ 0, 1, true, true };
	s.in[1] = (struct tiers_in){ 0, 3, true, false };
	s.in[2] = (struct tiers_in){ 2, 2, true, true };
	s.in[3] = (struct tiers_in){ 2, 2, true, true };
	s.in[4] = (struct tiers_in){ 0, 5, false, true };
	tiers_plan(s.in, 5, 50, s.out, &s.plan);
	CHECK(s.plan.n_tiers == 3 && s.plan.tier[1].eligible == 0);
	CHECK(s.plan.tier[0].eligible == 2 && s.plan.tier[0].healthy == 1);
	CHECK(load(&s, 0) == 700000 && load(&s, 2) == 300000);
	CHECK(s.out[0].share_ppm == 700000 && s.out[1].down);
	CHECK(s.out[2].share_ppm == 150000 && s.out[3].weight == 9000);
	CHECK(s.out[4].weight == 0 && !s.out[4].down);

	/* all healthy, unequal weights in tier 0: its weights as they are */
	s.in[1].healthy = true;
	tiers_plan(s.in, 5, 50, s.out, &s.plan);
	CHECK(s.out[0].weight == 1 && s.out[1].weight == 3);
	CHECK(s.out[1].share_ppm == 750000 && s.out[2].weight == 0);

	/* tier 0 drained entirely: tier 2 takes all */
	s.in[0].eligible = s.in[1].eligible = false;
	tiers_plan(s.in, 5, 50, s.out, &s.plan);
	CHECK(load(&s, 2) == 1000000 && s.out[2].weight == 2);
	CHECK(!s.out[0].down && s.out[0].weight == 0);

	/* weight 0 never takes flows, priority past the last tier clamps */
	memset(&s, 0, sizeof(s));
	s.in[0] = (struct tiers_in){ 0, 0, true, true };
	s.in[1] = (struct tiers_in){ 200, 1, true, true };
	tiers_plan(s.in, 2, 50, s.out, NULL);
	CHECK(s.out[0].weight == 0 && s.out[1].weight == 1);
	/* a tiny share still gets weight 1: tier 0 at 70 %, tier 1's 30 %
	 * over one weight-1 and 13 weight-65535 backends */
	memset(&s, 0, sizeof(s));
	for (uint32_t i = 0; i < N_MAX; i++) {
		s.in[i].priority = i < 2 ? 0 : 1;
		s.in[i].weight = i < 3 ? 1 : 65535;
		s.in[i].eligible = true;
		s.in[i].healthy = i != 1;
	}
	tiers_plan(s.in, N_MAX, 50, s.out, &s.plan);
	CHECK(s.out[0].weight == 42000 && s.out[1].down);
	CHECK(s.out[2].share_ppm == 0 && s.out[2].weight == 1);
	CHECK(s.out[3].weight == 1385);
	/* no backends at all */
	tiers_plan(s.in, 0, 50, s.out, &s.plan);
	CHECK(s.plan.n_tiers == 0 && !s.plan.panic);
}

/* Held out (ejected, TTL lapsed): not healthy for loads and panic, no
 * flows even in panic. */
static void test_held_out(void)
{
	struct svc s;

	/* half of tier 0 held out though its checks pass: 70 % / 30 % */
	two_tiers(&s, 4, 4, 4, 4, 50);
	s.in[0].held_out = s.in[1].held_out = true;
	tiers_plan(s.in, s.n, 50, s.out, &s.plan);
	CHECK(s.plan.tier[0].eligible == 4 && s.plan.tier[0].healthy == 2);
	CHECK(load(&s, 0) == 700000 && load(&s, 1) == 300000);
	CHECK(s.out[0].down && s.out[0].weight == 0 && s.out[0].share_ppm == 0);
	CHECK(s.out[2].share_ppm == 350000 && share(&s, 4, 8) == 300000);
	CHECK(s.plan.healthy == 6 && s.plan.eligible == 8);

	/* all of tier 0 held out: tier 1 alone, at its configured weights */
	s.in[2].held_out = s.in[3].held_out = true;
	tiers_plan(s.in, s.n, 50, s.out, &s.plan);
	CHECK(load(&s, 0) == 0 && load(&s, 1) == 1000000);
	CHECK(s.out[3].down && s.out[4].weight == 1 && s.out[7].weight == 1);
	CHECK(!s.plan.panic && share(&s, 4, 8) == 1000000);

	/* one tier: 1 fails its checks, 2 held out, 1 healthy: 25 % is
	 * under 50 %, panic; the failing one takes flows, the held-out
	 * ones do not */
	two_tiers(&s, 4, 3, 0, 0, 50);
	s.in[0].held_out = s.in[1].held_out = true;
	tiers_plan(s.in, s.n, 50, s.out, &s.plan);
	CHECK(s.plan.panic && s.plan.healthy == 1);
	CHECK(s.out[0].down && s.out[1].down && s.out[0].weight == 0);
	CHECK(s.out[2].weight == 1 && s.out[3].weight == 1);
	CHECK(!s.out[3].down && s.out[3].share_ppm == 500000);

	/* every one held out: panic, none takes flows, all down */
	for (uint32_t i = 0; i < 4; i++)
		s.in[i].held_out = true;
	tiers_plan(s.in, s.n, 50, s.out, &s.plan);
	CHECK(s.plan.panic && s.plan.healthy == 0);
	for (uint32_t i = 0; i < 4; i++)
		CHECK(s.out[i].down && s.out[i].weight == 0);
}

int main(void)
{
	test_shares();
	test_panic();
	test_weights_and_gaps();
	test_held_out();
	return check_summary("tiers");
}
