/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rate limits: configured (rate, burst) to the fixed-point GCRA form the
 * workers use (policer.h), and the shared state's memory.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "policer.h"

/* Largest accepted rate and tolerance (the horizon must stay below
 * POLICER_STALE: 2^60 units is 4.9 h of a 1 GHz TSC, 1 h at 4.9 GHz). */
#define POLICER_MAX_RATE (1ull << 40)
#define POLICER_MAX_TAU_S 3600u

int policer_cfg_init(struct policer_cfg *cfg, const struct policer_params *p,
		     uint64_t tsc_hz, uint32_t n_workers)
{
	unsigned __int128 cost, tau, horizon;
	uint64_t lease, max_grant;

	memset(cfg, 0, sizeof(*cfg));
	if (p->mode == POLICER_OFF)
		return 0;
	if ((p->mode != POLICER_TOKEN_BUCKET &&
	     p->mode != POLICER_LEAKY_BUCKET) ||
	    p->rate == 0 || p->max_cost > POLICER_MAX_COST ||
	    p->rate > POLICER_MAX_RATE || tsc_hz == 0 ||
	    (p->mode == POLICER_TOKEN_BUCKET && p->burst == 0))
		return -EINVAL;
	if (n_workers == 0)
		n_workers = 1;
	/* Rounded down: a unit costs at most 2^-16 cycle too little, so the
	 * limit errs, by less than 1e-5 at 100 Gbit/s, towards admitting. */
	cost = ((unsigned __int128)tsc_hz << POLICER_FRAC_BITS) / p->rate;
	if (cost == 0)
		return -EINVAL;
	tau = cost *
	      (p->mode == POLICER_TOKEN_BUCKET ? p->burst - 1 : p->burst);
	if (tau > ((unsigned __int128)tsc_hz << POLICER_FRAC_BITS) *
			  POLICER_MAX_TAU_S)
		return -EINVAL;
	lease = 1;
	if (p->mode == POLICER_TOKEN_BUCKET) {
		/* Small enough that what every worker may hold unspent (and
		 * spend after the others have emptied the bucket) stays
		 * under half the burst and half a millisecond of the rate. */
		lease = p->rate * POLICER_LEASE_US / 1000000u;
		if (lease > p->burst / (2u * n_workers))
			lease = p->burst / (2u * n_workers);
		if (lease > POLICER_LEASE_MAX)
			lease = POLICER_LEASE_MAX;
		if (lease == 0)
			lease = 1;
	}
	max_grant =
		p->max_cost > POLICER_MAX_COST ? POLICER_MAX_COST : p->max_cost;
	if (max_grant < lease)
		max_grant = lease;
	horizon = tau + cost * max_grant;
	if (horizon >= POLICER_STALE)
		return -EINVAL;
	cfg->cost = (uint64_t)cost;
	cfg->tau = (uint64_t)tau;
	cfg->horizon = (uint64_t)horizon;
	cfg->lease = (uint32_t)lease;
	cfg->mode = p->mode;
	return 0;
}

void policer_shared_reset(struct policer_shared *s, uint32_t n,
			  uint64_t now_tsc)
{
	for (uint32_t i = 0; i < n; i++)
		__atomic_store_n(&s[i].tat,
				 policer_time(now_tsc) - POLICER_REFRESH_AGE,
				 __ATOMIC_RELAXED);
}

struct policer_shared *policer_shared_create(const char *name, uint32_t n,
					     int socket_id, uint64_t now_tsc)
{
	struct policer_shared *s;

	if (n == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	s = rte_zmalloc_socket(name, (size_t)n * sizeof(*s), 64, socket_id);
	if (s == NULL)
		rte_errno = ENOMEM;
	else
		policer_shared_reset(s, n, now_tsc);
	return s;
}

void policer_shared_free(struct policer_shared *s)
{
	rte_free(s);
}

void policer_refresh(struct policer_shared *s, uint32_t n, uint64_t now_tsc)
{
	uint64_t now = policer_time(now_tsc);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t old = __atomic_load_n(&s[i].tat, __ATOMIC_RELAXED);

		/* Behind by more than the refresh age (and not ahead by
		 * less than the stale bound): a worker's CAS may win the
		 * race, and then its TAT is fresh anyway. */
		if (now - old > POLICER_REFRESH_AGE &&
		    (int64_t)(old - now) <= 0)
			__atomic_compare_exchange_n(
				&s[i].tat, &old, now - POLICER_REFRESH_AGE, 0,
				__ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
}
