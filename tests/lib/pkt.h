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

#endif /* EP_PKT_H */
