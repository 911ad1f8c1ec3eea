/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Slow-path metrics (see metrics.h): sums over the fast path's per-lcore
 * counters, the names that label them, the API's request accounting and
 * the Prometheus text format 0.0.4 they are exposed in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flat_check.h"
#include "ipfmt.h"
#include "metrics.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Text: the JSON writer's buffer (jw.h), with printf and escaping      */

static void text_printf(struct jw_buf *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void text_printf(struct jw_buf *t, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		jw_buf_add(t, line,
			   (size_t)n < sizeof(line) ? (size_t)n
						    : sizeof(line) - 1);
}

/* HELP text escapes \ and newline; label values also escape ". */
static void text_escaped(struct jw_buf *t, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			jw_buf_puts(t, "\\\\");
		else if (*s == '\n')
			jw_buf_puts(t, "\\n");
		else if (*s == '"' && quote)
			jw_buf_puts(t, "\\\"");
		else
			jw_buf_add(t, s, 1);
	}
}

void metrics_family(struct jw_buf *t, const char *name, const char *type,
		    const char *help)
{
	text_printf(t, "# HELP %s ", name);
	text_escaped(t, help, false);
	text_printf(t, "\n# TYPE %s %s\n", name, type);
}

static void sample_head(struct jw_buf *t, const char *name,
			const struct metrics_label *labels, size_t n)
{
	size_t i;

	jw_buf_puts(t, name);
	for (i = 0; i < n; i++) {
		jw_buf_add(t, i ? "," : "{", 1);
		jw_buf_puts(t, labels[i].name);
		jw_buf_add(t, "=\"", 2);
		text_escaped(t, labels[i].value, true);
		jw_buf_add(t, "\"", 1);
	}
	jw_buf_add(t, n ? "} " : " ", n ? 2 : 1);
}

void metrics_u64(struct jw_buf *t, const char *name,
		 const struct metrics_label *labels, size_t n, uint64_t v)
{
	sample_head(t, name, labels, n);
	jw_buf_u64(t, v);
	jw_buf_add(t, "\n", 1);
}

void metrics_i64(struct jw_buf *t, const char *name,
		 const struct metrics_label *labels, size_t n, int64_t v)
{
	sample_head(t, name, labels, n);
	jw_buf_i64(t, v);
	jw_buf_add(t, "\n", 1);
}

void metrics_f64(struct jw_buf *t, const char *name,
		 const struct metrics_label *labels, size_t n, double v)
{
	sample_head(t, name, labels, n);
	text_printf(t, "%.17g\n", v);
}

/* ------------------------------------------------------------------ */
/* Names                                                                */

void metrics_backend_id(const struct ep_ip *ip, uint16_t port, char *out,
			size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ip->family == EP_AF_INET6) {
		inet_ntop(AF_INET6, ip->bytes, a, sizeof(a));
		snprintf(out, size, "[%s]:%u", a, port);
		return;
	}
	if (ip->family == EP_AF_INET && size >= 22) {
		/* "a.b.c.d:port" fits 22 bytes: no printf for the common
		 * case (a change names every backend). */
		size_t n = ipfmt_ip4(ip->bytes, out);

		out[n++] = ':';
		out[n + ipfmt_u32(port, out + n)] = '\0';
		return;
	}
	snprintf(out, size, "%s:%u", a, port);
}

static const void *flat_at(const void *flat, uint32_t off)
{
	return (const uint8_t *)flat + off;
}

int metrics_names_build(struct metrics_names *n, const void *flat, size_t len)
{
	const struct ep_cfg_hdr *h = flat;
	const struct ep_cfg_service *fs = flat_at(flat, h->off_services);
	const struct ep_cfg_backend *fb = flat_at(flat, h->off_backends);

	memset(n, 0, sizeof(*n));
	if (ep_flat_check(flat, len, NULL, 0) != 0)
		return -EINVAL;
	n->services = calloc(h->n_services + 1, sizeof(*n->services));
	n->backends = calloc(h->n_backends + 1, sizeof(*n->backends));
	if (n->services == NULL || n->backends == NULL) {
		metrics_names_free(n);
		return -ENOMEM;
	}
	n->n_services = h->n_services;
	n->n_backends = h->n_backends;
	for (uint32_t i = 0; i < h->n_services; i++) {
		memcpy(n->services[i].name, fs[i].name, EP_NAME_LEN);
		n->services[i].name[EP_NAME_LEN - 1] = 0;
		n->services[i].sid = fs[i].stats_id;
		n->services[i].first_backend = fs[i].first_backend;
		n->services[i].n_backends = fs[i].n_backends;
	}
	for (uint32_t i = 0; i < h->n_backends; i++) {
		metrics_backend_id(&fb[i].addr, fb[i].port, n->backends[i].id,
				   sizeof(n->backends[i].id));
		n->backends[i].sid = fb[i].stats_id;
	}
	return 0;
}

void metrics_names_free(struct metrics_names *n)
{
	free(n->services);
	free(n->backends);
	memset(n, 0, sizeof(*n));
}

const struct metrics_service_name *
metrics_names_service(const struct metrics_names *n, uint32_t sid)
{
	for (uint32_t i = 0; i < n->n_services; i++)
		if (n->services[i].sid == sid)
			return &n->services[i];
	return NULL;
}

const struct metrics_backend_name *
metrics_names_backend(const struct metrics_names *n, uint32_t sid)
{
	for (uint32_t i = 0; i < n->n_backends; i++)
		if (n->backends[i].sid == sid)
			return &n->backends[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* API requests                                                         */

/* Upper bounds of the latency buckets, in seconds, and as printed. */
static const double bucket_le[METRICS_N_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05,	0.1,   0.25,   0.5,   1.0,  2.5,
};
static const char *const bucket_text[METRICS_N_BUCKETS] = {
	"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
	"0.05",	  "0.1",   "0.25",   "0.5",   "1",    "2.5",
};

static void copy_label(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static struct metrics_series *series_get(struct metrics_api *m,
					 const char *route, const char *method,
					 int code)
{
	struct metrics_series *s;

	for (unsigned int i = 0; i < m->n_series; i++) {
		s = &m->series[i];
		if (s->code == code &&
		    strncmp(s->route, route, sizeof(s->route) - 1) == 0 &&
		    strncmp(s->method, method, sizeof(s->method) - 1) == 0)
			return s;
	}
	if (m->n_series == METRICS_MAX_SERIES)
		return NULL;
	s = &m->series[m->n_series++];
	copy_label(s->route, sizeof(s->route), route);
	copy_label(s->method, sizeof(s->method), method);
	s->code = code;
	return s;
}

static struct metrics_histogram *histogram_get(struct metrics_api *m,
					       const char *route)
{
	struct metrics_histogram *h;

	for (unsigned int i = 0; i < m->n_routes; i++) {
		h = &m->routes[i];
		if (strncmp(h->route, route, sizeof(h->route) - 1) == 0)
			return h;
	}
	if (m->n_routes == METRICS_MAX_ROUTES)
		return NULL;
	h = &m->routes[m->n_routes++];
	copy_label(h->route, sizeof(h->route), route);
	return h;
}

static void histogram_add(struct metrics_histogram *h, double seconds)
{
	unsigned int b;

	if (!(seconds >= 0)) /* also NaN */
		seconds = 0;
	for (b = 0; b < METRICS_N_BUCKETS && seconds > bucket_le[b]; b++)
		;
	if (b < METRICS_N_BUCKETS)
		h->buckets[b]++;
	h->count++;
	h->sum += seconds;
}

void metrics_api_observe(struct metrics_api *m, const char *route,
			 const char *method, int status, double seconds)
{
	struct metrics_series *s;
	struct metrics_histogram *h;

	route = route ? route : "";
	method = method ? method : "";
	s = series_get(m, route, method, status);
	h = histogram_get(m, route);
	if (s == NULL || h == NULL) {
		m->dropped++;
		return;
	}
	s->count++;
	histogram_add(h, seconds);
}

static const char *const apply_phase_names[METRICS_APPLY_N] = {
#define METRICS_APPLY_NAME(e, name) [METRICS_APPLY_##e] = name,
	METRICS_APPLY_PHASES(METRICS_APPLY_NAME)
#undef METRICS_APPLY_NAME
};

void metrics_apply_observe(struct metrics_api *m,
			   enum metrics_apply_phase phase, double seconds)
{
	if ((unsigned int)phase < METRICS_APPLY_N)
		histogram_add(&m->apply[phase], seconds);
}

/* ------------------------------------------------------------------ */
/* Exposition                                                           */

static void render_state(struct jw_buf *t, const struct ep_shared *sh,
			 const struct ep_stats *s)
{
	static const struct {
		const char *name, *help;
	} g[] = {
		{ "edgepath_fastpath_generation",
		  "Snapshot generation in force in the fast path." },
		{ "edgepath_fastpath_config_version",
		  "Configuration version in force in the fast path." },
		{ "edgepath_fastpath_workers", "Fast-path worker lcores." },
		{ "edgepath_fastpath_ports", "Fast-path DPDK ports." },
		{ "edgepath_punt_ring_depth",
		  "Packets waiting on the punt ring." },
		{ "edgepath_inject_ring_depth",
		  "Packets waiting on the inject ring." },
		{ "edgepath_maglev_pending",
		  "Full Maglev tables still to build after a configuration "
		  "change (their services forward on provisional tables)." },
	};
	uint64_t v[ARRAY_LEN(g)] = {
		__atomic_load_n(&sh->generation, __ATOMIC_ACQUIRE),
		__atomic_load_n(&sh->version, __ATOMIC_ACQUIRE),
		sh->n_workers,
		sh->n_ports,
		__atomic_load_n(&s->ring_depth_punt, __ATOMIC_RELAXED),
		__atomic_load_n(&s->ring_depth_inject, __ATOMIC_RELAXED),
		__atomic_load_n(&s->maglev_pending, __ATOMIC_RELAXED),
	};

	for (size_t i = 0; i < ARRAY_LEN(g); i++) {
		metrics_family(t, g[i].name, "gauge", g[i].help);
		metrics_u64(t, g[i].name, NULL, 0, v[i]);
	}
}

/* The exception path thread's counters (fastpath/exception.c). */
static void render_exception(struct jw_buf *t, const struct ep_stats *s)
{
	static const struct {
		const char *name, *help;
	} c[] = {
		{ "edgepath_exception_tap_tx_packets_total",
		  "Frames the exception path wrote to the kernel interface." },
		{ "edgepath_exception_tap_tx_drops_total",
		  "Frames the kernel interface refused." },
		{ "edgepath_exception_tap_rx_packets_total",
		  "Frames read from the kernel interface for the data port." },
		{ "edgepath_exception_tap_rx_drops_total",
		  "Frames from the kernel interface dropped: the ring to "
		  "worker 0 was full." },
	};
	uint64_t v[ARRAY_LEN(c)] = {
		__atomic_load_n(&s->exc_tap_tx, __ATOMIC_RELAXED),
		__atomic_load_n(&s->exc_tap_tx_drops, __ATOMIC_RELAXED),
		__atomic_load_n(&s->exc_tap_rx, __ATOMIC_RELAXED),
		__atomic_load_n(&s->exc_tap_rx_drops, __ATOMIC_RELAXED),
	};

	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		metrics_family(t, c[i].name, "counter", c[i].help);
		metrics_u64(t, c[i].name, NULL, 0, v[i]);
	}
}

static void render_counters(struct jw_buf *t, const struct ep_stats *s)
{
	char name[96];

	for (int c = 0; c < EP_CNT_MAX; c++) {
		snprintf(name, sizeof(name), "edgepath_%s_total",
			 stats_counter_names[c]);
		metrics_family(t, name, "counter",
			       "Fast-path worker counter, summed over "
			       "workers.");
		metrics_u64(t, name, NULL, 0, stats_sum_cnt(s, c));
	}
	metrics_family(t, "edgepath_drops_total", "counter",
		       "Packets the fast path dropped, by reason.");
	for (int r = 0; r < EP_DROP_MAX; r++) {
		struct metrics_label l = { "reason", stats_drop_names[r] };

		metrics_u64(t, "edgepath_drops_total", &l, 1,
			    stats_sum_drop(s, r));
	}
}

static void render_ports(struct jw_buf *t, const struct ep_stats *s,
			 uint32_t n_ports)
{
	static const char *const names[] = {
		"edgepath_port_rx_packets_total",
		"edgepath_port_rx_bytes_total",
		"edgepath_port_tx_packets_total",
		"edgepath_port_tx_bytes_total",
		"edgepath_port_tx_drops_total",
	};
	struct ep_port_counters pc;
	char port[12];

	n_ports = n_ports < EP_MAX_PORTS ? n_ports : EP_MAX_PORTS;
	for (size_t k = 0; k < ARRAY_LEN(names); k++) {
		metrics_family(t, names[k], "counter",
			       "Per DPDK port, summed over workers.");
		for (uint32_t p = 0; p < n_ports; p++) {
			struct metrics_label l = { "port", port };
			uint64_t v[ARRAY_LEN(names)];

			stats_sum_port(s, p, &pc);
			v[0] = pc.rx_pkts;
			v[1] = pc.rx_bytes;
			v[2] = pc.tx_pkts;
			v[3] = pc.tx_bytes;
			v[4] = pc.tx_drops;
			snprintf(port, sizeof(port), "%u", p);
			metrics_u64(t, names[k], &l, 1, v[k]);
		}
	}
}

static void render_services(struct jw_buf *t, const struct ep_stats *s,
			    const struct metrics_names *n)
{
	static const char *const names[] = {
		"edgepath_service_packets_total",
		"edgepath_service_bytes_total",
		"edgepath_service_new_flows_total",
		"edgepath_service_drops_total",
	};
	struct ep_svc_counters sc;

	for (size_t k = 0; k < ARRAY_LEN(names); k++) {
		metrics_family(t, names[k], "counter",
			       "Per service in the configuration in force.");
		for (uint32_t i = 0; i < n->n_services; i++) {
			struct metrics_label l = { "service",
						   n->services[i].name };
			uint64_t v[ARRAY_LEN(names)];

			stats_sum_svc(s, n->services[i].sid, &sc);
			v[0] = sc.pkts;
			v[1] = sc.bytes;
			v[2] = sc.new_flows;
			v[3] = sc.drops;
			metrics_u64(t, names[k], &l, 1, v[k]);
		}
	}
}

/* The rest of the per-service counters (ep_abi.h) after the four above,
 * one family each, as edgepath_service_<name>_total{service}: policing
 * drops by reason ("drops_<reason>"), the SYN proxy's counters. */
static void render_service_policed(struct jw_buf *t, const struct ep_stats *s,
				   const struct metrics_names *n)
{
	for (uint32_t k = EP_SVC_N_BASIC; k < EP_SVC_N; k++) {
		const struct ep_counter_desc *d = &ep_svc_counters[k];
		char name[96];

		snprintf(name, sizeof(name), "edgepath_service_%s_total",
			 d->name);
		metrics_family(t, name, "counter",
			       strncmp(d->name, "drops_", 6) == 0
				       ? "Packets of a service dropped by "
					 "policing, for one reason."
				       : "SYN-proxy events of a service "
					 "(docs/tuning.md).");
		for (uint32_t i = 0; i < n->n_services; i++) {
			struct ep_svc_counters sc;
			struct metrics_label l = { "service",
						   n->services[i].name };

			stats_sum_svc(s, n->services[i].sid, &sc);
			metrics_u64(t, name, &l, 1, ep_counter_u64(&sc, d));
		}
	}
}

static void render_backend_family(struct jw_buf *t, const struct ep_stats *s,
				  const struct metrics_names *n, size_t k,
				  const char *name)
{
	struct ep_be_counters bc;

	for (uint32_t i = 0; i < n->n_services; i++) {
		const struct metrics_service_name *sv = &n->services[i];

		for (uint32_t j = 0; j < sv->n_backends; j++) {
			const struct metrics_backend_name *b =
				&n->backends[sv->first_backend + j];
			struct metrics_label l[2] = { { "service", sv->name },
						      { "backend", b->id } };

			uint64_t v[3];

			stats_sum_be(s, b->sid, &bc);
			v[0] = bc.pkts;
			v[1] = bc.bytes;
			v[2] = bc.new_flows;
			if (k < 3)
				metrics_u64(t, name, l, 2, v[k]);
			else
				metrics_i64(t, name, l, 2, bc.active_flows);
		}
	}
}

static void render_backends(struct jw_buf *t, const struct ep_stats *s,
			    const struct metrics_names *n)
{
	static const struct {
		const char *name, *type;
	} f[] = {
		{ "edgepath_backend_packets_total", "counter" },
		{ "edgepath_backend_bytes_total", "counter" },
		{ "edgepath_backend_new_flows_total", "counter" },
		{ "edgepath_backend_active_flows", "gauge" },
	};

	for (size_t k = 0; k < ARRAY_LEN(f); k++) {
		metrics_family(t, f[k].name, f[k].type,
			       "Per backend (service, address:port) in the "
			       "configuration in force.");
		render_backend_family(t, s, n, k, f[k].name);
	}
}

void metrics_render_fastpath(struct jw_buf *t, const struct ep_stats *s,
			     const struct ep_shared *sh,
			     const struct metrics_names *names)
{
	render_state(t, sh, s);
	render_counters(t, s);
	render_exception(t, s);
	render_ports(t, s, sh->n_ports);
	render_services(t, s, names);
	render_service_policed(t, s, names);
	render_backends(t, s, names);
}

/* One histogram of family `name`, whose series label is `key`="h->route". */
static void render_histogram(struct jw_buf *t, const char *name,
			     const char *key, const struct metrics_histogram *h)
{
	struct metrics_label l[2] = { { key, h->route }, { "le", "" } };
	char series[96];
	uint64_t cum = 0;

	snprintf(series, sizeof(series), "%s_bucket", name);
	for (unsigned int b = 0; b < METRICS_N_BUCKETS; b++) {
		cum += h->buckets[b];
		l[1].value = bucket_text[b];
		metrics_u64(t, series, l, 2, cum);
	}
	l[1].value = "+Inf";
	metrics_u64(t, series, l, 2, h->count);
	snprintf(series, sizeof(series), "%s_sum", name);
	metrics_f64(t, series, l, 1, h->sum);
	snprintf(series, sizeof(series), "%s_count", name);
	metrics_u64(t, series, l, 1, h->count);
}

static void render_apply(struct jw_buf *t, const struct metrics_api *m)
{
	struct metrics_histogram h;

	metrics_family(t, "edgepath_api_config_apply_seconds", "histogram",
		       "Configuration changes by phase: build (parse to flat "
		       "form), persist_write, fastpath (until its answer), "
		       "persist_rename, and to_fastpath_ack (the request "
		       "received to the fast path's answer).");
	for (unsigned int i = 0; i < METRICS_APPLY_N; i++) {
		h = m->apply[i];
		copy_label(h.route, sizeof(h.route), apply_phase_names[i]);
		render_histogram(t, "edgepath_api_config_apply_seconds",
				 "phase", &h);
	}
}

void metrics_render_api(struct jw_buf *t, const struct metrics_api *m)
{
	char code[12];

	metrics_family(t, "edgepath_api_requests_total", "counter",
		       "Control API requests answered, by route, method and "
		       "status code.");
	for (unsigned int i = 0; i < m->n_series; i++) {
		const struct metrics_series *s = &m->series[i];
		struct metrics_label l[3] = { { "route", s->route },
					      { "method", s->method },
					      { "code", code } };

		snprintf(code, sizeof(code), "%d", s->code);
		metrics_u64(t, "edgepath_api_requests_total", l, 3, s->count);
	}
	metrics_family(t, "edgepath_api_request_duration_seconds", "histogram",
		       "Control API request latency from the first byte to "
		       "the answer, by route.");
	for (unsigned int i = 0; i < m->n_routes; i++)
		render_histogram(t, "edgepath_api_request_duration_seconds",
				 "route", &m->routes[i]);
	render_apply(t, m);
	metrics_family(t, "edgepath_api_requests_unrecorded_total", "counter",
		       "Requests not recorded because the series limit was "
		       "reached.");
	metrics_u64(t, "edgepath_api_requests_unrecorded_total", NULL, 0,
		    m->dropped);
}

void metrics_render_http(struct jw_buf *t, const struct http_stats *hs)
{
#define METRICS_HTTP_STAT(field)                                               \
	metrics_family(t, "edgepath_api_" #field "_total", "counter",          \
		       "Control API server counter.");                         \
	metrics_u64(t, "edgepath_api_" #field "_total", NULL, 0, hs->field);
	HTTP_STATS(METRICS_HTTP_STAT)
#undef METRICS_HTTP_STAT
	metrics_family(t, "edgepath_api_connections_open", "gauge",
		       "Control API connections open now.");
	metrics_u64(t, "edgepath_api_connections_open", NULL, 0,
		    hs->conns_open);
}

/* One family over every listener of srv; `field` picks the value. */
static void render_listener_family(struct jw_buf *t,
				   const struct http_server *srv,
				   const char *name, const char *type,
				   const char *help, size_t field,
				   const char *reason)
{
	struct http_listener_stats ls;
	struct metrics_label l[2] = { { "listener", NULL },
				      { "reason", reason } };

	if (help != NULL)
		metrics_family(t, name, type, help);
	for (int i = 0; http_server_listener_stats(srv, i, &ls) == 0; i++) {
		uint64_t v;

		memcpy(&v, (const char *)&ls + field, sizeof(v));
		l[0].value = ls.name;
		metrics_u64(t, name, l, reason ? 2 : 1, v);
	}
}

void metrics_render_listeners(struct jw_buf *t, const struct http_server *srv)
{
#define LS_FIELD(f) offsetof(struct http_listener_stats, f)
	render_listener_family(t, srv, "edgepath_api_listener_connections_open",
			       "gauge", "Connections open, by listener.",
			       LS_FIELD(open), NULL);
	render_listener_family(t, srv, "edgepath_api_listener_connections_max",
			       "gauge", "Connection budget, by listener.",
			       LS_FIELD(max), NULL);
	render_listener_family(
		t, srv, "edgepath_api_listener_connections_accepted_total",
		"counter", "Connections admitted, by listener.",
		LS_FIELD(accepted), NULL);
	render_listener_family(
		t, srv, "edgepath_api_listener_connections_refused_total",
		"counter",
		"Connections refused at accept, by listener and reason "
		"(budget: the listener is full of connections with a request; "
		"address: the client address's limit).",
		LS_FIELD(refused), "budget");
	render_listener_family(
		t, srv, "edgepath_api_listener_connections_refused_total",
		"counter", NULL, LS_FIELD(refused_addr), "address");
	render_listener_family(
		t, srv, "edgepath_api_listener_connections_evicted_total",
		"counter",
		"Embryonic connections (no complete request head yet) closed "
		"to admit a new one, by listener.",
		LS_FIELD(evicted), NULL);
#undef LS_FIELD
}
