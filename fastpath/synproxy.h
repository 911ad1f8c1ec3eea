/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SYN proxy of `nat` services with syn_proxy on (EP_SVC_F_SYN_PROXY),
 * in the manner of DPVS's synproxy:
 *
 *  1. client SYN: answered by the fast path with a SYN-ACK whose sequence
 *     number is a SYN cookie (syncookie.h) and whose window is 0, so the
 *     client sends no data before the backend is there. No state.
 *  2. client ACK: its acknowledgement number minus one must be a valid
 *     cookie for the flow and its sequence number minus one. Then the
 *     ordinary new-flow path makes the connection entries and picks the
 *     backend, and the ACK itself, rewritten into a SYN with the client's
 *     ISN and the cookie's MSS, goes to the backend (WAIT state).
 *  3. backend SYN-ACK: delta = backend ISN - cookie. The fast path ACKs
 *     it towards the backend, and turns it into a window update for the
 *     client (the backend's window), which opens the client's sending.
 *  4. from then on: client -> backend acknowledgement numbers + delta,
 *     backend -> client sequence numbers - delta, TCP checksums updated
 *     incrementally (RFC 1624).
 *
 * Window scaling, SACK and timestamps are not offered to either side, so
 * a proxied connection has none of them (windows at most 64 KiB).
 * synproxy.c has the per-packet work; the helpers below are pure so the
 * unit tests can check them without an EAL.
 */
#ifndef EP_SYNPROXY_H
#define EP_SYNPROXY_H

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "csum.h"
#include "parse.h"

#define SP_TCP_SEQ_OFF 4u
#define SP_TCP_ACK_OFF 8u
#define SP_TCP_FLAGS_OFF 13u
#define SP_TCP_WIN_OFF 14u
#define SP_TCP_CSUM_OFF 16u

#define SP_TH_FIN 0x01u
#define SP_TH_SYN 0x02u
#define SP_TH_RST 0x04u
#define SP_TH_ACK 0x10u

/* A client packet of a WAIT flow this long after the last SYN to the
 * backend sends the SYN again (the client's zero-window probes drive
 * the retries, a lost SYN or a backend MAC still unknown heal). */
#define SP_SYN_RETRY_MS 200u

/* What synproxy_client() did with a client packet. */
enum sp_verdict {
	SP_DONE = 0, /* consumed: answered, dropped and counted */
	SP_PASS, /* goes on as a packet of its flow (translated) */
	SP_OPEN, /* a valid cookie: now a SYN, for the new-flow path */
};

static inline uint32_t sp_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

/* Add `delta` to the 32-bit field at `tcp + off`, the checksum follows. */
static inline void sp_shift32(uint8_t *tcp, uint32_t off, uint32_t delta)
{
	uint8_t old[4];
	uint32_t v;

	memcpy(old, tcp + off, 4);
	v = rte_cpu_to_be_32(sp_get32(old) + delta);
	csum_store16(tcp + SP_TCP_CSUM_OFF,
		     csum_replace_bytes(csum_load16(tcp + SP_TCP_CSUM_OFF), old,
					&v, 4));
	memcpy(tcp + off, &v, 4);
}

/* Client -> backend: the acknowledgement number (when ACK is set). */
static inline void sp_to_backend(uint8_t *tcp, uint32_t delta)
{
	if (tcp[SP_TCP_FLAGS_OFF] & SP_TH_ACK)
		sp_shift32(tcp, SP_TCP_ACK_OFF, delta);
}

/* Backend -> client: the sequence number. */
static inline void sp_to_client(uint8_t *tcp, uint32_t delta)
{
	sp_shift32(tcp, SP_TCP_SEQ_OFF, (uint32_t)0 - delta);
}

/*
 * An ICMP error about a proxied flow quotes a TCP header in one side's
 * numbering; the receiver checks the quoted sequence number against its
 * own (Linux ignores an error whose sequence number it did not send, so
 * path MTU discovery would stop working). Add `delta` to the quoted
 * 32-bit field at `off` of the header at `l4`, `avail` bytes of which
 * are in the frame, when the quote holds it, and to the quoted checksum
 * when it holds that too (RFC 792 promises 8 bytes: ports and sequence
 * number). The ICMP checksum is the caller's.
 */
static inline void sp_quote_shift(uint8_t *l4, uint32_t avail, uint32_t off,
				  uint32_t delta)
{
	uint32_t v;

	if (avail < off + 4)
		return;
	if (avail >= SP_TCP_CSUM_OFF + 2) {
		sp_shift32(l4, off, delta);
		return;
	}
	v = rte_cpu_to_be_32(sp_get32(l4 + off) + delta);
	memcpy(l4 + off, &v, 4);
}

/* The quoted TCP header of ICMP error `mb` and its bytes in the frame. */
static inline uint8_t *sp_quote(struct rte_mbuf *mb, const struct pkt_meta *m,
				uint32_t *avail)
{
	*avail = (uint32_t)m->frame_len - m->inner_l4_off;
	return rte_pktmbuf_mtod(mb, uint8_t *) + m->inner_l4_off;
}

/* An error to the VIP about a reply, on its way to the backend: the
 * quoted sequence number (+ delta). Not TCP: nothing to do. */
static inline void sp_quote_to_backend(struct rte_mbuf *mb,
				       const struct pkt_meta *m, uint32_t delta)
{
	uint32_t avail;
	uint8_t *l4;

	if (m->key.proto != IPPROTO_TCP)
		return;
	l4 = sp_quote(mb, m, &avail);
	sp_quote_shift(l4, avail, SP_TCP_SEQ_OFF, delta);
}

/* An error about a packet to the backend, on its way to the client: the
 * quoted acknowledgement number (- delta), when it carries one. */
static inline void sp_quote_to_client(struct rte_mbuf *mb,
				      const struct pkt_meta *m, uint32_t delta)
{
	uint32_t avail;
	uint8_t *l4;

	if (m->key.proto != IPPROTO_TCP)
		return;
	l4 = sp_quote(mb, m, &avail);
	if (avail > SP_TCP_FLAGS_OFF && (l4[SP_TCP_FLAGS_OFF] & SP_TH_ACK))
		sp_quote_shift(l4, avail, SP_TCP_ACK_OFF, (uint32_t)0 - delta);
}

/*
 * The MSS option of a SYN whose TCP header, `avail` bytes of it in the
 * frame, is at `tcp`; without one, the RFC 9293 default of the family
 * (536 for IPv4, 1220 for IPv6).
 */
static inline uint16_t sp_syn_mss(const uint8_t *tcp, uint32_t avail,
				  uint8_t family)
{
	uint32_t end = (uint32_t)(tcp[12] >> 4) * 4u, i = 20;

	if (end > avail)
		end = avail;
	while (i < end) {
		uint8_t kind = tcp[i], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= end)
			break;
		len = tcp[i + 1];
		if (len < 2 || i + len > end)
			break;
		if (kind == 2 && len == 4)
			return (uint16_t)(tcp[i + 2] << 8 | tcp[i + 3]);
		i += len;
	}
	return family == EP_AF_INET ? 536 : 1220;
}

/* A segment the proxy writes itself (addresses of the family). */
struct sp_seg {
	const uint8_t *src; /* network order, 4 or 16 bytes */
	const uint8_t *dst;
	uint16_t sport; /* network order */
	uint16_t dport;
	uint32_t seq; /* host order */
	uint32_t ack;
	uint8_t flags;
	uint16_t window; /* host order */
	uint16_t mss; /* 0: no MSS option */
};

/*
 * Write an IPv4 (20-byte header) or IPv6 (no extension header) header and
 * a TCP header for `g` at `frame + l3_off`, checksums complete. Returns
 * the frame's new length (at least 60 bytes: short frames are padded
 * with zeros). The frame's buffer must hold l3_off + 64 bytes.
 */
uint32_t sp_write_segment(uint8_t *frame, uint32_t l3_off, uint8_t family,
			  const struct sp_seg *g);

struct fp_worker;
struct fp_snapshot;
struct rte_mbuf;
struct ct_entry;

/*
 * A TCP packet from a client to a syn_proxy service (stats id
 * `svc_sid`), after policing;
 * `*pos` is the lookup's answer (a position or negative), and may change
 * (a closed flow's entry removed, one this burst made found). SP_OPEN:
 * the packet is now the backend's SYN, `*pos` negative, and after the
 * new-flow path made its entry the caller calls synproxy_opened().
 */
int synproxy_client(struct fp_worker *w, const struct fp_snapshot *s,
		    uint32_t svc_sid, struct rte_mbuf *mb, struct pkt_meta *m,
		    uint32_t hash, int32_t *pos, uint64_t now);

/* SP_OPEN, but the new-flow path refused the connection (limits, no
 * backend): the client, whose handshake is complete, gets an RST. */
void synproxy_refused(struct fp_worker *w, const struct pkt_meta *m);

/* Mark the flow SP_OPEN made (key and hash of the client's packet). */
void synproxy_opened(struct fp_worker *w, const struct pkt_meta *m,
		     uint32_t hash);

/*
 * A backend's packet of a syn_proxy flow (reply entry `reply`, forward
 * entry `fwd`): 1 when consumed (the backend's SYN-ACK, or dropped),
 * 0 when it goes on to the client (translated).
 */
int synproxy_reply(struct fp_worker *w, struct rte_mbuf *mb,
		   const struct pkt_meta *m, struct ct_entry *reply,
		   struct ct_entry *fwd, uint64_t now);

#endif /* EP_SYNPROXY_H */
