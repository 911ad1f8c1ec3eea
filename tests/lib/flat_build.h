/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tests' one builder of flat configurations (ep_abi.h): a struct
 * filled service by service, backend by backend, then laid out as the
 * slow path lays it out (header, node addresses, services, backends, each
 * 8-byte aligned). Defaults are what a test does not care about: DSR,
 * Maglev, TCP, backends up. Used by test_snapshot, test_fastpath and
 * bench_pipeline.
 */
#ifndef EP_FLAT_BUILD_H
#define EP_FLAT_BUILD_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep_abi.h"

#define FLAT_MAX_SVC 16u
#define FLAT_MAX_BE 64u
#define FLAT_MAX_NA 4u

struct flat_build {
	struct ep_cfg_hdr h; /* version and node here; the rest by flat_bytes */
	uint32_t n_svc, n_be, n_na;
	struct ep_cfg_service svc[FLAT_MAX_SVC];
	struct ep_cfg_backend be[FLAT_MAX_BE];
	struct ep_cfg_node_addr na[FLAT_MAX_NA];
};

/* a.b.c.d */
static inline struct ep_ip ep_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct ep_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = EP_AF_INET;
	ip.bytes[0] = a;
	ip.bytes[1] = b;
	ip.bytes[2] = c;
	ip.bytes[3] = d;
	return ip;
}

/* An IPv4 address as a host-order integer. */
static inline struct ep_ip ep_ip4u(uint32_t a)
{
	return ep_ip4((uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8),
		      (uint8_t)a);
}

/* IPv6 text; a bad fixture ends the test. */
static inline struct ep_ip ep_ip6(const char *text)
{
	struct ep_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = EP_AF_INET6;
	if (inet_pton(AF_INET6, text, ip.bytes) != 1) {
		fprintf(stderr, "flat_build: bad IPv6 fixture '%s'\n", text);
		exit(1);
	}
	return ip;
}

static inline void flat_init(struct flat_build *c, uint32_t node_flags)
{
	memset(c, 0, sizeof(*c));
	c->h.magic = EP_CFG_MAGIC;
	c->h.abi_version = EP_ABI_VERSION;
	c->h.version = 1;
	c->h.node.gue_port = 6080;
	c->h.node.flags = node_flags;
}

static inline void flat_add_addr(struct flat_build *c, struct ep_ip a)
{
	struct ep_cfg_node_addr *n = &c->na[c->n_na++];

	memset(n, 0, sizeof(*n));
	n->addr = a;
}

/* A DSR Maglev TCP service with stats id `sid`; the backends added next
 * are its own. */
static inline struct ep_cfg_service *
flat_add_service(struct flat_build *c, const char *name, struct ep_ip vip,
		 uint16_t port, uint32_t sid)
{
	struct ep_cfg_service *s = &c->svc[c->n_svc++];

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = vip;
	s->port = port;
	s->proto = IPPROTO_TCP;
	s->fwd_mode = EP_FWD_DSR;
	s->sched = EP_SCHED_MAGLEV;
	s->stats_id = sid;
	s->first_backend = c->n_be;
	return s;
}

/* An up backend of the last service. */
static inline struct ep_cfg_backend *
flat_add_backend(struct flat_build *c, struct ep_ip addr, uint16_t port,
		 uint16_t weight, uint32_t sid)
{
	struct ep_cfg_backend *b = &c->be[c->n_be++];

	memset(b, 0, sizeof(*b));
	b->addr = addr;
	b->port = port;
	b->weight = weight;
	b->state = EP_BE_UP;
	b->stats_id = sid;
	c->svc[c->n_svc - 1].n_backends++;
	return b;
}

static inline uint32_t flat_align8(uint32_t x)
{
	return (x + 7u) & ~7u;
}

/* Lay `c` out (its header's counts and offsets are set too); free() the
 * result. */
static inline uint8_t *flat_bytes(struct flat_build *c, uint32_t *len)
{
	uint32_t off = flat_align8(sizeof(struct ep_cfg_hdr));
	uint8_t *buf;

	c->h.n_node_addrs = c->n_na;
	c->h.off_node_addrs = off;
	off = flat_align8(off + c->n_na * (uint32_t)sizeof(c->na[0]));
	c->h.n_services = c->n_svc;
	c->h.off_services = off;
	off = flat_align8(off + c->n_svc * (uint32_t)sizeof(c->svc[0]));
	c->h.n_backends = c->n_be;
	c->h.off_backends = off;
	off = flat_align8(off + c->n_be * (uint32_t)sizeof(c->be[0]));
	c->h.total_len = off;
	buf = calloc(1, off);
	if (buf == NULL)
		abort();
	memcpy(buf, &c->h, sizeof(c->h));
	memcpy(buf + c->h.off_node_addrs, c->na, c->n_na * sizeof(c->na[0]));
	memcpy(buf + c->h.off_services, c->svc, c->n_svc * sizeof(c->svc[0]));
	memcpy(buf + c->h.off_backends, c->be, c->n_be * sizeof(c->be[0]));
	*len = off;
	return buf;
}

#endif /* EP_FLAT_BUILD_H */
