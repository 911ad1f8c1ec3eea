/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016) with weights, plus
 * the smooth weighted round-robin sequence used by the rr/wrr schedulers.
 * Both build lookup tables on the control side; per-packet use is a single
 * array read.
 */
#ifndef EP_MAGLEV_H
#define EP_MAGLEV_H

#include <stdbool.h>
#include <stdint.h>

#define MAGLEV_EMPTY UINT16_MAX

struct maglev_backend {
	uint32_t hash_id; /* stable identity (e.g. hash of address:port) */
	uint16_t weight; /* 0 = never picked */
};

/*
 * Fill `table` (size `m`, a prime, >= n) so that entry i names the
 * backend (index into `backends`) that owns slot i. Shares follow the
 * weights. The table depends on the set of backends only (not their
 * order): removing one of n moves its own share of slots and, as the
 * paper notes, a little more between the others (see maglev_rebuild()).
 * Returns 0, -EINVAL (m not prime, n too large, m < number of backends
 * with weight > 0), or -ENOENT when every weight is 0 (table all EMPTY).
 */
int maglev_build(const struct maglev_backend *backends, uint32_t n,
		 uint16_t *table, uint32_t m);

/*
 * Like maglev_build(), but starting from the table `prev_table` (also m
 * slots) of a previous configuration, whose entries index a backend array
 * of `prev_n` entries with stable identities `prev_ids` (their hash_ids).
 * Each backend ends with exactly the slot count maglev_build() would give
 * it (shares as a fresh build). A slot moves only from a backend that was
 * removed or lost slots to one that was added or gained slots, and only
 * as many move as the new counts require: removing 1 of 100 moves just
 * its slots. Backends match by hash_id (the k-th of equal ids to the k-th,
 * in array order).
 * prev_table entries that are MAGLEV_EMPTY or >= prev_n count as free.
 * The result depends on prev_table, so on the history of changes, not on
 * the backend set alone. `table` must not overlap `prev_table`.
 * Returns what maglev_build() returns for (backends, n, table, m), and
 * -EINVAL also for a NULL prev_table, NULL prev_ids with prev_n > 0,
 * prev_n too large, or table == prev_table. The table is untouched on
 * -EINVAL and -ENOMEM, all EMPTY on -ENOENT.
 */
int maglev_rebuild(const struct maglev_backend *backends, uint32_t n,
		   const uint32_t *prev_ids, uint32_t prev_n,
		   const uint16_t *prev_table, uint16_t *table, uint32_t m);

/* Table sizes are prime: ep_is_prime() (flat_check.h) tells. */

/*
 * Fill `seq` with a smooth weighted round-robin order of backend indices
 * (nginx's algorithm) whose length is the sum of weights divided by their
 * gcd, capped at `cap`. When `equal` is true every backend with weight > 0
 * counts once (plain round-robin). Returns the sequence length, 0 when no
 * backend has weight, or -EINVAL.
 */
int maglev_wrr_sequence(const struct maglev_backend *backends, uint32_t n,
			bool equal, uint16_t *seq, uint32_t cap);

#endif /* EP_MAGLEV_H */
