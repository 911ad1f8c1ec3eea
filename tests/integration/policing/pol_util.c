/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_policing's configuration (services, limits, ACL rules, applied
 * through ctrl_apply), frames, output tally and sender thread.
 */
#include "policing_test.h"

#define CHUNK 32u

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
uint64_t hz;

uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void put32(uint8_t *p, uint32_t v)
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

struct ep_ip ip4(uint32_t a)
{
	struct ep_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = EP_AF_INET;
	put32(ip.bytes, a);
	return ip;
}

struct ep_ip ip6(const char *s)
{
	struct ep_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = EP_AF_INET6;
	if (inet_pton(AF_INET6, s, ip.bytes) != 1)
		abort();
	return ip;
}

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

void cfg_limit(struct cfg *c, uint32_t sid, enum ep_limit_kind k, uint8_t mode,
	       uint64_t rate, uint64_t burst)
{
	for (uint32_t i = 0; i < c->n_svcs; i++)
		if (c->svcs[i].stats_id == sid) {
			c->svcs[i].limits[k].mode = mode;
			c->svcs[i].limits[k].rate = rate;
			c->svcs[i].limits[k].burst = burst;
		}
}

/* A rule for service `sid` (0: the global list). */
void cfg_rule(struct cfg *c, struct ep_ip pfx, uint8_t depth, uint8_t kind,
	      uint32_t sid)
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

void base_cfg(struct cfg *c)
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

int apply(struct cfg *c, uint64_t version)
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

uint32_t frame_tcp4(uint8_t *f, uint32_t sip, uint32_t dip, uint16_t sport,
		    uint8_t flags)
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

uint32_t frame_tcp6(uint8_t *f, const uint8_t sip[16], const uint8_t dip[16],
		    uint16_t sport)
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
		if (get16(f + 12) == 0x0800 && get32(f + 26) == HEAVY_IP) {
			t->heavy_out++;
			t->heavy_out_by[f[5] - 10]++;
		}
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

void *sender(void *arg)
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
		/* A stalled sender (a loaded machine, ASan) must not make
		 * up the lost time in one burst past the limits' tolerance:
		 * it falls back at most MAX_LAG_MS behind its schedule. */
		if (rte_rdtsc() > next + hz * MAX_LAG_MS / 1000)
			next = rte_rdtsc() - hz * MAX_LAG_MS / 1000;
	}
	s->t_sent = rte_rdtsc();
	finish(&s->t);
	s->t1 = rte_rdtsc();
	s->running = 0;
	return NULL;
}

void stream_start(struct stream *s, pthread_t *th)
{
	s->running = 1;
	if (pthread_create(th, NULL, sender, s) != 0)
		abort();
}

uint64_t svc_counter(uint32_t sid, size_t off)
{
	struct ep_svc_counters c;
	uint64_t v;

	stats_sum_svc(fp.stats, sid, &c);
	memcpy(&v, (const uint8_t *)&c + off, sizeof(v));
	return v;
}
