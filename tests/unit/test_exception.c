/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the exception path's admission (fastpath/exception.h,
 * exc_admit) on a fake TSC: a flood from one source is held to the
 * per-source rate while another source loses nothing; many sources are
 * held to the total; ARP/ND keep their own budget under a flood that
 * exhausts the total, and an ARP flood is held to it without touching
 * the others; two workers share every budget; 0 means no limit; sources
 * spread over the buckets.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "exception.h"

#define HZ 1000000000ull /* fake TSC: 1 cycle = 1 ns */
#define US 1000ull

static struct policer_shared *sh;
static struct exc_local *loc[2];
static struct exc_limits lim;

static void setup(uint32_t pps, uint32_t source_pps, uint32_t neigh_pps,
		  uint32_t workers)
{
	struct exc_params p = { .pps = pps,
				.source_pps = source_pps,
				.neigh_pps = neigh_pps };

	free(sh);
	sh = aligned_alloc(64, sizeof(*sh) * EXC_SH_N);
	policer_shared_reset(sh, EXC_SH_N, 0);
	for (int i = 0; i < 2; i++) {
		free(loc[i]);
		loc[i] = calloc(1, sizeof(*loc[i]));
	}
	CHECK(exc_limits_init(&lim, &p, HZ, workers, sh, 12345) == 0);
}

static struct pkt_meta from4(uint32_t addr)
{
	struct pkt_meta m;

	memset(&m, 0, sizeof(m));
	m.family = EP_AF_INET;
	m.key.family = EP_AF_INET;
	m.key.src[0] = (uint8_t)(addr >> 24);
	m.key.src[1] = (uint8_t)(addr >> 16);
	m.key.src[2] = (uint8_t)(addr >> 8);
	m.key.src[3] = (uint8_t)addr;
	return m;
}

/* Admitted of `n` packets, the other outcomes counted by reason. */
struct tally {
	unsigned int ok, source, all, neigh;
};

static void count(struct tally *t, int why)
{
	if (why == 0)
		t->ok++;
	else if (why == EP_DROP_EXC_RATE_SOURCE)
		t->source++;
	else if (why == EP_DROP_EXC_RATE)
		t->all++;
	else if (why == EP_DROP_EXC_RATE_NEIGH)
		t->neigh++;
}

#define NEAR(got, want, slack)                                                 \
	((got) + (slack) >= (want) && (got) <= (want) + (slack))

/* 10 s: source A at 10,000/s (100x its 100/s), source B at 50/s. */
static void test_source_flood(void)
{
	struct pkt_meta a = from4(0x0a000003), b = from4(0x0a000002);
	struct tally ta = { 0 }, tb = { 0 };

	setup(1000, 100, 50, 1);
	for (uint64_t i = 0; i < 100000; i++) {
		uint64_t now = 1000 * US + i * 100 * US;

		count(&ta, exc_admit(&lim, loc[0], 0, &a, now));
		if (i % 200 == 0)
			count(&tb, exc_admit(&lim, loc[0], 0, &b, now));
	}
	CHECK_MSG(tb.ok == 500, "B admitted %u of 500", tb.ok);
	/* 100/s for 10 s plus the 16-packet bucket and a lease. */
	CHECK_MSG(NEAR(ta.ok, 1016u, 20u), "A admitted %u (want ~1016)", ta.ok);
	CHECK_MSG(ta.source == 100000 - ta.ok && ta.all == 0,
		  "A refused: %u by source, %u by total", ta.source, ta.all);
}

/* 1,000 sources at 5/s each (5,000/s, under their 100/s) for 10 s. */
static void test_total(void)
{
	struct tally t = { 0 };

	setup(1000, 100, 50, 1);
	for (uint64_t i = 0; i < 50000; i++) {
		struct pkt_meta m = from4(0x0a010000 + (uint32_t)(i % 1000));

		count(&t,
		      exc_admit(&lim, loc[0], 0, &m, 1000 * US + i * 200 * US));
	}
	CHECK_MSG(NEAR(t.ok, 10050u, 60u), "admitted %u (want ~10050)", t.ok);
	CHECK_MSG(t.source == 0 && t.all == 50000 - t.ok,
		  "refused %u by source, %u by total", t.source, t.all);
}

/* The total exhausted by many sources: ARP at 25/s still all admitted;
 * then an ARP flood at 10,000/s held to 50/s, the others unchanged. */
static void test_neigh_priority(void)
{
	struct tally t = { 0 }, arp = { 0 }, flood = { 0 };

	setup(1000, 100, 50, 1);
	for (uint64_t i = 0; i < 100000; i++) {
		uint64_t now = 1000 * US + i * 100 * US;
		struct pkt_meta m = from4(0x0a020000 + (uint32_t)(i % 4000));

		count(&t, exc_admit(&lim, loc[0], 0, &m, now));
		if (i % 400 == 0)
			count(&arp, exc_admit(&lim, loc[0], 1, NULL, now));
	}
	CHECK_MSG(arp.ok == 250, "ARP admitted %u of 250 under a flood",
		  arp.ok);
	CHECK_MSG(t.all > 80000, "the flood was held by the total (%u)", t.all);

	setup(1000, 100, 50, 1);
	memset(&t, 0, sizeof(t));
	for (uint64_t i = 0; i < 100000; i++) {
		uint64_t now = 1000 * US + i * 100 * US;

		count(&flood, exc_admit(&lim, loc[0], 1, NULL, now));
		if (i % 100 == 0) { /* 100/s from 10 sources */
			struct pkt_meta m =
				from4(0x0a030000 + (uint32_t)(i % 10));

			count(&t, exc_admit(&lim, loc[0], 0, &m, now));
		}
	}
	CHECK_MSG(NEAR(flood.ok, 516u, 20u) && flood.neigh == 100000 - flood.ok,
		  "ARP flood admitted %u (want ~516)", flood.ok);
	CHECK_MSG(t.ok == 1000, "others admitted %u of 1000 during it", t.ok);
}

/* Two workers, alternating, one flooding source: the limit is shared. */
static void test_two_workers(void)
{
	struct pkt_meta a = from4(0x0a000009);
	struct tally t = { 0 };

	setup(1000, 100, 50, 2);
	for (uint64_t i = 0; i < 100000; i++)
		count(&t, exc_admit(&lim, loc[i & 1], 0, &a,
				    1000 * US + i * 100 * US));
	CHECK_MSG(NEAR(t.ok, 1016u, 20u), "two workers admitted %u", t.ok);
}

static void test_no_limit(void)
{
	struct pkt_meta a = from4(0x0a000004);
	unsigned int ok = 0;

	setup(0, 0, 0, 1);
	for (uint64_t i = 0; i < 10000; i++) {
		ok += exc_admit(&lim, loc[0], 0, &a, 1000 * US + i) == 0;
		ok += exc_admit(&lim, loc[0], 1, NULL, 1000 * US + i) == 0;
	}
	CHECK(ok == 20000);
}

static void test_buckets(void)
{
	static uint8_t seen[EXC_SRC_BUCKETS];
	unsigned int distinct = 0;
	struct pkt_meta m;

	setup(1000, 100, 50, 1);
	for (uint32_t i = 0; i < EXC_SRC_BUCKETS; i++) {
		uint32_t b;

		m = from4(0x0a000000 + i);
		b = exc_source_bucket(&lim, &m);
		CHECK(b < EXC_SRC_BUCKETS);
		distinct += !seen[b];
		seen[b] = 1;
	}
	/* Random placement would give 63% of the buckets. */
	CHECK_MSG(distinct > EXC_SRC_BUCKETS / 2, "%u distinct buckets",
		  distinct);
	memset(&m, 0, sizeof(m)); /* no IP: one bucket */
	CHECK(exc_source_bucket(&lim, &m) == 0);
	CHECK(exc_source_bucket(&lim, NULL) == 0);
}

int main(void)
{
	test_source_flood();
	test_total();
	test_neigh_priority();
	test_two_workers();
	test_no_limit();
	test_buckets();
	free(sh);
	free(loc[0]);
	free(loc[1]);
	return check_summary("exception");
}
