/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Passive outlier signals: what the worker learns about a backend from
 * the packets it forwards anyway, with no probe of its own. Each opening
 * of a TCP flow (a forward entry in CT_SYN) gets at most one verdict,
 * counted in the backend's counters (ep_abi.h, EP_BE_COUNTERS) and marked
 * with CT_F_ANSWERED so that it is not counted twice:
 *   - success: a NAT backend's SYN-ACK, or (every mode) the client's ACK
 *     after its SYN (DSR and encap never see the backend's answer);
 *   - out_reset: a NAT backend's RST to the forwarded SYN;
 *   - out_retrans: the client sends its SYN again, at least
 *     OUTLIER_RETRANS_MIN_MS after the previous one (a duplicate in the
 *     same instant is not a retransmission);
 *   - out_timeout: the entry ages out (CT_TIMEOUT_SYN_MS idle) waiting.
 * Flows opened by the SYN proxy are left out: the proxy counts its own.
 * The slow path's breaker (slowpath/breaker.h) sums the counters.
 */
#ifndef EP_OUTLIER_H
#define EP_OUTLIER_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>

#include "conntrack.h"
#include "fp.h"

#define OUTLIER_RETRANS_MIN_MS 200u /* Linux's smallest RTO */

#define OUTLIER_SYN 0x02u
#define OUTLIER_RST 0x04u
#define OUTLIER_ACK 0x10u

/* The rare case of outlier_client(): the entry is opening or closing. */
static __attribute__((noinline)) void outlier_client_slow(struct fp_worker *w,
							  struct ct_entry *e,
							  uint8_t flags,
							  uint64_t now)
{
	uint8_t f = flags & (OUTLIER_SYN | OUTLIER_ACK | OUTLIER_RST);

	if (e->state == CT_FIN) {
		if (f == OUTLIER_SYN) /* a new opening on the same tuple */
			e->flags &= (uint8_t)~CT_F_ANSWERED;
		return;
	}
	if (e->state != CT_SYN ||
	    (e->flags & (CT_F_ANSWERED | CT_F_SYNPROXY | CT_F_REPLY)))
		return;
	if (f == OUTLIER_SYN) {
		if (now - e->last_tsc <
		    fp.tsc_hz / 1000 * OUTLIER_RETRANS_MIN_MS)
			return;
		w->be[e->backend_sid].out_retrans++;
		e->flags |= CT_F_ANSWERED;
	} else if (f == OUTLIER_ACK) {
		w->be[e->backend_sid].out_success++;
		e->flags |= CT_F_ANSWERED;
	}
}

/*
 * A client's packet of an existing TCP flow, with its forward entry,
 * before ct_touch() (which moves last_tsc and the state).
 */
static inline void outlier_client(struct fp_worker *w, struct ct_entry *e,
				  uint8_t proto, uint8_t tcp_flags,
				  uint64_t now)
{
	if (likely(e->state == CT_EST) || proto != 6 /* IPPROTO_TCP */)
		return;
	outlier_client_slow(w, e, tcp_flags, now);
}

/* A NAT backend's reply, with the flow's forward entry, before ct_touch(). */
static inline void outlier_backend(struct fp_worker *w, struct ct_entry *fwd,
				   uint8_t proto, uint8_t tcp_flags)
{
	if (likely(fwd == NULL || fwd->state != CT_SYN) || proto != 6 ||
	    (fwd->flags & (CT_F_ANSWERED | CT_F_SYNPROXY)))
		return;
	if (tcp_flags & OUTLIER_RST) {
		w->be[fwd->backend_sid].out_reset++;
		fwd->flags |= CT_F_ANSWERED;
	} else if ((tcp_flags & (OUTLIER_SYN | OUTLIER_ACK)) ==
		   (OUTLIER_SYN | OUTLIER_ACK)) {
		w->be[fwd->backend_sid].out_success++;
		fwd->flags |= CT_F_ANSWERED;
	}
}

/* A forward entry the table removes on its own (ct_params.on_remove). */
static inline void outlier_removed(struct fp_worker *w,
				   const struct ct_entry *e)
{
	if (e->state != CT_SYN ||
	    (e->flags & (CT_F_ANSWERED | CT_F_SYNPROXY | CT_F_REPLY)))
		return;
	/* Aged out unanswered; an eviction of a younger one says nothing. */
	if (rte_rdtsc() - e->last_tsc >= fp.tsc_hz / 1000 * CT_TIMEOUT_SYN_MS)
		w->be[e->backend_sid].out_timeout++;
}

#endif /* EP_OUTLIER_H */
