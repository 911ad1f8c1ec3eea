/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Metrics for the slow path's API: sums of the fast path's per-lcore
 * counters (the ep_stats memzone), the names that label them (from the
 * flat configuration in force), the API's own request counts and latency
 * histograms, and the Prometheus text exposition format 0.0.4 for all of
 * it. Only reads shared memory: no DPDK call, so tests can use plain RAM.
 */
#ifndef EP_METRICS_H
#define EP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "ep_abi.h"
#include "jw.h"
#include "http.h"
#include "stats_sum.h"

#define METRICS_MAX_SERIES 256 /* request-count series (route, method, code) */
#define METRICS_MAX_ROUTES 32 /* latency histograms, one per route */
#define METRICS_ROUTE_LEN 48
#define METRICS_METHOD_LEN 8
#define METRICS_N_BUCKETS 12 /* latency buckets, +Inf not counted */
#define METRICS_BACKEND_ID_LEN 56 /* "[v6]:port" with the NUL */

/* ---- Prometheus text ---------------------------------------------- */

/* The text is written into a struct jw_buf (jw.h, the one writer). */

struct metrics_label {
	const char *name;
	const char *value; /* escaped on output */
};

/* Start a metric family: its HELP and TYPE lines. */
void metrics_family(struct jw_buf *t, const char *name, const char *type,
		    const char *help);

/* One sample line with `n` labels and an integer or a float value. */
void metrics_u64(struct jw_buf *t, const char *name,
		 const struct metrics_label *labels, size_t n, uint64_t v);
void metrics_i64(struct jw_buf *t, const char *name,
		 const struct metrics_label *labels, size_t n, int64_t v);
void metrics_f64(struct jw_buf *t, const char *name,
		 const struct metrics_label *labels, size_t n, double v);

/* Fast-path counters are summed by fastpath/abi/stats_sum.h. */

/* ---- Names of the counters in use --------------------------------- */

struct metrics_backend_name {
	char id[METRICS_BACKEND_ID_LEN]; /* "10.0.0.1:80", "[2001:db8::1]:0" */
	uint32_t sid; /* stats id */
};

struct metrics_service_name {
	char name[EP_NAME_LEN];
	uint32_t sid;
	uint32_t first_backend; /* index into metrics_names.backends */
	uint32_t n_backends;
};

/* Services and backends of one flat configuration, in its order. */
struct metrics_names {
	uint32_t n_services;
	uint32_t n_backends;
	struct metrics_service_name *services;
	struct metrics_backend_name *backends;
};

/* "ADDR:PORT" for IPv4, "[ADDR]:PORT" for IPv6 (the backend id). */
void metrics_backend_id(const struct ep_ip *ip, uint16_t port, char *out,
			size_t size);

/*
 * Fill `n` (overwritten) from `len` bytes of flat configuration, which
 * ep_flat_check() must accept. Returns 0, -EINVAL or -ENOMEM.
 */
int metrics_names_build(struct metrics_names *n, const void *flat, size_t len);
void metrics_names_free(struct metrics_names *n);

/* The service whose stats id is sid, or NULL. */
const struct metrics_service_name *
metrics_names_service(const struct metrics_names *n, uint32_t sid);

/* The backend whose stats id is sid, or NULL. */
const struct metrics_backend_name *
metrics_names_backend(const struct metrics_names *n, uint32_t sid);

/* ---- The API's own requests --------------------------------------- */

struct metrics_series {
	char route[METRICS_ROUTE_LEN];
	char method[METRICS_METHOD_LEN];
	int code;
	uint64_t count;
};

struct metrics_histogram {
	char route[METRICS_ROUTE_LEN];
	uint64_t buckets[METRICS_N_BUCKETS]; /* not cumulative */
	uint64_t count;
	double sum;
};

/*
 * Where a configuration change's time goes (api_apply_config), as
 * edgepath_api_config_apply_seconds{phase=...}. The first three follow
 * one another; "to_fastpath_ack" spans from the handler's start (the
 * request wholly received; parse and validation included) to the end
 * of the wait for the fast path's answer; "fastpath_applied" from the
 * same start to the moment the fast path sent its answer (its clock in
 * the answer), i.e. until the change forwards, however long the slow
 * path took to read it.
 */
#define METRICS_APPLY_PHASES(X)                                                \
	X(BUILD, "build") /* parse .. flat, JSON, names */                     \
	X(PERSIST_WRITE, "persist_write") /* temp file, fsync */               \
	X(FASTPATH, "fastpath") /* send .. ack */                              \
	X(PERSIST_RENAME, "persist_rename") /* rename, directory fsync */      \
	X(TO_ACK, "to_fastpath_ack")                                           \
	X(FASTPATH_APPLIED, "fastpath_applied")

enum metrics_apply_phase {
#define METRICS_APPLY_ENUM(e, name) METRICS_APPLY_##e,
	METRICS_APPLY_PHASES(METRICS_APPLY_ENUM)
#undef METRICS_APPLY_ENUM
		METRICS_APPLY_N
};

/* Zero-initialise. Bounded: series beyond the limits go to `dropped`. */
struct metrics_api {
	unsigned int n_series;
	struct metrics_series series[METRICS_MAX_SERIES];
	unsigned int n_routes;
	struct metrics_histogram routes[METRICS_MAX_ROUTES];
	uint64_t dropped;
	struct metrics_histogram apply[METRICS_APPLY_N];
};

/* Count one answered request. route and method are cut to their limits. */
void metrics_api_observe(struct metrics_api *m, const char *route,
			 const char *method, int status, double seconds);

/* Count one configuration change's `phase` that took `seconds`. */
void metrics_apply_observe(struct metrics_api *m,
			   enum metrics_apply_phase phase, double seconds);

/* ---- Exposition ---------------------------------------------------- */

/* Everything about the fast path: state, counters, ports, services. */
void metrics_render_fastpath(struct jw_buf *t, const struct ep_stats *s,
			     const struct ep_shared *sh,
			     const struct metrics_names *names);

void metrics_render_api(struct jw_buf *t, const struct metrics_api *m);

void metrics_render_http(struct jw_buf *t, const struct http_stats *hs);

/* Per-listener connection counters of srv (labels listener, reason). */
void metrics_render_listeners(struct jw_buf *t, const struct http_server *srv);

#endif /* EP_METRICS_H */
