/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * etcd as the configuration source (docs/scale-out.md): the options, the
 * client's start, and documents from its watch applied through the one
 * change path.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_state.h"

static int etcd_failed(int rc, struct api_error *e)
{
	e->status = rc == -EAGAIN ? 409 : 503;
	e->code = rc == -EAGAIN ? API_ERR_CONFLICT : API_ERR_FASTPATH;
	return -1;
}

static int etcd_put(void *ctx, const char *json, const struct api_reg_op *reg,
		    struct api_error *e)
{
	struct etcd_reg_ref r = { 0 };
	int64_t rev = 0;
	int rc;

	if (reg == NULL) {
		rc = etcd_put_doc(ctx, json, &rev, e->message,
				  sizeof(e->message));
	} else {
		r.svc = reg->svc;
		r.id = reg->id;
		r.ttl_s = reg->ttl_s;
		rc = etcd_reg_write(ctx, json, &r, reg->remove, &rev,
				    e->message, sizeof(e->message));
	}
	return rc == 0 ? 0 : etcd_failed(rc, e);
}

static int etcd_beat(void *ctx, const struct api_reg_op *reg,
		     struct api_error *e)
{
	struct etcd_reg_ref r = { reg->svc, reg->id, reg->ttl_s };
	int rc = etcd_reg_beat(ctx, &r, e->message, sizeof(e->message));

	return rc >= 0 || rc == -ENOENT ? rc : etcd_failed(rc, e);
}

static int etcd_verdict(void *ctx, const char *svc, const char *id)
{
	return etcd_reg_verdict_of(ctx, svc, id);
}

static uint64_t etcd_gen(void *ctx)
{
	return etcd_reg_gen(ctx);
}

static void etcd_render_cb(void *ctx, struct jw *w)
{
	etcd_render(ctx, w);
}

/* A document from etcd: the one change path; refused ones are reported
 * and the configuration in force stays. */
void etcd_tick(struct sp_state *st)
{
	struct api_error e = { 0 };
	int64_t rev;
	size_t len;
	char *text;

	if (st->etcd == NULL || !etcd_take(st->etcd, &text, &len, &rev))
		return;
	if (api_apply_remote(st->api, text, len, &e) == 0) {
		printf("slowpath: etcd: revision %" PRId64
		       " in force as version %" PRIu64 "\n",
		       rev, api_version(st->api));
		etcd_applied(st->etcd, rev, api_version(st->api), NULL);
	} else {
		fprintf(stderr,
			"slowpath: etcd: revision %" PRId64 " refused: %s\n",
			rev, e.message);
		etcd_applied(st->etcd, rev, 0, e.message);
	}
	fflush(stdout);
	free(text);
}

int etcd_begin(struct sp_state *st)
{
	char err[160];

	if (st->etcd_opts.url == NULL)
		return 0;
	if (st->etcd_opts.node == NULL) {
		if (gethostname(st->node_name, sizeof(st->node_name) - 1) < 0)
			snprintf(st->node_name, sizeof(st->node_name), "node");
		st->etcd_opts.node = st->node_name;
	}
	st->etcd = etcd_start(&st->etcd_opts, err, sizeof(err));
	if (st->etcd == NULL) {
		fprintf(stderr, "slowpath: etcd: %s\n", err);
		return -1;
	}
	st->remote.ctx = st->etcd;
	st->remote.put = etcd_put;
	st->remote.render = etcd_render_cb;
	st->remote.beat = etcd_beat;
	st->remote.verdict = etcd_verdict;
	st->remote.gen = etcd_gen;
	api_set_remote(st->api, &st->remote);
	printf("slowpath: etcd source %s, key %sconfig, node %s\n",
	       st->etcd_opts.url, st->etcd_opts.prefix, st->etcd_opts.node);
	return 0;
}

/* --etcd http://HOST:PORT, --etcd-prefix /P/ (default /edgepath/),
 * --node-name NAME (default the host name): checked, so a typo fails
 * at start rather than as a silent source. */
int etcd_option(struct sp_state *st, int c, const char *v)
{
	size_t n = strlen(v);

	if (c == 'e' && (strncmp(v, "http://", 7) != 0 || n > 200)) {
		fprintf(stderr, "--etcd: '%s' is not http://HOST:PORT\n", v);
		return -1;
	}
	if (c == 'p' && (n == 0 || n > 128 || v[0] != '/' || v[n - 1] != '/')) {
		fprintf(stderr,
			"--etcd-prefix: '%s' must start and end with '/' "
			"(at most 128 bytes)\n",
			v);
		return -1;
	}
	if (c == 'n' && (n == 0 || n > 63 || strpbrk(v, "/\"\\ ") != NULL)) {
		fprintf(stderr,
			"--node-name: '%s' must be 1..63 bytes without '/', "
			"quotes or spaces\n",
			v);
		return -1;
	}
	if (c == 'e')
		st->etcd_opts.url = v;
	else if (c == 'p')
		st->etcd_opts.prefix = v;
	else
		st->etcd_opts.node = v;
	return 0;
}
