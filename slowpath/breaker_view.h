/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The breakers as the control API shows them: the "outlier" member of
 * GET /v1/services/NAME/backends (docs/api.md) and the breaker metric
 * families of /metrics (docs/tuning.md).
 */
#ifndef EP_BREAKER_VIEW_H
#define EP_BREAKER_VIEW_H

#include <stdint.h>

#include "breaker_engine.h"
#include "config.h"
#include "metrics.h"

struct cJSON;

/*
 * {"enabled": bool, "ejected": N, "max_ejection_percent": P,
 *  "backends": [{"id", "state", "ejections", "failures", "successes",
 *  "consecutive_failures", "ejections_refused", "half_open_timeouts",
 *  "seconds_in_state", "ms_until_half_open"}, ...]} for service s (e may
 * be NULL). NULL when out of memory.
 */
struct cJSON *breaker_view_service(const struct breaker_engine *e,
				   const struct config_service *s,
				   uint64_t now_ms);

/* Per backend of services with outlier_detection: state and counts. */
void breaker_view_metrics(struct jw_buf *t, const struct breaker_engine *e,
			  const struct ep_config *cfg);

#endif /* EP_BREAKER_VIEW_H */
