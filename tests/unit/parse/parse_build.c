/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_parse's frame builders: headers, then one well-formed frame per
 * fixture (TCP, UDP, ICMP echo and errors, ARP, ND, other protocols).
 */
#include "parse_test.h"

#define ET_ARP 0x0806
#define ET_QINQ 0x88a8

const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
const uint8_t mac_src[6] = { 0x02, 0, 0, 0, 0, 0x02 };
const uint8_t c4[4] = { 198, 51, 100, 7 }; /* client */
const uint8_t v4[4] = { 203, 0, 113, 10 }; /* VIP */
static const uint8_t r4[4] = { 192, 0, 2, 1 }; /* a router */
const uint8_t c6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,
			 0,    0,    0,	   0,	 0, 0, 0, 7 };
const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0,
			 0,    0,    0,	   0,	 0, 0, 0, 0x10 };
static const uint8_t r6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0,
				0,    0,    0,	  0,	0, 0, 0, 1 };
const uint8_t ll_mac[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

/* Ethernet with n_tags VLAN tags: 802.1ad outside, 802.1Q inside. */
void eth(struct pkt *f, unsigned int n_tags, unsigned int etype)
{
	unsigned int i;

	pkt_put(f, mac_dst, 6);
	pkt_put(f, mac_src, 6);
	for (i = 0; i < n_tags; i++) {
		pkt_put16(f, i + 1 < n_tags ? ET_QINQ : ET_VLAN);
		pkt_put16(f, 100 + i);
	}
	pkt_put16(f, etype);
}

/* IPv4 header with opt_words words of options; ip4_end() completes it. */
uint32_t ip4_begin(struct pkt *f, unsigned int proto, const uint8_t *src,
		   const uint8_t *dst, unsigned int opt_words)
{
	uint32_t off = f->len;

	pkt_put8(f, 0x40 | (5 + opt_words));
	pkt_put8(f, 0);
	pkt_put16(f, 0); /* total length, set by ip4_end */
	pkt_put16(f, 0x1234);
	pkt_put16(f, 0x4000); /* DF */
	pkt_put8(f, 64);
	pkt_put8(f, proto);
	pkt_put16(f, 0);
	pkt_put(f, src, 4);
	pkt_put(f, dst, 4);
	/* options: router alert (4 bytes), then NOPs */
	if (opt_words > 0) {
		pkt_put32(f, 0x94040000);
		pkt_fill(f, (opt_words - 1) * 4, 1);
	}
	return off;
}

void ip4_csum(struct pkt *f, uint32_t off)
{
	uint32_t hlen = (f->b[off] & 0x0fu) * 4;

	pkt_set16(f, off + 10, 0);
	pkt_set16(f, off + 10, ref_csum(f->b + off, hlen));
}

void ip4_end(struct pkt *f, uint32_t off)
{
	pkt_set16(f, off + 2, f->len - off);
	ip4_csum(f, off);
}

uint32_t ip6_begin(struct pkt *f, unsigned int nh, const uint8_t *src,
		   const uint8_t *dst)
{
	uint32_t off = f->len;

	pkt_put32(f, 0x60000000);
	pkt_put16(f, 0); /* payload length, set by ip6_end */
	pkt_put8(f, nh);
	pkt_put8(f, 64);
	pkt_put(f, src, 16);
	pkt_put(f, dst, 16);
	return off;
}

void ip6_end(struct pkt *f, uint32_t off)
{
	pkt_set16(f, off + 4, f->len - off - 40);
}

/* An extension header of (units + 1) * 8 bytes, padded with Pad1. */
void ip6_ext(struct pkt *f, unsigned int nh, unsigned int units)
{
	pkt_put8(f, nh);
	pkt_put8(f, units);
	pkt_fill(f, 6 + 8 * units, 0);
}

void ip6_frag_hdr(struct pkt *f, unsigned int nh)
{
	pkt_put8(f, nh);
	pkt_put8(f, 0);
	pkt_put16(f, 0x0001); /* offset 0, more fragments */
	pkt_put32(f, 0xabcd);
}

void tcp(struct pkt *f, unsigned int sport, unsigned int dport,
	 unsigned int flags, unsigned int doff_words)
{
	pkt_put16(f, sport);
	pkt_put16(f, dport);
	pkt_put32(f, 1000);
	pkt_put32(f, 0);
	pkt_put8(f, doff_words << 4);
	pkt_put8(f, flags);
	pkt_put16(f, 65535);
	pkt_put16(f, 0);
	pkt_put16(f, 0);
	if (doff_words > 5)
		pkt_fill(f, (doff_words - 5) * 4, 1); /* NOP options */
}

void udp(struct pkt *f, unsigned int sport, unsigned int dport,
	 uint32_t payload)
{
	pkt_put16(f, sport);
	pkt_put16(f, dport);
	pkt_put16(f, 8 + payload);
	pkt_put16(f, 0);
	pkt_fill(f, payload, 0x5a);
}

void icmp(struct pkt *f, unsigned int type, unsigned int code)
{
	pkt_put8(f, type);
	pkt_put8(f, code);
	pkt_put16(f, 0);
	pkt_put32(f, 0x00010002); /* id/seq, or unused, or MTU */
}

/* a = number of VLAN tags */
void b_tcp4(struct pkt *f, int a)
{
	uint32_t o;

	eth(f, (unsigned int)a, ET_IP4);
	o = ip4_begin(f, IPPROTO_TCP, c4, v4, 0);
	tcp(f, CPORT, VPORT, TH_SYN, 5);
	ip4_end(f, o);
}

/* a = number of IPv4 option words */
void b_tcp4_opts(struct pkt *f, int a)
{
	uint32_t o;

	eth(f, 0, ET_IP4);
	o = ip4_begin(f, IPPROTO_TCP, c4, v4, (unsigned int)a);
	tcp(f, CPORT, VPORT, TH_SYN | TH_ACK, 8); /* with TCP options */
	ip4_end(f, o);
}

/* a = bytes of Ethernet padding after the datagram */
void b_udp4(struct pkt *f, int a)
{
	uint32_t o;

	eth(f, 0, ET_IP4);
	o = ip4_begin(f, IPPROTO_UDP, c4, v4, 0);
	udp(f, CPORT, 53, 4);
	ip4_end(f, o);
	pkt_fill(f, (uint32_t)a, 0xee);
}

/* a = number of VLAN tags */
void b_tcp6(struct pkt *f, int a)
{
	uint32_t o;

	eth(f, (unsigned int)a, ET_IP6);
	o = ip6_begin(f, IPPROTO_TCP, c6, v6);
	tcp(f, CPORT, VPORT, TH_ACK, 5);
	ip6_end(f, o);
}

/* a = bytes of padding */
void b_udp6(struct pkt *f, int a)
{
	uint32_t o;

	eth(f, 0, ET_IP6);
	o = ip6_begin(f, IPPROTO_UDP, c6, v6);
	udp(f, CPORT, 53, 3);
	ip6_end(f, o);
	pkt_fill(f, (uint32_t)a, 0xee);
}

/* a extension headers (hop-by-hop first, then destination options) */
void b_ext6(struct pkt *f, int a)
{
	uint32_t o;
	int i;

	eth(f, 0, ET_IP6);
	o = ip6_begin(f, a > 0 ? IPPROTO_HOPOPTS : IPPROTO_UDP, c6, v6);
	for (i = 0; i < a; i++)
		ip6_ext(f, i + 1 < a ? IPPROTO_DSTOPTS : IPPROTO_UDP,
			(unsigned int)i & 1);
	udp(f, CPORT, VPORT, 0);
	ip6_end(f, o);
}

/* a = 0: ethertype LLDP; 1: IPv4 GRE; 2: IPv6 ESP after two
   extension headers (one routing); 3: IPv6 no next header */
void b_other(struct pkt *f, int a)
{
	uint32_t o;

	switch (a) {
	case 0:
		eth(f, 0, 0x88cc);
		pkt_fill(f, 46, 0x11);
		break;
	case 1:
		eth(f, 0, ET_IP4);
		o = ip4_begin(f, 47, c4, v4, 0);
		pkt_fill(f, 8, 0);
		ip4_end(f, o);
		break;
	case 2:
		eth(f, 0, ET_IP6);
		o = ip6_begin(f, IPPROTO_HOPOPTS, c6, v6);
		ip6_ext(f, IPPROTO_ROUTING, 0);
		ip6_ext(f, 50, 1);
		pkt_fill(f, 16, 0x33);
		ip6_end(f, o);
		break;
	default:
		eth(f, 0, ET_IP6);
		o = ip6_begin(f, IPPROTO_NONE, c6, v6);
		ip6_end(f, o);
		break;
	}
}

/* a = 0: echo request IPv4, 1: IPv6 */
void b_echo(struct pkt *f, int a)
{
	uint32_t o;

	if (a == 0) {
		eth(f, 0, ET_IP4);
		o = ip4_begin(f, IPPROTO_ICMP, c4, v4, 0);
		icmp(f, 8, 0);
		pkt_fill(f, 16, 0x61);
		ip4_end(f, o);
	} else {
		eth(f, 0, ET_IP6);
		o = ip6_begin(f, IPPROTO_ICMPV6, c6, v6);
		icmp(f, 128, 0);
		pkt_fill(f, 16, 0x61);
		ip6_end(f, o);
	}
}

/* The VIP -> client packet an ICMP error quotes, IPv4. */
static void inner4(struct pkt *f, unsigned int proto, uint32_t l4_bytes)
{
	uint32_t o = ip4_begin(f, proto, v4, c4, 0);

	pkt_put16(f, VPORT);
	pkt_put16(f, CPORT);
	pkt_fill(f, l4_bytes - 4, 0x77);
	ip4_end(f, o);
	pkt_set16(f, o + 2, 1500); /* the original was longer than the quote */
	ip4_csum(f, o);
}

static void inner6(struct pkt *f, unsigned int proto, uint32_t l4_bytes)
{
	uint32_t o = ip6_begin(f, proto, v6, c6);

	pkt_put16(f, VPORT);
	pkt_put16(f, CPORT);
	pkt_fill(f, l4_bytes - 4, 0x77);
	pkt_set16(f, o + 4, 1460);
}

/* ICMPv4 error from a router about VIP -> client; a = variant:
   0 dest unreach + TCP, 1 time exceeded + UDP, 2 parameter problem + TCP
   with first-fragment inner, 3 inner L4 7 bytes, 4 inner is ICMP,
   5 inner is IPv6, 6 inner non-first fragment, 7 inner IHL 4,
   8 only an inner IP header */
void b_err4(struct pkt *f, int a)
{
	static const uint8_t types[] = { 3, 11, 12, 3, 3, 3, 3, 3, 3 };
	uint32_t o, in;

	eth(f, 0, ET_IP4);
	o = ip4_begin(f, IPPROTO_ICMP, r4, v4, 0);
	icmp(f, types[a], a == 0 ? 4 : 0);
	in = f->len;
	switch (a) {
	case 1:
		inner4(f, IPPROTO_UDP, 8);
		break;
	case 3:
		inner4(f, IPPROTO_TCP, 7);
		break;
	case 4:
		inner4(f, IPPROTO_ICMP, 8);
		break;
	case 5:
		inner6(f, IPPROTO_TCP, 8);
		break;
	case 8:
		inner4(f, IPPROTO_TCP, 4);
		f->len -= 4;
		break;
	default:
		inner4(f, IPPROTO_TCP, 8);
		break;
	}
	if (a == 2)
		pkt_set16(f, in + 6, 0x2000); /* MF, offset 0: has ports */
	if (a == 6)
		pkt_set16(f, in + 6, 0x0010); /* offset 16: no ports */
	if (a == 7)
		f->b[in] = 0x44;
	ip4_end(f, o);
}

/* ICMPv6 error about VIP -> client; a = variant: 0 packet too big + TCP,
   1 dest unreach + UDP behind a destination options header, 2 time
   exceeded + TCP, 3 parameter problem + UDP, 4 inner L4 7 bytes,
   5 inner fragment header, 6 inner is IPv4, 7 inner is ICMPv6 */
void b_err6(struct pkt *f, int a)
{
	static const uint8_t types[] = { 2, 1, 3, 4, 1, 1, 1, 1 };
	uint32_t o;

	eth(f, 0, ET_IP6);
	o = ip6_begin(f, IPPROTO_ICMPV6, r6, v6);
	icmp(f, types[a], 0);
	switch (a) {
	case 1:
		inner6(f, IPPROTO_DSTOPTS, 4);
		f->len -= 4; /* the ports go after the extension header */
		ip6_ext(f, IPPROTO_UDP, 0);
		pkt_put16(f, VPORT);
		pkt_put16(f, CPORT);
		pkt_fill(f, 4, 0);
		break;
	case 3:
		inner6(f, IPPROTO_UDP, 8);
		break;
	case 4:
		inner6(f, IPPROTO_TCP, 7);
		break;
	case 5:
		inner6(f, IPPROTO_FRAGMENT, 4);
		f->len -= 4;
		ip6_frag_hdr(f, IPPROTO_TCP);
		pkt_put16(f, VPORT);
		pkt_put16(f, CPORT);
		pkt_fill(f, 4, 0);
		break;
	case 6:
		inner4(f, IPPROTO_TCP, 8);
		break;
	case 7:
		inner6(f, IPPROTO_ICMPV6, 8);
		break;
	default:
		inner6(f, IPPROTO_TCP, 8);
		break;
	}
	ip6_end(f, o);
}

/* ARP; a = op (1 request, 2 reply); a >= 16: malformed variants
   16 htype 6, 17 ptype IPv6, 18 hlen 8, 19 plen 16, 20 op 3 */
void b_arp(struct pkt *f, int a)
{
	unsigned int op = a < 16 ? (unsigned int)a : 1;

	eth(f, 0, ET_ARP);
	pkt_put16(f, a == 16 ? 6 : 1);
	pkt_put16(f, a == 17 ? ET_IP6 : ET_IP4);
	pkt_put8(f, a == 18 ? 8 : 6);
	pkt_put8(f, a == 19 ? 16 : 4);
	pkt_put16(f, a == 20 ? 3 : op);
	pkt_put(f, ll_mac, 6);
	pkt_put(f, c4, 4);
	pkt_fill(f, 6, op == 1 ? 0 : 0x11);
	pkt_put(f, v4, 4);
	pkt_fill(f, 18, 0); /* Ethernet minimum-size padding */
}

/* Neighbour discovery; a = variant: 0 NS with SLLAO, 1 NS without
   options, 2 NS with a nonce option then SLLAO, 3 NA with TLLAO,
   4 NA with an SLLAO only (ignored), 5 NS hop limit 64,
   6 NS option length 0, 7 NS option past the end, 8 NS one stray byte,
   9 NS too short for the target, 10 NS with code 1 */
void b_nd(struct pkt *f, int a)
{
	static const uint8_t snm[16] = { 0xff, 2, 0, 0, 0,    0, 0, 0,
					 0,    0, 0, 1, 0xff, 0, 0, 0x10 };
	int na = a == 3 || a == 4;
	uint32_t o;

	eth(f, 0, ET_IP6);
	o = ip6_begin(f, IPPROTO_ICMPV6, c6, na ? c6 : snm);
	f->b[o + 7] = a == 5 ? 64 : 255;
	pkt_put8(f, na ? 136 : 135);
	pkt_put8(f, a == 10 ? 1 : 0);
	pkt_put16(f, 0);
	pkt_put32(f, na ? 0x60000000 : 0); /* NA: solicited, override */
	if (a == 9) {
		pkt_fill(f, 8, 0);
		ip6_end(f, o);
		return;
	}
	pkt_put(f, v6, 16);
	if (a == 2) {
		pkt_put8(f, 14); /* nonce (RFC 3971) */
		pkt_put8(f, 1);
		pkt_fill(f, 6, 0x42);
	}
	if (a == 0 || a == 2 || a == 4 || a == 5 || a == 10) {
		pkt_put8(f, 1); /* source link-layer address */
		pkt_put8(f, 1);
		pkt_put(f, ll_mac, 6);
	}
	if (a == 3) {
		pkt_put8(f, 2); /* target link-layer address */
		pkt_put8(f, 1);
		pkt_put(f, ll_mac, 6);
	}
	if (a == 6) {
		pkt_put8(f, 1);
		pkt_put8(f, 0);
		pkt_put(f, ll_mac, 6);
	}
	if (a == 7) {
		pkt_put8(f, 1);
		pkt_put8(f, 2); /* 16 bytes, only 8 there */
		pkt_put(f, ll_mac, 6);
	}
	if (a == 8)
		pkt_put8(f, 1);
	ip6_end(f, o);
}
