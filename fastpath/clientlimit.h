/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-client limits: a bounded table per worker, keyed by the client's
 * address (IPv4 /32, IPv6 cut to a configured prefix) and a scope (one
 * service, or global), holding one GCRA time per limit (packets/s, new
 * connections/s; see policer.h). Its memory is fixed at creation: when
 * every entry is in use the least recently seen one is recycled, so a
 * spray of spoofed sources costs evictions, never memory. clientlimit.c
 * creates the table and inserts; this header holds the per-packet lookup.
 *
 * Memory: 48 bytes per entry plus 4 bytes per index head (the heads are
 * the capacity rounded up to a power of two): 52 MiB for 2^20 clients.
 * Recency is kept to about a millisecond: an entry moves to the head of
 * the LRU list at most once per tick, so a busy client costs one list
 * update per tick, not one per packet.
 */
#ifndef EP_CLIENTLIMIT_H
#define EP_CLIENTLIMIT_H

#include <stdint.h>
#include <string.h>

#include "ep_abi.h"
#include "policer.h"

/* The limits an entry times. */
enum cl_limit {
	CL_PPS = 0, /* packets per second */
	CL_CPS = 1, /* new connections per second */
	CL_N_LIMITS
};

#define CL_NONE UINT32_MAX
#define CL_SCOPE_GLOBAL 0x7fffu /* not one service: every service */
#define CL_SCOPE_V6 0x8000u /* scope bit: the address is IPv6 */
#define CL_MAX_ENTRIES (1u << 26)
#define CL_DEFAULT_V6_PREFIX 64u

struct cl_entry {
	uint8_t addr[16]; /* the masked address */
	uint64_t tat[CL_N_LIMITS]; /* GCRA times (policer time) */
	uint32_t hnext; /* next entry in the index chain, or CL_NONE */
	uint32_t lru_prev; /* towards the most recent, or CL_NONE */
	uint32_t lru_next; /* towards the least recent, or CL_NONE */
	uint16_t scope; /* service stats id or CL_SCOPE_GLOBAL, | CL_SCOPE_V6 */
	uint16_t tick; /* clock tick of the last move to the LRU head */
};

_Static_assert(sizeof(struct cl_entry) == 48, "cl_entry: 48 bytes");

/* The table; its fields are the inline lookup's, written by one worker. */
struct cl_table {
	struct cl_entry *entries;
	uint32_t *heads; /* index: first entry per hash, or CL_NONE */
	uint32_t capacity;
	uint32_t head_mask;
	uint32_t used; /* entries handed out so far (never given back) */
	uint32_t lru_head; /* most recently seen */
	uint32_t lru_tail; /* least recently seen: the next to go */
	uint8_t v6_prefix; /* IPv6 bits that make a client, 1..128 */
	uint8_t tick_shift; /* TSC >> tick_shift: about a millisecond */
	uint8_t pad[2];
	uint64_t seed; /* keys the index hash (sprays cannot aim) */
	uint64_t evictions; /* entries recycled since creation */
	uint32_t refresh_cursor; /* cl_refresh()'s next entry */
	uint32_t pad2;
};

struct cl_params {
	const char *name; /* names the memory (rte_malloc) */
	uint32_t entries; /* capacity, 1..CL_MAX_ENTRIES */
	uint8_t v6_prefix; /* 1..128; 0 = CL_DEFAULT_V6_PREFIX */
	int socket_id;
	uint64_t tsc_hz; /* sets the recency tick */
	uint64_t seed; /* index hash key (random in the fast path) */
};

/* Create a table; NULL with rte_errno set (EINVAL, ENOMEM). */
struct cl_table *cl_create(const struct cl_params *p);
void cl_free(struct cl_table *t);

/* Bytes cl_create() allocates for `entries` clients. */
uint64_t cl_memory_bytes(uint32_t entries);

/*
 * Pull up to `budget` entries' GCRA times (from where the last call
 * stopped) that are more than POLICER_REFRESH_AGE behind `now_tsc` up to
 * that age, as policer_refresh() does for shared limits: a client idle
 * for most of the clock's wrap must not look far ahead. The owning worker
 * calls it, a slice at a time (the whole table well within 6 h).
 */
void cl_refresh(struct cl_table *t, uint32_t budget, uint64_t now_tsc);

/* Live entries (at most the capacity). */
static inline uint32_t cl_count(const struct cl_table *t)
{
	return t->used;
}

/* The client part of an address: IPv4 whole, IPv6 cut to `prefix` bits. */
static inline void cl_client_key(const uint8_t addr[16], uint8_t family,
				 uint8_t prefix, uint8_t key[16])
{
	memcpy(key, addr, 16);
	if (family != EP_AF_INET6 || prefix >= 128)
		return;
	key[prefix / 8] &= (uint8_t)(0xff00u >> (prefix % 8));
	memset(key + prefix / 8 + 1, 0, 15 - prefix / 8);
}

static inline uint32_t cl_hash(const struct cl_table *t, const uint8_t key[16],
			       uint16_t scope)
{
	uint64_t a, b;

	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	a = (a ^ t->seed) * 0x9e3779b97f4a7c15ull;
	b = (b ^ (t->seed >> 7) ^ scope) * 0xc2b2ae3d27d4eb4full;
	a ^= b ^ (a >> 31);
	a *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(a ^ (a >> 32));
}

/* Insert a key known to be absent, recycling the least recent entry when
 * the table is full (clientlimit.c). */
struct cl_entry *cl_insert(struct cl_table *t, const uint8_t key[16],
			   uint16_t scope, uint32_t hash, uint64_t now_tsc);

/* Move entry `i` to the LRU head (out of line: once per tick at most). */
void cl_move_to_head(struct cl_table *t, uint32_t i);

/* Entry `i` was seen at TSC tick `tick`: keep the LRU order. */
static inline void cl_seen(struct cl_table *t, uint32_t i, struct cl_entry *e,
			   uint16_t tick)
{
	if (e->tick != tick) {
		e->tick = tick;
		cl_move_to_head(t, i);
	}
}

static inline uint16_t cl_scope_of(uint16_t scope, uint8_t family)
{
	return scope | (family == EP_AF_INET6 ? CL_SCOPE_V6 : 0);
}

/* The key's entry in the index, or inserted (cl_get_prefix()). */
static inline struct cl_entry *cl_find_key(struct cl_table *t,
					   const uint8_t key[16], uint16_t sc,
					   uint64_t now_tsc)
{
	uint16_t tick = (uint16_t)(now_tsc >> t->tick_shift);
	uint32_t h = cl_hash(t, key, sc), i;

	for (i = t->heads[h & t->head_mask]; i != CL_NONE;) {
		struct cl_entry *e = &t->entries[i];

		if (e->scope == sc && memcmp(e->addr, key, 16) == 0) {
			cl_seen(t, i, e, tick);
			return e;
		}
		i = e->hnext;
	}
	return cl_insert(t, key, sc, h, now_tsc);
}

/*
 * The entry of the client sending from `addr` in `scope` (a service's
 * stats id or CL_SCOPE_GLOBAL), an IPv6 client being its first
 * `v6_prefix` bits (1..128), created when absent (its limits start with
 * no history). Never fails.
 */
static inline struct cl_entry *cl_get_prefix(struct cl_table *t,
					     const uint8_t addr[16],
					     uint8_t family, uint8_t v6_prefix,
					     uint16_t scope, uint64_t now_tsc)
{
	uint8_t key[16];

	cl_client_key(addr, family, v6_prefix, key);
	return cl_find_key(t, key, cl_scope_of(scope, family), now_tsc);
}

/*
 * How a scope cuts addresses into clients, made once per configuration
 * (cl_prefix_init()): the IPv6 prefix, and the same cut as masks over an
 * address's two 64-bit words, [0] for IPv4 (the whole address) and [1]
 * for IPv6, so that a flow's hint is checked against its entry without
 * building the key.
 */
struct cl_prefix {
	uint64_t mask[2][2];
	uint8_t v6_prefix; /* 1..128 */
};

static inline void cl_prefix_init(struct cl_prefix *cp, uint8_t v6_prefix)
{
	uint8_t ones[16], cut[16];

	memset(ones, 0xff, sizeof(ones));
	cl_client_key(ones, EP_AF_INET6, v6_prefix, cut);
	memcpy(cp->mask[0], ones, sizeof(ones));
	memcpy(cp->mask[1], cut, sizeof(cut));
	cp->v6_prefix = v6_prefix;
}

/* Whether `e` holds the client sending from `addr` (family's masks `mask`)
 * in scope `sc` (cl_scope_of()): cl_client_key() and a compare, in
 * words. */
static inline int cl_entry_holds(const struct cl_entry *e,
				 const uint8_t addr[16], uint16_t sc,
				 const uint64_t mask[2])
{
	uint64_t a0, a1, k0, k1;

	memcpy(&a0, addr, 8);
	memcpy(&a1, addr + 8, 8);
	memcpy(&k0, e->addr, 8);
	memcpy(&k1, e->addr + 8, 8);
	return e->scope == sc && (a0 & mask[0]) == k0 && (a1 & mask[1]) == k1;
}

/*
 * cl_get_prefix() that first tries the entry `*hint` names (its index +
 * 1; 0 names none), as a flow keeps it between its packets: used when it
 * still holds this client in this scope (an entry recycled for another
 * client, or a changed prefix, does not match), and `*hint` is set to the
 * entry returned. Clients are cut by `cp`. Inlined always: an established
 * flow's packet takes this path, and a call costs more than the check.
 */
static inline __attribute__((always_inline)) struct cl_entry *
cl_get_hinted(struct cl_table *t, uint32_t *hint, const uint8_t addr[16],
	      uint8_t family, const struct cl_prefix *cp, uint16_t scope,
	      uint64_t now_tsc)
{
	const int v6 = family == EP_AF_INET6;
	const uint16_t sc = scope | (v6 ? CL_SCOPE_V6 : 0);
	uint32_t i = *hint - 1;
	struct cl_entry *e;
	uint8_t key[16];

	if (i < t->used) {
		e = &t->entries[i];
		if (cl_entry_holds(e, addr, sc, cp->mask[v6])) {
			cl_seen(t, i, e, (uint16_t)(now_tsc >> t->tick_shift));
			return e;
		}
	}
	cl_client_key(addr, family, cp->v6_prefix, key);
	e = cl_find_key(t, key, sc, now_tsc);
	*hint = (uint32_t)(e - t->entries) + 1;
	return e;
}

/* cl_get_prefix() with the table's own IPv6 prefix. */
static inline struct cl_entry *cl_get(struct cl_table *t,
				      const uint8_t addr[16], uint8_t family,
				      uint16_t scope, uint64_t now_tsc)
{
	return cl_get_prefix(t, addr, family, t->v6_prefix, scope, now_tsc);
}

/* Charge one unit of limit `which` to `e` at TSC `now_tsc`; 1 admitted. */
static inline int cl_admit(const struct policer_cfg *cfg, struct cl_entry *e,
			   enum cl_limit which, uint64_t now_tsc)
{
	if (cfg->mode == POLICER_OFF)
		return 1;
	return policer_gcra_local(cfg, &e->tat[which], 1,
				  policer_time(now_tsc));
}

#endif /* EP_CLIENTLIMIT_H */
