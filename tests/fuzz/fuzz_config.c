/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the configuration validator: config_parse() on
 * any bytes. Besides memory safety (ASan/UBSan) it checks what the slow
 * path relies on: a refusal names a field or a rule (non-empty message);
 * an accepted document renders as canonical JSON that parses back to an
 * equal configuration and renders the same again; its flat form reads
 * back (config_from_flat) to the same services and node.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_flat(const struct ep_config *cfg)
{
	struct ep_config back = { 0 }, mine = { 0 };
	struct config_error err;
	size_t need = config_flat_size(cfg), len = 0;
	void *buf = malloc(need ? need : 1);

	FUZZ_CHECK(buf != NULL);
	FUZZ_CHECK(config_to_flat(cfg, 7, NULL, buf, need, &len, &err) == 0);
	FUZZ_CHECK(len == need);
	FUZZ_CHECK(config_from_flat(buf, len, &back, &err) == 0);
	FUZZ_CHECK(config_copy(&mine, cfg) == 0);
	memset(&mine.api, 0, sizeof(mine.api)); /* not in the flat form */
	memset(&back.api, 0, sizeof(back.api));
	FUZZ_CHECK(config_equal(&mine, &back));
	config_free(&mine);
	config_free(&back);
	free(buf);
}

static void check_canonical(const struct ep_config *cfg)
{
	struct ep_config again = { 0 };
	struct config_error err;
	char *json = config_to_json(cfg), *json2;

	FUZZ_CHECK(json != NULL);
	if (config_parse(json, strlen(json), &again, &err) != 0) {
		fprintf(stderr, "canonical JSON refused: %s\n%s\n", err.msg,
			json);
		abort();
	}
	FUZZ_CHECK(config_equal(cfg, &again));
	json2 = config_to_json(&again);
	FUZZ_CHECK(json2 != NULL && strcmp(json, json2) == 0);
	free(json2);
	free(json);
	config_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ep_config cfg = { 0 };
	struct config_error err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = config_parse((const char *)data, size, &cfg, &err);
	if (rc != 0) {
		FUZZ_CHECK(rc == -EINVAL || rc == -EMSGSIZE || rc == -ENOMEM);
		FUZZ_CHECK(err.msg[0] != '\0');
		FUZZ_CHECK(memchr(err.msg, 0, sizeof(err.msg)) != NULL);
		return 0;
	}
	FUZZ_CHECK(config_validate(&cfg, &err) == 0);
	check_canonical(&cfg);
	check_flat(&cfg);
	config_free(&cfg);
	return 0;
}
