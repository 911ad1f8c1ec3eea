/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path's side of the shared-memory ABI: find the fast path's
 * rings and memzones by name, check the ABI version, send requests on the
 * control ring and wait for their answers on the event ring, beat the
 * heartbeat that tells the fast path someone drains the punt ring.
 * Runs in a DPDK secondary process after rte_eal_init().
 */
#ifndef EP_FPCLIENT_H
#define EP_FPCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ep_abi.h"
#include "fp_progress.h"

struct fpclient {
	struct ep_shared *shared;
	struct ep_stats *stats;
	uint8_t *stage;
	struct ep_flow_sample *flows;
	struct rte_ring *ctrl;
	struct rte_ring *event;
	struct rte_ring *punt;
	struct rte_ring *inject;
	uint64_t boot_tsc; /* the fast path instance we attached to */
	uint64_t tsc_hz;
	uint32_t seq;
	uint32_t apply_seq; /* the apply sent and not yet waited for, or 0 */
	uint64_t punted; /* packets taken off the punt ring */
	uint32_t stall_ms; /* fpclient_stalled(); 0 = never stalled */
	struct fp_progress progress;
};

/* Attach; 0, or a negative errno with a sentence in `err`. */
int fpclient_attach(struct fpclient *c, char *err, size_t err_len);

/*
 * Stage `len` bytes of flat configuration and ask the fast path to apply
 * it; wait up to `timeout_ms` for the answer in `ev`. Returns ev->status,
 * or -ETIMEDOUT / -E2BIG / -ENOBUFS with ev->error filled.
 */
int fpclient_apply(struct fpclient *c, const void *flat, size_t len,
		   uint64_t version, uint32_t timeout_ms,
		   struct ep_event_msg *ev);

/*
 * fpclient_apply() in two halves, so the caller can work while the fast
 * path builds: send returns 0 once the request is on the ring (or the
 * error, in ev); wait then waits for that request's answer. The staging
 * area belongs to the request until wait returns.
 */
int fpclient_apply_send(struct fpclient *c, const void *flat, size_t len,
			uint64_t version, struct ep_event_msg *ev);
int fpclient_apply_wait(struct fpclient *c, uint32_t timeout_ms,
			struct ep_event_msg *ev);

/*
 * A request will follow shortly (a change is being parsed): have the
 * fast path's main lcore poll its ring often until then. The answer to
 * this no-op is skipped by the next wait, or dropped by the next wake.
 * Call it only with no request in flight. Errors are ignored.
 */
void fpclient_wake(struct fpclient *c);

/* Ask for a flow sample (results in c->flows); same contract. */
int fpclient_sample_flows(struct fpclient *c, uint32_t service_sid,
			  uint32_t limit, uint32_t timeout_ms,
			  struct ep_event_msg *ev);

/* Tell the fast path we are alive (every ~100 ms). */
void fpclient_heartbeat(struct fpclient *c);

/* Say goodbye: the fast path stops punting to us. */
void fpclient_detach(struct fpclient *c);

/* False once the fast path we attached to has stopped or gone. */
int fpclient_fastpath_alive(const struct fpclient *c);

/*
 * Sample the workers' poll counters at `now_ms` (fp_progress.h): the
 * number of workers that have not polled for c->stall_ms, 0 when all
 * move (or stall_ms is 0). Attach sets stall_ms to FP_STALL_MS_DEFAULT.
 */
uint32_t fpclient_stalled(struct fpclient *c, uint64_t now_ms);

/*
 * Take punted packets off the ring. The exception path (TAP) is a later
 * capability; until then they are counted and freed here.
 */
unsigned int fpclient_drain_punt(struct fpclient *c);

#endif /* EP_FPCLIENT_H */
