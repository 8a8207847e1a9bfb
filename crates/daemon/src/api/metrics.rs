//! `/metrics` in the Prometheus text format (version 0.0.4), written by
//! hand: a handful of gauges, counters and one histogram do not need a
//! metrics library. Peer and RIB values are read from the daemon at scrape
//! time; API calls are counted as they happen ([`ApiCalls`], fed by
//! `rbgp_api::observe`), UPDATE latency by the peer and RIB tasks.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::task::JoinHandle;

use super::status::state;
use super::Inner;
use crate::control::{Direction, NeighborStatus, RibSizes};
use crate::metrics::Histogram;

/// Calls per API method, and their errors per gRPC code.
#[derive(Default)]
pub struct ApiCalls {
    by_method: Mutex<BTreeMap<String, MethodCalls>>,
}

#[derive(Default, Clone)]
struct MethodCalls {
    started: u64,
    errors: BTreeMap<&'static str, u64>,
}

/// The gRPC code's name as in the spec (`INVALID_ARGUMENT`).
fn code_name(c: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match c {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

impl ApiCalls {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<String, MethodCalls>) -> T) -> T {
        let mut g = match self.by_method.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut g)
    }

    fn snapshot(&self) -> Vec<(String, MethodCalls)> {
        self.with(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}

impl rbgp_api::observe::CallObserver for ApiCalls {
    fn started(&self, method: &str) {
        self.with(|m| match m.get_mut(method) {
            Some(c) => c.started += 1,
            None => {
                m.insert(
                    method.to_string(),
                    MethodCalls {
                        started: 1,
                        ..MethodCalls::default()
                    },
                );
            }
        });
    }

    fn finished(&self, method: &str, code: tonic::Code) {
        if code == tonic::Code::Ok {
            return;
        }
        self.with(|m| {
            if let Some(c) = m.get_mut(method) {
                *c.errors.entry(code_name(code)).or_default() += 1;
            }
        });
    }
}

/// Everything one scrape shows.
pub struct Scrape<'a> {
    pub uptime: u64,
    pub neighbors: &'a [NeighborStatus],
    pub rib: Option<&'a RibSizes>,
    pub latency: &'a Histogram,
    pub calls: &'a ApiCalls,
    pub rpki: &'a crate::rpki::RpkiStatus,
    pub bmp: &'a crate::bmp::BmpStatus,
    pub mrt: &'a crate::mrt::MrtStatus,
}

pub(super) async fn serve(inner: Arc<Inner>, addr: SocketAddr) -> anyhow::Result<JoinHandle<()>> {
    let l = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("metrics listener {addr}"))?;
    tracing::info!(%addr, "metrics listening");
    let stopped = inner.stopped();
    Ok(tokio::spawn(async move {
        tokio::pin!(stopped);
        loop {
            let accepted = tokio::select! {
                a = l.accept() => a,
                () = &mut stopped => return,
            };
            let Ok((mut s, _)) = accepted else {
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
                    let ns = inner.handle.neighbors().await.unwrap_or_default();
                    let rib = inner.handle.rib_sizes().await.ok();
                    let body = render(&Scrape {
                        uptime: inner.started.elapsed().as_secs(),
                        neighbors: &ns,
                        rib: rib.as_ref(),
                        latency: &inner.handle.update_latency,
                        calls: &inner.calls,
                        rpki: &inner.handle.rpki_status.borrow().clone(),
                        bmp: &inner.handle.bmp_status.borrow().clone(),
                        mrt: &inner.handle.mrt_status.borrow().clone(),
                    });
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
pub fn render(s: &Scrape<'_>) -> String {
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
        "rbgp_peer_notifications_total",
        "counter",
        "NOTIFICATIONs per peer, direction (sent/received), code and subcode.",
    );
    family(
        "rbgp_peer_flaps_total",
        "counter",
        "Times the session left Established.",
    );
    family(
        "rbgp_rib_routes",
        "gauge",
        "Loc-RIB: NLRIs with at least one path, per family.",
    );
    family(
        "rbgp_rib_paths",
        "gauge",
        "Paths in the RIB from every source (peers, API, config), per family.",
    );
    family(
        "rbgp_rib_attribute_sets",
        "gauge",
        "Distinct path attribute sets interned (shared by the paths that carry them).",
    );
    family(
        "rbgp_rib_export_backlog",
        "gauge",
        "Route changes not yet read by the slowest peer's Adj-RIB-Out (the shared export journal; bounded, a peer far behind takes its share into its own marks).",
    );
    family(
        "rbgp_policy_term_hits_total",
        "counter",
        "Routes each policy term matched (import and export evaluations; restarts when the policy definitions change).",
    );
    family(
        "rbgp_update_latency_seconds",
        "histogram",
        "Per received UPDATE: from the peer task taking it off the socket (before decoding) to the RIB task having applied it to the RIB (best path selected, peers' exports marked; sending them to peers is not included). Includes the wait in the RIB task's queue.",
    );
    family(
        "rbgp_api_requests_total",
        "counter",
        "gRPC API calls per method (every listener, reflection included).",
    );
    family(
        "rbgp_api_errors_total",
        "counter",
        "gRPC API calls per method that ended with a status other than OK, per code (CANCELLED: the client went away mid-stream).",
    );
    family(
        "rbgp_rpki_connected",
        "gauge",
        "1 while connected to the RTR cache the data comes from (or a JSON file was read).",
    );
    family(
        "rbgp_rpki_vrps",
        "gauge",
        "VRPs routes are validated against, per family.",
    );
    family("rbgp_rpki_aspas", "gauge", "Customer ASes with an ASPA.");
    family(
        "rbgp_rpki_expired",
        "gauge",
        "1 when no source refreshed the data within its Expire Interval (RFC 8210 §6): every route is not-found/unknown.",
    );
    family(
        "rbgp_rpki_updates_total",
        "counter",
        "RTR End of Data responses and file reads applied.",
    );
    family(
        "rbgp_rpki_resets_total",
        "counter",
        "Times the data was replaced as a whole (new cache, Cache Reset, file).",
    );
    family(
        "rbgp_rpki_errors_total",
        "counter",
        "RTR connection failures, protocol errors and unreadable files.",
    );
    family(
        "rbgp_rpki_serial",
        "gauge",
        "Serial number of the cache's last End of Data.",
    );
    family(
        "rbgp_bmp_station_up",
        "gauge",
        "1 while connected to the BMP station (address:port).",
    );
    family(
        "rbgp_bmp_messages_total",
        "counter",
        "BMP messages written to the station.",
    );
    family(
        "rbgp_bmp_connects_total",
        "counter",
        "Connections made to the station.",
    );
    family(
        "rbgp_bmp_overflows_total",
        "counter",
        "Times the station fell behind past its buffer: connection reset, state sent again.",
    );
    family(
        "rbgp_bmp_errors_total",
        "counter",
        "Failed connection attempts and connections lost.",
    );
    family(
        "rbgp_mrt_dumps_total",
        "counter",
        "MRT TABLE_DUMP_V2 files written.",
    );
    family(
        "rbgp_mrt_last_dump_seconds",
        "gauge",
        "How long the last table dump took.",
    );
    family(
        "rbgp_mrt_last_dump_routes",
        "gauge",
        "Routes (NLRI) in the last table dump.",
    );
    family(
        "rbgp_mrt_update_records_total",
        "counter",
        "BGP4MP_ET records written to update files.",
    );
    family(
        "rbgp_mrt_update_files_total",
        "counter",
        "Update files completed.",
    );
    family(
        "rbgp_mrt_overflows_total",
        "counter",
        "Times the update log fell behind the RIB (records lost until it attached again).",
    );
    family(
        "rbgp_mrt_errors_total",
        "counter",
        "Failed dumps and file writes.",
    );
    let mut o2 = o;
    let _ = writeln!(o2, "rbgpd_uptime_seconds {}", s.uptime);
    for n in s.neighbors {
        peer(&mut o2, n);
    }
    if let Some(r) = s.rib {
        for (f, routes, paths) in &r.families {
            let _ = writeln!(o2, "rbgp_rib_routes{{family=\"{f}\"}} {routes}");
            let _ = writeln!(o2, "rbgp_rib_paths{{family=\"{f}\"}} {paths}");
        }
        let _ = writeln!(o2, "rbgp_rib_attribute_sets {}", r.attribute_sets);
        let _ = writeln!(o2, "rbgp_rib_export_backlog {}", r.export_backlog);
        // Policy and term names are letters, digits, '_', '-', '.': no
        // escaping needed in label values.
        for (policy, term, hits) in &r.policy_hits {
            let _ = writeln!(
                o2,
                "rbgp_policy_term_hits_total{{policy=\"{policy}\",term=\"{term}\"}} {hits}"
            );
        }
    }
    let r = s.rpki;
    if r.enabled {
        let _ = writeln!(o2, "rbgp_rpki_connected {}", u8::from(r.connected));
        let _ = writeln!(o2, "rbgp_rpki_vrps{{family=\"ipv4\"}} {}", r.vrps_v4);
        let _ = writeln!(o2, "rbgp_rpki_vrps{{family=\"ipv6\"}} {}", r.vrps_v6);
        let _ = writeln!(o2, "rbgp_rpki_aspas {}", r.aspas);
        let _ = writeln!(o2, "rbgp_rpki_expired {}", u8::from(r.expired));
        let _ = writeln!(o2, "rbgp_rpki_updates_total {}", r.updates);
        let _ = writeln!(o2, "rbgp_rpki_resets_total {}", r.resets);
        let _ = writeln!(o2, "rbgp_rpki_errors_total {}", r.errors);
        if let Some((_, serial)) = r.serial {
            let _ = writeln!(o2, "rbgp_rpki_serial {serial}");
        }
    }
    // Station keys are address:port: no escaping needed.
    for (k, b) in s.bmp {
        let _ = writeln!(
            o2,
            "rbgp_bmp_station_up{{station=\"{k}\"}} {}",
            u8::from(b.connected)
        );
        let _ = writeln!(
            o2,
            "rbgp_bmp_messages_total{{station=\"{k}\"}} {}",
            b.messages
        );
        let _ = writeln!(
            o2,
            "rbgp_bmp_connects_total{{station=\"{k}\"}} {}",
            b.connects
        );
        let _ = writeln!(
            o2,
            "rbgp_bmp_overflows_total{{station=\"{k}\"}} {}",
            b.overflows
        );
        let _ = writeln!(o2, "rbgp_bmp_errors_total{{station=\"{k}\"}} {}", b.errors);
    }
    let m = s.mrt;
    if m.enabled {
        let _ = writeln!(o2, "rbgp_mrt_dumps_total {}", m.dumps);
        if let Some((_, _, routes, secs)) = &m.last_dump {
            let _ = writeln!(o2, "rbgp_mrt_last_dump_seconds {secs}");
            let _ = writeln!(o2, "rbgp_mrt_last_dump_routes {routes}");
        }
        let _ = writeln!(o2, "rbgp_mrt_update_records_total {}", m.updates);
        let _ = writeln!(o2, "rbgp_mrt_update_files_total {}", m.update_files);
        let _ = writeln!(o2, "rbgp_mrt_overflows_total {}", m.overflows);
        let _ = writeln!(o2, "rbgp_mrt_errors_total {}", m.errors);
    }
    let (buckets, sum) = s.latency.snapshot();
    let mut count = 0;
    for (bound, n) in buckets {
        let le = bound.map_or_else(|| "+Inf".to_string(), |b| b.to_string());
        let _ = writeln!(o2, "rbgp_update_latency_seconds_bucket{{le=\"{le}\"}} {n}");
        count = n;
    }
    let _ = writeln!(o2, "rbgp_update_latency_seconds_sum {sum}");
    let _ = writeln!(o2, "rbgp_update_latency_seconds_count {count}");
    for (method, c) in s.calls.snapshot() {
        let _ = writeln!(
            o2,
            "rbgp_api_requests_total{{method=\"{method}\"}} {}",
            c.started
        );
        for (code, n) in c.errors {
            let _ = writeln!(
                o2,
                "rbgp_api_errors_total{{method=\"{method}\",code=\"{code}\"}} {n}"
            );
        }
    }
    o2
}

/// One peer's series.
fn peer(o2: &mut String, n: &NeighborStatus) {
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
            let _ = writeln!(
                o2,
                "rbgp_peer_messages_total{{peer=\"{p}\",direction=\"{dir}\",type=\"{ty}\"}} {v}"
            );
        }
    }
    for c in &s.notifications {
        let dir = match c.direction {
            Direction::Sent => "sent",
            Direction::Received => "received",
        };
        let _ = writeln!(
            o2,
            "rbgp_peer_notifications_total{{peer=\"{p}\",direction=\"{dir}\",code=\"{}\",subcode=\"{}\"}} {}",
            c.code, c.subcode, c.count
        );
    }
    let _ = writeln!(o2, "rbgp_peer_flaps_total{{peer=\"{p}\"}} {}", s.flaps);
}
