/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Is the fast path still working, not only alive? A process that exists
 * can still be stuck (stopped, deadlocked, starved): its workers then stop
 * polling. Every pass of a worker's loop counts a busy or an idle poll
 * (ep_abi.h, busy_polls and idle_polls; an idle worker sleeps at most
 * --idle-sleep-us between polls), so a worker whose sum has not moved for
 * the stall time is stalled. The slow path then treats the fast path as
 * not able to serve: /readyz fails and the node withdraws its VIPs
 * (slowpath/node/announce.h) until the workers move again. Pure: the
 * caller reads the counters (fpclient.h) and gives the clock.
 */
#ifndef EP_FP_PROGRESS_H
#define EP_FP_PROGRESS_H

#include <stdint.h>

#include "ep_abi.h"

#define FP_STALL_MS_DEFAULT 2000u
#define FP_STALL_MS_MAX 60000u

struct fp_progress {
	uint64_t polls[EP_MAX_WORKERS]; /* the last sum seen per worker */
	uint64_t moved_ms[EP_MAX_WORKERS]; /* when it last changed */
	uint32_t n; /* workers seen; 0 before the first sample */
	uint32_t stalled; /* workers stalled at the last sample */
};

/* Forget everything (a new fast path, or before the first sample). */
void fp_progress_reset(struct fp_progress *p);

/*
 * One sample at `now_ms`: polls[i] for workers 0..n-1 (n at most
 * EP_MAX_WORKERS, larger is clamped). Returns the number of workers whose
 * polls have not moved for `stall_ms` (0 = never stalled). A worker seen
 * for the first time, or a change of n, starts its clock now.
 */
uint32_t fp_progress_sample(struct fp_progress *p, const uint64_t *polls,
			    uint32_t n, uint64_t now_ms, uint32_t stall_ms);

#endif
