/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: one pass over a frame's bytes that either describes it
 * (struct pkt_meta) or names why it is malformed (enum ep_drop_reason).
 * It never reads past `len` and does not hash link-layer padding. It works
 * on plain buffers so that tests and fuzzers need no EAL.
 */
#ifndef EP_PARSE_H
#define EP_PARSE_H

#include <stdint.h>

#include "ep_abi.h"

/*
 * Flow identity as seen in the forward direction (client -> service).
 * Addresses are network order; IPv4 uses the first 4 bytes, rest zero.
 * Ports are network order. Exactly 48 bytes, no holes (it is a hash key,
 * compared whole): the first FLOW_KEY_HASH_LEN bytes say what the flow
 * is and are what flowhash_key() hashes; `pad` makes the size three
 * 16-byte vectors for the connection table's compare, and, like `zero`,
 * is always 0: whoever builds a key clears it whole first.
 */
struct flow_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t family; /* EP_AF_INET or EP_AF_INET6 */
	uint16_t zero; /* always 0 */
	uint8_t pad[8]; /* always 0 */
};

/* The bytes of a key that identify the flow (everything before pad). */
#define FLOW_KEY_HASH_LEN 40u

_Static_assert(sizeof(struct flow_key) == 48, "flow_key: 48 bytes, no holes");
_Static_assert(__builtin_offsetof(struct flow_key, pad) == FLOW_KEY_HASH_LEN,
	       "flow_key: pad follows the hashed bytes");

enum pkt_kind {
	PKT_OTHER = 0, /* parsed, but not something we balance (punt) */
	PKT_L4 = 1, /* IPv4/IPv6 TCP or UDP, key filled */
	PKT_ICMP_ERR = 2, /* ICMP error; key = inner flow turned forward */
	PKT_ICMP = 3, /* other ICMP/ICMPv6 (echo...), key has no ports */
	PKT_ARP = 4, /* ARP over Ethernet/IPv4 */
	PKT_ND_NS = 5, /* ICMPv6 neighbour solicitation */
	PKT_ND_NA = 6, /* ICMPv6 neighbour advertisement */
};

/* Parser policy, documented in docs/fastpath.md. */
#define PARSE_MAX_VLANS 2u
#define PARSE_MAX_IP6_EXT 4u

struct pkt_meta {
	uint8_t kind; /* enum pkt_kind */
	uint8_t family; /* 0, EP_AF_INET, EP_AF_INET6 */
	uint8_t l4_proto; /* IPPROTO_* of the L4 header (ICMP for errors) */
	uint8_t n_vlans;
	uint8_t tcp_flags; /* TCP only */
	uint8_t pad;
	uint16_t inner_l4_off; /* ICMP errors: the quoted TCP/UDP header
				* (the quoted IP header is at l4_off + 8) */
	uint16_t l3_off; /* offset of the (outer) IP or ARP header */
	uint16_t l4_off; /* offset of the L4 header */
	uint16_t l3_len; /* IP datagram length from its header (no padding) */
	uint16_t frame_len; /* l3_off + l3_len: bytes that matter */
	struct flow_key key;
	/* ARP / ND only (network order): who asks, for what. */
	uint8_t arp_op; /* 1 request, 2 reply (ARP); NS/NA by kind */
	uint8_t nd_has_lladdr;
	uint8_t sender_mac[6];
	uint8_t target_ip[16];
	uint8_t sender_ip[16];
};

/*
 * Parse `len` bytes of an Ethernet frame. Returns 0 and fills `m` when the
 * frame is well formed (whatever its kind), or a positive EP_DROP_* reason
 * plus one (so 0 stays "ok") negated: callers test `rc < 0` and count
 * drop[-rc - 1].
 */
int parse_frame(const uint8_t *data, uint32_t len, struct pkt_meta *m);

/* Convert a negative parse_frame() result to its drop reason. */
static inline enum ep_drop_reason parse_drop_reason(int rc)
{
	return (enum ep_drop_reason)(-rc - 1);
}

#endif /* EP_PARSE_H */
