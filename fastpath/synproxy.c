/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SYN proxy's per-packet work (synproxy.h has the steps). A proxied
 * flow's state: both entries carry CT_F_SYNPROXY (and CT_F_SP_WAIT until
 * the backend's SYN-ACK) and seq_delta; the forward record's aux words
 * hold the cookie, the client's ISN and its window and MSS, which the
 * SYN to the backend (and its retries) and the final ACK are made from.
 */
#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "conntrack.h"
#include "rewrite.h"
#include "syncookie.h"
#include "synproxy.h"
#include "worker_int.h"

enum { AUX_COOKIE = 0, AUX_ISN = 1, AUX_WIN_MSS = 2 };

/* What an SP_OPEN found, for synproxy_opened() (same worker, same
 * packet, no other packet in between). */
struct sp_open {
	uint32_t cookie;
	uint32_t isn;
	uint16_t window;
	uint16_t mss;
	uint16_t in_port;
	uint16_t l3_off;
	uint8_t l2[32]; /* the client frame's link-layer header (l3_off) */
};

/* The cookie time slot, recomputed at most once a second. */
struct sp_clock {
	uint64_t until_tsc;
	uint64_t generation;
	uint32_t slot;
};

static struct sp_worker {
	struct sp_open open;
	struct sp_clock clock;
} __attribute__((aligned(64))) sp_workers[EP_MAX_WORKERS];

/* One's complement sum of `n` 32-bit words at `p` (any alignment), as a
 * 64-bit accumulator: fixed sizes here, so no 16-bit loop. */
static inline uint64_t sum32(const uint8_t *p, uint32_t n)
{
	uint64_t s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += csum_load32(p + 4 * i);
	return s;
}

/* Fold a sum32() accumulator to the 16-bit checksum to store. */
static inline uint16_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint16_t)~csum_fold((uint32_t)s);
}

uint32_t sp_write_segment(uint8_t *frame, uint32_t l3_off, uint8_t family,
			  const struct sp_seg *g)
{
	uint8_t *ip = frame + l3_off, *tcp;
	uint32_t tcp_len = g->mss ? 24u : 20u, ip_len, len;
	uint16_t c;

	if (family == EP_AF_INET) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		ip_len = 20;
		memset(h, 0, sizeof(*h));
		h->version_ihl = 0x45;
		h->total_length = rte_cpu_to_be_16((uint16_t)(20 + tcp_len));
		h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		h->time_to_live = 64;
		h->next_proto_id = IPPROTO_TCP;
		memcpy(&h->src_addr, g->src, 4);
		memcpy(&h->dst_addr, g->dst, 4);
		h->hdr_checksum = fold64(sum32(ip, 5));
	} else {
		ip_len = RW_IP6_HDR_LEN;
		rw_ip6_hdr(ip, g->src, g->dst, (uint16_t)tcp_len, IPPROTO_TCP,
			   64);
	}
	tcp = ip + ip_len;
	memset(tcp, 0, tcp_len);
	memcpy(tcp, &g->sport, 2);
	memcpy(tcp + 2, &g->dport, 2);
	{
		uint32_t seq = rte_cpu_to_be_32(g->seq);
		uint32_t ack = rte_cpu_to_be_32(g->ack);
		uint16_t win = rte_cpu_to_be_16(g->window);

		memcpy(tcp + SP_TCP_SEQ_OFF, &seq, 4);
		memcpy(tcp + SP_TCP_ACK_OFF, &ack, 4);
		memcpy(tcp + SP_TCP_WIN_OFF, &win, 2);
	}
	tcp[12] = (uint8_t)((tcp_len / 4) << 4);
	tcp[SP_TCP_FLAGS_OFF] = g->flags;
	if (g->mss) {
		tcp[20] = 2; /* MSS */
		tcp[21] = 4;
		tcp[22] = (uint8_t)(g->mss >> 8);
		tcp[23] = (uint8_t)g->mss;
	}
	{
		/* Pseudo-header: the addresses, then zero, protocol and the
		 * TCP length as one network-order word (RFC 9293 3.1). */
		uint8_t tail[4] = { 0, IPPROTO_TCP, 0, (uint8_t)tcp_len };

		c = fold64(sum32(ip + (family == EP_AF_INET ? 12 : 8),
				 family == EP_AF_INET ? 2 : 8) +
			   csum_load32(tail) + sum32(tcp, tcp_len / 4));
	}
	memcpy(tcp + SP_TCP_CSUM_OFF, &c, 2);
	len = l3_off + ip_len + tcp_len;
	if (len < RW_MIN_FRAME) {
		memset(frame + len, 0, RW_MIN_FRAME - len);
		len = RW_MIN_FRAME;
	}
	return len;
}

/* The wall-clock cookie slot at TSC `now`. */
static uint32_t now_slot(struct sp_worker *sw, const struct fp_snapshot *s,
			 uint64_t now)
{
	const struct pol_snapshot *p = &s->pol;
	uint64_t el, ns;

	if (likely(now < sw->clock.until_tsc &&
		   sw->clock.generation == s->generation))
		return sw->clock.slot;
	el = now - p->clock_tsc;
	ns = p->clock_unix_ns + el / fp.tsc_hz * 1000000000ull +
	     el % fp.tsc_hz * 1000000000ull / fp.tsc_hz;
	sw->clock.slot = syncookie_slot(ns / 1000000000ull);
	sw->clock.until_tsc = now + fp.tsc_hz;
	sw->clock.generation = s->generation;
	return sw->clock.slot;
}

/* Rewrite the client's packet in `mb` into a segment from it, in place. */
static int rewrite_client(struct rte_mbuf *mb, struct pkt_meta *m,
			  const struct sp_seg *g)
{
	uint8_t *frame = rte_pktmbuf_mtod(mb, uint8_t *);
	uint32_t len;

	if (rte_pktmbuf_data_len(mb) < m->l3_off + 64u &&
	    rw_set_len(mb, m->l3_off + 64u) != 0)
		return -1;
	frame = rte_pktmbuf_mtod(mb, uint8_t *);
	len = sp_write_segment(frame, m->l3_off, m->family, g);
	if (rw_set_len(mb, len) != 0)
		return -1;
	m->l4_off = (uint16_t)(m->l3_off +
			       (m->family == EP_AF_INET ? 20 : RW_IP6_HDR_LEN));
	m->l3_len = (uint16_t)(len - m->l3_off);
	m->frame_len = (uint16_t)len;
	return 0;
}

/* Step 1: the SYN-ACK with the cookie, back out where the SYN came. */
static void answer_syn(struct fp_worker *w, const struct fp_snapshot *s,
		       struct rte_mbuf *mb, struct pkt_meta *m,
		       uint32_t svc_sid, uint64_t now)
{
	uint8_t *frame = rte_pktmbuf_mtod(mb, uint8_t *);
	const uint8_t *tcp = frame + m->l4_off;
	uint32_t isn = sp_get32(tcp + SP_TCP_SEQ_OFF);
	uint16_t mss = sp_syn_mss(tcp, m->frame_len - m->l4_off, m->family);
	uint32_t cookie =
		syncookie_make(&s->pol.cookie, &m->key, isn, mss,
			       now_slot(&sp_workers[w->index], s, now));
	struct sp_seg g = {
		.src = m->key.dst,
		.dst = m->key.src,
		.sport = m->key.dport,
		.dport = m->key.sport,
		.seq = cookie,
		.ack = isn + 1,
		.flags = SP_TH_SYN | SP_TH_ACK,
		.window = 0, /* no data until the backend is there */
		.mss = syncookie_mss_table[(cookie >> 24) & 7u],
	};

	rw_set_macs(frame, frame + 6, fp.ports[mb->port].mac.addr_bytes);
	if (rewrite_client(mb, m, &g) != 0) {
		count_drop(w, mb, EP_DROP_NO_HEADROOM);
		return;
	}
	w->svc[svc_sid].syn_cookie_sent++;
	tx_enqueue(w, mb, mb->port);
}

/* The SYN to the backend, in place of the client's packet (step 2). */
static int make_backend_syn(struct rte_mbuf *mb, struct pkt_meta *m,
			    uint32_t isn, uint16_t window, uint16_t mss)
{
	struct sp_seg g = {
		.src = m->key.src,
		.dst = m->key.dst,
		.sport = m->key.sport,
		.dport = m->key.dport,
		.seq = isn,
		.ack = 0,
		.flags = SP_TH_SYN,
		.window = window,
		.mss = mss,
	};

	return rewrite_client(mb, m, &g);
}

/* Step 2: a packet with no flow must return a valid cookie. */
static int check_ack(struct fp_worker *w, const struct fp_snapshot *s,
		     struct rte_mbuf *mb, struct pkt_meta *m, uint32_t svc_sid,
		     uint64_t now)
{
	const uint8_t *tcp = rte_pktmbuf_mtod(mb, uint8_t *) + m->l4_off;
	uint32_t isn = sp_get32(tcp + SP_TCP_SEQ_OFF) - 1;
	uint32_t cookie = sp_get32(tcp + SP_TCP_ACK_OFF) - 1;
	uint16_t mss, window = (uint16_t)(tcp[SP_TCP_WIN_OFF] << 8 |
					  tcp[SP_TCP_WIN_OFF + 1]);
	struct sp_open *o = &sp_workers[w->index].open;

	if ((m->tcp_flags & (SP_TH_SYN | SP_TH_RST | SP_TH_ACK)) != SP_TH_ACK ||
	    syncookie_check(&s->pol.cookie, &m->key, isn, cookie,
			    now_slot(&sp_workers[w->index], s, now),
			    &mss) != 0) {
		w->svc[svc_sid].syn_cookie_invalid++;
		w->svc[svc_sid].drops++;
		count_drop(w, mb, EP_DROP_SYN_COOKIE_INVALID);
		return SP_DONE;
	}
	if (m->l3_off > sizeof(o->l2) ||
	    make_backend_syn(mb, m, isn, window, mss) != 0) {
		count_drop(w, mb, EP_DROP_NO_HEADROOM);
		return SP_DONE;
	}
	o->cookie = cookie;
	o->isn = isn;
	o->window = window;
	o->mss = mss;
	o->in_port = mb->port;
	o->l3_off = m->l3_off;
	memcpy(o->l2, rte_pktmbuf_mtod(mb, uint8_t *),
	       RTE_MIN((uint32_t)m->l3_off, (uint32_t)sizeof(o->l2)));
	w->svc[svc_sid].syn_cookie_valid++;
	return SP_OPEN;
}

/* A client packet while the backend's SYN-ACK is still to come. */
static int while_waiting(struct fp_worker *w, struct rte_mbuf *mb,
			 struct pkt_meta *m, struct ct_entry *e,
			 const uint32_t *aux, uint64_t now)
{
	struct ep_svc_counters *sc = &w->svc[e->service_sid];

	if (m->tcp_flags & SP_TH_RST)
		return SP_PASS; /* the client gives up: tell the backend */
	if (!(m->tcp_flags & SP_TH_SYN) &&
	    now - e->last_tsc >= fp.tsc_hz / 1000 * SP_SYN_RETRY_MS &&
	    make_backend_syn(mb, m, aux[AUX_ISN], (uint16_t)aux[AUX_WIN_MSS],
			     (uint16_t)(aux[AUX_WIN_MSS] >> 16)) == 0) {
		/* As a SYN: the entry stays CT_SYN (ct_touch). */
		m->tcp_flags = SP_TH_SYN;
		sc->syn_proxy_syn_retries++;
		return SP_PASS;
	}
	sc->drop_syn_proxy_wait++;
	sc->drops++;
	count_drop(w, mb, EP_DROP_SYN_PROXY_WAIT);
	return SP_DONE;
}

int synproxy_client(struct fp_worker *w, const struct fp_snapshot *s,
		    uint32_t svc_sid, struct rte_mbuf *mb, struct pkt_meta *m,
		    uint32_t hash, int32_t *pos, uint64_t now)
{
	struct ct_entry *e;
	uint32_t *aux;
	int bare_syn = (m->tcp_flags & (SP_TH_SYN | SP_TH_ACK)) == SP_TH_SYN;

	if (*pos < 0 && w->burst_inserts)
		*pos = ct_lookup(w->ct, &m->key, hash);
	e = ct_entry_at(w->ct, *pos);
	if (e && (e->flags & CT_F_REPLY)) {
		e = NULL;
		*pos = -ENOENT;
	}
	if (e && bare_syn && e->state == CT_FIN) {
		/* The client reuses its port: the old flow goes. */
		worker_ct_removed(e, w);
		ct_remove(w->ct, *pos);
		*pos = -ENOENT;
		e = NULL;
	}
	if (e == NULL) {
		if (bare_syn) {
			answer_syn(w, s, mb, m, svc_sid, now);
			return SP_DONE;
		}
		return check_ack(w, s, mb, m, svc_sid, now);
	}
	if (!(e->flags & CT_F_SYNPROXY))
		return SP_PASS; /* a flow from before syn_proxy was on */
	aux = ct_aux_at(w->ct, *pos);
	if (unlikely(e->flags & CT_F_SP_WAIT))
		return while_waiting(w, mb, m, e, aux, now);
	sp_to_backend(rte_pktmbuf_mtod(mb, uint8_t *) + m->l4_off,
		      e->seq_delta);
	return SP_PASS;
}

void synproxy_opened(struct fp_worker *w, const struct pkt_meta *m,
		     uint32_t hash)
{
	const struct sp_open *o = &sp_workers[w->index].open;
	int32_t pos = ct_lookup(w->ct, &m->key, hash);
	struct ct_entry *e = ct_entry_at(w->ct, pos), *r;
	uint32_t *aux;

	if (e == NULL || (e->flags & CT_F_REPLY))
		return;
	aux = ct_aux_at(w->ct, pos);
	aux[AUX_COOKIE] = o->cookie;
	aux[AUX_ISN] = o->isn;
	aux[AUX_WIN_MSS] = (uint32_t)o->window | (uint32_t)o->mss << 16;
	e->flags |= CT_F_SYNPROXY | CT_F_SP_WAIT;
	e->state = CT_SYN;
	r = e->peer_pos == CT_NO_PEER
		    ? NULL
		    : ct_entry_at(w->ct, (int32_t)e->peer_pos);
	if (r) {
		r->flags |= CT_F_SYNPROXY | CT_F_SP_WAIT;
		r->state = CT_SYN;
	}
}

void synproxy_refused(struct fp_worker *w, const struct pkt_meta *m)
{
	const struct sp_open *o = &sp_workers[w->index].open;
	struct rte_mbuf *mb = rte_pktmbuf_alloc(fp.pool);
	uint8_t *frame;
	struct sp_seg g = {
		.src = m->key.dst, /* the VIP */
		.dst = m->key.src,
		.sport = m->key.dport,
		.dport = m->key.sport,
		.seq = o->cookie + 1,
		.ack = o->isn + 1,
		.flags = SP_TH_RST | SP_TH_ACK,
		.window = 0,
		.mss = 0,
	};

	if (mb == NULL) {
		w->st->drop[EP_DROP_NO_MBUF]++;
		return;
	}
	frame = (uint8_t *)rte_pktmbuf_append(mb, (uint16_t)(o->l3_off + 64));
	if (frame == NULL) {
		count_drop(w, mb, EP_DROP_NO_HEADROOM);
		return;
	}
	memcpy(frame, o->l2, o->l3_off);
	rw_set_macs(frame, o->l2 + 6, fp.ports[o->in_port].mac.addr_bytes);
	rw_set_len(mb, sp_write_segment(frame, o->l3_off, m->family, &g));
	mb->port = o->in_port;
	tx_enqueue(w, mb, o->in_port);
}

/* Step 3, towards the backend: the ACK of its SYN-ACK, a new frame with
 * the SYN-ACK's link-layer header turned around. */
static void ack_backend(struct fp_worker *w, const struct rte_mbuf *synack,
			const struct pkt_meta *m, const uint32_t *aux,
			uint32_t backend_isn)
{
	struct rte_mbuf *mb = rte_pktmbuf_alloc(fp.pool);
	const uint8_t *in = rte_pktmbuf_mtod(synack, const uint8_t *);
	uint8_t *frame;
	struct sp_seg g = {
		.src = m->key.dst, /* the client */
		.dst = m->key.src, /* the backend */
		.sport = m->key.dport,
		.dport = m->key.sport,
		.seq = aux[AUX_ISN] + 1,
		.ack = backend_isn + 1,
		.flags = SP_TH_ACK,
		.window = (uint16_t)aux[AUX_WIN_MSS],
		.mss = 0,
	};

	if (mb == NULL) {
		/* The backend sends its SYN-ACK again; the client's answer
		 * to it (a duplicate ACK) then acknowledges it. */
		w->st->drop[EP_DROP_NO_MBUF]++;
		return;
	}
	frame = (uint8_t *)rte_pktmbuf_append(mb, (uint16_t)(m->l3_off + 64));
	if (frame == NULL) {
		count_drop(w, mb, EP_DROP_NO_HEADROOM);
		return;
	}
	memcpy(frame, in, m->l3_off);
	rw_set_macs(frame, in + 6, fp.ports[synack->port].mac.addr_bytes);
	rw_set_len(mb, sp_write_segment(frame, m->l3_off, m->family, &g));
	mb->port = synack->port;
	tx_enqueue(w, mb, synack->port);
}

/* Step 3, towards the client: the SYN-ACK becomes the window update. */
static void open_client(struct fp_worker *w, struct rte_mbuf *mb,
			struct pkt_meta *m, const struct ct_entry *reply,
			const uint32_t *aux, uint16_t window)
{
	uint8_t *frame = rte_pktmbuf_mtod(mb, uint8_t *);
	struct sp_seg g = {
		.src = reply->addr, /* the VIP */
		.dst = m->key.dst, /* the client */
		.sport = reply->port,
		.dport = m->key.dport,
		.seq = aux[AUX_COOKIE] + 1,
		.ack = aux[AUX_ISN] + 1,
		.flags = SP_TH_ACK,
		.window = window,
		.mss = 0,
	};

	rw_set_macs(frame, reply->client_mac,
		    fp.ports[reply->in_port].mac.addr_bytes);
	if (rewrite_client(mb, m, &g) != 0) {
		count_drop(w, mb, EP_DROP_NO_HEADROOM);
		return;
	}
	w->acc.fwd++;
	tx_enqueue(w, mb, reply->in_port);
}

/* The handshake is over: the record's words go back to policing
 * (policing.h, enum pol_aux), with nothing of the handshake in them. */
static void release_aux(uint32_t *aux)
{
	memset(aux, 0, POL_AUX_N * sizeof(*aux));
}

int synproxy_reply(struct fp_worker *w, struct rte_mbuf *mb,
		   const struct pkt_meta *m, struct ct_entry *reply,
		   struct ct_entry *fwd, uint64_t now)
{
	uint8_t *tcp = rte_pktmbuf_mtod(mb, uint8_t *) + m->l4_off;
	struct ep_svc_counters *sc = &w->svc[reply->service_sid];
	uint32_t *aux;
	struct pkt_meta mm;
	uint32_t backend_isn, delta;
	uint16_t window;

	if (likely(!(reply->flags & CT_F_SP_WAIT))) {
		sp_to_client(tcp, reply->seq_delta);
		return 0;
	}
	if (fwd == NULL) {
		count_drop(w, mb, EP_DROP_SYN_PROXY_WAIT);
		return 1;
	}
	aux = ct_aux_at(w->ct, (int32_t)reply->peer_pos);
	backend_isn = sp_get32(tcp + SP_TCP_SEQ_OFF);
	delta = backend_isn - aux[AUX_COOKIE];
	if ((m->tcp_flags & (SP_TH_RST | SP_TH_ACK)) ==
		    (SP_TH_RST | SP_TH_ACK) &&
	    sp_get32(tcp + SP_TCP_ACK_OFF) == aux[AUX_ISN] + 1) {
		/* Refused: the client gets the RST in its own numbers. */
		fwd->flags &= (uint8_t)~CT_F_SP_WAIT;
		reply->flags &= (uint8_t)~CT_F_SP_WAIT;
		fwd->seq_delta = reply->seq_delta = 0;
		sp_shift32(tcp, SP_TCP_SEQ_OFF,
			   aux[AUX_COOKIE] + 1 - backend_isn);
		release_aux(aux);
		sc->syn_proxy_backend_reset++;
		return 0;
	}
	if ((m->tcp_flags & (SP_TH_SYN | SP_TH_ACK | SP_TH_RST)) !=
		    (SP_TH_SYN | SP_TH_ACK) ||
	    sp_get32(tcp + SP_TCP_ACK_OFF) != aux[AUX_ISN] + 1) {
		sc->drop_syn_proxy_wait++;
		sc->drops++;
		count_drop(w, mb, EP_DROP_SYN_PROXY_WAIT);
		return 1;
	}
	fwd->seq_delta = reply->seq_delta = delta;
	fwd->flags &= (uint8_t)~CT_F_SP_WAIT;
	reply->flags &= (uint8_t)~CT_F_SP_WAIT;
	fwd->state = reply->state = CT_EST;
	fwd->last_tsc = reply->last_tsc = now;
	ack_backend(w, mb, m, aux, backend_isn);
	window = (uint16_t)(tcp[SP_TCP_WIN_OFF] << 8 | tcp[SP_TCP_WIN_OFF + 1]);
	mm = *m;
	open_client(w, mb, &mm, reply, aux, window);
	release_aux(aux);
	sc->syn_proxy_established++;
	return 1;
}
