#!/usr/bin/env python3
"""keepalive_edge.py SRC DST GAP ROUNDS: a peer that offers a hold time of
3 s and then sends only KEEPALIVEs, GAP seconds apart, ROUNDS times. Prints
one JSON line: the NOTIFICATION rbgpd sent ([code, subcode]) or null, and
whether the session was still open at the end."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bgp_test_peer import msg, open_msg, read_messages  # noqa: E402

src, dst, gap, rounds = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
s = socket.socket()
s.bind((src, 0))
s.connect((dst, 179))
s.sendall(open_msg(65002, src, hold=3))
got = read_messages(s, time.time() + 5, stop=(1,))
assert any(t == 1 for t, _ in got), "no OPEN from rbgpd"
s.sendall(msg(4, b""))
note, closed = None, False
for _ in range(rounds):
    got = read_messages(s, time.time() + gap)
    for t, body in got:
        if t == 3:
            note = [body[0], body[1]]
        if t == "closed":
            closed = True
    if note or closed:
        break
    try:
        s.sendall(msg(4, b""))
    except OSError:
        closed = True
        break
print(json.dumps({"notification": note, "open": note is None and not closed}), flush=True)
