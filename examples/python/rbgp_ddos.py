#!/usr/bin/env python3
"""DDoS mitigation through rbgpd's gRPC API, from Python.

Remote-triggered blackholing (RFC 7999: a /32 or /128 announced with the
BLACKHOLE community) and FlowSpec rules (RFC 8955: drop or rate-limit
matching traffic), added, listed and removed over rbgpd's Unix socket
with grpcio's default channel options. Stubs come from crates/api/proto
(see README.md next to this file).

    rbgp_ddos.py blackhole 203.0.113.9/32 --next-hop 192.0.2.1
    rbgp_ddos.py drop 203.0.113.9/32 --protocol 17 --port 53 [--rate 125000]
    rbgp_ddos.py list
    rbgp_ddos.py unblackhole 203.0.113.9/32
    rbgp_ddos.py undrop 203.0.113.9/32 --protocol 17 --port 53
    rbgp_ddos.py services            # server reflection, v1 and v1alpha
"""

import argparse
import json
import os
import sys

import grpc

from rbgp.v1 import common_pb2, flowspec_pb2, injection_pb2, injection_pb2_grpc, rib_pb2, rib_pb2_grpc

DEFAULT_SOCKET = os.environ.get("RBGPD_SOCKET", "/tmp/rbgpd/rbgpd.sock")


def channel(socket_path):
    # Default options: rbgpd accepts the :authority grpc-core sends on a
    # unix: channel (the socket path).
    return grpc.insecure_channel(f"unix:{socket_path}")


def flow_rule(dest, protocol, port, rate):
    match = flowspec_pb2.FlowSpecMatch(destination=flowspec_pb2.FlowPrefix(prefix=dest))
    eq = flowspec_pb2.NUMERIC_OP_EQ
    if protocol is not None:
        match.protocol.append(flowspec_pb2.NumericTerm(op=eq, value=protocol))
    if port is not None:
        match.destination_port.append(flowspec_pb2.NumericTerm(op=eq, value=port))
    afi = flowspec_pb2.FlowSpecRule.AFI_IPV6 if ":" in dest else flowspec_pb2.FlowSpecRule.AFI_IPV4
    # RFC 8955 §7.3: a rate of 0 bytes/s discards.
    actions = flowspec_pb2.FlowSpecActions(traffic_rate=flowspec_pb2.TrafficRate(asn=0, bytes_per_second=rate))
    return flowspec_pb2.FlowSpecRule(afi=afi, match=match, actions=actions)


def blackhole(ch, a):
    path = common_pb2.Path(prefix=a.prefix, next_hop=a.next_hop, communities=["blackhole"] + a.community)
    injection_pb2_grpc.InjectionServiceStub(ch).AddPath(injection_pb2.AddPathRequest(path=path))
    print(f"blackholed {a.prefix}")


def unblackhole(ch, a):
    r = injection_pb2_grpc.InjectionServiceStub(ch).DeletePath(injection_pb2.DeletePathRequest(prefix=a.prefix))
    print(f"{a.prefix}: {'removed' if r.existed else 'was not blackholed'}")


def drop(ch, a):
    rule = flow_rule(a.destination, a.protocol, a.port, a.rate)
    injection_pb2_grpc.InjectionServiceStub(ch).AddFlowSpec(injection_pb2.AddFlowSpecRequest(rule=rule))
    print(f"flowspec rule for {a.destination} added")


def undrop(ch, a):
    rule = flow_rule(a.destination, a.protocol, a.port, a.rate)
    injection_pb2_grpc.InjectionServiceStub(ch).DeleteFlowSpec(injection_pb2.DeleteFlowSpecRequest(rule=rule))
    print(f"flowspec rule for {a.destination} removed")


def listing(ch, a):
    """Injected blackholes as the Loc-RIB holds them, and FlowSpec rules."""
    rib = rib_pb2_grpc.RibServiceStub(ch)
    out = {"routes": [], "flowspec": []}
    for family in (common_pb2.Family(afi=1, safi=1), common_pb2.Family(afi=2, safi=1)):
        req = rib_pb2.ListRoutesRequest(table=rib_pb2.TABLE_LOC_RIB, family=family)
        for chunk in rib.ListRoutes(req):
            for r in chunk.routes:
                out["routes"].append({"prefix": r.path.prefix, "next_hop": r.path.next_hop,
                                      "communities": list(r.path.communities), "source": r.source})
    rules = injection_pb2_grpc.InjectionServiceStub(ch).ListFlowSpec(injection_pb2.ListFlowSpecRequest())
    out["flowspec"] = [r.text for r in rules.rules]
    print(json.dumps(out, indent=2))


def services(ch, a):
    """Services named by server reflection, in both protocol versions."""
    from grpc_reflection.v1alpha import reflection_pb2
    found = {}
    for version in ("v1", "v1alpha"):
        # The v1 messages are the v1alpha ones, field for field.
        call = ch.stream_stream(
            f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        replies = call(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        found[version] = sorted(s.name for r in replies for s in r.list_services_response.service)
    print(json.dumps(found, indent=2))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--socket", default=DEFAULT_SOCKET, help="rbgpd's API socket (env RBGPD_SOCKET)")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("blackhole", help="announce PREFIX with the BLACKHOLE community")
    b.add_argument("prefix")
    b.add_argument("--next-hop", required=True)
    b.add_argument("--community", action="append", default=[], help="more communities")
    sub.add_parser("unblackhole").add_argument("prefix")
    for name in ("drop", "undrop"):
        d = sub.add_parser(name, help="FlowSpec: discard (or rate-limit) traffic to DESTINATION")
        d.add_argument("destination")
        d.add_argument("--protocol", type=int)
        d.add_argument("--port", type=int)
        d.add_argument("--rate", type=float, default=0.0, help="bytes/s; 0 discards")
    sub.add_parser("list")
    sub.add_parser("services")
    a = p.parse_args()
    run = {"blackhole": blackhole, "unblackhole": unblackhole, "drop": drop, "undrop": undrop,
           "list": listing, "services": services}[a.cmd]
    with channel(a.socket) as ch:
        try:
            run(ch, a)
        except grpc.RpcError as e:
            # rbgpd names the field that is wrong (INVALID_ARGUMENT).
            print(f"{e.code().name}: {e.details()}", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
