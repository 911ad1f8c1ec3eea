/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The malformed-packet corpus (tests/malformed/gen_malformed.py) through
 * the real fast path: fp_setup, worker_main on a worker lcore, one
 * net_ring port, tests/malformed/config.json applied (tests/malformed/
 * ringfp.h). Each frame goes in alone, cut into mbuf segments where the
 * corpus says, followed by a barrier (an ARP request for the node
 * address from BARRIER_IP; once its reply is out, the frame was
 * handled). For each: the outcome the corpus names (sent once, punted
 * once, or dropped and counted under exactly its drop reason, with no
 * other drop counter moving), and both mbuf pools back to their free
 * counts (no mbuf leaked, also on the drop paths).
 *
 * Then a full connection table: CT_FLOOD new flows, many times the
 * table's entries, all forwarded (old entries evicted or the pick made
 * without an entry, both counted), no mbuf leaked.
 *
 *   test_malformed CORPUS.pcap CORPUS.tsv CONFIG.json
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>

#include "check.h"
#include "ringfp.h"
#include "stats_sum.h"
#include "test_eal.h"

#define MAX_CASES 512u
#define MAX_FRAME 4096u
#define MAX_CUTS 4u
#define WAIT_S 5u
#define BARRIER_IP "\x0a\x00\x00\xfa" /* 10.0.0.250 */

struct mcase {
	char name[128];
	char expect[64]; /* "fwd", "punt", "reply", "drop:<reason>" */
	uint32_t cuts[MAX_CUTS];
	unsigned int n_cuts;
	uint32_t len;
	uint8_t frame[MAX_FRAME];
};

static struct mcase cases[MAX_CASES];
static unsigned int n_cases;
static struct ringfp rfp;

/* ------------------------------------------------------------------ */
/* The corpus.                                                          */

static int read_pcap(const char *path)
{
	uint32_t gh[6], rh[4];
	uint16_t gh16[2];
	FILE *f = fopen(path, "rb");
	unsigned int n = 0;

	if (f == NULL || fread(gh, 4, 1, f) != 1 || gh[0] != 0xa1b2c3d4u ||
	    fread(gh16, 2, 2, f) != 2 || fread(gh + 1, 4, 4, f) != 4 ||
	    gh[4] != 1 /* Ethernet */) {
		fprintf(stderr, "%s: not a little-endian Ethernet pcap\n",
			path);
		if (f)
			fclose(f);
		return -1;
	}
	while (fread(rh, 4, 4, f) == 4) {
		if (n == MAX_CASES || rh[2] > MAX_FRAME || rh[2] != rh[3] ||
		    fread(cases[n].frame, 1, rh[2], f) != rh[2]) {
			fprintf(stderr, "%s: record %u unreadable\n", path, n);
			fclose(f);
			return -1;
		}
		cases[n++].len = rh[2];
	}
	fclose(f);
	return (int)n;
}

static int read_tsv(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");
	unsigned int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) && n < MAX_CASES) {
		struct mcase *c = &cases[n++];
		char *name = strtok(line, "\t\n"),
		     *expect = strtok(NULL, "\t\n"),
		     *cuts = strtok(NULL, "\t\n");

		if (!name || !expect || !cuts)
			break;
		snprintf(c->name, sizeof(c->name), "%s", name);
		snprintf(c->expect, sizeof(c->expect), "%s", expect);
		for (char *t = strtok(cuts, ",");
		     t && strcmp(t, "-") != 0 && c->n_cuts < MAX_CUTS;
		     t = strtok(NULL, ","))
			c->cuts[c->n_cuts++] = (uint32_t)strtoul(t, NULL, 10);
	}
	fclose(f);
	return (int)n;
}

/* ------------------------------------------------------------------ */
/* One case.                                                            */

static struct rte_mbuf *barrier(void)
{
	uint8_t f[60] = { 0 };

	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x99", 6);
	memcpy(f + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01", 10);
	memcpy(f + 22, "\x02\x00\x00\x00\x00\x99", 6);
	memcpy(f + 28, BARRIER_IP, 4);
	memcpy(f + 38, "\x0a\x00\x00\x01", 4);
	return ringfp_frame(&rfp, f, sizeof(f), NULL, 0);
}

static int is_barrier_reply(const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

	return rte_pktmbuf_data_len(m) >= 42 && f[12] == 0x08 &&
	       f[13] == 0x06 && f[21] == 2 &&
	       memcmp(f + 38, BARRIER_IP, 4) == 0;
}

struct outcome {
	unsigned int tx, punted;
	uint64_t drop[EP_DROP_MAX];
};

/* Send one frame and the barrier; collect until the barrier's reply. */
static int run_case(const struct mcase *c, struct outcome *o)
{
	struct rte_mbuf *in[2], *m[32];
	uint64_t d0[EP_DROP_MAX], deadline;
	int done = 0;

	memset(o, 0, sizeof(*o));
	for (unsigned int r = 0; r < EP_DROP_MAX; r++)
		d0[r] = stats_sum_drop(fp.stats, r);
	in[0] = ringfp_frame(&rfp, c->frame, c->len, c->cuts, c->n_cuts);
	in[1] = barrier();
	if (in[0] == NULL || in[1] == NULL ||
	    rte_ring_sp_enqueue_bulk(rfp.rx, (void **)in, 2, NULL) != 2)
		return -1;
	deadline = rte_rdtsc() + WAIT_S * rte_get_tsc_hz();
	while (!done && rte_rdtsc() < deadline) {
		unsigned int n =
			rte_ring_sc_dequeue_burst(rfp.tx, (void **)m, 32, NULL);

		for (unsigned int i = 0; i < n; i++) {
			if (is_barrier_reply(m[i]))
				done = 1;
			else
				o->tx++;
			rte_pktmbuf_free(m[i]);
		}
		if (n == 0)
			sched_yield();
	}
	if (!done)
		return -1;
	while (rte_ring_sc_dequeue(fp.punt_ring, (void **)&m[0]) == 0) {
		o->punted++;
		rte_pktmbuf_free(m[0]);
	}
	for (unsigned int r = 0; r < EP_DROP_MAX; r++)
		o->drop[r] = stats_sum_drop(fp.stats, r) - d0[r];
	return 0;
}

static int drop_reason(const char *name)
{
	for (unsigned int r = 0; r < EP_DROP_MAX; r++)
		if (strcmp(stats_drop_names[r], name) == 0)
			return (int)r;
	return -1;
}

static void check_case(const struct mcase *c)
{
	unsigned int want_tx = 0, want_punt = 0, drops = 0;
	struct outcome o;
	int why = -1;

	if (strncmp(c->expect, "drop:", 5) == 0) {
		why = drop_reason(c->expect + 5);
		CHECK_MSG(why >= 0, "%s: unknown drop reason %s", c->name,
			  c->expect + 5);
	} else if (strcmp(c->expect, "fwd") == 0 ||
		   strcmp(c->expect, "reply") == 0) {
		want_tx = 1;
	} else if (strcmp(c->expect, "punt") == 0) {
		want_punt = 1;
	} else {
		CHECK_MSG(0, "%s: unknown expectation %s", c->name, c->expect);
		return;
	}
	if (run_case(c, &o) != 0) {
		CHECK_MSG(0, "%s: not handled within %u s", c->name, WAIT_S);
		return;
	}
	for (unsigned int r = 0; r < EP_DROP_MAX; r++) {
		drops += (unsigned int)o.drop[r];
		CHECK_MSG((int)r == why ? o.drop[r] == 1 : o.drop[r] == 0,
			  "%s: drop counter %s moved by %lu (expected %s)",
			  c->name, stats_drop_names[r],
			  (unsigned long)o.drop[r], c->expect);
	}
	CHECK_MSG(o.tx == want_tx && o.punted == want_punt,
		  "%s: %u sent, %u punted, %u dropped (expected %s)", c->name,
		  o.tx, o.punted, drops, c->expect);
	CHECK_MSG(rte_mempool_avail_count(rfp.pool) == RINGFP_MBUFS,
		  "%s: test pool %u of %u mbufs free", c->name,
		  rte_mempool_avail_count(rfp.pool), RINGFP_MBUFS);
	CHECK_MSG(rte_mempool_avail_count(fp.pool) == rfp.fp_pool0,
		  "%s: fast path pool %u of %u mbufs free", c->name,
		  rte_mempool_avail_count(fp.pool), rfp.fp_pool0);
}

/* ------------------------------------------------------------------ */
/* A full connection table.                                             */

#define CT_FLOOD 40000u /* ten times ringfp.h's 4096 entries */
#define CT_CHUNK 1000u

/* A TCP SYN to the tcp4 service from client 172.16.(i >> 8).(i & 255). */
static uint32_t flood_frame(uint8_t *f, uint32_t i)
{
	static const uint8_t hdr[] = { 0x02, 0xee, 0xee, 0xee, 0xee, 0xee, 0x02,
				       0,    0,	   0,	 0,    0x99, 0x08, 0x00,
				       0x45, 0,	   0,	 40,   0,    1,	   0x40,
				       0,    64,   6,	 0,    0,    172,  16,
				       0,    0,	   10,	 1,    0,    1 };
	uint32_t s = 0;

	memset(f, 0, 60);
	memcpy(f, hdr, sizeof(hdr));
	f[28] = (uint8_t)(i >> 8);
	f[29] = (uint8_t)i;
	for (unsigned int k = 14; k < 34; k += 2)
		s += (uint32_t)(f[k] << 8 | f[k + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	f[24] = (uint8_t)(~s >> 8);
	f[25] = (uint8_t)~s;
	f[34] = 0x04; /* sport 1024, dport 80 */
	f[35] = 0;
	f[36] = 0;
	f[37] = 80;
	f[46] = 0x50;
	f[47] = 0x02; /* SYN */
	return 60;
}

static void test_ct_full(void)
{
	uint64_t ev0 = stats_sum_cnt(fp.stats, EP_CNT_CT_EVICTIONS),
		 fb0 = stats_sum_cnt(fp.stats, EP_CNT_CT_FALLBACK),
		 d0 = stats_sum_drops(fp.stats);
	unsigned int sent = 0, out = 0;
	struct mcase c = { .name = "connection table full" };

	for (uint32_t i = 0; i < CT_FLOOD; i += CT_CHUNK) {
		struct rte_mbuf *in[CT_CHUNK + 1], *m[64];
		uint64_t deadline;
		unsigned int n = 0, k;
		int done = 0;

		for (uint32_t j = i; j < i + CT_CHUNK && j < CT_FLOOD; j++) {
			c.len = flood_frame(c.frame, j);
			in[n] = ringfp_frame(&rfp, c.frame, c.len, NULL, 0);
			if (in[n] == NULL)
				break;
			n++;
		}
		in[n] = barrier();
		if (in[n] == NULL ||
		    rte_ring_sp_enqueue_bulk(rfp.rx, (void **)in, n + 1,
					     NULL) != n + 1) {
			CHECK_MSG(0, "flood: could not send chunk %u", i);
			return;
		}
		sent += n;
		deadline = rte_rdtsc() + WAIT_S * rte_get_tsc_hz();
		while (!done && rte_rdtsc() < deadline) {
			k = rte_ring_sc_dequeue_burst(rfp.tx, (void **)m, 64,
						      NULL);
			for (unsigned int x = 0; x < k; x++) {
				if (is_barrier_reply(m[x]))
					done = 1;
				else
					out++;
				rte_pktmbuf_free(m[x]);
			}
			if (k == 0)
				sched_yield();
		}
		CHECK_MSG(done, "flood: chunk %u not handled within %u s", i,
			  WAIT_S);
	}
	CHECK_MSG(sent == CT_FLOOD && out == sent,
		  "flood: %u new flows sent, %u forwarded", sent, out);
	CHECK_MSG(stats_sum_drops(fp.stats) == d0, "flood: %lu drops",
		  (unsigned long)(stats_sum_drops(fp.stats) - d0));
	printf("connection table full: %u flows, %lu evictions, %lu "
	       "stateless picks\n",
	       sent,
	       (unsigned long)(stats_sum_cnt(fp.stats, EP_CNT_CT_EVICTIONS) -
			       ev0),
	       (unsigned long)(stats_sum_cnt(fp.stats, EP_CNT_CT_FALLBACK) -
			       fb0));
	CHECK_MSG(stats_sum_cnt(fp.stats, EP_CNT_CT_EVICTIONS) - ev0 +
				  stats_sum_cnt(fp.stats, EP_CNT_CT_FALLBACK) -
				  fb0 >=
			  CT_FLOOD - 4096u,
		  "flood: evictions and stateless picks not counted");
	CHECK(rte_mempool_avail_count(rfp.pool) == RINGFP_MBUFS);
	CHECK(rte_mempool_avail_count(fp.pool) == rfp.fp_pool0);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	char lcores[64];
	char *eal[] = { "test_malformed",
			"--no-huge",
			"-m",
			"512",
			"--no-pci",
			"--no-shconf",
			"--no-telemetry",
			lcores,
			"--file-prefix=test_malformed",
			"--log-level=error",
			NULL };
	int np, nt, rc;

	if (argc != 4) {
		fprintf(stderr, "usage: test_malformed CORPUS.pcap CORPUS.tsv "
				"CONFIG.json\n");
		return 2;
	}
	np = read_pcap(argv[1]);
	nt = read_tsv(argv[2]);
	if (np <= 0 || np != nt) {
		fprintf(stderr, "corpus: %d frames, %d expectations\n", np, nt);
		return 1;
	}
	n_cases = (unsigned int)np;
	test_lcores_arg(lcores, sizeof(lcores), 1);
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0 ||
	    ringfp_setup(&rfp, argv[3]) != 0) {
		fprintf(stderr, "fast path set-up failed\n");
		return 1;
	}
	fp_launch_workers();
	for (unsigned int i = 0; i < n_cases; i++)
		check_case(&cases[i]);
	printf("%u corpus frames\n", n_cases);
	test_ct_full();
	fp_teardown();
	rc = check_summary("malformed");
	rte_eal_cleanup();
	return rc;
}
