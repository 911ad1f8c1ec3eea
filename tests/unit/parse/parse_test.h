/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of test_parse share: the addresses and constants of its
 * frames and the builders of every fixture, good (parse_build.c) and
 * malformed (parse_bad.c); the fixture table and the cases are in
 * test_parse.c.
 */
#ifndef EP_PARSE_TEST_H
#define EP_PARSE_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csum.h"
#include "csum_ref.h"
#include "parse.h"
#include "pkt.h"
#include "testrand.h"

#define ET_IP4 0x0800
#define ET_IP6 0x86dd
#define ET_VLAN 0x8100
#define TH_SYN 0x02
#define TH_ACK 0x10
#define CPORT 40000
#define VPORT 443

extern const uint8_t mac_dst[6];
extern const uint8_t mac_src[6];
extern const uint8_t c4[4];
extern const uint8_t v4[4];
extern const uint8_t c6[16];
extern const uint8_t v6[16];
extern const uint8_t ll_mac[6];

/* parse_build.c */
void eth(struct pkt *f, unsigned int n_tags, unsigned int etype);
uint32_t ip4_begin(struct pkt *f, unsigned int proto, const uint8_t *src,
		   const uint8_t *dst, unsigned int opt_words);
void ip4_csum(struct pkt *f, uint32_t off);
void ip4_end(struct pkt *f, uint32_t off);
uint32_t ip6_begin(struct pkt *f, unsigned int nh, const uint8_t *src,
		   const uint8_t *dst);
void ip6_end(struct pkt *f, uint32_t off);
void ip6_ext(struct pkt *f, unsigned int nh, unsigned int units);
void ip6_frag_hdr(struct pkt *f, unsigned int nh);
void tcp(struct pkt *f, unsigned int sport, unsigned int dport,
	 unsigned int flags, unsigned int doff_words);
void udp(struct pkt *f, unsigned int sport, unsigned int dport,
	 uint32_t payload);
void icmp(struct pkt *f, unsigned int type, unsigned int code);
void b_tcp4(struct pkt *f, int a);
void b_tcp4_opts(struct pkt *f, int a);
void b_udp4(struct pkt *f, int a);
void b_tcp6(struct pkt *f, int a);
void b_udp6(struct pkt *f, int a);
void b_ext6(struct pkt *f, int a);
void b_other(struct pkt *f, int a);
void b_echo(struct pkt *f, int a);
void b_err4(struct pkt *f, int a);
void b_err6(struct pkt *f, int a);
void b_arp(struct pkt *f, int a);
void b_nd(struct pkt *f, int a);

/* parse_bad.c */
void b_bad_l2(struct pkt *f, int a);
void b_arp_short(struct pkt *f, int a);
void b_ip4_bad(struct pkt *f, int a);
void b_ip6_bad(struct pkt *f, int a);
void b_l4_bad(struct pkt *f, int a);
void b_icmp_short(struct pkt *f, int a);

#endif /* EP_PARSE_TEST_H */
