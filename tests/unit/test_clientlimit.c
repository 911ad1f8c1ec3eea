/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/clientlimit: client keys (IPv4 /32, IPv6 cut
 * to the configured prefix), scopes, least-recently-seen eviction, a
 * flow's hints to its entries, a spoofed spray that cannot grow the table
 * while a busy client keeps its entry, per-client GCRA averages, the
 * global per-client limits over every service (policing.h's check), and 2^20 clients in under 64 MiB.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "check.h"
#include "clientlimit.h"
#include "policing.h"
#include "test_eal.h"
#include "testrand.h"

#define HZ 1000000000ull
#define MS(x) ((uint64_t)(x)*1000000ull)

static struct cl_table *make(uint32_t entries, uint8_t v6_prefix)
{
	struct cl_params p = { .name = "test_cl",
			       .entries = entries,
			       .v6_prefix = v6_prefix,
			       .socket_id = SOCKET_ID_ANY,
			       .tsc_hz = HZ,
			       .seed = 0x1234 };
	struct cl_table *t = cl_create(&p);

	CHECK_MSG(t != NULL, "cl_create %u: %s", entries,
		  rte_strerror(rte_errno));
	return t;
}

static void v4(uint8_t a[16], uint32_t host)
{
	memset(a, 0, 16);
	a[0] = (uint8_t)(host >> 24);
	a[1] = (uint8_t)(host >> 16);
	a[2] = (uint8_t)(host >> 8);
	a[3] = (uint8_t)host;
}

static void test_params(void)
{
	struct cl_params p = { .name = "x",
			       .entries = 0,
			       .tsc_hz = HZ,
			       .socket_id = SOCKET_ID_ANY };

	CHECK(cl_create(&p) == NULL && rte_errno == EINVAL);
	p.entries = CL_MAX_ENTRIES + 1;
	CHECK(cl_create(&p) == NULL && rte_errno == EINVAL);
	p.entries = 8;
	p.v6_prefix = 129;
	CHECK(cl_create(&p) == NULL && rte_errno == EINVAL);
	p.v6_prefix = 0;
	{
		struct cl_table *t = cl_create(&p);

		CHECK(t != NULL && t->v6_prefix == CL_DEFAULT_V6_PREFIX);
		cl_free(t);
	}
	cl_free(NULL);
}

static void test_keys(void)
{
	struct cl_table *t = make(64, 64);
	uint8_t a[16], b[16];
	struct cl_entry *e1;

	if (!t)
		return;
	v4(a, 0x0a000001);
	v4(b, 0x0a000002);
	e1 = cl_get(t, a, EP_AF_INET, 3, MS(1));
	CHECK(cl_get(t, a, EP_AF_INET, 3, MS(1)) == e1);
	CHECK(cl_get(t, b, EP_AF_INET, 3, MS(1)) != e1); /* /32 */
	CHECK(cl_get(t, a, EP_AF_INET, 4, MS(1)) != e1); /* scope */
	CHECK(cl_get(t, a, EP_AF_INET, CL_SCOPE_GLOBAL, MS(1)) != e1);
	/* The same 16 bytes as IPv6 are another client. */
	CHECK(cl_get(t, a, EP_AF_INET6, 3, MS(1)) != e1);
	CHECK(cl_count(t) == 5);

	/* IPv6 /64: the interface identifier does not matter. */
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	memcpy(b, a, 16);
	b[15] = 0x99;
	b[8] = 0xff;
	e1 = cl_get(t, a, EP_AF_INET6, 1, MS(1));
	CHECK(cl_get(t, b, EP_AF_INET6, 1, MS(1)) == e1);
	b[7] = 0x01; /* bit 63: another /64 */
	CHECK(cl_get(t, b, EP_AF_INET6, 1, MS(1)) != e1);
	cl_free(t);

	/* /48 and /128. */
	t = make(64, 48);
	if (!t)
		return;
	memcpy(b, a, 16);
	b[6] = 0x55;
	e1 = cl_get(t, a, EP_AF_INET6, 1, MS(1));
	CHECK(cl_get(t, b, EP_AF_INET6, 1, MS(1)) == e1);
	b[5] = 0x01;
	CHECK(cl_get(t, b, EP_AF_INET6, 1, MS(1)) != e1);
	cl_free(t);
	t = make(64, 128);
	if (!t)
		return;
	memcpy(b, a, 16);
	b[15] = 1;
	e1 = cl_get(t, a, EP_AF_INET6, 1, MS(1));
	CHECK(cl_get(t, b, EP_AF_INET6, 1, MS(1)) != e1);
	CHECK(cl_get(t, a, EP_AF_INET6, 1, MS(1)) == e1);
	cl_free(t);
}

/* Mark an entry so that we can tell whether it survived. */
#define MARK 0x5eedull

static void test_lru(void)
{
	struct cl_table *t = make(4, 64);
	uint8_t a[16];
	struct cl_entry *e;

	if (!t)
		return;
	for (uint32_t i = 1; i <= 4; i++) {
		v4(a, i);
		e = cl_get(t, a, EP_AF_INET, 0, MS(i));
		e->tat[CL_PPS] = MARK + i;
	}
	/* Seen again later: 1 becomes the most recent, 2 the least. */
	v4(a, 1);
	cl_get(t, a, EP_AF_INET, 0, MS(10));
	v4(a, 5);
	e = cl_get(t, a, EP_AF_INET, 0, MS(11));
	CHECK(t->evictions == 1 && cl_count(t) == 4);
	CHECK(e->tat[CL_PPS] != MARK + 2); /* a fresh entry */
	/* 1, 3 and 4 are still there with their state; 2 is gone. */
	for (uint32_t i = 1; i <= 4; i++) {
		uint64_t ev = t->evictions;

		if (i == 2)
			continue;
		v4(a, i);
		e = cl_get(t, a, EP_AF_INET, 0, MS(12));
		CHECK_MSG(e->tat[CL_PPS] == MARK + i && t->evictions == ev,
			  "client %u", i);
	}
	v4(a, 2);
	e = cl_get(t, a, EP_AF_INET, 0, MS(13));
	CHECK(e->tat[CL_PPS] != MARK + 2 && t->evictions == 2);
	/* The one evicted for 2 was the least recent then: 5. */
	v4(a, 5);
	cl_get(t, a, EP_AF_INET, 0, MS(14));
	CHECK(t->evictions == 3);
	cl_free(t);
}

/*
 * A flow's hint (cl_get_hinted()): none (0) is looked up and set; a hint
 * to the client's entry is taken, and keeps the LRU order; a hint to an
 * entry recycled for another client, to another scope, or past the
 * entries in use is not, and is corrected; an IPv6 hint matches by the
 * prefix.
 */
static void test_hints(void)
{
	struct cl_table *t = make(2, 64);
	uint8_t a[16], b[16], c[16];
	struct cl_entry *ea, *e;
	struct cl_prefix p64, p128;
	uint32_t hint = 0, ev;

	if (!t)
		return;
	cl_prefix_init(&p64, 64);
	cl_prefix_init(&p128, 128);
	v4(a, 0x0a000001);
	v4(b, 0x0a000002);
	v4(c, 0x0a000003);
	ea = cl_get_hinted(t, &hint, a, EP_AF_INET, &p64, 5, MS(1));
	CHECK(hint == (uint32_t)(ea - t->entries) + 1 && cl_count(t) == 1);
	ea->tat[CL_PPS] = MARK;
	e = cl_get_hinted(t, &hint, a, EP_AF_INET, &p64, 5, MS(2));
	CHECK(e == ea && e->tat[CL_PPS] == MARK && cl_count(t) == 1);
	/* The same address in another scope is another client. */
	{
		uint32_t h2 = hint;

		e = cl_get_hinted(t, &h2, a, EP_AF_INET, &p64, 6, MS(3));
		CHECK(e != ea && h2 != hint && e->tat[CL_PPS] != MARK);
	}
	/* a is the least recent now; b recycles its entry. */
	ev = (uint32_t)t->evictions;
	e = cl_get(t, b, EP_AF_INET, 5, MS(4));
	CHECK(e == ea && t->evictions == ev + 1);
	e->tat[CL_PPS] = MARK + 1;
	/* a's stale hint names b's entry now: a gets an entry of its own. */
	e = cl_get_hinted(t, &hint, a, EP_AF_INET, &p64, 5, MS(5));
	CHECK(e->tat[CL_PPS] != MARK + 1 && e->tat[CL_PPS] != MARK);
	CHECK(hint == (uint32_t)(e - t->entries) + 1);
	/* A hint past the entries in use is ignored. */
	{
		uint32_t far = 1000;

		e = cl_get_hinted(t, &far, c, EP_AF_INET, &p64, 5, MS(6));
		CHECK(far == (uint32_t)(e - t->entries) + 1 && far <= 2);
	}
	cl_free(t);

	/* IPv6: another address of the same /64 is the same client. */
	t = make(4, 64);
	if (!t)
		return;
	{
		uint8_t x[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1 }, y[16];
		uint32_t h6 = 0;

		x[15] = 1;
		memcpy(y, x, 16);
		y[15] = 2;
		ea = cl_get_hinted(t, &h6, x, EP_AF_INET6, &p64, 5, MS(1));
		e = cl_get_hinted(t, &h6, y, EP_AF_INET6, &p64, 5, MS(2));
		CHECK(e == ea && cl_count(t) == 1);
		y[7] = 2; /* another /64 */
		e = cl_get_hinted(t, &h6, y, EP_AF_INET6, &p64, 5, MS(3));
		CHECK(e != ea && cl_count(t) == 2 &&
		      h6 == (uint32_t)(e - t->entries) + 1);
		/* A prefix changed to /128: x's hint to its /64 entry is
		 * not x's client any more. */
		h6 = (uint32_t)(ea - t->entries) + 1;
		e = cl_get_hinted(t, &h6, x, EP_AF_INET6, &p128, 5, MS(4));
		CHECK(e != ea && cl_count(t) == 3 &&
		      memcmp(e->addr, x, 16) == 0);
	}
	cl_free(t);
}

static void test_spray(void)
{
	struct cl_table *t = make(1000, 64);
	uint8_t heavy[16], a[16];
	struct cl_entry *e;
	int kept = 1;

	if (!t)
		return;
	v4(heavy, 0xc0000201);
	e = cl_get(t, heavy, EP_AF_INET, 0, 0);
	e->tat[CL_CPS] = MARK;
	/* 100,000 spoofed sources, 10 per ms; the heavy client sends a
	 * packet every millisecond among them. */
	for (uint32_t i = 0; i < 100000; i++) {
		uint64_t now = MS(i / 10 + 1);

		v4(a, (uint32_t)rng64() | 0x01000000u);
		cl_get(t, a, EP_AF_INET, 0, now);
		if (i % 10 == 9)
			kept &= cl_get(t, heavy, EP_AF_INET, 0, now)
					->tat[CL_CPS] == MARK;
	}
	CHECK(kept);
	CHECK(cl_count(t) == 1000);
	CHECK_MSG(t->evictions >= 99000 - 1, "evictions %llu",
		  (unsigned long long)t->evictions);
	cl_free(t);
}

static void test_rates(void)
{
	struct policer_params pp = { .mode = POLICER_TOKEN_BUCKET,
				     .rate = 100,
				     .burst = 10,
				     .max_cost = 1 };
	struct policer_cfg c;
	struct cl_table *t = make(16, 64);
	uint8_t heavy[16], light[16];
	uint64_t ok_heavy = 0, ok_light = 0;

	if (!t)
		return;
	CHECK(policer_cfg_init(&c, &pp, HZ, 1) == 0);
	v4(heavy, 1);
	v4(light, 2);
	/* 10 s: heavy at 100x its 100 pps, light at half. */
	for (uint64_t i = 0; i < 100000; i++) {
		uint64_t now = HZ + i * 100000;

		ok_heavy += (uint64_t)cl_admit(
			&c, cl_get(t, heavy, EP_AF_INET, 0, now), CL_PPS, now);
		if (i % 200 == 0)
			ok_light += (uint64_t)cl_admit(
				&c, cl_get(t, light, EP_AF_INET, 0, now),
				CL_PPS, now);
	}
	CHECK_MSG(ok_heavy >= 1000 && ok_heavy <= 1000 + 10 + 10, "heavy %llu",
		  (unsigned long long)ok_heavy);
	CHECK_MSG(ok_light == 500, "light %llu", (unsigned long long)ok_light);
	cl_free(t);
}

/* An idle client's times are pulled up before the clock wrap could make
 * them look ahead; one that is merely in the past stays. */
static void test_refresh(void)
{
	struct cl_table *t = make(8, 64);
	struct policer_params pp = { .mode = POLICER_LEAKY_BUCKET,
				     .rate = 10,
				     .max_cost = 1 };
	struct policer_cfg c;
	uint8_t a[16];
	struct cl_entry *e;
	uint64_t now = 1000 * HZ, p_now = policer_time(now);

	if (!t)
		return;
	CHECK(policer_cfg_init(&c, &pp, HZ, 1) == 0);
	v4(a, 9);
	e = cl_get(t, a, EP_AF_INET, 0, now);
	e->tat[CL_PPS] = p_now - POLICER_REFRESH_AGE - 5;
	e->tat[CL_CPS] = p_now - 1000;
	cl_refresh(t, 8, now);
	CHECK(e->tat[CL_PPS] == p_now - POLICER_REFRESH_AGE);
	CHECK(e->tat[CL_CPS] == p_now - 1000);
	CHECK(cl_admit(&c, e, CL_PPS, now) == 1);
	CHECK(cl_admit(&c, e, CL_PPS, now) == 0);
	cl_free(t);
}

static void test_million(void)
{
	const uint32_t n = 1u << 20;
	struct cl_table *t;
	uint8_t a[16];

	CHECK_MSG(cl_memory_bytes(n) <= 64ull << 20, "%llu bytes",
		  (unsigned long long)cl_memory_bytes(n));
	CHECK(cl_memory_bytes(n) / n <= 52);
	t = make(n, 64);
	if (!t)
		return;
	/* Twice as many sources as entries: memory stays. */
	for (uint32_t i = 0; i < 2 * n; i++) {
		v4(a, i * 2654435761u);
		cl_get(t, a, EP_AF_INET, 0, MS(i >> 10));
	}
	CHECK(cl_count(t) == n);
	CHECK(t->evictions >= n - 1);
	cl_free(t);
}

static void limit(struct policer_cfg *c, uint64_t rate, uint64_t burst)
{
	struct policer_params pp = { .mode = POLICER_TOKEN_BUCKET,
				     .rate = rate,
				     .burst = burst,
				     .max_cost = 1 };

	CHECK(policer_cfg_init(c, &pp, HZ, 1) == 0);
}

/* A global per-client packets/s limit of `rate` (burst `burst`) on /64
 * clients, and service 1's own at `svc_rate` (burst the same) on /128
 * clients; service 0 has none. */
static void two_scopes(struct pol_snapshot *ps, struct pol_service svc[2],
		       uint64_t rate, uint64_t burst, uint64_t svc_rate)
{
	memset(ps, 0, sizeof(*ps));
	memset(svc, 0, 2 * sizeof(*svc));
	limit(&ps->client_lim[CL_PPS], rate, burst);
	ps->any_global_client = 1;
	cl_prefix_init(&ps->global_client, 64);
	limit(&svc[1].lim[EP_LIMIT_CLIENT_PPS], svc_rate, svc_rate);
	svc[1].any_client = 1;
	cl_prefix_init(&svc[1].client, 128);
	ps->svc = svc;
}

/*
 * policing.per_client: one client's packets to two services (stats ids
 * 10 and 11) are counted together under the global scope, its own IPv6
 * prefix apart from a service's; a client within the limit loses
 * nothing; the service's own client limit still holds behind it.
 */
static void test_global_scope(void)
{
	struct cl_table *t = make(64, 64);
	struct pol_service svc[2];
	struct pol_snapshot ps;
	uint8_t heavy[16], light[16], a6[16], b6[16];
	uint64_t ok_heavy = 0, ok_light = 0, glob = 0, other = 0;

	if (!t)
		return;
	/* Service 1 has a generous client limit of its own. */
	two_scopes(&ps, svc, 100, 10, 100000);
	limit(&ps.client_lim[CL_CPS], 5, 1);
	CHECK(pol_has_client_limits(&ps, 0) && pol_has_client_limits(&ps, 1));
	v4(heavy, 0x0a000001);
	v4(light, 0x0a000002);
	/* 10 s: heavy sends 1,000 pps to each service, light 25 pps to
	 * each: 2,000 and 50 pps against the global 100. */
	for (uint64_t i = 0; i < 20000; i++) {
		uint64_t now = HZ + i * 500000;
		uint32_t k = (uint32_t)(i & 1);
		enum pol_verdict v = pol_check_client(&ps, k, 10 + k, t, heavy,
						      EP_AF_INET, 0, now);

		ok_heavy += v == POL_PASS;
		glob += v == POL_RATE_CLIENT_GLOBAL;
		other += v != POL_PASS && v != POL_RATE_CLIENT_GLOBAL;
		if (i % 80 < 2)
			ok_light += pol_check_client(&ps, k, 10 + k, t, light,
						     EP_AF_INET, 0,
						     now) == POL_PASS;
	}
	CHECK_MSG(ok_heavy >= 1000 && ok_heavy <= 1000 + 10 + 10,
		  "heavy %llu over both services",
		  (unsigned long long)ok_heavy);
	CHECK(glob == 20000 - ok_heavy && other == 0);
	CHECK_MSG(ok_light == 500, "light %llu", (unsigned long long)ok_light);
	/* A global entry per client, and service 1's own per client. */
	CHECK_MSG(cl_count(t) == 4, "%u entries", cl_count(t));
	/* New connections/s: its own time, in the same global entry. */
	CHECK(pol_check_client(&ps, 0, 10, t, light, EP_AF_INET, 1, HZ * 20) ==
	      POL_PASS);
	CHECK(pol_check_client(&ps, 1, 11, t, light, EP_AF_INET, 1, HZ * 20) ==
	      POL_RATE_CLIENT_GLOBAL);
	CHECK(cl_count(t) == 4);

	/* IPv6: one /64 is one global client, two /128 clients of service
	 * 1. */
	memset(a6, 0, 16);
	a6[0] = 0x20;
	a6[1] = 0x01;
	memcpy(b6, a6, 16);
	b6[15] = 7;
	CHECK(pol_check_client(&ps, 1, 11, t, a6, EP_AF_INET6, 0, HZ * 30) ==
	      POL_PASS);
	CHECK(cl_count(t) == 6);
	CHECK(pol_check_client(&ps, 1, 11, t, b6, EP_AF_INET6, 0, HZ * 30) ==
	      POL_PASS);
	CHECK_MSG(cl_count(t) == 7, "%u entries", cl_count(t));

	/* Behind a global limit it is within, the service's still holds. */
	limit(&svc[1].lim[EP_LIMIT_CLIENT_PPS], 10, 1);
	limit(&ps.client_lim[CL_PPS], 100000, 100000);
	{
		uint32_t pass = 0, svc_drop = 0;

		for (uint32_t i = 0; i < 100; i++) {
			enum pol_verdict v = pol_check_client(
				&ps, 1, 11, t, heavy, EP_AF_INET, 0,
				HZ * 40 + i * (HZ / 100));

			pass += v == POL_PASS;
			svc_drop += v == POL_RATE_CLIENT;
		}
		CHECK_MSG(pass >= 10 && pass <= 12 && pass + svc_drop == 100,
			  "pass %u, service drops %u", pass, svc_drop);
	}
	/* Without the global limits nothing is charged under its scope. */
	ps.any_global_client = 0;
	CHECK(!pol_has_client_limits(&ps, 0) && pol_has_client_limits(&ps, 1));
	v4(light, 0x0a000003);
	CHECK(pol_check_client(&ps, 1, 11, t, light, EP_AF_INET, 0, HZ * 50) ==
	      POL_PASS);
	CHECK(cl_count(t) == 8); /* service 1's entry only */
	cl_free(t);
}

/*
 * pol_check_flow(), the established flow's path, gives the verdicts of
 * the general path (pol_check_client_hinted()) packet by packet, for the
 * checks its flow_checks name: a heavy and a light client, IPv4 and a
 * /64 of IPv6, a service with its own client limit and one without,
 * each flow keeping its own record words. Twin tables keep the two paths'
 * state apart.
 */
static void test_flow_path(void)
{
	struct cl_table *tf = make(64, 64), *tg = make(64, 64);
	struct pol_service svc[2];
	struct pol_snapshot ps;
	uint8_t src[4][16];
	const uint8_t fam[4] = { EP_AF_INET, EP_AF_INET, EP_AF_INET6,
				 EP_AF_INET6 };
	uint32_t aux_f[8][POL_AUX_N], aux_g[8][POL_AUX_N];
	uint64_t differ = 0, drops = 0, pass = 0;

	if (!tf || !tg) {
		cl_free(tf);
		cl_free(tg);
		return;
	}
	memset(aux_f, 0, sizeof(aux_f));
	memset(aux_g, 0, sizeof(aux_g));
	two_scopes(&ps, svc, 300, 20, 50);
	limit(&svc[1].lim[EP_LIMIT_CLIENT_PPS], 50, 5);
	svc[0].flow_checks = POL_FC_GLOBAL_CLIENT;
	svc[1].flow_checks = POL_FC_GLOBAL_CLIENT | POL_FC_CLIENT;
	v4(src[0], 0x0a000001);
	v4(src[1], 0x0a000002);
	memset(src[2], 0, 16);
	src[2][0] = 0x20;
	src[2][15] = 1;
	memcpy(src[3], src[2], 16);
	src[3][15] = 2; /* the same /64: one global client */
	for (uint64_t i = 0; i < 40000; i++) {
		uint64_t now = HZ + i * (HZ / 4000);
		/* Client 0 sends half the packets; flows 0..7 are client
		 * (f % 4) to service (f / 4). */
		uint32_t f = (i & 1) ? (uint32_t)(i >> 1) % 8
				     : (uint32_t)((i >> 1) % 2) * 4;
		uint32_t k = f / 4, c = f % 4;
		enum pol_verdict vf, vg;

		vf = pol_check_flow(&ps, &svc[k], 10 + k, &pol_workers[0], tf,
				    src[c], fam[c], 64, now, aux_f[f]);
		vg = pol_check_client_hinted(&ps, &svc[k], 10 + k, tg, src[c],
					     fam[c], 0, now, aux_g[f]);
		differ += vf != vg;
		drops += vf != POL_PASS;
		pass += vf == POL_PASS;
	}
	CHECK_MSG(differ == 0, "%llu verdicts differ",
		  (unsigned long long)differ);
	CHECK_MSG(drops > 20000 && pass > 3000, "pass %llu drop %llu",
		  (unsigned long long)pass, (unsigned long long)drops);
	CHECK(cl_count(tf) == cl_count(tg));
	for (uint32_t f = 0; f < 8; f++)
		CHECK(aux_f[f][POL_AUX_CLIENT] == aux_g[f][POL_AUX_CLIENT] &&
		      aux_f[f][POL_AUX_CLIENT_GLOBAL] ==
			      aux_g[f][POL_AUX_CLIENT_GLOBAL]);
	cl_free(tf);
	cl_free(tg);
}

int main(void)
{
	if (test_eal_init("clientlimit", "256") < 0)
		return 1;
	test_params();
	test_keys();
	test_lru();
	test_hints();
	test_spray();
	test_rates();
	test_refresh();
	test_global_scope();
	test_flow_path();
	test_million();
	rte_eal_cleanup();
	return check_summary("clientlimit");
}
