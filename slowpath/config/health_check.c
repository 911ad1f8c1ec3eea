/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration module: a service's health_check (parse, validate,
 * compare).
 */
#include "config_int.h"

/* "200-399" or "200": a status range within 100..599. */
static int parse_expect_status(const cJSON *obj, const char *path,
			       struct health_params *h,
			       struct config_error *err)
{
	const char *s;
	unsigned int lo, hi;
	int n = 0, rc = cfg_get_str(obj, path, "expect_status", false, &s, err);

	if (rc != 0 || s == NULL)
		return rc;
	if (sscanf(s, "%3u-%3u%n", &lo, &hi, &n) == 2 && s[n] == '\0' &&
	    strlen(s) == 7)
		;
	else if (sscanf(s, "%3u%n", &lo, &n) == 1 && s[n] == '\0' &&
		 strlen(s) == 3)
		hi = lo;
	else
		return cfg_fail_at(
			err, path, "expect_status",
			"must be \"NNN\" or \"NNN-NNN\" (for example "
			"\"200-399\")");
	if (lo < 100 || hi > 599 || lo > hi)
		return cfg_fail_at(
			err, path, "expect_status",
			"must be a range within 100..599, low first");
	h->status_min = (uint16_t)lo;
	h->status_max = (uint16_t)hi;
	return 0;
}

/* path: an origin-form target, printable ASCII without spaces. */
static int parse_health_path(const cJSON *obj, const char *path,
			     struct health_params *h, struct config_error *err)
{
	char buf[HEALTH_PATH_LEN];
	int rc = cfg_get_text(obj, path, "path", false, buf, sizeof(buf), err);

	if (rc != 0 || buf[0] == '\0')
		return rc;
	if (buf[0] != '/')
		return cfg_fail_at(err, path, "path", "must start with '/'");
	for (const char *c = buf; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return cfg_fail_at(err, path, "path",
					   "must be printable ASCII without "
					   "spaces");
	memcpy(h->path, buf, sizeof(buf));
	return 0;
}

/* server_name: a DNS name (letters, digits, '-', '.'), 1..253. */
static int parse_server_name(const cJSON *obj, const char *path,
			     struct health_params *h, struct config_error *err)
{
	int rc = cfg_get_text(obj, path, "server_name", false, h->server_name,
			      sizeof(h->server_name), err);
	size_t n = strlen(h->server_name);

	if (rc != 0 || cfg_field(obj, "server_name") == NULL)
		return rc;
	if (n == 0 || n > 253)
		return cfg_fail_at(err, path, "server_name",
				   "must be a DNS name of 1..253 characters");
	for (size_t i = 0; i < n; i++) {
		char c = h->server_name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return cfg_fail_at(err, path, "server_name",
					   "must be a DNS name (letters, "
					   "digits, '-' and '.')");
	}
	return 0;
}

/* The fields only "https" checks have: server_name, verify, ca_file. */
static int parse_health_tls(const cJSON *obj, const char *path,
			    struct health_params *h, struct config_error *err)
{
	static const char *const tls_only[] = { "server_name", "verify",
						"ca_file" };
	const cJSON *v = cfg_field(obj, "verify");
	int rc;

	if (h->type != HEALTH_HTTPS) {
		for (size_t i = 0; i < ARRAY_LEN(tls_only); i++)
			if (cfg_field(obj, tls_only[i]) != NULL)
				return cfg_fail_at(err, path, tls_only[i],
						   "only valid with \"type\": "
						   "\"https\"");
		return 0;
	}
	rc = parse_server_name(obj, path, h, err);
	if (rc != 0)
		return rc;
	if (v != NULL && !cJSON_IsBool(v))
		return cfg_fail_at(err, path, "verify",
				   "must be true or false, not %s",
				   cfg_json_type(v));
	h->verify = v != NULL && cJSON_IsTrue(v);
	rc = cfg_get_text(obj, path, "ca_file", false, h->ca_file,
			  sizeof(h->ca_file), err);
	if (rc == 0 && h->verify && h->ca_file[0] == 0)
		rc = cfg_fail_at(err, path, "ca_file",
				 "required with \"verify\": true");
	if (rc == 0 && !h->verify && cfg_field(obj, "ca_file") != NULL)
		rc = cfg_fail_at(err, path, "ca_file",
				 "only valid with \"verify\": true");
	return rc;
}

/* The fields only "http" and "https" checks have. */
static int parse_health_http(const cJSON *obj, const char *path,
			     struct health_params *h, struct config_error *err)
{
	static const char *const http_only[] = { "path", "expect_status",
						 "body_contains" };
	int rc = parse_health_tls(obj, path, h, err);

	if (rc != 0)
		return rc;
	if (h->type != HEALTH_HTTP && h->type != HEALTH_HTTPS) {
		for (size_t i = 0; i < ARRAY_LEN(http_only); i++)
			if (cfg_field(obj, http_only[i]) != NULL)
				return cfg_fail_at(err, path, http_only[i],
						   "only valid with \"type\": "
						   "\"http\" or \"https\"");
		return 0;
	}
	rc = parse_health_path(obj, path, h, err);
	if (rc == 0)
		rc = parse_expect_status(obj, path, h, err);
	if (rc == 0)
		rc = cfg_get_text(obj, path, "body_contains", false,
				  h->body_contains, sizeof(h->body_contains),
				  err);
	return rc;
}

/* Interval, timeout, rise, fall, port and the panic threshold. */
static int parse_health_timing(const cJSON *obj, const char *path,
			       struct config_service *s,
			       struct config_error *err)
{
	struct health_params *h = &s->health;
	uint32_t rise = 0, fall = 0, port = 0;
	int rc;

	rc = cfg_get_uint(obj, path, "interval_ms", HEALTH_INTERVAL_MS_MIN,
			  HEALTH_INTERVAL_MS_MAX, HEALTH_INTERVAL_MS_DEFAULT,
			  &h->interval_ms, err);
	if (rc == 0)
		rc = cfg_get_uint(obj, path, "timeout_ms",
				  HEALTH_TIMEOUT_MS_MIN, h->interval_ms,
				  h->interval_ms < HEALTH_TIMEOUT_MS_DEFAULT
					  ? h->interval_ms
					  : HEALTH_TIMEOUT_MS_DEFAULT,
				  &h->timeout_ms, err);
	if (rc == 0)
		rc = cfg_get_uint(obj, path, "rise", 1, HEALTH_RISE_FALL_MAX,
				  HEALTH_RISE_DEFAULT, &rise, err);
	if (rc == 0)
		rc = cfg_get_uint(obj, path, "fall", 1, HEALTH_RISE_FALL_MAX,
				  HEALTH_FALL_DEFAULT, &fall, err);
	if (rc == 0)
		rc = cfg_get_uint(obj, path, "port", 0, UINT16_MAX, 0, &port,
				  err);
	if (rc == 0)
		rc = cfg_get_uint(obj, path, "panic_threshold_percent", 0, 100,
				  HEALTH_PANIC_PERCENT_DEFAULT,
				  &s->panic_percent, err);
	h->rise = (uint8_t)rise;
	h->fall = (uint8_t)fall;
	h->port = (uint16_t)port;
	return rc;
}

/* services[i].health_check: absent is "type": "none". */
int cfg_parse_health_check(const cJSON *svc, const char *spath,
			   struct config_service *s, struct config_error *err)
{
	static const char *const keys[] = {
		"type",		 "interval_ms",
		"timeout_ms",	 "rise",
		"fall",		 "port",
		"path",		 "expect_status",
		"body_contains", "panic_threshold_percent",
		"server_name",	 "verify",
		"ca_file",	 NULL
	};
	const cJSON *obj = cfg_field(svc, "health_check");
	char path[SVC_PATH + 16];
	int type = HEALTH_NONE, rc;

	health_params_default(&s->health);
	s->panic_percent = HEALTH_PANIC_PERCENT_DEFAULT;
	if (obj == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s.health_check", spath);
	rc = cfg_check_object(obj, path, keys, err);
	if (rc == 0)
		rc = cfg_get_enum(obj, path, "type", NAMES(health_type_names),
				  REQUIRED, &type, err);
	if (rc != 0)
		return rc;
	s->health.type = (enum health_type)type;
	if (type == HEALTH_NONE && obj->child->next != NULL)
		return cfg_fail_at(err, path, NULL,
				   "\"type\": \"none\" takes no other field");
	rc = parse_health_timing(obj, path, s, err);
	return rc == 0 ? parse_health_http(obj, path, &s->health, err) : rc;
}

/* A probe needs a port: the check's, the backend's or the service's. */
int cfg_validate_health(const struct config_service *s, const char *path,
			struct config_error *err)
{
	const struct health_params *h = &s->health;
	char hpath[SVC_PATH + 16];

	if (h->type == HEALTH_NONE)
		return 0;
	snprintf(hpath, sizeof(hpath), "%s.health_check", path);
	if (cfg_name_of(NAMES(health_type_names), h->type) == NULL)
		return cfg_fail_at(err, hpath, "type",
				   "must be none, tcp, http or https");
	if (h->type == HEALTH_HTTPS && h->verify && h->ca_file[0] == 0)
		return cfg_fail_at(err, hpath, "ca_file",
				   "required with \"verify\": true");
	if (h->timeout_ms < HEALTH_TIMEOUT_MS_MIN ||
	    h->interval_ms < HEALTH_INTERVAL_MS_MIN ||
	    h->interval_ms > HEALTH_INTERVAL_MS_MAX ||
	    h->timeout_ms > h->interval_ms)
		return cfg_fail_at(err, hpath, "timeout_ms",
				   "must be %u..interval_ms",
				   HEALTH_TIMEOUT_MS_MIN);
	if (h->rise < 1 || h->rise > HEALTH_RISE_FALL_MAX || h->fall < 1 ||
	    h->fall > HEALTH_RISE_FALL_MAX)
		return cfg_fail_at(err, hpath, "rise",
				   "rise and fall must be 1..%u",
				   HEALTH_RISE_FALL_MAX);
	if (s->panic_percent > 100)
		return cfg_fail_at(err, hpath, "panic_threshold_percent",
				   "must be 0..100");
	if (h->port != 0 || s->port != 0)
		return 0;
	for (uint32_t j = 0; j < s->n_backends; j++)
		if (s->backends[j].port == 0)
			return cfg_fail_at(err, hpath, "port",
					   "required: the service and "
					   "backends[%u] have port 0",
					   j);
	return 0;
}

bool cfg_health_equal(const struct config_service *a,
		      const struct config_service *b)
{
	const struct health_params *x = &a->health, *y = &b->health;

	if (x->type != y->type)
		return false;
	if (x->type == HEALTH_NONE)
		return true;
	return a->panic_percent == b->panic_percent &&
	       x->interval_ms == y->interval_ms &&
	       x->timeout_ms == y->timeout_ms && x->rise == y->rise &&
	       x->fall == y->fall && x->port == y->port &&
	       strcmp(x->server_name, y->server_name) == 0 &&
	       x->verify == y->verify && strcmp(x->ca_file, y->ca_file) == 0 &&
	       (x->type == HEALTH_TCP ||
		(x->status_min == y->status_min &&
		 x->status_max == y->status_max &&
		 strcmp(x->path, y->path) == 0 &&
		 strcmp(x->body_contains, y->body_contains) == 0));
}
