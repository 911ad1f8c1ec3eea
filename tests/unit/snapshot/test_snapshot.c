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
#include "snapshot_test.h"

/* A service (stats id: its position) whose backends come next. */
struct ep_cfg_service *cfg_add_service(struct flat_build *c, const char *name,
				       struct ep_ip vip, uint16_t port,
				       uint8_t proto)
{
	struct ep_cfg_service *s =
		flat_add_service(c, name, vip, port, c->n_svc);

	s->proto = proto;
	return s;
}

/* Backend `id` (address 10.0.1.id+1, stats_id id) of the last service. */
void cfg_add_backend(struct flat_build *c, uint32_t id, uint16_t weight)
{
	flat_add_backend(
		c,
		ep_ip4(10, 0, (uint8_t)(1 + id / 250), (uint8_t)(1 + id % 250)),
		0, weight, id);
}

uint64_t heap_bytes(void)
{
	struct rte_malloc_socket_stats s;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &s) != 0)
		return 0;
	return s.heap_allocsz_bytes;
}

struct fp_snapshot *build_ok(struct flat_build *c,
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
	test_digest();
	/* The rate limits' shared state outlives snapshots (policing.c). */
	pol_teardown();
	/* Every snapshot, built or refused, gave its DPDK memory back. */
	CHECK_MSG(heap_bytes() == before, "heap %llu bytes, was %llu",
		  (unsigned long long)heap_bytes(), (unsigned long long)before);
	rc = check_summary("snapshot");
	rte_eal_cleanup();
	return rc;
}
