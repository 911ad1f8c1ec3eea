/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The node's standing towards the routers (docs/scale-out.md): the
 * operator's drain, the slow path's stop, the last announce/withdraw
 * decision (announce.h) and the BIRD that carries it (bird.h). The API
 * (GET /v1/node, POST /v1/node/drain|undrain, /metrics) reads it; the
 * slow path's loop feeds it every pass (api_node_refresh()).
 */
#ifndef EP_NODE_H
#define EP_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "announce.h"
#include "bird.h"

#define NODE_GRACE_MS_DEFAULT 1000u /* after BIRD confirmed the withdraw */
#define NODE_GRACE_MS_MAX 600000u

struct node_opts {
	const char *bird_include; /* NULL: no BIRD (decision only) */
	const char *bird_socket; /* NULL: write the include file only */
	uint32_t grace_ms; /* --withdraw-grace-ms */
};

struct node;
struct cJSON;
struct jw_buf;

/* NULL with errno set. The include file is written at once: nothing
 * announced until the first decision says so. */
struct node *node_create(const struct node_opts *o, uint64_t now_ms);
void node_destroy(struct node *n);

void node_set_drained(struct node *n, bool drained);
bool node_drained(const struct node *n);
/* The slow path is stopping: withdraw everything (idempotent). */
void node_set_stopping(struct node *n, uint64_t now_ms);
/*
 * True once a stopping node may exit: BIRD confirmed the withdraw and
 * grace_ms passed since, or no BIRD, or BIRD did not answer within
 * grace_ms + 2 x BIRD_REPLY_MS of the stop.
 */
bool node_stop_done(const struct node *n, uint64_t now_ms);

/* A new decision from the services' state; BIRD follows when it changes. */
void node_update(struct node *n, bool fastpath_alive, bool config_acked,
		 const struct ann_service_in *svc, uint32_t n_svc,
		 uint64_t now_ms);

/* BIRD's socket for the caller's poll (NULL: no BIRD). */
struct bird *node_bird(struct node *n);
/* Progress BIRD's exchange without blocking. */
void node_run(struct node *n, uint64_t now_ms);

/* GET /v1/node's body (docs/api.md); NULL when out of memory. */
struct cJSON *node_view(const struct node *n, uint64_t now_ms);
/* The edgepath_node_* families of /metrics. */
void node_view_metrics(struct jw_buf *t, const struct node *n);

#endif /* EP_NODE_H */
