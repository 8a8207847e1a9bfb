#!/usr/bin/env bash
# The whole test suite: unit, property, real-capture and interop tests.
# Installs the test peers/tools it needs when missing (Debian packages),
# then runs every test in the workspace. Used as-is by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v tshark >/dev/null 2>&1 || need_apt+=(tshark)
# bgpdump 1.6.2: the reference for `rbgp mrt --format bgpdump` (crates/cli/tests/mrt_bgpdump.rs).
command -v bgpdump >/dev/null 2>&1 || need_apt+=(bgpdump)
# pmacct's BMP collector pmbmpd: the BMP interop test sends it our encoding.
command -v pmbmpd >/dev/null 2>&1 || need_apt+=(pmacct)
# Real BGP speakers for rbgpd's interop tests and the BMP exporter test.
command -v bird >/dev/null 2>&1 || need_apt+=(bird2)
command -v gobgpd >/dev/null 2>&1 || need_apt+=(gobgpd)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
[[ -x /usr/lib/frr/bgpd ]] || need_apt+=(frr)
# StayRTR: the RPKI cache (RTR) rbgpd and BIRD validate against.
command -v stayrtr >/dev/null 2>&1 || need_apt+=(stayrtr)
# Headless Chromium renders the looking glass page (crates/daemon/tests/looking_glass.rs);
# curl reads its REST API and the metrics.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
# tmux drives `rbgpctl top` (crates/daemon/tests/ctl_top.rs).
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
# systemd-analyze verifies dist/rbgpd.service (crates/daemon/tests/examples.rs).
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)
if ((${#need_apt[@]})); then
    echo "== installing test tools: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # tshark asks whether non-root users may capture; answer no.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# RTRTR (NLnet Labs), an RTR cache serving VRPs and ASPAs from a JSON file
# (crates/daemon/tests/rpki_caches.rs); not packaged, so from crates.io:
# about 5 minutes to build on 2 cores, once.
command -v rtrtr >/dev/null 2>&1 || cargo install rtrtr --locked

# ExaBGP, from PyPI, for the interop tests.
python3 -c 'import exabgp' 2>/dev/null || python3 -m pip install -q exabgp

# A Kafka-protocol broker for `rbgp collector` (crates/cli/tests/collector.rs):
# tansu keeps topics in memory with its dynostore feature; Apache Kafka's
# distribution is not packaged. About 8 minutes to build on 2 cores, once.
command -v tansu >/dev/null 2>&1 || cargo install tansu --locked --features dynostore
# kafka-python: the independent client that reads the collector's topics.
python3 -c 'import kafka' 2>/dev/null || python3 -m pip install -q kafka-python
# grpcio: the API from Python (examples/python, crates/daemon/tests/api_python.rs).
python3 -c 'import grpc, grpc_tools, grpc_reflection' 2>/dev/null ||
    python3 -m pip install -q grpcio grpcio-tools grpcio-reflection

# Real captures live in ../shared/data beside the project.
export RBGP_SHARED_DATA="${RBGP_SHARED_DATA:-$(cd .. && pwd)/shared/data}"

echo "== module structure (no two modules of a crate import each other)"
python3 scripts/module-cycles.py crates/*/src

echo "== cargo test (workspace)"
cargo test --workspace --all-targets --locked 2>&1
echo "== rbgp-wire without optional features (no serde)"
cargo build -p rbgp-wire --no-default-features --locked 2>&1
echo "== doc tests"
cargo test --workspace --doc --locked 2>&1

if [[ "${RBGP_FUZZ_SMOKE:-1}" == 1 ]]; then
    scripts/fuzz-smoke.sh
fi
