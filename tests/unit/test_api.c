/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for slowpath/api/ and slowpath/metrics.c: requests go
 * straight to api_handle() (no sockets) with an in-memory fast path behind
 * api.h's seam. Routing, roles, ETag / If-Match, the error shape and codes,
 * each endpoint's validation, persistence and rollback, adoption after a
 * restart, and /metrics through a strict Prometheus text-format parser.
 *
 *   test_api                        run the tests
 *   test_api --check-metrics FILE   only run the strict parser on FILE
 *                                   (used by tests/integration)
 *
 * This file runs them; they live in test_api_config.c,
 * test_api_services.c and test_api_stats.c, over test_api.h.
 */
#include "test_api.h"

struct fake_fp fake;

struct reply R;
struct api *A;
uint64_t call_pass; /* http_request.pass of the next calls */

char *tmpdir;
char cfg_path[512];

static int check_metrics_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	static char buf[16 << 20];
	char err[256];
	size_t len;
	long n;

	if (f == NULL) {
		perror(path);
		return 2;
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	n = prom_check(buf, len, err, sizeof(err));
	if (n < 0) {
		printf("metrics: invalid: %s\n", err);
		return 1;
	}
	printf("metrics: valid, %ld samples\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/test_api.XXXXXX";

	if (argc == 3 && strcmp(argv[1], "--check-metrics") == 0)
		return check_metrics_file(argv[2]);
	fake.stats = calloc(1, sizeof(*fake.stats));
	tmpdir = mkdtemp(tmpl);
	if (fake.stats == NULL || tmpdir == NULL)
		return 1;
	snprintf(cfg_path, sizeof(cfg_path), "%s/config.json", tmpdir);
	test_probes();
	test_routing();
	test_roles();
	test_config_put();
	test_if_match();
	test_invalid_documents();
	test_strict_json_paths();
	test_head_checks();
	test_versions_and_file();
	test_fastpath_refusal();
	test_persist_failures();
	test_adopt();
	test_services();
	test_backend_ids();
	test_backend_post_delete();
	test_backend_patch();
	test_service_patch();
	test_policing_patch();
	test_stats();
	test_stats_one_pass();
	test_stats_same_as_cjson();
	test_json_string_escape();
	test_flows();
	test_flows_query();
	test_metrics_text();
	test_metrics_endpoint();
	test_health();
	test_backend_patch_flat();
	api_destroy(A);
	reply_reset();
	free(fake.last_flat);
	free(fake.stats);
	unlink(cfg_path);
	rmdir(tmpdir);
	test_api_config_checks(&check_passed, &check_failed);
	test_api_services_checks(&check_passed, &check_failed);
	test_api_stats_checks(&check_passed, &check_failed);
	return check_summary("api");
}
