/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration test of the SYN proxy in the real fast path (fp_setup,
 * workers, ctrl_apply) on a net_ring port, one worker or (TEST_WORKERS=2)
 * two sharing the port's RX queue. A `nat` service with syn_proxy on:
 * - client SYNs are answered by the fast path: SYN-ACK from the VIP,
 *   window 0, the cookie of the configured secret as its ISN, the MSS
 *   option; nothing reaches a backend and no connection entry is made;
 * - ACKs with a wrong cookie, or stray RSTs, are dropped and counted;
 * - a valid ACK becomes the backend's SYN (client's ISN, MSS); client
 *   data before the backend answers is held back (dropped, counted);
 * - the backend's SYN-ACK is acknowledged towards the backend and turned
 *   into the client's window update; then data both ways has its
 *   numbers translated and its checksums right;
 * - a backend that refuses (RST) has its RST reach the client in the
 *   client's numbers;
 * - rotation: with the secret moved to previous_secret, cookies made
 *   before still open connections; with it gone, they do not;
 * - over the service's connections/s, a valid cookie opens nothing and
 *   the client gets an RST in its own numbers.
 * Each batch ends with an ARP "barrier" (see test_fastpath.c).
 */
#include "synproxy_test.h"

static struct client *find_client(struct client *cl, unsigned int n,
				  uint32_t ip, uint16_t port)
{
	for (unsigned int i = 0; i < n; i++)
		if (cl[i].ip == ip && cl[i].port == port)
			return &cl[i];
	return NULL;
}

/* The cookie the fast path should make (this slot or the one before). */
static int cookie_of(const struct syncookie_key *k, const struct client *c,
		     uint32_t cookie)
{
	struct syncookie_secrets s = { .cur = *k };
	struct flow_key fk;
	uint32_t slot = syncookie_slot((uint64_t)time(NULL));

	memset(&fk, 0, sizeof(fk));
	be32_put(fk.src, c->ip);
	be32_put(fk.dst, VIP);
	fk.sport = rte_cpu_to_be_16(c->port);
	fk.dport = rte_cpu_to_be_16(80);
	fk.proto = 6;
	fk.family = EP_AF_INET;
	return syncookie_make(&s, &fk, c->isn, 1460, slot) == cookie ||
	       syncookie_make(&s, &fk, c->isn, 1460, slot - 1) == cookie;
}

/* 1. SYNs: answered with cookies, no entry, nothing to a backend. */
static void step_syn(struct client *cl, unsigned int n,
		     const struct syncookie_key *k)
{
	struct rte_mbuf *in[N_CLIENTS];
	uint8_t f[128];
	uint64_t sent0 = SVC(syn_cookie_sent);
	uint64_t ins0 = stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS);
	struct pkt_expect ex = { 0 };
	unsigned int got, bad = 0;

	for (unsigned int i = 0; i < n; i++)
		in[i] = mk(f,
			   frame_tcp(f, client_mac, cl[i].ip, VIP, cl[i].port,
				     80, TH_SYN, cl[i].isn, 0, 64240, 1460, 0));
	got = xmit(in, n);
	CHECK_MSG(got == n, "SYN-ACKs: %u of %u", got, n);
	for (unsigned int j = 0; j < got; j++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[j], const uint8_t *);
		struct pkt_view v;
		struct client *c;

		if (!pkt_expect_decode(&ex, o, rte_pktmbuf_data_len(out[j]),
				       &v) ||
		    !PKT_EXPECT(&ex, "ip.src", v.src4, VIP) ||
		    (c = find_client(cl, n, v.dst4, v.dport)) == NULL) {
			bad++;
			continue;
		}
		c->cookie = v.seq;
		if (!pkt_expect_bytes(&ex, "eth.dst", v.dmac, client_mac, 6) ||
		    !pkt_expect_bytes(&ex, "eth.src", v.smac, port_mac, 6) ||
		    !PKT_EXPECT(&ex, "tcp.sport", v.sport, 80) ||
		    !PKT_EXPECT(&ex, "tcp.flags", v.tcp_flags,
				TH_SYN | TH_ACK) ||
		    !PKT_EXPECT(&ex, "tcp.ack", be32_get(v.l4 + 8),
				c->isn + 1) ||
		    !PKT_EXPECT(&ex, "tcp.window", be16_get(v.l4 + 14), 0) ||
		    !PKT_EXPECT(&ex, "tcp.mss", be16_get(v.l4 + 22), 1460) ||
		    !PKT_EXPECT(&ex, "cookie of the secret",
				cookie_of(k, c, v.seq), 1) ||
		    !PKT_EXPECT(&ex, "ip.checksum", ip4_ok(v.l3), 1) ||
		    !PKT_EXPECT(&ex, "tcp.checksum", tcp4_ok(v.l3), 1))
			bad++;
	}
	free_out(got);
	CHECK_MSG(bad == 0, "%u bad SYN-ACKs, first %s", bad, ex.what);
	CHECK(SVC(syn_cookie_sent) == sent0 + n);
	CHECK(stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS) == ins0);
}

/* 2. ACKs that return no valid cookie: dropped, counted. */
static void step_invalid(struct client *cl, unsigned int n)
{
	struct rte_mbuf *in[N_CLIENTS];
	uint8_t f[128];
	uint64_t inv0 = SVC(syn_cookie_invalid);
	uint64_t drop0 = stats_sum_drop(fp.stats, EP_DROP_SYN_COOKIE_INVALID);
	unsigned int got;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t ack = cl[i].cookie + 1, seq = cl[i].isn + 1;

		if (i % 3 == 0)
			ack ^= 1u << (i % 24); /* another MAC */
		else if (i % 3 == 1)
			seq += 1; /* another ISN */
		else
			ack ^= 1u << 24; /* another MSS index */
		in[i] = mk(f,
			   frame_tcp(f, client_mac, cl[i].ip, VIP, cl[i].port,
				     80, TH_ACK, seq, ack, 64240, 0, 0));
	}
	got = xmit(in, n);
	CHECK_MSG(got == 0, "%u packets out for invalid cookies", got);
	free_out(got);
	CHECK(SVC(syn_cookie_invalid) == inv0 + n);
	CHECK(stats_sum_drop(fp.stats, EP_DROP_SYN_COOKIE_INVALID) ==
	      drop0 + n);
}

/* 3. Valid ACKs: each becomes the backend's SYN. */
static void step_ack(struct client *cl, unsigned int n, unsigned int want)
{
	struct rte_mbuf *in[N_CLIENTS];
	uint8_t f[128];
	struct pkt_expect ex = { 0 };
	unsigned int got, bad = 0;

	for (unsigned int i = 0; i < n; i++)
		in[i] = mk(f, frame_tcp(f, client_mac, cl[i].ip, VIP,
					cl[i].port, 80, TH_ACK, cl[i].isn + 1,
					cl[i].cookie + 1, 1000 + i, 0, 0));
	got = xmit(in, n);
	CHECK_MSG(got == want, "backend SYNs: %u, expected %u", got, want);
	for (unsigned int j = 0; j < got; j++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[j], const uint8_t *);
		struct pkt_view v;
		struct client *c;

		if (!pkt_expect_decode(&ex, o, rte_pktmbuf_data_len(out[j]),
				       &v) ||
		    (c = find_client(cl, n, v.src4, v.sport)) == NULL) {
			bad++;
			continue;
		}
		c->be = o[5];
		if (!PKT_EXPECT(&ex, "eth.dst is a backend",
				o[4] == 0xbe && (o[5] == 21 || o[5] == 22),
				1) ||
		    !PKT_EXPECT(&ex, "ip.dst", v.dst4,
				IP4(10, 0, 0, (uint32_t)c->be)) ||
		    !PKT_EXPECT(&ex, "tcp.dport", v.dport, BE_PORT) ||
		    !PKT_EXPECT(&ex, "tcp.flags", v.tcp_flags, TH_SYN) ||
		    !PKT_EXPECT(&ex, "tcp.seq", v.seq, c->isn) ||
		    !PKT_EXPECT(&ex, "tcp.window", be16_get(v.l4 + 14),
				1000 + (uint32_t)(c - cl)) ||
		    !PKT_EXPECT(&ex, "tcp.mss", be16_get(v.l4 + 22), 1460) ||
		    !PKT_EXPECT(&ex, "ip.checksum", ip4_ok(v.l3), 1) ||
		    !PKT_EXPECT(&ex, "tcp.checksum", tcp4_ok(v.l3), 1))
			bad++;
	}
	free_out(got);
	CHECK_MSG(bad == 0, "%u bad backend SYNs, first %s", bad, ex.what);
}

/* 5. The backends' SYN-ACKs: an ACK to the backend, an update to the
 * client, per flow. */
static void step_synack(struct client *cl, unsigned int n)
{
	struct rte_mbuf *in[N_CLIENTS];
	uint8_t f[128], mac[6];
	struct pkt_expect ex = { 0 };
	unsigned int got, bad = 0, to_be = 0, to_cl = 0;
	uint64_t est0 = SVC(syn_proxy_established);

	for (unsigned int i = 0; i < n; i++) {
		cl[i].bisn = rnd();
		be_mac(mac, (uint32_t)cl[i].be);
		in[i] = mk(f,
			   frame_tcp(f, mac, IP4(10, 0, 0, (uint32_t)cl[i].be),
				     cl[i].ip, BE_PORT, cl[i].port,
				     TH_SYN | TH_ACK, cl[i].bisn, cl[i].isn + 1,
				     29200, 1400, 0));
	}
	got = xmit(in, n);
	CHECK_MSG(got == 2 * n, "after SYN-ACKs: %u out, expected %u", got,
		  2 * n);
	for (unsigned int j = 0; j < got; j++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[j], const uint8_t *);
		struct pkt_view v;
		struct client *c;
		int back;

		if (!pkt_expect_decode(&ex, o, rte_pktmbuf_data_len(out[j]),
				       &v)) {
			bad++;
			continue;
		}
		back = o[4] == 0xbe;
		c = back ? find_client(cl, n, v.src4, v.sport)
			 : find_client(cl, n, v.dst4, v.dport);
		if (!PKT_EXPECT(&ex, "flow known", c != NULL, 1) ||
		    !PKT_EXPECT(&ex, "tcp.flags", v.tcp_flags, TH_ACK) ||
		    !PKT_EXPECT(&ex, "ip.checksum", ip4_ok(v.l3), 1) ||
		    !PKT_EXPECT(&ex, "tcp.checksum", tcp4_ok(v.l3), 1)) {
			bad++;
			continue;
		}
		if (back) {
			to_be++;
			if (!PKT_EXPECT(&ex, "ack: eth.dst", o[5], c->be) ||
			    !PKT_EXPECT(&ex, "ack: ip.dst", v.dst4,
					IP4(10, 0, 0, (uint32_t)c->be)) ||
			    !PKT_EXPECT(&ex, "ack: tcp.dport", v.dport,
					BE_PORT) ||
			    !PKT_EXPECT(&ex, "ack: tcp.seq", v.seq,
					c->isn + 1) ||
			    !PKT_EXPECT(&ex, "ack: tcp.ack", be32_get(v.l4 + 8),
					c->bisn + 1) ||
			    !PKT_EXPECT(&ex, "ack: tcp.window",
					be16_get(v.l4 + 14),
					1000 + (uint32_t)(c - cl)))
				bad++;
		} else {
			to_cl++;
			if (!pkt_expect_bytes(&ex, "upd: eth.dst", v.dmac,
					      client_mac, 6) ||
			    !PKT_EXPECT(&ex, "upd: ip.src", v.src4, VIP) ||
			    !PKT_EXPECT(&ex, "upd: tcp.sport", v.sport, 80) ||
			    !PKT_EXPECT(&ex, "upd: tcp.seq", v.seq,
					c->cookie + 1) ||
			    !PKT_EXPECT(&ex, "upd: tcp.ack", be32_get(v.l4 + 8),
					c->isn + 1) ||
			    !PKT_EXPECT(&ex, "upd: tcp.window",
					be16_get(v.l4 + 14), 29200))
				bad++;
		}
	}
	free_out(got);
	CHECK_MSG(bad == 0, "%u bad outputs after SYN-ACK, first %s", bad,
		  ex.what);
	CHECK(to_be == n && to_cl == n);
	CHECK(SVC(syn_proxy_established) == est0 + n);
}

/* 6. Data both ways: numbers translated, checksums right. */
static void step_data(struct client *cl, unsigned int n)
{
	struct rte_mbuf *in[N_CLIENTS];
	uint8_t f[256], mac[6];
	struct pkt_expect ex = { 0 };
	unsigned int got, bad = 0;

	for (unsigned int i = 0; i < n; i++)
		in[i] = mk(f,
			   frame_tcp(f, client_mac, cl[i].ip, VIP, cl[i].port,
				     80, TH_ACK | TH_PSH, cl[i].isn + 1,
				     cl[i].cookie + 1, 5000, 0, 77));
	got = xmit(in, n);
	CHECK_MSG(got == n, "client data: %u of %u", got, n);
	for (unsigned int j = 0; j < got; j++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[j], const uint8_t *);
		struct pkt_view v;
		struct client *c;

		if (!pkt_expect_decode(&ex, o, rte_pktmbuf_data_len(out[j]),
				       &v) ||
		    (c = find_client(cl, n, v.src4, v.sport)) == NULL ||
		    !PKT_EXPECT(&ex, "data: ip.dst", v.dst4,
				IP4(10, 0, 0, (uint32_t)c->be)) ||
		    !PKT_EXPECT(&ex, "data: tcp.seq", v.seq, c->isn + 1) ||
		    !PKT_EXPECT(&ex, "data: tcp.ack", be32_get(v.l4 + 8),
				c->bisn + 1) ||
		    !PKT_EXPECT(&ex, "data: length", v.ip_len, 20 + 20 + 77) ||
		    !PKT_EXPECT(&ex, "data: tcp.checksum", tcp4_ok(v.l3), 1))
			bad++;
	}
	free_out(got);
	CHECK_MSG(bad == 0, "%u bad client data, first %s", bad, ex.what);

	for (unsigned int i = 0; i < n; i++) {
		be_mac(mac, (uint32_t)cl[i].be);
		in[i] = mk(f,
			   frame_tcp(f, mac, IP4(10, 0, 0, (uint32_t)cl[i].be),
				     cl[i].ip, BE_PORT, cl[i].port,
				     TH_ACK | TH_PSH, cl[i].bisn + 1,
				     cl[i].isn + 78, 29200, 0, 100));
	}
	got = xmit(in, n);
	CHECK_MSG(got == n, "backend data: %u of %u", got, n);
	memset(&ex, 0, sizeof(ex));
	bad = 0;
	for (unsigned int j = 0; j < got; j++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[j], const uint8_t *);
		struct pkt_view v;
		struct client *c;

		if (!pkt_expect_decode(&ex, o, rte_pktmbuf_data_len(out[j]),
				       &v) ||
		    (c = find_client(cl, n, v.dst4, v.dport)) == NULL ||
		    !PKT_EXPECT(&ex, "reply: ip.src", v.src4, VIP) ||
		    !PKT_EXPECT(&ex, "reply: tcp.sport", v.sport, 80) ||
		    !PKT_EXPECT(&ex, "reply: tcp.seq", v.seq, c->cookie + 1) ||
		    !PKT_EXPECT(&ex, "reply: tcp.ack", be32_get(v.l4 + 8),
				c->isn + 78) ||
		    !PKT_EXPECT(&ex, "reply: tcp.checksum", tcp4_ok(v.l3), 1))
			bad++;
	}
	free_out(got);
	CHECK_MSG(bad == 0, "%u bad backend data, first %s", bad, ex.what);
}

#define ROUTER IP4(10, 9, 9, 9)

/*
 * An ICMP error out of one output frame: the quoted TCP header's
 * sequence and acknowledgement numbers, the outer destination, whether
 * the ICMP checksum holds, and whether the quoted TCP checksum (the
 * whole header is quoted) still matches the quoted header.
 */
struct icmp_out {
	uint32_t dst, q_seq, q_ack;
	int icmp_ok, q_csum_ok;
};

static int icmp_decode(const struct rte_mbuf *mb, uint32_t qtcp_len,
		       struct icmp_out *o)
{
	const uint8_t *f = rte_pktmbuf_mtod(mb, const uint8_t *);
	const uint8_t *ip = f + 14, *icmp = ip + 20, *qip = icmp + 8;
	const uint8_t *qt = qip + 20;
	uint32_t len = rte_pktmbuf_data_len(mb);

	if (len < 14 + 20 + 8 + 20 + qtcp_len || ip[9] != 1)
		return 0;
	o->dst = be32_get(ip + 16);
	o->q_seq = be32_get(qt + 4);
	o->q_ack = be32_get(qt + 8);
	o->icmp_ok = ref_csum(icmp, 8 + 20 + qtcp_len) == 0;
	o->q_csum_ok = ref_fold(ref_sum16(qip + 12, 8) + 6 + be16_get(qip + 2) -
				20 + ref_sum16(qt, qtcp_len)) == 0xffff;
	return 1;
}

/*
 * 7. ICMP errors quote the other side's numbers translated. A router on
 * the client's side says "fragmentation needed" about a reply (quote:
 * VIP -> client, the client's numbering): the backend must get it
 * quoting its own sequence number. The backend says the same about a
 * client packet (quote: client -> backend, the backend's
 * acknowledgement): the client must get the acknowledgement it knows.
 */
static void step_icmp(struct client *cl, unsigned int n)
{
	struct rte_mbuf *in[N_CLIENTS];
	uint8_t f[256], q[256], mac[6];
	struct icmp_out o;
	unsigned int got, bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		frame_tcp(q, client_mac, VIP, cl[i].ip, 80, cl[i].port, TH_ACK,
			  cl[i].cookie + 1, cl[i].isn + 78, 29200, 0, 0);
		in[i] = mk(f, frame_icmp_quote(f, client_mac, ROUTER, VIP,
					       q + 14, 40));
	}
	got = xmit(in, n);
	CHECK_MSG(got == n, "ICMP to the VIP: %u of %u out", got, n);
	for (unsigned int j = 0; j < got; j++) {
		struct client *c = NULL;

		for (unsigned int i = 0; i < n && c == NULL; i++)
			if (icmp_decode(out[j], 20, &o) &&
			    o.dst == IP4(10, 0, 0, (uint32_t)cl[i].be) &&
			    o.q_ack == cl[i].isn + 78)
				c = &cl[i];
		if (c == NULL || o.q_seq != c->bisn + 1 || !o.icmp_ok ||
		    !o.q_csum_ok)
			bad++;
	}
	free_out(got);
	CHECK_MSG(bad == 0, "%u of %u ICMP errors to backends mistranslated",
		  bad, got);

	bad = 0;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t be = IP4(10, 0, 0, (uint32_t)cl[i].be);

		be_mac(mac, (uint32_t)cl[i].be);
		frame_tcp(q, client_mac, cl[i].ip, be, cl[i].port, BE_PORT,
			  TH_ACK | TH_PSH, cl[i].isn + 1, cl[i].bisn + 1, 5000,
			  0, 0);
		in[i] = mk(f,
			   frame_icmp_quote(f, mac, be, cl[i].ip, q + 14, 40));
	}
	got = xmit(in, n);
	CHECK_MSG(got == n, "ICMP to clients: %u of %u out", got, n);
	for (unsigned int j = 0; j < got; j++) {
		struct client *c = NULL;

		for (unsigned int i = 0; i < n && c == NULL; i++)
			if (icmp_decode(out[j], 20, &o) && o.dst == cl[i].ip)
				c = &cl[i];
		if (c == NULL || o.q_seq != c->isn + 1 ||
		    o.q_ack != c->cookie + 1 || !o.icmp_ok || !o.q_csum_ok)
			bad++;
	}
	free_out(got);
	CHECK_MSG(bad == 0, "%u of %u ICMP errors to clients mistranslated",
		  bad, got);
}

static void new_clients(struct client *cl, unsigned int n, uint32_t net)
{
	for (unsigned int i = 0; i < n; i++) {
		cl[i].ip = IP4(172, (uint8_t)net, (uint8_t)(i >> 8),
			       (uint8_t)(i + 1));
		cl[i].port = (uint16_t)(20000 + i);
		cl[i].isn = rnd();
		cl[i].be = 0;
	}
}

static void test_handshake(void)
{
	struct client *cl = calloc(N_CLIENTS, sizeof(*cl));
	struct rte_mbuf *in[N_CLIENTS];
	uint8_t f[128];
	uint64_t wait0 = SVC(drop_syn_proxy_wait);
	unsigned int got;

	new_clients(cl, N_CLIENTS, 16);
	step_syn(cl, N_CLIENTS, &key_a);
	step_invalid(cl, N_CLIENTS);
	step_ack(cl, N_CLIENTS, N_CLIENTS);
	CHECK(SVC(syn_cookie_valid) >= N_CLIENTS);
	/* 4. Data before the backend answered: held back. */
	for (unsigned int i = 0; i < N_CLIENTS; i++)
		in[i] = mk(f,
			   frame_tcp(f, client_mac, cl[i].ip, VIP, cl[i].port,
				     80, TH_ACK | TH_PSH, cl[i].isn + 1,
				     cl[i].cookie + 1, 5000, 0, 10));
	got = xmit(in, N_CLIENTS);
	CHECK_MSG(got == 0, "%u packets out while waiting", got);
	free_out(got);
	CHECK(SVC(drop_syn_proxy_wait) == wait0 + N_CLIENTS);
	step_synack(cl, N_CLIENTS);
	step_data(cl, N_CLIENTS);
	step_icmp(cl, 8);
	free(cl);
}

/* A backend's RST reaches the client as an RST in the client's numbers. */
static void test_backend_reset(void)
{
	struct client cl[4];
	struct rte_mbuf *in[4];
	uint8_t f[128], mac[6];
	uint64_t rst0 = SVC(syn_proxy_backend_reset);
	unsigned int got, ok = 0;

	new_clients(cl, 4, 17);
	step_syn(cl, 4, &key_a);
	step_ack(cl, 4, 4);
	for (unsigned int i = 0; i < 4; i++) {
		be_mac(mac, (uint32_t)cl[i].be);
		in[i] = mk(f,
			   frame_tcp(f, mac, IP4(10, 0, 0, (uint32_t)cl[i].be),
				     cl[i].ip, BE_PORT, cl[i].port,
				     TH_RST | TH_ACK, 0, cl[i].isn + 1, 0, 0,
				     0));
	}
	got = xmit(in, 4);
	CHECK(got == 4);
	for (unsigned int j = 0; j < got; j++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[j], const uint8_t *);
		struct pkt_view v;
		struct client *c;

		if (pkt_decode(o, rte_pktmbuf_data_len(out[j]), &v) == 0 &&
		    (c = find_client(cl, 4, v.dst4, v.dport)) != NULL &&
		    v.src4 == VIP && v.tcp_flags == (TH_RST | TH_ACK) &&
		    v.seq == c->cookie + 1 && tcp4_ok(v.l3))
			ok++;
	}
	free_out(got);
	CHECK_MSG(ok == 4, "%u of 4 RSTs right", ok);
	CHECK(SVC(syn_proxy_backend_reset) == rst0 + 4);
}

/* Cookies made under key_a: valid with key_a as previous, not after. */
static void test_rotation(void)
{
	struct client a[8], b[8];

	new_clients(a, 8, 18);
	new_clients(b, 8, 19);
	step_syn(a, 8, &key_a);
	step_syn(b, 8, &key_a);
	CHECK(apply(1, 2) == 0);
	step_ack(a, 8, 8);
	CHECK(apply(2, 3) == 0);
	step_invalid(b, 8); /* (altered ones are refused anyway) */
	{
		uint64_t inv0 = SVC(syn_cookie_invalid);

		step_ack(b, 8, 0);
		CHECK(SVC(syn_cookie_invalid) == inv0 + 8);
	}
	/* And the new secret makes cookies of its own. */
	new_clients(a, 8, 20);
	step_syn(a, 8, &key_b);
}

/* Over the service's connections/s: a valid cookie opens nothing and
 * the client, whose handshake is complete, gets an RST. */
static void test_refused(void)
{
	struct client cl[4];
	struct rte_mbuf *in[4];
	uint8_t f[128];
	uint64_t cps0 = SVC(drop_rate_cps);
	unsigned int got, syns = 0, rsts = 0;

	cps_limit = 1;
	CHECK(apply(2, 4) == 0);
	new_clients(cl, 4, 21);
	step_syn(cl, 4, &key_b);
	for (unsigned int i = 0; i < 4; i++)
		in[i] = mk(f, frame_tcp(f, client_mac, cl[i].ip, VIP,
					cl[i].port, 80, TH_ACK, cl[i].isn + 1,
					cl[i].cookie + 1, 2000, 0, 0));
	got = xmit(in, 4);
	for (unsigned int j = 0; j < got; j++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[j], const uint8_t *);
		struct pkt_view v;
		struct client *c;

		if (pkt_decode(o, rte_pktmbuf_data_len(out[j]), &v) != 0)
			continue;
		if (v.tcp_flags == TH_SYN && o[4] == 0xbe) {
			syns++;
			continue;
		}
		c = find_client(cl, 4, v.dst4, v.dport);
		if (c != NULL && v.src4 == VIP && v.sport == 80 &&
		    v.tcp_flags == (TH_RST | TH_ACK) &&
		    v.seq == c->cookie + 1 &&
		    be32_get(v.l4 + 8) == c->isn + 1 &&
		    memcmp(v.dmac, client_mac, 6) == 0 && tcp4_ok(v.l3))
			rsts++;
	}
	free_out(got);
	/* Burst 1: the first connection opens, the others are refused. */
	CHECK_MSG(syns == 1 && rsts == 3 && got == 4,
		  "%u out: %u backend SYNs, %u RSTs to clients", got, syns,
		  rsts);
	CHECK(SVC(drop_rate_cps) == cps0 + 3);
	cps_limit = 0;
}

int main(void)
{
	char lcores[64];
	char *argv[] = { "test_synproxy",
			 "--no-huge",
			 "-m",
			 "512",
			 "--no-pci",
			 "--no-shconf",
			 "--no-telemetry",
			 lcores,
			 "--file-prefix=test_synproxy",
			 "--log-level=error",
			 NULL };
	struct rte_ether_addr mac;
	struct fp_options o;
	unsigned int pool0;
	int rc;

	lcores_arg(lcores, sizeof(lcores));
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	rx_ring = rte_ring_create("tsp_rx", RING_SIZE, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	for (unsigned int q = 0; q < TEST_WORKERS; q++) {
		char name[32];

		snprintf(name, sizeof(name), "tsp_tx%u", q);
		tx_rings[q] = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY,
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (tx_rings[q] == NULL)
			return 1;
	}
	test_pool = rte_pktmbuf_pool_create("tsp_pool", TEST_MBUFS, 256, 0,
					    RTE_PKTMBUF_HEADROOM + 512,
					    (int)rte_socket_id());
	if (!rx_ring || !test_pool ||
	    rte_eth_from_rings("ring_port", &rx_ring, 1, tx_rings, TEST_WORKERS,
			       0) < 0) {
		fprintf(stderr, "set-up failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	fp_default_options(&o);
	o.ct_entries = 16384;
	o.mbufs = 8191;
	o.seed_given = 1;
	o.hash_seed = 777;
	rc = fp_setup(&o);
	CHECK(rc == 0);
	if (rc != 0) {
		fp_teardown();
		rte_eal_cleanup();
		return check_summary("synproxy_integration");
	}
	rte_eth_macaddr_get(0, &mac);
	memcpy(port_mac, mac.addr_bytes, 6);
	pool0 = rte_mempool_avail_count(fp.pool);
	fp_launch_workers();
	CHECK(apply(0, 1) == 0);

	test_handshake();
	test_backend_reset();
	test_rotation();
	test_refused();

	CHECK(rte_ring_count(rx_ring) == 0);
	CHECK_MSG(rte_mempool_avail_count(fp.pool) == pool0,
		  "fast path pool: %u mbufs free, %u at start",
		  rte_mempool_avail_count(fp.pool), pool0);
	CHECK_MSG(rte_mempool_avail_count(test_pool) == TEST_MBUFS,
		  "test pool: %u of %u mbufs free",
		  rte_mempool_avail_count(test_pool), TEST_MBUFS);
	fp_teardown();
	rc = check_summary(TEST_WORKERS > 1 ? "synproxy_2workers" : "synproxy");
	rte_eal_cleanup();
	return rc;
}
