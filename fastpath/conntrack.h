/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection table: one per worker, fixed memory chosen at start, touched
 * only by its own worker (no locks). Each entry is a record of two cache
 * lines, the flow's key and then its state, indexed by "position"
 * (0..capacity-1); an index of 64-byte buckets maps a key's hash to
 * positions. Entries age by protocol state; a full table evicts the
 * stalest entry of a small sample before adding. conntrack.c builds,
 * ages and evicts; this header also holds the inline per-packet accessors
 * and state updates.
 */
#ifndef EP_CONNTRACK_H
#define EP_CONNTRACK_H

#include <stdint.h>

#include "parse.h"

enum ct_state {
	CT_FREE = 0,
	CT_SYN = 1, /* TCP: only the opening SYN seen so far */
	CT_EST = 2, /* TCP: traffic beyond the SYN */
	CT_FIN = 3, /* TCP: FIN or RST seen */
	CT_UDP = 4, /* UDP (and ICMP echo) */
	CT_STATE_MAX
};

/* Default timeouts in milliseconds (documented in docs/fastpath.md). */
#define CT_TIMEOUT_SYN_MS 30000u
#define CT_TIMEOUT_EST_MS 300000u
#define CT_TIMEOUT_FIN_MS 10000u
#define CT_TIMEOUT_UDP_MS 60000u

/* Entry flags. */
#define CT_F_REPLY 0x01u /* reverse (backend -> client) entry of a NAT flow */
/* A flow opened by the SYN proxy (synproxy.c), both entries: sequence
 * numbers are translated by seq_delta; WAIT while the backend's SYN-ACK
 * is still to come. */
#define CT_F_SYNPROXY 0x02u
#define CT_F_SP_WAIT 0x04u
/* Forward entry, TCP: this opening of the flow has had its passive
 * outlier verdict counted (outlier.h); cleared when a closing entry is
 * reused by a new SYN. */
#define CT_F_ANSWERED 0x08u

#define CT_NO_PEER UINT32_MAX

/* One cache line of per-flow state. */
struct ct_entry {
	uint8_t addr[16]; /* forward: backend address; reply: the VIP */
	uint64_t last_tsc; /* TSC of the last packet (either direction) */
	uint32_t backend_sid;
	uint32_t service_sid;
	uint32_t peer_pos; /* NAT: the other direction's slot, or CT_NO_PEER */
	uint16_t port; /* forward: backend port; reply: VIP port (net) */
	uint16_t in_port; /* DPDK port the client's packets arrive on */
	uint8_t state; /* enum ct_state */
	uint8_t flags; /* CT_F_* */
	uint8_t action; /* enum fp_action (snapshot.h) */
	uint8_t family;
	uint8_t client_mac[6]; /* NAT: destination MAC for replies */
	/* conntrack.c's own: */
	uint8_t live; /* 1 while the position is in use */
	uint8_t pad;
	uint32_t ix_slot; /* where the index holds it: bucket * 8 + slot */
	uint32_t ix_home; /* the key's home bucket (hash & mask) */
	/* CT_F_SYNPROXY: backend ISN minus the cookie ISN (synproxy.c) */
	uint32_t seq_delta;
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct ct_entry) == 64, "ct_entry: one cache line");

/* A position's record: the key line, then the state line. */
struct ct_rec {
	struct flow_key key;
	uint32_t hash; /* the caller's hash of key */
	uint32_t aux[3]; /* the caller's, not cleared by insert (synproxy.c) */
	struct ct_entry e;
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct ct_rec) == 128, "ct_rec: two cache lines");

struct ct_table;

/* The first member of struct ct_table, for the inline accessors. */
struct ct_table_head {
	struct ct_rec *recs; /* indexed by position */
	uint32_t capacity; /* positions: 0..capacity-1 */
	uint32_t bucket_mask; /* index buckets - 1 (a power of two) */
	const void *buckets; /* the index: 64-byte buckets */
};

/* Largest capacity (the index gets at least twice as many key slots). */
#define CT_MAX_ENTRIES (1u << 28)

/*
 * Called once per flow the table removes on its own (age, eviction), with
 * the forward entry, before it is freed; its NAT peer goes with it and is
 * not reported separately.
 */
typedef void (*ct_removed_cb)(const struct ct_entry *e, void *arg);

struct ct_params {
	const char *name; /* names the table's memory (rte_malloc) */
	uint32_t
		entries; /* capacity (live entries at most), 8..CT_MAX_ENTRIES */
	int socket_id;
	uint64_t tsc_hz; /* > 0: converts the timeouts to TSC cycles */
	uint32_t timeout_ms[CT_STATE_MAX]; /* 0 = the CT_TIMEOUT_* default */
	ct_removed_cb on_remove; /* may be NULL */
	void *cb_arg;
};

/* Create a table; NULL with rte_errno set on failure. */
struct ct_table *ct_create(const struct ct_params *p);
void ct_free(struct ct_table *t);

/*
 * Replace on_remove and its argument, e.g. once the owning worker is
 * known. Call before that worker starts, or from it.
 */
void ct_set_remove_cb(struct ct_table *t, ct_removed_cb cb, void *arg);

/* Number of live entries (forward and reply). */
uint32_t ct_count(const struct ct_table *t);
uint32_t ct_capacity(const struct ct_table *t);

/* Flows ct_insert() has evicted to make room, since the table was made. */
uint64_t ct_evictions(const struct ct_table *t);

/* Most keys one ct_lookup_bulk() takes. */
#define CT_LOOKUP_BULK_MAX 64u

/*
 * Look up `n` (<= CT_LOOKUP_BULK_MAX; more are not looked at) keys with
 * their precomputed hashes. pos[i] gets the entry's position, or -ENOENT
 * when absent. Every key's bucket is fetched before any is read, and every
 * hit's record before any key is compared, so the cache misses of a burst
 * overlap; the hits' state lines are on their way when this returns.
 * Returns the hit count.
 */
uint32_t ct_lookup_bulk(struct ct_table *t, const struct flow_key **keys,
			const uint32_t *hashes, uint32_t n, int32_t *pos);

/* Single lookup; the entry's position, or -ENOENT when absent. */
int32_t ct_lookup(struct ct_table *t, const struct flow_key *key,
		  uint32_t hash);

/*
 * Insert a key that is not present. When the table holds `entries` live
 * entries, the stalest forward entry of a sample (FIN before SYN before
 * UDP before EST, then oldest) is evicted first, reported through
 * on_remove and counted (ct_evictions); the position returned by the
 * previous ct_insert is never the one evicted, so a NAT caller can insert
 * the forward and then the reply entry. Returns the new position, its
 * entry zeroed except state (CT_SYN for TCP keys, CT_UDP otherwise),
 * last_tsc = now_tsc and peer_pos = CT_NO_PEER; -EEXIST if the key is
 * already present (nothing changed, nothing evicted), or -ENOSPC.
 *
 * NAT flows: the caller inserts the reply key itself, sets both peer_pos
 * fields and CT_F_REPLY on the reply entry. Only forward entries age and
 * are evicted (their peer with them), so the caller credits a reply
 * packet to the forward entry: ct_touch(ct_entry_at(t, reply->peer_pos)).
 */
int32_t ct_insert(struct ct_table *t, const struct flow_key *key, uint32_t hash,
		  uint64_t now_tsc);

/*
 * Start fetching the index bucket of `hash`, as soon as the hash is
 * known: the burst's later work then hides the wait for it.
 */
static inline void ct_prefetch(const struct ct_table *t, uint32_t hash)
{
	const struct ct_table_head *h = (const struct ct_table_head *)t;

	__builtin_prefetch((const char *)h->buckets +
			   (size_t)(hash & h->bucket_mask) * 64);
}

/* The state at position `pos` (valid while it is live), or NULL. */
static inline struct ct_entry *ct_entry_at(struct ct_table *t, int32_t pos)
{
	const struct ct_table_head *h = (const struct ct_table_head *)t;

	return pos >= 0 && (uint32_t)pos < h->capacity ? &h->recs[pos].e : NULL;
}

/* The caller's words beside the key at position `pos`, or NULL: in the
 * key's cache line, which a lookup has just read. */
static inline uint32_t *ct_aux_at(struct ct_table *t, int32_t pos)
{
	const struct ct_table_head *h = (const struct ct_table_head *)t;

	return pos >= 0 && (uint32_t)pos < h->capacity ? h->recs[pos].aux
						       : NULL;
}

/* ct_aux_at() of the entry `e` that ct_entry_at() gave: the words of
 * the same record, without checking the position again. */
static inline uint32_t *ct_aux_of(struct ct_entry *e)
{
	return ((struct ct_rec *)(void *)((char *)e -
					  __builtin_offsetof(struct ct_rec, e)))
		->aux;
}

/* The key stored at position `pos`, or NULL. */
const struct flow_key *ct_key_at(const struct ct_table *t, int32_t pos);

/*
 * Remove position `pos` (forward or reply) and its NAT peer, if any;
 * on_remove is not called. A position that is not live is ignored.
 */
void ct_remove(struct ct_table *t, int32_t pos);

/*
 * Visit up to `budget` positions from where the last call stopped, removing
 * forward entries idle longer than their state's timeout (with their NAT
 * peers) and reporting each through on_remove. Returns how many were
 * removed.
 */
uint32_t ct_age(struct ct_table *t, uint64_t now_tsc, uint32_t budget);

/*
 * Copy up to `max` live forward entries whose service_sid matches
 * (UINT32_MAX = any) into `out`, starting at the table's beginning:
 * client = key source, vip = key destination, backend from the entry
 * (the VIP port when the entry's port is 0); ports in host order, as in
 * the rest of the ABI. Returns the number copied. Runs on the owning
 * worker only.
 */
uint32_t ct_sample(const struct ct_table *t, uint32_t service_sid,
		   uint64_t now_tsc, uint64_t tsc_hz, uint16_t worker,
		   struct ep_flow_entry *out, uint32_t max);

/*
 * Advance a TCP/UDP entry's state for one packet of its flow (either
 * direction: pass the forward entry). A bare SYN on a closing entry is
 * the client reusing its port for a new connection: back to CT_SYN.
 */
static inline void ct_touch(struct ct_entry *e, uint8_t proto,
			    uint8_t tcp_flags, uint64_t now_tsc)
{
	const uint8_t fin = 0x01, syn = 0x02, rst = 0x04, ack = 0x10;

	e->last_tsc = now_tsc;
	if (proto != 6 /* IPPROTO_TCP */)
		return;
	if (tcp_flags & (fin | rst))
		e->state = CT_FIN;
	else if (e->state == CT_FIN && (tcp_flags & (syn | ack)) == syn)
		e->state = CT_SYN;
	else if (e->state == CT_SYN && !(tcp_flags & syn))
		e->state = CT_EST;
}

#endif /* EP_CONNTRACK_H */
