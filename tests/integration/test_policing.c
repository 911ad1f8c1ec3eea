/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration test of policing in the real fast path (fp_setup, workers,
 * ctrl_apply) on a net_ring port, with one worker or (TEST_WORKERS=2) two
 * workers sharing the port's single RX queue, so that a service's traffic
 * is spread over both or, for a single flow, lands on one:
 * - access lists: denied prefixes (global and per service, IPv4 and
 *   IPv6) never reach a backend, allow lists admit only their prefixes,
 *   every denied packet is counted by reason and service;
 * - service rate limits (packets/s, bytes/s, connections/s) hold within
 *   2% of the configured rate over the run, spread or on one worker,
 *   while a light service next to them loses nothing;
 * - limits changed and a 100,000-prefix access list swapped in while
 *   traffic flows: no packet is lost.
 * A sender thread streams frames at a set rate and drains the TX rings
 * while the test thread plays the main lcore (configuration changes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "check.h"
#include "ctrl.h"
#include "ep_abi.h"
#include "flowhash.h"
#include "fp.h"
#include "fp_harness.h"
#include "stats.h"
#include "test_eal.h"

#define TEST_MBUFS 65535u
#define CHUNK 32u

/* Services (stats ids) and their single backend (stats id + 10). */
enum {
	SVC_WEB = 1, /* global deny lists, its own deny list */
	SVC_PRIV = 2, /* allow list 10.20.0.0/16 */
	SVC_WEB6 = 3, /* IPv6, global deny 2001:db8:bad::/48 */
	SVC_PPS = 4,
	SVC_BPS = 5,
	SVC_LIGHT = 6, /* no limit: must lose nothing */
	SVC_CPS = 7,
	SVC_CHANGE = 8,
	SVC_CLIENT = 9, /* per-client limits */
	N_SVC = 10
};

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t hz;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static struct ep_ip ip4(uint32_t a)
{
	struct ep_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = EP_AF_INET;
	put32(ip.bytes, a);
	return ip;
}

static struct ep_ip ip6(const char *s)
{
	struct ep_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = EP_AF_INET6;
	if (inet_pton(AF_INET6, s, ip.bytes) != 1)
		abort();
	return ip;
}

/* ------------------------------------------------------------------ */
/* Flat configuration.                                                  */

#define MAX_RULES 100010u

struct cfg {
	struct ep_cfg_node node;
	struct ep_cfg_node_addr addrs[2];
	uint32_t n_addrs;
	struct ep_cfg_service svcs[N_SVC];
	uint32_t n_svcs;
	struct ep_cfg_backend bes[N_SVC];
	uint32_t n_bes;
	struct ep_cfg_acl_rule *rules;
	uint32_t n_rules;
};

static uint32_t align8(uint32_t v)
{
	return (v + 7u) & ~7u;
}

static void cfg_svc(struct cfg *c, struct ep_ip vip, uint32_t sid)
{
	struct ep_cfg_service *s = &c->svcs[c->n_svcs++];
	struct ep_cfg_backend *b = &c->bes[c->n_bes];
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0xbe, (uint8_t)(sid + 10) };

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "svc%u", sid);
	s->vip = vip;
	s->port = 80;
	s->proto = IPPROTO_TCP;
	s->fwd_mode = EP_FWD_DSR;
	s->sched = EP_SCHED_MAGLEV;
	s->stats_id = sid;
	s->maglev_size = 1009;
	s->first_backend = c->n_bes++;
	s->n_backends = 1;
	memset(b, 0, sizeof(*b));
	b->addr = vip.family == EP_AF_INET ? ip4(IP4(10, 0, 0, 10 + sid))
					   : ip6("fd00::10");
	b->weight = 1;
	b->state = EP_BE_UP;
	b->has_mac = 1;
	memcpy(b->mac, mac, 6);
	b->stats_id = sid + 10;
}

static void cfg_limit(struct cfg *c, uint32_t sid, enum ep_limit_kind k,
		      uint8_t mode, uint64_t rate, uint64_t burst)
{
	for (uint32_t i = 0; i < c->n_svcs; i++)
		if (c->svcs[i].stats_id == sid) {
			c->svcs[i].limits[k].mode = mode;
			c->svcs[i].limits[k].rate = rate;
			c->svcs[i].limits[k].burst = burst;
		}
}

/* A rule for service `sid` (0: the global list). */
static void cfg_rule(struct cfg *c, struct ep_ip pfx, uint8_t depth,
		     uint8_t kind, uint32_t sid)
{
	struct ep_cfg_acl_rule *r = &c->rules[c->n_rules++];

	memset(r, 0, sizeof(*r));
	r->prefix = pfx;
	r->depth = depth;
	r->kind = kind;
	r->scope = EP_ACL_SCOPE_GLOBAL;
	for (uint32_t i = 0; sid && i < c->n_svcs; i++)
		if (c->svcs[i].stats_id == sid)
			r->scope = i;
}

static void base_cfg(struct cfg *c)
{
	struct ep_cfg_acl_rule *rules = c->rules;

	memset(c, 0, sizeof(*c));
	c->rules = rules;
	c->node.gue_port = 6080;
	c->addrs[0].addr = ip4(IP4(10, 0, 0, 1));
	c->addrs[1].addr = ip6("fd00::1");
	c->n_addrs = 2;
	cfg_svc(c, ip4(IP4(10, 1, 0, 1)), SVC_WEB);
	cfg_svc(c, ip4(IP4(10, 1, 0, 2)), SVC_PRIV);
	cfg_svc(c, ip6("fd00:1::1"), SVC_WEB6);
	for (uint32_t sid = SVC_PPS; sid < N_SVC; sid++)
		cfg_svc(c, ip4(IP4(10, 1, 0, sid)), sid);
}

static int apply(struct cfg *c, uint64_t version)
{
	struct ep_cfg_hdr h;
	struct ep_event_msg ev;
	uint32_t off = align8(sizeof(h));
	uint8_t *buf;
	int rc;

	memset(&h, 0, sizeof(h));
	h.magic = EP_CFG_MAGIC;
	h.abi_version = EP_ABI_VERSION;
	h.version = version;
	h.n_services = c->n_svcs;
	h.n_backends = c->n_bes;
	h.n_node_addrs = c->n_addrs;
	h.n_acl_rules = c->n_rules;
	h.node = c->node;
	h.off_node_addrs = off;
	off = align8(off + c->n_addrs * sizeof(c->addrs[0]));
	h.off_services = off;
	off = align8(off + c->n_svcs * sizeof(c->svcs[0]));
	h.off_backends = off;
	off = align8(off + c->n_bes * sizeof(c->bes[0]));
	h.off_acl_rules = off;
	off += c->n_rules * sizeof(c->rules[0]);
	h.total_len = off;
	buf = calloc(1, off);
	if (buf == NULL)
		abort();
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + h.off_node_addrs, c->addrs,
	       c->n_addrs * sizeof(c->addrs[0]));
	memcpy(buf + h.off_services, c->svcs, c->n_svcs * sizeof(c->svcs[0]));
	memcpy(buf + h.off_backends, c->bes, c->n_bes * sizeof(c->bes[0]));
	memcpy(buf + h.off_acl_rules, c->rules,
	       c->n_rules * sizeof(c->rules[0]));
	memset(&ev, 0, sizeof(ev));
	rc = ctrl_apply(buf, off, &ev);
	CHECK_MSG(rc == 0 && ev.status == 0, "apply v%" PRIu64 ": %d %s",
		  version, rc, ev.error);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Frames.                                                              */

static uint32_t frame_tcp4(uint8_t *f, uint32_t sip, uint32_t dip,
			   uint16_t sport, uint8_t flags)
{
	uint8_t *ip = f + 14, *t = ip + 20;
	struct rte_ipv4_hdr *h = (void *)ip;
	uint16_t c;

	memset(f, 0, 60);
	memcpy(f, port_mac, 6);
	memcpy(f + 6, client_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, 40);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	put32(ip + 12, sip);
	put32(ip + 16, dip);
	put16(t, sport);
	put16(t + 2, 80);
	put32(t + 4, 1);
	t[12] = 0x50;
	t[13] = flags;
	put16(t + 14, 65535);
	c = rte_ipv4_udptcp_cksum(h, t);
	memcpy(t + 16, &c, 2);
	h->hdr_checksum = rte_ipv4_cksum(h);
	return 60;
}

static uint32_t frame_tcp6(uint8_t *f, const uint8_t sip[16],
			   const uint8_t dip[16], uint16_t sport)
{
	uint8_t *ip = f + 14, *t = ip + 40;
	uint16_t c;

	memset(f, 0, 74);
	memcpy(f, port_mac, 6);
	memcpy(f + 6, client_mac, 6);
	put16(f + 12, 0x86dd);
	ip[0] = 0x60;
	put16(ip + 4, 20);
	ip[6] = IPPROTO_TCP;
	ip[7] = 64;
	memcpy(ip + 8, sip, 16);
	memcpy(ip + 24, dip, 16);
	put16(t, sport);
	put16(t + 2, 80);
	t[12] = 0x50;
	t[13] = TH_SYN;
	c = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, t);
	memcpy(t + 16, &c, 2);
	return 74;
}

static struct rte_mbuf *mk(const uint8_t *f, uint32_t len)
{
	struct rte_mbuf *mb = rte_pktmbuf_alloc(test_pool);

	if (mb == NULL)
		return NULL;
	memcpy(rte_pktmbuf_append(mb, (uint16_t)len), f, len);
	return mb;
}

static struct rte_mbuf *mk_barrier(void)
{
	uint8_t f[60];

	return mk(f, fph_barrier_frame(f));
}

/* ------------------------------------------------------------------ */
/* Output accounting.                                                   */

#define HEAVY_IP IP4(10, 9, 9, 9)

struct tally {
	uint64_t sent[N_SVC]; /* frames enqueued, per service */
	uint64_t sent_ok[N_SVC]; /* of which the generator said pass */
	uint64_t out[N_SVC]; /* frames out to the service's backend */
	uint64_t other; /* anything else out */
	uint64_t heavy_sent; /* per-client test: the heavy client's frames */
	uint64_t heavy_out;
	uint64_t est_out; /* SYN-flood test: frames of established flows */
	uint64_t denied_out; /* out, from a source that must be denied */
};

/* Sources the ACL test must never see at a backend. */
static int must_be_denied(const uint8_t *f)
{
	if (get16(f + 12) == 0x0800) {
		uint32_t src = get32(f + 26);

		return (src >> 16) == 0x0a42 /* 10.66/16, global */ ||
		       ((src >> 8) == 0x0a0505 &&
			get32(f + 30) == IP4(10, 1, 0, 1)) /* web's */
		       || ((src >> 16) != 0x0a14 &&
			   get32(f + 30) == IP4(10, 1, 0, 2)); /* priv allow */
	}
	/* 2001:db8:bad::/48, global */
	return get16(f + 22) == 0x2001 && get16(f + 24) == 0x0db8 &&
	       get16(f + 26) == 0x0bad;
}

static void count_out(struct tally *t, struct rte_mbuf *mb, int *barrier)
{
	const uint8_t *f = rte_pktmbuf_mtod(mb, const uint8_t *);
	static const uint8_t pfx[5] = { 0x02, 0, 0, 0, 0xbe };
	uint32_t len = rte_pktmbuf_data_len(mb);

	if (fph_is_barrier_reply(f, len)) {
		*barrier = 1;
	} else if (memcmp(f, pfx, 5) == 0 && f[5] > 10 && f[5] < 10 + N_SVC) {
		t->out[f[5] - 10]++;
		t->denied_out += (uint64_t)must_be_denied(f);
		t->heavy_out +=
			f[5] - 10 == SVC_CLIENT && get32(f + 26) == HEAVY_IP;
		t->est_out += get16(f + 12) == 0x0800 &&
			      get32(f + 26) >> 16 == 0x0a1e; /* 10.30/16 */
	} else {
		t->other++;
	}
	rte_pktmbuf_free(mb);
}

static void drain(struct tally *t, int *barrier)
{
	struct rte_mbuf *tmp[64];

	for (unsigned int q = 0; q < TEST_WORKERS; q++) {
		unsigned int k = rte_ring_sc_dequeue_burst(
			tx_rings[q], (void **)tmp, 64, NULL);

		for (unsigned int i = 0; i < k; i++)
			count_out(t, tmp[i], barrier);
	}
}

static void enqueue(struct rte_mbuf **m, unsigned int n)
{
	unsigned int sent = 0;
	uint64_t deadline = rte_rdtsc() + WAIT_S * hz;

	while (sent < n && rte_rdtsc() < deadline)
		sent += rte_ring_sp_enqueue_burst(rx_ring, (void **)m + sent,
						  n - sent, NULL);
	CHECK_MSG(sent == n, "only %u of %u frames enqueued", sent, n);
	for (; sent < n; sent++)
		rte_pktmbuf_free(m[sent]);
}

static uint64_t total_out(const struct tally *t)
{
	uint64_t n = t->other;

	for (uint32_t i = 0; i < N_SVC; i++)
		n += t->out[i];
	return n;
}

/* A barrier, then drain until it came back and the workers settled. */
static void finish(struct tally *t)
{
	struct rte_mbuf *b = mk_barrier();
	uint64_t deadline = rte_rdtsc() + WAIT_S * hz;
	int done = 0, calm = 0;

	enqueue(&b, 1);
	while (rte_rdtsc() < deadline && !(done && calm)) {
		drain(t, &done);
		if (done && !calm)
			calm = fph_workers_settled();
		if (!(done && calm))
			sched_yield();
	}
	/* Then until nothing came out for 200 ms (at most WAIT_S more): a
	 * worker that lost its CPU may still hold a burst it took. */
	deadline = rte_rdtsc() + WAIT_S * hz;
	for (uint64_t quiet = rte_rdtsc() + hz / 5;
	     rte_rdtsc() < quiet && rte_rdtsc() < deadline;) {
		uint64_t before = total_out(t);

		drain(t, &done);
		if (total_out(t) != before || rte_ring_count(rx_ring) != 0)
			quiet = rte_rdtsc() + hz / 5;
		else
			sched_yield();
	}
	CHECK_MSG(done && calm, "barrier: done %d, settled %d", done, calm);
}

/* ------------------------------------------------------------------ */
/* A stream: a sender thread makes frames at a rate and drains.         */

/* Frame i into f (its length); *sid its service; *ok 0 when the
 * configuration must refuse it (access lists), 2 for the per-client
 * test's heavy client, else left at 1. */
typedef uint32_t (*gen_fn)(uint64_t i, uint8_t *f, uint32_t *sid, int *ok);

struct stream {
	gen_fn gen;
	uint64_t pps; /* offered frames per second, all services */
	double secs;
	struct tally t;
	uint64_t t0, t1; /* TSC at the first frame and at the barrier */
	uint64_t t_sent; /* TSC after the last frame was enqueued */
	volatile int running;
};

static void *sender(void *arg)
{
	struct stream *s = arg;
	uint64_t dur = (uint64_t)(s->secs * (double)hz), next, i = 0;
	int barrier = 0;

	s->t0 = rte_rdtsc();
	next = s->t0;
	while (rte_rdtsc() - s->t0 < dur) {
		struct rte_mbuf *m[CHUNK];
		unsigned int n = 0;

		drain(&s->t, &barrier);
		if (rte_rdtsc() < next) {
			rte_pause();
			continue;
		}
		for (; n < CHUNK; n++, i++) {
			uint8_t f[80];
			int ok = 1;
			uint32_t sid, len = s->gen(i, f, &sid, &ok);

			m[n] = mk(f, len);
			if (m[n] == NULL)
				break;
			s->t.sent[sid]++;
			s->t.sent_ok[sid] += (uint64_t)(ok == 1);
			s->t.heavy_sent += (uint64_t)(ok == 2);
		}
		enqueue(m, n);
		next += hz * CHUNK / s->pps;
	}
	s->t_sent = rte_rdtsc();
	finish(&s->t);
	s->t1 = rte_rdtsc();
	s->running = 0;
	return NULL;
}

static void stream_start(struct stream *s, pthread_t *th)
{
	s->running = 1;
	if (pthread_create(th, NULL, sender, s) != 0)
		abort();
}

/* ------------------------------------------------------------------ */
/* Access lists.                                                        */

static uint64_t svc_counter(uint32_t sid, size_t off)
{
	struct ep_svc_counters c;
	uint64_t v;

	stats_sum_svc(fp.stats, sid, &c);
	memcpy(&v, (const uint8_t *)&c + off, sizeof(v));
	return v;
}

#define SVC_DROPS(sid, field)                                                  \
	svc_counter(sid, offsetof(struct ep_svc_counters, field))

static uint32_t gen_acl(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	uint16_t sport = (uint16_t)(1024 + i % 50000);
	uint32_t r = rnd();

	*ok = i % 8 == 0 || i % 8 == 3 || i % 8 == 7;
	switch (i % 8) {
	case 0: /* allowed anywhere */
		*sid = SVC_WEB;
		return frame_tcp4(f, IP4(10, 5, 128, 0) | (r & 0x7fff),
				  IP4(10, 1, 0, 1), sport, TH_SYN);
	case 1: /* global deny */
		*sid = SVC_WEB;
		return frame_tcp4(f, IP4(10, 66, 0, 0) | (r & 0xffff),
				  IP4(10, 1, 0, 1), sport, TH_SYN);
	case 2: /* web's own deny list (10.5.5.0/24) */
		*sid = SVC_WEB;
		return frame_tcp4(f, IP4(10, 5, 5, 0) | (r & 0xff),
				  IP4(10, 1, 0, 1), sport, TH_SYN);
	case 3: /* priv: in its allow list */
		*sid = SVC_PRIV;
		return frame_tcp4(f, IP4(10, 20, 0, 0) | (r & 0xffff),
				  IP4(10, 1, 0, 2), sport, TH_SYN);
	case 4: /* priv: outside its allow list */
		*sid = SVC_PRIV;
		return frame_tcp4(f, IP4(10, 21, 0, 0) | (r & 0xffff),
				  IP4(10, 1, 0, 2), sport, TH_SYN);
	case 5: /* priv: global deny wins over nothing */
		*sid = SVC_PRIV;
		return frame_tcp4(f, IP4(10, 66, 1, 1), IP4(10, 1, 0, 2), sport,
				  TH_SYN);
	default: {
		struct ep_ip src = ip6(i % 8 == 6 ? "2001:db8:bad::5"
						  : "2001:db8:600d::5");
		struct ep_ip dst = ip6("fd00:1::1");

		put32(src.bytes + 12, r);
		*sid = SVC_WEB6;
		return frame_tcp6(f, src.bytes, dst.bytes, sport);
	}
	}
}

static void test_acl(struct cfg *c)
{
	struct stream s = { .gen = gen_acl, .pps = 40000, .secs = 1.0 };
	uint64_t drop0 = stats_sum_drop(fp.stats, EP_DROP_ACL), per_web,
		 per_priv, per_web6, sent, want_ok;
	pthread_t th;

	base_cfg(c);
	cfg_rule(c, ip4(IP4(10, 66, 0, 0)), 16, EP_ACL_DENY, 0);
	cfg_rule(c, ip6("2001:db8:bad::"), 48, EP_ACL_DENY, 0);
	cfg_rule(c, ip4(IP4(10, 5, 5, 0)), 24, EP_ACL_DENY, SVC_WEB);
	cfg_rule(c, ip4(IP4(192, 0, 2, 1)), 32, EP_ACL_DENY, SVC_WEB);
	cfg_rule(c, ip4(IP4(10, 20, 0, 0)), 16, EP_ACL_ALLOW, SVC_PRIV);
	per_web = SVC_DROPS(SVC_WEB, drop_acl);
	per_priv = SVC_DROPS(SVC_PRIV, drop_acl);
	per_web6 = SVC_DROPS(SVC_WEB6, drop_acl);
	if (apply(c, 10) != 0)
		return;
	stream_start(&s, &th);
	pthread_join(th, NULL);
	sent = s.t.sent[SVC_WEB] + s.t.sent[SVC_PRIV] + s.t.sent[SVC_WEB6];
	/* Cases 0, 3 and 7 of every 8 pass. */
	want_ok = s.t.out[SVC_WEB] + s.t.out[SVC_PRIV] + s.t.out[SVC_WEB6];
	CHECK_MSG(s.t.denied_out == 0,
		  "%" PRIu64 " denied frames reached a "
		  "backend",
		  s.t.denied_out);
	CHECK_MSG(s.t.other == 0, "%" PRIu64 " unexpected frames out",
		  s.t.other);
	CHECK_MSG(s.t.out[SVC_WEB] == s.t.sent_ok[SVC_WEB] &&
			  s.t.out[SVC_PRIV] == s.t.sent_ok[SVC_PRIV] &&
			  s.t.out[SVC_WEB6] == s.t.sent_ok[SVC_WEB6],
		  "out %" PRIu64 "/%" PRIu64 " %" PRIu64 "/%" PRIu64 " %" PRIu64
		  "/%" PRIu64,
		  s.t.out[SVC_WEB], s.t.sent[SVC_WEB], s.t.out[SVC_PRIV],
		  s.t.sent[SVC_PRIV], s.t.out[SVC_WEB6], s.t.sent[SVC_WEB6]);
	CHECK_MSG(
		stats_sum_drop(fp.stats, EP_DROP_ACL) - drop0 == sent - want_ok,
		"acl drops %" PRIu64 ", expected %" PRIu64,
		stats_sum_drop(fp.stats, EP_DROP_ACL) - drop0, sent - want_ok);
	CHECK(SVC_DROPS(SVC_WEB, drop_acl) - per_web ==
	      s.t.sent[SVC_WEB] - s.t.out[SVC_WEB]);
	CHECK(SVC_DROPS(SVC_PRIV, drop_acl) - per_priv ==
	      s.t.sent[SVC_PRIV] - s.t.out[SVC_PRIV]);
	CHECK(SVC_DROPS(SVC_WEB6, drop_acl) - per_web6 ==
	      s.t.sent[SVC_WEB6] - s.t.out[SVC_WEB6]);
	printf("acl: %" PRIu64 " frames, %" PRIu64 " passed, none denied out\n",
	       sent, want_ok);
}

/* ------------------------------------------------------------------ */
/* Rate limits.                                                         */

#define PPS_LIMIT 10000u
#define PPS_BURST 2000u /* 200 ms: a worker losing its CPU a while */
#define BPS_LIMIT 600000u /* 10,000 60-byte frames per second */
#define BPS_BURST 120000u
#define CPS_LIMIT 2000u
#define CPS_BURST 400u
#define LIGHT_PPS 1000u

static int one_flow; /* the limited services' traffic in one flow */

/* 5x the pps limit, 5x the bps limit, a light service: 101 frames of
 * 101 are 50 pps, 50 bps, 1 light. */
static uint32_t gen_rates(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	uint64_t k = i % 101;

	(void)ok;
	uint16_t sport = one_flow ? 4000 : (uint16_t)(1024 + i % 1000);
	uint32_t src = one_flow ? IP4(10, 9, 0, 1)
				: IP4(10, 9, 0, 0) | (uint32_t)(i % 997);

	if (k == 100) {
		*sid = SVC_LIGHT;
		return frame_tcp4(f, IP4(10, 8, 0, 0) | (uint32_t)(i % 5000),
				  IP4(10, 1, 0, SVC_LIGHT),
				  (uint16_t)(2000 + i % 7), TH_ACK);
	}
	*sid = k < 50 ? SVC_PPS : SVC_BPS;
	return frame_tcp4(f, src, IP4(10, 1, 0, *sid), sport, TH_ACK);
}

static uint32_t gen_cps(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	(void)ok;
	/* Every frame a new connection (a new source and port). */
	*sid = SVC_CPS;
	return frame_tcp4(f, IP4(10, 7, 0, 0) | (uint32_t)(i & 0xffff),
			  IP4(10, 1, 0, SVC_CPS),
			  (uint16_t)(1024 + (i >> 16) % 60000), TH_SYN);
}

/*
 * `out` units admitted at `rate` with `burst` over a stream: the workers
 * handled its frames somewhere between the first frame and the barrier,
 * at least until the last frame was sent. So the admitted count must lie
 * within 2% of the limit over a window between those two lengths.
 */
static void check_rate(const char *what, uint64_t out, uint64_t rate,
		       uint64_t burst, const struct stream *s)
{
	double lo_s = (double)(s->t_sent - s->t0) / (double)hz;
	double hi_s = (double)(s->t1 - s->t0) / (double)hz;
	double lo = ((double)rate * lo_s + (double)burst) * 0.98;
	double hi = ((double)rate * hi_s + (double)burst) * 1.02;
	double err = (double)out / ((double)rate * lo_s + (double)burst) - 1;

	CHECK_MSG(out >= lo && out <= hi,
		  "%s: %" PRIu64 " admitted in %.3f..%.3f s, expected "
		  "%.0f..%.0f",
		  what, out, lo_s, hi_s, lo, hi);
	printf("%s: %" PRIu64 " admitted in %.2f s at %" PRIu64 "/s + %" PRIu64
	       ": %+.2f%%\n",
	       what, out, lo_s, rate, burst, err * 100);
}

static void test_rates(struct cfg *c, int single, double secs)
{
	struct stream s = { .gen = gen_rates,
			    .pps = PPS_LIMIT * 5 * 101 / 50,
			    .secs = secs };
	uint64_t pps0 = SVC_DROPS(SVC_PPS, drop_rate_pps);
	uint64_t bps0 = SVC_DROPS(SVC_BPS, drop_rate_bps);
	pthread_t th;

	base_cfg(c);
	cfg_limit(c, SVC_PPS, EP_LIMIT_PPS, EP_LIMIT_TOKEN_BUCKET, PPS_LIMIT,
		  PPS_BURST);
	cfg_limit(c, SVC_BPS, EP_LIMIT_BPS, EP_LIMIT_TOKEN_BUCKET, BPS_LIMIT,
		  BPS_BURST);
	/* A fresh bucket: a new stats id state would carry history. */
	if (apply(c, single ? 21 : 20) != 0)
		return;
	/* Let the buckets fill from any earlier run. */
	rte_delay_ms(300);
	one_flow = single;
	stream_start(&s, &th);
	pthread_join(th, NULL);
	check_rate(single ? "pps, one flow" : "pps, spread", s.t.out[SVC_PPS],
		   PPS_LIMIT, PPS_BURST, &s);
	check_rate(single ? "bps, one flow" : "bps, spread",
		   s.t.out[SVC_BPS] * 60, BPS_LIMIT, BPS_BURST, &s);
	CHECK_MSG(s.t.out[SVC_LIGHT] == s.t.sent[SVC_LIGHT],
		  "light service: %" PRIu64 " of %" PRIu64 " out",
		  s.t.out[SVC_LIGHT], s.t.sent[SVC_LIGHT]);
	CHECK(SVC_DROPS(SVC_PPS, drop_rate_pps) - pps0 ==
	      s.t.sent[SVC_PPS] - s.t.out[SVC_PPS]);
	CHECK(SVC_DROPS(SVC_BPS, drop_rate_bps) - bps0 ==
	      s.t.sent[SVC_BPS] - s.t.out[SVC_BPS]);
	if (TEST_WORKERS > 1 && !single)
		for (unsigned int w = 0; w < TEST_WORKERS; w++)
			CHECK_MSG(fp.stats->svc[w][SVC_PPS].pkts > 0,
				  "worker %u forwarded none of the service", w);
}

static void test_cps(struct cfg *c, double secs)
{
	struct stream s = { .gen = gen_cps,
			    .pps = CPS_LIMIT * 5,
			    .secs = secs };
	uint64_t d0 = stats_sum_drop(fp.stats, EP_DROP_RATE_SVC_CPS);
	pthread_t th;

	base_cfg(c);
	cfg_limit(c, SVC_CPS, EP_LIMIT_CPS, EP_LIMIT_LEAKY_BUCKET, CPS_LIMIT,
		  CPS_BURST);
	if (apply(c, 30) != 0)
		return;
	rte_delay_ms(300);
	stream_start(&s, &th);
	pthread_join(th, NULL);
	/* Leaky: a tolerance of CPS_BURST admits CPS_BURST + 1 at once. */
	check_rate("cps, leaky", s.t.out[SVC_CPS], CPS_LIMIT, CPS_BURST + 1,
		   &s);
	CHECK(stats_sum_drop(fp.stats, EP_DROP_RATE_SVC_CPS) - d0 ==
	      s.t.sent[SVC_CPS] - s.t.out[SVC_CPS]);
}

/* ------------------------------------------------------------------ */
/* Per-client limits.                                                   */

#define CLIENT_PPS 100u
#define CLIENT_BURST 20u
#define N_LIGHT 1000u

/* Of every 1200 frames, 200 from the heavy client (100x its limit at
 * 60,000 frames/s), one from each of 1000 light clients (half theirs). */
static uint32_t gen_clients(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	uint64_t k = i % 1200;

	*sid = SVC_CLIENT;
	if (k < 200) {
		*ok = 2;
		return frame_tcp4(
			f, HEAVY_IP, IP4(10, 1, 0, SVC_CLIENT),
			(uint16_t)(1024 + (i / 1200 * 200 + k) % 60000),
			TH_ACK);
	}
	return frame_tcp4(f, IP4(10, 6, 0, 0) | (uint32_t)(k - 200),
			  IP4(10, 1, 0, SVC_CLIENT), (uint16_t)(5000 + k),
			  TH_ACK);
}

static void test_clients(struct cfg *c, double secs)
{
	struct stream s = { .gen = gen_clients, .pps = 60000, .secs = secs };
	uint64_t d0 = SVC_DROPS(SVC_CLIENT, drop_rate_client);
	pthread_t th;

	base_cfg(c);
	cfg_limit(c, SVC_CLIENT, EP_LIMIT_CLIENT_PPS, EP_LIMIT_TOKEN_BUCKET,
		  CLIENT_PPS, CLIENT_BURST);
	if (apply(c, 50) != 0)
		return;
	stream_start(&s, &th);
	pthread_join(th, NULL);
	check_rate("per-client, heavy at 100x", s.t.heavy_out, CLIENT_PPS,
		   CLIENT_BURST, &s);
	CHECK_MSG(s.t.out[SVC_CLIENT] - s.t.heavy_out ==
			  s.t.sent[SVC_CLIENT] - s.t.heavy_sent,
		  "light clients: %" PRIu64 " of %" PRIu64 " out",
		  s.t.out[SVC_CLIENT] - s.t.heavy_out,
		  s.t.sent[SVC_CLIENT] - s.t.heavy_sent);
	CHECK(SVC_DROPS(SVC_CLIENT, drop_rate_client) - d0 ==
	      s.t.heavy_sent - s.t.heavy_out);
	printf("per-client: %u light clients lost %" PRIu64 " of %" PRIu64 "\n",
	       N_LIGHT,
	       s.t.sent[SVC_CLIENT] - s.t.heavy_sent -
		       (s.t.out[SVC_CLIENT] - s.t.heavy_out),
	       s.t.sent[SVC_CLIENT] - s.t.heavy_sent);
}

/* ------------------------------------------------------------------ */
/* SYN flood over established flows.                                    */

#define N_EST 10000u
#define GUARD_RATE 2000u /* new SYNs per second per worker */
#define GUARD_BURST 200u

/* Flow i of the established set: 10.30.x.y:port -> web. */
static uint32_t est_frame(uint8_t *f, uint32_t i, uint8_t flags)
{
	return frame_tcp4(f, IP4(10, 30, 0, 0) | (i & 0xffff), IP4(10, 1, 0, 1),
			  (uint16_t)(20000 + i % 40000), flags);
}

/* SYNs then ACKs of the N_EST flows. */
static uint32_t gen_establish(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	*sid = SVC_WEB;
	*ok = 2;
	return est_frame(f, (uint32_t)(i % N_EST), i < N_EST ? TH_SYN : TH_ACK);
}

/* A random-source SYN flood; every 16th frame an ACK of a flow. */
static uint32_t gen_flood(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	*sid = SVC_WEB;
	if (i % 16 == 0) {
		*ok = 2;
		return est_frame(f, (uint32_t)(i / 16 % N_EST), TH_ACK);
	}
	return frame_tcp4(f, IP4(11, 0, 0, 0) | (rnd() & 0xffffff),
			  IP4(10, 1, 0, 1), (uint16_t)(1024 + rnd() % 60000),
			  TH_SYN);
}

/* How many of the N_EST flows have an entry in some worker's table. */
static uint32_t established_entries(void)
{
	uint32_t found = 0;

	for (uint32_t i = 0; i < N_EST; i++) {
		struct flow_key k;
		uint32_t src = IP4(10, 30, 0, 0) | (i & 0xffff);

		memset(&k, 0, sizeof(k));
		put32(k.src, src);
		put32(k.dst, IP4(10, 1, 0, 1));
		put16((uint8_t *)&k.sport, (uint16_t)(20000 + i % 40000));
		put16((uint8_t *)&k.dport, 80);
		k.proto = IPPROTO_TCP;
		k.family = EP_AF_INET;
		for (unsigned int w = 0; w < TEST_WORKERS; w++)
			if (ct_lookup(fp.workers[w].ct, &k,
				      flowhash_key(&k, fp.hash_seed)) >= 0) {
				found++;
				break;
			}
	}
	return found;
}

static void test_syn_flood(struct cfg *c)
{
	struct stream est = { .gen = gen_establish,
			      .pps = 50000,
			      .secs = 2 * N_EST / 50000.0 };
	struct stream fl = { .gen = gen_flood, .pps = 50000, .secs = 3.0 };
	uint64_t ev0, sl0, ins0;
	pthread_t th;

	base_cfg(c);
	if (apply(c, 60) != 0)
		return;
	stream_start(&est, &th);
	pthread_join(th, NULL);
	CHECK_MSG(est.t.est_out == est.t.heavy_sent,
		  "establishing: %" PRIu64 " of %" PRIu64 " out", est.t.est_out,
		  est.t.heavy_sent);
	CHECK(established_entries() == N_EST);
	c->node.syn_guard_rate = GUARD_RATE;
	c->node.syn_guard_burst = GUARD_BURST;
	if (apply(c, 61) != 0)
		return;
	ev0 = stats_sum_cnt(fp.stats, EP_CNT_CT_EVICTIONS);
	sl0 = stats_sum_cnt(fp.stats, EP_CNT_SYN_STATELESS);
	ins0 = stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS);
	stream_start(&fl, &th);
	pthread_join(th, NULL);
	/* Established flows keep forwarding, and no entry was evicted. */
	CHECK_MSG(fl.t.est_out == fl.t.heavy_sent,
		  "under the flood: %" PRIu64 " of %" PRIu64 " established "
		  "frames out",
		  fl.t.est_out, fl.t.heavy_sent);
	CHECK_MSG(stats_sum_cnt(fp.stats, EP_CNT_CT_EVICTIONS) == ev0,
		  "%" PRIu64 " entries evicted by the flood",
		  stats_sum_cnt(fp.stats, EP_CNT_CT_EVICTIONS) - ev0);
	CHECK_MSG(established_entries() == N_EST,
		  "%u of %u established flows still have their entry",
		  established_entries(), N_EST);
	/* Over the guard, the flood's SYNs went out without entries. */
	CHECK(stats_sum_cnt(fp.stats, EP_CNT_SYN_STATELESS) - sl0 >
	      (fl.t.sent[SVC_WEB] - fl.t.heavy_sent) / 2);
	CHECK(fl.t.out[SVC_WEB] == fl.t.sent[SVC_WEB]);
	CHECK_MSG(stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS) - ins0 <=
			  (uint64_t)TEST_WORKERS *
				  (GUARD_RATE *
					   (uint64_t)((double)(fl.t1 - fl.t0) /
							      (double)hz +
						      1) +
				   GUARD_BURST),
		  "%" PRIu64 " entries made under the guard",
		  stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS) - ins0);
	printf("syn flood: %" PRIu64 " SYNs, %" PRIu64 " without entry, "
	       "%" PRIu64 " entries made, 0 evicted, %" PRIu64
	       " established frames all out\n",
	       fl.t.sent[SVC_WEB] - fl.t.heavy_sent,
	       stats_sum_cnt(fp.stats, EP_CNT_SYN_STATELESS) - sl0,
	       stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS) - ins0, fl.t.est_out);
}

/* ------------------------------------------------------------------ */
/* Changes while traffic flows.                                         */

static uint32_t gen_change(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	(void)ok;
	*sid = SVC_CHANGE;
	return frame_tcp4(f, IP4(10, 4, 0, 0) | (uint32_t)(i % 500),
			  IP4(10, 1, 0, SVC_CHANGE), (uint16_t)(3000 + i % 500),
			  TH_ACK);
}

/* 100,000 global deny prefixes in 100.64.0.0/10, none of our sources. */
static void add_big_acl(struct cfg *c)
{
	for (uint32_t i = 0; i < 100000; i++) {
		uint32_t a = IP4(100, 64, 0, 0) | (i << 5 & 0x3fffff);
		uint8_t depth = (uint8_t)(27 - i % 12);

		a &= ~0u << (32 - depth);
		cfg_rule(c, ip4(a), depth, EP_ACL_DENY, 0);
	}
	/* Edge prefixes that must not match: IPv6 ::/0 deny, a /32. */
	cfg_rule(c, ip6("::"), 0, EP_ACL_DENY, 0);
	cfg_rule(c, ip4(IP4(10, 4, 255, 255)), 32, EP_ACL_DENY, 0);
}

static void test_change_midstream(struct cfg *c)
{
	struct stream s = { .gen = gen_change, .pps = 10000, .secs = 4.0 };
	uint64_t drops0 = SVC_DROPS(SVC_CHANGE, drops);
	pthread_t th;

	base_cfg(c);
	cfg_limit(c, SVC_CHANGE, EP_LIMIT_PPS, EP_LIMIT_TOKEN_BUCKET, 40000,
		  4000);
	cfg_limit(c, SVC_CHANGE, EP_LIMIT_BPS, EP_LIMIT_LEAKY_BUCKET,
		  40000 * 60, 40000);
	if (apply(c, 40) != 0)
		return;
	stream_start(&s, &th);
	rte_delay_ms(1000);
	/* 1 s: other limits, other modes. */
	cfg_limit(c, SVC_CHANGE, EP_LIMIT_PPS, EP_LIMIT_LEAKY_BUCKET, 30000,
		  3000);
	cfg_limit(c, SVC_CHANGE, EP_LIMIT_BPS, EP_LIMIT_TOKEN_BUCKET,
		  30000 * 60, 60000);
	apply(c, 41);
	rte_delay_ms(1000);
	/* 2 s: 100,000 prefixes built and swapped in. */
	add_big_acl(c);
	apply(c, 42);
	rte_delay_ms(700);
	/* Then everything off again. */
	base_cfg(c);
	apply(c, 43);
	pthread_join(th, NULL);
	CHECK_MSG(s.t.out[SVC_CHANGE] == s.t.sent[SVC_CHANGE] &&
			  s.t.sent[SVC_CHANGE] > 30000,
		  "changes mid-stream: %" PRIu64 " of %" PRIu64 " out",
		  s.t.out[SVC_CHANGE], s.t.sent[SVC_CHANGE]);
	CHECK(SVC_DROPS(SVC_CHANGE, drops) == drops0);
	printf("changes mid-stream (limits, 100,000-prefix ACL): %" PRIu64
	       " of %" PRIu64 " out\n",
	       s.t.out[SVC_CHANGE], s.t.sent[SVC_CHANGE]);
}

/* ------------------------------------------------------------------ */

int main(void)
{
	struct cfg *c = calloc(1, sizeof(*c));
	unsigned int pool0;
	int rc;

	if (c == NULL ||
	    (c->rules = calloc(MAX_RULES, sizeof(*c->rules))) == NULL ||
	    test_eal_init_workers("test_policing", "1024", TEST_WORKERS) < 0)
		return 1;
	hz = rte_get_tsc_hz();
	if (fph_port_create("tpol", TEST_MBUFS, 0, 128) < 0)
		return 1;
	rc = fph_fp_setup(4242);
	CHECK(rc == 0 && fp.n_workers == TEST_WORKERS);
	if (rc != 0) {
		fp_teardown();
		return check_summary("policing");
	}
	fph_fp_start(&pool0);

	{
		uint64_t t = rte_rdtsc();

		/* First, on empty tables: the flood must evict nothing. */
		test_syn_flood(c);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_acl(c);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_rates(c, 0, 10.0);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_rates(c, 1, 10.0);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_cps(c, 3.0);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_change_midstream(c);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_clients(c, 10.0);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
	}

	fph_check_drained(pool0, TEST_MBUFS);
	fp_teardown();
	rc = check_summary(TEST_WORKERS > 1 ? "policing_2workers" : "policing");
	free(c->rules);
	free(c);
	fph_port_free();
	rte_eal_cleanup();
	return rc;
}
