#!/bin/sh
# Bulk injection benchmark: 100k routes through rbgpd's AddPaths RPC
# (rbgpctl rib add-bulk) until GoBGP, rbgpd's peer in a network namespace,
# has all of them. Needs root, iproute2, gobgpd (and the Lab's other tools:
# bird2, frr, exabgp; scripts/test.sh installs them). Figures go to
# docs/BENCHMARKS.md.
set -eu
cd "$(dirname "$0")/.."
nice -n 10 cargo build --release --locked -p rbgpd -p rbgp-ctl
nice -n 10 cargo test --release --locked -p rbgpd --test api_bench -- --ignored --nocapture 2>&1 | grep -E "BENCH|test result|panicked"
