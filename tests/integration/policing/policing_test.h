/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of test_policing share: the flat configuration it
 * builds, its frames, the output tally and the sender thread that
 * streams frames at a rate (over tests/lib/fp_harness.h). Each pol_*.c
 * holds the cases of one theme; main() in test_policing.c runs them.
 */
#ifndef EP_POLICING_TEST_H
#define EP_POLICING_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
#include "ctrl.h"
#include "ep_abi.h"
#include "flowhash.h"
#include "fp.h"
#include "fp_harness.h"
#include "stats.h"
#include "test_eal.h"

/* Services (stats ids) and their single backend (stats id + 10). */
enum {
	SVC_WEB = 1, /* global deny lists, its own deny list */
	SVC_PRIV = 2, /* allow list 10.20.0.0/16 */
	SVC_WEB6 = 3, /* IPv6, global deny 2001:db8:bad::/48 */
	SVC_PPS = 4,
	SVC_BPS = 5,
	SVC_LIGHT = 6, /* no limit: must lose nothing */
	SVC_CPS = 7,
	SVC_CHANGE = 8,
	SVC_CLIENT = 9, /* per-client limits */
	N_SVC = 10
};
extern uint64_t hz;

struct cfg {
	struct ep_cfg_node node;
	struct ep_cfg_node_addr addrs[2];
	uint32_t n_addrs;
	struct ep_cfg_service svcs[N_SVC];
	uint32_t n_svcs;
	struct ep_cfg_backend bes[N_SVC];
	uint32_t n_bes;
	struct ep_cfg_acl_rule *rules;
	uint32_t n_rules;
};

#define HEAVY_IP IP4(10, 9, 9, 9)

struct tally {
	uint64_t sent[N_SVC]; /* frames enqueued, per service */
	uint64_t sent_ok[N_SVC]; /* of which the generator said pass */
	uint64_t out[N_SVC]; /* frames out to the service's backend */
	uint64_t other; /* anything else out */
	uint64_t heavy_sent; /* per-client test: the heavy client's frames */
	uint64_t heavy_out; /* ... out, to any service */
	uint64_t heavy_out_by[N_SVC]; /* ... out, per service */
	uint64_t est_out; /* SYN-flood test: frames of established flows */
	uint64_t denied_out; /* out, from a source that must be denied */
};

/* Frame i into f (its length); *sid its service; *ok 0 when the
 * configuration must refuse it (access lists), 2 for the per-client
 * test's heavy client, else left at 1. */
typedef uint32_t (*gen_fn)(uint64_t i, uint8_t *f, uint32_t *sid, int *ok);

/* How far behind its schedule the sender may fall before it gives up
 * the lost frames: 20 ms is 200 frames at 10,000/s, below every burst
 * tolerance the no-loss tests configure. */
#define MAX_LAG_MS 20

struct stream {
	gen_fn gen;
	uint64_t pps; /* offered frames per second, all services */
	double secs;
	struct tally t;
	uint64_t t0, t1; /* TSC at the first frame and at the barrier */
	uint64_t t_sent; /* TSC after the last frame was enqueued */
	volatile int running;
};

#define SVC_DROPS(sid, field)                                                  \
	svc_counter(sid, offsetof(struct ep_svc_counters, field))
#define LIGHT_PPS 1000u

/* pol_util.c */
uint32_t rnd(void);
void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);
struct ep_ip ip4(uint32_t a);
struct ep_ip ip6(const char *s);
void cfg_limit(struct cfg *c, uint32_t sid, enum ep_limit_kind k, uint8_t mode,
	       uint64_t rate, uint64_t burst);
void cfg_rule(struct cfg *c, struct ep_ip pfx, uint8_t depth, uint8_t kind,
	      uint32_t sid);
void base_cfg(struct cfg *c);
int apply(struct cfg *c, uint64_t version);
uint32_t frame_tcp4(uint8_t *f, uint32_t sip, uint32_t dip, uint16_t sport,
		    uint8_t flags);
uint32_t frame_tcp6(uint8_t *f, const uint8_t sip[16], const uint8_t dip[16],
		    uint16_t sport);
void *sender(void *arg);
void stream_start(struct stream *s, pthread_t *th);
uint64_t svc_counter(uint32_t sid, size_t off);

/* pol_acl.c */
void test_acl(struct cfg *c);
void test_change_midstream(struct cfg *c);
void test_acl_established(struct cfg *c);

/* pol_rates.c */
void test_rates(struct cfg *c, int single, double secs);
void test_cps(struct cfg *c, double secs);
void test_clients(struct cfg *c, double secs, int nat);
void test_clients_global(struct cfg *c, double secs);

/* pol_syn.c */
void test_syn_flood(struct cfg *c);

#endif /* EP_POLICING_TEST_H */
