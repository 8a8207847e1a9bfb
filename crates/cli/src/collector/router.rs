//! One monitored router: its BMP byte stream cut into messages and read
//! with the router's own [`BmpSession`] (Peer Ups give each peer's 4-octet
//! AS and ADD-PATH), whether the bytes come from a TCP connection or from
//! raw_bmp records on Kafka. Bad input is reported per message and the
//! stream goes on; nothing one router sends reaches another's state.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use rbgp_bmp::framer::{BmpFramer, Frame};
use rbgp_bmp::session::{BmpSession, Processed};
use rbgp_bmp::BmpMessage;
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;

use super::metrics::RouterStats;
use super::{now, Event, Fanout, Msg};

/// Who a router is, as OpenBMP names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouterId {
    pub ip: IpAddr,
    /// The TCP source port (0 when read from Kafka).
    pub port: u16,
    /// OpenBMP's router hash (see [`router_hash`]).
    pub hash: [u8; 16],
}

impl RouterId {
    pub fn new(ip: IpAddr, port: u16, collector_hash: &[u8; 16]) -> Self {
        RouterId {
            ip,
            port,
            hash: router_hash(ip, collector_hash),
        }
    }
}

/// OpenBMP's collector hash: MD5 of the admin id (checked against a
/// RouteViews raw_bmp message, whose collector hash is MD5("is-ah-bmp1")).
pub fn collector_hash(admin_id: &str) -> [u8; 16] {
    md5::compute(admin_id.as_bytes()).0
}

/// The router hash: MD5 of the router's address text and the collector
/// hash, stable for a router across reconnects. OpenBMP's own also mixes
/// in connection details; consumers treat it as an opaque key.
pub fn router_hash(ip: IpAddr, collector_hash: &[u8; 16]) -> [u8; 16] {
    let mut c = md5::Context::new();
    c.consume(ip.to_string().as_bytes());
    c.consume(collector_hash);
    c.finalize().0
}

/// What feeding bytes produced.
pub enum Fed {
    /// A whole message as the router sent it, and how it read.
    Message(Vec<u8>, Box<Result<Processed, String>>),
    /// Octets dropped to find the next message.
    Skipped(usize, String),
}

/// The sans-IO part: bytes in, messages out.
#[derive(Default)]
pub struct RouterFeed {
    framer: BmpFramer,
    session: BmpSession,
}

impl RouterFeed {
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Fed>) {
        self.framer.push(bytes);
        while let Some(f) = self.framer.next_frame() {
            out.push(match f {
                Frame::Message(m) => {
                    let p = self.session.process(&m).map_err(|e| e.to_string());
                    Fed::Message(m, Box::new(p))
                }
                Frame::Skipped { octets, error } => Fed::Skipped(octets, error.to_string()),
            });
        }
    }

    /// Octets of an unfinished message.
    pub fn buffered(&self) -> usize {
        self.framer.buffered()
    }
}

/// Count and log one fed item, then pass it on.
pub async fn deliver(router: &Arc<RouterId>, stats: &RouterStats, fed: Fed, out: &Fanout) {
    match fed {
        Fed::Message(raw, p) => {
            let elems = match p.as_ref() {
                Ok(p) => p.elems(),
                Err(_) => Vec::new(),
            };
            match p.as_ref() {
                Ok(p) => {
                    if let BmpMessage::RouteMonitoring(_) = p.message {
                        if let Some(Err(e)) = &p.update {
                            stats.error();
                            tracing::warn!(router = %router.ip, "Route Monitoring UPDATE: {e}");
                        }
                    }
                    for w in &p.warnings {
                        tracing::info!(router = %router.ip, "{w}");
                    }
                }
                Err(e) => {
                    stats.error();
                    tracing::warn!(router = %router.ip, "BMP message not read: {e}");
                }
            }
            stats.message(elems.len() as u64);
            let mut m = Msg {
                router: router.clone(),
                at: now(),
                raw: Arc::new(raw),
                p: Arc::new(*p),
                elems: Arc::new(elems),
                ndjson: None,
                rows: None,
            };
            out.render.render(&mut m);
            out.send(Event::Msg(m)).await;
        }
        Fed::Skipped(n, why) => {
            stats.error();
            tracing::warn!(router = %router.ip, "skipped {n} octets to resynchronise: {why}");
        }
    }
}

/// Serve one router's connection until it closes.
pub async fn serve(
    mut stream: TcpStream,
    from: SocketAddr,
    router: Arc<RouterId>,
    stats: Arc<RouterStats>,
    out: Fanout,
) {
    tracing::info!(router = %from, "router connected");
    stats.connected(true);
    let mut feed = RouterFeed::default();
    let mut buf = vec![0u8; 1 << 16];
    let mut fed = Vec::new();
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(router = %from, "read: {e}");
                break;
            }
        };
        feed.push(buf.get(..n).unwrap_or_default(), &mut fed);
        for f in fed.drain(..) {
            deliver(&router, &stats, f, &out).await;
        }
    }
    if feed.buffered() > 0 {
        stats.error();
        tracing::warn!(router = %from, "connection closed inside a message ({} octets)", feed.buffered());
    }
    stats.connected(false);
    out.send(Event::RouterDown(router)).await;
    tracing::info!(router = %from, "router disconnected");
}
