/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The real fast path on one net_ring port, for tests/integration/
 * test_malformed.c and tests/fuzz/fuzz_worker.c: fp_setup() with one
 * worker, tests/malformed/config.json applied through the slow path's
 * config code (config_parse, config_to_flat) and ctrl_apply(), punting
 * enabled (the punt ring stands for an attached slow path).
 *
 * Frames whose destination MAC is RINGFP_PORT_MAC_MARK get the port's
 * MAC instead, so that a corpus written without knowing it still
 * reaches the worker as "for us".
 */
#ifndef EP_RINGFP_H
#define EP_RINGFP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "config.h"
#include "ctrl.h"
#include "fp.h"

#define RINGFP_RING_SIZE 4096u
#define RINGFP_MBUFS 4095u
#define RINGFP_SEG_ROOM 2048u

static const uint8_t RINGFP_PORT_MAC_MARK[6] = { 0x02, 0xee, 0xee,
						 0xee, 0xee, 0xee };

struct ringfp {
	struct rte_ring *rx, *tx;
	struct rte_mempool *pool; /* the test's frames */
	uint8_t mac[6];
	unsigned int fp_pool0; /* fp.pool's free count after set-up */
};

static inline int ringfp_apply_file(const char *path)
{
	struct ep_config cfg = { 0 };
	struct config_error err;
	struct ep_event_msg ev;
	static char text[1 << 16];
	size_t len, flat_len = 0;
	void *flat;
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	len = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (config_parse(text, len, &cfg, &err) != 0) {
		fprintf(stderr, "%s: %s\n", path, err.msg);
		return -1;
	}
	flat = malloc(config_flat_size(&cfg));
	if (flat == NULL ||
	    config_to_flat(&cfg, 1, NULL, flat, config_flat_size(&cfg),
			   &flat_len, &err) != 0) {
		free(flat);
		config_free(&cfg);
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	rc = ctrl_apply(flat, (uint32_t)flat_len, &ev);
	if (rc != 0)
		fprintf(stderr, "ctrl_apply: %s\n", ev.error);
	free(flat);
	config_free(&cfg);
	return rc;
}

/* After rte_eal_init (a main lcore and one worker lcore). */
static inline int ringfp_setup(struct ringfp *r, const char *config_path)
{
	struct rte_ether_addr mac;
	struct fp_options o;

	memset(r, 0, sizeof(*r));
	r->rx = rte_ring_create("rfp_rx", RINGFP_RING_SIZE, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
	r->tx = rte_ring_create("rfp_tx", RINGFP_RING_SIZE, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
	r->pool = rte_pktmbuf_pool_create(
		"rfp_pool", RINGFP_MBUFS, 0, 0,
		RTE_PKTMBUF_HEADROOM + RINGFP_SEG_ROOM, (int)rte_socket_id());
	if (!r->rx || !r->tx || !r->pool ||
	    rte_eth_from_rings("rfp_port", &r->rx, 1, &r->tx, 1, 0) < 0)
		return -1;
	fp_default_options(&o);
	o.ct_entries = 4096;
	o.mbufs = 1023;
	o.seed_given = 1;
	o.hash_seed = 1;
	if (fp_setup(&o) != 0 || fp.n_workers != 1 || fp.n_ports != 1)
		return -1;
	rte_eth_macaddr_get(0, &mac);
	memcpy(r->mac, mac.addr_bytes, 6);
	if (ringfp_apply_file(config_path) != 0)
		return -1;
	__atomic_store_n(&fp.punt_enabled, 1, __ATOMIC_RELEASE);
	r->fp_pool0 = rte_mempool_avail_count(fp.pool);
	return 0;
}

/*
 * An mbuf chain holding `len` bytes of `f`, cut before each of the
 * `n_cuts` ascending offsets (a multi-segment frame). NULL: no mbuf.
 */
static inline struct rte_mbuf *ringfp_frame(struct ringfp *r, const uint8_t *f,
					    uint32_t len, const uint32_t *cuts,
					    unsigned int n_cuts)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	uint32_t off = 0;

	if (len > RINGFP_SEG_ROOM * (n_cuts + 1))
		len = RINGFP_SEG_ROOM * (n_cuts + 1);
	for (unsigned int s = 0; s <= n_cuts; s++) {
		uint32_t end = s < n_cuts ? cuts[s] : len;
		struct rte_mbuf *m;
		uint8_t *d;

		if (end > len)
			end = len;
		if (end < off)
			end = off;
		if (end - off > RINGFP_SEG_ROOM) /* longer frames are cut */
			end = off + RINGFP_SEG_ROOM;
		m = rte_pktmbuf_alloc(r->pool);
		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(end - off));
		if (end > off)
			memcpy(d, f + off, end - off);
		if (s == 0 && len >= 6 &&
		    memcmp(d, RINGFP_PORT_MAC_MARK, 6) == 0)
			memcpy(d, r->mac, 6);
		if (head == NULL) {
			head = tail = m;
		} else {
			tail->next = m;
			tail = m;
			head->nb_segs++;
			head->pkt_len += m->data_len;
		}
		off = end;
	}
	head->port = 0;
	return head;
}

struct ringfp_out {
	unsigned int tx; /* frames out of the port */
	unsigned int punted; /* frames on the punt ring */
};

/* Take (and free) everything the worker sent out or punted. */
static inline void ringfp_drain(struct ringfp *r, struct ringfp_out *o)
{
	struct rte_mbuf *m[64];
	unsigned int n;

	while ((n = rte_ring_dequeue_burst(r->tx, (void **)m, 64, NULL)) > 0) {
		o->tx += n;
		rte_pktmbuf_free_bulk(m, n);
	}
	while ((n = rte_ring_dequeue_burst(fp.punt_ring, (void **)m, 64,
					   NULL)) > 0) {
		o->punted += n;
		rte_pktmbuf_free_bulk(m, n);
	}
}

#endif /* EP_RINGFP_H */
