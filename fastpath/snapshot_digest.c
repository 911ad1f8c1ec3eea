/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-service Maglev table digests for /v1/stats (ep_abi.h, struct
 * ep_maglev_digest): the main lcore digests each full table once, after
 * it is in force, so that operators and tests can compare nodes.
 */
#include <stdlib.h>

#include "maglev_digest.h"
#include "snapshot.h"

/* The digest of sv's full table, cached in its object. */
static uint64_t full_digest(const struct fp_snapshot *s,
			    const struct snap_service *sv, uint64_t *keys)
{
	struct snap_maglev *o = sv->maglev_ref;

	if (o->digest_of == o->full)
		return o->digest;
	for (uint32_t j = 0; j < sv->n_backends; j++) {
		const struct snap_backend *b =
			&s->backends[sv->first_backend + j];

		keys[j] = ep_digest_key(b->addr, b->family, b->port_n);
	}
	o->digest = ep_digest_table(o->full->slots, o->full->size, keys,
				    sv->n_backends);
	o->digest_of = o->full;
	return o->digest;
}

int snap_digest_publish(const struct fp_snapshot *s, struct ep_stats *st,
			uint64_t budget_slots)
{
	uint64_t *keys;
	int more = 0;

	if (s == NULL || st == NULL)
		return 0;
	keys = malloc((s->n_backends ? s->n_backends : 1) * sizeof(*keys));
	if (keys == NULL)
		return 0;
	for (uint32_t i = 0; i < s->n_services; i++) {
		const struct snap_service *sv = &s->services[i];
		const struct snap_maglev *o = sv->maglev_ref;
		struct ep_maglev_digest d = { .version = s->version };

		if (sv->stats_id >= EP_MAX_SERVICES)
			continue;
		if (o == NULL) {
			d.state = EP_MAGLEV_DIGEST_NONE;
		} else if (o->full == NULL ||
			   __atomic_load_n(&o->cur, __ATOMIC_ACQUIRE) !=
				   o->full) {
			d.state = EP_MAGLEV_DIGEST_PENDING;
			d.slots = o->size;
		} else if (o->digest_of != o->full &&
			   budget_slots < o->full->size) {
			/* Over this pass's budget: the next pass does it. */
			d.state = EP_MAGLEV_DIGEST_PENDING;
			d.slots = o->size;
			more = 1;
		} else {
			if (o->digest_of != o->full)
				budget_slots -= o->full->size;
			d.state = o->fresh ? EP_MAGLEV_DIGEST_FRESH
					   : EP_MAGLEV_DIGEST_REBUILT;
			d.slots = o->full->size;
			d.digest = full_digest(s, sv, keys);
		}
		ep_digest_store(st, sv->stats_id, &d);
	}
	free(keys);
	return more;
}
