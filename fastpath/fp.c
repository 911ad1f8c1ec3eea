/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fast path start-up and shutdown, shared by edgepath-fastpath and the
 * integration tests so that both run the same set-up code.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <limits.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "ctrl.h"
#include "flowhash.h"
#include "fp.h"
#include "port.h"
#include "stats.h"

struct fp_context fp;

#define SLOWPATH_DETACH_WAIT_MS 3000u

void fp_default_options(struct fp_options *o)
{
	*o = (struct fp_options){ .ct_entries = 262144,
				  .client_entries = 65536,
				  .mbufs = 32767,
				  .rx_desc = 1024,
				  .tx_desc = 1024,
				  .exc = { .pps = EXC_DEFAULT_PPS,
					   .source_pps = EXC_DEFAULT_SOURCE_PPS,
					   .neigh_pps =
						   EXC_DEFAULT_NEIGH_PPS } };
}

static int setup_worker(struct fp_worker *w, uint16_t index, unsigned int lcore,
			const struct fp_options *o)
{
	char name[RTE_RING_NAMESIZE];
	struct ct_params cp = { 0 };
	struct cl_params clp = { 0 };
	uint32_t ct_entries = o->ct_entries;

	w->index = index;
	w->lcore_id = (uint16_t)lcore;
	w->st = &fp.stats->lcore[index];
	w->svc = fp.stats->svc[index];
	w->be = fp.stats->be[index];
	w->wrr_cursor =
		rte_zmalloc("ep_wrr", EP_MAX_SERVICES * sizeof(uint32_t), 64);
	snprintf(name, sizeof(name), "ep_ct_%u", index);
	cp.name = name;
	cp.entries = ct_entries;
	cp.socket_id = (int)rte_lcore_to_socket_id(lcore);
	cp.tsc_hz = fp.tsc_hz;
	cp.on_remove = worker_ct_removed;
	cp.cb_arg = w;
	w->ct = ct_create(&cp);
	snprintf(name, sizeof(name), "ep_cl_%u", index);
	clp.name = name;
	clp.entries = o->client_entries;
	clp.socket_id = cp.socket_id;
	clp.tsc_hz = fp.tsc_hz;
	clp.seed = (uint64_t)fp.hash_seed * 0x9e3779b97f4a7c15ull + index;
	w->cl = cl_create(&clp);
	if (w->ct == NULL || w->cl == NULL || w->wrr_cursor == NULL)
		return -ENOMEM;
	if (fp.n_workers > 1) {
		snprintf(name, sizeof(name), "ep_handoff_%u", index);
		w->handoff = rte_ring_create(name, 4096, cp.socket_id,
					     RING_F_SC_DEQ);
		if (w->handoff == NULL)
			return -rte_errno;
	}
	return 0;
}

static int setup_workers(const struct fp_options *o)
{
	unsigned int lcore;
	uint16_t i = 0;

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		int rc = setup_worker(&fp.workers[i], i, lcore, o);

		if (rc) {
			fprintf(stderr, "worker %u: set-up failed: %s\n", i,
				rte_strerror(-rc));
			return rc;
		}
		i++;
	}
	fp.stats->n_lcores = fp.n_workers;
	return 0;
}

static void free_workers(void)
{
	for (uint16_t i = 0; i < fp.n_workers; i++) {
		ct_free(fp.workers[i].ct);
		cl_free(fp.workers[i].cl);
		rte_ring_free(fp.workers[i].handoff);
		rte_free(fp.workers[i].wrr_cursor);
	}
}

static int count_workers(void)
{
	unsigned int n = rte_lcore_count();

	if (n < 2) {
		fprintf(stderr, "need a main lcore and at least one worker "
				"(e.g. -l 0,1 or --lcores='0@1,1@1')\n");
		return -1;
	}
	if (n - 1 > EP_MAX_WORKERS) {
		fprintf(stderr, "at most %u workers\n", EP_MAX_WORKERS);
		return -1;
	}
	fp.n_workers = (uint16_t)(n - 1);
	return 0;
}

int fp_setup(const struct fp_options *o)
{
	int rc;

	fp.tsc_hz = rte_get_tsc_hz();
	fp.hash_seed = o->seed_given ? o->hash_seed : flowhash_random_seed();
	fp.idle_sleep_us = o->idle_sleep_us;
	if (count_workers())
		return -EINVAL;
	fp.stats = stats_create();
	fp.neigh = neigh_create(SOCKET_ID_ANY);
	fp.pool = rte_pktmbuf_pool_create(EP_POOL_PKT, o->mbufs, 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (!fp.stats || !fp.neigh || !fp.pool) {
		fprintf(stderr,
			"out of memory (stats, neighbours or %u "
			"mbufs): reserve more hugepages\n",
			o->mbufs);
		return -ENOMEM;
	}
	rc = setup_workers(o);
	if (rc == 0)
		rc = port_init_all(o->rx_desc, o->tx_desc);
	if (rc == 0)
		rc = ctrl_init();
	if (rc == 0)
		rc = exc_init(&o->exc);
	if (rc == 0)
		rc = stats_telemetry_register();
	port_assign_queues();
	return rc;
}

/*
 * The slow path must not start its EAL while ours is still setting up (the
 * primary then fails to sync with it): a file in the runtime directory
 * says "ready" from the end of set-up to the start of teardown.
 */
static void ready_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", rte_eal_get_runtime_dir(), EP_READY_FILE);
}

void fp_mark_ready(void)
{
	char path[PATH_MAX];
	FILE *f;

	ready_path(path, sizeof(path));
	f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "edgepath-fastpath: cannot write %s: %s\n",
			path, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

static void unmark_ready(void)
{
	char path[PATH_MAX];

	ready_path(path, sizeof(path));
	unlink(path);
}

void fp_launch_workers(void)
{
	for (uint16_t i = 0; i < fp.n_workers; i++)
		rte_eal_remote_launch(worker_main, &fp.workers[i],
				      fp.workers[i].lcore_id);
}

/*
 * The slow path maps our shared memory (rings, stats, the packet pool):
 * freeing it under an attached secondary can crash that process. It
 * detaches within a loop pass (100 ms) of seeing `stopping`; wait for
 * that, bounded, or for the process to be gone.
 */
static void wait_slowpath_detach(void)
{
	if (fp.shared == NULL) /* set-up failed before sharing anything */
		return;
	for (unsigned int i = 0; i < SLOWPATH_DETACH_WAIT_MS / 10; i++) {
		int32_t pid =
			__atomic_load_n(&fp.shared->sp_pid, __ATOMIC_ACQUIRE);

		if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH))
			return;
		rte_delay_us_sleep(10000);
	}
	fprintf(stderr,
		"edgepath-fastpath: the slow path did not detach "
		"within %u ms; freeing shared memory anyway\n",
		SLOWPATH_DETACH_WAIT_MS);
}

void fp_teardown(void)
{
	unmark_ready();
	__atomic_store_n(&fp.stop, 1, __ATOMIC_RELAXED);
	if (fp.shared)
		__atomic_store_n(&fp.shared->stopping, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	wait_slowpath_detach();
	exc_fini();
	if (fp.stats)
		stats_print_final(stdout, fp.stats);
	port_stop_all();
	free_workers();
	ctrl_fini();
	neigh_free(fp.neigh);
	rte_mempool_free(fp.pool);
	stats_destroy();
	fp.stats = NULL;
}
