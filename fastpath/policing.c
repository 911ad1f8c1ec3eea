/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policing's part of a snapshot build (policing.h): each service's limits
 * from the flat configuration, the access list compiled or shared with
 * the previous snapshot, and the state that outlives snapshots.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "policing.h"

_Static_assert((int)EP_LIMIT_TOKEN_BUCKET == (int)POLICER_TOKEN_BUCKET &&
		       (int)EP_LIMIT_LEAKY_BUCKET ==
			       (int)POLICER_LEAKY_BUCKET &&
		       (int)EP_LIMIT_OFF == (int)POLICER_OFF,
	       "flat limit modes are the policer's");
_Static_assert(EP_ACL_DENY == ACL_DENY && EP_ACL_ALLOW == ACL_ALLOW,
	       "flat ACL kinds are acl.h's");
_Static_assert(EP_MAX_SERVICES <= ACL_SCOPE_GLOBAL,
	       "stats ids fit an ACL scope");
_Static_assert(EP_MAX_SERVICES <= CL_SCOPE_GLOBAL,
	       "no stats id is the global client scope");
_Static_assert((int)EP_CLIENT_LIMIT_PPS == (int)CL_PPS &&
		       (int)EP_CLIENT_LIMIT_CPS == (int)CL_CPS &&
		       (int)EP_CLIENT_LIMIT_N == (int)CL_N_LIMITS &&
		       (int)EP_LIMIT_CLIENT_CPS - (int)EP_LIMIT_CLIENT_PPS ==
			       (int)CL_CPS,
	       "client limits are indexed like clientlimit.h's");

struct policer_shared *pol_shared;
struct pol_worker_state pol_workers[EP_MAX_WORKERS];

static const char *const limit_names[EP_LIMIT_N] = {
	[EP_LIMIT_PPS] = "packets_per_second",
	[EP_LIMIT_BPS] = "bytes_per_second",
	[EP_LIMIT_CPS] = "connections_per_second",
	[EP_LIMIT_CLIENT_PPS] = "per_client.packets_per_second",
	[EP_LIMIT_CLIENT_CPS] = "per_client.connections_per_second",
};

static int fail(char *err, size_t err_len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t err_len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return rc;
}

static int build_limits(struct pol_snapshot *ps, const uint8_t *base,
			const struct ep_cfg_hdr *h, uint32_t n_workers,
			uint64_t tsc_hz, char *err, size_t err_len)
{
	uint32_t any = 0;

	for (uint32_t i = 0; i < h->n_services; i++) {
		struct ep_cfg_service sv;

		memcpy(&sv, base + h->off_services + (size_t)i * sizeof(sv),
		       sizeof(sv));
		for (uint32_t k = 0; k < EP_LIMIT_N; k++)
			any |= sv.limits[k].mode;
	}
	if (any == 0)
		return 0;
	ps->svc = rte_zmalloc("ep_pol_services",
			      (size_t)h->n_services * sizeof(*ps->svc), 64);
	if (ps->svc == NULL)
		return fail(err, err_len, -ENOMEM,
			    "out of memory for the services' limits");
	for (uint32_t i = 0; i < h->n_services; i++) {
		struct ep_cfg_service sv;

		memcpy(&sv, base + h->off_services + (size_t)i * sizeof(sv),
		       sizeof(sv));
		for (uint32_t k = 0; k < EP_LIMIT_N; k++) {
			struct policer_params pp = {
				.mode = sv.limits[k].mode,
				.rate = sv.limits[k].rate,
				.burst = sv.limits[k].burst,
				.max_cost = k == EP_LIMIT_BPS ? POLICER_MAX_COST
							      : 1,
				/* Client limits are per worker table. */
			};

			if (policer_cfg_init(&ps->svc[i].lim[k], &pp, tsc_hz,
					     n_workers) != 0)
				return fail(err, err_len, -EINVAL,
					    "services[%u].limits.%s: rate %llu "
					    "with burst %llu is out of range",
					    i, limit_names[k],
					    (unsigned long long)pp.rate,
					    (unsigned long long)pp.burst);
			if (k >= EP_LIMIT_CLIENT_PPS)
				ps->svc[i].any_client |=
					pp.mode != EP_LIMIT_OFF;
			else
				ps->svc[i].any |= pp.mode != EP_LIMIT_OFF;
		}
		/* A NAT flow's replies do not name their service: with a NAT
		 * service's client limits, every flow is owned by address. */
		ps->own_by_address |=
			sv.fwd_mode == EP_FWD_NAT && ps->svc[i].any_client;
		cl_prefix_init(&ps->svc[i].client,
			       sv.client_v6_prefix ? sv.client_v6_prefix
						   : CL_DEFAULT_V6_PREFIX);
	}
	return 0;
}

/* policing.per_client: the limits every service's clients share. */
static int build_global_client(struct pol_snapshot *ps,
			       const struct ep_cfg_node *n, uint32_t n_workers,
			       uint64_t tsc_hz, char *err, size_t err_len)
{
	static const char *const names[CL_N_LIMITS] = {
		[CL_PPS] = "packets_per_second",
		[CL_CPS] = "connections_per_second",
	};

	for (uint32_t k = 0; k < CL_N_LIMITS; k++) {
		struct policer_params pp = {
			.mode = n->client_limits[k].mode,
			.rate = n->client_limits[k].rate,
			.burst = n->client_limits[k].burst,
			.max_cost = 1,
		};

		if (policer_cfg_init(&ps->client_lim[k], &pp, tsc_hz,
				     n_workers) != 0)
			return fail(err, err_len, -EINVAL,
				    "policing.per_client.%s: rate %llu with "
				    "burst %llu is out of range",
				    names[k], (unsigned long long)pp.rate,
				    (unsigned long long)pp.burst);
		ps->any_global_client |= pp.mode != EP_LIMIT_OFF;
	}
	ps->own_by_address |= ps->any_global_client;
	cl_prefix_init(&ps->global_client, n->client_v6_prefix
						   ? n->client_v6_prefix
						   : CL_DEFAULT_V6_PREFIX);
	return 0;
}

/* The flat rules as acl_build() takes them (scopes as stats ids). */
static int read_rules(const uint8_t *base, const struct ep_cfg_hdr *h,
		      const uint32_t *stats_ids, struct acl_rule *out,
		      char *err, size_t err_len)
{
	for (uint32_t i = 0; i < h->n_acl_rules; i++) {
		struct ep_cfg_acl_rule r;

		memcpy(&r, base + h->off_acl_rules + (size_t)i * sizeof(r),
		       sizeof(r));
		memset(&out[i], 0, sizeof(out[i]));
		if (r.scope != EP_ACL_SCOPE_GLOBAL && r.scope >= h->n_services)
			return fail(err, err_len, -EINVAL,
				    "acl_rules[%u]: scope %u is no service", i,
				    r.scope);
		memcpy(out[i].addr, r.prefix.bytes, 16);
		out[i].family = r.prefix.family;
		out[i].depth = r.depth;
		out[i].kind = r.kind;
		out[i].scope = r.scope == EP_ACL_SCOPE_GLOBAL
				       ? ACL_SCOPE_GLOBAL
				       : (uint16_t)stats_ids[r.scope];
	}
	return 0;
}

static void acl_ref_put(struct pol_acl_ref *r)
{
	if (r == NULL || --r->refs > 0)
		return;
	acl_free(r->acl);
	free(r->rules);
	free(r);
}

/* The last access list generation handed out (main lcore only). */
static uint32_t acl_generations;

static int build_acl(struct pol_snapshot *ps, const uint8_t *base,
		     const struct ep_cfg_hdr *h, const uint32_t *stats_ids,
		     const struct pol_snapshot *prev, char *err, size_t err_len)
{
	struct pol_acl_ref *r;
	struct acl_rule *rules;
	int rc;

	if (h->n_acl_rules == 0)
		return 0;
	rules = calloc(h->n_acl_rules, sizeof(*rules));
	if (rules == NULL)
		return fail(err, err_len, -ENOMEM,
			    "out of memory for %u ACL rules", h->n_acl_rules);
	rc = read_rules(base, h, stats_ids, rules, err, err_len);
	if (rc) {
		free(rules);
		return rc;
	}
	/* The same rules as in force: share the compiled list. */
	if (prev && prev->acl_ref && prev->acl_ref->n_rules == h->n_acl_rules &&
	    memcmp(prev->acl_ref->rules, rules,
		   (size_t)h->n_acl_rules * sizeof(*rules)) == 0) {
		free(rules);
		ps->acl_ref = prev->acl_ref;
		ps->acl_ref->refs++;
		ps->acl = ps->acl_ref->acl;
		ps->acl_gen = ps->acl_ref->gen;
		return 0;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		free(rules);
		return fail(err, err_len, -ENOMEM, "out of memory for the ACL");
	}
	r->rules = rules;
	r->n_rules = h->n_acl_rules;
	r->refs = 1;
	rc = acl_build(rules, h->n_acl_rules, SOCKET_ID_ANY, &r->acl, err,
		       err_len);
	if (rc) {
		acl_ref_put(r);
		return rc;
	}
	/* Flows stamped with an earlier list look this one up again. */
	if (++acl_generations == 0)
		acl_generations = 1;
	r->gen = acl_generations;
	ps->acl_ref = r;
	ps->acl = r->acl;
	ps->acl_gen = r->gen;
	return 0;
}

/* The key cookies are made with when the configuration sets none: drawn
 * once per process, so it holds across configuration changes. */
static struct syncookie_key boot_cookie_key;
static int boot_cookie_key_set;

static int cookie_secrets(struct pol_snapshot *ps, const struct ep_cfg_node *n,
			  char *err, size_t err_len)
{
	struct timespec ts;

	if (n->syn_cookie_flags & EP_SYN_COOKIE_F_KEY) {
		ps->cookie.cur.k0 = n->syn_cookie_key[0];
		ps->cookie.cur.k1 = n->syn_cookie_key[1];
	} else {
		if (!boot_cookie_key_set &&
		    getrandom(&boot_cookie_key, sizeof(boot_cookie_key), 0) !=
			    (ssize_t)sizeof(boot_cookie_key))
			return fail(err, err_len, -EIO,
				    "no random bytes for the SYN-cookie key");
		boot_cookie_key_set = 1;
		ps->cookie.cur = boot_cookie_key;
	}
	if (n->syn_cookie_flags & EP_SYN_COOKIE_F_PREV) {
		ps->cookie.prev.k0 = n->syn_cookie_prev[0];
		ps->cookie.prev.k1 = n->syn_cookie_prev[1];
		ps->cookie.has_prev = 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ps->clock_tsc = rte_rdtsc();
	ps->clock_unix_ns =
		(uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return 0;
}

/*
 * What established flows pay per service (enum pol_flow_check), and the
 * access-list stamp their records must hold. Every service gets its
 * checks while anything is on, so the flow path never asks for NULL.
 */
static int plan_flows(struct pol_snapshot *ps, uint32_t n_services, char *err,
		      size_t err_len)
{
	ps->acl_stamp = ps->acl != NULL ? ps->acl_gen : 0;
	if (n_services == 0)
		return 0;
	if (ps->svc == NULL && (ps->acl != NULL || ps->any_global_client)) {
		ps->svc =
			rte_zmalloc("ep_pol_services",
				    (size_t)n_services * sizeof(*ps->svc), 64);
		if (ps->svc == NULL)
			return fail(err, err_len, -ENOMEM,
				    "out of memory for the services' limits");
	}
	for (uint32_t i = 0; ps->svc != NULL && i < n_services; i++) {
		struct pol_service *p = &ps->svc[i];

		p->flow_checks =
			(p->lim[EP_LIMIT_PPS].mode != POLICER_OFF ? POL_FC_PPS
								  : 0) |
			(p->lim[EP_LIMIT_BPS].mode != POLICER_OFF ? POL_FC_BPS
								  : 0) |
			(p->any_client ? POL_FC_CLIENT : 0) |
			(ps->any_global_client ? POL_FC_GLOBAL_CLIENT : 0);
	}
	return 0;
}

int pol_build(struct pol_snapshot *ps, const uint8_t *base,
	      const struct ep_cfg_hdr *h, const uint32_t *stats_ids,
	      const struct pol_snapshot *prev, uint32_t n_workers,
	      uint64_t tsc_hz, char *err, size_t err_len)
{
	int rc;

	memset(ps, 0, sizeof(*ps));
	if (pol_shared == NULL) {
		pol_shared = policer_shared_create("ep_policer",
						   EP_MAX_SERVICES * EP_LIMIT_N,
						   SOCKET_ID_ANY, rte_rdtsc());
		if (pol_shared == NULL)
			return fail(err, err_len, -ENOMEM,
				    "out of memory for the rate limits");
	}
	if (h->node.syn_guard_rate) {
		struct policer_params pp = { .mode = POLICER_TOKEN_BUCKET,
					     .rate = h->node.syn_guard_rate,
					     .burst = h->node.syn_guard_burst,
					     .max_cost = 1 };

		if (policer_cfg_init(&ps->syn_guard, &pp, tsc_hz, 1) != 0)
			return fail(err, err_len, -EINVAL,
				    "policing.syn_flood: rate %llu with burst "
				    "%llu is out of range",
				    (unsigned long long)pp.rate,
				    (unsigned long long)pp.burst);
	}
	rc = cookie_secrets(ps, &h->node, err, err_len);
	if (rc == 0)
		rc = build_limits(ps, base, h, n_workers, tsc_hz, err, err_len);
	if (rc == 0)
		rc = build_global_client(ps, &h->node, n_workers, tsc_hz, err,
					 err_len);
	if (rc == 0)
		rc = build_acl(ps, base, h, stats_ids, prev, err, err_len);
	if (rc == 0)
		rc = plan_flows(ps, h->n_services, err, err_len);
	if (rc)
		pol_free(ps);
	else
		ps->any = ps->acl != NULL || ps->svc != NULL ||
			  ps->any_global_client;
	return rc;
}

void pol_free(struct pol_snapshot *ps)
{
	rte_free(ps->svc);
	acl_ref_put(ps->acl_ref);
	memset(ps, 0, sizeof(*ps));
}

void pol_refresh(uint64_t now_tsc)
{
	if (pol_shared)
		policer_refresh(pol_shared, EP_MAX_SERVICES * EP_LIMIT_N,
				now_tsc);
}

void pol_teardown(void)
{
	policer_shared_free(pol_shared);
	pol_shared = NULL;
	memset(pol_workers, 0, sizeof(pol_workers));
}
