//! Per-router progress and health for `/metrics` (Prometheus text format
//! 0.0.4, written by hand as rbgpd's is): messages, routes, errors, the
//! time of the last message, whether the router is connected; and what
//! the outputs did.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::now;

#[derive(Default)]
pub struct RouterStats {
    messages: AtomicU64,
    routes: AtomicU64,
    errors: AtomicU64,
    last: AtomicU64,
    up: AtomicU64,
}

impl RouterStats {
    pub fn message(&self, routes: u64) {
        self.messages.fetch_add(1, Relaxed);
        self.routes.fetch_add(routes, Relaxed);
        self.last.store(u64::from(now().0), Relaxed);
    }

    pub fn error(&self) {
        self.errors.fetch_add(1, Relaxed);
    }

    pub fn connected(&self, up: bool) {
        self.up.store(u64::from(up), Relaxed);
    }
}

/// Everything `/metrics` shows.
#[derive(Default)]
pub struct Metrics {
    routers: Mutex<BTreeMap<IpAddr, Arc<RouterStats>>>,
    pub kafka_records: AtomicU64,
    pub kafka_errors: AtomicU64,
    pub mrt_records: AtomicU64,
    pub mrt_errors: AtomicU64,
}

impl Metrics {
    /// The counters of a router (one set per address, kept across
    /// reconnects).
    pub fn router(&self, ip: IpAddr) -> Arc<RouterStats> {
        let mut g = match self.routers.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.entry(ip).or_default().clone()
    }

    pub fn render(&self) -> String {
        let routers: Vec<(IpAddr, Arc<RouterStats>)> = {
            let g = match self.routers.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            g.iter().map(|(k, v)| (*k, v.clone())).collect()
        };
        let mut s = String::new();
        type Series = (
            &'static str,
            &'static str,
            &'static str,
            fn(&RouterStats) -> u64,
        );
        let per_router: [Series; 5] = [
            (
                "rbgp_collector_messages_total",
                "counter",
                "BMP messages received",
                |r| r.messages.load(Relaxed),
            ),
            (
                "rbgp_collector_routes_total",
                "counter",
                "Route elements in Route Monitoring messages",
                |r| r.routes.load(Relaxed),
            ),
            (
                "rbgp_collector_errors_total",
                "counter",
                "Messages or octets that could not be read",
                |r| r.errors.load(Relaxed),
            ),
            (
                "rbgp_collector_last_message_seconds",
                "gauge",
                "Unix time of the last message",
                |r| r.last.load(Relaxed),
            ),
            (
                "rbgp_collector_router_up",
                "gauge",
                "1 while the router is connected",
                |r| r.up.load(Relaxed),
            ),
        ];
        for (name, kind, help, get) in per_router {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (ip, r) in &routers {
                let _ = writeln!(s, "{name}{{router=\"{ip}\"}} {}", get(r));
            }
        }
        for (name, help, v) in [
            (
                "rbgp_collector_kafka_records_total",
                "Records produced to Kafka",
                &self.kafka_records,
            ),
            (
                "rbgp_collector_kafka_errors_total",
                "Kafka produce errors (retried)",
                &self.kafka_errors,
            ),
            (
                "rbgp_collector_mrt_records_total",
                "MRT records written",
                &self.mrt_records,
            ),
            (
                "rbgp_collector_mrt_errors_total",
                "MRT file errors",
                &self.mrt_errors,
            ),
        ] {
            let _ = writeln!(
                s,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Relaxed)
            );
        }
        s
    }
}

/// Answer `GET /metrics` on `addr`.
pub async fn serve(m: Arc<Metrics>, addr: SocketAddr) -> anyhow::Result<()> {
    let l = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("metrics: binding {addr}"))?;
    tokio::spawn(async move {
        loop {
            let Ok((mut c, _)) = l.accept().await else {
                continue;
            };
            let m = m.clone();
            tokio::spawn(async move {
                let mut req = vec![0u8; 4096];
                let n = c.read(&mut req).await.unwrap_or(0);
                let head = String::from_utf8_lossy(req.get(..n).unwrap_or_default()).to_string();
                let resp = if head.starts_with("GET /metrics") {
                    let body = m.render();
                    format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                } else {
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .into()
                };
                let _ = c.write_all(resp.as_bytes()).await;
            });
        }
    });
    Ok(())
}
