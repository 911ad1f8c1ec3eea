/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection-table lookup cost: TSC cycles per key of ct_lookup_bulk() on
 * 64k established flows, looked up in worker-sized bursts in a shuffled
 * order (so the cache sees a realistic spread), all hits or all misses.
 * Prints the median of several passes; these machines are noisy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "conntrack.h"

#define N_FLOWS 65536u
#define N_PASSES 15u
#define TCP 6

static struct flow_key make_key(uint32_t id)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.src[0] = 10;
	k.src[1] = (uint8_t)(id >> 16);
	k.src[2] = (uint8_t)(id >> 8);
	k.src[3] = (uint8_t)id;
	k.dst[0] = 192;
	k.dst[2] = 2;
	k.dst[3] = 1;
	k.sport = rte_cpu_to_be_16((uint16_t)(1024 + (id % 60000)));
	k.dport = rte_cpu_to_be_16(443);
	k.proto = TCP;
	k.family = EP_AF_INET;
	return k;
}

/* Fisher-Yates with a fixed seed: the same order on every run. */
static void shuffle(uint32_t *v, uint32_t n)
{
	uint32_t i, x = 2463534242u;

	for (i = n - 1; i > 0; i--) {
		uint32_t j, tmp;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		j = x % (i + 1);
		tmp = v[i];
		v[i] = v[j];
		v[j] = tmp;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct bench {
	struct flow_key *keys; /* in lookup order */
	uint32_t *hashes;
	const struct flow_key **kp;
};

/* One pass over all keys in bursts; cycles per key. */
static double one_pass(struct ct_table *t, const struct bench *b,
		       uint32_t burst, uint32_t *hits)
{
	int32_t pos[64];
	uint64_t start = rte_rdtsc_precise();
	uint32_t i;

	*hits = 0;
	for (i = 0; i < N_FLOWS; i += burst)
		*hits +=
			ct_lookup_bulk(t, b->kp + i, b->hashes + i, burst, pos);
	return (double)(rte_rdtsc_precise() - start) / N_FLOWS;
}

static double median_pass(struct ct_table *t, const struct bench *b,
			  uint32_t burst, uint32_t *hits)
{
	double v[N_PASSES];
	uint32_t p;

	one_pass(t, b, burst, hits); /* warm up */
	for (p = 0; p < N_PASSES; p++)
		v[p] = one_pass(t, b, burst, hits);
	qsort(v, N_PASSES, sizeof(v[0]), cmp_double);
	return v[N_PASSES / 2];
}

/* Keys id_base.. in shuffled order, with their hashes and pointers. */
static int fill(struct bench *b, uint32_t id_base)
{
	uint32_t *order = malloc(sizeof(*order) * N_FLOWS), i;

	if (order == NULL)
		return -1;
	for (i = 0; i < N_FLOWS; i++)
		order[i] = i;
	shuffle(order, N_FLOWS);
	for (i = 0; i < N_FLOWS; i++) {
		b->keys[i] = make_key(id_base + order[i]);
		b->hashes[i] = rte_hash_crc(&b->keys[i], sizeof(b->keys[i]),
					    0x9e3779b9u);
		b->kp[i] = &b->keys[i];
	}
	free(order);
	return 0;
}

static int run(uint32_t capacity)
{
	struct ct_params p = {
		.name = "ct_bench",
		.entries = capacity,
		.socket_id = (int)rte_socket_id(),
		.tsc_hz = rte_get_tsc_hz(),
	};
	struct bench b = { 0 };
	struct ct_table *t = ct_create(&p);
	static const uint32_t bursts[] = { 32, 64 };
	uint32_t i, hits;
	double miss;
	int rc = -1;

	b.keys = malloc(sizeof(*b.keys) * N_FLOWS);
	b.hashes = malloc(sizeof(*b.hashes) * N_FLOWS);
	b.kp = malloc(sizeof(*b.kp) * N_FLOWS);
	if (t == NULL || b.keys == NULL || b.hashes == NULL || b.kp == NULL ||
	    fill(&b, 0) != 0)
		goto out;
	for (i = 0; i < N_FLOWS; i++) {
		int32_t pos = ct_insert(t, &b.keys[i], b.hashes[i], 0);

		if (pos < 0)
			goto out;
		ct_entry_at(t, pos)->state = CT_EST;
	}
	for (i = 0; i < RTE_DIM(bursts); i++) {
		double c = median_pass(t, &b, bursts[i], &hits);

		printf("capacity %u, %u flows, burst %u, hits: %.1f cycles/key "
		       "(%u hits)\n",
		       capacity, N_FLOWS, bursts[i], c, hits);
	}
	if (fill(&b, N_FLOWS) != 0)
		goto out;
	miss = median_pass(t, &b, 32, &hits);
	printf("capacity %u, %u flows, burst 32, misses: %.1f cycles/key "
	       "(%u hits)\n",
	       capacity, N_FLOWS, miss, hits);
	rc = 0;
out:
	free(b.kp);
	free(b.hashes);
	free(b.keys);
	ct_free(t);
	return rc;
}

int main(int argc, char **argv)
{
	char *eal[] = { "bench",
			"--no-huge",
			"--no-shconf",
			"--no-telemetry",
			"--file-prefix=bench_conntrack",
			"--no-pci",
			"-l",
			"0",
			"--log-level=error",
			"-m",
			"512",
			NULL };
	/* Optional core to pin to, e.g. "-l 1" on a quieter core. */
	if (argc == 3 && strcmp(argv[1], "-l") == 0)
		eal[7] = argv[2];
	if (rte_eal_init(11, eal) < 0) {
		fprintf(stderr, "EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	printf("tsc_hz %lu\n", (unsigned long)rte_get_tsc_hz());
	/* Half full (the sizing we recommend) and completely full. */
	if (run(2 * N_FLOWS) != 0 || run(N_FLOWS) != 0) {
		fprintf(stderr, "bench failed\n");
		rte_eal_cleanup();
		return 1;
	}
	rte_eal_cleanup();
	return 0;
}
