/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to slowpath/api/: the API's state (struct api) and what its
 * files share. api.h is the module's public header; no file outside
 * slowpath/api/ includes this one.
 */
#ifndef EP_API_INT_H
#define EP_API_INT_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "breaker_engine.h"
#include "health_overlay.h"
#include "health_view.h"
#include "breaker_view.h"
#include "jw.h"
#include "metrics.h"
#include "registry.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ETAG_LEN 32
#define PATH_SEGMENT_MAX 64 /* a decoded {name} or {id} */
#define QUERY_KEY_SHOWN 32
/*
 * Versions are reserved in blocks in CONFIG.version ("the highest version
 * this configuration file may have been given"), written before any
 * version of the block is used: after both processes restart, versions
 * go on above it, so an ETag never names two documents.
 */
#define API_VERSION_BLOCK 1024u

struct api {
	struct api_fastpath fp;
	char *config_path; /* NULL: changes are not persisted */
	struct config_ids *ids;
	struct ep_config cfg; /* in force */
	char *json; /* canonical JSON of cfg */
	char *doc; /* GET /v1/config: the file's bytes, or json + "\n" */
	size_t doc_len;
	bool adopted; /* doc is from api_adopt(), not (yet) the file */
	uint64_t version_floor; /* versions above it only (CONFIG.version) */
	uint64_t version_reserved; /* CONFIG.version as written */
	void *flat; /* flat form of cfg, as the fast path got it */
	size_t flat_len;
	struct metrics_names names; /* labels of the counters in use */
	uint64_t version;
	uint64_t generation; /* the fast path's answer to `version` */
	const struct http_server *srv;
	struct metrics_api metrics;
	/*
	 * The last /v1/stats body, reused by the requests of the same
	 * server pass (and version): they all get the counters read at one
	 * instant, and a pass of 100 requests renders once. Never reused
	 * across passes, so every pass reads fresh counters.
	 */
	struct {
		uint64_t pass; /* 0: nothing to reuse */
		uint64_t version;
		struct jw_buf text;
	} stats_body;
	double handle_start; /* api_handle()'s start (s), 0 outside it */
	const struct health_engine *health; /* NULL: no active checks */
	struct node *node; /* drain and announcements; NULL: none */
	const struct breaker_engine *breaker; /* NULL: no outlier ejection */
	bool republishing; /* api_republish(): the document stays */
	/* The service registry: TTLs in memory (registry.h), its clock. */
	struct registry *registry;
	uint64_t (*now_ms)(void);
	bool registry_dirty; /* a TTL verdict not yet in the fast path */
	bool registry_changing; /* the change in progress is the registry's */
	uint64_t registry_next_ms; /* api_registry_run() scans from then */
	/* Tracing: the request being handled, and who made the change in force. */
	const struct http_request *req; /* inside api_handle(), else NULL */
	FILE *access_log; /* one JSON line per request; NULL: none */
	struct jw_buf log_line; /* reused for every line */
	/* A remote source (etcd): API writes go there first (api_set_remote). */
	const struct api_remote *remote;
	bool from_remote; /* the change being applied came from it */
	const struct api_reg_op *reg_op; /* the registry write in progress */
	uint64_t remote_gen; /* the remote's verdicts last read at ... */
	uint64_t remote_version; /* ... and the version they were for */
	struct {
		char trace_id[TRACE_ID_HEX + 1]; /* "" when not from the API */
		char client[160]; /* subject, else peer; or "file" */
	} change;
};

enum api_route {
	R_HEALTHZ,
	R_READYZ,
	R_CONFIG,
	R_SERVICES,
	R_SERVICE,
	R_BACKENDS,
	R_BACKEND,
	R_STATS,
	R_FLOWS,
	R_METRICS,
	R_NODE,
	R_NODE_DRAIN,
	R_NODE_UNDRAIN,
	R_INSTANCES,
	R_INSTANCE,
	R_HEARTBEAT,
	R_POLICING,
	R_NONE,
};

/* One request being answered. */
struct api_call {
	struct api *a;
	const struct http_request *req;
	struct http_response *resp;
	enum api_route route;
	unsigned int method;
	char name[PATH_SEGMENT_MAX]; /* {name}, percent-decoded */
	char id[PATH_SEGMENT_MAX]; /* {id}, percent-decoded */
};

/*
 * /v1/stats is served often: it is written straight into one growing
 * buffer through the JSON writer (jw.h), in the shape and order cJSON
 * builders would give; the access log uses it too.
 */

/* api.c: errors, JSON output, request bodies. */

int api_fail(struct api_error *e, int status, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

int api_fail_nomem(struct api_error *e);

int api_fail_field(struct api_error *e, const char *field, const char *msg);

int api_fail_config(struct api_error *e, int rc, const struct config_error *ce);

cJSON *api_jadd(cJSON *o, const char *key, cJSON *item);

void api_jstr(cJSON *o, const char *key, const char *v);

void api_ju64(cJSON *o, const char *key, uint64_t v);

cJSON *api_jarr(cJSON *parent, const char *key);

void api_set_etag(struct http_response *resp, uint64_t version);

int api_reply_text(struct http_response *resp, int status, char *text,
		   const char *type, struct api_error *e);

int api_reply_json(struct http_response *resp, int status, cJSON *root,
		   struct api_error *e);

int api_pct_decode(const char *s, size_t n, char *out, size_t size);

int api_body_parse(const struct http_request *req, const char *path,
		   cJSON **out, struct api_error *e);

char *api_body_text(const struct http_request *req);

/* change.c: the change path and the document it keeps. */

uint64_t api_version_file_read(const struct api *a);

void api_persist_clean(const struct api *a);

void api_doc_set_json(struct api *a);

double api_now_s(void);

/* One backend's weight, state and priority, as a PATCH sets them. */
struct api_backend_edit {
	uint32_t svc, be; /* indices into the configuration in force */
	uint16_t weight;
	enum ep_backend_state state;
	uint8_t priority;
};

int api_apply_backend_edit(struct api *a, const struct api_backend_edit *ed,
			   struct api_error *e);

int api_apply_text(struct api *a, const char *text, size_t len,
		   const cJSON *root, struct api_error *e);

/* state.c: state, and the configuration in force for the endpoints. */

bool api_fp_alive(const struct api *a);

cJSON *api_doc_parse(const struct api *a);

cJSON *api_doc_item(const struct api *a, uint32_t svc, int64_t be);

int api_find_service(const struct api *a, const char *name);

int api_service_of(const struct api_call *c, struct api_error *e);

bool api_ip_from_text(const char *s, uint8_t family, struct ep_ip *ip);

int api_find_backend(const struct config_service *s, const struct ep_ip *ip,
		     uint16_t port);

int api_backend_of(const struct api_call *c, int *svc, struct api_error *e);

int api_cfg_copy(const struct api *a, struct ep_config *out,
		 struct api_error *e);

int api_patch_begin(struct api_call *c, const char *path, cJSON **obj,
		    struct ep_config *cfg, struct api_error *e);

int api_patch_apply(struct api *a, struct ep_config *cfg, int rc,
		    const struct config_error *ce, struct api_error *e);

int api_reply_item(struct api_call *c, int status, cJSON *item,
		   struct api_error *e);

int api_reply_version(struct api_call *c, int status, struct api_error *e);

/* The endpoints, by resource (ep_config.c, ep_services.c, ep_stats.c),
 * which api.c's dispatch table names. */

int h_healthz(struct api_call *c, struct api_error *e);

/* ep_node.c: GET /v1/node, POST /v1/node/drain and /v1/node/undrain. */

int h_node_get(struct api_call *c, struct api_error *e);

int h_node_drain(struct api_call *c, struct api_error *e);

int h_node_undrain(struct api_call *c, struct api_error *e);

void api_node_metrics(struct jw_buf *t, const struct api *a);

int h_readyz(struct api_call *c, struct api_error *e);

int h_config_get(struct api_call *c, struct api_error *e);

int h_config_put(struct api_call *c, struct api_error *e);

int h_policing_get(struct api_call *c, struct api_error *e);

int h_policing_patch(struct api_call *c, struct api_error *e);

int h_services_get(struct api_call *c, struct api_error *e);

int h_service_get(struct api_call *c, struct api_error *e);

int h_services_post(struct api_call *c, struct api_error *e);

int h_service_patch(struct api_call *c, struct api_error *e);

int h_service_delete(struct api_call *c, struct api_error *e);

int h_backends_get(struct api_call *c, struct api_error *e);

int h_backend_get(struct api_call *c, struct api_error *e);

int h_backends_post(struct api_call *c, struct api_error *e);

int h_backend_patch(struct api_call *c, struct api_error *e);

int h_backend_delete(struct api_call *c, struct api_error *e);

int h_stats(struct api_call *c, struct api_error *e);

int h_flows(struct api_call *c, struct api_error *e);

int h_metrics(struct api_call *c, struct api_error *e);

/* ep_registry.c: /v1/registry/services/{name}/instances[/{id}[/heartbeat]] */

int h_instances_get(struct api_call *c, struct api_error *e);

int h_instances_post(struct api_call *c, struct api_error *e);

int h_instance_get(struct api_call *c, struct api_error *e);

int h_instance_delete(struct api_call *c, struct api_error *e);

int h_heartbeat_put(struct api_call *c, struct api_error *e);

/* Whether a registry write by this client may touch service s. */
int api_registry_allowed(const struct api_call *c, int s, struct api_error *e);

/* Does the registry hold backend b of s out (a registered instance
 * whose TTL lapsed)? A health_out_fn; `registry` is a struct registry. */
bool api_registry_holds_out(const struct config_service *s, uint32_t b,
			    const void *registry);

/*
 * Everything that says whether a backend is healthy, as `a` has it now:
 * the active checks, the registry's lapsed TTLs and the breakers. The
 * flat form sent to the fast path and every view (services, /metrics,
 * the node's announcements) plan their tiers from these, so they agree.
 */
void api_health_inputs(const struct api *a, struct health_inputs *hi);

#endif /* EP_API_INT_H */
