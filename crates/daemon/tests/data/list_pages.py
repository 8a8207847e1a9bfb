"""list_pages.py GEN SOCK SIZE: the Loc-RIB through ListRoutes twice, in
pages of SIZE (each page's next_page_token passed to the next call) and
whole. Prints one JSON line: pages, routes each way, the largest page,
whether both list the same routes."""
import json, sys
import grpc
sys.path.insert(0, sys.argv[1])
from rbgp.v1 import rib_pb2, rib_pb2_grpc

sock, size = sys.argv[2], int(sys.argv[3])
rib = rib_pb2_grpc.RibServiceStub(grpc.insecure_channel(f"unix:{sock}"))


def listing(**kw):
    routes, token = [], ""
    for m in rib.ListRoutes(rib_pb2.ListRoutesRequest(**kw)):
        routes.extend((r.path.prefix, r.path.path_id, r.source) for r in m.routes)
        token = m.next_page_token or token
    return routes, token


paged, pages, largest, token = [], 0, 0, ""
while True:
    got, token = listing(page_size=size, page_token=token)
    pages += 1
    largest = max(largest, len(got))
    paged.extend(got)
    if not token:
        break
whole, _ = listing()
print(json.dumps({"pages": pages, "paged": len(paged), "whole": len(whole),
                  "largest": largest, "same": sorted(paged) == sorted(whole)}))
