/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of the per-backend circuit breaker (slowpath/breaker.h): every
 * transition, the ejection time and its cap, the multiplier's decay, the
 * half-open admission and its timeout (a probe that never answers must
 * not stick the breaker), the failure-rate rule and its minimum volume,
 * and max_ejection_percent over a service.
 */
#include <string.h>

#include "breaker.h"
#include "check.h"

static struct outlier_params params(void)
{
	struct outlier_params p;

	outlier_params_default(&p);
	p.enabled = true;
	p.consecutive_failures = 3;
	p.base_ejection_ms = 1000;
	p.max_ejection_ms = 2500;
	p.half_open_flows = 2;
	p.half_open_timeout_ms = 500;
	return p;
}

/* One tick: add ok successes, fail failures and flows new flows. */
static bool feed(struct breaker *b, const struct outlier_params *p,
		 struct breaker_sample *s, uint64_t ok, uint64_t fail,
		 uint64_t flows, uint64_t now, bool may)
{
	s->successes += ok;
	s->failures += fail;
	s->new_flows += flows;
	return breaker_step(b, p, s, now, may);
}

static void test_closed_to_open(void)
{
	struct outlier_params p = params();
	struct breaker b;
	struct breaker_sample s = { 100, 100, 100 };

	breaker_init(&b, 0);
	CHECK(breaker_admits(&b) && b.state == BREAKER_CLOSED);
	/* The first sample is the baseline: old sums are no failures. */
	CHECK(!feed(&b, &p, &s, 0, 0, 0, 100, true));
	CHECK(b.consecutive == 0);
	CHECK(!feed(&b, &p, &s, 0, 2, 2, 200, true));
	CHECK(b.consecutive == 2 && b.state == BREAKER_CLOSED);
	/* A success ends the run. */
	CHECK(!feed(&b, &p, &s, 1, 0, 1, 300, true));
	CHECK(b.consecutive == 0);
	CHECK(!feed(&b, &p, &s, 0, 2, 2, 400, true));
	CHECK(feed(&b, &p, &s, 0, 1, 1, 500, true));
	CHECK(b.state == BREAKER_OPEN && !breaker_admits(&b));
	CHECK(b.n_ejections == 1 && b.multiplier == 1);
	CHECK(b.open_until_ms == 1500);
	CHECK(b.n_failures == 5 && b.n_successes == 1);
}

/* Drive a breaker to OPEN at `now` (3 failures). */
static void trip(struct breaker *b, const struct outlier_params *p,
		 struct breaker_sample *s, uint64_t now)
{
	feed(b, p, s, 0, 3, 3, now, true);
}

static void test_open_half_open_close(void)
{
	struct outlier_params p = params();
	struct breaker b;
	struct breaker_sample s = { 0 };

	breaker_init(&b, 0);
	feed(&b, &p, &s, 0, 0, 0, 0, true);
	trip(&b, &p, &s, 100);
	CHECK(b.state == BREAKER_OPEN);
	/* Verdicts while open are of old flows: ignored. */
	CHECK(!feed(&b, &p, &s, 1, 5, 0, 600, true));
	CHECK(b.state == BREAKER_OPEN);
	CHECK(!feed(&b, &p, &s, 0, 0, 0, 1099, true));
	CHECK(b.state == BREAKER_OPEN);
	/* At base x 1: half open, admitting again. */
	CHECK(feed(&b, &p, &s, 0, 0, 0, 1100, true));
	CHECK(b.state == BREAKER_HALF_OPEN && breaker_admits(&b));
	/* No traffic: stays half open, admitting (not stuck: open). */
	CHECK(!feed(&b, &p, &s, 0, 0, 0, 9000, true));
	CHECK(b.state == BREAKER_HALF_OPEN && breaker_admits(&b));
	/* One flow: still admits; the second: withdrawn until a verdict. */
	CHECK(!feed(&b, &p, &s, 0, 0, 1, 9100, true));
	CHECK(breaker_admits(&b) && b.admitted == 1);
	CHECK(feed(&b, &p, &s, 0, 0, 1, 9200, true));
	CHECK(!breaker_admits(&b) && b.state == BREAKER_HALF_OPEN);
	/* A success closes it. */
	CHECK(feed(&b, &p, &s, 1, 0, 0, 9300, true));
	CHECK(b.state == BREAKER_CLOSED && breaker_admits(&b));
	CHECK(b.consecutive == 0);
}

static void test_half_open_failure_and_cap(void)
{
	struct outlier_params p = params();
	struct breaker b;
	struct breaker_sample s = { 0 };

	breaker_init(&b, 0);
	feed(&b, &p, &s, 0, 0, 0, 0, true);
	trip(&b, &p, &s, 100);
	feed(&b, &p, &s, 0, 0, 0, 1100, true);
	CHECK(b.state == BREAKER_HALF_OPEN);
	/* A failure re-opens for base x 2. */
	CHECK(feed(&b, &p, &s, 0, 1, 1, 1200, true));
	CHECK(b.state == BREAKER_OPEN && b.multiplier == 2);
	CHECK(b.open_until_ms == 1200 + 2000);
	CHECK(b.n_ejections == 2);
	feed(&b, &p, &s, 0, 0, 0, 3200, true);
	CHECK(b.state == BREAKER_HALF_OPEN);
	/* x 3 = 3000 is over max_ejection_ms 2500: capped. */
	CHECK(feed(&b, &p, &s, 0, 1, 1, 3300, true));
	CHECK(b.multiplier == 3 && b.open_until_ms == 3300 + 2500);
	feed(&b, &p, &s, 0, 0, 0, 5800, true);
	CHECK(b.state == BREAKER_HALF_OPEN);
	/* Even half open, a failure with the cap full re-opens: the
	 * backend counts as ejected already. */
	CHECK(feed(&b, &p, &s, 0, 1, 0, 5900, false));
	CHECK(b.state == BREAKER_OPEN);
}

/* The trap: half-open probes that never answer must not stick it. */
static void test_half_open_timeout(void)
{
	struct outlier_params p = params();
	struct breaker b;
	struct breaker_sample s = { 0 };

	breaker_init(&b, 0);
	feed(&b, &p, &s, 0, 0, 0, 0, true);
	trip(&b, &p, &s, 100);
	feed(&b, &p, &s, 0, 0, 0, 1100, true);
	feed(&b, &p, &s, 0, 0, 2, 1200, true); /* both probes out */
	CHECK(!breaker_admits(&b));
	CHECK(!feed(&b, &p, &s, 0, 0, 0, 1699, true));
	CHECK(b.state == BREAKER_HALF_OPEN);
	/* half_open_timeout_ms after the first flow: a failure. */
	feed(&b, &p, &s, 0, 0, 0, 1700, true);
	CHECK_MSG(b.state == BREAKER_OPEN,
		  "half open without an answer stays %s",
		  breaker_state_name(b.state));
	CHECK(b.n_half_open_timeouts == 1 && b.multiplier == 2);
	/* And on to half open again, so it cannot stay out forever. */
	feed(&b, &p, &s, 0, 0, 0, 1700 + 2000, true);
	CHECK(b.state == BREAKER_HALF_OPEN && breaker_admits(&b));
}

/* The multiplier goes down by one per base_ejection_ms spent closed. */
static void test_decay(void)
{
	struct outlier_params p = params();
	struct breaker b;
	struct breaker_sample s = { 0 };

	p.max_ejection_ms = 100000;
	breaker_init(&b, 0);
	feed(&b, &p, &s, 0, 0, 0, 0, true);
	trip(&b, &p, &s, 100);
	feed(&b, &p, &s, 0, 0, 0, 1100, true);
	feed(&b, &p, &s, 0, 1, 1, 1200, true); /* x2 */
	feed(&b, &p, &s, 0, 0, 0, 3200, true);
	feed(&b, &p, &s, 1, 0, 1, 3300, true); /* closed, multiplier 2 */
	CHECK(b.state == BREAKER_CLOSED && b.multiplier == 2);
	trip(&b, &p, &s, 3400); /* 100 ms closed: no decay, x3 */
	CHECK(b.multiplier == 3 && b.open_until_ms == 3400 + 3000);
	feed(&b, &p, &s, 0, 0, 0, 6400, true);
	feed(&b, &p, &s, 1, 0, 1, 6500, true);
	trip(&b, &p, &s, 6500 + 2500); /* 2 bases closed: 3 - 2 + 1 */
	CHECK(b.multiplier == 2 && b.open_until_ms == 9000 + 2000);
}

static void test_rate(void)
{
	struct outlier_params p = params();
	struct breaker b;
	struct breaker_sample s = { 0 };

	p.consecutive_failures = 0;
	p.failure_rate_percent = 50;
	p.failure_rate_min_flows = 10;
	p.window_ms = 1000;
	breaker_init(&b, 0);
	feed(&b, &p, &s, 0, 0, 0, 0, true);
	/* 4 of 8 failed: 50 %, but under the minimum volume. */
	CHECK(!feed(&b, &p, &s, 4, 4, 8, 100, true));
	CHECK(b.state == BREAKER_CLOSED);
	/* The window forgets: 1 s later those 8 are gone. */
	CHECK(!feed(&b, &p, &s, 1, 1, 2, 1200, true));
	CHECK(b.state == BREAKER_CLOSED);
	CHECK(!feed(&b, &p, &s, 5, 3, 8, 1300, true)); /* 4/10: 40 % */
	CHECK(b.state == BREAKER_CLOSED);
	CHECK(feed(&b, &p, &s, 0, 2, 2, 1400, true)); /* 6/12: 50 % */
	CHECK(b.state == BREAKER_OPEN);
}

static void test_cap(void)
{
	struct outlier_params p = params();
	struct breaker b[20];
	struct breaker_sample s[20];
	bool el[20];
	uint32_t open = 0;

	/* 10 % of 3 is none, but one always may (Envoy); of 20, two. */
	CHECK(breaker_cap_allows(0, 3, 10) && !breaker_cap_allows(1, 3, 10));
	CHECK(breaker_cap_allows(1, 20, 10) && !breaker_cap_allows(2, 20, 10));
	CHECK(!breaker_cap_allows(0, 3, 0));
	CHECK(breaker_cap_allows(2, 3, 100) && !breaker_cap_allows(3, 3, 100));
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 20; i++) {
		breaker_init(&b[i], 0);
		el[i] = true;
	}
	el[19] = false; /* the operator's: neither counted nor stepped */
	breaker_service_step(b, 20, &p, s, el, 0);
	for (int i = 0; i < 20; i++)
		s[i].failures += 5;
	CHECK(breaker_service_step(b, 20, &p, s, el, 100) == 1);
	for (int i = 0; i < 20; i++)
		open += b[i].state == BREAKER_OPEN;
	CHECK_MSG(open == 1, "19 backends, 10 %%: %u ejected", open);
	CHECK(b[19].state == BREAKER_CLOSED && b[19].n_failures == 0);
	CHECK(b[1].refused && b[1].n_refused == 1);
	/* Refusal is counted once per trip, not per tick. */
	for (int i = 0; i < 20; i++)
		s[i].failures += 1;
	breaker_service_step(b, 20, &p, s, el, 200);
	CHECK(b[1].n_refused == 1);
	/* 20 eligible at 10 %: two. */
	el[19] = true;
	p.max_ejection_percent = 10;
	for (int i = 0; i < 20; i++)
		s[i].failures += 1;
	breaker_service_step(b, 20, &p, s, el, 300);
	open = 0;
	for (int i = 0; i < 20; i++)
		open += b[i].state == BREAKER_OPEN;
	CHECK_MSG(open == 2, "20 backends, 10 %%: %u ejected", open);
}

/* A fast-path restart sends the sums back: no huge deltas. */
static void test_sums_back(void)
{
	struct outlier_params p = params();
	struct breaker b;
	struct breaker_sample s = { 1000, 1000, 1000 };

	breaker_init(&b, 0);
	feed(&b, &p, &s, 0, 0, 0, 0, true);
	s.failures = 1;
	s.successes = 0;
	s.new_flows = 0;
	CHECK(!breaker_step(&b, &p, &s, 100, true));
	CHECK(b.state == BREAKER_CLOSED && b.consecutive == 0);
	CHECK(!feed(&b, &p, &s, 0, 2, 0, 200, true));
	CHECK(b.consecutive == 2);
}

int main(void)
{
	test_closed_to_open();
	test_open_half_open_close();
	test_half_open_failure_and_cap();
	test_half_open_timeout();
	test_decay();
	test_rate();
	test_cap();
	test_sums_back();
	CHECK(strcmp(breaker_state_name(BREAKER_HALF_OPEN), "half_open") == 0);
	return check_summary("breaker");
}
