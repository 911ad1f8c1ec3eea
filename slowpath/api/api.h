/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API (docs/api.md): the handler the HTTP server (http.h)
 * calls for every request, and the owner of the configuration in force
 * with the one function that changes it, api_apply_config(): validate the
 * whole document, flatten it, send it to the fast path, wait for the new
 * generation, persist it atomically, bump the version. File load, SIGHUP
 * and every API write go through it. The fast path is reached through
 * struct api_fastpath so unit tests can stand in for it.
 *
 * Not thread-safe: the thread that runs the HTTP server owns it.
 */
#ifndef EP_API_H
#define EP_API_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ep_abi.h"
#include "http.h"

#define API_FLOWS_LIMIT_DEFAULT 100u /* /v1/flows without ?limit= */

/* Stable error codes of the JSON error body (listed in docs/api.md). */
enum api_code {
	API_ERR_INVALID_JSON = 1000, /* 400: the body is not one JSON value */
	API_ERR_VALIDATION = 1001, /* 400: details.field names the field */
	API_ERR_NOT_FOUND = 1002, /* 404 */
	API_ERR_CONFLICT = 1003, /* 409: the name or backend exists */
	API_ERR_PRECONDITION = 1004, /* 412: If-Match is not the version */
	API_ERR_FASTPATH = 1005, /* 503: fast path refused, silent, absent */
	API_ERR_FORBIDDEN = 1006, /* 403: the client's role may not */
	API_ERR_TOO_LARGE = 1007, /* 413: configuration over 1 MiB */
	API_ERR_METHOD = 1008, /* 405: details.allowed */
	API_ERR_MEDIA_TYPE = 1009, /* 415: Content-Type not JSON */
	API_ERR_PERSIST = 1010, /* 500: the config file could not be written */
	API_ERR_INTERNAL = 1011, /* 500: out of memory */
};

/* Why a request or a change failed; rendered as the JSON error body. */
struct api_error {
	int status; /* HTTP status */
	int code; /* enum api_code */
	char message[256];
	char field[192]; /* details.field, "" for none */
	const char *detail_key; /* one more details member, NULL for none */
	char detail[192];
};

/*
 * The fast path as the API uses it. apply_send stages a flat configuration
 * and returns once it is sent (the fast path builds while the API writes
 * the file); apply_wait then blocks until that apply's answer or its own
 * timeout. Both, and sample_flows (which blocks), return 0 or a negative
 * errno with ev->error filled. wake (may be NULL) tells the fast path a
 * change is coming. The memory pointers stay valid for the API's life.
 */
struct api_fastpath {
	void *ctx;
	int (*apply_send)(void *ctx, const void *flat, size_t len,
			  uint64_t version, struct ep_event_msg *ev);
	int (*apply_wait)(void *ctx, struct ep_event_msg *ev);
	void (*wake)(void *ctx);
	int (*sample_flows)(void *ctx, uint32_t service_sid, uint32_t limit,
			    struct ep_event_msg *ev); /* results in flows */
	bool (*alive)(void *ctx);
	const struct ep_shared *shared;
	const struct ep_stats *stats;
	const struct ep_flow_sample *flows;
};

struct api;

/*
 * A new API with an empty configuration in force (version 0). Changes
 * made through the API are persisted to config_path (NULL: never).
 * Every member of fp but ctx is required. Returns NULL with errno set
 * (EINVAL: a member missing, ENOMEM).
 */
struct api *api_create(const struct api_fastpath *fp, const char *config_path);

void api_destroy(struct api *a);

/*
 * After a slow-path restart: make the flat configuration the fast path
 * is running (`len` bytes, e.g. the staging memzone) the one in force, so
 * stats ids and the version carry on. Only when its version is the fast
 * path's. Returns 0, -ESTALE (another version) or -EINVAL/-ENOMEM.
 */
int api_adopt(struct api *a, const void *flat, size_t len);

/*
 * The one path for every change. `cfg` is consumed (freed or kept).
 * persist: write it to config_path once the fast path accepted it.
 * On any failure the configuration in force, the stats ids, the version
 * and the file stay as they were, and `err` says why. Returns 0 or -1.
 */
int api_apply_config(struct api *a, struct ep_config *cfg, bool persist,
		     struct api_error *err);

struct health_engine;

/*
 * Active health checks (health.h): every flat form built from now on has
 * h's health state laid over the configured state (health_overlay.h),
 * and the API shows it. h stays the caller's; NULL turns it off.
 */
void api_set_health(struct api *a, const struct health_engine *h);

/*
 * The health state changed: apply the configuration in force again
 * (new version, new overlay) without persisting it or changing the
 * document GET /v1/config serves. 0 or -1 with `err` filled.
 */
int api_republish(struct api *a, struct api_error *err);

struct node;
/*
 * The node's drain and announcements (slowpath/node/node.h): GET
 * /v1/node, POST /v1/node/drain|undrain and /metrics show and change n.
 * n stays the caller's; NULL: those endpoints answer 404.
 */
void api_set_node(struct api *a, struct node *n);
/*
 * Decide again what the node announces from the configuration in force,
 * the health checks and the fast path's state (the loop calls it every
 * pass; a drain calls it at once).
 */
void api_node_refresh(struct api *a, uint64_t now_ms);
/*
 * The clock of the registry's TTLs (milliseconds, monotonic); NULL puts
 * back the default, health_now_ms(). For tests.
 */
void api_set_clock(struct api *a, uint64_t (*now_ms)(void));

/*
 * The service registry's time-driven work, called from the slow path's
 * loop (it scans at most every API_REGISTRY_SCAN_MS): instances whose TTL
 * lapsed go out of new-flow selection (a republish, the document stays);
 * those past twice their TTL are removed from the document through the
 * change path, persisted, as an operator's DELETE would. Returns the
 * number of changes made (0..2) or -1 with `err` filled (retried at the
 * next call).
 */
int api_registry_run(struct api *a, struct api_error *err);

#define API_REGISTRY_SCAN_MS 100u
struct breaker_engine;

/*
 * Passive outlier ejection (breaker_engine.h): every flat form built from
 * now on has the breakers' ejections laid over it (after the health
 * overlay), and the API shows their state. NULL turns it off. A breaker
 * change is published with api_republish().
 */
void api_set_breaker(struct api *a, const struct breaker_engine *b);

/* The flat form in force (its backends' stats ids); *len its bytes. */
const void *api_flat(const struct api *a, size_t *len);
struct jw;

/* A registered instance, for a remote source's registry calls. */
struct api_reg_op {
	const char *svc, *id;
	uint32_t ttl_s;
	bool remove; /* a deregistration */
};

/*
 * A remote configuration source (the etcd client, main.c). put: store
 * the canonical document there before the change is applied here, with
 * `reg` (NULL: none) the registration or deregistration it carries, or
 * only `reg` when json is NULL (a renewal that changes no document);
 * 0, or -1 with err filled (nothing changes). render: the "source"
 * object of /v1/stats.
 *
 * The registry's state lives there too when beat is set: beat renews an
 * instance's TTL (0, 1 it was unhealthy, -ENOENT expired or unknown, -1
 * with err filled); verdict says what the source holds of an instance
 * (-1 unknown: this node's TTLs decide, else an enum registry_state);
 * gen changes whenever verdicts may have changed.
 */
struct api_remote {
	void *ctx;
	int (*put)(void *ctx, const char *json, const struct api_reg_op *reg,
		   struct api_error *err);
	void (*render)(void *ctx, struct jw *w);
	int (*beat)(void *ctx, const struct api_reg_op *reg,
		    struct api_error *err);
	int (*verdict)(void *ctx, const char *svc, const char *id);
	uint64_t (*gen)(void *ctx);
};

/* NULL: the file and the API are the source. `r` stays the caller's. */
void api_set_remote(struct api *a, const struct api_remote *r);

/* A document from the remote source: the one change path, persisted
 * (the last good copy), not written back to the source. 0 or -1. */
int api_apply_remote(struct api *a, const char *text, size_t len,
		     struct api_error *err);

/* Read config_path and apply it (without rewriting it). 0 or -1. */
int api_apply_file(struct api *a, struct api_error *err);

const struct ep_config *api_config(const struct api *a);

/* The version in force (the ETag); 0 before the first change. */
uint64_t api_version(const struct api *a);

/* The fast path is alive and runs the version in force (/readyz). */
bool api_ready(const struct api *a);

/* The server whose counters /metrics shows (NULL: none). */
void api_set_server(struct api *a, const struct http_server *srv);

/*
 * Write one JSON line per request to f (time, trace id, client, method,
 * path, status, duration, configuration version); NULL: none.
 */
void api_set_access_log(struct api *a, FILE *f);

/*
 * Write out the buffered access-log lines: the slow path's loop calls it
 * once per pass (at least every 100 ms), so a busy API costs one write
 * per pass, not per request.
 */
void api_flush_log(struct api *a);

/* http_handler: arg is the struct api. */
void api_handle(const struct http_request *req, struct http_response *resp,
		void *arg);

/*
 * http_head_fn: the checks a request head alone decides (endpoint and
 * method, role, media type, announced size), so a refused client never
 * uploads its body. api_handle() makes the same checks again.
 */
int api_head(const struct http_request *req, struct http_response *resp,
	     void *arg);

/* http_complete_fn: counts the request for /metrics. */
void api_complete(const struct http_request *req, int status, double seconds,
		  void *arg);

/* The route template of a path ("/v1/services/{name}"), "other" if none. */
const char *api_route_name(const char *path);

#endif /* EP_API_H */
