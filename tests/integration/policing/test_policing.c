/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration test of policing in the real fast path (fp_setup, workers,
 * ctrl_apply) on a net_ring port, with one worker or (TEST_WORKERS=2) two
 * workers sharing the port's single RX queue, so that a service's traffic
 * is spread over both or, for a single flow, lands on one:
 * - access lists: denied prefixes (global and per service, IPv4 and
 *   IPv6) never reach a backend, allow lists admit only their prefixes,
 *   every denied packet is counted by reason and service;
 * - service rate limits (packets/s, bytes/s, connections/s) hold within
 *   2% of the configured rate over the run, spread or on one worker,
 *   while a light service next to them loses nothing;
 * - limits changed and a 100,000-prefix access list swapped in while
 *   traffic flows: no packet is lost;
 * - per-client limits of one service (DSR and NAT) and over every service
 *   (one client to two services held by one limit, the other clients
 *   untouched).
 * A sender thread streams frames at a set rate and drains the TX rings
 * while the test thread plays the main lcore (configuration changes).
 */
#include "policing_test.h"

#define TEST_MBUFS 65535u

#define MAX_RULES 100010u

int main(void)
{
	struct cfg *c = calloc(1, sizeof(*c));
	unsigned int pool0;
	int rc;

	if (c == NULL ||
	    (c->rules = calloc(MAX_RULES, sizeof(*c->rules))) == NULL ||
	    test_eal_init_workers("test_policing", "1024", TEST_WORKERS) < 0)
		return 1;
	hz = rte_get_tsc_hz();
	if (fph_port_create("tpol", TEST_MBUFS, 0, 128) < 0)
		return 1;
	rc = fph_fp_setup(4242);
	CHECK(rc == 0 && fp.n_workers == TEST_WORKERS);
	if (rc != 0) {
		fp_teardown();
		return check_summary("policing");
	}
	fph_fp_start(&pool0);

	{
		uint64_t t = rte_rdtsc();

		/* First, on empty tables: the flood must evict nothing. */
		test_syn_flood(c);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_acl(c);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_acl_established(c);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_rates(c, 0, 10.0);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_rates(c, 1, 10.0);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_cps(c, 3.0);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_change_midstream(c);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_clients(c, 10.0, 0);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_clients(c, 5.0, 1);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
		test_clients_global(c, 10.0);
		printf("(%.1f s)\n", (double)(rte_rdtsc() - t) / (double)hz);
	}

	fph_check_drained(pool0, TEST_MBUFS);
	fp_teardown();
	rc = check_summary(TEST_WORKERS > 1 ? "policing_2workers" : "policing");
	free(c->rules);
	free(c);
	fph_port_free();
	rte_eal_cleanup();
	return rc;
}
