/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_xdp, xdp_decap: IPIP and GUE frames decapsulated or passed.
 */
#include "xdp_test.h"

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
#define OUT4 .osrc = O4S, .odst = O4D

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

void test_decap(void)
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
