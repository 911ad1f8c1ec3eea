/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Readers of the stats memzone (layout in ep_abi.h): counters summed over
 * the lcores that write them, and the tables the X-macro lists make, which
 * every consumer iterates. Plain C with relaxed atomic loads and bounds
 * checks, so the fast path's telemetry and the slow path's API, /metrics
 * and edgectl read it the same way.
 */
#ifndef EP_STATS_SUM_H
#define EP_STATS_SUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ep_abi.h"

/* Telemetry keys and /metrics label values, indexed by the enums. */
extern const char *const stats_counter_names[EP_CNT_MAX];
extern const char *const stats_drop_names[EP_DROP_MAX];

/* One counter of a per-port, per-service or per-backend family. */
struct ep_counter_desc {
	const char *name; /* as in the X-macro list */
	uint16_t offset; /* in the family's struct */
	uint8_t kind; /* EP_KIND_* */
	uint8_t is_signed; /* int64_t: read with ep_counter_i64() */
	uint8_t brief; /* in the compact per-backend views */
};

extern const struct ep_counter_desc ep_port_counters[EP_PORT_N];
extern const struct ep_counter_desc ep_svc_counters[EP_SVC_N];
extern const struct ep_counter_desc ep_be_counters[EP_BE_N];

/* The value `d` names in `sum` (a struct of d's family). */
static inline uint64_t ep_counter_u64(const void *sum,
				      const struct ep_counter_desc *d)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)sum + d->offset, sizeof(v));
	return v;
}

static inline int64_t ep_counter_i64(const void *sum,
				     const struct ep_counter_desc *d)
{
	int64_t v;

	memcpy(&v, (const uint8_t *)sum + d->offset, sizeof(v));
	return v;
}

uint64_t stats_sum_cnt(const struct ep_stats *s, enum ep_worker_counter c);
uint64_t stats_sum_drop(const struct ep_stats *s, enum ep_drop_reason r);
uint64_t stats_sum_drops(const struct ep_stats *s);

/* Out-of-range ids give zeroed sums. */
void stats_sum_port(const struct ep_stats *s, uint32_t port,
		    struct ep_port_counters *out);
void stats_sum_svc(const struct ep_stats *s, uint32_t sid,
		   struct ep_svc_counters *out);
void stats_sum_be(const struct ep_stats *s, uint32_t sid,
		  struct ep_be_counters *out);

#endif /* EP_STATS_SUM_H */
