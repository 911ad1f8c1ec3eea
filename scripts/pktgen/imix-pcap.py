#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""imix-pcap.py: a pcap of TCP ACK frames from N flows for pktgen-dpdk (-s P:FILE).

The simple IMIX, 7:4:1 of 64, 594 and 1518-byte frames (sizes with the
4-byte FCS, which the pcap leaves out), as TCP ACKs to one VIP from
--flows distinct flows (flow f: source address --src-net + f // 60000,
source port 1024 + f % 60000). The file holds the flows rounded up to a
multiple of 12 frames: every flow appears and the mix is exact.

--size BYTES instead writes every frame at that size (with FCS), one
frame per flow: the way to send more distinct flows than pktgen's range
mode can (it builds each buffer of its range pool once, at start, so it
sends at most that many distinct flows; docs/benchmarking.md).

usage: imix-pcap.py --flows N --dst-mac MAC --src-mac MAC [--size BYTES]
                    [--vip A.B.C.D:PORT] [--src-net A.B.C.D] -o FILE
"""
import argparse
import ipaddress
import struct
import sys

# 7:4:1 of 64, 594 and 1518-byte frames (with FCS), interleaved
ORDER = [64, 594, 64, 594, 64, 1518, 64, 594, 64, 594, 64, 64]
FCS = 4
PORTS = 60000  # source ports per source address


def mac(text):
    parts = text.split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        raise argparse.ArgumentTypeError(f"'{text}' is not a MAC address aa:bb:cc:dd:ee:ff")
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a MAC address") from None


def vip(text):
    addr, _, port = text.rpartition(":")
    try:
        a = ipaddress.IPv4Address(addr)
        p = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not IPv4:PORT") from None
    if not 1 <= p <= 65535:
        raise argparse.ArgumentTypeError(f"port {p} is not 1..65535")
    return a, p


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(dst_mac, src_mac, src, dst, sport, dport, size):
    payload = size - FCS - 14 - 20 - 20
    payload = max(payload, 0)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 1, 5 << 4, 0x10, 65535, 0, 0)
    pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 6, 20 + payload)
    body = b"\0" * payload
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp + body)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 20 + payload, 0, 0x4000, 64, 6, 0,
                     src.packed, dst.packed)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    f = dst_mac + src_mac + b"\x08\x00" + ip + tcp + body
    return f + b"\0" * max(0, 60 - len(f))  # Ethernet minimum without FCS


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flows", type=int, required=True)
    ap.add_argument("--dst-mac", type=mac, required=True, help="edgepath's NIC")
    ap.add_argument("--src-mac", type=mac, required=True, help="pktgen's port")
    ap.add_argument("--vip", type=vip, default=vip("198.18.0.1:80"))
    ap.add_argument("--src-net", type=ipaddress.IPv4Address,
                    default=ipaddress.IPv4Address("198.19.0.0"))
    ap.add_argument("--size", type=int, help="one frame size (with FCS), not IMIX")
    ap.add_argument("--max-frames", type=int, default=1 << 21)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(argv)
    if not 1 <= a.flows <= 1 << 24:
        ap.error(f"--flows: {a.flows} is not 1..16777216")
    if a.size is not None and not 64 <= a.size <= 1518:
        ap.error(f"--size: {a.size} is not 64..1518")
    order = [a.size] if a.size else ORDER
    frames = -(-a.flows // len(order)) * len(order)
    if frames > a.max_frames:
        ap.error(f"{frames} frames are needed for {a.flows} flows (more than --max-frames "
                 f"{a.max_frames}): IMIX with that many flows takes too much of pktgen's memory")
    dst, dport = a.vip
    with open(a.output, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(frames):
            flow = i % a.flows
            src = a.src_net + flow // PORTS
            sport = 1024 + flow % PORTS
            f = frame(a.dst_mac, a.src_mac, src, dst, sport, dport, order[i % len(order)])
            out.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(f), len(f)))
            out.write(f)
    mean = sum(order) / len(order)
    print(f"imix-pcap: {frames} frames, {a.flows} flows, mean frame {mean:.1f} bytes "
          f"with FCS -> {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
