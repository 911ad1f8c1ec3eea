/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow hashing: the software hash used when the NIC gives no RSS hash, and
 * for Maglev picks. Seeded at start so that an attacker cannot aim flows at
 * one backend or one connection-table bucket.
 */
#ifndef EP_FLOWHASH_H
#define EP_FLOWHASH_H

#include <stdint.h>

#include "parse.h"

/* Hash of the whole forward 5-tuple. */
uint32_t flowhash_key(const struct flow_key *key, uint32_t seed);

/* Hash of the source address only (source-IP affinity). */
uint32_t flowhash_src(const struct flow_key *key, uint32_t seed);

/*
 * Hash of one endpoint (address + port): the client side of a flow. Both
 * directions of a NAT flow hash to the same value, so it picks the worker.
 */
uint32_t flowhash_endpoint(const uint8_t addr[16], uint16_t port,
			   uint32_t seed);

/* A random seed from the OS (getrandom); called once at start. */
uint32_t flowhash_random_seed(void);

#endif /* EP_FLOWHASH_H */
