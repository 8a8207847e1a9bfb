#!/usr/bin/env python3
"""A peer that makes a BGP connection collision happen on purpose.

collision_peer.py LOCAL RBGPD ID: listens on LOCAL:179 for rbgpd's own
connection (A) and answers its OPEN, then opens a second connection (B) to
RBGPD:179 and answers that OPEN too, both with BGP Identifier ID, AS 65002.
Prints one JSON line saying, per connection, whether rbgpd closed it with
Cease/7 ("cease7") or kept it ("kept").
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bgp_test_peer import open_msg, read_messages  # noqa: E402


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
    assert any(t == 1 for t, _ in read_messages(a, time.time() + 10, stop=(1, 3))), "no OPEN on A"
    b = socket.socket()
    b.bind((local, 0))
    b.connect((rbgpd, 179))
    assert any(t == 1 for t, _ in read_messages(b, time.time() + 10, stop=(1, 3))), "no OPEN on B"
    # OPENs only: both connections wait in OpenConfirm, none Established
    # (an Established session would win regardless of identifiers).
    a.sendall(open_msg(65002, bgp_id))
    time.sleep(0.3)
    b.sendall(open_msg(65002, bgp_id))
    ra = read_messages(a, time.time() + 3, stop=(3,))
    rb = read_messages(b, time.time() + 3, stop=(3,))
    print(json.dumps({"a": verdict(ra), "b": verdict(rb)}), flush=True)


main()
