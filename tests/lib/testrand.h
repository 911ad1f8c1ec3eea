/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fixed-seed test PRNG (splitmix64), so that a failing randomised case
 * is reproducible: every run draws the same sequence.
 */
#ifndef EP_TESTRAND_H
#define EP_TESTRAND_H

#include <stddef.h>
#include <stdint.h>

static uint64_t rng_state = 0xfeedfacecafebeefull;

static inline uint64_t rng64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void rng_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng64();
}

#endif /* EP_TESTRAND_H */
