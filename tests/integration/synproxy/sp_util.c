/* SPDX-License-Identifier: BSD-3-Clause */
/* test_synproxy's harness: see synproxy_test.h. */
#include "synproxy_test.h"

struct rte_ring *rx_ring, *tx_rings[TEST_WORKERS];
struct rte_mempool *test_pool;
uint8_t port_mac[6];
const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x99 };
const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
struct rte_mbuf *out[MAX_OUT];
uint64_t rng = 0x2545f4914f6cdd1dull;

const struct syncookie_key key_a = { 0x0123456789abcdefull,
				     0x0fedcba987654321ull };
const struct syncookie_key key_b = { 0x1111222233334444ull,
				     0x5555666677778888ull };

uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

void be_mac(uint8_t mac[6], uint32_t sid)
{
	const uint8_t m[6] = { 0x02, 0, 0, 0, 0xbe, (uint8_t)sid };

	memcpy(mac, m, 6);
}

int ip4_ok(const uint8_t *ip)
{
	return ref_fold(ref_sum16(ip, 20)) == 0xffff;
}

int tcp4_ok(const uint8_t *ip)
{
	uint32_t len = be16_get(ip + 2) - 20u;

	return ref_fold(ref_sum16(ip + 12, 8) + 6 + len +
			ref_sum16(ip + 20, len)) == 0xffff;
}

/* A connections/s limit of 1 (burst 1) on the service, when set. */
int cps_limit;

/* secrets: 0 key_a; 1 key_b with key_a previous; 2 key_b alone. */
int apply(int secrets, uint64_t version)
{
	struct flat_build c;
	struct ep_cfg_service *s;
	struct ep_event_msg ev;
	uint32_t len;
	uint8_t *buf;
	int rc;

	flat_init(&c, 0);
	c.h.version = version;
	flat_add_addr(&c, ep_ip4u(IP4(10, 0, 0, 1)));
	s = flat_add_service(&c, "sp", ep_ip4u(VIP), 80, SVC_SP);
	s->fwd_mode = EP_FWD_NAT;
	s->flags = EP_SVC_F_SYN_PROXY;
	if (cps_limit)
		s->limits[EP_LIMIT_CPS] = (struct ep_cfg_limit){
			.rate = 1, .burst = 1, .mode = EP_LIMIT_TOKEN_BUCKET
		};
	for (uint32_t b = 21; b <= 22; b++) {
		struct ep_cfg_backend *be = flat_add_backend(
			&c, ep_ip4u(IP4(10, 0, 0, b)), BE_PORT, 1, b);

		be->has_mac = 1;
		be_mac(be->mac, b);
	}
	c.h.node.syn_cookie_flags = EP_SYN_COOKIE_F_KEY;
	c.h.node.syn_cookie_key[0] = (secrets ? key_b : key_a).k0;
	c.h.node.syn_cookie_key[1] = (secrets ? key_b : key_a).k1;
	if (secrets == 1) {
		c.h.node.syn_cookie_flags |= EP_SYN_COOKIE_F_PREV;
		c.h.node.syn_cookie_prev[0] = key_a.k0;
		c.h.node.syn_cookie_prev[1] = key_a.k1;
	}
	buf = flat_bytes(&c, &len);
	rc = ctrl_apply(buf, len, &ev);
	free(buf);
	return rc == 0 ? ev.status : rc;
}

/* Ethernet (to the port) and IPv4 headers for `l4_len` bytes of proto,
 * which are zeroed. */
static void frame_ip4(uint8_t *f, const uint8_t smac[6], uint32_t sip,
		      uint32_t dip, uint8_t proto, uint32_t l4_len)
{
	uint8_t *ip = f + 14;

	memset(f, 0, 14 + 20 + l4_len);
	memcpy(f, port_mac, 6);
	memcpy(f + 6, smac, 6);
	be16_put(f + 12, 0x0800);
	ip[0] = 0x45;
	be16_put(ip + 2, (uint16_t)(20 + l4_len));
	ip[8] = 64;
	ip[9] = proto;
	be32_put(ip + 12, sip);
	be32_put(ip + 16, dip);
	be16_put(ip + 10, ref_csum(ip, 20));
}

/* A TCP/IPv4 frame; `mss` adds the option (SYNs). */
uint32_t frame_tcp(uint8_t *f, const uint8_t smac[6], uint32_t sip,
		   uint32_t dip, uint16_t sport, uint16_t dport, uint8_t flags,
		   uint32_t seq, uint32_t ack, uint16_t win, uint16_t mss,
		   uint32_t payload)
{
	uint8_t *ip = f + 14, *t = ip + 20;
	uint32_t tl = (mss ? 24u : 20u) + payload;

	frame_ip4(f, smac, sip, dip, 6, tl);
	be16_put(t, sport);
	be16_put(t + 2, dport);
	be32_put(t + 4, seq);
	be32_put(t + 8, ack);
	t[12] = (uint8_t)(((mss ? 24 : 20) / 4) << 4);
	t[13] = flags;
	be16_put(t + 14, win);
	if (mss) {
		t[20] = 2;
		t[21] = 4;
		be16_put(t + 22, mss);
	}
	for (uint32_t i = 0; i < payload; i++)
		t[(mss ? 24 : 20) + i] = (uint8_t)('a' + i % 26);
	be16_put(t + 16, (uint16_t)~ref_fold(ref_sum16(ip + 12, 8) + 6 + tl +
					     ref_sum16(t, tl)));
	return 14 + 20 + tl;
}

uint32_t frame_icmp_quote(uint8_t *f, const uint8_t smac[6], uint32_t sip,
			  uint32_t dip, const uint8_t *quoted_ip, uint32_t qlen)
{
	uint8_t *icmp = f + 14 + 20;
	uint32_t tl = 8 + qlen;

	frame_ip4(f, smac, sip, dip, 1, tl);
	icmp[0] = 3; /* destination unreachable */
	icmp[1] = 4; /* fragmentation needed */
	be16_put(icmp + 6, 1400); /* next-hop MTU */
	memcpy(icmp + 8, quoted_ip, qlen);
	be16_put(icmp + 2, ref_csum(icmp, tl));
	return 14 + 20 + tl;
}

uint32_t frame_barrier(uint8_t *f)
{
	uint8_t *a = f + 14;

	memset(f, 0, 60);
	memcpy(f, bcast_mac, 6);
	memcpy(f + 6, client_mac, 6);
	be16_put(f + 12, 0x0806);
	be16_put(a, 1);
	be16_put(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	be16_put(a + 6, 1);
	memcpy(a + 8, client_mac, 6);
	be32_put(a + 14, BARRIER_IP);
	be32_put(a + 24, IP4(10, 0, 0, 1));
	return 60;
}

struct rte_mbuf *mk(const uint8_t *f, uint32_t len)
{
	struct rte_mbuf *mb = rte_pktmbuf_alloc(test_pool);

	if (mb == NULL)
		abort();
	memcpy(rte_pktmbuf_append(mb, (uint16_t)len), f, len);
	return mb;
}

int is_barrier_reply(const struct rte_mbuf *mb)
{
	const uint8_t *f = rte_pktmbuf_mtod(mb, const uint8_t *);

	return rte_pktmbuf_data_len(mb) >= 42 && be16_get(f + 12) == 0x0806 &&
	       be16_get(f + 20) == 2 && be32_get(f + 38) == BARRIER_IP;
}

int settled(void)
{
	uint64_t idle0[TEST_WORKERS], deadline = rte_rdtsc() + rte_get_tsc_hz();

	if (stats_sum_cnt(fp.stats, EP_CNT_HANDOFF_IN) !=
	    stats_sum_cnt(fp.stats, EP_CNT_HANDOFF_OUT))
		return 0;
	for (unsigned int w = 0; w < TEST_WORKERS; w++)
		idle0[w] = __atomic_load_n(
			&fp.stats->lcore[w].cnt[EP_CNT_IDLE_POLLS],
			__ATOMIC_ACQUIRE);
	for (unsigned int w = 0; w < TEST_WORKERS; w++)
		while (__atomic_load_n(
			       &fp.stats->lcore[w].cnt[EP_CNT_IDLE_POLLS],
			       __ATOMIC_ACQUIRE) < idle0[w] + 2) {
			if (rte_rdtsc() > deadline)
				return 0;
			sched_yield();
		}
	return 1;
}

/* Send `n` frames and a barrier; collect what comes out into out[]. */
unsigned int xmit(struct rte_mbuf **in, unsigned int n)
{
	uint8_t f[64];
	struct rte_mbuf *b = mk(f, frame_barrier(f)), *tmp[64];
	uint64_t deadline = rte_rdtsc() + WAIT_S * rte_get_tsc_hz();
	unsigned int got = 0, sent = 0;
	int done = 0, calm = 0;

	while (sent < n && rte_rdtsc() < deadline)
		sent += rte_ring_sp_enqueue_burst(rx_ring, (void **)in + sent,
						  RTE_MIN(n - sent, 256u),
						  NULL);
	CHECK(sent == n);
	while (rte_ring_sp_enqueue(rx_ring, b) != 0 && rte_rdtsc() < deadline)
		sched_yield();
	for (;;) {
		unsigned int k = 0;

		for (unsigned int q = 0; q < TEST_WORKERS; q++)
			k += rte_ring_sc_dequeue_burst(
				tx_rings[q], (void **)tmp + k, 64 - k, NULL);
		for (unsigned int i = 0; i < k; i++) {
			if (is_barrier_reply(tmp[i])) {
				rte_pktmbuf_free(tmp[i]);
				done = 1;
			} else if (got < MAX_OUT) {
				out[got++] = tmp[i];
			} else {
				rte_pktmbuf_free(tmp[i]);
			}
		}
		if (k == 0 && done && calm)
			break;
		if (k == 0 && done) {
			/* What the workers flush while settling: one more
			 * pass after they have all come back to idle. */
			calm = TEST_WORKERS == 1 || settled();
			continue;
		}
		if (k == 0 && rte_rdtsc() > deadline)
			break;
		if (k == 0)
			sched_yield();
	}
	CHECK_MSG(done, "barrier reply did not come back");
	return got;
}

void free_out(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		rte_pktmbuf_free(out[i]);
}

uint64_t svc_cnt(size_t off)
{
	uint64_t v = 0;

	for (unsigned int w = 0; w < EP_MAX_WORKERS; w++)
		v += *(const uint64_t *)((const uint8_t *)&fp.stats
						 ->svc[w][SVC_SP] +
					 off);
	return v;
}

#define SVC(field) svc_cnt(offsetof(struct ep_svc_counters, field))

void lcores_arg(char *buf, size_t len)
{
	cpu_set_t set;
	int cpus[2] = { 0, 0 }, n = 0, off;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
			if (CPU_ISSET(c, &set))
				cpus[n++] = c;
	if (n < 2)
		cpus[1] = cpus[0];
	off = snprintf(buf, len, "--lcores=0@%d", cpus[0]);
	for (int w = 1; w <= TEST_WORKERS; w++)
		off += snprintf(buf + off, len - (size_t)off, ",%d@%d", w,
				cpus[1]);
}
