/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixture tests for bpf/xdp_steer.bpf.c and bpf/xdp_decap.bpf.c: tables of
 * {description, input frame, expected verdict, expected output frame,
 * expected counter changes} run through BPF_PROG_TEST_RUN against the
 * same objects edgepath-xdp loads. Needs root; exits 77 (skip) otherwise.
 *
 * How a steer "redirect" is proven: bpf_redirect_map() on an XSKMAP slot
 * with no socket returns the fallback action from its flags (XDP_PASS),
 * and test_run reports exactly that. So every steer fixture runs twice:
 * first with an empty `xsks` map (a VIP frame must come back XDP_PASS and
 * count vip_hit/addr_hit + no_xsk, never passed), then with a real AF_XDP
 * socket in slot 0, the queue test_run reports, where the kernel returns
 * XDP_REDIRECT and the program counts redirected. Non-live test_run
 * stops at the verdict: no frame reaches the socket, and none needs to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "csum_ref.h"
#include "ep_xdp.h"
#include "pkt.h"
#include "xdp_decap.skel.h"
#include "xdp_steer.skel.h"

#define ETH_P_LLDP_ 0x88cc
#define IP_MF_ 0x2000

/* ------------------------------------------------------------------ */
/* Frame builder (appending through tests/lib/pkt.h)                    */

enum encap {
	ENC_NONE,
	ENC_IP, /* IPIP / 6in4 / IP6IP6 / 4in6, by the two families */
	ENC_GUE, /* outer IP + UDP to the GUE port */
};

/*
 * A frame described by what matters to the programs. Zero fields take
 * the ordinary value, so a row only says what makes it special.
 */
struct spec {
	int vlans; /* tags; the outer one is 802.1ad when two or more */
	uint16_t ethertype; /* 0 = from the address family of dst */
	const char *src, *dst; /* IPv4 or IPv6 text */
	uint8_t proto; /* L4 protocol / IPv6 next header (0 = hop-by-hop) */
	uint16_t sport, dport;
	uint8_t ihl; /* IPv4 IHL field, 0 = 5; > 5 adds NOP options */
	uint8_t version; /* IP version field, 0 = the right one */
	uint16_t frag; /* IPv4 frag_off, host order */
	int len_lie; /* added to IPv4 tot_len / IPv6 payload_len */
	int udp_len_lie; /* added to the UDP length */
	int l4_short; /* L4 header only this long, lengths agree; 0 = whole */
	uint8_t tcp_doff; /* 0 = 5 */
	uint16_t arp_op, arp_hrd; /* 0 = request, Ethernet */
	const char *target; /* ARP target / ND target */
	uint8_t icmp6_type;
	size_t payload; /* bytes after the L4 header: 0, 1, 2, ... */
	size_t inner_cut; /* encapsulated packet cut to this before wrapping */
	size_t cut; /* whole frame cut to this length; 0 = whole */
	/* Outer headers (decap fixtures). */
	enum encap encap;
	const char *osrc, *odst;
	uint8_t oproto; /* outer protocol / next header, 0 = the right one */
	uint8_t oihl;
	uint16_t ofrag;
	uint16_t gue_port; /* 0 = EP_XDP_GUE_PORT_DEFAULT */
};

/* Returns 4 or 6 and the address bytes; exits on a bad fixture. */
static int addr(const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, text, out) == 1)
		return 6;
	fprintf(stderr, "test_xdp: bad fixture address '%s'\n", text);
	exit(1);
}

/* IPv4 header; tot_len and checksum filled in by ip4_finish(). */
static void put_ip4(struct pkt *p, int version, int ihl, uint16_t frag,
		    uint8_t proto, const uint8_t *src, const uint8_t *dst)
{
	int words = ihl < 5 ? 5 : ihl;

	pkt_put8(p, (uint8_t)((version ? version : 4) << 4 | (ihl & 0xf)));
	pkt_put8(p, 0);
	pkt_put16(p, 0);
	pkt_put16(p, 1);
	pkt_put16(p, frag);
	pkt_put8(p, 64);
	pkt_put8(p, proto);
	pkt_put16(p, 0);
	pkt_put(p, src, 4);
	pkt_put(p, dst, 4);
	for (int i = 5; i < words; i++)
		pkt_put32(p, 0x01010101); /* NOP options */
}

static void ip4_finish(struct pkt *p, size_t l3, int len_lie)
{
	size_t hlen = (size_t)(p->b[l3] & 0xf) * 4;

	if (hlen < 20)
		hlen = 20;
	pkt_set16(p, l3 + 2, (uint16_t)((int)(p->len - l3) + len_lie));
	pkt_set16(p, l3 + 10, ref_csum(p->b + l3, hlen));
}

static void put_ip6(struct pkt *p, int version, uint8_t nexthdr,
		    const uint8_t *src, const uint8_t *dst)
{
	pkt_put32(p, (uint32_t)(version ? version : 6) << 28);
	pkt_put16(p, 0); /* payload length: ip6_finish() */
	pkt_put8(p, nexthdr);
	pkt_put8(p, 64);
	pkt_put(p, src, 16);
	pkt_put(p, dst, 16);
}

static void ip6_finish(struct pkt *p, size_t l3, int len_lie)
{
	pkt_set16(p, l3 + 4, (uint16_t)((int)(p->len - l3 - 40) + len_lie));
}

/* The L4 header of s (possibly cut to l4_short) and its payload. */
static void put_l4(struct pkt *p, const struct spec *s, uint8_t proto)
{
	size_t l4 = p->len, whole;
	uint8_t tgt[16];

	switch (proto) {
	case IPPROTO_TCP:
		pkt_put16(p, s->sport ? s->sport : 12345);
		pkt_put16(p, s->dport);
		pkt_put32(p, 1); /* seq */
		pkt_put32(p, 0);
		pkt_put8(p, (uint8_t)((s->tcp_doff ? s->tcp_doff : 5) << 4));
		pkt_put8(p, 0x02); /* SYN */
		pkt_put16(p, 0xffff);
		pkt_put16(p, 0);
		pkt_put16(p, 0);
		break;
	case IPPROTO_UDP:
		pkt_put16(p, s->sport ? s->sport : 12345);
		pkt_put16(p, s->dport);
		pkt_put16(p, 0); /* length: below */
		pkt_put16(p, 0);
		break;
	case IPPROTO_ICMPV6:
		pkt_put8(p, s->icmp6_type);
		pkt_put8(p, 0);
		pkt_put16(p, 0);
		pkt_put32(p, 0);
		if (s->icmp6_type == 135) {
			addr(s->target, tgt);
			pkt_put(p, tgt, 16);
		}
		break;
	default:
		break;
	}
	whole = p->len - l4;
	if (s->l4_short && (size_t)s->l4_short < whole)
		p->len = l4 + (size_t)s->l4_short;
	for (size_t i = 0; i < s->payload; i++)
		pkt_put8(p, (uint8_t)i);
	if (proto == IPPROTO_UDP && p->len - l4 >= 8)
		pkt_set16(p, l4 + 4,
			  (uint16_t)((int)(p->len - l4) + s->udp_len_lie));
}

/* The packet from L3 on, without any outer header. */
static void build_l3(const struct spec *s, struct pkt *p)
{
	uint8_t src[16], dst[16];
	size_t l3 = p->len;

	if (s->ethertype == ETH_P_ARP) {
		uint8_t mac[ETH_ALEN] = { 2, 0, 0, 0, 0, 2 };
		uint8_t zero[ETH_ALEN] = { 0 };

		addr(s->src, src);
		addr(s->target, dst);
		pkt_put16(p, s->arp_hrd ? s->arp_hrd : 1);
		pkt_put16(p, ETH_P_IP);
		pkt_put8(p, ETH_ALEN);
		pkt_put8(p, 4);
		pkt_put16(p, s->arp_op ? s->arp_op : 1);
		pkt_put(p, mac, ETH_ALEN);
		pkt_put(p, src, 4);
		pkt_put(p, zero, ETH_ALEN);
		pkt_put(p, dst, 4);
		for (size_t i = 0; i < s->payload; i++)
			pkt_put8(p, 0);
		return;
	}
	if (s->ethertype) { /* something that is not IP: payload only */
		for (size_t i = 0; i < s->payload; i++)
			pkt_put8(p, (uint8_t)i);
		return;
	}
	if (addr(s->dst, dst) == 4) {
		addr(s->src, src);
		put_ip4(p, s->version, s->ihl ? s->ihl : 5, s->frag, s->proto,
			src, dst);
		put_l4(p, s, s->proto);
		ip4_finish(p, l3, s->len_lie);
	} else {
		addr(s->src, src);
		put_ip6(p, s->version, s->proto, src, dst);
		if (s->proto == 0) { /* hop-by-hop: PadN, then TCP */
			pkt_put8(p, IPPROTO_TCP);
			pkt_put8(p, 0);
			pkt_put16(p, 0x0104);
			pkt_put32(p, 0);
		}
		put_l4(p, s, s->proto ? s->proto : IPPROTO_TCP);
		ip6_finish(p, l3, s->len_lie);
	}
}

static uint16_t l3_type(const struct spec *s)
{
	uint8_t a[16];

	if (s->ethertype)
		return s->ethertype;
	return addr(s->dst, a) == 4 ? ETH_P_IP : ETH_P_IPV6;
}

static void put_l2(const struct spec *s, struct pkt *p, uint16_t type)
{
	static const uint8_t dmac[ETH_ALEN] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t smac[ETH_ALEN] = { 2, 0, 0, 0, 0, 2 };

	pkt_put(p, dmac, ETH_ALEN);
	pkt_put(p, smac, ETH_ALEN);
	for (int i = 0; i < s->vlans; i++) {
		pkt_put16(p,
			  i == 0 && s->vlans > 1 ? ETH_P_8021AD : ETH_P_8021Q);
		pkt_put16(p, (uint16_t)(100 + i)); /* TCI: VLAN id */
	}
	pkt_put16(p, type);
}

/*
 * Builds the frame for s. With outer, wraps the packet in the outer
 * headers of s->encap; without, gives what decap must leave behind.
 */
static void build(const struct spec *s, struct pkt *p, bool outer)
{
	uint8_t osrc[16], odst[16];
	struct pkt in = { .len = 0 };
	uint16_t itype = l3_type(s);
	uint8_t oproto;
	size_t l3;
	int ofam;

	p->len = 0;
	build_l3(s, &in);
	if (!outer || s->encap == ENC_NONE) {
		put_l2(s, p, itype);
		pkt_put(p, in.b, in.len);
		goto cut;
	}
	if (s->inner_cut && s->inner_cut < in.len)
		in.len = s->inner_cut;
	ofam = addr(s->odst, odst);
	addr(s->osrc, osrc);
	if (s->oproto)
		oproto = s->oproto;
	else if (s->encap == ENC_GUE)
		oproto = IPPROTO_UDP;
	else
		oproto = itype == ETH_P_IP ? IPPROTO_IPIP : IPPROTO_IPV6;
	put_l2(s, p, ofam == 4 ? ETH_P_IP : ETH_P_IPV6);
	l3 = p->len;
	if (ofam == 4)
		put_ip4(p, 0, s->oihl ? s->oihl : 5, s->ofrag, oproto, osrc,
			odst);
	else
		put_ip6(p, 0, oproto, osrc, odst);
	if (s->encap == ENC_GUE) {
		pkt_put16(p, 40000);
		pkt_put16(p,
			  s->gue_port ? s->gue_port : EP_XDP_GUE_PORT_DEFAULT);
		pkt_put16(p, (uint16_t)(8 + in.len));
		pkt_put16(p, 0);
	}
	pkt_put(p, in.b, in.len);
	if (ofam == 4)
		ip4_finish(p, l3, 0);
	else
		ip6_finish(p, l3, 0);
cut:
	if (s->cut && s->cut < p->len)
		p->len = s->cut;
}

/* ------------------------------------------------------------------ */
/* Running a program                                                    */

static int ncpus;

/* Sums the one-entry per-CPU counter array of a program. */
static void read_stats(struct bpf_map *map, uint64_t *sum, unsigned int n)
{
	size_t size = (size_t)ncpus * n * sizeof(uint64_t);
	uint64_t *vals = calloc(1, size);
	uint32_t zero = 0;
	int err = vals ? bpf_map__lookup_elem(map, &zero, sizeof(zero), vals,
					      size, 0)
		       : -ENOMEM;

	CHECK_MSG(err == 0, "reading counters: %s", strerror(-err));
	memset(sum, 0, n * sizeof(*sum));
	for (int c = 0; !err && c < ncpus; c++)
		for (unsigned int i = 0; i < n; i++)
			sum[i] += vals[(size_t)c * n + i];
	free(vals);
}

/* One test_run; returns the verdict or -1 (already reported). */
static int run(int prog_fd, const struct pkt *in, struct pkt *out,
	       const char *desc)
{
	/* Not LIBBPF_OPTS(): it is a GNU extension that -Wpedantic rejects. */
	struct bpf_test_run_opts o = {
		.sz = sizeof(o),
		.data_in = in->b,
		.data_size_in = (uint32_t)in->len,
		.data_out = out->b,
		.data_size_out = sizeof(out->b),
		.repeat = 1,
	};
	int err = bpf_prog_test_run_opts(prog_fd, &o);

	CHECK_MSG(err == 0, "%s: BPF_PROG_TEST_RUN failed: %s", desc,
		  strerror(-err));
	out->len = o.data_size_out;
	return err ? -1 : (int)o.retval;
}

static const char *verdict_name(int v)
{
	switch (v) {
	case XDP_ABORTED:
		return "XDP_ABORTED";
	case XDP_DROP:
		return "XDP_DROP";
	case XDP_PASS:
		return "XDP_PASS";
	case XDP_TX:
		return "XDP_TX";
	case XDP_REDIRECT:
		return "XDP_REDIRECT";
	default:
		return "?";
	}
}

static void hexdump(const char *what, const struct pkt *p)
{
	fprintf(stderr, "    %s (%zu bytes):", what, p->len);
	for (size_t i = 0; i < p->len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n      ", p->b[i]);
	fputc('\n', stderr);
}

/*
 * Runs one frame and checks verdict, output frame and that exactly the
 * expected counters moved, each by one.
 */
static void expect(const char *table, const char *desc, int prog_fd,
		   struct bpf_map *stats, unsigned int nstats,
		   const char *const *names, const struct pkt *in,
		   int want_verdict, const struct pkt *want_out,
		   const unsigned int *want_cnt, unsigned int n_want)
{
	uint64_t before[16], after[16];
	struct pkt out;
	bool ok = true;
	int v;

	read_stats(stats, before, nstats);
	v = run(prog_fd, in, &out, desc);
	read_stats(stats, after, nstats);

	CHECK_MSG(v == want_verdict, "%s: %s: verdict %s, want %s", table, desc,
		  verdict_name(v), verdict_name(want_verdict));
	ok &= v == want_verdict;
	CHECK_MSG(out.len == want_out->len &&
			  !memcmp(out.b, want_out->b, out.len),
		  "%s: %s: output frame differs", table, desc);
	if (out.len != want_out->len || memcmp(out.b, want_out->b, out.len)) {
		hexdump("got", &out);
		hexdump("want", want_out);
		ok = false;
	}
	for (unsigned int i = 0; i < nstats; i++) {
		uint64_t want = 0;

		for (unsigned int j = 0; j < n_want; j++)
			want += want_cnt[j] == i;
		CHECK_MSG(after[i] - before[i] == want,
			  "%s: %s: counter %s moved by %llu, want %llu", table,
			  desc, names[i],
			  (unsigned long long)(after[i] - before[i]),
			  (unsigned long long)want);
		ok &= after[i] - before[i] == want;
	}
	printf("%s %s: %s\n", ok ? "ok  " : "FAIL", table, desc);
}

/* ------------------------------------------------------------------ */
/* Hand-written frames: they pin the builder to real bytes.             */

/* 02:..:02 -> 02:..:01, 192.0.2.1:12345 -> 10.0.0.10:80 TCP SYN. */
static const uint8_t raw_syn[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00,
	0x40, 0x06, 0xae, 0xc4, 0xc0, 0x00, 0x02, 0x01, 0x0a, 0x00, 0x00,
	0x0a, 0x30, 0x39, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
};

/* The same SYN in IPIP, 198.51.100.1 -> 198.51.100.2. */
static const uint8_t raw_ipip[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x00, 0x00,
	0x40, 0x04, 0x26, 0x53, 0xc6, 0x33, 0x64, 0x01, 0xc6, 0x33, 0x64,
	0x02, 0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06,
	0xae, 0xc4, 0xc0, 0x00, 0x02, 0x01, 0x0a, 0x00, 0x00, 0x0a, 0x30,
	0x39, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
};

static struct pkt pkt_of(const uint8_t *b, size_t len)
{
	struct pkt p = { .len = len };

	memcpy(p.b, b, len);
	return p;
}

/* ------------------------------------------------------------------ */
/* xdp_steer                                                            */

#define C4 "192.0.2.1" /* client */
#define C6 "2001:db8:1::1"
#define VIP4 "10.0.0.10" /* tcp 80 */
#define VIP4_ALL "10.0.0.11" /* udp, all ports */
#define VIP6 "2001:db8::10" /* tcp 443 */
#define VIP6_ALL "2001:db8::11" /* udp, all ports */
#define ETH 14
#define IP4 20
#define IP6 40

enum steer_want {
	W_PASS, /* not ours */
	W_MALFORMED,
	W_VIP, /* for the AF_XDP socket: a VIP */
	W_ADDR, /* for the AF_XDP socket: ARP/ND for a VIP address */
};

struct steer_fixture {
	const char *desc;
	struct spec s;
	enum steer_want want;
};

#define TCP4(d, p) .src = C4, .dst = (d), .proto = IPPROTO_TCP, .dport = (p)
#define UDP4(d, p) .src = C4, .dst = (d), .proto = IPPROTO_UDP, .dport = (p)
#define TCP6(d, p) .src = C6, .dst = (d), .proto = IPPROTO_TCP, .dport = (p)
#define UDP6(d, p) .src = C6, .dst = (d), .proto = IPPROTO_UDP, .dport = (p)
#define ARP(t) .ethertype = ETH_P_ARP, .src = C4, .target = (t)
#define NS(t)                                                                  \
	.src = C6, .dst = "ff02::1:ff00:10", .proto = IPPROTO_ICMPV6,          \
	.icmp6_type = 135, .target = (t)

static const struct steer_fixture steer_fixtures[] = {
	/* Lookups. */
	{ "IPv4 TCP to VIP port", { TCP4(VIP4, 80) }, W_VIP },
	{ "IPv4 TCP to VIP address, other port", { TCP4(VIP4, 81) }, W_PASS },
	{ "IPv4 UDP to a TCP-only VIP", { UDP4(VIP4, 80) }, W_PASS },
	{ "IPv4 UDP to all-ports VIP", { UDP4(VIP4_ALL, 5353) }, W_VIP },
	{ "IPv4 TCP to all-ports UDP VIP", { TCP4(VIP4_ALL, 80) }, W_PASS },
	{ "IPv4 UDP to port 0 (the wildcard, never a port)",
	  { UDP4(VIP4_ALL, 0) },
	  W_PASS },
	{ "IPv4 TCP to non-VIP address", { TCP4("10.0.0.99", 80) }, W_PASS },
	{ "IPv4 TCP to VIP with data",
	  { TCP4(VIP4, 80), .payload = 100 },
	  W_VIP },
	{ "IPv4 TCP to VIP, IP options (IHL 7)",
	  { TCP4(VIP4, 80), .ihl = 7 },
	  W_VIP },
	{ "IPv4 TCP to VIP, one 802.1Q tag",
	  { TCP4(VIP4, 80), .vlans = 1 },
	  W_VIP },
	{ "IPv4 TCP to VIP, QinQ (802.1ad + 802.1Q)",
	  { TCP4(VIP4, 80), .vlans = 2 },
	  W_VIP },
	{ "IPv4 TCP to VIP, three tags (not walked)",
	  { TCP4(VIP4, 80), .vlans = 3 },
	  W_PASS },
	{ "IPv4 ICMP to VIP address",
	  { .src = C4, .dst = VIP4, .proto = 1 },
	  W_PASS },
	{ "IPv4 first fragment to VIP port",
	  { TCP4(VIP4, 80), .frag = IP_MF_ },
	  W_VIP },
	{ "IPv4 later fragment to all-ports VIP",
	  { UDP4(VIP4_ALL, 53), .frag = 100 },
	  W_VIP },
	{ "IPv4 later fragment to a port VIP (no ports to match)",
	  { TCP4(VIP4, 80), .frag = 100 },
	  W_PASS },
	{ "IPv6 TCP to VIP port", { TCP6(VIP6, 443) }, W_VIP },
	{ "IPv6 TCP to VIP address, other port", { TCP6(VIP6, 80) }, W_PASS },
	{ "IPv6 UDP to all-ports VIP", { UDP6(VIP6_ALL, 53) }, W_VIP },
	{ "IPv6 TCP to VIP, one 802.1Q tag",
	  { TCP6(VIP6, 443), .vlans = 1 },
	  W_VIP },
	{ "IPv6 hop-by-hop header before TCP (not parsed)",
	  { .src = C6, .dst = VIP6, .proto = 0, .dport = 443 },
	  W_PASS },
	{ "IPv6 TCP to IPv4-VIP-like address",
	  { TCP6("::ffff:10.0.0.10", 80) },
	  W_PASS },
	{ "ARP request for VIP address", { ARP(VIP4) }, W_ADDR },
	{ "ARP request for VIP address, padded to 60 bytes",
	  { ARP(VIP4_ALL), .payload = 18 },
	  W_ADDR },
	{ "ARP request for other address", { ARP("10.0.0.99") }, W_PASS },
	{ "ARP reply about VIP address", { ARP(VIP4), .arp_op = 2 }, W_PASS },
	{ "ARP for non-Ethernet hardware",
	  { ARP(VIP4), .arp_hrd = 6 },
	  W_PASS },
	{ "ND solicitation for VIP address", { NS(VIP6) }, W_ADDR },
	{ "ND solicitation for other address", { NS("2001:db8::99") }, W_PASS },
	{ "ICMPv6 echo request to VIP",
	  { .src = C6,
	    .dst = VIP6,
	    .proto = IPPROTO_ICMPV6,
	    .icmp6_type = 128 },
	  W_PASS },
	{ "LLDP frame", { .ethertype = ETH_P_LLDP_, .payload = 46 }, W_PASS },

	/* Cut short or bad, layer by layer. (A frame under 14 bytes cannot
	 * be tested: BPF_PROG_TEST_RUN refuses it with EINVAL.) */
	{ "802.1Q tag cut short",
	  { TCP4(VIP4, 80), .vlans = 1, .cut = ETH + 2 },
	  W_MALFORMED },
	{ "IPv4 header cut short",
	  { TCP4(VIP4, 80), .cut = ETH + IP4 - 1 },
	  W_MALFORMED },
	{ "IPv4 version field 5",
	  { TCP4(VIP4, 80), .version = 5 },
	  W_MALFORMED },
	{ "IPv4 IHL 4", { TCP4(VIP4, 80), .ihl = 4 }, W_MALFORMED },
	{ "IPv4 options cut short",
	  { TCP4(VIP4, 80), .ihl = 7, .cut = ETH + IP4 + 4 },
	  W_MALFORMED },
	{ "IPv4 total length past the frame",
	  { TCP4(VIP4, 80), .len_lie = 1 },
	  W_MALFORMED },
	{ "IPv4 total length below the header",
	  { TCP4(VIP4, 80), .len_lie = -21 },
	  W_MALFORMED },
	{ "TCP header cut short by the frame",
	  { TCP4(VIP4, 80), .cut = ETH + IP4 + 19 },
	  W_MALFORMED },
	{ "TCP header cut short, lengths agree",
	  { TCP4(VIP4, 80), .l4_short = 12 },
	  W_MALFORMED },
	{ "TCP data offset 4", { TCP4(VIP4, 80), .tcp_doff = 4 }, W_MALFORMED },
	{ "TCP data offset past the segment",
	  { TCP4(VIP4, 80), .tcp_doff = 6 },
	  W_MALFORMED },
	{ "UDP header cut short, lengths agree",
	  { UDP4(VIP4_ALL, 53), .l4_short = 6 },
	  W_MALFORMED },
	{ "UDP length past the IP payload",
	  { UDP4(VIP4_ALL, 53), .payload = 4, .udp_len_lie = 1 },
	  W_MALFORMED },
	{ "IPv6 header cut short",
	  { TCP6(VIP6, 443), .cut = ETH + IP6 - 1 },
	  W_MALFORMED },
	{ "IPv6 version field 4",
	  { TCP6(VIP6, 443), .version = 4 },
	  W_MALFORMED },
	{ "IPv6 payload length past the frame",
	  { TCP6(VIP6, 443), .len_lie = 8 },
	  W_MALFORMED },
	{ "IPv6 TCP header cut short, lengths agree",
	  { TCP6(VIP6, 443), .l4_short = 10 },
	  W_MALFORMED },
	{ "IPv6 UDP header cut short by the frame",
	  { UDP6(VIP6_ALL, 53), .cut = ETH + IP6 + 7 },
	  W_MALFORMED },
	{ "ICMPv6 header cut short", { NS(VIP6), .l4_short = 3 }, W_MALFORMED },
	{ "ND solicitation cut short",
	  { NS(VIP6), .l4_short = 20 },
	  W_MALFORMED },
	{ "ARP header cut short", { ARP(VIP4), .cut = ETH + 7 }, W_MALFORMED },
	{ "ARP addresses cut short",
	  { ARP(VIP4), .cut = ETH + 27 },
	  W_MALFORMED },
};

static const char *const steer_names[] = {
#define EP_XDP_X(name, str) str,
	EP_XDP_STEER_STATS(EP_XDP_X)
#undef EP_XDP_X
};

static int add_vip(struct xdp_steer *skel, const char *a, uint16_t port,
		   uint8_t proto)
{
	struct ep_xdp_vip_key key;
	struct ep_xdp_vip_val val = { 0 };
	struct ep_xdp_addr_key ak;
	struct ep_xdp_addr_val av = { 1 };
	int err;

	memset(&key, 0, sizeof(key));
	key.family = (uint8_t)addr(a, key.addr);
	key.port = htons(port);
	key.proto = proto;
	memset(&ak, 0, sizeof(ak));
	memcpy(ak.addr, key.addr, sizeof(ak.addr));
	ak.family = key.family;
	err = bpf_map__update_elem(skel->maps.vips, &key, sizeof(key), &val,
				   sizeof(val), 0);
	if (!err)
		err = bpf_map__update_elem(skel->maps.vip_addrs, &ak,
					   sizeof(ak), &av, sizeof(av), 0);
	CHECK_MSG(err == 0, "adding VIP %s: %s", a, strerror(-err));
	return err;
}

/* Runs the table; with_xsk says whether slot 0 holds a socket. */
static void steer_table(struct xdp_steer *skel, bool with_xsk)
{
	const char *table = with_xsk ? "steer/xsk" : "steer/no-xsk";
	int fd = bpf_program__fd(skel->progs.xdp_steer);

	for (size_t i = 0; i < sizeof(steer_fixtures) / sizeof(*steer_fixtures);
	     i++) {
		const struct steer_fixture *f = &steer_fixtures[i];
		unsigned int cnt[2], n = 0;
		int verdict = XDP_PASS;
		struct pkt in;

		build(&f->s, &in, true);
		switch (f->want) {
		case W_PASS:
			cnt[n++] = EP_XDP_STEER_PASSED;
			break;
		case W_MALFORMED:
			cnt[n++] = EP_XDP_STEER_MALFORMED;
			break;
		case W_VIP:
		case W_ADDR:
			cnt[n++] = f->want == W_VIP ? EP_XDP_STEER_VIP_HIT
						    : EP_XDP_STEER_ADDR_HIT;
			cnt[n++] = with_xsk ? EP_XDP_STEER_REDIRECTED
					    : EP_XDP_STEER_NO_XSK;
			verdict = with_xsk ? XDP_REDIRECT : XDP_PASS;
			break;
		}
		expect(table, f->desc, fd, skel->maps.stats,
		       EP_XDP_STEER_NSTATS, steer_names, &in, verdict, &in, cnt,
		       n);
	}
}

static void test_steer(void)
{
	struct xdp_steer *skel = xdp_steer__open_and_load();
	struct spec syn = { TCP4(VIP4, 80) };
	struct pkt raw = pkt_of(raw_syn, sizeof(raw_syn)), built;
	unsigned int cnt[2] = { EP_XDP_STEER_VIP_HIT, EP_XDP_STEER_NO_XSK };
	uint32_t slot = 0;
	int xsk, err;

	CHECK_MSG(skel != NULL,
		  "cannot load xdp_steer: %s (is BPF available and are we "
		  "privileged?)",
		  strerror(errno));
	if (!skel)
		return;
	if (add_vip(skel, VIP4, 80, IPPROTO_TCP) ||
	    add_vip(skel, VIP4_ALL, 0, IPPROTO_UDP) ||
	    add_vip(skel, VIP6, 443, IPPROTO_TCP) ||
	    add_vip(skel, VIP6_ALL, 0, IPPROTO_UDP))
		goto out;

	build(&syn, &built, true);
	CHECK_MSG(built.len == raw.len && !memcmp(built.b, raw.b, raw.len),
		  "the frame builder disagrees with the hand-written SYN");
	expect("steer/no-xsk", "hand-written IPv4 SYN to VIP",
	       bpf_program__fd(skel->progs.xdp_steer), skel->maps.stats,
	       EP_XDP_STEER_NSTATS, steer_names, &raw, XDP_PASS, &raw, cnt, 2);

	steer_table(skel, false);

	/* An unbound AF_XDP socket is enough for the XSKMAP slot. */
	xsk = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	CHECK_MSG(xsk >= 0, "cannot create an AF_XDP socket: %s",
		  strerror(errno));
	if (xsk < 0)
		goto out;
	err = bpf_map__update_elem(skel->maps.xsks, &slot, sizeof(slot), &xsk,
				   sizeof(xsk), 0);
	CHECK_MSG(err == 0, "cannot put the AF_XDP socket in xsks[0]: %s",
		  strerror(-err));
	if (!err)
		steer_table(skel, true);
	close(xsk);
out:
	xdp_steer__destroy(skel);
}

/* ------------------------------------------------------------------ */
/* xdp_decap                                                            */

#define O4S "198.51.100.1" /* load balancer */
#define O4D "198.51.100.2" /* backend */
#define O6S "2001:db8:ff::1"
#define O6D "2001:db8:ff::2"
#define OUT4 .osrc = O4S, .odst = O4D
#define OUT6 .osrc = O6S, .odst = O6D

enum decap_want {
	D_IP, /* outer IP removed */
	D_GUE, /* outer IP + UDP removed */
	D_PASS, /* untouched */
	D_MALFORMED, /* untouched */
};

struct decap_fixture {
	const char *desc;
	struct spec s;
	enum decap_want want;
};

static const struct decap_fixture decap_fixtures[] = {
	{ "IPIP: IPv4 in IPv4",
	  { TCP4(VIP4, 80), .encap = ENC_IP, OUT4 },
	  D_IP },
	{ "6in4: IPv6 in IPv4",
	  { TCP6(VIP6, 443), .encap = ENC_IP, OUT4 },
	  D_IP },
	{ "IP6IP6: IPv6 in IPv6",
	  { TCP6(VIP6, 443), .encap = ENC_IP, OUT6 },
	  D_IP },
	{ "4in6: IPv4 in IPv6",
	  { TCP4(VIP4, 80), .encap = ENC_IP, OUT6 },
	  D_IP },
	{ "GUE: IPv4 in UDP/IPv4",
	  { TCP4(VIP4, 80), .encap = ENC_GUE, OUT4 },
	  D_GUE },
	{ "GUE: IPv6 in UDP/IPv6",
	  { TCP6(VIP6, 443), .encap = ENC_GUE, OUT6 },
	  D_GUE },
	{ "GUE: IPv6 in UDP/IPv4",
	  { TCP6(VIP6, 443), .encap = ENC_GUE, OUT4 },
	  D_GUE },
	{ "GUE: IPv4 in UDP/IPv6",
	  { TCP4(VIP4, 80), .encap = ENC_GUE, OUT6 },
	  D_GUE },
	{ "IPIP with outer IP options (IHL 6)",
	  { TCP4(VIP4, 80), .encap = ENC_IP, OUT4, .oihl = 6 },
	  D_IP },
	{ "IPIP behind an 802.1Q tag",
	  { TCP4(VIP4, 80), .vlans = 1, .encap = ENC_IP, OUT4 },
	  D_IP },
	{ "GUE IPv6 in IPv4 behind QinQ",
	  { TCP6(VIP6, 443), .vlans = 2, .encap = ENC_GUE, OUT4 },
	  D_GUE },
	{ "IPIP, inner UDP with 200 bytes of data",
	  { UDP4(VIP4_ALL, 53), .payload = 200, .encap = ENC_IP, OUT4 },
	  D_IP },
	{ "plain IPv4 TCP", { TCP4(VIP4, 80) }, D_PASS },
	{ "plain IPv6 UDP", { UDP6(VIP6_ALL, 53), .payload = 10 }, D_PASS },
	{ "ARP request", { ARP(VIP4) }, D_PASS },
	{ "IPv4 in UDP to another port",
	  { TCP4(VIP4, 80), .encap = ENC_GUE, OUT4, .gue_port = 6081 },
	  D_PASS },
	{ "UDP to the GUE port, GUE variant 0 header (not IP)",
	  { .ethertype = ETH_P_LLDP_, .payload = 20, .encap = ENC_GUE, OUT4 },
	  D_PASS },
	{ "IPIP in an IPv4 fragment (kernel reassembles)",
	  { TCP4(VIP4, 80), .encap = ENC_IP, OUT4, .ofrag = IP_MF_ },
	  D_PASS },
	{ "IPIP, inner IPv4 header cut short, lengths agree",
	  { TCP4(VIP4, 80), .encap = ENC_IP, OUT4, .inner_cut = 19 },
	  D_MALFORMED },
	{ "IPIP whose inner header is IPv6",
	  { TCP6(VIP6, 443), .encap = ENC_IP, OUT4, .oproto = IPPROTO_IPIP },
	  D_MALFORMED },
	{ "IP6IP6, inner IPv6 header cut short",
	  { TCP6(VIP6, 443), .encap = ENC_IP, OUT6, .inner_cut = 39 },
	  D_MALFORMED },
	{ "GUE, inner IPv6 header cut short",
	  { TCP6(VIP6, 443), .encap = ENC_GUE, OUT6, .inner_cut = 30 },
	  D_MALFORMED },
	{ "GUE, UDP header cut short by the frame",
	  { TCP4(VIP4, 80), .encap = ENC_GUE, OUT4, .cut = ETH + IP4 + 6 },
	  D_MALFORMED },
	{ "outer IPv4 header cut short",
	  { TCP4(VIP4, 80), .encap = ENC_IP, OUT4, .cut = ETH + IP4 - 1 },
	  D_MALFORMED },
	{ "outer IPv6 header cut short",
	  { TCP4(VIP4, 80), .encap = ENC_IP, OUT6, .cut = ETH + 30 },
	  D_MALFORMED },
};

static const char *const decap_names[] = {
#define EP_XDP_X(name, str) str,
	EP_XDP_DECAP_STATS(EP_XDP_X)
#undef EP_XDP_X
};

static void decap_one(struct xdp_decap *skel, const char *table,
		      const char *desc, const struct spec *s,
		      enum decap_want want)
{
	struct pkt in, out;
	unsigned int cnt;

	build(s, &in, true);
	if (want == D_IP || want == D_GUE)
		build(s, &out, false);
	else
		out = in;
	cnt = want == D_IP     ? EP_XDP_DECAP_DECAP_IP
	      : want == D_GUE  ? EP_XDP_DECAP_DECAP_GUE
	      : want == D_PASS ? EP_XDP_DECAP_PASSED
			       : EP_XDP_DECAP_MALFORMED;
	expect(table, desc, bpf_program__fd(skel->progs.xdp_decap),
	       skel->maps.stats, EP_XDP_DECAP_NSTATS, decap_names, &in,
	       XDP_PASS, &out, &cnt, 1);
}

static void test_decap(void)
{
	struct xdp_decap *skel = xdp_decap__open_and_load();
	struct ep_xdp_decap_cfg cfg = { .gue_port = 7000 };
	struct pkt raw = pkt_of(raw_ipip, sizeof(raw_ipip));
	struct pkt inner = pkt_of(raw_syn, sizeof(raw_syn)), built;
	struct spec ipip = { TCP4(VIP4, 80), .encap = ENC_IP, OUT4 };
	struct spec gue = { TCP4(VIP4, 80), .encap = ENC_GUE, OUT4 };
	unsigned int cnt = EP_XDP_DECAP_DECAP_IP;
	uint32_t zero = 0;
	int err;

	CHECK_MSG(skel != NULL,
		  "cannot load xdp_decap: %s (is BPF available and are we "
		  "privileged?)",
		  strerror(errno));
	if (!skel)
		return;

	build(&ipip, &built, true);
	CHECK_MSG(built.len == raw.len && !memcmp(built.b, raw.b, raw.len),
		  "the frame builder disagrees with the hand-written IPIP");
	expect("decap", "hand-written IPIP SYN",
	       bpf_program__fd(skel->progs.xdp_decap), skel->maps.stats,
	       EP_XDP_DECAP_NSTATS, decap_names, &raw, XDP_PASS, &inner, &cnt,
	       1);

	for (size_t i = 0; i < sizeof(decap_fixtures) / sizeof(*decap_fixtures);
	     i++)
		decap_one(skel, "decap", decap_fixtures[i].desc,
			  &decap_fixtures[i].s, decap_fixtures[i].want);

	/* The GUE port comes from decap_cfg; 0 there means 6080. */
	err = bpf_map__update_elem(skel->maps.decap_cfg, &zero, sizeof(zero),
				   &cfg, sizeof(cfg), 0);
	CHECK_MSG(err == 0, "setting decap_cfg: %s", strerror(-err));
	if (!err) {
		decap_one(skel, "decap/port-7000", "GUE to 6080 is plain UDP",
			  &gue, D_PASS);
		gue.gue_port = 7000;
		decap_one(skel, "decap/port-7000", "GUE to 7000 is decapped",
			  &gue, D_GUE);
	}
	xdp_decap__destroy(skel);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("bpf_xdp: SKIP: needs root to load BPF programs, run "
		       "BPF_PROG_TEST_RUN and create an AF_XDP socket "
		       "(run: sudo meson test bpf_xdp)\n");
		return 77;
	}
	ncpus = libbpf_num_possible_cpus();
	CHECK_MSG(ncpus > 0, "cannot count possible CPUs: %s",
		  strerror(-ncpus));
	if (ncpus <= 0)
		return check_summary("bpf_xdp");
	CHECK(sizeof(struct ep_xdp_vip_key) == 20);
	CHECK(sizeof(struct ep_xdp_addr_key) == 20);

	test_steer();
	test_decap();
	return check_summary("bpf_xdp");
}
