/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdp_steer: XDP program for the fast path's af_xdp mode. Frames for a VIP
 * (and ARP requests / neighbour solicitations for a VIP address) go to the
 * AF_XDP socket of the rx queue they arrived on; everything else, including
 * anything we cannot parse, goes on to the kernel. Counters for every exit.
 */
#include <linux/bpf.h>
#include <linux/icmpv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "ep_xdp.h"
#include "xdp_parse.h"

#define EP_ARPHRD_ETHER 1
#define EP_ARPOP_REQUEST 1
#define EP_ND_NEIGHBOUR_SOLICIT 135

/* ICMPv6 neighbour solicitation (RFC 4861 4.3), without options. */
struct ep_nd_ns {
	__u8 type;
	__u8 code;
	__be16 csum;
	__be32 reserved;
	__u8 target[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EP_XDP_MAX_VIPS);
	__type(key, struct ep_xdp_vip_key);
	__type(value, struct ep_xdp_vip_val);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EP_XDP_MAX_VIP_ADDRS);
	__type(key, struct ep_xdp_addr_key);
	__type(value, struct ep_xdp_addr_val);
} vip_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, EP_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ep_xdp_steer_stats);
} stats SEC(".maps");

/* What the parse decided about a frame. */
enum steer_class {
	STEER_NOT_OURS,
	STEER_MALFORMED,
	STEER_VIP,
	STEER_ADDR,
};

/* Exact port first, then the all-ports entry (port 0). */
static __always_inline int vip_lookup(struct ep_xdp_vip_key *key, __be16 port)
{
	if (port) {
		key->port = port;
		if (bpf_map_lookup_elem(&vips, key))
			return STEER_VIP;
	}
	key->port = 0;
	if (bpf_map_lookup_elem(&vips, key))
		return STEER_VIP;
	return STEER_NOT_OURS;
}

static __always_inline int addr_lookup(const __u8 *addr, __u32 len, __u8 family)
{
	struct ep_xdp_addr_key key = {};

	if (len == 4)
		__builtin_memcpy(key.addr, addr, 4);
	else
		__builtin_memcpy(key.addr, addr, 16);
	key.family = family;
	return bpf_map_lookup_elem(&vip_addrs, &key) ? STEER_ADDR
						     : STEER_NOT_OURS;
}

/*
 * TCP or UDP header at the cursor, l4_len bytes announced by the IP
 * header: the destination port decides, once the header is whole.
 */
static __always_inline int steer_l4(struct ep_cursor *c,
				    struct ep_xdp_vip_key *key, __u32 l4_len)
{
	__be16 dport;

	if (key->proto == IPPROTO_TCP) {
		struct tcphdr *th = ep_pull(c, sizeof(*th));

		if (!th || l4_len < sizeof(*th))
			return STEER_MALFORMED;
		if (th->doff < 5 || th->doff * 4u > l4_len)
			return STEER_MALFORMED;
		dport = th->dest;
	} else {
		struct udphdr *uh = ep_pull(c, sizeof(*uh));
		__u32 ulen;

		if (!uh || l4_len < sizeof(*uh))
			return STEER_MALFORMED;
		ulen = bpf_ntohs(uh->len);
		if (ulen < sizeof(*uh) || ulen > l4_len)
			return STEER_MALFORMED;
		dport = uh->dest;
	}
	if (!dport)
		return STEER_NOT_OURS; /* port 0 is the wildcard, never a port */
	return vip_lookup(key, dport);
}

static __always_inline int steer_ipv4(struct ep_cursor *c,
				      struct ep_xdp_vip_key *key)
{
	struct iphdr *ip;
	__u32 l4_len;
	int err = ep_parse_ipv4(c, &ip, &l4_len);

	if (err)
		return STEER_MALFORMED;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return STEER_NOT_OURS;
	key->family = EP_XDP_FAMILY_V4;
	key->proto = ip->protocol;
	__builtin_memcpy(key->addr, &ip->daddr, 4);
	/*
	 * A later fragment has no ports: only an all-ports VIP can claim it.
	 * The first fragment of a port VIP still goes to the fast path, the
	 * rest to the kernel; nothing stateless does better.
	 */
	if (ip->frag_off & bpf_htons(EP_IP_OFFSET))
		return vip_lookup(key, 0);
	return steer_l4(c, key, l4_len);
}

static __always_inline int steer_nd(struct ep_cursor *c, __u32 l4_len)
{
	struct icmp6hdr *ih = ep_pull(c, sizeof(*ih));
	struct ep_nd_ns *ns;

	if (!ih || l4_len < sizeof(*ih))
		return STEER_MALFORMED;
	if (ih->icmp6_type != EP_ND_NEIGHBOUR_SOLICIT)
		return STEER_NOT_OURS;
	ns = (struct ep_nd_ns *)ih;
	if (!ep_pull(c, sizeof(*ns) - sizeof(*ih)) || l4_len < sizeof(*ns))
		return STEER_MALFORMED;
	return addr_lookup(ns->target, 16, EP_XDP_FAMILY_V6);
}

static __always_inline int steer_ipv6(struct ep_cursor *c,
				      struct ep_xdp_vip_key *key)
{
	struct ipv6hdr *ip6;
	__u32 l4_len;
	int err = ep_parse_ipv6(c, &ip6, &l4_len);

	if (err)
		return STEER_MALFORMED;
	switch (ip6->nexthdr) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		key->family = EP_XDP_FAMILY_V6;
		key->proto = ip6->nexthdr;
		__builtin_memcpy(key->addr, &ip6->daddr, 16);
		return steer_l4(c, key, l4_len);
	case IPPROTO_ICMPV6:
		return steer_nd(c, l4_len);
	default:
		return STEER_NOT_OURS; /* extension headers included */
	}
}

static __always_inline int steer_arp(struct ep_cursor *c)
{
	struct ep_arp_hdr *ah = ep_pull(c, sizeof(*ah));
	struct ep_arp_eth_ipv4 *aa;

	if (!ah)
		return STEER_MALFORMED;
	if (ah->hrd != bpf_htons(EP_ARPHRD_ETHER) ||
	    ah->pro != bpf_htons(ETH_P_IP) || ah->hln != ETH_ALEN ||
	    ah->pln != 4)
		return STEER_NOT_OURS;
	if (ah->op != bpf_htons(EP_ARPOP_REQUEST))
		return STEER_NOT_OURS;
	aa = ep_pull(c, sizeof(*aa));
	if (!aa)
		return STEER_MALFORMED;
	return addr_lookup(aa->tpa, 4, EP_XDP_FAMILY_V4);
}

static __always_inline void count(struct ep_xdp_steer_stats *st, __u32 exit,
				  __u32 hit)
{
	if (!st)
		return;
	st->cnt[exit]++;
	if (hit < EP_XDP_STEER_NSTATS)
		st->cnt[hit]++;
}

SEC("xdp")
int xdp_steer(struct xdp_md *ctx)
{
	struct ep_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct ep_xdp_vip_key key = {};
	struct ep_xdp_steer_stats *st;
	__u32 zero = 0, n_vlan;
	__be16 proto;
	int cls, act;

	if (ep_parse_l2(&c, &proto, &n_vlan))
		cls = STEER_MALFORMED;
	else if (proto == bpf_htons(ETH_P_IP))
		cls = steer_ipv4(&c, &key);
	else if (proto == bpf_htons(ETH_P_IPV6))
		cls = steer_ipv6(&c, &key);
	else if (proto == bpf_htons(ETH_P_ARP))
		cls = steer_arp(&c);
	else
		cls = STEER_NOT_OURS;

	st = bpf_map_lookup_elem(&stats, &zero);
	switch (cls) {
	case STEER_VIP:
	case STEER_ADDR:
		/*
		 * An empty slot (no socket on this queue yet) makes the
		 * helper return the fallback action in the flags: XDP_PASS.
		 */
		act = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
		count(st,
		      act == XDP_REDIRECT ? EP_XDP_STEER_REDIRECTED
					  : EP_XDP_STEER_NO_XSK,
		      cls == STEER_VIP ? EP_XDP_STEER_VIP_HIT
				       : EP_XDP_STEER_ADDR_HIT);
		return act;
	case STEER_MALFORMED:
		count(st, EP_XDP_STEER_MALFORMED, EP_XDP_STEER_NSTATS);
		return XDP_PASS;
	default:
		count(st, EP_XDP_STEER_PASSED, EP_XDP_STEER_NSTATS);
		return XDP_PASS;
	}
}

/* No GPL-only helper is used; the kernel loads BSD-licensed programs. */
char LICENSE[] SEC("license") = "BSD-3-Clause";
