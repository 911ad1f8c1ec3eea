/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/syncookie: SipHash-2-4 against the paper's
 * vectors (byte form, and the word form on the same bytes); secrets
 * parsed from hex; cookies made and checked for IPv4 and IPv6 with every
 * MSS index; refusals of a wrong secret, a stale slot, an altered MSS,
 * another flow or ISN; rotation (the previous secret still validates);
 * two "nodes" with one secret; and the slot counter wrapping.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "syncookie.h"
#include "testrand.h"

/* Key 00 01 .. 0f, as in the SipHash paper's appendix. */
static const struct syncookie_key paper_key = { 0x0706050403020100ull,
						0x0f0e0d0c0b0a0908ull };

static void test_siphash(void)
{
	uint8_t msg[64];
	uint64_t words[8];

	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	/* The paper's example: the 15 bytes 00..0e. */
	CHECK(syncookie_siphash24(&paper_key, msg, 15) ==
	      0xa129ca6149be45e5ull);
	/* Reference vectors (vectors.h of the reference code), first bytes
	 * of the outputs for lengths 0, 1, 8 and 63, little-endian. */
	CHECK(syncookie_siphash24(&paper_key, msg, 0) == 0x726fdb47dd0e0e31ull);
	CHECK(syncookie_siphash24(&paper_key, msg, 1) == 0x74f839c593dc67fdull);
	CHECK(syncookie_siphash24(&paper_key, msg, 8) == 0x93f5f5799a932462ull);
	CHECK(syncookie_siphash24(&paper_key, msg, 63) ==
	      0x958a324ceb064572ull);
	/* The word form is the byte form of the same bytes. */
	memcpy(words, msg, sizeof(words));
	for (uint32_t n = 0; n <= 8; n++)
		CHECK(syncookie_siphash_words(&paper_key, words, n) ==
		      syncookie_siphash24(&paper_key, msg, n * 8));
}

static void test_secret(void)
{
	struct syncookie_key k;

	CHECK(syncookie_parse_secret("000102030405060708090a0b0c0d0e0F", &k) ==
	      0);
	CHECK(k.k0 == 0x0001020304050607ull && k.k1 == 0x08090a0b0c0d0e0full);
	CHECK(syncookie_parse_secret("000102030405060708090a0b0c0d0e0", &k) ==
	      -EINVAL);
	CHECK(syncookie_parse_secret("000102030405060708090a0b0c0d0e0f0", &k) ==
	      -EINVAL);
	CHECK(syncookie_parse_secret("000102030405060708090a0b0c0d0e0g", &k) ==
	      -EINVAL);
	CHECK(syncookie_parse_secret(NULL, &k) == -EINVAL);
}

static struct flow_key flow(uint8_t family)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.family = family;
	k.proto = 6;
	rng_bytes(k.src, family == EP_AF_INET ? 4 : 16);
	rng_bytes(k.dst, family == EP_AF_INET ? 4 : 16);
	k.sport = (uint16_t)rng64();
	k.dport = (uint16_t)rng64();
	return k;
}

static void test_roundtrip(void)
{
	struct syncookie_secrets s = { .cur = { 1, 2 } };
	uint32_t bad = 0, mss_wrong = 0;

	for (int fam = 0; fam < 2; fam++) {
		for (uint32_t i = 0; i < 2000; i++) {
			struct flow_key k =
				flow(fam ? EP_AF_INET6 : EP_AF_INET);
			uint32_t isn = (uint32_t)rng64(), slot = 27000000 + i;
			uint16_t want = (uint16_t)(500 + rng64() % 9000),
				 got = 0;
			uint32_t c = syncookie_make(&s, &k, isn, want, slot);

			for (uint32_t age = 0; age <= SYNCOOKIE_MAX_AGE; age++)
				bad += syncookie_check(&s, &k, isn, c,
						       slot + age, &got) != 0;
			if (syncookie_check(&s, &k, isn, c, slot, &got) == 0 &&
			    got != syncookie_mss_table[syncookie_mss_index(
					   want)])
				mss_wrong++;
			if (got > want && want >= 536)
				mss_wrong++;
		}
	}
	CHECK_MSG(bad == 0, "%u valid cookies refused", bad);
	CHECK_MSG(mss_wrong == 0, "%u wrong MSS", mss_wrong);
	/* Every index survives the trip. */
	for (uint32_t i = 0; i < 8; i++) {
		struct flow_key k = flow(EP_AF_INET);
		uint16_t got = 0;
		uint32_t c =
			syncookie_make(&s, &k, 7, syncookie_mss_table[i], 100);

		CHECK(syncookie_check(&s, &k, 7, c, 100, &got) == 0 &&
		      got == syncookie_mss_table[i]);
	}
	CHECK(syncookie_mss_index(100) == 0 && syncookie_mss_index(1459) == 5 &&
	      syncookie_mss_index(65535) == 7);
}

static void test_refusals(void)
{
	struct syncookie_secrets s = { .cur = { 11, 12 } };
	struct syncookie_secrets other = { .cur = { 11, 13 } };
	uint32_t accepted[6] = { 0 };
	const uint32_t n = 20000;
	uint16_t mss;

	for (uint32_t i = 0; i < n; i++) {
		struct flow_key k = flow(i & 1 ? EP_AF_INET6 : EP_AF_INET), k2;
		uint32_t isn = (uint32_t)rng64(), slot = 5000 + i % 1000;
		uint32_t c = syncookie_make(&s, &k, isn, 1460, slot);
		uint32_t mi = (c >> 24) & 7;

		/* Wrong secret. */
		accepted[0] +=
			syncookie_check(&other, &k, isn, c, slot, &mss) == 0;
		/* Stale: three slots on (and far on). */
		accepted[1] += syncookie_check(&s, &k, isn, c, slot + 3,
					       &mss) != -ETIME;
		accepted[1] += syncookie_check(&s, &k, isn, c, slot + 17,
					       &mss) != -ETIME;
		/* The MSS bits altered (to every other index). */
		for (uint32_t m = 0; m < 8; m++)
			if (m != mi)
				accepted[2] +=
					syncookie_check(&s, &k, isn,
							(c & ~(7u << 24)) |
								m << 24,
							slot, &mss) == 0;
		/* Another client port, another ISN, another VIP. */
		k2 = k;
		k2.sport ^= 1;
		accepted[3] +=
			syncookie_check(&s, &k2, isn, c, slot, &mss) == 0;
		accepted[4] +=
			syncookie_check(&s, &k, isn + 1, c, slot, &mss) == 0;
		k2 = k;
		k2.dst[3] ^= 0x10;
		accepted[5] +=
			syncookie_check(&s, &k2, isn, c, slot, &mss) == 0;
	}
	/* A 24-bit MAC lets a random guess through 1 in 2^24 times: in
	 * 20,000 tries (140,000 for the MSS) none is expected. */
	CHECK_MSG(accepted[0] == 0, "wrong secret accepted %u", accepted[0]);
	CHECK_MSG(accepted[1] == 0, "stale accepted %u", accepted[1]);
	CHECK_MSG(accepted[2] == 0, "altered MSS accepted %u", accepted[2]);
	CHECK_MSG(accepted[3] == 0, "other port accepted %u", accepted[3]);
	CHECK_MSG(accepted[4] == 0, "other ISN accepted %u", accepted[4]);
	CHECK_MSG(accepted[5] == 0, "other VIP accepted %u", accepted[5]);
}

static void test_rotation_and_nodes(void)
{
	struct syncookie_secrets a = { .cur = { 21, 22 } };
	struct syncookie_secrets b = a; /* another node, same secret */
	struct syncookie_secrets rotated = { .cur = { 31, 32 },
					     .prev = { 21, 22 },
					     .has_prev = 1 };
	struct syncookie_secrets dropped = { .cur = { 31, 32 } };
	struct flow_key k = flow(EP_AF_INET);
	uint16_t mss;
	uint32_t c = syncookie_make(&a, &k, 99, 1400, 777);

	CHECK(syncookie_check(&b, &k, 99, c, 778, &mss) == 0 && mss == 1400);
	/* After rotation the old cookie still holds... */
	CHECK(syncookie_check(&rotated, &k, 99, c, 778, &mss) == 0);
	/* ...the new secret's cookies too, and not once the previous
	 * secret is dropped. */
	CHECK(syncookie_check(&rotated, &k, 99,
			      syncookie_make(&rotated, &k, 99, 1400, 778), 778,
			      &mss) == 0);
	CHECK(syncookie_check(&dropped, &k, 99, c, 778, &mss) == -EACCES);
	/* A node whose clock is a slot behind accepts; two behind not. */
	CHECK(syncookie_check(&b, &k, 99, c, 776, &mss) == 0);
	CHECK(syncookie_check(&b, &k, 99, c, 775, &mss) == -ETIME);
}

static void test_slot_wrap(void)
{
	struct syncookie_secrets s = { .cur = { 41, 42 } };
	struct flow_key k = flow(EP_AF_INET6);
	uint16_t mss;

	/* The 5-bit slot field wraps from 31 to 0 between make and check. */
	for (uint32_t slot = 60; slot < 70; slot++) {
		uint32_t c = syncookie_make(&s, &k, 5, 1220, slot);

		CHECK(syncookie_check(&s, &k, 5, c, slot + 2, &mss) == 0);
		CHECK(syncookie_check(&s, &k, 5, c, slot + 3, &mss) == -ETIME);
	}
	/* And the 32-bit slot counter itself. */
	{
		uint32_t c = syncookie_make(&s, &k, 5, 1220, UINT32_MAX);

		CHECK(syncookie_check(&s, &k, 5, c, 1, &mss) == 0);
	}
	CHECK(syncookie_slot(64 * 1000 + 63) == 1000);
}

int main(void)
{
	test_siphash();
	test_secret();
	test_roundtrip();
	test_refusals();
	test_rotation_and_nodes();
	test_slot_wrap();
	return check_summary("syncookie");
}
