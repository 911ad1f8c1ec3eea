/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection table: builds, indexes, ages and evicts a worker's flow
 * table. Records (key line + state line, see struct ct_rec) are handed
 * out from a free stack of positions; the index is an array of 64-byte
 * buckets, each with 8 slots of a 16-bit signature (high bits of the
 * caller's hash) and a position. A key lives in its home bucket (low bits
 * of the hash) or, when that is full, in the first bucket after it with
 * room; the home bucket counts such keys, so a lookup looks further only
 * when one exists. The index has at least twice as many slots as the
 * table has entries (four keys per bucket on average when full), so a
 * bucket overflows rarely. Each record remembers its slot, so a delete
 * touches only that bucket.
 *
 * This replaced an rte_hash (whose bulk lookup cost about 150
 * instructions a key, with the bucket, key store and our state array
 * three dependent cache lines apart); here a lookup is the bucket line
 * and the record, both prefetched across the burst.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "conntrack.h"

/* Forward entries looked at per eviction: enough to find a stale one. */
#define CT_EVICT_SAMPLE 8u

#define CT_BUCKET_SLOTS 8u

struct ct_bucket {
	uint16_t sig[CT_BUCKET_SLOTS];
	uint32_t pos[CT_BUCKET_SLOTS];
	uint16_t displaced; /* keys homed here that live in a later bucket */
	uint8_t used; /* bit i: slot i holds a key */
	uint8_t pad[13];
} __rte_cache_aligned;

_Static_assert(sizeof(struct ct_bucket) == 64, "one bucket, one line");

struct ct_table {
	struct ct_table_head head; /* recs, capacity: see conntrack.h */
	struct ct_bucket *buckets; /* head.buckets, typed */
	uint32_t max_displace; /* farthest any key has lived from home */
	uint32_t *free_idx; /* stack of free positions */
	uint32_t n_free;
	uint32_t count;
	uint32_t age_cursor;
	uint32_t evict_cursor;
	int32_t last_insert; /* never evicted by the next insert */
	int32_t next_victim; /* chosen ahead, its bucket prefetched; or -1 */
	uint64_t next_victim_tsc; /* its last_tsc when chosen */
	uint32_t next_victim_slot; /* and its index slot */
	uint64_t evictions;
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

/* Buckets for `entries`: a power of two with 8 slots each, >= 2x. */
static uint32_t bucket_count(uint32_t entries)
{
	return rte_align32pow2((entries + 3) / 4);
}

static void *table_alloc(const struct ct_params *p, const char *what,
			 size_t size)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_%s", p->name, what);
	return rte_zmalloc_socket(name, size, RTE_CACHE_LINE_SIZE,
				  p->socket_id);
}

static void init_params(struct ct_table *t, const struct ct_params *p)
{
	unsigned int s;
	uint32_t i;

	t->head.capacity = p->entries;
	/* Popped in increasing order: a young table stays compact. */
	for (i = 0; i < p->entries; i++)
		t->free_idx[i] = p->entries - 1 - i;
	t->n_free = p->entries;
	t->last_insert = -1;
	t->next_victim = -1;
	t->tsc_hz = p->tsc_hz;
	for (s = 0; s < CT_STATE_MAX; s++) {
		uint32_t ms = p->timeout_ms[s] ? p->timeout_ms[s]
					       : default_timeout_ms[s];

		t->timeout_tsc[s] = ms_to_tsc(ms, p->tsc_hz);
	}
	t->on_remove = p->on_remove;
	t->cb_arg = p->cb_arg;
}

struct ct_table *ct_create(const struct ct_params *p)
{
	struct ct_table *t;
	uint32_t n_buckets;

	if (!params_valid(p)) {
		rte_errno = EINVAL;
		return NULL;
	}
	n_buckets = bucket_count(p->entries);
	t = table_alloc(p, "table", sizeof(*t));
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->head.recs = table_alloc(p, "recs",
				   sizeof(*t->head.recs) * (size_t)p->entries);
	t->buckets = table_alloc(p, "index",
				 sizeof(*t->buckets) * (size_t)n_buckets);
	t->free_idx = table_alloc(p, "free", sizeof(uint32_t) * p->entries);
	if (!t->head.recs || !t->buckets || !t->free_idx) {
		ct_free(t);
		rte_errno = ENOMEM;
		return NULL;
	}
	t->head.bucket_mask = n_buckets - 1;
	t->head.buckets = t->buckets;
	init_params(t, p);
	return t;
}

void ct_free(struct ct_table *t)
{
	if (t == NULL)
		return;
	rte_free(t->free_idx);
	rte_free(t->buckets);
	rte_free(t->head.recs);
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

/* ------------------------------------------------------------------ */
/* The index.                                                           */

static inline uint16_t hash_sig(uint32_t hash)
{
	return (uint16_t)(hash >> 16);
}

static inline struct ct_bucket *home_bucket(const struct ct_table *t,
					    uint32_t hash)
{
	return &t->buckets[hash & t->head.bucket_mask];
}

/* Slots of `b` in use whose signature is `sig`, as a bit mask. */
static inline uint32_t sig_matches(const struct ct_bucket *b, uint16_t sig)
{
#if defined(__SSE2__)
	__m128i eq = _mm_cmpeq_epi16(_mm_load_si128((const __m128i *)b->sig),
				     _mm_set1_epi16((short)sig));

	return (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(eq, eq)) & b->used;
#else
	uint32_t m = 0;

	for (unsigned int i = 0; i < CT_BUCKET_SLOTS; i++)
		m |= (uint32_t)(b->sig[i] == sig) << i;
	return m & b->used;
#endif
}

/* Keys are compared whole (the padding is zero in both); unrolled. */
static inline int key_equal(const struct flow_key *a, const struct flow_key *b)
{
	_Static_assert(sizeof(*a) == 48, "key_equal compares 48 bytes");
#if defined(__SSE2__)
	const __m128i *pa = (const __m128i *)a, *pb = (const __m128i *)b;
	__m128i d = _mm_or_si128(
		_mm_xor_si128(_mm_loadu_si128(pa), _mm_loadu_si128(pb)),
		_mm_xor_si128(_mm_loadu_si128(pa + 1),
			      _mm_loadu_si128(pb + 1)));

	d = _mm_or_si128(d, _mm_xor_si128(_mm_loadu_si128(pa + 2),
					  _mm_loadu_si128(pb + 2)));
	return _mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) ==
	       0xffff;
#else
	return memcmp(a, b, sizeof(*a)) == 0;
#endif
}

/* The position among `b`'s slots in `match` whose key is `key`, or -1. */
static inline int32_t match_key(const struct ct_table *t,
				const struct ct_bucket *b, uint32_t match,
				const struct flow_key *key)
{
	while (match) {
		uint32_t pos = b->pos[__builtin_ctz(match)];

		if (key_equal(&t->head.recs[pos].key, key))
			return (int32_t)pos;
		match &= match - 1;
	}
	return -1;
}

/* The buckets after the home one that a displaced key may live in. */
static int32_t find_displaced(const struct ct_table *t, uint32_t hash,
			      const struct flow_key *key)
{
	uint32_t home = hash & t->head.bucket_mask;
	uint16_t sig = hash_sig(hash);

	for (uint32_t d = 1; d <= t->max_displace; d++) {
		const struct ct_bucket *b =
			&t->buckets[(home + d) & t->head.bucket_mask];
		int32_t pos = match_key(t, b, sig_matches(b, sig), key);

		if (pos >= 0)
			return pos;
	}
	return -ENOENT;
}

/* Finish a lookup whose home bucket's signature matches are known. */
static inline int32_t find_key(const struct ct_table *t,
			       const struct ct_bucket *home, uint32_t match,
			       const struct flow_key *key, uint32_t hash)
{
	int32_t pos = match_key(t, home, match, key);

	if (pos >= 0)
		return pos;
	return home->displaced ? find_displaced(t, hash, key) : -ENOENT;
}

uint32_t ct_lookup_bulk(struct ct_table *t, const struct flow_key **keys,
			const uint32_t *hashes, uint32_t n, int32_t *pos)
{
	const struct ct_bucket *b[CT_LOOKUP_BULK_MAX];
	uint32_t match[CT_LOOKUP_BULK_MAX], i, hits = 0;

	n = RTE_MIN(n, CT_LOOKUP_BULK_MAX);
	for (i = 0; i < n; i++) {
		b[i] = home_bucket(t, hashes[i]);
		rte_prefetch0(b[i]);
	}
	for (i = 0; i < n; i++) {
		match[i] = sig_matches(b[i], hash_sig(hashes[i]));
		if (match[i]) {
			const struct ct_rec *r =
				&t->head.recs[b[i]->pos[__builtin_ctz(
					match[i])]];

			rte_prefetch0(&r->key);
			rte_prefetch0(&r->e);
		}
	}
	for (i = 0; i < n; i++) {
		pos[i] = find_key(t, b[i], match[i], keys[i], hashes[i]);
		hits += pos[i] >= 0;
	}
	return hits;
}

int32_t ct_lookup(struct ct_table *t, const struct flow_key *key, uint32_t hash)
{
	const struct ct_bucket *b = home_bucket(t, hash);

	return find_key(t, b, sig_matches(b, hash_sig(hash)), key, hash);
}

/* Put a new key's position in the index: home bucket, or the next free. */
static void index_add(struct ct_table *t, uint32_t hash, uint32_t pos,
		      struct ct_entry *e)
{
	uint32_t home = hash & t->head.bucket_mask, d, idx, slot;
	struct ct_bucket *b;

	/* The index has more slots than the table has entries: ends. */
	for (d = 0;; d++) {
		idx = (home + d) & t->head.bucket_mask;
		b = &t->buckets[idx];
		if (b->used != 0xff)
			break;
	}
	slot = (uint32_t)__builtin_ctz(~(uint32_t)b->used);
	b->used |= (uint8_t)(1u << slot);
	b->sig[slot] = hash_sig(hash);
	b->pos[slot] = pos;
	if (d > 0) {
		t->buckets[home].displaced++;
		if (d > t->max_displace)
			t->max_displace = d;
	}
	e->ix_slot = idx * CT_BUCKET_SLOTS + slot;
	e->ix_home = home;
}

/* Needs only the entry's state line (the victim of an eviction). */
static void index_del(struct ct_table *t, const struct ct_entry *e)
{
	uint32_t idx = e->ix_slot / CT_BUCKET_SLOTS;
	uint8_t bit = (uint8_t)(1u << (e->ix_slot % CT_BUCKET_SLOTS));

	t->buckets[idx].used &= (uint8_t)~bit;
	if (idx != e->ix_home)
		t->buckets[e->ix_home].displaced--;
}

/* ------------------------------------------------------------------ */
/* Entries.                                                             */

const struct flow_key *ct_key_at(const struct ct_table *t, int32_t pos)
{
	if (!pos_valid(t, pos) || !t->head.recs[pos].e.live)
		return NULL;
	return &t->head.recs[pos].key;
}

/* Free one live entry; leaves its peer alone. */
static void remove_one(struct ct_table *t, uint32_t pos)
{
	struct ct_rec *r = &t->head.recs[pos];

	index_del(t, &r->e);
	memset(&r->e, 0, sizeof(r->e));
	t->free_idx[t->n_free++] = pos;
	t->count--;
}

/* Free a slot and its NAT peer (when that is a distinct live slot). */
static void remove_flow(struct ct_table *t, uint32_t pos)
{
	uint32_t peer = t->head.recs[pos].e.peer_pos;

	remove_one(t, pos);
	if (peer != CT_NO_PEER && peer != pos && peer < t->head.capacity &&
	    t->head.recs[peer].e.live)
		remove_one(t, peer);
}

void ct_remove(struct ct_table *t, int32_t pos)
{
	if (pos_valid(t, pos) && t->head.recs[pos].e.live)
		remove_flow(t, (uint32_t)pos);
}

/* Report a forward entry, then free it with its peer. */
static void drop_flow(struct ct_table *t, uint32_t pos)
{
	if (t->on_remove != NULL)
		t->on_remove(&t->head.recs[pos].e, t->cb_arg);
	remove_flow(t, pos);
}

/* A live forward entry: what ages and what may be evicted. */
static int entry_is_forward(const struct ct_entry *e)
{
	return e->live && !(e->flags & CT_F_REPLY);
}

static int is_forward(const struct ct_table *t, uint32_t pos)
{
	return entry_is_forward(&t->head.recs[pos].e);
}

/*
 * Pick the stalest of up to CT_EVICT_SAMPLE forward entries found from a
 * rotating cursor, so successive evictions spread over the table: lowest
 * evict_rank, then oldest last_tsc, the first found on a tie. Returns its
 * index, or -1 if there is no candidate at all.
 */
static int32_t pick_victim(struct ct_table *t)
{
	const struct ct_rec *recs = t->head.recs;
	uint32_t n = t->head.capacity, pos = t->evict_cursor, seen, found = 0;
	unsigned int best_rank = UINT8_MAX;
	uint64_t best_tsc = 0;
	int32_t victim = -1;

	for (seen = 0; seen < n && found < CT_EVICT_SAMPLE; seen++) {
		const struct ct_entry *e = &recs[pos].e;

		if (entry_is_forward(e) && (int32_t)pos != t->last_insert) {
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

static void init_rec(struct ct_table *t, uint32_t pos,
		     const struct flow_key *key, uint32_t hash,
		     uint64_t now_tsc)
{
	struct ct_rec *r = &t->head.recs[pos];

	r->key = *key;
	r->hash = hash;
	memset(&r->e, 0, sizeof(r->e));
	index_add(t, hash, pos, &r->e);
	r->e.live = 1;
	r->e.last_tsc = now_tsc;
	r->e.state = key->proto == 6 /* IPPROTO_TCP */ ? CT_SYN : CT_UDP;
	r->e.peer_pos = CT_NO_PEER;
	t->count++;
}

/*
 * The victim chosen at the previous eviction, if it is still the entry it
 * was (live, forward, not touched since, same index slot: a position
 * freed and reused holds a young flow) and not the entry just inserted;
 * else one picked now.
 */
static int32_t take_victim(struct ct_table *t)
{
	int32_t v = t->next_victim;

	t->next_victim = -1;
	if (v >= 0 && v != t->last_insert) {
		const struct ct_entry *e = &t->head.recs[v].e;

		if (entry_is_forward(e) && e->last_tsc == t->next_victim_tsc &&
		    e->ix_slot == t->next_victim_slot)
			return v;
	}
	return pick_victim(t);
}

/*
 * Choose the next insert's victim now and start fetching what evicting
 * it will touch (its index buckets, the key line its successor will be
 * written to): a full table then evicts without waiting on memory.
 */
static void prepare_next_victim(struct ct_table *t)
{
	int32_t v = pick_victim(t);
	const struct ct_rec *r;

	t->next_victim = v;
	if (v < 0)
		return;
	r = &t->head.recs[v];
	t->next_victim_tsc = r->e.last_tsc;
	t->next_victim_slot = r->e.ix_slot;
	rte_prefetch0(&t->buckets[r->e.ix_slot / CT_BUCKET_SLOTS]);
	rte_prefetch0(&t->buckets[r->e.ix_home]);
	rte_prefetch0(&r->key);
}

int32_t ct_insert(struct ct_table *t, const struct flow_key *key, uint32_t hash,
		  uint64_t now_tsc)
{
	uint32_t pos;

	if (ct_lookup(t, key, hash) >= 0)
		return -EEXIST;
	/* Full: make room first, so the add below always has it. */
	if (t->count >= t->head.capacity) {
		int32_t victim = take_victim(t);

		if (victim < 0)
			return -ENOSPC;
		drop_flow(t, (uint32_t)victim);
		t->evictions++;
	}
	if (t->n_free == 0)
		return -ENOSPC;
	pos = t->free_idx[--t->n_free];
	init_rec(t, pos, key, hash, now_tsc);
	t->last_insert = (int32_t)pos;
	if (t->count >= t->head.capacity)
		prepare_next_victim(t);
	return (int32_t)pos;
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
		    expired(t, &t->head.recs[pos].e, now_tsc)) {
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
		const struct ct_entry *e = &t->head.recs[pos].e;

		if (!is_forward(t, pos))
			continue;
		if (service_sid != UINT32_MAX && e->service_sid != service_sid)
			continue;
		fill_flow(&out[n++], &t->head.recs[pos].key, e, now_tsc, tsc_hz,
			  worker);
	}
	return n;
}
