#!/usr/bin/env python3
"""prefix_flood.py SRC DST N: establishes as AS 65002 and announces N /24s
(1,000 to an UPDATE) as fast as the socket takes them. Prints one JSON
line: the NOTIFICATION rbgpd sent ([code, subcode]) or null, and how many
prefixes went out before it."""
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bgp_test_peer import msg, open_msg, read_messages  # noqa: E402


def attr(flags, code, value):
    return struct.pack("!BBB", flags, code, len(value)) + value


src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket()
s.bind((src, 0))
s.connect((dst, 179))
s.sendall(open_msg(65002, src))
got = read_messages(s, time.time() + 5, stop=(1,))
assert any(t == 1 for t, _ in got), "no OPEN from rbgpd"
s.sendall(msg(4, b""))
attrs = (attr(0x40, 1, b"\x00") + attr(0x40, 2, b"\x02\x01" + struct.pack("!I", 65002))
         + attr(0x40, 3, socket.inet_aton(src)))
sent = 0
try:
    for b in range(0, n, 1000):
        nlri = b"".join(bytes([24, 20 + (i >> 16), (i >> 8) & 255, i & 255]) for i in range(b, min(n, b + 1000)))
        s.sendall(msg(2, struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + nlri))
        sent = min(n, b + 1000)
except OSError:
    pass
note = None
for t, body in read_messages(s, time.time() + 10):
    if t == 3:
        note = [body[0], body[1]]
print(json.dumps({"notification": note, "sent": sent}), flush=True)
