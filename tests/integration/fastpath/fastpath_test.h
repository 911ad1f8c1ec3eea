/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of test_fastpath share: the configurations, frames,
 * the push/xmit loop over the harness (tests/lib/fp_harness.h) and the
 * flows they send. Each fp_*.c holds the cases of one theme; main() in
 * test_fastpath.c runs them in order.
 */
#ifndef EP_FASTPATH_TEST_H
#define EP_FASTPATH_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sched.h>
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
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "check.h"
#include "csum_ref.h"
#include "ctrl.h"
#include "ep_abi.h"
#include "flat_build.h"
#include "fp.h"
#include "fp_harness.h"
#include "pkt.h"
#include "snapshot.h"
#include "stats.h"
#include "test_eal.h"
#define MAX_OUT 32768u
#define N_FLOWS 20000u
#define N_NAT 2000u
#define N_ENCAP 200u

/* Service stats ids. */
enum {
	SVC_DSR = 1,
	SVC_NAT = 2,
	SVC_IPIP = 3,
	SVC_GUE = 4,
	SVC_LEARN4 = 5,
	SVC_LEARN6 = 6,
	SVC_WRR = 7,
	SVC_PROV = 8,
	SVC_PROV2 = 9,
	SVC_RST = 10,
	SVC_KEEP = 11,
};

extern struct rte_mbuf *out[MAX_OUT];

struct tflow {
	uint32_t cip; /* IPv4 client, host order */
	uint8_t cip6[16];
	uint16_t cport;
	int sid; /* backend stats id seen for the flow's first packet */
};

struct dsr_stats {
	unsigned int got, bad, moved, per_sid[256];
};

/* fp_util.c */
void be_mac(uint8_t mac[6], uint32_t sid);
int out_sid(const uint8_t *f);
uint8_t *cfg_flat(struct flat_build *c, uint64_t version, uint32_t *len);
void make_cfg(struct flat_build *c, int variant);
int apply_cfg(int variant, uint64_t version, struct ep_event_msg *ev);
int apply_cfg_reset(int down, uint64_t version, struct ep_event_msg *ev);
struct rte_mbuf *mk(const uint8_t *f, uint32_t len);
void free_out(unsigned int n);
unsigned int xmit(struct rte_mbuf **in, unsigned int n);
void gen_flows(struct tflow *fl, unsigned int n, int family6);
uint32_t flow_frame4(uint8_t *f, const struct tflow *fl, uint32_t i,
		     uint32_t vip, uint16_t vport, uint8_t flags, uint32_t ack);
struct rte_mbuf **alloc_in(unsigned int n);
void dsr_round(struct tflow *fl, unsigned int from, unsigned int to,
	       uint32_t vip, uint8_t flags, uint32_t ack, int record,
	       int mid_apply, struct dsr_stats *st);

/* fp_frames.c */
void v6(uint8_t a[16], const char *s);
int ip4_hdr_ok(const uint8_t *ip);
int l4_ok4(const uint8_t *ip);
int l4_ok6(const uint8_t *ip);
void eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type);
uint32_t frame_tcp4(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
		    uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
		    uint8_t flags, uint32_t seq, uint32_t ack);
uint32_t frame_tcp6(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
		    const uint8_t sip[16], const uint8_t dip[16],
		    uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
		    uint32_t ack);
uint32_t frame_icmp4_err(uint8_t *f, const uint8_t dmac[6],
			 const uint8_t smac[6], uint32_t sip, uint32_t dip,
			 const uint8_t quote[40]);
void quote_tcp4(uint8_t q[40], uint32_t sip, uint32_t dip, uint16_t sport,
		uint16_t dport);
uint32_t frame_arp(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
		   uint16_t op, const uint8_t sha[6], uint32_t spa,
		   const uint8_t tha[6], uint32_t tpa);
uint32_t frame_nd(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
		  const uint8_t src[16], const uint8_t dst[16], uint8_t type,
		  uint32_t flags, const uint8_t target[16],
		  const uint8_t *lladdr);
int icmp4_err_ok(const uint8_t *ip);
void set_ip4_csum(uint8_t *ip);

/* fp_lb.c */
void test_dsr_and_change(struct tflow *fl);
void test_same_burst(void);
void test_counters(void);
void test_provisional(void);
void test_port_reuse(void);

/* fp_nat.c */
void test_nat(void);
void test_encap(void);

/* fp_outlier.c */
#define OUTLIER_TEST_WAIT_MS 250u /* > OUTLIER_RETRANS_MIN_MS */
#define OUTLIER_FLOWS 64u /* per case: 2 NAT cases, 1 DSR */
void test_outlier(void);

/* fp_neigh.c */
void test_arp_nd(void);
void test_arp_learning(void);
void test_nd_learning(void);

/* fp_reset.c */
void test_reset_on_down(void);

/* fp_refuse.c */
void test_malformed(struct tflow *fl);
void test_bad_config(struct tflow *fl);

#endif /* EP_FASTPATH_TEST_H */
