/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fastpath, on_down "reset": once a backend of a reset service is
 * down by its checks, the next packet of each of its flows ends the flow
 * with an RST to the client and one to the backend (nat), from either
 * direction; the entries go (the next packet opens a new flow on another
 * backend), the service counts them, and a service that keeps its flows
 * keeps forwarding them to its down backend.
 */
#include "fastpath_test.h"

#define N_RST 64u
#define CSEQ 1000u /* the client's sequence numbers: CSEQ + flow */
#define BSEQ 5000u /* the backend's */

/* An RST as expected: addresses, ports, flags, seq; checksums valid. */
static int rst_ok(const struct rte_mbuf *mb, const uint8_t dmac[6],
		  uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		  uint8_t flags, uint32_t seq)
{
	const uint8_t *o = rte_pktmbuf_mtod(mb, const uint8_t *);
	struct pkt_view v;

	return pkt_decode(o, rte_pktmbuf_data_len(mb), &v) == 0 &&
	       memcmp(v.dmac, dmac, 6) == 0 &&
	       memcmp(v.smac, port_mac, 6) == 0 && v.ethertype == 0x0800 &&
	       v.proto == IPPROTO_TCP && v.src4 == src && v.dst4 == dst &&
	       v.sport == sport && v.dport == dport && v.tcp_flags == flags &&
	       v.seq == seq && ip4_hdr_ok(v.l3) && l4_ok4(v.l3);
}

/* One packet of every flow in `fl` to `vip`; the backend each went to. */
static void send_round(const struct tflow *fl, uint32_t vip, uint8_t flags,
		       int *sid_out)
{
	struct rte_mbuf *in[N_RST];
	uint8_t f[128];
	unsigned int got;

	for (unsigned int i = 0; i < N_RST; i++) {
		in[i] = mk(f,
			   frame_tcp4(f, port_mac, client_mac, fl[i].cip, vip,
				      fl[i].cport, 80, flags, CSEQ + i, BSEQ));
		sid_out[i] = -1;
	}
	got = xmit(in, N_RST);
	CHECK_MSG(got == N_RST, "on_down round: %u of %u out", got, N_RST);
	for (unsigned int k = 0; k < got; k++) {
		struct pkt_view v;
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);

		if (pkt_decode(o, rte_pktmbuf_data_len(out[k]), &v) == 0 &&
		    v.seq >= CSEQ && v.seq < CSEQ + N_RST)
			sid_out[v.seq - CSEQ] = out_sid(o);
	}
	free_out(got);
}

/* A reply of flow i from backend `sid`: both ways reset. */
static void reply_reset(const struct tflow *fl, uint32_t i, uint32_t vip,
			uint32_t sid)
{
	uint32_t be = IP4(10, 0, 0, sid);
	uint8_t f[128], mac[6];
	struct rte_mbuf *in[1];
	unsigned int got, to_be = 0, to_client = 0;

	be_mac(mac, sid);
	in[0] = mk(f, frame_tcp4(f, port_mac, mac, be, fl[i].cip, 8080,
				 fl[i].cport, TH_ACK, BSEQ, CSEQ + i));
	got = xmit(in, 1);
	CHECK_MSG(got == 2, "reply of a down backend: %u out, 2 RSTs", got);
	for (unsigned int k = 0; k < got; k++) {
		to_be += rst_ok(out[k], mac, fl[i].cip, be, fl[i].cport, 8080,
				0x14, CSEQ + i);
		to_client += rst_ok(out[k], client_mac, vip, fl[i].cip, 80,
				    fl[i].cport, 0x04, BSEQ);
	}
	CHECK_MSG(to_be == 1 && to_client == 1,
		  "reply side: RST to the backend %u, to the client %u", to_be,
		  to_client);
	free_out(got);
}

/* Client packets of the flows on the down backend 61: two RSTs each. */
static void forward_reset(const struct tflow *fl, const int *sid, uint32_t vip,
			  uint32_t skip, unsigned int *n61)
{
	struct rte_mbuf *in[N_RST];
	uint8_t f[128], mac[6];
	unsigned int n = 0, got, to_be = 0, to_client = 0;
	uint32_t idx[N_RST];

	be_mac(mac, 61);
	for (unsigned int i = 0; i < N_RST; i++) {
		if (sid[i] != 61 || i == skip)
			continue;
		idx[n] = i;
		in[n++] = mk(f, frame_tcp4(f, port_mac, client_mac, fl[i].cip,
					   vip, fl[i].cport, 80, TH_ACK,
					   CSEQ + i, BSEQ));
	}
	*n61 = n;
	got = xmit(in, n);
	CHECK_MSG(got == 2 * n, "down backend's flows: %u out for %u", got, n);
	for (unsigned int k = 0; k < got; k++)
		for (unsigned int j = 0; j < n; j++) {
			uint32_t i = idx[j];

			to_be += rst_ok(out[k], mac, fl[i].cip,
					IP4(10, 0, 0, 61), fl[i].cport, 8080,
					0x04, CSEQ + i);
			to_client += rst_ok(out[k], client_mac, vip, fl[i].cip,
					    80, fl[i].cport, 0x14, BSEQ);
		}
	CHECK_MSG(to_be == n && to_client == n,
		  "forward side: %u RSTs to the backend, %u to clients of %u",
		  to_be, to_client, n);
	free_out(got);
}

void test_reset_on_down(void)
{
	const uint32_t vip = IP4(10, 1, 0, 10), vip_keep = IP4(10, 1, 0, 11);
	struct tflow *fl = calloc(N_RST, sizeof(*fl));
	int sid[N_RST], sid_keep[N_RST], again[N_RST];
	struct ep_event_msg ev;
	uint32_t first61 = N_RST;
	unsigned int n61 = 0, n63 = 0, moved = 0, kept = 0;
	uint64_t r0;

	gen_flows(fl, N_RST, 0);
	CHECK(apply_cfg_reset(0, 100, &ev) == 0 && ev.status == 0);
	send_round(fl, vip, TH_SYN, sid);
	send_round(fl, vip_keep, TH_SYN, sid_keep);
	for (unsigned int i = 0; i < N_RST; i++) {
		if (sid[i] == 61 && first61 == N_RST)
			first61 = i;
		n63 += sid_keep[i] == 63;
	}
	CHECK_MSG(first61 < N_RST && n63 > 0, "flows on 61 and 63");
	r0 = fp.stats->svc[0][SVC_RST].reset_on_down;
	for (unsigned int w = 1; w < TEST_WORKERS; w++)
		r0 += fp.stats->svc[w][SVC_RST].reset_on_down;

	CHECK(apply_cfg_reset(1, 101, &ev) == 0 && ev.status == 0);
	if (first61 < N_RST)
		reply_reset(fl, first61, vip, 61);
	forward_reset(fl, sid, vip, first61, &n61);
	{
		uint64_t r = 0, k = 0;

		for (unsigned int w = 0; w < TEST_WORKERS; w++) {
			r += fp.stats->svc[w][SVC_RST].reset_on_down;
			k += fp.stats->svc[w][SVC_KEEP].reset_on_down;
		}
		CHECK_MSG(r - r0 == n61 + 1 && k == 0,
			  "flows_reset_on_down %" PRIu64
			  " (want %u), keep %" PRIu64,
			  r - r0, n61 + 1, k);
	}
	/* The entries went: every flow of 61 opens anew on 62; the
	 * others stay where they were. */
	send_round(fl, vip, TH_ACK, again);
	for (unsigned int i = 0; i < N_RST; i++)
		moved += sid[i] == 61 ? again[i] == 62 : again[i] == sid[i];
	CHECK_MSG(moved == N_RST, "after the reset: %u of %u where expected",
		  moved, N_RST);
	/* keep: established flows stay on the down backend 63 */
	send_round(fl, vip_keep, TH_ACK, again);
	for (unsigned int i = 0; i < N_RST; i++)
		kept += again[i] == sid_keep[i];
	CHECK_MSG(kept == N_RST, "on_down keep: %u of %u flows kept", kept,
		  N_RST);
	free(fl);
}
