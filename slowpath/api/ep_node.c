/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /v1/node: the node's drain and the VIPs it announces (docs/api.md,
 * docs/scale-out.md). The decision is slowpath/node/'s; this file feeds it
 * the configuration in force, the health state and the fast path's.
 */
#include "api_int.h"
#include "node.h"

void api_set_node(struct api *a, struct node *n)
{
	a->node = n;
}

void api_node_refresh(struct api *a, uint64_t now_ms)
{
	struct ann_service_in *svc;
	struct health_service_status hs;
	struct health_inputs hi;
	uint32_t n = a->cfg.n_services;

	if (a->node == NULL)
		return;
	svc = calloc(n ? n : 1, sizeof(*svc));
	if (svc == NULL)
		return; /* the last decision stays */
	api_health_inputs(a, &hi);
	for (uint32_t i = 0; i < n; i++) {
		health_service_eval(&hi, &a->cfg.services[i], &hs);
		svc[i].vip = a->cfg.services[i].vip;
		svc[i].healthy = hs.healthy;
	}
	node_update(a->node, api_fp_alive(a), api_ready(a), svc, n, now_ms);
	free(svc);
}

static uint64_t now_ms(void)
{
	return health_now_ms();
}

static int no_node(struct api_call *c, struct api_error *e)
{
	return api_fail(e, 404, API_ERR_NOT_FOUND,
			"%s: this slow path keeps no node state", c->req->path);
}

int h_node_get(struct api_call *c, struct api_error *e)
{
	if (c->a->node == NULL)
		return no_node(c, e);
	return api_reply_json(c->resp, 200, node_view(c->a->node, now_ms()), e);
}

static int set_drained(struct api_call *c, bool drained, struct api_error *e)
{
	struct api *a = c->a;
	bool was;

	if (a->node == NULL)
		return no_node(c, e);
	was = node_drained(a->node);
	node_set_drained(a->node, drained);
	api_node_refresh(a, now_ms());
	if (was != drained)
		printf("slowpath: node %s by %s\n",
		       drained ? "drained" : "undrained",
		       c->req->subject && *c->req->subject ? c->req->subject
							   : "a local client");
	fflush(stdout);
	return api_reply_json(c->resp, 200, node_view(a->node, now_ms()), e);
}

int h_node_drain(struct api_call *c, struct api_error *e)
{
	return set_drained(c, true, e);
}

int h_node_undrain(struct api_call *c, struct api_error *e)
{
	return set_drained(c, false, e);
}

void api_node_metrics(struct jw_buf *t, const struct api *a)
{
	if (a->node != NULL)
		node_view_metrics(t, a->node);
}
