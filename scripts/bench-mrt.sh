#!/usr/bin/env bash
# MRT throughput, single thread: `rbgp mrt --format bgpdump` vs `bgpdump -m`
# vs bgpkit-parser (crates/mrt/examples/bench_elems.rs), on the largest
# updates and RIB files of the shared data, decompressed first so that only
# parsing and formatting are timed. Each figure is the best of RUNS (default
# 3) wall-clock runs; max RSS shows whether memory grows with file size
# (each file is also measured concatenated 4 times). bgpkit-process is
# bgpkit-parser's element pass as a whole process (start, file, text),
# timed like rbgp and bgpdump; bgpkit-text and bgpkit-elems time the
# element pass inside the process, after a first pass over the file.
# Not a test: results go to docs/BENCHMARKS.md by hand.
#   scripts/bench-mrt.sh            # needs bgpdump (apt-get install bgpdump)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${RBGP_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
runs="${RUNS:-3}"
command -v bgpdump >/dev/null || { echo "bgpdump is needed (apt-get install bgpdump)"; exit 1; }

cargo build --release -q -p rbgp-cli
cargo build --release -q -p rbgp-mrt --example bench_elems
rbgp=target/release/rbgp
ex=target/release/examples/bench_elems

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in updates.et-header.2015 updates.20160811.1600 bview.20020722.2337; do
    gzip -dc "$data/bgpdump/test_data/$f.gz" > "$tmp/$f"
    cat "$tmp/$f" "$tmp/$f" "$tmp/$f" "$tmp/$f" > "$tmp/$f.x4"
done

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
