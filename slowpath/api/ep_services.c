/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API's endpoints: services and their backends.
 */
#include "api_int.h"

/* ------------------------------------------------------------------ */
/* Endpoints: services                                                  */

int h_services_get(struct api_call *c, struct api_error *e)
{
	cJSON *doc = api_doc_parse(c->a), *root = cJSON_CreateObject(), *arr;

	arr = cJSON_DetachItemFromObjectCaseSensitive(doc, "services");
	api_jadd(root, "services", arr ? arr : cJSON_CreateArray());
	cJSON_Delete(doc);
	api_set_etag(c->resp, c->a->version);
	return api_reply_json(c->resp, 200, root, e);
}

int h_service_get(struct api_call *c, struct api_error *e)
{
	int s = api_service_of(c, e);

	if (s < 0)
		return -1;
	api_set_etag(c->resp, c->a->version);
	return api_reply_json(c->resp, 200, api_doc_item(c->a, (uint32_t)s, -1),
			      e);
}

/* PATCH /v1/services/NAME: {"limits": ..., "acl": ..., "syn_proxy": ...},
 * each part given replacing that part of the service; the rest of the
 * document stays. */
int h_service_patch(struct api_call *c, struct api_error *e)
{
	struct ep_config cfg = { 0 };
	struct config_error ce = { { 0 } };
	char path[64];
	cJSON *obj = NULL;
	int rc, s = api_service_of(c, e);

	if (s < 0)
		return -1;
	snprintf(path, sizeof(path), "services[%d]", s);
	if (api_patch_begin(c, path, &obj, &cfg, e) < 0)
		return -1;
	rc = cpol_patch_service(obj, path, &cfg.services[s].pol, &ce);
	cJSON_Delete(obj);
	if (api_patch_apply(c->a, &cfg, rc, &ce, e) < 0)
		return -1;
	api_set_etag(c->resp, c->a->version);
	return api_reply_json(c->resp, 200, api_doc_item(c->a, (uint32_t)s, -1),
			      e);
}

/* Append `raw` (one JSON value) to the array at doc[key] (or at
 * services[svc][key]) and parse the whole new document. */
static int splice_apply(struct api *a, int svc, const char *key,
			const char *raw, struct api_error *e)
{
	cJSON *doc = api_doc_parse(a), *parent = doc, *arr;
	char *text = NULL;
	int rc = -1;

	if (svc >= 0)
		parent = cJSON_GetArrayItem(
			cJSON_GetObjectItemCaseSensitive(doc, "services"), svc);
	arr = cJSON_GetObjectItemCaseSensitive(parent, key);
	if (arr != NULL && cJSON_AddItemToArray(arr, cJSON_CreateRaw(raw)))
		text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (text == NULL)
		return api_fail_nomem(e);
	rc = api_apply_text(a, text, strlen(text), NULL, e);
	free(text);
	return rc;
}

/* The body of a POST: one JSON object, as NUL-terminated text. */
static int post_body(struct api_call *c, const char *path, cJSON **obj,
		     char **raw, struct api_error *e)
{
	*raw = NULL;
	if (api_body_parse(c->req, path, obj, e) < 0)
		return -1;
	if (!cJSON_IsObject(*obj)) {
		cJSON_Delete(*obj);
		return api_fail_field(e, path, "must be an object");
	}
	*raw = api_body_text(c->req);
	if (*raw == NULL) {
		cJSON_Delete(*obj);
		return api_fail_nomem(e);
	}
	return 0;
}

int h_services_post(struct api_call *c, struct api_error *e)
{
	struct api *a = c->a;
	char path[48], location[160], *raw;
	const char *name;
	cJSON *obj;
	int rc;

	snprintf(path, sizeof(path), "services[%u]", a->cfg.n_services);
	if (post_body(c, path, &obj, &raw, e) < 0)
		return -1;
	name = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(obj, "name"));
	if (name != NULL && api_find_service(a, name) >= 0) {
		rc = api_fail(e, 409, API_ERR_CONFLICT,
			      "a service named \"%.40s\" exists", name);
		snprintf(e->field, sizeof(e->field), "%s.name", path);
	} else
		rc = splice_apply(a, -1, "services", raw, e);
	cJSON_Delete(obj);
	free(raw);
	if (rc < 0)
		return -1;
	snprintf(location, sizeof(location), "/v1/services/%s",
		 a->cfg.services[a->cfg.n_services - 1].name);
	http_response_add_header(c->resp, "Location", location);
	return api_reply_item(c, 201,
			      api_doc_item(a, a->cfg.n_services - 1, -1), e);
}

static void service_remove(struct ep_config *cfg, uint32_t s)
{
	for (uint32_t b = 0; b < cfg->services[s].n_backends; b++)
		config_backend_release(&cfg->services[s].backends[b]);
	free(cfg->services[s].registry_clients);
	free(cfg->services[s].backends);
	memmove(&cfg->services[s], &cfg->services[s + 1],
		(cfg->n_services - s - 1) * sizeof(cfg->services[0]));
	cfg->n_services--;
}

int h_service_delete(struct api_call *c, struct api_error *e)
{
	struct ep_config cfg;
	int s = api_service_of(c, e);

	if (s < 0 || api_cfg_copy(c->a, &cfg, e) < 0)
		return -1;
	service_remove(&cfg, (uint32_t)s);
	if (api_apply_config(c->a, &cfg, true, e) < 0)
		return -1;
	return api_reply_version(c, 200, e);
}

/* ------------------------------------------------------------------ */
/* Endpoints: backends                                                  */

int h_backends_get(struct api_call *c, struct api_error *e)
{
	cJSON *svc, *root, *arr;
	struct health_inputs hi;
	int s = api_service_of(c, e);

	if (s < 0)
		return -1;
	api_health_inputs(c->a, &hi);
	svc = api_doc_item(c->a, (uint32_t)s, -1);
	arr = cJSON_DetachItemFromObjectCaseSensitive(svc, "backends");
	cJSON_Delete(svc);
	root = cJSON_CreateObject();
	api_jadd(root, "backends", arr ? arr : cJSON_CreateArray());
	api_jadd(root, "health",
		 health_view_service(&hi, &c->a->cfg.services[s],
				     health_now_ms()));
	api_jadd(root, "outlier",
		 breaker_view_service(c->a->breaker, &c->a->cfg.services[s],
				      health_now_ms()));
	api_set_etag(c->resp, c->a->version);
	return api_reply_json(c->resp, 200, root, e);
}

int h_backend_get(struct api_call *c, struct api_error *e)
{
	int s, b = api_backend_of(c, &s, e);

	if (b < 0)
		return -1;
	api_set_etag(c->resp, c->a->version);
	return api_reply_json(c->resp, 200, api_doc_item(c->a, (uint32_t)s, b),
			      e);
}

/* A backend with this body's address and port exists in service s. */
static bool backend_exists(const struct api *a, int s, const cJSON *obj)
{
	const struct config_service *svc = &a->cfg.services[s];
	const char *addr = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(obj, "address"));
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(obj, "port");
	struct ep_ip ip;
	double p = port ? cJSON_GetNumberValue(port) : 0;

	if (addr == NULL || (port && !cJSON_IsNumber(port)) || !(p >= 0) ||
	    p > 65535 || p != floor(p))
		return false;
	return (api_ip_from_text(addr, EP_AF_INET, &ip) ||
		api_ip_from_text(addr, EP_AF_INET6, &ip)) &&
	       api_find_backend(svc, &ip, (uint16_t)p) >= 0;
}

int h_backends_post(struct api_call *c, struct api_error *e)
{
	struct api *a = c->a;
	char path[64], *raw;
	cJSON *obj;
	int rc, s = api_service_of(c, e);
	uint32_t n;

	if (s < 0)
		return -1;
	n = a->cfg.services[s].n_backends;
	snprintf(path, sizeof(path), "services[%d].backends[%u]", s, n);
	if (post_body(c, path, &obj, &raw, e) < 0)
		return -1;
	if (backend_exists(a, s, obj)) {
		rc = api_fail(e, 409, API_ERR_CONFLICT,
			      "service \"%s\" has this backend already",
			      c->name);
		snprintf(e->field, sizeof(e->field), "%s", path);
	} else
		rc = splice_apply(a, s, "backends", raw, e);
	cJSON_Delete(obj);
	free(raw);
	if (rc < 0)
		return -1;
	s = api_find_service(a, c->name);
	n = a->cfg.services[s].n_backends - 1;
	return api_reply_item(c, 201, api_doc_item(a, (uint32_t)s, n), e);
}

/* {"weight": N, "state": "up|down|drain", "priority": P}: at least one,
 * nothing else. */
static int patch_field(const cJSON *v, const char *path,
		       struct config_backend *b, struct api_error *e)
{
	static const char *const states[] = { "up", "down", "drain" };
	static const enum ep_backend_state values[] = { EP_BE_UP, EP_BE_DOWN,
							EP_BE_DRAIN };
	char field[160];
	double d = cJSON_GetNumberValue(v);

	snprintf(field, sizeof(field), "%s.%s", path, v->string);
	if (strcmp(v->string, "weight") == 0) {
		if (!cJSON_IsNumber(v) || !(d >= 0) || d > 65535 ||
		    d != floor(d))
			return api_fail_field(e, field,
					      "must be an integer 0..65535");
		b->weight = (uint16_t)d;
		return 0;
	}
	if (strcmp(v->string, "priority") == 0) {
		if (!cJSON_IsNumber(v) || !(d >= 0) || d > EP_BE_PRIORITY_MAX ||
		    d != floor(d))
			return api_fail_field(e, field,
					      "must be an integer 0..15");
		b->priority = (uint8_t)d;
		return 0;
	}
	for (size_t i = 0; cJSON_IsString(v) && i < ARRAY_LEN(states); i++) {
		if (strcmp(v->valuestring, states[i]) == 0) {
			b->state = values[i];
			return 0;
		}
	}
	return api_fail_field(e, field,
			      "must be \"up\", \"down\" or \"drain\"");
}

/* Unknown fields are refused first, so the duplicate search is short. */
static int patch_parse(const cJSON *obj, const char *path,
		       struct config_backend *b, struct api_error *e)
{
	char msg[96];

	if (!cJSON_IsObject(obj))
		return api_fail_field(e, path, "must be an object");
	if (obj->child == NULL)
		return api_fail_field(e, path,
				      "needs \"weight\", \"state\" or "
				      "\"priority\"");
	for (const cJSON *v = obj->child; v != NULL; v = v->next) {
		if (strcmp(v->string, "weight") != 0 &&
		    strcmp(v->string, "state") != 0 &&
		    strcmp(v->string, "priority") != 0) {
			snprintf(msg, sizeof(msg), "unknown field \"%.40s\"",
				 v->string);
			return api_fail_field(e, path, msg);
		}
		for (const cJSON *p = obj->child; p != v; p = p->next)
			if (strcmp(p->string, v->string) == 0) {
				snprintf(msg, sizeof(msg),
					 "duplicate field \"%s\"", v->string);
				return api_fail_field(e, path, msg);
			}
		if (patch_field(v, path, b, e) < 0)
			return -1;
	}
	return 0;
}

int h_backend_patch(struct api_call *c, struct api_error *e)
{
	struct api_backend_edit ed;
	struct config_backend be;
	char path[64];
	cJSON *obj = NULL;
	int s, b = api_backend_of(c, &s, e), rc;

	if (b < 0)
		return -1;
	snprintf(path, sizeof(path), "services[%d].backends[%d]", s, b);
	if (api_body_parse(c->req, path, &obj, e) < 0)
		return -1;
	/* a copy to edit: patch_parse() sets only these scalar fields */
	be = c->a->cfg.services[s].backends[b];
	rc = patch_parse(obj, path, &be, e);
	cJSON_Delete(obj);
	if (rc < 0)
		return -1;
	ed = (struct api_backend_edit){ .svc = (uint32_t)s,
					.be = (uint32_t)b,
					.weight = be.weight,
					.state = be.state,
					.priority = be.priority };
	if (api_apply_backend_edit(c->a, &ed, e) < 0)
		return -1;
	return api_reply_item(c, 200, api_doc_item(c->a, (uint32_t)s, b), e);
}

int h_backend_delete(struct api_call *c, struct api_error *e)
{
	struct ep_config cfg;
	struct config_service *svc;
	int s, b = api_backend_of(c, &s, e);

	if (b < 0 || api_cfg_copy(c->a, &cfg, e) < 0)
		return -1;
	svc = &cfg.services[s];
	config_backend_release(&svc->backends[b]);
	memmove(&svc->backends[b], &svc->backends[b + 1],
		(svc->n_backends - (uint32_t)b - 1) * sizeof(svc->backends[0]));
	svc->n_backends--;
	if (api_apply_config(c->a, &cfg, true, e) < 0)
		return -1;
	return api_reply_version(c, 200, e);
}
