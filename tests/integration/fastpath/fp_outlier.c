/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fastpath, passive outlier signals (fastpath/outlier.h): a NAT
 * backend's RST or SYN-ACK to a forwarded SYN, a client's SYN sent again,
 * the client's ACK after its SYN in DSR, each counted once per opening in
 * the backend's counters.
 */
#include "fastpath_test.h"

#define N_OUT OUTLIER_FLOWS
#define TH_RST 0x04u

/* The outlier counters of backends 1..99, summed over workers. */
struct out_sums {
	uint64_t success[100], reset[100], retrans[100];
};

static void out_read(struct out_sums *o)
{
	for (uint32_t sid = 1; sid < 100; sid++) {
		struct ep_be_counters b;

		stats_sum_be(fp.stats, sid, &b);
		o->success[sid] = b.out_success;
		o->reset[sid] = b.out_reset;
		o->retrans[sid] = b.out_retrans;
	}
}

static uint64_t out_delta(const uint64_t *after, const uint64_t *before)
{
	uint64_t d = 0;

	for (uint32_t sid = 1; sid < 100; sid++)
		d += after[sid] - before[sid];
	return d;
}

/* Send the client's SYN of every flow to `vip`; record its backend. */
static unsigned int open_flows(struct tflow *fl, unsigned int n, uint32_t vip,
			       uint8_t flags)
{
	struct rte_mbuf *in[N_OUT];
	uint8_t f[128];
	unsigned int got;

	for (unsigned int i = 0; i < n; i++)
		in[i] = mk(f, flow_frame4(f, fl, i, vip, 80, flags, 0));
	got = xmit(in, n);
	for (unsigned int k = 0; k < got; k++) {
		const uint8_t *o = rte_pktmbuf_mtod(out[k], const uint8_t *);
		uint32_t seq = be32_get(o + 14 + 20 + 4);

		if (seq < n)
			fl[seq].sid = out_sid(o);
	}
	free_out(got);
	return got;
}

/* NAT: the backend answers flow i with `flags` (RST or SYN-ACK). */
static unsigned int nat_answer(struct tflow *fl, unsigned int from,
			       unsigned int to, uint8_t flags)
{
	struct rte_mbuf *in[N_OUT];
	uint8_t f[128], mac[6];
	unsigned int got;

	for (unsigned int i = from; i < to; i++) {
		be_mac(mac, (uint32_t)fl[i].sid);
		in[i - from] =
			mk(f, frame_tcp4(f, port_mac, mac,
					 IP4(10, 0, 0, (uint32_t)fl[i].sid),
					 fl[i].cip, 8080, fl[i].cport, flags, 7,
					 i + 1));
	}
	got = xmit(in, to - from);
	free_out(got);
	return got;
}

static void test_nat_answers(void)
{
	struct tflow fl[N_OUT];
	struct out_sums a, b, c;
	unsigned int got, bad = 0;

	gen_flows(fl, N_OUT, 0);
	out_read(&a);
	got = open_flows(fl, N_OUT, IP4(10, 1, 0, 2), TH_SYN);
	CHECK_MSG(got == N_OUT, "outlier NAT SYNs: %u of %u out", got, N_OUT);
	for (unsigned int i = 0; i < N_OUT; i++)
		bad += fl[i].sid != 21 && fl[i].sid != 22;
	CHECK_MSG(bad == 0, "outlier NAT: %u flows without a backend", bad);
	/* Half refused with RST (+ACK, as a kernel sends), half answered. */
	got = nat_answer(fl, 0, N_OUT / 2, TH_RST | TH_ACK);
	CHECK_MSG(got == N_OUT / 2, "outlier: RSTs to the client: %u", got);
	got = nat_answer(fl, N_OUT / 2, N_OUT, TH_SYN | TH_ACK);
	CHECK_MSG(got == N_OUT / 2, "outlier: SYN-ACKs to the client: %u", got);
	out_read(&b);
	CHECK_MSG(out_delta(b.reset, a.reset) == N_OUT / 2,
		  "outlier: %" PRIu64 " resets counted, want %u",
		  out_delta(b.reset, a.reset), N_OUT / 2);
	CHECK_MSG(out_delta(b.success, a.success) == N_OUT / 2,
		  "outlier: %" PRIu64 " successes counted, want %u",
		  out_delta(b.success, a.success), N_OUT / 2);
	CHECK(out_delta(b.retrans, a.retrans) == 0);
	/* Per backend: the RSTs are the refused flows' backends'. */
	for (unsigned int i = 0, r21 = 0; i <= N_OUT / 2; i++) {
		if (i == N_OUT / 2) {
			CHECK_MSG(b.reset[21] - a.reset[21] == r21,
				  "outlier: backend 21 resets %" PRIu64
				  ", want %u",
				  b.reset[21] - a.reset[21], r21);
			break;
		}
		r21 += fl[i].sid == 21;
	}
	/* Answered flows count once: again RST and SYN-ACK, then the
	 * client's ACK of the answered half, change nothing. */
	nat_answer(fl, 0, N_OUT / 2, TH_RST);
	nat_answer(fl, N_OUT / 2, N_OUT, TH_SYN | TH_ACK);
	{
		struct rte_mbuf *in[N_OUT];
		uint8_t f[128];

		for (unsigned int i = N_OUT / 2; i < N_OUT; i++)
			in[i - N_OUT / 2] =
				mk(f, flow_frame4(f, fl, i, IP4(10, 1, 0, 2),
						  80, TH_ACK, 8));
		free_out(xmit(in, N_OUT / 2));
	}
	out_read(&c);
	CHECK(out_delta(c.reset, b.reset) == 0);
	CHECK(out_delta(c.success, b.success) == 0);
}

/* A client's SYN again after >= 200 ms: one failure per flow, once. */
static void test_retransmit(void)
{
	struct tflow fl[N_OUT];
	struct out_sums a, b, c;
	unsigned int got;

	gen_flows(fl, N_OUT, 0);
	out_read(&a);
	got = open_flows(fl, N_OUT, IP4(10, 1, 0, 2), TH_SYN);
	CHECK(got == N_OUT);
	/* A duplicate at once is no retransmission. */
	got = open_flows(fl, N_OUT, IP4(10, 1, 0, 2), TH_SYN);
	CHECK_MSG(got == N_OUT, "outlier: duplicate SYNs forwarded: %u", got);
	out_read(&b);
	CHECK_MSG(out_delta(b.retrans, a.retrans) == 0,
		  "outlier: duplicates counted as retransmissions: %" PRIu64,
		  out_delta(b.retrans, a.retrans));
	rte_delay_ms(OUTLIER_TEST_WAIT_MS);
	got = open_flows(fl, N_OUT, IP4(10, 1, 0, 2), TH_SYN);
	CHECK_MSG(got == N_OUT, "outlier: retransmitted SYNs forwarded: %u",
		  got);
	out_read(&c);
	CHECK_MSG(out_delta(c.retrans, b.retrans) == N_OUT,
		  "outlier: %" PRIu64 " retransmissions counted, want %u",
		  out_delta(c.retrans, b.retrans), N_OUT);
	CHECK(c.retrans[21] - b.retrans[21] + c.retrans[22] - b.retrans[22] ==
	      N_OUT);
	/* Once per opening: a third SYN, and a late SYN-ACK, add nothing. */
	rte_delay_ms(OUTLIER_TEST_WAIT_MS);
	open_flows(fl, N_OUT, IP4(10, 1, 0, 2), TH_SYN);
	nat_answer(fl, 0, N_OUT, TH_SYN | TH_ACK);
	out_read(&b);
	CHECK(out_delta(b.retrans, c.retrans) == 0);
	CHECK(out_delta(b.success, c.success) == 0);
}

/* DSR: the client's ACK after its SYN is the success signal. */
static void test_dsr_ack(void)
{
	struct tflow fl[N_OUT];
	struct out_sums a, b;

	gen_flows(fl, N_OUT, 0);
	out_read(&a);
	CHECK(open_flows(fl, N_OUT, IP4(10, 1, 0, 1), TH_SYN) == N_OUT);
	CHECK(open_flows(fl, N_OUT, IP4(10, 1, 0, 1), TH_ACK) == N_OUT);
	CHECK(open_flows(fl, N_OUT, IP4(10, 1, 0, 1), TH_ACK) == N_OUT);
	out_read(&b);
	CHECK_MSG(out_delta(b.success, a.success) == N_OUT,
		  "outlier DSR: %" PRIu64 " successes, want %u",
		  out_delta(b.success, a.success), N_OUT);
	CHECK(out_delta(b.retrans, a.retrans) == 0);
}

void test_outlier(void)
{
	test_nat_answers();
	test_retransmit();
	test_dsr_ack();
}
