/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Seeds for fuzz_flat: the flat form (config_to_flat) of each JSON
 * configuration named on the command line, written as OUTDIR/NAME.flat.
 *   flat_seeds OUTDIR config.json...
 * The flat form carries the ABI version, so the seeds are made at run
 * time (tests/fuzz/run.sh) rather than kept in the repository.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(CONFIG_MAX_BYTES);

	*len = 0;
	if (f == NULL || buf == NULL) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, CONFIG_MAX_BYTES, f);
	fclose(f);
	return buf;
}

static int write_flat(const char *dir, const char *src, int n)
{
	struct ep_config cfg = { 0 };
	struct config_error err;
	size_t len, flat_len = 0;
	char *text = slurp(src, &len), out[4096];
	void *flat;
	FILE *f;
	int rc = -1;

	if (text == NULL || config_parse(text, len, &cfg, &err) != 0) {
		fprintf(stderr, "%s: skipped (%s)\n", src,
			text ? err.msg : "unreadable");
		free(text);
		return 0; /* a seed of an invalid config: nothing to flatten */
	}
	flat = malloc(config_flat_size(&cfg));
	snprintf(out, sizeof(out), "%s/seed%03d.flat", dir, n);
	f = fopen(out, "wb");
	if (flat && f &&
	    config_to_flat(&cfg, 1, NULL, flat, config_flat_size(&cfg),
			   &flat_len, &err) == 0 &&
	    fwrite(flat, 1, flat_len, f) == flat_len)
		rc = 0;
	if (f)
		fclose(f);
	free(flat);
	free(text);
	config_free(&cfg);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: flat_seeds OUTDIR config.json...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (write_flat(argv[1], argv[i], i - 2) != 0) {
			fprintf(stderr, "%s: cannot write its flat form\n",
				argv[i]);
			return 1;
		}
	return 0;
}
