/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: a pure function of (bytes, length) that fills struct
 * pkt_meta or returns the drop reason, so the workers, the unit tests and
 * the fuzzer all run the same code without an EAL.
 *
 * Parser policy
 * -------------
 * General: every length is checked before it is used, outermost first,
 *   and nothing past `len` is read. Only the first 65535 bytes are looked
 *   at (an mbuf segment's length is 16 bits; the rest is treated as
 *   padding). Bytes after the IP datagram (Ethernet padding) are never
 *   parsed or hashed: frame_len = l3_off + l3_len. The key is all zero
 *   except the fields that apply (IPv4 addresses use bytes 0..3).
 *   l4_off is 0 when there is no L4 header (ARP, non-IP).
 * Ethernet: Ethernet II, 14 bytes (ETH_TRUNC). Up to 2 VLAN tags
 *   (0x8100 or 0x88a8, 4 bytes each: VLAN_TRUNC); a third is
 *   VLAN_TOO_MANY. Ethertypes other than IPv4, IPv6, ARP: PKT_OTHER.
 * ARP: 8 fixed bytes (ARP_TRUNC); must be Ethernet/IPv4 (htype 1, ptype
 *   0x0800, hlen 6, plen 4) with op 1 or 2 (else ARP_BAD); then 28 bytes
 *   (ARP_TRUNC). PKT_ARP with arp_op, sender_mac, sender_ip, target_ip.
 * IPv4, in this order (as Linux ip_rcv): 20 bytes (IP4_TRUNC), version 4
 *   (IP4_BAD_VERSION), IHL >= 5 (IP4_BAD_IHL), IHL*4 bytes present
 *   (IP4_TRUNC), header checksum (IP4_BAD_CSUM), IHL*4 <= total length <=
 *   bytes after L2 (IP4_BAD_LEN), source not 224.0.0.0/4 nor
 *   255.255.255.255 (IP4_BAD_ADDR), not a fragment: MF clear and offset 0
 *   (IP_FRAGMENT; no reassembly in the fast path). Options are skipped
 *   unread. Protocols other than TCP, UDP, ICMP: PKT_OTHER with l4_proto.
 * IPv6: 40 bytes (IP6_TRUNC), version 6 (IP6_BAD_VERSION), payload length
 *   <= bytes after the header (IP6_BAD_LEN; jumbograms unsupported).
 *   Hop-by-hop (0), routing (43) and destination options (60) are skipped,
 *   at most 4 (a fifth: IP6_EXT_CHAIN), each within the payload
 *   (IP6_EXT_TRUNC). A fragment header (44): IP_FRAGMENT. Anything but
 *   TCP, UDP, ICMPv6 after that: PKT_OTHER with l4_proto (punted).
 * TCP: 20 bytes in the datagram (TCP_TRUNC), 5 <= data offset and the
 *   header within the datagram (TCP_BAD_OFF); tcp_flags = flags byte.
 * UDP: 8 bytes (UDP_TRUNC), 8 <= UDP length <= rest of datagram
 *   (UDP_BAD_LEN). TCP and UDP give PKT_L4.
 * ICMP and ICMPv6: 8 bytes (ICMP_TRUNC). Errors (v4 types 3, 11, 12; v6
 *   types 1..4) carry an IP header of the same family plus 8 bytes of TCP
 *   or UDP, not a non-first fragment (else ICMP_INNER_BAD; an inner IPv6
 *   header's extension headers are walked as above). The key is the inner
 *   flow reversed (inner = server->client, key = client->server) with
 *   key.proto = inner protocol; kind PKT_ICMP_ERR; l4_proto stays ICMP or
 *   ICMPv6 (the header at l4_off, as parse.h says). Other types: PKT_ICMP
 *   with addresses, ports 0, proto 1 or 58.
 * Neighbour discovery (ICMPv6 135 NS, 136 NA): only with hop limit 255 and
 *   code 0 (RFC 4861 7.1.1; otherwise PKT_OTHER, so that an off-link
 *   packet cannot teach us a neighbour). 24 bytes (ICMP_TRUNC) give
 *   target_ip; sender_ip = IPv6 source. Options are walked to the end of
 *   the datagram: a partial option is ICMP_TRUNC, an option of length 0
 *   is ICMP_INNER_BAD (RFC 4861 says discard). NS: source link-layer
 *   option (type 1, length 1), NA: target link-layer option (type 2,
 *   length 1) -> sender_mac, nd_has_lladdr = 1.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "csum.h"
#include "parse.h"

#define ETH_HDR_LEN 14u
#define VLAN_TAG_LEN 4u
#define ETYPE_IPV4 0x0800u
#define ETYPE_IPV6 0x86ddu
#define ETYPE_ARP 0x0806u
#define ETYPE_VLAN 0x8100u
#define ETYPE_QINQ 0x88a8u

#define ARP_FIXED_LEN 8u
#define ARP_ETH_IP4_LEN 28u
#define IP4_MIN_HDR_LEN 20u
#define IP4_FRAG_MASK 0x3fffu /* MF flag and fragment offset */
#define IP4_OFFSET_MASK 0x1fffu
#define IP6_HDR_LEN 40u
#define TCP_MIN_HDR_LEN 20u
#define UDP_HDR_LEN 8u
#define ICMP_HDR_LEN 8u
#define ICMP_INNER_L4_LEN 8u /* what RFC 792 promises of the inner L4 */
#define ND_MIN_LEN 24u /* ICMPv6 header + target address */
#define ND_OPT_SLLA 1u
#define ND_OPT_TLLA 2u

/* A drop reason as parse_frame returns it. */
#define DROP(r) (-(int)EP_DROP_##r - 1)

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ethernet header and VLAN tags; leaves l3_off and the inner ethertype. */
static int parse_l2(const uint8_t *d, uint32_t len, struct pkt_meta *m,
		    uint16_t *etype)
{
	uint32_t off = ETH_HDR_LEN;

	if (len < ETH_HDR_LEN)
		return DROP(ETH_TRUNC);
	*etype = rd16(d + 12);
	while (*etype == ETYPE_VLAN || *etype == ETYPE_QINQ) {
		if (m->n_vlans == PARSE_MAX_VLANS)
			return DROP(VLAN_TOO_MANY);
		if (len - off < VLAN_TAG_LEN)
			return DROP(VLAN_TRUNC);
		*etype = rd16(d + off + 2);
		off += VLAN_TAG_LEN;
		m->n_vlans++;
	}
	m->l3_off = (uint16_t)off;
	return 0;
}

static int parse_arp(const uint8_t *d, uint32_t len, struct pkt_meta *m)
{
	const uint8_t *a = d + m->l3_off;
	uint32_t avail = len - m->l3_off;
	uint16_t op;

	if (avail < ARP_FIXED_LEN)
		return DROP(ARP_TRUNC);
	if (rd16(a) != 1 || rd16(a + 2) != ETYPE_IPV4 || a[4] != 6 || a[5] != 4)
		return DROP(ARP_BAD);
	op = rd16(a + 6);
	if (op != 1 && op != 2)
		return DROP(ARP_BAD);
	if (avail < ARP_ETH_IP4_LEN)
		return DROP(ARP_TRUNC);
	m->kind = PKT_ARP;
	m->arp_op = (uint8_t)op;
	memcpy(m->sender_mac, a + 8, 6);
	memcpy(m->sender_ip, a + 14, 4);
	memcpy(m->target_ip, a + 24, 4);
	m->l3_len = ARP_ETH_IP4_LEN;
	m->frame_len = (uint16_t)(m->l3_off + ARP_ETH_IP4_LEN);
	return 0;
}

/* Fill the key's ports from a TCP/UDP header (kept in network order). */
static void key_set_ports(struct flow_key *k, const uint8_t *l4)
{
	memcpy(&k->sport, l4, 2);
	memcpy(&k->dport, l4 + 2, 2);
}

static int parse_tcp(const uint8_t *d, struct pkt_meta *m)
{
	const uint8_t *th = d + m->l4_off;
	uint32_t room = (uint32_t)m->frame_len - m->l4_off;
	uint32_t doff;

	if (room < TCP_MIN_HDR_LEN)
		return DROP(TCP_TRUNC);
	doff = (uint32_t)(th[12] >> 4) * 4;
	if (doff < TCP_MIN_HDR_LEN || doff > room)
		return DROP(TCP_BAD_OFF);
	m->tcp_flags = th[13];
	key_set_ports(&m->key, th);
	m->kind = PKT_L4;
	return 0;
}

static int parse_udp(const uint8_t *d, struct pkt_meta *m)
{
	const uint8_t *uh = d + m->l4_off;
	uint32_t room = (uint32_t)m->frame_len - m->l4_off;
	uint32_t ulen;

	if (room < UDP_HDR_LEN)
		return DROP(UDP_TRUNC);
	ulen = rd16(uh + 4);
	if (ulen < UDP_HDR_LEN || ulen > room)
		return DROP(UDP_BAD_LEN);
	key_set_ports(&m->key, uh);
	m->kind = PKT_L4;
	return 0;
}

/*
 * Set the key to the flow an ICMP error quotes, turned around: the quoted
 * packet went server -> client, the key names client -> server.
 */
static void key_set_inner_reversed(struct pkt_meta *m, const uint8_t *d,
				   const uint8_t *src, const uint8_t *dst,
				   uint32_t alen, uint32_t l4_off,
				   uint8_t proto)
{
	memcpy(m->key.src, dst, alen);
	memcpy(m->key.dst, src, alen);
	memcpy(&m->key.sport, d + l4_off + 2, 2);
	memcpy(&m->key.dport, d + l4_off, 2);
	m->key.proto = proto;
	m->inner_l4_off = (uint16_t)l4_off;
	m->kind = PKT_ICMP_ERR;
}

static int is_tcp_or_udp(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

/* The IPv4 packet quoted by an ICMP error, from `off` to `end`. */
static int parse_inner4(const uint8_t *d, uint32_t off, uint32_t end,
			struct pkt_meta *m)
{
	const uint8_t *ip = d + off;
	uint32_t room = end - off;
	uint32_t hlen;

	if (room < IP4_MIN_HDR_LEN || (ip[0] >> 4) != 4)
		return DROP(ICMP_INNER_BAD);
	hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hlen < IP4_MIN_HDR_LEN || room < hlen + ICMP_INNER_L4_LEN)
		return DROP(ICMP_INNER_BAD);
	/* A non-first fragment has no ports to match a flow with. */
	if ((rd16(ip + 6) & IP4_OFFSET_MASK) != 0 || !is_tcp_or_udp(ip[9]))
		return DROP(ICMP_INNER_BAD);
	key_set_inner_reversed(m, d, ip + 12, ip + 16, 4, off + hlen, ip[9]);
	return 0;
}

static int parse_icmp4(const uint8_t *d, struct pkt_meta *m)
{
	const uint8_t *ic = d + m->l4_off;
	uint32_t room = (uint32_t)m->frame_len - m->l4_off;

	if (room < ICMP_HDR_LEN)
		return DROP(ICMP_TRUNC);
	switch (ic[0]) {
	case 3: /* destination unreachable */
	case 11: /* time exceeded */
	case 12: /* parameter problem */
		return parse_inner4(d, m->l4_off + ICMP_HDR_LEN, m->frame_len,
				    m);
	default:
		m->kind = PKT_ICMP;
		return 0;
	}
}

static int ip6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_DSTOPTS;
}

/*
 * Skip the extension headers we accept, starting at `*off` with next
 * header `*nh` and ending at `end`. On success `*nh` is the first header
 * that is not one of them and `*off` its offset.
 */
static int ip6_skip_ext(const uint8_t *d, uint32_t end, uint8_t *nh,
			uint32_t *off)
{
	unsigned int n;

	for (n = 0; ip6_is_ext(*nh); n++) {
		uint32_t hlen;

		if (n == PARSE_MAX_IP6_EXT)
			return DROP(IP6_EXT_CHAIN);
		if (end - *off < 2)
			return DROP(IP6_EXT_TRUNC);
		hlen = ((uint32_t)d[*off + 1] + 1) * 8;
		if (end - *off < hlen)
			return DROP(IP6_EXT_TRUNC);
		*nh = d[*off];
		*off += hlen;
	}
	if (*nh == IPPROTO_FRAGMENT)
		return DROP(IP_FRAGMENT);
	return 0;
}

/* The IPv6 packet quoted by an ICMPv6 error, from `off` to `end`. */
static int parse_inner6(const uint8_t *d, uint32_t off, uint32_t end,
			struct pkt_meta *m)
{
	const uint8_t *ip = d + off;
	uint32_t l4 = off + IP6_HDR_LEN;
	uint8_t nh;

	if (end - off < IP6_HDR_LEN || (ip[0] >> 4) != 6)
		return DROP(ICMP_INNER_BAD);
	nh = ip[6];
	/* The quote is cut short, so its payload length is not trusted. */
	if (ip6_skip_ext(d, end, &nh, &l4) != 0 || !is_tcp_or_udp(nh) ||
	    end - l4 < ICMP_INNER_L4_LEN)
		return DROP(ICMP_INNER_BAD);
	key_set_inner_reversed(m, d, ip + 8, ip + 24, 16, l4, nh);
	return 0;
}

/* Neighbour discovery options, looking for the link-layer address. */
static int parse_nd_opts(const uint8_t *o, uint32_t room, uint8_t want,
			 struct pkt_meta *m)
{
	while (room > 0) {
		uint32_t olen;

		if (room < 2)
			return DROP(ICMP_TRUNC);
		olen = (uint32_t)o[1] * 8;
		if (olen == 0)
			return DROP(ICMP_INNER_BAD);
		if (olen > room)
			return DROP(ICMP_TRUNC);
		if (o[0] == want && olen == 8) {
			memcpy(m->sender_mac, o + 2, 6);
			m->nd_has_lladdr = 1;
		}
		o += olen;
		room -= olen;
	}
	return 0;
}

static int parse_nd(const uint8_t *d, struct pkt_meta *m)
{
	const uint8_t *ip = d + m->l3_off;
	const uint8_t *ic = d + m->l4_off;
	uint32_t room = (uint32_t)m->frame_len - m->l4_off;
	int ns = ic[0] == 135;

	/* RFC 4861: anything else may come from off-link; the kernel drops */
	if (ip[7] != 255 || ic[1] != 0) {
		m->kind = PKT_OTHER;
		return 0;
	}
	if (room < ND_MIN_LEN)
		return DROP(ICMP_TRUNC);
	m->kind = ns ? PKT_ND_NS : PKT_ND_NA;
	memcpy(m->target_ip, ic + 8, 16);
	memcpy(m->sender_ip, ip + 8, 16);
	return parse_nd_opts(ic + ND_MIN_LEN, room - ND_MIN_LEN,
			     ns ? ND_OPT_SLLA : ND_OPT_TLLA, m);
}

static int parse_icmp6(const uint8_t *d, struct pkt_meta *m)
{
	const uint8_t *ic = d + m->l4_off;
	uint32_t room = (uint32_t)m->frame_len - m->l4_off;

	if (room < ICMP_HDR_LEN)
		return DROP(ICMP_TRUNC);
	switch (ic[0]) {
	case 1: /* destination unreachable */
	case 2: /* packet too big */
	case 3: /* time exceeded */
	case 4: /* parameter problem */
		return parse_inner6(d, m->l4_off + ICMP_HDR_LEN, m->frame_len,
				    m);
	case 135: /* neighbour solicitation */
	case 136: /* neighbour advertisement */
		return parse_nd(d, m);
	default:
		m->kind = PKT_ICMP;
		return 0;
	}
}

/* ICMP, ICMPv6 and anything else: kept out of line, off the hot path. */
static __attribute__((noinline)) int parse_l4_other(const uint8_t *d,
						    struct pkt_meta *m)
{
	switch (m->l4_proto) {
	case IPPROTO_ICMP:
		if (m->family == EP_AF_INET)
			return parse_icmp4(d, m);
		break;
	case IPPROTO_ICMPV6:
		if (m->family == EP_AF_INET6)
			return parse_icmp6(d, m);
		break;
	}
	m->kind = PKT_OTHER;
	return 0;
}

/* L4 of either family: l4_off, l4_proto and frame_len are set. */
static inline int parse_l4(const uint8_t *d, struct pkt_meta *m)
{
	if (m->l4_proto == IPPROTO_TCP)
		return parse_tcp(d, m);
	if (m->l4_proto == IPPROTO_UDP)
		return parse_udp(d, m);
	return parse_l4_other(d, m);
}

static int ip4_bad_src(const uint8_t *s)
{
	static const uint8_t bcast[4] = { 255, 255, 255, 255 };

	return (s[0] & 0xf0) == 224 || memcmp(s, bcast, 4) == 0;
}

static int parse_ip4(const uint8_t *d, uint32_t len, struct pkt_meta *m)
{
	const uint8_t *ip = d + m->l3_off;
	uint32_t avail = len - m->l3_off;
	uint32_t hlen, tot;

	if (avail < IP4_MIN_HDR_LEN)
		return DROP(IP4_TRUNC);
	if ((ip[0] >> 4) != 4)
		return DROP(IP4_BAD_VERSION);
	hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hlen < IP4_MIN_HDR_LEN)
		return DROP(IP4_BAD_IHL);
	if (avail < hlen)
		return DROP(IP4_TRUNC);
	if (!csum_ip4_hdr_ok(ip, hlen))
		return DROP(IP4_BAD_CSUM);
	tot = rd16(ip + 2);
	if (tot < hlen || tot > avail)
		return DROP(IP4_BAD_LEN);
	if (ip4_bad_src(ip + 12))
		return DROP(IP4_BAD_ADDR);
	if (rd16(ip + 6) & IP4_FRAG_MASK)
		return DROP(IP_FRAGMENT);
	m->family = EP_AF_INET;
	m->l3_len = (uint16_t)tot;
	m->frame_len = (uint16_t)(m->l3_off + tot);
	m->l4_off = (uint16_t)(m->l3_off + hlen);
	m->l4_proto = ip[9];
	m->key.family = EP_AF_INET;
	m->key.proto = ip[9];
	memcpy(m->key.src, ip + 12, 4);
	memcpy(m->key.dst, ip + 16, 4);
	return parse_l4(d, m);
}

static int parse_ip6(const uint8_t *d, uint32_t len, struct pkt_meta *m)
{
	const uint8_t *ip = d + m->l3_off;
	uint32_t avail = len - m->l3_off;
	uint32_t plen, off;
	uint8_t nh;
	int rc;

	if (avail < IP6_HDR_LEN)
		return DROP(IP6_TRUNC);
	if ((ip[0] >> 4) != 6)
		return DROP(IP6_BAD_VERSION);
	plen = rd16(ip + 4);
	if (plen > avail - IP6_HDR_LEN)
		return DROP(IP6_BAD_LEN);
	m->family = EP_AF_INET6;
	m->l3_len = (uint16_t)(IP6_HDR_LEN + plen);
	m->frame_len = (uint16_t)(m->l3_off + m->l3_len);
	nh = ip[6];
	off = m->l3_off + IP6_HDR_LEN;
	rc = ip6_skip_ext(d, m->frame_len, &nh, &off);
	if (rc != 0)
		return rc;
	m->l4_off = (uint16_t)off;
	m->l4_proto = nh;
	m->key.family = EP_AF_INET6;
	m->key.proto = nh;
	memcpy(m->key.src, ip + 8, 16);
	memcpy(m->key.dst, ip + 24, 16);
	return parse_l4(d, m);
}

/*
 * Zero the whole meta with plain 16-byte stores, written out: a memset
 * (or a loop GCC recognises as one) of this size becomes `rep stos` at
 * -O2, which costs tens of cycles to start. Every byte must still be
 * defined: the key is hashed and compared whole, and callers compare
 * metas.
 */
typedef uint8_t meta_v16
	__attribute__((vector_size(16), may_alias, aligned(1)));

_Static_assert(sizeof(struct pkt_meta) == 104, "meta_clear covers 104 bytes");

static inline void meta_clear(struct pkt_meta *m)
{
	uint8_t *p = (uint8_t *)m;
	const meta_v16 z = { 0 };
	const uint64_t z8 = 0;

	*(meta_v16 *)(p + 0) = z;
	*(meta_v16 *)(p + 16) = z;
	*(meta_v16 *)(p + 32) = z;
	*(meta_v16 *)(p + 48) = z;
	*(meta_v16 *)(p + 64) = z;
	*(meta_v16 *)(p + 80) = z;
	memcpy(p + 96, &z8, 8);
}

/*
 * The common frame, untagged Ethernet / IPv4 without options / TCP, in
 * one pass: 0 when it is one and every check of the general path holds
 * (then m is what the general path writes), else -1 and m untouched, and
 * the general path decides (and names the drop reason). len <= 65535.
 */
static inline int parse_ip4_tcp(const uint8_t *d, uint32_t len,
				struct pkt_meta *m)
{
	const uint8_t *ip = d + ETH_HDR_LEN, *th = ip + IP4_MIN_HDR_LEN;
	uint32_t tot, doff;

	if (len < ETH_HDR_LEN + IP4_MIN_HDR_LEN + TCP_MIN_HDR_LEN ||
	    rd16(d + 12) != ETYPE_IPV4 || ip[0] != 0x45 || ip[9] != IPPROTO_TCP)
		return -1;
	tot = rd16(ip + 2);
	doff = (uint32_t)(th[12] >> 4) * 4;
	/* doff >= 20 and doff + 20 <= tot: the TCP header fits the
	 * datagram, which fits the frame (tot >= 40 > the IP header). */
	if (tot > len - ETH_HDR_LEN || doff < TCP_MIN_HDR_LEN ||
	    doff + IP4_MIN_HDR_LEN > tot || (rd16(ip + 6) & IP4_FRAG_MASK) ||
	    ip4_bad_src(ip + 12) || !csum_ip4_hdr_ok(ip, IP4_MIN_HDR_LEN))
		return -1;
	m->kind = PKT_L4;
	m->family = EP_AF_INET;
	m->l4_proto = IPPROTO_TCP;
	m->tcp_flags = th[13];
	m->l3_off = ETH_HDR_LEN;
	m->l4_off = ETH_HDR_LEN + IP4_MIN_HDR_LEN;
	m->l3_len = (uint16_t)tot;
	m->frame_len = (uint16_t)(ETH_HDR_LEN + tot);
	m->key.family = EP_AF_INET;
	m->key.proto = IPPROTO_TCP;
	memcpy(m->key.src, ip + 12, 4);
	memcpy(m->key.dst, ip + 16, 4);
	key_set_ports(&m->key, th);
	return 0;
}

int parse_frame(const uint8_t *data, uint32_t len, struct pkt_meta *m)
{
	uint16_t etype;
	int rc;

	meta_clear(m);
	/* Offsets are 16-bit; no mbuf segment holds more. */
	if (len > UINT16_MAX)
		len = UINT16_MAX;
	if (parse_ip4_tcp(data, len, m) == 0)
		return 0;
	rc = parse_l2(data, len, m, &etype);
	if (rc != 0)
		return rc;
	switch (etype) {
	case ETYPE_IPV4:
		return parse_ip4(data, len, m);
	case ETYPE_IPV6:
		return parse_ip6(data, len, m);
	case ETYPE_ARP:
		return parse_arp(data, len, m);
	default:
		m->kind = PKT_OTHER;
		m->l3_len = (uint16_t)(len - m->l3_off);
		m->frame_len = (uint16_t)len;
		return 0;
	}
}
