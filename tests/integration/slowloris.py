#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Slowloris against a TLS listener on 127.0.0.1 (test_h2_abuse_slowpath.sh).

  slowloris.py PORT HANDSHAKES HEADERS SECONDS

Opens HANDSHAKES connections that send the first 11 bytes of a TLS
ClientHello and then nothing (slowloris during the handshake), and
HEADERS connections that complete TLS (ALPN http/1.1) and send a request
head one header line per second, never ending it (slowloris during the
headers); 16 of them per source address 127.0.0.2, 127.0.0.3, ... Holds
them for SECONDS, then prints one line per kind:

  KIND opened=N closed_by_server=K last_close_s=S

(S: seconds from the start to the last close the server made, -1 if
none). Loopback only; every socket is closed at exit.
"""
import select
import socket
import ssl
import sys
import time

PER_ADDR = 16
HELLO_START = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"


def source(i):
    return "127.0.0.%d" % (2 + i // PER_ADDR)


def tcp(port, i):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((source(i), 0))
    s.connect(("127.0.0.1", port))
    return s


def open_handshake(port, i):
    s = tcp(port, i)
    s.sendall(HELLO_START)
    return s


def open_headers(port, i, ctx):
    s = ctx.wrap_socket(tcp(port, i), server_hostname="localhost")
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
    return s


class Kind:
    def __init__(self, name):
        self.name = name
        self.live = []
        self.opened = 0
        self.closed = 0
        self.last_close = -1.0

    def report(self):
        print("%s opened=%d closed_by_server=%d last_close_s=%.1f"
              % (self.name, self.opened, self.closed, self.last_close))


def open_all(kind, n, first, opener):
    for i in range(first, first + n):
        try:
            kind.live.append(opener(i))
            kind.opened += 1
        except (OSError, ssl.SSLError):
            pass  # refused or evicted while opening: not one of ours


def server_closed(s):
    """True when the server closed s (EOF, reset, TLS alert)."""
    try:
        s.setblocking(False)
        return s.recv(4096) == b""
    except (ssl.SSLWantReadError, BlockingIOError):
        return False
    except (OSError, ssl.SSLError):
        return True


def hold(kinds, seconds, t0):
    next_line = time.monotonic() + 1
    while time.monotonic() - t0 < seconds:
        socks = [s for k in kinds for s in k.live]
        if not socks:
            break
        r, _, _ = select.select(socks, [], [], 0.2)
        for k in kinds:
            for s in [s for s in k.live if s in r]:
                if server_closed(s):
                    k.live.remove(s)
                    k.closed += 1
                    k.last_close = time.monotonic() - t0
                    s.close()
        if time.monotonic() >= next_line:
            next_line += 1
            for s in kinds[1].live:
                try:
                    s.setblocking(True)
                    s.settimeout(0.5)
                    s.sendall(b"X-Slow: 1\r\n")
                except (OSError, ssl.SSLError):
                    pass  # the read side sees the close


def main():
    port, n_hs, n_hd, seconds = (int(a) for a in sys.argv[1:5])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    hs, hd = Kind("handshake"), Kind("headers")
    t0 = time.monotonic()
    try:
        open_all(hs, n_hs, 0, lambda i: open_handshake(port, i))
        open_all(hd, n_hd, n_hs + PER_ADDR,
                 lambda i: open_headers(port, i, ctx))
        hold([hs, hd], seconds, t0)
    finally:
        for k in (hs, hd):
            for s in k.live:
                s.close()
    hs.report()
    hd.report()


if __name__ == "__main__":
    main()
