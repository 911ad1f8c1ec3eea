/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev table objects and the queue of deferred full tables (see
 * snapshot.h): allocation and reference counting of struct snap_maglev,
 * and the list the main lcore drains with snap_maglev_build_pending(),
 * publishing each full table with one release-store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "maglev.h"
#include "snapshot.h"
#include "snapshot_maglev.h"

/* Deferred full tables, oldest first; main lcore only. */
static struct snap_maglev *pending_head, *pending_tail;
static uint32_t pending_count;
static struct snap_maglev_counts mg_counts;

struct maglev_table *snap_table_alloc(uint32_t size)
{
	struct maglev_table *t =
		rte_malloc("ep_snap_maglev",
			   sizeof(*t) + (size_t)size * sizeof(t->slots[0]), 64);

	if (t != NULL)
		t->size = size;
	return t;
}

/*
 * A new object (one reference) that keeps its inputs when `n_keep` > 0,
 * with room for a provisional table of `psize` slots. Plain malloc: it
 * is small, only this process reads it, and a change may make a thousand
 * of them (rte_malloc costs several times more per call).
 */
struct snap_maglev *snap_maglev_alloc(uint32_t size,
				      const struct maglev_backend *mb,
				      uint32_t n_keep, uint32_t psize)
{
	size_t head = sizeof(struct snap_maglev) + n_keep * sizeof(*mb);
	size_t prov = psize ? sizeof(struct maglev_table) + psize * 2u : 0;
	struct snap_maglev *o;

	head = (head + 63) & ~(size_t)63;
	o = aligned_alloc(64, (head + prov + 63) & ~(size_t)63);
	if (o == NULL)
		return NULL;
	memset(o, 0, sizeof(*o));
	o->refs = 1;
	o->size = size;
	o->n_backends = n_keep;
	if (n_keep > 0)
		memcpy(o->backends, mb, n_keep * sizeof(*mb));
	if (psize > 0) {
		o->provisional = (struct maglev_table *)((uint8_t *)o + head);
		o->provisional->size = psize;
	}
	return o;
}

/* Drop a reference; the last one frees the object, its tables and its
 * hold on the object whose table served meanwhile (a chain, so a loop). */
void snap_maglev_put(struct snap_maglev *o)
{
	while (o != NULL && --o->refs == 0) {
		struct snap_maglev *interim = o->interim;

		rte_free(o->full);
		free(o); /* the provisional table is part of it */
		o = interim;
	}
}

void snap_maglev_defer(struct snap_maglev *o)
{
	o->pending = 1;
	o->refs++; /* the list's own reference */
	o->next_pending = NULL;
	if (pending_tail != NULL)
		pending_tail->next_pending = o;
	else
		pending_head = o;
	pending_tail = o;
	pending_count++;
	mg_counts.deferred++;
}

/* Build o's full table and publish it; 0 or -ENOMEM (then still pending). */
static int build_full(struct snap_maglev *o)
{
	struct maglev_table *t = snap_table_alloc(o->size);
	int rc;

	if (t == NULL)
		return -ENOMEM;
	rc = maglev_build(o->backends, o->n_backends, t->slots, t->size);
	if (rc < 0 && rc != -ENOENT) {
		rte_free(t);
		return rc;
	}
	o->full = t;
	o->fresh = 1;
	o->pending = 0;
	/* Size and slots are written above; a worker that sees the pointer
	 * sees them (it loads with acquire). The table that served until
	 * now stays with the object, which outlives every reader. */
	__atomic_store_n(&o->cur, t, __ATOMIC_RELEASE);
	mg_counts.built++;
	return 0;
}

static struct snap_maglev *pending_pop(void)
{
	struct snap_maglev *o = pending_head;

	pending_head = o->next_pending;
	if (pending_head == NULL)
		pending_tail = NULL;
	o->next_pending = NULL;
	pending_count--;
	return o;
}

uint32_t snap_maglev_build_pending(uint64_t budget_tsc)
{
	uint64_t start = rte_rdtsc();

	while (pending_head != NULL) {
		struct snap_maglev *o = pending_head;

		if (o->refs == 1) {
			/* Only the list holds it: its service is gone. */
			mg_counts.abandoned++;
		} else if (build_full(o) != 0) {
			break; /* out of memory: try again on the next call */
		}
		snap_maglev_put(pending_pop());
		if (rte_rdtsc() - start >= budget_tsc)
			break;
	}
	return pending_count;
}

uint32_t snap_maglev_pending(void)
{
	return pending_count;
}

void snap_maglev_drop_pending(void)
{
	while (pending_head != NULL)
		snap_maglev_put(pending_pop());
}

void snap_maglev_counts(struct snap_maglev_counts *c)
{
	*c = mg_counts;
}
