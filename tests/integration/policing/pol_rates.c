/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_policing, rate limits: a service's packets, bytes and new
 * connections per second (token and leaky buckets, one flow or many),
 * and per-client limits, of one service and over every service.
 */
#include "policing_test.h"

#define PPS_LIMIT 10000u
#define PPS_BURST 2000u /* 200 ms: a worker losing its CPU a while */
#define BPS_LIMIT 600000u /* 10,000 60-byte frames per second */
#define BPS_BURST 120000u
#define CPS_LIMIT 2000u
#define CPS_BURST 400u

static int one_flow; /* the limited services' traffic in one flow */

/* 5x the pps limit, 5x the bps limit, a light service: 101 frames of
 * 101 are 50 pps, 50 bps, 1 light. */
static uint32_t gen_rates(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	uint64_t k = i % 101;

	(void)ok;
	uint16_t sport = one_flow ? 4000 : (uint16_t)(1024 + i % 1000);
	uint32_t src = one_flow ? IP4(10, 9, 0, 1)
				: IP4(10, 9, 0, 0) | (uint32_t)(i % 997);

	if (k == 100) {
		*sid = SVC_LIGHT;
		return frame_tcp4(f, IP4(10, 8, 0, 0) | (uint32_t)(i % 5000),
				  IP4(10, 1, 0, SVC_LIGHT),
				  (uint16_t)(2000 + i % 7), TH_ACK);
	}
	*sid = k < 50 ? SVC_PPS : SVC_BPS;
	return frame_tcp4(f, src, IP4(10, 1, 0, *sid), sport, TH_ACK);
}

static uint32_t gen_cps(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	(void)ok;
	/* Every frame a new connection (a new source and port). */
	*sid = SVC_CPS;
	return frame_tcp4(f, IP4(10, 7, 0, 0) | (uint32_t)(i & 0xffff),
			  IP4(10, 1, 0, SVC_CPS),
			  (uint16_t)(1024 + (i >> 16) % 60000), TH_SYN);
}

/*
 * `out` units admitted at `rate` with `burst` over a stream: the workers
 * handled its frames somewhere between the first frame and the barrier,
 * at least until the last frame was sent. So the admitted count must lie
 * within 2% of the limit over a window between those two lengths.
 */
static void check_rate(const char *what, uint64_t out, uint64_t rate,
		       uint64_t burst, const struct stream *s)
{
	double lo_s = (double)(s->t_sent - s->t0) / (double)hz;
	double hi_s = (double)(s->t1 - s->t0) / (double)hz;
	double lo = ((double)rate * lo_s + (double)burst) * 0.98;
	double hi = ((double)rate * hi_s + (double)burst) * 1.02;
	double err = (double)out / ((double)rate * lo_s + (double)burst) - 1;

	CHECK_MSG(out >= lo && out <= hi,
		  "%s: %" PRIu64 " admitted in %.3f..%.3f s, expected "
		  "%.0f..%.0f",
		  what, out, lo_s, hi_s, lo, hi);
	printf("%s: %" PRIu64 " admitted in %.2f s at %" PRIu64 "/s + %" PRIu64
	       ": %+.2f%%\n",
	       what, out, lo_s, rate, burst, err * 100);
}

void test_rates(struct cfg *c, int single, double secs)
{
	struct stream s = { .gen = gen_rates,
			    .pps = PPS_LIMIT * 5 * 101 / 50,
			    .secs = secs };
	uint64_t pps0 = SVC_DROPS(SVC_PPS, drop_rate_pps);
	uint64_t bps0 = SVC_DROPS(SVC_BPS, drop_rate_bps);
	pthread_t th;

	base_cfg(c);
	cfg_limit(c, SVC_PPS, EP_LIMIT_PPS, EP_LIMIT_TOKEN_BUCKET, PPS_LIMIT,
		  PPS_BURST);
	cfg_limit(c, SVC_BPS, EP_LIMIT_BPS, EP_LIMIT_TOKEN_BUCKET, BPS_LIMIT,
		  BPS_BURST);
	/* A fresh bucket: a new stats id state would carry history. */
	if (apply(c, single ? 21 : 20) != 0)
		return;
	/* Let the buckets fill from any earlier run. */
	rte_delay_ms(300);
	one_flow = single;
	stream_start(&s, &th);
	pthread_join(th, NULL);
	check_rate(single ? "pps, one flow" : "pps, spread", s.t.out[SVC_PPS],
		   PPS_LIMIT, PPS_BURST, &s);
	check_rate(single ? "bps, one flow" : "bps, spread",
		   s.t.out[SVC_BPS] * 60, BPS_LIMIT, BPS_BURST, &s);
	CHECK_MSG(s.t.out[SVC_LIGHT] == s.t.sent[SVC_LIGHT],
		  "light service: %" PRIu64 " of %" PRIu64 " out",
		  s.t.out[SVC_LIGHT], s.t.sent[SVC_LIGHT]);
	CHECK(SVC_DROPS(SVC_PPS, drop_rate_pps) - pps0 ==
	      s.t.sent[SVC_PPS] - s.t.out[SVC_PPS]);
	CHECK(SVC_DROPS(SVC_BPS, drop_rate_bps) - bps0 ==
	      s.t.sent[SVC_BPS] - s.t.out[SVC_BPS]);
	if (TEST_WORKERS > 1 && !single)
		for (unsigned int w = 0; w < TEST_WORKERS; w++)
			CHECK_MSG(fp.stats->svc[w][SVC_PPS].pkts > 0,
				  "worker %u forwarded none of the service", w);
}

void test_cps(struct cfg *c, double secs)
{
	struct stream s = { .gen = gen_cps,
			    .pps = CPS_LIMIT * 5,
			    .secs = secs };
	uint64_t d0 = stats_sum_drop(fp.stats, EP_DROP_RATE_SVC_CPS);
	pthread_t th;

	base_cfg(c);
	cfg_limit(c, SVC_CPS, EP_LIMIT_CPS, EP_LIMIT_LEAKY_BUCKET, CPS_LIMIT,
		  CPS_BURST);
	if (apply(c, 30) != 0)
		return;
	rte_delay_ms(300);
	stream_start(&s, &th);
	pthread_join(th, NULL);
	/* Leaky: a tolerance of CPS_BURST admits CPS_BURST + 1 at once. */
	check_rate("cps, leaky", s.t.out[SVC_CPS], CPS_LIMIT, CPS_BURST + 1,
		   &s);
	CHECK(stats_sum_drop(fp.stats, EP_DROP_RATE_SVC_CPS) - d0 ==
	      s.t.sent[SVC_CPS] - s.t.out[SVC_CPS]);
}

#define CLIENT_PPS 100u
#define CLIENT_BURST 20u
#define N_LIGHT 1000u

/* Of every 1200 frames, 200 from the heavy client (100x its limit at
 * 60,000 frames/s), one from each of 1000 light clients (half theirs). */
static uint32_t gen_clients(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	uint64_t k = i % 1200;

	*sid = SVC_CLIENT;
	if (k < 200) {
		*ok = 2;
		return frame_tcp4(
			f, HEAVY_IP, IP4(10, 1, 0, SVC_CLIENT),
			(uint16_t)(1024 + (i / 1200 * 200 + k) % 60000),
			TH_ACK);
	}
	return frame_tcp4(f, IP4(10, 6, 0, 0) | (uint32_t)(k - 200),
			  IP4(10, 1, 0, SVC_CLIENT), (uint16_t)(5000 + k),
			  TH_ACK);
}

/*
 * One service's per-client limit, the service in DSR or (nat) NAT mode.
 * The heavy client's frames come from many ports, so with two workers its
 * flows spread over both unless the client is owned by its address: a NAT
 * service too, whose replies do not name it (then every flow is).
 */
void test_clients(struct cfg *c, double secs, int nat)
{
	struct stream s = { .gen = gen_clients, .pps = 60000, .secs = secs };
	uint64_t d0 = SVC_DROPS(SVC_CLIENT, drop_rate_client);
	pthread_t th;

	base_cfg(c);
	for (uint32_t i = 0; nat && i < c->n_svcs; i++)
		if (c->svcs[i].stats_id == SVC_CLIENT)
			c->svcs[i].fwd_mode = EP_FWD_NAT;
	cfg_limit(c, SVC_CLIENT, EP_LIMIT_CLIENT_PPS, EP_LIMIT_TOKEN_BUCKET,
		  CLIENT_PPS, CLIENT_BURST);
	if (apply(c, 50) != 0)
		return;
	stream_start(&s, &th);
	pthread_join(th, NULL);
	check_rate(nat ? "per-client (nat), heavy at 100x"
		       : "per-client, heavy at 100x",
		   s.t.heavy_out, CLIENT_PPS, CLIENT_BURST, &s);
	CHECK_MSG(s.t.out[SVC_CLIENT] - s.t.heavy_out ==
			  s.t.sent[SVC_CLIENT] - s.t.heavy_sent,
		  "light clients: %" PRIu64 " of %" PRIu64 " out",
		  s.t.out[SVC_CLIENT] - s.t.heavy_out,
		  s.t.sent[SVC_CLIENT] - s.t.heavy_sent);
	CHECK(SVC_DROPS(SVC_CLIENT, drop_rate_client) - d0 ==
	      s.t.heavy_sent - s.t.heavy_out);
	printf("per-client%s: %u light clients lost %" PRIu64 " of %" PRIu64
	       "\n",
	       nat ? " (nat)" : "", N_LIGHT,
	       s.t.sent[SVC_CLIENT] - s.t.heavy_sent -
		       (s.t.out[SVC_CLIENT] - s.t.heavy_out),
	       s.t.sent[SVC_CLIENT] - s.t.heavy_sent);
}

/* The same mix over two services, SVC_CLIENT and SVC_LIGHT (no limit of
 * their own): the heavy client at 100x the global limit in all, on a new
 * port for most frames (many flows), to one service every other 20 ms
 * round and to the other between (alternating frame by frame would meet
 * the limit's 10 ms spacing on one parity only); each light client at
 * half of it, to one of the two. */
static uint32_t gen_clients_global(uint64_t i, uint8_t *f, uint32_t *sid,
				   int *ok)
{
	uint64_t k = i % 1200;

	*sid = (k < 200 ? i / 1200 : i) & 1 ? SVC_CLIENT : SVC_LIGHT;
	if (k < 200) {
		*ok = 2;
		return frame_tcp4(
			f, HEAVY_IP, IP4(10, 1, 0, *sid),
			(uint16_t)(1024 + (i / 1200 * 200 + k) % 60000),
			TH_ACK);
	}
	return frame_tcp4(f, IP4(10, 6, 0, 0) | (uint32_t)(k - 200),
			  IP4(10, 1, 0, *sid), (uint16_t)(5000 + k), TH_ACK);
}

/*
 * policing.per_client: one client's packets to every service counted
 * together. With two workers the heavy client's flows would spread over
 * both if it were not owned by its address, and get twice the limit.
 */
void test_clients_global(struct cfg *c, double secs)
{
	struct stream s = { .gen = gen_clients_global,
			    .pps = 60000,
			    .secs = secs };
	const uint32_t sids[2] = { SVC_CLIENT, SVC_LIGHT };
	uint64_t svc0 = 0, svc1 = 0, own0 = 0, own1 = 0;
	uint64_t d0 = stats_sum_drop(fp.stats, EP_DROP_RATE_CLIENT_GLOBAL);
	pthread_t th;

	for (uint32_t k = 0; k < 2; k++) {
		svc0 += SVC_DROPS(sids[k], drop_rate_client_global);
		own0 += SVC_DROPS(sids[k], drop_rate_client);
	}
	base_cfg(c);
	c->node.client_limits[EP_CLIENT_LIMIT_PPS].mode = EP_LIMIT_TOKEN_BUCKET;
	c->node.client_limits[EP_CLIENT_LIMIT_PPS].rate = CLIENT_PPS;
	c->node.client_limits[EP_CLIENT_LIMIT_PPS].burst = CLIENT_BURST;
	if (apply(c, 60) != 0)
		return;
	stream_start(&s, &th);
	pthread_join(th, NULL);
	check_rate("global per-client, heavy at 100x over two services",
		   s.t.heavy_out, CLIENT_PPS, CLIENT_BURST, &s);
	/* Both services carried it: one limit, not one per service. */
	CHECK_MSG(s.t.heavy_out_by[SVC_CLIENT] > s.t.heavy_out / 4 &&
			  s.t.heavy_out_by[SVC_LIGHT] > s.t.heavy_out / 4,
		  "heavy out: %" PRIu64 " to one, %" PRIu64 " to the other",
		  s.t.heavy_out_by[SVC_CLIENT], s.t.heavy_out_by[SVC_LIGHT]);
	for (uint32_t k = 0; k < 2; k++) {
		uint32_t sid = sids[k];
		uint64_t light_sent = s.t.sent_ok[sid]; /* all but heavy */

		CHECK_MSG(s.t.out[sid] - s.t.heavy_out_by[sid] == light_sent,
			  "svc%u light clients: %" PRIu64 " of %" PRIu64 " out",
			  sid, s.t.out[sid] - s.t.heavy_out_by[sid],
			  light_sent);
		svc1 += SVC_DROPS(sid, drop_rate_client_global);
		own1 += SVC_DROPS(sid, drop_rate_client);
	}
	CHECK(stats_sum_drop(fp.stats, EP_DROP_RATE_CLIENT_GLOBAL) - d0 ==
	      s.t.heavy_sent - s.t.heavy_out);
	CHECK(svc1 - svc0 == s.t.heavy_sent - s.t.heavy_out);
	CHECK(own1 == own0); /* no service limit of its own */
	printf("global per-client: heavy %" PRIu64 " of %" PRIu64
	       " out (%" PRIu64 " + %" PRIu64 ")\n",
	       s.t.heavy_out, s.t.heavy_sent, s.t.heavy_out_by[SVC_CLIENT],
	       s.t.heavy_out_by[SVC_LIGHT]);
}
