/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's loop around the burst pipeline (worker.c): poll the RX
 * queues, the hand-off ring, the injection ring and the exception
 * path's ring from the kernel, flush TX, report the
 * quiescent state, and between bursts the housekeeping: connection-table
 * ageing, flow samples for the slow path, the optional idle sleep.
 */
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>

#include "conntrack.h"
#include "fp.h"
#include "outlier.h"
#include "worker_int.h"

/* Ageing: at most every AGE_PERIOD_MS, as many slots as sweep the whole
 * table in about AGE_SWEEP_MS (every timeout is 10 s or more). */
#define AGE_PERIOD_MS 1u
#define AGE_SWEEP_MS 1000u
#define IDLE_POLLS_BEFORE_SLEEP 16u

void worker_flush(struct fp_worker *w)
{
	for (uint16_t p = 0; p < fp.n_ports; p++) {
		uint16_t n = w->tx_n[p], sent;
		uint64_t bytes = w->tx_bytes[p];

		if (n == 0)
			continue;
		sent = rte_eth_tx_burst(fp.ports[p].port_id, w->txq, w->tx[p],
					n);
		for (uint16_t i = sent; i < n; i++) {
			bytes -= rte_pktmbuf_pkt_len(w->tx[p][i]);
			count_drop(w, w->tx[p][i], EP_DROP_TX_FULL);
			w->st->port[p].tx_drops++;
		}
		w->st->port[p].tx_pkts += sent;
		w->st->port[p].tx_bytes += bytes;
		w->st->cnt[EP_CNT_TX_PKTS] += sent;
		w->st->cnt[EP_CNT_TX_BYTES] += bytes;
		w->tx_n[p] = 0;
		w->tx_bytes[p] = 0;
	}
}

void worker_ct_removed(const struct ct_entry *e, void *arg)
{
	struct fp_worker *w = arg;

	if (!(e->flags & CT_F_REPLY)) {
		w->be[e->backend_sid].active_flows--;
		outlier_removed(w, e);
	}
}

static uint16_t poll_rx(struct fp_worker *w)
{
	struct rte_mbuf *pkts[FP_BURST];
	uint16_t total = 0;

	for (uint16_t q = 0; q < w->n_rxq; q++) {
		const struct fp_rxq *rq = &w->rxq[q];
		uint16_t n = rte_eth_rx_burst(fp.ports[rq->port].port_id,
					      rq->queue, pkts, FP_BURST);
		uint64_t bytes = 0;

		if (n == 0)
			continue;
		for (uint16_t i = 0; i < n; i++) {
			pkts[i]->port = rq->port;
			bytes += rte_pktmbuf_pkt_len(pkts[i]);
		}
		w->st->port[rq->port].rx_pkts += n;
		w->st->port[rq->port].rx_bytes += bytes;
		w->st->cnt[EP_CNT_RX_PKTS] += n;
		w->st->cnt[EP_CNT_RX_BYTES] += bytes;
		worker_process(w, pkts, n, 0);
		total += n;
	}
	return total;
}

static uint16_t poll_handoff(struct fp_worker *w)
{
	struct rte_mbuf *pkts[FP_BURST];
	unsigned int n;

	if (w->handoff == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst(w->handoff, (void **)pkts, FP_BURST,
				      NULL);
	if (n) {
		w->st->cnt[EP_CNT_HANDOFF_IN] += n;
		worker_process(w, pkts, (uint16_t)n, 1);
	}
	return (uint16_t)n;
}

/* Worker 0 sends what the slow path injects. */
static uint16_t poll_inject(struct fp_worker *w)
{
	struct rte_mbuf *pkts[FP_BURST];
	unsigned int n;

	if (w->index != 0 || fp.inject_ring == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst(fp.inject_ring, (void **)pkts, FP_BURST,
				      NULL);
	for (unsigned int i = 0; i < n; i++)
		tx_enqueue(w, pkts[i], pkts[i]->port);
	return (uint16_t)n;
}

/* Worker 0 sends what the kernel sent on the exception path's tap. */
static uint16_t poll_exception(struct fp_worker *w)
{
	struct rte_mbuf *pkts[FP_BURST];
	unsigned int n;

	if (w->index != 0 || !__atomic_load_n(&fp.exc_on, __ATOMIC_ACQUIRE))
		return 0;
	n = rte_ring_sc_dequeue_burst(fp.exc_from_kernel, (void **)pkts,
				      FP_BURST, NULL);
	for (unsigned int i = 0; i < n; i++)
		tx_enqueue(w, pkts[i], pkts[i]->port);
	w->st->cnt[EP_CNT_EXC_FROM_KERNEL] += n;
	return (uint16_t)n;
}

static void serve_sample_request(struct fp_worker *w)
{
	struct fp_sample_req *r = &w->sample;
	uint32_t req = __atomic_load_n(&r->req_seq, __ATOMIC_ACQUIRE);

	if (req == r->done_seq)
		return;
	r->count = ct_sample(w->ct, r->service_sid, rte_rdtsc(), fp.tsc_hz,
			     w->index, r->out, r->limit);
	__atomic_store_n(&r->done_seq, req, __ATOMIC_RELEASE);
}

static void idle(struct fp_worker *w, uint32_t *empty_polls)
{
	struct timespec ts = { 0, (long)fp.idle_sleep_us * 1000 };

	w->st->cnt[EP_CNT_IDLE_POLLS]++;
	if (fp.idle_sleep_us == 0 || ++*empty_polls < IDLE_POLLS_BEFORE_SLEEP)
		return;
	/* Offline while asleep, so a snapshot swap need not wait for us. */
	rte_rcu_qsbr_thread_offline(fp.qsbr, w->index);
	nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(fp.qsbr, w->index);
	w->st->cnt[EP_CNT_IDLE_SLEEPS]++;
}

/*
 * Age a slice of the table sized by the time since the last slice, so the
 * whole table is swept about once per AGE_SWEEP_MS however fast the loop
 * spins; at most once per AGE_PERIOD_MS.
 */
static void age_some(struct fp_worker *w, uint64_t now)
{
	uint64_t elapsed = now - w->age_tsc, budget, t1;
	uint64_t sweep = fp.tsc_hz / 1000 * AGE_SWEEP_MS;
	uint32_t cap = ct_capacity(w->ct);

	if (elapsed < fp.tsc_hz / 1000 * AGE_PERIOD_MS)
		return;
	if (elapsed > sweep)
		elapsed = sweep;
	/* cap < 2^29 and elapsed <= ~2^34: no overflow; rounded up. */
	budget = ((uint64_t)cap * elapsed + sweep - 1) / sweep;
	w->st->cnt[EP_CNT_CT_EXPIRED] +=
		ct_age(w->ct, now, (uint32_t)RTE_MIN(budget, (uint64_t)cap));
	t1 = rte_rdtsc();
	w->st->cnt[EP_CNT_CYC_AGE] += t1 - now;
	w->age_tsc = now;
}

int worker_main(void *arg)
{
	struct fp_worker *w = arg;
	uint32_t empty_polls = 0;

	rte_rcu_qsbr_thread_register(fp.qsbr, w->index);
	rte_rcu_qsbr_thread_online(fp.qsbr, w->index);
	w->age_tsc = rte_rdtsc();
	while (!__atomic_load_n(&fp.stop, __ATOMIC_RELAXED)) {
		uint64_t t0 = rte_rdtsc(), t1, t2;
		uint16_t n = poll_rx(w) + poll_handoff(w) + poll_inject(w) +
			     poll_exception(w);

		t1 = rte_rdtsc();
		worker_flush(w);
		rte_rcu_qsbr_quiescent(fp.qsbr, w->index);
		t2 = rte_rdtsc();
		if (n) {
			w->st->cnt[EP_CNT_CYC_TX] += t2 - t1;
			w->st->cnt[EP_CNT_BUSY_CYCLES] += t2 - t0;
			w->st->cnt[EP_CNT_BUSY_PKTS] += n;
			w->st->cnt[EP_CNT_BURSTS]++;
			empty_polls = 0;
		} else {
			idle(w, &empty_polls);
		}
		age_some(w, t2);
		serve_sample_request(w);
	}
	worker_flush(w);
	rte_rcu_qsbr_thread_offline(fp.qsbr, w->index);
	rte_rcu_qsbr_thread_unregister(fp.qsbr, w->index);
	return 0;
}
