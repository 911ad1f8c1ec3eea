/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one reader-side check of the flat configuration (ep_abi.h), called
 * by the fast path before it builds a snapshot (snapshot.c) and by the
 * slow path before it reads a flat form back (config.c) or names its
 * services and backends (metrics.c). One set of rules, so a buffer one
 * process accepts the other accepts too. Plain C, no allocation.
 */
#ifndef EP_FLAT_CHECK_H
#define EP_FLAT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ep_abi.h"

/*
 * Check `len` bytes at `buf` (any alignment; spare bytes after total_len
 * are allowed, as the staging area is larger than what it holds):
 * - header: magic, ABI version, sizeof(header) <= total_len <= len,
 *   counts within the EP_MAX_* limits, known node flags, encap sources
 *   unset or well-formed;
 * - arrays: 8-byte aligned offsets after the header, every array inside
 *   total_len (also when empty), no two overlapping;
 * - services: name NUL-terminated, VIP well-formed, protocol TCP or UDP,
 *   forwarding mode, scheduler and flags known (GUE only with encap),
 *   stats_id below EP_MAX_SERVICES and unique, backends in consecutive
 *   ranges that cover the backend array in order, a Maglev table size
 *   that is prime, within EP_MAGLEV_MAX_SIZE and no smaller than the
 *   service's backends (which fit a 16-bit table slot);
 * - backends: address well-formed, state and has_mac known, stats_id
 *   below EP_MAX_BACKENDS and unique;
 * - node addresses: well-formed.
 * "Well-formed": family 4 or 6, pad and unused IPv4 bytes zero (readers
 * compare addresses with memcmp).
 * Returns 0, -EINVAL, -EPROTO (another ABI version) or -E2BIG (counts
 * beyond the limits), with a sentence naming the field in `err`.
 */
int ep_flat_check(const void *buf, size_t len, char *err, size_t err_len);

/* True when m is prime (Maglev table sizes). */
bool ep_is_prime(uint32_t m);

/* Copies of the entries of a checked buffer (any alignment). */
static inline void ep_flat_header(const void *buf, struct ep_cfg_hdr *h)
{
	memcpy(h, buf, sizeof(*h));
}

static inline void ep_flat_service(const void *buf, const struct ep_cfg_hdr *h,
				   uint32_t i, struct ep_cfg_service *out)
{
	memcpy(out,
	       (const uint8_t *)buf + h->off_services +
		       (size_t)i * sizeof(*out),
	       sizeof(*out));
}

static inline void ep_flat_backend(const void *buf, const struct ep_cfg_hdr *h,
				   uint32_t i, struct ep_cfg_backend *out)
{
	memcpy(out,
	       (const uint8_t *)buf + h->off_backends +
		       (size_t)i * sizeof(*out),
	       sizeof(*out));
}

static inline void ep_flat_node_addr(const void *buf,
				     const struct ep_cfg_hdr *h, uint32_t i,
				     struct ep_cfg_node_addr *out)
{
	memcpy(out,
	       (const uint8_t *)buf + h->off_node_addrs +
		       (size_t)i * sizeof(*out),
	       sizeof(*out));
}

#endif /* EP_FLAT_CHECK_H */
