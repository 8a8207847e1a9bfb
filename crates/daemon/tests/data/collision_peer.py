#!/usr/bin/env python3
"""A peer that makes a BGP connection collision happen on purpose.

collision_peer.py LOCAL RBGPD ID: listens on LOCAL:179 for rbgpd's own
connection (A) and answers its OPEN, then opens a second connection (B) to
RBGPD:179 and answers that OPEN too, both with BGP Identifier ID, AS 65002.
Prints one JSON line saying, per connection, whether rbgpd closed it with
Cease/7 ("cease7") or kept it ("kept").
"""
import json
import socket
import struct
import sys
import time


def msg(t, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), t) + body


def open_msg(bgp_id):
    caps = bytes([1, 4, 0, 1, 0, 1]) + bytes([65, 4]) + struct.pack("!I", 65002)
    opt = bytes([2, len(caps)]) + caps
    return msg(1, struct.pack("!BHH", 4, 65002, 30) + socket.inet_aton(bgp_id) + bytes([len(opt)]) + opt)


def read_until(s, want_type, secs):
    """Messages until one of want_type (or a NOTIFICATION) or the deadline."""
    s.settimeout(secs)
    buf = b""
    got = []
    end = time.time() + secs
    while time.time() < end:
        try:
            d = s.recv(4096)
        except (socket.timeout, OSError):
            break
        if not d:
            got.append(("closed", None))
            break
        buf += d
        while len(buf) >= 19:
            ln = struct.unpack("!H", buf[16:18])[0]
            if len(buf) < ln:
                break
            t, body = buf[18], buf[19:ln]
            buf = buf[ln:]
            got.append((t, body))
            if t in (want_type, 3):
                return got
    return got


def verdict(got):
    for t, body in got:
        if t == 3:
            return "cease7" if body[:2] == b"\x06\x07" else "notification %d/%d" % (body[0], body[1])
        if t == "closed":
            return "closed"
    return "kept"


def main():
    local, rbgpd, bgp_id = sys.argv[1], sys.argv[2], sys.argv[3]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((local, 179))
    srv.listen(1)
    srv.settimeout(30)
    a, _ = srv.accept()
    assert any(t == 1 for t, _ in read_until(a, 1, 10)), "no OPEN on A"
    b = socket.socket()
    b.bind((local, 0))
    b.connect((rbgpd, 179))
    assert any(t == 1 for t, _ in read_until(b, 1, 10)), "no OPEN on B"
    # OPENs only: both connections wait in OpenConfirm, none Established
    # (an Established session would win regardless of identifiers).
    a.sendall(open_msg(bgp_id))
    time.sleep(0.3)
    b.sendall(open_msg(bgp_id))
    ra = read_until(a, None, 3)
    rb = read_until(b, None, 3)
    print(json.dumps({"a": verdict(ra), "b": verdict(rb)}), flush=True)


main()
