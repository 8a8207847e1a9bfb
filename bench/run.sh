#!/usr/bin/env bash
# bgperf-style benchmark: rbgpd, BIRD 2, GoBGP and FRR as the daemon under
# test (DUT), fed by `rbgp-bench feed` and timed by `rbgp-bench monitor`.
# Not a test: results go to docs/BENCHMARKS.md by hand.
#
#   bench/run.sh                                   # everything, 1M-prefix cases
#   bench/run.sh --prefixes 100000                 # quick pass
#   bench/run.sh --daemons rbgpd,bird --cases a,c  # a subset
#
# Cases (P = --prefixes):  a: 1 feeder x P   b: 10 feeders x P/10
#                          c: 2 feeders x P, every peer a route-server client
#   p: case a through a 10-term import policy (rbgpd and BIRD only)
#   d: IXP route server: --rs-clients N (200) feeders x 0.4P/N, each client
#      with its own import and export policy (rbgpd and BIRD only)
#   r: case a with RPKI: the DUT loads the real VRP snapshot (361,761 VRPs,
#      ../shared/data) from StayRTR before the feed (load time in the note)
#      and tags RPKI-invalid routes by policy (rbgpd and BIRD only)
#   v: case a with RPKI validation and no policy on it (rbgpd only: BIRD
#      validates only in filters)
#   m: case a with BMP export of every view (pre/post-policy, Loc-RIB,
#      Adj-RIB-Out) to one station, `rbgp-bench bmp-sink` at 10.99.0.2
#      (rbgpd only; messages the station got in the note)
#   t: case a with MRT table dumps every second while the table arrives
#      (rbgpd only; the last dump's size and time in the note)
#   w: case d with RPKI validation and no policy on it (rbgpd only)
#   e: many sessions: --sessions N (1000) feeders x --session-prefixes M
#      (500), plain eBGP, every feeder also receiving everything (an IXP
#      without route-server filtering); the note adds the time until all
#      were Established and until every feeder held the whole table
#   f: churn (rbgpd and BIRD): --sessions N (1000) feeders sharing P, only
#      the monitor receiving; once it holds the table, --churn-seconds S
#      (600) of a tenth of the feeders flapping (close, reconnect, announce
#      again, every ~5 s) and 1,000 prefixes/s moving between the others;
#      the note gives the moves' latency at the monitor (p50/p99), flaps,
#      and the DUT's RSS at the start, at its peak and 30 s after the churn
#      (sampled every second into DIR/DAEMON-f/rss.txt)
#   u: RPKI revalidation (rbgpd and BIRD): case a rejecting RPKI-invalid
#      routes, the cache's data arriving after the table (the real snapshot,
#      then 1,000 more VRPs); each step timed until the monitor has lost
#      exactly the routes `rbgp-bench rov` computes
# rbgpd's notes give its UPDATE latency (p50/p99 from /metrics).
#
# Topology: the DUT alone in netns rbb-dut-PID (10.99.0.1), the monitor
# (10.99.0.2, AS 64900) and the feeders (10.99.0.10 + i counted across the
# /16, AS 65001+i) in
# rbb-gen-PID, joined by one veth pair. Needs root, iproute2, bird2,
# gobgpd, frr. Everything started here is stopped and removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

daemons=rbgpd,bird,gobgp,frr
cases=a,b,c
clients=200
sessions=1000
session_prefixes=500
churn_seconds=600
prefixes=1000000
timeout=900
rtr=stayrtr
build=1
perf=0
out=""
usage() { sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; echo "options: --daemons LIST --cases LIST --prefixes N --rs-clients N --sessions N --session-prefixes N"
    echo "         --churn-seconds S --timeout SECS --out DIR --no-build"
    echo "         --rtr stayrtr|rtrtr: the cache of cases r and v (default stayrtr)"
    echo "         --perf: perf record -g the DUT while it converges (DIR/DAEMON-CASE/perf.data; slows it down)"; }
while [ $# -gt 0 ]; do
    case "$1" in
    --daemons) daemons=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    --prefixes) prefixes=$2; shift 2 ;;
    --rs-clients) clients=$2; shift 2 ;;
    --sessions) sessions=$2; shift 2 ;;
    --session-prefixes) session_prefixes=$2; shift 2 ;;
    --churn-seconds) churn_seconds=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --rtr) rtr=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --perf) perf=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "run.sh needs root (network namespaces)"; exit 1; }
out=${out:-$(mktemp -d /tmp/rbgp-bench.XXXXXX)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ "$build" = 1 ]; then
    nice -n 10 cargo build --release -q -p rbgpd -p rbgp-bench
fi
bench=$PWD/target/release/rbgp-bench
rbgpd=$PWD/target/release/rbgpd

dut=rbb-dut-$$
gen=rbb-gen-$$
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for ns in "$dut" "$gen"; do
        # only what this run started can live in its own namespaces
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$dut"
ip netns add "$gen"
ip -n "$dut" link set lo up
ip -n "$gen" link set lo up
ip -n "$dut" link add eth0 type veth peer name eth0 netns "$gen"
ip -n "$dut" addr add 10.99.0.1/16 dev eth0
ip -n "$gen" addr add 10.99.0.2/16 dev eth0
# feeders from 10.99.0.10 on, as many as the largest case needs
feeders=$((clients > 10 ? clients : 10))
[[ ",$cases," != *,[ef],* ]] || [ "$sessions" -le "$feeders" ] || feeders=$sessions
[ "$feeders" -le 60000 ] || { echo "--rs-clients/--sessions: at most 60000"; exit 2; }
# feeder i's address: 10.99.0.10 + i, counted across the /16
feeder_addr() { local a=$((10 + $1)); echo "10.99.$((a >> 8)).$((a & 255))"; }
for ((i = 0; i < feeders; i++)); do echo "addr add $(feeder_addr "$i")/16 dev eth0"; done | ip -n "$gen" -batch -
ip -n "$dut" link set eth0 up
ip -n "$gen" link set eth0 up

# shellcheck source=bench/daemons.sh
. bench/daemons.sh

# Case r: StayRTR in the generator namespace (10.99.0.2:3323) serving the
# shared real VRP snapshot, entries' expiry times dropped (StayRTR serves
# nothing expired; the data is from 2025). Started once, kept for the run.
rtr_pid=""
vrps4=0
vrps_all=1
# the snapshot as StayRTR can serve it, in $out/vrps.json (once); prints
# its IPv4 VRP count
unpack_snapshot() {
    local data=${RBGP_SHARED_DATA:-$(cd .. && pwd)/shared/data}
    python3 - "$data/rpki/jeffsw-rpkilog/derived/rpkiclient_summary_20250720T093135Z.every2nd.json.gz" "$out/vrps.json" <<'PY'
import gzip, json, os, sys
if not os.path.exists(sys.argv[2]):
    d = json.load(gzip.open(sys.argv[1]))
    for k in ("roas", "aspas"):
        for e in d.get(k, []):
            e.pop("expires", None)
    json.dump(d, open(sys.argv[2], "w"))
d = json.load(open(sys.argv[2]))
print(sum(1 for r in d["roas"] if ":" not in r["prefix"]), len(d["roas"]))
PY
}
start_rtr() {
    [ -z "$rtr_pid" ] || return 0
    read -r vrps4 vrps_all < <(unpack_snapshot)
    if [ "$rtr" = rtrtr ]; then
        # RTRTR's json unit reads the same file; its rtr target serves it
        # once loaded (its metrics say when)
        printf 'log_level = "info"\nlog_target = "stderr"\nhttp-listen = ["127.0.0.1:8323"]\n[units.file]\ntype = "json"\nuri = "file:%s"\nrefresh = 3600\n[targets.rtr]\ntype = "rtr"\nlisten = ["10.99.0.2:3323"]\nunit = "file"\n' \
            "$out/vrps.json" >"$out/rtrtr.conf"
        ip netns exec "$gen" setsid rtrtr -c "$out/rtrtr.conf" >"$out/rtrtr.log" 2>&1 </dev/null &
        rtr_pid=$!
        pids+=("$rtr_pid")
        local end=$((SECONDS + 60))
        until ip netns exec "$gen" curl -s http://127.0.0.1:8323/metrics 2>/dev/null |
            grep -qE '^rtrtr_rtr_target_payload_size_total\{component="rtr"\} [1-9]'; do
            alive "$rtr_pid" && [ $SECONDS -lt $end ] || { echo "RTRTR did not load the snapshot"; return 0; }
            sleep 0.2
        done
        return 0
    fi
    ip netns exec "$gen" setsid stayrtr -cache "$out/vrps.json" -checktime=false -bind 10.99.0.2:3323 \
        -metrics.addr 10.99.0.2:9847 -refresh 3600 >"$out/stayrtr.log" 2>&1 </dev/null &
    rtr_pid=$!
    pids+=("$rtr_pid")
    wait_line "$out/stayrtr.log" "new serial" "$rtr_pid" 60 || echo "StayRTR did not load the snapshot"
}

# until daemon $1 (log dir $2, PID $3) holds all the cache's VRPs (BIRD
# fills its tables as they arrive, rbgpd applies them at End of Data)
rpki_loaded() {
    local end=$((SECONDS + 120))
    while [ $SECONDS -lt $end ] && alive "$3"; do
        case "$1" in
        rbgpd) grep -q "RPKI data applied vrps_v4=$vrps4 " "$2/rbgpd.log" && return 0 ;;
        bird) birdc -s "$2/bird.ctl" show route table rpki4 count 2>/dev/null | grep -qE "(^| )$vrps4 of " &&
            birdc -s "$2/bird.ctl" show route table rpki6 count 2>/dev/null | grep -qE "(^| )$((vrps_all - vrps4)) of " && return 0 ;;
        esac
        sleep 0.1
    done
    return 1
}

# feeders and prefixes per feeder for a case
shape() {
    case "$1" in
    a) echo "1 $prefixes" ;;
    b) echo "10 $((prefixes / 10))" ;;
    c) echo "2 $prefixes" ;;
    p | r | v | m | t) echo "1 $prefixes" ;;
    d | w) echo "$clients $((prefixes * 2 / 5 / clients))" ;;
    e) echo "$sessions $session_prefixes" ;;
    f) echo "$sessions $((prefixes / sessions))" ;;
    esac
}

status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# user + system CPU seconds of a process
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# running, not a zombie waiting to be reaped
alive() {
    local st
    st=$(awk '/^State:/ { print $2 }' "/proc/${1:-0}/status" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ]
}
# TERM, up to 10 s to exit, then KILL; reaped, so its port is free again
stop() {
    [ -n "$1" ] || return 0
    kill "$1" 2>/dev/null || true
    for _ in $(seq 100); do alive "$1" || break; sleep 0.1; done
    kill -9 "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
# wait until $1 holds a line matching $2, while process $3 lives
wait_line() {
    local end=$((SECONDS + $4))
    until grep -q "$2" "$1" 2>/dev/null; do
        alive "$3" && [ $SECONDS -lt $end ] || return 1
        sleep 0.2
    done
}
json() { { grep "\"event\":\"$2\"" "$1" 2>/dev/null || true; } | sed -n "s/.*\"$3\":\\([0-9.a-z]*\\).*/\\1/p"; }

results=$out/results.md
echo "| daemon | case | prefixes | converge (s) | prefixes/s | peak RSS (MiB) | RSS/route (B) | DUT CPU (s) | note |" >"$results"
echo "|---|---|---:|---:|---:|---:|---:|---:|---|" >>"$results"

# start DAEMON DIR FEEDERS RS CASE PREFIXES once port 179 is free, and
# wait until it listens; $started is its PID
start_dut() {
    local d=$1 dir=$2 end=$((SECONDS + 30))
    while ip netns exec "$dut" ss -Hltn 'sport = :179' | grep -q .; do
        [ $SECONDS -lt $end ] || { echo "port 179 still busy"; return 1; }
        sleep 0.2
    done
    start_"$d" "$dir" "$3" "$4" "$5" "$6"
    pids+=("$started")
    end=$((SECONDS + 30))
    until ip netns exec "$dut" ss -Hltn 'sport = :179' | grep -q .; do
        alive "$started" && [ $SECONDS -lt $end ] || { echo "$d did not start listening"; tail -5 "$dir"/*.log; return 1; }
        sleep 0.2
    done
}

run_case() {
    local d=$1 c=$2 n m rs=0 dir total dpid mpid="" fpid="" note=""
    read -r n m < <(shape "$c")
    [ "$c" = c ] || [ "$c" = d ] || [ "$c" = w ] && rs=1
    case "$c" in p | d | r)
        [ "$d" = rbgpd ] || [ "$d" = bird ] || { echo "== $d case $c: not supported (policy cases: rbgpd, bird)"; return 0; } ;;
    esac
    [ "$c" != v ] || [ "$d" = rbgpd ] || { echo "== $d case v: rbgpd only"; return 0; }
    [ "$c" != w ] || [ "$d" = rbgpd ] || { echo "== $d case w: rbgpd only"; return 0; }
    [ "$c" != m ] || [ "$d" = rbgpd ] || { echo "== $d case m: rbgpd only"; return 0; }
    [ "$c" != t ] || [ "$d" = rbgpd ] || { echo "== $d case t: rbgpd only"; return 0; }
    local sink=""
    if [ "$c" = m ]; then
        ip netns exec "$gen" "$bench" bmp-sink --listen 10.99.0.2:11019 >"$out/$d-$c.sink.json" 2>&1 &
        sink=$!
        pids+=("$sink")
    fi
    case "$c" in r | v | w) start_rtr ;; esac
    total=$((n * m))
    # the policy cases pass fewer to the monitor (the bogons go)
    case "$c" in p | d | w) total=$("$bench" config --daemon rbgpd --case "${c/w/d}" --sessions "$n" --prefixes "$m" --expect) ;; esac
    dir=$out/$d-$c
    mkdir -p "$dir"
    echo "== $d case $c: $n x $m prefixes (route server: $rs), logs in $dir"
    start_dut "$d" "$dir" "$n" "$rs" "$c" "$m" || return 0
    dpid=$started
    local loaded=""
    if [ "$c" = r ] || [ "$c" = v ] || [ "$c" = w ]; then
        local t_load=$EPOCHREALTIME rss0
        rss0=$(status "$dpid" VmRSS)
        if rpki_loaded "$d" "$dir" "$dpid"; then
            local t_done=$EPOCHREALTIME
            sleep 1
            loaded=$(awk "BEGIN{printf \"VRPs from $rtr loaded %.1f s after listening, %.0f B of RSS per VRP\", $t_done - $t_load, ($(status "$dpid" VmRSS) - $rss0) * 1024 / $vrps_all}")
        else
            note="RPKI data not loaded"
        fi
    fi
    sleep 1
    local idle
    idle=$(status "$dpid" VmRSS)
    ip netns exec "$gen" "$bench" monitor --expect "$total" --timeout "$timeout" >"$dir/monitor.json" 2>"$dir/monitor.err" &
    mpid=$!
    pids+=("$mpid")
    wait_line "$dir/monitor.json" established "$mpid" 60 || note="monitor not established"
    if [ -z "$note" ]; then
        local perfpid=""
        if [ "$perf" = 1 ]; then
            perf record -F 999 --call-graph dwarf,16384 -p "$dpid" -o "$dir/perf.data" >"$dir/perf.out" 2>&1 &
            perfpid=$!
            sleep 1
        fi
        # case e: each feeder counts what it receives (all but its own)
        local each=()
        [ "$c" != e ] || each=(--expect-each $((n * m - m)) --connect-timeout "$timeout")
        ip netns exec "$gen" "$bench" feed --sessions "$n" --prefixes "$m" "${each[@]}" >"$dir/feed.json" 2>"$dir/feed.err" &
        fpid=$!
        pids+=("$fpid")
        while alive "$mpid"; do
            alive "$dpid" || { note="DUT died"; break; }
            alive "$fpid" || { note="feeder failed: $(tail -1 "$dir/feed.err")"; break; }
            sleep 0.5
        done
        if [ "$c" = e ]; then
            # the monitor has everything: wait for every feeder too
            local end=$((SECONDS + timeout))
            while [ "$(grep -c '"event":"received"' "$dir/feed.json")" -lt "$n" ]; do
                alive "$dpid" && alive "$fpid" && [ $SECONDS -lt $end ] || break
                sleep 0.5
            done
        fi
        [ -z "$perfpid" ] || { kill -INT "$perfpid"; wait "$perfpid" || true; }
    fi
    if [ "$d" = rbgpd ] && alive "$dpid"; then
        [ "$c" != t ] || sleep 5 # the dump of the whole table
        local lat
        lat=$(ip netns exec "$dut" curl -s --max-time 5 http://10.99.0.1:9179/metrics | awk '
            /^rbgp_update_latency_seconds_bucket/ { split($1, a, "\""); le[n] = a[2]; c[n++] = $2 }
            /^rbgp_update_latency_seconds_count/ { total = $2 }
            /^rbgp_mrt_dumps_total/ { dumps = $2 }
            /^rbgp_mrt_last_dump_routes/ { routes = $2 }
            /^rbgp_mrt_last_dump_seconds/ { secs = $2 }
            END {
                if (total == 0) exit
                for (i = 0; i < n; i++) { if (p50 == "" && c[i] >= 0.5 * total) p50 = le[i]; if (p99 == "" && c[i] >= 0.99 * total) p99 = le[i] }
                printf "UPDATE latency p50 <= %s s, p99 <= %s s", p50, p99
                if (dumps != "") printf "; %d MRT dumps, the last %d routes in %.2f s", dumps, routes, secs
            }') || true  # the policy cases' configurations have no /metrics
        [ -z "$lat" ] || note="${note:+$note; }$lat"
    fi
    local hwm dcpu
    hwm=$(status "$dpid" VmHWM)
    dcpu=$(cpu "$dpid")
    for p in $fpid $mpid $dpid $sink; do stop "$p"; done
    if [ -n "$sink" ]; then
        local msgs
        msgs=$(grep -E '"event":"(progress|closed)"' "$out/$d-$c.sink.json" | tail -1 | sed -n 's/.*"messages":\([0-9]*\).*/\1/p')
        note="${note:+$note; }BMP station got ${msgs:-0} messages"
    fi
    local t0 t1 complete got secs rate mib per
    t0=$(json "$dir/feed.json" sent first_update_unix_ns | sort -n | sed -n 1p)
    t1=$(json "$dir/monitor.json" result done_unix_ns)
    complete=$(json "$dir/monitor.json" result complete)
    got=$(json "$dir/monitor.json" result prefixes)
    if [ -n "$t0" ] && [ -n "$t1" ]; then
        secs=$(awk "BEGIN{printf \"%.2f\", ($t1 - $t0) / 1e9}")
        rate=$(awk "BEGIN{printf \"%.0f\", ${got:-0} / $secs}")
    else
        secs=- rate=-
    fi
    [ "$complete" = true ] || note="${note:+$note; }incomplete: ${got:-0} of $total at the monitor"
    if [ "$c" = e ]; then
        local c0 c1 retries last_rx held
        c0=$(json "$dir/feed.json" connecting unix_ns)
        c1=$(json "$dir/feed.json" established unix_ns)
        retries=$(json "$dir/feed.json" established retries)
        last_rx=$(json "$dir/feed.json" received unix_ns | sort -n | tail -1)
        held=$(grep -c '"event":"received"' "$dir/feed.json" || true)
        [ -z "$c0" ] || [ -z "$c1" ] ||
            note="${note:+$note; }all $n Established $(awk "BEGIN{printf \"%.1f\", ($c1 - $c0) / 1e9}") s after the first connect (${retries:-0} retries)"
        if [ "$held" = "$n" ] && [ -n "$t0" ]; then
            note="${note:+$note; }every feeder held the other $((n * m - m)) prefixes $(awk "BEGIN{printf \"%.2f\", ($last_rx - $t0) / 1e9}") s after the first UPDATE"
        else
            note="${note:+$note; }only $held of $n feeders got the whole table"
        fi
    fi
    mib=$(awk "BEGIN{printf \"%.0f\", ${hwm:-0} / 1024}")
    per=$(awk "BEGIN{printf \"%.0f\", (${hwm:-0} - ${idle:-0}) * 1024 / $total}")
    echo "| $d | $c | $n x $m | $secs | $rate | $mib | $per | $dcpu | ${loaded}${loaded:+${note:+; }}$note |" | tee -a "$results"
}

# Case u: revalidation (rbgpd and BIRD). A StayRTR of its own
# (10.99.0.2:3324) re-reads its file every second. It first serves one
# IPv6 VRP, which no route of the IPv4 table meets, while the DUT (import
# policy rejecting RPKI-invalid routes, routes kept as received: rbgpd
# keep_pre_policy, BIRD import table) takes the table. Then the file
# becomes the real snapshot: the DUT validates its loaded table and the
# monitor loses every invalid route. Then the snapshot plus 1,000 VRPs
# (`rbgp-bench rov --add`), each making a not-found route (and what lies
# under it) invalid. Each step is timed from StayRTR logging the new
# serial (looked for every 20 ms) to the monitor holding exactly the count
# `rbgp-bench rov` computed for the step.
run_reval() {
    local d=$1 dir=$out/$1-u dpid mpid fpid spid note="" rov
    [ "$d" = rbgpd ] || [ "$d" = bird ] || { echo "== $d case u: rbgpd and bird only"; return 0; }
    unpack_snapshot >/dev/null
    [ -s "$out/u-rov.json" ] || "$bench" rov --vrps "$out/vrps.json" --prefixes "$prefixes" --add 1000 \
        --out "$out/vrps-delta.json" >"$out/u-rov.json"
    rov=$(cat "$out/u-rov.json")
    local inv1 inv2
    inv1=$(echo "$rov" | python3 -c 'import json,sys; print(json.load(sys.stdin)["before"]["invalid"])')
    inv2=$(echo "$rov" | python3 -c 'import json,sys; print(json.load(sys.stdin)["after"]["invalid"])')
    mkdir -p "$dir"
    echo "== $d case u: 1 x $prefixes prefixes, then $inv1 invalid, then $inv2 after 1,000 more VRPs; logs in $dir"
    echo '{"roas":[{"prefix":"2001:db8::/32","maxLength":48,"asn":64496,"ta":"bench"}]}' >"$dir/rtr.json"
    ip netns exec "$gen" setsid stayrtr -cache "$dir/rtr.json" -checktime=false -bind 10.99.0.2:3324 \
        -metrics.addr 10.99.0.2:9848 -refresh 1 >"$dir/stayrtr.log" 2>&1 </dev/null &
    spid=$!
    pids+=("$spid")
    wait_line "$dir/stayrtr.log" "new serial 0" "$spid" 30 || { echo "StayRTR did not start"; return 0; }
    start_dut "$d" "$dir" 1 0 u "$prefixes" || return 0
    dpid=$started
    # the DUT holds the cache's first (IPv6-only) set
    local end=$((SECONDS + 60))
    until case "$d" in
        rbgpd) grep -q "RPKI data applied vrps_v4=0 vrps_v6=1 " "$dir/rbgpd.log" ;;
        bird) birdc -s "$dir/bird.ctl" show route table rpki6 count 2>/dev/null | grep -qE "(^| )1 of " ;;
        esac; do
        alive "$dpid" && [ $SECONDS -lt $end ] || { echo "$d did not load the first set"; return 0; }
        sleep 0.2
    done
    ip netns exec "$gen" "$bench" monitor --expect "$prefixes" --then "$((prefixes - inv1)),$((prefixes - inv2))" \
        --timeout "$timeout" >"$dir/monitor.json" 2>"$dir/monitor.err" &
    mpid=$!
    pids+=("$mpid")
    wait_line "$dir/monitor.json" established "$mpid" 60 || { echo "monitor not established"; return 0; }
    ip netns exec "$gen" "$bench" feed --sessions 1 --prefixes "$prefixes" >"$dir/feed.json" 2>"$dir/feed.err" &
    fpid=$!
    pids+=("$fpid")
    # step 0: the table; steps 1 and 2: the snapshot, then the delta
    local t0 t1 secs=() step file
    reached() { grep -c '"event":"reached"' "$dir/monitor.json" 2>/dev/null || true; }
    end=$((SECONDS + timeout))
    while [ "$(reached)" -lt 1 ]; do
        alive "$mpid" && alive "$dpid" && [ $SECONDS -lt $end ] || { note="table not converged"; break; }
        sleep 0.2
    done
    t0=$(json "$dir/feed.json" sent first_update_unix_ns | sort -n | sed -n 1p)
    t1=$({ grep '"event":"reached"' "$dir/monitor.json" || true; } | head -1 | sed -n 's/.*"unix_ns":\([0-9]*\).*/\1/p')
    [ -z "$t0" ] || [ -z "$t1" ] || secs+=("$(awk "BEGIN{printf \"%.2f\", ($t1 - $t0) / 1e9}")")
    sleep 2
    local cpu0
    cpu0=$(cpu "$dpid")
    for step in 1 2; do
        [ -z "$note" ] || break
        file=$out/vrps.json
        [ "$step" = 1 ] || file=$out/vrps-delta.json
        cp "$file" "$dir/rtr.tmp" && mv -f "$dir/rtr.tmp" "$dir/rtr.json"
        end=$((SECONDS + 60))
        until grep -q "new serial $step" "$dir/stayrtr.log"; do
            [ $SECONDS -lt $end ] || { note="StayRTR did not take file $step"; break 2; }
            sleep 0.02
        done
        t0=$EPOCHREALTIME
        end=$((SECONDS + 300))
        while [ "$(reached)" -le "$step" ]; do
            alive "$mpid" && alive "$dpid" && [ $SECONDS -lt $end ] || { note="step $step: the monitor did not reach its count"; break 2; }
            sleep 0.05
        done
        t1=$({ grep '"event":"reached"' "$dir/monitor.json" || true; } | sed -n "$((step + 1))p" | sed -n 's/.*"unix_ns":\([0-9]*\).*/\1/p')
        [ -z "$t1" ] || secs+=("$(awk "BEGIN{printf \"%.2f\", $t1 / 1e9 - $t0}")")
    done
    local hwm dcpu
    hwm=$(status "$dpid" VmHWM)
    dcpu=$(awk "BEGIN{printf \"%.1f\", $(cpu "$dpid") - $cpu0}")
    if [ "$d" = rbgpd ]; then
        # rbgpd's own part: from the End of Data it logs to the monitor
        local own="" ts eod t
        for step in 1 2; do
            ts=$({ grep "RTR End of Data" "$dir/rbgpd.log" || true; } | { grep -F ", $step))" || true; } | head -1 | cut -d' ' -f1)
            t=$({ grep '"event":"reached"' "$dir/monitor.json" || true; } | sed -n "$((step + 1))p" | sed -n 's/.*"unix_ns":\([0-9]*\).*/\1/p')
            [ -n "$ts" ] && [ -n "$t" ] || continue
            eod=$(date -d "$ts" +%s.%N)
            own="${own:+$own, }$(awk "BEGIN{printf \"%.3f\", $t / 1e9 - $eod}") s"
        done
        [ -z "$own" ] || note="${note:+$note; }End of Data to monitor: $own"
        local rv
        rv=$({ grep "RPKI revalidation" "$dir/rbgpd.log" || true; } | sed -n 's/.*states_changed=\([0-9]*\) imported_again=\([0-9]*\).*/\2/p' | tr '\n' ' ')
        [ -z "$rv" ] || note="${note:+$note; }paths imported again per step: $rv"
    fi
    for p in $fpid $mpid $dpid $spid; do stop "$p"; done
    local mib
    mib=$(awk "BEGIN{printf \"%.0f\", ${hwm:-0} / 1024}")
    echo "| $d | u | 1 x $prefixes | ${secs[0]:--} | validate loaded table ${secs[1]:--} s ($inv1 rejected); 1,000-VRP delta ${secs[2]:--} s ($((inv2 - inv1)) more) | $mib | - | $dcpu (steps 1-2) | $note |" | tee -a "$results"
}

# Case f: churn. `rbgp-bench churn` runs the feeders and the monitor in
# one process (one clock for the latencies); the DUT's RSS is sampled
# every second.
run_churn() {
    local d=$1 n m dir dpid fpid rpid note="" mib_start="" mib_end="" cpu0="" cpu1=""
    [ "$d" = rbgpd ] || [ "$d" = bird ] || { echo "== $d case f: rbgpd and bird only"; return 0; }
    read -r n m < <(shape f)
    dir=$out/$d-f
    mkdir -p "$dir"
    echo "== $d case f: $n x $m prefixes, $churn_seconds s of churn, logs in $dir"
    start_dut "$d" "$dir" "$n" 0 f "$m" || return 0
    dpid=$started
    sleep 1
    local idle
    idle=$(status "$dpid" VmRSS)
    while alive "$dpid"; do echo "$EPOCHREALTIME $(status "$dpid" VmRSS)"; sleep 1; done >"$dir/rss.txt" &
    rpid=$!
    pids+=("$rpid")
    ip netns exec "$gen" "$bench" churn --sessions "$n" --prefixes "$m" --seconds "$churn_seconds" \
        --connect-timeout "$timeout" --timeout "$timeout" >"$dir/churn.json" 2>"$dir/churn.err" &
    fpid=$!
    pids+=("$fpid")
    if ! wait_line "$dir/churn.json" '"converged"' "$fpid" "$timeout"; then
        note="no first table: $(tail -1 "$dir/churn.err")"
    else
        mib_start=$(status "$dpid" VmRSS)
        cpu0=$(cpu "$dpid")
        if ! wait_line "$dir/churn.json" churn_end "$fpid" $((churn_seconds + 120)); then
            note="churn did not end: $(tail -1 "$dir/churn.err")"
        else
            cpu1=$(cpu "$dpid")
            if ! wait_line "$dir/churn.json" settled "$fpid" "$timeout"; then
                note="table not whole after the churn: $(tail -1 "$dir/churn.err")"
            else
                sleep 30
                mib_end=$(status "$dpid" VmRSS)
            fi
        fi
    fi
    alive "$dpid" || note="${note:+$note; }DUT died"
    local hwm dcpu
    hwm=$(status "$dpid" VmHWM)
    dcpu=$(cpu "$dpid")
    for p in $fpid $dpid $rpid; do stop "$p"; done
    local t0 t1 secs="-" rate="-" total=$((n * m)) mib per
    t0=$(json "$dir/churn.json" converged first_update_unix_ns)
    t1=$(json "$dir/churn.json" converged unix_ns)
    if [ -n "$t0" ] && [ -n "$t1" ]; then
        secs=$(awk "BEGIN{printf \"%.2f\", ($t1 - $t0) / 1e9}")
        rate=$(awk "BEGIN{printf \"%.0f\", $total / $secs}")
    fi
    if [ -n "$mib_end" ]; then
        local c0 c1 peak
        c0=$(json "$dir/churn.json" churn_start unix_ns)
        c1=$(json "$dir/churn.json" settled unix_ns)
        # the highest sample from the churn's start until the table was whole again
        peak=$(awk -v a="$c0" -v b="$c1" '{ t = $1 * 1e9 } t >= a && t <= b && $2 > m { m = $2 } END { print m + 0 }' "$dir/rss.txt")
        note="${note:+$note; }$churn_seconds s: $(json "$dir/churn.json" churn_end flaps) flaps ($(json "$dir/churn.json" churn_end flap_retries) reconnects refused), $(json "$dir/churn.json" churn_end moves) moves"
        note="$note; move latency p50 $(json "$dir/churn.json" settled p50_ms) ms, p99 $(json "$dir/churn.json" settled p99_ms) ms, max $(json "$dir/churn.json" settled max_ms) ms ($(json "$dir/churn.json" settled moves_timed) timed, $(json "$dir/churn.json" settled moves_unmatched) never seen)"
        note="$note; table whole $(json "$dir/churn.json" settled seconds) s after"
        note="$note; RSS $(awk "BEGIN{printf \"%.0f\", $mib_start / 1024}") MiB at the start, $(awk "BEGIN{printf \"%.0f\", $peak / 1024}") peak, $(awk "BEGIN{printf \"%.0f\", $mib_end / 1024}") 30 s after"
        note="$note; DUT CPU in the churn $(awk "BEGIN{printf \"%.1f\", $cpu1 - $cpu0}") s"
    fi
    mib=$(awk "BEGIN{printf \"%.0f\", ${hwm:-0} / 1024}")
    per=$(awk "BEGIN{printf \"%.0f\", (${mib_start:-0} - ${idle:-0}) * 1024 / $total}")
    echo "| $d | f | $n x $m | $secs | $rate | $mib | $per | $dcpu | $note |" | tee -a "$results"
}

{
    echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(free -g | awk '/Mem:/ { print $2 }') GiB, $(uname -r)"
    echo "rbgpd: $(git rev-parse --short HEAD)  bird: $(bird --version 2>&1 | awk '{ print $NF }')  gobgpd: $(gobgpd --version 2>&1 | awk '{ print $NF }')  frr: $(/usr/lib/frr/bgpd --version 2>&1 | awk 'NR == 1 { print $NF }')"
} | tee "$out/machine.txt"

for c in ${cases//,/ }; do
    for d in ${daemons//,/ }; do
        case "$c" in
        u) run_reval "$d" ;;
        f) run_churn "$d" ;;
        *) run_case "$d" "$c" ;;
        esac
    done
done
echo
cat "$out/machine.txt"
echo
cat "$results"
echo "(results and logs: $out)"
