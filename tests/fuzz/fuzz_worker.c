/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the whole worker burst path on one packet: the
 * real fast path (fp_setup, tests/malformed/config.json applied by
 * ctrl_apply) on a net_ring port; each input becomes one mbuf (chain)
 * handed to worker_process() of worker 0 on this thread, then
 * worker_flush(). Everything the worker sent or punted is taken off the
 * rings and freed.
 *
 * Input: byte 0 says how to cut the frame into segments (bits 0-1: 0
 * one segment, 1 two, 2 or 3 three; the cut offsets are bytes 1 and 2),
 * the rest is the frame. A destination MAC of 02:ee:ee:ee:ee:ee becomes
 * the port's.
 *
 * Invariants: no mbuf leaks (both pools back to their free counts after
 * every input), and every packet is accounted for: sent, punted or
 * counted under a drop reason.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_eal.h"
#include "ringfp.h"
#include "stats_sum.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ringfp rfp;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_eal_init("fuzz_worker", "0,1@0", "512");
	if (ringfp_setup(&rfp, SOURCE_ROOT "/tests/malformed/config.json")) {
		fprintf(stderr, "fast path set-up failed\n");
		exit(1);
	}
	atexit(fp_teardown); /* before LeakSanitizer's exit check */
	return 0;
}

static uint64_t drops_total(void)
{
	uint64_t n = 0;

	for (unsigned int r = 0; r < EP_DROP_MAX; r++)
		n += stats_sum_drop(fp.stats, r);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fp_worker *w = &fp.workers[0];
	struct ringfp_out out = { 0 };
	uint32_t cuts[2];
	unsigned int n_cuts;
	struct rte_mbuf *mb;
	uint64_t d0;

	if (size < 3)
		return 0;
	n_cuts = data[0] & 3u;
	if (n_cuts == 3)
		n_cuts = 2;
	cuts[0] = data[1] < data[2] ? data[1] : data[2];
	cuts[1] = data[1] < data[2] ? data[2] : data[1];
	if (n_cuts == 1)
		cuts[0] = data[1];
	mb = ringfp_frame(&rfp, data + 3, (uint32_t)(size - 3), cuts, n_cuts);
	FUZZ_CHECK(mb != NULL);
	d0 = drops_total();
	worker_process(w, &mb, 1, 0);
	worker_flush(w);
	ringfp_drain(&rfp, &out);
	FUZZ_CHECK(out.tx + out.punted + (drops_total() - d0) >= 1);
	FUZZ_CHECK(rte_mempool_avail_count(rfp.pool) == RINGFP_MBUFS);
	FUZZ_CHECK(rte_mempool_avail_count(fp.pool) == rfp.fp_pool0);
	return 0;
}
