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
#include "maglev.h"
#include "parse.h"
#include "policing.h"

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
 * One Maglev lookup table. Its size travels with its slots, so a reader
 * that loads one pointer can never pair one table's size with another's
 * slots.
 */
struct maglev_table {
	uint32_t size; /* prime */
	uint32_t pad;
	uint16_t slots[]; /* service-local backend index per slot */
};

/*
 * A service's Maglev table in its own allocation, shared by consecutive
 * snapshots while its inputs (stats_id, table size, the ordered (hash_id,
 * effective weight) of its backends) stay the same. Only the main lcore
 * builds and frees snapshots, so `refs` is a plain integer; a table a
 * reader may still use goes only with the last reference, which a
 * snapshot drops after the RCU grace period.
 *
 * `cur` is what workers read, with one load-acquire per lookup
 * (snap_maglev_pick()). It starts as the full table, or, for a service
 * whose full table is deferred (see snap_build()), as a small provisional
 * table or the previous object's table; snap_maglev_build_pending() then
 * builds the full table and publishes it with one release-store. Every
 * table `cur` ever pointed to lives as long as the object.
 */
struct snap_maglev {
	const struct maglev_table *cur; /* atomic: the table in force */
	uint32_t refs; /* snapshots, the pending list, other objects */
	uint16_t pending; /* the full table is still to be built */
	uint16_t fresh; /* the full table is maglev_build()'s (no history) */
	struct maglev_table *full; /* owned; NULL while pending */
	struct maglev_table *provisional; /* owned, or NULL */
	struct snap_maglev *interim; /* whose table serves meanwhile */
	struct snap_maglev *next_pending; /* pending list link */
	uint32_t size; /* of the full table */
	uint32_t n_backends; /* inputs of a pending build */
	/* snap_digest_publish()'s cache: the digest of `digest_of`. */
	const struct maglev_table *digest_of;
	uint64_t digest;
	struct maglev_backend backends[];
};

/*
 * What the packets of a connection entry get (snap_service.action,
 * ct_entry.action): the ABI's forwarding modes with encap split by its
 * header, so the rewrite needs no second look at the service's flags.
 * The fast path's own; the ABI's enum ep_fwd_mode stays as it is.
 */
enum fp_action {
	FP_ACT_DSR = 1, /* rewrite MACs */
	FP_ACT_IPIP = 2, /* IP-in-IP */
	FP_ACT_NAT = 3, /* destination NAT */
	FP_ACT_GUE = 4, /* GUE: IP in UDP */
};

struct snap_service {
	uint8_t vip[16];
	uint8_t family;
	uint8_t proto;
	uint8_t fwd_mode; /* enum ep_fwd_mode */
	uint8_t sched;
	uint8_t flags;
	uint8_t action; /* enum fp_action */
	uint16_t port_n; /* network order; 0 = every port */
	uint32_t stats_id;
	uint32_t index; /* position in snapshot->services */
	uint32_t first_backend; /* into snapshot->backends */
	uint32_t n_backends;
	uint32_t n_pickable; /* up, weight > 0 */
	uint32_t
		maglev_size; /* full table's; the one in force may be smaller */
	struct snap_maglev *maglev_ref; /* NULL when the service has none */
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
	/* EP_MAX_BACKENDS bits by stats id: backends down by their checks
	 * in on_down "reset" services; NULL when there is none. */
	uint8_t *reset_down;
	struct pol_snapshot pol; /* limits and the access list (policing.h) */
};

/*
 * Build a snapshot from `len` bytes of flat configuration. Every offset,
 * count and enum is checked: the bytes are input. `prev` is the snapshot
 * being replaced (NULL on the first build; only its tables' reference
 * counts change). A Maglev service's table:
 * - shared with `prev` when its inputs are the same there (stats_id,
 *   table size, the ordered hash_ids and effective weights of its
 *   backends) and the previous table is what this configuration's mode
 *   would build (always under "minimal", where a rebuild with the same
 *   inputs changes nothing; under EP_NODE_F_MAGLEV_FRESH when that table
 *   is a fresh build, or still pending, which is one);
 * - same inputs, fresh mode, previous table from a rebuild: the previous
 *   table serves until the fresh one, deferred, replaces it;
 * - changed service whose previous full table exists (same stats_id and
 *   size): built now, rebuilt from the previous one (maglev_rebuild(),
 *   only the slots the change requires move) or, under
 *   EP_NODE_F_MAGLEV_FRESH, fresh (maglev_build());
 * - otherwise (new service, new size, previous still pending): built now,
 *   fresh, while this build has SNAP_SYNC_BUILD_SLOTS left; beyond that
 *   the service starts with a provisional table (a prime about 32 slots
 *   per backend, the same backends and weights) and its full table is
 *   deferred to snap_maglev_build_pending().
 * Every table in force holds only the configuration's pickable backends.
 * Returns 0, or a negative errno with a sentence in `err`.
 */
int snap_build(const void *flat, uint32_t len, uint64_t generation,
	       const struct fp_snapshot *prev, struct fp_snapshot **out,
	       char *err, size_t err_len);

/* Frees `s` and drops its references to Maglev tables (a table goes with
 * its last reference). */
void snap_free(struct fp_snapshot *s);

/*
 * Full Maglev tables that snap_build() deferred wait on one list owned by
 * the main lcore. snap_maglev_build_pending() builds them in the order
 * they were deferred and publishes each with one release-store, until
 * `budget_tsc` TSC cycles have passed (the table it started is always
 * finished, so a call takes at most one table's build longer; 0 builds
 * one). A pending table whose service no snapshot holds any more is
 * dropped unbuilt. Returns how many are still pending.
 */
uint32_t snap_maglev_build_pending(uint64_t budget_tsc);

/* Full tables still to build. */
uint32_t snap_maglev_pending(void);

/* Drop every pending build (teardown; tables stay with their holders). */
void snap_maglev_drop_pending(void);

/* Since start: services given a provisional or interim table, pending
 * tables built, and pending tables dropped because their service went. */
struct snap_maglev_counts {
	uint64_t deferred;
	uint64_t built;
	uint64_t abandoned;
};

void snap_maglev_counts(struct snap_maglev_counts *c);

/*
 * How many slots of full tables for services new in a snapshot one
 * snap_build() builds at once (SNAP_SYNC_BUILD_SLOTS by default); the
 * others start with a provisional table and are deferred. 2^17 is one
 * default table: a service added on its own gets its full table before
 * the ack, and a large change does not wait for more than one (about
 * 1 ms each, twice that on a CPU shared with a worker).
 */
#define SNAP_SYNC_BUILD_SLOTS (1u << 17)
void snap_set_sync_build_slots(uint32_t slots);

/*
 * Write the Maglev digest of every service of `s` into st->maglev[]
 * (ep_abi.h): state pending while a service's full table waits, else the
 * full table's digest, computed once per table while the slots digested
 * this call stay within `budget_slots` (the rest show pending). Main lcore
 * only. Returns 1 when the budget ran out (call again), else 0.
 */
int snap_digest_publish(const struct fp_snapshot *s, struct ep_stats *st,
			uint64_t budget_slots);

/*
 * The Maglev slot `hash` falls on in `sv`'s table in force (sv must have
 * one: maglev_ref != NULL), and its backend. One acquire load gives size
 * and slots together; the table may change between two calls, never
 * within one.
 */
static inline const uint16_t *snap_maglev_slot(const struct snap_service *sv,
					       uint32_t hash)
{
	const struct maglev_table *t =
		__atomic_load_n(&sv->maglev_ref->cur, __ATOMIC_ACQUIRE);

	/* hash * size / 2^32: uniform like hash % size, without a divide
	 * (about 40 cycles on the new-flow path). */
	return &t->slots[((uint64_t)hash * t->size) >> 32];
}

static inline uint16_t snap_maglev_pick(const struct snap_service *sv,
					uint32_t hash)
{
	return *snap_maglev_slot(sv, hash);
}

/* Must a flow on backend `sid` be ended (on_down "reset")? */
static inline int snap_reset_down(const struct fp_snapshot *s, uint32_t sid)
{
	return s->reset_down != NULL && sid < EP_MAX_BACKENDS &&
	       (s->reset_down[sid / 8] >> (sid % 8)) & 1;
}

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
