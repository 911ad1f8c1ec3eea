/* SPDX-License-Identifier: BSD-3-Clause */
/* The announce/withdraw decision and the BIRD include file (announce.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "announce.h"

uint32_t ann_node_reasons(const struct ann_node_in *in)
{
	uint32_t r = 0;

	if (!in->fastpath_alive)
		r |= ANN_R_FASTPATH;
	if (!in->config_acked)
		r |= ANN_R_CONFIG;
	if (in->drained)
		r |= ANN_R_DRAINED;
	if (in->stopping)
		r |= ANN_R_STOPPING;
	return r;
}

static bool ip_equal(const struct ep_ip *a, const struct ep_ip *b)
{
	size_t len = a->family == EP_AF_INET6 ? 16 : 4;

	return a->family == b->family && memcmp(a->bytes, b->bytes, len) == 0;
}

static int vip_find(const struct ann_vip *out, uint32_t n,
		    const struct ep_ip *ip)
{
	for (uint32_t i = 0; i < n; i++)
		if (ip_equal(&out[i].vip, ip))
			return (int)i;
	return -1;
}

int ann_decide(const struct ann_node_in *in, const struct ann_service_in *svc,
	       uint32_t n, struct ann_vip *out, uint32_t max)
{
	uint32_t node = ann_node_reasons(in), n_out = 0;
	bool full = false;

	for (uint32_t i = 0; i < n; i++) {
		int k = vip_find(out, n_out, &svc[i].vip);

		if (k < 0 && n_out == max) {
			full = true;
			continue;
		}
		if (k < 0) {
			k = (int)n_out++;
			memset(&out[k], 0, sizeof(out[k]));
			out[k].vip = svc[i].vip;
		}
		out[k].n_services++;
		out[k].healthy += svc[i].healthy;
	}
	for (uint32_t i = 0; i < n_out; i++)
		out[i].reasons = node | (out[i].healthy ? 0 : ANN_R_NO_HEALTHY);
	return full ? -1 : (int)n_out;
}

const char *ann_reason_name(uint32_t bit)
{
	switch (bit) {
	case ANN_R_FASTPATH:
		return "fastpath_down";
	case ANN_R_CONFIG:
		return "config_not_acknowledged";
	case ANN_R_DRAINED:
		return "drained";
	case ANN_R_STOPPING:
		return "stopping";
	case ANN_R_NO_HEALTHY:
		return "no_healthy_backends";
	default:
		return NULL;
	}
}

/* Append the routes of one family; false when out of room. */
static bool render_family(const struct ann_vip *vip, uint32_t n, bool v6,
			  char *buf, size_t size, size_t *len)
{
	char addr[INET6_ADDRSTRLEN];
	int w;

	w = snprintf(buf + *len, size - *len,
		     "protocol static edgepath_v%c {\n"
		     "\t%s;\n",
		     v6 ? '6' : '4', v6 ? "ipv6" : "ipv4");
	if (w < 0 || (size_t)w >= size - *len)
		return false;
	*len += (size_t)w;
	for (uint32_t i = 0; i < n; i++) {
		if (vip[i].reasons != 0 ||
		    (vip[i].vip.family == EP_AF_INET6) != v6)
			continue;
		inet_ntop(v6 ? AF_INET6 : AF_INET, vip[i].vip.bytes, addr,
			  sizeof(addr));
		w = snprintf(buf + *len, size - *len,
			     "\troute %s/%u blackhole;\n", addr, v6 ? 128 : 32);
		if (w < 0 || (size_t)w >= size - *len)
			return false;
		*len += (size_t)w;
	}
	w = snprintf(buf + *len, size - *len, "}\n");
	if (w < 0 || (size_t)w >= size - *len)
		return false;
	*len += (size_t)w;
	return true;
}

int ann_render_bird(const struct ann_vip *vip, uint32_t n, char *buf,
		    size_t size)
{
	static const char head[] = "# written by edgepath-slowpath: the VIPs "
				   "this node announces\n";
	size_t len = sizeof(head) - 1;

	if (size <= len)
		return -1;
	memcpy(buf, head, len + 1);
	if (!render_family(vip, n, false, buf, size, &len) ||
	    !render_family(vip, n, true, buf, size, &len))
		return -1;
	return (int)len;
}
