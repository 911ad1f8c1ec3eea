/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fastpath, load balancing: DSR shares and configuration changes,
 * packets of one flow in one burst, counters, provisional services.
 */
#include "fastpath_test.h"

#define N_NEW 5000u
#define N_SAME_BURST 8u
#define N_PORT_REUSE 16u

static int near_share(unsigned int n, unsigned int total, double want)
{
	double share = (double)n / total;

	return share >= want * 0.95 && share <= want * 1.05;
}

void test_dsr_and_change(struct tflow *fl)
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
 * Two packets of one new flow in one RX burst (a SYN and its ACK, or a
 * UDP client's first datagrams): the second must join the flow the first
 * created, not pick again. With a round-robin scheduler a second pick
 * names the other backend.
 */
void test_same_burst(void)
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

void test_counters(void)
{
	static const struct {
		uint32_t sid;
		uint64_t flows;
	} want[] = {
		{ SVC_DSR, N_FLOWS + N_NEW + OUTLIER_FLOWS },
		{ SVC_NAT, N_NAT + 2 * OUTLIER_FLOWS },
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
void test_provisional(void)
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

/* Send one frame of flow i to the wrr VIP, alone in its burst; returns
 * the backend stats id it went to, or -1. */
static int send_one(struct tflow *fl, unsigned int i, uint8_t flags)
{
	uint8_t f[128];
	struct rte_mbuf *in = mk(f, flow_frame4(f, fl, i, IP4(10, 1, 0, 7), 80,
						flags, flags & TH_ACK));
	unsigned int got = xmit(&in, 1);
	int sid = got == 1 ? out_sid(rte_pktmbuf_mtod(out[0], uint8_t *)) : -1;

	free_out(got);
	return sid;
}

/*
 * A client that reuses its port after the connection closed opens a new
 * connection: its SYN replaces the closed entry and is picked again (a
 * new flow), while a SYN retransmitted before any answer stays on its
 * entry. Without the replacement, the new connection would inherit the
 * old backend even after it left the service.
 */
void test_port_reuse(void)
{
	struct tflow fl[N_PORT_REUSE];
	struct ep_svc_counters sc0, sc1;
	uint64_t r0 = stats_sum_cnt(fp.stats, EP_CNT_CT_REUSED);
	unsigned int lost = 0;

	stats_sum_svc(fp.stats, SVC_WRR, &sc0);
	gen_flows(fl, N_PORT_REUSE, 0);
	for (unsigned int i = 0; i < N_PORT_REUSE; i++) {
		int first = send_one(fl, i, TH_SYN);

		/* a retransmitted SYN: the same entry, the same backend */
		CHECK(send_one(fl, i, TH_SYN) == first);
		lost += send_one(fl, i, TH_ACK) != first;
		lost += send_one(fl, i, TH_FIN | TH_ACK) != first;
		lost += send_one(fl, i, TH_SYN) < 0; /* the port reused */
	}
	CHECK(lost == 0);
	stats_sum_svc(fp.stats, SVC_WRR, &sc1);
	CHECK_MSG(sc1.new_flows - sc0.new_flows == 2 * N_PORT_REUSE,
		  "%" PRIu64 " new flows for %u connections opened twice",
		  sc1.new_flows - sc0.new_flows, N_PORT_REUSE);
	CHECK_MSG(stats_sum_cnt(fp.stats, EP_CNT_CT_REUSED) - r0 ==
			  N_PORT_REUSE,
		  "ct_port_reused +%" PRIu64 ", want %u",
		  stats_sum_cnt(fp.stats, EP_CNT_CT_REUSED) - r0, N_PORT_REUSE);
}
