/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-packet rewrites, one small function per forwarding mode: MACs (dsr),
 * destination NAT and its reverse (nat), IP-in-IP and GUE (encap), and the
 * ARP/ND answers and requests the fast path makes itself. Functions that
 * can fail return 0 or a drop reason plus one.
 */
#ifndef EP_REWRITE_H
#define EP_REWRITE_H

#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "conntrack.h"
#include "csum.h"
#include "parse.h"
#include "snapshot.h"

#define RW_ETHERTYPE_IPV4 0x0800u
#define RW_ETHERTYPE_IPV6 0x86ddu
#define RW_ETHERTYPE_ARP 0x0806u
#define RW_IP6_HDR_LEN 40u
#define RW_ND_LEN 32u /* NS/NA body (24) + one link-layer option (8) */
#define RW_ARP_LEN 28u
#define RW_MIN_FRAME 60u

#define RW_DROP(reason) ((int)(reason) + 1)

static inline void rw_set_macs(uint8_t *frame, const uint8_t dst[6],
			       const uint8_t src[6])
{
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
}

/* Turn an ARP request for one of our addresses into its reply. */
static inline void rw_arp_reply(uint8_t *frame, const struct pkt_meta *m,
				const uint8_t our_mac[6])
{
	uint8_t *arp = frame + m->l3_off;

	memcpy(frame, frame + 6, 6);
	memcpy(frame + 6, our_mac, 6);
	arp[7] = 2; /* op: reply */
	memcpy(arp + 18, m->sender_mac, 6); /* target hw = asker */
	memcpy(arp + 24, m->sender_ip, 4); /* target ip = asker */
	memcpy(arp + 8, our_mac, 6); /* sender hw = us */
	memcpy(arp + 14, m->target_ip, 4); /* sender ip = asked for */
}

/* Make the frame exactly `len` bytes long (single segment). */
static inline int rw_set_len(struct rte_mbuf *mb, uint32_t len)
{
	uint32_t cur = rte_pktmbuf_data_len(mb);

	if (len < cur)
		return rte_pktmbuf_trim(mb, (uint16_t)(cur - len));
	if (len > cur && rte_pktmbuf_append(mb, (uint16_t)(len - cur)) == NULL)
		return -1;
	return 0;
}

static inline void rw_nd_body(uint8_t *icmp, uint8_t type, uint32_t flags,
			      const uint8_t target[16], uint8_t opt_type,
			      const uint8_t mac[6])
{
	uint32_t fl = rte_cpu_to_be_32(flags);

	memset(icmp, 0, RW_ND_LEN);
	icmp[0] = type;
	memcpy(icmp + 4, &fl, 4);
	memcpy(icmp + 8, target, 16);
	icmp[24] = opt_type;
	icmp[25] = 1; /* option length in units of 8 bytes */
	memcpy(icmp + 26, mac, 6);
}

static inline void rw_ip6_hdr(uint8_t *ip, const uint8_t src[16],
			      const uint8_t dst[16], uint16_t payload_len,
			      uint8_t next, uint8_t hops)
{
	struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

	h->vtc_flow = rte_cpu_to_be_32(6u << 28);
	h->payload_len = rte_cpu_to_be_16(payload_len);
	h->proto = next;
	h->hop_limits = hops;
	memcpy(h->src_addr, src, 16);
	memcpy(h->dst_addr, dst, 16);
}

static inline void rw_icmp6_csum(uint8_t *ip, uint8_t *icmp)
{
	const struct rte_ipv6_hdr *h = (const struct rte_ipv6_hdr *)ip;

	icmp[2] = icmp[3] = 0;
	uint16_t c = rte_ipv6_udptcp_cksum(h, icmp);
	memcpy(icmp + 2, &c, 2);
}

/* Answer a neighbour solicitation for one of our addresses, in place. */
static inline int rw_nd_advert(struct rte_mbuf *mb, const struct pkt_meta *m,
			       const uint8_t our_mac[6])
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t unspec[16];
	uint8_t *frame = rte_pktmbuf_mtod(mb, uint8_t *), *ip, *icmp;
	int dad = memcmp(m->sender_ip, unspec, 16) == 0;
	uint8_t dst[16];

	memcpy(dst, dad ? all_nodes : m->sender_ip, 16);
	if (rw_set_len(mb, m->l3_off + RW_IP6_HDR_LEN + RW_ND_LEN) != 0)
		return -1;
	frame = rte_pktmbuf_mtod(mb, uint8_t *);
	ip = frame + m->l3_off;
	icmp = ip + RW_IP6_HDR_LEN;
	if (dad) {
		static const uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };

		memcpy(frame, mc, 6);
	} else {
		memcpy(frame, frame + 6, 6);
	}
	memcpy(frame + 6, our_mac, 6);
	rw_ip6_hdr(ip, m->target_ip, dst, RW_ND_LEN, IPPROTO_ICMPV6, 255);
	/* Solicited (unless answering DAD) and override. */
	rw_nd_body(icmp, 136, dad ? 0x20000000u : 0x60000000u, m->target_ip, 2,
		   our_mac);
	rw_icmp6_csum(ip, icmp);
	return 0;
}

static inline int rw_arp_request(uint8_t *frame, const struct fp_snapshot *s,
				 const uint8_t addr[16],
				 const uint8_t our_mac[6])
{
	static const uint8_t head[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	uint16_t et = rte_cpu_to_be_16(RW_ETHERTYPE_ARP);
	uint8_t *arp = frame + 14;

	if (!s->has_src4)
		return -1;
	memset(frame, 0, RW_MIN_FRAME);
	memset(frame, 0xff, 6);
	memcpy(frame + 6, our_mac, 6);
	memcpy(frame + 12, &et, 2);
	memcpy(arp, head, 8);
	memcpy(arp + 8, our_mac, 6);
	memcpy(arp + 14, s->src4, 4);
	memcpy(arp + 24, addr, 4);
	return 0;
}

static inline int rw_ns_request(uint8_t *frame, const struct fp_snapshot *s,
				const uint8_t addr[16],
				const uint8_t our_mac[6])
{
	uint8_t dst[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff };
	uint8_t mac[6] = { 0x33, 0x33, 0xff };
	uint16_t et = rte_cpu_to_be_16(RW_ETHERTYPE_IPV6);
	uint8_t *ip = frame + 14, *icmp = ip + RW_IP6_HDR_LEN;

	if (!s->has_src6)
		return -1;
	/* Solicited-node multicast group of the target (RFC 4291). */
	memcpy(dst + 13, addr + 13, 3);
	memcpy(mac + 3, addr + 13, 3);
	memcpy(frame, mac, 6);
	memcpy(frame + 6, our_mac, 6);
	memcpy(frame + 12, &et, 2);
	rw_ip6_hdr(ip, s->src6, dst, RW_ND_LEN, IPPROTO_ICMPV6, 255);
	rw_nd_body(icmp, 135, 0, addr, 1, our_mac);
	rw_icmp6_csum(ip, icmp);
	return 0;
}

/* Build an ARP request or neighbour solicitation for `addr` in `mb`. */
static inline int rw_neigh_request(struct rte_mbuf *mb,
				   const struct fp_snapshot *s,
				   const uint8_t addr[16], uint8_t family,
				   const uint8_t our_mac[6], uint16_t port)
{
	uint32_t len = family == EP_AF_INET ? RW_MIN_FRAME
					    : 14 + RW_IP6_HDR_LEN + RW_ND_LEN;
	uint8_t *frame = (uint8_t *)rte_pktmbuf_append(mb, (uint16_t)len);

	if (frame == NULL)
		return -1;
	mb->port = port;
	if (family == EP_AF_INET)
		return rw_arp_request(frame, s, addr, our_mac);
	return rw_ns_request(frame, s, addr, our_mac);
}

/* Destination NAT towards a backend (same address family). */
static inline int rw_nat_forward(struct rte_mbuf *mb, const struct pkt_meta *m,
				 const uint8_t addr[16], uint16_t port_n)
{
	uint8_t *frame = rte_pktmbuf_mtod(mb, uint8_t *);
	uint8_t *ip = frame + m->l3_off, *l4 = frame + m->l4_off;
	uint8_t proto = m->key.proto;

	if (m->family == EP_AF_INET)
		csum_ip4_set_dst(ip, l4, proto, addr);
	else
		csum_ip6_set_dst(ip, l4, proto, addr);
	if (port_n)
		csum_l4_set_port(l4, proto, m->family, CSUM_L4_DPORT_OFF,
				 port_n);
	return 0;
}

/* A NAT backend's reply: the source becomes the VIP again. */
static inline void rw_nat_reverse(struct rte_mbuf *mb, const struct pkt_meta *m,
				  const uint8_t vip[16], uint16_t vport_n)
{
	uint8_t *frame = rte_pktmbuf_mtod(mb, uint8_t *);
	uint8_t *ip = frame + m->l3_off, *l4 = frame + m->l4_off;
	uint8_t proto = m->key.proto;

	if (m->family == EP_AF_INET)
		csum_ip4_set_src(ip, l4, proto, vip);
	else
		csum_ip6_set_src(ip, l4, proto, vip);
	csum_l4_set_port(l4, proto, m->family, CSUM_L4_SPORT_OFF, vport_n);
}

/*
 * ICMP errors of NAT flows. An error quotes the start of one of the
 * flow's packets; its quote is translated the way that packet was, so
 * the receiver can match it to its own connection: the quoted address
 * and port, the quoted IP header checksum, the quoted TCP/UDP checksum
 * when the quote holds it (RFC 5508 4.1), and then the ICMP checksum.
 */

/* Rewrite a quoted address (ip_off: CSUM_IP4/6_SRC/DST_OFF) and port. */
static inline void rw_icmp_quote(uint8_t *frame, const struct pkt_meta *m,
				 uint32_t ip_off, uint32_t port_off,
				 const uint8_t addr[16], uint16_t port_n)
{
	uint8_t *ip = frame + m->l4_off + 8, *l4 = frame + m->inner_l4_off;
	int csum_off = csum_l4_field(m->key.proto, m->family);
	uint8_t *l4_csum = csum_off >= 0 && (uint32_t)m->inner_l4_off +
							    (uint32_t)csum_off +
							    2 <=
						    m->frame_len
				   ? l4
				   : NULL;

	if (m->family == EP_AF_INET)
		csum_ip4_set_addr(ip, l4_csum, m->key.proto, ip_off, addr);
	else
		csum_ip6_set_addr(ip, l4_csum, m->key.proto, ip_off, addr);
	if (port_n == 0)
		return;
	if (l4_csum)
		csum_l4_set_port(l4, m->key.proto, m->family, port_off, port_n);
	else
		csum_store16(l4 + port_off, port_n);
}

/* Set an outer address; ICMPv4's own checksum has no pseudo-header. */
static inline void rw_icmp_outer(uint8_t *frame, const struct pkt_meta *m,
				 uint32_t ip_off, const uint8_t addr[16])
{
	uint8_t *ip = frame + m->l3_off;

	if (m->family == EP_AF_INET)
		csum_ip4_set_addr(ip, NULL, IPPROTO_ICMP, ip_off, addr);
	else
		memcpy(ip + ip_off, addr, 16);
}

/*
 * An error sent to the VIP about a reply (the quote: VIP:vport ->
 * client): towards the backend, quoting what the backend sent.
 */
static inline void rw_nat_icmp_forward(struct rte_mbuf *mb,
				       const struct pkt_meta *m,
				       const uint8_t backend[16],
				       uint16_t port_n)
{
	uint8_t *frame = rte_pktmbuf_mtod(mb, uint8_t *);
	int v4 = m->family == EP_AF_INET;

	rw_icmp_outer(frame, m, v4 ? CSUM_IP4_DST_OFF : CSUM_IP6_DST_OFF,
		      backend);
	rw_icmp_quote(frame, m, v4 ? CSUM_IP4_SRC_OFF : CSUM_IP6_SRC_OFF,
		      CSUM_L4_SPORT_OFF, backend, port_n);
	csum_icmp_set(frame + m->l3_off, frame + m->l4_off,
		      (uint32_t)m->frame_len - m->l4_off, m->family);
}

/*
 * An error on its way to a client about a packet the fast path sent to a
 * backend (the quote: client -> backend:port): quote the VIP instead,
 * and, when the backend itself sent the error, give it the VIP as its
 * source too (a router's address stays).
 */
static inline void rw_nat_icmp_reverse(struct rte_mbuf *mb,
				       const struct pkt_meta *m,
				       const uint8_t vip[16], uint16_t vport_n)
{
	uint8_t *frame = rte_pktmbuf_mtod(mb, uint8_t *);
	int v4 = m->family == EP_AF_INET;
	uint32_t alen = v4 ? 4 : 16;
	uint32_t src_off = v4 ? CSUM_IP4_SRC_OFF : CSUM_IP6_SRC_OFF;

	/* The quote's destination is the backend: key.src (turned around). */
	if (memcmp(frame + m->l3_off + src_off, m->key.src, alen) == 0)
		rw_icmp_outer(frame, m, src_off, vip);
	rw_icmp_quote(frame, m, v4 ? CSUM_IP4_DST_OFF : CSUM_IP6_DST_OFF,
		      CSUM_L4_DPORT_OFF, vip, vport_n);
	csum_icmp_set(frame + m->l3_off, frame + m->l4_off,
		      (uint32_t)m->frame_len - m->l4_off, m->family);
}

static inline uint8_t rw_inner_proto(uint8_t inner_family)
{
	return inner_family == EP_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
}

static inline void rw_outer_ip4(uint8_t *ip, const struct ep_ip *src,
				const uint8_t dst[16], uint16_t total_len,
				uint8_t proto)
{
	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

	memset(h, 0, sizeof(*h));
	h->version_ihl = 0x45;
	h->total_length = rte_cpu_to_be_16(total_len);
	h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	h->time_to_live = 64;
	h->next_proto_id = proto;
	memcpy(&h->src_addr, src->bytes, 4);
	memcpy(&h->dst_addr, dst, 4);
	h->hdr_checksum = rte_ipv4_cksum(h);
}

static inline void rw_gue_udp(uint8_t *udp, uint16_t len, uint16_t dport,
			      uint32_t hash)
{
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)udp;

	/* Source port from the flow hash: entropy for the backend's RSS. */
	u->src_port = rte_cpu_to_be_16((uint16_t)(0x8000u | (hash & 0x7fffu)));
	u->dst_port = rte_cpu_to_be_16(dport);
	u->dgram_len = rte_cpu_to_be_16(len);
	u->dgram_cksum = 0;
}

/*
 * Encapsulate towards the backend in `e`: IP-in-IP (4in4, 6in4, 4in6,
 * 6in6) or GUE (direct IP in UDP). The Ethernet header (and any VLAN
 * tags) moves to the front; padding is trimmed first.
 */
static inline int rw_encap(struct rte_mbuf *mb, const struct pkt_meta *m,
			   const struct fp_snapshot *s,
			   const struct ct_entry *e, uint32_t hash,
			   uint16_t mtu)
{
	int gue = e->action == FP_ACT_GUE;
	int v6 = e->family == EP_AF_INET6;
	uint16_t ip_len = v6 ? RW_IP6_HDR_LEN : 20,
		 hdr = ip_len + (gue ? 8 : 0);
	uint16_t inner_len = m->l3_len, et;
	uint8_t *frame, *ip, proto = rw_inner_proto(m->family);

	if (rte_pktmbuf_pkt_len(mb) > m->frame_len)
		rte_pktmbuf_trim(
			mb, (uint16_t)(rte_pktmbuf_pkt_len(mb) - m->frame_len));
	if ((uint32_t)inner_len + hdr > mtu)
		return RW_DROP(EP_DROP_TOO_BIG);
	frame = (uint8_t *)rte_pktmbuf_prepend(mb, hdr);
	if (frame == NULL)
		return RW_DROP(EP_DROP_NO_HEADROOM);
	memmove(frame, frame + hdr, m->l3_off);
	et = rte_cpu_to_be_16(v6 ? RW_ETHERTYPE_IPV6 : RW_ETHERTYPE_IPV4);
	memcpy(frame + m->l3_off - 2, &et, 2);
	ip = frame + m->l3_off;
	if (gue) {
		rw_gue_udp(ip + ip_len, inner_len + 8, s->node.gue_port, hash);
		proto = IPPROTO_UDP;
	}
	if (!v6) {
		rw_outer_ip4(ip, &s->node.encap_src4, e->addr, inner_len + hdr,
			     proto);
		return 0;
	}
	rw_ip6_hdr(ip, s->node.encap_src6.bytes, e->addr, inner_len + hdr - 40,
		   proto, 64);
	if (gue) {
		/* IPv6 UDP needs a real checksum (RFC 8200). */
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + ip_len);

		u->dgram_cksum = rte_ipv6_udptcp_cksum(
			(const struct rte_ipv6_hdr *)ip, u);
	}
	return 0;
}

#endif /* EP_REWRITE_H */
