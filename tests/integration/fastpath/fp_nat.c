/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fastpath, NAT and encapsulation: NAT both ways with ICMP errors,
 * IPIP and GUE to backends.
 */
#include "fastpath_test.h"

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

void test_nat(void)
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

void test_encap(void)
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
