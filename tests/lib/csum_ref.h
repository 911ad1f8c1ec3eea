/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tests' one reference checksum: RFC 1071 written out byte by byte,
 * independently of fastpath/csum.h and of DPDK's rte_raw_cksum, so a test
 * of either compares against something that shares no code with it.
 */
#ifndef EP_CSUM_REF_H
#define EP_CSUM_REF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Unfolded one's-complement sum of `n` bytes as big-endian words; an odd
 * last byte counts as the high half of a word. Add sums, then fold. */
static inline uint32_t ref_sum16(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	return s;
}

/* Fold a sum's carries into 16 bits. */
static inline uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The Internet checksum of `n` bytes (as written into a header). */
static inline uint16_t ref_csum(const void *p, size_t n)
{
	return (uint16_t)~ref_fold(ref_sum16(p, n));
}

/* The same checksum as a native 16-bit load of its two bytes in memory
 * (how fastpath/csum.h and rte_raw_cksum() hold it). */
static inline uint16_t ref_csum_stored(const void *p, size_t n)
{
	uint16_t c = ref_csum(p, n);
	uint8_t b[2] = { (uint8_t)(c >> 8), (uint8_t)c };

	memcpy(&c, b, 2);
	return c;
}

#endif /* EP_CSUM_REF_H */
