/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/policer: parameter checks; token bucket burst
 * and rate; leaky bucket spacing (no burst beyond the tolerance, also
 * after idle); long-run averages within 1% for packets and for bytes of
 * 64- and 1500-byte frames; the TSC wrapping; two simulated workers on
 * one shared state (even, skewed, one after the other); a limit change
 * that keeps the state; and two real threads racing on one state.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "policer.h"
#include "testrand.h"

#define HZ 1000000000ull /* fake TSC: 1 cycle = 1 ns */

static struct policer_cfg make_cfg(uint8_t mode, uint64_t rate, uint64_t burst,
				   uint32_t max_cost, uint32_t workers)
{
	struct policer_params p = {
		.mode = mode, .rate = rate, .burst = burst, .max_cost = max_cost
	};
	struct policer_cfg c;
	int rc = policer_cfg_init(&c, &p, HZ, workers);

	CHECK_MSG(rc == 0, "cfg rate %llu burst %llu: %d",
		  (unsigned long long)rate, (unsigned long long)burst, rc);
	return c;
}

static void test_params(void)
{
	struct policer_cfg c;
	struct policer_params p = { .mode = POLICER_TOKEN_BUCKET,
				    .rate = 0,
				    .burst = 10 };

	CHECK(policer_cfg_init(&c, &p, HZ, 1) == -EINVAL);
	p.rate = 100;
	p.burst = 0;
	CHECK(policer_cfg_init(&c, &p, HZ, 1) == -EINVAL);
	p.mode = 7;
	p.burst = 10;
	CHECK(policer_cfg_init(&c, &p, HZ, 1) == -EINVAL);
	p.mode = POLICER_LEAKY_BUCKET;
	p.burst = 0; /* strict spacing is a valid tolerance */
	CHECK(policer_cfg_init(&c, &p, HZ, 1) == 0);
	p.rate = 1ull << 41;
	CHECK(policer_cfg_init(&c, &p, HZ, 1) == -EINVAL);
	p.rate = 1; /* one packet a second is fine */
	p.max_cost = 1;
	CHECK(policer_cfg_init(&c, &p, HZ, 1) == 0);
	p.mode = POLICER_OFF;
	CHECK(policer_cfg_init(&c, &p, HZ, 1) == 0 && c.mode == POLICER_OFF);
	/* OFF admits everything without touching the state. */
	{
		struct policer_shared sh = { .tat = 0 };
		struct policer_local l = { 0 };
		int all = 1;

		for (int i = 0; i < 1000; i++)
			all &= policer_admit(&c, &sh, &l, 1, (uint64_t)i);
		CHECK(all && sh.tat == 0);
	}
	/* A tolerance of more than an hour is refused. */
	p.mode = POLICER_TOKEN_BUCKET;
	p.rate = 1;
	p.burst = 4000;
	CHECK(policer_cfg_init(&c, &p, HZ, 1) == -EINVAL);
}

/* Offer `n` packets at one instant; how many pass. */
static uint32_t offer_at_once(const struct policer_cfg *c,
			      struct policer_shared *sh,
			      struct policer_local *l, uint32_t n,
			      uint32_t cost, uint64_t now)
{
	uint32_t ok = 0;

	for (uint32_t i = 0; i < n; i++)
		ok += (uint32_t)policer_admit(c, sh, l, cost, now);
	return ok;
}

static void test_token_burst(void)
{
	struct policer_cfg c = make_cfg(POLICER_TOKEN_BUCKET, 1000, 100, 1, 1);
	struct policer_shared sh = { .tat = 0 };
	struct policer_local l = { 0 };
	uint64_t t = 5 * HZ;

	/* After idle: exactly the bucket, then nothing until time passes. */
	CHECK(offer_at_once(&c, &sh, &l, 1000, 1, t) == 100);
	CHECK(offer_at_once(&c, &sh, &l, 10, 1, t) == 0);
	/* 10 ms later: 10 more packets' worth (rate 1000/s). */
	CHECK(offer_at_once(&c, &sh, &l, 1000, 1, t + 10 * 1000000) == 10);
	/* A second of idle fills the bucket again, no more. */
	CHECK(offer_at_once(&c, &sh, &l, 1000, 1, t + 2 * HZ) == 100);

	/* A fast limit leases in batches: still exactly the bucket. */
	c = make_cfg(POLICER_TOKEN_BUCKET, 1000000, 1000, 1, 1);
	CHECK(c.lease == 500);
	memset(&sh, 0, sizeof(sh));
	l.credit = 0;
	CHECK(offer_at_once(&c, &sh, &l, 5000, 1, t) == 1000);
	CHECK(l.credit == 0);
}

static void test_leaky_no_burst(void)
{
	struct policer_cfg c = make_cfg(POLICER_LEAKY_BUCKET, 1000, 0, 1, 1);
	struct policer_shared sh = { .tat = 0 };
	struct policer_local l = { 0 };
	uint64_t t = 5 * HZ, last = 0, min_gap = UINT64_MAX;
	uint32_t admitted = 0;

	/* After idle, a flood at one instant: one packet, not a burst. */
	CHECK(offer_at_once(&c, &sh, &l, 1000, 1, t) == 1);
	/* 100x the rate for a second: admitted packets at least 1 ms apart. */
	for (uint64_t i = 1; i <= 100000; i++) {
		uint64_t now = t + i * 10000; /* every 10 us */

		if (policer_admit(&c, &sh, &l, 1, now)) {
			if (last && now - last < min_gap)
				min_gap = now - last;
			last = now;
			admitted++;
		}
	}
	CHECK_MSG(min_gap >= 1000000, "min gap %llu ns",
		  (unsigned long long)min_gap);
	CHECK_MSG(admitted >= 999 && admitted <= 1000, "admitted %u", admitted);

	/* Tolerance of 5: never more than 5 + 1 in any instant, and in any
	 * 10 ms window at most 10 + 5 + 1. */
	c = make_cfg(POLICER_LEAKY_BUCKET, 1000, 5, 1, 1);
	memset(&sh, 0, sizeof(sh));
	CHECK(offer_at_once(&c, &sh, &l, 1000, 1, t) == 6);
	{
		static uint64_t at[20000];
		uint32_t n = 0, worst = 0;

		for (uint64_t i = 1; i <= 1000000 && n < 20000; i++) {
			uint64_t now = t + HZ + i * 10000;

			if (policer_admit(&c, &sh, &l, 1, now))
				at[n++] = now;
		}
		for (uint32_t a = 0, b = 0; a < n; a++) {
			while (b < n && at[b] - at[a] < 10000000)
				b++;
			if (b - a > worst)
				worst = b - a;
		}
		CHECK_MSG(worst <= 16, "worst 10 ms window %u", worst);
	}
}

/*
 * Offer traffic at `over` times the rate for `secs` seconds from TSC
 * `start`, frames of `cost` units, spread over `n_workers` simulated
 * workers by `pick` (0: random, 1: all on worker 0, 2: 90% on worker 0,
 * 3: first half on 0, second half on 1). Returns the units admitted.
 */
static uint64_t run(const struct policer_cfg *c, uint64_t rate, uint32_t cost,
		    uint32_t over, uint32_t secs, uint64_t start,
		    uint32_t n_workers, int pick)
{
	struct policer_shared sh;
	struct policer_local l[4] = { { 0 } };
	uint64_t frames = rate * over / cost * secs, admitted = 0;
	uint64_t gap = HZ * secs / frames;

	policer_shared_reset(&sh, 1, start);

	for (uint64_t i = 0; i < frames; i++) {
		uint32_t w = 0;

		if (pick == 0)
			w = (uint32_t)(rng64() % n_workers);
		else if (pick == 2)
			w = rng64() % 10 == 0 ? 1 : 0;
		else if (pick == 3)
			w = i >= frames / 2;
		if (policer_admit(c, &sh, &l[w], cost, start + i * gap))
			admitted += cost;
	}
	return admitted;
}

static void check_avg(const char *what, uint64_t admitted, uint64_t expect,
		      double tol)
{
	double err = ((double)admitted - (double)expect) / (double)expect;

	CHECK_MSG(err <= tol && err >= -tol,
		  "%s: admitted %llu, expected %llu (%.3f%%)", what,
		  (unsigned long long)admitted, (unsigned long long)expect,
		  err * 100);
}

static void test_long_run(void)
{
	const uint8_t modes[2] = { POLICER_TOKEN_BUCKET, POLICER_LEAKY_BUCKET };

	for (int m = 0; m < 2; m++) {
		const char *name = m == 0 ? "token" : "leaky";
		struct policer_cfg c;
		char what[64];

		/* Packets: 10 kpps, 10 s, 10x over. */
		c = make_cfg(modes[m], 10000, 100, 1, 1);
		snprintf(what, sizeof(what), "%s pps", name);
		check_avg(what, run(&c, 10000, 1, 10, 10, HZ, 1, 1),
			  10000 * 10 + 100, 0.01);
		/* Bytes of 64-byte frames: 640 kB/s (10,000 frames/s). */
		c = make_cfg(modes[m], 640000, 64 * 32, POLICER_MAX_COST, 1);
		snprintf(what, sizeof(what), "%s bytes 64", name);
		check_avg(what, run(&c, 640000, 64, 10, 10, HZ, 1, 1), 6400000,
			  0.01);
		/* Bytes of 1500-byte frames: 15 MB/s. */
		c = make_cfg(modes[m], 15000000, 1500 * 32, POLICER_MAX_COST,
			     1);
		snprintf(what, sizeof(what), "%s bytes 1500", name);
		check_avg(what, run(&c, 15000000, 1500, 10, 10, HZ, 1, 1),
			  150000000, 0.01);
		/* Just under the rate: nothing lost. */
		c = make_cfg(modes[m], 10000, 100, 1, 1);
		{
			struct policer_shared sh = { .tat = 0 };
			struct policer_local l = { 0 };
			uint64_t ok = 0;

			for (uint64_t i = 0; i < 99000; i++)
				ok += (uint64_t)policer_admit(
					&c, &sh, &l, 1, HZ + i * (HZ / 9900));
			CHECK_MSG(ok == 99000, "%s under the rate: %llu", name,
				  (unsigned long long)ok);
		}
	}
}

static void test_wrap(void)
{
	struct policer_cfg c = make_cfg(POLICER_TOKEN_BUCKET, 10000, 100, 1, 1);
	struct policer_cfg cl = make_cfg(POLICER_LEAKY_BUCKET, 10000, 0, 1, 1);

	/* The TSC itself wraps 5 s into the run. */
	check_avg("tsc wrap token", run(&c, 10000, 1, 10, 10, -5 * HZ, 1, 1),
		  100100, 0.01);
	check_avg("tsc wrap leaky", run(&cl, 10000, 1, 10, 10, -5 * HZ, 1, 1),
		  100000, 0.01);
	/* Policer time (TSC << 16) wraps 5 s into the run. */
	check_avg("time wrap token",
		  run(&c, 10000, 1, 10, 10, (1ull << 48) - 5 * HZ, 1, 1),
		  100100, 0.01);
	/* A TAT left from before a wrap (idle for half the range) looks far
	 * ahead: it is stale, not a reason to refuse. */
	{
		struct policer_shared sh;
		struct policer_local l = { 0 };
		uint64_t now = 1000 * HZ;

		sh.tat = policer_time(now) + (1ull << 62);
		CHECK(policer_admit(&cl, &sh, &l, 1, now) == 1);
		CHECK(policer_admit(&cl, &sh, &l, 1, now) == 0);
	}
}

/* Refresh pulls only old TATs, and what it leaves admits as before. */
static void test_refresh(void)
{
	struct policer_shared sh[3];
	uint64_t now = 77 * HZ, p = policer_time(now);

	sh[0].tat = p - POLICER_REFRESH_AGE - 1;
	sh[1].tat = p - 1000;
	sh[2].tat = p + 1000; /* ahead: untouched */
	policer_refresh(sh, 3, now);
	CHECK(sh[0].tat == p - POLICER_REFRESH_AGE);
	CHECK(sh[1].tat == p - 1000 && sh[2].tat == p + 1000);
}

static void test_workers(void)
{
	const uint8_t modes[2] = { POLICER_TOKEN_BUCKET, POLICER_LEAKY_BUCKET };

	for (int m = 0; m < 2; m++) {
		/* 100 kpps: batches of 50 per lease in token mode. */
		struct policer_cfg c = make_cfg(modes[m], 100000, 1000, 1, 2);
		uint64_t expect = 100000 * 10 + (m == 0 ? 1000 : 1000);
		static const char *how[4] = { "random", "one worker", "90/10",
					      "one then the other" };

		for (int pick = 0; pick < 4; pick++) {
			char what[80];

			snprintf(what, sizeof(what), "%s, 2 workers, %s",
				 m == 0 ? "token" : "leaky", how[pick]);
			check_avg(what, run(&c, 100000, 1, 10, 10, HZ, 2, pick),
				  expect, 0.01);
		}
	}
}

static void test_change_keeps_state(void)
{
	struct policer_cfg a = make_cfg(POLICER_TOKEN_BUCKET, 1000, 10, 1, 1);
	struct policer_cfg b = make_cfg(POLICER_TOKEN_BUCKET, 2000, 10, 1, 1);
	struct policer_shared sh = { .tat = 0 };
	struct policer_local l = { 0 };
	uint64_t ok = 0;

	/* 10 s at 10 kpps offered: 5 s under a, then 5 s under b. */
	for (uint64_t i = 0; i < 100000; i++)
		ok += (uint64_t)policer_admit(i < 50000 ? &a : &b, &sh, &l, 1,
					      HZ + i * 100000);
	check_avg("1000 then 2000 pps", ok, 1000 * 5 + 2000 * 5 + 10, 0.01);
	/* Just after the change the bucket did not refill. */
	{
		struct policer_shared s2 = { .tat = 0 };
		uint32_t n = offer_at_once(&a, &s2, &l, 100, 1, HZ);

		CHECK(n == 10);
		CHECK(offer_at_once(&b, &s2, &l, 100, 1, HZ) == 0);
	}
}

/* Two threads on one state with the real clock (ns): the sum holds. */
struct thread_arg {
	const struct policer_cfg *c;
	struct policer_shared *sh;
	uint64_t end_ns;
	uint64_t admitted;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * HZ + (uint64_t)ts.tv_nsec;
}

static void *hammer(void *p)
{
	struct thread_arg *a = p;
	struct policer_local l = { 0 };
	uint64_t now;

	while ((now = now_ns()) < a->end_ns)
		a->admitted += (uint64_t)policer_admit(a->c, a->sh, &l, 1, now);
	return NULL;
}

static void test_threads(void)
{
	const uint8_t modes[2] = { POLICER_TOKEN_BUCKET, POLICER_LEAKY_BUCKET };

	for (int m = 0; m < 2; m++) {
		/* A 100 ms burst absorbs a thread losing its CPU for a while
		 * (the machine is shared): idle time beyond it is lost. */
		struct policer_cfg c = make_cfg(modes[m], 200000, 20000, 1, 2);
		static struct policer_shared sh;
		struct thread_arg a[2];
		pthread_t th[2];
		uint64_t start = now_ns(), total;

		memset(&sh, 0, sizeof(sh));
		for (int i = 0; i < 2; i++) {
			a[i] = (struct thread_arg){ .c = &c,
						    .sh = &sh,
						    .end_ns = start + HZ / 2 };
			pthread_create(&th[i], NULL, hammer, &a[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		total = a[0].admitted + a[1].admitted;
		/* 0.5 s at 200 kpps plus the burst, counted from before the
		 * threads started (so at most that and two leases, at least
		 * 98% of it). A lost update would admit more. */
		CHECK_MSG(total <= 100000 + 20001 + 2 * c.lease &&
				  total >= 117600,
			  "%s threads admitted %llu (%llu + %llu)",
			  m == 0 ? "token" : "leaky", (unsigned long long)total,
			  (unsigned long long)a[0].admitted,
			  (unsigned long long)a[1].admitted);
	}
}

int main(void)
{
	test_params();
	test_token_burst();
	test_leaky_no_burst();
	test_long_run();
	test_wrap();
	test_refresh();
	test_workers();
	test_change_keeps_state();
	test_threads();
	return check_summary("policer");
}
