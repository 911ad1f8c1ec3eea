/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fastpath's frames: Ethernet, IPv4/IPv6 TCP, ICMP errors, ARP and
 * ND as a client or neighbour sends them, and the checks of what comes
 * out (header and L4 checksums).
 */
#include "fastpath_test.h"

void v6(uint8_t a[16], const char *s)
{
	if (inet_pton(AF_INET6, s, a) != 1)
		abort();
}

int ip4_hdr_ok(const uint8_t *ip)
{
	return rte_raw_cksum(ip, (size_t)(ip[0] & 0xf) * 4) == 0xffff;
}

/* TCP/UDP checksum over the pseudo-header and the segment is all ones. */
int l4_ok4(const uint8_t *ip)
{
	const struct rte_ipv4_hdr *h = (const void *)ip;
	uint32_t hl = (uint32_t)(ip[0] & 0xf) * 4;
	uint32_t len = be16_get(ip + 2) - hl;

	return ref_fold((uint32_t)rte_raw_cksum(ip + hl, len) +
			rte_ipv4_phdr_cksum(h, 0)) == 0xffff;
}

int l4_ok6(const uint8_t *ip)
{
	const struct rte_ipv6_hdr *h = (const void *)ip;

	return ref_fold((uint32_t)rte_raw_cksum(ip + 40, be16_get(ip + 4)) +
			rte_ipv6_phdr_cksum(h, 0)) == 0xffff;
}

void eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	be16_put(f + 12, type);
}

static void tcp_hdr(uint8_t *t, uint16_t sport, uint16_t dport, uint8_t flags,
		    uint32_t seq, uint32_t ack)
{
	memset(t, 0, 20);
	be16_put(t, sport);
	be16_put(t + 2, dport);
	be32_put(t + 4, seq);
	be32_put(t + 8, ack);
	t[12] = 0x50;
	t[13] = flags;
	be16_put(t + 14, 65535);
}

/* An IPv4 header without options (its checksum is the caller's). */
static void ip4_hdr(uint8_t *ip, uint16_t total_len, uint16_t id, uint16_t frag,
		    uint8_t proto, uint32_t sip, uint32_t dip)
{
	ip[0] = 0x45;
	be16_put(ip + 2, total_len);
	be16_put(ip + 4, id);
	be16_put(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	be32_put(ip + 12, sip);
	be32_put(ip + 16, dip);
}

/* Ethernet + IPv4 + TCP (no payload), padded to 60 bytes. */
uint32_t frame_tcp4(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
		    uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
		    uint8_t flags, uint32_t seq, uint32_t ack)
{
	uint8_t *ip = f + 14, *t = ip + 20;
	struct rte_ipv4_hdr *h = (void *)ip;
	uint16_t c;

	memset(f, 0, 60);
	eth(f, dmac, smac, 0x0800);
	ip4_hdr(ip, 40, (uint16_t)seq, 0x4000, IPPROTO_TCP, sip, dip);
	tcp_hdr(t, sport, dport, flags, seq, ack);
	c = rte_ipv4_udptcp_cksum(h, t);
	memcpy(t + 16, &c, 2);
	h->hdr_checksum = rte_ipv4_cksum(h);
	return 60;
}

/* Ethernet + IPv6 + TCP (no payload): 74 bytes. */
uint32_t frame_tcp6(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
		    const uint8_t sip[16], const uint8_t dip[16],
		    uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
		    uint32_t ack)
{
	uint8_t *ip = f + 14, *t = ip + 40;
	uint16_t c;

	memset(f, 0, 74);
	eth(f, dmac, smac, 0x86dd);
	ip[0] = 0x60;
	be16_put(ip + 4, 20);
	ip[6] = IPPROTO_TCP;
	ip[7] = 64;
	memcpy(ip + 8, sip, 16);
	memcpy(ip + 24, dip, 16);
	tcp_hdr(t, sport, dport, flags, seq, ack);
	c = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, t);
	memcpy(t + 16, &c, 2);
	return 74;
}

/*
 * Ethernet + IPv4 + ICMP error (type 3, code 4: fragmentation needed)
 * quoting a whole 40-byte IPv4 + TCP packet (checksums valid): 82 bytes.
 */
uint32_t frame_icmp4_err(uint8_t *f, const uint8_t dmac[6],
			 const uint8_t smac[6], uint32_t sip, uint32_t dip,
			 const uint8_t quote[40])
{
	uint8_t *ip = f + 14, *ic = ip + 20;
	struct rte_ipv4_hdr *h = (void *)ip;
	uint16_t c;

	memset(f, 0, 82);
	eth(f, dmac, smac, 0x0800);
	ip4_hdr(ip, 20 + 8 + 40, 0, 0, IPPROTO_ICMP, sip, dip);
	ic[0] = 3;
	ic[1] = 4;
	be16_put(ic + 6, 1400); /* next-hop MTU */
	memcpy(ic + 8, quote, 40);
	c = (uint16_t)~rte_raw_cksum(ic, 48);
	memcpy(ic + 2, &c, 2);
	h->hdr_checksum = rte_ipv4_cksum(h);
	return 82;
}

/* The IPv4 + TCP part (40 bytes) of a frame_tcp4() frame, to quote. */
void quote_tcp4(uint8_t q[40], uint32_t sip, uint32_t dip, uint16_t sport,
		uint16_t dport)
{
	uint8_t f[64];

	frame_tcp4(f, zero_mac, zero_mac, sip, dip, sport, dport, TH_ACK, 9, 1);
	memcpy(q, f + 14, 40);
}

uint32_t frame_arp(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
		   uint16_t op, const uint8_t sha[6], uint32_t spa,
		   const uint8_t tha[6], uint32_t tpa)
{
	uint8_t *a = f + 14;

	memset(f, 0, 60);
	eth(f, dmac, smac, 0x0806);
	be16_put(a, 1);
	be16_put(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	be16_put(a + 6, op);
	memcpy(a + 8, sha, 6);
	be32_put(a + 14, spa);
	memcpy(a + 18, tha, 6);
	be32_put(a + 24, tpa);
	return 60;
}

/*
 * ICMPv6 neighbour solicitation (type 135, option 1) or advertisement
 * (type 136, option 2 unless lladdr is NULL), hop limit 255.
 */
uint32_t frame_nd(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
		  const uint8_t src[16], const uint8_t dst[16], uint8_t type,
		  uint32_t flags, const uint8_t target[16],
		  const uint8_t *lladdr)
{
	uint8_t *ip = f + 14, *ic = ip + 40;
	uint16_t plen = lladdr ? 32 : 24, c;

	memset(f, 0, 14 + 40 + 32);
	eth(f, dmac, smac, 0x86dd);
	ip[0] = 0x60;
	be16_put(ip + 4, plen);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = 255;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	ic[0] = type;
	be32_put(ic + 4, flags);
	memcpy(ic + 8, target, 16);
	if (lladdr) {
		ic[24] = type == 135 ? 1 : 2;
		ic[25] = 1;
		memcpy(ic + 26, lladdr, 6);
	}
	c = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ic);
	memcpy(ic + 2, &c, 2);
	return 14 + 40 + plen;
}

/*
 * The whole of an ICMPv4 error out of the fast path is consistent: outer
 * header checksum, ICMP checksum, and the quoted packet's IP and TCP
 * checksums (the quote is a whole segment here).
 */
int icmp4_err_ok(const uint8_t *ip)
{
	const uint8_t *ic = ip + 20;

	return ip4_hdr_ok(ip) && be16_get(ip + 2) == 68 &&
	       rte_raw_cksum(ic, 48) == 0xffff && ip4_hdr_ok(ic + 8) &&
	       l4_ok4(ic + 8);
}

/* Recompute an IPv4 header checksum after an edit (stored as computed). */
void set_ip4_csum(uint8_t *ip)
{
	struct rte_ipv4_hdr *h = (void *)ip;

	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
}
