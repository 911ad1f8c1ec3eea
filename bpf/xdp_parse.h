/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header parsing shared by edgepath's XDP programs (BPF side only): a cursor
 * that only moves forward after a bounds check, the Ethernet + VLAN walk,
 * and the IPv4/IPv6 header checks both programs apply in the same order.
 */
#ifndef EP_XDP_PARSE_H
#define EP_XDP_PARSE_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define EP_VLAN_MAX 2 /* tags walked; a third leaves the frame unparsed */

#define EP_IP_MF 0x2000 /* IPv4 frag_off: more fragments */
#define EP_IP_OFFSET 0x1fff /* IPv4 frag_off: fragment offset */

/* Result of a header check. */
enum ep_parse {
	EP_PARSE_OK = 0,
	EP_PARSE_SHORT = -1, /* cut short, or a length field that lies */
	EP_PARSE_BAD = -2, /* header present but invalid */
};

struct ep_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* Fixed part of an ARP header (RFC 826). */
struct ep_arp_hdr {
	__be16 hrd;
	__be16 pro;
	__u8 hln;
	__u8 pln;
	__be16 op;
};

/* Addresses that follow ep_arp_hdr for Ethernet/IPv4. */
struct ep_arp_eth_ipv4 {
	__u8 sha[ETH_ALEN];
	__u8 spa[4];
	__u8 tha[ETH_ALEN];
	__u8 tpa[4];
};

/* A packet being parsed: pos only moves forward, never past end. */
struct ep_cursor {
	void *pos;
	void *end;
};

/*
 * Returns a pointer to the next len bytes and moves past them, or NULL
 * (cursor unchanged) when fewer than len bytes are left.
 */
static __always_inline void *ep_pull(struct ep_cursor *c, __u32 len)
{
	void *p = c->pos;

	if (p + len > c->end)
		return NULL;
	c->pos = p + len;
	return p;
}

/*
 * Walks the Ethernet header and up to EP_VLAN_MAX 802.1Q/802.1ad tags.
 * On EP_PARSE_OK, *proto is the innermost ethertype (network order), which
 * is still a VLAN type when a frame has more tags than we walk, *n_vlan the
 * number of tags walked, and the cursor is at the L3 header.
 */
static __always_inline int ep_parse_l2(struct ep_cursor *c, __be16 *proto,
				       __u32 *n_vlan)
{
	struct ethhdr *eth = ep_pull(c, sizeof(*eth));
	__be16 p;
	__u32 n = 0;

	if (!eth)
		return EP_PARSE_SHORT;
	p = eth->h_proto;
#pragma unroll
	for (int i = 0; i < EP_VLAN_MAX; i++) {
		struct ep_vlan_hdr *vh;

		if (p != bpf_htons(ETH_P_8021Q) && p != bpf_htons(ETH_P_8021AD))
			break;
		vh = ep_pull(c, sizeof(*vh));
		if (!vh)
			return EP_PARSE_SHORT;
		p = vh->proto;
		n++;
	}
	*proto = p;
	*n_vlan = n;
	return EP_PARSE_OK;
}

/*
 * Checks an IPv4 header at the cursor the way the kernel's ip_rcv does
 * (version, IHL, options present, total length neither below the header
 * nor past the frame) and moves the cursor past header and options.
 * *l4_len is the payload length the header announces.
 */
static __always_inline int ep_parse_ipv4(struct ep_cursor *c,
					 struct iphdr **iph, __u32 *l4_len)
{
	struct iphdr *ip = ep_pull(c, sizeof(*ip));
	__u32 hlen, tot;

	if (!ip)
		return EP_PARSE_SHORT;
	if (ip->version != 4 || ip->ihl < 5)
		return EP_PARSE_BAD;
	hlen = ip->ihl * 4;
	if (hlen > sizeof(*ip) && !ep_pull(c, hlen - sizeof(*ip)))
		return EP_PARSE_SHORT;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < hlen)
		return EP_PARSE_BAD;
	if ((void *)ip + tot > c->end)
		return EP_PARSE_SHORT;
	*iph = ip;
	*l4_len = tot - hlen;
	return EP_PARSE_OK;
}

/*
 * Checks the fixed IPv6 header at the cursor (version, payload length not
 * past the frame) and moves past it. Extension headers are left to the
 * caller, which here means: not parsed.
 */
static __always_inline int ep_parse_ipv6(struct ep_cursor *c,
					 struct ipv6hdr **ip6h, __u32 *l4_len)
{
	struct ipv6hdr *ip6 = ep_pull(c, sizeof(*ip6));
	__u32 plen;

	if (!ip6)
		return EP_PARSE_SHORT;
	if (ip6->version != 6)
		return EP_PARSE_BAD;
	plen = bpf_ntohs(ip6->payload_len);
	if ((void *)(ip6 + 1) + plen > c->end)
		return EP_PARSE_SHORT;
	*ip6h = ip6;
	*l4_len = plen;
	return EP_PARSE_OK;
}

#endif /* EP_XDP_PARSE_H */
