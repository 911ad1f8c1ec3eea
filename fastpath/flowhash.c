/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow hashing. The hash is a multiply-rotate construction in the style of
 * xxHash64 over 64-bit words, seeded at start, with a murmur3-style
 * finaliser. CRC32 (rte_hash_crc) was not used on purpose: CRC is linear,
 * so two keys that collide under one seed collide under every seed, and a
 * random seed would not stop an attacker aiming flows at one bucket. This
 * is not a cryptographic PRF either; it raises the bar, cheaply (a few
 * multiplies per key).
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

/* The five 64-bit primes of xxHash64 (public constants). */
#define FH_P1 0x9e3779b185ebca87ull
#define FH_P2 0xc2b2ae3d27d4eb4full
#define FH_P3 0x165667b19e3779f9ull
#define FH_P4 0x85ebca77c2b2ae63ull
#define FH_P5 0x27d4eb2f165667c5ull

/* Domain tags: different inputs of the same length never share a start. */
#define FH_TAG_KEY 0x4b00000000000028ull
#define FH_TAG_SRC 0x5300000000000011ull
#define FH_TAG_EP 0x4500000000000012ull

_Static_assert(FLOW_KEY_HASH_LEN % 8 == 0, "flowhash_key reads whole words");

static inline uint64_t fh_rotl(uint64_t x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t fh_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t fh_start(uint32_t seed, uint64_t tag)
{
	return ((uint64_t)seed * FH_P1) ^ (tag + FH_P5);
}

/* Absorb one word: every input bit reaches the whole state. */
static inline uint64_t fh_round(uint64_t h, uint64_t w)
{
	w *= FH_P2;
	w = fh_rotl(w, 31);
	w *= FH_P1;
	h ^= w;
	return fh_rotl(h, 27) * FH_P1 + FH_P4;
}

/* Avalanche the state so that the low and the high bits are both usable. */
static inline uint32_t fh_final(uint64_t h)
{
	h ^= h >> 33;
	h *= FH_P2;
	h ^= h >> 29;
	h *= FH_P3;
	h ^= h >> 32;
	return (uint32_t)h;
}

/* The flow's bytes only, not the key's zero padding (the same value as
 * when the key was 40 bytes long). */
uint32_t flowhash_key(const struct flow_key *key, uint32_t seed)
{
	const uint8_t *p = (const uint8_t *)key;
	uint64_t h = fh_start(seed, FH_TAG_KEY);
	unsigned int i;

	for (i = 0; i < FLOW_KEY_HASH_LEN; i += 8)
		h = fh_round(h, fh_load64(p + i));
	return fh_final(h);
}

uint32_t flowhash_src(const struct flow_key *key, uint32_t seed)
{
	uint64_t h = fh_start(seed, FH_TAG_SRC);

	h = fh_round(h, fh_load64(key->src));
	h = fh_round(h, fh_load64(key->src + 8));
	h = fh_round(h, key->family);
	return fh_final(h);
}

uint32_t flowhash_endpoint(const uint8_t addr[16], uint16_t port, uint32_t seed)
{
	uint64_t h = fh_start(seed, FH_TAG_EP);

	h = fh_round(h, fh_load64(addr));
	h = fh_round(h, fh_load64(addr + 8));
	h = fh_round(h, port);
	return fh_final(h);
}

/* Used only if getrandom is missing (kernel < 3.17): varies per start. */
static uint32_t fallback_seed(void)
{
	struct timespec ts;
	uint64_t h;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	h = fh_start((uint32_t)getpid(), (uint64_t)ts.tv_sec);
	h = fh_round(h, (uint64_t)ts.tv_nsec);
	return fh_final(h);
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
