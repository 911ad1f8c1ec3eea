/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path: packets for the node that the fast path does not
 * handle itself go to a kernel interface (a DPDK net_tap port that the
 * fast path creates, with the MAC of the data port it stands for), and
 * what the kernel sends there leaves through that data port. Workers
 * admit punted packets under three packets/s budgets shared by every
 * worker (GCRA, policer.h): ARP/ND on their own budget, everything else
 * under a per-source budget (hashed source buckets) and a total one; then
 * they enqueue to a ring. A control thread (not a worker: the tap costs a
 * system call per frame) writes that ring to the tap and reads the tap
 * into a ring that worker 0 sends out. Full rings drop and count.
 */
#ifndef EP_EXCEPTION_H
#define EP_EXCEPTION_H

#include <stdint.h>

#include "parse.h"
#include "policer.h"

#define EXC_NAME_MAX 15u /* an interface name (IFNAMSIZ - 1) */
#define EXC_SRC_BUCKETS 4096u /* power of two */
#define EXC_RING_SIZE 4096u
/* Token-bucket depth: this fraction of a second of the rate, at least
 * EXC_BURST_MIN packets. */
#define EXC_BURST_DIV 20u
#define EXC_BURST_MIN 16u

#define EXC_DEFAULT_PPS 100000u
#define EXC_DEFAULT_SOURCE_PPS 10000u
#define EXC_DEFAULT_NEIGH_PPS 2000u

/* The exception path as configured (edgepath-fastpath's options). */
struct exc_params {
	char tap_name[EXC_NAME_MAX + 1]; /* "" = no exception path */
	uint16_t port; /* index of the data port the tap stands for */
	uint32_t pps; /* total, ARP/ND apart; 0 = no limit */
	uint32_t source_pps; /* per source address; 0 = no limit */
	uint32_t neigh_pps; /* ARP and ND; 0 = no limit */
};

/* The budgets workers share: immutable once built, except the TATs. */
struct exc_limits {
	struct policer_cfg all;
	struct policer_cfg source;
	struct policer_cfg neigh;
	/* [EXC_SH_ALL], [EXC_SH_NEIGH], then EXC_SRC_BUCKETS sources */
	struct policer_shared *sh;
	uint64_t seed; /* source bucket hash */
};

#define EXC_SH_ALL 0u
#define EXC_SH_NEIGH 1u
#define EXC_SH_SRC 2u
#define EXC_SH_N (EXC_SH_SRC + EXC_SRC_BUCKETS)

/* One worker's unspent leases of those budgets. */
struct exc_local {
	struct policer_local all;
	struct policer_local neigh;
	struct policer_local source[EXC_SRC_BUCKETS];
};

/*
 * The budgets for `p` on a TSC of `tsc_hz` shared by `n_workers`, with
 * `sh` (EXC_SH_N states from policer_shared_create()). 0 or -EINVAL.
 */
int exc_limits_init(struct exc_limits *l, const struct exc_params *p,
		    uint64_t tsc_hz, uint32_t n_workers,
		    struct policer_shared *sh, uint64_t seed);

/* The source bucket of a parsed packet (0 for frames with no IP). */
static inline uint32_t exc_source_bucket(const struct exc_limits *l,
					 const struct pkt_meta *m)
{
	uint64_t a, b, h;

	if (m == NULL || m->family == 0)
		return 0;
	__builtin_memcpy(&a, m->key.src, 8);
	__builtin_memcpy(&b, m->key.src + 8, 8);
	h = (a ^ l->seed) * 0x9e3779b97f4a7c15ull;
	h = (h ^ (h >> 29) ^ b) * 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> 40) & (EXC_SRC_BUCKETS - 1);
}

/*
 * Admit one punted packet at TSC `now`: ARP/ND (`neigh`) against the
 * neighbour budget alone; anything else against its source's budget and
 * then the total. Returns 0 when admitted, else the drop reason
 * (EP_DROP_EXC_RATE_NEIGH, _SOURCE, EP_DROP_EXC_RATE).
 */
static inline int exc_admit(const struct exc_limits *l, struct exc_local *loc,
			    int neigh, const struct pkt_meta *m, uint64_t now)
{
	uint32_t b;

	if (neigh)
		return policer_admit(&l->neigh, &l->sh[EXC_SH_NEIGH],
				     &loc->neigh, 1, now)
			       ? 0
			       : EP_DROP_EXC_RATE_NEIGH;
	b = exc_source_bucket(l, m);
	if (!policer_admit(&l->source, &l->sh[EXC_SH_SRC + b], &loc->source[b],
			   1, now))
		return EP_DROP_EXC_RATE_SOURCE;
	if (!policer_admit(&l->all, &l->sh[EXC_SH_ALL], &loc->all, 1, now))
		return EP_DROP_EXC_RATE;
	return 0;
}

/*
 * After the data ports are up: create the tap (`p->tap_name`, the MAC and
 * MTU of data port `p->port`), its rings, budgets and per-worker state,
 * and start the thread. Nothing (0) when no tap is named. 0 or a negative
 * errno after saying why.
 */
int exc_init(const struct exc_params *p);

/* After the workers stopped: stop the thread, remove the tap, free. */
void exc_fini(void);

#endif /* EP_EXCEPTION_H */
