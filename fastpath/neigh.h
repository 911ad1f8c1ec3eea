/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table: the MAC address and port of each backend, indexed by the
 * backend's stats id. Workers learn entries from ARP and ND traffic and ask
 * for missing ones; the main lcore sets addresses and static entries when a
 * snapshot is published. The MAC, its port and a valid bit share one
 * 64-bit word so any writer can replace them atomically without a lock.
 */
#ifndef EP_NEIGH_H
#define EP_NEIGH_H

#include <stdint.h>
#include <string.h>

#include "ep_abi.h"

#define NEIGH_VALID (1ull << 63)
#define NEIGH_PORT_SHIFT 48

struct neigh_entry {
	uint8_t addr[16]; /* written by the main lcore only */
	uint8_t family;
	uint8_t is_static;
	uint8_t pad[6];
	uint64_t mac_word; /* atomic: mac | port << 48 | NEIGH_VALID */
	uint64_t learned_tsc; /* atomic, relaxed */
	uint64_t request_tsc; /* atomic, relaxed: last request sent */
	uint64_t pad2[3];
} __attribute__((aligned(64)));

struct neigh_table {
	struct neigh_entry e[EP_MAX_BACKENDS];
};

struct neigh_table *neigh_create(int socket_id);
void neigh_free(struct neigh_table *t);

/* Main lcore: bind stats id `sid` to an address (forgets a stale MAC). */
void neigh_set_addr(struct neigh_table *t, uint32_t sid, const uint8_t *addr,
		    uint8_t family);

/* Main lcore: a static entry from the configuration. */
void neigh_set_static(struct neigh_table *t, uint32_t sid, const uint8_t mac[6],
		      uint16_t port);

static inline uint64_t neigh_word(const uint8_t mac[6], uint16_t port)
{
	uint64_t w = 0;

	memcpy(&w, mac, 6);
	return w | ((uint64_t)(port & 0xff) << NEIGH_PORT_SHIFT) | NEIGH_VALID;
}

/*
 * The MAC and port for backend `sid` at `addr`: 0 on success, -1 when the
 * entry is unknown or belongs to another address.
 */
static inline int neigh_lookup(const struct neigh_table *t, uint32_t sid,
			       const uint8_t addr[16], uint8_t mac[6],
			       uint16_t *port)
{
	const struct neigh_entry *e = &t->e[sid];
	uint64_t w = __atomic_load_n(&e->mac_word, __ATOMIC_ACQUIRE);

	if (!(w & NEIGH_VALID) || memcmp(e->addr, addr, 16) != 0)
		return -1;
	memcpy(mac, &w, 6);
	*port = (uint16_t)((w >> NEIGH_PORT_SHIFT) & 0xff);
	return 0;
}

/* Worker: record what an ARP/ND packet told us (not over static ones). */
static inline int neigh_learn(struct neigh_table *t, uint32_t sid,
			      const uint8_t mac[6], uint16_t port,
			      uint64_t now_tsc)
{
	struct neigh_entry *e = &t->e[sid];
	uint64_t w = neigh_word(mac, port);

	if (e->is_static)
		return 0;
	__atomic_store_n(&e->learned_tsc, now_tsc, __ATOMIC_RELAXED);
	if (__atomic_load_n(&e->mac_word, __ATOMIC_RELAXED) == w)
		return 0;
	__atomic_store_n(&e->mac_word, w, __ATOMIC_RELEASE);
	return 1;
}

/*
 * Worker: true when this caller should send a request for `sid` now: the
 * entry is missing or older than `refresh`, and nobody asked within
 * `interval` cycles. The compare-and-swap makes one worker the asker.
 */
static inline int neigh_should_request(struct neigh_table *t, uint32_t sid,
				       uint64_t now_tsc, uint64_t interval,
				       uint64_t refresh)
{
	struct neigh_entry *e = &t->e[sid];
	uint64_t last = __atomic_load_n(&e->request_tsc, __ATOMIC_RELAXED);
	uint64_t learned = __atomic_load_n(&e->learned_tsc, __ATOMIC_RELAXED);
	uint64_t w = __atomic_load_n(&e->mac_word, __ATOMIC_RELAXED);

	if (e->is_static || e->family == 0)
		return 0;
	if ((w & NEIGH_VALID) && now_tsc - learned < refresh)
		return 0;
	if (now_tsc - last < interval)
		return 0;
	return __atomic_compare_exchange_n(&e->request_tsc, &last, now_tsc, 0,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

#endif /* EP_NEIGH_H */
