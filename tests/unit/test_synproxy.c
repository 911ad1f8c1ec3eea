/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/synproxy.h's pure parts: the sequence-number
 * translation in both directions (values and the incrementally updated
 * TCP checksum against a from-scratch reference, IPv4 and IPv6, every
 * wrap of the 32-bit space, the ACK flag honoured), the segments the
 * proxy writes (SYN-ACK with MSS, ACK without: fields, both checksums,
 * padding to 60 bytes, and parse_frame() reads them back), and the MSS
 * option of a client's SYN (NOPs before it, absent, truncated, bad
 * lengths: the family's default).
 */
#include <string.h>

#include "check.h"
#include "csum_ref.h"
#include "parse.h"
#include "pkt.h"
#include "synproxy.h"
#include "testrand.h"

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0, 2 };

/* TCP checksum over the pseudo-header and the segment, from scratch. */
static int tcp_csum_ok(const uint8_t *ip, int v6)
{
	uint32_t s, len;

	if (!v6) {
		uint32_t hl = (uint32_t)(ip[0] & 0xf) * 4;

		len = be16_get(ip + 2) - hl;
		s = ref_sum16(ip + 12, 8) + 6 + len + ref_sum16(ip + hl, len);
	} else {
		len = be16_get(ip + 4);
		s = ref_sum16(ip + 8, 32) + 6 + len + ref_sum16(ip + 40, len);
	}
	return ref_fold(s) == 0xffff;
}

/* An Ethernet + IP + TCP frame with `payload` bytes, correct checksums. */
static uint32_t frame(uint8_t *f, int v6, uint32_t seq, uint32_t ack,
		      uint8_t flags, uint32_t payload)
{
	uint8_t *ip = f + 14, *tcp;
	uint32_t ip_len = v6 ? 40 : 20, tcp_len = 20 + payload;
	uint16_t c;

	memset(f, 0, 14 + ip_len + tcp_len);
	memcpy(f, mac_a, 6);
	memcpy(f + 6, mac_b, 6);
	be16_put(f + 12, v6 ? 0x86dd : 0x0800);
	if (!v6) {
		ip[0] = 0x45;
		be16_put(ip + 2, (uint16_t)(20 + tcp_len));
		ip[8] = 64;
		ip[9] = 6;
		be32_put(ip + 12, 0xc0000201);
		be32_put(ip + 16, 0x0a010002);
		be16_put(ip + 10, ref_csum(ip, 20));
	} else {
		ip[0] = 0x60;
		be16_put(ip + 4, (uint16_t)tcp_len);
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0x20;
		ip[9] = 0x01;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
	}
	tcp = ip + ip_len;
	be16_put(tcp, 40000);
	be16_put(tcp + 2, 80);
	be32_put(tcp + 4, seq);
	be32_put(tcp + 8, ack);
	tcp[12] = 0x50;
	tcp[13] = flags;
	be16_put(tcp + 14, 1000);
	for (uint32_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(uint32_t)rng64();
	{
		uint32_t s = v6 ? ref_sum16(ip + 8, 32) : ref_sum16(ip + 12, 8);

		s += 6 + tcp_len + ref_sum16(tcp, tcp_len);
		c = (uint16_t)~ref_fold(s);
	}
	be16_put(tcp + 16, c);
	return 14 + ip_len + tcp_len;
}

static void test_translation(void)
{
	static const uint32_t edges[] = {
		0, 1, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu
	};
	uint8_t f[256];
	uint32_t bad = 0, n = 0;

	for (int v6 = 0; v6 <= 1; v6++) {
		uint8_t *tcp = f + 14 + (v6 ? 40 : 20);

		for (uint32_t i = 0; i < 3000; i++) {
			uint32_t seq =
				i < 36 ? edges[i % 6] : (uint32_t)rng64();
			uint32_t ack =
				i < 36 ? edges[i / 6] : (uint32_t)rng64();
			uint32_t delta =
				i < 36 ? edges[(i + 3) % 6] : (uint32_t)rng64();
			uint32_t pl = (uint32_t)rng64() % 100;

			frame(f, v6, seq, ack, SP_TH_ACK | (i & 1 ? 0x08 : 0),
			      pl);
			/* Client -> backend: ack + delta, seq as it was. */
			sp_to_backend(tcp, delta);
			bad += be32_get(tcp + 8) != ack + delta;
			bad += be32_get(tcp + 4) != seq;
			bad += !tcp_csum_ok(f + 14, v6);
			/* Backend -> client on the same bytes: seq - delta. */
			sp_to_client(tcp, delta);
			bad += be32_get(tcp + 4) != seq - delta;
			bad += !tcp_csum_ok(f + 14, v6);
			n++;
		}
	}
	CHECK_MSG(bad == 0, "%u wrong of %u translations", bad, n);

	/* Without ACK the acknowledgement number is not a number. */
	frame(f, 0, 5, 77, SP_TH_SYN, 0);
	sp_to_backend(f + 34, 1000);
	CHECK(be32_get(f + 34 + 8) == 77);
	CHECK(tcp_csum_ok(f + 14, 0));
	/* A delta of 0 changes nothing, checksum included. */
	frame(f, 0, 5, 77, SP_TH_ACK, 3);
	{
		uint8_t copy[256];

		memcpy(copy, f, sizeof(copy));
		sp_to_client(f + 34, 0);
		sp_to_backend(f + 34, 0);
		CHECK(memcmp(copy + 14, f + 14, 20 + 23) == 0 ||
		      tcp_csum_ok(f + 14, 0));
	}
}

static void test_segments(void)
{
	uint8_t f[128], a4[16] = { 10, 1, 0, 2 }, b4[16] = { 192, 0, 2, 1 };
	uint8_t a6[16] = { 0xfd, [15] = 2 }, b6[16] = { 0x20, 0x01, [15] = 1 };
	struct pkt_meta m;

	for (int v6 = 0; v6 <= 1; v6++) {
		struct sp_seg g = {
			.src = v6 ? a6 : a4,
			.dst = v6 ? b6 : b4,
			.sport = rte_cpu_to_be_16(80),
			.dport = rte_cpu_to_be_16(40000),
			.seq = 0xdeadbeef,
			.ack = 0x12345678,
			.flags = SP_TH_SYN | SP_TH_ACK,
			.window = 0,
			.mss = 1460,
		};
		uint32_t len, l4;

		memset(f, 0xee, sizeof(f));
		memcpy(f, mac_a, 6);
		memcpy(f + 6, mac_b, 6);
		be16_put(f + 12, v6 ? 0x86dd : 0x0800);
		len = sp_write_segment(f, 14, v6 ? EP_AF_INET6 : EP_AF_INET,
				       &g);
		l4 = 14 + (v6 ? 40 : 20);
		CHECK(len == (v6 ? 14 + 40 + 24u : 60u));
		CHECK(parse_frame(f, len, &m) == 0);
		CHECK(m.kind == PKT_L4 && m.key.proto == 6);
		CHECK(m.tcp_flags == (SP_TH_SYN | SP_TH_ACK));
		CHECK(memcmp(m.key.src, g.src, v6 ? 16 : 4) == 0);
		CHECK(memcmp(m.key.dst, g.dst, v6 ? 16 : 4) == 0);
		CHECK(be16_get(f + l4) == 80 && be16_get(f + l4 + 2) == 40000);
		CHECK(be32_get(f + l4 + 4) == 0xdeadbeef);
		CHECK(be32_get(f + l4 + 8) == 0x12345678);
		CHECK(f[l4 + 12] == 0x60 && be16_get(f + l4 + 14) == 0);
		CHECK(sp_syn_mss(f + l4, 24, m.family) == 1460);
		CHECK(tcp_csum_ok(f + 14, v6));
		if (!v6) {
			CHECK(ref_fold(ref_sum16(f + 14, 20)) == 0xffff);
			CHECK(f[14 + 8] == 64 && be16_get(f + 16) == 44);
			CHECK(f[58] == 0 && f[59] == 0); /* padding */
		}
		/* An ACK: no option, 20-byte header. */
		g.flags = SP_TH_ACK;
		g.mss = 0;
		g.window = 64240;
		len = sp_write_segment(f, 14, v6 ? EP_AF_INET6 : EP_AF_INET,
				       &g);
		CHECK(len == (v6 ? 14 + 40 + 20u : 60u));
		CHECK(parse_frame(f, len, &m) == 0 && m.tcp_flags == SP_TH_ACK);
		CHECK(f[l4 + 12] == 0x50 && be16_get(f + l4 + 14) == 64240);
		CHECK(tcp_csum_ok(f + 14, v6));
	}
}

static void test_mss(void)
{
	uint8_t t[60];

	memset(t, 0, sizeof(t));
	t[12] = 0x50; /* no options */
	CHECK(sp_syn_mss(t, 20, EP_AF_INET) == 536);
	CHECK(sp_syn_mss(t, 20, EP_AF_INET6) == 1220);
	/* NOP, NOP, SACK-permitted, MSS 1400, window scale. */
	t[12] = 0x80;
	memcpy(t + 20,
	       (const uint8_t[]){ 1, 1, 4, 2, 2, 4, 0x05, 0x78, 3, 3, 7, 0 },
	       12);
	CHECK(sp_syn_mss(t, 32, EP_AF_INET) == 1400);
	/* The header says more than the frame has: only what is there. */
	CHECK(sp_syn_mss(t, 26, EP_AF_INET) == 536);
	/* A zero-length option ends the walk (no endless loop). */
	t[22] = 9;
	t[23] = 0;
	CHECK(sp_syn_mss(t, 32, EP_AF_INET) == 536);
	/* An MSS option of the wrong length is not one. */
	memcpy(t + 20, (const uint8_t[]){ 2, 3, 5, 0, 0, 0, 0, 0 }, 8);
	CHECK(sp_syn_mss(t, 32, EP_AF_INET) == 536);
	/* End of options before the MSS. */
	memcpy(t + 20, (const uint8_t[]){ 0, 0, 2, 4, 5, 0xb4, 0, 0 }, 8);
	CHECK(sp_syn_mss(t, 32, EP_AF_INET6) == 1220);
}

int main(void)
{
	test_translation();
	test_segments();
	test_mss();
	return check_summary("synproxy");
}
