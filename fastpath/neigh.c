/* SPDX-License-Identifier: BSD-3-Clause */
/* Neighbour table set-up and the main lcore's writes (see neigh.h). */
#include <rte_malloc.h>

#include "neigh.h"

struct neigh_table *neigh_create(int socket_id)
{
	return rte_zmalloc_socket("ep_neigh", sizeof(struct neigh_table), 64,
				  socket_id);
}

void neigh_free(struct neigh_table *t)
{
	rte_free(t);
}

void neigh_set_addr(struct neigh_table *t, uint32_t sid, const uint8_t *addr,
		    uint8_t family)
{
	struct neigh_entry *e = &t->e[sid];

	if (e->family == family && memcmp(e->addr, addr, 16) == 0)
		return;
	/* Invalidate first so no worker pairs the old MAC with the new address. */
	__atomic_store_n(&e->mac_word, 0, __ATOMIC_RELEASE);
	e->is_static = 0;
	memcpy(e->addr, addr, 16);
	e->family = family;
	__atomic_store_n(&e->learned_tsc, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->request_tsc, 0, __ATOMIC_RELEASE);
}

void neigh_set_static(struct neigh_table *t, uint32_t sid, const uint8_t mac[6],
		      uint16_t port)
{
	struct neigh_entry *e = &t->e[sid];

	e->is_static = 1;
	__atomic_store_n(&e->mac_word, neigh_word(mac, port), __ATOMIC_RELEASE);
}
