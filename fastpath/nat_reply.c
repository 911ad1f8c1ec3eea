/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT reply bookkeeping on the worker: the reply entry (backend ->
 * client) made beside a NAT flow's forward entry, and the replies it
 * matches turned back into packets from the VIP.
 */
#include <string.h>

#include <rte_mbuf.h>

#include "conntrack.h"
#include "flowhash.h"
#include "outlier.h"
#include "rewrite.h"
#include "synproxy.h"
#include "worker_int.h"

/* A reply from a NAT backend: restore the VIP and send it to the client. */
void nat_reply_forward(struct fp_worker *w, struct rte_mbuf *mb,
		       const struct pkt_meta *m, struct ct_entry *reply,
		       uint64_t now)
{
	struct ct_entry *fwd = reply->peer_pos == CT_NO_PEER
				       ? NULL
				       : ct_entry_at(w->ct, reply->peer_pos);

	if (unlikely(m->kind == PKT_ICMP_ERR)) {
		/* About a packet we sent the backend: no touch (see decide) */
		if (unlikely(reply->flags & CT_F_SYNPROXY))
			sp_quote_to_client(mb, m, reply->seq_delta);
		rw_nat_icmp_reverse(mb, m, reply->addr, reply->port);
		w->st->cnt[EP_CNT_NAT_ICMP]++;
	} else {
		if (unlikely(reply->flags & CT_F_SYNPROXY) &&
		    synproxy_reply(w, mb, m, reply, fwd, now))
			return;
		outlier_backend(w, fwd, m->key.proto, m->tcp_flags);
		ct_touch(reply, m->key.proto, m->tcp_flags, now);
		if (fwd)
			ct_touch(fwd, m->key.proto, m->tcp_flags, now);
		rw_nat_reverse(mb, m, reply->addr, reply->port);
		w->st->cnt[EP_CNT_NAT_REPLIES]++;
	}
	rw_set_macs(rte_pktmbuf_mtod(mb, uint8_t *), reply->client_mac,
		    fp.ports[reply->in_port].mac.addr_bytes);
	w->acc.fwd++;
	tx_enqueue(w, mb, reply->in_port);
}

/* NAT: the reply direction's key is backend -> client. */
static void reply_key(struct flow_key *r, const struct flow_key *k,
		      const struct ct_entry *e)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->src, e->addr, 16);
	memcpy(r->dst, k->src, 16);
	r->sport = e->port ? e->port : k->dport;
	r->dport = k->sport;
	r->proto = k->proto;
	r->family = k->family;
}

void nat_reply_insert(struct fp_worker *w, int32_t fwd_pos,
		      const struct flow_key *k, uint64_t now)
{
	struct ct_entry *fwd = ct_entry_at(w->ct, fwd_pos), *rep;
	struct flow_key rk;
	int32_t pos;

	reply_key(&rk, k, fwd);
	pos = ct_lookup(w->ct, &rk, flowhash_key(&rk, fp.hash_seed));
	if (pos >= 0) {
		/* A stale flow on the same tuple: it goes, and its forward
		 * entry with it, which must leave the backend's count. */
		struct ct_entry *stale = ct_entry_at(w->ct, pos);

		if (stale->peer_pos != CT_NO_PEER)
			worker_ct_removed(ct_entry_at(w->ct, stale->peer_pos),
					  w);
		ct_remove(w->ct, pos);
	}
	pos = ct_insert(w->ct, &rk, flowhash_key(&rk, fp.hash_seed), now);
	fwd = ct_entry_at(w->ct, fwd_pos); /* insert may have evicted */
	if (pos < 0 || fwd->state == CT_FREE)
		return;
	rep = ct_entry_at(w->ct, pos);
	memcpy(rep->addr, k->dst, 16); /* the VIP */
	rep->port = k->dport;
	rep->family = k->family;
	rep->flags = CT_F_REPLY;
	rep->state = fwd->state;
	rep->last_tsc = now;
	rep->in_port = fwd->in_port;
	rep->backend_sid = fwd->backend_sid;
	rep->service_sid = fwd->service_sid;
	memcpy(rep->client_mac, fwd->client_mac, 6);
	rep->peer_pos = (uint32_t)fwd_pos;
	fwd->peer_pos = (uint32_t)pos;
}
