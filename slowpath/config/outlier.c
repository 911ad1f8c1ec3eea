/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration module: a service's outlier_detection (parse, validate,
 * compare), the parameters of its backends' breakers (breaker.h).
 */
#include "config_int.h"

struct outlier_field {
	const char *key;
	size_t off; /* in struct outlier_params */
	uint32_t min, max, dflt;
};

#define OF(k, lo, hi, d)                                                       \
	{                                                                      \
#k, offsetof(struct outlier_params, k), lo, hi, d              \
	}

static const struct outlier_field outlier_fields[] = {
	OF(consecutive_failures, 0, OUTLIER_COUNT_MAX,
	   OUTLIER_CONSECUTIVE_DEFAULT),
	OF(failure_rate_percent, 0, 100, OUTLIER_RATE_PERCENT_DEFAULT),
	OF(failure_rate_min_flows, 1, OUTLIER_COUNT_MAX,
	   OUTLIER_RATE_MIN_FLOWS_DEFAULT),
	OF(window_ms, OUTLIER_WINDOW_MS_MIN, OUTLIER_MS_MAX,
	   OUTLIER_WINDOW_MS_DEFAULT),
	OF(base_ejection_ms, OUTLIER_EJECTION_MS_MIN, OUTLIER_MS_MAX,
	   OUTLIER_BASE_EJECTION_MS_DEFAULT),
	OF(max_ejection_ms, OUTLIER_EJECTION_MS_MIN, OUTLIER_MS_MAX,
	   OUTLIER_MAX_EJECTION_MS_DEFAULT),
	OF(max_ejection_percent, 0, 100, OUTLIER_MAX_EJECTION_PERCENT_DEFAULT),
	OF(half_open_flows, 1, OUTLIER_HALF_OPEN_FLOWS_MAX,
	   OUTLIER_HALF_OPEN_FLOWS_DEFAULT),
	OF(half_open_timeout_ms, OUTLIER_EJECTION_MS_MIN, OUTLIER_MS_MAX,
	   OUTLIER_HALF_OPEN_TIMEOUT_MS_DEFAULT),
};

#define N_OUTLIER_FIELDS (sizeof(outlier_fields) / sizeof(outlier_fields[0]))

static uint32_t *field_at(struct outlier_params *p, size_t i)
{
	return (uint32_t *)((char *)p + outlier_fields[i].off);
}

static uint32_t field_of(const struct outlier_params *p, size_t i)
{
	return *(const uint32_t *)((const char *)p + outlier_fields[i].off);
}

/* services[i].outlier_detection: absent is off. */
int cfg_parse_outlier(const cJSON *svc, const char *spath,
		      struct config_service *s, struct config_error *err)
{
	static const char *const keys[] = {
		"consecutive_failures",	  "failure_rate_percent",
		"failure_rate_min_flows", "window_ms",
		"base_ejection_ms",	  "max_ejection_ms",
		"max_ejection_percent",	  "half_open_flows",
		"half_open_timeout_ms",	  NULL
	};
	const cJSON *obj = cfg_field(svc, "outlier_detection");
	char path[SVC_PATH + 24];
	int rc;

	outlier_params_default(&s->outlier);
	if (obj == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s.outlier_detection", spath);
	rc = cfg_check_object(obj, path, keys, err);
	for (size_t i = 0; rc == 0 && i < N_OUTLIER_FIELDS; i++) {
		const struct outlier_field *f = &outlier_fields[i];

		rc = cfg_get_uint(obj, path, f->key, f->min, f->max, f->dflt,
				  field_at(&s->outlier, i), err);
	}
	s->outlier.enabled = rc == 0;
	return rc;
}

int cfg_validate_outlier(const struct config_service *s, const char *path,
			 struct config_error *err)
{
	const struct outlier_params *p = &s->outlier;
	char opath[SVC_PATH + 24];

	if (!p->enabled)
		return 0;
	snprintf(opath, sizeof(opath), "%s.outlier_detection", path);
	for (size_t i = 0; i < N_OUTLIER_FIELDS; i++) {
		const struct outlier_field *f = &outlier_fields[i];
		uint32_t v = field_of(p, i);

		if (v < f->min || v > f->max)
			return cfg_fail_at(err, opath, f->key, "must be %u..%u",
					   f->min, f->max);
	}
	if (s->proto != IPPROTO_TCP)
		return cfg_fail_at(err, opath, NULL,
				   "only for tcp services (the signals are "
				   "TCP handshakes)");
	if (p->consecutive_failures == 0 && p->failure_rate_percent == 0)
		return cfg_fail_at(err, opath, "consecutive_failures",
				   "0 with failure_rate_percent 0: no rule "
				   "could ever eject");
	if (p->max_ejection_ms < p->base_ejection_ms)
		return cfg_fail_at(err, opath, "max_ejection_ms",
				   "must be at least base_ejection_ms (%u)",
				   p->base_ejection_ms);
	return 0;
}

bool cfg_outlier_equal(const struct config_service *a,
		       const struct config_service *b)
{
	if (a->outlier.enabled != b->outlier.enabled)
		return false;
	for (size_t i = 0; a->outlier.enabled && i < N_OUTLIER_FIELDS; i++)
		if (field_of(&a->outlier, i) != field_of(&b->outlier, i))
			return false;
	return true;
}

size_t cfg_outlier_n_fields(void)
{
	return N_OUTLIER_FIELDS;
}

const char *cfg_outlier_field(const struct outlier_params *p, size_t i,
			      uint32_t *v)
{
	*v = field_of(p, i);
	return outlier_fields[i].key;
}
