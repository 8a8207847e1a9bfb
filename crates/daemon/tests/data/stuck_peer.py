"""A peer that establishes, then never reads: its receive window closes and
rbgpd's writes to it block. It keeps sending KEEPALIVEs so that only the
stalled writes can end the session.

usage: stuck_peer.py LOCAL RBGPD ASN HOLD"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from bgp_test_peer import msg, open_msg, read_messages  # noqa: E402


def main():
    local, rbgpd, asn, hold = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    s = socket.socket()
    # A tiny window: set before connecting, so it is what is advertised.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind((local, 0))
    for _ in range(100):
        try:
            s.connect((rbgpd, 179))
            break
        except OSError:
            time.sleep(0.2)
    s.sendall(open_msg(asn, local, hold))
    got = read_messages(s, time.time() + 10, stop={4})
    if not any(t == 1 for t, _ in got):
        print("no OPEN from rbgpd", got, flush=True)
        return 1
    s.sendall(msg(4, b""))
    print("established; no longer reading", flush=True)
    while True:
        time.sleep(max(1, hold // 3))
        try:
            s.sendall(msg(4, b""))
        except OSError as e:
            print("closed:", e, flush=True)
            return 0


if __name__ == "__main__":
    sys.exit(main())
