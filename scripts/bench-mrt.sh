#!/usr/bin/env bash
# MRT throughput. Two parts (both by default; name one to run it alone):
#
#   formatter   single thread: `rbgp mrt --format bgpdump` vs `bgpdump -m`
#     vs bgpkit-parser (crates/mrt/examples/bench_elems.rs), on the largest
#     updates and RIB files of the shared data, decompressed first so that
#     only parsing and formatting are timed. Each figure is the best of RUNS
#     (default 3) wall-clock runs; max RSS shows whether memory grows with
#     file size (each file is also measured concatenated 4 times).
#     bgpkit-process is bgpkit-parser's element pass as a whole process
#     (start, file, text), timed like rbgp and bgpdump; bgpkit-text and
#     bgpkit-elems time the element pass inside the process, after a first
#     pass over the file.
#   processes   whole processes as users run them, on the compressed files:
#     `rbgp mrt` in each format (PSV, JSON, bgpdump; PSV on one thread too)
#     against the bgpkit-parser command line (PSV and -F json, installed
#     with `cargo install bgpkit-parser --features cli --locked` when
#     missing) and `bgpdump -m`, with `gzip -dc` / `bzip2 -dc` as the floor.
#     Files: the updates files and the RIB dump as shared (gzip), the RIB
#     dump recompressed with bzip2 -9 and rewritten as TABLE_DUMP_V2
#     (crates/mrt/examples/td2_rib.rs; RIS and RouteViews publish bzip2
#     TABLE_DUMP_V2 dumps), a gzip file of four members (memory against file
#     size), and a directory of five updates files (several files at once).
#     Median CPU time (perf task-clock, all threads) and wall time of RUNS
#     interleaved rounds, each file's round started once the machine is
#     idle (waiting up to QUIET_WAIT seconds), max RSS of one more run;
#     ratios: the reference
#     tool's CPU time over rbgp's (bgpkit-parser for PSV and JSON, bgpdump
#     for bgpdump), and rbgp's wall time over the floor's.
#
# Not a test: results go to docs/BENCHMARKS.md by hand. Another process
# busy on the machine moves wall times most: note the load average.
#   scripts/bench-mrt.sh [formatter|processes]   # needs bgpdump, perf
set -euo pipefail
cd "$(dirname "$0")/.."
data="${RBGP_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
runs="${RUNS:-3}"
command -v bgpdump >/dev/null || { echo "bgpdump is needed (apt-get install bgpdump)"; exit 1; }

part="${1:-all}"
case $part in all | formatter | processes) ;; *) echo "usage: $0 [formatter|processes]"; exit 2 ;; esac

cargo build --release -q -p rbgp-cli
cargo build --release -q -p rbgp-mrt --example bench_elems --example td2_rib
rbgp=target/release/rbgp
ex=target/release/examples/bench_elems

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in updates.et-header.2015 updates.20160811.1600 bview.20020722.2337; do
    gzip -dc "$data/bgpdump/test_data/$f.gz" > "$tmp/$f"
    cat "$tmp/$f" "$tmp/$f" "$tmp/$f" "$tmp/$f" > "$tmp/$f.x4"
done

formatter() {

# best wall time and its max RSS (KiB) over $runs runs of "$@"
best() {
    local b=999999 m=0 t r
    for ((i = 0; i < runs; i++)); do
        local t0 t1
        t0=$(date +%s%N)
        /usr/bin/time -o "$tmp/time" -f "%M" "$@" >/dev/null 2>&1 || {
            echo "failed: $*" >&2
            return 1
        }
        t1=$(date +%s%N)
        read -r r < "$tmp/time"
        t=$(awk "BEGIN{print ($t1 - $t0) / 1e9}")
        if awk "BEGIN{exit !($t < $b)}"; then b=$t; m=$r; fi
    done
    echo "$b $m"
}

printf "%-26s %-16s %9s %8s %10s %9s\n" file tool records seconds records/s maxRSS_MB
for f in updates.et-header.2015 updates.20160811.1600 bview.20020722.2337; do
    for v in "$f" "$f.x4"; do
        p="$tmp/$v"
        recs=$($ex rbgp-elems "$p" | awk '{print $2}')
        for tool in rbgp-bgpdump bgpdump-m bgpkit-process bgpkit-text bgpkit-elems bgpkit-records rbgp-elems; do
            case $tool in
                rbgp-bgpdump) cmd=("$rbgp" mrt --format bgpdump "$p") ;;
                bgpdump-m) cmd=(bgpdump -m "$p") ;;
                bgpkit-process) cmd=("$ex" bgpkit-text-once "$p") ;;
                *) cmd=("$ex" "$tool" "$p") ;;
            esac
            # An assignment keeps the exit status: a failing tool stops the
            # script instead of printing a tiny time.
            res=$(best "${cmd[@]}")
            read -r s m <<<"$res"
            # bgpkit modes time a record-counting pass too: use their own
            # timing of the element pass instead of the process wall time.
            if [[ $tool == bgpkit-text || $tool == bgpkit-elems ]]; then
                s=$(for ((i = 0; i < runs; i++)); do "$ex" "$tool" "$p" | awk '{print $4}'; done | sort -n | head -n 1)
            fi
            printf "%-26s %-16s %9d %8.3f %10.0f %9.1f\n" "$v" "$tool" "$recs" "$s" \
                "$(awk "BEGIN{print $recs / ($s > 0 ? $s : 0.001)}")" "$(awk "BEGIN{print $m / 1024}")"
        done
    done
done
}

# ---- processes ----

# One run of "$@" under perf: CPU ms (task-clock of all threads) and wall ms.
perf_run() {
    LC_ALL=C perf stat -e task-clock -o "$tmp/perf" -- "$@" >/dev/null 2>"$tmp/err" || {
        echo "failed: $*" >&2
        cat "$tmp/err" >&2
        return 1
    }
    awk '/task-clock/ {cpu = $1} /seconds time elapsed/ {wall = $1 * 1000}
         END {printf "%.2f %.2f\n", cpu, wall}' "$tmp/perf"
}

# Wait (up to QUIET_WAIT seconds, default 60) until the machine has been
# idle for a second: under 10 % of its CPU time busy. Another process on
# the two cores changes wall times most (a pipeline of two threads then
# shares a core). False if it never was.
wait_quiet() {
    local t0=$SECONDS a b
    while ((SECONDS - t0 < ${QUIET_WAIT:-60})); do
        a=$(head -1 /proc/stat)
        sleep 1
        b=$(head -1 /proc/stat)
        # user nice system idle iowait irq softirq steal
        if awk -v a="$a" -v b="$b" 'BEGIN {
            split(a, x); split(b, y); busy = 0; all = 0
            for (i = 2; i <= 9; i++) { d = y[i] - x[i]; all += d; if (i != 5 && i != 6) busy += d }
            exit !(all > 0 && busy / all < 0.10) }'; then
            return 0
        fi
    done
    return 1
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

processes() {
    command -v perf >/dev/null || { echo "perf is needed (apt-get install linux-perf)"; exit 1; }
    command -v bgpkit-parser >/dev/null || cargo install bgpkit-parser --features cli --locked
    local d="$data/bgpdump/test_data"
    bzip2 -9 -c "$tmp/bview.20020722.2337" > "$tmp/bview.20020722.2337.bz2"
    target/release/examples/td2_rib "$d/bview.20020722.2337.gz" "$tmp/bview.td2.20020722.2337"
    bzip2 -9 -c "$tmp/bview.td2.20020722.2337" > "$tmp/bview.td2.20020722.2337.bz2"
    local x4="$tmp/updates.et-header.2015.x4.gz"
    cat "$d/updates.et-header.2015.gz" "$d/updates.et-header.2015.gz" \
        "$d/updates.et-header.2015.gz" "$d/updates.et-header.2015.gz" > "$x4"
    mkdir "$tmp/archive"
    for f in updates.20070211.0141 updates.20071015.1505 updates.20100722.2015 \
        updates.20160811.1600 updates.et-header.2015; do
        ln -s "$d/$f.gz" "$tmp/archive/$f.gz"
    done
    local files=("$d/updates.20160811.1600.gz" "$d/updates.et-header.2015.gz"
        "$d/bview.20020722.2337.gz" "$tmp/bview.20020722.2337.bz2"
        "$tmp/bview.td2.20020722.2337.bz2" "$x4" "$tmp/archive")
    local tools=(floor rbgp-psv rbgp-psv-1thread rbgp-json rbgp-bgpdump bgpkit-psv bgpkit-json bgpdump-m)
    cmd_of() { # file tool: the command, in the array cmd
        local f=$1 z=gzip
        [[ $f == *.bz2 ]] && z=bzip2
        # A directory: its files one after the other for the tools that
        # read one file (and for the floor).
        case $2 in
            floor) cmd=("$z" -dc "$f") ;;
            rbgp-psv) cmd=("$rbgp" mrt "$f") ;;
            rbgp-psv-1thread) cmd=("$rbgp" mrt --threads 1 "$f") ;;
            rbgp-json) cmd=("$rbgp" mrt --format json "$f") ;;
            rbgp-bgpdump) cmd=("$rbgp" mrt --format bgpdump "$f") ;;
            bgpkit-psv) cmd=(bgpkit-parser "$f") ;;
            bgpkit-json) cmd=(bgpkit-parser -F json "$f") ;;
            bgpdump-m) cmd=(bgpdump -m "$f") ;;
        esac
        if [[ -d $f && $2 != rbgp-* ]]; then
            local last=$((${#cmd[@]} - 1))
            local prog="${cmd[*]:0:$last}"
            cmd=(sh -c "for f in \"\$1\"/*; do $prog \"\$f\"; done" sh "$f")
        fi
    }
    # bgpkit-parser reads the first member of a gzip file only.
    skip() { [[ $1 == "$x4" && $2 == bgpkit-* ]]; }
    local f t r busy=0
    for ((r = 0; r < runs; r++)); do
        for f in "${files[@]}"; do
            wait_quiet || busy=$((busy + 1))
            for t in "${tools[@]}"; do
                skip "$f" "$t" && continue
                cmd_of "$f" "$t"
                # An assignment keeps the exit status: a failing tool stops
                # the script instead of printing a tiny time.
                local res
                res=$(perf_run "${cmd[@]}")
                echo "$res" >> "$tmp/samples.$(basename "$f").$t"
            done
        done
    done
    echo "rounds of a file started on a busy machine: $busy of $((runs * ${#files[@]}))"
    printf "%-34s %-17s %9s %9s %8s %8s %8s\n" file tool "CPU ms" "wall ms" "xCPU" "xfloor" "RSS MB"
    for f in "${files[@]}"; do
        local b
        b=$(basename "$f")
        declare -A cpu wall
        for t in "${tools[@]}"; do
            skip "$f" "$t" && continue
            cpu[$t]=$(awk '{print $1}' "$tmp/samples.$b.$t" | median)
            wall[$t]=$(awk '{print $2}' "$tmp/samples.$b.$t" | median)
        done
        for t in "${tools[@]}"; do
            skip "$f" "$t" && continue
            cmd_of "$f" "$t"
            /usr/bin/time -o "$tmp/time" -f "%M" "${cmd[@]}" >/dev/null 2>&1
            local rss ref=""
            rss=$(awk '{printf "%.1f", $1 / 1024}' "$tmp/time")
            case $t in
                rbgp-psv | rbgp-psv-1thread) ref=bgpkit-psv ;;
                rbgp-json) ref=bgpkit-json ;;
                rbgp-bgpdump) ref=bgpdump-m ;;
            esac
            local xcpu="" xfloor=""
            [[ -n $ref && -n ${cpu[$ref]:-} ]] && xcpu=$(awk "BEGIN{printf \"%.1f\", ${cpu[$ref]} / ${cpu[$t]}}")
            [[ $t == rbgp-* ]] && xfloor=$(awk "BEGIN{printf \"%.2f\", ${wall[$t]} / ${wall[floor]}}")
            printf "%-34s %-17s %9.1f %9.1f %8s %8s %8s\n" "$b" "$t" "${cpu[$t]}" "${wall[$t]}" \
                "$xcpu" "$xfloor" "$rss"
        done
        unset cpu wall
    done
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
[[ $part == processes ]] || formatter
[[ $part == formatter ]] || processes
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
