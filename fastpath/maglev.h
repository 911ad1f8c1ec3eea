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
 * weights; removing one backend moves only about its own share of slots.
 * Returns 0, -EINVAL (m not prime, n too large, m < number of backends
 * with weight > 0), or -ENOENT when every weight is 0 (table all EMPTY).
 */
int maglev_build(const struct maglev_backend *backends, uint32_t n,
		 uint16_t *table, uint32_t m);

/* True when m is prime (table sizes are validated with it). */
bool maglev_is_prime(uint32_t m);

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
