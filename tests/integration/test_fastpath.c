/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration test of the real fast path: fp_setup / fp_launch_workers /
 * ctrl_apply / fp_teardown, one worker lcore, one net_ring port whose RX
 * ring the test fills with crafted frames and whose TX ring it drains.
 * The test thread plays the main lcore (configuration applies).
 *
 * Every batch ends with a "barrier": an ARP request for the node address
 * from 10.0.0.250. The worker handles its RX ring in order and flushes a
 * burst's output together, so once the barrier's reply is out, every
 * packet sent before it has been handled (and its counters written).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
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
#include "csum_ref.h"
#include "ctrl.h"
#include "ep_abi.h"
#include "flat_build.h"
#include "fp.h"
#include "fp_harness.h"
#include "pkt.h"
#include "snapshot.h"
#include "stats.h"
#include "test_eal.h"

#define TEST_MBUFS 32767u
#define MAX_OUT 32768u
#define N_FLOWS 20000u
#define N_NEW 5000u
#define N_NAT 2000u
#define N_ENCAP 200u
#define N_SAME_BURST 8u

/* Service stats ids. */
enum {
	SVC_DSR = 1,
	SVC_NAT = 2,
	SVC_IPIP = 3,
	SVC_GUE = 4,
	SVC_LEARN4 = 5,
	SVC_LEARN6 = 6,
	SVC_WRR = 7,
	SVC_PROV = 8,
	SVC_PROV2 = 9,
};

/*
 * Built twice: TEST_WORKERS 1, and 2 where the port's single RX queue makes
 * the fast path spread flows to their owner worker in software
 * (fp_harness.h).
 */
static struct rte_mbuf *out[MAX_OUT];
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* ------------------------------------------------------------------ */
/* Small helpers.                                                       */

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static void be_mac(uint8_t mac[6], uint32_t sid)
{
	const uint8_t m[6] = { 0x02, 0, 0, 0, 0xbe, (uint8_t)sid };

	memcpy(mac, m, 6);
}

/* The backend stats id an output frame was sent to, or -1. */
static int out_sid(const uint8_t *f)
{
	static const uint8_t pfx[5] = { 0x02, 0, 0, 0, 0xbe };

	return memcmp(f, pfx, 5) == 0 ? f[5] : -1;
}

static void v6(uint8_t a[16], const char *s)
{
	if (inet_pton(AF_INET6, s, a) != 1)
		abort();
}

static int ip4_hdr_ok(const uint8_t *ip)
{
	return rte_raw_cksum(ip, (size_t)(ip[0] & 0xf) * 4) == 0xffff;
}

/* TCP/UDP checksum over the pseudo-header and the segment is all ones. */
static int l4_ok4(const uint8_t *ip)
{
	const struct rte_ipv4_hdr *h = (const void *)ip;
	uint32_t hl = (uint32_t)(ip[0] & 0xf) * 4;
	uint32_t len = be16_get(ip + 2) - hl;

	return ref_fold((uint32_t)rte_raw_cksum(ip + hl, len) +
			rte_ipv4_phdr_cksum(h, 0)) == 0xffff;
}

static int l4_ok6(const uint8_t *ip)
{
	const struct rte_ipv6_hdr *h = (const void *)ip;

	return ref_fold((uint32_t)rte_raw_cksum(ip + 40, be16_get(ip + 4)) +
			rte_ipv6_phdr_cksum(h, 0)) == 0xffff;
}

/* ------------------------------------------------------------------ */
/* Flat configuration builder.                                          */

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
static uint8_t *cfg_flat(struct flat_build *c, uint64_t version, uint32_t *len)
{
	c->h.version = version;
	return flat_bytes(c, len);
}

/*
 * Configuration 1, or 2 (the DSR service loses 10.0.0.11 and gains
 * 10.0.0.14; everything else identical).
 */
static void make_cfg(struct flat_build *c, int variant)
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

static int apply_cfg(int variant, uint64_t version, struct ep_event_msg *ev)
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

/* ------------------------------------------------------------------ */
/* Frame builders (return the frame length).                            */

static void eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
		uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	be16_put(f + 12, type);
}

static void tcp_hdr(uint8_t *t, uint16_t sport, uint16_t dport, uint8_t flags,
		    uint32_t seq, uint32_t ack)
{
	memset(t, 0, 20);
	be16_put(t, sport);
	be16_put(t + 2, dport);
	be32_put(t + 4, seq);
	be32_put(t + 8, ack);
	t[12] = 0x50;
	t[13] = flags;
	be16_put(t + 14, 65535);
}

/* An IPv4 header without options (its checksum is the caller's). */
static void ip4_hdr(uint8_t *ip, uint16_t total_len, uint16_t id, uint16_t frag,
		    uint8_t proto, uint32_t sip, uint32_t dip)
{
	ip[0] = 0x45;
	be16_put(ip + 2, total_len);
	be16_put(ip + 4, id);
	be16_put(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	be32_put(ip + 12, sip);
	be32_put(ip + 16, dip);
}

/* Ethernet + IPv4 + TCP (no payload), padded to 60 bytes. */
static uint32_t frame_tcp4(uint8_t *f, const uint8_t dmac[6],
			   const uint8_t smac[6], uint32_t sip, uint32_t dip,
			   uint16_t sport, uint16_t dport, uint8_t flags,
			   uint32_t seq, uint32_t ack)
{
	uint8_t *ip = f + 14, *t = ip + 20;
	struct rte_ipv4_hdr *h = (void *)ip;
	uint16_t c;

	memset(f, 0, 60);
	eth(f, dmac, smac, 0x0800);
	ip4_hdr(ip, 40, (uint16_t)seq, 0x4000, IPPROTO_TCP, sip, dip);
	tcp_hdr(t, sport, dport, flags, seq, ack);
	c = rte_ipv4_udptcp_cksum(h, t);
	memcpy(t + 16, &c, 2);
	h->hdr_checksum = rte_ipv4_cksum(h);
	return 60;
}

/* Ethernet + IPv6 + TCP (no payload): 74 bytes. */
static uint32_t frame_tcp6(uint8_t *f, const uint8_t dmac[6],
			   const uint8_t smac[6], const uint8_t sip[16],
			   const uint8_t dip[16], uint16_t sport,
			   uint16_t dport, uint8_t flags, uint32_t seq,
			   uint32_t ack)
{
	uint8_t *ip = f + 14, *t = ip + 40;
	uint16_t c;

	memset(f, 0, 74);
	eth(f, dmac, smac, 0x86dd);
	ip[0] = 0x60;
	be16_put(ip + 4, 20);
	ip[6] = IPPROTO_TCP;
	ip[7] = 64;
	memcpy(ip + 8, sip, 16);
	memcpy(ip + 24, dip, 16);
	tcp_hdr(t, sport, dport, flags, seq, ack);
	c = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, t);
	memcpy(t + 16, &c, 2);
	return 74;
}

/*
 * Ethernet + IPv4 + ICMP error (type 3, code 4: fragmentation needed)
 * quoting a whole 40-byte IPv4 + TCP packet (checksums valid): 82 bytes.
 */
static uint32_t frame_icmp4_err(uint8_t *f, const uint8_t dmac[6],
				const uint8_t smac[6], uint32_t sip,
				uint32_t dip, const uint8_t quote[40])
{
	uint8_t *ip = f + 14, *ic = ip + 20;
	struct rte_ipv4_hdr *h = (void *)ip;
	uint16_t c;

	memset(f, 0, 82);
	eth(f, dmac, smac, 0x0800);
	ip4_hdr(ip, 20 + 8 + 40, 0, 0, IPPROTO_ICMP, sip, dip);
	ic[0] = 3;
	ic[1] = 4;
	be16_put(ic + 6, 1400); /* next-hop MTU */
	memcpy(ic + 8, quote, 40);
	c = (uint16_t)~rte_raw_cksum(ic, 48);
	memcpy(ic + 2, &c, 2);
	h->hdr_checksum = rte_ipv4_cksum(h);
	return 82;
}

/* The IPv4 + TCP part (40 bytes) of a frame_tcp4() frame, to quote. */
static void quote_tcp4(uint8_t q[40], uint32_t sip, uint32_t dip,
		       uint16_t sport, uint16_t dport)
{
	uint8_t f[64];

	frame_tcp4(f, zero_mac, zero_mac, sip, dip, sport, dport, TH_ACK, 9, 1);
	memcpy(q, f + 14, 40);
}

static uint32_t frame_arp(uint8_t *f, const uint8_t dmac[6],
			  const uint8_t smac[6], uint16_t op,
			  const uint8_t sha[6], uint32_t spa,
			  const uint8_t tha[6], uint32_t tpa)
{
	uint8_t *a = f + 14;

	memset(f, 0, 60);
	eth(f, dmac, smac, 0x0806);
	be16_put(a, 1);
	be16_put(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	be16_put(a + 6, op);
	memcpy(a + 8, sha, 6);
	be32_put(a + 14, spa);
	memcpy(a + 18, tha, 6);
	be32_put(a + 24, tpa);
	return 60;
}

/*
 * ICMPv6 neighbour solicitation (type 135, option 1) or advertisement
 * (type 136, option 2 unless lladdr is NULL), hop limit 255.
 */
static uint32_t frame_nd(uint8_t *f, const uint8_t dmac[6],
			 const uint8_t smac[6], const uint8_t src[16],
			 const uint8_t dst[16], uint8_t type, uint32_t flags,
			 const uint8_t target[16], const uint8_t *lladdr)
{
	uint8_t *ip = f + 14, *ic = ip + 40;
	uint16_t plen = lladdr ? 32 : 24, c;

	memset(f, 0, 14 + 40 + 32);
	eth(f, dmac, smac, 0x86dd);
	ip[0] = 0x60;
	be16_put(ip + 4, plen);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = 255;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	ic[0] = type;
	be32_put(ic + 4, flags);
	memcpy(ic + 8, target, 16);
	if (lladdr) {
		ic[24] = type == 135 ? 1 : 2;
		ic[25] = 1;
		memcpy(ic + 26, lladdr, 6);
	}
	c = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ic);
	memcpy(ic + 2, &c, 2);
	return 14 + 40 + plen;
}

static struct rte_mbuf *mk(const uint8_t *f, uint32_t len)
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

/* ------------------------------------------------------------------ */
/* Send and collect.                                                    */

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

static void free_out(unsigned int n)
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
static unsigned int xmit(struct rte_mbuf **in, unsigned int n)
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

/* ------------------------------------------------------------------ */
/* Flows.                                                               */

struct tflow {
	uint32_t cip; /* IPv4 client, host order */
	uint8_t cip6[16];
	uint16_t cport;
	int sid; /* backend stats id seen for the flow's first packet */
};

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
static void gen_flows(struct tflow *fl, unsigned int n, int family6)
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
static uint32_t flow_frame4(uint8_t *f, const struct tflow *fl, uint32_t i,
			    uint32_t vip, uint16_t vport, uint8_t flags,
			    uint32_t ack)
{
	return frame_tcp4(f, port_mac, client_mac, fl[i].cip, vip, fl[i].cport,
			  vport, flags, i, ack);
}

static struct rte_mbuf **alloc_in(unsigned int n)
{
	struct rte_mbuf **in = calloc(n ? n : 1, sizeof(*in));

	if (in == NULL)
		abort();
	return in;
}

struct dsr_stats {
	unsigned int got, bad, moved, per_sid[256];
};

/*
 * Send one TCP packet (flags, ack) for flows [from, to) to a DSR VIP and
 * check every output: one per flow, the backend's MAC as destination, our
 * MAC as source, IP and TCP bytes unchanged. record: remember the
 * backend; otherwise count flows that moved to another backend.
 */
static void dsr_round(struct tflow *fl, unsigned int from, unsigned int to,
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

/* ------------------------------------------------------------------ */
/* Cases.                                                               */

static void test_arp_nd(void)
{
	uint8_t f[128], node6[16], cl6[16], sn[16],
		snmac[6] = { 0x33, 0x33, 0xff, 0, 0, 1 };
	struct rte_mbuf *mb;
	unsigned int got, replies = 0;

	/* ARP request for the node address. */
	mb = mk(f, frame_arp(f, bcast_mac, client_mac, 1, client_mac,
			     IP4(10, 0, 0, 99), zero_mac, IP4(10, 0, 0, 1)));
	got = xmit(&mb, 1);
	CHECK(got == 1);
	for (unsigned int k = 0; k < got; k++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);
		const uint8_t *a = o + 14;

		replies++;
		CHECK(be16_get(o + 12) == 0x0806);
		CHECK(memcmp(o, client_mac, 6) == 0);
		CHECK(memcmp(o + 6, port_mac, 6) == 0);
		CHECK(be16_get(a + 6) == 2);
		CHECK(memcmp(a + 8, port_mac, 6) == 0);
		CHECK(be32_get(a + 14) == IP4(10, 0, 0, 1));
		CHECK(memcmp(a + 18, client_mac, 6) == 0);
		CHECK(be32_get(a + 24) == IP4(10, 0, 0, 99));
	}
	free_out(got);
	CHECK(replies == 1);

	/* Neighbour solicitation for fd00::1. */
	v6(node6, "fd00::1");
	v6(cl6, "fd00::99");
	v6(sn, "ff02::1:ff00:1");
	mb = mk(f, frame_nd(f, snmac, client_mac, cl6, sn, 135, 0, node6,
			    client_mac));
	got = xmit(&mb, 1);
	CHECK(got == 1);
	for (unsigned int k = 0; k < got; k++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);
		const uint8_t *ip = o + 14, *ic = ip + 40;

		CHECK(rte_pktmbuf_data_len(out[k]) >= 14 + 40 + 32);
		CHECK(memcmp(o, client_mac, 6) == 0);
		CHECK(memcmp(o + 6, port_mac, 6) == 0);
		CHECK(be16_get(o + 12) == 0x86dd);
		CHECK(ip[6] == IPPROTO_ICMPV6 && ip[7] == 255);
		CHECK(be16_get(ip + 4) == 32);
		CHECK(memcmp(ip + 8, node6, 16) == 0);
		CHECK(memcmp(ip + 24, cl6, 16) == 0);
		CHECK(ic[0] == 136 && ic[1] == 0);
		CHECK((be32_get(ic + 4) & 0x40000000u) != 0); /* solicited */
		CHECK(memcmp(ic + 8, node6, 16) == 0);
		CHECK(ic[24] == 2 && ic[25] == 1);
		CHECK(memcmp(ic + 26, port_mac, 6) == 0);
		CHECK(l4_ok6(ip));
	}
	free_out(got);
}

static int near_share(unsigned int n, unsigned int total, double want)
{
	double share = (double)n / total;

	return share >= want * 0.95 && share <= want * 1.05;
}

static void test_dsr_and_change(struct tflow *fl)
{
	struct tflow *nf = calloc(N_NEW, sizeof(*nf));
	struct dsr_stats st;
	const uint32_t vip = IP4(10, 1, 0, 1);

	/* b. 20000 flows: SYNs, then ACKs. */
	gen_flows(fl, N_FLOWS, 0);
	dsr_round(fl, 0, N_FLOWS, vip, TH_SYN, 0, 1, 0, &st);
	CHECK_MSG(st.got == N_FLOWS, "%u of %u SYNs out", st.got, N_FLOWS);
	CHECK_MSG(st.bad == 0, "%u bad SYN outputs", st.bad);
	CHECK(st.per_sid[1] + st.per_sid[2] + st.per_sid[3] == N_FLOWS);
	CHECK_MSG(near_share(st.per_sid[1], N_FLOWS, 0.25) &&
			  near_share(st.per_sid[2], N_FLOWS, 0.5) &&
			  near_share(st.per_sid[3], N_FLOWS, 0.25),
		  "shares %u/%u/%u for weights 1/2/1", st.per_sid[1],
		  st.per_sid[2], st.per_sid[3]);
	dsr_round(fl, 0, N_FLOWS, vip, TH_ACK, 1, 0, 0, &st);
	CHECK_MSG(st.got == N_FLOWS, "%u of %u ACKs out", st.got, N_FLOWS);
	CHECK_MSG(st.bad == 0, "%u bad ACK outputs", st.bad);
	CHECK_MSG(st.moved == 0, "%u flows changed backend", st.moved);

	/* c. ACKs for every flow, configuration 2 published half-way. */
	dsr_round(fl, 0, N_FLOWS, vip, TH_ACK, 2, 0, 1, &st);
	CHECK_MSG(st.got == N_FLOWS, "config change: %u of %u packets out",
		  st.got, N_FLOWS);
	CHECK_MSG(st.bad == 0, "config change: %u bad outputs", st.bad);
	CHECK_MSG(st.moved == 0, "config change: %u flows moved", st.moved);
	CHECK(st.per_sid[1] > 0); /* established flows on .11 are kept */

	/* New flows after the change: never .11, some .14. */
	gen_flows(nf, N_NEW, 0);
	dsr_round(nf, 0, N_NEW, vip, TH_SYN, 0, 1, 0, &st);
	CHECK_MSG(st.got == N_NEW, "%u of %u new flows out", st.got, N_NEW);
	CHECK(st.bad == 0);
	CHECK_MSG(st.per_sid[1] == 0, "%u new flows went to the removed .11",
		  st.per_sid[1]);
	CHECK(st.per_sid[4] > 0);
	CHECK_MSG(st.per_sid[2] + st.per_sid[3] + st.per_sid[4] == N_NEW,
		  "new flows per backend: %u %u %u %u %u", st.per_sid[0],
		  st.per_sid[1], st.per_sid[2], st.per_sid[3], st.per_sid[4]);
	free(nf);
}

/*
 * The whole of an ICMPv4 error out of the fast path is consistent: outer
 * header checksum, ICMP checksum, and the quoted packet's IP and TCP
 * checksums (the quote is a whole segment here).
 */
static int icmp4_err_ok(const uint8_t *ip)
{
	const uint8_t *ic = ip + 20;

	return ip4_hdr_ok(ip) && be16_get(ip + 2) == 68 &&
	       rte_raw_cksum(ic, 48) == 0xffff && ip4_hdr_ok(ic + 8) &&
	       l4_ok4(ic + 8);
}

/*
 * ICMP errors of NAT flows are translated (RFC 5508): one sent to the VIP
 * about a reply goes to the flow's backend quoting what the backend sent;
 * one sent to a client about a packet to a backend quotes the VIP, and
 * when the backend sent it, comes from the VIP.
 */
static void test_nat_icmp(const struct tflow *fl)
{
	const uint32_t vip = IP4(10, 1, 0, 2), router = IP4(192, 0, 2, 254);
	uint32_t be = IP4(10, 0, 0, (uint32_t)fl->sid);
	uint8_t f[128], q[40], mac[6];
	uint64_t n0 = stats_sum_cnt(fp.stats, EP_CNT_NAT_ICMP);
	struct rte_mbuf *in[1];
	const uint8_t *o, *ip, *qt;
	unsigned int got;

	be_mac(mac, (uint32_t)fl->sid);
	/* A router on the client's side: our reply was too big. */
	quote_tcp4(q, vip, fl->cip, 80, fl->cport);
	in[0] = mk(f, frame_icmp4_err(f, port_mac, client_mac, router, vip, q));
	got = xmit(in, 1);
	CHECK_MSG(got == 1, "NAT ICMP to the VIP: %u out", got);
	if (got == 1) {
		o = rte_pktmbuf_mtod(out[0], const uint8_t *);
		ip = o + 14;
		qt = ip + 28;
		CHECK(memcmp(o, mac, 6) == 0 &&
		      memcmp(o + 6, port_mac, 6) == 0);
		CHECK(be32_get(ip + 12) == router && be32_get(ip + 16) == be);
		CHECK(be32_get(qt + 12) == be && be32_get(qt + 16) == fl->cip);
		CHECK(be16_get(qt + 20) == 8080 &&
		      be16_get(qt + 22) == fl->cport);
		CHECK_MSG(icmp4_err_ok(ip), "NAT ICMP to the VIP: checksums");
	}
	free_out(got);

	/* The backend itself: port unreachable for what we sent it. */
	quote_tcp4(q, fl->cip, be, fl->cport, 8080);
	in[0] = mk(f, frame_icmp4_err(f, port_mac, mac, be, fl->cip, q));
	got = xmit(in, 1);
	CHECK_MSG(got == 1, "NAT ICMP from the backend: %u out", got);
	if (got == 1) {
		o = rte_pktmbuf_mtod(out[0], const uint8_t *);
		ip = o + 14;
		qt = ip + 28;
		CHECK(memcmp(o, client_mac, 6) == 0);
		CHECK(be32_get(ip + 12) == vip && be32_get(ip + 16) == fl->cip);
		CHECK(be32_get(qt + 12) == fl->cip && be32_get(qt + 16) == vip);
		CHECK(be16_get(qt + 20) == fl->cport &&
		      be16_get(qt + 22) == 80);
		CHECK_MSG(icmp4_err_ok(ip),
			  "NAT ICMP from the backend: checksums");
	}
	free_out(got);

	/* A router on the backends' side keeps its own address. */
	in[0] = mk(f, frame_icmp4_err(f, port_mac, mac, router, fl->cip, q));
	got = xmit(in, 1);
	CHECK(got == 1);
	if (got == 1) {
		ip = rte_pktmbuf_mtod(out[0], const uint8_t *) + 14;
		CHECK(be32_get(ip + 12) == router &&
		      be32_get(ip + 28 + 16) == vip);
		CHECK(icmp4_err_ok(ip));
	}
	free_out(got);
	CHECK(stats_sum_cnt(fp.stats, EP_CNT_NAT_ICMP) == n0 + 3);
}

static void test_nat(void)
{
	struct tflow *fl = calloc(N_NAT, sizeof(*fl));
	struct rte_mbuf **in = alloc_in(N_NAT);
	uint8_t *seen = calloc(N_NAT, 1), f[128];
	const uint32_t vip = IP4(10, 1, 0, 2);
	unsigned int got, bad = 0, per[2] = { 0 };
	struct pkt_expect ex = { 0 };
	uint64_t drops0;

	gen_flows(fl, N_NAT, 0);
	for (unsigned int i = 0; i < N_NAT; i++)
		in[i] = mk(f, flow_frame4(f, fl, i, vip, 80, TH_SYN, 0));
	got = xmit(in, N_NAT);
	CHECK_MSG(got == N_NAT, "NAT: %u of %u out", got, N_NAT);
	for (unsigned int k = 0; k < got; k++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);
		int sid = out_sid(o);
		struct pkt_view v;
		uint32_t seq;

		if (!pkt_expect_decode(&ex, o, rte_pktmbuf_data_len(out[k]),
				       &v) ||
		    !PKT_EXPECT(&ex, "eth.type", v.ethertype, 0x0800) ||
		    !PKT_EXPECT(&ex, "tcp.seq < N_NAT", v.seq < N_NAT, 1) ||
		    !PKT_EXPECT(&ex, "tcp.seq seen before", seen[v.seq], 0) ||
		    !PKT_EXPECT(&ex, "eth.dst is backend 21 or 22",
				sid == 21 || sid == 22, 1)) {
			bad++;
			continue;
		}
		seq = v.seq;
		if (!pkt_expect_bytes(&ex, "eth.src", v.smac, port_mac, 6) ||
		    !PKT_EXPECT(&ex, "ip.dst", v.dst4,
				IP4(10, 0, 0, (uint32_t)sid)) ||
		    !PKT_EXPECT(&ex, "ip.src", v.src4, fl[seq].cip) ||
		    !PKT_EXPECT(&ex, "tcp.sport", v.sport, fl[seq].cport) ||
		    !PKT_EXPECT(&ex, "tcp.dport", v.dport, 8080) ||
		    !PKT_EXPECT(&ex, "tcp.flags", v.tcp_flags, TH_SYN) ||
		    !PKT_EXPECT(&ex, "ip.checksum valid", ip4_hdr_ok(v.l3),
				1) ||
		    !PKT_EXPECT(&ex, "tcp.checksum valid", l4_ok4(v.l3), 1)) {
			bad++;
			continue;
		}
		seen[seq] = 1;
		fl[seq].sid = sid;
		per[sid - 21]++;
	}
	free_out(got);
	CHECK_MSG(bad == 0, "NAT: %u bad forward outputs, first %s", bad,
		  ex.what);
	CHECK(per[0] > 0 && per[1] > 0);

	/* Replies from each flow's backend. */
	for (unsigned int i = 0; i < N_NAT; i++) {
		uint8_t mac[6];
		int sid = fl[i].sid < 0 ? 21 : fl[i].sid;

		be_mac(mac, (uint32_t)sid);
		in[i] = mk(f, frame_tcp4(f, port_mac, mac,
					 IP4(10, 0, 0, (uint32_t)sid),
					 fl[i].cip, 8080, fl[i].cport,
					 TH_SYN | TH_ACK, i, 1));
	}
	got = xmit(in, N_NAT);
	CHECK_MSG(got == N_NAT, "NAT replies: %u of %u out", got, N_NAT);
	memset(seen, 0, N_NAT);
	memset(&ex, 0, sizeof(ex));
	bad = 0;
	for (unsigned int k = 0; k < got; k++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);
		struct pkt_view v;
		uint32_t seq;

		if (!pkt_expect_decode(&ex, o, rte_pktmbuf_data_len(out[k]),
				       &v) ||
		    !PKT_EXPECT(&ex, "eth.type", v.ethertype, 0x0800) ||
		    !PKT_EXPECT(&ex, "tcp.seq < N_NAT", v.seq < N_NAT, 1) ||
		    !PKT_EXPECT(&ex, "tcp.seq seen before", seen[v.seq], 0)) {
			bad++;
			continue;
		}
		seq = v.seq;
		if (!pkt_expect_bytes(&ex, "eth.dst", v.dmac, client_mac, 6) ||
		    !pkt_expect_bytes(&ex, "eth.src", v.smac, port_mac, 6) ||
		    !PKT_EXPECT(&ex, "ip.src", v.src4, vip) ||
		    !PKT_EXPECT(&ex, "ip.dst", v.dst4, fl[seq].cip) ||
		    !PKT_EXPECT(&ex, "tcp.sport", v.sport, 80) ||
		    !PKT_EXPECT(&ex, "tcp.dport", v.dport, fl[seq].cport) ||
		    !PKT_EXPECT(&ex, "ip.checksum valid", ip4_hdr_ok(v.l3),
				1) ||
		    !PKT_EXPECT(&ex, "tcp.checksum valid", l4_ok4(v.l3), 1)) {
			bad++;
			continue;
		}
		seen[seq] = 1;
	}
	free_out(got);
	CHECK_MSG(bad == 0, "NAT: %u bad reply outputs, first %s", bad,
		  ex.what);

	/* A reply nobody asked for: punted, and with no slow path dropped. */
	drops0 = stats_sum_drop(fp.stats, EP_DROP_NO_SLOWPATH);
	in[0] = mk(f, frame_tcp4(f, port_mac, client_mac, IP4(10, 0, 0, 21),
				 IP4(192, 0, 2, 1), 8080, 5555, TH_ACK, 7, 1));
	got = xmit(in, 1);
	CHECK(got == 0);
	free_out(got);
	CHECK(stats_sum_drop(fp.stats, EP_DROP_NO_SLOWPATH) == drops0 + 1);
	test_nat_icmp(&fl[0]);
	free(seen);
	free(in);
	free(fl);
}

static void test_encap(void)
{
	struct tflow *fl = calloc(N_ENCAP, sizeof(*fl));
	struct rte_mbuf **in = alloc_in(N_ENCAP);
	uint8_t *seen = calloc(N_ENCAP, 1), f[256], exp[256], vip6[16],
		src6[16], be41[16], be42[16];
	unsigned int got, bad = 0, per[2] = { 0 };
	struct pkt_expect ex = { 0 };

	/* IP-in-IP towards 10.0.0.31 / .32. */
	gen_flows(fl, N_ENCAP, 0);
	for (unsigned int i = 0; i < N_ENCAP; i++)
		in[i] = mk(f, flow_frame4(f, fl, i, IP4(10, 1, 0, 3), 80,
					  TH_SYN, 0));
	got = xmit(in, N_ENCAP);
	CHECK_MSG(got == N_ENCAP, "IPIP: %u of %u out", got, N_ENCAP);
	for (unsigned int k = 0; k < got; k++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);
		uint16_t len = rte_pktmbuf_data_len(out[k]);
		int sid = out_sid(o);
		struct pkt_view v;
		uint32_t seq;

		if (!PKT_EXPECT(&ex, "frame length", len, 14 + 20 + 40) ||
		    !pkt_expect_decode(&ex, o, len, &v) ||
		    !PKT_EXPECT(&ex, "eth.type", v.ethertype, 0x0800) ||
		    !PKT_EXPECT(&ex, "eth.dst is backend 31 or 32",
				sid == 31 || sid == 32, 1) ||
		    !pkt_expect_bytes(&ex, "eth.src", v.smac, port_mac, 6) ||
		    !PKT_EXPECT(&ex, "ip.version_ihl", v.l3[0], 0x45) ||
		    !PKT_EXPECT(&ex, "ip.proto", v.proto, IPPROTO_IPIP) ||
		    !PKT_EXPECT(&ex, "ip.src", v.src4, IP4(10, 0, 0, 1)) ||
		    !PKT_EXPECT(&ex, "ip.dst", v.dst4,
				IP4(10, 0, 0, (uint32_t)sid)) ||
		    !PKT_EXPECT(&ex, "ip.total_length", v.ip_len, 40 + 20) ||
		    !PKT_EXPECT(&ex, "ip.checksum valid", ip4_hdr_ok(v.l3),
				1)) {
			bad++;
			continue;
		}
		seq = be32_get(v.l4 + 20 + 4); /* the inner TCP's seq */
		if (!PKT_EXPECT(&ex, "inner tcp.seq < N_ENCAP", seq < N_ENCAP,
				1) ||
		    !PKT_EXPECT(&ex, "inner tcp.seq seen before", seen[seq],
				0)) {
			bad++;
			continue;
		}
		seen[seq] = 1;
		flow_frame4(exp, fl, seq, IP4(10, 1, 0, 3), 80, TH_SYN, 0);
		if (!pkt_expect_bytes(&ex, "inner packet", v.l4, exp + 14, 40))
			bad++;
		per[sid - 31]++;
	}
	free_out(got);
	CHECK_MSG(bad == 0, "IPIP: %u bad outputs, first %s", bad, ex.what);
	CHECK(per[0] > 0 && per[1] > 0);

	/* GUE over IPv6 towards fd00::41 / ::42. */
	v6(vip6, "fd00:1::3");
	v6(src6, "fd00::1");
	v6(be41, "fd00::41");
	v6(be42, "fd00::42");
	gen_flows(fl, N_ENCAP, 1);
	for (unsigned int i = 0; i < N_ENCAP; i++)
		in[i] = mk(f, frame_tcp6(f, port_mac, client_mac, fl[i].cip6,
					 vip6, fl[i].cport, 443, TH_SYN, i, 0));
	got = xmit(in, N_ENCAP);
	CHECK_MSG(got == N_ENCAP, "GUE: %u of %u out", got, N_ENCAP);
	memset(seen, 0, N_ENCAP);
	memset(&ex, 0, sizeof(ex));
	bad = 0;
	per[0] = per[1] = 0;
	for (unsigned int k = 0; k < got; k++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);
		uint16_t len = rte_pktmbuf_data_len(out[k]);
		int sid = out_sid(o);
		struct pkt_view v;
		uint32_t seq;

		if (!PKT_EXPECT(&ex, "frame length", len, 14 + 40 + 8 + 60) ||
		    !pkt_expect_decode(&ex, o, len, &v) ||
		    !PKT_EXPECT(&ex, "eth.type", v.ethertype, 0x86dd) ||
		    !PKT_EXPECT(&ex, "eth.dst is backend 41 or 42",
				sid == 41 || sid == 42, 1) ||
		    !pkt_expect_bytes(&ex, "eth.src", v.smac, port_mac, 6) ||
		    !PKT_EXPECT(&ex, "ip6.version", v.ip_version, 6) ||
		    !PKT_EXPECT(&ex, "ip6.next_header", v.proto, IPPROTO_UDP) ||
		    !PKT_EXPECT(&ex, "ip6.payload_length", v.ip_len, 8 + 60) ||
		    !pkt_expect_bytes(&ex, "ip6.src", v.src6, src6, 16) ||
		    !pkt_expect_bytes(&ex, "ip6.dst", v.dst6,
				      sid == 41 ? be41 : be42, 16) ||
		    !PKT_EXPECT(&ex, "udp.dport", v.dport, 6080) ||
		    !PKT_EXPECT(&ex, "udp.length", v.udp_len, 8 + 60) ||
		    !PKT_EXPECT(&ex, "udp.checksum set", v.udp_csum != 0, 1) ||
		    !PKT_EXPECT(&ex, "udp.checksum valid", l4_ok6(v.l3), 1)) {
			bad++;
			continue;
		}
		seq = be32_get(v.l4 + 8 + 40 + 4); /* the inner TCP's seq */
		if (!PKT_EXPECT(&ex, "inner tcp.seq < N_ENCAP", seq < N_ENCAP,
				1) ||
		    !PKT_EXPECT(&ex, "inner tcp.seq seen before", seen[seq],
				0)) {
			bad++;
			continue;
		}
		seen[seq] = 1;
		frame_tcp6(exp, port_mac, client_mac, fl[seq].cip6, vip6,
			   fl[seq].cport, 443, TH_SYN, seq, 0);
		if (!pkt_expect_bytes(&ex, "inner packet", v.l4 + 8, exp + 14,
				      60))
			bad++;
		per[sid - 41]++;
	}
	free_out(got);
	CHECK_MSG(bad == 0, "GUE: %u bad outputs, first %s", bad, ex.what);
	CHECK(per[0] > 0 && per[1] > 0);
	free(seen);
	free(in);
	free(fl);
}

/* Count outputs that are TCP (IPv4 or IPv6); return the last one's index. */
static unsigned int count_tcp(unsigned int got, int *last)
{
	unsigned int n = 0;

	for (unsigned int k = 0; k < got; k++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);
		uint16_t et = be16_get(o + 12);

		if ((et == 0x0800 && o[14 + 9] == IPPROTO_TCP) ||
		    (et == 0x86dd && o[14 + 6] == IPPROTO_TCP)) {
			n++;
			*last = (int)k;
		}
	}
	return n;
}

static void test_arp_learning(void)
{
	struct tflow fl[3];
	struct rte_mbuf *mb;
	const uint8_t mac51[6] = { 0x02, 0, 0, 0, 0, 0x51 };
	uint8_t f[128];
	uint64_t nn0 = stats_sum_drop(fp.stats, EP_DROP_NO_NEIGH);
	uint64_t learned0 = stats_sum_cnt(fp.stats, EP_CNT_NEIGH_LEARNED);
	unsigned int got, arps = 0;
	int last = -1;

	gen_flows(fl, 3, 0);
	mb = mk(f, flow_frame4(f, fl, 0, IP4(10, 1, 0, 5), 80, TH_SYN, 0));
	got = xmit(&mb, 1);
	CHECK(got == 1);
	CHECK(count_tcp(got, &last) == 0);
	for (unsigned int k = 0; k < got; k++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);
		const uint8_t *a = o + 14;

		if (be16_get(o + 12) != 0x0806)
			continue;
		arps++;
		CHECK(memcmp(o, bcast_mac, 6) == 0);
		CHECK(memcmp(o + 6, port_mac, 6) == 0);
		CHECK(be16_get(a) == 1 && be16_get(a + 2) == 0x0800);
		CHECK(be16_get(a + 6) == 1);
		CHECK(memcmp(a + 8, port_mac, 6) == 0);
		CHECK(be32_get(a + 14) == IP4(10, 0, 0, 1));
		CHECK(be32_get(a + 24) == IP4(10, 0, 0, 51));
	}
	free_out(got);
	CHECK(arps == 1);
	CHECK(stats_sum_drop(fp.stats, EP_DROP_NO_NEIGH) == nn0 + 1);

	/* The backend answers; the reply itself is not forwarded. */
	mb = mk(f, frame_arp(f, port_mac, mac51, 2, mac51, IP4(10, 0, 0, 51),
			     port_mac, IP4(10, 0, 0, 1)));
	got = xmit(&mb, 1);
	CHECK(got == 0);
	free_out(got);
	CHECK(stats_sum_cnt(fp.stats, EP_CNT_NEIGH_LEARNED) == learned0 + 1);

	/* A new flow now goes out to the learned MAC. */
	mb = mk(f, flow_frame4(f, fl, 1, IP4(10, 1, 0, 5), 80, TH_SYN, 0));
	got = xmit(&mb, 1);
	CHECK(got == 1);
	CHECK(count_tcp(got, &last) == 1);
	if (last >= 0) {
		const uint8_t *o = rte_pktmbuf_mtod(out[last], const uint8_t *);

		CHECK(memcmp(o, mac51, 6) == 0);
		CHECK(memcmp(o + 6, port_mac, 6) == 0);
	}
	free_out(got);
}

/*
 * IPv6 learning: an advertisement without a target link-layer address
 * option tells us no MAC and must not be learned (the backend would get
 * 00:00:00:00:00:00); one with the option is.
 */
static void test_nd_learning(void)
{
	struct tflow fl[3];
	struct rte_mbuf *mb;
	const uint8_t mac52[6] = { 0x02, 0, 0, 0, 0, 0x52 };
	uint8_t f[128], vip6[16], be6[16], node6[16], sn[16];
	uint64_t nn0 = stats_sum_drop(fp.stats, EP_DROP_NO_NEIGH);
	unsigned int got, ns = 0;
	int last = -1;

	v6(vip6, "fd00:1::5");
	v6(be6, "fd00::52");
	v6(node6, "fd00::1");
	v6(sn, "ff02::1:ff00:52");
	gen_flows(fl, 3, 1);
	mb = mk(f, frame_tcp6(f, port_mac, client_mac, fl[0].cip6, vip6,
			      fl[0].cport, 80, TH_SYN, 0, 0));
	got = xmit(&mb, 1);
	CHECK(got == 1);
	CHECK(count_tcp(got, &last) == 0);
	for (unsigned int k = 0; k < got; k++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);
		const uint8_t *ip = o + 14, *ic = ip + 40;
		const uint8_t snmac[6] = { 0x33, 0x33, 0xff, 0, 0, 0x52 };

		if (be16_get(o + 12) != 0x86dd || ip[6] != IPPROTO_ICMPV6)
			continue;
		ns++;
		CHECK(memcmp(o, snmac, 6) == 0);
		CHECK(memcmp(o + 6, port_mac, 6) == 0);
		CHECK(ip[7] == 255);
		CHECK(memcmp(ip + 8, node6, 16) == 0);
		CHECK(memcmp(ip + 24, sn, 16) == 0);
		CHECK(ic[0] == 135 && ic[1] == 0);
		CHECK(memcmp(ic + 8, be6, 16) == 0);
		CHECK(ic[24] == 1 && memcmp(ic + 26, port_mac, 6) == 0);
		CHECK(l4_ok6(ip));
	}
	free_out(got);
	CHECK(ns == 1);
	CHECK(stats_sum_drop(fp.stats, EP_DROP_NO_NEIGH) == nn0 + 1);

	/* NA without a target link-layer address: nothing to learn. */
	mb = mk(f, frame_nd(f, port_mac, mac52, be6, node6, 136, 0x60000000u,
			    be6, NULL));
	got = xmit(&mb, 1);
	free_out(got);
	mb = mk(f, frame_tcp6(f, port_mac, client_mac, fl[1].cip6, vip6,
			      fl[1].cport, 80, TH_SYN, 1, 0));
	got = xmit(&mb, 1);
	CHECK_MSG(count_tcp(got, &last) == 0,
		  "an NA without a link-layer address was learned: packet "
		  "sent to %02x:%02x:%02x:%02x:%02x:%02x",
		  last >= 0 ? rte_pktmbuf_mtod(out[last], uint8_t *)[0] : 0,
		  last >= 0 ? rte_pktmbuf_mtod(out[last], uint8_t *)[1] : 0,
		  last >= 0 ? rte_pktmbuf_mtod(out[last], uint8_t *)[2] : 0,
		  last >= 0 ? rte_pktmbuf_mtod(out[last], uint8_t *)[3] : 0,
		  last >= 0 ? rte_pktmbuf_mtod(out[last], uint8_t *)[4] : 0,
		  last >= 0 ? rte_pktmbuf_mtod(out[last], uint8_t *)[5] : 0);
	free_out(got);

	/* NA with the option: learned, the next new flow goes out. */
	mb = mk(f, frame_nd(f, port_mac, mac52, be6, node6, 136, 0x60000000u,
			    be6, mac52));
	got = xmit(&mb, 1);
	CHECK(got == 0);
	free_out(got);
	mb = mk(f, frame_tcp6(f, port_mac, client_mac, fl[2].cip6, vip6,
			      fl[2].cport, 80, TH_SYN, 2, 0));
	got = xmit(&mb, 1);
	last = -1;
	CHECK(count_tcp(got, &last) == 1);
	if (last >= 0)
		CHECK(memcmp(rte_pktmbuf_mtod(out[last], uint8_t *), mac52,
			     6) == 0);
	free_out(got);
}

/* Recompute an IPv4 header checksum after an edit (stored as computed). */
static void set_ip4_csum(uint8_t *ip)
{
	struct rte_ipv4_hdr *h = (void *)ip;

	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
}

static void test_malformed(struct tflow *fl)
{
	static const struct {
		enum ep_drop_reason why;
		const char *name;
	} kinds[] = {
		{ EP_DROP_IP4_TRUNC, "truncated IPv4 header" },
		{ EP_DROP_IP4_BAD_CSUM, "bad IPv4 header checksum" },
		{ EP_DROP_IP4_BAD_LEN, "IPv4 total length past the frame" },
		{ EP_DROP_TCP_TRUNC, "truncated TCP header" },
		{ EP_DROP_NOT_FOR_US, "unicast to another host's MAC" },
	};
	uint64_t inserts0 = stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS);

	for (unsigned int i = 0; i < RTE_DIM(kinds); i++) {
		uint64_t d0 = stats_sum_drop(fp.stats, kinds[i].why);
		uint8_t f[128], *ip = f + 14;
		uint32_t len =
			flow_frame4(f, fl, i, IP4(10, 1, 0, 1), 80, TH_SYN, 0);
		struct rte_mbuf *mb;
		unsigned int got;

		switch (kinds[i].why) {
		case EP_DROP_IP4_TRUNC:
			len = 14 + 12;
			break;
		case EP_DROP_IP4_BAD_CSUM:
			ip[10] ^= 0x5a;
			break;
		case EP_DROP_IP4_BAD_LEN:
			be16_put(ip + 2, 200);
			set_ip4_csum(ip);
			break;
		case EP_DROP_NOT_FOR_US:
			f[5] ^= 0x40; /* still unicast, not the port's MAC */
			break;
		default: /* 10 bytes of TCP header */
			be16_put(ip + 2, 30);
			set_ip4_csum(ip);
			break;
		}
		mb = mk(f, len);
		got = xmit(&mb, 1);
		CHECK_MSG(got == 0, "%s forwarded", kinds[i].name);
		free_out(got);
		CHECK_MSG(stats_sum_drop(fp.stats, kinds[i].why) == d0 + 1,
			  "%s: drop counter %s did not move", kinds[i].name,
			  stats_drop_names[kinds[i].why]);
	}
	CHECK(stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS) == inserts0);
}

static void test_bad_config(struct tflow *fl)
{
	struct ep_event_msg ev;
	struct dsr_stats st;
	struct ep_cfg_hdr *h;
	struct flat_build c;
	uint64_t gen = fp.snap->generation;
	uint32_t len;
	uint8_t *buf;

	make_cfg(&c, 2);
	buf = cfg_flat(&c, 3, &len);
	h = (struct ep_cfg_hdr *)buf;

	h->magic = 0x12345678;
	memset(&ev, 0, sizeof(ev));
	CHECK(ctrl_apply(buf, len, &ev) < 0);
	CHECK(ev.status < 0);
	CHECK(ev.error[0] != '\0');
	CHECK(ev.generation == gen);
	h->magic = EP_CFG_MAGIC;

	/* Service 0's backends run past the backend array. */
	((struct ep_cfg_service *)(buf + h->off_services))[0].n_backends =
		c.n_be + 5;
	memset(&ev, 0, sizeof(ev));
	CHECK(ctrl_apply(buf, len, &ev) < 0);
	CHECK(ev.status < 0);
	CHECK_MSG(ev.error[0] != '\0', "no error text");
	CHECK(ev.generation == gen);
	CHECK(fp.snap->generation == gen);
	CHECK(fp.snap->version == 2);
	free(buf);

	/* Established flows still go where they went. */
	dsr_round(fl, 0, 500, IP4(10, 1, 0, 1), TH_ACK, 3, 0, 0, &st);
	CHECK(st.got == 500);
	CHECK(st.bad == 0);
	CHECK(st.moved == 0);
}

/*
 * Two packets of one new flow in one RX burst (a SYN and its ACK, or a
 * UDP client's first datagrams): the second must join the flow the first
 * created, not pick again. With a round-robin scheduler a second pick
 * names the other backend.
 */
static void test_same_burst(void)
{
	struct tflow fl[N_SAME_BURST];
	struct rte_mbuf *in[2 * N_SAME_BURST];
	struct ep_svc_counters sc0, sc1;
	uint64_t fb0 = stats_sum_cnt(fp.stats, EP_CNT_CT_FALLBACK);
	int sid[N_SAME_BURST][2];
	unsigned int got, split = 0, missing = 0;
	uint8_t f[128];

	stats_sum_svc(fp.stats, SVC_WRR, &sc0);
	gen_flows(fl, N_SAME_BURST, 0);
	for (unsigned int i = 0; i < N_SAME_BURST; i++) {
		in[2 * i] = mk(f, flow_frame4(f, fl, i, IP4(10, 1, 0, 7), 80,
					      TH_SYN, 0));
		in[2 * i + 1] = mk(f, flow_frame4(f, fl, i, IP4(10, 1, 0, 7),
						  80, TH_ACK, 1));
		sid[i][0] = sid[i][1] = -1;
	}
	/* One bulk enqueue: the worker sees all 16 in one burst. */
	CHECK(rte_ring_sp_enqueue_bulk(rx_ring, (void **)in, RTE_DIM(in),
				       NULL) == RTE_DIM(in));
	got = xmit(NULL, 0);
	CHECK(got == 2 * N_SAME_BURST);
	for (unsigned int k = 0; k < got; k++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);
		uint32_t seq = be32_get(o + 14 + 20 + 4);

		if (seq < N_SAME_BURST)
			sid[seq][o[14 + 20 + 13] == TH_ACK] = out_sid(o);
	}
	free_out(got);
	for (unsigned int i = 0; i < N_SAME_BURST; i++) {
		missing += sid[i][0] < 0 || sid[i][1] < 0;
		split += sid[i][0] != sid[i][1];
	}
	CHECK(missing == 0);
	CHECK_MSG(split == 0,
		  "%u of %u flows whose SYN and ACK shared a burst were split "
		  "across backends",
		  split, N_SAME_BURST);
	stats_sum_svc(fp.stats, SVC_WRR, &sc1);
	CHECK_MSG(sc1.new_flows - sc0.new_flows == N_SAME_BURST,
		  "%" PRIu64 " new flows counted for %u flows",
		  sc1.new_flows - sc0.new_flows, N_SAME_BURST);
	CHECK(stats_sum_cnt(fp.stats, EP_CNT_CT_FALLBACK) == fb0);
}

static void test_counters(void)
{
	static const struct {
		uint32_t sid;
		uint64_t flows;
	} want[] = {
		{ SVC_DSR, N_FLOWS + N_NEW },
		{ SVC_NAT, N_NAT },
		{ SVC_IPIP, N_ENCAP },
		{ SVC_GUE, N_ENCAP },
		{ SVC_LEARN4, 2 },
		{ SVC_LEARN6, 3 },
		{ SVC_WRR, N_SAME_BURST },
	};
	uint64_t total = 0;

	for (unsigned int i = 0; i < RTE_DIM(want); i++) {
		struct ep_svc_counters sc;

		stats_sum_svc(fp.stats, want[i].sid, &sc);
		CHECK_MSG(sc.new_flows == want[i].flows,
			  "service %u: %" PRIu64 " new flows, want %" PRIu64,
			  want[i].sid, sc.new_flows, want[i].flows);
		total += want[i].flows;
	}
	CHECK_MSG(stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS) == total,
		  "ct_inserts %" PRIu64 ", want %" PRIu64,
		  stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS), total);
	CHECK(stats_sum_cnt(fp.stats, EP_CNT_CT_EVICTIONS) == 0);
	CHECK(stats_sum_drop(fp.stats, EP_DROP_TX_FULL) == 0);
}

/* The service with stats id `sid` in the snapshot in force. */
static const struct snap_service *svc_by_sid(uint32_t sid)
{
	for (uint32_t i = 0; i < fp.snap->n_services; i++)
		if (fp.snap->services[i].stats_id == sid)
			return &fp.snap->services[i];
	return NULL;
}

/* Play the main lcore's idle loop until no deferred table is left. */
static void build_all_pending(void)
{
	for (int i = 0; i < 100000 && ctrl_build_pending(1000) > 0; i++)
		;
	CHECK(snap_maglev_pending() == 0);
	CHECK(fp.stats->maglev_pending == 0);
}

/*
 * New services forward at once on provisional tables, and end with
 * their full tables; flows made meanwhile stay on their backends. A
 * change while builds are pending: the removed service's build is
 * dropped, the changed one never sends a new flow to its removed backend.
 */
static void test_provisional(void)
{
	const uint32_t vip = IP4(10, 1, 0, 8), vip2 = IP4(10, 1, 0, 9);
	struct tflow *pf = calloc(N_NEW, sizeof(*pf));
	struct snap_maglev_counts c0, c1;
	const struct snap_service *sv;
	struct ep_event_msg ev;
	struct dsr_stats st;
	unsigned int b;

	build_all_pending(); /* what configuration 1 deferred */
	snap_maglev_counts(&c0);
	snap_set_sync_build_slots(0); /* every new service provisional */
	CHECK(apply_cfg(3, 3, &ev) == 0 && ev.status == 0);
	CHECK(snap_maglev_pending() == 2 && fp.stats->maglev_pending == 2);
	sv = svc_by_sid(SVC_PROV);
	CHECK(sv != NULL && sv->maglev_ref->pending);
	CHECK(sv != NULL && sv->maglev_ref->cur->size < EP_MAGLEV_DEFAULT_SIZE);

	/* Forwarding now, on the provisional table. */
	gen_flows(pf, N_NEW, 0);
	dsr_round(pf, 0, N_NEW / 2, vip, TH_SYN, 0, 1, 0, &st);
	CHECK_MSG(st.got == N_NEW / 2 && st.bad == 0,
		  "provisional: %u of %u out, %u bad", st.got, N_NEW / 2,
		  st.bad);
	for (b = 81; b <= 84; b++)
		CHECK_MSG(near_share(st.per_sid[b], N_NEW / 2, 0.25) ||
				  st.per_sid[b] > N_NEW / 16,
			  "provisional: backend %u got %u", b, st.per_sid[b]);

	/* Full tables in place: the same flows stay where they were. */
	build_all_pending();
	sv = svc_by_sid(SVC_PROV);
	CHECK(sv != NULL && !sv->maglev_ref->pending &&
	      sv->maglev_ref->cur->size == EP_MAGLEV_DEFAULT_SIZE);
	dsr_round(pf, 0, N_NEW / 2, vip, TH_ACK, 1, 0, 0, &st);
	CHECK_MSG(st.got == N_NEW / 2 && st.bad == 0 && st.moved == 0,
		  "after the full table: %u out, %u bad, %u moved", st.got,
		  st.bad, st.moved);
	dsr_round(pf, N_NEW / 2, N_NEW, vip, TH_SYN, 0, 1, 0, &st);
	for (b = 81; b <= 84; b++)
		CHECK_MSG(near_share(st.per_sid[b], N_NEW / 2, 0.25) ||
				  (st.per_sid[b] > N_NEW / 10 &&
				   st.per_sid[b] < N_NEW / 6),
			  "full table: backend %u got %u of %u", b,
			  st.per_sid[b], N_NEW / 2);

	/* Back to configuration 2, then 3 and 4 before any build. */
	CHECK(apply_cfg(2, 4, &ev) == 0);
	CHECK(apply_cfg(3, 5, &ev) == 0);
	CHECK(apply_cfg(4, 6, &ev) == 0 && ev.status == 0);
	CHECK(svc_by_sid(SVC_PROV) == NULL);
	gen_flows(pf, N_NEW, 0);
	dsr_round(pf, 0, N_NEW / 2, vip2, TH_SYN, 0, 1, 0, &st);
	CHECK_MSG(st.got == N_NEW / 2 && st.bad == 0 && st.per_sid[93] == 0 &&
			  st.per_sid[94] > 0,
		  "pending change: %u out, %u bad, %u to the removed .93",
		  st.got, st.bad, st.per_sid[93]);
	build_all_pending();
	snap_maglev_counts(&c1);
	/* prov and prov2 of version 5 were dropped unbuilt, prov2 of 6 built */
	CHECK_MSG(c1.abandoned - c0.abandoned == 2 && c1.built - c0.built == 3,
		  "abandoned %" PRIu64 " built %" PRIu64,
		  c1.abandoned - c0.abandoned, c1.built - c0.built);
	sv = svc_by_sid(SVC_PROV2);
	CHECK(sv != NULL &&
	      sv->maglev_ref->cur->size == EP_MAGLEV_DEFAULT_SIZE);
	dsr_round(pf, 0, N_NEW / 2, vip2, TH_ACK, 1, 0, 0, &st);
	CHECK(st.got == N_NEW / 2 && st.bad == 0 && st.moved == 0);
	dsr_round(pf, N_NEW / 2, N_NEW, vip2, TH_SYN, 0, 1, 0, &st);
	CHECK(st.got == N_NEW / 2 && st.per_sid[93] == 0 && st.per_sid[94] > 0);
	snap_set_sync_build_slots(SNAP_SYNC_BUILD_SLOTS);
	CHECK(apply_cfg(2, 7, &ev) == 0);
	free(pf);
}

/* ------------------------------------------------------------------ */

int main(void)
{
	struct tflow *fl = calloc(N_FLOWS, sizeof(*fl));
	struct ep_event_msg ev;
	unsigned int pool0;
	uint64_t t0;
	int rc;

	if (fl == NULL ||
	    test_eal_init_workers("test_fastpath", "1024", TEST_WORKERS) < 0)
		return 1;
	t0 = rte_rdtsc();
	if (fph_port_create("tfp", TEST_MBUFS, 256, 512) < 0)
		return 1;

	rc = fph_fp_setup(12345);
	CHECK(rc == 0);
	CHECK(fp.n_workers == TEST_WORKERS && fp.n_ports == 1);
	if (rc != 0) {
		fp_teardown();
		rte_eal_cleanup();
		check_summary("fastpath");
		return 1;
	}
	fph_fp_start(&pool0);

	CHECK(apply_cfg(1, 1, &ev) == 0);
	CHECK(ev.status == 0 && ev.generation == 1 && ev.version == 1);

	test_arp_nd(); /* a */
	test_dsr_and_change(fl); /* b, c */
	test_nat(); /* d */
	test_encap(); /* e */
	test_arp_learning(); /* f */
	test_nd_learning(); /* f, IPv6 */
	test_malformed(fl); /* g */
	test_bad_config(fl); /* h */
	test_same_burst();
	test_counters(); /* i */
	test_provisional();
	if (TEST_WORKERS > 1) {
		/* Work was spread, and every worker kept flows of its own. */
		CHECK(stats_sum_cnt(fp.stats, EP_CNT_HANDOFF_OUT) > 0);
		for (unsigned int w = 0; w < TEST_WORKERS; w++)
			CHECK_MSG(fp.stats->lcore[w].cnt[EP_CNT_CT_INSERTS] > 0,
				  "worker %u made no flows", w);
	}

	fph_check_drained(pool0, TEST_MBUFS);
	for (unsigned int q = 0; q < TEST_WORKERS; q++)
		CHECK(rte_ring_count(tx_rings[q]) == 0);

	fp_teardown();
	printf("fastpath test: %.2f s\n",
	       (double)(rte_rdtsc() - t0) / rte_get_tsc_hz());
	rc = check_summary(TEST_WORKERS > 1 ? "fastpath_2workers" : "fastpath");
	fph_port_free();
	rte_eal_cleanup();
	free(fl);
	return rc;
}
