/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker: run to completion on bursts of 32. rx -> parse -> classify
 * (VIP? NAT reply? ours?) -> connection table -> pick a backend for new
 * flows -> rewrite (dsr | encap | nat) -> tx; anything else goes to the
 * slow path's punt ring. No locks, no allocation beyond mbufs, no syscalls,
 * no logging: every exit is a counter. The polling loop around it (RX,
 * TX flush, ageing, idling) is worker_loop.c.
 */
#include <errno.h>
#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include "flowhash.h"
#include "fp.h"
#include "maglev.h"
#include "neigh.h"
#include "outlier.h"
#include "rewrite.h"
#include "synproxy.h"
#include "worker_int.h"

/* Neighbour requests: at most one per backend per interval. */
#define NEIGH_REQUEST_INTERVAL_MS 200u
#define NEIGH_REFRESH_MS 60000u

enum verdict {
	V_DONE = 0, /* consumed (sent, queued or freed and counted) */
	V_LOOKUP, /* needs a connection-table lookup */
};

struct pkt_ctx {
	struct pkt_meta m;
	const struct snap_service *svc;
	uint32_t hash;
	uint8_t verdict;
	uint8_t policed; /* checked where it arrived (handed off to us) */
	/* What police_flow() learnt of a packet with no entry, for the
	 * entry new_flow() makes (enum pol_aux; set when s->pol.any). */
	uint32_t pol_learnt[POL_AUX_N];
};

/*
 * The last (destination, port, protocol, family) looked up in the VIP
 * table and its answer, for one burst (one snapshot): most packets of a
 * burst go to the same service. The bytes are the key's dst (16..31) and
 * its dport, proto, family (34..37), compared as words.
 */
struct svc_cache {
	uint64_t dst[2];
	uint32_t tail; /* dport, proto, family as in the key */
	uint32_t valid;
	const struct snap_service *svc;
};

_Static_assert(__builtin_offsetof(struct flow_key, dport) + 2 ==
			       __builtin_offsetof(struct flow_key, proto) &&
		       __builtin_offsetof(struct flow_key, proto) + 1 ==
			       __builtin_offsetof(struct flow_key, family),
	       "svc_cache reads dport, proto, family as one word");

static inline const struct snap_service *
find_service(const struct fp_snapshot *s, const struct flow_key *k,
	     struct svc_cache *sc)
{
	uint64_t d0, d1;
	uint32_t tail;

	memcpy(&d0, k->dst, 8);
	memcpy(&d1, k->dst + 8, 8);
	memcpy(&tail, &k->dport, 4);
	if (likely(sc->valid && d0 == sc->dst[0] && d1 == sc->dst[1] &&
		   tail == sc->tail))
		return sc->svc;
	sc->svc = snap_find_service(s, k);
	sc->dst[0] = d0;
	sc->dst[1] = d1;
	sc->tail = tail;
	sc->valid = 1;
	return sc->svc;
}

/* ------------------------------------------------------------------ */
/* Backend selection for new flows.                                     */

static uint32_t pick_least_conn(const struct fp_worker *w,
				const struct fp_snapshot *s,
				const struct snap_service *svc)
{
	uint32_t best = UINT32_MAX;
	int64_t best_active = 0;
	uint32_t best_weight = 1;

	for (uint32_t j = 0; j < svc->n_backends; j++) {
		const struct snap_backend *b =
			&s->backends[svc->first_backend + j];
		int64_t active;

		if (b->state != EP_BE_UP || b->weight == 0)
			continue;
		active = w->be[b->stats_id].active_flows;
		/* active/weight < best_active/best_weight, without division. */
		if (best == UINT32_MAX ||
		    active * best_weight < best_active * b->weight) {
			best = j;
			best_active = active;
			best_weight = b->weight;
		}
	}
	return best;
}

/* Service-local index of the backend for a new flow, or UINT32_MAX. */
static uint32_t pick_backend(struct fp_worker *w, const struct fp_snapshot *s,
			     const struct snap_service *svc,
			     const struct flow_key *key, uint32_t hash)
{
	uint16_t idx;

	if (svc->n_pickable == 0)
		return UINT32_MAX;
	if (svc->flags & EP_SVC_F_AFFINITY) {
		idx = snap_maglev_pick(svc, flowhash_src(key, fp.hash_seed));
	} else if (svc->sched == EP_SCHED_MAGLEV) {
		idx = snap_maglev_pick(svc, hash);
	} else if (svc->sched == EP_SCHED_LC) {
		return pick_least_conn(w, s, svc);
	} else {
		uint32_t c = w->wrr_cursor[svc->index]++;

		idx = svc->wrr[c % svc->wrr_len];
	}
	return idx == MAGLEV_EMPTY ? UINT32_MAX : idx;
}

/* ------------------------------------------------------------------ */
/* Forwarding.                                                          */

/* No neighbour for the backend yet: ask (rate-limited) and drop. */
static __attribute__((noinline)) void no_neighbour(struct fp_worker *w,
						   const struct fp_snapshot *s,
						   struct rte_mbuf *mb,
						   const struct ct_entry *e)
{
	if (neigh_should_request(fp.neigh, e->backend_sid, rte_rdtsc(),
				 fp.tsc_hz * NEIGH_REQUEST_INTERVAL_MS / 1000,
				 fp.tsc_hz / 1000 * NEIGH_REFRESH_MS))
		arp_nd_request(w, s, e->addr, e->family);
	count_drop(w, mb, EP_DROP_NO_NEIGH);
}

/* NAT and encapsulation rewrites: 0, or a drop reason plus one. */
static __attribute__((noinline)) int rewrite_l3(struct rte_mbuf *mb,
						const struct pkt_meta *m,
						const struct fp_snapshot *s,
						const struct ct_entry *e,
						uint32_t hash, uint16_t port)
{
	switch (e->action) {
	case FP_ACT_NAT:
		if (m->kind == PKT_ICMP_ERR) {
			if (unlikely(e->flags & CT_F_SYNPROXY))
				sp_quote_to_backend(mb, m, e->seq_delta);
			rw_nat_icmp_forward(mb, m, e->addr, e->port);
			return 0;
		}
		return rw_nat_forward(mb, m, e->addr, e->port);
	case FP_ACT_IPIP:
	case FP_ACT_GUE:
		return rw_encap(mb, m, s, e, hash, fp.ports[port].mtu);
	default:
		return 0;
	}
}

/*
 * Rewrite and queue a packet of an established (or just created) flow.
 * `e` describes the backend; the neighbour table gives its MAC. DSR, the
 * common case, only changes the MACs; the rest is out of line.
 */
static inline void forward(struct fp_worker *w, const struct fp_snapshot *s,
			   struct rte_mbuf *mb, const struct pkt_meta *m,
			   const struct ct_entry *e, uint32_t hash)
{
	uint8_t mac[6];
	uint16_t port;
	int rc;

	if (unlikely(neigh_lookup(fp.neigh, e->backend_sid, e->addr, mac,
				  &port) != 0)) {
		no_neighbour(w, s, mb, e);
		return;
	}
	if (e->action != FP_ACT_DSR) {
		rc = rewrite_l3(mb, m, s, e, hash, port);
		if (rc != 0) {
			count_drop(w, mb, (enum ep_drop_reason)(rc - 1));
			return;
		}
	}
	rw_set_macs(rte_pktmbuf_mtod(mb, uint8_t *), mac,
		    fp.ports[port].mac.addr_bytes);
	w->be[e->backend_sid].pkts++;
	w->be[e->backend_sid].bytes += rte_pktmbuf_pkt_len(mb);
	w->acc.fwd++;
	tx_enqueue(w, mb, port);
}

/* Fill a fresh forward entry for backend `b` of `svc`. */
static void fill_entry(struct ct_entry *e, const struct snap_service *svc,
		       const struct snap_backend *b, const struct rte_mbuf *mb,
		       const struct pkt_meta *m, uint64_t now)
{
	memcpy(e->addr, b->addr, 16);
	e->family = b->family;
	e->port = b->port_n;
	e->backend_sid = b->stats_id;
	e->service_sid = svc->stats_id;
	e->action = svc->action;
	e->in_port = mb->port;
	e->last_tsc = now;
	if (m->key.proto == IPPROTO_TCP)
		e->state = (m->tcp_flags & 0x02) ? CT_SYN : CT_EST;
	else
		e->state = CT_UDP;
	memcpy(e->client_mac, rte_pktmbuf_mtod(mb, uint8_t *) + 6, 6);
}

/* What new_flow() did with its packet. */
/* ------------------------------------------------------------------ */
/* Policing: access lists and rate limits, before any state is made.    */

/* Count a policing drop for the service and free the packet. */
static __attribute__((noinline)) void
police_drop(struct fp_worker *w, struct rte_mbuf *mb,
	    const struct snap_service *svc, enum pol_verdict v)
{
	struct ep_svc_counters *sc = &w->svc[svc->stats_id];
	enum ep_drop_reason why;

	switch (v) {
	case POL_ACL:
		sc->drop_acl++;
		why = EP_DROP_ACL;
		break;
	case POL_RATE_PPS:
		sc->drop_rate_pps++;
		why = EP_DROP_RATE_SVC_PPS;
		break;
	case POL_RATE_BPS:
		sc->drop_rate_bps++;
		why = EP_DROP_RATE_SVC_BPS;
		break;
	case POL_RATE_CPS:
		sc->drop_rate_cps++;
		why = EP_DROP_RATE_SVC_CPS;
		break;
	case POL_SYN_FLOOD:
		sc->drop_syn_flood++;
		why = EP_DROP_SYN_FLOOD;
		break;
	case POL_RATE_CLIENT_GLOBAL:
		sc->drop_rate_client_global++;
		why = EP_DROP_RATE_CLIENT_GLOBAL;
		break;
	default:
		sc->drop_rate_client++;
		why = EP_DROP_RATE_CLIENT;
		break;
	}
	sc->drops++;
	count_drop(w, mb, why);
}

/*
 * A packet to a service, seen first on this worker, before its handoff:
 * the access lists and the packets/s and bytes/s limits. 1 when it goes
 * on, 0 when dropped.
 */
static inline int police_packet(struct fp_worker *w,
				const struct fp_snapshot *s,
				struct rte_mbuf *mb, const struct pkt_ctx *c,
				uint64_t now)
{
	uint32_t no_stamp = 0;
	enum pol_verdict v;

	if (likely(!s->pol.any))
		return 1;
	v = pol_check_packet(&s->pol, pol_service_of(&s->pol, c->svc->index),
			     c->svc->stats_id, w->index, c->m.key.src,
			     c->m.key.family, rte_pktmbuf_pkt_len(mb), now,
			     &no_stamp);
	if (likely(v == POL_PASS))
		return 1;
	police_drop(w, mb, c->svc, v);
	return 0;
}

/*
 * Every check of a packet to a service on the worker that keeps its flow,
 * after the table lookup (which makes no state) and before anything else
 * is done with it: the access lists, the service's packets/s and bytes/s
 * (unless checked where it arrived), the per-client limits. A forward
 * entry of this service (`e`) keeps what the checks learnt (enum
 * pol_aux), so an established flow's packets skip the lookups and pay
 * only the checks their service has (pol_check_flow()); any other packet
 * leaves it in c->pol_learnt, for the entry new_flow() may make for it.
 * 1 when it goes on, 0 when dropped.
 */
static int police_flow(struct fp_worker *w, const struct fp_snapshot *s,
		       struct rte_mbuf *mb, struct pkt_ctx *c,
		       struct ct_entry *e, uint64_t now)
{
	const struct snap_service *svc = c->svc;
	/* Never NULL here: s->pol.any gives every service its limits. */
	const struct pol_service *p = &s->pol.svc[svc->index];
	const int ours = e != NULL &&
			 !(e->flags & (CT_F_REPLY | CT_F_SP_WAIT)) &&
			 e->service_sid == svc->stats_id && c->m.kind == PKT_L4;
	uint32_t *aux = c->pol_learnt;
	enum pol_verdict v = POL_PASS;

	if (likely(ours && !c->policed)) {
		v = pol_check_flow(&s->pol, p, svc->stats_id,
				   &pol_workers[w->index], w->cl, c->m.key.src,
				   c->m.key.family, rte_pktmbuf_pkt_len(mb),
				   now, ct_aux_of(e));
	} else {
		if (ours)
			aux = ct_aux_of(e);
		else
			memset(c->pol_learnt, 0, sizeof(c->pol_learnt));
		if (!c->policed)
			v = pol_check_packet(&s->pol, p, svc->stats_id,
					     w->index, c->m.key.src,
					     c->m.key.family,
					     rte_pktmbuf_pkt_len(mb), now,
					     &aux[POL_AUX_ACL]);
		if (v == POL_PASS && c->m.kind == PKT_L4)
			v = pol_check_client_hinted(
				&s->pol, p, svc->stats_id, w->cl, c->m.key.src,
				c->m.key.family, 0, now, aux);
	}
	if (likely(v == POL_PASS))
		return 1;
	police_drop(w, mb, svc, v);
	return 0;
}

enum syn_guard_verdict {
	SG_ENTRY, /* not a new bare SYN, or within the guard: as usual */
	SG_STATELESS, /* over the guard: steer by Maglev, no entry */
	SG_DROP, /* over the guard, and no stateless way (NAT, rr/wrr/lc) */
};

/*
 * The SYN-flood guard for a packet opening a flow: above the configured
 * new-SYN rate of this worker, a bare SYN makes no connection entry, so
 * a flood cannot evict established flows. Its ACK, if a real client
 * sends one, finds the same backend through the same Maglev slot and
 * makes the entry then. NAT needs an entry for the replies, and rr, wrr
 * and lc would pick another backend for the ACK: those SYNs are dropped.
 */
static enum syn_guard_verdict syn_guard(struct fp_worker *w,
					const struct fp_snapshot *s,
					const struct pkt_ctx *c, uint64_t now)
{
	const struct snap_service *svc = c->svc;

	if (c->m.key.proto != IPPROTO_TCP ||
	    (c->m.tcp_flags & (0x02 | 0x10)) != 0x02 /* SYN, no ACK */ ||
	    pol_syn_guard_admit(&s->pol, w->index, now))
		return SG_ENTRY;
	if (svc->fwd_mode == EP_FWD_NAT || svc->maglev_ref == NULL ||
	    (svc->sched != EP_SCHED_MAGLEV &&
	     !(svc->flags & EP_SVC_F_AFFINITY)))
		return SG_DROP;
	return SG_STATELESS;
}

enum new_flow_result {
	NF_FORWARDED, /* picked a backend and forwarded (or tried to) */
	NF_DROPPED, /* no backend to pick: dropped and counted */
	NF_EXISTING, /* the burst created this key already: *pos holds it */
};

/*
 * A packet to a VIP that the burst's lookup did not find: remember it,
 * pick, forward. The insert comes first, so a key this burst has already
 * created (a SYN and its ACK in one burst) is found, not picked again:
 * then NF_EXISTING with that entry's position in *existing, for the
 * caller to treat as a hit.
 */
static enum new_flow_result new_flow(struct fp_worker *w,
				     const struct fp_snapshot *s,
				     struct rte_mbuf *mb, struct pkt_ctx *c,
				     uint64_t now, int32_t *existing)
{
	const struct snap_service *svc = c->svc;
	const struct snap_backend *b;
	struct ct_entry tmp, *e = &tmp;
	uint64_t t0;
	uint32_t j;
	int32_t pos;
	int stateless = 0;

	if (svc->n_pickable == 0) {
		/* Nothing to pick: take no entry (and evict nothing). */
		w->acc.misses++;
		w->svc[svc->stats_id].drops++;
		count_drop(w, mb, EP_DROP_NO_BACKEND);
		return NF_DROPPED;
	}
	if (unlikely((s->pol.svc != NULL && s->pol.svc[svc->index].any) ||
		     pol_has_client_limits(&s->pol, svc->index))) {
		enum pol_verdict v;

		/* A connection this burst opened already is not new. */
		pos = w->burst_inserts ? ct_lookup(w->ct, &c->m.key, c->hash)
				       : -ENOENT;
		e = ct_entry_at(w->ct, pos);
		if (e && !(e->flags & CT_F_REPLY)) {
			*existing = pos;
			return NF_EXISTING;
		}
		e = &tmp;
		if (pol_check_new_flow(&s->pol, svc->index, svc->stats_id,
				       w->index, now) != POL_PASS) {
			w->acc.misses++;
			police_drop(w, mb, svc, POL_RATE_CPS);
			return NF_DROPPED;
		}
		if (pol_has_client_limits(&s->pol, svc->index) &&
		    (v = pol_check_client_hinted(
			     &s->pol, pol_service_of(&s->pol, svc->index),
			     svc->stats_id, w->cl, c->m.key.src,
			     c->m.key.family, 1, now, c->pol_learnt)) !=
			    POL_PASS) {
			w->acc.misses++;
			police_drop(w, mb, svc, v);
			return NF_DROPPED;
		}
	}
	if (unlikely(s->pol.syn_guard.mode != POLICER_OFF)) {
		switch (syn_guard(w, s, c, now)) {
		case SG_DROP:
			w->acc.misses++;
			police_drop(w, mb, svc, POL_SYN_FLOOD);
			return NF_DROPPED;
		case SG_STATELESS:
			stateless = 1;
			break;
		default:
			break;
		}
	}
	pos = stateless ? -ENOSPC : ct_insert(w->ct, &c->m.key, c->hash, now);
	if (pos == -EEXIST) {
		pos = ct_lookup(w->ct, &c->m.key, c->hash);
		e = ct_entry_at(w->ct, pos);
		if (e && !(e->flags & CT_F_REPLY)) {
			*existing = pos;
			return NF_EXISTING;
		}
		/* The tuple is a NAT reply's: no entry of its own. */
		e = &tmp;
		pos = -EEXIST;
	}
	w->acc.misses++;
	t0 = rte_rdtsc();
	j = pick_backend(w, s, svc, &c->m.key, c->hash);
	w->acc.cyc_pick += rte_rdtsc() - t0;
	if (unlikely(j == UINT32_MAX)) {
		if (pos >= 0)
			ct_remove(w->ct, pos);
		w->svc[svc->stats_id].drops++;
		count_drop(w, mb, EP_DROP_NO_BACKEND);
		return NF_DROPPED;
	}
	b = &s->backends[svc->first_backend + j];
	if (pos >= 0) {
		e = ct_entry_at(w->ct, pos);
		/* Policing's words: what it learnt of this packet, or
		 * empty (the position's previous flow's SYN proxy may have
		 * left a handshake in them). */
		if (s->pol.any)
			memcpy(ct_aux_at(w->ct, pos), c->pol_learnt,
			       sizeof(c->pol_learnt));
		else
			memset(ct_aux_at(w->ct, pos), 0, sizeof(c->pol_learnt));
		w->burst_inserts++;
		w->st->cnt[EP_CNT_CT_INSERTS]++;
		w->be[b->stats_id].active_flows++;
	} else {
		memset(&tmp, 0, sizeof(tmp));
		w->st->cnt[stateless ? EP_CNT_SYN_STATELESS
				     : EP_CNT_CT_FALLBACK]++;
	}
	fill_entry(e, svc, b, mb, &c->m, now);
	if (pos >= 0 && svc->fwd_mode == EP_FWD_NAT)
		nat_reply_insert(w, pos, &c->m.key, now);
	w->svc[svc->stats_id].new_flows++;
	w->be[b->stats_id].new_flows++;
	forward(w, s, mb, &c->m, e, c->hash);
	return NF_FORWARDED;
}

/* ------------------------------------------------------------------ */
/* The burst pipeline.                                                  */

/* Write out what the burst has counted (see struct fp_burst_acc). */
static void flush_acc(struct fp_worker *w)
{
	struct fp_burst_acc *a = &w->acc;

	if (a->svc_pkts) {
		w->svc[a->svc_sid].pkts += a->svc_pkts;
		w->svc[a->svc_sid].bytes += a->svc_bytes;
		a->svc_pkts = 0;
		a->svc_bytes = 0;
	}
	w->st->cnt[EP_CNT_CT_HITS] += a->hits;
	w->st->cnt[EP_CNT_CT_MISSES] += a->misses;
	w->st->cnt[EP_CNT_FWD_PKTS] += a->fwd;
	a->hits = 0;
	a->misses = 0;
	a->fwd = 0;
}

/* Per-service packets and bytes, summed while the service stays the same. */
static inline void count_service(struct fp_worker *w,
				 const struct snap_service *svc,
				 const struct rte_mbuf *mb)
{
	struct fp_burst_acc *a = &w->acc;

	if (unlikely(svc->stats_id != a->svc_sid)) {
		if (a->svc_pkts) {
			w->svc[a->svc_sid].pkts += a->svc_pkts;
			w->svc[a->svc_sid].bytes += a->svc_bytes;
			a->svc_pkts = 0;
			a->svc_bytes = 0;
		}
		a->svc_sid = svc->stats_id;
	}
	a->svc_pkts++;
	a->svc_bytes += rte_pktmbuf_pkt_len(mb);
}

/*
 * Which worker owns this flow when work must be spread in software. A
 * service with per-client limits is owned by its client's address alone,
 * so that one worker's table sees all of a client. A NAT reply does not
 * say which service it belongs to, so with the global per-client limits
 * or a NAT service's own every flow is owned that way, NAT ones and their
 * replies (by the address they go to) too: one client's packets to any
 * service then all meet on one worker.
 */
static uint16_t flow_owner(const struct fp_snapshot *s, const struct pkt_ctx *c)
{
	const struct flow_key *k = &c->m.key;
	uint32_t h;

	if (c->svc == NULL)
		h = flowhash_endpoint(k->dst,
				      s->pol.own_by_address ? 0 : k->dport,
				      fp.hash_seed);
	else if (unlikely(s->pol.own_by_address ||
			  (c->svc->fwd_mode != EP_FWD_NAT &&
			   pol_has_client_limits(&s->pol, c->svc->index))))
		h = flowhash_endpoint(k->src, 0, fp.hash_seed);
	else
		h = flowhash_endpoint(k->src, k->sport, fp.hash_seed);
	return (uint16_t)(h % fp.n_workers);
}

static int needs_handoff(const struct fp_worker *w, const struct fp_snapshot *s,
			 const struct pkt_ctx *c, const struct rte_mbuf *mb)
{
	if (fp.n_workers == 1)
		return 0;
	/* NAT: both directions must meet on the client endpoint's owner;
	 * per-client limits: every packet of a client on its owner. */
	if (fp.ports[mb->port].spread ||
	    (c->svc == NULL || c->svc->fwd_mode == EP_FWD_NAT) ||
	    pol_has_client_limits(&s->pol, c->svc->index))
		return flow_owner(s, c) != w->index;
	return 0;
}

static void handoff(struct fp_worker *w, const struct fp_snapshot *s,
		    const struct pkt_ctx *c, struct rte_mbuf *mb)
{
	struct fp_worker *owner = &fp.workers[flow_owner(s, c)];

	if (rte_ring_mp_enqueue(owner->handoff, mb) != 0)
		count_drop(w, mb, EP_DROP_HANDOFF_FULL);
	else
		w->st->cnt[EP_CNT_HANDOFF_OUT]++;
}

/*
 * Unicast to another host (a shared segment, a promiscuous interface) is
 * not ours; broadcast and multicast are (ARP, neighbour discovery).
 */
static inline int for_us(const struct rte_mbuf *mb)
{
	const uint8_t *dst = rte_pktmbuf_mtod(mb, const uint8_t *);

	return (dst[0] & 1) ||
	       memcmp(dst, fp.ports[mb->port].mac.addr_bytes, 6) == 0;
}

/* First look at one parsed packet: done here, or needs a table lookup. */
static void classify(struct fp_worker *w, const struct fp_snapshot *s,
		     struct rte_mbuf *mb, struct pkt_ctx *c, int from_handoff,
		     uint64_t now, struct svc_cache *sc)
{
	c->verdict = V_DONE;
	c->svc = NULL;
	if (unlikely(!for_us(mb))) {
		count_drop(w, mb, EP_DROP_NOT_FOR_US);
		return;
	}
	switch (c->m.kind) {
	case PKT_ARP:
		arp_nd_handle_arp(w, s, mb, &c->m, now);
		return;
	case PKT_ND_NS:
	case PKT_ND_NA:
		arp_nd_handle_nd(w, s, mb, &c->m, now);
		return;
	case PKT_L4:
	case PKT_ICMP_ERR:
		break;
	default:
		punt(w, mb, &c->m);
		return;
	}
	c->svc = find_service(s, &c->m.key, sc);
	if (c->svc == NULL &&
	    (!s->has_nat ||
	     (c->m.kind != PKT_L4 && c->m.kind != PKT_ICMP_ERR) ||
	     is_local(s, c->m.key.dst, c->m.key.family))) {
		punt(w, mb, &c->m);
		return;
	}
	/* A packet for another worker is policed here, where it arrives,
	 * so that what the limits refuse never takes room in a handoff
	 * ring; the per-client limits wait for the worker that keeps the
	 * client. Everything else is policed after the lookup. */
	if (!from_handoff && needs_handoff(w, s, c, mb)) {
		if (c->svc == NULL || police_packet(w, s, mb, c, now))
			handoff(w, s, c, mb);
		return;
	}
	c->policed = (uint8_t)from_handoff;
	c->hash = flowhash_key(&c->m.key, fp.hash_seed);
	ct_prefetch(w->ct, c->hash);
	c->verdict = V_LOOKUP;
}

/*
 * A bare SYN on a forward entry (decide() has sent reply entries
 * elsewhere) whose connection has closed (FIN or RST seen) opens a new
 * connection on the same 5-tuple: the client reused its port.
 * SYN-proxied entries keep their own handshake (synproxy.c).
 */
static inline int is_port_reuse(const struct ct_entry *e,
				const struct pkt_meta *m)
{
	const uint8_t syn = 0x02, ack = 0x10, rst = 0x04;

	return e->state == CT_FIN && m->key.proto == 6 /* IPPROTO_TCP */ &&
	       (m->tcp_flags & (syn | ack | rst)) == syn &&
	       !(e->flags & CT_F_SYNPROXY);
}

static void decide(struct fp_worker *w, const struct fp_snapshot *s,
		   struct rte_mbuf *mb, struct pkt_ctx *c, int32_t pos,
		   uint64_t now)
{
	struct ct_entry *e;
	int sp = SP_PASS;

	/* The bulk lookup ran before this burst's new flows were inserted.
	 * A miss to a VIP tries to insert (new_flow finds what the burst
	 * created); anything else looks again. */
	if (pos < 0 && w->burst_inserts &&
	    (c->svc == NULL || c->m.kind == PKT_ICMP_ERR))
		pos = ct_lookup(w->ct, &c->m.key, c->hash);
	e = pos >= 0 ? ct_entry_at(w->ct, pos) : NULL;
	if (unlikely(s->pol.any) && c->svc != NULL &&
	    !police_flow(w, s, mb, c, e, now))
		return;

	if (unlikely(s->reset_down != NULL) && e != NULL &&
	    c->m.kind == PKT_L4 && snap_reset_down(s, e->backend_sid) &&
	    (c->svc == NULL) == !!(e->flags & CT_F_REPLY)) {
		if (reset_down_flow(w, mb, &c->m, e, pos))
			return;
		e = NULL; /* forgotten: a new flow */
		pos = -ENOENT;
		/* police_flow() used the forgotten entry's words: the new
		 * one starts empty. */
		memset(c->pol_learnt, 0, sizeof(c->pol_learnt));
	}
	if (c->svc == NULL) {
		/* Not a VIP: a NAT backend's reply, or not ours to handle. */
		if (e && (e->flags & CT_F_REPLY))
			nat_reply_forward(w, mb, &c->m, e, now);
		else
			punt(w, mb, &c->m);
		return;
	}
	count_service(w, c->svc, mb);
	if (unlikely(c->svc->flags & EP_SVC_F_SYN_PROXY) &&
	    c->m.kind == PKT_L4) {
		sp = synproxy_client(w, s, c->svc->stats_id, mb, &c->m, c->hash,
				     &pos, now);
		if (sp == SP_DONE)
			return;
		e = ct_entry_at(w->ct, pos);
	}
	if (!e || (e->flags & CT_F_REPLY)) {
		enum new_flow_result nf;

		if (c->m.kind == PKT_ICMP_ERR) {
			w->acc.misses++;
			punt(w, mb,
			     &c->m); /* an error about a flow we do not know */
			return;
		}
		/* (A NAT reply's tuple sent to a VIP: new_flow's insert
		 * finds the key and the pick is stateless, as before.) */
		nf = new_flow(w, s, mb, c, now, &pos);
		if (unlikely(sp == SP_OPEN) && nf == NF_FORWARDED)
			synproxy_opened(w, &c->m, c->hash);
		else if (unlikely(sp == SP_OPEN) && nf == NF_DROPPED)
			synproxy_refused(w, &c->m);
		if (nf != NF_EXISTING)
			return;
		e = ct_entry_at(w->ct, pos);
	}
	if (unlikely(is_port_reuse(e, &c->m))) {
		/* The old connection's entry goes: the new one is picked as
		 * any new flow is, so it never inherits a backend that has
		 * left the pickable set since (IPVS's conn_reuse_mode). */
		w->st->cnt[EP_CNT_CT_REUSED]++;
		worker_ct_removed(e, w);
		ct_remove(w->ct, pos);
		if (new_flow(w, s, mb, c, now, &pos) != NF_EXISTING)
			return;
		e = ct_entry_at(w->ct, pos);
	}
	w->acc.hits++;
	if (unlikely(c->m.kind == PKT_ICMP_ERR)) {
		/* An error says nothing about the flow being alive: no touch.
		 * NAT translates its quote too (rewrite_l3). */
		if (e->action == FP_ACT_NAT)
			w->st->cnt[EP_CNT_NAT_ICMP]++;
		forward(w, s, mb, &c->m, e, c->hash);
		return;
	}
	outlier_client(w, e, c->m.key.proto, c->m.tcp_flags, now);
	ct_touch(e, c->m.key.proto, c->m.tcp_flags, now);
	if (e->peer_pos != CT_NO_PEER)
		ct_touch(ct_entry_at(w->ct, e->peer_pos), c->m.key.proto,
			 c->m.tcp_flags, now);
	forward(w, s, mb, &c->m, e, c->hash);
}

static void reset_cursors(struct fp_worker *w, const struct fp_snapshot *s)
{
	memset(w->wrr_cursor, 0, EP_MAX_SERVICES * sizeof(uint32_t));
	w->seen_generation = s->generation;
	w->st->cnt[EP_CNT_SNAPSHOT_SWITCHES]++;
}

static uint16_t parse_burst(struct fp_worker *w, struct rte_mbuf **pkts,
			    uint16_t n, struct pkt_ctx *ctx,
			    struct rte_mbuf **ok)
{
	uint16_t n_ok = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *mb = pkts[i];
		int rc;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		rc = parse_frame(rte_pktmbuf_mtod(mb, const uint8_t *),
				 rte_pktmbuf_data_len(mb), &ctx[n_ok].m);
		if (rc < 0) {
			count_drop(w, mb, parse_drop_reason(rc));
			continue;
		}
		ok[n_ok++] = mb;
	}
	return n_ok;
}

void worker_process(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n,
		    int from_handoff)
{
	struct fp_snapshot *s = __atomic_load_n(&fp.snap, __ATOMIC_ACQUIRE);
	struct pkt_ctx ctx[FP_BURST];
	struct rte_mbuf *ok[FP_BURST], *look_mb[FP_BURST];
	const struct flow_key *keys[FP_BURST];
	uint32_t hashes[FP_BURST];
	uint16_t idx[FP_BURST], n_ok, n_look = 0;
	int32_t pos[FP_BURST];
	uint64_t t0 = rte_rdtsc(), t1, t2, t3;
	struct svc_cache sc = { .valid = 0 };

	if (unlikely(s == NULL)) {
		for (uint16_t i = 0; i < n; i++)
			punt(w, pkts[i], NULL);
		return;
	}
	if (unlikely(s->generation != w->seen_generation))
		reset_cursors(w, s);
	n_ok = parse_burst(w, pkts, n, ctx, ok);
	t1 = rte_rdtsc();
	for (uint16_t i = 0; i < n_ok; i++) {
		classify(w, s, ok[i], &ctx[i], from_handoff, t1, &sc);
		if (ctx[i].verdict != V_LOOKUP)
			continue;
		keys[n_look] = &ctx[i].m.key;
		hashes[n_look] = ctx[i].hash;
		look_mb[n_look] = ok[i];
		idx[n_look++] = i;
	}
	w->burst_inserts = 0;
	if (n_look)
		ct_lookup_bulk(w->ct, keys, hashes, n_look, pos);
	/* A miss to a Maglev service will read a random slot of a large
	 * table: start fetching it before the first decision. */
	for (uint16_t i = 0; i < n_look; i++) {
		const struct snap_service *svc = ctx[idx[i]].svc;

		if (pos[i] < 0 && svc && svc->maglev_ref &&
		    svc->sched == EP_SCHED_MAGLEV &&
		    !(svc->flags & EP_SVC_F_AFFINITY))
			rte_prefetch0(snap_maglev_slot(svc, hashes[i]));
	}
	t2 = rte_rdtsc();
	for (uint16_t i = 0; i < n_look; i++)
		decide(w, s, look_mb[i], &ctx[idx[i]], pos[i], t2);
	t3 = rte_rdtsc();
	flush_acc(w);
	if (w->burst_inserts) {
		uint64_t ev = ct_evictions(w->ct);

		w->st->cnt[EP_CNT_CT_EVICTIONS] += ev - w->evictions_seen;
		w->evictions_seen = ev;
	}
	/* The picks happen inside the decisions: the rest is rewrite. */
	w->st->cnt[EP_CNT_CYC_PARSE] += t1 - t0;
	w->st->cnt[EP_CNT_CYC_LOOKUP] += t2 - t1;
	w->st->cnt[EP_CNT_CYC_PICK] += w->acc.cyc_pick;
	w->st->cnt[EP_CNT_CYC_REWRITE] += t3 - t2 - w->acc.cyc_pick;
	w->acc.cyc_pick = 0;
}
