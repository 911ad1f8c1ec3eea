/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policing part of the configuration (docs/config.md, "Policing"):
 * a service's rate limits and access list, and the global access list.
 * config.c calls these from its parse, validate, copy, compare, render,
 * flat and read-back steps, one line each; the rules live here.
 */
#ifndef EP_CONFIG_POLICING_H
#define EP_CONFIG_POLICING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ep_abi.h"

struct cJSON;
struct config_error;

/* Prefixes in every access list of a document together. */
#define CONFIG_MAX_ACL_PREFIXES (1u << 20)
/* Largest rate, and the longest a burst may last at its rate. */
#define CONFIG_LIMIT_MAX_RATE (1ull << 40)
#define CONFIG_LIMIT_MAX_BURST_S 600u

/* A service's limits, indexed like ep_cfg_service.limits. */
enum config_limit_kind {
	CONFIG_LIMIT_PPS = 0, /* packets/s */
	CONFIG_LIMIT_BPS = 1, /* bytes/s */
	CONFIG_LIMIT_CPS = 2, /* new connections/s */
	CONFIG_LIMIT_CLIENT_PPS = 3, /* per client: packets/s */
	CONFIG_LIMIT_CLIENT_CPS = 4, /* per client: new connections/s */
	CONFIG_N_LIMITS
};

#define CONFIG_CLIENT_V6_PREFIX_DEFAULT 64u

struct config_limit {
	uint8_t mode; /* EP_LIMIT_OFF (absent), _TOKEN_BUCKET, _LEAKY_BUCKET */
	uint64_t rate;
	uint64_t burst;
};

struct config_prefix {
	struct ep_ip addr; /* bits past depth are zero */
	uint8_t depth;
	uint8_t kind; /* EP_ACL_ALLOW or EP_ACL_DENY */
};

/* One access list object: its allow prefixes, then its deny prefixes. */
struct config_acl {
	uint32_t n_allow;
	uint32_t n_deny;
	struct config_prefix *prefixes; /* malloc'd, n_allow + n_deny */
};

struct config_svc_policing {
	struct config_limit limits[CONFIG_N_LIMITS];
	uint8_t client_v6_prefix; /* 1..128; 0 when no per-client limit */
	bool syn_proxy; /* "syn_proxy": SYN cookies, nat + tcp only */
	struct config_acl acl;
};

/* policing.syn_flood: the SYN-flood guard, per worker (0 = off). */
struct config_syn_guard {
	uint64_t rate; /* new TCP flows per second per worker */
	uint64_t burst;
};

/* policing.syn_cookie: the SYN-cookie secrets (128 bits each, k0 k1). */
struct config_syn_cookie {
	bool has_secret;
	bool has_previous; /* only with has_secret */
	uint64_t secret[2];
	uint64_t previous[2];
};

/* policing.per_client: per-client limits over every service, indexed by
 * enum ep_client_limit (packets/s, new connections/s). */
struct config_client_limits {
	struct config_limit limits[EP_CLIENT_LIMIT_N];
	uint8_t v6_prefix; /* 1..128; 0 when neither limit is on */
};

struct config_policing {
	struct config_acl acl; /* the global access list */
	struct config_client_limits per_client;
	struct config_syn_guard syn_guard;
	struct config_syn_cookie syn_cookie;
};

/*
 * A service's "limits" and "acl" (both optional) from its object `svc`
 * at `path` ("services[2]"). `*n_prefixes` counts the document's prefixes
 * so far, refused past CONFIG_MAX_ACL_PREFIXES. Returns 0, -EINVAL with
 * the field's path in `err`, or -ENOMEM.
 */
int cpol_parse_service(const struct cJSON *svc, const char *path,
		       struct config_svc_policing *p, uint32_t *n_prefixes,
		       struct config_error *err);

/*
 * A change of one service's policing (PATCH): `body` at `path` holds any
 * of "limits", "acl", "syn_proxy" (nothing else, at least one), each
 * replacing that part of `p` whole ("limits": {} and "acl": {} remove
 * them). `p` is changed only on success; the caller validates the
 * service after (syn_proxy needs nat). 0, -EINVAL with the field's path,
 * or -ENOMEM.
 */
int cpol_patch_service(const struct cJSON *body, const char *path,
		       struct config_svc_policing *p, struct config_error *err);

/*
 * A change of the global policing (PATCH /v1/policing): `body` holds any
 * of "acl", "per_client", "syn_flood", "syn_cookie" (nothing else, at
 * least one), each parsed as in the document's "policing" and replacing
 * that part of `p` whole (null removes a part; "acl": {} and
 * "per_client": {} also empty theirs). `p`
 * is changed only on success; the caller validates the configuration
 * after. 0, -EINVAL with the field's path, or -ENOMEM.
 */
int cpol_patch_global(const struct cJSON *body, struct config_policing *p,
		      struct config_error *err);

/* The root's "policing" object (optional), likewise. */
int cpol_parse_global(const struct cJSON *root, struct config_policing *p,
		      uint32_t *n_prefixes, struct config_error *err);

/* The same rules on a config built by code (config_validate()). */
int cpol_validate_service(const struct config_svc_policing *p, const char *path,
			  struct config_error *err);
int cpol_validate_global(const struct config_policing *p,
			 struct config_error *err);

/* "syn_proxy" needs "forwarding": "nat" and "protocol": "tcp". */
int cpol_validate_syn_proxy(const struct config_svc_policing *p,
			    const char *path, enum ep_fwd_mode fwd,
			    uint8_t proto, struct config_error *err);

void cpol_free_service(struct config_svc_policing *p);
void cpol_free_global(struct config_policing *p);

/* Deep copies; 0 or -ENOMEM (dst then holds nothing to free). */
int cpol_copy_service(struct config_svc_policing *dst,
		      const struct config_svc_policing *src);
int cpol_copy_global(struct config_policing *dst,
		     const struct config_policing *src);

bool cpol_equal_service(const struct config_svc_policing *a,
			const struct config_svc_policing *b);
bool cpol_equal_global(const struct config_policing *a,
		       const struct config_policing *b);

/*
 * Canonical JSON of what is set, as members to append to the service's
 * (or the root's) object: "" when nothing is, else ",\"limits\":{...}"
 * and/or ",\"acl\":{...}" (",\"policing\":{...}" for the root). A
 * malloc'd string, NULL when out of memory.
 */
char *cpol_json_service(const struct config_svc_policing *p);
char *cpol_json_global(const struct config_policing *p);

/* Flat form: a service's limits into its flat entry, and one access
 * list's rules (allow prefixes first), each naming `scope`, written at
 * `dst` (any alignment). */
void cpol_flat_service(const struct config_svc_policing *p,
		       struct ep_cfg_service *out);
static inline uint32_t cpol_acl_count(const struct config_acl *a)
{
	return a->n_allow + a->n_deny;
}
void cpol_flat_acl(const struct config_acl *a, uint32_t scope, void *dst);

/* The node-wide part of the flat form (the SYN-flood guard, SYN-cookie
 * secrets and global per-client limits), both ways. */
void cpol_flat_node(const struct config_policing *p, struct ep_cfg_node *out);
void cpol_from_flat_node(const struct ep_cfg_node *in,
			 struct config_policing *p);

/* Read back: a service's limits from its flat entry, and one flat rule
 * appended to its list (its list's allows come before its denies). 0,
 * -EINVAL (an allow after a deny, an unknown kind) or -ENOMEM. */
void cpol_from_flat_service(const struct ep_cfg_service *in,
			    struct config_svc_policing *p);
int cpol_from_flat_rule(const struct ep_cfg_acl_rule *r, struct config_acl *a);

/* "10.0.0.0/8" or "2001:db8::/32" into `out` (kind untouched); false when
 * it is not a prefix whose bits past the length are zero. */
bool cpol_prefix_parse(const char *s, struct config_prefix *out, char *why,
		       size_t why_len);

#endif /* EP_CONFIG_POLICING_H */
