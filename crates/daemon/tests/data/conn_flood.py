#!/usr/bin/env python3
"""conn_flood.py SRC DST N ASN: N TCP connections from SRC to DST:179 as
fast as they go, each sending an OPEN as AS ASN and closing at once.
Prints one JSON line: connections made, refused, seconds taken."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bgp_test_peer import open_msg  # noqa: E402

src, dst, n, asn = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
made = refused = 0
t = time.time()
for _ in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    try:
        s.bind((src, 0))
        s.connect((dst, 179))
        s.sendall(open_msg(asn, src))
        made += 1
    except OSError:
        refused += 1
    finally:
        s.close()
print(json.dumps({"made": made, "refused": refused, "secs": round(time.time() - t, 2)}))
