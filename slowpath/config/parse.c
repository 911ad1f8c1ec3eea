/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration module: JSON -> struct ep_config. Typed field readers
 * that name path.key in every error, then node, services, backends, api and
 * the document's entry points config_parse() and config_parse_tree().
 */
#include "config_int.h"

/* ------------------------------------------------------------------ */
/* Typed field readers. Each names path.key in its error.               */

const char *cfg_json_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	return "an object";
}

static bool key_known(const char *key, const char *const known[])
{
	size_t i;

	for (i = 0; known[i] != NULL; i++)
		if (strcmp(known[i], key) == 0)
			return true;
	return false;
}

/*
 * `obj` is an object whose keys are all in `known` (NULL-terminated), each
 * once. cJSON keeps duplicate keys, so they are looked for here. Unknown
 * keys are refused first, so the duplicate search meets at most
 * ARRAY_LEN(known) earlier siblings whatever the object's size.
 */
int cfg_check_object(const cJSON *obj, const char *path,
		     const char *const known[], struct config_error *err)
{
	const cJSON *c, *p;
	char buf[48];

	if (!cJSON_IsObject(obj))
		return cfg_fail_at(err, path, NULL, "must be an object, not %s",
				   cfg_json_type(obj));
	for (c = obj->child; c != NULL; c = c->next) {
		if (!key_known(c->string, known))
			return cfg_fail_at(err, path, NULL,
					   "unknown field \"%s\"",
					   cfg_shown(c->string, buf));
		for (p = obj->child; p != c; p = p->next)
			if (strcmp(p->string, c->string) == 0)
				return cfg_fail_at(err, path, NULL,
						   "duplicate field \"%s\"",
						   c->string);
	}
	return 0;
}

const cJSON *cfg_field(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static int missing(struct config_error *err, const char *path, const char *key)
{
	return cfg_fail_at(err, path, key, "required field missing");
}

/* An integer in min..max; `dflt` when absent, or REQUIRED. */
int cfg_get_uint(const cJSON *obj, const char *path, const char *key,
		 uint32_t min, uint32_t max, int64_t dflt, uint32_t *out,
		 struct config_error *err)
{
	const cJSON *v = cfg_field(obj, key);
	double d;

	if (v == NULL && dflt == REQUIRED)
		return missing(err, path, key);
	if (v == NULL) {
		*out = (uint32_t)dflt;
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return cfg_fail_at(err, path, key,
				   "must be an integer %u..%u, not %s", min,
				   max, cfg_json_type(v));
	d = v->valuedouble;
	if (!(d >= min && d <= max)) /* also NaN and infinities */
		return cfg_fail_at(err, path, key, "must be %u..%u", min, max);
	if (d != (double)(uint32_t)d)
		return cfg_fail_at(err, path, key, "must be an integer %u..%u",
				   min, max);
	*out = (uint32_t)d;
	return 0;
}

static int get_bool(const cJSON *obj, const char *path, const char *key,
		    bool dflt, bool *out, struct config_error *err)
{
	const cJSON *v = cfg_field(obj, key);

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (!cJSON_IsBool(v))
		return cfg_fail_at(err, path, key,
				   "must be true or false, not %s",
				   cfg_json_type(v));
	*out = cJSON_IsTrue(v);
	return 0;
}

/* A string without control characters; *out = NULL when absent and
 * optional. */
int cfg_get_str(const cJSON *obj, const char *path, const char *key,
		bool required, const char **out, struct config_error *err)
{
	const cJSON *v = cfg_field(obj, key);
	const char *s;

	*out = NULL;
	if (v == NULL)
		return required ? missing(err, path, key) : 0;
	if (!cJSON_IsString(v))
		return cfg_fail_at(err, path, key, "must be a string, not %s",
				   cfg_json_type(v));
	for (s = v->valuestring; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return cfg_fail_at(
				err, path, key,
				"must not contain control characters");
	*out = v->valuestring;
	return 0;
}

/* A string of 1..cap-1 bytes copied into `dst`; absent and optional leaves
 * dst an empty string. */
int cfg_get_text(const cJSON *obj, const char *path, const char *key,
		 bool required, char *dst, size_t cap, struct config_error *err)
{
	const char *s;
	size_t n;
	int rc = cfg_get_str(obj, path, key, required, &s, err);

	dst[0] = '\0';
	if (rc != 0 || s == NULL)
		return rc;
	n = strlen(s);
	if (n == 0 || n >= cap)
		return cfg_fail_at(err, path, key, "must be 1..%zu characters",
				   cap - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

/* One of the names in `t`; `dflt` when absent, or REQUIRED. */
int cfg_get_enum(const cJSON *obj, const char *path, const char *key,
		 struct names t, int dflt, int *out, struct config_error *err)
{
	const char *s;
	char list[96];
	int rc = cfg_get_str(obj, path, key, dflt == REQUIRED, &s, err);

	*out = dflt;
	if (rc != 0 || s == NULL)
		return rc;
	*out = cfg_name_index(t, s);
	if (*out < 0)
		return cfg_fail_at(err, path, key, "must be one of %s",
				   cfg_name_list(t, list, sizeof(list)));
	return 0;
}

/* An IPv4 or IPv6 address; absent and optional leaves family 0. */
static int get_ip(const cJSON *obj, const char *path, const char *key,
		  bool required, struct ep_ip *out, struct config_error *err)
{
	const char *s;
	int rc = cfg_get_str(obj, path, key, required, &s, err);

	memset(out, 0, sizeof(*out));
	if (rc != 0 || s == NULL)
		return rc;
	if (!cfg_ip_parse(s, out))
		return cfg_fail_at(err, path, key,
				   "not an IPv4 or IPv6 address");
	return 0;
}

/* `obj`.`key` as an array of at most `max` entries (absent: 0 entries). */
static int get_array(const cJSON *obj, const char *path, const char *key,
		     uint32_t max, const cJSON **arr, uint32_t *n,
		     struct config_error *err)
{
	int size;

	*arr = cfg_field(obj, key);
	*n = 0;
	if (*arr == NULL)
		return 0;
	if (!cJSON_IsArray(*arr))
		return cfg_fail_at(err, path, key, "must be an array, not %s",
				   cfg_json_type(*arr));
	size = cJSON_GetArraySize(*arr);
	if ((uint32_t)size > max)
		return cfg_fail_at(err, path, key, "at most %u entries, not %d",
				   max, size);
	*n = (uint32_t)size;
	return 0;
}

/* ------------------------------------------------------------------ */
/* JSON -> struct ep_config: node                                       */

static int parse_node_addr(const cJSON *obj, const char *path,
			   struct config_node_addr *a, struct config_error *err)
{
	static const char *const keys[] = { "address", "port", NULL };
	uint32_t v = 0;
	int rc;

	rc = cfg_check_object(obj, path, keys, err);
	if (rc == 0)
		rc = get_ip(obj, path, "address", true, &a->addr, err);
	if (rc == 0)
		rc = cfg_get_uint(obj, path, "port", 0, EP_MAX_PORTS - 1, 0, &v,
				  err);
	a->port_id = (uint16_t)v;
	return rc;
}

/* node.maglev_rebuild: "minimal" (the default) or "fresh". */
static int parse_maglev_rebuild(const cJSON *obj,
				enum config_maglev_rebuild *out,
				struct config_error *err)
{
	const char *s;
	int rc = cfg_get_str(obj, "node", "maglev_rebuild", false, &s, err), v;

	*out = CONFIG_MAGLEV_MINIMAL;
	if (rc != 0 || s == NULL)
		return rc;
	v = cfg_name_index(NAMES(maglev_rebuild_names), s);
	if (v < 0)
		return cfg_fail_at(err, "node", "maglev_rebuild",
				   MAGLEV_REBUILD_RULE);
	*out = (enum config_maglev_rebuild)v;
	return 0;
}

static int parse_node(const cJSON *root, struct config_node *node,
		      struct config_error *err)
{
	static const char *const keys[] = { "addresses",
					    "backend_port",
					    "encap_source_v4",
					    "encap_source_v6",
					    "gue_port",
					    "maglev_rebuild",
					    NULL };
	const cJSON *obj = cfg_field(root, "node"), *arr = NULL, *e;
	char path[PATH_BUF];
	uint32_t i, bport = 0, gport = CONFIG_GUE_PORT_DEFAULT;
	int rc;

	node->gue_port = CONFIG_GUE_PORT_DEFAULT;
	if (obj == NULL)
		return 0; /* every node field has a default */
	rc = cfg_check_object(obj, "node", keys, err);
	if (rc == 0)
		rc = get_array(obj, "node", "addresses", EP_MAX_NODE_ADDRS,
			       &arr, &node->n_addrs, err);
	e = arr != NULL ? arr->child : NULL;
	for (i = 0; rc == 0 && i < node->n_addrs; i++, e = e->next)
		rc = parse_node_addr(e,
				     cfg_index_path(path, sizeof(path), "node",
						    "addresses", i),
				     &node->addrs[i], err);
	if (rc == 0)
		rc = cfg_get_uint(obj, "node", "backend_port", 0,
				  EP_MAX_PORTS - 1, 0, &bport, err);
	if (rc == 0)
		rc = get_ip(obj, "node", "encap_source_v4", false,
			    &node->encap_src4, err);
	if (rc == 0)
		rc = get_ip(obj, "node", "encap_source_v6", false,
			    &node->encap_src6, err);
	if (rc == 0)
		rc = cfg_get_uint(obj, "node", "gue_port", 1, UINT16_MAX,
				  CONFIG_GUE_PORT_DEFAULT, &gport, err);
	if (rc == 0)
		rc = parse_maglev_rebuild(obj, &node->maglev_rebuild, err);
	node->backend_port = (uint16_t)bport;
	node->gue_port = (uint16_t)gport;
	return rc;
}

/* ------------------------------------------------------------------ */
/* JSON -> struct ep_config: services and backends                      */

static int parse_backend(const cJSON *obj, const char *path,
			 struct config_backend *b, struct config_error *err)
{
	static const char *const keys[] = { "address",	    "port", "weight",
					    "state",	    "mac",  "priority",
					    "registration", NULL };
	uint32_t port = 0, weight = 1, prio = 0;
	int state = EP_BE_UP, rc;
	const char *mac = NULL;

	rc = cfg_check_object(obj, path, keys, err);
	if (rc == 0)
		rc = get_ip(obj, path, "address", true, &b->addr, err);
	if (rc == 0)
		rc = cfg_get_uint(obj, path, "port", 0, UINT16_MAX, 0, &port,
				  err);
	if (rc == 0)
		rc = cfg_get_uint(obj, path, "weight", 0, UINT16_MAX, 1,
				  &weight, err);
	if (rc == 0)
		rc = cfg_get_enum(obj, path, "state", NAMES(state_names),
				  EP_BE_UP, &state, err);
	if (rc == 0)
		rc = cfg_get_uint(obj, path, "priority", 0, EP_BE_PRIORITY_MAX,
				  0, &prio, err);
	if (rc == 0)
		rc = cfg_get_str(obj, path, "mac", false, &mac, err);
	if (rc == 0 && mac != NULL && !cfg_mac_parse(mac, b->mac))
		rc = cfg_fail_at(
			err, path, "mac",
			"must be a MAC address like \"02:00:00:00:00:01\"");
	b->port = (uint16_t)port;
	b->weight = (uint16_t)weight;
	b->state = (enum ep_backend_state)state;
	b->priority = (uint8_t)prio;
	b->has_mac = mac != NULL;
	if (rc == 0)
		rc = cfg_parse_registration(obj, path, b, err);
	return rc;
}

/* The backends array; `*total` counts backends of all services so far,
 * so no allocation is ever larger than EP_MAX_BACKENDS entries. */
static int parse_backends(const cJSON *obj, const char *path,
			  struct config_service *s, uint32_t *total,
			  struct config_error *err)
{
	const cJSON *arr, *e;
	char bpath[PATH_BUF];
	uint32_t i, n;
	int rc;

	rc = get_array(obj, path, "backends", EP_MAX_BACKENDS, &arr, &n, err);
	if (rc != 0 || n == 0)
		return rc;
	if (n > EP_MAX_BACKENDS - *total)
		return cfg_fail_at(err, path, "backends",
				   "more than %u backends in all services",
				   EP_MAX_BACKENDS);
	*total += n;
	s->backends = calloc(n, sizeof(*s->backends));
	if (s->backends == NULL)
		return cfg_fail_nomem(err);
	s->n_backends = n;
	e = arr->child;
	for (i = 0; rc == 0 && i < n; i++, e = e->next)
		rc = parse_backend(e,
				   cfg_index_path(bpath, sizeof(bpath), path,
						  "backends", i),
				   &s->backends[i], err);
	return rc;
}

/* Enumerated service fields, with their defaults. */
static int parse_service_modes(const cJSON *obj, const char *path,
			       struct config_service *s,
			       struct config_error *err)
{
	int proto = 0, fwd = EP_FWD_DSR, encap = CONFIG_ENCAP_IPIP;
	int sched = EP_SCHED_MAGLEV, aff = CONFIG_AFFINITY_NONE, rc;

	rc = cfg_get_enum(obj, path, "protocol", NAMES(proto_names), REQUIRED,
			  &proto, err);
	if (rc == 0)
		rc = cfg_get_enum(obj, path, "forwarding", NAMES(fwd_names),
				  EP_FWD_DSR, &fwd, err);
	if (rc == 0 && fwd != EP_FWD_ENCAP && cfg_field(obj, "encap") != NULL)
		rc = cfg_fail_at(err, path, "encap",
				 "only valid with \"forwarding\": \"encap\"");
	if (rc == 0)
		rc = cfg_get_enum(obj, path, "encap", NAMES(encap_names),
				  CONFIG_ENCAP_IPIP, &encap, err);
	if (rc == 0)
		rc = cfg_get_enum(obj, path, "scheduler", NAMES(sched_names),
				  EP_SCHED_MAGLEV, &sched, err);
	if (rc == 0)
		rc = cfg_get_enum(obj, path, "affinity", NAMES(affinity_names),
				  CONFIG_AFFINITY_NONE, &aff, err);
	s->proto = (uint8_t)proto;
	s->fwd = (enum ep_fwd_mode)fwd;
	s->encap = (enum config_encap)encap;
	s->sched = (enum ep_sched)sched;
	s->affinity = (enum config_affinity)aff;
	return rc;
}

static int parse_service(const cJSON *obj, const char *path,
			 struct config_service *s, uint32_t *total,
			 struct config_error *err)
{
	static const char *const keys[] = { "name",
					    "vip",
					    "port",
					    "protocol",
					    "forwarding",
					    "encap",
					    "scheduler",
					    "affinity",
					    "maglev_table_size",
					    "backends",
					    "limits",
					    "acl",
					    "health_check",
					    "syn_proxy",
					    "registry_clients",
					    "outlier_detection",
					    "on_down",
					    NULL };
	uint32_t port = 0;
	int on_down = CONFIG_ON_DOWN_KEEP, rc;

	rc = cfg_check_object(obj, path, keys, err);
	if (rc == 0)
		rc = cfg_get_text(obj, path, "name", true, s->name, EP_NAME_LEN,
				  err);
	if (rc == 0)
		rc = get_ip(obj, path, "vip", true, &s->vip, err);
	if (rc == 0)
		rc = cfg_get_uint(obj, path, "port", 0, UINT16_MAX, REQUIRED,
				  &port, err);
	s->port = (uint16_t)port;
	if (rc == 0)
		rc = parse_service_modes(obj, path, s, err);
	if (rc == 0)
		rc = cfg_get_uint(obj, path, "maglev_table_size", 1,
				  EP_MAGLEV_MAX_SIZE, EP_MAGLEV_DEFAULT_SIZE,
				  &s->maglev_size, err);
	if (rc == 0)
		rc = parse_backends(obj, path, s, total, err);
	if (rc == 0)
		rc = cfg_parse_health_check(obj, path, s, err);
	if (rc == 0)
		rc = cfg_parse_registry_clients(obj, path, s, err);
	if (rc == 0)
		rc = cfg_parse_outlier(obj, path, s, err);
	if (rc == 0)
		rc = cfg_get_enum(obj, path, "on_down", NAMES(on_down_names),
				  CONFIG_ON_DOWN_KEEP, &on_down, err);
	s->on_down = (enum config_on_down)on_down;
	return rc;
}

static int parse_services(const cJSON *root, struct ep_config *cfg,
			  struct config_error *err)
{
	const cJSON *arr, *e;
	char path[SVC_PATH];
	uint32_t i, n, total = 0;
	int rc;

	rc = get_array(root, "", "services", EP_MAX_SERVICES, &arr, &n, err);
	if (rc != 0 || n == 0)
		return rc;
	cfg->services = calloc(n, sizeof(*cfg->services));
	if (cfg->services == NULL)
		return cfg_fail_nomem(err);
	cfg->n_services = n;
	e = arr->child;
	for (i = 0; rc == 0 && i < n; i++, e = e->next) {
		uint32_t prefixes = 0;

		rc = parse_service(
			e,
			cfg_index_path(path, sizeof(path), "", "services", i),
			&cfg->services[i], &total, err);
		if (rc == 0) /* "limits" and "acl": policing.c */
			rc = cpol_parse_service(e, path, &cfg->services[i].pol,
						&prefixes, err);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* JSON -> struct ep_config: api                                        */

static int parse_listener(const cJSON *obj, const char *path,
			  struct config_listener *l, struct config_error *err)
{
	static const char *const keys[] = { "address", "port", "tls", "unix",
					    NULL };
	static const char *const inet_keys[] = { "address", "port", "tls" };
	uint32_t i, port = 0;
	int rc;

	rc = cfg_check_object(obj, path, keys, err);
	if (rc != 0)
		return rc;
	l->is_unix = cfg_field(obj, "unix") != NULL;
	for (i = 0; l->is_unix && i < ARRAY_LEN(inet_keys); i++)
		if (cfg_field(obj, inet_keys[i]) != NULL)
			return cfg_fail_at(err, path, inet_keys[i],
					   "not valid with \"unix\"");
	if (l->is_unix)
		return cfg_get_text(obj, path, "unix", true, l->unix_path,
				    CONFIG_UNIX_PATH_LEN, err);
	rc = get_ip(obj, path, "address", true, &l->addr, err);
	if (rc == 0)
		rc = cfg_get_uint(obj, path, "port", 1, UINT16_MAX, REQUIRED,
				  &port, err);
	if (rc == 0)
		rc = get_bool(obj, path, "tls", false, &l->tls, err);
	l->port = (uint16_t)port;
	return rc;
}

static int parse_subjects(const cJSON *obj, const char *key,
			  char subj[][CONFIG_SUBJECT_LEN], uint32_t *n,
			  struct config_error *err)
{
	const cJSON *arr, *e;
	char path[PATH_BUF];
	uint32_t i;
	int rc;

	rc = get_array(obj, "api.tls", key, CONFIG_MAX_SUBJECTS, &arr, n, err);
	e = arr != NULL ? arr->child : NULL;
	for (i = 0; rc == 0 && i < *n; i++, e = e->next) {
		cfg_index_path(path, sizeof(path), "api.tls", key, i);
		if (!cJSON_IsString(e) ||
		    !cfg_text_valid(e->valuestring, CONFIG_SUBJECT_LEN))
			return cfg_fail_at(
				err, path, NULL,
				"must be a string of 1..%u characters",
				CONFIG_SUBJECT_LEN - 1);
		memcpy(subj[i], e->valuestring, strlen(e->valuestring) + 1);
	}
	return rc;
}

static int parse_api_tls(const cJSON *obj, struct config_api *api,
			 struct config_error *err)
{
	static const char *const keys[] = { "certificate",
					    "private_key",
					    "client_ca",
					    "admin_subjects",
					    "reader_subjects",
					    "registry_subjects",
					    NULL };
	const char *p = "api.tls";
	int rc;

	api->has_tls = true;
	rc = cfg_check_object(obj, p, keys, err);
	if (rc == 0)
		rc = cfg_get_text(obj, p, "certificate", true, api->certificate,
				  CONFIG_PATH_LEN, err);
	if (rc == 0)
		rc = cfg_get_text(obj, p, "private_key", true, api->private_key,
				  CONFIG_PATH_LEN, err);
	if (rc == 0)
		rc = cfg_get_text(obj, p, "client_ca", false, api->client_ca,
				  CONFIG_PATH_LEN, err);
	if (rc == 0)
		rc = parse_subjects(obj, "admin_subjects", api->admin_subjects,
				    &api->n_admin_subjects, err);
	if (rc == 0)
		rc = parse_subjects(obj, "reader_subjects",
				    api->reader_subjects,
				    &api->n_reader_subjects, err);
	if (rc == 0)
		rc = parse_subjects(obj, "registry_subjects",
				    api->registry_subjects,
				    &api->n_registry_subjects, err);
	return rc;
}

static int parse_api(const cJSON *root, struct config_api *api,
		     struct config_error *err)
{
	static const char *const keys[] = { "listeners", "tls", NULL };
	const cJSON *obj = cfg_field(root, "api"), *arr = NULL, *tls, *e;
	char path[PATH_BUF];
	uint32_t i;
	int rc;

	if (obj == NULL)
		return 0;
	api->present = true;
	rc = cfg_check_object(obj, "api", keys, err);
	if (rc == 0 && cfg_field(obj, "listeners") == NULL)
		rc = missing(err, "api", "listeners");
	if (rc == 0)
		rc = get_array(obj, "api", "listeners", CONFIG_MAX_LISTENERS,
			       &arr, &api->n_listeners, err);
	e = arr != NULL ? arr->child : NULL;
	for (i = 0; rc == 0 && i < api->n_listeners; i++, e = e->next)
		rc = parse_listener(e,
				    cfg_index_path(path, sizeof(path), "api",
						   "listeners", i),
				    &api->listeners[i], err);
	tls = cfg_field(obj, "tls");
	if (rc == 0 && tls != NULL)
		rc = parse_api_tls(tls, api, err);
	return rc;
}

static int parse_document(const cJSON *root, struct ep_config *cfg,
			  struct config_error *err)
{
	static const char *const keys[] = { "node", "services", "api",
					    "policing", NULL };
	uint32_t prefixes = 0;
	int rc;

	rc = cfg_check_object(root, "", keys, err);
	if (rc == 0)
		rc = parse_node(root, &cfg->node, err);
	if (rc == 0)
		rc = parse_services(root, cfg, err);
	if (rc == 0)
		rc = parse_api(root, &cfg->api, err);
	if (rc == 0)
		rc = cpol_parse_global(root, &cfg->pol, &prefixes, err);
	return rc;
}

/* The checks on the text that come before and apart from cJSON's. */
static int check_text(const char *text, size_t len, struct config_error *err)
{
	if (text == NULL)
		return cfg_fail(err, "document: missing");
	/* Checked before any parsing, so size costs nothing to refuse. */
	if (len > CONFIG_MAX_BYTES) {
		cfg_fail(err,
			 "document: %zu bytes, larger than the limit of %u",
			 len, CONFIG_MAX_BYTES);
		return -EMSGSIZE;
	}
	return config_json_check(text, len, "", err);
}

/* The parsed document into `out`, validated; `out` is freed on error. */
static int parse_root(const cJSON *root, struct ep_config *out,
		      struct config_error *err)
{
	int rc = parse_document(root, out, err);

	if (rc == 0)
		rc = config_validate(out, err);
	if (rc != 0)
		config_free(out);
	return rc;
}

int config_parse(const char *text, size_t len, struct ep_config *out,
		 struct config_error *err)
{
	cJSON *root;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = check_text(text, len, err);
	if (rc == 0)
		rc = cfg_json_load(text, len, &root, err);
	if (rc != 0)
		return rc;
	rc = parse_root(root, out, err);
	cJSON_Delete(root);
	return rc;
}

int config_parse_tree(const char *text, size_t len, const struct cJSON *root,
		      struct ep_config *out, struct config_error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = check_text(text, len, err);
	if (rc == 0 && root == NULL)
		rc = cfg_fail(err, "document: missing");
	return rc != 0 ? rc : parse_root(root, out, err);
}
