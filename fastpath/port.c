/* SPDX-License-Identifier: BSD-3-Clause */
/* Port configuration and queue assignment (see port.h). */
#include <errno.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "fp.h"
#include "port.h"

#define RTE_LOGTYPE_EDGEPATH RTE_LOGTYPE_USER1

static int configure(struct fp_port *p, uint16_t rx_desc, uint16_t tx_desc)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t nq, q;
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc)
		return rc;
	if (info.max_tx_queues < fp.n_workers) {
		RTE_LOG(ERR, EDGEPATH,
			"port %u (%s) has %u TX queues, %u workers need one "
			"each: use fewer workers or a PMD option with more "
			"queues (e.g. af_packet qpairs=N)\n",
			p->port_id, info.driver_name, info.max_tx_queues,
			fp.n_workers);
		return -EINVAL;
	}
	nq = RTE_MIN(info.max_rx_queues, fp.n_workers);
	p->n_queues = nq;
	p->spread = nq < fp.n_workers;
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	rc = rte_eth_dev_configure(p->port_id, nq, fp.n_workers, &conf);
	for (q = 0; rc == 0 && q < nq; q++)
		rc = rte_eth_rx_queue_setup(p->port_id, q, rx_desc,
					    rte_eth_dev_socket_id(p->port_id),
					    NULL, fp.pool);
	for (q = 0; rc == 0 && q < fp.n_workers; q++)
		rc = rte_eth_tx_queue_setup(p->port_id, q, tx_desc,
					    rte_eth_dev_socket_id(p->port_id),
					    NULL);
	return rc;
}

static int start(struct fp_port *p)
{
	int rc = rte_eth_dev_start(p->port_id);

	if (rc)
		return rc;
	/* Neighbour solicitations go to solicited-node multicast groups. */
	rte_eth_allmulticast_enable(p->port_id);
	rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rte_eth_dev_get_mtu(p->port_id, &p->mtu) != 0)
		p->mtu = RTE_ETHER_MTU;
	return 0;
}

int port_init_all(uint16_t rx_desc, uint16_t tx_desc)
{
	uint16_t port_id;

	fp.n_ports = 0;
	RTE_ETH_FOREACH_DEV(port_id)
	{
		struct fp_port *p;
		int rc;

		if (fp.n_ports == EP_MAX_PORTS) {
			RTE_LOG(ERR, EDGEPATH, "more than %u ports\n",
				EP_MAX_PORTS);
			return -E2BIG;
		}
		p = &fp.ports[fp.n_ports++];
		p->port_id = port_id;
		rc = configure(p, rx_desc, tx_desc);
		if (rc == 0)
			rc = start(p);
		if (rc) {
			RTE_LOG(ERR, EDGEPATH, "port %u: set-up failed: %s\n",
				port_id, rte_strerror(-rc));
			return rc;
		}
		RTE_LOG(INFO, EDGEPATH,
			"port %u: %u RX queue(s)%s, MTU %u, "
			"MAC " RTE_ETHER_ADDR_PRT_FMT "\n",
			port_id, p->n_queues,
			p->spread ? " (software spreading)" : "", p->mtu,
			RTE_ETHER_ADDR_BYTES(&p->mac));
	}
	if (fp.n_ports == 0) {
		RTE_LOG(ERR, EDGEPATH,
			"no ports: bind a NIC or pass --vdev (see README)\n");
		return -ENODEV;
	}
	return 0;
}

void port_assign_queues(void)
{
	for (uint16_t i = 0; i < fp.n_workers; i++) {
		struct fp_worker *w = &fp.workers[i];

		w->n_rxq = 0;
		w->txq = i;
		for (uint16_t p = 0; p < fp.n_ports; p++) {
			if (i >= fp.ports[p].n_queues)
				continue;
			w->rxq[w->n_rxq].port = p;
			w->rxq[w->n_rxq].queue = i;
			w->n_rxq++;
		}
	}
}

void port_stop_all(void)
{
	for (uint16_t p = 0; p < fp.n_ports; p++) {
		rte_eth_dev_stop(fp.ports[p].port_id);
		rte_eth_dev_close(fp.ports[p].port_id);
	}
}
