"""Opens N WatchRoutes streams that never read, injects M paths, waits,
then reads each stream: how it ended. Prints one JSON line."""
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
import grpc
sys.path.insert(0, sys.argv[1])
from rbgp.v1 import rib_pb2, rib_pb2_grpc, injection_pb2, injection_pb2_grpc, common_pb2

sock, n, m, wait = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
opts = [("grpc.http2.bdp_probe", 0)]
ch = grpc.insecure_channel(f"unix:{sock}", options=opts)
rib = rib_pb2_grpc.RibServiceStub(ch)
t0 = time.monotonic()
streams = [rib.WatchRoutes(rib_pb2.WatchRoutesRequest(skip_snapshot=True)) for _ in range(n)]
time.sleep(1)
inj = injection_pb2_grpc.InjectionServiceStub(ch)
def batches():
    for b in range(0, m, 1000):
        yield injection_pb2.AddPathsRequest(paths=[
            common_pb2.Path(prefix=f"10.{(i >> 8) & 255}.{i & 255}.0/24", next_hop="10.88.0.1")
            for i in range(b, min(m, b + 1000))])
t1 = time.monotonic()
added = inj.AddPaths(batches()).added
t2 = time.monotonic()
time.sleep(wait)
def drain(s):
    """How one stream ended, and what it held until then."""
    k = 0
    try:
        for _ in s:
            k += 1
        return "ok", k
    except grpc.RpcError as e:
        return e.code().name, k
# Many at once: grpcio takes ~0.2 s to read each ended stream.
with ThreadPoolExecutor(max_workers=min(len(streams), 100)) as ex:
    results = list(ex.map(drain, streams))
ends = {}
for end, _ in results:
    ends[end] = ends.get(end, 0) + 1
got = [k for _, k in results]
t3 = time.monotonic()
print(json.dumps({"added": added, "ends": ends, "min": min(got), "max": max(got),
                  "open_s": round(t1 - t0, 2), "add_s": round(t2 - t1, 2),
                  "read_s": round(t3 - t2 - wait, 2)}))
