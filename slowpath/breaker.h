/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Passive outlier ejection (issue #17): a circuit breaker per backend,
 * fed by the fast path's per-backend outlier counters (ep_abi.h,
 * EP_BE_COUNTERS out_*), never by probes of its own.
 *
 *   CLOSED ---- consecutive_failures failures in a row, or a failure
 *   |  ^        rate >= failure_rate_percent over window_ms with at least
 *   |  |        failure_rate_min_flows verdicts, and the service's
 *   |  |        max_ejection_percent allows one more --> OPEN
 *   |  success
 *   |  |
 *   HALF_OPEN <-- base_ejection_ms x ejections (capped by
 *   |             max_ejection_ms) after the ejection ---- OPEN
 *   +-- a failure, or no verdict half_open_timeout_ms after the first
 *       admitted flow --> OPEN (one more ejection)
 *
 * OPEN: no new flows (the overlay marks the backend EP_BE_DOWN in the flat
 * form). HALF_OPEN: new flows again, until half_open_flows of them went to
 * the backend; then none until a verdict (or the timeout) comes.
 * The multiplier of the ejection time is the number of ejections in a
 * row; it goes down by one for every base_ejection_ms spent closed
 * (Envoy's rule).
 *
 * Samples are the fast path's cumulative sums, read every
 * BREAKER_TICK_MS: within one tick the order of verdicts is unknown, so
 * a tick with a success ends the run of failures before it is counted
 * (the rate rule sees them all).
 *
 * Pure functions over plain structs: no I/O, no clock of their own.
 */
#ifndef EP_BREAKER_H
#define EP_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#define BREAKER_TICK_MS 100u

/* Defaults (docs/config.md, against Envoy and resilience4j). */
#define OUTLIER_CONSECUTIVE_DEFAULT 5u /* Envoy consecutive_5xx */
#define OUTLIER_RATE_PERCENT_DEFAULT 0u /* off, as Envoy's enforcing 0 */
#define OUTLIER_RATE_MIN_FLOWS_DEFAULT 20u
#define OUTLIER_WINDOW_MS_DEFAULT 10000u /* Envoy interval 10 s */
#define OUTLIER_BASE_EJECTION_MS_DEFAULT 30000u /* Envoy 30 s */
#define OUTLIER_MAX_EJECTION_MS_DEFAULT 300000u /* Envoy 300 s */
#define OUTLIER_MAX_EJECTION_PERCENT_DEFAULT 10u /* Envoy 10 % */
#define OUTLIER_HALF_OPEN_FLOWS_DEFAULT 3u
#define OUTLIER_HALF_OPEN_TIMEOUT_MS_DEFAULT 5000u

/* Limits (validated by the configuration). */
#define OUTLIER_COUNT_MAX 10000u
#define OUTLIER_WINDOW_MS_MIN 1000u
#define OUTLIER_MS_MAX 86400000u /* one day */
#define OUTLIER_EJECTION_MS_MIN 100u
#define OUTLIER_HALF_OPEN_FLOWS_MAX 100u

struct outlier_params {
	bool enabled; /* the service has "outlier_detection" */
	uint32_t consecutive_failures; /* 0 = that rule off */
	uint32_t failure_rate_percent; /* 0 = that rule off, 1..100 */
	uint32_t failure_rate_min_flows; /* 1.. */
	uint32_t window_ms;
	uint32_t base_ejection_ms;
	uint32_t max_ejection_ms; /* >= base_ejection_ms */
	uint32_t max_ejection_percent; /* 0 = never eject */
	uint32_t half_open_flows; /* 1..OUTLIER_HALF_OPEN_FLOWS_MAX */
	uint32_t half_open_timeout_ms;
};

/* The defaults above, enabled false. */
void outlier_params_default(struct outlier_params *p);

enum breaker_state {
	BREAKER_CLOSED = 0,
	BREAKER_OPEN = 1,
	BREAKER_HALF_OPEN = 2,
};

/* "closed", "open", "half_open". */
const char *breaker_state_name(enum breaker_state s);

/* Cumulative sums for one backend, as the fast path counts them. */
struct breaker_sample {
	uint64_t successes;
	uint64_t failures; /* resets + SYN retransmissions + timeouts */
	uint64_t new_flows;
};

#define BREAKER_BUCKETS 10u

struct breaker {
	enum breaker_state state;
	bool primed; /* `last` holds a sample */
	bool refused; /* tripped, but max_ejection_percent said no */
	bool withdrawn; /* HALF_OPEN: half_open_flows admitted */
	uint32_t consecutive; /* failures in a row (CLOSED) */
	uint32_t multiplier; /* ejections in a row */
	uint32_t admitted; /* HALF_OPEN: new flows since it began */
	struct breaker_sample last;
	uint64_t since_ms; /* when the state last changed */
	uint64_t open_until_ms; /* OPEN: when it goes HALF_OPEN */
	uint64_t first_flow_ms; /* HALF_OPEN: the first admitted flow, 0 */
	uint64_t closed_ms; /* when it last closed (multiplier decay) */
	/* The failure-rate window: BREAKER_BUCKETS slices of window_ms. */
	uint32_t win_ok[BREAKER_BUCKETS], win_fail[BREAKER_BUCKETS];
	uint64_t win_slot; /* now / slice of the newest bucket */
	/* Totals since the breaker was made, for the views. */
	uint64_t n_successes, n_failures;
	uint64_t n_ejections, n_refused, n_half_open_timeouts;
};

void breaker_init(struct breaker *b, uint64_t now_ms);

/* May the backend take new flows? (CLOSED, HALF_OPEN not withdrawn.) */
bool breaker_admits(const struct breaker *b);

/*
 * Feed one sample at now_ms. may_eject: the service's cap allows one
 * more backend out (only asked of CLOSED). Returns true when
 * breaker_admits() changed.
 */
bool breaker_step(struct breaker *b, const struct outlier_params *p,
		  const struct breaker_sample *s, uint64_t now_ms,
		  bool may_eject);

/*
 * May one more of a service's `n` backends be ejected while `ejected`
 * are (OPEN or HALF_OPEN)? At most max_ejection_percent of n, but always
 * one when none is and the percent is not 0 (Envoy).
 */
bool breaker_cap_allows(uint32_t ejected, uint32_t n, uint32_t percent);

/*
 * One tick of a service: its n breakers with their samples (eligible[i]
 * false: the operator keeps backend i out, it neither counts nor is
 * stepped). Returns how many changed breaker_admits().
 */
uint32_t breaker_service_step(struct breaker *b, uint32_t n,
			      const struct outlier_params *p,
			      const struct breaker_sample *s,
			      const bool *eligible, uint64_t now_ms);

#endif /* EP_BREAKER_H */
