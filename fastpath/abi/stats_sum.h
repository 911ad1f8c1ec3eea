/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Readers of the stats memzone (layout in ep_abi.h): counters summed over
 * the lcores that write them, and the names the X-macro lists give them.
 * Plain C with relaxed atomic loads and bounds checks, so the fast path's
 * telemetry and the slow path's API and /metrics read it the same way.
 */
#ifndef EP_STATS_SUM_H
#define EP_STATS_SUM_H

#include <stdint.h>

#include "ep_abi.h"

/* Telemetry keys and /metrics label values, indexed by the enums. */
extern const char *const stats_counter_names[EP_CNT_MAX];
extern const char *const stats_drop_names[EP_DROP_MAX];

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
