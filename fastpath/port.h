/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port set-up: every DPDK port gets one TX queue per worker and as many RX
 * queues (with RSS) as it allows up to one per worker. A port with fewer
 * RX queues than workers is marked for software spreading.
 */
#ifndef EP_PORT_H
#define EP_PORT_H

#include <stdint.h>

/* Configure and start every available port; 0 or negative errno. */
int port_init_all(uint16_t rx_desc, uint16_t tx_desc);

/* Give each worker its RX queues. */
void port_assign_queues(void);

void port_stop_all(void);

#endif /* EP_PORT_H */
