/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev table digests (maglev_digest.h): the arithmetic both processes
 * and the tests share, and the sequence-count protocol of the stats slot.
 */
#include <string.h>

#include "maglev_digest.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define DIGEST_LOAD_TRIES 1000

uint64_t ep_digest_key(const uint8_t addr[16], uint8_t family, uint16_t port_n)
{
	const uint8_t *p = (const uint8_t *)&port_n;
	uint32_t len = family == EP_AF_INET6 ? 16 : 4;
	uint64_t h = FNV_OFFSET;

	h = (h ^ family) * FNV_PRIME;
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ addr[i]) * FNV_PRIME;
	h = (h ^ p[0]) * FNV_PRIME;
	h = (h ^ p[1]) * FNV_PRIME;
	return h == EP_DIGEST_EMPTY_KEY ? 1 : h;
}

uint64_t ep_digest_table(const uint16_t *slots, uint32_t m,
			 const uint64_t *keys, uint32_t n)
{
	uint64_t h = FNV_OFFSET;

	for (uint32_t i = 0; i < m; i++) {
		uint64_t k =
			slots[i] < n ? keys[slots[i]] : EP_DIGEST_EMPTY_KEY;

		h = (h ^ k) * FNV_PRIME;
	}
	return (h ^ m) * FNV_PRIME;
}

void ep_digest_store(struct ep_stats *s, uint32_t sid,
		     const struct ep_maglev_digest *d)
{
	struct ep_maglev_digest *o = &s->maglev[sid];
	uint32_t seq = __atomic_load_n(&o->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&o->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&o->state, d->state, __ATOMIC_RELAXED);
	__atomic_store_n(&o->slots, d->slots, __ATOMIC_RELAXED);
	__atomic_store_n(&o->digest, d->digest, __ATOMIC_RELAXED);
	__atomic_store_n(&o->version, d->version, __ATOMIC_RELAXED);
	__atomic_store_n(&o->seq, seq + 2, __ATOMIC_RELEASE);
}

int ep_digest_load(const struct ep_stats *s, uint32_t sid,
		   struct ep_maglev_digest *out)
{
	const struct ep_maglev_digest *o = &s->maglev[sid];

	for (int i = 0; i < DIGEST_LOAD_TRIES; i++) {
		uint32_t a = __atomic_load_n(&o->seq, __ATOMIC_ACQUIRE);

		if (a & 1)
			continue;
		out->state = __atomic_load_n(&o->state, __ATOMIC_RELAXED);
		out->slots = __atomic_load_n(&o->slots, __ATOMIC_RELAXED);
		out->digest = __atomic_load_n(&o->digest, __ATOMIC_RELAXED);
		out->version = __atomic_load_n(&o->version, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&o->seq, __ATOMIC_RELAXED) == a) {
			out->seq = a;
			out->pad = 0;
			return 0;
		}
	}
	memset(out, 0, sizeof(*out));
	return -1;
}

const char *ep_digest_state_name(uint32_t state)
{
	static const char *const names[] = { "none", "pending", "fresh",
					     "rebuilt" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state]
							: "unknown";
}
