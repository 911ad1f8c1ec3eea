/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API: life cycle and state, and the configuration in force
 * as JSON and as structs for the endpoints.
 */
#include "api_int.h"

/* ------------------------------------------------------------------ */
/* Life cycle and state                                                 */

/* The smallest document, "{}", flattened: in force before anything. */
static int api_init_empty(struct api *a)
{
	struct config_error ce = { { 0 } };
	size_t cap;

	if (config_parse("{}", 2, &a->cfg, &ce) != 0)
		return -ENOMEM;
	cap = config_flat_size(&a->cfg);
	a->flat = malloc(cap);
	if (a->flat == NULL || config_to_flat(&a->cfg, 0, a->ids, a->flat, cap,
					      &a->flat_len, &ce) != 0)
		return -ENOMEM;
	a->json = config_to_json(&a->cfg);
	if (a->json == NULL ||
	    metrics_names_build(&a->names, a->flat, a->flat_len) < 0)
		return -ENOMEM;
	api_doc_set_json(a);
	return a->doc != NULL ? 0 : -ENOMEM;
}

struct api *api_create(const struct api_fastpath *fp, const char *config_path)
{
	struct api *a;

	if (!fp->apply_send || !fp->apply_wait || !fp->sample_flows ||
	    !fp->alive || !fp->shared || !fp->stats || !fp->flows) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->fp = *fp;
	a->now_ms = health_now_ms;
	a->registry = registry_create();
	a->ids = config_ids_create();
	a->config_path = config_path ? strdup(config_path) : NULL;
	if (a->ids == NULL || a->registry == NULL ||
	    (config_path && a->config_path == NULL) || api_init_empty(a) < 0) {
		api_destroy(a);
		return NULL;
	}
	if (a->config_path != NULL) {
		api_persist_clean(a);
		a->version_floor = a->version_reserved =
			api_version_file_read(a);
	}
	return a;
}

void api_destroy(struct api *a)
{
	if (a == NULL)
		return;
	api_flush_log(a);
	jw_buf_free(&a->log_line);
	config_free(&a->cfg);
	config_ids_destroy(a->ids);
	registry_destroy(a->registry);
	metrics_names_free(&a->names);
	jw_buf_free(&a->stats_body.text);
	free(a->json);
	free(a->doc);
	free(a->flat);
	free(a->config_path);
	free(a);
}

const struct ep_config *api_config(const struct api *a)
{
	return &a->cfg;
}

uint64_t api_version(const struct api *a)
{
	return a->version;
}

bool api_fp_alive(const struct api *a)
{
	return a->fp.alive(a->fp.ctx);
}

bool api_ready(const struct api *a)
{
	return api_fp_alive(a) && a->version != 0 &&
	       __atomic_load_n(&a->fp.shared->version, __ATOMIC_ACQUIRE) ==
		       a->version;
}

void api_set_server(struct api *a, const struct http_server *srv)
{
	a->srv = srv;
}

void api_set_clock(struct api *a, uint64_t (*now_ms)(void))
{
	a->now_ms = now_ms != NULL ? now_ms : health_now_ms;
}

void api_set_access_log(struct api *a, FILE *f)
{
	a->access_log = f;
}

/* ------------------------------------------------------------------ */
/* The configuration in force, as JSON and as structs                    */

/* The canonical document in force, parsed (NULL: out of memory). */
cJSON *api_doc_parse(const struct api *a)
{
	return cJSON_Parse(a->json);
}

/* services[svc] (or its backends[be] when be >= 0) as in force, as
 * GET /v1/config shows it: rendered alone, not cut from the whole. */
cJSON *api_doc_item(const struct api *a, uint32_t svc, int64_t be)
{
	char *text = config_item_to_json(&a->cfg, svc, be);
	cJSON *item = text != NULL ? cJSON_Parse(text) : NULL;

	free(text);
	return item;
}

int api_find_service(const struct api *a, const char *name)
{
	for (uint32_t i = 0; i < a->cfg.n_services; i++)
		if (strcmp(a->cfg.services[i].name, name) == 0)
			return (int)i;
	return -1;
}

int api_service_of(const struct api_call *c, struct api_error *e)
{
	int s = api_find_service(c->a, c->name);

	if (s < 0)
		api_fail(e, 404, API_ERR_NOT_FOUND,
			 "no service named \"%.40s\"", c->name);
	return s;
}

bool api_ip_from_text(const char *s, uint8_t family, struct ep_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = family;
	return inet_pton(family == EP_AF_INET6 ? AF_INET6 : AF_INET, s,
			 ip->bytes) == 1;
}

/* A decimal 0..65535 without sign or spaces. */
static bool port_from_text(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
		return false;
	v = strtoul(s, NULL, 10);
	*port = (uint16_t)v;
	return v <= 65535;
}

/* Backend id "ADDR:PORT" or "[ADDR6]:PORT". */
static bool backend_id_parse(const char *id, struct ep_ip *ip, uint16_t *port)
{
	char addr[PATH_SEGMENT_MAX];
	const char *colon;
	uint8_t family = EP_AF_INET;

	if (id[0] == '[') {
		colon = strstr(id, "]:");
		if (colon == NULL)
			return false;
		snprintf(addr, sizeof(addr), "%.*s", (int)(colon - id - 1),
			 id + 1);
		colon++;
		family = EP_AF_INET6;
	} else {
		colon = strchr(id, ':');
		if (colon == NULL)
			return false;
		snprintf(addr, sizeof(addr), "%.*s", (int)(colon - id), id);
	}
	return api_ip_from_text(addr, family, ip) &&
	       port_from_text(colon + 1, port);
}

int api_find_backend(const struct config_service *s, const struct ep_ip *ip,
		     uint16_t port)
{
	for (uint32_t i = 0; i < s->n_backends; i++) {
		const struct config_backend *b = &s->backends[i];

		if (b->addr.family == ip->family && b->port == port &&
		    memcmp(b->addr.bytes, ip->bytes, sizeof(ip->bytes)) == 0)
			return (int)i;
	}
	return -1;
}

/* The {name} service and its {id} backend, or a 404. */
int api_backend_of(const struct api_call *c, int *svc, struct api_error *e)
{
	struct ep_ip ip;
	uint16_t port;
	int b;

	*svc = api_service_of(c, e);
	if (*svc < 0)
		return -1;
	b = backend_id_parse(c->id, &ip, &port)
		    ? api_find_backend(&c->a->cfg.services[*svc], &ip, port)
		    : -1;
	if (b < 0)
		api_fail(
			e, 404, API_ERR_NOT_FOUND,
			"service \"%s\" has no backend \"%.56s\" (ADDRESS:PORT "
			"or [IPV6]:PORT)",
			c->name, c->id);
	return b;
}

/* A copy of the configuration in force, for a change by code. */
int api_cfg_copy(const struct api *a, struct ep_config *out,
		 struct api_error *e)
{
	return config_copy(out, &a->cfg) == 0 ? 0 : api_fail_nomem(e);
}

/* The start of a PATCH: the body at `path` into *obj and a copy of the
 * configuration in force into *cfg, or -1 with nothing to free. */
int api_patch_begin(struct api_call *c, const char *path, cJSON **obj,
		    struct ep_config *cfg, struct api_error *e)
{
	*obj = NULL;
	if (api_body_parse(c->req, path, obj, e) < 0 ||
	    api_cfg_copy(c->a, cfg, e) < 0) {
		cJSON_Delete(*obj);
		*obj = NULL;
		return -1;
	}
	return 0;
}

/* The end of a PATCH whose edit of `cfg` returned `rc` (why in `ce`):
 * refused with it, or applied and persisted. `cfg` is consumed. */
int api_patch_apply(struct api *a, struct ep_config *cfg, int rc,
		    const struct config_error *ce, struct api_error *e)
{
	if (rc != 0) {
		config_free(cfg);
		return api_fail_config(e, rc, ce);
	}
	return api_apply_config(a, cfg, true, e);
}

/* The answer to a change: `item` (NULL: out of memory), new ETag. */
int api_reply_item(struct api_call *c, int status, cJSON *item,
		   struct api_error *e)
{
	api_set_etag(c->resp, c->a->version);
	return api_reply_json(c->resp, status, item, e);
}

/* The answer to a change with nothing to show: the new version. */
int api_reply_version(struct api_call *c, int status, struct api_error *e)
{
	cJSON *root = cJSON_CreateObject();

	api_ju64(root, "version", c->a->version);
	api_ju64(root, "generation", c->a->generation);
	return api_reply_item(c, status, root, e);
}
