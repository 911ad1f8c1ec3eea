/* SPDX-License-Identifier: BSD-3-Clause */
/* The fast path integration tests' harness: see fp_harness.h. */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "check.h"
#include "ep_abi.h"
#include "fp.h"
#include "fp_harness.h"
#include "pkt.h"
#include "stats.h"

struct rte_ring *rx_ring, *tx_rings[TEST_WORKERS];
struct rte_mempool *test_pool;
uint8_t port_mac[6];
const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x99 };
const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
const uint8_t zero_mac[6];

int fph_port_create(const char *tag, unsigned int mbufs, unsigned int cache,
		    unsigned int data_room)
{
	char name[32];

	snprintf(name, sizeof(name), "%s_rx", tag);
	rx_ring = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	for (unsigned int q = 0; q < TEST_WORKERS; q++) {
		snprintf(name, sizeof(name), "%s_tx%u", tag, q);
		tx_rings[q] = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY,
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (tx_rings[q] == NULL)
			return -1;
	}
	snprintf(name, sizeof(name), "%s_pool", tag);
	test_pool = rte_pktmbuf_pool_create(
		name, mbufs, cache, 0,
		(uint16_t)(RTE_PKTMBUF_HEADROOM + data_room),
		(int)rte_socket_id());
	if (!rx_ring || !test_pool ||
	    rte_eth_from_rings("ring_port", &rx_ring, 1, tx_rings, TEST_WORKERS,
			       0) < 0) {
		fprintf(stderr, "set-up failed: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

int fph_fp_setup(uint32_t hash_seed)
{
	struct fp_options o;

	fp_default_options(&o);
	o.ct_entries = 65536;
	o.mbufs = 65535;
	o.seed_given = 1;
	o.hash_seed = hash_seed;
	return fp_setup(&o);
}

void fph_fp_start(unsigned int *pool0)
{
	struct rte_ether_addr mac;

	rte_eth_macaddr_get(0, &mac);
	memcpy(port_mac, mac.addr_bytes, 6);
	*pool0 = rte_mempool_avail_count(fp.pool);
	fp_launch_workers();
}

void fph_check_drained(unsigned int pool0, unsigned int mbufs)
{
	CHECK(rte_ring_count(rx_ring) == 0);
	CHECK_MSG(rte_mempool_avail_count(fp.pool) == pool0,
		  "fast path pool: %u mbufs free, %u at start",
		  rte_mempool_avail_count(fp.pool), pool0);
	CHECK_MSG(rte_mempool_avail_count(test_pool) == mbufs,
		  "test pool: %u of %u mbufs free",
		  rte_mempool_avail_count(test_pool), mbufs);
}

void fph_port_free(void)
{
	rte_ring_free(rx_ring);
	for (unsigned int q = 0; q < TEST_WORKERS; q++)
		rte_ring_free(tx_rings[q]);
	rte_mempool_free(test_pool);
}

uint32_t fph_barrier_frame(uint8_t f[60])
{
	uint8_t *a = f + 14;

	memset(f, 0, 60);
	memcpy(f, bcast_mac, 6);
	memcpy(f + 6, client_mac, 6);
	be16_put(f + 12, 0x0806);
	be16_put(a, 1);
	be16_put(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	be16_put(a + 6, 1);
	memcpy(a + 8, client_mac, 6);
	be32_put(a + 14, BARRIER_IP);
	memcpy(a + 18, zero_mac, 6);
	be32_put(a + 24, IP4(10, 0, 0, 1));
	return 60;
}

int fph_is_barrier_reply(const uint8_t *f, uint32_t len)
{
	return len >= 42 && be16_get(f + 12) == 0x0806 &&
	       be16_get(f + 20) == 2 && be32_get(f + 38) == BARRIER_IP;
}

int fph_workers_settled(void)
{
	uint64_t idle0[TEST_WORKERS];
	uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz();

	if (stats_sum_cnt(fp.stats, EP_CNT_HANDOFF_IN) !=
	    stats_sum_cnt(fp.stats, EP_CNT_HANDOFF_OUT))
		return 0;
	for (unsigned int w = 0; w < TEST_WORKERS; w++)
		idle0[w] = __atomic_load_n(
			&fp.stats->lcore[w].cnt[EP_CNT_IDLE_POLLS],
			__ATOMIC_ACQUIRE);
	for (unsigned int w = 0; w < TEST_WORKERS; w++)
		while (__atomic_load_n(
			       &fp.stats->lcore[w].cnt[EP_CNT_IDLE_POLLS],
			       __ATOMIC_ACQUIRE) < idle0[w] + 2) {
			if (rte_rdtsc() > deadline)
				return 0;
			sched_yield();
		}
	return 1;
}
