/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/etcd/etcd_reg.c: the registry's key names both ways (and the
 * keys that are not the registry's), the table of keys seen, and the
 * verdict on an instance, including the rule that an instance without
 * keys is gone only once the table covers its document's revision.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "etcd_reg.h"

#define ID1 "00000000000000a1"
#define ID2 "00000000000000b2"

static void test_keys(void)
{
	char svc[ETCD_REG_SVC_LEN], id[ETCD_REG_ID_LEN], k[128];

	CHECK(etcd_reg_key_parse("registry/web/" ID1, svc, id) ==
	      ETCD_REG_INSTANCE);
	CHECK(strcmp(svc, "web") == 0 && strcmp(id, ID1) == 0);
	CHECK(etcd_reg_key_parse("alive/a.b_c-9/" ID2, svc, id) ==
	      ETCD_REG_ALIVE);
	CHECK(strcmp(svc, "a.b_c-9") == 0 && strcmp(id, ID2) == 0);
	/* not registry keys */
	CHECK(etcd_reg_key_parse("config", svc, id) == ETCD_REG_NONE);
	CHECK(etcd_reg_key_parse("nodes/n1", svc, id) == ETCD_REG_NONE);
	CHECK(etcd_reg_key_parse("registry/web", svc, id) == ETCD_REG_NONE);
	CHECK(etcd_reg_key_parse("registry//" ID1, svc, id) == ETCD_REG_NONE);
	CHECK(etcd_reg_key_parse("registry/w b/" ID1, svc, id) ==
	      ETCD_REG_NONE);
	CHECK(etcd_reg_key_parse("registry/web/00000000000000A1", svc, id) ==
	      ETCD_REG_NONE);
	CHECK(etcd_reg_key_parse("registry/web/" ID1 "0", svc, id) ==
	      ETCD_REG_NONE);
	CHECK(etcd_reg_key_parse("registry/web/" ID1 "/x", svc, id) ==
	      ETCD_REG_NONE);
	CHECK(etcd_reg_key_parse("registry/a/b/" ID1, svc, id) ==
	      ETCD_REG_NONE);
	CHECK(etcd_reg_key_parse(
		      "registry/0123456789012345678901234567890123/" ID1, svc,
		      id) == ETCD_REG_NONE);
	CHECK(etcd_reg_key(ETCD_REG_INSTANCE, "/ep/", "web", ID1, k,
			   sizeof(k)) == 0 &&
	      strcmp(k, "/ep/registry/web/" ID1) == 0);
	CHECK(etcd_reg_key(ETCD_REG_ALIVE, "/ep/", "web", ID1, k, sizeof(k)) ==
		      0 &&
	      strcmp(k, "/ep/alive/web/" ID1) == 0);
	CHECK(etcd_reg_key(ETCD_REG_ALIVE, "/ep/", "web", ID1, k, 10) == -1);
	CHECK(etcd_reg_key(ETCD_REG_NONE, "/ep/", "web", ID1, k, sizeof(k)) ==
	      -1);
}

static void test_table(void)
{
	struct etcd_reg_table t = { 0 };
	const struct etcd_reg_entry *e;
	char id[ETCD_REG_ID_LEN];

	/* nothing seen: unknown until the table covers the document */
	CHECK(etcd_reg_verdict(&t, "web", ID1, 9, 10) == ETCD_REG_UNKNOWN);
	CHECK(etcd_reg_verdict(&t, "web", ID1, 10, 10) == ETCD_REG_GONE);
	/* a document not from etcd (revision 0): never gone by absence */
	CHECK(etcd_reg_verdict(&t, "web", ID1, 10, 0) == ETCD_REG_UNKNOWN);
	CHECK(etcd_reg_put(&t, ETCD_REG_INSTANCE, "web", ID1, 5) == 0);
	CHECK(etcd_reg_put(&t, ETCD_REG_ALIVE, "web", ID1, 6) == 0);
	e = etcd_reg_find(&t, "web", ID1);
	CHECK(e != NULL && e->lease == 5 && e->alive_lease == 6);
	CHECK(etcd_reg_verdict(&t, "web", ID1, 1, 10) == ETCD_REG_HEALTHY);
	CHECK(etcd_reg_find(&t, "api", ID1) == NULL);
	/* the alive lease lapsed, then a new one */
	etcd_reg_del(&t, ETCD_REG_ALIVE, "web", ID1);
	CHECK(etcd_reg_verdict(&t, "web", ID1, 11, 10) == ETCD_REG_UNHEALTHY);
	CHECK(etcd_reg_put(&t, ETCD_REG_ALIVE, "web", ID1, 7) == 0);
	CHECK(etcd_reg_find(&t, "web", ID1)->alive_lease == 7);
	CHECK(etcd_reg_verdict(&t, "web", ID1, 11, 10) == ETCD_REG_HEALTHY);
	/* an alive key alone is no instance */
	etcd_reg_del(&t, ETCD_REG_INSTANCE, "web", ID1);
	CHECK(etcd_reg_verdict(&t, "web", ID1, 12, 10) == ETCD_REG_GONE);
	etcd_reg_del(&t, ETCD_REG_ALIVE, "web", ID1);
	CHECK(t.n == 0 && etcd_reg_find(&t, "web", ID1) == NULL);
	/* a key without a lease is present all the same */
	CHECK(etcd_reg_put(&t, ETCD_REG_INSTANCE, "web", ID2, 0) == 0);
	CHECK(etcd_reg_find(&t, "web", ID2)->lease == -1);
	CHECK(etcd_reg_verdict(&t, "web", ID2, 12, 10) == ETCD_REG_UNHEALTHY);
	/* many entries; deleting from the middle keeps the others */
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "%016x", i);
		CHECK(etcd_reg_put(&t, ETCD_REG_INSTANCE, "api", id, i + 1) ==
		      0);
	}
	CHECK(t.n == 41);
	etcd_reg_del(&t, ETCD_REG_INSTANCE, "api", "0000000000000005");
	CHECK(t.n == 40 &&
	      etcd_reg_find(&t, "api", "0000000000000005") == NULL);
	CHECK(etcd_reg_find(&t, "api", "0000000000000027")->lease == 40);
	CHECK(etcd_reg_put(&t, ETCD_REG_INSTANCE,
			   "a-name-of-32-bytes-is-too-long!!", ID1,
			   1) == -ENOMEM);
	etcd_reg_clear(&t);
	CHECK(t.n == 0 && etcd_reg_find(&t, "web", ID2) == NULL);
	etcd_reg_free(&t);
}

int main(void)
{
	test_keys();
	test_table();
	return check_summary("etcd_reg");
}
