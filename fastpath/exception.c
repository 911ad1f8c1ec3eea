/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path's set-up, thread and teardown (see exception.h).
 * The thread is an EAL control thread: it makes the tap's system calls,
 * which workers must never make, and sleeps when both directions are idle.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "fp.h"

#define RTE_LOGTYPE_EDGEPATH RTE_LOGTYPE_USER1

#define EXC_VDEV "net_tap_edgepath"
#define EXC_BURST 32u
#define EXC_TAP_DESC 512u
/* After this many empty passes the thread sleeps EXC_IDLE_SLEEP_US. */
#define EXC_IDLE_PASSES 16u
#define EXC_IDLE_SLEEP_US 100u
#define EXC_REFRESH_S 60u

static pthread_t exc_thread;
static int exc_thread_started;
static int exc_tap_made;
static struct policer_shared *exc_sh;

static uint64_t burst_of(uint32_t rate)
{
	uint64_t b = rate / EXC_BURST_DIV;

	return b < EXC_BURST_MIN ? EXC_BURST_MIN : b;
}

static int budget_init(struct policer_cfg *cfg, uint32_t rate, uint64_t tsc_hz,
		       uint32_t n_workers)
{
	struct policer_params p = { .mode = rate ? POLICER_TOKEN_BUCKET
						 : POLICER_OFF,
				    .rate = rate,
				    .burst = burst_of(rate),
				    .max_cost = 1 };

	return policer_cfg_init(cfg, &p, tsc_hz, n_workers);
}

int exc_limits_init(struct exc_limits *l, const struct exc_params *p,
		    uint64_t tsc_hz, uint32_t n_workers,
		    struct policer_shared *sh, uint64_t seed)
{
	int rc = budget_init(&l->all, p->pps, tsc_hz, n_workers);

	if (rc == 0)
		rc = budget_init(&l->source, p->source_pps, tsc_hz, n_workers);
	if (rc == 0)
		rc = budget_init(&l->neigh, p->neigh_pps, tsc_hz, n_workers);
	l->sh = sh;
	l->seed = seed;
	return rc;
}

/* Workers' frames to the kernel; what the tap refused is freed. */
static unsigned int to_kernel(void)
{
	struct rte_mbuf *pkts[EXC_BURST];
	unsigned int n;
	uint16_t sent;

	n = rte_ring_sc_dequeue_burst(fp.exc_to_kernel, (void **)pkts,
				      EXC_BURST, NULL);
	if (n == 0)
		return 0;
	sent = rte_eth_tx_burst(fp.exc_tap, 0, pkts, (uint16_t)n);
	for (unsigned int i = sent; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	fp.stats->exc_tap_tx += sent;
	fp.stats->exc_tap_tx_drops += n - sent;
	return n;
}

/* The kernel's frames, to worker 0 for the data port. */
static unsigned int from_kernel(void)
{
	struct rte_mbuf *pkts[EXC_BURST];
	uint16_t n = rte_eth_rx_burst(fp.exc_tap, 0, pkts, EXC_BURST);
	unsigned int queued;

	if (n == 0)
		return 0;
	for (uint16_t i = 0; i < n; i++)
		pkts[i]->port = fp.exc_port;
	queued = rte_ring_sp_enqueue_burst(fp.exc_from_kernel, (void **)pkts, n,
					   NULL);
	for (unsigned int i = queued; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	fp.stats->exc_tap_rx += queued;
	fp.stats->exc_tap_rx_drops += n - queued;
	return n;
}

static void *exc_main(void *arg)
{
	struct timespec idle = { 0, (long)EXC_IDLE_SLEEP_US * 1000 };
	uint64_t refresh = rte_rdtsc();
	uint32_t empty = 0;

	(void)arg;
	while (!__atomic_load_n(&fp.stop, __ATOMIC_RELAXED)) {
		unsigned int n = to_kernel() + from_kernel();
		uint64_t now;

		if (n) {
			empty = 0;
			continue;
		}
		if (++empty >= EXC_IDLE_PASSES)
			nanosleep(&idle, NULL);
		now = rte_rdtsc();
		if (now - refresh > fp.tsc_hz * EXC_REFRESH_S) {
			/* Keep idle TATs from looking ahead after a wrap. */
			policer_refresh(exc_sh, EXC_SH_N, now);
			refresh = now;
		}
	}
	return NULL;
}

/* The tap as a DPDK port: the data port's MAC and MTU, one queue pair. */
static int tap_create(const struct exc_params *p)
{
	const struct fp_port *dp = &fp.ports[p->port];
	struct rte_eth_conf conf = { 0 };
	struct rte_ether_addr mac = dp->mac;
	char args[64];
	uint16_t id;
	int rc;

	snprintf(args, sizeof(args), "iface=%s", p->tap_name);
	rc = rte_vdev_init(EXC_VDEV, args);
	if (rc == 0)
		rc = rte_eth_dev_get_port_by_name(EXC_VDEV, &id);
	if (rc) {
		RTE_LOG(ERR, EDGEPATH,
			"exception path: cannot create tap '%s' (%s; needs "
			"/dev/net/tun and CAP_NET_ADMIN, and no interface of "
			"that name)\n",
			p->tap_name, rte_strerror(-rc));
		return rc;
	}
	fp.exc_tap = id;
	exc_tap_made = 1;
	rc = rte_eth_dev_configure(id, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(id, 0, EXC_TAP_DESC,
					    rte_eth_dev_socket_id(id), NULL,
					    fp.pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(id, 0, EXC_TAP_DESC,
					    rte_eth_dev_socket_id(id), NULL);
	/* The kernel then answers ARP/ND for the port's MAC and sends from
	 * it: frames cross between the two unchanged. */
	if (rc == 0)
		rc = rte_eth_dev_default_mac_addr_set(id, &mac);
	if (rc == 0)
		rc = rte_eth_dev_set_mtu(id, dp->mtu);
	if (rc == 0)
		rc = rte_eth_dev_start(id);
	if (rc)
		RTE_LOG(ERR, EDGEPATH, "exception path: tap '%s': %s\n",
			p->tap_name, rte_strerror(-rc));
	return rc;
}

static int rings_and_budgets(const struct exc_params *p)
{
	uint64_t now = rte_rdtsc();

	fp.exc_to_kernel = rte_ring_create("ep_exc_to_kernel", EXC_RING_SIZE,
					   SOCKET_ID_ANY, RING_F_SC_DEQ);
	fp.exc_from_kernel =
		rte_ring_create("ep_exc_from_kernel", EXC_RING_SIZE,
				SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	exc_sh = policer_shared_create("ep_exc_budgets", EXC_SH_N,
				       SOCKET_ID_ANY, now);
	if (!fp.exc_to_kernel || !fp.exc_from_kernel || !exc_sh)
		return -ENOMEM;
	for (uint16_t i = 0; i < fp.n_workers; i++) {
		fp.workers[i].exc = rte_zmalloc("ep_exc_local",
						sizeof(struct exc_local), 64);
		if (fp.workers[i].exc == NULL)
			return -ENOMEM;
	}
	if (exc_limits_init(&fp.exc_limits, p, fp.tsc_hz, fp.n_workers, exc_sh,
			    (uint64_t)fp.hash_seed << 32 | now) != 0) {
		RTE_LOG(ERR, EDGEPATH, "exception path: bad rates\n");
		return -EINVAL;
	}
	return 0;
}

int exc_init(const struct exc_params *p)
{
	int rc;

	if (p->tap_name[0] == '\0')
		return 0;
	if (p->port >= fp.n_ports) {
		RTE_LOG(ERR, EDGEPATH,
			"--exception-port %u: there are %u ports (0..%u)\n",
			p->port, fp.n_ports, fp.n_ports - 1);
		return -EINVAL;
	}
	fp.exc_port = p->port;
	rc = rings_and_budgets(p);
	if (rc == 0)
		rc = tap_create(p);
	if (rc == 0)
		rc = -rte_ctrl_thread_create(&exc_thread, "ep-exception", NULL,
					     exc_main, NULL);
	if (rc)
		return rc;
	exc_thread_started = 1;
	__atomic_store_n(&fp.exc_on, 1, __ATOMIC_RELEASE);
	RTE_LOG(INFO, EDGEPATH,
		"exception path: tap %s (port %u) for port %u; budgets "
		"%u pps, %u per source, %u ARP/ND (0 = none)\n",
		p->tap_name, fp.exc_tap, p->port, p->pps, p->source_pps,
		p->neigh_pps);
	return 0;
}

static void drain(struct rte_ring *r)
{
	struct rte_mbuf *mb;

	while (r && rte_ring_dequeue(r, (void **)&mb) == 0)
		rte_pktmbuf_free(mb);
}

void exc_fini(void)
{
	__atomic_store_n(&fp.exc_on, 0, __ATOMIC_RELEASE);
	if (exc_thread_started) {
		__atomic_store_n(&fp.stop, 1, __ATOMIC_RELAXED);
		pthread_join(exc_thread, NULL);
		exc_thread_started = 0;
	}
	if (exc_tap_made) {
		rte_eth_dev_stop(fp.exc_tap);
		rte_eth_dev_close(fp.exc_tap);
		rte_vdev_uninit(EXC_VDEV);
		exc_tap_made = 0;
	}
	drain(fp.exc_to_kernel);
	drain(fp.exc_from_kernel);
	rte_ring_free(fp.exc_to_kernel);
	rte_ring_free(fp.exc_from_kernel);
	fp.exc_to_kernel = fp.exc_from_kernel = NULL;
	policer_shared_free(exc_sh);
	exc_sh = NULL;
	for (uint16_t i = 0; i < fp.n_workers; i++) {
		rte_free(fp.workers[i].exc);
		fp.workers[i].exc = NULL;
	}
}
