/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the flat-configuration checkers, the two readers
 * of bytes another process wrote: the fast path's snap_build() (the
 * staged configuration from the slow path) and the slow path's
 * config_from_flat() (the staging memzone it adopts after a restart).
 * Each input is built twice by snap_build, without and with a previous
 * snapshot (the rebuild path), and every deferred Maglev table is built.
 * Invariants: a refusal has a message; what the slow path accepts the
 * fast path accepts too (one checker, fastpath/abi/flat_check.c), and
 * the slow path's own flat form of what it read back as well; an
 * accepted snapshot has the header's counts; the builds with and without
 * a previous snapshot agree.
 *
 * The seeds are flat forms of JSON configurations (flat_seeds.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_check.h"
#include "fuzz_eal.h"
#include "snapshot.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A previous snapshot (configs/example-full.json's shape) to rebuild from. */
static struct fp_snapshot *base;

static const char base_json[] =
	"{\"node\":{\"addresses\":[{\"address\":\"10.0.0.1\"},"
	"{\"address\":\"fd00::1\"}],\"encap_source_v4\":\"10.0.0.1\","
	"\"encap_source_v6\":\"fd00::1\"},\"services\":["
	"{\"name\":\"a\",\"vip\":\"10.1.0.1\",\"port\":80,\"protocol\":\"tcp\","
	"\"forwarding\":\"dsr\",\"scheduler\":\"maglev\",\"maglev_table_size\":"
	"1009,\"backends\":[{\"address\":\"10.0.0.11\"},{\"address\":"
	"\"10.0.0.12\",\"weight\":3}]},"
	"{\"name\":\"b\",\"vip\":\"fd00:1::1\",\"port\":443,\"protocol\":"
	"\"udp\",\"forwarding\":\"nat\",\"scheduler\":\"wrr\",\"backends\":"
	"[{\"address\":\"fd00::21\",\"port\":8443}]}]}";

static void free_base(void)
{
	snap_free(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ep_config cfg = { 0 };
	struct config_error err;
	char msg[256];
	size_t len = 0;
	void *flat;

	(void)argc;
	(void)argv;
	fuzz_eal_init("fuzz_flat", "0", "256");
	if (config_parse(base_json, sizeof(base_json) - 1, &cfg, &err) != 0) {
		fprintf(stderr, "base config: %s\n", err.msg);
		exit(1);
	}
	flat = malloc(config_flat_size(&cfg));
	if (flat == NULL ||
	    config_to_flat(&cfg, 1, NULL, flat, config_flat_size(&cfg), &len,
			   &err) != 0 ||
	    snap_build(flat, (uint32_t)len, 1, NULL, &base, msg, sizeof(msg)) !=
		    0) {
		fprintf(stderr, "base snapshot failed\n");
		exit(1);
	}
	snap_maglev_build_pending(UINT64_MAX);
	free(flat);
	config_free(&cfg);
	atexit(free_base); /* before LeakSanitizer's exit check */
	return 0;
}

static char fp_err[256];

static int build(const uint8_t *buf, uint32_t len,
		 const struct fp_snapshot *prev)
{
	struct fp_snapshot *s = NULL;
	char *err = fp_err;
	int rc;

	err[0] = '\0';
	rc = snap_build(buf, len, 2, prev, &s, err, sizeof(fp_err));
	if (rc != 0) {
		FUZZ_CHECK(rc < 0 && s == NULL && err[0] != '\0');
		return rc;
	}
	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(s->n_services ==
		   ((const struct ep_cfg_hdr *)(const void *)buf)->n_services);
	/* Deferred tables are built from the object, not the input. */
	snap_maglev_build_pending(UINT64_MAX);
	FUZZ_CHECK(snap_maglev_pending() == 0);
	snap_free(s);
	return 0;
}

static void resend(const struct ep_config *cfg)
{
	struct config_error err;
	size_t need = config_flat_size(cfg), len = 0;
	uint8_t *flat = malloc(need);

	FUZZ_CHECK(flat != NULL);
	FUZZ_CHECK(config_to_flat(cfg, 3, NULL, flat, need, &len, &err) == 0);
	if (build(flat, (uint32_t)len, base) != 0) {
		fprintf(stderr,
			"the fast path refuses the slow path's flat form "
			"of what it read: %s\n",
			fp_err);
		abort();
	}
	free(flat);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ep_config cfg = { 0 };
	struct config_error err;
	uint8_t *buf;
	int sp, fp1, fp2;

	if (size > EP_CFG_STAGE_SIZE)
		return 0;
	/* An aligned private copy, as ctrl.c's handle_apply makes. */
	buf = malloc(size ? size : 1);
	FUZZ_CHECK(buf != NULL);
	memcpy(buf, data, size);
	err.msg[0] = '\0';
	sp = config_from_flat(buf, size, &cfg, &err);
	if (sp != 0)
		FUZZ_CHECK(err.msg[0] != '\0');
	fp1 = build(buf, (uint32_t)size, NULL);
	fp2 = build(buf, (uint32_t)size, base);
	FUZZ_CHECK(fp1 == fp2);
	/* One set of rules (fastpath/abi/flat_check.c): what the slow path
	 * reads back the fast path builds, and the slow path's own flat
	 * form of it too. */
	if (sp == 0 && fp1 != 0) {
		fprintf(stderr,
			"the slow path accepts what the fast path "
			"refuses: %s\n",
			fp_err);
		abort();
	}
	if (sp == 0)
		resend(&cfg);
	config_free(&cfg);
	free(buf);
	return 0;
}
