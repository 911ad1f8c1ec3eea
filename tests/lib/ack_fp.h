/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An in-memory fast path behind api.h's seam that takes every change at
 * once: apply_send moves the version and the generation on, apply_wait
 * answers with them, sample_flows gives `flows` (or fails with
 * sample_rc). For programs that drive api_handle() in-process without
 * asserting on the fast path (fuzz_api, bench_config); test_api has its
 * own, which counts and can refuse.
 */
#ifndef EP_ACK_FP_H
#define EP_ACK_FP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "api.h"

struct ack_fp {
	struct ep_shared shared;
	struct ep_stats *stats; /* the caller's, may be NULL */
	struct ep_flow_sample flows;
	int sample_rc; /* sample_flows fails with it when not 0 */
};

static inline int ack_fp_send(void *ctx, const void *flat, size_t len,
			      uint64_t version, struct ep_event_msg *ev)
{
	struct ack_fp *f = ctx;

	(void)flat;
	(void)len;
	memset(ev, 0, sizeof(*ev));
	f->shared.version = version;
	ev->generation = ++f->shared.generation;
	ev->version = version;
	return 0;
}

static inline int ack_fp_wait(void *ctx, struct ep_event_msg *ev)
{
	const struct ack_fp *f = ctx;

	memset(ev, 0, sizeof(*ev));
	ev->generation = f->shared.generation;
	ev->version = f->shared.version;
	return 0;
}

static inline int ack_fp_sample(void *ctx, uint32_t sid, uint32_t limit,
				struct ep_event_msg *ev)
{
	const struct ack_fp *f = ctx;

	(void)sid;
	memset(ev, 0, sizeof(*ev));
	if (f->sample_rc != 0)
		return f->sample_rc;
	ev->count = f->flows.count < limit ? f->flows.count : limit;
	return 0;
}

static inline bool ack_fp_alive(void *ctx)
{
	(void)ctx;
	return true;
}

/* The seam over `f` for api_create(). */
static inline struct api_fastpath ack_fp_ops(struct ack_fp *f)
{
	return (struct api_fastpath){ .ctx = f,
				      .apply_send = ack_fp_send,
				      .apply_wait = ack_fp_wait,
				      .sample_flows = ack_fp_sample,
				      .alive = ack_fp_alive,
				      .shared = &f->shared,
				      .stats = f->stats,
				      .flows = &f->flows };
}

#endif /* EP_ACK_FP_H */
