/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgectl's output: the API's JSON documents (docs/api.md) rendered as
 * tables for people, the API's error shape as messages, and per-service
 * and per-backend rates from two /v1/stats samples for `edgectl top`.
 * Pure functions of their input (no sockets, no clock), so
 * tests/unit/test_edgectl.c checks the exact text.
 */
#ifndef EP_EDGECTL_FMT_H
#define EP_EDGECTL_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/*
 * Table renderers. Each takes the parsed answer of one endpoint and
 * returns 0, or -EPROTO if the document lacks the array it is about (the
 * caller reports an answer it cannot read). Missing members print "-".
 */

/* GET /v1/services: NAME, VIP (vip:port/proto), MODE, SCHEDULER, BACKENDS
 * (up/total). */
int ectl_fmt_services(FILE *out, const cJSON *services);

/* GET /v1/node: the state, its reasons, then VIP, ANNOUNCED, SERVICES,
 * HEALTHY, REASONS, and BIRD's standing. 0, or -EPROTO for another shape. */
int ectl_fmt_node(FILE *out, const cJSON *node);

/* GET /v1/services/NAME/backends joined with that service's entry of
 * GET /v1/stats (NULL: no counters): BACKEND, WEIGHT, STATE, PACKETS,
 * ACTIVE FLOWS. */
int ectl_fmt_backends(FILE *out, const cJSON *backends, const cJSON *stats,
		      const char *service);

/* GET /v1/stats: state, ports, the main counters and the non-zero drop
 * reasons; all: every counter and every reason. */
int ectl_fmt_stats(FILE *out, const cJSON *stats, bool all);

/* GET /v1/flows: one row per flow. */
int ectl_fmt_flows(FILE *out, const cJSON *flows);

/*
 * An error answer: "edgectl: MESSAGE (code N)" and one "  KEY: VALUE" line
 * per details member; a body that is not the error shape gives
 * "edgectl: the API answered HTTP STATUS". Returns the API code, or the
 * HTTP status when there is none.
 */
long ectl_fmt_error(FILE *out, long status, const char *body, size_t len);

/* A hint for an API error code, in the context of a command; NULL: none. */
const char *ectl_error_hint(long code, bool config_apply);

/* v with an SI suffix for a column: "0", "7.5", "950", "12.3k", "4.0M";
 * "-" when v is negative or not a number. */
void ectl_fmt_si(double v, char *out, size_t size);

/* ---- rates ------------------------------------------------------------ */

#define ECTL_RATE_NAME_LEN 64u

/* One row of `top`. A rate is negative when it cannot be computed: the
 * row is new, or its counter went back (a fast path restart). */
struct ectl_rate {
	char name[ECTL_RATE_NAME_LEN]; /* service name or backend id */
	bool backend; /* a backend of the service row above it */
	double pkts_per_s, bytes_per_s, new_flows_per_s, drops_per_s;
	double active_flows; /* backends; -1 for services */
};

struct ectl_rates {
	double interval_s;
	double rx_pkts_per_s, tx_pkts_per_s, rx_bytes_per_s, tx_bytes_per_s;
	double drops_per_s;
	struct ectl_rate *rows; /* services, each followed by its backends */
	size_t n_rows;
};

/*
 * Rates between two GET /v1/stats answers taken interval_s apart. Rows
 * follow `cur` (services and backends as now configured), matched to
 * `prev` by service name and backend id. Returns 0, -EINVAL (interval not
 * positive), -EPROTO (no services array) or -ENOMEM; free with
 * ectl_rates_free().
 */
int ectl_rates_compute(const cJSON *prev, const cJSON *cur, double interval_s,
		       struct ectl_rates *r);

void ectl_rates_free(struct ectl_rates *r);

/* One block of `top`: a title line (title, then the totals) and a table. */
void ectl_fmt_top(FILE *out, const struct ectl_rates *r, const char *title);

#endif /* EP_EDGECTL_FMT_H */
