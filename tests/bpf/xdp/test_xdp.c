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
#include "xdp_test.h"

/* Returns 4 or 6 and the address bytes; exits on a bad fixture. */
int addr(const char *text, uint8_t out[16])
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
void build(const struct spec *s, struct pkt *p, bool outer)
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
void expect(const char *table, const char *desc, int prog_fd,
	    struct bpf_map *stats, unsigned int nstats,
	    const char *const *names, const struct pkt *in, int want_verdict,
	    const struct pkt *want_out, const unsigned int *want_cnt,
	    unsigned int n_want)
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

/* 02:..:02 -> 02:..:01, 192.0.2.1:12345 -> 10.0.0.10:80 TCP SYN. */
const uint8_t raw_syn[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00,
	0x40, 0x06, 0xae, 0xc4, 0xc0, 0x00, 0x02, 0x01, 0x0a, 0x00, 0x00,
	0x0a, 0x30, 0x39, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
};

struct pkt pkt_of(const uint8_t *b, size_t len)
{
	struct pkt p = { .len = len };

	memcpy(p.b, b, len);
	return p;
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
