/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of test_synproxy share: the ring port and pools, the
 * configuration (apply), frames, the xmit loop with its ARP barrier and
 * the service's counters (sp_util.c); the cases are in test_synproxy.c.
 */
#ifndef EP_SYNPROXY_TEST_H
#define EP_SYNPROXY_TEST_H

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "check.h"
#include "csum_ref.h"
#include "ctrl.h"
#include "ep_abi.h"
#include "flat_build.h"
#include "fp.h"
#include "pkt.h"
#include "stats.h"
#include "syncookie.h"

#ifndef TEST_WORKERS
#define TEST_WORKERS 1
#endif

#define RING_SIZE 8192u
#define TEST_MBUFS 16383u
#define MAX_OUT 4096u
#define N_CLIENTS 300u
#define WAIT_S 5u
#define TH_FIN 0x01u
#define TH_SYN 0x02u
#define TH_RST 0x04u
#define TH_PSH 0x08u
#define TH_ACK 0x10u
#define IP4(a, b, c, d)                                                        \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 |      \
	 (uint32_t)(d))

#define SVC_SP 1u
#define VIP IP4(10, 1, 0, 2)
#define BE_PORT 8080u
#define BARRIER_IP IP4(10, 0, 0, 250)

struct client {
	uint32_t ip;
	uint16_t port;
	uint32_t isn;
	uint32_t cookie; /* from our SYN-ACK */
	uint32_t bisn; /* the backend's ISN */
	int be; /* backend stats id (21 or 22) */
};

extern struct rte_ring *rx_ring, *tx_rings[TEST_WORKERS];
extern struct rte_mempool *test_pool;
extern uint8_t port_mac[6];
extern const uint8_t client_mac[6];
extern const uint8_t bcast_mac[6];
extern struct rte_mbuf *out[MAX_OUT];
extern const struct syncookie_key key_a, key_b;
/* A connections/s limit of 1 (burst 1) on the service, when set. */
extern int cps_limit;

uint32_t rnd(void);
void be_mac(uint8_t mac[6], uint32_t sid);
int ip4_ok(const uint8_t *ip);
int tcp4_ok(const uint8_t *ip);
/* secrets: 0 key_a; 1 key_b with key_a previous; 2 key_b alone. */
int apply(int secrets, uint64_t version);
/* A TCP/IPv4 frame; `mss` adds the option (SYNs). */
uint32_t frame_tcp(uint8_t *f, const uint8_t smac[6], uint32_t sip,
		   uint32_t dip, uint16_t sport, uint16_t dport, uint8_t flags,
		   uint32_t seq, uint32_t ack, uint16_t win, uint16_t mss,
		   uint32_t payload);
/* ICMPv4 "fragmentation needed" quoting `qlen` bytes from `quoted_ip`. */
uint32_t frame_icmp_quote(uint8_t *f, const uint8_t smac[6], uint32_t sip,
			  uint32_t dip, const uint8_t *quoted_ip,
			  uint32_t qlen);
uint32_t frame_barrier(uint8_t *f);
struct rte_mbuf *mk(const uint8_t *f, uint32_t len);
int is_barrier_reply(const struct rte_mbuf *mb);
int settled(void);
/* Send `n` frames and a barrier; collect what comes out into out[]. */
unsigned int xmit(struct rte_mbuf **in, unsigned int n);
void free_out(unsigned int n);
uint64_t svc_cnt(size_t off);
#define SVC(field) svc_cnt(offsetof(struct ep_svc_counters, field))
void lcores_arg(char *buf, size_t len);

#endif
