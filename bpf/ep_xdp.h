/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgepath XDP ABI: map layouts, limits, pin paths and counter lists shared
 * by the BPF programs in bpf/ (xdp_steer, xdp_decap), their loader
 * edgepath-xdp and the tests. One header so the two sides cannot drift; any
 * layout change here also changes what a pinned map must look like, so old
 * pins must be removed (edgepath-xdp unpin) before a new loader reuses them.
 */
#ifndef EP_XDP_H
#define EP_XDP_H

#include <linux/types.h>

/* Limits: map sizes, fixed when a map is created. */
#define EP_XDP_MAX_VIPS 4096u
#define EP_XDP_MAX_VIP_ADDRS 4096u
#define EP_XDP_MAX_QUEUES 256u /* XSKMAP slots: one per rx queue */

/* Address families in keys (the values of struct ep_ip's family). */
#define EP_XDP_FAMILY_V4 4u
#define EP_XDP_FAMILY_V6 6u

/* GUE (variant 1, IP directly in UDP) port used while decap_cfg says 0. */
#define EP_XDP_GUE_PORT_DEFAULT 6080u

/*
 * Pins. Shared maps live in EP_XDP_PIN_DIR; each interface that carries one
 * of our programs gets a subdirectory with the program and, for xdp_steer,
 * its own XSKMAP (an AF_XDP socket only takes frames from the netdev queue
 * it is bound to, so queue N of two interfaces needs two slots). The DPDK
 * af_xdp PMD finds that map through its pinned-map option.
 */
#define EP_XDP_BPFFS "/sys/fs/bpf"
#define EP_XDP_PIN_DIR EP_XDP_BPFFS "/edgepath"
#define EP_XDP_PIN_VIPS EP_XDP_PIN_DIR "/vips"
#define EP_XDP_PIN_VIP_ADDRS EP_XDP_PIN_DIR "/vip_addrs"
#define EP_XDP_PIN_STEER_STATS EP_XDP_PIN_DIR "/steer_stats"
#define EP_XDP_PIN_DECAP_CFG EP_XDP_PIN_DIR "/decap_cfg"
#define EP_XDP_PIN_DECAP_STATS EP_XDP_PIN_DIR "/decap_stats"
#define EP_XDP_PIN_IF_XSKS "xsks" /* EP_XDP_PIN_DIR/<ifname>/xsks */
#define EP_XDP_PIN_IF_PROG "prog" /* EP_XDP_PIN_DIR/<ifname>/prog */

/*
 * Key of the `vips` hash map. Addresses are in network order; IPv4 uses the
 * first four bytes and leaves the rest zero (as struct ep_ip does). A key
 * with port 0 matches every port of (addr, proto). Zero the whole key
 * before filling it: it is hashed as raw bytes.
 */
struct ep_xdp_vip_key {
	__u8 addr[16];
	__u16 port; /* network order; 0 = all ports */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family; /* EP_XDP_FAMILY_V4 or EP_XDP_FAMILY_V6 */
};

struct ep_xdp_vip_val {
	__u32 flags; /* reserved, 0 */
};

/*
 * Key of the `vip_addrs` hash map: every address that carries at least one
 * VIP. ARP requests and IPv6 neighbour solicitations for these targets go
 * to the fast path, which answers for its VIPs.
 */
struct ep_xdp_addr_key {
	__u8 addr[16]; /* as in struct ep_xdp_vip_key */
	__u8 family;
	__u8 pad[3]; /* 0 */
};

struct ep_xdp_addr_val {
	__u32 refs; /* number of VIPs on this address */
};

/* Single entry (key 0) of xdp_decap's `decap_cfg` array. */
struct ep_xdp_decap_cfg {
	__u16 gue_port; /* host order; 0 = EP_XDP_GUE_PORT_DEFAULT */
	__u16 pad;
	__u32 flags; /* reserved, 0 */
};

/*
 * xdp_steer counters (per-CPU array `stats`, one entry). The first four are
 * exits: every packet counts in exactly one of them. The hit counters say
 * why a packet was ours and count on top of its exit.
 */
#define EP_XDP_STEER_STATS(X)                                                  \
	X(REDIRECTED, "redirected") /* handed to the queue's AF_XDP socket */  \
	X(NO_XSK, "no_xsk") /* ours, but no socket on this queue: passed */    \
	X(PASSED, "passed") /* not ours: to the kernel */                      \
	X(MALFORMED, "malformed") /* cut short or bad header: to the kernel */ \
	X(VIP_HIT, "vip_hit") /* (addr, port, proto) found in vips */          \
	X(ADDR_HIT, "addr_hit") /* ARP request / NS for a VIP address */

/* clang-format cannot tell that the X-macro expands to enumerators. */
/* clang-format off */
enum ep_xdp_steer_stat {
#define EP_XDP_X(name, str) EP_XDP_STEER_##name,
	EP_XDP_STEER_STATS(EP_XDP_X)
#undef EP_XDP_X
	EP_XDP_STEER_NSTATS
};
/* clang-format on */

struct ep_xdp_steer_stats {
	__u64 cnt[EP_XDP_STEER_NSTATS];
};

/* xdp_decap counters (per-CPU array `stats`, one entry); all are exits. */
#define EP_XDP_DECAP_STATS(X)                                                  \
	X(DECAP_IP, "decap_ip") /* IPIP, IP6IP6, 4in6 or 6in4 removed */       \
	X(DECAP_GUE, "decap_gue") /* outer IP + UDP (GUE variant 1) removed */ \
	X(PASSED, "passed") /* not encapsulated: untouched */                  \
	X(MALFORMED, "malformed") /* cut short or bad header: untouched */     \
	X(ERROR, "error") /* bpf_xdp_adjust_head failed */

/* clang-format cannot tell that the X-macro expands to enumerators. */
/* clang-format off */
enum ep_xdp_decap_stat {
#define EP_XDP_X(name, str) EP_XDP_DECAP_##name,
	EP_XDP_DECAP_STATS(EP_XDP_X)
#undef EP_XDP_X
	EP_XDP_DECAP_NSTATS
};
/* clang-format on */

struct ep_xdp_decap_stats {
	__u64 cnt[EP_XDP_DECAP_NSTATS];
};

#endif /* EP_XDP_H */
