/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for slowpath/config/: every refusal of config_parse() with
 * the field path its message must start with, the sample configs,
 * JSON and flat round trips, untrusted flat buffers, stable stats ids and
 * a 1000-service build (timed, not asserted). argv[1] may name the
 * repository root (default SOURCE_ROOT) to find configs/.
 *
 * This file runs them; they live in test_config_refuse.c,
 * test_config_accept.c and test_config_flat.c, over test_config.h.
 */
#include "test_config.h"

#ifndef SOURCE_ROOT
#define SOURCE_ROOT "."
#endif

const char *source_root = SOURCE_ROOT;

int main(int argc, char **argv)
{
	if (argc > 1)
		source_root = argv[1];
	test_refuse_size();
	test_refuse_depth();
	test_refuse_json();
	test_refuse_utf8();
	test_refuse_numbers();
	test_refuse_node();
	test_refuse_service_fields();
	test_refuse_service_numbers();
	test_refuse_service_modes();
	test_refuse_service_clashes();
	test_refuse_clashes_at_scale();
	test_clashes_match_pairwise();
	test_refuse_service_count();
	test_refuse_backend_fields();
	test_refuse_backend_rules();
	test_refuse_backend_count();
	test_refuse_api();
	test_defaults();
	test_lab();
	test_full_example();
	test_roundtrips();
	test_maglev_rebuild();
	test_copy_equal();
	test_validate_in_memory();
	test_flat_refuse();
	test_enospc();
	test_ids_stable();
	test_ids_identity();
	test_ids_no_mutation();
	test_ids_fifo();
	test_ids_full();
	test_scale();
	test_health_check();
	test_config_refuse_checks(&check_passed, &check_failed);
	test_config_accept_checks(&check_passed, &check_failed);
	test_config_flat_checks(&check_passed, &check_failed);
	return check_summary("config");
}
