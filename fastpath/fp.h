/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast path's process-wide context: ports, workers, the published
 * snapshot and its RCU, shared memory. One instance, built by main.c; the
 * worker loop (worker.c) and the main lcore's control loop (ctrl.c) use it.
 */
#ifndef EP_FP_H
#define EP_FP_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "clientlimit.h"
#include "conntrack.h"
#include "ep_abi.h"
#include "exception.h"
#include "neigh.h"
#include "snapshot.h"

#define FP_BURST 32u
#define FP_TX_BUF 64u

struct fp_rxq {
	uint16_t port;
	uint16_t queue;
};

/* A worker's flow-sample request from the main lcore (ctrl.c). */
struct fp_sample_req {
	uint32_t req_seq; /* written by main, then done_seq by the worker */
	uint32_t done_seq;
	uint32_t service_sid;
	uint32_t limit;
	uint32_t count; /* entries the worker wrote */
	struct ep_flow_entry *out;
};

/*
 * Counters a burst accumulates and worker_process() writes out once at
 * its end: hits, misses and forwarded packets, the TSC cycles of the
 * backend picks (inside the decisions, whose other cycles count as
 * rewrite), and the packets and bytes of the service its packets went to
 * (written out when it changes).
 */
struct fp_burst_acc {
	uint32_t hits;
	uint32_t misses;
	uint32_t fwd;
	uint32_t svc_sid;
	uint64_t svc_pkts;
	uint64_t svc_bytes;
	uint64_t cyc_pick;
};

struct fp_worker {
	uint16_t index;
	uint16_t lcore_id;
	uint16_t n_rxq;
	uint16_t txq; /* this worker's TX queue on every port */
	struct fp_rxq rxq[EP_MAX_PORTS];
	struct ct_table *ct;
	struct cl_table *cl; /* per-client limits (clientlimit.h) */
	struct rte_ring *handoff; /* packets other workers spread to us */
	struct ep_lcore_stats *st;
	struct ep_svc_counters *svc;
	struct ep_be_counters *be;
	uint64_t seen_generation;
	uint32_t burst_inserts; /* entries this burst created so far */
	struct fp_burst_acc acc;
	uint64_t evictions_seen; /* ct_evictions() already counted */
	uint64_t age_tsc; /* when ct_age last ran */
	uint32_t *wrr_cursor; /* per service index, reset per generation */
	uint16_t tx_n[EP_MAX_PORTS];
	uint64_t tx_bytes[EP_MAX_PORTS]; /* bytes of the tx_n buffered */
	struct rte_mbuf *tx[EP_MAX_PORTS][FP_TX_BUF];
	struct fp_sample_req sample;
	struct exc_local *exc; /* exception-path leases (exception.h) */
} __rte_cache_aligned;

struct fp_port {
	uint16_t port_id;
	uint16_t n_queues;
	uint16_t mtu;
	uint16_t spread; /* one RX queue for several workers: spread by hash */
	struct rte_ether_addr mac;
};

struct fp_context {
	struct fp_snapshot *snap; /* published pointer, atomic */
	struct rte_rcu_qsbr *qsbr;
	struct neigh_table *neigh;
	struct ep_shared *shared;
	struct ep_stats *stats;
	struct rte_mempool *pool;
	struct rte_ring *ctrl_ring;
	struct rte_ring *event_ring;
	struct rte_ring *punt_ring;
	struct rte_ring *inject_ring;
	/* The exception path (exception.h), when exc_on: workers -> its
	 * thread -> the tap, and the tap -> its thread -> worker 0. */
	uint32_t exc_on;
	uint16_t exc_port; /* index of the data port the tap stands for */
	uint16_t exc_tap; /* the tap's DPDK port id */
	struct rte_ring *exc_to_kernel;
	struct rte_ring *exc_from_kernel;
	struct exc_limits exc_limits;
	uint8_t *cfg_stage;
	struct ep_flow_sample *flow_sample;
	uint32_t hash_seed;
	uint32_t punt_enabled; /* a slow path drains the punt ring (atomic) */
	uint32_t idle_sleep_us;
	uint32_t stop; /* atomic */
	uint64_t tsc_hz;
	uint16_t n_workers;
	uint16_t n_ports;
	struct fp_port ports[EP_MAX_PORTS];
	struct fp_worker workers[EP_MAX_WORKERS];
};

extern struct fp_context fp;

/* Start-up options (edgepath-fastpath's command line). */
struct fp_options {
	uint32_t ct_entries;
	uint32_t client_entries; /* per-client limit table, per worker */
	uint32_t mbufs;
	uint32_t idle_sleep_us;
	uint32_t stats_interval_s;
	uint32_t hash_seed;
	int seed_given;
	uint16_t rx_desc;
	uint16_t tx_desc;
	struct exc_params exc;
};

void fp_default_options(struct fp_options *o);

/* After rte_eal_init: stats, pool, workers, ports, shared objects. */
int fp_setup(const struct fp_options *o);

/* Say "ready" to the slow path (a file in the DPDK runtime directory). */
void fp_mark_ready(void);

/* Start worker_main on every worker lcore. */
void fp_launch_workers(void);

/* Stop workers, print final counters, free everything fp_setup made. */
void fp_teardown(void);

/* The worker loop: runs on a worker lcore until fp.stop. */
int worker_main(void *arg);

/* Process `n` packets received on this worker (exported for tests). */
void worker_process(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n,
		    int from_handoff);

/* ct_params.on_remove for a worker's table (arg: the worker). */
void worker_ct_removed(const struct ct_entry *e, void *arg);

/* Send what the worker has buffered for transmission. */
void worker_flush(struct fp_worker *w);

#endif /* EP_FP_H */
