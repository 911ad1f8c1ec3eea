/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore's control side: shared objects the slow path attaches to,
 * configuration requests from the control ring (build a snapshot, publish
 * it with one pointer swap, free the old one after an RCU grace period,
 * answer on the event ring), flow samples, and slow-path liveness.
 */
#ifndef EP_CTRL_H
#define EP_CTRL_H

#include "ep_abi.h"

/* Create rings and memzones and the RCU variable. 0 or negative errno. */
int ctrl_init(void);

/* Handle every pending control message. Returns how many. */
unsigned int ctrl_poll(void);

/*
 * Build Maglev tables that configuration changes deferred, for about
 * `budget_us` (one table more at most), publishing each as it is done.
 * Returns how many are still pending; call again while that is not 0.
 */
uint32_t ctrl_build_pending(uint32_t budget_us);

/* Refresh what workers need to know about the slow path (punt on/off). */
void ctrl_watch_slowpath(void);

/*
 * Apply a flat configuration held in `buf` (the same path a ring request
 * takes). Fills `ev` with the result; returns ev->status.
 */
int ctrl_apply(const void *buf, uint32_t len, struct ep_event_msg *ev);

/* Free the published snapshot and shared objects at shutdown. */
void ctrl_fini(void);

#endif /* EP_CTRL_H */
