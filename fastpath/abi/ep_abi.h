/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgepath shared-memory ABI: the only definitions that cross the process
 * boundary between the fast path (DPDK primary) and the slow path (DPDK
 * secondary). Ring and memzone names, control messages, the flat binary
 * configuration and the statistics layout all live here, under one version.
 * Any change to a struct below bumps EP_ABI_VERSION.
 */
#ifndef EP_ABI_H
#define EP_ABI_H

#include <stdint.h>

#define EP_ABI_VERSION 14u

/* Default EAL --file-prefix shared by both processes. */
#define EP_FILE_PREFIX_DEFAULT "edgepath"

/* Named objects created by the fast path and looked up by the slow path. */
#define EP_MZ_SHARED "ep_shared" /* struct ep_shared */
#define EP_MZ_STATS "ep_stats" /* struct ep_stats */
#define EP_MZ_CFG_STAGE "ep_cfg_stage" /* EP_CFG_STAGE_SIZE bytes */
#define EP_MZ_FLOWS "ep_flows" /* struct ep_flow_sample */
#define EP_RING_CTRL "ep_ctrl" /* sp -> fp, struct ep_ctrl_msg */
#define EP_RING_EVENT "ep_event" /* fp -> sp, struct ep_event_msg */
#define EP_RING_PUNT "ep_punt" /* fp -> sp, struct rte_mbuf * */
#define EP_RING_INJECT "ep_inject" /* sp -> fp, struct rte_mbuf * */
#define EP_POOL_PKT "ep_pkt_pool" /* packet mbufs, both processes */

/*
 * A file in the DPDK runtime directory (/var/run/dpdk/<prefix>/ as root)
 * that exists, holding the fast path's pid, from the end of its set-up to
 * the start of its teardown: the slow path starts its EAL only then.
 */
#define EP_READY_FILE "edgepath.ready"

#define EP_CTRL_RING_SIZE 64u
#define EP_PUNT_RING_SIZE 4096u

/* Hard limits: the fast path sizes its memory from these at start. */
#define EP_MAX_WORKERS 16u
#define EP_MAX_PORTS 8u
#define EP_MAX_SERVICES 2048u
#define EP_MAX_BACKENDS 32768u /* all services together */
#define EP_MAX_NODE_ADDRS 32u
#define EP_NAME_LEN 32u
#define EP_CFG_STAGE_SIZE (8u << 20)
#define EP_MAGLEV_DEFAULT_SIZE 65537u
#define EP_MAGLEV_MAX_SIZE 655373u
#define EP_FLOW_SAMPLE_MAX 1024u

/* ------------------------------------------------------------------ */
/* Addresses                                                            */

/*
 * An IPv4 or IPv6 address in network byte order. IPv4 uses the first four
 * bytes and leaves the rest zero, so two ep_ip compare with memcmp.
 */
struct ep_ip {
	uint8_t family; /* EP_AF_INET or EP_AF_INET6, 0 = unset */
	uint8_t pad[3];
	uint8_t bytes[16];
};

#define EP_AF_INET 4u
#define EP_AF_INET6 6u

/* ------------------------------------------------------------------ */
/* Flat binary configuration, written by the slow path into the staging  */
/* memzone and announced with EP_CTRL_APPLY_CONFIG.                      */

#define EP_CFG_MAGIC 0x46435045u /* "EPCF" little-endian */

enum ep_fwd_mode {
	EP_FWD_DSR = 1, /* rewrite MACs; backend holds the VIP */
	EP_FWD_ENCAP = 2, /* IP-in-IP (or GUE when EP_SVC_F_GUE) */
	EP_FWD_NAT = 3, /* destination NAT, replies reverse-translated */
};

enum ep_sched {
	EP_SCHED_MAGLEV = 1,
	EP_SCHED_RR = 2, /* round-robin: weights ignored beyond 0/non-0 */
	EP_SCHED_WRR = 3, /* smooth weighted round-robin */
	EP_SCHED_LC = 4, /* least active connections per weight */
};

/* Service flags. */
#define EP_SVC_F_AFFINITY 0x01u /* pick by source address only */
#define EP_SVC_F_GUE 0x02u /* encap mode: GUE (IP in UDP) */
/* nat mode, TCP: the fast path answers SYNs with SYN cookies and opens
 * the backend's connection once the client's ACK returns a valid one
 * (fastpath/synproxy.c). */
#define EP_SVC_F_SYN_PROXY 0x04u
/* on_down "reset": a packet of an established flow whose backend carries
 * EP_BE_F_HEALTH_DOWN ends the flow (TCP: RST to the client, and to the
 * backend where the fast path can reach it; UDP: the entry is forgotten
 * and the packet opens a new flow). */
#define EP_SVC_F_RESET_ON_DOWN 0x08u

enum ep_backend_state {
	EP_BE_UP = 0,
	EP_BE_DOWN = 1, /* no new flows; established flows kept */
	EP_BE_DRAIN = 2, /* no new flows; established flows kept */
};

/* Backend flags (ep_cfg_backend.flags); other bits are refused.
 * EP_BE_F_HEALTH_DOWN: EP_BE_DOWN because of its health checks (the slow
 * path's overlay), not the operator: EP_SVC_F_RESET_ON_DOWN applies. */
#define EP_BE_F_HEALTH_DOWN 0x1u
#define EP_BE_PRIORITY_MAX 15u /* priority tiers 0 (preferred) .. 15 */

/*
 * Node flags (ep_cfg_node.flags); other bits are refused.
 * EP_NODE_F_MAGLEV_FRESH: every Maglev table is built from its service's
 * backend set alone (maglev_build()), never rebuilt from the previous
 * table, so equal configurations give equal tables on every node whatever
 * their history. Clear: a table whose service kept its stats_id and table
 * size is rebuilt from the previous one (maglev_rebuild(): only the slots
 * a change requires move; the table depends on the history of changes).
 */
#define EP_NODE_F_MAGLEV_FRESH 0x1u

/*
 * A service's rate limits (ep_cfg_service.limits, indexed by enum
 * ep_limit_kind): shared by every worker, GCRA (fastpath/policer.h).
 * token_bucket: `burst` is the bucket's depth in units (>= 1);
 * leaky_bucket: `burst` is the tolerance in units (0 = none). Off: all 0.
 */
enum ep_limit_mode {
	EP_LIMIT_OFF = 0,
	EP_LIMIT_TOKEN_BUCKET = 1,
	EP_LIMIT_LEAKY_BUCKET = 2,
};

enum ep_limit_kind {
	EP_LIMIT_PPS = 0, /* packets per second */
	EP_LIMIT_BPS = 1, /* bytes per second (frames as received) */
	EP_LIMIT_CPS = 2, /* new connections per second */
	/* Per client (source address; IPv6 cut to client_v6_prefix), per
	 * worker table (fastpath/clientlimit.h): */
	EP_LIMIT_CLIENT_PPS = 3, /* a client's packets per second */
	EP_LIMIT_CLIENT_CPS = 4, /* a client's new connections per second */
	EP_LIMIT_N
};

struct ep_cfg_limit {
	uint64_t rate; /* units per second, 1..2^40 when on */
	uint64_t burst; /* at most 600 s of the rate */
	uint8_t mode; /* enum ep_limit_mode */
	uint8_t pad[7];
};

/* The global per-client limits (ep_cfg_node.client_limits). */
enum ep_client_limit {
	EP_CLIENT_LIMIT_PPS = 0, /* a client's packets per second */
	EP_CLIENT_LIMIT_CPS = 1, /* a client's new connections per second */
	EP_CLIENT_LIMIT_N
};

struct ep_cfg_node {
	uint16_t backend_port; /* DPDK port towards the backends */
	uint16_t gue_port; /* UDP destination port for GUE */
	uint32_t flags; /* EP_NODE_F_* */
	struct ep_ip encap_src4; /* outer source for IPv4 encap */
	struct ep_ip encap_src6; /* outer source for IPv6 encap */
	/* SYN-flood guard: above this many new TCP flows per second on one
	 * worker (burst: a token bucket's depth), a bare SYN of a new flow
	 * makes no connection entry (stateless Maglev steering, or dropped
	 * as syn_flood where that cannot work). 0 = off (burst 0 too). */
	uint64_t syn_guard_rate;
	uint64_t syn_guard_burst;
	/* SYN cookies (fastpath/syncookie.h): the SipHash key cookies are
	 * made with and a previous one still accepted (rotation), each as
	 * k0, k1; EP_SYN_COOKIE_F_* say which are set. No key: the fast
	 * path draws one at start (cookies valid on this node only). */
	uint64_t syn_cookie_key[2];
	uint64_t syn_cookie_prev[2];
	uint32_t syn_cookie_flags;
	uint32_t pad;
	/* Per-client limits over every service (policing.per_client): one
	 * client's packets/s and new connections/s, whatever service it
	 * reaches, in each worker's client table (fastpath/clientlimit.h,
	 * scope CL_SCOPE_GLOBAL), indexed by enum ep_client_limit. Off: all
	 * 0 (client_v6_prefix too). */
	struct ep_cfg_limit client_limits[EP_CLIENT_LIMIT_N];
	uint8_t client_v6_prefix; /* 0 (= 64) or 1..128 */
	uint8_t pad2[7];
};

#define EP_SYN_COOKIE_F_KEY 0x1u
#define EP_SYN_COOKIE_F_PREV 0x2u /* only with EP_SYN_COOKIE_F_KEY */

/* An address the fast path answers ARP/ND for (besides every VIP). */
struct ep_cfg_node_addr {
	struct ep_ip addr;
	uint16_t port_id;
	uint16_t pad[3];
};

/*
 * Access-list rules (ep_cfg_hdr.off_acl_rules): CIDR prefixes, allow or
 * deny, of the global list or of one service (scope = the service's index
 * in the flat service array). Deny wins; an allow list that is not empty
 * refuses every client outside it (fastpath/acl.h).
 */
#define EP_ACL_DENY 1u
#define EP_ACL_ALLOW 2u
#define EP_ACL_SCOPE_GLOBAL UINT32_MAX

struct ep_cfg_acl_rule {
	struct ep_ip prefix; /* bits past depth zero */
	uint8_t depth; /* 0..32 or 0..128 */
	uint8_t kind; /* EP_ACL_DENY or EP_ACL_ALLOW */
	uint16_t pad;
	uint32_t scope; /* service index, or EP_ACL_SCOPE_GLOBAL */
	uint32_t pad2;
};

#define EP_MAX_ACL_RULES (1u << 20)

struct ep_cfg_service {
	char name[EP_NAME_LEN];
	struct ep_ip vip;
	uint16_t port; /* host order; 0 = every port */
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t fwd_mode; /* enum ep_fwd_mode */
	uint8_t sched; /* enum ep_sched */
	uint8_t flags; /* EP_SVC_F_* */
	uint8_t client_v6_prefix; /* per-client limits: 0 (= 64) or 1..128 */
	uint8_t pad;
	uint32_t stats_id; /* < EP_MAX_SERVICES, stable for this service */
	uint32_t maglev_size; /* prime; 0 = EP_MAGLEV_DEFAULT_SIZE */
	uint32_t first_backend; /* index into the backend array */
	uint32_t n_backends;
	struct ep_cfg_limit limits[EP_LIMIT_N];
};

struct ep_cfg_backend {
	struct ep_ip addr;
	uint16_t port; /* host order; 0 = the packet's own port */
	uint16_t weight; /* 0 = no new flows */
	uint8_t state; /* enum ep_backend_state */
	uint8_t has_mac; /* 1: mac is a static neighbour entry */
	uint8_t mac[6];
	uint32_t stats_id; /* < EP_MAX_BACKENDS, stable for this backend */
	/* The configured tier, 0..EP_BE_PRIORITY_MAX. The fast path does not
	 * read it: the slow path's overlay turns tiers into `weight`. */
	uint8_t priority;
	uint8_t flags; /* EP_BE_F_* */
	uint16_t pad;
};

struct ep_cfg_hdr {
	uint32_t magic;
	uint32_t abi_version;
	uint64_t version; /* the slow path's configuration version */
	uint32_t total_len;
	uint32_t n_services;
	uint32_t n_backends;
	uint32_t n_node_addrs;
	uint32_t off_services; /* byte offsets from the header's start */
	uint32_t off_backends;
	uint32_t off_node_addrs;
	uint32_t n_acl_rules; /* struct ep_cfg_acl_rule, <= EP_MAX_ACL_RULES */
	uint32_t off_acl_rules;
	uint32_t pad;
	struct ep_cfg_node node;
};

/* ------------------------------------------------------------------ */
/* Control and event rings (fixed-size elements, rte_ring_elem).        */

enum ep_ctrl_type {
	EP_CTRL_HELLO = 1, /* slow path attached; answered with state */
	EP_CTRL_APPLY_CONFIG = 2, /* staging area holds a flat config */
	EP_CTRL_FLOWS_SAMPLE = 3, /* fill EP_MZ_FLOWS; arg0 = service stats_id
				     or UINT32_MAX, arg1 = limit */
};

struct ep_ctrl_msg {
	uint32_t type;
	uint32_t seq;
	uint32_t len; /* APPLY_CONFIG: bytes in the staging area */
	uint32_t crc; /* APPLY_CONFIG: rte_hash_crc of those bytes, seed 0 */
	uint64_t version;
	uint32_t arg0;
	uint32_t arg1;
};

#define EP_EVENT_ERR_LEN 160u

struct ep_event_msg {
	uint32_t type; /* the ep_ctrl_type answered */
	uint32_t seq; /* the request's seq */
	int32_t status; /* 0 or a negative errno */
	uint32_t count; /* FLOWS_SAMPLE: entries written */
	uint64_t generation; /* snapshot generation now in force */
	uint64_t version; /* configuration version now in force */
	/* CLOCK_MONOTONIC (ns) when the answer was sent: the requester
	 * times the change to the moment it was in force. */
	uint64_t answered_ns;
	char error[EP_EVENT_ERR_LEN]; /* why, when status < 0 */
};

/* ------------------------------------------------------------------ */
/* Process-wide state.                                                  */

#define EP_SHARED_MAGIC 0x48535045u /* "EPSH" */

struct ep_shared {
	uint32_t magic;
	uint32_t abi_version;
	int32_t fp_pid;
	uint32_t n_workers;
	uint64_t boot_tsc; /* changes on every fast path start */
	uint64_t tsc_hz;
	uint64_t generation; /* snapshot generation in force (atomic) */
	uint64_t version; /* configuration version in force (atomic) */
	uint32_t n_ports;
	uint32_t stopping; /* set when the fast path is shutting down */
	int32_t sp_pid; /* attached slow path, 0 = none (written by sp) */
	uint32_t ctrl_bell; /* ep_bell.h: rung after each control message */
	uint64_t sp_heartbeat_tsc; /* written by the slow path every 100 ms */
	uint32_t event_bell; /* ep_bell.h: rung after each answer */
	uint32_t pad;
	uint16_t worker_lcore[EP_MAX_WORKERS];
};

/* ------------------------------------------------------------------ */
/* Statistics: one X-macro list per family, so enum, /metrics names and */
/* telemetry keys cannot drift apart.                                   */

/* Worker counters (per lcore), X(sym, name): all EP_KIND_COUNTER. */
#define EP_WORKER_COUNTERS_HELP "Fast-path worker counter, summed over workers."
#define EP_WORKER_COUNTERS(X)                                                  \
	X(RX_PKTS, "rx_packets")                                               \
	X(RX_BYTES, "rx_bytes")                                                \
	X(TX_PKTS, "tx_packets")                                               \
	X(TX_BYTES, "tx_bytes")                                                \
	X(FWD_PKTS, "forwarded_packets")                                       \
	X(PUNT_PKTS, "punted_packets")                                         \
	X(ARP_REPLIES, "arp_replies")                                          \
	X(ND_ADVERTS, "nd_advertisements")                                     \
	X(NEIGH_REQUESTS, "neighbour_requests")                                \
	X(NEIGH_LEARNED, "neighbour_learned")                                  \
	X(NAT_REPLIES, "nat_replies")                                          \
	X(NAT_ICMP, "nat_icmp_translated")                                     \
	X(CT_HITS, "ct_hits")                                                  \
	X(CT_MISSES, "ct_misses")                                              \
	X(CT_INSERTS, "ct_inserts")                                            \
	X(CT_EVICTIONS, "ct_evictions")                                        \
	X(CT_EXPIRED, "ct_expired")                                            \
	X(CT_FALLBACK, "ct_stateless_fallback")                                \
	X(CT_REUSED, "ct_port_reused")                                         \
	X(HANDOFF_OUT, "handoff_out")                                          \
	X(HANDOFF_IN, "handoff_in")                                            \
	X(BURSTS, "busy_polls")                                                \
	X(IDLE_POLLS, "idle_polls")                                            \
	X(IDLE_SLEEPS, "idle_sleeps")                                          \
	X(BUSY_CYCLES, "busy_cycles")                                          \
	X(BUSY_PKTS, "busy_packets")                                           \
	X(CYC_PARSE, "cycles_parse")                                           \
	X(CYC_LOOKUP, "cycles_lookup")                                         \
	X(CYC_PICK, "cycles_pick")                                             \
	X(CYC_REWRITE, "cycles_rewrite")                                       \
	X(CYC_TX, "cycles_tx")                                                 \
	X(SNAPSHOT_SWITCHES, "snapshot_switches")                              \
	X(CYC_AGE, "cycles_age")                                               \
	X(SYN_STATELESS, "syn_flood_stateless")                                \
	X(EXC_TO_KERNEL, "exception_to_kernel")                                \
	X(EXC_FROM_KERNEL, "exception_from_kernel")

/* Drop reasons (per lcore), X(sym, name): counters of one /metrics family
 * with a "reason" label. Parser reasons come first. */
#define EP_DROP_REASONS_HELP "Packets the fast path dropped, by reason."
#define EP_DROP_REASONS(X)                                                     \
	X(ETH_TRUNC, "eth_truncated")                                          \
	X(VLAN_TRUNC, "vlan_truncated")                                        \
	X(VLAN_TOO_MANY, "vlan_too_many_tags")                                 \
	X(ARP_TRUNC, "arp_truncated")                                          \
	X(ARP_BAD, "arp_malformed")                                            \
	X(IP4_TRUNC, "ipv4_truncated")                                         \
	X(IP4_BAD_VERSION, "ipv4_bad_version")                                 \
	X(IP4_BAD_IHL, "ipv4_bad_header_length")                               \
	X(IP4_BAD_LEN, "ipv4_bad_total_length")                                \
	X(IP4_BAD_CSUM, "ipv4_bad_checksum")                                   \
	X(IP4_BAD_ADDR, "ipv4_bad_address")                                    \
	X(IP_FRAGMENT, "ip_fragment")                                          \
	X(IP6_TRUNC, "ipv6_truncated")                                         \
	X(IP6_BAD_VERSION, "ipv6_bad_version")                                 \
	X(IP6_BAD_LEN, "ipv6_bad_payload_length")                              \
	X(IP6_EXT_TRUNC, "ipv6_ext_truncated")                                 \
	X(IP6_EXT_CHAIN, "ipv6_ext_chain_too_long")                            \
	X(TCP_TRUNC, "tcp_truncated")                                          \
	X(TCP_BAD_OFF, "tcp_bad_data_offset")                                  \
	X(UDP_TRUNC, "udp_truncated")                                          \
	X(UDP_BAD_LEN, "udp_bad_length")                                       \
	X(ICMP_TRUNC, "icmp_truncated")                                        \
	X(ICMP_INNER_BAD, "icmp_bad_inner_packet")                             \
	X(NO_BACKEND, "no_backend")                                            \
	X(NO_NEIGH, "no_neighbour")                                            \
	X(NO_SLOWPATH, "no_slowpath")                                          \
	X(PUNT_FULL, "punt_ring_full")                                         \
	X(HANDOFF_FULL, "handoff_ring_full")                                   \
	X(TX_FULL, "tx_full")                                                  \
	X(NO_MBUF, "no_mbuf")                                                  \
	X(NO_HEADROOM, "no_headroom")                                          \
	X(TOO_BIG, "too_big_for_encap")                                        \
	X(NOT_FOR_US, "not_for_us")                                            \
	X(ACL, "acl")                                                          \
	X(RATE_SVC_PPS, "rate_service_pps")                                    \
	X(RATE_SVC_BPS, "rate_service_bps")                                    \
	X(RATE_SVC_CPS, "rate_service_cps")                                    \
	X(RATE_CLIENT, "rate_client")                                          \
	X(RATE_CLIENT_GLOBAL, "rate_client_global")                            \
	X(SYN_FLOOD, "syn_flood")                                              \
	X(SYN_COOKIE_INVALID, "syn_cookie_invalid")                            \
	X(SYN_PROXY_WAIT, "syn_proxy_waiting")                                 \
	X(EXC_RING_FULL, "exception_ring_full")                                \
	X(EXC_RATE, "exception_rate")                                          \
	X(EXC_RATE_SOURCE, "exception_rate_source")                            \
	X(EXC_RATE_NEIGH, "exception_rate_neighbour")

#define EP_X_ENUM(sym, name) EP_CNT_##sym,
enum ep_worker_counter { EP_WORKER_COUNTERS(EP_X_ENUM) EP_CNT_MAX };
#undef EP_X_ENUM
#define EP_X_ENUM(sym, name) EP_DROP_##sym,
enum ep_drop_reason { EP_DROP_REASONS(EP_X_ENUM) EP_DROP_MAX };
#undef EP_X_ENUM

/*
 * Per-port, per-service and per-backend counters: one X-macro list per
 * family, X(field, type, name, kind, brief). The family's struct below is
 * made from its list, and so are the readers' tables (stats_sum.h) that
 * telemetry, /v1/stats, /metrics and edgectl iterate: adding a counter is
 * one line here plus the code that counts it. `name` is the telemetry and
 * /v1/stats key and the middle of the /metrics name; `kind` is
 * EP_KIND_COUNTER (monotonic) or EP_KIND_GAUGE (may go down; /metrics
 * adds no _total); `brief` 1 puts it in the compact per-backend views
 * (telemetry's service dict, edgectl's backend table).
 */
#define EP_KIND_COUNTER 0u
#define EP_KIND_GAUGE 1u

#define EP_PORT_COUNTERS_HELP "Per DPDK port, summed over workers."
#define EP_PORT_COUNTERS(X)                                                    \
	X(rx_pkts, uint64_t, "rx_packets", EP_KIND_COUNTER, 1)                 \
	X(rx_bytes, uint64_t, "rx_bytes", EP_KIND_COUNTER, 1)                  \
	X(tx_pkts, uint64_t, "tx_packets", EP_KIND_COUNTER, 1)                 \
	X(tx_bytes, uint64_t, "tx_bytes", EP_KIND_COUNTER, 1)                  \
	X(tx_drops, uint64_t, "tx_drops", EP_KIND_COUNTER, 1)

#define EP_SVC_COUNTERS_HELP "Per service in the configuration in force."
#define EP_SVC_COUNTERS(X)                                                     \
	X(pkts, uint64_t, "packets", EP_KIND_COUNTER, 1)                       \
	X(bytes, uint64_t, "bytes", EP_KIND_COUNTER, 1)                        \
	X(new_flows, uint64_t, "new_flows", EP_KIND_COUNTER, 1)                \
	X(drops, uint64_t, "drops", EP_KIND_COUNTER, 1)                        \
	X(drop_acl, uint64_t, "drops_acl", EP_KIND_COUNTER, 0)                 \
	X(drop_rate_pps, uint64_t, "drops_rate_service_pps", EP_KIND_COUNTER,  \
	  0)                                                                   \
	X(drop_rate_bps, uint64_t, "drops_rate_service_bps", EP_KIND_COUNTER,  \
	  0)                                                                   \
	X(drop_rate_cps, uint64_t, "drops_rate_service_cps", EP_KIND_COUNTER,  \
	  0)                                                                   \
	X(drop_rate_client, uint64_t, "drops_rate_client", EP_KIND_COUNTER, 0) \
	X(drop_rate_client_global, uint64_t, "drops_rate_client_global",       \
	  EP_KIND_COUNTER, 0)                                                  \
	X(drop_syn_flood, uint64_t, "drops_syn_flood", EP_KIND_COUNTER, 0)     \
	X(syn_cookie_sent, uint64_t, "syn_cookie_sent", EP_KIND_COUNTER, 0)    \
	X(syn_cookie_invalid, uint64_t, "syn_cookie_invalid", EP_KIND_COUNTER, \
	  0)                                                                   \
	X(syn_cookie_valid, uint64_t, "syn_cookie_valid", EP_KIND_COUNTER, 0)  \
	X(syn_proxy_established, uint64_t, "syn_proxy_established",            \
	  EP_KIND_COUNTER, 0)                                                  \
	X(syn_proxy_backend_reset, uint64_t, "syn_proxy_backend_reset",        \
	  EP_KIND_COUNTER, 0)                                                  \
	X(syn_proxy_syn_retries, uint64_t, "syn_proxy_syn_retries",            \
	  EP_KIND_COUNTER, 0)                                                  \
	X(drop_syn_proxy_wait, uint64_t, "drops_syn_proxy_waiting",            \
	  EP_KIND_COUNTER, 0)                                                  \
	X(reset_on_down, uint64_t, "flows_reset_on_down", EP_KIND_COUNTER, 0)

#define EP_BE_COUNTERS_HELP                                                    \
	"Per backend (service, address:port) in the configuration in force."
/* active_flows: this lcore's inserts minus its removals (sums wrap).
 * outlier_*: the passive outlier signals of TCP flows (fastpath/outlier.h),
 * at most one per opening of a flow: answered (a SYN-ACK from a NAT
 * backend, or the client's ACK after its SYN), or failed (a NAT backend's
 * RST to the SYN, the client's SYN sent again, or the entry aged out
 * still waiting). The slow path's breaker reads them (slowpath/breaker.h). */
#define EP_BE_COUNTERS(X)                                                      \
	X(pkts, uint64_t, "packets", EP_KIND_COUNTER, 1)                       \
	X(bytes, uint64_t, "bytes", EP_KIND_COUNTER, 0)                        \
	X(new_flows, uint64_t, "new_flows", EP_KIND_COUNTER, 0)                \
	X(active_flows, int64_t, "active_flows", EP_KIND_GAUGE, 1)             \
	X(out_success, uint64_t, "outlier_successes", EP_KIND_COUNTER, 0)      \
	X(out_reset, uint64_t, "outlier_resets", EP_KIND_COUNTER, 0)           \
	X(out_retrans, uint64_t, "outlier_syn_retransmits", EP_KIND_COUNTER,   \
	  0)                                                                   \
	X(out_timeout, uint64_t, "outlier_timeouts", EP_KIND_COUNTER, 0)

#define EP_X_FIELD(field, type, name, kind, brief) type field;
#define EP_X_ONE(field, type, name, kind, brief) +1
enum {
	EP_PORT_N = 0 EP_PORT_COUNTERS(EP_X_ONE),
	EP_SVC_N = 0 EP_SVC_COUNTERS(EP_X_ONE),
	EP_BE_N = 0 EP_BE_COUNTERS(EP_X_ONE),
};

/* 64 bytes whatever the count, so a port counter does not move the rest. */
struct ep_port_counters {
	EP_PORT_COUNTERS(EP_X_FIELD)
	uint64_t pad[8 - EP_PORT_N];
};

struct ep_svc_counters {
	EP_SVC_COUNTERS(EP_X_FIELD)
};

struct ep_be_counters {
	EP_BE_COUNTERS(EP_X_FIELD)
};
#undef EP_X_FIELD
#undef EP_X_ONE

_Static_assert(sizeof(struct ep_port_counters) == 64, "ep_port_counters");

/* The per-service counters every view shows first, by name (packets,
 * bytes, new_flows, drops); the rest (policing drops by reason, the SYN
 * proxy's) follow them in the list. */
#define EP_SVC_N_BASIC 4u
_Static_assert(__builtin_offsetof(struct ep_svc_counters, drops) ==
		       (EP_SVC_N_BASIC - 1) * sizeof(uint64_t),
	       "pkts, bytes, new_flows, drops come first");

/* One lcore's counters: written by that lcore only, summed by readers. */
struct ep_lcore_stats {
	uint64_t cnt[EP_CNT_MAX];
	uint64_t drop[EP_DROP_MAX];
	struct ep_port_counters port[EP_MAX_PORTS];
} __attribute__((aligned(64)));

#define EP_STATS_MAGIC 0x54535045u /* "EPST" */

/*
 * A service's Maglev table as backend identities (ep_stats.maglev), so
 * nodes can be compared whatever their internal indexes: key(backend) =
 * FNV-1a 64 over family (1 byte, 4 or 6), address (4 or 16 bytes) and
 * port (2 bytes, network order); key(empty slot) = 0; digest = FNV-1a 64
 * taken over 64-bit words: h = 0xcbf29ce484222325, then for each slot in
 * order h = (h ^ key) * 0x100000001b3, and last h = (h ^ size) * prime
 * (fastpath/maglev_digest.h). Written by the main lcore under a sequence
 * count (odd while it writes; readers retry), indexed by service stats_id.
 */
enum ep_maglev_digest_state {
	EP_MAGLEV_DIGEST_NONE = 0, /* the service has no Maglev table */
	EP_MAGLEV_DIGEST_PENDING = 1, /* full table not built yet */
	EP_MAGLEV_DIGEST_FRESH = 2, /* from the backend set alone */
	EP_MAGLEV_DIGEST_REBUILT = 3, /* from the previous table (history) */
};

struct ep_maglev_digest {
	uint32_t seq; /* odd while written */
	uint32_t state; /* enum ep_maglev_digest_state */
	uint32_t slots; /* the full table's size */
	uint32_t pad;
	uint64_t digest; /* valid in states FRESH and REBUILT */
	uint64_t version; /* configuration version it was written for */
};

struct ep_stats {
	uint32_t magic;
	uint32_t n_lcores; /* worker slots in use */
	uint32_t ring_depth_punt; /* sampled by the main lcore */
	uint32_t ring_depth_inject;
	/* Maglev full tables deferred by a configuration change (services
	 * forwarding on a provisional table meanwhile), written by the main
	 * lcore: still to build (a gauge), and since start, deferred, built,
	 * dropped because their service went before its turn. */
	uint32_t maglev_pending;
	uint32_t pad0;
	uint64_t maglev_deferred;
	uint64_t maglev_built;
	uint64_t maglev_abandoned;
	/* The exception path's thread (fastpath/exception.c), their one
	 * writer: frames written to the kernel interface, refused by it,
	 * read from it, dropped because the ring to worker 0 was full. */
	uint64_t exc_tap_tx;
	uint64_t exc_tap_tx_drops;
	uint64_t exc_tap_rx;
	uint64_t exc_tap_rx_drops;
	uint64_t pad[6];
	struct ep_lcore_stats lcore[EP_MAX_WORKERS];
	struct ep_svc_counters svc[EP_MAX_WORKERS][EP_MAX_SERVICES];
	struct ep_be_counters be[EP_MAX_WORKERS][EP_MAX_BACKENDS];
	struct ep_maglev_digest maglev[EP_MAX_SERVICES]; /* by stats_id */
};

/* ------------------------------------------------------------------ */
/* Connection-table sample for the slow path's /v1/flows.               */

struct ep_flow_entry {
	struct ep_ip client;
	struct ep_ip vip;
	struct ep_ip backend;
	uint16_t client_port;
	uint16_t vip_port;
	uint16_t backend_port;
	uint8_t proto;
	uint8_t state; /* enum ct_state in conntrack.h */
	uint32_t service_stats_id;
	uint32_t backend_stats_id;
	uint32_t age_ms; /* since the last packet */
	uint16_t worker;
	uint16_t pad;
};

struct ep_flow_sample {
	uint32_t seq; /* request answered */
	uint32_t count;
	struct ep_flow_entry flows[EP_FLOW_SAMPLE_MAX];
};

#endif /* EP_ABI_H */
