/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet bytes for the tests: a bounded frame buffer that headers are
 * appended to in network byte order (the builders of test_parse,
 * test_xdp and test_fastpath write through it), big-endian loads and
 * stores at an offset, and a decoder (pkt_decode()) whose fields tests
 * compare by name with PKT_EXPECT, so a failure says which field of
 * which packet is wrong rather than an offset.
 */
#ifndef EP_PKT_H
#define EP_PKT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PKT_MAX
#define PKT_MAX 2048
#endif

struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;
};

static inline void be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void be32_put(uint8_t *p, uint32_t v)
{
	be16_put(p, (uint16_t)(v >> 16));
	be16_put(p + 2, (uint16_t)v);
}

static inline uint16_t be16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)be16_get(p) << 16 | be16_get(p + 2);
}

/* Append `n` bytes; a fixture that outgrows the buffer ends the test. */
static inline void pkt_put(struct pkt *p, const void *d, size_t n)
{
	if (p->len + n > PKT_MAX) {
		fprintf(stderr, "pkt: fixture frame over %d bytes\n", PKT_MAX);
		exit(1);
	}
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static inline void pkt_put8(struct pkt *p, unsigned int v)
{
	uint8_t b = (uint8_t)v;

	pkt_put(p, &b, 1);
}

static inline void pkt_put16(struct pkt *p, unsigned int v)
{
	uint8_t b[2];

	be16_put(b, (uint16_t)v);
	pkt_put(p, b, 2);
}

static inline void pkt_put32(struct pkt *p, uint32_t v)
{
	uint8_t b[4];

	be32_put(b, v);
	pkt_put(p, b, 4);
}

static inline void pkt_fill(struct pkt *p, size_t n, uint8_t v)
{
	if (p->len + n > PKT_MAX) {
		fprintf(stderr, "pkt: fixture frame over %d bytes\n", PKT_MAX);
		exit(1);
	}
	memset(p->b + p->len, v, n);
	p->len += n;
}

static inline void pkt_set16(struct pkt *p, size_t off, unsigned int v)
{
	be16_put(p->b + off, (uint16_t)v);
}

/*
 * The fields of an untagged Ethernet frame carrying IPv4 or IPv6 (no
 * extension headers) and, inside it, TCP or UDP or an encapsulated packet
 * (l4 points at what follows the IP header).
 */
struct pkt_view {
	const uint8_t *dmac, *smac;
	uint16_t ethertype;
	const uint8_t *l3;
	uint8_t ip_version;
	uint8_t ip4_ihl_bytes; /* IPv4 header length, 40 for IPv6 */
	uint8_t proto; /* IPv4 protocol or IPv6 next header */
	uint16_t ip_len; /* IPv4 total length, IPv6 payload length */
	uint32_t src4, dst4; /* IPv4, host order */
	const uint8_t *src6, *dst6; /* IPv6 */
	const uint8_t *l4;
	uint16_t sport, dport; /* TCP or UDP */
	uint32_t seq; /* TCP */
	uint8_t tcp_flags;
	uint16_t udp_len, udp_csum;
};

/* 0, or -1 when `len` bytes are too short for what they say they hold. */
static inline int pkt_decode(const uint8_t *f, size_t len, struct pkt_view *v)
{
	memset(v, 0, sizeof(*v));
	if (len < 14)
		return -1;
	v->dmac = f;
	v->smac = f + 6;
	v->ethertype = be16_get(f + 12);
	v->l3 = f + 14;
	len -= 14;
	if (v->ethertype == 0x0800 && len >= 20) {
		v->ip_version = v->l3[0] >> 4;
		v->ip4_ihl_bytes = (uint8_t)((v->l3[0] & 0xf) * 4);
		v->proto = v->l3[9];
		v->ip_len = be16_get(v->l3 + 2);
		v->src4 = be32_get(v->l3 + 12);
		v->dst4 = be32_get(v->l3 + 16);
	} else if (v->ethertype == 0x86dd && len >= 40) {
		v->ip_version = v->l3[0] >> 4;
		v->ip4_ihl_bytes = 40;
		v->proto = v->l3[6];
		v->ip_len = be16_get(v->l3 + 4);
		v->src6 = v->l3 + 8;
		v->dst6 = v->l3 + 24;
	} else {
		return -1;
	}
	if (len < v->ip4_ihl_bytes)
		return -1;
	v->l4 = v->l3 + v->ip4_ihl_bytes;
	len -= v->ip4_ihl_bytes;
	if ((v->proto == 6 && len >= 20) || (v->proto == 17 && len >= 8)) {
		v->sport = be16_get(v->l4);
		v->dport = be16_get(v->l4 + 2);
	}
	if (v->proto == 6 && len >= 20) {
		v->seq = be32_get(v->l4 + 4);
		v->tcp_flags = v->l4[13];
	}
	if (v->proto == 17 && len >= 8) {
		v->udp_len = be16_get(v->l4 + 4);
		v->udp_csum = be16_get(v->l4 + 6);
	}
	return 0;
}

/*
 * Field-by-field comparison that remembers the first difference: a test
 * runs PKT_EXPECT over a packet's fields and, when pkt_expect_failed(),
 * reports `what` ("ip.dst: 167772181, expected 167772182").
 */
struct pkt_expect {
	int failed;
	char what[160];
};

static inline int pkt_expect_u(struct pkt_expect *e, const char *field,
			       uint64_t got, uint64_t want)
{
	if (got == want)
		return 1;
	if (!e->failed)
		snprintf(e->what, sizeof(e->what), "%s: %llu, expected %llu",
			 field, (unsigned long long)got,
			 (unsigned long long)want);
	e->failed = 1;
	return 0;
}

static inline int pkt_expect_bytes(struct pkt_expect *e, const char *field,
				   const void *got, const void *want, size_t n)
{
	if (memcmp(got, want, n) == 0)
		return 1;
	if (!e->failed)
		snprintf(e->what, sizeof(e->what), "%s: differs", field);
	e->failed = 1;
	return 0;
}

/* Decode, or remember that the frame would not decode. */
static inline int pkt_expect_decode(struct pkt_expect *e, const uint8_t *f,
				    size_t len, struct pkt_view *v)
{
	if (pkt_decode(f, len, v) == 0)
		return 1;
	if (!e->failed)
		snprintf(e->what, sizeof(e->what),
			 "frame: %zu bytes, not Ethernet + IP", len);
	e->failed = 1;
	return 0;
}

#define PKT_EXPECT(e, field, got, want)                                        \
	pkt_expect_u((e), (field), (uint64_t)(got), (uint64_t)(want))

#endif /* EP_PKT_H */
