/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health checks in the API's answers (health_view.h).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health_overlay.h"
#include "health_view.h"

static const char *type_name(enum health_type t)
{
	return t == HEALTH_TCP	   ? "tcp"
	       : t == HEALTH_HTTP  ? "http"
	       : t == HEALTH_HTTPS ? "https"
				   : "none";
}

/* parts per million as a percentage with two decimals */
static double ppm_percent(uint32_t ppm)
{
	return (double)((ppm + 50u) / 100u) / 100.0;
}

static cJSON *backend_json(const struct health_sm *sm, const char *id,
			   uint64_t now_ms, const struct tiers_in *in,
			   const struct tiers_out *tier)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddNumberToObject(o, "priority", in->priority);
	cJSON_AddNumberToObject(o, "share_percent",
				ppm_percent(tier->share_ppm));
	cJSON_AddNumberToObject(o, "effective_weight", tier->weight);
	/* ejected by its breaker or its registry TTL lapsed */
	cJSON_AddBoolToObject(o, "held_out", in->held_out);
	if (sm == NULL) {
		cJSON_AddStringToObject(o, "state", "unchecked");
		return o;
	}
	cJSON_AddStringToObject(o, "state", health_state_name(sm->state));
	cJSON_AddStringToObject(
		o, "reason",
		sm->state == HEALTH_DOWN ? health_result_name(sm->reason) : "");
	cJSON_AddStringToObject(o, "last_result", health_result_name(sm->last));
	/* the HTTP status, or the errno of a socket error */
	cJSON_AddNumberToObject(o, "last_detail", sm->last_detail);
	cJSON_AddNumberToObject(o, "last_latency_ms",
				(double)(sm->last_latency_us / 10) / 100.0);
	cJSON_AddNumberToObject(o, "seconds_in_state",
				(double)((now_ms - sm->since_ms) / 1000u));
	cJSON_AddNumberToObject(o, "transitions_down", (double)sm->n_down);
	cJSON_AddNumberToObject(o, "transitions_up", (double)sm->n_up);
	return o;
}

/* [{"priority", "eligible", "healthy", "health_percent", "load_percent",
 *   "panic"}] for the tiers that have backends. */
static void tiers_json(cJSON *o, const struct tiers_plan *p)
{
	cJSON *arr = cJSON_AddArrayToObject(o, "tiers");

	for (uint32_t k = 0; arr != NULL && k < p->n_tiers; k++) {
		const struct tiers_tier *t = &p->tier[k];
		cJSON *e;

		if (t->eligible == 0)
			continue;
		e = cJSON_CreateObject();
		if (e == NULL)
			return;
		cJSON_AddNumberToObject(e, "priority", k);
		cJSON_AddNumberToObject(e, "eligible", t->eligible);
		cJSON_AddNumberToObject(e, "healthy", t->healthy);
		cJSON_AddNumberToObject(e, "health_percent",
					ppm_percent(t->health_ppm));
		cJSON_AddNumberToObject(e, "load_percent",
					ppm_percent(t->load_ppm));
		cJSON_AddBoolToObject(e, "panic", t->panic);
		cJSON_AddItemToArray(arr, e);
	}
}

cJSON *health_view_service(const struct health_inputs *hi,
			   const struct config_service *s, uint64_t now_ms)
{
	struct health_service_status st;
	cJSON *o = cJSON_CreateObject(), *arr;
	char id[METRICS_BACKEND_ID_LEN];
	size_t n = s->n_backends ? s->n_backends : 1;
	struct tiers_out *tier = malloc(n * sizeof(*tier));
	struct tiers_in *in = malloc(n * sizeof(*in));
	struct tiers_plan plan;

	if (o == NULL || tier == NULL || in == NULL ||
	    health_service_plan(hi, s, tier, &plan) != 0) {
		free(tier);
		free(in);
		cJSON_Delete(o);
		return NULL;
	}
	/* the plan's inputs, for what each backend is */
	health_overlay_inputs(hi, s, in);
	health_service_eval(hi, s, &st);
	cJSON_AddStringToObject(o, "check", type_name(s->health.type));
	cJSON_AddStringToObject(o, "state",
				health_service_state_name(st.state));
	cJSON_AddNumberToObject(o, "healthy", st.healthy);
	cJSON_AddNumberToObject(o, "eligible", st.eligible);
	cJSON_AddNumberToObject(
		o, "panic_threshold_percent",
		s->health.type == HEALTH_NONE ? 0 : s->panic_percent);
	cJSON_AddBoolToObject(o, "panic", plan.panic);
	cJSON_AddNumberToObject(o, "total_health_percent",
				ppm_percent(plan.total_health_ppm));
	tiers_json(o, &plan);
	arr = cJSON_AddArrayToObject(o, "backends");
	for (uint32_t b = 0; arr != NULL && b < s->n_backends; b++) {
		metrics_backend_id(&s->backends[b].addr, s->backends[b].port,
				   id, sizeof(id));
		cJSON_AddItemToArray(
			arr, backend_json(health_backend_sm(hi->engine, s, b),
					  id, now_ms, &in[b], &tier[b]));
	}
	free(tier);
	free(in);
	return o;
}

static void metric_counter(struct jw_buf *t, const char *stat, uint64_t v)
{
	char name[96];

	snprintf(name, sizeof(name), "edgepath_health_%s_total", stat);
	metrics_family(t, name, "counter",
		       "Active health checks (docs/tuning.md).");
	metrics_u64(t, name, NULL, 0, v);
}

static void metrics_engine(struct jw_buf *t, const struct health_engine *h)
{
	struct health_stats st = { 0 };

	if (h != NULL)
		health_engine_stats(h, &st);
#define HEALTH_METRIC(name) metric_counter(t, #name, st.name);
	HEALTH_STATS(HEALTH_METRIC)
#undef HEALTH_METRIC
	metrics_family(t, "edgepath_health_targets", "gauge",
		       "Backends probed by active health checks.");
	metrics_u64(t, "edgepath_health_targets", NULL, 0, st.targets);
	metrics_family(t, "edgepath_health_in_flight", "gauge",
		       "Health probes in flight.");
	metrics_u64(t, "edgepath_health_in_flight", NULL, 0, st.in_flight);
}

void health_view_metrics(struct jw_buf *t, const struct health_inputs *hi,
			 const struct ep_config *cfg)
{
	char id[METRICS_BACKEND_ID_LEN];

	metrics_engine(t, hi->engine);
	metrics_family(t, "edgepath_service_health_panic", "gauge",
		       "1 while a checked service is in panic (too few "
		       "healthy backends: all not held out take new flows).");
	for (uint32_t i = 0; i < cfg->n_services; i++) {
		const struct config_service *s = &cfg->services[i];
		struct metrics_label l = { "service", s->name };
		struct health_service_status st;

		if (s->health.type == HEALTH_NONE)
			continue;
		health_service_eval(hi, s, &st);
		metrics_u64(t, "edgepath_service_health_panic", &l, 1,
			    st.state == HEALTH_SVC_PANIC);
	}
	metrics_family(t, "edgepath_backend_health_up", "gauge",
		       "1 when a checked backend passes its health checks.");
	for (uint32_t i = 0; i < cfg->n_services; i++) {
		const struct config_service *s = &cfg->services[i];

		for (uint32_t b = 0; b < s->n_backends; b++) {
			const struct health_sm *sm =
				health_backend_sm(hi->engine, s, b);
			struct metrics_label l[2] = { { "service", s->name },
						      { "backend", id } };

			if (sm == NULL)
				continue;
			metrics_backend_id(&s->backends[b].addr,
					   s->backends[b].port, id, sizeof(id));
			metrics_u64(t, "edgepath_backend_health_up", l, 2,
				    sm->state == HEALTH_UP);
		}
	}
}
