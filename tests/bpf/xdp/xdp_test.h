/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of test_xdp share: frames built per case, the
 * BPF_PROG_TEST_RUN call and the check of its verdict and output. The
 * cases of xdp_steer are in xdp_steer_cases.c, of xdp_decap in
 * xdp_decap_cases.c.
 */
#ifndef EP_XDP_TEST_H
#define EP_XDP_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "csum_ref.h"
#include "ep_xdp.h"
#include "pkt.h"
#include "xdp_decap.skel.h"
#include "xdp_steer.skel.h"

#define ETH_P_LLDP_ 0x88cc
#define IP_MF_ 0x2000

enum encap {
	ENC_NONE,
	ENC_IP, /* IPIP / 6in4 / IP6IP6 / 4in6, by the two families */
	ENC_GUE, /* outer IP + UDP to the GUE port */
};

/*
 * A frame described by what matters to the programs. Zero fields take
 * the ordinary value, so a row only says what makes it special.
 */
struct spec {
	int vlans; /* tags; the outer one is 802.1ad when two or more */
	uint16_t ethertype; /* 0 = from the address family of dst */
	const char *src, *dst; /* IPv4 or IPv6 text */
	uint8_t proto; /* L4 protocol / IPv6 next header (0 = hop-by-hop) */
	uint16_t sport, dport;
	uint8_t ihl; /* IPv4 IHL field, 0 = 5; > 5 adds NOP options */
	uint8_t version; /* IP version field, 0 = the right one */
	uint16_t frag; /* IPv4 frag_off, host order */
	int len_lie; /* added to IPv4 tot_len / IPv6 payload_len */
	int udp_len_lie; /* added to the UDP length */
	int l4_short; /* L4 header only this long, lengths agree; 0 = whole */
	uint8_t tcp_doff; /* 0 = 5 */
	uint16_t arp_op, arp_hrd; /* 0 = request, Ethernet */
	const char *target; /* ARP target / ND target */
	uint8_t icmp6_type;
	size_t payload; /* bytes after the L4 header: 0, 1, 2, ... */
	size_t inner_cut; /* encapsulated packet cut to this before wrapping */
	size_t cut; /* whole frame cut to this length; 0 = whole */
	/* Outer headers (decap fixtures). */
	enum encap encap;
	const char *osrc, *odst;
	uint8_t oproto; /* outer protocol / next header, 0 = the right one */
	uint8_t oihl;
	uint16_t ofrag;
	uint16_t gue_port; /* 0 = EP_XDP_GUE_PORT_DEFAULT */
};

/* 02:..:02 -> 02:..:01, 192.0.2.1:12345 -> 10.0.0.10:80 TCP SYN. */
extern const uint8_t raw_syn[54];

#define C4 "192.0.2.1" /* client */
#define C6 "2001:db8:1::1"
#define VIP4 "10.0.0.10" /* tcp 80 */
#define VIP4_ALL "10.0.0.11" /* udp, all ports */
#define VIP6 "2001:db8::10" /* tcp 443 */
#define VIP6_ALL "2001:db8::11" /* udp, all ports */
#define ETH 14
#define IP4 20
#define IP6 40

#define TCP4(d, p) .src = C4, .dst = (d), .proto = IPPROTO_TCP, .dport = (p)
#define UDP4(d, p) .src = C4, .dst = (d), .proto = IPPROTO_UDP, .dport = (p)
#define TCP6(d, p) .src = C6, .dst = (d), .proto = IPPROTO_TCP, .dport = (p)
#define UDP6(d, p) .src = C6, .dst = (d), .proto = IPPROTO_UDP, .dport = (p)
#define ARP(t) .ethertype = ETH_P_ARP, .src = C4, .target = (t)
#define NS(t)                                                                  \
	.src = C6, .dst = "ff02::1:ff00:10", .proto = IPPROTO_ICMPV6,          \
	.icmp6_type = 135, .target = (t)

#define O4S "198.51.100.1" /* load balancer */
#define O4D "198.51.100.2" /* backend */
#define O6S "2001:db8:ff::1"
#define O6D "2001:db8:ff::2"
#define OUT6 .osrc = O6S, .odst = O6D

enum decap_want {
	D_IP, /* outer IP removed */
	D_GUE, /* outer IP + UDP removed */
	D_PASS, /* untouched */
	D_MALFORMED, /* untouched */
};

struct decap_fixture {
	const char *desc;
	struct spec s;
	enum decap_want want;
};

/* test_xdp.c */
int addr(const char *text, uint8_t out[16]);
void build(const struct spec *s, struct pkt *p, bool outer);
void expect(const char *table, const char *desc, int prog_fd,
	    struct bpf_map *stats, unsigned int nstats,
	    const char *const *names, const struct pkt *in, int want_verdict,
	    const struct pkt *want_out, const unsigned int *want_cnt,
	    unsigned int n_want);
struct pkt pkt_of(const uint8_t *b, size_t len);

/* xdp_steer_cases.c */
void test_steer(void);

/* xdp_decap_cases.c */
void test_decap(void);

#endif /* EP_XDP_TEST_H */
