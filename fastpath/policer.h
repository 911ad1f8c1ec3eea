/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rate limits shared by every worker: the GCRA (virtual scheduling form of
 * the leaky bucket, ITU-T I.371) over one "theoretical arrival time" (TAT)
 * per limit in shared memory. A token bucket of depth B at rate R is the
 * same algorithm with a tolerance of (B - 1) / R, so both modes share the
 * arithmetic and differ in how much credit a worker may take at once:
 * token_bucket leases small batches with one compare-and-swap and spends
 * them locally; leaky_bucket takes exactly what each packet costs, so
 * nothing beyond the tolerance is ever admitted at once. policer.c turns a
 * configured (rate, burst) into the fixed-point form below and allocates
 * shared state; this header holds the per-packet admission.
 *
 * Time is the TSC shifted left by POLICER_FRAC_BITS (a unit's cost at
 * 100 Gbit/s is a fraction of a cycle); it wraps, and every comparison is
 * a signed difference.
 */
#ifndef EP_POLICER_H
#define EP_POLICER_H

#include <stdint.h>

#define POLICER_FRAC_BITS 16u

/* Most units one policer_admit() may charge (a frame's bytes). */
#define POLICER_MAX_COST 65535u

/* Lease caps: at most this much of the rate, and of the burst per worker. */
#define POLICER_LEASE_US 500u
#define POLICER_LEASE_MAX 65535u

/*
 * A TAT further ahead of now than this is stale: it was written more than
 * 2^64 - 2^60 policer units ago (15/16 of the clock's wrap, about 24 h
 * at 3 GHz), and only policer_refresh() keeps idle limits from getting
 * that old. Every cfg's horizon is below it.
 */
#define POLICER_STALE (1ull << 60)
/* policer_refresh() pulls TATs older than this towards now. */
#define POLICER_REFRESH_AGE (1ull << 62)

/* CAS attempts before a contended admission gives up (bounded hot path). */
#define POLICER_CAS_TRIES 16u

enum policer_mode {
	POLICER_OFF = 0,
	POLICER_TOKEN_BUCKET = 1, /* bursts up to `burst` units, then rate */
	POLICER_LEAKY_BUCKET = 2, /* one unit per 1/rate, `burst` = tolerance */
};

/* A limit as configured. */
struct policer_params {
	uint8_t mode; /* enum policer_mode */
	uint64_t rate; /* units per second, >= 1 */
	/* token_bucket: bucket depth in units, >= 1 (and, for a byte
	 * limit, at least one frame); leaky_bucket: tolerance in units,
	 * >= 0 (0 = strictly one unit per 1/rate). */
	uint64_t burst;
	/* Largest cost one admission charges: 1 (or 0) for packets and
	 * connections, POLICER_MAX_COST for bytes. */
	uint32_t max_cost;
};

/* The form workers use; immutable once built (it lives in a snapshot). */
struct policer_cfg {
	uint64_t cost; /* time per unit, TSC cycles << POLICER_FRAC_BITS */
	uint64_t tau; /* tolerance: how far the TAT may run ahead of now */
	uint64_t horizon; /* tau + the largest grant: how far ahead of now
			   * a grant may leave the TAT (< POLICER_STALE) */
	uint32_t lease; /* units a worker takes at once (token bucket) */
	uint8_t mode; /* enum policer_mode; POLICER_OFF: no limit */
	uint8_t pad[3];
};

/* One limit's shared state: one cache line, written with CAS. */
struct policer_shared {
	uint64_t tat; /* theoretical arrival time, TSC << FRAC_BITS */
	uint64_t pad[7];
} __attribute__((aligned(64)));

/* A worker's unspent lease for one limit (token bucket only). */
struct policer_local {
	uint64_t credit; /* units already paid for in the shared TAT */
};

/*
 * Turn `p` into `cfg` for a TSC of `tsc_hz` shared by `n_workers` workers.
 * Returns 0, or -EINVAL (rate 0, token bucket with burst 0, unknown mode,
 * or a rate and burst whose times overflow the fixed-point form: rates
 * from 1 to 2^40 units/s and tolerances up to an hour are accepted).
 * POLICER_OFF gives a cfg whose mode is OFF.
 */
int policer_cfg_init(struct policer_cfg *cfg, const struct policer_params *p,
		     uint64_t tsc_hz, uint32_t n_workers);

/*
 * `n` shared states (cache-aligned, on `socket_id`, in hugepage memory)
 * with no history at TSC `now_tsc` (policer_shared_reset()), or NULL with
 * rte_errno set.
 */
struct policer_shared *policer_shared_create(const char *name, uint32_t n,
					     int socket_id, uint64_t now_tsc);

/*
 * Give `n` states no history at TSC `now_tsc`: a TAT far enough in the
 * past to admit the whole tolerance (not 0, which after a wrap of the
 * clock could lie ahead).
 */
void policer_shared_reset(struct policer_shared *s, uint32_t n,
			  uint64_t now_tsc);
void policer_shared_free(struct policer_shared *s);

/*
 * Pull the `n` states' TATs that are more than POLICER_REFRESH_AGE behind
 * TSC `now_tsc` up to that age (they admit exactly as before: a TAT in
 * the past is "now"), so that no TAT ever gets old enough to look ahead
 * after the clock wraps. Call it from the main lcore more often than
 * every 2^62 units (6 h at 3 GHz); it is safe while workers run.
 */
void policer_refresh(struct policer_shared *s, uint32_t n, uint64_t now_tsc);

/* Convert a TSC reading to policer time. */
static inline uint64_t policer_time(uint64_t tsc)
{
	return tsc << POLICER_FRAC_BITS;
}

/*
 * How far past `now` the TAT `tat` is (0 when it is in the past or stale).
 * A TAT is never legitimately more than POLICER_STALE ahead (every cfg's
 * horizon is below it, whatever the configuration was when the TAT was
 * written), so a larger signed difference is a TAT from before a wrap of
 * the clock. The bound does not depend on the cfg: a worker whose `now`
 * is late (it lost its CPU) or a limit just made smaller must never take
 * a TAT for stale and move it back.
 */
static inline uint64_t policer_ahead(uint64_t tat, uint64_t now)
{
	int64_t d = (int64_t)(tat - now);

	return d <= 0 || (uint64_t)d > POLICER_STALE ? 0 : (uint64_t)d;
}

/*
 * GCRA on a TAT only this caller writes (per-client state): charges
 * `cost` units at policer time `now` when conforming. Returns 1 when
 * admitted, 0 when not (the TAT is then unchanged).
 */
static inline int policer_gcra_local(const struct policer_cfg *cfg,
				     uint64_t *tat, uint32_t cost, uint64_t now)
{
	uint64_t ahead = policer_ahead(*tat, now);

	if (ahead > cfg->tau)
		return 0;
	*tat = now + ahead + (uint64_t)cost * cfg->cost;
	return 1;
}

/*
 * Take credit from the shared TAT for a packet costing `need` more units
 * than the worker holds. The grant is GCRA's for a burst arriving now: at
 * least `need` (when the first unit conforms), and in token-bucket mode up
 * to cfg->lease units as far as the tolerance allows. Returns the units
 * granted (0: not conforming, or the CAS lost POLICER_CAS_TRIES times).
 */
static inline uint64_t policer_lease(const struct policer_cfg *cfg,
				     struct policer_shared *sh, uint64_t need,
				     uint64_t now)
{
	uint64_t old = __atomic_load_n(&sh->tat, __ATOMIC_RELAXED);

	for (uint32_t i = 0; i < POLICER_CAS_TRIES; i++) {
		uint64_t ahead = policer_ahead(old, now), grant = need;

		if (ahead > cfg->tau)
			return 0;
		if (cfg->mode == POLICER_TOKEN_BUCKET && cfg->lease > need) {
			/* Units whose slot is within the tolerance now. */
			uint64_t window = (cfg->tau - ahead) / cfg->cost + 1;

			grant = window < cfg->lease ? window : cfg->lease;
			if (grant < need)
				grant = need;
		}
		if (__atomic_compare_exchange_n(
			    &sh->tat, &old, now + ahead + grant * cfg->cost, 0,
			    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return grant;
	}
	return 0;
}

/*
 * Admit a packet costing `cost` units (1 per packet or new connection,
 * the frame's length for bytes; <= POLICER_MAX_COST) at TSC `now_tsc`.
 * Returns 1 when admitted (and charged), 0 when over the limit. A cfg
 * whose mode is OFF admits everything.
 */
static inline int policer_admit(const struct policer_cfg *cfg,
				struct policer_shared *sh,
				struct policer_local *loc, uint32_t cost,
				uint64_t now_tsc)
{
	uint64_t got;

	if (cfg->mode == POLICER_OFF)
		return 1;
	if (loc->credit >= cost) {
		loc->credit -= cost;
		return 1;
	}
	got = policer_lease(cfg, sh, cost - loc->credit, policer_time(now_tsc));
	if (got == 0)
		return 0;
	loc->credit += got - cost;
	return 1;
}

#endif /* EP_POLICER_H */
