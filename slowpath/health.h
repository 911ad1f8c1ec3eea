/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Active health checks (issue #17): a per-backend state machine (up/down
 * with rise and fall counters), the panic rule of a service, and a
 * non-blocking probe engine (TCP connect, HTTP GET) driven from the slow
 * path's event loop over kernel sockets, never from the workers.
 *
 * The engine owns one epoll descriptor: the caller waits on it (alone or
 * with its other descriptors) and calls health_engine_run(), which starts
 * the probes that are due, finishes the ones that completed or timed out,
 * and feeds each result to the backend's state machine. Probes of a
 * backend never overlap: the timeout is at most the interval.
 *
 * Operator state (up/down/drain in the configuration) is not the health
 * state: the engine probes every backend it is given, and the caller
 * combines both when it builds the flat configuration
 * (health_backend_usable()).
 *
 * Not thread-safe: one thread owns an engine.
 */
#ifndef EP_HEALTH_H
#define EP_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ep_abi.h"

/* Defaults: detect faster than HAProxy's inter 2 s, fall 3, rise 2. */
#define HEALTH_INTERVAL_MS_DEFAULT 1000u
#define HEALTH_TIMEOUT_MS_DEFAULT 1000u
#define HEALTH_RISE_DEFAULT 2u
#define HEALTH_FALL_DEFAULT 3u
#define HEALTH_PANIC_PERCENT_DEFAULT 50u /* Envoy's healthy_panic_threshold */

/* Limits of the parameters (docs/config.md). */
#define HEALTH_INTERVAL_MS_MIN 100u
#define HEALTH_INTERVAL_MS_MAX 3600000u
#define HEALTH_TIMEOUT_MS_MIN 10u
#define HEALTH_RISE_FALL_MAX 100u
#define HEALTH_PATH_LEN 128u /* with the NUL */
#define HEALTH_BODY_LEN 64u /* body_contains, with the NUL */
#define HEALTH_SNI_LEN 256u /* https: server_name, with the NUL */
#define HEALTH_CA_LEN 256u /* https: ca_file, with the NUL */
/* Bytes of a response read at most: the head, then the body searched. */
#define HEALTH_HEAD_MAX 1024u
#define HEALTH_BODY_SCAN_MAX (64u * 1024u)

enum health_type {
	HEALTH_NONE = 0, /* no probes: the backend counts as healthy */
	HEALTH_TCP = 1, /* connect() completes */
	HEALTH_HTTP = 2, /* GET path: status in range, body has a string */
	HEALTH_HTTPS = 3, /* the same GET over TLS (OpenSSL client) */
};

struct health_params {
	enum health_type type;
	uint32_t interval_ms; /* from one probe's start to the next */
	uint32_t timeout_ms; /* <= interval_ms */
	uint8_t rise; /* consecutive successes to go up, 1..100 */
	uint8_t fall; /* consecutive failures to go down, 1..100 */
	uint16_t port; /* 0 = the backend's own port */
	uint16_t status_min, status_max; /* HTTP: accepted status range */
	char path[HEALTH_PATH_LEN]; /* HTTP: request target, "/" default */
	char body_contains[HEALTH_BODY_LEN]; /* HTTP: "" = not checked */
	/* HTTPS: the SNI sent ("" = none), and whether the server's
	 * certificate must verify against ca_file (and name server_name,
	 * or the backend's address when there is none) */
	char server_name[HEALTH_SNI_LEN];
	bool verify;
	char ca_file[HEALTH_CA_LEN];
};

/* The defaults above, HEALTH_NONE, status 200-399, path "/". */
void health_params_default(struct health_params *p);

/* ------------------------------------------------------------------ */
/* The state machine of one backend                                    */

enum health_state {
	HEALTH_UP = 0,
	HEALTH_DOWN = 1,
};

/* What one probe found. */
enum health_result {
	HEALTH_R_NONE = 0, /* no probe finished yet */
	HEALTH_R_OK,
	HEALTH_R_REFUSED, /* RST to the SYN (ECONNREFUSED) */
	HEALTH_R_TIMEOUT, /* no complete answer within timeout_ms */
	HEALTH_R_ERROR, /* another socket error (unreachable, reset, ...) */
	HEALTH_R_STATUS, /* HTTP status outside the range */
	HEALTH_R_BODY, /* HTTP body without the expected string */
	HEALTH_R_BAD_RESPONSE, /* not an HTTP/1.x response, or closed early */
	HEALTH_R_TLS, /* HTTPS: the handshake failed (or its verification) */
	HEALTH_R_COUNT
};

/* "ok", "refused", "timeout", "error", "status", "body", "bad_response",
 * "tls". */
const char *health_result_name(enum health_result r);
const char *health_state_name(enum health_state s);

struct health_sm {
	enum health_state state;
	uint8_t ok_run; /* consecutive successes while down */
	uint8_t fail_run; /* consecutive failures while up */
	enum health_result last; /* the last probe's result */
	int last_detail; /* HTTP status or errno of the last probe, else 0 */
	uint32_t last_latency_us; /* start to result of the last probe */
	enum health_result reason; /* what made it down (NONE while up) */
	int reason_detail;
	uint64_t since_ms; /* when the state last changed (engine clock) */
	uint64_t n_up, n_down; /* transitions */
};

/*
 * A backend nobody has probed yet: up (HAProxy's and Envoy's start for
 * a configured host), `fall` failures away from down.
 */
void health_sm_init(struct health_sm *sm, uint64_t now_ms);

/*
 * Feed one probe's result. Up goes down after `fall` consecutive
 * failures; down goes up after `rise` consecutive successes; any other
 * result in between resets the run. Returns true when the state changed.
 */
bool health_sm_observe(struct health_sm *sm, enum health_result r, int detail,
		       uint32_t latency_us, uint8_t rise, uint8_t fall,
		       uint64_t now_ms);

/* ------------------------------------------------------------------ */
/* The panic rule of a service                                         */

/*
 * Of `total` backends that may take new flows by configuration (state up,
 * weight > 0), `healthy` pass their checks. The service is in panic when
 * healthy * 100 < threshold_percent * total: then every one of the
 * `total` takes new flows, healthy or not, rather than overloading the
 * few (Envoy). threshold 0 never panics; total 0 never panics.
 */
bool health_panic(uint32_t healthy, uint32_t total, uint32_t threshold_percent);

/* ------------------------------------------------------------------ */
/* The probe engine                                                    */

/* One backend to probe, keyed by (service, addr, port). */
struct health_target {
	char service[EP_NAME_LEN];
	struct ep_ip addr;
	uint16_t port; /* the probe's destination port (never 0) */
	uint16_t backend_port; /* the key's port: the backend's, may be 0 */
	struct health_params params; /* type TCP, HTTP or HTTPS */
};

/* Engine counters, one X-macro list so names cannot drift. */
#define HEALTH_STATS(X)                                                        \
	X(probes_started)                                                      \
	X(probes_ok)                                                           \
	X(probes_refused)                                                      \
	X(probes_timeout)                                                      \
	X(probes_error)                                                        \
	X(probes_status)                                                       \
	X(probes_body)                                                         \
	X(probes_bad_response)                                                 \
	X(probes_tls)                                                          \
	X(socket_failures)                                                     \
	X(transitions_up)                                                      \
	X(transitions_down)

struct health_stats {
#define HEALTH_STAT_FIELD(name) uint64_t name;
	HEALTH_STATS(HEALTH_STAT_FIELD)
#undef HEALTH_STAT_FIELD
	uint64_t targets; /* gauge */
	uint64_t in_flight; /* gauge */
};

extern const char *const health_stat_names[];

struct health_engine;

/* A new engine with no targets. NULL with errno set. */
struct health_engine *health_engine_create(void);

void health_engine_destroy(struct health_engine *h);

/*
 * Make `targets` (n of them) the set probed, in this order (indices
 * 0..n-1). A target whose key (service, addr, backend_port) was in the
 * old set keeps its state machine, and its probe in flight when its
 * parameters are the same; new ones start up (health_sm_init) with their
 * first probes spread over one interval. Returns 0 or -ENOMEM (the old
 * set stays).
 */
int health_engine_set(struct health_engine *h,
		      const struct health_target *targets, uint32_t n,
		      uint64_t now_ms);

/* Called for every state change (logging); NULL: none. */
typedef void (*health_change_fn)(const struct health_target *t,
				 const struct health_sm *sm, void *arg);
void health_engine_on_change(struct health_engine *h, health_change_fn fn,
			     void *arg);

/*
 * Feed target i one result as if a probe had found it (the passive
 * checks' entry, and tests). Returns 1 on a state change, 0, or -EINVAL.
 */
int health_engine_observe(struct health_engine *h, uint32_t i,
			  enum health_result r, int detail, uint64_t now_ms);

/* The descriptor to wait on for readiness (EPOLLIN): an epoll fd. */
int health_engine_fd(const struct health_engine *h);

/* Milliseconds from now_ms to the next deadline; -1 when none. */
int health_engine_next_ms(const struct health_engine *h, uint64_t now_ms);

/*
 * Finish probes that completed (non-blocking) or timed out, start the
 * ones that are due. Returns the number of state changes, or a negative
 * errno from epoll.
 */
int health_engine_run(struct health_engine *h, uint64_t now_ms);

uint32_t health_engine_count(const struct health_engine *h);

/* Target i's key and state; NULL when there is no target i. */
const struct health_target *health_engine_target(const struct health_engine *h,
						 uint32_t i);
const struct health_sm *health_engine_sm(const struct health_engine *h,
					 uint32_t i);

/* The index of the target with this key, or -1. */
int health_engine_find(const struct health_engine *h, const char *service,
		       const struct ep_ip *addr, uint16_t backend_port);

void health_engine_stats(const struct health_engine *h,
			 struct health_stats *out);

/* The monotonic clock in milliseconds, as the engine expects it. */
uint64_t health_now_ms(void);

#endif /* EP_HEALTH_H */
