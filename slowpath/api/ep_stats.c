/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API's endpoints: /v1/stats, /v1/flows and /metrics.
 */
#include <string.h>

#include "api_int.h"
#include "breaker_engine.h"
#include "maglev_digest.h"

/* The exception path thread's counters (0 when there is no tap). */
static void stats_exception(struct jw *w, const struct ep_stats *s)
{
	jw_u64(w, "exception_tap_tx_packets",
	       __atomic_load_n(&s->exc_tap_tx, __ATOMIC_RELAXED));
	jw_u64(w, "exception_tap_tx_drops",
	       __atomic_load_n(&s->exc_tap_tx_drops, __ATOMIC_RELAXED));
	jw_u64(w, "exception_tap_rx_packets",
	       __atomic_load_n(&s->exc_tap_rx, __ATOMIC_RELAXED));
	jw_u64(w, "exception_tap_rx_drops",
	       __atomic_load_n(&s->exc_tap_rx_drops, __ATOMIC_RELAXED));
}

static void stats_lcores(struct jw *w, const struct ep_stats *s)
{
	uint64_t total = 0, v;

	jw_open(w, "counters", '{');
	for (int i = 0; i < EP_CNT_MAX; i++)
		jw_u64(w, stats_counter_names[i], stats_sum_cnt(s, i));
	jw_close(w, '}');
	jw_open(w, "drops", '{');
	for (int r = 0; r < EP_DROP_MAX; r++) {
		v = stats_sum_drop(s, r);
		total += v;
		jw_u64(w, stats_drop_names[r], v);
	}
	jw_close(w, '}');
	jw_u64(w, "drops_total", total);
}

static void stats_ports(struct jw *w, const struct ep_stats *s, uint32_t n)
{
	struct ep_port_counters pc;

	jw_open(w, "ports", '[');
	for (uint32_t p = 0; p < n && p < EP_MAX_PORTS; p++) {
		stats_sum_port(s, p, &pc);
		jw_open(w, NULL, '{');
		jw_u64(w, "port", p);
		jw_u64(w, "rx_packets", pc.rx_pkts);
		jw_u64(w, "rx_bytes", pc.rx_bytes);
		jw_u64(w, "tx_packets", pc.tx_pkts);
		jw_u64(w, "tx_bytes", pc.tx_bytes);
		jw_u64(w, "tx_drops", pc.tx_drops);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* The service of the configuration in force named like flat service i
 * (the same index when they agree, as they do after every change). */
static const struct config_service *
cfg_service_named(const struct ep_config *cfg, uint32_t i, const char *name)
{
	if (i < cfg->n_services && strcmp(cfg->services[i].name, name) == 0)
		return &cfg->services[i];
	for (uint32_t k = 0; k < cfg->n_services; k++)
		if (strcmp(cfg->services[k].name, name) == 0)
			return &cfg->services[k];
	return NULL;
}

/* The backend's breaker (outlier_detection), beside its counters. */
static void stats_breaker(struct jw *w, const struct breaker_engine *e,
			  const struct config_service *cs, uint32_t j)
{
	const struct breaker *br;

	if (e == NULL || cs == NULL || !cs->outlier.enabled ||
	    j >= cs->n_backends)
		return;
	br = breaker_engine_find(e, cs, j);
	if (br == NULL)
		return;
	jw_str(w, "breaker_state", breaker_state_name(br->state));
	jw_u64(w, "ejections", br->n_ejections);
}

static void stats_backends(struct jw *w, const struct ep_stats *s,
			   const struct metrics_names *n,
			   const struct metrics_service_name *sn,
			   const struct breaker_engine *be,
			   const struct config_service *cs)
{
	struct ep_be_counters bc;

	jw_open(w, "backends", '[');
	for (uint32_t j = 0; j < sn->n_backends; j++) {
		const struct metrics_backend_name *b =
			&n->backends[sn->first_backend + j];

		stats_sum_be(s, b->sid, &bc);
		jw_open(w, NULL, '{');
		jw_str(w, "id", b->id);
		jw_u64(w, "packets", bc.pkts);
		jw_u64(w, "bytes", bc.bytes);
		jw_u64(w, "new_flows", bc.new_flows);
		jw_i64(w, "active_flows", bc.active_flows);
		jw_u64(w, "outlier_successes", bc.out_success);
		jw_u64(w, "outlier_resets", bc.out_reset);
		jw_u64(w, "outlier_syn_retransmits", bc.out_retrans);
		jw_u64(w, "outlier_timeouts", bc.out_timeout);
		stats_breaker(w, be, cs, j);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/*
 * The service's Maglev table digest (ep_abi.h): shown once the fast path
 * wrote it for the configuration version in force there; "pending" until.
 */
static void stats_maglev(struct jw *w, const struct ep_stats *s,
			 uint64_t fp_version, uint32_t sid)
{
	struct ep_maglev_digest d;
	char hex[19];

	if (ep_digest_load(s, sid, &d) < 0 || d.version != fp_version)
		d.state = EP_MAGLEV_DIGEST_PENDING;
	if (d.state == EP_MAGLEV_DIGEST_NONE)
		return;
	jw_open(w, "maglev", '{');
	jw_str(w, "state", ep_digest_state_name(d.state));
	jw_u64(w, "slots", d.slots);
	if (d.state == EP_MAGLEV_DIGEST_FRESH ||
	    d.state == EP_MAGLEV_DIGEST_REBUILT) {
		snprintf(hex, sizeof(hex), "%016" PRIx64, d.digest);
		jw_str(w, "digest", hex);
	}
	jw_close(w, '}');
}

static void stats_services(struct jw *w, const struct api *a,
			   uint64_t fp_version)
{
	const struct ep_stats *s = a->fp.stats;
	const struct metrics_names *n = &a->names;
	struct ep_svc_counters sc;

	jw_open(w, "services", '[');
	for (uint32_t i = 0; i < n->n_services; i++) {
		stats_sum_svc(s, n->services[i].sid, &sc);
		jw_open(w, NULL, '{');
		jw_str(w, "name", n->services[i].name);
		jw_u64(w, "packets", sc.pkts);
		jw_u64(w, "bytes", sc.bytes);
		jw_u64(w, "new_flows", sc.new_flows);
		jw_u64(w, "drops", sc.drops);
		/* The rest of the list (ep_abi.h): policing drops by reason
		 * ("drops_acl", ...), the SYN proxy's counters. */
		for (uint32_t k = EP_SVC_N_BASIC; k < EP_SVC_N; k++)
			jw_u64(w, ep_svc_counters[k].name,
			       ep_counter_u64(&sc, &ep_svc_counters[k]));
		stats_maglev(w, s, fp_version, n->services[i].sid);
		stats_backends(
			w, s, n, &n->services[i], a->breaker,
			cfg_service_named(&a->cfg, i, n->services[i].name));
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* Render the whole /v1/stats body into w (counters read now). */
static void stats_render(const struct api *a, struct jw *w)
{
	const struct ep_shared *sh = a->fp.shared;

	jw_open(w, NULL, '{');
	jw_u64(w, "generation",
	       __atomic_load_n(&sh->generation, __ATOMIC_ACQUIRE));
	jw_u64(w, "version", __atomic_load_n(&sh->version, __ATOMIC_ACQUIRE));
	jw_u64(w, "config_version", a->version);
	jw_bool(w, "attached", true);
	jw_bool(w, "fastpath_alive", api_fp_alive(a));
	jw_u64(w, "workers", sh->n_workers);
	jw_u64(w, "punt_ring_depth", a->fp.stats->ring_depth_punt);
	jw_u64(w, "inject_ring_depth", a->fp.stats->ring_depth_inject);
	jw_u64(w, "maglev_pending",
	       __atomic_load_n(&a->fp.stats->maglev_pending, __ATOMIC_RELAXED));
	jw_u64(w, "maglev_deferred",
	       __atomic_load_n(&a->fp.stats->maglev_deferred,
			       __ATOMIC_RELAXED));
	jw_u64(w, "maglev_abandoned",
	       __atomic_load_n(&a->fp.stats->maglev_abandoned,
			       __ATOMIC_RELAXED));
	stats_exception(w, a->fp.stats);
	if (a->remote != NULL && a->remote->render != NULL)
		a->remote->render(a->remote->ctx, w);
	stats_lcores(w, a->fp.stats);
	stats_ports(w, a->fp.stats, sh->n_ports);
	stats_services(w, a, __atomic_load_n(&sh->version, __ATOMIC_ACQUIRE));
	jw_close(w, '}');
}

/*
 * The body for a request of this pass: rendered by the pass's first
 * request into the kept buffer (its memory reused), copied for the others.
 */
int h_stats(struct api_call *c, struct api_error *e)
{
	struct api *a = c->a;
	struct jw w = { .first = true };
	char *copy;

	if (c->req->pass == 0 || a->stats_body.pass != c->req->pass ||
	    a->stats_body.version != a->version) {
		w.b = a->stats_body.text;
		w.b.len = 0;
		w.b.failed = 0;
		stats_render(a, &w);
		a->stats_body.text = w.b;
		a->stats_body.pass = w.b.failed ? 0 : c->req->pass;
		a->stats_body.version = a->version;
		if (w.b.failed || w.b.buf == NULL)
			return api_fail_nomem(e);
	}
	copy = malloc(a->stats_body.text.len + 1);
	if (copy == NULL)
		return api_fail_nomem(e);
	memcpy(copy, a->stats_body.text.buf, a->stats_body.text.len + 1);
	return api_reply_text(c->resp, 200, copy, "application/json", e);
}

struct flows_query {
	char service[PATH_SEGMENT_MAX]; /* "" = every service */
	uint32_t limit;
};

static int query_param(const char *key, const char *val, struct flows_query *q,
		       unsigned int *seen, struct api_error *e)
{
	char field[QUERY_KEY_SHOWN + 8];
	unsigned long v;
	char *end;
	unsigned int bit = strcmp(key, "service") == 0 ? 1
			   : strcmp(key, "limit") == 0 ? 2
						       : 0;

	snprintf(field, sizeof(field), "query.%.*s", QUERY_KEY_SHOWN, key);
	if (bit == 0)
		return api_fail_field(e, field,
				      "unknown parameter (service, limit)");
	if (*seen & bit)
		return api_fail_field(e, field, "given twice");
	*seen |= bit;
	if (bit == 1) {
		snprintf(q->service, sizeof(q->service), "%s", val);
		return 0;
	}
	errno = 0;
	v = strtoul(val, &end, 10);
	if (errno || *end || end == val || val[0] == '-' || val[0] == '+' ||
	    v < 1 || v > EP_FLOW_SAMPLE_MAX)
		return api_fail_field(e, field, "must be an integer 1..1024");
	q->limit = (uint32_t)v;
	return 0;
}

/* ?service=NAME&limit=N, percent-decoded; anything else is a 400. */
static int flows_query_parse(const char *query, struct flows_query *q,
			     struct api_error *e)
{
	char key[PATH_SEGMENT_MAX], val[PATH_SEGMENT_MAX];
	unsigned int seen = 0;
	const char *p = query ? query : "", *amp, *eq;

	q->service[0] = 0;
	q->limit = API_FLOWS_LIMIT_DEFAULT;
	for (; *p; p = *amp ? amp + 1 : amp) {
		amp = strchr(p, '&');
		amp = amp ? amp : p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		if (amp == p)
			continue;
		if (eq == NULL ||
		    api_pct_decode(p, (size_t)(eq - p), key, sizeof(key)) < 0 ||
		    api_pct_decode(eq + 1, (size_t)(amp - eq - 1), val,
				   sizeof(val)) < 0)
			return api_fail_field(e, "query",
					      "must be key=value pairs, "
					      "percent-encoded");
		if (query_param(key, val, q, &seen, e) < 0)
			return -1;
	}
	return 0;
}

static const char *proto_name(uint8_t p)
{
	return p == 6	 ? "tcp"
	       : p == 17 ? "udp"
	       : p == 1	 ? "icmp"
	       : p == 58 ? "icmpv6"
			 : "other";
}

/* Values of ct_state (fastpath/conntrack.h), as the ABI carries them. */
static const char *flow_state_name(uint8_t s)
{
	static const char *const names[] = { "free", "syn", "established",
					     "fin", "udp" };

	return s < ARRAY_LEN(names) ? names[s] : "unknown";
}

static void flow_json(cJSON *arr, const struct api *a,
		      const struct ep_flow_entry *f)
{
	const struct metrics_service_name *sn =
		metrics_names_service(&a->names, f->service_stats_id);
	const struct metrics_backend_name *bn =
		metrics_names_backend(&a->names, f->backend_stats_id);
	cJSON *o = api_jadd(arr, NULL, cJSON_CreateObject());
	char b[METRICS_BACKEND_ID_LEN];

	api_jstr(o, "service", sn ? sn->name : NULL);
	api_jstr(o, "backend", bn ? bn->id : NULL);
	metrics_backend_id(&f->client, f->client_port, b, sizeof(b));
	api_jstr(o, "client", b);
	metrics_backend_id(&f->vip, f->vip_port, b, sizeof(b));
	api_jstr(o, "vip", b);
	metrics_backend_id(&f->backend, f->backend_port, b, sizeof(b));
	api_jstr(o, "backend_address", b);
	api_jstr(o, "protocol", proto_name(f->proto));
	api_jstr(o, "state", flow_state_name(f->state));
	api_ju64(o, "age_ms", f->age_ms);
	api_ju64(o, "worker", f->worker);
}

int h_flows(struct api_call *c, struct api_error *e)
{
	const struct api *a = c->a;
	struct flows_query q;
	struct ep_event_msg ev;
	uint32_t sid = UINT32_MAX, n;
	cJSON *root, *arr;
	int s;

	if (flows_query_parse(c->req->query, &q, e) < 0)
		return -1;
	if (q.service[0]) {
		s = api_find_service(a, q.service);
		if (s < 0)
			return api_fail(e, 404, API_ERR_NOT_FOUND,
					"no service named \"%.40s\"",
					q.service);
		sid = a->names.services[s].sid;
	}
	if (a->fp.sample_flows(a->fp.ctx, sid, q.limit, &ev) != 0) {
		ev.error[sizeof(ev.error) - 1] = 0;
		return api_fail(e, 503, API_ERR_FASTPATH,
				"the fast path did not sample its flows: %s",
				ev.error);
	}
	n = ev.count < a->fp.flows->count ? ev.count : a->fp.flows->count;
	n = n < q.limit ? n : q.limit;
	root = cJSON_CreateObject();
	api_ju64(root, "count", n);
	arr = api_jarr(root, "flows");
	for (uint32_t i = 0; i < n; i++)
		flow_json(arr, a, &a->fp.flows->flows[i]);
	return api_reply_json(c->resp, 200, root, e);
}

static void metrics_api_state(struct jw_buf *t, const struct api *a)
{
	metrics_family(t, "edgepath_api_config_version", "gauge",
		       "Configuration version in force in the slow path.");
	metrics_u64(t, "edgepath_api_config_version", NULL, 0, a->version);
	metrics_family(t, "edgepath_api_ready", "gauge",
		       "1 when the fast path runs the slow path's version.");
	metrics_u64(t, "edgepath_api_ready", NULL, 0, api_ready(a));
}

int h_metrics(struct api_call *c, struct api_error *e)
{
	const struct api *a = c->a;
	struct jw_buf t = { 0 };
	struct http_stats hs;
	struct health_inputs hi;

	metrics_render_fastpath(&t, a->fp.stats, a->fp.shared, &a->names);
	metrics_api_state(&t, a);
	if (a->srv != NULL) {
		http_server_stats(a->srv, &hs);
		metrics_render_http(&t, &hs);
		metrics_render_listeners(&t, a->srv);
	}
	metrics_render_api(&t, &a->metrics);
	api_health_inputs(a, &hi);
	health_view_metrics(&t, &hi, &a->cfg);
	api_node_metrics(&t, a);
	breaker_view_metrics(&t, a->breaker, &a->cfg);
	if (t.failed) {
		jw_buf_free(&t);
		return api_fail_nomem(e);
	}
	return api_reply_text(c->resp, 200, t.buf,
			      "text/plain; version=0.0.4; charset=utf-8", e);
}
