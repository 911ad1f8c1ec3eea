/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's private interface, shared by the burst pipeline
 * (worker.c), the ARP/ND answers and requests (arp_nd.c) and the NAT
 * reply bookkeeping (nat_reply.c): the per-packet exits every one of them
 * takes (drop, queue for TX, punt), inline so the pipeline pays no call.
 */
#ifndef EP_WORKER_INT_H
#define EP_WORKER_INT_H

#include <stdint.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fp.h"
#include "parse.h"
#include "snapshot.h"

static inline void count_drop(struct fp_worker *w, struct rte_mbuf *mb,
			      enum ep_drop_reason why)
{
	w->st->drop[why]++;
	rte_pktmbuf_free(mb);
}

static inline void tx_enqueue(struct fp_worker *w, struct rte_mbuf *mb,
			      uint16_t port)
{
	if (unlikely(port >= fp.n_ports)) {
		count_drop(w, mb, EP_DROP_TX_FULL);
		return;
	}
	if (unlikely(w->tx_n[port] == FP_TX_BUF))
		worker_flush(w);
	w->tx_bytes[port] += rte_pktmbuf_pkt_len(mb);
	w->tx[port][w->tx_n[port]++] = mb;
}

/*
 * Hand a packet for the node to the kernel's exception path when there is
 * one (ARP/ND, `neigh`, on their own budget; `m` may be NULL), else to the
 * slow path, or drop it when none is attached.
 */
static inline void punt_to(struct fp_worker *w, struct rte_mbuf *mb,
			   const struct pkt_meta *m, int neigh)
{
	if (__atomic_load_n(&fp.exc_on, __ATOMIC_RELAXED)) {
		int why = exc_admit(&fp.exc_limits, w->exc, neigh, m,
				    rte_rdtsc());

		if (why) {
			count_drop(w, mb, (enum ep_drop_reason)why);
			return;
		}
		if (rte_ring_mp_enqueue(fp.exc_to_kernel, mb) != 0) {
			count_drop(w, mb, EP_DROP_EXC_RING_FULL);
			return;
		}
		w->st->cnt[EP_CNT_EXC_TO_KERNEL]++;
		return;
	}
	if (!__atomic_load_n(&fp.punt_enabled, __ATOMIC_RELAXED)) {
		count_drop(w, mb, EP_DROP_NO_SLOWPATH);
		return;
	}
	if (rte_ring_mp_enqueue(fp.punt_ring, mb) != 0) {
		count_drop(w, mb, EP_DROP_PUNT_FULL);
		return;
	}
	w->st->cnt[EP_CNT_PUNT_PKTS]++;
}

static inline void punt(struct fp_worker *w, struct rte_mbuf *mb,
			const struct pkt_meta *m)
{
	punt_to(w, mb, m, 0);
}

static inline void punt_neigh(struct fp_worker *w, struct rte_mbuf *mb,
			      const struct pkt_meta *m)
{
	punt_to(w, mb, m, 1);
}

/* One of this node's addresses (a node address or a VIP)? */
static inline int is_local(const struct fp_snapshot *s, const uint8_t addr[16],
			   uint8_t family)
{
	return snap_addr_find(&s->local_addrs, addr, family, 0, 0) !=
	       UINT32_MAX;
}

/* arp_nd.c: answer ARP and ND for our addresses, learn backends' MACs
 * from what they send, ask for the MAC of a backend we have none for. */
void arp_nd_handle_arp(struct fp_worker *w, const struct fp_snapshot *s,
		       struct rte_mbuf *mb, struct pkt_meta *m, uint64_t now);
void arp_nd_handle_nd(struct fp_worker *w, const struct fp_snapshot *s,
		      struct rte_mbuf *mb, struct pkt_meta *m, uint64_t now);
void arp_nd_request(struct fp_worker *w, const struct fp_snapshot *s,
		    const uint8_t addr[16], uint8_t family);

/* nat_reply.c: a NAT flow's reply entry (backend -> client), created with
 * the forward entry at `fwd_pos` for key `k`, and the forwarding of the
 * replies it matches. */
void nat_reply_insert(struct fp_worker *w, int32_t fwd_pos,
		      const struct flow_key *k, uint64_t now);
void nat_reply_forward(struct fp_worker *w, struct rte_mbuf *mb,
		       const struct pkt_meta *m, struct ct_entry *reply,
		       uint64_t now);

/* reset_down.c: on_down "reset". A packet of the flow at `pos` (entry
 * `e`, forward or reply) whose backend snap_reset_down() names: the flow
 * ends (TCP: RSTs; counted per service). Returns 1 when the packet was
 * consumed, 0 when it should go on as a new flow's (UDP, client side). */
int reset_down_flow(struct fp_worker *w, struct rte_mbuf *mb,
		    const struct pkt_meta *m, struct ct_entry *e, int32_t pos);

#endif /* EP_WORKER_INT_H */
