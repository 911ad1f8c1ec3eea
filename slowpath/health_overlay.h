/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the health checks mean to the configuration: the probe targets of
 * a configuration (services with a health_check), the health state laid
 * over its flat form (a backend that fails its checks gets EP_BE_DOWN
 * there, unless its service is in panic), and each service's standing.
 * The document itself is never changed: the overlay only touches the
 * flat copy sent to the fast path.
 */
#ifndef EP_HEALTH_OVERLAY_H
#define EP_HEALTH_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "health.h"
#include "tiers.h"

/*
 * The targets of `cfg`, in document order: every backend of every
 * service whose health_check type is not "none". *out is malloc'd
 * (NULL when n is 0). Returns 0 or -ENOMEM.
 */
int health_targets_build(const struct ep_config *cfg,
			 struct health_target **out, uint32_t *n);

enum health_service_state {
	HEALTH_SVC_UNCHECKED = 0, /* health_check "none" */
	HEALTH_SVC_OK = 1, /* at least the threshold share is healthy */
	HEALTH_SVC_PANIC = 2, /* fewer: every eligible backend takes flows */
};

struct health_service_status {
	enum health_service_state state;
	uint32_t eligible; /* configured up with weight > 0 */
	uint32_t healthy; /* of those, passing their checks */
};

const char *health_service_state_name(enum health_service_state s);

/*
 * Service `s` of `cfg` as the engine sees it now (h may be NULL: every
 * service unchecked). A backend the engine does not know (not probed
 * yet) counts as healthy.
 */
void health_service_eval(const struct health_engine *h,
			 const struct config_service *s,
			 struct health_service_status *out);

/* Backend b of service s: its state machine, or NULL when not probed. */
const struct health_sm *health_backend_sm(const struct health_engine *h,
					  const struct config_service *s,
					  uint32_t b);

/*
 * The inputs of service s's tier plan (s->n_backends of them): tier,
 * weight (1 for every weighted backend under rr), eligible (configured
 * up with weight > 0) and healthy (passing its checks, or not probed).
 * Other sources of "not healthy" clear in[].healthy after this call.
 */
void health_overlay_inputs(const struct health_engine *h,
			   const struct config_service *s, struct tiers_in *in);

/*
 * Service s's tier plan now (tiers_plan() of health_overlay_inputs()):
 * out is s->n_backends long, plan may be NULL. Returns 0 or -ENOMEM.
 */
int health_service_plan(const struct health_engine *h,
			const struct config_service *s, struct tiers_out *out,
			struct tiers_plan *plan);

/*
 * Lay the health state and the priority tiers over `flat`
 * (config_to_flat() of `cfg`, len bytes; h may be NULL: every backend
 * healthy), service by service (tiers_plan()): an up backend that is
 * down by its checks and takes no flows becomes EP_BE_DOWN with
 * EP_BE_F_HEALTH_DOWN (none while its service panics); every other up
 * backend gets its effective weight (0: a tier that takes no load); an
 * rr service whose load spans tiers becomes wrr. Returns the number of
 * backends taken out, -EINVAL when flat does not match cfg, or -ENOMEM.
 */
int health_overlay_flat(const struct health_engine *h,
			const struct ep_config *cfg, void *flat, size_t len);

/* A backend another source takes out of new-flow selection. */
typedef bool (*health_out_fn)(const struct config_service *s,
			      const struct config_backend *b, void *arg);

/*
 * Lay another source's verdict over `flat` (as health_overlay_flat()):
 * every up backend for which out() says true becomes EP_BE_DOWN, panic
 * or not (the service registry's lapsed TTLs: the instance stopped
 * saying it is alive, so spreading flows to it cannot help). Returns
 * the number of backends taken out, or -EINVAL.
 */
int health_overlay_out(const struct ep_config *cfg, void *flat, size_t len,
		       health_out_fn out, void *arg);

#endif /* EP_HEALTH_OVERLAY_H */
