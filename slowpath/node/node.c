/* SPDX-License-Identifier: BSD-3-Clause */
/* The node's drain, stop and announcements (node.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jw.h"
#include "metrics.h"
#include "node.h"

#define NODE_RENDER_MAX (64u * 1024u)

struct node {
	struct bird *bird; /* NULL: no BIRD */
	uint32_t grace_ms;
	bool drained;
	bool stopping;
	uint64_t stop_ms;
	bool decided; /* node_update() ran at least once */
	uint32_t node_reasons;
	struct ann_vip *vips;
	uint32_t n_vips, cap_vips;
	bool overflow; /* more VIPs than NODE_RENDER_MAX holds */
	uint64_t announcements; /* VIP withdrawn -> announced */
	uint64_t withdrawals; /* VIP announced -> withdrawn (or removed) */
	uint64_t withdraw_synced_ms; /* when BIRD confirmed the last stop */
	char *text; /* the include file's text */
};

static int render(struct node *n, uint64_t now_ms)
{
	int len;

	if (n->bird == NULL)
		return 0;
	len = ann_render_bird(n->vips, n->n_vips, n->text, NODE_RENDER_MAX);
	n->overflow = len < 0;
	if (len < 0) /* withdraw all rather than announce a part */
		len = ann_render_bird(NULL, 0, n->text, NODE_RENDER_MAX);
	return bird_set(n->bird, n->text, (size_t)len, now_ms);
}

struct node *node_create(const struct node_opts *o, uint64_t now_ms)
{
	struct node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->grace_ms = o->grace_ms;
	n->node_reasons = ANN_R_FASTPATH | ANN_R_CONFIG;
	if (o->bird_include != NULL) {
		n->bird = bird_create(o->bird_include, o->bird_socket);
		n->text = malloc(NODE_RENDER_MAX);
		if (n->bird == NULL || n->text == NULL) {
			node_destroy(n);
			errno = ENOMEM;
			return NULL;
		}
		render(n, now_ms);
		bird_run(n->bird, now_ms);
	}
	return n;
}

void node_destroy(struct node *n)
{
	if (n == NULL)
		return;
	bird_destroy(n->bird);
	free(n->vips);
	free(n->text);
	free(n);
}

void node_set_drained(struct node *n, bool drained)
{
	n->drained = drained;
}

bool node_drained(const struct node *n)
{
	return n->drained;
}

void node_set_stopping(struct node *n, uint64_t now_ms)
{
	if (n->stopping)
		return;
	n->stopping = true;
	n->stop_ms = now_ms;
}

bool node_stop_done(const struct node *n, uint64_t now_ms)
{
	struct bird_status bs;

	if (!n->stopping)
		return false;
	if (n->bird == NULL)
		return true;
	if (now_ms >= n->stop_ms + n->grace_ms + 2 * BIRD_REPLY_MS)
		return true;
	bird_get_status(n->bird, &bs);
	return bs.synced && n->withdraw_synced_ms != 0 &&
	       now_ms >= n->withdraw_synced_ms + n->grace_ms;
}

static int vip_index(const struct ann_vip *arr, uint32_t n,
		     const struct ann_vip *v)
{
	size_t len = v->vip.family == EP_AF_INET6 ? 16 : 4;

	for (uint32_t i = 0; i < n; i++)
		if (arr[i].vip.family == v->vip.family &&
		    memcmp(arr[i].vip.bytes, v->vip.bytes, len) == 0)
			return (int)i;
	return -1;
}

/* Count the VIPs that changed side between old and n->vips. */
static void count_changes(struct node *n, const struct ann_vip *old,
			  uint32_t n_old)
{
	for (uint32_t i = 0; i < n->n_vips; i++) {
		int k = vip_index(old, n_old, &n->vips[i]);
		bool before = k >= 0 && old[k].reasons == 0;
		bool now = n->vips[i].reasons == 0;

		n->announcements += now && !before;
		n->withdrawals += before && !now;
	}
	for (uint32_t i = 0; i < n_old; i++) /* gone from the configuration */
		n->withdrawals += old[i].reasons == 0 &&
				  vip_index(n->vips, n->n_vips, &old[i]) < 0;
}

void node_update(struct node *n, bool fastpath_alive, bool config_acked,
		 const struct ann_service_in *svc, uint32_t n_svc,
		 uint64_t now_ms)
{
	struct ann_node_in in = {
		.fastpath_alive = fastpath_alive,
		.config_acked = config_acked,
		.drained = n->drained,
		.stopping = n->stopping,
	};
	struct ann_vip *old = n->vips, *nv;
	uint32_t n_old = n->n_vips;
	int k;

	nv = calloc(n_svc ? n_svc : 1, sizeof(*nv));
	if (nv == NULL)
		return; /* the last decision stays */
	k = ann_decide(&in, svc, n_svc, nv, n_svc);
	n->vips = nv;
	n->n_vips = k < 0 ? 0 : (uint32_t)k;
	n->node_reasons = ann_node_reasons(&in);
	n->decided = true;
	count_changes(n, old, n_old);
	free(old);
	render(n, now_ms);
	node_run(n, now_ms);
}

struct bird *node_bird(struct node *n)
{
	return n->bird;
}

void node_run(struct node *n, uint64_t now_ms)
{
	struct bird_status bs;

	if (n->bird == NULL)
		return;
	bird_run(n->bird, now_ms);
	if (n->stopping && n->withdraw_synced_ms == 0) {
		bird_get_status(n->bird, &bs);
		if (bs.synced)
			n->withdraw_synced_ms = now_ms;
	}
}

/* ---- views --------------------------------------------------------- */

static void ip_text(const struct ep_ip *ip, char *out, size_t size)
{
	inet_ntop(ip->family == EP_AF_INET6 ? AF_INET6 : AF_INET, ip->bytes,
		  out, (socklen_t)size);
}

static cJSON *reasons_json(uint32_t r)
{
	cJSON *a = cJSON_CreateArray();

	for (uint32_t i = 0; i < ANN_R_COUNT; i++)
		if (r & (1u << i))
			cJSON_AddItemToArray(
				a,
				cJSON_CreateString(ann_reason_name(1u << i)));
	return a;
}

static const char *state_name(const struct node *n)
{
	if (n->stopping)
		return "stopping";
	if (n->drained)
		return "drained";
	return n->node_reasons ? "not_ready" : "serving";
}

static cJSON *bird_json(const struct node *n, uint64_t now_ms)
{
	struct bird_status bs;
	cJSON *b = cJSON_CreateObject();
	const char *sock = bird_socket_path(n->bird);

	bird_get_status(n->bird, &bs);
	cJSON_AddStringToObject(b, "include", bird_include_path(n->bird));
	if (sock != NULL)
		cJSON_AddStringToObject(b, "socket", sock);
	else
		cJSON_AddNullToObject(b, "socket");
	cJSON_AddBoolToObject(b, "synced", bs.synced);
	cJSON_AddNumberToObject(b, "writes", (double)bs.writes);
	cJSON_AddNumberToObject(b, "configures_ok", (double)bs.configures_ok);
	cJSON_AddNumberToObject(b, "configures_failed",
				(double)bs.configures_failed);
	if (bs.last_ok_ms)
		cJSON_AddNumberToObject(b, "ms_since_ok",
					(double)(now_ms - bs.last_ok_ms));
	cJSON_AddStringToObject(b, "last_error", bs.last_error);
	cJSON_AddBoolToObject(b, "too_many_vips", n->overflow);
	return b;
}

cJSON *node_view(const struct node *n, uint64_t now_ms)
{
	cJSON *root = cJSON_CreateObject(), *ann, *vips;
	char addr[INET6_ADDRSTRLEN];

	cJSON_AddStringToObject(root, "state", state_name(n));
	cJSON_AddBoolToObject(root, "drained", n->drained);
	cJSON_AddBoolToObject(root, "stopping", n->stopping);
	cJSON_AddItemToObject(root, "reasons", reasons_json(n->node_reasons));
	ann = cJSON_AddArrayToObject(root, "announced");
	vips = cJSON_AddArrayToObject(root, "vips");
	for (uint32_t i = 0; i < n->n_vips; i++) {
		const struct ann_vip *v = &n->vips[i];
		cJSON *o = cJSON_CreateObject();

		ip_text(&v->vip, addr, sizeof(addr));
		if (v->reasons == 0)
			cJSON_AddItemToArray(ann, cJSON_CreateString(addr));
		cJSON_AddStringToObject(o, "vip", addr);
		cJSON_AddBoolToObject(o, "announced", v->reasons == 0);
		cJSON_AddNumberToObject(o, "services", v->n_services);
		cJSON_AddNumberToObject(o, "healthy_backends", v->healthy);
		cJSON_AddItemToObject(o, "reasons", reasons_json(v->reasons));
		cJSON_AddItemToArray(vips, o);
	}
	cJSON_AddNumberToObject(root, "announcements",
				(double)n->announcements);
	cJSON_AddNumberToObject(root, "withdrawals", (double)n->withdrawals);
	cJSON_AddNumberToObject(root, "withdraw_grace_ms", n->grace_ms);
	if (n->bird != NULL)
		cJSON_AddItemToObject(root, "bird", bird_json(n, now_ms));
	else
		cJSON_AddNullToObject(root, "bird");
	return root;
}

void node_view_metrics(struct jw_buf *t, const struct node *n)
{
	char addr[INET6_ADDRSTRLEN];
	struct bird_status bs = { 0 };
	struct metrics_label l[2];

	metrics_family(t, "edgepath_node_drained", "gauge",
		       "1 while the operator has drained this node.");
	metrics_u64(t, "edgepath_node_drained", NULL, 0, n->drained);
	metrics_family(t, "edgepath_node_stopping", "gauge",
		       "1 while the slow path withdraws before it exits.");
	metrics_u64(t, "edgepath_node_stopping", NULL, 0, n->stopping);
	metrics_family(t, "edgepath_node_vip_announced", "gauge",
		       "1 when this node announces the VIP.");
	for (uint32_t i = 0; i < n->n_vips; i++) {
		ip_text(&n->vips[i].vip, addr, sizeof(addr));
		l[0] = (struct metrics_label){ "vip", addr };
		metrics_u64(t, "edgepath_node_vip_announced", l, 1,
			    n->vips[i].reasons == 0);
	}
	metrics_family(t, "edgepath_node_announcements_total", "counter",
		       "VIPs that went from withdrawn to announced.");
	metrics_u64(t, "edgepath_node_announcements_total", NULL, 0,
		    n->announcements);
	metrics_family(t, "edgepath_node_withdrawals_total", "counter",
		       "VIPs that went from announced to withdrawn.");
	metrics_u64(t, "edgepath_node_withdrawals_total", NULL, 0,
		    n->withdrawals);
	if (n->bird == NULL)
		return;
	bird_get_status(n->bird, &bs);
	metrics_family(t, "edgepath_bird_synced", "gauge",
		       "1 when BIRD confirmed the include file as it is.");
	metrics_u64(t, "edgepath_bird_synced", NULL, 0, bs.synced);
	metrics_family(t, "edgepath_bird_configures_total", "counter",
		       "Reconfigurations asked of BIRD, by result.");
	l[0] = (struct metrics_label){ "result", "ok" };
	metrics_u64(t, "edgepath_bird_configures_total", l, 1,
		    bs.configures_ok);
	l[0] = (struct metrics_label){ "result", "failed" };
	metrics_u64(t, "edgepath_bird_configures_total", l, 1,
		    bs.configures_failed);
}
