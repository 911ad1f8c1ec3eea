/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health checks as the control API shows them: the "health" member
 * of GET /v1/services/NAME/backends (docs/api.md) and the health metric
 * families of /metrics (docs/tuning.md).
 */
#ifndef EP_HEALTH_VIEW_H
#define EP_HEALTH_VIEW_H

#include <stdint.h>

#include "config.h"
#include "health.h"
#include "health_overlay.h"
#include "metrics.h"

struct cJSON;

/*
 * {"check": "tcp", "state": "ok"|"panic"|"unchecked", "healthy": N,
 *  "eligible": N, "panic_threshold_percent": P, "panic", "tiers": [...],
 *  "backends": [{"id", "priority", "share_percent", "effective_weight",
 *  "held_out", "state", "reason", "last_result", "last_detail",
 *  "last_latency_ms", "seconds_in_state", "transitions_down",
 *  "transitions_up"}, ...]} for service s: the same tier plan as the
 * flat form's (health_service_plan() of hi). NULL when out of memory.
 */
struct cJSON *health_view_service(const struct health_inputs *hi,
				  const struct config_service *s,
				  uint64_t now_ms);

/* The engine's counters, and per service and backend gauges. */
void health_view_metrics(struct jw_buf *t, const struct health_inputs *hi,
			 const struct ep_config *cfg);

#endif /* EP_HEALTH_VIEW_H */
