#!/usr/bin/env python3
"""quick_reconnect.py SRC DST ROUNDS: a peer that brings its session up,
closes it and at once connects again, ROUNDS times, as a router does after
a restart. A connection rbgpd closes is counted as refused and tried again
after 0.2 s. A connection it takes but leaves without its OPEN and
KEEPALIVE for 3 s counts as stuck. Prints one JSON line: seconds from each
close to the next Established, connections refused and connections stuck."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bgp_test_peer import msg, open_msg, read_messages  # noqa: E402

src, dst, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])


def attempt():
    """An established socket, "refused" or "stuck"."""
    s = socket.socket()
    s.bind((src, 0))
    try:
        s.connect((dst, 179))
        s.sendall(open_msg(65002, src, hold=30))
    except OSError:
        s.close()
        return "refused"
    # rbgpd's OPEN, then its KEEPALIVE once it has ours (often in one
    # segment: read both in one go).
    got = read_messages(s, time.time() + 3, stop=(4,))
    types = [t for t, _ in got]
    if 1 not in types or 4 not in types:
        s.close()
        return "refused" if any(t in ("closed", 3) for t in types) else "stuck"
    s.sendall(msg(4, b""))
    return s


times, refused, stuck = [], 0, 0
closed_at = time.time()
for _ in range(rounds + 1):
    deadline = time.time() + 30
    while time.time() < deadline:
        r = attempt()
        if r == "refused":
            refused += 1
            time.sleep(0.2)
        elif r == "stuck":
            stuck += 1
        else:
            break
    else:
        break
    times.append(round(time.time() - closed_at, 2))
    r.shutdown(socket.SHUT_RDWR)
    r.close()
    closed_at = time.time()
# the first entry is the first session, not a reconnect
print(json.dumps({"reconnects": times[1:], "refused": refused, "stuck": stuck}), flush=True)
