#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Latency of a configuration change through etcd: put a document into
etcd (v3 JSON gateway), then poll each node's /v1/stats (Unix socket)
until source.applied_revision is the put's revision, which the slow path
sets only after the fast path acknowledged the change. The time is the
slowest node's. Prints p50/p90/p99/max. One process: no program start-up
in the figure.

  etcd_apply.py ETCD_URL PREFIX API_SOCKET[,API_SOCKET...] TEMPLATE_FILE [N]

TEMPLATE_FILE is a whole document with the text @BACKEND@ where one
backend address goes (each change moves it), or "@WEIGHT@" (quotes
included) where one backend's weight goes (each change sets 1..5).
tests/integration/test_etcd.sh runs this when EDGEPATH_ETCD_BENCH=N is
set; scripts/bench/etcd_nodes.sh on the two nodes of the lab.
"""
import base64, json, socket, sys, time, urllib.request


def put(url, key, value):
    body = json.dumps({"key": base64.b64encode(key.encode()).decode(),
                       "value": base64.b64encode(value.encode()).decode()})
    r = urllib.request.urlopen(url + "/v3/kv/put", body.encode(), timeout=5)
    return int(json.load(r)["header"]["revision"])


def applied(sock_path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sock_path)
    s.sendall(b"GET /v1/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    body = data.split(b"\r\n\r\n", 1)[1]
    return int(json.loads(body)["source"]["applied_revision"])


def document(text, i):
    doc = text.replace("@BACKEND@", "10.1.%d.%d" % (i // 250, 1 + i % 250))
    return doc.replace('"@WEIGHT@"', str(i % 5 + 1))


def main():
    url, prefix, socks, tmpl = sys.argv[1:5]
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 100
    if n < 1 or n > 100000:
        sys.exit("N: 1..100000")
    text = open(tmpl).read()
    lat = []
    for i in range(n):
        doc = document(text, i)
        t0 = time.monotonic()
        rev = put(url, prefix + "config", doc)
        deadline = t0 + 5
        for sock_path in socks.split(","):
            while applied(sock_path) < rev:
                if time.monotonic() > deadline:
                    sys.exit("revision %d not applied on %s within 5 s"
                             % (rev, sock_path))
                time.sleep(0.001)
        lat.append((time.monotonic() - t0) * 1000)
        time.sleep(0.1)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    print("etcd put -> applied (fast path acknowledged) on %d node(s), "
          "%d changes: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (len(socks.split(",")), n, q(0.5), q(0.9), q(0.99), lat[-1]))


if __name__ == "__main__":
    main()
