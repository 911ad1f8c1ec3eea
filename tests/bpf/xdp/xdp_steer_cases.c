/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_xdp, xdp_steer: the table of frames and the verdict each must get
 * (VIPs to the AF_XDP socket, the rest to the kernel).
 */
#include "xdp_test.h"

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

void test_steer(void)
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
