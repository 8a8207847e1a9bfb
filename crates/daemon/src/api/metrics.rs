//! `/metrics` in the Prometheus text format (version 0.0.4), written by
//! hand: a handful of gauges and counters do not need a metrics library,
//! and the values are read from the daemon at scrape time.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::task::JoinHandle;

use super::status::state;
use super::Inner;
use crate::control::NeighborStatus;

pub(super) async fn serve(inner: Arc<Inner>, addr: SocketAddr) -> anyhow::Result<JoinHandle<()>> {
    let l = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("metrics listener {addr}"))?;
    tracing::info!(%addr, "metrics listening");
    Ok(tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                continue;
            };
            let inner = Arc::clone(&inner);
            tokio::spawn(async move {
                // One request per connection; the request line is enough.
                let mut buf = [0u8; 1024];
                let n =
                    match tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf))
                        .await
                    {
                        Ok(Ok(n)) => n,
                        _ => return,
                    };
                let head = String::from_utf8_lossy(buf.get(..n).unwrap_or(&[]));
                let reply = if head.starts_with("GET /metrics ") {
                    let body = match inner.handle.neighbors().await {
                        Ok(ns) => render(&ns, inner.started.elapsed().as_secs()),
                        Err(_) => String::new(),
                    };
                    format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                } else {
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_string()
                };
                let _ = s.write_all(reply.as_bytes()).await;
            });
        }
    }))
}

/// The exposition text.
pub fn render(ns: &[NeighborStatus], uptime: u64) -> String {
    let mut o = String::new();
    let mut family = |name: &str, kind: &str, help: &str| {
        let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
    };
    family(
        "rbgpd_uptime_seconds",
        "gauge",
        "Seconds since rbgpd started.",
    );
    family(
        "rbgp_peer_state",
        "gauge",
        "FSM state: 1 Idle, 2 Connect, 3 Active, 4 OpenSent, 5 OpenConfirm, 6 Established.",
    );
    family(
        "rbgp_peer_uptime_seconds",
        "gauge",
        "Seconds in Established (0 when down).",
    );
    family(
        "rbgp_peer_prefixes",
        "gauge",
        "Paths per peer and family: received, accepted (by import policy), advertised.",
    );
    family(
        "rbgp_peer_messages_total",
        "counter",
        "BGP messages per peer, direction and type.",
    );
    family(
        "rbgp_peer_flaps_total",
        "counter",
        "Times the session left Established.",
    );
    let mut o2 = o;
    let _ = writeln!(o2, "rbgpd_uptime_seconds {uptime}");
    for n in ns {
        let p = n.neighbor.address;
        let s = &n.session;
        let _ = writeln!(
            o2,
            "rbgp_peer_state{{peer=\"{p}\"}} {}",
            state(s.state) as i32
        );
        let up = s
            .established_at
            .filter(|_| s.state == rbgp_fsm::State::Established)
            .and_then(|t| t.elapsed().ok())
            .map_or(0, |d| d.as_secs());
        let _ = writeln!(o2, "rbgp_peer_uptime_seconds{{peer=\"{p}\"}} {up}");
        for c in &n.prefixes {
            for (kind, v) in [
                ("received", c.received),
                ("accepted", c.accepted),
                ("advertised", c.advertised),
            ] {
                let _ = writeln!(
                    o2,
                    "rbgp_peer_prefixes{{peer=\"{p}\",family=\"{}\",kind=\"{kind}\"}} {v}",
                    c.family
                );
            }
        }
        for (dir, m) in [("in", &s.messages_in), ("out", &s.messages_out)] {
            for (ty, v) in [
                ("open", m.open),
                ("update", m.update),
                ("notification", m.notification),
                ("keepalive", m.keepalive),
                ("route_refresh", m.route_refresh),
            ] {
                let _ = writeln!(o2, "rbgp_peer_messages_total{{peer=\"{p}\",direction=\"{dir}\",type=\"{ty}\"}} {v}");
            }
        }
        let _ = writeln!(o2, "rbgp_peer_flaps_total{{peer=\"{p}\"}} {}", s.flaps);
    }
    o2
}
