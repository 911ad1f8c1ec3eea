/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics: the shared stats memzone (layout in ep_abi.h), sums over
 * lcores for readers, DPDK telemetry commands under /edgepath/, and the
 * live one-line summary the fast path prints.
 */
#ifndef EP_STATS_H
#define EP_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "ep_abi.h"
#include "stats_sum.h"

/* Reserve (zeroed) the stats memzone; NULL on failure. */
struct ep_stats *stats_create(void);
void stats_destroy(void);

/* Register /edgepath/... telemetry commands (primary process only). */
int stats_telemetry_register(void);

/*
 * Print one line of rates since the previous call (`prev` keeps state;
 * zero it before the first call).
 */
struct stats_rate_state {
	uint64_t tsc;
	uint64_t rx;
	uint64_t tx;
	uint64_t drops;
};
void stats_print_rates(FILE *f, const struct ep_stats *s, uint64_t tsc_hz,
		       struct stats_rate_state *prev);

/* Print every non-zero counter and drop reason. */
void stats_print_final(FILE *f, const struct ep_stats *s);

#endif /* EP_STATS_H */
