/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP and IPv6 neighbour discovery on the worker: answer for the node's
 * addresses and VIPs, learn the MACs of backends from what they send,
 * and ask for the MAC of a backend the neighbour table has none for.
 * What the fast path does not answer is punted (worker_int.h:punt_to).
 */
#include <string.h>

#include <rte_mbuf.h>

#include "neigh.h"
#include "rewrite.h"
#include "worker_int.h"

static void learn_neighbour(struct fp_worker *w, const struct fp_snapshot *s,
			    const struct pkt_meta *m, uint8_t family,
			    uint16_t port, uint64_t now)
{
	uint32_t i =
		snap_addr_find(&s->backend_ids, m->sender_ip, family, 0, 0);

	for (; i != UINT32_MAX; i = s->backends[i].next_same_addr)
		if (neigh_learn(fp.neigh, s->backends[i].stats_id,
				m->sender_mac, port, now))
			w->st->cnt[EP_CNT_NEIGH_LEARNED]++;
}

void arp_nd_handle_arp(struct fp_worker *w, const struct fp_snapshot *s,
		       struct rte_mbuf *mb, struct pkt_meta *m, uint64_t now)
{
	uint16_t port = mb->port;

	learn_neighbour(w, s, m, EP_AF_INET, port, now);
	if (m->arp_op == 1 && is_local(s, m->target_ip, EP_AF_INET)) {
		rw_arp_reply(rte_pktmbuf_mtod(mb, uint8_t *), m,
			     fp.ports[port].mac.addr_bytes);
		w->st->cnt[EP_CNT_ARP_REPLIES]++;
		tx_enqueue(w, mb, port);
		return;
	}
	punt_neigh(w, mb, m);
}

void arp_nd_handle_nd(struct fp_worker *w, const struct fp_snapshot *s,
		      struct rte_mbuf *mb, struct pkt_meta *m, uint64_t now)
{
	uint16_t port = mb->port;

	if (m->kind == PKT_ND_NA) {
		/* An advertisement names its target: learn that, if it
		 * carries the target's link-layer address at all. */
		if (m->nd_has_lladdr) {
			memcpy(m->sender_ip, m->target_ip, 16);
			learn_neighbour(w, s, m, EP_AF_INET6, port, now);
		}
		punt_neigh(w, mb, m);
		return;
	}
	if (m->nd_has_lladdr)
		learn_neighbour(w, s, m, EP_AF_INET6, port, now);
	if (is_local(s, m->target_ip, EP_AF_INET6) &&
	    rw_nd_advert(mb, m, fp.ports[port].mac.addr_bytes) == 0) {
		w->st->cnt[EP_CNT_ND_ADVERTS]++;
		tx_enqueue(w, mb, port);
		return;
	}
	punt_neigh(w, mb, m);
}

/* Ask for a backend's MAC (ARP request or neighbour solicitation). */
void arp_nd_request(struct fp_worker *w, const struct fp_snapshot *s,
		    const uint8_t addr[16], uint8_t family)
{
	uint16_t port = s->node.backend_port;
	struct rte_mbuf *mb;

	if (port >= fp.n_ports)
		return;
	mb = rte_pktmbuf_alloc(fp.pool);
	if (!mb) {
		w->st->drop[EP_DROP_NO_MBUF]++;
		return;
	}
	if (rw_neigh_request(mb, s, addr, family, fp.ports[port].mac.addr_bytes,
			     port) != 0) {
		rte_pktmbuf_free(mb);
		return;
	}
	w->st->cnt[EP_CNT_NEIGH_REQUESTS]++;
	tx_enqueue(w, mb, port);
}
