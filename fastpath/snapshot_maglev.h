/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to snapshot.c and maglev_queue.c: the lifecycle of struct
 * snap_maglev (snapshot.h). snapshot.c decides, per service, whether a
 * table is shared, built now or deferred; maglev_queue.c owns the objects'
 * memory and the queue of deferred builds.
 */
#ifndef EP_SNAPSHOT_MAGLEV_H
#define EP_SNAPSHOT_MAGLEV_H

#include <stdint.h>

#include "maglev.h"
#include "snapshot.h"

/* A table of `size` slots in DPDK memory (workers read it), or NULL. */
struct maglev_table *snap_table_alloc(uint32_t size);

/*
 * A new object (one reference) that keeps its inputs when `n_keep` > 0,
 * with room for a provisional table of `psize` slots.
 */
struct snap_maglev *snap_maglev_alloc(uint32_t size,
				      const struct maglev_backend *mb,
				      uint32_t n_keep, uint32_t psize);

/* Drop a reference; the last one frees the object, its tables and its
 * hold on the object whose table served meanwhile. NULL is fine. */
void snap_maglev_put(struct snap_maglev *o);

/* Queue `o`'s full build (the queue takes a reference). */
void snap_maglev_defer(struct snap_maglev *o);

#endif /* EP_SNAPSHOT_MAGLEV_H */
