/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Digest of a Maglev table over backend identities (ep_abi.h, struct
 * ep_maglev_digest): the fast path writes it, the slow path and tests
 * read it. Two nodes with the same configuration and hash seed build
 * byte-identical tables, so they publish equal digests; the digest names
 * backends by address and port, not by their index in a node's arrays.
 */
#ifndef EP_MAGLEV_DIGEST_H
#define EP_MAGLEV_DIGEST_H

#include <stdint.h>

#include "ep_abi.h"

#define EP_DIGEST_EMPTY_KEY 0u

/* A backend's key: FNV-1a 64 over family, address bytes and port (network
 * order); never EP_DIGEST_EMPTY_KEY. */
uint64_t ep_digest_key(const uint8_t addr[16], uint8_t family, uint16_t port_n);

/*
 * The digest of `m` slots, each a service-local backend index into
 * `keys` (n of them); indexes >= n (MAGLEV_EMPTY) count as empty.
 */
uint64_t ep_digest_table(const uint16_t *slots, uint32_t m,
			 const uint64_t *keys, uint32_t n);

/* Write `d` into slot `sid` under its sequence count (one writer). */
void ep_digest_store(struct ep_stats *s, uint32_t sid,
		     const struct ep_maglev_digest *d);

/* Read slot `sid` consistently: 0, or -1 after too many torn reads. */
int ep_digest_load(const struct ep_stats *s, uint32_t sid,
		   struct ep_maglev_digest *out);

/* "none", "pending", "fresh", "rebuilt". */
const char *ep_digest_state_name(uint32_t state);

#endif /* EP_MAGLEV_DIGEST_H */
