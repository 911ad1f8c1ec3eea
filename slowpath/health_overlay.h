/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What health means to the configuration: the probe targets of a
 * configuration (services with a health_check), the health state laid
 * over its flat form (a backend that fails its checks gets EP_BE_DOWN
 * there, unless its service is in panic; one another source holds out,
 * always), and each service's standing. The active checks and the other
 * sources (struct health_inputs) feed one tier plan per service, which
 * both the flat form and the API's views are made from. The document
 * itself is never changed: the overlay only touches the flat copy sent
 * to the fast path.
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

/*
 * A source of "not healthy" besides the active checks (the breaker's
 * ejections, the registry's lapsed TTLs): true when it keeps backend b
 * of service s out of new flows. Such a backend counts as eligible and
 * not healthy in the tier plan and its panic rule, and takes no new
 * flows even in panic (tiers_in.held_out).
 */
typedef bool (*health_out_fn)(const struct config_service *s, uint32_t b,
			      const void *arg);

#define HEALTH_SOURCES_MAX 4u

/* Everything that says whether a backend is healthy. */
struct health_inputs {
	const struct health_engine *engine; /* active checks; NULL: none */
	uint32_t n_sources;
	struct {
		health_out_fn out;
		const void *arg;
	} sources[HEALTH_SOURCES_MAX];
};

/* The active checks of `h` (NULL: none), no other source yet. */
void health_inputs_init(struct health_inputs *hi,
			const struct health_engine *h);

/* One more source; 0, or -ENOSPC past HEALTH_SOURCES_MAX. */
int health_inputs_add(struct health_inputs *hi, health_out_fn out,
		      const void *arg);

/* Does a source other than the active checks hold backend b of s out? */
bool health_inputs_held_out(const struct health_inputs *hi,
			    const struct config_service *s, uint32_t b);

enum health_service_state {
	HEALTH_SVC_UNCHECKED = 0, /* health_check "none" */
	HEALTH_SVC_OK = 1, /* at least the threshold share is healthy */
	HEALTH_SVC_PANIC = 2, /* fewer: every eligible backend takes flows */
};

struct health_service_status {
	enum health_service_state state;
	uint32_t eligible; /* configured up with weight > 0 */
	uint32_t healthy; /* of those, passing their checks, not held out */
};

const char *health_service_state_name(enum health_service_state s);

/*
 * Service `s` of `cfg` as `hi` sees it now (no engine: every service
 * unchecked). A backend the engine does not know (not probed yet) counts
 * as healthy unless a source holds it out; state is "panic" when the
 * tier plan's service is (a checked service only).
 */
void health_service_eval(const struct health_inputs *hi,
			 const struct config_service *s,
			 struct health_service_status *out);

/* Backend b of service s: its state machine, or NULL when not probed. */
const struct health_sm *health_backend_sm(const struct health_engine *h,
					  const struct config_service *s,
					  uint32_t b);

/*
 * The inputs of service s's tier plan (s->n_backends of them): tier,
 * weight (1 for every weighted backend under rr), eligible (configured
 * up with weight > 0), healthy (passing its checks, or not probed) and
 * held_out (a source of hi says so).
 */
void health_overlay_inputs(const struct health_inputs *hi,
			   const struct config_service *s, struct tiers_in *in);

/*
 * Service s's tier plan now (tiers_plan() of health_overlay_inputs()):
 * out is s->n_backends long, plan may be NULL. Returns 0 or -ENOMEM.
 * The one plan: health_overlay_flat() lays the same over the flat form.
 */
int health_service_plan(const struct health_inputs *hi,
			const struct config_service *s, struct tiers_out *out,
			struct tiers_plan *plan);

/*
 * Lay the health state and the priority tiers over `flat`
 * (config_to_flat() of `cfg`, len bytes), service by service
 * (tiers_plan() of health_overlay_inputs()): an up backend that is not
 * healthy and takes no flows becomes EP_BE_DOWN (none while its service
 * panics, except the held-out ones), with EP_BE_F_HEALTH_DOWN when it
 * fails its active checks; every other up backend gets its effective
 * weight (0: a tier that takes no load); an rr service whose load spans
 * tiers becomes wrr. Returns the number of backends taken out, -EINVAL
 * when flat does not match cfg, or -ENOMEM.
 */
int health_overlay_flat(const struct health_inputs *hi,
			const struct ep_config *cfg, void *flat, size_t len);

/* health_overlay_flat() for services first .. first + count - 1 only
 * (the others' entries in flat stay as they are): the overlay of a change
 * to those services alone. Returns what health_overlay_flat() does for
 * them. */
int health_overlay_flat_services(const struct health_inputs *hi,
				 const struct ep_config *cfg, uint32_t first,
				 uint32_t count, void *flat, size_t len);

#endif /* EP_HEALTH_OVERLAY_H */
