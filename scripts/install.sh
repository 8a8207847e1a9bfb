#!/usr/bin/env bash
# Build and install rbgpd, rbgpctl and rbgp (release) into PREFIX/bin
# (default /usr/local; stripped: the release profile keeps debug info for
# profiling), and with --systemd the unit, a user and a starting
# configuration:
#   scripts/install.sh                  # binaries only
#   sudo scripts/install.sh --systemd   # + rbgpd user, /etc/rbgpd, unit
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${PREFIX:-/usr/local}
systemd=0
[[ "${1:-}" == --systemd ]] && systemd=1

cargo build --release --locked -p rbgpd -p rbgp-ctl -p rbgp-cli
install -d "$prefix/bin"
install -s -m 0755 target/release/rbgpd target/release/rbgpctl target/release/rbgp "$prefix/bin/"
echo "installed rbgpd, rbgpctl, rbgp in $prefix/bin"

if ((systemd)); then
    id rbgpd >/dev/null 2>&1 || useradd --system --home-dir /var/lib/rbgpd --shell /usr/sbin/nologin rbgpd
    install -d -m 0750 -o rbgpd -g rbgpd /etc/rbgpd /var/lib/rbgpd
    if [[ ! -e /etc/rbgpd/rbgpd.toml ]]; then
        # The lab example with the state where the unit keeps it.
        sed 's|^state_dir = .*|state_dir = "/var/lib/rbgpd"|' examples/config/lab.toml >/etc/rbgpd/rbgpd.toml
        chown rbgpd:rbgpd /etc/rbgpd/rbgpd.toml
        echo "wrote /etc/rbgpd/rbgpd.toml (from examples/config/lab.toml: edit it)"
    fi
    sed "s|/usr/local/bin|$prefix/bin|g" dist/rbgpd.service >/etc/systemd/system/rbgpd.service
    systemctl daemon-reload
    echo "systemctl enable --now rbgpd   # then: rbgpctl -s unix:///var/lib/rbgpd/rbgpd.sock neighbor"
fi
