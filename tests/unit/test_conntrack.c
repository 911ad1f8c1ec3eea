/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/conntrack.c: lookups with the caller's hash,
 * removal of NAT pairs, aging per state on a fake clock, TCP state
 * changes, eviction order and count when full, inserts after a bulk miss,
 * flow samples, create/free.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "check.h"
#include "conntrack.h"
#include "test_eal.h"

/* 1 GHz fake TSC: 1 ms = 1e6 cycles. */
#define HZ 1000000000ull
#define MS(x) ((uint64_t)(x) * (HZ / 1000))
#define TCP 6
#define UDP 17
#define MAX_REMOVED 1024

static uint32_t removed_ids[MAX_REMOVED];
static uint32_t n_removed;

/* Record the backend_sid (the tests' flow id) of each reported flow. */
static void on_remove(const struct ct_entry *e, void *arg)
{
	(void)arg;
	if (n_removed < MAX_REMOVED)
		removed_ids[n_removed] = e->backend_sid;
	n_removed++;
}

static int was_removed(uint32_t id)
{
	uint32_t i;

	for (i = 0; i < n_removed && i < MAX_REMOVED; i++)
		if (removed_ids[i] == id)
			return 1;
	return 0;
}

/* A distinct IPv4 key per id: 10.0.x.y:port -> 192.0.2.1:80. */
static struct flow_key make_key(uint32_t id, uint8_t proto)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.src[0] = 10;
	k.src[1] = (uint8_t)(id >> 16);
	k.src[2] = (uint8_t)(id >> 8);
	k.src[3] = (uint8_t)id;
	k.dst[0] = 192;
	k.dst[2] = 2;
	k.dst[3] = 1;
	k.sport = rte_cpu_to_be_16((uint16_t)(1024 + (id & 0x3fff)));
	k.dport = rte_cpu_to_be_16(80);
	k.proto = proto;
	k.family = EP_AF_INET;
	return k;
}

/* Deliberately not the table's own hash (crc, seed 0). */
static uint32_t key_hash(const struct flow_key *k)
{
	return rte_hash_crc(k, sizeof(*k), 0x9e3779b9u);
}

static struct ct_table *make_table(const char *name, uint32_t entries)
{
	struct ct_params p = {
		.name = name,
		.entries = entries,
		.socket_id = (int)rte_socket_id(),
		.tsc_hz = HZ,
		.on_remove = on_remove,
	};

	n_removed = 0;
	return ct_create(&p);
}

/* Insert key `id` with its state and clock; backend_sid = id. */
static int32_t add(struct ct_table *t, uint32_t id, uint8_t proto,
		   uint8_t state, uint64_t now)
{
	struct flow_key k = make_key(id, proto);
	int32_t pos = ct_insert(t, &k, key_hash(&k), now);

	if (pos >= 0) {
		ct_entry_at(t, pos)->state = state;
		ct_entry_at(t, pos)->backend_sid = id;
	}
	return pos;
}

static int32_t find(struct ct_table *t, uint32_t id, uint8_t proto)
{
	struct flow_key k = make_key(id, proto);

	return ct_lookup(t, &k, key_hash(&k));
}

/* Link a reply entry (key id + 100000) to forward slot `fwd`. */
static int32_t add_reply(struct ct_table *t, int32_t fwd, uint32_t id,
			 uint64_t now)
{
	int32_t rep = add(t, id + 100000, TCP, CT_SYN, now);

	if (rep >= 0) {
		ct_entry_at(t, rep)->flags |= CT_F_REPLY;
		ct_entry_at(t, rep)->peer_pos = (uint32_t)fwd;
		ct_entry_at(t, fwd)->peer_pos = (uint32_t)rep;
	}
	return rep;
}

static void test_insert_lookup(void)
{
	struct ct_table *t = make_table("ct_t_ins", 1024);
	struct flow_key k = make_key(7, TCP);
	struct ct_entry *e;
	int32_t pos;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK(ct_capacity(t) == 1024);
	CHECK(ct_count(t) == 0);
	CHECK(ct_lookup(t, &k, key_hash(&k)) < 0);
	pos = ct_insert(t, &k, key_hash(&k), MS(5));
	CHECK(pos >= 0);
	CHECK(ct_count(t) == 1);
	CHECK(ct_lookup(t, &k, key_hash(&k)) == pos);
	CHECK(ct_key_at(t, pos) != NULL &&
	      memcmp(ct_key_at(t, pos), &k, sizeof(k)) == 0);
	e = ct_entry_at(t, pos);
	CHECK(e != NULL && e->state == CT_SYN && e->last_tsc == MS(5));
	CHECK(e != NULL && e->peer_pos == CT_NO_PEER && e->flags == 0);
	CHECK(ct_insert(t, &k, key_hash(&k), MS(6)) == -EEXIST);
	CHECK(ct_count(t) == 1 && e->last_tsc == MS(5));
	k = make_key(8, UDP);
	pos = ct_insert(t, &k, key_hash(&k), 0);
	CHECK(pos >= 0 && ct_entry_at(t, pos)->state == CT_UDP);
	CHECK(ct_entry_at(t, -1) == NULL && ct_key_at(t, -1) == NULL);
	CHECK(ct_entry_at(t, 1 << 20) == NULL);
	ct_free(t);
}

static void test_bulk(void)
{
	struct ct_table *t = make_table("ct_t_bulk", 1024);
	const struct flow_key *kp[64];
	struct flow_key keys[64];
	uint32_t hashes[64], i, hits;
	int32_t want[64], pos[64];
	int ok = 1;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (i = 0; i < 64; i++) {
		keys[i] = make_key(i, TCP);
		hashes[i] = key_hash(&keys[i]);
		kp[i] = &keys[i];
		want[i] = i % 3 == 0 ? -1 : add(t, i, TCP, CT_EST, 0);
	}
	hits = ct_lookup_bulk(t, kp, hashes, 64, pos);
	CHECK(hits == 64 - 22);
	for (i = 0; i < 64; i++)
		ok &= want[i] < 0 ? pos[i] < 0 : pos[i] == want[i];
	CHECK(ok);
	CHECK(ct_lookup_bulk(t, kp + 1, hashes + 1, 2, pos) == 2);
	CHECK(ct_lookup_bulk(t, kp, hashes, 0, pos) == 0);
	ct_free(t);
}

static void test_remove(void)
{
	struct ct_table *t = make_table("ct_t_rm", 64);
	int32_t a, b, f, r;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	a = add(t, 1, TCP, CT_EST, 0);
	b = add(t, 2, TCP, CT_EST, 0);
	ct_remove(t, a);
	CHECK(find(t, 1, TCP) < 0 && find(t, 2, TCP) == b);
	CHECK(ct_count(t) == 1 && ct_key_at(t, a) == NULL);
	ct_remove(t, a); /* already free: ignored */
	ct_remove(t, -5);
	CHECK(ct_count(t) == 1);

	/* A NAT pair goes as a whole, whichever side is removed. */
	f = add(t, 3, TCP, CT_EST, 0);
	r = add_reply(t, f, 3, 0);
	CHECK(f >= 0 && r >= 0 && ct_count(t) == 3);
	ct_remove(t, f);
	CHECK(find(t, 3, TCP) < 0 && find(t, 100003, TCP) < 0);
	CHECK(ct_count(t) == 1);
	f = add(t, 4, TCP, CT_EST, 0);
	r = add_reply(t, f, 4, 0);
	ct_remove(t, r);
	CHECK(find(t, 4, TCP) < 0 && find(t, 100004, TCP) < 0);
	CHECK(ct_count(t) == 1 && n_removed == 0);
	ct_free(t);
}

static void test_age(void)
{
	static const struct {
		uint8_t state;
		uint32_t timeout_ms;
	} order[] = { { CT_FIN, CT_TIMEOUT_FIN_MS },
		      { CT_SYN, CT_TIMEOUT_SYN_MS },
		      { CT_UDP, CT_TIMEOUT_UDP_MS },
		      { CT_EST, CT_TIMEOUT_EST_MS } };
	struct ct_table *t = make_table("ct_t_age", 256);
	uint64_t t0 = MS(1000);
	uint32_t i, budget = 300; /* more than a full pass */
	int32_t f;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (i = 0; i < 4; i++)
		add(t, i, order[i].state == CT_UDP ? UDP : TCP, order[i].state,
		    t0);
	/* A NAT pair in EST: aged as one flow, reported once. */
	f = add(t, 10, TCP, CT_EST, t0);
	add_reply(t, f, 10, t0);
	CHECK(ct_count(t) == 6);
	CHECK(ct_age(t, t0 + MS(CT_TIMEOUT_FIN_MS), budget) == 0);
	CHECK(ct_age(t, t0 - 1, budget) == 0); /* clock behind: no expiry */
	for (i = 0; i < 4; i++) {
		uint64_t now = t0 + MS(order[i].timeout_ms) + 1;

		n_removed = 0;
		CHECK_MSG(ct_age(t, now, budget) == (i == 3 ? 2u : 1u),
			  "state %u", order[i].state);
		CHECK(was_removed(i));
		CHECK(find(t, i, order[i].state == CT_UDP ? UDP : TCP) < 0);
		CHECK(ct_count(t) == (i == 3 ? 0u : 5u - i));
	}
	CHECK(was_removed(10) && find(t, 100010, TCP) < 0);
	ct_free(t);
}

static void test_age_budget_and_params(void)
{
	struct ct_params p = {
		.name = "ct_t_age2",
		.entries = 64,
		.socket_id = (int)rte_socket_id(),
		.tsc_hz = HZ,
		.timeout_ms = { [CT_UDP] = 5 },
	};
	struct ct_table *t = ct_create(&p);
	uint32_t i, total = 0;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	/* The callback can be given after create (the worker does). */
	ct_set_remove_cb(t, on_remove, NULL);
	n_removed = 0;
	for (i = 0; i < 40; i++)
		add(t, i, UDP, CT_UDP, 0);
	add(t, 99, TCP, CT_SYN, 0);
	/* Budget bounds the walk; repeated calls cover the table. */
	for (i = 0; i < 13; i++)
		total += ct_age(t, MS(6), 5);
	CHECK(total == 40 && n_removed == 40);
	CHECK(ct_count(t) == 1 && find(t, 99, TCP) >= 0);
	ct_free(t);
}

static void test_touch(void)
{
	struct ct_entry e;

	memset(&e, 0, sizeof(e));
	e.state = CT_SYN;
	ct_touch(&e, TCP, 0x12 /* SYN|ACK from the backend */, 1);
	CHECK(e.state == CT_SYN && e.last_tsc == 1);
	ct_touch(&e, TCP, 0x02 /* SYN retransmit */, 2);
	CHECK(e.state == CT_SYN);
	ct_touch(&e, TCP, 0x10 /* ACK */, 3);
	CHECK(e.state == CT_EST && e.last_tsc == 3);
	ct_touch(&e, TCP, 0x18, 4);
	CHECK(e.state == CT_EST);
	ct_touch(&e, TCP, 0x11 /* FIN|ACK */, 5);
	CHECK(e.state == CT_FIN);
	ct_touch(&e, TCP, 0x10, 6);
	CHECK(e.state == CT_FIN);
	ct_touch(&e, TCP, 0x12 /* SYN|ACK is not a new connection */, 7);
	CHECK(e.state == CT_FIN);
	ct_touch(&e, TCP, 0x02 /* port reuse */, 8);
	CHECK(e.state == CT_SYN && e.last_tsc == 8);
	ct_touch(&e, TCP, 0x04 /* RST */, 9);
	CHECK(e.state == CT_FIN);
	e.state = CT_EST;
	ct_touch(&e, TCP, 0x14 /* RST|ACK */, 10);
	CHECK(e.state == CT_FIN);
	e.state = CT_UDP;
	ct_touch(&e, UDP, 0x02, 11);
	CHECK(e.state == CT_UDP && e.last_tsc == 11);
}

/* capacity + extra distinct inserts all succeed; evictions are reported. */
static void test_full(void)
{
	const uint32_t cap = 256, extra = 300;
	struct ct_table *t = make_table("ct_t_full", cap);
	uint32_t i, ok = 1, consistent = 1;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (i = 0; i < cap + extra; i++) {
		ok &= add(t, i, TCP, i % 2 ? CT_EST : CT_SYN, MS(i)) >= 0;
		ok &= ct_count(t) <= cap;
	}
	CHECK(ok);
	CHECK(ct_count(t) == cap);
	CHECK(n_removed == extra);
	CHECK(ct_evictions(t) == extra);
	for (i = 0; i < cap + extra; i++)
		consistent &= (find(t, i, TCP) < 0) == was_removed(i);
	CHECK(consistent);
	ct_free(t);
}

/*
 * A long run of new flows through a small full table: every insert
 * succeeds (the hash has room for the key whatever the sample evicts),
 * the table never holds more than its capacity, each insert beyond it
 * evicts exactly one flow, and lookups stay exact.
 */
static void test_churn(void)
{
	const uint32_t cap = 1024, total = 20 * 1024;
	struct ct_table *t = make_table("ct_t_churn", cap);
	uint32_t i, ok = 1, found = 0;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (i = 0; i < total; i++) {
		ok &= add(t, i, i % 3 ? TCP : UDP, CT_EST, MS(i)) >= 0;
		ok &= ct_count(t) <= cap;
	}
	CHECK(ok);
	CHECK(ct_count(t) == cap);
	CHECK(ct_evictions(t) == total - cap && n_removed == total - cap);
	for (i = 0; i < total; i++)
		found += find(t, i, i % 3 ? TCP : UDP) >= 0;
	CHECK(found == cap);
	/* Removing frees positions for inserts without eviction. */
	for (i = total - cap; i < total - cap + 10; i++)
		ct_remove(t, find(t, i, i % 3 ? TCP : UDP));
	for (i = 0; i < 10; i++)
		CHECK(add(t, total + i, TCP, CT_EST, MS(total)) >= 0);
	CHECK(ct_evictions(t) == total - cap && ct_count(t) == cap);
	ct_free(t);
}

/*
 * Inserts after a bulk lookup (a burst's misses): a key inserted since
 * that lookup is found (-EEXIST), however many were inserted.
 */
static void test_insert_after_lookup(void)
{
	struct ct_table *t = make_table("ct_t_missed", 4096);
	const struct flow_key *kp[64];
	struct flow_key keys[64];
	uint32_t hashes[64], i, ok = 1;
	int32_t pos[64];

	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (i = 0; i < 64; i++) {
		keys[i] = make_key(i, TCP);
		hashes[i] = key_hash(&keys[i]);
		kp[i] = &keys[i];
	}
	for (i = 0; i < 32; i++)
		add(t, i, TCP, CT_EST, 0);
	CHECK(ct_lookup_bulk(t, kp, hashes, 64, pos) == 32);
	for (i = 32; i < 64; i++)
		ok &= pos[i] < 0;
	CHECK(ok);
	/* A SYN and its ACK in one burst: the second insert finds the first. */
	pos[32] = ct_insert(t, &keys[32], hashes[32], MS(1));
	CHECK(pos[32] >= 0 && find(t, 32, TCP) == pos[32]);
	CHECK(ct_insert(t, &keys[32], hashes[32], MS(2)) == -EEXIST);
	CHECK(ct_entry_at(t, pos[32])->last_tsc == MS(1));
	for (i = 1000; i < 1600; i++) {
		struct flow_key k = make_key(i, UDP);

		ok &= ct_insert(t, &k, key_hash(&k), 0) >= 0;
	}
	for (i = 1000; i < 1600; i++) {
		struct flow_key k = make_key(i, UDP);

		ok &= ct_insert(t, &k, key_hash(&k), 0) == -EEXIST;
	}
	CHECK(ok);
	CHECK(ct_count(t) == 33 + 600);
	ct_free(t);
}

/*
 * Keys that share a hash (a collision attack that guessed the seed, or
 * plain bad luck) overflow their bucket into the following ones: all are
 * still found, by single and bulk lookups; removing some in any order
 * keeps the others findable, and their slots are reused.
 */
static void test_bucket_overflow(void)
{
	enum { N = 40 };
	struct ct_table *t = make_table("ct_t_overflow", 256);
	const struct flow_key *kp[N];
	struct flow_key keys[N];
	uint32_t hashes[N], i, ok = 1;
	int32_t pos[N], got[N];

	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (i = 0; i < N; i++) {
		keys[i] = make_key(i, TCP);
		/* 30 keys on one hash, 10 on its neighbour bucket's */
		hashes[i] = i < 30 ? 0x12340005u : 0x12340006u;
		kp[i] = &keys[i];
		pos[i] = ct_insert(t, &keys[i], hashes[i], 0);
		ok &= pos[i] >= 0;
	}
	CHECK(ok);
	for (i = 0; i < N; i++)
		ok &= ct_lookup(t, &keys[i], hashes[i]) == pos[i];
	CHECK(ok);
	CHECK(ct_lookup_bulk(t, kp, hashes, N, got) == N);
	for (i = 0; i < N; i++)
		ok &= got[i] == pos[i];
	CHECK(ok);
	/* Remove every third key, home-bucket ones included. */
	for (i = 0; i < N; i += 3)
		ct_remove(t, pos[i]);
	for (i = 0; i < N; i++)
		ok &= (ct_lookup(t, &keys[i], hashes[i]) >= 0) == (i % 3 != 0);
	CHECK(ok);
	/* Re-add them: found again, and nothing is lost. */
	for (i = 0; i < N; i += 3)
		ok &= ct_insert(t, &keys[i], hashes[i], 0) >= 0;
	CHECK(ok);
	CHECK(ct_lookup_bulk(t, kp, hashes, N, got) == N);
	CHECK(ct_count(t) == N);
	/* A key of the same hash that was never added is absent. */
	keys[0] = make_key(999, TCP);
	CHECK(ct_lookup(t, &keys[0], hashes[1]) == -ENOENT);
	ct_free(t);
}

/*
 * A full table chooses its next victim one insert ahead (to prefetch
 * what evicting it touches). A flow that is touched in between is no
 * longer stale and must not be the one evicted.
 */
static void test_victim_chosen_ahead(void)
{
	struct ct_table *t = make_table("ct_t_ahead", 8);
	uint32_t i, ok = 1;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	/* 8 SYN entries, ids 1..8 idle since tsc 1..8. */
	for (i = 1; i <= 8; i++)
		ok &= add(t, i, TCP, CT_SYN, MS(i)) >= 0;
	CHECK(ok);
	/* Evicts id 1; id 2 (the stalest left) is chosen as the next. */
	CHECK(add(t, 100, TCP, CT_SYN, MS(9)) >= 0);
	CHECK(find(t, 1, TCP) < 0 && find(t, 2, TCP) >= 0);
	/* id 2 gets a packet: now the freshest entry. */
	ct_touch(ct_entry_at(t, find(t, 2, TCP)), TCP, 0x10, MS(50));
	CHECK(add(t, 101, TCP, CT_SYN, MS(51)) >= 0);
	CHECK(find(t, 2, TCP) >= 0);
	CHECK(find(t, 3, TCP) < 0);
	CHECK(ct_count(t) == 8 && ct_evictions(t) == 2);
	ct_free(t);
}

/* 63 old SYN entries and one fresh EST: the EST outlives them all. */
static void test_evict_keeps_fresh_est(void)
{
	struct ct_table *t = make_table("ct_t_est", 64);
	uint32_t i, ok = 1, originals = 0;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (i = 0; i < 63; i++)
		add(t, i, TCP, CT_SYN, MS(i));
	add(t, 1000, TCP, CT_EST, MS(100));
	for (i = 0; i < 4 * 64; i++) {
		ok &= add(t, 2000 + i, TCP, CT_SYN, MS(200 + i)) >= 0;
		ok &= find(t, 1000, TCP) >= 0;
	}
	CHECK(ok);
	CHECK(ct_count(t) == 64 && !was_removed(1000));
	for (i = 0; i < 63; i++)
		originals += was_removed(i);
	CHECK(originals == 63);
	ct_free(t);
}

/*
 * With 8 slots the sample sees every entry, so the order is exact:
 * FIN, SYN, UDP, then EST oldest first.
 */
static void test_evict_order(void)
{
	static const struct {
		uint8_t state;
		uint32_t ms;
	} init[8] = { { CT_EST, 100 }, { CT_EST, 200 }, { CT_UDP, 300 },
		      { CT_SYN, 400 }, { CT_FIN, 500 }, { CT_EST, 600 },
		      { CT_EST, 700 }, { CT_EST, 800 } };
	static const uint32_t want[8] = { 4, 3, 2, 0, 1, 5, 6, 7 };
	struct ct_table *t = make_table("ct_t_order", 8);
	uint32_t i, ok = 1;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (i = 0; i < 8; i++)
		add(t, i, init[i].state == CT_UDP ? UDP : TCP, init[i].state,
		    MS(init[i].ms));
	for (i = 0; i < 8; i++)
		ok &= add(t, 100 + i, TCP, CT_EST, MS(1000 + i)) >= 0;
	CHECK(ok);
	CHECK(n_removed == 8);
	for (i = 0; i < 8 && i < n_removed; i++)
		CHECK_MSG(removed_ids[i] == want[i], "eviction %u: got %u", i,
			  removed_ids[i]);
	ct_free(t);
}

/* A forward entry just inserted is not evicted to make room for its reply;
 * an evicted NAT forward takes its reply along and is reported once. */
static void test_evict_nat(void)
{
	struct ct_table *t = make_table("ct_t_nat", 8);
	int32_t f, r;
	uint32_t i;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (i = 0; i < 8; i++)
		add(t, i, TCP, CT_EST, MS(100 + i));
	f = ct_insert(t, &(struct flow_key){ 0 }, 1, MS(900)); /* UDP */
	CHECK(f >= 0 && n_removed == 1 && removed_ids[0] == 0);
	ct_entry_at(t, f)->backend_sid = 50;
	r = add_reply(t, f, 50, MS(900));
	CHECK(r >= 0 && n_removed == 2 && removed_ids[1] == 1);
	CHECK(ct_key_at(t, f) != NULL &&
	      ct_entry_at(t, f)->peer_pos == (uint32_t)r);

	/* Now make the pair the stalest: both go, one report. */
	ct_entry_at(t, f)->state = CT_FIN;
	add(t, 60, TCP, CT_EST, MS(1000));
	CHECK(n_removed == 3 && removed_ids[2] == 50);
	CHECK(find(t, 100050, TCP) < 0 && ct_count(t) == 7);
	ct_free(t);
}

static void test_sample(void)
{
	struct ct_table *t = make_table("ct_t_sample", 64);
	struct ep_flow_entry out[8];
	struct ct_entry *e;
	int32_t pos, r;
	uint32_t n, i;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	pos = add(t, 0x010203, TCP, CT_EST, MS(1000));
	e = ct_entry_at(t, pos);
	e->service_sid = 7;
	e->backend_sid = 42;
	e->family = EP_AF_INET;
	memcpy(e->addr, (uint8_t[]){ 172, 16, 0, 9 }, 4);
	e->port = rte_cpu_to_be_16(8080);
	r = add_reply(t, pos, 1, MS(1000));
	ct_entry_at(t, r)->service_sid = 7;
	for (i = 0; i < 3; i++)
		ct_entry_at(t, add(t, 10 + i, UDP, CT_UDP, MS(1000)))
			->service_sid = 9;

	n = ct_sample(t, 7, MS(1250), HZ, 3, out, 8);
	CHECK(n == 1);
	CHECK(out[0].client.family == EP_AF_INET &&
	      memcmp(out[0].client.bytes, (uint8_t[]){ 10, 1, 2, 3 }, 4) == 0);
	CHECK(out[0].vip.family == EP_AF_INET &&
	      memcmp(out[0].vip.bytes, (uint8_t[]){ 192, 0, 2, 1 }, 4) == 0);
	CHECK(out[0].backend.family == EP_AF_INET &&
	      memcmp(out[0].backend.bytes, (uint8_t[]){ 172, 16, 0, 9 }, 4) ==
		      0);
	CHECK(out[0].client_port == 1024 + 0x0203);
	CHECK(out[0].vip_port == 80 && out[0].backend_port == 8080);
	CHECK(out[0].proto == TCP && out[0].state == CT_EST);
	CHECK(out[0].service_stats_id == 7 && out[0].backend_stats_id == 42);
	CHECK(out[0].age_ms == 250 && out[0].worker == 3);

	CHECK(ct_sample(t, 9, MS(1000), HZ, 0, out, 8) == 3);
	CHECK(out[0].backend_port == 80); /* port 0: the VIP's own */
	CHECK(ct_sample(t, UINT32_MAX, MS(1000), HZ, 0, out, 8) == 4);
	CHECK(ct_sample(t, UINT32_MAX, MS(1000), HZ, 0, out, 2) == 2);
	CHECK(ct_sample(t, 5, MS(1000), HZ, 0, out, 8) == 0);
	CHECK(ct_sample(t, 7, MS(999), HZ, 0, out, 8) == 1 &&
	      out[0].age_ms == 0);
	ct_free(t);
}

static uint64_t heap_bytes(void)
{
	struct rte_malloc_socket_stats s;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &s) != 0)
		return 0;
	return s.heap_allocsz_bytes;
}

static void test_create_free(void)
{
	struct ct_params p = {
		.name = "ct_t_cf",
		.entries = 4096,
		.socket_id = (int)rte_socket_id(),
		.tsc_hz = HZ,
	};
	struct ct_table *t, *dup;
	uint64_t before = heap_bytes();
	uint32_t i;
	int ok = 1;

	CHECK(ct_create(NULL) == NULL && rte_errno == EINVAL);
	p.entries = 4;
	CHECK(ct_create(&p) == NULL && rte_errno == EINVAL);
	p.entries = 4096;
	p.tsc_hz = 0;
	CHECK(ct_create(&p) == NULL && rte_errno == EINVAL);
	p.tsc_hz = HZ;

	t = ct_create(&p);
	CHECK(t != NULL);
	/* The name only labels memory: a second table may share it. */
	dup = ct_create(&p);
	CHECK(dup != NULL && dup != t);
	ct_free(dup);
	for (i = 0; t != NULL && i < 5000; i++)
		add(t, i, TCP, CT_EST, 0);
	CHECK(t != NULL && ct_count(t) == 4096);
	ct_free(t);
	ct_free(NULL);
	/* The name and all memory are released: recreate many times. */
	for (i = 0; i < 50; i++) {
		t = ct_create(&p);
		ok &= t != NULL;
		ct_free(t);
	}
	CHECK(ok);
	CHECK(heap_bytes() == before);
}

int main(void)
{
	int rc;

	if (test_eal_init("conntrack", "256") < 0)
		return 1;
	test_insert_lookup();
	test_bulk();
	test_remove();
	test_age();
	test_age_budget_and_params();
	test_touch();
	test_full();
	test_churn();
	test_insert_after_lookup();
	test_bucket_overflow();
	test_victim_chosen_ahead();
	test_evict_keeps_fresh_est();
	test_evict_order();
	test_evict_nat();
	test_sample();
	test_create_free();
	rc = check_summary("conntrack");
	rte_eal_cleanup();
	return rc;
}
