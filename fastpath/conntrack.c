/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection table: builds, ages and evicts a worker's flow table. The
 * rte_hash maps a key to the entry's index (its data pointer, read from
 * the key's own cache line by the lookup); per-flow state lives in a
 * parallel cache-line array indexed by that, and a private slot array keeps
 * each key with the caller's hash, which rte_hash needs to delete a key it
 * was given. Indices 0..capacity-1 are handed out from a free stack.
 *
 * The rte_hash has about twice as many key slots as the table holds
 * entries, and a full table evicts before it adds: the hash never runs
 * above ~50 % load, where an add finds room in one of its two buckets
 * instead of running the cuckoo displacement search (at 100 % load that
 * search ran, and failed, on every insert).
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "conntrack.h"

/* Forward entries looked at per eviction: enough to find a stale one. */
#define CT_EVICT_SAMPLE 8u

/*
 * The key and hash of each entry. rte_hash_get_key_with_position()
 * cannot serve here: it re-hashes the key with the table's own function,
 * which is not the caller's hash, so it would report live keys as absent.
 */
struct ct_slot {
	struct flow_key key;
	uint32_t hash;
};

/* Bits of the filter of keys inserted since the last ct_lookup_bulk(). */
#define CT_RECENT_BITS 256u

struct ct_table {
	struct ct_table_head head; /* entries, capacity: see conntrack.h */
	struct rte_hash *h;
	struct ct_slot *slots; /* indexed like entries */
	uint32_t *free_idx; /* stack of free indices */
	uint32_t n_free;
	uint32_t count;
	uint32_t age_cursor;
	uint32_t evict_cursor;
	int32_t last_insert; /* never evicted by the next insert */
	uint64_t evictions;
	uint64_t recent[CT_RECENT_BITS / 64]; /* see ct_insert_missed() */
	uint64_t tsc_hz;
	uint64_t timeout_tsc[CT_STATE_MAX];
	ct_removed_cb on_remove;
	void *cb_arg;
} __rte_cache_aligned;

static const uint32_t default_timeout_ms[CT_STATE_MAX] = {
	[CT_FREE] = CT_TIMEOUT_SYN_MS, [CT_SYN] = CT_TIMEOUT_SYN_MS,
	[CT_EST] = CT_TIMEOUT_EST_MS,  [CT_FIN] = CT_TIMEOUT_FIN_MS,
	[CT_UDP] = CT_TIMEOUT_UDP_MS,
};

/* Eviction preference: lower goes first. */
static const uint8_t evict_rank[CT_STATE_MAX] = {
	[CT_FREE] = 0, [CT_FIN] = 0, [CT_SYN] = 1, [CT_UDP] = 2, [CT_EST] = 3,
};

/* Exact for any tsc_hz, and no overflow for any 32-bit timeout. */
static uint64_t ms_to_tsc(uint32_t ms, uint64_t hz)
{
	return (uint64_t)(ms / 1000) * hz + (uint64_t)(ms % 1000) * hz / 1000;
}

/* A caller may write any byte into state; never index past the tables. */
static unsigned int state_of(const struct ct_entry *e)
{
	return e->state < CT_STATE_MAX ? e->state : CT_FREE;
}

static int pos_valid(const struct ct_table *t, int32_t pos)
{
	return pos >= 0 && (uint32_t)pos < t->head.capacity;
}

static int params_valid(const struct ct_params *p)
{
	return p != NULL && p->name != NULL && p->entries >= 8 &&
	       p->entries <= CT_MAX_ENTRIES && p->tsc_hz > 0;
}

/*
 * Key slots for a table of `entries`: twice as many, less one so that a
 * power-of-two capacity does not double rte_hash's free-slot ring again
 * (it holds slots + 1 rounded up to a power of two). Its buckets hold
 * slots rounded up to a power of two, so the load stays at or below 50 %.
 */
static uint32_t hash_slots(uint32_t entries)
{
	return 2 * entries - 1;
}

static struct rte_hash *create_hash(const struct ct_params *p)
{
	struct rte_hash_parameters hp = {
		.name = p->name,
		.entries = hash_slots(p->entries),
		.key_len = sizeof(struct flow_key),
		/* Required by create; every call passes the caller's hash. */
		.hash_func = rte_hash_crc,
		.hash_func_init_val = 0,
		.socket_id = p->socket_id,
		/* The extendable buckets take a key that neither of its
		 * buckets has room for, so an add fails only when every key
		 * slot is in use: never, with at most half of them live. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	return rte_hash_create(&hp);
}

struct ct_table *ct_create(const struct ct_params *p)
{
	struct ct_table *t;
	unsigned int s;
	uint32_t i;
	int err = ENOMEM;

	if (!params_valid(p)) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("ct_table", sizeof(*t), RTE_CACHE_LINE_SIZE,
			       p->socket_id);
	if (t == NULL)
		goto fail;
	t->h = create_hash(p);
	if (t->h == NULL) {
		err = rte_errno;
		goto fail_table;
	}
	t->head.entries = rte_zmalloc_socket(
		"ct_entries", sizeof(*t->head.entries) * p->entries,
		RTE_CACHE_LINE_SIZE, p->socket_id);
	t->slots =
		rte_zmalloc_socket("ct_slots", sizeof(*t->slots) * p->entries,
				   RTE_CACHE_LINE_SIZE, p->socket_id);
	t->free_idx = rte_malloc_socket(
		"ct_free", sizeof(uint32_t) * p->entries, 0, p->socket_id);
	if (!t->head.entries || !t->slots || !t->free_idx)
		goto fail_arrays;

	t->head.capacity = p->entries;
	/* Popped in increasing order: a young table stays compact. */
	for (i = 0; i < p->entries; i++)
		t->free_idx[i] = p->entries - 1 - i;
	t->n_free = p->entries;
	t->last_insert = -1;
	t->tsc_hz = p->tsc_hz;
	for (s = 0; s < CT_STATE_MAX; s++) {
		uint32_t ms = p->timeout_ms[s] ? p->timeout_ms[s]
					       : default_timeout_ms[s];

		t->timeout_tsc[s] = ms_to_tsc(ms, p->tsc_hz);
	}
	t->on_remove = p->on_remove;
	t->cb_arg = p->cb_arg;
	return t;

fail_arrays:
	rte_free(t->free_idx);
	rte_free(t->slots);
	rte_free(t->head.entries);
	rte_hash_free(t->h);
fail_table:
	rte_free(t);
fail:
	rte_errno = err;
	return NULL;
}

void ct_free(struct ct_table *t)
{
	if (t == NULL)
		return;
	rte_free(t->free_idx);
	rte_free(t->slots);
	rte_free(t->head.entries);
	rte_hash_free(t->h);
	rte_free(t);
}

void ct_set_remove_cb(struct ct_table *t, ct_removed_cb cb, void *arg)
{
	t->on_remove = cb;
	t->cb_arg = arg;
}

uint32_t ct_count(const struct ct_table *t)
{
	return t->count;
}

uint32_t ct_capacity(const struct ct_table *t)
{
	return t->head.capacity;
}

uint64_t ct_evictions(const struct ct_table *t)
{
	return t->evictions;
}

/* The index a key's data pointer holds. */
static inline int32_t data_pos(const void *d)
{
	return (int32_t)(uintptr_t)d;
}

uint32_t ct_lookup_bulk(struct ct_table *t, const struct flow_key **keys,
			const uint32_t *hashes, uint32_t n, int32_t *pos)
{
	void *data[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t hit_mask = 0;
	uint32_t i;
	int hits;

	/* What ct_insert_missed() may trust starts here. */
	memset(t->recent, 0, sizeof(t->recent));
	if (n == 0)
		return 0;
	/* rte_hash takes non-const arrays but only reads them. */
	hits = rte_hash_lookup_with_hash_bulk_data(
		t->h, (const void **)keys, (hash_sig_t *)(uintptr_t)hashes, n,
		&hit_mask, data);
	if (hits < 0) {
		for (i = 0; i < n; i++)
			pos[i] = -EINVAL;
		return 0;
	}
	for (i = 0; i < n; i++)
		pos[i] = (hit_mask >> i) & 1 ? data_pos(data[i]) : -ENOENT;
	return (uint32_t)hits;
}

int32_t ct_lookup(struct ct_table *t, const struct flow_key *key, uint32_t hash)
{
	void *d;
	int rc = rte_hash_lookup_with_hash_data(t->h, key, hash, &d);

	return rc < 0 ? rc : data_pos(d);
}

const struct flow_key *ct_key_at(const struct ct_table *t, int32_t pos)
{
	if (!pos_valid(t, pos) || !t->head.entries[pos].live)
		return NULL;
	return &t->slots[pos].key;
}

/* Free one live entry; leaves its peer alone. */
static void remove_one(struct ct_table *t, uint32_t pos)
{
	struct ct_slot *s = &t->slots[pos];

	rte_hash_del_key_with_hash(t->h, &s->key, s->hash);
	memset(&t->head.entries[pos], 0, sizeof(t->head.entries[pos]));
	t->free_idx[t->n_free++] = pos;
	t->count--;
}

/* Free a slot and its NAT peer (when that is a distinct live slot). */
static void remove_flow(struct ct_table *t, uint32_t pos)
{
	uint32_t peer = t->head.entries[pos].peer_pos;

	remove_one(t, pos);
	if (peer != CT_NO_PEER && peer != pos && peer < t->head.capacity &&
	    t->head.entries[peer].live)
		remove_one(t, peer);
}

void ct_remove(struct ct_table *t, int32_t pos)
{
	if (pos_valid(t, pos) && t->head.entries[pos].live)
		remove_flow(t, (uint32_t)pos);
}

/* Report a forward entry, then free it with its peer. */
static void drop_flow(struct ct_table *t, uint32_t pos)
{
	if (t->on_remove != NULL)
		t->on_remove(&t->head.entries[pos], t->cb_arg);
	remove_flow(t, pos);
}

/* A live forward entry: what ages and what may be evicted. */
static int is_forward(const struct ct_table *t, uint32_t pos)
{
	const struct ct_entry *e = &t->head.entries[pos];

	return e->live && !(e->flags & CT_F_REPLY);
}

/*
 * Pick the stalest of up to CT_EVICT_SAMPLE forward entries found from a
 * rotating cursor, so successive evictions spread over the table: lowest
 * evict_rank, then oldest last_tsc, the first found on a tie. Returns its
 * index, or -1 if there is no candidate at all.
 */
static int32_t pick_victim(struct ct_table *t)
{
	const struct ct_entry *entries = t->head.entries;
	uint32_t n = t->head.capacity, pos = t->evict_cursor, seen, found = 0;
	unsigned int best_rank = UINT8_MAX;
	uint64_t best_tsc = 0;
	int32_t victim = -1;

	for (seen = 0; seen < n && found < CT_EVICT_SAMPLE; seen++) {
		const struct ct_entry *e = &entries[pos];

		if (e->live && !(e->flags & CT_F_REPLY) &&
		    (int32_t)pos != t->last_insert) {
			unsigned int r = evict_rank[state_of(e)];

			if (r < best_rank ||
			    (r == best_rank && e->last_tsc < best_tsc)) {
				best_rank = r;
				best_tsc = e->last_tsc;
				victim = (int32_t)pos;
			}
			found++;
		}
		pos = pos + 1 == n ? 0 : pos + 1;
	}
	t->evict_cursor = pos;
	return victim;
}

static void init_slot(struct ct_table *t, uint32_t pos,
		      const struct flow_key *key, uint32_t hash,
		      uint64_t now_tsc)
{
	struct ct_entry *e = &t->head.entries[pos];

	t->slots[pos].key = *key;
	t->slots[pos].hash = hash;
	memset(e, 0, sizeof(*e));
	e->live = 1;
	e->last_tsc = now_tsc;
	e->state = key->proto == 6 /* IPPROTO_TCP */ ? CT_SYN : CT_UDP;
	e->peer_pos = CT_NO_PEER;
	t->count++;
}

static inline uint32_t recent_bit(uint32_t hash)
{
	return (hash ^ (hash >> 16)) & (CT_RECENT_BITS - 1);
}

static int32_t insert_key(struct ct_table *t, const struct flow_key *key,
			  uint32_t hash, uint64_t now_tsc, int known_missing)
{
	uint32_t pos, bit = recent_bit(hash);
	int rc;

	if ((!known_missing || (t->recent[bit / 64] >> (bit % 64)) & 1) &&
	    rte_hash_lookup_with_hash(t->h, key, hash) >= 0)
		return -EEXIST;
	/* Full: make room first, so the add below always has it. */
	if (t->count >= t->head.capacity) {
		int32_t victim = pick_victim(t);

		if (victim < 0)
			return -ENOSPC;
		drop_flow(t, (uint32_t)victim);
		t->evictions++;
	}
	if (t->n_free == 0)
		return -ENOSPC;
	pos = t->free_idx[t->n_free - 1];
	rc = rte_hash_add_key_with_hash_data(t->h, key, hash,
					     (void *)(uintptr_t)pos);
	if (rc < 0)
		return rc == -ENOSPC ? -ENOSPC : rc;
	t->n_free--;
	t->recent[bit / 64] |= 1ull << (bit % 64);
	init_slot(t, pos, key, hash, now_tsc);
	t->last_insert = (int32_t)pos;
	return (int32_t)pos;
}

int32_t ct_insert(struct ct_table *t, const struct flow_key *key, uint32_t hash,
		  uint64_t now_tsc)
{
	return insert_key(t, key, hash, now_tsc, 0);
}

int32_t ct_insert_missed(struct ct_table *t, const struct flow_key *key,
			 uint32_t hash, uint64_t now_tsc)
{
	return insert_key(t, key, hash, now_tsc, 1);
}

/* Idle longer than its state allows (a clock behind last_tsc is not). */
static int expired(const struct ct_table *t, const struct ct_entry *e,
		   uint64_t now_tsc)
{
	return now_tsc > e->last_tsc &&
	       now_tsc - e->last_tsc > t->timeout_tsc[state_of(e)];
}

uint32_t ct_age(struct ct_table *t, uint64_t now_tsc, uint32_t budget)
{
	uint32_t n = t->head.capacity, pos = t->age_cursor, removed = 0;

	if (budget > n)
		budget = n;
	while (budget-- > 0) {
		if (is_forward(t, pos) &&
		    expired(t, &t->head.entries[pos], now_tsc)) {
			drop_flow(t, pos);
			removed++;
		}
		pos = pos + 1 == n ? 0 : pos + 1;
	}
	t->age_cursor = pos;
	return removed;
}

static void set_ip(struct ep_ip *ip, uint8_t family, const uint8_t *bytes)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = family;
	memcpy(ip->bytes, bytes, sizeof(ip->bytes));
}

static uint32_t age_ms(uint64_t now_tsc, uint64_t last_tsc, uint64_t hz)
{
	uint64_t ms;

	if (now_tsc <= last_tsc || hz == 0)
		return 0;
	ms = (now_tsc - last_tsc) / hz * 1000 +
	     (now_tsc - last_tsc) % hz * 1000 / hz;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

static void fill_flow(struct ep_flow_entry *f, const struct flow_key *k,
		      const struct ct_entry *e, uint64_t now_tsc, uint64_t hz,
		      uint16_t worker)
{
	uint16_t be_port = e->port ? e->port : k->dport;

	memset(f, 0, sizeof(*f));
	set_ip(&f->client, k->family, k->src);
	set_ip(&f->vip, k->family, k->dst);
	set_ip(&f->backend, e->family ? e->family : k->family, e->addr);
	f->client_port = rte_be_to_cpu_16(k->sport);
	f->vip_port = rte_be_to_cpu_16(k->dport);
	f->backend_port = rte_be_to_cpu_16(be_port);
	f->proto = k->proto;
	f->state = e->state;
	f->service_stats_id = e->service_sid;
	f->backend_stats_id = e->backend_sid;
	f->age_ms = age_ms(now_tsc, e->last_tsc, hz);
	f->worker = worker;
}

uint32_t ct_sample(const struct ct_table *t, uint32_t service_sid,
		   uint64_t now_tsc, uint64_t tsc_hz, uint16_t worker,
		   struct ep_flow_entry *out, uint32_t max)
{
	uint32_t pos, n = 0;

	for (pos = 0; pos < t->head.capacity && n < max; pos++) {
		const struct ct_entry *e = &t->head.entries[pos];

		if (!is_forward(t, pos))
			continue;
		if (service_sid != UINT32_MAX && e->service_sid != service_sid)
			continue;
		fill_flow(&out[n++], &t->slots[pos].key, e, now_tsc, tsc_hz,
			  worker);
	}
	return n;
}
