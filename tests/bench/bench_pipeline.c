/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_pipeline: the fast path's per-packet work on a fixed input, in one
 * process and one thread, for counting instructions under callgrind (which
 * does not move with this noisy machine's state) and, run natively, for
 * TSC cycles without any PMD cost.
 *
 * The real set-up (fp_setup on one net_ring port, a DSR service with four
 * static-MAC backends applied with ctrl_apply); the test thread plays the
 * worker: bench_measured_burst() = worker_process() + worker_flush() on
 * 32 prebuilt TCP frames (64 bytes, or --frame-len up to 1500 with a
 * zero payload), the same headers as tests/bench/gen.c sends. The TX
 * ring is drained and the frames' destination MAC restored outside that
 * function. Modes:
 *
 *   established  --flows flows (default 65536) inserted by a first pass,
 *                then --bursts bursts of ACKs over them, in order
 *   new          every frame a SYN from a new source, into a table with
 *                room (--ct-entries 262144, 65536 new flows measured)
 *   new-full     the same into a full table (--ct-entries 65536, filled
 *                first): every insert evicts
 *   policing-ab  established, in --rounds interleaved rounds: the DSR
 *                service alone, then the same with a packets/s limit, a
 *                per-client packets/s limit and a 10,000-prefix access
 *                list (none of which refuses a packet of this traffic);
 *                prints each round and the medians of both and of the
 *                difference
 *   established-policed  established with the policing configuration
 *                (for callgrind: instructions against established)
 *   syn-cookie   every frame a SYN from a new source to a nat service
 *                with syn_proxy: each is answered with a cookie SYN-ACK
 *                (no entry made); cycles per SYN and SYN-ACKs/s
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_measured_burst \
 *       build/tests/bench/bench_pipeline --mode established
 *
 * prints "measured_packets=N" (divide callgrind's total Ir by it) and,
 * natively, TSC cycles per packet. scripts/bench.sh --callgrind runs it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "ctrl.h"
#include "ep_abi.h"
#include "flat_build.h"
#include "fp.h"
#include "stats.h"

#define BURST 32u
#define RING_SIZE 1024u
#define VIP RTE_IPV4(10, 200, 0, 1)
#define VIP_PORT 80
#define SRC_NET RTE_IPV4(10, 128, 0, 0)
/* Every frame's headers; a frame is --frame-len bytes (HDR_LEN to
 * MAX_FRAME_LEN), its payload zeros. */
#define HDR_LEN 64u
#define MAX_FRAME_LEN 1500u
#define TH_SYN 0x02u
#define TH_ACK 0x10u

enum mode { M_EST, M_NEW, M_NEW_FULL, M_POL_AB, M_SYN_COOKIE, M_EST_POL };

struct opts {
	enum mode mode;
	uint32_t flows;
	uint32_t bursts;
	uint32_t ct_entries;
	uint32_t rounds;
	uint32_t frame_len;
	int huge; /* EAL on hugepages */
};

/* What apply_config() puts in force. */
enum cfg_kind {
	CFG_PLAIN, /* the DSR service */
	CFG_POLICED, /* the same with limits and a 10,000-prefix ACL */
	CFG_SYN_PROXY, /* a nat service with syn_proxy */
};

#define N_ACL_PREFIXES 10000u

static struct rte_ring *rx_ring, *tx_ring;
static struct rte_ether_addr port_mac;
static uint64_t new_seq;
static uint32_t frame_len = HDR_LEN;

/* ------------------------------------------------------------------ */
/* Configuration: the flat form of scripts/bench.sh's JSON document.    */

#define N_BACKENDS 4u

/*
 * The flat form with `n` access-list rules appended (deny prefixes of
 * 172.16.0.0/12 as /24s, none of which holds a source of this traffic,
 * scoped to service 0, and the global 192.0.2.0/24).
 */
static uint8_t *with_acl(uint8_t *buf, uint32_t *len, uint32_t n)
{
	struct ep_cfg_hdr h;
	uint32_t off = flat_align8(*len);
	uint8_t *out =
		realloc(buf, off + (size_t)n * sizeof(struct ep_cfg_acl_rule));

	if (out == NULL)
		exit(1);
	memset(out + *len, 0, off - *len);
	for (uint32_t i = 0; i < n; i++) {
		struct ep_cfg_acl_rule r;

		memset(&r, 0, sizeof(r));
		r.prefix = ep_ip4u(i + 1 == n ? RTE_IPV4(192, 0, 2, 0)
					      : RTE_IPV4(172, 16, 0, 0) +
							(i << 8));
		r.depth = 24;
		r.kind = EP_ACL_DENY;
		r.scope = i + 1 == n ? EP_ACL_SCOPE_GLOBAL : 0;
		memcpy(out + off + (size_t)i * sizeof(r), &r, sizeof(r));
	}
	memcpy(&h, out, sizeof(h));
	h.n_acl_rules = n;
	h.off_acl_rules = off;
	h.total_len = off + n * (uint32_t)sizeof(struct ep_cfg_acl_rule);
	memcpy(out, &h, sizeof(h));
	*len = h.total_len;
	return out;
}

/* One node address, one service, its backends (static MACs). */
static int apply_config(enum cfg_kind kind, uint64_t version)
{
	struct flat_build c;
	struct ep_cfg_service *s;
	struct ep_event_msg ev;
	uint32_t len;
	uint8_t *buf;
	int rc;

	flat_init(&c, 0);
	c.h.version = version;
	flat_add_addr(&c, ep_ip4u(RTE_IPV4(10, 200, 0, 254)));
	s = flat_add_service(&c, "bench_dsr", ep_ip4u(VIP), VIP_PORT, 0);
	if (kind == CFG_POLICED) {
		/* Far above this traffic: every check runs, none refuses. */
		s->limits[EP_LIMIT_PPS] =
			(struct ep_cfg_limit){ .rate = 1ull << 40,
					       .burst = 1ull << 36,
					       .mode = EP_LIMIT_TOKEN_BUCKET };
		s->limits[EP_LIMIT_CLIENT_PPS] =
			(struct ep_cfg_limit){ .rate = 1ull << 30,
					       .burst = 1ull << 26,
					       .mode = EP_LIMIT_TOKEN_BUCKET };
	}
	if (kind == CFG_SYN_PROXY) {
		s->fwd_mode = EP_FWD_NAT;
		s->flags = EP_SVC_F_SYN_PROXY;
		c.h.node.syn_cookie_flags = EP_SYN_COOKIE_F_KEY;
		c.h.node.syn_cookie_key[0] = 0x0123456789abcdefull;
		c.h.node.syn_cookie_key[1] = 0xfedcba9876543210ull;
	}
	for (uint32_t i = 0; i < N_BACKENDS; i++) {
		const uint8_t mac[6] = { 2, 0, 0, 0, 0xbe, (uint8_t)(i + 1) };
		struct ep_cfg_backend *b = flat_add_backend(
			&c, ep_ip4u(RTE_IPV4(10, 201, 0, i + 1)),
			kind == CFG_SYN_PROXY ? 8080 : 0, 1, i);

		b->has_mac = 1;
		memcpy(b->mac, mac, 6);
	}
	buf = flat_bytes(&c, &len);
	if (kind == CFG_POLICED)
		buf = with_acl(buf, &len, N_ACL_PREFIXES);
	memset(&ev, 0, sizeof(ev));
	rc = ctrl_apply(buf, len, &ev);
	free(buf);
	if (rc != 0 || ev.status != 0)
		fprintf(stderr, "configuration refused: %s\n", ev.error);
	return rc != 0 ? rc : ev.status;
}

/* ------------------------------------------------------------------ */
/* Frames: Ethernet/IPv4/TCP, 64 bytes, to VIP:80.                       */

/*
 * The first HDR_LEN bytes of a frame_len-byte frame whose payload is
 * zeros (the TCP checksum over the header and the pseudo-header is the
 * whole frame's, and the payload need not be read).
 */
static void write_hdr(uint8_t *f, uint32_t saddr, uint16_t sport, uint8_t flags)
{
	struct rte_ether_hdr *eth = (void *)f;
	struct rte_ipv4_hdr *ip = (void *)(eth + 1);
	struct rte_tcp_hdr *tcp = (void *)(ip + 1);
	uint32_t sum;

	memset(f, 0, HDR_LEN);
	rte_ether_addr_copy(&port_mac, &eth->dst_addr);
	eth->src_addr.addr_bytes[0] = 2;
	eth->src_addr.addr_bytes[5] = 0x42;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length =
		rte_cpu_to_be_16((uint16_t)(frame_len - sizeof(*eth)));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(saddr);
	ip->dst_addr = rte_cpu_to_be_32(VIP);
	tcp->src_port = rte_cpu_to_be_16(sport);
	tcp->dst_port = rte_cpu_to_be_16(VIP_PORT);
	tcp->sent_seq = rte_cpu_to_be_32(1);
	tcp->data_off = 0x50;
	tcp->tcp_flags = flags;
	tcp->rx_win = rte_cpu_to_be_16(65535);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	sum = (uint32_t)rte_ipv4_phdr_cksum(ip, 0) +
	      rte_raw_cksum(tcp, sizeof(*tcp));
	sum = (sum & 0xffff) + (sum >> 16);
	tcp->cksum = (uint16_t) ~((sum & 0xffff) + (sum >> 16));
}

static void write_frame(uint8_t *f, uint32_t saddr, uint16_t sport,
			uint8_t flags)
{
	memset(f, 0, frame_len);
	write_hdr(f, saddr, sport, flags);
}

/* Established flow i's headers: 256 source ports per client address (as
 * bench_gen). */
static void est_hdr(uint8_t *f, uint32_t i)
{
	write_hdr(f, SRC_NET + i / 256, (uint16_t)(10000 + i % 256), TH_ACK);
}

static void new_frame(struct rte_mbuf *m)
{
	uint64_t q = new_seq++;

	write_frame(rte_pktmbuf_mtod(m, uint8_t *),
		    SRC_NET + (uint32_t)(q / 64512),
		    (uint16_t)(1024 + q % 64512), TH_SYN);
}

/* ------------------------------------------------------------------ */
/* The measured function (callgrind: --toggle-collect=<this name>). The   */
/* counters after the calls keep the compiler from folding the two        */
/* functions into one or turning the flush into a tail jump, either of    */
/* which would hide costs from --toggle-collect.                         */

static volatile uint64_t measured_bursts, warm_bursts;

__attribute__((noinline, noclone)) void
bench_measured_burst(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n);
__attribute__((noinline, noclone)) void
bench_measured_burst(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	worker_process(w, pkts, n, 0);
	worker_flush(w);
	measured_bursts = measured_bursts + 1;
}

/* Unmeasured twin for warm-up passes. */
static __attribute__((noinline, noclone)) void
warm_burst(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	worker_process(w, pkts, n, 0);
	worker_flush(w);
	warm_bursts = warm_bursts + 2;
}

/* Take back what the worker sent; put the frames' addressing back. */
static unsigned int drain(struct rte_mbuf **back, unsigned int max)
{
	unsigned int n =
		rte_ring_dequeue_burst(tx_ring, (void **)back, max, NULL);

	for (unsigned int i = 0; i < n; i++) {
		uint8_t *f = rte_pktmbuf_mtod(back[i], uint8_t *);

		memcpy(f, port_mac.addr_bytes, 6);
		back[i]->port = 0;
	}
	return n;
}

static struct rte_mbuf *alloc_frame(struct rte_mempool *pool)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL) {
		fprintf(stderr, "out of mbufs\n");
		exit(1);
	}
	memset(rte_pktmbuf_mtod(m, uint8_t *), 0, frame_len);
	m->data_len = (uint16_t)frame_len;
	m->pkt_len = frame_len;
	m->port = 0;
	return m;
}

/* TSC cycles of the measured calls alone (new_burst()). */
static uint64_t burst_cycles;

/* One burst of new-flow SYNs; returns packets that came out. */
static unsigned int new_burst(struct fp_worker *w, struct rte_mempool *pool,
			      int measured)
{
	struct rte_mbuf *pkts[BURST];
	unsigned int out;
	uint64_t t0;

	for (uint32_t i = 0; i < BURST; i++) {
		pkts[i] = alloc_frame(pool);
		new_frame(pkts[i]);
	}
	t0 = rte_rdtsc();
	if (measured)
		bench_measured_burst(w, pkts, BURST);
	else
		warm_burst(w, pkts, BURST);
	if (measured)
		burst_cycles += rte_rdtsc() - t0;
	out = drain(pkts, BURST);
	rte_pktmbuf_free_bulk(pkts, out);
	return out;
}

/*
 * Established flows the way a PMD delivers them: a few mbufs reused burst
 * after burst, each burst's headers written in (as a NIC or memif's RX
 * writes fresh data; the payload, zeros, stays in the mbuf) outside the
 * measured function, so that no table of every flow's frame competes for
 * the cache with the connection table. A burst is BURST frames of flows
 * in turn (fewer flows than that repeat within a burst).
 */
static uint64_t run_established(const struct opts *o, struct rte_mempool *pool,
				uint64_t *packets, uint64_t *out_pkts)
{
	struct fp_worker *w = &fp.workers[0];
	struct rte_mbuf *b[BURST];
	uint64_t cycles = 0, warm = (o->flows + BURST - 1) / BURST * BURST,
		 total = warm + (uint64_t)o->bursts * BURST;
	uint32_t next = 0;

	for (uint32_t i = 0; i < BURST; i++)
		b[i] = alloc_frame(pool);
	/* The first pass over every flow (unmeasured) creates the entries. */
	for (uint64_t done = 0; done < total; done += BURST) {
		int measured = done >= warm;
		unsigned int out;
		uint64_t t0;

		for (uint16_t i = 0; i < BURST; i++) {
			est_hdr(rte_pktmbuf_mtod(b[i], uint8_t *), next);
			next = next + 1 == o->flows ? 0 : next + 1;
		}
		t0 = rte_rdtsc();
		if (measured)
			bench_measured_burst(w, b, BURST);
		else
			warm_burst(w, b, BURST);
		if (measured)
			cycles += rte_rdtsc() - t0;
		out = drain(b, BURST);
		if (measured) {
			*packets += BURST;
			*out_pkts += out;
		}
		for (uint16_t i = (uint16_t)out; i < BURST; i++)
			b[i] = alloc_frame(pool); /* dropped ones were freed */
	}
	rte_pktmbuf_free_bulk(b, BURST);
	return cycles;
}

static uint64_t run(const struct opts *o, struct rte_mempool *pool,
		    uint64_t *packets, uint64_t *out_pkts)
{
	struct fp_worker *w = &fp.workers[0];
	uint64_t cycles = 0, t0;

	*packets = 0;
	*out_pkts = 0;
	if (o->mode == M_EST || o->mode == M_POL_AB || o->mode == M_EST_POL)
		return run_established(o, pool, packets, out_pkts);
	if (o->mode == M_NEW_FULL) {
		/* Fill the table twice over: inserts now evict. */
		uint32_t fill = 2 * o->ct_entries / BURST;

		for (uint32_t b = 0; b < fill; b++)
			new_burst(w, pool, 0);
	}
	burst_cycles = 0;
	for (uint32_t b = 0; b < o->bursts; b++) {
		t0 = rte_rdtsc();
		*out_pkts += new_burst(w, pool, 1);
		cycles += rte_rdtsc() - t0;
		*packets += BURST;
	}
	/* syn-cookie: the pipeline alone (worker_process + worker_flush);
	 * new, new-full: with the frames' making and freeing, as their
	 * recorded figures were measured. */
	return o->mode == M_SYN_COOKIE ? burst_cycles : cycles;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, uint32_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Interleaved rounds of the established traffic without and with the
 * policing configuration. Each run makes its entries again (its first
 * pass is not measured), so the order inside a round does not favour one.
 */
static int run_policing_ab(const struct opts *o, struct rte_mempool *pool)
{
	double plain[64], pol[64], diff[64];
	uint64_t version = 10;
	int rc = 0;

	for (uint32_t r = 0; r < o->rounds; r++) {
		for (int k = 0; k < 2; k++) {
			int policed = (k == 0) == (r % 2 == 1);
			uint64_t cyc, pk, out;

			if (apply_config(policed ? CFG_POLICED : CFG_PLAIN,
					 version++) != 0)
				return 1;
			cyc = run(o, pool, &pk, &out);
			if (out != pk)
				rc = 1;
			(policed ? pol : plain)[r] = pk ? (double)cyc / pk : 0;
		}
		diff[r] = pol[r] - plain[r];
		printf("round %u: plain %.1f policed %.1f extra %.1f "
		       "tsc_cycles/packet\n",
		       r + 1, plain[r], pol[r], diff[r]);
		fflush(stdout);
	}
	printf("mode=policing-ab flows=%u rounds=%u acl_prefixes=%u "
	       "median_plain=%.1f median_policed=%.1f median_extra=%.1f "
	       "tsc_cycles_per_packet\n",
	       o->flows, o->rounds, N_ACL_PREFIXES, median(plain, o->rounds),
	       median(pol, o->rounds), median(diff, o->rounds));
	return rc;
}

/* ------------------------------------------------------------------ */

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "flows", required_argument, NULL, 'f' },
		{ "bursts", required_argument, NULL, 'b' },
		{ "ct-entries", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "frame-len", required_argument, NULL, 'l' },
		{ "huge", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ct_given = 0, bursts_given = 0;

	o->mode = M_EST;
	o->flows = 65536;
	o->bursts = 4096;
	o->ct_entries = 262144;
	o->rounds = 7;
	o->frame_len = HDR_LEN;
	o->huge = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char *end;
		unsigned long v;

		if (c == 'm') {
			if (strcmp(optarg, "established") == 0)
				o->mode = M_EST;
			else if (strcmp(optarg, "new") == 0)
				o->mode = M_NEW;
			else if (strcmp(optarg, "new-full") == 0)
				o->mode = M_NEW_FULL;
			else if (strcmp(optarg, "policing-ab") == 0)
				o->mode = M_POL_AB;
			else if (strcmp(optarg, "syn-cookie") == 0)
				o->mode = M_SYN_COOKIE;
			else if (strcmp(optarg, "established-policed") == 0)
				o->mode = M_EST_POL;
			else
				goto bad;
			continue;
		}
		if (c == '?')
			goto bad;
		if (c == 'H') {
			o->huge = 1;
			continue;
		}
		v = strtoul(optarg, &end, 10);
		if (*end || end == optarg || optarg[0] == '-' || v < 1 ||
		    v > (1ul << 24))
			goto bad;
		if (c == 'f')
			o->flows = (uint32_t)v;
		else if (c == 'b')
			o->bursts = (uint32_t)v, bursts_given = 1;
		else if (c == 'r')
			o->rounds = (uint32_t)RTE_MIN(v, 64ul);
		else if (c == 'l')
			o->frame_len = (uint32_t)v;
		else
			o->ct_entries = (uint32_t)v, ct_given = 1;
	}
	if (o->mode == M_NEW_FULL && !ct_given)
		o->ct_entries = 65536;
	if (o->mode != M_EST && o->mode != M_POL_AB && o->mode != M_EST_POL &&
	    !bursts_given)
		o->bursts = 2048; /* 65536 new flows */
	if (o->ct_entries < 1024 || optind < argc || o->frame_len < HDR_LEN ||
	    o->frame_len > MAX_FRAME_LEN)
		goto bad;
	return 0;
bad:
	fprintf(stderr,
		"usage: %s [--mode established|new|new-full|policing-ab|"
		"established-policed|syn-cookie] [--flows N] [--bursts N] "
		"[--ct-entries N "
		"(>= 1024)] [--rounds N (policing-ab, <= 64)] "
		"[--frame-len 64..1500] [--huge]\n",
		argv[0]);
	return -1;
}

int main(int argc, char **argv)
{
	/* Without hugepages unless --huge: 4 KiB pages add a TLB miss to
	 * every cold table access, which a real deployment does not pay. */
	char *eal[] = { argv[0],
			"-m",
			"1024",
			"--no-huge",
			"--no-pci",
			"--no-shconf",
			"--no-telemetry",
			"--lcores=0@(0-1),1@(0-1)",
			"--file-prefix=bench_pipeline",
			"--log-level=error",
			NULL };
	static const char *mode_names[] = {
		"established", "new",	     "new-full",
		"policing-ab", "syn-cookie", "established-policed"
	};
	struct rte_mempool *pool;
	struct fp_options fo;
	struct opts o;
	uint64_t cycles, packets, out_pkts;
	int n_eal = (int)RTE_DIM(eal) - 1;

	if (parse_args(argc, argv, &o))
		return 2;
	frame_len = o.frame_len;
	if (o.huge) {
		/* Drop "--no-huge" (the array's fourth entry). */
		memmove(&eal[3], &eal[4], (size_t)(n_eal - 3) * sizeof(eal[0]));
		n_eal--;
	}
	if (rte_eal_init(n_eal, eal) < 0) {
		fprintf(stderr, "EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	rx_ring = rte_ring_create("bp_rx", RING_SIZE, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx_ring = rte_ring_create("bp_tx", RING_SIZE, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	pool = rte_pktmbuf_pool_create("bp_pool", 4095, 0, 0,
				       RTE_PKTMBUF_HEADROOM + MAX_FRAME_LEN,
				       SOCKET_ID_ANY);
	if (!rx_ring || !tx_ring || !pool ||
	    rte_eth_from_rings("bp_port", &rx_ring, 1, &tx_ring, 1, 0) < 0) {
		fprintf(stderr, "set-up failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	fp_default_options(&fo);
	fo.ct_entries = o.ct_entries;
	fo.seed_given = 1;
	fo.hash_seed = 0x5eed;
	if (fp_setup(&fo) != 0 || fp.n_workers < 1) {
		fprintf(stderr, "fast path set-up failed\n");
		fp_teardown();
		return 1;
	}
	rte_eth_macaddr_get(fp.ports[0].port_id, &port_mac);
	if (apply_config(o.mode == M_SYN_COOKIE ? CFG_SYN_PROXY
			 : o.mode == M_EST_POL	? CFG_POLICED
						: CFG_PLAIN,
			 1) != 0) {
		fp_teardown();
		return 1;
	}
	if (o.mode == M_POL_AB) {
		int rc = run_policing_ab(&o, pool);

		fp_teardown();
		rte_mempool_free(pool);
		rte_eal_cleanup();
		return rc;
	}
	cycles = run(&o, pool, &packets, &out_pkts);
	printf("mode=%s flows=%u ct_entries=%u frame_len=%u "
	       "measured_packets=%" PRIu64 " forwarded=%" PRIu64
	       " tsc_cycles_per_packet=%.1f\n",
	       mode_names[o.mode],
	       o.mode == M_EST || o.mode == M_EST_POL ? o.flows : 0,
	       o.ct_entries, frame_len, packets, out_pkts,
	       packets ? (double)cycles / (double)packets : 0.0);
	if (o.mode == M_SYN_COOKIE && cycles)
		printf("syn_cookie_answers_per_second_per_worker=%.2fM "
		       "(TSC %.2f GHz; SYN-ACKs out %" PRIu64
		       ", entries made %" PRIu64 ")\n",
		       (double)packets * (double)rte_get_tsc_hz() /
			       (double)cycles / 1e6,
		       (double)rte_get_tsc_hz() / 1e9, out_pkts,
		       stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS));
	if (o.mode == M_SYN_COOKIE && packets) {
		/* The fast path's own stages (parse; classify and table
		 * lookup; decide = the SYN proxy's answer), per packet (no
		 * unmeasured burst in this mode). */
		double n = (double)packets;

		printf("stages_per_packet parse=%.1f lookup=%.1f "
		       "decide=%.1f\n",
		       (double)stats_sum_cnt(fp.stats, EP_CNT_CYC_PARSE) / n,
		       (double)stats_sum_cnt(fp.stats, EP_CNT_CYC_LOOKUP) / n,
		       (double)stats_sum_cnt(fp.stats, EP_CNT_CYC_REWRITE) / n);
	}
	fflush(stdout);
	fp_teardown();
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return out_pkts == packets ? 0 : 1;
}
