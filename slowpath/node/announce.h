/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Whether this node announces its VIPs (docs/scale-out.md), as a pure
 * function of what the slow path knows: a VIP is announced while the node
 * can serve it, that is the fast path is attached and alive, it runs the
 * configuration in force (acknowledged), the node is neither drained by
 * the operator nor stopping, and at least one service on that VIP has a
 * healthy backend. Otherwise it is withdrawn, with the reasons why.
 * Also renders the announced set as the BIRD include file (bird.h).
 * No I/O, no globals: unit-tested for every state (test_announce).
 */
#ifndef EP_ANNOUNCE_H
#define EP_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ep_abi.h"

/* Why a VIP is withdrawn: bits, 0 = announced. */
enum ann_reason {
	ANN_R_FASTPATH = 1u << 0, /* fast path not attached or not alive */
	ANN_R_CONFIG = 1u << 1, /* configuration not acknowledged */
	ANN_R_DRAINED = 1u << 2, /* operator drain (POST /v1/node/drain) */
	ANN_R_STOPPING = 1u << 3, /* the slow path is stopping (SIGTERM) */
	ANN_R_NO_HEALTHY = 1u << 4, /* no service on the VIP has a healthy
				     * backend */
};
#define ANN_R_COUNT 5

/* The node as a whole. */
struct ann_node_in {
	bool fastpath_alive;
	bool config_acked;
	bool drained;
	bool stopping;
};

/* One service: its VIP and how many of its backends may take flows. */
struct ann_service_in {
	struct ep_ip vip;
	uint32_t healthy;
};

struct ann_vip {
	struct ep_ip vip;
	uint32_t reasons; /* enum ann_reason bits; 0: announced */
	uint32_t n_services; /* services on this VIP */
	uint32_t healthy; /* their healthy backends, summed */
};

/* The node's own reasons (enum ann_reason bits) from its state. */
uint32_t ann_node_reasons(const struct ann_node_in *in);

/*
 * The distinct VIPs of svc[0..n) in first-seen order, each with its
 * reasons, into out[0..max). Returns how many VIPs, or -1 when out is too
 * small (out is then filled up to max).
 */
int ann_decide(const struct ann_node_in *in, const struct ann_service_in *svc,
	       uint32_t n, struct ann_vip *out, uint32_t max);

/* The name of reason bit `bit` ("fastpath_down", ...); NULL if none. */
const char *ann_reason_name(uint32_t bit);

/*
 * The BIRD include file for vip[0..n): two static protocols,
 * "edgepath_v4" and "edgepath_v6", with one blackhole route (/32, /128)
 * per announced VIP, in the order given. Returns the length written, or
 * -1 when buf (size bytes, NUL included) is too small.
 */
int ann_render_bird(const struct ann_vip *vip, uint32_t n, char *buf,
		    size_t size);

#endif /* EP_ANNOUNCE_H */
