#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Raw HTTP/2 frames against test_http (test_http.sh): what curl and
nghttp will not send.

  h2_raw.py trickle PORT SECONDS   h2c on 127.0.0.1: a POST whose body
                                   comes one byte per 0.25 s
  h2_raw.py badpreface PORT        TLS (ALPN h2): HTTP/1.1 text instead
                                   of the connection preface
  h2_raw.py continuations PORT     TLS (ALPN h2): a header block in 20
                                   CONTINUATION frames

Prints "closed_after=S goaway=0|1 close_notify=0|1|-": when the server
closed the connection (seconds from the first request byte; -1 if it did
not within SECONDS or 10 s), whether a GOAWAY frame came before, and, over
TLS, whether the close was a TLS close_notify.
"""
import select
import socket
import ssl
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# HPACK static table: :method POST, :scheme http, :path /, :authority
POST_HEAD = b"\x83\x86\x84\x01\x09localhost"
GET_HEAD = b"\x82\x86\x84\x01\x09localhost"


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + \
        struct.pack(">BBI", ftype, flags, stream) + payload


class Reader:
    """Frames the server sends, until it closes."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""
        self.goaway = False
        self.closed = False
        self.close_notify = "-"

    def poll(self, timeout):
        if self.closed:
            return
        pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
        if not pending and not select.select([self.sock], [], [], timeout)[0]:
            return
        try:
            data = self.sock.recv(65536)
        except ssl.SSLWantReadError:
            return
        except (ssl.SSLEOFError, ConnectionResetError, BrokenPipeError):
            data, self.close_notify = None, "0"
        except ssl.SSLError:
            data, self.close_notify = None, "0"
        if not data:
            self.closed = True
            if data == b"" and isinstance(self.sock, ssl.SSLSocket):
                self.close_notify = "1"
            return
        self.buf += data
        while len(self.buf) >= 9:
            n = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + n:
                break
            if self.buf[3] == 7:
                self.goaway = True
            self.buf = self.buf[9 + n:]


def tls_connect(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    s = ctx.wrap_socket(raw, suppress_ragged_eofs=False)
    s.setblocking(False)
    return s


def wait_close(r, t0, limit):
    while not r.closed and time.monotonic() - t0 < limit:
        r.poll(0.05)


def report(r, t0):
    took = time.monotonic() - t0 if r.closed else -1
    print("closed_after=%.1f goaway=%d close_notify=%s" %
          (took, r.goaway, r.close_notify))


def trickle(port, seconds):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    r = Reader(s)
    t0 = time.monotonic()
    s.sendall(PREFACE + frame(4, 0, 0) + frame(1, 4, 1, POST_HEAD))
    while not r.closed and time.monotonic() - t0 < seconds:
        try:
            s.sendall(frame(0, 0, 1, b"x"))
        except OSError:
            break
        end = time.monotonic() + 0.25
        while not r.closed and time.monotonic() < end:
            r.poll(0.05)
    wait_close(r, t0, 0)
    report(r, t0)
    s.close()


def tls_case(port, data):
    s = tls_connect(port)
    r = Reader(s)
    t0 = time.monotonic()
    while True:
        try:
            s.sendall(data)
            break
        except ssl.SSLWantWriteError:
            time.sleep(0.01)
        except ssl.SSLWantReadError:
            time.sleep(0.01)
    wait_close(r, t0, 10)
    report(r, t0)
    s.close()


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "trickle":
        trickle(port, float(sys.argv[3]))
    elif mode == "badpreface":
        tls_case(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"x" * 16)
    elif mode == "continuations":
        head = [frame(1, 0, 1, GET_HEAD)]
        head += [frame(9, 0, 1, b"\x40\x01a\x01b") for _ in range(20)]
        tls_case(port, PREFACE + frame(4, 0, 0) + b"".join(head))
    else:
        sys.exit("usage: see the comment at the top")


if __name__ == "__main__":
    main()
