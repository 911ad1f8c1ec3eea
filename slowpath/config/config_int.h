/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to slowpath/config/: the names, types and helpers its files
 * share. config.h (with config_policing.h) is the module's public header;
 * no file outside slowpath/config/ includes this one.
 */
#ifndef EP_CONFIG_INT_H
#define EP_CONFIG_INT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "config_policing.h"
#include "flat_check.h"

#define PATH_BUF 64 /* "services[4294967295].backends[4294967295]" fits */
#define SVC_PATH 24 /* "services[4294967295]" fits */
#define NAME_CHARS "[A-Za-z0-9_.-]"
#define IDS_NONE UINT32_MAX

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Names of enumerated values, indexed by value (holes are NULL).       */

static const char *const proto_names[] = {
	[IPPROTO_TCP] = "tcp",
	[IPPROTO_UDP] = "udp",
};
static const char *const fwd_names[] = {
	[EP_FWD_DSR] = "dsr",
	[EP_FWD_ENCAP] = "encap",
	[EP_FWD_NAT] = "nat",
};
static const char *const encap_names[] = {
	[CONFIG_ENCAP_IPIP] = "ipip",
	[CONFIG_ENCAP_GUE] = "gue",
};
static const char *const sched_names[] = {
	[EP_SCHED_MAGLEV] = "maglev",
	[EP_SCHED_RR] = "rr",
	[EP_SCHED_WRR] = "wrr",
	[EP_SCHED_LC] = "lc",
};
static const char *const affinity_names[] = {
	[CONFIG_AFFINITY_NONE] = "none",
	[CONFIG_AFFINITY_SOURCE_IP] = "source-ip",
};
static const char *const maglev_rebuild_names[] = {
	[CONFIG_MAGLEV_MINIMAL] = "minimal",
	[CONFIG_MAGLEV_FRESH] = "fresh",
};
/* The rule in node.maglev_rebuild's message (parse and validate). */
#define MAGLEV_REBUILD_RULE "must be \"minimal\" or \"fresh\""
static const char *const state_names[] = {
	[EP_BE_UP] = "up",
	[EP_BE_DOWN] = "down",
	[EP_BE_DRAIN] = "drain",
};

static const char *const on_down_names[] = {
	[CONFIG_ON_DOWN_KEEP] = "keep",
	[CONFIG_ON_DOWN_RESET] = "reset",
};

struct names {
	const char *const *v;
	size_t n;
};

#define NAMES(a)                                                               \
	(struct names)                                                         \
	{                                                                      \
		a, ARRAY_LEN(a)                                                \
	}

/* get_uint()/get_enum(): the field has no default. */
#define REQUIRED (-1)

/* ------------------------------------------------------------------ */
/* JSON -> struct ep_config: a service's health_check                   */

static const char *const health_type_names[] = {
	[HEALTH_NONE] = "none",
	[HEALTH_TCP] = "tcp",
	[HEALTH_HTTP] = "http",
	[HEALTH_HTTPS] = "https",
};

/* ------------------------------------------------------------------ */
/* Stable stats ids                                                     */

/* An identity: a service (name only) or a backend (name, address, port).
 * Built zeroed, so identities compare and hash as bytes. */
struct ids_key {
	char svc[EP_NAME_LEN];
	struct ep_ip addr;
	uint16_t port;
};

/* One id space. Every id is either live (owner[id] holds its identity,
 * index finds it) or in fifo[0..n_free), oldest free first. */
struct ids_table {
	uint32_t max; /* ids are 0..max-1 */
	uint32_t mask; /* index has mask + 1 slots, at least 2 * max */
	uint32_t *index; /* open addressing: id or IDS_NONE */
	struct ids_key *owner;
	uint8_t *live;
	uint32_t *fifo;
	uint32_t n_free;
	uint32_t *fifo_next; /* commit builds the new FIFO here, then swaps */
	uint8_t *live_next;
};

struct config_ids {
	struct ids_table svc;
	struct ids_table be;
};

/* config.c: errors, names, addresses, names and MACs. */

int cfg_fail(struct config_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int cfg_fail_at(struct config_error *err, const char *path, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

int cfg_fail_nomem(struct config_error *err);

const char *cfg_shown(const char *s, char buf[48]);

const char *cfg_index_path(char *buf, size_t cap, const char *prefix,
			   const char *key, uint32_t i);

const char *cfg_name_of(struct names t, unsigned int v);

int cfg_name_index(struct names t, const char *s);

const char *cfg_name_list(struct names t, char *buf, size_t cap);

bool cfg_ip_parse(const char *s, struct ep_ip *ip);

bool cfg_ip_equal(const struct ep_ip *a, const struct ep_ip *b);

struct ep_ip cfg_ip_flat(const struct ep_ip *ip);

const char *cfg_ip_str(const struct ep_ip *ip, char buf[INET6_ADDRSTRLEN]);

bool cfg_ip_valid(const struct ep_ip *ip);

bool cfg_ip_is_any(const struct ep_ip *ip);

bool cfg_ip_is_unicast(const struct ep_ip *ip);

bool cfg_ip_is_loopback(const struct ep_ip *ip);

const char *cfg_family_name(uint8_t family);

bool cfg_name_valid(const char name[EP_NAME_LEN]);

int cfg_hex_digit(char c);

bool cfg_mac_parse(const char *s, uint8_t mac[6]);

bool cfg_mac_is_unicast(const uint8_t mac[6]);

bool cfg_text_valid(const char *s, size_t cap);

/* scan.c: cJSON parse with the error offset, no trailing text. */
int cfg_json_load(const char *text, size_t len, cJSON **root,
		  struct config_error *err);

/* parse.c: the typed field readers; each names path.key in its error. */

/* "a string", "an object", ...: the JSON type of `v` for messages. */
const char *cfg_json_type(const cJSON *v);

int cfg_check_object(const cJSON *obj, const char *path,
		     const char *const known[], struct config_error *err);

const cJSON *cfg_field(const cJSON *obj, const char *key);

int cfg_get_uint(const cJSON *obj, const char *path, const char *key,
		 uint32_t min, uint32_t max, int64_t dflt, uint32_t *out,
		 struct config_error *err);

int cfg_get_str(const cJSON *obj, const char *path, const char *key,
		bool required, const char **out, struct config_error *err);

int cfg_get_text(const cJSON *obj, const char *path, const char *key,
		 bool required, char *dst, size_t cap,
		 struct config_error *err);

int cfg_get_enum(const cJSON *obj, const char *path, const char *key,
		 struct names t, int dflt, int *out, struct config_error *err);

/* health_check.c: a service's health_check. */

int cfg_parse_health_check(const cJSON *svc, const char *spath,
			   struct config_service *s, struct config_error *err);

int cfg_validate_health(const struct config_service *s, const char *path,
			struct config_error *err);

bool cfg_health_equal(const struct config_service *a,
		      const struct config_service *b);

/* registry.c: registered instances and registry_clients. */

struct jw_buf;

int cfg_parse_registration(const cJSON *be, const char *path,
			   struct config_backend *b, struct config_error *err);

int cfg_parse_registry_clients(const cJSON *svc, const char *path,
			       struct config_service *s,
			       struct config_error *err);

int cfg_validate_registry(const struct config_service *s, const char *path,
			  struct config_error *err);

void cfg_json_registration(struct jw_buf *b, const struct config_backend *be);

void cfg_json_registry_clients(struct jw_buf *b,
			       const struct config_service *s);

void cfg_registry_free_service(struct config_service *s);

int cfg_registry_copy_service(struct config_service *dst,
			      const struct config_service *src);

bool cfg_registration_equal(const struct config_backend *a,
			    const struct config_backend *b);

bool cfg_registry_clients_equal(const struct config_service *a,
				const struct config_service *b);
/* outlier.c: a service's outlier_detection (breaker.h). */

int cfg_parse_outlier(const cJSON *svc, const char *spath,
		      struct config_service *s, struct config_error *err);

int cfg_validate_outlier(const struct config_service *s, const char *path,
			 struct config_error *err);

bool cfg_outlier_equal(const struct config_service *a,
		       const struct config_service *b);

/* Its fields in canonical order: field i's key and value. */
size_t cfg_outlier_n_fields(void);
const char *cfg_outlier_field(const struct outlier_params *p, size_t i,
			      uint32_t *v);

/* FNV-1a over a fixed-size key: the hash of validate.c's clash table and
 * of ids.c's tables; inline, as it was before config.c was split, since
 * it runs once per service and backend. */
static inline uint32_t cfg_fnv1a(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* ids.c: identities and their id spaces, for flat.c. */

void cfg_ids_key_make(struct ids_key *k, const char *svc,
		      const struct ep_ip *addr, uint16_t port);

int cfg_ids_assign(const struct ids_table *t, const struct ids_key *keys,
		   uint32_t n, uint32_t *out);

void cfg_ids_apply(struct ids_table *t, const struct ids_key *keys,
		   const uint32_t *ids, uint32_t n);

/* Policing (policing.c, policing_form.c): the JSON keys of the limits,
 * indexed like the flat form's, and the names of their modes. */
static const char *const limit_keys[CONFIG_N_LIMITS] = {
	[CONFIG_LIMIT_PPS] = "packets_per_second",
	[CONFIG_LIMIT_BPS] = "bytes_per_second",
	[CONFIG_LIMIT_CPS] = "connections_per_second",
	[CONFIG_LIMIT_CLIENT_PPS] = "packets_per_second",
	[CONFIG_LIMIT_CLIENT_CPS] = "connections_per_second",
};

static const char *const mode_names[] = {
	[EP_LIMIT_TOKEN_BUCKET] = "token_bucket",
	[EP_LIMIT_LEAKY_BUCKET] = "leaky_bucket",
};

#endif /* EP_CONFIG_INT_H */
