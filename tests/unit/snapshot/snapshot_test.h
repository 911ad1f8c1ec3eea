/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of test_snapshot share: building flat configurations
 * and snapshots from them. Maglev tables across changes are in
 * snap_maglev.c, refusals and the large-table timing in snap_refuse.c.
 */
#ifndef EP_SNAPSHOT_TEST_H
#define EP_SNAPSHOT_TEST_H

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
#define TABLE_SIZE EP_MAGLEV_DEFAULT_SIZE

/* test_snapshot.c */
struct ep_cfg_service *cfg_add_service(struct flat_build *c, const char *name,
				       struct ep_ip vip, uint16_t port,
				       uint8_t proto);
void cfg_add_backend(struct flat_build *c, uint32_t id, uint16_t weight);
uint64_t heap_bytes(void);
struct fp_snapshot *build_ok(struct flat_build *c,
			     const struct fp_snapshot *prev);

/* snap_maglev.c */
void test_remove_one(uint32_t flags);
void test_history(void);
int same_ptrs(const struct fp_snapshot *a, const struct fp_snapshot *b,
	      uint32_t i);
void test_share(void);
void *reader(void *p);
void test_sync_budget(void);
void test_handover(void);
void test_removed_while_pending(void);

/* snap_digest.c */
void test_digest(void);

/* snap_refuse.c */
void test_big_timing(void);
void base_cfg(struct flat_build *c);
void test_refuse_header(void);
void test_refuse_arrays(void);
void test_refuse_services(void);
void test_refuse_backends_and_node(void);
void test_refuse_duplicates(void);

#endif /* EP_SNAPSHOT_TEST_H */
