#!/usr/bin/env python3
"""An MRT TABLE_DUMP_V2 RIB (RFC 6396) of N IPv4 /24s for `gobgp mrt inject
global`: the routes api_bench.rs injects into rbgpd, in GoBGP's bulk form.
usage: gen_mrt_rib.py OUT N FIRST_OCTET NEXT_HOP PEER_AS PAD SETS
Prefix i is FIRST_OCTET+i/65536 . i/256%256 . i%256 .0/24, with ORIGIN IGP,
AS_PATH [PEER_AS], NEXT_HOP and one community PEER_AS:i%SETS (SETS
attribute sets, as in the rbgpd run). The first PAD records are written
again at the end: gobgp 3.10's `mrt inject` exits before its stream is
drained and loses the last few hundred records, which then are only
duplicates."""
import socket
import struct
import sys
import time

out, n, first, nh, peer_as, pad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
sets = int(sys.argv[7])
now = int(time.time())
nh_b = socket.inet_aton(nh)


def mrt(subtype, body):
    return struct.pack("!IHHI", now, 13, subtype, len(body)) + body


def attr(flags, code, data):
    return struct.pack("!BBB", flags, code, len(data)) + data


def record(seq, i):
    p = bytes([first + i // 65536, i // 256 % 256, i % 256])
    a = attr(0x40, 1, b"\x00")
    a += attr(0x40, 2, struct.pack("!BBI", 2, 1, peer_as))
    a += attr(0x40, 3, nh_b)
    a += attr(0xC0, 8, struct.pack("!HH", peer_as & 0xFFFF, i % sets))
    entry = struct.pack("!HIH", 0, now, len(a)) + a
    return mrt(2, struct.pack("!IB", seq, 24) + p + struct.pack("!H", 1) + entry)


with open(out, "wb") as f:
    body = struct.pack("!4sHH", nh_b, 0, 1) + struct.pack("!B4s4sI", 0x02, nh_b, nh_b, peer_as)
    f.write(mrt(1, body))
    for i in range(n):
        f.write(record(i, i))
    for i in range(pad):
        f.write(record(n + i, i))
