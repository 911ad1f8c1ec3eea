/* SPDX-License-Identifier: BSD-3-Clause */
/* Slow-path attach and requests over the shared rings (see fpclient.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "ep_bell.h"
#include "fpclient.h"

static void *zone(const char *name)
{
	const struct rte_memzone *mz = rte_memzone_lookup(name);

	return mz ? mz->addr : NULL;
}

int fpclient_attach(struct fpclient *c, char *err, size_t err_len)
{
	memset(c, 0, sizeof(*c));
	c->stall_ms = FP_STALL_MS_DEFAULT;
	c->shared = zone(EP_MZ_SHARED);
	if (c->shared == NULL ||
	    __atomic_load_n(&c->shared->magic, __ATOMIC_ACQUIRE) !=
		    EP_SHARED_MAGIC) {
		snprintf(err, err_len, "fast path not ready (no %s memzone)",
			 EP_MZ_SHARED);
		return -EAGAIN;
	}
	if (c->shared->abi_version != EP_ABI_VERSION) {
		snprintf(err, err_len,
			 "ABI mismatch: fast path speaks %u, slow path %u",
			 c->shared->abi_version, EP_ABI_VERSION);
		return -EPROTO;
	}
	c->stats = zone(EP_MZ_STATS);
	c->stage = zone(EP_MZ_CFG_STAGE);
	c->flows = zone(EP_MZ_FLOWS);
	c->ctrl = rte_ring_lookup(EP_RING_CTRL);
	c->event = rte_ring_lookup(EP_RING_EVENT);
	c->punt = rte_ring_lookup(EP_RING_PUNT);
	c->inject = rte_ring_lookup(EP_RING_INJECT);
	if (!c->stats || !c->stage || !c->flows || !c->ctrl || !c->event ||
	    !c->punt || !c->inject) {
		snprintf(err, err_len, "fast path objects missing");
		return -ENOENT;
	}
	c->boot_tsc = c->shared->boot_tsc;
	c->tsc_hz = c->shared->tsc_hz;
	/* Answers meant for a slow path that died are stale now. */
	while (rte_ring_dequeue_elem(c->event, &(struct ep_event_msg){ 0 },
				     sizeof(struct ep_event_msg)) == 0)
		;
	fpclient_heartbeat(c);
	return 0;
}

static int send_msg(struct fpclient *c, struct ep_ctrl_msg *msg,
		    struct ep_event_msg *ev)
{
	msg->seq = ++c->seq;
	memset(ev, 0, sizeof(*ev));
	if (rte_ring_enqueue_elem(c->ctrl, msg, sizeof(*msg)) != 0) {
		snprintf(ev->error, sizeof(ev->error), "control ring full");
		return ev->status = -ENOBUFS;
	}
	ep_bell_ring(&c->shared->ctrl_bell);
	return 0;
}

/* The answer to request `seq` (earlier ones, timed out or no-ops, go). */
static int wait_answer(struct fpclient *c, uint32_t seq, uint32_t timeout_ms,
		       struct ep_event_msg *ev)
{
	uint64_t deadline = rte_rdtsc() + c->tsc_hz / 1000 * timeout_ms;

	while (rte_rdtsc() < deadline) {
		uint32_t seen = ep_bell_seen(&c->shared->event_bell);

		if (rte_ring_dequeue_elem(c->event, ev, sizeof(*ev)) != 0) {
			/* A long apply must not look like a dead slow path. */
			fpclient_heartbeat(c);
			if (ep_bell_wait(&c->shared->event_bell, seen, 200) !=
			    0)
				rte_delay_us_sleep(200);
			continue;
		}
		if (ev->seq == seq)
			return ev->status;
	}
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->error, sizeof(ev->error),
		 "fast path did not answer within %u ms", timeout_ms);
	return ev->status = -ETIMEDOUT;
}

static int request(struct fpclient *c, struct ep_ctrl_msg *msg,
		   uint32_t timeout_ms, struct ep_event_msg *ev)
{
	int rc = send_msg(c, msg, ev);

	return rc ? rc : wait_answer(c, msg->seq, timeout_ms, ev);
}

int fpclient_apply_send(struct fpclient *c, const void *flat, size_t len,
			uint64_t version, struct ep_event_msg *ev)
{
	struct ep_ctrl_msg msg = { .type = EP_CTRL_APPLY_CONFIG };

	if (len == 0 || len > EP_CFG_STAGE_SIZE) {
		memset(ev, 0, sizeof(*ev));
		snprintf(ev->error, sizeof(ev->error),
			 "flat configuration of %zu bytes exceeds %u", len,
			 EP_CFG_STAGE_SIZE);
		return ev->status = -E2BIG;
	}
	memcpy(c->stage, flat, len);
	msg.len = (uint32_t)len;
	msg.crc = rte_hash_crc(c->stage, (uint32_t)len, 0);
	msg.version = version;
	c->apply_seq = 0;
	if (send_msg(c, &msg, ev) != 0)
		return ev->status;
	c->apply_seq = msg.seq;
	return 0;
}

int fpclient_apply_wait(struct fpclient *c, uint32_t timeout_ms,
			struct ep_event_msg *ev)
{
	if (c->apply_seq == 0) {
		memset(ev, 0, sizeof(*ev));
		snprintf(ev->error, sizeof(ev->error), "nothing was sent");
		return ev->status = -EINVAL;
	}
	return wait_answer(c, c->apply_seq, timeout_ms, ev);
}

int fpclient_apply(struct fpclient *c, const void *flat, size_t len,
		   uint64_t version, uint32_t timeout_ms,
		   struct ep_event_msg *ev)
{
	int rc = fpclient_apply_send(c, flat, len, version, ev);

	return rc ? rc : fpclient_apply_wait(c, timeout_ms, ev);
}

void fpclient_wake(struct fpclient *c)
{
	struct ep_ctrl_msg msg = { .type = EP_CTRL_HELLO };
	struct ep_event_msg ev;

	/* Nothing is in flight between requests: what the event ring holds
	 * are answers nobody waits for (earlier wakes). Keep it from
	 * filling, or the fast path would drop a real answer. */
	while (rte_ring_dequeue_elem(c->event, &ev, sizeof(ev)) == 0)
		;
	send_msg(c, &msg, &ev);
}

int fpclient_sample_flows(struct fpclient *c, uint32_t service_sid,
			  uint32_t limit, uint32_t timeout_ms,
			  struct ep_event_msg *ev)
{
	struct ep_ctrl_msg msg = { .type = EP_CTRL_FLOWS_SAMPLE,
				   .arg0 = service_sid,
				   .arg1 = limit };

	return request(c, &msg, timeout_ms, ev);
}

void fpclient_heartbeat(struct fpclient *c)
{
	__atomic_store_n(&c->shared->sp_pid, (int32_t)getpid(),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&c->shared->sp_heartbeat_tsc, rte_rdtsc(),
			 __ATOMIC_RELEASE);
}

void fpclient_detach(struct fpclient *c)
{
	if (c->shared == NULL)
		return;
	__atomic_store_n(&c->shared->sp_heartbeat_tsc, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&c->shared->sp_pid, 0, __ATOMIC_RELEASE);
}

int fpclient_fastpath_alive(const struct fpclient *c)
{
	if (__atomic_load_n(&c->shared->stopping, __ATOMIC_ACQUIRE) ||
	    c->shared->boot_tsc != c->boot_tsc)
		return 0;
	return kill(c->shared->fp_pid, 0) == 0 || errno == EPERM;
}

uint32_t fpclient_stalled(struct fpclient *c, uint64_t now_ms)
{
	uint64_t polls[EP_MAX_WORKERS];
	uint32_t n = c->stats->n_lcores;

	if (n > EP_MAX_WORKERS)
		n = EP_MAX_WORKERS;
	for (uint32_t i = 0; i < n; i++) {
		const uint64_t *cnt = c->stats->lcore[i].cnt;

		polls[i] =
			__atomic_load_n(&cnt[EP_CNT_BURSTS], __ATOMIC_RELAXED) +
			__atomic_load_n(&cnt[EP_CNT_IDLE_POLLS],
					__ATOMIC_RELAXED);
	}
	return fp_progress_sample(&c->progress, polls, n, now_ms, c->stall_ms);
}

unsigned int fpclient_drain_punt(struct fpclient *c)
{
	struct rte_mbuf *pkts[64];
	unsigned int n, total = 0;

	do {
		n = rte_ring_dequeue_burst(c->punt, (void **)pkts, 64, NULL);
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	} while (n == 64);
	c->punted += total;
	return total;
}
