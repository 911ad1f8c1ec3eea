/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration snapshots: the immutable form of one flat configuration
 * (services, backends, Maglev and round-robin tables, address lookups) that
 * workers read under RCU. snapshot.c validates the flat bytes from the slow
 * path and builds the tables on the main lcore; this header also holds the
 * inline per-packet lookups.
 */
#ifndef EP_SNAPSHOT_H
#define EP_SNAPSHOT_H

#include <stdint.h>
#include <string.h>

#include "ep_abi.h"
#include "parse.h"

struct snap_backend {
	uint8_t addr[16];
	uint8_t family;
	uint8_t state;
	uint16_t port_n; /* network order; 0 = keep the packet's port */
	uint16_t weight;
	uint16_t pad;
	uint32_t stats_id;
	uint32_t next_same_addr; /* next backend with this address, or MAX */
};

/*
 * A service's Maglev table in its own allocation, shared by consecutive
 * snapshots while its inputs (stats_id, table size, the node's Maglev mode,
 * the ordered (hash_id, effective weight) of its backends) stay the same.
 * Only the main lcore builds and frees snapshots, so `refs` is a plain
 * integer; a table a reader may still use goes only with the last snapshot
 * holding it, which is freed after the RCU grace period.
 */
struct snap_maglev {
	uint32_t refs;
	uint32_t pad;
	uint16_t slots[];
};

struct snap_service {
	uint8_t vip[16];
	uint8_t family;
	uint8_t proto;
	uint8_t fwd_mode;
	uint8_t sched;
	uint8_t flags;
	uint8_t pad;
	uint16_t port_n; /* network order; 0 = every port */
	uint32_t stats_id;
	uint32_t index; /* position in snapshot->services */
	uint32_t first_backend; /* into snapshot->backends */
	uint32_t n_backends;
	uint32_t n_pickable; /* up, weight > 0 */
	uint32_t maglev_size;
	const uint16_t *maglev; /* service-local backend index per slot */
	struct snap_maglev *maglev_ref; /* holds `maglev`; NULL if none */
	uint32_t wrr_len;
	const uint16_t *wrr; /* rr/wrr order of service-local indices */
	char name[EP_NAME_LEN];
};

/* Open-addressing slot mapping an address (+port, proto) to a value. */
struct snap_addr_slot {
	uint8_t addr[16];
	uint16_t port_n;
	uint8_t proto;
	uint8_t family; /* 0 = empty */
	uint32_t value;
};

struct snap_addr_table {
	uint32_t mask; /* slots - 1, slots a power of two */
	struct snap_addr_slot *slots;
};

/* Values in snapshot->local_addrs. */
#define SNAP_LOCAL_NODE 1u
#define SNAP_LOCAL_VIP 2u

struct fp_snapshot {
	uint64_t generation;
	uint64_t version;
	struct ep_cfg_node node;
	uint32_t n_services;
	uint32_t n_backends;
	uint32_t has_nat; /* any NAT service: replies need lookups */
	uint8_t has_src4; /* a node IPv4 address to send requests from */
	uint8_t has_src6;
	uint8_t pad[2];
	uint8_t src4[16];
	uint8_t src6[16];
	struct snap_service *services;
	struct snap_backend *backends;
	struct snap_addr_table vips; /* (vip, port, proto) -> service */
	struct snap_addr_table local_addrs; /* addr -> SNAP_LOCAL_* */
	struct snap_addr_table backend_ids; /* addr -> first backend index */
	uint16_t *tables; /* one allocation for all round-robin tables */
};

/*
 * Build a snapshot from `len` bytes of flat configuration. Every offset,
 * count and enum is checked: the bytes are input. `prev` is the snapshot
 * being replaced (NULL on the first build; only its tables' reference
 * counts change): a service whose Maglev inputs are all the same there
 * (stats_id, table size, the node's EP_NODE_F_MAGLEV_FRESH, the ordered
 * hash_ids and effective weights of its backends) shares its previous
 * table (one more reference, no build). Otherwise a service with the same
 * stats_id and Maglev table size there gets its table rebuilt from the
 * previous one (maglev_rebuild(): only the slots the change requires
 * move), any other a fresh table. When the new configuration's node flags
 * have EP_NODE_F_MAGLEV_FRESH, no table is rebuilt: each is shared or
 * fresh (maglev_build(): set by the backends alone). Returns 0, or a
 * negative errno with a sentence in `err`.
 */
int snap_build(const void *flat, uint32_t len, uint64_t generation,
	       const struct fp_snapshot *prev, struct fp_snapshot **out,
	       char *err, size_t err_len);

/* Frees `s` and drops its references to Maglev tables (a table goes with
 * its last reference). */
void snap_free(struct fp_snapshot *s);

/* Hash for the address tables (not the flow hash: no seed needed). */
static inline uint32_t snap_addr_hash(const uint8_t addr[16], uint16_t port_n,
				      uint8_t proto)
{
	uint64_t a, b;

	memcpy(&a, addr, 8);
	memcpy(&b, addr + 8, 8);
	a ^= b * 0x9e3779b97f4a7c15ull;
	a ^= ((uint64_t)port_n << 8 | proto) * 0xc2b2ae3d27d4eb4full;
	a ^= a >> 29;
	a *= 0xbf58476d1ce4e5b9ull;
	a ^= a >> 32;
	return (uint32_t)a;
}

/* Find (addr, port, proto) in `t`; UINT32_MAX when absent. */
static inline uint32_t snap_addr_find(const struct snap_addr_table *t,
				      const uint8_t addr[16], uint8_t family,
				      uint16_t port_n, uint8_t proto)
{
	uint32_t i = snap_addr_hash(addr, port_n, proto) & t->mask;

	for (;;) {
		const struct snap_addr_slot *s = &t->slots[i];

		if (s->family == 0)
			return UINT32_MAX;
		if (s->family == family && s->port_n == port_n &&
		    s->proto == proto && memcmp(s->addr, addr, 16) == 0)
			return s->value;
		i = (i + 1) & t->mask;
	}
}

/* The service a forward packet belongs to, or NULL. */
static inline const struct snap_service *
snap_find_service(const struct fp_snapshot *s, const struct flow_key *k)
{
	uint32_t idx =
		snap_addr_find(&s->vips, k->dst, k->family, k->dport, k->proto);

	if (idx == UINT32_MAX)
		idx = snap_addr_find(&s->vips, k->dst, k->family, 0, k->proto);
	return idx == UINT32_MAX ? NULL : &s->services[idx];
}

#endif /* EP_SNAPSHOT_H */
