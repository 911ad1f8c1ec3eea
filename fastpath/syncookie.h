/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SYN cookies: the initial sequence number a SYN-ACK carries when the fast
 * path answers a SYN without keeping state, and its check when the
 * client's ACK returns it. A cookie is a SipHash-2-4 MAC (keyed by a
 * secret from the configuration) over the flow, the client's ISN, a time
 * slot and the MSS index it encodes:
 *
 *   bit 31..27  time slot (wall-clock seconds / SYNCOOKIE_SLOT_S, mod 32)
 *   bit 26..24  MSS index into syncookie_mss_table
 *   bit 23..0   MAC, low 24 bits of SipHash-2-4
 *
 * The slot counts wall-clock time, not the TSC, so nodes that share the
 * secret (and keep their clocks within a slot, NTP) validate each other's
 * cookies. Rotation: a cookie made with the current secret or the
 * previous one is valid, so the operator moves the current secret to
 * `previous` and sets a new current one, on every node, within one
 * cookie lifetime. Window scaling, SACK and timestamps are not encoded:
 * a connection opened through a cookie has none of them (RFC 4987 3.6).
 *
 * syncookie.c holds the secret parsing and the byte-string SipHash; the
 * per-packet make and check are inline below.
 */
#ifndef EP_SYNCOOKIE_H
#define EP_SYNCOOKIE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"

#define SYNCOOKIE_SLOT_S 64u
#define SYNCOOKIE_SLOT_BITS 5u
#define SYNCOOKIE_MSS_BITS 3u
#define SYNCOOKIE_MAC_BITS 24u
/* A cookie is valid in its own slot and the next two (64..192 s), and
 * one slot early (a node whose clock runs up to a slot ahead). */
#define SYNCOOKIE_MAX_AGE 2u

struct syncookie_key {
	uint64_t k0;
	uint64_t k1;
};

/* The secrets in force: cookies are made with `cur`, checked with both. */
struct syncookie_secrets {
	struct syncookie_key cur;
	struct syncookie_key prev;
	uint8_t has_prev;
	uint8_t pad[7];
};

/* MSS values a cookie can say (RFC 6691 common values, ascending). */
static const uint16_t syncookie_mss_table[1u << SYNCOOKIE_MSS_BITS] = {
	536, 1220, 1300, 1360, 1400, 1440, 1460, 8960,
};

/*
 * Parse a 128-bit secret written as 32 hex digits (k0 is the first 16,
 * big-endian). Returns 0, or -EINVAL for any other text.
 */
int syncookie_parse_secret(const char *hex, struct syncookie_key *k);

/* SipHash-2-4 of `len` bytes (Aumasson and Bernstein, 2012). */
uint64_t syncookie_siphash24(const struct syncookie_key *k, const void *data,
			     size_t len);

/* The slot of a wall-clock time in seconds. */
static inline uint32_t syncookie_slot(uint64_t unix_s)
{
	return (uint32_t)(unix_s / SYNCOOKIE_SLOT_S);
}

/* Index of the largest table MSS at or below `mss` (0 below 536). */
static inline uint8_t syncookie_mss_index(uint16_t mss)
{
	uint8_t i = (1u << SYNCOOKIE_MSS_BITS) - 1;

	while (i > 0 && syncookie_mss_table[i] > mss)
		i--;
	return i;
}

#define SIPROUND(v0, v1, v2, v3)                                               \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = (v1 << 13) | (v1 >> 51);                                  \
		v1 ^= v0;                                                      \
		v0 = (v0 << 32) | (v0 >> 32);                                  \
		v2 += v3;                                                      \
		v3 = (v3 << 16) | (v3 >> 48);                                  \
		v3 ^= v2;                                                      \
		v0 += v3;                                                      \
		v3 = (v3 << 21) | (v3 >> 43);                                  \
		v3 ^= v0;                                                      \
		v2 += v1;                                                      \
		v1 = (v1 << 17) | (v1 >> 47);                                  \
		v1 ^= v2;                                                      \
		v2 = (v2 << 32) | (v2 >> 32);                                  \
	} while (0)

/*
 * SipHash-2-4 of `n` little-endian 64-bit words: the same value as
 * syncookie_siphash24() of their 8n bytes on a little-endian CPU, without
 * the byte handling.
 */
static inline uint64_t syncookie_siphash_words(const struct syncookie_key *k,
					       const uint64_t *w, uint32_t n)
{
	uint64_t v0 = k->k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k->k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k->k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k->k1 ^ 0x7465646279746573ull;
	uint64_t last = (uint64_t)(n * 8u) << 56;

	for (uint32_t i = 0; i < n; i++) {
		v3 ^= w[i];
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= w[i];
	}
	v3 ^= last;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The MAC bits for a flow (client -> VIP key), ISN, full slot, MSS index. */
static inline uint32_t syncookie_mac(const struct syncookie_key *key,
				     const struct flow_key *k,
				     uint32_t client_isn, uint32_t slot,
				     uint8_t mss_idx)
{
	uint64_t w[6];
	uint32_t n;

	if (k->family == EP_AF_INET) {
		uint32_t s, d;

		memcpy(&s, k->src, 4);
		memcpy(&d, k->dst, 4);
		w[0] = (uint64_t)s | (uint64_t)d << 32;
		n = 1;
	} else {
		memcpy(w, k->src, 16);
		memcpy(w + 2, k->dst, 16);
		n = 4;
	}
	w[n++] = (uint64_t)k->sport | (uint64_t)k->dport << 16 |
		 (uint64_t)client_isn << 32;
	w[n++] = (uint64_t)slot | (uint64_t)mss_idx << 32 |
		 (uint64_t)k->family << 40;
	return (uint32_t)syncookie_siphash_words(key, w, n) &
	       ((1u << SYNCOOKIE_MAC_BITS) - 1);
}

/*
 * The cookie (our ISN) for a SYN of flow `k` with sequence number
 * `client_isn` asking for MSS `mss`, at wall-clock slot `slot`.
 */
static inline uint32_t syncookie_make(const struct syncookie_secrets *s,
				      const struct flow_key *k,
				      uint32_t client_isn, uint16_t mss,
				      uint32_t slot)
{
	uint8_t mi = syncookie_mss_index(mss);

	return (slot & ((1u << SYNCOOKIE_SLOT_BITS) - 1)) << 27 |
	       (uint32_t)mi << 24 |
	       syncookie_mac(&s->cur, k, client_isn, slot, mi);
}

/*
 * Check the cookie an ACK returns: `cookie` is its acknowledgement number
 * minus one, `client_isn` its sequence number minus one. Returns 0 and the
 * encoded MSS in *mss, -ETIME when the slot is too old (or too far ahead),
 * -EACCES when neither secret made it.
 */
static inline int syncookie_check(const struct syncookie_secrets *s,
				  const struct flow_key *k, uint32_t client_isn,
				  uint32_t cookie, uint32_t now_slot,
				  uint16_t *mss)
{
	const uint32_t slot_mask = (1u << SYNCOOKIE_SLOT_BITS) - 1;
	uint32_t age = (now_slot - (cookie >> 27)) & slot_mask;
	uint8_t mi = (cookie >> 24) & ((1u << SYNCOOKIE_MSS_BITS) - 1);
	uint32_t mac = cookie & ((1u << SYNCOOKIE_MAC_BITS) - 1), slot;

	if (age > SYNCOOKIE_MAX_AGE && age != slot_mask)
		return -ETIME;
	/* age == slot_mask: made one slot ahead of our clock. */
	slot = age == slot_mask ? now_slot + 1 : now_slot - age;
	if (syncookie_mac(&s->cur, k, client_isn, slot, mi) != mac &&
	    (!s->has_prev ||
	     syncookie_mac(&s->prev, k, client_isn, slot, mi) != mac))
		return -EACCES;
	*mss = syncookie_mss_table[mi];
	return 0;
}

#endif /* EP_SYNCOOKIE_H */
