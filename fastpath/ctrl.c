/* SPDX-License-Identifier: BSD-3-Clause */
/* Main lcore control: config publish under RCU, samples (see ctrl.h). */
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_memzone.h>
#include <rte_ring_elem.h>

#include "ctrl.h"
#include "ep_bell.h"
#include "fp.h"

#define SLOWPATH_TIMEOUT_MS 1000u
#define SAMPLE_WAIT_MS 500u

static const struct rte_memzone *mz_shared, *mz_stage, *mz_flows;

static void *reserve(const struct rte_memzone **mz, const char *name,
		     size_t len)
{
	*mz = rte_memzone_reserve(name, len, SOCKET_ID_ANY, 0);
	if (*mz == NULL)
		return NULL;
	memset((*mz)->addr, 0, len);
	return (*mz)->addr;
}

static int create_rings(void)
{
	fp.ctrl_ring = rte_ring_create_elem(
		EP_RING_CTRL, sizeof(struct ep_ctrl_msg), EP_CTRL_RING_SIZE,
		SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	fp.event_ring = rte_ring_create_elem(
		EP_RING_EVENT, sizeof(struct ep_event_msg), EP_CTRL_RING_SIZE,
		SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	fp.punt_ring = rte_ring_create(EP_RING_PUNT, EP_PUNT_RING_SIZE,
				       SOCKET_ID_ANY, RING_F_SC_DEQ);
	fp.inject_ring =
		rte_ring_create(EP_RING_INJECT, EP_PUNT_RING_SIZE,
				SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!fp.ctrl_ring || !fp.event_ring || !fp.punt_ring || !fp.inject_ring)
		return -rte_errno;
	return 0;
}

static int create_rcu(void)
{
	/* Workers, plus one reader id shared by the telemetry threads. */
	size_t sz = rte_rcu_qsbr_get_memsize(EP_MAX_WORKERS + 1);

	fp.qsbr = rte_zmalloc("ep_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (fp.qsbr == NULL)
		return -ENOMEM;
	return rte_rcu_qsbr_init(fp.qsbr, EP_MAX_WORKERS + 1);
}

int ctrl_init(void)
{
	int rc;

	fp.shared = reserve(&mz_shared, EP_MZ_SHARED, sizeof(*fp.shared));
	fp.cfg_stage = reserve(&mz_stage, EP_MZ_CFG_STAGE, EP_CFG_STAGE_SIZE);
	fp.flow_sample =
		reserve(&mz_flows, EP_MZ_FLOWS, sizeof(*fp.flow_sample));
	if (!fp.shared || !fp.cfg_stage || !fp.flow_sample)
		return -rte_errno;
	rc = create_rings();
	if (rc == 0)
		rc = create_rcu();
	if (rc)
		return rc;
	fp.shared->abi_version = EP_ABI_VERSION;
	fp.shared->fp_pid = getpid();
	fp.shared->boot_tsc = rte_rdtsc();
	fp.shared->tsc_hz = fp.tsc_hz;
	fp.shared->n_workers = fp.n_workers;
	fp.shared->n_ports = fp.n_ports;
	for (uint16_t i = 0; i < fp.n_workers; i++)
		fp.shared->worker_lcore[i] = fp.workers[i].lcore_id;
	/* Magic last: the slow path treats the zone as ready once it shows. */
	__atomic_store_n(&fp.shared->magic, EP_SHARED_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

/* Static neighbours and address bindings of the new configuration. */
static void apply_neighbours(const uint8_t *buf)
{
	const struct ep_cfg_hdr *h = (const void *)buf;
	const struct ep_cfg_backend *b = (const void *)(buf + h->off_backends);

	for (uint32_t i = 0; i < h->n_backends; i++) {
		neigh_set_addr(fp.neigh, b[i].stats_id, b[i].addr.bytes,
			       b[i].addr.family);
		if (b[i].has_mac)
			neigh_set_static(fp.neigh, b[i].stats_id, b[i].mac,
					 h->node.backend_port);
	}
}

/*
 * The Maglev digests in ep_stats lag the snapshot in force (a new one, or
 * full tables built since): ctrl_build_pending() brings them up to date,
 * after the change's answer went out, at most this many slots per call
 * (about 1 ms).
 */
static bool digests_stale;
#define CTRL_DIGEST_SLOTS (1u << 20)

/* Main-lcore Maglev figures for telemetry and the slow path. */
static void publish_maglev_stats(void)
{
	struct snap_maglev_counts c;

	snap_maglev_counts(&c);
	__atomic_store_n(&fp.stats->maglev_pending, snap_maglev_pending(),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&fp.stats->maglev_deferred, c.deferred,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&fp.stats->maglev_built, c.built, __ATOMIC_RELAXED);
	__atomic_store_n(&fp.stats->maglev_abandoned, c.abandoned,
			 __ATOMIC_RELAXED);
}

/*
 * One pointer swap; the old snapshot goes after every worker moved on.
 * Maglev tables it shares with `next` only lose a reference there.
 */
static void publish(struct fp_snapshot *next)
{
	struct fp_snapshot *old = fp.snap;

	__atomic_store_n(&fp.snap, next, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(fp.qsbr, RTE_QSBR_THRID_INVALID);
	snap_free(old);
	__atomic_store_n(&fp.shared->version, next->version, __ATOMIC_RELEASE);
	__atomic_store_n(&fp.shared->generation, next->generation,
			 __ATOMIC_RELEASE);
}

int ctrl_apply(const void *buf, uint32_t len, struct ep_event_msg *ev)
{
	uint64_t gen = (fp.snap ? fp.snap->generation : 0) + 1;
	struct fp_snapshot *next = NULL;
	int rc;

	/* fp.snap (read only) is the starting point for Maglev tables. */
	rc = snap_build(buf, len, gen, fp.snap, &next, ev->error,
			sizeof(ev->error));
	if (rc == 0) {
		apply_neighbours(buf);
		publish(next);
		digests_stale = true;
	}
	publish_maglev_stats();
	ev->status = rc;
	ev->generation = fp.snap ? fp.snap->generation : 0;
	ev->version = fp.snap ? fp.snap->version : 0;
	return rc;
}

/* The staging area may change under us: work on a private copy. */
static void handle_apply(const struct ep_ctrl_msg *msg, struct ep_event_msg *ev)
{
	uint8_t *copy;

	if (msg->len == 0 || msg->len > EP_CFG_STAGE_SIZE) {
		ev->status = -EINVAL;
		snprintf(ev->error, sizeof(ev->error),
			 "config: length %u outside 1..%u", msg->len,
			 EP_CFG_STAGE_SIZE);
		return;
	}
	copy = malloc(msg->len);
	if (copy == NULL) {
		ev->status = -ENOMEM;
		snprintf(ev->error, sizeof(ev->error), "out of memory");
		return;
	}
	memcpy(copy, fp.cfg_stage, msg->len);
	if (rte_hash_crc(copy, msg->len, 0) != msg->crc) {
		ev->status = -EBADMSG;
		snprintf(ev->error, sizeof(ev->error),
			 "config: checksum mismatch (staging area changed)");
	} else {
		ctrl_apply(copy, msg->len, ev);
	}
	free(copy);
}

static int wait_sample(struct fp_worker *w, uint32_t seq)
{
	uint64_t deadline = rte_rdtsc() + fp.tsc_hz / 1000 * SAMPLE_WAIT_MS;

	while (__atomic_load_n(&w->sample.done_seq, __ATOMIC_ACQUIRE) != seq) {
		if (rte_rdtsc() > deadline)
			return -ETIMEDOUT;
		rte_delay_us_sleep(50);
	}
	return 0;
}

/* Ask each worker in turn to copy part of its table into EP_MZ_FLOWS. */
static void handle_sample(const struct ep_ctrl_msg *msg,
			  struct ep_event_msg *ev)
{
	uint32_t limit =
		msg->arg1 < EP_FLOW_SAMPLE_MAX ? msg->arg1 : EP_FLOW_SAMPLE_MAX;
	uint32_t total = 0;

	for (uint16_t i = 0; i < fp.n_workers && total < limit; i++) {
		struct fp_worker *w = &fp.workers[i];
		uint32_t seq = w->sample.req_seq + 1;

		w->sample.out = &fp.flow_sample->flows[total];
		w->sample.limit = limit - total;
		w->sample.service_sid = msg->arg0;
		__atomic_store_n(&w->sample.req_seq, seq, __ATOMIC_RELEASE);
		if (wait_sample(w, seq) != 0) {
			ev->status = -ETIMEDOUT;
			snprintf(ev->error, sizeof(ev->error),
				 "worker %u did not answer", i);
			return;
		}
		total += w->sample.count;
	}
	fp.flow_sample->count = total;
	fp.flow_sample->seq = msg->seq;
	ev->count = total;
}

/* The main lcore's clock for answers (the slow path reads the same). */
static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void handle(const struct ep_ctrl_msg *msg)
{
	struct ep_event_msg ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = msg->type;
	ev.seq = msg->seq;
	switch (msg->type) {
	case EP_CTRL_HELLO:
		break;
	case EP_CTRL_APPLY_CONFIG:
		handle_apply(msg, &ev);
		break;
	case EP_CTRL_FLOWS_SAMPLE:
		handle_sample(msg, &ev);
		break;
	default:
		ev.status = -ENOTSUP;
		snprintf(ev.error, sizeof(ev.error), "unknown request %u",
			 msg->type);
	}
	ev.generation = fp.snap ? fp.snap->generation : 0;
	ev.version = fp.snap ? fp.snap->version : 0;
	ev.answered_ns = monotonic_ns();
	/* A full event ring means nobody listens: the answer is lost. */
	if (rte_ring_enqueue_elem(fp.event_ring, &ev, sizeof(ev)) == 0)
		ep_bell_ring(&fp.shared->event_bell);
}

uint32_t ctrl_build_pending(uint32_t budget_us)
{
	uint32_t left = snap_maglev_pending();

	if (left > 0) {
		left = snap_maglev_build_pending(fp.tsc_hz / 1000000 *
						 budget_us);
		publish_maglev_stats();
		digests_stale = true;
	}
	if (digests_stale)
		digests_stale = snap_digest_publish(fp.snap, fp.stats,
						    CTRL_DIGEST_SLOTS) != 0;
	return left;
}

/* Once a minute, so that no idle limit's time ages past a clock wrap. */
static void refresh_limits(void)
{
	static uint64_t last;
	uint64_t now = rte_rdtsc();

	if (now - last < fp.tsc_hz * 60)
		return;
	pol_refresh(now);
	last = now;
}

unsigned int ctrl_poll(void)
{
	struct ep_ctrl_msg msg;
	unsigned int n = 0;

	while (rte_ring_dequeue_elem(fp.ctrl_ring, &msg, sizeof(msg)) == 0) {
		handle(&msg);
		n++;
	}
	fp.stats->ring_depth_punt = rte_ring_count(fp.punt_ring);
	fp.stats->ring_depth_inject = rte_ring_count(fp.inject_ring);
	refresh_limits();
	return n;
}

void ctrl_watch_slowpath(void)
{
	uint64_t beat =
		__atomic_load_n(&fp.shared->sp_heartbeat_tsc, __ATOMIC_ACQUIRE);
	int32_t pid = __atomic_load_n(&fp.shared->sp_pid, __ATOMIC_ACQUIRE);
	uint64_t now = rte_rdtsc();
	uint32_t alive = pid > 0 && beat != 0 &&
			 now - beat < fp.tsc_hz / 1000 * SLOWPATH_TIMEOUT_MS;

	if (alive != fp.punt_enabled)
		__atomic_store_n(&fp.punt_enabled, alive, __ATOMIC_RELEASE);
}

void ctrl_fini(void)
{
	struct rte_mbuf *mb;

	__atomic_store_n(&fp.punt_enabled, 0, __ATOMIC_RELEASE);
	snap_free(fp.snap);
	fp.snap = NULL;
	pol_teardown();
	snap_maglev_drop_pending();
	while (fp.punt_ring &&
	       rte_ring_dequeue(fp.punt_ring, (void **)&mb) == 0)
		rte_pktmbuf_free(mb);
	while (fp.inject_ring &&
	       rte_ring_dequeue(fp.inject_ring, (void **)&mb) == 0)
		rte_pktmbuf_free(mb);
	rte_ring_free(fp.ctrl_ring);
	rte_ring_free(fp.event_ring);
	rte_ring_free(fp.punt_ring);
	rte_ring_free(fp.inject_ring);
	rte_free(fp.qsbr);
	rte_memzone_free(mz_flows);
	rte_memzone_free(mz_stage);
	rte_memzone_free(mz_shared);
}
