/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fastpath, neighbours: ARP and ND answers for the node's addresses,
 * and learning backends' MACs from ARP and ND.
 */
#include "fastpath_test.h"

void test_arp_nd(void)
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

void test_arp_learning(void)
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
void test_nd_learning(void)
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
