/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_snapshot, Maglev tables across changes: tables equal to a fresh
 * build, few moves on removal, tables shared between snapshots, the
 * queue of pending builds (sync budget, handover, removal while pending).
 */
#include "snapshot_test.h"

#define MAX_SVC 4u
#define MAX_BE 64u
#define N_BE 20u /* backends of the Maglev service */

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
void test_remove_one(uint32_t flags)
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
void test_history(void)
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

int same_ptrs(const struct fp_snapshot *a, const struct fp_snapshot *b,
	      uint32_t i)
{
	return a->services[i].maglev_ref == b->services[i].maglev_ref;
}

void test_share(void)
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

struct reader_arg {
	const struct fp_snapshot *s;
	int stop; /* atomic */
	uint64_t picks, bad, full_seen;
};

/* A worker's view: pick for many hashes, every answer must be one of the
 * service's weighted backends, whichever table is in force. */
void *reader(void *p)
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
void test_sync_budget(void)
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

void test_handover(void)
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

		/* 7 weighted backends: the prime above 7 x 32. */
		CHECK(t->size == 227 && s->services[i].maglev_ref->pending);
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
void test_removed_while_pending(void)
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
