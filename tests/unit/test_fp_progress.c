/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/fp_progress.c: a worker whose polls stop moving is stalled
 * after exactly the stall time, moves again at once, each worker on its
 * own clock, a change in the number of workers restarts the clocks, and
 * a stall time of 0 never stalls.
 */
#include <string.h>

#include "check.h"
#include "fp_progress.h"

static void test_one_worker(void)
{
	struct fp_progress p;
	uint64_t polls[1] = { 5 };

	fp_progress_reset(&p);
	CHECK(fp_progress_sample(&p, polls, 1, 1000, 2000) == 0);
	CHECK(fp_progress_sample(&p, polls, 1, 2999, 2000) == 0);
	CHECK(fp_progress_sample(&p, polls, 1, 3000, 2000) == 1);
	CHECK(p.stalled == 1);
	polls[0]++; /* one more poll: moving again */
	CHECK(fp_progress_sample(&p, polls, 1, 3100, 2000) == 0);
	CHECK(fp_progress_sample(&p, polls, 1, 5099, 2000) == 0);
	CHECK(fp_progress_sample(&p, polls, 1, 5100, 2000) == 1);
}

static void test_workers_apart(void)
{
	struct fp_progress p;
	uint64_t polls[3] = { 1, 1, 1 };

	fp_progress_reset(&p);
	fp_progress_sample(&p, polls, 3, 0, 1000);
	for (uint64_t t = 100; t <= 1500; t += 100) {
		polls[0]++;
		polls[2] += t < 700; /* worker 2 stops at 700 ms */
		uint32_t n = fp_progress_sample(&p, polls, 3, t, 1000);
		/* worker 1 never moved: stalled from 1000 ms; worker 2 from
		 * its last move (600 ms) + 1000 */
		CHECK(n == (uint32_t)(t >= 1000) + (uint32_t)(t >= 1600));
	}
	CHECK(fp_progress_sample(&p, polls, 3, 1600, 1000) == 2);
}

static void test_n_changes(void)
{
	struct fp_progress p;
	uint64_t polls[2] = { 7, 7 };

	fp_progress_reset(&p);
	fp_progress_sample(&p, polls, 1, 0, 500);
	CHECK(fp_progress_sample(&p, polls, 1, 600, 500) == 1);
	/* a new fast path with two workers: clocks start again */
	CHECK(fp_progress_sample(&p, polls, 2, 700, 500) == 0);
	CHECK(fp_progress_sample(&p, polls, 2, 1199, 500) == 0);
	CHECK(fp_progress_sample(&p, polls, 2, 1200, 500) == 2);
}

static void test_off_and_clamp(void)
{
	struct fp_progress p;
	uint64_t polls[EP_MAX_WORKERS + 1];

	memset(polls, 0, sizeof(polls));
	fp_progress_reset(&p);
	fp_progress_sample(&p, polls, 1, 0, 0);
	CHECK(fp_progress_sample(&p, polls, 1, 1000000, 0) == 0);
	fp_progress_reset(&p);
	fp_progress_sample(&p, polls, EP_MAX_WORKERS + 1, 0, 10);
	CHECK(p.n == EP_MAX_WORKERS);
	CHECK(fp_progress_sample(&p, polls, EP_MAX_WORKERS + 1, 10, 10) ==
	      EP_MAX_WORKERS);
}

int main(void)
{
	test_one_worker();
	test_workers_apart();
	test_n_changes();
	test_off_and_clamp();
	return check_summary("fp_progress");
}
