/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The breakers of a configuration (breaker.h): one per backend of every
 * service with "outlier_detection", keyed by (service, address, port) so
 * that a configuration change keeps their state; the sampling of the
 * fast path's counters every BREAKER_TICK_MS; and their verdict as a
 * source of "not healthy" for the health overlay (health_overlay.h): a
 * backend its breaker keeps out counts as not healthy in its service's
 * tier plan and gets EP_BE_DOWN in the flat form, through the same
 * change path. The document is never changed. Not thread-safe: the
 * slow path's loop owns it.
 */
#ifndef EP_BREAKER_ENGINE_H
#define EP_BREAKER_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "breaker.h"
#include "config.h"

struct breaker_engine;

/* Read backend `stats_id`'s cumulative sums (the fast path's counters). */
typedef void (*breaker_read_fn)(void *ctx, uint32_t stats_id,
				struct breaker_sample *out);

struct breaker_engine *breaker_engine_create(breaker_read_fn read, void *ctx);
void breaker_engine_destroy(struct breaker_engine *e);

/*
 * Take the breakers of `cfg` (version `version`, `flat` its flat form in
 * force: the backends' stats ids), keeping the state of the ones whose
 * key was there before. Nothing when `version` is the one taken last.
 * 0 or -ENOMEM (the old set stays), -EINVAL when flat does not match.
 */
int breaker_engine_sync(struct breaker_engine *e, const struct ep_config *cfg,
			const void *flat, size_t len, uint64_t version,
			uint64_t now_ms);

/* Called for every state change (logging); NULL: none. */
typedef void (*breaker_change_fn)(const struct config_service *s, uint32_t b,
				  const struct breaker *br, void *arg);
void breaker_engine_on_change(struct breaker_engine *e, breaker_change_fn fn,
			      void *arg);

/* Sample and step every breaker; returns how many changed admission. */
uint32_t breaker_engine_step(struct breaker_engine *e,
			     const struct ep_config *cfg, uint64_t now_ms);

/* Backend b of service s's breaker, or NULL (no outlier_detection). */
const struct breaker *breaker_engine_find(const struct breaker_engine *e,
					  const struct config_service *s,
					  uint32_t b);

/*
 * Does backend b of service s's breaker keep it out of new flows (OPEN,
 * or HALF_OPEN with its trial flows taken: !breaker_admits())? False
 * without a breaker. `engine` is the breaker_engine (or NULL): this is
 * a health_out_fn (health_overlay.h), the source through which the
 * breakers' verdicts reach the tier plan, the flat form and the views.
 */
bool breaker_engine_holds_out(const struct config_service *s, uint32_t b,
			      const void *engine);

#endif /* EP_BREAKER_ENGINE_H */
