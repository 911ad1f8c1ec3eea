/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration module: the service registry's part of the document.
 * A registered instance is a backend with a "registration" object (id,
 * ttl, priority, metadata); a service may name the clients that may
 * register into it ("registry_clients"). Parsing, validation, canonical
 * JSON, ownership, and the body of a registration request.
 */
#include "config_int.h"
#include "jw.h"

#define META_KEY_CHARS                                                         \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/"

bool config_instance_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n == CONFIG_REG_ID_LEN - 1 &&
	       strspn(id, "0123456789abcdef") == n;
}

static bool meta_key_valid(const char *k)
{
	size_t n = strlen(k);

	return n > 0 && n < CONFIG_REG_META_KEY_LEN &&
	       strspn(k, META_KEY_CHARS) == n;
}

/* 0..cap-1 bytes, no control characters (the empty string is fine). */
static bool meta_value_valid(const char *v)
{
	size_t n = strlen(v);

	if (n >= CONFIG_REG_META_VALUE_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return false;
	return true;
}

/* "metadata": an object of at most CONFIG_REG_META_MAX strings. */
static int parse_metadata(const cJSON *obj, const char *path,
			  struct config_registration *r,
			  struct config_error *err)
{
	const cJSON *m = cfg_field(obj, "metadata"), *c, *p;
	char buf[48];

	if (m == NULL)
		return 0;
	if (!cJSON_IsObject(m))
		return cfg_fail_at(err, path, "metadata",
				   "must be an object of strings, not %s",
				   cfg_json_type(m));
	for (c = m->child; c != NULL; c = c->next) {
		if (r->n_meta == CONFIG_REG_META_MAX)
			return cfg_fail_at(err, path, "metadata",
					   "at most %u entries",
					   CONFIG_REG_META_MAX);
		if (!meta_key_valid(c->string))
			return cfg_fail_at(
				err, path, "metadata",
				"key \"%s\": must be 1..%u of [A-Za-z0-9_.-/]",
				cfg_shown(c->string, buf),
				CONFIG_REG_META_KEY_LEN - 1);
		for (p = m->child; p != c; p = p->next)
			if (strcmp(p->string, c->string) == 0)
				return cfg_fail_at(err, path, "metadata",
						   "duplicate key \"%s\"",
						   c->string);
		if (!cJSON_IsString(c) || !meta_value_valid(c->valuestring))
			return cfg_fail_at(
				err, path, "metadata",
				"\"%s\": must be a string of 0..%u characters "
				"without control characters",
				c->string, CONFIG_REG_META_VALUE_LEN - 1);
		memcpy(r->meta_key[r->n_meta], c->string,
		       strlen(c->string) + 1);
		memcpy(r->meta_value[r->n_meta], c->valuestring,
		       strlen(c->valuestring) + 1);
		r->n_meta++;
	}
	return 0;
}

/* ttl, priority and metadata, the fields both forms share. */
static int parse_announced(const cJSON *obj, const char *path,
			   struct config_registration *r,
			   struct config_error *err)
{
	int rc = cfg_get_uint(obj, path, "ttl", CONFIG_REG_TTL_MIN_S,
			      CONFIG_REG_TTL_MAX_S, CONFIG_REG_TTL_DEFAULT_S,
			      &r->ttl_s, err);

	if (rc == 0)
		rc = cfg_get_uint(obj, path, "priority", 0,
				  CONFIG_REG_PRIORITY_MAX, 0, &r->priority,
				  err);
	if (rc == 0)
		rc = parse_metadata(obj, path, r, err);
	return rc;
}

int cfg_parse_registration(const cJSON *be, const char *path,
			   struct config_backend *b, struct config_error *err)
{
	static const char *const keys[] = { "id", "ttl", "priority", "metadata",
					    NULL };
	const cJSON *obj = cfg_field(be, "registration");
	char rpath[PATH_BUF + 16];
	int rc;

	b->reg = NULL;
	if (obj == NULL)
		return 0;
	snprintf(rpath, sizeof(rpath), "%s.registration", path);
	rc = cfg_check_object(obj, rpath, keys, err);
	if (rc != 0)
		return rc;
	b->reg = calloc(1, sizeof(*b->reg));
	if (b->reg == NULL)
		return cfg_fail_nomem(err);
	rc = cfg_get_text(obj, rpath, "id", true, b->reg->id,
			  sizeof(b->reg->id), err);
	if (rc == 0 && !config_instance_id_valid(b->reg->id))
		rc = cfg_fail_at(err, rpath, "id",
				 "must be 16 lowercase hex digits");
	if (rc == 0)
		rc = parse_announced(obj, rpath, b->reg, err);
	return rc;
}

int cfg_parse_registry_clients(const cJSON *svc, const char *path,
			       struct config_service *s,
			       struct config_error *err)
{
	const cJSON *arr = cfg_field(svc, "registry_clients"), *e;
	char epath[PATH_BUF + 32];
	uint32_t n, i = 0;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return cfg_fail_at(err, path, "registry_clients",
				   "must be an array, not %s",
				   cfg_json_type(arr));
	n = (uint32_t)cJSON_GetArraySize(arr);
	if (n > CONFIG_REG_CLIENTS_MAX)
		return cfg_fail_at(err, path, "registry_clients",
				   "at most %u entries, not %u",
				   CONFIG_REG_CLIENTS_MAX, n);
	if (n == 0)
		return 0;
	s->registry_clients = calloc(n, sizeof(*s->registry_clients));
	if (s->registry_clients == NULL)
		return cfg_fail_nomem(err);
	s->n_registry_clients = n;
	for (e = arr->child; e != NULL; e = e->next, i++) {
		cfg_index_path(epath, sizeof(epath), path, "registry_clients",
			       i);
		if (!cJSON_IsString(e) ||
		    !cfg_text_valid(e->valuestring, CONFIG_SUBJECT_LEN))
			return cfg_fail_at(
				err, epath, NULL,
				"must be a certificate subject of 1..%u "
				"characters",
				CONFIG_SUBJECT_LEN - 1);
		memcpy(s->registry_clients[i], e->valuestring,
		       strlen(e->valuestring) + 1);
	}
	return 0;
}

int config_instance_parse(const struct cJSON *body, const char *path,
			  struct config_backend *b, struct config_error *err)
{
	static const char *const keys[] = { "address",	"port",	    "weight",
					    "priority", "metadata", "ttl",
					    NULL };
	const char *addr;
	uint32_t port = 0, weight = 1;
	int rc;

	memset(b, 0, sizeof(*b));
	rc = cfg_check_object(body, path, keys, err);
	if (rc == 0)
		rc = cfg_get_str(body, path, "address", true, &addr, err);
	if (rc == 0 && !cfg_ip_parse(addr, &b->addr))
		rc = cfg_fail_at(err, path, "address",
				 "not an IPv4 or IPv6 address");
	if (rc == 0)
		rc = cfg_get_uint(body, path, "port", 1, UINT16_MAX, REQUIRED,
				  &port, err);
	if (rc == 0)
		rc = cfg_get_uint(body, path, "weight", 0, UINT16_MAX, 1,
				  &weight, err);
	if (rc != 0)
		return rc;
	b->port = (uint16_t)port;
	b->weight = (uint16_t)weight;
	b->state = EP_BE_UP;
	b->reg = calloc(1, sizeof(*b->reg));
	if (b->reg == NULL)
		return cfg_fail_nomem(err);
	rc = parse_announced(body, path, b->reg, err);
	b->priority = (uint8_t)b->reg->priority; /* its tier */
	if (rc != 0) {
		free(b->reg);
		b->reg = NULL;
	}
	return rc;
}

int config_instance_find(const struct config_service *s, const char *id)
{
	for (uint32_t i = 0; i < s->n_backends; i++)
		if (s->backends[i].reg != NULL &&
		    strcmp(s->backends[i].reg->id, id) == 0)
			return (int)i;
	return -1;
}

bool config_registry_client_allowed(const struct config_service *s,
				    const char *subject)
{
	if (s->n_registry_clients == 0)
		return true;
	for (uint32_t i = 0; subject != NULL && i < s->n_registry_clients; i++)
		if (subject[0] && strcmp(s->registry_clients[i], subject) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Validation (for configurations built by code)                        */

static int reg_validate(const struct config_registration *r, const char *path,
			struct config_error *err)
{
	if (!config_instance_id_valid(r->id))
		return cfg_fail(err,
				"%s.registration.id: must be 16 lowercase hex "
				"digits",
				path);
	if (r->ttl_s < CONFIG_REG_TTL_MIN_S || r->ttl_s > CONFIG_REG_TTL_MAX_S)
		return cfg_fail(err, "%s.registration.ttl: must be %u..%u",
				path, CONFIG_REG_TTL_MIN_S,
				CONFIG_REG_TTL_MAX_S);
	if (r->priority > CONFIG_REG_PRIORITY_MAX)
		return cfg_fail(err, "%s.registration.priority: must be 0..%u",
				path, CONFIG_REG_PRIORITY_MAX);
	if (r->n_meta > CONFIG_REG_META_MAX)
		return cfg_fail(err,
				"%s.registration.metadata: at most %u entries",
				path, CONFIG_REG_META_MAX);
	for (uint32_t i = 0; i < r->n_meta; i++)
		if (!meta_key_valid(r->meta_key[i]) ||
		    !meta_value_valid(r->meta_value[i]))
			return cfg_fail(
				err,
				"%s.registration.metadata: entry %u invalid",
				path, i);
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every registration valid, instance ids unique within the service. */
int cfg_validate_registry(const struct config_service *s, const char *path,
			  struct config_error *err)
{
	const char **ids;
	char bpath[PATH_BUF + 32];
	uint32_t n = 0;
	int rc = 0;

	if (s->n_registry_clients > CONFIG_REG_CLIENTS_MAX)
		return cfg_fail(err, "%s.registry_clients: at most %u entries",
				path, CONFIG_REG_CLIENTS_MAX);
	for (uint32_t i = 0; i < s->n_registry_clients; i++)
		if (!cfg_text_valid(s->registry_clients[i], CONFIG_SUBJECT_LEN))
			return cfg_fail(err,
					"%s.registry_clients[%u]: must be "
					"1..%u characters",
					path, i, CONFIG_SUBJECT_LEN - 1);
	for (uint32_t i = 0; i < s->n_backends; i++) {
		if (s->backends[i].reg == NULL)
			continue;
		n++;
		cfg_index_path(bpath, sizeof(bpath), path, "backends", i);
		rc = reg_validate(s->backends[i].reg, bpath, err);
		if (rc != 0)
			return rc;
		if (s->backends[i].reg->priority != s->backends[i].priority)
			return cfg_fail(err,
					"%s.registration.priority: must equal "
					"the backend's priority (%u)",
					bpath, s->backends[i].priority);
	}
	if (n < 2)
		return 0;
	ids = malloc(n * sizeof(*ids));
	if (ids == NULL)
		return cfg_fail_nomem(err);
	n = 0;
	for (uint32_t i = 0; i < s->n_backends; i++)
		if (s->backends[i].reg != NULL)
			ids[n++] = s->backends[i].reg->id;
	qsort(ids, n, sizeof(*ids), id_cmp);
	for (uint32_t i = 1; rc == 0 && i < n; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			rc = cfg_fail(err,
				      "%s.backends: instance id \"%s\" twice",
				      path, ids[i]);
	free(ids);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Canonical JSON                                                       */

/* `,"registration":{...}` of a registered backend, nothing otherwise. */
void cfg_json_registration(struct jw_buf *b, const struct config_backend *be)
{
	const struct config_registration *r = be->reg;

	if (r == NULL)
		return;
	jw_buf_puts(b, ",\"registration\":{\"id\":");
	jw_buf_string(b, r->id);
	jw_buf_puts(b, ",\"ttl\":");
	jw_buf_u64(b, r->ttl_s);
	jw_buf_puts(b, ",\"priority\":");
	jw_buf_u64(b, r->priority);
	jw_buf_puts(b, ",\"metadata\":{");
	for (uint32_t i = 0; i < r->n_meta; i++) {
		if (i > 0)
			jw_buf_puts(b, ",");
		jw_buf_string(b, r->meta_key[i]);
		jw_buf_puts(b, ":");
		jw_buf_string(b, r->meta_value[i]);
	}
	jw_buf_puts(b, "}}");
}

/* `,"registry_clients":[...]` when the service lists any. */
void cfg_json_registry_clients(struct jw_buf *b, const struct config_service *s)
{
	if (s->n_registry_clients == 0)
		return;
	jw_buf_puts(b, ",\"registry_clients\":[");
	for (uint32_t i = 0; i < s->n_registry_clients; i++) {
		if (i > 0)
			jw_buf_puts(b, ",");
		jw_buf_string(b, s->registry_clients[i]);
	}
	jw_buf_puts(b, "]");
}

/* ------------------------------------------------------------------ */
/* Ownership and comparison                                             */

void config_backend_release(struct config_backend *b)
{
	free(b->reg);
	b->reg = NULL;
}

void cfg_registry_free_service(struct config_service *s)
{
	for (uint32_t i = 0; s->backends != NULL && i < s->n_backends; i++)
		config_backend_release(&s->backends[i]);
	free(s->registry_clients);
	s->registry_clients = NULL;
	s->n_registry_clients = 0;
}

/* `dst` is a shallow copy of `src`: give it registrations of its own.
 * On failure every pointer of dst that is not its own is NULL. */
int cfg_registry_copy_service(struct config_service *dst,
			      const struct config_service *src)
{
	size_t cn = src->n_registry_clients * sizeof(*src->registry_clients);
	int rc = 0;

	dst->registry_clients = NULL;
	if (cn > 0) {
		dst->registry_clients = malloc(cn);
		if (dst->registry_clients == NULL)
			rc = -ENOMEM;
		else
			memcpy(dst->registry_clients, src->registry_clients,
			       cn);
	}
	for (uint32_t i = 0; dst->backends != NULL && i < dst->n_backends;
	     i++) {
		const struct config_registration *r = src->backends[i].reg;

		dst->backends[i].reg = NULL;
		if (r == NULL || rc != 0)
			continue;
		dst->backends[i].reg = malloc(sizeof(*r));
		if (dst->backends[i].reg == NULL)
			rc = -ENOMEM;
		else
			memcpy(dst->backends[i].reg, r, sizeof(*r));
	}
	return rc;
}

bool cfg_registration_equal(const struct config_backend *a,
			    const struct config_backend *b)
{
	if (a->reg == NULL || b->reg == NULL)
		return a->reg == b->reg;
	return memcmp(a->reg, b->reg, sizeof(*a->reg)) == 0;
}

bool cfg_registry_clients_equal(const struct config_service *a,
				const struct config_service *b)
{
	return a->n_registry_clients == b->n_registry_clients &&
	       (a->n_registry_clients == 0 ||
		memcmp(a->registry_clients, b->registry_clients,
		       a->n_registry_clients * sizeof(*a->registry_clients)) ==
			0);
}
