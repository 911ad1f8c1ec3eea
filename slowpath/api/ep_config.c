/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API's endpoints: the probes (/healthz, /readyz) and the
 * whole configuration (GET and PUT /v1/config).
 */
#include "api_int.h"

/* ------------------------------------------------------------------ */
/* Endpoints: probes and the whole configuration                        */

int h_healthz(struct api_call *c, struct api_error *e)
{
	cJSON *root = cJSON_CreateObject();

	api_jstr(root, "status", "ok");
	return api_reply_json(c->resp, 200, root, e);
}

int h_readyz(struct api_call *c, struct api_error *e)
{
	const struct api *a = c->a;
	uint64_t fpv =
		__atomic_load_n(&a->fp.shared->version, __ATOMIC_ACQUIRE);
	cJSON *root;

	if (!api_fp_alive(a))
		return api_fail(
			e, 503, API_ERR_FASTPATH,
			"not ready: the fast path is not running, or its "
			"workers are stalled");
	if (a->version == 0 || fpv != a->version) {
		api_fail(e, 503, API_ERR_FASTPATH,
			 "not ready: the fast path runs version %" PRIu64
			 ", the slow path's is %" PRIu64,
			 fpv, a->version);
		e->detail_key = "fastpath_version";
		snprintf(e->detail, sizeof(e->detail), "%" PRIu64, fpv);
		return -1;
	}
	root = cJSON_CreateObject();
	api_jstr(root, "status", "ready");
	api_ju64(root, "version", a->version);
	api_ju64(root, "generation",
		 __atomic_load_n(&a->fp.shared->generation, __ATOMIC_ACQUIRE));
	return api_reply_json(c->resp, 200, root, e);
}

/* GET /v1/config's metadata: version in force, and who changed it. */
static int config_origin_headers(const struct api *a,
				 struct http_response *resp)
{
	char v[24];

	snprintf(v, sizeof(v), "%" PRIu64, a->version);
	if (http_response_add_header(resp, "x-edgepath-config-version", v))
		return -1;
	if (a->change.trace_id[0] &&
	    http_response_add_header(resp, "x-edgepath-config-trace-id",
				     a->change.trace_id))
		return -1;
	return 0;
}

/* The file's bytes as they are (as applied, or as an API write wrote
 * them), so GET /v1/config is byte-identical to the file. */
int h_config_get(struct api_call *c, struct api_error *e)
{
	char *text = c->a->doc ? malloc(c->a->doc_len + 1) : NULL;

	if (text != NULL)
		memcpy(text, c->a->doc, c->a->doc_len + 1);
	api_set_etag(c->resp, c->a->version);
	if (config_origin_headers(c->a, c->resp) != 0) {
		free(text);
		return api_fail_nomem(e);
	}
	return api_reply_text(c->resp, 200, text, "application/json", e);
}

int h_config_put(struct api_call *c, struct api_error *e)
{
	cJSON *body;
	int rc;

	if (api_body_parse(c->req, "", &body, e) < 0)
		return -1;
	/* Parsed once: config.c takes the tree (its own checks on the text
	 * still run), which saves a second parse of up to 1 MiB. */
	rc = api_apply_text(c->a, (const char *)c->req->body, c->req->body_len,
			    body, e);
	cJSON_Delete(body);
	if (rc != 0)
		return -1;
	return api_reply_version(c, 200, e);
}

/* GET /v1/policing: the document's "policing" object ({} when none). */
int h_policing_get(struct api_call *c, struct api_error *e)
{
	cJSON *doc = api_doc_parse(c->a), *pol;

	pol = cJSON_DetachItemFromObjectCaseSensitive(doc, "policing");
	cJSON_Delete(doc);
	api_set_etag(c->resp, c->a->version);
	return api_reply_json(c->resp, 200, pol ? pol : cJSON_CreateObject(),
			      e);
}

/* PATCH /v1/policing: {"acl": ..., "per_client": ..., "syn_flood": ...,
 * "syn_cookie": ...}, each part given replacing that part of the global
 * policing (null removes it); the rest of the document stays. */
int h_policing_patch(struct api_call *c, struct api_error *e)
{
	struct ep_config cfg = { 0 };
	struct config_error ce = { { 0 } };
	cJSON *obj = NULL;
	int rc;

	if (api_patch_begin(c, "policing", &obj, &cfg, e) < 0)
		return -1;
	rc = cpol_patch_global(obj, &cfg.pol, &ce);
	cJSON_Delete(obj);
	if (api_patch_apply(c->a, &cfg, rc, &ce, e) < 0)
		return -1;
	return h_policing_get(c, e);
}
