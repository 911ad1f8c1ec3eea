/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev table digests (fastpath/snapshot_digest.c, abi/maglev_digest.c):
 * two builds of one configuration publish equal digests whatever the
 * order of the backends, a changed backend changes its service's digest
 * only, a deferred table shows pending and then the fresh build's digest,
 * and the format is pinned against an independent computation.
 */
#include "maglev_digest.h"
#include "snapshot_test.h"

#define DG_BE 10

static struct ep_stats *dg_stats;

/* Two services of DG_BE backends; `swap` reverses service 0's order,
 * `moved` gives service 0's backend 4 another address. */
static void dg_cfg(struct flat_build *c, int swap, int moved)
{
	flat_init(c, EP_NODE_F_MAGLEV_FRESH);
	c->na[0].addr = ep_ip4(192, 0, 2, 10);
	c->n_na = 1;
	for (uint32_t s = 0; s < 2; s++) {
		cfg_add_service(c, s ? "b" : "a",
				ep_ip4(198, 51, 100, (uint8_t)(1 + s)), 80,
				IPPROTO_TCP);
		for (uint32_t j = 0; j < DG_BE; j++) {
			uint32_t id = s * DG_BE +
				      (swap && s == 0 ? DG_BE - 1 - j : j);

			cfg_add_backend(c, id, 1 + id % 3);
			if (moved && id == 4)
				c->be[c->n_be - 1].addr = ep_ip4(10, 9, 9, 9);
		}
	}
}

/* Publish s's digests and read service `sid`'s. */
static struct ep_maglev_digest dg_read(const struct fp_snapshot *s,
				       uint32_t sid)
{
	struct ep_maglev_digest d = { 0 };

	memset(dg_stats->maglev, 0, sizeof(dg_stats->maglev));
	CHECK(snap_digest_publish(s, dg_stats, UINT64_MAX) == 0);
	CHECK(ep_digest_load(dg_stats, sid, &d) == 0);
	return d;
}

/* The digest recomputed from the table and addresses directly. */
static uint64_t dg_reference(const struct fp_snapshot *s, uint32_t i)
{
	const struct snap_service *sv = &s->services[i];
	const struct maglev_table *t = sv->maglev_ref->full;
	uint64_t keys[DG_BE];

	for (uint32_t j = 0; j < sv->n_backends; j++) {
		const struct snap_backend *b =
			&s->backends[sv->first_backend + j];

		keys[j] = ep_digest_key(b->addr, b->family, b->port_n);
	}
	return ep_digest_table(t->slots, t->size, keys, sv->n_backends);
}

static void test_digest_format(void)
{
	const uint8_t a[16] = { 10, 0, 1, 1 }, b[16] = { 10, 0, 1, 2 };
	uint64_t keys[2];
	const uint16_t slots[3] = { 0, 1, MAGLEV_EMPTY };

	/* Values from a separate Python implementation of ep_abi.h's rule. */
	keys[0] = ep_digest_key(a, EP_AF_INET, rte_cpu_to_be_16(80));
	keys[1] = ep_digest_key(b, EP_AF_INET, rte_cpu_to_be_16(80));
	CHECK(keys[0] == 0xf676a414b1958e9bull);
	CHECK(ep_digest_table(slots, 3, keys, 2) == 0x86efed24b52476adull);
	CHECK(ep_digest_key(a, EP_AF_INET, rte_cpu_to_be_16(81)) != keys[0]);
	CHECK(strcmp(ep_digest_state_name(EP_MAGLEV_DIGEST_FRESH), "fresh") ==
	      0);
}

static void test_digest_equal_and_changed(void)
{
	struct fp_snapshot *s1, *s2, *s3, *s4;
	struct ep_maglev_digest d1, d2, d3, e1, e4;
	struct flat_build c;

	dg_cfg(&c, 0, 0);
	s1 = build_ok(&c, NULL);
	dg_cfg(&c, 1, 0);
	s2 = build_ok(&c, NULL);
	dg_cfg(&c, 0, 1);
	s3 = build_ok(&c, NULL);
	if (s1 == NULL || s2 == NULL || s3 == NULL)
		goto out;
	d1 = dg_read(s1, 0);
	e1 = dg_read(s1, 1);
	CHECK(d1.state == EP_MAGLEV_DIGEST_FRESH && d1.slots == TABLE_SIZE);
	CHECK(d1.version == s1->version && d1.digest == dg_reference(s1, 0));
	/* Same backend set in another order: other indexes, same digest. */
	d2 = dg_read(s2, 0);
	CHECK(d2.state == EP_MAGLEV_DIGEST_FRESH && d2.digest == d1.digest);
	CHECK(memcmp(s1->services[0].maglev_ref->full->slots,
		     s2->services[0].maglev_ref->full->slots,
		     TABLE_SIZE * 2) != 0);
	/* One backend's address changed: that service's digest only. */
	d3 = dg_read(s3, 0);
	CHECK(d3.digest != d1.digest && d3.digest == dg_reference(s3, 0));
	CHECK(dg_read(s3, 1).digest == e1.digest);
	/* Rebuilt from the previous table (no fresh flag): state says so. */
	dg_cfg(&c, 0, 1);
	c.h.node.flags = 0;
	s4 = build_ok(&c, s1);
	if (s4 != NULL) {
		e4 = dg_read(s4, 0);
		CHECK(e4.state == EP_MAGLEV_DIGEST_REBUILT &&
		      e4.digest == dg_reference(s4, 0));
		CHECK(dg_read(s4, 1).state == EP_MAGLEV_DIGEST_FRESH);
	}
	snap_free(s4);
out:
	snap_free(s1);
	snap_free(s2);
	snap_free(s3);
}

/* A deferred table shows pending, then the digest a direct build has;
 * a small budget leaves the rest for the next call. */
static void test_digest_pending(void)
{
	struct fp_snapshot *fresh, *s;
	struct ep_maglev_digest d;
	struct flat_build c;
	uint64_t want;

	dg_cfg(&c, 0, 0);
	fresh = build_ok(&c, NULL);
	snap_set_sync_build_slots(0);
	s = build_ok(&c, NULL);
	snap_set_sync_build_slots(UINT32_MAX);
	if (fresh == NULL || s == NULL)
		goto out;
	want = dg_read(fresh, 0).digest;
	CHECK(dg_read(s, 0).state == EP_MAGLEV_DIGEST_PENDING);
	CHECK(snap_maglev_build_pending(UINT64_MAX) == 0);
	d = dg_read(s, 0);
	CHECK(d.state == EP_MAGLEV_DIGEST_FRESH && d.digest == want);
	snap_free(s);
	s = build_ok(&c, NULL);
	memset(dg_stats->maglev, 0, sizeof(dg_stats->maglev));
	CHECK(snap_digest_publish(s, dg_stats, TABLE_SIZE) == 1);
	CHECK(ep_digest_load(dg_stats, 1, &d) == 0 &&
	      d.state == EP_MAGLEV_DIGEST_PENDING);
	CHECK(snap_digest_publish(s, dg_stats, TABLE_SIZE) == 0);
	CHECK(ep_digest_load(dg_stats, 0, &d) == 0 && d.digest == want);
out:
	snap_free(s);
	snap_free(fresh);
}

void test_digest(void)
{
	dg_stats = calloc(1, sizeof(*dg_stats));
	if (dg_stats == NULL) {
		CHECK(0);
		return;
	}
	/* Both services' tables at once unless a test says otherwise. */
	snap_set_sync_build_slots(UINT32_MAX);
	test_digest_format();
	test_digest_equal_and_changed();
	test_digest_pending();
	snap_set_sync_build_slots(SNAP_SYNC_BUILD_SLOTS);
	free(dg_stats);
}
