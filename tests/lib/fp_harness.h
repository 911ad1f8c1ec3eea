/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The harness of the fast path's integration tests (test_fastpath,
 * test_policing): the real fp_setup / fp_launch_workers / fp_teardown on
 * one net_ring port whose RX ring the test fills with crafted frames and
 * whose TX rings (one per worker) it drains. TEST_WORKERS, set by the
 * build per executable, is the number of worker lcores; fp_harness.c is
 * compiled into each executable with it.
 *
 * Every batch ends with a "barrier": an ARP request for the node address
 * from BARRIER_IP. A worker handles its RX ring in order and flushes a
 * burst's output together, so once the barrier's reply is out (and, with
 * several workers, every handed-off packet is taken in and every worker
 * was idle since), every packet sent before it has been handled.
 */
#ifndef EP_FP_HARNESS_H
#define EP_FP_HARNESS_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#ifndef TEST_WORKERS
#define TEST_WORKERS 1
#endif

#define RING_SIZE 65536u
#define WAIT_S 5u

#define TH_SYN 0x02u
#define TH_ACK 0x10u
#define TH_FIN 0x01u

#define IP4(a, b, c, d)                                                        \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 |      \
	 (uint32_t)(d))

#define BARRIER_IP IP4(10, 0, 0, 250)

extern struct rte_ring *rx_ring, *tx_rings[TEST_WORKERS];
extern struct rte_mempool *test_pool;
extern uint8_t port_mac[6]; /* the port's, once fph_fp_start() ran */
extern const uint8_t client_mac[6];
extern const uint8_t bcast_mac[6];
extern const uint8_t zero_mac[6];

/*
 * The rings ("TAG_rx", "TAG_tx0"...), the test's pool ("TAG_pool": mbufs
 * with cache and data_room bytes after the headroom) and the net_ring
 * port over them. 0, or -1 after saying why.
 */
int fph_port_create(const char *tag, unsigned int mbufs, unsigned int cache,
		    unsigned int data_room);

/* fp_setup() on that port with a fixed hash seed; its result. */
int fph_fp_setup(uint32_t hash_seed);

/* The port's MAC into port_mac, the fast path's free mbufs into *pool0,
 * then fp_launch_workers(). */
void fph_fp_start(unsigned int *pool0);

/*
 * At the end (three checks): the RX ring empty, the fast path's pool back
 * at pool0 free mbufs and the test's at all its `mbufs`.
 */
void fph_check_drained(unsigned int pool0, unsigned int mbufs);

/* Free the rings and the test's pool (after fp_teardown()). */
void fph_port_free(void);

/* The barrier: an ARP request from BARRIER_IP; its length (60). */
uint32_t fph_barrier_frame(uint8_t f[60]);

/* Whether a frame out is the ARP reply to the barrier. */
int fph_is_barrier_reply(const uint8_t *f, uint32_t len);

/* Every handed-off packet taken in and every worker idle twice since
 * (at most a second); 0 when not. */
int fph_workers_settled(void);

#endif /* EP_FP_HARNESS_H */
