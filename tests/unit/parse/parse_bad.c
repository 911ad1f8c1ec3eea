/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_parse's malformed frames: bad L2, short ARP, IPv4/IPv6/L4 headers
 * wrong in each field the parser checks, short ICMP.
 */
#include "parse_test.h"

/* Malformed L2: a = 0 short Ethernet, 1 VLAN tag cut, 2 three tags,
   3 one tag then a cut one */
void b_bad_l2(struct pkt *f, int a)
{
	switch (a) {
	case 0:
		pkt_put(f, mac_dst, 6);
		pkt_put(f, mac_src, 6);
		pkt_put8(f, 0x08);
		break;
	case 1:
		eth(f, 0, ET_VLAN);
		pkt_put16(f, 100);
		break;
	case 2:
		eth(f, 3, ET_IP4);
		pkt_fill(f, 40, 0);
		break;
	default:
		eth(f, 1, ET_VLAN);
		pkt_put8(f, 0);
		break;
	}
}

/* Malformed ARP lengths: a = 0 seven bytes, 1 fixed part, no addresses */
void b_arp_short(struct pkt *f, int a)
{
	b_arp(f, 1);
	f->len = 14 + (a == 0 ? 7 : 20);
}

/* IPv4 header faults; a = 0 19 bytes, 1 version 6, 2 IHL 4, 3 IHL 6 with
   20 bytes, 4 total length < IHL*4, 5 total length > frame, 6 bad
   checksum, 7 src 224.0.0.1, 8 src 239.255.255.255, 9 src broadcast,
   10 MF set, 11 offset 100, 12 src 0.0.0.0 (ok), 13 src 240.0.0.1 (ok),
   14 dst multicast (ok) */
void b_ip4_bad(struct pkt *f, int a)
{
	static const uint8_t srcs[][4] = { { 224, 0, 0, 1 },
					   { 239, 255, 255, 255 },
					   { 255, 255, 255, 255 } };
	static const uint8_t zero[4] = { 0, 0, 0, 0 };
	static const uint8_t cls_e[4] = { 240, 0, 0, 1 };
	static const uint8_t mcast[4] = { 239, 1, 2, 3 };
	const uint8_t *src = c4, *dst = v4;
	uint32_t o;

	if (a >= 7 && a <= 9)
		src = srcs[a - 7];
	if (a == 12)
		src = zero;
	if (a == 13)
		src = cls_e;
	if (a == 14)
		dst = mcast;
	eth(f, 0, ET_IP4);
	o = ip4_begin(f, IPPROTO_UDP, src, dst, 0);
	udp(f, CPORT, VPORT, 4);
	ip4_end(f, o);
	switch (a) {
	case 0:
		f->len = o + 19;
		break;
	case 1:
		f->b[o] = 0x65;
		break;
	case 2:
		f->b[o] = 0x44;
		break;
	case 3:
		f->b[o] = 0x46;
		f->len = o + 20;
		break;
	case 4:
		pkt_set16(f, o + 2, 19);
		break;
	case 5:
		pkt_set16(f, o + 2, f->len - o + 1);
		break;
	case 6:
		f->b[o + 10] ^= 0x10;
		return;
	case 10:
		pkt_set16(f, o + 6, 0x2000);
		break;
	case 11:
		pkt_set16(f, o + 6, 100);
		break;
	}
	ip4_csum(f, o);
}

/* IPv6 faults; a = 0 39 bytes, 1 version 4, 2 payload length one too
   many, 3 extension header longer than the payload, 4 one byte of
   extension header, 5 five extension headers, 6 fragment header,
   7 hop-by-hop then fragment header, 8 four headers then a fragment */
void b_ip6_bad(struct pkt *f, int a)
{
	uint32_t o;
	int i;

	eth(f, 0, ET_IP6);
	if (a == 5 || a == 8) {
		unsigned int n_ext = a == 5 ? 5 : 4;

		o = ip6_begin(f, IPPROTO_HOPOPTS, c6, v6);
		for (i = 0; i < (int)n_ext; i++) {
			unsigned int nh = IPPROTO_DSTOPTS;

			if (i + 1 == (int)n_ext)
				nh = a == 5 ? IPPROTO_UDP : IPPROTO_FRAGMENT;
			ip6_ext(f, nh, 0);
		}
		if (a == 8)
			ip6_frag_hdr(f, IPPROTO_UDP);
		udp(f, CPORT, VPORT, 0);
		ip6_end(f, o);
		return;
	}
	o = ip6_begin(f, a == 6 ? IPPROTO_FRAGMENT : IPPROTO_HOPOPTS, c6, v6);
	switch (a) {
	case 3:
		pkt_put8(f, IPPROTO_UDP);
		pkt_put8(f, 1); /* 16 bytes */
		pkt_fill(f, 6, 0);
		ip6_end(f, o);
		return;
	case 4:
		pkt_put8(f, IPPROTO_UDP);
		ip6_end(f, o);
		return;
	case 6:
		ip6_frag_hdr(f, IPPROTO_UDP);
		break;
	case 7:
		ip6_ext(f, IPPROTO_FRAGMENT, 0);
		ip6_frag_hdr(f, IPPROTO_UDP);
		break;
	default:
		ip6_ext(f, IPPROTO_UDP, 0);
		break;
	}
	udp(f, CPORT, VPORT, 0);
	ip6_end(f, o);
	if (a == 0)
		f->len = o + 39;
	if (a == 1)
		f->b[o] = 0x40;
	if (a == 2)
		pkt_set16(f, o + 4, f->len - o - 40 + 1);
}

/* TCP/UDP faults; a = 0 TCP 19 bytes (v4), 1 TCP 19 bytes (v6), 2 data
   offset 4, 3 data offset 6 in 20 bytes, 4 UDP 7 bytes, 5 UDP length 7,
   6 UDP length past the datagram, 7 UDP length short of it (ok),
   8 TCP data offset 15 (ok) */
void b_l4_bad(struct pkt *f, int a)
{
	uint32_t o, l4;

	if (a == 1) {
		eth(f, 0, ET_IP6);
		o = ip6_begin(f, IPPROTO_TCP, c6, v6);
		pkt_fill(f, 19, 0);
		ip6_end(f, o);
		return;
	}
	eth(f, 0, ET_IP4);
	o = ip4_begin(f, a <= 3 || a == 8 ? IPPROTO_TCP : IPPROTO_UDP, c4, v4,
		      0);
	l4 = f->len;
	if (a == 0)
		pkt_fill(f, 19, 0);
	else if (a <= 3)
		tcp(f, CPORT, VPORT, TH_SYN, a == 2 ? 4 : 6);
	else if (a == 8)
		tcp(f, CPORT, VPORT, TH_SYN, 15);
	else if (a == 4)
		pkt_fill(f, 7, 0);
	else
		udp(f, CPORT, VPORT, 4);
	if (a == 3)
		f->len = l4 + 20;
	if (a == 5)
		pkt_set16(f, l4 + 4, 7);
	if (a == 6)
		pkt_set16(f, l4 + 4, 13);
	if (a == 7)
		pkt_set16(f, l4 + 4, 10);
	ip4_end(f, o);
}

/* ICMP shorter than 8 bytes; a = 0 IPv4, 1 IPv6 */
void b_icmp_short(struct pkt *f, int a)
{
	uint32_t o;

	if (a == 0) {
		eth(f, 0, ET_IP4);
		o = ip4_begin(f, IPPROTO_ICMP, c4, v4, 0);
		pkt_fill(f, 7, 0);
		ip4_end(f, o);
	} else {
		eth(f, 0, ET_IP6);
		o = ip6_begin(f, IPPROTO_ICMPV6, c6, v6);
		pkt_fill(f, 7, 0);
		ip6_end(f, o);
	}
}
