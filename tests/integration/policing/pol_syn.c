/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_policing, SYN flood: established flows keep forwarding and keep
 * their entries while the SYN guard answers a random-source flood
 * without making entries.
 */
#include "policing_test.h"

#define N_EST 10000u
#define GUARD_RATE 2000u /* new SYNs per second per worker */
#define GUARD_BURST 200u

/* Flow i of the established set: 10.30.x.y:port -> web. */
static uint32_t est_frame(uint8_t *f, uint32_t i, uint8_t flags)
{
	return frame_tcp4(f, IP4(10, 30, 0, 0) | (i & 0xffff), IP4(10, 1, 0, 1),
			  (uint16_t)(20000 + i % 40000), flags);
}

/* SYNs then ACKs of the N_EST flows. */
static uint32_t gen_establish(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	*sid = SVC_WEB;
	*ok = 2;
	return est_frame(f, (uint32_t)(i % N_EST), i < N_EST ? TH_SYN : TH_ACK);
}

/* A random-source SYN flood; every 16th frame an ACK of a flow. */
static uint32_t gen_flood(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	*sid = SVC_WEB;
	if (i % 16 == 0) {
		*ok = 2;
		return est_frame(f, (uint32_t)(i / 16 % N_EST), TH_ACK);
	}
	return frame_tcp4(f, IP4(11, 0, 0, 0) | (rnd() & 0xffffff),
			  IP4(10, 1, 0, 1), (uint16_t)(1024 + rnd() % 60000),
			  TH_SYN);
}

/* How many of the N_EST flows have an entry in some worker's table. */
static uint32_t established_entries(void)
{
	uint32_t found = 0;

	for (uint32_t i = 0; i < N_EST; i++) {
		struct flow_key k;
		uint32_t src = IP4(10, 30, 0, 0) | (i & 0xffff);

		memset(&k, 0, sizeof(k));
		put32(k.src, src);
		put32(k.dst, IP4(10, 1, 0, 1));
		put16((uint8_t *)&k.sport, (uint16_t)(20000 + i % 40000));
		put16((uint8_t *)&k.dport, 80);
		k.proto = IPPROTO_TCP;
		k.family = EP_AF_INET;
		for (unsigned int w = 0; w < TEST_WORKERS; w++)
			if (ct_lookup(fp.workers[w].ct, &k,
				      flowhash_key(&k, fp.hash_seed)) >= 0) {
				found++;
				break;
			}
	}
	return found;
}

void test_syn_flood(struct cfg *c)
{
	struct stream est = { .gen = gen_establish,
			      .pps = 50000,
			      .secs = 2 * N_EST / 50000.0 };
	struct stream fl = { .gen = gen_flood, .pps = 50000, .secs = 3.0 };
	uint64_t ev0, sl0, ins0;
	pthread_t th;

	base_cfg(c);
	if (apply(c, 60) != 0)
		return;
	stream_start(&est, &th);
	pthread_join(th, NULL);
	CHECK_MSG(est.t.est_out == est.t.heavy_sent,
		  "establishing: %" PRIu64 " of %" PRIu64 " out", est.t.est_out,
		  est.t.heavy_sent);
	CHECK(established_entries() == N_EST);
	c->node.syn_guard_rate = GUARD_RATE;
	c->node.syn_guard_burst = GUARD_BURST;
	if (apply(c, 61) != 0)
		return;
	ev0 = stats_sum_cnt(fp.stats, EP_CNT_CT_EVICTIONS);
	sl0 = stats_sum_cnt(fp.stats, EP_CNT_SYN_STATELESS);
	ins0 = stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS);
	stream_start(&fl, &th);
	pthread_join(th, NULL);
	/* Established flows keep forwarding, and no entry was evicted. */
	CHECK_MSG(fl.t.est_out == fl.t.heavy_sent,
		  "under the flood: %" PRIu64 " of %" PRIu64 " established "
		  "frames out",
		  fl.t.est_out, fl.t.heavy_sent);
	CHECK_MSG(stats_sum_cnt(fp.stats, EP_CNT_CT_EVICTIONS) == ev0,
		  "%" PRIu64 " entries evicted by the flood",
		  stats_sum_cnt(fp.stats, EP_CNT_CT_EVICTIONS) - ev0);
	CHECK_MSG(established_entries() == N_EST,
		  "%u of %u established flows still have their entry",
		  established_entries(), N_EST);
	/* Over the guard, the flood's SYNs went out without entries. */
	CHECK(stats_sum_cnt(fp.stats, EP_CNT_SYN_STATELESS) - sl0 >
	      (fl.t.sent[SVC_WEB] - fl.t.heavy_sent) / 2);
	CHECK(fl.t.out[SVC_WEB] == fl.t.sent[SVC_WEB]);
	CHECK_MSG(stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS) - ins0 <=
			  (uint64_t)TEST_WORKERS *
				  (GUARD_RATE *
					   (uint64_t)((double)(fl.t1 - fl.t0) /
							      (double)hz +
						      1) +
				   GUARD_BURST),
		  "%" PRIu64 " entries made under the guard",
		  stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS) - ins0);
	printf("syn flood: %" PRIu64 " SYNs, %" PRIu64 " without entry, "
	       "%" PRIu64 " entries made, 0 evicted, %" PRIu64
	       " established frames all out\n",
	       fl.t.sent[SVC_WEB] - fl.t.heavy_sent,
	       stats_sum_cnt(fp.stats, EP_CNT_SYN_STATELESS) - sl0,
	       stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS) - ins0, fl.t.est_out);
}
