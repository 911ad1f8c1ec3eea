/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The service registry's TTLs (issue #17): for every registered instance
 * of the configuration in force (backends with a registration, config.h),
 * the deadline its heartbeats keep moving. It lives in memory only: a
 * heartbeat rewrites no file, and after a slow-path restart every restored
 * instance starts with a fresh TTL.
 *
 * An instance is healthy until `ttl` has passed since its last heartbeat
 * (or its registration), then unhealthy (no new flows: the API lays that
 * over the flat form), and due for removal once 2 x ttl has passed. The
 * clock is the caller's (milliseconds, monotonic), so tests drive it.
 *
 * Not thread-safe: the API's thread owns it.
 */
#ifndef EP_REGISTRY_H
#define EP_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

enum registry_state {
	REGISTRY_HEALTHY = 0,
	REGISTRY_UNHEALTHY = 1, /* TTL lapsed: no new flows */
	REGISTRY_GONE = 2, /* 2 x TTL lapsed: to be removed */
};

/* "healthy", "unhealthy", "expired". */
const char *registry_state_name(enum registry_state s);

struct registry;

/* An empty registry. NULL with errno set. */
struct registry *registry_create(void);

void registry_destroy(struct registry *r);

/*
 * Track the registered instances of `cfg`: one known before (same
 * service and id) keeps its last heartbeat (and state), a new one starts
 * healthy at now_ms. Returns 0 or -ENOMEM (the old set stays).
 */
int registry_sync(struct registry *r, const struct ep_config *cfg,
		  uint64_t now_ms);

/*
 * A heartbeat: the instance's TTL starts again at now_ms. Returns 0,
 * 1 when it was unhealthy (its backend takes new flows again: the caller
 * republishes), or -ENOENT (unknown, or past 2 x TTL: the client must
 * register again).
 */
int registry_heartbeat(struct registry *r, const char *svc, const char *id,
		       uint64_t now_ms);

/* registry_heartbeat() even past 2 x TTL: a registration repeated. */
int registry_renew(struct registry *r, const char *svc, const char *id,
		   uint64_t now_ms);

/*
 * The state of the instance is the remote source's (etcd's leases,
 * docs/scale-out.md) from now on: `state` an enum registry_state, which
 * its TTL no longer changes; -1 gives it back to its TTL, as it is. A
 * change to healthy restarts the TTL at now_ms (what ttl_remaining_ms
 * shows). Returns 1 when the instance was out of selection and is
 * healthy now (the caller republishes), 0, or -ENOENT (unknown).
 */
int registry_set_remote(struct registry *r, const char *svc, const char *id,
			int state, uint64_t now_ms);

/* The state at now_ms of an instance (REGISTRY_GONE when unknown). */
enum registry_state registry_state(const struct registry *r, const char *svc,
				   const char *id, uint64_t now_ms);

/* Milliseconds left of its TTL at now_ms (0 once lapsed or unknown). */
uint64_t registry_remaining_ms(const struct registry *r, const char *svc,
			       const char *id, uint64_t now_ms);

/* The instance's backend is out of new-flow selection (its state in the
 * flat form sent last): unhealthy or gone. */
bool registry_out(const struct registry *r, const char *svc, const char *id);

struct registry_tick {
	uint32_t lapsed; /* became unhealthy in this tick */
	uint32_t due; /* past 2 x TTL, waiting for their removal */
};

/*
 * Mark the instances whose TTL lapsed by now_ms unhealthy and count those
 * due for removal. The caller republishes when `lapsed` > 0 and removes
 * the due ones through the change path.
 */
void registry_run(struct registry *r, uint64_t now_ms,
		  struct registry_tick *out);

uint32_t registry_count(const struct registry *r);

#endif /* EP_REGISTRY_H */
