/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of test_maglev share. Tables against the reference
 * algorithm, balance, weights and WRR are in maglev_build.c;
 * disruption and incremental rebuilds in maglev_change.c; main() and the
 * timings in test_maglev.c.
 */
#ifndef EP_MAGLEV_TEST_H
#define EP_MAGLEV_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "ep_abi.h"
#include "flat_check.h"
#include "maglev.h"

#define M_DEFAULT EP_MAGLEV_DEFAULT_SIZE

/* test_maglev.c */
void make_backends(struct maglev_backend *b, uint32_t n, uint32_t first_id,
		   uint16_t weight);
void count_slots(const uint16_t *table, uint32_t m, uint32_t *counts,
		 uint32_t n);
void owners(const uint16_t *table, uint32_t m, const struct maglev_backend *b,
	    uint32_t *owner);

/* maglev_build.c */
uint32_t test_rand(uint32_t *state);
void test_matches_reference(void);
void test_is_prime(void);
void test_balance(void);
void test_weights(void);
void test_weights_skewed(void);
void test_weights_tight(void);
void test_all_zero(void);
void test_validation(void);
void test_determinism(void);
void test_wrr(void);
void test_wrr_large(void);

/* maglev_change.c */
struct disruption compare(const uint32_t *before, const uint32_t *after,
			  uint32_t m, uint32_t gone_id, uint32_t new_id);
void test_disruption_build(void);
void test_disruption_remove(void);
void test_disruption_add(void);
void test_disruption_reweight(void);
void test_rebuild_history(void);
void test_rebuild_determinism(void);
void test_rebuild_from_nothing(void);
void test_rebuild_validation(void);

#endif /* EP_MAGLEV_TEST_H */
