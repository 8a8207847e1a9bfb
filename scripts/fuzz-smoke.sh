#!/usr/bin/env bash
# A short fuzzing run of every cargo-fuzz target of every crate that has
# one (stable toolchain with RUSTC_BOOTSTRAP=1), each starting from its
# kept corpus (fuzz/seeds/TARGET.tar.gz). Seconds per target:
# FUZZ_SECONDS (default 20). A longer run: FUZZ_SECONDS=3600 scripts/fuzz-smoke.sh,
# or one target:
#   cd crates/wire && RUSTC_BOOTSTRAP=1 cargo fuzz run message -- -max_total_time=3600
#   cd crates/mrt && RUSTC_BOOTSTRAP=1 cargo fuzz run records -- -max_total_time=3600
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
secs="${FUZZ_SECONDS:-20}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet
fi
export RUSTC_BOOTSTRAP=1
for crate in wire mrt bmp policy rpki; do
    cd "$root/crates/$crate"
    echo "== fuzz build ($crate)"
    cargo fuzz build -O 2>&1 | tail -n 3
    for t in $(cargo fuzz list); do
        echo "== fuzz $crate/$t for ${secs}s"
        mkdir -p "fuzz/corpus/$t"
        # The kept corpus (minimised after the long runs, docs/FUZZING.md)
        # is the starting point: a short run then begins where those ended.
        if [ -f "fuzz/seeds/$t.tar.gz" ] && [ -z "$(ls -A "fuzz/corpus/$t")" ]; then
            tar xzf "fuzz/seeds/$t.tar.gz" -C "fuzz/corpus/$t"
        fi
        status=0
        out=$(cargo fuzz run -O "$t" "fuzz/corpus/$t" -- -max_total_time="$secs" -print_final_stats=0 2>&1) || status=$?
        grep -E "^Done|ERROR|panicked|SUMMARY" <<<"$out" || true
        # A crash, or a run that never reached libFuzzer's "Done" line, fails.
        if ((status != 0)) || ! grep -q "^Done" <<<"$out"; then
            tail -n 30 <<<"$out"
            echo "fuzz target $crate/$t failed (exit $status): see crates/$crate/fuzz/artifacts/$t"
            exit 1
        fi
    done
done
echo "fuzz smoke: all targets ran ${secs}s without a crash"
