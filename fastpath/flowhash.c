/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow hashing. Multiply-fold over 64-bit words (the 128-bit product's
 * halves xored, as in wyhash), under a 64-bit secret drawn from the seed
 * chosen at start: three independent products for the key's five words,
 * one to combine them. About 25 instructions for a flow key, against 76
 * for the xxHash64-style chain this replaced (measured with callgrind in
 * tests/bench/bench_pipeline). CRC32 (rte_hash_crc) was not used on
 * purpose: CRC is linear, so two keys that collide under one seed collide
 * under every seed, and a random seed would not stop an attacker aiming
 * flows at one bucket. This is not a cryptographic PRF either; it raises
 * the bar, cheaply.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getrandom, clock_gettime */
#endif
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "flowhash.h"

/*
 * Odd 64-bit constants with about half of their bits set (the fractional
 * digits of pi, e and sqrt(2) in hex): they keep an all-zero word (the
 * unused half of an IPv4 address) from zeroing a product.
 */
#define FH_K0 0x243f6a8885a308d3ull
#define FH_K1 0x13198a2e03707345ull
#define FH_K2 0xa4093822299f31d1ull
#define FH_K3 0x082efa98ec4e6c89ull
#define FH_K4 0x452821e638d01377ull
#define FH_K5 0xbe5466cf34e90c6dull
#define FH_K6 0xb7e151628aed2a6bull
#define FH_K7 0x6a09e667f3bcc909ull

/* Domain tags: different inputs never share a start. */
#define FH_TAG_KEY 0x4b00000000000028ull
#define FH_TAG_SRC 0x5300000000000011ull
#define FH_TAG_EP 0x4500000000000012ull

_Static_assert(FLOW_KEY_HASH_LEN == 40, "flowhash_key reads five words");

static inline uint64_t fh_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * 64 x 64 -> 128-bit multiply, folded: every bit of both inputs reaches
 * the middle bits of the result, and both halves are kept.
 */
static inline uint64_t fh_mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* The per-start secret: the seed spread over 64 bits, one per domain. */
static inline uint64_t fh_secret(uint32_t seed, uint64_t tag)
{
	return fh_mum((uint64_t)seed ^ FH_K6, FH_K7 ^ tag);
}

/*
 * Two multiply layers: the words pairwise (independent, so they run in
 * parallel), then the combination; a final mum spreads the result over
 * the low 32 bits the callers use. Collisions depend on the secret, which
 * an attacker does not see in a hash they cannot read.
 */
static inline uint32_t fh_finish(uint64_t a, uint64_t b, uint64_t s)
{
	uint64_t h = fh_mum(a ^ FH_K4, b ^ s);

	return (uint32_t)(h ^ (h >> 32));
}

/* The flow's bytes only, not the key's zero padding. */
uint32_t flowhash_key(const struct flow_key *key, uint32_t seed)
{
	const uint8_t *p = (const uint8_t *)key;
	uint64_t s = fh_secret(seed, FH_TAG_KEY);
	uint64_t a = fh_mum(fh_load64(p) ^ s ^ FH_K0, fh_load64(p + 8) ^ FH_K1);
	uint64_t b = fh_mum(fh_load64(p + 16) ^ s ^ FH_K2,
			    fh_load64(p + 24) ^ FH_K3);
	uint64_t c = fh_mum(fh_load64(p + 32) ^ s ^ FH_K4, s ^ FH_K5);

	return fh_finish(a ^ c, b, s);
}

/* One address (16 bytes) and a tail word, under a secret. */
static inline uint32_t fh_addr(const uint8_t *addr, uint64_t tail, uint64_t s)
{
	uint64_t a = fh_mum(fh_load64(addr) ^ s ^ FH_K0,
			    fh_load64(addr + 8) ^ FH_K1);
	uint64_t b = fh_mum(tail ^ s ^ FH_K2, s ^ FH_K3);

	return fh_finish(a, b, s);
}

uint32_t flowhash_src(const struct flow_key *key, uint32_t seed)
{
	return fh_addr(key->src, key->family, fh_secret(seed, FH_TAG_SRC));
}

uint32_t flowhash_endpoint(const uint8_t addr[16], uint16_t port, uint32_t seed)
{
	return fh_addr(addr, port, fh_secret(seed, FH_TAG_EP));
}

/* Used only if getrandom is missing (kernel < 3.17): varies per start. */
static uint32_t fallback_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return fh_finish(fh_mum((uint64_t)ts.tv_sec ^ FH_K0,
				(uint64_t)ts.tv_nsec ^ FH_K1),
			 (uint64_t)getpid(), FH_K2);
}

uint32_t flowhash_random_seed(void)
{
	uint32_t seed;
	ssize_t n;

	/* Blocks only until the pool is first initialised, at early boot. */
	do {
		n = getrandom(&seed, sizeof(seed), 0);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(seed))
		return fallback_seed();
	return seed;
}
