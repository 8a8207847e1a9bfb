#!/usr/bin/env bash
# BMP collector throughput, against pmacct's pmbmpd in the same run.
#
# ROUTERS routers (10) each send a BMP stream (PEERS peers x PREFIXES
# generated routes each, pre-policy Route Monitoring, `rbgp-bench
# bmp-gen`) at once, over TCP from 127.0.0.10... to 127.0.0.1, as fast as
# the collector takes them, to:
#   rbgp-ndjson  rbgp collector --ndjson FILE --elems (one JSON line per route)
#   pmbmpd       pmbmpd, bmp_daemon_msglog_file       (one JSON line per route)
#   rbgp-mrt     rbgp collector --mrt-dir (BGP4MP_ET update file, gzip)
#   rbgp-kafka   rbgp collector --kafka (raw_bmp + JSON rows) to tansu, when installed
# Timed from the first octet sent until the output holds every route (line
# count of the JSON file; for MRT and Kafka the collector's own counters of
# records written). CPU time and peak RSS of the collector process.
#
#   bench/collector.sh                 # 10 routers x 4 peers x 25,000 routes
#   ROUTERS=1 PEERS=4 PREFIXES=250000 bench/collector.sh
#   STREAM=real bench/collector.sh     # each router replays the BMP of every
#                                      # real capture in ../shared/data (pmacct's
#                                      # test suite, NetGauze), repeated to 20 MB
# With STREAM=real the line count to wait for is taken from an untimed run
# of each collector first (pmbmpd logs other messages than routes too).
# Results: a Markdown table on stdout and in $dir/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."

routers=${ROUTERS:-10}
peers=${PEERS:-4}
prefixes=${PREFIXES:-25000}
[[ "${NO_BUILD:-0}" == 1 ]] || cargo build --release --locked -p rbgp-cli -p rbgp-bench
rbgp=target/release/rbgp
dir=$(mktemp -d /tmp/rbgp-collector-bench.XXXXXX)
stream=$dir/stream.bmp
if [[ "${STREAM:-generated}" == real ]]; then
    data=${RBGP_SHARED_DATA:-$(cd .. && pwd)/shared/data}
    python3 - "$data" "$stream" <<'EOF'
import glob, subprocess, sys
data, out = sys.argv[1], sys.argv[2]
pcaps = sorted(glob.glob(f"{data}/pmacct-test-automation/tests/*BMP*/*.pcap")
               + glob.glob(f"{data}/NetGauze/assets/pcaps/bmp/*/*.pcap"))
one = b""
for p in pcaps:
    # Each connection's payload towards the collector in sequence order,
    # retransmitted octets dropped (as rbgp-testkit's tcp_streams).
    f = subprocess.run(["tshark", "-n", "-r", p, "-Y",
                        "tcp.len>0 && (tcp.dstport==1790 || tcp.dstport==10000)",
                        "-T", "fields", "-e", "tcp.stream", "-e", "tcp.seq", "-e", "tcp.payload"],
                       capture_output=True, text=True).stdout
    streams = {}
    for line in f.splitlines():
        st, seq, hexp = line.split("\t")
        streams.setdefault(st, []).append((int(seq), bytes.fromhex(hexp)))
    for segs in streams.values():
        nxt = None
        for seq, b in sorted(segs, key=lambda x: x[0]):
            end = seq + len(b)
            if nxt is not None and end <= nxt:
                continue
            one += b if nxt is None or seq >= nxt else b[nxt - seq:]
            nxt = end
blob = one * max(1, 20_000_000 // max(1, len(one)))
open(out, "wb").write(blob)
print(f"{len(pcaps)} captures, {len(one)} octets, repeated to {len(blob)}", file=sys.stderr)
EOF
    # rbgp bmp exits 1 on the captures' damaged starts: counted all the same.
    msgs=$({ "$rbgp" bmp "$stream" 2>/dev/null || true; } | wc -l)
    elems=$({ "$rbgp" bmp --elems "$stream" 2>/dev/null || true; } | wc -l)
    info="{\"messages\":$msgs,\"routes\":$elems,\"bytes\":$(stat -c %s "$stream")}"
else
    info=$(target/release/rbgp-bench bmp-gen --peers "$peers" --prefixes "$prefixes" --out "$stream")
fi
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$info" "$1"; }
messages=$(( $(field messages) * routers ))
routes=$(( $(field routes) * routers ))
echo "== $routers routers x $(field messages) BMP messages, $routes routes in all, $(field bytes) octets each ($dir)"

send() { # port: every router at once, each from its own address
    python3 - "$1" "$stream" "$routers" <<'EOF'
import socket, sys, threading
port, data, n = int(sys.argv[1]), open(sys.argv[2], "rb").read(), int(sys.argv[3])
def router(i):
    s = socket.create_connection(("127.0.0.1", port), source_address=(f"127.0.0.{10 + i}", 0))
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)   # until the collector closes or the script is killed
ts = [threading.Thread(target=router, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
EOF
}

wait_port() { # port
    for _ in $(seq 100); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])))" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on $1" >&2
    return 1
}

cpu() { # pid -> seconds of user+system time
    awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"
}
rss() { # pid -> peak RSS in MiB
    awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}
metric() { # name
    curl -s --max-time 2 http://127.0.0.1:9324/metrics | awk -v n="$1" '$1 == n { print $2 }'
}

results=$dir/results.md
echo "| collector | output | routes | time (s) | routes/s | CPU (s) | peak RSS (MiB) |" >"$results"
echo "|---|---|---|---|---|---|---|" >>"$results"

# run NAME OUTPUT PORT DONE-CHECK -- command...
run() {
    local name=$1 output=$2 port=$3 check=$4
    shift 5
    "$@" >"$dir/$name.log" 2>&1 &
    local pid=$!
    wait_port "$port"
    local t0 t1
    t0=$(date +%s.%N)
    send "$port" &
    local sender=$!
    until eval "$check"; do
        kill -0 "$pid" 2>/dev/null || { echo "$name died: $(tail -5 "$dir/$name.log")" >&2; return 1; }
        sleep 0.05
    done
    t1=$(date +%s.%N)
    local c r
    c=$(cpu "$pid")
    r=$(rss "$pid")
    kill "$sender" 2>/dev/null || true
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    python3 - "$name" "$output" "$routes" "$t0" "$t1" "$c" "$r" >>"$results" <<'EOF'
import sys
name, output, routes, t0, t1, c, r = sys.argv[1:]
t = float(t1) - float(t0)
print(f"| {name} | {output} | {int(routes):,} | {t:.2f} | {int(routes) / t:,.0f} | {c} | {r} |")
EOF
    tail -1 "$results"
}

lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "${2:-$routes}" ]; }

# With a real stream pmbmpd's line count is not the route count: taken
# from an untimed run (its output unchanged for 2 s).
calibrate() { # port config
    pmbmpd -f "$2" >/dev/null 2>&1 &
    local pid=$! last=-1 n=0
    wait_port "$1"
    send "$1" &
    local sender=$!
    while :; do
        sleep 2
        n=$(wc -l <"$dir/pmbmpd.json" 2>/dev/null || echo 0)
        [ "$n" -gt 0 ] && [ "$n" = "$last" ] && break
        last=$n
    done
    kill "$sender" 2>/dev/null || true
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$dir/pmbmpd.json"
    echo "$n"
}

run rbgp ndjson-elems 11020 "lines $dir/rbgp.ndjson" -- \
    "$rbgp" collector --listen 127.0.0.1:11020 --ndjson "$dir/rbgp.ndjson" --elems
if command -v pmbmpd >/dev/null; then
    printf 'bmp_daemon_ip: 127.0.0.1\nbmp_daemon_port: 11021\nbmp_daemon_max_peers: %d\nbmp_daemon_msglog_file: %s\nbmp_daemon_msglog_output: json\ndaemonize: false\n' \
        $((routers + 1)) "$dir/pmbmpd.json" >"$dir/pmbmpd.conf"
    pm_lines=$routes
    [[ "${STREAM:-generated}" != real ]] || pm_lines=$(calibrate 11021 "$dir/pmbmpd.conf")
    run pmbmpd json-file 11021 "lines $dir/pmbmpd.json $pm_lines" -- pmbmpd -f "$dir/pmbmpd.conf"
else
    echo "pmbmpd not installed (apt-get install pmacct): no reference row" >&2
fi
[[ "${STREAM:-generated}" != real ]] || { echo; cat "$results"; exit 0; }
mrt_done() { local n; n=$(metric rbgp_collector_mrt_records_total); [ -n "$n" ] && [ "$n" -ge $((messages - routers)) ]; }
run rbgp mrt-updates-gzip 11022 mrt_done -- \
    "$rbgp" collector --listen 127.0.0.1:11022 --mrt-dir "$dir/mrt" --updates-interval 3600 \
    --table-interval 0 --metrics 127.0.0.1:9324
if command -v tansu >/dev/null; then
    tansu broker --listener-url tcp://127.0.0.1:19093 --advertised-listener-url tcp://127.0.0.1:19093 \
        --storage-engine memory://tansu/ >"$dir/tansu.log" 2>&1 &
    tansu_pid=$!
    wait_port 19093
    kafka_done() { local n; n=$(metric rbgp_collector_kafka_records_total); [ -n "$n" ] && [ "$n" -ge $((messages + routes + routers * (peers + 1))) ]; }
    run rbgp kafka-raw+json 11023 kafka_done -- \
        "$rbgp" collector --listen 127.0.0.1:11023 --kafka 127.0.0.1:19093 --metrics 127.0.0.1:9324
    kill "$tansu_pid" 2>/dev/null || true
else
    echo "tansu not installed: no Kafka row" >&2
fi
echo
cat "$results"
