#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Idle TCP connections against one port, as an unauthenticated client
that only opens sockets would make them (test_http.sh, the lockout test).

  conn_flood.py HOST PORT CONNS PER_ADDR RATE SECONDS STATUS_FILE

Holds CONNS connections to HOST:PORT that never send a byte, bound to
source addresses 127.0.0.2, 127.0.0.3, ... (PER_ADDR on each), for
SECONDS; a connection the server closes is opened again, at most RATE
per second. STATUS_FILE gets "open=N opened=M closed_by_server=K" about
every 0.2 s and at the end. Loopback only; every socket is closed at
exit.
"""
import select
import socket
import sys
import time


def source(i, per_addr):
    return "127.0.0.%d" % (2 + i // per_addr)


def connect(host, port, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.bind((src, 0))
        s.connect((host, port))
    except OSError:
        s.close()
        return None
    s.setblocking(False)
    return s


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    conns, per_addr = int(sys.argv[3]), int(sys.argv[4])
    rate, seconds, status = float(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
    assert host.startswith("127.") and 2 + conns // per_addr < 255
    socks = [connect(host, port, source(i, per_addr)) for i in range(conns)]
    opened, closed = sum(s is not None for s in socks), 0
    end = time.monotonic() + seconds
    budget, last, shown = 0.0, time.monotonic(), 0.0
    while time.monotonic() < end:
        live = [s for s in socks if s is not None]
        ready = select.select(live, [], [], 0.05)[0] if live else []
        for s in ready:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                socks[socks.index(s)] = None
                s.close()
                closed += 1
        now = time.monotonic()
        budget = min(rate, budget + (now - last) * rate)
        last = now
        for i, s in enumerate(socks):
            if s is None and budget >= 1:
                budget -= 1
                socks[i] = connect(host, port, source(i, per_addr))
                opened += socks[i] is not None
        if now - shown > 0.2:
            shown = now
            write_status(status, socks, opened, closed)
    write_status(status, socks, opened, closed)
    for s in socks:
        if s is not None:
            s.close()


def write_status(path, socks, opened, closed):
    with open(path + ".tmp", "w") as f:
        f.write("open=%d opened=%d closed_by_server=%d\n" %
                (sum(s is not None for s in socks), opened, closed))
    import os
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
