/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policing in the pipeline: what a snapshot holds of it (each service's
 * limits in the workers' form, one compiled access list shared by
 * consecutive snapshots while its rules stay the same) and the state that
 * outlives snapshots (the shared GCRA times, per service stats id, and
 * every worker's unspent leases), so a configuration change keeps every
 * limit's history and loses no packet. policing.c builds on the main
 * lcore; the per-packet checks are inline below, called by the worker
 * before it makes any state for a packet.
 */
#ifndef EP_POLICING_H
#define EP_POLICING_H

#include <stdint.h>

#include "acl.h"
#include "clientlimit.h"
#include "ep_abi.h"
#include "policer.h"
#include "syncookie.h"

/* What a check refused (the worker counts each as a drop reason). */
enum pol_verdict {
	POL_PASS = 0,
	POL_ACL, /* denied by the global or the service's access list */
	POL_RATE_PPS, /* over the service's packets/s */
	POL_RATE_BPS, /* over the service's bytes/s */
	POL_RATE_CPS, /* over the service's new connections/s */
	POL_RATE_CLIENT, /* over a per-client limit of the service */
	POL_RATE_CLIENT_GLOBAL, /* over a per-client limit of every service */
	POL_SYN_FLOOD, /* a new SYN over the guard, no stateless way */
};

/* A compiled access list and the rules it came from (to share it). */
struct pol_acl_ref {
	struct acl *acl;
	uint32_t gen; /* this list's generation (never 0) */
	uint32_t refs; /* snapshots holding it (main lcore only) */
	uint32_t n_rules;
	struct acl_rule *rules; /* scopes as stats ids, in flat order */
};

/*
 * What an established flow's packet to a service pays, worked out once
 * per snapshot (pol_build()) so that pol_check_flow() runs only the
 * checks that apply instead of asking every limit whether it is on.
 */
enum pol_flow_check {
	POL_FC_PPS = 1 << 0, /* the service's packets/s */
	POL_FC_BPS = 1 << 1, /* its bytes/s */
	POL_FC_CLIENT = 1 << 2, /* its per-client limits */
	POL_FC_GLOBAL_CLIENT = 1 << 3, /* every service's per-client limits */
};

struct pol_service {
	struct policer_cfg lim[EP_LIMIT_N];
	struct cl_prefix client; /* per-client: how addresses make clients */
	uint8_t any; /* a service-wide limit is on */
	uint8_t any_client; /* a per-client limit is on */
	uint8_t flow_checks; /* enum pol_flow_check */
};

struct pol_snapshot {
	struct policer_cfg syn_guard; /* per worker; mode OFF: no guard */
	/* SYN cookies: the secrets, and the wall clock at a TSC value (the
	 * cookie's time slot is wall-clock time, shared between nodes). */
	struct syncookie_secrets cookie;
	uint64_t clock_tsc;
	uint64_t clock_unix_ns;
	struct pol_service *svc; /* by service index; NULL: no limits */
	/* policing.per_client: a client's packets/s and new connections/s
	 * over every service (enum cl_limit), under CL_SCOPE_GLOBAL in the
	 * workers' client tables. */
	struct policer_cfg client_lim[CL_N_LIMITS];
	uint8_t any_global_client; /* a global per-client limit is on */
	struct cl_prefix global_client; /* how its addresses make clients */
	/* Every flow (NAT replies by the address they go to) is owned by
	 * its client's address: a global per-client limit, or a NAT
	 * service's own, is on. */
	uint8_t own_by_address;
	const struct acl *acl; /* NULL: no access list */
	struct pol_acl_ref *acl_ref;
	/* The access list's generation: a new one for every list compiled,
	 * so a flow that passed this generation need not be looked up
	 * again (pol_check_packet's stamp). */
	uint32_t acl_gen;
	/* What a flow's record must hold to skip the access list: acl_gen,
	 * or 0 with no list (records start at 0). */
	uint32_t acl_stamp;
	uint8_t any; /* an access list or any limit is on (svc is then
		      * never NULL: every service has its flow_checks) */
};

/*
 * Words of a connection record's key line (ct_rec.aux) that keep what
 * policing learnt about the flow's forward entry, so that an established
 * flow's packets skip the lookups: the access list generation it last
 * passed, and its client entries (index + 1, 0 for none) in the
 * service's and the global scope. The SYN proxy owns the same words while
 * CT_F_SP_WAIT is set and zeroes them when it lets go (synproxy.c); the
 * worker zeroes them in every entry it makes. A client hint is only a
 * hint: it is checked against the entry it names.
 */
enum pol_aux {
	POL_AUX_ACL = 0,
	POL_AUX_CLIENT = 1,
	POL_AUX_CLIENT_GLOBAL = 2,
	POL_AUX_N
};

/* Shared GCRA times, [stats id * EP_LIMIT_N + limit]; made by the first
 * pol_build() and kept until pol_teardown(). */
extern struct policer_shared *pol_shared;

/* Every worker's unspent leases: written by that worker only. */
struct pol_worker_state {
	struct policer_local lim[EP_MAX_SERVICES][EP_LIMIT_N];
	uint64_t syn_tat; /* the SYN-flood guard's GCRA time */
} __attribute__((aligned(64)));

extern struct pol_worker_state pol_workers[EP_MAX_WORKERS];

/*
 * Build `ps` for the services `stats_ids[0..n)` (flat order) from the
 * checked flat configuration at `base` (header `h`): limits for
 * `n_workers` workers and a TSC of `tsc_hz`, and the access list, shared
 * with `prev` (may be NULL) when its rules are the same. Returns 0, or a
 * negative errno with a sentence in `err` (and `ps` holds nothing).
 */
int pol_build(struct pol_snapshot *ps, const uint8_t *base,
	      const struct ep_cfg_hdr *h, const uint32_t *stats_ids,
	      const struct pol_snapshot *prev, uint32_t n_workers,
	      uint64_t tsc_hz, char *err, size_t err_len);

/* Drop what `ps` holds (the access list with its last snapshot). */
void pol_free(struct pol_snapshot *ps);

/* Keep idle shared limits from ageing past a wrap (main lcore, hourly). */
void pol_refresh(uint64_t now_tsc);

/* Free the shared state (after the last snapshot is gone). */
void pol_teardown(void);

/* The limits of the service with index `svc_index`, or NULL for none. */
static inline const struct pol_service *
pol_service_of(const struct pol_snapshot *ps, uint32_t svc_index)
{
	return ps->svc != NULL ? &ps->svc[svc_index] : NULL;
}

/*
 * Check a packet of `len` bytes from `src` to the service with limits `p`
 * (pol_service_of()) and stats id `sid` on worker `worker` at TSC `now`:
 * the access lists, then the packets/s and bytes/s limits. Charges the
 * limits only when every check passes up to them. `*acl_stamp` is the
 * flow's record of the access list generation it passed (0 for none):
 * the lists are skipped when it is the current one, and it is set when
 * they pass. Inlined always, as the checks below it: an established
 * flow's packet takes this path, and a call costs more than most checks.
 */
static inline __attribute__((always_inline)) enum pol_verdict
pol_check_packet(const struct pol_snapshot *ps, const struct pol_service *p,
		 uint32_t sid, uint16_t worker, const uint8_t src[16],
		 uint8_t family, uint32_t len, uint64_t now,
		 uint32_t *acl_stamp)
{
	struct policer_local *loc;
	struct policer_shared *sh;

	if (ps->acl && *acl_stamp != ps->acl_gen) {
		if (acl_denied(ps->acl, src, family, (uint16_t)sid))
			return POL_ACL;
		*acl_stamp = ps->acl_gen;
	}
	if (p == NULL || !p->any)
		return POL_PASS;
	loc = pol_workers[worker].lim[sid];
	sh = &pol_shared[sid * EP_LIMIT_N];
	if (!policer_admit(&p->lim[EP_LIMIT_PPS], &sh[EP_LIMIT_PPS],
			   &loc[EP_LIMIT_PPS], 1, now))
		return POL_RATE_PPS;
	if (len > POLICER_MAX_COST)
		len = POLICER_MAX_COST;
	if (!policer_admit(&p->lim[EP_LIMIT_BPS], &sh[EP_LIMIT_BPS],
			   &loc[EP_LIMIT_BPS], len, now))
		return POL_RATE_BPS;
	return POL_PASS;
}

/* Check a packet that would open a connection: new connections/s. */
static inline enum pol_verdict pol_check_new_flow(const struct pol_snapshot *ps,
						  uint32_t svc_index,
						  uint32_t sid, uint16_t worker,
						  uint64_t now)
{
	const struct pol_service *p;

	if (ps->svc == NULL || !ps->svc[svc_index].any)
		return POL_PASS;
	p = &ps->svc[svc_index];
	if (!policer_admit(&p->lim[EP_LIMIT_CPS],
			   &pol_shared[sid * EP_LIMIT_N + EP_LIMIT_CPS],
			   &pol_workers[worker].lim[sid][EP_LIMIT_CPS], 1, now))
		return POL_RATE_CPS;
	return POL_PASS;
}

/* Whether a packet to the service meets per-client limits: the
 * service's, or the global ones (its packets then go to the worker that
 * owns their client's address, which keeps the client). */
static inline int pol_has_client_limits(const struct pol_snapshot *ps,
					uint32_t svc_index)
{
	return ps->any_global_client ||
	       (ps->svc != NULL && ps->svc[svc_index].any_client);
}

/*
 * Per-client limits of a packet from `src` to the service with limits `p`
 * (pol_service_of()) and stats id `sid` in worker table `t`: packets/s,
 * or new connections/s when `new_flow`. The global limits first (as the
 * global access list comes first): a packet they refuse is not charged to
 * the service's, one the service's refuse has been charged to the global
 * ones. `hints` is the flow's record of its entries, [POL_AUX_CLIENT] and
 * [POL_AUX_CLIENT_GLOBAL] (cl_get_hinted(); zeros for none).
 */
static inline __attribute__((always_inline)) enum pol_verdict
pol_check_client_hinted(const struct pol_snapshot *ps,
			const struct pol_service *p, uint32_t sid,
			struct cl_table *t, const uint8_t src[16],
			uint8_t family, int new_flow, uint64_t now,
			uint32_t hints[POL_AUX_N])
{
	enum cl_limit which = new_flow ? CL_CPS : CL_PPS;
	struct cl_entry *e;

	if (ps->any_global_client) {
		e = cl_get_hinted(t, &hints[POL_AUX_CLIENT_GLOBAL], src, family,
				  &ps->global_client, CL_SCOPE_GLOBAL, now);
		if (!cl_admit(&ps->client_lim[which], e, which, now))
			return POL_RATE_CLIENT_GLOBAL;
	}
	if (p == NULL || !p->any_client)
		return POL_PASS;
	e = cl_get_hinted(t, &hints[POL_AUX_CLIENT], src, family, &p->client,
			  (uint16_t)sid, now);
	if (!cl_admit(&p->lim[EP_LIMIT_CLIENT_PPS + which], e, which, now))
		return POL_RATE_CLIENT;
	return POL_PASS;
}

/* pol_check_client_hinted() for a packet with no flow to keep hints, to
 * the service with index `svc_index`. */
static inline enum pol_verdict
pol_check_client(const struct pol_snapshot *ps, uint32_t svc_index,
		 uint32_t sid, struct cl_table *t, const uint8_t src[16],
		 uint8_t family, int new_flow, uint64_t now)
{
	uint32_t none[POL_AUX_N] = { 0 };

	return pol_check_client_hinted(ps, pol_service_of(ps, svc_index), sid,
				       t, src, family, new_flow, now, none);
}

/*
 * One client scope of pol_check_flow(): the flow's hinted entry charged
 * one packet.
 */
static inline __attribute__((always_inline)) int
pol_flow_client(const struct policer_cfg *cfg, struct cl_table *t,
		uint32_t *hint, const uint8_t src[16], uint8_t family,
		const struct cl_prefix *cp, uint16_t scope, uint64_t now)
{
	struct cl_entry *e =
		cl_get_hinted(t, hint, src, family, cp, scope, now);

	return cfg->mode == POLICER_OFF ||
	       policer_gcra_local(cfg, &e->tat[CL_PPS], 1, policer_time(now));
}

/*
 * Every check of a packet of an established flow (not a new one) to the
 * service with limits `p` (pol_service_of(); never NULL while ps->any)
 * and stats id `sid`, on the worker that keeps the flow, `pol` its
 * leases, `t` its client table: the same checks, in the same order, as
 * pol_check_packet() and then pol_check_client_hinted(), but only those
 * the service's flow_checks name. `aux` is the flow's record (enum
 * pol_aux). Inlined always: this is the path of nearly every policed
 * packet.
 */
static inline __attribute__((always_inline)) enum pol_verdict
pol_check_flow(const struct pol_snapshot *ps, const struct pol_service *p,
	       uint32_t sid, struct pol_worker_state *pol, struct cl_table *t,
	       const uint8_t src[16], uint8_t family, uint32_t len,
	       uint64_t now, uint32_t aux[POL_AUX_N])
{
	const uint8_t checks = p->flow_checks;

	if (aux[POL_AUX_ACL] != ps->acl_stamp) {
		if (ps->acl && acl_denied(ps->acl, src, family, (uint16_t)sid))
			return POL_ACL;
		aux[POL_AUX_ACL] = ps->acl_stamp;
	}
	if (checks & (POL_FC_PPS | POL_FC_BPS)) {
		struct policer_shared *sh = &pol_shared[sid * EP_LIMIT_N];
		struct policer_local *loc = pol->lim[sid];

		if ((checks & POL_FC_PPS) &&
		    !policer_admit(&p->lim[EP_LIMIT_PPS], &sh[EP_LIMIT_PPS],
				   &loc[EP_LIMIT_PPS], 1, now))
			return POL_RATE_PPS;
		if (len > POLICER_MAX_COST)
			len = POLICER_MAX_COST;
		if ((checks & POL_FC_BPS) &&
		    !policer_admit(&p->lim[EP_LIMIT_BPS], &sh[EP_LIMIT_BPS],
				   &loc[EP_LIMIT_BPS], len, now))
			return POL_RATE_BPS;
	}
	if ((checks & POL_FC_GLOBAL_CLIENT) &&
	    !pol_flow_client(&ps->client_lim[CL_PPS], t,
			     &aux[POL_AUX_CLIENT_GLOBAL], src, family,
			     &ps->global_client, CL_SCOPE_GLOBAL, now))
		return POL_RATE_CLIENT_GLOBAL;
	if ((checks & POL_FC_CLIENT) &&
	    !pol_flow_client(&p->lim[EP_LIMIT_CLIENT_PPS], t,
			     &aux[POL_AUX_CLIENT], src, family, &p->client,
			     (uint16_t)sid, now))
		return POL_RATE_CLIENT;
	return POL_PASS;
}

/*
 * The SYN-flood guard for a bare SYN of a new TCP flow on `worker`: 1
 * when the worker's new-SYN rate is within the guard (make an entry as
 * usual), 0 when over it (no entry for this SYN).
 */
static inline int pol_syn_guard_admit(const struct pol_snapshot *ps,
				      uint16_t worker, uint64_t now)
{
	return policer_gcra_local(&ps->syn_guard, &pol_workers[worker].syn_tat,
				  1, policer_time(now));
}

#endif /* EP_POLICING_H */
