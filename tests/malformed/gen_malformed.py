#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The malformed-packet corpus: every frame the fast path's parser policy
(fastpath/parse.c, docs/fastpath.md) names, both families, with what the
worker must do with it.

    gen_malformed.py OUT.pcap OUT.tsv     the corpus and its expectations
    gen_malformed.py --raw DIR            one file per frame (fuzz seeds)

OUT.tsv has one line per pcap record, in order:
    name <TAB> expect <TAB> cuts
expect: "drop:<counter>" (dropped and counted under that drop reason,
the names of fastpath/ep_abi.h), "fwd" (sent out once), "punt" (handed
to the slow path), "reply" (answered: ARP). cuts: "-" or comma-separated
offsets where tests/integration/test_malformed.c cuts the frame into
mbuf segments (a multi-segment mbuf).

Frames are addressed to the services of tests/malformed/config.json;
the destination MAC 02:ee:ee:ee:ee:ee stands for the port's own.
Python 3 standard library only; the output depends on nothing else.
"""
import os
import struct
import sys

PORT_MAC = bytes.fromhex("02eeeeeeeeee")
CLIENT_MAC = bytes.fromhex("020000000099")
CLIENT4 = bytes([172, 16, 0, 9])
VIP4 = bytes([10, 1, 0, 1])
NODE4 = bytes([10, 0, 0, 1])
CLIENT6 = bytes.fromhex("20010db8000000000000000000000009")
VIP6 = bytes.fromhex("fd000001000000000000000000000001")

CASES = []


def case(name, frame, expect, cuts=None):
    CASES.append((name, bytes(frame), expect, cuts))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(payload, etype, vlans=()):
    hdr = PORT_MAC + CLIENT_MAC
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", etype) + payload


def tcp(sport=40000, dport=80, flags=0x02, doff=5, opts=b"", payload=b""):
    return (struct.pack("!HHIIBBHHH", sport, dport, 1, 0, doff << 4, flags,
                        65535, 0, 0) + opts + payload)


def udp(sport=40000, dport=53, length=None, payload=b"q" * 8):
    if length is None:
        length = 8 + len(payload)
    return struct.pack("!HHHH", sport, dport, length, 0) + payload


def ip4(l4, proto=6, src=CLIENT4, dst=VIP4, ihl=5, opts=b"", tot_len=None,
        frag=0x4000, version=4, ttl=64, good_csum=True):
    if tot_len is None:
        tot_len = ihl * 4 + len(l4) if ihl >= 5 else 20 + len(l4)
    hdr = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, 0, tot_len, 1,
                      frag, ttl, proto, 0, src, dst) + opts
    c = csum(hdr[:max(ihl, 5) * 4] if ihl >= 5 else hdr[:20])
    if not good_csum:
        c ^= 0x5A5A
    hdr = hdr[:10] + struct.pack("!H", c) + hdr[12:]
    return hdr + l4


def ip6(payload, nh=6, src=CLIENT6, dst=VIP6, plen=None, version=6, hlim=64):
    if plen is None:
        plen = len(payload)
    return struct.pack("!IHBB16s16s", version << 28, plen, nh, hlim, src,
                       dst) + payload


def ext6(nh, body_len8=0):
    """An IPv6 extension header of (body_len8 + 1) * 8 bytes."""
    return struct.pack("!BB", nh, body_len8) + b"\x01\x04\0\0\0\0" + \
        b"\0" * (8 * body_len8)


def icmp4(typ, code, rest=b"\0" * 4, body=b""):
    return struct.pack("!BBH", typ, code, 0) + rest + body


def icmp6(typ, code, rest=b"\0" * 4, body=b""):
    return struct.pack("!BBH", typ, code, 0) + rest + body


def arp(op=1, htype=1, ptype=0x0800, hlen=6, plen=4, tpa=NODE4):
    return struct.pack("!HHBBH6s4s6s4s", htype, ptype, hlen, plen, op,
                       CLIENT_MAC, CLIENT4, b"\0" * 6, tpa)


def pad60(f):
    return f + b"\0" * max(0, 60 - len(f))


def build():
    syn4 = eth(ip4(tcp()), 0x0800)
    udp4 = eth(ip4(udp(), proto=17), 0x0800)
    syn6 = eth(ip6(tcp()), 0x86DD)
    udp6 = eth(ip6(udp(), nh=17), 0x86DD)

    # Well-formed references: each path works before anything breaks.
    case("ipv4 tcp syn", pad60(syn4), "fwd")
    case("ipv4 udp", pad60(udp4), "fwd")
    case("ipv6 tcp syn", syn6, "fwd")
    case("ipv6 udp", udp6, "fwd")
    # sp4 (10.1.0.4:80): SYN proxy, limits and an access list; its SYN is
    # answered with a cookie SYN-ACK, an ACK without a valid cookie dropped
    sp_vip = bytes([10, 1, 0, 4])
    case("ipv4 syn to a syn_proxy service",
         pad60(eth(ip4(tcp(), dst=sp_vip), 0x0800)), "reply")
    case("ipv4 ack with a wrong cookie to a syn_proxy service",
         pad60(eth(ip4(tcp(flags=0x10), dst=sp_vip), 0x0800)),
         "drop:syn_cookie_invalid")
    case("ipv4 syn from a denied prefix to a syn_proxy service",
         pad60(eth(ip4(tcp(), src=bytes([192, 0, 2, 9]), dst=sp_vip),
                   0x0800)), "drop:acl")
    case("arp request for the node", pad60(eth(arp(), 0x0806)), "reply")

    # Ethernet and VLANs.
    for n in (0, 1, 6, 13):
        case("frame of %d bytes" % n, syn4[:n], "drop:eth_truncated")
    case("one VLAN tag", pad60(eth(ip4(tcp()), 0x0800, [(0x8100, 5)])),
         "fwd")
    case("stacked VLANs (802.1ad + 802.1Q)",
         pad60(eth(ip4(tcp()), 0x0800, [(0x88A8, 5), (0x8100, 6)])), "fwd")
    case("three VLAN tags",
         pad60(eth(ip4(tcp()), 0x0800,
                   [(0x88A8, 5), (0x8100, 6), (0x8100, 7)])),
         "drop:vlan_too_many_tags")
    case("VLAN tag cut short", (PORT_MAC + CLIENT_MAC +
                                struct.pack("!HH", 0x8100, 5))[:16],
         "drop:vlan_truncated")
    case("second VLAN tag cut short",
         (PORT_MAC + CLIENT_MAC + struct.pack("!HHH", 0x88A8, 5, 0x8100)),
         "drop:vlan_truncated")
    case("VLAN then 10 bytes of IPv4",
         eth(ip4(tcp())[:10], 0x0800, [(0x8100, 5)]), "drop:ipv4_truncated")

    # ARP.
    case("ARP of 6 bytes", eth(arp()[:6], 0x0806), "drop:arp_truncated")
    case("ARP of 20 bytes", eth(arp()[:20], 0x0806), "drop:arp_truncated")
    case("ARP hardware type 6", pad60(eth(arp(htype=6), 0x0806)),
         "drop:arp_malformed")
    case("ARP opcode 9", pad60(eth(arp(op=9), 0x0806)), "drop:arp_malformed")

    # IPv4 header.
    case("IPv4 header of 19 bytes", eth(ip4(tcp())[:19], 0x0800),
         "drop:ipv4_truncated")
    case("IPv4 version 6 under ethertype IPv4",
         pad60(eth(ip4(tcp(), version=6), 0x0800)), "drop:ipv4_bad_version")
    for ihl in range(5):
        case("IPv4 ihl %d" % ihl, pad60(eth(ip4(tcp(), ihl=ihl), 0x0800)),
             "drop:ipv4_bad_header_length")
    case("IPv4 ihl 15 past the data (24 bytes after L2)",
         eth(ip4(b"\0" * 4, ihl=15, tot_len=24), 0x0800),
         "drop:ipv4_truncated")
    case("IPv4 tot_len 19 (below ihl*4)",
         pad60(eth(ip4(tcp(), tot_len=19), 0x0800)),
         "drop:ipv4_bad_total_length")
    case("IPv4 tot_len 0", pad60(eth(ip4(tcp(), tot_len=0), 0x0800)),
         "drop:ipv4_bad_total_length")
    case("IPv4 tot_len past the frame",
         pad60(eth(ip4(tcp(), tot_len=200), 0x0800)),
         "drop:ipv4_bad_total_length")
    case("IPv4 tot_len 65535", pad60(eth(ip4(tcp(), tot_len=65535), 0x0800)),
         "drop:ipv4_bad_total_length")
    case("IPv4 bad header checksum",
         pad60(eth(ip4(tcp(), good_csum=False), 0x0800)),
         "drop:ipv4_bad_checksum")
    case("IPv4 options (4 NOPs), checksum over them",
         pad60(eth(ip4(tcp(), ihl=6, opts=b"\x01" * 4), 0x0800)), "fwd")
    case("IPv4 40 bytes of options (ihl 15)",
         eth(ip4(tcp(), ihl=15, opts=b"\x01" * 39 + b"\x00"), 0x0800),
         "fwd")
    case("IPv4 options, checksum without them",
         pad60(eth(ip4(tcp(), ihl=6, opts=b"\x07\x04\x00\x00")[:10] +
                   struct.pack("!H", csum(ip4(tcp())[:20])) +
                   ip4(tcp(), ihl=6, opts=b"\x07\x04\x00\x00")[12:],
                   0x0800)),
         "drop:ipv4_bad_checksum")
    case("IPv4 source 224.0.0.1", pad60(eth(ip4(tcp(), src=bytes(
        [224, 0, 0, 1])), 0x0800)), "drop:ipv4_bad_address")
    case("IPv4 source 255.255.255.255", pad60(eth(ip4(tcp(), src=bytes(
        [255] * 4)), 0x0800)), "drop:ipv4_bad_address")
    case("IPv4 first fragment (MF, offset 0)",
         pad60(eth(ip4(tcp(), frag=0x2000), 0x0800)), "drop:ip_fragment")
    case("IPv4 later fragment (offset 185)",
         pad60(eth(ip4(b"\0" * 20, frag=0x2000 | 185), 0x0800)),
         "drop:ip_fragment")
    case("IPv4 last fragment (no MF, offset 185)",
         pad60(eth(ip4(b"\0" * 20, frag=185), 0x0800)), "drop:ip_fragment")
    case("IPv4 with Ethernet padding past tot_len",
         eth(ip4(tcp()), 0x0800) + b"\xaa" * 40, "fwd")
    case("IPv4 protocol 47 (GRE) to the VIP",
         pad60(eth(ip4(b"\0" * 8, proto=47), 0x0800)), "punt")

    # TCP.
    for doff in range(5):
        case("TCP doff %d" % doff, pad60(eth(ip4(tcp(doff=doff)), 0x0800)),
             "drop:tcp_bad_data_offset")
    case("TCP doff 15 past the datagram",
         pad60(eth(ip4(tcp(doff=15)), 0x0800)), "drop:tcp_bad_data_offset")
    case("TCP header of 10 bytes", pad60(eth(ip4(tcp()[:10]), 0x0800)),
         "drop:tcp_truncated")
    case("TCP doff 6 with its option",
         pad60(eth(ip4(tcp(doff=6, opts=b"\x02\x04\x05\xb4")), 0x0800)),
         "fwd")

    # UDP.
    case("UDP header of 4 bytes", pad60(eth(ip4(udp()[:4], proto=17),
                                            0x0800)), "drop:udp_truncated")
    for n in (0, 7):
        case("UDP length %d" % n, pad60(eth(ip4(udp(length=n), proto=17),
                                            0x0800)), "drop:udp_bad_length")
    case("UDP length past the datagram",
         pad60(eth(ip4(udp(length=100), proto=17), 0x0800)),
         "drop:udp_bad_length")

    # ICMP (IPv4).
    quote_ok = ip4(tcp(sport=80, dport=40000, flags=0x12), src=VIP4,
                   dst=CLIENT4)[:28]
    case("ICMP echo request to the VIP",
         pad60(eth(ip4(icmp4(8, 0), proto=1), 0x0800)), "punt")
    case("ICMP header of 4 bytes",
         pad60(eth(ip4(icmp4(8, 0)[:4], proto=1), 0x0800)),
         "drop:icmp_truncated")
    case("ICMP error, quoted IPv4 header of 10 bytes",
         pad60(eth(ip4(icmp4(3, 4, body=quote_ok[:10]), proto=1), 0x0800)),
         "drop:icmp_bad_inner_packet")
    case("ICMP error, quoted TCP header of 4 bytes",
         pad60(eth(ip4(icmp4(3, 4, body=quote_ok[:24]), proto=1), 0x0800)),
         "drop:icmp_bad_inner_packet")
    case("ICMP error quoting ICMP",
         pad60(eth(ip4(icmp4(3, 4, body=ip4(icmp4(8, 0), proto=1, src=VIP4,
                                            dst=CLIENT4)[:28]), proto=1),
                   0x0800)), "drop:icmp_bad_inner_packet")
    case("ICMP error quoting a later fragment",
         pad60(eth(ip4(icmp4(11, 0, body=ip4(b"\0" * 8, src=VIP4,
                                             dst=CLIENT4,
                                             frag=100)[:28]), proto=1),
                   0x0800)), "drop:icmp_bad_inner_packet")
    case("ICMP error quoting IPv6 in IPv4",
         eth(ip4(icmp4(3, 4, body=ip6(tcp(), src=VIP6, dst=CLIENT6)[:48]),
                 proto=1), 0x0800), "drop:icmp_bad_inner_packet")
    # The first case made the flow 172.16.0.9:40000 -> VIP:80.
    case("ICMP error about an established flow",
         pad60(eth(ip4(icmp4(3, 4, body=quote_ok), proto=1), 0x0800)),
         "fwd")
    quote_new = ip4(tcp(sport=80, dport=41000, flags=0x12), src=VIP4,
                    dst=CLIENT4)[:28]
    case("ICMP error about a flow with no connection entry",
         pad60(eth(ip4(icmp4(3, 4, body=quote_new), proto=1), 0x0800)),
         "punt")

    # IPv6.
    case("IPv6 header of 39 bytes", eth(ip6(tcp())[:39], 0x86DD),
         "drop:ipv6_truncated")
    case("IPv6 version 4 under ethertype IPv6",
         eth(ip6(tcp(), version=4), 0x86DD), "drop:ipv6_bad_version")
    case("IPv6 payload length past the frame",
         eth(ip6(tcp(), plen=200), 0x86DD), "drop:ipv6_bad_payload_length")
    case("IPv6 payload length 65535", eth(ip6(tcp(), plen=65535), 0x86DD),
         "drop:ipv6_bad_payload_length")
    case("IPv6 payload length 10 (TCP cut by it)",
         eth(ip6(tcp(), plen=10), 0x86DD), "drop:tcp_truncated")
    case("IPv6 payload length 0 with TCP after it",
         eth(ip6(tcp(), plen=0), 0x86DD), "drop:tcp_truncated")
    case("IPv6 with padding past the payload",
         eth(ip6(tcp()), 0x86DD) + b"\xaa" * 16, "fwd")
    case("IPv6 hop-by-hop + destination options",
         eth(ip6(ext6(60) + ext6(6) + tcp(), nh=0), 0x86DD), "fwd")
    case("IPv6 four extension headers",
         eth(ip6(ext6(60) + ext6(43) + ext6(60, 1) + ext6(6) + tcp(), nh=0),
             0x86DD), "fwd")
    case("IPv6 hop-by-hop repeated (policy: counted, at most 4)",
         eth(ip6(ext6(0) + ext6(6) + tcp(), nh=0), 0x86DD), "fwd")
    case("IPv6 five extension headers",
         eth(ip6(ext6(60) + ext6(60) + ext6(60) + ext6(60) + ext6(6) + tcp(),
                 nh=0), 0x86DD), "drop:ipv6_ext_chain_too_long")
    case("IPv6 32 destination options headers",
         eth(ip6(b"".join(ext6(60) for _ in range(31)) + ext6(6) + tcp(),
                 nh=60), 0x86DD), "drop:ipv6_ext_chain_too_long")
    case("IPv6 extension header cut at 4 bytes",
         eth(ip6(ext6(6)[:4], nh=0), 0x86DD), "drop:ipv6_ext_truncated")
    case("IPv6 extension length past the payload",
         eth(ip6(ext6(6, 20)[:16] + tcp(), nh=60), 0x86DD),
         "drop:ipv6_ext_truncated")
    case("IPv6 first fragment", eth(ip6(struct.pack(
        "!BBHI", 6, 0, 1, 7) + tcp(), nh=44), 0x86DD), "drop:ip_fragment")
    case("IPv6 later fragment", eth(ip6(struct.pack(
        "!BBHI", 6, 0, 100 << 3, 7) + b"\0" * 16, nh=44), 0x86DD),
         "drop:ip_fragment")
    case("IPv6 fragment after hop-by-hop", eth(ip6(ext6(44) + struct.pack(
        "!BBHI", 6, 0, 1, 7) + tcp(), nh=0), 0x86DD), "drop:ip_fragment")
    case("IPv6 no next header (59)", eth(ip6(b"", nh=59), 0x86DD), "punt")
    case("IPv6 TCP doff 3", eth(ip6(tcp(doff=3)), 0x86DD),
         "drop:tcp_bad_data_offset")
    case("IPv6 TCP doff 15 past the payload", eth(ip6(tcp(doff=15)), 0x86DD),
         "drop:tcp_bad_data_offset")
    case("IPv6 UDP length 7", eth(ip6(udp(length=7), nh=17), 0x86DD),
         "drop:udp_bad_length")
    case("IPv6 UDP length past the payload",
         eth(ip6(udp(length=64), nh=17), 0x86DD), "drop:udp_bad_length")
    case("IPv6 UDP header of 6 bytes", eth(ip6(udp()[:6], nh=17), 0x86DD),
         "drop:udp_truncated")

    # ICMPv6.
    q6 = ip6(tcp(sport=80, dport=40000, flags=0x12), src=VIP6,
             dst=CLIENT6)[:48]
    case("ICMPv6 echo request to the VIP", eth(ip6(icmp6(128, 0), nh=58),
                                              0x86DD), "punt")
    case("ICMPv6 header of 4 bytes", eth(ip6(icmp6(128, 0)[:4], nh=58),
                                         0x86DD), "drop:icmp_truncated")
    case("ICMPv6 error, quoted IPv6 header of 20 bytes",
         eth(ip6(icmp6(1, 4, body=q6[:20]), nh=58), 0x86DD),
         "drop:icmp_bad_inner_packet")
    case("ICMPv6 error, quoted TCP of 4 bytes",
         eth(ip6(icmp6(2, 0, rest=struct.pack("!I", 1280), body=q6[:44]),
                 nh=58), 0x86DD), "drop:icmp_bad_inner_packet")
    case("ICMPv6 error quoting a truncated extension chain",
         eth(ip6(icmp6(1, 4, body=ip6(ext6(6, 4) + tcp(), nh=0, src=VIP6,
                                      dst=CLIENT6)[:56]), nh=58), 0x86DD),
         "drop:icmp_bad_inner_packet")
    case("ICMPv6 error about an established flow",
         eth(ip6(icmp6(1, 4, body=q6), nh=58), 0x86DD), "fwd")
    q6_new = ip6(tcp(sport=80, dport=41000, flags=0x12), src=VIP6,
                 dst=CLIENT6)[:48]
    case("ICMPv6 error about a flow with no connection entry",
         eth(ip6(icmp6(1, 4, body=q6_new), nh=58), 0x86DD), "punt")
    case("ICMPv6 neighbour solicitation with hop limit 64",
         eth(ip6(icmp6(135, 0, body=bytes(16)), nh=58, hlim=64), 0x86DD),
         "punt")

    # Multi-segment mbufs: only the first segment is parsed (the fast
    # path sets up no scattered RX, so a chain is never expected).
    case("two segments, cut inside Ethernet", pad60(syn4),
         "drop:eth_truncated", [10])
    case("two segments, cut inside the VLAN tag",
         pad60(eth(ip4(tcp()), 0x0800, [(0x8100, 5)])),
         "drop:vlan_truncated", [16])
    case("two segments, cut inside IPv4", pad60(syn4),
         "drop:ipv4_truncated", [24])
    case("two segments, cut inside TCP", pad60(syn4),
         "drop:ipv4_bad_total_length", [44])
    case("two segments, headers whole, payload in the second",
         eth(ip4(tcp(payload=b"p" * 64)), 0x0800),
         "drop:ipv4_bad_total_length", [54])
    case("two segments, cut inside IPv6", syn6, "drop:ipv6_truncated", [30])
    case("two segments, cut inside an IPv6 extension header",
         eth(ip6(ext6(6) + tcp(), nh=0), 0x86DD),
         "drop:ipv6_bad_payload_length", [58])
    case("three segments, cut inside Ethernet and IPv4", pad60(syn4),
         "drop:eth_truncated", [6, 20])
    case("three segments, empty first segment", pad60(syn4),
         "drop:eth_truncated", [0, 30])


def write_pcap(path):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (_, frame, _, _) in enumerate(CASES):
            f.write(struct.pack("<IIII", i, 0, len(frame), len(frame)))
            f.write(frame)


def write_tsv(path):
    with open(path, "w") as f:
        for name, _, expect, cuts in CASES:
            f.write("%s\t%s\t%s\n" % (name, expect, ",".join(
                str(c) for c in cuts) if cuts else "-"))


def write_raw(d):
    os.makedirs(d, exist_ok=True)
    for i, (_, frame, _, cuts) in enumerate(CASES):
        # fuzz_worker's input: a segmentation byte and two cut offsets.
        n = len(cuts) if cuts else 0
        c = (cuts or []) + [0, 0]
        head = bytes([n, min(c[0], 255), min(c[1], 255)])
        with open(os.path.join(d, "frame%03d" % i), "wb") as f:
            f.write(frame)
        with open(os.path.join(d, "worker%03d" % i), "wb") as f:
            f.write(head + frame)


def main(argv):
    build()
    if len(argv) == 3 and argv[1] == "--raw":
        write_raw(argv[2])
    elif len(argv) == 3:
        write_pcap(argv[1])
        write_tsv(argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
