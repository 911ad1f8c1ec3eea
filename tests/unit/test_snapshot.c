/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/snapshot.c: the Maglev table a configuration
 * change gets under node flag EP_NODE_F_MAGLEV_FRESH (the table of the
 * backend set alone, whatever the history) and without it (rebuilt from
 * the previous table: no slot moves between kept backends), and
 * snap_build()'s refusals of malformed flat configurations. Flat
 * configurations are written by hand, so every field is under the test's
 * control; each lives in a malloc'd buffer of its exact size, so ASan sees
 * any overread.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "check.h"
#include "ep_abi.h"
#include "flat_build.h"
#include "maglev.h"
#include "snapshot.h"
#include "test_eal.h"

#define MAX_SVC 4u
#define MAX_BE 64u
#define N_BE 20u /* backends of the Maglev service */
#define TABLE_SIZE EP_MAGLEV_DEFAULT_SIZE

/* A service (stats id: its position) whose backends come next. */
static struct ep_cfg_service *cfg_add_service(struct flat_build *c,
					      const char *name,
					      struct ep_ip vip, uint16_t port,
					      uint8_t proto)
{
	struct ep_cfg_service *s =
		flat_add_service(c, name, vip, port, c->n_svc);

	s->proto = proto;
	return s;
}

/* Backend `id` (address 10.0.1.id+1, stats_id id) of the last service. */
static void cfg_add_backend(struct flat_build *c, uint32_t id, uint16_t weight)
{
	flat_add_backend(
		c,
		ep_ip4(10, 0, (uint8_t)(1 + id / 250), (uint8_t)(1 + id % 250)),
		0, weight, id);
}

static uint64_t heap_bytes(void)
{
	struct rte_malloc_socket_stats s;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &s) != 0)
		return 0;
	return s.heap_allocsz_bytes;
}

static struct fp_snapshot *build_ok(struct flat_build *c,
				    const struct fp_snapshot *prev)
{
	struct fp_snapshot *s = NULL;
	char err[EP_EVENT_ERR_LEN] = "";
	uint32_t len;
	void *buf = flat_bytes(c, &len);
	int rc = snap_build(buf, len, 1, prev, &s, err, sizeof(err));

	CHECK_MSG(rc == 0 && s != NULL, "snap_build: %d %s", rc, err);
	free(buf);
	return rc == 0 ? s : NULL;
}

/* ------------------------------------------------------------------ */
/* Maglev tables across a change                                        */

/* One Maglev service of backends 0..N_BE-1 except `skip` (N_BE: none). */
static void maglev_cfg(struct flat_build *c, uint32_t node_flags, uint32_t skip,
		       uint32_t extra)
{
	uint32_t i;

	flat_init(c, node_flags);
	cfg_add_service(c, "web", ep_ip4(198, 51, 100, 1), 80, IPPROTO_TCP);
	for (i = 0; i < N_BE; i++)
		if (i != skip)
			cfg_add_backend(c, i, (uint16_t)(1 + i % 3));
	for (i = 0; i < extra; i++)
		cfg_add_backend(c, N_BE + i, 2);
}

/* The identity snapshot.c gives a backend for Maglev permutations. */
static uint32_t be_hash_id(const struct snap_backend *b)
{
	return snap_addr_hash(b->addr, b->port_n, b->family);
}

/* Service 0's backends as maglev_build() takes them. */
static uint32_t maglev_input(const struct fp_snapshot *s,
			     struct maglev_backend *mb, uint32_t *ids)
{
	const struct snap_service *sv = &s->services[0];
	uint32_t j;

	for (j = 0; j < sv->n_backends; j++) {
		const struct snap_backend *b =
			&s->backends[sv->first_backend + j];

		mb[j].hash_id = be_hash_id(b);
		mb[j].weight = b->state == EP_BE_UP ? b->weight : 0;
		ids[j] = mb[j].hash_id;
	}
	return sv->n_backends;
}

/* The fresh table of `s`'s service 0, and the table rebuilt from
 * `prev`'s, computed with maglev.c directly. */
static void expected_tables(const struct fp_snapshot *prev,
			    const struct fp_snapshot *s, uint16_t *fresh,
			    uint16_t *rebuilt)
{
	struct maglev_backend mb[MAX_BE], old_mb[MAX_BE];
	uint32_t ids[MAX_BE], old_ids[MAX_BE];
	uint32_t n = maglev_input(s, mb, ids);
	uint32_t old_n = maglev_input(prev, old_mb, old_ids);

	CHECK(maglev_build(mb, n, fresh, TABLE_SIZE) == 0);
	CHECK(maglev_rebuild(mb, n, old_ids, old_n,
			     prev->services[0].maglev_ref->cur->slots, rebuilt,
			     TABLE_SIZE) == 0);
}

static int same_table(const struct fp_snapshot *s, const uint16_t *t)
{
	return s->services[0].maglev_ref != NULL &&
	       s->services[0].maglev_ref->cur->size == TABLE_SIZE &&
	       memcmp(s->services[0].maglev_ref->cur->slots, t,
		      TABLE_SIZE * 2) == 0;
}

/* Slots whose owner changed from one kept backend to another. */
static uint32_t moved_between_kept(const struct fp_snapshot *prev,
				   const struct fp_snapshot *s,
				   uint32_t removed_sid)
{
	const struct snap_service *a = &prev->services[0];
	const struct snap_service *b = &s->services[0];
	uint32_t i, moved = 0;

	for (i = 0; i < TABLE_SIZE; i++) {
		uint32_t was = prev->backends[a->first_backend +
					      a->maglev_ref->cur->slots[i]]
				       .stats_id;
		uint32_t now = s->backends[b->first_backend +
					   b->maglev_ref->cur->slots[i]]
				       .stats_id;

		moved += was != removed_sid && was != now;
	}
	return moved;
}

/*
 * Remove one backend under `flags`: "minimal" (0) must give
 * maglev_rebuild()'s table, "fresh" maglev_build()'s, which is also what
 * a first build of the new configuration gives.
 */
static void test_remove_one(uint32_t flags)
{
	const uint32_t removed = 7;
	uint16_t *fresh = malloc(TABLE_SIZE * 2);
	uint16_t *rebuilt = malloc(TABLE_SIZE * 2);
	struct fp_snapshot *s1, *s2, *first;
	struct flat_build c;

	maglev_cfg(&c, flags, N_BE, 0);
	s1 = build_ok(&c, NULL);
	maglev_cfg(&c, flags, removed, 0);
	s2 = build_ok(&c, s1);
	first = build_ok(&c, NULL);
	if (s1 == NULL || s2 == NULL || first == NULL || fresh == NULL ||
	    rebuilt == NULL)
		goto out;
	CHECK(s2->node.flags == flags);
	CHECK(s2->services[0].n_backends == N_BE - 1);
	expected_tables(s1, s2, fresh, rebuilt);
	/* The change must be one where the two differ, or this proves
	 * nothing: a fresh build moves slots between kept backends. */
	CHECK(memcmp(fresh, rebuilt, TABLE_SIZE * 2) != 0);
	CHECK(same_table(first, fresh));
	if (flags & EP_NODE_F_MAGLEV_FRESH) {
		CHECK(same_table(s2, fresh));
		CHECK(moved_between_kept(s1, s2, removed) > 0);
	} else {
		CHECK(same_table(s2, rebuilt));
		CHECK(moved_between_kept(s1, s2, removed) == 0);
	}
out:
	snap_free(first);
	snap_free(s2);
	snap_free(s1);
	free(rebuilt);
	free(fresh);
}

/*
 * "fresh" after a history of changes still gives the first-build table
 * of the configuration in force; "minimal" does not. The flag of the new
 * configuration decides: switching to "fresh" drops the history at once.
 */
static void test_history(void)
{
	static const uint32_t skips[] = { 3, N_BE, 11, 0, N_BE };
	static const uint32_t extras[] = { 0, 2, 1, 3, 0 };
	uint16_t *fresh = malloc(TABLE_SIZE * 2);
	uint16_t *rebuilt = malloc(TABLE_SIZE * 2);
	struct fp_snapshot *fr = NULL, *mi = NULL, *next, *first;
	struct flat_build c;
	size_t i;

	for (i = 0; i < sizeof(skips) / sizeof(skips[0]); i++) {
		maglev_cfg(&c, EP_NODE_F_MAGLEV_FRESH, skips[i], extras[i]);
		next = build_ok(&c, fr);
		snap_free(fr);
		fr = next;
		maglev_cfg(&c, 0, skips[i], extras[i]);
		next = build_ok(&c, mi);
		snap_free(mi);
		mi = next;
	}
	/* Same configuration as the last step, built once from nothing. */
	first = build_ok(&c, NULL);
	if (fr == NULL || mi == NULL || first == NULL)
		goto out;
	CHECK(same_table(fr, first->services[0].maglev_ref->cur->slots));
	CHECK(!same_table(mi, first->services[0].maglev_ref->cur->slots));
	/* Minimal -> fresh: the fresh table of the set, not a rebuild. */
	maglev_cfg(&c, EP_NODE_F_MAGLEV_FRESH, 5, 0);
	next = build_ok(&c, mi);
	if (next != NULL) {
		expected_tables(mi, next, fresh, rebuilt);
		CHECK(same_table(next, fresh) && !same_table(next, rebuilt));
		snap_free(next);
	}
	/* Fresh -> minimal: rebuilt from the previous (fresh) table. */
	maglev_cfg(&c, 0, 5, 0);
	next = build_ok(&c, fr);
	if (next != NULL) {
		expected_tables(fr, next, fresh, rebuilt);
		CHECK(same_table(next, rebuilt) && !same_table(next, fresh));
		snap_free(next);
	}
out:
	snap_free(first);
	snap_free(mi);
	snap_free(fr);
	free(rebuilt);
	free(fresh);
}

/* ------------------------------------------------------------------ */
/* Sharing unchanged Maglev tables                                      */

#define SH_SVC 3u
#define SH_BE 5u

/* SH_SVC Maglev services of SH_BE backends; service `heavy` has its first
 * backend at weight `w`, service 0 a table of `size0` slots. */
static void share_cfg(struct flat_build *c, uint32_t node_flags, uint32_t heavy,
		      uint16_t w, uint32_t size0)
{
	flat_init(c, node_flags);
	for (uint32_t i = 0; i < SH_SVC; i++) {
		struct ep_cfg_service *s = cfg_add_service(
			c, "svc", ep_ip4(198, 51, 100, (uint8_t)(1 + i)), 80,
			IPPROTO_TCP);

		if (i == 0)
			s->maglev_size = size0;
		for (uint32_t j = 0; j < SH_BE; j++)
			cfg_add_backend(c, i * SH_BE + j,
					i == heavy && j == 0 ? w : 1);
	}
}

/* Service i's backends as Maglev takes them. */
static void maglev_input_of(const struct fp_snapshot *s, uint32_t i,
			    struct maglev_backend *mb)
{
	const struct snap_service *sv = &s->services[i];

	for (uint32_t j = 0; j < sv->n_backends; j++) {
		const struct snap_backend *b =
			&s->backends[sv->first_backend + j];

		mb[j].hash_id = be_hash_id(b);
		mb[j].weight = b->state == EP_BE_UP ? b->weight : 0;
	}
}

static int same_ptrs(const struct fp_snapshot *a, const struct fp_snapshot *b,
		     uint32_t i)
{
	return a->services[i].maglev_ref == b->services[i].maglev_ref;
}

static void test_share(void)
{
	uint64_t start = heap_bytes();
	uint16_t *copy = malloc(SH_SVC * TABLE_SIZE * 2);
	uint16_t *fresh = malloc(TABLE_SIZE * 2);
	struct maglev_backend mb[SH_BE];
	uint32_t ids[SH_BE];
	struct fp_snapshot *s1, *s2, *s3 = NULL, *bad = NULL;
	char err[EP_EVENT_ERR_LEN];
	struct flat_build c;
	uint32_t i, len;
	void *buf;

	/* Sharing and rebuilding from full tables: all three are built at
	 * once (the default budget is one table; test_sync_budget and
	 * test_handover cover what happens beyond it). */
	snap_set_sync_build_slots(SH_SVC * TABLE_SIZE);
	share_cfg(&c, 0, 1, 1, 0);
	s1 = build_ok(&c, NULL);
	share_cfg(&c, 0, 1, 3, 0); /* one weight of service 1 changed */
	s2 = build_ok(&c, s1);
	if (s1 == NULL || s2 == NULL || copy == NULL || fresh == NULL)
		goto out;
	CHECK(same_ptrs(s1, s2, 0) && same_ptrs(s1, s2, 2));
	CHECK(s2->services[0].maglev_ref->refs == 2);
	CHECK(!same_ptrs(s1, s2, 1));
	CHECK(s2->services[1].maglev_ref->refs == 1);
	CHECK(s1->services[1].maglev_ref->refs == 1);
	/* Service 1 was rebuilt from its previous table. */
	for (i = 0; i < SH_BE; i++) {
		const struct snap_backend *b =
			&s2->backends[s2->services[1].first_backend + i];

		mb[i].hash_id = be_hash_id(b);
		mb[i].weight = b->weight;
		ids[i] = mb[i].hash_id;
	}
	CHECK(maglev_rebuild(mb, SH_BE, ids, SH_BE,
			     s1->services[1].maglev_ref->cur->slots, fresh,
			     TABLE_SIZE) == 0);
	CHECK(memcmp(fresh, s2->services[1].maglev_ref->cur->slots,
		     TABLE_SIZE * 2) == 0);
	CHECK(memcmp(s1->services[1].maglev_ref->cur->slots,
		     s2->services[1].maglev_ref->cur->slots,
		     TABLE_SIZE * 2) != 0);

	/* A refused build (duplicate VIP after two shared tables) gives its
	 * references back. */
	c.svc[2].vip = c.svc[0].vip;
	buf = flat_bytes(&c, &len);
	CHECK(snap_build(buf, len, 2, s2, &bad, err, sizeof(err)) == -EINVAL);
	free(buf);
	CHECK(s2->services[0].maglev_ref->refs == 2);
	CHECK(s2->services[1].maglev_ref->refs == 1);

	/* Freeing the old snapshot leaves the shared tables to the new. */
	for (i = 0; i < SH_SVC; i++)
		memcpy(copy + i * TABLE_SIZE,
		       s2->services[i].maglev_ref->cur->slots, TABLE_SIZE * 2);
	snap_free(s1);
	s1 = NULL;
	for (i = 0; i < SH_SVC; i++) {
		struct flow_key k;
		const struct snap_service *sv;

		memset(&k, 0, sizeof(k));
		k.family = EP_AF_INET;
		k.proto = IPPROTO_TCP;
		k.dport = rte_cpu_to_be_16(80);
		memcpy(k.dst, s2->services[i].vip, 16);
		sv = snap_find_service(s2, &k);
		CHECK(sv == &s2->services[i] && sv->maglev_ref->refs == 1);
		CHECK(sv != NULL &&
		      memcmp(sv->maglev_ref->cur->slots, copy + i * TABLE_SIZE,
			     TABLE_SIZE * 2) == 0);
	}

	/* A changed table size rebuilds that service only. */
	share_cfg(&c, 0, 1, 3, 251);
	s3 = build_ok(&c, s2);
	if (s3 != NULL) {
		CHECK(!same_ptrs(s2, s3, 0) &&
		      s3->services[0].maglev_size == 251);
		CHECK(same_ptrs(s2, s3, 1) && same_ptrs(s2, s3, 2));
		snap_free(s3);
	}
	/*
	 * Switching to fresh: tables that are fresh builds already (0, 2)
	 * are shared; service 1's, a rebuild, keeps serving until its
	 * fresh table, deferred, replaces it.
	 */
	share_cfg(&c, EP_NODE_F_MAGLEV_FRESH, 1, 3, 0);
	s3 = build_ok(&c, s2);
	if (s3 != NULL) {
		const struct snap_maglev *o = s3->services[1].maglev_ref;
		struct maglev_backend mb1[SH_BE];

		CHECK(same_ptrs(s2, s3, 0) && same_ptrs(s2, s3, 2));
		CHECK(!same_ptrs(s2, s3, 1));
		CHECK(o->pending && o->interim == s2->services[1].maglev_ref);
		CHECK(o->cur == s2->services[1].maglev_ref->cur);
		CHECK(snap_maglev_pending() == 1);
		CHECK(snap_maglev_build_pending(0) == 0);
		CHECK(!o->pending && o->cur == o->full && o->fresh);
		maglev_input_of(s3, 1, mb1);
		CHECK(maglev_build(mb1, SH_BE, fresh, TABLE_SIZE) == 0);
		CHECK(memcmp(o->cur->slots, fresh, TABLE_SIZE * 2) == 0);
		snap_free(s2);
		s2 = s3;
		/* Same mode again (fresh): shared. */
		s3 = build_ok(&c, s2);
		for (i = 0; s3 != NULL && i < SH_SVC; i++)
			CHECK(same_ptrs(s2, s3, i));
		snap_free(s3);
	}
out:
	snap_set_sync_build_slots(SNAP_SYNC_BUILD_SLOTS);
	snap_free(s2);
	snap_free(s1);
	free(fresh);
	free(copy);
	CHECK_MSG(heap_bytes() == start, "share: heap %llu bytes, was %llu",
		  (unsigned long long)heap_bytes(), (unsigned long long)start);
}

/* ------------------------------------------------------------------ */
/* Provisional -> full handover under a concurrent reader               */

struct reader_arg {
	const struct fp_snapshot *s;
	int stop; /* atomic */
	uint64_t picks, bad, full_seen;
};

/* A worker's view: pick for many hashes, every answer must be one of the
 * service's weighted backends, whichever table is in force. */
static void *reader(void *p)
{
	struct reader_arg *a = p;
	uint32_t h = 1;

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		for (uint32_t i = 0; i < a->s->n_services; i++) {
			const struct snap_service *sv = &a->s->services[i];
			const struct maglev_table *t = __atomic_load_n(
				&sv->maglev_ref->cur, __ATOMIC_ACQUIRE);
			uint16_t idx;

			h = h * 1664525u + 1013904223u;
			idx = snap_maglev_pick(sv, h);
			a->bad += idx >= sv->n_backends ||
				  a->s->backends[sv->first_backend + idx]
						  .weight == 0;
			a->full_seen += t->size == TABLE_SIZE;
			a->picks++;
		}
	}
	return NULL;
}

/* The default budget: the first new default-size table is built before
 * the ack, the next ones start provisional. */
static void test_sync_budget(void)
{
	uint64_t start = heap_bytes();
	struct fp_snapshot *s;
	struct flat_build c;

	share_cfg(&c, 0, 1, 1, 0);
	s = build_ok(&c, NULL);
	if (s == NULL)
		return;
	CHECK(SNAP_SYNC_BUILD_SLOTS / TABLE_SIZE == 1);
	CHECK(s->services[0].maglev_ref->cur->size == TABLE_SIZE &&
	      !s->services[0].maglev_ref->pending);
	CHECK(s->services[1].maglev_ref->cur->size < TABLE_SIZE &&
	      s->services[1].maglev_ref->pending);
	CHECK(s->services[2].maglev_ref->pending);
	CHECK(snap_maglev_pending() == SH_SVC - 1);
	CHECK(snap_maglev_build_pending(UINT64_MAX) == 0);
	CHECK(s->services[1].maglev_ref->cur->size == TABLE_SIZE);
	snap_free(s);
	CHECK(heap_bytes() == start);
}

static void test_handover(void)
{
	uint64_t start = heap_bytes();
	struct reader_arg a = { 0 };
	struct fp_snapshot *s;
	pthread_t th;
	struct flat_build c;
	uint32_t i, j;

	flat_init(&c, 0);
	for (i = 0; i < MAX_SVC; i++) {
		cfg_add_service(&c, "svc",
				ep_ip4(198, 51, 100, (uint8_t)(1 + i)), 80,
				IPPROTO_TCP);
		for (j = 0; j < 8; j++)
			cfg_add_backend(&c, i * 8 + j, j == 3 ? 0 : 1 + j % 3);
	}
	snap_set_sync_build_slots(0);
	s = build_ok(&c, NULL);
	snap_set_sync_build_slots(SNAP_SYNC_BUILD_SLOTS);
	if (s == NULL)
		return;
	CHECK(snap_maglev_pending() == MAX_SVC);
	for (i = 0; i < MAX_SVC; i++) {
		const struct maglev_table *t = s->services[i].maglev_ref->cur;

		/* 7 weighted backends: the prime above 700. */
		CHECK(t->size == 701 && s->services[i].maglev_ref->pending);
	}
	a.s = s;
	CHECK(pthread_create(&th, NULL, reader, &a) == 0);
	while (__atomic_load_n(&a.picks, __ATOMIC_RELAXED) < 1000)
		sched_yield();
	/* One table at a time, with the reader running throughout. */
	while (snap_maglev_build_pending(0) > 0)
		sched_yield();
	while (__atomic_load_n(&a.full_seen, __ATOMIC_RELAXED) < 1000)
		sched_yield();
	__atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CHECK_MSG(a.bad == 0, "%llu of %llu picks outside the backends",
		  (unsigned long long)a.bad, (unsigned long long)a.picks);
	for (i = 0; i < MAX_SVC; i++)
		CHECK(s->services[i].maglev_ref->cur->size == TABLE_SIZE);
	snap_free(s);
	CHECK(heap_bytes() == start);
}

/* A service removed while its full table is pending: dropped unbuilt and
 * counted; the one kept (shared while pending) outlives the old snapshot
 * and gets its full table. ASan sees any use of a freed table. */
static void test_removed_while_pending(void)
{
	uint64_t start = heap_bytes();
	struct snap_maglev_counts c0, c1;
	struct fp_snapshot *s1, *s2;
	struct flat_build c;
	uint32_t i, j;

	flat_init(&c, 0);
	for (i = 0; i < 2; i++) {
		cfg_add_service(&c, "svc",
				ep_ip4(198, 51, 100, (uint8_t)(1 + i)), 80,
				IPPROTO_TCP);
		for (j = 0; j < 8; j++)
			cfg_add_backend(&c, i * 8 + j, 1);
	}
	snap_maglev_counts(&c0);
	snap_set_sync_build_slots(0);
	s1 = build_ok(&c, NULL);
	c.n_svc = 1; /* service 1 removed */
	c.n_be = 8;
	s2 = s1 ? build_ok(&c, s1) : NULL;
	snap_set_sync_build_slots(SNAP_SYNC_BUILD_SLOTS);
	if (s2 != NULL) {
		CHECK(same_ptrs(s1, s2, 0) &&
		      s2->services[0].maglev_ref->pending);
		snap_free(s1); /* the swap: its RCU grace period is over */
		s1 = NULL;
		CHECK(snap_maglev_pending() == 2);
		CHECK(snap_maglev_build_pending(UINT64_MAX) == 0);
		snap_maglev_counts(&c1);
		CHECK(c1.deferred - c0.deferred == 2);
		CHECK(c1.built - c0.built == 1);
		CHECK(c1.abandoned - c0.abandoned == 1);
		CHECK(s2->services[0].maglev_ref->cur->size == TABLE_SIZE);
	}
	snap_free(s2);
	snap_free(s1);
	CHECK(heap_bytes() == start);
}

/* 1000 services x 10 backends (65537-slot tables): a build from nothing,
 * then one with a single weight changed. Timing printed, not asserted. */
#define BIG_SVC 1000u
#define BIG_BE 10u

static void *big_flat(uint16_t w, uint32_t *len)
{
	uint32_t off_s = flat_align8(sizeof(struct ep_cfg_hdr));
	uint32_t off_b =
		flat_align8(off_s + BIG_SVC * sizeof(struct ep_cfg_service));
	uint32_t total = flat_align8(
		off_b + BIG_SVC * BIG_BE * sizeof(struct ep_cfg_backend));
	uint8_t *buf = calloc(1, total);
	struct ep_cfg_hdr *h = (void *)buf;
	struct ep_cfg_service *sv = (void *)(buf + off_s);
	struct ep_cfg_backend *be = (void *)(buf + off_b);

	if (buf == NULL)
		abort();
	h->magic = EP_CFG_MAGIC;
	h->abi_version = EP_ABI_VERSION;
	h->version = 1;
	h->total_len = total;
	h->node.gue_port = 6080;
	h->n_services = BIG_SVC;
	h->off_services = off_s;
	h->n_backends = BIG_SVC * BIG_BE;
	h->off_backends = off_b;
	h->off_node_addrs = off_s;
	for (uint32_t i = 0; i < BIG_SVC; i++) {
		snprintf(sv[i].name, sizeof(sv[i].name), "s%u", i);
		sv[i].vip = ep_ip4(198, 51, (uint8_t)(i / 250),
				   (uint8_t)(1 + i % 250));
		sv[i].port = 80;
		sv[i].proto = IPPROTO_TCP;
		sv[i].fwd_mode = EP_FWD_DSR;
		sv[i].sched = EP_SCHED_MAGLEV;
		sv[i].stats_id = i;
		sv[i].first_backend = i * BIG_BE;
		sv[i].n_backends = BIG_BE;
	}
	for (uint32_t i = 0; i < BIG_SVC * BIG_BE; i++) {
		be[i].addr = ep_ip4(10, (uint8_t)(i / 62500),
				    (uint8_t)(i / 250 % 250),
				    (uint8_t)(1 + i % 250));
		be[i].weight = 1;
		be[i].state = EP_BE_UP;
		be[i].stats_id = i;
	}
	be[BIG_SVC * BIG_BE / 2].weight = w;
	*len = total;
	return buf;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_big_timing(void)
{
	struct fp_snapshot *a = NULL, *b = NULL;
	char err[EP_EVENT_ERR_LEN] = "";
	uint32_t len, shared = 0, full = 0;
	void *buf = big_flat(1, &len);
	double t0 = now_ms(), t1, t2, t3, t4;

	CHECK_MSG(snap_build(buf, len, 1, NULL, &a, err, sizeof(err)) == 0,
		  "big build: %s", err);
	free(buf);
	buf = big_flat(2, &len);
	t1 = now_ms();
	CHECK_MSG(snap_build(buf, len, 2, a, &b, err, sizeof(err)) == 0,
		  "big rebuild: %s", err);
	t2 = now_ms();
	free(buf);
	for (uint32_t i = 0; a != NULL && b != NULL && i < BIG_SVC; i++)
		shared += same_ptrs(a, b, i);
	CHECK(shared == BIG_SVC - 1);
	/* Beyond the first few, new services start provisional. */
	CHECK(snap_maglev_pending() >=
	      BIG_SVC - SNAP_SYNC_BUILD_SLOTS / TABLE_SIZE - 1);
	t3 = now_ms();
	CHECK(snap_maglev_build_pending(UINT64_MAX) == 0);
	t4 = now_ms();
	for (uint32_t i = 0; b != NULL && i < BIG_SVC; i++)
		full += b->services[i].maglev_ref->cur->size == TABLE_SIZE;
	CHECK(full == BIG_SVC);
	printf("snap_build %u services x %u backends: %.1f ms from scratch, "
	       "%.1f ms with one weight changed (%u tables shared); "
	       "deferred full tables %.1f ms\n",
	       BIG_SVC, BIG_BE, t1 - t0, t2 - t1, shared, t4 - t3);
	snap_free(a);
	snap_free(b);
}

/* ------------------------------------------------------------------ */
/* Refusals                                                             */

/* Two TCP services on one VIP (ports 80 and 443), two backends each, one
 * node address. */
static void base_cfg(struct flat_build *c)
{
	flat_init(c, 0);
	c->na[0].addr = ep_ip4(192, 0, 2, 10);
	c->n_na = 1;
	cfg_add_service(c, "a", ep_ip4(198, 51, 100, 1), 80, IPPROTO_TCP);
	cfg_add_backend(c, 0, 1);
	cfg_add_backend(c, 1, 1);
	cfg_add_service(c, "b", ep_ip4(198, 51, 100, 1), 443, IPPROTO_TCP);
	c->svc[1].maglev_size = 251;
	cfg_add_backend(c, 2, 1);
	cfg_add_backend(c, 3, 1);
}

/* snap_build must refuse `len` bytes of `buf` with `want_rc` (0: any
 * negative) and an error starting with `prefix`. */
#define REFUSE_BUF(buf, len, want_rc, prefix)                                  \
	refuse_buf(buf, len, want_rc, prefix, __LINE__)

static void refuse_buf(const void *buf, uint32_t len, int want_rc,
		       const char *prefix, int line)
{
	struct fp_snapshot *s = NULL;
	char err[EP_EVENT_ERR_LEN] = "";
	int rc = snap_build(buf, len, 1, NULL, &s, err, sizeof(err));

	CHECK_MSG(rc < 0 && (want_rc == 0 || rc == want_rc) && s == NULL &&
			  err[0] != '\0' &&
			  strncmp(err, prefix, strlen(prefix)) == 0,
		  "line %d: rc %d, error \"%s\", expected %d \"%s...\"", line,
		  rc, err, want_rc, prefix);
	if (rc == 0)
		snap_free(s);
}

/* Lay out `c`, let `edit` break the header, expect the refusal. */
#define REFUSE_HDR(c, stmt, want_rc, prefix)                                   \
	do {                                                                   \
		uint32_t len_;                                                 \
		uint8_t *buf_ = flat_bytes(c, &len_);                          \
		struct ep_cfg_hdr h_;                                          \
                                                                               \
		memcpy(&h_, buf_, sizeof(h_));                                 \
		stmt;                                                          \
		memcpy(buf_, &h_, sizeof(h_));                                 \
		REFUSE_BUF(buf_, len_, want_rc, prefix);                       \
		free(buf_);                                                    \
	} while (0)

/* Break a copy of `c` with `stmt` (on `x`, a struct flat_build), expect the
 * refusal. */
#define REFUSE_CFG(c, stmt, want_rc, prefix)                                   \
	do {                                                                   \
		struct flat_build x = *(c);                                    \
		uint32_t len_;                                                 \
		uint8_t *buf_;                                                 \
                                                                               \
		stmt;                                                          \
		buf_ = flat_bytes(&x, &len_);                                  \
		REFUSE_BUF(buf_, len_, want_rc, prefix);                       \
		free(buf_);                                                    \
	} while (0)

static void test_refuse_header(void)
{
	struct flat_build c;
	uint32_t len;
	uint8_t *buf;

	base_cfg(&c);
	buf = flat_bytes(&c, &len);
	REFUSE_BUF(buf, 0, -EINVAL, "flat: 0 bytes, shorter than");
	{
		char want[64];

		snprintf(want, sizeof(want), "flat: %zu bytes, shorter than",
			 sizeof(struct ep_cfg_hdr) - 1);
		REFUSE_BUF(buf, sizeof(struct ep_cfg_hdr) - 1, -EINVAL, want);
	}
	free(buf);
	REFUSE_HDR(&c, h_.magic ^= 1, -EINVAL, "flat.magic: ");
	REFUSE_HDR(&c, h_.abi_version = EP_ABI_VERSION - 1, -EPROTO,
		   "flat.abi_version: ");
	REFUSE_HDR(&c, h_.abi_version = EP_ABI_VERSION + 1, -EPROTO,
		   "flat.abi_version: ");
	REFUSE_HDR(&c, h_.node.flags = 0x2, -EINVAL,
		   "flat.node.flags: unknown bits");
	REFUSE_HDR(&c, h_.total_len += 8, -EINVAL, "flat.total_len: ");
	REFUSE_HDR(&c, h_.n_services = EP_MAX_SERVICES + 1, -E2BIG,
		   "flat: counts ");
	REFUSE_HDR(&c, h_.n_backends = EP_MAX_BACKENDS + 1, -E2BIG,
		   "flat: counts ");
	REFUSE_HDR(&c, h_.n_node_addrs = UINT32_MAX, -E2BIG, "flat: counts ");
}

static void test_refuse_arrays(void)
{
	const char *be = "flat.off_backends: ", *sv = "flat.off_services: ";
	struct flat_build c;

	base_cfg(&c);
	REFUSE_HDR(&c, h_.off_backends = h_.total_len, -EINVAL, be);
	REFUSE_HDR(&c, h_.n_backends += 1, -EINVAL, be);
	REFUSE_HDR(&c, h_.n_services = 100, -EINVAL, sv);
	REFUSE_HDR(&c, h_.off_node_addrs = h_.total_len - 8, -EINVAL,
		   "flat.off_node_addrs: ");
	REFUSE_HDR(&c, h_.off_services = UINT32_MAX - 7, -EINVAL, sv);
	REFUSE_HDR(&c, h_.off_services = 8, -EINVAL, sv); /* in the header */
	REFUSE_HDR(&c, h_.off_backends += 4, -EINVAL, be); /* misaligned */
	REFUSE_HDR(&c, h_.off_node_addrs = 0, -EINVAL, "flat.off_node_addrs: ");
}

static void test_refuse_services(void)
{
	const char *range = "flat.services[1]: backends ";
	struct flat_build c;

	base_cfg(&c);
	REFUSE_CFG(&c, x.svc[1].first_backend = 3, -EINVAL, range);
	REFUSE_CFG(&c, x.svc[1].first_backend = 4, -EINVAL, range);
	REFUSE_CFG(&c, x.svc[1].n_backends = 3, -EINVAL, range);
	REFUSE_CFG(&c, x.svc[1].first_backend = UINT32_MAX, -EINVAL, range);
	REFUSE_CFG(&c, x.svc[1].n_backends = UINT32_MAX, -EINVAL, range);
	REFUSE_CFG(&c, x.svc[1].proto = IPPROTO_ICMP, -EINVAL,
		   "flat.services[1]: proto 1,");
	REFUSE_CFG(&c, x.svc[1].fwd_mode = 0, -EINVAL,
		   "flat.services[1]: proto 6, fwd_mode 0 or");
	REFUSE_CFG(&c, x.svc[1].fwd_mode = EP_FWD_NAT + 1, -EINVAL,
		   "flat.services[1]: proto 6, fwd_mode 4 or");
	REFUSE_CFG(&c, x.svc[1].sched = 0, -EINVAL,
		   "flat.services[1]: proto 6, fwd_mode 1 or sched 0 ");
	REFUSE_CFG(&c, x.svc[1].sched = EP_SCHED_LC + 1, -EINVAL,
		   "flat.services[1]: proto 6, fwd_mode 1 or sched 5 ");
	REFUSE_CFG(&c, x.svc[1].vip.family = 5, -EINVAL,
		   "flat.services[1].vip: malformed");
	REFUSE_CFG(&c, x.svc[1].stats_id = EP_MAX_SERVICES, -EINVAL,
		   "flat.services[1].stats_id: 2048 out of range");
	/* The slow path's rule, now the fast path's too: ids are unique. */
	REFUSE_CFG(&c, x.svc[1].stats_id = x.svc[0].stats_id, -EINVAL,
		   "flat.services[1].stats_id: ");
	REFUSE_CFG(&c, x.svc[1].maglev_size = 250, -EINVAL,
		   "services[1].maglev_table_size: 250 unusable");
	REFUSE_CFG(&c, x.svc[1].maglev_size = EP_MAGLEV_MAX_SIZE + 2, -EINVAL,
		   "services[1].maglev_table_size: ");
	/* Prime, but fewer slots (2) than backends (3). */
	REFUSE_CFG(&c,
		   (x.svc[0].n_backends = 1, x.svc[1].first_backend = 1,
		    x.svc[1].n_backends = 3, x.svc[1].maglev_size = 2),
		   -EINVAL, "services[1].maglev_table_size: 2 unusable");
}

static void test_refuse_backends_and_node(void)
{
	struct flat_build c;

	base_cfg(&c);
	REFUSE_CFG(&c, x.be[2].state = EP_BE_DRAIN + 1, -EINVAL,
		   "flat.backends[2]: state 3 ");
	REFUSE_CFG(&c, x.be[2].stats_id = EP_MAX_BACKENDS, -EINVAL,
		   "flat.backends[2].stats_id: 32768 out of range");
	REFUSE_CFG(&c, x.be[2].addr.family = 0, -EINVAL,
		   "flat.backends[2].addr: malformed");
	REFUSE_CFG(&c, x.be[2].addr.family = 7, -EINVAL,
		   "flat.backends[2].addr: malformed");
	REFUSE_CFG(&c, x.na[0].addr.family = 0, -EINVAL,
		   "flat.node_addrs[0].addr: malformed");
}

static void test_refuse_duplicates(void)
{
	const char *dup = "services[1]: VIP, port and protocol already used";
	struct fp_snapshot *s;
	struct flat_build c;

	base_cfg(&c);
	REFUSE_CFG(&c, x.svc[1].port = 80, -EINVAL, dup);
	REFUSE_CFG(&c, (x.svc[0].port = 0, x.svc[1].port = 0), -EINVAL, dup);
	/* The same VIP and port over the other protocol is another service. */
	c.svc[1].port = 80;
	c.svc[1].proto = IPPROTO_UDP;
	s = build_ok(&c, NULL);
	if (s != NULL)
		CHECK(s->n_services == 2 &&
		      s->services[1].proto == IPPROTO_UDP);
	snap_free(s);
	/* An IPv6 VIP with the same leading bytes is another address. */
	c.svc[1].proto = IPPROTO_TCP;
	c.svc[1].vip.family = EP_AF_INET6;
	c.be[2].addr.family = EP_AF_INET6;
	c.be[3].addr.family = EP_AF_INET6;
	s = build_ok(&c, NULL);
	snap_free(s);
}

/* A valid build, with the fields a reader sees; snap_free(NULL) is safe. */
static void test_build_free(void)
{
	struct fp_snapshot *s;
	struct flat_build c;

	base_cfg(&c);
	c.h.version = 42;
	c.h.node.flags = EP_NODE_F_MAGLEV_FRESH;
	s = build_ok(&c, NULL);
	if (s != NULL) {
		CHECK(s->version == 42 && s->generation == 1);
		CHECK(s->n_services == 2 && s->n_backends == 4);
		CHECK(s->node.flags == EP_NODE_F_MAGLEV_FRESH);
		CHECK(s->services[1].maglev_size == 251 &&
		      s->services[0].maglev_size == EP_MAGLEV_DEFAULT_SIZE);
		CHECK(s->has_src4 && s->src4[3] == 10);
	}
	snap_free(s);
	snap_free(NULL);
}

int main(void)
{
	uint64_t before;
	int rc;

	if (test_eal_init("snapshot", "256") < 0)
		return 1;
	before = heap_bytes();
	test_remove_one(0);
	test_remove_one(EP_NODE_F_MAGLEV_FRESH);
	test_history();
	test_share();
	test_handover();
	test_sync_budget();
	test_removed_while_pending();
	test_big_timing();
	test_refuse_header();
	test_refuse_arrays();
	test_refuse_services();
	test_refuse_backends_and_node();
	test_refuse_duplicates();
	test_build_free();
	/* The rate limits' shared state outlives snapshots (policing.c). */
	pol_teardown();
	/* Every snapshot, built or refused, gave its DPDK memory back. */
	CHECK_MSG(heap_bytes() == before, "heap %llu bytes, was %llu",
		  (unsigned long long)heap_bytes(), (unsigned long long)before);
	rc = check_summary("snapshot");
	rte_eal_cleanup();
	return rc;
}
