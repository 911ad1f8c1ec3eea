/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fastpath's configurations (flat forms applied through ctrl_apply),
 * the push/xmit loop behind every batch, and the flows the cases send.
 */
#include "fastpath_test.h"

/*
 * Built twice: TEST_WORKERS 1, and 2 where the port's single RX queue makes
 * the fast path spread flows to their owner worker in software
 * (fp_harness.h).
 */
struct rte_mbuf *out[MAX_OUT];
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

void be_mac(uint8_t mac[6], uint32_t sid)
{
	const uint8_t m[6] = { 0x02, 0, 0, 0, 0xbe, (uint8_t)sid };

	memcpy(mac, m, 6);
}

/* The backend stats id an output frame was sent to, or -1. */
int out_sid(const uint8_t *f)
{
	static const uint8_t pfx[5] = { 0x02, 0, 0, 0, 0xbe };

	return memcmp(f, pfx, 5) == 0 ? f[5] : -1;
}

/* The builder is tests/lib/flat_build.h's. */
static void cfg_addr(struct flat_build *c, struct ep_ip a)
{
	flat_add_addr(c, a);
}

/* A service; the backends added next belong to it. */
static void cfg_svc(struct flat_build *c, const char *name, struct ep_ip vip,
		    uint16_t port, uint8_t mode, uint8_t sched, uint8_t flags,
		    uint32_t sid)
{
	struct ep_cfg_service *s = flat_add_service(c, name, vip, port, sid);

	s->fwd_mode = mode;
	s->sched = sched;
	s->flags = flags;
}

static void cfg_be(struct flat_build *c, struct ep_ip addr, uint16_t port,
		   uint16_t weight, int static_mac, uint32_t sid)
{
	struct ep_cfg_backend *b = flat_add_backend(c, addr, port, weight, sid);

	b->has_mac = static_mac ? 1 : 0;
	if (static_mac)
		be_mac(b->mac, sid);
}

/* Lay out header, node addresses, services, backends; free() the result. */
uint8_t *cfg_flat(struct flat_build *c, uint64_t version, uint32_t *len)
{
	c->h.version = version;
	return flat_bytes(c, len);
}

/*
 * Configuration 1, or 2 (the DSR service loses 10.0.0.11 and gains
 * 10.0.0.14; everything else identical).
 */
void make_cfg(struct flat_build *c, int variant)
{
	flat_init(c, 0);
	c->h.node.backend_port = 0;
	c->h.node.gue_port = 6080;
	c->h.node.encap_src4 = ep_ip4u(IP4(10, 0, 0, 1));
	c->h.node.encap_src6 = ep_ip6("fd00::1");
	cfg_addr(c, ep_ip4u(IP4(10, 0, 0, 1)));
	cfg_addr(c, ep_ip6("fd00::1"));

	cfg_svc(c, "dsr", ep_ip4u(IP4(10, 1, 0, 1)), 80, EP_FWD_DSR,
		EP_SCHED_MAGLEV, 0, SVC_DSR);
	if (variant == 1)
		cfg_be(c, ep_ip4u(IP4(10, 0, 0, 11)), 0, 1, 1, 1);
	cfg_be(c, ep_ip4u(IP4(10, 0, 0, 12)), 0, 2, 1, 2);
	cfg_be(c, ep_ip4u(IP4(10, 0, 0, 13)), 0, 1, 1, 3);
	if (variant == 2)
		cfg_be(c, ep_ip4u(IP4(10, 0, 0, 14)), 0, 1, 1, 4);

	cfg_svc(c, "nat", ep_ip4u(IP4(10, 1, 0, 2)), 80, EP_FWD_NAT,
		EP_SCHED_MAGLEV, 0, SVC_NAT);
	cfg_be(c, ep_ip4u(IP4(10, 0, 0, 21)), 8080, 1, 1, 21);
	cfg_be(c, ep_ip4u(IP4(10, 0, 0, 22)), 8080, 1, 1, 22);

	cfg_svc(c, "ipip", ep_ip4u(IP4(10, 1, 0, 3)), 80, EP_FWD_ENCAP,
		EP_SCHED_MAGLEV, 0, SVC_IPIP);
	cfg_be(c, ep_ip4u(IP4(10, 0, 0, 31)), 0, 1, 1, 31);
	cfg_be(c, ep_ip4u(IP4(10, 0, 0, 32)), 0, 1, 1, 32);

	cfg_svc(c, "gue6", ep_ip6("fd00:1::3"), 443, EP_FWD_ENCAP,
		EP_SCHED_MAGLEV, EP_SVC_F_GUE, SVC_GUE);
	cfg_be(c, ep_ip6("fd00::41"), 0, 1, 1, 41);
	cfg_be(c, ep_ip6("fd00::42"), 0, 1, 1, 42);

	cfg_svc(c, "learn4", ep_ip4u(IP4(10, 1, 0, 5)), 80, EP_FWD_DSR,
		EP_SCHED_MAGLEV, 0, SVC_LEARN4);
	cfg_be(c, ep_ip4u(IP4(10, 0, 0, 51)), 0, 1, 0, 51);

	cfg_svc(c, "learn6", ep_ip6("fd00:1::5"), 80, EP_FWD_DSR,
		EP_SCHED_MAGLEV, 0, SVC_LEARN6);
	cfg_be(c, ep_ip6("fd00::52"), 0, 1, 0, 52);

	cfg_svc(c, "wrr", ep_ip4u(IP4(10, 1, 0, 7)), 80, EP_FWD_DSR,
		EP_SCHED_WRR, 0, SVC_WRR);
	cfg_be(c, ep_ip4u(IP4(10, 0, 0, 71)), 0, 1, 1, 71);
	cfg_be(c, ep_ip4u(IP4(10, 0, 0, 72)), 0, 1, 1, 72);
}

/*
 * Configuration 2 plus new Maglev services for the deferred-table tests:
 * variant 3 adds "prov" (backends 81-84) and "prov2" (91-93); variant 4
 * drops "prov" and gives "prov2" backend 94 instead of 93.
 */
static void make_cfg_prov(struct flat_build *c, int variant)
{
	make_cfg(c, 2);
	if (variant == 3) {
		cfg_svc(c, "prov", ep_ip4u(IP4(10, 1, 0, 8)), 80, EP_FWD_DSR,
			EP_SCHED_MAGLEV, 0, SVC_PROV);
		for (uint32_t b = 81; b <= 84; b++)
			cfg_be(c, ep_ip4u(IP4(10, 0, 0, b)), 0, 1, 1, b);
	}
	cfg_svc(c, "prov2", ep_ip4u(IP4(10, 1, 0, 9)), 80, EP_FWD_DSR,
		EP_SCHED_MAGLEV, 0, SVC_PROV2);
	cfg_be(c, ep_ip4u(IP4(10, 0, 0, 91)), 0, 1, 1, 91);
	cfg_be(c, ep_ip4u(IP4(10, 0, 0, 92)), 0, 1, 1, 92);
	cfg_be(c, ep_ip4u(IP4(10, 0, 0, variant == 3 ? 93 : 94)), 0, 1, 1,
	       variant == 3 ? 93 : 94);
}

/*
 * Configuration 1 plus two NAT services for on_down: "rst" (10.1.0.10,
 * on_down reset, backends 61 and 62) and "keep" (10.1.0.11, backends 63
 * and 64). `down`: 61 and 63 are down by their health checks.
 */
int apply_cfg_reset(int down, uint64_t version, struct ep_event_msg *ev)
{
	struct flat_build c;
	uint32_t len;
	uint8_t *buf;
	int rc;

	make_cfg(&c, 1);
	cfg_svc(&c, "rst", ep_ip4u(IP4(10, 1, 0, 10)), 80, EP_FWD_NAT,
		EP_SCHED_MAGLEV, EP_SVC_F_RESET_ON_DOWN, SVC_RST);
	cfg_be(&c, ep_ip4u(IP4(10, 0, 0, 61)), 8080, 1, 1, 61);
	cfg_be(&c, ep_ip4u(IP4(10, 0, 0, 62)), 8080, 1, 1, 62);
	cfg_svc(&c, "keep", ep_ip4u(IP4(10, 1, 0, 11)), 80, EP_FWD_NAT,
		EP_SCHED_MAGLEV, 0, SVC_KEEP);
	cfg_be(&c, ep_ip4u(IP4(10, 0, 0, 63)), 8080, 1, 1, 63);
	cfg_be(&c, ep_ip4u(IP4(10, 0, 0, 64)), 8080, 1, 1, 64);
	if (down)
		for (uint32_t i = 0; i < c.n_be; i++)
			if (c.be[i].stats_id == 61 || c.be[i].stats_id == 63) {
				c.be[i].state = EP_BE_DOWN;
				c.be[i].flags = EP_BE_F_HEALTH_DOWN;
			}
	buf = cfg_flat(&c, version, &len);
	memset(ev, 0, sizeof(*ev));
	rc = ctrl_apply(buf, len, ev);
	free(buf);
	return rc;
}

int apply_cfg(int variant, uint64_t version, struct ep_event_msg *ev)
{
	struct flat_build c;
	uint32_t len;
	uint8_t *buf;
	int rc;

	if (variant >= 3)
		make_cfg_prov(&c, variant);
	else
		make_cfg(&c, variant);
	buf = cfg_flat(&c, version, &len);
	memset(ev, 0, sizeof(*ev));
	rc = ctrl_apply(buf, len, ev);
	free(buf);
	return rc;
}

struct rte_mbuf *mk(const uint8_t *f, uint32_t len)
{
	struct rte_mbuf *mb = rte_pktmbuf_alloc(test_pool);
	char *p;

	if (mb == NULL)
		abort();
	p = rte_pktmbuf_append(mb, (uint16_t)len);
	if (p == NULL)
		abort();
	memcpy(p, f, len);
	return mb;
}

static struct rte_mbuf *mk_barrier(void)
{
	uint8_t f[64];

	return mk(f, fph_barrier_frame(f));
}

static int is_barrier_reply(const struct rte_mbuf *mb)
{
	return fph_is_barrier_reply(rte_pktmbuf_mtod(mb, const uint8_t *),
				    rte_pktmbuf_data_len(mb));
}

/*
 * With several workers sharing a CPU, the receiving worker hands off
 * faster than the others drain (the ring would overflow and count
 * handoff_ring_full): pace the input to what they take.
 */
#define PUSH_CHUNK (TEST_WORKERS > 1 ? 1024u : RING_SIZE)

static void wait_handoffs_drained(uint64_t deadline)
{
	while (rte_rdtsc() < deadline &&
	       (rte_ring_count(rx_ring) > 0 ||
		stats_sum_cnt(fp.stats, EP_CNT_HANDOFF_IN) !=
			stats_sum_cnt(fp.stats, EP_CNT_HANDOFF_OUT)))
		sched_yield();
}

/* Enqueue everything into the port's RX ring (the ring has room). */
static void push(struct rte_mbuf **in, unsigned int n)
{
	unsigned int sent = 0;
	uint64_t deadline = rte_rdtsc() + WAIT_S * rte_get_tsc_hz();

	while (sent < n && rte_rdtsc() < deadline) {
		sent += rte_ring_sp_enqueue_burst(rx_ring, (void **)in + sent,
						  RTE_MIN(n - sent, PUSH_CHUNK),
						  NULL);
		if (sent < n)
			wait_handoffs_drained(deadline);
	}
	CHECK_MSG(sent == n, "only %u of %u packets enqueued", sent, n);
	for (; sent < n; sent++)
		rte_pktmbuf_free(in[sent]);
}

void free_out(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		rte_pktmbuf_free(out[i]);
}

static unsigned int dequeue_all(struct rte_mbuf **tmp, unsigned int max)
{
	unsigned int k = 0;

	for (unsigned int q = 0; q < TEST_WORKERS && k < max; q++)
		k += rte_ring_sc_dequeue_burst(tx_rings[q], (void **)tmp + k,
					       max - k, NULL);
	return k;
}

/*
 * The barrier is answered by the worker that received it; packets it
 * handed to other workers may still be on their way. Settled means every
 * handed-off packet was taken in, and every worker has since come back to
 * an empty poll, which it does only after sending all it held.
 */
static int handoffs_settled(void)
{
	return TEST_WORKERS == 1 || fph_workers_settled();
}

/*
 * Send `n` frames plus a barrier and collect what comes out into out[]
 * until the barrier's reply arrives (at most WAIT_S seconds). Returns the
 * number of frames collected (the barrier reply not counted). With `in`
 * NULL, only the barrier is sent (collects what earlier pushes caused).
 */
unsigned int xmit(struct rte_mbuf **in, unsigned int n)
{
	struct rte_mbuf *b = mk_barrier(), *tmp[64];
	uint64_t deadline;
	unsigned int got = 0, lost = 0;
	int done = 0, settled = 0;

	if (n)
		push(in, n);
	push(&b, 1);
	deadline = rte_rdtsc() + WAIT_S * rte_get_tsc_hz();
	for (;;) {
		unsigned int k = dequeue_all(tmp, 64);

		for (unsigned int i = 0; i < k; i++) {
			if (is_barrier_reply(tmp[i])) {
				rte_pktmbuf_free(tmp[i]);
				done = 1;
			} else if (got < MAX_OUT) {
				out[got++] = tmp[i];
			} else {
				rte_pktmbuf_free(tmp[i]);
				lost++;
			}
		}
		if (k == 0 && done && settled)
			break;
		if (k == 0 && done) {
			/* What workers flush while settling: one more pass. */
			settled = handoffs_settled();
			continue;
		}
		if (k == 0 && rte_rdtsc() > deadline)
			break;
		if (k == 0)
			sched_yield();
	}
	CHECK_MSG(done, "barrier reply did not come back within %u s", WAIT_S);
	CHECK(lost == 0);
	return got;
}

/* Client endpoints used so far (no two flows share one). */
#define SEEN_SLOTS (1u << 17)
static uint64_t seen_eps[SEEN_SLOTS];

static int endpoint_new(uint64_t k)
{
	uint32_t i = (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 47);

	k |= 1ull << 63; /* never 0: 0 marks an empty slot */
	while (seen_eps[i] != 0) {
		if (seen_eps[i] == k)
			return 0;
		i = (i + 1) & (SEEN_SLOTS - 1);
	}
	seen_eps[i] = k;
	return 1;
}

/* Random IPv4 clients in 172.16.0.0/12 and IPv6 clients in 2001:db8::/64. */
void gen_flows(struct tflow *fl, unsigned int n, int family6)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t k;

		memset(&fl[i], 0, sizeof(fl[i]));
		fl[i].sid = -1;
		do {
			fl[i].cip = IP4(172, 16, 0, 0) | (rnd() & 0xfffff);
			fl[i].cport = (uint16_t)(1024 + rnd() % 64000);
			v6(fl[i].cip6, "2001:db8::");
			be32_put(fl[i].cip6 + 8, rnd());
			be32_put(fl[i].cip6 + 12, fl[i].cip);
			k = (uint64_t)fl[i].cip << 16 | fl[i].cport;
			k |= (uint64_t)family6 << 48;
		} while (!endpoint_new(k));
	}
}

/* The client's frame of flow `i` (seq = i identifies it at the output). */
uint32_t flow_frame4(uint8_t *f, const struct tflow *fl, uint32_t i,
		     uint32_t vip, uint16_t vport, uint8_t flags, uint32_t ack)
{
	return frame_tcp4(f, port_mac, client_mac, fl[i].cip, vip, fl[i].cport,
			  vport, flags, i, ack);
}

struct rte_mbuf **alloc_in(unsigned int n)
{
	struct rte_mbuf **in = calloc(n ? n : 1, sizeof(*in));

	if (in == NULL)
		abort();
	return in;
}

/*
 * Send one TCP packet (flags, ack) for flows [from, to) to a DSR VIP and
 * check every output: one per flow, the backend's MAC as destination, our
 * MAC as source, IP and TCP bytes unchanged. record: remember the
 * backend; otherwise count flows that moved to another backend.
 */
void dsr_round(struct tflow *fl, unsigned int from, unsigned int to,
	       uint32_t vip, uint8_t flags, uint32_t ack, int record,
	       int mid_apply, struct dsr_stats *st)
{
	unsigned int n = to - from, half = n / 2, got;
	struct rte_mbuf **in = alloc_in(n);
	uint8_t *seen = calloc(to, 1), f[128], exp[128];

	memset(st, 0, sizeof(*st));
	for (unsigned int i = 0; i < n; i++)
		in[i] = mk(f,
			   flow_frame4(f, fl, from + i, vip, 80, flags, ack));
	if (mid_apply) {
		/* Half in flight, publish configuration 2, then the rest. */
		struct ep_event_msg ev;
		uint64_t gen = fp.snap->generation;

		push(in, half);
		CHECK(apply_cfg(2, 2, &ev) == 0);
		CHECK(ev.status == 0);
		CHECK(ev.generation == gen + 1);
		got = xmit(in + half, n - half);
	} else {
		got = xmit(in, n);
	}
	st->got = got;
	for (unsigned int k = 0; k < got; k++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);
		uint32_t seq = be32_get(o + 14 + 20 + 4);
		int sid = out_sid(o);

		if (rte_pktmbuf_data_len(out[k]) != 60 || seq < from ||
		    seq >= to || seen[seq] || sid < 0 ||
		    memcmp(o + 6, port_mac, 6) != 0) {
			st->bad++;
			continue;
		}
		seen[seq] = 1;
		flow_frame4(exp, fl, seq, vip, 80, flags, ack);
		if (memcmp(o + 14, exp + 14, 40) != 0)
			st->bad++;
		st->per_sid[sid]++;
		if (record)
			fl[seq].sid = sid;
		else if (fl[seq].sid != sid)
			st->moved++;
	}
	free_out(got);
	free(seen);
	free(in);
}
