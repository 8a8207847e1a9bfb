"""Tiny BGP framing helpers shared by the scripted test peers."""
import socket
import struct
import time


def msg(t, body):
    """One BGP message of type t."""
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), t) + body


def open_msg(asn, bgp_id, hold=30):
    """An OPEN with IPv4 unicast and 4-octet AS capabilities."""
    caps = bytes([1, 4, 0, 1, 0, 1]) + bytes([65, 4]) + struct.pack("!I", asn)
    opt = bytes([2, len(caps)]) + caps
    return msg(1, struct.pack("!BHH", 4, asn, hold) + socket.inet_aton(bgp_id) + bytes([len(opt)]) + opt)


def read_messages(s, until, stop=None):
    """(type, body) pairs received until the deadline, EOF (a ("closed",
    None) entry) or a message whose type is in stop."""
    buf = b""
    out = []
    while time.time() < until:
        s.settimeout(max(0.05, until - time.time()))
        try:
            d = s.recv(65535)
        except socket.timeout:
            break
        except OSError:
            out.append(("closed", None))
            break
        if not d:
            out.append(("closed", None))
            break
        buf += d
        while len(buf) >= 19:
            ln = struct.unpack("!H", buf[16:18])[0]
            if len(buf) < ln:
                break
            out.append((buf[18], buf[19:ln]))
            buf = buf[ln:]
            if stop and out[-1][0] in stop:
                return out
    return out
