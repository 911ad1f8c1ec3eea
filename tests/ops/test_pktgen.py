# SPDX-License-Identifier: BSD-3-Clause
"""scripts/pktgen/ without pktgen: every command of the .pkt files is one
of pktgen-dpdk 23.03.0's command forms (app/cli-functions.c of that tag);
the range fields of tcp-flows.pkt, stepped as pktgen steps them
(app/pktgen-range.c: add inc, wrap to min past max), make exactly the
number of distinct flows the file claims, as does every row of its table;
syn-new.pkt's ranges are co-prime; imix-pcap.py writes a valid pcap with
the 7:4:1 mix (or one size), correct checksums and every flow. (pktgen
23.03.0 itself sends at most 24576 distinct flows in range mode, since it
fills its range pool's buffers once: docs/benchmarking.md. This test
checks the files, not pktgen.)

    python3 tests/ops/test_pktgen.py
"""
import ipaddress
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PKTGEN = os.path.normpath(os.path.join(HERE, "../../scripts/pktgen"))

PORT = r"(\d+|all)"
FIELD = r"(start|min|max|inc)"
IP4 = r"\d+\.\d+\.\d+\.\d+"
FORMS = [
    rf"stop {PORT}",
    rf"(enable|disable) {PORT} (range|pcap)",
    rf"set {PORT} (rate|count|burst|size) \d+",
    rf"range {PORT} (dst|src) mac start [0-9a-f]{{2}}(:[0-9a-f]{{2}}){{5}}",
    rf"range {PORT} (dst|src) ip {FIELD} {IP4}",
    rf"range {PORT} proto (tcp|udp)",
    rf"range {PORT} tcp flag (set|clr) (urg|ack|psh|rst|syn|fin|all)",
    rf"range {PORT} (dst|src) port {FIELD} \d+",
    rf"range {PORT} (ttl|size) {FIELD} \d+",
    r"page (main|range|pcap)",
]


def commands(name):
    with open(os.path.join(PKTGEN, name)) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def ranges(name):
    """{("src", "ip"): {"start": v, ...}, ...} with addresses as integers."""
    out = {}
    for c in commands(name):
        m = re.fullmatch(rf"range 0 (dst|src) (ip|port) {FIELD} (\S+)", c)
        if m:
            v = m.group(4)
            v = int(ipaddress.IPv4Address(v)) if m.group(2) == "ip" else int(v)
            out.setdefault((m.group(1), m.group(2)), {})[m.group(3)] = v
    return out


def step(value, r):
    """pktgen_range_ctor for one field (app/pktgen-range.c, 23.03.0)."""
    if r["inc"] == 0:
        return r["start"]
    value += r["inc"]
    if value < r["min"]:
        return r["max"]
    if value > r["max"]:
        return r["min"]
    return value


class PktgenFilesTest(unittest.TestCase):
    def test_commands_are_pktgen_23_03_forms(self):
        for name in ("tcp-flows.pkt", "syn-new.pkt", "imix.pkt"):
            for c in commands(name):
                self.assertTrue(any(re.fullmatch(f, c) for f in FORMS),
                                f"{name}: '{c}' is not a pktgen 23.03.0 command form")

    def test_tcp_flows_makes_a_million_flows(self):
        r = ranges("tcp-flows.pkt")
        sip, sport = r[("src", "ip")], r[("src", "port")]
        a = sip["max"] - sip["min"] + 1
        b = sport["max"] - sport["min"] + 1
        self.assertEqual(a * b, 1000000)
        self.assertEqual(math.gcd(a, b), 1)
        # Step both fields as pktgen does, packet after packet.
        ip, port, seen = sip["start"], sport["start"], set()
        first = None
        for i in range(a * b):
            ip, port = step(ip, sip), step(port, sport)
            if i == 0:
                first = (ip, port)
            seen.add((ip, port))
        self.assertEqual(len(seen), 1000000)
        self.assertEqual((step(ip, sip), step(port, sport)), first)  # then it repeats
        for key in (("dst", "ip"), ("dst", "port")):
            self.assertEqual(r[key]["inc"], 0, key)
        self.assertIn("range 0 tcp flag set ack", commands("tcp-flows.pkt"))
        self.assertIn("range 0 size start 64", commands("tcp-flows.pkt"))

    def test_tcp_flows_table_rows(self):
        with open(os.path.join(PKTGEN, "tcp-flows.pkt")) as f:
            rows = re.findall(r"^#\s+(\d+)\s+(\S+) \[(\d+)\]\s+(\d+) \[(\d+)\]", f.read(), re.M)
        self.assertEqual([int(r[0]) for r in rows], [1, 1000, 65535, 1000000])
        r = ranges("tcp-flows.pkt")
        ip_min, port_min = r[("src", "ip")]["min"], r[("src", "port")]["min"]
        for flows, ip_max, a, port_max, b in rows:
            flows, a, b = int(flows), int(a), int(b)
            self.assertEqual(int(ipaddress.IPv4Address(ip_max)) - ip_min + 1, a, ip_max)
            self.assertEqual(int(port_max) - port_min + 1, b, port_max)
            self.assertEqual(math.gcd(a, b), 1, (a, b))
            self.assertEqual(a * b, flows)

    def test_syn_ranges_are_coprime(self):
        r = ranges("syn-new.pkt")
        a = r[("src", "ip")]["max"] - r[("src", "ip")]["min"] + 1
        b = r[("src", "port")]["max"] - r[("src", "port")]["min"] + 1
        self.assertEqual((a, b), (65521, 64000))
        self.assertEqual(math.gcd(a, b), 1)
        self.assertLessEqual(r[("src", "port")]["max"], 65535)
        self.assertIn("range 0 tcp flag set syn", commands("syn-new.pkt"))

    def test_imix_pcap(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "imix.pcap")
            r = subprocess.run([sys.executable, os.path.join(PKTGEN, "imix-pcap.py"),
                                "--flows", "1000", "--dst-mac", "02:00:00:00:ee:01",
                                "--src-mac", "02:00:00:00:ee:02", "-o", out],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out, "rb") as f:
                data = f.read()
        magic, major, minor, _, _, snap, link = struct.unpack("<IHHiIII", data[:24])
        self.assertEqual((magic, major, minor, link), (0xA1B2C3D4, 2, 4, 1))
        sizes, flows, off = {}, set(), 24

        def folded(b):
            if len(b) % 2:
                b += b"\0"
            s = sum(struct.unpack(f"!{len(b) // 2}H", b))
            while s >> 16:
                s = (s & 0xFFFF) + (s >> 16)
            return s
        while off < len(data):
            _, _, incl, orig = struct.unpack("<IIII", data[off:off + 16])
            f = data[off + 16:off + 16 + incl]
            off += 16 + incl
            self.assertEqual(incl, orig)
            sizes[incl + 4] = sizes.get(incl + 4, 0) + 1
            self.assertEqual(f[:6], bytes.fromhex("02000000ee01"))
            self.assertEqual(f[12:14], b"\x08\x00")
            ip = f[14:34]
            self.assertEqual(folded(ip), 0xFFFF, "IPv4 header checksum")
            total = struct.unpack("!H", ip[2:4])[0]
            tcp = f[34:14 + total]
            pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
            self.assertEqual(folded(pseudo + tcp), 0xFFFF, "TCP checksum")
            self.assertEqual(ip[16:20], ipaddress.IPv4Address("198.18.0.1").packed)
            self.assertEqual(tcp[13], 0x10)  # ACK
            flows.add((ip[12:16], tcp[0:2]))
        self.assertEqual(sizes, {64: 588, 594: 336, 1518: 84})  # 1008 frames, 7:4:1
        self.assertEqual(len(flows), 1000)

    def test_one_size_pcap(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "flows.pcap")
            r = subprocess.run([sys.executable, os.path.join(PKTGEN, "imix-pcap.py"),
                                "--flows", "65535", "--size", "64", "--dst-mac",
                                "02:00:00:00:ee:01", "--src-mac", "02:00:00:00:ee:02",
                                "-o", out], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out, "rb") as f:
                data = f.read()
        # one 60-byte frame (64 with FCS) per flow after the 24-byte header
        self.assertEqual(len(data), 24 + 65535 * (16 + 60))
        srcs = {data[24 + i * 76 + 16 + 26:24 + i * 76 + 16 + 36] for i in range(65535)}
        self.assertEqual(len(srcs), 65535)  # (address, port) pairs all distinct

    def test_imix_pcap_refuses_bad_input(self):
        for args, word in ((["--flows", "0"], "--flows"),
                           (["--flows", "10", "--vip", "1.2.3.4:0"], "port 0"),
                           (["--flows", "10", "--dst-mac", "zz"], "--dst-mac"),
                           (["--flows", "10", "--size", "63"], "--size")):
            base = ["--dst-mac", "02:00:00:00:ee:01", "--src-mac", "02:00:00:00:ee:02",
                    "-o", os.devnull]
            r = subprocess.run([sys.executable, os.path.join(PKTGEN, "imix-pcap.py"),
                                *base, *args], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(word, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
