/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration: the JSON document (file or API) parsed and validated into
 * struct ep_config, translated to the flat binary form of ep_abi.h that the
 * fast path loads, read back from it, and rendered as canonical JSON. The
 * slow path is the only writer of configuration; every change goes through
 * config_parse()/config_validate() before config_to_flat(). The schema and
 * every rule are in docs/config.md.
 */
#ifndef EP_CONFIG_H
#define EP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_policing.h"
#include "ep_abi.h"
#include "breaker.h"
#include "health.h"

#define CONFIG_MAX_BYTES (1u << 20) /* larger documents are refused */
#define CONFIG_MAX_DEPTH 16u /* deepest [ / { nesting accepted */
#define CONFIG_MAX_LISTENERS 8u
#define CONFIG_MAX_SUBJECTS 16u /* per role */
#define CONFIG_PATH_LEN 256u /* file paths, with the NUL */
#define CONFIG_SUBJECT_LEN 256u /* certificate subjects, with the NUL */
#define CONFIG_UNIX_PATH_LEN 108u /* sizeof(sun_path), with the NUL */
#define CONFIG_GUE_PORT_DEFAULT 6080u

/* The service registry (docs/config.md, "Registered instances"). */
#define CONFIG_REG_ID_LEN 17u /* 16 lowercase hex digits, with the NUL */
#define CONFIG_REG_TTL_MIN_S 1u
#define CONFIG_REG_TTL_MAX_S 3600u
#define CONFIG_REG_TTL_DEFAULT_S 15u /* Nacos: unhealthy after 15 s */
/* a registered instance's priority is its backend's tier */
#define CONFIG_REG_PRIORITY_MAX EP_BE_PRIORITY_MAX
#define CONFIG_REG_META_MAX 8u /* metadata entries per instance */
#define CONFIG_REG_META_KEY_LEN 32u /* with the NUL */
#define CONFIG_REG_META_VALUE_LEN 128u /* with the NUL */
#define CONFIG_REG_CLIENTS_MAX 16u /* registry_clients per service */

/* Why a function refused its input: "services[2].port: must be 0..65535". */
struct config_error {
	char msg[256];
};

enum config_encap {
	CONFIG_ENCAP_IPIP = 0, /* IP-in-IP; the only value for dsr/nat */
	CONFIG_ENCAP_GUE = 1,
};

enum config_affinity {
	CONFIG_AFFINITY_NONE = 0,
	CONFIG_AFFINITY_SOURCE_IP = 1,
};

/* services[].on_down: what a backend's established flows get when its
 * health checks take it down. */
enum config_on_down {
	CONFIG_ON_DOWN_KEEP = 0, /* they stay until they end */
	CONFIG_ON_DOWN_RESET = 1, /* reset (TCP) or forgotten (UDP) */
};

/* node.maglev_rebuild: how a changed service's Maglev table is made. */
enum config_maglev_rebuild {
	CONFIG_MAGLEV_MINIMAL = 0, /* from the previous table: fewest moves */
	CONFIG_MAGLEV_FRESH = 1, /* from the backend set alone */
};

/*
 * A backend that registered itself (POST /v1/registry/...): its instance
 * id, TTL and what it announced. The TTL's deadline is not here: it is
 * the API's, in memory (registry.h), so a heartbeat changes no document.
 */
struct config_registration {
	char id[CONFIG_REG_ID_LEN];
	uint32_t ttl_s; /* CONFIG_REG_TTL_MIN_S..CONFIG_REG_TTL_MAX_S */
	uint32_t priority; /* 0..CONFIG_REG_PRIORITY_MAX, 0 preferred */
	uint32_t n_meta;
	char meta_key[CONFIG_REG_META_MAX][CONFIG_REG_META_KEY_LEN];
	char meta_value[CONFIG_REG_META_MAX][CONFIG_REG_META_VALUE_LEN];
};

struct config_backend {
	struct ep_ip addr;
	uint16_t port; /* 0 = the packet's own port */
	uint16_t weight; /* 0 = no new flows */
	enum ep_backend_state state;
	bool has_mac; /* mac is a static neighbour entry */
	uint8_t mac[6];
	/* malloc'd, NULL for a configured backend; zeroed before filled, so
	 * registrations compare as bytes */
	struct config_registration *reg;
	uint8_t priority; /* tier, 0 (preferred) .. EP_BE_PRIORITY_MAX */
};

struct config_service {
	char name[EP_NAME_LEN]; /* 1..31 of [A-Za-z0-9_.-], NUL-terminated */
	struct ep_ip vip;
	uint16_t port; /* 0 = every port */
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	enum ep_fwd_mode fwd;
	enum config_encap encap;
	enum ep_sched sched;
	enum config_affinity affinity;
	uint32_t maglev_size; /* prime, n_backends..EP_MAGLEV_MAX_SIZE */
	/* health_check (type HEALTH_NONE when absent) and its
	 * panic_threshold_percent, 0..100 */
	struct health_params health;
	uint32_t panic_percent;
	/* outlier_detection (enabled false when absent): breaker.h */
	struct outlier_params outlier;
	enum config_on_down on_down;
	uint32_t n_backends;
	struct config_backend *backends; /* malloc'd, n_backends long */
	struct config_svc_policing pol; /* "limits", "acl" */
	/* "registry_clients": identities that may register into it (none:
	 * any client with the registry role); malloc'd */
	uint32_t n_registry_clients;
	char (*registry_clients)[CONFIG_SUBJECT_LEN];
};

struct config_node_addr {
	struct ep_ip addr;
	uint16_t port_id; /* DPDK port */
};

struct config_node {
	uint32_t n_addrs;
	struct config_node_addr addrs[EP_MAX_NODE_ADDRS];
	uint16_t backend_port; /* DPDK port towards the backends */
	uint16_t gue_port;
	struct ep_ip encap_src4; /* family 0 = not configured */
	struct ep_ip encap_src6;
	enum config_maglev_rebuild maglev_rebuild; /* EP_NODE_F_MAGLEV_FRESH */
};

struct config_listener {
	bool is_unix;
	char unix_path[CONFIG_UNIX_PATH_LEN]; /* is_unix only */
	struct ep_ip addr; /* !is_unix: address and port */
	uint16_t port;
	bool tls;
};

/* The control API's own settings; not part of the flat form. */
struct config_api {
	bool present; /* the document has an "api" object */
	uint32_t n_listeners;
	struct config_listener listeners[CONFIG_MAX_LISTENERS];
	bool has_tls; /* the document has "api.tls" */
	char certificate[CONFIG_PATH_LEN];
	char private_key[CONFIG_PATH_LEN];
	char client_ca[CONFIG_PATH_LEN]; /* "" = no mutual TLS */
	uint32_t n_admin_subjects;
	char admin_subjects[CONFIG_MAX_SUBJECTS][CONFIG_SUBJECT_LEN];
	uint32_t n_reader_subjects;
	char reader_subjects[CONFIG_MAX_SUBJECTS][CONFIG_SUBJECT_LEN];
	uint32_t n_registry_subjects; /* the registry role */
	char registry_subjects[CONFIG_MAX_SUBJECTS][CONFIG_SUBJECT_LEN];
};

/* A whole configuration. Zero-initialise before use; release with
 * config_free(). Services keep the document's order. */
struct ep_config {
	struct config_node node;
	uint32_t n_services;
	struct config_service *services; /* malloc'd, n_services long */
	struct config_api api;
	struct config_policing pol; /* "policing" */
};

/*
 * Parse and fully validate one JSON document of `len` bytes (no NUL
 * needed). On success fills `out` (which it overwrites) and returns 0; on
 * failure `out` holds nothing to free, `err` (may be NULL) names the field
 * and the rule, and the result is -EINVAL, -EMSGSIZE (document larger than
 * CONFIG_MAX_BYTES) or -ENOMEM.
 */
int config_parse(const char *text, size_t len, struct ep_config *out,
		 struct config_error *err);

/*
 * The strict RFC 8259 check every JSON text gets before cJSON sees it:
 * one value and nothing after it but whitespace; strings valid UTF-8
 * (RFC 3629) without control characters, \u0000 or unpaired surrogate
 * escapes; numbers in JSON's grammar only (no 0443, +1, .5, 5., hex);
 * at most CONFIG_MAX_DEPTH levels of nesting. `err` (may be NULL) gets
 * "PATH: what at byte N", PATH being `prefix` (the text's own path, ""
 * for a whole document) followed by the keys and indices down to the
 * value at fault, or "document". Returns 0 or -EINVAL.
 */
int config_json_check(const char *text, size_t len, const char *prefix,
		      struct config_error *err);

struct cJSON;

/*
 * config_parse() of a document the caller has parsed already: `root` is
 * cJSON_ParseWithLengthOpts() of exactly `text` and `len`, accepted whole
 * (nothing but whitespace after the value). The same checks, results and
 * messages as config_parse(), without a second parse; `root` is only
 * read, and stays the caller's.
 */
int config_parse_tree(const char *text, size_t len, const struct cJSON *root,
		      struct ep_config *out, struct config_error *err);

/*
 * Check every semantic rule of docs/config.md on an in-memory config
 * (for configs built or edited by code rather than parsed). Returns 0,
 * -EINVAL with `err` naming the field as the JSON path would, or -ENOMEM.
 */
int config_validate(const struct ep_config *cfg, struct config_error *err);

/*
 * config_validate()'s rules for service i alone: enough after an edit of
 * its backends' weight, state or priority, which no rule between
 * services reads.
 */
int config_validate_service(const struct ep_config *cfg, uint32_t i,
			    struct config_error *err);

/* Release what `cfg` owns and zero it. Safe on a zeroed config. */
void config_free(struct ep_config *cfg);

/* Deep copy `src` into `dst` (overwritten). Returns 0 or -ENOMEM. */
int config_copy(struct ep_config *dst, const struct ep_config *src);

/* True when both describe the same configuration, field by field. */
bool config_equal(const struct ep_config *a, const struct ep_config *b);

/*
 * Canonical JSON for `cfg` (which must pass config_validate()): fixed
 * field order, every defaulted field written out, addresses in inet_ntop
 * form. config_parse() accepts it and yields an equal config. Returns a
 * malloc'd string (release with free()) or NULL when out of memory.
 */
char *config_to_json(const struct ep_config *cfg);

/*
 * Service i's records in `flat` (a flat form of a configuration that
 * differs from cfg at most in service i's backends' weight, state and
 * priority) rewritten from cfg, keeping their stats ids; the header
 * takes `version`. Returns 0, or -EINVAL with flat unchanged when its
 * layout is not cfg's.
 */
int config_flat_rewrite_service(const struct ep_config *cfg, uint32_t i,
				uint64_t version, void *flat, size_t len,
				struct config_error *err);

/* The canonical JSON (as config_to_json() writes it) of service i, or of
 * its backend b when b >= 0; malloc'd, NULL when out of memory. */
char *config_item_to_json(const struct ep_config *cfg, uint32_t i, int64_t b);

/*
 * Stable stats_id allocator: services are keyed by name (ids below
 * EP_MAX_SERVICES), backends by (service name, address, port) (ids below
 * EP_MAX_BACKENDS). An identity that stays keeps its id; a removed one's id
 * goes to the back of a FIFO of free ids, so it is handed out again only
 * after every other free id has been used once and a counter slot is not
 * reused straight away.
 */
struct config_ids;

/* A new allocator with every id free, in ascending order. NULL: no memory. */
struct config_ids *config_ids_create(void);

void config_ids_destroy(struct config_ids *ids);

/*
 * Make `ids` reflect the flat configuration `buf` (len bytes): its stats
 * ids become the ones in use, ids no longer used are freed. Call it once a
 * flat config from config_to_flat() is in force (the fast path accepted
 * it), or after a slow-path restart with the flat config the fast path
 * holds. Validates `buf` as config_from_flat() does; returns 0, -EINVAL
 * (ids unchanged) or -ENOMEM (ids unchanged).
 */
int config_ids_commit(struct config_ids *ids, const void *buf, size_t len,
		      struct config_error *err);

/* Bytes config_to_flat() writes for `cfg`. */
size_t config_flat_size(const struct ep_config *cfg);

/*
 * Validate `cfg` and write its flat form (header, node addresses,
 * services, backends) with configuration `version` into `buf` (`cap`
 * bytes; any alignment). Stats ids come from `ids`, which is only read:
 * identities it knows keep their id, new ones take free ids from the FIFO
 * head, then ids of identities absent from `cfg`. NULL `ids` numbers from
 * 0 in order. `*len_out` gets the size needed, also on -ENOSPC.
 * Returns 0, -EINVAL, -ENOSPC or -ENOMEM.
 */
int config_to_flat(const struct ep_config *cfg, uint64_t version,
		   const struct config_ids *ids, void *buf, size_t cap,
		   size_t *len_out, struct config_error *err);

/*
 * Read a flat configuration (`len` bytes, any alignment) back into `out`
 * (overwritten; names and all, api absent). The buffer is untrusted: magic,
 * ABI version, lengths, offsets, counts, backend ranges, enums and stats
 * ids are checked, then config_validate(). Returns 0, -EINVAL or -ENOMEM;
 * on failure `out` holds nothing to free.
 */
int config_from_flat(const void *buf, size_t len, struct ep_config *out,
		     struct config_error *err);

/* ------------------------------------------------------------------ */
/* The service registry (registry.c)                                    */

/*
 * The body of POST /v1/registry/services/NAME/instances: {address, port,
 * weight, priority, metadata, ttl}, address required, nothing else.
 * Fills `b` (overwritten; b->reg malloc'd, its id left empty) or returns
 * -EINVAL with `err` naming path.FIELD, or -ENOMEM (nothing to free).
 */
int config_instance_parse(const struct cJSON *body, const char *path,
			  struct config_backend *b, struct config_error *err);

/* Free what a backend owns (its registration) and clear the pointer. */
void config_backend_release(struct config_backend *b);

/* `id` is an instance id: 16 lowercase hex digits. */
bool config_instance_id_valid(const char *id);

/* The index in `s` of the registered backend with this id, or -1. */
int config_instance_find(const struct config_service *s, const char *id);

/* `subject` may register into `s` (its registry_clients, if any). */
bool config_registry_client_allowed(const struct config_service *s,
				    const char *subject);

#endif /* EP_CONFIG_H */
