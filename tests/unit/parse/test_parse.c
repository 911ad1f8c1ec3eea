/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/parse.c. Frames are built byte by byte; a
 * fixture table {name, builder, expected result, expected kind} covers
 * every parser drop reason and every kind, then each good frame is
 * checked field by field, truncated at every length, padded, and mutated
 * at random (run under ASan/UBSan: every buffer is exactly its length).
 */
#include "parse_test.h"

#define RC(r) (-(int)EP_DROP_##r - 1)

static const char *const drop_names[] = {
#define X(sym, name) name,
	EP_DROP_REASONS(X)
#undef X
};

static const char *rc_name(int rc)
{
	if (rc == 0)
		return "ok";
	if (rc < 0 && -rc - 1 < (int)EP_DROP_MAX)
		return drop_names[-rc - 1];
	return "invalid";
}

typedef void (*build_fn)(struct pkt *f, int a);

struct fixture {
	const char *name;
	build_fn build;
	int arg;
	int rc;
	uint8_t kind; /* when rc == 0 */
};

static const struct fixture fixtures[] = {
	/* good frames, every kind */
	{ "tcp4", b_tcp4, 0, 0, PKT_L4 },
	{ "tcp4 vlan", b_tcp4, 1, 0, PKT_L4 },
	{ "tcp4 qinq", b_tcp4, 2, 0, PKT_L4 },
	{ "tcp4 ip options", b_tcp4_opts, 3, 0, PKT_L4 },
	{ "tcp4 max ip options", b_tcp4_opts, 10, 0, PKT_L4 },
	{ "udp4", b_udp4, 0, 0, PKT_L4 },
	{ "udp4 padded", b_udp4, 20, 0, PKT_L4 },
	{ "tcp6", b_tcp6, 0, 0, PKT_L4 },
	{ "tcp6 qinq", b_tcp6, 2, 0, PKT_L4 },
	{ "udp6 padded", b_udp6, 9, 0, PKT_L4 },
	{ "udp6 1 ext", b_ext6, 1, 0, PKT_L4 },
	{ "udp6 2 ext", b_ext6, 2, 0, PKT_L4 },
	{ "udp6 4 ext", b_ext6, 4, 0, PKT_L4 },
	{ "other ethertype", b_other, 0, 0, PKT_OTHER },
	{ "other ipv4 gre", b_other, 1, 0, PKT_OTHER },
	{ "other ipv6 esp", b_other, 2, 0, PKT_OTHER },
	{ "other ipv6 no next", b_other, 3, 0, PKT_OTHER },
	{ "echo4", b_echo, 0, 0, PKT_ICMP },
	{ "echo6", b_echo, 1, 0, PKT_ICMP },
	{ "icmp4 unreach tcp", b_err4, 0, 0, PKT_ICMP_ERR },
	{ "icmp4 ttl udp", b_err4, 1, 0, PKT_ICMP_ERR },
	{ "icmp4 param first frag", b_err4, 2, 0, PKT_ICMP_ERR },
	{ "icmp6 too big tcp", b_err6, 0, 0, PKT_ICMP_ERR },
	{ "icmp6 unreach ext udp", b_err6, 1, 0, PKT_ICMP_ERR },
	{ "icmp6 ttl tcp", b_err6, 2, 0, PKT_ICMP_ERR },
	{ "icmp6 param udp", b_err6, 3, 0, PKT_ICMP_ERR },
	{ "arp request", b_arp, 1, 0, PKT_ARP },
	{ "arp reply", b_arp, 2, 0, PKT_ARP },
	{ "ns sllao", b_nd, 0, 0, PKT_ND_NS },
	{ "ns no option", b_nd, 1, 0, PKT_ND_NS },
	{ "ns nonce sllao", b_nd, 2, 0, PKT_ND_NS },
	{ "na tllao", b_nd, 3, 0, PKT_ND_NA },
	{ "na sllao only", b_nd, 4, 0, PKT_ND_NA },
	{ "ns hop limit 64", b_nd, 5, 0, PKT_OTHER },
	{ "ns code 1", b_nd, 10, 0, PKT_OTHER },
	{ "ip4 src 0.0.0.0", b_ip4_bad, 12, 0, PKT_L4 },
	{ "ip4 src class E", b_ip4_bad, 13, 0, PKT_L4 },
	{ "ip4 dst multicast", b_ip4_bad, 14, 0, PKT_L4 },
	{ "udp len short of ip", b_l4_bad, 7, 0, PKT_L4 },
	{ "tcp doff 15", b_l4_bad, 8, 0, PKT_L4 },
	/* every parser drop reason */
	{ "eth 13 bytes", b_bad_l2, 0, RC(ETH_TRUNC), 0 },
	{ "vlan cut", b_bad_l2, 1, RC(VLAN_TRUNC), 0 },
	{ "second vlan cut", b_bad_l2, 3, RC(VLAN_TRUNC), 0 },
	{ "three vlans", b_bad_l2, 2, RC(VLAN_TOO_MANY), 0 },
	{ "arp 7 bytes", b_arp_short, 0, RC(ARP_TRUNC), 0 },
	{ "arp 20 bytes", b_arp_short, 1, RC(ARP_TRUNC), 0 },
	{ "arp htype", b_arp, 16, RC(ARP_BAD), 0 },
	{ "arp ptype", b_arp, 17, RC(ARP_BAD), 0 },
	{ "arp hlen", b_arp, 18, RC(ARP_BAD), 0 },
	{ "arp plen", b_arp, 19, RC(ARP_BAD), 0 },
	{ "arp op", b_arp, 20, RC(ARP_BAD), 0 },
	{ "ip4 19 bytes", b_ip4_bad, 0, RC(IP4_TRUNC), 0 },
	{ "ip4 version", b_ip4_bad, 1, RC(IP4_BAD_VERSION), 0 },
	{ "ip4 ihl 4", b_ip4_bad, 2, RC(IP4_BAD_IHL), 0 },
	{ "ip4 options cut", b_ip4_bad, 3, RC(IP4_TRUNC), 0 },
	{ "ip4 len < ihl", b_ip4_bad, 4, RC(IP4_BAD_LEN), 0 },
	{ "ip4 len > frame", b_ip4_bad, 5, RC(IP4_BAD_LEN), 0 },
	{ "ip4 checksum", b_ip4_bad, 6, RC(IP4_BAD_CSUM), 0 },
	{ "ip4 src multicast", b_ip4_bad, 7, RC(IP4_BAD_ADDR), 0 },
	{ "ip4 src 239/8", b_ip4_bad, 8, RC(IP4_BAD_ADDR), 0 },
	{ "ip4 src broadcast", b_ip4_bad, 9, RC(IP4_BAD_ADDR), 0 },
	{ "ip4 more fragments", b_ip4_bad, 10, RC(IP_FRAGMENT), 0 },
	{ "ip4 frag offset", b_ip4_bad, 11, RC(IP_FRAGMENT), 0 },
	{ "ip6 39 bytes", b_ip6_bad, 0, RC(IP6_TRUNC), 0 },
	{ "ip6 version", b_ip6_bad, 1, RC(IP6_BAD_VERSION), 0 },
	{ "ip6 payload len", b_ip6_bad, 2, RC(IP6_BAD_LEN), 0 },
	{ "ip6 ext too long", b_ip6_bad, 3, RC(IP6_EXT_TRUNC), 0 },
	{ "ip6 ext 1 byte", b_ip6_bad, 4, RC(IP6_EXT_TRUNC), 0 },
	{ "ip6 5 ext", b_ip6_bad, 5, RC(IP6_EXT_CHAIN), 0 },
	{ "ip6 fragment", b_ip6_bad, 6, RC(IP_FRAGMENT), 0 },
	{ "ip6 hbh fragment", b_ip6_bad, 7, RC(IP_FRAGMENT), 0 },
	{ "ip6 4 ext fragment", b_ip6_bad, 8, RC(IP_FRAGMENT), 0 },
	{ "tcp4 19 bytes", b_l4_bad, 0, RC(TCP_TRUNC), 0 },
	{ "tcp6 19 bytes", b_l4_bad, 1, RC(TCP_TRUNC), 0 },
	{ "tcp doff 4", b_l4_bad, 2, RC(TCP_BAD_OFF), 0 },
	{ "tcp doff past end", b_l4_bad, 3, RC(TCP_BAD_OFF), 0 },
	{ "udp 7 bytes", b_l4_bad, 4, RC(UDP_TRUNC), 0 },
	{ "udp len 7", b_l4_bad, 5, RC(UDP_BAD_LEN), 0 },
	{ "udp len past end", b_l4_bad, 6, RC(UDP_BAD_LEN), 0 },
	{ "icmp4 7 bytes", b_icmp_short, 0, RC(ICMP_TRUNC), 0 },
	{ "icmp6 7 bytes", b_icmp_short, 1, RC(ICMP_TRUNC), 0 },
	{ "ns too short", b_nd, 9, RC(ICMP_TRUNC), 0 },
	{ "ns option past end", b_nd, 7, RC(ICMP_TRUNC), 0 },
	{ "ns stray byte", b_nd, 8, RC(ICMP_TRUNC), 0 },
	{ "ns option len 0", b_nd, 6, RC(ICMP_INNER_BAD), 0 },
	{ "icmp4 inner l4 7", b_err4, 3, RC(ICMP_INNER_BAD), 0 },
	{ "icmp4 inner icmp", b_err4, 4, RC(ICMP_INNER_BAD), 0 },
	{ "icmp4 inner ipv6", b_err4, 5, RC(ICMP_INNER_BAD), 0 },
	{ "icmp4 inner frag", b_err4, 6, RC(ICMP_INNER_BAD), 0 },
	{ "icmp4 inner ihl 4", b_err4, 7, RC(ICMP_INNER_BAD), 0 },
	{ "icmp4 inner no l4", b_err4, 8, RC(ICMP_INNER_BAD), 0 },
	{ "icmp6 inner l4 7", b_err6, 4, RC(ICMP_INNER_BAD), 0 },
	{ "icmp6 inner frag", b_err6, 5, RC(ICMP_INNER_BAD), 0 },
	{ "icmp6 inner ipv4", b_err6, 6, RC(ICMP_INNER_BAD), 0 },
	{ "icmp6 inner icmp6", b_err6, 7, RC(ICMP_INNER_BAD), 0 },
};

#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static void build(const struct fixture *fx, struct pkt *f)
{
	memset(f, 0, sizeof(*f));
	fx->build(f, fx->arg);
}

/* Parse `len` bytes from a heap copy of exactly that size (for ASan). */
static int parse_exact(const uint8_t *p, uint32_t len, struct pkt_meta *m)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, p, len);
	rc = parse_frame(copy, len, m);
	free(copy);
	return rc;
}

/* What must hold for any successful parse. */
static int meta_sane(const struct pkt_meta *m, uint32_t len)
{
	const uint8_t zero[12] = { 0 };
	int ok = m->frame_len <= len && m->l3_off <= m->frame_len &&
		 m->l4_off <= m->frame_len &&
		 m->l3_off + m->l3_len == m->frame_len &&
		 m->n_vlans <= PARSE_MAX_VLANS && m->key.zero == 0 &&
		 m->kind <= PKT_ND_NA;

	if (m->l4_off != 0)
		ok = ok && m->l4_off >= m->l3_off;
	if (m->family == EP_AF_INET)
		ok = ok && memcmp(m->key.src + 4, zero, 12) == 0 &&
		     memcmp(m->key.dst + 4, zero, 12) == 0;
	if (m->family != 0)
		ok = ok && m->key.family == m->family;
	return ok;
}

static void test_fixtures(void)
{
	unsigned int reasons_seen[EP_DROP_MAX] = { 0 };
	unsigned int kinds_seen[PKT_ND_NA + 1] = { 0 };
	struct pkt_meta m;
	struct pkt f;
	unsigned int i;

	for (i = 0; i < N_FIXTURES; i++) {
		const struct fixture *fx = &fixtures[i];
		int rc;

		build(fx, &f);
		rc = parse_exact(f.b, f.len, &m);
		CHECK_MSG(rc == fx->rc, "%s: want %s, got %s", fx->name,
			  rc_name(fx->rc), rc_name(rc));
		if (rc == 0 && fx->rc == 0) {
			CHECK_MSG(m.kind == fx->kind, "%s: kind %u, want %u",
				  fx->name, m.kind, fx->kind);
			CHECK_MSG(meta_sane(&m, f.len), "%s", fx->name);
			kinds_seen[m.kind]++;
		}
		if (rc < 0 && rc == fx->rc)
			reasons_seen[parse_drop_reason(rc)]++;
	}
	/* The table covers every parser reason and every kind. */
	for (i = 0; i <= EP_DROP_ICMP_INNER_BAD; i++)
		CHECK_MSG(reasons_seen[i] > 0, "no fixture for %s",
			  drop_names[i]);
	for (i = 0; i <= PKT_ND_NA; i++)
		CHECK_MSG(kinds_seen[i] > 0, "no fixture for kind %u", i);
}

static void expect_key(const struct pkt_meta *m, const uint8_t *src,
		       const uint8_t *dst, unsigned int alen,
		       unsigned int sport, unsigned int dport,
		       unsigned int proto, const char *what)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.src, src, alen);
	memcpy(k.dst, dst, alen);
	k.sport = htons((uint16_t)sport);
	k.dport = htons((uint16_t)dport);
	k.proto = (uint8_t)proto;
	k.family = alen == 4 ? EP_AF_INET : EP_AF_INET6;
	CHECK_MSG(memcmp(&k, &m->key, sizeof(k)) == 0, "%s: key", what);
}

static int parse_built(build_fn fn, int a, struct pkt *f, struct pkt_meta *m)
{
	memset(f, 0, sizeof(*f));
	fn(f, a);
	return parse_exact(f->b, f->len, m);
}

static void test_l4_fields(void)
{
	struct pkt_meta m;
	struct pkt f;
	int t;

	for (t = 0; t <= 2; t++) {
		CHECK(parse_built(b_tcp4, t, &f, &m) == 0);
		CHECK(m.n_vlans == t);
		CHECK(m.l3_off == 14 + 4 * t);
		CHECK(m.l4_off == m.l3_off + 20);
		CHECK(m.l3_len == 40 && m.frame_len == f.len);
		CHECK(m.family == EP_AF_INET && m.l4_proto == IPPROTO_TCP);
		CHECK(m.tcp_flags == TH_SYN);
		expect_key(&m, c4, v4, 4, CPORT, VPORT, IPPROTO_TCP, "tcp4");
	}
	CHECK(parse_built(b_tcp4_opts, 3, &f, &m) == 0);
	CHECK(m.l4_off == 14 + 32);
	CHECK(m.tcp_flags == (TH_SYN | TH_ACK));
	expect_key(&m, c4, v4, 4, CPORT, VPORT, IPPROTO_TCP, "ip options");

	CHECK(parse_built(b_udp4, 0, &f, &m) == 0);
	CHECK(m.l4_proto == IPPROTO_UDP && m.tcp_flags == 0);
	expect_key(&m, c4, v4, 4, CPORT, 53, IPPROTO_UDP, "udp4");

	CHECK(parse_built(b_tcp6, 2, &f, &m) == 0);
	CHECK(m.n_vlans == 2 && m.l3_off == 22 && m.l4_off == 62);
	CHECK(m.family == EP_AF_INET6 && m.l3_len == 60);
	CHECK(m.tcp_flags == TH_ACK);
	expect_key(&m, c6, v6, 16, CPORT, VPORT, IPPROTO_TCP, "tcp6");

	/* two extension headers: 8 + 16 bytes */
	CHECK(parse_built(b_ext6, 2, &f, &m) == 0);
	CHECK(m.l4_off == 14 + 40 + 8 + 16);
	CHECK(m.l4_proto == IPPROTO_UDP);
	expect_key(&m, c6, v6, 16, CPORT, VPORT, IPPROTO_UDP, "ext6");
}

/* Padding is neither parsed nor hashed: the meta is byte-identical. */
static void test_padding(void)
{
	struct pkt_meta a, b;
	struct pkt f;

	CHECK(parse_built(b_udp4, 0, &f, &a) == 0);
	CHECK(parse_built(b_udp4, 20, &f, &b) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	CHECK(b.frame_len == f.len - 20);
	CHECK(parse_built(b_udp6, 0, &f, &a) == 0);
	CHECK(parse_built(b_udp6, 9, &f, &b) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	CHECK(b.frame_len == f.len - 9);
	/* padding with a different content changes nothing either */
	memset(f.b + f.len - 9, 0x00, 9);
	CHECK(parse_frame(f.b, f.len, &a) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
}

static void test_other_fields(void)
{
	struct pkt_meta m;
	struct pkt f;

	CHECK(parse_built(b_other, 0, &f, &m) == 0);
	CHECK(m.family == 0 && m.l3_off == 14 && m.l4_off == 0);
	CHECK(m.frame_len == f.len);
	CHECK(parse_built(b_other, 1, &f, &m) == 0);
	CHECK(m.family == EP_AF_INET && m.l4_proto == 47);
	expect_key(&m, c4, v4, 4, 0, 0, 47, "gre");
	CHECK(parse_built(b_other, 2, &f, &m) == 0);
	CHECK(m.l4_proto == 50 && m.l4_off == 14 + 40 + 8 + 16);
	expect_key(&m, c6, v6, 16, 0, 0, 50, "esp");
	CHECK(parse_built(b_other, 3, &f, &m) == 0);
	CHECK(m.l4_proto == IPPROTO_NONE);
}

static void test_icmp_fields(void)
{
	struct pkt_meta m;
	struct pkt f;
	int a;

	CHECK(parse_built(b_echo, 0, &f, &m) == 0);
	CHECK(m.l4_proto == IPPROTO_ICMP && m.l4_off == 34);
	expect_key(&m, c4, v4, 4, 0, 0, IPPROTO_ICMP, "echo4");
	CHECK(parse_built(b_echo, 1, &f, &m) == 0);
	CHECK(m.l4_proto == IPPROTO_ICMPV6);
	expect_key(&m, c6, v6, 16, 0, 0, IPPROTO_ICMPV6, "echo6");

	/* errors: the key is the client -> VIP flow the quote belongs to */
	for (a = 0; a <= 2; a++) {
		unsigned int p = a == 1 ? IPPROTO_UDP : IPPROTO_TCP;

		CHECK(parse_built(b_err4, a, &f, &m) == 0);
		CHECK(m.kind == PKT_ICMP_ERR);
		CHECK(m.l4_proto == IPPROTO_ICMP && m.l4_off == 34);
		CHECK(m.frame_len == f.len);
		expect_key(&m, c4, v4, 4, CPORT, VPORT, p, "err4");
	}
	for (a = 0; a <= 3; a++) {
		unsigned int p = a & 1 ? IPPROTO_UDP : IPPROTO_TCP;

		CHECK(parse_built(b_err6, a, &f, &m) == 0);
		CHECK(m.kind == PKT_ICMP_ERR);
		CHECK(m.l4_proto == IPPROTO_ICMPV6 && m.l4_off == 54);
		expect_key(&m, c6, v6, 16, CPORT, VPORT, p, "err6");
	}
}

static void test_arp_fields(void)
{
	struct pkt_meta m;
	struct pkt f;
	uint8_t ip16[16] = { 0 };
	int op;

	for (op = 1; op <= 2; op++) {
		CHECK(parse_built(b_arp, op, &f, &m) == 0);
		CHECK(m.kind == PKT_ARP && m.arp_op == op);
		CHECK(m.l3_off == 14 && m.l3_len == 28 && m.frame_len == 42);
		CHECK(m.l4_off == 0 && m.family == 0);
		CHECK(memcmp(m.sender_mac, ll_mac, 6) == 0);
		memcpy(ip16, c4, 4);
		CHECK(memcmp(m.sender_ip, ip16, 16) == 0);
		memcpy(ip16, v4, 4);
		CHECK(memcmp(m.target_ip, ip16, 16) == 0);
	}
}

static void test_nd_fields(void)
{
	static const uint8_t nomac[6] = { 0 };
	struct pkt_meta m;
	struct pkt f;
	int a;

	for (a = 0; a <= 4; a++) {
		int with_mac = a != 1 && a != 4;

		CHECK(parse_built(b_nd, a, &f, &m) == 0);
		CHECK(m.kind == (a == 3 || a == 4 ? PKT_ND_NA : PKT_ND_NS));
		CHECK(memcmp(m.target_ip, v6, 16) == 0);
		CHECK(memcmp(m.sender_ip, c6, 16) == 0);
		CHECK_MSG(m.nd_has_lladdr == with_mac, "nd variant %d", a);
		CHECK(memcmp(m.sender_mac, with_mac ? ll_mac : nomac, 6) == 0);
		CHECK(m.l4_proto == IPPROTO_ICMPV6 && m.family == EP_AF_INET6);
	}
}

/*
 * Every good frame cut at every shorter length: never a crash or an
 * over-read (ASan), and never a parse that claims bytes it was not given.
 * IP and ARP frames cut inside their datagram must fail; cut inside the
 * padding they must parse exactly as before.
 */
static void test_truncation(void)
{
	struct pkt_meta full, m;
	struct pkt f;
	unsigned int i;
	uint32_t cut;

	for (i = 0; i < N_FIXTURES; i++) {
		const struct fixture *fx = &fixtures[i];
		int l2_other;

		if (fx->rc != 0)
			continue;
		build(fx, &f);
		if (parse_exact(f.b, f.len, &full) != 0)
			continue; /* reported by test_fixtures */
		l2_other = full.family == 0 && full.kind == PKT_OTHER;
		for (cut = 0; cut < f.len; cut++) {
			int rc = parse_exact(f.b, cut, &m);

			if (rc == 0)
				CHECK_MSG(meta_sane(&m, cut), "%s cut %u",
					  fx->name, cut);
			if (cut >= full.frame_len)
				CHECK_MSG(rc == 0 && memcmp(&m, &full,
							    sizeof(m)) == 0,
					  "%s: cut %u in padding", fx->name,
					  cut);
			else if (!l2_other)
				CHECK_MSG(rc < 0, "%s: cut %u parsed as %s",
					  fx->name, cut, rc_name(rc));
			else
				CHECK(rc == (cut < 14 ? RC(ETH_TRUNC) : 0));
		}
	}
}

/* Random corruption of every fixture: the parser only ever says yes
   with a sane meta, or gives a parser drop reason. */
static void test_mutation(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;
	struct pkt_meta m;
	struct pkt f;
	unsigned int i, n, bad = 0;

	for (i = 0; i < N_FIXTURES; i++) {
		for (n = 0; n < 300; n++) {
			unsigned int flips, k;
			int rc;

			build(&fixtures[i], &f);
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			flips = 1 + (unsigned int)(s >> 60) % 4;
			for (k = 0; k < flips; k++) {
				s = s * 6364136223846793005ull + 1;
				f.b[(s >> 33) % f.len] ^= (uint8_t)(s >> 20);
			}
			rc = parse_exact(f.b, f.len, &m);
			if (rc == 0 ? !meta_sane(&m, f.len)
				    : rc < RC(ICMP_INNER_BAD) || rc > 0)
				bad++;
		}
	}
	CHECK_MSG(bad == 0, "%u mutated frames broke an invariant", bad);
}

/* More than 65535 bytes: only the first 65535 are a frame. */
static void test_huge(void)
{
	uint32_t len = 70000;
	uint8_t *buf = calloc(1, len);
	struct pkt_meta m;
	struct pkt f;

	memset(&f, 0, sizeof(f));
	b_udp4(&f, 0);
	memcpy(buf, f.b, f.len);
	CHECK(parse_frame(buf, len, &m) == 0 && m.frame_len == f.len);
	memset(&f, 0, sizeof(f));
	b_other(&f, 0);
	memcpy(buf, f.b, f.len);
	CHECK(parse_frame(buf, len, &m) == 0 && m.frame_len == 65535);
	free(buf);
}

/*
 * The parser sums the IPv4 header as 32-bit words (csum_ip4_hdr_ok): on
 * random headers of every length it agrees with the plain RFC 1071 sum of
 * 16-bit words, for correct checksums (fixed up), wrong ones and the
 * carry-heavy all-0xff case.
 */
static void test_ip4_csum_words(void)
{
	uint8_t h[60];
	unsigned int i, agree = 0, good = 0, n = 0;

	for (i = 0; i < 30000; i++) {
		uint32_t hlen = 20 + 4 * (i % 11);
		uint16_t c;

		if (i % 97 == 0)
			memset(h, 0xff, sizeof(h));
		else
			rng_bytes(h, sizeof(h));
		if (i & 1) {
			/* make it right: the sum with the field zeroed */
			h[10] = h[11] = 0;
			c = (uint16_t)~csum_raw(h, hlen);
			memcpy(h + 10, &c, 2);
		}
		agree += csum_ip4_hdr_ok(h, hlen) ==
			 (csum_raw(h, hlen) == 0xffffu);
		good += (i & 1) && csum_ip4_hdr_ok(h, hlen);
		n++;
	}
	CHECK_MSG(agree == n, "%u of %u headers judged differently", n - agree,
		  n);
	CHECK(good == n / 2);
	memset(h, 0, sizeof(h));
	CHECK(!csum_ip4_hdr_ok(h, 20)); /* all zero is not a valid sum */
}

int main(void)
{
	test_fixtures();
	test_l4_fields();
	test_padding();
	test_other_fields();
	test_icmp_fields();
	test_arp_fields();
	test_nd_fields();
	test_truncation();
	test_mutation();
	test_huge();
	test_ip4_csum_words();
	return check_summary("parse");
}
