#!/usr/bin/env python3
"""dyn_limit.py DST SRC...: one TCP connection to DST:179 from each SRC,
all held open at once. rbgpd answers a connection its dynamic-neighbor
range takes with its OPEN and closes one past the range's limit. Prints
one JSON line: how many were answered with an OPEN, and how many closed
without a byte."""
import json
import socket
import sys
import time

dst, srcs = sys.argv[1], sys.argv[2:]
conns = []
for src in srcs:
    s = socket.socket()
    s.bind((src, 0))
    s.connect((dst, 179))
    s.settimeout(5)
    conns.append(s)
answered = closed = silent = 0
for s in conns:
    try:
        head = s.recv(19)
        if not head:
            closed += 1
        elif len(head) >= 19 and head[:16] == b"\xff" * 16 and head[18] == 1:
            answered += 1
        else:
            silent += 1
    except ConnectionResetError:
        closed += 1
    except socket.timeout:
        silent += 1
print(json.dumps({"answered": answered, "closed": closed, "silent": silent}), flush=True)
# Held until killed: the answered ones stay neighbors meanwhile.
time.sleep(60)
