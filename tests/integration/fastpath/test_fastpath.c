/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration test of the real fast path: fp_setup / fp_launch_workers /
 * ctrl_apply / fp_teardown, one worker lcore, one net_ring port whose RX
 * ring the test fills with crafted frames and whose TX ring it drains.
 * The test thread plays the main lcore (configuration applies).
 *
 * Every batch ends with a "barrier": an ARP request for the node address
 * from 10.0.0.250. The worker handles its RX ring in order and flushes a
 * burst's output together, so once the barrier's reply is out, every
 * packet sent before it has been handled (and its counters written).
 *
 * Built twice: TEST_WORKERS 1, and 2 where the port's single RX queue makes
 * the fast path spread flows to their owner worker in software
 * (fp_harness.h). The cases are in fp_*.c by theme (fastpath_test.h).
 */
#include "fastpath_test.h"

#define TEST_MBUFS 32767u

int main(void)
{
	struct tflow *fl = calloc(N_FLOWS, sizeof(*fl));
	struct ep_event_msg ev;
	unsigned int pool0;
	uint64_t t0;
	int rc;

	if (fl == NULL ||
	    test_eal_init_workers("test_fastpath", "1024", TEST_WORKERS) < 0)
		return 1;
	t0 = rte_rdtsc();
	if (fph_port_create("tfp", TEST_MBUFS, 256, 512) < 0)
		return 1;

	rc = fph_fp_setup(12345);
	CHECK(rc == 0);
	CHECK(fp.n_workers == TEST_WORKERS && fp.n_ports == 1);
	if (rc != 0) {
		fp_teardown();
		rte_eal_cleanup();
		check_summary("fastpath");
		return 1;
	}
	fph_fp_start(&pool0);

	CHECK(apply_cfg(1, 1, &ev) == 0);
	CHECK(ev.status == 0 && ev.generation == 1 && ev.version == 1);

	test_arp_nd(); /* a */
	test_dsr_and_change(fl); /* b, c */
	test_nat(); /* d */
	test_outlier();
	test_encap(); /* e */
	test_arp_learning(); /* f */
	test_nd_learning(); /* f, IPv6 */
	test_malformed(fl); /* g */
	test_bad_config(fl); /* h */
	test_same_burst();
	test_counters(); /* i */
	test_provisional();
	test_port_reuse();
	test_reset_on_down(); /* last: its own configurations */
	if (TEST_WORKERS > 1) {
		/* Work was spread, and every worker kept flows of its own. */
		CHECK(stats_sum_cnt(fp.stats, EP_CNT_HANDOFF_OUT) > 0);
		for (unsigned int w = 0; w < TEST_WORKERS; w++)
			CHECK_MSG(fp.stats->lcore[w].cnt[EP_CNT_CT_INSERTS] > 0,
				  "worker %u made no flows", w);
	}

	fph_check_drained(pool0, TEST_MBUFS);
	for (unsigned int q = 0; q < TEST_WORKERS; q++)
		CHECK(rte_ring_count(tx_rings[q]) == 0);

	fp_teardown();
	printf("fastpath test: %.2f s\n",
	       (double)(rte_rdtsc() - t0) / rte_get_tsc_hz());
	rc = check_summary(TEST_WORKERS > 1 ? "fastpath_2workers" : "fastpath");
	fph_port_free();
	rte_eal_cleanup();
	free(fl);
	return rc;
}
