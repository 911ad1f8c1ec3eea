/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection table: builds, ages and evicts a worker's flow table. The
 * rte_hash only maps a key to a position; per-flow state lives in a
 * parallel cache-line array, and a private slot array keeps each key with
 * the caller's hash, which rte_hash needs to delete a key it was given.
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
 * The key and hash of each position. rte_hash_get_key_with_position()
 * cannot serve here: it re-hashes the key with the table's own function,
 * which is not the caller's hash, so it would report live keys as absent.
 */
struct ct_slot {
	struct flow_key key;
	uint32_t hash;
	uint32_t live;
};

struct ct_table {
	struct rte_hash *h;
	struct ct_entry *entries; /* indexed by position */
	struct ct_slot *slots; /* indexed by position */
	uint32_t n_slots; /* rte_hash_max_key_id() + 1 */
	uint32_t capacity;
	uint32_t count;
	uint32_t age_cursor;
	uint32_t evict_cursor;
	int32_t last_insert; /* never evicted by the next insert */
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
	return pos >= 0 && (uint32_t)pos < t->n_slots;
}

static int params_valid(const struct ct_params *p)
{
	return p != NULL && p->name != NULL && p->entries >= 8 && p->tsc_hz > 0;
}

static struct rte_hash *create_hash(const struct ct_params *p)
{
	struct rte_hash_parameters hp = {
		.name = p->name,
		.entries = p->entries,
		.key_len = sizeof(struct flow_key),
		/* Required by create; every call passes the caller's hash. */
		.hash_func = rte_hash_crc,
		.hash_func_init_val = 0,
		.socket_id = p->socket_id,
		/* Inserts then fail only when every key slot is in use. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	return rte_hash_create(&hp);
}

struct ct_table *ct_create(const struct ct_params *p)
{
	struct ct_table *t;
	int32_t max_id;
	unsigned int s;
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
	max_id = rte_hash_max_key_id(t->h);
	if (max_id < 0) {
		err = EINVAL;
		goto fail_hash;
	}
	t->n_slots = (uint32_t)max_id + 1;
	t->entries = rte_zmalloc_socket("ct_entries",
					sizeof(*t->entries) * t->n_slots,
					RTE_CACHE_LINE_SIZE, p->socket_id);
	if (t->entries == NULL)
		goto fail_hash;
	t->slots =
		rte_zmalloc_socket("ct_slots", sizeof(*t->slots) * t->n_slots,
				   RTE_CACHE_LINE_SIZE, p->socket_id);
	if (t->slots == NULL)
		goto fail_entries;

	t->capacity = p->entries;
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

fail_entries:
	rte_free(t->entries);
fail_hash:
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
	rte_free(t->slots);
	rte_free(t->entries);
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
	return t->capacity;
}

uint32_t ct_lookup_bulk(struct ct_table *t, const struct flow_key **keys,
			const uint32_t *hashes, uint32_t n, int32_t *pos)
{
	uint32_t i, hits = 0;

	if (n == 0)
		return 0;
	/* rte_hash takes non-const arrays but only reads them. */
	if (rte_hash_lookup_with_hash_bulk(t->h, (const void **)keys,
					   (hash_sig_t *)(uintptr_t)hashes, n,
					   pos) != 0) {
		for (i = 0; i < n; i++)
			pos[i] = -EINVAL;
		return 0;
	}
	for (i = 0; i < n; i++)
		hits += pos[i] >= 0;
	return hits;
}

int32_t ct_lookup(struct ct_table *t, const struct flow_key *key, uint32_t hash)
{
	return rte_hash_lookup_with_hash(t->h, key, hash);
}

struct ct_entry *ct_entry_at(struct ct_table *t, int32_t pos)
{
	return pos_valid(t, pos) ? &t->entries[pos] : NULL;
}

const struct flow_key *ct_key_at(const struct ct_table *t, int32_t pos)
{
	if (!pos_valid(t, pos) || !t->slots[pos].live)
		return NULL;
	return &t->slots[pos].key;
}

/* Free one live slot; leaves its peer alone. */
static void remove_one(struct ct_table *t, uint32_t pos)
{
	struct ct_slot *s = &t->slots[pos];

	rte_hash_del_key_with_hash(t->h, &s->key, s->hash);
	s->live = 0;
	memset(&t->entries[pos], 0, sizeof(t->entries[pos]));
	t->count--;
}

/* Free a slot and its NAT peer (when that is a distinct live slot). */
static void remove_flow(struct ct_table *t, uint32_t pos)
{
	uint32_t peer = t->entries[pos].peer_pos;

	remove_one(t, pos);
	if (peer != CT_NO_PEER && peer != pos && peer < t->n_slots &&
	    t->slots[peer].live)
		remove_one(t, peer);
}

void ct_remove(struct ct_table *t, int32_t pos)
{
	if (pos_valid(t, pos) && t->slots[pos].live)
		remove_flow(t, (uint32_t)pos);
}

/* Report a forward entry, then free it with its peer. */
static void drop_flow(struct ct_table *t, uint32_t pos)
{
	if (t->on_remove != NULL)
		t->on_remove(&t->entries[pos], t->cb_arg);
	remove_flow(t, pos);
}

/* A live forward entry: what ages and what may be evicted. */
static int is_forward(const struct ct_table *t, uint32_t pos)
{
	return t->slots[pos].live && !(t->entries[pos].flags & CT_F_REPLY);
}

/* Whether forward entry a should go before forward entry b. */
static int staler(const struct ct_entry *a, const struct ct_entry *b)
{
	uint8_t ra = evict_rank[state_of(a)], rb = evict_rank[state_of(b)];

	if (ra != rb)
		return ra < rb;
	return a->last_tsc < b->last_tsc;
}

/*
 * Pick the stalest of up to CT_EVICT_SAMPLE forward entries found from a
 * rotating cursor, so successive evictions spread over the table. Returns
 * its position, or -1 if there is no candidate at all.
 */
static int32_t pick_victim(struct ct_table *t)
{
	uint32_t pos = t->evict_cursor, seen = 0, found = 0;
	int32_t victim = -1;

	while (found < CT_EVICT_SAMPLE && seen < t->n_slots) {
		if (is_forward(t, pos) && (int32_t)pos != t->last_insert) {
			if (victim < 0 ||
			    staler(&t->entries[pos], &t->entries[victim]))
				victim = (int32_t)pos;
			found++;
		}
		seen++;
		pos = pos + 1 == t->n_slots ? 0 : pos + 1;
	}
	t->evict_cursor = pos;
	return victim;
}

static int32_t add_key(struct ct_table *t, const struct flow_key *key,
		       uint32_t hash)
{
	return rte_hash_add_key_with_hash(t->h, key, hash);
}

static void init_slot(struct ct_table *t, uint32_t pos,
		      const struct flow_key *key, uint32_t hash,
		      uint64_t now_tsc)
{
	struct ct_entry *e = &t->entries[pos];

	t->slots[pos].key = *key;
	t->slots[pos].hash = hash;
	t->slots[pos].live = 1;
	memset(e, 0, sizeof(*e));
	e->last_tsc = now_tsc;
	e->state = key->proto == 6 /* IPPROTO_TCP */ ? CT_SYN : CT_UDP;
	e->peer_pos = CT_NO_PEER;
	t->count++;
}

int32_t ct_insert(struct ct_table *t, const struct flow_key *key, uint32_t hash,
		  uint64_t now_tsc)
{
	int32_t pos = add_key(t, key, hash);

	if (pos == -ENOSPC) {
		int32_t victim = pick_victim(t);

		if (victim < 0)
			return -ENOSPC;
		drop_flow(t, (uint32_t)victim);
		pos = add_key(t, key, hash);
	}
	if (pos < 0)
		return pos == -ENOSPC ? -ENOSPC : pos;
	/* rte_hash returns the existing slot for a present key. */
	if (t->slots[pos].live)
		return -EEXIST;
	init_slot(t, (uint32_t)pos, key, hash, now_tsc);
	t->last_insert = pos;
	return pos;
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
	uint32_t pos = t->age_cursor, removed = 0;

	if (budget > t->n_slots)
		budget = t->n_slots;
	while (budget-- > 0) {
		if (is_forward(t, pos) &&
		    expired(t, &t->entries[pos], now_tsc)) {
			drop_flow(t, pos);
			removed++;
		}
		pos = pos + 1 == t->n_slots ? 0 : pos + 1;
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

	for (pos = 0; pos < t->n_slots && n < max; pos++) {
		const struct ct_entry *e = &t->entries[pos];

		if (!is_forward(t, pos))
			continue;
		if (service_sid != UINT32_MAX && e->service_sid != service_sid)
			continue;
		fill_flow(&out[n++], &t->slots[pos].key, e, now_tsc, tsc_hz,
			  worker);
	}
	return n;
}
