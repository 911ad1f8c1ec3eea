/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Priority tiers: Envoy's priority load with the overprovisioning factor
 * and per-tier panic (tiers.h).
 */
#include <string.h>

#include "health.h"
#include "tiers.h"

static uint32_t tier_of(const struct tiers_in *b)
{
	return b->priority < TIERS_N ? b->priority : TIERS_N - 1;
}

static bool healthy(const struct tiers_in *b)
{
	return b->healthy && !b->held_out;
}

/* Counts, health and the panic of each tier; the service's totals. */
static void tiers_count(const struct tiers_in *in, uint32_t n,
			uint32_t panic_percent, struct tiers_plan *p)
{
	uint64_t sum = 0;
	bool all_panic = true;

	memset(p, 0, sizeof(*p));
	for (uint32_t i = 0; i < n; i++) {
		struct tiers_tier *t = &p->tier[tier_of(&in[i])];

		if (!in[i].eligible || in[i].weight == 0)
			continue;
		t->eligible++;
		t->healthy += healthy(&in[i]);
		if (tier_of(&in[i]) + 1 > p->n_tiers)
			p->n_tiers = tier_of(&in[i]) + 1;
	}
	for (uint32_t k = 0; k < p->n_tiers; k++) {
		struct tiers_tier *t = &p->tier[k];
		uint64_t h;

		if (t->eligible == 0)
			continue;
		h = (uint64_t)t->healthy * TIERS_PPM *
		    TIERS_OVERPROVISION_PERCENT / 100u / t->eligible;
		t->health_ppm = h < TIERS_PPM ? (uint32_t)h : TIERS_PPM;
		sum += t->health_ppm;
		p->eligible += t->eligible;
		p->healthy += t->healthy;
	}
	p->total_health_ppm = sum < TIERS_PPM ? (uint32_t)sum : TIERS_PPM;
	for (uint32_t k = 0; k < p->n_tiers; k++) {
		struct tiers_tier *t = &p->tier[k];

		if (t->eligible == 0)
			continue;
		/* Envoy: with 100 % total health no tier panics. */
		t->panic = p->total_health_ppm < TIERS_PPM &&
			   health_panic(t->healthy, t->eligible, panic_percent);
		all_panic = all_panic && t->panic;
	}
	p->panic = p->eligible > 0 && all_panic;
}

/* Envoy's priority load; rounding left-overs to the first tier with
 * health. */
static void tiers_load(struct tiers_plan *p)
{
	uint32_t left = TIERS_PPM, first = TIERS_N;

	if (p->total_health_ppm == 0)
		return;
	for (uint32_t k = 0; k < p->n_tiers; k++) {
		struct tiers_tier *t = &p->tier[k];
		uint64_t want = (uint64_t)t->health_ppm * TIERS_PPM /
				p->total_health_ppm;

		t->load_ppm = want < left ? (uint32_t)want : left;
		left -= t->load_ppm;
		if (first == TIERS_N && t->health_ppm > 0)
			first = k;
	}
	if (first < TIERS_N)
		p->tier[first].load_ppm += left;
}

/* Does backend i take flows within its tier's load? */
static bool takes(const struct tiers_in *b, const struct tiers_plan *p)
{
	const struct tiers_tier *t = &p->tier[tier_of(b)];

	if (!b->eligible || b->weight == 0 || b->held_out)
		return false;
	if (p->panic)
		return true;
	return t->load_ppm > 0 && (b->healthy || t->panic);
}

void tiers_plan(const struct tiers_in *in, uint32_t n, uint32_t panic_percent,
		struct tiers_out *out, struct tiers_plan *plan)
{
	struct tiers_plan local, *p = plan != NULL ? plan : &local;
	uint64_t wsum[TIERS_N] = { 0 }, all = 0;
	uint32_t loaded = 0;

	tiers_count(in, n, panic_percent, p);
	if (!p->panic)
		tiers_load(p);
	for (uint32_t i = 0; i < n; i++)
		if (takes(&in[i], p)) {
			wsum[tier_of(&in[i])] += in[i].weight;
			all += in[i].weight;
		}
	for (uint32_t k = 0; k < p->n_tiers; k++)
		loaded += p->tier[k].load_ppm > 0;
	for (uint32_t i = 0; i < n; i++) {
		struct tiers_out *o = &out[i];
		uint32_t k = tier_of(&in[i]);
		uint64_t share;

		memset(o, 0, sizeof(*o));
		if (!takes(&in[i], p)) {
			o->down = in[i].eligible && in[i].weight > 0 &&
				  !healthy(&in[i]);
			continue;
		}
		if (p->panic)
			share = in[i].weight * (uint64_t)TIERS_PPM / all;
		else
			share = (uint64_t)p->tier[k].load_ppm * in[i].weight /
				wsum[k];
		o->share_ppm = (uint32_t)share;
		if (p->panic || loaded <= 1) {
			o->weight = in[i].weight;
		} else {
			share = (share * TIERS_WEIGHT_SCALE + TIERS_PPM / 2) /
				TIERS_PPM;
			o->weight = share > 0 ? (uint16_t)share : 1;
		}
	}
}
