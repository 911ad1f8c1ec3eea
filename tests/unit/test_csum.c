/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/csum.h: every incremental update (RFC 1624) must
 * give the same checksum as a full recomputation with DPDK's header-only
 * rte_ipv4_cksum / rte_ipv4_udptcp_cksum / rte_ipv6_udptcp_cksum, for
 * random packets (IPv4 with options, IPv6; TCP, UDP, ICMP; odd payload
 * lengths; unaligned headers), plus the UDP zero-checksum rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>

#include "check.h"
#include "csum_ref.h"
#include "testrand.h"
#include "csum.h"

#define ROUNDS 2000u

/* A test packet: IP header at `ip`, L4 header at `l4`, inside `buf`. */
struct tpkt {
	uint8_t buf[1600];
	uint8_t *ip;
	uint8_t *l4;
	uint8_t proto;
	uint8_t family;
};

static int l4_csum_off(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* The reference: full L4 checksum of the packet as it is now. */
static uint16_t full_l4_csum(struct tpkt *t)
{
	uint8_t *f = t->l4 + l4_csum_off(t->proto);
	uint16_t saved = get16(f), c;

	put16(f, 0);
	if (t->family == EP_AF_INET && t->proto == IPPROTO_ICMP)
		c = (uint16_t)~rte_raw_cksum(
			t->l4,
			rte_be_to_cpu_16(
				((struct rte_ipv4_hdr *)t->ip)->total_length) -
				rte_ipv4_hdr_len((struct rte_ipv4_hdr *)t->ip));
	else if (t->family == EP_AF_INET)
		c = rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)t->ip, t->l4);
	else
		c = rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)t->ip, t->l4);
	put16(f, saved);
	return c;
}

static uint16_t full_ip4_csum(struct tpkt *t)
{
	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)t->ip;
	uint16_t saved = h->hdr_checksum, c;

	h->hdr_checksum = 0;
	c = rte_ipv4_cksum(h);
	h->hdr_checksum = saved;
	return c;
}

static uint8_t random_proto(int family)
{
	static const uint8_t p4[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
	static const uint8_t p6[] = { IPPROTO_TCP, IPPROTO_UDP,
				      IPPROTO_ICMPV6 };

	return family == EP_AF_INET ? p4[rng64() % 3] : p6[rng64() % 3];
}

/* Random well-formed packet with correct checksums; odd offsets too. */
static void make_packet(struct tpkt *t, int family, uint8_t proto)
{
	uint32_t l4_len = 8 + (uint32_t)(rng64() % 200);
	uint32_t hlen;

	/* TCP needs its header; the zero-result tests need a payload word */
	if (proto == IPPROTO_TCP && l4_len < 22)
		l4_len = 22 + (l4_len & 1);
	else if (l4_len < 10)
		l4_len = 10 + (l4_len & 1);
	rng_bytes(t->buf, sizeof(t->buf));
	t->ip = t->buf + 14 + rng64() % 4;
	t->family = (uint8_t)family;
	t->proto = proto;
	if (family == EP_AF_INET) {
		hlen = 20 + 4 * (uint32_t)(rng64() % 11);
		t->ip[0] = (uint8_t)(0x40 | hlen / 4);
		put16(t->ip + 2, rte_cpu_to_be_16((uint16_t)(hlen + l4_len)));
		t->ip[6] = 0x40; /* DF */
		t->ip[7] = 0;
		t->ip[9] = proto;
		t->l4 = t->ip + hlen;
		put16(t->ip + 10, full_ip4_csum(t));
	} else {
		t->ip[0] = 0x60;
		put16(t->ip + 4, rte_cpu_to_be_16((uint16_t)l4_len));
		t->ip[6] = proto;
		t->l4 = t->ip + 40;
	}
	if (proto == IPPROTO_UDP)
		put16(t->l4 + 4, rte_cpu_to_be_16((uint16_t)l4_len));
	put16(t->l4 + l4_csum_off(proto), full_l4_csum(t));
}

/* Both checksums of the packet equal a full recomputation. */
static int packet_ok(struct tpkt *t)
{
	int ok = get16(t->l4 + l4_csum_off(t->proto)) == full_l4_csum(t);

	if (t->family == EP_AF_INET)
		ok = ok && get16(t->ip + 10) == full_ip4_csum(t);
	return ok;
}

/* The raw word-level updates against recomputation over a buffer. */
static void test_replace_words(void)
{
	uint8_t buf[64];
	unsigned int i;

	for (i = 0; i < ROUNDS; i++) {
		uint32_t off = (uint32_t)(rng64() % 16) * 2;
		uint16_t c, w16;
		uint32_t w32;
		uint8_t w128[16];

		rng_bytes(buf, sizeof(buf));
		c = ref_csum_stored(buf, sizeof(buf));

		w16 = (uint16_t)rng64();
		c = csum_replace16(c, get16(buf + off), w16);
		put16(buf + off, w16);
		CHECK(c == ref_csum_stored(buf, sizeof(buf)));

		w32 = (uint32_t)rng64();
		{
			uint32_t old;

			memcpy(&old, buf + off, 4);
			c = csum_replace32(c, old, w32);
			memcpy(buf + off, &w32, 4);
		}
		CHECK(c == ref_csum_stored(buf, sizeof(buf)));

		rng_bytes(w128, sizeof(w128));
		c = csum_replace128(c, buf + off, w128);
		memcpy(buf + off, w128, 16);
		CHECK(c == ref_csum_stored(buf, sizeof(buf)));
	}
}

/* csum_raw matches DPDK's sum at every length, odd ones included. */
static void test_raw(void)
{
	/* 0xffff + 0xffff + 1 = 0x1ffff needs a second carry fold */
	const uint16_t carry[3] = { 0xffff, 0xffff, 0x0001 };
	uint8_t buf[301];
	uint32_t len;

	CHECK(csum_fold(0x1ffffu) == 1);
	CHECK(csum_fold(0xffffffffu) == 0xffff);
	CHECK(csum_fold(0x10000u) == 1);
	CHECK(csum_raw(carry, sizeof(carry)) == 1);
	CHECK(csum_raw(carry, sizeof(carry)) == rte_raw_cksum(carry, 6));

	rng_bytes(buf, sizeof(buf));
	for (len = 0; len <= sizeof(buf) - 1; len++)
		CHECK(csum_raw(buf + 1, len) == rte_raw_cksum(buf + 1, len));
}

static void test_ip4_hdr_ok(void)
{
	struct tpkt t;
	uint32_t hlen;

	make_packet(&t, EP_AF_INET, IPPROTO_TCP);
	hlen = (t.ip[0] & 0x0fu) * 4;
	CHECK(csum_ip4_hdr_ok(t.ip, hlen));
	t.ip[8] ^= 1; /* TTL */
	CHECK(!csum_ip4_hdr_ok(t.ip, hlen));
}

static void test_ip4_addr(void)
{
	unsigned int i;

	for (i = 0; i < ROUNDS; i++) {
		struct tpkt t;
		uint8_t a[4];
		uint16_t ip_before;

		make_packet(&t, EP_AF_INET, random_proto(EP_AF_INET));
		rng_bytes(a, 4);
		ip_before = get16(t.l4 + l4_csum_off(t.proto));
		csum_ip4_set_dst(t.ip, t.l4, t.proto, a);
		CHECK(memcmp(t.ip + 16, a, 4) == 0);
		CHECK_MSG(packet_ok(&t), "dst rewrite, proto %u", t.proto);
		/* ICMPv4 has no pseudo-header: its checksum must not move. */
		if (t.proto == IPPROTO_ICMP)
			CHECK(get16(t.l4 + 2) == ip_before);
		rng_bytes(a, 4);
		csum_ip4_set_src(t.ip, t.l4, t.proto, a);
		CHECK(memcmp(t.ip + 12, a, 4) == 0);
		CHECK_MSG(packet_ok(&t), "src rewrite, proto %u", t.proto);
	}
}

static void test_ip6_addr(void)
{
	unsigned int i;

	for (i = 0; i < ROUNDS; i++) {
		struct tpkt t;
		uint8_t a[16];

		make_packet(&t, EP_AF_INET6, random_proto(EP_AF_INET6));
		rng_bytes(a, 16);
		csum_ip6_set_dst(t.ip, t.l4, t.proto, a);
		CHECK(memcmp(t.ip + 24, a, 16) == 0);
		CHECK_MSG(packet_ok(&t), "dst rewrite, proto %u", t.proto);
		rng_bytes(a, 16);
		csum_ip6_set_src(t.ip, t.l4, t.proto, a);
		CHECK(memcmp(t.ip + 8, a, 16) == 0);
		CHECK_MSG(packet_ok(&t), "src rewrite, proto %u", t.proto);
	}
}

static void test_ports(void)
{
	unsigned int i;

	for (i = 0; i < ROUNDS; i++) {
		int fam = (i & 1) ? EP_AF_INET6 : EP_AF_INET;
		uint8_t proto = (i & 2) ? IPPROTO_UDP : IPPROTO_TCP;
		uint16_t p = (uint16_t)rng64();
		struct tpkt t;

		make_packet(&t, fam, proto);
		csum_l4_set_port(t.l4, proto, (uint8_t)fam, CSUM_L4_DPORT_OFF,
				 p);
		CHECK(get16(t.l4 + 2) == p);
		CHECK_MSG(packet_ok(&t), "dport, family %d proto %u", fam,
			  proto);
		p = (uint16_t)rng64();
		csum_l4_set_port(t.l4, proto, (uint8_t)fam, CSUM_L4_SPORT_OFF,
				 p);
		CHECK(get16(t.l4) == p);
		CHECK(packet_ok(&t));
	}
}

/* A full NAT (address and port) in either direction, both families. */
static void test_nat_both_ways(void)
{
	unsigned int i;

	for (i = 0; i < ROUNDS; i++) {
		int fam = (i & 1) ? EP_AF_INET6 : EP_AF_INET;
		uint8_t proto = (i & 2) ? IPPROTO_UDP : IPPROTO_TCP;
		uint8_t a[16];
		struct tpkt t;

		make_packet(&t, fam, proto);
		rng_bytes(a, sizeof(a));
		if (fam == EP_AF_INET)
			csum_ip4_set_dst(t.ip, t.l4, proto, a);
		else
			csum_ip6_set_dst(t.ip, t.l4, proto, a);
		csum_l4_set_port(t.l4, proto, (uint8_t)fam, CSUM_L4_DPORT_OFF,
				 (uint16_t)rng64());
		CHECK(packet_ok(&t));
	}
}

/* UDP without a checksum (0) keeps none after any rewrite. */
static void test_udp_zero(void)
{
	unsigned int i;

	for (i = 0; i < 200; i++) {
		int fam = (i & 1) ? EP_AF_INET6 : EP_AF_INET;
		uint8_t a[16];
		struct tpkt t;

		make_packet(&t, fam, IPPROTO_UDP);
		put16(t.l4 + 6, 0);
		rng_bytes(a, sizeof(a));
		if (fam == EP_AF_INET) {
			csum_ip4_set_dst(t.ip, t.l4, IPPROTO_UDP, a);
			CHECK(get16(t.ip + 10) == full_ip4_csum(&t));
		} else {
			csum_ip6_set_dst(t.ip, t.l4, IPPROTO_UDP, a);
		}
		csum_l4_set_port(t.l4, IPPROTO_UDP, (uint8_t)fam,
				 CSUM_L4_DPORT_OFF, (uint16_t)rng64());
		CHECK(get16(t.l4 + 6) == 0);
	}
}

/*
 * A UDP checksum that comes out as 0 is sent as 0xffff: build a packet
 * whose checksum after the rewrite is exactly that case, by choosing one
 * payload word, then rewrite it from its old address.
 */
static void test_udp_result_zero(int fam)
{
	uint8_t old_dst[16], new_dst[16];
	uint32_t addr_off = fam == EP_AF_INET ? 16 : 24;
	uint32_t alen = fam == EP_AF_INET ? 4 : 16;
	struct tpkt t;
	uint16_t c;

	make_packet(&t, fam, IPPROTO_UDP);
	memcpy(old_dst, t.ip + addr_off, alen);
	rng_bytes(new_dst, sizeof(new_dst));
	/* Aim: with new_dst, the sum of everything is 0xffff (-0). */
	memcpy(t.ip + addr_off, new_dst, alen);
	put16(t.l4 + 8, 0);
	c = full_l4_csum(&t); /* ~sum, with the word at 0 */
	put16(t.l4 + 8, c == 0xffff ? 0 : c);
	CHECK(full_l4_csum(&t) == 0xffff);
	/* Back to the old address, with a correct checksum for it. */
	memcpy(t.ip + addr_off, old_dst, alen);
	if (fam == EP_AF_INET)
		put16(t.ip + 10, full_ip4_csum(&t));
	put16(t.l4 + 6, full_l4_csum(&t));
	if (fam == EP_AF_INET)
		csum_ip4_set_dst(t.ip, t.l4, IPPROTO_UDP, new_dst);
	else
		csum_ip6_set_dst(t.ip, t.l4, IPPROTO_UDP, new_dst);
	CHECK_MSG(get16(t.l4 + 6) == 0xffff, "family %d: got %04x", fam,
		  get16(t.l4 + 6));
	CHECK(packet_ok(&t));
}

/* TCP has no "none": a checksum of 0 is updated like any other. */
static void test_tcp_zero_is_a_value(void)
{
	struct tpkt t;
	uint8_t a[4] = { 192, 0, 2, 1 };
	uint16_t c;

	make_packet(&t, EP_AF_INET, IPPROTO_TCP);
	/* choose a payload word so that the TCP checksum is exactly 0 */
	put16(t.l4 + 18, 0); /* urgent pointer */
	c = full_l4_csum(&t);
	put16(t.l4 + 18, c);
	put16(t.l4 + 16, full_l4_csum(&t));
	CHECK(get16(t.l4 + 16) == 0);
	csum_ip4_set_dst(t.ip, t.l4, IPPROTO_TCP, a);
	CHECK(packet_ok(&t));
}

/*
 * csum_icmp_set: an ICMP (no pseudo-header) or ICMPv6 (pseudo-header)
 * checksum from scratch, whatever was in the field, odd lengths too.
 */
static void test_icmp_set(int family)
{
	uint8_t proto = family == EP_AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	struct tpkt t;
	int ok = 1;

	for (int i = 0; i < 500; i++) {
		uint32_t len;

		make_packet(&t, family, proto);
		len = family == EP_AF_INET
			      ? rte_be_to_cpu_16(get16(t.ip + 2)) -
					(uint32_t)(t.ip[0] & 0xf) * 4
			      : rte_be_to_cpu_16(get16(t.ip + 4));
		put16(t.l4 + 2, (uint16_t)rng64());
		csum_icmp_set(t.ip, t.l4, len, (uint8_t)family);
		ok &= packet_ok(&t);
	}
	CHECK_MSG(ok, "csum_icmp_set, family %d", family);
}

int main(void)
{
	test_raw();
	test_replace_words();
	test_ip4_hdr_ok();
	test_ip4_addr();
	test_ip6_addr();
	test_ports();
	test_nat_both_ways();
	test_udp_zero();
	test_udp_result_zero(EP_AF_INET);
	test_udp_result_zero(EP_AF_INET6);
	test_tcp_zero_is_a_value();
	test_icmp_set(EP_AF_INET);
	test_icmp_set(EP_AF_INET6);
	return check_summary("csum");
}
