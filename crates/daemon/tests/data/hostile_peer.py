#!/usr/bin/env python3
"""A hostile BGP peer for rbgpd's RFC 7606 test.

hostile_peer.py SRC DST SCENARIO INDEX: connects from SRC to DST:179 as
AS 65002, establishes, announces 100.70.INDEX.0/24 correctly, then sends
the scenario's malformed message for that prefix, then a correct UPDATE
for the canary 100.71.INDEX.0/24, and prints one JSON line: the
NOTIFICATION rbgpd sent (code, subcode, data hex) or null, and whether the
session was still open; then it keeps the session up until killed.
"""
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bgp_test_peer import msg, open_msg, read_messages  # noqa: E402

AS = 65002


def attr(flags, code, value):
    if len(value) > 255:
        return struct.pack("!BBH", flags | 0x10, code, len(value)) + value
    return struct.pack("!BBB", flags, code, len(value)) + value


def nlri(i, base):
    return bytes([24, 100, base, i])


def update(attrs, nlris=b"", withdrawn=b""):
    return msg(2, struct.pack("!H", len(withdrawn)) + withdrawn
               + struct.pack("!H", len(attrs)) + attrs + nlris)


def good_attrs(src):
    return (attr(0x40, 1, b"\x00")
            + attr(0x40, 2, b"\x02\x01" + struct.pack("!I", AS))
            + attr(0x40, 3, socket.inet_aton(src)))


def scenario(name, src, i):
    p = nlri(i, 70)
    base = attr(0x40, 2, b"\x02\x01" + struct.pack("!I", AS)) + attr(0x40, 3, socket.inet_aton(src))
    origin = attr(0x40, 1, b"\x00")
    if name == "none":  # nothing malformed: the first UPDATE must stand
        return b""
    if name == "bad_origin":  # RFC 7606 §7.1: treat-as-withdraw
        return update(attr(0x40, 1, b"\x05") + base, p)
    if name == "bad_med_length":  # §7.4: treat-as-withdraw
        return update(origin + base + attr(0x80, 4, b"\x00\x00\x01"), p)
    if name == "missing_as_path":  # §3.d: treat-as-withdraw
        return update(origin + attr(0x40, 3, socket.inet_aton(src)), p)
    if name == "bad_next_hop_length":  # §7.3: treat-as-withdraw
        return update(origin + attr(0x40, 2, b"\x02\x01" + struct.pack("!I", AS)) + attr(0x40, 3, b"\x0a\x58"), p)
    if name == "bad_atomic_aggregate":  # §7.6: attribute discard
        return update(origin + base + attr(0x40, 6, b"\x01"), p)
    if name == "bad_aggregator_length":  # §7.7: attribute discard
        return update(origin + base + attr(0xc0, 7, b"\x00\x01\x02"), p)
    if name == "bad_nlri":  # §5.3: prefix length 33, session reset 3/10
        return update(good_attrs(src), bytes([33, 100, 70, i, 0, 0]))
    if name == "attribute_overrun":  # RFC 7606 §4: treat-as-withdraw
        return update(origin + struct.pack("!BBB", 0x40, 2, 200) + b"\x02\x01", p)
    if name == "bad_marker":  # RFC 4271 §6.1: 1/1
        m = bytearray(update(good_attrs(src), p))
        m[3] = 0
        return bytes(m)
    if name == "bad_length":  # header length below 19: 1/2
        return b"\xff" * 16 + struct.pack("!HB", 18, 2)
    if name == "bad_type":  # unknown message type: 1/3
        return msg(9, b"")
    if name == "garbage":
        return bytes(range(7, 90))
    if name == "bad_communities_length":  # §7.8: treat-as-withdraw
        return update(origin + base + attr(0xc0, 8, b"\x00\x01\x02"), p)
    if name == "bad_large_communities_length":  # RFC 8092 §6: treat-as-withdraw
        return update(origin + base + attr(0xc0, 32, bytes(10)), p)
    if name == "duplicate_origin":  # §3.g: all but the first discarded
        return update(origin + attr(0x40, 1, b"\x02") + base, p)
    if name == "bad_mp_reach_nlri":  # RFC 7606 §7.11 / RFC 4760 §7: AFI/SAFI disable
        mp = struct.pack("!HBB", 1, 1, 4) + socket.inet_aton(src) + b"\x00" + bytes([33, 100, 72, i, 0, 0])
        return update(origin + attr(0x40, 2, b"\x02\x01" + struct.pack("!I", AS)) + attr(0x80, 14, mp))
    # Resource attacks: well-formed, as big as a message may be.
    if name == "tiny_attributes":  # ~1,300 empty unknown optional transitive attributes
        junk = b"".join(attr(0xc0, 201 + k % 40, b"") for k in range(1300))
        return update(origin + base + junk, p)
    if name == "long_as_path":  # 600 segments of one AS each
        segs = b"".join(b"\x02\x01" + struct.pack("!I", 64512 + k % 400) for k in range(600))
        return update(origin + attr(0x40, 2, b"\x02\x01" + struct.pack("!I", AS) + segs)
                      + attr(0x40, 3, socket.inet_aton(src)), p)
    if name == "many_communities":  # 1,000 communities on one route
        comms = b"".join(struct.pack("!HH", 65002, k) for k in range(1000))
        return update(origin + base + attr(0xc0, 8, comms), p)
    raise SystemExit("unknown scenario " + name)


def main():
    src, dst, name, i = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    s = socket.socket()
    s.bind((src, 0))
    s.connect((dst, 179))
    s.sendall(open_msg(AS, src))
    got = read_messages(s, time.time() + 5, stop=(1,))
    assert any(t == 1 for t, _ in got), "no OPEN from rbgpd"
    # KEEPALIVE and the first UPDATE in one segment, as fast speakers
    # send them: the UPDATE must count although it arrives in the same
    # read that completes the session.
    s.sendall(msg(4, b"") + update(good_attrs(src), nlri(i, 70)))
    time.sleep(1.5)
    s.sendall(scenario(name, src, i))
    time.sleep(0.5)
    try:
        s.sendall(update(good_attrs(src), nlri(i, 71)))
        s.sendall(msg(4, b""))
    except OSError:
        pass
    got = read_messages(s, time.time() + 3)
    closed = any(t == "closed" for t, _ in got)
    note = None
    for t, body in got:
        if t == 3:
            note = [body[0], body[1], body[2:].hex()]
    print(json.dumps({"scenario": name, "notification": note, "open": not closed and note is None}), flush=True)
    # Stay up (the test looks at the routes now), until killed.
    while note is None and not closed:
        try:
            s.sendall(msg(4, b""))
        except OSError:
            break
        closed = any(t == "closed" for t, _ in read_messages(s, time.time() + 5))


main()
