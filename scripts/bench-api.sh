#!/bin/sh
# Bulk injection benchmark, rbgpd and GoBGP in the same run: 100k routes
# through rbgpd's AddPaths RPC (rbgpctl rib add-bulk) until its peers GoBGP
# and BIRD have all of them, then the same number injected into a gobgpd
# with `gobgp mrt inject global` until the same receiving GoBGP has them,
# then that GoBGP's own intake of as many routes from BIRD.
# Needs root, iproute2, gobgpd, bird2, python3 (and the Lab's other tools:
# frr, exabgp; scripts/test.sh installs them). Figures go to
# docs/BENCHMARKS.md ("API bulk injection").
#   RBGP_BENCH_PERF=/tmp/rbgpd.perf scripts/bench-api.sh   # perf record rbgpd
set -eu
cd "$(dirname "$0")/.."
nice -n 10 cargo build --release --locked -p rbgpd -p rbgp-ctl
# The test's status, not grep's: a panic must fail the script.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
nice -n 10 cargo test --release --locked -p rbgpd --test api_bench -- --ignored --nocapture >"$out" 2>&1 || status=$?
grep -E "BENCH|test result|panicked" "$out" || true
exit "$status"
