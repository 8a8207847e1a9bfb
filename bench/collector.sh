#!/usr/bin/env bash
# BMP collector throughput, against pmacct's pmbmpd in the same run.
#
# One router's BMP stream (PEERS peers x PREFIXES generated routes each,
# pre-policy Route Monitoring, `rbgp-bench bmp-gen`) is sent over TCP on
# 127.0.0.1 as fast as the collector takes it, to:
#   rbgp-ndjson  rbgp collector --ndjson FILE --elems (one JSON line per route)
#   pmbmpd       pmbmpd -o FILE                       (one JSON line per route)
#   rbgp-mrt     rbgp collector --mrt-dir (BGP4MP_ET update file, gzip)
#   rbgp-kafka   rbgp collector --kafka (raw_bmp + JSON rows) to tansu, when installed
# Timed from the first octet sent until the output holds every route (line
# count of the JSON file; for MRT and Kafka the collector's own counters of
# records written). CPU time and peak RSS of the collector process.
#
#   bench/collector.sh                 # 4 x 250,000 routes
#   PEERS=1 PREFIXES=100000 bench/collector.sh
# Results: a Markdown table on stdout and in $dir/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."

peers=${PEERS:-4}
prefixes=${PREFIXES:-250000}
[[ "${NO_BUILD:-0}" == 1 ]] || cargo build --release --locked -p rbgp-cli -p rbgp-bench
rbgp=target/release/rbgp
dir=$(mktemp -d /tmp/rbgp-collector-bench.XXXXXX)
stream=$dir/stream.bmp
info=$(target/release/rbgp-bench bmp-gen --peers "$peers" --prefixes "$prefixes" --out "$stream")
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$info" "$1"; }
messages=$(field messages)
routes=$(field routes)
echo "== stream: $messages BMP messages, $routes routes, $(field bytes) octets ($dir)"

send() { # port
    python3 - "$1" "$stream" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "rb") as f:
    s.sendall(f.read())
s.shutdown(socket.SHUT_WR)
s.recv(1)   # until the collector closes or the script is killed
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

lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$routes" ]; }

run rbgp ndjson-elems 11020 "lines $dir/rbgp.ndjson" -- \
    "$rbgp" collector --listen 127.0.0.1:11020 --ndjson "$dir/rbgp.ndjson" --elems
if command -v pmbmpd >/dev/null; then
    run pmbmpd json-file 11021 "lines $dir/pmbmpd.json" -- \
        pmbmpd -L 127.0.0.1 -l 11021 -o "$dir/pmbmpd.json"
else
    echo "pmbmpd not installed (apt-get install pmacct): no reference row" >&2
fi
mrt_done() { local n; n=$(metric rbgp_collector_mrt_records_total); [ -n "$n" ] && [ "$n" -ge $((messages - 1)) ]; }
run rbgp mrt-updates-gzip 11022 mrt_done -- \
    "$rbgp" collector --listen 127.0.0.1:11022 --mrt-dir "$dir/mrt" --updates-interval 3600 \
    --table-interval 0 --metrics 127.0.0.1:9324
if command -v tansu >/dev/null; then
    tansu broker --listener-url tcp://127.0.0.1:19093 --advertised-listener-url tcp://127.0.0.1:19093 \
        --storage-engine memory://tansu/ >"$dir/tansu.log" 2>&1 &
    tansu_pid=$!
    wait_port 19093
    kafka_done() { local n; n=$(metric rbgp_collector_kafka_records_total); [ -n "$n" ] && [ "$n" -ge $((messages + routes + peers + 1)) ]; }
    run rbgp kafka-raw+json 11023 kafka_done -- \
        "$rbgp" collector --listen 127.0.0.1:11023 --kafka 127.0.0.1:19093 --metrics 127.0.0.1:9324
    kill "$tansu_pid" 2>/dev/null || true
else
    echo "tansu not installed: no Kafka row" >&2
fi
echo
cat "$results"
