/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksum helpers (RFC 1071) for the parser and the NAT rewrite.
 * Rewrites use the incremental update of RFC 1624 (eqn. 3) so that a NAT
 * costs a few additions instead of a pass over the payload. Header-only:
 * every function is small and per-packet.
 *
 * All values are as stored in the packet (network order). A one's
 * complement sum does not depend on byte order as long as every 16-bit
 * word is loaded the same way, so words are loaded natively with memcpy
 * (no alignment assumed) and never swapped.
 */
#ifndef EP_CSUM_H
#define EP_CSUM_H

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "ep_abi.h"

/* Offsets of checksummed fields inside the headers we rewrite. */
#define CSUM_IP4_CSUM_OFF 10u
#define CSUM_IP4_SRC_OFF 12u
#define CSUM_IP4_DST_OFF 16u
#define CSUM_IP6_SRC_OFF 8u
#define CSUM_IP6_DST_OFF 24u
#define CSUM_L4_SPORT_OFF 0u
#define CSUM_L4_DPORT_OFF 2u

static inline uint16_t csum_load16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void csum_store16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Fold a 32-bit accumulator of 16-bit words to a 16-bit one's complement. */
static inline uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Add `len` bytes to a 32-bit accumulator. An odd last byte counts as the
 * first byte of a word whose second byte is zero (RFC 1071). Safe up to
 * 128 KiB per call without folding.
 */
static inline uint32_t csum_add_bytes(uint32_t sum, const void *buf,
				      uint32_t len)
{
	const uint8_t *p = buf;
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += csum_load16(p + i);
	if (len & 1u) {
		uint16_t last = 0;

		memcpy(&last, p + len - 1, 1);
		sum += last;
	}
	return sum;
}

/* The one's complement sum of `len` bytes (not inverted). */
static inline uint16_t csum_raw(const void *buf, uint32_t len)
{
	return csum_fold(csum_add_bytes(0, buf, len));
}

static inline uint32_t csum_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * True when an IPv4 header of `hlen` bytes carries a correct checksum.
 * An IPv4 header is IHL 32-bit words: they are summed as such into 64
 * bits, then folded (the one's complement sum does not depend on the word
 * size, RFC 1071 section 2 (C)). Any other length takes the 16-bit path.
 */
static inline int csum_ip4_hdr_ok(const void *ip, uint32_t hlen)
{
	const uint8_t *p = ip;
	uint64_t sum;
	uint32_t i;

	if ((hlen & 3u) || hlen < 20u)
		return csum_raw(ip, hlen) == 0xffffu;
	/* The usual 20 bytes unrolled; options word by word. */
	sum = (uint64_t)csum_load32(p) + csum_load32(p + 4) +
	      csum_load32(p + 8) + csum_load32(p + 12) + csum_load32(p + 16);
	for (i = 20; i < hlen; i += 4)
		sum += csum_load32(p + i);
	/* At most 15 words: the sum fits in 36 bits. */
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	return csum_fold((uint32_t)sum) == 0xffffu;
}

/* RFC 1624 eqn. 3, one 16-bit word: HC' = ~(~HC + ~m + m'). */
static inline uint16_t csum_replace16(uint16_t csum, uint16_t old_v,
				      uint16_t new_v)
{
	uint32_t sum = (uint16_t)~csum;

	sum += (uint16_t)~old_v;
	sum += new_v;
	return (uint16_t)~csum_fold(sum);
}

/* RFC 1624 for a 32-bit field: both of its 16-bit words at once. */
static inline uint16_t csum_replace32(uint16_t csum, uint32_t old_v,
				      uint32_t new_v)
{
	uint32_t sum = (uint16_t)~csum;

	sum += (uint16_t) ~(old_v >> 16);
	sum += (uint16_t) ~(old_v & 0xffffu);
	sum += new_v >> 16;
	sum += new_v & 0xffffu;
	return (uint16_t)~csum_fold(sum);
}

/* RFC 1624 for an even-length field given as bytes (old and new). */
static inline uint16_t csum_replace_bytes(uint16_t csum, const void *old_v,
					  const void *new_v, uint32_t len)
{
	const uint8_t *o = old_v;
	const uint8_t *n = new_v;
	uint32_t sum = (uint16_t)~csum;
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint16_t)~csum_load16(o + i);
		sum += csum_load16(n + i);
	}
	return (uint16_t)~csum_fold(sum);
}

/* RFC 1624 for a 128-bit field (an IPv6 address). */
static inline uint16_t csum_replace128(uint16_t csum, const uint8_t old_v[16],
				       const uint8_t new_v[16])
{
	return csum_replace_bytes(csum, old_v, new_v, 16);
}

/*
 * Offset of the checksum in an L4 header when that checksum covers the
 * pseudo-header (so address changes must reach it), else -1. ICMPv4 has a
 * checksum but no pseudo-header.
 */
static inline int csum_l4_field(uint8_t proto, uint8_t family)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_ICMPV6:
		return family == EP_AF_INET6 ? 2 : -1;
	default:
		return -1;
	}
}

/*
 * Reflect a change of `len` covered bytes (old -> new) in the L4 checksum
 * at `l4` (NULL: no L4 header to fix). A UDP checksum of 0 means "none"
 * and stays 0, in both families: IPv4 allows it (RFC 768) and IPv6 UDP
 * tunnels may use it (RFC 6935); Linux's NAT does the same. A UDP result
 * of 0 is sent as 0xffff, since 0 would mean "none" (RFC 768).
 */
static inline void csum_l4_update(uint8_t *l4, uint8_t proto, uint8_t family,
				  const void *old_v, const void *new_v,
				  uint32_t len)
{
	int off = csum_l4_field(proto, family);
	uint16_t c;

	if (l4 == NULL || off < 0)
		return;
	c = csum_load16(l4 + off);
	if (proto == IPPROTO_UDP && c == 0)
		return;
	c = csum_replace_bytes(c, old_v, new_v, len);
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffffu;
	csum_store16(l4 + off, c);
}

/*
 * Rewrite the IPv4 address at `ip + addr_off` (CSUM_IP4_SRC_OFF or
 * CSUM_IP4_DST_OFF) and update the header checksum and, through the
 * pseudo-header, the TCP/UDP checksum at `l4` (may be NULL).
 */
static inline void csum_ip4_set_addr(uint8_t *ip, uint8_t *l4, uint8_t proto,
				     uint32_t addr_off,
				     const uint8_t new_addr[4])
{
	uint8_t old[4];
	uint16_t c;

	memcpy(old, ip + addr_off, sizeof(old));
	c = csum_load16(ip + CSUM_IP4_CSUM_OFF);
	csum_store16(ip + CSUM_IP4_CSUM_OFF,
		     csum_replace_bytes(c, old, new_addr, 4));
	csum_l4_update(l4, proto, EP_AF_INET, old, new_addr, 4);
	memcpy(ip + addr_off, new_addr, 4);
}

/* Destination NAT of an IPv4 packet (both checksums follow). */
static inline void csum_ip4_set_dst(uint8_t *ip, uint8_t *l4, uint8_t proto,
				    const uint8_t dst[4])
{
	csum_ip4_set_addr(ip, l4, proto, CSUM_IP4_DST_OFF, dst);
}

/* Source rewrite of an IPv4 packet (NAT replies: backend -> VIP). */
static inline void csum_ip4_set_src(uint8_t *ip, uint8_t *l4, uint8_t proto,
				    const uint8_t src[4])
{
	csum_ip4_set_addr(ip, l4, proto, CSUM_IP4_SRC_OFF, src);
}

/*
 * Rewrite the IPv6 address at `ip + addr_off` (CSUM_IP6_SRC_OFF or
 * CSUM_IP6_DST_OFF). IPv6 has no header checksum: only the L4 checksum
 * (TCP, UDP, ICMPv6) at `l4` follows.
 */
static inline void csum_ip6_set_addr(uint8_t *ip, uint8_t *l4, uint8_t proto,
				     uint32_t addr_off,
				     const uint8_t new_addr[16])
{
	uint8_t old[16];

	memcpy(old, ip + addr_off, sizeof(old));
	csum_l4_update(l4, proto, EP_AF_INET6, old, new_addr, 16);
	memcpy(ip + addr_off, new_addr, 16);
}

static inline void csum_ip6_set_dst(uint8_t *ip, uint8_t *l4, uint8_t proto,
				    const uint8_t dst[16])
{
	csum_ip6_set_addr(ip, l4, proto, CSUM_IP6_DST_OFF, dst);
}

static inline void csum_ip6_set_src(uint8_t *ip, uint8_t *l4, uint8_t proto,
				    const uint8_t src[16])
{
	csum_ip6_set_addr(ip, l4, proto, CSUM_IP6_SRC_OFF, src);
}

/*
 * Rewrite the TCP/UDP port at `l4 + port_off` (CSUM_L4_SPORT_OFF or
 * CSUM_L4_DPORT_OFF) to `new_port` (network order) and fix the checksum.
 */
static inline void csum_l4_set_port(uint8_t *l4, uint8_t proto, uint8_t family,
				    uint32_t port_off, uint16_t new_port)
{
	uint16_t old = csum_load16(l4 + port_off);

	csum_l4_update(l4, proto, family, &old, &new_port, 2);
	csum_store16(l4 + port_off, new_port);
}

/*
 * Set the checksum of the ICMP (IPv4) or ICMPv6 message at `icmp`, `len`
 * bytes long, from scratch: for rewrites inside an error's quote, where
 * several fields change at once and the message is small. ICMPv6 covers
 * the pseudo-header of the IPv6 header at `ip` (RFC 4443 2.3).
 */
static inline void csum_icmp_set(uint8_t *ip, uint8_t *icmp, uint32_t len,
				 uint8_t family)
{
	uint32_t sum = 0;

	icmp[2] = icmp[3] = 0;
	if (family == EP_AF_INET6) {
		uint8_t tail[8] = { 0 };

		tail[0] = (uint8_t)(len >> 24);
		tail[1] = (uint8_t)(len >> 16);
		tail[2] = (uint8_t)(len >> 8);
		tail[3] = (uint8_t)len;
		tail[7] = 58; /* IPPROTO_ICMPV6 */
		sum = csum_add_bytes(sum, ip + CSUM_IP6_SRC_OFF, 32);
		sum = csum_add_bytes(sum, tail, sizeof(tail));
	}
	sum = csum_add_bytes(sum, icmp, len);
	csum_store16(icmp + 2, (uint16_t)~csum_fold(sum));
}

#endif /* EP_CSUM_H */
