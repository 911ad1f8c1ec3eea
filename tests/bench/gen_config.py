#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write an edgepath configuration document for the control-API benchmark
(scripts/bench-api.sh): SERVICES services of BACKENDS backends each.

Service i is "svc<i>", VIP 10.1.(i / 250).(i % 250 + 1) port 80/tcp, DSR,
Maglev (the defaults); its backends are 172.16.0.0/12 addresses, distinct
across the whole document, port 0. The document is compact JSON (1000 x 10
is about 0.35 MB; the API takes at most 1 MiB).

  gen_config.py --services 1000 --backends 10 [--table-size 65537]
                [--rebuild minimal|fresh] [--weight SVC:BE:W]
                [--api-port P --cert F --key F [--unix PATH]] > config.json
"""
import argparse
import json
import sys


def backend_addr(n):
    # n = global backend index; last octet 1..250 (no .0, no .255)
    return "172.%d.%d.%d" % (16 + n // 64000, n // 250 % 256, n % 250 + 1)


def vip_addr(i):
    return "10.1.%d.%d" % (i // 250, i % 250 + 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--backends", type=int, default=10)
    p.add_argument("--table-size", type=int, default=None,
                   help="maglev_table_size of every service (default: "
                        "leave out, i.e. 65537)")
    p.add_argument("--rebuild", choices=("minimal", "fresh"), default=None,
                   help="node.maglev_rebuild (default: leave out = minimal)")
    p.add_argument("--weight", action="append", default=[],
                   metavar="SVC:BE:W",
                   help="give backend BE of service SVC weight W")
    p.add_argument("--api-port", type=int)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--unix")
    a = p.parse_args()
    if not 0 <= a.services <= 2048 or not 0 <= a.backends:
        p.error("--services 0..2048, --backends >= 0")
    if a.services * a.backends > 32768:
        p.error("at most 32768 backends in all")
    if a.services > 65536:
        p.error("VIPs run out")

    weights = {}
    for w in a.weight:
        s, b, v = (int(x) for x in w.split(":"))
        weights[(s, b)] = v

    doc = {}
    if a.rebuild:
        doc["node"] = {"maglev_rebuild": a.rebuild}
    services = []
    for i in range(a.services):
        bes = []
        for j in range(a.backends):
            be = {"address": backend_addr(i * a.backends + j)}
            if (i, j) in weights:
                be["weight"] = weights[(i, j)]
            bes.append(be)
        svc = {"name": "svc%d" % i,
               "vip": vip_addr(i),
               "port": 80, "protocol": "tcp"}
        if a.table_size:
            svc["maglev_table_size"] = a.table_size
        svc["backends"] = bes
        services.append(svc)
    doc["services"] = services
    if a.api_port:
        listeners = [{"address": "127.0.0.1", "port": a.api_port,
                      "tls": True}]
        if a.unix:
            listeners.append({"unix": a.unix})
        doc["api"] = {"listeners": listeners,
                      "tls": {"certificate": a.cert, "private_key": a.key}}
    json.dump(doc, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
