/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration module: the canonical JSON of a struct ep_config
 * (config_to_json()), byte for byte what cJSON would print.
 */
#include "config_int.h"
#include "jw.h"

/* ------------------------------------------------------------------ */
/* struct ep_config -> canonical JSON                                   */

/*
 * Written directly through the slow path's JSON writer (jw.h) rather than
 * through a cJSON tree: building and printing the tree (an allocation per
 * value, sprintf and sscanf per number) was the slow path's largest cost
 * for a 1000-service PUT. The output is what cJSON_PrintUnformatted()
 * gives for the same tree, byte for byte (tests compare them), so
 * persisted files and GET /v1/config did not change.
 */

/* `"key":`, after a comma unless `first`. */
static void jb_key(struct jw_buf *b, const char *key, bool first)
{
	if (!first)
		jw_buf_add(b, ",", 1);
	jw_buf_string(b, key);
	jw_buf_add(b, ":", 1);
}

static void jb_kstr(struct jw_buf *b, const char *key, const char *v)
{
	jb_key(b, key, false);
	jw_buf_string(b, v);
}

/* Every number here is a non-negative integer: cJSON prints it "%d". */
static void jb_knum(struct jw_buf *b, const char *key, uint32_t v)
{
	jb_key(b, key, false);
	jw_buf_u64(b, v);
}

static void jb_ip(struct jw_buf *b, const struct ep_ip *ip)
{
	char a[INET6_ADDRSTRLEN];

	jw_buf_string(b, cfg_ip_str(ip, a));
}

static void jb_kip(struct jw_buf *b, const char *key, const struct ep_ip *ip)
{
	jb_key(b, key, false);
	jb_ip(b, ip);
}

/* Opens an object whose first member is `key`: `{"key":`. */
static void jb_open(struct jw_buf *b, const char *key)
{
	jw_buf_add(b, "{", 1);
	jb_key(b, key, true);
}

static void json_node(struct jw_buf *b, const struct config_node *n)
{
	uint32_t i;

	jw_buf_puts(b, "{\"addresses\":[");
	for (i = 0; i < n->n_addrs; i++) {
		jw_buf_puts(b, i > 0 ? ",{" : "{");
		jb_key(b, "address", true);
		jb_ip(b, &n->addrs[i].addr);
		jb_knum(b, "port", n->addrs[i].port_id);
		jw_buf_puts(b, "}");
	}
	jw_buf_puts(b, "]");
	jb_knum(b, "backend_port", n->backend_port);
	if (n->encap_src4.family != 0)
		jb_kip(b, "encap_source_v4", &n->encap_src4);
	if (n->encap_src6.family != 0)
		jb_kip(b, "encap_source_v6", &n->encap_src6);
	jb_knum(b, "gue_port", n->gue_port);
	jb_kstr(b, "maglev_rebuild",
		cfg_name_of(NAMES(maglev_rebuild_names), n->maglev_rebuild));
	jw_buf_puts(b, "}");
}

/* Members policing_form.c rendered (malloc'd, NULL: out of memory). */
static void jb_policing(struct jw_buf *b, char *members)
{
	if (members == NULL)
		b->failed = 1;
	else
		jw_buf_puts(b, members);
	free(members);
}

static void json_backend(struct jw_buf *b, const struct config_backend *be)
{
	char mac[18];

	jb_open(b, "address");
	jb_ip(b, &be->addr);
	jb_knum(b, "port", be->port);
	jb_knum(b, "weight", be->weight);
	jb_kstr(b, "state", cfg_name_of(NAMES(state_names), be->state));
	if (be->priority != 0) /* as syn_proxy: written when not the default */
		jb_knum(b, "priority", be->priority);
	if (be->has_mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 be->mac[0], be->mac[1], be->mac[2], be->mac[3],
			 be->mac[4], be->mac[5]);
		jb_kstr(b, "mac", mac);
	}
	cfg_json_registration(b, be);
	jw_buf_puts(b, "}");
}

/* health_check, only when it probes (as encap only for encap). */
static void json_health(struct jw_buf *b, const struct config_service *s)
{
	const struct health_params *h = &s->health;
	char status[16];

	if (h->type == HEALTH_NONE)
		return;
	jb_key(b, "health_check", false);
	jb_open(b, "type");
	jw_buf_string(b, cfg_name_of(NAMES(health_type_names), h->type));
	jb_knum(b, "interval_ms", h->interval_ms);
	jb_knum(b, "timeout_ms", h->timeout_ms);
	jb_knum(b, "rise", h->rise);
	jb_knum(b, "fall", h->fall);
	jb_knum(b, "port", h->port);
	if (h->type == HEALTH_HTTPS && h->server_name[0])
		jb_kstr(b, "server_name", h->server_name);
	if (h->type == HEALTH_HTTPS) {
		jb_key(b, "verify", false);
		jw_buf_puts(b, h->verify ? "true" : "false");
	}
	if (h->type == HEALTH_HTTPS && h->verify)
		jb_kstr(b, "ca_file", h->ca_file);
	if (h->type == HEALTH_HTTP || h->type == HEALTH_HTTPS) {
		jb_kstr(b, "path", h->path);
		snprintf(status, sizeof(status), "%u-%u", h->status_min,
			 h->status_max);
		jb_kstr(b, "expect_status", status);
		if (h->body_contains[0])
			jb_kstr(b, "body_contains", h->body_contains);
	}
	jb_knum(b, "panic_threshold_percent", s->panic_percent);
	jw_buf_puts(b, "}");
}

/* outlier_detection, only when on: every field. */
static void json_outlier(struct jw_buf *b, const struct config_service *s)
{
	uint32_t v;

	if (!s->outlier.enabled)
		return;
	jb_key(b, "outlier_detection", false);
	for (size_t i = 0; i < cfg_outlier_n_fields(); i++) {
		const char *k = cfg_outlier_field(&s->outlier, i, &v);

		if (i == 0) {
			jb_open(b, k);
			jw_buf_u64(b, v);
		} else {
			jb_knum(b, k, v);
		}
	}
	jw_buf_puts(b, "}");
}

static void json_service(struct jw_buf *b, const struct config_service *s)
{
	uint32_t i;

	jb_open(b, "name");
	jw_buf_string(b, s->name);
	jb_kip(b, "vip", &s->vip);
	jb_knum(b, "port", s->port);
	jb_kstr(b, "protocol", cfg_name_of(NAMES(proto_names), s->proto));
	jb_kstr(b, "forwarding", cfg_name_of(NAMES(fwd_names), s->fwd));
	if (s->fwd == EP_FWD_ENCAP)
		jb_kstr(b, "encap", cfg_name_of(NAMES(encap_names), s->encap));
	jb_kstr(b, "scheduler", cfg_name_of(NAMES(sched_names), s->sched));
	jb_kstr(b, "affinity", cfg_name_of(NAMES(affinity_names), s->affinity));
	jb_knum(b, "maglev_table_size", s->maglev_size);
	jb_policing(b, cpol_json_service(&s->pol));
	json_health(b, s);
	cfg_json_registry_clients(b, s);
	json_outlier(b, s);
	if (s->on_down != CONFIG_ON_DOWN_KEEP)
		jb_kstr(b, "on_down",
			cfg_name_of(NAMES(on_down_names), s->on_down));
	jw_buf_puts(b, ",\"backends\":[");
	for (i = 0; i < s->n_backends; i++) {
		if (i > 0)
			jw_buf_puts(b, ",");
		json_backend(b, &s->backends[i]);
	}
	jw_buf_puts(b, "]}");
}

static void json_listener(struct jw_buf *b, const struct config_listener *l)
{
	if (l->is_unix) {
		jb_open(b, "unix");
		jw_buf_string(b, l->unix_path);
	} else {
		jb_open(b, "address");
		jb_ip(b, &l->addr);
		jb_knum(b, "port", l->port);
		jb_key(b, "tls", false);
		jw_buf_puts(b, l->tls ? "true" : "false");
	}
	jw_buf_puts(b, "}");
}

static void json_subjects(struct jw_buf *b, const char *key,
			  const char subj[][CONFIG_SUBJECT_LEN], uint32_t n)
{
	uint32_t i;

	jb_key(b, key, false);
	jw_buf_puts(b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			jw_buf_puts(b, ",");
		jw_buf_string(b, subj[i]);
	}
	jw_buf_puts(b, "]");
}

static void json_api_tls(struct jw_buf *b, const struct config_api *api)
{
	jb_open(b, "certificate");
	jw_buf_string(b, api->certificate);
	jb_kstr(b, "private_key", api->private_key);
	if (api->client_ca[0] != '\0')
		jb_kstr(b, "client_ca", api->client_ca);
	json_subjects(b, "admin_subjects", api->admin_subjects,
		      api->n_admin_subjects);
	json_subjects(b, "reader_subjects", api->reader_subjects,
		      api->n_reader_subjects);
	if (api->n_registry_subjects > 0)
		json_subjects(b, "registry_subjects", api->registry_subjects,
			      api->n_registry_subjects);
	jw_buf_puts(b, "}");
}

static void json_api(struct jw_buf *b, const struct config_api *api)
{
	uint32_t i;

	jw_buf_puts(b, "{\"listeners\":[");
	for (i = 0; i < api->n_listeners; i++) {
		if (i > 0)
			jw_buf_puts(b, ",");
		json_listener(b, &api->listeners[i]);
	}
	jw_buf_puts(b, "]");
	if (api->has_tls) {
		jb_key(b, "tls", false);
		json_api_tls(b, api);
	}
	jw_buf_puts(b, "}");
}

char *config_to_json(const struct ep_config *cfg)
{
	struct jw_buf b = { 0 };
	uint32_t i;

	/* Compact: indentation would triple a large document and push the
	 * persisted file past CONFIG_MAX_BYTES, refusing our own output. */
	jw_buf_puts(&b, "{\"node\":");
	json_node(&b, &cfg->node);
	jw_buf_puts(&b, ",\"services\":[");
	for (i = 0; i < cfg->n_services; i++) {
		if (i > 0)
			jw_buf_puts(&b, ",");
		json_service(&b, &cfg->services[i]);
	}
	jw_buf_puts(&b, "]");
	jb_policing(&b, cpol_json_global(&cfg->pol));
	if (cfg->api.present) {
		jw_buf_puts(&b, ",\"api\":");
		json_api(&b, &cfg->api);
	}
	jw_buf_puts(&b, "}");
	if (b.failed) {
		jw_buf_free(&b);
		return NULL;
	}
	return b.buf;
}

char *config_item_to_json(const struct ep_config *cfg, uint32_t i, int64_t b)
{
	struct jw_buf buf = { 0 };
	const struct config_service *s;

	if (i >= cfg->n_services)
		return NULL;
	s = &cfg->services[i];
	if (b >= (int64_t)s->n_backends)
		return NULL;
	if (b >= 0)
		json_backend(&buf, &s->backends[b]);
	else
		json_service(&buf, s);
	if (buf.failed) {
		jw_buf_free(&buf);
		return NULL;
	}
	return buf.buf;
}
