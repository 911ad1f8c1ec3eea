/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Priority tiers (issue #17): which backends of a service take new flows,
 * and with which effective weights, from each backend's tier (priority),
 * configured weight and whether it may and can take flows. Envoy's
 * priority levels: a tier's health is min(100 %, 1.4 x its healthy
 * share); tier 0 takes up to its health of the load, the rest spills to
 * the next tiers in order; the panic threshold applies per tier, as
 * Envoy's. Pure computation: the health overlay (health_overlay.c) calls
 * it for every service when it lays health over the flat form, and the
 * API shows its answer; the other sources of "not healthy" (an ejection
 * by the breaker, a lapsed registry TTL) feed it through `held_out`.
 */
#ifndef EP_TIERS_H
#define EP_TIERS_H

#include <stdbool.h>
#include <stdint.h>

#include "ep_abi.h"

#define TIERS_N (EP_BE_PRIORITY_MAX + 1u)
/* Envoy's default overprovisioning factor, 1.4, in percent. */
#define TIERS_OVERPROVISION_PERCENT 140u
/* Loads and health in parts per million of the service's new flows. */
#define TIERS_PPM 1000000u
/* The effective weight of a backend that takes all of a service's new
 * flows when more than one tier takes flows (see tiers_plan()). */
#define TIERS_WEIGHT_SCALE 60000u

/* One backend as the plan sees it. */
struct tiers_in {
	uint8_t priority; /* 0..EP_BE_PRIORITY_MAX (larger: clamped) */
	uint16_t weight; /* configured; 0 = never takes new flows */
	bool eligible; /* the operator's state is up (and weight > 0) */
	bool healthy; /* passes its active checks (or has none) */
	/* Another source keeps it out of new flows (an ejection by the
	 * breaker, a lapsed registry TTL): not healthy, and no flows even
	 * in panic. */
	bool held_out;
};

/* What the plan gives one backend. */
struct tiers_out {
	uint16_t weight; /* effective weight for new flows, 0 = none */
	bool down; /* not healthy and takes no flows: mark EP_BE_DOWN */
	uint32_t share_ppm; /* its expected share of new flows */
};

struct tiers_tier {
	uint32_t eligible; /* backends of the tier (eligible ones) */
	uint32_t healthy; /* of those, healthy */
	uint32_t health_ppm; /* min(1e6, 1.4 x healthy / eligible) */
	uint32_t load_ppm; /* its share of the service's new flows */
	bool panic; /* its healthy share is under the threshold */
};

struct tiers_plan {
	uint32_t n_tiers; /* 1 + the highest priority with an eligible one */
	uint32_t total_health_ppm; /* min(1e6, sum of tier health) */
	bool panic; /* every tier with backends in panic: all take flows */
	uint32_t eligible, healthy; /* over all tiers */
	struct tiers_tier tier[TIERS_N];
};

/*
 * Plan the new flows of one service of `n` backends (`in`, `out` n
 * long; `plan` may be NULL) with the panic threshold `panic_percent`
 * (0..100; 0 never panics). A backend is healthy when `healthy` and
 * not `held_out`; held-out ones count as eligible and not healthy in
 * every rule below but never take flows:
 * - a tier's health is min(100 %, 1.4 x healthy / eligible);
 * - when the tiers' health sums to 100 % or more, no tier panics;
 *   otherwise a tier panics when healthy * 100 < panic_percent *
 *   eligible (health_panic()); when every tier with backends panics,
 *   the service is in panic: every eligible backend takes flows by its
 *   configured weight, whatever its tier or health (held-out ones
 *   excepted);
 * - else tier loads follow Envoy: load(t) = min(what is left,
 *   health(t) / normalized total health), where the normalized total is
 *   the sum of tier health capped at 100 % (so with too little health
 *   overall the healthy tiers share all the load in proportion);
 * - within a tier the load goes to its healthy backends (all its
 *   eligible ones when it panics) by configured weight.
 * When one tier takes all the load, out[].weight is the configured
 * weight of its backends that take flows (0 for all others): a service
 * whose tier 0 is healthy has the same tables as without tiers. When
 * several do, weights are scaled so a backend's weight is its share of
 * the service's flows times TIERS_WEIGHT_SCALE (at least 1).
 * out[].down is set for backends that are eligible, not healthy and take
 * no flows (so for every eligible held-out one).
 */
void tiers_plan(const struct tiers_in *in, uint32_t n, uint32_t panic_percent,
		struct tiers_out *out, struct tiers_plan *plan);

#endif /* EP_TIERS_H */
