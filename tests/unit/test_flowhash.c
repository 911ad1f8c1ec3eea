/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/flowhash.c: determinism, seed dependence, even
 * spread over buckets (random and sequential keys, low and high bits),
 * avalanche, and the NAT property that both directions of a flow give the
 * client endpoint the same hash.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testrand.h"
#include "flowhash.h"

#define N_KEYS 100000u
#define N_BUCKETS 16u

static void random_key(struct flow_key *k, int v6)
{
	memset(k, 0, sizeof(*k));
	rng_bytes(k->src, v6 ? 16 : 4);
	rng_bytes(k->dst, v6 ? 16 : 4);
	k->sport = (uint16_t)rng64();
	k->dport = (uint16_t)rng64();
	k->proto = (rng64() & 1) ? 6 : 17;
	k->family = v6 ? EP_AF_INET6 : EP_AF_INET;
}

/* Every bucket within 5% of the mean. */
static int spread_ok(const unsigned int *b, const char *what)
{
	const unsigned int mean = N_KEYS / N_BUCKETS;
	const unsigned int tol = mean / 20;
	unsigned int i;
	int ok = 1;

	for (i = 0; i < N_BUCKETS; i++) {
		if (b[i] < mean - tol || b[i] > mean + tol) {
			fprintf(stderr, "%s: bucket %u has %u (mean %u)\n",
				what, i, b[i], mean);
			ok = 0;
		}
	}
	return ok;
}

static void test_determinism(void)
{
	struct flow_key k, copy;
	unsigned int i;

	for (i = 0; i < 1000; i++) {
		random_key(&k, i & 1);
		copy = k;
		CHECK(flowhash_key(&k, 7) == flowhash_key(&copy, 7));
		CHECK(flowhash_src(&k, 7) == flowhash_src(&copy, 7));
		CHECK(flowhash_endpoint(k.src, k.sport, 7) ==
		      flowhash_endpoint(copy.src, copy.sport, 7));
	}
}

/* A new seed changes (nearly) every hash, and not by a fixed XOR. */
static void test_seed(void)
{
	struct flow_key k;
	unsigned int i, same = 0, same_src = 0, same_ep = 0, same_diff = 0;
	uint32_t d0 = 0;

	for (i = 0; i < 10000; i++) {
		uint32_t a, b;

		random_key(&k, i & 1);
		a = flowhash_key(&k, 1);
		b = flowhash_key(&k, 2);
		same += a == b;
		if (i == 0)
			d0 = a ^ b;
		else
			same_diff += (a ^ b) == d0;
		same_src += flowhash_src(&k, 1) == flowhash_src(&k, 2);
		same_ep += flowhash_endpoint(k.src, k.sport, 1) ==
			   flowhash_endpoint(k.src, k.sport, 2);
	}
	CHECK(same <= 2);
	CHECK(same_src <= 2);
	CHECK(same_ep <= 2);
	/* CRC-like linearity would give the same XOR for every key. */
	CHECK(same_diff <= 2);
}

static void test_distribution_random(void)
{
	unsigned int lo[N_BUCKETS] = { 0 }, hi[N_BUCKETS] = { 0 };
	unsigned int src[N_BUCKETS] = { 0 }, ep[N_BUCKETS] = { 0 };
	uint32_t seed = (uint32_t)rng64();
	struct flow_key k;
	unsigned int i;

	for (i = 0; i < N_KEYS; i++) {
		uint32_t h;

		random_key(&k, i & 1);
		h = flowhash_key(&k, seed);
		lo[h % N_BUCKETS]++;
		hi[h >> 28]++;
		src[flowhash_src(&k, seed) % N_BUCKETS]++;
		ep[flowhash_endpoint(k.src, k.sport, seed) % N_BUCKETS]++;
	}
	CHECK(spread_ok(lo, "key, low bits"));
	CHECK(spread_ok(hi, "key, high bits"));
	CHECK(spread_ok(src, "src"));
	CHECK(spread_ok(ep, "endpoint"));
}

/* Real traffic: one VIP, few clients, sequential source ports. */
static void test_distribution_sequential(void)
{
	unsigned int lo[N_BUCKETS] = { 0 }, hi[N_BUCKETS] = { 0 };
	unsigned int src[N_BUCKETS] = { 0 };
	struct flow_key k;
	unsigned int i;

	memset(&k, 0, sizeof(k));
	k.dst[0] = 10;
	k.dport = htons(443);
	k.proto = 6;
	k.family = EP_AF_INET;
	for (i = 0; i < N_KEYS; i++) {
		uint32_t h;

		/* 10.1.x.y clients, 50000 ports each */
		k.src[0] = 10;
		k.src[1] = 1;
		k.src[2] = (uint8_t)((i / 50000) >> 8);
		k.src[3] = (uint8_t)(i / 50000);
		k.sport = htons((uint16_t)(10000 + i % 50000));
		h = flowhash_key(&k, 12345);
		lo[h % N_BUCKETS]++;
		hi[h >> 28]++;
		/* sequential addresses for the source-only hash */
		k.src[2] = (uint8_t)(i >> 8);
		k.src[3] = (uint8_t)i;
		k.src[1] = (uint8_t)(i >> 16);
		src[flowhash_src(&k, 12345) % N_BUCKETS]++;
	}
	CHECK(spread_ok(lo, "sequential ports, low bits"));
	CHECK(spread_ok(hi, "sequential ports, high bits"));
	CHECK(spread_ok(src, "sequential sources"));
}

/*
 * Strict avalanche: flipping any one input bit flips each output bit
 * with probability close to 1/2 (Maglev takes the hash modulo a prime,
 * the connection table its low bits: every bit has to be good).
 */
static void test_avalanche(void)
{
	/* Every bit that names the flow (the padding is always zero). */
	enum { TRIALS = 1000, IN_BITS = FLOW_KEY_HASH_LEN * 8 };
	static unsigned int flips[IN_BITS][32];
	struct flow_key k, f;
	unsigned int bit, trial, o, worst = TRIALS / 2;

	memset(flips, 0, sizeof(flips));
	for (trial = 0; trial < TRIALS; trial++) {
		random_key(&k, 1);
		for (bit = 0; bit < IN_BITS; bit++) {
			uint32_t x;

			f = k;
			((uint8_t *)&f)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			x = flowhash_key(&k, 99) ^ flowhash_key(&f, 99);
			for (o = 0; o < 32; o++)
				flips[bit][o] += (x >> o) & 1u;
		}
	}
	for (bit = 0; bit < IN_BITS; bit++) {
		for (o = 0; o < 32; o++) {
			unsigned int n = flips[bit][o];
			unsigned int d = n > TRIALS / 2 ? n - TRIALS / 2
							: TRIALS / 2 - n;

			if (d > TRIALS / 2 - worst)
				worst = TRIALS / 2 - d;
		}
	}
	/* 1000 trials: sd 16; 150 is more than 9 sd from the mean */
	CHECK_MSG(worst >= TRIALS / 2 - 150, "an output bit flips %u/%u", worst,
		  TRIALS);
}

/* The hashes look at what they promise to look at, and nothing else. */
static void test_inputs(void)
{
	struct flow_key a, b;

	random_key(&a, 1);
	b = a;
	b.dport ^= 1;
	CHECK(flowhash_key(&a, 5) != flowhash_key(&b, 5));
	CHECK(flowhash_src(&a, 5) == flowhash_src(&b, 5));
	b = a;
	b.src[15] ^= 0x80;
	CHECK(flowhash_src(&a, 5) != flowhash_src(&b, 5));
	CHECK(flowhash_endpoint(a.src, 1, 5) != flowhash_endpoint(a.src, 2, 5));
	CHECK(flowhash_endpoint(a.src, 1, 5) != flowhash_endpoint(b.src, 1, 5));
}

/*
 * NAT: the worker is chosen by the client endpoint, which is the source
 * of forward packets and the destination of replies.
 */
static void test_endpoint_symmetry(void)
{
	struct flow_key fwd, reply;
	unsigned int i;

	for (i = 0; i < 1000; i++) {
		uint32_t seed = (uint32_t)rng64();

		random_key(&fwd, i & 1);
		memset(&reply, 0, sizeof(reply));
		rng_bytes(reply.src, fwd.family == EP_AF_INET6 ? 16 : 4);
		memcpy(reply.dst, fwd.src, 16);
		reply.sport = (uint16_t)rng64();
		reply.dport = fwd.sport;
		reply.proto = fwd.proto;
		reply.family = fwd.family;
		CHECK(flowhash_endpoint(fwd.src, fwd.sport, seed) ==
		      flowhash_endpoint(reply.dst, reply.dport, seed));
	}
}

static void test_random_seed(void)
{
	uint32_t s[8];
	unsigned int i, j, dup = 0;

	for (i = 0; i < 8; i++)
		s[i] = flowhash_random_seed();
	for (i = 0; i < 8; i++)
		for (j = i + 1; j < 8; j++)
			dup += s[i] == s[j];
	CHECK(dup == 0);
}

int main(void)
{
	test_determinism();
	test_seed();
	test_distribution_random();
	test_distribution_sequential();
	test_avalanche();
	test_inputs();
	test_endpoint_symmetry();
	test_random_seed();
	return check_summary("flowhash");
}
