/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API's endpoints: the service registry (docs/api.md). An
 * instance registers into a configured service and becomes one of its
 * backends through the one change path (persisted); its heartbeats only
 * move its TTL deadline in memory (registry.h). The registry's verdicts
 * (lapsed TTLs) are a source of "not healthy" for the health overlay
 * (health_overlay.h): they count in the tier plan and reach the fast
 * path through the flat form; removals are changes of the document.
 */
#include <sys/random.h>

#include "api_int.h"

/* ------------------------------------------------------------------ */
/* Guard, overlay, ids                                                  */

int api_registry_allowed(const struct api_call *c, int s, struct api_error *e)
{
	const struct config_service *svc = &c->a->cfg.services[s];
	const char *subj = c->req->subject ? c->req->subject : "";

	if (c->req->role == HTTP_ROLE_ADMIN ||
	    config_registry_client_allowed(svc, subj))
		return 0;
	api_fail(e, 403, API_ERR_FORBIDDEN,
		 "client \"%.80s\" is not in the registry_clients of service "
		 "\"%s\"",
		 subj, svc->name);
	e->detail_key = "subject";
	snprintf(e->detail, sizeof(e->detail), "%s", subj);
	return -1;
}

bool api_registry_holds_out(const struct config_service *s, uint32_t b,
			    const void *registry)
{
	const struct config_backend *cb = &s->backends[b];

	return cb->reg != NULL && registry_out(registry, s->name, cb->reg->id);
}

/* A random instance id, unique in service s. */
static void new_id(const struct config_service *s, char id[CONFIG_REG_ID_LEN])
{
	static uint64_t counter;
	uint64_t v;

	do {
		if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
			v = (uint64_t)(api_now_s() * 1e9) ^
			    (++counter * 0x9e3779b97f4a7c15ull);
		snprintf(id, CONFIG_REG_ID_LEN, "%016" PRIx64, v);
	} while (config_instance_find(s, id) >= 0);
}

/* ------------------------------------------------------------------ */
/* What the registry's endpoints show                                   */

static cJSON *instance_json(const struct api *a, const struct config_service *s,
			    const struct config_backend *b)
{
	const struct config_registration *r = b->reg;
	uint64_t now = a->now_ms();
	cJSON *o = cJSON_CreateObject(), *m;
	char addr[INET6_ADDRSTRLEN] = "", bid[80];

	inet_ntop(b->addr.family == EP_AF_INET6 ? AF_INET6 : AF_INET,
		  b->addr.bytes, addr, sizeof(addr));
	metrics_backend_id(&b->addr, b->port, bid, sizeof(bid));
	api_jstr(o, "id", r->id);
	api_jstr(o, "service", s->name);
	api_jstr(o, "address", addr);
	api_ju64(o, "port", b->port);
	api_ju64(o, "weight", b->weight);
	api_ju64(o, "priority", r->priority);
	m = api_jadd(o, "metadata", cJSON_CreateObject());
	for (uint32_t i = 0; i < r->n_meta; i++)
		api_jstr(m, r->meta_key[i], r->meta_value[i]);
	api_ju64(o, "ttl", r->ttl_s);
	api_ju64(o, "ttl_remaining_ms",
		 registry_remaining_ms(a->registry, s->name, r->id, now));
	api_jstr(o, "state",
		 registry_state_name(
			 registry_state(a->registry, s->name, r->id, now)));
	api_jstr(o, "backend", bid);
	return o;
}

int h_instances_get(struct api_call *c, struct api_error *e)
{
	const struct config_service *s;
	cJSON *root, *arr;
	int i = api_service_of(c, e);

	if (i < 0)
		return -1;
	s = &c->a->cfg.services[i];
	root = cJSON_CreateObject();
	arr = api_jarr(root, "instances");
	for (uint32_t b = 0; b < s->n_backends; b++)
		if (s->backends[b].reg != NULL)
			api_jadd(arr, NULL,
				 instance_json(c->a, s, &s->backends[b]));
	api_set_etag(c->resp, c->a->version);
	return api_reply_json(c->resp, 200, root, e);
}

/* Service {name} and its instance {id}, or a 404 saying to register. */
static int instance_of(const struct api_call *c, int *svc, struct api_error *e)
{
	int b;

	*svc = api_service_of(c, e);
	if (*svc < 0)
		return -1;
	b = config_instance_find(&c->a->cfg.services[*svc], c->id);
	if (b < 0)
		api_fail(e, 404, API_ERR_NOT_FOUND,
			 "service \"%s\" has no instance \"%.40s\"; register "
			 "it again",
			 c->name, c->id);
	return b;
}

int h_instance_get(struct api_call *c, struct api_error *e)
{
	int s, b = instance_of(c, &s, e);
	const struct config_service *svc;

	if (b < 0)
		return -1;
	svc = &c->a->cfg.services[s];
	api_set_etag(c->resp, c->a->version);
	return api_reply_json(c->resp, 200,
			      instance_json(c->a, svc, &svc->backends[b]), e);
}

/* ------------------------------------------------------------------ */
/* Register, renew, deregister                                          */

/* The instance's backend was out of selection: put it back at once. */
static void republish_revived(struct api *a)
{
	struct api_error late;

	a->registry_dirty = true;
	a->registry_changing = true;
	if (api_republish(a, &late) < 0)
		fprintf(stderr,
			"slowpath: registry: republish failed (retried): "
			"%s\n",
			late.message);
	a->registry_changing = false;
}

/* The registry's state lives in the remote source (etcd's leases). */
static bool remote_registry(const struct api *a)
{
	return a->remote != NULL && a->remote->beat != NULL;
}

/* A registration or heartbeat went through: healthy here at once (the
 * remote's own word on it follows through its watch). */
static void renewed(struct api *a, const char *svc, const char *id)
{
	uint64_t now = a->now_ms();
	int revived = 0;

	if (remote_registry(a))
		revived = registry_set_remote(a->registry, svc, id,
					      REGISTRY_HEALTHY, now) == 1;
	if (registry_renew(a->registry, svc, id, now) == 1 || revived)
		republish_revived(a);
}

/*
 * `nb` (from the body) into a copy of the configuration: a new backend
 * with a new id, or, when service s has a registered backend of that
 * address and port already, that one updated under its id (a client that
 * lost its id registers again). *created says which; the id is written.
 */
static int instance_place(struct api *a, int s, struct config_backend *nb,
			  struct ep_config *cfg, bool *created,
			  struct api_error *e)
{
	const struct config_service *svc = &a->cfg.services[s];
	struct config_service *ns;
	struct config_backend *grown;
	int b = api_find_backend(svc, &nb->addr, nb->port);

	if (b >= 0 && svc->backends[b].reg == NULL) {
		api_fail(e, 409, API_ERR_CONFLICT,
			 "service \"%s\" has a configured backend with this "
			 "address and port",
			 svc->name);
		snprintf(e->field, sizeof(e->field), "body.address");
		return -1;
	}
	if (api_cfg_copy(a, cfg, e) < 0)
		return -1;
	ns = &cfg->services[s];
	*created = b < 0;
	if (b >= 0) {
		struct config_backend *old = &ns->backends[b];

		memcpy(nb->reg->id, old->reg->id, CONFIG_REG_ID_LEN);
		nb->state = old->state; /* an operator's drain stays */
		nb->has_mac = old->has_mac;
		memcpy(nb->mac, old->mac, sizeof(nb->mac));
		config_backend_release(old);
		*old = *nb;
		return 0;
	}
	grown = realloc(ns->backends, (ns->n_backends + 1) * sizeof(*grown));
	if (grown == NULL) {
		config_free(cfg);
		return api_fail_nomem(e);
	}
	ns->backends = grown;
	new_id(ns, nb->reg->id);
	ns->backends[ns->n_backends++] = *nb;
	return 0;
}

/* The registered instance `id` of service s, as now in force. */
static int reply_instance(struct api_call *c, int status, const char *id,
			  struct api_error *e)
{
	int s = api_find_service(c->a, c->name), b;
	const struct config_service *svc;
	char location[192];

	b = s >= 0 ? config_instance_find(&c->a->cfg.services[s], id) : -1;
	if (b < 0)
		return api_fail(e, 500, API_ERR_INTERNAL,
				"the instance is not in force");
	svc = &c->a->cfg.services[s];
	snprintf(location, sizeof(location),
		 "/v1/registry/services/%s/instances/%s", svc->name, id);
	http_response_add_header(c->resp, "Location", location);
	return api_reply_item(c, status,
			      instance_json(c->a, svc, &svc->backends[b]), e);
}

int h_instances_post(struct api_call *c, struct api_error *e)
{
	struct config_error ce = { { 0 } };
	struct config_backend nb = { 0 };
	struct ep_config cfg = { 0 };
	struct api *a = c->a;
	struct api_reg_op op = { 0 };
	char id[CONFIG_REG_ID_LEN];
	bool created = false;
	cJSON *obj = NULL;
	int rc, s = api_service_of(c, e);

	if (s < 0 || api_registry_allowed(c, s, e) < 0 ||
	    api_body_parse(c->req, "body", &obj, e) < 0)
		return -1;
	rc = config_instance_parse(obj, "body", &nb, &ce);
	cJSON_Delete(obj);
	if (rc != 0)
		return api_fail_config(e, rc, &ce);
	if (instance_place(a, s, &nb, &cfg, &created, e) < 0) {
		config_backend_release(&nb);
		return -1;
	}
	memcpy(id, nb.reg->id, sizeof(id)); /* nb now belongs to cfg */
	op.svc = c->name;
	op.id = id;
	op.ttl_s = nb.reg->ttl_s;
	if (!created && config_equal(&cfg, &a->cfg)) {
		config_free(&cfg); /* the same announcement: a renewal */
		if (remote_registry(a) &&
		    a->remote->put(a->remote->ctx, NULL, &op, e) < 0)
			return -1;
	} else {
		a->reg_op = &op;
		rc = api_apply_config(a, &cfg, true, e);
		a->reg_op = NULL;
		if (rc < 0)
			return -1;
	}
	renewed(a, c->name, id);
	return reply_instance(c, created ? 201 : 200, id, e);
}

/* A heartbeat renews the instance's leases in the remote source: no
 * document is written. 0, 1 (it was unhealthy), -ENOENT, -1 (e). */
static int remote_beat(struct api_call *c, int s, struct api_error *e)
{
	const struct config_service *svc = &c->a->cfg.services[s];
	int b = config_instance_find(svc, c->id);
	struct api_reg_op op = { .svc = c->name, .id = c->id };

	if (b < 0)
		return -ENOENT;
	op.ttl_s = svc->backends[b].reg->ttl_s;
	return c->a->remote->beat(c->a->remote->ctx, &op, e);
}

int h_heartbeat_put(struct api_call *c, struct api_error *e)
{
	struct api *a = c->a;
	uint64_t now = a->now_ms();
	char body[160];
	cJSON *obj = NULL;
	int rc, s = api_service_of(c, e);

	if (s < 0 || api_registry_allowed(c, s, e) < 0)
		return -1;
	if (c->req->body_len > 0) { /* none, or {} */
		if (api_body_parse(c->req, "body", &obj, e) < 0)
			return -1;
		rc = cJSON_IsObject(obj) && obj->child == NULL;
		cJSON_Delete(obj);
		if (!rc)
			return api_fail_field(e, "body",
					      "must be empty or {}: a "
					      "heartbeat carries nothing");
	}
	rc = remote_registry(a)
		     ? remote_beat(c, s, e)
		     : registry_heartbeat(a->registry, c->name, c->id, now);
	if (rc == -ENOENT)
		return api_fail(e, 404, API_ERR_NOT_FOUND,
				"service \"%s\" has no instance \"%.40s\" "
				"(expired or never registered); register it "
				"again",
				c->name, c->id);
	if (rc < 0)
		return -1;
	if (remote_registry(a))
		renewed(a, c->name, c->id);
	else if (rc == 1)
		republish_revived(a);
	snprintf(body, sizeof(body),
		 "{\"id\":\"%s\",\"state\":\"healthy\",\"ttl_remaining_ms\":"
		 "%" PRIu64 "}",
		 c->id,
		 registry_remaining_ms(a->registry, c->name, c->id, now));
	return api_reply_text(c->resp, 200, strdup(body), "application/json",
			      e);
}

int h_instance_delete(struct api_call *c, struct api_error *e)
{
	struct api_reg_op op = { .svc = c->name, .id = c->id, .remove = true };
	struct config_service *svc;
	struct ep_config cfg;
	int rc, s, b = instance_of(c, &s, e);

	if (b < 0 || api_registry_allowed(c, s, e) < 0 ||
	    api_cfg_copy(c->a, &cfg, e) < 0)
		return -1;
	svc = &cfg.services[s];
	config_backend_release(&svc->backends[b]);
	memmove(&svc->backends[b], &svc->backends[b + 1],
		(svc->n_backends - (uint32_t)b - 1) * sizeof(svc->backends[0]));
	svc->n_backends--;
	c->a->reg_op = &op; /* its keys go with it */
	rc = api_apply_config(c->a, &cfg, true, e);
	c->a->reg_op = NULL;
	if (rc < 0)
		return -1;
	return api_reply_version(c, 200, e);
}

/* ------------------------------------------------------------------ */
/* Time: lapsed TTLs out, expired instances removed                     */

/* Drop from cfg every instance past twice its TTL; how many went. */
static uint32_t drop_expired(const struct api *a, struct ep_config *cfg,
			     uint64_t now)
{
	uint32_t gone = 0;

	for (uint32_t i = 0; i < cfg->n_services; i++) {
		struct config_service *s = &cfg->services[i];
		uint32_t k = 0;

		for (uint32_t b = 0; b < s->n_backends; b++) {
			struct config_backend *be = &s->backends[b];

			if (be->reg != NULL &&
			    registry_state(a->registry, s->name, be->reg->id,
					   now) == REGISTRY_GONE) {
				printf("slowpath: registry: %s instance %s "
				       "expired (no heartbeat for 2 x %u s%s): "
				       "removed\n",
				       s->name, be->reg->id, be->reg->ttl_s,
				       remote_registry(a) ? ", lease lapsed"
							  : "");
				config_backend_release(be);
				gone++;
				continue;
			}
			s->backends[k++] = *be;
		}
		s->n_backends = k;
	}
	return gone;
}

static int registry_change(struct api *a, struct ep_config *cfg, bool persist,
			   struct api_error *e)
{
	int rc;

	a->registry_changing = true;
	rc = persist ? api_apply_config(a, cfg, true, e) : api_republish(a, e);
	a->registry_changing = false;
	return rc;
}

/*
 * The remote source's verdicts on every registered instance in force,
 * read again when they or the configuration changed: a lapsed lease makes
 * it unhealthy or gone on every node alike.
 */
static void remote_verdicts(struct api *a, uint64_t now)
{
	const struct ep_config *cfg = &a->cfg;
	uint64_t gen;

	if (!remote_registry(a))
		return;
	gen = a->remote->gen(a->remote->ctx);
	if (gen == a->remote_gen && a->version == a->remote_version)
		return;
	a->remote_gen = gen;
	a->remote_version = a->version;
	for (uint32_t i = 0; i < cfg->n_services; i++) {
		const struct config_service *s = &cfg->services[i];

		for (uint32_t j = 0; j < s->n_backends; j++) {
			const struct config_registration *r =
				s->backends[j].reg;
			int v;

			if (r == NULL)
				continue;
			v = a->remote->verdict(a->remote->ctx, s->name, r->id);
			if (registry_set_remote(a->registry, s->name, r->id, v,
						now) == 1)
				a->registry_dirty = true; /* back in */
		}
	}
}

int api_registry_run(struct api *a, struct api_error *e)
{
	uint64_t now = a->now_ms();
	struct registry_tick t;
	struct ep_config cfg;
	int n = 0;

	if (now < a->registry_next_ms || registry_count(a->registry) == 0)
		return 0;
	a->registry_next_ms = now + API_REGISTRY_SCAN_MS;
	remote_verdicts(a, now);
	registry_run(a->registry, now, &t);
	if (t.lapsed > 0) {
		printf("slowpath: registry: %u instance(s) missed their TTL: "
		       "no new flows\n",
		       t.lapsed);
		a->registry_dirty = true;
	}
	if (t.due > 0) {
		if (api_cfg_copy(a, &cfg, e) < 0)
			goto fail;
		drop_expired(a, &cfg, now);
		if (registry_change(a, &cfg, true, e) < 0)
			goto fail;
		n++;
	}
	if (a->registry_dirty) { /* the removal, if any, carried it */
		if (registry_change(a, NULL, false, e) < 0)
			goto fail;
		n++;
	}
	fflush(stdout);
	return n;
fail:
	a->registry_next_ms = now + 10 * API_REGISTRY_SCAN_MS;
	fflush(stdout);
	return -1;
}
