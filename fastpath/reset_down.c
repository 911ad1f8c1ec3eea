/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * on_down "reset" on the worker: a packet of an established flow whose
 * backend its health checks took down (snap_reset_down()) ends the flow.
 * TCP: an RST to the client, and in nat mode one to the backend (in dsr
 * and encap modes the backend answers the client directly, whose stack
 * resets it); the entries go. UDP, and a client's bare SYN (a new
 * connection on the old tuple): the entries go and the caller treats the
 * packet as a new flow (a UDP reply from the backend is dropped). Lazy,
 * like every conntrack decision: a flow ends on its next packet.
 */
#include <netinet/in.h>

#include <rte_mbuf.h>

#include "neigh.h"
#include "rewrite.h"
#include "synproxy.h"
#include "worker_int.h"

/* What the packet's TCP header says. */
struct tcp_view {
	uint32_t seq, ack; /* host order */
	uint32_t next; /* seq + payload + SYN + FIN: its sender's next seq */
	uint8_t flags;
};

static void tcp_view(const struct rte_mbuf *mb, const struct pkt_meta *m,
		     struct tcp_view *v)
{
	const uint8_t *tcp = rte_pktmbuf_mtod(mb, const uint8_t *) + m->l4_off;
	uint32_t hdr = (uint32_t)(tcp[12] >> 4) * 4u;
	uint32_t l4 = (uint32_t)m->l3_len - (uint32_t)(m->l4_off - m->l3_off);

	v->seq = sp_get32(tcp + SP_TCP_SEQ_OFF);
	v->ack = sp_get32(tcp + SP_TCP_ACK_OFF);
	v->flags = m->tcp_flags;
	v->next = v->seq + (l4 > hdr ? l4 - hdr : 0) +
		  !!(v->flags & SP_TH_SYN) + !!(v->flags & SP_TH_FIN);
}

/*
 * Send the segment `g` out of `port` to `dst_mac`, in `mb` (the packet
 * itself, rewritten in place: a TCP packet is at least as long as a bare
 * segment) or, when NULL, in a new mbuf with `l2`'s link-layer header.
 */
static void send_rst(struct fp_worker *w, struct rte_mbuf *mb,
		     const uint8_t *l2, uint16_t l3_off, uint8_t family,
		     const struct sp_seg *g, const uint8_t dst_mac[6],
		     uint16_t port)
{
	uint8_t *frame;

	if (mb == NULL) {
		mb = rte_pktmbuf_alloc(fp.pool);
		if (mb == NULL) {
			w->st->drop[EP_DROP_NO_MBUF]++;
			return;
		}
		frame = (uint8_t *)rte_pktmbuf_append(mb,
						      (uint16_t)(l3_off + 64));
		if (frame == NULL) {
			count_drop(w, mb, EP_DROP_NO_HEADROOM);
			return;
		}
		memcpy(frame, l2, l3_off);
	} else {
		frame = rte_pktmbuf_mtod(mb, uint8_t *);
	}
	rw_set_macs(frame, dst_mac, fp.ports[port].mac.addr_bytes);
	rw_set_len(mb, sp_write_segment(frame, l3_off, family, g));
	mb->port = port;
	tx_enqueue(w, mb, port);
}

/* A client's packet: RST to the client; nat: RST to the backend too. */
static void reset_forward(struct fp_worker *w, struct rte_mbuf *mb,
			  const struct pkt_meta *m, const struct ct_entry *e,
			  const struct tcp_view *v)
{
	const uint8_t *l2 = rte_pktmbuf_mtod(mb, const uint8_t *);
	struct sp_seg to_client = {
		.src = m->key.dst, /* the VIP */
		.dst = m->key.src,
		.sport = m->key.dport,
		.dport = m->key.sport,
		.seq = v->flags & SP_TH_ACK ? v->ack : 0,
		.ack = v->next,
		.flags = SP_TH_RST | SP_TH_ACK,
	};
	struct sp_seg to_backend = {
		.src = m->key.src,
		.dst = e->addr,
		.sport = m->key.sport,
		.dport = e->port ? e->port : m->key.dport,
		.seq = v->seq,
		.flags = SP_TH_RST,
	};
	uint8_t mac[6];
	uint16_t port;

	send_rst(w, NULL, l2, m->l3_off, m->family, &to_client, l2 + 6,
		 mb->port);
	if (e->action == FP_ACT_NAT &&
	    neigh_lookup(fp.neigh, e->backend_sid, e->addr, mac, &port) == 0)
		send_rst(w, mb, NULL, m->l3_off, m->family, &to_backend, mac,
			 port);
	else
		rte_pktmbuf_free(mb);
}

/* A nat backend's reply (`r` its reply entry): RST both ways. */
static void reset_reply(struct fp_worker *w, struct rte_mbuf *mb,
			const struct pkt_meta *m, const struct ct_entry *r,
			const struct tcp_view *v)
{
	const uint8_t *l2 = rte_pktmbuf_mtod(mb, const uint8_t *);
	struct sp_seg to_client = {
		.src = r->addr, /* the VIP */
		.dst = m->key.dst,
		.sport = r->port,
		.dport = m->key.dport,
		/* the client's numbers: proxied flows are shifted */
		.seq = v->seq - (r->flags & CT_F_SYNPROXY ? r->seq_delta : 0),
		.flags = SP_TH_RST,
	};
	struct sp_seg to_backend = {
		.src = m->key.dst,
		.dst = m->key.src,
		.sport = m->key.dport,
		.dport = m->key.sport,
		.seq = v->flags & SP_TH_ACK ? v->ack : 0,
		.ack = v->next,
		.flags = SP_TH_RST | SP_TH_ACK,
	};

	send_rst(w, NULL, l2, m->l3_off, m->family, &to_backend, l2 + 6,
		 mb->port);
	send_rst(w, mb, NULL, m->l3_off, m->family, &to_client, r->client_mac,
		 r->in_port);
}

int reset_down_flow(struct fp_worker *w, struct rte_mbuf *mb,
		    const struct pkt_meta *m, struct ct_entry *e, int32_t pos)
{
	const struct ct_entry *fwd =
		!(e->flags & CT_F_REPLY) ? e
		: e->peer_pos == CT_NO_PEER
			? NULL
			: ct_entry_at(w->ct, (int32_t)e->peer_pos);
	struct tcp_view v;
	int consumed = 1;

	w->svc[e->service_sid].reset_on_down++;
	if (m->key.proto == IPPROTO_TCP && !(e->flags & CT_F_REPLY) &&
	    (m->tcp_flags & (SP_TH_SYN | SP_TH_ACK)) == SP_TH_SYN) {
		consumed = 0; /* a new connection on the old tuple: as UDP */
	} else if (m->key.proto == IPPROTO_TCP) {
		tcp_view(mb, m, &v);
		if (e->flags & CT_F_REPLY)
			reset_reply(w, mb, m, e, &v);
		else
			reset_forward(w, mb, m, e, &v);
	} else if (e->flags & CT_F_REPLY) {
		rte_pktmbuf_free(mb); /* UDP to a client that moved on */
	} else {
		consumed = 0; /* UDP: the packet opens a new flow */
	}
	if (fwd != NULL)
		worker_ct_removed(fwd, w);
	ct_remove(w->ct, pos);
	return consumed;
}
