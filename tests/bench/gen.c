/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_gen: the forwarding benchmark's traffic generator (scripts/bench.sh
 * drives it; tests/bench/README has the whole procedure). One DPDK lcore,
 * one net_memif port that it creates itself (client or server role), and
 * a loop that does both halves of the link at full speed:
 *
 *   TX: Ethernet/IPv4/TCP frames (default 64 bytes) to VIP:port from N
 *       distinct flows (source address and port varied), ACK set; or, with
 *       --new-flows, a SYN from a source never used before in every frame.
 *   RX: every frame the forwarder sends back is counted and freed. (A
 *       generator that never reads its RX ring stalls the forwarder once
 *       the ring is full.)
 *
 * After --warmup seconds (long enough for every flow to have its
 * connection entry) it measures --duration seconds and prints, on lines
 * of their own, "gen: window start", "gen: window end" (so a driver can
 * read the forwarder's counters at the same moments), then one line
 *
 *   RESULT tx_mpps=.. rx_mpps=.. tx_pkts=.. rx_pkts=.. seconds=.. ...
 *
 * keeps the traffic going for --linger seconds (the driver's reads still
 * see a loaded forwarder) and exits. Frames the memif ring does not take
 * are kept and offered again: the generator never drops; "tx_ring_full"
 * is the share of TX calls that did not take the whole burst (near 1: the
 * forwarder was the slower side).
 *
 * TX buffers (--tx-mode):
 *   refcnt  one pre-built mbuf per flow; each send takes a reference
 *           (rte_mbuf_refcnt_update) that the PMD's free gives back, so
 *           nothing is written per packet. Default for established flows.
 *   alloc   a fresh mbuf per packet, its 64 bytes copied from a pre-built
 *           frame table. --new-flows always works this way (each frame
 *           gets a new source address/port and checksums updated).
 * On the 2-core development machine refcnt sends about 1.4 times as fast
 * as alloc (docs/performance.md, "Generator choices"). Use the memif
 * client in zero-copy mode (--zero-copy, EAL --single-file-segments) to
 * outrun testpmd.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "csum_ref.h"

#define GEN_MAX_BURST 64u
#define GEN_MAX_FLOWS (1u << 20)
#define GEN_RX_MBUFS 8191u
#define GEN_ALLOC_MBUFS 8191u
#define GEN_PORTS_PER_IP 256u /* established flows: source ports per IP */
#define GEN_SPORT_BASE 10000u
#define GEN_NEW_SPORT_BASE 1024u
#define GEN_NEW_SPORTS 64512u /* 1024..65535 */
#define GEN_VDEV_NAME "net_memif_gen"
#define TH_SYN 0x02u
#define TH_ACK 0x10u

enum tx_mode { TX_REFCNT, TX_ALLOC };

struct gen_opts {
	char role[8];
	char socket[108];
	char src_mac_s[18];
	int zero_copy;
	uint32_t flows;
	double duration_s;
	double warmup_s;
	double connect_s;
	double linger_s;
	uint32_t vip; /* host order */
	uint16_t vip_port;
	uint32_t src_net; /* host order: first client address */
	struct rte_ether_addr dst_mac;
	struct rte_ether_addr src_mac;
	int new_flows;
	uint16_t size;
	uint16_t burst;
	uint16_t rsize; /* memif log2 ring size, 0 = PMD default */
	enum tx_mode tx_mode;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(const char *prog)
{
	printf("usage: %s [EAL options] -- [options]\n"
	       "  --role client|server   memif role (default client)\n"
	       "  --socket PATH          memif control socket "
	       "(default /run/edgepath-bench/memif.sock)\n"
	       "  --zero-copy            memif zero-copy (client role only; "
	       "EAL needs --single-file-segments)\n"
	       "  --rsize N              memif ring size 2^N, 1..14 "
	       "(default: the PMD's, 10)\n"
	       "  --flows N              distinct flows, 1..%u "
	       "(default 65536)\n"
	       "  --new-flows            every frame a SYN from a new source\n"
	       "  --duration S           measured window, 0.1..3600 s "
	       "(default 10)\n"
	       "  --warmup S             before the window, 0..600 s "
	       "(default 2)\n"
	       "  --connect-timeout S    wait for the link, 1..600 s "
	       "(default 10)\n"
	       "  --linger S             keep sending S s after the window, "
	       "0..60 (default 0),\n"
	       "                         so a driver can read the "
	       "forwarder's counters under load\n"
	       "  --vip A.B.C.D[:PORT]   destination (default 10.200.0.1:80)\n"
	       "  --src-net A.B.C.D      first client address "
	       "(default 10.128.0.0)\n"
	       "  --dst-mac MAC          destination MAC "
	       "(default 02:00:00:00:ee:01)\n"
	       "  --src-mac MAC          source MAC and the port's MAC "
	       "(default 02:00:00:00:ee:02)\n"
	       "  --size N               frame bytes without FCS, 60..1514 "
	       "(default 64)\n"
	       "  --burst N              frames per TX/RX call, 1..%u "
	       "(default 32)\n"
	       "  --tx-mode refcnt|alloc TX buffers (default refcnt; "
	       "--new-flows: alloc)\n",
	       prog, GEN_MAX_FLOWS, GEN_MAX_BURST);
}

/* ------------------------------------------------------------------ */
/* Option parsing: every value checked, a message naming the option.     */

static int parse_uint(const char *opt, const char *s, uint32_t min,
		      uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end != '\0' || s[0] == '-' || v < min ||
	    v > max) {
		fprintf(stderr, "--%s: '%s' is not a number in %u..%u\n", opt,
			s, min, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_u16(const char *opt, const char *s, uint16_t min, uint16_t max,
		     uint16_t *out)
{
	uint32_t v;
	int rc = parse_uint(opt, s, min, max, &v);

	*out = rc == 0 ? (uint16_t)v : *out;
	return rc;
}

static int parse_seconds(const char *opt, const char *s, double min, double max,
			 double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v >= min && v <= max)) {
		fprintf(stderr, "--%s: '%s' is not seconds in %g..%g\n", opt, s,
			min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_ip4(const char *opt, const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "--%s: '%s' is not an IPv4 address\n", opt, s);
		return -1;
	}
	*out = rte_be_to_cpu_32(a.s_addr);
	return 0;
}

static int parse_vip(const char *s, struct gen_opts *o)
{
	char buf[32];
	char *colon;

	if (strlen(s) >= sizeof(buf)) {
		fprintf(stderr, "--vip: '%s' is too long\n", s);
		return -1;
	}
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		if (parse_u16("vip port", colon + 1, 1, 65535, &o->vip_port))
			return -1;
	}
	return parse_ip4("vip", buf, &o->vip);
}

static int parse_mac(const char *opt, const char *s, struct rte_ether_addr *m,
		     char *text)
{
	if (strlen(s) != 17 || rte_ether_unformat_addr(s, m) != 0) {
		fprintf(stderr, "--%s: '%s' is not a MAC (aa:bb:cc:dd:ee:ff)\n",
			opt, s);
		return -1;
	}
	if (text)
		strcpy(text, s);
	return 0;
}

static int parse_one(int c, const char *name, struct gen_opts *o)
{
	switch (c) {
	case 'r':
		if (strcmp(optarg, "client") && strcmp(optarg, "server")) {
			fprintf(stderr, "--role: 'client' or 'server'\n");
			return -1;
		}
		strcpy(o->role, optarg);
		return 0;
	case 'S':
		if (optarg[0] != '/' || strlen(optarg) >= sizeof(o->socket)) {
			fprintf(stderr, "--socket: an absolute path, < %zu B\n",
				sizeof(o->socket));
			return -1;
		}
		strcpy(o->socket, optarg);
		return 0;
	case 'z':
		o->zero_copy = 1;
		return 0;
	case 'R':
		return parse_u16(name, optarg, 1, 14, &o->rsize);
	case 'f':
		return parse_uint(name, optarg, 1, GEN_MAX_FLOWS, &o->flows);
	case 'n':
		o->new_flows = 1;
		return 0;
	case 'd':
		return parse_seconds(name, optarg, 0.1, 3600, &o->duration_s);
	case 'w':
		return parse_seconds(name, optarg, 0, 600, &o->warmup_s);
	case 'C':
		return parse_seconds(name, optarg, 1, 600, &o->connect_s);
	case 'L':
		return parse_seconds(name, optarg, 0, 60, &o->linger_s);
	case 'v':
		return parse_vip(optarg, o);
	case 'N':
		return parse_ip4(name, optarg, &o->src_net);
	case 'D':
		return parse_mac(name, optarg, &o->dst_mac, NULL);
	case 'M':
		return parse_mac(name, optarg, &o->src_mac, o->src_mac_s);
	case 's':
		return parse_u16(name, optarg, 60, 1514, &o->size);
	case 'b':
		return parse_u16(name, optarg, 1, GEN_MAX_BURST, &o->burst);
	case 't':
		o->tx_mode = strcmp(optarg, "alloc") ? TX_REFCNT : TX_ALLOC;
		if (o->tx_mode == TX_ALLOC || strcmp(optarg, "refcnt") == 0)
			return 0;
		fprintf(stderr, "--tx-mode: 'refcnt' or 'alloc'\n");
		return -1;
	default:
		return -1;
	}
}

static int parse_args(int argc, char **argv, struct gen_opts *o)
{
	static const struct option longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "socket", required_argument, NULL, 'S' },
		{ "zero-copy", no_argument, NULL, 'z' },
		{ "rsize", required_argument, NULL, 'R' },
		{ "flows", required_argument, NULL, 'f' },
		{ "new-flows", no_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "connect-timeout", required_argument, NULL, 'C' },
		{ "linger", required_argument, NULL, 'L' },
		{ "vip", required_argument, NULL, 'v' },
		{ "src-net", required_argument, NULL, 'N' },
		{ "dst-mac", required_argument, NULL, 'D' },
		{ "src-mac", required_argument, NULL, 'M' },
		{ "size", required_argument, NULL, 's' },
		{ "burst", required_argument, NULL, 'b' },
		{ "tx-mode", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, idx, tx_mode_given = 0;

	memset(o, 0, sizeof(*o));
	strcpy(o->role, "client");
	strcpy(o->socket, "/run/edgepath-bench/memif.sock");
	strcpy(o->src_mac_s, "02:00:00:00:ee:02");
	o->flows = 65536;
	o->duration_s = 10;
	o->warmup_s = 2;
	o->connect_s = 10;
	o->vip = RTE_IPV4(10, 200, 0, 1);
	o->vip_port = 80;
	o->src_net = RTE_IPV4(10, 128, 0, 0);
	rte_ether_unformat_addr("02:00:00:00:ee:01", &o->dst_mac);
	rte_ether_unformat_addr(o->src_mac_s, &o->src_mac);
	o->size = 64;
	o->burst = 32;
	o->tx_mode = TX_REFCNT;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(argv[0]);
			exit(0);
		}
		if (c == '?' || parse_one(c, longopts[idx].name, o)) {
			usage(argv[0]);
			return -1;
		}
		tx_mode_given |= c == 't';
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->zero_copy && strcmp(o->role, "client") != 0) {
		fprintf(stderr, "--zero-copy: only with --role client\n");
		return -1;
	}
	if (o->new_flows) {
		if (tx_mode_given && o->tx_mode != TX_ALLOC) {
			fprintf(stderr, "--new-flows: needs --tx-mode alloc "
					"(every frame is written)\n");
			return -1;
		}
		o->tx_mode = TX_ALLOC;
	}
	/* Established flows: 256 source ports per address; the addresses
	 * must stay inside 0.0.0.0/0 above src-net. */
	if ((uint64_t)o->src_net + o->flows / GEN_PORTS_PER_IP + 1 >
	    UINT32_MAX) {
		fprintf(stderr, "--src-net: too high for %u flows\n", o->flows);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Frames.                                                               */

struct frame_tmpl {
	uint8_t bytes[1514];
	uint32_t ip_sum; /* IPv4 header words, source address left out */
	uint32_t tcp_sum; /* pseudo-header + TCP segment, source left out */
};

/*
 * The template: source address and port zero, checksums zero. ip_sum and
 * tcp_sum are the one's-complement sums of everything else, so a frame
 * from (a, p) has IP checksum ~(ip_sum + a) and TCP checksum
 * ~(tcp_sum + a + p): the source address is in the TCP pseudo-header, the
 * port in the TCP header (frame_set_src).
 */
static void build_template(struct frame_tmpl *t, const struct gen_opts *o,
			   uint8_t tcp_flags)
{
	uint8_t *f = t->bytes;
	struct rte_ether_hdr *eth = (void *)f;
	struct rte_ipv4_hdr *ip = (void *)(eth + 1);
	struct rte_tcp_hdr *tcp = (void *)(ip + 1);
	uint16_t ip_len = (uint16_t)(o->size - sizeof(*eth));
	uint16_t l4_len = (uint16_t)(ip_len - sizeof(*ip));

	memset(t, 0, sizeof(*t));
	rte_ether_addr_copy(&o->dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&o->src_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(ip_len);
	ip->packet_id = 0;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->dst_addr = rte_cpu_to_be_32(o->vip);
	tcp->dst_port = rte_cpu_to_be_16(o->vip_port);
	tcp->sent_seq = rte_cpu_to_be_32(1);
	tcp->recv_ack = rte_cpu_to_be_32((tcp_flags & TH_ACK) ? 1 : 0);
	tcp->data_off = 0x50;
	tcp->tcp_flags = tcp_flags;
	tcp->rx_win = rte_cpu_to_be_16(65535);
	/* Payload: zeros (frames are --size bytes, IP length says so). */
	t->ip_sum = ref_sum16(ip, sizeof(*ip));
	/* Pseudo-header without the source: destination, proto, length. */
	t->tcp_sum = ref_sum16(&ip->dst_addr, 4) + IPPROTO_TCP + l4_len +
		     ref_sum16(tcp, l4_len);
}

/* Write source address/port and both checksums into a frame. */
static inline void frame_set_src(uint8_t *f, const struct frame_tmpl *t,
				 uint32_t saddr, uint16_t sport)
{
	struct rte_ipv4_hdr *ip = (void *)(f + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *tcp = (void *)(ip + 1);
	uint32_t a = (saddr >> 16) + (saddr & 0xffff);

	ip->src_addr = rte_cpu_to_be_32(saddr);
	tcp->src_port = rte_cpu_to_be_16(sport);
	ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)~ref_fold(t->ip_sum + a));
	tcp->cksum =
		rte_cpu_to_be_16((uint16_t)~ref_fold(t->tcp_sum + a + sport));
}

/* Established flow i: 256 source ports per client address. */
static void flow_src(const struct gen_opts *o, uint32_t i, uint32_t *saddr,
		     uint16_t *sport)
{
	*saddr = o->src_net + i / GEN_PORTS_PER_IP;
	*sport = (uint16_t)(GEN_SPORT_BASE + i % GEN_PORTS_PER_IP);
}

/* ------------------------------------------------------------------ */
/* The port.                                                             */

static int port_open(const struct gen_opts *o, uint16_t *port_id)
{
	char args[384];
	char rsize[16] = "";
	int rc;

	if (o->rsize)
		snprintf(rsize, sizeof(rsize), ",rsize=%u", o->rsize);
	snprintf(args, sizeof(args),
		 "%s,role=%s,socket=%s,socket-abstract=no,mac=%s,"
		 "zero-copy=%s%s",
		 GEN_VDEV_NAME, o->role, o->socket, o->src_mac_s,
		 o->zero_copy ? "yes" : "no", rsize);
	rc = rte_dev_probe(args);
	if (rc) {
		fprintf(stderr, "gen: cannot create %s: %s\n", args,
			rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_get_port_by_name(GEN_VDEV_NAME, port_id);
	if (rc)
		fprintf(stderr, "gen: no port for %s\n", GEN_VDEV_NAME);
	return rc;
}

static int port_start(const struct gen_opts *o, uint16_t port,
		      struct rte_mempool *rx_pool)
{
	struct rte_eth_conf conf = { 0 };
	uint64_t deadline;
	int rc;

	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, 1024,
					    rte_eth_dev_socket_id(port), NULL,
					    rx_pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, 1024,
					    rte_eth_dev_socket_id(port), NULL);
	if (rc) {
		fprintf(stderr, "gen: port set-up: %s\n", rte_strerror(-rc));
		return rc;
	}
	/* A client's start fails while the server's socket is not there
	 * yet: retry until the connect timeout. */
	deadline = rte_rdtsc() + (uint64_t)(o->connect_s * rte_get_tsc_hz());
	while ((rc = rte_eth_dev_start(port)) != 0) {
		if (stop || rte_rdtsc() > deadline) {
			fprintf(stderr,
				"gen: memif port start: %s (server %s?)\n",
				rte_strerror(-rc), o->socket);
			return rc;
		}
		rte_delay_us_sleep(100000);
	}
	for (;;) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(port, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return 0;
		if (stop || rte_rdtsc() > deadline) {
			fprintf(stderr,
				"gen: link down after %g s (peer %s?)\n",
				o->connect_s, o->socket);
			return -ETIMEDOUT;
		}
		rte_delay_us_sleep(10000);
	}
}

/* ------------------------------------------------------------------ */
/* Packet sources.                                                       */

struct source {
	const struct gen_opts *o;
	struct rte_mempool *pool;
	struct rte_mbuf **prebuilt; /* TX_REFCNT: one mbuf per flow */
	uint8_t *frames; /* TX_ALLOC, established: flows x size bytes */
	struct frame_tmpl tmpl;
	uint32_t next; /* next flow */
	uint64_t new_seq; /* --new-flows: frames made so far */
	uint64_t alloc_fail;
};

/* Established flow i's frame, written at f. */
static void flow_frame(const struct source *src, uint32_t i, uint8_t *f)
{
	uint32_t a;
	uint16_t p;

	memcpy(f, src->tmpl.bytes, src->o->size);
	flow_src(src->o, i, &a, &p);
	frame_set_src(f, &src->tmpl, a, p);
}

static int source_init(struct source *src, const struct gen_opts *o)
{
	uint32_t n_mbufs, data_room;

	memset(src, 0, sizeof(*src));
	src->o = o;
	build_template(&src->tmpl, o, o->new_flows ? TH_SYN : TH_ACK);
	/* Pre-built frames need only their own bytes; alloc mode needs a
	 * pool deep enough to cover a memif ring in flight plus caches. */
	data_room = RTE_PKTMBUF_HEADROOM + RTE_ALIGN_CEIL(o->size, 64);
	n_mbufs = o->tx_mode == TX_REFCNT ? o->flows + 1024 : GEN_ALLOC_MBUFS;
	src->pool = rte_pktmbuf_pool_create(
		"gen_tx", n_mbufs, o->tx_mode == TX_REFCNT ? 0 : 256, 0,
		(uint16_t)data_room, (int)rte_socket_id());
	if (src->pool == NULL) {
		fprintf(stderr,
			"gen: TX pool of %u mbufs: %s (fewer --flows?)\n",
			n_mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	if (o->new_flows)
		return 0;
	if (o->tx_mode == TX_ALLOC) {
		src->frames = malloc((size_t)o->flows * o->size);
		if (src->frames == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; i < o->flows; i++)
			flow_frame(src, i, src->frames + (size_t)i * o->size);
		return 0;
	}
	src->prebuilt = calloc(o->flows, sizeof(*src->prebuilt));
	if (src->prebuilt == NULL ||
	    rte_pktmbuf_alloc_bulk(src->pool, src->prebuilt, o->flows) != 0) {
		fprintf(stderr, "gen: cannot pre-build %u frames\n", o->flows);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < o->flows; i++)
		flow_frame(src, i,
			   (uint8_t *)rte_pktmbuf_append(src->prebuilt[i],
							 o->size));
	return 0;
}

static void source_free(struct source *src)
{
	if (src->prebuilt) {
		for (uint32_t i = 0; i < src->o->flows; i++)
			rte_pktmbuf_free(src->prebuilt[i]);
		free(src->prebuilt);
	}
	free(src->frames);
	rte_mempool_free(src->pool);
}

/* Fill `n` frames into out[]; returns how many it could make. */
static uint16_t source_fill(struct source *src, struct rte_mbuf **out,
			    uint16_t n)
{
	const struct gen_opts *o = src->o;
	uint32_t next = src->next;

	if (o->tx_mode == TX_REFCNT) {
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = src->prebuilt[next];

			rte_mbuf_refcnt_update(m, 1);
			out[i] = m;
			if (++next == o->flows)
				next = 0;
		}
		src->next = next;
		return n;
	}
	if (rte_pktmbuf_alloc_bulk(src->pool, out, n) != 0) {
		src->alloc_fail++;
		return 0;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = out[i];
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

		m->data_len = o->size;
		m->pkt_len = o->size;
		if (o->new_flows) {
			uint64_t q = src->new_seq++;
			uint32_t a =
				o->src_net + (uint32_t)(q / GEN_NEW_SPORTS);
			uint16_t p = (uint16_t)(GEN_NEW_SPORT_BASE +
						q % GEN_NEW_SPORTS);

			rte_memcpy(f, src->tmpl.bytes, o->size);
			frame_set_src(f, &src->tmpl, a, p);
		} else {
			rte_memcpy(f, src->frames + (size_t)next * o->size,
				   o->size);
			if (++next == o->flows)
				next = 0;
		}
	}
	src->next = next;
	return n;
}

/* ------------------------------------------------------------------ */
/* The loop.                                                             */

struct counts {
	uint64_t tx, rx, tx_calls, tx_full, rx_bytes;
};

static void print_result(const struct gen_opts *o, const struct counts *a,
			 const struct counts *b, double secs)
{
	uint64_t tx = b->tx - a->tx, rx = b->rx - a->rx;
	uint64_t calls = b->tx_calls - a->tx_calls;

	printf("RESULT tx_mpps=%.3f rx_mpps=%.3f tx_pkts=%" PRIu64
	       " rx_pkts=%" PRIu64 " seconds=%.3f tx_ring_full=%.4f"
	       " rx_bytes=%" PRIu64 " mode=%s tx_mode=%s flows=%u size=%u"
	       " warmup_tx_pkts=%" PRIu64 " tsc_mhz=%" PRIu64 "\n",
	       tx / secs / 1e6, rx / secs / 1e6, tx, rx, secs,
	       calls ? (double)(b->tx_full - a->tx_full) / (double)calls : 0.0,
	       b->rx_bytes - a->rx_bytes,
	       o->new_flows ? "new-flows" : "established",
	       o->tx_mode == TX_REFCNT ? "refcnt" : "alloc",
	       o->new_flows ? 0 : o->flows, o->size, a->tx,
	       rte_get_tsc_hz() / 1000000);
	fflush(stdout);
}

/*
 * Warm-up, measured window, linger; RX and TX in every iteration. The
 * clock is read every 16 iterations (a few hundred ns apart).
 */
static int run(const struct gen_opts *o, uint16_t port, struct source *src)
{
	struct rte_mbuf *txb[GEN_MAX_BURST], *rxb[GEN_MAX_BURST];
	struct counts c = { 0 }, at_start = { 0 };
	uint64_t hz = rte_get_tsc_hz();
	uint64_t t0 = rte_rdtsc();
	uint64_t next = t0 + (uint64_t)(o->warmup_s * hz);
	uint64_t now = t0, t_started = 0;
	uint16_t pending = 0, off = 0, loops = 0;
	enum { WARMUP, MEASURE, LINGER } phase = WARMUP;

	while (!stop) {
		uint16_t n = rte_eth_rx_burst(port, 0, rxb, o->burst);

		if (n) {
			c.rx += n;
			for (uint16_t i = 0; i < n; i++)
				c.rx_bytes += rte_pktmbuf_pkt_len(rxb[i]);
			rte_pktmbuf_free_bulk(rxb, n);
		}
		if (pending == 0) {
			pending = source_fill(src, txb, o->burst);
			off = 0;
		}
		if (pending) {
			uint16_t sent =
				rte_eth_tx_burst(port, 0, txb + off, pending);

			c.tx_calls++;
			c.tx += sent;
			if (sent < pending)
				c.tx_full++;
			pending -= sent;
			off += sent;
		}
		if ((++loops & 15) != 0)
			continue;
		now = rte_rdtsc();
		if (now < next)
			continue;
		if (phase == WARMUP) {
			phase = MEASURE;
			at_start = c;
			t_started = now;
			next = now + (uint64_t)(o->duration_s * hz);
			printf("gen: window start\n");
			fflush(stdout);
		} else if (phase == MEASURE) {
			phase = LINGER;
			printf("gen: window end\n");
			print_result(o, &at_start, &c,
				     (double)(now - t_started) / (double)hz);
			next = now + (uint64_t)(o->linger_s * hz);
		} else {
			break;
		}
	}
	/* Frames still held: give them back. */
	for (uint16_t i = 0; i < pending; i++)
		rte_pktmbuf_free(txb[off + i]);
	if (phase != LINGER) {
		fprintf(stderr, "gen: stopped before the window ended\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rte_mempool *rx_pool;
	struct gen_opts o;
	struct source src;
	uint16_t port;
	int n, rc = 1;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "gen: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argv[n] = argv[0];
	if (parse_args(argc - n, argv + n, &o)) {
		rte_eal_cleanup();
		return 2;
	}
	rx_pool = rte_pktmbuf_pool_create("gen_rx", GEN_RX_MBUFS, 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (rx_pool == NULL || source_init(&src, &o) != 0) {
		fprintf(stderr, "gen: out of memory: %s\n",
			rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	if (port_open(&o, &port) == 0 && port_start(&o, port, rx_pool) == 0) {
		printf("gen: memif %s on %s up; %s, %u-byte frames to "
		       "%u.%u.%u.%u:%u, warmup %g s, window %g s\n",
		       o.role, o.socket,
		       o.new_flows ? "new flows (SYN)" : "established flows",
		       o.size, o.vip >> 24, (o.vip >> 16) & 255,
		       (o.vip >> 8) & 255, o.vip & 255, o.vip_port, o.warmup_s,
		       o.duration_s);
		fflush(stdout);
		rc = run(&o, port, &src) ? 1 : 0;
		rte_eth_dev_stop(port);
		/* Closing a memif port disconnects it and, for a server,
		 * removes its socket file. */
		rte_eth_dev_close(port);
	}
	source_free(&src);
	rte_mempool_free(rx_pool);
	rte_eal_cleanup();
	return rc;
}
