/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The breakers in the API's answers (breaker_view.h).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "breaker_view.h"

static cJSON *backend_json(const struct breaker *b, const char *id,
			   uint64_t now_ms)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "id", id);
	if (b == NULL) {
		cJSON_AddStringToObject(o, "state", "off");
		return o;
	}
	cJSON_AddStringToObject(o, "state", breaker_state_name(b->state));
	cJSON_AddBoolToObject(o, "admits", breaker_admits(b));
	cJSON_AddNumberToObject(o, "ejections", (double)b->n_ejections);
	cJSON_AddNumberToObject(o, "failures", (double)b->n_failures);
	cJSON_AddNumberToObject(o, "successes", (double)b->n_successes);
	cJSON_AddNumberToObject(o, "consecutive_failures", b->consecutive);
	cJSON_AddNumberToObject(o, "ejections_refused", (double)b->n_refused);
	cJSON_AddNumberToObject(o, "half_open_timeouts",
				(double)b->n_half_open_timeouts);
	cJSON_AddNumberToObject(o, "seconds_in_state",
				(double)((now_ms - b->since_ms) / 1000u));
	cJSON_AddNumberToObject(o, "ms_until_half_open",
				b->state == BREAKER_OPEN &&
						b->open_until_ms > now_ms
					? (double)(b->open_until_ms - now_ms)
					: 0);
	return o;
}

cJSON *breaker_view_service(const struct breaker_engine *e,
			    const struct config_service *s, uint64_t now_ms)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	char id[METRICS_BACKEND_ID_LEN];
	uint32_t ejected = 0;

	if (o == NULL)
		return NULL;
	cJSON_AddBoolToObject(o, "enabled", s->outlier.enabled);
	arr = cJSON_CreateArray();
	for (uint32_t j = 0; arr != NULL && j < s->n_backends; j++) {
		const struct breaker *b = breaker_engine_find(e, s, j);

		ejected += b != NULL && b->state != BREAKER_CLOSED;
		metrics_backend_id(&s->backends[j].addr, s->backends[j].port,
				   id, sizeof(id));
		cJSON_AddItemToArray(arr, backend_json(b, id, now_ms));
	}
	cJSON_AddNumberToObject(o, "ejected", ejected);
	cJSON_AddNumberToObject(
		o, "max_ejection_percent",
		s->outlier.enabled ? s->outlier.max_ejection_percent : 0);
	cJSON_AddItemToObject(o, "backends", arr);
	return o;
}

/* One family over every breaker: value(b). */
static void family(struct jw_buf *t, const struct breaker_engine *e,
		   const struct ep_config *cfg, const char *name,
		   const char *type, const char *help,
		   uint64_t (*value)(const struct breaker *b))
{
	char id[METRICS_BACKEND_ID_LEN];

	metrics_family(t, name, type, help);
	for (uint32_t i = 0; i < cfg->n_services; i++) {
		const struct config_service *s = &cfg->services[i];

		for (uint32_t j = 0; s->outlier.enabled && j < s->n_backends;
		     j++) {
			const struct breaker *b = breaker_engine_find(e, s, j);
			struct metrics_label l[2] = { { "service", s->name },
						      { "backend", id } };

			if (b == NULL)
				continue;
			metrics_backend_id(&s->backends[j].addr,
					   s->backends[j].port, id, sizeof(id));
			metrics_u64(t, name, l, 2, value(b));
		}
	}
}

static uint64_t v_state(const struct breaker *b)
{
	return (uint64_t)b->state;
}

static uint64_t v_ejections(const struct breaker *b)
{
	return b->n_ejections;
}

static uint64_t v_refused(const struct breaker *b)
{
	return b->n_refused;
}

static uint64_t v_ho_timeouts(const struct breaker *b)
{
	return b->n_half_open_timeouts;
}

void breaker_view_metrics(struct jw_buf *t, const struct breaker_engine *e,
			  const struct ep_config *cfg)
{
	family(t, e, cfg, "edgepath_backend_breaker_state", "gauge",
	       "Outlier breaker: 0 closed, 1 open (ejected), 2 half open.",
	       v_state);
	family(t, e, cfg, "edgepath_backend_breaker_ejections_total", "counter",
	       "Times the outlier breaker ejected the backend.", v_ejections);
	family(t, e, cfg, "edgepath_backend_breaker_ejections_refused_total",
	       "counter",
	       "Ejections max_ejection_percent refused for the backend.",
	       v_refused);
	family(t, e, cfg, "edgepath_backend_breaker_half_open_timeouts_total",
	       "counter",
	       "Half-open probes of the backend that got no verdict in time.",
	       v_ho_timeouts);
}
