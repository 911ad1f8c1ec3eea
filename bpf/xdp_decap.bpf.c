/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdp_decap: XDP program for backends of `encap` services. It removes the
 * outer header the fast path added (IPIP, 6in4, IP6IP6, 4in6, or IP + UDP
 * for GUE variant 1, "IP directly in UDP"), fixes the ethertype for the
 * inner family and hands the inner packet to the kernel. Anything else
 * passes untouched. It does not check the outer destination (keep simple:
 * the backend only receives what is sent to it).
 */
#include <linux/bpf.h>
#include <linux/udp.h>

#include "ep_xdp.h"
#include "xdp_parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ep_xdp_decap_cfg);
} decap_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ep_xdp_decap_stats);
} stats SEC(".maps");

/* What to strip, once the outer headers checked out. */
struct decap_plan {
	__u32 outer_len; /* bytes between the L2 header and the inner IP */
	__be16 inner_proto; /* ethertype for the inner packet */
	__u32 exit; /* EP_XDP_DECAP_DECAP_IP or _DECAP_GUE */
};

enum decap_class {
	DECAP_STRIP,
	DECAP_NOT_ENCAP,
	DECAP_MALFORMED,
};

static __always_inline __be16 gue_port(void)
{
	__u32 zero = 0;
	struct ep_xdp_decap_cfg *cfg = bpf_map_lookup_elem(&decap_cfg, &zero);

	if (cfg && cfg->gue_port)
		return bpf_htons(cfg->gue_port);
	return bpf_htons(EP_XDP_GUE_PORT_DEFAULT);
}

/*
 * The cursor is past the outer IP header, whose payload is l4_len bytes
 * of protocol proto. Decides whether an inner IP header follows and fills
 * the plan's inner family and exit.
 */
static __always_inline int decap_inner(struct ep_cursor *c, __u8 proto,
				       __u32 l4_len, struct decap_plan *plan)
{
	__u8 *ver;
	__u32 want = 0, inner_len;

	plan->exit = EP_XDP_DECAP_DECAP_IP;
	if (proto == IPPROTO_IPIP) {
		want = 4;
	} else if (proto == IPPROTO_IPV6) {
		want = 6;
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = ep_pull(c, sizeof(*uh));

		if (!uh || l4_len < sizeof(*uh))
			return DECAP_MALFORMED;
		if (uh->dest != gue_port())
			return DECAP_NOT_ENCAP;
		plan->outer_len += sizeof(*uh);
		plan->exit = EP_XDP_DECAP_DECAP_GUE;
		l4_len -= sizeof(*uh);
	} else {
		return DECAP_NOT_ENCAP;
	}

	ver = c->pos;
	if ((void *)(ver + 1) > c->end || l4_len < 1) {
		/* GUE port but no payload: not ours to judge. */
		return want ? DECAP_MALFORMED : DECAP_NOT_ENCAP;
	}
	if (!want) {
		/* GUE variant 1: the payload is the inner IP header. */
		want = *ver >> 4;
		if (want != 4 && want != 6)
			return DECAP_NOT_ENCAP; /* variant 0 or other: kernel */
	} else if (*ver >> 4 != want) {
		return DECAP_MALFORMED;
	}
	inner_len = want == 4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	if (!ep_pull(c, inner_len) || l4_len < inner_len)
		return DECAP_MALFORMED;
	plan->inner_proto =
		want == 4 ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6);
	return DECAP_STRIP;
}

static __always_inline int decap_ipv4(struct ep_cursor *c,
				      struct decap_plan *plan)
{
	struct iphdr *ip;
	__u32 l4_len;

	if (ep_parse_ipv4(c, &ip, &l4_len))
		return DECAP_MALFORMED;
	if (ip->protocol != IPPROTO_IPIP && ip->protocol != IPPROTO_IPV6 &&
	    ip->protocol != IPPROTO_UDP)
		return DECAP_NOT_ENCAP;
	/* A fragment: the kernel reassembles it (and its tunnel decaps). */
	if (ip->frag_off & bpf_htons(EP_IP_MF | EP_IP_OFFSET))
		return DECAP_NOT_ENCAP;
	plan->outer_len = ip->ihl * 4;
	return decap_inner(c, ip->protocol, l4_len, plan);
}

static __always_inline int decap_ipv6(struct ep_cursor *c,
				      struct decap_plan *plan)
{
	struct ipv6hdr *ip6;
	__u32 l4_len;

	if (ep_parse_ipv6(c, &ip6, &l4_len))
		return DECAP_MALFORMED;
	if (ip6->nexthdr != IPPROTO_IPIP && ip6->nexthdr != IPPROTO_IPV6 &&
	    ip6->nexthdr != IPPROTO_UDP)
		return DECAP_NOT_ENCAP; /* extension headers included */
	plan->outer_len = sizeof(*ip6);
	return decap_inner(c, ip6->nexthdr, l4_len, plan);
}

/* Copies an L2 header of n_vlan tags, with proto as innermost ethertype. */
#define EP_PUT_L2(dst, src, n_vlan, proto)                                     \
	do {                                                                   \
		__u32 off_ = sizeof(struct ethhdr) - 2 +                       \
			     (n_vlan) * sizeof(struct ep_vlan_hdr);            \
		__builtin_memcpy((dst), (src), off_);                          \
		*(__be16 *)((__u8 *)(dst) + off_) = (proto);                   \
	} while (0)

/*
 * Removes plan->outer_len bytes after the L2 header (n_vlan tags) and sets
 * the innermost ethertype. Returns 0; -1 when bpf_xdp_adjust_head refused
 * (frame unchanged); -2 when the frame was shortened but the L2 header
 * could not be written back, which the checks before make unreachable.
 */
static __always_inline int decap_strip(struct xdp_md *ctx, __u32 n_vlan,
				       const struct decap_plan *plan)
{
	__u8 l2[sizeof(struct ethhdr) +
		EP_VLAN_MAX * sizeof(struct ep_vlan_hdr)];
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	/* The outer and inner IP headers follow, so this always holds. */
	if (data + sizeof(l2) > end)
		return -1;
	__builtin_memcpy(l2, data, sizeof(l2));
	if (bpf_xdp_adjust_head(ctx, (int)plan->outer_len))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	/* At least the inner IP header (>= 20 bytes) + the L2 header left. */
	if (data + sizeof(l2) > end)
		return -2;
	switch (n_vlan) {
	case 0:
		EP_PUT_L2(data, l2, 0, plan->inner_proto);
		break;
	case 1:
		EP_PUT_L2(data, l2, 1, plan->inner_proto);
		break;
	default:
		EP_PUT_L2(data, l2, 2, plan->inner_proto);
		break;
	}
	return 0;
}

SEC("xdp")
int xdp_decap(struct xdp_md *ctx)
{
	struct ep_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct decap_plan plan = {};
	struct ep_xdp_decap_stats *st;
	__u32 zero = 0, n_vlan, exit;
	int cls, act = XDP_PASS;
	__be16 proto;

	if (ep_parse_l2(&c, &proto, &n_vlan))
		cls = DECAP_MALFORMED;
	else if (proto == bpf_htons(ETH_P_IP))
		cls = decap_ipv4(&c, &plan);
	else if (proto == bpf_htons(ETH_P_IPV6))
		cls = decap_ipv6(&c, &plan);
	else
		cls = DECAP_NOT_ENCAP;

	if (cls == DECAP_STRIP) {
		int err = decap_strip(ctx, n_vlan, &plan);

		exit = err ? EP_XDP_DECAP_ERROR : plan.exit;
		if (err == -2)
			act = XDP_ABORTED;
	} else if (cls == DECAP_MALFORMED) {
		exit = EP_XDP_DECAP_MALFORMED;
	} else {
		exit = EP_XDP_DECAP_PASSED;
	}

	st = bpf_map_lookup_elem(&stats, &zero);
	if (st && exit < EP_XDP_DECAP_NSTATS)
		st->cnt[exit]++;
	return act;
}

/* No GPL-only helper is used; the kernel loads BSD-licensed programs. */
char LICENSE[] SEC("license") = "BSD-3-Clause";
